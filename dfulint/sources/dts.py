"""Devicetree reader "as written": overlays, board DTS and .dtsi files, with a place for every value.

The syntax tree comes from tree-sitter-devicetree, which understands Zephyr's superset of the
language *before* the C preprocessor has run (``#include``, ``#define``, macros in cells) and
keeps going after a syntax error. On top of it this module:

* follows ``#include "x"`` and ``/include/ "x"`` (relative to the including file, then the
  include dirs), and ``#include <x>`` only when found in the include dirs. Every resolved
  path must lie inside an allowed root; a path outside is reported and never read.
* records ``#define`` / ``#undef`` in file order and evaluates cells with the macros defined
  *so far*, as the C preprocessor would. ``DT_SIZE_K``, ``DT_SIZE_M`` and ``BIT`` are built in
  (Zephyr's dt-util.h); any other macro that is not defined in a file that was read stays as
  its source text in ``DtsValue.items``.
* chooses ``#if`` branches: a condition that can be decided from the macros seen so far
  (``#ifdef``/``#ifndef``/``defined()`` always can, ``#if EXPR`` when every name in it is
  known) selects its branch; the first branch whose condition cannot be decided is taken as
  if it held (and the rest are skipped).
* parses property values with its own small tokenizer (so char literals, labels inside
  cells, ``0x10UL`` and values that are a bare macro are accepted), and turns tree-sitter's
  ERROR/MISSING nodes into readable ``syntax`` problems: the first error of each region,
  with unbalanced braces, unterminated strings and comments found by a lexical scan.

Spans: `DtsProperty.span` starts at the property name and ends after its ';'; `value_span`
covers the value; `DtsNode.span` covers the whole block; `DtsInclude.span` the directive.
Columns are 1-based characters (not bytes).

Problem kinds: "syntax", "include-missing" (a quoted include not found; a missing <system>
header is normal without a west workspace and is not reported), "include-outside",
"too-deep" (include depth, include cycles, node nesting), the reading problems of
`read_text` ("unreadable", "encoding", "binary", "too-large"), and "internal" as a last
resort should the reader itself fail. Syntax problems inside files reached through a
`<system>` include (workspace headers and SoC .dtsi) are dropped: they are not the user's.

Nothing here raises on user input; deep nesting is walked with explicit stacks and bounded.
The tree-sitter parser is created once, on first use (not thread-safe; dfulint is not threaded).
"""
from __future__ import annotations

import bisect
import os
import re
import sys
from pathlib import Path

from dfulint.core import Located, Span
from dfulint.files import inside
from dfulint.records import NamedTuple
from dfulint.sources import Problem, parsed_once, read_text

TYPE_CHECKING = False      # (typing.TYPE_CHECKING without importing typing)
if TYPE_CHECKING:
    from typing import Iterator, Optional, Sequence, Union

    Cell = Union[int, str]

MAX_INCLUDE_DEPTH = 16       # nested includes (the top file is depth 0)
MAX_INCLUDED_FILES = 256     # files read through includes in one parse
MAX_NODE_DEPTH = 64          # node nesting; real trees are under 12 deep
MAX_SYNTAX_PROBLEMS = 20     # per file
_MAX_MACRO_DEPTH = 32
_MAX_EVAL_STEPS = 20000


# --------------------------------------------------------------------------------------------
# Public types
# --------------------------------------------------------------------------------------------


class DtsValue:
    """One comma-separated component of a property value."""
    __slots__ = ("kind", "text", "items", "span", "bits", "_where", "_end")

    kind: str          # "string", "cells", "bytes", "ref", "expr"
    text: str          # source text of the component
    items: list        # string: [str]; cells: [int | "&label" | "&{/path}" | macro text];
    #                    bytes: [int]; ref: [label or "/path"]; expr: [text]
    span: Optional[Span]
    bits: int                                             # /bits/ width of cells
    # set by the parser: `_end`, the offset after the component; for cells `_where`, (the file being
    # read, [(start, end) offset of each item]) for item_spans

    def __init__(self, kind: str, text: str, items: list, span: Optional[Span] = None, bits: int = 32) -> None:
        self.kind = kind
        self.text = text
        self.items = items
        self.span = span
        self.bits = bits

    def __repr__(self) -> str:
        return f"DtsValue({self.kind!r}, {self.text!r}, {self.items!r}, span={self.span!r}, bits={self.bits!r})"

    @property
    def item_spans(self) -> list:
        """cells: the place of each item (computed on demand)."""
        where = getattr(self, "_where", None)
        if where is None:
            return []
        f, offsets = where
        return [f.span(a, b) for a, b in offsets]


class DtsProperty:
    """A devicetree property as written, with the span of its name and value."""
    __slots__ = ("name", "values", "span", "value_span", "labels", "source")

    name: str
    values: list           # list[DtsValue]; empty for a boolean property
    span: Span             # the name (end_line/end_col: the end of the statement)
    value_span: Span       # the value's start (the name for booleans)
    labels: list
    # `source`: set only on a property dfulint's knowledge supplies (model.devicetree), naming that source

    def __init__(self, name: str, values: list, span: Span, value_span: Span, labels: Optional[list] = None) -> None:
        self.name = name
        self.values = values
        self.span = span
        self.value_span = value_span
        self.labels = [] if labels is None else labels

    def __repr__(self) -> str:
        return f"DtsProperty({self.name!r}, {self.values!r}, span={self.span!r})"

    def _cells(self) -> Iterator[Cell]:
        for v in self.values:
            if v.kind == "cells":
                yield from v.items

    def as_int(self) -> Optional[int]:
        """The first cell as a number (None if absent or unresolved)."""
        for cell in self._cells():
            return cell if isinstance(cell, int) else None
        return None

    def as_ints(self) -> list:
        """Every cell of every `<...>` component; None for references and unresolved macros."""
        return [c if isinstance(c, int) else None for c in self._cells()]

    def as_str(self) -> Optional[str]:
        for v in self.values:
            if v.kind == "string":
                return v.items[0]
        return None

    def as_strs(self) -> list:
        return [v.items[0] for v in self.values if v.kind == "string"]

    def as_bytes(self) -> Optional[bytes]:
        parts = [bytes(v.items) for v in self.values if v.kind == "bytes"]
        return b"".join(parts) if parts else None

    def as_ref(self) -> Optional[str]:
        """The label of a `&label` value, a "/path" for `&{/path}` or a path string."""
        if not self.values:
            return None
        v = self.values[0]
        if v.kind == "ref":
            return v.items[0]
        if v.kind == "string" and v.items[0].startswith("/"):
            return v.items[0]
        if v.kind == "cells" and v.items and isinstance(v.items[0], str) \
                and v.items[0].startswith("&"):
            return _ref_target(v.items[0])
        return None

    def refs(self) -> list:
        """Every label (or "/path") referenced in the value, in order."""
        out = []
        for v in self.values:
            if v.kind == "ref":
                out.append(v.items[0])
            elif v.kind == "cells":
                out.extend(_ref_target(c) for c in v.items
                           if isinstance(c, str) and c.startswith("&"))
        return out

    @property
    def is_bool(self) -> bool:
        return not self.values


