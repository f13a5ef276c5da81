"""Bytes to text: GBK with the charset only in <meta>, a wrong HTTP charset, damaged input."""

from __future__ import annotations

import re
import urllib.request

from conftest import SITES_DIR, CrawlOutput

from crawler.extract import extract_article
from crawler.extract.decode import decode_html, header_charset, meta_charset


def fetch(server, host: str, path: str) -> tuple[dict, bytes]:
    request = urllib.request.Request(f"http://{server.address}{path}", headers={"Host": host})
    with urllib.request.urlopen(request) as response:
        return dict(response.headers), response.read()


def h1(text: str) -> str:
    return re.search(r"<h1[^>]*>(.*?)</h1>", text, re.S).group(1)


def test_gbk_site_declares_its_charset_only_in_meta(server, demo: CrawlOutput) -> None:
    headers, body = fetch(server, "www.huainannet.com", "/zt_content.asp?id=106305")
    assert headers["Content-Type"] == "text/html"  # no charset over HTTP
    assert meta_charset(body) == "gb18030"  # <meta ... charset=gb2312>, read as its superset
    expected = h1(body.decode("gbk"))
    assert body.decode("utf-8", "replace") != body.decode("gbk")  # really not UTF-8
    item = next(i for i in demo.items("huainan") if i["url"].endswith("id=106305"))
    assert item["original"]["title"] == expected
    assert "網" in item["original"]["title"] and "\ufffd" not in item["original"]["body"]


def test_page_with_a_wrong_http_charset(server, demo: CrawlOutput) -> None:
    path = "/html/2022/hnnews_0406/300594.html"
    headers, body = fetch(server, "www.ahcaijing.com", path)
    assert header_charset(headers["Content-Type"]) == "gb18030"  # the header says gbk...
    expected = h1(body.decode("utf-8"))  # ...the page is UTF-8, as its <meta> says
    assert body.decode("gb18030", "replace") != body.decode("utf-8")
    item = next(i for i in demo.items("ahcaijing") if i["url"].endswith(path))
    assert item["original"]["title"] == expected
    assert item["title"].startswith("淮南")


def test_decoding_evidence_order() -> None:
    text = "<html><head><meta charset='gbk'></head><body>社區(qū) 淮南網</body></html>"
    gbk = text.encode("gbk")
    assert decode_html(gbk).text == text
    assert decode_html(gbk, "text/html; charset=utf-8").evidence == "meta"
    # Valid multi-byte UTF-8 wins over a page that claims GBK.
    assert decode_html(text.encode("utf-8"), "text/html; charset=gbk").text == text
    # A BOM wins over everything.
    assert decode_html(b"\xef\xbb\xbf" + text.encode("utf-8"), "text/html; charset=gbk").evidence == "bom"
    assert decode_html(text.encode("utf-16"), None).text == text


def test_undeclared_gbk_is_detected_and_latin1_headers_are_weak() -> None:
    text = "<p>淮南新冠肺炎疫情防控阻击战系列报道，城市社区篇。力量下沉，筑牢社区疫情防控最强防线。</p>"
    data = text.encode("gbk")
    decoded = decode_html(data, "text/html; charset=ISO-8859-1")
    assert decoded.text == text
    assert decoded.evidence == "detected"


def test_damaged_bytes_keep_every_decodable_character() -> None:
    text = "<meta charset=gb2312><p>" + "淮南网新闻" * 200 + "</p>"
    data = text.encode("gbk")
    truncated = data[:-5]  # "</p>" and half of the last character cut off
    decoded = decode_html(truncated)
    assert decoded.encoding == "gb18030" and decoded.evidence == "meta"
    assert decoded.replacements == 1
    assert decoded.text.startswith(text[:500])


def test_empty_and_text_input() -> None:
    assert decode_html(b"").text == ""
    assert decode_html("已是文本").text == "已是文本"
    assert decode_html(b"plain ascii").text == "plain ascii"


def test_every_fixture_page_decodes_cleanly() -> None:
    pages = [p for p in SITES_DIR.rglob("*") if p.suffix in (".html", ".htm", ".asp", ".md")]
    assert len(pages) > 40
    for page in pages:
        decoded = decode_html(page.read_bytes())
        assert decoded.replacements == 0, page
        assert "\ufffd" not in decoded.text, page


def test_declared_utf8_is_kept_when_a_few_sequences_are_broken() -> None:
    text = "<html><head><meta charset='utf-8'></head><body><p>" + "淮南市今年将继续推进城乡道路建设。" * 8 + "</p></body></html>"
    data = text.encode("utf-8")
    at = data.index("城乡".encode())
    cut = data[:at] + data[at:at + 1] + data[at + 3:]  # one character cut to its first byte
    near = cut.index("道路".encode(), 200)
    broken = cut[:near] + b"\xff\xfe" + cut[near:]
    for page, bad in ((cut, 1), (broken, 3)):
        decoded = decode_html(page, "text/html; charset=utf-8")
        assert (decoded.encoding, decoded.evidence, decoded.replacements) == ("utf-8", "meta", bad)
        assert decoded.text.replace("\ufffd", "") == text.replace("城", "", 1)
    # Without a declaration too: mostly valid UTF-8 is UTF-8.
    assert decode_html(cut).encoding == "utf-8"


def test_mixed_pages_are_read_run_by_run() -> None:
    head = "<html><head><meta charset='utf-8'></head><body><p>" + "淮南市今年将继续推进城乡道路建设。" * 8
    footer = "本站版权所有，转载须注明出处"
    page = head.encode("utf-8") + b"</p><div>" + footer.encode("gbk") + b"</div></body></html>"
    decoded = decode_html(page, "text/html; charset=utf-8")
    assert decoded.text == head + "</p><div>" + footer + "</div></body></html>"
    assert decoded.replacements == 0 and decoded.mixed == len(footer.encode("gbk"))
    # A GBK page with a UTF-8 stretch, and a GBK page with a stray byte.
    gbk = "<meta charset=gbk><p>" + "淮南网新闻报道" * 50 + "</p>"
    data = gbk.encode("gbk")
    insert = "这是一段统一码文字"
    at = len("<meta charset=gbk><p>淮南网新闻报道".encode("gbk"))
    decoded = decode_html(data[:at] + insert.encode("utf-8") + data[at:])
    assert decoded.encoding == "gb18030" and decoded.text == gbk[:len("<meta charset=gbk><p>淮南网新闻报道")] + \
        insert + gbk[len("<meta charset=gbk><p>淮南网新闻报道"):]
    decoded = decode_html(data[:at] + b"\xff" + data[at:])
    assert decoded.encoding == "gb18030" and decoded.replacements == 1
    # A page that is really GBK keeps being read as GBK though it claims UTF-8.
    assert decode_html(data, "text/html; charset=utf-8").text == gbk


def test_nul_bytes_are_dropped_and_counted() -> None:
    page = "<meta charset='utf-8'><p>淮南市\x00今年将继续推进\x00\x00城乡道路建设。</p>"
    decoded = decode_html(page.encode("utf-8"))
    assert decoded.text == page.replace("\x00", "") and decoded.nuls == 3
    body = extract_article(("<html><body><article>" + "<p>淮南市\x00今年将继续推进城乡道路建设，改善群众出行条件，"
                            "相关部门表示，全年计划新建和改造道路一百二十公里。</p>" * 3 + "</article></body></html>").encode(),
                           "http://www.example.cn/news/20240101/1.html")["body"]
    assert body and "\ufffd" not in body and "\x00" not in body
