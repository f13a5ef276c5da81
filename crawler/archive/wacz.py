"""Package WARC files as one WACZ (1.1.1), the format replay tools exchange, with py-wacz.

The package holds the WARC files (and the files holding the originals their revisits refer
to, so that it replays on its own), the CDXJ index py-wacz builds (`indexes/index.cdx.gz`),
`pages/pages.jsonl` listing every archived article (url, ts, title, and its extracted body as
the text index, GBK pages as well as UTF-8 ones), `datapackage.json` and
`datapackage-digest.json`.
"""

from __future__ import annotations

import contextlib
import io
import json
import tempfile
from collections.abc import Iterable
from pathlib import Path

from wacz.main import main as wacz_main

from crawler.archive.reader import Archive, warc_files

PAGES_HEADER = {"format": "json-pages-1.0", "id": "pages", "title": "Articles", "hasText": True}


def article_records(output: Path) -> list[dict]:
    """Every article record an output folder exported: stories and their later copies."""
    records = []
    for path in sorted(output.glob("articles/*.jsonl")) + sorted(output.glob("duplicates/*.jsonl")):
        with open(path, encoding="utf-8") as fh:
            records += [json.loads(line) for line in fh if line.strip()]
    return records


def article_pages(archive: Archive, records: Iterable[dict], files: Iterable[Path]) -> list[dict]:
    """pages.jsonl entries for the articles whose response is in `files`: the page's URL and
    capture time as the WARC has them, title and text as extracted."""
    names = {p.name for p in files}
    pages = []
    for record in records:
        locator = record.get("warc") or {}
        capture = archive.by_id.get(locator.get("record_id") or "")
        if capture is None or capture.path.name not in names:
            continue
        pages.append({"id": record["id"], "url": capture.uri, "ts": capture.date,
                      "title": record.get("title") or capture.uri, "text": record.get("body") or ""})
    return pages


def write_wacz(out: Path, files: list[Path], pages: list[dict], *, title: str | None = None,
               description: str | None = None) -> str:
    """Write the package; py-wacz's log of it."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        pages_file = Path(tmp) / "pages.jsonl"
        # ASCII JSON: py-wacz reads the file in the locale's encoding.
        pages_file.write_text("".join(json.dumps(line) + "\n" for line in [PAGES_HEADER, *pages]),
                              encoding="ascii")
        args = ["create", "-o", str(out), "--pages", str(pages_file), "--copy-pages"]
        if title:
            args += ["--title", title]
        if description:
            args += ["--desc", description]
        log = io.StringIO()
        with contextlib.redirect_stdout(log):
            status = wacz_main([*args, *map(str, files)])
    if status:
        raise RuntimeError(f"py-wacz failed to write {out}: {log.getvalue()[-2000:]}")
    return log.getvalue()


def package(output: Path, out: Path, files: list[Path] | None = None, *, title: str | None = None,
            description: str | None = None) -> tuple[list[Path], list[dict]]:
    """Package an output folder's WARC files (or `files`, and the files their revisits need)
    with its articles as pages; the files and pages packaged."""
    files = [p.resolve() for p in files or []]
    archive = Archive(dict.fromkeys([*(p.resolve() for p in warc_files(output)), *files]))
    chosen = archive.files_needed(files) if files else archive.paths
    if not chosen:
        raise ValueError(f"no WARC files in {output}")
    pages = article_pages(archive, article_records(output), chosen)
    write_wacz(out, chosen, pages, title=title, description=description)
    return chosen, pages
