#!/usr/bin/env python3
"""Benchmark: `dfulint check` cold on the seed fixture against `python -c pass`, and over a corpus.

Usage: python bench/bench.py [--runs N] [--corpus DIR] [--instructions]

Each run is a fresh process (cold: interpreter start, imports, parsing, everything), timed by
wall clock. dfulint's own cache (generated Kconfig trees, knowledge tables) is warm, as it is on
any machine after dfulint's first run; nothing of the checked apps is cached between runs.

Wall time on a shared or virtual machine wanders by tens of percent from one minute to the next,
so the script reports the minimum beside the median, and --instructions counts the instructions
each command executes under valgrind's callgrind, which is repeatable to the last digit.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "fixtures" / "seed_bl653_dvk"


def wall(cmd: list[str]) -> tuple[float, subprocess.CompletedProcess]:
    t0 = time.perf_counter()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0, p


def series(cmd: list[str], runs: int) -> list[float]:
    wall(cmd)  # warm the OS file cache and dfulint's own cache once; every timed run is a new process
    return [wall(cmd)[0] for _ in range(runs)]


def fmt(xs: list[float]) -> str:
    return (f"median {statistics.median(xs) * 1000:7.1f} ms  min {min(xs) * 1000:7.1f} ms  "
            f"max {max(xs) * 1000:7.1f} ms  (n={len(xs)})")


def instructions(cmd: list[str]) -> float | None:
    """Millions of instructions the command executes (callgrind), or None without valgrind."""
    vg = shutil.which("valgrind")
    if vg is None:
        return None
    p = subprocess.run([vg, "--tool=callgrind", "--callgrind-out-file=/dev/null", *cmd],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    for line in p.stderr.splitlines():
        if "Collected" in line:
            return int(line.split()[-1]) / 1e6
    return None


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    ap.add_argument("--instructions", action="store_true", help="also count instructions with callgrind")
    args = ap.parse_args()
    py = sys.executable
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        print("note: PYTHONDONTWRITEBYTECODE is set, so every run compiles dfulint's modules from source;\n"
              "      an installed dfulint has its bytecode cached (run with PYTHONDONTWRITEBYTECODE= to compare)")
    base_cmd = [py, "-c", "pass"]
    seed_cmd = [py, "-m", "dfulint", "check", str(SEED), "--format", "json"]
    base = series(base_cmd, args.runs)
    seed = series(seed_cmd, args.runs)
    print(f"python -c pass              {fmt(base)}")
    print(f"dfulint check seed fixture  {fmt(seed)}")
    print(f"dfulint's own cost (median) {(statistics.median(seed) - statistics.median(base)) * 1000:7.1f} ms")
    if args.instructions:
        ib, isd = instructions(base_cmd), instructions(seed_cmd)
        if ib is None or isd is None:
            print("instructions: valgrind not found")
        else:
            print(f"instructions: python -c pass {ib:.1f} M, dfulint check seed fixture {isd:.1f} M "
                  f"(dfulint's own {isd - ib:.1f} M)")
    if args.corpus.is_dir() and (args.corpus / "MANIFEST.tsv").is_file():
        with open(args.corpus / "MANIFEST.tsv", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh, delimiter="\t"))
        dt, p = wall([py, "-m", "dfulint", "check", str(args.corpus), "--format", "json"])
        print(f"whole corpus, one process   {dt:7.2f} s for {len(rows)} apps "
              f"({dt / max(1, len(rows)) * 1000:.1f} ms per app), exit {p.returncode}")
        per_app, one_board = [], []
        for r in rows:
            dt, p = wall([py, "-m", "dfulint", "check", str(args.corpus / r["app_dir"]), "--format", "json"])
            per_app.append(dt)
            try:
                apps = json.loads(p.stdout)["summary"]["apps"]
            except (ValueError, KeyError, TypeError):
                continue
            if sum(max(1, len(a.get("boards") or [])) for a in apps) == 1:
                one_board.append(dt)
        per_app.sort()
        p90 = per_app[int(len(per_app) * 0.9)] * 1000 if per_app else 0.0
        print(f"corpus, one process per app {fmt(per_app)}  p90 {p90:.1f} ms")
        if one_board:
            print(f"  apps with one board        {fmt(one_board)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
