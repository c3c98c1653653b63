"""Console output: `path:line:col: CODE [severity] message`, grouped per app and board."""
from __future__ import annotations

from itertools import groupby

from dfulint.core import Severity
from dfulint.report import display_path

_COLOURS = {Severity.ERROR: "31", Severity.WARNING: "33", Severity.INFO: "36"}


def render(result, colour: bool = False, show_fix: bool = True) -> str:
    def c(text: str, code: str) -> str:
        return f"\033[{code}m{text}\033[0m" if colour else text

    out: list[str] = []
    apps = {str(a.app.root): a.app for a in result.apps}
    for (app_root, board), items in groupby(result.findings, key=lambda f: (str(f.app), f.board)):
        app = apps.get(app_root)
        head = display_path(app.root) if app else app_root
        meta = []
        if board:
            meta.append(f"board {board}")
        if app:
            meta.append(f"NCS {app.sdk}" if app.framework == "ncs" else f"Zephyr {app.sdk}")
            meta.append(app.build_system.replace("_", "-"))
        out.append(c(head, "1") + (f"  ({', '.join(meta)})" if meta else ""))
        for f in items:
            loc = f"{display_path(f.span.path)}:{f.span.line}:{f.span.col}"
            sev = c(f"[{f.severity.label}]", _COLOURS[f.severity])
            image = f" ({f.image})" if f.image else ""
            out.append(f"  {loc}: {c(f.code, '1')} {sev} {f.message}{image}")
            if show_fix and f.fix:
                out.append(f"      fix: {f.fix}")
        out.append("")
    out.append(summary_line(result))
    out.extend(suppression_lines(result))
    return "\n".join(out) + "\n"


def suppression_lines(result) -> list[str]:
    """What was kept out of the results (comments, baseline), and stale baseline entries."""
    supp = getattr(result, "suppressed", [])
    inline = sum(1 for s in supp if s.kind == "inline")
    base = sum(1 for s in supp if s.kind == "baseline")
    out = []
    if inline or base:
        parts = ([f"{inline} by `dfulint: ignore` comments"] if inline else []) + \
                ([f"{base} by the baseline {display_path(result.baseline_path)}"] if base else [])
        out.append(f"Not shown: {' and '.join(parts)}.")
    fixed = getattr(result, "baseline_fixed", [])
    if fixed:
        out.append(f"{len(fixed)} baseline entr{'ies' if len(fixed) != 1 else 'y'} no longer found: "
                   f"run `dfulint check --baseline write {display_path(result.baseline_path)}` to drop "
                   f"{'them' if len(fixed) != 1 else 'it'}.")
    return out


def summary_line(result) -> str:
    n = len(result.findings)
    by = {s: sum(1 for f in result.findings if f.severity == s) for s in Severity}
    boards = sum(len(a.targets) for a in result.apps)
    apps = len(result.apps)
    if not n:
        return f"No problems found in {apps} app{'s' * (apps != 1)} ({boards} board target{'s' * (boards != 1)})."
    parts = [f"{by[s]} {s.label}{'s' * (by[s] != 1 and s != Severity.INFO)}" for s in
             (Severity.ERROR, Severity.WARNING, Severity.INFO) if by[s]]
    return (f"Found {n} problem{'s' * (n != 1)} ({', '.join(parts)}) in {apps} app{'s' * (apps != 1)} "
            f"({boards} board target{'s' * (boards != 1)}).")
