"""`scrapy rebuild_state`: a new state store from OUTPUT_DIR's exports and WARC files, after the
store was lost or found damaged (the crawl commands refuse to run then, and say so).

Refuses while a store is in place: move a damaged one aside first. The store is built under a
temporary name and put in place when whole, so an interrupted rebuild is simply run again.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from scrapy.commands import ScrapyCommand

from crawler.extensions.state import store_path
from crawler.pipelines.dedupe import dedupe_config
from crawler.state import SqliteStore
from crawler.state.rebuild import rebuild


class Command(ScrapyCommand):
    requires_project = True

    def short_desc(self) -> str:
        return "Rebuild a lost or damaged state store from the exports and WARC files"

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        path = store_path(self.settings)
        output = Path(self.settings.get("OUTPUT_DIR", "output"))
        if path is None:
            self._refuse("only a SQLite store (STATE_URL empty or sqlite:///PATH) can be rebuilt")
            return
        if path.exists():
            self._refuse(f"{path} exists; move it aside first (mv {path} {path}.damaged) if it is damaged")
            return
        building = path.with_name(path.name + ".rebuilding")
        for stale in (building, *(Path(f"{p}{s}") for p in (building, path) for s in ("-wal", "-shm"))):
            stale.unlink(missing_ok=True)  # an interrupted rebuild's, or the lost store's journal
        store = SqliteStore(building)
        settings = self.settings
        done = rebuild(output, store, dedupe_config(settings))  # every fingerprint made again
        store.close()
        building.replace(path)
        print(f"rebuilt {path}: {done.articles} articles ({done.urls} URLs) from {output}/articles and "
              f"{output}/duplicates, {done.payloads} payloads from {output}/warc"
              + (f"; {done.skipped_lines} export lines were not whole records and were skipped"
                 if done.skipped_lines else ""))

    def _refuse(self, why: str) -> None:
        print(f"rebuild_state refused: {why}", file=sys.stderr)
        self.exitcode = 2
