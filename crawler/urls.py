"""URL helpers shared by extraction and the crawl."""

from __future__ import annotations

import re
from urllib.parse import unquote, urljoin, urlsplit

# Image and CORS proxies that wrap the original URL: `https://proxy/?http://origin/x.jpg`,
# `https://proxy/?url=http%3A%2F%2Forigin%2Fx.jpg`.
_WRAPPED = re.compile(r"^https?://[^/]+/[^?]*\?(?:(?:url|u|src|target)=)?(https?(?::|%3A).+)$", re.I)


def unwrap_proxy(url: str) -> str:
    """The original URL behind a proxy wrapper (repeatedly), or `url` unchanged."""
    for _ in range(3):
        match = _WRAPPED.match(url)
        if not match:
            break
        inner = match.group(1)
        url = unquote(inner) if inner[:8].lower().startswith(("http%3a", "https%3a")) else inner
    return url


def absolute(base: str, href: str | None) -> str | None:
    """`href` resolved against `base`; None for empty, javascript: and data: links."""
    if not href:
        return None
    href = href.strip()
    if not href or href.lower().startswith(("javascript:", "data:", "mailto:", "#")):
        return None
    url = urljoin(base, href)
    return url if urlsplit(url).scheme in ("http", "https") else None
