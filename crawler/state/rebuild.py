"""Rebuild a lost or damaged state store from what the archive itself holds: the exported
article records (each URL archived, each story's fingerprints and cluster, as exported) and the
WARC files (each payload archived, for revisits). A crawl after the rebuild exports nothing
twice: the exported URLs are known again, and copies are found against the same fingerprints."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from crawler.archive.writer import Original, payload_key
from crawler.dedupe import DedupeConfig, Signer, content_hash, elect
from crawler.dedupe.canonical import evidence_of
from crawler.sites import SITES
from crawler.state.sqlite import SqliteStore

_STAMP = re.compile(r"-(\d{20})-")


@dataclass
class Rebuilt:
    articles: int = 0
    urls: int = 0
    payloads: int = 0
    skipped_lines: int = 0  # export lines that are not whole JSON records


def exported_records(output: Path) -> Iterator[dict]:
    """Every exported record, stories before copies, each file in order."""
    for kind in ("articles", "duplicates"):
        for path in sorted((output / kind).glob("*.jsonl")):
            with open(path, encoding="utf-8") as fh:
                for line in fh:
                    if line.strip():
                        try:
                            yield json.loads(line)
                        except json.JSONDecodeError:
                            yield {}


def rebuild(output: Path, store: SqliteStore, config: DedupeConfig) -> Rebuilt:
    """Fill an empty store from OUTPUT_DIR's exports and WARCs."""
    done = Rebuilt()
    signer = Signer(config)
    store.setting("fingerprint_format", signer.fingerprint_format())
    # Oldest first (names carry their time), so each payload points at its first capture.
    warcs = sorted((output / "warc").glob("*.warc.gz"),
                   key=lambda p: m.group(1) if (m := _STAMP.search(p.name)) else p.name)
    with store.exclusive():
        for path in warcs:
            stamp = _STAMP.search(path.name)
            prefix = path.name[:stamp.start()] if stamp else path.name.split("-", 1)[0]
            with open(path, "rb") as fh:
                for record in ArchiveIterator(fh):
                    digest = record.rec_headers.get_header("WARC-Payload-Digest")
                    if record.rec_type != "response" or not digest:
                        continue
                    key = payload_key(prefix, digest)
                    # An empty payload (a redirect) is never a revisit's original, as in a crawl.
                    if store.original_payload(key) or not record.raw_stream.read(1):
                        continue
                    store.add_payload(key, Original(record.rec_headers.get_header("WARC-Target-URI"),
                                                       record.rec_headers.get_header("WARC-Date"),
                                                       record.rec_headers.get_header("WARC-Record-ID")))
                    done.payloads += 1
        records = [r for r in exported_records(output) if r.get("id") and r.get("canonical_url")]
        done.skipped_lines = sum(1 for r in exported_records(output)) - len(records)
        for record in sorted(records, key=lambda r: r.get("fetched_at") or ""):  # stable: stories first
            body = record.get("body") or ""
            dedupe = record.get("dedupe") or {}
            signature = signer.signature(body)
            added = store.add_article(
                record_id=record["id"], url=record["url"], canonical_url=record["canonical_url"],
                site=record.get("site"), title=record.get("title"),
                content_hash=dedupe.get("content_hash") or content_hash(body),
                cluster=dedupe.get("cluster") or record["id"], duplicate_of=dedupe.get("duplicate_of"),
                similarity=dedupe.get("similarity"), seen_at=record.get("fetched_at") or "",
                signature=signature, band_keys=signer.band_keys(signature),
                evidence=evidence_of(record, SITES.get(record.get("site"))).as_dict())
            done.articles += added is not None
            done.urls += not store.known_url(record["canonical_url"])
            store.mark_exported(record["id"], record["canonical_url"], record.get("fetched_at") or "")
        for cluster in sorted({(r.get("dedupe") or {}).get("cluster") or r["id"] for r in records}):
            elect(store, cluster)  # each story's canonical record, by the same rule as a crawl's
    return done
