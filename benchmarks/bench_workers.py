"""Crawl throughput with 1 and with 2 worker processes on the shared frontier, in one run.

    .venv/bin/python benchmarks/bench_workers.py [--articles 2000] [--paragraphs 60]

A generated news site (crawler/testing/newssite.py: article pages of tens of KB of Chinese text
in a portal's furniture) is served by the fixture server; a private redis-server and PostgreSQL
(tests/servers.py) hold the frontier and the state store; `scrapy crawl generic` crawls it with
1 worker, then with 2 (fresh queue and store each time). Prints pages per second for each, their
ratio and each worker's peak RSS. Local server, no politeness delays: this measures the crawler.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from servers import PostgresServer, RedisServer  # noqa: E402

from crawler.fixtures import FixtureServer  # noqa: E402
from crawler.testing.newssite import news_site  # noqa: E402

HOST = "www.bench-workers.example"


def crawl(workers: int, server: FixtureServer, redis_url: str, state_url: str, out: Path) -> tuple[float, list[int]]:
    """Seconds from start to the last worker's exit, and each worker's peak RSS (KiB)."""
    procs = []
    start = time.monotonic()
    for n in range(workers):
        args = ["crawl", "generic", "-a", f"start_url=http://{HOST}/list/1.html", "-a", "allow=/content/", "-a", "depth=1000", "-a", "max_pages=100000",
                "-s", f"FIXTURE_SERVER={server.address}", "-s", f"FIXTURE_HOSTS={HOST}",
                "-s", f"OUTPUT_DIR={out / str(n)}", "-s", f"REDIS_URL={redis_url}", "-s", f"STATE_URL={state_url}", "-s", f"RUN_GROUP=bench-{workers}",
                "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "CONCURRENT_REQUESTS=16",
                "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=16", "-s", "PROGRESS_INTERVAL=0", "-s", "LOG_LEVEL=WARNING"]
        procs.append(subprocess.Popen([sys.executable, "-m", "scrapy", *args], cwd=REPO,
                                      stdout=subprocess.DEVNULL, stderr=open(out / f"log-{n}.txt", "w")))
    rss = []
    for proc in procs:
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        rss.append(usage.ru_maxrss)
        if proc.returncode:
            sys.exit(f"worker failed ({proc.returncode}): see {out}/log-*.txt")
    return time.monotonic() - start, rss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--paragraphs", type=int, default=60)
    args = parser.parse_args()
    routes = news_site(HOST, args.articles, paragraphs=args.paragraphs)
    sizes = [len(body.encode()) for target, body in routes.items() if target.startswith("/content/")]
    pages = len(routes) - 1  # robots.txt aside
    print(f"site: {args.articles} articles (mean {sum(sizes) / len(sizes) / 1024:.1f} KB), {pages} pages")
    results = {}
    with FixtureServer() as server, RedisServer() as redis_server, PostgresServer() as postgres:
        for target, body in routes.items():
            server.add_route(HOST, target, body=body, headers=[("Content-Type", "text/html; charset=utf-8")])
        for workers in (1, 2):
            with tempfile.TemporaryDirectory() as tmp:
                seconds, rss = crawl(workers, server, redis_server.url, postgres.database(), Path(tmp))
                exported = [sum(1 for _ in open(f, "rb")) for f in Path(tmp).glob("*/articles/generic.jsonl")]
            results[workers] = pages / seconds
            print(f"{workers} worker(s): {seconds:.1f} s, {results[workers]:.1f} pages/s, peak RSS per worker "
                  + ", ".join(f"{r / 1024:.0f} MiB" for r in rss) + f"; articles exported per worker {exported}")
    print(f"ratio 2 workers / 1 worker: {results[2] / results[1]:.2f} (target >= 1.7)")


if __name__ == "__main__":
    main()
