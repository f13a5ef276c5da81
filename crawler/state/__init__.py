"""What must survive between runs, in one store: SQLite under OUTPUT_DIR by default, PostgreSQL
(`STATE_URL=postgresql://user@host:port/db`) for a crawl whose processes run on several machines.

`StateStore` is the interface the crawl uses, and what another backend implements: its roles
(`PayloadStore`, `UrlStore`, `ArticleStore`, `RunLedger`) are written once as SQL for both
backends (`crawler.state.sql`), each backend adding its connection, schema, exclusion and
dialect; `open_store` chooses the backend by `STATE_URL`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol

import numpy as np
import psycopg

from crawler.archive.writer import Original
from crawler.state.postgres import PostgresStore
from crawler.state.sql import Candidates, Member, Staged, StateStoreError
from crawler.state.sqlite import SqliteStore

# What a failing store raises, whichever the backend: callers that must tell a store fault from
# others catch these, not one driver's errors.
STORE_ERRORS: tuple[type[Exception], ...] = (sqlite3.Error, psycopg.Error, StateStoreError)


class PayloadStore(Protocol):
    """Payloads already archived (WARC revisits), by a key the archive makes of its digest."""

    def original_payload(self, digest: str) -> Original | None: ...
    def add_payload(self, digest: str, original: Original) -> None: ...


class UrlStore(Protocol):
    """Article URLs archived for good (not fetched again)."""

    def known_url(self, canonical_url: str) -> bool: ...


class ArticleStore(Protocol):
    """Filed articles, their fingerprints and clusters, and the evidence the canonical rule
    compares. Lookups and the writes that depend on them run inside `exclusive()`."""

    def exclusive(self) -> AbstractContextManager[StateStore]: ...
    def article(self, record_id: str) -> tuple[int, str, str | None, float | None] | None: ...
    def article_by_hash(self, content_hash: str) -> tuple[int, str] | None: ...
    def candidates(self, record_id: str, content_hash: str, band_keys: list[int]) -> Candidates: ...
    def clusters_of(self, article_ids: list[int]) -> dict[int, str]: ...
    def members(self, cluster: str) -> list[Member]: ...
    def clusters(self) -> Iterator[tuple[str, list[Member]]]: ...
    def lsh_candidates(self, band_keys: list[int]) -> list[int]: ...
    def signatures(self, article_ids: list[int]) -> dict[int, np.ndarray]: ...
    def add_article(self, *, record_id: str, url: str, canonical_url: str, site: str | None,
                    title: str | None, content_hash: str, cluster: str, duplicate_of: str | None,
                    similarity: float | None, seen_at: str, signature: np.ndarray,
                    band_keys: list[int], run: str | None = None, evidence: dict | None = None,
                    returning: bool = True) -> int | None: ...
    def merge_clusters(self, absorbed: str, into: str, by: str) -> None: ...
    def set_canonical(self, cluster: str, record_id: str, similarities: dict[str, float | None]) -> None: ...
    def cluster_of(self, record_id: str) -> str | None: ...
    def forget(self, record_ids: list[str]) -> set[str]: ...


class RunLedger(Protocol):
    """Crash consistency (a filing is final once its record is exported; until then the store
    keeps its export line) and leases (a run's liveness and a spider's run group, judged in the
    store, from any machine)."""

    def stage_export(self, record_id: str, host: str, path: str, at: int, line: bytes) -> None: ...
    def unstage(self, record_id: str) -> None: ...
    def staged(self, record_ids: list[str]) -> dict[str, Staged]: ...
    def mark_exported(self, record_id: str, canonical_url: str, seen_at: str) -> None: ...
    def mark_exported_many(self, records: list[tuple[str, str, str]]) -> None: ...
    def unexported_runs(self) -> list[str]: ...
    def unexported(self, run: str) -> list[tuple[str, str, str]]: ...
    def hold_lease(self, name: str, holder: str, ttl: float) -> str: ...
    def lease_holder(self, name: str) -> str | None: ...
    def release_lease(self, name: str, holder: str) -> None: ...


class StateStore(PayloadStore, UrlStore, ArticleStore, RunLedger, Protocol):
    """What a backend implements: every role, over one store. `exclusive()` must exclude every
    other writer of the store (other processes too)."""

    def setting(self, name: str, default: str) -> str: ...

    def setting_of(self, name: str) -> str | None: ...
    def check(self) -> None: ...  # an integrity check; StateStoreError if it fails
    def close(self) -> None: ...


def open_store(output_dir: str | Path, url: str = "") -> StateStore:
    """The store at `url` (`sqlite:///path`, `postgresql://...`), or `OUTPUT_DIR/state.sqlite`."""
    if not url:
        return SqliteStore(Path(output_dir) / "state.sqlite")
    if url.startswith("sqlite:///"):
        return SqliteStore(Path(url[len("sqlite:///"):]))
    if url.startswith(("postgresql://", "postgres://")):
        return PostgresStore(url)
    raise ValueError(f"unsupported state store {url!r} (supported: sqlite:///PATH, postgresql://...)")


__all__ = ["STORE_ERRORS", "ArticleStore", "Candidates", "Member", "PayloadStore", "PostgresStore", "RunLedger",
           "Staged", "StateStore", "StateStoreError", "UrlStore", "open_store", "SqliteStore"]
