"""Generic extraction (pages of no known site) on real Chinese pages with hand-made gold.

The data set is `zh-extraction-dev` under `--datasets` (default ../shared/datasets); the
scoring is the data set's own (tools/extraction_score.py, shared with
scripts/score_extraction.py). The thresholds are the extraction issue's.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.extract import extract_article
from crawler.extract.decode import decode_html
from crawler.extract.fields import (
    byline_names,
    find_authors,
    find_datetime,
    find_year_month,
    is_info_line,
    posted_by,
)
from crawler.extract.generic_body import body_region, page_lines
from crawler.extract.html import parse
from tools.extraction_score import (
    Page,
    PageScore,
    bigram_f1,
    date_right,
    gold_authors,
    load_pages,
    score_page,
    summarize,
)

DATASET = "zh-extraction-dev"


@pytest.fixture(scope="module")
def pages(request: pytest.FixtureRequest) -> list[Page]:
    folder = Path(request.config.getoption("--datasets")) / DATASET
    if not (folder / "original").is_dir():
        pytest.skip(f"data set {DATASET} not found under {folder.parent} (pass --datasets DIR)")
    found = load_pages(folder)
    if not found:
        pytest.skip(f"no pages in {folder / 'original'}")
    return found


@pytest.fixture(scope="module")
def scores(pages: list[Page]) -> list[PageScore]:
    out = []
    for page in pages:
        try:
            fields = extract_article(page.html, page.url)
        except Exception as exc:  # a crash is reported as a failure below
            out.append(score_page(page, None, None, [], error=repr(exc)))
            continue
        out.append(score_page(page, fields["body"], fields["published"], fields["authors"]))
    return out


def test_no_page_crashes_or_comes_out_empty(scores: list[PageScore]) -> None:
    crashed = [(s.id, s.error) for s in scores if s.error]
    empty = [s.id for s in scores if s.empty and not s.error]
    assert not crashed, crashed
    assert not empty, empty


def test_body_f1(scores: list[PageScore]) -> None:
    summary = summarize(scores)
    low = {s.id: round(s.f1, 3) for s in scores if s.f1 < 0.5}
    assert summary.f1_macro >= 0.95, summary
    assert summary.below_half == 0, low


def test_dates(scores: list[PageScore]) -> None:
    summary = summarize(scores)
    wrong = {s.id: s.date for s in scores if s.date_ok is False}
    assert summary.dates_right >= 30, (summary, wrong)


def test_authors(scores: list[PageScore]) -> None:
    summary = summarize(scores)
    wrong = {s.id: s.authors for s in scores if not s.authors_ok}
    assert summary.authors_right >= 33, (summary, wrong)


# --- the scoring itself ----------------------------------------------------------------------

def test_scoring_folds_script_width_and_space() -> None:
    assert bigram_f1("記者 ＡＢ，報道", "记者AB,报道") == 1.0
    assert bigram_f1("", "正文") == 0.0
    assert 0 < bigram_f1("一二三四", "三四五六") < 1
    assert date_right("2005-05-07T21:23:57+08:00", "2005-5-7 21:23:57")
    assert date_right("1998-03", "1998-3") and not date_right("1998-04-01", "1998-3")
    assert not date_right(None, "2020-4-17")
    assert gold_authors("UNKNWON") == frozenset() and gold_authors("伊琳  李清芬") == {"伊琳", "李清芬"}


# --- the pieces -------------------------------------------------------------------------------

def test_dates_as_pages_print_them() -> None:
    assert find_datetime("发布日期： 9/17/2004 5:54:13 AM") == "2004-09-17T05:54:13+08:00"
    assert find_datetime("发布日期： 7/5/2005 9:23:57 PM") == "2005-07-05T21:23:57+08:00"
    assert find_datetime("发表时间： 06/02/2022 - 13:48") == "2022-02-06T13:48:00+08:00"  # day first
    assert find_datetime("2022.01.20 16:31") == "2022-01-20T16:31:00+08:00"
    assert find_year_month("——《北京之春》1998年3月号") == "1998-03"
    assert find_year_month("2020年2月17日") is None


def test_bylines_with_outlets_and_places() -> None:
    assert byline_names("(信报记者 蔡雪婧)") == ["蔡雪婧"]
    assert byline_names("光明日报记者 王建宏 张文攀") == ["王建宏", "张文攀"]
    assert byline_names("新华网黑龙江频道 记者 伊琳 李清芬") == ["伊琳", "李清芬"]
    assert byline_names("新京报记者 彭冲 山东冠县报道") == ["彭冲"]
    assert byline_names("（姚峰 上海报道）") == ["姚峰"]
    assert byline_names("(新华社)") is None
    assert find_authors("连载：乔冠华才情人生 出版社：团结出版社 作者：罗银胜") == ["罗银胜"]
    assert find_authors("作者: 赵 培：北京物资学院，北京") == ["赵培"]
    assert find_authors("- 作者： 流泉 访问统计： 2005年08月30日") == ["流泉"]
    assert posted_by("由海姑娘张贴 @ 2005-06-14 03:25:55 (370)") == "海姑娘"
    assert posted_by("ggjjzhzz 发表于 2005-9-15 11:46:00") == "ggjjzhzz"


def test_info_lines_are_not_sentences() -> None:
    assert is_info_line("2005-04-27 14:32更新 来源：千龙新闻网")
    assert is_info_line("來源：巴彥淖爾日報 編輯：蘇亮")
    assert not is_info_line("2005年4月18日，吴宗宪进棚录像，凌晨收班后在忠孝东路一带餐厅用餐。")


def _region(html: str) -> list[str]:
    lines = page_lines(parse(html).find("body"))
    start, end = body_region(lines)
    return [ln.text for ln in lines[start:end]]


PARA = "<p>{}这是文章的一个段落，讲述了事情的经过和各方的看法，文字足够长，读起来像正文。</p>"
NAV = "<div>" + " ".join(f"<a href='/c{i}'>栏目{i}</a>" for i in range(12)) + "</div>"


def test_the_body_reaches_past_a_box_of_links_inside_it() -> None:
    box = "<table><tr><td>" + "<br>".join(f"<a href='/ad{i}'>推广链接第{i}条</a>" for i in range(8)) + "</td></tr></table>"
    html = (f"<html><body>{NAV}<h1>标题</h1><div id=text>{PARA.format('第一段')}{box}"
            + "".join(PARA.format(f"第{i}段") for i in range(2, 6)) + f"</div>{NAV}</body></html>")
    region = _region(html)
    assert region[0].startswith("第一段") and region[-1].startswith("第5段")
    body = extract_article(html.encode("utf-8"), "http://example.invalid/a.html")["body"].split("\n")
    assert [line[:3] for line in body] == ["第一段", "第2段", "第3段", "第4段", "第5段"]


def test_a_blog_page_gives_its_first_entry_and_no_comments() -> None:
    entry = "<div class=post><div class=post-title>{t}</div><div>2005-06-1{d} 03:25:55</div>{p}</div>"
    html = ("<html><body>" + NAV
            + entry.format(t="第一篇", d=4, p=PARA.format("甲") * 3)
            + entry.format(t="第二篇", d=3, p=PARA.format("乙") * 6)
            + "<div>已有3条评论</div>" + PARA.format("评论") * 8 + "</body></html>")
    region = _region(html)
    assert region and all(line.startswith("甲") for line in region)


def test_a_blurb_in_a_column_before_the_headline_is_not_the_article() -> None:
    blurb = "<p>本站简介：我们是一家地方新闻网站，报道本地的新闻、民生、文化和体育，欢迎读者投稿，来稿请注明联系方式，谢谢合作。</p>"
    html = ("<html><head><title>社区菜篮子保供应 - 某某网</title></head><body><table><tr>"
            f"<td>{NAV}{blurb * 2}</td><td><h1>社区菜篮子保供应</h1><p>2020-02-10 08:31 来源：某某日报</p>"
            + "".join(PARA.format(f"第{i}段") for i in range(1, 4)) + "</td></tr></table></body></html>")
    fields = extract_article(html.encode("utf-8"), "http://example.invalid/b.html")
    assert fields["title"] == "社区菜篮子保供应"
    assert fields["body"].split("\n")[0].startswith("第1段") and "本站简介" not in fields["body"]
    assert fields["published"] == "2020-02-10T08:31:00+08:00" and fields["source"] == "某某日报"


def test_gbk_page_with_stray_bytes_and_no_charset_is_read_as_gbk() -> None:
    text = "<html><body><p>" + "淮南网新闻，城市社区疫情防控。" * 40 + "</p></body></html>"
    data = text.encode("gbk")
    damaged = data[:200] + b"\xc7" + data[200:]  # one stray lead byte, no declared charset
    decoded = decode_html(damaged)
    assert decoded.encoding == "gb18030" and decoded.replacements <= 2
    assert "城市社区疫情防控" in decoded.text
