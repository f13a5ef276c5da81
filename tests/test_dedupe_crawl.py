"""Dedupe in real crawls: the clone site's copies join their originals' clusters, and the
original is each story's canonical record, whatever the crawl order; a better copy in a later run
re-points its cluster; a second run exports nothing new and fetches no known article again."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

import yaml
from conftest import REPO, CrawlOutput, read_jsonl, run_scrapy, site_config
from test_archive import records

from crawler.commands.demo import CLONE_SITE
from crawler.sites import SITES

ARTICLES = yaml.safe_load((REPO / "tools" / "fixtures" / "articles.yaml").read_text("utf-8"))
ORIGINAL_SPIDERS = ["chuzhou", "huainan", "qutoutiao"]  # the sources the clone site copies


def clone_pairs() -> list[tuple[str, str]]:
    """(clone URL, original URL) for every story the clone site republishes."""
    pairs = []
    for clone in ARTICLES["clone"]:
        site, key = clone["of"].split("/", 1)
        if site == "qutoutiao":
            original = f"http://hexo-mirror.invalid/source/_posts/{quote(key)}.md"
        else:
            host = {"chuzhou": "szbk.chuzhou.cn", "hhzb": "hhzb.huainannet.com"}[site]
            original = next(u for u in site_config(host)["articles"] if u.endswith(f"content_{key}.html"))
        pairs.append((f"http://news.clone-farm.example/news/shms/{clone['date']}/{clone['id']}.html", original))
    return pairs


def all_records(out: CrawlOutput, spiders: list[str]) -> dict[str, dict]:
    return {r["url"]: r for spider in spiders for r in out.items(spider)}


def assert_clustered(out: CrawlOutput) -> dict[str, dict]:
    recs = all_records(out, [*SITES, "generic"])
    for clone, original in clone_pairs():
        assert recs[clone]["dedupe"]["cluster"] == recs[original]["dedupe"]["cluster"], (clone, original)
    return recs


CHUZHOU_STORY = "凝心聚力齐抗“疫”"


def assert_originals_canonical(out: CrawlOutput) -> dict[str, dict]:
    """Every story once in the current view, the source site's copy of each cloned story."""
    recs = assert_clustered(out)
    current = out.current()
    assert len(current) == len({r["dedupe"]["cluster"] for r in current}) == \
        len({r["dedupe"]["cluster"] for r in recs.values()})
    by_url = {r["url"]: r for r in current}
    for clone, original in clone_pairs():
        assert original in by_url and clone not in by_url, (clone, original)
        assert recs[clone]["id"] in by_url[original]["dedupe"]["copies"]
        assert by_url[original]["dedupe"]["canonical_because"][0] in ("named_source", "source_site")
    story = next(r for r in current if (r["title"] or "").startswith(CHUZHOU_STORY))
    assert story["site"] == "chuzhou" and story["authors"] == ["吴胜", "程静文"]
    return by_url


def test_clone_copies_cluster_with_their_originals(demo: CrawlOutput) -> None:
    assert demo.result.returncode == 0, demo.result.stdout[-2000:] + demo.result.stderr[-2000:]
    assert_originals_canonical(demo)
    copies = [r for s in (*SITES, "generic") for r in demo.copies(s)]
    recs = all_records(demo, [*SITES, "generic"])
    for copy in copies:
        assert copy["dedupe"]["cluster"] == recs[copy["url"]]["dedupe"]["cluster"]
        assert copy["dedupe"]["duplicate_of"] != copy["id"] and copy["dedupe"]["similarity"] >= 0.5


