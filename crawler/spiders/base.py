"""The crawl flow every site spider inherits: listings to article pages, one item per article."""

from __future__ import annotations

import asyncio
import gzip
import sys
import uuid
import zlib
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime
from functools import cached_property, partial
from typing import Any, Self, TypeVar

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.conf import build_component_list
from scrapy.utils.misc import load_object
from twisted.internet.error import DNSLookupError, TCPTimedOutError, TimeoutError
from twisted.python.failure import Failure

from crawler.downloader.redirects import RedirectLoop
from crawler.extensions.state import CrawlState
from crawler.extract import EMPTY, Extraction
from crawler.extract.mediatype import page_type
from crawler.extract.pool import ProcessPool, TaskFailed, TaskTimeout, WorkerCrashed
from crawler.items import Article, attach_prepared
from crawler.pipelines.dedupe import DedupePipeline, dedupe_config
from crawler.pipelines.normalize import NormalizePipeline
from crawler.reading import Plan, Reading, lines_cut, read_article
from crawler.sites import host_aliases
from crawler.sites.base import HTML_TYPES, Site
from crawler.spiders.links import SiteLinks
from crawler.spiders.pagework import links_in, page_of
from crawler.urls import canonical_url

T = TypeVar("T")

# Failure kinds, as the stats name them (errors/<kind>).
_KINDS = (
    ((RedirectLoop,), "redirect_loop"),
    ((zlib.error, gzip.BadGzipFile, EOFError), "corrupt_encoding"),  # a body that does not decompress
    ((DownloadTimeoutError, TimeoutError, TCPTimedOutError), "timeout"),
    ((CannotResolveHostError, DNSLookupError), "dns"),
    ((DownloadConnectionRefusedError,), "connection_refused"),
    ((ResponseDataLossError,), "data_loss"),
    ((DownloadFailedError,), "download_failed"),
    ((DownloadCancelledError,), "too_large"),  # its Content-Length, or its body so far, over DOWNLOAD_MAXSIZE
)
# Requests Scrapy's middlewares give up on, known by their messages (they share IgnoreRequest).
_IGNORED = (("max redirections reached", "redirect_limit"), ("exceeded DOWNLOAD_MAXSIZE", "too_large"))
PARSE_PAGES = ("heavy", "all")  # which pages the worker processes read (PARSE_PAGES)
# What the page workers' fork server imports once, before it forks them: the modules of the work sent.
_PRELOAD = ("crawler.spiders.pagework",)
# The page worker pools of this process, by size, with the spiders using each (by id).
_POOLS: dict[int, tuple[ProcessPool, set[int]]] = {}
_SWITCH_INTERVAL: list[float] = []  # the interpreter's own, while pools run with a shorter one


def _hand_over_sooner(interval: float) -> None:
    """While page workers run, the GIL passes from the event loop to a waiting thread within
    `interval` seconds (PARSE_SWITCH_INTERVAL) instead of the interpreter's 5 ms: a pool's
    threads take each page's result and hand its worker the next page, and a worker waits idle
    until they get the GIL."""
    if interval > 0 and not _SWITCH_INTERVAL:
        _SWITCH_INTERVAL.append(sys.getswitchinterval())
        sys.setswitchinterval(min(interval, _SWITCH_INTERVAL[0]))



