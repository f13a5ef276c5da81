"""Crawl throughput with 1 and with 2 worker processes on the shared frontier, in one run.

    .venv/bin/python benchmarks/bench_workers.py [--articles 2000] [--paragraphs 60]

A generated news site (crawler/testing/newssite.py: article pages of tens of KB of Chinese text
in a portal's furniture) is served by the fixture server; a private redis-server and PostgreSQL
(tests/servers.py) hold the frontier and the state store; `scrapy crawl generic` crawls it with
1 worker, then with 2, then with 2 and with 1 again (`--rounds`, 2: the machine's speed drifts
over minutes, and the order 1, 2, 2, 1 evens a steady drift out), a fresh queue and store each
time (each crawl's database dropped after it). Prints pages per second for each crawl, and for
each count of workers over all its crawls, their ratio and each worker's peak RSS. Local
server, no politeness delays: this measures the crawler.
Each worker has 16 requests in flight (CONCURRENT_REQUESTS), as one worker alone has, and the
host a shared budget of 16 a worker (CONCURRENT_REQUESTS_PER_DOMAIN, which holds across
workers): with 16 for both, each of 2 workers would average 8 and the crawl would wait on the
politeness gate's turns (2 workers came out about 4% slower), not on the crawler's CPU.
Pages per second are given from the processes' start to their exit, and from the first spider's
opening to the last one's closing (the interpreters' start and exit, about 2 s however many
workers, left out).

With 2 cores, whatever the server, Redis and PostgreSQL spend per page is taken from the second
worker: each run also prints the CPU time per page of the workers, of this process (the site's
server), of redis-server and of PostgreSQL, and the end the bound those put on the ratio (one
worker is bound by its own CPU a page, two by all the CPU a page costs, over both cores). `--profile DIR` runs each worker under cProfile
(DIR/<workers>-<n>.prof).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import redis

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from servers import PostgresServer, RedisServer  # noqa: E402

from crawler.fixtures import FixtureServer  # noqa: E402
from crawler.testing.newssite import news_site  # noqa: E402

HOST = "www.bench-workers.example"
PER_WORKER = 16  # requests in flight a worker, and the host's shared budget a worker


def cpu_seconds(pid: int, children: bool = False) -> float:
    """A process's CPU time so far (with its reaped children's: PostgreSQL's ended backends)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = sum(int(f) for f in fields[11:15 if children else 13])
    return ticks / os.sysconf("SC_CLK_TCK")


def crawl(workers: int, server: FixtureServer, redis_url: str, state_url: str, out: Path,
          profile: Path | None = None) -> tuple[float, list[int], list[float]]:
    """Seconds from start to the last worker's exit, each worker's peak RSS (KiB) and CPU seconds."""
    procs = []
    start = time.monotonic()
    for n in range(workers):
        args = ["crawl", "generic", "-a", f"start_url=http://{HOST}/list/1.html", "-a", "allow=/content/", "-a", "depth=1000", "-a", "max_pages=100000",
                "-s", f"FIXTURE_SERVER={server.address}", "-s", f"FIXTURE_HOSTS={HOST}",
                "-s", f"OUTPUT_DIR={out / str(n)}", "-s", f"REDIS_URL={redis_url}", "-s", f"STATE_URL={state_url}", "-s", f"RUN_GROUP=bench-{workers}",
                "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0", "-s", f"CONCURRENT_REQUESTS={PER_WORKER}",
                "-s", f"CONCURRENT_REQUESTS_PER_DOMAIN={PER_WORKER * workers}", "-s", "PROGRESS_INTERVAL=0", "-s", "LOG_LEVEL=WARNING"]
        python = [sys.executable, *(["-m", "cProfile", "-o", str(profile / f"{workers}-{n}.prof")] if profile else [])]
        procs.append(subprocess.Popen([*python, "-m", "scrapy", *args], cwd=REPO,
                                      stdout=subprocess.DEVNULL, stderr=open(out / f"log-{n}.txt", "w")))
    rss, cpu = [], []
    for proc in procs:
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        rss.append(usage.ru_maxrss)
        cpu.append(usage.ru_utime + usage.ru_stime)
        if proc.returncode:
            sys.exit(f"worker failed ({proc.returncode}): see {out}/log-*.txt")
    return time.monotonic() - start, rss, cpu


def redis_commands(url: str) -> Counter:
    """Commands redis-server has run so far, by name (INFO commandstats)."""
    stats = redis.Redis.from_url(url).info("commandstats")
    return Counter({name.removeprefix("cmdstat_"): value["calls"] for name, value in stats.items()})


