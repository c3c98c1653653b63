"""Kconfig values of one image, as Zephyr's build would compute them.

dfulint does not need the real Kconfig tree: it generates a small typed tree from its symbol
catalogue (dfulint/knowledge/kconfig.yaml) for one image, one NCS version and one SoC, loads the
image's fragments into it with kconfiglib's own `load_config(replace=False)` (the loader Zephyr
and sysbuild use), then reads the values back. That gives Zephyr's exact value semantics (types,
"last assignment wins", first character of bools, quoted strings, choices, defaults, `select`,
unmet dependencies), while every value keeps the file:line it came from. An installed dfulint
does not generate the trees: they are built with the package, with kconfiglib's tokens of each
line, into dfulint/knowledge/kconfig_trees.bin (prebuilt_trees(); generated again where that file
is missing or made from another catalogue, SoC table or version of this module).

Two kinds of names are kept apart:

* symbols the catalogue knows: their status per image and version is certain (renamed, removed,
  defined only in another image, not yet added), and their value is computed;
* every other symbol: "not known to dfulint". Applications use thousands of symbols; these are
  never reported, and their value is simply the last assignment in the fragments.

Facts from outside Kconfig (SoC, board, devicetree, Partition Manager) enter through `facts`.
An unknown fact never produces a finding: a dependency on it counts as met, a default that
depends on it does not apply.
"""
from __future__ import annotations

import os
import re
from _thread import RLock
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path

from dfulint.records import NamedTuple

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional, Union

    from dfulint.sources.kconf import Assignment

_KNOWLEDGE = Path(__file__).resolve().parent.parent / "knowledge" / "kconfig.yaml"
_LATEST = (99, 99, 99)
_STRING_VALUE = re.compile(r'"((?:[^\\"]|\\.)*)"')


# ---------------------------------------------------------------------------------------------
# public data

class SymbolInfo(NamedTuple):
    """What the catalogue knows of a Kconfig symbol in one image and SDK version."""
    name: str
    type: str
    images: frozenset
    prompt: bool
    depends_on: Optional[str]
    selects: tuple
    choice: Optional[str]
    added: Optional[tuple]
    removed: Optional[tuple]
    renamed_to: Optional[str]
    renamed_since: Optional[tuple]
    source: str
    note: str = ""
    scope_certain: bool = True


class Value(NamedTuple):
    """A symbol's effective value in an image, and the assignments that made it."""
    value: Union[str, int, None]  # "y"/"n", int, str, or None when unset
    origin: str                   # "fragment", "forced", "default", "select", "unset"
    assignments: list = ()        # the assignments, in build order
    note: str = ""


class Dropped:
    """An assignment that did not take effect, and why."""
    __slots__ = ("assignment", "reason", "detail", "_order")

    assignment: Assignment        # the assignment that was dropped
    reason: str                   # "dependency", "type", "no-prompt", "forced", "choice", "select", "range"
    detail: str
    # `_order`: set by the evaluation, the assignment's place among the image's (the list is sorted by it)

    def __init__(self, assignment: Assignment, reason: str, detail: str) -> None:
        self.assignment = assignment
        self.reason = reason
        self.detail = detail

    def __repr__(self) -> str:
        return f"Dropped({self.assignment!r}, {self.reason!r}, {self.detail!r})"


class ImageConfig:
    """One image's evaluated Kconfig: every value with its provenance, and what did not take."""
    __slots__ = ("image", "sdk", "dropped", "unknown", "undefined", "notes", "_values", "_records", "_namespace")

    image: str
    sdk: tuple
    dropped: list
    unknown: list                 # assignments to symbols outside the catalogue
    undefined: list               # (assignment, status, detail): catalogue symbols
                                  # this image/version does not define
    notes: list
    _values: dict
    _records: dict                # name -> [(assignment, origin)]
    _namespace: str

    def __init__(self, image: str, sdk: tuple = (), dropped: Optional[list] = None, unknown: Optional[list] = None,
                 undefined: Optional[list] = None, notes: Optional[list] = None, _values: Optional[dict] = None,
                 _records: Optional[dict] = None, _namespace: str = "image") -> None:
        self.image = image
        self.sdk = sdk
        self.dropped = [] if dropped is None else dropped
        self.unknown = [] if unknown is None else unknown
        self.undefined = [] if undefined is None else undefined
        self.notes = [] if notes is None else notes
        self._values = {} if _values is None else _values
        self._records = {} if _records is None else _records
        self._namespace = _namespace

    def __repr__(self) -> str:
        return f"ImageConfig({self.image!r}, sdk={self.sdk!r}, dropped={self.dropped!r}, unknown={self.unknown!r})"

    def get(self, name: str) -> Value:
        key = _strip_prefix(name)[0]
        v = self._values.get(key)
        if v is not None:
            return v
        recs = self._records.get(key, [])
        assigns = [a for a, _ in recs]
        if self._namespace != "fallback" and _catalogue_entry(key, self._namespace) is not None:
            st, detail = status_in(key, self.image, self.sdk or _LATEST)
            note = {"renamed": f"renamed to {detail}", "removed": f"removed in NCS {detail}",
                    "not-yet": f"added in NCS {detail}",
                    "other-image": f"defined only in the {detail} image"}.get(st, "")
            return Value(None, "unset", assigns, note)
        if not recs:
            return Value(None, "unset", [], "")
        from dfulint.sources.kconf import guess_type, interpret
        for a, origin in reversed(recs):
            if getattr(a, "unset", False):
                return Value("n", origin, assigns, "")
            typ = guess_type(a.raw)
            if typ == "unknown":
                return Value(a.raw.strip(), origin, assigns, "")
            val, err = interpret(a.raw, typ)
            if err is None:
                return Value(val, origin, assigns, "")
        return Value(None, "unset", assigns, "")

    def enabled(self, name: str) -> bool:
        return self.get(name).value == "y"

    def int(self, name: str) -> Optional[int]:
        v = self.get(name).value
        return v if isinstance(v, int) and not isinstance(v, bool) else None

    def str(self, name: str) -> Optional[str]:
        v = self.get(name).value
        if not isinstance(v, str):
            return None
        info = symbol(name, None if self._namespace == "image" else "sysbuild")
        if info is not None and info.type in ("bool", "tristate") and v in ("y", "n", "m"):
            return None
        return v

    @property
    def values(self) -> dict:
        """Computed values of every catalogue symbol the image defines."""
        return dict(self._values)


# ---------------------------------------------------------------------------------------------
# catalogue

def _ver(v: Any) -> Optional[tuple]:
    if v is None:
        return None
    if isinstance(v, list):
        v = tuple(v)
    return _ver_of(v)


@lru_cache(maxsize=2048)
def _ver_of(v: Any) -> Optional[tuple]:
    """A version as a 3-tuple (the catalogue asks for the same few versions thousands of times)."""
    if isinstance(v, tuple):
        t = tuple(int(x) for x in v)
    else:
        parts = str(v).strip().lstrip("v").split(".")
        try:
            t = tuple(int(p) for p in parts if p != "")
        except ValueError:
            return None
    return (t + (0, 0, 0))[:3]


def _norm_sdk(sdk: Any) -> tuple:
    try:
        t = _ver(sdk)
    except (TypeError, ValueError):
        t = None
    return t if t is not None else _LATEST


class _Entry(NamedTuple):
    """One catalogue symbol as read from knowledge/kconfig.yaml."""
    name: str
    ns: str                       # "image" (CONFIG_) or "sysbuild" (SB_CONFIG_)
    raw: dict
    type: str
    images: frozenset
    choice: Optional[str]
    added: Optional[tuple]
    removed: Optional[tuple]
    renamed_to: Optional[str]
    renamed_since: Optional[tuple]
    scope_certain: bool
    source: str
    note: str
    soft: frozenset = frozenset()

    def exists(self, sdk: tuple) -> bool:
        if self.added and sdk < self.added:
            return False
        if self.removed and sdk >= self.removed:
            return False
        if self.renamed_to and self.renamed_since and sdk >= self.renamed_since:
            return False
        return True


class _Catalogue(NamedTuple):
    """The whole symbol catalogue: image and sysbuild symbols, choices and facts."""
    image_syms: dict
    sb_syms: dict
    image_choices: dict
    sb_choices: dict
    facts: dict


_SB_IMAGES = frozenset(("sysbuild",))
_BOTH_IMAGES = frozenset(("app", "mcuboot"))
_NO_NAMES: frozenset = frozenset()


def _entry(name: str, ns: str, raw: dict) -> _Entry:
    get = raw.get
    imgs = get("images")
    added, removed, since, soft = get("added"), get("removed"), get("renamed_since"), get("soft")
    # (positional, in _Entry's order: the catalogue makes some 270 of these in every process)
    return _Entry(
        name, ns, raw, str(get("type", "bool")),
        frozenset(imgs) if imgs else _SB_IMAGES if ns == "sysbuild" else _BOTH_IMAGES,
        get("choice"), None if added is None else _ver(added), None if removed is None else _ver(removed),
        get("renamed_to"), None if since is None else _ver(since), bool(get("scope_certain", True)),
        str(get("source", "")), str(get("note", "")), frozenset(soft) if soft else _NO_NAMES)


@lru_cache(maxsize=1)
def _catalogue() -> _Catalogue:
    """The symbol catalogue, built once per process from knowledge/kconfig.yaml (under a millisecond
    from the tables an installed dfulint ships pre-built)."""
    return _build_catalogue()


def _build_catalogue() -> _Catalogue:
    from dfulint.knowledge import load_table
    data = load_table(Path(_KNOWLEDGE)) or {}
    sb = data.get("sysbuild") or {}
    return _Catalogue(
        image_syms={n: _entry(n, "image", r or {}) for n, r in (data.get("symbols") or {}).items()},
        sb_syms={n: _entry(n, "sysbuild", r or {}) for n, r in (sb.get("symbols") or {}).items()},
        image_choices={n: r or {} for n, r in (data.get("choices") or {}).items()},
        sb_choices={n: r or {} for n, r in (sb.get("choices") or {}).items()},
        facts=dict(data.get("facts") or {}))


def _strip_prefix(name: str) -> tuple[str, Optional[str]]:
    n = (name or "").strip()
    if n.startswith("SB_CONFIG_"):
        return n[len("SB_CONFIG_"):], "sysbuild"
    if n.startswith("CONFIG_"):
        return n[len("CONFIG_"):], "image"
    return n, None


def _catalogue_entry(name: str, ns: Optional[str]) -> Optional[_Entry]:
    cat = _catalogue()
    if ns == "sysbuild":
        return cat.sb_syms.get(name)
    if ns == "image":
        return cat.image_syms.get(name)
    return cat.image_syms.get(name) or cat.sb_syms.get(name)


def default_is_conditional(name: str, sdk: Any) -> bool:
    """Whether a catalogued symbol's defaults at `sdk` hang on a condition (an `if`). When none does,
    the value they give does not depend on facts dfulint may lack (an unknown SoC or board)."""
    e = _catalogue_entry(*_strip_prefix(name))
    if e is None:
        return True
    v = _norm_sdk(sdk)
    return any(isinstance(d, dict) and d.get("if") and _applies(d, v) for d in (e.raw.get("default") or []))


