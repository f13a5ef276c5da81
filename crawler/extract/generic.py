"""Extraction for pages of no known site.

The body is our reading of the page (`generic_body`: the densest run of prose lines, which
suits the table layouts of Chinese portals, forums and blogs as well as modern markup), with
trafilatura's reading as the fallback where ours finds no prose. Around the body, the page's
own furniture gives the fields, the way Chinese news pages print them: the info bar between the
headline and the text (`发布时间：`, `来源：`, `作者：`, bylines), the lines after the text
(`(记者 某某)`, `编辑：`, `来源：`), a notice's signature block, `<meta>` tags.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

from lxml import etree

from crawler.extract.cleanup import is_copyright, is_share, take_furniture
from crawler.extract.fields import (
    SHANGHAI,
    byline_names,
    complete_date,
    dateline_byline,
    dateline_source,
    editor_names,
    find_authors,
    find_datetime,
    find_editors,
    find_partial_date,
    find_source,
    find_year_month,
    is_info_line,
    is_outlet,
    is_person_name,
    is_ui_word,
    name_value,
    original_author,
    posted_by,
    trailing_byline,
)
from crawler.extract.generic_body import (
    Line,
    body_region,
    is_date_only,
    is_end_heading,
    is_related_heading,
    line_score,
    page_lines,
)
from crawler.extract.html import parse, strip_invisible, text_of, trafilatura_lines
from crawler.text import HAN_BMP, HAN_CLASS, any_kw, kw

_TITLE_SPLIT = re.compile(r"\s*(?:[-_|｜–—»]+|::)\s*")
_SQUEEZE = re.compile(r"[\s\u3000]+")
_URL_ONLY = re.compile(r"(?:https?://)?[\w-]+(?:\.[\w-]+)+/?\S*", re.A)
_SENTENCE = re.compile(r"[，。；,]")
_PROSE_MARK = re.compile(r"[，。！？；]|[.!?;](?:\s|$)")
# How far from the body the headline and the page's furniture are looked for, in lines.
_TITLE_REACH = 40
_HEAD_LINES = 25
_TAIL_LINES = 8
_META_DATES = ("article:published_time", "og:release_date", "datepublished", "pubdate",
               "publishdate", "publish_date", "publishtime", "citation_publication_date",
               "citation_date", "dc.date", "dc.date.issued", "dcterms.issued",
               "prism.publicationdate", "date", "firstpublishedtime")
# What a page says it was last changed: not its publication, but it gives a year to a date
# printed without one.
_META_UPDATED = ("dateupdate", "datemodified", "article:modified_time", "og:updated_time",
                 "lastmodified", "last-modified", "modified")
# Publication times in a page's scripts and JSON-LD (`"datePublished": "…"`, `"pubtime": "…"`,
# `publish_time = 1581517074`).
_SCRIPT_DATE = re.compile(
    r"""["']?\b(?:date_?published|pub_?date|pub_?time|publish_?(?:date|time)|release_?(?:date|time)|"""
    r"""first_?published_?time)["']?\s*[:=]\s*["']?([^"',;}\n]{8,40})""", re.I)
# A line whose date says when the page was changed, not published.
_UPDATED = re.compile(any_kw("最后更新", "更新时间", "更新于", "更新", "修改时间", "最后修改", "编辑于"))
_META_AUTHORS = ("author", "article:author", "citation_author", "citation_authors", "dc.creator",
                 "byl")
# An official notice's signature: the issuing body (`吉林省人民政府`) above the date.
_ISSUER = re.compile(rf"[{HAN_BMP}（）()]{{2,30}}(?:政府|委员会|办公室|办公厅|人民法院|检察院|"
                     r"局|厅|委|部|院|会|中心|公司|协会|学会|集团|银行|大学|学院|学校|医院|党委|党组|"
                     r"指挥部|总队|支队|大队)")


def _squeeze(text: str) -> str:
    return _SQUEEZE.sub("", text)


def _meta(doc: etree._Element, names: tuple[str, ...]) -> list[str]:
    """Values of `<meta>` tags named (name, property or itemprop) one of `names`, in that order."""
    found: list[tuple[int, str]] = []
    for el in doc.iter("meta"):
        key = (el.get("name") or el.get("property") or el.get("itemprop") or "").strip().lower()
        value = (el.get("content") or "").strip()
        if key in names and value:
            found.append((names.index(key), value))
    return [value for _, value in sorted(found, key=lambda kv: kv[0])]


