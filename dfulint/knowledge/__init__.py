"""Static knowledge about SoCs, boards and SPI NOR parts.

The facts live in the YAML files next to this module (``socs.yaml``, ``boards.yaml``,
``jedec.yaml``); every row names its source. They are read lazily, once, on first use, so
importing this module costs nothing but the class definitions.

Board names come in two spellings:

* the file-name form used by board-specific files (``nrf52840dk_nrf52840``,
  ``nrf9160dk_nrf9160_ns_0_14_0``) -- :func:`normalize_board`, :func:`board_file_stems`;
* the HWMv2 board target (``nrf52840dk/nrf52840``, ``nrf9160dk@0.14.0/nrf9160/ns``).

:func:`board` accepts either, old names, and bare HWMv2 board names where they are
unambiguous.
"""
from __future__ import annotations

import functools
import re
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType

from dfulint.records import NamedTuple

TYPE_CHECKING = False      # (typing.TYPE_CHECKING without importing typing)
if TYPE_CHECKING:
    from typing import Any, Iterable, Mapping, Optional, Union

__all__ = [
    "Soc", "BoardNode", "Board", "JedecPart",
    "soc", "socs", "board", "boards", "normalize_board", "split_board", "board_file_stems",
    "soc_for_dts_include", "soc_for_name_hint", "board_row", "single_soc",
    "jedec_capacity", "jedec_part", "jedec_manufacturer", "jedec_lookup", "parse_jedec_id",
    "validate",
]

_HERE = Path(__file__).resolve().parent


# ------------------------------------------------------------------ data classes

class Soc(NamedTuple):
    """A system on chip: its internal flash geometry and what Partition Manager and MCUboot assume of it."""
    name: str              # "nrf52840", "nrf5340_cpuapp", "nrf54l15_cpuapp", ...
    family: str            # "nrf51", "nrf52", "nrf53", "nrf91", "nrf54l", "nrf54h"
    flash_base: int
    flash_size: int        # whole NVM the application core's flash/RRAM controller reaches
    page_size: int         # erase block = MCUboot sector on internal flash
    write_block: int       # 4 on nRF52/53/91, 16 on nRF54L RRAM
    fprotect_block: int    # Partition Manager alignment of MCUboot/app partitions (0 = n/a)
    pm_supported: bool     # the NCS Partition Manager applies
    mcuboot_pad: int       # default mcuboot_pad / image header size
    has_qspi: bool
    nvm: str               # "flash", "rram", "mram"
    flash_region_device: str   # PM flash_primary device (NCS 2.1+); "" where PM does not apply
    source: str
    default_flash_size: int = 0   # size of the SoC dtsi's default zephyr,flash node when smaller
    variant: str = ""             # package variant that changed the numbers ("qfab")
    cryptocell: str = ""          # "cc310", "cc312" or "" (none)

    @property
    def app_flash_size(self) -> int:
        """Size of the default ``zephyr,flash`` node (what PM's flash_primary gets by default)."""
        return self.default_flash_size or self.flash_size


_NO_ENTRIES: Mapping = MappingProxyType({})     # a read-only empty default for the dict fields below


class BoardNode(NamedTuple):
    """A devicetree node a board defines, as dfulint knows it from the board's DTS."""
    path: str              # "/soc/qspi@40029000/mx25r6435f@0" (best effort)
    label: str             # "mx25r64"; "" for an unlabelled node
    compatible: str        # "nordic,qspi-nor"
    status: str            # "okay" / "disabled"
    bus: str = ""          # label of the parent bus node ("qspi", "spi1")
    props: Mapping = _NO_ENTRIES   # {"size": 67108864, "jedec-id": "c2 28 17", ...}

    def __hash__(self) -> int:          # props is a dict: hash on identity-like fields
        return hash((self.path, self.label, self.compatible, self.status, self.bus))

    @property
    def size_bytes(self) -> Optional[int]:
        bits = self.props.get("size")
        return bits // 8 if isinstance(bits, int) else None

    @property
    def jedec_id(self) -> Optional[bytes]:
        v = self.props.get("jedec-id")
        return parse_jedec_id(v) if v is not None else None

    @property
    def okay(self) -> bool:
        return self.status in ("okay", "ok")


class Board(NamedTuple):
    """A board target: its SoC, its devicetree nodes, chosen entries and aliases."""
    name: str              # file-name form, "nrf52840dk_nrf52840"
    target: str            # HWMv2 form, "nrf52840dk/nrf52840"
    soc: str               # Soc.name
    ns: bool = False
    nodes: tuple = ()      # tuple[BoardNode, ...]
    chosen: Mapping = _NO_ENTRIES
    aliases: tuple = ()    # tuple[str, ...]
    source: str = ""
    revision: str = ""     # board revision the caller asked for ("0.14.0"), "" if none
    notes: str = ""

    def __hash__(self) -> int:          # chosen is a dict: hash on the identifying fields
        return hash((self.name, self.revision))

    @property
    def board_name(self) -> str:
        """The bare board name ("nrf9160dk" for "nrf9160dk/nrf9160/ns")."""
        return self.target.split("/", 1)[0]

    def node(self, label: str) -> Optional[BoardNode]:
        for n in self.nodes:
            if n.label == label:
                return n
        return None

    def flash_parts(self) -> tuple:
        """External SPI/QSPI/MSPI NOR nodes the board describes."""
        return tuple(n for n in self.nodes
                     if n.compatible in ("jedec,spi-nor", "nordic,qspi-nor", "jedec,mspi-nor"))


class JedecPart(NamedTuple):
    """A NOR flash part known by its JEDEC ID: maker, part name and size."""
    id: bytes
    manufacturer: str
    part: str
    size: int
    source: str

    def describe(self) -> str:
        return f"{self.manufacturer} {self.part} ({_human_size(self.size)})"


