"""Sysbuild's own configuration, beyond `sysbuild.conf`.

Two things the sysbuild image of a Target needs that the fragments alone do not give:

* the defaults an application's `Kconfig.sysbuild` gives sysbuild's symbols (NCS's Matter, Zigbee
  and nRF Desktop samples choose `BOOTLOADER_MCUBOOT`, the MCUboot mode, the signature type and the
  external-flash secondary there). They are loaded as assignments *before* `sysbuild.conf`, so a
  line in `sysbuild.conf` still wins, and each keeps the Kconfig.sysbuild line it came from;
* the settings sysbuild writes into the images besides the ones `project._sysbuild_forcing`
  covers: image encryption (Zephyr share/sysbuild/images/bootloader/CMakeLists.txt), the number
  of updateable images, hardware downgrade prevention and the nRF5340 multi-image update (sdk-nrf
  sysbuild, documented in doc/nrf/config_and_build/configuring_app/sysbuild_forced_options.rst).
"""
from __future__ import annotations

from pathlib import Path

from dfulint.core import Span
from dfulint.model.images import synthetic
from dfulint.sources.kconf import Assignment, Fragment

TYPE_CHECKING = False      # (typing.TYPE_CHECKING without importing typing)
if TYPE_CHECKING:
    from typing import Optional

_ROUNDS = 4


def _board_names(t) -> set[str]:
    names = set()
    for n in (t.board, getattr(t.board_info, "name", None), getattr(t.board_info, "target", None)):
        if n:
            names.add(str(n).replace("/", "_").replace("@", "_").replace(".", "_").upper())
    return names


def _fact(t, name: str):
    """y/n for BOARD_* and SOC_* names, None when unknown, KeyError when not a fact."""
    if name.startswith("BOARD_"):
        if not t.board:
            return None
        want = name[len("BOARD_"):]
        return "y" if any(b == want or b.startswith(want + "_") for b in _board_names(t)) else "n"
    if name.startswith("SOC_"):
        soc = t.soc
        if soc is None:
            return None
        fam = str(soc.family).upper()
        chip = str(soc.name).upper()
        yes = {"SOC_SERIES_" + fam, "SOC_SERIES_" + fam + "X", "SOC_" + chip, "SOC_" + chip.split("_")[0],
               "SOC_FAMILY_NORDIC_NRF", "SOC_FAMILY_NRF"}
        return "y" if name in yes else "n"
    raise KeyError(name)


def board_fact(t, name: str):
    """A BOARD_* or SOC_* symbol's value for this target: "y"/"n", None when unknown; KeyError for any
    other name."""
    return _fact(t, name)


def _board_kconfig(t):
    """The board's own Kconfig.sysbuild defaults from knowledge/board_sysbuild.yaml, or None."""
    import yaml

    from dfulint.sources.kconfig_defaults import parse_kconfig_defaults_text

    names = {n.lower() for n in _board_names(t)}
    if not names:
        return None
    try:
        data = _board_table()
    except (OSError, yaml.YAMLError):
        return None
    for entry in data:
        prefixes = [str(p).lower() for p in entry.get("boards") or []]
        if any(n == p or n.startswith(p + "_") or n.startswith(p) for n in names for p in prefixes):
            board_dir = prefixes[0].split("_")[0] if prefixes else "board"
            return parse_kconfig_defaults_text(str(entry.get("kconfig") or ""),
                                               Path(f"<sdk-nrf>/boards/nordic/{board_dir}/Kconfig.sysbuild"))
    return None


def _custom_board_kconfig(t):
    """A board defined in the repository: its own `Kconfig.sysbuild` beside its devicetree, which
    Zephyr's sysbuild reads from the board directory like a Nordic board's (a Thingy:53 clone's
    `default MCUBOOT_MODE_OVERWRITE_ONLY`, `NETCORE_APP_UPDATE`, external-flash secondary), or None."""
    from dfulint.sources.kconfig_defaults import parse_kconfig_defaults

    dts = t.app.custom_boards.get((t.board or "").split("@", 1)[0])
    if dts is None:
        return None
    path = dts.parent / "Kconfig.sysbuild"
    if not path.is_file():
        return None
    return parse_kconfig_defaults(path)


_BOARD_TABLE = None


def _board_table() -> list:
    global _BOARD_TABLE
    if _BOARD_TABLE is None:
        from dfulint.knowledge import load_table
        data = load_table(Path(__file__).resolve().parent.parent / "knowledge" / "board_sysbuild.yaml") or {}
        _BOARD_TABLE = list(data.get("boards") or [])
    return _BOARD_TABLE


class _Defaults:
    """Kconfig defaults in the order Kconfig meets them: the app's file, then the board's."""

    def __init__(self, files: list):
        self.path = files[0].path
        self.defaults = []
        self.declared = set()
        for f in files:
            self.defaults.extend(f.defaults)
            self.declared |= set(getattr(f, "declared", set()))


