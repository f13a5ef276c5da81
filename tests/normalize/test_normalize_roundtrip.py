"""Round trip: simplified text -> clone text (clonify) -> normalize_text -> the same text.

Sources are simplified paragraphs with full-width punctuation, as the
publications print them (capture 000, capture 004 as printed, fixture
paragraphs), single and joined into multi-paragraph articles. Each is converted
with each of OpenCC's s2t, s2tw and s2hk, a varying fraction of its characters
annotated with pinyin, punctuation folded to ASCII.
"""

from __future__ import annotations

import difflib
import random
import re

import pytest
from normalize_corpus import source_paragraphs

from crawler.normalize import normalize_text
from crawler.testing import clonify

VARIANTS = ("s2t", "s2tw", "s2hk")
ANNOTATE = (0.1, 0.3, 0.6, 1.0)
MIN_SCORE = 0.99
HETERONYMS = "行長重還了着著樂"  # 行 长 重 还 了 着 乐, as the clones write them
NEUTRAL = {"le", "de", "men", "zhe", "zi", "me", "ne", "ma", "ba"}


def _sources() -> list[str]:
    paragraphs = source_paragraphs()
    rng = random.Random(7)
    articles = ["\n".join(rng.sample(paragraphs, rng.randint(3, 6))) for _ in range(30)]
    return paragraphs + articles


def _pairs() -> list[tuple[str, str, str]]:
    pairs = []
    for i, source in enumerate(_sources()):
        for j, variant in enumerate(VARIANTS):
            annotate = ANNOTATE[(i + j) % len(ANNOTATE)]
            pairs.append(
                (variant, source, clonify(source, variant=variant, annotate=annotate, seed=i))
            )
    return pairs


@pytest.fixture(scope="module")
def pairs() -> list[tuple[str, str, str]]:
    return _pairs()


def test_the_set_is_large_and_varied(pairs):
    assert len(pairs) >= 200
    clone_text = "\n".join(clone for _, _, clone in pairs)
    annotations = re.findall(r"(.)\(([^()]+)\)", clone_text)
    annotated_chars = {ch for ch, _ in annotations}
    assert set(HETERONYMS) <= annotated_chars, set(HETERONYMS) - annotated_chars
    # A heteronym annotated with more than one reading: the reading in context.
    for ch in "行長重還樂":
        assert len({syl for c, syl in annotations if c == ch}) >= 2, ch
    assert NEUTRAL & {syl for _, syl in annotations} >= {"le", "de", "men"}
    assert re.search("[āáǎà]", clone_text) and re.search("[ǖǘǚǜ]", clone_text)
    for mark in ",:;()!?":
        assert mark in clone_text
    assert not re.search("[，：；（）！？]", clone_text)  # all folded, as clones do


def _residual(expected: str, got: str) -> list[tuple[str, str]]:
    matcher = difflib.SequenceMatcher(None, expected, got, autojunk=False)
    return [
        (expected[max(a1 - 4, 0) : a2 + 4], got[max(b1 - 4, 0) : b2 + 4])
        for tag, a1, a2, b1, b2 in matcher.get_opcodes()
        if tag != "equal"
    ]


def test_normalize_restores_the_original(pairs):
    failures = []
    for variant, source, clone in pairs:
        got = normalize_text(clone)
        if got != source:
            failures.append((variant, _residual(source, got)))
    score = 1 - len(failures) / len(pairs)
    print(
        f"\nround trip: {len(pairs) - len(failures)} of {len(pairs)} restored exactly ({score:.2%})"
    )
    for variant, diffs in failures:
        print(f"  {variant}: " + "; ".join(f"{want!r} -> {got!r}" for want, got in diffs))
    assert score >= MIN_SCORE