def _applies(item: Any, sdk: tuple, image: Optional[str] = None) -> bool:
    if not isinstance(item, dict):
        return True
    since, until = _ver(item.get("since")), _ver(item.get("until"))
    if since and sdk < since:
        return False
    if until and sdk >= until:
        return False
    if image is not None and item.get("image") and item.get("image") != image:
        return False
    return True


def _dep_exprs(raw: dict, sdk: tuple) -> list[str]:
    deps = raw.get("depends_on")
    if deps is None:
        return []
    if isinstance(deps, str):
        return [deps]
    out = []
    for d in deps:
        if isinstance(d, str):
            out.append(d)
        elif isinstance(d, dict) and _applies(d, sdk) and d.get("expr"):
            out.append(str(d["expr"]))
    return out


def _prompt_at(raw: dict, sdk: tuple) -> Any:
    """True, False, or a condition string."""
    p = raw.get("prompt", True)
    if isinstance(p, list):
        val: Any = False
        for item in p:
            if isinstance(item, dict) and _applies(item, sdk):
                val = item.get("value", True)
        return val
    return p


def _ref_list(raw: dict, key: str, sdk: tuple) -> list[tuple[str, Optional[str]]]:
    out = []
    for item in raw.get(key) or []:
        if isinstance(item, str):
            out.append((item, None))
        elif isinstance(item, dict) and _applies(item, sdk) and item.get("symbol"):
            out.append((str(item["symbol"]), item.get("if")))
    return out


def symbol(name: str, image: Optional[str] = None, sdk: Any = None) -> Optional[SymbolInfo]:
    """What the catalogue says about `name` (CONFIG_/SB_CONFIG_ prefix optional).

    `image="sysbuild"` or an SB_CONFIG_ prefix selects sysbuild's namespace; otherwise image
    symbols are preferred and sysbuild's are the fallback. `sdk` picks the version the
    dependency and prompt are given for (default: the newest)."""
    try:
        key, ns = _strip_prefix(name)
        if image == "sysbuild":
            ns = "sysbuild"
        return _symbol(key, ns, _norm_sdk(sdk))
    except Exception:
        return None


@lru_cache(maxsize=8192)
def _symbol(key: str, ns: Optional[str], v: tuple) -> Optional[SymbolInfo]:
    """symbol() of a name without its prefix (rules ask for the same few symbols at every board)."""
    try:
        e = _catalogue_entry(key, ns)
        if e is None:
            return None
        deps = _dep_exprs(e.raw, v)
        prompt = _prompt_at(e.raw, v)
        return SymbolInfo(
            name=e.name, type=e.type, images=e.images, prompt=prompt is not False,
            depends_on=" && ".join(f"({d})" if len(deps) > 1 else d for d in deps) or None,
            selects=tuple(s for s, _ in _ref_list(e.raw, "select", v)), choice=e.choice,
            added=e.added, removed=e.removed, renamed_to=e.renamed_to, renamed_since=e.renamed_since,
            source=e.source, note=e.note, scope_certain=e.scope_certain)
    except Exception:
        return None


# Zephyr release -> the first NCS release whose Zephyr fork contains it (from sdk-nrf's west.yml
# pins; approximate for the newest ones). The catalogue is keyed by NCS versions.
_ZEPHYR_TO_NCS = [((2, 4), (1, 4, 0)), ((2, 5), (1, 6, 0)), ((2, 6), (1, 6, 0)), ((2, 7), (1, 8, 0)),
                  ((3, 0), (2, 0, 0)), ((3, 1), (2, 1, 0)), ((3, 2), (2, 2, 0)), ((3, 3), (2, 4, 0)),
                  ((3, 4), (2, 5, 0)), ((3, 5), (2, 6, 0)), ((3, 6), (2, 7, 0)), ((3, 7), (2, 8, 0)),
                  ((4, 0), (2, 9, 0)), ((4, 1), (3, 0, 0)), ((4, 2), (3, 1, 0)), ((4, 3), (3, 2, 0)),
                  ((4, 4), (3, 3, 0))]


def ncs_for_zephyr(version: Any) -> Optional[tuple]:
    """The NCS version to look the catalogue up with for a plain Zephyr project (x.y.99
    development versions count as the next release). None when it cannot be told."""
    v = _ver(version) if version is not None else None
    if v is None:
        return None
    major, minor, patch = v
    if patch >= 90:
        minor += 1
        if (major, minor) not in dict(_ZEPHYR_TO_NCS) and (major + 1, 0) in dict(_ZEPHYR_TO_NCS):
            major, minor = major + 1, 0
    best = None
    for zv, nv in _ZEPHYR_TO_NCS:
        if zv <= (major, minor):
            best = nv
    if best is None:
        return (1, 4, 0) if (major, minor) < _ZEPHYR_TO_NCS[0][0] else None
    if (major, minor) > _ZEPHYR_TO_NCS[-1][0]:
        return _LATEST
    return best


def _norm_image(image: Optional[str]) -> str:
    im = (image or "app").strip().lower()
    if im in ("sysbuild", "mcuboot"):
        return im
    return "app"   # every other Zephyr image (network core, NSIB, ...) sees the generic tree


def _fmt_ver(v: Optional[tuple]) -> str:
    if not v:
        return ""
    return f"{v[0]}.{v[1]}" if v[2] == 0 else f"{v[0]}.{v[1]}.{v[2]}"


def status_over(name: str, image: str, low: Any, high: Any) -> tuple[str, Optional[str]]:
    """A symbol's status for a project that may be on any version in [low, high]. When the SDK
    version is only a guess, a rename or removal counts only if it happened before the earliest
    version the project can be on, and "not yet" only if the symbol arrived after the latest."""
    st, detail = status_in(name, image, low)
    if st in ("renamed", "removed"):
        return st, detail
    if st == "not-yet":
        st2, detail2 = status_in(name, image, high)
        return (st, detail) if st2 == "not-yet" else ("ok", None)
    if st == "ok" and low != high:
        st2, detail2 = status_in(name, image, high)
        if st2 == "other-image":
            return st2, detail2
    return st, detail


def status_in(name: str, image: str, sdk: Any) -> tuple[str, Optional[str]]:
    """("ok"|"renamed"|"removed"|"not-yet"|"other-image"|"unknown", detail).

    detail: the new name (renamed), the NCS version (removed, not-yet), the image that owns the
    symbol (other-image: "mcuboot", "app" or "sysbuild")."""
    try:
        return _status(name, image, _norm_sdk(sdk), 0)
    except Exception:
        return "unknown", None


def _owner(e: _Entry) -> str:
    if e.ns == "sysbuild":
        return "sysbuild"
    return "mcuboot" if e.images == frozenset({"mcuboot"}) else "app"


@lru_cache(maxsize=8192)
def _status(name: str, image: str, sdk: tuple, depth: int) -> tuple[str, Optional[str]]:
    key, ns = _strip_prefix(name)
    img = _norm_image(image)
    cat = _catalogue()
    if img == "sysbuild" or ns == "sysbuild":
        own, other = cat.sb_syms.get(key), cat.image_syms.get(key)
    else:
        own, other = cat.image_syms.get(key), cat.sb_syms.get(key)
    if own is None:
        if other is not None and other.scope_certain:
            return "other-image", _owner(other)
        return "unknown", None
    if own.ns == "image" and img not in own.images:
        return ("other-image", _owner(own)) if own.scope_certain else ("unknown", None)
    if own.added and sdk < own.added:
        return "not-yet", _fmt_ver(own.added)
    if own.renamed_to and own.renamed_since and sdk >= own.renamed_since:
        new = own.renamed_to
        if depth < 5:
            st, detail = _status(new, image if ns != "sysbuild" else "sysbuild", sdk, depth + 1)
            if st == "renamed" and detail:
                return "renamed", detail
        return "renamed", new
    if own.removed and sdk >= own.removed:
        return "removed", _fmt_ver(own.removed)
    return "ok", None


# ---------------------------------------------------------------------------------------------
# expressions (Kconfig syntax) for fact substitution and for naming unmet dependencies

_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")
_UPPER_NAME = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
_WORD = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_$.-+")


def _is_number(t: str, upper_x: bool = True) -> bool:
    """Whether `t` is written as a number: `-?(0x)?[0-9a-fA-F]+` (`0X` too with `upper_x`)."""
    if t[:1] == "-":
        t = t[1:]
    if t[:2] == "0x" or (upper_x and t[:2] == "0X"):
        t = t[2:]
    return t != "" and all(c in _HEX_DIGITS for c in t)


def _is_upper_name(t: str) -> bool:
    """Whether `t` is written like a Kconfig symbol: `[A-Z_][A-Z0-9_]*`."""
    return t != "" and not t[0].isdigit() and all(c in _UPPER_NAME for c in t)


def _tokens(text: str) -> list:
    """The tokens of a catalogue expression: operators (|| && != <= >= ! ( ) = < >), quoted strings
    (with backslash escapes) and words of letters, digits and _$.-+."""
    s = text.strip()
    n = len(s)
    toks = []
    pos = 0
    while pos < n:
        c = s[pos]
        if s.startswith(("||", "&&", "!=", "<=", ">="), pos):
            end = pos + 2
        elif c in "!()=<>":
            end = pos + 1
        elif c == '"':
            end = pos + 1
            while end < n and s[end] != '"':
                if s[end] == "\\":
                    if end + 1 >= n or s[end + 1] == "\n":
                        raise _ExprError(f"cannot parse {text!r}")
                    end += 1
                end += 1
            if end >= n:
                raise _ExprError(f"cannot parse {text!r}")
            end += 1
        elif c in _WORD:
            end = pos + 1
            while end < n and s[end] in _WORD:
                end += 1
        else:
            raise _ExprError(f"cannot parse {text!r}")
        toks.append(s[pos:end])
        pos = end
        while pos < n and s[pos].isspace():
            pos += 1
    return toks


class _ExprError(ValueError):
    pass


@lru_cache(maxsize=4096)
def _parse(text: str):
    toks = _tokens(text)
    i = 0

    def peek():
        return toks[i] if i < len(toks) else None

    def take():
        nonlocal i
        i += 1
        return toks[i - 1]

    def p_or():
        left = p_and()
        while peek() == "||":
            take()
            left = ("or", left, p_and())
        return left

    def p_and():
        left = p_not()
        while peek() == "&&":
            take()
            left = ("and", left, p_not())
        return left

    def p_not():
        if peek() == "!":
            take()
            return ("not", p_not())
        return p_cmp()

    def p_cmp():
        left = p_atom()
        if peek() in ("=", "!=", "<", ">", "<=", ">="):
            op = take()
            return ("cmp", op, left, p_atom())
        return left

    def p_atom():
        t = take() if peek() is not None else None
        if t is None:
            raise _ExprError(f"unexpected end in {text!r}")
        if t == "(":
            e = p_or()
            if take() != ")":
                raise _ExprError(f"missing ) in {text!r}")
            return e
        if t.startswith('"') or _is_number(t) and not _is_upper_name(t):
            return ("const", t)
        if t in ("y", "n", "m"):
            return ("const", t)
        return ("sym", t)

    tree = p_or()
    if i != len(toks):
        raise _ExprError(f"trailing tokens in {text!r}")
    return tree


