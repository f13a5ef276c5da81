"""Build the fixture sites (crawler/fixtures/sites/) from the captures and articles.yaml.

    .venv/bin/python tools/build_fixtures.py

Each site is modeled on its capture (tools/fixtures/captured/; README.md, "The fixture sites"):
real hostnames and URL shapes, the page furniture the capture shows, and its artifacts. The output is committed as
package data; rerun this after changing a template or an article. Deterministic.
"""

from __future__ import annotations

import gzip
import html
import json
import re
import shutil
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from urllib.parse import quote

import yaml

from crawler.fixtures.server import file_for
from crawler.testing.clones import clonify

ROOT = Path(__file__).resolve().parent
CAPTURED = ROOT / "fixtures" / "captured"
OUT = ROOT.parent / "crawler" / "fixtures" / "sites"
ARTICLES = yaml.safe_load((ROOT / "fixtures" / "articles.yaml").read_text("utf-8"))

CJK = r"[\u3400-\u9fff“”‘’《》、。]"


def capture(name: str) -> list[str]:
    path = next(CAPTURED.glob(f"{name}_*.txt"))
    return path.read_text("utf-8").splitlines()


def esc(text: str) -> str:
    # &nbsp; as an entity: GBK has no U+00A0, and the old CMSs wrote the entity anyway.
    return html.escape(text, quote=False).replace("\xa0", "&nbsp;")


def full_width(text: str) -> str:
    """Undo the capture's flattening: the publications print ，：；（）！？ between Chinese."""
    text = re.sub(rf"(?<={CJK}),|,(?={CJK})", "，", text)
    text = re.sub(rf"(?<={CJK}):|:(?={CJK}|\d)", "：", text)
    text = re.sub(rf"(?<={CJK});|;(?={CJK})", "；", text)
    text = re.sub(rf"(?<={CJK})!|!(?={CJK})", "！", text)
    text = re.sub(rf"(?<={CJK})\?|\?(?={CJK})", "？", text)
    return re.sub(r"\(([^()]*)\)", lambda m: f"（{m.group(1)}）"
                  if re.search(CJK, m.group(0)) or re.search(CJK, text) else m.group(0), text)


class Site:
    """Files and routes of one host."""

    def __init__(self, host: str, charset: str | None = "utf-8", gzip: bool = False,
                 encoding: str = "utf-8", scheme: str = "http") -> None:
        self.host, self.encoding, self.scheme = host, encoding, scheme
        # `articles`: the article pages' real URLs, what a spider must reach (tests read it).
        self.config: dict = {"charset": charset, "gzip": gzip, "routes": {}, "articles": []}
        self.dir = OUT / host
        self.dir.mkdir(parents=True)

    def file_for(self, target: str) -> str:
        return file_for(target)

    def article(self, target: str, text: str, **route: object) -> None:
        self.page(target, text, **route)
        self.config["articles"].append(f"{self.scheme}://{self.host}{quote(target, safe='/?=&')}")

    def page(self, target: str, text: str, **route: object) -> None:
        name = self.file_for(target)
        dest = self.dir / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(text.encode(self.encoding))
        if "?" in target or route:
            self.config["routes"][target] = {"file": name, **route}

    def route(self, target: str, **route: object) -> None:
        self.config["routes"][target] = route

    def robots(self, text: str) -> None:
        (self.dir / "robots.txt").write_text(text, "utf-8")

    def close(self) -> None:
        (self.dir / "_site.json").write_text(
            json.dumps(self.config, ensure_ascii=False, indent=1, sort_keys=True), "utf-8")


def clone_text(text: str, seed: int) -> str:
    return clonify(text, variant="s2tw", annotate=0.12, seed=seed)


SPAM = capture("001")[-1].strip()


# --- 淮南网 (www.huainannet.com): GBK, charset only in <meta>; a clone's converted text -----------

