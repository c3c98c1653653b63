"""Partition Manager YAML reader: pm_static*.yml and a build's partitions.yml.

`yaml.safe_load` hides what Partition Manager trips over, so the file is composed into nodes
(with line and column marks) and walked by hand: duplicate keys are reported (PyYAML keeps
the last), and numbers that are not YAML integers (`0X1000`, `"0x8000"`, `12k`) are reported
at their line (Partition Manager dies on them with a Python TypeError).
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

from dfulint import imported_on_first_use

# PyYAML's pure-Python Reader compiles, when yaml is imported, a regex of every printable Unicode
# character; building it costs a tenth of a small app's whole run. dfulint reads YAML with libyaml,
# which checks characters itself; the pure-Python loader (deeply nested text, or PyYAML built
# without libyaml) still gets the exact pattern, compiled the first time it is used.
_YAML_NON_PRINTABLE = "[^\x09\x0A\x0D\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD\U00010000-\U0010ffff]"


class _OnFirstUse:
    """Stands in for a compiled pattern in `re`'s cache until a method of it is used."""

    def __init__(self, pattern: str) -> None:
        self._source = pattern
        self._real = None

    def __getattr__(self, name: str) -> Any:
        if self._real is None:
            self._real = re.compile(self._source, re.UNICODE)   # another cache key: a real compile
        return getattr(self._real, name)


if "yaml" not in sys.modules and isinstance(getattr(re, "_cache", None), dict):
    re._cache.setdefault((str, _YAML_NON_PRINTABLE, 0), _OnFirstUse(_YAML_NON_PRINTABLE))


# PyYAML is executed when a YAML file is first read: a check of an app without YAML files never
# imports it, which costs about a twentieth of checking a small app
yaml = imported_on_first_use("yaml")

from dfulint.core import Located, Span  # noqa: E402
from dfulint.records import NamedTuple  # noqa: E402
from dfulint.sources import Problem, parsed_once, read_text  # noqa: E402

TYPE_CHECKING = False      # (typing.TYPE_CHECKING without importing typing)
if TYPE_CHECKING:
    from typing import Any, Optional

_CLoader: Any = False       # yaml.CSafeLoader (libyaml: much faster, keeps marks), None without libyaml


def _c_loader():
    global _CLoader
    if _CLoader is False:
        _CLoader = getattr(yaml, "CSafeLoader", None)
    return _CLoader

# libyaml composes nested collections recursively in C: a few ten thousand levels ("[[[[...",
# "- - - ...") overflow the C stack and kill the process. Text that might nest deeper than this
# is composed by the pure-Python loader, which stops with a RecursionError instead.
C_NESTING_LIMIT = 400
# at most this many nodes are turned into Python data per value (aliases can make a tiny file
# describe an exponentially large structure)
PLAIN_NODE_BUDGET = 4096


def nesting_bound(text: str) -> int:
    """An upper bound on how deeply the YAML in `text` can nest collections.

    A block collection nests deeper only by indenting (sequences may share their parent key's
    column, hence the factor 2) or by compact indicators (`- `, `? `, `: `) on one line; a flow
    collection needs a `[` or `{`. Quotes and comments are not excluded, so the bound only errs high.
    """
    openers = text.count("[") + text.count("{")
    line_bound = 0
    for line in text.split("\n"):
        body = line.lstrip(" ")
        if not body or body.startswith("#"):
            continue
        indent = len(line) - len(body)
        b = 2 * (indent + 1) + body.count("-") + body.count("?") + body.count(":")
        if b > line_bound:
            line_bound = b
    return line_bound + openers


# deeper flow nesting than this is refused before parsing: the pure-Python scanner slows down
# with every open flow level, and its composer would give up at about this depth anyway
FLOW_DEPTH_LIMIT = 300


def flow_depth_bound(text: str) -> int:
    """The deepest `[`/`{` nesting, counting brackets inside quotes too (an estimate)."""
    if "[" not in text and "{" not in text:
        return 0
    brackets = re.sub(r"[^\[\]{}]+", "", text)
    depth = deepest = 0
    for c in brackets:
        if c in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
        elif depth:
            depth -= 1
    return deepest


