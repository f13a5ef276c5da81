"""Benchmark crawler.normalize.normalize_text on >= 10 MB of mixed text.

Run: .venv/bin/python benchmarks/bench_normalize.py [--mb 10] [--repeat 3]

The corpus mixes three kinds of article, as the crawler meets them: clean
simplified text (captures 000 and 004, fixture paragraphs), clone text
(clonify with s2t / s2tw / s2hk and the usual ~30% annotation, as in captures
001-003) and heavily annotated clone text (every character annotated), plus the
three real clone captures. It prints characters per second overall and per kind,
single-threaded, best of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "normalize"))

from normalize_corpus import capture, source_paragraphs  # noqa: E402

from crawler.normalize import normalize_text  # noqa: E402
from crawler.normalize.core import stages  # noqa: E402
from crawler.normalize.report import Report  # noqa: E402
from crawler.testing import clonify  # noqa: E402

ARTICLE_PARAGRAPHS = 12


def _articles(rng: random.Random, paragraphs: list[str], n: int) -> list[str]:
    return ["\n".join(rng.sample(paragraphs, ARTICLE_PARAGRAPHS)) for _ in range(n)]


def build_corpus(target_bytes: int, seed: int = 0) -> dict[str, list[str]]:
    """Articles by kind, about a third of ``target_bytes`` (UTF-8) each."""
    rng = random.Random(seed)
    paragraphs = source_paragraphs()
    base = _articles(rng, paragraphs, 60)
    kinds: dict[str, list[str]] = {
        "clean simplified": [],
        "clone (30% annotated)": [capture("001"), capture("002"), capture("003")],
        "heavily annotated": [],
    }
    # Clonify is slow (pypinyin), so each kind cycles through a pool of distinct
    # articles until it holds its share of the bytes.
    share = target_bytes // 3
    for kind, docs in kinds.items():
        pool = list(docs)
        for i, text in enumerate(base):
            if kind == "clean simplified":
                pool.append(text)
            else:
                variant = ("s2t", "s2tw", "s2hk")[i % 3]
                annotate = 1.0 if kind == "heavily annotated" else 0.3
                pool.append(clonify(text, variant=variant, annotate=annotate, seed=i))
        docs.clear()
        size = 0
        while size < share:
            doc = pool[len(docs) % len(pool)]
            docs.append(doc)
            size += len(doc.encode("utf-8"))
    return kinds


def _time(docs: list[str], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for doc in docs:
            normalize_text(doc)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=10.0, help="corpus size in MB (UTF-8)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per kind; best is kept")
    args = parser.parse_args()

    corpus = build_corpus(int(args.mb * 1_000_000))
    normalize_text("预热 warm-up 社區(qū)")  # load dictionaries outside the timing
    total_chars = total_bytes = 0
    total_time = 0.0
    print(f"{'kind':<24}{'docs':>6}{'MB':>8}{'chars':>12}{'seconds':>9}{'chars/s':>14}")
    for kind, docs in corpus.items():
        chars = sum(len(d) for d in docs)
        size = sum(len(d.encode("utf-8")) for d in docs)
        seconds = _time(docs, args.repeat)
        total_chars += chars
        total_bytes += size
        total_time += seconds
        print(
            f"{kind:<24}{len(docs):>6}{size / 1e6:>8.2f}{chars:>12,}{seconds:>9.2f}{chars / seconds:>14,.0f}"
        )
    print(
        f"{'total':<24}{sum(len(d) for d in corpus.values()):>6}{total_bytes / 1e6:>8.2f}"
        f"{total_chars:>12,}{total_time:>9.2f}{total_chars / total_time:>14,.0f}"
    )
    print(f"normalize_text: {total_chars / total_time / 1e6:.2f} million characters/s on one core")
    print()
    _stage_breakdown([doc for docs in corpus.values() for doc in docs], total_chars)


def _stage_breakdown(docs: list[str], total_chars: int) -> None:
    """Time each stage of the pipeline over the whole corpus (one run)."""
    print(f"{'stage':<24}{'seconds':>9}{'ns/char':>9}")
    texts = list(docs)
    for name, stage in stages():
        start = time.perf_counter()
        texts = [stage(text, Report()) for text in texts]
        seconds = time.perf_counter() - start
        print(f"{name:<24}{seconds:>9.2f}{seconds / total_chars * 1e9:>9.0f}")


if __name__ == "__main__":
    main()
