#!/usr/bin/env python3
"""Benchmark: `dfulint check` cold on the seed fixture against `python -c pass`, and over a corpus.

Usage: python bench/bench.py [--runs N] [--corpus DIR]
Each run is a fresh process (cold: imports, parsing, everything), timed by wall clock.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "fixtures" / "seed_bl653_dvk"


def wall(cmd: list[str]) -> tuple[float, int]:
    t0 = time.perf_counter()
    p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0, p.returncode


def series(cmd: list[str], runs: int) -> list[float]:
    wall(cmd)  # warm the OS file cache once; each timed run is still a fresh interpreter
    return [wall(cmd)[0] for _ in range(runs)]


def fmt(xs: list[float]) -> str:
    return (f"median {statistics.median(xs) * 1000:7.1f} ms  min {min(xs) * 1000:7.1f} ms  "
            f"max {max(xs) * 1000:7.1f} ms  (n={len(xs)})")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    args = ap.parse_args()
    py = sys.executable
    import os
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        print("note: PYTHONDONTWRITEBYTECODE is set, so every run compiles dfulint's modules from source;\n"
              "      an installed dfulint has its bytecode cached (run with PYTHONDONTWRITEBYTECODE= to compare)")
    base = series([py, "-c", "pass"], args.runs)
    seed = series([py, "-m", "dfulint", "check", str(SEED), "--format", "json"], args.runs)
    print(f"python -c pass              {fmt(base)}")
    print(f"dfulint check seed fixture  {fmt(seed)}")
    print(f"dfulint's own cost (median) {(statistics.median(seed) - statistics.median(base)) * 1000:7.1f} ms")
    if args.corpus.is_dir():
        import csv
        rows = list(csv.DictReader(open(args.corpus / "MANIFEST.tsv"), delimiter="\t"))
        t0 = time.perf_counter()
        p = subprocess.run([py, "-m", "dfulint", "check", str(args.corpus), "--format", "json"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        total = time.perf_counter() - t0
        print(f"whole corpus, one process   {total:7.2f} s for {len(rows)} apps "
              f"({total / max(1, len(rows)) * 1000:.1f} ms per app), exit {p.returncode}")
        per_app = []
        for r in rows:
            dt, rc = wall([py, "-m", "dfulint", "check", str(args.corpus / r["app_dir"]), "--format", "json"])
            per_app.append(dt)
        print(f"corpus, one process per app {fmt(per_app)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
