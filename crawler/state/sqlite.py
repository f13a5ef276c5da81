"""The SQLite state store: WAL, so several processes read while one writes; each write is one
short transaction (a crash loses nothing already committed); `exclusive()` makes a lookup and
the insert that depends on it one step, across processes too (BEGIN IMMEDIATE).

An article's row holds its cluster (a story's stable id: the record id of its first copy) and
its current `duplicate_of` (NULL for the cluster's canonical record), which change when a
cluster is re-pointed or merged; `evidence` is what the canonical rule compares."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from crawler.archive.writer import Original

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
"""


@dataclass(frozen=True)
class Member:
    """One filed copy of a cluster, as the store holds it."""

    id: int  # filing order
    record_id: str
    duplicate_of: str | None
    exported: bool
    evidence: dict | None


class StateStoreError(Exception):
    """The state store cannot be used: corrupt, not a store, or missing while exports exist."""


REBUILD = "move it aside and rebuild the store from the exports and WARCs: scrapy rebuild_state -s OUTPUT_DIR=..."


class SqliteStore:
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
        """One write transaction: no other process writes in between."""
        with self.lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")

    def _one(self, sql: str, args: tuple) -> tuple | None:
        with self.lock:
            return self.db.execute(sql, args).fetchone()

    def setting(self, name: str, default: str) -> str:
        """The store's value for `name`, which becomes `default` if it has none yet."""
        with self.exclusive():
            self.db.execute("INSERT OR IGNORE INTO settings (name, value) VALUES (?, ?)", (name, default))
            return self.db.execute("SELECT value FROM settings WHERE name = ?", (name,)).fetchone()[0]

    # --- payloads (WARC revisits) --------------------------------------------------------
    def original_payload(self, digest: str) -> Original | None:
        row = self._one("SELECT uri, date, record_id FROM payloads WHERE digest = ?", (digest,))
        return Original(*row) if row else None

    def add_payload(self, digest: str, original: Original) -> None:
        with self.lock:
            self.db.execute("INSERT OR IGNORE INTO payloads (digest, uri, date, record_id) VALUES (?, ?, ?, ?)",
                            (digest, original.uri, original.date, original.record_id))

    # --- URLs ----------------------------------------------------------------------------
    def known_url(self, canonical_url: str) -> bool:
        return self._one("SELECT 1 FROM urls WHERE canonical_url = ?", (canonical_url,)) is not None


    # --- articles and their fingerprints -------------------------------------------------
    def article(self, record_id: str) -> tuple[int, str, str | None, float | None] | None:
        """(id, cluster, duplicate_of, similarity) of a filed record."""
        return self._one("SELECT id, cluster, duplicate_of, similarity FROM articles WHERE record_id = ?",
                         (record_id,))

    def article_by_hash(self, content_hash: str) -> tuple[int, str] | None:
        """(id, cluster) of the first article whose body has exactly this hash."""
        return self._one("SELECT id, cluster FROM articles WHERE content_hash = ? ORDER BY id LIMIT 1",
                         (content_hash,))

    def clusters_of(self, article_ids: list[int]) -> dict[int, str]:
        if not article_ids:
            return {}
        marks = ",".join("?" * len(article_ids))
        with self.lock:
            return dict(self.db.execute(f"SELECT id, cluster FROM articles WHERE id IN ({marks})",
                                        article_ids).fetchall())

    def members(self, cluster: str) -> list[Member]:
        """A cluster's copies, in filing order."""
        with self.lock:
            rows = self.db.execute("SELECT id, record_id, duplicate_of, exported, evidence FROM articles "
                                   "WHERE cluster = ? ORDER BY id", (cluster,)).fetchall()
        return [_member(row) for row in rows]

    def clusters(self) -> Iterator[tuple[str, list[Member]]]:
        """Every cluster with its copies, oldest cluster first."""
        with self.lock:
            rows = self.db.execute(CLUSTERS_SQL).fetchall()
        yield from grouped(rows, _member)

    def lsh_candidates(self, band_keys: list[int]) -> list[int]:
        marks = ",".join("?" * len(band_keys))
        with self.lock:
            return [r[0] for r in self.db.execute(
                f"SELECT DISTINCT article FROM bands WHERE key IN ({marks})", band_keys)]

    def signatures(self, article_ids: list[int]) -> dict[int, np.ndarray]:
        if not article_ids:
            return {}
        marks = ",".join("?" * len(article_ids))
        with self.lock:
            rows = self.db.execute(f"SELECT article, sig FROM signatures WHERE article IN ({marks})",
                                   article_ids).fetchall()
        return {article: np.frombuffer(sig, dtype=np.uint32) for article, sig in rows}

    def add_article(self, *, record_id: str, url: str, canonical_url: str, site: str | None,
                    title: str | None, content_hash: str, cluster: str, duplicate_of: str | None,
                    similarity: float | None, seen_at: str, signature: np.ndarray,
                    band_keys: list[int], run: str | None = None, evidence: dict | None = None) -> int | None:
        """File an article with its fingerprints; None if that record was filed before."""
        with self.lock:
            cursor = self.db.execute(
                "INSERT OR IGNORE INTO articles (record_id, url, canonical_url, site, title, content_hash, "
                "cluster, duplicate_of, similarity, seen_at, run, evidence) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (record_id, url, canonical_url, site, title, content_hash, cluster, duplicate_of,
                 similarity, seen_at, run, json.dumps(evidence, ensure_ascii=False) if evidence else None))
            if not cursor.rowcount:
                return None
            article = cursor.lastrowid
            self.db.execute("INSERT INTO signatures (article, sig) VALUES (?, ?)",
                            (article, signature.astype(np.uint32).tobytes()))
            self.db.executemany("INSERT OR IGNORE INTO bands (key, article) VALUES (?, ?)",
                                [(key, article) for key in band_keys])
            return article

    def merge_clusters(self, absorbed: str, into: str, by: str) -> None:
        """Move every copy of cluster `absorbed` into `into`, the filing of `by` bridging them."""
        with self.lock:
            self.db.execute("UPDATE articles SET cluster = ?, moved_from = ?, moved_by = ? WHERE cluster = ?",
                            (into, absorbed, by, absorbed))

    def set_canonical(self, cluster: str, record_id: str, similarities: dict[str, float | None]) -> None:
        """Make `record_id` the cluster's canonical record, every other copy a copy of it
        (`similarities`: each copy's to the canonical one)."""
        with self.lock:
            self.db.execute("UPDATE articles SET duplicate_of = CASE record_id WHEN ? THEN NULL ELSE ? END "
                            "WHERE cluster = ?", (record_id, record_id, cluster))
            self.db.executemany("UPDATE articles SET similarity = ? WHERE record_id = ? AND cluster = ?",
                                [(sim, rid, cluster) for rid, sim in similarities.items()])

    def mark_exported(self, record_id: str, canonical_url: str, seen_at: str) -> None:
        """The record is in the exports: its URL is now archived, its filing final."""
        with self.exclusive():
            self.db.execute("UPDATE articles SET exported = 1 WHERE record_id = ?", (record_id,))
            self.db.execute("INSERT OR IGNORE INTO urls (canonical_url, record_id, first_seen) VALUES (?, ?, ?)",
                            (canonical_url, record_id, seen_at))

    def unexported_runs(self) -> list[str]:
        with self.lock:
            return [r[0] for r in self.db.execute(
                "SELECT DISTINCT run FROM articles WHERE exported = 0 AND run IS NOT NULL")]

    def unexported(self, run: str) -> list[tuple[str, str, str]]:
        """(record_id, canonical_url, seen_at) of the run's articles filed but not exported."""
        with self.lock:
            return self.db.execute("SELECT record_id, canonical_url, seen_at FROM articles "
                                   "WHERE run = ? AND exported = 0", (run,)).fetchall()

    def forget(self, record_ids: list[str]) -> set[str]:
        """Remove articles (and their fingerprints) filed by a run that died before exporting
        them, and undo the merges their filings made. The clusters touched, to elect again."""
        touched: set[str] = set()
        with self.exclusive():
            for record_id in record_ids:
                row = self.db.execute("SELECT id, cluster FROM articles WHERE record_id = ?",
                                      (record_id,)).fetchone()
                if row:
                    touched.add(row[1])
                    self.db.execute("DELETE FROM bands WHERE article = ?", row[:1])
                    self.db.execute("DELETE FROM signatures WHERE article = ?", row[:1])
                    self.db.execute("DELETE FROM articles WHERE id = ?", row[:1])
                moved = self.db.execute("SELECT DISTINCT moved_from, cluster FROM articles WHERE moved_by = ?",
                                        (record_id,)).fetchall()
                for absorbed, cluster in moved:
                    touched |= {absorbed, cluster}
                self.db.execute("UPDATE articles SET cluster = moved_from, moved_from = NULL, moved_by = NULL "
                                "WHERE moved_by = ?", (record_id,))
        return touched

    def cluster_of(self, record_id: str) -> str | None:
        row = self._one("SELECT cluster FROM articles WHERE record_id = ?", (record_id,))
        return row[0] if row else None

    def count(self, table: str) -> int:
        if table not in ("articles", "urls", "payloads", "signatures", "bands"):
            raise ValueError(table)
        return self._one(f"SELECT COUNT(*) FROM {table}", ())[0]

    # --- leases ------------------------------------------------------------------------------
    def hold_lease(self, name: str, holder: str, ttl: float) -> str:
        """Take or renew `name` for `holder` for `ttl` seconds unless another holds it live; the holder."""
        with self.exclusive():
            now = time.time()
            self.db.execute("INSERT INTO leases (name, holder, expires) VALUES (?, ?, ?) ON CONFLICT (name) "
                            "DO UPDATE SET holder = excluded.holder, expires = excluded.expires "
                            "WHERE leases.holder = excluded.holder OR leases.expires < ?",
                            (name, holder, now + ttl, now))
            return self.db.execute("SELECT holder FROM leases WHERE name = ?", (name,)).fetchone()[0]

    def lease_holder(self, name: str) -> str | None:
        row = self._one("SELECT holder FROM leases WHERE name = ? AND expires >= ?", (name, time.time()))
        return row[0] if row else None

    def release_lease(self, name: str, holder: str) -> None:
        with self.lock:
            self.db.execute("DELETE FROM leases WHERE name = ? AND holder = ?", (name, holder))

    def close(self) -> None:
        with self.lock:
            self.db.close()


# Every filed copy with its cluster (last column), oldest cluster first: for `grouped`.
CLUSTERS_SQL = ("SELECT a.id, a.record_id, a.duplicate_of, a.exported, a.evidence, a.cluster "
                "FROM articles a JOIN (SELECT cluster, MIN(id) AS first FROM articles "
                "GROUP BY cluster) c ON c.cluster = a.cluster ORDER BY c.first, a.id")


def grouped(rows: list, member: Callable[[tuple], Member]) -> Iterator[tuple[str, list[Member]]]:
    """CLUSTERS_SQL's rows as (cluster, its copies), in order (both backends read it so)."""
    cluster, members = None, []
    for row in rows:
        if row[5] != cluster and members:
            yield cluster, members
            members = []
        cluster = row[5]
        members.append(member(row))
    if members:
        yield cluster, members


def _member(row: tuple) -> Member:
    return Member(row[0], row[1], row[2], bool(row[3]), json.loads(row[4]) if row[4] else None)
