"""The one way dfulint reads a project: confined to the project, regular files only, bounded.

Every reader (fragments, overlays, Partition Manager files, sample.yaml, CMakeLists.txt, the
configuration's `extend`, a west workspace's Kconfig files) reads through this module:

- A file is read only when it lies inside the project: the app's repository (the closest folder
  above it with `.git`), its west workspace (the closest folder above it with `.west/`), or the
  app folder itself; never `/` or the home folder as a whole. The path as written must lie inside,
  and so must the file a symlink finally points at.
- Only regular files are opened: a FIFO, a device or a socket is refused before anything waits on
  it (the file is opened non-blocking and checked with fstat).
- At most MAX_FILE_BYTES are read from a file.

A refused read is a Problem (kind "outside-project", "not-regular", "too-large", "unreadable"),
which the readers turn into findings; the refused file's content is never read, so it can never
be quoted. `walk` lists folders iteratively with a depth and size cap and never follows a
symlinked folder.

Which roots apply is set per checked app with `confined(project_roots(app, west))`; without it a
path's own repository or workspace (else its folder) is its root.
"""
from __future__ import annotations

import contextvars
import os
import stat
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from dfulint.records import NamedTuple

TYPE_CHECKING = False      # (typing.TYPE_CHECKING without importing typing)
if TYPE_CHECKING:
    from typing import Iterable, Iterator, Optional

MAX_FILE_BYTES = 4 * 1024 * 1024        # configuration files are small; a board DTS is ~50 KB
MAX_WALK_DEPTH = 24                     # folders below the top a walk descends
MAX_WALK_ENTRIES = 200_000              # names a walk looks at before it stops

_SCOPE: contextvars.ContextVar = contextvars.ContextVar("dfulint_file_scope", default=None)
_LOG: contextvars.ContextVar = contextvars.ContextVar("dfulint_file_refusals", default=None)
NOTED = ("outside-project", "not-regular", "too-large")     # refusals a run reports wherever they occur


class Refusal(NamedTuple):
    """Why a file is not read: `kind` selects the rule, `message` and `fix` are shown."""
    kind: str       # "outside-project", "not-regular", "too-large", "unreadable" ("structure" from a reader)
    message: str
    fix: str
    line: int = 1


def _abs(path) -> str:
    return os.path.abspath(os.fspath(path))


def inside(path, folder, resolve: bool = False) -> bool:
    """`path` is `folder` or lies below it, compared by name (`resolve`: after following symlinks;
    a path that cannot be resolved is inside nothing). The one such test of dfulint."""
    if resolve:
        try:
            path, folder = os.path.realpath(path), os.path.realpath(folder)
        except (OSError, RuntimeError, ValueError):
            return False
    p, f = os.fspath(path), os.fspath(folder)
    return p == f or p.startswith(f.rstrip(os.sep) + os.sep)


def _home() -> str:
    try:
        return os.path.realpath(os.path.expanduser("~"))
    except (OSError, RuntimeError):
        return ""


def _too_wide(folder: str) -> bool:
    """`/` and the home folder are never a project root (nor anything above the home folder)."""
    if not folder or os.path.dirname(folder) == folder:
        return True
    home = _home()
    return bool(home) and inside(home, folder)


@lru_cache(maxsize=1024)
def _marked_above(folder: str, marker: str, want_dir: bool) -> Optional[str]:
    d = folder
    while True:
        m = os.path.join(d, marker)
        if (os.path.isdir(m) if want_dir else os.path.lexists(m)) and not _too_wide(d):
            return d
        parent = os.path.dirname(d)
        if parent == d:
            return None
        d = parent


def repository_of(folder) -> Optional[Path]:
    """The closest folder at or above `folder` holding `.git`; without one, the closest holding a
    west manifest (`west.yml`, the top of a manifest repository). Never `/` or the home folder."""
    a = _abs(folder)
    r = _marked_above(a, ".git", False) or _marked_above(a, "west.yml", False) or _marked_above(a, "west.yaml", False)
    return Path(r) if r else None


def workspace_of(folder) -> Optional[Path]:
    """The closest folder at or above `folder` holding `.west/` (never `/` or the home folder)."""
    r = _marked_above(_abs(folder), ".west", True)
    return Path(r) if r else None


