"""Finding an article's body on a page of no known layout: the densest run of prose lines.

The page is read as lines in document order (a block, a cell, a `<br>`), each scored by how
much it reads like prose: characters outside links, sentence punctuation; links, navigation,
copyright footers and timestamps count against it. The body is the run of lines with the
highest total (a maximum-sum segment), which keeps short subheadings between paragraphs and
stops at link lists, footers and comment areas. Where a box of links splits the article (an
ad table after the first paragraph, a "further reading" box), the run is widened to the prose
on the other side when it sits in the same container. This suits the table layouts of older
Chinese portals, forums and blogs, where trafilatura's cues (`<article>`, `<p>`) are missing,
as well as modern markup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from crawler.extract.cleanup import is_copyright, is_share
from crawler.extract.html import BLOCK_TAGS, clean_line
from crawler.text import HAN_BMP, is_spam, kw

_SENTENCE_PUNCT = re.compile(r"[，。！？；、“”,!?;]|\.(?!\d)")
_SPACES = re.compile(r"\s+")
# Headings of boxes about other pages: after the article, or a box inside it.
_RELATED = re.compile(
    r"^[\s【\[〖■●◆▌|·-]*(?:" + "|".join(kw(w) for w in (
        "相关报道", "相关链接", "相关新闻", "相关阅读", "相关文章", "相关专题", "延伸阅读",
        "推荐阅读", "热点推荐", "精彩推荐", "猜你喜欢", "其他报道", "更多新闻", "热门文章",
        "热门新闻", "今日推荐", "今日焦点", "相关推荐", "为你推荐", "热门推荐", "大家都在看", "热文推荐",
        "点击排行", "热门排行", "排行榜")) + r")[\s】\]〗：:>»]*")
# Where an article certainly ended: readers' comments, links to the previous or next one.
_END = re.compile(
    r"^[\s【\[〖■●◆▌|·-]*(?:" + "|".join(kw(w) for w in (
        "发表评论", "网友评论", "最新评论", "评论列表", "我要评论", "相关评论", "上一篇", "下一篇",
        "返回顶部", "返回首页")) + r")|"
    r"(?:已有|共|有)\s*\d+\s*(?:件|条|篇|个)\s*(?:评论|回复|留言)|\d+\s*(?:件|条)\s*评论|"
    + kw("我来说两句"))
# A site's footer: licence numbers, "all rights reserved", where to report, whom to write to.
_FOOTER = re.compile(
    r"I(?:\([a-zA-Z\u00c0-\u024f]{1,8}\))?CP|copyright|all rights reserved|©|e-?mail|" + "|".join(
        kw(w) for w in ("版权所有", "举报电话", "举报邮箱", "违法和不良信息", "增值电信", "经营许可证",
                        "网安备", "公网安备", "新出网备", "宣备", "主办", "承办", "技术支持", "联系我们")),
    re.I)
# A line that is only a timestamp (with labels): where a blog or forum starts another entry.
_DATE_ONLY = re.compile(
    r"^[^\d]{0,12}(?:19|20)\d\d[-/.年]\d{1,2}[-/.月]\d{1,2}日?(?:\s*\d{1,2}[:：]\d{2}(?:[:：]\d{2})?)?"
    rf"(?:\s*[AP]M)?[^\d{HAN_BMP}]{{0,6}}$", re.I)
# A line no body runs across: a timestamp between blog entries, a comment area.
BREAK = float("-inf")
# A "related news" heading: the run stops there, but may go on past the box it heads when
# more of the article follows in the same container.
SOFT_BREAK = -1e6
_MORE_LINK = re.compile(r"(?:>>|»|更多|more)\s*$", re.I)
_EMPHASIS = {"h1", "h2", "h3", "h4", "b", "strong"}
_TITLE_CLASS = re.compile(r"title|headline|(?<![a-z])tit(?![a-z])", re.I)


@dataclass
class Line:
    text: str
    chars: int  # characters, white space not counted
    link_chars: int  # of them, inside links
    emphasis: bool = False  # set as a headline is: <h1>-<h4>, bold, a "title" class
    block: etree._Element | None = None  # the innermost block element holding the line

    @property
    def own_chars(self) -> int:
        return self.chars - self.link_chars


def page_lines(root: etree._Element) -> list[Line]:
    """The text of `root` as lines, one per block or line break, with how much of each is
    link text (navigation and link lists are mostly links)."""
    lines: list[Line] = []
    parts: list[str] = []
    state = {"link": 0, "emphasis": False}
    blocks: list[etree._Element] = [root]

    def flush() -> None:
        text = clean_line(_join_wrapped("".join(parts)))
        if text:
            chars = len(_SPACES.sub("", text))
            lines.append(Line(text, chars, min(state["link"], chars), state["emphasis"], blocks[-1]))
        parts.clear()
        state["link"] = 0
        state["emphasis"] = False

    def add(text: str | None, in_link: bool, in_emphasis: bool) -> None:
        if not text:
            return
        parts.append(text)
        if in_link:
            state["link"] += len(_SPACES.sub("", text))
        if in_emphasis and text.strip():
            state["emphasis"] = True

    def walk(el: etree._Element, in_link: bool, in_emphasis: bool) -> None:
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        if not tag:
            return
        block = tag in BLOCK_TAGS
        in_link = in_link or (tag == "a" and el.get("href") is not None)
        in_emphasis = in_emphasis or tag in _EMPHASIS or _TITLE_CLASS.search(
            f"{el.get('class', '')} {el.get('id', '')}") is not None
        if block:
            flush()
            blocks.append(el)
        add(el.text, in_link, in_emphasis)
        for child in el:
            walk(child, in_link, in_emphasis)
            add(child.tail, in_link, in_emphasis)
        if block:
            flush()
            blocks.pop()

    walk(root, False, False)
    flush()
    return lines


_WRAPPED = re.compile(r"(?<=[\u3000-\u9fff\uff00-\uffef])[ \t]*\n[ \t]*(?=[\u3000-\u9fff\uff00-\uffef])")


def _join_wrapped(text: str) -> str:
    """Source line breaks inside a paragraph: nothing between two Chinese characters (the
    page was wrapped by hand), a space elsewhere, as a browser shows them."""
    if "\n" not in text:
        return text
    return _WRAPPED.sub("", text).replace("\n", " ")


def is_end_heading(text: str) -> bool:
    """A heading after which the page is about readers' comments or other articles."""
    return len(text) <= 40 and _END.search(text) is not None


