"""Keyword patterns for pages in either script, through a clone's inserted pinyin.

Pages reach us in simplified or traditional script, sometimes with pinyin inserted by a clone
(`責(zé)編`), so `kw()` builds a pattern that accepts either script and an optional annotation
after every character.
"""

from __future__ import annotations

import re
from functools import cache

from crawler.text.chars import HAN_CLASS
from crawler.text.convert import converter

# A clone's pinyin annotation after a character: (qū), (biāo), (zhe).
PY = r"(?:\([a-zA-Z\u00c0-\u024f\u0300-\u036f]{1,8}\))?"


@cache
def variants(char: str) -> str:
    """The character and its traditional forms (OpenCC, one character at a time)."""
    forms = {char}
    for config in ("s2t", "s2tw", "s2hk"):
        converted = converter(config).convert(char)
        if len(converted) == 1:
            forms.add(converted)
    return "".join(sorted(forms))


@cache
def kw(word: str) -> str:
    """Regex source matching `word` in either script, with optional pinyin after each character."""
    parts = []
    for char in word:
        if re.match(HAN_CLASS, char):
            forms = variants(char)
            parts.append((f"[{forms}]" if len(forms) > 1 else forms) + PY)
        elif char == " ":
            parts.append(r"\s*")
        else:
            parts.append(re.escape(char))
    return "".join(parts)


def any_kw(*words: str) -> str:
    """Regex source matching any of `words` (the longest first), as `kw` does one."""
    return "(?:" + "|".join(kw(w) for w in sorted(words, key=len, reverse=True)) + ")"


# `来源：新华社`: the outlet a page names as its source (group 1).
SOURCE_FIELD = kw("来源") + r"\s*[:：]\s*([^\s　|｜]*)"
