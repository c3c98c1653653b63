"""What a west workspace knows that the bundled tables only approximate: the board's own DTS file
(and the folders its `#include <...>` lines resolve in), and the Kconfig symbols the workspace
defines. Files are only listed and read, bounded; nothing in the workspace is run.

The Kconfig scan covers `zephyr/` and every Zephyr module of the workspace (a folder up to three
levels below the workspace with `zephyr/module.yml`: `nrf/`, `nrfxlib/`, `modules/hal/nordic/`,
`bootloader/mcuboot/`, ...). Symbols under MCUboot's own Zephyr application
(`bootloader/mcuboot/boot/zephyr/`) exist only in the bootloader image and are kept apart.
"""
from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path

from dfulint import files
from dfulint.records import NamedTuple
from dfulint.sources import read_text

TYPE_CHECKING = False      # (typing.TYPE_CHECKING without importing typing)
if TYPE_CHECKING:
    from typing import Iterable, Optional

MAX_DIR_ENTRIES = 1_500_000      # names listed during one workspace scan
MAX_KCONFIG_FILES = 40_000
MAX_BOARD_DTS = 20_000
MODULE_DEPTH = 3
MCUBOOT_APP = Path("bootloader") / "mcuboot" / "boot" / "zephyr"

_CONFIG_LINE = re.compile(r"^[ \t]*(?:menu)?config[ \t]+([A-Za-z0-9_$().\-{}]+)[ \t]*(?:#.*)?$", re.M)
_MACRO = re.compile(r"\$\([^)]*\)|\$\{[^}]*\}")
_SOURCE_LINE = re.compile(r'^[ \t]*(o?r?source)[ \t]+"([^"]+)"', re.M)
_SKIP_DIRS = {"__pycache__", "node_modules"}


# ------------------------------------------------------------------ board DTS

def _board_dirs(west_root: Path) -> list[Path]:
    return [d for d in (west_root / "zephyr" / "boards", west_root / "nrf" / "boards") if d.is_dir()]


@lru_cache(maxsize=16)
def _dts_index(boards_dir: Path) -> dict[str, Path]:
    """Board DTS files below one boards/ folder, by file stem (first found, sorted walk)."""
    out: dict[str, Path] = {}
    seen = 0
    for dirpath, dirnames, filenames in files.walk(boards_dir):
        dirnames[:] = sorted(n for n in dirnames if not n.startswith(".") and n not in _SKIP_DIRS
                             and not os.path.islink(os.path.join(dirpath, n)))
        for f in sorted(filenames):
            seen += 1
            if seen > MAX_BOARD_DTS * 10:
                return out
            if f.endswith(".dts"):
                out.setdefault(f[:-4], Path(dirpath) / f)
    return out


def board_dts(west_root: Optional[Path], board: Optional[str]) -> Optional[Path]:
    """The board's DTS file in the workspace (`zephyr/boards/<vendor>/<board>/<target>.dts` in
    HWMv2, `zephyr/boards/<arch>/<board>/<board>.dts` in HWMv1, or the same under `nrf/boards/`),
    or None."""
    if west_root is None or not board:
        return None
    from dfulint import knowledge

    try:
        stems = list(knowledge.board_file_stems(board))
    except Exception:      # an odd board string is "not found", never a crash
        stems = []
    bare = str(board).split("@", 1)[0].replace("/", "_")
    if bare not in stems:
        stems.append(bare)
    try:
        indexes = [_dts_index(d) for d in _board_dirs(Path(west_root))]
    except OSError:
        return None
    for stem in stems:
        for idx in indexes:
            if stem in idx:
                return idx[stem]
    return None


def dts_include_dirs(west_root: Optional[Path]) -> list[Path]:
    """The folders a board DTS's `#include <...>` resolves in, as Zephyr's dts.cmake orders them
    for each DTS root (Zephyr, then sdk-nrf): include/, include/zephyr/, dts/common/, dts/<arch>/,
    dts/, dts/vendor/. Only folders that exist."""
    if west_root is None:
        return []
    out: list[Path] = []
    for root in (Path(west_root) / "zephyr", Path(west_root) / "nrf"):
        for rel in ("include", "include/zephyr", "dts/common", "dts/arm", "dts/riscv", "dts", "dts/vendor"):
            d = root / rel
            if d.is_dir() and d not in out:
                out.append(d)
    return out


# ------------------------------------------------------------------ Kconfig symbols

