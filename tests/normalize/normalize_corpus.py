"""Test corpus: the captures copied into data/, and simplified source paragraphs."""

from __future__ import annotations

import html
import re
from pathlib import Path

DATA = Path(__file__).parent / "data"

CAPTURES = {
    "000": "000_b760788b76aa0b9d.txt",
    "001": "001_eb2cd2e88cf5ef07.txt",
    "002": "002_c958ba50244ddc93.txt",
    "003": "003_e546b967168f28ed.txt",
    "004": "004_0c5de8a700484aa0.txt",
}


def capture(key: str) -> str:
    return (DATA / CAPTURES[key]).read_text(encoding="utf-8")


def paragraphs_000() -> list[str]:
    """The <p> paragraphs of capture 000 (a simplified page, full-width punctuation)."""
    out = []
    for raw in re.findall(r"<p>(.*?)</p>", capture("000"), flags=re.S):
        text = html.unescape(re.sub(r"<[^>]+>", "", raw)).strip()
        if text:
            out.append(text)
    return out


def paragraphs_004() -> list[str]:
    """Capture 004 as the paper printed it: reviewed by hand, punctuation restored."""
    text = (DATA / "004_canonical.txt").read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line]


def fixture_paragraphs() -> list[str]:
    text = (DATA / "fixtures_simplified.txt").read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def source_paragraphs() -> list[str]:
    return paragraphs_000() + paragraphs_004() + fixture_paragraphs()
