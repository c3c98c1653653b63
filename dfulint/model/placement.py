"""Partition Manager placement: predict the flash layout an NCS build will get.

`place()` takes what decides the layout (SoC flash geometry, the MCUboot and application
Kconfig values that size and order the partitions, the pm_static file) and returns the
FlashMap Partition Manager would write into partitions.yml, together with the failures PM
itself would stop the build with.

The model follows what NCS's Partition Manager does (sdk-nrf `scripts/partition_manager.py`,
run on real layouts):

* Templates. MCUboot's `boot/zephyr/pm.yml` (preprocessed with the MCUboot image's Kconfig)
  gives `mcuboot` (before `mcuboot_primary`), `mcuboot_pad` (before `mcuboot_primary_app`,
  start-aligned to the FPROTECT block), the containers `mcuboot_primary_app = [app]` and
  `mcuboot_primary = [mcuboot_pad, mcuboot_primary_app]`, `mcuboot_secondary` (share_size of
  `mcuboot_primary`; after it and FPROTECT-aligned with `align_next`, or in `external_flash`),
  `mcuboot_scratch` (after `app`) for swap-using-scratch, and the direct-XIP secondary
  pad/app. The application's `pm.yml.settings` adds `settings_storage` before `end`
  (after `app` on nRF54L), FPROTECT-aligned from NCS 2.2.
* Static partitions are taken as written (no overlap, alignment or size checks, exactly as PM)
  and leave dynamic resolving; the dynamic ones go into the single gap they leave in
  `flash_primary`. Any other number of gaps is PM's "Incorrect amount of gaps" failure.
* Dynamic placement: the partitions are ordered by their before/after anchors around `app`;
  the partitions that share size with `app` (or with a container spanning it) split the free
  space equally with it; sizes are fixed from both ends towards `app`, and every alignment
  that is not met inserts an `EMPTY_n` filler whose size is taken from the dynamic partitions.
* `external_flash` is a start-to-end region: pinned partitions must be packed at its start
  (NCS < 2.4 demands that they fill it), dynamic ones follow them, and the rest becomes the
  `external_flash` partition. A secondary placed there copies the primary's final size.

Everything here is a pure function of its input. Odd input (zero or missing sizes,
overlapping statics, a layout that does not fit) never raises: it is reported in
`FlashMap.notes`, and in `FlashMap.errors` when PM itself would fail.
"""
from __future__ import annotations

from pathlib import Path

from dfulint.core import Span
from dfulint.model.flash import FlashDevice, FlashMap, Partition
from dfulint.records import NamedTuple
from dfulint.sources.pm import PmPartition

TYPE_CHECKING = False      # (typing.TYPE_CHECKING without importing typing)
if TYPE_CHECKING:
    from typing import Any, Iterable, Optional

FLASH = "flash_primary"
EXT = "external_flash"
DP = "app"                       # the dynamic partition of flash_primary
START, END = "start", "end"      # pseudo anchors of a region
NON_FLASH_REGIONS = ("sram_primary", "otp", "bootconf")
MAX_FILLERS = 500                # PM gives up (RecursionError) long before this

ALIGNMENT_ERROR = (
    "Unable to fulfill alignment requirement automatically.\n"
    "Please re-size the configured partition sizes to get a valid configuration.\n"
    "If you are not able to get a valid configuration either re-evaluate th e\n"
    "alignment requirements, or use 'static configuration' (see docs) to specify the\n"
    " partitioning. Note that aligning more than one partition which shares size\n"
    " with the dynamic partition (e.g. 'app')  is not supported.")

MODE_ALIASES = {
    "move": "swap-move", "swap-using-move": "swap-move", "swap_move": "swap-move",
    "offset": "swap-offset", "swap-using-offset": "swap-offset", "swap_offset": "swap-offset",
    "scratch": "swap-scratch", "swap-using-scratch": "swap-scratch", "swap_scratch": "swap-scratch",
    "upgrade-only": "overwrite-only", "overwrite": "overwrite-only", "overwrite_only": "overwrite-only",
    "direct-xip-revert": "direct-xip", "direct_xip": "direct-xip", "xip": "direct-xip",
    "single": "single-app", "single-slot": "single-app", "single_app": "single-app",
    "single-application-slot": "single-app",
}
KNOWN_MODES = {"swap-move", "swap-offset", "swap-scratch", "overwrite-only", "direct-xip",
               "ram-load", "single-app", "firmware-loader"}


# --------------------------------------------------------------------------- input


class Sized(NamedTuple):
    """A size or flag value with where it came from, for messages."""

    value: int
    source: str
    span: Optional[Span] = None


class PlacementInput(NamedTuple):
    """Everything Partition Manager's placement depends on for one flash region."""
    flash_base: int                  # internal flash base (0x01000000 on the nRF5340 network core)
    flash_size: int
    page_size: int
    fprotect_block: int              # alignment of mcuboot_pad / secondary / scratch / settings
    soc_family: str                  # "nrf52", "nrf53", "nrf91", "nrf54l"
    ncs_version: tuple[int, int, int]
    static: dict[str, PmPartition]   # the pm_static file's partitions ({} when none)
    static_path: Optional[Path] = None
    mcuboot: bool = True             # BOOTLOADER_MCUBOOT in the application
    mcuboot_size: Sized = Sized(0xC000, "default")
    pad_size: Sized = Sized(0x200, "default")
    mode: str = "swap-move"
    scratch_size: Sized = Sized(0x1E000, "default")
    settings_size: Optional[Sized] = None       # None: no settings_storage partition
    ext_secondary: bool = False      # PM_EXTERNAL_FLASH_MCUBOOT_SECONDARY as MCUboot sees it
    ext_flash_size: Optional[int] = None        # bytes (devicetree size bits / 8)
    ext_flash_base: int = 0
    ext_page_size: int = 4096
    # extra dynamic partitions: (name, size[, placement]) tuples or dicts with the pm.yml keys
    # name, size, before, after, align ({start: n} / {end: n}), align_next, share_size, region
    extra_dynamic: tuple = ()


# --------------------------------------------------------------------------- internals