def _subst(tree, facts: dict, mode: str, positive: bool = True):
    """Replace fact atoms by y/n. mode "dep": unknown facts make the expression easier to satisfy;
    mode "cond": unknown facts make it harder (a conditional default does not apply)."""
    kind = tree[0]
    if kind == "sym":
        name = tree[1]
        if name in facts:
            v = facts[name]
            if v is None:
                v = positive if mode == "dep" else not positive
            return ("const", "y" if v else "n")
        return tree
    if kind == "not":
        return ("not", _subst(tree[1], facts, mode, not positive))
    if kind in ("and", "or"):
        return (kind, _subst(tree[1], facts, mode, positive), _subst(tree[2], facts, mode, positive))
    if kind == "cmp":
        return ("cmp", tree[1], _subst(tree[2], facts, "cond", True), _subst(tree[3], facts, "cond", True))
    return tree


def _print(tree) -> str:
    kind = tree[0]
    if kind in ("sym", "const"):
        return tree[1]
    if kind == "not":
        inner = _print(tree[1])
        return f"!{inner}" if tree[1][0] in ("sym", "const") else f"!({inner})"
    if kind == "cmp":
        return f"{_print(tree[2])} {tree[1]} {_print(tree[3])}"
    op = " && " if kind == "and" else " || "
    parts = []
    for sub in (tree[1], tree[2]):
        t = _print(sub)
        if sub[0] in ("and", "or") and sub[0] != kind:
            t = f"({t})"
        parts.append(t)
    return op.join(parts)


def _syms_in(tree, out: set) -> set:
    kind = tree[0]
    if kind == "sym":
        out.add(tree[1])
    elif kind == "not":
        _syms_in(tree[1], out)
    elif kind in ("and", "or"):
        _syms_in(tree[1], out)
        _syms_in(tree[2], out)
    elif kind == "cmp":
        _syms_in(tree[2], out)
        _syms_in(tree[3], out)
    return out


def _and_terms(tree) -> list:
    if tree[0] == "and":
        return _and_terms(tree[1]) + _and_terms(tree[2])
    return [tree]


def _fold(tree):
    """Constant-fold y/n after fact substitution."""
    kind = tree[0]
    if kind == "not":
        sub = _fold(tree[1])
        if sub[0] == "const" and sub[1] in ("y", "n"):
            return ("const", "n" if sub[1] == "y" else "y")
        return ("not", sub)
    if kind in ("and", "or"):
        a, b = _fold(tree[1]), _fold(tree[2])
        absorbing, neutral = ("n", "y") if kind == "and" else ("y", "n")
        for x, y in ((a, b), (b, a)):
            if x[0] == "const" and x[1] == absorbing:
                return ("const", absorbing)
            if x[0] == "const" and x[1] == neutral:
                return y
        return (kind, a, b)
    return tree


def _subst_text(text: str, facts: dict, mode: str) -> str:
    return _print(_fold(_subst(_parse(text), facts, mode)))


def _const_after(tree, facts: dict, mode: str, positive: bool = True) -> Optional[str]:
    """"y" or "n" where _fold(_subst(tree, facts, mode)) is that constant, else None (without
    building the substituted tree)."""
    kind = tree[0]
    if kind == "sym":
        if tree[1] in facts:
            v = facts[tree[1]]
            if v is None:
                v = positive if mode == "dep" else not positive
            return "y" if v else "n"
        return None
    if kind == "const":
        return tree[1] if tree[1] in ("y", "n") else None
    if kind == "not":
        sub = _const_after(tree[1], facts, mode, not positive)
        return None if sub is None else ("n" if sub == "y" else "y")
    if kind in ("and", "or"):
        absorbing = "n" if kind == "and" else "y"
        a = _const_after(tree[1], facts, mode, positive)
        b = _const_after(tree[2], facts, mode, positive)
        if a == absorbing or b == absorbing:
            return absorbing
        return b if a is not None else a if b is not None else None
    return None                    # a comparison is never folded


#: prefix of the symbols that stand for the board's facts in a tree shared by every board (no
#: catalogue symbol and no real Kconfig symbol starts with it)
_FACT_SYM = "DFULINT_FACT_"


def _fact_symbol(name: str, unknown: bool) -> str:
    """The symbol standing for fact `name` where an unknown value counts as `unknown` (y/n)."""
    return f"{_FACT_SYM}{name}__{'Y' if unknown else 'N'}"


def _subst_symbolic(tree, names: frozenset, mode: str, positive: bool = True):
    """_subst() with every fact atom replaced by the symbol that takes, on each board, the value
    _subst() would write there: the fact's value, or for an unknown fact the one its place and mode
    give (y where it makes a dependency easier to meet, n where it makes a condition harder)."""
    kind = tree[0]
    if kind == "sym":
        if tree[1] in names:
            return ("sym", _fact_symbol(tree[1], positive if mode == "dep" else not positive))
        return tree
    if kind == "not":
        return ("not", _subst_symbolic(tree[1], names, mode, not positive))
    if kind in ("and", "or"):
        return (kind, _subst_symbolic(tree[1], names, mode, positive),
                _subst_symbolic(tree[2], names, mode, positive))
    if kind == "cmp":
        return ("cmp", tree[1], _subst_symbolic(tree[2], names, "cond", True),
                _subst_symbolic(tree[3], names, "cond", True))
    return tree


@lru_cache(maxsize=4096)
def _symbolic_text(text: str, mode: str) -> str:
    return _print(_fold(_subst_symbolic(_parse(text), _fact_names(), mode)))


@lru_cache(maxsize=4096)
def _facts_named(text: str) -> frozenset:
    """The facts an expression names."""
    return frozenset(_syms_in(_parse(text), set())) & _fact_names()


@lru_cache(maxsize=1)
def _fact_names() -> frozenset:
    """Every fact a catalogue expression may name (the keys _fact_values() always gives)."""
    return frozenset(_fact_values(None, None))


# ---------------------------------------------------------------------------------------------
# facts

def _families() -> tuple:
    """Every SoC family dfulint recognises (knowledge/soc_families.yaml `series`)."""
    from dfulint import knowledge

    return tuple(fam for fam, _ in knowledge.soc_series())


def _family_of(soc_family: Optional[str], soc: Optional[str]) -> Optional[str]:
    if soc_family:
        f = str(soc_family).strip().lower().replace("-", "").replace("_", "")
        for fam in _families():
            if f == fam or f == fam + "x":
                return fam
        return f
    if soc:
        s = str(soc).lower()
        for fam in sorted(_families(), key=len, reverse=True):
            if s.startswith(fam):
                return fam
    return None


def _soc_has(soc: Optional[str], fam: Optional[str], has) -> Optional[bool]:
    """Whether the SoC has a peripheral, from its row in knowledge/socs.yaml: for a SoC known only
    by its family, True or False when every SoC of the family agrees, else None (unknown)."""
    from dfulint import knowledge

    if soc:
        row = knowledge.soc(soc)
        if row is not None:
            return has(row)
    if fam is None:
        return False if soc else None
    # (every SoC record is made only here: a known SoC is one lookup)
    answers = {has(row) for row in knowledge.socs() if row.family == fam}
    if soc:
        return answers == {True}        # a SoC missing from the table: only what its whole family has
    return answers.pop() if len(answers) == 1 else (None if answers else False)


def _fact_values(soc_family: Optional[str], facts: Optional[dict]) -> dict:
    facts = dict(facts or {})
    soc = facts.get("soc")
    soc = str(soc).strip().lower() if soc else None
    fam = _family_of(soc_family, soc)
    board = facts.get("board")
    board = str(board).strip().lower() if board else None

    def fb(key):
        v = facts.get(key)
        return None if v is None else bool(v)

    def soc_exact(name: str, family: str) -> Optional[bool]:
        if soc:
            return soc == name
        if fam is not None and fam != family:
            return False
        return None

    v: dict[str, Optional[bool]] = {}
    v["SOC_FAMILY_NORDIC"] = None if fam is None else fam.startswith("nrf")
    from dfulint import knowledge

    for fname, series in knowledge.soc_series():
        if series:
            v[series] = None if fam is None else fam == fname
    v["SOC_NRF52840"] = soc_exact("nrf52840", "nrf52")
    v["SOC_NRF5340_CPUAPP"] = soc_exact("nrf5340_cpuapp", "nrf53")
    v["SOC_NRF5340_CPUNET"] = soc_exact("nrf5340_cpunet", "nrf53")
    for chip in ("nrf54l05", "nrf54l10", "nrf54l15", "nrf54lm20a", "nrf54lm20b"):
        v[f"SOC_{chip.upper()}_CPUAPP"] = soc_exact(f"{chip}_cpuapp", "nrf54l")
    v["SOC_NRF54H20_CPUAPP"] = soc_exact("nrf54h20_cpuapp", "nrf54h")
    v["SOC_NRF9160"] = soc_exact("nrf9160", "nrf91")
    v["HAS_HW_NRF_QSPI"] = _soc_has(soc, fam, lambda row: bool(row.has_qspi))
    v["HAS_HW_NRF_CC310"] = _soc_has(soc, fam, lambda row: row.cryptocell == "cc310")
    if board:
        b = board.split("@", 1)[0].replace("/", "_")
        v["BOARD_THINGY91"] = b.startswith("thingy91_") or b == "thingy91"
        # HWMv2 gives each target its own symbol: thingy91/nrf9160/ns is not BOARD_THINGY91_NRF9160
        v["BOARD_THINGY91_NRF9160"] = b == "thingy91_nrf9160"
        v["BOARD_THINGY91_NRF9160_NS"] = b == "thingy91_nrf9160_ns"
        v["BOARD_THINGY91_NRF52840"] = b == "thingy91_nrf52840"
        v["BOARD_NRF54L15PDK_NRF54L15_CPUAPP"] = b == "nrf54l15pdk_nrf54l15_cpuapp"
        v["BOARD_THINGY53"] = b.startswith("thingy53")
        v["BOARD_NRF52840DONGLE"] = b.startswith("nrf52840dongle")
    else:
        # without a board name, assume a board that is none of these (custom boards are the norm)
        v["BOARD_THINGY91"] = v["BOARD_THINGY53"] = v["BOARD_NRF52840DONGLE"] = False
        v["BOARD_THINGY91_NRF9160"] = v["BOARD_THINGY91_NRF9160_NS"] = v["BOARD_THINGY91_NRF52840"] = False
        v["BOARD_NRF54L15PDK_NRF54L15_CPUAPP"] = False
    ns = fb("non_secure")
    if ns is None and board:
        ns = board.endswith(("_ns", "/ns"))
    v["BOARD_IS_NON_SECURE"] = ns
    v["DT_CHOSEN_PM_EXT_FLASH"] = fb("dt_chosen_pm_ext_flash")
    v["DT_HAS_QSPI_NOR"] = fb("dt_has_qspi_nor")
    v["DT_HAS_SPI_NOR"] = fb("dt_has_spi_nor")
    # a scratch partition is rare (NCS never creates one in the devicetree): absent unless told
    scratch = facts.get("has_scratch_partition", False)
    v["DT_HAS_SCRATCH_PARTITION"] = None if scratch is None else bool(scratch)
    v["PM_USED"] = fb("partition_manager")
    own = facts.get("mcuboot_own_config", True)
    v["MCUBOOT_OWN_CONFIG"] = None if own is None else bool(own)
    # names the catalogue declares but this function does not compute stay unknown
    for name in _catalogue().facts:
        v.setdefault(name, None)
    return v


# ---------------------------------------------------------------------------------------------
# generating the stub tree