def _page_title(doc: etree._Element) -> str:
    found = doc.find(".//title")
    return text_of(found) if found is not None else ""


def _fallback_title(doc: etree._Element) -> str | None:
    """The `<title>` without the site's name, else the first `<h1>`."""
    parts = [p for p in _TITLE_SPLIT.split(_page_title(doc)) if p]
    if parts:
        return max(parts, key=len)
    return next((text_of(el) for el in doc.iter("h1") if text_of(el)), None)


def _title_keys(doc: etree._Element) -> tuple[list[str], list[str]]:
    """Forms of the headline a page may print above the text, squeezed of white space: the
    likeliest (`og:title`, the `<title>`, its longest part) and the other parts of the
    `<title>`, one of which names the site."""
    page_title = _page_title(doc)
    parts = [p for p in _TITLE_SPLIT.split(page_title) if p]
    main = [*_meta(doc, ("og:title",)), page_title, max(parts, key=len) if parts else ""]
    main = [k for k in dict.fromkeys(_squeeze(k) for k in main) if len(k) >= 2]
    rest = [k for k in dict.fromkeys(_squeeze(p) for p in parts) if len(k) >= 2 and k not in main]
    return main, rest


def _links(line: Line) -> bool:
    """Mostly link text: navigation, a list of other articles."""
    return line.link_chars >= 0.5 * line.chars and line.chars > 1


def _is_title_line(line: Line, keys: list[str]) -> bool:
    """The line prints one of the headline's forms (a headline may link to itself)."""
    text = _squeeze(line.text)
    if not text or (_links(line) and not line.emphasis):
        return False
    return any(text == k or (len(text) >= 4 and text in k) for k in keys)


def _is_sentence(text: str) -> bool:
    """Prose, not a headline: long enough, with a comma or a full stop inside."""
    return len(text) >= 20 and _SENTENCE.search(text) is not None


def _headline_like(line: Line) -> bool:
    """Set as a headline: emphasized, short, not a sentence or an info line."""
    return (line.emphasis and 2 <= len(line.text) <= 60
            and not re.search(r"[。！？]$", line.text) and not is_info_line(line.text)
            and not is_date_only(line.text) and not is_ui_word(line.text))


@dataclass
class Layout:
    """Where things are among a page's lines: the body, and the headline above it."""

    lines: list[Line]
    start: int
    end: int
    title_at: int | None
    title_keys: list[str]
    main_keys: list[str] = field(default_factory=list)  # the likeliest forms (`og:title`, `<title>`)

    @property
    def head(self) -> list[str]:
        """The lines between the headline and the body (or just above the body): the info bar."""
        if self.title_at is None:
            return [ln.text for ln in self.lines[max(0, self.start - _HEAD_LINES):self.start]]
        return [ln.text for ln in self.lines[self.title_at + 1:self.start]]

    @property
    def above_title(self) -> list[str]:
        if self.title_at is None:
            return []
        return [ln.text for ln in self.lines[max(0, self.title_at - 4):self.title_at] if not _links(ln)]

    @property
    def under_title(self) -> list[str]:
        """The lines right under each printing of the headline above the text."""
        last = min(self.start + 5, self.end)
        return [self.lines[i].text for i in range(max(1, self.start - _HEAD_LINES), last)
                if _is_title_line(self.lines[i - 1], self.title_keys) and not _links(self.lines[i])]

    @property
    def posters(self) -> list[str]:
        """Lines right under a printing of the headline with a date under them: where blogs and
        self-media pages name who posted (`体育教科书` over `发布时间：18-03-08 23:16`)."""
        last = min(self.start + 5, self.end)
        return [self.lines[i].text for i in range(max(1, self.start - _HEAD_LINES), last - 1)
                if _is_title_line(self.lines[i - 1], self.title_keys) and not _links(self.lines[i])
                and _dated(self.lines[i + 1].text)]

    @property
    def tail(self) -> list[str]:
        """The lines after the body, up to the comments, a list of other articles, a date."""
        out: list[str] = []
        for ln in self.lines[self.end:self.end + _TAIL_LINES]:
            if is_end_heading(ln.text) or is_related_heading(ln.text):
                break
            out.append(ln.text)
            if is_date_only(ln.text):  # a signature's date, or the next entry's
                break
        return out


