"""The links a spider follows: Scrapy's LinkExtractor, with hosts matched by name alone.

`LinkExtractor(allow_domains=...)` compares a link's host with its port attached, so on a site
served from `http://127.0.0.1:8765/` or `http://mirror.example:8080/` no link ever matched.
Here the host is compared without its port (`crawler.urls.on_hosts`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlparse

from scrapy.http import Response, TextResponse
from scrapy.link import Link
from scrapy.linkextractors import IGNORED_EXTENSIONS, LinkExtractor
from scrapy.utils.misc import arg_to_iter

from crawler.urls import on_hosts


class SiteLinks:
    """The unique links of a page that point to `hosts` (and their subdomains, with
    `subdomains`; `www.` or not, with `www`). Other arguments go to LinkExtractor (`deny`...)."""

    def __init__(self, hosts: Iterable[str], *, subdomains: bool = True, www: bool = False,
                 **extractor: Any) -> None:
        self.hosts = tuple(hosts)
        self.subdomains = subdomains
        self.www = www
        # The extensions not followed, in one `endswith` (LinkExtractor tries them one by one,
        # a hundred for every link of every page).
        deny = extractor.pop("deny_extensions", None)
        self.deny_extensions = tuple("." + e for e in arg_to_iter(IGNORED_EXTENSIONS if deny is None else deny))
        self.extractor = LinkExtractor(unique=True, deny_extensions=(), **extractor)

    def owns(self, url: str) -> bool:
        return on_hosts(url, self.hosts, subdomains=self.subdomains, www=self.www)

    def extract_links(self, response: Response) -> list[Link]:
        return [link for link in self.extractor.extract_links(response) if self.owns(link.url)
                and not (self.deny_extensions and urlparse(link.url).path.lower().endswith(self.deny_extensions))]


def page_of(response: TextResponse) -> tuple[bytes, str, str, type[TextResponse]]:
    """What a worker process needs to rebuild a page (a Response does not pickle)."""
    return response.body, response.url, response.encoding, type(response)


def links_in(body: bytes, url: str, encoding: str, kind: type[TextResponse], links: SiteLinks) -> list[Link]:
    """The links of a page rebuilt from `page_of`: work for a worker process."""
    return links.extract_links(kind(url, body=body, encoding=encoding))
