"""dfulint's own on-disk cache of data that is slow to build and changes rarely: parsed knowledge
tables, generated Kconfig trees, and the Kconfig symbols a west workspace (the SDK) defines.

Nothing read from a checked app is stored here. Every key includes a checksum of the files the
entry is built from (dfulint's own, or the state of the workspace's repositories), so an entry
goes stale only when those change. Entries are pickles written and read by this module alone. A
file that is not the user's own, or that others may write to, is never loaded; a missing, stale
or broken entry is rebuilt.
"""
from __future__ import annotations

import io
import os
import pickle
import sys
import zlib
from pathlib import Path
from typing import Any, Callable, Iterable, Optional

_MAX_ENTRIES = 1000          # per kind; a parsed Kconfig tree is about 60 KB


def cache_dir() -> Optional[Path]:
    """$DFULINT_CACHE_DIR, else $XDG_CACHE_HOME/dfulint, else ~/.cache/dfulint; None to disable."""
    explicit = os.environ.get("DFULINT_CACHE_DIR")
    if explicit is not None:
        return Path(explicit) if explicit.strip() and explicit.strip() != "0" else None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "dfulint" if base else None


def file_fingerprint(paths: Iterable[Any]) -> str:
    """A short fingerprint of files' contents (a checksum, not a security measure)."""
    crc, size = 0, 0
    for p in paths:
        try:
            data = Path(p).read_bytes()
        except OSError:
            data = b"<missing>" + os.fsencode(str(p))
        crc = zlib.crc32(data, crc)
        size += len(data)
    return f"{crc:08x}{size:x}"


def key_of(*parts: Any) -> str:
    """A file-name-safe key for a tuple of plain values."""
    text = repr((sys.version_info[:2], parts)).encode("utf-8", "backslashreplace")
    return f"{zlib.crc32(text):08x}{zlib.adler32(text):08x}"


class _Pickler(pickle.Pickler):
    """A pickler that writes references (persistent ids) for the objects `ref_of` names."""

    def __init__(self, file: Any, ref_of: Callable[[Any], Any]) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self._ref_of = ref_of

    def persistent_id(self, obj: Any) -> Any:
        return self._ref_of(obj)


class _Unpickler(pickle.Unpickler):
    """An unpickler that resolves those references with `refs`."""

    def __init__(self, file: Any, refs: Callable[[Any], Any]) -> None:
        super().__init__(file)
        self._refs = refs

    def persistent_load(self, ref: Any) -> Any:
        return self._refs(ref)


def _trusted(path: Path) -> bool:
    try:
        st = path.stat()
    except OSError:
        return False
    if hasattr(os, "getuid"):
        if st.st_uid != os.getuid() or st.st_mode & 0o022:
            return False
    return True


def load(kind: str, key: str, refs: Optional[Callable[[Any], Any]] = None) -> Any:
    """The cached object, or None. `refs` resolves the references store() wrote with `ref_of`."""
    d = cache_dir()
    if d is None:
        return None
    path = d / kind / f"{key}.pickle"
    if not _trusted(path):
        return None
    try:
        with open(path, "rb") as f:
            obj = (_Unpickler(f, refs) if refs is not None else pickle.Unpickler(f)).load()
    except Exception:  # a truncated or foreign entry, or a stale reference, is rebuilt, never fatal
        return None
    try:
        os.utime(path)      # pruning drops the entries used least recently, not the oldest
    except OSError:
        pass
    return obj


def store(kind: str, key: str, obj: Any, ref_of: Optional[Callable[[Any], Any]] = None) -> None:
    """Keep `obj`. `ref_of(x)` may name an object that is stored elsewhere (None: store it here)."""
    d = cache_dir()
    if d is None:
        return
    folder = d / kind
    try:
        if ref_of is None:
            data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
        else:
            buf = io.BytesIO()
            _Pickler(buf, ref_of).dump(obj)
            data = buf.getvalue()
    except Exception:
        return
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = folder / f".{key}.{os.getpid()}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, folder / f"{key}.pickle")
        _prune(folder)
    except OSError:
        pass


def _prune(folder: Path) -> None:
    try:
        entries = [e for e in os.scandir(folder) if e.name.endswith(".pickle")]
        if len(entries) <= _MAX_ENTRIES:
            return
        entries.sort(key=lambda e: e.stat().st_mtime)      # last written or read
        for e in entries[: len(entries) - _MAX_ENTRIES // 2]:
            os.unlink(e.path)
    except OSError:
        pass


def cached(kind: str, key: str, build: Callable[[], Any], valid: Callable[[Any], bool] = lambda obj: True,
           refs: Optional[Callable[[Any], Any]] = None, ref_of: Optional[Callable[[Any], Any]] = None) -> Any:
    """The entry `key`, when there is one and `valid` accepts it; else build(), kept under `key`."""
    obj = load(kind, key, refs)
    if obj is None or not valid(obj):
        obj = build()
        if obj is not None:
            store(kind, key, obj, ref_of)
    return obj
