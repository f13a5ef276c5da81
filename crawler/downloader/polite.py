"""Politeness that holds across workers: with `REDIS_URL`, every request takes its host's turn in
Redis before it is sent (crawler.politeness: at most CONCURRENT_REQUESTS_PER_DOMAIN in flight per
host, DOWNLOAD_DELAY, or the host's robots.txt Crawl-delay when larger, between them), across all
the processes and machines that crawl on that Redis. Without `REDIS_URL` it is off: Scrapy's own
per-process delay and concurrency apply, as they always do (and with `POLITENESS_SHARED=0`, for a
server of one's own).

A request waiting for its turn waits on the reactor's clock (a deferred call), never blocking it.
The host's state changes optimistically, on Redis's clock (so machines whose clocks differ still
keep the gap): the clock and the state read in one round trip, the new state written in a second
by a script that writes it only where the state is still the one read (compare and set; else
read again), where WATCH/MULTI would take four round trips and six commands. Scrapy's per-process delay, AutoThrottle's
included, still spaces a worker's own requests; a request asks the shared gate for the larger of
the configured delay, the Crawl-delay and its worker's current (AutoThrottle) delay, so a worker
that sees the host slow down slows every worker's requests to it.

A turn is a short lease (POLITENESS_LEASE): every POLITENESS_LEASE/3 seconds a heartbeat renews
each turn this worker holds (one atomic step per host it holds turns on, per beat; the per-request
changes stay the two of taking and ending the turn). A live worker's long download keeps its
turn; a killed or frozen worker's turns are free within a lease, and a request whose turn expired
meanwhile ends as if it had none. A turn is renewed for no longer than the longest download
(DOWNLOAD_TIMEOUT + 30 s), so one whose request got lost without an answer or a failure still
frees itself.
"""

from __future__ import annotations

import itertools
import logging
import os
import socket
import time
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
from twisted.internet import task

from crawler.politeness import HostTurns, Turn, end_turn, host_delay, renew_turns, take_turn

log = logging.getLogger(__name__)
_TURN = "polite_turn"
# KEYS[1]: the host's state; ARGV: the state read ("" where there was none), the new one, its
# time to live (ms). 1 if written, 0 if another worker changed the state meanwhile.
_COMPARE_AND_SET = """
if (redis.call('GET', KEYS[1]) or '') ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
"""


class SharedPolitenessMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        if not settings.get("REDIS_URL") or not settings.getbool("POLITENESS_SHARED", True):
            raise NotConfigured("no REDIS_URL or POLITENESS_SHARED off: Scrapy's per-process politeness applies")
        self.crawler = crawler
        self.server: redis.Redis = connection.from_settings(settings)
        self.compare_and_set = self.server.register_script(_COMPARE_AND_SET)
        self.prefix = settings.get("POLITENESS_KEY", "zhnews:host")
        self.delay = settings.getfloat("DOWNLOAD_DELAY")
        self.concurrency = settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") or settings.getint("CONCURRENT_REQUESTS")
        # A short lease, renewed while this worker lives: a killed worker's turns free themselves soon.
        self.lease = settings.getfloat("POLITENESS_LEASE", 10)
        # No download outlasts this: the longest a turn is renewed, and how long a host's state is kept
        # past its latest moment (a Crawl-delay or AutoThrottle delay counts from it).
        self.longest = settings.getfloat("DOWNLOAD_TIMEOUT", 180) + 30
        self.useragent = settings.get("ROBOTSTXT_USER_AGENT") or settings.get("USER_AGENT")
        self.crawl_delays: dict[str, float] = {}  # netloc: robots.txt Crawl-delay
        self.worker = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.serial = itertools.count()
        self.stats = crawler.stats
        self.held: dict[str, dict[str, float]] = {}  # host: {holder: monotonic time its renewals stop}
        self.heartbeat = task.LoopingCall(self.renew)
        crawler.signals.connect(self.robots_parsed, signal=signals.robots_parsed)
        crawler.signals.connect(self.start_heartbeat, signal=signals.spider_opened)
        crawler.signals.connect(self.stop_heartbeat, signal=signals.spider_closed)
        crawler.signals.connect(self.stop_heartbeat, signal=signals.engine_stopped)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedPolitenessMiddleware:
        return cls(crawler)

    def robots_parsed(self, robotparser: RobotParser, request: Request) -> None:
        delay = robotparser.crawl_delay(self.useragent)
        if delay:
            self.crawl_delays[urlparse_cached(request).netloc] = float(delay)
            log.info("robots.txt of %s asks for a Crawl-delay of %s s", urlparse_cached(request).netloc, delay)

    def start_heartbeat(self) -> None:
        if not self.heartbeat.running:
            self.heartbeat.start(self.lease / 3, now=False)

    def stop_heartbeat(self) -> None:
        if self.heartbeat.running:
            self.heartbeat.stop()

    def renew(self) -> None:
        """The heartbeat: extend every turn this worker holds, one atomic step per host."""
        clock = time.monotonic()
        for host, mine in list(self.held.items()):
            # A turn past the longest download lost its request: it is left to expire.
            self.held[host] = mine = {h: until for h, until in mine.items() if until > clock}
            if not mine:
                del self.held[host]
                continue
            holders = list(mine)
            try:
                self._change(host, lambda state, now, holders=holders: (
                    renew_turns(state, now, holders, self.lease), None))
            except redis.RedisError as exc:  # the next beat tries again; the loop must not stop
                log.warning("politeness: could not renew the turns on %s: %s", host, exc)

    def delay_for(self, request: Request) -> float:
        """The larger of DOWNLOAD_DELAY, the host's Crawl-delay and this worker's own delay for
        the host (its download slot's, which AutoThrottle adjusts)."""
        url = urlparse_cached(request)
        downloader = self.crawler.engine.downloader if self.crawler.engine else None
        slot = downloader.slots.get(request.meta.get("download_slot") or url.hostname or "") if downloader else None
        return host_delay(self.delay, self.crawl_delays.get(url.netloc), slot.delay if slot else None)

    def _change(self, host: str, step: Callable[[HostTurns, float], tuple[HostTurns, Any]]) -> tuple[float, Any]:
        """Apply `step(state, now)` to the host's state atomically (again on a concurrent
        change); Redis's clock and the step's answer."""
        key = f"{self.prefix}:{host}"
        while True:
            with self.server.pipeline(transaction=False) as pipe:
                (seconds, micros), read = pipe.time().get(key).execute()
            now = seconds + micros / 1e6
            state, answer = step(HostTurns.loads(read), now)
            latest = max([state.last, *state.held.values(), now])
            keep = latest - now + max(self.delay, self.longest) + 60
            if self.compare_and_set(keys=[key], args=[read or b"", state.dumps(), int(keep * 1000)]):
                return now, answer
            if self.stats:
                self.stats.inc_value("politeness/changed_meanwhile")

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
            if turn.granted:
                # Held from now (renewed, and ended should the wait fail) though it starts later.
                request.meta[_TURN] = (host, holder)
                self.held.setdefault(host, {})[holder] = time.monotonic() + wait + self.longest
            if wait > 0:
                waited += wait
                await sleep(wait)
            if turn.granted:
                break
        if waited and self.stats:
            self.stats.inc_value("politeness/waited_s", round(waited, 3))

    def _end(self, request: Request) -> None:
        taken = request.meta.pop(_TURN, None)
        if taken:
            host, holder = taken
            mine = self.held.get(host, {})
            mine.pop(holder, None)
            if not mine:
                self.held.pop(host, None)
            self._change(host, lambda state, now: (end_turn(state, now, holder), None))

    def process_response(self, request: Request, response: Response) -> Response:
        self._end(request)
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        self._end(request)
