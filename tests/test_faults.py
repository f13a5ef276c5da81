"""Bad input from a hostile server (tests/hostile_server.py): nothing archived wrong, nothing
lost silently, every page given up on counted by reason in the stats and the run report."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import REPO, read_jsonl, run_scrapy, site_config
from hostile_server import (
    CUT,
    CUT_AT,
    DEEP,
    DEPTHS,
    GBK_FOOTER,
    INVALID,
    NORMAL,
    STALLED,
    TRUNCATED,
    HostileServer,
    article,
)
from test_archive import records, warcio_check
from test_crawlall import crawlall
from test_crawlall import exported as exported_all
from test_pool import alive

BUDGET = 1.0  # PARSE_TIME_BUDGET of the hostile crawls, seconds
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "DOWNLOAD_MAXSIZE=8000000",
        "-s", f"PARSE_TIME_BUDGET={BUDGET}"]
BASE = "http://hostile.example"


@dataclass
class Run:
    out: Path
    returncode: int
    stderr: str
    items: list[dict]  # what this run exported (articles and copies)
    stats: dict
    report: dict
    seen: list  # the server's log of requests during this run

    def arrivals(self, path: str) -> list[float]:
        return [r.at for r in self.seen if r.path == path]

    def item(self, path: str) -> dict | None:
        return next((r for r in self.items if r["url"] == BASE + path), None)


def crawl_hostile(server: HostileServer, out: Path, *extra: str, start: str = "/") -> Run:
    before = len(exported(out))
    already = len(server.seen())
    reports = set((out / "reports" / "generic").glob("*.json"))
    result = run_scrapy("crawl", "generic", "-a", f"start_url={BASE}{start}", "-a", "allow=/news/", "-a", "depth=1",
                        "-s", "FIXTURE_HOSTS=hostile.example", "-s", f"FIXTURE_SERVER={server.address}",
                        "-s", f"OUTPUT_DIR={out}", *FAST, *extra)
    stats_path = out / "stats" / "generic.json"
    new_reports = sorted(set((out / "reports" / "generic").glob("*.json")) - reports)
    return Run(out, result.returncode, result.stderr, exported(out)[before:],
               json.loads(stats_path.read_text("utf-8")) if stats_path.exists() else {},
               json.loads(new_reports[-1].read_text("utf-8")) if new_reports else {}, server.seen()[already:])


def exported(out: Path) -> list[dict]:
    return [r for kind in ("articles", "duplicates") for r in read_jsonl(out / kind / "generic.jsonl")]


def text_of(paragraphs: list[str]) -> list[str]:
    """The paragraphs as the body must hold them (bylines go to `authors`)."""
    lines = (re.sub(r"（[^（）]*）$", "", p).strip() for p in paragraphs)
    return [p for p in lines if p and not (len(p) < 40 and "记者" in p)]


@pytest.fixture(scope="module")
def hostile() -> HostileServer:
    with HostileServer() as server:
        yield server


@pytest.fixture(scope="module")
def first(hostile: HostileServer, tmp_path_factory: pytest.TempPathFactory) -> Run:
    return crawl_hostile(hostile, tmp_path_factory.mktemp("hostile"))


@pytest.fixture(scope="module")
def healed(first: Run, hostile: HostileServer) -> Run:
    hostile.heal()
    return crawl_hostile(hostile, first.out)


def test_normal_articles_are_exported_correctly(first: Run) -> None:
    assert first.returncode == 0, first.stderr[-3000:]
    for path, (title, paragraphs) in NORMAL.items():
        item = first.item(path)
        assert item is not None, path
        assert item["title"] == title
        assert item["body"].splitlines() == text_of(paragraphs)


def test_a_truncated_page_is_not_exported_but_counted_and_fetched_whole_once_healed(first: Run, healed: Run) -> None:
    for path in ("/news/truncated.html", "/news/chunked.html"):
        assert first.item(path) is None, f"{path} exported though cut short"
    assert first.stats["article/truncated"] == 2
    assert first.report["errors"]["truncated"] == 2 and first.report["articles"]["truncated"] == 2
    # Archived as it came, marked truncated.
    cut = [r for r in records(first.out) if r["uri"] == BASE + "/news/truncated.html" and r["type"] == "response"]
    assert cut and cut[0]["headers"].get("WARC-Truncated") == "disconnect"
    # The next run fetches it again and, the server healed, exports it whole; nothing else twice.
    assert healed.returncode == 0, healed.stderr[-3000:]
    assert sorted(r["url"] for r in healed.items) == [BASE + "/news/chunked.html", BASE + "/news/truncated.html"]
    whole = healed.item("/news/truncated.html")
    assert whole["title"] == TRUNCATED[0] and whole["body"].splitlines() == text_of(TRUNCATED[1])
    assert healed.stats.get("article/truncated", 0) == 0
    urls = [r["url"] for r in exported(first.out)]
    assert len(urls) == len(set(urls))


def test_pdf_and_jpeg_at_article_urls_are_archived_not_exported(first: Run) -> None:
    for path, kind in (("/news/report.html", "application/pdf"), ("/news/photo.html", "image/jpeg")):
        assert first.item(path) is None
        assert first.stats[f"article/not_article_type/{kind}"] == 1
        assert first.report["articles"]["not_article_type"][kind] == 1
        archived = [r for r in records(first.out) if r["uri"] == BASE + path and r["type"] == "response"]
        assert archived and archived[0]["content"].startswith(b"%PDF" if "pdf" in kind else b"\xff\xd8")


def test_utf8_pages_with_stray_bytes_export_their_text(first: Run) -> None:
    cut = first.item("/news/utf8-cut.html")
    assert cut["title"] == CUT[0]
    second = "".join("\ufffd" if i in CUT_AT else c for i, c in enumerate(text_of(CUT[1])[1]))
    assert cut["body"].splitlines() == [text_of(CUT[1])[0], second, *text_of(CUT[1])[2:]]
    footer = first.item("/news/utf8-gbk-footer.html")
    assert footer["title"] == GBK_FOOTER[0] and footer["body"].splitlines() == text_of(GBK_FOOTER[1])
    invalid = first.item("/news/utf8-invalid.html")
    assert invalid["title"] == INVALID[0]
    assert invalid["body"].replace("\ufffd", "").splitlines() == text_of(INVALID[1])
    assert invalid["body"].count("\ufffd") == 4
    # What was replaced is counted, and what was read as GBK.
    assert first.stats["article/undecodable_chars"] == 3 + 4
    assert first.stats["article/mixed_encoding_bytes"] > 0



def test_retry_after_is_honoured_up_to_its_bound(first: Run) -> None:
    for path, wait in (("/news/busy-503.html", 2), ("/news/busy-429.html", 1)):
        arrivals = first.arrivals(path)
        assert len(arrivals) == 2, path
        assert arrivals[1] - arrivals[0] >= wait - 0.05, (path, arrivals)
        assert first.item(path) is not None
    assert first.stats["retry/retry_after"] == 2
    # A day is more than RETRY_AFTER_MAX: given up on at once, counted, not retried too early.
    assert len(first.arrivals("/news/busy-long.html")) == 1
    assert first.stats["retry/retry_after_too_long"] == 1
    assert first.report["errors"]["http_503"] == 1



def test_every_page_lost_is_in_the_run_report_by_reason(first: Run) -> None:
    # Each page of the hostile index that was not exported, and why.
    assert first.report["errors"] == {
        "truncated": 2,  # connection reset mid-body; chunked stream broken off
        "http_503": 1,  # Retry-After of a day
        "redirect_loop": 1,  # loop-a -> loop-b -> loop-a
        "redirect_limit": 1,  # a chain longer than REDIRECT_MAX_TIMES
        "too_large": 1,  # the gzip bomb, cut at DOWNLOAD_MAXSIZE
        "corrupt_encoding": 1,  # a gzip body that does not decompress
        "parse_timeout": 1,  # the listing of 100,000 links, over PARSE_TIME_BUDGET
    }
    assert first.report["articles"]["not_article_type"] == {"application/pdf": 1, "image/jpeg": 1}
    lost = sum(first.report["errors"].values()) - 1 + sum(first.report["articles"]["not_article_type"].values())
    index = [ln for ln in first.seen if ln.path == "/"]
    assert index and len(first.items) + lost == 17  # every article link of the index accounted for
    assert re.search(r"giving up on http://hostile.example/news/loop-[ab].html: redirect_loop", first.stderr)



def test_a_page_of_100000_links_delays_other_requests_no_more_than_its_time_budget(first: Run) -> None:
    # Parsed in a worker thread and given up on after its budget: the crawl keeps moving. (On
    # the event loop it held every request for as long as its parse took, 3.5 s here.)
    links = first.arrivals("/links.html")
    assert len(links) == 1 and first.stats["errors/parse_timeout"] == 1
    # While the crawl has pages to fetch (the /slow/ ones); its tail waits on Retry-After.
    busy_until = max(r.at for r in first.seen if r.path.startswith("/slow/"))
    assert busy_until > links[0] + BUDGET, "the crawl had nothing to do while the page was read"
    arrivals = [r.at for r in first.seen if links[0] <= r.at <= busy_until]
    gaps = [b - a for a, b in zip(arrivals, arrivals[1:], strict=False)]
    assert gaps and max(gaps) < BUDGET + 1.0, max(gaps)


def test_page_worker_processes_are_replaced_when_killed_and_gone_after_the_crawl(first: Run) -> None:
    started = [int(pid) for pid in re.findall(r"page worker process (\d+) started", first.stderr)]
    # One for the crawl, one in place of the worker killed over the links page's budget.
    assert len(started) == 2, first.stderr[-3000:]
    assert re.search(rf"parse_timeout .*worker process {started[0]} killed", first.stderr)
    assert f"page worker processes stopped: {started[1]}" in first.stderr
    assert not [pid for pid in started if alive(pid)], "a worker process outlived the crawl"


# Failures mid-body, empty, huge and deeply nested pages: a server of their own (it heals).
CUT_SHORT = ["-s", "DOWNLOAD_FAIL_ON_DATALOSS=True", "-s", "DOWNLOAD_TIMEOUT=1.5", "-s", "RETRY_ENABLED=False",
             "-s", "MAX_ARTICLE_BYTES=100000"]


@pytest.fixture(scope="module")
def faults_server() -> HostileServer:
    with HostileServer(links=10) as server:
        yield server


@pytest.fixture(scope="module")
def cut(faults_server: HostileServer, tmp_path_factory: pytest.TempPathFactory) -> Run:
    return crawl_hostile(faults_server, tmp_path_factory.mktemp("cut"), *CUT_SHORT, start="/faults.html")


@pytest.fixture(scope="module")
def cut_healed(cut: Run, faults_server: HostileServer) -> Run:
    faults_server.heal()
    return crawl_hostile(faults_server, cut.out, *CUT_SHORT, start="/faults.html")


def test_a_download_failed_mid_body_is_archived_truncated_counted_and_fetched_again(cut: Run, cut_healed: Run) -> None:
    assert cut.returncode == 0, cut.stderr[-3000:]
    # A reset mid-body (with DOWNLOAD_FAIL_ON_DATALOSS) and a timeout after the head: the
    # download fails, counted by kind, and what arrived is archived, marked truncated.
    assert cut.stats["errors/data_loss"] == 1 and cut.stats["errors/timeout"] == 1
    assert cut.report["errors"]["data_loss"] == 1 and cut.report["errors"]["timeout"] == 1
    half = len(article(*STALLED).encode("utf-8")) // 2
    for path, reason, size in (("/news/truncated.html", "disconnect", 1800), ("/news/stalled.html", "time", half)):
        assert cut.item(path) is None
        responses = [r for r in records(cut.out) if r["uri"] == BASE + path and r["type"] == "response"]
        # This run's, cut short, and the healed run's, whole.
        assert [r["headers"].get("WARC-Truncated") for r in responses] == [reason, None], path
        assert len(responses[0]["content"]) == size and responses[0]["headers"].get("WARC-Payload-Digest")
    assert cut.stats["warc/truncated"] == 2
    warcs = sorted(str(p) for p in (cut.out / "warc").glob("*.warc.gz"))
    check = subprocess.run([sys.executable, "-m", "crawler.archive.check", *warcs], cwd=REPO,
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout
    # Not known as archived: fetched again by the next run and, the server healed, exported whole.
    assert cut_healed.returncode == 0, cut_healed.stderr[-3000:]
    for path, story in (("/news/truncated.html", TRUNCATED), ("/news/stalled.html", STALLED)):
        assert len(cut_healed.arrivals(path)) == 1, path
        whole = cut_healed.item(path)
        assert whole is not None, (path, [r["url"] for r in cut_healed.items])
        assert whole["body"].splitlines() == text_of(story[1])
    assert not cut_healed.stats.get("warc/truncated")


def test_an_empty_page_is_counted_and_logged_once_without_an_error_line(cut: Run) -> None:
    assert cut.stats["article/empty_page"] == 2
    assert cut.stats["article/no_body"] == 2
    for path in ("/news/empty.html", "/news/blank.html"):
        assert cut.item(path) is None
        said = [ln for ln in cut.stderr.splitlines() if BASE + path in ln and "WARNING" in ln]
        assert len(said) == 1 and "empty page" in said[0], said
    assert not [ln for ln in cut.stderr.splitlines() if " ERROR: " in ln or "Traceback" in ln]


def test_articles_nested_hundreds_and_thousands_deep_are_extracted(cut: Run) -> None:
    for depth in DEPTHS:
        item = cut.item(f"/news/deep-{depth}.html")
        assert item is not None, depth
        title, paragraphs = DEEP[depth]
        assert item["title"] == title and item["body"].splitlines() == text_of(paragraphs), depth


def test_an_article_page_over_max_article_bytes_is_archived_not_parsed(cut: Run) -> None:
    assert cut.item("/news/huge.html") is None
    assert cut.stats["errors/too_large_to_parse"] == 1 and cut.report["errors"]["too_large_to_parse"] == 1
    assert re.search(r"giving up on http://hostile.example/news/huge.html: too_large_to_parse \(\d+ bytes", cut.stderr)
    archived = [r for r in records(cut.out) if r["uri"] == BASE + "/news/huge.html" and r["type"] == "response"]
    assert archived and len(archived[0]["content"]) > 100000 and "WARC-Truncated" not in archived[0]["headers"]


@contextmanager
def small_disk(where: Path, size: int = 16 << 20):
    """A real file system of its own (tmpfs, mounted as root), removed afterwards."""
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("a full disk is simulated with a tmpfs mount, which needs root")
    where.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], check=True)
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def fill(disk: Path, leave: int) -> Path:
    """Fill the disk but for `leave` bytes; the filler file (delete it to free the space)."""
    stat = os.statvfs(disk)
    filler = disk / "filler"
    filler.write_bytes(b"\0" * (stat.f_bavail * stat.f_frsize - leave))
    return filler


def test_a_full_disk_fails_the_crawl_and_the_same_command_completes_once_space_is_freed(server, tmp_path: Path) -> None:
    sites = ["huainan", "chuzhou", "ahcaijing"]
    expected = {u for host in ("www.huainannet.com", "hhzb.huainannet.com", "szbk.chuzhou.cn", "www.ahcaijing.com")
                for u in site_config(host)["articles"]} - {"http://www.huainannet.com/zt_content.asp?id=106100",
                                                            "http://www.ahcaijing.com/html/2020/24h_0301/235990.html"}
    with small_disk(tmp_path / "disk") as disk:
        out = disk / "out"
        filler = fill(disk, 300_000)
        full = crawlall(server, out, *sites)
        assert full.returncode == 1, full.stdout[-2000:]
        assert "No space left on device" in full.stdout + full.stderr
        assert "crawlall failed: its report" in full.stderr or "BROKEN" in full.stdout
        lost = expected - {r["url"] for r in exported_all(out)}
        assert lost, "the disk did not fill up"
        for path in out.glob("*/*.jsonl"):  # no partial line
            assert path.read_bytes().endswith(b"\n") or not path.read_bytes()
        filler.unlink()
        again = crawlall(server, out, *sites)
        assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
        urls = [r["url"] for r in exported_all(out)]
        assert len(urls) == len(set(urls)), "an article exported twice"
        assert set(urls) == expected, "an article lost"
        warcs = sorted((out / "warc").glob("*.warc.gz"))
        assert not list((out / "warc").glob("*.open"))
        assert warcio_check(warcs).returncode == 0
        indexed = {json.loads(line.split(" ", 2)[2])["filename"] for line in
                   (out / "index.cdxj").read_text("utf-8").splitlines()}
        assert {r["file"] for r in records(out) if r["type"] in ("response", "revisit")} <= indexed


def test_scrapy_crawl_on_a_full_disk_exits_non_zero_with_its_reason(server, tmp_path: Path) -> None:
    with small_disk(tmp_path / "disk") as disk:
        filler = fill(disk, 300_000)
        args = ("crawl", "chuzhou", "-s", f"FIXTURE_SERVER={server.address}", "-s", f"OUTPUT_DIR={disk / 'out'}",
                "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0")
        full = run_scrapy(*args)
        assert full.returncode == 1
        reason = [ln for ln in full.stderr.splitlines() if ln.startswith("crawl chuzhou failed: ")]
        assert reason and ("No space left on device" in reason[0] or "disk is full" in reason[0]), full.stderr[-2000:]
        filler.unlink()
        again = run_scrapy(*args)
        assert again.returncode == 0, again.stderr[-2000:]
        urls = [r["url"] for r in read_jsonl(disk / "out" / "articles" / "chuzhou.jsonl")]
        assert sorted(urls) == sorted(site_config("szbk.chuzhou.cn")["articles"])


WRITE_AND_INDEX = r"""
import os, signal, sys, time
from pathlib import Path
from crawler.archive import WarcFiles, capture_of, write_index
out = Path(sys.argv[1])

