"""CDXJ indexes of closed WARC files, so a replay tool (pywb) finds any capture.

Each WARC gets a sorted `<warc>.cdxj` beside it in the index folder; `index.cdxj` is their
merge, rebuilt under a lock so that crawls closing files at the same time both land in it.
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
    tmp = out.with_suffix(".cdxj.tmp")
    # cdxj-indexer's default records, metadata included, as any archivist's index has them:
    # metadata records have URIs of their own (urn:article:...), never a page's.
    CDXJIndexer(output=str(tmp), inputs=[str(warc)], sort=True, post_append=True).process_all()
    os.replace(tmp, out)
    return out


def merge_indexes(index_dir: Path, merged: Path) -> int:
    """Merge every per-WARC index into `merged` (sorted); the number of lines."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        parts = sorted(index_dir.glob("*.warc.gz.cdxj"))
        files = [open(p, encoding="utf-8") for p in parts]
        tmp = merged.with_name(merged.name + ".tmp")
        count = 0
        try:
            with open(tmp, "w", encoding="utf-8") as out:
                for line in heapq.merge(*files):
                    out.write(line)
                    count += 1
        finally:
            for fh in files:
                fh.close()
        os.replace(tmp, merged)
    return count
