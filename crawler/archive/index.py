"""CDXJ indexes of closed WARC files, so a replay tool (pywb) finds any capture.

Each WARC gets a sorted `<warc>.cdxj` beside it in the index folder; `index.cdxj` is their
merge, rebuilt under a lock so that crawls closing files at the same time both land in it.
A file is closed (renamed) before it is indexed: a crawl killed in between leaves a closed WARC
without its index, which `index_missing` finds and indexes when the next crawl starts.

A crawl does not read its files again to index them: `cdxj_line` gives each record's line as
it is written (cdxj-indexer's own code, run on the record in memory), and `write_index` sorts a
closed file's lines as cdxj-indexer sorts them. Reading a closed file back with cdxj-indexer
(`index_warc`) cost seconds of CPU at each rotation; it remains for files without lines: those
recovered from a killed crawl, a file a record of which `cdxj_line` cannot vouch for, and
`python -m crawler.archive.index WARC INDEX_DIR`.
"""

from __future__ import annotations

import fcntl
import heapq
import os
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO

from cdxj_indexer.main import CDXJIndexer, SortingWriter
from warcio.recordloader import ArcWarcRecord, ArcWarcRecordLoader

# index_warc's options: cdxj-indexer's default fields and records, metadata included, as any
# archivist's index has them (metadata records have URIs of their own, urn:article:..., never a
# page's), and POST/PUT bodies appended to their responses' keys.
INDEX_OPTIONS = {"sort": True, "post_append": True}

# Requests whose responses post_append keys by their URI alone (it appends a POST's or a PUT's
# body): a crawl sends no others.
_PLAIN_METHODS = ("GET", "HEAD")


class LineUnknown(ValueError):
    """cdxj-indexer's line for a record cannot be told from the record as written: its file
    is to be indexed by reading it (`index_warc`)."""


class _Line:
    """Where cdxj-indexer writes one line."""

    __slots__ = ("text",)

    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> None:
        self.text = text


# One indexer for every record: it holds no state of a file but the name it is given, and the
# crawl writes its records from one thread.
_INDEXER = CDXJIndexer(output=None, inputs=[], **INDEX_OPTIONS)


def cdxj_line(record: ArcWarcRecord, filename: str, offset: int, length: int) -> str | None:
    """The line cdxj-indexer (`INDEX_OPTIONS`) gives `record`, written by warcio (digests added)
    as the gzip member at `offset` (`length` bytes) of the WARC file `filename`; None for a
    record it does not index (warcinfo, request, warc-fields). LineUnknown where the record as
    read back could give another line: a request other than GET or HEAD (cdxj-indexer keys a
    POST's response by its body), a target URI warcio rewrites when it reads it (spaces,
    `<...>`), HTTP headers warcio would not parse from the file (not an http(s) URI)."""
    if record.rec_type == "request":
        if record.http_headers and record.http_headers.protocol.upper() not in _PLAIN_METHODS:
            raise LineUnknown(f"a {record.http_headers.protocol} request")
        return None
    if not _INDEXER.filter_record(record):
        return None
    uri = record.rec_headers.get_header("WARC-Target-URI") or ""
    if " " in uri or (uri.startswith("<") and uri.endswith(">")):
        raise LineUnknown(f"target URI {uri!r}")
    if record.http_headers is not None and not uri.startswith(ArcWarcRecordLoader.HTTP_SCHEMES):
        raise LineUnknown(f"HTTP headers for {uri!r}")
    record.file_offset, record.file_length = offset, length  # where cdxj-indexer's reader puts them
    _INDEXER.curr_filename = filename
    line = _Line()
    _INDEXER.process_index_entry(None, record, filename, line)
    return line.text


