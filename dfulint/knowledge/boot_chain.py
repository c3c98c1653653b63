"""The boot-chain tables (boot_chain.yaml): vector-table alignment per SoC, libraries that
confirm the running image, flash protection per SoC family, and boards' own partitions."""
from __future__ import annotations

import functools
from pathlib import Path

from dfulint.records import NamedTuple

TYPE_CHECKING = False      # (typing.TYPE_CHECKING without importing typing)
if TYPE_CHECKING:
    from typing import Optional

_PATH = Path(__file__).with_name("boot_chain.yaml")


class BoardPartition(NamedTuple):
    label: str
    address: int
    size: int


class BoardLayout(NamedTuple):
    """The fixed-partitions a board's devicetree defines, for a range of Zephyr releases."""
    boards: tuple
    low: tuple
    high: Optional[tuple]
    flash: str
    partitions: tuple          # tuple[BoardPartition, ...]
    source: str


def _v(text) -> Optional[tuple]:
    if text is None:
        return None
    parts = [int(x) for x in str(text).split(".")[:3]]
    return tuple(parts + [0] * (3 - len(parts)))


@functools.lru_cache(maxsize=1)
def _data() -> dict:
    from dfulint.knowledge import load_table
    return load_table(_PATH) or {}


def vector_align(soc) -> Optional[tuple]:
    """(alignment, source) of the vector table for a knowledge.Soc, or None when unknown."""
    if soc is None:
        return None
    rows = _data().get("vector_align") or ()
    for row in rows:
        if row.get("soc") == soc.name:
            return int(row["align"]), row.get("source", "")
    for row in rows:
        if row.get("family") and row.get("family") == soc.family:
            return int(row["align"]), row.get("source", "")
    return None


def confirming_libraries() -> tuple:
    """(symbol, what) of libraries that confirm the image themselves."""
    return tuple((r["symbol"], r.get("what", "")) for r in _data().get("confirming_libraries") or ())


def protection(family: Optional[str]) -> Optional[tuple]:
    """(mechanism, source) protecting boot stages on an SoC family."""
    for r in _data().get("protection") or ():
        if r.get("family") == family:
            return r.get("mechanism", ""), r.get("source", "")
    return None


@functools.lru_cache(maxsize=1)
def board_layouts() -> tuple:
    out = []
    for r in _data().get("board_partitions") or ():
        lo, hi = (list(r.get("zephyr") or []) + [None, None])[:2]
        parts = tuple(BoardPartition(str(p[0]), int(p[1]), int(p[2])) for p in r.get("partitions") or ())
        out.append(BoardLayout(tuple(r.get("boards") or ()), _v(lo) or (0, 0, 0), _v(hi),
                               str(r.get("flash", "flash0")), parts, str(r.get("source", ""))))
    return tuple(out)


def board_layout(board_name: Optional[str], zephyr_version: Optional[tuple]) -> Optional[BoardLayout]:
    """The board's own partitions in this Zephyr release, when dfulint knows them."""
    if not board_name or zephyr_version is None:
        return None
    for lay in board_layouts():
        if board_name in lay.boards and zephyr_version >= lay.low and (
                lay.high is None or zephyr_version < lay.high):
            return lay
    return None
