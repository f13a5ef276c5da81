"""Write the golden record of every fixture article: tests/golden/<host>/<file>.json.

    .venv/bin/python tools/make_golden.py [--check]

A golden record is what extraction gives for the page, field by field (title, subtitle,
published to the second, authors, editors, source, section, body, images with captions) and
the template that read it. tests/test_golden.py checks each exactly. After a deliberate change
to a template or to extraction, rerun this, read the diff of tests/golden/ (every changed field
is a change of behaviour to justify) and commit it with the change. `--check` writes nothing
and exits 1 when a record differs.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from crawler.extract import extract
from crawler.fixtures import FixtureArticle, fixture_articles

GOLDEN = Path(__file__).resolve().parents[1] / "tests" / "golden"


def golden_path(article: FixtureArticle) -> Path:
    return GOLDEN / article.host / f"{article.file}.json"


def golden_record(article: FixtureArticle) -> dict:
    """The extraction of the page, as a golden file holds it."""
    extraction = extract(article.page(), article.url)
    fields = {k: v for k, v in extraction.fields.items() if k != "original"}  # title and body again
    return {"url": article.url, "method": extraction.method, **fields}


def serialize(record: dict) -> str:
    return json.dumps(record, ensure_ascii=False, indent=1) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare only; exit 1 on a difference")
    args = parser.parse_args()
    differ = 0
    for article in fixture_articles():
        path, text = golden_path(article), serialize(golden_record(article))
        if path.exists() and path.read_text("utf-8") == text:
            continue
        differ += 1
        print(("differs: " if args.check else "wrote: ") + str(path.relative_to(GOLDEN.parent.parent)))
        if not args.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, "utf-8")
    return 1 if args.check and differ else 0


if __name__ == "__main__":
    sys.exit(main())
