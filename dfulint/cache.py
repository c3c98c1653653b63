"""dfulint's own on-disk cache of data that is slow to build and changes rarely: the Kconfig symbols
a west workspace (the SDK) defines, and knowledge tables when they are read from their YAML.

Nothing read from a checked app is stored here. Every key includes a checksum of what the entry is
built from, so an entry goes stale only when that changes.

Safety: an entry is plain JSON data, read with `json.loads`, which cannot run code whatever the
file holds (no pickle, no YAML tags, no imports by name). Tuples, sets, bytes and dicts with
non-string keys are written as tagged JSON objects; a record type (a NamedTuple) is rebuilt only
when the caller names it in `records`. An entry is read only when it is a regular file owned by
the user and not writable by others, through a non-blocking, no-follow open, bounded in size; it
is written to a new file created with O_EXCL|O_NOFOLLOW (mode 0600) in a folder that is not a
symlink and is the user's own, then renamed into place. Whatever is wrong with an entry (foreign,
planted, truncated, stale, not JSON), it is rebuilt, never fatal.
"""
from __future__ import annotations

import json
import os
import stat
import sys
import zlib
from pathlib import Path

TYPE_CHECKING = False      # (typing.TYPE_CHECKING without importing typing)
if TYPE_CHECKING:
    from typing import Any, Callable, Iterable, Optional

_MAX_ENTRIES = 1000          # per kind
_MAX_ENTRY_BYTES = 64 * 1024 * 1024
_SUFFIX = ".json"
_FORMAT = 1


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


# ------------------------------------------------------------------ plain-data encoding

class _NotPlain(Exception):
    """The object holds something that is not plain data: it is not cached."""


def _encode(obj: Any) -> Any:
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, int):
        return int(obj)
    if isinstance(obj, float):
        return obj
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return {"$rec": type(obj).__name__, "v": [_encode(x) for x in obj]}
    if isinstance(obj, list):
        return [_encode(x) for x in obj]
    if isinstance(obj, tuple):
        return {"$tuple": [_encode(x) for x in obj]}
    if isinstance(obj, frozenset):
        return {"$frozenset": [_encode(x) for x in _sorted(obj)]}
    if isinstance(obj, set):
        return {"$set": [_encode(x) for x in _sorted(obj)]}
    if isinstance(obj, bytes):
        return {"$bytes": obj.hex()}
    if isinstance(obj, dict):
        if all(isinstance(k, str) and not k.startswith("$") for k in obj):
            return {k: _encode(v) for k, v in obj.items()}
        return {"$dict": [[_encode(k), _encode(v)] for k, v in obj.items()]}
    raise _NotPlain(type(obj).__name__)


def _sorted(items: Iterable[Any]) -> list:
    try:
        return sorted(items)
    except TypeError:
        return list(items)


def _decode(obj: Any, records: dict) -> Any:
    if isinstance(obj, list):
        return [_decode(x, records) for x in obj]
    if not isinstance(obj, dict):
        return obj
    if len(obj) == 1:
        (tag, v), = obj.items()
        if tag == "$tuple":
            return tuple(_decode(x, records) for x in v)
        if tag == "$set":
            return {_decode(x, records) for x in v}
        if tag == "$frozenset":
            return frozenset(_decode(x, records) for x in v)
        if tag == "$bytes":
            return bytes.fromhex(v)
        if tag == "$dict":
            return {_decode(k, records): _decode(x, records) for k, x in v}
    if len(obj) == 2 and "$rec" in obj and "v" in obj:
        cls = records.get(obj["$rec"])
        if cls is None:
            raise _NotPlain(f"record type {obj['$rec']!r} not expected here")
        return cls(*[_decode(x, records) for x in obj["v"]])
    if any(k.startswith("$") for k in obj):
        raise _NotPlain("unknown tag")
    return {k: _decode(x, records) for k, x in obj.items()}


