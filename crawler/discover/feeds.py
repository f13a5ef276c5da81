"""RSS and Atom feeds: the items a feed lists, with their dates (feedparser reads the formats)."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import date
from urllib.parse import urljoin

import feedparser

from crawler.discover.dates import parse_day

FEED_TYPES = re.compile(r"application/(?:rss|atom|rdf)\+xml|text/xml", re.I)
# `<a href>` targets that name a feed: /rss.xml, /feed/, /atom.xml, /index.rss, ?format=rss.
FEED_HREF = re.compile(r"(?:^|/)(?:rss|feed|atom)(?:\.xml|\.rss|/)?$|\.(?:rss|atom)$|[?&](?:format|type)=(?:rss|atom)\b",
                       re.I)


@dataclass(frozen=True)
class FeedEntry:
    url: str
    published: date | None
    title: str | None = None


def _entry_day(entry: feedparser.FeedParserDict) -> date | None:
    for key in ("published", "updated", "created"):
        day = parse_day(entry.get(key))
        if day:
            return day
    for key in ("published_parsed", "updated_parsed"):
        parsed = entry.get(key)
        if isinstance(parsed, time.struct_time):
            return date(parsed.tm_year, parsed.tm_mon, parsed.tm_mday)
    return None


def feed_entries(body: bytes, base_url: str) -> list[FeedEntry] | None:
    """The items of an RSS or Atom feed, links made absolute; None when `body` is no feed."""
    parsed = feedparser.parse(body, response_headers={"content-location": base_url})
    if not parsed.get("version") and not parsed.entries:
        return None
    entries = []
    for entry in parsed.entries:
        link = entry.get("link") or next(
            (ln.get("href") for ln in entry.get("links", []) if ln.get("rel", "alternate") == "alternate"), None)
        if link:
            entries.append(FeedEntry(urljoin(base_url, link.strip()), _entry_day(entry), entry.get("title")))
    return entries


def is_feed_link(href: str, type_: str | None = None) -> bool:
    """A `<link rel="alternate">` of a feed type, or an `<a href>` that names a feed."""
    if type_:
        return FEED_TYPES.search(type_) is not None
    return FEED_HREF.search(href.split("#")[0]) is not None
