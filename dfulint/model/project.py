"""Assemble, for one app and one board, the project as the build will see it: images with
layered configuration and devicetree, the flash map, and MCUboot's view of its slots."""
from __future__ import annotations

import re
from pathlib import Path

from dfulint import knowledge
from dfulint.core import Span
from dfulint.model import images as img_mod
from dfulint.model import modes
from dfulint.model.flash import FlashDevice, FlashMap, Partition
from dfulint.model.images import Image, synthetic
from dfulint.records import NamedTuple
from dfulint.sources import Problem
from dfulint.sources.pm import PmFile, parse_pm
from dfulint.workspace import App

TYPE_CHECKING = False      # (typing.TYPE_CHECKING without importing typing)
if TYPE_CHECKING:       # the record types of Target's fields (imported only by type checkers)
    from typing import Mapping, Optional

    from dfulint.knowledge import Board, Soc
    from dfulint.model.chain import ChainFacts
    from dfulint.model.devicetree import MergedNode
    from dfulint.model.dfu import DfuFacts
    from dfulint.model.extflash import DriverState
    from dfulint.model.mcuboot import BootParams, SlotAnalysis
    from dfulint.model.paths import PathFacts
    from dfulint.model.release import ReleaseFacts
    from dfulint.release import Against
    from dfulint.sources.dts import DtsProperty


_NO_FACTS: Mapping = {}          # the shared empty mapping of a fact a target does not have
_NO_FLASH = FlashMap()


class ExtFlash(NamedTuple):
    """The external flash an image's devicetree chooses for Partition Manager."""

    node: Optional[MergedNode]   # None when the chosen label is undefined
    prop: DtsProperty            # the chosen property
    compatible: str
    size_bytes: Optional[int]
    page_size: int               # the image's driver layout page
    page_source: str
    page_known: bool = True      # False when the driver's page option has no value in this image


class Target(NamedTuple):
    """One board target of an app: its images, flash map, MCUboot analysis and facts.

    Immutable: the model stage builds it stage by stage (`build_target`), each stage a new record
    (`_replace`) made from the one before; checks and reports only read it. Two targets are equal
    only when they are the same object (a tuple would compare every image), and a target hashes by
    identity. The empty mappings of a target that has no such fact are shared: nothing changes them."""
    app: App
    board: Optional[str]
    board_info: Optional[Board]
    soc: Optional[Soc]
    soc_source: str
    stems: tuple[str, ...]
    # the NCS versions whose Kconfig the catalogue uses (plain Zephyr mapped onto NCS): the range the
    # project may be on, the one version assumed, and the version its Kconfig is evaluated at
    kconfig_range: tuple[tuple[int, int, int], tuple[int, int, int]] = ((0, 0, 0), (0, 0, 0))
    kconfig_version: tuple[int, int, int] = (0, 0, 0)
    eval_version: tuple[int, int, int] = (0, 0, 0)
    # configuration/<board>/ folders of NCS applications built with -DAPPLICATION_CONFIG_DIR: the
    # board's prj.conf and overlays live there, not in the app folder
    config_dirs: tuple[Path, ...] = ()
    # -- configuration
    images: Mapping[str, Image] = _NO_FACTS
    sysbuild: Optional[Image] = None
    pm_disabled: bool = False                # sysbuild turns Partition Manager off (SB_CONFIG_PARTITION_MANAGER=n)
    mcuboot_enabled: bool = False
    mcuboot_enabled_source: str = ""
    problems: tuple[Problem, ...] = ()
    # -- facts
    ext: Mapping[str, Optional[ExtFlash]] = _NO_FACTS     # per image
    mode: Optional[str] = None               # MCUboot's upgrade mode as MCUboot is built
    mode_source: str = ""
    app_mode: Optional[str] = None           # the mode the application is told about
    pm_static: Optional[PmFile] = None
    # pm_static files meant for this build that it does not read (another board's are not listed)
    pm_static_unused: tuple[tuple[Path, str], ...] = ()
    flash: FlashMap = _NO_FLASH
    slots: Mapping[str, Partition] = _NO_FACTS
    boot_params: Optional[BootParams] = None
    boot: Optional[SlotAnalysis] = None
    # (value, source) of the BOOT_MAX_IMG_SECTORS MCUboot's own SoC fragment gives this SoC, when the
    # project replaces MCUboot's configuration (and with it that fragment) and the slots need more
    # sectors than MCUboot's default
    mcuboot_soc_sectors: Optional[tuple[int, str]] = None
    dfu: Optional[DfuFacts] = None           # transports, keys, where MCUboot is switched on
    # (image, driver symbol) -> whether the image builds that NOR driver
    drivers: Mapping[tuple[str, str], DriverState] = _NO_FACTS
    chain: Optional[ChainFacts] = None       # boot stages, lifecycle, recovery
    # assignments valid at the low end of a guessed SDK range that a later release in the range
    # renamed or removed: (image, assignment, status, detail, first release without it)
    symbols_gone_later: tuple = ()
    # (image, symbol) -> (status, detail) over the project's version range for every symbol an image's
    # fragments assign: "ok", "renamed", "removed", "not-yet", "other-image", "unknown" (model.kconfig.status_over)
    symbol_status: Mapping[tuple[str, str], tuple] = _NO_FACTS
    files: Optional[AppFiles] = None         # every configuration file of the app, parsed once
    paths: Optional[PathFacts] = None        # the files checks name, probed once
    # -- taken by the engine after the model stage (each a new record)
    against: Optional[Against] = None        # with --against: the shipped release's facts
    release_facts: Optional[ReleaseFacts] = None   # taken before the images are dropped

    @property
    def sdk(self):
        return self.app.sdk

    def ncs_of(self, v):
        """The NCS version whose Kconfig applies to SDK version `v` (plain Zephyr mapped onto NCS)."""
        if self.app.framework == "zephyr":
            from dfulint.model.kconfig import ncs_for_zephyr
            return ncs_for_zephyr(v) or (3, 2, 0)
        return v

    @property
    def build_system(self) -> str:
        return self.app.build_system

    @property
    def uses_pm(self) -> bool:
        return self.app.framework == "ncs" and not self.pm_disabled and \
            (self.soc is None or getattr(self.soc, "pm_supported", True))

    __eq__ = object.__eq__
    __ne__ = object.__ne__
    __hash__ = object.__hash__

    def image(self, name: str) -> Optional[Image]:
        return self.images.get(name)

    def kconfig_defined(self, image: str):
        """The Kconfig symbols the west workspace defines for an image (dfulint.west.Symbols), or
        None without a workspace that tells."""
        if getattr(self.app, "west_root", None) is None:
            return None
        from dfulint.model.query import paths
        return paths(self).defined.get(image)


def is_sysbuild_conf(name: str) -> bool:
    """A sysbuild fragment's file name: `sysbuild.conf`, `sysbuild_<suffix>.conf`, `<x>.sysbuild.conf`,
    `<x>-sysbuild-<y>.conf`, ... (`sysbuild` between the start or `.`/`_`/`-` and the end or `_`/`-`)."""
    if name.endswith("\n"):
        name = name[:-1]         # (as a regular expression's `$` would)
    if not name.endswith(".conf") or "\n" in name:
        return False
    stem = name[:-len(".conf")]
    at = stem.find("sysbuild")
    while at >= 0:
        before, after = stem[:at], stem[at + len("sysbuild"):]
        if (not before or before[-1] in "._-") and (not after or after[0] in "_-"):
            return True
        at = stem.find("sysbuild", at + 1)
    return False


class AppFiles(NamedTuple):
    """Every configuration file of an app, parsed once and shared by all its board targets
    (input-error and hygiene rules look at files whether or not this board's build reads them)."""

    fragments: tuple = ()           # sources.kconf.Fragment
    dts: tuple = ()                 # sources.dts.DtsFile
    pm: tuple = ()                  # sources.pm.PmFile


def parse_app_files(app: App) -> AppFiles:
    from dfulint.sources.dts import parse_dts
    from dfulint.sources.kconf import parse_fragment

    fragments, dts, pm = [], [], []
    roots = [app.root, _repo_root(app.root)]
    for p in app.files:
        name = p.name
        if name.endswith(".conf"):
            fragments.append(parse_fragment(p, "SB_CONFIG_" if is_sysbuild_conf(name) else "CONFIG_"))
        elif name.endswith((".overlay", ".dts", ".dtsi")):
            dts.append(parse_dts(p, allowed_roots=roots))
        elif name.startswith("pm_static") and name.endswith((".yml", ".yaml")):
            pm.append(parse_pm(p))
    return AppFiles(tuple(fragments), tuple(dts), tuple(pm))


