"""The original wins in a real crawl: a site listing converted mirror copies before their
originals, crawled with `generic`; the current stories view, and a second run adding nothing."""

from __future__ import annotations

import json
import random
from pathlib import Path

from conftest import read_jsonl, run_scrapy
from test_dedupe import SPAM, sentence_pool

from crawler.state import open_store
from crawler.testing.clones import clonify

HOST = "mirrors.fixture-news.example"
ALLOW = r"/news/\d{4}-\d{2}-\d{2}/\d+\.html$"
PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{title} - 江淮资讯网</title></head>
<body>
<div class="header"><a href="/">首页</a> <a href="/news/">新闻</a> <a href="/about.html">关于我们</a></div>
<div class="main">
<h1>{title}</h1>
<div class="info">发布时间：{date} 09:30　来源：{source}</div>
<div class="article">
{paragraphs}
</div>
</div>
<div class="sidebar"><h3>热点推荐</h3><ul><li>江淮资讯网客户端上线</li><li>关注我们的公众号</li></ul></div>
<div class="footer">Copyright © 2020 江淮资讯网 版权所有 未经授权禁止转载 皖ICP备00000000号</div>
</body></html>
"""


def _article(rng: random.Random, pool: list[str]) -> tuple[str, list[str]]:
    sentences = rng.sample(pool, 12)
    paragraphs = ["".join(sentences[i:i + 3]) for i in range(0, 12, 3)]
    return sentences[0][:14].rstrip("，。、"), paragraphs


def _page(title: str, paragraphs: list[str], date: str, source: str) -> str:
    return PAGE.format(title=title, date=date, source=source,
                       paragraphs="\n".join(f"<p>{p}</p>" for p in paragraphs))


def mirror_site(server) -> dict[str, str]:
    """Serve the site; {mirror URL: its original's URL}, and the unrelated articles under None."""
    rng = random.Random(11)
    pool = [s for s in sentence_pool() if "：" not in s]
    url = f"http://{HOST}/news/2020-03-%02d/%d.html"
    mirrors, originals, unrelated = [], [], []
    for n in range(3):
        title, paragraphs = _article(rng, pool)
        original = url % (n + 1, 5000 + n)
        server.add_route(HOST, original.split(HOST, 1)[1], delay=1.5,  # listed after, and slower
                         body=_page(title, paragraphs, f"2020-03-0{n + 1}", "皖南日报"))
        mirror = url % (n + 1, 9000 + n)
        cloned = [clonify(p, seed=n * 10 + i, annotate=0.3) for i, p in enumerate(paragraphs)]
        server.add_route(HOST, mirror.split(HOST, 1)[1],
                         body=_page(clonify(title, seed=n), [*cloned, SPAM], f"2020-03-0{n + 1}", "皖南日报"))
        mirrors.append(mirror)
        originals.append(original)
    for n in range(6):  # the same template, other stories
        title, paragraphs = _article(rng, pool)
        page = url % (10 + n, 7000 + n)
        server.add_route(HOST, page.split(HOST, 1)[1], body=_page(title, paragraphs, f"2020-03-{10 + n}", "皖南日报"))
        unrelated.append(page)
    links = "".join(f'<li><a href="{u}">第{i}篇</a></li>' for i, u in enumerate(mirrors + originals + unrelated))
    server.add_route(HOST, "/news/", body=f"<html><body><ul>{links}</ul></body></html>")
    server.add_route(HOST, "/robots.txt", body="User-agent: *\nAllow: /\n")
    return {**dict(zip(mirrors, originals, strict=True)), **{u: None for u in unrelated}}


def crawl(server, out: Path) -> None:
    for args in (["crawl", "generic", "-a", f"start_url=http://{HOST}/news/", "-a", f"allow={ALLOW}"], ["stories"]):
        result = run_scrapy(*args, "-s", f"FIXTURE_SERVER={server.address}", "-s", f"FIXTURE_HOSTS={HOST}",
                            "-s", f"OUTPUT_DIR={out}", "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0",
                            "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=16",  # all at once: the slow originals arrive last
                            "-s", "LOG_LEVEL=WARNING")
        assert result.returncode == 0, result.stderr[-3000:]


def test_originals_listed_after_their_mirrors_are_canonical(server, tmp_path: Path) -> None:
    pages = mirror_site(server)
    crawl(server, tmp_path)
    records = {r["url"]: r for kind in ("articles", "duplicates") for r in read_jsonl(tmp_path / kind / "generic.jsonl")}
    assert set(records) == set(pages) | {o for o in pages.values() if o}
    ids = {url: r["id"] for url, r in records.items()}
    stories = read_jsonl(tmp_path / "stories.jsonl")
    by_url = {r["url"]: r for r in stories}
    # Nine stories: three originals (each with its mirror as copy), six others of their own.
    assert len(stories) == len({r["dedupe"]["cluster"] for r in stories}) == 9
    assert set(by_url) == {o for o in pages.values() if o} | {u for u, o in pages.items() if o is None}
    store = open_store(tmp_path)
    try:
        for mirror, original in pages.items():
            if original is None:
                assert by_url[mirror]["dedupe"]["copies"] == [], mirror  # the template merged nothing
                continue
            story = by_url[original]
            assert story["dedupe"]["copies"] == [ids[mirror]]
            assert "no_repair" in story["dedupe"]["canonical_because"]
            assert story["normalization"]["chars_converted"] == 0
            # The mirror was filed first (canonical then), and is now a copy of its original.
            assert records[mirror]["dedupe"]["duplicate_of"] is None
            assert records[original]["dedupe"]["replaced"] == [ids[mirror]]
            members = {m.record_id: m.duplicate_of for m in store.members(story["dedupe"]["cluster"])}
            assert members == {ids[original]: None, ids[mirror]: ids[original]}
    finally:
        store.close()
    events = read_jsonl(tmp_path / "clusters.jsonl")
    assert sorted((e["event"], e["former"][0], e["canonical"]) for e in events) == sorted(
        ("repointed", ids[m], ids[o]) for m, o in pages.items() if o)
    report = json.loads(max((tmp_path / "reports" / "generic").glob("*.json")).read_text("utf-8"))
    assert report["articles"]["repointed"] == 3 and report["articles"]["new_stories"] == 9

    # A second run adds nothing: no record, no event, the same stories.
    before = {p.relative_to(tmp_path): p.read_bytes() for p in [*tmp_path.glob("*/*.jsonl"), *tmp_path.glob("*.jsonl")]}
    crawl(server, tmp_path)
    after = {p.relative_to(tmp_path): p.read_bytes() for p in [*tmp_path.glob("*/*.jsonl"), *tmp_path.glob("*.jsonl")]}
    assert after == before
