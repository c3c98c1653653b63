"""GitLab Code Quality report (`artifacts: reports: codequality:`), which GitLab shows in the merge
request widget and the changed files, and compares against the target branch.

GitLab matches issues between the two branches by fingerprint, so each issue carries the stable
fingerprint the baseline and SARIF use: rule + file + logical anchor, not the line, so a finding that
only moved is not shown as fixed-and-new. Paths are relative to the repository root.
"""
from __future__ import annotations

import json
from pathlib import Path

from dfulint import docs
from dfulint.baseline import rel_path
from dfulint.core import Severity

# GitLab's scale is info, minor, major, critical, blocker: an error is an update that will not
# work, or a device that stops booting
SEVERITIES = {Severity.ERROR: "critical", Severity.WARNING: "major", Severity.INFO: "info"}


def _issue(f, root: Path, fingerprint: str) -> dict:
    text = f.message.rstrip()
    if f.image:
        text += f" ({f.image})"
    if f.board:
        text += f" [{f.board}]"
    lines = {"begin": max(1, f.span.line)}
    if f.span.end_line and f.span.end_line > f.span.line:
        lines["end"] = f.span.end_line
    body = f"fix: {f.fix}\n\n" if f.fix else ""
    return {
        "type": "issue",
        "description": f"{f.code} {text}",
        "check_name": f"dfulint/{f.code}-{f.name}",
        "fingerprint": fingerprint,
        "severity": SEVERITIES[f.severity],
        "categories": ["Bug Risk"] if f.code[3:4] != "7" else ["Security"],
        "location": {"path": rel_path(f.span.path, root), "lines": lines},
        "content": {"body": body + docs.url(f.code)},
    }


def render(result) -> str:
    root = result.root or Path.cwd()
    issues = [_issue(f, root, result.fingerprint(f)) for f in result.findings]
    return json.dumps(issues, indent=2) + "\n"
