"""Chinese character classes: one spelling for the whole crawler.

Class bodies (ranges, no brackets) to build regexes from, and compiled patterns. Python's `re`
checks a class with supplementary-plane members slowly, so the BMP-only forms are what hot
patterns use; `HAN` adds the supplementary planes where rare characters matter (script
conversion, mojibake detection).
"""

from __future__ import annotations

import re

# Han ideographs in the BMP: Extension A, the URO, compatibility ideographs.
HAN_BMP = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# ...and the supplementary planes (Extension B onwards, where OpenCC's rare forms live).
HAN = HAN_BMP + "\U00020000-\U0003134f"
# One BMP Han character, as regex source.
HAN_CLASS = f"[{HAN_BMP}]"

# What counts as "Chinese" around a punctuation mark: Han, CJK symbols (。、「」《》), full-width
# punctuation (not the full-width letters and digits, which normalization folds to ASCII), and
# the quotes, ellipsis and dash Chinese typesetting shares with Western text.
CJK_PUNCT = (
    "\u3001-\u303f\ufe10-\ufe1f\ufe30-\ufe4f"
    "\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65"
    "\u2018\u2019\u201c\u201d\u2026\u2014"
)
CJK_CONTEXT = HAN + CJK_PUNCT
CJK_BMP = HAN_BMP + CJK_PUNCT

HAN_RE = re.compile(f"[{HAN}]")
HAN_RUN_RE = re.compile(f"[{HAN}]+")
