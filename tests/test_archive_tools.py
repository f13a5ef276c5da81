"""The archive as archivists use it: standard indexers and pywb, WACZ, spec digests, re-extraction."""

from __future__ import annotations

import gzip
import html
import json
import re
import subprocess
import sys
import time
import urllib.request
import zipfile
from hashlib import sha256
from pathlib import Path

import opencc
import pytest
from conftest import REPO, SITES_DIR, CrawlOutput, read_jsonl, run_scrapy
from test_archive import PYWB, WARCIO, crawl, free_port, records, warcio_check

from crawler.archive import Original, WarcFiles, capture_of
from crawler.archive.check import check_warc
from crawler.archive.reader import Archive
from crawler.extract.decode import decode_html
from crawler.normalize import normalize_record

PYWB_BIN = PYWB.parent
WACZ = str(Path(sys.executable).parent / "wacz")
EMPTY_DIGEST = "sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ"
TEXT_LISTS = ("authors", "editors", "section")


def all_records(out: Path) -> list[dict]:
    """Every article record of an output: stories and copies, of every spider."""
    return [r for path in sorted(out.glob("articles/*.jsonl")) + sorted(out.glob("duplicates/*.jsonl"))
            for r in read_jsonl(path)]


def make_wacz(out: Path, target: Path, *warcs: Path) -> subprocess.CompletedProcess:
    result = run_scrapy("wacz", "-s", f"OUTPUT_DIR={out}", "-o", str(target), *map(str, warcs))
    assert result.returncode == 0, result.stderr[-3000:]
    return result


