"""Extract an article with a site's declared template."""

from __future__ import annotations

import copy
import re
from datetime import datetime

from lxml import etree

from crawler.extract.cleanup import Furniture, take_furniture
from crawler.extract.fields import (
    SHANGHAI,
    clean_name_tokens,
    dateline_source,
    find_datetime,
    find_editors,
)
from crawler.extract.frontmatter import split_front_matter
from crawler.extract.html import (
    lines_of,
    parse,
    remove,
    strip_invisible,
    text_of,
    trafilatura_lines,
)
from crawler.sites.base import Pick, Site, Template
from crawler.urls import absolute, unwrap_proxy

# Alt texts that say "a picture" and nothing about it.
_EMPTY_ALT = re.compile(r"^(?:图片|圖片|image|img|photo|pic|\d+|[\W_]*)$", re.I)
_CRUMB_SKIP = re.compile(r"位置|首页|首頁|正文|^主页$|^home$", re.I)


def choose_template(site: Site, doc: etree._Element | None, url: str) -> Template | None:
    """The template for this page: by the date in its URL, else by the elements it has."""
    day = site.date_in_url(url)
    candidates = [t for t in site.templates if t.valid_on(day)] or list(site.templates)
    for template in candidates:
        if template.front_matter or (doc is not None and doc.cssselect(template.body)):
            return template
    return None


def _pick(doc: etree._Element, pick: Pick | None) -> str | None:
    if pick is None:
        return None
    found = doc.cssselect(pick.css)
    return pick.find(text_of(found[0])) if found else None


def body_lines(container: etree._Element) -> list[str]:
    """The text of the (cleaned) body element as paragraphs: trafilatura's reading, or ours
    where trafilatura finds nothing (it skips very short texts)."""
    markup = etree.tostring(container, encoding="unicode", method="html")
    lines = trafilatura_lines(f"<html><body><article>{markup}</article></body></html>")
    own = lines_of(container)
    # trafilatura may drop a trailing short line (a byline): keep ours when it has more text.
    if not lines or sum(map(len, own)) > sum(map(len, lines)) * 1.05:
        return own
    return lines


def take_images(container: etree._Element, url: str, template: Template) -> list[dict]:
    """Photos in the body with their captions; caption elements leave the body."""
    images: list[dict] = []
    by_element: dict[etree._Element, dict] = {}
    caption_elements = set(container.cssselect(template.captions)) if template.captions else set()
    for el in list(container.iter()):
        if not isinstance(el.tag, str):
            continue
        if el.tag == "img":
            src = el.get("data-original") or el.get("data-src") or el.get("src")
            link = absolute(url, src)
            if not link:
                continue
            alt = (el.get("alt") or "").strip()
            image = {"url": unwrap_proxy(link), "caption": None if _EMPTY_ALT.match(alt) else alt}
            images.append(image)
            by_element[el] = image
        elif el in caption_elements:
            caption = text_of(el)
            if images and caption:
                images[-1]["caption"] = caption
            remove(el)
    if template.caption_after_image:
        for img_el, image in by_element.items():
            block = img_el.getparent()
            if block is None or text_of(block):
                continue
            nxt = block.getnext()
            style = f"{nxt.get('align', '')} {nxt.get('style', '')}" if nxt is not None else ""
            if nxt is not None and "center" in style and 0 < len(text_of(nxt)) <= 80 and not nxt.findall(".//img"):
                image["caption"] = text_of(nxt)
                remove(nxt)
    # One entry per photo, the first caption kept.
    unique: dict[str, dict] = {}
    for image in images:
        kept = unique.setdefault(image["url"], image)
        if not kept["caption"] and image["caption"]:
            kept["caption"] = image["caption"]
    return list(unique.values())


def breadcrumbs(doc: etree._Element, css: str | None, title: str | None) -> list[str]:
    if not css:
        return []
    found = doc.cssselect(css)
    if not found:
        return []
    parts = re.split(r"\s*(?:>>|&gt;|>|＞|»|›|/)\s*", text_of(found[0]))
    out = []
    for part in parts:
        part = re.sub(r"^.*?[:：]\s*", "", part) if "位置" in part else part
        part = part.strip()
        if part and not _CRUMB_SKIP.search(part) and part != title:
            out.append(part)
    return out


