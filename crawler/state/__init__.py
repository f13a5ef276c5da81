"""What must survive between runs, in one store: SQLite under OUTPUT_DIR by default.

`StateStore` is the interface the crawl uses; a Redis or PostgreSQL backend implements the same
methods for crawls spread over several machines.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from crawler.archive.writer import Original
from crawler.state.sqlite import SqliteStore


class StateStore(Protocol):
    def original_payload(self, digest: str) -> Original | None:
        """The first capture archived with this payload digest, if any."""

    def add_payload(self, digest: str, original: Original) -> None:
        """Remember a payload as archived (the first writer of a digest wins)."""

    def close(self) -> None: ...


def open_store(output_dir: str | Path, url: str = "") -> StateStore:
    """The store at `url` (`sqlite:///path`), or `OUTPUT_DIR/state.sqlite`."""
    if not url:
        return SqliteStore(Path(output_dir) / "state.sqlite")
    if url.startswith("sqlite:///"):
        return SqliteStore(Path(url[len("sqlite:///"):]))
    raise ValueError(f"unsupported state store {url!r} (supported: sqlite:///PATH)")


__all__ = ["StateStore", "open_store", "SqliteStore"]
