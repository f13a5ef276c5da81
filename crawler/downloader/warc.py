"""Archive every response as the server sent it, before any middleware changes it.

Close to the downloader (after compression and redirects in the response's way back), so
robots.txt, redirects, errors and retries are archived too. The archive remembers each
request's response record; `crawler.spidermiddlewares.WarcLocatorMiddleware` stamps it on the
items of that response.
"""

from __future__ import annotations

from scrapy.crawler import Crawler
from scrapy.http import Request, Response

from crawler.extensions import required
from crawler.extensions.archive import WarcArchive


class WarcCaptureMiddleware:
    def __init__(self, archive: WarcArchive, crawler: Crawler) -> None:
        self.archive = archive
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcCaptureMiddleware:
        return cls(required(crawler, WarcArchive), crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        exchange = request.meta.pop("exchange", None)
        if exchange is None:
            # Not fetched over HTTP by our handler (a data: or file: URL, a cache): nothing
            # as-sent to keep; counted so that a misconfiguration shows.
            self.stats.inc_value("warc/not_recorded")
            return response
        self.archive.capture(request, exchange)
        return response
