"""The images a build makes (app, mcuboot, sysbuild) with their inputs in the build's order.

Which files feed which image, and in what order, follows NCS per version
(sdk-nrf `cmake/sysbuild/`, `cmake/multi_image.cmake`): child images up to NCS 2.6, sysbuild from 2.7, plain Zephyr.
"""
from __future__ import annotations

import os
from pathlib import Path

from dfulint.core import Span
from dfulint.records import NamedTuple
from dfulint.sources.kconf import Assignment, Fragment, parse_fragment

TYPE_CHECKING = False      # (typing.TYPE_CHECKING without importing typing)
if TYPE_CHECKING:
    from typing import Optional

    from dfulint.model.devicetree import DeviceTree, DtsPartition
    from dfulint.model.kconfig import ImageConfig
    from dfulint.sources.dts import DtsFile


class Layer(NamedTuple):
    """One input file of an image, and why it is there."""

    path: Path
    role: str                 # "base", "board", "extra", "overlay", "forced"...
    why: str


class Image:
    """One image of a build (app, mcuboot, ...): its configuration and devicetree layers in build order."""
    __slots__ = ("name", "conf_layers", "dts_layers", "fragments", "forced", "config", "dt", "dts_files",
                 "partitions", "replaces_defaults", "board", "notes")

    name: str                                   # "app", "mcuboot", "sysbuild"
    conf_layers: list[Layer]
    dts_layers: list[Layer]
    fragments: list[Fragment]
    forced: list[Assignment]
    config: Optional[ImageConfig]              # Kconfig evaluated (model/kconfig.py)
    dt: Optional[DeviceTree]                   # the merged devicetree (model/devicetree.py)
    dts_files: list[DtsFile]                   # parsed, in order
    # the partitions of the merged devicetree (fixed-partitions children and mapped partitions)
    partitions: tuple[DtsPartition, ...]
    replaces_defaults: Optional[Path]          # a file that replaces MCUboot's own prj.conf / config dir
    board: Optional[str]                       # the board this image is built for (MCUboot: the secure one)
    notes: list[str]

    def __init__(self, name: str, conf_layers: Optional[list[Layer]] = None, dts_layers: Optional[list[Layer]] = None,
                 fragments: Optional[list[Fragment]] = None, forced: Optional[list[Assignment]] = None,
                 config: Optional[ImageConfig] = None, dt: Optional[DeviceTree] = None,
                 dts_files: Optional[list[DtsFile]] = None, partitions: tuple[DtsPartition, ...] = (),
                 replaces_defaults: Optional[Path] = None, board: Optional[str] = None,
                 notes: Optional[list[str]] = None) -> None:
        self.name = name
        self.conf_layers = [] if conf_layers is None else conf_layers
        self.dts_layers = [] if dts_layers is None else dts_layers
        self.fragments = [] if fragments is None else fragments
        self.forced = [] if forced is None else forced
        self.config = config
        self.dt = dt
        self.dts_files = [] if dts_files is None else dts_files
        self.partitions = partitions
        self.replaces_defaults = replaces_defaults
        self.board = board
        self.notes = [] if notes is None else notes

    def __repr__(self) -> str:
        return (f"Image({self.name!r}, board={self.board!r}, conf_layers={len(self.conf_layers)}, "
                f"dts_layers={len(self.dts_layers)})")

    @property
    def conf_paths(self) -> list[Path]:
        return [layer.path for layer in self.conf_layers]


def _existing(app_root: Path, rels: list[str]) -> list[Path]:
    return [app_root / r for r in rels if (app_root / r).is_file()]


def suffixed(p: Path, suffix: Optional[str]) -> Path:
    """`<name>_<suffix><ext>` instead of `p` when a FILE_SUFFIX is in force and that file exists
    (Zephyr's zephyr_file_suffix: the suffixed file replaces the plain one, which need not exist)."""
    if suffix:
        q = p.with_name(f"{p.stem}_{suffix}{p.suffix}")
        if q.is_file():
            return q
    return p


