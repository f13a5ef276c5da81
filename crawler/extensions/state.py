"""The crawl's state store: an extension that opens it with the crawler and closes it when the
engine has stopped; the components that use it (archive, dedupe, known-URL filter, export) find
it with `crawler.get_extension(CrawlState)`.

Crash consistency: an article is filed (dedupe) before its record is exported, and its filing
becomes final, and its URL known, only once the record is in the exports. The export keeps
each line in the store (`stage_export`: where it is being written) before writing it, until its
batch is marked exported. Each run holds a lease in the store (and a lock file) while it lives;
at start, the unexported filings of runs that died are settled from the store: a staged line
is confirmed if it is whole in its export file (read from where the line was written on, when
that file is on this machine; a torn last line is cut off), else exported again into this
run's own export files; a filing with no staged line (the run died before exporting it) is
forgotten, so the crawl fetches and files it again, and the clusters it re-pointed or merged
are elected again without it (as if it had never been filed). The cluster events of confirmed
and re-exported records are logged if they are not yet.

A dead run on another machine: its export files are there, not here, so every line it staged
and did not mark is exported again here. A line it had already written there is then in two
exports under one record id (`scrapy stories` and `rebuild_state` keep one); a line it had not
written is exported once, here. Nothing marked exported is touched.

Before a crawl (`state_problem`, run by the crawl commands): the store passes SQLite's quick
integrity check, and it exists wherever exports do (a crawl without it would fetch and export
every archived article again); otherwise the crawl refuses, naming the file and the way out
(`scrapy rebuild_state`).
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import socket
import time
from pathlib import Path

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.settings import BaseSettings
from twisted.internet import task

from crawler.dedupe import CLUSTER_LOG, cluster_events, elect
from crawler.durable import append_whole
from crawler.state import Staged, StateStore, StateStoreError, open_store

log = logging.getLogger(__name__)
_TAIL = 4 << 20  # how much of each export's end to search for a record id


def _tails(paths: list[Path]) -> list[bytes]:
    tails = []
    for path in paths:
        with open(path, "rb") as fh:
            fh.seek(max(0, path.stat().st_size - _TAIL))
            tails.append(fh.read())
    return tails


def exported_records(output: Path, record_ids: set[str]) -> dict[str, dict]:
    """Those of these records that are near the end of the exports (articles/, duplicates/)."""
    found: dict[str, dict] = {}
    for tail in _tails([*output.glob("articles/*.jsonl"), *output.glob("duplicates/*.jsonl")]):
        for rid in record_ids - found.keys():
            at = tail.find(f'"id": "{rid}"'.encode())
            if at >= 0:
                start = tail.rfind(b"\n", 0, at) + 1
                end = tail.find(b"\n", at)
                try:
                    found[rid] = json.loads(tail[start:end if end >= 0 else None])
                except ValueError:
                    found[rid] = {"id": rid}  # a line cut at the tail's start: its id is all we know
    return found


def cut_torn_tail(path: Path) -> int:
    """Cut a last line without its newline (a write cut short by a crash) off the end of an
    export file, so that the next line appended starts a line of its own; the bytes cut."""
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return 0
    try:
        size = os.fstat(fd).st_size
        if not size or os.pread(fd, 1, size - 1) == b"\n":
            return 0
        back = min(size, _TAIL)
        tail = os.pread(fd, back, size - back)
        keep = size - back + tail.rfind(b"\n") + 1 if b"\n" in tail else 0
        os.ftruncate(fd, keep)
        os.fsync(fd)
        return size - keep
    finally:
        os.close(fd)


def written_lines(staged: dict[str, Staged]) -> dict[str, dict]:
    """The records of staged lines found whole in their export files, where those are on this
    machine: each file read from the earliest byte any of them was written at. A torn last
    line (cut short by the crash) is no confirmation, and is cut off."""
    host = socket.gethostname()
    by_file: dict[str, dict[str, Staged]] = {}
    for rid, line in staged.items():
        if line.host == host and Path(line.path).is_file():
            by_file.setdefault(line.path, {})[rid] = line
    found: dict[str, dict] = {}
    for path, lines in by_file.items():
        cut_torn_tail(Path(path))
        with open(path, "rb") as fh:
            fh.seek(min(line.at for line in lines.values()))
            whole = {line + b"\n" for line in fh.read().split(b"\n")[:-1]}
        found.update((rid, json.loads(line.line)) for rid, line in lines.items() if line.line in whole)
    return found


def append_lines(path: Path, lines: list[dict]) -> None:
    """Append JSON lines, each in one write (O_APPEND: several processes may share the file)."""
    if not lines:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        for line in lines:
            os.write(fd, (json.dumps(line, ensure_ascii=False) + "\n").encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)


def store_path(settings: BaseSettings) -> Path | None:
    """The SQLite store's file (None for a store of another kind)."""
    url = settings.get("STATE_URL", "")
    if not url:
        return Path(settings.get("OUTPUT_DIR", "output")) / "state.sqlite"
    return Path(url[len("sqlite:///"):]) if url.startswith("sqlite:///") else None