def project_roots(app_root, west_root=None, tops=()) -> tuple:
    """The folders an app's files may come from: its repository, its west workspace (found, and
    `west_root` when given), the app folder itself, and `tops` (folders the user named that hold
    the app). Never `/` or the home folder."""
    app = _abs(app_root)
    cands = [repository_of(app), workspace_of(app), Path(_abs(west_root)) if west_root else None, Path(app)]
    cands += [Path(_abs(t)) for t in tops]
    roots: list = []
    for r in cands:
        if r is not None and not _too_wide(str(r)) and r not in roots:
            roots.append(r)
    return tuple(roots)


@contextmanager
def confined(roots):
    """Reads inside this block may come only from below `roots` (see project_roots). Yields a
    list that collects (path, Refusal) for every file refused inside the block (kinds in NOTED),
    so a caller can report refusals that a reader had no place for."""
    log: list = []
    token = _SCOPE.set(tuple(Path(_abs(r)) for r in roots))
    ltoken = _LOG.set(log)
    try:
        yield log
    finally:
        _SCOPE.reset(token)
        _LOG.reset(ltoken)


def note(path, refusal: Refusal) -> None:
    """Record a refusal (or a reader's problem without another place) for the confinement in force."""
    log = _LOG.get()
    if log is not None and all(p != path or r.kind != refusal.kind or r.line != refusal.line for p, r in log):
        log.append((path, refusal))


def current_roots() -> Optional[tuple]:
    return _SCOPE.get()


def roots_for(path) -> tuple:
    """The roots that apply to `path`: the confinement in force, else the path's own project."""
    scope = _SCOPE.get()
    if scope is not None:
        return scope
    return _default_roots(os.path.dirname(_abs(path)))


@lru_cache(maxsize=1024)
def _default_roots(folder: str) -> tuple:
    roots = [r for r in (repository_of(folder), workspace_of(folder)) if r is not None]
    return tuple(roots) or ((Path(folder),) if not _too_wide(folder) else ())


@lru_cache(maxsize=256)
def _real(root: Path) -> str:
    try:
        return os.path.realpath(root)
    except (OSError, RuntimeError):
        return str(root)


def outside(path, roots: tuple) -> Optional[Refusal]:
    a = _abs(path)
    lexical = [r for r in roots if inside(a, str(r))]
    if not lexical:
        return Refusal("outside-project", "file is outside the project; dfulint does not read it",
                       "keep the files the build reads inside the repository or the west workspace")
    try:
        real = os.path.realpath(a)
    except (OSError, RuntimeError, ValueError):
        return Refusal("unreadable", "cannot resolve the path (a symlink loop?)", "fix or remove the symlink")
    if not any(inside(real, _real(r)) for r in roots):
        return Refusal("outside-project",
                       "file is a symlink to a place outside the project; dfulint does not read it",
                       "replace the symlink with the file itself, or point it inside the repository")
    if _PRIVATE.intersection(Path(real).parts[:-1]) or _PRIVATE.intersection(Path(a).parts[:-1]):
        # git's own files (remote URLs with tokens, hooks) are never a build input
        return Refusal("outside-project", "file lies in a .git folder, which is not part of the project's sources; "
                       "dfulint does not read it", "point the build at a file of the project itself")
    return None


_PRIVATE = frozenset({".git"})


def check(path) -> Optional[Refusal]:
    """Why `path` may not be read (None: it may): outside the project, or not a regular file."""
    roots = roots_for(path)
    why = outside(path, roots)
    if why is not None:
        return why
    try:
        st = os.stat(path)
    except OSError as exc:
        return Refusal("unreadable", f"cannot read file: {exc.strerror or exc}", "make the file readable")
    if stat.S_ISDIR(st.st_mode):
        return Refusal("unreadable", "cannot read file: Is a directory", "make the file readable")
    if not stat.S_ISREG(st.st_mode):
        return Refusal("not-regular", f"{_kind_of(st.st_mode)}, not a regular file; dfulint does not read it",
                       "replace it with the regular text file the build expects")
    return None


def _kind_of(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"


def is_file(path) -> bool:
    """True for a regular file inside the project (what `Path.is_file` means to dfulint)."""
    try:
        return check(path) is None
    except (OSError, ValueError):
        return False


_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)