def _find_title(lines: list[Line], start: int, end: int, main: list[str],
                rest: list[str]) -> int | None:
    """Where the headline is printed: the line above the text (or at the top of the run,
    before its first sentence) that best prints a form of the `<title>` and is set as a
    headline, the nearer the better. A page whose `<title>` names no article (`显示`) is left
    with the nearest line set as a headline."""
    first = next((i for i in range(start, min(end, start + 5)) if _is_sentence(lines[i].text)), start)
    best: tuple[float, int] | None = None
    for i in range(first - 1, max(-1, start - _TITLE_REACH), -1):
        line = lines[i]
        score = 3.0 if _is_title_line(line, main) else 2.0 if _is_title_line(line, rest) else 0.0
        if score and any(k.startswith(_squeeze(line.text)) for k in main + rest):
            score += 1.0  # the headline's first line, not the subtitle under it
        score += 2.0 if _headline_like(line) else 0.0
        score -= (first - i) / 15
        if score > 0 and (best is None or score > best[0]):
            best = (score, i)
    return best[1] if best else None


def _layout(doc: etree._Element) -> Layout:
    body = doc.find("body")
    root = copy.deepcopy(body if body is not None else doc)
    strip_invisible(root)
    lines = page_lines(root)
    main, rest = _title_keys(doc)
    # The headline as the `<title>` names it, where the page prints it: the article follows.
    headline = next((i for i, ln in enumerate(lines) if _is_title_line(ln, main)), None)
    start, end = body_region(lines, headline=headline)
    title_at = _find_title(lines, start, end, main, rest)
    keys = main + rest
    if title_at is not None:
        keys.append(_squeeze(lines[title_at].text))
    return Layout(lines, start, end, title_at, keys, main)


def _furniture_line(text: str, keys: list[str]) -> bool:
    """Above the text: the headline again, an info bar, a byline, a date, a bare URL."""
    return (_squeeze(text) in keys or is_info_line(text) or byline_names(text) is not None
            or is_date_only(text) or _URL_ONLY.fullmatch(text.strip()) is not None)


def _trim(lines: list[str], keys: list[str]) -> tuple[list[str], list[str], list[str]]:
    """Take the headline, info lines, bylines and dates off the top of the body (above its
    first sentence) and info lines off its bottom: (head, body, tail)."""
    # The headline may read as a sentence (`午间公告：……项目；……项目`): it is not the text's first.
    first = next((i for i, ln in enumerate(lines) if _is_sentence(ln) and _squeeze(ln) not in keys),
                 len(lines))
    head = [ln for ln in lines[:first] if _furniture_line(ln, keys)]
    lines = [ln for ln in lines[:first] if ln not in head] + lines[first:]
    tail: list[str] = []
    while lines and is_info_line(lines[-1]) and editor_names(lines[-1]) is None \
            and byline_names(lines[-1]) is None:
        tail.insert(0, lines.pop())
    return head, lines, tail


def _dated(text: str) -> bool:
    return find_datetime(text) is not None or find_partial_date(text) is not None


def _handle(text: str) -> str | None:
    """A line that is only a name or a handle (`八卦大相公`, `IT之家`), no outlet or toolbar word."""
    names = name_value(text) if len(text) <= 10 else []
    return names[0] if len(names) == 1 and not is_outlet(names[0]) else None


def _bare_name(text: str) -> str | None:
    """A line that is only a person's name or pen name, as printed under a headline."""
    text = text.strip()
    if re.fullmatch(rf"{HAN_CLASS}{{2,4}}|{HAN_CLASS}{{1,3}}·{HAN_CLASS}{{1,4}}", text) \
            and not is_outlet(text) and not is_ui_word(text):
        return text
    return None


def _bracketed_name(text: str) -> str | None:
    """`[ 黄宇 ] 来源：[ 国际金融报 ]`: a name in square brackets on an info line."""
    if not is_info_line(text):
        return None
    match = re.search(rf"[\[［]\s*({HAN_CLASS}{{2,4}})\s*[\]］]", text)
    if match and not is_outlet(match.group(1)) and not is_ui_word(match.group(1)):
        return match.group(1)
    return None


