"""Bylines and dates as Chinese newsrooms, blogs and forums print them, on small synthetic pages.

Each page is written for the test (no copy of a data set page): the forms are the ones the
extraction must read wherever a page puts them.
"""

from __future__ import annotations

import pytest

from crawler.extract import extract_article
from crawler.extract.fields import (
    byline_names,
    complete_date,
    dateline_byline,
    editor_names,
    find_authors,
    find_editors,
    find_partial_date,
    name_value,
    original_author,
    posted_by,
)

URL = "http://example.invalid/news/1.html"
PARA = "<p>{}这是文章的一个段落，讲述了事情的经过和各方的看法，文字足够长，读起来像正文。</p>"
NAV = "<div>" + " ".join(f"<a href='/c{i}'>栏目{i}</a>" for i in range(12)) + "</div>"


def page(head: str = "", first: str = "", tail: str = "", *, title: str = "某地举行春季招聘会",
         meta: str = "", after: str = "") -> dict:
    """An article page: navigation, the headline, `head` (the info bar), the text (its first
    paragraph opening with `first`), `tail` after it, then `after` outside the article."""
    paras = PARA.format(first) + "".join(PARA.format(f"第{i}段") for i in range(2, 6))
    html = (f"<html><head><title>{title}_某某网</title>{meta}</head><body>{NAV}"
            f"<div class=main><h1>{title}</h1>{head}<div class=text>{paras}{tail}</div></div>"
            f"{after}{NAV}</body></html>")
    return extract_article(html.encode("utf-8"), URL)


# --- bylines -------------------------------------------------------------------------------

@pytest.mark.parametrize(("line", "names"), [
    ("（记者 张三 李四）", ["张三", "李四"]),
    ("(信报记者 蔡雪婧)", ["蔡雪婧"]),
    ("南都见习记者 林子沛", ["林子沛"]),  # outlet glued to the role
    ("扬子晚报记者 张楠", ["张楠"]),
    ("《棱镜》作者 周纯", ["周纯"]),
    ("【文/观察者网专栏作者 王文】", ["王文"]),
    ("文/ 张三 图/ 李四", ["张三"]),  # the photographer is credited, not an author
    ("执笔/叨叨姐、胡一刀&李小飞刀", ["叨叨姐", "胡一刀", "李小飞刀"]),
    ("（记者陈智 整合）", ["陈智"]),
    ("记者 张三 摄", ["张三"]),
    ("（职工通讯员 李琴雯 刘会）", ["李琴雯", "刘会"]),
    ("记者张三通讯员李四", ["张三", "李四"]),  # a name glued between two roles stays
    ("石佳/中国青年报", ["石佳"]),
    ("中国载人航天工程新闻发言人 武平", ["武平"]),
    ("摄影/张艳", []),  # a picture credit: a byline naming no author
])
def test_bylines(line: str, names: list[str]) -> None:
    assert byline_names(line) == names


@pytest.mark.parametrize("line", [
    "(综合整理自澎湃新闻、智东西、雷锋网等)",  # an attribution, not a signature
    "【打印本页】【关闭窗口】",
    "——作者手记",
    "责任编辑：王五",  # editors are never authors
    "记者 张三 今天上午在会上说。",
    "(新华社)",
])
def test_not_bylines(line: str) -> None:
    assert not byline_names(line)


@pytest.mark.parametrize(("line", "names"), [
    ("新华社巴黎12月9日电（记者唐霁）法国9日再次爆发全国罢工。", ["唐霁"]),
    ("本报讯（记者 张三 通讯员 李四）昨天上午，全市召开会议。", ["张三", "李四"]),
    ("长江网10月4日讯（记者陈智 整合） 国庆长假过半。", ["陈智"]),
    ("新京报快讯（记者 裴剑飞）今日有网友爆料。", ["裴剑飞"]),
    ("本报讯 记者 张三 通讯员 李四 报道：今天全市开会。", ["张三", "李四"]),
    ("本报讯 记者 张三 今天上午，全市召开会议。", []),  # where the byline ends does not show
    ("近日，某公司（简称李四）宣布上市。", []),
])
def test_dateline_bylines(line: str, names: list[str]) -> None:
    assert dateline_byline(line) == names


