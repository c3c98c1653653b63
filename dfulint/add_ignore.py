"""`check --add-ignore[=REASON]`: write a `dfulint: ignore[...]` comment for every reported finding.

For adopting dfulint on a product with known findings: the next run is clean, and unlike the
baseline (a separate file keyed by fingerprints), every accepted finding stays visible in the file
it is about, with its reason, where a reviewer sees it and a later edit can remove it.

    # dfulint: ignore[DFU402,DFU403] accepted before adopting dfulint        (.conf, YAML, CMake, Kconfig)
    /* dfulint: ignore[DFU313] accepted before adopting dfulint */           (devicetree)

A directive goes on a line of its own directly above the finding's line, indented like it (in
Kconfig fragments it cannot stand after a value). An ignore directive that already covers the line
gets the new codes in its brackets instead. The comments are written with the edit machinery of
--fix (dfulint.fix): each edit names the text it expects, so a file changed meanwhile is left alone,
and line endings, a BOM and a missing final newline are kept.

What is written is checked against dfulint's own reader of directives (dfulint.suppressions) before
anything is written, and by a second run afterwards: some findings are about a whole file and are
reported at its line 1 whatever that line holds (e.g. DFU604), so a comment inserted above line 1
leaves them on the comment itself; those get `dfulint: file-ignore[...]` instead.
"""
from __future__ import annotations

import bisect
import re
from pathlib import Path

from dfulint import fix
from dfulint.core import Edit, Finding
from dfulint.records import NamedTuple
from dfulint.suppressions import Directive, dts_comments, language, parse

TYPE_CHECKING = False      # (typing.TYPE_CHECKING without importing typing)
if TYPE_CHECKING:
    from typing import Callable, Optional


class _Target:
    """Findings of one line of one file that one directive will cover."""
    __slots__ = ("path", "line", "kind", "findings")

    path: Path                  # resolved: the comment goes where the file really is
    line: int                   # the findings' line (1-based)
    kind: str                   # "ignore" or "file-ignore"
    findings: list[Finding]

    def __init__(self, path: Path, line: int, kind: str, findings: Optional[list[Finding]] = None) -> None:
        self.path = path
        self.line = line
        self.kind = kind
        self.findings = [] if findings is None else findings

    def __repr__(self) -> str:
        return f"_Target({self.path!r}, {self.line!r}, {self.kind!r}, findings={len(self.findings)})"

    @property
    def codes(self) -> list[str]:
        return sorted({f.code for f in self.findings})


class _Carrier(NamedTuple):
    """What fix.plan takes from a finding: the edits to make (here one directive each)."""

    edits: list


class _Written:
    """A directive line this run inserted: where it ended up, its text and the codes it names."""
    __slots__ = ("path", "line", "text", "codes", "lang")

    path: Path
    line: int
    text: str
    codes: list[str]
    lang: str

    def __init__(self, path: Path, line: int, text: str, codes: list[str], lang: str) -> None:
        self.path = path
        self.line = line
        self.text = text
        self.codes = codes
        self.lang = lang

    def __repr__(self) -> str:
        return f"_Written({self.path!r}, {self.line!r}, {self.text!r}, {self.codes!r}, {self.lang!r})"


class AddReport:
    """What --add-ignore did: directives written or extended, findings they cover, files changed,
    and the findings no directive can cover, each with the reason."""
    __slots__ = ("directives", "findings", "files", "refused")

    directives: int
    findings: int
    files: set
    refused: list[tuple[Finding, str]]

    def __init__(self, directives: int = 0, findings: int = 0, files: Optional[set] = None,
                 refused: Optional[list[tuple[Finding, str]]] = None) -> None:
        self.directives = directives
        self.findings = findings
        self.files = set() if files is None else files
        self.refused = [] if refused is None else refused

    def __repr__(self) -> str:
        return (f"AddReport(directives={self.directives!r}, findings={self.findings!r}, files={len(self.files)}, "
                f"refused={len(self.refused)})")

    def messages(self) -> list[str]:
        from dfulint.report import display_path

        out = [f"dfulint: cannot add a suppression for {display_path(f.span.path)}:{f.span.line} {f.code}: {why}"
               for f, why in self.refused]
        out.append(f"dfulint: added {self.directives} suppression{'s' * (self.directives != 1)} for "
                   f"{self.findings} finding{'s' * (self.findings != 1)} in {len(self.files)} "
                   f"file{'s' * (len(self.files) != 1)}")
        return out


def reason_problem(reason: str) -> Optional[str]:
    """Why REASON cannot go into a one-line comment, or None when it can."""
    if len(reason.strip().splitlines()) > 1:
        return "the reason must be a single line"
    if "*/" in reason:
        return "the reason cannot hold `*/` (it would end a devicetree comment)"
    return None


