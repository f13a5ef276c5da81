"""`generic` on sites no spider knows: any port, articles told by their content, sitemaps and
feeds, bounds that hold against spider traps, and the site declaration it learns."""

from __future__ import annotations

import gzip
import re
import threading
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import CrawlOutput, run_scrapy, site_config
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler, get_reactor_settings

from crawler import settings as project
from crawler.discover.bounds import Bounds
from crawler.discover.dates import parse_day
from crawler.discover.feeds import FeedEntry, feed_entries
from crawler.discover.patterns import PatternLearner, url_pattern
from crawler.extract import extract
from crawler.extract.kind import judge
from crawler.sites import QUTOUTIAO
from crawler.spiders.generic import GenericSpider, NewsSitemap
from crawler.spiders.links import SiteLinks
from crawler.urls import on_hosts

SMALL = "smallnews.fixture.example"
FEEDS = "feeds.fixture.example"
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "RETRY_TIMES=0"]


def crawl(tmp_path: Path, *args: str) -> CrawlOutput:
    result = run_scrapy("crawl", "generic", *args, "-s", f"OUTPUT_DIR={tmp_path}", *FAST)
    assert result.returncode == 0, result.stderr[-3000:]
    return CrawlOutput(tmp_path, result)


# --- hosts ---------------------------------------------------------------------------------

def test_hosts_match_whatever_the_port() -> None:
    assert on_hosts("http://127.0.0.1:8765/news/3.html", ["127.0.0.1"])
    assert on_hosts("http://127.0.0.1:8765/news/3.html", ["127.0.0.1:9999"])
    assert on_hosts("http://Mirror.Example:8080/a", ["mirror.example"])
    assert not on_hosts("http://other.example:8080/a", ["mirror.example"])
    assert on_hosts("http://m.example.cn/a", ["example.cn"])
    assert not on_hosts("http://m.example.cn/a", ["example.cn"], subdomains=False)
    assert on_hosts("http://www.example.cn:81/a", ["example.cn"], subdomains=False, www=True)
    assert on_hosts("http://example.cn/a", ["www.example.cn"], subdomains=False, www=True)
    assert not on_hosts("http://www.example.cn/a", ["example.cn"], subdomains=False)


def test_link_extractor_follows_links_on_a_port() -> None:
    page = b"""<html><body><a href="/news/3.html">x</a> <a href="http://127.0.0.1:8765/news/4.html">y</a>
        <a href="http://elsewhere.example/news/5.html">z</a></body></html>"""
    response = HtmlResponse("http://127.0.0.1:8765/", body=page)
    urls = SiteLinks(["127.0.0.1"]).extract_urls(response)
    assert urls == ["http://127.0.0.1:8765/news/3.html", "http://127.0.0.1:8765/news/4.html"]
    # A site spider on a mirror given with its port: its links and its offsite filter still work.
    mirror = QUTOUTIAO.on_host("127.0.0.1:8765")
    assert mirror.owns("http://127.0.0.1:8765/source/_posts/x.md") and mirror.domains == ("127.0.0.1",)


# --- the page rule ---------------------------------------------------------------------------

def test_fixture_pages_are_judged_by_content() -> None:
    for host in (SMALL, "news.clone-farm.example", "www.huainannet.com", "szbk.chuzhou.cn"):
        articles = set(site_config(host)["articles"])
        folder = Path(__file__).resolve().parents[1] / "crawler" / "fixtures" / "sites" / host
        for page in folder.rglob("*"):
            if not page.is_file() or page.name.startswith("_") or page.suffix == ".txt":
                continue
            url = f"http://{host}/{page.relative_to(folder).as_posix()}"
            verdict = judge(extract(page.read_bytes(), "http://unknown.example/page.html"))
            is_article = any(url.replace("index.html", "") == a or
                             re.sub(r"__(.*)\.asp$", r"?\1", url).replace(".asp?", "?") ==
                             a.replace(".asp?", "?") for a in articles)
            assert verdict.is_article == is_article, (url, verdict)


