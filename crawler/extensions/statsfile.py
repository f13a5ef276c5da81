"""Keep a crawl's stats after the process is gone: `OUTPUT_DIR/stats/<spider>.json`."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.spiders import Spider


class StatsFile:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.folder = Path(crawler.settings.get("OUTPUT_DIR", "output")) / "stats"

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StatsFile:
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_closed(self, spider: Spider, reason: str) -> None:
        stats = dict(self.crawler.stats.get_stats()) if self.crawler.stats else {}
        stats.setdefault("finish_reason", reason)
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{spider.name}.json"
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(stats, default=_plain, ensure_ascii=False, indent=1, sort_keys=True),
                       "utf-8")
        tmp.replace(path)


def _plain(value: object) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)