class _SymMeta(NamedTuple):
    """What the generated tree says of one symbol: prompt, dependencies, defaults."""
    entry: Optional[_Entry]
    prompt: Any                    # True/False/condition (original text)
    deps: list                     # original dependency expressions (text)
    default_notes: list            # note of each emitted default, in order
    default_values: list           # value text of each emitted default, in order
    choice: Optional[str] = None


class _ChoiceMeta(NamedTuple):
    """What the generated tree says of one choice."""
    name: str
    deps: list
    default_notes: list
    raw: dict


class _Tree(NamedTuple):
    """A generated Kconfig tree, parsed by kconfiglib, for one image, SDK version and set of facts."""
    kconf: Any
    image: str
    ns: str
    sdk: tuple
    facts: dict
    syms: dict                     # name -> _SymMeta
    choices: dict                  # name -> _ChoiceMeta
    text: str
    # what the parsed tree says of each symbol's defaults, in kconfiglib's order (the parsed tree
    # may be the one every board shares, which keeps defaults that cannot apply on this board)
    parsed_syms: Optional[dict] = None
    fact_syms: tuple = ()          # (symbol, fact, value when unknown) to set before each load


_STATE = RLock()                  # (the lock threading.RLock() gives, without importing threading)
_TREES: "OrderedDict" = OrderedDict()
_MEM_ROOT = "/<dfulint>"          # in-memory files: never a real path, whatever $srctree says
#: the preprocessor functions kconfiglib adds to the generated trees (see _mem_kconfig_class): none
functions: dict = {}


def _mem_kconfig_class():
    """kconfiglib.Kconfig reading its Kconfig and .config text from memory, not from files.

    Built on first use so that importing this module does not import kconfiglib.
    """
    global _MEM_CLASS
    if _MEM_CLASS is not None:
        return _MEM_CLASS
    import io

    import kconfiglib

    class MemKconfig(kconfiglib.Kconfig):
        __slots__ = ("_mem",)

        def __init__(self, name: str, text: str) -> None:
            self._mem = {name: text}
            # kconfiglib imports the module $KCONFIG_FUNCTIONS names (default `kconfigfunctions`,
            # looked up on sys.path: with `python -m dfulint`, the current directory) for extra
            # preprocessor functions: name this module instead (its `functions` is empty), so
            # that no file of the project or the environment is run as code
            saved = os.environ.get("KCONFIG_FUNCTIONS")
            os.environ["KCONFIG_FUNCTIONS"] = __name__
            try:
                super().__init__(name, warn=True, warn_to_stderr=False)
            finally:
                if saved is None:
                    os.environ.pop("KCONFIG_FUNCTIONS", None)
                else:
                    os.environ["KCONFIG_FUNCTIONS"] = saved

        def _open(self, filename, mode):
            if mode == "r" and filename in self._mem:
                return io.StringIO(self._mem[filename])
            return super()._open(filename, mode)

        def load_text(self, text: str) -> None:
            name = _MEM_ROOT + "/fragment.conf"
            self._mem[name] = text
            try:
                self.load_config(name, replace=False)
            finally:
                self._mem.pop(name, None)

    MemKconfig.__module__ = __name__
    MemKconfig.__qualname__ = MemKconfig.__name__ = "_MemKconfig"
    _MEM_CLASS = MemKconfig
    return MemKconfig


_MEM_CLASS: Any = None
_TOKEN_CLASS: Any = None


def _token_kconfig_class():
    """_MemKconfig fed with the tokens kconfiglib's own tokenizer made of each line when the
    package was built (see _token_program()) instead of tokenizing the text again: the parser,
    the symbols, the checks and the evaluation are kconfiglib's. Lines with `$` or a backslash
    (expanded at parse time) and preprocessor assignments are tokenized as written."""
    global _TOKEN_CLASS
    if _TOKEN_CLASS is not None:
        return _TOKEN_CLASS
    import kconfiglib

    class TokenKconfig(_mem_kconfig_class()):
        __slots__ = ("_program", "_pos", "_lines")

        def __init__(self, name: str, text: str, program: tuple) -> None:
            self._program = program
            self._pos = 0
            self._lines = None
            super().__init__(name, text)
            self._program = self._lines = None      # parsed: the tokens are not needed any more

        def _prepare(self) -> list:
            # [(line number, tokens)] of every line but blank ones and comments, the objects of the
            # vocabulary made in the order the tokenizer would make them
            kinds, values, raws, codes = self._program
            objs: list = []
            out = []
            p, end, linenr = 0, len(codes), 0
            while p < end:
                linenr += 1
                n = codes[p]
                if n == _RAW_LINE:
                    self.linenr = linenr
                    out.append((linenr, self._tokenize(raws[codes[p + 1]])))
                    p += 2
                    continue
                for i in range(len(objs), codes[p + 1]):
                    kind, v = kinds[i], values[i]
                    if kind == "s":
                        objs.append(self.const_syms[v] if v in ("n", "m", "y") else self._lookup_sym(v))
                    elif kind == "c":
                        objs.append(self._lookup_const_sym(v))
                    elif kind == "t":
                        objs.append(v)
                    else:
                        tok = getattr(kconfiglib, v)
                        if tok.__class__ is not int:
                            raise ValueError(v)
                        objs.append(tok)
                if n:
                    toks = [objs[j] for j in codes[p + 2:p + 2 + n]]
                    toks.append(None)
                    out.append((linenr, toks))
                p += 2 + n
            self.linenr = 0
            return out

        def _next_line(self):
            # kconfiglib's _next_line(), the line's tokens taken from the program
            if self._reuse_tokens:
                self._reuse_tokens = False
                return True
            lines = self._lines
            if lines is None:
                lines = self._lines = self._prepare()
            i = self._pos
            if i >= len(lines):
                return False
            self._pos = i + 1
            self.linenr, self._tokens = lines[i]
            self._tokens_i = 1
            return True

    TokenKconfig.__module__ = __name__
    TokenKconfig.__qualname__ = TokenKconfig.__name__ = "_TokenKconfig"
    _TOKEN_CLASS = TokenKconfig
    return TokenKconfig


_RAW_LINE = 0xFFFF          # in a token program: a line tokenized as written


def _token_program(image: str, text: str) -> Optional[list]:
    """The tokens kconfiglib's tokenizer makes of each line of a tree, for _token_kconfig_class(),
    as ([kinds, values, lines as written], codes); None when the tree does not parse.

    The vocabulary (kinds and values) lists keywords and operators by their name in kconfiglib
    ("k"), symbols ("s"), constant symbols ("c") and strings ("t"), in the order the tokenizer
    meets them. Codes are 16-bit numbers, little-endian: for each line the number of its tokens,
    how much of the vocabulary is in use once it is read, then its tokens' entries; or _RAW_LINE
    and the index of a line to tokenize as written."""
    try:
        import kconfiglib
    except ImportError:         # a build without kconfiglib: the text is parsed at run time
        return None
    names = {v: n for n, v in vars(kconfiglib).items() if n.startswith("_T_") and v.__class__ is int}
    seen: list = []

    class Recorder(_mem_kconfig_class()):
        __slots__ = ()

        def _tokenize(self, line):
            toks = super()._tokenize(line)
            seen.append((line, toks))
            return toks

    try:
        kconf = Recorder(f"{_MEM_ROOT}/Kconfig.{image}", text)
    except kconfiglib.KconfigError:
        return None
    if kconf.warnings or len(seen) != text.count("\n"):
        return None
    kinds, values, raws = [], [], []
    where: dict = {}
    codes: list = []
    for line, toks in seen:
        blank = not line.strip() or line.lstrip().startswith("#")
        if "$" in line or "\\" in line or (toks[0] is None and not blank):
            codes.extend((_RAW_LINE, len(raws)))
            raws.append(line)
            continue
        out = []
        for tok in toks:
            if tok is None:
                break
            if tok.__class__ is int:
                key = ("k", names[tok])
            elif tok.__class__ is str:
                key = ("t", tok)
            else:
                key = ("c" if tok.is_constant else "s", tok.name)
            if key not in where:
                where[key] = len(kinds)
                kinds.append(key[0])
                values.append(key[1])
            out.append(where[key])
        codes.extend([len(out), len(kinds)] + out)
    if len(kinds) >= _RAW_LINE or len(raws) >= _RAW_LINE:
        return None
    return ["".join(kinds), values, raws], b"".join(c.to_bytes(2, "little") for c in codes)


def _program_of(tokens: Any, codes: memoryview) -> Optional[tuple]:
    """A token program as _token_kconfig_class() reads it (see _token_program()); None where the
    codes cannot be read as they are (a big-endian machine)."""
    import sys

    if tokens is None or sys.byteorder != "little":
        return None
    kinds, values, raws = tokens
    if not (isinstance(kinds, str) and isinstance(values, list) and len(values) == len(kinds)
            and isinstance(raws, list) and len(codes) % 2 == 0):
        raise ValueError("not a token program")
    return kinds, values, raws, codes.cast("H")


def _fmt_default(value: Any, typ: str) -> str:
    if isinstance(value, bool):
        return "y" if value else "n"
    if typ == "hex" and isinstance(value, int):
        return hex(value)
    if typ == "string":
        s = str(value)
        if not s.startswith('"'):
            s = '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'
        return s.replace("$(", "$(DFULINT_DOLLAR)(")
    return str(value)


