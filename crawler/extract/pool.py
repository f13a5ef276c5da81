"""Worker processes for CPU-heavy page work (extraction, link extraction), each task within a
time budget. Pure: no Scrapy, no Twisted.

A thread does not free a crawl's event loop from lxml calls that hold the GIL; a process does.
A pool starts a fork server on first use (or ahead of it, `start`): a fresh interpreter (nothing
of the crawl's process, its reactor, its threads or its `__main__`, is inherited) that imports
the `preload` modules once, then forks each worker when a task first needs it (or, started
ahead, all of them at once); a worker is ready at once, and reused.
A task over its budget has its worker killed and replaced, so no runaway parse keeps a core
busy; a worker that dies (the kernel's OOM killer, a crash in C code) fails its task with the
reason (the fork server, its parent, reports how it ended) and is replaced. A replacement is a
fork, milliseconds; a fork server that died is started again. A worker whose crawl was killed
leaves too, and so does the fork server. Each pool has a fork server of its own, so pools with
different preloads live side by side. Workers and fork servers leave with os._exit, their
standard streams flushed: no interpreter teardown of a heap about to be freed anyway.
`run` blocks its caller: an event loop calls it from a thread, which waits on a pipe with the
GIL released.

    >>> pool = ProcessPool(1, preload=("crawler.extract",))
    >>> pool.run(pow, 2, 10, timeout=5.0)
    1024
    >>> pool.close()
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import logging
import os
import pickle
import queue
import select
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

STARTUP_TIMEOUT = 120.0  # seconds a new fork server may take to import its modules and fork
_BOOT = ("import sys; from crawler.extract.pool import fork_server; "
         "fork_server(int(sys.argv[1]), int(sys.argv[2]), tuple(sys.argv[3:]))")


class TaskTimeout(Exception):
    """The task took longer than its budget; its worker was killed."""


class WorkerCrashed(Exception):
    """The worker process died while running the task (or could not be started)."""


class TaskFailed(Exception):
    """The task raised in the worker; the message is the worker's traceback."""


def _ending(code: int) -> str:
    """How a process ended, from its exit code (negative: the signal that killed it)."""
    if code < 0:
        name = signal.Signals(-code).name
        return f"killed by {name}" + (" (out of memory?)" if -code == signal.SIGKILL else "")
    return f"exited with status {code}"


def _leave(code: int) -> None:
    """End this process without tearing its interpreter down (a fork server's heap, inherited
    by every worker, would be walked and freed for nothing); what is written is flushed first."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)


def _watch_crawl(alive: int) -> None:
    # A worker busy with a long task would outlive a crawl killed with SIGKILL. Only the crawl's
    # process holds this pipe's write end and nothing is written to it: end-of-file is its death.
    with contextlib.suppress(OSError):
        while os.read(alive, 1):
            pass
    os._exit(1)


def serve(conn: Connection, alive: int) -> None:
    """A worker's loop: (function, args) in, ("ok", result) or ("error", traceback) out."""
    threading.Thread(target=_watch_crawl, args=(alive,), daemon=True).start()
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


def _reap(children: dict[int, Connection]) -> None:
    """Tell the pool how each ended child ended (its exit code on the child's status channel)."""
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        channel = children.pop(pid, None)
        if channel is not None:
            with contextlib.suppress(OSError):
                channel.send(os.waitstatus_to_exitcode(status))
            channel.close()


