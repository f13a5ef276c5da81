"""Each rule of the canonical form, one case at a time."""

from __future__ import annotations

import pytest

from crawler.normalize import normalize_text, normalize_with_report

# --- pinyin annotations -------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("社區(qū)", "社区"),
        ("標(biāo)準(zhǔn)", "标准"),
        ("綠(lǜ)色", "绿色"),  # ü with a tone
        ("呂(lǚ)先生", "吕先生"),
        ("我們(men)走了(le)", "我们走了"),  # neutral tones, no mark
        ("桌子(zi)", "桌子"),
        ("石頭(tou)", "石头"),  # pypinyin lists 头 as tóu; the toneless form still reads it
        ("社區（qū）", "社区"),  # full-width parentheses
        ("銀行(háng)行(háng)長(zhǎng)", "银行行长"),  # a heteronym: any of its readings
        ("(徐(xú)文(wén)亮(liàng))", "（徐文亮）"),  # annotations inside a real parenthesis
        ("嗯(ńg)", "嗯"),
    ],
)
def test_annotations_removed(text, expected):
    assert normalize_text(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("(徐文亮)", "（徐文亮）"),  # Chinese inside: full-width
        ("(2020)", "(2020)"),  # nothing Chinese: ASCII stays
        ("安徽財經網(m.xomn.cn)訊", "安徽财经网（m.xomn.cn）讯"),
        ("專用票據(2020)", "专用票据（2020）"),
        ("措施(a)和(b)", "措施（a）和（b）"),  # (a) is a syllable, but no reading of 施
        ("第一(yī)條", "第一（yī）条"),  # yī reads 一... see below
        ("圖(tú)(b)", "图（b）"),
        ("中(zhòng)", "中"),
    ],
)
def test_other_parentheses_survive(text, expected):
    if text == "第一(yī)條":
        expected = "第一条"  # a reading of 一: an annotation, removed
    assert normalize_text(text) == expected


def test_wrong_reading_is_kept():
    out, report = normalize_with_report("措施(chéng)")
    assert out == "措施（chéng）"
    assert "stray_pinyin" in report["flags"]


def test_stray_annotation_after_latin_repaired_and_flagged():
    out, report = normalize_with_report("皖I(lǐng)CP備07008621號")
    assert out == "皖ICP备07008621号"
    assert report["mojibake_repaired"] == 1
    assert "stray_pinyin" in report["flags"]


def test_unexplained_stray_annotation_flagged_and_kept():
    out, report = normalize_with_report("ABC(lǐng)DEF")
    assert out == "ABC(lǐng)DEF"
    assert "stray_pinyin" in report["flags"]
    assert report["mojibake_repaired"] == 0


# --- script -------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "乾隆年间，于是他们出发了。",
        "丁乾是记者。",
        "显著的著名著作。",
        "什么？这么多！",
        "他干部出身。",
        "沈阳市。",
    ],
)
def test_simplified_text_untouched(text):
    out, report = normalize_with_report(text)
    assert out == text
    assert report["chars_converted"] == 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("這裡的頭髮", "这里的头发"),
        ("衞生", "卫生"),  # Hong Kong form only hk2s knows
        ("他看著我", "他看着我"),  # TW 著 for 着
        ("顯著著作", "显著著作"),
        ("乾隆皇帝", "乾隆皇帝"),
        ("乾淨", "干净"),
        ("於是", "于是"),
    ],
)
def test_traditional_converted_at_phrase_level(text, expected):
    assert normalize_text(text) == expected


def test_mixed_document_span_by_span():
    text = "乾隆年间的事，于是传开了。\n這裡的頭髮很長，於是剪短了。\n显著的著名著作。"
    assert normalize_text(text) == (
        "乾隆年间的事，于是传开了。\n这里的头发很长，于是剪短了。\n显著的著名著作。"
    )


# --- punctuation, width, white space --------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("防线,传递:大爱;好!真的?", "防线，传递：大爱；好！真的？"),
        ("发布时间:2020/2/17 9:40:36", "发布时间：2020/2/17 9:40:36"),
        ("应对H7N9疫情,见m.xomn.cn", "应对H7N9疫情，见m.xomn.cn"),
        ("“战场”,之一", "“战场”，之一"),
        ("1,000元", "1,000元"),
        ("ＡＢＣ１２３号", "ABC123号"),
        ("２．５万", "2.5万"),
        ("  社区　　疫情 \t防控  \r\n\r\n\n  下一段  ", "社区 疫情 防控\n下一段"),
        ("村(居)民组", "村（居）民组"),
        ("Hello, world (2020)!", "Hello, world (2020)!"),
    ],
)
def test_punctuation_and_width(text, expected):
    assert normalize_text(text) == expected


def test_full_width_never_narrowed():
    assert normalize_text("1，2，3") == "1，2，3"


# --- mojibake -------------------------------------------------------------------


def test_folded_straddle_repaired():
    out, report = normalize_with_report("樹立了標桿??h審計局作為")
    assert out == "树立了标杆。县审计局作为"
    assert report["mojibake_repaired"] == 1


def test_unrecoverable_damage_flagged_not_deleted():
    out, report = normalize_with_report("审计局??作为")
    assert out == "审计局??作为"
    assert "mojibake:??" in report["flags"]
    out, report = normalize_with_report("审计局\ufffd作为")
    assert "\ufffd" in out and "mojibake:U+FFFD" in report["flags"]


def test_utf8_read_as_gbk_flagged():
    garbled = "发布了新的通知".encode().decode("gbk", "replace")  # 鍙戝竷浜嗘柊鐨勯€氱煡 style
    out, report = normalize_with_report("今天" + garbled)
    assert "mojibake:utf8-as-gbk" in report["flags"]
    assert len(out) >= len(garbled)


def test_gbk_read_as_latin1_repaired():
    garbled = "淮南日报社".encode("gbk").decode("latin-1")
    out, report = normalize_with_report("来源：" + garbled)
    assert out == "来源：淮南日报社"
    assert "mojibake:gbk-as-latin1" in report["flags"]


def test_latin1_text_is_not_mistaken_for_gbk():
    for text in ("Größe und Maße", "café crème brûlée", "ÀÉÎÕÜ"):
        assert normalize_text(text) == text


# --- paragraphs -----------------------------------------------------------------


def test_broken_paragraph_rejoined_but_not_headings():
    text = (
        "■ 群防群治 打好防控组合拳\n"
        "挨家挨户地毯式排查，做到“家家到、户户清”，确保村不漏组、组不漏户、户不漏人，宁可十防九空，不可失防\n"
        "万一。关心孕残及孤寡老人等。\n"
        "帮助查找短板 解决很多难题\n"
        "华阳安置小区是繁昌最大的安置小区之一。"
    )
    out, report = normalize_with_report(text)
    assert out.split("\n") == [
        "■ 群防群治 打好防控组合拳",
        "挨家挨户地毯式排查，做到“家家到、户户清”，确保村不漏组、组不漏户、户不漏人，宁可十防九空，不可失防万一。关心孕残及孤寡老人等。",
        "帮助查找短板 解决很多难题",
        "华阳安置小区是繁昌最大的安置小区之一。",
    ]
    assert report["paragraphs_joined"] == 1


def test_metadata_line_not_joined():
    text = "2020-02-10 10:19:25 来源:   编辑:张发平   \n凡市场星报、安徽财经网记者署名文字，版权均属于市场星报所有。"
    assert normalize_text(text).count("\n") == 1