def _self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--paragraphs", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=2,
                        help="crawls with 1 and with 2 workers, in turn: 1, 2, then 2, 1 (the ratio is of all of them)")
    parser.add_argument("--profile", type=Path, help="run each worker under cProfile, its stats in this folder")
    args = parser.parse_args()
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    routes = news_site(HOST, args.articles, paragraphs=args.paragraphs)
    sizes = [len(body.encode()) for target, body in routes.items() if target.startswith("/content/")]
    pages = len(routes) - 1  # robots.txt aside
    print(f"site: {args.articles} articles (mean {sum(sizes) / len(sizes) / 1024:.1f} KB), {pages} pages")
    # Seconds (process start to exit, spider open to close) of every crawl, by workers. The
    # rounds go 1, 2, then 2, 1: this machine's speed drifts by a fifth over minutes, and a
    # drift between one crawl of each moved their ratio by as much.
    seconds_of: dict[int, list[tuple[float, float]]] = {1: [], 2: []}
    # CPU seconds of every crawl, by workers: the workers', and the server's, redis's and PostgreSQL's.
    cpu_of: dict[int, list[tuple[float, float]]] = {1: [], 2: []}
    order = [w for r in range(max(1, args.rounds)) for w in ((1, 2) if r % 2 == 0 else (2, 1))]
    with FixtureServer() as server, RedisServer() as redis_server, PostgresServer() as postgres:
        for target, body in routes.items():
            server.add_route(HOST, target, body=body, headers=[("Content-Type", "text/html; charset=utf-8")])
        postmaster = int((postgres.data / "postmaster.pid").read_text().split()[0])
        for workers in order:
            with tempfile.TemporaryDirectory() as tmp:
                state_url = postgres.database()
                before = (_self_cpu(), cpu_seconds(redis_server.proc.pid), cpu_seconds(postmaster, children=True))
                commands = redis_commands(redis_server.url)
                began = datetime.now(UTC)
                seconds, rss, cpu = crawl(workers, server, redis_server.url, state_url, Path(tmp), args.profile)
                after = (_self_cpu(), cpu_seconds(redis_server.proc.pid), cpu_seconds(postmaster, children=True))
                commands = redis_commands(redis_server.url) - commands
                exported = [sum(1 for _ in open(f, "rb")) for f in Path(tmp).glob("*/articles/generic.jsonl")]
                stats = [json.loads(f.read_text()) for f in sorted(Path(tmp).glob("*/stats/generic.json"))]
                # Gone before the next crawl, so that no autovacuum of this one's tables runs in it
                # (once, 3 ms of PostgreSQL's CPU a page more in the crawl it fell in).
                postgres.drop(state_url)
            # From the first worker's spider opening to the last one's closing: the crawl itself,
            # without the interpreters' start (imports) and exit, which cost the same with 1 or 2.
            spans = [(datetime.fromisoformat(st["start_time"]), datetime.fromisoformat(st["finish_time"])) for st in stats]
            opened, closed = min(o for o, _ in spans), max(c for _, c in spans)
            seconds_of[workers].append((seconds, (closed - opened).total_seconds()))
            server_ms, redis_ms, pg_ms = ((b - a) * 1000 / pages for a, b in zip(before, after, strict=True))
            cpu_of[workers].append((sum(cpu), (server_ms + redis_ms + pg_ms) * pages / 1000))
            print(f"{workers} worker(s): {seconds:.1f} s, {pages / seconds:.1f} pages/s "
                  f"({pages / seconds_of[workers][-1][1]:.1f} pages/s from spider open to close), peak RSS per worker "
                  + ", ".join(f"{r / 1024:.0f} MiB" for r in rss) + f"; articles exported per worker {exported}")
            print(f"  CPU per page: workers {sum(cpu) * 1000 / pages:.1f} ms "
                  f"({', '.join(f'{c:.1f} s' for c in cpu)}), site server {server_ms:.1f} ms, "
                  f"redis {redis_ms:.1f} ms, postgresql {pg_ms:.1f} ms")
            print(f"  redis commands per page: {commands.total() / pages:.1f} ("
                  + ", ".join(f"{name} {n / pages:.1f}" for name, n in commands.most_common(8)) + ")")
            # Where a crawl of 2 loses time: a worker that opens late or closes early.
            print("  each worker's spider opened, closed (s after the start): " + "; ".join(
                f"{(o - began).total_seconds():.1f}, {(c - began).total_seconds():.1f}" for o, c in spans)
                + f" (all exited at {seconds:.1f})")
            print("  store's exclusive transactions per worker: " + "; ".join(
                f"{s.get('state/exclusive_transactions')} waited {s.get('state/exclusive_wait_seconds')} s, "
                f"held {s.get('state/exclusive_held_seconds')} s" for s in stats))
    # Each count's pages/s over all its crawls: their pages over their seconds.
    rate = {w: [len(runs) * pages / sum(run[part] for run in runs) for part in (0, 1)] for w, runs in seconds_of.items()}
    print(f"all crawls: 1 worker {rate[1][0]:.1f} pages/s ({len(seconds_of[1])} crawls), 2 workers {rate[2][0]:.1f} "
          f"({len(seconds_of[2])}); from spider open to close {rate[1][1]:.1f} and {rate[2][1]:.1f}")
    print(f"ratio 2 workers / 1 worker: {rate[2][0] / rate[1][0]:.2f} (target >= 1.7), process start to exit; "
          f"{rate[2][1] / rate[1][1]:.2f} from spider open to close")
    # What the cores allow: one worker is bound by its own CPU a page (the server, redis and
    # PostgreSQL take the other core's time), two by all the CPU a page costs over both cores.
    one = sum(c for c, _ in cpu_of[1]) / len(cpu_of[1])
    two = sum(c + others for c, others in cpu_of[2]) / len(cpu_of[2])
    if os.cpu_count() == 2:
        print(f"CPU bound of the ratio on these 2 cores: {min(2.0, 2 * one / two):.2f} "
              f"(1 worker {one * 1000 / pages:.1f} ms of its own CPU a page; 2 workers {two * 1000 / pages:.1f} ms "
              "a page in all, workers, server, redis and postgresql)")


if __name__ == "__main__":
    main()
