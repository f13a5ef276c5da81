"""Start a spider from the archive's article captures instead of its start URLs; stamp its
items with the capture's time and locator."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import datetime
from typing import Any

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Response

from crawler.extensions import required
from crawler.items import Article
from crawler.reextract.source import ArchiveSource


def fetched_at(warc_date: str) -> str:
    """A WARC-Date as the article record's `fetched_at` writes a time."""
    return datetime.fromisoformat(warc_date.replace("Z", "+00:00")).isoformat(timespec="seconds")


class ArchivedStarts:
    def __init__(self, source: ArchiveSource, crawler: Crawler) -> None:
        self.source = source
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivedStarts:
        return cls(required(crawler, ArchiveSource), crawler)

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[scrapy.Request]:
        spider = self.crawler.spider
        captures = self.source.article_captures(spider)
        self.crawler.stats.set_value("reextract/article_captures", len(captures))
        for record in captures:
            yield scrapy.Request(record.uri, spider.parse_article, errback=spider.on_error,
                                 dont_filter=True, meta={"archived": record.record_id, "article": True,
                                                         "warc": record.locator.as_dict(),
                                                         "archived_date": record.date})

    def _stamp(self, response: Response, item: Any) -> Any:
        # The record of the capture, as the crawl that fetched it made it: its time, its locator.
        if isinstance(item, Article) and "archived_date" in response.meta:
            item["fetched_at"] = fetched_at(response.meta["archived_date"])
            item["warc"] = response.meta["warc"]
        return item

    def process_spider_output(self, response: Response, result: Iterable[Any]) -> Iterator[Any]:
        for item in result:
            yield self._stamp(response, item)

    async def process_spider_output_async(self, response: Response, result: AsyncIterator[Any]) -> AsyncIterator[Any]:
        async for item in result:
            yield self._stamp(response, item)