# ------------------------------------------------------------------ which findings can carry one

def _refusal(f: Finding, build_dirs: dict) -> Optional[str]:
    """Why no comment can suppress finding `f` (the file is missing, generated, someone else's...)."""
    from dfulint.files import git_top
    from dfulint.files import inside

    path = f.span.path
    if not f.span.line or f.span.line < 1:
        return "the finding points at no line"
    if language(path) is None:
        return "dfulint reads no suppression comments in this kind of file"
    if not path.is_file():
        return "the file does not exist (the finding is about a file to create)"
    build_dir = build_dirs.get(f.app)
    if f.evidence == "build" or (build_dir is not None and inside(path, build_dir, resolve=True)):
        return "the file is an output of the build directory"
    if f.app is not None and git_top(path) != git_top(f.app):
        return "the file belongs to another repository (the SDK or a module)"
    return None


# ------------------------------------------------------------------ where a comment line is safe

def _line_starts(text: str) -> list[int]:
    out, pos = [], 0
    for s in text.splitlines(keepends=True):
        out.append(pos)
        pos += len(s)
    return out


def _starting_inside(text: str, spans: list[tuple[int, int]], why: str) -> dict[int, str]:
    """Lines (1-based) that start inside one of the [start, end) spans of `text`."""
    starts = _line_starts(text)
    out = {}
    for a, b in spans:
        for i in range(bisect.bisect_right(starts, a), bisect.bisect_left(starts, b)):
            out[i + 1] = why
    return out


def _after_backslash(text: str, why: str) -> dict[int, str]:
    """Lines that continue the line before them (a trailing backslash joins them)."""
    lines = text.splitlines()
    return {i + 2: why for i, s in enumerate(lines[:-1]) if s.rstrip(" \t").endswith("\\")}


def _yaml_continued(text: str) -> dict[int, str]:
    """Lines inside a scalar begun on an earlier line (block scalar, or a quoted or plain value
    over several lines): a `#` line there becomes part of the value or ends it."""
    import yaml

    out = {}
    try:
        for tok in yaml.scan(text):
            if isinstance(tok, yaml.ScalarToken) and tok.end_mark.line > tok.start_mark.line:
                last = tok.end_mark.line - (tok.end_mark.column == 0)
                for i in range(tok.start_mark.line + 1, last + 1):
                    out[i + 1] = "the line continues a YAML value begun on an earlier line"
    except yaml.YAMLError:
        pass            # a malformed file: the lines scanned before the error are known
    return out


_BRACKET_OPEN = re.compile(r"\[(=*)\[")


def _cmake_spans(text: str) -> list[tuple[int, int]]:
    """[start, end) offsets of CMake's quoted arguments, bracket arguments and bracket comments,
    which may span lines (line comments cannot, and are skipped)."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        m = _BRACKET_OPEN.match(text, i + 1 if c == "#" else i) if c in "#[" else None
        if m:
            close = f"]{m.group(1)}]"
            j = text.find(close, m.end())
            j = n if j < 0 else j + len(close)
            out.append((i, j))
            i = j
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append((i, min(j + 1, n)))
            i = j + 1
        elif c == "#":
            j = text.find("\n", i)
            i = n if j < 0 else j
        else:
            i += 1
    return out


def _hazards(path: Path, text: str, lang: str) -> dict[int, str]:
    """Lines above which a comment line would change what the file says, and why."""
    name = path.name
    if lang == "dts":
        out = _after_backslash(text, "the line continues a preprocessor line ending in a backslash")
        out.update(_starting_inside(text, dts_comments(text), "the line starts inside a /* */ comment"))
        return out
    if name.endswith((".yml", ".yaml")):
        return _yaml_continued(text)
    if name == "CMakeLists.txt" or name.endswith(".cmake"):
        return _starting_inside(text, _cmake_spans(text), "the line is inside a quoted or bracket argument")
    if name.startswith("Kconfig"):
        return _after_backslash(text, "the line continues the line before it (backslash)")
    return {}     # Kconfig fragments: one line is one assignment or comment


# ------------------------------------------------------------------ the comments

def _directive(lang: str, indent: str, kind: str, codes: list[str], reason: str) -> str:
    body = f"dfulint: {kind}[{','.join(codes)}]" + (f" {reason}" if reason else "")
    return f"{indent}/* {body} */" if lang == "dts" else f"{indent}# {body}"


def _indent(s: str) -> str:
    return s[: len(s) - len(s.lstrip(" \t"))]


def _extended(d: Directive, codes: list[str]) -> str:
    """The line of directive `d` with `codes` added to its brackets, in the separator it uses."""
    a, b = d.bracket
    s = d.line_text
    body = s[a + 1:b]
    sep = ", " if ", " in body else ","
    new = sep.join(c for c in codes if c not in d.selectors)
    return s[:a + 1] + (body.rstrip() + sep + new if body.strip() else new) + s[b:]


def _existing(ds: list[Directive], t: _Target) -> Optional[Directive]:
    """The directive of the file that already covers the target's line (the closest above it),
    or for a file-ignore target the file's file-ignore directive, when it has brackets to extend."""
    if t.kind == "file-ignore":
        cands = [d for d in ds if d.kind == "file-ignore" and d.bracket is not None]
    else:
        cands = [d for d in ds if d.kind == "ignore" and d.target == t.line and d.bracket is not None]
    return max(cands, key=lambda d: d.line) if cands else None


