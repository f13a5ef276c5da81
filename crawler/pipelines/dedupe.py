"""File each article in the state store with the evidence the canonical rule compares, and
mark the copies: `dedupe` = {content_hash, cluster, duplicate_of, similarity, canonical_because,
replaced, merged}. Nothing is dropped: copies go to the duplicates export."""

from __future__ import annotations

from typing import Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.settings import Settings

from crawler.dedupe import DedupeConfig, Deduper, shingle_hash_of
from crawler.dedupe.canonical import evidence_of
from crawler.extensions import required
from crawler.extensions.state import CrawlState
from crawler.items import prepared_of
from crawler.sites import SITES
from crawler.state import StateStore


def dedupe_config(settings: Settings, store: StateStore | None = None) -> DedupeConfig:
    """The near-duplicate configuration the DEDUPE_* settings give. The shingle hash, unless
    DEDUPE_SHINGLE_HASH names one, is the one `store` holds fingerprints of (so a store filled
    before keeps its own), else the default."""
    shingle_hash = (settings.get("DEDUPE_SHINGLE_HASH")
                    or shingle_hash_of(store.setting_of("fingerprint_format") if store is not None else None)
                    or DedupeConfig.shingle_hash)
    return DedupeConfig(threshold=settings.getfloat("DEDUPE_THRESHOLD"), shingle=settings.getint("DEDUPE_SHINGLE"),
                        num_perm=settings.getint("DEDUPE_NUM_PERM"), shingle_hash=shingle_hash)


class DedupePipeline:
    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        state = required(crawler, CrawlState)
        self.store, self.run = state.store, state.run
        self.stats = crawler.stats
        self.deduper = Deduper(self.store, dedupe_config(settings, self.store))

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DedupePipeline:
        if not crawler.settings.getbool("DEDUPE_ENABLED"):
            raise NotConfigured("DEDUPE_ENABLED is off")
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        common = dict(record_id=adapter["id"], url=adapter["url"], canonical_url=adapter["canonical_url"],
                      site=adapter.get("site"), title=adapter.get("title"), seen_at=adapter["fetched_at"],
                      run=self.run)
        prepared = prepared_of(item)
        if prepared is not None and prepared.dedupe == self.deduper.config and prepared.is_current(adapter):
            # Fingerprinted where the page was read, from what the item holds now.
            verdict = self.deduper.file(**common, digest=prepared.digest, signature=prepared.signature,
                                        keys=prepared.keys, evidence=prepared.evidence)
        else:
            verdict = self.deduper.add(**common, body=adapter.get("body") or "",
                                       evidence=evidence_of(adapter, SITES.get(adapter.get("site"))))
        adapter["dedupe"] = verdict.as_dict()
        if verdict.replaced:
            self.stats.inc_value("dedupe/repointed")  # a story had a canonical record; now a better one
        elif verdict.duplicate_of is None:
            self.stats.inc_value("dedupe/new_story")
        if verdict.duplicate_of is not None:
            self.stats.inc_value("dedupe/copy_exact" if verdict.similarity == 1.0 else "dedupe/copy_near")
        if verdict.merged:
            self.stats.inc_value("dedupe/merged", len(verdict.merged))
        return item
