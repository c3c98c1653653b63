"""Board names and the file names a build derives from them, per hardware-model era.

Zephyr names a board and looks for the app's board-specific files differently in each era
(docs/naming-eras.md has the sources):

* **HWMv1** (Zephyr up to 3.6, NCS up to 2.6): the board is one name (`bl653_dvk`,
  `nrf9160dk_nrf9160_ns`, `nrf5340dk_nrf5340_cpuappns`). `zephyr_file(CONF_FILES ...)` looks for
  `<BOARD>` and, with a board revision, `<BOARD>_<revision>` (dots as underscores).
* **HWMv2** (Zephyr 3.7+, NCS 2.7+): the board target is `board[@revision]/soc[/cluster][/variant]`.
  The file name is the target with "/" as "_" (`bl653_dvk_nrf52833`), then the same with the
  revision appended; for a board with a single SoC the SoC may be left out (`bl653_dvk`), but not
  both spellings at once.

Lists returned here are most specific first (revision file before the plain one); the build
applies them least specific first.
"""
from __future__ import annotations

TYPE_CHECKING = False      # (typing.TYPE_CHECKING without importing typing)
if TYPE_CHECKING:
    from typing import Optional


HWMV1 = "hwmv1"
HWMV2 = "hwmv2"
EITHER = "either"

# first releases with the hardware model v2
HWMV2_NCS = (2, 7, 0)
HWMV2_ZEPHYR = (3, 7, 0)


def era_of(framework: str, low: tuple, high: tuple) -> str:
    """The hardware-model era of an SDK version range: HWMV1, HWMV2 or EITHER when the range
    spans the change."""
    first = HWMV2_NCS if framework == "ncs" else HWMV2_ZEPHYR
    if tuple(high) < first:
        return HWMV1
    if tuple(low) >= first:
        return HWMV2
    return EITHER


def _rev(rev: str) -> str:
    return rev.replace(".", "_").replace("-", "_") if rev else ""


def hwmv1_name(b) -> Optional[str]:
    """The name a known board had before the hardware model v2, or None when it had none
    dfulint knows of. `hwmv1` in boards.yaml wins; else a short alias (board name without the
    SoC, as single-SoC boards were called: `bl653_dvk`, `xiao_ble_sense`); else the file-name
    form of the target, which most Nordic kits kept (`nrf52840dk_nrf52840`)."""
    from dfulint import knowledge

    row = knowledge.board_row(b.name)
    explicit = row.get("hwmv1") if row else None
    if explicit:
        return str(explicit)
    parts = b.target.split("/")
    short = "_".join([parts[0]] + parts[2:])
    if short in b.aliases and short != b.name:
        return short
    if row and row.get("hwmv2_only"):
        return None
    return b.name


def hwmv2_stems(b, rev: str = "") -> list[str]:
    """HWMv2 file stems of a known board target, most specific first: `<target>_<rev>`,
    `<target>`, and for single-SoC boards the shortened `<board>[_<quals>]` forms."""
    from dfulint import knowledge

    parts = b.target.split("/")
    full = "_".join(parts)
    out = []
    if rev:
        out.append(f"{full}_{_rev(rev)}")
    out.append(full)
    if len(parts) >= 2 and knowledge.single_soc(parts[0]):
        short = "_".join([parts[0]] + parts[2:])
        if rev:
            out.append(f"{short}_{_rev(rev)}")
        out.append(short)
    return list(dict.fromkeys(out))


def hwmv1_stems(name: str, rev: str = "") -> list[str]:
    return ([f"{name}_{_rev(rev)}"] if rev else []) + [name]


def board_stems(name: str, era: str, revision: str = "") -> list[str]:
    """File stems the build looks for, for the board called `name` (any spelling of a known board,
    or a custom board's name), in `era`. EITHER gives the union of both eras."""
    from dfulint import knowledge

    b = knowledge.board(name)
    if b is None:
        head, rev, quals = knowledge.split_board(name)
        rev = revision or rev
        plain = head + ("_" + quals.replace("/", "_") if quals else "")
        return hwmv1_stems(plain, rev)
    rev = revision or b.revision
    out: list[str] = []
    if era in (HWMV1, EITHER):
        v1 = hwmv1_name(b)
        if v1:
            out += hwmv1_stems(v1, rev)
    if era in (HWMV2, EITHER):
        out += hwmv2_stems(b, rev)
    if not out:
        out = hwmv2_stems(b, rev)
    return list(dict.fromkeys(out))


def display_name(name: str, era: str) -> str:
    """How the build names the board in `era`: `bl653_dvk` (HWMv1), `bl653_dvk/nrf52833` (HWMv2)."""
    from dfulint import knowledge

    b = knowledge.board(name)
    if b is None:
        return name
    rev = b.revision
    if era == HWMV1:
        v1 = hwmv1_name(b) or b.name
        return f"{v1}@{rev}" if rev and "@" in name else v1
    head, _, quals = b.target.partition("/")
    if rev and "@" in name:
        head += "@" + rev
    return head + ("/" + quals if quals else "")


def stem_eras(stem: str) -> set:
    """The eras in which a file stem names a known board: {HWMV1}, {HWMV2}, both, or empty."""
    from dfulint import knowledge

    b = knowledge.board(stem)
    if b is None:
        return set()
    out = set()
    if stem in hwmv1_stems(hwmv1_name(b) or "", b.revision):
        out.add(HWMV1)
    if stem in hwmv2_stems(b, b.revision):
        out.add(HWMV2)
    return out

