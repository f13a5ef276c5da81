"""The five captured articles, crawled from their fixture sites through their spiders.

Expected values are what the captures print (captured/README.md). The record keeps the title
and body as extracted, in the page's script, in `original`; its fields are normalized (the
normalize pipeline), so they are compared with the normalized form of what the capture gives.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

import pytest

from crawler.normalize import normalize_text
from crawler.sites import SITES

CAPTIONS_004 = [
    "夏岗社区防疫工作推进会", "帮助入户宣传", "泉阳社区为居家隔离家庭打扫隔离住处", "志愿者入户宣传",
    "发放用工信息", "G104大王管控点新型冠状病毒肺炎联合检查点", "G104国道大王管控点临时党支部成立誓师",
    "泉阳社区组织党员防控巡查小分队", "夏岗社区党员干部积极捐款", "林楼村党员志愿服务队在开展防疫知识宣传",
]

CAPTURED = {
    "qutoutiao": {
        "url": "http://hexo-mirror.invalid/source/_posts/"
               + quote("下沉一线！芜湖26位市领导包保繁昌82个小区") + ".md",
        "title": "下沉一线！芜湖26位市领导包保繁昌82个小区",
        "published": "2022-04-03T03:39:37+00:00",  # `Sun, 03 Apr 2022 03:39:37 GMT`
        "authors": ["张申尚"], "editors": ["安妮"], "source": "趣头条",
        "first": "疫情防控的“繁昌保卫战”进入攻坚关键阶段。",
        "last": "用“党旗红”守护“健康绿”，用汗水和心血智慧践行初心使命。",
        "absent": ["▍", "记者：张申尚", "编辑：安妮", "cors.zfour", "<p>", "headimg"],
        "captions": [],
    },
    "huainan": {
        "url": "http://www.huainannet.com/zt_content.asp?id=106231",
        "title": "力量下沉,筑牢社區(qū)疫情防控最強防線",
        "published": "2020-02-17T09:40:36+08:00",  # `發(fā)布時間:2020/2/17 9:40:36`
        "authors": ["李東華"], "editors": ["湯寧", "孫繼奎", "沈國冰"], "source": "淮南網(wǎng)",
        "first": "新冠肺炎疫情防控,城市社區(qū)無疑是重要“戰(zhàn)場”之一。",
        "last": "用心用情去服務(wù)群眾、凝聚群眾,共同呵護守好社區(qū)的大門。",
        "absent": ["懷新平系列言論專欄", "縣區(qū)傳真", "以更高標(biāo)準(zhǔn)推進生態(tài)修復(fù)治理",
                   "謝家集區(qū)成功搗毀一處食品加工黑作", "凡淮南日報社記者署名文字", "記者 李東華",
                   "責(zé)編", "終審", "皖I(lǐng)CP", "huainannet@163.com", "亚洲av", "無码", "【打印】",
                   "發(fā)布時間", "首頁", "淮南新冠肺炎疫情防控阻擊戰(zhàn)系列報道⑦城市社區(qū)篇"],
        "captions": [],
    },
    "ahcaijing": {
        "url": "http://www.ahcaijing.com/html/2020/24h_0210/233845.html",
        "title": "馬鞍山鄭蒲港新區(qū):萬眾一心防疫情 組團(tuán)服務(wù)暖民心",
        "published": "2020-02-10T10:19:25+08:00",
        # `陳鵬市場星報、安徽財經(jīng)網(wǎng)記者 張發(fā)平`, `編輯:張發(fā)平`; the `來源:` field is empty,
        # the dateline names the outlet.
        "authors": ["陳鵬", "張發(fā)平"], "editors": ["張發(fā)平"], "source": "市場星報、安徽財經(jīng)網(wǎng)",
        "first": "市場星報、安徽財經(jīng)網(wǎng)(m.xomn.cn)訊 面對新冠肺炎疫情蔓延的嚴(yán)峻形勢,",
        "last": "匯聚起構(gòu)建最嚴(yán)密防線的強(qiáng)大力量。",
        "absent": ["凡市場星報、安徽財經(jīng)網(wǎng)、掌中安徽記者署名文字", "記者 張發(fā)平", "分享到",
                   "安徽財經(jīng)網(wǎng)手機版", "市場星報公眾微信", "市場星報微博", "掌中安徽APP下載",
                   "您的位置", "編輯:", "相關(guān)新聞"],
        "captions": [],
    },
    "danfeng": {
        "url": "https://www.danfeng.gov.cn/info/1061/158842.htm",
        "title": None,  # the capture has no title, and neither has the clone's page
        "published": None,
        "authors": ["徐文亮"], "editors": ["劉婭文"], "source": None,
        "first": "突發(fā)新冠肺炎疫情以來,丹鳳縣下灣社區(qū)突出精準(zhǔn)防控、服務(wù)保障、黨員帶頭“三突出”,",
        "last": "彰顯了走在前、作表率過硬的作風(fēng)擔(dān)當(dāng)。",
        "absent": ["(徐文亮)", "責(zé)任編輯", "劉婭文", "打印本頁", "關(guān)閉窗口", "當前位置", "陝ICP備"],
        "captions": [],
    },
    "chuzhou": {
        "url": "http://szbk.chuzhou.cn/czrb/pc/content/202002/26/content_24971.html",
        "title": "凝心聚力齐抗“疫” 党群同心克时艰",
        # The capture shows no date; the e-paper page prints its issue's (2020年02月26日).
        "published": "2020-02-26",
        "authors": ["吴胜", "程静文"], "editors": [], "source": "滁州日报",
        "first": "2020年新春,突如其来的新冠肺炎疫情让全国上下投入到一场没有硝烟的战争。",
        "last": "截至目前,累计张贴发放各类宣传材料2000余份。",
        "absent": ["遗失", "声明作废", "安徽盐业投资有限公司", "吴胜 程静文", "分享到", "版权所有",
                   "滁州经开区城北新区战“疫”工作纪实"],
        "captions": CAPTIONS_004,
    },
}


def fold(text: str) -> str:
    """One form for comparing text as a reader would: NFKC (full-width ，→ ,), no white space."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))


