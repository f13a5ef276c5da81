"""Each WARC file's CDXJ index as the crawl writes it, from its records as written: the very
bytes cdxj-indexer gives reading the closed file."""

from __future__ import annotations

import json
import time
from io import BytesIO
from pathlib import Path

import pytest
from conftest import SITES_DIR
from test_archive import crawl, records
from warcio.recordbuilder import RecordBuilder
from warcio.recordloader import ArcWarcRecord

from crawler.archive import Original, WarcFiles, capture_of, index_warc, write_index
from crawler.archive.index import IndexLines, LineUnknown, cdxj_line
from crawler.archive.writer import LeveledWARCWriter

HOST = "www.danfeng.gov.cn"
REQUEST = b"GET / HTTP/1.1\r\nHost: a.cn\r\n\r\n"


def page(body: bytes, head: bytes = b"Content-Type: text/html; charset=utf-8\r\n") -> bytes:
    return b"HTTP/1.1 200 OK\r\n" + head + b"Content-Length: %d\r\n\r\n" % len(body) + body


def as_cdxj_indexer_has_it(warc: Path, tmp_path: Path) -> bytes:
    return index_warc(warc, tmp_path / "read-back").read_bytes()


def lines_of(index: bytes) -> list[dict]:
    return [json.loads(line.split(" ", 2)[2]) for line in index.decode().splitlines()]


def test_a_crawls_index_is_cdxj_indexers_byte_for_byte(server, tmp_path: Path) -> None:
    out = tmp_path / "out"
    server.add_route(HOST, "/xwzx/bmdt.htm", body='<html><head><meta charset="utf-8"></head><body>'
                     '<a href="/info/1061/9000010.htm">moved</a> <a href="/info/1061/9000011.htm">cut</a>'
                     '</body></html>')
    server.add_route(HOST, "/info/1061/9000010.htm", status=302,
                     headers=[("Location", "https://www.danfeng.gov.cn/info/1061/158790.htm")])
    article = (SITES_DIR / HOST / "info/1061/158911.htm").read_bytes()
    server.add_route(HOST, "/info/1061/9000011.htm", body=article, truncate=len(article) // 2,
                     headers=[("Content-Type", "text/html; charset=utf-8")])
    rotate = ("-s", "WARC_MAX_SIZE=6000")
    crawl("danfeng", server, out, *rotate)
    first = json.loads((out / "stats" / "danfeng.json").read_text("utf-8"))
    crawl("danfeng", server, out, *rotate, "-s", "REFRESH=1")  # unchanged pages: revisits
    second = json.loads((out / "stats" / "danfeng.json").read_text("utf-8"))
    warcs = sorted((out / "warc").glob("*.warc.gz"))
    assert len(warcs) >= 6 and first["warc/files_closed"] + second["warc/files_closed"] == len(warcs)
    # Every file indexed from its lines, none read back.
    assert "warc/indexes_read_back" not in first and "warc/indexes_read_back" not in second
    written = {}
    for warc in warcs:
        written[warc.name] = (out / "index" / f"{warc.name}.cdxj").read_bytes()
        assert written[warc.name] == as_cdxj_indexer_has_it(warc, tmp_path), warc.name
    # What the index holds: responses, the redirect, revisits, metadata records, the cut page.
    lines = [line for index in written.values() for line in lines_of(index)]
    assert {"200", "302"} <= {line.get("status") for line in lines}
    assert sum(line["mime"] == "warc/revisit" for line in lines) >= 4
    assert sum(line["url"].startswith("urn:article:") for line in lines) >= 4
    archived = records(out)
    cut = [r for r in archived if r["headers"].get("WARC-Truncated")]
    assert cut and {(r["file"], str(r["offset"])) for r in cut} <= {(line["filename"], line["offset"]) for line in lines}
    indexed = [r for r in archived if r["type"] in ("response", "revisit", "metadata")]
    assert len(lines) == len(indexed)  # one line a record, no more


