"""Count what a crawl sends to PostgreSQL, for tests/test_roundtrips.py.

Run as `python tests/roundtrips.py COUNTS.json scrapy-args...`: the crawl (`scrapy ...`) in this
process, every psycopg round trip counted (each time the client sends and awaits the server's
answer: a statement, a BEGIN or COMMIT, a pipeline's sync or fetch of what it queued; commands a
pipeline only queues are not), the count by database written to COUNTS.json at exit.
`statements(url)` reads the server's own count by statement (pg_stat_statements, which the
private server in tests/servers.py preloads), `executed(url)` its time executing them, and
`server_cpu(data_dir)` the CPU the whole cluster has used (/proc).
"""

from __future__ import annotations

import atexit
import json
import os
import runpy
import sys
from collections import Counter
from pathlib import Path

import psycopg

ROUND_TRIPS: Counter = Counter()


# A pipeline's waits that await the server's answer to what it queued (entering one, or queuing
# a statement, sends without waiting).
AWAITING = {"BasePipeline._fetch_gen", "BasePipeline._sync_gen", "BasePipeline._exit_gen"}


def _counting(wait):
    def counted(self, gen, *args, **kwargs):
        pipeline = self._pipeline
        if pipeline is None:  # a statement, BEGIN or COMMIT: sent, then its answer awaited
            return wait(self, _watched(gen, self.info.dbname), *args, **kwargs)
        if gen.__qualname__ in AWAITING and (pipeline.result_queue or pipeline.command_queue):
            ROUND_TRIPS[self.info.dbname] += 1
        return wait(self, gen, *args, **kwargs)
    return counted


def _watched(gen, database: str):
    """`gen` (psycopg's I/O generator), counted once if it does any I/O (a pipeline's entry does none)."""
    ready, counted = None, False
    try:
        while True:
            wanted = gen.send(ready)
            if not counted:
                ROUND_TRIPS[database] += 1
                counted = True
            ready = yield wanted
    except StopIteration as done:
        return done.value


def statements(url: str) -> Counter:
    """{statement: calls} the server ran in `url`'s database since `reset(url)`, BEGIN, COMMIT
    and ROLLBACK aside (pg_stat_statements sees them only when sent by the simple protocol)."""
    return _stat(url, "calls")


def _stat(url: str, column: str) -> Counter:
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(f"SELECT query, {column} FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid "
                            "WHERE d.datname = current_database() AND query NOT LIKE %s "
                            "AND upper(query) NOT IN ('BEGIN', 'COMMIT', 'ROLLBACK')",
                            ("%pg_stat_statements%",)).fetchall()
    ran: Counter = Counter()
    for query, value in rows:  # one query may have several entries (each plan cache's)
        ran[" ".join(query.split())] += value
    return ran


def reset(url: str) -> None:
    """Start counting statements in `url`'s database (the extension made there if missing)."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        conn.execute("SELECT pg_stat_statements_reset()")


def executed(url: str) -> Counter:
    """{statement: milliseconds} the server spent executing each in `url`'s database since
    `reset(url)` (pg_stat_statements: parsing, planning and the protocol aside)."""
    return _stat(url, "total_exec_time")


def server_cpu(data_dir: Path) -> tuple[float, float]:
    """CPU seconds the PostgreSQL cluster in `data_dir` has used so far: its exited processes'
    (the connections' backends and autovacuum workers, reaped by the postmaster), and the whole
    cluster's (those, the postmaster's own and its live processes': /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    postmaster = int((Path(data_dir) / "postmaster.pid").read_text().split()[0])

    def fields(pid: int | str) -> list[str]:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat[stat.rindex(")") + 2:].split()  # after the command's name: state, ppid, ...

    own = fields(postmaster)
    exited = int(own[13]) + int(own[14])  # cutime, cstime
    total = exited + int(own[11]) + int(own[12])  # utime, stime
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                child = fields(entry.name)
            except OSError:  # gone meanwhile
                continue
            if int(child[1]) == postmaster:
                total += int(child[11]) + int(child[12])
    return exited / tick, total / tick


if __name__ == "__main__":
    out = sys.argv.pop(1)
    psycopg.Connection.wait = _counting(psycopg.Connection.wait)
    atexit.register(lambda: open(out, "w").write(json.dumps(dict(ROUND_TRIPS))))
    sys.argv[0] = "scrapy"
    runpy.run_module("scrapy", run_name="__main__", alter_sys=True)
