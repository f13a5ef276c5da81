"""What a crawl failed to keep: a write of the exports, the WARC files, the state store or the
run report that failed (a full disk, an I/O error). Each is counted (`faults/<what>`) and logged;
the first one closes the spider (finish reason `failed`: going on would fetch pages it cannot
keep), and the crawl commands exit non-zero with its one-line reason. Components report through
`report_fault`, which finds this extension on the crawler."""

from __future__ import annotations

import logging

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.utils.defer import deferred_from_coro
from twisted.python.failure import Failure

from crawler.state import STORE_ERRORS

log = logging.getLogger(__name__)


class Faults:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.lines: list[str] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Faults:
        ext = cls(crawler)
        crawler.signals.connect(ext.item_error, signal=signals.item_error)
        return ext

    def fail(self, what: str, error: BaseException | str) -> None:
        line = f"{what} failed: {error}"
        if self.crawler.stats:
            self.crawler.stats.inc_value(f"faults/{what.replace(' ', '_')}")
        log.error("%s", line)
        first = not self.lines
        if line not in self.lines:
            self.lines.append(line)
        engine = self.crawler.engine
        if first and engine is not None and engine.spider is not None and engine._slot is not None \
                and engine._slot.closing is None:
            deferred_from_coro(engine.close_spider_async(reason="failed"))

    def item_error(self, item: object, response: object, spider: object, failure: Failure) -> None:
        # A pipeline that let a write error through (the dedupe filing, the metadata record).
        if failure.check(*STORE_ERRORS):
            self.fail("state store", failure.value)
        elif failure.check(OSError):
            self.fail("write", failure.value)


def _faults(crawler: Crawler) -> Faults | None:
    try:
        return crawler.get_extension(Faults)
    except RuntimeError:  # the crawler never got as far as its extensions
        return None


def report_fault(crawler: Crawler, what: str, error: BaseException | str) -> None:
    faults = _faults(crawler)
    if faults is not None:
        faults.fail(what, error)
    else:
        log.error("%s failed: %s", what, error)


def faults_of(crawler: Crawler) -> list[str]:
    faults = _faults(crawler)
    return list(faults.lines) if faults is not None else []
