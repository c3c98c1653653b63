"""JSON output, schema version 2 (documented in the README).

Version 2 changed `board` from a comma-separated string to a list of boards and added `headline`,
`explanation`, `fixable` and the per-board `verdicts`; every other field keeps its meaning."""
from __future__ import annotations

import io
import json
from types import GeneratorType

from dfulint import __version__
from dfulint.core import Severity
from dfulint.report import rel_to_app

SCHEMA_VERSION = 2


def finding_dict(f, names=None) -> dict:
    return {
        "code": f.code,
        "name": f.name,
        "severity": f.severity.label,
        "headline": f.title,
        "explanation": f.message,
        "message": f.message,
        "path": rel_to_app(f),
        "line": f.span.line,
        "column": f.span.col,
        "app": str(f.app) if f.app else None,
        "board": [names(b) if names else b for b in f.boards],
        "image": f.image or None,
        "fix": f.fix or None,
        "fixable": bool(f.edits),
        "evidence": f.evidence,
        "anchor": f.anchor or None,
    }


def suppressed_dict(s, names=None) -> dict:
    """A finding kept out of the results by a `dfulint: ignore` comment or the baseline."""
    d = finding_dict(s.finding, names)
    d["suppression"] = {"kind": s.kind,
                        "path": str(s.where.path) if s.where is not None else None,
                        "line": s.where.line if s.where is not None else None,
                        "reason": s.reason or None}
    return d


def board_names(result):
    """raw board -> the SDK's spelling, per app (a function of (app, board))."""
    apps = {a.app.root: a for a in result.apps}

    def for_finding(f):
        a = apps.get(f.app)
        return (lambda b: a.board_name(b)) if a is not None else None
    return for_finding


def verdicts(result) -> list:
    return [dict(v.as_dict(), app=str(a.app.root)) for a in result.apps for v in getattr(a, "verdicts", [])]


def _profile(result) -> str:
    """The profile in force ("development" or "release"; "mixed" when configuration files differ)."""
    profiles = getattr(result, "profiles", None) or ["development"]
    return profiles[0] if len(profiles) == 1 else "mixed"


def app_summary(a) -> dict:
    """One app's entry in the summary: SDK, framework, build system, profile, boards, verdicts and
    the context dfulint worked out."""
    return {"app": str(a.app.root), "sdk_version": str(a.app.sdk), "sdk_source": a.app.sdk.source,
            "framework": a.app.framework, "build_system": a.app.build_system,
            "profile": a.options.profile if getattr(a, "options", None) is not None else "development",
            "boards": [a.board_name(t.board) for t in a.targets if t.board],
            "file_suffix": ({"name": a.app.file_suffix, "source": a.app.file_suffix_source}
                            if getattr(a.app, "file_suffix", None) else None),
            "verdicts": [v.as_dict() for v in getattr(a, "verdicts", [])],
            **({"context": a.app.context.to_dict(),
                "headers": {t.board or "": a.app.context.summary(t.board) for t in a.targets}}
               if getattr(a.app, "context", None) is not None else {})}


def _document(result, verdicts, findings, apps) -> dict:
    by = {s.label: sum(1 for f in result.findings if f.severity == s) for s in Severity}
    names = board_names(result)
    return {
        "version": SCHEMA_VERSION,
        "tool": {"name": "dfulint", "version": __version__},
        "verdicts": verdicts,
        "against": getattr(result, "against", None),      # check --against: the release compared with
        "findings": findings,
        "suppressed": [suppressed_dict(s, names(s.finding)) for s in getattr(result, "suppressed", [])],
        "summary": {
            "profile": _profile(result),
            "findings": len(result.findings),
            "by_severity": by,
            "apps": apps,
        },
    }


def render(result) -> str:
    names = board_names(result)
    doc = _document(result, verdicts(result),
                    (finding_dict(f, names(f)) for f in result.findings),    # built as written
                    [app_summary(a) for a in result.apps])
    return dumps(doc) + "\n"