def _names_in(lines: list[str]) -> list[str]:
    """Authors that bylines, author fields and "posted by" lines among `lines` name."""
    names: list[str] = []
    for text in lines:
        names += byline_names(text) or find_authors(text)
        names += [n for n in (posted_by(text), _bracketed_name(text), original_author(text)) if n]
    return names


def _person_source(lines: list[str]) -> list[str]:
    """`来源: 尹娟`: where the source a page names is a person, the person wrote it."""
    for text in lines:
        value = find_source(text)
        if value and is_person_name(value):
            return [value]
    return []


def _signature(lines: list[str]) -> tuple[str | None, str | None]:
    """(issuer, date) of the signature block ending an official notice: the issuing body on
    one line, the date on the next."""
    for i in range(len(lines) - 1, 0, -1):
        if is_date_only(lines[i]) and _ISSUER.fullmatch(lines[i - 1].strip()):
            return lines[i - 1].strip(), find_datetime(lines[i])
    return None, None


def _author_page(href: str) -> bool:
    """A link to an author's own page: WordPress's `?author=12`, `/author/slug/`."""
    if "author" not in href:
        return False
    parts = urlsplit(href)
    return list(parse_qs(parts.query)) == ["author"] or re.search(r"/author/[^/]+/?$", parts.path) is not None


def _linked_author(doc: etree._Element) -> str | None:
    """The name on a link to the author's page, or on an element marked as the author."""
    for el in doc.iter("a", "span", "div"):
        marked = ("author" in (el.get("rel") or "").lower().split()
                  or (el.get("itemprop") or "").lower() == "author")
        if marked or (el.tag == "a" and _author_page(el.get("href") or "")):
            names = name_value(text_of(el))
            if len(names) == 1:
                return names[0]
    return None


def _meta_author(doc: etree._Element) -> str | None:
    for value in _meta(doc, _META_AUTHORS):
        if re.fullmatch(rf"{HAN_CLASS}\s+{HAN_CLASS}", value):  # `赵  培`
            value = re.sub(r"\s+", "", value)
        if is_person_name(value):
            return value
    return None


# How far into the text from either end a byline of its own line is looked for, in lines;
# and how near the end a paragraph signed in brackets ends the article.
_BYLINE_REACH = 6
_SIGNED_REACH = 3


def _body_bylines(lines: list[str]) -> tuple[list[str], list[str], list[tuple[str, str]]]:
    """Bylines inside the text: a dateline's (`新华社巴黎12月9日电（记者唐霁）`, kept in the
    text), bylines on lines of their own near either end (`《棱镜》作者 周纯`, taken out), and a
    paragraph signed in brackets near the end (`……换新iPhone。(李楠)`: the article ends there,
    what follows is the site's). (lines, authors, dropped)."""
    authors = [n for ln in lines[:2] for n in dateline_byline(ln)]
    kept: list[str] = []
    dropped: list[tuple[str, str]] = []
    for i, line in enumerate(lines):
        near_end = i >= len(lines) - _BYLINE_REACH
        if (i < _BYLINE_REACH or near_end) and not _is_sentence(line):
            names = byline_names(line)
            if names:
                authors += names
                dropped.append(("byline", line))
                continue
        kept.append(line)
    for i in range(len(kept) - 1, max(-1, len(kept) - 1 - _SIGNED_REACH), -1):
        split = trailing_byline(kept[i])
        if split and i < len(kept) - 1:
            dropped += [("trailer", ln) for ln in kept[i + 1:]]
            kept[i:] = [split[0]] if split[0] else []
            authors += split[1]
            break
    return kept, list(dict.fromkeys(authors)), dropped


def _closing_editors(lines: list[str]) -> tuple[list[str], list[str], list[tuple[str, str]]]:
    """An editor line near the end (`责任编辑：李跃群`, `供稿 摄影/张艳 编辑/苏芳`) closes the
    article: it and the site's lines after it (a proofreader, tip-off numbers, keywords) are
    not the text; prose after it is kept. (lines, editors, dropped)."""
    for i in range(max(0, len(lines) - _BYLINE_REACH), len(lines)):
        line = lines[i]
        names = editor_names(line) or (find_editors(line) if len(line) <= 60 and not _is_sentence(line) else [])
        if names:
            rest = lines[i + 1:]
            editors = names + [n for ln in rest for n in (editor_names(ln) or [])]
            kept = [ln for ln in rest if _is_sentence(ln) and editor_names(ln) is None]
            dropped = [("info", ln) for ln in [line, *rest] if ln not in kept]
            return lines[:i] + kept, list(dict.fromkeys(editors)), dropped
    return lines, [], []


