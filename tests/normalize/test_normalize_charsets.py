"""The committed character tables match what OpenCC's dictionaries give today."""

from __future__ import annotations

from make_charsets import compute

from crawler.normalize import _charsets


def test_charsets_are_up_to_date():
    trad, simp, extra, ambiguous, produced = compute()
    assert _charsets.TRAD_ONLY == trad
    assert _charsets.SIMP_ONLY == simp
    assert _charsets.T2S_EXTRA == extra
    assert _charsets.AMBIGUOUS == ambiguous
    assert _charsets.AMBIGUOUS_OUTPUTS == produced


def test_charsets_make_sense():
    trad, simp = set(_charsets.TRAD_ONLY), set(_charsets.SIMP_ONLY)
    assert not trad & simp
    assert {"後", "裏", "衞", "說", "國"} <= trad
    assert not {"乾", "於", "著", "干", "后", "群"} & trad  # simplified text uses them too
    assert {"这", "们", "说", "国"} <= simp
    assert not {"群", "峰", "户", "温"} & simp  # Taiwan and Hong Kong write them too
    assert _charsets.T2S_EXTRA["衞"] == "卫"