def test_real_pages_are_judged_by_content(pytestconfig: pytest.Config) -> None:
    root = Path(pytestconfig.getoption("--datasets"))
    articles = sorted((root / "zh-news-unlabelled" / "articles").glob("*.html")) + \
        sorted((root / "zh-extraction-dev" / "original").glob("*.html"))
    listings = sorted((root / "zh-news-unlabelled" / "listings").glob("*.html"))
    if not articles or not listings:
        pytest.skip(f"no data sets under {root} (--datasets DIR or ZH_DATASETS)")
    url = "http://unknown.example/page.html"
    missed = [p.name for p in articles if not judge(extract(p.read_bytes(), url)).is_article]
    wrong = [p.name for p in listings if judge(extract(p.read_bytes(), url)).is_article]
    print(f"articles judged articles: {len(articles) - len(missed)}/{len(articles)}; "
          f"listings judged articles: {len(wrong)}/{len(listings)}")
    assert wrong == []
    assert len(missed) <= 0.02 * len(articles), missed  # other-1.html: no prose on the page


# --- discovery and bounds, pure ---------------------------------------------------------------

def test_feed_and_sitemap_dates() -> None:
    assert parse_day("Tue, 18 Feb 2020 01:00:00 +0800") == date(2020, 2, 18)  # the publisher's day
    assert parse_day("2020-02-18T23:30:00-05:00") == date(2020, 2, 18)
    assert parse_day("2020-02-18") == date(2020, 2, 18)
    assert parse_day("soon") is None
    atom = b"""<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>
      <entry><title>a</title><link href="/a/1"/><published>2024-03-01T10:00:00+08:00</published></entry></feed>"""
    assert feed_entries(atom, "http://x.example/feed") == [FeedEntry("http://x.example/a/1", date(2024, 3, 1), "a")]
    assert feed_entries(b"<html><body>no feed</body></html>", "http://x.example/") is None


def test_google_news_sitemap_keeps_its_dates() -> None:
    folder = Path(__file__).resolve().parents[1] / "crawler" / "fixtures" / "sites" / FEEDS
    entries = list(NewsSitemap(gzip.decompress((folder / "sitemaps" / "news.xml.gz").read_bytes())))
    assert len(entries) == 4
    published = site_config(FEEDS)["published"]
    for entry in entries:
        assert parse_day(entry["news_publication_date"]) == date.fromisoformat(published[entry["loc"]])
        assert entry["news_title"]


def test_bounds_stop_traps() -> None:
    bounds = Bounds(depth=2, max_pages=50, today=date(2024, 3, 1), since=date(2023, 1, 1))
    assert bounds.refuse("http://x/a", 3) == "depth"
    assert bounds.refuse("http://x/calendar?month=2031-01", 1) == "calendar"
    assert bounds.refuse("http://x/archive/2019/05/01/", 1) == "since"
    assert bounds.refuse("http://x/login.php?next=/", 1) == "deny"
    assert bounds.refuse("http://x/a/b/a/b/a/b/", 1) == "repeats"
    for i in range(5):
        assert bounds.refuse(f"http://x/list?{'&'.join(f'p{j}=1' for j in range(i + 1))}", 1) is None
    assert bounds.refuse("http://x/list?q=1&sort=2", 1) == "query"  # a sixth set of parameters
    assert bounds.refuse("http://x/list?p0=7", 1) is None  # a set already seen: more values are fine
    while bounds.requested < 50:
        bounds.refuse(f"http://x/news/{bounds.requested}.html", 1)
    assert bounds.refuse("http://x/news/next.html", 1) == "max_pages"
    assert set(bounds.refused) == {"depth", "calendar", "since", "deny", "repeats", "query", "max_pages"}


def test_learned_patterns() -> None:
    assert url_pattern("http://x/news/shms/2020-02-18/1370551.html") == r"^/news/shms/\d+-\d+-\d+/\d+\.html$"
    assert url_pattern("http://x/zt_content.asp?id=106231") == r"^/zt_content\.asp\?id=\d+$"
    learner = PatternLearner()
    for section in ("a", "b", "c"):
        learner.add(f"http://x/news/{section}/1.html", "article")
    assert learner.patterns("article") == [(r"^/news/[^/]+/\d+\.html$", 3)]
    assert learner.looks_like("http://x/news/d/22.html", "article")