# ------------------------------------------------------------------ configuration

def _sysbuild_forcing(t: Target) -> None:
    """Settings sysbuild writes into each image's .config.sysbuild (loaded last)."""
    sb = t.sysbuild.config
    sb_path = t.app.sysbuild_path("sysbuild.conf")

    def where(sym: str) -> Span:
        v = sb.get(sym)
        if v.assignments:
            return v.assignments[-1].span
        return Span(sb_path, 1, 1)

    app, mcu = t.images["app"], t.images.get("mcuboot")
    boot = sb.enabled("BOOTLOADER_MCUBOOT")
    app.forced.append(synthetic("BOOTLOADER_MCUBOOT", "y" if boot else "n", where("BOOTLOADER_MCUBOOT")))
    if t.app.framework == "ncs":
        # (the app's and the board's Kconfig.sysbuild defaults are already in sb: model/sysbuild.py)
        def sb_bool(sym: str) -> tuple[bool, Span]:
            return sb.enabled(sym), where(sym)

        ext, ext_at = sb_bool("PM_EXTERNAL_FLASH_MCUBOOT_SECONDARY")
        # NRF:sysbuild/image_configurations: only forced while sysbuild runs the Partition Manager
        pm_off = sb.get("PARTITION_MANAGER").value == "n"
        for image in (app, mcu):
            if image is not None and boot and not pm_off:
                image.forced.append(synthetic("PM_EXTERNAL_FLASH_MCUBOOT_SECONDARY", "y" if ext else "n", ext_at))
        # NRF:sysbuild/CMakeLists.txt@804b0d189e L482-488: the override goes into MCUboot (an appended
        # fragment) and is forced into the app unless MCUboot runs single-app; never forced to n
        ovr, ovr_at = sb_bool("PM_OVERRIDE_EXTERNAL_DRIVER_CHECK")
        if boot and ovr:
            if mcu is not None:
                mcu.forced.append(synthetic("PM_OVERRIDE_EXTERNAL_DRIVER_CHECK", "y", ovr_at))
            if not sb.enabled("MCUBOOT_MODE_SINGLE_APP"):
                app.forced.append(synthetic("PM_OVERRIDE_EXTERNAL_DRIVER_CHECK", "y", ovr_at))
    if not boot:
        return
    for sym, (app_sym, mcu_syms, _mode) in modes.sysbuild_symbols().items():
        if sb.enabled(sym):
            app.forced.append(synthetic("MCUBOOT_BOOTLOADER_MODE_" + app_sym, "y", where(sym)))
            if mcu is not None:
                for s in mcu_syms:
                    mcu.forced.append(synthetic(s, "y", where(sym)))
            break
    key = sb.str("BOOT_SIGNATURE_KEY_FILE")
    if key is not None:
        app.forced.append(synthetic("MCUBOOT_SIGNATURE_KEY_FILE", f'"{key}"', where("BOOT_SIGNATURE_KEY_FILE")))
        if mcu is not None:
            mcu.forced.append(synthetic("BOOT_SIGNATURE_KEY_FILE", f'"{key}"', where("BOOT_SIGNATURE_KEY_FILE")))
    if mcu is not None:
        for typ in ("NONE", "RSA", "ECDSA_P256", "ED25519"):
            if sb.enabled("BOOT_SIGNATURE_TYPE_" + typ):
                mcu.forced.append(synthetic("BOOT_SIGNATURE_TYPE_" + typ, "y", where("BOOT_SIGNATURE_TYPE_" + typ)))


def _evaluate(t: Target, image: Image, facts: dict) -> None:
    """The image's Kconfig; a custom board's Kconfig.defconfig defaults go first (model/board_defaults.py)."""
    from dfulint.model import board_defaults
    from dfulint.model.kconfig import evaluate

    family = getattr(t.soc, "family", None)
    image.config = evaluate(image.fragments, image.name, t.eval_version, family, image.forced, facts)
    board = (getattr(image, "board", None) or t.board) if image.name == "mcuboot" else t.board
    path = board_defaults.defconfig_path(t.app, board)
    if path is None:
        return
    seen, notes, frag = None, [], None
    for _ in range(3):       # a default may depend on a value another default gives
        frag, notes = board_defaults.defaults_fragment(t, image, path, image.config)
        key = tuple((a.symbol, a.raw) for a in frag.assignments) if frag is not None else ()
        if key == seen:
            break
        seen = key
        image.config = evaluate(([frag] if frag is not None else []) + list(image.fragments), image.name,
                                t.eval_version, family, image.forced, facts)
    given = ", ".join(f"CONFIG_{a.symbol}={a.raw} (line {a.span.line})" for a in (frag.assignments if frag else []))
    image.notes.append(f"{t.app.rel(path)}: the custom board's Kconfig defaults (read before every fragment"
                       + (f"): {given}" if given else "): none for a DFU setting this image uses"))
    image.notes.extend(notes)


def _devicetree(t: Target, image: Image) -> list[Problem]:
    """Merge the image's devicetree (into `image.dt`); the problems of a build directory's one."""
    from dfulint.model.devicetree import build_tree
    from dfulint.sources.dts import parse_dts

    roots = [t.app.root]
    if t.app.west_root:
        roots.append(t.app.west_root)
    repo = _repo_root(t.app.root)
    if repo not in roots:
        roots.append(repo)
    files = []
    # the board this image is built for: MCUboot of a non-secure target is built for the secure one
    bname = t.board or ""
    stems = t.stems
    if image.name == "mcuboot" and getattr(image, "board", None) and image.board != t.board:
        bname = image.board.split("@", 1)[0]
        stems = _era_stems(t.app, image.board)
    board_dts = t.app.custom_boards.get(bname) or (t.app.custom_boards.get(t.board or "")
                                                    if bname not in t.app.custom_boards else None)
    if board_dts is not None:
        files.append(parse_dts(board_dts, allowed_roots=roots))
        # the board's own revision overlay (`<target>_<revision>.overlay` beside its DTS), which
        # Zephyr applies for the revision being built (the board's default revision)
        for stem in stems:
            if stem != board_dts.stem and stem.startswith(board_dts.stem + "_") and \
                    (board_dts.parent / f"{stem}.overlay").is_file():
                files.append(parse_dts(board_dts.parent / f"{stem}.overlay", allowed_roots=roots))
                break
    for layer in image.dts_layers:
        files.append(parse_dts(layer.path, allowed_roots=roots))
    image.dts_files = files
    binfo = t.board_info
    if image.name == "mcuboot" and getattr(image, "board", None) and image.board != t.board:
        binfo = knowledge.board(image.board) or binfo
    base = getattr(binfo, "nodes", ()) if binfo is not None else ()
    if base and t.app.framework == "zephyr":
        # plain Zephyr: the board's own fixed-partitions, so that an overlay editing one partition
        # is checked against the others (dfulint/knowledge/boot_chain.yaml)
        from dfulint.model.chain import board_partition_nodes
        base = tuple(base) + board_partition_nodes(t, binfo)
    final, problems = _build_dts(t, image)
    if final is not None:
        # a build directory's zephyr.dts is the merged devicetree itself: a fact, not a prediction
        image.dt = final
        image.dt.evidence = "build"
        return problems
    ws_dts = _workspace_board_dts(t, image) if board_dts is None else None
    if ws_dts is not None:
        # the workspace's own board DTS replaces the bundled board nodes; it is not one of the
        # app's files, so its reading problems are not reported against the app
        image.dt = build_tree([ws_dts] + files, ())
        image.dt.evidence = "workspace"
        return problems
    image.dt = build_tree(files, base)
    _board_chosen(image.dt, binfo)
    return problems


def build_config(t: Target, image_name: str) -> tuple[Optional[dict], list[Problem]]:
    """The final Kconfig of an image from the build directory (`<image>/zephyr/.config`), as
    name -> (raw value, Span), None when there is no build directory or no such file; and the
    problems of reading it."""
    bd = t.app.build_dir
    if bd is None:
        return None, []
    if image_name == "mcuboot":
        cands = [bd / "mcuboot" / "zephyr" / ".config"]
    else:
        cands = [bd / t.app.root.name / "zephyr" / ".config", bd / "zephyr" / ".config"]
    from dfulint.sources.kconf import parse_fragment

    for path in cands:
        if path.is_file():
            frag = parse_fragment(path)
            return ({a.name: (a.value_without_comment, a.span) for a in frag.assignments},
                    [p for p in frag.problems if p.kind != "malformed-line"])
    return None, []


