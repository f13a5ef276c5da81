"""Scoring extraction against hand-made gold, in either of two layouts.

- A data set folder in the `zh-extraction-dev` layout: `original/<id>.html` (the page as saved),
  `cleaned/<id>.txt` (the body), `author/<id>.txt` (names separated by spaces, `UNKNOWN` where
  none) and `date/<id>.txt` (`UNKNOWN` where none).
- A folder of pages (`<id>.html`) with a folder of JSON gold records beside it, one per page
  (`<id>.json`): `{"title", "published" (ISO date or date-time, or null), "authors": [...],
  "editors": [...], "source", "body" (paragraphs separated by newlines), "kind" ("article",
  "forum" or "blog")}`. Pages without a record are not scored.

The scoring is the dev set's own: body by character-bigram F1 after folding both texts to one
form (NFKC, traditional to simplified, no white space), macro-averaged over pages; the date by
its year-month-day; authors (and editors) by set equality.

Shared by `scripts/score_extraction.py` and the tests, so both score the same way.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from crawler.text import converter

# Pages carry no URL in the data sets: a host no site template claims.
NEUTRAL_URL = "http://example.invalid/{id}.html"
_DATE = re.compile(r"((?:19|20)\d\d)(?:\s*[-/.年]\s*(\d{1,2})(?:\s*[-/.月]\s*(\d{1,2}))?)?")


def fold(text: str | None) -> str:
    """One form for comparing: NFKC, simplified script, no white space."""
    text = unicodedata.normalize("NFKC", text or "")
    return re.sub(r"\s+", "", converter("t2s").convert(text))


def bigram_f1(extracted: str | None, gold: str | None) -> float:
    """F1 of the character bigrams (a multiset) of the two folded texts."""
    a, b = fold(extracted), fold(gold)
    if not a or not b:
        return 1.0 if a == b else 0.0
    grams_a = Counter(a[i:i + 2] for i in range(max(1, len(a) - 1)))
    grams_b = Counter(b[i:i + 2] for i in range(max(1, len(b) - 1)))
    common = sum((grams_a & grams_b).values())
    if not common:
        return 0.0
    precision, recall = common / sum(grams_a.values()), common / sum(grams_b.values())
    return 2 * precision * recall / (precision + recall)


def is_unknown(gold: str | None) -> bool:
    """Gold that names nothing: empty, `UNKNOWN`, or a misspelling of it (`UNKNWON`)."""
    text = (gold or "").strip()
    return not text or text.upper().startswith("UNKN")


def date_parts(text: str | None) -> tuple[int, ...]:
    """(year, month, day) as far as `text` gives them, from its first date; () if none."""
    match = _DATE.search(text or "")
    if not match:
        return ()
    return tuple(int(g) for g in match.groups() if g is not None)


def date_right(extracted: str | None, gold: str) -> bool:
    """The extracted date agrees with the gold on every part the gold gives (year, month,
    day): a gold `1998-3` is matched by a March 1998 date."""
    want, got = date_parts(gold), date_parts(extracted)
    return bool(want) and got[: len(want)] == want


def author_set(names: Iterable[str]) -> frozenset[str]:
    return frozenset(f for f in (fold(n) for n in names) if f)


def gold_authors(gold: str) -> frozenset[str]:
    """The names of a dev-layout author file (space-separated, `UNKNOWN` for none)."""
    return frozenset() if is_unknown(gold) else author_set(gold.split())


@dataclass(frozen=True)
class Page:
    id: str
    html: bytes
    body: str
    authors: tuple[str, ...]  # () where the page names none
    date: str | None  # None where the page prints none
    editors: tuple[str, ...] | None = None  # None where the layout has no editors' gold
    title: str | None = None
    kind: str = "article"

    @property
    def url(self) -> str:
        return NEUTRAL_URL.format(id=self.id)

    @property
    def has_date(self) -> bool:
        return self.date is not None

    @property
    def has_authors(self) -> bool:
        return bool(author_set(self.authors))


def load_pages(folder: Path) -> list[Page]:
    """The pages of a folder in the dev set's layout, sorted by id."""
    folder = Path(folder)

    def gold(kind: str, page_id: str) -> str:
        path = folder / kind / f"{page_id}.txt"
        return path.read_text("utf-8-sig").strip() if path.exists() else ""

    pages = []
    for path in sorted((folder / "original").glob("*.html")):
        authors, date = gold("author", path.stem), gold("date", path.stem)
        pages.append(Page(path.stem, path.read_bytes(), gold("cleaned", path.stem),
                          authors=() if is_unknown(authors) else tuple(authors.split()),
                          date=None if is_unknown(date) else date))
    return pages