# the pure-Python loader reads about half a megabyte a second: larger text that needs it (because
# it might nest deeply) is refused like deep nesting, instead of costing seconds per file
PURE_LOADER_MAX_CHARS = 256 * 1024


def _loader(text: str):
    bound = nesting_bound(text)
    c_loader = _c_loader()
    if c_loader is not None and bound <= C_NESTING_LIMIT:
        return c_loader
    if flow_depth_bound(text) > FLOW_DEPTH_LIMIT:
        raise RecursionError("flow collections nest too deeply")
    if c_loader is not None and len(text) > PURE_LOADER_MAX_CHARS:
        raise RecursionError("the file is large and may nest too deeply to read")
    return yaml.SafeLoader


def compose_yaml(text: str) -> Optional[yaml.Node]:
    """yaml.compose, safe on hostile input: raises yaml.YAMLError or RecursionError, never crashes."""
    return yaml.compose(text, Loader=_loader(text))


# values a YAML file may describe once its aliases are expanded: a consumer walking or printing the
# data (str() of a sample.yaml list) visits every expanded value, so a "billion laughs" file of a
# few hundred bytes would take gigabytes
YAML_VALUE_BUDGET = 100_000


def expanded_size(node: Any, budget: int = YAML_VALUE_BUDGET) -> int:
    """How many values `node` stands for with every alias expanded, counted up to `budget` + 1
    (iteratively; a recursive alias counts as over budget)."""
    stack = [node]
    n = 0
    while stack:
        cur = stack.pop()
        n += 1
        if n > budget:
            return n
        v = getattr(cur, "value", None)
        if isinstance(cur, yaml.SequenceNode):
            stack.extend(v)
        elif isinstance(cur, yaml.MappingNode):
            for k, x in v:
                stack.append(k)
                stack.append(x)
    return n


def _first_alias_line(text: str) -> int:
    m = re.search(r"(?m)(^|[\s\[{,:-])\*[^\s,\]}]", text)
    return text.count("\n", 0, m.start()) + 1 if m else 1


def load_yaml(text: str, path: Optional[Path] = None) -> Any:
    """yaml.safe_load with the same protection, and an alias budget: text whose aliases expand to
    more than YAML_VALUE_BUDGET values loads as None (and, with `path`, is reported as a problem
    of that file). Returns None for text that does not load. Loaded once per run for the same text
    (a sample.yaml is read for its boards and again for its scenarios); callers only read the result."""
    def load() -> Any:
        try:
            loader = _loader(text)(text)
            try:
                node = loader.get_single_node()
                if node is None:
                    return None
                if "*" in text and expanded_size(node) > YAML_VALUE_BUDGET:
                    return _TOO_BIG
                return loader.construct_document(node)
            finally:
                loader.dispose()
        except Exception:  # PyYAML's constructors fail with IndexError, KeyError... on odd scalars
            return None
    data = parsed_once("yaml", (text,), load)
    if data is _TOO_BIG:
        if path is not None:
            from dfulint import files
            files.note(path, files.Refusal(
                "structure", f"YAML aliases (`*name`) here expand to more than {YAML_VALUE_BUDGET} values; "
                "dfulint does not read a file this large once expanded (an alias bomb?)",
                "write the values out instead of nesting aliases of aliases", _first_alias_line(text)))
        return None
    return data


_TOO_BIG = object()

INT_KEYS = ("address", "end_address", "size")
KNOWN_KEYS = {"address", "end_address", "size", "region", "device", "span", "orig_span",
              "placement", "share_size", "inside", "align", "align_next", "affiliation",
              "extra_params", "sharers"}
INT_TAG = "tag:yaml.org,2002:int"
_CONSTRUCTOR: Any = None     # yaml.constructor.SafeConstructor(), made when first needed


