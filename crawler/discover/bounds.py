"""How far a crawl of an unknown site goes: what keeps it finite, each limit counted when hit.

`Bounds.refuse(url, level)` says why a URL is not to be requested (or None, and counts it):

- `deny`: it matches a deny pattern (the user's, and by default logins, searches, print and
  share views, which a site links from every page);
- `depth`: it is more than `depth` links from the start URL (a feed's or a sitemap's items
  are at level 0);
- `max_pages`: `max_pages` requests (pages, feeds and sitemaps) were made already;
- `calendar`: it carries a date after tomorrow (an events calendar's "next month" goes on
  for ever); `since`: with `since`, a date before that day;
- `query`: its path was already asked with `max_query_sets` different sets of query
  parameters (sort, filter, view orders: `?a=1&b=2` and `?b=2&c=3` are two sets), or with
  `max_query_values` queries of the same set;
- `repeats`: a path segment repeats `max_repeats` times or more (`/a/b/a/b/a/b`, relative links
  resolved against the wrong base), or the URL is longer than `max_length`.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import parse_qsl, urlsplit

DEFAULT_DENY = (
    r"(?:^|[/?&._-])(?:login|logout|signin|signup|register|passport|search|print|share)(?:$|[/?&=._-])",
    r"[?&](?:replytocom|sessionid|sid|PHPSESSID|jsessionid)=",
)

# Dates a URL carries: `/2020/02/18/`, `2020-02-18`, `20200218`, `?date=2020-02`, `?month=202002`.
_DATE = re.compile(r"(?<!\d)((?:19|20)\d\d)[-/_.]?(0[1-9]|1[0-2])(?:[-/_.]?(0[1-9]|[12]\d|3[01]))?(?!\d)")


def url_day(url: str) -> date | None:
    """The day (or the month's first day) a URL's path or query names, if any."""
    parts = urlsplit(url)
    match = _DATE.search(parts.path) or _DATE.search(parts.query)
    if not match:
        return None
    y, m, d = match.groups()
    try:
        return date(int(y), int(m), int(d or 1))
    except ValueError:
        return None


@dataclass
class Bounds:
    depth: int = 4
    max_pages: int = 1000
    deny: tuple[str, ...] = DEFAULT_DENY
    since: date | None = None
    max_query_sets: int = 5
    max_query_values: int = 500
    max_repeats: int = 3
    max_length: int = 400
    today: date = field(default_factory=date.today)
    requested: int = 0
    refused: Counter = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self._deny = [re.compile(p, re.I) for p in self.deny]
        self._query_sets: dict[str, set[tuple[str, ...]]] = defaultdict(set)
        self._query_values: dict[tuple[str, tuple[str, ...]], set[str]] = defaultdict(set)

    def refuse(self, url: str, level: int) -> str | None:
        """Why `url`, `level` links from the start, is not to be requested; None: request it
        (it is counted against `max_pages`)."""
        reason = self._reason(url, level)
        if reason:
            self.refused[reason] += 1
            return reason
        self.requested += 1
        return None

    def too_old(self, day: date | None) -> bool:
        return bool(self.since and day and day < self.since)

    def _reason(self, url: str, level: int) -> str | None:
        parts = urlsplit(url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        if any(p.search(target) for p in self._deny):
            return "deny"
        if level > self.depth:
            return "depth"
        if len(url) > self.max_length or self._repeats(parts.path):
            return "repeats"
        day = url_day(url)
        if day and day > self.today + timedelta(days=1):
            return "calendar"
        if self.too_old(day):
            return "since"
        if parts.query and not self._query_fits(parts.path, parts.query):
            return "query"
        if self.requested >= self.max_pages:
            return "max_pages"
        return None

    def _repeats(self, path: str) -> bool:
        counts = Counter(s for s in path.split("/") if s)
        return bool(counts) and max(counts.values()) >= self.max_repeats

    def _query_fits(self, path: str, query: str) -> bool:
        names = tuple(sorted({k for k, _ in parse_qsl(query, keep_blank_values=True)}))
        sets = self._query_sets[path]
        if names not in sets and len(sets) >= self.max_query_sets:
            return False
        values = self._query_values[(path, names)]
        if query not in values and len(values) >= self.max_query_values:
            return False
        sets.add(names)
        values.add(query)
        return True
