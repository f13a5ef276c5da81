"""Keyword spam that clones inject into article text."""

from __future__ import annotations

import re

_SPAM_TERMS = re.compile(
    r"无码|亚洲|av|AV|毛片|色欲|成人|内射|少妇|精品|日韩|久久|福利|午夜|在线观看|中文字幕|乱码|国产")
_SEGMENTS = re.compile(r"[|｜]")
_SENTENCE_END = re.compile(r"[。！？]")


def is_spam(line: str) -> bool:
    """Injected keyword spam: `|`-separated keyword strings, or a line thick with spam terms."""
    segments = [s for s in _SEGMENTS.split(line) if s.strip()]
    if len(segments) >= 5 and sum(map(len, segments)) / len(segments) < 30:
        return True
    return len(_SPAM_TERMS.findall(line)) >= 4 and not _SENTENCE_END.search(line)
