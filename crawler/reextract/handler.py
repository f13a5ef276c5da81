"""Answer requests from the archive: nothing leaves the process."""

from __future__ import annotations

from scrapy.core.downloader.handlers.base import BaseDownloadHandler
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Headers, Request, Response
from scrapy.responsetypes import responsetypes

from crawler.extensions import required
from crawler.reextract.source import ArchiveSource


class ArchiveDownloadHandler(BaseDownloadHandler):
    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.source = required(crawler, ArchiveSource)
        self.stats = crawler.stats

    async def download_request(self, request: Request) -> Response:
        record = self.source.record(request.meta.get("archived"), request.url)
        archived = self.source.response(record) if record is not None else None
        if archived is None:
            self.stats.inc_value("reextract/not_archived")
            raise IgnoreRequest(f"not in the archive: {request.url}")
        self.stats.inc_value("reextract/responses")
        headers = Headers()
        for name, value in archived.headers:
            headers.appendlist(name, value)
        # The body still has its content encoding: HttpCompressionMiddleware decodes it, as
        # after a fetch.
        cls = responsetypes.from_args(headers=headers, url=request.url, body=archived.body)
        return cls(url=request.url, status=archived.status, headers=headers, body=archived.body,
                   request=request, flags=["archived"])
