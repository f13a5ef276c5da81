"""The real captures: clone text (001-003) and simplified pages (000, 004)."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from normalize_corpus import capture, paragraphs_000

from crawler.normalize import normalize_record, normalize_text, normalize_with_report
from crawler.normalize._chars import TRAD_RE
from crawler.text import HAN

CLONES = ["001", "002", "003"]
TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ"
# Anything that looks like a pinyin annotation: lowercase letters in parentheses.
PINYIN_PAREN_RE = re.compile(f"[(（][a-zü{TONED}]+[)）]")
HAN_RE = re.compile(f"[{HAN}]")


@pytest.fixture(scope="module")
def normalized() -> dict[str, tuple[str, dict]]:
    return {key: normalize_with_report(capture(key)) for key in ["000", *CLONES, "004"]}


@pytest.mark.parametrize("key", CLONES)
def test_no_pinyin_annotation_left(normalized, key):
    raw = capture(key)
    assert len(PINYIN_PAREN_RE.findall(raw)) > 50  # the capture really is annotated
    out, report = normalized[key]
    assert PINYIN_PAREN_RE.findall(out) == []
    assert report["pinyin_removed"] > 50


@pytest.mark.parametrize("key", CLONES)
def test_no_traditional_only_character_left(normalized, key):
    assert len(TRAD_RE.findall(capture(key))) > 100
    out, report = normalized[key]
    assert TRAD_RE.findall(out) == []
    assert report["chars_converted"] > 100


@pytest.mark.parametrize("key", CLONES)
def test_every_other_parenthesis_kept(normalized, key):
    raw = capture(key)
    expected = len(re.findall("[(（]", raw)) - len(PINYIN_PAREN_RE.findall(raw))
    out, _ = normalized[key]
    assert len(re.findall("[(（]", out)) == expected
    assert len(re.findall("[)）]", out)) == expected


@pytest.mark.parametrize(
    ("key", "fragment"),
    [
        ("001", "（记者 李东华）"),
        ("001", "（责编：汤宁 初审：孙继奎 终审：沈国冰）"),
        ("001", "2月4日，《致全市乡镇（街道）、村（社区）党员干部的一封信》"),
        ("001", "发布时间：2020/2/17 9:40:36"),
        ("001", "八公山区全力应对H7N9疫情防控"),
        ("001", "E-Mail:huainannet@163.com"),
        ("002", "市场星报、安徽财经网（m.xomn.cn）讯"),
        ("002", "编辑：张发平"),
        ("002", "手套2.5万双"),
        ("003", "“惠达.丹悦府”"),
        ("003", "（徐文亮）\n（责任编辑：刘娅文）"),
    ],
)
def test_fragments_come_out_canonical(normalized, key, fragment):
    assert fragment in normalized[key][0]


def test_mojibake_repaired_from_bytes(normalized):
    out_001, rep_001 = normalized["001"]
    assert "皖I(lǐng)CP" in capture("001")
    assert "皖ICP备07008621号-2" in out_001
    assert rep_001["mojibake_repaired"] == 1
    assert "stray_pinyin" in rep_001["flags"]

    out_003, rep_003 = normalized["003"]
    assert capture("003").count("??h") == 2
    assert "??" not in out_003
    assert "树立了标杆。县审计局作为牵头单位" in out_003
    assert "体现了审计人的担当。县建发公司党员" in out_003
    assert rep_003["mojibake_repaired"] == 2
    assert not any(flag.startswith("mojibake") for flag in rep_003["flags"])


def test_titles_bylines_and_editors_simplified():
    raw_001 = capture("001")
    title_001 = re.search(r"^\s*(力量下沉.*防線)\s*$", raw_001, re.M).group(1)
    editors_001 = re.search(r"責\(zé\)編:(\S+)\s+初審:(\S+)\s+終審:(\S+)\)", raw_001).groups()
    author_001 = re.search(r"\(記者 (\S+)\)", raw_001).group(1)
    rec = normalize_record(
        {"title": title_001, "authors": [author_001], "editors": list(editors_001),
         "body": raw_001, "url": "http://example.invalid/zt_content.asp?id=1"}
    )  # fmt: skip
    assert rec["title"] == "力量下沉，筑牢社区疫情防控最强防线"
    assert rec["authors"] == ["李东华"]
    assert rec["editors"] == ["汤宁", "孙继奎", "沈国冰"]
    assert rec["url"] == "http://example.invalid/zt_content.asp?id=1"
    assert rec["original"]["title"] == title_001

    raw_002 = capture("002")
    title_002 = re.search(r"^(馬鞍山.*)$", raw_002, re.M).group(1)
    editor_002 = re.search(r"編輯:(\S+)", raw_002).group(1)
    rec = normalize_record({"title": title_002, "editors": [editor_002]})
    assert rec["title"] == "马鞍山郑蒲港新区：万众一心防疫情 组团服务暖民心"
    assert rec["editors"] == ["张发平"]

    raw_003 = capture("003")
    author_003 = re.search(r"\((徐\S*?)\)\s*$", raw_003.splitlines()[-2]).group(1)
    editor_003 = re.search(r"輯:(\S+)\)", raw_003).group(1)
    rec = normalize_record({"body": raw_003, "authors": [author_003], "editors": [editor_003]})
    assert rec["authors"] == ["徐文亮"]
    assert rec["editors"] == ["刘娅文"]
    assert "title" not in rec and rec["original"] == {"title": None, "body": raw_003}


def test_simplified_captures_keep_their_characters(normalized):
    """000 and 004 are simplified: only punctuation, white space and line order
    (captions moved after the paragraph they interrupted) may change."""
    for key in ("000", "004"):
        raw = capture(key)
        out, report = normalized[key]
        assert Counter(HAN_RE.findall(out)) == Counter(HAN_RE.findall(raw))
        assert report["chars_converted"] == 0
        assert report["pinyin_removed"] == 0


def test_004_print_column_breaks_rejoined(normalized):
    out, report = normalized["004"]
    lines = out.split("\n")
    assert "宁可十防九空，不可失防万一。" in out
    assert "积极应对企业陆续复工复产，办事处立足实际" in out
    # The paragraph that ended in a comma continues after two photo captions;
    # the captions follow the re-joined paragraph.
    assert "也积极参与进来，或协助疫情防控、或贡献一份爱心" in out
    joined = next(i for i, line in enumerate(lines) if "或协助疫情防控" in line)
    assert lines[joined + 1 : joined + 3] == [
        "泉阳社区为居家隔离家庭打扫隔离住处",
        "志愿者入户宣传",
    ]
    assert report["paragraphs_joined"] == 3
    for heading in ("■ 群防群治 打好防控组合拳", "■ 共担风雨 党群一心齐抗疫",
                    "■ 精准防控 全力保障复工复产", "吴胜 程静文", "夏岗社区防疫工作推进会",
                    "凝心聚力齐抗“疫” 党群同心克时艰"):  # fmt: skip
        assert heading in lines


def test_000_headings_stay_on_their_own_lines():
    paragraphs = paragraphs_000()
    assert "帮助查找短板 解决很多难题" in paragraphs
    text = "\n".join(paragraphs)
    assert normalize_text(text).split("\n") == paragraphs
