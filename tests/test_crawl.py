"""Crawling the fixture sites: every article reached from the start URLs, nothing else an item,
failures counted and the crawl going on."""

from __future__ import annotations

import pytest
from conftest import CrawlOutput, read_jsonl, run_scrapy, site_config

from crawler.fixtures import fixture_hosts
from crawler.sites import SITES

CLONE_HOST = "news.clone-farm.example"


def articles_of(hosts: list[str]) -> set[str]:
    return {url for host in hosts for url in site_config(host)["articles"]}


def fixture_hosts_of(spider: str) -> list[str]:
    return [h for h in fixture_hosts() if SITES[spider].owns(f"http://{h}/")]


@pytest.mark.parametrize("spider", sorted(SITES))
def test_spider_reaches_every_article_and_only_articles(demo: CrawlOutput, spider: str) -> None:
    urls = [item["url"] for item in demo.items(spider)]
    expected = articles_of(fixture_hosts_of(spider))
    assert expected, f"no fixture articles for {spider}"
    assert len(urls) == len(set(urls)), "an article was yielded twice"
    assert set(urls) == expected


def test_generic_spider_crawls_the_clone_site(demo: CrawlOutput) -> None:
    items = demo.items("generic")
    assert {item["url"] for item in items} == articles_of([CLONE_HOST])
    for item in items:
        assert item["title"] and len(item["body"]) > 50
        assert "亚洲" not in item["body"], "spam left in a clone's body"


def test_demo_succeeds_and_reports_every_spider(demo: CrawlOutput) -> None:
    assert demo.result.returncode == 0, demo.result.stdout[-2000:] + demo.result.stderr[-3000:]
    for spider in (*SITES, "generic"):
        assert demo.items(spider), f"no articles from {spider}"
        assert f"  {spider}" in demo.result.stdout
        assert demo.stats(spider)["finish_reason"] == "finished"


def test_known_failures_are_counted(demo: CrawlOutput) -> None:
    # huainan's topic list links a deleted article; ahcaijing's a page the server errors on.
    assert demo.stats("huainan").get("errors/http_404") == 1
    assert demo.stats("ahcaijing").get("errors/http_500") == 1
    assert demo.stats("ahcaijing").get("retry/count", 0) >= 1


def test_robots_txt_is_obeyed(demo: CrawlOutput) -> None:
    # huainan's pages link /admin/login.asp, which its robots.txt disallows; it is no article
    # pattern either, so nothing asks for it: robots.txt itself was fetched and parsed.
    stats = demo.stats("huainan")
    assert stats.get("robotstxt/request_count", 0) >= 1
    assert stats.get("robotstxt/response_status_count/200", 0) >= 1


def test_a_bad_day_on_a_site(server, tmp_path) -> None:
    """404, 500, a timeout, an empty page, a page with no article, a robots-disallowed article:
    each counted, and the good article next to them still archived."""
    host = "www.danfeng.gov.cn"
    bad = {
        "/info/1061/9000001.htm": {"status": 404},
        "/info/1061/9000002.htm": {"status": 500},
        "/info/1061/9000003.htm": {"delay": 8.0, "body": "<html><body>slow</body></html>"},
        "/info/1061/9000004.htm": {"body": ""},
        "/info/1061/9000005.htm": {"body": "<html><body><div class='nav'><a href='/'>首頁</a></div></body></html>"},
        "/system/9000006.htm": {"body": "<html><body>disallowed</body></html>"},
    }
    for target, route in bad.items():
        server.add_route(host, target, **route)
    links = "".join(f'<li><a href="{t}">x</a></li>' for t in bad)
    server.add_route(host, "/xwzx/xzdt.htm", body=f"""<html><head><meta charset="utf-8"></head><body>
        <ul>{links}<li><a href="/info/1061/158790.htm">good</a></li></ul>
        <a href="/xwzx/xzdt/1.htm">下頁</a></body></html>""")
    server.add_route(host, "/xwzx/bmdt.htm", status=404)
    # An article URL that robots.txt disallows, linked from the second listing page.
    server.add_route(host, "/robots.txt", body="User-agent: *\nDisallow: /info/1061/9000007.htm\n",
                     headers=[("Content-Type", "text/plain")])
    server.add_route(host, "/xwzx/xzdt/1.htm",
                     body='<html><body><a href="/info/1061/9000007.htm">hidden</a></body></html>')
    server.add_route(host, "/info/1061/9000007.htm", body="<html><body>never fetched</body></html>")

    result = run_scrapy("crawl", "danfeng", "-s", f"FIXTURE_SERVER={server.address}",
                        "-s", f"OUTPUT_DIR={tmp_path}", "-s", "DOWNLOAD_TIMEOUT=3",
                        "-s", "RETRY_TIMES=1", "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0")
    assert result.returncode == 0, result.stderr[-3000:]
    out = CrawlOutput(tmp_path, result)
    stats = out.stats("danfeng")
    assert stats.get("errors/http_404") == 2  # the article and the second listing
    assert stats.get("errors/http_500") == 1
    assert stats.get("errors/timeout") == 1
    assert stats.get("article/no_body") == 2  # the empty page and the page with no article
    assert stats.get("robotstxt/forbidden") == 1
    assert [i["url"] for i in read_jsonl(tmp_path / "articles" / "danfeng.jsonl")] == \
        ["https://www.danfeng.gov.cn/info/1061/158790.htm"]
    fetched = {r.target for r in server.served(host)}
    assert "/info/1061/9000007.htm" not in fetched
    assert "no article body found on https://www.danfeng.gov.cn/info/1061/9000004.htm" in result.stderr
