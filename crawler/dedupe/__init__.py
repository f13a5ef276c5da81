"""Recognise every copy of a story: exact content hash, then MinHash LSH over character
shingles of the canonical (normalized) body, both persisted in the state store so that copies
are found across runs and across sites.

The first copy seen is the story's canonical record; a later copy is kept, with
`duplicate_of` (the canonical record's id), `similarity` (estimated Jaccard similarity of their
shingle sets) and `cluster` (the canonical record's id, for every copy including the first).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
from datasketch import MinHash, MinHashLSH

from crawler.text import is_spam

# What copies differ in without being different stories: spacing, punctuation (clones fold it
# to ASCII), letter case. Canonical text keeps letters, digits and CJK characters only.
_NOT_CONTENT = re.compile(r"[^\w]|_", re.UNICODE)


def canonical_text(body: str) -> str:
    """What a story's copies share: its lines less keyword spam (which clones append, and
    which extraction may have missed), and of those only letters, digits and CJK characters."""
    lines = [line for line in body.splitlines() if not is_spam(line)]
    return _NOT_CONTENT.sub("", "\n".join(lines)).lower()


def content_hash(body: str) -> str:
    return "sha1:" + hashlib.sha1(canonical_text(body).encode("utf-8")).hexdigest()


def shingles(text: str, k: int) -> set[str]:
    if len(text) <= k:
        return {text} if text else set()
    return {text[i:i + k] for i in range(len(text) - k + 1)}


_BLOCK = 512  # shingles permuted at once: the block stays in the CPU's cache


def _fmix32(hv: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finalizer, as datasketch pre-mixes its input hashes."""
    hv = hv ^ (hv >> np.uint32(16))
    hv = hv * np.uint32(0x85EBCA6B)
    hv = hv ^ (hv >> np.uint32(13))
    hv = hv * np.uint32(0xC2B2AE35)
    return hv ^ (hv >> np.uint32(16))


