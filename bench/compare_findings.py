"""Compare the findings of two dfulint runs over a corpus.

Each side is either a JSON report (`dfulint check DIR --format json > side.json`) or a source tree
of dfulint (a directory holding `dfulint/`), which is then run over the corpus with the same
Python. Findings are keyed by code, path, line, board, severity and message (plus app); the script
prints how many are only on one side and lists them, and exits 1 when the sides differ.

    python bench/compare_findings.py /work/baseline/corpus.json .  --corpus /work/shared/corpus
    python bench/compare_findings.py old.json new.json
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
from pathlib import Path

KEY = ("code", "path", "line", "board", "severity", "message")


def _run_tree(tree: Path, corpus: Path, extra: list[str]) -> dict:
    env = dict(os.environ, PYTHONPATH=str(tree.resolve()))
    proc = subprocess.run([sys.executable, "-m", "dfulint", "check", str(corpus), "--format", "json",
                           *extra], cwd=str(tree), env=env, capture_output=True, text=True)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{tree}: dfulint exited {proc.returncode}\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout)


def load(side: str, corpus: Path, extra: list[str]) -> dict:
    p = Path(side)
    if p.is_dir():
        return _run_tree(p, corpus, extra)
    return json.loads(p.read_text(encoding="utf-8"))


def _norm(v):
    """Board lists (JSON schema 2) and board strings ("a, b", schema 1) compare alike."""
    if isinstance(v, list):
        return ", ".join(str(x) for x in v)
    return v


def keyed(report: dict, with_app: bool = True, part: str = "findings") -> collections.Counter:
    out: collections.Counter = collections.Counter()
    for f in report.get(part, []):
        f = f.get("finding", f) if isinstance(f, dict) else f
        k = tuple(_norm(f.get(x)) for x in KEY)
        if with_app:
            k = (f.get("app"),) + k
        out[k] += 1
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("old", help="JSON report or dfulint source tree")
    ap.add_argument("new", help="JSON report or dfulint source tree")
    ap.add_argument("--corpus", default="/work/shared/corpus", type=Path,
                    help="the projects to check when a side is a source tree")
    ap.add_argument("--show", type=int, default=40, help="list at most this many differences per side")
    ap.add_argument("--by-code", action="store_true", help="also count differences per rule code")
    ap.add_argument("extra", nargs="*", help="more arguments for `dfulint check` (after --)")
    args = ap.parse_args(argv)

    old_report = load(args.old, args.corpus, args.extra)
    new_report = load(args.new, args.corpus, args.extra)
    old, new = keyed(old_report), keyed(new_report)
    sup_old = sum(keyed(old_report, part="suppressed").values())
    sup_new = sum(keyed(new_report, part="suppressed").values())
    only_old = old - new
    only_new = new - old
    print(f"old: {sum(old.values())} findings, new: {sum(new.values())} findings, "
          f"identical: {sum((old & new).values())}, only old: {sum(only_old.values())}, "
          f"only new: {sum(only_new.values())}; suppressed: old {sup_old}, new {sup_new}")
    for title, side in (("only in old", only_old), ("only in new", only_new)):
        if not side:
            continue
        print(f"\n{title}:")
        for i, (k, n) in enumerate(sorted(side.items(), key=lambda kv: tuple(str(x) for x in kv[0]))):
            if i >= args.show:
                print(f"  ... {len(side) - args.show} more")
                break
            app, code, path, line, board, sev, msg = k
            print(f"  {code} {sev} {Path(app or '').name}/{path}:{line} [{board}] {msg}" + (f" (x{n})" if n > 1 else ""))
        if args.by_code:
            per = collections.Counter()
            for k, n in side.items():
                per[k[1]] += n
            print("  per code: " + ", ".join(f"{c} {n}" for c, n in sorted(per.items())))
    return 1 if (only_old or only_new or sup_old != sup_new) else 0


if __name__ == "__main__":
    sys.exit(main())