def _build_dts(t: Target, image: Image) -> tuple:
    """The final devicetree of this image from the build directory, if there is one, and the
    problem of reading it."""
    bd = t.app.build_dir
    if bd is None:
        return None, []
    if image.name == "mcuboot":
        cands = [bd / "mcuboot" / "zephyr" / "zephyr.dts"]
    else:   # sysbuild names the app's build folder after the app; child images build it at the top
        cands = [bd / t.app.root.name / "zephyr" / "zephyr.dts", bd / "zephyr" / "zephyr.dts"]
    from dfulint.model.devicetree import DeviceTree, parse_final_dts

    for path in cands:
        if path.is_file():
            tree = parse_final_dts(path)
            if isinstance(tree, DeviceTree):
                return tree, []
            return None, [tree]
    return None, []


def _workspace_board_dts(t: Target, image: Image):
    """The board DTS of this image's board in the west workspace, parsed with its include
    folders, or None when there is no workspace or it does not have the board."""
    if not t.app.west_root:
        return None
    from dfulint import west
    from dfulint.sources.dts import parse_dts

    board = getattr(image, "board", None) if image.name == "mcuboot" else None
    path = west.board_dts(t.app.west_root, board or t.board)
    if path is None:
        return None
    return parse_dts(path, include_dirs=west.dts_include_dirs(t.app.west_root),
                     allowed_roots=[t.app.west_root])


def _board_chosen(dt, binfo) -> None:
    """A chosen external flash the board's own devicetree sets (e.g. Thingy:91 X), unless a file set it."""
    from dfulint.model.devicetree import KNOWLEDGE_PATH
    from dfulint.sources.dts import DtsProperty, DtsValue

    label = (getattr(binfo, "chosen", None) or {}).get("nordic,pm-ext-flash") if binfo is not None else None
    if not label or dt.chosen("nordic,pm-ext-flash") is not None:
        return
    chosen = dt.node("/chosen")
    if chosen is not None and any(n == "nordic,pm-ext-flash" for n, _ in chosen.deleted_props):
        return
    span = Span(KNOWLEDGE_PATH, 0, 0)
    prop = DtsProperty("nordic,pm-ext-flash", [DtsValue("ref", f"&{label}", [label], span)], span, span)
    dt.set_property("/chosen", prop)


def _dt_facts(dt) -> dict:
    """What Kconfig defaults read from an image's devicetree."""
    ch = dt.chosen("nordic,pm-ext-flash")
    # a flash node known only by a &label reference (defined in a board file dfulint does not have):
    # what it is cannot be told, so Kconfig facts that depend on it stay unknown
    blind = any(not n.known for n in dt.nodes())

    def has(compat):
        if any(n.okay() and dt.enabled_path(n) for n in dt.by_compatible(compat)):
            return True
        return None if blind else False
    return {
        "dt_chosen_pm_ext_flash": ch is not None,
        "dt_has_qspi_nor": has("nordic,qspi-nor"),
        "dt_has_spi_nor": has("jedec,spi-nor"),
        "has_scratch_partition": dt.node("scratch_partition") is not None,
    }


def _secure_board(board: Optional[str]) -> Optional[str]:
    """MCUboot runs in the secure world: an NS target's bootloader is built for the secure board."""
    if not board:
        return board
    b = knowledge.board(board)
    name = b.name if b is not None else board
    rev = getattr(b, "revision", "") if b is not None else ""
    if b is None and "@" in name:
        name, _, rev = name.partition("@")
    if name.endswith("_ns"):
        name = name[:-3]
    elif "/ns" in name:
        name = name.replace("/ns", "")
    return f"{name}@{rev}" if rev else name     # the board revision (its extra nodes) stays


def _era_stems(app: App, board: Optional[str]) -> list[str]:
    """File stems of a board in the naming of the app's SDK era (MCUboot's board, say)."""
    if not board:
        return []
    if app.context is not None and app.context.board(board) is not None:
        return list(app.context.board(board).stems)
    from dfulint.context import naming
    stems = naming.board_stems(board, app.context.era if app.context is not None else naming.EITHER)
    return stems if board.split("@")[0] in stems or "@" in board else stems + [board]


def _repo_root(root: Path) -> Path:
    """The app's repository (or manifest repository, or west workspace); the app folder without
    one. Never `/` or the home folder (dfulint.files.project_roots)."""
    from dfulint import files
    return files.repository_of(root) or files.workspace_of(root) or root


# ------------------------------------------------------------------ external flash

def _ext_flash(t: Target, image: Image) -> Optional[ExtFlash]:
    dt = image.dt
    if dt is None:
        return None
    ch = dt.chosen("nordic,pm-ext-flash")
    if ch is None:
        return None
    node, prop = ch
    compat = ""
    size = None
    if node is not None:
        comps = node.compatibles()
        compat = comps[0] if comps else ""
        sp = node.props.get("size")
        bits = sp.as_int() if sp is not None else None
        size = bits // 8 if bits else None
    cfg = image.config
    sym = "NORDIC_QSPI_NOR_FLASH_LAYOUT_PAGE_SIZE" if compat == "nordic,qspi-nor" else "SPI_NOR_FLASH_LAYOUT_PAGE_SIZE"
    page = cfg.int(sym) if cfg else None
    v = cfg.get(sym) if cfg else None
    src = _value_source(v, sym, image.name, t.app)
    known = page is not None
    board_value = _mcuboot_board_default(t, image, sym)
    if board_value is not None:
        page, src, known = board_value, f"CONFIG_{sym}={board_value} (MCUboot's own board configuration)", True
    page = page or (4096 if compat == "nordic,qspi-nor" else 65536)
    return ExtFlash(node, prop, compat, size, page, src, known)


def _mcuboot_board_default(t: Target, image: Image, sym: str) -> Optional[int]:
    """A value MCUboot's own boards/<board>.conf sets, when the project leaves it to MCUboot."""
    if image is None or image.name != "mcuboot" or image.replaces_defaults is not None or image.config is None:
        return None
    if image.config.get(sym).origin not in ("default", "unset"):
        return None
    bname = getattr(image, "board", None) or t.board or ""
    stems = _era_stems(t.app, bname)
    low, high = t.sdk.range
    value, _src, certain = knowledge.mcuboot_board_value(stems + [bname], sym, low, high)
    # when the version is a guess, MCUboot's own board value is assumed (it avoids false alarms)
    return value if isinstance(value, int) else None


def _value_source(v, sym: str, image: str, app: Optional[App] = None) -> str:
    if v is None:
        return f"CONFIG_{sym} default ({image})"
    if v.assignments and v.origin in ("fragment", "forced"):
        a = v.assignments[-1]
        where = app.rel(a.span.path) if app else a.span.path.name
        return f"CONFIG_{sym}={a.value_without_comment} ({where}:{a.span.line}, {image})"
    return f"CONFIG_{sym} default {v.value} ({image})"


# ------------------------------------------------------------------ flash map

_PM_STATIC_SET = r'^[ \t]*set[ \t]*\(\s*PM_STATIC_YML_FILE\s+"?([^")\s]+)"?'     # re.M | re.I


def _cmake_pm_static(t: Target) -> Optional[Path]:
    """The layout file an app's CMakeLists.txt names itself with set(PM_STATIC_YML_FILE ...), as NCS's
    Matter samples of NCS 2.x do (`configuration/${BOARD}/pm_static_dfu.yml`); the build uses it
    instead of the conventional pm_static names."""
    from dfulint import files
    from dfulint.sources import read_text

    text = read_text(t.app.root / "CMakeLists.txt").text or ""
    sets = list(re.finditer(_PM_STATIC_SET, text, re.M | re.I)) if "_yml_f" in text.lower() else []
    if len({m.group(1) for m in sets}) != 1:
        return None         # none, or one per build variant (if/else on a Kconfig option): not known which
    for m in sets[:1]:
        for stem in (t.stems or [t.board or ""]):
            v = m.group(1)
            for var in ("${CMAKE_CURRENT_SOURCE_DIR}", "${CMAKE_CURRENT_LIST_DIR}", "${APPLICATION_SOURCE_DIR}"):
                v = v.replace(var, str(t.app.root))
            v = v.replace("${BOARD}", stem).replace("${NORMALIZED_BOARD_TARGET}", stem)
            if "$" in v or not v:
                break
            p = Path(v) if Path(v).is_absolute() else t.app.root / v
            if files.is_file(p):
                return p
    return None


