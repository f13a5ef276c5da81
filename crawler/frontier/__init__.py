"""A frontier shared by several crawl processes, on Redis with scrapy-redis, switched on by
`REDIS_URL` (the `FrontierAddon` swaps the scheduler in; empty: Scrapy's own scheduler).

Processes of one spider (on one machine or many) take requests from one queue, so each page is
fetched by one of them. What scrapy-redis leaves open, this adds:

- **Runs end by themselves.** Each worker announces itself with a heartbeat key; a worker with
  nothing to do stays open while the queue holds requests or another live worker still has
  requests in hand (they may yield more), and closes when neither is true.
- **Listing pages are fetched again every run.** The dupefilter is keyed by the run (the first
  worker of a run names it, the others join it while any of them lives) and deleted when the
  run's last worker finishes. Articles already archived are skipped by the state store
  (`KnownArticlesMiddleware`), not by a fingerprint that never expires.
- **Nothing taken is lost.** A request is moved from the queue into its worker's processing hash
  in one step (a Lua script) and removed once its callback's output is out; the processing hash
  of a worker whose heartbeat expired is put back into the queue by whichever worker notices.
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import os
import socket
import uuid
from collections.abc import AsyncIterator, Iterable
from typing import Any

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy_redis import connection
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler
from twisted.internet import task

log = logging.getLogger(__name__)

# Take the first request of the queue into the worker's processing hash, in one step.
_TAKE = """
local r = redis.call('ZRANGE', KEYS[1], 0, 0)
if #r == 0 then return false end
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, 0)
redis.call('HSET', KEYS[2], redis.sha1hex(r[1]), r[1])
return r[1]
"""
# Put a processing hash back into the queue and drop it, in one step (two workers recovering the
# same dead one put its requests back once). With a worker's heartbeat key and the workers' set
# (KEYS[3], KEYS[4]; ARGV[1] the worker): only where that heartbeat is gone, in the same step, and
# the worker leaves the set (-1: it lives, untouched). A look at who lives is already old when the
# recovery acts on it: a worker that joined meanwhile must not be taken for dead.
_RETURN = """
if #KEYS > 2 then
  if redis.call('EXISTS', KEYS[3]) == 1 then return -1 end
  redis.call('SREM', KEYS[4], ARGV[1])
end
local items = redis.call('HVALS', KEYS[2])
for _, data in ipairs(items) do redis.call('ZADD', KEYS[1], 0, data) end
redis.call('DEL', KEYS[2])
return #items
"""
_TAKEN = "frontier_taken"


class FrontierAddon:
    """With `REDIS_URL` set, the shared frontier replaces Scrapy's scheduler."""

    def update_settings(self, settings: BaseSettings) -> None:
        if not settings.get("REDIS_URL"):
            return
        settings.set("SCHEDULER", "crawler.frontier.SharedFrontier", priority="addon")
        middlewares = settings.getdict("SPIDER_MIDDLEWARES")
        settings.set("SPIDER_MIDDLEWARES", {**middlewares, "crawler.frontier.FrontierMiddleware": 10},
                     priority=settings.getpriority("SPIDER_MIDDLEWARES") or "addon")


