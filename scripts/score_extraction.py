#!/usr/bin/env python
"""Score generic extraction on a data set folder: ours, trafilatura and GNE side by side.

    .venv/bin/python scripts/score_extraction.py ../shared/datasets/zh-extraction-dev [--verbose]

The folder has the `zh-extraction-dev` layout (`original/`, `cleaned/`, `author/`, `date/`);
the scoring is the data set's (see crawler/extract/generic_score.py). Every page is given to
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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crawler.extract import extract_article
from crawler.extract.decode import decode_html
from crawler.extract.generic_score import (
    Page,
    PageScore,
    Summary,
    load_pages,
    score_page,
    summarize,
)

# An extractor: page in, (body, date, authors) out.
Runner = Callable[[Page], tuple[str | None, str | None, list[str]]]


def run_ours(page: Page) -> tuple[str | None, str | None, list[str]]:
    fields = extract_article(page.html, page.url)
    return fields["body"], fields["published"], fields["authors"]


def run_trafilatura(page: Page) -> tuple[str | None, str | None, list[str]]:
    import trafilatura

    doc = trafilatura.bare_extraction(decode_html(page.html).text, url=page.url,
                                      with_metadata=True)
    if doc is None:
        return None, None, []
    # trafilatura joins several authors with "; ".
    authors = [a.strip() for a in (doc.author or "").replace(";", ",").split(",") if a.strip()]
    return doc.text, doc.date, authors


def gne_runner() -> Runner | None:
    try:
        from gne import GeneralNewsExtractor
    except ImportError:
        return None
    extractor = GeneralNewsExtractor()

    def run_gne(page: Page) -> tuple[str | None, str | None, list[str]]:
        try:
            result = extractor.extract(decode_html(page.html).text)
        except Exception:  # GNE raises NoContentException and others: a zero
            return None, None, []
        return result.get("content"), result.get("publish_time"), (result.get("author") or "").split()

    return run_gne


def score(pages: list[Page], runner: Runner) -> tuple[list[PageScore], float]:
    scores = []
    start = time.perf_counter()
    for page in pages:
        try:
            body, date, authors = runner(page)
            scores.append(score_page(page, body, date, authors))
        except Exception as exc:  # reported as a crash, not a zero
            traceback.print_exc()
            scores.append(score_page(page, None, None, [], error=repr(exc)))
    return scores, time.perf_counter() - start


def table(summaries: dict[str, Summary], seconds: dict[str, float]) -> str:
    names = list(summaries)
    rows = [("", *names)]
    rows.append(("body F1 (macro)", *(f"{s.f1_macro:.3f}" for s in summaries.values())))
    rows.append(("pages below 0.5", *(str(s.below_half) for s in summaries.values())))
    rows.append(("dates right", *(f"{s.dates_right}/{s.dates_known}" for s in summaries.values())))
    rows.append(("authors right", *(f"{s.authors_right}/{s.pages}" for s in summaries.values())))
    rows.append(("crashes", *(str(s.crashes) for s in summaries.values())))
    rows.append(("empty bodies", *(str(s.empty) for s in summaries.values())))
    rows.append(("seconds", *(f"{seconds[n]:.1f}" for n in names)))
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
        elif ours.date_ok is None and ours.date:
            flags.append("(a date where the gold has none: not scored)")
        if not ours.authors_ok:
            flags.append("AUTHORS")
        if ours.error:
            flags.append(f"CRASH {ours.error}")
        lines.append(f"{page.id}  {f1s}  {' '.join(flags)}")
        lines.append(f"    date    gold={page.date!r}  ours={ours.date!r}")
        lines.append(f"    authors gold={page.authors!r}  ours={list(ours.authors)!r}")
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
    parser.add_argument("folder", type=Path, help="data set folder (original/, cleaned/, author/, date/)")
    parser.add_argument("--verbose", "-v", action="store_true", help="per-page detail")
    parser.add_argument("--only-ours", action="store_true", help="skip trafilatura and GNE")
    args = parser.parse_args(argv)

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
    for name, runner in runners.items():
        results[name], seconds[name] = score(pages, runner)
    summaries = {name: summarize(s) for name, s in results.items()}
    print(f"{args.folder} ({len(pages)} pages; {_versions(runners)})")
    print(table(summaries, seconds))
    if args.verbose:
        print()
        print(details(pages, results))
    ours = summaries["ours"]
    return 1 if ours.crashes or ours.empty else 0


if __name__ == "__main__":
    sys.exit(main())