def _pm_static_for(t: Target) -> tuple[Optional[Path], list[tuple[Path, str]]]:
    root = t.app.root
    present = sorted(p for p in root.glob("pm_static*.y*ml") if p.is_file())
    chosen = _cmake_pm_static(t)
    if t.sdk.version < (1, 8, 0):
        cands = [root / "pm_static.yml"]
    else:
        cands = [root / f"pm_static_{s}.yml" for s in t.stems] + [root / "pm_static.yml"]
        board_dts = t.app.custom_boards.get(t.board or "")
        if board_dts is not None:
            cands += [board_dts.parent / f"pm_static_{s}.yml" for s in t.stems] + [board_dts.parent / "pm_static.yml"]
    for c in cands:
        if chosen is None and c.is_file():
            chosen = c
            break
    # the layouts meant for this build that it does not read: pm_static.yml beside the board's own
    # file, and before NCS 1.8 (no board-specific names yet) every other pm_static file (another
    # board's pm_static_<board>.yml is that board's, not unused)
    unused = [(p, f"not the file NCS {t.sdk} picks for {t.board or 'this board'}") for p in present
              if p != chosen and (p.stem == "pm_static" or t.sdk.version < (1, 8, 0))]
    return chosen, unused


def _internal_device(t: Target) -> Optional[FlashDevice]:
    soc = t.soc
    if soc is None:
        return None
    size, source = soc.app_flash_size, f"{soc.name} ({soc.source})"
    written = _dt_flash_size(t)
    if written is not None:
        size, source = written
    return FlashDevice("flash_primary", soc.flash_base, size, soc.page_size, soc.write_block,
                       node="flash0", compatible="soc-nv-flash", source=source)


def _dt_flash_size(t: Target) -> Optional[tuple[int, str]]:
    """The zephyr,flash node's size when the app's own devicetree files set its `reg`
    (e.g. nRF54L15 projects reclaiming the FLPR core's RRAM with `&cpuapp_rram { reg = ... }`)."""
    app = t.images.get("app")
    dt = getattr(app, "dt", None)
    if dt is None:
        return None
    label = (getattr(t.board_info, "chosen", None) or {}).get("zephyr,flash")
    node = None
    ch = dt.chosen("zephyr,flash")
    if ch is not None:
        node = ch[0]
    if node is None and label:
        node = dt.node(label)
    reg = node.props.get("reg") if node is not None else None
    if reg is None or reg.span is None or str(reg.span.path).startswith("<"):
        return None
    cells = reg.as_ints()
    if len(cells) != 2 or not isinstance(cells[1], int) or cells[1] <= 0:
        return None
    return cells[1], f"zephyr,flash reg in {t.app.rel(reg.span.path)}:{reg.span.line}"


def _sized(cfg, sym: str, default: int, image: str):
    from dfulint.model.placement import Sized

    v = cfg.get(sym) if cfg is not None else None
    val = cfg.int(sym) if cfg is not None else None
    if val is None:
        return Sized(default, f"default 0x{default:x}")
    span = v.assignments[-1].span if v is not None and v.assignments and v.origin in ("fragment", "forced") else None
    src = (f"CONFIG_{sym}=0x{val:x} ({span.path.name}:{span.line}, {image} image)" if span
           else f"CONFIG_{sym} default 0x{val:x} ({image} image)")
    return Sized(val, src, span)


def _settings_on(cfg) -> bool:
    if cfg is None:
        return False
    if any(cfg.enabled(s) for s in ("SETTINGS_NVS", "SETTINGS_FCB", "SETTINGS_ZMS")):
        return True
    return cfg.enabled("SETTINGS") and any(cfg.enabled(s) for s in ("NVS", "ZMS", "FCB"))


class FlashFacts(NamedTuple):
    """The flash stage's output: the layout, the pm_static file it pins, the ones it ignores."""

    flash: FlashMap
    pm_static: Optional[PmFile] = None
    pm_static_unused: tuple = ()
    problems: tuple = ()


def _flash_map(t: Target) -> FlashFacts:
    dev = _internal_device(t)
    if t.app.framework != "ncs" or t.pm_disabled:
        return FlashFacts(_dts_flash_map(t, dev))
    build_problems: tuple = ()
    if t.app.build_dir is not None:
        bm, build_problems = _build_flash_map(t, dev)
        if bm is not None:
            return FlashFacts(bm, problems=build_problems)
    path, unused = _pm_static_for(t)
    unused = tuple(unused)
    static = {}
    pm_static = None
    if path is not None:
        pm_static = parse_pm(path)
        static = pm_static.partitions
    if dev is None or not t.uses_pm:
        fm = FlashMap(origin="pm_static" if static else "none")
        if static:
            for name, p in static.items():
                addr, size = p.int("address"), p.int("size")
                if addr is None or size is None:
                    continue
                fm.partitions.append(Partition(name, addr, size, p.str("region") or "flash_primary",
                                               p.names("span"), True, f"{path.name}:{p.span.line}", p.span,
                                               p.at("size"), p.at("address")))
        return FlashFacts(fm, pm_static, unused, build_problems)
    from dfulint.model.placement import PlacementInput, place

    mcu = t.images.get("mcuboot")
    mcfg = mcu.config if mcu is not None else None
    acfg = t.images["app"].config
    ext = t.ext.get("mcuboot") or t.ext.get("app")
    ext_secondary = bool(mcfg is not None and mcfg.enabled("PM_EXTERNAL_FLASH_MCUBOOT_SECONDARY"))
    inp = PlacementInput(
        flash_base=dev.base, flash_size=dev.size, page_size=dev.page_size,
        fprotect_block=t.soc.fprotect_block, soc_family=t.soc.family, ncs_version=t.sdk.version,
        static=static, static_path=path, mcuboot=t.mcuboot_enabled,
        mcuboot_size=_sized(mcfg, "PM_PARTITION_SIZE_MCUBOOT", 0xC000, "mcuboot"),
        pad_size=_sized(mcfg, "PM_PARTITION_SIZE_MCUBOOT_PAD", t.soc.mcuboot_pad, "mcuboot"),
        mode=t.mode or "swap-move",
        scratch_size=_sized(mcfg, "PM_PARTITION_SIZE_MCUBOOT_SCRATCH", 0x1E000, "mcuboot"),
        settings_size=_sized(acfg, "PM_PARTITION_SIZE_SETTINGS_STORAGE", 0x2000, "app") if _settings_on(acfg) else None,
        ext_secondary=ext_secondary,
        ext_flash_size=ext.size_bytes if ext else None,
        ext_page_size=ext.page_size if ext else 4096,
        extra_dynamic=_netcore_slots(t, mcu, ext_secondary),
    )
    fm = place(inp)
    # the devices as MCUboot's driver sees them
    fm.devices.setdefault("flash_primary", dev)
    fm.devices["flash_primary"] = dev
    if "external_flash" in fm.devices or any(p.region == "external_flash" for p in fm.partitions):
        xd = fm.devices.get("external_flash")
        size = ext.size_bytes if ext and ext.size_bytes else (xd.size if xd else 0)
        fm.devices["external_flash"] = FlashDevice(
            "external_flash", 0, size, ext.page_size if ext else 65536, 1,
            node=(getattr(ext.node, "path", "") if ext and ext.node else ""),
            compatible=ext.compatible if ext else "",
            source=(ext.page_source if ext else "no nordic,pm-ext-flash chosen node"),
            span=(ext.node.props["size"].span if ext and ext.node and "size" in ext.node.props else None))
    return FlashFacts(fm, pm_static, unused, build_problems)


