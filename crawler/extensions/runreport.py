"""After each run: a JSON report under OUTPUT_DIR/reports/<spider>/ and a summary in the log,
with the problems `crawler.runs.assess` finds (compared with the site's recent runs); and the
run's raw crawl stats, kept after the process is gone, in OUTPUT_DIR/stats/<spider>.json.
The crawl's faults (failed writes) are problems of the run; a report that cannot be written is
one too (the crawl exits non-zero).

A worker of a several-process crawl (`WORKER_OF`, set by the command that started it) writes its
share as a part, under OUTPUT_DIR/reports/<spider>/workers/ (its stats under stats/workers/),
judged only by what it did wrong; the command adds the parts up into the run's one report
(`crawler.runs.combine_parts`), which is compared with the site's recent runs as any run's is."""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime
from pathlib import Path

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.spiders import Spider

from crawler import runs
from crawler.extensions.faults import faults_of, report_fault
from crawler.sites import SITES

log = logging.getLogger(__name__)


class RunReport:
    """Found with `crawler.get_extension(RunReport)`; `report` is the run's, once it ended."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.report: dict | None = None
        self.output = crawler.settings.get("OUTPUT_DIR", "output")
        self.min_ratio = crawler.settings.getfloat("CRAWL_MIN_ARTICLE_RATIO")
        self.part = bool(crawler.settings.get("WORKER_OF"))

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunReport:
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_closed(self, spider: Spider, reason: str) -> None:
        stats = dict(self.crawler.stats.get_stats()) if self.crawler.stats else {}
        stats.setdefault("finish_reason", reason)
        report = runs.summarize(stats, spider.name, site_spider=spider.name in SITES)
        # The run it belongs to, on whichever machine: `scrapy gather` adds a group's reports up.
        report["run_group"] = self.crawler.settings.get("RUN_GROUP") or None
        report["faults"] = faults_of(self.crawler)
        report["problems"] = runs.assess(report, [] if self.part else runs.history(self.output, spider.name),
                                         min_ratio=self.min_ratio, part=self.part)
        self.report = report
        try:
            self.keep_stats(spider.name, stats)
            if reason != "locked" or self.part:  # a skipped run is no measure of the site
                name = f"{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}-{os.getpid()}"
                report["path"] = str(runs.save(report, self.output, name, part=self.part))
        except OSError as error:
            report_fault(self.crawler, "run report", error)
            report["faults"] = faults_of(self.crawler)
            report["problems"].append(f"run report failed: {error}")
        (log.warning if report["problems"] else log.info)("run report: %s", runs.one_line(report))

    def keep_stats(self, spider: str, stats: dict) -> None:
        if self.part:
            runs.keep_stats(Path(self.output) / "stats" / "workers", f"{spider}-{os.getpid()}", stats)
        else:
            runs.keep_stats(Path(self.output) / "stats", spider, stats)