@pytest.fixture(scope="module")
def demo_wacz(demo: CrawlOutput, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("wacz") / "demo.wacz"
    make_wacz(demo.out, target)
    return target


def test_metadata_records_have_uris_of_their_own(demo: CrawlOutput) -> None:
    recs = records(demo.out)
    by_id = {r["id"]: r for r in recs}
    metadata = [r for r in recs if r["type"] == "metadata"]
    articles = all_records(demo.out)
    assert len(metadata) == len(articles) > 20
    by_article = {json.loads(m["content"])["id"]: m for m in metadata}
    for article in articles:
        meta = by_article[article["id"]]
        assert meta["uri"] == f"urn:article:{article['id']}"
        response = by_id[meta["headers"]["WARC-Refers-To"]]
        assert response["id"] == article["warc"]["record_id"]
        assert response["type"] in ("response", "revisit") and response["uri"] == article["url"]


def archived_body(archive: Archive, record_id: str) -> tuple[bytes, str]:
    """The page as served (content encoding removed) and its Content-Type."""
    response = archive.response(archive.by_id[record_id])
    headers = {k.lower(): v for k, v in response.headers}
    body = response.body
    if "gzip" in headers.get("content-encoding", ""):
        body = gzip.decompress(body)
    return body, headers.get("content-type", "")


def test_pywb_replays_every_article_from_standard_indexes_and_the_wacz(
        demo: CrawlOutput, demo_wacz: Path, tmp_path: Path) -> None:
    assert PYWB.exists(), "pywb is not installed: run ./scripts/setup"
    warcs = sorted((demo.out / "warc").glob("*.warc.gz"))

    def manager(*args: str) -> None:
        result = subprocess.run([str(PYWB_BIN / "wb-manager"), *args], cwd=tmp_path,
                                capture_output=True, text=True)
        assert result.returncode == 0, result.stderr[-2000:]

    manager("init", "raw")
    manager("add", "raw", *map(str, warcs))
    manager("init", "wacz")
    manager("add", "--unpack-wacz", "wacz", str(demo_wacz))
    # cdxj-indexer with its default records (metadata included), sorted for lookups.
    subprocess.run([str(Path(sys.executable).parent / "cdxj-indexer"), "-s", "-o",
                    str(tmp_path / "default.cdxj"), *map(str, warcs)], check=True)
    (tmp_path / "config.yaml").write_text(
        "collections:\n  cdxj:\n"
        f"    archive_paths: {demo.out / 'warc'}/\n    index_paths: {tmp_path / 'default.cdxj'}\n")
    for name in ("raw", "wacz"):
        index = (tmp_path / "collections" / name / "indexes" / "index.cdxj").read_text()
        assert "urn:article:" in index  # metadata records indexed, under their own URIs
    port = free_port()
    proc = subprocess.Popen([str(PYWB_BIN / "wayback"), "-p", str(port), "-b", "127.0.0.1"],
                            cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    archive = Archive.of(demo.out)
    articles = all_records(demo.out)
    try:
        def replay(collection: str, url: str) -> tuple[int, str, bytes]:
            deadline = time.time() + 30
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/{collection}/2026id_/{url}",
                                                timeout=10) as r:
                        return r.status, r.headers.get("Content-Type", ""), r.read()
                except urllib.error.HTTPError as error:
                    return error.code, "", b""
                except OSError:
                    if time.time() > deadline:
                        raise
                    time.sleep(0.3)

        replayed = 0
        for collection in ("raw", "wacz", "cdxj"):
            for article in articles:
                status, content_type, body = replay(collection, article["url"])
                served, served_type = archived_body(archive, article["warc"]["record_id"])
                assert (status, content_type) == (200, served_type), (collection, article["url"])
                assert body == served, (collection, article["url"])
                title = (article["original"] or {}).get("title")
                if title:
                    assert title in html.unescape(decode_html(body, content_type).text), article["url"]
                replayed += 1
        assert replayed == 3 * len(articles)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_wacz_validates_and_lists_every_article(demo: CrawlOutput, demo_wacz: Path) -> None:
    result = subprocess.run([WACZ, "validate", "-f", str(demo_wacz)], capture_output=True, text=True)
    assert result.returncode == 0 and "is valid" in result.stdout, result.stdout[-2000:]
    with zipfile.ZipFile(demo_wacz) as z:
        names = set(z.namelist())
        package = json.loads(z.read("datapackage.json"))
        digest = json.loads(z.read("datapackage-digest.json"))
        lines = [json.loads(line) for line in z.read("pages/pages.jsonl").decode().splitlines()]
    assert digest["hash"] == "sha256:" + sha256(z_read(demo_wacz, "datapackage.json")).hexdigest()
    assert {"indexes/index.cdx.gz", "indexes/index.idx", "pages/pages.jsonl"} <= names
    warcs = {f"archive/{p.name}" for p in (demo.out / "warc").glob("*.warc.gz")}
    assert warcs <= names and {r["path"] for r in package["resources"]} >= warcs
    assert package["wacz_version"] == "1.1.1"
    header, pages = lines[0], lines[1:]
    assert header["format"] == "json-pages-1.0" and header["hasText"] is True
    articles = {r["id"]: r for r in all_records(demo.out)}
    assert {p["id"] for p in pages} == set(articles)
    stories = {r["id"] for spider in ("huainan", "chuzhou", "ahcaijing", "danfeng", "qutoutiao", "generic")
               for r in demo.stories(spider)}
    assert stories <= {p["id"] for p in pages}
    archive = Archive.of(demo.out)
    for page in pages:
        article = articles[page["id"]]
        capture = archive.by_id[article["warc"]["record_id"]]
        assert (page["url"], page["ts"]) == (article["url"], capture.date)
        assert page["text"] == article["body"] and page["text"]
        assert page["title"] == (article["title"] or article["url"])
    gbk = [p for p in pages if "zt_content.asp" in p["url"]]  # 淮南网: served in GBK
    assert len(gbk) >= 4 and all(re.search(r"[\u4e00-\u9fff]{10}", p["text"]) for p in gbk)


def z_read(path: Path, name: str) -> bytes:
    with zipfile.ZipFile(path) as z:
        return z.read(name)


def test_wacz_of_chosen_files_includes_the_originals_of_their_revisits(tmp_path: Path) -> None:
    request = b"GET / HTTP/1.1\r\nHost: a.cn\r\n\r\n"
    page = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 9\r\n\r\n<p>ok</p>"
    first = WarcFiles(tmp_path / "warc", "one")
    capture = capture_of("http://a.cn/", request, page, time.time(), None)
    _, located = first.write_capture(capture)
    first.close()
    second = WarcFiles(tmp_path / "warc", "two")
    second.write_capture(capture_of("http://a.cn/", request, page, time.time(), None),
                         Original(capture.uri, capture.date, located.record_id))
    second.close()
    target = tmp_path / "two.wacz"
    result = make_wacz(tmp_path, target, second.closed[0])
    assert "2 WARC files" in result.stdout
    assert {n for n in zipfile.ZipFile(target).namelist() if n.startswith("archive/")} == \
        {f"archive/{first.closed[0].name}", f"archive/{second.closed[0].name}"}
    response = Archive.of(tmp_path).response(
        next(r for r in Archive.of(tmp_path).records if r.type == "revisit"))
    assert response.body == b"<p>ok</p>" and response.status == 200


def test_rechunked_page_is_a_revisit(server, tmp_path: Path) -> None:
    host, target = "www.danfeng.gov.cn", "/info/1061/158790.htm"
    page = (SITES_DIR / host / "info/1061/158790.htm").read_bytes()
    server.add_route(host, target, body=page, chunked=1000)
    crawl("danfeng", server, tmp_path)
    server.add_route(host, target, body=page, chunked=777)  # the same page, other chunk boundaries
    crawl("danfeng", server, tmp_path, "-s", "REFRESH=1")
    sent = [s for s in server.served(host) if s.target == target]
    assert len(sent) == 2 and sent[0].body_sha1 != sent[1].body_sha1  # different bytes on the wire
    captures = [r for r in records(tmp_path) if r["uri"] and r["uri"].endswith("158790.htm")
                and r["type"] in ("response", "revisit")]
    assert [r["type"] for r in captures] == ["response", "revisit"]
    response, revisit = captures
    assert b"Transfer-Encoding: chunked" in response["raw_head"] and b"\r\n3e8\r\n" in b"\r\n" + response["content"]
    # WARC 1.1: the payload digest is of the entity body, chunk framing removed.
    assert response["headers"]["WARC-Payload-Digest"] == revisit["headers"]["WARC-Payload-Digest"] == \
        capture_of("x", b"", b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(page) + page, 0, None).digest
    assert revisit["headers"]["WARC-Refers-To"] == response["id"]
    # The spec check passes every record; warcio check (raw-stream payload digests) flags
    # exactly the chunked responses, and only their payload digest.
    warcs = sorted((tmp_path / "warc").glob("*.warc.gz"))
    checked = [check_warc(p) for p in warcs]
    assert all(c.ok for c in checked) and sum(len(c.chunked) for c in checked) == 1
    result = warcio_check(warcs)
    problems = [line for line in result.stdout.splitlines() if "failed" in line]
    assert len(problems) == 1 and "payload digest failed" in problems[0], result.stdout[-2000:]
    assert "block digest failed" not in result.stdout
    # The revisit replays with the original's payload.
    assert Archive.of(tmp_path).response(Archive.of(tmp_path).by_id[revisit["id"]]).body == page


def test_no_revisit_of_an_empty_payload_nor_across_spiders(demo: CrawlOutput) -> None:
    archive = Archive.of(demo.out)
    revisits = [r for r in archive.records if r.type == "revisit"]
    assert revisits
    for record in revisits:
        original = archive.by_id[record.refers_to]
        assert original.part_of == record.part_of, record.uri
    empty = [r for r in records(demo.out) if r["type"] == "revisit"
             and r["headers"].get("WARC-Payload-Digest") == EMPTY_DIGEST]
    assert not empty
    redirects = [r for r in records(demo.out) if r["type"] == "response"
                 and r["raw_head"].startswith(b"HTTP/1.1 30") and not r["content"]]
    assert redirects  # empty payloads there are, each stored in full
    for spider in {r.part_of for r in archive.records}:
        own = Archive([p for p in archive.paths if p.name.startswith(f"{spider}-")])
        assert all(own.response(r) is not None for r in own.captures()), spider


def audited_scrapy(log: Path, *args: str) -> subprocess.CompletedProcess:
    """A scrapy command in a process that logs every network operation it attempts."""
    code = f"""
import socket, sys
def hook(event, args):
    if event in ("socket.connect", "socket.sendto", "socket.sendmsg"):
        if args[0].family == socket.AF_UNIX:
            return
    elif event != "socket.getaddrinfo":
        return
    with open({str(log)!r}, "a") as fh:
        fh.write(f"{{event}} {{args[1] if event != 'socket.getaddrinfo' else args[:2]!r}}\\n")
sys.addaudithook(hook)
from scrapy.cmdline import execute
sys.argv = ["scrapy", *{list(args)!r}]
execute()
"""
    return subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300)