class Symbols(NamedTuple):
    """Kconfig symbol names a set of Kconfig files defines."""

    names: frozenset = frozenset()
    patterns: tuple = ()          # regexes for names built from macros (`config $(module)_LOG_LEVEL`)
    complete: bool = True         # False when a limit cut the scan short
    files: int = 0

    def defines(self, name: str) -> bool:
        if name in self.names:
            return True
        rx = _combined(self.patterns)
        return bool(rx is not None and rx.fullmatch(name))

    def __or__(self, other: "Symbols") -> "Symbols":
        pats = tuple(dict.fromkeys(self.patterns + other.patterns))
        return Symbols(self.names | other.names, pats, self.complete and other.complete, self.files + other.files)


@lru_cache(maxsize=64)
def _combined(patterns: tuple) -> Optional["re.Pattern"]:
    if not patterns:
        return None
    try:
        return re.compile("|".join(f"(?:{p})" for p in patterns))
    except re.error:
        return None


class WorkspaceSymbols(NamedTuple):
    """The Kconfig symbols a west workspace defines: MCUboot's tree and the rest."""
    mcuboot: Symbols        # MCUboot's own application (bootloader/mcuboot/boot/zephyr)
    rest: Symbols           # Zephyr and every other module

    @property
    def complete(self) -> bool:
        return self.mcuboot.complete and self.rest.complete


def _pattern(name: str) -> Optional[str]:
    """A regex for a config name written with macros, or None when the name is literal."""
    if "$" not in name:
        return None
    parts = _MACRO.split(name)
    if not any(parts):
        return None       # a name that is nothing but a macro tells nothing
    return "[A-Za-z0-9_]+".join(re.escape(p) for p in parts)


def scan_text(text: str) -> tuple[set, set]:
    names, pats = set(), set()
    for m in _CONFIG_LINE.finditer(text or ""):
        name = m.group(1)
        p = _pattern(name)
        if p is None:
            if re.fullmatch(r"[A-Za-z0-9_]+", name):
                names.add(name)
        else:
            pats.add(p)
    return names, pats


def _is_kconfig(name: str) -> bool:
    return name == "Kconfig" or name.startswith("Kconfig.") or name.startswith("Kconfig-")


def _module_roots(west_root: Path) -> list[Path]:
    """Folders up to MODULE_DEPTH below the workspace holding `zephyr/module.yml` (Zephyr excluded:
    it is scanned as the base)."""
    out: list[Path] = []
    frontier = [west_root]
    for _ in range(MODULE_DEPTH):
        nxt = []
        for d in frontier:
            try:
                entries = sorted(os.scandir(d), key=lambda e: e.name)
            except OSError:
                continue
            for e in entries:
                if e.name.startswith(".") or e.name in _SKIP_DIRS or e.name.startswith("build"):
                    continue
                try:
                    if not e.is_dir(follow_symlinks=False):
                        continue
                except OSError:
                    continue
                p = Path(e.path)
                if d == west_root and e.name == "zephyr":
                    continue
                if (p / "zephyr" / "module.yml").is_file() or (p / "zephyr" / "module.yaml").is_file():
                    out.append(p)
                else:
                    nxt.append(p)
            if len(nxt) > 5000:
                break
        frontier = nxt
    return out


def _scan_roots(west_root: Path) -> list[Path]:
    roots = [west_root / "zephyr"] if (west_root / "zephyr").is_dir() else []
    return roots + _module_roots(west_root)


def _cache_key(west_root: Path, roots: list[Path]) -> str:
    """The workspace and the state of its repositories (a checkout or an edit moves these)."""
    from dfulint.cache import file_fingerprint, key_of

    state = []
    for r in roots:
        for p in (r, r / ".git" / "HEAD", r / ".git" / "index", r / "VERSION"):
            try:
                state.append((str(p), p.stat().st_mtime_ns))
            except OSError:
                state.append((str(p), None))
    return key_of(file_fingerprint([__file__]), str(west_root), tuple(state))


def _walk_kconfig(roots: Iterable[Path], mcuboot_app: Path) -> WorkspaceSymbols:
    acc = {"mcuboot": (set(), set()), "rest": (set(), set())}
    entries = nfiles = 0
    complete = True
    for root in roots:
        for dirpath, dirnames, filenames in files.walk(root):
            entries += len(dirnames) + len(filenames)
            if entries > MAX_DIR_ENTRIES or nfiles > MAX_KCONFIG_FILES:
                complete = False
                break
            dirnames[:] = sorted(n for n in dirnames if not n.startswith(".") and n not in _SKIP_DIRS
                                 and not os.path.islink(os.path.join(dirpath, n)))
            d = Path(dirpath)
            part = "mcuboot" if (d == mcuboot_app or mcuboot_app in d.parents) else "rest"
            for f in sorted(filenames):
                if not _is_kconfig(f):
                    continue
                nfiles += 1
                t = read_text(d / f).text
                if not t:
                    continue
                n, p = scan_text(t)
                acc[part][0].update(n)
                acc[part][1].update(p)
        if not complete:
            break
    mk = lambda k: Symbols(frozenset(acc[k][0]), tuple(sorted(acc[k][1])), complete, nfiles)  # noqa: E731
    return WorkspaceSymbols(mk("mcuboot"), mk("rest"))