def test_the_learner_keeps_counts_not_urls() -> None:
    """A long crawl's learner holds a count and one URL per pattern, not every URL."""
    learner = PatternLearner()
    for n in range(20_000):
        learner.add(f"http://x/news/2024-05-{n % 28 + 1:02d}/{n}.html", "article")
        learner.add(f"http://x/list/{n % 7}.html", "listing")
    assert learner.total("article") == 20_000 and len(learner.examples["article"]) == 1
    assert learner.patterns("article") == [(r"^/news/\d+-\d+-\d+/\d+\.html$", 20_000)]
    assert learner.url_date() is not None and learner.looks_like("http://x/news/2024-06-01/9.html", "article")


# --- crawls -----------------------------------------------------------------------------------

def test_small_site_on_a_port_without_allow(server, tmp_path: Path) -> None:
    """Articles `/news/N.html`, teaser listings, all on a port: every article found and
    exported, no listing (nor the home or about page) taken for one."""
    port = server.address.rsplit(":", 1)[1]
    site = f"http://{SMALL}:{port}"
    out = crawl(tmp_path, "-a", f"start_url={site}/", "-s", f"FIXTURE_SERVER={server.address}")
    urls = sorted(item["url"] for item in out.items("generic"))
    expected = sorted(u.replace(f"http://{SMALL}", site) for u in site_config(SMALL)["articles"])
    assert len(expected) == 6 and urls == expected
    stats = out.stats("generic")
    assert stats["generic/page/listing"] == 2 and stats.get("generic/page/article") == 6
    assert stats["finish_reason"] == "finished"
    for item in out.items("generic"):
        assert item["title"] and item["published"] and len(item["body"]) > 100
    # What it learned, as a site declaration a site spider can start from.
    text = (tmp_path / "sites" / "smallnews_fixture_example.py").read_text("utf-8")
    namespace: dict = {}
    exec(text, namespace)
    declared = namespace["SMALLNEWS_FIXTURE_EXAMPLE"]
    assert declared.articles == (r"^/news/\d+\.html$",)
    assert all(declared.is_article(u) for u in expected)
    assert declared.is_listing(f"{site}/news/index_2.html") and not declared.is_article(f"{site}/news/")
    assert "site declaration learned from this crawl" in out.result.stderr


def test_sitemaps_and_feeds(server, tmp_path: Path) -> None:
    """robots.txt → sitemap index → gzipped Google News sitemap, and the RSS feed the home page
    names: every article they list, though only one is linked from a page; `since` skips by
    their dates."""
    config = site_config(FEEDS)
    common = ["-a", f"start_url=http://{FEEDS}/", "-s", f"FIXTURE_SERVER={server.address}"]
    out = crawl(tmp_path / "all", *common)
    assert sorted(i["url"] for i in out.items("generic")) == sorted(config["articles"])
    stats = out.stats("generic")
    assert stats["generic/sitemap/entries"] == 4 and stats["generic/feed/entries"] == 3
    assert not [k for k in stats if k.startswith("errors/")]
    fetched = {r.target for r in server.served(FEEDS)}
    assert {"/robots.txt", "/sitemap_index.xml", "/sitemaps/news.xml.gz", "/rss.xml"} <= fetched

    since = "2024-01-01"
    out = crawl(tmp_path / "since", *common, "-a", f"since={since}")
    newer = sorted(u for u, day in config["published"].items() if day >= since)
    assert len(newer) == 3 and sorted(i["url"] for i in out.items("generic")) == newer
    assert out.stats("generic")["generic/bounds/since"] >= 3


def test_feed_given_on_the_command_line(server, tmp_path: Path) -> None:
    config = site_config(FEEDS)
    out = crawl(tmp_path, "-a", f"feed=http://{FEEDS}/rss.xml", "-a", "depth=0",
                "-s", f"FIXTURE_SERVER={server.address}")
    in_feed = {u for u in config["articles"] if u.endswith(("spring-volunteers", "school-meals", "old-bridge"))}
    assert {i["url"] for i in out.items("generic")} == in_feed