def fork_server(control_fd: int, alive: int, preload: tuple[str, ...]) -> None:
    """A pool's fork server: imports `preload`, then, for each request on the control socket
    (the worker's end of its socket pair and a status channel, passed as file descriptors),
    forks a worker and sends its pid on the status channel, then its exit code when it ends.
    Leaves when the pool closes the control socket, or its process dies."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the crawl's to handle (workers inherit this)
    for name in preload:
        importlib.import_module(name)
    gc.freeze()  # the preloaded objects stay out of the workers' collections: their pages stay shared
    control = socket.socket(fileno=control_fd)
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)  # a SIGCHLD wakes the select below
    signal.signal(signal.SIGCHLD, lambda *_: None)
    children: dict[int, Connection] = {}
    while True:
        ready, _, _ = select.select([control, wake_r], [], [])
        if wake_r in ready:
            with contextlib.suppress(BlockingIOError):
                while os.read(wake_r, 512):
                    pass
            _reap(children)
        if control not in ready:
            continue
        try:
            message, fds, _, _ = socket.recv_fds(control, 1, 2)
        except OSError:
            message = b""
        if not message:  # the pool closed, or its process died
            _leave(0)
        conn_fd, status_fd = fds
        status = Connection(status_fd)
        try:
            pid = os.fork()
        except OSError as error:
            with contextlib.suppress(OSError):
                status.send(f"could not fork: {error}")
            status.close()
            os.close(conn_fd)
            continue
        if pid == 0:  # the worker: the server's descriptors closed, its signal handling undone
            code = 1
            try:
                signal.set_wakeup_fd(-1)
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                for channel in (status, *children.values()):
                    channel.close()
                control.close()
                os.close(wake_r)
                os.close(wake_w)
                serve(Connection(conn_fd), alive)
                code = 0
            except BaseException:
                traceback.print_exc()
            finally:
                _leave(code)
        os.close(conn_fd)
        with contextlib.suppress(OSError):
            status.send(pid)
        children[pid] = status


class _Worker:
    """One worker, forked by its pool's fork server: tasks over a socket pair with the pool;
    how it ended comes from the fork server, on its status channel."""

    def __init__(self, pid: int, conn: Connection, status: Connection) -> None:
        self.pid = pid
        self.conn = conn
        self._status = status
        self._code: int | None = None
        self._lost = False  # the fork server died before telling how the worker ended
        self._lock = threading.Lock()

    def ended(self, timeout: float = 0.0) -> bool:
        """Whether the process has ended (waiting up to `timeout` seconds for it)."""
        with self._lock:
            if self._code is None and not self._lost:
                if not self._status.poll(timeout):
                    return False
                try:
                    self._code = self._status.recv()
                except (EOFError, OSError):
                    self._lost = True
            return True

    def death(self) -> str:
        """How the process ended (it has ended or is about to)."""
        if not self.ended(5.0):
            return "stopped answering"
        if self._code is None:
            return "ended (how is unknown: its fork server is gone)"
        return _ending(self._code)

    def kill(self) -> None:
        # With its fork server gone, it may live on (adopted by init): signalled by pid then.
        if not self.ended() or self._lost:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
        if not self.ended(5.0):
            self._lost = True  # the fork server does not answer either
        self.conn.close()
        self._status.close()


class _ForkServer:
    """A pool's fork server, started when first asked for a worker and again if it died."""

    def __init__(self, preload: tuple[str, ...]) -> None:
        self.preload = preload
        self.process: subprocess.Popen | None = None
        self._control: socket.socket | None = None
        self._alive: tuple[int, int] | None = None  # read end (the workers'), write end (ours)
        self._lock = threading.Lock()
        self._closed = False

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def _launch(self) -> None:
        if self._alive is None:
            self._alive = os.pipe()  # not inheritable: no other child of this process holds it
        ours, theirs = socket.socketpair()
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        alive = self._alive[0]
        self.process = subprocess.Popen(
            [sys.executable, "-c", _BOOT, str(theirs.fileno()), str(alive), *self.preload],
            pass_fds=(theirs.fileno(), alive), env=env, stdin=subprocess.DEVNULL, close_fds=True)
        theirs.close()
        self._control = ours
        log.info("page worker fork server %d started", self.process.pid)

    def _stop(self) -> str:
        """Stop the server (asked, by closing its control socket, then killed); how it ended."""
        if self._control is not None:
            self._control.close()
            self._control = None
        try:
            code = self.process.wait(3.0)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        return _ending(code)

    def fork(self) -> _Worker:
        """A new worker; the server started (again) first if it is not running."""
        with self._lock:
            if self._closed:
                raise RuntimeError("the pool is closed")
            for attempt in range(2):
                if self.process is None or self.process.poll() is not None:
                    if self.process is not None:
                        log.warning("page worker fork server %d %s: starting another", self.pid, self._stop())
                    self._launch()
                ours, theirs = socket.socketpair()
                status_ours, status_theirs = socket.socketpair()
                conn, status = Connection(ours.detach()), Connection(status_ours.detach())
                try:
                    socket.send_fds(self._control, [b"f"], [theirs.fileno(), status_theirs.fileno()])
                except OSError:
                    pass  # the server is gone: the status channel reads end-of-file
                finally:
                    theirs.close()
                    status_theirs.close()
                reply: int | str | None = None
                answered = status.poll(STARTUP_TIMEOUT)
                if answered:
                    with contextlib.suppress(EOFError, OSError):
                        reply = status.recv()
                if isinstance(reply, int):
                    return _Worker(reply, conn, status)
                conn.close()
                status.close()
                if isinstance(reply, str):  # the server lives on
                    raise WorkerCrashed(f"page worker fork server {self.pid} {reply}")
                how = self._stop()  # it died, or hangs: the next request starts another
                if not answered:
                    raise WorkerCrashed(f"page worker fork server {self.pid} did not fork a worker "
                                        f"within {STARTUP_TIMEOUT:g} s")
                if attempt:  # a new one died too (an import of its preload failing, say)
                    raise WorkerCrashed(f"page worker fork server {self.pid} {how}")
        raise AssertionError("unreachable")

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self.process is not None:
                self._stop()
            if self._alive is not None:
                for fd in self._alive:
                    os.close(fd)
                self._alive = None