def dumps(obj: Any) -> bytes:
    """`obj` as the cache writes it (plain JSON); _NotPlain for anything else."""
    return json.dumps({"format": _FORMAT, "data": _encode(obj)}, separators=(",", ":"),
                      allow_nan=True).encode("utf-8")


def loads(data: bytes, records: Iterable[type] = ()) -> Any:
    """The object `dumps` wrote; an exception for anything else (never runs code)."""
    doc = json.loads(data.decode("utf-8"))
    if not isinstance(doc, dict) or doc.get("format") != _FORMAT or "data" not in doc:
        raise _NotPlain("not a dfulint cache entry")
    return _decode(doc["data"], {c.__name__: c for c in records})


# ------------------------------------------------------------------ files

def _own(st: os.stat_result) -> bool:
    if hasattr(os, "getuid"):
        return st.st_uid == os.getuid() and not st.st_mode & 0o022
    return True


def _folder_ok(folder: Path) -> bool:
    """The entry folder is a real folder (not a symlink) of the user's own that others cannot write."""
    try:
        st = os.lstat(folder)
    except OSError:
        return False
    return stat.S_ISDIR(st.st_mode) and _own(st)


def _read_entry(path: Path) -> Optional[bytes]:
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or not _own(st) or st.st_size > _MAX_ENTRY_BYTES:
            return None
        chunks, total = [], 0
        while True:
            b = os.read(fd, 1 << 20)
            if not b:
                break
            total += len(b)
            if total > _MAX_ENTRY_BYTES:
                return None
            chunks.append(b)
        return b"".join(chunks)
    except OSError:
        return None
    finally:
        os.close(fd)


def load(kind: str, key: str, records: Iterable[type] = ()) -> Any:
    """The cached object, or None (no entry, or one that is not the user's own plain data)."""
    d = cache_dir()
    if d is None or not _folder_ok(d / kind):
        return None
    path = d / kind / f"{key}{_SUFFIX}"
    data = _read_entry(path)
    if data is None:
        return None
    try:
        obj = loads(data, records)
    except Exception:  # not JSON, not ours, too deep, a record we do not expect: rebuilt
        return None
    try:
        os.utime(path, follow_symlinks=False)    # pruning drops the entries used least recently
    except (OSError, NotImplementedError):
        pass
    return obj


def store(kind: str, key: str, obj: Any) -> None:
    """Keep `obj` (plain data and NamedTuples of it; anything else is not kept)."""
    d = cache_dir()
    if d is None:
        return
    try:
        data = dumps(obj)
    except (_NotPlain, ValueError, TypeError, RecursionError):
        return
    folder = d / kind
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError:
        return
    if not _folder_ok(folder):
        return
    tmp = folder / f".{key}.{os.getpid()}.{os.urandom(6).hex()}.tmp"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
                     | getattr(os, "O_BINARY", 0), 0o600)
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, folder / f"{key}{_SUFFIX}")
        _prune(folder)
    except OSError:
        try:
            os.unlink(tmp)
        except OSError:
            pass


def _prune(folder: Path) -> None:
    try:
        entries = [e for e in os.scandir(folder) if e.name.endswith(_SUFFIX)]
        if len(entries) <= _MAX_ENTRIES:
            return
        entries.sort(key=lambda e: e.stat(follow_symlinks=False).st_mtime)      # last written or read
        for e in entries[: len(entries) - _MAX_ENTRIES // 2]:
            os.unlink(e.path)
    except OSError:
        pass


def cached(kind: str, key: str, build: Callable[[], Any], valid: Callable[[Any], bool] = lambda obj: True,
           records: Iterable[type] = ()) -> Any:
    """The entry `key`, when there is one and `valid` accepts it; else build(), kept under `key`.
    `records`: the NamedTuple types an entry may hold (nothing else is ever constructed)."""
    records = tuple(records)
    obj = load(kind, key, records)
    if obj is None or not valid(obj):
        obj = build()
        if obj is not None:
            store(kind, key, obj)
    return obj
