"""Meta refresh redirects, looked for without decoding a page that has none: the same answers
as Scrapy's MetaRefreshMiddleware, page for page."""

from __future__ import annotations

import pytest
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware
from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler

from crawler.downloader.redirects import QuickMetaRefreshMiddleware

FILLER = "<p>淮南市今天召开会议，部署全市重点工作。</p>" * 40


def page(head: str, encoding: str = "utf-8", filler: str = FILLER) -> bytes:
    return f"<html><head>{head}</head><body>{filler}</body></html>".encode(encoding)


PAGES = {
    "no refresh": (page("<title>新闻</title>"), "utf-8"),
    "refresh": (page('<meta http-equiv="refresh" content="0; url=/moved.html">'), "utf-8"),
    "refresh, upper case": (page('<META HTTP-EQUIV="REFRESH" CONTENT="0;URL=/moved.html">'), "utf-8"),
    "refresh, GBK": (page('<meta http-equiv="refresh" content="0; url=/新.html">', "gbk"), "gbk"),
    "refresh spelled by references": (page('<meta http-equiv="&#114;efresh" content="0; url=/moved.html">'), "utf-8"),
    "refresh by hex references": (page('<meta http-equiv="r&#x65;fresh" content="0; url=/moved.html">'), "utf-8"),
    "refresh, UTF-16": (page('<meta http-equiv="refresh" content="0; url=/moved.html">', "utf-16"), "utf-16"),
    "refresh after 4,096 characters": (page("", filler=FILLER * 6 + '<meta http-equiv="refresh" content="0; url=/x">'),
                                       "utf-8"),
    "refresh in a script": (page('<script>var refresh = 1;</script>'), "utf-8"),
    "refresh too slow": (page('<meta http-equiv="refresh" content="600; url=/moved.html">'), "utf-8"),
}


@pytest.mark.parametrize("name", sorted(PAGES))
def test_the_same_answer_as_scrapys(name: str) -> None:
    body, encoding = PAGES[name]
    crawler = get_crawler()
    request = Request("http://news.example.cn/a/1.html")
    ours = QuickMetaRefreshMiddleware.from_crawler(crawler).process_response(
        request, HtmlResponse(request.url, body=body, encoding=encoding, request=request))
    theirs = MetaRefreshMiddleware.from_crawler(crawler).process_response(
        request, HtmlResponse(request.url, body=body, encoding=encoding, request=request))
    assert type(ours) is type(theirs)
    assert ours.url == theirs.url
    redirected = {"refresh", "refresh, upper case", "refresh, GBK", "refresh, UTF-16"}
    assert isinstance(ours, Request) == (name in redirected)


def test_a_page_with_no_refresh_is_not_decoded() -> None:
    request = Request("http://news.example.cn/a/1.html")
    response = HtmlResponse(request.url, body=page("<title>新闻</title>"), encoding="utf-8", request=request)
    assert QuickMetaRefreshMiddleware.from_crawler(get_crawler()).process_response(request, response) is response
    assert response._cached_ubody is None  # Scrapy's decoded text, made on first use


def test_the_crawl_uses_it_in_place_of_scrapys() -> None:
    from scrapy.utils.project import get_project_settings

    middlewares = get_project_settings().getdict("DOWNLOADER_MIDDLEWARES")
    assert middlewares["scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware"] is None
    assert middlewares["crawler.downloader.redirects.QuickMetaRefreshMiddleware"] == 580
