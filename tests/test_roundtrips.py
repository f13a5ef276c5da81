"""What a crawl costs its PostgreSQL state store per article page, by count: the statements the
server runs (pg_stat_statements) and the round trips the crawl waits on (tests/roundtrips.py).
A change that adds a per-page query fails here.

Per article page of a 1-worker crawl of distinct stories: a lookup of its URL, of its payload and
the payload's filing, the filing (one exclusive transaction, pipelined: BEGIN and the writers' lock in one round
trip, then the record, its body's hash, its LSH bands, the article's insert, and its signature,
bands and COMMIT in one: 6 round trips for 10 statements), its export line staged, and a share
of its batch's marks (one round trip a batch). That is 10.4 round trips and 11.7 statements
(BEGIN and COMMIT aside); it was 13.7 round trips before the transactions were pipelined."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, read_jsonl
from roundtrips import reset, statements

from crawler.fixtures import FixtureServer
from crawler.testing.newssite import serve_news_site

HOST = "www.roundtrips-news.example"
ARTICLES = 120
# The bounds, per article page: a query added per page (1.0 more) fails them.
MAX_ROUND_TRIPS = 11.0
MAX_STATEMENTS = 12.2
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


def test_round_trips_and_statements_per_article_page(postgres_url: str, tmp_path: Path) -> None:
    with FixtureServer() as site:
        serve_news_site(site, HOST, ARTICLES, paragraphs=8)
        reset(postgres_url)
        trips = crawl(site, tmp_path / "out", postgres_url)
    assert len(read_jsonl(tmp_path / "out" / "articles" / "generic.jsonl")) == ARTICLES
    database = postgres_url.rsplit("/", 1)[1]
    per_page = trips[database] / ARTICLES
    ran = statements(postgres_url)
    statements_per_page = sum(ran.values()) / ARTICLES
    by_statement = sorted(((calls / ARTICLES, query) for query, calls in ran.items()), reverse=True)
    report = "\n".join(f"{n:6.2f}  {query[:150]}" for n, query in by_statement)
    print(f"\nround trips per article page: {per_page:.2f}\nstatements per article page: "
          f"{statements_per_page:.2f}\n{report}")
    assert 5 <= per_page <= MAX_ROUND_TRIPS, report
    assert 8 <= statements_per_page <= MAX_STATEMENTS, report
    assert ran["SELECT pg_advisory_xact_lock($1)"] >= ARTICLES  # every filing still under the writers' lock
