#!/usr/bin/env python3
"""Benchmark dfulint as users run it: a regular (not editable) install, a new process per run.

Usage: python bench/bench.py [--runs N] [--corpus DIR] [--corpus-runs N] [--copies N,N] [--python PY] [--instructions] [--markdown]

1. Installs this checkout with `pip install .` into a temporary virtual environment (or uses the
   interpreter given with --python, which must have dfulint installed the same way). An editable
   install, or PYTHONDONTWRITEBYTECODE=1, would compile every module on each run and measure
   nothing a user sees; bytecode is written here as an installation writes it.
2. The seed fixture, alternating with `python -c pass`: with a warm cache (the cache folder of
   earlier runs) and a cold one (a new, empty cache folder each run: a fresh CI runner).
3. The corpus (264 apps), in one process (--jobs 1) and with the default jobs (one per core); the
   two outputs must be byte-identical.
4. Peak memory (the largest process's resident set) over 1, 100 and 1,000 copies of the seed app,
   checked with --jobs 1 (one process holds everything) and with the default jobs.

Wall time on a shared machine wanders by tens of percent from one minute to the next: the minimum
is given beside the median, and the load average before and after. --instructions also counts the
instructions (valgrind's callgrind), which repeat to the last digit.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "fixtures" / "seed_bl653_dvk"


def install(venv: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = venv / "bin" / "python"
    if not py.exists():
        py = venv / "Scripts" / "python.exe"
    subprocess.run([str(py), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(ROOT)],
                   check=True, env=_env())
    return py


def _env(cache: Path | None = None) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.pop("PYTHONPATH", None)
    env.pop("GITHUB_ACTIONS", None)
    if cache is not None:
        env["DFULINT_CACHE_DIR"] = str(cache)
    return env


def wall(cmd: list, env: dict, cwd: Path) -> tuple[float, subprocess.CompletedProcess]:
    t0 = time.perf_counter()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=cwd)
    return time.perf_counter() - t0, p


def peak_rss_kib(cmd: list, env: dict, cwd: Path) -> tuple[int, float]:
    """Largest resident set of `cmd` or any process it waited for (KiB), and its wall time."""
    probe = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
             "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); "
             "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, time.perf_counter() - t)")
    out = subprocess.run([sys.executable, "-c", probe, *cmd], env=env, cwd=cwd, capture_output=True, text=True)
    kib, secs = out.stdout.split()
    return int(kib), float(secs)


def _children_cpu() -> float:
    """CPU seconds (user + system) of every finished child process and the processes they waited for."""
    try:
        import resource
    except ImportError:
        return 0.0
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def instructions(cmd: list, env: dict, cwd: Path) -> float | None:
    """Millions of instructions the command executes (callgrind), or None without valgrind."""
    vg = shutil.which("valgrind")
    if vg is None:
        return None
    p = subprocess.run([vg, "--tool=callgrind", "--callgrind-out-file=/dev/null", *cmd], env=env, cwd=cwd,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    for line in p.stderr.splitlines():
        if "Collected" in line:
            return int(line.split()[-1]) / 1e6
    return None


def ms(xs: list) -> str:
    return f"{min(xs) * 1000:.0f} / {statistics.median(xs) * 1000:.0f} ms"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=20, help="runs of each seed-fixture command (default 20)")
    ap.add_argument("--corpus", type=Path, default=next(
        (p for p in (ROOT.parent / "shared" / "corpus", ROOT.parent.parent / "shared" / "corpus") if p.is_dir()),
        ROOT.parent / "shared" / "corpus"), help="a folder of apps (default: the shared corpus next to the checkout)")
    ap.add_argument("--python", help="an interpreter with dfulint installed (default: install into a new venv)")
    ap.add_argument("--corpus-runs", type=int, default=3, help="runs of each corpus command (default 3)")
    ap.add_argument("--copies", default="1,100,1000", help="copies of the seed app for peak memory")
    ap.add_argument("--instructions", action="store_true", help="also count instructions with callgrind")
    ap.add_argument("--markdown", action="store_true", help="print the results as a Markdown table")
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="dfulint-bench-"))
    rows: list[tuple[str, str, str]] = []
    try:
        py = args.python or str(install(work / "venv"))
        here = work          # run outside the checkout: the installed package, not the source tree
        load0 = os.getloadavg() if hasattr(os, "getloadavg") else None
        warm_cache = work / "cache-warm"
        base_cmd = [py, "-c", "pass"]
        seed_cmd = [py, "-m", "dfulint", "check", str(SEED), "--format", "json"]
        wall(seed_cmd, _env(warm_cache), here)             # fills the warm cache (if anything is cached)
        wall(base_cmd, _env(warm_cache), here)
        base, warm, cold = [], [], []
        for i in range(args.runs):                          # alternating, so load affects all alike
            base.append(wall(base_cmd, _env(warm_cache), here)[0])
            warm.append(wall(seed_cmd, _env(warm_cache), here)[0])
            fresh = work / f"cache-cold-{i}"
            cold.append(wall(seed_cmd, _env(fresh), here)[0])
            shutil.rmtree(fresh, ignore_errors=True)
        b_min, b_med = min(base), statistics.median(base)
        rows.append(("`python -c pass`", ms(base), "1.0x / 1.0x"))
        for name, xs in (("seed fixture, warm cache", warm), ("seed fixture, cold cache", cold)):
            rows.append((name, ms(xs), f"{min(xs) / b_min:.1f}x / {statistics.median(xs) / b_med:.1f}x"))
        if args.instructions:
            ib = instructions(base_cmd, _env(warm_cache), here)
            iw = instructions(seed_cmd, _env(warm_cache), here)
            ic = instructions(seed_cmd, _env(work / "cache-cold-i"), here)
            if None not in (ib, iw, ic):
                rows.append(("instructions: pass / warm / cold", f"{ib:.0f} / {iw:.0f} / {ic:.0f} M",
                             f"{iw / ib:.1f}x / {ic / ib:.1f}x"))

        if args.corpus.is_dir():
            outs: dict = {}
            times: dict = {}
            for _ in range(args.corpus_runs):             # alternating, so load affects both alike
                for label, extra in (("--jobs 1", ["--jobs", "1"]), (f"default jobs ({os.cpu_count()} cores)", [])):
                    cpu0 = _children_cpu()
                    dt, p = wall([py, "-m", "dfulint", "check", str(args.corpus), "--format", "json", *extra],
                                 _env(warm_cache), here)
                    cpu = _children_cpu() - cpu0
                    outs.setdefault(label, set()).add(p.stdout)
                    times.setdefault(label, []).append((dt, cpu, p.returncode))
            try:        # the apps dfulint found (a repository of the corpus may hold several)
                import json
                n_apps = len(json.loads(next(iter(next(iter(outs.values())))))["summary"]["apps"])
            except (ValueError, KeyError, StopIteration):
                n_apps = "?"
            for label, ts in times.items():
                rows.append((f"corpus ({n_apps} apps), {label}",
                             f"{min(t for t, _, _ in ts):.2f} / {statistics.median(t for t, _, _ in ts):.2f} s",
                             f"CPU {min(c for _, c, _ in ts):.1f} s min (all processes), exit {ts[0][2]}, "
                             f"{len(ts)} run{'s' * (len(ts) != 1)}"))
            outs = {k: b"".join(sorted(v)) if len(v) == 1 else None for k, v in outs.items()}
            same = None not in outs.values() and len(set(outs.values())) == 1
            rows.append(("corpus output, default jobs vs --jobs 1", "byte-identical" if same else "DIFFERENT", ""))

        for n in [int(x) for x in args.copies.split(",") if x.strip()]:
            folder = work / f"copies-{n}"
            for i in range(n):
                shutil.copytree(SEED, folder / f"app{i:04d}")
            for fmt in ("json", "text"):
                for jobs in (["--jobs", "1"], []):
                    kib, secs = peak_rss_kib([py, "-m", "dfulint", "check", str(folder), "--format", fmt, *jobs],
                                             _env(warm_cache), here)
                    how = " ".join(jobs) or "default jobs"
                    rows.append((f"{n} cop{'ies' if n != 1 else 'y'} of the seed app, --format {fmt} {how}: "
                                 "peak memory", f"{kib / 1024:.0f} MiB", f"{secs:.1f} s"))
            shutil.rmtree(folder, ignore_errors=True)
        load1 = os.getloadavg() if hasattr(os, "getloadavg") else None
    finally:
        shutil.rmtree(work, ignore_errors=True)

    if args.markdown:
        print("| measurement | wall min / median, or value | ratio to `python -c pass` (min / median), or note |")
        print("|---|---|---|")
        for r in rows:
            print(f"| {r[0]} | {r[1]} | {r[2]} |")
    else:
        w = max(len(r[0]) for r in rows)
        for r in rows:
            print(f"{r[0]:<{w}}  {r[1]:>22}  {r[2]}")
    if load0 is not None:
        print(f"\nload average before {load0[0]:.2f}, after {load1[0]:.2f}; {os.cpu_count()} cores; "
              f"{args.runs} alternating runs each")
    return 0


if __name__ == "__main__":
    sys.exit(main())
