"""A crawl's web archive: its WARC files, its index, the state store for revisits.

An extension (WARC_ENABLED), found with `crawler.get_extension(WarcArchive)` by the capture
middleware (request/response/revisit records), the locator middleware and the archive pipeline
(metadata records). Opened with the crawler: abandoned `.open` files of dead crawls are
recovered first, and closed files a killed crawl left unindexed are indexed. Closed with the
spider: the last file is closed and every closed file indexed into OUTPUT_DIR/index.cdxj.
A write that fails (a full disk) is a fault of the crawl (crawler.extensions.faults).
"""

from __future__ import annotations

import logging
from pathlib import Path
from weakref import WeakKeyDictionary

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Request
from scrapy.spiders import Spider

from crawler.archive import (
    Exchange,
    Locator,
    Original,
    WarcFiles,
    article_uri,
    capture_of,
    index_missing,
    index_warc,
    merge_indexes,
    merged_is_stale,
    recover_folder,
    write_index,
)
from crawler.archive.index import IndexLines
from crawler.archive.writer import gzip_engine, payload_key
from crawler.extensions import required
from crawler.extensions.faults import report_fault
from crawler.extensions.state import CrawlState
from crawler.state import StateStore

log = logging.getLogger(__name__)


class WarcArchive:
    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcArchive:
        if not crawler.settings.getbool("WARC_ENABLED"):
            raise NotConfigured("WARC_ENABLED is off")
        return cls(crawler)

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        settings = crawler.settings
        self.output = Path(settings.get("OUTPUT_DIR", "output"))
        self.folder = self.output / "warc"
        self.index_dir = self.output / "index"
        level = settings.get("WARC_GZIP_LEVEL")
        # A wrong compression setting stops the crawl before it starts (ValueError).
        self.gzip, self.gzip_level = gzip_engine(settings.get("WARC_GZIP_ENGINE"),
                                                 None if level in (None, "") else settings.getint("WARC_GZIP_LEVEL"))
        self.stats = crawler.stats
        for recovered in recover_folder(self.folder):
            self.stats.inc_value("warc/recovered_files")
            self.stats.inc_value("warc/recovered_cut_bytes", recovered.cut_bytes)
            if recovered.records:
                index_warc(recovered.path, self.index_dir)
        for path in index_missing(self.folder, self.index_dir):
            self.stats.inc_value("warc/recovered_indexes")
            log.warning("indexed %s, closed by a crawl that died before indexing it", path.name)
        if merged_is_stale(self.index_dir, self.output / "index.cdxj"):
            merge_indexes(self.index_dir, self.output / "index.cdxj")
        self.store: StateStore | None = None  # the crawl's state store, once the spider is open
        self.files: WarcFiles | None = None
        # The response record of each request whose exchange was archived: the item of a
        # response is stamped with its own request's capture, never an earlier hop's.
        self.captures: WeakKeyDictionary[Request, Locator] = WeakKeyDictionary()
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    def spider_opened(self, spider: Spider) -> None:
        settings = self.crawler.settings
        self.store = required(self.crawler, CrawlState).store
        self.files = WarcFiles(
            self.folder, spider.name, max_size=settings.getint("WARC_MAX_SIZE"),
            version=settings.get("WARC_VERSION", "1.1"), on_close=self._closed,
            engine=self.gzip.name, level=self.gzip_level,
            info={"isPartOf": spider.name, "robots": "obey" if settings.getbool("ROBOTSTXT_OBEY") else "ignore",
                  "http-header-user-agent": settings.get("USER_AGENT"),
                  "description": "Bytes as the server sent them, recorded on the connection. "
                                 "The body keeps its content and transfer encodings; "
                                 "WARC-Payload-Digest is of the entity body (WARC 1.1: "
                                 "transfer encoding removed, content encoding kept)."})

    def spider_closed(self, spider: Spider) -> None:
        try:
            if self.files is not None:
                self.files.close()
            lines = merge_indexes(self.index_dir, self.output / "index.cdxj")
        except OSError as error:  # the next crawl indexes what is missing
            report_fault(self.crawler, "WARC index", error)
            return
        self.stats.set_value("warc/index_lines", lines)

    def _closed(self, path: Path, lines: IndexLines | None) -> None:
        self.stats.inc_value("warc/files_closed")
        try:  # from the lines of its records as written: the file is not read again
            if lines is None:  # a record whose line only cdxj-indexer reading the file tells
                self.stats.inc_value("warc/indexes_read_back")
                index_warc(path, self.index_dir)
            else:
                write_index(path, lines, self.index_dir)
        except OSError as error:  # the file is whole; the next crawl indexes it
            report_fault(self.crawler, "WARC index", error)

    def capture(self, request: Request, exchange: Exchange) -> Locator:
        """Archive one exchange: request and response records, or a revisit for a known payload.

        Revisits refer only to originals in the same spider's WARC files (the payload key is
        scoped by the files' prefix), so those files alone replay every capture they hold; an
        empty payload (a redirect) is always stored in full, never as a revisit of another, and
        so is a payload cut short (`WARC-Truncated`).
        """
        assert self.files is not None and self.store is not None, "the spider is not open"
        url = request.url
        capture = capture_of(url, exchange.request, exchange.response, exchange.started, exchange.ip_address,
                             exchange.truncated)
        # A payload cut short is never a revisit's original, nor written as a revisit.
        whole = capture.digest and not capture.empty and capture.complete
        key = payload_key(self.files.prefix, capture.digest) if whole else None
        original = self.store.original_payload(key) if key else None
        _, locator = self.files.write_capture(capture, original)
        if original is None and key:
            self.store.add_payload(key, Original(capture.uri, capture.date, locator.record_id))
        self.stats.inc_value("warc/revisits" if original else "warc/responses")
        if not capture.complete:
            self.stats.inc_value("warc/truncated")
        self.stats.inc_value("warc/bytes_received", len(exchange.response))
        self.captures[request] = locator
        return locator

    def locator_for(self, request: Request | None) -> Locator | None:
        """The response record archived for this request (None: its response was not recorded)."""
        return self.captures.get(request) if request is not None else None

    def metadata(self, record_id: str, refers_to: str | None, data: dict) -> Locator:
        """The article record `data` as a metadata record of its own URI, referring to its response."""
        assert self.files is not None, "the spider is not open"
        self.stats.inc_value("warc/metadata")
        return self.files.write_metadata(article_uri(record_id), refers_to, data)
