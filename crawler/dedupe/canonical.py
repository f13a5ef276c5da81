"""Which copy of a story is its canonical record: the rule, by evidence, not by arrival.

`choose` ranks a cluster's copies by these criteria, in this order; the first that tells two
copies apart decides between them:

1. `named_source`: the copy is on the outlet the copies name as their source (`source`), or
   failing that `source_site`: on a site a site spider declares (not a republisher crawled
   with `generic`);
2. `no_repair`: it needed no script conversion, no pinyin removal and no mojibake repair
   (the record's `normalization` counts, and no mojibake left flagged);
3. `no_spam`: no keyword spam was cut from it (or is left in it);
4. `earliest_published`: the earliest publication day (China time; a copy with no date last);
5. `complete`: its body is whole: at least `COMPLETE` of the longest copy's text (a truncated
   copy loses; captions or a kicker more or less do not count);
6. `first_seen`: filed first.

The choice depends on the set of copies only, never on the order they arrived in, so a cluster
re-pointed when a better copy arrives ends where any other crawl order would have put it.
Pure: no store, no Scrapy. The evidence of each copy is kept in the state store.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone

from crawler.dedupe.text import canonical_text
from crawler.sites.base import Site
from crawler.text import is_spam

COMPLETE = 0.8  # share of the longest copy's text below which a copy counts as truncated
CRITERIA = ("named_source", "source_site", "no_repair", "no_spam", "earliest_published", "complete",
            "first_seen")
REPAIRS = ("chars_converted", "pinyin_removed", "mojibake_repaired")
_CHINA = timezone(timedelta(hours=8))


@dataclass(frozen=True)
class Evidence:
    """What the rule knows of one copy (kept per filed article, so later runs can compare)."""

    source_site: bool = False  # on a declared site (a site spider's), not a republisher
    names: tuple[str, ...] = ()  # the outlet names the copy's site goes by
    source: str | None = None  # the outlet the copy names as its source
    repairs: int = 0  # characters converted, pinyin readings removed, mojibake repaired or flagged
    spam: int = 0  # spam lines cut from it, or left in its body
    published: str | None = None  # publication day, YYYY-MM-DD in China time
    length: int | None = None  # characters of canonical text (None: unknown, counts as whole)

    def as_dict(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: Mapping | None) -> Evidence:
        if not data:
            return cls()
        fields = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        if "names" in fields:
            fields["names"] = tuple(fields["names"] or ())
        return cls(**fields)


@dataclass(frozen=True)
class Copy:
    """A filed copy as the rule sees it: `seq` is the order it was filed in (first: lowest)."""

    seq: int
    record_id: str
    evidence: Evidence


def publication_day(published: str | None) -> str | None:
    """The day (YYYY-MM-DD) of an ISO 8601 date or date-time; an offset is read as China time."""
    if not published:
        return None
    try:
        moment = datetime.fromisoformat(published)
    except ValueError:
        return published[:10] if len(published) >= 10 and published[4] == "-" else None
    if moment.tzinfo is not None:
        moment = moment.astimezone(_CHINA)
    return moment.date().isoformat()


def site_names(site: Site | None) -> tuple[str, ...]:
    """The names a declared site goes by: its label (`市场星报、安徽财经网` is two), its source."""
    if site is None:
        return ()
    names = [*site.label.split("、"), site.source or ""]
    return tuple(dict.fromkeys(n.strip() for n in names if n and n.strip()))


def evidence_of(record: Mapping, site: Site | None = None) -> Evidence:
    """A normalized article record's evidence; `site`: the declared site it was crawled from."""
    norm = record.get("normalization") or {}
    repairs = sum(int(norm.get(key) or 0) for key in REPAIRS)
    repairs += sum(1 for flag in norm.get("flags") or () if flag.startswith("mojibake"))
    body = record.get("body") or ""
    spam = int((norm.get("lines_cut") or {}).get("spam", 0)) + sum(map(is_spam, body.splitlines()))
    return Evidence(source_site=site is not None, names=site_names(site), source=record.get("source") or None,
                    repairs=repairs, spam=spam, published=publication_day(record.get("published")),
                    length=len(canonical_text(body)))


def _names_match(name: str, named: set[str]) -> bool:
    return any(name == n or (len(name) >= 2 and name in n) or (len(n) >= 2 and n in name) for n in named)


def _ranks(copies: Sequence[Copy]) -> dict[str, tuple]:
    """Each copy's rank, criterion by criterion (lower is better), in the order of CRITERIA."""
    named = {c.evidence.source.strip() for c in copies if c.evidence.source and c.evidence.source.strip()}
    longest = max((c.evidence.length or 0 for c in copies), default=0)
    ranks = {}
    for c in copies:
        e = c.evidence
        is_named = any(_names_match(n, named) for n in e.names)
        whole = e.length is None or e.length >= COMPLETE * longest
        ranks[c.record_id] = (not is_named, not e.source_site, e.repairs > 0, e.spam > 0,
                              e.published or "9999-99-99", not whole, c.seq)
    return ranks


def choose(copies: Sequence[Copy]) -> tuple[str, list[str]]:
    """The canonical copy's record id, and why it beats the others: for each other copy, the
    criterion that decided between them (in the order of CRITERIA; `only_copy` when alone)."""
    if not copies:
        raise ValueError("a cluster has at least one copy")
    ranks = _ranks(copies)
    best = min(ranks, key=ranks.__getitem__)
    because = set()
    for record_id, rank in ranks.items():
        if record_id != best:
            because.add(next(i for i, (a, b) in enumerate(zip(ranks[best], rank, strict=True)) if a != b))
    return best, [CRITERIA[i] for i in sorted(because)] or ["only_copy"]
