"""The state store under a million articles: time to file (look up, then insert) one article's
signature at 10k and at 1M stored, and peak memory.

    .venv/bin/python benchmarks/bench_dedupe.py [--n 1000000] [--dir /tmp/bench-store]

Signatures are synthetic (random MinHash values, 10% of them near-copies of an earlier one, so
lookups find candidates and verify them), filed through `Deduper.file`, the path every crawled
article takes after it is fingerprinted, one transaction per article as in a crawl. Computing
real MinHashes of a million texts would measure datasketch, not the store.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crawler.dedupe import DedupeConfig, Deduper
from crawler.state import open_store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--dir", default=None, help="where to put the store (default: a temp dir)")
    parser.add_argument("--window", type=int, default=2000, help="articles timed at each checkpoint")
    opts = parser.parse_args()
    folder = Path(opts.dir or tempfile.mkdtemp(prefix="bench-store-"))
    shutil.rmtree(folder, ignore_errors=True)
    deduper = Deduper(open_store(folder), DedupeConfig())
    rng = np.random.default_rng(1)
    checkpoints = sorted({c for c in (10_000, 100_000, opts.n - opts.window) if 0 < c <= opts.n - opts.window})
    recent: list[np.ndarray] = []
    copies = 0
    started = time.perf_counter()
    timings: dict[int, float] = {}
    window_start = None
    for n in range(opts.n):
        if n in checkpoints:
            window_start = (n, time.perf_counter())
        if recent and rng.random() < 0.1:  # a near-copy: an earlier signature, 10% of values changed
            signature = recent[int(rng.integers(len(recent)))].copy()
            changed = rng.choice(signature.size, signature.size // 10, replace=False)
            signature[changed] = rng.integers(0, 2**32, changed.size, dtype=np.uint32)
        else:
            signature = rng.integers(0, 2**32, 128, dtype=np.uint32)
        recent = (recent + [signature])[-1000:]
        verdict = deduper.file(record_id=f"r{n}", url=f"http://x.cn/{n}", canonical_url=f"http://x.cn/{n}",
                               site="bench", title=None, digest=f"sha1:{n:040x}", signature=signature,
                               keys=deduper.signer.band_keys(signature), seen_at="2026-01-01T00:00:00")
        copies += verdict.duplicate_of is not None
        if window_start and n == window_start[0] + opts.window - 1:
            timings[window_start[0]] = (time.perf_counter() - window_start[1]) / opts.window
            print(f"  at {window_start[0]:>9,} stored: {timings[window_start[0]] * 1e6:7.0f} µs per article",
                  flush=True)
            window_start = None
        if n and n % 100_000 == 0:
            print(f"  {n:>9,} filed, {time.perf_counter() - started:6.0f} s", flush=True)
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    size = sum(p.stat().st_size for p in folder.glob("state.sqlite*")) / 2**20
    print(f"filed {opts.n:,} signatures in {elapsed:.0f} s ({elapsed / opts.n * 1e6:.0f} µs per article on average), "
          f"{copies:,} recognised as copies; store {size:,.0f} MiB; peak memory {peak:,.0f} MiB")
    first, last = min(timings), max(timings)
    print(f"time per article at {first:,} stored: {timings[first] * 1e6:.0f} µs; at {last:,}: "
          f"{timings[last] * 1e6:.0f} µs; ratio {timings[last] / timings[first]:.2f}")
    if not opts.dir:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
