"""Kconfig fragment reader (prj.conf, boards/*.conf, mcuboot.conf, sysbuild.conf, .config).

It reports exactly what Kconfiglib's `_load_config` does with each line (the loader Zephyr
and sysbuild use), and keeps file:line:col for every value:

* a line is first matched against `CONFIG_([^=]+)=(.*)` (anchored at the start only), then
  against `# CONFIG_([^ ]+) is not set`; anything else that is neither blank nor a comment
  (first non-blank character `#`) is a malformed line, which aborts a Zephyr build;
* `CONFIG_X = y` is an assignment to the symbol `"X "` (with the space);
* the value is kept raw; its interpretation depends on the symbol's type (see `interpret`).
"""
from __future__ import annotations

import re
from pathlib import Path

from dfulint.core import Span
from dfulint.records import NamedTuple
from dfulint.sources import Problem, parsed_once, read_text

TYPE_CHECKING = False      # (typing.TYPE_CHECKING without importing typing)
if TYPE_CHECKING:
    from typing import Optional

_STRING = re.compile(r'"((?:[^\\"]|\\.)*)"')
_INLINE_COMMENT = re.compile(r"\s#")


class Assignment(NamedTuple):
    """One `CONFIG_X=value` (or `# CONFIG_X is not set`) line of a fragment."""
    symbol: str            # name after the prefix, exactly as Kconfiglib sees it (may end in a space)
    raw: str               # text after '=' (after rstrip); "n" for "# ... is not set"
    span: Span             # where the value starts
    line_span: Span        # where the line starts
    prefix: str = "CONFIG_"
    unset: bool = False    # written as "# CONFIG_X is not set"

    @property
    def name(self) -> str:
        """The symbol name as a user means it (surrounding spaces removed)."""
        return self.symbol.strip()

    @property
    def full_name(self) -> str:
        return self.prefix + self.name

    @property
    def inline_comment(self) -> Optional[str]:
        """The text of a `# comment` written after the value on the same line, if any."""
        if self.unset:
            return None
        raw = self.raw
        if raw.startswith('"'):
            m = _STRING.match(raw)
            rest = raw[m.end():] if m else ""
            idx = rest.find("#")
            return rest[idx:].strip() if idx >= 0 else None
        m = _INLINE_COMMENT.search(raw)
        if m:
            return raw[m.start():].strip()
        if raw.startswith("#"):
            return raw.strip()
        return None

    @property
    def value_without_comment(self) -> str:
        """What the user meant to assign (inline comment and whitespace removed)."""
        if self.unset:
            return "n"
        raw = self.raw
        if raw.startswith('"'):
            m = _STRING.match(raw)
            return raw[: m.end()] if m else raw.split("#", 1)[0].strip()
        if raw.lstrip().startswith("#"):
            return ""
        m = _INLINE_COMMENT.search(raw)
        return (raw[: m.start()] if m else raw).strip()


class Fragment:
    """A Kconfig fragment file: its assignments in order, and its malformed lines."""
    __slots__ = ("path", "assignments", "problems", "readable", "sysbuild_like")

    path: Path
    assignments: list[Assignment]
    problems: list[Problem]
    readable: bool
    sysbuild_like: bool            # read as an image fragment, but every setting is an SB_CONFIG_ line

    def __init__(self, path: Path, assignments: Optional[list[Assignment]] = None,
                 problems: Optional[list[Problem]] = None, readable: bool = True, sysbuild_like: bool = False) -> None:
        self.path = path
        self.assignments = [] if assignments is None else assignments
        self.problems = [] if problems is None else problems
        self.readable = readable
        self.sysbuild_like = sysbuild_like

    def __repr__(self) -> str:
        return f"Fragment({self.path!r}, assignments={len(self.assignments)}, problems={len(self.problems)})"

    def get(self, name: str) -> Optional[Assignment]:
        """The last assignment to `name` in this fragment (the one Kconfig keeps)."""
        found = None
        for a in self.assignments:
            if a.name == name:
                found = a
        return found


def parse_fragment(path: Path, prefix: str = "CONFIG_") -> Fragment:
    """Read one fragment. `prefix` is CONFIG_ for images, SB_CONFIG_ for sysbuild.conf.

    A file read as an image fragment whose settings are all SB_CONFIG_ lines is a sysbuild fragment
    under another name (`kmu.sysbuild.conf`, passed as SB_EXTRA_CONF_FILE): its lines are still
    problems for an image's Kconfig, and `Fragment.sysbuild_like` says so."""
    return parsed_once("conf", (path, prefix), lambda: _read_fragment(path, prefix))


def _read_fragment(path: Path, prefix: str) -> Fragment:
    frag = _parse_fragment(path, prefix)
    if prefix == "CONFIG_" and not frag.assignments and frag.problems:
        sb_line = re.compile(r"\s*(SB_CONFIG_[^=]+=|# SB_CONFIG_[^ ]+ is not set)", re.ASCII)
        text = read_text(path).text or ""
        lines = [ln for ln in _lines(text) if ln.strip() and not ln.lstrip().startswith("#")
                 or ln.startswith("# SB_CONFIG_")]
        frag.sysbuild_like = bool(lines) and all(sb_line.match(ln) for ln in lines)
    return frag


