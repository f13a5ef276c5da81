"""The SQLite state store: WAL, so several processes read while one writes; each write is one
short transaction (a crash loses nothing already committed); `exclusive()` makes a lookup and
the insert that depends on it one step, across processes too (BEGIN IMMEDIATE).

An article's row holds its cluster (a story's stable id: the record id of its first copy) and
its current `duplicate_of` (NULL for the cluster's canonical record), which change when a
cluster is re-pointed or merged; `evidence` is what the canonical rule compares."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from crawler.state.sql import Dialect, Exclusion, Member, SqlStore, StateStoreError

__all__ = ["Member", "SqliteStore", "StateStoreError"]

# Columns added since the first stores were made: (table, column, definition for old rows).
ADDED_COLUMNS = [
    ("articles", "run", "TEXT"),
    ("articles", "exported", "INTEGER NOT NULL DEFAULT 1"),  # old rows were exported
    ("articles", "evidence", "TEXT"),
    ("articles", "moved_from", "TEXT"),
    ("articles", "moved_by", "TEXT"),
]
REBUILD = "move it aside and rebuild the store from the exports and WARCs: scrapy rebuild_state -s OUTPUT_DIR=..."


class SqliteStore(SqlStore):
    dialect = Dialect()
    errors = (sqlite3.Error,)

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._open()
        except sqlite3.DatabaseError as error:
            raise StateStoreError(f"state store {self.path} is damaged ({error}); {REBUILD}") from error

    def check(self) -> None:
        """SQLite's quick integrity check; StateStoreError naming the file if it fails."""
        try:
            with self.lock:
                problems = [" ".join(r[0].split()) for r in self.db.execute("PRAGMA quick_check(3)")]
        except sqlite3.DatabaseError as error:
            problems = [str(error)]
        if problems != ["ok"]:
            raise StateStoreError(f"state store {self.path} is damaged ({'; '.join(problems)}); {REBUILD}")

    def _open(self) -> None:
        # `scrapy shell` builds components on one thread and runs the crawl on another: the
        # connection may cross threads, and the lock keeps its use one at a time.
        self.db = sqlite3.connect(self.path, timeout=120, isolation_level=None, check_same_thread=False)
        self.lock = threading.RLock()
        self.exclusion = Exclusion()
        self.unsent = {}  # payloads added, sent with the next write transaction (crawler.state.sql.Payloads)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA busy_timeout=120000")
        # A bounded page cache and no memory map: the crawl's memory stays flat as the store
        # grows (a map's pages count as the process's own); the kernel's file cache keeps the
        # rest of the store's hot pages.
        self.db.execute("PRAGMA cache_size=-8192")  # 8 MiB: full after a few thousand articles
        self.db.execute("PRAGMA mmap_size=0")
        self.db.execute("PRAGMA temp_store=MEMORY")
        # Copied back into the store every 10,000 pages written (40 MiB of log), not SQLite's
        # 1,000: an article's filing rewrites a few dozen index pages, mostly the same ones from
        # one article to the next, and each is copied once a checkpoint however often it changed.
        self.db.execute("PRAGMA wal_autocheckpoint=10000")
        with self.lock:
            self.db.executescript(self.dialect.tables())
            for table, column, definition in ADDED_COLUMNS:
                if column not in {r[1] for r in self.db.execute(f"PRAGMA table_info({table})")}:
                    self.db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}")
            self.db.executescript(self.dialect.indexes())

    @contextmanager
    def exclusive(self) -> Iterator[SqliteStore]:
        """One write transaction: no other process writes in between (inside one already open:
        that one, which began IMMEDIATE too)."""
        with self.lock:
            if self.db.in_transaction:
                yield self
                return
            with self.exclusion.measure() as excluded:
                self.db.execute("BEGIN IMMEDIATE")
                excluded()
                try:
                    self._send_payloads()
                    yield self
                except BaseException:
                    self.db.execute("ROLLBACK")
                    raise
                self.db.execute("COMMIT")

    _transaction = exclusive  # every write transaction excludes the other writers