def _board_files(d: Path, stems: list[str], ext: str, suffix: Optional[str] = None) -> list[Path]:
    """Board-specific files in `d` as Zephyr applies them: plain board first, then the revision file."""
    found = (suffixed(d / f"{s}{ext}", suffix) for s in reversed(stems))
    return [p for p in found if p.is_file()]


def soc_stems(stems: list[str]) -> list[str]:
    """Stems of socs/<soc>.conf|.overlay files for a board, most specific first: the SoC and the
    target's qualifiers (`nrf54l15dk/nrf54l15/cpuapp` -> nrf54l15_cpuapp, nrf54l15)."""
    from dfulint import knowledge

    b = knowledge.board(stems[0]) if stems else None
    if b is None or "/" not in b.target:
        return []
    parts = b.target.split("/")[1:]
    return ["_".join(parts[:i]) for i in range(len(parts), 0, -1)]


def _soc_files(d: Path, stems: list[str], ext: str, suffix: Optional[str] = None) -> list[Path]:
    """HWMv2 config dirs (Zephyr 3.7+, NCS 2.7+) take socs/<soc>_<qualifiers> files before boards/."""
    return _board_files(d / "socs", soc_stems(stems), ext, suffix)


def _overlay_discovery(d: Path, stems: list[str], board_dir_name: str = "boards",
                       socs: bool = False, suffix: Optional[str] = None) -> tuple[list[Path], str]:
    """Zephyr's DTC overlay discovery when DTC_OVERLAY_FILE is unset: socs/<soc>.overlay and
    boards/<board>.overlay (with its revision file) together, else <BOARD>.overlay, else app.overlay
    (zephyrproject-rtos/zephyr cmake/modules/configuration_files.cmake: FILE_SUFFIX applies to the
    board and SoC overlays and to app.overlay, not to <BOARD>.overlay)."""
    board = (_soc_files(d, stems, ".overlay", suffix) if socs else []) + \
        _board_files(d / board_dir_name, stems, ".overlay", suffix)
    if board:
        return board, "SoC/board overlay (Zephyr then skips app.overlay)"
    top = _board_files(d, stems, ".overlay")
    if top:
        return top, "<board>.overlay in the config dir"
    app = suffixed(d / "app.overlay", suffix)
    if app.is_file():
        return [app], "app.overlay"
    return [], ""


def app_layers(root: Path, stems: list[str], sdk: tuple, suffix: Optional[str] = None) -> Image:
    """The app image's files; `suffix`: the FILE_SUFFIX in force (Zephyr 3.6+), if any."""
    img = Image("app")
    base = None
    if sdk < (2, 6, 0):
        for s in stems:
            if (root / f"prj_{s}.conf").is_file():
                base = root / f"prj_{s}.conf"
                img.notes.append(f"prj_{s}.conf replaces prj.conf for this board (Zephyr before 3.6)")
                break
    if base is None:
        prj = suffixed(root / "prj.conf", suffix)
        base = prj if prj.is_file() else None
    if base is not None:
        img.conf_layers.append(Layer(base, "base", "application configuration"))
    hwmv2 = sdk >= (2, 7, 0)
    if hwmv2:
        for p in _soc_files(root, stems, ".conf", suffix):
            img.conf_layers.append(Layer(p, "soc", "SoC fragment, appended after prj.conf"))
    for p in _board_files(root / "boards", stems, ".conf", suffix):
        img.conf_layers.append(Layer(p, "board", "board fragment, appended after prj.conf"))
    overlays, why = _overlay_discovery(root, stems, socs=hwmv2, suffix=suffix)
    for p in overlays:
        img.dts_layers.append(Layer(p, "overlay", why))
    mark_suffixed(img, suffix)
    return img


def mark_suffixed(img: Image, suffix: Optional[str]) -> None:
    """Say on each layer that a FILE_SUFFIX variant replaced the plain file."""
    if not suffix:
        return
    end = f"_{suffix}"

    def mark(layers):
        return [x._replace(why=f"{x.why}; the FILE_SUFFIX={suffix} variant") if x.path.stem.endswith(end)
                and "FILE_SUFFIX" not in x.why else x for x in layers]
    img.conf_layers = mark(img.conf_layers)
    img.dts_layers = mark(img.dts_layers)