class ArticleSpider(scrapy.Spider):
    """Shared by the site spiders and `generic`: article pages to items, failures counted."""

    site: Site | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        pages = crawler.settings.get("PARSE_PAGES")
        if pages not in PARSE_PAGES:
            raise ValueError(f"PARSE_PAGES={pages!r}: one of {', '.join(PARSE_PAGES)}")
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.start_page_pool, signal=signals.spider_opened)
        crawler.signals.connect(spider.stop_page_pool, signal=signals.spider_closed)
        return spider

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
            normalization={"lines_cut": lines_cut(extraction)},
            **fields,
        )

    async def parse_article(self, response: Response) -> AsyncIterator[Article]:
        """An article page to its item; a page with no article body is logged and counted."""
        if not self.parsable(response):
            return
        reading = await self.read_page(response)
        if reading is None:
            return
        if not reading.extraction.has_body:
            self.no_article(response, reading.extraction)
            return
        yield self.article_from(response, reading)

    def parsable(self, response: Response) -> bool:
        """Whether a page expected to be an article is one to parse: a whole response (one
        truncated, by a connection cut, a broken chunked stream or a body shorter than its
        Content-Length, is archived as it came but not exported, and its URL stays unknown, so
        the next run fetches it again) of the site's article media types (a PDF or an image at
        an article URL is archived and counted, not exported)."""
        stats = self.crawler.stats
        if "dataloss" in response.flags:
            stats.inc_value("article/truncated")
            self.give_up(response.url, "truncated", f"{len(response.body)} bytes arrived; fetched again next run")
            return False
        kind = page_type(response.headers.get("Content-Type"), response.body)
        if kind not in (self.site.article_types if self.site else HTML_TYPES):
            stats.inc_value(f"article/not_article_type/{kind}")
            self.logger.warning("not an article page: %s is %s (archived, not parsed)", response.url, kind)
            return False
        limit = self.settings.getint("MAX_ARTICLE_BYTES")
        if limit and len(response.body) > limit:
            self.give_up(response.url, "too_large_to_parse", f"{len(response.body)} bytes, over MAX_ARTICLE_BYTES")
            return False
        return True

    @cached_property
    def reading_plan(self) -> Plan:
        """What is prepared for the item pipelines where a page is read (crawler.reading): the
        normalized fields if the normalize pipeline runs, the fingerprints if dedupe does."""
        settings = self.settings
        pipelines = {load_object(p) if isinstance(p, str) else p
                     for p in build_component_list(settings.getwithbase("ITEM_PIPELINES"))}
        dedupe = DedupePipeline in pipelines and settings.getbool("DEDUPE_ENABLED")
        state = self.crawler.get_extension(CrawlState) if dedupe else None
        config = dedupe_config(settings, state.store if state is not None else None) if dedupe else None
        return Plan(normalize=NormalizePipeline in pipelines, dedupe=config)

    def reader(self, response: Response) -> Callable[[], Reading]:
        """The work of reading a page (extracting it, preparing an article's pipeline work):
        a function of its bytes, to run on the spot or in a worker process."""
        return partial(read_article, response.body, response.url, site=self.site,
                       content_type=response.headers.get("Content-Type"), plan=self.reading_plan, spider=self.name,
                       page_text=False)

    async def read_page(self, response: Response) -> Reading | None:
        """The page read, off the reactor, how it was decoded counted. None when the page was
        given up on (over its time budget, its worker died)."""
        return self.counted(await self.off_reactor(response, self.reader(response)), response)

    def counted(self, reading: Reading | None, response: Response) -> Reading | None:
        """A page's reading, how it was decoded counted (and logged, where characters were lost)."""
        if reading is None:
            return None
        stats = self.crawler.stats
        decoded = reading.extraction.decoded
        stats.inc_value(f"article/decoded_by/{decoded.evidence}")
        if decoded.replacements:
            stats.inc_value("article/undecodable_chars", decoded.replacements)
            self.logger.warning("%d undecodable characters replaced with U+FFFD on %s (read as %s)",
                                decoded.replacements, response.url, decoded.encoding)
        if decoded.mixed:
            stats.inc_value("article/mixed_encoding_bytes", decoded.mixed)
        if decoded.nuls:
            stats.inc_value("article/nul_chars_dropped", decoded.nuls)
        return reading

    async def off_reactor(self, response: Response, work: Callable[[], T]) -> T | None:
        """Run CPU-heavy work on a page (extraction, link extraction) in a worker process when
        PARSE_PAGES says so (`heavy`: pages over PARSE_HEAVY_BYTES; `all`: every page), so a slow
        page delays only itself, not every request in flight (a thread would not: lxml holds
        the GIL). None when the page is given up on: over PARSE_TIME_BUDGET seconds
        (errors/parse_timeout, its worker killed and replaced), its worker died
        (errors/parse_crashed), or the work raised (errors/parse_error). Other pages are read
        on the spot, in the order they arrived, which keeps a crawl's filing order
        reproducible. `work` must pickle: a function of the page's bytes, not of the Response."""
        if not self.in_pool(response) or self.while_pool_starts(response):
            return work()
        url = response.url
        budget = self.settings.getfloat("PARSE_TIME_BUDGET")
        try:
            return await asyncio.to_thread(self.page_pool.run, work, timeout=budget or None)
        except TaskTimeout as timeout:
            self.give_up(url, "parse_timeout", f"over PARSE_TIME_BUDGET={budget:g} s: {timeout}")
        except WorkerCrashed as crash:
            self.give_up(url, "parse_crashed", str(crash))
        except TaskFailed as failed:
            self.logger.error("reading %s failed in its worker process:\n%s", url, failed)
            self.give_up(url, "parse_error")
        return None

    def in_pool(self, response: Response) -> bool:
        """Whether this page's CPU work goes to the worker processes (PARSE_PROCESSES, PARSE_PAGES)."""
        settings = self.settings
        if settings.getint("PARSE_PROCESSES") < 1:
            return False
        return settings.get("PARSE_PAGES") == "all" or self.heavy(response)

    def heavy(self, response: Response) -> bool:
        """Whether a page is over PARSE_HEAVY_BYTES: read in a worker, within its time budget."""
        return len(response.body) > self.settings.getint("PARSE_HEAVY_BYTES")

    def while_pool_starts(self, response: Response) -> bool:
        """Whether a page for the workers is read here because they are still starting: a
        light one is (the crawl's first pages do not wait a second for the fork server's
        imports); a heavy one waits for them, its time budget kept."""
        return self.page_pool.starting and not self.heavy(response)

    def start_page_pool(self) -> None:
        """With every page for the workers (PARSE_PAGES=all), start them as the spider opens."""
        if self.settings.getint("PARSE_PROCESSES") >= 1 and self.settings.get("PARSE_PAGES") == "all":
            self.page_pool.start()

    @property
    def page_pool(self) -> ProcessPool:
        """The worker processes, made on first use and stopped when the last spider using them
        closes: one pool in a process, for every spider in it (`crawlall` runs them all)."""
        size = self.settings.getint("PARSE_PROCESSES")
        if size not in _POOLS:
            if not _POOLS:
                _hand_over_sooner(self.settings.getfloat("PARSE_SWITCH_INTERVAL"))
            _POOLS[size] = (ProcessPool(size, preload=_PRELOAD), set())
        pool, users = _POOLS[size]
        users.add(id(self))
        return pool

    def stop_page_pool(self) -> None:
        for size, (pool, users) in list(_POOLS.items()):
            users.discard(id(self))
            if not users:
                pool.close()
                del _POOLS[size]
        if not _POOLS and _SWITCH_INTERVAL:
            sys.setswitchinterval(_SWITCH_INTERVAL.pop())

    async def page_links(self, response: Response, links: SiteLinks) -> list[str]:
        """A page's links, extracted off the reactor, at most MAX_LINKS_PER_PAGE of them (a page
        cut short is counted: links/capped_pages, links/dropped)."""
        if not isinstance(response, TextResponse):
            return []
        return self.capped(response, await self.off_reactor(response, partial(links_in, *page_of(response), links)))

    def capped(self, response: Response, found: list[str] | None) -> list[str]:
        """At most MAX_LINKS_PER_PAGE of a page's links (more are counted and logged)."""
        found = found or []
        cap = self.settings.getint("MAX_LINKS_PER_PAGE")
        if cap and len(found) > cap:
            self.crawler.stats.inc_value("links/capped_pages")
            self.crawler.stats.inc_value("links/dropped", len(found) - cap)
            self.logger.warning("%s has %d links: following the first %d (MAX_LINKS_PER_PAGE)",
                                response.url, len(found), cap)
            found = found[:cap]
        return found

    def give_up(self, url: str, reason: str, detail: str = "") -> None:
        """A page lost to this run: counted by reason (errors/<reason>) and logged."""
        self.crawler.stats.inc_value(f"errors/{reason}")
        self.logger.warning("giving up on %s: %s%s", url, reason, f" ({detail})" if detail else "")

    def article_from(self, response: Response, reading: Reading) -> Article:
        """The item of a page found to be an article, carrying what was prepared for the
        pipelines; the lines cut and the method counted."""
        stats = self.crawler.stats
        extraction = reading.extraction
        for reason, _line in extraction.dropped:
            stats.inc_value(f"article/cut_lines/{reason}")
        stats.inc_value(f"article/method/{extraction.method}")
        return attach_prepared(self.article_item(response, extraction), reading.prepared)

    def no_article(self, response: Response, extraction: Extraction, why: str = "no article body") -> None:
        self.crawler.stats.inc_value("article/no_body")
        if extraction.method == EMPTY:  # nothing was read from it: said once, here
            self.crawler.stats.inc_value("article/empty_page")
            why = "an empty page, no article body"
        self.logger.warning("%s found on %s (%s, %d bytes)", why, response.url,
                            extraction.method, len(response.body))

    def on_error(self, failure: Failure) -> None:
        """A failed request (after retries): counted by kind, the crawl goes on."""
        request = getattr(failure, "request", None)
        ignored = next((kind for text, kind in _IGNORED if failure.check(IgnoreRequest)
                        and text in str(failure.value)), None)
        if failure.check(HttpError):  # before IgnoreRequest, which HttpError subclasses
            kind = f"http_{failure.value.response.status}"
        elif ignored:
            kind = ignored
        elif failure.check(IgnoreRequest) and not failure.check(RedirectLoop):
            # Not a failure: robots.txt forbids it, or it is an article already archived.
            self.logger.debug("not fetched: %s (%s)", request.url if request else "?", failure.value)
            return
        else:
            kind = next((name for types, name in _KINDS if failure.check(*types)),
                        failure.type.__name__ if failure.type else "unknown")
        self.give_up(request.url if request else "?", kind)


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

    async def parse(self, response: Response, **kwargs: Any) -> AsyncIterator[scrapy.Request]:
        """A listing page: its article links and the listings it links to (pagination)."""
        for url in await self.page_links(response, self.links):
            request = self.request_for(url)
            if request is not None:
                yield request
