"""The crawl's state store, opened once per crawler and shared by the components that use it
(archive, dedupe, known-URL filter); closed when the engine has stopped, after all of them."""

from __future__ import annotations

from pathlib import Path
from weakref import WeakKeyDictionary

from scrapy import signals
from scrapy.crawler import Crawler

from crawler.state import StateStore, open_store


class CrawlState:
    _instances: WeakKeyDictionary = WeakKeyDictionary()

    @classmethod
    def of(cls, crawler: Crawler) -> CrawlState:
        if crawler not in cls._instances:
            cls._instances[crawler] = cls(crawler)
        return cls._instances[crawler]

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.store: StateStore = open_store(Path(settings.get("OUTPUT_DIR", "output")),
                                            settings.get("STATE_URL", ""))
        crawler.signals.connect(self.engine_stopped, signal=signals.engine_stopped)

    def engine_stopped(self) -> None:
        self.store.close()
