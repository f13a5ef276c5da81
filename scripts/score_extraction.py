#!/usr/bin/env python
"""Score generic extraction on a data set: ours, trafilatura and GNE side by side.

    .venv/bin/python scripts/score_extraction.py ../shared/datasets/zh-extraction-dev [--verbose]
    .venv/bin/python scripts/score_extraction.py --gold tests/gold/zh-news-unlabelled \
        ../shared/datasets/zh-news-unlabelled/articles

The folder has the `zh-extraction-dev` layout (`original/`, `cleaned/`, `author/`, `date/`), or,
with `--gold DIR`, holds the pages (`<id>.html`) whose JSON gold records are in DIR (`<id>.json`);
the scoring is the dev set's (see tools/extraction_score.py). Every page is given to
each extractor as the same decoded text under a neutral URL of no known site, so trafilatura
and GNE are not handicapped by byte decoding (trafilatura's own garbles GBK pages).

GNE (PyPI `gne`, GeneralNewsExtractor) is a comparison only, not a dependency of the crawler:
where it is not installed its column is skipped with a message (`pip install gne`).
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crawler.extract import extract_article
from crawler.extract.decode import decode_html
from tools.extraction_score import (
    Page,
    PageScore,
    Summary,
    load_json_gold,
    load_pages,
    score_page,
    summarize,
)


@dataclass
class Result:
    body: str | None = None
    date: str | None = None
    authors: list[str] = field(default_factory=list)
    editors: list[str] | None = None  # None: the extractor does not look for editors
    title: str | None = None


# An extractor: page in, its fields out.
Runner = Callable[[Page], Result]


def run_ours(page: Page) -> Result:
    fields = extract_article(page.html, page.url)
    return Result(fields["body"], fields["published"], fields["authors"], fields["editors"],
                  fields["title"])


def run_trafilatura(page: Page) -> Result:
    import trafilatura

    doc = trafilatura.bare_extraction(decode_html(page.html).text, url=page.url,
                                      with_metadata=True)
    if doc is None:
        return Result()
    # trafilatura joins several authors with "; ".
    authors = [a.strip() for a in (doc.author or "").replace(";", ",").split(",") if a.strip()]
    return Result(doc.text, doc.date, authors, title=doc.title)


def gne_runner() -> Runner | None:
    try:
        from gne import GeneralNewsExtractor
    except ImportError:
        return None
    extractor = GeneralNewsExtractor()

    def run_gne(page: Page) -> Result:
        try:
            result = extractor.extract(decode_html(page.html).text)
        except Exception:  # GNE raises NoContentException and others: a zero
            return Result()
        return Result(result.get("content"), result.get("publish_time"),
                      (result.get("author") or "").split(), title=result.get("title"))

    return run_gne


def score(pages: list[Page], runner: Runner) -> tuple[list[PageScore], float, bool]:
    """Each page's score, the seconds taken, and whether the extractor reads editors."""
    scores = []
    reads_editors = False
    start = time.perf_counter()
    for page in pages:
        try:
            got = runner(page)
            reads_editors = reads_editors or got.editors is not None
            scores.append(score_page(page, got.body, got.date, got.authors,
                                     editors=got.editors, title=got.title))
        except Exception as exc:  # reported as a crash, not a zero
            traceback.print_exc()
            scores.append(score_page(page, None, None, [], error=repr(exc)))
    return scores, time.perf_counter() - start, reads_editors


def _ratio(right: int, of: int) -> str:
    return f"{right}/{of}" if of else "-"


def table(summaries: dict[str, Summary], seconds: dict[str, float],
          reads_editors: dict[str, bool]) -> str:
    names = list(summaries)
    values = list(summaries.values())
    rows = [("", *names)]

    def row(label: str, cell: Callable[[str, Summary], str]) -> None:
        rows.append((label, *(cell(n, s) for n, s in zip(names, values, strict=True))))

    row("body F1 (macro)", lambda n, s: f"{s.f1_macro:.3f}")
    kinds = values[0].f1_by_kind
    if len(kinds) > 1:
        for kind, (count, _) in kinds.items():
            row(f"  {kind} ({count})", lambda n, s, k=kind: f"{s.f1_by_kind[k][1]:.3f}")
    row("pages below 0.5", lambda n, s: str(s.below_half))
    row("dates right", lambda n, s: _ratio(s.dates_right, s.dates_known))
    row("  where none printed", lambda n, s: f"{s.dates_invented} given")
    row("authors right", lambda n, s: _ratio(s.authors_right, s.pages))
    row("  of pages naming one", lambda n, s: _ratio(s.authors_known_right, s.authors_known))
    if values[0].editors_scored:
        row("editors right", lambda n, s: _ratio(s.editors_right, s.editors_scored)
            if reads_editors[n] else "-")
    if values[0].titles_scored:
        row("titles right", lambda n, s: _ratio(s.titles_right, s.titles_scored))
    row("crashes", lambda n, s: str(s.crashes))
    row("empty bodies", lambda n, s: str(s.empty))
    row("seconds", lambda n, s: f"{seconds[n]:.1f}")
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(w) if i == 0 else cell.rjust(w)
                               for i, (cell, w) in enumerate(zip(row, widths, strict=True)))
                     for row in rows)


