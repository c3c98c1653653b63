"""Readers: one per input language. Each returns values with their Span and a list of Problems.

Readers never raise on user input: whatever cannot be read becomes a Problem with a place.
"""
from __future__ import annotations

import os
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path

from dfulint.core import Span
from dfulint.records import NamedTuple

from dfulint.files import MAX_FILE_BYTES  # noqa: F401  (re-exported)

TYPE_CHECKING = False      # (typing.TYPE_CHECKING without importing typing)
if TYPE_CHECKING:
    from typing import Optional


class Problem(NamedTuple):
    """Something a reader could not accept. `kind` selects the rule that reports it."""

    kind: str      # "unreadable", "encoding", "binary", "too-large", "syntax", "duplicate-key", ...
    span: Span
    message: str
    fix: str = ""


class Text(NamedTuple):
    """A file's text as read once per run, or the problem that stopped reading it."""
    path: Path
    text: Optional[str]
    problem: Optional[Problem]

    @property
    def lines(self) -> list[str]:
        return self.text.splitlines() if self.text is not None else []


_PARSED: "OrderedDict" = OrderedDict()
#: parsed files and evaluated images kept for reuse, least recently used dropped first: an app's
#: files are all in use while it is checked, a run over a thousand apps does not keep them all
_MAX_PARSED = 256

# Unsaved editor buffers (the language server's open documents): resolved path -> text. Every
# reader sees a buffer's text instead of the file on disk; nothing is ever written back.
_OVERLAY: dict = {}


def set_overlay(texts: dict) -> None:
    """Read these texts (resolved path -> str) instead of the files on disk, until changed again."""
    _OVERLAY.clear()
    _OVERLAY.update(texts)


def overlay_text(path: Path) -> Optional[str]:
    """The editor's unsaved text for `path`, or None when the file is read from disk."""
    if not _OVERLAY:
        return None
    try:
        return _OVERLAY.get(path.resolve())
    except (OSError, RuntimeError):
        return None


# What each parse read: parsed_once records the files read_text returns while its parse runs (and
# those of the parses nested in it), so that refresh() can forget exactly the results a changed
# file went into. _STAMPS holds each file's stamp as it was when read.
_DEPS: list = []
_STAMPS: dict = {}


def _stamp(path: Path):
    """What tells a file's text apart from one moment to the next: the editor buffer's text, or
    the file's modification time, size and inode (None when it does not exist)."""
    buffer = overlay_text(path)
    if buffer is not None:
        return ("buffer", buffer)
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def parsed_once(kind: str, key: tuple, parse):
    """The result of `parse()` for this file and these arguments, computed once per run: an app's
    files are read by the app-wide checks and again by every board's images."""
    k = (kind,) + key
    hit = _PARSED.get(k)
    if hit is None:
        _DEPS.append(set())
        try:
            value = parse()
        finally:
            deps = _DEPS.pop()
        hit = _PARSED[k] = (value, frozenset(deps))
        if len(_PARSED) > _MAX_PARSED:
            _PARSED.popitem(last=False)
    else:
        _PARSED.move_to_end(k)
    if _DEPS:
        _DEPS[-1].update(hit[1])
    return hit[0]


def clear_caches() -> None:
    """Forget every file read and parsed: a run (or a --fix pass) sees the files as they are now."""
    read_text.cache_clear()
    _PARSED.clear()
    _STAMPS.clear()


def refresh() -> set:
    """Forget only what changed: the texts of files whose stamp differs from when they were read,
    and every parse that read one of them (the language server re-checks an app after each edit;
    the other files' parses are kept). Returns the changed files."""
    changed = {p for p, st in list(_STAMPS.items()) if _stamp(p) != st}
    if not changed:
        return changed
    for p in changed:
        del _STAMPS[p]
    read_text.cache_clear()
    for k in [k for k, (_, deps) in _PARSED.items() if deps & changed]:
        del _PARSED[k]
    return changed


def read_text(path: Path) -> Text:
    """Read a project file once, bounded, as UTF-8, through the confined file layer (dfulint.files):
    a file outside the project, a FIFO or device, or one over the size cap is a Problem, never
    read. An editor's unsaved buffer replaces the file on disk. Problems are returned, never raised."""
    from dfulint import files
    if _DEPS:
        _DEPS[-1].add(path)
    if path not in _STAMPS:
        _STAMPS[path] = _stamp(path)       # before reading: a change while reading shows next time
    t = _read_text(path, files.current_roots())
    if t.problem is not None and t.problem.kind in files.NOTED:
        files.note(path, files.Refusal(t.problem.kind, t.problem.message, t.problem.fix))
    return t


def _read_text_cache_clear() -> None:
    _read_text.cache_clear()


read_text.cache_clear = _read_text_cache_clear      # type: ignore[attr-defined]


@lru_cache(maxsize=512)
def _read_text(path: Path, roots) -> Text:
    from dfulint import files
    buffer = overlay_text(path)
    if buffer is not None:
        why = files.check(path) if path.exists() else None
        if why is not None and why.kind == "outside-project":
            return Text(path, None, Problem(why.kind, Span(path, 1, 1), why.message, why.fix))
        if len(buffer) > MAX_FILE_BYTES:
            return Text(path, None, Problem("too-large", Span(path, 1, 1),
                        f"file is {len(buffer)} characters, more than dfulint reads ({MAX_FILE_BYTES})",
                        "configuration files are small; check that this is the intended file"))
        if "\x00" in buffer:
            line = buffer[: buffer.index("\x00")].count("\n") + 1
            return Text(path, None, Problem("binary", Span(path, line, 1),
                        "file holds a NUL byte: it is binary, not a text configuration file",
                        "replace it with the text file the build expects"))
        return Text(path, buffer[1:] if buffer.startswith("\ufeff") else buffer, None)
    data, why = files.read_bytes(path)
    if why is not None:
        return Text(path, None, Problem(why.kind, Span(path, 1, 1), why.message, why.fix))
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        return Text(path, None, Problem("binary", Span(path, line, 1),
                    "file holds a NUL byte: it is binary, not a text configuration file",
                    "replace it with the text file the build expects"))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        return Text(path, None, Problem("encoding", Span(path, line, col),
                    f"file is not valid UTF-8 (byte 0x{data[exc.start]:02x})",
                    "save the file as UTF-8"))
    if text.startswith("\ufeff"):
        text = text[1:]
    return Text(path, text, None)