def load_json_gold(pages: Path, gold: Path) -> list[Page]:
    """The pages of `pages/<id>.html` that have a record `gold/<id>.json`, sorted by id."""
    found = []
    for path in sorted(Path(pages).glob("*.html")):
        record_path = Path(gold) / f"{path.stem}.json"
        if not record_path.exists():
            continue
        try:
            record = json.loads(record_path.read_text("utf-8"))
        except json.JSONDecodeError as exc:
            raise ValueError(f"{record_path}: not JSON ({exc})") from exc
        missing = {"body", "authors", "published"} - set(record)
        if missing:
            raise ValueError(f"{record_path}: no {', '.join(sorted(missing))}")
        found.append(Page(path.stem, path.read_bytes(), record["body"] or "",
                          authors=tuple(record["authors"] or ()),
                          date=record["published"] or None,
                          editors=tuple(record.get("editors") or ()),
                          title=record.get("title"), kind=record.get("kind") or "article"))
    return found


@dataclass(frozen=True)
class PageScore:
    id: str
    kind: str
    f1: float
    date: str | None
    date_ok: bool | None  # None where the gold has no date
    authors: tuple[str, ...]
    authors_ok: bool
    has_authors: bool  # the gold names authors
    editors_ok: bool | None  # None where the gold has no editors' field
    title_ok: bool | None  # None where the gold has no title
    empty: bool
    error: str | None = None
    editors: tuple[str, ...] = ()
    title: str | None = None

    @property
    def date_invented(self) -> bool:
        """A date where the page prints none."""
        return self.date_ok is None and bool(self.date)


def score_page(page: Page, body: str | None, date: str | None, authors: Iterable[str],
               error: str | None = None, *, editors: Iterable[str] | None = None,
               title: str | None = None) -> PageScore:
    authors = tuple(authors)
    editors = tuple(editors or ())
    return PageScore(
        id=page.id,
        kind=page.kind,
        f1=bigram_f1(body, page.body),
        date=date,
        date_ok=date_right(date, page.date) if page.has_date else None,
        authors=authors,
        authors_ok=author_set(authors) == author_set(page.authors),
        has_authors=page.has_authors,
        editors_ok=None if page.editors is None else author_set(editors) == author_set(page.editors),
        title_ok=None if not page.title else fold(title) == fold(page.title),
        empty=not (body or "").strip(),
        error=error,
        editors=editors,
        title=title,
    )


@dataclass(frozen=True)
class Summary:
    pages: int
    f1_macro: float
    below_half: int
    dates_right: int
    dates_known: int  # pages that print a date
    dates_invented: int  # a date given where the page prints none
    authors_right: int  # over all pages: the names, or none where the page names none
    authors_known: int  # pages that name authors
    authors_known_right: int
    editors_right: int
    editors_scored: int
    titles_right: int
    titles_scored: int
    crashes: int
    empty: int
    f1_by_kind: dict[str, tuple[int, float]]  # kind: (pages, macro F1)


def _macro(scores: list[PageScore]) -> float:
    return sum(s.f1 for s in scores) / len(scores) if scores else 0.0


def summarize(scores: list[PageScore]) -> Summary:
    dated = [s for s in scores if s.date_ok is not None]
    named = [s for s in scores if s.has_authors]
    edited = [s for s in scores if s.editors_ok is not None]
    titled = [s for s in scores if s.title_ok is not None]
    kinds = sorted({s.kind for s in scores})
    return Summary(
        pages=len(scores),
        f1_macro=_macro(scores),
        below_half=sum(s.f1 < 0.5 for s in scores),
        dates_right=sum(bool(s.date_ok) for s in dated),
        dates_known=len(dated),
        dates_invented=sum(s.date_invented for s in scores),
        authors_right=sum(s.authors_ok for s in scores),
        authors_known=len(named),
        authors_known_right=sum(s.authors_ok for s in named),
        editors_right=sum(bool(s.editors_ok) for s in edited),
        editors_scored=len(edited),
        titles_right=sum(bool(s.title_ok) for s in titled),
        titles_scored=len(titled),
        crashes=sum(s.error is not None for s in scores),
        empty=sum(s.empty for s in scores),
        f1_by_kind={k: (len(ks), _macro(ks)) for k in kinds
                    for ks in [[s for s in scores if s.kind == k]]},
    )