class DtsNode:
    """A devicetree node as written, or a `&label { ... }` reference to one."""
    __slots__ = ("name", "ref", "labels", "props", "children", "span", "deleted_props", "deleted_nodes")

    name: str                          # "is25@0", "/", "chosen"; "" for a `&label { }` block
    ref: Optional[str]                 # `&label { }`: the label; `&{/path} { }`: "/path"
    labels: list
    props: dict                        # name -> DtsProperty, last definition wins
    children: list                     # list[DtsNode]
    span: Optional[Span]               # whole block (end_line/end_col set)
    deleted_props: list                # (name, Span)
    deleted_nodes: list                # (child name | "&label" | "/path", Span)

    def __init__(self, name: str, ref: Optional[str] = None, labels: Optional[list] = None,
                 props: Optional[dict] = None, children: Optional[list] = None, span: Optional[Span] = None,
                 deleted_props: Optional[list] = None, deleted_nodes: Optional[list] = None) -> None:
        self.name = name
        self.ref = ref
        self.labels = [] if labels is None else labels
        self.props = {} if props is None else props
        self.children = [] if children is None else children
        self.span = span
        self.deleted_props = [] if deleted_props is None else deleted_props
        self.deleted_nodes = [] if deleted_nodes is None else deleted_nodes

    def child(self, name: str) -> Optional["DtsNode"]:
        """The first child called `name`; without a unit address, the first `name@...`."""
        for c in self.children:
            if c.name == name:
                return c
        if "@" not in name:
            for c in self.children:
                if c.name.split("@", 1)[0] == name:
                    return c
        return None

    def walk(self) -> Iterator[tuple]:
        """(node, relative path) depth-first in source order; "" for this node itself."""
        stack = [(self, "")]
        while stack:
            node, rel = stack.pop()
            yield node, rel
            for c in reversed(node.children):
                stack.append((c, f"{rel}/{c.name}" if rel else c.name))

    def __repr__(self) -> str:
        what = f"&{self.ref}" if self.ref and not self.ref.startswith("/") else \
            (f"&{{{self.ref}}}" if self.ref else self.name)
        return (f"DtsNode({what!r}, labels={self.labels}, props={list(self.props)}, "
                f"children={len(self.children)}, span={self.span})")


class DtsInclude:
    """An #include line of a devicetree file and what it resolved to."""
    __slots__ = ("name", "system", "span", "resolved")

    name: str
    system: bool
    span: Span
    resolved: Optional[Path]            # None: not found, or refused

    def __init__(self, name: str, system: bool, span: Span, resolved: Optional[Path] = None) -> None:
        self.name = name
        self.system = system
        self.span = span
        self.resolved = resolved

    def __repr__(self) -> str:
        return f"DtsInclude({self.name!r}, system={self.system!r}, span={self.span!r}, resolved={self.resolved!r})"


class DtsFile:
    """A devicetree file as written: its nodes, includes, macros and problems."""
    __slots__ = ("path", "roots", "includes", "defines", "problems", "readable", "comments", "files")

    path: Path
    roots: list                        # list[DtsNode], include order
    includes: list                     # list[DtsInclude], nested ones too
    defines: dict                      # name -> body text (after the parameters)
    problems: list                     # list[Problem]
    readable: bool
    comments: list                     # list[Located]: comment text and place
    files: list                        # every file read, top file first

    def __init__(self, path: Path, roots: Optional[list] = None, includes: Optional[list] = None,
                 defines: Optional[dict] = None, problems: Optional[list] = None, readable: bool = True,
                 comments: Optional[list] = None, files: Optional[list] = None) -> None:
        self.path = path
        self.roots = [] if roots is None else roots
        self.includes = [] if includes is None else includes
        self.defines = {} if defines is None else defines
        self.problems = [] if problems is None else problems
        self.readable = readable
        self.comments = [] if comments is None else comments
        self.files = [] if files is None else files

    def __repr__(self) -> str:
        return f"DtsFile({self.path!r}, roots={len(self.roots)}, problems={len(self.problems)})"

    def labels(self) -> dict:
        """label -> (DtsNode, relative path from its root block, root block), first wins."""
        out: dict = {}
        for root in self.roots:
            for node, rel in root.walk():
                for lab in node.labels:
                    out.setdefault(lab, (node, rel, root))
        return out


# --------------------------------------------------------------------------------------------
# Integer expressions (cells, #if, macro bodies)
# --------------------------------------------------------------------------------------------

_MASK64 = (1 << 64) - 1


class _Macro(NamedTuple):
    """A #define of a devicetree file."""
    params: Optional[tuple]    # None: object-like
    body: str


_BUILTINS = {
    "DT_SIZE_K": _Macro(("x",), "((x) * 1024)"),
    "DT_SIZE_M": _Macro(("x",), "((x) * 1024 * 1024)"),
    "BIT": _Macro(("n",), "(1 << (n))"),
}

# the tokens of a C expression (in macro bodies and cell expressions: compiled on first use)
_EXPR_TOKEN = r"""
    (?P<ws>\s+|/\*.*?\*/|//[^\n]*)
  | (?P<num>[0-9][0-9A-Za-z_]*)
  | (?P<chr>'(?:\\(?:x[0-9A-Fa-f]+|[0-7]{1,3}|.)|[^'\\\n])')
  | (?P<id>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op><<|>>|<=|>=|==|!=|&&|\|\||\#\#|[-+*/%&|^~!()<>?:,\#])
"""

_ESCAPES = {"n": 10, "t": 9, "r": 13, "a": 7, "b": 8, "f": 12, "v": 11,
            "\\": 92, "'": 39, '"': 34, "?": 63}


class _Unresolved(Exception):
    """The value cannot be computed here (unknown macro, unsupported construct)."""


class _Malformed(_Unresolved):
    """The text itself is not a valid expression, whatever its macros mean."""


def _int_literal(text: str) -> Optional[int]:
    body = text.rstrip("uUlL")
    try:
        if body[:2] in ("0x", "0X"):
            return int(body[2:], 16)
        if body[:2] in ("0b", "0B"):
            return int(body[2:], 2)
        if len(body) > 1 and body[0] == "0":
            return int(body[1:], 8)
        return int(body, 10)
    except ValueError:
        return None


def _char_literal(text: str) -> Optional[int]:
    inner = text[1:-1]
    if not inner:
        return None
    if inner[0] != "\\":
        return ord(inner) if len(inner) == 1 else None
    esc = inner[1:]
    if esc[:1] == "x":
        try:
            return int(esc[1:], 16) & 0xFF
        except ValueError:
            return None
    if esc[:1].isdigit():
        try:
            return int(esc, 8) & 0xFF
        except ValueError:
            return None
    return _ESCAPES.get(esc, ord(esc[0]) if len(esc) == 1 else None)


def _tokenize(text: str) -> Optional[list]:
    toks = []
    pos = 0
    n = len(text)
    token = re.compile(_EXPR_TOKEN, re.X | re.S).match
    while pos < n:
        m = token(text, pos)
        if not m:
            return None
        pos = m.end()
        kind = m.lastgroup
        if kind != "ws":
            toks.append((kind, m.group(kind)))
    return toks