class _Calendar(BaseHTTPRequestHandler):
    """An endless events calendar: each month links the next and the previous, its days, and
    the same month in other views, orders and filters."""

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path == "/robots.txt":
            body = b"User-agent: *\nAllow: /\n"
        else:
            month = parse_qs(parts.query).get("month", ["2024-01"])[0]
            y, m = map(int, month.split("-"))
            nxt = f"{y + m // 12}-{m % 12 + 1:02d}"
            prev = f"{y - (m == 1)}-{(m - 2) % 12 + 1:02d}"
            links = [f"/calendar?month={nxt}", f"/calendar?month={prev}"]
            links += [f"/calendar/day?date={month}-{d:02d}" for d in range(1, 29)]
            links += [f"/calendar?month={month}&{facets}" for facets in (
                "view=list", "sort=asc", "view=list&sort=asc", "tag=1", "lang=en", "tag=1&lang=en", "page=2")]
            body = ("<html><body>" + "".join(f'<a href="{u}">{u}</a> ' for u in links) +
                    "</body></html>").encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8" if parts.path != "/robots.txt" else "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def test_spider_trap_stops_at_the_bounds(tmp_path: Path) -> None:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Calendar)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        port = httpd.server_address[1]
        month = f"{date.today():%Y-%m}"  # its "next month" is a date after tomorrow
        out = crawl(tmp_path, "-a", f"start_url=http://127.0.0.1:{port}/calendar?month={month}",
                    "-a", "max_pages=60", "-a", "depth=10", "-s", "WARC_ENABLED=0")
    finally:
        httpd.shutdown()
        httpd.server_close()
    stats = out.stats("generic")
    assert stats["finish_reason"] == "finished"
    pages = stats.get("generic/page/no_body", 0) + stats.get("generic/page/listing", 0)
    assert 30 <= pages <= 60  # links followed on the port, and no further than max_pages
    assert stats["generic/bounds/max_pages"] > 0
    assert stats["generic/bounds/calendar"] > 0  # months after tomorrow never asked for
    assert stats["generic/bounds/query"] > 0  # views, orders, filters of one month: a few sets only
    assert out.items("generic") == []


def test_no_robots_txt_then_sitemap_xml_and_allow(server, tmp_path: Path) -> None:
    """A site with no robots.txt: its /sitemap.xml is read (an article no page links to is
    found); with `allow`, the URLs it matches are the articles."""
    host = "plain.fixture.example"
    small = Path(__file__).resolve().parents[1] / "crawler" / "fixtures" / "sites" / SMALL / "news"
    server.add_route(host, "/robots.txt", status=404)
    server.add_route(host, "/", body='<html><body><a href="/n/1.html">一</a></body></html>')
    for n in (1, 2):
        server.add_route(host, f"/n/{n}.html", body=(small / f"{n}.html").read_bytes())
    server.add_route(host, "/sitemap.xml", headers=[("Content-Type", "application/xml")], body=(
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f'<url><loc>http://{host}/n/2.html</loc><lastmod>2024-03-01</lastmod></url></urlset>'))
    out = crawl(tmp_path, "-a", f"start_url=http://{host}/", "-a", r"allow=^/n/\d+\.html$",
                "-s", f"FIXTURE_SERVER={server.address}", "-s", f"FIXTURE_HOSTS={host}")
    assert sorted(i["url"] for i in out.items("generic")) == [f"http://{host}/n/1.html", f"http://{host}/n/2.html"]
    stats = out.stats("generic")
    assert stats["generic/page/listing/allow"] == 1 and stats["generic/sitemap/entries"] == 1


def test_a_link_asked_for_again_is_not_requested_again_however_it_is_written(tmp_path: Path) -> None:
    settings = {name: getattr(project, name) for name in dir(project) if name.isupper() and name != "TWISTED_REACTOR"}
    # Whatever reactor the tests before installed (or none): the spider's requests need none.
    settings.update(get_reactor_settings(), OUTPUT_DIR=str(tmp_path))
    spider = GenericSpider.from_crawler(get_crawler(GenericSpider, settings), start_url="http://news.example.cn/",
                                        depth="1")
    assert spider.page_request("http://news.example.cn/a/1.html", 1) is not None
    assert spider.page_request("http://news.example.cn/a/1.html", 1) is None
    assert spider.page_request("http://NEWS.example.cn/a/1.html#top", 1) is None  # the same page
    assert spider.page_request("http://NEWS.example.cn/a/1.html#top", 1) is None  # now known as written
    # A link refused by a bound is not remembered: it is requested when it comes within it.
    assert spider.page_request("http://news.example.cn/a/2.html", 2) is None  # too deep
    assert spider.page_request("http://news.example.cn/a/2.html", 1) is not None
    assert spider.page_request("http://other.example/a/3.html", 1) is None  # not the site's
