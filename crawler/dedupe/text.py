"""What a story's copies share, as text: the body less spam and everything but letters, digits
and CJK characters. Fingerprints (hash, shingles) and the rule's length of a body read this."""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache

from crawler.text import is_spam

# What copies differ in without being different stories: spacing, punctuation (clones fold it
# to ASCII), letter case. Canonical text keeps letters, digits and CJK characters only.
_NOT_CONTENT = re.compile(r"[^\w]|_", re.UNICODE)


@lru_cache(maxsize=16)  # one body's hash, signature and evidence read it: computed once
def canonical_text(body: str) -> str:
    """What a story's copies share: its lines less keyword spam (which clones append, and
    which extraction may have missed), and of those only letters, digits and CJK characters."""
    lines = [line for line in body.splitlines() if not is_spam(line)]
    return _NOT_CONTENT.sub("", "\n".join(lines)).lower()


def content_hash(body: str) -> str:
    return "sha1:" + hashlib.sha1(canonical_text(body).encode("utf-8")).hexdigest()


def shingles(text: str, k: int) -> set[str]:
    if len(text) <= k:
        return {text} if text else set()
    return {text[i:i + k] for i in range(len(text) - k + 1)}
