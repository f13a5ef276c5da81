"""Recognise every copy of a story: exact content hash, then MinHash LSH over character
shingles of the canonical (normalized) body, both persisted in the state store so that copies
are found across runs and across sites.

A story's copies form a cluster (its id: the record id of the first copy filed). One copy is
its canonical record, chosen by evidence (`crawler.dedupe.canonical.choose`), not by arrival:
when a better copy is filed later, in this run or another, the cluster is re-pointed to it; a
copy similar to two clusters merges them into the older one. Each record gets `duplicate_of`
(the canonical record's id when it was filed; None: it is the canonical one), `similarity`
(estimated Jaccard similarity of its shingle set with the canonical one's), `cluster`,
`canonical_because` (the rule's reasons), `replaced` (former canonical records it displaced)
and `merged` (clusters its filing merged into this one).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from crawler.dedupe.canonical import Copy, Evidence, choose, evidence_of
from crawler.dedupe.text import canonical_text, content_hash, shingles

_BLOCK = 512  # shingles permuted at once: the block stays in the CPU's cache


def _fmix32(hv: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finalizer, as datasketch pre-mixes its input hashes."""
    hv = hv ^ (hv >> np.uint32(16))
    hv = hv * np.uint32(0x85EBCA6B)
    hv = hv ^ (hv >> np.uint32(13))
    hv = hv * np.uint32(0xC2B2AE35)
    return hv ^ (hv >> np.uint32(16))


