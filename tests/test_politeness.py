"""Politeness across workers: two crawl processes on one shared Redis give one host no more than
one request at a time and DOWNLOAD_DELAY (or the robots.txt Crawl-delay) between them, as the
host's own server sees it; a killed worker's turn frees within POLITENESS_LEASE while a live
worker's long download keeps its own; the arithmetic of the host's turns on its own."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import REPO, read_jsonl
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from crawler.downloader.polite import SharedPolitenessMiddleware
from crawler.politeness import HostTurns, end_turn, host_delay, renew_turns, take_turn
from crawler.testing.newssite import news_site

HOST = "www.polite-news.example"


class ArrivalServer:
    """Serves {target: body} for any host and logs (arrival time, target) as each request arrives,
    before it is answered. With `hold` set, the first article page asked for is answered that many
    seconds late (or never, should the server close first); `held` says when it arrived, from which
    User-Agent, and when it was answered."""

    def __init__(self, routes: dict[str, str]) -> None:
        self.routes = routes
        self.arrivals: list[tuple[float, str]] = []
        self.hold = 0.0
        self.held: dict[str, object] = {}
        self.closing = threading.Event()
        lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                with lock:
                    server.arrivals.append((time.time(), self.path))
                    slow = server.hold and not server.held and self.path.startswith("/content/")
                    if slow:
                        server.held.update(path=self.path, arrived=time.time(), agent=self.headers["User-Agent"])
                if slow:
                    server.closing.wait(server.hold)
                    server.held["answered"] = time.time()
                body = server.routes.get(self.path)
                data = (body or "not found").encode("utf-8")
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Type", "text/plain" if self.path == "/robots.txt" else
                                 "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.address = "{}:{}".format(*self.httpd.server_address[:2])
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.closing.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def polite_site() -> Iterator[ArrivalServer]:
    srv = ArrivalServer(news_site(HOST, 8, paragraphs=4))
    yield srv
    srv.close()


def start_workers(site: ArrivalServer, tmp_path: Path, redis_url: str,
                  *extra: str) -> tuple[list[Path], list[subprocess.Popen[bytes]]]:
    """Two workers of one crawl, each with its own output and User-Agent (`zh-news-test-a`, `-b`),
    on the shared frontier: their outputs and processes."""
    outs = [tmp_path / "a", tmp_path / "b"]
    procs = []
    for out in outs:
        out.mkdir(parents=True)
        args = ["crawl", "generic", "-a", f"start_url=http://{HOST}/list/1.html", "-a", "allow=/content/",
                "-a", "deny=/channel/", "-s", f"FIXTURE_SERVER={site.address}", "-s", f"FIXTURE_HOSTS={HOST}", "-s", f"OUTPUT_DIR={out}",
                "-s", f"REDIS_URL={redis_url}", "-s", "FRONTIER_HEARTBEAT_TTL=6", "-s", "RUN_GROUP=polite",
                "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1",
                # One request in hand per worker: neither takes the whole queue while it waits.
                "-s", "CONCURRENT_REQUESTS=1", "-s", "WARC_ENABLED=0", "-s", "PROGRESS_INTERVAL=0",
                "-s", f"USER_AGENT=zh-news-test-{out.name}", *extra]
        procs.append(subprocess.Popen([sys.executable, "-m", "scrapy", *args], cwd=REPO, stdout=subprocess.DEVNULL,
                                      stderr=open(out / "log.txt", "w"), env={**os.environ, "PYTHONUNBUFFERED": "1"}))
    return outs, procs


def crawl_workers(site: ArrivalServer, tmp_path: Path, redis_url: str, *extra: str) -> list[Path]:
    """Two workers of one crawl run to their end; their outputs."""
    outs, procs = start_workers(site, tmp_path, redis_url, *extra)
    codes = [p.wait(timeout=300) for p in procs]
    assert codes == [0, 0], [(o / "log.txt").read_text()[-3000:] for o in outs]
    return outs


def gaps(arrivals: list[tuple[float, str]]) -> list[tuple[float, str]]:
    """(seconds since the previous request, target) of every request after the first."""
    arrivals = sorted(arrivals)
    return [(b[0] - a[0], b[1]) for a, b in zip(arrivals, arrivals[1:], strict=False)]


@pytest.mark.slow
def test_two_workers_keep_the_delay_between_requests_to_one_host(polite_site: ArrivalServer, redis_url: str,
                                                                 tmp_path: Path) -> None:
    outs = crawl_workers(polite_site, tmp_path, redis_url, "-s", "DOWNLOAD_DELAY=1")
    articles = [len(read_jsonl(o / "articles" / "generic.jsonl")) for o in outs]
    assert sum(articles) == 8 and all(articles), articles  # both workers crawled the host
    pages = [t for _, t in polite_site.arrivals]
    assert {f"/content/{n}.html" for n in range(8)} <= set(pages) and len(pages) > 9, pages
    closest = min(gaps(polite_site.arrivals))
    assert closest[0] >= 1.0, gaps(polite_site.arrivals)


@pytest.mark.slow
def test_robots_crawl_delay_holds_across_workers(polite_site: ArrivalServer, redis_url: str, tmp_path: Path) -> None:
    polite_site.routes["/robots.txt"] = "User-agent: *\nCrawl-delay: 1.5\nAllow: /\n"
    outs = crawl_workers(polite_site, tmp_path, redis_url, "-s", "DOWNLOAD_DELAY=0.1")
    assert sum(len(read_jsonl(o / "articles" / "generic.jsonl")) for o in outs) == 8
    # A worker's own robots.txt is asked for before it knows the Crawl-delay; every page after.
    pages = [(gap, target) for gap, target in gaps(polite_site.arrivals) if target != "/robots.txt"]
    assert len(pages) >= 9, pages
    assert min(pages)[0] >= 1.5, pages


def wait_for(condition: Callable[[], object], timeout: float) -> None:
    deadline = time.time() + timeout
    while not condition():
        assert time.time() < deadline, "timed out"
        time.sleep(0.05)


# A short lease and a long timeout: under the old rule (a turn lasted DOWNLOAD_TIMEOUT + 30 s) a
# killed worker's turn would keep the host from every other worker for 150 s.
LEASE = 2.0
# AutoThrottle off: the gap the gate keeps is DOWNLOAD_DELAY's alone.
LEASED = ("-s", f"POLITENESS_LEASE={LEASE:g}", "-s", "DOWNLOAD_TIMEOUT=120", "-s", "DOWNLOAD_DELAY=0.2",
          "-s", "AUTOTHROTTLE_ENABLED=0")


@pytest.mark.slow
def test_a_killed_workers_turn_frees_within_the_lease(polite_site: ArrivalServer, redis_url: str,
                                                       tmp_path: Path) -> None:
    polite_site.hold = 600.0  # the killed worker's request is never answered
    outs, procs = start_workers(polite_site, tmp_path, redis_url, *LEASED)
    try:
        wait_for(lambda: polite_site.held, 120)
        held = polite_site.held
        dead = ["zh-news-test-a", "zh-news-test-b"].index(str(held["agent"]))
        time.sleep(LEASE)  # renewed meanwhile: the host waits for the live download
        procs[dead].send_signal(signal.SIGKILL)
        killed = time.time()
        assert not [a for a in polite_site.arrivals if a[0] > float(held["arrived"])], polite_site.arrivals
        wait_for(lambda: [a for a in polite_site.arrivals if a[0] > killed], 30)
        after = min(a for a in polite_site.arrivals if a[0] > killed)
        # Free within a lease of the last renewal (plus the other worker's poll and the request's trip).
        assert after[0] - killed < LEASE + 1.5, (after[0] - killed, after)
        live = procs[1 - dead]
        assert live.wait(timeout=120) == 0, (outs[1 - dead] / "log.txt").read_text()[-3000:]
        # The dead worker's request went back to the frontier and was fetched again, answered at once.
        assert [t for _, t in polite_site.arrivals].count(str(held["path"])) == 2, polite_site.arrivals
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


@pytest.mark.slow
def test_a_live_workers_long_download_keeps_its_turn(polite_site: ArrivalServer, redis_url: str,
                                                      tmp_path: Path) -> None:
    polite_site.hold = 3 * LEASE
    outs = crawl_workers(polite_site, tmp_path, redis_url, *LEASED)
    assert sum(len(read_jsonl(o / "articles" / "generic.jsonl")) for o in outs) == 8
    held = polite_site.held
    arrived, answered = float(held["arrived"]), float(held["answered"])
    assert answered - arrived >= 3 * LEASE
    during = [a for a in polite_site.arrivals if arrived < a[0] < answered]
    assert not during, (during, held)
    # The other worker was asking all along: the host's next request came as soon as the turn ended.
    after = min(a for a in polite_site.arrivals if a[0] > answered)
    assert after[0] - answered < 1.0, (after, held)


def test_a_live_workers_turns_are_renewed_and_an_expired_one_stays_expired() -> None:
    state, _ = take_turn(HostTurns(), 0.0, "w-1", delay=0.0, concurrency=3, lease=10)
    state, _ = take_turn(state, 1.0, "w-2", delay=0.0, concurrency=3, lease=10)
    state, _ = take_turn(state, 2.0, "other-1", delay=0.0, concurrency=3, lease=10)
    state = renew_turns(state, 8.0, ["w-1", "w-2", "w-gone"], lease=10)
    assert state.held == {"w-1": 18.0, "w-2": 18.0, "other-1": 12.0}  # the other worker's is its own
    assert not take_turn(state, 15.0, "x", delay=0.0, concurrency=2, lease=10)[1].granted
    # A turn that starts later than a lease from now (a long Crawl-delay) is not cut short.
    later, turn = take_turn(HostTurns(last=100.0), 100.0, "w-3", delay=30.0, concurrency=1, lease=10)
    assert turn.start == 130.0 and renew_turns(later, 101.0, ["w-3"], lease=10).held == {"w-3": 140.0}
    # Frozen past its lease: the turn expired and went to another; renewing it brings nothing back,
    # and ending it leaves the other's turn as it is.
    state, turn = take_turn(state, 20.0, "x", delay=0.0, concurrency=1, lease=10)
    assert turn.granted and list(state.held) == ["x"]
    state = renew_turns(state, 21.0, ["w-1", "w-2"], lease=10)
    assert state.held == {"x": 30.0}
    ended = end_turn(state, 22.0, "w-1")
    assert ended.held == {"x": 30.0} and ended.last == 20.0
    # Expired and not yet cleared by another's asking: still not renewed.
    assert renew_turns(HostTurns(held={"w-1": 5.0}), 6.0, ["w-1"], lease=10).held == {}


def test_a_turn_waits_for_the_delay_after_the_latest_start_and_end() -> None:
    state, turn = take_turn(HostTurns(), 100.0, "a", delay=1.0, concurrency=2, lease=60)
    assert turn.start == 100.0
    state, turn = take_turn(state, 100.1, "b", delay=1.0, concurrency=2, lease=60)
    assert turn.start == 101.0  # a second in flight, a second after the first started
    state, turn = take_turn(state, 100.2, "c", delay=1.0, concurrency=2, lease=60)
    assert not turn.granted and 0 < turn.retry_in <= 0.1  # both places held
    state = end_turn(state, 101.5, "b")  # answered late: the next turn counts from then
    state, turn = take_turn(state, 101.5, "c", delay=1.0, concurrency=2, lease=60)
    assert turn.start == 102.5
    # A Crawl-delay asked by the later request counts from the earlier one's turn.
    state, turn = take_turn(HostTurns(last=10.0), 10.2, "d", delay=host_delay(0.1, 3.0), concurrency=1, lease=60)
    assert turn.start == 13.0


def test_a_dead_workers_turn_frees_itself_and_state_round_trips() -> None:
    state, _ = take_turn(HostTurns(), 0.0, "dead", delay=1.0, concurrency=1, lease=30)
    state = HostTurns.loads(state.dumps())
    assert not take_turn(state, 29.0, "x", delay=1.0, concurrency=1, lease=30)[1].granted
    state, turn = take_turn(state, 30.5, "x", delay=1.0, concurrency=1, lease=30)
    assert turn.start == 30.5 and list(state.held) == ["x"]
    assert end_turn(state, 31.0, "unknown").last == 30.5  # a turn not held changes nothing
    assert HostTurns.loads(HostTurns().dumps()) == HostTurns() and HostTurns.loads(None) == HostTurns()


def test_host_delay_is_the_largest_asked() -> None:
    assert host_delay(1.0) == 1.0
    assert host_delay(1.0, crawl_delay=5.0) == 5.0
    assert host_delay(1.0, crawl_delay=None, throttle_delay=2.5) == 2.5
    assert host_delay(0.0, crawl_delay=0.0) == 0.0


def test_askers_are_served_first_come_first() -> None:
    state, _ = take_turn(HostTurns(), 0.0, "a1", delay=1.0, concurrency=1, lease=60)
    state, turn = take_turn(state, 0.05, "b1", delay=1.0, concurrency=1, lease=60)
    assert not turn.granted  # b1 waits, first in line
    state = end_turn(state, 0.5, "a1")
    state, turn = take_turn(state, 0.5, "a2", delay=1.0, concurrency=1, lease=60)
    assert not turn.granted  # a2 asked after b1: it does not jump the queue
    state, turn = take_turn(state, 0.55, "b1", delay=1.0, concurrency=1, lease=60)
    assert turn.start == 1.5 and list(state.waiting) == ["a2"]
    # A waiter that stopped asking (its worker died) leaves the line.
    state = end_turn(state, 1.6, "b1")
    state, turn = take_turn(state, 5.0, "c1", delay=1.0, concurrency=1, lease=60)
    assert turn.start == 5.0 and state.waiting == {}


def test_off_without_redis() -> None:
    crawler = get_crawler(settings_dict={"REDIS_URL": ""})
    with pytest.raises(NotConfigured):
        SharedPolitenessMiddleware.from_crawler(crawler)


def test_concurrent_changes_of_a_hosts_state_are_none_lost(redis_url: str) -> None:
    """Four threads, each with its own middleware (as four workers), change one host's state at
    once: every change lands (compare and set, read again when another came first)."""
    workers = [SharedPolitenessMiddleware.from_crawler(get_crawler(settings_dict={
        "REDIS_URL": redis_url, "POLITENESS_KEY": "test-cas:host"})) for _ in range(4)]
    workers[0].server.delete("test-cas:host:one.example")

    def count(state: HostTurns, now: float) -> tuple[HostTurns, None]:  # `last` counts the changes
        return HostTurns(max(state.last, 0.0) + 1, state.held, state.waiting), None

    def work(worker: SharedPolitenessMiddleware) -> None:
        for _ in range(150):
            worker._change("one.example", count)

    threads = [threading.Thread(target=work, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    state = HostTurns.loads(workers[0].server.get("test-cas:host:one.example"))
    assert state.last == 600
    assert 0 < workers[0].server.pttl("test-cas:host:one.example")  # it expires, as before
    retried = sum(w.stats.get_value("politeness/changed_meanwhile", 0) for w in workers)
    assert retried > 0  # the threads did collide: the retry path ran
