"""What normalization changed: counts per kind of change, and flags."""

from __future__ import annotations

from collections import Counter
from typing import Any

COUNT_KEYS = (
    "pinyin_removed",
    "chars_converted",
    "punctuation_fixed",
    "width_folded",
    "paragraphs_joined",
    "mojibake_repaired",
    "control_removed",
)


class Report:
    """Accumulates counts and flags while one text is normalized."""

    __slots__ = ("counts", "flags")

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.flags: set[str] = set()

    def count(self, key: str, n: int = 1) -> None:
        if n:
            self.counts[key] += n

    def flag(self, name: str) -> None:
        self.flags.add(name)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {key: self.counts.get(key, 0) for key in COUNT_KEYS}
        out.update({k: v for k, v in self.counts.items() if k not in out})
        out["flags"] = sorted(self.flags)
        return out


def merge_reports(reports: list[dict[str, Any]]) -> dict[str, Any]:
    """Sum the counts and unite the flags of several reports."""
    counts: Counter[str] = Counter()
    flags: set[str] = set()
    for rep in reports:
        for key, value in rep.items():
            if key == "flags":
                flags.update(value)
            elif isinstance(value, int):
                counts[key] += value
    out: dict[str, Any] = {key: counts.get(key, 0) for key in COUNT_KEYS}
    out.update({k: v for k, v in counts.items() if k not in out})
    out["flags"] = sorted(flags)
    return out
