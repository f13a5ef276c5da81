"""Archive every response as the server sent it, before any middleware changes it.

Close to the downloader (after compression and redirects in the response's way back), so
robots.txt, redirects, errors and retries are archived too, and so are downloads that failed
after the response's head arrived. The archive remembers each
request's response record; `crawler.spidermiddlewares.WarcLocatorMiddleware` stamps it on the
items of that response.
"""

from __future__ import annotations

from scrapy.crawler import Crawler
from scrapy.http import Request, Response

from crawler.archive import Exchange
from crawler.extensions import required
from crawler.extensions.archive import WarcArchive
from crawler.extensions.faults import report_fault
from crawler.state import STORE_ERRORS


class WarcCaptureMiddleware:
    def __init__(self, archive: WarcArchive, crawler: Crawler) -> None:
        self.archive = archive
        self.crawler = crawler
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
        self.archive_exchange(request, exchange)
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        """A download that failed after the response's head arrived (a reset or a timeout
        mid-body, the size limit): the exchange as far as it went, marked `WARC-Truncated`.
        The failure then goes its way (retries, the spider's errback, which counts it)."""
        exchange = request.meta.pop("exchange", None)
        if exchange is not None:
            self.archive_exchange(request, exchange)

    def archive_exchange(self, request: Request, exchange: Exchange) -> None:
        try:
            self.archive.capture(request, exchange)
        except (OSError, *STORE_ERRORS) as error:
            # Not archived, so not to be exported either: the page is given up on (the spider's
            # errback counts it) and the crawl stops with the fault.
            report_fault(self.crawler, "WARC" if isinstance(error, OSError) else "state store", error)
            raise
