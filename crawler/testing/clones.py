"""Simulate what content-farm clones do to simplified Chinese news text.

Clones convert to traditional characters with OpenCC, insert the tone-marked
pinyin of some characters right after them in ASCII parentheses (``社區(qū)``), and
flatten full-width punctuation to ASCII. ``clonify`` reproduces that so tests and
fixture sites have realistic damaged text whose clean original is known.
"""

from __future__ import annotations

import random
import re

import opencc
from pypinyin import Style, pinyin

from crawler.text import HAN_BMP, converter

VARIANTS = ("s2t", "s2tw", "s2hk")

# The six marks clones fold; 。、“” and the rest survive in the captures.
_FOLD = str.maketrans("，：；（）！？", ",:;()!?")

_HAN_RUN = re.compile(f"[{HAN_BMP}]+")


def _readings(run: str) -> list[str]:
    """Tone-marked reading of each character of a Han run, chosen in context."""
    items = pinyin(run, style=Style.TONE, errors=lambda chars: list(chars))
    flat = [item[0] for item in items]
    # pypinyin returns one item per character for a pure Han run; guard anyway.
    return flat if len(flat) == len(run) else [""] * len(run)


def _convert_run(conv: opencc.OpenCC, run: str) -> str:
    """Convert one Han run, keeping one output character per input character."""
    out = conv.convert(run)
    if len(out) == len(run):
        return out
    # Phrase tables can change the length; fall back to character by character.
    return "".join(c if len(c := conv.convert(ch)) == 1 else ch for ch in run)


def clonify(
    text: str,
    *,
    variant: str = "s2t",
    annotate: float = 0.3,
    seed: int = 0,
    fold_punctuation: bool = True,
) -> str:
    """Turn simplified ``text`` into clone text, deterministically for ``seed``.

    ``variant`` is the OpenCC config (``s2t``, ``s2tw`` or ``s2hk``); ``annotate`` is
    the fraction of Chinese characters followed by their ASCII-parenthesized pinyin.
    """
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}, not {variant!r}")
    rng = random.Random(seed)
    conv = converter(variant)
    parts: list[str] = []
    pos = 0
    for m in _HAN_RUN.finditer(text):
        parts.append(text[pos : m.start()])
        run = m.group()
        converted = _convert_run(conv, run)
        readings = _readings(run)
        for ch, reading in zip(converted, readings, strict=True):
            parts.append(ch)
            if reading.isalpha() and reading != ch and rng.random() < annotate:
                parts.append(f"({reading})")
        pos = m.end()
    parts.append(text[pos:])
    out = "".join(parts)
    return out.translate(_FOLD) if fold_punctuation else out
