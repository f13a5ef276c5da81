"""The normalization pipeline and the article-record wrapper."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from functools import partial
from typing import Any

from crawler.normalize import layout, mojibake, pinyin, punct, script
from crawler.normalize.report import Report, merge_reports
from crawler.record import NAME_FIELDS, TEXT_FIELDS


def normalize_with_report(text: str) -> tuple[str, dict[str, Any]]:
    """``normalize_text`` plus a report of what changed (counts and flags)."""
    return _normalize(text, None)


Stage = Callable[[str, Report], str]


def stages(script_hint: str | None = None) -> list[tuple[str, Stage]]:
    """The pipeline, in order; ``script_hint`` is what the surrounding document is written in.

    Order matters: bytes first (they need the text as the clone left it), then
    annotations (they need the traditional text and ASCII parentheses), then
    script, lines, and punctuation last (it reads its neighbours).
    """
    return [
        ("sanitize", mojibake.sanitize),
        ("width", punct.fold_width),
        ("pinyin", pinyin.strip_annotations),
        ("straddles", mojibake.repair_folded_straddles),
        ("script", partial(script.to_simplified, hint=script_hint)),
        ("layout", layout.tidy),
        ("punctuation", punct.fix_punctuation),
    ]


_STAGES = stages()
# The first two stages (sanitize, width) change nothing in text without any of these
# characters, which is most text: one scan instead of three.
_BYTES_OR_WIDTH_RE = re.compile(f"[{mojibake.SANITIZE_TRIGGERS}{punct.WIDE_ALNUM}]")
# Pinyin's à é ü are among those; with no suspect or wide character besides, only a Latin-1
# run is left for them to change.
_SUSPECT_OR_WIDTH_RE = re.compile(f"[{mojibake.SUSPECT}{punct.WIDE_ALNUM}]")
_SKIPPABLE = ("sanitize", "width")


def _without_skippable(steps: list[tuple[str, Stage]]) -> list[tuple[str, Stage]]:
    return [step for step in steps if step[0] not in _SKIPPABLE]


_STAGES_PLAIN = _without_skippable(_STAGES)


def _plain(text: str) -> bool:
    """Whether sanitize and width would leave ``text`` as it is (and report nothing)."""
    return _BYTES_OR_WIDTH_RE.search(text) is None or (
        _SUSPECT_OR_WIDTH_RE.search(text) is None
        # Unchanged, so with no report either; a repair takes the whole path again.
        and mojibake.repair_latin1(text, Report()) == text
    )


def _normalize(text: str, script_hint: str | None) -> tuple[str, dict[str, Any]]:
    if not isinstance(text, str):
        raise TypeError(f"normalize_text takes str, not {type(text).__name__}")
    report = Report()
    if text:
        plain = _plain(text)
        if script_hint is None:
            steps = _STAGES_PLAIN if plain else _STAGES
        else:
            steps = stages(script_hint)
            if plain:
                steps = _without_skippable(steps)
        for _, stage in steps:
            text = stage(text, report)
        mojibake.flag_damage(text, report)
    return text, report.as_dict()


def normalize_text(text: str) -> str:
    """Bring extracted text to canonical form (docs/architecture.md, "Canonical text")."""
    return normalize_with_report(text)[0]


def normalize_record(record: dict[str, Any]) -> dict[str, Any]:
    """A new record with its text fields normalized, ``original`` and ``normalization`` set.

    ``original`` keeps title and body as extracted; a record that already has
    one (normalized before) keeps it, so re-normalizing never loses the source.
    """
    out = copy.deepcopy(record)
    reports: list[dict[str, Any]] = []
    # Short fields (a name, a caption) carry too little to tell the script by
    # themselves: 丁乾 alone reads as traditional for 丁干. The article does.
    hint = script.document_script(
        " ".join(v for v in (record.get("title"), record.get("body")) if isinstance(v, str))
    )

    def norm(value: Any, short: bool = False) -> Any:
        if not isinstance(value, str):
            return value
        text, rep = _normalize(value, hint if short else None)
        reports.append(rep)
        return text

    for key in TEXT_FIELDS:
        if key in out:
            out[key] = norm(out[key], short=key in ("subtitle", "source"))
    for key in NAME_FIELDS:
        if isinstance(out.get(key), list):
            out[key] = [norm(name, short=True) for name in out[key]]
    if isinstance(out.get("images"), list):
        for image in out["images"]:
            if isinstance(image, dict) and "caption" in image:
                image["caption"] = norm(image["caption"], short=True)

    if not isinstance(record.get("original"), dict):
        out["original"] = {"title": record.get("title"), "body": record.get("body")}
    out["normalization"] = merge_reports(reports)
    return out
