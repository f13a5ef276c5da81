"""Stamp each article item with the WARC locator of the response it was extracted from.

In one place, from the archive's record of that response's own request: after a redirect the
item points at the final hop's record, and at none when that response was not recorded.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any

from itemadapter import ItemAdapter, is_item
from scrapy.crawler import Crawler
from scrapy.http import Response

from crawler.extensions import required
from crawler.extensions.archive import WarcArchive


class WarcLocatorMiddleware:
    def __init__(self, archive: WarcArchive) -> None:
        self.archive = archive

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcLocatorMiddleware:
        return cls(required(crawler, WarcArchive))

    def _stamp(self, response: Response, output: Any) -> Any:
        if is_item(output):
            adapter = ItemAdapter(output)
            if "warc" in adapter.field_names():
                locator = self.archive.locator_for(response.request)
                adapter["warc"] = locator.as_dict() if locator else None
        return output

    def process_spider_output(self, response: Response, result: Iterable[Any]) -> Iterator[Any]:
        for output in result:
            yield self._stamp(response, output)

    async def process_spider_output_async(self, response: Response,
                                          result: AsyncIterator[Any]) -> AsyncIterator[Any]:
        async for output in result:
            yield self._stamp(response, output)
