"""Drop an item that is not an article record, with its reason in the log and in the stats
(`validate/dropped/<reason>`)."""

from __future__ import annotations

from typing import Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.statscollectors import StatsCollector

from crawler.record import LIST_FIELDS


class ValidatePipeline:
    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ValidatePipeline:
        return cls(crawler.stats)

    def process_item(self, item: Any) -> Any:
        reason = problem(ItemAdapter(item))
        if reason:
            self.stats.inc_value(f"validate/dropped/{reason}")
            raise DropItem(reason)
        return item


def problem(adapter: ItemAdapter) -> str | None:
    """Why the item is not an article record (None: it is one)."""
    if not adapter.get("url"):
        return "no url"
    if not (adapter.get("body") or "").strip():
        return "empty body"
    for key in LIST_FIELDS:
        if not isinstance(adapter.get(key) or [], list):
            return f"{key} is not a list"
    return None