def _netcore_slots(t: Target, mcu, ext_secondary: bool) -> list:
    """MCUboot's pm.yml adds mcuboot_secondary_1 (the nRF5340 network core's update slot) when
    CONFIG_NRF53_MULTI_IMAGE_UPDATE is on; it takes flash from the application slots. Also taken
    as on when MCUboot's own fragments ask for two images with PCD (board-level sysbuild defaults
    that turn on the network-core update are not modelled)."""
    if t.soc is None or t.soc.name != "nrf5340_cpuapp" or mcu is None or mcu.config is None or not t.mcuboot_enabled:
        return []
    cfg = mcu.config
    multi = cfg.enabled("NRF53_MULTI_IMAGE_UPDATE")
    sb = t.sysbuild.config if t.sysbuild is not None else None
    if not multi and sb is not None:
        multi = sb.enabled("MCUBOOT_NRF53_MULTI_IMAGE_UPDATE") or sb.enabled("NETCORE_APP_UPDATE")
    if not multi and cfg.enabled("PCD_APP"):
        own = set(mcu.conf_paths)
        for a in cfg.get("UPDATEABLE_IMAGE_NUMBER").assignments:
            if a.span.path in own and a.value_without_comment.strip().isdigit() and int(a.value_without_comment) > 1:
                multi = True
    if not multi:
        return []
    size = _sized(cfg, "NRF53_RAM_FLASH_SIZE", 0x40000, "mcuboot")
    if ext_secondary:
        return [{"name": "mcuboot_secondary_1", "size": size, "region": "external_flash"}]
    return [{"name": "mcuboot_secondary_1", "size": size,
             "placement": {"after": ["mcuboot_secondary"], "align": {"start": t.soc.fprotect_block}}}]


def _build_flash_map(t: Target, dev) -> tuple[Optional[FlashMap], tuple]:
    """The layout of the build directory's partitions.yml, and the problems of reading it."""
    path = t.app.build_dir / "partitions.yml"
    if not path.is_file():
        return None, ()
    pm = parse_pm(path)
    fm = FlashMap(origin="build")
    if dev is not None:
        fm.devices["flash_primary"] = dev
    for name, p in pm.partitions.items():
        addr, size = p.int("address"), p.int("size")
        region = p.str("region") or "flash_primary"
        if addr is None or size is None or region.endswith("sram") or region == "sram_primary":
            continue
        fm.partitions.append(Partition(name, addr, size, region, p.names("span"), True,
                                       f"build {path.name}", None))
    ext = t.ext.get("mcuboot") or t.ext.get("app")
    if any(p.region == "external_flash" for p in fm.partitions):
        fm.devices["external_flash"] = FlashDevice(
            "external_flash", 0, ext.size_bytes or 0 if ext else 0, ext.page_size if ext else 65536, 1,
            source=ext.page_source if ext else "build partitions.yml")
    fm.notes.append(f"layout read from the build directory {t.app.rel(path)}")
    return fm, tuple(pm.problems)


NOR_COMPATIBLES = ("jedec,spi-nor", "nordic,qspi-nor")


def _internal_flash_node(t: Target, dt, node, path: str) -> bool:
    """True when `node` (at `path`, "&label" for a node only referenced) is the SoC's own flash: the
    image's chosen zephyr,flash, the board's, or a label the SoC's devicetree gives its flash. A
    `soc-nv-flash` node counts when no chosen zephyr,flash names another node."""
    ch = dt.chosen("zephyr,flash")
    chosen = ch[0] if ch is not None else None
    if chosen is not None and node is not None and chosen.path == node.path:
        return True
    labels = set(getattr(node, "labels", ()) or ())
    if path.startswith("&") and "/" not in path:
        labels.add(path[1:])
    board_label = (getattr(t.board_info, "chosen", None) or {}).get("zephyr,flash")
    names = set(knowledge.internal_flash_labels(getattr(t.soc, "nvm", None)))
    if board_label:
        names.add(board_label)
    if chosen is None and ch is not None:
        chosen_ref = ch[1].as_ref() if hasattr(ch[1], "as_ref") else None
        if chosen_ref:
            names = {chosen_ref.lstrip("&")}
    if labels & names:
        return True
    return chosen is None and node is not None and node.known and "soc-nv-flash" in node.compatibles()


def _nor_page_from_mcuboot(t: Target) -> Optional[tuple]:
    """The layout page MCUboot's NOR driver reports, when MCUboot's own fragments enable exactly one NOR
    driver and set its page size: (page, write block, where it is set); else None."""
    mcu = t.images.get("mcuboot")
    cfg = mcu.config if mcu is not None else None
    if cfg is None:
        return None
    drivers = [(d, sym, wb) for d, sym, wb in (("SPI_NOR", "SPI_NOR_FLASH_LAYOUT_PAGE_SIZE", 1),
                                               ("NORDIC_QSPI_NOR", "NORDIC_QSPI_NOR_FLASH_LAYOUT_PAGE_SIZE", 4))
               if cfg.enabled(d)]
    if len(drivers) != 1:
        return None
    _driver, sym, wb = drivers[0]
    v = cfg.get(sym)
    page = cfg.int(sym)
    if not page or page <= 0 or v is None or v.origin != "fragment" or not v.assignments:
        return None
    return page, wb, _value_source(v, sym, "mcuboot", t.app)


def _dts_flash_map(t: Target, dev) -> FlashMap:
    """Devicetree layouts (plain Zephyr, NCS without Partition Manager): the slots are the app image's
    partitions (`fixed-partitions` children and `zephyr,mapped-partition` nodes), each on the flash
    device that holds it. A partition under a device dfulint does not know (a board's NOR defined in
    a board file it does not have) stays on that device, whose geometry is then unknown: it is never
    taken for the internal flash."""
    from dfulint.model.devicetree import from_knowledge

    app = t.images["app"]
    fm = FlashMap(origin="dts")
    if app.dt is None:
        return fm
    parts = app.partitions
    names = {dp.path: (dp.label or dp.name) for dp in parts}
    unknown: dict = {}
    for dp in parts:
        if dp.address is None or dp.size is None:
            continue
        flash_node = app.dt.node(dp.flash_node)
        comps = flash_node.compatibles() if flash_node is not None else []
        region = "flash_primary"
        if any(c in NOR_COMPATIBLES for c in comps):
            region = dp.flash_node
            if region not in fm.devices:
                sp = flash_node.props.get("size")
                bits = sp.as_int() if sp is not None else None
                # the layout page MCUboot's driver reports decides its sectors
                mcu = t.images.get("mcuboot")
                cfgs = [c for c in ((mcu.config if mcu is not None else None), app.config) if c is not None]
                sym = ("NORDIC_QSPI_NOR_FLASH_LAYOUT_PAGE_SIZE" if "nordic,qspi-nor" in comps
                       else "SPI_NOR_FLASH_LAYOUT_PAGE_SIZE")
                page = next((c.int(sym) for c in cfgs if c.int(sym)), None) or 65536
                fm.devices[region] = FlashDevice(region, 0, (bits or 0) // 8, page, 1, node=dp.flash_node,
                                                 compatible=comps[0])
        elif not _internal_flash_node(t, app.dt, flash_node, dp.flash_node):
            # a flash device dfulint does not know: its partitions are its own, geometry unknown
            region = dp.flash_node
            unknown.setdefault(region, []).append(dp.label or dp.name)
        if from_knowledge(dp.span):
            # a partition of the board's own devicetree (dfulint knowledge); an overlay may have
            # rewritten its reg, which is then where to edit it
            written = not from_knowledge(dp.reg_span)
            where = dp.reg_span if written else dp.span
            source = f"{dp.reg_span.path.name}:{dp.reg_span.line}" if written else "the board's devicetree"
        else:
            where, source, written = dp.span, f"{dp.span.path.name}:{dp.span.line}", True
        # a mapped partition holding others (a slot with its secure and non-secure parts) spans them
        inner = [names[q.path] for q in parts if q.parent == dp.path and q.address is not None and q.size is not None]
        fm.partitions.append(Partition(dp.name if not dp.label else dp.label, dp.address + (dev.base if dev and region == "flash_primary" else 0),
                                       dp.size, region, inner, True, source,
                                       where, dp.reg_span, dp.reg_span, dp.label or ""))
    for region, held in unknown.items():
        what = "node " + region if not region.startswith("&") else region
        page = _nor_page_from_mcuboot(t) if len(unknown) == 1 else None
        if page is not None:
            size, wb, why = page
            fm.devices[region] = FlashDevice(region, 0, 0, size, wb, node=region, source=why)
            fm.notes.append(f"{', '.join(held)} {'is' if len(held) == 1 else 'are'} on {what}, a flash device "
                            f"dfulint does not know (defined in a board file it does not have): its pages are taken "
                            f"from {why}, the only NOR driver MCUboot enables; its size is not known")
            continue
        fm.notes.append(f"{', '.join(held)} {'is' if len(held) == 1 else 'are'} on {what}, a flash device dfulint "
                        f"does not know (defined in a board file it does not have): its size and pages are not "
                        f"known, so MCUboot's slot rules are not applied to {'it' if len(held) == 1 else 'them'}")
    if dev is not None:
        fm.devices["flash_primary"] = dev
    return fm


