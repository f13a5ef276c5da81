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

from crawler.state.sql import Dialect, Member, SqlStore, StateStoreError

__all__ = ["Member", "SqliteStore", "StateStoreError"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS payloads (
    digest    TEXT PRIMARY KEY,
    uri       TEXT NOT NULL,
    date      TEXT NOT NULL,
    record_id TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS urls (
    canonical_url TEXT PRIMARY KEY,
    record_id     TEXT NOT NULL,
    first_seen    TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS articles (
    id            INTEGER PRIMARY KEY,
    record_id     TEXT NOT NULL UNIQUE,
    url           TEXT NOT NULL,
    canonical_url TEXT NOT NULL,
    site          TEXT,
    title         TEXT,
    content_hash  TEXT NOT NULL,
    cluster       TEXT NOT NULL,
    duplicate_of  TEXT,
    similarity    REAL,
    seen_at       TEXT NOT NULL,
    run           TEXT,                       -- the run that filed it
    exported      INTEGER NOT NULL DEFAULT 0, -- its record is in the exports
    evidence      TEXT,                       -- JSON: what the canonical rule compares
    moved_from    TEXT,                       -- the cluster it was in before a merge ...
    moved_by      TEXT                        -- ... by the filing of this record
);
CREATE TABLE IF NOT EXISTS signatures (
    article INTEGER PRIMARY KEY,
    sig     BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS bands (
    key     INTEGER NOT NULL,
    article INTEGER NOT NULL,
    PRIMARY KEY (key, article)
) WITHOUT ROWID;
"""
INDEXES = """
CREATE INDEX IF NOT EXISTS articles_by_hash ON articles (content_hash);
CREATE INDEX IF NOT EXISTS articles_by_cluster ON articles (cluster);
CREATE INDEX IF NOT EXISTS articles_unexported ON articles (run) WHERE exported = 0;
"""
# Columns added since the first stores were made: (table, column, definition for old rows).
ADDED_COLUMNS = [
    ("articles", "run", "TEXT"),
    ("articles", "exported", "INTEGER NOT NULL DEFAULT 1"),  # old rows were exported
    ("articles", "evidence", "TEXT"),
    ("articles", "moved_from", "TEXT"),
    ("articles", "moved_by", "TEXT"),
]
INDEXES_ADDED = """
CREATE TABLE IF NOT EXISTS leases (
    name    TEXT PRIMARY KEY,
    holder  TEXT NOT NULL,
    expires REAL NOT NULL  -- unix time
);
CREATE INDEX IF NOT EXISTS articles_moved_by ON articles (moved_by) WHERE moved_by IS NOT NULL;
CREATE TABLE IF NOT EXISTS staged (  -- export lines not yet confirmed (sql.RunLedger)
    record_id TEXT PRIMARY KEY,
    host      TEXT NOT NULL,
    path      TEXT NOT NULL,
    at_byte   INTEGER NOT NULL,
    line      BLOB NOT NULL
) WITHOUT ROWID;
"""


REBUILD = "move it aside and rebuild the store from the exports and WARCs: scrapy rebuild_state -s OUTPUT_DIR=..."


class SqliteStore(SqlStore):
    dialect = Dialect()

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
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA busy_timeout=120000")
        # A store of millions of fingerprints: keep its hot B-tree pages in memory.
        self.db.execute("PRAGMA cache_size=-131072")  # 128 MiB
        self.db.execute("PRAGMA mmap_size=1073741824")  # reads through a 1 GiB map
        self.db.execute("PRAGMA temp_store=MEMORY")
        with self.lock:
            self.db.executescript(SCHEMA)
            for table, column, definition in ADDED_COLUMNS:
                if column not in {r[1] for r in self.db.execute(f"PRAGMA table_info({table})")}:
                    self.db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}")
            self.db.executescript(INDEXES + INDEXES_ADDED)

    @contextmanager
    def exclusive(self) -> Iterator[SqliteStore]:
        """One write transaction: no other process writes in between (inside one already open:
        that one, which began IMMEDIATE too)."""
        with self.lock:
            if self.db.in_transaction:
                yield self
                return
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")

    _transaction = exclusive  # every write transaction excludes the other writers

    def close(self) -> None:
        with self.lock:
            self.db.close()
