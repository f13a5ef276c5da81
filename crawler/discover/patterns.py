"""What a crawl of an unknown site learned, as a site declaration: the URL patterns of the
pages it found to be articles and listings, printed as a `Site(...)` to paste into
`crawler/sites/<site>.py`.

A URL's pattern is its path (and query parameter names) with every run of digits made `\\d+`;
patterns that differ in one path segment only, with `MERGE_AT` or more spellings of it,
become one with `[^/]+` there (`/news/shms/...`, `/news/gnxw/...` → `/news/[^/]+/...`).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from urllib.parse import parse_qsl, urlsplit

MERGE_AT = 3
_DIGITS = re.compile(r"\d+")
_URL_DATE = r"/(?P<y>(?:19|20)\d\d)[-/_]?(?P<m>0[1-9]|1[0-2])[-/_]?(?P<d>0[1-9]|[12]\d|3[01])(?!\d)"


def _segment(text: str) -> str:
    return r"\d+".join(re.escape(part).replace("\\-", "-") for part in _DIGITS.split(text))


def url_pattern(url: str) -> str:
    """The regex (on path and query, as `Site.articles` are) of URLs shaped like `url`."""
    parts = urlsplit(url)
    path = "/".join(_segment(s) for s in (parts.path or "/").split("/"))
    if not parts.query:
        return f"^{path}$"
    names = list(dict.fromkeys(k for k, _ in parse_qsl(parts.query, keep_blank_values=True)))
    values = dict(parse_qsl(parts.query, keep_blank_values=True))
    query = "&".join(f"{re.escape(k)}=" + (r"\d+" if values[k].isdigit() else "[^&]*") for k in names)
    return f"^{path}\\?{query}$"


def _merged(patterns: Counter) -> Counter:
    """Patterns that differ in one path segment, `MERGE_AT` or more ways, as one."""
    groups: dict[tuple[int, tuple[str, ...]], set[str]] = defaultdict(set)
    for pattern in patterns:
        segments = pattern.split("/")
        for i in range(1, len(segments) - 1):  # not the last: that is the page itself
            groups[(i, tuple(segments[:i] + ["*"] + segments[i + 1:]))].add(pattern)
    out = Counter(patterns)
    for (_, key), members in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        members = {m for m in members if m in out}
        if len(members) < MERGE_AT:
            continue
        merged = "/".join(s if s != "*" else "[^/]+" for s in key)
        out[merged] += sum(out.pop(m) for m in members)
    return out


class PatternLearner:
    """How many of the URLs a crawl found to be articles and listings have each pattern (not
    the URLs themselves: a long crawl's learner stays small), with the first URL of each."""

    def __init__(self) -> None:
        self.counts: dict[str, Counter] = {"article": Counter(), "listing": Counter()}
        self.examples: dict[str, dict[str, str]] = {"article": {}, "listing": {}}  # pattern: first URL
        self.dated = 0  # article URLs with a date in their path
        self._patterns: dict[str, tuple[int, list[tuple[str, int]]]] = {}

    def add(self, url: str, kind: str) -> None:
        if kind not in self.counts:
            return
        pattern = url_pattern(url)
        self.counts[kind][pattern] += 1
        self.examples[kind].setdefault(pattern, url)
        if kind == "article" and re.search(_URL_DATE, urlsplit(url).path):
            self.dated += 1

    def total(self, kind: str) -> int:
        return self.counts[kind].total()

    def patterns(self, kind: str) -> list[tuple[str, int]]:
        """(regex, how many of the URLs it covers), most first."""
        known, found = self._patterns.get(kind, (-1, []))
        if known != self.total(kind):  # worked out again only when a URL was added
            counts = _merged(self.counts[kind])
            found = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
            self._patterns[kind] = (self.total(kind), found)
        return found

    def looks_like(self, url: str, kind: str, *, support: int = 2) -> bool:
        """`url` fits a pattern that `support` or more URLs of `kind` share."""
        target = _target(url)
        return any(n >= support and re.search(p, target) for p, n in self.patterns(kind))

    def url_date(self) -> str | None:
        """The date regex of article URLs, where most of them carry one."""
        return _URL_DATE if self.dated * 2 > self.total("article") > 0 else None


def _target(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _raw(regex: str) -> str:
    """A regex as a raw string literal where it can be one."""
    return f"r'{regex}'" if "'" not in regex and not regex.endswith("\\") else repr(regex)


def _tuple(values: list[str]) -> str:
    if not values:
        return "()"
    return "(" + "".join(f"\n        {_raw(v)}," for v in values) + "\n    )"


def site_declaration(learner: PatternLearner, *, name: str, label: str, hosts: list[str],
                     start_urls: list[str]) -> str:
    """Python source of a `Site(...)` for what the crawl found (for `crawler/sites/<name>.py`)."""
    articles = learner.patterns("article")
    # A listing pattern that takes in an article's shape is no listing pattern: each article
    # pattern's first URL stands for its URLs (they differ in digits and query values only).
    listings = [(p, n) for p, n in learner.patterns("listing")
                if not any(re.search(p, _target(u)) for u in learner.examples["article"].values())]
    lines = [
        f"# Learned by a generic crawl of {', '.join(start_urls)}: {learner.total('article')} "
        f"articles, {learner.total('listing')} listings.",
        "# Patterns with the number of pages each covered; add a Template (see crawler/sites/) for",
        "# this site's layout, else its pages are read by generic extraction.",
        "from crawler.sites.base import Site",
        "",
        f"{name.upper()} = Site(",
        f"    name={name!r},",
        f"    label={label!r},",
        f"    hosts={tuple(hosts)!r},",
        f"    start_urls={tuple(start_urls)!r},",
        f"    articles={_tuple([p for p, _ in articles])},",
        f"    listings={_tuple([p for p, _ in listings])},",
        "    templates=(),",
    ]
    if learner.url_date():
        lines.append(f"    url_date={_raw(learner.url_date())},")
    lines.append(")")
    counts = [f"#   article {p}: {n}" for p, n in articles] + [f"#   listing {p}: {n}" for p, n in listings]
    return "\n".join(lines[:3] + counts + lines[3:]) + "\n"