_SIGNATURE = re.compile(r"^\W*" + any_kw("个性签名", "签名档", "签名") + r"\s*[:：]")
# The opening post's header on a forum thread: `楼主 发表于 2020-5-1 10:00`, `[楼主] 发表于 …`.
_OPENING_POST = re.compile(r"^\W*楼主\W*(?:发表于|发表时间|发帖时间|发布于|于)")


# A post's header on a forum thread: its floor (`沙发`, `2楼`, `第 3 楼`, `#4`) by its time.
_FLOOR = re.compile(r"^\W*(?:楼主|沙发|板凳|地板|\d+\s*[楼#]|第\s*\d+\s*楼|#\s*\d+|" + kw("楼层")
                    + r"\s*[:：]?\s*第?\s*\d+\s*楼)")
# Where a thread's replies end: the reply box, the pager.
_REPLY_BOX = re.compile(any_kw("快速回复", "发表回复", "回复本帖", "您需要登录后才可以回帖", "下一页", "返回列表"))


def _in_quote(line: Line) -> bool:
    """Inside a quoted earlier post (`<blockquote>`, a `quote` box)."""
    chain = [line.block, *line.block.iterancestors()] if line.block is not None else []
    return any(el.tag == "blockquote" or "quote" in (el.get("class") or "").lower() for el in chain)


def _replies(layout: Layout) -> list[str]:
    """On a forum thread (its posts headed by their floors, `楼主`, `沙发`, `第 2 楼`), the text of
    the replies after the opening post: each reply's prose, without the poster's panel, the
    signature, the quoted post or the reply box; chatter too short to read as prose is left."""
    lines = layout.lines
    opening = range(max(0, layout.start - _HEAD_LINES), min(layout.end, len(lines)))
    if not any(_FLOOR.match(lines[i].text) and _dated(lines[i].text) for i in opening):
        return []
    out: list[str] = []
    in_reply = False
    for line in lines[layout.end:]:
        text = line.text
        if _REPLY_BOX.search(text) and len(text) <= 60:
            break
        if _FLOOR.match(text) and _dated(text):
            in_reply = True
            continue
        if in_reply and line_score(line) > 0 and not _links(line) and not _in_quote(line) \
                and not _SIGNATURE.match(text) and not is_info_line(text) and _is_sentence(text):
            out.append(text)
    return out


def _thread_starter(layout: Layout) -> str | None:
    """On a forum thread whose opening post is headed `楼主 发表于 …`, the poster: the name in
    the user panel just before that header."""
    lines = layout.lines
    for i in range(max(0, layout.start - _HEAD_LINES), min(layout.end, len(lines))):
        if _OPENING_POST.match(lines[i].text):
            panel = list(reversed(lines[max(0, i - 8):i]))
            # The name links to the poster's profile; the panel's labels do not.
            for ln in [ln for ln in panel if ln.link_chars >= ln.chars] + panel:
                name = _handle(ln.text)
                if name and not is_info_line(ln.text) and not re.fullmatch(r"[\d\W]+", ln.text):
                    return name
            return None
    return None


def _authors(layout: Layout, head: list[str], tail: list[str], body_authors: list[str],
             body: list[str], doc: etree._Element) -> list[str]:
    """The authors, from where pages most often name them to where they least often do."""
    # Bylines and author fields in the body and the info bar; a name alone under a headline.
    names = body_authors + _names_in(layout.head + head)
    names += [n for n in map(_bare_name, layout.under_title) if n]
    names += [n for n in map(_handle, layout.posters) if n]
    names += [n for n in [_thread_starter(layout)] if n]
    if names:
        return list(dict.fromkeys(names))
    after = tail + layout.tail
    names = _names_in(after) or _person_source(after)
    if names:
        return list(dict.fromkeys(names))
    issuer, _ = _signature(body[-3:] + after[:4])
    found = issuer or _meta_author(doc) or _linked_author(doc)
    return [found] if found else []


# A date in an article's URL: `/2020-02/17/`, `/202002/17/`, `/20200217/`, `/2020/02/17/`.
_URL_DATE = re.compile(r"/((?:19|20)\d\d)[-/_]?(0[1-9]|1[0-2])[-/_]?(0[1-9]|[12]\d|3[01])(?=[/_.\-]|\d{3,})")