def is_related_heading(text: str) -> bool:
    """The heading of a box of links to other articles (`相关报道：`, `延伸阅读：……`)."""
    return len(text) <= 40 and _RELATED.match(text) is not None


def is_date_only(text: str) -> bool:
    return len(text) <= 40 and _DATE_ONLY.match(text) is not None


def line_score(line: Line) -> float:
    """How much a line reads like the body of an article: positive for prose, negative for
    links, furniture and short fragments."""
    text = line.text
    if is_date_only(text) or is_end_heading(text):
        return BREAK
    if is_related_heading(text):
        return SOFT_BREAK
    if is_spam(text):  # keyword spam a clone injects: long, and as wordy as prose
        return -2.0 * line.chars
    footer = _FOOTER.search(text) is not None and re.search(r"[。！？]", text) is None
    if (len(text) < 200 and footer) or is_copyright(text) or is_share(text):
        return -40.0
    own = line.own_chars
    punct = len(_SENTENCE_PUNCT.findall(text))
    weight = 1.0 if punct else 0.4
    score = own * weight - 2.0 * line.link_chars - 8.0
    if line.link_chars and _MORE_LINK.search(text):
        score -= 20.0
    return score


def best_segment(scores: list[float]) -> tuple[int, int, float]:
    """(start, end, total) of the run of lines with the highest total (end exclusive)."""
    best = (0, 0, 0.0)
    start, total = 0, 0.0
    for i, score in enumerate(scores):
        if total <= 0:
            start, total = i, 0.0
        total += score
        if total > best[2]:
            best = (start, i + 1, total)
    return best


