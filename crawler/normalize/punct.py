"""Character width and punctuation.

Canonical text has full-width ，：；（）！？ next to Chinese, ASCII inside Latin and
number runs (m.xomn.cn, H7N9, 2020/2/17, 9:40:36), and ASCII letters and digits.
Clones fold the full-width marks to ASCII; this puts them back wherever a Chinese
character (or Chinese punctuation) touches the mark. Full-width marks are never
turned into ASCII: the publications use them, even between digits.
"""

from __future__ import annotations

import re

from crawler.normalize._chars import CJK_CONTEXT, HAN_RE
from crawler.normalize.report import Report

# Full-width letters and digits -> ASCII.
_WIDE_ALNUM_RE = re.compile("[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]")
_FOLD_ALNUM = {c: chr(c - 0xFEE0) for r in ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A)) for c in range(r[0], r[1] + 1)}
# Full-width marks inside what is now an ASCII run: ２．５ -> 2.5, ９：４０ -> 9:40.
_WIDE_IN_RUN_RE = re.compile("(?<=[0-9A-Za-z])[．：／－＿＠](?=[0-9A-Za-z])")
_FOLD_IN_RUN = str.maketrans("．：／－＿＠", ".:/-_@")

_TO_WIDE = str.maketrans(",:;()!?", "，：；（）！？")
_MARKS = ",:;!?"
# A run of ASCII marks touching Chinese on at least one side.
_MARK_RE = re.compile(f"(?<=[{CJK_CONTEXT}])[{_MARKS}]+|[{_MARKS}]+(?=[{CJK_CONTEXT}])")
_CJK_RE = re.compile(f"[{CJK_CONTEXT}]")
_PAREN_RE = re.compile("[()（）]")


def fold_width(text: str, report: Report) -> str:
    """Full-width letters and digits (and marks between them) to ASCII."""
    n = len(_WIDE_ALNUM_RE.findall(text))
    if n:
        text = text.translate(_FOLD_ALNUM)
        report.count("width_folded", n)
        m = len(_WIDE_IN_RUN_RE.findall(text))
        if m:
            text = _WIDE_IN_RUN_RE.sub(lambda x: x.group().translate(_FOLD_IN_RUN), text)
            report.count("width_folded", m)
    return text


def _is_cjk(ch: str) -> bool:
    return bool(ch) and _CJK_RE.match(ch) is not None


def _fix_marks(text: str, report: Report) -> str:
    def widen(m: re.Match[str]) -> str:
        marks = m.group()
        if "??" in marks:
            return marks  # ?? next to Chinese is more likely mojibake: leave it, flagged
        report.count("punctuation_fixed", len(marks))
        return marks.translate(_TO_WIDE)

    return _MARK_RE.sub(widen, text)


def _fix_parens(text: str, report: Report) -> str:
    """ASCII parentheses in a Chinese context become full-width, pair by pair."""
    if "(" not in text and ")" not in text:
        return text
    chars = list(text)
    stack: list[int] = []
    pairs: list[tuple[int | None, int | None]] = []
    for m in _PAREN_RE.finditer(text):
        i = m.start()
        if chars[i] in "(（":
            stack.append(i)
        elif stack:
            pairs.append((stack.pop(), i))
        else:
            pairs.append((None, i))
    pairs.extend((i, None) for i in stack)

    n = len(text)
    for open_i, close_i in pairs:
        if (open_i is None or chars[open_i] == "（") and (close_i is None or chars[close_i] == "）"):
            continue
        before = text[open_i - 1] if open_i is not None and open_i > 0 else ""
        after = text[close_i + 1] if close_i is not None and close_i + 1 < n else ""
        inside = text[(open_i if open_i is not None else -1) + 1 : close_i]
        if open_i is None or close_i is None:
            # Unpaired: judge by its own neighbours.
            i = open_i if open_i is not None else close_i
            assert i is not None
            chinese = _is_cjk(text[i - 1] if i else "") or _is_cjk(text[i + 1] if i + 1 < n else "")
        else:
            chinese = _is_cjk(before) or _is_cjk(after) or HAN_RE.search(inside) is not None
        if chinese:
            for i in (open_i, close_i):
                if i is not None and chars[i] in "()":
                    chars[i] = chars[i].translate(_TO_WIDE)
                    report.count("punctuation_fixed")
    return "".join(chars)


def fix_punctuation(text: str, report: Report) -> str:
    """ASCII ，：；（）！？ next to Chinese -> full-width, repeated until stable.

    Each widened mark becomes Chinese context for its neighbours (中,(1) -> 中，（1）),
    so a second pass can find more; stopping at a fixed point keeps this idempotent.
    """
    for _ in range(8):
        before = text
        text = _fix_parens(_fix_marks(text, report), report)
        if text == before:
            break
    return text