def _defaults_fragment(t, sb_cfg, kfile) -> tuple[Fragment, list[str]]:
    """Assignments for the Kconfig.sysbuild defaults that apply with the current values."""
    from dfulint.model.kconfig import eval_condition, symbol

    local: dict[str, str] = {}
    undecided: set[str] = set()
    file_syms = {d.symbol for d in kfile.defaults if not d.choice} | set(kfile.declared)
    decided: set[str] = set()
    out: list[Assignment] = []
    notes: list[str] = []

    def lookup(name: str):
        try:
            return _fact(t, name)
        except KeyError:
            pass
        if name in local:
            return local[name]
        if name in undecided:
            return None
        info = symbol(name, "sysbuild", t.kconfig_version)
        if info is not None:
            v = sb_cfg.get(name).value
            return v if v is not None else "n"
        if name in file_syms:
            return "n"        # defined here, and none of its defaults so far applies
        return None

    for d in kfile.defaults:
        key = d.choice if d.choice else d.symbol
        if key in decided:
            continue
        in_catalogue = symbol(d.symbol, "sysbuild", t.kconfig_version) is not None
        if not d.before_sdk and (in_catalogue or d.choice):
            continue          # the SDK's own default comes first
        ok = eval_condition(d.condition, lookup)
        if ok is False:
            continue
        decided.add(key)
        if ok is None:
            if not in_catalogue:
                undecided.add(d.symbol)
            notes.append(f"{t.app.rel(d.span.path)}:{d.span.line}: default of {key} depends on something "
                         "dfulint cannot tell; not applied")
            continue
        if not in_catalogue:
            local[d.symbol] = d.value.strip('"') if d.value.startswith('"') else d.value
            continue
        out.append(Assignment(d.symbol, d.value, d.span, d.span, "SB_CONFIG_"))
    return Fragment(kfile.path, out), notes


def evaluate_sysbuild(t, facts: dict) -> None:
    """Evaluate t.sysbuild with the app's Kconfig.sysbuild defaults loaded before sysbuild.conf."""
    from dfulint.model.kconfig import evaluate
    from dfulint.sources.kconfig_defaults import parse_kconfig_defaults

    sb = t.sysbuild
    family = getattr(t.soc, "family", None)
    version = t.eval_version

    def run(extra: Optional[Fragment]):
        frags = ([extra] if extra is not None and extra.assignments else []) + list(sb.fragments)
        return evaluate(frags, "sysbuild", version, family, sb.forced, facts)

    sb.config = run(None)
    files = []
    path = t.app.sysbuild_path("Kconfig.sysbuild")
    if path.is_file():
        files.append(parse_kconfig_defaults(path))
    board = _board_kconfig(t)
    if board is not None:
        files.append(board)
    custom = _custom_board_kconfig(t)
    if custom is not None:
        files.append(custom)
    files = [f for f in files if f.defaults]
    if not files:
        return
    kfile = _Defaults(files)
    seen = None
    notes: list[str] = []
    for _ in range(_ROUNDS):
        frag, notes = _defaults_fragment(t, sb.config, kfile)
        key = tuple((a.symbol, a.raw) for a in frag.assignments)
        if key == seen:
            break
        seen = key
        sb.config = run(frag)
    for a in (frag.assignments if seen else []):
        where = f"{t.app.rel(a.span.path)}:{a.span.line}"
        sb.notes.append(f"{where} gives SB_CONFIG_{a.symbol} the default {a.raw}")
    sb.notes.extend(notes)


def _where(t, sym: str, fallback: Span) -> Span:
    """The sysbuild line a value comes from, following `select`s; `fallback` for a default."""
    from dfulint.model.dfu import where

    w = where(t, "sysbuild", sym)
    return w.span if w.span is not None else fallback


def _mode_at(t, fallback: Span) -> Span:
    sb = t.sysbuild.config
    for name, v in sb.values.items():
        if name.startswith("MCUBOOT_MODE_") and v.value == "y":
            return _where(t, name, fallback)
    return fallback