def _generate(image: str, sdk: tuple, facts: Optional[dict], conds: Optional[dict] = None,
              named: Optional[set] = None) -> tuple[str, dict, dict]:
    """The tree's Kconfig text and what it says of each symbol and choice. With `facts` None, the
    tree every board shares: each fact is a symbol (_fact_symbol()) whose value is set before
    each evaluation, and a default or select is left out only where it can apply on no board.
    `conds` receives the condition of each default written (symbol name, or ("choice", name) ->
    list), from which _board_meta() tells a board's own defaults; `named` every fact a condition of
    the tree names (before any folding)."""
    cat = _catalogue()
    sysb = image == "sysbuild"
    entries = cat.sb_syms if sysb else cat.image_syms
    choices = cat.sb_choices if sysb else cat.image_choices
    live = {n: e for n, e in entries.items() if e.exists(sdk) and (sysb or image in e.images)}

    out = ["# generated by dfulint from knowledge/kconfig.yaml", "DFULINT_DOLLAR := $", ""]
    syms: dict = {}
    chs: dict = {}

    def cond(text: Optional[str], mode: str) -> Optional[str]:
        if text is None or text is True:
            return None
        if named is not None:
            named.update(_facts_named(str(text)))
        t = _subst_text(str(text), facts, mode) if facts is not None else _symbolic_text(str(text), mode)
        return None if t == "y" else t

    def emit_symbol(e: _Entry, indent_choice: bool) -> None:
        raw = e.raw
        typ = e.type if e.type in ("bool", "tristate", "int", "hex", "string") else "bool"
        prompt = _prompt_at(raw, sdk)
        lines = [f"config {e.name}"]
        if prompt is False:
            lines.append(f"\t{typ}")
        elif prompt is True:
            lines.append(f'\t{typ} "{e.name}"')
        else:
            c = cond(prompt, "dep")
            lines.append(f'\t{typ} "{e.name}"' + (f" if {c}" if c else ""))
        notes, values = [], []
        if not indent_choice:
            for d in raw.get("default") or []:
                if not isinstance(d, dict) or not _applies(d, sdk, image):
                    continue
                val = d.get("value")
                if val is None:
                    continue
                vtxt = _fmt_default(val, typ)
                if typ in ("int", "hex") and _is_upper_name(vtxt) and vtxt not in live:
                    continue
                c = cond(d.get("if"), "cond")
                if c == "n":
                    continue
                lines.append(f"\tdefault {vtxt}" + (f" if {c}" if c else ""))
                notes.append(str(d.get("note", "")))
                values.append(vtxt)
                if conds is not None:
                    conds.setdefault(e.name, []).append(d.get("if"))
        deps = _dep_exprs(raw, sdk)
        dep_txt = [cond(d, "dep") for d in deps]
        dep_txt = [d for d in dep_txt if d]
        if dep_txt:
            lines.append("\tdepends on " + " && ".join(f"({d})" for d in dep_txt))
        for key in ("select", "imply"):
            for target, c_raw in _ref_list(raw, key, sdk):
                if target not in live:
                    continue
                c = cond(c_raw, "cond")
                if c == "n":
                    continue
                lines.append(f"\t{key} {target}" + (f" if {c}" if c else ""))
        for r in raw.get("range") or []:
            if not isinstance(r, dict) or not _applies(r, sdk, image):
                continue
            c = cond(r.get("if"), "cond")
            if c == "n":
                continue
            lines.append(f"\trange {r.get('min')} {r.get('max')}" + (f" if {c}" if c else ""))
        out.extend(lines)
        out.append("")
        syms[e.name] = _SymMeta(e, prompt, deps, notes, values, e.choice if indent_choice else None)

    members: dict = {}
    for e in live.values():
        if e.choice and e.choice in choices:
            members.setdefault(e.choice, []).append(e)
    for cname, craw in choices.items():
        mem = members.get(cname)
        if not mem:
            continue
        if not sysb and craw.get("images") and image not in craw.get("images"):
            for e in mem:
                emit_symbol(e, False)
            continue
        if _ver(craw.get("added")) and sdk < _ver(craw.get("added")):
            for e in mem:
                emit_symbol(e, False)
            continue
        out.append(f"choice {cname}")
        out.append(f'\tprompt "{cname}"')
        if craw.get("optional"):
            out.append("\toptional")
        names = {e.name for e in mem}
        notes = []
        for d in craw.get("default") or []:
            if not isinstance(d, dict) or not _applies(d, sdk, image) or d.get("value") not in names:
                continue
            c = cond(d.get("if"), "cond")
            if c == "n":
                continue
            out.append(f"\tdefault {d['value']}" + (f" if {c}" if c else ""))
            notes.append((str(d["value"]), str(d.get("note", ""))))
            if conds is not None:
                conds.setdefault(("choice", cname), []).append(d.get("if"))
        deps = _dep_exprs(craw, sdk)
        dep_txt = [d for d in (cond(x, "dep") for x in deps) if d]
        if dep_txt:
            out.append("\tdepends on " + " && ".join(f"({d})" for d in dep_txt))
        out.append("")
        for e in mem:
            emit_symbol(e, True)
        out.append(f"endchoice # {cname}")
        out.append("")
        chs[cname] = _ChoiceMeta(cname, deps, notes, craw)
    for e in live.values():
        if e.name not in syms:
            emit_symbol(e, False)
    if facts is None:
        used = sorted({m.group(0) for m in re.finditer(_FACT_SYM + r"[A-Za-z0-9_]+", "\n".join(out))})
        for name in used:
            # a prompt, so that its value can be set; no fragment names it
            out.extend((f"config {name}", f'\tbool "{name}"', ""))
    return "\n".join(out) + "\n", syms, chs


_BY_TEXT: "OrderedDict" = OrderedDict()
#: generated trees kept in memory, least recently used dropped first: the boards of a repository
#: share a few SoCs and SDK versions, and a tree costs about 5 ms to generate and parse again
#: (and about 330 KB to keep)
_MAX_TREES = 256


def _tree(image: str, sdk: tuple, facts: dict) -> _Tree:
    key = (image, sdk, tuple(sorted(facts.items())))
    t = _TREES.get(key)
    if t is not None:
        _TREES.move_to_end(key)
        return t
    t = _build_tree(image, sdk, facts)
    _TREES[key] = t
    if len(_TREES) > _MAX_TREES:
        _TREES.popitem(last=False)
    return t


_SHARED: "OrderedDict" = OrderedDict()     # (image, sdk) -> the tree every board shares, or None
_META: "OrderedDict" = OrderedDict()       # (image, sdk, facts it depends on) -> (symbols, choices)


def _shared_tree(image: str, sdk: tuple) -> tuple:
    """(the tree of an image and SDK version that every board shares, the facts it names): facts
    are symbols whose values are set before each load, and the tree is parsed once. (None, ())
    where it cannot be parsed: then each set of facts gets its own tree."""
    key = (image, sdk)
    if key in _SHARED:
        _SHARED.move_to_end(key)
        return _SHARED[key]
    import kconfiglib
    pre = _prebuilt_shared(image, sdk)
    program = None
    if pre is not None:
        text, syms, chs, conds, named, program = pre
    else:
        conds = {}
        named = set()
        text, syms, chs = _generate(image, sdk, None, conds, named)
    t = _BY_TEXT.get((image, text))
    if t is not None:
        # another version generating the same text: its parsed tree, this version's notes
        _BY_TEXT.move_to_end((image, text))
        t = t._replace(sdk=sdk, syms=syms, choices=chs, parsed_syms=syms)
    else:
        name = f"{_MEM_ROOT}/Kconfig.{image}"
        kconf = None
        if program is not None:
            try:
                kconf = _token_kconfig_class()(name, text, program)
            except Exception:               # tokens that do not fit: the text is parsed instead
                kconf = None
        try:
            if kconf is None:
                kconf = _mem_kconfig_class()(name, text)
        except kconfiglib.KconfigError:     # a dependency loop: trees of their own (see _build_tree)
            kconf = None
        if kconf is not None:
            kconf.warn_assign_undef = False
            kconf.warn_assign_override = False
            kconf.warn_assign_redun = False
            facts = tuple(sorted((n, n[len(_FACT_SYM):-3], n.endswith("__Y"))
                                 for n in kconf.syms if n.startswith(_FACT_SYM)))
            t = _Tree(kconf, image, "sysbuild" if image == "sysbuild" else "image", sdk, {}, syms, chs, text,
                      syms, facts)
            _BY_TEXT[(image, text)] = t
            if len(_BY_TEXT) > _MAX_TREES:
                _BY_TEXT.popitem(last=False)
    out = (t, frozenset(f for _, f, _ in t.fact_syms) if t is not None else (), conds, frozenset(named))
    _SHARED[key] = out
    if len(_SHARED) > _MAX_TREES:
        _SHARED.popitem(last=False)
    return out


# ---------------------------------------------------------------------------------------------
# the shared trees built with the package

#: the shared trees of every image and SDK version, generated when the package is built
#: (dfulint/knowledge/build.py); tests point it elsewhere
PREBUILT_TREES = _KNOWLEDGE.parent / "kconfig_trees.bin"
TREES_FORMAT = 1
_IMAGES = ("app", "mcuboot", "sysbuild")
_VERSION_KEYS = ("added", "removed", "renamed_since", "since", "until")


def generation_key() -> str:
    """The checksum of what a generated tree depends on: the symbol catalogue, the SoC series
    table (its facts) and this module's code. A prebuilt file made from other ones is not used."""
    from dfulint.knowledge import yaml_fingerprint
    from dfulint.knowledge.build import fingerprint

    # the two tables' checksums as the run read them (once, for the tables too)
    parts = [str(TREES_FORMAT), str(yaml_fingerprint(_KNOWLEDGE.name)), str(yaml_fingerprint("soc_families.yaml")),
             fingerprint(Path(__file__).read_bytes())]
    return ":".join(parts)


def _tree_versions() -> list:
    """Every version at which a generated tree may change: each `added`, `removed`,
    `renamed_since`, `since` and `until` of the catalogue. Generation compares versions only with
    them (`sdk < v` or `sdk >= v`), so every version from one to the next generates the same tree."""
    from dfulint.knowledge import load_table

    found: set = set()

    def walk(x: Any) -> None:
        if isinstance(x, dict):
            for k, v in x.items():
                if k in _VERSION_KEYS and not isinstance(v, dict):
                    try:
                        t = _ver(v)
                    except (TypeError, ValueError):
                        t = None
                    if t is not None:
                        found.add(t)
                else:
                    walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)

    walk(load_table(Path(_KNOWLEDGE)) or {})
    return sorted(found)


def _tree_record(image: str, sdk: tuple) -> tuple:
    """The shared tree of an image and SDK version and what _shared_tree() needs of its
    generation, as plain JSON data, and the codes of its token program (see _token_program())."""
    conds: dict = {}
    named: set = set()
    text, syms, chs = _generate(image, sdk, None, conds, named)
    tokens, codes = _token_program(image, text) or (None, b"")
    return {
        "text": text,
        "syms": [[n, m.prompt, list(m.deps), list(m.default_notes), list(m.default_values), m.choice]
                 for n, m in syms.items()],
        "choices": [[n, list(m.deps), [list(x) for x in m.default_notes]] for n, m in chs.items()],
        "conds": [[k[1], True, v] if isinstance(k, tuple) else [k, False, v] for k, v in conds.items()],
        "named": sorted(named),
        "tokens": tokens,
    }, codes


def _from_record(image: str, rec: dict, codes: memoryview) -> tuple:
    """(text, symbols, choices, conditions, named facts, token program or None) of a record made by
    _tree_record()."""
    cat = _catalogue()
    entries = cat.sb_syms if image == "sysbuild" else cat.image_syms
    choices = cat.sb_choices if image == "sysbuild" else cat.image_choices
    syms = {n: _SymMeta(entries[n], prompt, deps, notes, values, choice)
            for n, prompt, deps, notes, values, choice in rec["syms"]}
    chs = {n: _ChoiceMeta(n, deps, [tuple(x) for x in notes], choices[n]) for n, deps, notes in rec["choices"]}
    conds = {(("choice", n) if is_choice else n): list(v) for n, is_choice, v in rec["conds"]}
    text = rec["text"]
    if not isinstance(text, str):
        raise ValueError("not a tree")
    return text, syms, chs, conds, set(rec["named"]), _program_of(rec.get("tokens"), codes)


def prebuilt_trees() -> bytes:
    """The file PREBUILT_TREES holds: a line of JSON (format, generation_key(), the versions where
    trees change, for each image the record of each span of versions, and where each record is),
    then the records, each zlib-compressed: JSON, a newline (at an odd offset) and the codes of the
    tree's token program. Versions that generate the same record share it."""
    import json
    import zlib

    versions = _tree_versions()
    blobs: list = []
    where: dict = {}
    index: dict = {}
    for image in _IMAGES:
        row = []
        for sdk in [(0, 0, 0)] + versions:
            rec, codes = _tree_record(image, sdk)
            text = json.dumps(rec, separators=(",", ":"), ensure_ascii=False)
            if json.loads(text) != rec:
                row.append(-1)          # not exactly representable as JSON: generated at run time
                continue
            data = text.encode("utf-8")
            data += b" " * ((len(data) + 1) % 2) + b"\n" + codes      # the codes at an even offset
            if data not in where:
                where[data] = len(blobs)
                blobs.append(zlib.compress(data, 9))
            row.append(where[data])
        index[image] = row
    spans, pos = [], 0
    for b in blobs:
        spans.append([pos, len(b)])
        pos += len(b)
    try:
        from kconfiglib import VERSION as tokenizer
    except ImportError:
        tokenizer = None
    head = {"format": TREES_FORMAT, "key": generation_key(), "kconfiglib": tokenizer and list(tokenizer),
            "versions": [list(v) for v in versions], "index": index, "records": spans}
    return json.dumps(head, separators=(",", ":")).encode("utf-8") + b"\n" + b"".join(blobs)


