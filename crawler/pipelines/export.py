"""Write articles as JSON lines, appended, one per line: a record that was its story's canonical
one when filed in `OUTPUT_DIR/articles/<spider>.jsonl`, the other copies in
`OUTPUT_DIR/duplicates/<spider>.jsonl`; when a filing re-points or merges clusters, the cluster
event log `OUTPUT_DIR/clusters.jsonl` says so. Nothing is rewritten: `scrapy stories` gives the
current canonical record of every story.

Group commit: each line is written to the file at once (a killed process loses none of them),
and every `EXPORT_BATCH` records, or after `EXPORT_BATCH_SECONDS`, and when the spider closes,
the files are fsynced and only then are the batch's filings marked exported in the store. Each
line is kept in the store (staged) before it is written: a crash in between leaves the filings
unmarked, and the next run confirms their lines in the exports, or exports them again from the
store (crawler.extensions.state), so nothing is lost.

A write that fails (a full disk) leaves no partial line: the file is cut back to where the line
began, the article is not marked archived (the next run fetches it again), and the failure is
reported (the crawl stops and exits non-zero)."""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path
from typing import Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from crawler.dedupe import CLUSTER_LOG, cluster_events
from crawler.durable import append_whole
from crawler.extensions import required
from crawler.extensions.faults import report_fault
from crawler.extensions.state import CrawlState, append_lines
from crawler.items import record_of
from crawler.state import STORE_ERRORS


class JsonlExportPipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.output_dir = Path(crawler.settings.get("OUTPUT_DIR", "output"))
        self.store = required(crawler, CrawlState).store
        self.files: dict[tuple[str, str], int] = {}  # file descriptors, appending
        self.paths: dict[int, str] = {}  # their files, as the store records where lines go
        self.host = socket.gethostname()
        self.batch = max(1, crawler.settings.getint("EXPORT_BATCH", 32))
        self.batch_seconds = crawler.settings.getfloat("EXPORT_BATCH_SECONDS", 1.0)
        self.pending: list[tuple[str, str, str]] = []  # written, not yet fsynced and marked
        self.synced_at = time.monotonic()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> JsonlExportPipeline:
        return cls(crawler)

    def _file(self, kind: str, name: str) -> int:
        if (kind, name) not in self.files:
            folder = self.output_dir / kind
            folder.mkdir(parents=True, exist_ok=True)
            self.files[kind, name] = os.open(folder / f"{name}.jsonl", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            self.paths[self.files[kind, name]] = str((folder / f"{name}.jsonl").resolve())
        return self.files[kind, name]

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        record = record_of(item)
        copy = (record.get("dedupe") or {}).get("duplicate_of")
        kind = "duplicates" if copy else "articles"
        line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
        try:
            fd = self._file(kind, self.crawler.spider.name)
            # Kept in the store first: a crash before the batch is marked loses no line.
            self.store.stage_export(adapter["id"], self.host, self.paths[fd], os.lseek(fd, 0, os.SEEK_END), line)
            append_whole(fd, line, sync=False)  # whole or not at all; fsynced by the batch
        except OSError as error:
            self.store.unstage(adapter["id"])
            report_fault(self.crawler, "export", error)
            raise DropItem(f"not exported: {error}") from error
        try:
            append_lines(self.output_dir / CLUSTER_LOG, cluster_events(record))
        except OSError as error:  # the next run's recovery logs the events of exported records
            report_fault(self.crawler, "cluster log", error)
        self.pending.append((record["id"], record["canonical_url"], record["fetched_at"]))
        if len(self.pending) >= self.batch or time.monotonic() - self.synced_at >= self.batch_seconds:
            self.commit()
        return item

    def commit(self) -> None:
        """Make the written records durable, then mark their filings exported."""
        pending, self.pending = self.pending, []
        self.synced_at = time.monotonic()
        try:
            for fd in self.files.values():
                os.fsync(fd)
        except OSError as error:  # not durable: left unmarked, the next run's recovery decides
            report_fault(self.crawler, "export", error)
            return
        try:
            # Only now are the articles archived for good: their URLs are not fetched again.
            self.store.mark_exported_many(pending)
        except STORE_ERRORS as error:  # the records are exported: the next run's recovery marks them
            report_fault(self.crawler, "state store", error)

    def close_spider(self) -> None:
        self.commit()
        for fd in self.files.values():
            os.close(fd)
        self.files.clear()