class _Evaluator:
    """C integer expressions over unsigned 64-bit values, with macro expansion.

    A name that is not a known macro has the value None ("unknown"), which propagates through
    every operator except where C's short-circuit rules make it irrelevant (`0 && X`, `1 || X`,
    and the untaken side of `?:`). Malformed text raises _Unresolved.
    """

    def __init__(self, macros: dict, allow_defined: bool = False):
        self.macros = macros
        self.allow_defined = allow_defined
        self.steps = 0

    def eval_text(self, text: str, depth: int = 0) -> int:
        if depth > _MAX_MACRO_DEPTH:
            raise _Unresolved("macro nesting too deep")
        toks = _tokenize(text)
        if toks is None or not toks:
            raise _Malformed(text)
        self.steps += len(toks)
        if self.steps > _MAX_EVAL_STEPS:
            raise _Unresolved("expression too large")
        self.toks = toks
        self.i = 0
        self.depth = depth
        value = self._ternary()
        if self.i != len(self.toks):
            raise _Malformed(text)
        return value

    def value(self, text: str) -> int:
        """Like eval_text, but an unknown name raises _Unresolved."""
        v = self.eval_text(text)
        if v is None:
            raise _Unresolved(text)
        return v

    # -- token helpers
    def _peek(self) -> Optional[tuple]:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def _take(self, op: str) -> bool:
        t = self._peek()
        if t is not None and t[0] == "op" and t[1] == op:
            self.i += 1
            return True
        return False

    def _expect(self, op: str) -> None:
        if not self._take(op):
            raise _Malformed(f"expected {op}")

    # -- grammar
    def _ternary(self) -> int:
        cond = self._binary(0)
        if self._take("?"):
            a = self._ternary()
            self._expect(":")
            b = self._ternary()
            if cond is None:
                return a if a == b else None
            return a if cond else b
        return cond

    _LEVELS = (("||",), ("&&",), ("|",), ("^",), ("&",), ("==", "!="),
               ("<", ">", "<=", ">="), ("<<", ">>"), ("+", "-"), ("*", "/", "%"))

    def _binary(self, level: int) -> int:
        if level == len(self._LEVELS):
            return self._unary()
        left = self._binary(level + 1)
        ops = self._LEVELS[level]
        while True:
            t = self._peek()
            if t is None or t[0] != "op" or t[1] not in ops:
                return left
            self.i += 1
            right = self._binary(level + 1)
            left = self._apply(t[1], left, right)

    @staticmethod
    def _apply(op: str, a, b):
        if op == "||":
            if a or b:          # a known true side decides
                return 1
            return None if a is None or b is None else 0
        if op == "&&":
            if a == 0 or b == 0:
                return 0
            return None if a is None or b is None else 1
        if a is None or b is None:
            return None
        if op == "|":
            return a | b
        if op == "^":
            return a ^ b
        if op == "&":
            return a & b
        if op == "==":
            return int(a == b)
        if op == "!=":
            return int(a != b)
        if op == "<":
            return int(a < b)
        if op == ">":
            return int(a > b)
        if op == "<=":
            return int(a <= b)
        if op == ">=":
            return int(a >= b)
        if op in ("<<", ">>"):
            if b >= 64:
                return 0
            return ((a << b) if op == "<<" else (a >> b)) & _MASK64
        if op == "+":
            return (a + b) & _MASK64
        if op == "-":
            return (a - b) & _MASK64
        if op == "*":
            return (a * b) & _MASK64
        if b == 0:
            raise _Unresolved("division by zero")
        return (a // b) if op == "/" else (a % b)

    def _unary(self) -> int:
        t = self._peek()
        if t is not None and t[0] == "op" and t[1] in ("-", "+", "~", "!"):
            self.i += 1
            v = self._unary()
            if v is None:
                return None
            if t[1] == "-":
                return (-v) & _MASK64
            if t[1] == "~":
                return (~v) & _MASK64
            if t[1] == "!":
                return int(not v)
            return v
        return self._primary()

    def _primary(self) -> int:
        t = self._peek()
        if t is None:
            raise _Malformed("missing operand")
        self.i += 1
        kind, text = t
        if kind == "num":
            v = _int_literal(text)
            if v is None:
                raise _Unresolved(f"invalid number {text}")
            return v & _MASK64
        if kind == "chr":
            v = _char_literal(text)
            if v is None:
                raise _Unresolved(text)
            return v
        if kind == "op" and text == "(":
            v = self._ternary()
            self._expect(")")
            return v
        if kind == "id":
            if text == "defined" and self.allow_defined:
                paren = self._take("(")
                name = self._peek()
                if name is None or name[0] != "id":
                    raise _Malformed("defined without a name")
                self.i += 1
                if paren:
                    self._expect(")")
                return int(name[1] in self.macros)
            return self._macro(text)
        raise _Malformed(f"unexpected {text}")

    def _macro(self, name: str):
        mac = self.macros.get(name)
        if mac is not None and mac.params is None:
            return self._sub(mac.body)
        if not self._take("("):
            if mac is None:
                return None          # an unknown name
            raise _Unresolved(name)  # a function-like macro without arguments
        args: list = [[]]
        level = 0
        while True:
            t = self._peek()
            if t is None:
                raise _Malformed("unbalanced macro call")
            self.i += 1
            if t[0] == "op" and t[1] == "(":
                level += 1
            elif t[0] == "op" and t[1] == ")":
                if level == 0:
                    break
                level -= 1
            elif t[0] == "op" and t[1] == "," and level == 0:
                args.append([])
                continue
            args[-1].append(t[1])
        if mac is None:
            return None              # a call of an unknown macro
        if args == [[]] and not mac.params:
            args = []
        if len(args) != len(mac.params):
            raise _Unresolved(f"{name} takes {len(mac.params)} arguments")
        body = _tokenize(mac.body)
        if body is None or any(k == "op" and v in ("#", "##") for k, v in body):
            raise _Unresolved(name)
        table = dict(zip(mac.params, (" ".join(a) for a in args)))
        text = " ".join(table.get(v, v) if k == "id" else v for k, v in body)
        return self._sub(text)

    def _sub(self, text: str) -> int:
        saved = (self.toks, self.i, self.depth)
        try:
            return self.eval_text(text, self.depth + 1)
        except _Malformed as exc:       # a macro body we cannot read is not the cell's fault
            raise _Unresolved(str(exc)) from None
        finally:
            self.toks, self.i, self.depth = saved


def evaluate(text: str, macros: Optional[dict] = None) -> Optional[int]:
    """Evaluate a C integer expression (unsigned 64-bit), or None when it cannot be."""
    table = dict(_BUILTINS)
    if macros:
        table.update(macros)
    try:
        return _Evaluator(table).value(text)
    except (_Unresolved, RecursionError, ValueError, OverflowError):
        return None


def _condition(text: str, macros: dict) -> Optional[bool]:
    try:
        v = _Evaluator(macros, allow_defined=True).eval_text(text)
        return None if v is None else bool(v)
    except (_Unresolved, RecursionError, ValueError, OverflowError):
        return None


def _ref_target(cell: str) -> str:
    """'&label' -> 'label'; '&{/a/b}' -> '/a/b'."""
    if cell.startswith("&{") and cell.endswith("}"):
        return cell[2:-1].strip()
    return cell[1:]


# --------------------------------------------------------------------------------------------
# Per-file state: positions and syntax bookkeeping
# --------------------------------------------------------------------------------------------

class _FileCtx:
    def __init__(self, path: Path, src: bytes, system: bool, shift: int = 0):
        self.path = path
        self.src = src
        self.shift = shift               # bytes of wrapper text before the file's first line
        self.system = system
        self.line_starts = starts = [0]
        at = src.find(b"\n")
        while at >= 0:
            starts.append(at + 1)
            at = src.find(b"\n", at + 1)
        self.ascii = src.isascii()
        self.handled: list = []          # (start, end) byte ranges whose errors are accounted for
        self.syntax: list = []           # (offset, message, fix)
        self.too_deep_reported = False

    def pos(self, offset: int) -> tuple:
        if offset < 0:
            offset = 0
        elif offset > len(self.src):
            offset = len(self.src)
        row = bisect.bisect_right(self.line_starts, offset) - 1
        start = self.line_starts[row]
        if self.ascii:
            col = offset - start + 1
        else:
            col = len(self.src[start:offset].decode("utf-8", "replace")) + 1
        if row == 0 and self.shift:
            col = max(1, col - self.shift)
        return row + 1, col

    def span(self, start: int, end: Optional[int] = None) -> Span:
        line, col = self.pos(start)
        if end is None:
            return Span(self.path, line, col)
        eline, ecol = self.pos(end)
        return Span(self.path, line, col, eline, ecol)

    def text(self, node) -> str:
        return self.src[node.start_byte:node.end_byte].decode("utf-8", "replace")

    def syntax_error(self, offset: int, message: str, fix: str = "",
                     region: Optional[tuple] = None) -> None:
        self.syntax.append((offset, message, fix))
        if region:
            self.handled.append(region)

    def is_handled(self, start: int, end: int) -> bool:
        return any(a <= start < b for a, b in self.handled)


# --------------------------------------------------------------------------------------------
# Property values
# --------------------------------------------------------------------------------------------

_WS_B = re.compile(rb"(?:\s+|/\*.*?\*/|//[^\n]*)*", re.S)
_IDENT_B = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*")
_LABEL_B = re.compile(rb"([A-Za-z_][A-Za-z0-9_]*)[ \t]*:(?!:)")
_NUMBER_B = re.compile(rb"[0-9][0-9A-Za-z_]*")
_CHAR_B = rb"'(?:\\(?:x[0-9A-Fa-f]+|[0-7]{1,3}|.)|[^'\\\n])'"      # rare: compiled on first use
_STRING_B = re.compile(rb'"((?:[^"\\]|\\.)*)"', re.S)
_BITS_B = re.compile(rb"/bits/\s*([0-9]+)")
_PATHREF_B = re.compile(rb"&\{([^}\n]*)\}")
_HEXPAIR_B = re.compile(rb"[0-9A-Fa-f]{2}")


class _ValueError(Exception):
    def __init__(self, offset: int, message: str, fix: str = ""):
        super().__init__(message)
        self.offset = offset
        self.message = message
        self.fix = fix


def _unescape(raw: bytes) -> str:
    out = bytearray()
    i = 0
    n = len(raw)
    while i < n:
        c = raw[i]
        if c != 0x5C or i + 1 >= n:
            out.append(c)
            i += 1
            continue
        e = chr(raw[i + 1])
        if e == "x":
            m = re.match(rb"[0-9A-Fa-f]{1,2}", raw[i + 2:i + 4])
            if m:
                out.append(int(m.group(), 16))
                i += 2 + len(m.group())
                continue
            out.append(ord("x"))
            i += 2
            continue
        if e in "01234567":
            m = re.match(rb"[0-7]{1,3}", raw[i + 1:i + 4])
            out.append(int(m.group(), 8) & 0xFF)
            i += 1 + len(m.group())
            continue
        out.append(_ESCAPES.get(e, raw[i + 1]))
        i += 2
    return out.decode("utf-8", "replace")


def _balanced(src: bytes, i: int, end: int) -> int:
    """Given src[i] == '(', the offset just past the matching ')', or -1."""
    level = 0
    while i < end:
        c = src[i]
        if c == 0x28:
            level += 1
        elif c == 0x29:
            level -= 1
            if level == 0:
                return i + 1
        elif c == 0x22:
            m = _STRING_B.match(src, i, end)
            if not m:
                return -1
            i = m.end()
            continue
        elif c == 0x27:
            m = re.compile(_CHAR_B).match(src, i, end)
            if m:
                i = m.end()
                continue
        elif c in (0x3B, 0x7B, 0x7D):     # ; { } never inside an expression
            return -1
        i += 1
    return -1


class _ValueParser:
    def __init__(self, f: _FileCtx, macros: dict):
        self.f = f
        self.src = f.src
        self.macros = macros

    def ws(self, i: int, end: int) -> int:
        return min(_WS_B.match(self.src, i, end).end(), end)

    def _what(self, i: int, end: int) -> str:
        tok = re.match(rb"[^\s]{1,20}", self.src[i:min(end, i + 20)])
        return tok.group().decode("utf-8", "replace") if tok else "?"

    def parse(self, start: int, end: int) -> list:
        src = self.src
        values: list = []
        self.partial = values            # what was read before an error, kept by the caller
        i = self.ws(start, end)
        if i >= end:
            raise _ValueError(start, "missing value after '='",
                              "write a value, or remove '=' for a boolean property")
        while True:
            # labels on a value (`prop = lab: <1>;`) are legal and carry no value
            m = _LABEL_B.match(src, i, end)
            while m:
                i = self.ws(m.end(), end)
                m = _LABEL_B.match(src, i, end)
            values.append(self._component(i, end))
            i = self.ws(values[-1]._end, end)
            if i >= end:
                return values
            if src[i] == 0x2C:       # ','
                i = self.ws(i + 1, end)
                if i >= end:
                    raise _ValueError(i, "missing value after ','",
                                      "remove the trailing ',' or add the value")
                continue
            prev_end = values[-1]._end
            if self.f.pos(i)[0] > self.f.pos(prev_end)[0]:
                raise _ValueError(prev_end, "missing ';' after the value",
                                  "end the property with ';'")
            raise _ValueError(i, f"expected ',' or ';' before '{self._what(i, end)}'",
                              "separate values with ',' and end the property with ';'")

    def _component(self, i: int, end: int) -> DtsValue:
        src = self.src
        start = i
        bits = 32
        m = _BITS_B.match(src, i, end)
        if m:
            bits = int(m.group(1))
            if bits not in (8, 16, 32, 64):
                raise _ValueError(m.start(1), f"/bits/ must be 8, 16, 32 or 64, not {bits}")
            i = self.ws(m.end(), end)
            if i >= end or src[i] != 0x3C:
                raise _ValueError(i, "expected '<' after /bits/")
        c = src[i:i + 1]
        if c == b'"':
            m = _STRING_B.match(src, i, end)
            if not m:
                raise _ValueError(i, "unterminated string", "close the string with '\"'")
            return self._value("string", start, m.end(), [_unescape(m.group(1))])
        if c == b"<":
            return self._cells(start, i, end, bits)
        if c == b"[":
            return self._bytes(start, i, end)
        if c == b"&":
            m = _PATHREF_B.match(src, i, end)
            if m:
                return self._value("ref", start, m.end(), [m.group(1).decode("utf-8", "replace").strip()])
            m = _IDENT_B.match(src, i + 1, end)
            if m:
                return self._value("ref", start, m.end(), [m.group().decode()])
            raise _ValueError(i, "expected a label after '&'")
        if src.startswith(b"/incbin/", i, end):
            j = self.ws(i + 8, end)
            k = _balanced(src, j, end) if src[j:j + 1] == b"(" else -1
            if k < 0:
                raise _ValueError(i, "malformed /incbin/")
            return self._value("expr", start, k, [src[start:k].decode("utf-8", "replace")])
        m = _IDENT_B.match(src, i, end)
        if m:
            k = m.end()
            if src[k:k + 1] == b"(":
                k = _balanced(src, k, end)
                if k < 0:
                    raise _ValueError(m.end(), "missing ')'")
            text = src[start:k].decode("utf-8", "replace")
            word = m.group().decode()
            if k == m.end() and word not in self.macros and word.upper() != word:
                # `status = okay;`: macros are upper case; a lower-case word is a missing quote
                raise _ValueError(start, f"'{word}' is not a value: a string needs quotes",
                                  f'write "{word}"')
            return self._value("expr", start, k, [text])
        raise _ValueError(i, f"unexpected '{self._what(i, end)}' in a property value",
                          "a value is a \"string\", <cells>, [bytes] or a &label")

    def _value(self, kind: str, start: int, stop: int, items: list, bits: int = 32,
               offsets: Optional[list] = None) -> DtsValue:
        v = DtsValue(kind, self.src[start:stop].decode("utf-8", "replace"), items,
                     self.f.span(start, stop), bits)
        if offsets:
            v._where = (self.f, offsets)      # type: ignore[attr-defined]
        v._end = stop          # type: ignore[attr-defined]
        return v

    def _cells(self, start: int, i: int, end: int, bits: int) -> DtsValue:
        src = self.src
        items: list = []
        offsets: list = []
        mask = (1 << bits) - 1
        i += 1
        last = i
        while True:
            i = self.ws(i, end)
            if i >= end:
                raise _ValueError(last, "missing '>'", "close the cells with '>'")
            c = src[i]
            cell_start = i
            if c == 0x3E:                            # '>'
                return self._value("cells", start, i + 1, items, bits, offsets)
            if c == 0x26:                            # '&'
                m = _PATHREF_B.match(src, i, end)
                if m:
                    i = m.end()
                    items.append("&{" + m.group(1).decode("utf-8", "replace").strip() + "}")
                else:
                    m = _IDENT_B.match(src, i + 1, end)
                    if not m:
                        raise _ValueError(i, "expected a label after '&'")
                    i = m.end()
                    items.append("&" + m.group().decode())
            elif c == 0x27:                          # char literal
                m = re.compile(_CHAR_B).match(src, i, end)
                if not m:
                    raise _ValueError(i, "malformed character literal")
                i = m.end()
                items.append((_char_literal(m.group().decode("utf-8", "replace")) or 0) & mask)
            elif c == 0x28:                          # '(' expression ')'
                k = _balanced(src, i, end)
                if k < 0:
                    raise _ValueError(i, "missing ')'", "balance the parentheses")
                i = k
                items.append(self._eval(cell_start, k, mask))
            elif 0x30 <= c <= 0x39:                  # number
                m = _NUMBER_B.match(src, i, end)
                i = m.end()
                text = m.group().decode()
                v = _int_literal(text)
                if v is None:
                    raise _ValueError(cell_start, f"invalid number '{text}'")
                items.append(v & mask)
            else:
                m = _LABEL_B.match(src, i, end)
                if m:                                # a label inside cells: no value
                    i = m.end()
                    last = i
                    continue
                m = _IDENT_B.match(src, i, end)
                if not m:
                    what = self._what(i, end)
                    hint = " (write expressions in parentheses)" if what[:1] in "-+~!*/|" else ""
                    raise _ValueError(i, f"unexpected '{what}' in cells{hint}",
                                      "cells hold numbers, (expressions), macros and &labels")
                k = m.end()
                if src[k:k + 1] == b"(":
                    k = _balanced(src, k, end)
                    if k < 0:
                        raise _ValueError(m.end(), "missing ')'", "balance the parentheses")
                i = k
                items.append(self._eval(cell_start, k, mask))
            offsets.append((cell_start, i))
            last = i

    def _eval(self, start: int, stop: int, mask: int) -> Cell:
        text = self.src[start:stop].decode("utf-8", "replace")
        try:
            return _Evaluator(self.macros).value(text) & mask
        except _Malformed:
            raise _ValueError(start, f"malformed expression '{' '.join(text.split())[:40]}'",
                              "check the operators and parentheses") from None
        except (_Unresolved, RecursionError, ValueError, OverflowError):
            return " ".join(text.split())

    def _bytes(self, start: int, i: int, end: int) -> DtsValue:
        src = self.src
        items: list = []
        i += 1
        while True:
            i = self.ws(i, end)
            if i >= end:
                raise _ValueError(i, "missing ']'", "close the byte string with ']'")
            if src[i] == 0x5D:
                return self._value("bytes", start, i + 1, items)
            m = _LABEL_B.match(src, i, end)
            if m:
                i = m.end()
                continue
            m = _HEXPAIR_B.match(src, i, end)
            if not m:
                raise _ValueError(i, f"invalid byte '{self._what(i, end)}' in a byte string",
                                  "write bytes as pairs of hex digits: [9d 40 13]")
            items.append(int(m.group(), 16))
            i = m.end()


# --------------------------------------------------------------------------------------------
# Lexical scan: braces, strings, comments
# --------------------------------------------------------------------------------------------

# braces, strings and comments (for files with syntax errors only: compiled on first use)
_LEX = rb'/\*.*?\*/|/\*|//[^\n]*|"(?:[^"\\\n]|\\.)*"?|\'(?:\\.|[^\'\\\n])\'|[{}]'


def _lexical_problems(f: _FileCtx) -> list:
    """(offset, message, fix, region) for unbalanced braces, unterminated strings/comments."""
    src = f.src
    out = []
    opens: list = []          # offsets of '{' still open
    pairs: list = []          # (open, close)
    bad_lines: set = set()
    for m in re.finditer(_LEX, src, re.S):
        tok = m.group()
        c = tok[:1]
        if c == b"{":
            opens.append(m.start())
        elif c == b"}":
            if opens:
                pairs.append((opens.pop(), m.start()))
            else:
                out.append((m.start(), "unmatched '}'",
                            "remove it, or add the '{' it was meant to close",
                            (m.start(), m.start() + 1)))
        elif tok == b"/*":
            out.append((m.start(), "unterminated comment '/*'", "close the comment with '*/'",
                        (m.start(), len(src))))
            break
        elif c == b'"' and not _STRING_B.fullmatch(tok):
            out.append((m.start(), "unterminated string", "close the string with '\"'",
                        (m.start(), m.end())))
            bad_lines.add(f.pos(m.start())[0])
    if opens:
        def indent(off: int) -> bytes:
            ls = f.line_starts[f.pos(off)[0] - 1]
            return re.match(rb"[ \t]*", src[ls:off + 1]).group()
        suspects = list(opens)
        # a block closed by a '}' indented differently is where a '};' is likely missing
        suspects += [o for o, c in pairs if indent(o) != indent(c)]
        culprit = max(suspects)
        line = f.pos(culprit)[0]
        if line not in bad_lines:
            out.append((culprit, "'{' is never closed (a '};' is missing)",
                        "add the '};' that ends this block", (opens[0], len(src))))
    return out


# --------------------------------------------------------------------------------------------
# The reader
# --------------------------------------------------------------------------------------------

_parser = None


def _binding(package: str):
    """The compiled `_binding` module of a tree-sitter package, loaded without running the package's
    __init__ (tree_sitter's imports typing for one Protocol class; the grammar's imports
    importlib.resources, and with it tempfile, shutil, random, bz2 and lzma, for query files dfulint
    never reads), or None when it cannot be found that way."""
    name = package + "._binding"
    if name in sys.modules:
        return sys.modules[name]
    try:
        import importlib.machinery
        import importlib.util

        spec = importlib.util.find_spec(package)
        for folder in (spec.submodule_search_locations or []) if spec else []:
            for suffix in importlib.machinery.EXTENSION_SUFFIXES:
                path = os.path.join(folder, "_binding" + suffix)
                if os.path.isfile(path):
                    loader = importlib.machinery.ExtensionFileLoader(name, path)
                    binding = importlib.util.module_from_spec(
                        importlib.util.spec_from_file_location(name, path, loader=loader))
                    loader.exec_module(binding)
                    sys.modules[name] = binding
                    return binding
    except Exception:
        pass
    return None


def _grammar() -> object:
    """The devicetree grammar (a capsule for tree_sitter.Language), through the package's own API
    when its compiled module cannot be loaded directly."""
    binding = _binding("tree_sitter_devicetree")
    if binding is not None and callable(getattr(binding, "language", None)):
        try:
            return binding.language()
        except Exception:       # a later grammar package whose compiled module works otherwise
            pass
    import tree_sitter_devicetree
    return tree_sitter_devicetree.language()


def _get_parser():
    global _parser
    if _parser is None:
        binding = _binding("tree_sitter")
        try:
            _parser = binding.Parser(binding.Language(_grammar()))
        except Exception:       # no such module, or one of another tree-sitter: the package's API
            import tree_sitter
            _parser = tree_sitter.Parser(tree_sitter.Language(_grammar()))
    return _parser


_BRANCH_SKIP_FIELDS = ("name", "condition", "alternative")


def _resolve(p: Path) -> Path:
    try:
        return Path(os.path.realpath(p))
    except (OSError, ValueError, RuntimeError):
        return Path(os.path.abspath(p))


# the largest devicetree sources of a west workspace are about 150 KB; parsing is superlinear on
# some malformed text (a megabyte of `[` takes seconds), so larger files are not parsed
MAX_DTS_CHARS = 1024 * 1024


class _Reader:
    def __init__(self, top: Path, include_dirs: Sequence[Path], allowed_roots: Sequence[Path]):
        self.include_dirs = [Path(os.path.abspath(d)) for d in include_dirs]
        roots = list(allowed_roots) if allowed_roots else [top.parent]
        roots += self.include_dirs
        self.allowed = [_resolve(Path(r)) for r in roots]
        self.out = DtsFile(top)
        self.macros: dict = dict(_BUILTINS)
        self.stack: list = []          # resolved paths of the files being read
        self.files_read = 0
        self.follow = True

    # -- files
    def read(self, path: Path, ctx: Optional[DtsNode], system: bool) -> bool:
        text = read_text(path)
        if text.problem is not None:
            self.out.problems.append(text.problem)
            return False
        if len(text.text) > MAX_DTS_CHARS:
            self.out.problems.append(Problem(
                "too-large", Span(path, 1, 1),
                f"devicetree file is {len(text.text)} characters, more than dfulint parses ({MAX_DTS_CHARS}); "
                "a board DTS or overlay is a few ten kilobytes", "check that this is the intended file"))
            return False
        self.out.files.append(path)
        src = text.text.encode("utf-8", "replace")
        # a file included inside a node holds a node body: parse it inside a wrapper block
        wrapper = b"/ {" if ctx is not None else b""
        if wrapper:
            src = wrapper + src + b"\n};\n"
        try:
            tree = _get_parser().parse(src)
        except ImportError as exc:
            self.out.problems.append(Problem("unsupported", Span(path, 1, 1),
                                     f"devicetree parser unavailable: {exc}",
                                     "install tree-sitter-devicetree"))
            return False
        f = _FileCtx(path, src, system, len(wrapper))
        body = tree.root_node
        if wrapper:
            body = next((c for c in body.children if c.type == "node"), body)
        self.stack.append(_resolve(path))
        try:
            self._statements(body, ctx, f)
        finally:
            self.stack.pop()
        if tree.root_node.has_error or f.syntax:
            self._syntax_problems(tree.root_node, f)
        return True

    # -- statements (iterative: nesting depth never reaches Python's stack)
    def _statements(self, root, ctx: Optional[DtsNode], f: _FileCtx) -> None:
        stack = [(iter(root.children), ctx, 0, False)]
        while stack:
            it, ctx, depth, quiet = stack[-1]
            child = next(it, None)
            if child is None:
                stack.pop()
                continue
            t = child.type
            if t == "node":
                if depth >= MAX_NODE_DEPTH:
                    if not f.too_deep_reported:
                        f.too_deep_reported = True
                        self.out.problems.append(Problem(
                            "too-deep", f.span(child.start_byte),
                            f"nodes nested more than {MAX_NODE_DEPTH} deep; deeper nodes ignored",
                            "flatten the tree: real devicetrees are a few levels deep"))
                    continue
                node = self._node(child, ctx, f, quiet)
                if node is not None:
                    stack.append((iter(child.children), node, depth + 1, quiet))
            elif t == "property":
                if ctx is not None or not quiet:
                    self._property(child, ctx, f)
            elif t == "delete_property":
                self._delete_property(child, ctx, f)
            elif t == "delete_node":
                self._delete_node(child, ctx, f)
            elif t in ("preproc_include", "dtsi_include"):
                self._include(child, ctx, f)
            elif t in ("preproc_def", "preproc_function_def"):
                self._define(child, f)
            elif t == "preproc_undef":
                name = child.child_by_field_name("name")
                if name is not None:
                    n = f.text(name)
                    self.macros.pop(n, None)
                    self.out.defines.pop(n, None)
            elif t in ("preproc_if", "preproc_ifdef"):
                branch = self._branch(child, f)
                if branch:
                    stack.append((iter(branch), ctx, depth, quiet))
            elif t == "omit_if_no_ref":
                inner = [c for c in child.named_children if c.type == "node"]
                if inner:
                    stack.append((iter(inner), ctx, depth, quiet))
            elif t == "ERROR":
                # recover what tree-sitter kept intact inside the broken region; the error
                # itself is reported once by _syntax_problems
                stack.append((iter(child.children), ctx, depth, True))
            elif t == "comment":
                self.out.comments.append(Located(f.text(child), f.span(child.start_byte,
                                                                        child.end_byte)))

    def _node(self, ts, ctx: Optional[DtsNode], f: _FileCtx,
              quiet: bool = False) -> Optional[DtsNode]:
        labels = []
        name_node = None
        address = None
        for i, c in enumerate(ts.children):
            fld = ts.field_name_for_child(i)
            if fld == "label":
                labels.append(f.text(c))
            elif fld == "name" and name_node is None:
                name_node = c
            elif fld == "address" and c.type == "unit_address":
                address = f.text(c)
        if name_node is None:
            return None
        span = f.span(ts.start_byte, ts.end_byte)
        if name_node.type == "reference":
            target = self._reference(name_node, f)
            if ctx is not None:
                if quiet:
                    return None
                f.syntax_error(ts.start_byte, "a '&label { }' block must be at the top level, "
                               "outside every node", "move the block out of its parent",
                               (ts.start_byte, ts.end_byte))
                return None
            if target is None:
                return None
            node = DtsNode("", target, labels, span=span)
            self.out.roots.append(node)
            return node
        name = f.text(name_node)
        if address is not None:
            name = f"{name}@{address}"
        node = DtsNode(name, None, labels, span=span)
        if ctx is None:
            if name != "/":
                if quiet:
                    return None
                f.syntax_error(ts.start_byte, f"a top-level node must be '/' or '&label', "
                               f"not '{name}'", "put the node inside '/ { ... };'",
                               (ts.start_byte, ts.end_byte))
                return None
            self.out.roots.append(node)
        else:
            if name == "/":
                f.syntax_error(ts.start_byte, "'/' is the root: it cannot be a child node",
                               region=(ts.start_byte, ts.end_byte))
                return None
            ctx.children.append(node)
        return node

    @staticmethod
    def _reference(ref, f: _FileCtx) -> Optional[str]:
        lab = ref.child_by_field_name("label")
        if lab is not None:
            return f.text(lab)
        for c in ref.named_children:
            if c.type == "path":
                return "".join(f.text(c).split()) or "/"
        return None

    def _property(self, ts, ctx: Optional[DtsNode], f: _FileCtx) -> None:
        name_node = ts.child_by_field_name("name")
        if name_node is None or name_node.is_missing or name_node.start_byte == name_node.end_byte:
            return
        name = f.text(name_node)
        if ctx is None:
            f.syntax_error(ts.start_byte, f"property '{name}' outside of any node",
                           "put it inside '/ { ... };' or a '&label { ... };' block",
                           (ts.start_byte, ts.end_byte))
            return
        labels = [f.text(c) for c in ts.children_by_field_name("label")] \
            if name_node.start_byte > ts.start_byte else []
        eq = None                # the '=' (a node or its offset)
        semi = None              # the ';' (a node or its offset)
        broken_name = None       # an ERROR between the name and '=' (`flag` + newline + `x = 1;`)
        if not ts.has_error:
            # fast path, no child nodes built: `name [= value];` is all there is
            i = _WS_B.match(f.src, name_node.end_byte, ts.end_byte).end()
            if f.src[i:i + 1] == b"=":
                eq = i + 1
            if f.src[ts.end_byte - 1:ts.end_byte] == b";":
                semi = ts.end_byte - 1
        children = ts.children if ts.has_error else ()
        for c in children:
            t = c.type
            if t == "=":
                if eq is None and not c.is_missing:
                    eq = c.end_byte
            elif t == ";":
                if not c.is_missing:
                    semi = c.start_byte
            elif t == "ERROR" and eq is None and broken_name is None \
                    and c.start_byte >= name_node.end_byte:
                broken_name = c
        if broken_name is not None:
            if f.pos(broken_name.start_byte)[0] > f.pos(name_node.end_byte)[0]:
                f.syntax_error(name_node.end_byte, f"missing ';' after '{name}'",
                               "end the property with ';'", (name_node.end_byte, ts.end_byte))
                eq = None
                semi = ts.end_byte       # a boolean property; do not report again below
            else:
                return          # `name <garbage> = value`: reported by the syntax pass
        span = f.span(name_node.start_byte, ts.end_byte)
        values: list = []
        value_span = None
        if eq is not None:
            start = eq
            end = semi if semi is not None and semi >= start else ts.end_byte
            parser = _ValueParser(f, self.macros)
            try:
                values = parser.parse(start, end)
                f.handled.append((start, end))
            except _ValueError as err:
                f.syntax_error(err.offset, f"{err.message} (property '{name}')", err.fix,
                               (start, end))
                values = list(getattr(parser, "partial", []))
            if values and values[0].span is not None:
                a, b = values[0].span, values[-1].span
                value_span = Span(f.path, a.line, a.col, b.end_line, b.end_col)
            else:
                value_span = f.span(parser.ws(start, end), end)
        elif semi is None:
            # `name` followed by something else: a missing ';' or a broken value
            nxt = name_node.next_sibling
            if nxt is not None and f.pos(nxt.start_byte)[0] > f.pos(name_node.end_byte)[0]:
                f.syntax_error(name_node.end_byte, f"missing ';' after '{name}'",
                               "end the property with ';'", (name_node.end_byte, ts.end_byte))
        if value_span is None:
            value_span = Span(f.path, span.line, span.col, span.line, span.col + len(name))
        prop = DtsProperty(name, values, span, value_span, labels)
        ctx.props[name] = prop

    def _delete_property(self, ts, ctx: Optional[DtsNode], f: _FileCtx) -> None:
        name_node = ts.child_by_field_name("name")
        if name_node is None:
            return
        name = f.text(name_node)
        if ctx is None:
            f.syntax_error(ts.start_byte, "/delete-property/ outside of any node",
                           region=(ts.start_byte, ts.end_byte))
            return
        ctx.props.pop(name, None)
        ctx.deleted_props.append((name, f.span(ts.start_byte, ts.end_byte)))

    def _delete_node(self, ts, ctx: Optional[DtsNode], f: _FileCtx) -> None:
        name_node = ts.child_by_field_name("name")
        if name_node is None:
            return
        span = f.span(ts.start_byte, ts.end_byte)
        if name_node.type == "reference":
            target = self._reference(name_node, f)
            if target is None:
                return
            what = target if target.startswith("/") else "&" + target
        else:
            what = f.text(name_node)
            addr = None
            for i, c in enumerate(ts.children):
                if ts.field_name_for_child(i) == "address" and c.type == "unit_address":
                    addr = f.text(c)
            if addr is not None:
                what = f"{what}@{addr}"
        if ctx is None:
            if not (what.startswith("&") or what.startswith("/")):
                f.syntax_error(ts.start_byte, "at the top level, /delete-node/ takes a "
                               "&label or &{/path}", region=(ts.start_byte, ts.end_byte))
                return
            holder = DtsNode("/", None, span=span)
            holder.deleted_nodes.append((what, span))
            self.out.roots.append(holder)
            return
        ctx.children = [c for c in ctx.children if c.name != what]
        ctx.deleted_nodes.append((what, span))

    def _define(self, ts, f: _FileCtx) -> None:
        name_node = ts.child_by_field_name("name")
        if name_node is None:
            return
        name = f.text(name_node)
        value = ts.child_by_field_name("value")
        body = f.text(value) if value is not None else ""
        body = re.sub(r"\\\r?\n", " ", body)
        body = re.sub(r"/\*.*?\*/|//[^\n]*", " ", body, flags=re.S).strip()
        params = None
        pnode = ts.child_by_field_name("parameters")
        if pnode is not None:
            params = tuple(f.text(c) for c in pnode.named_children)
        self.macros[name] = _Macro(params, body)
        self.out.defines[name] = body

    def _branch(self, ts, f: _FileCtx) -> list:
        node = ts
        for _ in range(10000):
            if node is None:
                return []
            t = node.type
            first = node.children[0].type if node.child_count else ""
            if t == "preproc_else":
                verdict: Optional[bool] = True
            elif t in ("preproc_ifdef", "preproc_elifdef"):
                name = node.child_by_field_name("name")
                defined = name is not None and f.text(name) in self.macros
                verdict = (not defined) if first in ("#ifndef", "#elifndef") else defined
            else:
                cond = node.child_by_field_name("condition")
                verdict = _condition(f.text(cond), self.macros) if cond is not None else None
            if verdict is None or verdict:
                body = []
                for i, c in enumerate(node.children):
                    if c.is_named and node.field_name_for_child(i) not in _BRANCH_SKIP_FIELDS:
                        body.append(c)
                return body
            node = node.child_by_field_name("alternative")
        return []

    def _include(self, ts, ctx: Optional[DtsNode], f: _FileCtx) -> None:
        pnode = ts.child_by_field_name("path")
        if pnode is None:
            return
        raw = f.text(pnode)
        span = f.span(ts.start_byte, pnode.end_byte)
        if pnode.type == "system_lib_string":
            system = True
            name = raw.strip()[1:-1].strip()
        elif pnode.type == "string_literal":
            system = False
            name = _unescape(raw.strip()[1:-1].encode("utf-8"))
        else:
            return        # #include MACRO: not followed
        inc = DtsInclude(name, system, span, None)
        self.out.includes.append(inc)
        if not name or not self.follow:
            return
        candidates = [] if system else [f.path.parent / name]
        candidates += [d / name for d in self.include_dirs]
        found = None
        for c in candidates:
            try:
                if c.is_file():
                    found = Path(os.path.abspath(c))
                    break
            except (OSError, ValueError):
                continue
        if found is None:
            if not system:
                where = ", ".join(str(c.parent) for c in candidates[:4])
                self.out.problems.append(Problem(
                    "include-missing", span, f'included file "{name}" not found (looked in {where})',
                    "fix the file name, or add the file to the project"))
            return
        real = _resolve(found)
        if not any(inside(real, r) for r in self.allowed):
            self.out.problems.append(Problem(
                "include-outside", span,
                f'included file "{name}" resolves to {real}, outside the project; not read',
                "keep included files inside the project (or the west workspace)"))
            return
        if real in self.stack:
            self.out.problems.append(Problem(
                "too-deep", span, f'include cycle: "{name}" is already being included',
                "remove the #include that closes the cycle"))
            return
        if len(self.stack) > MAX_INCLUDE_DEPTH or self.files_read >= MAX_INCLUDED_FILES:
            self.out.problems.append(Problem(
                "too-deep", span,
                f'includes nested more than {MAX_INCLUDE_DEPTH} deep or more than '
                f'{MAX_INCLUDED_FILES} files; "{name}" not read', "simplify the includes"))
            return
        inc.resolved = found
        self.files_read += 1
        self.read(found, ctx, system or f.system)

    # -- syntax problems
    def _syntax_problems(self, root, f: _FileCtx) -> None:
        lexical = _lexical_problems(f)
        for off, msg, fix, region in lexical:
            f.syntax_error(off, msg, fix)
        brace_offsets = [off for off, msg, _, _ in lexical if "'{'" in msg or "'}'" in msg
                         or "unterminated" in msg]
        regions = [r for _, _, _, r in lexical]

        def covered(a: int, b: int) -> bool:
            if f.is_handled(a, b):
                return True
            if any(a <= o <= max(b, a + 1) for o in brace_offsets):
                return True
            return any(ra <= a < rb for ra, rb in regions)

        cursor = root.walk()
        count = 0
        while count < 200000:
            count += 1
            node = cursor.node
            descend = False
            if node.is_missing or (node.has_error and node.child_count == 0
                                   and not node.is_error):
                if not covered(node.start_byte, node.end_byte):
                    what = node.type
                    if not (what == "}" and brace_offsets):
                        text = f"missing '{what}'" if not node.is_named else \
                            ("missing name" if what == "identifier" else f"missing {what.replace('_', ' ')}")
                        f.syntax_error(node.start_byte, text, region=(node.start_byte, node.end_byte + 1))
            elif node.is_error:
                if not covered(node.start_byte, node.end_byte):
                    off, msg, fix = self._describe_error(node, f)
                    f.syntax_error(off, msg, fix, (node.start_byte, node.end_byte))
                elif not f.is_handled(node.start_byte, node.end_byte):
                    # a lexical problem lies inside: keep only a missing ';' found before it
                    off, msg, fix = self._describe_error(node, f)
                    inside = [o for o in brace_offsets if node.start_byte <= o <= node.end_byte]
                    if msg.startswith("missing ';'") and inside and off < min(inside):
                        f.syntax_error(off, msg, fix)
            elif node.has_error:
                descend = True
            if descend and cursor.goto_first_child():
                continue
            while not cursor.goto_next_sibling():
                if not cursor.goto_parent():
                    count = 10 ** 9
                    break
        if f.system:
            f.syntax = []       # headers and workspace files are not the user's to fix
            return
        seen_lines: set = set()
        emitted = 0
        for off, msg, fix in sorted(f.syntax, key=lambda s: s[0]):
            line, col = f.pos(off)
            if line in seen_lines:
                continue
            seen_lines.add(line)
            if emitted == MAX_SYNTAX_PROBLEMS:
                self.out.problems.append(Problem("syntax", Span(f.path, line, col),
                                                 "too many syntax errors; the rest are not shown"))
                break
            emitted += 1
            self.out.problems.append(Problem("syntax", Span(f.path, line, col), msg, fix))

    def _describe_error(self, node, f: _FileCtx) -> tuple:
        leaves = []
        stack = [node]
        while stack and len(leaves) < 200:
            n = stack.pop()
            if n.child_count == 0:
                leaves.append(n)
            else:
                stack.extend(reversed(n.children))
        prev = node.prev_sibling
        if prev is not None and (prev.type.startswith("preproc") or prev.type == "comment"):
            prev = None
        while prev is not None and prev.child_count:
            prev = prev.children[-1]
        if prev is not None and prev.type not in (";", "{", "comment") \
                and f.pos(node.start_byte)[0] > f.pos(prev.end_byte)[0]:
            return prev.end_byte, "missing ';' at the end of the line", "end the statement with ';'"
        enders = {"}", ">", "]", '"', ")", "identifier", "integer_literal", "string_literal"}
        nxt = node.next_sibling
        while nxt is not None and nxt.child_count:
            nxt = nxt.children[0]
        if nxt is not None and not nxt.is_missing:
            leaves_after = leaves + [nxt]
        else:
            leaves_after = leaves
        for a, b in zip(leaves_after, leaves_after[1:]):
            after = (";", ",", "}", ">", "]", ")", "{", "comment", "@", ":") if a.type == "}" \
                else (";", ",", "}", ">", "]", ")", "=", "{", "comment", "@", ":")
            if a.type in enders and b.type not in after \
                    and f.pos(b.start_byte)[0] > f.pos(a.end_byte)[0]:
                return a.end_byte, "missing ';' at the end of the line", \
                    "end the statement with ';'"
        first = leaves[0] if leaves else node
        text = f.src[first.start_byte:min(first.end_byte, first.start_byte + 30)]
        shown = text.decode("utf-8", "replace").split("\n")[0] or f.text(node)[:30]
        return node.start_byte, f"unexpected '{shown}'", \
            "check the statement: properties are 'name = value;', nodes 'name { ... };'"


def parse_dts(path: Path, include_dirs: Sequence[Path] = (),
              allowed_roots: Sequence[Path] = ()) -> DtsFile:
    """Read a devicetree source file as written (see the module docstring). Never raises."""
    top = Path(os.path.abspath(path))
    return parsed_once("dts", (top, tuple(include_dirs), tuple(allowed_roots)),
                       lambda: _read_dts(top, include_dirs, allowed_roots))


def _read_dts(top: Path, include_dirs: Sequence[Path], allowed_roots: Sequence[Path]) -> DtsFile:
    reader = _Reader(top, include_dirs, allowed_roots)
    try:
        reader.out.readable = reader.read(top, None, False)
    except RecursionError:
        reader.out.problems.append(Problem("too-deep", Span(top, 1, 1),
                                           "input nested too deeply to read",
                                           "simplify the file"))
    except Exception as exc:     # a reader bug must not become the user's crash
        reader.out.problems.append(Problem("internal", Span(top, 1, 1),
                                           f"devicetree reader failed: {type(exc).__name__}: {exc}",
                                           "please report this file to dfulint"))
    return reader.out


def parse_dts_text(text: str, path: Path = Path("<text>")) -> DtsFile:
    """Parse devicetree text that is not in a file (no includes are followed)."""
    top = Path(os.path.abspath(path))
    reader = _Reader(top, (), ())
    reader.follow = False        # includes are recorded, never read
    src = text.encode("utf-8", "replace")
    f = _FileCtx(top, src, False)
    try:
        tree = _get_parser().parse(src)
        reader._statements(tree.root_node, None, f)
        if tree.root_node.has_error or f.syntax:
            reader._syntax_problems(tree.root_node, f)
    except Exception as exc:
        reader.out.problems.append(Problem("internal", Span(top, 1, 1),
                                           f"devicetree reader failed: {type(exc).__name__}: {exc}"))
    return reader.out