def extra_forcing(t) -> None:
    """Sysbuild-forced settings not covered by project._sysbuild_forcing (see the module doc)."""
    if t.sysbuild is None or t.sysbuild.config is None:
        return
    sb = t.sysbuild.config
    if not sb.enabled("BOOTLOADER_MCUBOOT"):
        return
    from dfulint.model.kconfig import status_in

    fallback = Span(t.app.sysbuild_path("sysbuild.conf"), 1, 1)
    app, mcu = t.images.get("app"), t.images.get("mcuboot")
    ver = t.eval_version

    def defined(sym: str) -> bool:
        return status_in(sym, "sysbuild", ver)[0] == "ok"

    # Zephyr: image encryption (share/sysbuild/images/bootloader/CMakeLists.txt)
    if defined("BOOT_ENCRYPTION"):
        enc = sb.enabled("BOOT_ENCRYPTION")
        at = _where(t, "BOOT_ENCRYPTION", fallback)
        if mcu is not None:
            mcu.forced.append(synthetic("BOOT_ENCRYPT_IMAGE", "y" if enc else "n", at))
        key = sb.str("BOOT_ENCRYPTION_KEY_FILE") if enc else None
        if key is not None:
            kat = _where(t, "BOOT_ENCRYPTION_KEY_FILE", at)
            if mcu is not None:
                mcu.forced.append(synthetic("BOOT_ENCRYPTION_KEY_FILE", f'"{key}"', kat))
            if app is not None:
                app.forced.append(synthetic("MCUBOOT_ENCRYPTION_KEY_FILE", f'"{key}"', kat))
    # the mode choice: sysbuild writes every mode symbol, so the ones outside MCUboot's choice
    # (SINGLE_APPLICATION_SLOT) and the revert flag are forced too (Zephyr
    # share/sysbuild/image_configurations/BOOTLOADER_image_default.cmake; NCS documents the same)
    if mcu is not None and (t.app.framework == "ncs" or (t.sdk.exact and t.sdk.version >= (4, 1, 0))):
        if not sb.enabled("MCUBOOT_MODE_SINGLE_APP") and status_in("SINGLE_APPLICATION_SLOT", "mcuboot", ver)[0] == "ok":
            mcu.forced.append(synthetic("SINGLE_APPLICATION_SLOT", "n", _mode_at(t, fallback)))
        if status_in("BOOT_DIRECT_XIP_REVERT", "mcuboot", ver)[0] == "ok" and (
                sb.enabled("MCUBOOT_MODE_DIRECT_XIP") or sb.enabled("MCUBOOT_MODE_DIRECT_XIP_WITH_REVERT")):
            rev = sb.enabled("MCUBOOT_MODE_DIRECT_XIP_WITH_REVERT")
            mcu.forced.append(synthetic("BOOT_DIRECT_XIP_REVERT", "y" if rev else "n", _mode_at(t, fallback)))
    if t.app.framework != "ncs":
        return
    # sdk-nrf: number of updateable images
    n = sb.int("MCUBOOT_UPDATEABLE_IMAGES")
    if n is not None:
        extra = sb.int("MCUBOOT_ADDITIONAL_UPDATEABLE_IMAGES") or 0
        at = _where(t, "MCUBOOT_UPDATEABLE_IMAGES", fallback)
        if mcu is not None:
            mcu.forced.append(synthetic("UPDATEABLE_IMAGE_NUMBER", str(n + extra), at))
        if app is not None and sb.enabled("MCUBOOT_APP_SYNC_UPDATEABLE_IMAGES"):
            app.forced.append(synthetic("UPDATEABLE_IMAGE_NUMBER", str(n), at))
    # sdk-nrf: hardware downgrade prevention (forced on; the `else` branch that forces it off is
    # not in every release, so only the `on` direction is modelled)
    if sb.enabled("MCUBOOT_HARDWARE_DOWNGRADE_PREVENTION") and mcu is not None:
        mcu.forced.append(synthetic("MCUBOOT_HW_DOWNGRADE_PREVENTION", "y",
                                    _where(t, "MCUBOOT_HARDWARE_DOWNGRADE_PREVENTION", fallback)))
    # sdk-nrf: nRF5340 simultaneous multi-image update
    if sb.enabled("MCUBOOT_NRF53_MULTI_IMAGE_UPDATE") and mcu is not None:
        at = _where(t, "MCUBOOT_NRF53_MULTI_IMAGE_UPDATE", fallback)
        mcu.forced.append(synthetic("NRF53_MULTI_IMAGE_UPDATE", "y", at))
        mcu.forced.append(synthetic("BOOT_IMAGE_ACCESS_HOOKS", "y", at))
        if not sb.enabled("MCUBOOT_MODE_OVERWRITE_ONLY"):
            mcu.forced.append(synthetic("USE_NRF53_MULTI_IMAGE_WITHOUT_UPGRADE_ONLY", "y", at))


def sysbuild_owner(name: str, value: str, image: str):
    """(SB_CONFIG_ name without prefix, value to write) when sysbuild, not the image's own fragments,
    decides the image setting `name` (knowledge/sysbuild_forced.yaml, MCUboot's mode and signature
    type choices); value None when only the choice can be named. None when the setting is the image's."""
    from dfulint import knowledge
    from dfulint.model import modes

    for sym, sb, images in knowledge.sysbuild_forced():
        if sym == name and (images == "all" or image == images):
            return sb, value
    if image != "mcuboot":
        return None
    if name.startswith("BOOT_SIGNATURE_TYPE_") and not name.startswith("BOOT_SIGNATURE_TYPE_RSA_LEN"):
        return (name, "y") if value == "y" else ("BOOT_SIGNATURE_TYPE_", None)
    if name in modes.sysbuild_choice_of():
        return (modes.sysbuild_choice_of()[name], "y") if value == "y" else ("MCUBOOT_MODE_", None)
    return None
