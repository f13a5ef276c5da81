"""One run per spider at a time: a run that finds another holding its spider's lock skips it
(closed with reason `locked`) and says so, instead of colliding with it."""

from __future__ import annotations

import fcntl
import logging
from pathlib import Path

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider
from scrapy.spiders import Spider

log = logging.getLogger(__name__)


class SpiderLock:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.folder = Path(crawler.settings.get("OUTPUT_DIR", "output")) / "locks"
        self.handle = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SpiderLock:
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider: Spider) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        handle = open(self.folder / f"{spider.name}.lock", "a")  # held for the run
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            self.crawler.stats.set_value("lock/skipped", 1)
            log.warning("skipping %s: another run holds its lock (%s)", spider.name, self.folder / f"{spider.name}.lock")
            raise CloseSpider("locked") from None
        self.handle = handle

    def spider_closed(self, spider: Spider) -> None:
        if self.handle is not None:
            fcntl.flock(self.handle, fcntl.LOCK_UN)
            self.handle.close()
            self.handle = None
