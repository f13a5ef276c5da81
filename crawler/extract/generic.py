"""Extraction for pages of no known site: trafilatura for the body, our field readers around it."""

from __future__ import annotations

import re

import trafilatura

from crawler.extract.cleanup import take_furniture
from crawler.extract.fields import dateline_source, find_datetime, find_editors, find_source
from crawler.extract.html import parse, text_of

_TITLE_SUFFIX = re.compile(r"\s*[-_|｜–—]+\s*[^-_|｜–—]{1,30}$")


def _title(doc) -> str | None:  # noqa: ANN001 - an lxml document
    for css in ("meta[property='og:title']", "h1"):
        found = doc.cssselect(css)
        if found:
            value = found[0].get("content") if css.startswith("meta") else text_of(found[0])
            if value and value.strip():
                return value.strip()
    found = doc.cssselect("title")
    if found and text_of(found[0]):
        return _TITLE_SUFFIX.sub("", text_of(found[0])) or text_of(found[0])
    return None


def extract_generic(text: str, url: str) -> dict:
    doc = parse(text)
    title = _title(doc)
    body = trafilatura.extract(text, url=url, favor_recall=True, include_comments=False,
                               include_tables=False, deduplicate=False) or ""
    lines = [re.sub(r"\s+", " ", ln).strip() for ln in body.splitlines()]
    furniture = take_furniture([ln for ln in lines if ln], title=title)
    page_text = text_of(doc.find("body") if doc.find("body") is not None else doc)
    # The date printed near the title, else the first date on the page.
    head = page_text
    if title and title in page_text:
        head = page_text[page_text.index(title):]
    published = find_datetime(head[:600]) or find_datetime(page_text)
    source = furniture.source or find_source(head[:600]) or (
        dateline_source(furniture.lines[0]) if furniture.lines else None)
    return {
        "title": title,
        "subtitle": "\n".join(furniture.subtitle) or None,
        "published": published,
        "authors": furniture.authors,
        "editors": furniture.editors or find_editors(head[:600]),
        "source": source,
        "section": [],
        "body": "\n".join(furniture.lines),
        "images": [],
        "dropped": furniture.dropped,
    }
