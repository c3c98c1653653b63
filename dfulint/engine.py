"""Runs the selected rules over every app and board, and orders what they find."""
from __future__ import annotations

import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

from dfulint.checks import RULES, load_all
from dfulint.core import Finding, Severity
from dfulint.workspace import App, describe_app, find_apps


@dataclass
class Options:
    select: Optional[set[str]] = None          # None: every rule
    ignore: set[str] = field(default_factory=set)
    severities: dict[str, Severity] = field(default_factory=dict)
    boards: tuple[str, ...] = ()
    sdk_version: Optional[str] = None
    build_dir: Optional[Path] = None
    debug: bool = False
    per_app: Optional[Callable[[Path], "Options"]] = None   # config files may differ per app


@dataclass
class AppResult:
    app: App
    targets: list = field(default_factory=list)


@dataclass
class Result:
    findings: list[Finding] = field(default_factory=list)
    apps: list[AppResult] = field(default_factory=list)
    internal_errors: list[str] = field(default_factory=list)


def _enabled(code: str, opts: Options) -> bool:
    if opts.select is not None and code not in opts.select:
        return False
    return code not in opts.ignore


def check_app(root: Path, opts: Options, result: Result) -> None:
    from dfulint.model.project import build_targets

    load_all()
    try:
        app = describe_app(root, opts.boards, opts.sdk_version, opts.build_dir)
        targets = build_targets(app)
    except Exception as exc:  # a bug in dfulint, never the user's fault
        if opts.debug:
            raise
        result.internal_errors.append(f"{root}: building the model failed: {type(exc).__name__}: {exc}")
        return
    result.apps.append(AppResult(app, targets))
    seen: dict[tuple, Finding] = {}
    for t in targets:
        for code in sorted(RULES):
            if not _enabled(code, opts):
                continue
            r = RULES[code]
            try:
                produced = list(r.func(t) or ())
            except Exception as exc:
                if opts.debug:
                    raise
                tb = traceback.extract_tb(exc.__traceback__)[-1]
                result.internal_errors.append(
                    f"{root} [{t.board}]: rule {code} failed: {type(exc).__name__}: {exc} "
                    f"({Path(tb.filename).name}:{tb.lineno})")
                continue
            for f in produced:
                f.code, f.name = r.code, r.name
                f.severity = opts.severities.get(code) or f.severity or r.severity
                f.app, f.board = app.root, t.board or ""
                key = (f.code, f.span.path, f.span.line, f.span.col, f.message, f.image)
                if key in seen:
                    first = seen[key]
                    if t.board and t.board not in first.board.split(", "):
                        first.board = f"{first.board}, {t.board}" if first.board else t.board
                    continue
                seen[key] = f
    result.findings.extend(seen.values())


def run(paths: list[Path], opts: Options) -> Result:
    result = Result()
    for root in find_apps(paths):
        app_opts = opts.per_app(root) if opts.per_app else opts
        check_app(root, app_opts, result)
    result.findings.sort(key=lambda f: (str(f.app), f.board, str(f.span.path), f.span.line, f.span.col, f.code))
    return result
