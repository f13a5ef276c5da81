"""The PostgreSQL state store (psycopg 3), for crawls whose processes run on several machines:
the same tables as the SQLite store. Each call outside `exclusive()` is its own transaction
(autocommit); `exclusive()` is one transaction that first takes a transaction-scoped advisory
lock, so the near-duplicate decision (look up candidates, then file) is serialized across every
writer on every machine, and the lock goes with the transaction whatever ends it."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from crawler.state.sql import Dialect, SqlStore, StateStoreError

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
CREATE TABLE IF NOT EXISTS staged (
    record_id TEXT PRIMARY KEY,
    host      TEXT NOT NULL,
    path      TEXT NOT NULL,
    at_byte   BIGINT NOT NULL,
    line      BYTEA NOT NULL
);
CREATE INDEX IF NOT EXISTS bands_by_article ON bands (article);
CREATE INDEX IF NOT EXISTS articles_by_hash ON articles (content_hash);
CREATE INDEX IF NOT EXISTS articles_by_cluster ON articles (cluster);
CREATE INDEX IF NOT EXISTS articles_unexported ON articles (run) WHERE NOT exported;
CREATE INDEX IF NOT EXISTS articles_moved_by ON articles (moved_by) WHERE moved_by IS NOT NULL;
"""


class PostgresDialect(Dialect):
    marker = "%s"
    now = "clock_timestamp()"  # the server's clock: the machines' clocks need not agree
    later = "(clock_timestamp() + make_interval(secs => ?))"
    unexported = "NOT exported"
    true = "TRUE"

    def any_of(self, column: str, values: Sequence) -> tuple[str, list]:
        return f"{column} = ANY(?)", [list(values)]  # one array parameter, however many values

    def json_in(self, value: dict | None) -> Any:
        return Jsonb(value) if value else None

    def json_out(self, value: Any) -> dict | None:
        return value or None  # JSONB comes back decoded


class PostgresStore(SqlStore):
    dialect = PostgresDialect()

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

    @contextmanager
    def _transaction(self) -> Iterator[PostgresStore]:
        """A transaction (a savepoint within one already open)."""
        with self.lock, self.db.transaction():
            yield self

    def _many(self, sql: str, rows: list[Sequence]) -> None:
        if rows:
            with self.lock, self.db.cursor() as cursor:
                cursor.executemany(self.dialect.sql(sql), rows)

    def check(self) -> None:
        """Every table readable (PostgreSQL keeps its own pages consistent); StateStoreError
        naming the database if not."""
        try:
            with self.lock:
                for table in ("settings", "payloads", "urls", "articles", "signatures", "bands", "leases", "staged"):
                    self.db.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchall()
        except psycopg.Error as error:
            raise StateStoreError(f"state store {self.where} is not usable ({error})") from error

    def close(self) -> None:
        with self.lock:
            self.db.close()