def huainan() -> list[dict]:
    lines = [ln.strip() for ln in capture("001")]
    lines = [ln for ln in lines if ln and ln != "|"]
    crumb, icon = lines[0], lines[1]
    side1 = (lines[2], lines[3:9])
    side2 = (lines[9], lines[10:18])
    title, info, notice, series, kicker, repeated = lines[18:24]
    assert repeated == title, "capture layout changed"
    end = next(i for i, ln in enumerate(lines) if ln.startswith("(責(zé)編"))
    body, editor_line = lines[24:end], lines[end]
    footer = lines[end + 1:end + 5]
    topic = crumb.split(" > ")[1]
    site = Site("www.huainannet.com", charset=None, encoding="gbk")

    def sidebar() -> str:
        out = [f'<div class="ico">{esc(icon)}</div>']
        for n, (head, items) in enumerate((side1, side2)):
            links = "".join(f'<li><a href="show.asp?id={52010 + 10 * n + i}" title="{esc(t)}">'
                            f"{esc(t)}</a></li>" for i, t in enumerate(items))
            out.append(f'<div class="sidebox"><h3>{esc(head)}</h3><ul>{links}</ul></div>')
        return "\n".join(out)

    def article_page(a: dict) -> str:
        paras = []
        for p in a["paragraphs"]:
            if isinstance(p, dict):
                paras.append(f'<p align="center"><img src="{p["image"]}" border="0"></p>'
                             f'<p align="center">{esc(p["caption"])}</p>')
            else:
                paras.append(f"<p>&nbsp;&nbsp;&nbsp;&nbsp;{esc(p)}</p>")
        head = [f"<p>{esc(x)}</p>" for x in (a.get("series"), a.get("kicker")) if x]
        if head:
            head.append(f"<p><strong>{esc(a['title'])}</strong></p>")
        spam_in = f'<p style="display:none">{esc(SPAM)}</p>' if a.get("spam_in_content") else ""
        return f"""<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=gb2312" />
<title>{esc(a['title'])}-淮南網(wǎng)</title>
<link href="/css/style.css" rel="stylesheet" type="text/css" />
</head>
<body>
<div class="top"><a href="/">首頁</a> | <a href="zt_list.asp?id=12">{esc(topic)}</a> | <a href="http://hhzb.huainannet.com/">淮河早報(bào)</a> | <a href="/about.html">關(guān)于我們</a> | <a href="/admin/login.asp">管理</a></div>
<div class="position"><a href="/">首頁</a> &gt; <a href="zt_list.asp?id=12">{esc(topic)}</a> &gt; {esc(a['title'])}</div>
<table width="1000" border="0" cellspacing="0" cellpadding="0" align="center"><tr>
<td width="260" valign="top" class="left">
{sidebar()}
</td>
<td valign="top" class="right">
<div class="zt_title"><h1>{esc(a['title'])}</h1></div>
<div class="zt_info">{esc(a['info'])}</div>
<div class="zt_notice">{esc(notice)}</div>
<div id="zt_content" class="zt_content">
{"".join(head)}
{"".join(paras)}
<p>{esc(a['editor_line'])}</p>
{spam_in}
</div>
</td></tr></table>
<div class="footer">{"<br />".join(esc(x) for x in footer)}</div>
<div class="links">{esc(SPAM)}</div>
</body>
</html>
"""

    captured = {"id": 106231, "title": title, "info": info, "series": series, "kicker": kicker,
                "paragraphs": body, "editor_line": editor_line}
    extras = []
    for a in ARTICLES["huainan"]:
        seed = a["id"]
        t = a["time"]
        extras.append({
            "id": a["id"], "title": clone_text(a["title"], seed),
            "info": info.replace("2020/2/17 9:40:36", t),
            "series": clone_text(a["series"], seed) if a.get("series") else None,
            "paragraphs": [p if isinstance(p, dict) else clone_text(p, seed + i)
                           for i, p in enumerate(a["paragraphs"])],
            "editor_line": clone_text(a["editor_line"], seed), "spam_in_content": a.get("spam_in_content"),
            "expect": a["expect"], "time": t})
    articles = sorted([captured, *extras], key=lambda a: -a["id"])
    for a in articles:
        site.article(f"/zt_content.asp?id={a['id']}", article_page(a))

    def listing(items: list[dict], page: int, pages: int) -> str:
        rows = "".join(f'<tr><td class="dot">·</td><td><a href="zt_content.asp?id={a["id"]}" target="_blank">'
                       f'{esc(a["title"])}</a></td><td class="date">{a.get("time", "2020/2/17").split()[0]}</td></tr>'
                       for a in items)
        if page == 2:  # an article the topic still lists but the site has deleted: a 404
            rows += ('<tr><td class="dot">·</td><td><a href="zt_content.asp?id=106100">'
                     '(已刪除)</a></td><td class="date">2020/2/5</td></tr>')
        nav = " ".join(f'<a href="zt_list.asp?id=12&amp;page={n}">{n}</a>' if n != page else f"<b>{n}</b>"
                       for n in range(1, pages + 1))
        nxt = f' <a href="zt_list.asp?id=12&amp;page={page + 1}">下一頁</a>' if page < pages else ""
        return f"""<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312" />
<title>{esc(topic)}-淮南網(wǎng)</title></head><body>
<div class="top"><a href="/">首頁</a> | <a href="/about.html">關(guān)于我們</a></div>
<div class="position"><a href="/">首頁</a> &gt; {esc(topic)}</div>
<table class="list">{rows}</table>
<div class="page">共{pages}頁 {nav}{nxt}</div>
<div class="footer">{"<br />".join(esc(x) for x in footer)}</div>
</body></html>
"""

    site.page("/zt_list.asp?id=12", listing(articles[:2], 1, 2))
    site.page("/zt_list.asp?id=12&page=1", listing(articles[:2], 1, 2))
    site.page("/zt_list.asp?id=12&page=2", listing(articles[2:], 2, 2))
    site.page("/", f"""<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312" />
<title>淮南網(wǎng)</title></head><body>
<div class="top"><a href="/">首頁</a> | <a href="zt_list.asp?id=12">{esc(topic)}</a> | <a href="http://hhzb.huainannet.com/">淮河早報(bào)</a> | <a href="/about.html">關(guān)于我們</a></div>
<div class="zt"><h2>專題</h2><a href="zt_list.asp?id=12"><img src="/images/zt12.jpg" alt="{esc(topic)}" /></a></div>
{sidebar()}
<div class="footer">{"<br />".join(esc(x) for x in footer)}</div>
</body></html>
""")
    site.page("/about.html", """<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312" />
<title>關(guān)于我們-淮南網(wǎng)</title></head><body><h1>關(guān)于我們</h1>
<p>淮南網(wǎng)是淮南日報(bào)社主辦的新聞網(wǎng)站。</p><a href="/">返回首頁</a></body></html>
""")
    site.robots("User-agent: *\nDisallow: /admin/\n")
    site.close()
    return articles


