"""Bytes to text: GBK with the charset only in <meta>, a wrong HTTP charset, damaged input."""

from __future__ import annotations

import re
import urllib.request

from conftest import SITES_DIR, CrawlOutput

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