def _url_date(url: str) -> str | None:
    match = _URL_DATE.search(urlsplit(url).path)
    return "-".join(match.groups()) if match else None


_LIST_DATE = re.compile(r"[(（\[［]\s*(?:19|20)?\d\d[-/.]\d{1,2}[-/.]\d{1,2}[^)）\]］]*[)）\]］]\s*$")


def _dated_link(line: Line) -> bool:
    """An item of a list of other articles: `少年时代(1)(2004/10/10 17:06)`."""
    return line.link_chars > 0 and _LIST_DATE.search(line.text) is not None


_PIECES = re.compile(r"(?<!\d)((?:19|20)\d\d)\s+(\d{1,2})[/-](\d{1,2})(?:\s+(\d{1,2}):(\d{2}))?(?!\d)")


def _date_in_pieces(lines: list[str]) -> str | None:
    """A date whose year, month/day and time are printed apart (`2019` `09/07` `19:02`)."""
    short = [ln for ln in lines if len(ln) <= 12]
    match = _PIECES.search(" ".join(short))
    if not match:
        return None
    y, m, d, hh, mm = match.groups()
    return find_datetime(f"{y}-{m}-{d}" + (f" {hh}:{mm}" if hh else ""))


def _script_dates(doc: etree._Element) -> list[str]:
    """Publication times a page's scripts give (JSON-LD, a page's data object), in page order."""
    found = []
    for script in doc.iter("script"):
        for match in _SCRIPT_DATE.finditer(script.text or ""):
            value = match.group(1).strip()
            if re.fullmatch(r"1\d{9}", value):  # seconds since 1970
                value = datetime.fromtimestamp(int(value), SHANGHAI).isoformat()
            value = find_datetime(value)
            if value:
                found.append(value)
    return found


def _published(layout: Layout, head: list[str], tail: list[str], body: list[str],
               doc: etree._Element, url: str) -> str | None:
    """The date printed nearest above the text (one printed without its year takes it from a
    date the page gives elsewhere on the same day); else a signed notice's date, the `<meta>`
    date, the time the page says it was updated, the URL's, one printed just above
    the headline, one after the text, the page's first, the scripts'."""
    updated: str | None = None
    partial = None
    # The lines of the text above its first sentence: where a page without an info bar dates it.
    lead = body[:next((i for i, ln in enumerate(body) if _is_sentence(ln)), len(body))]
    for text in reversed(layout.head + head + lead):
        value = find_datetime(text) or find_year_month(text)
        if value and _UPDATED.search(text):
            updated = updated or value
        elif value:
            return value
        else:
            partial = partial or find_partial_date(text)
    if partial:
        known = [d for d in map(find_datetime, _meta(doc, _META_DATES + _META_UPDATED)) if d]
        known += _script_dates(doc) + ([_url_date(url)] if _url_date(url) else [])
        value = complete_date(partial, known)
        if value:
            return value
    _, signed = _signature(body[-3:] + tail + layout.tail[:4])
    if signed:
        return signed
    for value in _meta(doc, _META_DATES):
        if find_datetime(value):
            return find_datetime(value)
    # A date set in pieces on lines of their own above the text (`2019` `09/07` `19:02`).
    value = _date_in_pieces([*layout.head, *head, *lead])
    if value:
        return value
    if updated:
        return updated
    if _url_date(url):
        return _url_date(url)
    for text in reversed(layout.above_title):
        if find_datetime(text):
            return find_datetime(text)
    after = layout.lines[layout.end:layout.end + _TAIL_LINES]
    for text in body[-2:] + tail + [ln.text for ln in after if not _dated_link(ln)]:
        value = find_datetime(text) or find_year_month(text)
        if value:
            return value
    # The first full date on the page, not counting lists of other articles; last, what the
    # page's scripts say.
    first = find_datetime("\n".join(ln.text for ln in layout.lines if not _dated_link(ln)))
    return first or next(iter(_script_dates(doc)), None)


def _has_prose(lines: list[str]) -> bool:
    return any(_is_sentence(ln) for ln in lines)


