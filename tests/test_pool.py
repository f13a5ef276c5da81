"""The worker processes for heavy page work (crawler.extract.pool): results, a task over its
budget killed with its worker, a dead worker replaced, nothing left running after close."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from functools import partial
from pathlib import Path

import pytest
from conftest import REPO, read_jsonl, run_scrapy
from hostile_server import STORIES, article, nested
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler, get_reactor_settings

from crawler import settings as project
from crawler.extract import extract
from crawler.extract.pool import ProcessPool, TaskFailed, TaskTimeout, WorkerCrashed
from crawler.spiders import base
from crawler.spiders.generic import GenericSpider


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def parent(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def loaded(module: str) -> str:
    """Work that tells whether a worker has imported `module` (it imports nothing itself)."""
    return f"{module!r} in __import__('sys').modules"


@pytest.fixture
def pool() -> ProcessPool:
    with ProcessPool(1) as pool:
        yield pool
    assert not [pid for pid in pool.started if alive(pid)], "a worker outlived the pool"


def test_work_runs_in_a_worker_process_started_once_and_reused(pool: ProcessPool) -> None:
    assert pool.started == []  # started on first use
    pids = {pool.run(os.getpid, timeout=60) for _ in range(3)}
    assert pids == set(pool.started) and len(pids) == 1 and os.getpid() not in pids


def test_extraction_in_a_worker_equals_extraction_here(pool: ProcessPool) -> None:
    page = article(*STORIES[0]).encode("utf-8")
    work = partial(extract, page, "http://hostile.example/news/a.html", content_type=b"text/html; charset=utf-8")
    there = pool.run(work, timeout=60)
    assert there.fields == work().fields and there.has_body


def test_a_task_over_its_budget_has_its_worker_killed_and_replaced(pool: ProcessPool) -> None:
    first = pool.run(os.getpid, timeout=60)
    started = time.monotonic()
    with pytest.raises(TaskTimeout, match=f"worker process {first} killed"):
        pool.run(time.sleep, 30, timeout=0.5)
    assert time.monotonic() - started < 10
    assert not alive(first)
    second = pool.run(os.getpid, timeout=60)
    assert second != first and pool.started == [first, second]


def test_a_worker_killed_from_outside_fails_its_task_with_the_reason_and_is_replaced(pool: ProcessPool) -> None:
    pid = pool.run(os.getpid, timeout=60)
    threading.Timer(0.5, os.kill, (pid, signal.SIGKILL)).start()  # as the OOM killer would
    with pytest.raises(WorkerCrashed, match="killed by SIGKILL"):
        pool.run(time.sleep, 30, timeout=20)
    with pytest.raises(WorkerCrashed, match="killed by SIGABRT"):
        pool.run(os.abort, timeout=20)
    assert pool.run(pow, 2, 10, timeout=60) == 1024
    assert len(pool.started) == 3


def test_an_error_in_the_work_is_its_traceback_and_the_worker_stays(pool: ProcessPool) -> None:
    pid = pool.run(os.getpid, timeout=60)
    with pytest.raises(TaskFailed, match="ValueError: invalid literal"):
        pool.run(int, "x", timeout=60)
    with pytest.raises(TaskFailed, match="does not pickle"):  # never sent
        pool.run(lambda: 1, timeout=60)
    assert pool.run(os.getpid, timeout=60) == pid


def test_workers_are_forked_from_a_fresh_interpreter_that_imported_the_preload_once() -> None:
    with ProcessPool(1, preload=("crawler.spiders.pagework", "crawler.reading")) as pool:
        first = pool.run(os.getpid, timeout=60)
        server = pool.server_pid
        assert parent(first) == server and parent(server) == os.getpid()
        # Forked with the modules imported: a worker does not spend a second importing them.
        assert cpu_seconds(first) < 0.5
        # Not this process's: its __main__ (pytest's, a file) and its threads are not there.
        assert pool.run(eval, "getattr(__import__('__main__'), '__file__', None)", timeout=60) is None
        assert pool.run(threading.active_count, timeout=60) == 2  # its loop and its watch on the crawl
        assert pool.run(eval, loaded("crawler.reading"), timeout=60)
        with pytest.raises(TaskTimeout):
            pool.run(time.sleep, 30, timeout=0.5)
        second = pool.run(os.getpid, timeout=60)
        assert parent(second) == server and pool.started == [first, second] and cpu_seconds(second) < 0.5
    assert not alive(server) and not alive(second)


def test_pools_with_different_preloads_side_by_side() -> None:
    with ProcessPool(1, preload=("crawler.reading",)) as reading, ProcessPool(1) as bare:
        assert reading.run(eval, loaded("crawler.reading"), timeout=60)
        assert not bare.run(eval, loaded("crawler.reading"), timeout=60)
        assert reading.server_pid != bare.server_pid
        # What a task needs that was not preloaded is imported when it is unpickled.
        page = article(*STORIES[0]).encode("utf-8")
        assert bare.run(partial(extract, page, "http://hostile.example/news/a.html"), timeout=60).has_body


def test_a_dead_fork_server_is_started_again_and_its_workers_carry_on(pool: ProcessPool) -> None:
    first = pool.run(os.getpid, timeout=60)
    server = pool.server_pid
    os.kill(server, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while alive(server) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert pool.run(os.getpid, timeout=60) == first  # a worker does not need its fork server
    with pytest.raises(TaskTimeout):
        pool.run(time.sleep, 30, timeout=0.5)
    second = pool.run(os.getpid, timeout=60)
    assert pool.server_pid not in (None, server) and parent(second) == pool.server_pid
    assert not alive(first) and pool.started == [first, second]


def test_two_workers_take_tasks_side_by_side() -> None:
    with ProcessPool(2) as pool:
        threads = [threading.Thread(target=pool.run, args=(time.sleep, 1.5), kwargs={"timeout": 60})
                   for _ in range(2)]
        pool.run(os.getpid, timeout=60)  # both started and ready
        pool.run(os.getpid, timeout=60)
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert time.monotonic() - started < 2.9
    assert len(pool.started) == 2 and not [pid for pid in pool.started if alive(pid)]


def started_ahead(pool: ProcessPool, within: float = 60.0) -> None:
    """Wait for a pool started ahead of use to have its workers up."""
    deadline = time.monotonic() + within
    while pool.starting and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not pool.starting, "the workers did not start"


def test_a_pool_started_ahead_has_its_workers_up_before_its_first_task(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    gate = tmp_path / "gate"
    monkeypatch.setenv("POOL_GATE", str(gate))
    with ProcessPool(2, preload=("pool_gate",)) as pool:
        assert not pool.starting
        pool.start()  # returns while the fork server is held in its imports
        assert pool.starting and pool.started == []
        gate.touch()
        started_ahead(pool)
        assert len(pool.started) == 2
        assert {pool.run(os.getpid, timeout=60), pool.run(os.getpid, timeout=60)} <= set(pool.started)
        assert len(pool.started) == 2  # no task started one of its own
    assert not [pid for pid in pool.started if alive(pid)]


def test_a_spider_reads_light_pages_itself_while_its_workers_start_and_heavy_ones_wait(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    gate = tmp_path / "gate"
    monkeypatch.setenv("POOL_GATE", str(gate))
    monkeypatch.setattr(base, "_PRELOAD", ("pool_gate",))
    settings = {name: getattr(project, name) for name in dir(project) if name.isupper() and name != "TWISTED_REACTOR"}
    settings.update(get_reactor_settings(), OUTPUT_DIR=str(tmp_path), PARSE_PAGES="all", PARSE_PROCESSES=1,
                    PARSE_HEAVY_BYTES=1000)
    spider = GenericSpider.from_crawler(get_crawler(GenericSpider, settings), start_url="http://news.example.cn/")
    light = HtmlResponse("http://news.example.cn/a/1.html", body=b"<p>light</p>")
    heavy = HtmlResponse("http://news.example.cn/a/2.html", body=b"<p>heavy</p>" * 200)

    async def read() -> tuple[int | None, int | None]:
        spider.start_page_pool()
        here = await spider.off_reactor(light, os.getpid)
        waiting = asyncio.ensure_future(spider.off_reactor(heavy, os.getpid))
        await asyncio.sleep(0.5)
        assert not waiting.done() and spider.page_pool.starting  # the heavy page waits for a worker
        gate.touch()
        return here, await waiting

    try:
        here, there = asyncio.run(read())
        pool = spider.page_pool
        assert here == os.getpid() and there in pool.started
        assert not pool.starting
        # Once they are up, light pages go to the workers too.
        assert asyncio.run(spider.off_reactor(light, os.getpid)) in pool.started
    finally:
        spider.stop_page_pool()


@pytest.mark.parametrize("interval", [0.0005, 0.0])
def test_the_gil_passes_sooner_while_page_workers_run(tmp_path: Path, interval: float) -> None:
    """PARSE_SWITCH_INTERVAL holds from the first pool's start to the last pool's stop, and
    the interpreter's own comes back then (0: the interpreter's is kept)."""
    own = sys.getswitchinterval()
    settings = {name: getattr(project, name) for name in dir(project) if name.isupper() and name != "TWISTED_REACTOR"}
    settings.update(get_reactor_settings(), OUTPUT_DIR=str(tmp_path), PARSE_PROCESSES=1,
                    PARSE_SWITCH_INTERVAL=interval)
    crawler = get_crawler(GenericSpider, settings)
    spiders = [GenericSpider.from_crawler(crawler, start_url="http://news.example.cn/") for _ in range(2)]
    try:
        assert spiders[0].page_pool is spiders[1].page_pool  # one pool, both spiders using it
        assert sys.getswitchinterval() == pytest.approx(interval or own)
        spiders[0].stop_page_pool()
        assert sys.getswitchinterval() == pytest.approx(interval or own)  # the other one still runs
    finally:
        for spider in spiders:
            spider.stop_page_pool()
    assert sys.getswitchinterval() == pytest.approx(own)


@pytest.mark.parametrize("depth", [300, 1000, 3000])
def test_an_article_nested_deeper_than_libxml2s_limit_is_found(depth: int) -> None:
    title, paragraphs = STORIES[1]
    flat = extract(article(title, paragraphs).encode("utf-8"), "http://hostile.example/news/flat.html")
    deep = extract(nested(title, paragraphs, depth).encode("utf-8"), "http://hostile.example/news/deep.html")
    assert flat.has_body and deep.fields["body"] == flat.fields["body"] and deep.fields["title"] == title


@pytest.mark.parametrize("page", [b"", b" \r\n\t\n ", b"\xef\xbb\xbf  "])
def test_an_empty_page_is_read_as_empty_without_log_lines(page: bytes, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("DEBUG"):
        extraction = extract(page, "http://hostile.example/news/empty.html", content_type=b"text/html")
    assert extraction.method == "empty" and not extraction.has_body
    assert not [r for r in caplog.records if r.levelname in ("WARNING", "ERROR")]


def test_every_page_read_in_worker_processes_exports_what_reading_on_the_spot_does(server, tmp_path: Path) -> None:
    def crawl(out: Path, *extra: str) -> tuple[list[tuple], str]:
        result = run_scrapy("crawl", "chuzhou", "-s", f"FIXTURE_SERVER={server.address}", "-s", f"OUTPUT_DIR={out}",
                            "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0", *extra)
        assert result.returncode == 0, result.stderr[-3000:]
        items = read_jsonl(out / "articles" / "chuzhou.jsonl") + read_jsonl(out / "duplicates" / "chuzhou.jsonl")
        # Normalized, fingerprinted and judged where the page was read: the same records.
        return sorted(json.dumps({k: v for k, v in r.items() if k not in ("id", "fetched_at", "warc", "dedupe")}
                                 | {"similarity": r["dedupe"]["similarity"], "copy": bool(r["dedupe"]["duplicate_of"])},
                                 sort_keys=True, ensure_ascii=False) for r in items), result.stderr

    spot, spot_log = crawl(tmp_path / "spot")
    # Every page heavy: none read on the spot while the workers start.
    pooled, pooled_log = crawl(tmp_path / "pooled", "-s", "PARSE_PAGES=all", "-s", "PARSE_PROCESSES=2",
                               "-s", "PARSE_HEAVY_BYTES=0")
    assert spot and pooled == spot
    assert "page worker process" not in spot_log  # small pages only: no worker started
    workers = [int(pid) for pid in re.findall(r"page worker process (\d+) started", pooled_log)]
    assert len(workers) == 2 and not [pid for pid in workers if alive(pid)]


def test_an_unknown_parse_pages_value_is_refused(server, tmp_path: Path) -> None:
    result = run_scrapy("crawl", "chuzhou", "-s", f"FIXTURE_SERVER={server.address}", "-s", f"OUTPUT_DIR={tmp_path}",
                        "-s", "PARSE_PAGES=some")
    assert result.returncode != 0 and "PARSE_PAGES='some': one of heavy, all" in result.stderr


HOLDER = """
import sys, threading, time
from crawler.extract.pool import ProcessPool
pool = ProcessPool(1)
threading.Thread(target=pool.run, args=(time.sleep, 600), kwargs={"timeout": 900}, daemon=True).start()
while not pool.started:
    time.sleep(0.05)
print(pool.started[0], pool.server_pid, flush=True)
time.sleep(600)
"""


def test_a_worker_busy_with_a_page_leaves_when_its_crawl_is_killed() -> None:
    holder = subprocess.Popen([sys.executable, "-c", HOLDER], cwd=REPO, stdout=subprocess.PIPE, text=True)
    worker, server = map(int, holder.stdout.readline().split())
    time.sleep(1.0)  # busy
    assert alive(worker) and alive(server)
    holder.kill()
    holder.wait()
    deadline = time.monotonic() + 5
    while (alive(worker) or alive(server)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(worker), "a worker outlived its crawl"
    assert not alive(server), "the fork server outlived its crawl"
