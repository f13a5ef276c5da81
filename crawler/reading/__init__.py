"""One read of an article page: its extraction, then what the item pipelines would make of it
(the normalized fields, the body's fingerprints, the canonical rule's evidence), in one call.
Pure: no Scrapy.

A spider sends `read_article` to wherever the page is read (a page worker process, with
PARSE_PAGES=all), so that a crawl's CPU work on a page runs there, not in the crawl's event loop.
The pipelines then reuse the result (`Prepared`) instead of doing the work again, but only while
the item still holds exactly what it was made from (`made_from`, `is_current`): a pipeline or a
spider that changed a field in between gets the work done again, on what the item holds now.

    >>> paragraph = "<p>淮南市今天召开会议，部署全市重点工作，会议要求各部门认真落实各项任务。</p>"
    >>> page = f"<html><body><h1>淮南新闻</h1>{paragraph * 6}</body></html>"
    >>> reading = read_article(page, "http://example.cn/a/1.html", plan=Plan(dedupe=None))
    >>> reading.extraction.method, reading.prepared.normalized["title"]
    ('generic', '淮南新闻')
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

import numpy as np

from crawler.dedupe import DedupeConfig, Signer
from crawler.dedupe.canonical import Evidence, evidence_of
from crawler.dedupe.text import content_hash
from crawler.extract import Extraction, extract
from crawler.normalize import normalize_record
from crawler.record import NAME_FIELDS, TEXT_FIELDS
from crawler.sites import SITES, Site

__all__ = ["Plan", "Prepared", "Reading", "lines_cut", "normalize_article", "read_article"]

# What normalization reads of a record: the prepared values hold while these are unchanged.
NORMALIZED_FROM = (*TEXT_FIELDS, *NAME_FIELDS, "images", "original")


@dataclass(frozen=True)
class Plan:
    """What to prepare beyond the extraction: the normalized fields (`normalize`), and with
    them the fingerprints and evidence of this dedupe configuration (`dedupe`; None: none)."""

    normalize: bool = True
    dedupe: DedupeConfig | None = DedupeConfig()


@dataclass
class Prepared:
    """The pipelines' work on one article, done where the page was read."""

    source: dict  # the extraction's fields, which the spider's item is made of
    normalized: dict  # what the normalize pipeline sets: the fields, `original`, `normalization`
    dedupe: DedupeConfig | None = None  # the configuration the fingerprints are of
    digest: str | None = None  # the normalized body's content hash
    signature: np.ndarray | None = None  # its MinHash signature
    keys: list[int] | None = None  # its LSH band keys
    evidence: Evidence | None = None  # what the canonical rule knows of it

    def made_from(self, record: Mapping[str, Any]) -> bool:
        """Whether `record` (an item before normalization) holds what this was made from."""
        return all(record.get(key) == self.source.get(key) for key in NORMALIZED_FROM)

    def is_current(self, record: Mapping[str, Any]) -> bool:
        """Whether `record` (an item after normalization) holds what this normalized it to, so
        its fingerprints and evidence are the record's."""
        return self.digest is not None and all(record.get(key) == value for key, value in self.normalized.items())


@dataclass
class Reading:
    extraction: Extraction
    prepared: Prepared | None  # None: no article body, or nothing planned


def lines_cut(extraction: Extraction) -> dict[str, int]:
    """The lines extraction cut, counted by reason (the record's `normalization.lines_cut`)."""
    return dict(Counter(reason for reason, _line in extraction.dropped))


def normalize_article(record: Mapping[str, Any], cut: dict[str, int] | None) -> dict[str, Any]:
    """`normalize_record` of an article record, with the lines extraction `cut` kept in its
    `normalization` (None: none recorded) and what extraction set aside as `original` kept."""
    normalized = normalize_record(dict(record))
    if cut is not None:
        normalized["normalization"] = {**normalized["normalization"], "lines_cut": cut}
    if record.get("original"):
        normalized["original"] = record["original"]
    return normalized


@lru_cache(maxsize=4)  # one per configuration, made once per process
def _signer(config: DedupeConfig) -> Signer:
    return Signer(config)


def prepare(extraction: Extraction, plan: Plan, site_name: str | None) -> Prepared | None:
    """The pipelines' work on an extracted article (None: no body, or no normalization planned).
    `site_name`: the record's `site` (its declared site's name gives the evidence its names)."""
    if not plan.normalize or not extraction.has_body:
        return None
    source = extraction.fields
    normalized = normalize_article(source, lines_cut(extraction))
    prepared = Prepared(source, normalized, plan.dedupe)
    if plan.dedupe is not None:
        signer = _signer(plan.dedupe)
        body = normalized.get("body") or ""
        prepared.digest = content_hash(body)
        prepared.signature = signer.signature(body)
        prepared.keys = signer.band_keys(prepared.signature)
        site: Site | None = SITES.get(site_name) if site_name else None
        prepared.evidence = evidence_of(normalized, site)
    return prepared


def read_article(html: str | bytes, url: str, *, content_type: str | bytes | None = None,
                 site: Site | None = None, plan: Plan = Plan(), spider: str | None = None,
                 page_text: bool = True) -> Reading:
    """`extract` the page, and prepare what `plan` says for an article found on it. `spider`:
    the name a record takes as its `site` when extraction names none. Without `page_text`,
    the extraction's `decoded` keeps how the page was decoded but not its text: a crawl has
    the bytes, and a worker process would send the page back a second time."""
    extraction = extract(html, url, content_type=content_type, site=site)
    if not page_text:
        extraction.decoded = replace(extraction.decoded, text="")
    return Reading(extraction, prepare(extraction, plan, extraction.site or spider))
