"""The PostgreSQL state store (psycopg 3), for crawls whose processes run on several machines:
the same tables as the SQLite store. Each call outside `exclusive()` is its own transaction
(autocommit); `exclusive()` is one transaction that first takes a transaction-scoped advisory
lock, so the near-duplicate decision (look up candidates, then file) is serialized across every
writer on every machine, and the lock goes with the transaction whatever ends it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import psycopg
from psycopg.types.json import Jsonb

from crawler.archive.writer import Original
from crawler.state.sqlite import CLUSTERS_SQL, Member, StateStoreError, grouped

# The advisory lock key of the store's writers: any constant the crawl's tables own alone.
WRITERS_LOCK = 0x7A686E6577730001  # "zhnews" 1
SCHEMA_LOCK = 0x7A686E6577730002

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
);
CREATE TABLE IF NOT EXISTS articles (
    id            BIGSERIAL PRIMARY KEY,
    record_id     TEXT NOT NULL UNIQUE,
    url           TEXT NOT NULL,
    canonical_url TEXT NOT NULL,
    site          TEXT,
    title         TEXT,
    content_hash  TEXT NOT NULL,
    cluster       TEXT NOT NULL,
    duplicate_of  TEXT,
    similarity    DOUBLE PRECISION,
    seen_at       TEXT NOT NULL,
    run           TEXT,
    exported      BOOLEAN NOT NULL DEFAULT FALSE,
    evidence      JSONB,
    moved_from    TEXT,
    moved_by      TEXT
);
CREATE TABLE IF NOT EXISTS signatures (
    article BIGINT PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
    sig     BYTEA NOT NULL
);
CREATE TABLE IF NOT EXISTS bands (
    key     BIGINT NOT NULL,
    article BIGINT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    PRIMARY KEY (key, article)
);
CREATE TABLE IF NOT EXISTS leases (
    name    TEXT PRIMARY KEY,
    holder  TEXT NOT NULL,
    expires TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS bands_by_article ON bands (article);
CREATE INDEX IF NOT EXISTS articles_by_hash ON articles (content_hash);
CREATE INDEX IF NOT EXISTS articles_by_cluster ON articles (cluster);
CREATE INDEX IF NOT EXISTS articles_unexported ON articles (run) WHERE NOT exported;
CREATE INDEX IF NOT EXISTS articles_moved_by ON articles (moved_by) WHERE moved_by IS NOT NULL;
"""