# ------------------------------------------------------------------ loading

def load_table(path: Path) -> Any:
    """A knowledge YAML file as Python data.

    The YAML files are the source of truth. An installed dfulint also ships them in one file
    (``tables.bin``, built by ``dfulint.knowledge.build`` when the package is built), where each
    table is decoded on its own when it is first read (under a millisecond for the largest, where
    parsing its YAML would cost tens); a table whose YAML no longer matches the checksum recorded in
    that file, or that cannot be decoded, is read from its YAML.
    """
    path = Path(path)
    if path.parent == _HERE:
        fp = yaml_fingerprint(path.name)
        if fp is None:
            return None
        built = _prebuilt()
        if built is not None:
            found, data = built.table(path.name, fp)
            if found:
                return data
    from dfulint.knowledge.build import parse_yaml

    try:
        raw = path.read_bytes()
    except OSError:
        if path.parent == _HERE:
            return None
        raise
    return parse_yaml(raw)


#: where the built tables are read from (tests point it elsewhere)
PREBUILT = _HERE / "tables.bin"


@functools.lru_cache(maxsize=None)
def yaml_fingerprint(name: str) -> Optional[str]:
    """The checksum (``dfulint.knowledge.build.fingerprint``) of the knowledge YAML file called
    `name` as this process read it; None when it cannot be read."""
    from dfulint.knowledge.build import fingerprint

    try:
        return fingerprint((_HERE / name).read_bytes())
    except OSError:
        return None


class _Built:
    """The built tables file: its header, and each table's data, decoded when first read."""

    __slots__ = ("entries", "data", "start", "decoded")

    def __init__(self, entries: dict, data: bytes, start: int) -> None:
        self.entries = entries          # YAML file name -> {"fingerprint": ..., "at": [offset, length]}
        self.data = data
        self.start = start              # where the tables' JSON texts begin
        self.decoded: dict = {}

    def table(self, name: str, fp: str) -> tuple:
        """(True, data) of the table built from the YAML file `name` whose checksum is `fp`;
        (False, None) when the file has no such table or it cannot be decoded."""
        key = (name, fp)
        if key in self.decoded:
            return self.decoded[key]
        from dfulint.knowledge.build import decode_table

        got = (False, None)
        entry = self.entries.get(name)
        if isinstance(entry, dict) and entry.get("fingerprint") == fp:
            at = entry.get("at")
            if isinstance(at, list) and len(at) == 2 and all(type(x) is int and x >= 0 for x in at):
                lo = self.start + at[0]
                hi = lo + at[1]
                if hi <= len(self.data):
                    try:
                        got = (True, decode_table(self.data[lo:hi]))
                    except ValueError:
                        pass
        self.decoded[key] = got
        return got


@functools.lru_cache(maxsize=1)
def _prebuilt() -> Optional[_Built]:
    """The built tables file; None when there is no usable file."""
    import json
    import marshal

    from dfulint.knowledge.build import FORMAT

    try:
        data = PREBUILT.read_bytes()
        cut = data.index(b"\n")
        head = json.loads(data[:cut])
    except (OSError, ValueError):
        return None
    if not isinstance(head, dict) or head.get("format") != FORMAT or not isinstance(head.get("tables"), dict) \
            or head.get("marshal") != marshal.version:
        return None         # not a file of this dfulint, or marshalled by a Python that writes another format
    return _Built(head["tables"], data, cut + 1)


# The tables are indexed when first used, and only as far as a lookup needs: a SoC or board record
# is made when it is first asked for, a JEDEC part when its ID is first looked up. validate() builds
# every record (and reports what is wrong with the rows).

class _SocIndex:
    """socs.yaml's rows by SoC name and by (devicetree chip, core)."""

    __slots__ = ("rows", "by_chip", "chips", "flash_labels", "problems")

    def __init__(self) -> None:
        self.rows: dict = {}            # soc name -> row
        self.by_chip: dict = {}         # (dts_chip, core) -> soc name
        self.chips: frozenset = frozenset()
        self.flash_labels: dict = {}    # nvm kind -> internal flash node labels
        self.problems: list = []


_SOC_FIELDS = ("family", "flash_base", "flash_size", "page_size", "write_block", "fprotect_block",
               "pm_supported", "mcuboot_pad", "has_qspi", "nvm", "flash_region_device", "source")


@functools.lru_cache(maxsize=1)
def _soc_index() -> _SocIndex:
    t = _SocIndex()
    data = load_table(_HERE / "socs.yaml") or {}
    labels = data.get("internal_flash_labels") or {}
    t.flash_labels = {str(k): tuple(str(x) for x in v) for k, v in labels.items()
                      if k != "source" and isinstance(v, list)}
    for row in data.get("socs") or ():
        name = row.get("name")
        if not name or any(k not in row for k in _SOC_FIELDS):
            missing = [k for k in _SOC_FIELDS if k not in row]
            t.problems.append(f"socs.yaml: {name or row!r}: missing {', '.join(missing) or 'name'}")
            continue
        if not str(row.get("source") or "").strip():
            t.problems.append(f"socs.yaml: {name}: empty source")
        t.rows[name] = row
        chip = str(row.get("dts_chip") or name).lower()
        core = str(row.get("core") or "")
        t.by_chip[(chip, core)] = name
        if core == "cpuapp" and (chip, "") not in t.by_chip:
            t.by_chip[(chip, "")] = name        # a bare chip name means its application core
    t.chips = frozenset(c for c, _ in t.by_chip)
    return t


@functools.lru_cache(maxsize=None)
def _soc_record(name: str) -> Optional[Soc]:
    row = _soc_index().rows.get(name)
    if row is None:
        return None
    return Soc(name=name, **{k: row[k] for k in _SOC_FIELDS},
               default_flash_size=int(row.get("default_flash_size") or 0),
               cryptocell=str(row.get("cryptocell") or ""))


