"""The crawl flow every site spider inherits: listings to article pages, one item per article."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime
from typing import Any

import scrapy
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import DNSLookupError, TCPTimedOutError, TimeoutError
from twisted.python.failure import Failure

from crawler.extract import Extraction, extract
from crawler.items import Article
from crawler.sites import host_aliases
from crawler.sites.base import Site
from crawler.spiders.links import SiteLinks
from crawler.urls import canonical_url

# Failure kinds, as the stats name them (errors/<kind>).
_KINDS = (
    ((DownloadTimeoutError, TimeoutError, TCPTimedOutError), "timeout"),
    ((CannotResolveHostError, DNSLookupError), "dns"),
    ((DownloadConnectionRefusedError,), "connection_refused"),
    ((ResponseDataLossError,), "data_loss"),
    ((DownloadFailedError,), "download_failed"),
)



class ArticleSpider(scrapy.Spider):
    """Shared by the site spiders and `generic`: article pages to items, failures counted."""

    site: Site | None = None

    def article_item(self, response: Response, extraction: Extraction) -> Article:
        fields = extraction.fields
        return Article(
            id=uuid.uuid4().hex,  # one per copy fetched: a story's copies are records of their own
            url=response.url,
            canonical_url=canonical_url(response.url, host_aliases()),
            site=extraction.site or self.name,
            fetched_at=datetime.now(UTC).isoformat(timespec="seconds"),
            warc=None,  # stamped by crawler.spidermiddlewares.warc.WarcLocatorMiddleware
            # What extraction cut, by reason; the normalize pipeline adds what it changed.
            normalization={"lines_cut": dict(Counter(reason for reason, _line in extraction.dropped))},
            **fields,
        )

    def parse_article(self, response: Response) -> Iterator[Article]:
        """An article page to its item; a page with no article body is logged and counted."""
        extraction = self.read_page(response)
        if not extraction.has_body:
            self.no_article(response, extraction)
            return
        yield self.article_from(response, extraction)

    def read_page(self, response: Response) -> Extraction:
        """The page extracted, how it was decoded counted."""
        stats = self.crawler.stats
        extraction = extract(response.body, response.url, site=self.site,
                             content_type=response.headers.get("Content-Type"))
        stats.inc_value(f"article/decoded_by/{extraction.decoded.evidence}")
        if extraction.decoded.replacements:
            stats.inc_value("article/undecodable_chars", extraction.decoded.replacements)
        return extraction

    def article_from(self, response: Response, extraction: Extraction) -> Article:
        """The item of a page found to be an article; the lines cut and the method counted."""
        stats = self.crawler.stats
        for reason, _line in extraction.dropped:
            stats.inc_value(f"article/cut_lines/{reason}")
        stats.inc_value(f"article/method/{extraction.method}")
        return self.article_item(response, extraction)

    def no_article(self, response: Response, extraction: Extraction, why: str = "no article body") -> None:
        self.crawler.stats.inc_value("article/no_body")
        self.logger.warning("%s found on %s (%s, %d bytes)", why, response.url,
                            extraction.method, len(response.body))

    def on_error(self, failure: Failure) -> None:
        """A failed request (after retries): counted by kind, the crawl goes on."""
        request = getattr(failure, "request", None)
        if failure.check(HttpError):  # before IgnoreRequest, which HttpError subclasses
            kind = f"http_{failure.value.response.status}"
        elif failure.check(IgnoreRequest):
            # Not a failure: robots.txt forbids it, or it is an article already archived.
            self.logger.debug("not fetched: %s (%s)", request.url if request else "?", failure.value)
            return
        else:
            kind = next((name for types, name in _KINDS if failure.check(*types)),
                        failure.type.__name__ if failure.type else "unknown")
        self.crawler.stats.inc_value(f"errors/{kind}")
        self.logger.warning("giving up on %s: %s", request.url if request else "?", kind)


class SiteSpider(ArticleSpider):
    """A spider for one declared `Site`: follows its listings, parses its article pages.

    Arguments: `-a since=YYYY-MM-DD` skips listings and articles whose URL dates them earlier
    (e-papers link each issue to the one before, back for years).
    """

    site: Site

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # On the class: `scrapy shell URL` and `scrapy parse URL` find a spider by it.
        if getattr(cls, "site", None) is not None:
            cls.allowed_domains = list(cls.site.domains)

    def __init__(self, *args: Any, since: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.allowed_domains = list(self.site.domains)
        self.since = date.fromisoformat(since) if since else None
        self.links = SiteLinks(self.site.hosts)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.site.start_urls:
            yield self.request_for(url) or scrapy.Request(url, self.parse, errback=self.on_error)

    def too_old(self, url: str) -> bool:
        day = self.site.date_in_url(url)
        return bool(self.since and day and day < self.since)

    def request_for(self, url: str) -> scrapy.Request | None:
        if self.too_old(url):
            return None
        if self.site.is_article(url):
            return scrapy.Request(url, self.parse_article, errback=self.on_error, meta={"article": True})
        if self.site.is_listing(url):
            return scrapy.Request(url, self.parse, errback=self.on_error)
        return None

    def parse(self, response: Response, **kwargs: Any) -> Iterator[scrapy.Request]:
        """A listing page: its article links and the listings it links to (pagination)."""
        if not hasattr(response, "text"):
            return
        for link in self.links.extract_links(response):
            request = self.request_for(link.url)
            if request is not None:
                yield request
