"""Character width and punctuation.

Canonical text has full-width ，：；（）！？ next to Chinese, ASCII inside Latin and
number runs (m.xomn.cn, H7N9, 2020/2/17, 9:40:36), and ASCII letters and digits.
Clones fold the full-width marks to ASCII; this puts them back wherever a Chinese
character (or Chinese punctuation) touches the mark. Full-width marks are never
turned into ASCII: the publications use them, even between digits.
"""

from __future__ import annotations

import re

from crawler.normalize._chars import is_cjk
from crawler.normalize.report import Report
from crawler.text import CJK_BMP, HAN_RE

# Full-width letters and digits -> ASCII.
WIDE_ALNUM = "\uff10-\uff19\uff21-\uff3a\uff41-\uff5a"  # ``fold_width`` changes nothing else
_WIDE_ALNUM_RE = re.compile(f"[{WIDE_ALNUM}]")
_FOLD_ALNUM = {
    c: chr(c - 0xFEE0)
    for r in ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A))
    for c in range(r[0], r[1] + 1)
}
# Full-width marks inside what is now an ASCII run: ２．５ -> 2.5, ９：４０ -> 9:40.
_WIDE_IN_RUN_RE = re.compile("(?<=[0-9A-Za-z])[．：／－＿＠](?=[0-9A-Za-z])")
_FOLD_IN_RUN = str.maketrans("．：／－＿＠", ".:/-_@")

_TO_WIDE = str.maketrans(",:;()!?", "，：；（）！？")
_PAREN_RE = re.compile("[()（）]")
_ASCII_PUNCT_RE = re.compile("[,:;!?()]")


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


def _mark_re(mark: str) -> re.Pattern[str]:
    # The mark comes first so the scan skips ahead at C speed (~13 ns a
    # character); a look-behind first would cost ~50.
    m = re.escape(mark)
    guard = "(?<!\\?\\?)(?!\\?)" if mark == "?" else ""  # ?? stays: likely mojibake
    return re.compile(f"{m}(?:(?<=[{CJK_BMP}].)|(?=[{CJK_BMP}])){guard}")


_MARK_RES = [(mark, _mark_re(mark), mark.translate(_TO_WIDE)) for mark in ",:;!?"]


def _fix_marks(text: str, report: Report) -> str:
    """，：；！？ for ASCII marks with Chinese right before or right after them."""
    for mark, regex, wide in _MARK_RES:
        if mark in text:
            text, n = regex.subn(wide, text)
            report.count("punctuation_fixed", n)
    return text


def _paren_pairs(text: str) -> list[tuple[int | None, int | None]]:
    """Match parentheses of either width; unmatched ones pair with None."""
    stack: list[int] = []
    pairs: list[tuple[int | None, int | None]] = []
    for m in _PAREN_RE.finditer(text):
        i = m.start()
        if text[i] in "(（":
            stack.append(i)
        elif stack:
            pairs.append((stack.pop(), i))
        else:
            pairs.append((None, i))
    pairs.extend((i, None) for i in stack)
    return pairs


def _pair_is_chinese(text: str, open_i: int | None, close_i: int | None) -> bool:
    n = len(text)
    if open_i is None or close_i is None:
        # Unpaired: judge by its own neighbours.
        i = open_i if open_i is not None else close_i
        assert i is not None
        return (i > 0 and is_cjk(text[i - 1])) or (i + 1 < n and is_cjk(text[i + 1]))
    return (
        (open_i > 0 and is_cjk(text[open_i - 1]))
        or (close_i + 1 < n and is_cjk(text[close_i + 1]))
        or HAN_RE.search(text, open_i + 1, close_i) is not None
    )


def _fix_parens(text: str, report: Report) -> str:
    """ASCII parentheses in a Chinese context become full-width, pair by pair."""
    if "(" not in text and ")" not in text:
        return text
    widen: list[int] = []
    for open_i, close_i in _paren_pairs(text):
        ascii_members = [i for i in (open_i, close_i) if i is not None and text[i] in "()"]
        if ascii_members and _pair_is_chinese(text, open_i, close_i):
            widen.extend(ascii_members)
    if not widen:
        return text
    widen.sort()
    parts: list[str] = []
    pos = 0
    for i in widen:
        parts.append(text[pos:i])
        parts.append(text[i].translate(_TO_WIDE))
        pos = i + 1
    parts.append(text[pos:])
    report.count("punctuation_fixed", len(widen))
    return "".join(parts)


def fix_punctuation(text: str, report: Report) -> str:
    """ASCII ，：；（）！？ next to Chinese -> full-width, repeated until stable.

    Each widened mark becomes Chinese context for its neighbours (中,(1) -> 中，（1）),
    so a second pass can find more; stopping at a fixed point keeps this idempotent.
    """
    for _ in range(8):
        if _ASCII_PUNCT_RE.search(text) is None:
            break
        before = text
        text = _fix_parens(_fix_marks(text, report), report)
        if text == before:
            break
    return text