def _ns_path(path: str) -> str:
    return path.replace("/peripheral@50000000/", "/peripheral@40000000/")


def _make_nodes(rows: Iterable[dict], ns: bool, where: str, problems: list) -> tuple:
    out = []
    for r in rows or ():
        try:
            path = str(r.get("path") or "")
            out.append(BoardNode(
                path=_ns_path(path) if ns else path,
                label=str(r.get("label") or ""),
                compatible=str(r.get("compatible") or ""),
                status=str(r.get("status") or "okay"),
                bus=str(r.get("bus") or ""),
                props=dict(r.get("props") or {}),
            ))
        except AttributeError:
            problems.append(f"boards.yaml: {where}: malformed node {r!r}")
    return tuple(out)


def _resolve_like(rows: dict[str, dict], name: str, seen: tuple = ()) -> dict:
    row = rows[name]
    parent = row.get("like")
    if not parent:
        return dict(row)
    if parent in seen or parent not in rows:
        raise ValueError(f"boards.yaml: {name}: bad 'like: {parent}'")
    base = _resolve_like(rows, parent, seen + (name,))
    merged = dict(row)
    for key in ("nodes", "chosen", "notes", "source", "revisions", "default_revision"):
        if key not in merged and key in base:
            merged[key] = base[key]
    return merged


def _like_problem(rows: dict[str, dict], name: str) -> Optional[str]:
    """What _resolve_like() would raise for `name`, without merging the rows."""
    seen = [name]
    row = rows[name]
    while row.get("like"):
        parent = row["like"]
        if parent in seen[:-1] or parent not in rows:
            return f"boards.yaml: {seen[-1]}: bad 'like: {parent}'"
        seen.append(parent)
        row = rows[parent]
    return None


def _rev_key(rev: str) -> tuple:
    parts = []
    for p in rev.replace("_", ".").split("."):
        parts.append((0, int(p), "") if p.isdigit() else (1, 0, p))
    return tuple(parts)


class _BoardIndex:
    """boards.yaml's rows, and which board each spelling of a board name means."""

    __slots__ = ("rows", "names", "index", "bare", "defaults", "problems")

    def __init__(self) -> None:
        self.rows: dict = {}            # board name -> its own row (before `like`)
        self.names: list = []           # the boards whose `like` resolves, in the table's order
        self.index: dict = {}           # normalized key -> board name
        self.bare: dict = {}            # bare board name -> board names
        self.defaults: dict = {}        # bare board name -> default target
        self.problems: list = []


def _board_key(name: str) -> str:
    """normalize_board(name), without its general parsing for the usual spelling of a table's targets
    and aliases ("nrf9160dk/nrf9160/ns": no revision, no empty qualifier)."""
    if "@" in name or "//" in name or name != name.strip().strip("/"):
        return normalize_board(name)
    return name.replace("/", "_")


@functools.lru_cache(maxsize=1)
def _board_index() -> _BoardIndex:
    t = _BoardIndex()
    raw, index, problems, bare_names = t.rows, t.index, t.problems, t.bare
    for row in (load_table(_HERE / "boards.yaml") or {}).get("boards") or ():
        name = row.get("name")
        if not name or not row.get("target") or not row.get("soc"):
            problems.append(f"boards.yaml: {name or row!r}: needs name, target and soc")
            continue
        if name in raw:
            problems.append(f"boards.yaml: duplicate board {name}")
        raw[name] = row
    for name, row in raw.items():
        if row.get("like"):
            bad = _like_problem(raw, name)
            if bad is not None:
                problems.append(bad)
                continue
        t.names.append(name)
        target = row["target"]
        keys = [name, _board_key(target)]
        aliases = row.get("aliases")
        if aliases:
            keys += [_board_key(a) for a in aliases]
        for k in keys:
            k = k.lower()
            other = index.setdefault(k, name)
            if other != name:
                problems.append(f"boards.yaml: {k!r} names both {other} and {name}")
        bare = target.split("/", 1)[0].lower()
        if bare in bare_names:
            bare_names[bare].append(name)
        else:
            bare_names[bare] = [name]
        if row.get("default"):
            if bare in t.defaults:
                problems.append(f"boards.yaml: two defaults for {bare}")
            t.defaults[bare] = name
    # Zephyr lets single-SoC boards leave the SoC out ("bl5340_dvk/cpuapp", file stem
    # "bl5340_dvk_cpuapp"): index those short spellings too, where they are unambiguous.
    for bare, names in bare_names.items():
        parts = [raw[n]["target"].split("/") for n in names]
        if len({p[1] for p in parts if len(p) > 1}) != 1:
            continue
        for p, n in zip(parts, names):
            if len(p) > 2:
                index.setdefault("_".join([bare] + p[2:]).lower(), n)
    return t


@functools.lru_cache(maxsize=None)
def _board_record(name: str) -> tuple:
    """(Board without revision, its row with what `like` gives it, its revisions sorted, problems)
    of a board of the index."""
    problems: list = []
    row = _resolve_like(_board_index().rows, name)
    if not str(row.get("source") or "").strip():
        problems.append(f"boards.yaml: {name}: no source")
    ns = bool(row.get("ns", False))
    b = Board(
        name=name,
        target=row["target"],
        soc=row["soc"],
        ns=ns,
        nodes=_make_nodes(row.get("nodes"), ns, name, problems),
        chosen=dict(row.get("chosen") or {}),
        aliases=tuple(row.get("aliases") or ()),
        source=str(row.get("source") or ""),
        notes=str(row.get("notes") or ""),
    )
    revs = []
    for rev, extra in (row.get("revisions") or {}).items():
        extra = extra or {}
        if not str(extra.get("source") or "").strip():
            problems.append(f"boards.yaml: {name}@{rev}: no source")
        revs.append((_rev_key(str(rev)), str(rev), extra))
    return b, row, sorted(revs, key=lambda r: r[0]), problems