def dumps(doc, indent: int = 2, level: int = 0) -> str:
    """json.dumps(doc, indent=2), byte for byte, without its peak memory: the standard encoder
    keeps every token of the document as a separate string until it joins them, several times the
    size of the text for a run over many apps. Lists and mappings near the top are written item by
    item."""
    pad = " " * (indent * (level + 1))
    if isinstance(doc, GeneratorType):          # a list whose items are built one at a time
        items = [pad + dumps(v, indent, level + 1) for v in doc]
        return "[\n" + ",\n".join(items) + "\n" + " " * (indent * level) + "]" if items else "[]"
    if level >= 2 or not doc or not isinstance(doc, (dict, list)) or \
            (isinstance(doc, dict) and not all(isinstance(k, str) for k in doc)):
        text = json.dumps(doc, indent=indent)
        return text.replace("\n", "\n" + " " * (indent * level)) if level and "\n" in text else text
    if isinstance(doc, dict):
        items = [f"{pad}{json.dumps(str(k))}: {dumps(v, indent, level + 1)}" for k, v in doc.items()]
        open_, close = "{", "}"
    else:
        items = [pad + dumps(v, indent, level + 1) for v in doc]
        open_, close = "[", "]"
    return open_ + "\n" + ",\n".join(items) + "\n" + " " * (indent * level) + close


class Stream:
    """The JSON report written app by app as each is checked, byte-identical to render(result):
    each app's verdicts, findings and summary entry are encoded when it finishes, kept as encoded
    text (in a temporary file once large), and the document is put together from them at the end.
    A run over many apps holds no document and no finding's dictionary."""

    #: encoded items kept in memory up to this size, then in a temporary file
    SPOOL_MAX = 4 << 20

    def __init__(self) -> None:
        self._spool = io.BytesIO()          # the encoded items, binary (tempfile only once large)
        self._verdicts: list = []      # (start, end) in the spool, per app in the order of the apps
        self._findings: list = []      # (str(app), start, end)
        self._apps: list = []

    def _put(self, items, level: int) -> tuple:
        pad = " " * (2 * (level + 1))
        text = ",\n".join(pad + dumps(v, 2, level + 1) for v in items)
        start = self._spool.tell()
        self._spool.write(text.encode("utf-8", "surrogatepass"))
        end = self._spool.tell()
        if end > self.SPOOL_MAX and isinstance(self._spool, io.BytesIO):
            import tempfile     # not before: importing it costs a check of one app more than the spool

            spool = tempfile.TemporaryFile()
            spool.write(self._spool.getbuffer())
            self._spool.close()
            self._spool = spool
        return start, end

    def __call__(self, app_result, findings) -> None:
        """Take one app (engine.Options.on_app): its findings are final and in report order."""
        a = app_result
        names = a.board_name
        vs = [dict(v.as_dict(), app=str(a.app.root)) for v in getattr(a, "verdicts", [])]
        if vs:
            self._verdicts.append(self._put(vs, 1))
        if findings:
            self._findings.append((str(a.app.root),) + self._put((finding_dict(f, names) for f in findings), 1))
        self._apps.append(self._put([app_summary(a)], 2))

    def _list(self, spans: list, level: int, out) -> None:
        if not spans:
            out("[]")
            return
        out("[\n")
        for i, (start, end) in enumerate(spans):
            if i:
                out(",\n")
            self._spool.seek(start)
            left = end - start
            while left > 0:
                chunk = self._spool.read(min(left, 1 << 20))
                left -= len(chunk)
                out(chunk.decode("utf-8", "surrogatepass"))
        out("\n" + " " * (2 * level) + "]")

    def write(self, result, out) -> None:
        """Write the whole document with `out(text)`, for the run's `result` (engine.Result: its
        findings, suppressed findings and apps are the ones this stream took)."""
        import os

        token = "dfulint-stream-" + os.urandom(8).hex()
        doc = _document(result, verdicts=token + "-v", findings=token + "-f", apps=token + "-a")
        text = dumps(doc) + "\n"
        spans = {token + "-v": (self._verdicts, 1),
                 token + "-f": ([(s, e) for _, s, e in sorted(self._findings, key=lambda x: x[0])], 1),
                 token + "-a": (self._apps, 2)}
        pos = 0
        while True:
            nxt = [(text.find(json.dumps(k), pos), k) for k in spans]
            nxt = [(i, k) for i, k in nxt if i >= 0]
            if not nxt:
                break
            i, k = min(nxt)
            out(text[pos:i])
            self._list(*spans.pop(k), out)
            pos = i + len(json.dumps(k))
        out(text[pos:])

    def close(self) -> None:
        self._spool.close()
