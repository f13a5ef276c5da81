"""One command, N worker processes: `scrapy crawl SPIDER -s WORKERS=N` on the shared frontier and
one OUTPUT_DIR; one index of every worker's WARC files that pywb replays every article from, one
run report adding the workers' up, and an exit code naming a worker that failed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from conftest import REPO, read_jsonl, run_scrapy
from servers import replay_all

from crawler import runs
from crawler.fixtures import FixtureServer
from crawler.sites import SITES
from crawler.testing import clonify
from crawler.testing.newssite import news_site, serve_news_site, serve_pages

HOST = "www.workers-news.example"
ARTICLES = 40
pytestmark = pytest.mark.slow


@pytest.fixture
def site() -> FixtureServer:
    with FixtureServer() as srv:
        # Articles take a moment: the crawl lasts long enough for every worker to join.
        serve_news_site(srv, HOST, ARTICLES, paragraphs=8, article_delay=0.2)
        yield srv


def command(site: FixtureServer, out: Path, *extra: str) -> list[str]:
    return ["crawl", "generic", "-a", f"start_url=http://{HOST}/list/1.html", "-a", "allow=/content/",
            "-a", "deny=/channel/", "-s", f"FIXTURE_SERVER={site.address}", "-s", f"FIXTURE_HOSTS={HOST}",
            "-s", f"OUTPUT_DIR={out}", "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0",
            "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=4", "-s", "FRONTIER_HEARTBEAT_TTL=6", "-s", "PROGRESS_INTERVAL=0",
            *extra]


def served_articles(site: FixtureServer) -> Counter:
    return Counter(s.target for s in site.served(HOST) if s.target.startswith("/content/"))


def test_workers_need_the_shared_frontier(site: FixtureServer, tmp_path: Path) -> None:
    result = run_scrapy(*command(site, tmp_path, "-s", "WORKERS=2"))
    assert result.returncode == 2
    assert "crawl generic refused: 2 workers need a shared frontier: set REDIS_URL=" in result.stderr
    assert not site.served()  # nothing started


def test_two_workers_one_output_one_index_one_report(site: FixtureServer, redis_url: str, postgres_url: str,
                                                     tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_scrapy(*command(site, out, "-s", "WORKERS=2", "-s", f"REDIS_URL={redis_url}",
                                 "-s", f"STATE_URL={postgres_url}"), timeout=300)
    logs = sorted((out / "logs").glob("*.log"))
    assert result.returncode == 0, result.stderr[-2000:] + "".join(p.read_text()[-2000:] for p in logs)
    assert len(logs) == 2 and "2 workers (run group crawl-" in result.stdout

    served = served_articles(site)
    assert len(served) == ARTICLES and set(served.values()) == {1}  # each article fetched once in all
    records = read_jsonl(out / "articles" / "generic.jsonl")  # both workers' lines, whole, in one file
    assert sorted(r["url"] for r in records) == sorted(f"http://{HOST}/content/{n}.html" for n in range(ARTICLES))

    # Each worker wrote its own WARC files; one index covers them all, sorted.
    warcs = sorted((out / "warc").glob("*.warc.gz"))
    writers = {w.name.split(".")[0].rsplit("-", 1)[1] for w in warcs}
    assert len(writers) == 2, [w.name for w in warcs]
    lines = (out / "index.cdxj").read_text("utf-8").splitlines()
    assert lines == sorted(lines)
    indexed = {json.loads(line.split(" ", 2)[2])["filename"] for line in lines}
    assert indexed == {w.name for w in warcs}
    check = subprocess.run([str(Path(sys.executable).parent / "warcio"), "check", *map(str, warcs)],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr

    # One report of the run: the workers' parts added up.
    [report_path] = (out / "reports" / "generic").glob("*.json")
    report = json.loads(report_path.read_text("utf-8"))
    parts = [json.loads(p.read_text("utf-8")) for p in sorted((out / "reports" / "generic" / "workers").glob("*.json"))]
    assert len(parts) == 2 and all(p["articles"]["exported"] for p in parts)  # both took their share
    assert report["articles"]["exported"] == ARTICLES == sum(p["articles"]["exported"] for p in parts)
    assert report["pages_fetched"] == sum(p["pages_fetched"] for p in parts)
    assert report["finish_reason"] == "finished" and not report["problems"] and len(report["workers"]) == 2
    assert f"{ARTICLES} articles" in result.stdout
    stats = json.loads((out / "stats" / "generic.json").read_text("utf-8"))
    assert stats["item_scraped_count"] == ARTICLES

    # pywb replays every article, as served, from the one index.
    bodies = {f"http://{HOST}{t}": b.encode() for t, b in news_site(HOST, ARTICLES, paragraphs=8).items()
              if t.startswith("/content/")}
    assert replay_all(out, bodies, tmp_path) == ARTICLES


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def test_a_failed_worker_is_named_with_its_reason(site: FixtureServer, redis_url: str, postgres_url: str,
                                                  tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "scrapy", *command(
        site, out, "-s", "WORKERS=2", "-s", f"REDIS_URL={redis_url}", "-s", f"STATE_URL={postgres_url}")],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    deadline = time.monotonic() + 120
    while len(served_articles(site)) < 5 and time.monotonic() < deadline:
        time.sleep(0.1)
    workers = children(proc.pid)
    assert len(workers) == 2
    os.kill(workers[0], signal.SIGKILL)
    stdout, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 1, stderr[-3000:]
    [line] = [x for x in stderr.splitlines() if "failed" in x]
    assert line == f"crawl generic: worker 1 of 2 (pid {workers[0]}) failed: killed by SIGKILL"
    # The other worker finished the crawl: every article fetched.
    assert set(served_articles(site)) == {f"/content/{n}.html" for n in range(ARTICLES)}
    assert (out / "index.cdxj").exists()


def test_crawlall_with_two_workers_on_the_default_store(server: FixtureServer, redis_url: str,
                                                        tmp_path: Path) -> None:
    """Every site spider in two processes sharing one OUTPUT_DIR and its SQLite store: every
    article exported once, one report per site adding the workers' up."""
    result = run_scrapy("crawlall", "--workers", "2", "-s", f"FIXTURE_SERVER={server.address}",
                        "-s", f"OUTPUT_DIR={tmp_path}", "-s", f"REDIS_URL={redis_url}", "-s", "DOWNLOAD_DELAY=0",
                        "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "RETRY_TIMES=1", "-s", "FRONTIER_HEARTBEAT_TTL=6",
                        timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    records = [r for kind in ("articles", "duplicates") for p in sorted((tmp_path / kind).glob("*.jsonl"))
               for r in read_jsonl(p)]
    assert len(records) == 22 and len({r["url"] for r in records}) == 22
    [summary] = (tmp_path / "reports").glob("crawlall-*.json")
    sites = json.loads(summary.read_text("utf-8"))["sites"]
    assert sorted(s["spider"] for s in sites) == sorted(SITES)  # each site once
    assert sum(s["articles"]["exported"] for s in sites) == 22 and not any(s["problems"] for s in sites)
    assert all(len(s["workers"]) == 2 for s in sites)


def test_workers_parts_add_up_to_one_report() -> None:
    part = {"spider": "s", "site_spider": True, "started": "2026-01-01 00:00:00+00:00",
            "finished": "2026-01-01 00:01:00+00:00", "duration_s": 60.0, "finish_reason": "finished",
            "pages_fetched": 3, "articles": {"exported": 2, "dropped": {"x": 1}, "no_body": 0, "read_generically": 0},
            "errors": {},
            "archive": {"bytes_received": 5}, "faults": [], "problems": []}
    other = {**part, "started": "2026-01-01 00:00:30+00:00", "finished": "2026-01-01 00:02:00+00:00",
             "pages_fetched": 4, "articles": {**part["articles"], "exported": 3, "dropped": {"y": 2}}, "faults": ["export failed: x"]}
    report = runs.combine([part, other])
    assert report["pages_fetched"] == 7
    assert report["articles"] == {"exported": 5, "dropped": {"x": 1, "y": 2}, "no_body": 0, "read_generically": 0}
    assert report["duration_s"] == 120.0 and report["faults"] == ["export failed: x"]
    assert report["finish_reason"] == "finished" and len(report["workers"]) == 2
    assert runs.combine([part, {**other, "finish_reason": "shutdown"}])["finish_reason"] == "shutdown"
    assert runs.combine([{**part, "finish_reason": "locked"}] * 2)["finish_reason"] == "locked"
    # A worker's share is no measure of the site; the whole run's is.
    history = [{**part, "articles": {**part["articles"], "exported": 10, "already_archived": 0}}]
    share = {**part, "articles": {**part["articles"], "already_archived": 0}}
    assert runs.assess(share, [], part=True) == []
    assert runs.assess(share, history) == ["found 2 articles; its recent runs found 10"]


def test_a_clone_fetched_by_one_worker_clusters_with_its_original_fetched_by_the_other(
        redis_url: str, postgres_url: str, tmp_path: Path) -> None:
    # 24 articles: the last 12 are clone copies (traditional script, inserted pinyin, folded
    # punctuation) of the first 12, listed far from them, so the two workers share the pairs out.
    pages = news_site(HOST, 24, paragraphs=8)
    for n in range(12):
        pages[f"/content/{12 + n}.html"] = clonify(pages[f"/content/{n}.html"], seed=n)
    out = tmp_path / "out"
    with FixtureServer() as srv:
        serve_pages(srv, HOST, pages, article_delay=0.2)
        result = run_scrapy(*command(srv, out, "-s", "WORKERS=2", "-s", f"REDIS_URL={redis_url}",
                                     "-s", f"STATE_URL={postgres_url}"), timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    records = {r["url"]: r for kind in ("articles", "duplicates") for r in read_jsonl(out / kind / "generic.jsonl")}
    assert len(records) == 24
    split = 0
    for n in range(12):
        original, clone = (records[f"http://{HOST}/content/{m}.html"] for m in (n, 12 + n))
        assert clone["dedupe"]["cluster"] == original["dedupe"]["cluster"], n
        split += clone["warc"]["filename"].rsplit("-", 1)[1] != original["warc"]["filename"].rsplit("-", 1)[1]
    assert split, "every pair was fetched by one worker"
    assert len({r["dedupe"]["cluster"] for r in records.values()}) == 12