# --- Founder e-papers: 滁州日报 (szbk.chuzhou.cn/czrb/pc/) and 淮河早报 (hhzb.huainannet.com) ---

def founder_article(a: dict, paper: str, date: str, page_name: str, up: str) -> str:
    paras = []
    for p in a["paragraphs"]:
        if isinstance(p, dict):
            paras.append(f'<table class="pic"><tr><td><img src="{up}images/{p["image"]}"></td></tr>'
                         f'<tr><td class="pic-caption">{esc(p["caption"])}</td></tr></table>')
        else:
            paras.append(f"<p>{esc(p)}</p>")
    y, m, d = date.split("-")
    kicker = f'<p class="kicker">{esc(a["kicker"])}</p>' if a.get("kicker") else ""
    subtitle = f'<p class="subtitle">{esc(a["subtitle"])}</p>' if a.get("subtitle") else ""
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>{esc(paper)}-{esc(a['title'])}</title>
</head>
<body>
<div class="header"><span class="paper-name">{esc(paper)}</span> <span class="date">{y}年{m}月{d}日</span>
<a href="../../../layout/{y}{m}/{d}/node_01.html">返回版面</a></div>
<div class="newsdetatit">
{kicker}
<h3>{esc(a['title'])}</h3>
{subtitle}
<p class="author"><founder-author>{esc(a['author_line'])}</founder-author></p>
<div class="newsdetatext"><p><span>{y}年{m}月{d}日</span> {esc(page_name)}</p></div>
</div>
<div class="newsdetatext"><founder-content>
{"".join(paras)}
</founder-content></div>
<div class="newsdetail-share">分享到：<a href="#">微信</a> <a href="#">微博</a></div>
<div class="footer">版权所有：{esc(paper)} 未经授权禁止转载</div>
</body></html>
"""


def founder_layout(paper: str, date: str, pages: list[dict], node: int, prev: str | None,
                   content_prefix: str) -> str:
    y, m, d = date.split("-")
    bm = "".join(f'<li><a href="node_{p["node"]:02d}.html">{esc(p["name"])}</a></li>' for p in pages)
    cur = next(p for p in pages if p["node"] == node)
    items = "".join(f'<li><a href="../../../{content_prefix}{y}{m}/{d}/content_{a["id"]}.html">'
                    f'{esc(a["title"])}</a></li>' for a in cur["items"])
    prev_link = (f'<a class="prev-issue" href="../../{prev[:4]}{prev[5:7]}/{prev[8:]}/node_01.html">上一期</a>'
                 if prev else "")
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{esc(paper)}-{esc(cur['name'])}</title></head>
<body>
<div class="header"><span class="paper-name">{esc(paper)}</span> <span class="date">{y}年{m}月{d}日</span> {prev_link}</div>
<div class="paper-img"><img src="../../../images/{y}-{m}/{d}/{cur['node']:02d}/page.jpg" usemap="#pagemap"></div>
<div class="paper-bmlist"><ul>{bm}</ul></div>
<div class="news-list"><h4>{esc(cur['name'])}</h4><ul>{items}</ul></div>
<div class="footer">版权所有：{esc(paper)}</div>
</body></html>
"""


def chuzhou() -> list[dict]:
    site = Site("szbk.chuzhou.cn", gzip=True)
    raw = capture("004")
    lines = [ln.strip() for ln in raw]
    nonempty = [ln for ln in lines if ln]
    title, subtitle, authors = nonempty[0], nonempty[1], nonempty[2]
    # A caption follows an image slot, which the text dump shows as three empty lines; the
    # photo group after the article shows its captions one after another, up to the notices.
    captions = [lines[i] for i in range(3, len(raw)) if lines[i] and raw[i - 3:i] == ["", "", ""]]
    first_notice = next(i for i, ln in enumerate(lines) if ln.startswith("遗失"))
    last_caption = max(i for i, ln in enumerate(lines[:first_notice]) if ln in captions)
    captions += [ln for ln in lines[last_caption + 1:first_notice] if ln]
    paragraphs: list[object] = []
    pic = 0
    start = lines.index(authors) + 1
    for ln in lines[start:first_notice]:
        if not ln:
            continue
        if ln in captions:
            pic += 1
            paragraphs.append({"image": f"2020-02/26/A03/czrb_24971_{pic}.jpg", "caption": ln})
        else:
            paragraphs.append(full_width(ln))
    notices = [full_width(ln) for ln in lines[first_notice:] if ln]
    captured = {"id": 24971, "title": title, "subtitle": subtitle, "author_line": authors,
                "paragraphs": paragraphs + notices, "captured": True}

    paper = "滁州日报"
    issues = ARTICLES["chuzhou"]["issues"]
    all_articles = []
    for n, issue in enumerate(issues):
        date = str(issue["date"])
        y, m, d = date.split("-")
        prev = str(issues[n + 1]["date"]) if n + 1 < len(issues) else None
        pages = []
        for p in issue["pages"]:
            items = [captured] if p.get("captured") else p["articles"]
            pages.append({"node": p["node"], "name": p["name"], "items": items})
            for a in items:
                if not a.get("captured"):
                    a = {**a, "paragraphs": [{**x, "image": f"{y}-{m}/{d}/A{p['node']:02d}/{x['image']}"}
                                             if isinstance(x, dict) else x for x in a["paragraphs"]]}
                site.article(f"/czrb/pc/content/{y}{m}/{d}/content_{a['id']}.html",
                          founder_article(a, paper, date, p["name"], "../../../"))
                all_articles.append({**a, "date": date, "page": p["name"]})
        for p in pages:
            site.page(f"/czrb/pc/layout/{y}{m}/{d}/node_{p['node']:02d}.html",
                      founder_layout(paper, date, pages, p["node"], prev, "content/"))
    latest = str(issues[0]["date"]).replace("-", "")
    site.route("/czrb/pc/paperindex.html", status=302,
               location=f"/czrb/pc/layout/{latest[:6]}/{latest[6:]}/node_01.html")
    site.robots("User-agent: *\nDisallow: /czrb/pc/search\n")
    site.close()
    return all_articles


