"""The PostgreSQL state store (psycopg 3), for crawls whose processes run on several machines:
the same tables as the SQLite store. Each call outside `exclusive()` is its own transaction
(autocommit); `exclusive()` is one transaction that first takes a transaction-scoped advisory
lock, so the near-duplicate decision (look up candidates, then file) is serialized across every
writer on every machine, and the lock goes with the transaction whatever ends it.

A transaction runs in pipeline mode: what needs no answer (BEGIN, the lock, a write without
RETURNING) is queued and sent with the next statement whose rows are read, or with COMMIT, so
the crawl waits on one round trip per lookup, not one per statement; `exclusive()` awaits its
lock with BEGIN, before it yields. Each statement still runs in order, in its own snapshot
(READ COMMITTED). An error in a queued statement is raised at the next read or at COMMIT,
inside the transaction, which it rolls back whole.

Lookups that go together are sent together (`_all_of`: a filing's three, one round trip), and
the dialect chains writes: those that go together are one statement, data-modifying CTEs
(`crawler.state.sql.Sql._with`): a filing's article with its signature and bands, a batch's
marks, a payload with the next payload lookup. What the server spends per article page comes
out of the cores the crawl shares with it; hence also no foreign keys on the fingerprints,
export lines compressed by lz4 and arrays sent in binary."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext, suppress
from typing import Any

import psycopg
from psycopg.pq import TransactionStatus
from psycopg.types.json import Jsonb

from crawler.state.sql import Dialect, Exclusion, SqlStore, StateStoreError

# The advisory lock key of the store's writers: any constant the crawl's tables own alone.
WRITERS_LOCK = 0x7A686E6577730001  # "zhnews" 1
SCHEMA_LOCK = 0x7A686E6577730002

BANDS_BY_ARTICLE = "CREATE INDEX IF NOT EXISTS bands_by_article ON bands (article);"  # forget's lookups
# Stores made before held `signatures` and `bands` to their article by foreign keys (ON DELETE
# CASCADE): the server checked every band's row at every filing, a quarter of its CPU per
# article page. `forget` deletes an article's fingerprints itself, as in SQLite (which never
# had the keys): the keys are dropped where they are found.
OLD_FOREIGN_KEYS = ("SELECT conrelid::regclass::text, conname FROM pg_constraint "
                    "WHERE contype = 'f' AND conrelid IN ('signatures'::regclass, 'bands'::regclass)")


class PostgresDialect(Dialect):
    types = {"serial": "BIGSERIAL", "bigint": "BIGINT", "real": "DOUBLE PRECISION", "boolean": "BOOLEAN",
             "false": "FALSE", "json": "JSONB", "blob": "BYTEA", "time": "TIMESTAMPTZ",
             "without_rowid": ""}
    marker = "%s"
    now = "clock_timestamp()"  # the server's clock: the machines' clocks need not agree
    later = "(clock_timestamp() + make_interval(secs => ?))"
    unexported = "NOT exported"
    true = "TRUE"
    chains = True  # data-modifying CTEs

    # One array parameter, however many values, sent in binary: the server parses no text
    # array (25 band keys a filing, twice). (An empty one in text: binary, it has no type.)
    def any_of(self, column: str, values: Sequence) -> tuple[str, list]:
        return f"{column} = ANY({'%b' if values else '?'})", [list(values)]

    def integers(self, values: Sequence[int], name: str) -> tuple[str, list]:
        return f"unnest({'%b' if values else '?'}::bigint[]) AS {name}(value)", [list(values)]

    def json_in(self, value: dict | None) -> Any:
        return Jsonb(value) if value else None

    def json_out(self, value: Any) -> dict | None:
        return value or None  # JSONB comes back decoded


class PostgresStore(SqlStore):
    dialect = PostgresDialect()
    errors = (psycopg.Error,)

    def __init__(self, url: str) -> None:
        self.url = url
        self.db = psycopg.connect(url, autocommit=True)
        info = self.db.info
        self.where = f"postgresql://{info.host}:{info.port}/{info.dbname}"  # no password
        # One connection, used one call at a time (`scrapy shell` crosses threads).
        self.lock = threading.RLock()
        self.exclusion = Exclusion()
        self.unsent = {}  # payloads added, sent with the next lookup (crawler.state.sql.Payloads)
        self.open = False  # a transaction of this store's is open (queued, perhaps not yet begun)
        if info.server_version >= 140000:
            # Export lines (staged: written once, read back only by a recovery), several KB
            # each, compressed by lz4, not pglz: less than half the server's CPU for them. (A
            # server built without lz4 keeps pglz.)
            with suppress(psycopg.Error):
                self.db.execute("SET default_toast_compression = lz4")
        with self.lock, self.db.transaction():
            # Two processes creating the tables at once would collide in the catalog.
            self.db.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
            self.db.execute(self.dialect.tables() + self.dialect.indexes() + BANDS_BY_ARTICLE)
            for table, key in self.db.execute(OLD_FOREIGN_KEYS).fetchall():
                self.db.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{key}"')

    @contextmanager
    def exclusive(self) -> Iterator[PostgresStore]:
        """One transaction holding the writers' lock: no other writer decides in between. BEGIN
        and the lock go in one round trip, awaited: the others are excluded once this yields."""
        with self.lock, self.exclusion.measure() as excluded, self._pipelined() as pipeline:
            self.db.execute("SELECT pg_advisory_xact_lock(%s)", (WRITERS_LOCK,))
            pipeline.sync()
            excluded()
            yield self

    @contextmanager
    def _transaction(self) -> Iterator[PostgresStore]:
        """A transaction, or the one already open (no savepoint: an error rolls back the whole
        of it, as it does in SQLite; two round trips fewer per write inside `exclusive()`)."""
        with self.lock:
            if self.open or self.db.info.transaction_status != TransactionStatus.IDLE:
                yield self
                return
            with self._pipelined():
                yield self

    @contextmanager
    def _pipelined(self) -> Iterator[psycopg.Pipeline]:
        """A transaction in pipeline mode (see the module's note). BEGIN and COMMIT are queued
        like any statement (psycopg's own transaction block would sync the pipeline on each);
        what goes wrong inside rolls the transaction back once the pipeline has ended."""
        self.open = True
        try:
            with self.db.pipeline() as pipeline:
                self.db.execute("BEGIN")
                yield pipeline
                self.db.execute("COMMIT")  # sent, and its answer awaited, as the pipeline ends
        except BaseException:
            if not self.db.closed and self.db.info.transaction_status != TransactionStatus.IDLE:
                with suppress(psycopg.Error):  # a lost connection rolls back by itself
                    self.db.execute("ROLLBACK")
            raise
        finally:
            self.open = False

    def _all_of(self, queries: Sequence[tuple[str, Sequence]]) -> list[list[tuple]]:
        """Sent together, their answers awaited once (in the transaction's pipeline, or one of
        their own)."""
        with self.lock, nullcontext() if self.open else self.db.pipeline():
            cursors = [self.db.execute(self.dialect.sql(sql), args) for sql, args in queries]
            return [cursor.fetchall() for cursor in cursors]

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