class IndexLines:
    """A WARC file's CDXJ lines as its records are written, in bounded memory however large the
    file grows (WARC_MAX_SIZE): past `run_bytes`, the lines so far are sorted and moved to an
    unnamed temporary file (gone with the process, whatever ends it). Iterated (again and
    again), the lines sorted, as cdxj-indexer sorts them, repeats kept (`write_index` drops
    them); `close` drops the temporary files."""

    def __init__(self, run_bytes: int = 4 << 20) -> None:
        self.run_bytes = run_bytes
        self._lines: list[str] = []
        self._size = 0
        self._runs: list[IO[str]] = []
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def append(self, line: str) -> None:
        self._lines.append(line)
        self._size += len(line)
        self._count += 1
        if self._size >= self.run_bytes:
            self._lines.sort()
            run = tempfile.TemporaryFile("w+", encoding="utf-8")
            run.writelines(self._lines)
            self._runs.append(run)
            self._lines, self._size = [], 0

    def __iter__(self) -> Iterator[str]:
        self._lines.sort()
        for run in self._runs:
            run.seek(0)
        return heapq.merge(*self._runs, self._lines)

    def close(self) -> None:
        for run in self._runs:
            run.close()
        self._runs, self._lines, self._count = [], [], 0


def index_path(warc: Path, index_dir: Path) -> Path:
    return index_dir / (warc.name + ".cdxj")


def _replace(out: Path, write: Callable[[Path], None]) -> Path:
    """`write` a file in place of `out` whole: a temp file, renamed."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f"{out.name}.{os.getpid()}.tmp")  # two crawls may index the same file
    try:
        write(tmp)
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return out


def index_warc(warc: Path, index_dir: Path) -> Path:
    """Write the sorted CDXJ lines of one WARC file, read by cdxj-indexer; the index file's path."""
    return _replace(index_path(warc, index_dir),
                    lambda tmp: CDXJIndexer(output=str(tmp), inputs=[str(warc)], **INDEX_OPTIONS).process_all())


def write_index(warc: Path, lines: Iterable[str], index_dir: Path) -> Path:
    """Write the index of one WARC file from its records' `cdxj_line`s, sorted (and repeated
    lines dropped) by cdxj-indexer's own sorting writer; the index file's path."""
    def write(tmp: Path) -> None:
        with open(tmp, "w", encoding="utf-8") as fh:
            sorting = SortingWriter(fh)
            if isinstance(lines, IndexLines):  # sorted already, and not all in memory
                sorting.write_to_file(iter(lines), fh)
                return
            for line in lines:
                sorting.write(line)
            sorting.flush()

    return _replace(index_path(warc, index_dir), write)


def index_missing(warc_dir: Path, index_dir: Path) -> list[Path]:
    """Index every closed WARC file that has no index yet; the files indexed."""
    indexed = []
    for warc in sorted(Path(warc_dir).glob("*.warc.gz")):
        if not index_path(warc, index_dir).exists():
            index_warc(warc, index_dir)
            indexed.append(warc)
    return indexed


def merged_is_stale(index_dir: Path, merged: Path) -> bool:
    """Whether a per-WARC index is newer than the merged one (a merge that did not happen)."""
    if not merged.exists():
        return any(index_dir.glob("*.warc.gz.cdxj"))
    at = merged.stat().st_mtime
    return any(p.stat().st_mtime > at for p in index_dir.glob("*.warc.gz.cdxj"))


def merge_indexes(index_dir: Path, merged: Path) -> int:
    """Merge every per-WARC index into `merged` (sorted); the number of lines."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        count = 0

        def write(tmp: Path) -> None:
            nonlocal count
            files = [open(p, encoding="utf-8") for p in sorted(index_dir.glob("*.warc.gz.cdxj"))]
            try:
                with open(tmp, "w", encoding="utf-8") as out:
                    for line in heapq.merge(*files):
                        out.write(line)
                        count += 1
            finally:
                for fh in files:
                    fh.close()

        _replace(merged, write)
    return count


if __name__ == "__main__":  # python -m crawler.archive.index WARC INDEX_DIR
    index_warc(Path(sys.argv[1]), Path(sys.argv[2]))
