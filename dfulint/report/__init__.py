"""Reports render a Result; they never compute findings."""
from __future__ import annotations

import os
from pathlib import Path

from dfulint.core import Finding


def rel_to_app(f: Finding) -> str:
    """The finding's path relative to the checked app (JSON, SARIF per-app)."""
    try:
        return str(f.span.path.relative_to(f.app)) if f.app else str(f.span.path)
    except ValueError:
        return os.path.relpath(f.span.path, f.app) if f.app else str(f.span.path)


def display_path(path: Path, base: Path | None = None) -> str:
    """A path as a user can click it: relative to the current directory when below it."""
    from dfulint.core import printable

    base = base or Path.cwd()
    try:
        return printable(str(path.resolve().relative_to(base.resolve())))
    except (ValueError, OSError):
        return printable(str(path))
