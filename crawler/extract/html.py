"""Parsing pages and turning elements into lines of text."""

from __future__ import annotations

import re
from dataclasses import dataclass

import lxml.html
import trafilatura
from lxml import etree

BLOCK_TAGS = {
    "p", "div", "section", "article", "main", "header", "footer", "aside", "blockquote", "pre",
    "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "dl", "dt", "dd", "table", "tr", "td",
    "th", "tbody", "thead", "center", "form", "figure", "figcaption", "br", "hr",
    "founder-content",
}
# `title` too: outside <head> (a page saved inside a wrapper, a broken template) it is not shown.
_INVISIBLE = ("script", "style", "noscript", "template", "iframe", "object", "embed", "select",
              "textarea", "button", "svg", "title")
_HIDDEN = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
# `</body>` and `</html>` before the end of a page: browsers ignore them and show what follows
# (a page pieced together from templates), libxml2 would drop it.
_EARLY_END = re.compile(r"</(?:body|html)\s*>(?=.*?\S)", re.I | re.S)
_WRAPPER = re.compile(r"</?(?:div|span|section|font|center|table|tbody|tr|td)\b[^>]*>", re.I)
_MARKUP = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"[ \t\r\f\v\u00a0\u3000\u2002\u2003\u2009\u200b\ufeff]+")


def parse(text: str) -> lxml.html.HtmlElement:
    """An lxml document for a page's text; tolerant of junk, empty input, XML declarations and
    elements nested thousands deep."""
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)
    text = _EARLY_END.sub("", text)
    if not text.strip():
        text = "<html><body></body></html>"
    doc, too_deep = _parse(text)
    if too_deep:
        # libxml2 stops at 256 levels and drops everything deeper (an article inside a few
        # hundred nested <div>s), and so deep a tree would exhaust the recursion of the walks
        # over it: the wrappers go, a line break for each, and the text stays.
        doc, _ = _parse(_WRAPPER.sub("<br>", text), huge=True)
    return doc


def _parse(text: str, *, huge: bool = False) -> tuple[lxml.html.HtmlElement, bool]:
    """The document, and whether it hit libxml2's depth limit (256 levels; 2048 when `huge`).
    A parser per call: lxml's are not to be shared between threads."""
    parser = lxml.html.HTMLParser(huge_tree=huge)
    try:
        doc = lxml.html.document_fromstring(text, parser=parser)
    except (etree.ParserError, ValueError):
        doc = lxml.html.document_fromstring(f"<html><body><pre>{text}</pre></body></html>", parser=parser)
    return doc, any(e.type == etree.ErrorTypes.ERR_RESOURCE_LIMIT for e in parser.error_log)


# Where Scrapy looks for a page's `<base href>`: its first 4,096 characters.
BASE_HEAD = 4096


@dataclass
class Outlinks:
    """What a page links to, as it was parsed (before extraction strips anything): taken from
    the one parse of the page that extraction makes, so that following its links needs no other."""

    anchors: list[tuple[str, str]]  # (tag, raw href) of each <a> and <area>, in page order, each href once
    alternates: list[tuple[str, str | None]]  # (raw href, type) of each <link rel="alternate">
    head: str  # the page's first BASE_HEAD characters, where its <base href> counts


def outlinks_of(root: etree._Element, text: str) -> Outlinks:
    """The `Outlinks` of a parsed page; `text` is what was parsed."""
    anchors: dict[str, str] = {}
    for element in root.iter("a", "area"):
        href = element.get("href")
        if href is not None and href not in anchors:  # the same href: the same link
            anchors[href] = element.tag
    alternates = [(link.get("href"), link.get("type")) for link in root.iter("link")
                  if link.get("href") and "alternate" in (link.get("rel") or "").split()]
    return Outlinks([(tag, href) for href, tag in anchors.items()], alternates, text[:BASE_HEAD])


def remove(element: etree._Element) -> None:
    """Drop an element but keep the text that follows it (its tail)."""
    parent = element.getparent()
    if parent is None:
        return
    tail = element.tail
    if tail:
        prev = element.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(element)


def strip_invisible(root: etree._Element) -> None:
    """Remove scripts, styles and elements hidden with inline CSS (where clones hide spam)."""
    for el in list(root.iter(*_INVISIBLE)):
        remove(el)
    for el in root.xpath(".//*[@style]"):
        if _HIDDEN.search(el.get("style")):
            remove(el)
    for el in list(root.iter(etree.Comment)):
        remove(el)


def clean_line(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def text_of(element: etree._Element | None) -> str:
    """An element's text on one line."""
    if element is None:
        return ""
    return clean_line(" ".join(element.itertext()))


def lines_of(root: etree._Element) -> list[str]:
    """The text of an element as lines, one per block (paragraph, cell, line break)."""
    lines: list[str] = []
    current: list[str] = []

    def flush() -> None:
        line = clean_line("".join(current))
        if line:
            lines.append(line)
        current.clear()

    def walk(el: etree._Element) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        block = tag.lower() in BLOCK_TAGS
        if block:
            flush()
        if el.text and tag:
            current.append(el.text)
        for child in el:
            walk(child)
            if child.tail:
                current.append(child.tail)
        if block:
            flush()

    walk(root)
    flush()
    return lines


def trafilatura_lines(markup: str, url: str | None = None) -> list[str]:
    """trafilatura's reading of a page (or a fragment) as cleaned lines; [] where it finds none."""
    if not _MARKUP.sub("", markup).strip():
        return []  # nothing to read (trafilatura would log errors about an empty tree)
    text = trafilatura.extract(markup, url=url, favor_recall=True, include_comments=False,
                               include_tables=True, deduplicate=False) or ""
    lines = [re.sub(r"\s+", " ", ln).strip() for ln in text.splitlines()]
    return [ln for ln in lines if ln]
