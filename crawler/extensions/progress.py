"""A progress line every PROGRESS_INTERVAL seconds: pages per minute, articles, queue, errors;
and, when the log goes to a terminal, a status line kept up to date every second."""

from __future__ import annotations

import logging
import sys
import time

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.spiders import Spider
from twisted.internet import task

log = logging.getLogger(__name__)


class Progress:
    def __init__(self, crawler: Crawler, interval: float, tty: bool) -> None:
        self.crawler = crawler
        self.interval = interval
        self.tty = tty
        self.tasks: list[task.LoopingCall] = []
        self.pages_before = 0
        self.time_before = time.monotonic()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Progress:
        interval = crawler.settings.getfloat("PROGRESS_INTERVAL")
        if interval <= 0:
            raise NotConfigured
        ext = cls(crawler, interval, crawler.settings.getbool("PROGRESS_TTY") and sys.stderr.isatty())
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def figures(self) -> dict:
        stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
        scheduler = self.crawler.engine.scheduler if self.crawler.engine else None
        return {"pages": stats.get("downloader/response_count", 0),
                "articles": stats.get("item_scraped_count", 0),
                "known": stats.get("dedupe/known_article_skipped", 0),
                "queue": len(scheduler) if scheduler is not None and hasattr(scheduler, "__len__") else 0,
                "errors": sum(v for k, v in stats.items() if k.startswith("errors/"))}

    def log_line(self) -> None:
        f = self.figures()
        now = time.monotonic()
        rate = (f["pages"] - self.pages_before) / max(now - self.time_before, 1e-6) * 60
        self.pages_before, self.time_before = f["pages"], now
        spider = self.crawler.spider.name if self.crawler.spider else "?"
        log.info("progress %s: %d pages (%.0f/min), %d articles, %d already archived, queue %d, %d errors",
                 spider, f["pages"], rate, f["articles"], f["known"], f["queue"], f["errors"])

    def status_line(self) -> None:
        f = self.figures()
        sys.stderr.write(f"\r\x1b[2K{self.crawler.spider.name}: {f['pages']} pages, {f['articles']} articles, "
                         f"queue {f['queue']}, {f['errors']} errors")
        sys.stderr.flush()

    def spider_opened(self, spider: Spider) -> None:
        self.tasks.append(task.LoopingCall(self.log_line))
        self.tasks[-1].start(self.interval, now=False)
        if self.tty:
            self.tasks.append(task.LoopingCall(self.status_line))
            self.tasks[-1].start(1.0, now=False)

    def spider_closed(self, spider: Spider) -> None:
        for loop in self.tasks:
            if loop.running:
                loop.stop()
        if self.tty:
            sys.stderr.write("\n")
