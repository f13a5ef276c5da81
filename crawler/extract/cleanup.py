"""Page furniture that reaches the body text, recognised line by line and taken out.

What is taken out is not thrown away: bylines become authors, editor lines editors, a `来源`
line the source, lines before a repeated title the subtitle; spam, copyright notices, share
bars and classified notices are dropped and reported with their reason, so the crawl can count
them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from crawler.extract.fields import byline_names, editor_names, role_line, trailing_byline
from crawler.text import is_spam, kw

_COPYRIGHT = re.compile(
    "|".join([
        kw("凡") + r".{0,40}" + kw("署名") + r".{0,80}" + kw("版权"),
        kw("版权所有") + r".{0,60}" + kw("转载"),
        kw("未经") + r".{0,20}" + kw("授权") + r".{0,10}" + kw("不得") + r".{0,6}" + kw("转载"),
        kw("转载请注明"),
        r"^" + kw("本文来源于") + r".{0,30}$",
        kw("免责声明"),
        # Reprint and infringement notices (`反侵权公告`, `擅自转载本报社作品`, `禁止商业转载`).
        kw("侵权公告"), kw("版权声明"), kw("擅自转载"), kw("非法转载"),
        kw("禁止") + r".{0,6}" + kw("转载"),
        kw("著作权") + r".{0,60}" + kw("转载"),
        kw("转载") + r".{0,12}" + kw("请联系"),
        kw("追究") + r".{0,12}" + kw("法律责任"),
    ]))
_SHARE = re.compile(r"^" + kw("分享到") + r"|^(?:" + kw("打印") + "|" + kw("关闭") + r"|【|】|\s)+$")


def is_copyright(line: str) -> bool:
    return len(line) < 400 and _COPYRIGHT.search(line) is not None


def is_share(line: str) -> bool:
    return len(line) < 60 and _SHARE.search(line) is not None


def _same_title(line: str, title: str | None) -> bool:
    if not title:
        return False
    squeeze = re.compile(r"[\s\u3000]+")
    return squeeze.sub("", line) == squeeze.sub("", title)


@dataclass
class Furniture:
    lines: list[str]
    authors: list[str] = field(default_factory=list)
    editors: list[str] = field(default_factory=list)
    source: str | None = None
    subtitle: list[str] = field(default_factory=list)
    dropped: list[tuple[str, str]] = field(default_factory=list)  # (reason, line)


def take_furniture(lines: list[str], *, title: str | None = None, outlets: tuple[str, ...] = (),
                   cut_from: tuple[str, ...] = ()) -> Furniture:
    """Separate an article's text lines from the furniture around them."""
    out = Furniture(lines=[])
    cut = [re.compile(p) for p in cut_from]
    for i, line in enumerate(lines):
        if any(p.search(line) for p in cut):
            out.dropped += [("notice", x) for x in lines[i:]]
            break
        if is_spam(line):
            out.dropped.append(("spam", line))
        elif is_copyright(line):
            out.dropped.append(("copyright", line))
        elif is_share(line):
            out.dropped.append(("share", line))
        else:
            out.lines.append(line)

    body = out.lines
    # Lines above a repetition of the title are its kicker and subtitle.
    for i, line in enumerate(body[:5]):
        if _same_title(line, title):
            out.subtitle = body[:i]
            del body[: i + 1]
            break

    # The tail: editor lines, bylines, `来源` lines, in any order, then a byline that ends
    # the last paragraph.
    authors: list[str] = []
    editors: list[str] = []
    while body:
        last = body[-1]
        names = editor_names(last)
        if names:
            editors = names + editors
            body.pop()
            continue
        names = byline_names(last, outlets)
        if names:
            authors = names + authors
            body.pop()
            continue
        source = role_line(last, "来源")
        if source:
            out.source = source
            body.pop()
            continue
        if role_line(last, "记者") or role_line(last, "作者"):
            value = role_line(last, "记者") or role_line(last, "作者") or ""
            authors = [n for n in re.split(r"[\s、，,]+", value) if n] + authors
            body.pop()
            continue
        split = trailing_byline(last, outlets)
        if split:
            body[-1], names = split
            authors = names + authors
            if not body[-1]:
                body.pop()
        break
    # A byline as the first line (`本报记者 张琳`).
    if body:
        names = byline_names(body[0], outlets)
        if names:
            authors = names + authors
            body.pop(0)
    out.authors = list(dict.fromkeys(authors))
    out.editors = list(dict.fromkeys(editors))
    return out
