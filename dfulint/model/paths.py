"""Facts about the project's files that the checks need, found once before any check runs.

A finding names the file a user has to edit, and says "add to X" when X exists or "create X with"
when it does not; a fix replaces exact lines and compares them with what the file holds. The
checks never open files, so the model stage answers these questions here and freezes the answers
in a `PathFacts` record on the target (`Target.paths`):

* which of the candidate files and folders an image's settings, overlays or moved lines may go to
  exist (`has_file`, `has_dir`, `names_in`);
* the lines of every Kconfig fragment the build reads, and the text of the files a fix appends to
  (`lines_of`, `text_of`).

The candidates follow the build's own layout per build system (child_image/ or sysbuild/, a
boards/ overlay per board file stem, MCUboot's own board file stems); `where_to_write` turns them into
the destination of a new setting or overlay for each image.
"""
from __future__ import annotations

from pathlib import Path
from types import MappingProxyType

from dfulint.core import Span
from dfulint.records import NamedTuple

TYPE_CHECKING = False      # (typing.TYPE_CHECKING without importing typing)
if TYPE_CHECKING:
    from typing import Mapping, Optional

_EMPTY: Mapping = MappingProxyType({})


class PathFacts(NamedTuple):
    """Existence and text of the files checks name, as the model stage found them (read-only)."""

    files: frozenset = frozenset()
    dirs: frozenset = frozenset()
    lines: Mapping = _EMPTY          # path -> tuple of lines (str.splitlines of the text)
    texts: Mapping = _EMPTY          # path -> full text, or None when unreadable
    listings: Mapping = _EMPTY       # folder -> sorted file names in it
    conf: Mapping = _EMPTY           # image -> (Span at line 1, relative path, exists): where a setting goes
    overlay: Mapping = _EMPTY        # image -> (Span at line 1, relative path, exists): where a node goes
    defined: Mapping = _EMPTY        # image -> west.Symbols the workspace's Kconfig defines (or None)
    pm_static: Optional[Path] = None  # the pm_static file the build reads, or the one to create

    def has_file(self, path: Path) -> bool:
        return path in self.files

    def has_dir(self, path: Path) -> bool:
        return path in self.dirs

    def lines_of(self, path: Path) -> tuple:
        return self.lines.get(path, ())

    def text_of(self, path: Path) -> Optional[str]:
        """The text of a file fixes append to; "" when it does not exist, None when unreadable."""
        if path not in self.files:
            return ""
        return self.texts.get(path)

    def names_in(self, folder: Path) -> tuple:
        return self.listings.get(folder, ())


# ------------------------------------------------------------------ the build's layout


def sysbuild_dest(rel: str) -> str:
    """Where a child_image/ file's content belongs under sysbuild."""
    parts = Path(rel).parts
    if len(parts) == 2:                           # child_image/<image>.conf|.overlay
        return f"sysbuild/{parts[1]}"
    return "sysbuild/" + "/".join(parts[1:])       # child_image/mcuboot/... -> sysbuild/mcuboot/...


def image_of(rel: str) -> str:
    """The image a child_image/ or sysbuild/ path configures: child_image/mcuboot.conf -> mcuboot."""
    parts = Path(rel).parts
    if len(parts) < 2:
        return ""
    name = parts[1]
    if len(parts) == 2:
        for ext in (".conf", ".overlay"):
            if name.endswith(ext):
                name = name[: -len(ext)]
        name = name.split("_", 1)[0] if name.startswith("mcuboot_") else name   # mcuboot_<buildtype>.conf
    return name


def _mcuboot_stems(t) -> list:
    from dfulint.model.query import mcuboot_stems

    return mcuboot_stems(t)


def _conf_path(t, name: str, is_dir) -> Path:
    img = t.images.get(name)
    root = t.app.root
    if name == "app":
        layers = [layer for layer in (img.conf_layers if img else []) if layer.role in ("base", "board")]
        return layers[-1].path if layers else root / "prj.conf"
    if name == "sysbuild":
        return root / "sysbuild.conf"
    layers = list(img.conf_layers) if img else []
    if layers:
        return layers[-1].path
    if t.build_system == "child_image":
        return root / "child_image" / "mcuboot.conf"
    if is_dir(root / "sysbuild" / "mcuboot"):
        return root / "sysbuild" / "mcuboot" / "prj.conf"
    return root / "sysbuild" / "mcuboot.conf"