def _title(doc: etree._Element, meta: dict, template: Template) -> str | None:
    title = meta.get("title") or (text_of(doc.cssselect(template.title)[0])
                                  if template.title and doc.cssselect(template.title) else None)
    return str(title).strip() if title else None


def _subtitle(doc: etree._Element, template: Template, furniture: Furniture) -> str | None:
    kickers = [text_of(el) for css in template.subtitle for el in doc.cssselect(css)]
    return "\n".join([*kickers, *furniture.subtitle]) or None


def _lead_images(meta: dict, url: str, images: list[dict]) -> list[dict]:
    """The front matter's head image and thumbnail, first, where the body does not show them."""
    leads: list[dict] = []
    for key in ("headimg", "thumbnail"):
        lead = absolute(url, meta.get(key)) if meta.get(key) else None
        if lead and not any(i["url"] == unwrap_proxy(lead) for i in [*leads, *images]):
            leads.append({"url": unwrap_proxy(lead), "caption": None})
    return leads[::-1]


def _published(doc: etree._Element, meta: dict, url: str, site: Site, template: Template) -> str | None:
    """The front matter's date, else the template's date element, else the date in the URL."""
    published = None
    if meta.get("date"):
        value = meta["date"]
        if isinstance(value, datetime):
            value = value if value.tzinfo else value.replace(tzinfo=SHANGHAI)
            published = value.isoformat()
        else:
            published = find_datetime(str(value))
    published = published or find_datetime(_pick(doc, template.published) or "")
    if not published and (day := site.date_in_url(url)):
        published = day.isoformat()
    return published


def _authors(doc: etree._Element, site: Site, template: Template, furniture: Furniture) -> list[str]:
    byline = clean_name_tokens(_pick(doc, template.authors) or "", site.outlets) if template.authors else []
    return list(dict.fromkeys(byline + furniture.authors))


def _editors(doc: etree._Element, template: Template, furniture: Furniture) -> list[str]:
    text = _pick(doc, template.editors) if template.editors else None
    return list(dict.fromkeys((find_editors(text) if text else []) + furniture.editors))


def _source(doc: etree._Element, meta: dict, site: Site, template: Template, furniture: Furniture) -> str | None:
    """A `来源` line in the body, the front matter's author, the template's source element, a
    dateline (`本报讯`), else the site's own name."""
    return (furniture.source or (str(meta["author"]) if meta.get("author") else None)
            or _pick(doc, template.source)
            or (dateline_source(furniture.lines[0]) if furniture.lines else None)
            or site.source)


def _section(doc: etree._Element, meta: dict, template: Template, title: str | None) -> list[str]:
    return [str(c) for c in meta.get("categories") or []] or breadcrumbs(doc, template.section, title)


def apply_template(text: str, url: str, site: Site, template: Template,
                   doc: etree._Element | None = None) -> dict:
    """The article's fields, as this template reads them, plus `dropped` furniture. `doc`: the
    page's `parse`, made by the caller (left as it is: the body is read from a copy)."""
    meta: dict = {}
    if template.front_matter:
        split = split_front_matter(text)
        if split is None:
            return {"body": "", "dropped": []}
        meta, text = split
        doc = None  # what is read is the page after its front matter
    doc = parse(text) if doc is None else doc
    found = doc.cssselect(template.body)
    if not found:
        return {"body": "", "dropped": []}
    container = copy.deepcopy(found[0])
    strip_invisible(container)
    for css in template.drop:
        for el in container.cssselect(css):
            remove(el)

    title = _title(doc, meta, template)
    images = take_images(container, url, template)  # before the body is read: captions leave it
    furniture = take_furniture(body_lines(container), title=title, outlets=site.outlets,
                               cut_from=template.cut_from)
    return {
        "title": title,
        "subtitle": _subtitle(doc, template, furniture),
        "published": _published(doc, meta, url, site, template),
        "authors": _authors(doc, site, template, furniture),
        "editors": _editors(doc, template, furniture),
        "source": _source(doc, meta, site, template, furniture),
        "section": _section(doc, meta, template, title),
        "body": "\n".join(furniture.lines),
        "images": [*_lead_images(meta, url, images), *images],
        "dropped": furniture.dropped,
    }
