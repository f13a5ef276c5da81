"""One run per spider at a time: a run that finds another holding its spider's lock skips it
(closed with reason `locked`) and says so, instead of colliding with it.

Two locks: a file lock under OUTPUT_DIR (a run on this machine, this output) and a lease in the
state store, held by the run group (`RUN_GROUP`, default: the run itself) and renewed while it
runs, so a run from another working directory or machine on the same store is skipped too,
while the processes of one crawl (started with one `RUN_GROUP`) are one run. Processes of a run
group hold the file lock shared (several workers may write one OUTPUT_DIR): it still keeps out a
run without a group, and the lease decides between groups."""

from __future__ import annotations

import fcntl
import logging
from pathlib import Path

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider
from scrapy.spiders import Spider
from twisted.internet import task

from crawler.extensions import required
from crawler.extensions.state import CrawlState, died_here

log = logging.getLogger(__name__)


class SpiderLock:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.folder = Path(crawler.settings.get("OUTPUT_DIR", "output")) / "locks"
        self.handle = None
        self.ttl = crawler.settings.getfloat("RUN_LEASE_TTL", 60)
        self.lease: str | None = None
        self.renew: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SpiderLock:
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider: Spider) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        handle = open(self.folder / f"{spider.name}.lock", "a")  # held for the run
        shared = fcntl.LOCK_SH if self.crawler.settings.get("RUN_GROUP") else fcntl.LOCK_EX
        try:
            fcntl.flock(handle, shared | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            self.crawler.stats.set_value("lock/skipped", 1)
            log.warning("skipping %s: another run holds its lock (%s)", spider.name, self.folder / f"{spider.name}.lock")
            raise CloseSpider("locked") from None
        self.handle = handle
        state = required(self.crawler, CrawlState)
        self.store, self.group = state.store, self.crawler.settings.get("RUN_GROUP") or state.run
        name = f"spider:{spider.name}"
        holder = self.store.hold_lease(name, self.group, self.ttl)
        if holder != self.group and died_here(holder):  # a killed run of this machine: no need to wait
            self.store.release_lease(name, holder)
            holder = self.store.hold_lease(name, self.group, self.ttl)
        if holder != self.group:
            self.crawler.stats.set_value("lock/skipped", 1)
            log.warning("skipping %s: another run holds its lease in the state store (run group %s)",
                        spider.name, holder)
            raise CloseSpider("locked")
        self.lease = name
        self.renew = task.LoopingCall(self.store.hold_lease, name, self.group, self.ttl)
        self.renew.start(self.ttl / 3, now=False)

    def spider_closed(self, spider: Spider) -> None:
        if self.renew is not None and self.renew.running:
            self.renew.stop()
        if self.lease is not None:
            self.store.release_lease(self.lease, self.group)
            self.lease = None
        if self.handle is not None:
            fcntl.flock(self.handle, fcntl.LOCK_UN)
            self.handle.close()
            self.handle = None