def _file_edits(path: Path, text: str, lang: str, targets: list[_Target], reason: str
                ) -> tuple[list[tuple[Edit, list[_Target]]], dict[int, int], list[_Written]]:
    """One exact edit per changed line of the file; how many lines each original line moves down;
    and the directive lines inserted (their final line numbers)."""
    lines = text.splitlines()
    ds = parse(path, text, lang)
    above: dict[int, list[tuple[str, _Target]]] = {}   # line -> directives to insert above it
    replace: dict[int, tuple[str, list[_Target]]] = {}  # line -> its new text (an extended directive)
    for t in targets:
        d = _existing(ds, t)
        if d is not None:
            old, ts = replace.get(d.line, (None, []))
            cur = d if old is None else parse(path, old, lang)[0]
            replace[d.line] = (_extended(cur, t.codes), ts + [t])
        else:
            above.setdefault(t.line, []).append(
                (_directive(lang, _indent(lines[t.line - 1]), t.kind, t.codes, reason), t))
    edits, shift, written, moved = [], {}, [], 0
    for n in sorted(set(above) | set(replace)):
        ins = sorted(above.get(n, []), key=lambda x: x[1].kind != "file-ignore")   # file-ignore first
        new, ts = replace.get(n, (lines[n - 1], []))
        for k, (s, t) in enumerate(ins):
            written.append(_Written(path, n + moved + k, s, t.codes, lang))
        moved += len(ins)
        shift[n] = moved
        edits.append((Edit(path, n, n, lines[n - 1], "\n".join([s for s, _ in ins] + [new])),
                      ts + [t for _, t in ins]))
    return edits, shift, written


def _new_line(shift: dict[int, int], line: int) -> int:
    """Where original line `line` is once the directives are inserted."""
    before = [n for n in shift if n <= line]
    return line + (shift[max(before)] if before else 0)


def _covered(t: _Target, ds: list[Directive], line: int) -> bool:
    """Whether dfulint's own reader finds a directive naming all of the target's codes for `line`."""
    for d in ds:
        if d.kind != t.kind or (d.kind == "ignore" and d.target != line):
            continue
        named = set().union(*(d.codes.get(s, set()) for s in d.selectors)) if d.selectors else set()
        if set(t.codes) <= named:
            return True
    return False


def _not_covered_why(f: Finding) -> str:
    if f.code == "DFU007":
        return ("the finding is about a suppression comment itself: remove it or correct the rules it "
                "names (--fix removes unused ones)")
    return (f"line {f.span.line} holds no code (only a comment or blank), and a directive covers the next "
            "line that does")


# ------------------------------------------------------------------ planning and writing

def _attempt(targets: list[_Target], reason: str, rep: AddReport
             ) -> tuple[fix.Plan, dict[Edit, list[_Target]], list[_Written], list[_Target]]:
    """Plan a directive for every target, refusing those whose file or line cannot take one.
    Returns the plan, the targets each edit covers, the directive lines inserted, and the planned
    targets dfulint's own reader would not find covered in the planned text."""
    by_path: dict[Path, list[_Target]] = {}
    for t in targets:
        by_path.setdefault(t.path, []).append(t)
    carriers, owners, written, layout = [], {}, [], {}
    for path, ts in by_path.items():
        text, why = fix.read_fresh(path)
        if text is None:
            why = "the file is not valid UTF-8; it is not rewritten" if why == "not UTF-8" else why
            rep.refused.extend((f, why or "the file does not exist") for t in ts for f in t.findings)
            continue
        text = text[1:] if text.startswith("\ufeff") else text
        lang = language(path)
        hazards, n_lines = _hazards(path, text, lang), len(text.splitlines())
        ok = []
        for t in ts:
            why = f"line {t.line} is not in the file" if t.line > n_lines else hazards.get(t.line)
            if why:
                rep.refused.extend((f, why) for f in t.findings)
            else:
                ok.append(t)
        edits, shift, w = _file_edits(path, text, lang, ok, reason)
        layout[path] = (lang, shift, ok)
        written.extend(w)
        for e, covers in edits:
            carriers.append(_Carrier([e]))
            owners[e] = covers
    p = fix.plan(carriers)
    for e, why in p.skipped:
        for t in owners.pop(e, []):
            rep.refused.extend((f, why) for f in t.findings)
    planned = {id(t) for ts in owners.values() for t in ts}
    missed = []
    for fp in p.files:
        lang, shift, ts = layout[fp.path]
        new = fp.new[1:] if fp.new.startswith("\ufeff") else fp.new
        ds = parse(fp.path, new, lang)
        missed.extend(t for t in ts if id(t) in planned and not _covered(t, ds, _new_line(shift, t.line)))
    return p, owners, written, missed


