"""The crawl's state store: an extension that opens it with the crawler and closes it when the
engine has stopped; the components that use it (archive, dedupe, known-URL filter, export) find
it with `crawler.get_extension(CrawlState)`.

Crash consistency: an article is filed (dedupe) before its record is exported, and its filing
becomes final, and its URL known, only once the record is in the exports. Each run holds a
lock file while it lives; at start, articles filed by runs that died (lock free) and never
exported are forgotten, so the restarted crawl fetches and files them again. One whose record
did reach the exports (the process died between the two steps) is marked exported instead.
"""

from __future__ import annotations

import fcntl
import logging
import os
import socket
import time
from pathlib import Path

from scrapy import signals
from scrapy.crawler import Crawler

from crawler.state import StateStore, open_store

log = logging.getLogger(__name__)
_TAIL = 4 << 20  # how much of each export's end to search for a record id


def exported_ids(output: Path, record_ids: set[str]) -> set[str]:
    """Which of these record ids appear near the end of the exports (articles/, duplicates/)."""
    found: set[str] = set()
    for path in [*output.glob("articles/*.jsonl"), *output.glob("duplicates/*.jsonl")]:
        with open(path, "rb") as fh:
            fh.seek(max(0, path.stat().st_size - _TAIL))
            tail = fh.read()
        found |= {rid for rid in record_ids if f'"id": "{rid}"'.encode() in tail}
    return found


class CrawlState:
    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlState:
        return cls(crawler)

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.output = Path(settings.get("OUTPUT_DIR", "output"))
        self.store: StateStore = open_store(self.output, settings.get("STATE_URL", ""))
        self.runs = self.output / "runs"
        self.runs.mkdir(parents=True, exist_ok=True)
        self.run = f"{socket.gethostname()}-{os.getpid()}-{int(time.time() * 1000)}"
        self._lock = open(self.runs / f"{self.run}.lock", "w")  # held while the run lives
        fcntl.flock(self._lock, fcntl.LOCK_EX)
        self.recover(crawler)
        crawler.signals.connect(self.engine_stopped, signal=signals.engine_stopped)

    def recover(self, crawler: Crawler) -> None:
        for run in self.store.unexported_runs():
            lock = self.runs / f"{run}.lock"
            if lock.exists():
                with open(lock) as fh:
                    try:
                        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    except BlockingIOError:
                        continue  # that run is alive
            pending = self.store.unexported(run)
            done = exported_ids(self.output, {rid for rid, _, _ in pending})
            for record_id, url, seen_at in pending:
                if record_id in done:
                    self.store.mark_exported(record_id, url, seen_at)
            self.store.forget([rid for rid, _, _ in pending if rid not in done])
            lock.unlink(missing_ok=True)
            crawler.stats.inc_value("state/recovered_unexported", len(pending) - len(done))
            log.warning("run %s died: %d filed articles forgotten (to be fetched again), %d confirmed",
                        run, len(pending) - len(done), len(done))

    def engine_stopped(self) -> None:
        self.store.close()
        (self.runs / f"{self.run}.lock").unlink(missing_ok=True)
        self._lock.close()