class _JedecTable:
    """jedec.yaml's manufacturers, parts and citations."""

    __slots__ = ("manufacturers", "parts", "sources")

    def __init__(self, data: dict) -> None:
        self.sources = {str(k): str(v) for k, v in (data.get("sources") or {}).items()}
        self.manufacturers: dict = {}
        for m in data.get("manufacturers") or ():
            self.manufacturers[int(m["id"])] = str(m["name"])
        self.parts: list = list(data.get("parts") or ())

    def src(self, v: Any) -> str:
        v = str(v or "").strip()
        return self.sources.get(v, v)

    def part(self, jid: bytes, row: dict) -> JedecPart:
        return JedecPart(
            id=jid,
            manufacturer=self.manufacturers.get(jid[0], f"0x{jid[0]:02x}"),
            part=str(row.get("part") or ""),
            size=int(row.get("size") or 0),
            source=self.src(row.get("source")),
        )


@functools.lru_cache(maxsize=1)
def _jedec_table() -> _JedecTable:
    """The JEDEC table, read when a flash ID is first looked up (most apps name none)."""
    return _JedecTable(load_table(_HERE / "jedec.yaml") or {})


def _row_id(rid: Any) -> Optional[bytes]:
    """A part row's ID as bytes; None if it is not a valid three-byte ID."""
    try:
        jid = parse_jedec_id(rid)
    except (TypeError, ValueError):
        return None
    return jid if jid is not None and len(jid) == 3 else None


@functools.lru_cache(maxsize=1)
def _jedec_ids() -> tuple:
    """({ID as "c2 28 17": index of the last row spelling it so}, [(index, ID bytes) of the rows
    spelling their ID otherwise]): the parts' rows by ID, without parsing the usual spelling."""
    by_text: dict = {}
    others: list = []
    for i, row in enumerate(_jedec_table().parts):
        rid = row.get("id") if isinstance(row, dict) else None
        if type(rid) is str:
            try:
                if bytes.fromhex(rid).hex(" ") == rid:
                    by_text[rid] = i
                    continue
            except ValueError:
                pass
        jid = _row_id(rid)
        if jid is not None:
            others.append((i, jid))
    return by_text, others


@functools.lru_cache(maxsize=64)
def _jedec_find(jid: bytes) -> Optional[JedecPart]:
    """The part with this three-byte ID (the last row that names it), or None."""
    by_text, others = _jedec_ids()
    at = by_text.get(jid.hex(" "), -1)
    for i, other in others:
        if other == jid and i > at:
            at = i
    return _jedec_table().part(jid, _jedec_table().parts[at]) if at >= 0 else None


def validate() -> list[str]:
    """Problems found while loading the YAML files (empty when all is well)."""
    problems = list(_soc_index().problems)
    for name in _soc_index().rows:
        _soc_record(name)
    problems += _board_index().problems
    for name in _board_index().names:
        b, _row, _revs, found = _board_record(name)
        problems += found
        if b.soc not in _soc_index().rows:
            problems.append(f"boards.yaml: {name}: unknown soc {b.soc}")
    t = _jedec_table()
    for m in (load_table(_HERE / "jedec.yaml") or {}).get("manufacturers") or ():
        if not t.src(m.get("source")):
            problems.append(f"jedec.yaml: manufacturer {m!r}: no source")
    seen = set()
    for row in t.parts:
        jid = _row_id(row.get("id") if isinstance(row, dict) else None)
        if jid is None:
            problems.append(f"jedec.yaml: bad id in {row!r}")
            continue
        if not t.src(row.get("source")):
            problems.append(f"jedec.yaml: {row['id']}: no source")
        if jid in seen:
            problems.append(f"jedec.yaml: duplicate id {row['id']}")
        seen.add(jid)
        if _jedec_find(jid) is None:
            problems.append(f"jedec.yaml: {row['id']}: not found by its ID")
    return problems


# ------------------------------------------------------------------ SoCs

def internal_flash_labels(nvm: Optional[str]) -> tuple:
    """Node labels of the application core's own flash in the SoC devicetree ("flash0", "cpuapp_rram");
    every kind's labels when the memory kind is not known."""
    labels = _soc_index().flash_labels
    if nvm in labels:
        return labels[nvm]
    return tuple(x for v in labels.values() for x in v)


def soc(name: str) -> Optional[Soc]:
    """The SoC called ``name`` ("nrf52840", "nrf5340_cpuapp", ...); None if unknown.
    A bare multi-core chip name ("nrf5340", "nrf54l15") means its application core."""
    if not name:
        return None
    t = _soc_index()
    key = str(name).strip().lower()
    if key in t.rows:
        return _soc_record(key)
    if (key, "") in t.by_chip:
        return _soc_record(t.by_chip[(key, "")])      # bare chip name: its application core
    return None


def socs() -> tuple:
    return tuple(_soc_record(name) for name in _soc_index().rows)


def _soc_variant(name: str, variant: str) -> Optional[Soc]:
    s = _soc_record(name)
    if s is None:
        return None
    over = (_soc_index().rows[name].get("variants") or {}).get(variant) if variant else None
    if not over:
        return s
    return s._replace(variant=variant, **{k: v for k, v in over.items() if k in Soc._fields})


def _is_package(tok: str) -> bool:
    """A SoC package code: four lower-case letters (qiaa, qkaa, sica, laca, caaa, ...)."""
    return len(tok) == 4 and tok.isascii() and tok.isalpha() and tok.islower()

