"""The cyclic garbage collector tuned for a crawl's process, while its engine runs.

A crawl allocates container objects by the million (requests, Deferreds, headers, items) that
mostly live for a few reactor turns and die by reference counting. At Python's default young
threshold (700) many are still alive at a collection, so they are promoted and scanned again
by the older generations' collections: about a millisecond of a page's time in the crawl's
process. `GC_THRESHOLD` (10,000 by default) lets them die first. `GC_FREEZE` moves what the
process holds when the engine starts (modules, settings, components) out of the collector's
sight, so a full collection scans only what the crawl made since.

Thresholds are restored, and frozen objects handed back, when the last engine of the process
stops (`crawlall` runs several in one process). At the process's exit everything is frozen
again: the interpreter's last full collection would scan every object the process holds (the
normalizer's dictionaries alone make it about half a second of each crawl's exit) only to free
what dies with the process anyway. Nothing written relies on it: files are closed and
flushed explicitly, and Python does not promise finalizers at exit."""

from __future__ import annotations

import atexit
import gc
import logging

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

log = logging.getLogger(__name__)


class GarbageCollector:
    running = 0  # engines of this process that run with the tuning (the collector is the process's)
    saved: tuple[int, ...] | None = None  # the thresholds before the first of them started
    frozen_at_exit = False  # the exit's freeze registered (once a process)

    def __init__(self, threshold: tuple[int, ...], freeze: bool) -> None:
        self.threshold = threshold
        self.freeze = freeze

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> GarbageCollector:
        value = crawler.settings.getlist("GC_THRESHOLD")
        if not value:
            raise NotConfigured("GC_THRESHOLD is empty: Python's own thresholds")
        try:
            threshold = tuple(int(n) for n in value)
        except ValueError:
            raise ValueError(f"GC_THRESHOLD={value!r}: one to three integers") from None
        if not 1 <= len(threshold) <= 3 or min(threshold) < 1:
            raise ValueError(f"GC_THRESHOLD={value!r}: one to three integers, each at least 1")
        ext = cls(threshold, crawler.settings.getbool("GC_FREEZE"))
        if not cls.frozen_at_exit:
            atexit.register(gc.freeze)
            cls.frozen_at_exit = True
        crawler.signals.connect(ext.engine_started, signal=signals.engine_started)
        crawler.signals.connect(ext.engine_stopped, signal=signals.engine_stopped)
        return ext

    def engine_started(self) -> None:
        cls = type(self)
        if cls.running == 0:
            cls.saved = gc.get_threshold()
        cls.running += 1
        gc.set_threshold(*self.threshold)
        if self.freeze:
            gc.freeze()
        log.debug("garbage collector: thresholds %s, %d objects frozen", gc.get_threshold(), gc.get_freeze_count())

    def engine_stopped(self) -> None:
        cls = type(self)
        cls.running = max(0, cls.running - 1)
        if cls.running == 0 and cls.saved is not None:
            gc.set_threshold(*cls.saved)
            gc.unfreeze()
            cls.saved = None
