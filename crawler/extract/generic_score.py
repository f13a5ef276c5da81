"""Scoring extraction against a hand-made data set (the `zh-extraction-dev` layout).

A data set folder holds `original/<id>.html` (the page as saved), `cleaned/<id>.txt` (the
body), `author/<id>.txt` (names separated by spaces, `UNKNOWN` where none) and `date/<id>.txt`
(`UNKNOWN` where none). The scoring is the data set's own: body by character-bigram F1 after
folding both texts to one form (NFKC, traditional to simplified, no white space), macro-averaged
over pages; the date by its year-month-day; authors by set equality.

Shared by `scripts/score_extraction.py` and the tests, so both score the same way.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from crawler.text import converter

# Pages carry no URL in the data set: a host no site template claims.
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
    return frozenset() if is_unknown(gold) else author_set(gold.split())


@dataclass(frozen=True)
class Page:
    id: str
    html: bytes
    body: str
    authors: str  # as in the gold file
    date: str

    @property
    def url(self) -> str:
        return NEUTRAL_URL.format(id=self.id)

    @property
    def has_date(self) -> bool:
        return not is_unknown(self.date)


def load_pages(folder: Path) -> list[Page]:
    """The pages of a data set folder, sorted by id."""
    folder = Path(folder)

    def gold(kind: str, page_id: str) -> str:
        path = folder / kind / f"{page_id}.txt"
        return path.read_text("utf-8-sig").strip() if path.exists() else ""

    return [Page(p.stem, p.read_bytes(), gold("cleaned", p.stem), gold("author", p.stem),
                 gold("date", p.stem))
            for p in sorted((folder / "original").glob("*.html"))]


@dataclass(frozen=True)
class PageScore:
    id: str
    f1: float
    date: str | None
    date_ok: bool | None  # None where the gold has no date
    authors: tuple[str, ...]
    authors_ok: bool
    empty: bool
    error: str | None = None


def score_page(page: Page, body: str | None, date: str | None, authors: Iterable[str],
               error: str | None = None) -> PageScore:
    authors = tuple(authors)
    return PageScore(
        id=page.id,
        f1=bigram_f1(body, page.body),
        date=date,
        date_ok=date_right(date, page.date) if page.has_date else None,
        authors=authors,
        authors_ok=author_set(authors) == gold_authors(page.authors),
        empty=not (body or "").strip(),
        error=error,
    )


@dataclass(frozen=True)
class Summary:
    pages: int
    f1_macro: float
    below_half: int
    dates_right: int
    dates_known: int
    authors_right: int
    crashes: int
    empty: int


def summarize(scores: list[PageScore]) -> Summary:
    dated = [s for s in scores if s.date_ok is not None]
    return Summary(
        pages=len(scores),
        f1_macro=sum(s.f1 for s in scores) / len(scores) if scores else 0.0,
        below_half=sum(s.f1 < 0.5 for s in scores),
        dates_right=sum(bool(s.date_ok) for s in dated),
        dates_known=len(dated),
        authors_right=sum(s.authors_ok for s in scores),
        crashes=sum(s.error is not None for s in scores),
        empty=sum(s.empty for s in scores),
    )