def write_prebuilt_trees(out: Union[str, Path]) -> int:
    """Write prebuilt_trees() to `out` (through a temporary file); its size in bytes."""
    out = Path(out)
    data = prebuilt_trees()
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(out)
    return len(data)


@lru_cache(maxsize=1)
def _trees_file() -> Optional[tuple]:
    """(header, records) of PREBUILT_TREES; None when it is missing, unreadable, of another format
    or made from another catalogue or generator."""
    import json

    try:
        data = PREBUILT_TREES.read_bytes()
        cut = data.index(b"\n")
        head = json.loads(data[:cut])
        if not isinstance(head, dict) or head.get("format") != TREES_FORMAT or head.get("key") != generation_key():
            return None
        versions = [tuple(v) for v in head["versions"]]
        return versions, head["index"], head["records"], memoryview(data)[cut + 1:], head.get("kconfiglib")
    except Exception:
        return None


def _prebuilt_shared(image: str, sdk: tuple) -> Optional[tuple]:
    """What _generate() gives for the shared tree of an image and SDK version, read from the file
    built with the package, and the tokens of its lines (or None); None when there is no usable
    file (then the tree is generated)."""
    f = _trees_file()
    if f is None or image not in _IMAGES:
        return None
    import json
    import zlib

    import kconfiglib

    versions, index, spans, body, tokenizer = f
    try:
        # the span of versions `sdk` is in: how many of the versions where trees change it has reached
        i = index[image][sum(1 for v in versions if v <= sdk)]
        if not isinstance(i, int) or i < 0:
            return None
        start, size = spans[i]
        if start < 0 or size <= 0 or start + size > len(body):
            return None
        data = zlib.decompress(body[start:start + size])
        cut = data.index(b"\n")
        out = _from_record(image, json.loads(data[:cut]), memoryview(data)[cut + 1:])
    except Exception:
        return None
    if tokenizer != list(kconfiglib.VERSION):
        out = out[:5] + (None,)          # tokens of another kconfiglib: the text is parsed
    return out


def _board_meta(shared: _Tree, conds: dict, facts: dict) -> tuple:
    """(symbols, choices) as the tree generated for these facts would describe them: the shared
    tree's, without the defaults whose condition the facts make false (the notes and values of the
    defaults that can apply, in order)."""
    def kept(cs: list) -> Optional[list]:
        if all(c is None or c is True for c in cs):
            return None
        keep = [i for i, c in enumerate(cs)
                if c is None or c is True or _const_after(_parse(str(c)), facts, "cond") != "n"]
        return keep if len(keep) < len(cs) else None

    syms = dict(shared.syms)
    chs = dict(shared.choices)
    for key, cs in conds.items():
        keep = kept(cs)
        if keep is None:
            continue
        if isinstance(key, tuple):
            m = chs[key[1]]
            chs[key[1]] = m._replace(default_notes=[m.default_notes[i] for i in keep])
        else:
            m = syms[key]
            syms[key] = m._replace(default_notes=[m.default_notes[i] for i in keep],
                                   default_values=[m.default_values[i] for i in keep])
    return syms, chs


def _build_tree(image: str, sdk: tuple, facts: dict) -> _Tree:
    import kconfiglib
    shared, used, conds, _ = _shared_tree(image, sdk)
    if shared is not None:
        # the parsed tree every board shares; what this board's own tree would say of each symbol
        # (its defaults, choices and notes) depends only on the facts the tree names
        mkey = (image, sdk, tuple((n, facts.get(n)) for n in sorted(used)))
        meta = _META.get(mkey)
        if meta is None:
            meta = _META[mkey] = _board_meta(shared, conds, facts)
            if len(_META) > _MAX_TREES:
                _META.popitem(last=False)
        else:
            _META.move_to_end(mkey)
        syms, chs = meta
        return _Tree(shared.kconf, image, shared.ns, sdk, facts, syms, chs, shared.text, shared.parsed_syms,
                     shared.fact_syms)
    text, syms, chs = _generate(image, sdk, facts)
    same = _BY_TEXT.get((image, text))
    if same is not None:
        # other facts, same generated tree: share the parsed Kconfig
        _BY_TEXT.move_to_end((image, text))
        return _Tree(same.kconf, image, same.ns, sdk, facts, syms, chs, text, syms, same.fact_syms)
    t = _parse_tree(image, sdk, facts, text, syms, chs)
    _BY_TEXT[(image, text)] = t
    if len(_BY_TEXT) > _MAX_TREES:
        _BY_TEXT.popitem(last=False)
    return t


def _parse_tree(image: str, sdk: tuple, facts: dict, text: str, syms: dict, chs: dict) -> _Tree:
    import kconfiglib
    mem = _mem_kconfig_class()
    name = f"{_MEM_ROOT}/Kconfig.{image}"
    try:
        kconf = mem(name, text)
    except kconfiglib.KconfigError:
        # a dependency loop through `select` in some corner of the catalogue: keep the values,
        # lose the reverse dependencies
        text = "\n".join(line for line in text.splitlines()
                         if not line.startswith(("\tselect ", "\timply "))) + "\n"
        kconf = mem(name, text)
    kconf.warn_assign_undef = False
    kconf.warn_assign_override = False
    kconf.warn_assign_redun = False
    return _Tree(kconf, image, "sysbuild" if image == "sysbuild" else "image", sdk, facts, syms, chs, text, syms)


def generated_tree(image: str, sdk: Any, soc_family: Optional[str] = None, facts: Optional[dict] = None) -> str:
    """The Kconfig text dfulint generates for an image (for debugging and tests)."""
    return _generate(_norm_image(image), _norm_sdk(sdk), _fact_values(soc_family, facts))[0]


# ---------------------------------------------------------------------------------------------
# evaluation

class _Rec(NamedTuple):
    """One assignment as kconfiglib's loader took it."""
    a: Any
    origin: str                    # "fragment" or "forced"
    index: int                     # load order
    group: int                     # which fragment (forced: -1)
    defined: bool
    valid: bool                    # the loader accepted the value
    ignored: bool                  # `# X is not set` on a non-bool: silently ignored
    message: str = ""


def evaluate(fragments: list, image: str, sdk: Any, soc_family: Optional[str] = None,
             forced: Any = (), facts: Optional[dict] = None) -> ImageConfig:
    """Evaluate one image's configuration. Never raises on user input."""
    img = _norm_image(image)
    v = _norm_sdk(sdk)
    try:
        fv = _fact_values(soc_family, facts)
        with _STATE:
            shared, _, _, named = _shared_tree(img, v)
        # an evaluation depends on the facts only through the conditions of the image's tree: boards
        # that differ in no fact it names (a Thingy:53 and another nRF5340 board for an image that
        # never asks) share it
        fkey = tuple(sorted(fv.items())) if shared is None else tuple((n, fv.get(n)) for n in sorted(named))
        key = (img, image or img, v, fkey,
               tuple(_assignments_key(str(getattr(f, "path", "")), _assignments(f)) for f in fragments or []),
               _assignments_key("forced", list(forced or ())))
    except Exception as exc:  # a bug here must not stop the lint run
        return _fallback(fragments or [], img, image or img, v, list(forced or ()), exc)

    def run() -> ImageConfig:
        try:
            with _STATE:
                return _evaluate(fragments or [], img, image or img, v, list(forced or ()), fv)
        except Exception as exc:  # a bug here must not stop the lint run
            return _fallback(fragments or [], img, image or img, v, list(forced or ()), exc)

    # the boards of an app often share a SoC and every fragment: evaluate such an image once per run
    # (an ImageConfig is never changed once built, so the boards can share it)
    from dfulint.sources import parsed_once
    return parsed_once("kconfig-evaluation", key, run)


def _assignments_key(where: str, assigns: list) -> tuple:
    """What an evaluation depends on in a list of assignments: every value and where it is written."""
    return (where,) + tuple((getattr(a, "symbol", None), getattr(a, "raw", None), bool(getattr(a, "unset", False)),
                             getattr(a, "prefix", None), getattr(a, "span", None)) for a in assigns)


def _assignments(frag: Any) -> list:
    try:
        return list(getattr(frag, "assignments", None) or [])
    except Exception:
        return []


def _line_for(a: Any, prefix: str) -> Optional[str]:
    sym = getattr(a, "symbol", None)
    if not isinstance(sym, str) or not sym or "\n" in sym or "\r" in sym:
        return None
    if getattr(a, "unset", False):
        return f"# {prefix}{sym} is not set"
    raw = getattr(a, "raw", "")
    if not isinstance(raw, str) or "\n" in raw or "\r" in raw:
        return None
    return f"{prefix}{sym}={raw}"


def _accepts(sym: Any, a: Any) -> tuple[bool, bool]:
    """(valid, ignored) exactly as kconfiglib's loader decides."""
    import kconfiglib
    t = sym.orig_type
    if getattr(a, "unset", False):
        return (True, False) if t in (kconfiglib.BOOL, kconfiglib.TRISTATE) else (False, True)
    raw = a.raw.rstrip()
    if t is kconfiglib.BOOL:
        return raw.startswith(("y", "n")), False
    if t is kconfiglib.TRISTATE:
        return raw.startswith(("y", "m", "n")), False
    if t is kconfiglib.STRING:
        return _STRING_VALUE.match(raw) is not None, False
    if t in (kconfiglib.INT, kconfiglib.HEX):
        base = 10 if t is kconfiglib.INT else 16
        try:
            n = int(raw, base)
        except ValueError:
            return False, False
        return (n >= 0 if t is kconfiglib.HEX else True), False
    return True, False


def _load(tree: _Tree, assigns: list, origin: str, group: int, records: list) -> None:
    kconf = tree.kconf
    prefix = kconf.config_prefix
    lines, used = [], []
    for a in assigns:
        line = _line_for(a, prefix)
        if line is None:
            continue
        lines.append(line)
        used.append(a)
    if not lines:
        return
    before = len(kconf.warnings)
    kconf.load_text("\n".join(lines) + "\n")
    warns = kconf.warnings[before:]
    for a in used:
        sym = kconf.syms.get(a.symbol)
        defined = bool(sym is not None and sym.nodes)
        valid, ignored = (_accepts(sym, a) if defined else (True, False))
        msg = ""
        if defined and not valid and not ignored:
            tag = f"{a.symbol} (defined at"
            for i, w in enumerate(warns):
                if tag in w:
                    msg = w.split("warning: ", 1)[-1]
                    del warns[i]
                    break
            msg = msg.replace(tree.kconf.filename, "dfulint's symbol catalogue") if msg else msg
            msg = re.sub(r" \(defined at [^)]*\)", "", msg)
        records.append(_Rec(a, origin, len(records), group, defined, valid, ignored, msg))


