"""The links a spider follows (crawler.spiders.links): the same URLs, in the same order, as
Scrapy's LinkExtractor followed by the host and extension filter it stands in for, on the
fixture sites' pages, on real news pages, and on the hrefs whose joins are easy to get wrong."""

from __future__ import annotations

import pickle
import re
from collections import Counter
from functools import partial
from pathlib import Path
from urllib.parse import urlparse

import parsel.selector
import pytest
from scrapy.http import HtmlResponse
from scrapy.linkextractors import IGNORED_EXTENSIONS, LinkExtractor

from crawler.discover.feeds import is_feed_link
from crawler.extract import html
from crawler.fixtures import fixture_articles
from crawler.reading import Plan, read_article
from crawler.spiders.links import SiteLinks
from crawler.spiders.pagework import links_in, page_of, page_work
from crawler.urls import host_of, on_hosts

_DENIED = tuple("." + e for e in IGNORED_EXTENSIONS)
_ABSOLUTE_HREF = re.compile(rb'href=["\']?(https?://[^/"\'>\s]+)')
_END_TAG = re.compile(rb"</(?:body|html)\s*>", re.I)


def reference(response: HtmlResponse, hosts: list[str], *, subdomains: bool = True, www: bool = False) -> list[str]:
    """What Scrapy's LinkExtractor gives, filtered as SiteLinks filters."""
    return [link.url for link in LinkExtractor(unique=True, deny_extensions=()).extract_links(response)
            if on_hosts(link.url, hosts, subdomains=subdomains, www=www)
            and not urlparse(link.url).path.lower().endswith(_DENIED)]


def main_host(page: bytes) -> str:
    """The host a page links to most: the site it is from, for a URL to give it."""
    hosts = Counter(host_of(href.decode("latin-1")) for href in _ABSOLUTE_HREF.findall(page))
    return hosts.most_common(1)[0][0] if hosts else "www.example.cn"


def test_tricky_hrefs_join_as_scrapy_joins_them() -> None:
    hrefs = ["/", "/x", "/x/../y", "//news.example.cn/p", "//#", "///x", "http://#", "http://news.example.cn",
             "https://news.example.cn/a?b=1#c", "http:/x", "mailto:a@b.cn", "?page=2", "#top", "x.html",
             "../x.html", "HTTP://NEWS.EXAMPLE.CN/Q", "/?p=2", "javascript:void(0)", "ftp://news.example.cn/f",
             " /spaced.html ", "/中文/路径.html", "/a.JPG", "/doc.pdf?x=1", "/x.html#frag", "/x.html"]
    body = "".join(f'<a href="{h}">{i}</a>' for i, h in enumerate(hrefs))
    for url in ("http://news.example.cn/a/b/c.html?x=1", "https://news.example.cn:8443/a/", "http://news.example.cn"):
        for charset in ("utf-8", "gbk"):
            page = f'<html><head><meta charset="{charset}"></head><body>{body}</body></html>'.encode(charset)
            response = HtmlResponse(url, body=page)
            links = SiteLinks(["news.example.cn"])
            expected = reference(response, ["news.example.cn"])
            assert links.extract_urls(response) == expected, (url, charset)
            assert links.extract_urls(response) == expected  # again, from what was kept
    # A <base> moves every relative link, and the page's path stops mattering.
    page = b'<html><head><base href="http://news.example.cn/other/"></head><body>' \
           b'<a href="x.html">1</a><a href="/y.html">2</a><a href="?q">3</a></body></html>'
    response = HtmlResponse("http://news.example.cn/a/b.html", body=page)
    assert SiteLinks(["news.example.cn"]).extract_urls(response) == reference(response, ["news.example.cn"]) == [
        "http://news.example.cn/other/x.html", "http://news.example.cn/y.html", "http://news.example.cn/other/?q"]


