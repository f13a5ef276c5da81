"""What a crawl costs its PostgreSQL state store per article page, by count: the statements the
server runs (pg_stat_statements) and the round trips the crawl waits on (tests/roundtrips.py).
A change that adds a per-page query fails here. The server's CPU is printed, not bounded (it
depends on the machine).

Per article page of a 1-worker crawl of distinct stories: a lookup of its URL (one statement,
one round trip); of its payload (one, which carries the insert of the payload archived before
it); the filing, one exclusive transaction, pipelined: BEGIN and the writers' lock (one
statement, one round trip), the lookups of its record, its body's hash and its LSH bands (three
statements, sent together: one round trip), the article with its signature and bands (one
statement, sent with COMMIT: one round trip); its export line staged (one); and a share of its
batch's marks (one statement a batch). That is 6.4 round trips and 8.6 statements (BEGIN and
COMMIT aside); it was 10.4 and 11.7 with a round trip for each lookup and a statement for each
table's insert, and 13.7 round trips before the transactions were pipelined. (The three
lookups merged into one statement, a UNION, cost the server more instructions than the three.)"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO, read_jsonl
from roundtrips import executed, reset, server_cpu, statements

from crawler.fixtures import FixtureServer
from crawler.testing.newssite import serve_news_site

HOST = "www.roundtrips-news.example"
ARTICLES = 120
# The bounds, per article page: a query added per page (1.0 more) fails them.
MAX_ROUND_TRIPS = 6.8
MAX_STATEMENTS = 9.0
pytestmark = pytest.mark.slow


def crawl(site: FixtureServer, out: Path, state_url: str) -> dict:
    counts = out / "round_trips.json"
    out.mkdir(parents=True, exist_ok=True)
    args = ["crawl", "generic", "-a", f"start_url=http://{HOST}/list/1.html", "-a", "allow=/content/",
            "-a", "deny=/channel/", "-s", f"FIXTURE_SERVER={site.address}", "-s", f"FIXTURE_HOSTS={HOST}",
            "-s", f"OUTPUT_DIR={out}", "-s", f"STATE_URL={state_url}", "-s", "DOWNLOAD_DELAY=0",
            "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "PROGRESS_INTERVAL=0"]
    result = subprocess.run([sys.executable, str(REPO / "tests" / "roundtrips.py"), str(counts), *args], cwd=REPO,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(counts.read_text())


def test_round_trips_and_statements_per_article_page(postgres_server, postgres_url: str, tmp_path: Path) -> None:
    with FixtureServer() as site:
        serve_news_site(site, HOST, ARTICLES, paragraphs=8)
        reset(postgres_url)
        time.sleep(0.5)  # reset's backend exits, and is reaped
        before = server_cpu(postgres_server.data)
        trips = crawl(site, tmp_path / "out", postgres_url)
        time.sleep(0.5)  # the crawl's backends exit, and are reaped
        exited, cpu = (after - then for after, then in zip(server_cpu(postgres_server.data), before, strict=True))
    assert len(read_jsonl(tmp_path / "out" / "articles" / "generic.jsonl")) == ARTICLES
    database = postgres_url.rsplit("/", 1)[1]
    per_page = trips[database] / ARTICLES
    ran = statements(postgres_url)
    statements_per_page = sum(ran.values()) / ARTICLES
    took = executed(postgres_url)
    by_statement = sorted(((calls / ARTICLES, took[query] / ARTICLES, query) for query, calls in ran.items()),
                          reverse=True)
    report = "\n".join(f"{n:6.2f} {ms:6.3f} ms  {query[:140]}" for n, ms, query in by_statement)
    print(f"\nround trips per article page: {per_page:.2f}\nstatements per article page: {statements_per_page:.2f}"
          f"\nserver CPU per article page: {cpu / ARTICLES * 1000:.2f} ms (the crawl's backends and autovacuum's: "
          f"{exited / ARTICLES * 1000:.2f} ms; executing statements: {sum(took.values()) / ARTICLES:.2f} ms)"
          f"\nstatements and their execution per article page:\n{report}")
    assert 5 <= per_page <= MAX_ROUND_TRIPS, report
    assert 5 <= statements_per_page <= MAX_STATEMENTS, report
    assert ran["SELECT pg_advisory_xact_lock($1)"] >= ARTICLES  # every filing still under the writers' lock
