"""`scrapy demo`: serve the bundled fixture sites locally and crawl them with every spider.

Offline: requests for the sites' real hostnames go to the fixture server (FIXTURE_SERVER), and
articles land under OUTPUT_DIR with their real URLs. The clone site (a content farm, not a
source of ours) is crawled with `generic`. Exits non-zero if a spider fails: it did not finish,
raised errors in its callbacks, or found no article at all (neither new nor already archived).
"""

from __future__ import annotations

import argparse

from scrapy.commands import ScrapyCommand
from scrapy.crawler import Crawler
from scrapy.exceptions import UsageError

from crawler.fixtures import FixtureServer
from crawler.sites import SITES

CLONE_SITE = {"start_url": "http://news.clone-farm.example/news/shms/",
              "allow": r"/news/shms/\d{4}-\d{2}-\d{2}/\d+\.html$"}


def crawl_failed(crawler: Crawler) -> str | None:
    """Why a finished crawl counts as failed, or None."""
    stats = crawler.stats.get_stats() if crawler.stats else {}
    if stats.get("finish_reason") != "finished":
        return f"finish reason {stats.get('finish_reason')!r}"
    errors = sum(v for k, v in stats.items() if k.startswith("spider_exceptions/"))
    if errors:
        return f"{errors} exceptions in callbacks"
    if not stats.get("item_scraped_count") and not stats.get("dedupe/known_article_skipped"):
        return "no articles, new or already archived"
    return None


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
        assert self.crawler_process is not None and self.settings is not None
        server = FixtureServer().start()
        try:
            self.settings.set("FIXTURE_SERVER", server.address, priority="cmdline")
            crawlers: list[Crawler] = []
            for name in args or list(SITES):
                crawler = self.crawler_process.create_crawler(name)
                self.crawler_process.crawl(crawler)
                crawlers.append(crawler)
            if not args and not opts.no_clone:
                crawler = self.crawler_process.create_crawler("generic")
                self.crawler_process.crawl(crawler, **CLONE_SITE)
                crawlers.append(crawler)
            self.crawler_process.start()
        finally:
            server.stop()
        output = self.settings.get("OUTPUT_DIR")
        print(f"\nDemo crawl of the fixture sites (served at {server.address}), output in {output}/:")
        failed = False
        for crawler in crawlers:
            stats = crawler.stats.get_stats() if crawler.stats else {}
            why = crawl_failed(crawler)
            failed |= why is not None
            print(f"  {crawler.spider.name if crawler.spider else '?':10} "
                  f"{stats.get('item_scraped_count', 0):3} articles "
                  f"({stats.get('dedupe/new_story', 0)} new stories), "
                  f"{stats.get('dedupe/known_article_skipped', 0):3} already archived, "
                  f"{stats.get('downloader/response_count', 0):3} responses  "
                  f"{'FAILED: ' + why if why else 'ok'}")
        self.exitcode = 1 if failed or self.crawler_process.bootstrap_failed else 0
