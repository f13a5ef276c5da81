"""OpenCC converters, one per configuration for the whole process (each loads its dictionaries)."""

from __future__ import annotations

from functools import cache

import opencc


@cache
def converter(config: str) -> opencc.OpenCC:
    """The converter for an OpenCC configuration: `t2s`, `tw2s`, `s2t`, `s2tw`, `s2hk`, ..."""
    return opencc.OpenCC(config)