_SKIP_CORES = {"cpuflpr", "cpuppr", "cpurad", "cpusec", "cpusys", "cpuflprxip", "cpupprxip"}


def soc_for_dts_include(include: str) -> Optional[Soc]:
    """SoC from a devicetree include such as ``<nordic/nrf52840_qiaa.dtsi>``.

    Only SoC devicetree files count (``nrf5340_cpuapp_qkaa``, ``nrf9160ns_sica``,
    ``nrf54l15_cpuapp``); partition, pinctrl and peripheral files return None, as do
    includes for cores dfulint does not model (FLPR, PPR, radio core).
    """
    if not include:
        return None
    s = include.strip().strip('<>"').strip()
    base = s.replace("\\", "/").rsplit("/", 1)[-1].lower()
    for ext in (".dtsi", ".dts", ".overlay"):
        if base.endswith(ext):
            base = base[: -len(ext)]
    toks = [x for x in base.split("_") if x]
    if not toks:
        return None
    t = _soc_index()
    chip = toks[0]
    chips = t.chips
    if chip not in chips and chip.endswith("ns") and chip[:-2] in chips:
        chip = chip[:-2]
    if chip not in chips:
        return None
    core, variant = "", ""
    for tok in toks[1:]:
        if tok in ("cpuapp", "cpuappns"):
            core = "cpuapp"
        elif tok in ("cpunet",):
            core = "cpunet"
        elif tok in _SKIP_CORES:
            return None
        elif tok == "ns":
            continue
        elif tok in ("enga", "engb", "engc"):
            continue
        elif _is_package(tok):
            variant = tok
        else:
            return None
    name = t.by_chip.get((chip, core))
    if name is None:
        return None
    return _soc_variant(name, variant)


_CHIP_RE = r"nrf(?:54lm20[ab]?|54lv10a?|54l(?:05|10|15)|54h20|5340|91[3-6]\d|912\d|528\d\d|51[48]22)"


def soc_for_name_hint(text: str) -> Optional[Soc]:
    """Best-effort SoC from a board- or SoC-ish string ("nrf52833", "NRF52840_QIAA",
    "nrf52833dk_nrf52820", "my_board_nrf5340_cpunet"). The right-most SoC name wins,
    since board names put the SoC after the board ("nrf9160dk_nrf52840")."""
    if not text:
        return None
    low = str(text).lower()
    bi = _board_index()
    key = normalize_board(low).lower()
    if key in bi.index:
        return soc(bi.rows[bi.index[key]]["soc"])
    matches = list(re.finditer(_CHIP_RE, low)) if "nrf" in low else []
    if not matches:
        return None
    m = matches[-1]
    chip = m.group(0)
    rest = low[m.end():]
    if chip in ("nrf54lm20",):
        chip = "nrf54lm20a"
    if chip == "nrf54lv10":
        chip = "nrf54lv10a"
    tail_tokens = set(re.split(r"[^a-z0-9]+", rest))
    if tail_tokens & _SKIP_CORES:
        return None
    core = "cpunet" if ("cpunet" in tail_tokens or "net" in tail_tokens) else ""
    t = _soc_index()
    if (chip, core) not in t.by_chip:
        core = ""
    name = t.by_chip.get((chip, core))
    if name is None:
        return None
    variant = ""
    for tok in tail_tokens:
        if _is_package(tok) and tok not in ("enga", "engb"):
            variant = tok
            break
    return _soc_variant(name, variant)


# ------------------------------------------------------------------ board names

_REV_RE = r"@([A-Za-z0-9][A-Za-z0-9._-]*)"


def split_board(name: str) -> tuple:
    """Split a board string into (board, revision, qualifiers).

    ``"nrf9160dk@0.14.0/nrf9160/ns"`` -> ``("nrf9160dk", "0.14.0", "nrf9160/ns")``;
    ``"nrf9160dk_nrf9160_ns@0.14.0"`` (HWMv1) -> ``("nrf9160dk_nrf9160_ns", "0.14.0", "")``.
    A two-part numeric revision is padded ("0.14" -> "0.14.0"), as Zephyr does for
    MAJOR.MINOR.PATCH boards.
    """
    s = str(name or "").strip().strip("/")
    rev = ""
    m = re.search(_REV_RE, s) if "@" in s else None
    if m:
        rev = m.group(1)
        # the revision ends at the next "/" (HWMv2) or the end of the string (HWMv1)
        rev = rev.split("/", 1)[0]
        s = s[: m.start()] + s[m.start() + 1 + len(rev):]
    if rev and re.fullmatch(r"\d+\.\d+", rev):
        rev += ".0"
    head, _, quals = s.partition("/")
    return head, rev, quals.strip("/")


def _rev_suffix(rev: str) -> str:
    return rev.replace(".", "_").replace("-", "_") if rev else ""


def normalize_board(name: str) -> str:
    """File-name form of a board target: "/" -> "_", revision appended as "_0_14_0".

    Purely textual: ``"nrf9160dk@0.14.0/nrf9160/ns"`` -> ``"nrf9160dk_nrf9160_ns_0_14_0"``,
    ``"nrf52840dk/nrf52840"`` -> ``"nrf52840dk_nrf52840"``.
    """
    head, rev, quals = split_board(name)
    out = head + ("_" + quals.replace("/", "_") if quals else "")
    if rev:
        out += "_" + _rev_suffix(rev)
    return out