def test_hosts_subdomains_and_www() -> None:
    page = b"""<a href="http://www.example.cn/1.html">1</a><a href="http://example.cn/2.html">2</a>
        <a href="http://m.example.cn/3.html">3</a><a href="http://example.cn.evil.example/4.html">4</a>
        <a href="http://example.cn:8080/5.html">5</a>"""
    response = HtmlResponse("http://example.cn/", body=page)
    assert SiteLinks(["example.cn"], subdomains=False, www=True).extract_urls(response) == [
        "http://www.example.cn/1.html", "http://example.cn/2.html", "http://example.cn:8080/5.html"]
    assert SiteLinks(["example.cn"]).extract_urls(response) == [
        "http://www.example.cn/1.html", "http://example.cn/2.html", "http://m.example.cn/3.html",
        "http://example.cn:8080/5.html"]
    assert SiteLinks(["example.cn"], deny_extensions=["html"]).extract_urls(response) == []


def test_fixture_pages_give_scrapys_links() -> None:
    compared = 0
    for article in fixture_articles():
        if not article.file.endswith((".html", ".htm", ".asp")):
            continue
        page = article.page()
        response = HtmlResponse(article.url, body=page)
        host = host_of(article.url)
        assert SiteLinks([host]).extract_urls(response) == reference(response, [host]), article.url
        compared += 1
    assert compared >= 20


def real_pages(pytestconfig: pytest.Config) -> list[Path]:
    root = Path(pytestconfig.getoption("--datasets"))
    pages = sorted(root.glob("zh-extraction-dev/original/*.html")) + sorted(root.glob("zh-news-unlabelled/*/*.html"))
    if not pages:
        pytest.skip(f"no data sets under {root} (--datasets DIR or ZH_DATASETS)")
    return pages


def test_real_pages_give_scrapys_links(pytestconfig: pytest.Config) -> None:
    pages = real_pages(pytestconfig)
    links_seen = 0
    links = {}
    for path in pages:
        page = path.read_bytes()
        host = main_host(page)
        response = HtmlResponse(f"http://{host}/news/2024/{path.stem}.html", body=page)
        # One SiteLinks a host, as a crawl has: what one page resolved serves the next.
        found = links.setdefault(host, SiteLinks([host])).extract_urls(response)
        expected = reference(response, [host])
        assert found == expected, path.name
        links_seen += len(found)
    assert links_seen > 1000


def test_links_of_a_page_rebuilt_in_a_worker() -> None:
    page = b'<html><body><a href="/a/1.html">1</a><a href="/b.zip">z</a><a href="/a/1.html">again</a></body></html>'
    response = HtmlResponse("http://news.example.cn/", body=page)
    links = pickle.loads(pickle.dumps(SiteLinks(["news.example.cn"])))  # as the pool sends it
    assert links_in(*page_of(response), links) == ["http://news.example.cn/a/1.html"]


def test_feeds_named_by_a_page_found_in_the_same_pass_as_its_links() -> None:
    page = (b'<html><head><link rel="alternate" type="application/rss+xml" href="/feed/news">'
            b'<link rel="stylesheet" href="/s.css"></head><body>'
            b'<a href="/rss.xml">RSS</a><a href="/a/1.html">1</a><a href="/rss.xml#top">RSS again</a>'
            b'<a href="http://other.example/rss.xml">elsewhere</a><area href="/map/rss.xml"></body></html>')
    response = HtmlResponse("http://news.example.cn/", body=page)
    links = pickle.loads(pickle.dumps(SiteLinks(["news.example.cn"])))  # as the pool sends it
    urls, feeds = links.page_links(response)
    assert urls == links.extract_urls(response) == reference(response, ["news.example.cn"])
    # `<a>` links that name a feed on the site, each once; not an `<area>`, not another host's.
    assert feeds == ["http://news.example.cn/rss.xml", "http://news.example.cn/rss.xml#top"]
    _, found, named = page_work(*page_of(response), links, None)
    assert found == urls
    assert named == ["http://news.example.cn/feed/news", *feeds]  # the head's first


def test_a_link_rule_sent_to_a_worker_is_the_same_rule() -> None:
    rule = SiteLinks(["news.example.cn"], www=True).rule
    copy = pickle.loads(pickle.dumps(rule))
    assert copy == rule and hash(copy) == hash(rule)
    assert SiteLinks(["news.example.cn"]).rule != rule  # `www` is part of it


