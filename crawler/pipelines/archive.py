"""A `metadata` record per article in the WARC, holding the record and pointing at its response."""

from __future__ import annotations

from typing import Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler

from crawler.extensions import required
from crawler.extensions.archive import WarcArchive
from crawler.items import record_of


class ArchivePipeline:
    def __init__(self, archive: WarcArchive) -> None:
        self.archive = archive

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivePipeline:
        return cls(required(crawler, WarcArchive))

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        response = adapter.get("warc") or {}
        self.archive.metadata(adapter["id"], response.get("record_id"), record_of(item))
        return item
