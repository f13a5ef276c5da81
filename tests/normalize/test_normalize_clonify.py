"""crawler.testing.clonify: what content-farm clones do to simplified text."""

from __future__ import annotations

import re

import pytest

from crawler.testing import clonify

TEXT = (
    "银行行长说，长江沿线还将重新规划（第二期）！音乐节期间，市民们乐在其中。他看着窗外：下雨了？"
)
ANNOTATION_RE = re.compile(r"(.)\(([a-zü\u0300-\u036fāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ]+)\)")


def test_deterministic_for_a_seed():
    assert clonify(TEXT, seed=3) == clonify(TEXT, seed=3)
    assert clonify(TEXT, seed=3, annotate=0.5) != clonify(TEXT, seed=4, annotate=0.5)


@pytest.mark.parametrize(
    ("variant", "expected"),
    [("s2t", "銀行行長說,長江沿線還將重新規劃(第二期)!音樂節期間,市民們樂在其中。他看着窗外:下雨了?"),
     ("s2tw", "銀行行長說,長江沿線還將重新規劃(第二期)!音樂節期間,市民們樂在其中。他看著窗外:下雨了?"),
     ("s2hk", "銀行行長説,長江沿線還將重新規劃(第二期)!音樂節期間,市民們樂在其中。他看着窗外:下雨了?")],
)  # fmt: skip
def test_variants_without_annotation(variant, expected):
    assert clonify(TEXT, variant=variant, annotate=0.0) == expected


def test_annotations_are_readings_in_context():
    out = clonify(TEXT, annotate=1.0)
    pairs = ANNOTATION_RE.findall(out)
    han = re.findall(r"[\u4e00-\u9fff]", TEXT)
    assert [ch for ch, _ in pairs] == [
        c for c in re.findall(r"[\u4e00-\u9fff]", clonify(TEXT, annotate=0.0))
    ]
    readings = [syl for _, syl in pairs]
    assert len(readings) == len(han)
    # 银行 yín háng, 行长 háng zhǎng, 长江 cháng, 重新 chóng, 音乐 yuè, 乐在 lè, 看着 zhe, 下雨了 le
    assert readings[:5] == ["yín", "háng", "háng", "zhǎng", "shuō"]
    assert readings[han.index("江") - 1] == "cháng"
    assert readings[han.index("新") - 1] == "chóng"
    assert readings[han.index("节") - 1] == "yuè"
    assert readings[han.index("在") - 1] == "lè"
    assert readings[han.index("窗") - 1] == "zhe"
    assert readings[-1] == "le"


def test_annotate_fraction():
    text = TEXT * 20
    han = len(re.findall(r"[\u4e00-\u9fff]", text))
    for fraction in (0.1, 0.3, 0.7):
        n = len(ANNOTATION_RE.findall(clonify(text, annotate=fraction, seed=1)))
        assert abs(n / han - fraction) < 0.06


def test_fold_punctuation_off_keeps_full_width():
    out = clonify(TEXT, annotate=0.0, fold_punctuation=False)
    assert "，" in out and "（第二期）！" in out and "," not in out


def test_latin_and_numbers_untouched():
    assert clonify("H7N9疫情于2020/2/17 9:40:36发布，见m.xomn.cn", annotate=0.0) == (
        "H7N9疫情於2020/2/17 9:40:36發佈,見m.xomn.cn"
    )


def test_unknown_variant_rejected():
    with pytest.raises(ValueError):
        clonify(TEXT, variant="t2s")
