"""Worker processes for CPU-heavy page work (extraction, link extraction), each task within a
time budget. Pure: no Scrapy, no Twisted.

A thread does not free a crawl's event loop from lxml calls that hold the GIL; a process does.
Workers are started once (spawned: fresh interpreters, so no reactor state is forked) and
reused. A task over its budget has its worker killed and replaced, so no runaway parse keeps a
core busy; a worker that dies (the kernel's OOM killer, a crash in C code) fails its task with
the reason and is replaced; a worker whose crawl was killed leaves too.
`run` blocks its caller: an event loop calls it from a thread, which waits on a pipe with the
GIL released.

    >>> pool = ProcessPool(1, preload=("crawler.extract",))
    >>> pool.run(pow, 2, 10, timeout=5.0)
    1024
    >>> pool.close()
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import pickle
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any, TypeVar

T = TypeVar("T")
log = logging.getLogger(__name__)

STARTUP_TIMEOUT = 120.0  # seconds a new worker may take to import its modules
_BOOT = "import sys; from crawler.extract.pool import serve; serve(int(sys.argv[1]), int(sys.argv[2]), tuple(sys.argv[3:]))"


class TaskTimeout(Exception):
    """The task took longer than its budget; its worker was killed."""


class WorkerCrashed(Exception):
    """The worker process died while running the task (or while starting)."""


class TaskFailed(Exception):
    """The task raised in the worker; the message is the worker's traceback."""


def _watch_parent(parent: int) -> None:
    # A worker busy with a long task would outlive a crawl killed with SIGKILL: it leaves with it.
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)


def serve(fd: int, parent: int, preload: tuple[str, ...]) -> None:
    """A worker's loop: (function, args) in, ("ok", result) or ("error", traceback) out."""
    conn = Connection(fd)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the crawl's to handle
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    for name in preload:
        importlib.import_module(name)
    conn.send(("ready", os.getpid()))
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return  # the pool is gone
        if task is None:
            return
        fn, args = task
        try:
            reply = ("ok", fn(*args))
        except Exception:
            reply = ("error", traceback.format_exc())
        try:
            conn.send(reply)
        except (EOFError, OSError):
            return
        except Exception:  # a result that does not pickle
            conn.send(("error", traceback.format_exc()))


class _Worker:
    """One worker: a fresh interpreter (nothing of the crawl's process, its reactor or its
    `__main__`, is inherited) talking over a socket pair."""

    def __init__(self, preload: tuple[str, ...]) -> None:
        ours, theirs = socket.socketpair()
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        self.process = subprocess.Popen(
            [sys.executable, "-c", _BOOT, str(theirs.fileno()), str(os.getpid()), *preload],
            pass_fds=(theirs.fileno(),), env=env, stdin=subprocess.DEVNULL, close_fds=True)
        theirs.close()
        self.conn = Connection(ours.detach())
        self.ready = False

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait_ready(self) -> None:
        if self.ready:
            return
        if not self.conn.poll(STARTUP_TIMEOUT):
            raise WorkerCrashed(f"worker process {self.pid} did not start within {STARTUP_TIMEOUT:g} s")
        try:
            self.conn.recv()
        except (EOFError, OSError):
            raise WorkerCrashed(f"worker process {self.pid} died while starting: {self.death()}") from None
        self.ready = True

    def death(self) -> str:
        """How the process ended (it has ended or is about to)."""
        try:
            code = self.process.wait(5)
        except subprocess.TimeoutExpired:
            return "stopped answering"
        if code < 0:
            name = signal.Signals(-code).name
            return f"killed by {name}" + (" (out of memory?)" if -code == signal.SIGKILL else "")
        return f"exited with status {code}"

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self.conn.close()


class ProcessPool:
    """`processes` worker processes, started on first use; `preload` modules are imported by
    each worker before it takes tasks (so a task's budget is not spent importing)."""

    def __init__(self, processes: int, *, preload: tuple[str, ...] = ()) -> None:
        if processes < 1:
            raise ValueError("a pool needs at least one process")
        self.processes = processes
        self.preload = preload
        self.started: list[int] = []  # pids of every worker started, replacements too
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._workers: set[_Worker] = set()
        self._lock = threading.RLock()
        self._launched = False
        self._closed = False

    def _start(self) -> _Worker:
        worker = _Worker(self.preload)
        with self._lock:
            self._workers.add(worker)
            self.started.append(worker.pid)
        log.info("page worker process %d started", worker.pid)
        return worker

    def _take(self) -> _Worker:
        with self._lock:
            if self._closed:
                raise RuntimeError("the pool is closed")
            if not self._launched:  # started once, on first use
                self._launched = True
                for _ in range(self.processes):
                    self._idle.put(self._start())
        return self._idle.get()

    def _replace(self, worker: _Worker) -> None:
        worker.kill()
        with self._lock:
            self._workers.discard(worker)
            closed = self._closed
        if not closed:
            self._idle.put(self._start())

    def run(self, fn: Callable[..., T], *args: Any, timeout: float | None = None) -> T:
        """fn(*args) in a worker process, within `timeout` seconds of the worker taking it.
        Raises TaskTimeout, WorkerCrashed or TaskFailed; `fn` and `args` must pickle."""
        try:
            task = pickle.dumps((fn, args), pickle.HIGHEST_PROTOCOL)
        except Exception as error:  # pickling raises several kinds
            raise TaskFailed(f"the work does not pickle: {error!r}") from error
        worker = self._take()
        try:
            worker.wait_ready()
            worker.conn.send_bytes(task)
        except WorkerCrashed:
            self._replace(worker)
            raise
        except OSError as error:
            self._replace(worker)
            raise WorkerCrashed(f"worker process {worker.pid} is gone: {error}") from None
        if not worker.conn.poll(timeout):
            self._replace(worker)
            raise TaskTimeout(f"over {timeout:g} s; worker process {worker.pid} killed")
        try:
            status, value = worker.conn.recv()
        except (EOFError, OSError):
            how = worker.death()
            self._replace(worker)
            raise WorkerCrashed(f"worker process {worker.pid} {how}") from None
        self._idle.put(worker)
        if status == "error":
            raise TaskFailed(value)
        return value

    def close(self) -> None:
        """Stop every worker: asked to leave, killed if it does not within a few seconds."""
        with self._lock:
            self._closed = True
            workers = list(self._workers)
            self._workers.clear()
        for worker in workers:
            with contextlib.suppress(OSError):
                worker.conn.send(None)
        deadline = time.monotonic() + 3.0
        for worker in workers:
            with contextlib.suppress(subprocess.TimeoutExpired):
                worker.process.wait(max(0.0, deadline - time.monotonic()))
            worker.kill()
        if workers:
            log.info("page worker processes stopped: %s", ", ".join(str(w.pid) for w in workers))

    def __enter__(self) -> ProcessPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
