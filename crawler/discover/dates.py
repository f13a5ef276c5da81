"""The day a feed or sitemap gives for an item, as the publisher wrote it."""

from __future__ import annotations

import re
from datetime import date, datetime
from email.utils import parsedate_to_datetime

_ISO_DAY = re.compile(r"^\s*((?:19|20)\d\d)-(\d\d)-(\d\d)")


def parse_day(text: str | None) -> date | None:
    """The calendar day of a W3C date (`2020-02-18`, `2020-02-18T08:00:00+08:00`, sitemaps and
    Atom) or an RFC 822 date (`Tue, 18 Feb 2020 08:00:00 +0800`, RSS), in the publisher's own
    time zone (a Chinese site's midnight story stays on its day); None where there is none."""
    if not text or not text.strip():
        return None
    match = _ISO_DAY.match(text)
    if match:
        try:
            return date(*map(int, match.groups()))
        except ValueError:
            return None
    try:
        return parsedate_to_datetime(text.strip()).date()
    except (TypeError, ValueError, IndexError):
        pass
    try:
        return datetime.fromisoformat(text.strip()).date()
    except ValueError:
        return None
