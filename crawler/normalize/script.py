"""Traditional to simplified, only where the text is traditional.

OpenCC's tw2s makes the fewest errors on clone text (t2s leaves 著 for 着;
tw2sp/hk2sp rewrite mainland vocabulary), so it does the phrase-level work.
Text that is already simplified is never handed to OpenCC: t2s-style tables
would still touch 乾隆, 于是 or a name. A document is judged sentence by
sentence, so a traditional quote in a simplified article (or the reverse) is
handled on its own.
"""

from __future__ import annotations

import re

import opencc

from crawler.normalize._chars import HAN_RUN_RE, SIMP_RE, TRAD_RE
from crawler.normalize._charsets import T2S_EXTRA
from crawler.normalize.report import Report

_tw2s = opencc.OpenCC("tw2s")
# Hong Kong variants (衞, 粧, 枱...) only hk2s converts.
_EXTRA = str.maketrans(T2S_EXTRA)
_EXTRA_RE = re.compile(f"[{''.join(T2S_EXTRA)}]")

# Sentence-sized spans: the unit the traditional/simplified decision is made on.
_SPAN_RE = re.compile(r"[^。！？!?；;\n]+[。！？!?；;\n]*|[。！？!?；;\n]+")

TRAD, SIMP, NEUTRAL = "T", "S", "N"


def convert(text: str) -> str:
    """Phrase-level traditional -> simplified conversion of ``text``, whatever it is."""
    out = _tw2s.convert(text)
    if _EXTRA_RE.search(out):
        out = out.translate(_EXTRA)
    return out


def _changed(before: str, after: str) -> int:
    if len(before) == len(after):
        return sum(map(str.__ne__, before, after))
    return max(len(before), len(after))


def _classify(span: str) -> str:
    trad = len(TRAD_RE.findall(span))
    if not trad:
        return SIMP if SIMP_RE.search(span) else NEUTRAL
    return TRAD if trad >= len(SIMP_RE.findall(span)) else SIMP


def _convert_mixed_span(span: str) -> str:
    """A mostly simplified sentence with some traditional characters in it.

    Runs of Han characters with no simplified-only character are converted as
    phrases; in runs mixing both, only the traditional-only characters change.
    """

    def fix_run(m: re.Match[str]) -> str:
        run = m.group()
        if not TRAD_RE.search(run):
            return run
        if not SIMP_RE.search(run):
            return convert(run)
        return TRAD_RE.sub(lambda c: convert(c.group()), run)

    return HAN_RUN_RE.sub(fix_run, span)


def to_simplified(text: str, report: Report) -> str:
    """Convert the traditional parts of ``text`` to simplified characters."""
    if not TRAD_RE.search(text):
        return text  # already simplified (or no Chinese): untouched
    if not SIMP_RE.search(text):
        out = convert(text)  # a wholly traditional document: one OpenCC call
        report.count("chars_converted", _changed(text, out))
        return out

    spans = _SPAN_RE.findall(text)
    classes = [_classify(s) for s in spans]
    # A sentence with no telling character (他看著我) follows its neighbours.
    decided = [c for c in classes if c != NEUTRAL]
    prev = decided[0] if decided else SIMP
    for i, cls in enumerate(classes):
        if cls == NEUTRAL:
            classes[i] = prev
        else:
            prev = cls

    parts: list[str] = []
    i = 0
    while i < len(spans):
        j = i
        while j < len(spans) and classes[j] == classes[i]:
            j += 1
        chunk = "".join(spans[i:j])
        out = convert(chunk) if classes[i] == TRAD else _convert_mixed_span(chunk)
        report.count("chars_converted", _changed(chunk, out))
        parts.append(out)
        i = j
    return "".join(parts)