EXTRACTED = ("url", "canonical_url", "site", "title", "subtitle", "published", "authors", "editors",
             "source", "section", "body", "images", "original", "normalization", "warc")


def test_reextract_reproduces_every_demo_record_without_network(demo: CrawlOutput, tmp_path: Path) -> None:
    log = tmp_path / "network.log"
    control = audited_scrapy(log, "fetch", "--nolog", "-s", f"OUTPUT_DIR={tmp_path / 'control'}",
                             "http://127.0.0.1:9/")  # the hook does see a fetch
    assert control.returncode is not None and "socket.connect" in log.read_text()
    log.unlink()
    out = tmp_path / "again"
    result = audited_scrapy(log, "reextract", "--from", str(demo.out), "--to", str(out),
                            "-s", "LOG_LEVEL=WARNING")
    assert result.returncode == 0, result.stderr[-3000:]
    assert not log.exists(), log.read_text()
    before = {r["warc"]["record_id"]: r for r in all_records(demo.out)}
    after = {r["warc"]["record_id"]: r for r in all_records(out)}
    assert len(before) > 20 and set(after) == set(before)
    for key, record in before.items():
        again = after[key]
        assert {f: again[f] for f in EXTRACTED} == {f: record[f] for f in EXTRACTED}, record["url"]
        assert again["id"] != record["id"]  # fresh records
        assert (again["dedupe"]["duplicate_of"] is None) == (record["dedupe"]["duplicate_of"] is None)
    assert not (out / "warc").exists()  # nothing fetched, nothing archived
    stats = json.loads((out / "stats" / "huainan.json").read_text())
    assert stats["reextract/responses"] == stats["reextract/article_captures"] >= 6
    assert "reextract/not_archived" not in stats


