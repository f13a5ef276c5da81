"""The archive a re-extraction reads: its captures, and which of them are article pages."""

from __future__ import annotations

from pathlib import Path

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.spiders import Spider

from crawler.archive.reader import Archive, ArchivedRecord, ArchivedResponse


class ArchiveSource:
    def __init__(self, archive: Archive) -> None:
        self.archive = archive
        self.described = archive.described()
        self.latest: dict[str, ArchivedRecord] = {}
        for record in archive.captures():
            if record.uri:
                self.latest[record.uri] = record  # file order: the last capture wins

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchiveSource:
        source = crawler.settings.get("REEXTRACT_FROM")
        if not source:
            raise NotConfigured("REEXTRACT_FROM is not set")
        return cls(Archive.of(Path(source)))

    def article_captures(self, spider: Spider) -> list[ArchivedRecord]:
        """The spider's captures to parse as articles, in the order they were fetched: every one
        an article record was made from (it has a metadata record), and the last capture of
        each other page the spider's site calls an article (extraction failed on it before)."""
        site = getattr(spider, "site", None)
        captures = self.archive.captures(spider.name)
        described_uris = {r.uri for r in captures if r.record_id in self.described}
        chosen = []
        for record in captures:
            if record.record_id in self.described:
                chosen.append(record)
            elif site is not None and record.uri and record.uri not in described_uris \
                    and site.is_article(record.uri) and self.latest.get(record.uri) is record:
                chosen.append(record)
        return chosen

    def record(self, record_id: str | None, url: str) -> ArchivedRecord | None:
        """The capture named, else the last capture of `url`."""
        return self.archive.by_id.get(record_id or "") or self.latest.get(url)

    def response(self, record: ArchivedRecord) -> ArchivedResponse | None:
        return self.archive.response(record)

