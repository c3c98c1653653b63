"""Inline suppressions, written as comments in the file a finding points at.

    # dfulint: ignore[DFU402] the later value is the one we want      (.conf, YAML, CMake)
    /* dfulint: ignore[DFU201] */   or   // dfulint: ignore[slot-sectors-incompatible]   (devicetree)
    # dfulint: file-ignore[DFU4] generated file                        (the whole file)

A directive on a line of its own covers the next line that is neither blank nor a comment; a
directive after code on the same line covers that line (YAML and devicetree; in Kconfig fragments
everything after `=` is the value, so there a directive must stand on its own line). Rules are named
by code, name or prefix (`DFU4`), separated by commas; any text after `]` is the reason.

A directive that suppresses nothing is itself reported as DFU007 unused-suppression, but only when
the rules it names were run on a file some checked build reads, so that checking one board never
condemns a suppression written for another.
"""
from __future__ import annotations

import re
from pathlib import Path

from dfulint.checks import hit
from dfulint.core import Edit, Finding, Span
from dfulint.records import NamedTuple
from dfulint.sources import read_text

TYPE_CHECKING = False      # (typing.TYPE_CHECKING without importing typing)
if TYPE_CHECKING:
    from typing import Callable, Iterable, Optional

DTS_SUFFIXES = (".overlay", ".dts", ".dtsi")
HASH_SUFFIXES = (".conf", ".yml", ".yaml", ".cmake", ".defconfig")
HASH_NAMES = ("CMakeLists.txt", "Kconfig", "Kconfig.sysbuild", "Kconfig.defconfig", "Kconfig.board",
              "defconfig", ".config")

# (compiled on first use: only a file that names dfulint is parsed)
_DIRECTIVE = r"dfulint\s*:\s*(file-ignore|ignore)\b\s*(\[([^\]\n]*)\])?"     # re.I
_NOT_SET = r"^\s*#\s*(SB_)?CONFIG_\S+ is not set\s*$"


class Directive(NamedTuple):
    """An inline `dfulint: ignore[...]` comment."""
    path: Path
    line: int                     # 1-based line the directive is written on
    col: int                      # 1-based column of `dfulint:`
    kind: str                     # "ignore" or "file-ignore"
    selectors: list[str]          # as written
    codes: dict[str, set]         # selector -> rule codes it names (empty: unknown)
    reason: str
    target: Optional[int]         # the line an "ignore" covers; None for "file-ignore"
    line_text: str
    comment: tuple[int, int]      # [start, end) of the comment holding it, 0-based in line_text
    own_line: bool                # nothing but the comment on its line
    bracket: Optional[tuple[int, int]]   # indexes of "[" and "]" in line_text
    used: set                     # selectors that suppressed something (filled while findings are matched)

    @property
    def span(self) -> Span:
        return Span(self.path, self.line, self.col)

    def label(self) -> str:
        return f"dfulint: {self.kind}[{', '.join(self.selectors)}]"

    def covers(self, f: Finding) -> Optional[str]:
        """The selector that suppresses finding `f`, if any."""
        if self.kind == "ignore" and f.span.line != self.target:
            return None
        for sel in self.selectors:
            if f.code in self.codes.get(sel, ()):
                return sel
        return None


class Suppressed(NamedTuple):
    """A finding kept out of the results, and why."""

    finding: Finding
    kind: str                    # "inline" or "baseline"
    where: Optional[Span]        # the directive (inline) or None
    reason: str = ""
    selector: str = ""


# ------------------------------------------------------------------ reading directives

def language(path: Path) -> Optional[str]:
    name = path.name
    if name.endswith(DTS_SUFFIXES):
        return "dts"
    if name in HASH_NAMES or name.startswith("Kconfig") or name.endswith(HASH_SUFFIXES):
        return "hash"
    return None


