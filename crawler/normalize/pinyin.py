"""Remove the pinyin annotations clones insert after characters: 社區(qū) -> 社區.

A parenthesized syllable goes only when it is a reading of the character right
before it (any of pypinyin's heteronyms, of the character or of its simplified
form), so (徐文亮), (m.xomn.cn), (2020) and (a) after a Latin letter survive.
"""

from __future__ import annotations

import re
from functools import lru_cache

import opencc
from pypinyin.pinyin_dict import pinyin_dict

from crawler.normalize._chars import is_han
from crawler.normalize.report import Report

# Tone-marked vowels and the rare syllabic consonants pypinyin writes (ń, ḿ, ê̄).
_TONED = "àáèéìíòóùúāēěīńňōūǎǐǒǔǘǚǜǹḿếề\u0300\u0304\u030c"
_SYLLABLE_CHARS = "a-zêü" + _TONED
# An annotation in ASCII or full-width parentheses; clones use ASCII.
ANNOTATION_RE = re.compile(f"[(（]([{_SYLLABLE_CHARS}]{{1,8}})[)）]")

_STRIP_TONE = str.maketrans(
    {
        **dict.fromkeys("àáāǎ", "a"),
        **dict.fromkeys("èéēě", "e"),
        **dict.fromkeys("ìíīǐ", "i"),
        **dict.fromkeys("òóōǒ", "o"),
        **dict.fromkeys("ùúūǔ", "u"),
        **dict.fromkeys("ǘǚǜǖ", "ü"),
        **dict.fromkeys("ếề", "ê"),
        **dict.fromkeys("ńňǹ", "n"),
        "ḿ": "m",
        "\u0300": None,
        "\u0304": None,
        "\u030c": None,
    }
)
_TONED_SET = frozenset(_TONED)

_t2s = opencc.OpenCC("t2s")


def strip_tone(syllable: str) -> str:
    return syllable.translate(_STRIP_TONE)


def has_tone(syllable: str) -> bool:
    return not _TONED_SET.isdisjoint(syllable)


@lru_cache(maxsize=1)
def all_syllables() -> frozenset[str]:
    """Every tone-marked reading pypinyin knows."""
    return frozenset(r for v in pinyin_dict.values() for r in v.split(","))


@lru_cache(maxsize=65536)
def readings(ch: str) -> tuple[frozenset[str], frozenset[str]]:
    """(tone-marked readings, toneless readings) of ``ch`` and its simplified form.

    Clones read the simplified source in context, so a traditional character
    may carry a reading pypinyin lists only under its simplified form.
    """
    forms = {ch, _t2s.convert(ch)}
    toned = set()
    for form in forms:
        if len(form) == 1 and (entry := pinyin_dict.get(ord(form))):
            toned.update(entry.split(","))
    return frozenset(toned), frozenset(strip_tone(r) for r in toned)


def is_reading(ch: str, syllable: str) -> bool:
    """Whether ``syllable`` (tone-marked, or toneless for a neutral tone) reads ``ch``."""
    toned, toneless = readings(ch)
    if has_tone(syllable):
        return syllable in toned
    # Neutral tones are written without a mark (了 le, 们 men); pypinyin lists
    # some of them only with their full tone (头 tóu), so compare without tones.
    return syllable in toneless


def _straddle_char(before: str, ascii_ch: str) -> str | None:
    """The character a GBK reader sees in the bytes straddling ``before`` and ``ascii_ch``.

    Clones work on GBK bytes: in 皖ICP (cd ee 49 43 50) the pair ee 49 reads as
    領, which got its (lǐng) after the I.
    """
    if not ("\x40" <= ascii_ch <= "\x7e"):
        return None
    try:
        lead = before.encode("gbk")
        if len(lead) != 2:
            return None
        ch = (lead[1:] + ascii_ch.encode("ascii")).decode("gbk")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return None
    return ch if is_han(ch) else None


def _strip_pass(text: str, report: Report) -> tuple[str, bool]:
    """One pass; also says whether a kept annotation followed a removed one."""
    again = False
    last_removed_end = -1

    def replace(m: re.Match[str]) -> str:
        nonlocal again, last_removed_end
        syllable = m.group(1)
        start = m.start()
        prev = m.string[start - 1] if start else ""
        if prev and is_han(prev) and is_reading(prev, syllable):
            report.count("pinyin_removed")
            last_removed_end = m.end()
            return ""
        if start == last_removed_end:
            # 中(zhōng)(zhōng): once the first goes, the second follows 中.
            again = True
        if not has_tone(syllable) or syllable not in all_syllables():
            return m.group(0)  # (a), (an), (ma): ordinary parentheses
        if prev and not is_han(prev) and start >= 2:
            straddle = _straddle_char(m.string[start - 2], prev)
            if straddle is not None and is_reading(straddle, syllable):
                report.count("mojibake_repaired")
                report.flag("stray_pinyin")
                return ""
        report.flag("stray_pinyin")
        return m.group(0)

    return ANNOTATION_RE.sub(replace, text), again


def strip_annotations(text: str, report: Report) -> str:
    """Remove reading annotations; flag (and, where the bytes explain it, repair) strays."""
    if "(" not in text and "（" not in text:
        return text
    for _ in range(4):
        text, again = _strip_pass(text, report)
        if not again:
            break
    return text