def details(pages: list[Page], results: dict[str, list[PageScore]]) -> str:
    lines = []
    names = list(results)
    for i, page in enumerate(pages):
        ours = results[names[0]][i]
        f1s = "  ".join(f"{n}={results[n][i].f1:.3f}" for n in names)
        flags = []
        if ours.f1 < 0.5:
            flags.append("BODY<0.5")
        if ours.date_ok is False:
            flags.append("DATE")
        elif ours.date_invented:
            flags.append("DATE(none printed)")
        if not ours.authors_ok:
            flags.append("AUTHORS")
        if ours.editors_ok is False:
            flags.append("EDITORS")
        if ours.title_ok is False:
            flags.append("TITLE")
        if ours.error:
            flags.append(f"CRASH {ours.error}")
        lines.append(f"{page.id}  {f1s}  {' '.join(flags)}")
        lines.append(f"    date    gold={page.date!r}  ours={ours.date!r}")
        lines.append(f"    authors gold={list(page.authors)!r}  ours={list(ours.authors)!r}")
        if page.editors is not None:
            lines.append(f"    editors gold={list(page.editors)!r}  ours={list(ours.editors)!r}")
        if ours.title_ok is False:
            lines.append(f"    title   gold={page.title!r}  ours={ours.title!r}")
    return "\n".join(lines)


def _versions(runners: dict[str, Runner]) -> str:
    from importlib.metadata import PackageNotFoundError, version

    out = []
    for name, package in (("trafilatura", "trafilatura"), ("GNE", "gne")):
        if name in runners:
            try:
                out.append(f"{name} {version(package)}")
            except PackageNotFoundError:
                out.append(f"{name} ?")
    return ", ".join(out) or "ours only"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path,
                        help="data set folder (original/, cleaned/, author/, date/), or with "
                             "--gold the folder of pages")
    parser.add_argument("--gold", type=Path, metavar="DIR",
                        help="folder of JSON gold records, one <id>.json per page of FOLDER")
    parser.add_argument("--verbose", "-v", action="store_true", help="per-page detail")
    parser.add_argument("--only-ours", action="store_true", help="skip trafilatura and GNE")
    args = parser.parse_args(argv)

    if args.gold is not None:
        if not args.gold.is_dir():
            parser.error(f"no gold folder {args.gold}")
        try:
            pages = load_json_gold(args.folder, args.gold)
        except ValueError as exc:
            parser.error(str(exc))
        if not pages:
            parser.error(f"no page of {args.folder} has a gold record in {args.gold}")
    else:
        pages = load_pages(args.folder)
        if not pages:
            parser.error(f"no pages in {args.folder / 'original'}")
    runners: dict[str, Runner] = {"ours": run_ours}
    if not args.only_ours:
        runners["trafilatura"] = run_trafilatura
        gne = gne_runner()
        if gne is None:
            print("GNE is not installed (pip install gne): its column is skipped.", file=sys.stderr)
        else:
            runners["GNE"] = gne
    results: dict[str, list[PageScore]] = {}
    seconds: dict[str, float] = {}
    reads_editors: dict[str, bool] = {}
    for name, runner in runners.items():
        results[name], seconds[name], reads_editors[name] = score(pages, runner)
    summaries = {name: summarize(s) for name, s in results.items()}
    gold = f", gold {args.gold}" if args.gold is not None else ""
    print(f"{args.folder} ({len(pages)} pages{gold}; {_versions(runners)})")
    print(table(summaries, seconds, reads_editors))
    if args.verbose:
        print()
        print(details(pages, results))
    ours = summaries["ours"]
    return 1 if ours.crashes or ours.empty else 0


if __name__ == "__main__":
    sys.exit(main())