def _typed(sym: Any, entry_type: str) -> Any:
    import kconfiglib
    s = sym.str_value
    t = sym.orig_type
    if t in (kconfiglib.BOOL, kconfiglib.TRISTATE):
        return s or "n"
    if not kconfiglib.expr_value(sym.direct_dep):
        return None
    if t is kconfiglib.STRING:
        return s
    if s == "":
        return None
    try:
        return int(s, 10 if t is kconfiglib.INT else 16)
    except ValueError:
        return None


def _assigned_value(a: Any, typ: str) -> Any:
    from dfulint.sources.kconf import interpret
    if getattr(a, "unset", False):
        return "n"
    val, err = interpret(a.raw.rstrip(), typ)
    if typ in ("bool", "tristate") and isinstance(val, str):
        return val[:1]
    return val if err is None else None


def _leftmost_symbol(expr: Any) -> Any:
    import kconfiglib
    while isinstance(expr, tuple):
        expr = expr[1]
    return expr if isinstance(expr, kconfiglib.Symbol) else None


def _selectors(expr: Any) -> list:
    import kconfiglib
    out = []
    if expr is None or (isinstance(expr, kconfiglib.Symbol) and expr.is_constant):
        return out
    for term in kconfiglib.split_expr(expr, kconfiglib.OR):
        if kconfiglib.expr_value(term):
            s = _leftmost_symbol(term)
            if s is not None and not s.is_constant and s.name not in out:
                out.append(s.name)
    return out


def _fact_doc(name: str) -> str:
    f = _catalogue().facts.get(name)
    return str(f.get("doc", "")) if isinstance(f, dict) else ""


def _eval_ast(tree_ast, kconf, facts: dict, positive: bool = True) -> bool:
    """Evaluate a catalogue expression; an unknown fact takes the value that satisfies it."""
    kind = tree_ast[0]
    if kind == "const":
        return tree_ast[1] not in ("n", '""', "0")
    if kind == "sym":
        name = tree_ast[1]
        if name in facts:
            return positive if facts[name] is None else bool(facts[name])
        s = kconf.syms.get(name)
        return bool(s is not None and s.nodes and s.tri_value)
    if kind == "not":
        return not _eval_ast(tree_ast[1], kconf, facts, not positive)
    if kind == "and":
        return _eval_ast(tree_ast[1], kconf, facts, positive) and _eval_ast(tree_ast[2], kconf, facts, positive)
    if kind == "or":
        return _eval_ast(tree_ast[1], kconf, facts, positive) or _eval_ast(tree_ast[2], kconf, facts, positive)
    if kind == "cmp":
        left, right = _cmp_value(tree_ast[2], kconf), _cmp_value(tree_ast[3], kconf)
        op = tree_ast[1]
        li, ri = _as_int(left), _as_int(right)
        if li is not None and ri is not None:
            left, right = li, ri
        try:
            return {"=": left == right, "!=": left != right, "<": left < right, ">": left > right,
                    "<=": left <= right, ">=": left >= right}[op]
        except TypeError:
            return False
    return True


def _cmp_value(node, kconf) -> str:
    if node[0] == "const":
        t = node[1]
        return t[1:-1] if t.startswith('"') else t
    if node[0] == "sym":
        s = kconf.syms.get(node[1])
        return s.str_value if s is not None and s.nodes else ""
    return ""


def _as_int(s: str) -> Optional[int]:
    try:
        return int(s, 0)
    except (TypeError, ValueError):
        return None


def _describe_term(term, kconf, facts: dict) -> str:
    names = sorted(_syms_in(term, set()))
    vals = []
    for n in names:
        if n in facts:
            fv = facts[n]
            doc = _fact_doc(n)
            shown = "unknown" if fv is None else ("y" if fv else "n")
            vals.append(f"{n}={shown}" + (f" ({doc})" if doc else ""))
        else:
            s = kconf.syms.get(n)
            vals.append(f"{n}={s.str_value if s is not None and s.nodes and s.str_value != '' else 'n'}")
    return f"{_print(term)} [{', '.join(vals)}]" if vals else _print(term)


def _unmet(tree: _Tree, exprs: list) -> list[str]:
    out = []
    for text in exprs:
        try:
            ast = _parse(str(text))
        except _ExprError:
            continue
        for term in _and_terms(ast):
            if not _eval_ast(term, tree.kconf, tree.facts):
                out.append(_describe_term(term, tree.kconf, tree.facts))
    return out


def _dependency_detail(tree: _Tree, name: str, assigned: Any, result: Any) -> str:
    meta = tree.syms.get(name)
    exprs = list(meta.deps) if meta else []
    if meta and meta.choice and meta.choice in tree.choices:
        exprs = list(tree.choices[meta.choice].deps) + exprs
    prompt_cond = meta.prompt if meta and isinstance(meta.prompt, str) else None
    unmet = _unmet(tree, exprs)
    prompt_unmet = _unmet(tree, [prompt_cond]) if prompt_cond else []
    shown_result = "unset (absent from .config)" if result is None else f"'{result}'"
    if unmet:
        return (f"Kconfig gives it {shown_result} instead of '{assigned}' because of unmet dependencies: "
                + "; ".join(unmet))
    if prompt_unmet:
        return (f"Kconfig gives it {shown_result} instead of '{assigned}': it can only be set when "
                + "; ".join(prompt_unmet))
    return f"Kconfig gives it {shown_result} instead of '{assigned}' (its dependencies are not met)"


def _evaluate(fragments: list, img: str, image_name: str, sdk: tuple, forced: list, facts: dict) -> ImageConfig:
    tree = _tree(img, sdk, facts)
    kconf = tree.kconf
    assumed: dict = {}
    records = _load_all(tree, fragments, forced, assumed)
    for _ in range(4):
        more = _needed_soft(tree, records, assumed)
        if not more:
            break
        assumed.update(more)
        records = _load_all(tree, fragments, forced, assumed)

    cfg = ImageConfig(image=image_name, sdk=sdk, _namespace=tree.ns)
    by_name: dict = {}
    for r in records:
        by_name.setdefault(r.a.symbol, []).append(r)
    cfg._records = {n: [(r.a, r.origin) for r in rs] for n, rs in by_name.items()}

    cat_entries = _catalogue().sb_syms if tree.ns == "sysbuild" else _catalogue().image_syms
    # assignments to names the tree does not define
    for r in records:
        if r.defined or r.origin == "forced":
            continue
        name = r.a.symbol
        if name == name.strip() and name in cat_entries:
            st, detail = status_in(name, image_name if img != "sysbuild" else "sysbuild", sdk)
            cfg.undefined.append((r.a, st, detail))
        elif name == name.strip() and tree.ns == "image" and name in _catalogue().sb_syms \
                and _catalogue().sb_syms[name].scope_certain:
            cfg.undefined.append((r.a, "other-image", "sysbuild"))
        else:
            cfg.unknown.append(r.a)

    # values of every symbol of the tree
    for name, meta in tree.syms.items():
        sym = kconf.syms.get(name)
        if sym is None or not sym.nodes:
            continue
        recs = by_name.get(name, [])
        cfg._values[name] = _value_of(tree, sym, meta, recs, assumed.get(name))

    # what did not take
    forced_names = {r.a.symbol for r in records if r.origin == "forced" and r.valid and not r.ignored}
    for name, recs in by_name.items():
        meta = tree.syms.get(name)
        sym = kconf.syms.get(name)
        if meta is None or sym is None or not sym.nodes:
            continue
        _dropped_for(tree, cfg, sym, meta, recs, forced_names)
    cfg.dropped.sort(key=lambda d: getattr(d, "_order", 0))
    return cfg


class _Assumption(NamedTuple):
    """A value assumed for a symbol the fragments leave open (an unknown fact of the board)."""
    symbol: str
    raw: str = "y"
    unset: bool = False
    prefix: str = "CONFIG_"


def _reset(kconf: Any) -> None:
    kconf.unset_values()
    # kconfiglib remembers which symbols a .config set (to warn about repeats); start afresh
    for s in kconf.unique_defined_syms:
        s._was_set = False
    for c in kconf.unique_choices:
        c._was_set = False
    kconf.missing_syms = []
    kconf.warnings = []


def _load_all(tree: _Tree, fragments: list, forced: list, assumed: dict) -> list:
    _reset(tree.kconf)
    if tree.fact_syms:
        syms = tree.kconf.syms
        for name, fact, unknown in tree.fact_syms:
            v = tree.facts.get(fact)
            syms[name].set_value(2 if (unknown if v is None else v) else 0)
    records: list = []
    for gi, frag in enumerate(fragments):
        assigns = _assignments(frag)
        if assigns:
            _load(tree, assigns, "fragment", gi, records)
    if assumed:
        _load(tree, [_Assumption(n) for n in sorted(assumed)], "assumed", -2, [])
    if forced:
        _load(tree, forced, "forced", -1, records)
    return records


def _positive_syms(tree_ast, out: set, positive: bool = True) -> set:
    kind = tree_ast[0]
    if kind == "sym" and positive:
        out.add(tree_ast[1])
    elif kind == "not":
        _positive_syms(tree_ast[1], out, not positive)
    elif kind in ("and", "or"):
        _positive_syms(tree_ast[1], out, positive)
        _positive_syms(tree_ast[2], out, positive)
    return out


def _needed_soft(tree: _Tree, records: list, assumed: dict) -> dict:
    """Soft symbols (see kconfig.yaml) that user assignments need and the fragments leave unset."""
    kconf = tree.kconf
    image = tree.image
    set_by_user = {r.a.symbol for r in records if r.defined and r.valid and not r.ignored}
    out: dict = {}
    wanted = [(r.a.symbol, r.a.raw.strip(), r.a) for r in records if r.defined and r.valid and not r.ignored]
    wanted += [(n, "y", _Assumption(n)) for n in assumed]
    for name0, raw0, a in wanted:
        meta = tree.syms.get(name0)
        sym = kconf.syms.get(name0)
        if meta is None or sym is None or meta.prompt is False:
            continue
        typ = meta.entry.type if meta.entry else "bool"
        want = _assigned_value(a, typ)
        if typ in ("bool", "tristate") and want != "y":
            continue
        ch_invisible = sym.choice is not None and sym.choice.visibility == 0
        if sym.visibility != 0 and not ch_invisible:
            continue
        exprs = list(meta.deps)
        if meta.choice and meta.choice in tree.choices:
            exprs = list(tree.choices[meta.choice].deps) + exprs
        if isinstance(meta.prompt, str):
            exprs.append(meta.prompt)
        for text in exprs:
            try:
                ast = _parse(str(text))
            except _ExprError:
                continue
            for term in _and_terms(ast):
                if _eval_ast(term, kconf, tree.facts):
                    continue
                for name in _positive_syms(term, set()):
                    m = tree.syms.get(name)
                    s = kconf.syms.get(name)
                    if (m is None or m.entry is None or image not in m.entry.soft or name in set_by_user
                            or name in assumed or name in out or s is None or s.tri_value):
                        continue
                    why = assumed.get(name0)
                    out[name] = f"{name0}={raw0} needs it" + (f" ({name0} assumed: {why})" if why else "")
    return out


