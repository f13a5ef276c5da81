"""URL helpers shared by extraction and the crawl."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from functools import lru_cache
from urllib.parse import parse_qsl, unquote, urlencode, urljoin, urlsplit, urlunsplit

from w3lib.url import safe_url_string

# Query parameters that say how a reader arrived, not what they read.
TRACKING_PARAMS = re.compile(
    r"^(?:utm_\w+|spm|from|source|share_?\w*|sharer?|fbclid|gclid|yclid|mc_[ce]id|wxshare\w*|"
    r"scene|isappinstalled|timestamp|_t|t|s_trans|sudaref|winzoom|ref|referer|clickid)$", re.I)
_DEFAULT_PORTS = {"http": 80, "https": 443}

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


# A crawl asks about the same links again and again (every page links to the site's sections and
# latest articles): the answers of these pure functions are kept for the most recent URLs.
RECENT_URLS = 16384


class HostAliases(Mapping[str, str]):
    """Host aliases (other host → the host pages are filed under) that hash, made once: the
    canonical form of a URL is kept by URL and aliases, and a crawl asks for it for every link."""

    __slots__ = ("_hash", "_hosts")

    def __init__(self, aliases: Mapping[str, str] | Iterable[tuple[str, str]] = ()) -> None:
        self._hosts = dict(aliases)
        self._hash = hash(frozenset(self._hosts.items()))

    def __getitem__(self, host: str) -> str:
        return self._hosts[host]

    def __iter__(self) -> Iterator[str]:
        return iter(self._hosts)

    def __len__(self) -> int:
        return len(self._hosts)

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Mapping) and dict(self.items()) == dict(other.items())


@lru_cache(maxsize=RECENT_URLS)
def host_of(url_or_host: str) -> str:
    """The host name alone, lower-cased: no scheme, user, port or trailing dot
    (`http://WWW.Example.cn:8080/x` → `www.example.cn`)."""
    text = url_or_host.strip()
    netloc = urlsplit(text if "//" in text else f"//{text}").hostname or ""
    return netloc.rstrip(".")


def on_hosts(url: str, hosts: Iterable[str], *, subdomains: bool = True, www: bool = False) -> bool:
    """Whether `url` is on one of `hosts`, whatever the port on either side (a mirror or a staging
    host on `:8765` is the same site); with `subdomains`, on a subdomain of one too; with `www`,
    `www.example.cn` and `example.cn` are one host."""
    host = host_of(url)
    if not host:
        return False
    if www:
        host = host.removeprefix("www.")
    for name in hosts:
        name = host_of(name)
        if www:
            name = name.removeprefix("www.")
        if host == name or (subdomains and host.endswith("." + name)):
            return True
    return False


def canonical_url(url: str, aliases: Mapping[str, str] | None = None) -> str:
    """One spelling per page: proxy unwrapped, scheme and host lower-cased, host aliases of one
    site folded (`m.xomn.cn` → `www.ahcaijing.com`), default port, fragment and tracking
    parameters removed, remaining parameters sorted, non-ASCII percent-encoded; `https` and
    `http` are one page."""
    return _canonical_url(url, aliases if isinstance(aliases, HostAliases) else HostAliases(aliases or {}))


@lru_cache(maxsize=RECENT_URLS)
def _canonical_url(url: str, aliases: HostAliases) -> str:
    url = unwrap_proxy(safe_url_string(url.strip(), encoding="utf-8"))
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    host = aliases.get(host, host)
    port = parts.port
    netloc = host if port in (None, _DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"
    query = urlencode(sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                             if not TRACKING_PARAMS.match(k)))
    path = parts.path or "/"
    return urlunsplit(("http" if scheme in ("http", "https") else scheme, netloc, path, query, ""))
