"""Reader for an application's `Kconfig.sysbuild`: the defaults it gives sysbuild's symbols.

NCS samples (Matter, Zigbee, nRF Desktop...) choose the bootloader, MCUboot's mode, the signing
type or the external-flash secondary there instead of in `sysbuild.conf`:

    choice BOOTLOADER
        default BOOTLOADER_MCUBOOT if !BOARD_NRF21540DK
    endchoice
    if BOOTLOADER_MCUBOOT
    config PM_EXTERNAL_FLASH_MCUBOOT_SECONDARY
        default y
    endif

Only what decides a value is read: `config`/`menuconfig`/`choice` entries, their `default`
lines, and the conditions of the enclosing `if` blocks and `menu ... depends on`. Whether each
default appears before or after the `source ".../share/sysbuild/Kconfig"` line is kept: Kconfig
uses the first default whose condition holds, so a default written after the SDK's own
definitions only counts where the SDK gives none. Nothing here evaluates a condition.
"""
from __future__ import annotations

import re
from pathlib import Path

from dfulint.core import Span
from dfulint.records import NamedTuple
from dfulint.sources import Problem, read_text

TYPE_CHECKING = False      # (typing.TYPE_CHECKING without importing typing)
if TYPE_CHECKING:
    from typing import Optional

_ENTRY = re.compile(r"(config|menuconfig|configdefault|choice)\b\s*([A-Za-z0-9_]*)")
_DEFAULT = re.compile(r"default\s+(.+?)(?:\s+if\s+(.+))?$")
_SOURCE = re.compile(r'(?:o|r|or)?source\s+"([^"]*)"')


class KconfigDefault(NamedTuple):
    """A `default` of a Kconfig file in the app (Kconfig.sysbuild and friends)."""
    symbol: str                 # the config symbol, or for a choice the member it defaults to
    choice: Optional[str]       # the choice's name when this is a choice default
    value: str                  # the default's text: y, n, a number, a "string", a member name
    condition: Optional[str]    # enclosing `if`/menu conditions and the `default ... if`, joined by &&
    span: Span
    before_sdk: bool            # written before the SDK's sysbuild Kconfig is sourced


class KconfigDefaults:
    """The defaults a Kconfig file of the app declares."""
    __slots__ = ("path", "defaults", "sources_sdk", "declared", "problems")

    path: Path
    defaults: list[KconfigDefault]
    sources_sdk: bool                  # the file sources share/sysbuild/Kconfig
    declared: set                      # every symbol a config/menuconfig entry defines here
    problems: list[Problem]

    def __init__(self, path: Path, defaults: Optional[list[KconfigDefault]] = None, sources_sdk: bool = False,
                 declared: Optional[set] = None, problems: Optional[list[Problem]] = None) -> None:
        self.path = path
        self.defaults = [] if defaults is None else defaults
        self.sources_sdk = sources_sdk
        self.declared = set() if declared is None else declared
        self.problems = [] if problems is None else problems

    def __repr__(self) -> str:
        return f"KconfigDefaults({self.path!r}, defaults={self.defaults!r}, sources_sdk={self.sources_sdk!r})"


def _strip_comment(line: str) -> str:
    out, quoted = [], False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif ch == "#" and not quoted:
            break
        out.append(ch)
    return "".join(out).strip()


def _logical_lines(text: str):
    """(line number, text) with backslash continuations joined and comments removed."""
    pending, start = "", 0
    for no, raw in enumerate(text.splitlines(), 1):
        if not pending:
            start = no
        line = raw.rstrip()
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        yield start, _strip_comment(pending + line)
        pending = ""
    if pending:
        yield start, _strip_comment(pending)


def _join(conds: list[str]) -> Optional[str]:
    conds = [c for c in conds if c]
    if not conds:
        return None
    if len(conds) == 1:
        return conds[0]
    return " && ".join(f"({c})" for c in conds)


def parse_kconfig_defaults(path: Path) -> KconfigDefaults:
    """Read the defaults of one Kconfig file. Never raises on user input."""
    text = read_text(path)
    if text.problem:
        out = KconfigDefaults(path)
        out.problems.append(text.problem)
        return out
    return parse_kconfig_defaults_text(text.text or "", path)


def parse_kconfig_defaults_text(text: str, path: Path) -> KconfigDefaults:
    """The same for Kconfig text that is not a project file (a board's Kconfig.sysbuild from the SDK,
    kept in dfulint's knowledge); `path` names it in spans."""
    out = KconfigDefaults(path)
    blocks: list[Optional[str]] = []        # conditions of enclosing if/menu blocks (None for a plain menu)
    entry: Optional[tuple[str, str]] = None  # ("config"|"choice", name) of the entry being read
    in_choice: Optional[str] = None
    menu_pending = False                      # a `menu` whose `depends on` may follow
    for no, line in _logical_lines(text):
        if not line:
            continue
        word = line.split(None, 1)[0]
        if word == "if":
            blocks.append(line[2:].strip() or None)
            entry = None
            continue
        if word == "endif":
            if blocks:
                blocks.pop()
            entry = None
            continue
        if word == "menu":
            blocks.append(None)
            menu_pending = True
            entry = None
            continue
        if word == "endmenu":
            if blocks:
                blocks.pop()
            entry = None
            continue
        if word == "depends" and menu_pending and entry is None and blocks:
            m = re.match(r"depends\s+on\s+(.+)$", line)
            if m:
                blocks[-1] = _join([blocks[-1] or "", m.group(1).strip()])
            continue
        if word == "endchoice":
            in_choice, entry = None, None
            continue
        m = _SOURCE.match(line)
        if m:
            if m.group(1).replace("\\", "/").endswith("share/sysbuild/Kconfig"):
                out.sources_sdk = True
            entry = None
            continue
        m = _ENTRY.match(line)
        if m and word in ("config", "menuconfig", "configdefault", "choice"):
            menu_pending = False
            if word == "choice":
                in_choice = m.group(2) or ""
                entry = ("choice", in_choice)
            else:
                entry = ("config", m.group(2)) if m.group(2) else None
                if m.group(2) and word != "configdefault":
                    out.declared.add(m.group(2))
            continue
        if word == "default" and entry is not None:
            m = _DEFAULT.match(line)
            if not m:
                continue
            value, cond = m.group(1).strip(), m.group(2)
            conds = list(blocks) + ([cond.strip()] if cond else [])
            kind, name = entry
            if kind == "choice":
                if not name:
                    continue
                out.defaults.append(KconfigDefault(value, name, "y", _join(conds), Span(path, no, 1),
                                                   not out.sources_sdk))
            elif in_choice is None:
                out.defaults.append(KconfigDefault(name, None, value, _join(conds), Span(path, no, 1),
                                                   not out.sources_sdk))
            continue
        if word in ("mainmenu", "comment"):
            entry = None
    return out
