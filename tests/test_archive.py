"""The web archive: WARC records of every fetch as served, judged by warcio and pywb."""

from __future__ import annotations

import base64
import glob
import gzip
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
import zlib
from pathlib import Path

import pytest
from conftest import REPO, SITES_DIR, CrawlOutput, run_scrapy
from servers import PYWB, free_port
from warcio.archiveiterator import ArchiveIterator

from crawler.archive import WarcFiles, capture_of, recover_folder
from crawler.archive.check import check_warc
from crawler.archive.http import dechunk
from crawler.archive.writer import new_record_id, target_uri

WARCIO = str(Path(sys.executable).parent / "warcio")  # the command-line tool, as archivists run it
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "LOG_LEVEL=WARNING"]


def sha1_digest(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode()


def records(out: Path) -> list[dict]:
    """Every record of every WARC under out/warc, in file order, with its block as stored."""
    found = []
    for path in sorted((out / "warc").glob("*.warc.gz")):
        with open(path, "rb") as fh:
            it = ArchiveIterator(fh, no_record_parse=True)
            for record in it:
                block = record.raw_stream.read()
                http = record.rec_headers.get_header("Content-Type", "").startswith("application/http")
                head, _, body = block.partition(b"\r\n\r\n") if http else (None, b"", block)
                found.append({"file": path.name, "offset": it.get_record_offset(), "type": record.rec_type,
                              "uri": record.rec_headers.get_header("WARC-Target-URI"),
                              "id": record.rec_headers.get_header("WARC-Record-ID"),
                              "headers": dict(record.rec_headers.headers),
                              "raw_head": head + b"\r\n\r\n" if head is not None else None,
                              "content": body})
    return found


def warcio_check(paths: list[Path]) -> subprocess.CompletedProcess:
    return subprocess.run([WARCIO, "check", "-v", *map(str, paths)],
                          capture_output=True, text=True)


def crawl(spider: str, server, out: Path, *extra: str) -> CrawlOutput:
    result = run_scrapy("crawl", spider, "-s", f"FIXTURE_SERVER={server.address}", "-s", f"OUTPUT_DIR={out}",
                        *FAST, *extra)
    assert result.returncode == 0, result.stderr[-3000:]
    return CrawlOutput(out, result)


def test_every_demo_warc_passes_warcio_check(demo: CrawlOutput) -> None:
    paths = sorted((demo.out / "warc").glob("*.warc.gz"))
    assert len(paths) == 6, paths  # one per crawl
    assert not list((demo.out / "warc").glob("*.open")), "a WARC was left open"
    result = warcio_check(paths)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "digest pass" in result.stdout and "fail" not in result.stdout.replace("digest pass", "")


def test_every_fetch_is_archived_as_sent(server, tmp_path: Path) -> None:
    crawl("ahcaijing", server, tmp_path / "a")
    crawl("huainan", server, tmp_path / "h")
    for out, host_prefix in ((tmp_path / "a", "ahcaijing"), (tmp_path / "h", "huainannet")):
        recs = records(out)
        index = subprocess.run([WARCIO, "index", "-f", "warc-type,warc-target-uri",
                                *glob.glob(str(out / "warc" / "*.warc.gz"))], capture_output=True, text=True, check=True)
        listed = {(r["warc-type"], r.get("warc-target-uri")) for r in map(json.loads, index.stdout.splitlines())}
        served = [s for s in server.served() if host_prefix in s.host]
        assert served
        for s in served:
            scheme = "https" if s.host == "www.danfeng.gov.cn" else "http"
            uri = target_uri(f"{scheme}://{s.host}{s.target}")
            assert ("request", uri) in listed, uri
            assert ("response", uri) in listed or ("revisit", uri) in listed, uri
        # The payload digest is the SHA-1 of the body bytes the server sent (gzip-encoded here).
        by_uri = {r["uri"]: r for r in recs if r["type"] == "response"}
        for s in served:
            uri = target_uri(f"http://{s.host}{s.target}")
            if uri in by_uri and s.status == 200:
                assert by_uri[uri]["headers"]["WARC-Payload-Digest"] == \
                    "sha1:" + base64.b32encode(bytes.fromhex(s.body_sha1)).decode(), uri
    gz = records(tmp_path / "a")
    page = next(r for r in gz if r["type"] == "response" and r["uri"].endswith("/233845.html"))
    assert b"Content-Encoding: gzip" in page["raw_head"]
    gbk = next(r for r in records(tmp_path / "h") if r["type"] == "response" and r["uri"].endswith("id=106231"))
    fixture = (SITES_DIR / "www.huainannet.com" / "zt_content__id=106231.asp").read_bytes()
    assert gbk["headers"]["WARC-Payload-Digest"] == sha1_digest(fixture)


def test_request_and_response_are_linked_and_located(demo: CrawlOutput) -> None:
    recs = records(demo.out)
    by_id = {r["id"]: r for r in recs}
    for item in demo.items("chuzhou"):
        locator = item["warc"]
        response = by_id[locator["record_id"]]
        assert (response["file"], response["offset"]) == (locator["filename"], locator["offset"])
        assert response["uri"] == item["url"] and response["type"] in ("response", "revisit")
        request = next(r for r in recs if r["headers"].get("WARC-Concurrent-To") == locator["record_id"])
        assert request["type"] == "request" and request["raw_head"].startswith(b"GET /czrb/pc/content/")
        assert b"\r\nHost: szbk.chuzhou.cn\r\n" in request["raw_head"]
        assert response["headers"]["WARC-IP-Address"] == "127.0.0.1"
        meta = next(r for r in recs if r["type"] == "metadata" and r["headers"].get("WARC-Refers-To") == locator["record_id"])
        assert json.loads(meta["content"])["title"] == item["title"]
        # The locator reads the record back with one seek.
        with open(demo.out / "warc" / locator["filename"], "rb") as fh:
            fh.seek(locator["offset"])
            data = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(fh.read(locator["length"]))
        assert locator["record_id"].encode() in data


def test_headers_as_sent_and_chunked_bodies(server, tmp_path: Path) -> None:
    host = "www.danfeng.gov.cn"
    page = (SITES_DIR / host / "info/1061/158790.htm").read_bytes()
    server.add_route(host, "/info/1061/158790.htm", body=page, chunked=True,
                     headers=[("Set-Cookie", "a=1; Path=/"), ("Set-Cookie", "b=2; Path=/"), ("x-lower-CASE", "kept")])
    out = crawl("danfeng", server, tmp_path)
    record = next(r for r in records(tmp_path) if r["type"] == "response" and r["uri"].endswith("158790.htm"))
    head = record["raw_head"]
    assert head.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"Set-Cookie: a=1; Path=/\r\nSet-Cookie: b=2; Path=/\r\n" in head
    assert b"\r\nx-lower-CASE: kept\r\n" in head and b"\r\nTransfer-Encoding: chunked\r\n" in head
    sent = next(s for s in server.served(host) if s.target == "/info/1061/158790.htm")
    assert sent.length > len(page)  # chunk framing
    # Of the entity body, chunk framing removed (WARC 1.1), which warcio check (over the raw
    # stream) reports as its one failure; the block digest passes both.
    assert record["headers"]["WARC-Payload-Digest"] == sha1_digest(page)
    assert all(check_warc(p).ok for p in (tmp_path / "warc").glob("*.warc.gz"))
    checked = warcio_check(sorted((tmp_path / "warc").glob("*.warc.gz"))).stdout
    assert [line.strip() for line in checked.splitlines() if "failed" in line] == \
        [f"payload digest failed {record['headers']['WARC-Payload-Digest']}"]
    assert out.items("danfeng")


def test_second_crawl_writes_revisits(server, tmp_path: Path) -> None:
    crawl("chuzhou", server, tmp_path)
    seen = {r["file"] for r in records(tmp_path)}
    # A scheduled run: listings fetched again (unchanged: revisits), known articles not at all.
    crawl("chuzhou", server, tmp_path)
    second = [r for r in records(tmp_path) if r["file"] not in seen]
    kinds = [r["type"] for r in second if r["type"] != "response" or r["content"]]
    assert kinds.count("response") == 0 and kinds.count("revisit") >= 4  # empty payloads in full
    assert not any("/content/" in r["uri"] for r in second if r["uri"])
    seen |= {r["file"] for r in second}
    # Asked to refresh: every page fetched again, all unchanged, all revisits.
    crawl("chuzhou", server, tmp_path, "-s", "REFRESH=1")
    third = [r for r in records(tmp_path) if r["file"] not in seen]
    kinds = [r["type"] for r in third if r["type"] != "response" or r["content"]]
    assert kinds.count("response") == 0 and kinds.count("revisit") >= 8  # all but the redirect
    revisit = next(r for r in third if r["type"] == "revisit" and "content_24971" in r["uri"])
    assert revisit["headers"]["WARC-Refers-To-Target-URI"] == revisit["uri"]
    assert revisit["headers"]["WARC-Profile"].endswith("identical-payload-digest")
    assert revisit["headers"]["WARC-Refers-To-Date"] and revisit["headers"]["WARC-Refers-To"]
    assert warcio_check(sorted((tmp_path / "warc").glob("*.warc.gz"))).returncode == 0


def test_sigkill_mid_crawl_then_recovery(server, tmp_path: Path) -> None:
    warc_dir = tmp_path / "warc"
    env = {**os.environ}
    proc = subprocess.Popen([sys.executable, "-m", "scrapy", "crawl", "huainan", "-s", f"FIXTURE_SERVER={server.address}",
                             "-s", f"OUTPUT_DIR={tmp_path}", "-s", "WARC_MAX_SIZE=4000", "-s", "DOWNLOAD_DELAY=0.4",
                             "-s", "DOWNLOAD_DELAY_JITTER=0", "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "LOG_LEVEL=ERROR"],
                            cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline:
        if len(list(warc_dir.glob("*.warc.gz"))) >= 2 and list(warc_dir.glob("*.open")):
            break
        time.sleep(0.1)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    closed = sorted(warc_dir.glob("*.warc.gz"))
    opened = list(warc_dir.glob("*.open"))
    assert len(closed) >= 2 and len(opened) == 1, (closed, opened)
    assert warcio_check(closed).returncode == 0  # every closed file is whole
    # A record half written when the process died: the first half of one gzip member.
    data = closed[0].read_bytes()
    member = zlib.decompressobj(16 + zlib.MAX_WBITS)
    member.decompress(data)
    first = data[: len(data) - len(member.unused_data)]
    torn = first[: len(first) // 2]
    with open(opened[0], "ab") as fh:
        fh.write(torn)
    crawl("huainan", server, tmp_path)
    assert not list(warc_dir.glob("*.open"))
    recovered = warc_dir / opened[0].name[: -len(".open")]
    assert recovered.exists()
    assert warcio_check(sorted(warc_dir.glob("*.warc.gz"))).returncode == 0
    stats = json.loads((tmp_path / "stats" / "huainan.json").read_text())
    assert stats["warc/recovered_files"] == 1 and stats["warc/recovered_cut_bytes"] == len(torn)


def test_recovery_keeps_whole_records_and_leaves_live_files(tmp_path: Path) -> None:
    files = WarcFiles(tmp_path, "unit", max_size=1 << 30)
    for n in range(3):
        files.write_capture(capture_of(f"http://a.cn/{n}", b"GET / HTTP/1.1\r\nHost: a.cn\r\n\r\n",
                                       b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", time.time(), None))
    live = files.current
    assert recover_folder(tmp_path) == []  # its writer holds the lock: not touched
    size = live.stat().st_size
    dead = live.with_name("copy-" + live.name)  # a copy nobody holds, with a torn tail
    dead.write_bytes(live.read_bytes())
    with open(dead, "ab") as fh:
        fh.write(gzip.compress(b"WARC/1.1\r\nContent-Length: 100\r\n\r\nshort")[:-3])
    (result,) = recover_folder(tmp_path)
    assert result.records == 7 and result.kept_bytes == size  # warcinfo + 3 x (response, request)
    assert result.path.name == "copy-" + live.name[: -len(".open")]
    assert warcio_check([result.path]).returncode == 0
    assert live.exists()  # the live writer's file is untouched
    files.close()


def test_records_are_gzip_members_by_the_engine_and_level_asked(tmp_path: Path) -> None:
    body = "".join(f"<p>第{n}段，淮南新闻的正文{n * 7919 % 1000}。</p>" for n in range(2000)).encode()
    sizes = {}
    for engine, level in (("zlib", 1), ("zlib", 9), ("isal", 0), ("isal", 3), ("isal", None)):
        files = WarcFiles(tmp_path / f"{engine}{level}", "lvl", engine=engine, level=level)
        files.write_capture(capture_of("http://a.cn/1", b"GET /1 HTTP/1.1\r\nHost: a.cn\r\n\r\n",
                                       b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body,
                                       time.time(), None))
        (path,) = [files.close()]
        assert warcio_check([path]).returncode == 0
        with open(path, "rb") as fh:  # one gzip member a record: each read on its own
            records = [(r.rec_type, r.content_stream().read()) for r in ArchiveIterator(fh)]
        assert [kind for kind, _ in records] == ["warcinfo", "response", "request"]
        assert records[1][1] == body
        with open(path, "rb") as fh:  # standard gzip: Python's own reader takes the whole file
            assert body in gzip.decompress(fh.read())
        sizes[engine, level] = path.stat().st_size
    assert sizes["zlib", 1] > sizes["zlib", 9] and sizes["isal", 0] > sizes["isal", 3]  # the level was used
    assert WarcFiles(tmp_path, "x").level == 2 and WarcFiles(tmp_path, "x", engine="zlib").level == 6  # defaults
    for engine, level in (("isal", 6), ("zlib", 10), ("brotli", None)):
        with pytest.raises(ValueError, match="WARC_GZIP_ENGINE|WARC_GZIP_LEVEL"):
            WarcFiles(tmp_path / "refused", "lvl", engine=engine, level=level)
    assert not (tmp_path / "refused").exists()


def test_a_crawl_rotating_its_files_indexes_each_apart(server, tmp_path: Path) -> None:
    result = run_scrapy("crawl", "chuzhou", "-s", f"FIXTURE_SERVER={server.address}", "-s", f"OUTPUT_DIR={tmp_path}",
                        "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "WARC_MAX_SIZE=5000")
    assert result.returncode == 0, result.stderr[-2000:]
    warcs = {p.name for p in (tmp_path / "warc").glob("*.warc.gz")}
    assert len(warcs) >= 3  # rotated mid-crawl, each closed file indexed apart
    lines = (tmp_path / "index.cdxj").read_text("utf-8").splitlines()
    assert {json.loads(line.split(" ", 2)[2])["filename"] for line in lines} == warcs
    assert lines == sorted(lines)


def test_rotation_names_and_percent_encoding(tmp_path: Path) -> None:
    files = WarcFiles(tmp_path, "rot", max_size=1500)
    for n in range(6):
        files.write_capture(capture_of(f"http://a.cn/文章/{n}", b"GET / HTTP/1.1\r\n\r\n",
                                       b"HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n" + b"x" * 500, time.time(), None))
    files.close()
    names = [p.name for p in files.closed]
    assert len(names) >= 3 and len(set(names)) == len(names)
    assert all(n.startswith("rot-") and n.endswith(".warc.gz") for n in names)
    assert target_uri("http://a.cn/文章/1?q=淮南") == "http://a.cn/%E6%96%87%E7%AB%A0/1?q=%E6%B7%AE%E5%8D%97"


def test_dechunk() -> None:
    assert dechunk(b"3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n") == (b"abcde", True)
    assert dechunk(b"3\r\nabc\r\n5\r\nde") == (b"abcde", False)


def test_pywb_replays_archived_pages(demo: CrawlOutput, tmp_path: Path) -> None:
    assert PYWB.exists(), f"pywb is not installed: run ./scripts/setup (it creates {PYWB.parent.parent})"
    (tmp_path / "config.yaml").write_text(
        "collections:\n  demo:\n"
        f"    archive_paths: {demo.out / 'warc'}/\n    index_paths: {demo.out / 'index.cdxj'}\n")
    port = free_port()
    proc = subprocess.Popen([str(PYWB), "-p", str(port), "-b", "127.0.0.1"], cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        def replay(url: str) -> bytes:
            deadline = time.time() + 30
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/demo/2026id_/{url}", timeout=10) as r:
                        assert r.status == 200
                        return r.read()
                except OSError:
                    if time.time() > deadline:
                        raise
                    time.sleep(0.3)

        gbk = replay("http://www.huainannet.com/zt_content.asp?id=106231")
        assert gbk == (SITES_DIR / "www.huainannet.com" / "zt_content__id=106231.asp").read_bytes()
        page = replay("http://www.ahcaijing.com/html/2020/24h_0210/233845.html")  # stored gzip-encoded
        assert page == (SITES_DIR / "www.ahcaijing.com/html/2020/24h_0210/233845.html").read_bytes()
        name = "下沉一线！芜湖26位市领导包保繁昌82个小区.md"
        post = replay(target_uri(f"http://hexo-mirror.invalid/source/_posts/{name}"))
        assert post == (SITES_DIR / "hexo-mirror.invalid/source/_posts" / name).read_bytes()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_archiving_can_be_turned_off(server, tmp_path: Path) -> None:
    out = crawl("chuzhou", server, tmp_path, "-s", "WARC_ENABLED=0")
    assert out.items("chuzhou") and not (tmp_path / "warc").exists()
    assert all(item["warc"] is None for item in out.items("chuzhou"))


def test_redirected_article_points_at_its_own_record(server, tmp_path: Path) -> None:
    """An article reached through a 302 carries the locator of the final response's record."""
    host = "www.danfeng.gov.cn"
    server.add_route(host, "/xwzx/xzdt.htm", body='<html><head><meta charset="utf-8"></head><body>'
                     '<a href="/info/1061/9000010.htm">moved</a></body></html>')
    server.add_route(host, "/xwzx/bmdt.htm", status=404)
    server.add_route(host, "/info/1061/9000010.htm", status=302,
                     headers=[("Location", "https://www.danfeng.gov.cn/info/1061/158790.htm")])
    [item] = crawl("danfeng", server, tmp_path).stories("danfeng")
    assert item["url"] == "https://www.danfeng.gov.cn/info/1061/158790.htm"
    by_id = {r["id"]: r for r in records(tmp_path)}
    hop = next(r for r in by_id.values() if r["type"] == "response" and r["uri"].endswith("9000010.htm"))
    assert hop["raw_head"].split(b"\r\n", 1)[0].split()[1] == b"302"
    record = by_id[item["warc"]["record_id"]]
    assert record["uri"] == item["url"] and record["type"] == "response"
    assert record["raw_head"].split(b"\r\n", 1)[0].split()[1] == b"200"


def test_record_ids_are_random_uuids_distinct_across_a_fork(tmp_path) -> None:
    """Record ids come from a generator seeded once a process: a forked child (a crawl's page
    worker, scrapyd's runner) is seeded again, so it never repeats its parent's ids."""
    pattern = re.compile(r"<urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}>")
    ours = [new_record_id() for _ in range(1000)]
    assert len(set(ours)) == 1000 and all(pattern.fullmatch(r) for r in ours)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its next ids, to the parent
        os.close(read)
        os.write(write, "\n".join(new_record_id() for _ in range(100)).encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        child = pipe.read().split("\n")
    os.waitpid(pid, 0)
    parent = [new_record_id() for _ in range(100)]
    assert len(child) == 100 and not set(child) & set(parent)

    files = WarcFiles(tmp_path, "ids")
    files.write_metadata("urn:article:1", None, {"a": 1})
    files.close()
    with open(next(tmp_path.glob("*.warc.gz")), "rb") as stream:
        ids = [r.rec_headers.get_header("WARC-Record-ID") for r in ArchiveIterator(stream)]
    assert len(ids) == 2 and all(pattern.fullmatch(r) for r in ids)  # warcinfo and metadata
