"""Property tests: idempotence on any text, and canonical text passes unchanged."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from normalize_corpus import source_paragraphs

from crawler.normalize import normalize_text
from crawler.normalize._chars import is_han
from crawler.normalize._charsets import AMBIGUOUS, TRAD_ONLY
from crawler.testing import clonify

# NORMALIZE_EXAMPLES=20000 for a long search; the default keeps the suite fast.
SETTINGS = settings(
    max_examples=int(os.environ.get("NORMALIZE_EXAMPLES", "300")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

_CORPUS = "\n".join(source_paragraphs())
# Simplified characters of the corpus that OpenCC leaves alone whatever their
# context: a random string of them is canonical. (乾 alone is traditional for
# 干 as far as OpenCC is concerned; 乾隆 is not.)
SIMPLIFIED = sorted({c for c in _CORPUS if is_han(c)} - set(AMBIGUOUS) - set(TRAD_ONLY))
TRADITIONAL = sorted(set(clonify(_CORPUS[:3000], annotate=0.0)) - set(_CORPUS))
FULL_WIDTH = list("，：；！？。、“”《》…—")

# Anything, weighted towards what clone and damaged text is made of.
messy_chars = st.one_of(
    st.sampled_from(SIMPLIFIED),
    st.sampled_from(TRADITIONAL + list("乾於著么衞裡為")),
    st.sampled_from(list(",:;()!?（），：；！？。 \n\t\u3000?.-/") + FULL_WIDTH),
    st.sampled_from(list("abcxyzHIN0123456789ＡＺａ０９") + ["ā", "ǐ", "ǜ", "ü", "é"]),
    st.characters(codec="utf-8"),
)
pinyin_bits = st.sampled_from(
    ["(qū)", "(lǐng)", "(le)", "(a)", "(zhōng)", "（qū）", "(2020)", "(徐文亮)"]
)
messy_text = st.lists(st.one_of(messy_chars, pinyin_bits), max_size=80).map("".join)


@SETTINGS
@given(messy_text)
def test_idempotent(text):
    once = normalize_text(text)
    assert normalize_text(once) == once


@SETTINGS
@given(st.sampled_from(source_paragraphs()), st.sampled_from(["s2t", "s2tw", "s2hk"]),
       st.floats(0, 1), st.integers(0, 10_000))  # fmt: skip
def test_idempotent_on_clone_text(paragraph, variant, annotate, seed):
    once = normalize_text(clonify(paragraph, variant=variant, annotate=annotate, seed=seed))
    assert normalize_text(once) == once


# Canonical text: simplified Han with full-width punctuation between Chinese
# characters; Latin and number runs (ASCII punctuation only inside them); single
# spaces; one paragraph a line, each ending a sentence.
han_word = st.lists(st.sampled_from(SIMPLIFIED), min_size=1, max_size=8).map("".join)
latin_run = st.from_regex(r"[A-Za-z0-9]([A-Za-z0-9.:/@,-]{0,10}[A-Za-z0-9])?", fullmatch=True)
chinese_mark = st.sampled_from(list("，：；、") + ["（", "）"])


@st.composite
def sentence(draw) -> str:
    parts = [draw(han_word)]
    for _ in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from(["mark", "latin", "space-latin", "han"]))
        if kind == "mark":
            parts.append(draw(chinese_mark) + draw(han_word))
        elif kind == "latin":
            parts.append(draw(latin_run) + draw(han_word))
        elif kind == "space-latin":
            parts.append(" " + draw(latin_run) + " " + draw(han_word))
        else:
            parts.append(draw(han_word))
    return "".join(parts) + draw(st.sampled_from(["。", "！", "？", "……"]))


canonical_text = st.lists(
    st.lists(sentence(), min_size=1, max_size=4).map("".join), min_size=1, max_size=4
).map("\n".join)


@SETTINGS
@given(canonical_text)
def test_canonical_text_passes_unchanged(text):
    assert normalize_text(text) == text


@SETTINGS
@given(st.lists(st.sampled_from(source_paragraphs()), min_size=1, max_size=5).map("\n".join))
def test_canonical_paragraphs_pass_unchanged(text):
    assert normalize_text(text) == text


# Page-like text: prose lines cut anywhere (mid-sentence, after a comma),
# captions, headings, blank lines and stray indentation, to exercise re-joining.
prose = st.lists(st.one_of(han_word, chinese_mark, st.sampled_from(["，", ",", "。"])),
                 min_size=1, max_size=30).map("".join)  # fmt: skip
line = st.one_of(
    prose,
    han_word,
    han_word.map(lambda w: "■ " + w),
    st.sampled_from(["", " ", "\u3000\u3000", "(记者 李东华)"]),
    st.tuples(st.sampled_from(["  ", "\t", ""]), prose, st.sampled_from(["", " ", ",", "，"])).map(
        "".join
    ),
)
page_text = st.lists(line, max_size=12).map("\n".join)


@SETTINGS
@given(page_text)
def test_idempotent_on_page_layout(text):
    once = normalize_text(text)
    assert normalize_text(once) == once
