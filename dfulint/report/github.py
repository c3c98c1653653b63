"""GitHub Actions workflow commands: one `::error` / `::warning` / `::notice` line per finding, which
GitHub shows as an annotation on the pull request's changed files. Paths are relative to the
repository root, as GitHub expects."""
from __future__ import annotations

from pathlib import Path

from dfulint import docs
from dfulint.baseline import rel_path
from dfulint.core import Severity

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _data(text: str) -> str:
    from dfulint.core import printable
    return printable(text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def _prop(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def render(result) -> str:
    root = result.root or Path.cwd()
    out = []
    for f in result.findings:
        props = [f"file={_prop(rel_path(f.span.path, root))}", f"line={f.span.line}", f"col={f.span.col}"]
        if f.span.end_line and f.span.end_line >= f.span.line:
            props.append(f"endLine={f.span.end_line}")
            if f.span.end_line == f.span.line and f.span.end_col and f.span.end_col > f.span.col:
                props.append(f"endColumn={f.span.end_col}")
        props.append(f"title={_prop(f'{f.code} {f.name}' + (f' ({f.board})' if f.board else ''))}")
        body = f.message + (f" ({f.image})" if f.image else "")
        if f.fix:
            body += f"\nfix: {f.fix}"
        body += f"\n{docs.url(f.code)}"
        out.append(f"::{COMMANDS[f.severity]} {','.join(props)}::{_data(body)}")
    n = len(result.findings)
    out.append(f"dfulint: {n} finding{'s' * (n != 1)}"
               + (f", {len(result.suppressed)} suppressed" if result.suppressed else ""))
    return "\n".join(out) + "\n"
