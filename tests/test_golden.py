"""Golden records, as Fundus keeps them: for every fixture article, the full expected record in
tests/golden/<host>/<file>.json, checked field by field, exactly. `tools/make_golden.py` writes
them after a deliberate change (and its diff is the change's evidence)."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace

import pytest
from conftest import REPO
from make_golden import GOLDEN, golden_path, golden_record

from crawler.extract import extract
from crawler.fixtures import FixtureArticle, fixture_articles
from crawler.sites import SITES, Pick

ARTICLES = fixture_articles()
CHECKED = ("method", "title", "subtitle", "published", "authors", "editors", "source", "section", "body",
           "images")


def golden(article: FixtureArticle) -> dict:
    return json.loads(golden_path(article).read_text("utf-8"))


def test_every_fixture_article_has_a_golden_record_and_no_other() -> None:
    assert len(ARTICLES) >= 25
    wanted = {golden_path(a) for a in ARTICLES}
    assert all(path.exists() for path in wanted), "run tools/make_golden.py"
    assert set(GOLDEN.rglob("*.json")) == wanted, "golden records of articles the fixtures no longer have"


@pytest.mark.parametrize("article", ARTICLES, ids=lambda a: f"{a.host}/{a.file}"[-60:])
def test_extraction_gives_the_golden_record(article: FixtureArticle) -> None:
    want, got = golden(article), golden_record(article)
    assert got["url"] == want["url"] == article.url
    for key in CHECKED:
        assert got[key] == want[key], f"{key} of {article.url}"
    assert set(got) == set(want)


# The captured 丹凤县 page is the body alone: it prints no title and no date.
UNTITLED = {"https://www.danfeng.gov.cn/info/1061/158842.htm"}


def test_golden_records_are_whole() -> None:
    """Every golden record has a title, a body and, where the page prints one, a date to the second."""
    for article in ARTICLES:
        record = golden(article)
        assert len(record["body"]) > 60, article.url
        assert bool(record["title"]) == bool(record["published"]) == (article.url not in UNTITLED), article.url
        assert record["method"] != "generic-fallback", f"{article.url} no longer matches its template"
    # The time of day where the pages print it (淮南网 and 安徽财经网 print seconds).
    timed = [golden(a)["published"] for a in ARTICLES if a.host in ("www.huainannet.com", "www.ahcaijing.com")]
    assert timed and all(len(p) == len("2020-02-17T09:40:36+08:00") for p in timed)


def test_a_template_change_fails_its_golden_test() -> None:
    """A deliberate change to one template field shows in the golden comparison."""
    site = SITES["danfeng"]
    [template] = site.templates
    changed = replace(site, templates=(replace(template, published=Pick(".no-such-element")),))
    article = next(a for a in ARTICLES if a.host == "www.danfeng.gov.cn" and a.url not in UNTITLED)
    want = golden(article)
    got = extract(article.page(), article.url, site=changed).fields
    assert want["published"] and got["published"] != want["published"]
    assert got["title"] == want["title"] and got["body"] == want["body"]  # only that field moved


def test_the_writer_agrees_with_the_files() -> None:
    """`tools/make_golden.py --check` passes on the committed records."""
    result = subprocess.run([sys.executable, str(REPO / "tools" / "make_golden.py"), "--check"],
                            capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stdout + result.stderr
