"""Signatures computed by our own MinHash are datasketch's, value for value: stores filled
before keep comparing with what is filed now."""

from __future__ import annotations

import random

import numpy as np
import pytest
from datasketch import MinHash

from crawler.dedupe import SCHEME, DedupeConfig, Signer, canonical_text, minhash_affine32, shingles

_HAN = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面"


def _datasketch(grams: set[str], num_perm: int) -> np.ndarray:
    minhash = MinHash(num_perm=num_perm, seed=1, scheme=SCHEME)
    if grams:
        minhash.update_batch([g.encode("utf-8") for g in grams])
    return minhash.hashvalues.astype(np.uint32)


@pytest.mark.parametrize("length", [0, 3, 5, 6, 511, 512, 513, 4000])
@pytest.mark.parametrize("num_perm", [128, 64])
def test_signatures_are_datasketchs(length: int, num_perm: int) -> None:
    rng = random.Random(length)
    body = "".join(rng.choice(_HAN + "abcXYZ0123456789，。\n") for _ in range(length))
    signer = Signer(DedupeConfig(num_perm=num_perm))
    grams = shingles(canonical_text(body), 5)
    assert np.array_equal(signer.signature(body), _datasketch(grams, num_perm))


def test_an_empty_set_has_the_empty_signature() -> None:
    a, b = MinHash(num_perm=16, seed=1, scheme=SCHEME).permutations
    assert np.array_equal(minhash_affine32(set(), a, b), np.full(16, 2**32 - 1, dtype=np.uint32))