def _permuted_min(hv: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The MinHash values of pre-mixed uint32 shingle hashes `hv`: `a * h + b mod 2**32` per
    permutation, minimum over the shingles, in blocks so that the shingles-by-permutations
    array is never built whole. (A shingle hashed twice does not change a minimum: `hv` need
    not be a set.)"""
    values = np.full(a.shape, np.iinfo(np.uint32).max, dtype=np.uint32)
    if not len(hv):
        return values
    hv = hv.reshape(-1, 1)
    block = np.empty((min(_BLOCK, len(hv)), a.size), dtype=np.uint32)
    for start in range(0, len(hv), _BLOCK):
        rows = hv[start:start + _BLOCK]
        out = block[:len(rows)]
        np.multiply(rows, a, out=out)
        np.add(out, b, out=out)
        np.minimum(values, out.min(axis=0), out=values)
    return values


def minhash_affine32(grams: set[str], a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The MinHash of a set of strings in datasketch's affine32 scheme (the first 4 bytes of
    each one's SHA-1, little-endian, pre-mixed, then `a * h + b mod 2**32` per permutation)."""
    if not grams:
        return _permuted_min(np.empty(0, dtype=np.uint32), a, b)
    sha1 = hashlib.sha1
    digests = b"".join([sha1(g.encode("utf-8")).digest() for g in grams])
    hv = np.frombuffer(digests, dtype=np.uint8).reshape(-1, 20)[:, :4].copy().view("<u4").reshape(-1)
    return _permuted_min(_fmix32(hv.astype(np.uint32)), a, b)


_POLY = np.uint64(0x9E3779B97F4A7C15)  # an odd 64-bit multiplier (the golden ratio's)


def codepoint_hashes(text: str, k: int) -> np.ndarray:
    """A 32-bit hash of each `k`-character shingle of `text` (the whole text when it is no
    longer than `k`), from its code points: a 64-bit polynomial, then SplitMix64's finalizer,
    its high half. Vectorized: about ten array operations a text, where SHA-1 costs a call a
    shingle. Not datasketch's hash (`minhash_affine32`)."""
    points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4").astype(np.uint64)
    if not len(points):
        return np.empty(0, dtype=np.uint32)
    width = min(k, len(points))
    count = len(points) - width + 1
    h = points[:count].copy()
    for j in range(1, width):
        h *= _POLY
        h += points[j:j + count]
    h ^= h >> np.uint64(30)
    h *= np.uint64(0xBF58476D1CE4E5B9)
    h ^= h >> np.uint64(27)
    h *= np.uint64(0x94D049BB133111EB)
    h ^= h >> np.uint64(31)
    return (h >> np.uint64(32)).astype(np.uint32)


SCHEME = "affine32"  # datasketch's permutation scheme; signatures of different schemes don't compare
# How a shingle is hashed before the permutations: "sha1", datasketch's (a signature equals
# datasketch's MinHash, value for value), or "cp64", from its code points, vectorized (about 5
# times less CPU a body; the same estimate of similarity, not the same values).
SHINGLE_HASHES = ("cp64", "sha1")


def shingle_hash_of(fingerprint_format: str | None) -> str | None:
    """The shingle hash a store's fingerprint format names (None: no format yet)."""
    if not fingerprint_format:
        return None
    return "cp64" if "/cp64/" in fingerprint_format else "sha1"


@dataclass(frozen=True)
class DedupeConfig:
    threshold: float = 0.5  # estimated Jaccard similarity at which two bodies are one story
    shingle: int = 5  # characters per shingle
    num_perm: int = 128
    shingle_hash: str = "cp64"  # one of SHINGLE_HASHES

    def __post_init__(self) -> None:
        if self.shingle_hash not in SHINGLE_HASHES:
            raise ValueError(f"shingle hash {self.shingle_hash!r}: one of {', '.join(SHINGLE_HASHES)}")


# datasketch's MinHash and MinHashLSH give these two, and tests/test_signatures.py checks that
# they still agree; datasketch is not imported here, since it brings scipy with it: most of a
# second of CPU at the start of every crawl process and every page worker.

def affine32_permutations(num_perm: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """datasketch's affine32 permutations (`MinHash(num_perm, seed, scheme="affine32")`):
    `h -> a * h + b mod 2**32`, `a` odd, drawn from numpy's RandomState(seed)."""
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


def lsh_shape(threshold: float, num_perm: int, weights: tuple[float, float] = (0.5, 0.5)) -> tuple[int, int]:
    """datasketch's MinHashLSH choice of (bands, rows) for `threshold`: the least weighted sum
    of the probabilities of a false positive (a pair below the threshold sharing a band) and
    of a false negative. Both integrands are polynomials of degree at most `num_perm`, which
    Gauss-Legendre quadrature with this many nodes integrates exactly."""
    nodes, node_weights = np.polynomial.legendre.leggauss(num_perm // 2 + 2)

    def on(lo: float, hi: float) -> tuple[np.ndarray, np.ndarray]:
        return (hi - lo) / 2 * nodes + (hi + lo) / 2, (hi - lo) / 2 * node_weights

    (below, w_below), (above, w_above) = on(0.0, threshold), on(threshold, 1.0)
    best, shape = float("inf"), (0, 0)
    for bands in range(1, num_perm + 1):
        for rows in range(1, num_perm // bands + 1):
            false_positive = float(np.dot(w_below, 1 - (1 - below ** rows) ** bands))
            false_negative = float(np.dot(w_above, (1 - above ** rows) ** bands))
            error = false_positive * weights[0] + false_negative * weights[1]
            if error < best:
                best, shape = error, (bands, rows)
    if shape[0] < 2:
        raise ValueError(f"threshold {threshold} with {num_perm} permutations: fewer than 2 LSH bands")
    return shape


class Signer:
    """MinHash signatures and their LSH band keys for one configuration."""

    def __init__(self, config: DedupeConfig) -> None:
        self.config = config
        self.bands, self.rows = lsh_shape(config.threshold, config.num_perm)

    @cached_property
    def _permutations(self) -> tuple[np.ndarray, np.ndarray]:
        return affine32_permutations(self.config.num_perm, seed=1)

    def signature(self, body: str) -> np.ndarray:
        """The MinHash signature (uint32 values) of a body's canonical text, affine32
        permutations over its shingles hashed as the configuration says (with "sha1",
        datasketch's `update_batch` of the UTF-8 shingles, value for value)."""
        text = canonical_text(body)
        if self.config.shingle_hash == "sha1":
            return minhash_affine32(shingles(text, self.config.shingle), *self._permutations)
        return _permuted_min(_fmix32(codepoint_hashes(text, self.config.shingle)), *self._permutations)

    def fingerprint_format(self) -> str:
        """What persisted signatures and band keys depend on: a store holds one format."""
        hashed = "" if self.config.shingle_hash == "sha1" else f"{self.config.shingle_hash}/"
        return (f"minhash/{SCHEME}/{hashed}seed1/perm{self.config.num_perm}/shingle{self.config.shingle}/"
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
    canonical_because: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)  # former canonical records, now copies of this one's
    merged: list[str] = field(default_factory=list)  # clusters merged into this one

    @property
    def canonical(self) -> str | None:
        """The cluster's canonical record, if another copy's; None: this one."""
        return self.duplicate_of

    def as_dict(self) -> dict:
        return {"content_hash": self.content_hash, "cluster": self.cluster,
                "duplicate_of": self.duplicate_of, "similarity": self.similarity,
                "canonical_because": self.canonical_because, "replaced": self.replaced,
                "merged": self.merged}


def _copies(members: list) -> list[Copy]:
    return [Copy(m.id, m.record_id, Evidence.from_dict(m.evidence)) for m in members]


def elect(store: Any, cluster: str) -> tuple[str, list[str]] | None:  # a crawler.state.StateStore
    """Choose the cluster's canonical record again from the copies it has (after some were
    forgotten, or merged in), and point every copy at it. (canonical, reasons); None if empty.
    Runs inside the caller's `store.exclusive()`."""
    members = store.members(cluster)
    if not members:
        return None
    best, because = choose(_copies(members))
    heads = [m.record_id for m in members if m.duplicate_of is None]
    if heads != [best] or any(m.duplicate_of not in (None, best) for m in members):
        ids = {m.record_id: m.id for m in members}
        sigs = store.signatures(list(ids.values()))
        head = sigs.get(ids[best])
        store.set_canonical(cluster, best, {
            rid: None if rid == best or head is None or aid not in sigs else round(similarity(sigs[aid], head), 4)
            for rid, aid in ids.items()})
    return best, because


CLUSTER_LOG = "clusters.jsonl"  # under OUTPUT_DIR: the events of re-pointed and merged clusters


def cluster_events(record: dict, at: str | None = None) -> list[dict]:
    """The cluster event log's lines for an exported record: its filing merged clusters, or
    re-pointed its cluster to a new canonical record."""
    dedupe = record.get("dedupe") or {}
    cluster = dedupe.get("cluster")
    canonical = dedupe.get("duplicate_of") or record.get("id")
    common = {"at": at or record.get("fetched_at"), "cluster": cluster, "by": record.get("id")}
    events = []
    if dedupe.get("merged"):
        events.append({"event": "merged", **common, "absorbed": dedupe["merged"], "canonical": canonical})
    if dedupe.get("replaced"):
        events.append({"event": "repointed", **common, "canonical": canonical, "former": dedupe["replaced"],
                       "because": dedupe.get("canonical_because", [])})
    return events


class Deduper:
    """Decide, and remember, which story an article is a copy of, and which copy is its
    canonical record."""

    def __init__(self, store: Any, config: DedupeConfig | None = None) -> None:  # a crawler.state.StateStore
        self.store = store
        self.config = config or DedupeConfig()
        self.signer = Signer(self.config)
        stored = store.setting("fingerprint_format", self.signer.fingerprint_format())
        if stored != self.signer.fingerprint_format():
            raise ValueError(
                f"the state store holds fingerprints of format {stored}, these settings make "
                f"{self.signer.fingerprint_format()}: use the same DEDUPE_* settings, or another store")

    def add(self, *, record_id: str, url: str, canonical_url: str, site: str | None, title: str | None,
            body: str, seen_at: str, run: str | None = None, evidence: Evidence | None = None) -> Verdict:
        """File an article and say whether it copies one filed before (in any run, any site).
        `evidence`: what the canonical rule knows of it (`evidence_of` its record); by default
        only what the body tells."""
        signature = self.signer.signature(body)
        if evidence is None:
            evidence = evidence_of({"body": body})
        return self.file(record_id=record_id, url=url, canonical_url=canonical_url, site=site, title=title,
                         digest=content_hash(body), signature=signature,
                         keys=self.signer.band_keys(signature), seen_at=seen_at, run=run, evidence=evidence)

    def _matches(self, found: Any, signature: np.ndarray) -> dict[str, float]:  # crawler.state.Candidates
        """The clusters this body belongs to, with its best similarity to a copy of each."""
        if found.same is not None:
            return {found.same[1]: 1.0}
        matches: dict[str, float] = {}
        for cluster, other in found.near.values():
            score = similarity(signature, other)
            if score >= self.config.threshold:
                matches[cluster] = max(matches.get(cluster, 0.0), score)
        return matches

    def file(self, *, record_id: str, url: str, canonical_url: str, site: str | None, title: str | None,
             digest: str, signature: np.ndarray, keys: list[int], seen_at: str,
             run: str | None = None, evidence: Evidence | None = None) -> Verdict:
        """`add` for a body already fingerprinted."""
        evidence = evidence or Evidence()
        with self.store.exclusive():  # lookups, the choice and the writes are one step across processes
            found = self.store.candidates(record_id, digest, keys)  # the filing, the body, its bands: one round trip
            if found.filed is not None:  # the same record again (a re-run): not a copy of itself
                return Verdict(digest, *found.filed[1:])
            matches = self._matches(found, signature)
            members = {cluster: self.store.members(cluster) for cluster in matches}
            members = {cluster: rows for cluster, rows in members.items() if rows}
            if not members:
                self.store.add_article(record_id=record_id, url=url, canonical_url=canonical_url, site=site,
                                       title=title, content_hash=digest, cluster=record_id, duplicate_of=None,
                                       similarity=None, seen_at=seen_at, signature=signature, band_keys=keys,
                                       run=run, evidence=evidence.as_dict(), returning=False)
                return Verdict(digest, record_id, None, None, ["only_copy"])
            # One story, one cluster: the oldest of those this copy matches takes in the others.
            cluster = min(members, key=lambda c: members[c][0].id)
            absorbed = sorted(c for c in members if c != cluster)
            heads = [m.record_id for c in [cluster, *absorbed] for m in members[c] if m.duplicate_of is None]
            copies = [copy for rows in members.values() for copy in _copies(rows)]
            new = Copy(max(c.seq for c in copies) + 1, record_id, evidence)
            best, because = choose([*copies, new])
            score = None
            if best != record_id:
                best_id = next(c.seq for c in copies if c.record_id == best)
                near = found.near.get(best_id)
                best_sig = near[1] if near is not None else self.store.signatures([best_id]).get(best_id)
                score = round(similarity(signature, best_sig), 4) if best_sig is not None else None
            self.store.add_article(record_id=record_id, url=url, canonical_url=canonical_url, site=site,
                                   title=title, content_hash=digest, cluster=cluster,
                                   duplicate_of=None if best == record_id else best, similarity=score,
                                   seen_at=seen_at, signature=signature, band_keys=keys, run=run,
                                   evidence=evidence.as_dict(), returning=False)
            for other in absorbed:
                self.store.merge_clusters(other, cluster, by=record_id)
            if absorbed or heads != [best] or best == record_id:
                elect(self.store, cluster)
        return Verdict(digest, cluster, None if best == record_id else best, score, because,
                       replaced=[h for h in heads if h != best], merged=absorbed)