@functools.lru_cache(maxsize=512)
def _resolve(name: str) -> Optional[str]:
    """Board table key for a board string without revision; None if unknown/ambiguous."""
    t = _board_index()
    key = name.lower()
    if key in t.index:
        return t.index[key]
    # bare HWMv2 board name ("nrf52840dk", "xiao_ble")
    cands = t.bare.get(key)
    if cands:
        if key in t.defaults:
            return t.defaults[key]
        if len(cands) == 1:
            return cands[0]
        rows = t.rows
        plain = [c for c in cands if not rows[c].get("ns", False) and rows[c]["target"].count("/") == 1]
        if len(plain) == 1 and all(rows[c]["target"].split("/")[1] == rows[plain[0]]["target"].split("/")[1]
                                   for c in cands):
            # only variants of one SoC target besides it (e.g. xiao_ble/nrf52840/sense)
            return plain[0]
    return None


@functools.lru_cache(maxsize=512)
def _board_with_revision(base: str, rev: str) -> Board:
    b, _row, revisions, _problems = _board_record(base)
    if not rev:
        return b
    nodes = list(b.nodes)
    chosen = dict(b.chosen)
    sources = [b.source] if b.source else []
    want = _rev_key(rev)
    for key, r, extra in revisions:
        if key <= want:
            for n in _make_nodes(extra.get("nodes"), b.ns, f"{base}@{r}", []):
                nodes = [x for x in nodes if not (n.label and x.label == n.label)] + [n]
            chosen.update(extra.get("chosen") or {})
            if extra.get("source"):
                sources.append(str(extra["source"]))
    return b._replace(nodes=tuple(nodes), chosen=chosen, revision=rev, source="; ".join(sources))


def board(name: str) -> Optional[Board]:
    """The board called ``name`` in any spelling; None if unknown or ambiguous.

    Accepts ``nrf52840dk_nrf52840``, ``nrf52840dk/nrf52840``, ``nrf52840dk@2.0.0/nrf52840``,
    ``nrf9160dk@0.14.0/nrf9160/ns``, old names (``nrf54l15pdk_nrf54l15_cpuapp``,
    ``nrf5340dk_nrf5340_cpuappns``) and bare HWMv2 names where they are unambiguous
    (``nrf52840dk``, ``xiao_ble``). With a revision, nodes that revision overlays add
    are included and ``Board.revision`` is set.
    """
    if not name or not str(name).strip():
        return None
    head, rev, quals = split_board(str(name))
    plain = head + ("_" + quals.replace("/", "_") if quals else "")
    base = _resolve(plain)
    if base is None and not rev and not quals:
        # a revision written HWMv1-style without "@": "nrf9160dk_nrf9160_ns_0_14_0"
        m = re.fullmatch(r"(.+?)_(\d+_\d+_\d+)", plain)
        if m:
            base = _resolve(m.group(1))
            if base is not None:
                rev = m.group(2).replace("_", ".")
    if base is None:
        return None
    if not rev:
        # no revision given: the build uses the board's default revision, with its nodes
        default = _board_record(base)[1].get("default_revision")
        if default:
            return _board_with_revision(base, str(default))
    return _board_with_revision(base, rev)


def boards() -> tuple:
    return tuple(_board_record(name)[0] for name in _board_index().names)


def board_row(name: str) -> Optional[dict]:
    """The boards.yaml row of a known board (by its table name), for fields only some rows carry."""
    b = board(name)
    return _board_record(b.name)[1] if b is not None else None


def single_soc(bare: str) -> bool:
    """Whether a board (bare HWMv2 name) has a single SoC, so Zephyr lets files leave the SoC out."""
    return _single_soc(bare)


def _single_soc(bare: str) -> bool:
    t = _board_index()
    cands = t.bare.get(bare.lower()) or []
    socs_ = {t.rows[c]["target"].split("/")[1] for c in cands if t.rows[c]["target"].count("/") >= 1}
    return len(socs_) == 1


def board_file_stems(name: str) -> list:
    """Stems of board-specific file names for a board string, most specific first.

    ``<board>_<qualifiers>_<rev>``, ``<board>_<qualifiers>`` and, for known boards with a
    single SoC (where Zephyr lets the SoC qualifier be left out), the same without the SoC:
    ``"nrf9160dk@0.14.0/nrf9160/ns"`` -> ``["nrf9160dk_nrf9160_ns_0_14_0", "nrf9160dk_nrf9160_ns"]``,
    ``"xiao_ble/nrf52840/sense"`` -> ``["xiao_ble_nrf52840_sense", "xiao_ble_sense"]``.
    A bare HWMv2 name of a known board ("xiao_ble", "nrf52840dk") is expanded to the target
    it builds; any other spelling (HWMv1 or old names) is kept as given, because a build
    that uses an old name only looks for files carrying that name.
    """
    if not name or not str(name).strip():
        return []
    head, rev, quals = split_board(str(name))
    b = board(name)
    if b is not None:
        if b.revision and not rev:
            # HWMv1-style "..._0_14_0": the revision is already part of the name
            sfx = "_" + _rev_suffix(b.revision)
            if head.lower().endswith(sfx):
                head = head[: -len(sfx)]
            rev = b.revision
        if "/" in b.target and (quals or head.lower() == b.board_name.lower()):
            # any HWMv2 spelling (or the bare board name) means the board's canonical target
            head, _, quals = split_board(b.target)
    stems: list = []

    def add(s: str) -> None:
        if s and s not in stems:
            stems.append(s)

    q = quals.split("/") if quals else []
    suffix = "_" + _rev_suffix(rev) if rev else ""
    full = "_".join([head] + q)
    if rev:
        add(full + suffix)
    add(full)
    if b is not None and q and _single_soc(head):
        short = "_".join([head] + q[1:])
        if rev:
            add(short + suffix)
        add(short)
    return stems


# ------------------------------------------------------------------ JEDEC IDs

