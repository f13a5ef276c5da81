"""The links a spider follows: the URLs of a page's `<a href>` and `<area href>`, resolved as
Scrapy's LinkExtractor resolves them, on the spider's hosts (matched by name alone), without
the extensions not worth fetching, each once.

Scrapy's `LinkExtractor(allow_domains=...)` compares a link's host with its port attached, so on
a site served from `http://127.0.0.1:8765/` or `http://mirror.example:8080/` no link ever
matched; here the host is compared without its port (`crawler.urls.on_hosts`). And it costs
more than the rest of a page's crawl: for each of the hundred-odd links of a news page, a join,
a `safe_url_string`, four URL parses and a canonical form, and the link's text collected. Here
a page's links are each resolved once (a page names its sections several times), and what
follows from a resolved URL (its safe form, whether it is followed) is kept for
the most recent URLs, since every page of a site links to its sections and latest articles.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from urllib.parse import urljoin, urlsplit

from scrapy.http import TextResponse
from scrapy.linkextractors import IGNORED_EXTENSIONS
from scrapy.utils.misc import arg_to_iter
from w3lib.html import get_base_url, strip_html5_whitespace
from w3lib.url import safe_url_string

from crawler.discover.feeds import is_feed_link
from crawler.extract.html import Outlinks, outlinks_of
from crawler.urls import RECENT_URLS, on_hosts

# An href whose join takes only the base's origin: rooted (`/x`), or with a host of its own
# (`//host/x`, `http://host/x`). Not `http://#` nor `///x`: they take the base's path too.
_ORIGIN_ONLY = re.compile(r"(?:[a-zA-Z][a-zA-Z0-9+.-]*:)?//[^/?#]|/(?!/)")
_SCHEMES = frozenset({"http", "https", "file", "ftp"})  # what LinkExtractor follows


class SiteLinks:
    """The unique links of a page that point to `hosts` (and their subdomains, with
    `subdomains`; `www.` or not, with `www`), but for `deny_extensions` (LinkExtractor's
    IGNORED_EXTENSIONS: images, archives, documents...)."""

    def __init__(self, hosts: Iterable[str], *, subdomains: bool = True, www: bool = False,
                 deny_extensions: Iterable[str] | None = None) -> None:
        deny = IGNORED_EXTENSIONS if deny_extensions is None else deny_extensions
        self.rule = _Rule(tuple(hosts), subdomains, www, tuple("." + e for e in arg_to_iter(deny)))

    def owns(self, url: str) -> bool:
        return on_hosts(url, self.rule.hosts, subdomains=self.rule.subdomains, www=self.rule.www)

    def extract_urls(self, response: TextResponse) -> list[str]:
        """The page's links to follow, in page order, each once."""
        return self.page_links(response)[0]

    def page_links(self, response: TextResponse) -> tuple[list[str], list[str]]:
        """The page's links to follow (`extract_urls`), and the URLs of its `<a>` links that
        name a feed on these hosts (`is_feed_link`), in page order, each once: one pass over
        the page's links for both."""
        return self.links_of(outlinks_of(response.selector.root, response.text), response.url, response.encoding)

    def links_of(self, outlinks: Outlinks, url: str, encoding: str) -> tuple[list[str], list[str]]:
        """`page_links` of a page already parsed (by extraction, say): its `Outlinks`, its URL and
        the encoding its links' queries are written in."""
        base = base_of(outlinks, url, encoding)
        scheme = url.partition(":")[0]
        origin = _origin(base)
        found: list[str] = []
        feeds: list[str] = []
        urls: set[str] = set()
        for tag, raw in outlinks.anchors:
            if tag == "a" and is_feed_link(raw) and self.owns(feed := urljoin(base, raw)):
                feeds.append(feed)
            href = strip_html5_whitespace(raw)
            followed = _followed(self.rule, origin if _ORIGIN_ONLY.match(href) else base, href, encoding, scheme)
            if followed is not None and followed not in urls:
                urls.add(followed)
                found.append(followed)
        return found, list(dict.fromkeys(feeds))


def base_of(outlinks: Outlinks, url: str, encoding: str) -> str:
    """The URL a page's relative links join to, as Scrapy's `get_base_url` finds it."""
    return get_base_url(outlinks.head, url, encoding)


class _Rule:
    """What decides whether a resolved link is followed. It keys the cache of every link of
    every page: its hash is taken once (per process: `__reduce__` makes it anew in a worker)."""

    __slots__ = ("_hash", "deny_extensions", "hosts", "subdomains", "www")

    def __init__(self, hosts: tuple[str, ...], subdomains: bool, www: bool, deny_extensions: tuple[str, ...]) -> None:
        self.hosts, self.subdomains, self.www, self.deny_extensions = hosts, subdomains, www, deny_extensions
        self._hash = hash(self._fields())

    def _fields(self) -> tuple:
        return self.hosts, self.subdomains, self.www, self.deny_extensions

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Rule) and self._fields() == other._fields()

    def __reduce__(self) -> tuple:
        return _Rule, self._fields()


# Kept in the module, not on a SiteLinks: a page worker is sent a new copy with every page, and
# what one page resolved serves the next one's links.
@lru_cache(maxsize=RECENT_URLS)
def _followed(rule: _Rule, base: str, href: str, encoding: str, scheme: str) -> str | None:
    """A link's URL as LinkExtractor makes it, or None where `rule` (a SiteLinks' hosts,
    subdomains, www, denied extensions) does not follow it; `scheme` is the page's, which the
    last join of an absolute URL depends on."""
    hosts, subdomains, www, deny_extensions = rule._fields()
    try:
        url = safe_url_string(urljoin(base, href), encoding=encoding)
    except ValueError:
        return None  # a bogus link
    url = urljoin(f"{scheme}://", url) if url.startswith(f"{scheme}:") else url
    if url.split("://", 1)[0] not in _SCHEMES or not on_hosts(url, hosts, subdomains=subdomains, www=www):
        return None
    if deny_extensions and urlsplit(url).path.lower().endswith(deny_extensions):
        return None
    return url


def _origin(base: str) -> str:
    """`scheme://netloc/` of a base URL: all that a rooted or absolute href's join takes of it."""
    parts = urlsplit(base)
    return f"{parts.scheme}://{parts.netloc}/" if parts.netloc else base