def segments(scores: list[float], *, floor: float = 40.0, limit: int = 20) -> list[tuple[int, int, float]]:
    """The best runs of lines, one after the other, each the best of what remains, while
    their total is worth having: the article, and other prose (a second blog entry,
    comments) the page holds."""
    work = list(scores)
    found: list[tuple[int, int, float]] = []
    for _ in range(limit):
        start, end, total = best_segment(work)
        if total < floor or end <= start:
            break
        found.append((start, end, total))
        for i in range(start, end):
            work[i] = float("-inf")
    return sorted(found)


def _container(lines: list[Line]) -> etree._Element | None:
    """The lowest element holding all of `lines`."""
    common: list[etree._Element] | None = None
    for line in lines:
        if line.block is None:
            continue
        chain = [line.block, *line.block.iterancestors()]
        common = chain if common is None else [el for el in common if el in chain]
    return common[0] if common else None


def _within(el: etree._Element | None, container: etree._Element | None) -> bool:
    if el is None or container is None:
        return False
    return el is container or any(a is container for a in el.iterancestors())


def _prose(line: Line, score: float) -> bool:
    return score > 0 and _SENTENCE_PUNCT.search(line.text) is not None


def _reach(lines: list[Line], scores: list[float], order: range, container: etree._Element,
           beyond: float) -> int | None:
    """The farthest prose line, walking `order` away from the run, still in `container` and
    before a break; past a "related" box only where `beyond` worth of prose follows it."""
    reached: int | None = None
    group_last: int | None = None
    group_gain, crossed = 0.0, False
    for i in order:
        if scores[i] == BREAK or not _within(lines[i].block, container):
            break
        if scores[i] == SOFT_BREAK:
            if crossed and group_gain < beyond:
                return reached
            reached = group_last if group_last is not None else reached
            group_last, group_gain, crossed = None, 0.0, True
            continue
        if _prose(lines[i], scores[i]):
            group_last, group_gain = i, group_gain + scores[i]
    if group_last is not None and (not crossed or group_gain >= beyond):
        reached = group_last
    return reached


def extend_region(lines: list[Line], scores: list[float], start: int, end: int, *,
                  beyond: float = 200.0) -> tuple[int, int]:
    """Widen the run to prose in the same container that a box cut off (an ad or a "today's
    picks" table between the first paragraph and the rest, a "further reading" box inside
    the article), without crossing a break (the next blog entry, the comments)."""
    core = [ln for ln, sc in zip(lines[start:end], scores[start:end], strict=True) if sc > 0]
    container = _container(core)
    if container is None:
        return start, end
    if all(ln.block is container for ln in core):  # one paragraph: look among its siblings
        container = container.getparent() if container.getparent() is not None else container
    first = _reach(lines, scores, range(start - 1, -1, -1), container, beyond)
    last = _reach(lines, scores, range(end, len(lines)), container, beyond)
    return (start if first is None else first), (end if last is None else last + 1)


def body_region(lines: list[Line], *, headline: int | None = None,
                ratio: float = 0.3) -> tuple[int, int]:
    """Where the article is among the page's lines: the first run of prose that holds at
    least `ratio` of the best run's weight (a blog page's first entry, not a later longer
    one; an article, not the comments below it), and of those the first that reaches past the
    `headline` line where there is one (not a blurb in a column printed before the article's).
    (0, 0) where nothing reads like prose."""
    scores = [line_score(ln) for ln in lines]
    found = segments(scores)
    if not found:
        return 0, 0
    top = max(total for _, _, total in found)
    worthy = [(s, e) for s, e, total in found if total >= ratio * top]
    after = [(s, e) for s, e in worthy if headline is not None and e > headline]
    start, end = (after or worthy)[0]
    if headline is not None and start < headline < end:
        start = headline  # what runs into the headline from above is another column's
        return start, extend_region(lines, scores, start, end)[1]
    return extend_region(lines, scores, start, end)
