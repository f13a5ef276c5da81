"""The normalization pipeline and the article-record wrapper."""

from __future__ import annotations

import copy
from typing import Any

from crawler.normalize import layout, mojibake, pinyin, punct, script
from crawler.normalize.report import Report, merge_reports

# Record fields holding one text, and fields holding a list of names.
TEXT_FIELDS = ("title", "subtitle", "body", "source")
NAME_FIELDS = ("authors", "editors")


def normalize_with_report(text: str) -> tuple[str, dict[str, Any]]:
    """``normalize_text`` plus a report of what changed (counts and flags)."""
    if not isinstance(text, str):
        raise TypeError(f"normalize_text takes str, not {type(text).__name__}")
    report = Report()
    if text:
        # Order matters: bytes first (they need the text as the clone left it),
        # then annotations (they need the traditional text and ASCII parentheses),
        # then script, lines, and punctuation last (it reads its neighbours).
        text = mojibake.sanitize(text, report)
        text = punct.fold_width(text, report)
        text = pinyin.strip_annotations(text, report)
        text = mojibake.repair_folded_straddles(text, report)
        text = script.to_simplified(text, report)
        text = layout.tidy(text, report)
        text = punct.fix_punctuation(text, report)
        mojibake.flag_damage(text, report)
    return text, report.as_dict()


def normalize_text(text: str) -> str:
    """Bring extracted text to the canonical form of DESIGN.md ("Canonical text")."""
    return normalize_with_report(text)[0]


def normalize_record(record: dict[str, Any]) -> dict[str, Any]:
    """A new record with its text fields normalized, ``original`` and ``normalization`` set.

    ``original`` keeps title and body as extracted; a record that already has
    one (normalized before) keeps it, so re-normalizing never loses the source.
    """
    out = copy.deepcopy(record)
    reports: list[dict[str, Any]] = []

    def norm(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        text, rep = normalize_with_report(value)
        reports.append(rep)
        return text

    for key in TEXT_FIELDS:
        if key in out:
            out[key] = norm(out[key])
    for key in NAME_FIELDS:
        if isinstance(out.get(key), list):
            out[key] = [norm(name) for name in out[key]]
    if isinstance(out.get("images"), list):
        for image in out["images"]:
            if isinstance(image, dict) and "caption" in image:
                image["caption"] = norm(image["caption"])

    if not isinstance(record.get("original"), dict):
        out["original"] = {"title": record.get("title"), "body": record.get("body")}
    out["normalization"] = merge_reports(reports)
    return out
