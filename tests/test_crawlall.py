"""Scheduled runs: `scrapy crawlall` run after run, a site that breaks, overlapping runs, a run
killed and started again, progress in the log."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from conftest import REPO, SITES_DIR, CrawlOutput, read_jsonl, run_scrapy
from test_archive import records, warcio_check

FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "RETRY_TIMES=1"]


def crawlall(server, out: Path, *args: str) -> subprocess.CompletedProcess:
    return run_scrapy("crawlall", *args, "-s", f"FIXTURE_SERVER={server.address}", "-s", f"OUTPUT_DIR={out}",
                      *FAST, timeout=300)


def exported(out: Path) -> list[dict]:
    return [r for kind in ("articles", "duplicates") for p in sorted((out / kind).glob("*.jsonl"))
            for r in read_jsonl(p)]


def summary(out: Path) -> dict:
    return json.loads(sorted((out / "reports").glob("crawlall-*.json"))[-1].read_text("utf-8"))


def test_runs_after_runs_and_a_new_article(server, tmp_path: Path) -> None:
    first = crawlall(server, tmp_path)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    before = exported(tmp_path)
    assert len(before) == 22

    second = crawlall(server, tmp_path)
    assert second.returncode == 0, second.stdout[-3000:]
    assert exported(tmp_path) == before  # nothing new exported
    for site in summary(tmp_path)["sites"]:
        assert site["articles"]["exported"] == 0 and site["articles"]["already_archived"] > 0, site
        assert site["pages_fetched"] > 0  # the listings were fetched again
        assert not site["problems"]

    # The e-paper publishes one more article on the page we crawl.
    host, layout = "szbk.chuzhou.cn", "/czrb/pc/layout/202002/26/node_01.html"
    page = (SITES_DIR / host / layout.lstrip("/")).read_text("utf-8")
    new = "/czrb/pc/content/202002/26/content_24999.html"
    server.add_route(host, layout, body=page.replace("</ul></div>", '<li><a href="../../../content/202002/26/content_24999.html">'
                                                               "新增报道</a></li></ul></div>", 1))
    article = (SITES_DIR / host / "czrb/pc/content/202002/26/content_24960.html").read_text("utf-8")
    server.add_route(host, new, body=article.replace("我市新增复工企业152家", "我市又有98家企业复工")
                     .replace("全市新增复工规模以上工业企业152家", "全市又有98家规模以上工业企业复工")
                     .replace("为推动企业加快复工复产", "为帮助返岗职工尽快到岗")
                     .replace("将继续实行驻企联络员制度", "将组织专班上门服务"))
    third = crawlall(server, tmp_path, "chuzhou")
    assert third.returncode == 0, third.stdout[-3000:]
    added = [r for r in exported(tmp_path) if r not in before]
    assert [r["url"] for r in added] == [f"http://{host}{new}"]
    assert added[0]["dedupe"]["duplicate_of"] is None and added[0]["title"] == "我市又有98家企业复工"
    report = summary(tmp_path)["sites"][0]
    assert report["articles"]["exported"] == 1 and report["articles"]["already_archived"] == 4


def test_a_site_whose_template_changed_fails_the_run(server, tmp_path: Path) -> None:
    # 丹凤县 moves to a page that draws the article with JavaScript: nothing to extract.
    host = "www.danfeng.gov.cn"
    for url in json.loads((SITES_DIR / host / "_site.json").read_text("utf-8"))["articles"]:
        path = url.split(host, 1)[1]
        server.add_route(host, path, body='<html><head><meta charset="utf-8"><title>丹凤县人民政府</title></head>'
                                           '<body><div id="app"></div><script src="/static/app.js"></script></body></html>')
    result = crawlall(server, tmp_path, "danfeng", "chuzhou")
    assert result.returncode == 1
    assert "BROKEN: danfeng" in result.stdout
    assert "danfeng" in result.stdout and "extraction found no article on 4 article pages" in result.stdout
    assert summary(tmp_path)["broken"] == ["danfeng"]
    assert read_jsonl(tmp_path / "articles" / "chuzhou.jsonl")  # the other site ran as usual


def test_an_overlapping_run_skips_the_locked_spider(server, tmp_path: Path) -> None:
    (tmp_path / "locks").mkdir()
    with open(tmp_path / "locks" / "chuzhou.lock", "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # another run is crawling chuzhou
        result = crawlall(server, tmp_path, "chuzhou", "qutoutiao")
    assert result.returncode == 0, result.stdout[-3000:]
    assert "skipping chuzhou: another run holds its lock" in result.stderr
    assert "chuzhou: 0 pages" in result.stdout and "skipped: another run holds it" in result.stdout
    assert summary(tmp_path)["skipped"] == ["chuzhou"]
    assert not (tmp_path / "articles" / "chuzhou.jsonl").exists()
    assert len(read_jsonl(tmp_path / "articles" / "qutoutiao.jsonl")) == 4


def test_killed_and_started_again_archives_what_an_uninterrupted_run_does(server, tmp_path: Path) -> None:
    sites = ["huainan", "chuzhou", "ahcaijing"]
    whole, broken = tmp_path / "whole", tmp_path / "broken"
    assert crawlall(server, whole, *sites).returncode == 0
    slow = ["-s", "DOWNLOAD_DELAY=0.4", "-s", "DOWNLOAD_DELAY_JITTER=0", "-s", "AUTOTHROTTLE_ENABLED=0",
            "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1"]
    proc = subprocess.Popen([sys.executable, "-m", "scrapy", "crawlall", *sites, "-s", f"FIXTURE_SERVER={server.address}",
                             "-s", f"OUTPUT_DIR={broken}", *slow], cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 90
    while time.time() < deadline and len(exported(broken)) < 4:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    partial = len(exported(broken))
    assert 4 <= partial < len(exported(whole)), partial
    again = crawlall(server, broken, *sites)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    urls = [r["url"] for r in exported(broken)]
    assert len(urls) == len(set(urls)), "an article was exported twice"
    assert sorted(urls) == sorted(r["url"] for r in exported(whole))
    assert warcio_check(sorted((broken / "warc").glob("*.warc.gz"))).returncode == 0
    # Each article page's response archived once in full; a second fetch can only be a revisit.
    responses = [r["uri"] for r in records(broken) if r["type"] == "response" and r["uri"] in set(urls)]
    assert len(responses) == len(set(responses))


def test_progress_is_logged(server, tmp_path: Path) -> None:
    result = run_scrapy("crawl", "chuzhou", "-s", f"FIXTURE_SERVER={server.address}", "-s", f"OUTPUT_DIR={tmp_path}",
                        "-s", "PROGRESS_INTERVAL=0.5", "-s", "DOWNLOAD_DELAY=0.3", "-s", "AUTOTHROTTLE_ENABLED=0")
    assert result.returncode == 0
    lines = [ln for ln in result.stderr.splitlines() if "progress chuzhou:" in ln]
    assert lines, result.stderr[-2000:]
    assert all("pages (" in ln and "/min)" in ln and "queue" in ln and "errors" in ln for ln in lines)
    report = json.loads(next((tmp_path / "reports" / "chuzhou").glob("*.json")).read_text("utf-8"))
    assert report["articles"]["exported"] == 4 and report["pages_fetched"] == 9
    assert CrawlOutput(tmp_path, result).stats("chuzhou")["finish_reason"] == "finished"
