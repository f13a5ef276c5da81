"""Scrapy's retries, with `Retry-After` honoured: a 429 or 503 (any retried status) that says
when to come back is retried then, without holding up other requests, if that is within
RETRY_AFTER_MAX seconds; a server asking for longer is given up on at once (counted, and the
page fetched again by the next run), rather than retried too early to any use."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Request, Response
from scrapy.settings import BaseSettings

log = logging.getLogger(__name__)


def retry_after(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (seconds, or an HTTP date); None if absent or
    unreadable."""
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    value = (value or "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class RetryAfterMiddleware(RetryMiddleware):
    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        self.max_wait = settings.getfloat("RETRY_AFTER_MAX")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryAfterMiddleware:
        middleware = cls(crawler.settings)
        middleware.crawler = crawler
        return middleware

    async def process_response(self, request: Request, response: Response) -> Request | Response:  # type: ignore[override]
        wait = retry_after(response.headers.get("Retry-After"))
        if (wait is None or request.meta.get("dont_retry", False)
                or response.status not in self.retry_http_codes):
            return super().process_response(request, response)
        stats = self.crawler.stats
        if wait > self.max_wait:
            stats.inc_value("retry/retry_after_too_long")
            log.warning("not retrying %s: the server asks to wait %.0f s (Retry-After), more than "
                        "RETRY_AFTER_MAX=%g", request.url, wait, self.max_wait)
            return response  # the spider's errback counts it (errors/http_<status>)
        retries = request.meta.get("retry_times", 0) + 1
        if retries <= request.meta.get("max_retry_times", self.max_retry_times):
            stats.inc_value("retry/retry_after")
            stats.inc_value("retry/retry_after_seconds", round(wait, 3))
            await asyncio.sleep(wait)  # only this request waits
        return super().process_response(request, response)