def mcuboot_layers(root: Path, stems: list[str], build_system: str, lookup=None,
                   suffix: Optional[str] = None) -> Image:
    """MCUboot's inputs. `lookup(rel)` finds a sysbuild input (default: below `root`). `suffix`: the
    FILE_SUFFIX sysbuild passes to the image, applied in its configuration folder (sysbuild/mcuboot/)."""
    img = Image("mcuboot")
    lookup = lookup or (lambda rel: root / rel)
    if build_system == "child_image":
        cdir = root / "child_image" / "mcuboot"
        prj = cdir / "prj.conf"
        boards = _board_files(cdir / "boards", stems, ".conf")
        if prj.is_file():
            img.conf_layers.append(Layer(prj, "base", "replaces MCUboot's own prj.conf"))
            img.replaces_defaults = prj
        elif boards:
            img.replaces_defaults = boards[0]
            img.notes.append("child_image/mcuboot/boards/<board>.conf without child_image/mcuboot/prj.conf "
                             "becomes MCUboot's whole CONF_FILE")
        for p in boards:
            img.conf_layers.append(Layer(p, "board", "MCUboot board fragment (replaces MCUboot's own)"))
        for p in _existing(root, ["child_image/mcuboot.conf"]):
            img.conf_layers.append(Layer(p, "extra", "appended to MCUboot's configuration"))
        for p in _existing(root, ["child_image/mcuboot.overlay"]):
            img.dts_layers.append(Layer(p, "overlay", "MCUboot devicetree overlay"))
        for p in _board_files(cdir / "boards", stems, ".overlay"):
            img.dts_layers.append(Layer(p, "overlay", "MCUboot board overlay"))
    elif build_system == "sysbuild":
        sdir = lookup("sysbuild/mcuboot")
        if sdir.is_dir():
            img.replaces_defaults = sdir
            img.notes.append("sysbuild/mcuboot/ replaces MCUboot's own configuration directory")
            base = suffixed(sdir / "prj.conf", suffix)
            if base.is_file():
                img.conf_layers.append(Layer(base, "base", "MCUboot's prj.conf (sysbuild/mcuboot/ is its config dir)"))
                for p in _soc_files(sdir, stems, ".conf", suffix):
                    img.conf_layers.append(Layer(p, "soc", "MCUboot SoC fragment"))
                for p in _board_files(sdir / "boards", stems, ".conf", suffix):
                    img.conf_layers.append(Layer(p, "board", "MCUboot board fragment"))
        for p in [x for x in [lookup("sysbuild/mcuboot.conf")] if x.is_file()]:
            img.conf_layers.append(Layer(p, "extra", "appended to MCUboot's configuration"))
        ov = lookup("sysbuild/mcuboot.overlay")
        if ov.is_file():
            img.dts_layers.append(Layer(ov, "overlay", "sysbuild/mcuboot.overlay (replaces overlay discovery)"))
        elif sdir.is_dir():
            overlays, why = _overlay_discovery(sdir, stems, socs=True, suffix=suffix)
            for p in overlays:
                img.dts_layers.append(Layer(p, "overlay", "sysbuild/mcuboot/: " + why))
    else:  # plain Zephyr with sysbuild (SB_CONFIG_BOOTLOADER_MCUBOOT): same files as sysbuild
        return mcuboot_layers(root, stems, "sysbuild", lookup, suffix)
    mark_suffixed(img, suffix)
    return img


def synthetic(name: str, value: str, span: Span, prefix: str = "CONFIG_") -> Assignment:
    """An assignment the build makes on the user's behalf (sysbuild forcing, parent injection)."""
    return Assignment(name, value, span, span, prefix)


def load_fragments(img: Image) -> None:
    img.fragments = [parse_fragment(layer.path) for layer in img.conf_layers]