def parse_jedec_id(value: Union[bytes, bytearray, str, Iterable[int], None]) -> Optional[bytes]:
    """bytes from b"\\xc2\\x28\\x17", "c2 28 17", "[C2 28 17]", "0xc22817", [0xc2, 0x28, 0x17]."""
    if value is None:
        return None
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if isinstance(value, str):
        s = value.strip().strip("[]").strip()
        if not s:
            return None
        if s.lower().startswith("0x") and " " not in s:
            h = s[2:]
            if len(h) % 2:
                h = "0" + h
            return bytes.fromhex(h)
        parts = s.replace(",", " ").split()
        if len(parts) == 1 and len(parts[0]) > 2:
            return bytes.fromhex(parts[0])
        return bytes(int(p, 16) for p in parts)
    return bytes(int(x) & 0xFF for x in value)


def jedec_lookup(jedec_id) -> Optional[JedecPart]:
    jid = parse_jedec_id(jedec_id)
    if jid is None or len(jid) < 3:
        return None
    return _jedec_find(jid[:3])


def jedec_manufacturer(jedec_id) -> Optional[str]:
    jid = parse_jedec_id(jedec_id)
    if not jid:
        return None
    return _jedec_table().manufacturers.get(jid[0])


def jedec_capacity(jedec_id) -> Optional[int]:
    """Capacity in bytes of the part with this JEDEC ID, or None if it cannot be told.

    A listed part gives its size; otherwise the third byte is decoded, with the
    manufacturer-specific encodings of Adesto/Atmel, SST, Macronix 1.8 V/octal and old
    Spansion parts (see jedec.yaml).
    """
    jid = parse_jedec_id(jedec_id)
    if jid is None or len(jid) < 3:
        return None
    part = _jedec_find(jid[:3])
    if part is not None and part.size:
        return part.size
    mf, typ, cap = jid[0], jid[1], jid[2]
    if mf in (0x00, 0xFF) or (typ, cap) in ((0x00, 0x00), (0xFF, 0xFF)):
        return None
    if mf == 0x1F and cap < 0x10:
        density = typ & 0x1F            # Atmel/Adesto: family code (bits 7-5) + density code
        if 1 <= density <= 0x11:
            return 1 << (density + 15)
        return None
    if mf == 0xBF and typ in (0x25, 0x26) and 0x41 <= cap <= 0x43:
        return (2 << 20) << (cap - 0x41)  # SST25/26 VF 016/032/064 B
    if mf == 0xC2 and 0x32 <= cap <= 0x3C:
        return 1 << (cap - 0x20)        # Macronix MX25U / MX25UW / MX25LM
    if mf == 0x01 and typ == 0x02 and 0x10 <= cap <= 0x16:
        return 1 << (cap + 1)           # Spansion S25FL-A
    if 0x10 <= cap <= 0x1F:
        return 1 << cap
    if 0x20 <= cap <= 0x22:
        return 1 << (cap - 6)           # 512 Mbit, 1 Gbit, 2 Gbit
    return None


def jedec_part(jedec_id) -> Optional[str]:
    """Human-readable part for a JEDEC ID, e.g. "Macronix MX25R6435F (8 MiB)"; None if unknown."""
    p = jedec_lookup(jedec_id)
    return p.describe() if p is not None else None


def _human_size(n: int) -> str:
    if n >= 1 << 20 and n % (1 << 20) == 0:
        return f"{n >> 20} MiB"
    if n >= 1 << 10 and n % (1 << 10) == 0:
        return f"{n >> 10} KiB"
    return f"{n} B"


# ------------------------------------------------------------------ MCUboot's own board fragments

class McubootBoardFragment(NamedTuple):
    """Settings MCUboot's own tree adds for a board, in the NCS versions that have them."""
    board: str
    since: tuple
    until: Optional[tuple]
    values: dict
    source: str

    def __hash__(self) -> int:
        return hash((self.board, self.since, self.until))


def _v3(text) -> Optional[tuple]:
    if text is None:
        return None
    parts = [int(x) for x in str(text).split(".")[:3]]
    return tuple(parts + [0] * (3 - len(parts)))


@lru_cache(maxsize=1)
def _mcuboot_board_rows() -> tuple:
    """(mcuboot_boards.yaml's fragment rows, {board: positions of its rows})."""
    rows = list((load_table(_HERE / "mcuboot_boards.yaml") or {}).get("fragments") or [])
    by_board: dict = {}
    for i, row in enumerate(rows):
        by_board.setdefault(str(row["board"]), []).append(i)
    return rows, by_board


@lru_cache(maxsize=None)
def _mcuboot_fragment(i: int) -> McubootBoardFragment:
    row = _mcuboot_board_rows()[0][i]
    return McubootBoardFragment(str(row["board"]), _v3(row.get("since")) or (0, 0, 0),
                                _v3(row.get("until")), dict(row.get("values") or {}),
                                str(row.get("source", "")))


def mcuboot_board_fragments() -> tuple:
    """The values MCUboot's own boards/<board>.conf files set, per NCS version range."""
    return tuple(_mcuboot_fragment(i) for i in range(len(_mcuboot_board_rows()[0])))


def mcuboot_board_value(stems: Iterable[str], sym: str, low: tuple, high: tuple):
    """(value, source, certain) MCUboot's own board fragment gives `sym` for a board known by its
    file stems, for a project on NCS versions low..high; (None, "", True) when none does.
    `certain` is False when only part of the version range has the fragment. The first fragment in
    the table's order that applies gives it; only the stems' own fragments are made."""
    by_board = _mcuboot_board_rows()[1]
    for i in sorted({i for s in set(stems) for i in by_board.get(s, ())}):
        frag = _mcuboot_fragment(i)
        if sym not in frag.values:
            continue
        if high < frag.since or (frag.until is not None and low >= frag.until):
            continue
        return frag.values[sym], frag.source, low >= frag.since and (frag.until is None or high < frag.until)
    return None, "", True