def _parse_fragment(path: Path, prefix: str) -> Fragment:
    text = read_text(path)
    frag = Fragment(path)
    if text.problem:
        frag.problems.append(text.problem)
        frag.readable = False
        return frag
    set_re = re.compile(re.escape(prefix) + r"([^=]+)=(.*)", re.ASCII)
    unset_re = re.compile(r"# " + re.escape(prefix) + r"([^ ]+) is not set", re.ASCII)
    bom = text.text is not None and _starts_with_bom(path)
    malformed = 0
    # Kconfiglib reads the file in text mode: lines end at \n, \r\n or \r, and at nothing else
    # (str.splitlines would also split at form feeds and Unicode separators)
    for lineno, line in enumerate(_lines(text.text), 1):
        line = line.rstrip()
        if bom and lineno == 1:
            # Kconfiglib decodes as plain UTF-8, so the mark stays in front of line 1
            frag.problems.append(Problem(
                "malformed-line", Span(path, 1, 1),
                "the file starts with a UTF-8 byte-order mark: Kconfig reads line 1 as "
                f"`\\ufeff{line[:60]}`, ignores it as a malformed line and Zephyr aborts the build with "
                "'Aborting due to Kconfig warnings'",
                "save the file as UTF-8 without a byte-order mark"))
            continue
        m = set_re.match(line)
        if m:
            col = m.start(2) + 1
            frag.assignments.append(Assignment(
                m.group(1), m.group(2), Span(path, lineno, col), Span(path, lineno, 1), prefix))
            continue
        m = unset_re.match(line)
        if m:
            frag.assignments.append(Assignment(
                m.group(1), "n", Span(path, lineno, 3), Span(path, lineno, 1), prefix, unset=True))
            continue
        if not line or line.lstrip().startswith("#"):
            continue
        malformed += 1
        if malformed > MAX_MALFORMED_REPORTED:
            continue
        stripped = line.strip()
        if set_re.match(stripped) or unset_re.match(stripped):
            why = "leading whitespace before the symbol"
            fix = f"remove the leading whitespace: `{stripped}`"
        elif prefix == "SB_CONFIG_" and stripped.startswith("CONFIG_"):
            name, _, value = stripped[len("CONFIG_"):].partition("=")
            why = "sysbuild's configuration takes only SB_CONFIG_ symbols"
            fix = (f"write `SB_CONFIG_{name.strip()}={value.strip()}` if sysbuild has that option, or move the "
                   "line to the image's own configuration (prj.conf, sysbuild/<image>.conf)")
        elif stripped.upper().startswith(prefix):
            name, eq, value = stripped[len(prefix):].partition("=")
            if not stripped.startswith(prefix):
                why = "the prefix must be written in capitals"
                fix = f"write `{prefix}{name.strip().upper()}={value.strip()}`" if eq else \
                    f"write it as `{prefix}NAME=value`"
            else:
                why = "no '=' after the symbol"
                fix = f"write it as `{prefix}{name.strip()}=value`"
        elif "=" in stripped and re.match(r"[A-Za-z_][A-Za-z0-9_]*\s*=", stripped):
            name, _, value = stripped.partition("=")
            why = f"the symbol lacks the {prefix} prefix"
            fix = f"write `{prefix}{name.strip()}={value.strip()}`"
        else:
            why = "it is neither an assignment nor a comment"
            fix = "make it a `# comment` or a valid assignment"
        col = len(line) - len(line.lstrip()) + 1
        frag.problems.append(Problem(
            "malformed-line", Span(path, lineno, col),
            f"Kconfig ignores the malformed line `{stripped[:80]}` ({why}); Zephyr aborts the build "
            "with 'Aborting due to Kconfig warnings'", fix))
    if malformed > MAX_MALFORMED_REPORTED:
        frag.problems.append(Problem(
            "malformed-line", frag.problems[-1].span,
            f"and {malformed - MAX_MALFORMED_REPORTED} more malformed lines after this one (not listed); "
            "Zephyr aborts the build with 'Aborting due to Kconfig warnings'",
            "check that this is a Kconfig fragment at all; fix the lines the build reports"))
    return frag


MAX_MALFORMED_REPORTED = 200    # per file: a file that is no fragment at all gives one finding per line


def _lines(text: str) -> list:
    """The lines of a text split at \r\n, \r and \n (and at nothing else, as Kconfiglib reads it)."""
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _starts_with_bom(path: Path) -> bool:
    """read_text drops a leading byte-order mark; Kconfig does not, so look at the raw bytes."""
    from dfulint import files
    return files.read_head(path, 3) == b"\xef\xbb\xbf"


def interpret(raw: str, typ: str) -> tuple[Optional[object], Optional[str]]:
    """What Kconfiglib makes of a raw value for a symbol of type `typ`.

    Returns (value, error). value is "y"/"n" for bools, str for strings, int for int/hex;
    error is Kconfiglib's reason for dropping the assignment (the build then aborts).
    """
    if typ in ("bool", "tristate"):
        allowed = ("y", "n") if typ == "bool" else ("y", "m", "n")
        if raw[:1] in allowed:
            return raw[0], None
        return None, f"'{raw}' is not a valid value for a {typ} symbol"
    if typ == "string":
        m = _STRING.match(raw)
        if not m:
            return None, "malformed string literal (a string value must be in double quotes)"
        return re.sub(r"\\(.)", r"\1", m.group(1)), None
    if typ in ("int", "hex"):
        base = 10 if typ == "int" else 16
        try:
            v = int(raw, base)
        except ValueError:
            return None, f"the value '{raw}' is invalid for a symbol of type {typ}"
        if typ == "hex" and v < 0:
            return None, f"the value '{raw}' is invalid for a symbol of type hex"
        return v, None
    return raw, None


def guess_type(raw: str) -> str:
    """The type a value looks like, for symbols dfulint has no catalogue entry for."""
    v = raw.strip()
    if v.startswith('"'):
        return "string"
    head = re.split(r"\s", v, maxsplit=1)[0] if v else ""
    if head in ("y", "n", "m"):
        return "bool"
    if re.fullmatch(r"0[xX][0-9a-fA-F]+", head):
        return "hex"
    if re.fullmatch(r"-?[0-9]+", head):
        return "int"
    return "unknown"
