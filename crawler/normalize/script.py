"""Traditional to simplified, only where the text is traditional.

OpenCC's tw2s makes the fewest errors on clone text (t2s leaves 著 for 着;
tw2sp/hk2sp rewrite mainland vocabulary), so it does the phrase-level work, and
its answer for a whole document is computed once. What is kept of it is decided
run by run (a run: consecutive Han characters), with the sentence as context:

- a run with traditional-only characters (後, 裏, 衞) and no simplified-only one
  (这, 们) that conversion leaves is converted;
- a run with both is converted when traditional characters are the majority,
  else only its traditional-only characters are;
- a run whose only change is an ambiguous character (乾 -> 干, 著 -> 着, 陞 -> 升)
  is converted in a sentence with traditional-only characters, kept in a
  sentence with simplified-only ones (names, 乾 in a simplified article), and
  with no evidence either way converted (步步高陞, 他看著我) unless the character
  is one conversion itself outputs (么, which tw2s would turn into 幺).

Text that is already simplified, where OpenCC changes nothing, is untouched,
and is recognised without converting it whole (see _ambiguous_runs_unchanged).
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

from crawler.normalize._chars import (
    MAY_CHANGE_BMP_RE,
    SIMP_RE,
    TRAD_RE,
    count_trad,
    has_supplementary,
    has_trad,
    may_change_script,
    run_around,
)
from crawler.normalize._charsets import AMBIGUOUS_OUTPUTS, T2S_EXTRA
from crawler.normalize.report import Report
from crawler.text import HAN_RUN_RE, converter

_tw2s = converter("tw2s")
# Hong Kong variants (衞, 粧, 枱...) only hk2s converts.

# Sentence-sized spans: the context an ambiguous run is judged in.
_SENTENCE_RE = re.compile(r"[^。！？!?；;\n]+[。！？!?；;\n]*|[。！？!?；;\n]+")

SIMPLIFIED = "simplified"  # hint: the surrounding document is simplified
TRAD = "traditional"


def document_script(text: str) -> str | None:
    """SIMPLIFIED when ``text`` is plainly simplified (simplified-only characters,
    no traditional-only ones), else None (traditional, mixed, or undecidable)."""
    if has_trad(text) or SIMP_RE.search(text) is None:
        return None
    return SIMPLIFIED


def convert(text: str) -> str:
    """Phrase-level traditional -> simplified conversion of ``text``, whatever it is."""
    out = _tw2s.convert(text)
    # A substring test per variant runs at memchr speed (a regex class scan costs ~12 ns a
    # character, str.translate with a dict ~50).
    for trad, simp in T2S_EXTRA.items():
        if trad in out:
            out = out.replace(trad, simp)
    return out


def _changed(before: str, after: str) -> int:
    """How many characters differ (positions, when the lengths agree)."""
    if len(before) != len(after):
        return max(len(before), len(after))
    if before == after:
        return 0
    # Compare as arrays of code points, in C.
    a = np.frombuffer(before.encode("utf-32-le"), dtype=np.uint32)
    b = np.frombuffer(after.encode("utf-32-le"), dtype=np.uint32)
    return int(np.count_nonzero(a != b))


def _kept_simplified(run: str, out: str) -> int:
    """How many simplified-only characters of ``run`` conversion leaves alone."""
    if len(run) != len(out):
        return len(SIMP_RE.findall(run))
    return sum(1 for m in SIMP_RE.finditer(run) if out[m.start()] == m.group())


def _produces_output(run: str, out: str) -> bool:
    """Whether the change rewrites a character conversion itself outputs (么 -> 幺)."""
    if len(run) != len(out):
        return any(ch in AMBIGUOUS_OUTPUTS for ch in run)
    return any(a != b and a in AMBIGUOUS_OUTPUTS for a, b in zip(run, out, strict=True))


def _decide_run(run: str, out: str, context: str | None, hint: str | None) -> str:
    """Which of ``run`` and its conversion ``out`` to keep; ``context`` is the
    sentence's script: TRAD (has traditional-only characters), SIMPLIFIED, or None."""
    kept_simp = _kept_simplified(run, out)
    trad = count_trad(run)
    if kept_simp == 0:
        if trad or context == TRAD:
            return out
        if context == SIMPLIFIED or hint == SIMPLIFIED:
            return run
        # No evidence either way (步步高陞 -> 步步高升), except for a character
        # conversion itself produces: 麼 -> 么 must not go on to 幺.
        return run if _produces_output(run, out) else out
    if trad == 0:
        return run
    if trad >= kept_simp:
        return out
    return TRAD_RE.sub(lambda m: convert(m.group()), run)


def _sentence(
    text: str, start: int, end: int, conv_slice: Callable[[int, int], str], hint: str | None
) -> str:
    sentence = text[start:end]
    context: str | None = None
    if has_trad(sentence):
        context = TRAD
    elif SIMP_RE.search(sentence) and _kept_simplified(sentence, conv_slice(start, end)) > 0:
        context = SIMPLIFIED
    parts: list[str] = []
    pos = start
    for m in HAN_RUN_RE.finditer(text, start, end):
        a, b = m.span()
        out = conv_slice(a, b)
        if out != m.group():
            parts.append(text[pos:a])
            parts.append(_decide_run(m.group(), out, context, hint))
            pos = b
    parts.append(text[pos:end])
    return "".join(parts)


# Past this many ambiguous characters, one conversion of the whole text is cheaper.
_MAX_WINDOWS = 24


def _ambiguous_runs_unchanged(text: str) -> bool:
    """Whether OpenCC leaves every run holding an ambiguous character (乾隆, 什么) alone.

    Simplified text often has a few such characters, nearly always inside a
    phrase OpenCC protects; converting those runs only is much cheaper than
    converting the whole text.
    """
    if has_supplementary(text):
        return False
    checked_to = -1
    for count, m in enumerate(MAY_CHANGE_BMP_RE.finditer(text)):
        if count >= _MAX_WINDOWS:
            return False
        if m.start() < checked_to:
            continue
        a, b = run_around(text, m.start())
        run = text[a:b]
        if convert(run) != run:
            return False
        checked_to = b
    return True


def to_simplified(text: str, report: Report, hint: str | None = None) -> str:
    """Convert the traditional parts of ``text`` to simplified characters."""
    if not may_change_script(text):
        return text
    if not has_trad(text) and _ambiguous_runs_unchanged(text):
        return text
    conv = convert(text)
    if conv == text:
        return text  # already simplified (or no Chinese): untouched
    if not SIMP_RE.search(text) and has_trad(text):
        # A traditional text, nothing simplified-only anywhere: take it whole.
        report.count("chars_converted", _changed(text, conv))
        return conv

    if len(conv) == len(text):

        def conv_slice(a: int, b: int) -> str:
            return conv[a:b]
    else:

        def conv_slice(a: int, b: int) -> str:
            return convert(text[a:b])

    parts: list[str] = []
    for m in _SENTENCE_RE.finditer(text):
        a, b = m.span()
        if conv_slice(a, b) == m.group():
            parts.append(m.group())
        else:
            parts.append(_sentence(text, a, b, conv_slice, hint))
    out = "".join(parts)
    report.count("chars_converted", _changed(text, out))
    return out