def test_labelled_author_fields() -> None:
    assert find_authors("发表于2014-08-24 21:30| 1164次阅读| 来源CSDN| 0 条评论| 作者魏星") == ["魏星"]
    assert find_authors("2019-09-26 12:11来源：证券时报网作者：李在山") == ["李在山"]
    assert find_authors("采写：南都记者 余毅菁 向雪妮") == ["余毅菁", "向雪妮"]
    assert find_authors("作者：医技药剂党支部") == []  # an institution
    assert find_authors("时间：2019-09-25 作者：网络整理") == []
    assert name_value("放飞&心情") == ["放飞&心情"]  # `&` inside a handle
    assert original_author("原创 kingname 未闻Code 前天") == "kingname"
    assert original_author("原创： 路闻卓立编译 人民币交易与研究") == "路闻卓立"


def test_forum_and_blog_posters() -> None:
    assert posted_by("本贴由 老王头 于 2005-06-14 03:25 发表") == "老王头"
    assert posted_by("楼主：山城棒棒军 发表于 2010-3-1") == "山城棒棒军"
    assert posted_by("由海姑娘张贴 @ 2005-06-14 03:25:55 (370)") == "海姑娘"


def test_byline_in_the_dateline_and_editors_apart() -> None:
    fields = page(first="新华社北京3月1日电（记者 王五 赵六）", tail="<p>（责任编辑：孙七）</p>")
    assert fields["authors"] == ["王五", "赵六"]
    assert fields["editors"] == ["孙七"]
    assert fields["body"].startswith("新华社北京3月1日电（记者 王五 赵六）")


def test_a_byline_line_inside_the_text_is_taken_out() -> None:
    fields = page(tail="<p>扬子晚报记者 张楠</p><p>免责声明：本文来自客户端自媒体，不代表本网的观点和立场。</p>")
    assert fields["authors"] == ["张楠"]
    assert "张楠" not in fields["body"]


def test_a_paragraph_signed_in_brackets_ends_the_article() -> None:
    fields = page(tail="<p>最后一段，活动还将持续一周，市民可以前往现场参观。(李楠)</p>"
                       "<p>关注本站公众号，每日推送最新资讯，扫描下方二维码即可订阅，我们用资讯填饱你。</p>")
    assert fields["authors"] == ["李楠"]
    assert fields["body"].endswith("市民可以前往现场参观。")


def test_the_poster_between_headline_and_date() -> None:
    fields = page(head="<div>八卦大相公</div><div>发布时间：2020-01-14 17:58</div>")
    assert fields["authors"] == ["八卦大相公"]
    assert fields["published"] == "2020-01-14T17:58:00+08:00"


# --- dates ---------------------------------------------------------------------------------

def test_partial_dates() -> None:
    assert find_partial_date("发布时间：10-0812:00优质作者") == (None, 10, 8, "12:00")
    assert find_partial_date("发布时间：18-03-08 23:16") == (2018, 3, 8, "23:16")
    assert find_partial_date("发表于 09月30日 22:46") == (None, 9, 30, "22:46")
    assert find_partial_date("阅读 1234") is None
    assert complete_date((None, 10, 8, "12:00"), ["2019-10-08 12:00:57"]) == "2019-10-08T12:00:00+08:00"
    assert complete_date((None, 10, 8, None), ["2019-10-09"]) is None  # no year is invented


def test_the_publication_time_not_the_update() -> None:
    fields = page(head="<div>2019-09-07 09:25:09 来源：某某网</div><div>最后更新: 2019-09-08 10:27:48</div>")
    assert fields["published"] == "2019-09-07T09:25:09+08:00"


def test_an_update_time_when_nothing_else_dates_the_page() -> None:
    fields = page(head="<div>更新时间：2019-09-08 10:27</div>")
    assert fields["published"] == "2019-09-08T10:27:00+08:00"


def test_a_date_without_its_year_takes_it_from_the_page_metadata() -> None:
    meta = '<meta itemprop="dateUpdate" content="2019-10-08 12:00:57">'
    fields = page(head="<div><span>发布时间：10-08</span><span>12:00</span></div>", meta=meta)
    assert fields["published"] == "2019-10-08T12:00:00+08:00"
    # With no full date to agree with, none is made up.
    assert page(head="<div><span>发布时间：10-08</span><span>12:00</span></div>")["published"] is None


def test_chinese_date_forms_next_to_the_title() -> None:
    assert page(head="<div>2005年3月21日 01:20 来源：某某日报</div>")["published"] == "2005-03-21T01:20:00+08:00"
    assert page(head="<div>发布时间：2005-3-21</div>")["published"] == "2005-03-21"
    assert page(head="<div>张三 发表于 2005-9-15 11:46:00</div>")["published"] == "2005-09-15T11:46:00+08:00"
    assert page(head="<div>2019</div><div>09/07</div><div>19:02</div>")["published"] == "2019-09-07T19:02:00+08:00"