def _int_of(node) -> Any:
    global _CONSTRUCTOR
    if _CONSTRUCTOR is None:
        _CONSTRUCTOR = yaml.constructor.SafeConstructor()
    return _CONSTRUCTOR.construct_yaml_int(node)
STR_TAG = "tag:yaml.org,2002:str"


class PmPartition(NamedTuple):
    """One partition of a pm_static.yml, with the span of each field."""
    name: str
    span: Span                                  # where the partition's name is written
    fields: dict[str, Located]                  # filled as the file is read

    def int(self, key: str) -> Optional[int]:
        v = self.fields.get(key)
        return v.value if v is not None and isinstance(v.value, int) and not isinstance(v.value, bool) else None

    def str(self, key: str) -> Optional[str]:
        v = self.fields.get(key)
        return v.value if v is not None and isinstance(v.value, str) else None

    def names(self, key: str) -> list[str]:
        """A span/share_size-like value as a list of partition names."""
        v = self.fields.get(key)
        if v is None:
            return []
        val = v.value
        if isinstance(val, str):
            return [val]
        if isinstance(val, list):
            return [x for x in val if isinstance(x, str)]
        if isinstance(val, dict) and isinstance(val.get("one_of"), list):
            return [x for x in val["one_of"] if isinstance(x, str)]
        return []

    def at(self, key: str) -> Span:
        v = self.fields.get(key)
        return v.span if v is not None else self.span


class PmFile:
    """A pm_static.yml file: its partitions and the problems found reading it. Two are equal when
    path, partitions, problems and readability are."""
    __slots__ = ("path", "partitions", "problems", "readable")

    path: Path
    partitions: dict[str, PmPartition]
    problems: list[Problem]
    readable: bool

    def __init__(self, path: Path, partitions: Optional[dict[str, PmPartition]] = None,
                 problems: Optional[list[Problem]] = None, readable: bool = True) -> None:
        self.path = path
        self.partitions = {} if partitions is None else partitions
        self.problems = [] if problems is None else problems
        self.readable = readable

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return (self.path, self.partitions, self.problems, self.readable) == \
            (other.path, other.partitions, other.problems, other.readable)

    __hash__ = None         # mutable, compared by value: not a set member or dict key

    def __repr__(self) -> str:
        return (f"PmFile(path={self.path!r}, partitions={self.partitions!r}, problems={self.problems!r}, "
                f"readable={self.readable!r})")


def _span(path: Path, node: yaml.Node) -> Span:
    m, e = node.start_mark, node.end_mark
    return Span(path, m.line + 1, m.column + 1, e.line + 1, e.column + 1)


def _number(text: str) -> Optional[int]:
    """Parse something a human meant as a number (for the fix text only)."""
    t = text.strip().strip("'\"").replace("_", "")
    try:
        return int(t, 0)
    except ValueError:
        return None


def _plain(path: Path, node: yaml.Node, depth: int = 0, memo: Optional[dict] = None,
           budget: Optional[list] = None) -> Any:
    """Turn a node into Python data, bounded in depth and in nodes visited. An aliased node is
    converted once and shared, so `&a [*b, *b, ...]` chains ("billion laughs") stay small."""
    memo = {} if memo is None else memo
    budget = [PLAIN_NODE_BUDGET] if budget is None else budget
    if depth > 8 or budget[0] <= 0:
        return None
    key = id(node)
    if key in memo:
        return memo[key]
    budget[0] -= 1
    if isinstance(node, yaml.ScalarNode):
        if node.tag == INT_TAG:
            try:
                out = _int_of(node)
            except Exception:
                out = node.value
        elif node.tag == "tag:yaml.org,2002:bool":
            out = node.value.lower() in ("true", "yes", "on", "y")
        else:
            out = node.value
    elif isinstance(node, yaml.SequenceNode):
        out = []
        memo[key] = out
        out.extend(_plain(path, n, depth + 1, memo, budget) for n in node.value[:256])
    elif isinstance(node, yaml.MappingNode):
        out = {}
        memo[key] = out
        for k, v in node.value[:256]:
            if isinstance(k, yaml.ScalarNode):
                out[k.value] = _plain(path, v, depth + 1, memo, budget)
    else:
        out = None
    memo[key] = out
    return out