class McubootMode(NamedTuple):
    """One MCUboot upgrade mode and its names in MCUboot, the application and sysbuild."""
    mode: str                   # "swap-move", "overwrite-only", ...
    mcuboot: tuple              # MCUboot's symbols that select it
    app: str                    # CONFIG_MCUBOOT_BOOTLOADER_MODE_<app>
    sysbuild: str               # SB_CONFIG_MCUBOOT_MODE_<sysbuild>
    choice: Optional[int]       # position in MCUboot's mode choice (None: a variant of another row)
    old_names: tuple            # ((name, first NCS version without it), ...)
    source: str


@lru_cache(maxsize=1)
def mcuboot_modes() -> tuple:
    """Every MCUboot upgrade mode (knowledge/mcuboot_modes.yaml), in the table's order."""
    data = load_table(_HERE / "mcuboot_modes.yaml") or {}
    out = []
    for row in data.get("modes") or []:
        out.append(McubootMode(
            str(row["mode"]), tuple(row["mcuboot"]), str(row["app"]), str(row["sysbuild"]),
            row.get("choice"), tuple((str(o["name"]), _v3(o.get("until"))) for o in row.get("old_names") or ()),
            str(row.get("source", ""))))
    return tuple(out)


class SocFamily(NamedTuple):
    """What every SoC of a family shares: the clocks of the buses an external flash sits on."""
    name: str
    spim_max_hz: int
    fast_spim: tuple            # ((node label, peripheral address, highest SCK in Hz), ...)
    qspi_max_hz: Optional[int]
    source: str


@lru_cache(maxsize=1)
def _soc_families() -> tuple:
    data = load_table(_HERE / "soc_families.yaml") or {}
    default = int(data.get("default_spim_max_hz") or 8_000_000)
    fams = {}
    for row in data.get("families") or []:
        fams[str(row["name"])] = SocFamily(
            str(row["name"]), int(row.get("spim_max_hz") or default),
            tuple((str(f["label"]), int(f["address"]), int(f["max_hz"])) for f in row.get("fast_spim") or ()),
            int(row["qspi_max_hz"]) if row.get("qspi_max_hz") else None, str(row.get("source", "")))
    return default, fams


@lru_cache(maxsize=1)
def soc_series() -> tuple:
    """((family, SOC_SERIES_* fact or None), ...): every SoC family dfulint recognises, in the table's
    order (knowledge/soc_families.yaml `series`)."""
    data = load_table(_HERE / "soc_families.yaml") or {}
    return tuple((str(r["family"]), str(r["kconfig"]) if r.get("kconfig") else None) for r in data.get("series") or ())


class PartitionNames(NamedTuple):
    """Partition Manager's partition names by kind (knowledge/partitions.yaml)."""
    non_flash_regions: tuple    # region name prefixes that are not flash
    containers: frozenset
    secure: frozenset
    packed: frozenset
    first_part: Mapping         # container -> the part it starts with
    dts_labels: Mapping         # devicetree partition label -> Partition Manager name
    slots: tuple                # ((role, (names...)), ...): MCUboot's slots, PM name first
    flash_compatibles: frozenset    # the flash devices Partition Manager manages
    source: str


@lru_cache(maxsize=1)
def partition_names() -> PartitionNames:
    d = load_table(_HERE / "partitions.yaml") or {}
    return PartitionNames(
        tuple(d.get("non_flash_regions") or ()), frozenset(d.get("containers") or ()), frozenset(d.get("secure") or ()),
        frozenset(d.get("packed") or ()), MappingProxyType(dict(d.get("first_part") or {})),
        MappingProxyType(dict(d.get("dts_labels") or {})),
        tuple((str(role), tuple(names)) for role, names in (d.get("slots") or {}).items()),
        frozenset(d.get("flash_compatibles") or ()), str(d.get("source", "")))


def soc_family(name: Optional[str]) -> Optional[SocFamily]:
    """The shared facts of a SoC family ("nrf52", "nrf54l", ...), or None for a family not in the table."""
    return _soc_families()[1].get(name or "")


def default_spim_max_hz() -> int:
    """The SCK limit of an SPI(M) instance of a family dfulint has no row for."""
    return _soc_families()[0]


@lru_cache(maxsize=1)
def releases() -> dict:
    """knowledge/releases.yaml: facts that follow a release of Zephyr, MCUboot or NCS."""
    return load_table(_HERE / "releases.yaml") or {}


def recovery_wait_broken() -> tuple:
    """((from, before, source), ...): NCS releases whose MCUboot does not boot the application after
    waiting for an MCUmgr command (releases.yaml)."""
    return tuple((_v3(r["from"]), _v3(r["before"]), str(r.get("source", "")))
                 for r in releases().get("recovery_wait_broken") or ())


def ncs_releases() -> tuple:
    """The NCS minor releases, oldest first (releases.yaml)."""
    return tuple(_v3(v) for v in releases().get("ncs_releases") or ())


def zephyr_mcuboot(zephyr_version: tuple) -> tuple:
    """The MCUboot version a Zephyr release carries."""
    data = releases()
    for row in data.get("zephyr_mcuboot") or ():
        if tuple(zephyr_version) >= _v3(row["zephyr"]):
            return _v3(row["mcuboot"])
    return _v3(data.get("zephyr_mcuboot_oldest") or "1.7.0")


@lru_cache(maxsize=1)
def sysbuild_forced() -> tuple:
    """((image symbol, SB_CONFIG_ name without prefix, "all" or "mcuboot"), ...): image settings
    sysbuild writes from its own configuration (knowledge/sysbuild_forced.yaml)."""
    data = load_table(_HERE / "sysbuild_forced.yaml") or {}
    return tuple((str(r["image_symbol"]), str(r["sysbuild"]), str(r.get("images") or "all"))
                 for r in data.get("forced") or ())
