"""Remove the pinyin annotations clones insert after characters: 社區(qū) -> 社區.

A parenthesized syllable goes only when it is a reading of the character right
before it (any of pypinyin's heteronyms, of the character or of its simplified
form), so (徐文亮), (m.xomn.cn), (2020) and (a) after a Latin letter survive.
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import accumulate, compress
from operator import itemgetter, not_

from pypinyin.pinyin_dict import pinyin_dict

from crawler.normalize._chars import is_han
from crawler.normalize.report import Report
from crawler.text import converter

# Tone-marked vowels and the rare syllabic consonants pypinyin writes (ń, ḿ, ê̄).
_TONED = "àáèéìíòóùúāēěīńňōūǎǐǒǔǘǚǜǹḿếề\u0300\u0304\u030c"
_SYLLABLE_CHARS = "a-zêü" + _TONED
# An annotation in ASCII or full-width parentheses; clones use ASCII.
_ANNOTATION_SPLIT_RE = re.compile(f"([(（][{_SYLLABLE_CHARS}]{{1,8}}[)）])")
# The same where no full-width parenthesis is: a literal first character scans twice as fast.
_ASCII_ANNOTATION_SPLIT_RE = re.compile(f"(\\([{_SYLLABLE_CHARS}]{{1,8}}\\))")

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
_LAST = itemgetter(slice(-1, None))
_SYLLABLE = itemgetter(slice(1, -1))

_t2s = converter("t2s")


def strip_tone(syllable: str) -> str:
    return syllable.translate(_STRIP_TONE)


def has_tone(syllable: str) -> bool:
    return not _TONED_SET.isdisjoint(syllable)


@lru_cache(maxsize=1)
def all_syllables() -> frozenset[str]:
    """Every tone-marked reading pypinyin knows."""
    return frozenset(r for v in pinyin_dict.values() for r in v.split(","))


_ACCEPT: dict[str, frozenset[str]] = {}


def accepted_syllables(ch: str) -> frozenset[str]:
    """Syllables that may annotate ``ch``: its readings, with and without tones.

    Readings of its simplified form count too: clones read the simplified
    source in context, and pypinyin may list a reading only there. Neutral
    tones are written without a mark (了 le, 们 men), and pypinyin lists some
    of them only with their full tone (头 tóu), so toneless forms are accepted;
    a toned syllable can only ever equal a toned reading.
    """
    found = _ACCEPT.get(ch)
    if found is None:
        if not is_han(ch):
            return frozenset()
        toned: set[str] = set()
        for form in {ch, _t2s.convert(ch)}:
            if len(form) == 1 and (entry := pinyin_dict.get(ord(form))):
                toned.update(entry.split(","))
        found = frozenset(toned | {strip_tone(r) for r in toned})
        if len(_ACCEPT) < 100_000:
            _ACCEPT[ch] = found
    return found


def is_reading(ch: str, syllable: str) -> bool:
    """Whether ``syllable`` (tone-marked, or toneless for a neutral tone) reads ``ch``."""
    return syllable in accepted_syllables(ch)


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


def _accepted_annotations(ch: str) -> frozenset[str]:
    """``accepted_syllables`` as clones write them after ``ch``: (qū)."""
    found = _ANNOTATED.get(ch)
    if found is None:
        found = frozenset(f"({s})" for s in accepted_syllables(ch))
        if is_han(ch) and len(_ANNOTATED) < 100_000:
            _ANNOTATED[ch] = found
    return found


_ANNOTATED: dict[str, frozenset[str]] = {}


def _prevs(between: list[str], annotations: list[str]) -> list[str]:
    """The character before each annotation: the end of the text before it, or
    (back to back: 中(zhōng)(zhōng)) the previous annotation's parenthesis."""
    prevs = list(map(_LAST, between[:-1]))
    if "" in prevs:
        for k, prev in enumerate(prevs):
            if not prev and k:
                prevs[k] = annotations[k - 1][-1]
    return prevs


def _strip_pass(text: str, report: Report) -> tuple[str, bool]:
    """One pass; also says whether a kept annotation followed a removed one.

    Annotated clone text has one annotation every few characters, and this is
    the hot path, so the annotations are judged together with C-level ``map``
    calls over the pieces of one ``split``; only the few kept ones take a loop.
    """
    wide = "（" in text or "）" in text
    pieces = (_ANNOTATION_SPLIT_RE if wide else _ASCII_ANNOTATION_SPLIT_RE).split(text)
    if len(pieces) == 1:
        return text, False
    between = pieces[0::2]  # the text around the annotations
    annotations = pieces[1::2]
    if wide:
        lookup, table, judged = accepted_syllables, _ACCEPT, list(map(_SYLLABLE, annotations))
    else:  # clone text: the annotation as it is written, (qū), looked up whole
        lookup, table, judged = _accepted_annotations, _ANNOTATED, annotations
    prevs: list[str] | None = None
    # Cached characters first; an empty or uncached one sends all through ``lookup``.
    accepts = list(map(table.get, map(_LAST, between[:-1])))
    if None in accepts:
        prevs = _prevs(between, annotations)
        accepts = list(map(lookup, prevs))
    read = list(map(frozenset.__contains__, accepts, judged))
    report.count("pinyin_removed", read.count(True))
    if False not in read:
        return "".join(between), False
    if prevs is None:
        prevs = _prevs(between, annotations)
    # Starting offset of each piece in ``text``, for the strays' own context.
    starts = [0, *accumulate(map(len, pieces))]
    kept = [""] * len(annotations)
    again = False
    for k in compress(range(len(annotations)), map(not_, read)):
        if k and read[k - 1] and not between[k]:
            again = True  # 中(zhōng)(zhōng): the second now follows 中
        annotation = annotations[k]
        kept[k] = _judge_stray(
            text, starts[2 * k + 1], prevs[k], annotation, annotation[1:-1], report
        )
    pieces[1::2] = kept
    return "".join(pieces), again


def _judge_stray(
    text: str, pos: int, prev: str, annotation: str, syllable: str, report: Report
) -> str:
    """What to keep of an annotation that does not read the character before it."""
    if not has_tone(syllable) or syllable not in all_syllables():
        return annotation  # (a), (an), (ma): ordinary parentheses
    if prev and not is_han(prev) and pos >= 2:
        straddle = _straddle_char(text[pos - 2], prev)
        if straddle is not None and is_reading(straddle, syllable):
            report.count("mojibake_repaired")
            report.flag("stray_pinyin")
            return ""
    report.flag("stray_pinyin")
    return annotation


def strip_annotations(text: str, report: Report) -> str:
    """Remove reading annotations; flag (and, where the bytes explain it, repair) strays."""
    if "(" not in text and "（" not in text:
        return text
    for _ in range(4):
        text, again = _strip_pass(text, report)
        if not again:
            break
    return text
