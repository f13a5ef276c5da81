"""Crawl throughput with WARC archiving on and off, on the same fixture site, in one run.

    .venv/bin/python benchmarks/bench_archive.py [--pages 600] [--rounds 2]

A synthetic news site (listing pages linking article pages modeled on the 滁州日报 fixture,
each ~6 KB) is served by the fixture server; `scrapy crawl generic` crawls it with archiving
off and on, alternately, and the script prints pages per second for each and their ratio
(medians over the rounds). Local server, no politeness delays: this measures our overhead.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from crawler.fixtures import FixtureServer  # noqa: E402

HOST = "bench.news.example"
ARTICLE = (REPO / "crawler/fixtures/sites/szbk.chuzhou.cn/czrb/pc/content/202002/26/content_24961.html").read_text("utf-8")


def build_site(server: FixtureServer, pages: int, per_listing: int = 50) -> None:
    listings = (pages + per_listing - 1) // per_listing
    index = "".join(f'<a href="/list/{n}.html">{n}</a> ' for n in range(listings))
    server.add_route(HOST, "/", body=f"<html><body>{index}</body></html>")
    for n in range(listings):
        links = "".join(f'<li><a href="/a/{i}.html">文章{i}</a></li>'
                        for i in range(n * per_listing, min(pages, (n + 1) * per_listing)))
        server.add_route(HOST, f"/list/{n}.html", body=f"<html><body><ul>{links}</ul></body></html>")
    for i in range(pages):
        server.add_route(HOST, f"/a/{i}.html", body=ARTICLE.replace("琅琊山景区", f"第{i}号景区"))


def crawl(server: FixtureServer, warc: bool) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as out:
        args = [sys.executable, "-m", "scrapy", "crawl", "generic", "-a", f"start_url=http://{HOST}/",
                "-a", r"allow=/a/\d+\.html$", "-s", f"FIXTURE_SERVER={server.address}", "-s", f"FIXTURE_HOSTS={HOST}",
                "-s", f"OUTPUT_DIR={out}", "-s", f"WARC_ENABLED={int(warc)}", "-s", "DOWNLOAD_DELAY=0",
                "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8", "-s", "LOG_LEVEL=ERROR"]
        subprocess.run(args, cwd=REPO, check=True)
        stats = json.loads((Path(out) / "stats" / "generic.json").read_text())
    seconds = (datetime.fromisoformat(stats["finish_time"]) - datetime.fromisoformat(stats["start_time"])).total_seconds()
    return seconds, stats["downloader/response_count"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=600)
    parser.add_argument("--rounds", type=int, default=2)
    opts = parser.parse_args()
    rates: dict[bool, list[float]] = {False: [], True: []}
    with FixtureServer() as server:
        build_site(server, opts.pages)
        for _ in range(opts.rounds):
            for warc in (False, True):
                seconds, responses = crawl(server, warc)
                rates[warc].append(responses / seconds)
                print(f"  archiving {'on ' if warc else 'off'}: {responses} responses in {seconds:.2f} s "
                      f"= {responses / seconds:.1f} pages/s", flush=True)
    off, on = statistics.median(rates[False]), statistics.median(rates[True])
    print(f"median pages/s: archiving off {off:.1f}, on {on:.1f}; on/off = {on / off:.2f}")


if __name__ == "__main__":
    main()