def test_the_title_date_wins_over_sidebars_and_comments() -> None:
    sidebar = "<ul>" + "".join(f"<li><a href='/n{i}'>其他新闻第{i}条</a> 2021-01-0{i}</li>" for i in range(1, 6)) + "</ul>"
    comments = "<div>网友评论</div><div>2022-05-05 10:00 网友甲：说得好。</div>"
    fields = page(head="<div>2020-02-10 08:31 来源：某某日报</div>", after=comments + sidebar)
    assert fields["published"] == "2020-02-10T08:31:00+08:00"


def test_script_publication_time_only_where_the_page_prints_none() -> None:
    script = '<script>window.DATA = {"pubtime": "2019-09-07 19:02:26"};</script>'
    assert page(meta=script)["published"] == "2019-09-07T19:02:26+08:00"
    assert page(head="<div>2019-09-06 08:00</div>", meta=script)["published"] == "2019-09-06T08:00:00+08:00"


def test_no_date_is_invented() -> None:
    assert page()["published"] is None


# --- editors -------------------------------------------------------------------------------

def test_editor_lines() -> None:
    assert editor_names("责编：Demi Xia") == ["Demi Xia"]
    assert editor_names("（责任编辑： HN666）") == ["HN666"]
    assert editor_names("责任编辑：李跃群") == ["李跃群"]
    assert find_editors("医技药剂党支部、药剂科供稿 摄影/张艳 编辑/苏芳") == ["苏芳"]


def test_an_editor_line_closes_the_article() -> None:
    fields = page(tail="<p>责任编辑：李跃群</p><p>校对：刘威</p><p>关键词 >> 招聘会,春季</p>")
    assert fields["editors"] == ["李跃群", "刘威"]
    assert fields["authors"] == []  # editors are never authors
    assert fields["body"].endswith("第5段这是文章的一个段落，讲述了事情的经过和各方的看法，文字足够长，读起来像正文。")


# --- forum threads -------------------------------------------------------------------------

def _post(floor: str, user: str, when: str, text: str, quote: str = "") -> str:
    """A post as forum software lays it out: the poster's panel, the floor and time, the text,
    a signature, the reply links."""
    return (f"<table><tr><td class=pls><div><a href='/space/{user}'>{user}</a></div>"
            "<dl><dt>积分</dt><dd>1234</dd><dt>帖子</dt><dd>56</dd></dl><div>注册时间 2010-1-1</div></td>"
            f"<td class=plc><div>{floor} 发表于 {when}</div><div class=t_f>{quote}{text}</div>"
            "<div class=sign>签名：生活就像一盒巧克力，你永远不知道下一块是什么味道。</div>"
            "<div><a href='/reply'>回复</a> <a href='/quote'>引用</a> <a href='/report'>举报</a></div>"
            "</td></tr></table>")


def test_a_forum_thread_gives_its_opening_post_and_replies() -> None:
    opening = "小区门口修路的事情，大家怎么看，欢迎讨论，说说自己的想法和建议，我先说两句。" * 3
    reply = "我觉得修路是好事，但是应该提前通知居民，不然早上出行很不方便，希望以后注意。" * 2
    second = "施工噪音太大了，晚上十点以后还在施工，影响休息，希望有关部门能够管一管。" * 2
    quote = f"<blockquote>张三 发表于 2020-5-1 10:00<br>{opening[:30]}</blockquote>"
    html = ("<html><head><title>小区门口修路，大家怎么看 - 某某论坛</title></head><body>" + NAV
            + "<h1>小区门口修路，大家怎么看</h1>"
            + _post("楼主", "张三", "2020-5-1 10:00", opening)
            + _post("沙发", "李四", "2020-5-1 11:00", reply)
            + _post("板凳", "王五", "2020-5-1 12:00", second, quote)
            + _post("地板", "赵六", "2020-5-1 13:00", "顶")
            + "<div><textarea></textarea>快速回复 您需要登录后才可以回帖</div></body></html>")
    fields = extract_article(html.encode("utf-8"), "http://bbs.example.invalid/thread-1-1-1.html")
    assert fields["authors"] == ["张三"]
    assert fields["published"] == "2020-05-01T10:00:00+08:00"
    assert fields["body"].split("\n") == [opening, reply, second]  # no panel, signature, quote