class SharedFrontier(Scheduler):
    """scrapy-redis's scheduler, with run-keyed dupefilter, heartbeats and processing hashes."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedFrontier:
        settings = crawler.settings
        server = connection.from_settings(settings)
        server.ping()
        # The dupefilter is made per run in open(); the queue's requests are kept across workers.
        frontier = cls(server=server, persist=True, dupefilter=None,
                       serializer=importlib.import_module(settings.get("SCHEDULER_SERIALIZER",
                                                                       "scrapy_redis.picklecompat")))
        frontier.stats = crawler.stats
        frontier.crawler = crawler
        frontier.ttl = crawler.settings.getfloat("FRONTIER_HEARTBEAT_TTL", 30)
        frontier.idle_poll = crawler.settings.getfloat("FRONTIER_IDLE_POLL", 0.2)
        frontier.worker = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        frontier.take = frontier.server.register_script(_TAKE)
        frontier.give_back = frontier.server.register_script(_RETURN)
        crawler.signals.connect(frontier.spider_idle, signal=signals.spider_idle)
        return frontier

    # --- keys ------------------------------------------------------------------------------
    def _key(self, *parts: str) -> str:
        return ":".join([self.prefix, *parts])

    def open(self, spider: Spider) -> None:
        self.spider = spider
        self.prefix = self.crawler.settings.get("FRONTIER_KEY", "zhnews:%(spider)s") % {"spider": spider.name}
        self.queue = PriorityQueue(server=self.server, spider=spider, key=self._key("requests"),
                                   serializer=self.serializer)
        self.processing = self._key("processing", self.worker)
        # Its heartbeat first: a worker in the set without one is dead to the others, who recover it.
        self._beat()
        self.server.sadd(self._key("workers"), self.worker)
        # The run this worker joins: the live one, or a new one it names.
        self.server.set(self._key("run"), uuid.uuid4().hex, nx=True, ex=int(self.ttl))
        self.run = self.server.get(self._key("run")).decode()
        self.df = RFPDupeFilter(self.server, key=self._key("seen", self.run),
                                debug=self.crawler.settings.getbool("DUPEFILTER_DEBUG"))
        self.recover()
        log.info("frontier: worker %s joins run %s of %s (%d requests queued)", self.worker, self.run,
                 spider.name, len(self.queue))
        self.heartbeat = task.LoopingCall(self._beat)
        self.heartbeat.start(self.ttl / 3, now=False)

    def _beat(self) -> None:
        pipe = self.server.pipeline()
        pipe.set(self._key("alive", self.worker), "1", ex=int(self.ttl))
        if getattr(self, "run", None):
            pipe.expire(self._key("run"), int(self.ttl))
        pipe.execute()

    def live_workers(self) -> list[str]:
        members = [m.decode() for m in self.server.smembers(self._key("workers"))]
        alive = self.server.mget([self._key("alive", m) for m in members]) if members else []
        return [m for m, a in zip(members, alive, strict=True) if a is not None]

    def recover(self, live: set[str] | None = None) -> int:
        """Put back the requests of workers whose heartbeat expired (not in `live`, the live
        workers: those found now, where not given); how many."""
        live = set(self.live_workers()) if live is None else live
        back = 0
        for member in [m.decode() for m in self.server.smembers(self._key("workers"))]:
            if member in live:
                continue
            n = self.give_back(keys=[self.queue.key, self._key("processing", member), self._key("alive", member),
                                     self._key("workers")], args=[member])
            if n > 0:
                back += n
                log.warning("frontier: worker %s died; its %d requests are back in the queue", member, n)
        if back and self.stats:
            self.stats.inc_value("frontier/recovered", back)
        return back

    # --- the scheduler ---------------------------------------------------------------------
    def next_request(self) -> Request | None:
        data = self.take(keys=[self.queue.key, self.processing])
        if not data:
            return None
        request = self.queue._decode_request(data)
        request.meta[_TAKEN] = hashlib.sha1(data).hexdigest()
        if self.stats:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def done(self, request: Request) -> None:
        """The request's callback has run and what it yielded is scheduled."""
        taken = request.meta.get(_TAKEN)
        if taken:
            self.server.hdel(self.processing, taken)

    def others_busy(self, live: set[str]) -> bool:
        """Whether another of the `live` workers holds requests."""
        return any(self.server.hlen(self._key("processing", w)) for w in live if w != self.worker)

    def spider_idle(self, spider: Spider) -> None:
        """Nothing in this process: stay while the run still has work anywhere."""
        self.server.delete(self.processing)  # all this worker took is done
        # One look at who lives, for both: a worker whose heartbeat expired between a recovery
        # and a look at the others would be neither recovered nor waited for, and what it had
        # taken would wait for the next run.
        live = set(self.live_workers())
        self.recover(live)
        if len(self.queue) or self.others_busy(live):
            # Scrapy looks for work again only on its engine heartbeat (5 s): a worker waiting
            # for another's listing page to yield articles would sit idle that long each time.
            slot = getattr(self.crawler.engine, "_slot", None)
            if slot is not None:
                slot.nextcall.schedule(self.idle_poll)
            raise DontCloseSpider

    def close(self, reason: str) -> None:
        if self.heartbeat.running:
            self.heartbeat.stop()
        if reason != "finished":  # stopped early: what it held goes back for others (or the next run)
            self.give_back(keys=[self.queue.key, self.processing])
        self.server.delete(self.processing, self._key("alive", self.worker))
        self.server.srem(self._key("workers"), self.worker)
        if reason == "finished" and not self.live_workers() and not len(self.queue):
            # The run's last worker: the next run fetches listings again.
            self.server.delete(self._key("seen", self.run), self._key("run"))
            log.info("frontier: run %s of %s finished", self.run, self.spider.name)


class FrontierMiddleware:
    """Tells the frontier when a request is done: its callback's output is out (the requests it
    yielded are in the queue) and every item it yielded has left the pipelines."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.items: dict[int, int] = {}  # id(response): its items still in the pipelines
        for signal in (signals.item_scraped, signals.item_dropped, signals.item_error):
            crawler.signals.connect(self.item_left, signal=signal)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FrontierMiddleware:
        return cls(crawler)

    def _done(self, response: Response) -> None:
        scheduler = self.crawler.engine.scheduler if self.crawler.engine else None
        if isinstance(scheduler, SharedFrontier) and response.request is not None:
            scheduler.done(response.request)

    # Outstanding per response: 1 while its output runs, plus 1 per item in the pipelines.
    def _count(self, response: Response, out: Any) -> None:
        self.items.setdefault(id(response), 1)
        if not isinstance(out, Request):
            self.items[id(response)] += 1

    def _finished(self, response: Response) -> None:
        self.items.setdefault(id(response), 1)
        self.item_left(response=response)

    def item_left(self, response: Response | None = None, **kwargs: Any) -> None:
        if response is None or id(response) not in self.items:
            return
        self.items[id(response)] -= 1
        if not self.items[id(response)]:
            del self.items[id(response)]
            self._done(response)

    def process_spider_output(self, response: Response, result: Iterable[Any]) -> Iterable[Any]:
        for out in result:
            self._count(response, out)
            yield out
        self._finished(response)

    async def process_spider_output_async(self, response: Response, result: AsyncIterator[Any]) -> AsyncIterator[Any]:
        async for out in result:
            self._count(response, out)
            yield out
        self._finished(response)

    def process_spider_exception(self, response: Response, exception: Exception) -> None:
        self.items.pop(id(response), None)
        self._done(response)


__all__ = ["FrontierAddon", "FrontierMiddleware", "SharedFrontier"]