def parse_pm(path: Path) -> PmFile:
    return parsed_once("pm", (path,), lambda: _read_pm(path))


def _read_pm(path: Path) -> PmFile:
    pm = PmFile(path)
    text = read_text(path)
    if text.problem:
        pm.problems.append(text.problem)
        pm.readable = False
        return pm
    try:
        root = compose_yaml(text.text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        pm.problems.append(Problem("syntax", Span(path, line, col),
                           f"YAML syntax error: {what}; Partition Manager cannot read this file",
                           "fix the YAML at this line"))
        pm.readable = False
        return pm
    except RecursionError:
        pm.problems.append(Problem("syntax", Span(path, 1, 1), "YAML nesting is too deep to read",
                                   "flatten the file"))
        pm.readable = False
        return pm
    if root is None:
        return pm
    if not isinstance(root, yaml.MappingNode):
        pm.problems.append(Problem("structure", _span(path, root),
                           "a Partition Manager file must be a mapping of partition names",
                           "write `name: {address: ..., size: ...}` entries"))
        pm.readable = False
        return pm
    for knode, vnode in root.value:
        if not isinstance(knode, yaml.ScalarNode):
            pm.problems.append(Problem("structure", _span(path, knode),
                               "partition name is not a plain string", "use a plain name"))
            continue
        name = knode.value
        part = PmPartition(name, _span(path, knode), {})
        if name in pm.partitions:
            first = pm.partitions[name].span
            pm.problems.append(Problem(
                "duplicate-key", part.span,
                f"partition '{name}' is defined twice (first at line {first.line}); YAML keeps only "
                "this later definition and Partition Manager never sees the first",
                f"remove one of the two '{name}' entries"))
        pm.partitions[name] = part
        if not isinstance(vnode, yaml.MappingNode):
            pm.problems.append(Problem("structure", _span(path, vnode),
                               f"partition '{name}' must be a mapping of keys (address, size, ...)",
                               "indent its keys under the name"))
            continue
        seen: dict[str, Span] = {}
        for fk, fv in vnode.value:
            if not isinstance(fk, yaml.ScalarNode):
                continue
            key = fk.value
            kspan = _span(path, fk)
            if key in seen:
                pm.problems.append(Problem(
                    "duplicate-key", kspan,
                    f"'{name}' has the key '{key}' twice (first at line {seen[key].line}); YAML keeps "
                    "only this later value",
                    f"delete one of the two '{key}' lines"))
            seen[key] = kspan
            vspan = _span(path, fv)
            value = _plain(path, fv)
            if key in INT_KEYS:
                if not (isinstance(fv, yaml.ScalarNode) and fv.tag == INT_TAG and isinstance(value, int)):
                    raw = fv.value if isinstance(fv, yaml.ScalarNode) else "(not a scalar)"
                    n = _number(raw) if isinstance(raw, str) else None
                    quoted = isinstance(fv, yaml.ScalarNode) and fv.style in ("'", '"')
                    why = "is quoted, so YAML reads a string" if quoted else "is not a YAML integer"
                    fix = (f"write `{key}: 0x{n:x}` (unquoted, lower-case 0x)" if n is not None
                           else f"write `{key}:` as a plain integer such as 0x8000")
                    pm.problems.append(Problem(
                        "not-an-integer", vspan,
                        f"'{name}.{key}: {raw}' {why}; Partition Manager crashes on it with a Python "
                        "TypeError instead of naming this line", fix))
                    value = n if n is not None else raw
                    part.fields[key] = Located(value, vspan)
                    continue
                if value < 0:
                    pm.problems.append(Problem("not-an-integer", vspan,
                                       f"'{name}.{key}' is negative ({value})", "use a positive address or size"))
            part.fields[key] = Located(value, vspan)
    return pm
