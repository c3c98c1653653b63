"""An app's CMakeLists.txt, read as text (never run): the commands before `find_package(Zephyr)` that
name the configuration files the build reads.

Zephyr reads `CONF_FILE`, `EXTRA_CONF_FILE`, `OVERLAY_CONFIG`, `DTC_OVERLAY_FILE`,
`EXTRA_DTC_OVERLAY_FILE` and `FILE_SUFFIX` while `find_package(Zephyr)` runs
(zephyrproject-rtos/zephyr `cmake/modules/configuration_files.cmake`), so an app may set them in its
CMakeLists.txt before that line. Only plain forms are read: `set(VAR a b ...)` and
`list(APPEND VAR a ...)`, with `${CMAKE_CURRENT_SOURCE_DIR}`, `${CMAKE_CURRENT_LIST_DIR}`,
`${CMAKE_SOURCE_DIR}` and the variable itself expanded. A command inside `if(BOARD STREQUAL "...")`
is taken for the board it names; any other condition, loop or function body, another variable,
an environment value or a generator expression makes the command unknown: it is reported, never
guessed.
"""
from __future__ import annotations

import re
from pathlib import Path

from dfulint.records import NamedTuple

TYPE_CHECKING = False      # (typing.TYPE_CHECKING without importing typing)
if TYPE_CHECKING:
    from typing import Optional

TRACKED = ("CONF_FILE", "EXTRA_CONF_FILE", "OVERLAY_CONFIG", "DTC_OVERLAY_FILE", "EXTRA_DTC_OVERLAY_FILE",
           "FILE_SUFFIX")
_DIRS = ("CMAKE_CURRENT_SOURCE_DIR", "CMAKE_CURRENT_LIST_DIR", "CMAKE_SOURCE_DIR")
_MAX_COMMANDS = 20000


class Command(NamedTuple):
    name: str          # lower case
    args: tuple        # (text, quoted)
    line: int


class Setting(NamedTuple):
    """One command that sets a tracked variable, as far as dfulint can tell."""
    var: str
    op: str            # "set" or "append"
    items: tuple       # the values, expanded ("" when unknown)
    line: int
    status: str        # "applied", "unknown" (why says why), "skipped" (another board's branch),
    #                    "late" (after find_package(Zephyr): the build has read its files already)
    why: str = ""


class CMakeInputs(NamedTuple):
    """What an app's CMakeLists.txt sets for one board: each variable's final value (None when it is
    not set), and every setting with its status."""
    path: Path
    values: dict       # var -> tuple of (value, line) in order
    settings: tuple    # Setting
    uncertain: frozenset   # variables an unknown setting may change

    def get(self, var: str) -> Optional[tuple]:
        return self.values.get(var)


def commands(text: str) -> list:
    """The commands of a CMake file: name, arguments (with whether each was quoted) and line."""
    out = []
    i, n, line = 0, len(text), 1
    while i < n and len(out) < _MAX_COMMANDS:
        c = text[i]
        if c == "\n":
            line += 1
            i += 1
        elif c in " \t\r":
            i += 1
        elif c == "#":
            m = re.match(r"#\[(=*)\[", text[i:i + 40])
            if m:
                end = text.find("]" + m.group(1) + "]", i)
                end = n if end < 0 else end + len(m.group(1)) + 2
            else:
                end = text.find("\n", i)
                end = n if end < 0 else end
            line += text.count("\n", i, end)
            i = end
        else:
            m = re.compile(r"[A-Za-z_][A-Za-z0-9_]*").match(text, i)
            if not m:
                i += 1
                continue
            name, j = m.group(0), m.end()
            while j < n and text[j] in " \t":
                j += 1
            if j >= n or text[j] != "(":
                i = j
                continue
            start_line = line
            args, i, line = _args(text, j + 1, line)
            out.append(Command(name.lower(), tuple(args), start_line))
    return out


def _args(text: str, i: int, line: int) -> tuple:
    args: list = []
    n, depth = len(text), 0
    cur, quoted, have = [], False, False
    while i < n:
        c = text[i]
        if c == '"':
            j = i + 1
            buf = []
            while j < n and text[j] != '"':
                if text[j] == "\\" and j + 1 < n:
                    buf.append(text[j:j + 2] if text[j + 1] not in '"\\' else text[j + 1])
                    j += 2
                    continue
                if text[j] == "\n":
                    line += 1
                buf.append(text[j])
                j += 1
            cur.append("".join(buf))
            quoted, have = True, True
            i = j + 1
            continue
        if c == "#" and not cur:
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        if c in " \t\r\n()":
            if have:
                args.append(("".join(cur), quoted))
            cur, quoted, have = [], False, False
            if c == "\n":
                line += 1
            elif c == "(":
                depth += 1
                args.append(("(", False))
            elif c == ")":
                if depth == 0:
                    return args, i + 1, line
                depth -= 1
                args.append((")", False))
            i += 1
            continue
        cur.append(c)
        have = True
        i += 1
    if have:
        args.append(("".join(cur), quoted))
    return args, i, line


_VAR = r"\$\{([A-Za-z0-9_]+)\}"