def missing_store(settings: BaseSettings) -> str | None:
    """Why the crawl must not start without its store: exports exist but the store does not."""
    path, output = store_path(settings), Path(settings.get("OUTPUT_DIR", "output"))
    if path is None or path.exists():
        return None
    exports = [p for p in output.glob("articles/*.jsonl") if p.stat().st_size]
    if not exports:
        return None
    return (f"state store {path} is missing, but {output / 'articles'} holds exported articles: a crawl "
            f"would fetch and export them all again; rebuild the store from the exports and WARCs "
            f"first: scrapy rebuild_state -s OUTPUT_DIR={output}")


def state_problem(settings: BaseSettings) -> str | None:
    """Why a crawl must not start with this state store (None: it may)."""
    problem = missing_store(settings)
    if problem:
        return problem
    try:
        store = open_store(settings.get("OUTPUT_DIR", "output"), settings.get("STATE_URL", ""))
    except StateStoreError as error:
        return str(error)
    try:
        store.check()
    except StateStoreError as error:
        return str(error)
    finally:
        store.close()
    return None


def died_here(run: str) -> bool:
    """Whether `run` (a run id, host-pid-time) was a process of this machine that is gone: its
    leases need not be waited out."""
    host, pid, _ = (run.rsplit("-", 2) + ["", ""])[:3]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class CrawlState:
    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlState:
        return cls(crawler)

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.output = Path(settings.get("OUTPUT_DIR", "output"))
        problem = missing_store(settings)
        if problem:
            raise StateStoreError(problem)
        self.store: StateStore = open_store(self.output, settings.get("STATE_URL", ""))
        self.runs = self.output / "runs"
        self.runs.mkdir(parents=True, exist_ok=True)
        self.run = f"{socket.gethostname()}-{os.getpid()}-{int(time.time() * 1000)}"
        self._lock = open(self.runs / f"{self.run}.lock", "w")  # held while the run lives
        fcntl.flock(self._lock, fcntl.LOCK_EX)
        # The run's liveness as every process of every machine sees it: a lease it renews.
        self.lease_ttl = settings.getfloat("RUN_LEASE_TTL", 60)
        self.store.hold_lease(f"run:{self.run}", self.run, self.lease_ttl)
        self._renew = task.LoopingCall(self.store.hold_lease, f"run:{self.run}", self.run, self.lease_ttl)
        self._renew.start(self.lease_ttl / 3, now=False)
        self.recover(crawler)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.engine_stopped, signal=signals.engine_stopped)
        self.stats = crawler.stats

    def recover(self, crawler: Crawler) -> None:
        for run in self.store.unexported_runs():
            if self.store.lease_holder(f"run:{run}") is not None and not died_here(run):
                continue  # alive, here or on another machine
            lock = self.runs / f"{run}.lock"
            if lock.exists():
                with open(lock) as fh:
                    try:
                        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    except BlockingIOError:
                        continue  # that run is alive
            # One process recovers a run (N workers start at once): it reads what is pending
            # only once it holds the run's recovery.
            if self.store.hold_lease(f"recover:{run}", self.run, self.lease_ttl) != self.run:
                continue
            try:
                self.recover_run(run, crawler)
            finally:
                self.store.release_lease(f"recover:{run}", self.run)
        self.remove_stale_locks()

    def recover_run(self, run: str, crawler: Crawler) -> None:
        """Settle a dead run's unexported filings: each line it staged is confirmed where it was
        written (its export file reachable here) or exported again here from the store; a
        filing it never staged is forgotten (fetched and filed again)."""
        pending = self.store.unexported(run)
        staged = self.store.staged([rid for rid, _, _ in pending])
        written = written_lines(staged)
        # Filings from before the store kept export lines: searched for in the exports here.
        unstaged = {rid for rid, _, _ in pending if rid not in staged}
        legacy = exported_records(self.output, unstaged) if unstaged else {}
        again = self.export_again({rid: staged[rid] for rid, _, _ in pending if rid in staged and rid not in written})
        done = {**written, **legacy, **again}
        self.log_missing_events(list(done.values()))
        self.store.mark_exported_many([(rid, url, seen_at) for rid, url, seen_at in pending if rid in done])
        touched = self.store.forget([rid for rid, _, _ in pending if rid not in done])
        with self.store.exclusive():
            for cluster in sorted(touched):
                elect(self.store, cluster)
        (self.runs / f"{run}.lock").unlink(missing_ok=True)
        forgotten = len(pending) - len(done)
        crawler.stats.inc_value("state/recovered_unexported", forgotten)
        crawler.stats.inc_value("state/recovered_confirmed", len(written) + len(legacy))
        crawler.stats.inc_value("state/recovered_exported_again", len(again))
        log.warning("run %s died: %d filed articles forgotten (to be fetched again), %d confirmed in its "
                    "exports, %d exported again from the store", run, forgotten, len(written) + len(legacy),
                    len(again))

    def export_again(self, staged: dict[str, Staged]) -> dict[str, dict]:
        """Append staged lines to this run's own export files (same kind and name), durably; the
        records written. A write that fails leaves them unwritten (and so forgotten)."""
        by_file: dict[Path, list[tuple[str, bytes]]] = {}
        for rid, line in staged.items():
            where = Path(line.path)
            by_file.setdefault(self.output / where.parent.name / where.name, []).append((rid, line.line))
        done: dict[str, dict] = {}
        host = socket.gethostname()
        for path, lines in sorted(by_file.items()):
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                cut_torn_tail(path)
                fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
                try:
                    # Staged again where they now go, as the export does: if this process
                    # dies before marking them, the next recovery finds them here.
                    at = os.lseek(fd, 0, os.SEEK_END)
                    for rid, line in lines:
                        self.store.stage_export(rid, host, str(path.resolve()), at, line)
                    append_whole(fd, b"".join(line for _, line in lines))
                finally:
                    os.close(fd)
            except OSError as error:
                log.error("cannot export recovered records again to %s: %s (their articles are fetched again)",
                          path, error)
                continue
            done.update((rid, json.loads(line)) for rid, line in lines)
        return done

    def remove_stale_locks(self) -> None:
        """Lock files of runs that died with nothing left to recover (their lock is free). Only
        older ones: a run that is starting creates its file an instant before locking it."""
        for path in self.runs.glob("*.lock"):
            if path.name == f"{self.run}.lock" or time.time() - path.stat().st_mtime < 60:
                continue
            with open(path) as fh:
                try:
                    fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue  # alive
                path.unlink(missing_ok=True)

    def log_missing_events(self, records: list[dict]) -> None:
        """The cluster events of exported records that the log does not have yet."""
        events = [event for record in records for event in cluster_events(record)]
        log_path = self.output / CLUSTER_LOG
        if events and log_path.exists():
            tail = _tails([log_path])[0]
            events = [e for e in events if json.dumps({"by": e["by"]})[1:-1].encode() not in tail]
        append_lines(log_path, events)

    def spider_closed(self) -> None:
        """How long this process waited for the store's other writers, and held them off."""
        exclusion = getattr(self.store, "exclusion", None)
        if exclusion is not None and self.stats is not None:
            self.stats.set_value("state/exclusive_transactions", exclusion.count)
            self.stats.set_value("state/exclusive_wait_seconds", round(exclusion.waited, 3))
            self.stats.set_value("state/exclusive_held_seconds", round(exclusion.held, 3))

    def engine_stopped(self) -> None:
        if self._renew.running:
            self._renew.stop()
        self.store.release_lease(f"run:{self.run}", self.run)
        self.store.close()
        (self.runs / f"{self.run}.lock").unlink(missing_ok=True)
        self._lock.close()