def killed_midway(lines):  # SIGKILL while the closed file's index is written, as a crash lands
    for n, line in enumerate(lines):
        if n == len(lines) // 2:
            os.kill(os.getpid(), signal.SIGKILL)
        yield line

files = WarcFiles(out / "warc", "bulk", on_close=lambda p, lines: write_index(p, killed_midway(lines), out / "index"))
body = b"<html><body>" + "淮南新闻".encode() * 200 + b"</body></html>"
for i in range(int(sys.argv[2])):
    url = f"http://bulk.example/{i}.html"
    request = f"GET /{i}.html HTTP/1.1\r\nHost: bulk.example\r\n\r\n".encode()
    response = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n" % len(body) + body + str(i).encode()
    files.write_capture(capture_of(url, request, response, time.time(), "127.0.0.1"))
files.close()
"""


def test_sigkill_while_a_closed_warc_is_indexed_then_restart_indexes_it(server, tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-c", WRITE_AND_INDEX, str(tmp_path), "3000"], cwd=REPO)
    assert proc.returncode == -signal.SIGKILL
    warc = tmp_path / "warc"
    closed = list(warc.glob("bulk-*.warc.gz"))
    assert closed and not list(warc.glob("*.open"))  # closed (renamed) before it is indexed
    assert not (tmp_path / "index" / f"{closed[0].name}.cdxj").exists()
    assert list((tmp_path / "index").glob(f"{closed[0].name}.cdxj.*.tmp"))  # the index begun, never renamed
    result = run_scrapy("crawl", "chuzhou", "-s", f"FIXTURE_SERVER={server.address}", "-s", f"OUTPUT_DIR={tmp_path}",
                        "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "closed by a crawl that died before indexing it" in result.stderr
    lines = (tmp_path / "index.cdxj").read_text("utf-8").splitlines()
    files = {json.loads(line.split(" ", 2)[2])["filename"] for line in lines}
    assert {p.name for p in warc.glob("*.warc.gz")} == files
    assert sum(1 for line in lines if "bulk.example" in line) == 3000


def test_a_lost_state_store_is_refused_until_rebuilt_and_then_nothing_is_exported_twice(server, tmp_path: Path) -> None:
    sites = ["huainan", "chuzhou"]
    assert crawlall(server, tmp_path, *sites).returncode == 0
    before = {p: p.read_bytes() for p in tmp_path.glob("*/*.jsonl")}
    warcs = {p.name for p in (tmp_path / "warc").glob("*.warc.gz")}
    for name in ("state.sqlite", "state.sqlite-wal", "state.sqlite-shm"):
        (tmp_path / name).unlink(missing_ok=True)
    for args in (("crawlall", *sites), ("crawl", "chuzhou")):
        refused = run_scrapy(*args, "-s", f"FIXTURE_SERVER={server.address}", "-s", f"OUTPUT_DIR={tmp_path}")
        assert refused.returncode == 2
        assert f"state store {tmp_path / 'state.sqlite'} is missing" in refused.stderr
        assert "scrapy rebuild_state" in refused.stderr
        assert "Traceback" not in refused.stderr
    assert {p: p.read_bytes() for p in tmp_path.glob("*/*.jsonl")} == before
    rebuilt = run_scrapy("rebuild_state", "-s", f"OUTPUT_DIR={tmp_path}")
    assert rebuilt.returncode == 0, rebuilt.stderr[-2000:]
    assert "rebuilt" in rebuilt.stdout and "10 articles" in rebuilt.stdout, rebuilt.stdout
    again = crawlall(server, tmp_path, *sites)
    assert again.returncode == 0, again.stdout[-2000:] + again.stderr[-2000:]
    assert {p: p.read_bytes() for p in tmp_path.glob("*/*.jsonl")} == before  # nothing exported twice
    report = json.loads(sorted((tmp_path / "reports").glob("crawlall-*.json"))[-1].read_text("utf-8"))
    assert sum(s["articles"]["already_archived"] for s in report["sites"]) == 10
    # Unchanged pages are revisits of the payloads the rebuilt store knows again; only empty
    # payloads (redirects), never revisited, are stored in full.
    full = [r for r in records(tmp_path) if r["file"] not in warcs and r["type"] == "response"]
    assert all(r["content"] == b"" for r in full), [r["uri"] for r in full if r["content"]]
    assert sum(s["archive"]["revisits"] for s in report["sites"]) > 0
    # A store in place is not overwritten.
    assert run_scrapy("rebuild_state", "-s", f"OUTPUT_DIR={tmp_path}").returncode == 2


@pytest.mark.parametrize("damage", ["page overwritten", "truncated", "garbage"])
def test_a_damaged_state_store_is_named_in_a_clear_error(server, tmp_path: Path, damage: str) -> None:
    assert crawlall(server, tmp_path, "chuzhou").returncode == 0
    store = tmp_path / "state.sqlite"
    data = store.read_bytes()
    assert len(data) > 40960
    if damage == "page overwritten":
        store.write_bytes(data[:16384] + os.urandom(4096) + data[20480:])
    elif damage == "truncated":
        store.write_bytes(data[:len(data) // 2])
    else:
        store.write_bytes(os.urandom(len(data)))
    result = run_scrapy("crawl", "chuzhou", "-s", f"FIXTURE_SERVER={server.address}", "-s", f"OUTPUT_DIR={tmp_path}")
    assert result.returncode == 2
    line = next(ln for ln in result.stderr.splitlines() if ln.startswith("crawl chuzhou refused: "))
    assert f"state store {store} is damaged" in line and "scrapy rebuild_state" in line, line
    assert "Traceback" not in result.stderr


def test_stale_run_locks_are_removed(server, tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    runs.mkdir(parents=True)
    stale, fresh = runs / "host-1-1.lock", runs / "host-2-2.lock"
    stale.touch()
    os.utime(stale, (time.time() - 3600, time.time() - 3600))
    fresh.touch()  # a run starting this instant
    result = run_scrapy("crawl", "chuzhou", "-s", f"FIXTURE_SERVER={server.address}", "-s", f"OUTPUT_DIR={tmp_path}",
                        "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0")
    assert result.returncode == 0, result.stderr[-2000:]
    assert not stale.exists() and fresh.exists()
    assert sorted(p.name for p in runs.glob("*.lock")) == [fresh.name]  # its own lock is gone too


def test_links_per_page_are_capped_and_counted(hostile: HostileServer, tmp_path: Path) -> None:
    run = crawl_hostile(hostile, tmp_path, "-s", "MAX_LINKS_PER_PAGE=20")
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stats["links/capped_pages"] >= 1 and run.stats["links/dropped"] > 0
    assert "following the first 20 (MAX_LINKS_PER_PAGE)" in run.stderr


def test_a_body_over_download_maxsize_is_archived_cut_short_and_counted(faults_server: HostileServer,
                                                                        tmp_path: Path) -> None:
    run = crawl_hostile(faults_server, tmp_path, *CUT_SHORT, "-s", "DOWNLOAD_MAXSIZE=100000", start="/faults.html")
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stats["errors/too_large"] == 1 and run.item("/news/huge.html") is None
    archived = [r for r in records(tmp_path) if r["uri"] == BASE + "/news/huge.html" and r["type"] == "response"]
    assert len(archived) == 1 and archived[0]["headers"].get("WARC-Truncated") == "length"


def test_a_page_worker_killed_mid_page_loses_only_that_page(tmp_path: Path) -> None:
    """As the kernel's OOM killer would: the page is given up on with the reason, the pool
    starts another worker, the crawl goes on and ends well."""
    with HostileServer() as server:
        command = [sys.executable, "-m", "scrapy", "crawl", "generic", "-a", f"start_url={BASE}/", "-a", "allow=/news/",
                   "-a", "depth=1", "-s", "FIXTURE_HOSTS=hostile.example", "-s", f"FIXTURE_SERVER={server.address}",
                   "-s", f"OUTPUT_DIR={tmp_path}", *FAST, "-s", "PARSE_TIME_BUDGET=120"]
        proc = subprocess.Popen(command, cwd=REPO, stderr=subprocess.PIPE, text=True,
                                env={**os.environ, "PYTHONUNBUFFERED": "1"})
        lines = []
        for line in proc.stderr:
            lines.append(line)
            started = re.search(r"page worker process (\d+) started", line)
            if started:
                os.kill(int(started.group(1)), signal.SIGKILL)  # the one the links page waits for
                break
        lines += proc.stderr.readlines()
        assert proc.wait(timeout=180) == 0, "".join(lines[-40:])
    log = "".join(lines)
    stats = json.loads((tmp_path / "stats" / "generic.json").read_text("utf-8"))
    assert stats["errors/parse_crashed"] == 1 and "errors/parse_timeout" not in stats
    assert re.search(r"giving up on http://hostile.example/links.html: parse_crashed \(worker process \d+ "
                     r"(died while starting: )?killed by SIGKILL", log), log[-3000:]
    assert {r["url"] for r in exported(tmp_path)} >= {BASE + path for path in NORMAL}
    workers = [int(pid) for pid in re.findall(r"page worker process (\d+) started", log)]
    assert len(workers) == 2 and not [pid for pid in workers if alive(pid)]
