"""Hexo/Jekyll post sources: YAML front matter between `---` lines, then the body."""

from __future__ import annotations

import re

import yaml

_FRONT = re.compile(r"\A\s*---[ \t]*\r?\n(.*?)\r?\n---[ \t]*\r?\n", re.S)


def split_front_matter(text: str) -> tuple[dict, str] | None:
    """(metadata, body) if `text` opens with front matter, else None."""
    match = _FRONT.match(text)
    if not match:
        return None
    try:
        meta = yaml.safe_load(match.group(1))
    except yaml.YAMLError:
        return None
    if not isinstance(meta, dict):
        return None
    return meta, text[match.end():]
