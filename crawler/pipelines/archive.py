"""A `metadata` record per article in the WARC, holding the record and pointing at its response."""

from __future__ import annotations

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from crawler.extensions.archive import WarcArchive


class ArchivePipeline:
    def __init__(self, archive: WarcArchive) -> None:
        self.archive = archive

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivePipeline:
        archive = WarcArchive.of(crawler)
        if archive is None:
            raise NotConfigured("WARC_ENABLED is off")
        return cls(archive)

    def process_item(self, item):  # noqa: ANN001, ANN201 - Scrapy's signature
        adapter = ItemAdapter(item)
        response = adapter.get("warc") or {}
        self.archive.metadata(adapter["id"], response.get("record_id"), adapter.asdict())
        return item
