"""`scrapy wacz [WARC ...] [-o FILE.wacz]`: package OUTPUT_DIR's archive as one WACZ.

Every WARC file of OUTPUT_DIR/warc (or the files named, plus those holding the originals their
revisits refer to), the CDXJ index, and pages/pages.jsonl listing every archived article of
OUTPUT_DIR's exports with its title and extracted text. Check it with `wacz validate -f FILE`.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from crawler.archive.wacz import package


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False

    def syntax(self) -> str:
        return "[options] [WARC ...]"

    def short_desc(self) -> str:
        return "Package OUTPUT_DIR's WARC files and articles as one WACZ"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("-o", "--output", metavar="FILE",
                            help="the .wacz to write (default OUTPUT_DIR/wacz/archive-<time>.wacz)")
        parser.add_argument("--title", default="zh-news-archiver", help="the package's title")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        output = Path(self.settings.get("OUTPUT_DIR"))
        missing = [a for a in args if not Path(a).is_file()]
        if missing:
            raise UsageError(f"no such WARC file: {', '.join(missing)}")
        out = Path(opts.output or output / "wacz" / f"archive-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.wacz")
        try:
            files, pages = package(output, out, [Path(a) for a in args], title=opts.title,
                                   description=f"Articles archived by zh-news-archiver in {output}")
        except ValueError as error:
            raise UsageError(str(error)) from error
        print(f"{out}: {len(files)} WARC files, {len(pages)} article pages")
