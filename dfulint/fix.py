"""`--fix` and `--diff`: apply the exact line edits that findings carry (Finding.edits).

An edit replaces lines [line, end_line] of a file with `text` (None deletes them), and holds the
exact current text of those lines in `expect`. An edit is applied only when the file on disk still
holds exactly that text; otherwise it is skipped and the file is left alone. Edits of one file that
overlap are applied one at a time: the first wins, and the next run (fix_until_stable) re-checks
the file and applies what is still needed. An edit with line 0 appends `text` to the file (creating
it), and `expect` must then be the file's whole current text ("" when it does not exist).

Line endings (\\n or \\r\\n) and a missing final newline are kept as the file has them.
"""
from __future__ import annotations

import difflib
from pathlib import Path

from dfulint.core import Edit

TYPE_CHECKING = False      # (typing.TYPE_CHECKING without importing typing)
if TYPE_CHECKING:
    from typing import Callable, Optional


class FilePlan:
    """The edits --fix makes to one file, and the text before and after."""
    __slots__ = ("path", "old", "new", "edits", "findings")

    path: Path
    old: Optional[str]                  # current text; None when the file does not exist
    new: str
    edits: list                         # the Edit objects applied
    findings: list                      # the findings they mend

    def __init__(self, path: Path, old: Optional[str], new: str, edits: Optional[list] = None,
                 findings: Optional[list] = None) -> None:
        self.path = path
        self.old = old
        self.new = new
        self.edits = [] if edits is None else edits
        self.findings = [] if findings is None else findings

    def __repr__(self) -> str:
        return f"FilePlan({self.path!r}, edits={len(self.edits)}, findings={len(self.findings)})"


class Plan:
    """Every file --fix changes, and the edits it skipped or left for a later pass."""
    __slots__ = ("files", "skipped", "deferred")

    files: list[FilePlan]
    skipped: list[tuple[Edit, str]]     # (edit, why)
    deferred: int                       # edits overlapping one already planned: next pass

    def __init__(self, files: Optional[list[FilePlan]] = None, skipped: Optional[list[tuple[Edit, str]]] = None,
                 deferred: int = 0) -> None:
        self.files = [] if files is None else files
        self.skipped = [] if skipped is None else skipped
        self.deferred = deferred

    def __repr__(self) -> str:
        return f"Plan(files={self.files!r}, skipped={len(self.skipped)}, deferred={self.deferred!r})"

    @property
    def changes(self) -> bool:
        return any(fp.old != fp.new for fp in self.files)

    @property
    def fixed(self) -> int:
        return sum(len(fp.findings) for fp in self.files)


def read_fresh(path: Path) -> tuple[Optional[str], str]:
    """(text, why-not). Read fresh from disk, never from a cache: the file may have changed; an
    editor's unsaved buffer of the file counts as its text."""
    from dfulint.sources import overlay_text

    buffer = overlay_text(path)
    if buffer is not None:
        return buffer, ""
    import os

    from dfulint import files
    if not os.path.lexists(path):
        return None, ""
    data, why = files.read_bytes(path)      # regular files inside the project only
    if why is not None:
        return None, why.message
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None, "not UTF-8"
    return text, ""


def _eol(lines: list[str]) -> str:
    for ln in lines:
        if ln.endswith("\r\n"):
            return "\r\n"
        if ln.endswith("\n"):
            return "\n"
    return "\n"


def _apply_to_text(text: Optional[str], edits: list[Edit]) -> tuple[Optional[str], list[Edit], list[tuple[Edit, str]], int]:
    """Apply non-overlapping edits whose `expect` matches. Returns (new text, applied, skipped, deferred)."""
    bom = ""
    if text is not None and text.startswith("\ufeff"):
        bom, text = "\ufeff", text[1:]
    lines = (text or "").splitlines(keepends=True)
    eol = _eol(lines)
    applied, skipped, deferred = [], [], 0
    taken: list[tuple[int, int]] = []
    replacements = []
    appends = []
    for e in edits:
        if e.line == 0:
            if (text or "") != (e.expect or ""):
                skipped.append((e, "the file changed since it was checked"))
                continue
            appends.append(e)
            continue
        if text is None:
            skipped.append((e, "the file does not exist"))
            continue
        lo, hi = e.line, max(e.end_line or e.line, e.line)
        if lo < 1 or hi > len(lines):
            skipped.append((e, f"lines {lo}-{hi} are not in the file"))
            continue
        current = "\n".join(ln.rstrip("\r\n") for ln in lines[lo - 1:hi])
        if current != e.expect:
            skipped.append((e, f"line {lo} no longer reads as expected"))
            continue
        if any(not (hi < a or lo > b) for a, b in taken):
            deferred += 1
            continue
        taken.append((lo, hi))
        replacements.append((lo, hi, e))
        applied.append(e)
    for lo, hi, e in sorted(replacements, key=lambda r: -r[0]):
        last_has_eol = lines[hi - 1].endswith(("\n", "\r"))
        if e.text is None:
            new_lines = []
        else:
            parts = e.text.split("\n")
            new_lines = [p + eol for p in parts]
            if not last_has_eol:
                new_lines[-1] = new_lines[-1][: -len(eol)]
        lines[lo - 1:hi] = new_lines
    out = "".join(lines)
    for e in appends:
        if out and not out.endswith(("\n", "\r")):
            out += eol
        out += (e.text or "").replace("\n", eol) + ("" if (e.text or "").endswith("\n") else eol)
        applied.append(e)
    if text is None and not appends:
        return None, applied, skipped, deferred
    return bom + out, applied, skipped, deferred