def captured_item(demo, spider: str) -> dict:
    items = {item["url"]: item for item in demo.items(spider)}
    url = CAPTURED[spider]["url"]
    assert url in items, f"{spider} did not yield {url}; it yielded {sorted(items)}"
    return items[url]


def norm(value):
    if isinstance(value, list):
        return [normalize_text(v) for v in value]
    return normalize_text(value) if value else value


def test_every_site_has_its_capture() -> None:
    assert set(CAPTURED) == set(SITES)


@pytest.mark.parametrize("spider", sorted(CAPTURED))
def test_fields_are_what_the_capture_gives(demo, spider: str) -> None:
    item = captured_item(demo, spider)
    want = CAPTURED[spider]
    assert item["original"]["title"] == want["title"]  # exactly as the page printed it
    for key in ("title", "authors", "editors", "source"):
        assert item[key] == norm(want[key]), f"{spider}.{key}"
    assert item["published"] == want["published"]
    assert item["site"] == spider
    assert item["fetched_at"].endswith("+00:00")


@pytest.mark.parametrize("spider", sorted(CAPTURED))
def test_body_holds_the_article_and_no_furniture(demo, spider: str) -> None:
    item = captured_item(demo, spider)
    want = CAPTURED[spider]
    for body, first, last, absent in (
        (item["original"]["body"], want["first"], want["last"], want["absent"]),  # as served
        (item["body"], norm(want["first"]), norm(want["last"]), norm(want["absent"])),  # canonical
    ):
        lines = body.split("\n")
        assert fold(lines[0]).startswith(fold(first)), lines[0]
        assert fold(lines[-1]).endswith(fold(last)), lines[-1]
        for marker in absent:
            assert fold(marker) not in fold(body), f"{spider} body holds {marker!r}"
        for caption in want["captions"]:
            assert caption not in lines, f"caption {caption!r} left in the body"


def test_captions_go_to_images(demo) -> None:
    item = captured_item(demo, "chuzhou")
    assert [image["caption"] for image in item["images"]] == CAPTIONS_004
    assert all(image["url"].startswith("http://szbk.chuzhou.cn/czrb/pc/images/") for image in item["images"])


def test_proxied_images_keep_their_original_urls(demo) -> None:
    item = captured_item(demo, "qutoutiao")
    urls = [image["url"] for image in item["images"]]
    assert urls == [f"http://static.1sapp.com/qupost/images/2022/04/03/{n}.jpg"
                    for n in ("1648958008296311732", "1648958008301648982", "1648958008389139756",
                              "1648958008441453771")]


def test_series_line_and_kicker_are_the_subtitle(demo) -> None:
    item = captured_item(demo, "huainan")
    assert item["subtitle"] == norm("淮南新冠肺炎疫情防控阻擊戰(zhàn)系列報道⑦城市社區(qū)篇\n"
                                     "最強動員 最嚴管控 最大合力 最暖關(guān)懷——")
    assert item["subtitle"].startswith("淮南新冠肺炎疫情防控阻击战系列报道⑦城市社区篇")
    assert item["section"] == [norm("眾志成誠 抗擊疫情")] == ["众志成诚 抗击疫情"]  # normalized too
