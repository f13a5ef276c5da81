"""Do not fetch again an article page that is already archived (listings are always fetched).

Requests a spider marks `meta["article"] = True` are checked against the state store's URLs,
by canonical URL. `-s REFRESH=1` (or `request.meta["refresh"]`) fetches them anyway.
"""

from __future__ import annotations

from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request

from crawler.extensions import required
from crawler.extensions.state import CrawlState
from crawler.sites import host_aliases
from crawler.urls import canonical_url


class KnownArticlesMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.store = required(crawler, CrawlState).store
        self.stats = crawler.stats
        self.refresh = crawler.settings.getbool("REFRESH")
        self.aliases = host_aliases()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> KnownArticlesMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        if not request.meta.get("article") or self.refresh or request.meta.get("refresh"):
            return
        if self.store.known_url(canonical_url(request.url, self.aliases)):
            self.stats.inc_value("dedupe/known_article_skipped")
            raise IgnoreRequest(f"already archived: {request.url}")
