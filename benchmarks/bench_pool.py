"""What it costs to start page worker processes (crawler.extract.pool), before and after a change.

    .venv/bin/python benchmarks/bench_pool.py [--before main] [--runs 5]

Each run, in a fresh process: a pool of 2 workers with a crawl's preload (the spiders' _PRELOAD
and `crawler.reading`) is made, one trivial task run on each, the pool closed. Printed, median of
the runs: the CPU seconds (user + system) of every process the pool started (its children, reaped:
the workers and, with a fork server, the server and the workers it reaped), the seconds from
making the pool to the first task's result, from making it to its close; then, in a pool of 1,
the seconds from a task over its budget (its worker killed) to the next task's result, which
waits for the replacement. `--before REV` measures the `crawler/` package at that revision too
(exported with `git archive` into a temporary folder), beside this checkout's.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# Run in a fresh interpreter whose working directory is the checkout measured.
RUN = """
import json, os, resource, sys, time
sys.path.insert(0, os.getcwd())
from crawler.extract.pool import ProcessPool, TaskTimeout
PRELOAD = ("crawler.spiders.pagework", "crawler.reading")
start = time.monotonic()
pool = ProcessPool(2, preload=PRELOAD)
first = pool.run(os.getpid, timeout=120)
first_result = time.monotonic() - start
assert pool.run(os.getpid, timeout=120) != first  # one task on each worker
pool.close()
closed = time.monotonic() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
with ProcessPool(1, preload=PRELOAD) as pool:
    pool.run(os.getpid, timeout=120)
    try:
        pool.run(time.sleep, 60, timeout=0.2)
    except TaskTimeout:
        pass
    killed = time.monotonic()
    pool.run(os.getpid, timeout=120)
    replaced = time.monotonic() - killed
print(json.dumps({"cpu": usage.ru_utime + usage.ru_stime, "first_result": first_result, "closed": closed,
                  "replaced": replaced}))
"""

FIGURES = (("cpu", "CPU s of the pool's processes"), ("first_result", "s to first result"),
           ("closed", "s to closed"), ("replaced", "s to a replacement's result"))


def measure(checkout: Path, runs: int) -> dict[str, float]:
    """The median of each figure over `runs` fresh processes."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    results = []
    for _ in range(runs):
        done = subprocess.run([sys.executable, "-c", RUN], cwd=checkout, env=env, capture_output=True,
                              text=True, check=True)
        results.append(json.loads(done.stdout.splitlines()[-1]))
    return {key: statistics.median(r[key] for r in results) for key, _ in FIGURES}


def export(rev: str, into: Path) -> str:
    """The `crawler/` package at `rev`, written into `into`; the full commit id."""
    commit = subprocess.run(["git", "rev-parse", rev], cwd=REPO, capture_output=True, text=True,
                            check=True).stdout.strip()
    archive = subprocess.run(["git", "archive", commit, "crawler"], cwd=REPO, capture_output=True, check=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return commit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", metavar="REV", help="also measure crawler/ at this revision (e.g. main)")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        if args.before:
            commit = export(args.before, Path(tmp))
            name = commit[:10] if commit.startswith(args.before) else f"{args.before} ({commit[:10]})"
            rows.append((name, measure(Path(tmp), args.runs)))
        rows.append(("this checkout", measure(REPO, args.runs)))
    print(f"pool of 2 workers, preload pagework + reading; median of {args.runs} runs")
    width = max(len(name) for name, _ in rows)
    print(" " * width + "".join(f"  {label:>28}" for _, label in FIGURES))
    for name, figures in rows:
        print(name.ljust(width) + "".join(f"  {figures[key]:28.3f}" for key, _ in FIGURES))


if __name__ == "__main__":
    main()
