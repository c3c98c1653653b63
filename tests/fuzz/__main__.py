"""python -m tests.fuzz [--long] [--inputs N] [--seconds S] [--seed N] [--readers a,b] [--corpus DIR]

The quick run (default) feeds each reader a few hundred inputs from the fixtures. --long feeds each
reader --inputs inputs (default 150,000 per reader, 60 s limit per input), seeds from the fixtures
and from --corpus (default: $DFULINT_FUZZ_CORPUS), and keeps every crashing input in --crashes.
Prints, per reader: inputs, crashes, hangs, slowest input (seconds), inputs per second; then peak
memory. Exit code 1 when any input crashed or hung.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from tests.fuzz import FIXTURES, READERS, collect_seeds, fuzz, peak_memory_mb, seed_apps


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.fuzz")
    ap.add_argument("--long", action="store_true")
    ap.add_argument("--inputs", type=int, default=None, help="inputs per reader")
    ap.add_argument("--app-inputs", type=int, default=None, help="inputs for whole apps")
    ap.add_argument("--seconds", type=float, default=None, help="time budget per reader")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--readers", default=",".join(list(READERS) + ["app"]))
    ap.add_argument("--corpus", default=os.environ.get("DFULINT_FUZZ_CORPUS", ""))
    ap.add_argument("--crashes", default="fuzz-crashes")
    ap.add_argument("--json", default="", help="also write the numbers to this file")
    a = ap.parse_args(argv)
    folders = [FIXTURES] + ([Path(a.corpus)] if a.long and a.corpus else [])
    seeds = collect_seeds(folders)
    n = a.inputs or (150_000 if a.long else 300)
    n_app = a.app_inputs or (5_000 if a.long else 30)
    apps = seed_apps([FIXTURES])
    crash_dir = Path(a.crashes) if a.long else None
    limit = 60.0 if a.long else 10.0
    report = {}
    bad = 0
    print(f"{'reader':<14}{'inputs':>10}{'crashes':>9}{'hangs':>7}{'slowest s':>11}{'inputs/s':>10}", flush=True)
    for reader in a.readers.split(","):
        st = fuzz(reader, seeds, n_app if reader == "app" else n, seed=a.seed, limit=limit,
                  seconds=a.seconds, crash_dir=crash_dir, apps=apps)
        bad += st.crashes + st.hangs
        rate = st.inputs / st.seconds if st.seconds else 0.0
        print(f"{reader:<14}{st.inputs:>10}{st.crashes:>9}{st.hangs:>7}{st.slowest:>11.3f}{rate:>10.0f}", flush=True)
        if st.first_crash:
            print("  first crash: " + st.first_crash.strip().splitlines()[-1][:300], flush=True)
        report[reader] = {"inputs": st.inputs, "crashes": st.crashes, "hangs": st.hangs,
                          "slowest_s": round(st.slowest, 4), "slowest_input_bytes": len(st.slowest_input),
                          "seconds": round(st.seconds, 1), "crash_files": st.crash_files[:50]}
    total = sum(r["inputs"] for r in report.values())
    print(f"total inputs {total}; peak memory {peak_memory_mb():.0f} MB", flush=True)
    if a.json:
        report["_total"] = {"inputs": total, "peak_memory_mb": round(peak_memory_mb(), 1)}
        Path(a.json).write_text(json.dumps(report, indent=2))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