# ------------------------------------------------------------------ MCUboot's view

class ModeFacts(NamedTuple):
    mode: Optional[str]          # MCUboot's upgrade mode as MCUboot is built
    mode_source: str
    app_mode: Optional[str]      # the mode the application is told about


def _modes(t: Target, built: Optional[dict]) -> ModeFacts:
    """MCUboot's mode (from the build's MCUboot .config `built` when there is one) and the app's."""
    mode, source, app_mode = None, "", None
    if built is not None:
        for sym, m in modes.mcuboot_symbols():
            v = built.get(sym)
            if v is not None and v[0] == "y":
                mode = m
                source = f"CONFIG_{sym}=y ({t.app.rel(v[1].path)}:{v[1].line}, the build's MCUboot)"
                break
    mcu = t.images.get("mcuboot")
    if mcu is not None and mcu.config is not None and mode is None:
        for sym, m in modes.mcuboot_symbols():
            if mcu.config.enabled(sym):
                mode = m
                source = _value_source(mcu.config.get(sym), sym, "mcuboot", t.app)
                break
    acfg = t.images["app"].config
    if acfg is not None:
        for sym, m in modes.app_symbols().items():
            if acfg.enabled(sym):
                app_mode = m
                break
    if mode is None and t.app.framework == "zephyr":
        mode = app_mode or "swap-move"
        source = "the application's MCUBOOT_BOOTLOADER_MODE_* (MCUboot built separately)"
    return ModeFacts(mode, source, app_mode)


def _slots(flash: FlashMap) -> dict[str, Partition]:
    """MCUboot's slots (primary, secondary, scratch) in a flash map, by PM name or DTS label."""
    slots = {}
    from dfulint.model.layout import slot_names

    for role, names in slot_names():
        for n in names:
            p = flash.get(n)
            if p is None:
                p = next((q for q in flash.partitions if q.label == n), None)
            if p is not None:
                slots[role] = p
                break
    return slots



def _upstream_mcuboot(t: Target) -> Optional[tuple]:
    if not t.sdk.exact:
        return None          # unknown Zephyr release: the newest MCUboot behaviour is assumed
    return knowledge.zephyr_mcuboot(t.sdk.version)     # knowledge/releases.yaml


def board_spellings(app: App, board: Optional[str], binfo) -> set:
    """The values `BOARD` has before find_package(Zephyr) when the build is for this board: the name
    given to `west build -b`, in the spelling of the app's SDK era."""
    from dfulint.context import naming

    if not board:
        return set()
    ctx = app.context
    era = ctx.era if ctx is not None else naming.EITHER
    names = {board}
    bc = ctx.board(board) if ctx is not None else None
    if bc is not None:
        names.add(bc.build_name)
    if binfo is not None:
        if era in (naming.HWMV2, naming.EITHER):
            names.add(binfo.target)
        if era in (naming.HWMV1, naming.EITHER):
            names.add(binfo.name)
            v1 = naming.hwmv1_name(binfo)
            if v1:
                names.add(v1)
    return {n for n in names if n}


def file_suffix(t: Target) -> tuple:
    """The FILE_SUFFIX this build applies, and a note when one was given but the SDK predates it
    (Zephyr 3.6, NCS 2.6: zephyrproject-rtos/zephyr cmake/modules/configuration_files.cmake)."""
    sfx = getattr(t.app, "file_suffix", None)
    if not sfx:
        return None, ""
    first = (2, 6, 0) if t.app.framework == "ncs" else (3, 6, 0)
    if t.sdk.range[1] < first:
        return None, (f"FILE_SUFFIX={sfx} ({t.app.file_suffix_source}) is ignored: "
                      f"{'NCS 2.6' if t.app.framework == 'ncs' else 'Zephyr 3.6'} introduced it")
    return sfx, ""


def cmake_inputs(app: App, board: Optional[str], binfo):
    """What the app's CMakeLists.txt sets before find_package(Zephyr) for this board (sources/cmake.py),
    or None without a CMakeLists.txt that sets any of the configuration variables."""
    from dfulint.sources import read_text
    from dfulint.sources.cmake import TRACKED, read

    path = app.root / "CMakeLists.txt"
    text = read_text(path).text if path.is_file() else None
    if not text or not any(v in text for v in TRACKED) and "include" not in text:
        return None
    return read(path, text, app.root, board_spellings(app, board, binfo))


def _board_defconfig(app: App, board: Optional[str], image: Image) -> None:
    """A custom board's `<target>_defconfig` beside its DTS: every image built for the board reads it
    first, before the image's own fragments (CONFIG_BOOTLOADER_MCUBOOT=y there enables MCUboot)."""
    if not board:
        return
    dts = app.custom_boards.get(board.split("@", 1)[0])
    if dts is None:
        return
    p = dts.parent / f"{dts.stem}_defconfig"
    if p.is_file():
        image.conf_layers.insert(0, img_mod.Layer(p, "board-defconfig", "the custom board's defconfig (read first)"))


def _delta_fork(mcu: Optional[Image]):
    """An assignment in MCUboot's own fragments that only a delta-update fork of MCUboot defines
    (CONFIG_BOOT_UPGRADE_APP_DELTA and the like), or None."""
    if mcu is None:
        return None
    for frag in mcu.fragments:
        for a in frag.assignments:
            if "DELTA" in a.name and a.name.startswith("BOOT_") and a.value_without_comment[:1] == "y":
                return a
    return None


def mcu_rel(t: Target, a) -> str:
    return f"{t.app.rel(a.span.path)}:{a.span.line}"


class BootFacts(NamedTuple):
    params: Optional[BootParams] = None
    boot: Optional[SlotAnalysis] = None
    problems: tuple = ()


