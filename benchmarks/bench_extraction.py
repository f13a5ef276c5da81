"""Benchmark article extraction per page: this checkout's code against another commit's, in one run.

Run: .venv/bin/python benchmarks/bench_extraction.py [DATA_SET_DIR] [--base main] [--rounds 5]

DATA_SET_DIR is a folder of saved pages (`*.html`, or `original/*.html` as in the dev set;
default ../shared/datasets/zh-extraction-dev). The `crawler` package of `--base` (a commit,
branch or tag) is exported with `git archive` into a temporary folder, and each version runs
in its own Python process (both are the package `crawler`), importing the same installed
libraries. Rounds alternate between the two versions, so the machine's load weighs on both
alike; each round extracts every page once, after one warm-up pass. Printed: milliseconds per
page for each version, as the median round's mean and as the mean of each page's best time
over the rounds (the figure least disturbed by other work on the machine), and their ratios.

It also says on how many pages the two versions extract the same fields: the data set's pages
(generic extraction, which is meant to change) and every article of the fixture sites under
its real URL (the five captured articles and the sites' other articles, read with their
site templates, which are not).
"""

from __future__ import annotations

import argparse
import base64
import json
import statistics
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crawler.fixtures import FixtureServer
from crawler.fixtures.server import fixture_hosts, sites_root

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PAGES = ROOT.parent / "shared" / "datasets" / "zh-extraction-dev"

# Run in a child process with the version under test first on sys.path: one timed round
# over every page, after a warm-up pass (imports, OpenCC dictionaries, regex compilation).
_CHILD = """
import base64, hashlib, json, sys, time
sys.path.insert(0, sys.argv[1])
from crawler.extract import extract_article
pages = json.loads(open(sys.argv[2], encoding="utf-8").read())
pages = [(p["url"], base64.b64decode(p["body"]), p["type"]) for p in pages]
for url, html, ctype in pages:
    extract_article(html, url, content_type=ctype)
seconds, digests = [], []
for url, html, ctype in pages:
    start = time.perf_counter()
    fields = extract_article(html, url, content_type=ctype)
    seconds.append(time.perf_counter() - start)
    record = json.dumps(fields, sort_keys=True, ensure_ascii=False, default=str)
    digests.append(hashlib.sha1(record.encode()).hexdigest())
print(json.dumps({"seconds": seconds, "digests": digests,
                  "module": sys.modules["crawler.extract"].__file__}))
"""


def _page(url: str, body: bytes, ctype: str | None) -> dict:
    return {"url": url, "body": base64.b64encode(body).decode(), "type": ctype}


def _fixture_articles() -> list[dict]:
    """Every article of the fixture sites, as their server sends it (gzip off)."""
    server = FixtureServer()
    out = []
    for host in fixture_hosts():
        config = json.loads(sites_root().joinpath(host, "_site.json").read_text("utf-8"))
        for url in config.get("articles", []):
            parts = urlsplit(url)
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            status, headers, body, _ = server.answer(host, target, accept_gzip=False)
            if status == 200:
                ctype = next((v for k, v in headers if k.lower() == "content-type"), None)
                out.append(_page(url, body, ctype))
    return out


def _pages(folder: Path) -> list[Path]:
    found = sorted(folder.glob("*.html")) or sorted((folder / "original").glob("*.html"))
    if not found:
        raise SystemExit(f"no pages (*.html or original/*.html) in {folder}")
    return found


def _export(rev: str, into: Path) -> Path:
    """The `crawler` package as it is at `rev`, under `into`."""
    try:
        data = subprocess.run(["git", "archive", "--format=tar", rev, "crawler"], cwd=ROOT,
                              check=True, capture_output=True).stdout
    except subprocess.CalledProcessError as exc:
        raise SystemExit(f"git archive {rev}: {exc.stderr.decode().strip()}") from exc
    with tarfile.open(fileobj=BytesIO(data)) as tar:
        tar.extractall(into, filter="data")
    return into


def _round(tree: Path, pages: Path) -> tuple[list[float], list[str]]:
    out = subprocess.run([sys.executable, "-c", _CHILD, str(tree), str(pages)], check=True,
                         capture_output=True, text=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if not result["module"].startswith(str(tree)):
        raise SystemExit(f"{tree}: imported {result['module']} instead")
    return result["seconds"], result["digests"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pages", type=Path, nargs="?", default=DEFAULT_PAGES)
    parser.add_argument("--base", default="main", help="the commit to compare with (default main)")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)

    dataset = [_page(f"http://example.invalid/{p.stem}.html", p.read_bytes(), None)
               for p in _pages(args.pages)]
    fixtures = _fixture_articles()
    with tempfile.TemporaryDirectory() as tmp:
        timed, checked = Path(tmp, "pages.json"), Path(tmp, "fixtures.json")
        timed.write_text(json.dumps(dataset), "utf-8")
        checked.write_text(json.dumps(fixtures), "utf-8")
        trees = {f"before ({args.base})": _export(args.base, Path(tmp, "base")),
                 "after (this checkout)": ROOT}
        times: dict[str, list[list[float]]] = {name: [] for name in trees}
        digests: dict[str, list[str]] = {}
        fixture_digests: dict[str, list[str]] = {}
        for i in range(args.rounds):
            order = list(trees.items()) if i % 2 == 0 else list(reversed(trees.items()))
            for name, tree in order:
                seconds, digests[name] = _round(tree, timed)
                times[name].append(seconds)
        for name, tree in trees.items():
            fixture_digests[name] = _round(tree, checked)[1]
    print(f"{len(dataset)} pages from {args.pages}, {args.rounds} rounds each")
    medians, bests = {}, {}
    for name, rounds in times.items():
        medians[name] = statistics.median(1000 * sum(r) / len(dataset) for r in rounds)
        bests[name] = 1000 * sum(map(min, zip(*rounds, strict=True))) / len(dataset)
        print(f"{name:24} {medians[name]:7.2f} ms/page (median round)  "
              f"{bests[name]:7.2f} ms/page (each page's best)")
    (b_med, a_med), (b_best, a_best) = medians.values(), bests.values()
    print(f"after / before: {a_med / b_med:.2f} (median rounds), {a_best / b_best:.2f} (best times)")
    for label, found, pages in (("data set pages", digests, dataset),
                                ("fixture-site articles", fixture_digests, fixtures)):
        before, after = found.values()
        same = [p["url"] for p, b, a in zip(pages, before, after, strict=True) if a == b]
        print(f"same fields before and after: {len(same)}/{len(pages)} {label}")
        if label.startswith("fixture"):
            for p, b, a in zip(pages, before, after, strict=True):
                if a != b:
                    print(f"  differs: {p['url']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