class PostgresStore:
    def __init__(self, url: str) -> None:
        self.url = url
        self.db = psycopg.connect(url, autocommit=True)
        info = self.db.info
        self.where = f"postgresql://{info.host}:{info.port}/{info.dbname}"  # no password
        # One connection, used one call at a time (`scrapy shell` crosses threads).
        self.lock = threading.RLock()
        with self.lock, self.db.transaction():
            # Two processes creating the tables at once would collide in the catalog.
            self.db.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
            self.db.execute(SCHEMA)

    @contextmanager
    def exclusive(self) -> Iterator[PostgresStore]:
        """One transaction holding the writers' lock: no other writer decides in between."""
        with self.lock, self.db.transaction():
            self.db.execute("SELECT pg_advisory_xact_lock(%s)", (WRITERS_LOCK,))
            yield self

    def _one(self, sql: str, args: tuple | list = ()) -> tuple | None:
        with self.lock:
            return self.db.execute(sql, args).fetchone()

    def _all(self, sql: str, args: tuple | list = ()) -> list[tuple]:
        with self.lock:
            return self.db.execute(sql, args).fetchall()

    def setting(self, name: str, default: str) -> str:
        """The store's value for `name`, which becomes `default` if it has none yet."""
        with self.exclusive():
            self.db.execute("INSERT INTO settings (name, value) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                            (name, default))
            return self.db.execute("SELECT value FROM settings WHERE name = %s", (name,)).fetchone()[0]

    # --- payloads (WARC revisits) --------------------------------------------------------
    def original_payload(self, digest: str) -> Original | None:
        row = self._one("SELECT uri, date, record_id FROM payloads WHERE digest = %s", (digest,))
        return Original(*row) if row else None

    def add_payload(self, digest: str, original: Original) -> None:
        with self.lock:
            self.db.execute("INSERT INTO payloads (digest, uri, date, record_id) VALUES (%s, %s, %s, %s) "
                            "ON CONFLICT DO NOTHING", (digest, original.uri, original.date, original.record_id))

    # --- URLs ----------------------------------------------------------------------------
    def known_url(self, canonical_url: str) -> bool:
        return self._one("SELECT 1 FROM urls WHERE canonical_url = %s", (canonical_url,)) is not None

    # --- articles and their fingerprints -------------------------------------------------
    def article(self, record_id: str) -> tuple[int, str, str | None, float | None] | None:
        """(id, cluster, duplicate_of, similarity) of a filed record."""
        return self._one("SELECT id, cluster, duplicate_of, similarity FROM articles WHERE record_id = %s",
                         (record_id,))

    def article_by_hash(self, content_hash: str) -> tuple[int, str] | None:
        """(id, cluster) of the first article whose body has exactly this hash."""
        return self._one("SELECT id, cluster FROM articles WHERE content_hash = %s ORDER BY id LIMIT 1",
                         (content_hash,))

    def clusters_of(self, article_ids: list[int]) -> dict[int, str]:
        if not article_ids:
            return {}
        return dict(self._all("SELECT id, cluster FROM articles WHERE id = ANY(%s)", (list(article_ids),)))

    def members(self, cluster: str) -> list[Member]:
        """A cluster's copies, in filing order."""
        return [Member(*row) for row in self._all(
            "SELECT id, record_id, duplicate_of, exported, evidence FROM articles WHERE cluster = %s ORDER BY id",
            (cluster,))]

    def clusters(self) -> Iterator[tuple[str, list[Member]]]:
        """Every cluster with its copies, oldest cluster first."""
        yield from grouped(self._all(CLUSTERS_SQL), lambda row: Member(*row[:5]))

    def lsh_candidates(self, band_keys: list[int]) -> list[int]:
        return [r[0] for r in self._all("SELECT DISTINCT article FROM bands WHERE key = ANY(%s)",
                                        (list(band_keys),))]

    def signatures(self, article_ids: list[int]) -> dict[int, np.ndarray]:
        if not article_ids:
            return {}
        rows = self._all("SELECT article, sig FROM signatures WHERE article = ANY(%s)", (list(article_ids),))
        return {article: np.frombuffer(bytes(sig), dtype=np.uint32) for article, sig in rows}

    def add_article(self, *, record_id: str, url: str, canonical_url: str, site: str | None,
                    title: str | None, content_hash: str, cluster: str, duplicate_of: str | None,
                    similarity: float | None, seen_at: str, signature: np.ndarray,
                    band_keys: list[int], run: str | None = None, evidence: dict | None = None) -> int | None:
        """File an article with its fingerprints; None if that record was filed before."""
        with self.lock, self.db.transaction():
            row = self.db.execute(
                "INSERT INTO articles (record_id, url, canonical_url, site, title, content_hash, cluster, "
                "duplicate_of, similarity, seen_at, run, evidence) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
                "ON CONFLICT (record_id) DO NOTHING RETURNING id",
                (record_id, url, canonical_url, site, title, content_hash, cluster, duplicate_of,
                 similarity, seen_at, run, Jsonb(evidence) if evidence else None)).fetchone()
            if row is None:
                return None
            article = row[0]
            self.db.execute("INSERT INTO signatures (article, sig) VALUES (%s, %s)",
                            (article, signature.astype(np.uint32).tobytes()))
            with self.db.cursor() as cur:
                cur.executemany("INSERT INTO bands (key, article) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                                [(key, article) for key in band_keys])
            return article

    def merge_clusters(self, absorbed: str, into: str, by: str) -> None:
        """Move every copy of cluster `absorbed` into `into`, the filing of `by` bridging them."""
        with self.lock:
            self.db.execute("UPDATE articles SET cluster = %s, moved_from = %s, moved_by = %s WHERE cluster = %s",
                            (into, absorbed, by, absorbed))

    def set_canonical(self, cluster: str, record_id: str, similarities: dict[str, float | None]) -> None:
        """Make `record_id` the cluster's canonical record, every other copy a copy of it
        (`similarities`: each copy's to the canonical one)."""
        with self.lock, self.db.transaction():
            self.db.execute("UPDATE articles SET duplicate_of = CASE record_id WHEN %s THEN NULL ELSE %s END "
                            "WHERE cluster = %s", (record_id, record_id, cluster))
            with self.db.cursor() as cur:
                cur.executemany("UPDATE articles SET similarity = %s WHERE record_id = %s AND cluster = %s",
                                [(sim, rid, cluster) for rid, sim in similarities.items()])

    def mark_exported(self, record_id: str, canonical_url: str, seen_at: str) -> None:
        """The record is in the exports: its URL is now archived, its filing final."""
        with self.lock, self.db.transaction():
            self.db.execute("UPDATE articles SET exported = TRUE WHERE record_id = %s", (record_id,))
            self.db.execute("INSERT INTO urls (canonical_url, record_id, first_seen) VALUES (%s, %s, %s) "
                            "ON CONFLICT DO NOTHING", (canonical_url, record_id, seen_at))

    def unexported_runs(self) -> list[str]:
        return [r[0] for r in self._all(
            "SELECT DISTINCT run FROM articles WHERE NOT exported AND run IS NOT NULL")]

    def unexported(self, run: str) -> list[tuple[str, str, str]]:
        """(record_id, canonical_url, seen_at) of the run's articles filed but not exported."""
        return [tuple(r) for r in self._all(
            "SELECT record_id, canonical_url, seen_at FROM articles WHERE run = %s AND NOT exported", (run,))]

    def forget(self, record_ids: list[str]) -> set[str]:
        """Remove articles (and their fingerprints) filed by a run that died before exporting
        them, and undo the merges their filings made. The clusters touched, to elect again."""
        with self.exclusive():
            touched = {r[0] for r in self.db.execute(
                "DELETE FROM articles WHERE record_id = ANY(%s) RETURNING cluster", (list(record_ids),))}
            for absorbed, cluster in self.db.execute(
                    "SELECT DISTINCT moved_from, cluster FROM articles WHERE moved_by = ANY(%s)",
                    (list(record_ids),)).fetchall():
                touched |= {absorbed, cluster}
            self.db.execute("UPDATE articles SET cluster = moved_from, moved_from = NULL, moved_by = NULL "
                            "WHERE moved_by = ANY(%s)", (list(record_ids),))
        return touched

    def cluster_of(self, record_id: str) -> str | None:
        row = self._one("SELECT cluster FROM articles WHERE record_id = %s", (record_id,))
        return row[0] if row else None

    def count(self, table: str) -> int:
        if table not in ("articles", "urls", "payloads", "signatures", "bands"):
            raise ValueError(table)
        return self._one(f"SELECT COUNT(*) FROM {table}")[0]

    # --- leases (the server's clock: the machines' clocks need not agree) ---------------------
    def hold_lease(self, name: str, holder: str, ttl: float) -> str:
        """Take or renew `name` for `holder` for `ttl` seconds unless another holds it live; the holder."""
        with self.lock, self.db.transaction():
            self.db.execute("INSERT INTO leases (name, holder, expires) "
                            "VALUES (%s, %s, clock_timestamp() + make_interval(secs => %s)) ON CONFLICT (name) "
                            "DO UPDATE SET holder = excluded.holder, expires = excluded.expires "
                            "WHERE leases.holder = excluded.holder OR leases.expires < clock_timestamp()",
                            (name, holder, ttl))
            return self.db.execute("SELECT holder FROM leases WHERE name = %s", (name,)).fetchone()[0]

    def lease_holder(self, name: str) -> str | None:
        row = self._one("SELECT holder FROM leases WHERE name = %s AND expires >= clock_timestamp()", (name,))
        return row[0] if row else None

    def release_lease(self, name: str, holder: str) -> None:
        with self.lock:
            self.db.execute("DELETE FROM leases WHERE name = %s AND holder = %s", (name, holder))

    def check(self) -> None:
        """Every table readable (PostgreSQL keeps its own pages consistent); StateStoreError
        naming the database if not."""
        try:
            with self.lock:
                for table in ("settings", "payloads", "urls", "articles", "signatures", "bands", "leases"):
                    self.db.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchall()
        except psycopg.Error as error:
            raise StateStoreError(f"state store {self.where} is not usable ({error})") from error

    def close(self) -> None:
        with self.lock:
            self.db.close()