class _Req:
    """One dynamic partition requirement, as a preprocessed pm.yml states it."""
    __slots__ = ("name", "size", "before", "after", "align_start", "align_end", "align_next", "share", "span",
                 "inside", "region", "origin", "size_text", "size_span")

    name: str
    size: Optional[int]
    before: list[str]
    after: list[str]
    align_start: Optional[int]
    align_end: Optional[int]
    align_next: Optional[int]
    share: list[str]
    span: Optional[list[str]]                 # containers only
    inside: list[str]
    region: str
    origin: str                               # which template defines it
    size_text: str                            # where the size comes from
    size_span: Optional[Span]

    def __init__(self, name: str, size: Optional[int] = None, before: Optional[list[str]] = None,
                 after: Optional[list[str]] = None, align_start: Optional[int] = None,
                 align_end: Optional[int] = None, align_next: Optional[int] = None,
                 share: Optional[list[str]] = None, span: Optional[list[str]] = None,
                 inside: Optional[list[str]] = None, region: str = FLASH, origin: str = "", size_text: str = "",
                 size_span: Optional[Span] = None) -> None:
        self.name = name
        self.size = size
        self.before = [] if before is None else before
        self.after = [] if after is None else after
        self.align_start = align_start
        self.align_end = align_end
        self.align_next = align_next
        self.share = [] if share is None else share
        self.span = span
        self.inside = [] if inside is None else inside
        self.region = region
        self.origin = origin
        self.size_text = size_text
        self.size_span = size_span

    def __repr__(self) -> str:
        return f"_Req({self.name!r}, size={self.size!r}, region={self.region!r}, span={self.span!r})"

    @property
    def is_container(self) -> bool:
        return self.span is not None

class _Static(NamedTuple):
    """A partition pinned in pm_static.yml."""
    name: str
    region: str
    address: Optional[int]
    size: Optional[int]
    span: Optional[list[str]]
    part: PmPartition


class _Ctx:
    """State shared by the steps of one computation."""
    __slots__ = ("inp", "static_label", "notes", "errors", "placed", "sources", "spans_of", "size_spans", "statics")

    inp: PlacementInput
    static_label: str
    notes: list[str]
    errors: list[tuple[str, Optional[Span]]]
    # results: name -> (address, size, region)
    placed: dict[str, tuple[int, int, str]]
    sources: dict[str, str]
    spans_of: dict[str, list[str]]
    size_spans: dict[str, Optional[Span]]
    statics: list

    def __init__(self, inp: PlacementInput, static_label: str) -> None:
        self.inp = inp
        self.static_label = static_label
        self.notes = []
        self.errors = []
        self.placed = {}
        self.sources = {}
        self.spans_of = {}
        self.size_spans = {}
        self.statics = []

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def fail(self, message: str, span: Optional[Span] = None) -> None:
        if all(m != message for m, _ in self.errors):
            self.errors.append((message, span))


def _hex(v: Optional[int]) -> str:
    if v is None:
        return "?"
    return f"-0x{-v:x}" if v < 0 else f"0x{v:x}"


def _int(v: Any, default: int = 0) -> int:
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, int):
        return v
    try:
        return int(v)
    except (TypeError, ValueError):
        return default


def _tdiv(a: int, b: int) -> int:
    """Division truncating toward zero, as Python's int(a / b) does for these magnitudes."""
    if b == 0:
        return 0
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def _version(v: Any) -> tuple[int, int, int]:
    try:
        parts = [int(x) for x in list(v)[:3]]
    except (TypeError, ValueError):
        return (99, 0, 0)
    while len(parts) < 3:
        parts.append(0)
    return (parts[0], parts[1], parts[2])


def _sized(v: Any, fallback: Sized) -> Sized:
    if isinstance(v, Sized):
        return v
    if isinstance(v, int) and not isinstance(v, bool):
        return Sized(v, "given")
    return fallback


# --------------------------------------------------------------------------- templates


def _mode(inp: PlacementInput, ctx: _Ctx) -> str:
    raw = str(inp.mode or "swap-move").strip().lower()
    mode = MODE_ALIASES.get(raw, raw)
    if mode not in KNOWN_MODES:
        ctx.note(f"upgrade mode '{inp.mode}' is not known to dfulint; placed as swap-using-move "
                 "(secondary slot, no scratch)")
        mode = "swap-move"
    return mode


def _mcuboot_template(inp: PlacementInput, ver: tuple[int, int, int], mode: str, ctx: _Ctx) -> list[_Req]:
    """MCUboot's boot/zephyr/pm.yml as the MCUboot image's Kconfig preprocesses it."""
    origin = "MCUboot pm.yml"
    block = _int(inp.fprotect_block)
    align = block if block > 0 else None
    if align is None:
        ctx.note("no FPROTECT block size given: mcuboot_pad, mcuboot_secondary and mcuboot_scratch "
                 "are placed without alignment")
    msize = _sized(inp.mcuboot_size, Sized(0xC000, "default"))
    psize = _sized(inp.pad_size, Sized(0x200, "default"))
    reqs = [_Req("mcuboot", size=_int(msize.value), before=["mcuboot_primary"],
                 align_end=0x1000 if ver >= (2, 8, 0) else None, origin=origin,
                 size_text=msize.source, size_span=msize.span),
            _Req("mcuboot_primary_app", span=[DP], origin=origin),
            _Req("mcuboot_primary", span=["mcuboot_pad", "mcuboot_primary_app"], origin=origin)]
    xip_template = ver >= (2, 0, 0)
    if mode != "single-app" and not (mode == "direct-xip" and xip_template):
        if inp.ext_secondary:
            reqs.append(_Req("mcuboot_secondary", share=["mcuboot_primary"], region=EXT, align_start=4,
                             origin=origin))
        else:
            reqs.append(_Req("mcuboot_secondary", share=["mcuboot_primary"], after=["mcuboot_primary"],
                             align_start=align, align_next=align, origin=origin))
    if mode == "direct-xip":
        if xip_template:
            reqs += [_Req("mcuboot_secondary_pad", share=["mcuboot_pad"], after=["mcuboot_primary"],
                          align_start=align, origin=origin),
                     _Req("mcuboot_secondary_app", share=["mcuboot_primary_app"],
                          after=["mcuboot_secondary_pad"], origin=origin),
                     _Req("mcuboot_secondary", span=["mcuboot_secondary_pad", "mcuboot_secondary_app"],
                          origin=origin)]
        else:
            ctx.note("MCUboot's pm.yml before NCS 2.0 has no direct-XIP layout: it makes an ordinary "
                     "mcuboot_secondary (and mcuboot_scratch)")
    if xip_template:
        scratch = mode == "swap-scratch"
    else:
        scratch = mode not in ("swap-move", "single-app", "overwrite-only")
    if scratch:
        ssize = _sized(inp.scratch_size, Sized(0x1E000, "default"))
        reqs.append(_Req("mcuboot_scratch", size=_int(ssize.value), after=[DP], align_start=align,
                         origin=origin, size_text=ssize.source, size_span=ssize.span))
    reqs.append(_Req("mcuboot_pad", size=_int(psize.value), before=["mcuboot_primary_app"],
                     align_start=align, origin=origin, size_text=psize.source, size_span=psize.span))
    return reqs


