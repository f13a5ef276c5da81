"""The article record: one definition of its fields, from which the Scrapy item, extraction,
validation and normalization take theirs.

One JSON object a line in the exports; `docs/architecture.md` describes each field.
"""

from __future__ import annotations

from typing import Any, TypedDict, get_origin, get_type_hints


class Image(TypedDict):
    url: str  # the original URL, proxy wrapper removed
    caption: str | None


class ArticleRecord(TypedDict):
    # set by the crawl
    id: str  # one per copy fetched: a story's copies are records of their own
    url: str
    canonical_url: str
    site: str
    fetched_at: str  # UTC, ISO 8601
    # set by extraction
    title: str | None
    subtitle: str | None
    published: str | None  # ISO 8601 with offset (Asia/Shanghai where the page gives local time)
    authors: list[str]
    editors: list[str]
    source: str | None  # the outlet the page names
    section: list[str]
    body: str
    images: list[Image]
    original: dict[str, Any]  # {title, body} as extracted, before normalization
    # set by the pipelines
    normalization: dict[str, Any]  # what normalization changed; lines_cut: what extraction cut, by reason
    dedupe: dict[str, Any]
    warc: dict[str, Any] | None  # the response record's locator


FIELDS: tuple[str, ...] = tuple(ArticleRecord.__annotations__)
CRAWL_FIELDS = ("id", "url", "canonical_url", "site", "fetched_at")
EXTRACTED_FIELDS = ("title", "subtitle", "published", "authors", "editors", "source", "section", "body",
                    "images", "original")
PIPELINE_FIELDS = ("normalization", "dedupe", "warc")
# Kinds of field, for the stages that treat them alike.
LIST_FIELDS = tuple(name for name, kind in get_type_hints(ArticleRecord).items() if get_origin(kind) is list)
TEXT_FIELDS = ("title", "subtitle", "body", "source")  # normalized as text
NAME_FIELDS = ("authors", "editors", "section")  # lists of short texts (names, breadcrumbs), normalized one by one

assert CRAWL_FIELDS + EXTRACTED_FIELDS + PIPELINE_FIELDS == FIELDS, "every field in exactly one group"