def minhash_affine32(grams: set[str], a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The MinHash of a set of strings in datasketch's affine32 scheme (the first 4 bytes of
    each one's SHA-1, little-endian, pre-mixed, then `a * h + b mod 2**32` per permutation),
    computed in blocks so that the shingles-by-permutations array is never built whole."""
    values = np.full(a.shape, np.iinfo(np.uint32).max, dtype=np.uint32)
    if not grams:
        return values
    sha1 = hashlib.sha1
    digests = b"".join([sha1(g.encode("utf-8")).digest() for g in grams])
    hv = np.frombuffer(digests, dtype=np.uint8).reshape(-1, 20)[:, :4].copy().view("<u4").reshape(-1, 1)
    hv = _fmix32(hv.astype(np.uint32))
    block = np.empty((min(_BLOCK, len(hv)), a.size), dtype=np.uint32)
    for start in range(0, len(hv), _BLOCK):
        rows = hv[start:start + _BLOCK]
        out = block[:len(rows)]
        np.multiply(rows, a, out=out)
        np.add(out, b, out=out)
        np.minimum(values, out.min(axis=0), out=values)
    return values


SCHEME = "affine32"  # datasketch's permutation scheme; signatures of different schemes don't compare


@dataclass(frozen=True)
class DedupeConfig:
    threshold: float = 0.5  # estimated Jaccard similarity at which two bodies are one story
    shingle: int = 5  # characters per shingle
    num_perm: int = 128


class Signer:
    """MinHash signatures and their LSH band keys for one configuration."""

    def __init__(self, config: DedupeConfig) -> None:
        self.config = config
        lsh = MinHashLSH(threshold=config.threshold, num_perm=config.num_perm)
        self.bands, self.rows = lsh.b, lsh.r  # datasketch's choice for this threshold
        self._template = MinHash(num_perm=config.num_perm, seed=1, scheme=SCHEME)

    @cached_property
    def _permutations(self) -> tuple[np.ndarray, np.ndarray]:
        return self._template.permutations

    def signature(self, body: str) -> np.ndarray:
        """The MinHash signature (uint32 values) of a body's canonical text: datasketch's
        affine32 MinHash (`update_batch` of the UTF-8 shingles, SHA-1 hashed), value for value."""
        return minhash_affine32(shingles(canonical_text(body), self.config.shingle), *self._permutations)

    def fingerprint_format(self) -> str:
        """What persisted signatures and band keys depend on: a store holds one format."""
        return (f"minhash/{SCHEME}/seed1/perm{self.config.num_perm}/shingle{self.config.shingle}/"
                f"bands{self.bands}x{self.rows}")

    def band_keys(self, signature: np.ndarray) -> list[int]:
        """One 64-bit key per band: equal keys mean equal bands (a candidate pair)."""
        keys = []
        for band in range(self.bands):
            chunk = signature[band * self.rows:(band + 1) * self.rows].tobytes()
            digest = hashlib.blake2b(band.to_bytes(2, "big") + chunk, digest_size=8).digest()
            keys.append(int.from_bytes(digest, "big", signed=True))
        return keys


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of the shingle sets behind two signatures."""
    return float(np.count_nonzero(a == b)) / len(a)


@dataclass(frozen=True)
class Verdict:
    content_hash: str
    cluster: str
    duplicate_of: str | None
    similarity: float | None

    def as_dict(self) -> dict:
        return {"content_hash": self.content_hash, "cluster": self.cluster,
                "duplicate_of": self.duplicate_of, "similarity": self.similarity}


class Deduper:
    """Decide, and remember, which story an article is a copy of."""

    def __init__(self, store: Any, config: DedupeConfig | None = None) -> None:  # a crawler.state.StateStore
        self.store = store
        self.config = config or DedupeConfig()
        self.signer = Signer(self.config)
        stored = store.setting("fingerprint_format", self.signer.fingerprint_format())
        if stored != self.signer.fingerprint_format():
            raise ValueError(
                f"the state store holds fingerprints of format {stored}, these settings make "
                f"{self.signer.fingerprint_format()}: use the same DEDUPE_* settings, or another store")

    def add(self, *, record_id: str, url: str, canonical_url: str, site: str, title: str | None,
            body: str, seen_at: str, run: str | None = None) -> Verdict:
        """File an article and say whether it copies one filed before (in any run, any site)."""
        signature = self.signer.signature(body)
        return self.file(record_id=record_id, url=url, canonical_url=canonical_url, site=site, title=title,
                         digest=content_hash(body), signature=signature,
                         keys=self.signer.band_keys(signature), seen_at=seen_at, run=run)

    def file(self, *, record_id: str, url: str, canonical_url: str, site: str, title: str | None,
             digest: str, signature: np.ndarray, keys: list[int], seen_at: str,
             run: str | None = None) -> Verdict:
        """`add` for a body already fingerprinted."""
        with self.store.exclusive():  # the lookup and the insert are one step across processes
            canonical = self.store.article_by_hash(digest)
            score = 1.0 if canonical else None
            if canonical is None:
                best, best_score = None, 0.0
                candidates = self.store.lsh_candidates(keys)
                for article_id, other in self.store.signatures(candidates).items():
                    score_ = similarity(signature, other)
                    if score_ > best_score:
                        best, best_score = article_id, score_
                if best is not None and best_score >= self.config.threshold:
                    canonical = self.store.cluster_head(best)
                    head_sig = self.store.signatures([canonical[0]]).get(canonical[0])
                    score = round(similarity(signature, head_sig), 4) if head_sig is not None else best_score
            if canonical is not None and canonical[1] == record_id:
                canonical, score = None, None  # the same record again (a re-run): not a copy of itself
            cluster = canonical[1] if canonical else record_id
            verdict = Verdict(digest, cluster, canonical[1] if canonical else None, score)
            self.store.add_article(record_id=record_id, url=url, canonical_url=canonical_url, site=site,
                                   title=title, content_hash=digest, cluster=cluster,
                                   duplicate_of=verdict.duplicate_of, similarity=score, seen_at=seen_at,
                                   signature=signature, band_keys=keys, run=run)
        return verdict