def _board_condition(args: tuple, board_names: set) -> Optional[bool]:
    """`if(BOARD STREQUAL "x")` and its spellings: True/False for this board, None for any other
    condition."""
    words = [a for a, _ in args]
    if len(words) != 3 or words[1] != "STREQUAL":
        return None
    left, right = words[0], words[2]
    if right in ("BOARD", "${BOARD}"):
        left, right = right, left
    if left not in ("BOARD", "${BOARD}") or "$" in right or not board_names:
        return None
    return right in board_names


def read(path: Path, text: str, root: Path, board_names: set) -> CMakeInputs:
    """The tracked variables as the build sets them for a board called any of `board_names`."""
    values: dict = {}
    settings: list = []
    uncertain: set = set()
    stack: list = []     # per if-block: [state of this branch, a branch was taken, any branch unknown]
    other = 0            # depth of foreach/while/function/macro blocks
    late = False
    for cmd in commands(text):
        name = cmd.name
        if name == "if":
            cond = _board_condition(cmd.args, board_names)
            stack.append([cond, cond is True, cond is None])
            continue
        if name in ("elseif", "else") and stack:
            top = stack[-1]
            if name == "else":
                cond = None if top[2] else not top[1]
            else:
                cond = _board_condition(cmd.args, board_names)
                if top[1]:
                    cond = False
                elif top[2] and cond is not True:
                    cond = None
            top[0] = cond
            top[1] = top[1] or cond is True
            top[2] = top[2] or cond is None
            continue
        if name == "endif" and stack:
            stack.pop()
            continue
        if name in ("foreach", "while", "function", "macro"):
            other += 1
            continue
        if name in ("endforeach", "endwhile", "endfunction", "endmacro") and other:
            other -= 1
            continue
        if name == "find_package" and cmd.args and cmd.args[0][0] in ("Zephyr", "NCS") or \
                name == "include" and any("boilerplate" in a for a, _ in cmd.args):
            late = True
            continue
        if name == "include" and cmd.args and not late:
            # another CMake file run before find_package(Zephyr) may set the variables too: not read
            what = cmd.args[0][0]
            settings.append(Setting("", "include", (what,), cmd.line, "unknown",
                                    "a CMake file dfulint does not read, which may name more files"))
            continue
        if name not in ("set", "list") or not cmd.args:
            continue
        if name == "list":
            if len(cmd.args) < 2 or cmd.args[0][0] != "APPEND" or cmd.args[1][0] not in TRACKED:
                continue
            var, raw, op = cmd.args[1][0], cmd.args[2:], "append"
        else:
            if cmd.args[0][0] not in TRACKED:
                continue
            var, raw, op = cmd.args[0][0], cmd.args[1:], "set"
            cut = next((k for k, (a, q) in enumerate(raw) if not q and a in ("CACHE", "PARENT_SCOPE")), None)
            if cut is not None:
                raw = raw[:cut]
        if late:
            settings.append(Setting(var, op, (), cmd.line, "late",
                                    "set after find_package(Zephyr), when the build has already read its files"))
            continue
        if any(s[0] is False for s in stack):
            settings.append(Setting(var, op, (), cmd.line, "skipped", "in a branch for another board"))
            continue
        items, unknown = _expand(raw, values, root, var)
        why = ""
        if other:
            why = "inside a loop or function"
        elif any(s[0] is None for s in stack):
            why = "inside a condition dfulint does not evaluate"
        elif unknown:
            why = f"depends on {unknown}, which dfulint cannot know"
        if why:
            uncertain.add(var)
            settings.append(Setting(var, op, tuple(items), cmd.line, "unknown", why))
            continue
        pairs = tuple((v, cmd.line) for v in items)
        values[var] = pairs if op == "set" else values.get(var, ()) + pairs
        if op == "set" and not items:
            values.pop(var, None)       # set(VAR) with no value unsets it
        settings.append(Setting(var, op, tuple(items), cmd.line, "applied"))
    return CMakeInputs(path, values, tuple(settings), frozenset(uncertain))


def _expand(raw: tuple, values: dict, root: Path, var: str) -> tuple:
    """The items of a command's values, split at `;` (and at spaces for CONF_FILE and
    DTC_OVERLAY_FILE, which Zephyr splits there too), and what could not be expanded."""
    items: list = []
    unknown = ""
    for text, quoted in raw:
        def sub(m):
            name = m.group(1)
            if name in _DIRS:
                return str(root)
            if name in TRACKED:         # unset in a default build (no -D on the command line): empty
                return ";".join(v for v, _ in values.get(name, ()))
            return m.group(0)
        if "${" in text:
            text = re.sub(_VAR, sub, text)
        if "$" in text:
            bad = re.search(r"\$(?:ENV)?\{[^}]*\}|\$<[^>]*>|\$\S*", text)
            unknown = unknown or (bad.group(0) if bad else text)
        parts = re.split(r"[;\s]+" if var in ("CONF_FILE", "DTC_OVERLAY_FILE") else r";", text)
        items.extend(p for p in parts if p)
    return items, unknown
