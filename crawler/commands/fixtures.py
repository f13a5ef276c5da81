"""`scrapy fixtures [--port N]`: serve the bundled fixture sites until interrupted.

Then, in another terminal, point the crawler at it with `-s FIXTURE_SERVER=127.0.0.1:N`:
`scrapy shell -s FIXTURE_SERVER=127.0.0.1:8000 'http://www.huainannet.com/zt_content.asp?id=106231'`
"""

from __future__ import annotations

import argparse

from scrapy.commands import ScrapyCommand

from crawler.fixtures import FixtureServer


class Command(ScrapyCommand):
    requires_project = False
    requires_crawler_process = False

    def syntax(self) -> str:
        return "[--port N]"

    def short_desc(self) -> str:
        return "Serve the bundled fixture sites on a local port"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--port", type=int, default=8000, help="port (default 8000; 0: any free)")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        server = FixtureServer(port=opts.port)
        print(f"Serving {len(server.sites)} fixture sites at {server.address}: "
              f"{', '.join(sorted(server.sites))}")
        print(f"Use them with: scrapy crawl <spider> -s FIXTURE_SERVER={server.address}", flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.stop()
