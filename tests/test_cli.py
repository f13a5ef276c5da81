"""`scrapy list`, `scrapy parse` and `scrapy shell` against the fixture server, as the README
shows them."""

from __future__ import annotations

from conftest import run_scrapy

from crawler.sites import SITES

ARTICLE = "http://www.huainannet.com/zt_content.asp?id=106231"


def test_list_names_every_spider() -> None:
    result = run_scrapy("list")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == sorted([*SITES, "generic"])


def test_parse_prints_the_item(server, tmp_path) -> None:
    result = run_scrapy("parse", "--spider", "huainan", "-c", "parse_article", ARTICLE, "-s", f"OUTPUT_DIR={tmp_path}",
                        "-s", f"FIXTURE_SERVER={server.address}", "-s", "LOG_LEVEL=WARNING")
    assert result.returncode == 0, result.stderr
    assert "# Scraped Items" in result.stdout
    assert "'title': '力量下沉,筑牢社區(qū)疫情防控最強防線'" in result.stdout
    assert "'authors': ['李東華']" in result.stdout


def test_parse_finds_the_spider_by_url(server, tmp_path) -> None:
    result = run_scrapy("parse", "-c", "parse_article", "https://www.danfeng.gov.cn/info/1061/158790.htm",
                        "-s", f"OUTPUT_DIR={tmp_path}",
                        "-s", f"FIXTURE_SERVER={server.address}", "-s", "LOG_LEVEL=WARNING")
    assert result.returncode == 0, result.stderr
    assert "'url': 'https://www.danfeng.gov.cn/info/1061/158790.htm'" in result.stdout


def test_shell_uses_the_sites_spider_and_real_url(server, tmp_path) -> None:
    result = run_scrapy("shell", "-s", f"FIXTURE_SERVER={server.address}", "-s", "LOG_LEVEL=WARNING",
                        "-s", f"OUTPUT_DIR={tmp_path}",
                        "-c", "(spider.name, response.status, response.url)", ARTICLE)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"('huainan', 200, '{ARTICLE}')"
    # The request reached the fixture server under the real Host.
    assert any(r.host == "www.huainannet.com" and r.target == "/zt_content.asp?id=106231"
               for r in server.served())


def test_generic_needs_a_start_url() -> None:
    result = run_scrapy("crawl", "generic", "-s", "LOG_LEVEL=ERROR")
    assert result.returncode != 0
    assert "generic needs -a start_url=URL" in result.stderr


def test_demo_rejects_an_unknown_spider() -> None:
    result = run_scrapy("demo", "nosuchsite")
    assert result.returncode != 0
    assert "unknown site spider" in result.stderr + result.stdout