def read_bytes(path, limit: int = MAX_FILE_BYTES) -> tuple:
    """(data, None) for a regular file inside the project of at most `limit` bytes, else
    (None, Refusal). Never blocks on a FIFO, never reads a device, never raises."""
    try:
        why = check(path)
        if why is not None:
            return None, why
        real = os.path.realpath(_abs(path))
        fd = os.open(real, _OPEN_FLAGS | getattr(os, "O_NOFOLLOW", 0))
    except (OSError, ValueError) as exc:
        return None, Refusal("unreadable", f"cannot read file: {getattr(exc, 'strerror', None) or exc}",
                             "make the file readable")
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):      # swapped since check(): still never read it
            return None, Refusal("not-regular", f"{_kind_of(st.st_mode)}, not a regular file; dfulint does "
                                 "not read it", "replace it with the regular text file the build expects")
        if st.st_size > limit:
            return None, Refusal("too-large", f"file is {st.st_size} bytes, more than dfulint reads ({limit})",
                                 "configuration files are small; check that this is the intended file")
        chunks, total = [], 0
        while total <= limit:
            b = os.read(fd, min(1 << 20, limit + 1 - total))
            if not b:
                break
            chunks.append(b)
            total += len(b)
        if total > limit:
            return None, Refusal("too-large", f"file is more than {limit} bytes, more than dfulint reads",
                                 "configuration files are small; check that this is the intended file")
        return b"".join(chunks), None
    except OSError as exc:
        return None, Refusal("unreadable", f"cannot read file: {exc.strerror or exc}", "make the file readable")
    finally:
        os.close(fd)


def read_head(path, n: int) -> bytes:
    """The first `n` bytes of a regular file inside the project (b"" for anything else)."""
    try:
        if check(path) is not None:
            return b""
        fd = os.open(os.path.realpath(_abs(path)), _OPEN_FLAGS | getattr(os, "O_NOFOLLOW", 0))
    except (OSError, ValueError):
        return b""
    try:
        return os.read(fd, n) if stat.S_ISREG(os.fstat(fd).st_mode) else b""
    except OSError:
        return b""
    finally:
        os.close(fd)


def walk(top, max_depth: int = MAX_WALK_DEPTH, max_entries: int = MAX_WALK_ENTRIES,
         keep_dir=None) -> Iterator[tuple]:
    """Like os.walk (top-down, names sorted), but iterative, never following a symlinked folder,
    at most `max_depth` folders deep and `max_entries` names in all. `keep_dir(folder, name)`
    says whether to descend into a subfolder; callers may also prune `dirnames` in place."""
    top = Path(top)
    stack = [(top, 0)]
    seen = 0
    while stack:
        d, depth = stack.pop()
        try:
            with os.scandir(d) as it:
                entries = []
                for e in it:
                    entries.append(e)
                    seen += 1
                    if seen > max_entries:
                        break
        except (OSError, ValueError):
            continue
        dirnames, filenames = [], []
        for e in sorted(entries, key=lambda e: e.name):
            try:
                if e.is_dir(follow_symlinks=False):
                    dirnames.append(e.name)
                elif not (e.is_symlink() and e.is_dir()):      # files, and symlinks to files or nowhere
                    filenames.append(e.name)
            except OSError:
                continue
        if depth >= max_depth:
            dirnames_walk = []
        else:
            dirnames_walk = dirnames
        if keep_dir is not None:
            dirnames_walk[:] = [n for n in dirnames_walk if keep_dir(d, n)]
        yield d, dirnames_walk, filenames
        if seen > max_entries:
            return
        for n in reversed(dirnames_walk):
            stack.append((d / n, depth + 1))


def git_top(start: Path) -> Optional[Path]:
    """The closest folder at or above `start` holding `.git` (a folder or a worktree file)."""
    try:
        d = start.resolve()
    except OSError:
        return None
    if d.is_file():
        d = d.parent
    for cand in (d, *d.parents):
        if (cand / ".git").exists():
            return cand
    return None


def repo_root(app_roots: Iterable[Path], cwd: Optional[Path] = None) -> Path:
    """The folder artifact paths are made relative to: the git top level holding every checked app
    (the current directory's first), else the current directory if it holds them all, else their
    common folder."""
    roots = [Path(r).resolve() for r in app_roots]
    cwd = (cwd or Path.cwd()).resolve()
    cands = []
    top = git_top(cwd)
    if top:
        cands.append(top)
    if roots:
        top = git_top(roots[0])
        if top:
            cands.append(top)
    cands.append(cwd)
    for c in cands:
        if all(inside(r, c) for r in roots):
            return c
    try:
        return Path(os.path.commonpath([str(r) for r in roots]))
    except ValueError:
        return cwd