def test_files_written_record_by_record_are_indexed_as_cdxj_indexer_reads_them(tmp_path: Path) -> None:
    closed: dict[Path, list[str] | None] = {}
    files = WarcFiles(tmp_path / "warc", "unit", max_size=3000, on_close=lambda p, lines: closed.setdefault(p, lines))
    body = "<p>淮南新闻</p>".encode() * 40
    _, first = files.write_capture(capture_of("http://a.cn/文章?q=淮南", REQUEST, page(body), time.time(), "10.0.0.1"))
    original = Original("http://a.cn/%E6%96%87%E7%AB%A0?q=%E6%B7%AE%E5%8D%97", "2026-01-01T00:00:00Z", first.record_id)
    for n in range(8):
        files.write_capture(capture_of(f"http://a.cn/{n}", REQUEST, page(body), time.time(), None), original)  # revisits
        files.write_capture(capture_of(f"http://a.cn/r{n}", REQUEST, b"HTTP/1.1 301 Moved\r\nLocation: /\r\n\r\n",
                                       time.time(), None))
        files.write_capture(capture_of(f"http://a.cn/cut{n}", REQUEST, page(body)[:-100], time.time(), None))
        files.write_capture(capture_of(f"http://a.cn/chunked{n}", REQUEST,
                                       b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: Text/HTML;x=1\r\n\r\n"
                                       b"5\r\nhello\r\n0\r\n\r\n", time.time(), None))
        # No whole head: the bytes as a resource record.
        files.write_capture(capture_of(f"http://a.cn/nohead{n}", REQUEST, b"HTTP/1.1 200 OK\r\nContent-Le",
                                       time.time(), None))
        files.write_metadata(f"urn:uuid:{n}", first.record_id, {"title": "标题", "n": n})
    files.close()
    assert len(closed) >= 3 and list(closed) == files.closed  # rotated: each file its own lines
    kinds = set()
    for warc, lines in closed.items():
        assert lines is not None
        index = write_index(warc, lines, tmp_path / "index").read_bytes()
        assert index == as_cdxj_indexer_has_it(warc, tmp_path), warc.name
        kinds |= {line.get("mime") for line in lines_of(index)}
    assert {"text/html", "warc/revisit", "application/octet-stream", "application/json"} <= kinds


def test_a_record_cdxj_indexer_would_read_otherwise_sends_its_file_to_be_read(tmp_path: Path) -> None:
    closed: dict[Path, list[str] | None] = {}
    files = WarcFiles(tmp_path, "post", on_close=lambda p, lines: closed.setdefault(p, lines))
    files.write_capture(capture_of("http://a.cn/1", REQUEST, page(b"ok"), time.time(), None))
    # cdxj-indexer keys a POST's response by its body (post_append): not told from the record.
    files.write_capture(capture_of("http://a.cn/form", b"POST /form HTTP/1.1\r\nHost: a.cn\r\nContent-Length: 3\r\n\r\na=1",
                                   page(b"posted"), time.time(), None))
    files.close()
    files.write_capture(capture_of("http://a.cn/2", REQUEST, page(b"ok"), time.time(), None))
    files.close()
    (posted, lines_posted), (after, lines_after) = closed.items()
    assert lines_posted is None  # the whole file, read by cdxj-indexer when closed
    assert lines_after is not None and len(lines_after) == 1  # the next file has lines again
    assert write_index(after, lines_after, tmp_path / "index").read_bytes() == as_cdxj_indexer_has_it(after, tmp_path)


def written(record: ArcWarcRecord) -> ArcWarcRecord:
    LeveledWARCWriter(BytesIO()).write_record(record)  # as WarcFiles writes them: digests added
    return record


def test_records_cdxj_indexer_leaves_out_have_no_line() -> None:
    builder = RecordBuilder(warc_version="1.1")
    fields = b"software: x\r\n"
    for record in (builder.create_warcinfo_record("f.warc.gz", {"software": "x"}),
                   builder.create_warc_record("urn:x", "metadata", payload=BytesIO(fields), length=len(fields)),
                   builder.create_warc_record("urn:x", "resource", payload=BytesIO(fields), length=len(fields),
                                              warc_content_type="application/warc-fields")):
        assert cdxj_line(written(record), "f.warc.gz", 0, 100) is None
    head = b"HEAD / HTTP/1.1\r\nHost: a.cn\r\n\r\n"
    request = builder.create_warc_record("http://a.cn/", "request", payload=BytesIO(head), length=len(head))
    assert cdxj_line(written(request), "f.warc.gz", 0, 100) is None
    delete = b"DELETE / HTTP/1.1\r\nHost: a.cn\r\n\r\n"
    request = builder.create_warc_record("http://a.cn/", "request", payload=BytesIO(delete), length=len(delete))
    with pytest.raises(LineUnknown, match="DELETE"):
        cdxj_line(written(request), "f.warc.gz", 0, 100)


def test_a_files_lines_wait_on_disk_past_a_few_mb_and_come_back_sorted(tmp_path: Path) -> None:
    """However large a WARC file grows, its lines take bounded memory: sorted runs move to
    unnamed temporary files, and the index written from them is the one the lines make."""
    lines = [f"a.cn/{n % 97},{n} 2026 {{\"n\": {n}}}\n" for n in range(3000)] + ["a.cn/0,0 2026 {\"n\": 0}\n"]
    spooled = IndexLines(run_bytes=4096)
    for line in lines:
        spooled.append(line)
    assert len(spooled._runs) > 10 and len(spooled._lines) < 200  # on disk, not in memory
    assert len(spooled) == len(lines) and list(spooled) == sorted(lines) == list(spooled)  # again
    warc = tmp_path / "x.warc.gz"
    from_list = write_index(warc, lines, tmp_path / "a").read_text()
    assert write_index(warc, spooled, tmp_path / "b").read_text() == from_list
    assert from_list.count("a.cn/0,0 ") == 1  # a repeated line once, as cdxj-indexer writes it
    spooled.close()
    assert list(spooled) == []
