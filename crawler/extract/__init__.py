"""Article extraction: one page in, the article's fields out. Pure: no Scrapy.

    >>> from crawler.extract import extract_article
    >>> fields = extract_article(page_bytes, "http://www.huainannet.com/zt_content.asp?id=106231")

Pages of a known site (`crawler.sites`) are read with that site's template for the period the
page belongs to; other pages, and pages whose site template no longer matches, generically.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from crawler.extract.decode import Decoded, decode_html
from crawler.extract.generic import extract_generic
from crawler.extract.html import Outlinks, outlinks_of, parse
from crawler.extract.template import apply_template, choose_template
from crawler.record import EXTRACTED_FIELDS, LIST_FIELDS
from crawler.sites import Site, site_for_url
from crawler.text import HAN_CLASS

EMPTY = "empty"  # the method of a page with no text at all (an empty or blank body)


def looks_like_prose(body: str) -> bool:
    """At least one sentence: enough words, and a sentence end (。！？ or .!?)."""
    words = re.findall(rf"{HAN_CLASS}|[A-Za-z0-9]+", body)
    return len(words) >= 20 and re.search(r"[。！？!?.…]", body) is not None


@dataclass
class Extraction:
    """The fields, and how they were found (for logs and crawl stats)."""

    fields: dict
    site: str | None
    method: str  # the template's name, "generic", or EMPTY
    decoded: Decoded
    dropped: list[tuple[str, str]] = field(default_factory=list)  # (reason, line) cut from the body
    page: dict = field(default_factory=dict)  # generic extraction's article-or-listing signals
    outlinks: Outlinks | None = None  # what the page links to (None: a page with no text)

    @property
    def has_body(self) -> bool:
        return bool(self.fields.get("body", "").strip())


def extract(html: str | bytes, url: str, *, content_type: str | bytes | None = None,
            site: Site | None = None) -> Extraction:
    """Extract an article page; `content_type` is the HTTP header, when the page came over HTTP,
    `site` the site's declaration when the caller knows it better than the URL does."""
    decoded = decode_html(html, content_type)
    site = site or site_for_url(url)
    if not decoded.text.strip():  # an empty page: nothing to read
        return Extraction(_empty_fields(), site.name if site else None, EMPTY, decoded)
    raw: dict | None = None
    method = "generic"
    doc = parse(decoded.text)  # the one parse of the page: a template reads it, the generic reading strips it
    outlinks = outlinks_of(doc, decoded.text)
    if site is not None:
        template = choose_template(site, doc, url)
        if template is not None:
            raw = apply_template(decoded.text, url, site, template, doc)
            method = template.name
            if not raw.get("body"):
                raw = None
    if raw is None:
        raw = extract_generic(decoded.text, url, doc)
        method = "generic" if site is None else "generic-fallback"
        if not looks_like_prose(raw.get("body") or ""):
            # Navigation, an error page, a stub: not an article, however the page is laid out.
            raw["dropped"] = [*raw.get("dropped", []), *(("not_prose", ln) for ln in raw["body"].splitlines())]
            raw["body"] = ""
    dropped = raw.pop("dropped", [])
    page = raw.pop("page", {})
    return Extraction(_empty_fields(raw), site.name if site else None, method, decoded, dropped, page, outlinks)


def _empty_fields(raw: dict | None = None) -> dict:
    """The record's extracted fields from `raw`, every one present (lists empty, body a string)."""
    raw = raw or {}
    fields = {key: raw.get(key) for key in EXTRACTED_FIELDS if key != "original"}
    for key in LIST_FIELDS:
        fields[key] = fields.get(key) or []
    fields["body"] = fields.get("body") or ""
    fields["original"] = {"title": fields["title"], "body": fields["body"]}
    return fields


def extract_article(html: str | bytes, url: str, *, content_type: str | bytes | None = None) -> dict:
    """One article page in, the article's fields out (the record's keys, without crawl-time ones)."""
    return extract(html, url, content_type=content_type).fields


__all__ = ["EMPTY", "Extraction", "extract", "extract_article"]