def plan(findings: list) -> Plan:
    """What --fix would do to the files, without touching them."""
    by_path: dict[Path, list] = {}
    owners: dict[tuple, list] = {}          # one edit may mend several findings

    def key(e: Edit) -> tuple:
        return (str(e.path), e.line, e.end_line, e.expect, e.text)

    for f in findings:
        for e in f.edits or ():
            k = key(e)
            if k not in owners:
                owners[k] = []
                by_path.setdefault(e.path, []).append(e)
            if not any(x is f for x in owners[k]):
                owners[k].append(f)
    p = Plan()
    for path in sorted(by_path, key=str):
        edits = sorted(by_path[path], key=lambda e: (e.line, e.end_line or e.line))
        old, why = read_fresh(path)
        if why:
            p.skipped.extend((e, why) for e in edits)
            continue
        new, applied, skipped, deferred = _apply_to_text(old, edits)
        p.skipped.extend(skipped)
        p.deferred += deferred
        if applied and new is not None and new != old:
            fs = []
            for e in applied:
                for f in owners.get(key(e), []):
                    if not any(x is f for x in fs):
                        fs.append(f)
            p.files.append(FilePlan(path, old, new, applied, fs))
    return p


def diff(p: Plan, relative_to: Optional[Path] = None) -> str:
    """A unified diff of the plan (what `git apply` takes)."""
    out = []
    for fp in p.files:
        name = str(fp.path)
        if relative_to is not None:
            try:
                name = fp.path.resolve().relative_to(relative_to).as_posix()
            except ValueError:
                pass
        a = (fp.old or "").splitlines(keepends=True)
        b = fp.new.splitlines(keepends=True)
        for lines in (a, b):
            if lines and not lines[-1].endswith(("\n", "\r")):
                lines[-1] += "\n\\ No newline at end of file\n"
        out.extend(difflib.unified_diff(a, b, "/dev/null" if fp.old is None else f"a/{name}", f"b/{name}"))
    return "".join(out)


def write(p: Plan) -> list[Path]:
    """Write the planned files; a file that changed on disk since planning is left alone."""
    written = []
    for fp in p.files:
        now, why = read_fresh(fp.path)
        if why or now != fp.old:
            p.skipped.extend((e, "the file changed while fixing") for e in fp.edits)
            continue
        data = fp.new.encode("utf-8")
        tmp = fp.path.with_name(fp.path.name + ".dfulint-tmp")
        try:
            fp.path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_bytes(data)
            try:
                mode = fp.path.stat().st_mode if fp.path.exists() else None
                if mode is not None:
                    tmp.chmod(mode & 0o7777)
            except OSError:
                pass
            tmp.replace(fp.path)
        except OSError as exc:      # a read-only folder: the user's setup, not a bug; the file stays as it was
            p.skipped.extend((e, f"cannot write the file: {exc.strerror or exc}") for e in fp.edits)
            try:
                tmp.unlink()
            except OSError:
                pass
            continue
        written.append(fp.path)
    return written


class FixReport:
    """What --fix did over all its passes."""
    __slots__ = ("fixed", "files", "skipped", "passes")

    fixed: int                       # findings mended
    files: set
    skipped: list
    passes: int

    def __init__(self, fixed: int = 0, files: Optional[set] = None, skipped: Optional[list] = None,
                 passes: int = 0) -> None:
        self.fixed = fixed
        self.files = set() if files is None else files
        self.skipped = [] if skipped is None else skipped
        self.passes = passes

    def __repr__(self) -> str:
        return f"FixReport(fixed={self.fixed!r}, files={len(self.files)}, passes={self.passes!r})"


def fix_until_stable(run: Callable[[], object], max_passes: int = 10) -> tuple[object, FixReport]:
    """Check, fix, and check again until nothing more can be fixed; returns the last result."""
    from dfulint.sources import clear_caches

    report = FixReport()
    result = run()
    for _ in range(max_passes):
        p = plan(result.findings)
        report.skipped = p.skipped
        if not p.changes:
            break
        written = write(p)
        report.passes += 1
        report.files.update(written)
        report.fixed += sum(len(fp.findings) for fp in p.files if fp.path in written)
        clear_caches()
        result = run()
        if not written:
            break
    return result, report