def _is_teaser_pair(link: Line, after: Line) -> bool:
    """A headline link with a line of prose under it: one entry of a list of teasers."""
    return (_links(link) and 6 <= link.chars <= 80 and after.link_chars == 0
            and after.chars >= 15 and _SENTENCE.search(after.text) is not None)


def page_signals(layout: Layout, body: list[str]) -> dict:
    """What tells an article page from a listing (see `crawler.extract.kind`): how far above
    the body its headline is printed, the page's text in and out of links, how much of the
    body is sentences the page does not print as links, the teaser entries (a headline link,
    prose under it) on the page, and whether the body is nothing but teasers."""
    lines = layout.lines
    linked = {_squeeze(ln.text) for ln in lines if _links(ln)}
    gap = None
    if layout.title_at is not None and _is_title_line(lines[layout.title_at], layout.main_keys):
        gap = layout.start - layout.title_at
    teasers = {i + 1 for i in range(len(lines) - 1) if _is_teaser_pair(lines[i], lines[i + 1])}
    prose = [i for i in range(layout.start, layout.end) if _PROSE_MARK.search(lines[i].text) and not _links(lines[i])]
    return {
        "headline_gap": gap,
        "link_chars": sum(ln.link_chars for ln in lines),
        "text_chars": sum(ln.own_chars for ln in lines),
        "story_links": sum(1 for ln in lines if _links(ln) and ln.chars >= 8),
        "prose_chars": sum(len(_squeeze(t)) for t in body
                           if _PROSE_MARK.search(t) and _squeeze(t) not in linked),
        "teasers": len(teasers),
        "teaser_body": bool(prose) and all(i in teasers for i in prose),
    }


def extract_generic(text: str, url: str, doc: etree._Element | None = None) -> dict:
    """The article of a page read generically; `doc`: the page's `parse`, made by the caller
    (this reading strips it)."""
    doc = parse(text) if doc is None else doc
    layout = _layout(doc)
    og = _meta(doc, ("og:title",))
    if og:
        title: str | None = og[0]
    elif layout.title_at is not None:
        title = layout.lines[layout.title_at].text  # the headline as the page prints it
    else:
        title = _fallback_title(doc)
    region = layout.lines[layout.start:layout.end]
    dropped = [("links", ln.text) for ln in region if _links(ln)]
    lines = [ln.text for ln in region if not _links(ln)]
    # Notices and share bars out before the top and bottom of the text are read.
    dropped += [("copyright" if is_copyright(ln) else "share", ln) for ln in lines
                if is_copyright(ln) or is_share(ln)]
    lines = [ln for ln in lines if not (is_copyright(ln) or is_share(ln))]
    # A forum poster's signature under each post.
    dropped += [("signature", ln) for ln in lines if _SIGNATURE.match(ln)]
    lines = [ln for ln in lines if not _SIGNATURE.match(ln)]
    if not _has_prose(lines):
        # Our reading found no sentences; trafilatura's may (a page of one long <pre>, say).
        lines = trafilatura_lines(text, url) or lines
    head, lines, tail = _trim(lines, layout.title_keys)
    furniture = take_furniture(lines, title=title)
    furniture.lines, body_authors, in_body = _body_bylines(furniture.lines)
    furniture.authors = list(dict.fromkeys(furniture.authors + body_authors))
    furniture.dropped += in_body
    furniture.lines, closing, in_body = _closing_editors(furniture.lines)
    furniture.dropped += in_body
    furniture.lines += _replies(layout)

    editors = furniture.editors or closing or [n for t in layout.head + head + tail + layout.tail
                                               for n in find_editors(t)]
    authors = _authors(layout, head, tail, furniture.authors, furniture.lines, doc)
    info = head + layout.head + tail + layout.tail
    source = (furniture.source or next((v for v in map(find_source, info) if v), None)
              or (dateline_source(furniture.lines[0]) if furniture.lines else None))
    if source and source in authors:  # `来源: 尹娟` named a person
        source = None
    return {
        "title": title,
        "subtitle": "\n".join(furniture.subtitle) or None,
        "published": _published(layout, head, tail, furniture.lines, doc, url),
        "authors": authors,
        "editors": list(dict.fromkeys(editors)),
        "source": source,
        "section": [],
        "body": "\n".join(furniture.lines),
        "images": [],
        "dropped": dropped + furniture.dropped + [("info", ln) for ln in head + tail],
        "page": page_signals(layout, furniture.lines),
    }
