"""Damaged text: repair what the bytes still explain, flag the rest, delete nothing.

Clones work on GBK bytes, and their replacements sometimes hit a byte pair that
straddles two characters. In capture 003, 。縣 (a1 a3 | bf 68) had its straddling
a3 bf (GBK's ？) folded to ASCII ?, leaving a1 3f 68, which decodes as ??h.
The stray pinyin case (皖I(lǐng)CP) is repaired in pinyin.py.
"""

from __future__ import annotations

import re

from crawler.normalize._chars import is_han
from crawler.normalize.report import Report
from crawler.text import CJK_CONTEXT, HAN

# GBK codes of the full-width marks clones fold, by the ASCII they become.
_FOLDED_GBK = {"，": b"\xa3\xac", "：": b"\xa3\xba", "；": b"\xa3\xbb", "（": b"\xa3\xa8",
               "）": b"\xa3\xa9", "！": b"\xa3\xa1", "？": b"\xa3\xbf"}  # fmt: skip
_FOLDED_TRAIL = {chr(ord(k) - 0xFEE0): v[1:] for k, v in _FOLDED_GBK.items()}
# [lost lead byte][folded mark][trail byte read as ASCII], between Chinese text.
_STRADDLE_RE = re.compile(f"(?<=[{HAN}。，”])[?\ufffd]([,:;()!?])([\x40-\x7e])(?=[{HAN}])")
# The lead byte decoding lost: the only character ending in a3 that text puts
# before a new sentence is 。 (a1 a3).
_LOST_CHAR = "。"

_SURROGATE_RE = re.compile("[\ud800-\udfff]+")
# Surrogates and control characters, searched first as one fast class.
_SUSPECT = "\ud800-\udfff\x00-\x08\x0e-\x1b\x7f-\x9f\u200b\ufeff"
_SUSPECT_RE = re.compile(f"[{_SUSPECT}]")
# Bytes that were not valid UTF-8, as surrogate escapes; some GBK byte pairs
# are valid UTF-8 (d5 b1 reads as ձ), so short gaps between escapes belong too; a gap holds no
# other surrogate (it has no bytes to give back: those are flagged as lone surrogates below).
_ESCAPED_BYTES_RE = re.compile("[\udc80-\udcff](?:[^\n\ud800-\udfff]{0,8}[\udc80-\udcff])*")
_CONTROL_RE = re.compile("[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\u200b\ufeff]+")
# GBK bytes decoded as Latin-1: ÖÐÎÄ for 中文.
_LATIN1_RE = re.compile("(?:[\x81-\xfe][\x40-\x7e\x80-\xfe]){3,}")
# The same, spelled out: the repeated group makes ``re`` try every position
# (~70 ns a character); this finds candidates at ~13. Pinyin's à é ü are
# Latin-1 too, so the check must not stop at any single one.
_LATIN1_PREFILTER_RE = re.compile("[\x81-\xfe][\x40-\x7e\x80-\xfe]" * 3)
# Text with none of these is left unchanged by ``sanitize`` (a Latin-1 run starts in \x81-\xfe);
# without the suspects, only ``repair_latin1`` can change it.
SUSPECT = _SUSPECT
SANITIZE_TRIGGERS = "\x81-\xfe" + _SUSPECT
_ALL_CJK_RE = re.compile(f"[{CJK_CONTEXT}]+")
_DOUBLE_QUESTION_RE = re.compile(f"[{CJK_CONTEXT}]\\?\\?|\\?\\?[{CJK_CONTEXT}]")


def _utf8_misread_starts() -> str:
    """Characters whose GBK code begins a three-byte UTF-8 sequence (e0-ef, 80-bf)."""
    out = []
    for lead in range(0xE0, 0xF0):
        for trail in range(0x80, 0xC0):
            try:
                out.append(bytes((lead, trail)).decode("gbk"))
            except UnicodeDecodeError:
                pass
    return "".join(out)


