"""MCUboot's upgrade modes as the build names them, derived from the one table of modes
(dfulint/knowledge/mcuboot_modes.yaml): MCUboot's own mode symbols in the order of its choice, the
application's MCUBOOT_BOOTLOADER_MODE_* and sysbuild's SB_CONFIG_MCUBOOT_MODE_*, with their older
names per NCS version. Every part of dfulint that needs a mode name asks here.
"""
from __future__ import annotations

from functools import lru_cache

from dfulint import knowledge


def _rows() -> tuple:
    return knowledge.mcuboot_modes()


@lru_cache(maxsize=1)
def mcuboot_symbols() -> tuple:
    """(MCUboot symbol, mode) in the order of MCUboot's choice: the first one set is the mode."""
    rows = sorted((r for r in _rows() if r.choice is not None), key=lambda r: r.choice)
    return tuple((r.mcuboot[0], r.mode) for r in rows)


@lru_cache(maxsize=1)
def mode_of_mcuboot_symbol() -> dict:
    """MCUboot symbol -> mode, the revert variant of direct-XIP included."""
    out = dict(mcuboot_symbols())
    for r in _rows():
        if r.choice is None:
            out[r.mcuboot[-1]] = r.mode
    return out


@lru_cache(maxsize=1)
def app_symbols() -> dict:
    """MCUBOOT_BOOTLOADER_MODE_* (every name it has had) -> mode, in the application's choice order."""
    out = {}
    for r in _rows():
        out["MCUBOOT_BOOTLOADER_MODE_" + r.app] = r.mode
        for old, _until in r.old_names:
            out["MCUBOOT_BOOTLOADER_MODE_" + old] = r.mode
    return out


@lru_cache(maxsize=1)
def sysbuild_symbols() -> dict:
    """SB_CONFIG_ name MCUBOOT_MODE_* (every name it has had) -> (the application's mode suffix,
    MCUboot's symbols, mode): what sysbuild forces into both images."""
    out = {}
    for r in _rows():
        out["MCUBOOT_MODE_" + r.sysbuild] = (r.app, list(r.mcuboot), r.mode)
        for old, _until in r.old_names:
            out["MCUBOOT_MODE_" + old] = (r.app, list(r.mcuboot), r.mode)
    return out


@lru_cache(maxsize=1)
def sysbuild_choice_of() -> dict:
    """MCUboot choice symbol -> the sysbuild choice member (MCUBOOT_MODE_*) that selects it."""
    return {r.mcuboot[0]: "MCUBOOT_MODE_" + r.sysbuild for r in _rows() if r.choice is not None}


def _row(mode: str):
    for r in _rows():
        if r.mode == mode:
            return r
    raise KeyError(mode)


def _name_in(r, name: str, version: tuple) -> str:
    for old, until in r.old_names:
        if until is not None and version < until:
            return old
    return name


def sysbuild_symbol(mode: str, version: tuple) -> str:
    """SB_CONFIG_MCUBOOT_MODE_* for a mode, with the name valid in NCS `version`."""
    r = _row(mode)
    return "SB_CONFIG_MCUBOOT_MODE_" + _name_in(r, r.sysbuild, version)


def app_symbol(mode: str, version: tuple) -> str:
    """CONFIG_MCUBOOT_BOOTLOADER_MODE_* for a mode, with the name valid in NCS `version`."""
    r = _row(mode)
    return "CONFIG_MCUBOOT_BOOTLOADER_MODE_" + _name_in(r, r.app, version)


def mcuboot_lines(mode: str) -> str:
    """The MCUboot fragment lines that select a mode: CONFIG_BOOT_X=y and CONFIG_BOOT_Y=y."""
    return " and ".join(f"CONFIG_{s}=y" for s in _row(mode).mcuboot)