def dts_comments(text: str) -> list[tuple[int, int]]:
    """[start, end) offsets of every comment in devicetree source (strings skipped)."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == '"':
            j = i + 1
            while j < n and text[j] != '"' and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            i = j + 1
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j == -1 else j
            out.append((i, j))
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j == -1 else j + 2
            out.append((i, j))
            i = j
        else:
            i += 1
    return out


def parse(path: Path, text: str, lang: str) -> list[Directive]:
    from dfulint.checks import expand

    directive = re.compile(_DIRECTIVE, re.I)
    lines = text.splitlines()
    # per line: does it hold anything but comments and blanks (for finding a directive's target)?
    code_line = [bool(s.strip()) for s in lines]
    found: list[tuple[int, int, int, int]] = []   # (line index, comment start, comment end, match offset)
    if lang == "dts":
        import bisect

        offsets = []   # where each line starts in `text`
        pos = 0
        for s in text.splitlines(keepends=True):
            offsets.append(pos)
            pos += len(s)
        comment_mask = [list(s) for s in lines]
        for a, b in dts_comments(text):
            la = bisect.bisect_right(offsets, a) - 1
            lb = bisect.bisect_right(offsets, max(a, b - 1)) - 1
            for li in range(la, min(lb, len(lines) - 1) + 1):
                lo = a - offsets[li] if li == la else 0
                hi = b - offsets[li] if li == lb else len(lines[li])
                for k in range(max(lo, 0), min(hi, len(lines[li]))):
                    comment_mask[li][k] = " "
                seg = lines[li][max(lo, 0):min(hi, len(lines[li]))]
                m = directive.search(seg)
                if m:
                    found.append((li, max(lo, 0), min(hi, len(lines[li])), max(lo, 0) + m.start()))
        code_line = ["".join(m).strip() != "" for m in comment_mask]
    else:
        for li, s in enumerate(lines):
            stripped = s.lstrip()
            if stripped.startswith("#") and not re.match(_NOT_SET, s):
                code_line[li] = False
            m = directive.search(s)
            if not m:
                continue
            hash_at = s.rfind("#", 0, m.start())
            if hash_at < 0:
                continue
            own = not s[:hash_at].strip()
            if not own and path.suffix == ".conf":
                continue   # after `=` a comment is part of the value: not a directive Kconfig-wise
            found.append((li, hash_at, len(s), m.start()))

    out: list[Directive] = []
    for li, c0, c1, at in found:
        s = lines[li]
        m = directive.match(s, at)
        if not m:
            continue
        kind = m.group(1).lower()
        body = m.group(3)
        selectors = [x for x in re.split(r"[\s,]+", body or "") if x]
        codes = {}
        for sel in selectors:
            got, unknown = expand([sel])
            codes[sel] = set() if unknown else got
        reason = s[m.end():c1].strip()
        if reason.endswith("*/"):
            reason = reason[:-2].rstrip()
        reason = reason.lstrip(":-–— ").strip()
        own = not s[:c0].strip() and not s[c1:].strip()
        target = None
        if kind == "ignore":
            if own:
                k = li + 1
                while k < len(lines) and not code_line[k]:
                    k += 1
                target = k + 1 if k < len(lines) else None
            else:
                target = li + 1
        bracket = (m.start(2), m.end(2) - 1) if m.group(2) else None
        out.append(Directive(path, li + 1, at + 1, kind, selectors, codes, reason, target, s, (c0, c1), own,
                             bracket, set()))
    return out


def directives(path: Path) -> list[Directive]:
    lang = language(path)
    if lang is None:
        return []
    t = read_text(path)
    if t.text is None or "dfulint" not in t.text.lower():
        return []
    return parse(path, t.text, lang)


# ------------------------------------------------------------------ applying them

def _drop_edit(d: Directive, unused: set) -> list[Edit]:
    """An exact edit removing the unused selectors of `d` (the whole comment when none remain)."""
    keep = [s for s in d.selectors if s not in unused]
    s = d.line_text
    if keep and d.bracket is not None:
        a, b = d.bracket
        new = s[:a + 1] + ", ".join(keep) + s[b:]
    elif d.own_line:
        return [Edit(d.path, d.line, d.line, s, None)]
    else:
        c0, c1 = d.comment
        new = (s[:c0].rstrip() + (" " + s[c1:].lstrip() if s[c1:].strip() else "")).rstrip()
    return [Edit(d.path, d.line, d.line, s, new)]


def _unused_finding(d: Directive, unused: list[str], unknown: list[str]) -> Finding:
    parts = []
    if unknown:
        parts.append(f"names no rule: {', '.join(unknown)} {'is' if len(unknown) == 1 else 'are'} unknown")
    if unused:
        what = f"on line {d.target}" if d.kind == "ignore" else "in this file"
        if d.kind == "ignore" and d.target is None:
            what = "(no line follows it)"
        parts.append(f"suppresses nothing: no {', '.join(unused)} finding {what}")
    if not d.selectors:
        parts.append("names no rule: write the codes in brackets, e.g. `dfulint: ignore[DFU402]`")
    msg = f"`{d.label()}` " + "; ".join(parts)
    fix = ("use a code or name that `dfulint rules` lists" if unknown and not unused
           else "remove the suppression, or the rules in it that no longer fire")
    head = (f"`dfulint: {d.kind}` names unknown rules: {', '.join(unknown)[:40]}" if unknown and not unused else
            f"`dfulint: {d.kind}[{', '.join(unused)[:40]}]` suppresses nothing" if unused else
            f"`dfulint: {d.kind}` names no rule")
    return hit(d.span, msg, headline=head, fix=fix, anchor=f"{d.kind}[{','.join(sorted(unused + unknown))}]",
               edits=_drop_edit(d, set(unused) | set(unknown)) if d.selectors else [])


def apply(findings: list[Finding], scan: Iterable[Path], *, ran: Callable[[str, Path], bool],
          in_scope: Callable[[Path], bool], report_unused: bool = True,
          finalize: Callable[[Finding], None] = lambda f: None
          ) -> tuple[list[Finding], list[Suppressed], list[Finding]]:
    """Split findings into kept and suppressed, and report directives that suppress nothing.

    `scan`: files whose directives count (the app's files and every file a finding points at);
    `ran(code, path)`: whether rule `code` was run over `path`; `in_scope(path)`: whether a checked
    build reads `path`, so an unused directive there may be reported; `finalize(finding)` completes
    each DFU007 finding (name, severity, app) before it is matched against directives itself.
    """
    by_path: dict[Path, list[Directive]] = {}
    for p in dict.fromkeys(scan):
        ds = directives(p)
        if ds:
            by_path[p] = ds
    if not by_path:
        return findings, [], []

    kept: list[Finding] = []
    suppressed: list[Suppressed] = []

    def match(f: Finding, skip: Optional[Directive] = None) -> bool:
        for d in by_path.get(f.span.path, ()):
            if d is skip:
                continue
            sel = d.covers(f)
            if sel is not None:
                d.used.add(sel)
                f.suppressed_by = d.span
                suppressed.append(Suppressed(f, "inline", d.span, d.reason, sel))
                return True
        return False

    for f in findings:
        if not match(f):
            kept.append(f)

    unused_findings: list[Finding] = []
    if report_unused:
        for path, ds in by_path.items():
            for d in ds:
                unknown = [s for s in d.selectors if not d.codes.get(s)]
                stale = []
                if in_scope(path):
                    for s in d.selectors:
                        codes = d.codes.get(s)
                        if not codes or s in d.used or "DFU007" in codes:
                            continue
                        if any(ran(c, path) for c in codes):
                            stale.append(s)
                if unknown or stale or not d.selectors:
                    f = _unused_finding(d, stale, unknown)
                    f.code = "DFU007"
                    finalize(f)
                    unused_findings.append((f, d))
        # an unused-suppression finding may itself be suppressed (file-ignore[DFU007])
        out = []
        for f, d in unused_findings:
            if not match(f, skip=d):
                out.append(f)
        return kept, suppressed, out
    return kept, suppressed, []