# UTF-8 bytes decoded as GBK: 鍙戝竷 for 发布, 锟斤拷 for U+FFFD.
_UTF8_AS_GBK_RE = re.compile(f"[{_utf8_misread_starts()}][^\x00-\x7f]{{4,}}")


def _repair_escaped_bytes(m: re.Match[str], report: Report) -> str:
    raw = m.group().encode("utf-8", "surrogateescape")
    try:
        fixed = raw.decode("gbk")
    except UnicodeDecodeError:
        return m.group()
    report.count("mojibake_repaired", len(m.group()))
    report.flag("mojibake:gbk-as-utf8")
    return fixed


def _repair_latin1(m: re.Match[str], report: Report) -> str:
    run = m.group()
    try:
        fixed = run.encode("latin-1").decode("gbk")
    except UnicodeDecodeError:
        return run
    # Only when every character comes out Chinese: real Latin-1 text never does.
    if _ALL_CJK_RE.fullmatch(fixed) is None:
        return run
    report.count("mojibake_repaired", len(run))
    report.flag("mojibake:gbk-as-latin1")
    return fixed


def repair_latin1(text: str, report: Report) -> str:
    """ÖÐÎÄ -> 中文: GBK read as Latin-1, decoded as GBK where every character comes out Chinese."""
    if _LATIN1_PREFILTER_RE.search(text):
        text = _LATIN1_RE.sub(lambda m: _repair_latin1(m, report), text)
    return text


def sanitize(text: str, report: Report) -> str:
    """Undo byte-level misreadings that are recoverable; make the rest valid text.

    GBK read as Latin-1 (ÖÐÎÄ), and GBK read as UTF-8 with surrogateescape
    (bytes left as lone surrogates), are decoded as GBK where that gives Chinese;
    other lone surrogates cannot be encoded at all and become U+FFFD (flagged).
    Control characters and zero-width marks carry no text and go (counted).
    """
    text = repair_latin1(text, report)
    if _SUSPECT_RE.search(text) is None:
        return text  # the common case
    if _SURROGATE_RE.search(text):
        text = _ESCAPED_BYTES_RE.sub(lambda m: _repair_escaped_bytes(m, report), text)
        if _SURROGATE_RE.search(text):
            report.flag("lone_surrogate")
            text = _SURROGATE_RE.sub(lambda m: "\ufffd" * len(m.group()), text)
    if _CONTROL_RE.search(text):
        report.count("control_removed", sum(len(x) for x in _CONTROL_RE.findall(text)))
        report.flag("control_chars")
        text = _CONTROL_RE.sub("", text)
    return text


def repair_folded_straddles(text: str, report: Report) -> str:
    """??h -> 。縣: rebuild the bytes a straddling full-width fold broke."""
    if "?" not in text and "\ufffd" not in text:
        return text

    def repair(m: re.Match[str]) -> str:
        trail = _FOLDED_TRAIL[m.group(1)]
        try:
            ch = (trail + m.group(2).encode("ascii")).decode("gbk")
        except UnicodeDecodeError:
            return m.group()
        if not is_han(ch):
            return m.group()
        report.count("mojibake_repaired")
        return _LOST_CHAR + ch

    return _STRADDLE_RE.sub(repair, text)


def flag_damage(text: str, report: Report) -> None:
    """Flag damage normalization could not repair (the text is left as it is)."""
    if "\ufffd" in text:
        report.flag("mojibake:U+FFFD")
    if "??" in text and _DOUBLE_QUESTION_RE.search(text):
        report.flag("mojibake:??")
    for m in _UTF8_AS_GBK_RE.finditer(text):
        try:
            decoded = m.group().encode("gbk", "replace").decode("utf-8", "replace")
        except UnicodeEncodeError:
            continue
        good = _ALL_CJK_RE.match(decoded)
        if good is not None and len(good.group()) >= 4:
            report.flag("mojibake:utf8-as-gbk")
            break