def _app_templates(inp: PlacementInput, ver: tuple[int, int, int], ctx: _Ctx) -> list[_Req]:
    """The application image's subsystem templates that touch flash_primary."""
    reqs: list[_Req] = []
    if inp.settings_size is not None:
        s = _sized(inp.settings_size, Sized(0x2000, "default"))
        origin = "pm.yml.settings"
        block = _int(inp.fprotect_block)
        if str(inp.soc_family).lower().startswith("nrf54l"):
            reqs.append(_Req("settings_storage", size=_int(s.value), after=[DP], before=[END],
                             inside=["nonsecure_storage"], origin=origin,
                             size_text=s.source, size_span=s.span))
        elif ver < (2, 2, 0):
            reqs.append(_Req("settings_storage", size=_int(s.value), before=[END], origin=origin,
                             size_text=s.source, size_span=s.span))
        else:
            reqs.append(_Req("settings_storage", size=_int(s.value), before=["tfm_storage", END],
                             align_start=block if block > 0 else None, inside=["nonsecure_storage"],
                             origin=origin, size_text=s.source, size_span=s.span))
    for i, extra in enumerate(inp.extra_dynamic or []):
        req = _extra_req(extra)
        if req is None:
            ctx.note(f"extra dynamic partition #{i + 1} ({extra!r}) is not understood and was left out")
            continue
        reqs.append(req)
    return reqs


def _names(v: Any) -> list[str]:
    if isinstance(v, str):
        return [x.strip() for x in v.replace(",", " ").split() if x.strip()]
    if isinstance(v, (list, tuple)):
        return [x for x in v if isinstance(x, str)]
    if isinstance(v, dict) and isinstance(v.get("one_of"), list):
        return [x for x in v["one_of"] if isinstance(x, str)][:1]
    return []


def _extra_req(extra: Any) -> Optional[_Req]:
    """An extra dynamic partition: (name, size[, hint]) or a dict of pm.yml keys."""
    if isinstance(extra, _Req):
        return extra
    spec: dict[str, Any] = {}
    if isinstance(extra, dict):
        spec = dict(extra)
        if isinstance(spec.get("placement"), dict):
            for k, v in spec.pop("placement").items():
                spec.setdefault(k, v)
    elif isinstance(extra, (list, tuple)) and len(extra) >= 2:
        spec = {"name": extra[0], "size": extra[1]}
        hint = extra[2] if len(extra) > 2 else None
        if isinstance(hint, dict):
            spec.update(hint)
        elif isinstance(hint, str):
            h = hint.strip().lower()
            if h in ("start", "first"):
                spec["after"] = [START]
            elif h in ("end", "last"):
                spec["before"] = [END]
            elif ":" in h or " " in h:
                key, _, rest = h.replace(":", " ", 1).partition(" ")
                if key in ("before", "after"):
                    spec[key] = _names(rest)
    else:
        return None
    name = spec.get("name")
    if not isinstance(name, str) or not name:
        return None
    size = spec.get("size")
    size_text, size_span = "extra partition", None
    if isinstance(size, Sized):
        size_text, size_span, size = size.source, size.span, size.value
    if size is not None and (isinstance(size, bool) or not isinstance(size, int)):
        return None
    align = spec.get("align") if isinstance(spec.get("align"), dict) else {}
    return _Req(name, size=size, before=_names(spec.get("before")), after=_names(spec.get("after")),
                align_start=align.get("start") if isinstance(align.get("start"), int) else None,
                align_end=align.get("end") if isinstance(align.get("end"), int) else None,
                align_next=spec.get("align_next") if isinstance(spec.get("align_next"), int) else None,
                share=_names(spec.get("share_size")),
                span=_names(spec["span"]) if "span" in spec else None,
                inside=_names(spec.get("inside")),
                region=spec.get("region") if isinstance(spec.get("region"), str) else FLASH,
                origin="extra partition", size_text=size_text, size_span=size_span)


# --------------------------------------------------------------------------- statics


def _static_region(name: str, part: PmPartition) -> str:
    regions = part.names("region")
    if regions:
        return regions[0]
    return "sram_primary" if name.endswith("_sram") else FLASH


def _read_statics(inp: PlacementInput, ctx: _Ctx) -> list[_Static]:
    out: list[_Static] = []
    skipped: list[str] = []
    static = inp.static if isinstance(inp.static, dict) else {}
    for name, part in static.items():
        if not isinstance(part, PmPartition):
            continue
        region = _static_region(name, part)
        if region not in (FLASH, EXT):
            if not region.startswith(NON_FLASH_REGIONS):
                skipped.append(f"{name} ({region})")
            continue
        address, size = part.int("address"), part.int("size")
        span = part.names("span") if "span" in part.fields else None
        if address is None or size is None:
            missing = " and ".join(k for k, v in (("address", address), ("size", size)) if v is None)
            ctx.fail(f"static partition '{name}' has no integer {missing}: Partition Manager stops with "
                     f"a Python KeyError/TypeError instead of a message", part.span)
            if size is None and address is not None and part.int("end_address") is not None:
                size = part.int("end_address") - address
                ctx.note(f"'{name}' has no size in {ctx.static_label}; dfulint uses end_address - address "
                         f"({_hex(size)}), which PM ignores")
        out.append(_Static(name, region, address, size, span, part))
    if skipped:
        ctx.note(f"{ctx.static_label} partitions in regions dfulint does not model were left out: "
                 + ", ".join(skipped))
    return out