def test_reextract_reads_revisits_with_their_originals_payloads(server, tmp_path: Path) -> None:
    crawl("chuzhou", server, tmp_path)
    crawl("chuzhou", server, tmp_path, "-s", "REFRESH=1")  # every page again: revisits
    first = read_jsonl(tmp_path / "articles" / "chuzhou.jsonl")
    copies = read_jsonl(tmp_path / "duplicates" / "chuzhou.jsonl")
    by_type = {r["id"]: r["type"] for r in records(tmp_path)}
    revisited = [r for r in first + copies if by_type[r["warc"]["record_id"]] == "revisit"]
    assert revisited
    out = tmp_path / "again"
    result = run_scrapy("reextract", "chuzhou", "--from", str(tmp_path), "--to", str(out))
    assert result.returncode == 0, result.stderr[-3000:]
    again = {r["warc"]["record_id"]: r for r in all_records(out)}
    for record in revisited:
        assert again[record["warc"]["record_id"]]["body"] == record["body"]


def test_reextract_refuses_to_write_into_the_archive_it_reads(tmp_path: Path) -> None:
    result = run_scrapy("reextract", "--from", str(tmp_path), "--to", str(tmp_path))
    assert result.returncode != 0 and "new output" in result.stderr


_PINYIN = re.compile(r"[\u4e00-\u9fff][(（][a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]{1,7}[)）]")


def text_fields(record: dict) -> list[tuple[str, str]]:
    """Every text of an article record but `original` (as extracted, by definition)."""
    found = [(k, record[k]) for k in ("title", "subtitle", "source", "body") if isinstance(record.get(k), str)]
    found += [(k, v) for k in TEXT_LISTS for v in record.get(k) or []]
    found += [("caption", i["caption"]) for i in record.get("images") or [] if i.get("caption")]
    return found


def test_no_traditional_script_or_pinyin_in_any_text_field(demo: CrawlOutput) -> None:
    to_simplified = opencc.OpenCC("t2s")
    articles = all_records(demo.out)
    sections = [s for r in articles for s in r["section"]]
    assert sections and len(articles) > 20
    for record in articles:
        for field, text in text_fields(record):
            assert to_simplified.convert(text) == text, (record["url"], field, text[:80])
            assert not _PINYIN.search(text), (record["url"], field, _PINYIN.findall(text))


def test_section_is_normalized() -> None:
    record = normalize_record({"title": "鄉鎮動態", "body": "這是一個關於鄉鎮發展的報導。",
                               "section": ["首頁", "鄉(xiāng)鎮(zhèn)動態(tài)"], "authors": ["張三"]})
    assert record["section"] == ["首页", "乡镇动态"] and record["authors"] == ["张三"]


def test_warcio_index_skips_nothing_it_needs(demo: CrawlOutput) -> None:
    """`warcio index` lists each metadata record under its own URI, never under a page's."""
    lines = subprocess.run([WARCIO, "index", "-f", "warc-type,warc-target-uri",
                            *map(str, sorted((demo.out / "warc").glob("*.warc.gz")))],
                           capture_output=True, text=True, check=True).stdout.splitlines()
    kinds = [json.loads(line) for line in lines]
    assert all(k["warc-target-uri"].startswith("urn:article:") for k in kinds if k["warc-type"] == "metadata")
