"""Bad input: handled without an exception and without losing text."""

from __future__ import annotations

import re
import time

import pytest
from normalize_corpus import capture

from crawler.normalize import normalize_record, normalize_text, normalize_with_report


def _visible(text: str) -> list[str]:
    """The characters that carry text (no white space, no controls)."""
    return [c for c in text if not c.isspace() and c.isprintable()]


def test_empty_and_blank():
    assert normalize_text("") == ""
    assert normalize_with_report("")[1]["flags"] == []
    assert normalize_text(" \n\t\u3000\r\n ") == ""


def test_entirely_latin_text_unchanged():
    text = "Hello, world! (a) Item (b): 9:40:36, 2020/2/17; see m.xomn.cn? H7N9 - OK."
    assert normalize_text(text) == text
    assert normalize_text("e-mail: huainannet@163.com") == "e-mail: huainannet@163.com"


def test_very_long_line_fast_and_complete():
    clone = re.sub(r"\s+", "", capture("001").split("亚洲")[0])  # one line, no breaks
    text = clone * 60  # ~ 700 000 characters on one line
    start = time.perf_counter()
    out, report = normalize_with_report(text)
    elapsed = time.perf_counter() - start
    assert "\n" not in out
    assert report["pinyin_removed"] == 60 * normalize_with_report(clone)[1]["pinyin_removed"]
    assert out == normalize_text(clone) * 60
    assert elapsed < 10, elapsed


def test_lone_surrogates_replaced_and_flagged():
    text = "社区\ud800防控\udfff最强"
    out, report = normalize_with_report(text)
    out.encode("utf-8")  # valid text now
    assert out == "社区\ufffd防控\ufffd最强"
    assert "lone_surrogate" in report["flags"]
    assert "mojibake:U+FFFD" in report["flags"]


def test_gbk_bytes_smuggled_as_surrogate_escapes_are_decoded():
    # GBK bytes read as UTF-8 with errors="surrogateescape".
    text = "来源:" + "淮南日报社".encode("gbk").decode("utf-8", "surrogateescape")
    out, report = normalize_with_report(text)
    assert out == "来源：淮南日报社"
    assert report["mojibake_repaired"] > 0
    assert "mojibake:gbk-as-utf8" in report["flags"]


def test_control_characters_removed_text_kept():
    text = "社区\x00疫情\x07防控\x1b最强\x7f防线\u200b。\x0c下一段"
    out, report = normalize_with_report(text)
    assert out == "社区疫情防控最强防线。\n下一段"
    assert report["control_removed"] == 5
    assert "control_chars" in report["flags"]


@pytest.mark.parametrize(
    "text",
    [
        "\x00" * 10,
        "((((((((((",
        ")))(((",
        "(qū)(qū)(qū)",  # no character before: ordinary (flagged) parentheses
        "?" * 50,
        "\ufffd" * 5,
        "中" + "(a)" * 100,
        "𠀀𪚥𣨼" * 10,
        "Ａ" * 5 + "１２３",
        "\u2028\u2029\x85",
        "a" * 100_000,
    ],
)
def test_odd_input_does_not_raise_or_lose_text(text):
    out = normalize_text(text)
    # Nothing disappears except pinyin that reads the character before it
    # (none here); full-width letters become ASCII, ASCII brackets may widen.
    folded = out.translate(str.maketrans("Ａ１２３（）", "A123()"))
    assert sorted(_visible(folded)) == sorted(
        _visible(text.translate(str.maketrans("Ａ１２３", "A123")))
    )


def test_wrong_type_is_an_error():
    with pytest.raises(TypeError):
        normalize_text(None)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        normalize_text(b"bytes")  # type: ignore[arg-type]


def test_record_with_odd_fields():
    rec = {
        "title": None,
        "body": "",
        "authors": ["", None, "李東華"],
        "images": [{"url": "x"}, "junk"],
    }
    out = normalize_record(rec)
    assert out["authors"] == ["", None, "李东华"]
    assert out["images"] == [{"url": "x"}, "junk"]
    assert out["title"] is None and out["body"] == ""


def test_escaped_bytes_next_to_other_surrogates():
    # A surrogate escape followed closely by a surrogate that is not one: the escapes that are
    # bytes are read as such, the other surrogates replaced and flagged, nothing raises.
    out, report = normalize_with_report("甲\udc81\ude5b\udc82乙")
    assert "\ufffd" in out and out[0] == "甲" and out[-1] == "乙"
    assert not any("\ud800" <= ch <= "\udfff" for ch in out)
    assert "lone_surrogate" in report["flags"]
