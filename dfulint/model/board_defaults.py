"""The Kconfig defaults a board defined in the repository gives in its `Kconfig.defconfig`.

Zephyr sources every `Kconfig.defconfig` before the symbols' own definitions so that a board can
override their defaults (zephyrproject-rtos/zephyr `Kconfig.zephyr`: "Include Kconfig.defconfig
files first so that they can override defaults"); Kconfig then uses the first default whose
condition holds. A Thingy:53-style board turns MCUboot on there (`config BOOTLOADER_MCUBOOT
default y if !MCUBOOT`), an nRF54L board sets `ROM_START_OFFSET`, a board with a NOR its layout page.

Only the symbols of dfulint's Kconfig catalogue for the image are taken, with a literal value
(y, n, a number or a string) and a condition dfulint can evaluate (the board and SoC names, the
image's own values, `MCUBOOT` for the bootloader image); the rest is said in the image's notes.
A default is given to Kconfig as an assignment loaded before every fragment, so any fragment of
the app still wins.
"""
from __future__ import annotations

import re
from pathlib import Path

from dfulint.sources.kconf import Assignment, Fragment

TYPE_CHECKING = False      # (typing.TYPE_CHECKING without importing typing)
if TYPE_CHECKING:
    from typing import Optional

_LITERAL = r'(?:[ynm]|-?\d+|0[xX][0-9a-fA-F]+|"[^"$]*")'


def defconfig_path(app, board: Optional[str]) -> Optional[Path]:
    """`Kconfig.defconfig` beside the devicetree of a board defined in the repository, if any."""
    if not board:
        return None
    dts = app.custom_boards.get(board.split("@", 1)[0])
    if dts is None:
        return None
    p = dts.parent / "Kconfig.defconfig"
    return p if p.is_file() else None


def defaults_fragment(t, image, path: Path, cfg) -> tuple[Optional[Fragment], list[str]]:
    """The defaults of `path` that apply to `image` given its values so far (`cfg`), as a fragment to
    load first, and notes on the DFU-relevant defaults that could not be decided."""
    from dfulint.model.kconfig import eval_condition, symbol
    from dfulint.model.sysbuild import board_fact
    from dfulint.sources.kconfig_defaults import parse_kconfig_defaults

    parsed = parse_kconfig_defaults(path)
    out: list[Assignment] = []
    notes: list[str] = []
    decided: set = set()
    rel = t.app.rel(path)

    def lookup(name: str):
        if name == "MCUBOOT":
            return "y" if image.name == "mcuboot" else "n"
        try:
            return board_fact(t, name)
        except KeyError:
            pass
        if cfg is None or symbol(name, image.name, t.kconfig_version) is None:
            return None
        v = cfg.get(name).value
        return v if v is not None else "n"

    for d in parsed.defaults:
        if d.choice or d.symbol in decided or symbol(d.symbol, image.name, t.kconfig_version) is None:
            continue
        ok = eval_condition(d.condition, lookup)
        if ok is False:
            continue
        decided.add(d.symbol)
        if ok is None:
            notes.append(f"{rel}:{d.span.line}: the board's default of CONFIG_{d.symbol} depends on "
                         f"{d.condition}, which dfulint cannot tell here: not applied (low confidence)")
            continue
        if not re.fullmatch(_LITERAL, d.value.strip()):
            notes.append(f"{rel}:{d.span.line}: the board's default of CONFIG_{d.symbol} is {d.value}, which "
                         "dfulint does not evaluate: not applied (low confidence)")
            continue
        out.append(Assignment(d.symbol, d.value.strip(), d.span, d.span, "CONFIG_"))
    return (Fragment(path, out) if out else None), notes