def _gaps(lo: int, hi: int, items: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """PM's notion of free gaps: boundaries where something ends that nothing starts at, paired
    in address order with boundaries where something starts that nothing ends at (including
    the region's own start and end). Overlapping or out-of-range statics give odd pairs, just
    as they do in PM."""
    starts = {hi}
    ends = {lo}
    for a, s in items:
        starts.add(a)
        ends.add(a + s)
    return list(zip(sorted(ends - starts), sorted(starts - ends)))


# --------------------------------------------------------------------------- complex region


def _follow_share(name: str, system: dict[str, _Req], limit: int = 64) -> Optional[str]:
    """The partition a share_size chain finally takes its size from."""
    cur = name
    for _ in range(limit):
        req = system.get(cur)
        if req is None:
            return cur if cur == DP else None
        if not req.share:
            return cur
        cur = req.share[0]
    return None


def _drop_zero(reqs: dict[str, _Req], system: dict[str, _Req], ctx: _Ctx) -> None:
    """Zero-size partitions go, and so do size sharers whose every source is gone."""
    dropped: list[str] = []
    changed = True
    while changed:
        changed = False
        alive = {n for n, r in system.items() if n not in dropped and r.size != 0}
        for name, req in reqs.items():
            if name in dropped:
                continue
            if req.size == 0:
                dropped.append(name)
                changed = True
                continue
            if req.share:
                kept = [s for s in req.share if s in alive or s == DP]
                if kept != req.share:
                    req.share = kept
                if not req.share and req.size is None:
                    dropped.append(name)
                    changed = True
    for name in dropped:
        del reqs[name]
        ctx.note(f"Dropping partition '{name}' since its size is 0.")


def _filter_refs(reqs: dict[str, _Req]) -> None:
    present = set(reqs) | {START, END}
    for req in reqs.values():
        req.before = [x for x in req.before if x in present or x == DP]
        req.after = [x for x in req.after if x in present or x == DP]
        if req.span is not None:
            req.span = [x for x in req.span if x in reqs or x == DP]
        req.inside = [x for x in req.inside if x in reqs or x == DP]


def _containers(reqs: dict[str, _Req], ctx: _Ctx) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Containers with their members as written (after `inside`) and flattened to leaves."""
    written: dict[str, list[str]] = {n: list(r.span or []) for n, r in reqs.items() if r.is_container}
    for name, req in reqs.items():
        if not req.is_container and req.inside and req.inside[0] in written:
            written[req.inside[0]].append(name)
    empty: list[str] = []
    changed = True
    while changed:
        changed = False
        for name, members in written.items():
            if name not in empty and all(m in empty for m in members):
                empty.append(name)
                changed = True
    for name in empty:
        del written[name]
        ctx.note(f"Dropping partition '{name}' since it is empty.")

    flat: dict[str, list[str]] = {}

    def leaves(name: str, seen: tuple[str, ...]) -> list[str]:
        out: list[str] = []
        for m in written.get(name, []):
            if m in seen:
                continue
            if m in written:
                out += [x for x in leaves(m, seen + (m,)) if x not in out]
            elif m in empty:
                continue
            elif m not in out:
                out.append(m)
        return out

    for name in written:
        flat[name] = leaves(name, (name,))
    return written, flat


def _order(leaves: dict[str, _Req], flat: dict[str, list[str]], ctx: _Ctx,
           order_hint: list[str]) -> list[str]:
    """Order the partitions around `app` from their before/after anchors.

    Each round walks the current sequence (then the containers) once for `before` and once for
    `after`; a partition is put next to the first existing name of its list (next to the first
    or last member when that name is a container), and the walk continues from the partition
    just placed, so chains of anchors end up adjacent."""
    seq = [START, DP, END]
    for name, req in leaves.items():
        if req.before[:1] == [START] or req.after[:1] == [END]:
            ctx.fail(f'Partition "{name}" was placed before start or after end.')
            req.before = [x for x in req.before if x != START]
            req.after = [x for x in req.after if x != END]

    def anchored(req: _Req, side: str) -> Optional[str]:
        lst = req.before if side == "before" else req.after
        return lst[0] if lst else None

    members_of = {}
    for cname, members in flat.items():
        for m in members:
            members_of.setdefault(m, []).append(cname)
    wanting = [n for n in order_hint if n in leaves and (leaves[n].before or leaves[n].after)]
    pending = [n for n in wanting if n not in members_of] + [n for n in wanting if n in members_of]
    # members of larger containers before members of smaller ones, as PM sorts them
    tail = [n for n in pending if n in members_of]
    tail.sort(key=lambda n: -max(len(flat[c]) for c in members_of[n]))
    pending = [n for n in pending if n not in members_of] + tail

    # partitions whose before/after lists are identical are chained by name, as PM does
    buckets: dict[tuple, list[str]] = {}
    for n in pending:
        r = leaves[n]
        key = (tuple(r.before), tuple(r.after), r.align_start, r.align_end, r.align_next)
        buckets.setdefault(key, []).append(n)
    for names in buckets.values():
        if len(names) > 1:
            names = sorted(names)
            for a, b in zip(names, names[1:]):
                leaves[a].before = [b]
                leaves[a].after = []

    crashed = False
    while pending:
        before_count = len(pending)
        for side in ("before", "after"):
            pool = list(seq) + list(flat)
            idx = 0
            current: Optional[str] = pool[0] if pool else None
            while current is not None and pending:
                deps = [n for n in pending if anchored(leaves[n], side) == current]
                dep = deps[0] if deps else None
                if len(deps) > 1:
                    ctx.note(f"{' and '.join(sorted(deps))} are all placed {side} {current}: PM takes them in "
                             "the iteration order of a Python set of names, which changes with the per-run "
                             "string hash, so their order (and addresses) can differ between builds; dfulint "
                             "shows one of the possible layouts")
                anchor: Optional[str] = None
                if dep is not None:
                    if current in seq:
                        anchor = current
                    else:
                        inside = [m for m in seq if m in flat.get(current, [])]
                        if inside:
                            anchor = inside[0] if side == "before" else inside[-1]
                if dep is not None and anchor is None and not crashed:
                    crashed = True
                    ctx.fail(f"Partition Manager crashes with a Python StopIteration while placing '{dep}' "
                             f"{side} '{current}': none of the parts '{current}' spans is placed")
                if dep is not None and anchor is not None:
                    pos = seq.index(anchor)
                    seq.insert(pos if side == "before" else pos + 1, dep)
                    pending.remove(dep)
                    current = dep
                    continue
                idx += 1
                current = pool[idx] if idx < len(pool) else None
        if len(pending) == before_count:
            if not crashed:
                ctx.fail("Unable to solve the following partitions (endless loop):\n"
                         + repr(sorted(pending)))
            for n in pending:
                ctx.note(f"'{n}' could not be ordered and is left out of the predicted layout")
            break
    seq.remove(START)
    seq.remove(END)
    for cname, members in flat.items():
        idx = [seq.index(m) for m in members if m in seq]
        if len(idx) != len(members):
            ctx.fail(f"Some or all parts of partition {cname} have not been placed.")
        elif idx and max(idx) - min(idx) + 1 != len(idx):
            ctx.fail(f"partition {cname} ({members}) does not span over consecutive parts. "
                     f"Solution: {seq}")
    return seq


class _Layout(NamedTuple):
    """Partitions placed in one region, in address order."""
    seq: list[str]
    addr: dict[str, int]
    size: dict[str, int]
    fillers: dict[str, str]          # EMPTY_n -> why
    dynamic: list[str]


def _required_offset(align_start: Optional[int], align_end: Optional[int], start: int, size: int,
                     move_up: bool) -> int:
    """How far a partition must move (up, or down) to meet its alignment; 0 when it does."""
    end = start + size
    if align_start:
        if start % align_start == 0:
            return 0
        return align_start - start % align_start if move_up else start % align_start
    if align_end:
        if end % align_end == 0:
            return 0
        if move_up or start == 0:
            return align_end - end % align_end
        return end % align_end
    return 0


def _assign(lay: _Layout, leaves: dict[str, _Req], start: int, total: int, ctx: _Ctx) -> None:
    """Give every partition of the sequence an address: from the region start up to `app`,
    then from the region end down to it. A misaligned partition gets an EMPTY_n filler on the
    side it moves away from; the dynamic partitions pay for it in equal parts. Repeat until
    nothing moves."""
    seq, addr, size, dyn = lay.seq, lay.addr, lay.size, lay.dynamic

    def aligns(name: str) -> tuple[Optional[int], Optional[int]]:
        r = leaves.get(name)
        return (r.align_start, r.align_end) if r is not None else (None, None)

    def new_filler(name: str, address: int, length: int, why: str) -> str:
        # PM numbers fillers by the dynamic ones it already has; a pm_static copied from
        # partitions.yml may hold the same name, and then the static entry wins in the output
        n = len([x for x in list(leaves) + list(lay.fillers) if "EMPTY" in x])
        fname = f"EMPTY_{n}"
        while fname in lay.fillers:
            n += 1
            fname = f"EMPTY_{n}"
        lay.fillers[fname] = why
        addr[fname] = address
        size[fname] = length
        return fname

    def align(i: int, move_up: bool) -> bool:
        cur = seq[i]
        a_start, a_end = aligns(cur)
        if not a_start and not a_end:
            return False
        off = _required_offset(a_start, a_end, addr[cur], size[cur], move_up)
        if not off:
            return False
        what = f"start to {_hex(a_start)}" if a_start else f"end to {_hex(a_end)}"
        length = off
        if cur not in dyn:
            if move_up:
                where = addr[cur]
                addr[cur] += off
            else:
                where = addr[cur] + size[cur]
                if addr[cur] != 0:
                    addr[cur] -= off
        elif not move_up:
            dseq = [x for x in seq if x in dyn]
            first = dseq[0]
            ahead = seq.index(cur) - seq.index(first) + (1 if a_end else 0)
            if ahead <= 0:
                ctx.fail(ALIGNMENT_ERROR)
                return False
            each = off // ahead
            if each % 4 != 0:
                ctx.fail(f"The current configuration gives {first} a non-word-aligned size" + ALIGNMENT_ERROR)
                return False
            if not each < size[first]:
                ctx.fail(f"The current configuration is invalid because it requires {first}'s size "
                         "to be less than 0." + ALIGNMENT_ERROR)
                return False
            last = dseq[-1]
            length = each * len(dyn)
            where = addr[last] + size[last] - length
        else:
            ctx.fail("Invalid combination, can not have dynamic partition in front of app with alignment")
            return False
        fname = new_filler(cur, where, length, f"inserted so that {cur} can align its {what}")
        for p in dyn:
            size[p] -= length // len(dyn)
        seq.insert(i if move_up else i + 1, fname)
        return True

    # The first partition gets the area's start once; a partition that cannot move up is moved
    # down instead and keeps that address (PM only refuses to move one that sits at 0).
    if seq:
        addr[seq[0]] = start
    for _ in range(MAX_FILLERS):
        moved = False
        dpi = seq.index(DP)
        for i in range(0, dpi + 1):
            cur = seq[i]
            if i == 0:
                r = leaves.get(cur)
                if r is not None and r.align_end and len(seq) > 1 and seq[1] == "EMPTY_0":
                    continue
            else:
                prev = seq[i - 1]
                addr[cur] = addr[prev] + size[prev]
            if align(i, i != 0):
                moved = True
                break
        if moved:
            continue
        for i in range(len(seq) - 1, dpi, -1):
            cur = seq[i]
            if i == len(seq) - 1:
                addr[cur] = start + total - size[cur]
            else:
                addr[cur] = addr[seq[i + 1]] - size[cur]
            if align(i, False):
                moved = True
                break
        if not moved:
            return
    ctx.fail(ALIGNMENT_ERROR)


def _solve_complex(ctx: _Ctx, start: int, total: int, reqs: dict[str, _Req], system: dict[str, _Req],
                   statics: list[_Static], ver: tuple[int, int, int]) -> None:
    region = FLASH
    gap_lo, gap_size = start, total
    proper = [s for s in statics if s.span is None and s.name != DP
              and s.address is not None and s.size is not None]
    label = ctx.static_label
    if statics:
        gaps = _gaps(start, start + total, ((s.address, s.size) for s in proper))
        if len(gaps) != 1:
            first = next((s.part.span for s in proper), _file_span(ctx))
            ctx.fail("Incorrect amount of gaps found in static configuration. There must be exactly one "
                     "gap in the static configuration to support placing the dynamic partitions (such as "
                     f"'app'). Gaps found ({len(gaps)}):"
                     + " ".join(f"0x{a:x}-0x{b:x}" for a, b in gaps)
                     + " The most common solution to this problem is to fill the smallest of these gaps "
                     "with statically defined partition(s) until there is only one gap left. Alternatively "
                     "re-order the already defined static partitions so that only one gap remains.", first)
            usable = [(a, b) for a, b in gaps if b > a]
            if not usable:
                ctx.note(f"{label} leaves no gap in flash_primary for the dynamic partitions "
                         f"({', '.join(sorted(reqs) + [DP])}); they are left out of the predicted layout")
                return
            gap_lo, gap_hi = max(usable, key=lambda g: (g[1] - g[0], -g[0]))
            gap_size = gap_hi - gap_lo
            ctx.note(f"PM stops the build here; dfulint places the dynamic partitions in the largest gap "
                     f"({_hex(gap_lo)}-{_hex(gap_hi)}) only to keep checking")
        else:
            gap_lo, gap_hi = gaps[0]
            gap_size = gap_hi - gap_lo
            ctx.note(f"{label} leaves one gap in flash_primary, {_hex(gap_lo)}-{_hex(gap_hi)}; the dynamic "
                     "partitions are placed in it")
        if not reqs:
            ctx.placed[DP] = (gap_lo, gap_size, region)
            ctx.sources[DP] = (f"dynamic: fills the single gap {label} leaves "
                               f"({_hex(gap_lo)}-{_hex(gap_lo + gap_size)})")
            _note_static_app(ctx, statics, gap_lo, gap_size)
            return

    reqs = {n: _copy_req(r) for n, r in reqs.items()}
    _drop_zero(reqs, system, ctx)
    _filter_refs(reqs)
    written, flat = _containers(reqs, ctx)
    leaves = {n: r for n, r in reqs.items() if not r.is_container}
    seq = _order(leaves, flat, ctx, list(reqs))
    if DP not in seq:  # pragma: no cover - the sequence always starts with it
        seq.append(DP)

    # sizes: fixed ones, then share_size (static sources first, then the sharers of `app`)
    size: dict[str, int] = {n: r.size for n, r in leaves.items() if r.size is not None}
    sharers: dict[str, int] = {}
    roots: dict[str, str] = {}
    for n, r in list(leaves.items()) + [(c, reqs[c]) for c in flat]:
        if r.share:
            root = _follow_share(n, system)
            if root is not None and (root in leaves or root in flat or root == DP):
                sharers[root] = sharers.get(root, 0) + 1
                roots[n] = root
            elif root is not None:
                roots[n] = root

    def spans_dp(name: str) -> bool:
        return name == DP or DP in flat.get(name, [])

    dynamic_sharers = [n for n in roots if n in leaves and spans_dp(roots[n])]

    def dp_size() -> int:
        return gap_size - sum(v for k, v in size.items() if k != DP)

    def size_of(name: str) -> int:
        if name == DP:
            return dp_size()
        if name in flat:
            return sum(size_of(m) for m in flat[name])
        return size.get(name, 0)

    for n, root in roots.items():
        if n in dynamic_sharers or n not in leaves:
            continue
        src = system.get(root)
        if src is not None and src.region != region:
            ctx.note(f"'{n}' shares size with '{root}' in another region; dfulint uses that size as placed")
            got = ctx.placed.get(root)
            size[n] = got[1] if got else (src.size or 0)
        else:
            size[n] = size_of(root)
    later = {n: _tdiv(size_of(roots[n]), sharers.get(roots[n], 0) + 1) for n in dynamic_sharers}
    size.update(later)
    size[DP] = dp_size()
    for n in leaves:
        size.setdefault(n, 0)

    # align_next gives the following partition a start alignment
    for a, b in zip(seq, seq[1:]):
        ra = leaves.get(a)
        if ra is None or not ra.align_next:
            continue
        rb = leaves.get(b)
        if rb is None:
            rb = _Req(b)
            leaves[b] = rb
        if rb.align_end:
            ctx.fail(f"Align config already present in {b}")
            continue
        if rb.align_start and rb.align_start % ra.align_next and ra.align_next % rb.align_start:
            ctx.fail(f"Align config already present in {b}")
            continue
        new = max(ra.align_next, rb.align_start or 0)
        if new != rb.align_start:
            ctx.note(f"{b} gets a start alignment of {_hex(new)} from {a}'s align_next")
        rb.align_start = new

    lay = _Layout(list(seq), {}, size, {}, [DP] + dynamic_sharers)
    _assign(lay, leaves, gap_lo, gap_size, ctx)
    seq, addr = lay.seq, lay.addr
    for n in seq:
        addr.setdefault(n, gap_lo)

    # PM's final check: the sequence must tile the area exactly
    expected = gap_lo
    for n in seq:
        if addr[n] != expected:
            ctx.fail(f"Error when inspecting {n}, invalid address {hex(addr[n])}, expected {hex(expected)},")
            break
        expected += size[n]
    else:
        if seq and addr[seq[-1]] + size[seq[-1]] != gap_lo + gap_size:
            ctx.fail("End of last partition is after last valid address")
    unplaced = [n for n in leaves if n not in seq and n in reqs]
    for n in unplaced:
        ctx.note(f"'{n}' has no placement PM can resolve (no before/after, or its anchor is pinned in "
                 f"{label}), so PM counts its size but never places it")
    if unplaced and not any(m.startswith(("Error when inspecting", "End of last")) for m, _ in ctx.errors):
        ctx.fail("End of last partition is after last valid address")

    for n in seq:
        ctx.placed[n] = (addr[n], size[n], region)
    for c, members in flat.items():
        got = [m for m in members if m in ctx.placed]
        if not got:
            continue
        lo = min(ctx.placed[m][0] for m in got)
        if ver >= (2, 5, 0):   # from NCS 2.5 a container covers its parts' extent
            length = max(ctx.placed[m][0] + ctx.placed[m][1] for m in got) - lo
        else:                  # before, the sum of its parts' sizes
            length = sum(ctx.placed[m][1] for m in got)
        if length == 0:
            ctx.fail(f"No compatible parent partition found for {c}")
        ctx.placed[c] = (lo, length, region)
        ctx.spans_of[c] = [m for m in written.get(c, []) if m in flat or m in ctx.placed or m == DP]

    _describe(ctx, seq, lay, leaves, flat, statics, gap_lo, gap_size)
    for n, v in size.items():
        if n in seq and v < 0:
            ctx.note(f"'{n}' gets a negative size ({_hex(v)}): the partitions do not fit in "
                     f"{_hex(gap_size)} bytes of flash_primary; PM writes this layout anyway and the build "
                     "fails later")
    _note_static_app(ctx, statics, ctx.placed[DP][0], ctx.placed[DP][1])


def _copy_req(r: _Req) -> _Req:
    return _Req(r.name, r.size, list(r.before), list(r.after), r.align_start, r.align_end, r.align_next,
                list(r.share), list(r.span) if r.span is not None else None, list(r.inside), r.region,
                r.origin, r.size_text, r.size_span)


def _file_span(ctx: _Ctx) -> Optional[Span]:
    return Span(ctx.inp.static_path) if ctx.inp.static_path is not None else None


def _note_static_app(ctx: _Ctx, statics: list[_Static], addr: int, size: int) -> None:
    for s in statics:
        if s.name == DP and (s.address != addr or s.size != size):
            ctx.note(f"the 'app' entry of {ctx.static_label} ({_hex(s.address)}, size {_hex(s.size)}) is "
                     f"ignored: PM gives app what is left, {_hex(addr)} size {_hex(size)}")


def _describe(ctx: _Ctx, seq: list[str], lay: _Layout, leaves: dict[str, _Req], flat: dict[str, list[str]],
              statics: list[_Static], gap_lo: int, gap_size: int) -> None:
    """The `source` text of each dynamic partition of flash_primary."""
    addr, size, dyn = lay.addr, lay.size, lay.dynamic
    label = ctx.static_label
    in_group = set(dyn)
    for c, members in flat.items():
        if DP in members:
            in_group |= set(members)
    grp = [n for n in seq if n in in_group]
    below_name, below_at = "start of flash", gap_lo
    above_name, above_at = "end of flash", gap_lo + gap_size
    if grp:
        lo = seq.index(grp[0])
        hi = seq.index(grp[-1])
        if lo > 0:
            p = seq[lo - 1]
            below_name, below_at = p, addr[p] + size[p]
        elif statics:
            below_name = _static_neighbour(statics, gap_lo, below=True) or f"the start of the {label} gap"
        if hi < len(seq) - 1:
            p = seq[hi + 1]
            above_name, above_at = p, addr[p]
        elif statics:
            above_name = _static_neighbour(statics, gap_lo + gap_size, below=False) or f"the end of the {label} gap"
    others = [n for n in dyn if n != DP]
    between = f"between {below_name} ({_hex(below_at)}) and {above_name} ({_hex(above_at)})"
    if others:
        grow = f"dynamic: shares the space {between} equally with " + ", ".join(others)
    else:
        grow = f"dynamic: grows to fill the gap {between}"
    for n in seq:
        if n in lay.fillers:
            ctx.sources[n] = f"dynamic: alignment filler, {lay.fillers[n]}"
            ctx.note(f"{n} ({_hex(addr[n])}, size {_hex(size[n])}) {lay.fillers[n]}")
            continue
        r = leaves.get(n)
        if n == DP:
            ctx.sources[n] = grow
            continue
        if r is None:
            continue
        ctx.size_spans[n] = r.size_span
        if n in dyn:
            root = r.share[0] if r.share else DP
            ctx.sources[n] = f"dynamic: share_size of {root}"
            continue
        if r.share:
            ctx.sources[n] = f"dynamic: share_size of {r.share[0]} ({_hex(size[n])}), {_where(seq, n, r)}"
            continue
        txt = f"dynamic: size {_hex(size[n])}"
        if r.size_text:
            txt += f" ({r.size_text})"
        ctx.sources[n] = f"{txt}, {_where(seq, n, r)}"
    for c, members in flat.items():
        if DP in members:
            ctx.sources[c] = grow
        else:
            ctx.sources[c] = "dynamic: spans " + " + ".join(members)


def _where(seq: list[str], n: str, r: _Req) -> str:
    parts = []
    if r.before:
        parts.append(f"placed before {r.before[0]}" if r.before[0] != END else "placed at the end")
    elif r.after:
        parts.append(f"placed after {r.after[0]}" if r.after[0] != START else "placed at the start")
    if seq and seq[0] == n and not parts:
        parts.append("first")
    if r.align_start:
        parts.append(f"start aligned to {_hex(r.align_start)}")
    if r.align_end:
        parts.append(f"end aligned to {_hex(r.align_end)}")
    return ", ".join(parts) if parts else "placed by PM"


def _static_neighbour(statics: list[_Static], at: int, below: bool) -> Optional[str]:
    for s in statics:
        if s.span is not None or s.address is None or s.size is None or s.name == DP:
            continue
        if below and s.address + s.size == at:
            return s.name
        if not below and s.address == at:
            return s.name
    return None


# --------------------------------------------------------------------------- simple region


def _solve_ext(ctx: _Ctx, reqs: dict[str, _Req], system: dict[str, _Req], statics: list[_Static],
               static_sizes: dict[str, int], ver: tuple[int, int, int]) -> Optional[int]:
    """external_flash: statics packed at the start, dynamic ones after them, the rest is the
    `external_flash` partition. Returns the region size used for the device."""
    inp = ctx.inp
    base = _int(inp.ext_flash_base)
    size = inp.ext_flash_size if isinstance(inp.ext_flash_size, int) and inp.ext_flash_size >= 0 else None
    sizes: dict[str, int] = {}
    for n, r in reqs.items():
        if r.share:
            root = _follow_share(n, system)
            src = r.share[0]
            if root is None or root not in system and root != DP:
                gone = src if src not in system else root
                ctx.fail(f"'{n}' takes share_size from '{gone}', which is not a dynamic partition: "
                         f"Partition Manager stops with a Python KeyError ('{gone}')",
                         _static_span(ctx.statics, gone))
                if gone in static_sizes:
                    sizes[n] = static_sizes[gone]
                    ctx.note(f"dfulint sizes '{n}' like the pinned '{gone}' ({_hex(sizes[n])}) to keep checking")
                else:
                    sizes[n] = r.size or 0
                continue
            got = ctx.placed.get(root)
            sizes[n] = got[1] if got else ((system[root].size if root in system else None) or 0)
            ctx.sources[n] = f"dynamic: share_size of {root}, copied into {EXT}"
        else:
            sizes[n] = r.size or 0
            ctx.sources[n] = f"dynamic: size {_hex(sizes[n])}" + (f" ({r.size_text})" if r.size_text else "")
        ctx.size_spans[n] = r.size_span
    here = [s for s in statics if s.address is not None and s.size is not None]
    if here and size is not None:
        gaps = _gaps(base, base + size, ((s.address, s.size) for s in here))
        if gaps:
            if ver >= (2, 4, 0):
                packed = gaps[0][1] == base + size
            else:
                packed = gaps[0][0] == base + size
            first = here[0].part.span
            if len(gaps) != 1:
                ctx.fail(f"Incorrect amount of gaps found in static configuration for region '{EXT}'. "
                         "There must be exactly one gap in the static configuration to support placing the "
                         f"non-statically-defined partitions. Gaps found ({len(gaps)}):"
                         + " ".join(f"0x{a:x}-0x{b:x}" for a, b in gaps)
                         + " The most common solution to this problem is to re-order the defined static "
                         "partitions so that only one gap remains.", first)
            elif not packed:
                ctx.fail(f"Statically defined partitions are not packed at start of region '{EXT}'.", first)
                if ver < (2, 4, 0):
                    ctx.note(f"before NCS 2.4, PM accepts static partitions in {EXT} only when they cover the "
                             "whole region (an entry such as `external_flash: {address: 0x0, size: <region "
                             "size>}` does)")
    elif here and size is None:
        ctx.note(f"the size of {EXT} is unknown, so the packing of its static partitions cannot be checked")
    reserved = sum(s.size for s in statics if s.size is not None)
    cursor = base + reserved
    for n in reqs:
        ctx.placed[n] = (cursor, sizes[n], EXT)
        cursor += sizes[n]
    if any(s.name == EXT for s in statics):
        pass
    elif EXT in reqs:
        ctx.fail(f"Found partition named {EXT}, this is the name of a region, and is a reserved name")
    elif size is not None:
        ctx.placed[EXT] = (cursor, base + size - cursor, EXT)
        ctx.sources[EXT] = f"dynamic: the rest of the {EXT} region"
        if base + size - cursor < 0:
            ctx.note(f"the partitions in {EXT} need {_hex(cursor - base)} bytes, more than the region's "
                     f"{_hex(size)}; PM does not check this")
    if size is None:
        ends = [a + s for a, s, r in ctx.placed.values() if r == EXT] + \
               [s.address + s.size for s in here]
        return max(ends + [base]) - base
    return size


def _static_span(statics: list[_Static], name: str) -> Optional[Span]:
    for s in statics:
        if s.name == name:
            return s.part.span
    return None


# --------------------------------------------------------------------------- entry point


def place(inp: PlacementInput) -> FlashMap:
    """Predict Partition Manager's layout for `inp`. Never raises."""
    label = inp.static_path.name if isinstance(inp.static_path, Path) else "pm_static.yml"
    ctx = _Ctx(inp, label)
    fmap = FlashMap(origin="pm_static" if inp.static else "pm_dynamic")
    try:
        _place(inp, ctx, fmap)
    except Exception as exc:  # a model bug must not stop the linter
        ctx.note(f"dfulint could not finish the placement model ({type(exc).__name__}: {exc}); "
                 "the layout below is partial")
        _emit(ctx, fmap, ctx.statics)
    fmap.notes = ctx.notes
    fmap.errors = ctx.errors
    return fmap


def _place(inp: PlacementInput, ctx: _Ctx, fmap: FlashMap) -> None:
    ver = _version(inp.ncs_version)
    base, total = _int(inp.flash_base), max(_int(inp.flash_size), 0)
    if total == 0:
        ctx.note("flash size is 0 or unknown: nothing can be placed in flash_primary")
    fmap.devices[FLASH] = FlashDevice(FLASH, base, total, max(_int(inp.page_size), 0) or 4096,
                                      source=f"{inp.soc_family} internal flash")
    mode = _mode(inp, ctx)
    statics = _read_statics(inp, ctx)
    ctx.statics = statics
    static_names = {s.name for s in statics} | set(inp.static or {})

    templates: list[_Req] = []
    mcu = _mcuboot_template(inp, ver, mode, ctx) if inp.mcuboot else []
    app = _app_templates(inp, ver, ctx)
    # child-image builds list MCUboot's pm.yml first; sysbuild (NCS 2.7+) the app's templates first
    templates = app + mcu if ver >= (2, 7, 0) else mcu + app
    system: dict[str, _Req] = {}
    for r in templates:
        if r.name in system:
            ctx.note(f"'{r.name}' is defined twice; the later definition is used")
        system[r.name] = r
    for name in list(system):
        if name in static_names:
            ctx.note(f"Partition '{name}' is not included in the dynamic resolving since it is statically "
                     f"defined ({ctx.static_label}).")
            del system[name]
    system.pop(DP, None)

    flash_statics = [s for s in statics if s.region == FLASH]
    ext_statics = [s for s in statics if s.region == EXT]
    flash_reqs = {n: r for n, r in system.items() if r.region == FLASH}
    ext_reqs = {n: r for n, r in system.items() if r.region == EXT}
    other = [n for n, r in system.items() if r.region not in (FLASH, EXT)]
    if other:
        ctx.note("dynamic partitions in regions dfulint does not model were left out: " + ", ".join(other))
    if total > 0 or flash_statics:
        _solve_complex(ctx, base, total, flash_reqs, system, flash_statics, ver)

    ext_size: Optional[int] = None
    if ext_reqs or ext_statics or inp.ext_flash_size is not None:
        static_sizes = {s.name: s.size for s in statics if s.size is not None}
        ext_size = _solve_ext(ctx, ext_reqs, system, ext_statics, static_sizes, ver)
        known = isinstance(inp.ext_flash_size, int)
        fmap.devices[EXT] = FlashDevice(
            EXT, _int(inp.ext_flash_base), ext_size or 0, _int(inp.ext_page_size) or 4096,
            source=("nordic,pm-ext-flash size" if known
                    else "size unknown; sized to the partitions placed in it"))
        if not known:
            ctx.note(f"the size of {EXT} is not known (no nordic,pm-ext-flash size); the device is sized "
                     "to what is placed in it")
    _explain_slots(ctx, inp, statics, system, mode)
    _emit(ctx, fmap, statics)


def _explain_slots(ctx: _Ctx, inp: PlacementInput, statics: list[_Static], system: dict[str, _Req],
                   mode: str) -> None:
    """Notes on the MCUboot slots PM will not keep equal."""
    st = {s.name: s for s in statics}
    sec = st.get("mcuboot_secondary")
    prim = ctx.placed.get("mcuboot_primary")
    if sec is not None and "mcuboot_primary" not in st and prim is not None and sec.size is not None:
        where = "external flash" if sec.region == EXT else "flash_primary"
        ctx.note(f"mcuboot_secondary is pinned in {where} ({_hex(sec.size)}), so share_size no longer applies: "
                 f"PM sizes mcuboot_primary from the free space ({_hex(prim[1])}), never from the secondary, "
                 "and does not report a difference")
    if "mcuboot_primary" in st and "mcuboot_secondary" not in st and inp.mcuboot and mode != "single-app" \
            and "mcuboot_secondary" not in ctx.placed:
        ctx.note("mcuboot_primary is pinned but mcuboot_secondary is not: the secondary takes its size from "
                 "the primary, which is no longer a dynamic partition, so PM drops it")


def _emit(ctx: _Ctx, fmap: FlashMap, statics: list[_Static]) -> None:
    parts: list[Partition] = []
    static_names = set()
    for s in statics:
        if s.address is None:
            continue
        if s.span is not None and s.size is None:
            members = [ctx.placed.get(m) for m in s.span]
            members = [m for m in members if m]
            if not members:
                continue
            lo = min(m[0] for m in members)
            s = s._replace(size=max(m[0] + m[1] for m in members) - lo)
        if s.size is None:
            continue
        if s.name == DP and DP in ctx.placed:
            continue
        static_names.add(s.name)
        src = f"{ctx.static_label}: address {_hex(s.address)}, size {_hex(s.size)}"
        if s.span is not None:
            src += " (span " + ", ".join(s.span) + ")"
        parts.append(Partition(s.name, s.address, s.size, region=s.region, span_of=list(s.span or []),
                               static=True, source=src, where=s.part.span, size_at=s.part.at("size"),
                               address_at=s.part.at("address")))
    for name, (a, sz, region) in ctx.placed.items():
        if name in static_names and region == EXT and all(s.region != EXT for s in statics if s.name == name):
            # PM merges the regions' results one after the other: external_flash's own entry
            # replaces a same-named static partition of flash_primary
            parts = [p for p in parts if p.name != name]
            static_names.discard(name)
        if name in static_names:
            if name.startswith("EMPTY_"):
                ctx.note(f"the alignment filler {name} has the name of a static partition; PM's output "
                         "keeps the static one")
            continue
        parts.append(Partition(name, a, sz, region=region, span_of=list(ctx.spans_of.get(name, [])),
                               static=False, source=ctx.sources.get(name, "dynamic"),
                               size_at=ctx.size_spans.get(name)))
    order = {FLASH: 0, EXT: 1}
    parts.sort(key=lambda p: (order.get(p.region, 2), p.region, p.address, -p.size, p.name))
    fmap.partitions = parts
