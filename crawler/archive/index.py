"""CDXJ indexes of closed WARC files, so a replay tool (pywb) finds any capture.

Each WARC gets a sorted `<warc>.cdxj` beside it in the index folder; `index.cdxj` is their
merge, rebuilt under a lock so that crawls closing files at the same time both land in it.
A file is closed (renamed) before it is indexed: a crawl killed in between leaves a closed WARC
without its index, which `index_missing` finds and indexes when the next crawl starts.
"""

from __future__ import annotations

import fcntl
import heapq
import os
from pathlib import Path

from cdxj_indexer.main import CDXJIndexer


def index_warc(warc: Path, index_dir: Path) -> Path:
    """Write the sorted CDXJ lines of one WARC file; the index file's path."""
    index_dir.mkdir(parents=True, exist_ok=True)
    out = index_dir / (warc.name + ".cdxj")
    tmp = out.with_name(f"{out.name}.{os.getpid()}.tmp")  # two crawls may index the same file
    # cdxj-indexer's default records, metadata included, as any archivist's index has them:
    # metadata records have URIs of their own (urn:article:...), never a page's.
    try:
        CDXJIndexer(output=str(tmp), inputs=[str(warc)], sort=True, post_append=True).process_all()
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return out


def index_missing(warc_dir: Path, index_dir: Path) -> list[Path]:
    """Index every closed WARC file that has no index yet; the files indexed."""
    indexed = []
    for warc in sorted(Path(warc_dir).glob("*.warc.gz")):
        if not (index_dir / (warc.name + ".cdxj")).exists():
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
        parts = sorted(index_dir.glob("*.warc.gz.cdxj"))
        files = [open(p, encoding="utf-8") for p in parts]
        tmp = merged.with_name(f"{merged.name}.{os.getpid()}.tmp")
        count = 0
        try:
            with open(tmp, "w", encoding="utf-8") as out:
                for line in heapq.merge(*files):
                    out.write(line)
                    count += 1
            os.replace(tmp, merged)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        finally:
            for fh in files:
                fh.close()
    return count
