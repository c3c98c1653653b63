"""JSON output, schema version 1 (documented in the README)."""
from __future__ import annotations

import json

from dfulint import __version__
from dfulint.core import Severity
from dfulint.report import rel_to_app

SCHEMA_VERSION = 1


def finding_dict(f) -> dict:
    return {
        "code": f.code,
        "name": f.name,
        "severity": f.severity.label,
        "message": f.message,
        "path": rel_to_app(f),
        "line": f.span.line,
        "column": f.span.col,
        "app": str(f.app) if f.app else None,
        "board": f.board or None,
        "image": f.image or None,
        "fix": f.fix or None,
        "evidence": f.evidence,
        "anchor": f.anchor or None,
    }


def suppressed_dict(s) -> dict:
    """A finding kept out of the results by a `dfulint: ignore` comment or the baseline."""
    d = finding_dict(s.finding)
    d["suppression"] = {"kind": s.kind,
                        "path": str(s.where.path) if s.where is not None else None,
                        "line": s.where.line if s.where is not None else None,
                        "reason": s.reason or None}
    return d


def render(result) -> str:
    by = {s.label: sum(1 for f in result.findings if f.severity == s) for s in Severity}
    doc = {
        "version": SCHEMA_VERSION,
        "tool": {"name": "dfulint", "version": __version__},
        "findings": [finding_dict(f) for f in result.findings],
        "suppressed": [suppressed_dict(s) for s in getattr(result, "suppressed", [])],
        "summary": {
            "findings": len(result.findings),
            "by_severity": by,
            "apps": [
                {"app": str(a.app.root), "sdk_version": str(a.app.sdk), "sdk_source": a.app.sdk.source,
                 "framework": a.app.framework, "build_system": a.app.build_system,
                 "boards": [t.board for t in a.targets if t.board]}
                for a in result.apps
            ],
        },
    }
    return json.dumps(doc, indent=2) + "\n"
