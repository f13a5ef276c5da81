"""`scrapy crawl <spider>`, as Scrapy's, with an exit code that tells the truth: non-zero, with
a one-line reason on stderr, when the crawl failed to keep what it fetched (exports, WARC
writes, state store writes or the run report failed; see crawler.extensions.faults), and
refusing to start (exit code 2) on a damaged state store or none beside existing exports.
scrapyd runs its jobs with this command, so its jobs fail alike.

`-s WORKERS=N` runs the crawl in N processes on the shared frontier (crawler.commands.workers)."""

from __future__ import annotations

import argparse
import sys

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.exceptions import UsageError

from crawler import runs
from crawler.commands import state_refused
from crawler.commands.workers import refuse_without_frontier, run_workers
from crawler.extensions.faults import faults_of


class Command(ScrapyCrawl):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("give one spider: scrapy crawl <spider>" if not args else
                             "running 'scrapy crawl' with more than one spider is not supported")
        assert self.crawler_process is not None
        if state_refused(self, f"crawl {args[0]}"):
            return
        workers = self.settings.getint("WORKERS", 1)
        if workers > 1:
            if refuse_without_frontier(self, f"crawl {args[0]}", workers):
                return
            reports, failed = run_workers(self, f"crawl {args[0]}", workers, [args[0]])
            for report in reports:
                print("  " + runs.one_line(report))
            self.exitcode = 1 if failed or any(r.get("faults") for r in reports) else 0
            return
        crawler = self._create_crawler(args[0])
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        faults = faults_of(crawler)
        if faults:
            more = f" (and {len(faults) - 1} more)" if len(faults) > 1 else ""
            print(f"crawl {args[0]} failed: {faults[0]}{more}", file=sys.stderr)
        self.exitcode = 1 if faults or self.crawler_process.bootstrap_failed else 0