def hhzb() -> list[dict]:
    site = Site("hhzb.huainannet.com")
    spec = ARTICLES["hhzb"]
    date = str(spec["date"])
    y, m, d = date.split("-")
    paper = "淮河早报"
    pages = [{"node": 1, "name": spec["page"], "items": spec["articles"]}]
    for a in spec["articles"]:
        site.article(f"/content/{y}{m}/{d}/content_{a['id']}.html",
                  founder_article(a, paper, date, spec["page"], "../../../"))
    site.page(f"/layout/{y}{m}/{d}/node_01.html", founder_layout(paper, date, pages, 1, None, "content/"))
    site.route("/", status=302, location=f"/layout/{y}{m}/{d}/node_01.html")
    site.robots("User-agent: *\nAllow: /\n")
    site.close()
    return [{**a, "date": date} for a in spec["articles"]]


# --- 市场星报 / 安徽财经网 (www.ahcaijing.com): UTF-8, a clone's converted text ----------------

def ahcaijing() -> list[dict]:
    site = Site("www.ahcaijing.com", gzip=True)
    lines = [ln.strip() for ln in capture("002") if ln.strip()]
    title, info, notice = lines[1], lines[2], lines[3]  # lines[0] is the breadcrumb
    share_at = next(i for i, ln in enumerate(lines) if ln.startswith("分享到"))
    body, share = lines[4:share_at], lines[share_at:]
    when, _, rest = info.partition(" 來源:")
    source_text, _, editor = rest.partition("編輯:")
    captured = {"id": 233845, "path": "/html/2020/24h_0210/233845.html", "channel": "24h",
                "section": "24H", "title": title, "time": when.strip(), "source": source_text.strip(),
                "editor": editor.strip(), "paragraphs": body}
    articles = [captured]
    for a in ARTICLES["ahcaijing"]:
        seed = a["id"]
        articles.append({**a, "time": str(a["time"]), "title": clone_text(a["title"], seed),
                         "source": clone_text(a["source"], seed), "editor": clone_text(a["editor"], seed),
                         "section": a["section"],
                         "paragraphs": [clone_text(p, seed + i) for i, p in enumerate(a["paragraphs"])]})

    def page_2020(a: dict) -> str:
        paras = "".join(f"<p>{esc(p)}</p>" for p in a["paragraphs"])
        spam = f"<p>{esc(SPAM)}</p>" if a.get("spam_in_content") else ""
        share_html = (f'<div class="share">{esc(share[0])} <a class="wx">微信</a> <a class="wb">微博</a></div>'
                      '<div class="qrcode">' + "".join(f"<p>{esc(x)}</p>" for x in share[1:]) + "</div>")
        return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{esc(a['title'])}_安徽財經(jīng)網(wǎng)</title>
<meta name="keywords" content="{esc(a['title'])}"></head>
<body>
<div class="topbar"><a href="/">首頁</a> <a href="/html/24h/">24H</a> <a href="/html/hnnews/">市縣</a> <a href="/about/">關(guān)於我們</a></div>
<div class="crumb">您的位置: <a href="/">首頁</a> &gt; <a href="/html/{a['channel']}/">{esc(a['section'])}</a> &gt; 正文</div>
<div class="article">
<h1 class="title">{esc(a['title'])}</h1>
<div class="info"><span class="time">{esc(a['time'])}</span> <span class="source">來源: {esc(a['source'])}</span> <span class="editor">編輯:{esc(a['editor'])}</span></div>
<div class="statement">{esc(notice)}</div>
<div class="content" id="content">
{paras}
{spam}
</div>
{share_html}
</div>
<div class="related"><h3>相關(guān)新聞</h3><ul><li><a href="/html/24h/">更多24H新聞</a></li></ul></div>
<div class="footer">Copyright 市場星報 安徽財經(jīng)網(wǎng) 皖ICP備05010536號</div>
</body></html>
"""

    def page_2019(a: dict) -> str:
        paras = "".join(f"<p>{esc(p)}</p>" for p in a["paragraphs"])
        return f"""<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"><title>{esc(a['title'])}</title></head>
