"""The state store's queries, written once for both backends, by role: payload digests, archived
article URLs, articles with their fingerprints and clusters, and the run ledger (exports and
leases). A backend (`sqlite.py`, `postgres.py`) brings its connection, its schema, how it
excludes other writers, and a `Dialect`: how it spells the few things the two SQLs differ in.

Queries are written with `?` parameters; a dialect whose driver wants `%s` rewrites them (none
of the queries holds a literal `?` or `%`)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import dataclass
from typing import Any

import numpy as np

from crawler.archive.writer import Original

# The tables `count` may be asked about.
TABLES = ("articles", "urls", "payloads", "signatures", "bands", "staged")


@dataclass(frozen=True)
class Member:
    """One filed copy of a cluster, as the store holds it."""

    id: int  # filing order
    record_id: str
    duplicate_of: str | None
    exported: bool
    evidence: dict | None


@dataclass(frozen=True)
class Candidates:
    """What a filing looks up before it decides (`Articles.candidates`)."""

    filed: tuple[int, str, str | None, float | None] | None  # the record's own filing, if it has one
    same: tuple[int, str] | None  # (id, cluster) of the first article with the same body
    near: dict[int, tuple[str, np.ndarray]]  # when none has: those sharing a band, with cluster and signature


@dataclass(frozen=True)
class Staged:
    """A filing's export line, kept in the store from before it is written until its batch is
    marked exported, and where it was being written: `path` on `host`, at or after byte `at`."""

    host: str
    path: str
    at: int
    line: bytes


class StateStoreError(Exception):
    """The state store cannot be used: corrupt, not a store, or missing while exports exist."""


# The tables, in each backend's types (`Dialect.types`); indexes apart, as SQLite adds columns
# to older stores before it indexes them.
TABLES_DDL = """
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
){without_rowid};
CREATE TABLE IF NOT EXISTS articles (
    id            {serial} PRIMARY KEY,
    record_id     TEXT NOT NULL UNIQUE,
    url           TEXT NOT NULL,
    canonical_url TEXT NOT NULL,
    site          TEXT,
    title         TEXT,
    content_hash  TEXT NOT NULL,
    cluster       TEXT NOT NULL,
    duplicate_of  TEXT,
    similarity    {real},
    seen_at       TEXT NOT NULL,
    run           TEXT,
    exported      {boolean} NOT NULL DEFAULT {false},
    evidence      {json},
    moved_from    TEXT,
    moved_by      TEXT
);
CREATE TABLE IF NOT EXISTS signatures (
    article {bigint} PRIMARY KEY,
    sig     {blob} NOT NULL
);
CREATE TABLE IF NOT EXISTS bands (
    key     {bigint} NOT NULL,
    article {bigint} NOT NULL,
    PRIMARY KEY (key, article)
){without_rowid};
CREATE TABLE IF NOT EXISTS leases (
    name    TEXT PRIMARY KEY,
    holder  TEXT NOT NULL,
    expires {time} NOT NULL
);
CREATE TABLE IF NOT EXISTS staged (
    record_id TEXT PRIMARY KEY,
    host      TEXT NOT NULL,
    path      TEXT NOT NULL,
    at_byte   {bigint} NOT NULL,
    line      {blob} NOT NULL
){without_rowid};
"""
INDEXES_DDL = """
CREATE INDEX IF NOT EXISTS articles_by_hash ON articles (content_hash);
CREATE INDEX IF NOT EXISTS articles_by_cluster ON articles (cluster);
CREATE INDEX IF NOT EXISTS articles_unexported ON articles (run) WHERE {unexported};
CREATE INDEX IF NOT EXISTS articles_moved_by ON articles (moved_by) WHERE moved_by IS NOT NULL;
"""


@dataclass
class Exclusion:
    """How the store's `exclusive()` transactions went in this process: how many, the seconds
    spent waiting for the other writers, and the seconds they were held (the others' wait)."""

    count: int = 0
    waited: float = 0.0
    held: float = 0.0

    @contextmanager
    def measure(self) -> Iterator[Callable[[], None]]:
        """Around one exclusive transaction: call what it yields once the others are excluded."""
        asked = time.perf_counter()
        taken = [asked]
        try:
            yield lambda: taken.__setitem__(0, time.perf_counter())
        finally:
            self.count += 1
            self.waited += taken[0] - asked
            self.held += time.perf_counter() - taken[0]


class Dialect:
    """What the shared queries need spelled per backend (these: SQLite's)."""

    # Column types and table options of TABLES_DDL. An article's id is SQLite's rowid; leases
    # expire at unix seconds; `signatures` and `bands` go with their article by `forget`.
    types = {"serial": "INTEGER", "bigint": "INTEGER", "real": "REAL", "boolean": "INTEGER", "false": "0",
             "json": "TEXT", "blob": "BLOB", "time": "REAL", "without_rowid": " WITHOUT ROWID"}
    marker = "?"
    now = "((julianday('now') - 2440587.5) * 86400.0)"  # unix seconds, as SQLite's leases hold them
    later = "((julianday('now') - 2440587.5) * 86400.0 + ?)"  # now plus a parameter's seconds
    unexported = "exported = 0"  # spelled as the partial index on unexported filings is
    true = "1"
    # Whether writes go in the statement of another (data-modifying CTEs, `Sql._with`): not in
    # SQLite, where a statement costs no round trip and no server's CPU.
    chains = False

    def sql(self, query: str) -> str:
        return query if self.marker == "?" else query.replace("?", self.marker)

    def tables(self) -> str:
        return TABLES_DDL.format(**self.types)

    def indexes(self) -> str:
        return INDEXES_DDL.format(unexported=self.unexported)

    def any_of(self, column: str, values: Sequence) -> tuple[str, list]:
        """`column` is one of `values`: the condition and its parameters."""
        return f"{column} IN ({','.join('?' * len(values))})", list(values)

    def integers(self, values: Sequence[int], name: str) -> tuple[str, list]:
        """`values` as a relation `name` of one column, `value`: its SQL and parameters."""
        rows = ", ".join(["(?)"] * len(values))
        return f"(SELECT column1 AS value FROM (VALUES {rows})) AS {name}", list(values)

    def json_in(self, value: dict | None) -> Any:
        return json.dumps(value, ensure_ascii=False) if value else None

    def json_out(self, value: Any) -> dict | None:
        return json.loads(value) if value else None


class Sql:
    """The executor the roles share: one connection used one call at a time (`scrapy shell`
    builds components on one thread and crawls on another). A backend sets `db`, `dialect` and
    `lock`, and implements `_transaction` (nested calls join the outer transaction)."""

    db: Any
    dialect: Dialect
    lock: threading.RLock
    exclusion: Exclusion

    def _transaction(self) -> AbstractContextManager[Any]:
        raise NotImplementedError

    def exclusive(self) -> AbstractContextManager[Any]:
        """A transaction that excludes every other writer of the store (other processes too)."""
        raise NotImplementedError

    def _run(self, sql: str, args: Sequence = ()) -> None:
        with self.lock:
            self.db.execute(self.dialect.sql(sql), args)

    def _one(self, sql: str, args: Sequence = ()) -> tuple | None:
        with self.lock:
            return self.db.execute(self.dialect.sql(sql), args).fetchone()

    def _all(self, sql: str, args: Sequence = ()) -> list[tuple]:
        with self.lock:
            return self.db.execute(self.dialect.sql(sql), args).fetchall()

    def _many(self, sql: str, rows: list[Sequence]) -> None:
        if rows:
            with self.lock:
                self.db.executemany(self.dialect.sql(sql), rows)

    def _all_of(self, queries: Sequence[tuple[str, Sequence]]) -> list[list[tuple]]:
        """The rows of each of `queries` (statement, parameters), run in order; a backend whose
        connection pipelines sends them together."""
        with self.lock:
            return [self._all(sql, args) for sql, args in queries]

    def _any(self, sql: str, column: str, values: Sequence, args: Sequence = ()) -> list[tuple]:
        """`sql` with `{}` replaced by "`column` is one of `values`" (after `args`)."""
        condition, params = self.dialect.any_of(column, values)
        return self._all(sql.format(condition), [*args, *params])

    def _with(self, query: str, args: Sequence, writes: Sequence[tuple[str, Sequence]], *,
              read: bool = True) -> list[tuple]:
        """`query`'s rows, and `writes` (statement, parameters) done with it: where the dialect
        chains writes, in one statement (each write a data-modifying CTE of `query`'s, all in one
        snapshot), else each in its own after `query`, in order. A write may read the `id` column
        of `query`'s rows as the relation `{answer}` (`query` then returns rows, and names its
        first column `id`; no row, nothing for the write to write). `read=False`: nothing is
        read back ([]), so a pipelined transaction need not wait for the answer."""
        answered = any("{answer}" in sql for sql, _ in writes)
        if self.dialect.chains and writes:
            ctes = [f"w{n} AS ({sql.replace('{answer}', 'answer')})" for n, (sql, _) in enumerate(writes)]
            params = [arg for _, more in writes for arg in more]
            if answered:
                query, params = f"WITH answer AS ({query}), {', '.join(ctes)} SELECT * FROM answer", [*args, *params]
            else:
                query, params = f"WITH {', '.join(ctes)} {query}", [*params, *args]
            if not read:
                self._run(query, params)
                return []
            return self._all(query, params)
        with self.lock:
            if read or answered:
                rows = self._all(query, args)
            else:
                self._run(query, args)
                rows = []
            for sql, params in writes:
                if "{answer}" not in sql:
                    self._run(sql, params)
                elif rows:
                    self._run(*_answered(sql, params, [row[0] for row in rows]))
        return rows if read else []

    def setting(self, name: str, default: str) -> str:
        """The store's value for `name`, which becomes `default` if it has none yet."""
        with self._transaction():
            self._run("INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT DO NOTHING", (name, default))
            return self._one("SELECT value FROM settings WHERE name = ?", (name,))[0]

    def setting_of(self, name: str) -> str | None:
        """The store's value for `name`, if it has one (nothing is written)."""
        row = self._one("SELECT value FROM settings WHERE name = ?", (name,))
        return row[0] if row else None

    def count(self, table: str) -> int:
        if table not in TABLES:
            raise ValueError(table)
        return self._one(f"SELECT COUNT(*) FROM {table}")[0]


def _answered(sql: str, params: Sequence, ids: list) -> tuple[str, list]:
    """`sql` with the relation `{answer}` made of `ids` (one column, `id`), their parameters put
    among `params` where it stands."""
    parts = sql.split("{answer}")
    relation = "(" + " UNION ALL ".join(["SELECT ? AS id"] * len(ids)) + ")"
    bound, at = [], 0
    for n, part in enumerate(parts):
        count = part.count("?")
        bound += params[at:at + count]
        at += count
        if n < len(parts) - 1:
            bound += ids
    return relation.join(parts), bound


UNSENT_PAYLOADS = 256  # payloads waiting for a write transaction before they are sent alone


def chunks(items: Sequence, size: int = 2000) -> Iterator[Sequence]:
    """`items` in pieces small enough for one statement's parameters (SQLite allows 32,766)."""
    for start in range(0, len(items), size):
        yield items[start:start + size]


class Payloads(Sql):
    """Payload digests of archived responses (where a WARC revisit points).

    A payload is added once its record is written (the archive looks its digest up, writes the
    record, then adds it), so a digest never points at a record the WARC files lack. An added
    payload is not a write of its own: where the dialect chains writes, it is sent with the next
    lookup, in its statement (not a round trip of its own); else with the next write transaction
    (not a commit of its own), or once UNSENT_PAYLOADS are waiting. Until then it is answered
    from here, and it is sent at the latest when the store closes. What a crash loses of them is
    a revisit's original, never a record: those payloads are archived in full again."""

    unsent: dict[str, Original]  # added, not yet sent (each backend sets it)

    def original_payload(self, digest: str) -> Original | None:
        with self.lock:
            if digest in self.unsent:
                return self.unsent[digest]
            unsent = self._take_unsent() if self.dialect.chains else {}
            writes = [self._inserted(unsent)] if unsent else []
            rows = self._with("SELECT uri, date, record_id FROM payloads WHERE digest = ?", (digest,), writes)
        return Original(*rows[0]) if rows else None

    def add_payload(self, digest: str, original: Original) -> None:
        with self.lock:
            self.unsent.setdefault(digest, original)  # the first kept, as in the table
            if not self.dialect.chains and len(self.unsent) >= UNSENT_PAYLOADS:
                self._send_payloads()

    def _inserted(self, payloads: dict[str, Original]) -> tuple[str, list]:
        """The insert of `payloads` (the first of a digest kept): statement and parameters."""
        return (f"INSERT INTO payloads (digest, uri, date, record_id) VALUES "
                f"{', '.join(['(?, ?, ?, ?)'] * len(payloads))} ON CONFLICT DO NOTHING",
                [v for digest, o in payloads.items() for v in (digest, o.uri, o.date, o.record_id)])

    def _take_unsent(self) -> dict[str, Original]:
        """The payloads added and not yet sent, now to be sent by the caller."""
        if not self.unsent:
            return {}
        unsent, self.unsent = self.unsent, {}  # a failed statement loses them: archived in full again
        return unsent

    def _send_payloads(self) -> None:
        """Send the payloads added and not yet sent."""
        with self.lock:
            if unsent := self._take_unsent():
                self._run(*self._inserted(unsent))

    def count(self, table: str) -> int:
        if table == "payloads":
            self._send_payloads()
        return super().count(table)


class Urls(Sql):
    """Article URLs archived for good (not fetched again); written by the ledger's marks."""

    def known_url(self, canonical_url: str) -> bool:
        return self._one("SELECT 1 FROM urls WHERE canonical_url = ?", (canonical_url,)) is not None


# Every filed copy with its cluster (last column), oldest cluster first.
CLUSTERS_SQL = ("SELECT a.id, a.record_id, a.duplicate_of, a.exported, a.evidence, a.cluster "
                "FROM articles a JOIN (SELECT cluster, MIN(id) AS first FROM articles "
                "GROUP BY cluster) c ON c.cluster = a.cluster ORDER BY c.first, a.id")


# A filing's lookups: its record, its body's hash, its LSH bands (`{}`: the keys).
ARTICLE_SQL = "SELECT id, cluster, duplicate_of, similarity FROM articles WHERE record_id = ?"
BY_HASH_SQL = "SELECT id, cluster FROM articles WHERE content_hash = ? ORDER BY id LIMIT 1"
LSH_SQL = "SELECT DISTINCT article FROM bands WHERE {}"


class Articles(Sql):
    """Filed articles, their fingerprints (MinHash signature, LSH band keys) and clusters."""

    def _member(self, row: Sequence) -> Member:
        return Member(row[0], row[1], row[2], bool(row[3]), self.dialect.json_out(row[4]))

    def article(self, record_id: str) -> tuple[int, str, str | None, float | None] | None:
        """(id, cluster, duplicate_of, similarity) of a filed record."""
        row = self._one(ARTICLE_SQL, (record_id,))
        return tuple(row) if row else None

    def article_by_hash(self, content_hash: str) -> tuple[int, str] | None:
        """(id, cluster) of the first article whose body has exactly this hash."""
        row = self._one(BY_HASH_SQL, (content_hash,))
        return tuple(row) if row else None

    def cluster_of(self, record_id: str) -> str | None:
        row = self._one("SELECT cluster FROM articles WHERE record_id = ?", (record_id,))
        return row[0] if row else None

    def clusters_of(self, article_ids: list[int]) -> dict[int, str]:
        if not article_ids:
            return {}
        return dict(self._any("SELECT id, cluster FROM articles WHERE {}", "id", article_ids))

    def members(self, cluster: str) -> list[Member]:
        """A cluster's copies, in filing order."""
        return [self._member(row) for row in self._all(
            "SELECT id, record_id, duplicate_of, exported, evidence FROM articles WHERE cluster = ? ORDER BY id",
            (cluster,))]

    def clusters(self) -> Iterator[tuple[str, list[Member]]]:
        """Every cluster with its copies, oldest cluster first."""
        cluster, members = None, []
        for row in self._all(CLUSTERS_SQL):
            if row[5] != cluster and members:
                yield cluster, members
                members = []
            cluster = row[5]
            members.append(self._member(row))
        if members:
            yield cluster, members

    def lsh_candidates(self, band_keys: list[int]) -> list[int]:
        if not band_keys:
            return []
        return [r[0] for r in self._any(LSH_SQL, "key", band_keys)]

    def signatures(self, article_ids: list[int]) -> dict[int, np.ndarray]:
        if not article_ids:
            return {}
        rows = self._any("SELECT article, sig FROM signatures WHERE {}", "article", article_ids)
        return {article: np.frombuffer(bytes(sig), dtype=np.uint32) for article, sig in rows}

    def candidates(self, record_id: str, content_hash: str, band_keys: list[int]) -> Candidates:
        """A filing's lookups: the record's own filing (`article`), the first article with the
        same body (`article_by_hash`) and the articles that share a band key with it
        (`lsh_candidates`), sent together (one round trip where the connection pipelines);
        then, if there are such articles and none has the same body, their clusters and
        signatures. (Three simple statements: one UNION of them costs PostgreSQL more, to plan
        and to start.)"""
        lookups = [(ARTICLE_SQL, (record_id,)), (BY_HASH_SQL, (content_hash,))]
        if band_keys:
            condition, keys = self.dialect.any_of("key", band_keys)
            lookups.append((LSH_SQL.format(condition), keys))
        filed, same, *bands = self._all_of(lookups)
        near: dict[int, tuple[str, np.ndarray]] = {}
        if bands and bands[0] and not same:
            for article, cluster, sig in self._any(
                    "SELECT a.id, a.cluster, s.sig FROM articles a JOIN signatures s ON s.article = a.id WHERE {}",
                    "a.id", [row[0] for row in bands[0]]):
                near[article] = (cluster, np.frombuffer(bytes(sig), dtype=np.uint32))
        return Candidates(tuple(filed[0]) if filed else None, tuple(same[0]) if same else None, near)

    def add_article(self, *, record_id: str, url: str, canonical_url: str, site: str | None,
                    title: str | None, content_hash: str, cluster: str, duplicate_of: str | None,
                    similarity: float | None, seen_at: str, signature: np.ndarray,
                    band_keys: list[int], run: str | None = None, evidence: dict | None = None,
                    returning: bool = True) -> int | None:
        """File an article with its fingerprints: its id; None if that record was filed before.
        One statement where the dialect chains writes. `returning=False`: None, and the filing
        is not waited for (a pipelined transaction sends it with its COMMIT)."""
        writes = [("INSERT INTO signatures (article, sig) SELECT id, ? FROM {answer} AS filed",
                   [signature.astype(np.uint32).tobytes()])]
        if band_keys:
            keys, params = self.dialect.integers(band_keys, "k")
            writes.append((f"INSERT INTO bands (key, article) SELECT k.value, filed.id "
                           f"FROM {{answer}} AS filed, {keys} WHERE true ON CONFLICT DO NOTHING",
                           params))  # (WHERE: else SQLite reads ON as a join's)
        with self._transaction():
            rows = self._with(
                "INSERT INTO articles (record_id, url, canonical_url, site, title, content_hash, cluster, "
                "duplicate_of, similarity, seen_at, run, evidence) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (record_id) DO NOTHING RETURNING id",
                (record_id, url, canonical_url, site, title, content_hash, cluster, duplicate_of,
                 similarity, seen_at, run, self.dialect.json_in(evidence)), writes, read=returning)
        return rows[0][0] if rows else None

    def merge_clusters(self, absorbed: str, into: str, by: str) -> None:
        """Move every copy of cluster `absorbed` into `into`, the filing of `by` bridging them."""
        self._run("UPDATE articles SET cluster = ?, moved_from = ?, moved_by = ? WHERE cluster = ?",
                  (into, absorbed, by, absorbed))

    def set_canonical(self, cluster: str, record_id: str, similarities: dict[str, float | None]) -> None:
        """Make `record_id` the cluster's canonical record, every other copy a copy of it
        (`similarities`: each copy's to the canonical one)."""
        with self._transaction():
            self._run("UPDATE articles SET duplicate_of = CASE record_id WHEN ? THEN NULL ELSE ? END "
                      "WHERE cluster = ?", (record_id, record_id, cluster))
            self._many("UPDATE articles SET similarity = ? WHERE record_id = ? AND cluster = ?",
                       [(sim, rid, cluster) for rid, sim in similarities.items()])

    def forget(self, record_ids: list[str]) -> set[str]:
        """Remove articles (and their fingerprints) filed by a run that died before exporting
        them, and undo the merges their filings made. The clusters touched, to elect again."""
        touched: set[str] = set()
        with self.exclusive():
            for chunk in chunks(record_ids):
                touched |= self._forget(chunk)
        return touched

    def _forget(self, record_ids: Sequence[str]) -> set[str]:
        """`forget` for a chunk, inside its transaction."""
        touched: set[str] = set()
        rows = self._any("SELECT id, cluster FROM articles WHERE {}", "record_id", record_ids)
        touched |= {cluster for _, cluster in rows}
        ids = [article for article, _ in rows]
        if ids:
            for table in ("bands", "signatures"):
                condition, params = self.dialect.any_of("article", ids)
                self._run(f"DELETE FROM {table} WHERE {condition}", params)
            condition, params = self.dialect.any_of("id", ids)
            self._run(f"DELETE FROM articles WHERE {condition}", params)
        for absorbed, cluster in self._any("SELECT DISTINCT moved_from, cluster FROM articles WHERE {}",
                                           "moved_by", record_ids):
            touched |= {absorbed, cluster}
        condition, params = self.dialect.any_of("moved_by", record_ids)
        self._run(f"UPDATE articles SET cluster = moved_from, moved_from = NULL, moved_by = NULL "
                  f"WHERE {condition}", params)
        condition, params = self.dialect.any_of("record_id", record_ids)
        self._run(f"DELETE FROM staged WHERE {condition}", params)
        return touched


class RunLedger(Sql):
    """Which run filed each article, its export line until it is exported, and leases."""

    # --- exports: a filing is final once its record is exported --------------------------
    def stage_export(self, record_id: str, host: str, path: str, at: int, line: bytes) -> None:
        """Keep a filing's export line before it is written to `path` on `host`, at or after
        byte `at`: a run that dies before marking it is recovered from here."""
        self._run("INSERT INTO staged (record_id, host, path, at_byte, line) VALUES (?, ?, ?, ?, ?) "
                  "ON CONFLICT (record_id) DO UPDATE SET host = excluded.host, path = excluded.path, "
                  "at_byte = excluded.at_byte, line = excluded.line", (record_id, host, path, at, line))

    def unstage(self, record_id: str) -> None:
        """The line was not written after all (the write failed)."""
        self._run("DELETE FROM staged WHERE record_id = ?", (record_id,))

    def staged(self, record_ids: list[str]) -> dict[str, Staged]:
        """The staged lines of these filings (those that have one)."""
        if not record_ids:
            return {}
        rows = self._any("SELECT record_id, host, path, at_byte, line FROM staged WHERE {}", "record_id", record_ids)
        return {rid: Staged(host, path, at, bytes(line)) for rid, host, path, at, line in rows}

    def mark_exported(self, record_id: str, canonical_url: str, seen_at: str) -> None:
        """The record is in the exports: its URL is now archived, its filing final."""
        self.mark_exported_many([(record_id, canonical_url, seen_at)])

    def mark_exported_many(self, records: list[tuple[str, str, str]]) -> None:
        """`mark_exported` for a batch of (record_id, canonical_url, seen_at), in one transaction."""
        if not records:
            return
        with self._transaction():  # a statement a chunk (where writes chain; else three), not three a record
            for chunk in chunks(records):
                condition, params = self.dialect.any_of("record_id", [rid for rid, _, _ in chunk])
                self._with(f"DELETE FROM staged WHERE {condition}", params, [
                    (f"UPDATE articles SET exported = {self.dialect.true} WHERE {condition}", params),
                    (f"INSERT INTO urls (canonical_url, record_id, first_seen) VALUES "
                     f"{', '.join(['(?, ?, ?)'] * len(chunk))} ON CONFLICT DO NOTHING",
                     [v for rid, url, seen in chunk for v in (url, rid, seen)])], read=False)

    def unexported_runs(self) -> list[str]:
        return [r[0] for r in self._all(
            f"SELECT DISTINCT run FROM articles WHERE {self.dialect.unexported} AND run IS NOT NULL")]

    def unexported(self, run: str) -> list[tuple[str, str, str]]:
        """(record_id, canonical_url, seen_at) of the run's articles filed but not exported, in
        filing order."""
        return [tuple(r) for r in self._all(
            f"SELECT record_id, canonical_url, seen_at FROM articles WHERE run = ? AND {self.dialect.unexported} "
            "ORDER BY id",
            (run,))]

    # --- leases: liveness judged by the store's clock, whatever machine asks ----------------
    def hold_lease(self, name: str, holder: str, ttl: float) -> str:
        """Take or renew `name` for `holder` for `ttl` seconds unless another holds it live; the holder."""
        with self._transaction():
            self._run(f"INSERT INTO leases (name, holder, expires) VALUES (?, ?, {self.dialect.later}) "
                      "ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires = excluded.expires "
                      f"WHERE leases.holder = excluded.holder OR leases.expires < {self.dialect.now}",
                      (name, holder, ttl))
            return self._one("SELECT holder FROM leases WHERE name = ?", (name,))[0]

    def lease_holder(self, name: str) -> str | None:
        row = self._one(f"SELECT holder FROM leases WHERE name = ? AND expires >= {self.dialect.now}", (name,))
        return row[0] if row else None

    def release_lease(self, name: str, holder: str) -> None:
        self._run("DELETE FROM leases WHERE name = ? AND holder = ?", (name, holder))


class SqlStore(Payloads, Urls, Articles, RunLedger):
    """Every role over one connection: what a backend completes."""

    errors: tuple[type[Exception], ...] = ()  # the driver's errors, which closing survives

    def close(self) -> None:
        """Send the payloads still waiting, then close the connection (whether they went or not:
        a payload not recorded is archived in full again, never lost)."""
        with self.lock:
            try:
                with suppress(*self.errors):
                    self._send_payloads()
            finally:
                self.db.close()
