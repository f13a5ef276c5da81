"""`scrapy demo`: serve the bundled fixture sites locally and crawl them with every spider.

Offline: requests for the sites' real hostnames go to the fixture server (FIXTURE_SERVER), and
articles land under OUTPUT_DIR with their real URLs. The clone site (a content farm, not a
source of ours) is crawled with `generic`. Exits non-zero if a site looks broken, as `crawlall`
judges it (crawler.runs.assess): a spider that did not finish or raised errors, or found no
article at all (neither new nor already archived). Then writes the current stories view,
OUTPUT_DIR/stories.jsonl, as `scrapy stories` does.
"""

from __future__ import annotations

import argparse

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from crawler.commands import print_summary, run_crawls, write_summary
from crawler.commands.stories import stories_of
from crawler.fixtures import FixtureServer
from crawler.sites import SITES

# No `allow`: generic finds the clone's articles by what extraction finds on its pages.
CLONE_SITE = {"start_url": "http://news.clone-farm.example/news/shms/"}


class Command(ScrapyCommand):
    requires_project = True
    default_settings = {
        # The fixture server is ours and local: no need to be slow.
        "DOWNLOAD_DELAY": 0,
        "DOWNLOAD_DELAY_JITTER": 0,
        "AUTOTHROTTLE_ENABLED": False,
        "DOWNLOAD_TIMEOUT": 10,
        "RETRY_TIMES": 1,
    }

    def syntax(self) -> str:
        return "[options] [spider ...]"

    def short_desc(self) -> str:
        return "Crawl the bundled fixture sites with every site spider (offline demo)"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--no-clone", action="store_true",
                            help="skip the generic crawl of the clone site")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        unknown = [a for a in args if a not in SITES]
        if unknown:
            raise UsageError(f"unknown site spider(s): {', '.join(unknown)}")
        assert self.settings is not None
        server = FixtureServer().start()
        try:
            self.settings.set("FIXTURE_SERVER", server.address, priority="cmdline")
            crawls: list[tuple[str, dict]] = [(name, {}) for name in args or SITES]
            if not args and not opts.no_clone:
                crawls.append(("generic", CLONE_SITE))
            reports = run_crawls(self, crawls)
        finally:
            server.stop()
        output = self.settings.get("OUTPUT_DIR")
        path = write_summary(output, "demo", reports)
        print(f"\nDemo crawl of the fixture sites (served at {server.address}), output in {output}/, report {path}:")
        print_summary(reports)
        stories, count = stories_of(output, self.settings.get("STATE_URL", ""))
        print(f"{count} stories, each once, in {stories} (scrapy stories writes it again)")
        broken = [r["spider"] for r in reports if r.get("problems")]
        self.exitcode = 1 if broken or self.crawler_process.bootstrap_failed else 0