def test_the_source_copy_is_canonical_whatever_the_crawl_order(server, tmp_path: Path) -> None:
    clone = [["crawl", "generic", *(a for k, v in CLONE_SITE.items() for a in ("-a", f"{k}={v}"))]]
    originals = [["crawl", spider] for spider in ORIGINAL_SPIDERS]
    canonical: dict[str, set[str]] = {}
    for order, crawls in {"clone-first": clone + originals, "clone-last": originals + clone}.items():
        out_dir = tmp_path / order
        common = ["-s", f"FIXTURE_SERVER={server.address}", "-s", f"OUTPUT_DIR={out_dir}",
                  "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "LOG_LEVEL=WARNING"]
        for n, args in enumerate(crawls):
            result = run_scrapy(*args, *common)
            assert result.returncode == 0, result.stderr[-2000:]
            if order == "clone-first" and n == 0:
                # Before the originals arrive: the clone's copies are the stories, each once.
                assert run_scrapy("stories", *common).returncode == 0
                before = CrawlOutput(out_dir, None).current()
                assert {r["url"] for r in before} == {c for c, _ in clone_pairs()}
        assert run_scrapy("stories", *common).returncode == 0
        out = CrawlOutput(out_dir, None)
        by_url = assert_originals_canonical(out)
        canonical[order] = {url: r["dedupe"]["content_hash"] for url, r in by_url.items()}
        recs = assert_clustered(out)
        events = read_jsonl(out_dir / "clusters.jsonl")
        if order == "clone-first":
            # Each original arrived in a later run than its clone and re-pointed the cluster.
            assert sorted((e["former"], e["canonical"]) for e in events) == sorted(
                ([recs[c]["id"]], recs[o]["id"]) for c, o in clone_pairs())
            repointed = sum(json.loads(p.read_text("utf-8"))["articles"]["repointed"]
                            for s in ORIGINAL_SPIDERS for p in (out_dir / "reports" / s).glob("*.json"))
            assert repointed == len(clone_pairs())
        else:
            assert events == []  # the originals came first: nothing to re-point
            for clone_url, _ in clone_pairs():
                assert recs[clone_url]["dedupe"]["duplicate_of"] is not None
    assert canonical["clone-first"] == canonical["clone-last"]


def test_second_run_exports_nothing_new_and_fetches_no_known_article(tmp_path: Path) -> None:
    first = run_scrapy("demo", "-s", f"OUTPUT_DIR={tmp_path}", timeout=300)
    assert first.returncode == 0, first.stderr[-2000:]
    exported = {p.relative_to(tmp_path): p.read_bytes() for p in tmp_path.glob("*/*.jsonl")}
    warcs = {p.name for p in (tmp_path / "warc").glob("*.warc.gz")}
    second = run_scrapy("demo", "-s", f"OUTPUT_DIR={tmp_path}", timeout=300)
    assert second.returncode == 0, second.stdout[-2000:] + second.stderr[-2000:]
    assert {p.relative_to(tmp_path): p.read_bytes() for p in tmp_path.glob("*/*.jsonl")} == exported
    out = CrawlOutput(tmp_path, second)
    article_urls = {u for h in ("szbk.chuzhou.cn", "hhzb.huainannet.com", "www.huainannet.com", "www.ahcaijing.com",
                                "www.danfeng.gov.cn", "hexo-mirror.invalid", "news.clone-farm.example")
                    for u in site_config(h)["articles"]}
    skipped = sum(out.stats(s).get("dedupe/known_article_skipped", 0) for s in (*SITES, "generic"))
    assert skipped == len(article_urls)
    assert all(out.stats(s).get("item_scraped_count", 0) == 0 for s in (*SITES, "generic"))
    new_records = [r for r in records(tmp_path) if r["file"] not in warcs]
    fetched_again = {r["uri"] for r in new_records if r["type"] == "request"}
    assert fetched_again and not fetched_again & article_urls  # listings yes, known articles no
    # Unchanged pages are archived as revisits, not full responses (but for empty payloads,
    # redirects, which are never revisits).
    kinds = [r["type"] for r in new_records if r["type"] != "response" or r["content"]]
    assert kinds.count("response") == 0 and kinds.count("revisit") >= len(fetched_again) > 0
    assert "already archived" in second.stdout
