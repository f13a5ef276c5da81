"""Dedupe in real crawls: the clone site's copies join their originals' clusters whatever the
crawl order; a second run exports nothing new and fetches no known article again."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest
import yaml
from conftest import REPO, CrawlOutput, run_scrapy, site_config
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


def test_clone_copies_cluster_with_their_originals(demo: CrawlOutput) -> None:
    recs = assert_clustered(demo)
    # Every story once in articles/, its other copies in duplicates/.
    stories = [r for s in (*SITES, "generic") for r in demo.stories(s)]
    copies = [r for s in (*SITES, "generic") for r in demo.copies(s)]
    assert len(copies) == len(clone_pairs())
    assert {r["dedupe"]["cluster"] for r in stories} == {r["dedupe"]["cluster"] for r in recs.values()}
    for copy in copies:
        assert copy["dedupe"]["duplicate_of"] == copy["dedupe"]["cluster"] != copy["id"]
        assert copy["dedupe"]["similarity"] >= 0.5


@pytest.mark.parametrize("clone_first", [True, False], ids=["clone-first", "originals-first"])
def test_clusters_whatever_the_crawl_order(server, tmp_path: Path, clone_first: bool) -> None:
    common = ["-s", f"FIXTURE_SERVER={server.address}", "-s", f"OUTPUT_DIR={tmp_path}",
              "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "LOG_LEVEL=WARNING"]
    clone = [["crawl", "generic", *(a for k, v in CLONE_SITE.items() for a in ("-a", f"{k}={v}"))]]
    originals = [["crawl", spider] for spider in ORIGINAL_SPIDERS]
    for args in (clone + originals) if clone_first else (originals + clone):
        result = run_scrapy(*args, *common)
        assert result.returncode == 0, result.stderr[-2000:]
    out = CrawlOutput(tmp_path, None)
    recs = assert_clustered(out)
    later = ORIGINAL_SPIDERS if clone_first else ["generic"]
    copies = [r["url"] for s in later for r in out.copies(s)]
    for clone_url, original in clone_pairs():
        assert (original if clone_first else clone_url) in copies
        assert recs[clone_url if clone_first else original]["dedupe"]["duplicate_of"] is None


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
    # Unchanged pages are archived as revisits, not full responses.
    kinds = [r["type"] for r in new_records]
    assert kinds.count("response") == 0 and kinds.count("revisit") >= len(fetched_again) > 0
    assert "already archived" in second.stdout