class ProcessPool:
    """`processes` worker processes, started on first use or, asked to (`start`), in the
    background ahead of it; `preload` modules are imported once, by the fork server the workers
    are forked from (so a task's budget is not spent importing)."""

    def __init__(self, processes: int, *, preload: tuple[str, ...] = ()) -> None:
        if processes < 1:
            raise ValueError("a pool needs at least one process")
        self.processes = processes
        self.preload = preload
        self.started: list[int] = []  # pids of every worker started, replacements too
        self._server = _ForkServer(preload)
        self._idle: queue.Queue[_Worker | None] = queue.Queue()  # None: a place for a worker yet to fork
        self._workers: set[_Worker] = set()
        self._lock = threading.RLock()
        self._launched = False
        self._ready = threading.Event()  # set once every worker has been asked for
        self._closed = False

    @property
    def server_pid(self) -> int | None:
        """The pid of the fork server the next worker comes from (None before first use)."""
        return self._server.pid

    def _start(self) -> _Worker:
        worker = self._server.fork()
        with self._lock:
            if self._closed:
                worker.kill()
                raise RuntimeError("the pool is closed")
            self._workers.add(worker)
            self.started.append(worker.pid)
        log.info("page worker process %d started", worker.pid)
        return worker

    def start(self) -> None:
        """Start the fork server and the workers in the background, and return at once: the
        fork server's imports (a second or so) then overlap the caller's own start. A worker
        that cannot start leaves its place to the first task, which fails with the reason."""
        with self._lock:
            if self._launched or self._closed:
                return
            self._launched = True
        threading.Thread(target=self._start_all, name="page-pool-start", daemon=True).start()

    def _start_all(self) -> None:
        try:
            for _ in range(self.processes):
                try:
                    worker: _Worker | None = self._start()
                except (WorkerCrashed, RuntimeError) as error:
                    if self._closed:  # closed before they were up (a short crawl): nothing to say
                        return
                    log.warning("page worker not started ahead of use: %s", error)
                    worker = None
                self._idle.put(worker)
        finally:
            self._ready.set()

    @property
    def starting(self) -> bool:
        """Whether the workers are being started ahead of use (`start`) and are not up yet (nor
        has their start failed): a task given now waits for the fork server's imports."""
        return self._launched and not self._ready.is_set()

    def _take(self) -> _Worker:
        with self._lock:
            if self._closed:
                raise RuntimeError("the pool is closed")
            if not self._launched:  # started once, on first use
                self._launched = True
                for _ in range(self.processes):
                    self._idle.put(None)
                self._ready.set()
        worker = self._idle.get()
        if worker is None:
            try:
                worker = self._start()
            except BaseException:
                self._idle.put(None)
                raise
        return worker

    def _replace(self, worker: _Worker) -> None:
        worker.kill()
        with self._lock:
            self._workers.discard(worker)
            closed = self._closed
        if closed:
            return
        try:
            self._idle.put(self._start())  # at once: a fork, unless the fork server must start again
        except (WorkerCrashed, RuntimeError):
            self._idle.put(None)  # the next task tries again, and fails with the reason

    def run(self, fn: Callable[..., T], *args: Any, timeout: float | None = None) -> T:
        """fn(*args) in a worker process, within `timeout` seconds of the worker taking it.
        Raises TaskTimeout, WorkerCrashed or TaskFailed; `fn` and `args` must pickle."""
        try:
            task = pickle.dumps((fn, args), pickle.HIGHEST_PROTOCOL)
        except Exception as error:  # pickling raises several kinds
            raise TaskFailed(f"the work does not pickle: {error!r}") from error
        worker = self._take()
        try:
            worker.conn.send_bytes(task)
        except OSError:  # it died before taking the task
            how = worker.death()
            self._replace(worker)
            raise WorkerCrashed(f"worker process {worker.pid} {how}") from None
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
        """Stop every worker: asked to leave, killed if it does not within a few seconds; then
        the fork server."""
        with self._lock:
            self._closed = True
            workers = list(self._workers)
            self._workers.clear()
        for worker in workers:
            with contextlib.suppress(OSError):
                worker.conn.send(None)
        deadline = time.monotonic() + 3.0
        for worker in workers:
            worker.ended(max(0.0, deadline - time.monotonic()))
            worker.kill()
        if workers:
            log.info("page worker processes stopped: %s", ", ".join(str(w.pid) for w in workers))
        self._server.close()

    def __enter__(self) -> ProcessPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
