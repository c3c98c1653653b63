"""The release gate over two versions of the same tree of apps: every app of NEW checked against
the matching app of OLD (`check NEW --against OLD`), one line per board target that both versions
build, with where each side's layout comes from and what the 8xx rules say.

    python bench/release_gate_pairs.py NEW_FOLDER OLD_FOLDER
"""
from __future__ import annotations

import sys
from pathlib import Path

from dfulint import engine
from dfulint.checks import load_all


def main(new: Path, old: Path) -> int:
    codes = {c for c in load_all() if c.startswith("DFU8")}
    res = engine.run([new], engine.Options(select=codes, against=str(old)))
    print("| app | board | layout (release / tree) | MCUboot (release / tree) | result |")
    print("|---|---|---|---|---|")
    compared = 0
    for a in res.apps:
        for t in a.targets:
            ag = t.against
            if ag is None or ag.old is None:
                continue
            compared += 1
            fs = [f for f in res.findings if f.app == a.app.root and (t.board or "") in str(f.board)]
            found = "; ".join(f"{f.code} {f.severity.label}: {f.headline or f.message[:90]}" for f in fs
                              if f.code != "DFU800")
            if not found:
                found = "not compared: board-supplied layout" if any(f.code == "DFU800" for f in fs) else "compatible"
            print(f"| {a.app.root.relative_to(new)} | {t.board or '-'} | {ag.old.layout} / {ag.new.layout} | "
                  f"{'yes' if ag.old.mcuboot else 'no'} / {'yes' if ag.new.mcuboot else 'no'} | {found} |")
    print(f"\n{compared} board targets compared; {len(res.apps)} apps checked")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve()))
