"""Character sets of the normalization steps (the shared classes are in crawler.text.chars).

Speed note: Python's ``re`` checks a character class with scattered
supplementary-plane members one literal at a time (about 200 ns a character on
this machine, against 7 ns for a BMP class), so classes are kept to the BMP plus
plain ranges, and single characters are tested with set lookups.
"""

from __future__ import annotations

import re

from crawler.normalize._charsets import AMBIGUOUS, SIMP_ONLY, T2S_EXTRA, TRAD_ONLY
from crawler.text.chars import CJK_CONTEXT, HAN

_TRAD_BMP = "".join(c for c in TRAD_ONLY if ord(c) < 0x10000)
_TRAD_SUPP = "".join(c for c in TRAD_ONLY if ord(c) >= 0x10000)
_SUPP_RE = re.compile("[\U00010000-\U0010ffff]")
_TRAD_BMP_RE = re.compile(f"[{_TRAD_BMP}]")
TRAD_RE = re.compile(f"[{_TRAD_BMP}]|(?={_SUPP_RE.pattern})[{_TRAD_SUPP}]")
SIMP_RE = re.compile(f"[{SIMP_ONLY}]")
# Anything OpenCC's tw2s could rewrite: traditional-only and ambiguous
# characters, hk2s's extras, and compatibility ideographs.
_MAY_CHANGE_BMP = "".join(c for c in TRAD_ONLY + AMBIGUOUS + "".join(T2S_EXTRA) if ord(c) < 0x10000)
MAY_CHANGE_BMP_RE = re.compile(f"[{_MAY_CHANGE_BMP}\uf900-\ufaff]")


def _expand(ranges: str) -> frozenset[str]:
    """The BMP members of a regex class body made of ranges and single characters."""
    out: set[str] = set()
    i = 0
    while i < len(ranges):
        if i + 2 < len(ranges) and ranges[i + 1] == "-":
            if ord(ranges[i]) < 0x10000:
                out.update(chr(c) for c in range(ord(ranges[i]), ord(ranges[i + 2]) + 1))
            i += 3
        else:
            out.add(ranges[i])
            i += 1
    return frozenset(out)


_HAN_BMP = _expand(HAN)
_CJK_BMP = _expand(CJK_CONTEXT)


def is_han(ch: str) -> bool:
    return ch in _HAN_BMP or "\U00020000" <= ch <= "\U0003134f"


def is_cjk(ch: str) -> bool:
    """Whether ``ch`` makes its neighbourhood Chinese (Han or CJK punctuation)."""
    return ch in _CJK_BMP or "\U00020000" <= ch <= "\U0003134f"


def has_trad(text: str) -> bool:
    """Whether ``text`` has a traditional-only character (fast on long text)."""
    if _TRAD_BMP_RE.search(text):
        return True
    return has_supplementary(text) and TRAD_RE.search(text) is not None


def count_trad(text: str) -> int:
    """How many traditional-only characters ``text`` has (TRAD_RE's alternation is slow to scan
    long text; a run of a few characters is quicker with it than with two scans)."""
    if len(text) < 64 or has_supplementary(text):
        return len(TRAD_RE.findall(text))
    return len(_TRAD_BMP_RE.findall(text))


def may_change_script(text: str) -> bool:
    """Whether tw2s could change anything in ``text``; False for most simplified text."""
    return MAY_CHANGE_BMP_RE.search(text) is not None or has_supplementary(text)


def has_supplementary(text: str) -> bool:
    if len(text) < 256:  # the encoder's fixed cost (~1 us) is more than a short scan's
        return _SUPP_RE.search(text) is not None
    # A character past the BMP takes two UTF-16 units: ~1 ns a character, a regex scan ~10.
    return len(text.encode("utf-16-le", "surrogatepass")) > 2 * len(text)


def run_around(text: str, i: int) -> tuple[int, int]:
    """Bounds of the run of Han characters that contains position ``i``."""
    a = i
    while a > 0 and is_han(text[a - 1]):
        a -= 1
    b = i + 1
    n = len(text)
    while b < n and is_han(text[b]):
        b += 1
    return a, b
