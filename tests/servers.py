"""Private servers for the scale-out tests: a redis-server and a PostgreSQL cluster of their own,
on a free 127.0.0.1 port, in a temporary directory, stopped afterwards; and pywb replaying a
crawl's archive (`replay_all`).

PostgreSQL refuses to run as root, so as root the cluster is made (initdb) and run (pg_ctl) as
the `postgres` user that Debian's package creates. A missing binary is an error, not a skip:
`./scripts/setup` installs both packages.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import psycopg
import pytest

POSTGRES_USER = "postgres"
PYWB = Path(__file__).resolve().parents[1] / ".venv-pywb" / "bin" / "wayback"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_port(port: int, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not listen on 127.0.0.1:{port} within {timeout}s")


def _binary(name: str, pattern: str | None = None) -> str:
    found = shutil.which(name) or next(iter(sorted(glob.glob(pattern or ""), reverse=True)), None)
    if not found:
        pytest.fail(f"{name} not found: run ./scripts/setup (it installs Debian's redis-server and "
                    f"postgresql with apt-get)", pytrace=False)
    return found


class RedisServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="redis-"))
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def __enter__(self) -> RedisServer:
        binary = _binary("redis-server", "/usr/bin/redis-server")
        self.proc = subprocess.Popen(
            [binary, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no",
             "--dir", str(self.dir), "--protected-mode", "yes"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_port(self.port, "redis-server")
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc:
            self.proc.terminate()
            self.proc.wait(timeout=30)
        shutil.rmtree(self.dir, ignore_errors=True)


class PostgresServer:
    """One cluster; `database()` makes a fresh database in it for each test."""

    def __init__(self) -> None:
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="pg-"))
        self.data = self.dir / "data"
        self.user = pwd.getpwuid(os.getuid()).pw_name if os.getuid() else POSTGRES_USER
        self.created = 0

    def _run(self, *cmd: str) -> subprocess.CompletedProcess:
        if os.getuid() == 0:  # initdb and postgres refuse root
            cmd = ("runuser", "-u", POSTGRES_USER, "--", *cmd)
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if result.returncode:
            raise RuntimeError(f"{' '.join(cmd)} failed:\n{result.stdout}\n{result.stderr}")
        return result

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def __enter__(self) -> PostgresServer:
        initdb = _binary("initdb", "/usr/lib/postgresql/*/bin/initdb")
        pg_ctl = str(Path(initdb).resolve().parent / "pg_ctl")
        self.pg_ctl = pg_ctl
        if os.getuid() == 0:
            shutil.chown(self.dir, POSTGRES_USER)
        self._run(initdb, "-D", str(self.data), "-A", "trust", "-U", self.user, "-E", "UTF8",
                  "--locale=C.UTF-8", "--no-sync")
        options = (f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.dir} "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 "
                   # what tests/test_roundtrips.py counts the crawl's statements with
                   "-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.max=1000")
        self._run(pg_ctl, "-D", str(self.data), "-l", str(self.dir / "log"), "-o", options, "-w", "start")
        _wait_port(self.port, "postgres")
        return self

    def database(self) -> str:
        """A fresh, empty database: its URL."""
        self.created += 1
        name = f"t{self.created}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def drop(self, url: str) -> None:
        """Drop a database `database()` made (its autovacuum workers stopped with it)."""
        name = url.rsplit("/", 1)[1]
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def __exit__(self, *exc: object) -> None:
        try:
            self._run(self.pg_ctl, "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


def replay_all(out: Path, urls: dict[str, bytes], tmp_path: Path) -> int:
    """pywb, on the crawl's WARC folder and its index.cdxj: how many of `urls` it replays as served."""
    assert PYWB.exists(), "pywb is not installed: run ./scripts/setup"
    (tmp_path / "config.yaml").write_text(
        f"collections:\n  crawl:\n    archive_paths: {out / 'warc'}/\n    index_paths: {out / 'index.cdxj'}\n")
    port = free_port()
    proc = subprocess.Popen([str(PYWB), "-p", str(port), "-b", "127.0.0.1"], cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        def replay(url: str) -> bytes | None:
            deadline = time.time() + 30
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/crawl/2026id_/{url}", timeout=10) as r:
                        return r.read()
                except urllib.error.HTTPError:
                    return None
                except OSError:
                    if time.time() > deadline:
                        raise
                    time.sleep(0.3)

        return sum(replay(url) == body for url, body in urls.items())
    finally:
        proc.terminate()
        proc.wait(timeout=10)