def apply_cmake(img: Image, root: Path, stems: list[str], cm) -> None:
    """The files an app's CMakeLists.txt names (sources/cmake.py), layered as Zephyr's
    configuration_files.cmake and kconfig.cmake layer them: CONF_FILE replaces prj.conf and the
    board fragments (a single `prj_<type>.conf` brings `boards/<board>_<type>.conf`), OVERLAY_CONFIG
    and EXTRA_CONF_FILE are appended, DTC_OVERLAY_FILE replaces the overlay discovery and
    EXTRA_DTC_OVERLAY_FILE is appended. Relative names are relative to the app folder. Settings
    dfulint cannot evaluate are said in the image's notes, never applied."""
    import re

    from dfulint import files

    if cm is None:
        return

    def where(line: int) -> str:
        return f"CMakeLists.txt:{line}"

    def existing(var: str) -> list:
        out = []
        for value, line in cm.get(var) or ():
            p = Path(value)
            p = p if p.is_absolute() else root / p
            why = files.check(p)
            if why is None:
                out.append((p, line))
            elif why.kind == "outside-project":
                img.notes.append(f"{where(line)} names {value} in {var}, which is outside the project: not read, "
                                 "so what it sets is not checked (low confidence)")
            elif why.kind == "unreadable" and not os.path.lexists(p):
                img.notes.append(f"{where(line)} names {value} in {var}, which does not exist: the build stops there")
            else:
                img.notes.append(f"{where(line)} names {value} in {var}: {why.message}; not read (low confidence)")
        return out

    conf = cm.get("CONF_FILE")
    if conf is not None:
        named = existing("CONF_FILE")
        layers = [Layer(p, "base", f"CONF_FILE set in {where(line)} (replaces prj.conf and the board fragments)")
                  for p, line in named]
        m = re.fullmatch(r"prj_(.+)\.conf", Path(conf[0][0]).name) if len(conf) == 1 else None
        if m:
            for p in _board_files(root / "boards", [f"{s}_{m.group(1)}" for s in stems], ".conf"):
                layers.append(Layer(p, "board", f"board fragment of build type {m.group(1)} "
                                                f"(CONF_FILE {Path(conf[0][0]).name}, {where(conf[0][1])})"))
        img.conf_layers = layers + [x for x in img.conf_layers if x.role not in ("base", "soc", "board")]
        img.notes = [n for n in img.notes if not n.startswith("prj_")]
    for var in ("OVERLAY_CONFIG", "EXTRA_CONF_FILE"):
        for p, line in existing(var):
            img.conf_layers.append(Layer(p, "extra", f"{var} set in {where(line)}"))
    if cm.get("DTC_OVERLAY_FILE") is not None:
        img.dts_layers = [Layer(p, "overlay", f"DTC_OVERLAY_FILE set in {where(line)} (replaces the board "
                                              f"overlay and app.overlay)") for p, line in existing("DTC_OVERLAY_FILE")]
    for p, line in existing("EXTRA_DTC_OVERLAY_FILE"):
        img.dts_layers.append(Layer(p, "overlay", f"EXTRA_DTC_OVERLAY_FILE set in {where(line)}"))
    for s in cm.settings:
        if s.op == "include":
            img.notes.append(f"{where(s.line)}: include({s.items[0]}) runs before find_package(Zephyr): "
                             f"{s.why} (low confidence: the build may read more or other files)")
            continue
        if s.var == "FILE_SUFFIX" or s.status not in ("unknown", "late"):
            continue
        cmd = "set(" if s.op == "set" else "list(APPEND "
        what = f"{cmd}{s.var} {' '.join(s.items) or '...'})"
        if s.status == "late":
            img.notes.append(f"{where(s.line)}: {what} comes after find_package(Zephyr), when the build has "
                             "already read its files: it has no effect")
        else:
            img.notes.append(f"{where(s.line)}: {what} is {s.why}: not read (low confidence: the build may "
                             f"read more or other files)")
