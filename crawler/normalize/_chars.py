"""Character classes shared by the normalization steps (regex fragments)."""

from __future__ import annotations

import re

from crawler.normalize._charsets import SIMP_ONLY, TRAD_ONLY

# Han ideographs: Extension A, the URO, compatibility ideographs, and the
# supplementary planes (Extension B onwards, where OpenCC's rare forms live).
HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"

# What counts as "Chinese" around a punctuation mark: Han, CJK symbols
# (。、「」《》), full-width punctuation (not the full-width letters and digits,
# which are folded to ASCII first), and the quotes, ellipsis and dash Chinese
# typesetting shares with Western text.
CJK_CONTEXT = (
    HAN
    + "\u3001-\u303f\ufe10-\ufe1f\ufe30-\ufe4f"
    + "\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65"
    + "\u2018\u2019\u201c\u201d\u2026\u2014"
)

HAN_RE = re.compile(f"[{HAN}]")
HAN_RUN_RE = re.compile(f"[{HAN}]+")
TRAD_RE = re.compile(f"[{TRAD_ONLY}]")
SIMP_RE = re.compile(f"[{SIMP_ONLY}]")


def is_han(ch: str) -> bool:
    return HAN_RE.match(ch) is not None
