"""CDXJ indexes of closed WARC files, so a replay tool (pywb) finds any capture.

Each WARC gets a sorted `<warc>.cdxj` beside it in the index folder; `index.cdxj` is their
merge, rebuilt under a lock so that crawls closing files at the same time both land in it.
A file is closed (renamed) before it is indexed: a crawl killed in between leaves a closed WARC
without its index, which `index_missing` finds and indexes when the next crawl starts.

A crawl indexes the large files it closes in a process of their own (`Indexer`, running
`python -m crawler.archive.index WARC INDEX_DIR`): cdxj-indexer sorts a file's lines in memory
and reads the whole file (a gigabyte, at WARC_MAX_SIZE's default), which would stall the crawl
for seconds and raise its memory by tens of MiB at every rotation.
"""

from __future__ import annotations

import fcntl
import heapq
import os
import subprocess
import sys
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


class Indexer:
    """Closed WARC files indexed, the large ones (`separate_from` bytes or more) in processes of
    their own, waited for by `wait`; a small one at once (a process costs more than it saves)."""

    def __init__(self, index_dir: Path, *, separate_from: int = 64 * 1024 * 1024) -> None:
        self.index_dir = Path(index_dir)
        self.separate_from = separate_from
        self.running: list[tuple[Path, subprocess.Popen]] = []

    def start(self, warc: Path) -> None:
        if Path(warc).stat().st_size < self.separate_from:
            index_warc(Path(warc), self.index_dir)
            return
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        command = [sys.executable, "-m", "crawler.archive.index", str(warc), str(self.index_dir)]
        self.running.append((Path(warc), subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL,
                                                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)))

    def wait(self) -> list[str]:
        """Wait for every indexing started; one line per file that could not be indexed."""
        failed = []
        running, self.running = self.running, []
        for warc, proc in running:
            _, err = proc.communicate()
            if proc.returncode:
                why = (err.decode("utf-8", "replace").strip().splitlines() or [f"exit code {proc.returncode}"])[-1]
                failed.append(f"{warc.name}: {why}")
        return failed


if __name__ == "__main__":  # python -m crawler.archive.index WARC INDEX_DIR
    index_warc(Path(sys.argv[1]), Path(sys.argv[2]))
