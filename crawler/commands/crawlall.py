"""`scrapy crawlall [spider ...]`: every site spider (or those named) in one process, for cron,
systemd timers and other schedulers.

Each spider holds a lock while it runs: a run that overlaps another's skips that spider and says
so. Exits non-zero when a site looks broken (see crawler.runs.assess): a spider that did not
finish or raised errors, extraction finding nothing, pages no longer matching the template, far
fewer articles than its recent runs (CRAWL_MIN_ARTICLE_RATIO). The combined report goes to
OUTPUT_DIR/reports/crawlall-<time>.json, each site's to OUTPUT_DIR/reports/<spider>/.

`--workers N` (or `-s WORKERS=N`) runs it in N processes on the shared frontier (REDIS_URL), one
run group: each site's pages are shared among them, its report adds theirs up
(crawler.commands.workers).
"""

from __future__ import annotations

import argparse

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from crawler.commands import conclude, run_crawls, state_refused, write_summary
from crawler.commands.workers import refuse_without_frontier, run_workers
from crawler.sites import SITES


class Command(ScrapyCommand):
    requires_project = True

    def syntax(self) -> str:
        return "[options] [spider ...]"

    def short_desc(self) -> str:
        return "Run every site spider (or those named) in one process; non-zero exit if a site broke"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--workers", type=int, default=None, metavar="N",
                            help="run in N processes on the shared frontier (REDIS_URL)")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        unknown = [a for a in args if a not in SITES]
        if unknown:
            raise UsageError(f"unknown site spider(s): {', '.join(unknown)} (known: {', '.join(SITES)})")
        if state_refused(self, "crawlall"):
            return
        workers = opts.workers if opts.workers is not None else self.settings.getint("WORKERS", 1)
        failed: list[str] = []
        if workers > 1:
            if refuse_without_frontier(self, "crawlall", workers):
                return
            reports, failed = run_workers(self, "crawlall", workers, list(args or SITES))
        else:
            reports = run_crawls(self, [(name, {}) for name in args or SITES])
        path = write_summary(self.settings.get("OUTPUT_DIR"), "crawlall", reports,
                             part=bool(self.settings.get("WORKER_OF")))
        print(f"\ncrawlall: {len(reports)} sites, report {path}")
        conclude(self, reports, path)
        if failed:
            self.exitcode = 1
