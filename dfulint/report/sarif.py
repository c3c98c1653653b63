"""SARIF 2.1.0 for code scanning (GitHub, GitLab, Azure DevOps, IDE viewers).

Artifact URIs are relative to the repository root (`%SRCROOT%`); every rule dfulint has is
described with its page (help text and URI); each result carries the stable fingerprint that the
baseline uses too. Suppressed findings are listed with a `suppressions` entry (inSource for a
comment, external for the baseline), as SARIF consumers expect.
"""
from __future__ import annotations

import json
from pathlib import Path

from dfulint import __version__, docs
from dfulint.baseline import FINGERPRINT_KEY, rel_path
from dfulint.core import Severity

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
INFORMATION_URI = "https://github.com/dfulint/dfulint"
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def _first_paragraph(text: str) -> str:
    return text.strip().split("\n\n", 1)[0].replace("\n", " ").strip()


def _rule(r) -> dict:
    page = docs.page(r.code) or ""
    what = docs.section(r.code, "What it checks")
    device = docs.section(r.code, "What happens on the device")
    d = {
        "id": r.code,
        "name": r.name,
        "shortDescription": {"text": r.summary},
        "fullDescription": {"text": _first_paragraph(what) if what else r.summary},
        "helpUri": docs.url(r.code),
        "help": {"text": "\n\n".join(x for x in (what, device) if x) or r.summary,
                 "markdown": page.strip() or r.summary},
        "defaultConfiguration": {"level": LEVELS[r.severity]},
        "properties": {"tags": ["dfu", "firmware-update", r.family], "fixable": r.fixable},
    }
    return d


def _location(span, root: Path, message: str = "") -> dict:
    region = {"startLine": max(1, span.line), "startColumn": max(1, span.col)}
    if span.end_line and span.end_line >= span.line:
        region["endLine"] = span.end_line
        if span.end_col and (span.end_line > span.line or span.end_col > span.col):
            region["endColumn"] = span.end_col
    uri = rel_path(span.path, root)
    art = {"uri": uri, "uriBaseId": "%SRCROOT%"} if not Path(uri).is_absolute() else {"uri": Path(uri).as_uri()}
    loc = {"physicalLocation": {"artifactLocation": art, "region": region}}
    if message:
        loc["message"] = {"text": message}
    return loc


def _result(f, index: dict, root: Path, fingerprint: str, suppression=None) -> dict:
    text = f.message.rstrip()
    if f.fix:
        text += f"\nFix: {f.fix}"
    res = {
        "ruleId": f.code,
        "level": LEVELS[f.severity],
        "message": {"text": text},
        "locations": [_location(f.span, root)],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint},
        "properties": {k: v for k, v in (("board", f.board), ("image", f.image), ("anchor", f.anchor),
                                         ("evidence", f.evidence),
                                         ("app", rel_path(f.app, root) if f.app else "")) if v},
    }
    if f.code in index:
        res["ruleIndex"] = index[f.code]
    if f.related:
        res["relatedLocations"] = [dict(_location(s, root, "related"), id=i + 1) for i, s in enumerate(f.related)]
    if suppression is not None:
        if suppression.kind == "inline":
            sup = {"kind": "inSource", "status": "accepted"}
            if suppression.where is not None:
                sup["location"] = _location(suppression.where, root)
        else:
            sup = {"kind": "external", "status": "accepted"}
        if suppression.reason:
            sup["justification"] = suppression.reason
        res["suppressions"] = [sup]
    return res


def sarif_dict(result) -> dict:
    from dfulint.checks import load_all

    rules = sorted(load_all().values(), key=lambda r: r.code)
    index = {r.code: i for i, r in enumerate(rules)}
    root = result.root or Path.cwd()
    results = [_result(f, index, root, result.fingerprint(f)) for f in result.findings]
    results += [_result(s.finding, index, root, result.fingerprint(s.finding), s) for s in result.suppressed]
    invocation = {"executionSuccessful": not result.internal_errors}
    if result.internal_errors:
        invocation["toolExecutionNotifications"] = [
            {"level": "error", "message": {"text": e}, "descriptor": {"id": "internal-error"}}
            for e in result.internal_errors]
    run = {
        "tool": {"driver": {"name": "dfulint", "version": __version__, "semanticVersion": __version__,
                            "informationUri": INFORMATION_URI, "rules": [_rule(r) for r in rules]}},
        "originalUriBaseIds": {"%SRCROOT%": {"uri": root.resolve().as_uri() + "/"}},
        "columnKind": "unicodeCodePoints",
        "invocations": [invocation],
        "results": results,
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def render(result) -> str:
    return json.dumps(sarif_dict(result), indent=2) + "\n"
