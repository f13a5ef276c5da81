"""Several worker processes from one command, on one machine: `scrapy crawl SPIDER -s WORKERS=N`
and `scrapy crawlall --workers N` start N processes of the same command on the shared frontier
(REDIS_URL), one run group, one OUTPUT_DIR, and wait for them.

Each worker writes its own WARC files (their names carry host and pid), appends its records to
the shared export files (one whole line per write, O_APPEND), logs to
OUTPUT_DIR/logs/<run group>-<n>.log and reports its share of the run as a part
(crawler.extensions.runreport). When the last worker has ended, the command indexes every WARC
file into one OUTPUT_DIR/index.cdxj, adds the parts up into the run's one report per spider,
and exits non-zero when any worker failed, with one line per failed worker saying which and why.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

from scrapy.commands import ScrapyCommand

from crawler import runs
from crawler.archive import index_missing, merge_indexes

# The lines of a worker's log that say why it failed (crawler.commands.crawl, state_refused,
# an uncaught exception's last line).
_WHY = re.compile(r"(failed: |refused: |^\w+(Error|Exception): )")


def worker_command(argv: list[str]) -> list[str]:
    """The program that runs this command again: `scrapy`, `python -m scrapy` or scrapyd's
    `python -m scrapyd.runner` (a module run again as the module, not as its file, which would
    put its package's folder first on sys.path)."""
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    if spec is not None and spec.name:
        return [sys.executable, "-m", spec.name.removesuffix(".__main__")]
    return [sys.executable, str(Path(argv[0]))]


def why_failed(code: int, log: Path) -> str:
    """One line: why a worker ended with this exit code, from the end of its log."""
    if code < 0:
        return f"killed by {signal.Signals(-code).name}"
    try:
        lines = log.read_text("utf-8", errors="replace").splitlines()[-200:]
    except OSError:
        lines = []
    said = [line.strip() for line in lines if _WHY.search(line.strip())]
    return f"{said[-1]} (exit code {code})" if said else f"exit code {code}, see {log}"


def run_workers(command: ScrapyCommand, name: str, count: int, spiders: list[str]) -> tuple[list[dict], list[str]]:
    """Run this command line in `count` worker processes and wait for them: the run's combined
    report of each spider (in order; spiders no worker reported on are left out) and one line
    per failed worker. The caller sets the exit code from them."""
    settings = command.settings
    assert settings is not None
    output = Path(settings.get("OUTPUT_DIR", "output"))
    group = settings.get("RUN_GROUP") or f"{name.split()[0]}-{socket.gethostname()}-{os.getpid()}-{int(time.time())}"
    logs = output / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    # Scrapy took the command's name out of sys.argv: it goes back first.
    argv = [*worker_command(sys.argv), name.split()[0], *sys.argv[1:],
            "-s", "WORKERS=1", "-s", f"RUN_GROUP={group}", "-s", f"WORKER_OF={group}"]
    if name == "crawlall":
        argv += ["--workers", "1"]
    procs, paths = [], []
    for n in range(count):
        path = logs / f"{group}-{n + 1}.log"
        with open(path, "ab") as log:
            procs.append(subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT))
        paths.append(path)
    print(f"{name}: {count} workers (run group {group}), logs in {logs}/{group}-*.log", flush=True)

    def forward(signum: int, frame: FrameType | None) -> None:  # stop: the workers stop cleanly
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signum)

    previous = {s: signal.signal(s, forward) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        codes = [proc.wait() for proc in procs]
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    failed = [f"{name}: worker {n + 1} of {count} (pid {proc.pid}) failed: {why_failed(code, path)}"
              for n, (proc, code, path) in enumerate(zip(procs, codes, paths, strict=True)) if code]
    if settings.getbool("WARC_ENABLED"):
        try:  # every worker's files, in one index (each worker merged what it saw at its end)
            index_missing(output / "warc", output / "index")
            lines = merge_indexes(output / "index", output / "index.cdxj")
            print(f"{name}: index {output / 'index.cdxj'} ({lines} lines, every worker's WARC files)")
        except OSError as error:
            failed.append(f"{name}: the WARC index {output / 'index.cdxj'} could not be written: {error}")
    pids = [proc.pid for proc in procs]
    min_ratio = settings.getfloat("CRAWL_MIN_ARTICLE_RATIO")
    reports = []
    for spider in spiders:
        try:
            report = runs.combine_parts(output, spider, *runs.parts_of(output, spider, pids), min_ratio=min_ratio)
        except runs.DamagedPart as error:
            failed.append(f"{name}: a worker's report of {spider} could not be read: {error}")
            continue
        except OSError as error:
            failed.append(f"{name}: the run report of {spider} could not be written: {error}")
            continue
        if report is not None:
            reports.append(report)
    for line in failed:
        print(line, file=sys.stderr)
    return reports, failed


def refuse_without_frontier(command: ScrapyCommand, name: str, count: int) -> bool:
    """Whether N workers cannot start: they need the shared frontier (said in one line, exit 2)."""
    assert command.settings is not None
    if command.settings.get("REDIS_URL"):
        return False
    print(f"{name} refused: {count} workers need a shared frontier: set REDIS_URL=redis://host:port/db "
          "(-s REDIS_URL=... or in the settings)", file=sys.stderr)
    command.exitcode = 2
    return True
