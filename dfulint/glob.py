"""Gitignore-like globs matched without backtracking: `**/` any folders, `**` anything, `*` and `?`
within one path segment, `[abc]`, `[a-z]`, `[!a-z]` one character.

A pattern compiles to a small automaton that is run over the path once, keeping the set of live
states (Thompson's construction), so matching costs at most len(path) x len(pattern) steps however
many `*` and `**` a pattern has; Python's regex engine would backtrack exponentially on some.
"""
from __future__ import annotations

from functools import lru_cache

from dfulint.records import NamedTuple

MAX_PATTERN = 1000


class GlobError(ValueError):
    """A pattern that cannot be used (a bad character class, or too long)."""


class _Tok(NamedTuple):
    kind: str            # "lit", "any" (?), "star" (*), "dstar" (**), "dirs" (**/), "class"
    value: object = None


def _parse_class(p: str, i: int) -> tuple:
    """The class starting at p[i] == "[": (token, index after it), or None when there is no `]`."""
    j = i + 1
    neg = False
    if j < len(p) and p[j] in "!^":
        neg, j = True, j + 1
    start = j
    if j < len(p) and p[j] == "]":          # `[]abc]`: a leading ] is a member
        j += 1
    while j < len(p) and p[j] != "]":
        j += 1
    if j >= len(p):
        return None
    body = p[start:j]
    ranges = []
    k = 0
    while k < len(body):
        c = body[k]
        if c == "\\" and k + 1 < len(body):
            k += 1
            c = body[k]
        if k + 2 < len(body) and body[k + 1] == "-":
            hi = body[k + 2]
            if hi < c:
                raise GlobError(f"bad character class [{p[i + 1:j]}]: range {c}-{hi} is reversed")
            ranges.append((c, hi))
            k += 3
        else:
            ranges.append((c, c))
            k += 1
    if not ranges:
        raise GlobError(f"empty character class [{p[i + 1:j]}]")
    return _Tok("class", (neg, tuple(ranges))), j + 1


@lru_cache(maxsize=512)
def compile_glob(pattern: str) -> tuple:
    """The tokens of `pattern` (GlobError for a bad one)."""
    if len(pattern) > MAX_PATTERN:
        raise GlobError(f"pattern longer than {MAX_PATTERN} characters")
    p = pattern.strip()
    while p.startswith("./"):
        p = p[2:]
    p = p.lstrip("/")
    toks = []
    i = 0
    while i < len(p):
        c = p[i]
        if p.startswith("**/", i):
            if not toks or toks[-1].kind != "dirs":
                toks.append(_Tok("dirs"))
            i += 3
        elif p.startswith("**", i):
            if not toks or toks[-1].kind != "dstar":
                toks.append(_Tok("dstar"))
            i += 2
        elif c == "*":
            if not toks or toks[-1].kind != "star":
                toks.append(_Tok("star"))
            i += 1
        elif c == "?":
            toks.append(_Tok("any"))
            i += 1
        elif c == "[":
            got = _parse_class(p, i)
            if got is None:
                toks.append(_Tok("lit", c))
                i += 1
            else:
                toks.append(got[0])
                i = got[1]
        else:
            toks.append(_Tok("lit", c))
            i += 1
    if p.endswith("/"):
        toks.append(_Tok("dstar"))
    return tuple(toks)


def _closure(toks: tuple, states: set) -> set:
    """Add the states reachable without consuming a character (a `*`-like token may match nothing)."""
    todo = list(states)
    while todo:
        s = todo.pop()
        if isinstance(s, int) and s < len(toks) and toks[s].kind in ("star", "dstar", "dirs"):
            if s + 1 not in states:
                states.add(s + 1)
                todo.append(s + 1)
    return states


def _in_class(value, ch: str) -> bool:
    neg, ranges = value
    hit = any(lo <= ch <= hi for lo, hi in ranges)
    return hit != neg


def match(pattern: str, path: str) -> bool:
    """Whether the whole of `path` (with `/` separators) matches `pattern`."""
    toks = compile_glob(pattern)
    n = len(toks)
    states = _closure(toks, {0})
    for ch in path:
        nxt: set = set()
        for s in states:
            if isinstance(s, tuple):                 # inside a `**/`: until a `/` ends a folder
                i = s[1]
                nxt.add(s)
                if ch == "/":
                    nxt.add(i + 1)
                continue
            if s >= n:
                continue
            t = toks[s]
            k = t.kind
            if k == "lit":
                if ch == t.value:
                    nxt.add(s + 1)
            elif k == "any":
                if ch != "/":
                    nxt.add(s + 1)
            elif k == "class":
                if ch != "/" and _in_class(t.value, ch):
                    nxt.add(s + 1)
            elif k == "star":
                if ch != "/":
                    nxt.add(s)
            elif k == "dstar":
                nxt.add(s)
            elif k == "dirs":
                nxt.add(("in", s))
                if ch == "/":
                    nxt.add(s + 1)
        if not nxt:
            return False
        states = _closure(toks, nxt)
    return n in states
