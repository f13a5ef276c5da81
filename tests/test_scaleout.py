"""Several crawl processes on one shared frontier (real Redis) and one PostgreSQL state store:
each page fetched by one of them, runs that end by themselves, listings fetched again on the
next run while archived articles are skipped, and nothing lost when a worker is killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import REPO, read_jsonl
from scrapy import Request, Spider
from scrapy.exceptions import DontCloseSpider
from scrapy.utils.test import get_crawler
from scrapy_redis.queue import PriorityQueue

from crawler.dedupe import Deduper
from crawler.fixtures import FixtureServer
from crawler.frontier import SharedFrontier
from crawler.state import open_store
from crawler.testing.newssite import serve_news_site

HOST = "www.scaleout-news.example"
ARTICLES = 60
pytestmark = pytest.mark.slow


@pytest.fixture
def site() -> FixtureServer:
    with FixtureServer() as srv:
        # Articles take a moment: the crawl lasts long enough for every worker to join.
        serve_news_site(srv, HOST, ARTICLES, article_delay=0.3)
        yield srv


def worker(site: FixtureServer, out: Path, redis_url: str, state_url: str, *extra: str,
           group: str = "crawl-1") -> subprocess.Popen:
    args = ["crawl", "generic", "-a", f"start_url=http://{HOST}/list/1.html", "-a", "allow=/content/",
            "-s", f"FIXTURE_SERVER={site.address}", "-s", f"FIXTURE_HOSTS={HOST}", "-s", f"OUTPUT_DIR={out}",
            "-s", f"REDIS_URL={redis_url}", "-s", f"STATE_URL={state_url}", "-s", "DOWNLOAD_DELAY=0.05",
            "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "FRONTIER_HEARTBEAT_TTL=6", "-s", f"RUN_GROUP={group}", *extra]
    out.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen([sys.executable, "-m", "scrapy", *args], cwd=REPO, stdout=subprocess.DEVNULL,
                            stderr=open(out / "log.txt", "w"), env={**os.environ, "PYTHONUNBUFFERED": "1"})


def exported(outs: list[Path]) -> list[dict]:
    return [r for out in outs for kind in ("articles", "duplicates") for r in read_jsonl(out / kind / "generic.jsonl")]


def articles_served(site: FixtureServer) -> Counter:
    return Counter(s.target for s in site.served(HOST) if s.target.startswith("/content/"))


def test_two_workers_share_the_frontier_and_the_store(site: FixtureServer, redis_url: str, postgres_url: str,
                                                      tmp_path: Path) -> None:
    outs = [tmp_path / "a", tmp_path / "b"]
    procs = [worker(site, out, redis_url, postgres_url) for out in outs]
    assert [p.wait(timeout=300) for p in procs] == [0, 0], [(o / "log.txt").read_text()[-2000:] for o in outs]
    served = articles_served(site)
    assert len(served) == ARTICLES and set(served.values()) == {1}  # every article fetched once in all
    records = exported(outs)
    assert sorted(r["url"] for r in records) == sorted(f"http://{HOST}/content/{n}.html" for n in range(ARTICLES))
    per_worker = [len(exported([o])) for o in outs]
    assert all(n > 0 for n in per_worker), per_worker  # both took their share
    for out in outs:  # each worker's own WARCs are valid
        warcs = sorted((out / "warc").glob("*.warc.gz"))
        assert warcs
        check = subprocess.run([str(Path(sys.executable).parent / "warcio"), "check", *map(str, warcs)],
                               capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
    store = open_store("unused", postgres_url)
    assert store.count("articles") == ARTICLES and store.unexported_runs() == []
    assert all(store.known_url(f"http://{HOST}/content/{n}.html") for n in range(ARTICLES))
    store.close()

    # The next scheduled run: listings fetched again (the dupefilter was the run's), no article.
    before = len(site.served(HOST))
    again = [worker(site, tmp_path / "next" / name, redis_url, postgres_url, group="crawl-2") for name in "ab"]
    assert [p.wait(timeout=300) for p in again] == [0, 0]
    # Both listing pages again (twice when one worker finished that short run before the other
    # joined it: the latecomer's is then a run of its own).
    listings = Counter(s.target for s in site.served(HOST)[before:] if s.target.startswith("/list/"))
    assert set(listings) == {"/list/1.html", "/list/2.html"}
    assert articles_served(site) == served  # no article fetched again
    assert exported([tmp_path / "next" / "a", tmp_path / "next" / "b"]) == []


def test_a_killed_worker_loses_nothing(site: FixtureServer, redis_url: str, postgres_url: str,
                                       tmp_path: Path) -> None:
    victim = worker(site, tmp_path / "victim", redis_url, postgres_url)
    survivor = worker(site, tmp_path / "survivor", redis_url, postgres_url)
    deadline = time.monotonic() + 120
    while len(articles_served(site)) < 10 and time.monotonic() < deadline:
        time.sleep(0.2)
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=30)
    assert survivor.wait(timeout=300) == 0, (tmp_path / "survivor" / "log.txt").read_text()[-3000:]
    log = (tmp_path / "survivor" / "log.txt").read_text()
    served = articles_served(site)
    assert set(served) == {f"/content/{n}.html" for n in range(ARTICLES)}  # nothing the victim took is lost
    assert "died; its" in log  # the survivor put the victim's requests back
    urls = {r["url"] for r in exported([tmp_path / "victim", tmp_path / "survivor"])}
    missing = {f"http://{HOST}/content/{n}.html" for n in range(ARTICLES)} - urls
    # Any article the victim filed without exporting is fetched again by the next run (its
    # filing is recovered as its run's): the two workers' exports may miss only those.
    store = open_store("unused", postgres_url)
    pending = {url for run in store.unexported_runs() for _, url, _ in store.unexported(run)}
    store.close()
    assert missing <= pending, (missing, pending)


def test_an_overlapping_run_elsewhere_is_skipped_and_a_live_run_never_recovered(
        site: FixtureServer, redis_url: str, postgres_url: str, tmp_path: Path) -> None:
    """A run on another machine (its lease live in the store, no lock file here) filed an
    article it has not exported yet, and is crawling the spider: a run started from another
    working directory on the same store skips the spider and leaves that filing alone."""
    store = open_store("unused", postgres_url)
    store.hold_lease("run:elsewhere-1", "elsewhere-1", ttl=120)
    store.hold_lease("spider:generic", "nightly-elsewhere", ttl=120)
    Deduper(store).add(record_id="theirs", url="http://x.cn/1", canonical_url="http://x.cn/1", site="x",
                       title=None, body="另一台机器上的运行刚刚归档的文章正文，尚未导出。" * 20, seen_at="t",
                       run="elsewhere-1")
    proc = worker(site, tmp_path / "here", redis_url, postgres_url, group="nightly-here")
    assert proc.wait(timeout=300) == 0
    log = (tmp_path / "here" / "log.txt").read_text()
    assert "skipping generic: another run holds its lease in the state store (run group nightly-elsewhere)" in log
    assert articles_served(site) == Counter()
    assert store.cluster_of("theirs") == "theirs"  # the live run's filing untouched
    # That run dies (its leases lapse): the next run recovers its unexported filing, and crawls.
    store.release_lease("run:elsewhere-1", "elsewhere-1")
    store.release_lease("spider:generic", "nightly-elsewhere")
    proc = worker(site, tmp_path / "later", redis_url, postgres_url, group="nightly-later")
    assert proc.wait(timeout=300) == 0
    assert store.cluster_of("theirs") is None
    assert len(articles_served(site)) == ARTICLES
    store.close()


def _frontier(redis_url: str, name: str) -> tuple[SharedFrontier, Spider]:
    """A frontier on its own keys with its queue, not opened (no heartbeat, no crawl)."""
    frontier = SharedFrontier.from_crawler(get_crawler(Spider, {"REDIS_URL": redis_url}))
    spider = Spider(name)
    frontier.prefix = f"zhnews:{name}"
    frontier.processing = frontier._key("processing", frontier.worker)
    frontier.queue = PriorityQueue(server=frontier.server, spider=spider, key=frontier._key("requests"),
                                   serializer=frontier.serializer)
    return frontier, spider


def test_a_worker_whose_heartbeat_expires_while_another_looks_is_recovered_or_waited_for(
        redis_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    frontier, spider = _frontier(redis_url, "race")
    taken = frontier.queue._encode_request(Request("http://www.example.cn/content/1.html"))
    server = frontier.server
    server.sadd(frontier._key("workers"), "dead", frontier.worker)
    server.hset(frontier._key("processing", "dead"), "x", taken)  # a request it had taken, in flight
    # Its heartbeat expires between two looks at who lives: each look must hold for the whole decision.
    looks = iter([["dead", frontier.worker], [frontier.worker]])
    monkeypatch.setattr(frontier, "live_workers", lambda: next(looks))
    monkeypatch.setattr(frontier, "crawler", SimpleNamespace(engine=None))  # no crawl running: no engine
    with pytest.raises(DontCloseSpider):  # alive: waited for
        frontier.spider_idle(spider)
    with pytest.raises(DontCloseSpider):  # dead: its request back in the queue, for this worker
        frontier.spider_idle(spider)
    assert len(frontier.queue) == 1 and not server.exists(frontier._key("processing", "dead"))


def test_a_worker_that_joins_after_another_looks_at_who_lives_is_not_taken_for_dead(redis_url: str) -> None:
    """A look at who lives is old by the time the recovery acts on it: a worker that joined
    meanwhile (heartbeat up, requests in hand) keeps them and its place, or its requests would
    be fetched twice and the run would end without waiting for it."""
    frontier, _ = _frontier(redis_url, "joined")
    server = frontier.server
    look = set(frontier.live_workers()) | {frontier.worker}  # before the newcomer joined
    server.set(frontier._key("alive", "newcomer"), "1", ex=30)
    server.sadd(frontier._key("workers"), "newcomer")
    server.hset(frontier._key("processing", "newcomer"), "x",
                frontier.queue._encode_request(Request("http://www.example.cn/content/2.html")))
    assert frontier.recover(look) == 0
    assert len(frontier.queue) == 0 and server.hlen(frontier._key("processing", "newcomer")) == 1
    assert server.sismember(frontier._key("workers"), "newcomer")
    assert frontier.live_workers() == ["newcomer"]


def test_a_worker_joins_the_workers_only_once_its_heartbeat_is_up(
        redis_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Between joining the set and its first heartbeat, another worker's look would find it dead."""
    crawler = get_crawler(Spider, {"REDIS_URL": redis_url, "FRONTIER_KEY": "zhnews:join-%(spider)s"})
    frontier = SharedFrontier.from_crawler(crawler)
    alive_at_join = []
    sadd = frontier.server.sadd

    def spy(key: str, *members: str) -> int:
        if key.endswith(":workers"):
            alive_at_join.append(bool(frontier.server.exists(frontier._key("alive", frontier.worker))))
        return sadd(key, *members)

    monkeypatch.setattr(frontier.server, "sadd", spy)
    frontier.open(Spider("heartbeat"))
    try:
        assert alive_at_join == [True]
        assert frontier.live_workers() == [frontier.worker]
    finally:
        frontier.close("finished")
