"""Count what a crawl sends to PostgreSQL, for tests/test_roundtrips.py.

Run as `python tests/roundtrips.py COUNTS.json scrapy-args...`: the crawl (`scrapy ...`) in this
process, every psycopg round trip counted (each `Connection.wait` is one exchange with the server:
a statement, a BEGIN or COMMIT, a pipeline's sync), the count written to COUNTS.json at exit.
`statements(url)` reads the server's own count by statement (pg_stat_statements, which the
private server in tests/servers.py preloads).
"""

from __future__ import annotations

import atexit
import json
import runpy
import sys
from collections import Counter

import psycopg

ROUND_TRIPS: Counter = Counter()


def _counting(wait):  # noqa: ANN001, ANN202 (psycopg's own signature)
    def counted(self, gen, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        ROUND_TRIPS[self.info.dbname] += 1
        return wait(self, gen, *args, **kwargs)
    return counted


def statements(url: str) -> Counter:
    """{statement: calls} the server ran in `url`'s database since `reset(url)`."""
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute("SELECT query, calls FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid "
                            "WHERE d.datname = current_database() AND query NOT LIKE %s",
                            ("%pg_stat_statements%",)).fetchall()
    ran: Counter = Counter()
    for query, calls in rows:  # one query may have several entries (each plan cache's)
        ran[" ".join(query.split())] += calls
    return ran


def reset(url: str) -> None:
    """Start counting statements in `url`'s database (the extension made there if missing)."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        conn.execute("SELECT pg_stat_statements_reset()")


if __name__ == "__main__":
    out = sys.argv.pop(1)
    psycopg.Connection.wait = _counting(psycopg.Connection.wait)
    atexit.register(lambda: open(out, "w").write(json.dumps(dict(ROUND_TRIPS))))
    sys.argv[0] = "scrapy"
    runpy.run_module("scrapy", run_name="__main__", alter_sys=True)
