"""The SQLite state store: WAL, so several processes read while one writes, and each write is
one short transaction (a crash loses nothing already committed)."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from crawler.archive.writer import Original

SCHEMA = """
CREATE TABLE IF NOT EXISTS payloads (
    digest    TEXT PRIMARY KEY,
    uri       TEXT NOT NULL,
    date      TEXT NOT NULL,
    record_id TEXT NOT NULL
);
"""


class SqliteStore:
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # `scrapy shell` builds components on one thread and runs the crawl on another: the
        # connection may cross threads, and the lock keeps its use one at a time.
        self.db = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=False)
        self.lock = threading.Lock()
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA busy_timeout=60000")
        self.db.executescript(SCHEMA)

    def original_payload(self, digest: str) -> Original | None:
        with self.lock:
            row = self.db.execute("SELECT uri, date, record_id FROM payloads WHERE digest = ?",
                                  (digest,)).fetchone()
        return Original(*row) if row else None

    def add_payload(self, digest: str, original: Original) -> None:
        with self.lock:
            self.db.execute("INSERT OR IGNORE INTO payloads (digest, uri, date, record_id) VALUES (?, ?, ?, ?)",
                            (digest, original.uri, original.date, original.record_id))

    def close(self) -> None:
        with self.lock:
            self.db.close()