def scrapys_feeds(response: HtmlResponse) -> list[str]:
    """The `<link rel="alternate">` feeds of a page, found with Scrapy's selector."""
    links = response.xpath("//link[contains(concat(' ', normalize-space(@rel), ' '), ' alternate ')]")
    return [response.urljoin(link.attrib["href"]) for link in links
            if link.attrib.get("href") and is_feed_link(link.attrib["href"], link.attrib.get("type"))]


def test_a_page_read_for_an_article_is_parsed_once_for_its_links_too(monkeypatch: pytest.MonkeyPatch) -> None:
    page = (b'<html><head><link rel="alternate" type="application/rss+xml" href="/feed"></head><body>'
            + "<p>淮南市今天召开会议，部署全市重点工作，会议要求各部门认真落实各项任务。</p>".encode() * 6
            + b'<a href="/a/1.html">1</a><a href="/rss.xml">RSS</a></body></html>')
    response = HtmlResponse("http://news.example.cn/a/0.html", body=page)
    parses = Counter()
    ours, scrapys = html._parse, parsel.selector.create_root_node
    monkeypatch.setattr(html, "_parse", lambda *a, **k: (parses.update(["extraction"]), ours(*a, **k))[1])
    monkeypatch.setattr(parsel.selector, "create_root_node",
                        lambda *a, **k: (parses.update(["selector"]), scrapys(*a, **k))[1])
    read = partial(read_article, page, response.url, plan=Plan(dedupe=None), page_text=False)
    reading, urls, feeds = page_work(*page_of(response), SiteLinks(["news.example.cn"]), read)
    assert parses == {"extraction": 1}
    assert reading is not None and reading.extraction.has_body
    assert reading.extraction.outlinks is None  # what was followed comes back, not every href
    assert urls == ["http://news.example.cn/a/1.html", "http://news.example.cn/rss.xml"]
    assert feeds == ["http://news.example.cn/feed", "http://news.example.cn/rss.xml"]
    _, unread_urls, unread_feeds = page_work(*page_of(response), SiteLinks(["news.example.cn"]), None)
    assert (unread_urls, unread_feeds) == (urls, feeds) and parses["selector"] == 1  # a listing: Scrapy's parse


def test_links_from_extractions_parse_are_scrapys_on_real_pages(pytestconfig: pytest.Config) -> None:
    pages = [(f"http://{main_host(page)}/news/2024/{path.stem}.html", page)
             for path in real_pages(pytestconfig) for page in [path.read_bytes()]]
    pages += [(a.url, a.page()) for a in fixture_articles() if a.file.endswith((".html", ".htm", ".asp"))]
    compared = early = 0
    for url, page in pages:
        response = HtmlResponse(url, body=page)
        links = SiteLinks([host_of(url)])
        read = partial(read_article, page, url, plan=Plan(normalize=False), page_text=False)
        _, urls, feeds = page_work(*page_of(response), links, read)
        scrapys_urls, a_feeds = links.page_links(response)
        assert scrapys_urls == reference(response, [host_of(url)]), url
        if ends_early(page):
            # A page that closes </html> before its end: a browser shows what follows, and
            # extraction's parse keeps it, where Scrapy's drops it. Its links are Scrapy's and more.
            assert is_subsequence(scrapys_urls, urls), url
            assert is_subsequence([*scrapys_feeds(response), *a_feeds], feeds), url
            early += 1
        else:
            assert urls == scrapys_urls, url
            assert feeds == [*scrapys_feeds(response), *a_feeds], url
        compared += bool(urls)
    assert compared - early > 80  # most compared exactly


def ends_early(page: bytes) -> bool:
    """Whether a page has more than end tags and spaces after its first `</body>` or `</html>`."""
    end = _END_TAG.search(page)
    return end is not None and bool(_END_TAG.sub(b"", page[end.end():]).strip())


def is_subsequence(items: list[str], of: list[str]) -> bool:
    rest = iter(of)
    return all(item in rest for item in items)