<body><table width="960" align="center"><tr><td class="nav">當前位置：<a href="/">首頁</a> &gt;&gt; <a href="/html/{a['channel']}/">{esc(a['section'])}</a></td></tr>
<tr><td class="art_title">{esc(a['title'])}</td></tr>
<tr><td class="art_info">時間：{esc(a['time'])}  來源：{esc(a['source'])}  責任編輯：{esc(a['editor'])}</td></tr>
<tr><td><div id="zoom">{paras}</div></td></tr>
<tr><td class="art_tools">【<a href="javascript:window.print()">打印</a>】【<a href="javascript:window.close()">關閉</a>】</td></tr></table>
<div class="footer">Copyright 市場星報 安徽財經網</div></body></html>
"""

    for a in articles:
        text = page_2019(a) if a.get("template") == 2019 else page_2020(a)
        if a.get("wrong_charset"):
            site.article(a["path"], text, headers=[["Content-Type", "text/html; charset=gbk"]])
        else:
            site.article(a["path"], text)

    def listing(channel: str, name: str, items: list[dict], page: int, pages: int) -> str:
        lis = "".join(f'<li><a href="{a["path"]}">{esc(a["title"])}</a><span>{a["time"][:10]}</span></li>'
                      for a in items)
        if channel == "24h" and page == 1:  # an article whose page errors on the server: a 500
            lis += '<li><a href="/html/2020/24h_0301/235990.html">(伺服器錯誤)</a><span>2020-03-01</span></li>'
        nav = "".join(f'<a href="/html/{channel}/{"" if n == 1 else f"{n}.html"}">{n}</a>'
                      for n in range(1, pages + 1))
        return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{esc(name)}_安徽財經(jīng)網(wǎng)</title></head>
<body><div class="topbar"><a href="/">首頁</a> <a href="/html/24h/">24H</a> <a href="/html/hnnews/">市縣</a></div>
<div class="crumb">您的位置: <a href="/">首頁</a> &gt; {esc(name)}</div>
<ul class="list">{lis}</ul><div class="pages">{nav}</div></body></html>
"""

    h24 = sorted([a for a in articles if a["channel"] == "24h"], key=lambda a: a["time"], reverse=True)
    site.page("/html/24h/", listing("24h", "24H", h24[:2], 1, 2))
    site.page("/html/24h/2.html", listing("24h", "24H", h24[2:], 2, 2))
    hn = [a for a in articles if a["channel"] == "hnnews"]
    site.page("/html/hnnews/", listing("hnnews", "市縣", hn, 1, 1))
    site.route("/html/2020/24h_0301/235990.html", status=500)
    site.page("/", """<!DOCTYPE html><html><head><meta charset="utf-8"><title>安徽財經(jīng)網(wǎng)</title></head>
<body><div class="topbar"><a href="/">首頁</a> <a href="/html/24h/">24H</a> <a href="/html/hnnews/">市縣</a> <a href="/about/">關(guān)於我們</a></div>
<div class="focus"><a href="/html/24h/">24小時滾動新聞</a></div></body></html>
""")
    site.page("/about/", """<!DOCTYPE html><html><head><meta charset="utf-8"><title>關於我們</title></head>
<body><h1>關於我們</h1><p>市場星報、安徽財經網</p></body></html>
""")
    site.robots("User-agent: *\nDisallow: /e/\n")
    site.close()
    return articles


# --- 丹凤县人民政府 (www.danfeng.gov.cn, a VSB site): UTF-8, a clone's converted text -----------

def danfeng() -> list[dict]:
    site = Site("www.danfeng.gov.cn", scheme="https")
    lines = [ln.strip() for ln in capture("003") if ln.strip()]
    captured = {"id": 158842, "channel": 1061, "title": "", "time": "", "source": "",
                "paragraphs": lines[:-1], "editor_line": lines[-1]}
    articles = [captured]
    for a in ARTICLES["danfeng"]:
        seed = a["id"]
        articles.append({**a, "time": str(a["time"]), "title": clone_text(a["title"], seed),
                         "source": clone_text(a["source"], seed),
                         "paragraphs": [clone_text(p, seed + i) for i, p in enumerate(a["paragraphs"])],
                         "editor_line": clone_text(a["editor_line"], seed)})
    channels = {1061: ("xzdt", "鄉(xiāng)鎮(zhèn)動態(tài)"), 1062: ("bmdt", "部門動態(tài)")}

    def page(a: dict) -> str:
        code, name = channels[a["channel"]]
        paras = "".join(f'<p style="text-indent:2em;">{esc(p)}</p>' for p in a["paragraphs"])
        spam = f"<p>{esc(SPAM)}</p>" if a.get("spam_in_content") else ""
        info = (f'發(fā)布時間：{esc(a["time"])}　　來源：{esc(a["source"])}　　瀏覽次數(shù)：'
                '<script>_showDynClicks("wbnews", 1, 158842)</script>') if a["time"] else ""
        return f"""<!DOCTYPE html>
<html><head><meta charset="UTF-8"><title>{esc(a['title']) or '丹鳳縣人民政府'}</title>
<meta name="pageType" content="3"></head>
<body>
<div class="header"><a href="../../index.htm">首頁</a> <a href="../../xwzx/xzdt.htm">鄉(xiāng)鎮(zhèn)動態(tài)</a> <a href="../../xwzx/bmdt.htm">部門動態(tài)</a></div>
<div class="position">當前位置：<a href="../../index.htm">首頁</a> &gt;&gt; <a href="../../xwzx.htm">新聞中心</a> &gt;&gt; <a href="../../xwzx/{code}.htm">{esc(name)}</a> &gt;&gt; 正文</div>
<form name="_newscontent_fromname">
<div class="content-title"><h1>{esc(a['title'])}</h1></div>
<div class="content-info">{info}</div>
<div id="vsb_content"><div class="v_news_content">
{paras}
<p style="text-align:right;">{esc(a['editor_line'])}</p>
{spam}
</div></div>
<div id="div_vote_id"></div>
<div class="content-tools">【<a href="javascript:window.print()">打印本頁(yè)</a>】【<a href="javascript:window.close()">關(guān)閉窗口</a>】</div>
</form>
<div class="footer">主辦：丹鳳縣人民政府辦公室 陝ICP備05003178號</div>
</body></html>
"""

    for a in articles:
        site.article(f"/info/{a['channel']}/{a['id']}.htm", page(a))

    def listing(code: str, name: str, items: list[dict], depth: int, older: str | None) -> str:
        up = "../" * depth
        lis = "".join(f'<li><a href="{up}info/{a["channel"]}/{a["id"]}.htm">{esc(a["title"]) or "下灣社區(qū)“三突出”築牢疫情防線"}</a>'
                      f'<span>{a["time"][:10] or "2022-09-22"}</span></li>' for a in items)
        more = f'<a href="{older}">下頁(yè)</a>' if older else ""
        return f"""<!DOCTYPE html><html><head><meta charset="UTF-8"><title>{esc(name)}-丹鳳縣人民政府</title></head>
<body><div class="position">當前位置：<a href="{up}index.htm">首頁</a> &gt;&gt; {esc(name)}</div>
<ul class="list">{lis}</ul><div class="pb_sys_common">{more}</div></body></html>
"""

    xz = [a for a in articles if a["channel"] == 1061]
    xz.sort(key=lambda a: a["id"], reverse=True)
    site.page("/xwzx/xzdt.htm", listing("xzdt", "鄉(xiāng)鎮(zhèn)動態(tài)", xz[:2], 1, "xzdt/1.htm"))
    site.page("/xwzx/xzdt/1.htm", listing("xzdt", "鄉(xiāng)鎮(zhèn)動態(tài)", xz[2:], 2, None))
    site.page("/xwzx/bmdt.htm", listing("bmdt", "部門動態(tài)", [a for a in articles if a["channel"] == 1062], 1, None))
    site.page("/index.htm", """<!DOCTYPE html><html><head><meta charset="UTF-8"><title>丹鳳縣人民政府</title></head>
<body><div class="nav"><a href="index.htm">首頁</a> <a href="xwzx/xzdt.htm">鄉(xiāng)鎮(zhèn)動態(tài)</a> <a href="xwzx/bmdt.htm">部門動態(tài)</a> <a href="zfxxgk.htm">政府信息公開</a></div></body></html>
""")
    site.route("/", status=302, location="/index.htm")
    site.robots("User-agent: *\nDisallow: /system/\n")
    site.close()
    return articles


