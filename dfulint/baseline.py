"""Stable fingerprints of findings, and the baseline file built from them.

A fingerprint is rule + file (relative to the repository root) + image + logical anchor (the
partition, symbol or node the finding is about), hashed. It does not contain a line number, so a
finding keeps its fingerprint when lines move. SARIF's partialFingerprints and the baseline use the
same value. When several findings share one, the second and later get `:2`, `:3`, ... in file order.

`dfulint check --baseline write FILE` records the current findings; `--baseline use FILE` then
reports only findings whose fingerprint is not in it.
"""
from __future__ import annotations

import json
from pathlib import Path

from dfulint.config import ConfigError

TYPE_CHECKING = False      # (typing.TYPE_CHECKING without importing typing)
if TYPE_CHECKING:
    from typing import Iterable, Optional

BASELINE_VERSION = 1
FINGERPRINT_KEY = "dfulint/v1"


def rel_path(path: Path, root: Path) -> str:
    """`path` relative to `root` with forward slashes; absolute when outside it."""
    try:
        return path.resolve().relative_to(root).as_posix()
    except (ValueError, OSError):
        return Path(path).as_posix()


# ------------------------------------------------------------------ fingerprints

def _anchor(f) -> str:
    if f.anchor:
        return f.anchor
    # no logical anchor: the text of the line, which survives lines moving around it
    from dfulint.sources import read_text

    lines = read_text(f.span.path).lines
    if 0 < f.span.line <= len(lines):
        return "line:" + " ".join(lines[f.span.line - 1].split())
    return f"line:{f.span.line}"


def base_fingerprint(f, root: Path) -> str:
    import hashlib   # only reports and baselines that show fingerprints pay for it

    key = "\x1f".join((f.code, rel_path(f.span.path, root), f.image or "", _anchor(f)))
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()[:32]


def fingerprints(findings: list, root: Path) -> dict[int, str]:
    """id(finding) -> fingerprint, numbering repeats in file order."""
    seen: dict[str, int] = {}
    out: dict[int, str] = {}
    order = sorted(findings, key=lambda f: (str(f.span.path), f.span.line, f.span.col, f.code, f.board, f.message))
    for f in order:
        fp = base_fingerprint(f, root)
        n = seen.get(fp, 0) + 1
        seen[fp] = n
        out[id(f)] = fp if n == 1 else f"{fp}:{n}"
    return out


# ------------------------------------------------------------------ the baseline file

class Baseline:
    """A baseline file: the fingerprints of accepted findings, each with its entry."""
    __slots__ = ("path", "entries")

    path: Path
    entries: dict[str, dict]           # fingerprint -> entry

    def __init__(self, path: Path, entries: Optional[dict[str, dict]] = None) -> None:
        self.path = path
        self.entries = {} if entries is None else entries

    def __repr__(self) -> str:
        return f"Baseline({self.path!r}, entries={len(self.entries)})"


def write(path: Path, findings: list, root: Path, fps: dict[int, str]) -> int:
    """Record `findings` (with their fingerprints `fps`) in a baseline file; returns how many."""
    from dfulint import __version__

    entries = []
    for f in findings:
        entries.append({"fingerprint": fps[id(f)], "code": f.code, "name": f.name,
                        "path": rel_path(f.span.path, root), "line": f.span.line,
                        "anchor": f.anchor or None, "image": f.image or None, "message": f.message})
    entries.sort(key=lambda e: (e["path"], e["code"], e["line"], e["fingerprint"]))
    doc = {"version": BASELINE_VERSION, "tool": {"name": "dfulint", "version": __version__},
           "about": "findings accepted when dfulint was adopted; `dfulint check --baseline use FILE` "
                    "reports only findings not listed here. Lines are informative; fingerprints decide.",
           "findings": entries}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write baseline: {exc.strerror or exc}", path) from None
    return len(entries)


def load(path: Path) -> Baseline:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("baseline file does not exist (create it with `--baseline write FILE`)", path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read baseline: {getattr(exc, 'strerror', None) or exc}", path) from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"baseline is not valid JSON: {exc.msg}", path, exc.lineno, exc.colno) from None
    if not isinstance(doc, dict) or doc.get("version") != BASELINE_VERSION or not isinstance(doc.get("findings"), list):
        raise ConfigError(f"not a dfulint baseline (expected {{\"version\": {BASELINE_VERSION}, \"findings\": [...]}})",
                          path, 1)
    b = Baseline(path)
    for i, e in enumerate(doc["findings"]):
        if not isinstance(e, dict) or not isinstance(e.get("fingerprint"), str):
            raise ConfigError(f"baseline entry {i + 1} has no fingerprint", path)
        b.entries[e["fingerprint"]] = e
    return b


def split(findings: list, baseline: Baseline, fps: dict[int, str]) -> tuple[list, list]:
    """(new findings, findings the baseline holds)."""
    new, known = [], []
    for f in findings:
        (known if fps.get(id(f)) in baseline.entries else new).append(f)
    return new, known


def fixed_entries(baseline: Baseline, seen: set, app_roots: Iterable[Path], root: Path) -> list[dict]:
    """Baseline entries for the checked apps that no finding matches any more."""
    prefixes = [rel_path(Path(r), root).rstrip("/") + "/" for r in app_roots]
    out = []
    for fp, e in baseline.entries.items():
        if fp in seen:
            continue
        p = str(e.get("path", ""))
        if any(p.startswith(pre) or pre == "./" for pre in prefixes):
            out.append(e)
    return out
