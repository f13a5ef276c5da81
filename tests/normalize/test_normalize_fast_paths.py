"""The fast paths of normalization give exactly what the plain code gives.

Each shortcut (a scan that skips a stage, a vectorized loop, a cheaper count) is
compared with the straightforward form it replaced, kept here as the reference,
on the stage's real inputs: the benchmark's mixed text, the captures, the fixture
articles and, where present, the real pages of the data sets.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest
from normalize_corpus import CAPTURES, capture, source_paragraphs

from crawler.extract import extract_article
from crawler.normalize import layout, mojibake, pinyin, punct, script
from crawler.normalize._chars import TRAD_RE, count_trad, has_supplementary, has_trad
from crawler.normalize._charsets import T2S_EXTRA
from crawler.normalize.core import _BYTES_OR_WIDTH_RE, _plain, stages
from crawler.normalize.report import Report
from crawler.testing import clonify

REPO = Path(__file__).resolve().parents[2]
FIXTURE_PAGES = REPO / "crawler" / "fixtures" / "sites"


def _bench_corpus() -> list[str]:
    spec = importlib.util.spec_from_file_location("bench_normalize", REPO / "benchmarks" / "bench_normalize.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    return [doc for docs in bench.build_corpus(3_000_000).values() for doc in docs]


def _page_texts(pages: list[Path], raw_too: bool) -> list[str]:
    """The pages' extracted fields, their bodies as clone text, and (``raw_too``) the pages' bytes
    read as text: markup is full of ASCII punctuation, parentheses and white space."""
    out = []
    for i, page in enumerate(pages):
        raw = page.read_bytes()
        if raw_too:
            out.append(raw.decode("utf-8", "replace"))
        record = extract_article(raw, "http://unknown.example/page.html")
        out.extend(v for v in record.values() if isinstance(v, str))
        if isinstance(record.get("body"), str):
            variant = ("s2t", "s2tw", "s2hk")[i % 3]
            out.append(clonify(record["body"], variant=variant, annotate=(0.3, 1.0)[i % 2], seed=i))
    return out


@pytest.fixture(scope="module")
def corpus(pytestconfig: pytest.Config) -> list[str]:
    texts = _bench_corpus() + [capture(k) for k in CAPTURES] + source_paragraphs()
    texts += [clonify(p, variant="s2hk", annotate=0.5, seed=i) for i, p in enumerate(source_paragraphs())]
    fixtures = sorted(p for p in FIXTURE_PAGES.rglob("*") if p.suffix in (".html", ".htm", ".asp"))
    assert fixtures, FIXTURE_PAGES
    texts += _page_texts(fixtures, raw_too=True)
    root = Path(pytestconfig.getoption("--datasets"))
    real = sorted(root.glob("*/*/*.html"))
    if real:
        texts += _page_texts(real, raw_too=False)
    else:
        print(f"no data sets under {root} (--datasets DIR or ZH_DATASETS): fixtures and captures only")
    return list(dict.fromkeys(texts))


@pytest.fixture(scope="module")
def stage_inputs(corpus: list[str]) -> dict[str, list[str]]:
    """What each stage receives, over the whole corpus."""
    inputs: dict[str, list[str]] = {}
    texts = corpus
    for name, stage in stages():
        inputs[name] = texts
        texts = [stage(text, Report()) for text in texts]
    inputs["end"] = texts
    return inputs


# --- the references: the plain forms the fast paths replaced ------------------------


def strip_pass_reference(text: str, report: Report) -> tuple[str, bool]:
    pieces = pinyin._ANNOTATION_SPLIT_RE.split(text)
    if len(pieces) == 1:
        return text, False
    out = [pieces[0]]
    pos = len(pieces[0])
    removed = 0
    again = False
    prev_removed = False
    for i in range(1, len(pieces), 2):
        annotation = pieces[i]
        syllable = annotation[1:-1]
        prev = text[pos - 1] if pos else ""
        if syllable in pinyin.accepted_syllables(prev):
            removed += 1
            prev_removed = True
        else:
            if prev_removed and not pieces[i - 1]:
                again = True
            prev_removed = False
            out.append(pinyin._judge_stray(text, pos, prev, annotation, syllable, report))
        out.append(pieces[i + 1])
        pos += len(annotation) + len(pieces[i + 1])
    report.count("pinyin_removed", removed)
    return "".join(out), again


def changed_reference(before: str, after: str) -> int:
    if len(before) != len(after):
        return max(len(before), len(after))
    return sum(a != b for a, b in zip(before, after, strict=True))


def convert_reference(text: str) -> str:
    return script._tw2s.convert(text).translate(str.maketrans(T2S_EXTRA))


def tidy_reference(text: str, report: Report) -> str:
    text = layout.collapse_whitespace(text)
    if "\n" not in text:
        return text
    return "\n".join(layout.join_paragraphs(text.split("\n"), report))


# --- the comparisons -------------------------------------------------------------------


def _report(report: Report) -> dict:
    return report.as_dict()


def test_annotation_pass_matches_the_loop(stage_inputs: dict[str, list[str]]) -> None:
    texts = stage_inputs["pinyin"]
    assert sum(t.count("(") for t in texts) > 50_000  # annotated text is in the corpus
    for text in texts:
        got, ref = Report(), Report()
        assert pinyin._strip_pass(text, got) == strip_pass_reference(text, ref), text[:200]
        assert _report(got) == _report(ref)


def test_stray_annotations_take_the_same_path() -> None:
    # Kept annotations after removed ones, back to back, after Latin, at the start.
    for text in ["中(zhōng)(zhōng)", "(qū)社區(qū)", "皖I(lǐng)CP備", "措施(chéng)(a)和(b)",
                 "圖(tú)(b)" * 20, "社區（qū）(qū)", "中(zhōng" * 3]:  # fmt: skip
        got, ref = Report(), Report()
        assert pinyin._strip_pass(text, got) == strip_pass_reference(text, ref), text
        assert _report(got) == _report(ref)


def test_skipped_stages_would_change_nothing(stage_inputs: dict[str, list[str]]) -> None:
    """core skips sanitize and width when the trigger scans find none of their characters."""
    texts = stage_inputs["sanitize"] + ["ÖÐÎÄ中", "shàng(shàng)", "àéìòùü", "中\x00", "Ａ"]
    skipped = [t for t in texts if _plain(t)]
    assert len(skipped) > len(texts) / 4
    assert any(_BYTES_OR_WIDTH_RE.search(t) for t in skipped)  # pinyin's à é ü
    for text in skipped:
        report = Report()
        assert punct.fold_width(mojibake.sanitize(text, report), report) == text
        assert _report(report) == _report(Report())


def test_layout_shortcut_matches(stage_inputs: dict[str, list[str]]) -> None:
    for text in stage_inputs["layout"]:
        got, ref = Report(), Report()
        assert layout.tidy(text, got) == tidy_reference(text, ref)
        assert _report(got) == _report(ref)


def test_script_counts_match(stage_inputs: dict[str, list[str]]) -> None:
    for text in stage_inputs["script"]:
        assert has_trad(text) == (TRAD_RE.search(text) is not None)
        assert count_trad(text) == len(TRAD_RE.findall(text))
        converted = script.convert(text)
        assert converted == convert_reference(text)
        assert script._changed(text, converted) == changed_reference(text, converted)


def test_supplementary_test_matches_the_class(stage_inputs: dict[str, list[str]]) -> None:
    supplementary = re.compile("[\U00010000-\U0010ffff]")
    texts = stage_inputs["sanitize"] + stage_inputs["script"]
    short = ["", "\ud800", "a\udcff中", "𠁞", "\ud840\udc5e", "中\U0010ffff", "\uffff"]
    texts += short + [t * 300 for t in short] + ["中" * 300 + t for t in short]
    assert any(has_supplementary(t) for t in texts)
    for text in texts:
        assert has_supplementary(text) == (supplementary.search(text) is not None), ascii(text[:80])