def _value_of(tree: _Tree, sym: Any, meta: _SymMeta, recs: list, assumed: Optional[str] = None) -> Value:
    import kconfiglib
    typ = meta.entry.type if meta.entry else "bool"
    value = _typed(sym, typ)
    assigns = [r.a for r in recs]
    if assumed and value == "y" and not any(r.valid and not r.ignored for r in recs):
        return Value(value, "default", assigns,
                     f"assumed y: {assumed}, and it is normally selected by Kconfig dfulint does not model "
                     "(the application's own Kconfig, sample defaults, another subsystem)")
    eff = None
    for r in reversed(recs):
        if r.valid and not r.ignored:
            eff = r
            break
    note = ""
    if eff is not None:
        want = _assigned_value(eff.a, typ)
        if _same(want, value, typ) and (meta.prompt is not False):
            took = True
            if typ in ("bool", "tristate") and value == "y" and sym.choice is not None:
                took = sym.choice.user_selection is sym or sym.choice.selection is sym
            if took:
                return Value(value, eff.origin, assigns, "forced by sysbuild" if eff.origin == "forced" else "")
        note = "the assignment did not take effect; "
    if typ in ("bool", "tristate") and value == "y":
        sel = _selectors(sym.rev_dep)
        if sel:
            return Value(value, "select", assigns, note + "selected by " + ", ".join(sel))
    if value is None or (typ in ("int", "hex") and sym.str_value == ""):
        extra = ""
        if not kconfiglib.expr_value(sym.direct_dep):
            unmet = _unmet(tree, list(meta.deps))
            if unmet:
                extra = "inactive, unmet dependency: " + "; ".join(unmet)
        elif meta.entry and meta.entry.note and not meta.default_values:
            extra = meta.entry.note
        return Value(None, "unset", assigns, (note + extra).strip("; ").strip())
    # default
    if sym.choice is not None:
        ch = sym.choice
        cm = tree.choices.get(ch.name)
        if value == "y":
            dn = ""
            if cm:
                for member, n in cm.default_notes:
                    if member == sym.name and n:
                        dn = f" ({n})"
                        break
            return Value(value, "default", assigns, note + f"default of the choice {ch.name}{dn}")
        if ch.selection is None:
            return Value(value, "default", assigns, (note + f"no member of {ch.name} is selected").strip())
        return Value(value, "default", assigns, (note + f"{ch.selection.name} is the selected member of {ch.name}").strip())
    idx = None
    for i, (val_expr, cond) in enumerate(sym.defaults):
        if kconfiglib.expr_value(cond):
            idx = i
            break
    parsed = (tree.parsed_syms or {}).get(sym.name, meta)
    if idx is not None and idx < len(parsed.default_values):
        dn = parsed.default_notes[idx]
        shown = parsed.default_values[idx].replace("$(DFULINT_DOLLAR)(", "$(")
        if typ in ("int", "hex") and not _is_number(shown, upper_x=False):
            shown = f"{shown} = {sym.str_value}"
        imp = _selectors(sym.weak_rev_dep) if typ in ("bool", "tristate") and value == "y" else []
        if imp and value == "y" and shown == "n":
            return Value(value, "default", assigns, note + "implied by " + ", ".join(imp))
        return Value(value, "default", assigns, note + f"default {shown}" + (f" ({dn})" if dn else ""))
    if typ in ("bool", "tristate") and value == "y":
        imp = _selectors(sym.weak_rev_dep)
        if imp:
            return Value(value, "default", assigns, note + "implied by " + ", ".join(imp))
    return Value(value, "default", assigns, note.strip("; ").strip())


def _same(want: Any, value: Any, typ: str) -> bool:
    if want is None:
        return False
    if typ in ("bool", "tristate"):
        return str(want)[:1] == str(value)[:1]
    return want == value


def _dropped_for(tree: _Tree, cfg: ImageConfig, sym: Any, meta: _SymMeta, recs: list,
                 forced_names: frozenset = frozenset()) -> None:
    typ = meta.entry.type if meta.entry else "bool"
    entry_note = meta.entry.note if meta.entry else ""

    def add(r: _Rec, reason: str, detail: str) -> None:
        d = Dropped(r.a, reason, detail)
        d._order = r.index  # type: ignore[attr-defined]
        cfg.dropped.append(d)

    user = [r for r in recs if r.origin == "fragment"]
    forced = [r for r in recs if r.origin == "forced" and r.valid and not r.ignored]
    # values the loader refused
    for r in user:
        if r.ignored:
            add(r, "type", f"`# {r.a.prefix if hasattr(r.a, 'prefix') else 'CONFIG_'}{r.a.symbol} is not set` "
                           f"does nothing for the {typ} symbol {sym.name}; its default stays in effect")
        elif not r.valid:
            add(r, "type", r.message or f"the value '{r.a.raw}' is invalid for {sym.name}, which has type {typ} "
                                         "-- assignment ignored")
    valid = [r for r in user if r.valid and not r.ignored]
    if not valid:
        return
    if meta.prompt is False:
        why = f"{sym.name} has no prompt in NCS {_fmt_ver(tree.sdk)}" if tree.sdk != _LATEST else \
            f"{sym.name} has no prompt"
        for r in valid:
            add(r, "no-prompt", why + "; Zephyr aborts the build ('is assigned in a configuration file, but is "
                                      "not directly user-configurable')" + (f". {entry_note}" if entry_note else ""))
        return
    # the last valid assignment of each fragment
    last_per_group: dict = {}
    for r in valid:
        last_per_group[r.group] = r
    eff = valid[-1]
    result = cfg._values.get(sym.name).value if sym.name in cfg._values else None
    for r in last_per_group.values():
        want = _assigned_value(r.a, typ)
        if forced and not _same(want, _assigned_value(forced[-1].a, typ), typ):
            fa = forced[-1].a
            add(r, "forced", f"sysbuild forces {sym.name}={_shown(_assigned_value(fa, typ))}"
                             f" (written to the image's .config.sysbuild, loaded last), so this value is not used")
            continue
        if r is not eff or forced:
            continue
        if _same(want, result, typ):
            continue
        ch = sym.choice
        if ch is not None and ch.selection is not None and ch.selection is not sym \
                and ch.selection.name in forced_names:
            add(r, "forced", f"sysbuild forces {ch.selection.name}=y (written to the image's .config.sysbuild, "
                             f"loaded last), which selects it in the choice {ch.name} instead of {sym.name}")
            continue
        _explain(tree, r, sym, meta, typ, want, result, add)


def _shown(v: Any) -> str:
    if isinstance(v, str) and v not in ("y", "n", "m"):
        return f'"{v}"'
    return str(v)


def _explain(tree: _Tree, r: _Rec, sym: Any, meta: _SymMeta, typ: str, want: Any, result: Any, add) -> None:
    import kconfiglib
    if sym.choice is not None and typ in ("bool", "tristate"):
        ch = sym.choice
        if ch.visibility == 0 or sym.visibility == 0:
            add(r, "dependency", _dependency_detail(tree, sym.name, _shown(want), result))
            return
        if str(want)[:1] == "y":
            other = ch.selection.name if ch.selection is not None else "another member"
            add(r, "choice", f"{other} is the selected member of the choice {ch.name} (assigned later, or its "
                             "default), so this member stays n")
        else:
            add(r, "choice", f"a member of the choice {ch.name} cannot be switched off with =n while it is the "
                             f"selection; select another member instead")
        return
    if typ in ("bool", "tristate") and str(want)[:1] == "n" and result == "y":
        sel = _selectors(sym.rev_dep)
        if sel:
            add(r, "select", f"selected by {', '.join(sel)}, so it stays y")
            return
    if sym.visibility == 0 or (typ in ("bool", "tristate") and str(want)[:1] == "y" and result != "y"):
        add(r, "dependency", _dependency_detail(tree, sym.name, _shown(want), result))
        return
    if typ in ("int", "hex") and sym.ranges:
        for lo, hi, cond in sym.ranges:
            if kconfiglib.expr_value(cond):
                add(r, "range", f"{_shown(want)} is outside the range {lo.str_value}..{hi.str_value} of {sym.name}; "
                                f"Kconfig uses {_shown(result)}")
                return
    add(r, "dependency", _dependency_detail(tree, sym.name, _shown(want), result))


# ---------------------------------------------------------------------------------------------
# fallback without kconfiglib (never used unless something unexpected breaks)

def _fallback(fragments: list, img: str, image_name: str, sdk: tuple, forced: list, exc: Exception) -> ImageConfig:
    cfg = ImageConfig(image=image_name, sdk=sdk, _namespace="sysbuild" if img == "sysbuild" else "image")
    cfg.notes.append(f"Kconfig evaluation failed ({type(exc).__name__}: {exc}); values are the last assignments")
    recs: dict = {}
    for frag in fragments:
        for a in _assignments(frag):
            name = getattr(a, "symbol", "")
            if isinstance(name, str):
                recs.setdefault(name, []).append((a, "fragment"))
    for a in forced:
        name = getattr(a, "symbol", "")
        if isinstance(name, str):
            recs.setdefault(name, []).append((a, "forced"))
    cfg._records = recs
    cfg._namespace = "fallback"
    return cfg


# ---------------------------------------------------------------------------------------------
# conditions written outside the catalogue (an application's Kconfig.sysbuild)

def eval_condition(text: Optional[str], lookup) -> Optional[bool]:
    """Evaluate a Kconfig condition with three-valued logic.

    `lookup(name)` returns the symbol's value ("y"/"n", an int, a string) or None when it is not
    known. Returns True, False, or None when the result depends on something unknown or the text
    cannot be parsed. Never raises."""
    if text is None or not str(text).strip():
        return True
    try:
        ast = _parse(str(text))
    except (_ExprError, RecursionError, IndexError, ValueError):
        return None

    def atom(node):
        if node[0] == "const":
            t = node[1]
            return t[1:-1] if t.startswith('"') else t
        if node[0] == "sym":
            try:
                return lookup(node[1])
            except Exception:
                return None
        return None

    def truth(v) -> Optional[bool]:
        if v is None:
            return None
        if isinstance(v, bool):
            return v
        if isinstance(v, int):
            return v != 0
        return str(v) not in ("n", "", "0")

    def ev(node) -> Optional[bool]:
        kind = node[0]
        if kind in ("sym", "const"):
            return truth(atom(node))
        if kind == "not":
            v = ev(node[1])
            return None if v is None else not v
        if kind == "and":
            a, b = ev(node[1]), ev(node[2])
            if a is False or b is False:
                return False
            return None if a is None or b is None else True
        if kind == "or":
            a, b = ev(node[1]), ev(node[2])
            if a is True or b is True:
                return True
            return None if a is None or b is None else False
        if kind == "cmp":
            left, right = atom(node[2]), atom(node[3])
            if left is None or right is None:
                return None
            li, ri = _as_int(str(left)), _as_int(str(right))
            if li is not None and ri is not None:
                left, right = li, ri
            else:
                left, right = str(left), str(right)
            try:
                return {"=": left == right, "!=": left != right, "<": left < right, ">": left > right,
                        "<=": left <= right, ">=": left >= right}[node[1]]
            except (TypeError, KeyError):
                return None
        return None

    try:
        return ev(ast)
    except RecursionError:
        return None


def interpret(raw: str, typ: str):
    """What Kconfiglib makes of a raw value for a symbol of type `typ`: (value, error)."""
    from dfulint.sources.kconf import interpret as read_value

    return read_value(raw, typ)


def guess_type(raw: str) -> str:
    """The type a value looks like, for symbols dfulint has no catalogue entry for."""
    from dfulint.sources.kconf import guess_type as looks_like

    return looks_like(raw)
