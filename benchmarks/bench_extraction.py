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
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PAGES = ROOT.parent / "shared" / "datasets" / "zh-extraction-dev"

# Run in a child process with the version under test first on sys.path: one timed round
# over every page, after a warm-up pass (imports, OpenCC dictionaries, regex compilation).
_CHILD = """
import json, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from crawler.extract import extract_article
pages = [(p.stem, p.read_bytes()) for p in map(Path, json.loads(sys.argv[2]))]
warm = sys.argv[3] == "1"
if warm:
    for name, html in pages:
        extract_article(html, f"http://example.invalid/{name}.html")
seconds = []
for name, html in pages:
    start = time.perf_counter()
    extract_article(html, f"http://example.invalid/{name}.html")
    seconds.append(time.perf_counter() - start)
print(json.dumps({"seconds": seconds, "module": sys.modules["crawler.extract"].__file__}))
"""


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


def _round(tree: Path, pages: list[Path], warm: bool) -> list[float]:
    out = subprocess.run([sys.executable, "-c", _CHILD, str(tree), json.dumps(list(map(str, pages))),
                          "1" if warm else "0"], check=True, capture_output=True, text=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if not result["module"].startswith(str(tree)):
        raise SystemExit(f"{tree}: imported {result['module']} instead")
    return result["seconds"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pages", type=Path, nargs="?", default=DEFAULT_PAGES)
    parser.add_argument("--base", default="main", help="the commit to compare with (default main)")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)

    pages = _pages(args.pages)
    with tempfile.TemporaryDirectory() as tmp:
        trees = {f"before ({args.base})": _export(args.base, Path(tmp)), "after (this checkout)": ROOT}
        times: dict[str, list[list[float]]] = {name: [] for name in trees}
        for i in range(args.rounds):
            order = list(trees.items()) if i % 2 == 0 else list(reversed(trees.items()))
            for name, tree in order:
                times[name].append(_round(tree, pages, warm=True))
    print(f"{len(pages)} pages from {args.pages}, {args.rounds} rounds each")
    medians, bests = {}, {}
    for name, rounds in times.items():
        medians[name] = statistics.median(1000 * sum(r) / len(pages) for r in rounds)
        bests[name] = 1000 * sum(map(min, zip(*rounds, strict=True))) / len(pages)
        print(f"{name:24} {medians[name]:7.2f} ms/page (median round)  "
              f"{bests[name]:7.2f} ms/page (each page's best)")
    (b_med, a_med), (b_best, a_best) = medians.values(), bests.values()
    print(f"after / before: {a_med / b_med:.2f} (median rounds), {a_best / b_best:.2f} (best times)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