# --- The Hexo feed mirror (its host is not named by the capture) ------------------------------

MIRROR_HOST = "hexo-mirror.invalid"
PROXY = "https://cors.zfour.workers.dev/?"


def mirror() -> list[dict]:
    site = Site(MIRROR_HOST)
    source = (CAPTURED / next(p.name for p in CAPTURED.glob("000_*.txt"))).read_text("utf-8")
    posts = [{"slug": "下沉一线！芜湖26位市领导包保繁昌82个小区", "text": source,
              "title": "下沉一线！芜湖26位市领导包保繁昌82个小区", "feed": "趣头条", "date": "Sun, 03 Apr 2022 03:39:37 GMT"}]
    for p in ARTICLES["qutoutiao"]:
        images = p.get("images") or []
        head = f"{PROXY}{images[0]}" if images else ""
        cats = "".join(f"\n - {c}" for c in p["categories"])
        text = (f"\n---\ntitle: '{p['title']}'\ncategories: {cats}\nheadimg: '{head}'\nauthor: {p['author']}\n"
                f"comments: false\ndate: {p['date']}\nthumbnail: '{head}'\n---\n\n<div>   \n{p['html']}  \n</div>\n            ")
        posts.append({"slug": str(p["slug"]), "text": text, "title": p["title"], "feed": p["author"],
                      "date": str(p["date"]), "other_feed": p.get("other_feed")})
    for post in posts:
        write = site.page if post.get("other_feed") else site.article  # other feeds: not 趣头条's
        write(f"/source/_posts/{post['slug']}.md", post["text"])

    def listing(items: list[dict], base: str, page: int, pages: int, name: str) -> str:
        arts = "".join(f'<article class="recent-post-item"><h2><a class="article-title" href="/source/_posts/{quote(p["slug"])}.md">'
                       f'{esc(p["title"])}</a></h2><span class="post-meta">{esc(p["date"])} · {esc(p["feed"])}</span></article>'
                       for p in items)
        nav = ""
        if page > 1:
            prev = base if page == 2 else f"{base}page/{page - 1}/"
            nav += f'<a class="extend prev" rel="prev" href="{quote(prev)}">上一页</a>'
        if page < pages:
            nav += f'<a class="extend next" rel="next" href="{quote(base)}page/{page + 1}/">下一页</a>'
        return f"""<!DOCTYPE html><html lang="zh-CN"><head><meta charset="UTF-8"><meta name="generator" content="Hexo 5.4.0">
<title>{esc(name)} | 新闻聚合</title></head><body>
<nav id="nav"><a href="/">首页</a> <a href="/archives/">归档</a> <a href="/categories/">分类</a> <a href="/about/">关于</a></nav>
<main id="content-inner">{arts}</main><nav id="pagination">{nav}</nav></body></html>
"""

    def paginate(items: list[dict], base: str, name: str, per: int = 2) -> None:
        pages = max(1, -(-len(items) // per))
        for n in range(1, pages + 1):
            target = base if n == 1 else f"{base}page/{n}/"
            site.page(target, listing(items[(n - 1) * per:n * per], base, n, pages, name))

    def newest(p: dict) -> str:
        try:
            return parsedate_to_datetime(p["date"]).isoformat()
        except (TypeError, ValueError):
            return datetime.fromisoformat(p["date"]).replace(tzinfo=timezone(timedelta(hours=8))).isoformat()

    ordered = sorted(posts, key=newest, reverse=True)
    paginate(ordered, "/", "首页")
    qtt = [p for p in ordered if p["feed"] == "趣头条"]
    paginate(qtt, "/categories/新媒体/趣头条/", "趣头条")
    site.page("/about/", "<html><head><meta charset='UTF-8'><title>关于</title></head><body>"
              "<p>本站自动聚合新闻源，仅供学习。</p></body></html>")
    site.robots("User-agent: *\nAllow: /\n")
    site.close()
    return posts


# --- A content farm republishing other sources' stories, converted ---------------------------

CLONE_HOST = "news.clone-farm.example"


def clone_farm(sources: dict[str, dict]) -> list[dict]:
    site = Site(CLONE_HOST)
    items = []
    for c in ARTICLES["clone"]:
        src = sources[c["of"]]
        paras = [p for p in src["paragraphs"] if isinstance(p, str) and not p.startswith("遗失")]
        if c.get("truncate"):
            keep = max(1, int(len(paras) * c["truncate"] + 0.5))
            paras = paras[:keep]
        seed = c["id"]
        title = clone_text(c.get("headline") or src["title"], seed)
        items.append({**c, "title": title,
                      "paragraphs": [clone_text(p, seed + i) for i, p in enumerate(paras)],
                      "source": clone_text(src["source"], seed)})
    for it in items:
        paras = "".join(f"<p>{esc(p)}</p>" for p in it["paragraphs"])
        date = str(it["date"])
        site.article(f"/news/shms/{date}/{it['id']}.html", f"""<!DOCTYPE html><html><head><meta charset="utf-8">
<title>{esc(SPAM[:60])}</title></head><body>
<div class="spam-top">{esc(SPAM[:120])}</div>
<div class="nav"><a href="/">首頁</a> &gt; <a href="/news/shms/">社會民生</a></div>
<div class="art"><h1>{esc(it['title'])}</h1>
<div class="info">{date}  來源:{esc(it['source'])}</div>
<div class="article-content">{paras}</div></div>
<div class="spam-bottom">{esc(SPAM)}</div></body></html>
""")
    lis = "".join(f'<li><a href="/news/shms/{it["date"]}/{it["id"]}.html">{esc(it["title"])}</a></li>'
                  for it in items)
    site.page("/news/shms/", f"<html><head><meta charset='utf-8'><title>社會民生</title></head><body>"
              f"<ul>{lis}</ul></body></html>")
    site.page("/", "<html><head><meta charset='utf-8'><title>新聞</title></head><body>"
              "<a href='/news/shms/'>社會民生</a></body></html>")
    site.robots("User-agent: *\nAllow: /\n")
    site.close()
    return items


# --- Small sites of no known source, for generic crawls ---------------------------------------

def _stories(*groups: str) -> list[dict]:
    """Stories of the other fixtures (title, time, paragraphs), told again by other outlets."""
    out = []
    for group in groups:
        for a in ARTICLES[group]:
            paras = [p for p in a["paragraphs"] if isinstance(p, str)]
            out.append({"title": a["title"], "time": str(a["time"]), "paragraphs": paras})
    return out


def _plain_article(title: str, day: str, paras: list[str], side: str, site_name: str,
                   nav: str = '<a href="/">首页</a>') -> str:
    body = "".join(f"<p>{esc(p)}</p>" for p in paras)
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{esc(title)} - {site_name}</title></head>
<body><div class="top">{nav}</div>
<div class="main"><h1>{esc(title)}</h1><div class="info">发布时间：{day}　来源：{site_name}</div>
<div class="text">{body}</div></div>
<div class="side"><h3>热门新闻</h3><ul>{side}</ul></div>
<div class="foot">{site_name} 版权所有</div></body></html>
"""


SMALL_HOST = "smallnews.fixture.example"


def smallnews() -> None:
    """Articles `/news/N.html` (no long number, no date in the URL), two listing pages with
    teasers, a home page and an about page: what generic must sort by content."""
    site = Site(SMALL_HOST)
    name = "小城新闻网"
    stories = _stories("huainan", "ahcaijing")
    side = "".join(f'<li><a href="/news/{i + 1}.html">{esc(a["title"])}</a></li>' for i, a in enumerate(stories[:4]))
    for i, a in enumerate(stories):
        site.article(f"/news/{i + 1}.html", _plain_article(
            a["title"], a["time"], a["paragraphs"], side, name,
            '<a href="/">首页</a> <a href="/news/">要闻</a> <a href="/about.html">关于我们</a>'))

    def listing(items: list[tuple[int, dict]], nav: str) -> str:
        lis = "".join(f'<li><a href="/news/{i + 1}.html">{esc(a["title"])}</a>'
                      f'<p>{esc(a["paragraphs"][0][:60])}……</p><span>{a["time"][:10]}</span></li>'
                      for i, a in items)
        return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>要闻 - {name}</title></head>
<body><div class="top"><a href="/">首页</a> <a href="/news/">要闻</a></div><h2>要闻</h2>
<ul class="list">{lis}</ul><div class="pages">{nav}</div></body></html>
"""
    numbered = list(enumerate(stories))
    site.page("/news/", listing(numbered[:4], '<a href="/news/index_2.html">下一页</a>'))
    site.page("/news/index_2.html", listing(numbered[4:], '<a href="/news/">上一页</a>'))
    site.page("/", f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{name}</title></head>
<body><h1>{name}</h1><a href="/news/">要闻</a> <a href="/about.html">关于我们</a>
<p><a href="/news/1.html">{esc(stories[0]["title"])}</a></p></body></html>
""")
    site.page("/about.html", f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>关于我们 - {name}</title></head>
<body><h1>关于我们</h1><p>{name}是一家地方新闻网站。</p><a href="/">返回首页</a></body></html>
""")
    site.robots("User-agent: *\nAllow: /\n")
    site.close()


FEEDS_HOST = "feeds.fixture.example"


def feeds() -> None:
    """Articles found through a robots.txt sitemap (an index, a gzipped Google News sitemap)
    and an RSS feed, most linked from no page; dated so that `since` has some to skip."""
    site = Site(FEEDS_HOST)
    site.config["published"] = {}
    name = "县域快讯"
    stories = _stories("danfeng", "huainan")[:6]
    days = ["2024-03-05", "2024-03-04", "2023-12-20", "2023-12-18", "2024-03-06", "2023-11-30"]
    slugs = ["spring-volunteers", "market-watch", "winter-roads", "county-fair", "school-meals", "old-bridge"]
    urls = []
    for a, day, slug in zip(stories, days, slugs, strict=True):
        target = f"/story/{slug}"
        site.article(target, _plain_article(a["title"], day + " 08:30", a["paragraphs"], "", name))
        url = f"http://{FEEDS_HOST}{target}"
        site.config["published"][url] = day
        urls.append((url, day, a["title"]))
    # The home page links the first story only, and names the feed.
    site.page("/", f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{name}</title>
<link rel="alternate" type="application/rss+xml" title="{name}" href="/rss.xml"></head>
<body><h1>{name}</h1><ul><li><a href="{urls[0][0]}">{esc(urls[0][2])}</a></li></ul></body></html>
""")
    news = "".join(f"""<url><loc>{u}</loc><news:news><news:publication><news:name>{name}</news:name>
<news:language>zh</news:language></news:publication><news:publication_date>{d}T08:30:00+08:00</news:publication_date>
<news:title>{esc(t)}</news:title></news:news></url>""" for u, d, t in urls[:4])
    sitemap = f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
{news}</urlset>
""".encode()
    (site.dir / "sitemaps").mkdir()
    (site.dir / "sitemaps" / "news.xml.gz").write_bytes(gzip.compress(sitemap, mtime=0))
    (site.dir / "sitemap_index.xml").write_text(f"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>http://{FEEDS_HOST}/sitemaps/news.xml.gz</loc><lastmod>2024-03-05</lastmod></sitemap>
</sitemapindex>
""", "utf-8")
    items = "".join(f"""<item><title>{esc(t)}</title><link>{u}</link><guid>{u}</guid>
<pubDate>{_rfc822(d)}</pubDate></item>""" for u, d, t in [urls[0], urls[4], urls[5]])
    (site.dir / "rss.xml").write_text(f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>{name}</title><link>http://{FEEDS_HOST}/</link>
<description>{name}</description>{items}</channel></rss>
""", "utf-8")
    site.robots(f"User-agent: *\nAllow: /\nSitemap: http://{FEEDS_HOST}/sitemap_index.xml\n")
    site.close()


def _rfc822(day: str) -> str:
    when = datetime.fromisoformat(day + "T08:30:00").replace(tzinfo=timezone(timedelta(hours=8)))
    return format_datetime(when)


def main() -> None:
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    huainan()
    chz = chuzhou()
    hz = hhzb()
    ahcaijing()
    danfeng()
    mirror()
    sources: dict[str, dict] = {}
    for a in chz:
        sources[f"chuzhou/{a['id']}"] = {**a, "source": "滁州日报"}
    for a in hz:
        sources[f"hhzb/{a['id']}"] = {**a, "source": "淮河早报"}
    for p in ARTICLES["qutoutiao"]:
        paras = [re.sub(r"<[^>]+>", "", x) for x in re.split(r"</p>|<br>", p["html"])]
        sources[f"qutoutiao/{p['slug']}"] = {"title": p["title"], "source": p["author"],
                                             "paragraphs": [x for x in paras if x and "▍" not in x]}
    src000 = (CAPTURED / next(p.name for p in CAPTURED.glob("000_*.txt"))).read_text("utf-8")
    body000 = src000.split("<div>", 1)[1]
    paras000 = [re.sub(r"<[^>]+>", "", x).strip() for x in body000.split("</p>")]
    sources["qutoutiao/下沉一线！芜湖26位市领导包保繁昌82个小区"] = {
        "title": "下沉一线！芜湖26位市领导包保繁昌82个小区", "source": "趣头条",
        "paragraphs": [x for x in paras000 if x and "▍" not in x]}
    clone_farm(sources)
    smallnews()
    feeds()
    print(f"built {sum(1 for _ in OUT.rglob('*') if _.is_file())} files under {OUT}")


if __name__ == "__main__":
    main()
