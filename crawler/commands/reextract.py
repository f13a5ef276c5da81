"""`scrapy reextract [SPIDER ...] --to NEW_OUTPUT [--from OUTPUT]`: extract every archived
article again from the WARC files, with no network, into a new output.

Each spider (those named, or every spider whose WARC files the archive holds) parses the
responses it archived as articles (revisits read with their originals' payloads), and the
fresh records go through the same pipelines as in a crawl (validation, normalization, dedupe,
export) into NEW_OUTPUT: improved templates applied to everything already archived. No WARC is
written (nothing is fetched); requests the archive cannot answer are counted, not sent.
`-a NAME=VALUE` passes arguments to the spiders; `generic` without `start_url` gets the first
URL it archived.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError
from scrapy.utils.conf import arglist_to_dict

from crawler.archive.reader import Archive
from crawler.commands import conclude, run_crawls, write_summary
from crawler.sites import SITES

HANDLER = "crawler.reextract.handler.ArchiveDownloadHandler"


# Set over the project's settings (a `-s` on the command line still wins).
SETTINGS = {
    "WARC_ENABLED": False,  # nothing is fetched: there is nothing new to archive
    "ROBOTSTXT_OBEY": False,
    "RETRY_ENABLED": False,  # an archived 500 stays a 500
    "REFRESH": True,  # parse every capture, also of URLs exported earlier in this run
    "DOWNLOAD_DELAY": 0,
    "DOWNLOAD_DELAY_JITTER": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
    "HTTPCACHE_ENABLED": False,
    "FIXTURE_SERVER": "",
}


class Command(ScrapyCommand):
    requires_project = True

    def syntax(self) -> str:
        return "[options] [spider ...] --to NEW_OUTPUT"

    def short_desc(self) -> str:
        return "Extract the archived articles again from the WARC files (no network) into a new output"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--from", dest="source", metavar="OUTPUT",
                            help="the output (or WARC folder) to read (default: OUTPUT_DIR)")
        parser.add_argument("--to", dest="target", metavar="NEW_OUTPUT", required=True,
                            help="where the fresh records go (a new output folder)")
        parser.add_argument("-a", dest="spargs", action="append", default=[], metavar="NAME=VALUE",
                            help="spider argument (may be repeated)")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None and self.crawler_process is not None
        source = Path(opts.source or self.settings.get("OUTPUT_DIR"))
        target = Path(opts.target)
        if target.resolve() == source.resolve():
            raise UsageError("--to must be a new output, not the archive read")
        archive = Archive.of(source)
        if not archive.paths:
            raise UsageError(f"no WARC files in {source}")
        archived = {r.part_of for r in archive.captures()}
        known = self.crawler_process.spider_loader.list()
        unknown = [a for a in args if a not in known]
        if unknown:
            raise UsageError(f"unknown spider(s): {', '.join(unknown)}")
        names = args or [n for n in [*SITES, *sorted(set(known) - set(SITES))] if n in archived]
        if not names:
            raise UsageError(f"the archive in {source} holds no spider's files")
        spargs = arglist_to_dict(opts.spargs)
        crawls = []
        for name in names:
            kwargs = dict(spargs)
            if name == "generic" and "start_url" not in kwargs:
                first = next((r.uri for r in archive.captures(name) if r.uri), None)
                if first is None:
                    raise UsageError("generic: nothing archived; give -a start_url=URL")
                kwargs["start_url"] = first
            crawls.append((name, kwargs))

        settings = self.settings
        for name, value in SETTINGS.items():
            settings.set(name, value, priority="project")  # over settings.py; `-s` wins
        settings.set("OUTPUT_DIR", str(target), priority="cmdline")
        settings.set("REEXTRACT_FROM", str(source), priority="cmdline")
        settings.set("DOWNLOAD_HANDLERS", {"http": HANDLER, "https": HANDLER}, priority="cmdline")
        settings.set("EXTENSIONS", {**settings.getdict("EXTENSIONS"),
                                    "crawler.reextract.source.ArchiveSource": 0}, priority="cmdline")
        settings.set("SPIDER_MIDDLEWARES", {**settings.getdict("SPIDER_MIDDLEWARES"),
                                            "crawler.reextract.starts.ArchivedStarts": 10}, priority="cmdline")
        reports = run_crawls(self, crawls)
        path = write_summary(str(target), "reextract", reports)
        print(f"\nreextract: {len(reports)} spiders from {source} into {target}, report {path}")
        conclude(self, reports)