def _analyse(t: Target, built: Optional[dict]) -> BootFacts:
    """MCUboot's slot analysis (model/mcuboot.py) of the target's slots, with the parameters the
    bootloader is built with (`built`: the build's MCUboot .config, when there is one)."""
    from dfulint.model import mcuboot as mb

    if not t.mcuboot_enabled or "primary" not in t.slots or t.mode is None:
        return BootFacts()
    mcu = t.images.get("mcuboot")
    cfg = mcu.config if mcu is not None else None
    if _delta_fork(mcu) is not None:
        # a delta-update fork of MCUboot: the secondary holds a patch, so stock MCUboot's slot laws
        # (equal sector counts, trailer, maximum image) are not the ones this bootloader applies
        return BootFacts()

    def geom(p: Partition) -> Optional[mb.SlotGeom]:
        d = t.flash.devices.get(p.region)
        if d is None:
            return None
        return mb.SlotGeom(p.size, d.page_size, d.write_block, p.name)

    pri = geom(t.slots["primary"])
    if pri is None:
        return BootFacts()
    sec = geom(t.slots["secondary"]) if "secondary" in t.slots else None
    scr = geom(t.slots["scratch"]) if "scratch" in t.slots else None
    if ("secondary" in t.slots and sec is None) or ("scratch" in t.slots and scr is None):
        return BootFacts()   # a slot on a flash device whose geometry dfulint does not know
    if any(g is not None and (g.size <= 0 or g.page_size <= 0 or g.write_block <= 0) for g in (pri, sec, scr)):
        return BootFacts()   # an empty or negative slot: the layout rules report it, MCUboot's laws do not apply
    m = (cfg.int("BOOT_MAX_IMG_SECTORS") if cfg is not None else None) or 128
    m = _mcuboot_board_default(t, mcu, "BOOT_MAX_IMG_SECTORS") or m
    if cfg is not None and cfg.enabled("BOOT_MAX_IMG_SECTORS_AUTO"):
        # MCUboot's CMake sizes the table from the devicetree slots (no Partition Manager)
        m = max([-(-g.size // g.page_size) for g in (pri, sec, scr) if g is not None] + [1])
    if built is not None and built.get("BOOT_MAX_IMG_SECTORS", ("",))[0].isdigit():
        m = int(built["BOOT_MAX_IMG_SECTORS"][0])     # what the build really compiled in
    max_align = (cfg.int("BOOT_MAX_ALIGN") if cfg is not None else None) or 8
    if m <= 0 or max_align <= 0:
        # MCUboot does not compile with a negative sector table or alignment: a finding at the value
        sym, val = ("BOOT_MAX_IMG_SECTORS", m) if m <= 0 else ("BOOT_MAX_ALIGN", max_align)
        v = cfg.get(sym) if cfg is not None else None
        a = v.assignments[-1] if v is not None and getattr(v, "assignments", None) else None
        span = getattr(a, "span", None)
        if span is None:
            return BootFacts()
        return BootFacts(problems=(Problem(
                "out-of-range", span, f"CONFIG_{sym}={val}: MCUboot sizes its {'sector table' if m <= 0 else 'write alignment'} "
                f"with this value and does not compile with a negative one (mcuboot)",
                f"remove the line (MCUboot's default applies) or set a positive value such as "
                f"CONFIG_{sym}={'256' if m <= 0 else '8'}"),))
    params = mb.BootParams(
        mode=t.mode, max_img_sectors=m,
        max_align=max_align,
        validate_primary=cfg.enabled("BOOT_VALIDATE_SLOT0") if cfg is not None else True,
        encrypted=cfg.enabled("BOOT_ENCRYPT_IMAGE") if cfg is not None else False,
        ncs_version=t.sdk.version if t.app.framework == "ncs" else None,
        upstream_version=_upstream_mcuboot(t) if t.app.framework != "ncs" else None)
    return BootFacts(params, mb.analyse(pri, sec, params, scr))


# ------------------------------------------------------------------ entry point
#
# The model of one board is built in stages, each a function of the record the stage before made:
#   _context    the board, its SoC, the file stems and Kconfig versions   (app, board -> Target)
#   _configure  each image's layers, fragments, Kconfig and devicetree     (-> images, sysbuild, ...)
#   _derive     the facts: external flash, modes, flash map, slots, MCUboot's analysis, update path,
#               flash drivers, boot chain
#   _file_facts the app's parsed files and the files the checks name
# Every stage returns a new Target (`_replace`; Target is immutable); nothing changes one afterwards.


def build_target(app: App, board: Optional[str], files: Optional[AppFiles] = None) -> Target:
    """The model of one board of an app; `files`: the app's parsed files (parsed here if not given)."""
    t = _configure(_context(app, board))
    # (a folder that is MCUboot itself has one image, its configuration: no layout or chain of its own)
    t = _derive(t) if not app.is_mcuboot else _update_path(t)
    return _file_facts(t, files if files is not None else parse_app_files(app))


def _context(app: App, board: Optional[str]) -> Target:
    """The board, its SoC (from dfulint's tables, a custom board's includes or the name) and the
    file-name stems and Kconfig versions its build uses."""
    binfo = knowledge.board(board) if board else None
    soc, soc_src = None, ""
    if binfo is not None:
        soc = knowledge.soc(binfo.soc)
        soc_src = f"board {binfo.name}"
    elif board and board in app.custom_boards:
        from dfulint.sources.dts import parse_dts

        df = parse_dts(app.custom_boards[board], allowed_roots=[_repo_root(app.root)])
        for inc in df.includes:
            soc = knowledge.soc_for_dts_include(inc.name)
            if soc:
                soc_src = f"custom board {app.rel(app.custom_boards[board])} includes {inc.name}"
                break
    elif board:
        soc = knowledge.soc_for_name_hint(board)
        soc_src = f"board name {board}" if soc else ""
    # the file names this board's build looks for, in the naming of the app's SDK era (context stage)
    stems = app.stems_for(board)
    if board and board not in stems and app.context is None:
        stems = stems + [board]
    config_dirs = tuple(app.root / "configuration" / s for s in stems
                        if (app.root / "configuration" / s / "prj.conf").is_file())
    t = Target(app=app, board=board, board_info=binfo, soc=soc, soc_source=soc_src, stems=tuple(stems),
               config_dirs=config_dirs)
    low, high = t.sdk.range
    kconfig_range = (t.ncs_of(low), t.ncs_of(high))
    return t._replace(kconfig_range=kconfig_range,
                   kconfig_version=kconfig_range[0] if not t.sdk.exact else t.ncs_of(t.sdk.version),
                   eval_version=t.sdk.version if app.framework == "ncs" else t.ncs_of(t.sdk.version))


def _configure(t: Target) -> Target:
    """Each image's configuration layers in build order, its Kconfig evaluated and its devicetree
    merged; sysbuild's own configuration and what it forces into the images."""
    app, board, stems = t.app, t.board, list(t.stems)
    suffix, suffix_note = file_suffix(t)
    app_img = img_mod.app_layers(app.root, stems, app.sdk.version, suffix)
    if suffix_note:
        app_img.notes.append(suffix_note)
    img_mod.apply_cmake(app_img, app.root, stems, cmake_inputs(app, board, t.board_info))
    _board_defconfig(app, board, app_img)
    if app.is_mcuboot:
        app_img.name = "mcuboot"
        app_img.notes.append("this folder is MCUboot itself: its files configure the bootloader image")
    images = {"app": app_img}
    sysbuild = None
    scen = app.scenario_for(stems, suffix)
    if scen is not None:
        for rel in scen.get("extra_conf", []):
            if (app.root / rel).is_file():
                app_img.conf_layers.append(img_mod.Layer(app.root / rel, "extra", f"sample.yaml scenario {scen['name']}"))
    if app.build_system in ("sysbuild", "zephyr") and app.sysbuild_path("sysbuild.conf").is_file() or \
            app.build_system == "sysbuild":
        sb = img_mod.Image("sysbuild")
        p = img_mod.suffixed(app.sysbuild_path("sysbuild.conf"), suffix)
        why = "sysbuild configuration" + (f"; the FILE_SUFFIX={suffix} variant" if p.stem.endswith(f"_{suffix}") else "")
        if scen is not None and scen.get("sb_conf") and (app.root / scen["sb_conf"]).is_file():
            p, why = app.root / scen["sb_conf"], f"SB_CONF_FILE of sample.yaml scenario {scen['name']}"
        if p.is_file():
            sb.conf_layers.append(img_mod.Layer(p, "base", why))
        from dfulint.sources.kconf import parse_fragment
        sb.fragments = [parse_fragment(layer.path, "SB_CONFIG_") for layer in sb.conf_layers]
        sysbuild = sb
    img_mod.load_fragments(app_img)

    mcu_board = _secure_board(board)
    if mcu_board and app.context is not None and app.context.era == "hwmv1":
        # MCUboot is built for the same board, named as this SDK era names it
        from dfulint.context import naming
        mb = knowledge.board(mcu_board)
        v1 = naming.hwmv1_name(mb) if mb is not None else None
        if v1:
            mcu_board = f"{v1}@{mb.revision}" if "@" in mcu_board and mb.revision else v1
    mcu_stems = _era_stems(app, mcu_board)
    mcu = img_mod.mcuboot_layers(app.root, mcu_stems, app.build_system, app.sysbuild_path,
                                 suffix if app.build_system != "child_image" else None)
    mcu.board = mcu_board
    if scen is not None:
        for rel in scen.get("extra_dtc", []):
            if (app.root / rel).is_file():
                target = mcu if rel.replace("\\", "/").startswith("sysbuild/mcuboot") else app_img
                target.dts_layers.append(img_mod.Layer(app.root / rel, "overlay",
                                                       f"EXTRA_DTC_OVERLAY_FILE of sample.yaml scenario {scen['name']}"))
    _board_defconfig(app, mcu_board, mcu)
    img_mod.load_fragments(mcu)
    if not app.is_mcuboot:
        images["mcuboot"] = mcu
    if scen is not None:
        # -D values from the scenario's extra_args: command-line values win over the fragments
        by_image = {"app": app_img, "mcuboot": mcu, "sysbuild": sysbuild}
        for image, sym, value, line in scen.get("args", []):
            target = by_image.get(image)
            if target is not None:
                prefix = "SB_CONFIG_" if image == "sysbuild" else "CONFIG_"
                target.forced.append(synthetic(sym, value, Span(scen["path"], line, 1), prefix))
    t = t._replace(images=images, sysbuild=sysbuild)

    facts = {"soc": getattr(t.soc, "name", None), "partition_manager": t.uses_pm,
             "board": t.board_info.name if t.board_info is not None else board,
             "non_secure": bool(getattr(t.board_info, "ns", False))}
    if t.sysbuild is not None:
        from dfulint.model.sysbuild import evaluate_sysbuild, extra_forcing
        evaluate_sysbuild(t, facts)        # sysbuild.conf, after the app's Kconfig.sysbuild defaults
        _sysbuild_forcing(t)
        extra_forcing(t)
        pmv = t.sysbuild.config.get("PARTITION_MANAGER") if t.sysbuild.config is not None else None
        # with an unknown SoC a conditional default is not known to apply; from NCS 3.4 none exists
        from dfulint.model.kconfig import default_is_conditional
        if pmv is not None and pmv.value == "n" and (
                pmv.origin != "default" or t.soc is not None
                or not default_is_conditional("SB_CONFIG_PARTITION_MANAGER", t.kconfig_version)):
            t = t._replace(pm_disabled=True)
            facts["partition_manager"] = False
    # devicetree first: Kconfig defaults depend on chosen nodes
    problems = _devicetree(t, app_img) + _devicetree(t, mcu)
    from dfulint.model.devicetree import fixed_partitions
    for img in (app_img, mcu):
        img.partitions = tuple(fixed_partitions(img.dt)) if img.dt is not None else ()
    if app.is_mcuboot:
        return t._replace(problems=tuple(problems))
    app_facts = dict(facts, **_dt_facts(app_img.dt))
    _evaluate(t, app_img, app_facts)
    if t.sysbuild is not None:
        enabled, source = t.sysbuild.config.enabled("BOOTLOADER_MCUBOOT"), "SB_CONFIG_BOOTLOADER_MCUBOOT (sysbuild)"
    else:
        enabled, source = app_img.config.enabled("BOOTLOADER_MCUBOOT"), "CONFIG_BOOTLOADER_MCUBOOT (app)"
    if app.build_system == "child_image" and app_img.config.enabled("PM_EXTERNAL_FLASH_MCUBOOT_SECONDARY"):
        v = app_img.config.get("PM_EXTERNAL_FLASH_MCUBOOT_SECONDARY")
        span = v.assignments[-1].span if v.assignments else (app_img.conf_paths[0] if app_img.conf_paths else None)
        if not isinstance(span, Span):
            span = Span(app.root / "prj.conf", 1, 1)
        mcu.forced.append(synthetic("PM_EXTERNAL_FLASH_MCUBOOT_SECONDARY", "y", span))
        mcu.notes.append("the parent image injects CONFIG_PM_EXTERNAL_FLASH_MCUBOOT_SECONDARY=y into MCUboot")
    mcu_facts = dict(facts, **_dt_facts(mcu.dt))
    # child_image/mcuboot/prj.conf (or a board file alone there) or a sysbuild/mcuboot/ folder replaces
    # MCUboot's own prj.conf, boards/ and socs/ fragments: their values are then not MCUboot's defaults
    mcu_facts["mcuboot_own_config"] = mcu.replaces_defaults is None
    _evaluate(t, mcu, mcu_facts)
    fork = _delta_fork(mcu) if enabled else None
    if fork is not None:
        mcu.notes.append(f"{fork.full_name} ({mcu_rel(t, fork)}) asks for a delta-update fork of MCUboot: "
                         "stock MCUboot's slot rules are not applied to it")
    return t._replace(mcuboot_enabled=enabled, mcuboot_enabled_source=source, problems=tuple(problems))


def _derive(t: Target) -> Target:
    """The facts of a configured target, each from the record before it."""
    from dfulint.model import chain

    t = t._replace(ext={"app": _ext_flash(t, t.images["app"]), "mcuboot": _ext_flash(t, t.images["mcuboot"])})
    built, problems = build_config(t, "mcuboot")       # the build directory's MCUboot .config, if any
    t = t._replace(**_modes(t, built)._asdict())
    fl = _flash_map(t)
    t = t._replace(flash=fl.flash, pm_static=fl.pm_static, pm_static_unused=fl.pm_static_unused,
                slots=_slots(fl.flash), problems=t.problems + tuple(problems) + fl.problems)
    bf = _analyse(t, built)
    t = t._replace(boot_params=bf.params, boot=bf.boot, problems=t.problems + bf.problems)
    t = t._replace(mcuboot_soc_sectors=_own_soc_sectors(t))
    t = _update_path(t)
    return t._replace(chain=chain.build(t))


def _own_soc_sectors(t: Target) -> Optional[tuple[int, str]]:
    """(value, source) of BOOT_MAX_IMG_SECTORS that MCUboot's own SoC fragment (boot/zephyr/socs/)
    gives this SoC at the lowest SDK version the project may use, from the Kconfig catalogue, when
    the project replaces MCUboot's configuration and the slots need more than MCUboot's default;
    None when only Kconfig's default would apply."""
    from dfulint.model.kconfig import evaluate

    mcu = t.images.get("mcuboot")
    soc = getattr(t.soc, "name", None)
    if t.app.framework != "ncs" or not soc or mcu is None or mcu.replaces_defaults is None or \
            t.boot is None or t.boot_params is None or t.boot.needed_max_img_sectors <= t.boot_params.max_img_sectors:
        return None
    low = tuple(t.sdk.range[0])
    facts = {"soc": soc, "board": "", "partition_manager": True}
    own = evaluate([], "mcuboot", low, getattr(t.soc, "family", None), facts=dict(facts, mcuboot_own_config=True))
    bare = evaluate([], "mcuboot", low, getattr(t.soc, "family", None), facts=dict(facts, mcuboot_own_config=False))
    v, d = own.int("BOOT_MAX_IMG_SECTORS"), bare.int("BOOT_MAX_IMG_SECTORS")
    if v is None or v == d:
        return None
    return v, f"MCUboot's own SoC fragment boot/zephyr/socs/{soc}.conf"


def _update_path(t: Target) -> Target:
    """Transports, keys and where MCUboot is switched on; which images build a NOR driver."""
    from dfulint.model import dfu, extflash

    return t._replace(dfu=dfu.derive(t), drivers=extflash.driver_states(t))


def _file_facts(t: Target, files: AppFiles) -> Target:
    """The app's parsed files, and what the checks need to know about files, before they run."""
    from dfulint.model.paths import derive as derive_paths

    t = t._replace(files=files, symbols_gone_later=_gone_later(t), symbol_status=_symbol_status(t))
    return t._replace(paths=derive_paths(t))


def _symbol_status(t: Target) -> dict:
    """The catalogue's status of every symbol the images' fragments assign, over the version range."""
    from dfulint.model.kconfig import status_over

    low, high = t.kconfig_range
    out = {}
    images = list(t.images.values()) + ([t.sysbuild] if t.sysbuild is not None else [])
    for img in images:
        for frag in img.fragments:
            for a in frag.assignments:
                key = (img.name, a.name)
                if key not in out:
                    out[key] = status_over(a.name, img.name, low, high)
    return out


def _gone_later(t: Target) -> tuple:
    """Assignments valid at the low end of a guessed SDK range that a later release in the range
    renamed or removed: (image, assignment, status, detail, first release without it). The version
    is never dated by the symbols judged, so rules say these on condition of the version."""
    from dfulint.model.kconfig import status_in

    if t.sdk.exact:
        return ()
    low, high = t.kconfig_range
    if low == high:
        return ()
    out = []
    images = list(t.images.values()) + ([t.sysbuild] if t.sysbuild is not None else [])
    for img in images:
        for frag in img.fragments:
            for a in frag.assignments:
                if status_in(a.name, img.name, low)[0] != "ok":
                    continue
                st, detail = status_in(a.name, img.name, high)
                if st not in ("renamed", "removed"):
                    continue
                since = next((v for v in knowledge.ncs_releases() if low < v <= high
                              and status_in(a.name, img.name, v)[0] in ("renamed", "removed")), high)
                out.append((img.name, a, st, detail, since))
    return tuple(out)


def build_targets(app: App) -> list[Target]:
    if not app.is_mcuboot and app.root.name == "mcuboot" and app.root.parent.name == "images":
        # an image configuration folder (nrf_desktop's configuration/<board>/images/mcuboot, passed to
        # sysbuild as MCUboot's APPLICATION_CONFIG_DIR): its files configure the bootloader image
        app.is_mcuboot = True
    files = parse_app_files(app)
    return [build_target(app, b, files) for b in app.boards or [None]]
