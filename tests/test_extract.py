"""extract_article and its parts, called directly (no Scrapy)."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

import opencc
import pytest
import yaml
from conftest import REPO, SITES_DIR

from crawler.extract import extract, extract_article
from crawler.extract.cleanup import is_copyright, take_furniture
from crawler.extract.fields import (
    byline_names,
    dateline_source,
    editor_names,
    find_datetime,
    trailing_byline,
)
from crawler.fixtures import file_for
from crawler.text import is_spam
from crawler.urls import unwrap_proxy

ARTICLES = yaml.safe_load((REPO / "tools" / "fixtures" / "articles.yaml").read_text("utf-8"))
_T2S = opencc.OpenCC("t2s")


def simplified(name: str) -> str:
    """A name as printed by a clone, folded for comparison: annotations out, simplified."""
    return _T2S.convert(re.sub(r"\([a-zA-Z\u00c0-\u024f]{1,8}\)", "", name))


def page(host: str, target: str) -> bytes:
    return (SITES_DIR / host / file_for(target)).read_bytes()


def fixture_cases() -> list[tuple[str, str, str, dict]]:
    """(url, host, target, spec) for every article of articles.yaml that has expectations."""
    cases = []
    for a in ARTICLES["huainan"]:
        cases.append(("www.huainannet.com", f"/zt_content.asp?id={a['id']}", "http", a))
    hz = ARTICLES["hhzb"]
    d = str(hz["date"]).replace("-", "")
    for a in hz["articles"]:
        cases.append(("hhzb.huainannet.com", f"/content/{d[:6]}/{d[6:]}/content_{a['id']}.html", "http", a))
    for a in ARTICLES["ahcaijing"]:
        cases.append(("www.ahcaijing.com", a["path"], "http", a))
    for a in ARTICLES["danfeng"]:
        cases.append(("www.danfeng.gov.cn", f"/info/{a['channel']}/{a['id']}.htm", "https", a))
    for issue in ARTICLES["chuzhou"]["issues"]:
        d = str(issue["date"]).replace("-", "")
        for p in issue["pages"]:
            for a in p.get("articles", []):
                cases.append(("szbk.chuzhou.cn", f"/czrb/pc/content/{d[:6]}/{d[6:]}/content_{a['id']}.html", "http", a))
    for a in ARTICLES["qutoutiao"]:
        cases.append(("hexo-mirror.invalid", f"/source/_posts/{a['slug']}.md", "http", a))
    return [(f"{scheme}://{host}{quote(target, safe='/?=&')}", host, target, a) for host, target, scheme, a in cases]


@pytest.mark.parametrize(("url", "host", "target", "spec"), fixture_cases(), ids=lambda v: str(v)[-40:])
def test_every_fixture_article(url: str, host: str, target: str, spec: dict) -> None:
    fields = extract_article(page(host, target), url)
    want = spec["expect"]
    assert [simplified(n) for n in fields["authors"]] == want.get("authors", [])
    if "editors" in want:
        assert [simplified(n) for n in fields["editors"]] == want["editors"]
    if "source" in want:
        assert fields["source"] == want["source"]
    assert fields["title"]
    assert len(fields["body"]) > 60
    for name in fields["authors"] + fields["editors"]:
        assert name not in fields["body"].split("\n")[-1], "byline or editor left at the end of the body"
    if spec.get("time"):
        assert fields["published"].startswith(str(spec["time"])[:4])


def test_templates_are_chosen_by_period() -> None:
    old = extract(page("www.ahcaijing.com", "/html/2019/24h_1105/20351.html"),
                  "http://www.ahcaijing.com/html/2019/24h_1105/20351.html")
    new = extract(page("www.ahcaijing.com", "/html/2020/24h_0210/233845.html"),
                  "http://www.ahcaijing.com/html/2020/24h_0210/233845.html")
    assert (old.method, new.method) == ("table-2019", "article-2020")
    assert old.fields["published"] == "2019-11-05T08:55:00+08:00"


def test_a_changed_template_falls_back_to_generic_extraction() -> None:
    html = ("<html><head><meta charset='utf-8'><title>新模板文章 - 安徽财经网</title></head><body>"
            "<div class='new-layout'><h1>新模板文章</h1><span>2023-05-07 08:00</span>"
            + "".join(f"<p>这是改版后的页面第{i}段，文字足够长，能够被识别为正文内容，不会被当成导航。</p>" for i in range(6))
            + "</div></body></html>")
    result = extract(html.encode("utf-8"), "http://www.ahcaijing.com/html/2023/24h_0507/400001.html")
    assert result.method == "generic-fallback"
    assert result.fields["title"] == "新模板文章"
    assert result.fields["published"] == "2023-05-07T08:00:00+08:00"
    assert result.fields["body"].count("\n") == 5


@pytest.mark.parametrize("junk", [b"", b"\x00\xff\xfe garbage", b"<html>", "<p>短</p>", b"<?xml version='1.0'?><html/>",
                                  "<html><body>" + "<div>" * 3000 + "深" + "</div>" * 3000 + "</body></html>"])
def test_bad_pages_give_an_empty_body_not_an_exception(junk: bytes | str) -> None:
    fields = extract_article(junk, "http://unknown.example/a/1.html")
    assert fields["body"] == ""
    assert fields["authors"] == [] and fields["images"] == []


def test_front_matter_dates() -> None:
    body = "<div><p>" + "正文内容足够长。" * 10 + "</p></div>"
    for date, want in (("Sun, 03 Apr 2022 03:39:37 GMT", "2022-04-03T03:39:37+00:00"),
                       ("2021-10-28 14:08:07", "2021-10-28T14:08:07+08:00")):
        text = f"---\ntitle: 't'\nauthor: Dockone\ndate: {date}\n---\n{body}"
        assert extract_article(text, "http://hexo-mirror.invalid/source/_posts/x.md")["published"] == want


def test_dates() -> None:
    assert find_datetime("发布时间：2020/2/17 9:40:36") == "2020-02-17T09:40:36+08:00"
    assert find_datetime("2020年2月17日 10:05") == "2020-02-17T10:05:00+08:00"
    assert find_datetime("2020年02月26日 星期三") == "2020-02-26"
    assert find_datetime("2022-04-03T03:39:37.000Z") == "2022-04-03T03:39:37+00:00"
    assert find_datetime("第2020-13-45期") is None
    assert find_datetime("电话 0554-6652019") is None


def test_bylines_and_editor_lines() -> None:
    assert byline_names("(記者 李東華)") == ["李東華"]
    assert byline_names("(徐文亮)") == ["徐文亮"]
    assert byline_names("本报通讯员 王涛 记者 刘洋") == ["王涛", "刘洋"]
    assert byline_names("陳鵬市場星報、安徽財經(jīng)網(wǎng)記者 張發(fā)平", ("市场星报", "安徽财经网")) == ["陳鵬", "張發(fā)平"]
    assert byline_names("(2020)") is None and byline_names("(m.xomn.cn)") is None
    assert byline_names("确保疫情期间特殊人群生活有保障。") is None
    assert editor_names("(責(zé)編:湯寧  初審:孫繼奎  終審:沈國冰)") == ["湯寧", "孫繼奎", "沈國冰"]
    assert editor_names("▍编辑：安妮") == ["安妮"]
    assert editor_names("编辑部的故事") is None
    assert trailing_byline("守好社區(qū)的大門。(記者 李東華)") == ("守好社區(qū)的大門。", ["李東華"])
    assert trailing_byline("村（居）民组") is None


def test_furniture_lines() -> None:
    spam = "亚洲av鲁丝一区二区三区| 亚洲欧洲中文日产| 亚洲制服丝袜一区二区三区| 亚洲女初尝黑人巨高清| 成人亚洲网站www在线观看|"
    assert is_spam(spam) and not is_spam("亚洲开发银行今天发布报告，预计亚洲经济增长放缓。")
    assert is_copyright("凡市場星報、安徽財經(jīng)網(wǎng)、掌中安徽記者署名文字、圖片,版權(quán)均屬於市場星報所有。")
    out = take_furniture(["引题", "标题", "正文第一段。", "(记者 王某)", "(责编:张三)", spam], title="标题")
    assert out.lines == ["正文第一段。"] and out.subtitle == ["引题"]
    assert out.authors == ["王某"] and out.editors == ["张三"]
    assert [reason for reason, _ in out.dropped] == ["spam"]
    assert dateline_source("市场星报、安徽财经网（m.xomn.cn）讯 面对") == "市场星报、安徽财经网"
    assert dateline_source("本报讯 为帮助") is None


def test_proxy_unwrapping() -> None:
    assert unwrap_proxy("https://cors.zfour.workers.dev/?http://static.1sapp.com/a.jpg") == "http://static.1sapp.com/a.jpg"
    assert unwrap_proxy("https://img.example/p?url=http%3A%2F%2Fa.cn%2Fb.jpg") == "http://a.cn/b.jpg"
    assert unwrap_proxy("http://a.cn/b.jpg?w=100") == "http://a.cn/b.jpg?w=100"


def test_extraction_is_pure() -> None:
    import subprocess
    import sys

    code = ("import sys, crawler.extract, crawler.sites; crawler.extract.extract_article(b'<p>x</p>', 'http://a/');"
            "print(any(m == 'scrapy' or m.startswith('scrapy.') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=Path(REPO), check=True)
    assert out.stdout.strip() == "False"
