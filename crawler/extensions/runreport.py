"""After each run: a JSON report under OUTPUT_DIR/reports/<spider>/ and a summary in the log,
with the problems `crawler.runs.assess` finds (compared with the site's recent runs); and the
run's raw crawl stats, kept after the process is gone, in OUTPUT_DIR/stats/<spider>.json."""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime
from pathlib import Path

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.spiders import Spider

from crawler import runs
from crawler.sites import SITES

log = logging.getLogger(__name__)


class RunReport:
    """Found with `crawler.get_extension(RunReport)`; `report` is the run's, once it ended."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.report: dict | None = None
        self.output = crawler.settings.get("OUTPUT_DIR", "output")
        self.min_ratio = crawler.settings.getfloat("CRAWL_MIN_ARTICLE_RATIO")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunReport:
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_closed(self, spider: Spider, reason: str) -> None:
        stats = dict(self.crawler.stats.get_stats()) if self.crawler.stats else {}
        stats.setdefault("finish_reason", reason)
        self.keep_stats(spider.name, stats)
        report = runs.summarize(stats, spider.name, site_spider=spider.name in SITES)
        report["problems"] = runs.assess(report, runs.history(self.output, spider.name), min_ratio=self.min_ratio)
        if reason != "locked":  # a skipped run is no measure of the site
            name = f"{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}-{os.getpid()}"
            report["path"] = str(runs.save(report, self.output, name))
        self.report = report
        (log.warning if report["problems"] else log.info)("run report: %s", runs.one_line(report))

    def keep_stats(self, spider: str, stats: dict) -> None:
        folder = Path(self.output) / "stats"
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f"{spider}.json.tmp"
        tmp.write_text(json.dumps(stats, default=_plain, ensure_ascii=False, indent=1, sort_keys=True), "utf-8")
        tmp.replace(folder / f"{spider}.json")


def _plain(value: object) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)
