"""`scrapy crawl generic -a start_url=URL`: the articles of a site no spider knows yet.

Arguments (all optional but `start_url`, which a `feed` or `sitemap` can stand in for):

- `allow=REGEX`: URLs (path and query) that are the article pages; without it, any page may
  be one, and extraction decides (`crawler.extract.kind`). `deny=REGEX`: URLs not to fetch.
- `feed=URL[,URL]`, `sitemap=URL[,URL]`: discovery sources besides the ones the site
  publishes: `Sitemap:` lines of its robots.txt (else `/sitemap.xml`), sitemap indexes, gzipped
  sitemaps, Google News sitemaps, and the RSS/Atom feeds its pages link to.
- `since=YYYY-MM-DD`: skip items a feed or a sitemap dates earlier, pages whose URL does, and
  articles that say they were published earlier.
- `depth=N` (4), `max_pages=N` (1000): the bounds (`crawler.discover.bounds`, with the spider
  traps they stop), each counted when hit (`generic/bounds/<reason>`).

Hosts are matched without the port, `www.` or not. Every page within the bounds is fetched and
extracted: an article is exported, a listing followed, both counted (`generic/page/<kind>`,
`article/no_body`). URLs that look like articles (a long number or a date, or a pattern the
articles found so far share) are fetched first. At the end, what the crawl learned is written
as a site declaration to `OUTPUT_DIR/sites/<host>.py` and logged (`crawler.discover.patterns`).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import scrapy
from scrapy.http import HtmlResponse, Response, XmlResponse
from scrapy.utils.gz import gunzip, gzip_magic_number
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots

from crawler.discover.bounds import Bounds
from crawler.discover.dates import parse_day
from crawler.discover.feeds import feed_entries
from crawler.discover.patterns import PatternLearner, site_declaration
from crawler.durable import write_atomic
from crawler.extract.kind import ARTICLE, LISTING, NO_BODY, Verdict, judge
from crawler.reading import Reading
from crawler.sites import host_aliases
from crawler.spiders.base import ArticleSpider
from crawler.spiders.links import SiteLinks
from crawler.spiders.pagework import page_of, page_work
from crawler.urls import canonical_url, host_of

_ARTICLE_LIKE = re.compile(r"(?:\d{5,}|(?:19|20)\d{2}[-/_]?\d{2}[-/_]?\d{2}).*\.(?:s?html?|asp|php|aspx|jsp)"
                           r"(?:\?|$)|/(?:content|article|detail|show)[_/-]?\d+", re.I)
_NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"
# Request priorities: discovery documents, then pages that look like articles, then the rest.
_DISCOVERY, _ARTICLE, _PAGE = 20, 10, 0


class NewsSitemap(Sitemap):
    """Scrapy's sitemap parser, keeping what a Google News sitemap adds to an entry
    (`news:publication_date`, `news:title`) as `news_publication_date`, `news_title`."""

    __slots__ = ()

    def _process_sitemap_element(self, elem: Any) -> dict[str, Any] | None:
        news = {f"news_{el.tag[len(_NEWS):]}": (el.text or "").strip()
                for el in elem.iter() if isinstance(el.tag, str) and el.tag.startswith(_NEWS)}
        entry = super()._process_sitemap_element(elem)
        if entry is not None:
            entry.update(news)
        return entry


class GenericSpider(ArticleSpider):
    name = "generic"

    def __init__(self, *args: Any, start_url: str | None = None, allow: str | None = None,
                 deny: str | None = None, feed: str | None = None, sitemap: str | None = None,
                 since: str | None = None, depth: str | int = 4, max_pages: str | int = 1000,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.feeds = _urls(feed)
        self.sitemaps = _urls(sitemap)
        start = start_url or next(iter(self.feeds + self.sitemaps), None)
        if not start:
            raise ValueError("generic needs -a start_url=URL (or -a feed=URL, -a sitemap=URL)")
        self.start_urls = [start_url] if start_url else []
        self.host = host_of(start)
        self.allowed_domains = [self.host.removeprefix("www.")]
        self.allow = re.compile(allow) if allow else None
        self.since = date.fromisoformat(since) if since else None
        self.bounds = Bounds(depth=int(depth), max_pages=int(max_pages), since=self.since,
                             deny=Bounds.deny + ((deny,) if deny else ()))
        self.links = SiteLinks([self.host], subdomains=False, www=True)
        self.learned = PatternLearner()
        self.seen: set[str] = set()  # canonical URLs requested
        # The links as written whose canonical URL is in `seen`: every page names its site's
        # sections and latest articles again, and each is then told apart without canonicalizing it.
        self.seen_as: set[str] = set()
        self.refused: set[tuple[str, str]] = set()

    # --- requests -----------------------------------------------------------------------
    async def start(self) -> AsyncIterator[scrapy.Request]:
        for request in self._first_requests():
            yield request

    def _first_requests(self) -> Iterator[scrapy.Request]:
        for url in self.start_urls:
            request = self.page_request(url, 0)
            if request is not None:
                yield request
        for url in self.feeds:
            yield from self.discovery(url, self.parse_feed)
        for url in self.sitemaps:
            yield from self.discovery(url, self.parse_sitemap)
        # The sitemaps the site itself names.
        if self.start_urls:
            parts = urlsplit(self.start_urls[0])
            yield from self.discovery(urlunsplit((parts.scheme, parts.netloc, "/robots.txt", "", "")),
                                      self.parse_robots)

    def discovery(self, url: str, callback: Any) -> Iterator[scrapy.Request]:
        """A feed, a sitemap or robots.txt, on any host: fetched once, first, within the bounds
        (a sitemap index of thousands of sitemaps counts against `max_pages` too)."""
        key = canonical_url(url, host_aliases())
        if key in self.seen or self._refused(key, self.bounds.refuse(url, 0)):
            return
        self.seen.add(key)
        self.crawler.stats.inc_value("generic/discovery/requested")
        yield scrapy.Request(url, callback, errback=self.discovery_missing, priority=_DISCOVERY,
                             dont_filter=True)  # dont_filter: past the offsite filter too

    def page_request(self, url: str, level: int, *, listed: bool = False) -> scrapy.Request | None:
        """The request for a page `level` links from the start (a feed's or a sitemap's items:
        `listed`, level 0), or None where it was asked for already or a bound says no."""
        if url in self.seen_as:
            return None
        key = canonical_url(url, host_aliases())
        if not self.links.owns(url):
            return None
        if key in self.seen:
            self.seen_as.add(url)
            return None
        if self._refused(key, self.bounds.refuse(url, level)):
            return None
        self.seen.add(key)
        self.seen_as.add(url)
        hinted = listed or self.looks_like_article(url)
        return scrapy.Request(url, self.parse_page, errback=self.on_error,
                              priority=_ARTICLE if hinted else _PAGE,
                              cb_kwargs={"level": level, "listed": listed},
                              meta={"article": hinted})  # an article already archived is not fetched again

    def looks_like_article(self, url: str) -> bool:
        """A priority hint only: the URL is shaped like the articles found so far, or like one."""
        target = _target(url)
        if self.allow is not None:
            return self.allow.search(target) is not None
        return self.learned.looks_like(url, "article") or _ARTICLE_LIKE.search(target) is not None

    def _refused(self, key: str, reason: str | None) -> bool:
        """Whether a bound refused the URL; counted once per URL and reason (it may still come
        again at a lower level)."""
        if reason and (key, reason) not in self.refused:
            self.refused.add((key, reason))
            self.crawler.stats.inc_value(f"generic/bounds/{reason}")
        return reason is not None

    # --- pages ----------------------------------------------------------------------------
    async def parse_page(self, response: Response, level: int = 0, listed: bool = False,
                         **kwargs: Any) -> AsyncIterator[Any]:
        """Any page: an article when extraction finds one; its links followed either way."""
        stats = self.crawler.stats
        if not isinstance(response, HtmlResponse):
            stats.inc_value("generic/page/not_html")
            if listed or self.looks_like_article(response.url):
                self.parsable(response)  # an article was expected here: its type counted
            return
        read = self.to_read(response)
        found = await self.off_reactor(response, partial(
            page_work, *page_of(response), self.links, self.reader(response) if read else None))
        reading, links, feeds = found or (None, [], [])
        if read and found is not None:
            for item in self.judged(response, listed, self.counted(reading, response)):
                yield item
        for url in feeds:
            for request in self.discovery(url, self.parse_feed):
                yield request
        for url in self.capped(response, links):
            request = self.page_request(url, level + 1)
            if request is not None:
                yield request

    def to_read(self, response: Response) -> bool:
        """Whether the page is read for an article: not where `allow` says it is a listing, and
        only what `parsable` lets through (counted there)."""
        if self.allow is not None and not self.allow.search(_target(response.url)):
            stats = self.crawler.stats
            stats.inc_value("generic/page/listing")  # the user said which pages are articles
            stats.inc_value("generic/page/listing/allow")
            self.learned.add(response.url, LISTING)
            return False
        return self.parsable(response)

    def judged(self, response: Response, listed: bool, reading: Reading) -> Iterator[Any]:
        """The page's item if its reading found an article, by the page rule or, with `allow`,
        by its URL."""
        stats = self.crawler.stats
        extraction = reading.extraction
        if self.allow is not None:
            verdict = Verdict(ARTICLE, "allow") if extraction.has_body else Verdict(NO_BODY, "allow")
        else:
            verdict = judge(extraction)
        stats.inc_value(f"generic/page/{verdict.kind}")
        stats.inc_value(f"generic/page/{verdict.kind}/{verdict.reason}")
        if verdict.is_article:
            if self.bounds.too_old(parse_day(extraction.fields.get("published"))):
                stats.inc_value("generic/bounds/since")
                return
            self.learned.add(response.url, verdict.kind)
            yield self.article_from(response, reading)
        elif verdict.kind == LISTING:
            self.learned.add(response.url, verdict.kind)
        elif listed or self.looks_like_article(response.url):  # an article was expected here
            self.no_article(response, extraction, f"no article body ({verdict.reason})")
        else:
            stats.inc_value("article/no_body")
            self.logger.debug("no article on %s (%s)", response.url, verdict.reason)

    # --- discovery ------------------------------------------------------------------------
    def parse_robots(self, response: Response) -> Iterator[scrapy.Request]:
        named = list(sitemap_urls_from_robots(response.body, base_url=response.url))
        if not named:
            parts = urlsplit(response.url)
            named = [urlunsplit((parts.scheme, parts.netloc, "/sitemap.xml", "", ""))]
        for url in named:
            yield from self.discovery(url, self.parse_sitemap)

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        stats = self.crawler.stats
        body = self.sitemap_body(response)
        if body is None:
            stats.inc_value("generic/sitemap/unreadable")
            self.logger.warning("not a sitemap: %s", response.url)
            return
        sitemap = NewsSitemap(body)
        if sitemap.type == "sitemapindex":
            for entry in sitemap:
                if self.bounds.too_old(parse_day(entry.get("lastmod"))):
                    stats.inc_value("generic/bounds/since")  # nothing in it changed since
                    continue
                yield from self.discovery(entry["loc"], self.parse_sitemap)
            return
        for entry in sitemap:
            stats.inc_value("generic/sitemap/entries")
            day = parse_day(entry.get("news_publication_date") or entry.get("lastmod"))
            yield from self.listed(entry["loc"], day)

    def sitemap_body(self, response: Response) -> bytes | None:
        """The XML of a sitemap response: as served, or gunzipped (`.xml.gz`), as SitemapSpider reads it."""
        if gzip_magic_number(response):
            try:
                return gunzip(response.body, max_size=self.settings.getint("DOWNLOAD_MAXSIZE"))
            except Exception:
                return None
        if isinstance(response, XmlResponse) or response.body.lstrip()[:5] == b"<?xml" or \
                urlsplit(response.url).path.endswith(".xml"):
            return response.body
        return None

    def parse_feed(self, response: Response) -> Iterator[scrapy.Request]:
        stats = self.crawler.stats
        entries = feed_entries(response.body, response.url)
        if entries is None:
            stats.inc_value("generic/feed/unreadable")
            self.logger.warning("not a feed: %s", response.url)
            return
        stats.inc_value("generic/feed/read")
        for entry in entries:
            stats.inc_value("generic/feed/entries")
            yield from self.listed(entry.url, entry.published)

    def listed(self, url: str, day: date | None) -> Iterator[scrapy.Request]:
        """An item a feed or a sitemap lists: a page at level 0, unless dated before `since`."""
        if self.bounds.too_old(day):
            self.crawler.stats.inc_value("generic/bounds/since")
            return
        request = self.page_request(url, 0, listed=True)
        if request is not None:
            yield request

    def discovery_missing(self, failure: Any) -> Iterator[scrapy.Request]:
        """A feed or sitemap that is not there is no error; without robots.txt, /sitemap.xml
        is still tried."""
        self.crawler.stats.inc_value("generic/discovery/missing")
        url = failure.request.url
        self.logger.info("no discovery document at %s: %s", url, failure.value)
        parts = urlsplit(url)
        if parts.path == "/robots.txt":
            yield from self.discovery(urlunsplit((parts.scheme, parts.netloc, "/sitemap.xml", "", "")),
                                      self.parse_sitemap)

    # --- the end --------------------------------------------------------------------------
    def closed(self, reason: str) -> None:
        """What the crawl learned, as a site declaration: logged and in OUTPUT_DIR/sites/."""
        name = re.sub(r"\W+", "_", self.host.removeprefix("www.")).strip("_") or "site"
        text = site_declaration(self.learned, name=name, label=self.host, hosts=[self.host],
                                start_urls=self.start_urls or self.feeds + self.sitemaps)
        folder = Path(self.settings.get("OUTPUT_DIR", "output")) / "sites"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.py"
        write_atomic(path, text)  # workers of one crawl sharing OUTPUT_DIR: whole files only
        self.logger.info("site declaration learned from this crawl, in %s:\n%s", path, text)


def _urls(value: str | None) -> list[str]:
    return [u.strip() for u in (value or "").split(",") if u.strip()]


def _target(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")
