"""Politeness that holds across workers: with `REDIS_URL`, every request takes its host's turn in
Redis before it is sent (crawler.politeness: at most CONCURRENT_REQUESTS_PER_DOMAIN in flight per
host, DOWNLOAD_DELAY, or the host's robots.txt Crawl-delay when larger, between them), across all
the processes and machines that crawl on that Redis. Without `REDIS_URL` it is off: Scrapy's own
per-process delay and concurrency apply, as they always do (and with `POLITENESS_SHARED=0`, for a
server of one's own).

A request waiting for its turn waits on the reactor's clock (a deferred call), never blocking it.
The host's state changes in one optimistic Redis transaction (WATCH/MULTI), on Redis's clock, so
machines whose clocks differ still keep the gap. Scrapy's per-process delay, AutoThrottle's
included, still spaces a worker's own requests; a request asks the shared gate for the larger of
the configured delay, the Crawl-delay and its worker's current (AutoThrottle) delay, so a worker
that sees the host slow down slows every worker's requests to it.
"""

from __future__ import annotations

import itertools
import logging
import os
import socket
import uuid
from collections.abc import Callable
from typing import Any

import redis
from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.robotstxt import RobotParser
from scrapy.utils.asyncio import sleep
from scrapy.utils.httpobj import urlparse_cached
from scrapy_redis import connection

from crawler.politeness import HostTurns, Turn, end_turn, host_delay, take_turn

log = logging.getLogger(__name__)
_TURN = "polite_turn"


class SharedPolitenessMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        if not settings.get("REDIS_URL") or not settings.getbool("POLITENESS_SHARED", True):
            raise NotConfigured("no REDIS_URL or POLITENESS_SHARED off: Scrapy's per-process politeness applies")
        self.crawler = crawler
        self.server: redis.Redis = connection.from_settings(settings)
        self.prefix = settings.get("POLITENESS_KEY", "zhnews:host")
        self.delay = settings.getfloat("DOWNLOAD_DELAY")
        self.concurrency = settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") or settings.getint("CONCURRENT_REQUESTS")
        # A turn outlives the longest download; a killed worker's turns free themselves then.
        self.lease = settings.getfloat("DOWNLOAD_TIMEOUT", 180) + 30
        self.useragent = settings.get("ROBOTSTXT_USER_AGENT") or settings.get("USER_AGENT")
        self.crawl_delays: dict[str, float] = {}  # netloc: robots.txt Crawl-delay
        self.worker = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.serial = itertools.count()
        self.stats = crawler.stats
        crawler.signals.connect(self.robots_parsed, signal=signals.robots_parsed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedPolitenessMiddleware:
        return cls(crawler)

    def robots_parsed(self, robotparser: RobotParser, request: Request) -> None:
        delay = robotparser.crawl_delay(self.useragent)
        if delay:
            self.crawl_delays[urlparse_cached(request).netloc] = float(delay)
            log.info("robots.txt of %s asks for a Crawl-delay of %s s", urlparse_cached(request).netloc, delay)

    def delay_for(self, request: Request) -> float:
        """The larger of DOWNLOAD_DELAY, the host's Crawl-delay and this worker's own delay for
        the host (its download slot's, which AutoThrottle adjusts)."""
        url = urlparse_cached(request)
        downloader = self.crawler.engine.downloader if self.crawler.engine else None
        slot = downloader.slots.get(request.meta.get("download_slot") or url.hostname or "") if downloader else None
        return host_delay(self.delay, self.crawl_delays.get(url.netloc), slot.delay if slot else None)

    def _change(self, host: str, step: Callable[[HostTurns, float], tuple[HostTurns, Any]]) -> tuple[float, Any]:
        """Apply `step(state, now)` to the host's state atomically (retried on a concurrent
        change); Redis's clock and the step's answer."""
        key = f"{self.prefix}:{host}"
        with self.server.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)
                    seconds, micros = pipe.time()
                    now = seconds + micros / 1e6
                    state, answer = step(HostTurns.loads(pipe.get(key)), now)
                    pipe.multi()
                    keep = self.lease + max(self.delay, state.last - now, 0) + 60
                    pipe.set(key, state.dumps(), px=int(keep * 1000))
                    pipe.execute()
                    return now, answer
                except redis.WatchError:
                    continue

    async def process_request(self, request: Request) -> None:
        host = urlparse_cached(request).hostname or ""
        holder = f"{self.worker}-{next(self.serial)}"
        delay = self.delay_for(request)
        waited = 0.0
        while True:
            now, turn = self._change(host, lambda state, now: take_turn(
                state, now, holder, delay=delay, concurrency=self.concurrency, lease=self.lease))
            assert isinstance(turn, Turn)
            wait = turn.start - now if turn.granted else turn.retry_in
            if wait > 0:
                waited += wait
                await sleep(wait)
            if turn.granted:
                break
        request.meta[_TURN] = (host, holder)
        if waited and self.stats:
            self.stats.inc_value("politeness/waited_s", round(waited, 3))

    def _end(self, request: Request) -> None:
        taken = request.meta.pop(_TURN, None)
        if taken:
            host, holder = taken
            self._change(host, lambda state, now: (end_turn(state, now, holder), None))

    def process_response(self, request: Request, response: Response) -> Response:
        self._end(request)
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        self._end(request)
