"""SARIF 2.1.0 for code scanning (GitHub, GitLab, Azure DevOps, IDE viewers).

Artifact URIs are relative to the repository root (`%SRCROOT%`); every rule dfulint has is
described with its page (help text and URI); each result carries the stable fingerprint that the
baseline uses too. Suppressed findings are listed with a `suppressions` entry (inSource for a
comment, external for the baseline), as SARIF consumers expect.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import quote

from dfulint import __version__, docs
from dfulint.baseline import FINGERPRINT_KEY, rel_path
from dfulint.core import Severity

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
INFORMATION_URI = "https://github.com/dfulint/dfulint"
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
# GitHub code scanning ranks security alerts by `security-severity` (CVSS-like, 0.0-10.0): critical
# from 9.0, high from 7.0, medium from 4.0. Given to the rules about who can update a device.
SECURITY_SEVERITY = {
    "DFU701": "8.1",   # anyone in radio range can upload and confirm firmware
    "DFU702": "8.1",   # images signed with a published private key
    "DFU707": "9.1",   # no signature check at all
    "DFU706": "6.5",   # update images encrypted with a published key
    "DFU704": "6.1",   # serial recovery without authentication
    "DFU705": "5.3",   # image management over unauthenticated transports
    "DFU703": "4.3",   # rollback to a vulnerable release
}
_DEFAULT_SECURITY = {Severity.ERROR: "8.0", Severity.WARNING: "6.0", Severity.INFO: "4.0"}


def security_severity(r) -> str | None:
    """The `security-severity` of a rule of the security family, None for the others."""
    if r.code in SECURITY_SEVERITY:
        return SECURITY_SEVERITY[r.code]
    if r.code.startswith("DFU7"):
        return _DEFAULT_SECURITY[r.severity]
    return None


def _first_paragraph(text: str) -> str:
    return text.strip().split("\n\n", 1)[0].replace("\n", " ").strip()


def _rule(r, profile: str = "development") -> dict:
    from dfulint.checks import severity_of

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
        "defaultConfiguration": {"level": LEVELS[severity_of(r, None, profile)]},
        "properties": {"tags": ["dfu", "firmware-update", r.family],
                       "fixable": r.fixable},
    }
    sec = security_severity(r)
    if sec is not None:
        d["properties"]["tags"].append("security")
        d["properties"]["security-severity"] = sec
    return d


def _placeholder(path) -> bool:
    """A span that names no file (dfulint's own tables: `<knowledge>`)."""
    text = str(path)
    return text.startswith("<")


def _location(span, root: Path, message: str = "") -> dict:
    region = {"startLine": max(1, span.line), "startColumn": max(1, span.col)}
    if span.end_line and span.end_line >= span.line:
        region["endLine"] = span.end_line
        if span.end_col and (span.end_line > span.line or span.end_col > span.col):
            region["endColumn"] = span.end_col
    uri = rel_path(span.path, root)
    art = {"uri": quote(os.fsencode(uri), safe="/"), "uriBaseId": "%SRCROOT%"} if not Path(uri).is_absolute() \
        else {"uri": Path(uri).as_uri()}
    loc = {"physicalLocation": {"artifactLocation": art, "region": region}}
    if message:
        loc["message"] = {"text": message}
    return loc


def _main_span(f):
    """The finding's place; one that names no file stands at the app's first configuration file."""
    if not _placeholder(f.span.path):
        return f.span
    from dfulint.core import Span
    for name in ("prj.conf", "CMakeLists.txt", "sample.yaml"):
        if f.app is not None and (f.app / name).is_file():
            return Span(f.app / name, 1, 1)
    return None


def _result(f, index: dict, root: Path, fingerprint: str, suppression=None) -> dict:
    title = f.title.rstrip()
    text = f.message.rstrip()
    if not text.startswith(title.rstrip("\u2026")):
        text = f"{title}\n\n{text}"
    if f.fix:
        text += f"\nFix: {f.fix}"
    res = {
        "ruleId": f.code,
        "level": LEVELS[f.severity],
        "message": {"text": text},
        "locations": [_location(sp, root) for sp in (_main_span(f),) if sp is not None],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint},
        "properties": {k: v for k, v in (("board", f.board), ("image", f.image), ("anchor", f.anchor),
                                         ("evidence", f.evidence),
                                         ("app", rel_path(f.app, root) if f.app else "")) if v},
    }
    if f.code in index:
        res["ruleIndex"] = index[f.code]
    if f.related:
        rel = [s for s in f.related if not _placeholder(s.path)]
        if rel:
            res["relatedLocations"] = [dict(_location(s, root, "related"), id=i + 1) for i, s in enumerate(rel)]
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


def _context(a, root: Path) -> dict:
    d = a.app.context.to_dict()
    d["app"] = rel_path(a.app.root, root)
    d["summary"] = [a.app.context.summary(t.board) for t in a.targets] or [a.app.context.summary(None)]
    return d


def sarif_dict(result) -> dict:
    from dfulint.checks import load_all

    rules = sorted(load_all().values(), key=lambda r: r.code)
    index = {r.code: i for i, r in enumerate(rules)}
    root = result.root or Path.cwd()
    results = [_result(f, index, root, result.fingerprint(f)) for f in result.findings]
    results += [_result(s.finding, index, root, result.fingerprint(s.finding), s) for s in result.suppressed]
    profiles = getattr(result, "profiles", None) or ["development"]
    profile = profiles[0] if len(profiles) == 1 else "mixed"
    invocation = {"executionSuccessful": not result.internal_errors, "properties": {"profile": profile}}
    if result.internal_errors:
        invocation["toolExecutionNotifications"] = [
            {"level": "error", "message": {"text": e}, "descriptor": {"id": "internal-error"}}
            for e in result.internal_errors]
    run = {
        "tool": {"driver": {"name": "dfulint", "version": __version__, "semanticVersion": __version__,
                            "informationUri": INFORMATION_URI, "rules": [_rule(r, profile) for r in rules]}},
        "originalUriBaseIds": {"%SRCROOT%": {"uri": root.resolve().as_uri() + "/"}},
        "columnKind": "unicodeCodePoints",
        "invocations": [invocation],
        "properties": {"profile": profile,
                       "verdicts": [dict(v.as_dict(), app=rel_path(a.app.root, root) if a.app.root else "")
                                    for a in result.apps for v in getattr(a, "verdicts", [])]},
        "results": results,
    }
    apps = [_context(a, root) for a in result.apps if getattr(a.app, "context", None) is not None]
    if apps:
        # what each app was checked as (boards, SDK, build system) with evidence and confidence
        run.setdefault("properties", {})["dfulint/context"] = apps
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def render(result) -> str:
    return json.dumps(sarif_dict(result), indent=2) + "\n"