@lru_cache(maxsize=8)
def workspace_symbols(west_root: Path) -> WorkspaceSymbols:
    """The Kconfig symbols the workspace defines, split into MCUboot's and the rest. Kept in the
    user's cache folder, keyed by the workspace path and the state of its repositories."""
    from dfulint import cache

    west_root = Path(west_root)
    roots = _scan_roots(west_root)
    return cache.cached("west-kconfig", _cache_key(west_root, roots),
                        lambda: _walk_kconfig(roots, west_root / MCUBOOT_APP),
                        lambda ws: isinstance(ws, WorkspaceSymbols), records=(WorkspaceSymbols, Symbols))


def app_symbols(app_root: Path, kconfig_files: Iterable[Path], max_files: int = 200) -> Symbols:
    """Symbols an app's own Kconfig files define, following `rsource`/`orsource` and
    `$(APPLICATION_SOURCE_DIR)` sources (bounded). `source "Kconfig.zephyr"` and other
    workspace-relative sources are the workspace's, scanned separately."""
    names, pats = set(), set()
    todo = [Path(p) for p in kconfig_files]
    seen: set = set()
    while todo and len(seen) < max_files:
        p = todo.pop(0)
        try:
            key = p.resolve()
        except (OSError, RuntimeError):
            continue
        if key in seen:
            continue
        seen.add(key)
        t = read_text(p).text if p.is_file() else None
        if not t:
            continue
        n, pt = scan_text(t)
        names |= n
        pats |= pt
        for m in _SOURCE_LINE.finditer(t):
            kind, target = m.group(1), m.group(2)
            for var in ("$(APPLICATION_SOURCE_DIR)", "${APPLICATION_SOURCE_DIR}", "$(APP_DIR)"):
                if target.startswith(var):
                    target, kind = str(app_root) + target[len(var):], "abs"
            if "$" in target or kind in ("source", "osource"):
                continue
            base = p.parent if kind in ("rsource", "orsource") else Path("/")
            cand = Path(target) if os.path.isabs(target) else base / target
            try:
                if files.outside(cand, files.roots_for(p)) is not None:
                    # never listed nor read: a glob here could walk the whole file system
                    files.note(p, files.Refusal(
                        "outside-project", f"`{kind} \"{m.group(2)}\"` leads outside the project; dfulint does "
                        "not follow it", "source Kconfig files of the project or its west workspace only",
                        t.count("\n", 0, m.start()) + 1))
                    continue
                if any(c in target for c in "*?["):
                    todo += sorted(x for x in cand.parent.glob(cand.name) if files.is_file(x))[:50]
                elif files.is_file(cand):
                    todo.append(cand)
            except (OSError, ValueError):
                continue
    return Symbols(frozenset(names), tuple(sorted(pats)), True, len(seen))


_EXTRA_MODULES = re.compile(r"\b(ZEPHYR_EXTRA_MODULES|EXTRA_ZEPHYR_MODULES)\b")


def _app_kconfig_files(app) -> list[Path]:
    out = []
    for p in getattr(app, "files", ()) or ():
        if _is_kconfig(p.name) and p.parent == app.root:
            out.append(p)
    return out


def defined_for(app, image: str) -> Optional[Symbols]:
    """The symbols an image's Kconfig tree defines in this app's workspace: MCUboot's tree plus the
    rest for the bootloader, the rest plus the app's own Kconfig files for the application. None
    when this cannot be told: no workspace, no `zephyr/Kconfig` in it, a scan cut short, or
    extra Zephyr modules named in the app's CMakeLists.txt."""
    root = getattr(app, "west_root", None)
    if root is None or not (Path(root) / "zephyr" / "Kconfig").is_file():
        return None
    cm = read_text(app.root / "CMakeLists.txt").text if (app.root / "CMakeLists.txt").is_file() else ""
    if cm and _EXTRA_MODULES.search(cm):
        return None
    ws = workspace_symbols(Path(root))
    if not ws.complete:
        return None
    own = app_symbols(app.root, _app_kconfig_files(app))
    if image == "mcuboot":
        syms = ws.mcuboot | ws.rest
        return syms | own if getattr(app, "is_mcuboot", False) else syms
    return ws.rest | own