def _plan(targets: list[_Target], reason: str, rep: AddReport
          ) -> tuple[Optional[fix.Plan], dict[Edit, list[_Target]], list[_Written]]:
    """Edits for every target, checked with dfulint's reader of directives. A target it would not
    cover (its line holds no code) becomes a file-ignore when its findings are about the whole file
    (reported at 1:1), and is refused otherwise; then the rest is planned again."""
    for _ in range(3):
        p, owners, written, missed = _attempt(targets, reason, rep)
        if not missed:
            return p, owners, written
        gone = {id(t) for t in missed}
        targets = [t for ts in owners.values() for t in ts if id(t) not in gone]
        targets = list({id(t): t for t in targets}.values())
        for t in missed:
            whole = [f for f in t.findings if t.kind == "ignore" and f.span.line == 1 and f.span.col == 1]
            rep.refused.extend((f, _not_covered_why(f)) for f in t.findings if not any(f is x for x in whole))
            if whole:
                targets.append(_Target(t.path, 1, "file-ignore", whole))
    return None, {}, []


def _targets(findings: list[Finding], build_dirs: dict, rep: AddReport) -> list[_Target]:
    by_line: dict[tuple[Path, int], _Target] = {}
    for f in findings:
        why = _refusal(f, build_dirs)
        if why:
            rep.refused.append((f, why))
            continue
        path = f.span.path.resolve()
        t = by_line.setdefault((path, f.span.line), _Target(path, f.span.line, "ignore"))
        t.findings.append(f)
    return list(by_line.values())


def _write(p: fix.Plan, owners: dict, rep: AddReport) -> set:
    written = set(fix.write(p))
    for fp in p.files:
        if fp.path not in written:
            continue
        rep.files.add(fp.path)
        for e in fp.edits:
            for t in owners.get(e, []):
                rep.directives += 1
                rep.findings += len(t.findings)
    for e, why in p.skipped:
        for t in owners.get(e, []):
            rep.refused.extend((f, why) for f in t.findings)
    return written


def _whole_file(result, inserted: list[_Written], reason: str, rep: AddReport) -> bool:
    """Findings still reported on a directive line this run inserted are about the whole file (they
    stay at line 1 whatever it holds): turn their codes into a file-ignore directive there."""
    at = {(w.path, w.line): w for w in inserted}
    pinned: dict[tuple[Path, int], set] = {}
    for f in result.findings:
        w = at.get((f.span.path.resolve(), f.span.line))
        if w is not None and f.code in w.codes:
            pinned.setdefault((w.path, w.line), set()).add(f.code)
    if not pinned:
        return False
    carriers = []
    for key, codes in pinned.items():
        w = at[key]
        indent = _indent(w.text)
        new = [_directive(w.lang, indent, "file-ignore", sorted(codes), reason)]
        rest = [c for c in w.codes if c not in codes]
        if rest:
            new.append(_directive(w.lang, indent, "ignore", rest, reason))
            rep.directives += 1
        carriers.append(_Carrier([Edit(w.path, w.line, w.line, w.text, "\n".join(new))]))
    p = fix.plan(carriers)
    fix.write(p)
    return True


def add_ignores(run: Callable[[], object], reason: str = "") -> tuple[object, AddReport]:
    """Check, write a directive for every reported finding that can carry one, and check again;
    returns the last result (what remains) and what was done."""
    rep = AddReport()
    result = run()
    build_dirs = {a.app.root: a.app.build_dir for a in result.apps}
    targets = _targets(result.findings, build_dirs, rep)
    p, owners, inserted = _plan(targets, reason.strip(), rep) if targets else (None, {}, [])
    if p is None or not p.changes:
        return result, rep
    written = _write(p, owners, rep)
    if not written:
        return result, rep
    result = run()
    if _whole_file(result, [w for w in inserted if w.path in written], reason.strip(), rep):
        result = run()
    return result, rep


def suppression_plan(findings: list[Finding], reason: str = "") -> Optional[fix.Plan]:
    """The edits --add-ignore would make for these findings, planned but not written (the language
    server offers them as a code action); None when no comment can cover any of them."""
    rep = AddReport()
    targets = _targets(findings, {}, rep)
    if not targets:
        return None
    p, _, _ = _plan(targets, reason.strip(), rep)
    return p
