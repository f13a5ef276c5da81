"""normalize_record: every text field normalized, the source kept, the report merged."""

from __future__ import annotations

import copy

from crawler.normalize import normalize_record, normalize_with_report

RECORD = {
    "id": "abc",
    "url": "http://www.ahcaijing.com/html/2020/24h_0210/1.html",
    "title": "馬鞍山鄭蒲港新區(qū):萬眾一心防疫情",
    "subtitle": "組團(tuán)服務暖民心",
    "body": "市場星報、安徽財經(jīng)網(wǎng)(m.xomn.cn)訊 面對疫情,新區(qū)持續(xù)發(fā)揮作用。\n\n機(jī)關(guān)干部率先垂范。",
    "authors": ["張發(fā)平"],
    "editors": ["張發平", "劉婭文"],
    "source": "市場星報",
    "images": [{"url": "http://static.example/a.jpg", "caption": "志願(yuàn)者入戶宣傳"}],
    "section": ["24H"],
    "published": "2020-02-10T10:19:25+08:00",
    "dedupe": {"content_hash": "x"},
}


def test_fields_normalized_and_input_untouched():
    before = copy.deepcopy(RECORD)
    out = normalize_record(RECORD)
    assert RECORD == before  # not mutated
    assert out is not RECORD and out["images"] is not RECORD["images"]
    assert out["title"] == "马鞍山郑蒲港新区：万众一心防疫情"
    assert out["subtitle"] == "组团服务暖民心"
    assert (
        out["body"]
        == "市场星报、安徽财经网（m.xomn.cn）讯 面对疫情，新区持续发挥作用。\n机关干部率先垂范。"
    )
    assert out["authors"] == ["张发平"]
    assert out["editors"] == ["张发平", "刘娅文"]
    assert out["source"] == "市场星报"
    assert out["images"] == [{"url": "http://static.example/a.jpg", "caption": "志愿者入户宣传"}]
    for key in ("id", "url", "section", "published", "dedupe"):
        assert out[key] == RECORD[key]


def test_original_and_merged_report():
    out = normalize_record(RECORD)
    assert out["original"] == {"title": RECORD["title"], "body": RECORD["body"]}
    report = out["normalization"]
    fields = [RECORD["title"], RECORD["subtitle"], RECORD["body"], RECORD["source"],
              *RECORD["authors"], *RECORD["editors"], RECORD["images"][0]["caption"]]  # fmt: skip
    reports = [normalize_with_report(text)[1] for text in fields]
    for key in ("pinyin_removed", "chars_converted", "punctuation_fixed"):
        assert report[key] == sum(r[key] for r in reports) > 0
    assert report["flags"] == sorted({f for r in reports for f in r["flags"]})


def test_renormalizing_keeps_the_first_original():
    once = normalize_record(RECORD)
    twice = normalize_record(once)
    assert twice["original"] == once["original"]
    for key in ("title", "body", "authors", "editors", "images"):
        assert twice[key] == once[key]


def test_names_follow_the_article_script():
    # 丁乾 alone could be traditional for 丁干; in a simplified article it is a name.
    simplified = normalize_record({"title": "记者报道", "body": "这是正文。", "authors": ["丁乾"]})
    assert simplified["authors"] == ["丁乾"]
    traditional = normalize_record({"title": "記者報導", "body": "這是正文。", "authors": ["丁乾"]})
    assert traditional["authors"] == ["丁干"]
    assert traditional["title"] == "记者报导"


def test_flags_surface_in_the_record():
    out = normalize_record({"body": "正文??h正文\ufffd", "title": "標題"})
    assert "mojibake:U+FFFD" in out["normalization"]["flags"]