def _overlay_path(t, name: str, is_dir) -> Path:
    img = t.images.get(name)
    root = t.app.root
    if img is not None and img.dts_layers:
        return img.dts_layers[-1].path
    if name == "app":
        stem = t.stems[0] if t.stems else "app"
        return root / "boards" / f"{stem}.overlay" if t.stems else root / "app.overlay"
    if t.build_system == "child_image":
        return root / "child_image" / "mcuboot.overlay"
    if is_dir(root / "sysbuild" / "mcuboot"):
        mstems = _mcuboot_stems(t)
        return root / "sysbuild" / "mcuboot" / "boards" / f"{mstems[0]}.overlay" if mstems else \
            root / "sysbuild" / "mcuboot" / "app.overlay"
    return root / "sysbuild" / "mcuboot.overlay"


def derive(t) -> PathFacts:
    """Probe, once, every file and folder the checks of target `t` may name; read the lines of its
    fragments and the files fixes append to. Runs in the model stage (inside the file confinement)."""
    from dfulint.sources import read_text

    root = t.app.root
    probe_dirs = {root / "sysbuild" / "mcuboot"}
    dirs = frozenset(p for p in probe_dirs if p.is_dir())
    is_dir = dirs.__contains__

    probe_files = {
        root / "sysbuild.conf", root / "app.overlay", root / "prj.conf",
        root / "child_image" / "mcuboot.conf", root / "child_image" / "mcuboot" / "prj.conf",
        root / "sysbuild" / "mcuboot" / "prj.conf",
    }
    conf_paths = {name: _conf_path(t, name, is_dir) for name in ("app", "mcuboot", "sysbuild")}
    overlay_paths = {name: _overlay_path(t, name, is_dir) for name in ("app", "mcuboot")}
    probe_files.update(conf_paths.values())
    probe_files.update(overlay_paths.values())
    listings = {}
    mcu = t.images.get("mcuboot")
    if mcu is not None and mcu.replaces_defaults is not None:
        rd = Path(mcu.replaces_defaults)
        probe_files.update((rd, rd / "prj.conf"))
        try:
            listings[rd] = tuple(sorted(p.name for p in rd.glob("prj_*.conf")))
        except OSError:
            listings[rd] = ()
    # where a child_image/ line moves to under sysbuild (DFU601's fix)
    append_to = {root / "sysbuild.conf"}
    for p in t.app.files:
        rel = t.app.rel(p)
        if rel.startswith("child_image/"):
            append_to.add(root / sysbuild_dest(rel))
    probe_files |= append_to
    files = frozenset(p for p in probe_files if p.is_file())

    lines = {}
    frags = list(t.files.fragments) if t.files is not None else []
    for img in list(t.images.values()) + ([t.sysbuild] if t.sysbuild is not None else []):
        frags.extend(img.fragments or ())
    for frag in frags:
        if frag.path not in lines:
            lines[frag.path] = tuple(read_text(frag.path).lines)
    texts = {p: read_text(p).text for p in append_to if p in files}

    def where(path: Path) -> tuple:
        return Span(path, 1, 1), t.app.rel(path), path in files

    defined = {}
    if getattr(t.app, "west_root", None) is not None:
        from dfulint import west

        for img in t.images.values():
            if img.name not in defined:
                defined[img.name] = west.defined_for(t.app, img.name)
    return PathFacts(
        files=files, dirs=dirs, lines=MappingProxyType(lines), texts=MappingProxyType(texts),
        listings=MappingProxyType(listings),
        conf=MappingProxyType({n: where(p) for n, p in conf_paths.items()}),
        overlay=MappingProxyType({n: where(p) for n, p in overlay_paths.items()}),
        defined=MappingProxyType(defined), pm_static=_pm_static_file(t))


def _pm_static_file(t) -> Path:
    """The pm_static file this build reads, or the one to create: pm_static_<board>.yml for an app
    built for several boards on NCS 1.8 and later (earlier NCS reads pm_static.yml only)."""
    if t.pm_static is not None:
        return t.pm_static.path
    root = t.app.root
    if len(t.app.boards) > 1 and t.sdk.version >= (1, 8, 0) and t.stems:
        return root / f"pm_static_{t.stems[0]}.yml"
    return root / "pm_static.yml"
