"""One read of a page prepares the pipelines' work (crawler.reading): the normalize and dedupe
pipelines give the same record with it as without it, and do the work again when the item
changed after it was prepared."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from scrapy.http import HtmlResponse

import crawler.pipelines.normalize as normalize_pipeline
from crawler.dedupe import DedupeConfig, Signer
from crawler.dedupe.canonical import evidence_of
from crawler.dedupe.text import content_hash
from crawler.fixtures import FixtureArticle, fixture_articles
from crawler.items import attach_prepared, prepared_of
from crawler.pipelines.normalize import NormalizePipeline
from crawler.reading import Plan, Prepared, read_article
from crawler.sites import SITES
from crawler.spiders.base import ArticleSpider

ARTICLES = [a for a in fixture_articles()]


def item_of(article: FixtureArticle, prepared: bool) -> tuple[object, Prepared | None]:
    """The spider's item for a fixture article, with what was prepared for it or without."""
    spider = ArticleSpider(name="fixture")
    reading = read_article(article.page(), article.url, plan=Plan(), spider=spider.name)
    response = HtmlResponse(article.url, body=article.page())
    item = spider.article_item(response, reading.extraction)
    return (attach_prepared(item, reading.prepared) if prepared else item), reading.prepared


def comparable(item: object) -> dict:
    return {k: v for k, v in dict(item).items() if k not in ("id", "fetched_at")}


@pytest.mark.parametrize("article", ARTICLES, ids=lambda a: a.url)
def test_the_prepared_work_is_what_the_pipelines_would_do(article: FixtureArticle, monkeypatch) -> None:
    plain, _ = item_of(article, prepared=False)
    plain = NormalizePipeline().process_item(plain)
    item, prepared = item_of(article, prepared=True)
    assert prepared is not None and prepared_of(item) is prepared
    calls = []
    monkeypatch.setattr(normalize_pipeline, "normalize_article", lambda *args: calls.append(args))
    item = NormalizePipeline().process_item(item)
    assert calls == []  # not normalized again
    assert comparable(item) == comparable(plain)
    # The fingerprints and evidence are those of the normalized record.
    assert prepared.is_current(item)
    signer = Signer(DedupeConfig())
    assert prepared.digest == content_hash(plain["body"])
    assert np.array_equal(prepared.signature, signer.signature(plain["body"]))
    assert prepared.keys == signer.band_keys(prepared.signature)
    assert prepared.evidence == evidence_of(plain, SITES.get(plain["site"]))


def test_an_item_changed_after_its_reading_is_normalized_again() -> None:
    article = ARTICLES[0]
    item, prepared = item_of(article, prepared=True)
    item["body"] = "變更後的正文。" + item["body"]  # a spider or pipeline changed it in between
    assert not prepared.made_from(item)
    item = NormalizePipeline().process_item(item)
    assert item["body"].startswith("变更后的正文。")  # normalized here, from what it holds now
    assert not prepared.is_current(item)  # so the fingerprints are made again too


def test_a_reading_pickles_whole_and_its_source_is_the_extraction_fields() -> None:
    article = ARTICLES[0]
    reading = pickle.loads(pickle.dumps(read_article(article.page(), article.url), pickle.HIGHEST_PROTOCOL))
    assert reading.prepared.source is reading.extraction.fields  # sent once, not twice
    assert reading.prepared.made_from(reading.extraction.fields)


def test_nothing_is_prepared_without_normalization_or_without_a_body() -> None:
    article = ARTICLES[0]
    assert read_article(article.page(), article.url, plan=Plan(normalize=False)).prepared is None
    assert read_article(b"<html><body></body></html>", article.url).prepared is None
    undeduped = read_article(article.page(), article.url, plan=Plan(dedupe=None)).prepared
    assert undeduped is not None and undeduped.digest is None and not undeduped.is_current({})
