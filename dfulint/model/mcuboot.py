"""MCUboot's slot laws as pure functions.

Everything here is arithmetic on slot geometry and MCUboot configuration; nothing reads
files or talks to devices. The laws, by number:

1. Sector table: every slot MCUboot reads (primary, secondary, scratch) may hold at most
   ``BOOT_MAX_IMG_SECTORS`` flash-layout pages. Too many in the primary (or in the scratch)
   and nothing boots; too many only in the secondary and MCUboot counts it as 0 sectors,
   so every update is refused.
2. Swap-move: same page size, and primary = secondary or secondary + 1 sectors.
3. Swap-offset: same page size, and secondary = primary or primary + 1 sectors.
4. Swap-scratch / overwrite-only: the secondary's pages must cover the primary exactly
   (page sizes nest; the last larger page may stick out); swap-scratch also needs every
   sector group to fit in the scratch area.
5. The size bound B an update (header + image + TLVs) must fit.
6. The running image is validated against the same B (MCUboot >= 2.3.0, NCS >= 3.1), so a
   secondary that lowers B can leave no bootable image.
7. Overwrite-only with a larger secondary accepts updates that do not fit the primary and
   destroys both images.
8. Swap-scratch chunks are whole primary pages of the scratch; when that chunk is not a
   multiple of the secondary's (larger) pages, swaps larger than the aligned part corrupt.
9. A partial last page in swap-scratch / overwrite-only is erased past the partition end.

Conventions used throughout:

* Sector counts are ``ceil(size / page_size)``: Zephyr's flash map reports every layout page
  whose start lies inside the partition, so a partial last page counts.
* The trailer is sized by the *configured* ``BOOT_MAX_IMG_SECTORS``, not by the real count.
* MCUboot computes bounds in uint32; a negative bound wraps to about 4 GiB, i.e. no limit.
  :func:`analyse` reproduces that (e.g. a secondary counted as 0 sectors does not lower the
  swap-move bound).
* Sizes in messages are written as ``0x72000 (456 KiB)``.

Laws 1-9 were measured on upstream MCUboot with write block 4, one image and no encryption.
The rest is read from MCUboot / sdk-mcuboot source rather than measured: the per-version
variants (:class:`Behaviour`), the write-block and encryption terms of the trailer, a scratch
area over the sector table (treated like the primary), and the NCS-with-NSIB shortcut.
"""
from __future__ import annotations

from types import MappingProxyType

from dfulint.records import NamedTuple
from dfulint.units import kib, sz

TYPE_CHECKING = False      # (typing.TYPE_CHECKING without importing typing)
if TYPE_CHECKING:
    from typing import Mapping, Optional

MODES = ("swap-move", "swap-offset", "swap-scratch", "overwrite-only", "direct-xip",
         "direct-xip-revert", "ram-load", "single-app", "firmware-loader")

#: Modes whose boot path reads the sector tables (and so is subject to law 1).
SECTOR_TABLE_MODES = ("swap-move", "swap-offset", "swap-scratch", "overwrite-only")
#: Modes with two executable slots and no compatibility check at all.
NO_CHECK_TWO_SLOT_MODES = ("direct-xip", "direct-xip-revert", "ram-load")
#: Modes with one application slot (no swap status in the trailer).
SINGLE_SLOT_MODES = ("single-app", "firmware-loader")

#: A running image at or below this size is not a realistic application once MCUboot and a
#: BLE or Wi-Fi stack are involved. When the running image's size is not known and the bound
#: of law 6 (or the safe swap size of law 8) is at most this, :func:`analyse` reports a brick
#: instead of a size-dependent risk.
REAL_APP_MIN_SIZE = 0x10000

#: Bytes of one stored encryption key per slot before alignment (AES-128). Encrypted images
#: keep two of them (one per slot) in the trailer, each rounded up to BOOT_MAX_ALIGN, which is
#: 2 x 16 = 32 bytes at the default alignment of 8. AES-256 stores 32 bytes per key; with
#: MCUBOOT_SWAP_SAVE_ENCTLV the whole key TLV is kept instead (e.g. 113 bytes for ECIES-P256
#: with AES-128). Pass ``enc_key_bytes`` to :func:`trailer_size` for those.
DEFAULT_ENC_KEY_BYTES = 16

_U32 = 1 << 32

# Log lines exactly as MCUboot prints them (level prefix as the Zephyr port shows it).
LOG_FAILED_SECTORS = "W: Failed reading sectors; BOOT_MAX_IMG_SECTORS={m} - too small?"
LOG_PRIMARY_INVALID = "E: Image in the primary slot is not valid!"
LOG_SECONDARY_INVALID = "E: Image in the secondary slot is not valid!"
LOG_SECTOR_AMOUNT = "W: Cannot upgrade: not a compatible amount of sectors"
LOG_SAME_AMOUNT_OLD = "W: Cannot upgrade: slots don't have same amount of sectors"
LOG_SECTOR_LAYOUT = "W: Cannot upgrade: not same sector layout"
LOG_NOT_COMPATIBLE = "W: Cannot upgrade: slots are not compatible"
LOG_NON_COMPATIBLE_SECTORS = "W: Cannot upgrade: slots have non-compatible sectors"
LOG_SCRATCH_FIT = "W: Cannot upgrade: not all sectors fit inside scratch"

# Reason codes whose cause is the slot relation (used to soften them when MCUboot skips the check).
_COMPAT_CODES = ("sector-count-incompatible", "page-size-mismatch", "slots-not-compatible",
                 "non-compatible-sectors", "scratch-too-small")


class SlotGeom(NamedTuple):
    """One slot as MCUboot sees it: size, sector size and write block."""
    size: int            # bytes
    page_size: int       # the flash driver's layout page (what MCUboot counts as a sector)
    write_block: int = 4 # write-block-size of that flash (nRF52/53/91: 4; nRF54L RRAM: 16)
    name: str = ""       # "mcuboot_primary", ...


class BootParams(NamedTuple):
    """The MCUboot settings the slot laws depend on."""
    mode: str                        # one of MODES
    max_img_sectors: int = 128       # BOOT_MAX_IMG_SECTORS as configured
    max_align: int = 8               # BOOT_MAX_ALIGN
    validate_primary: bool = True    # BOOT_VALIDATE_SLOT0
    encrypted: bool = False
    # NCS release; picks the per-version behaviour.
    ncs_version: Optional[tuple[int, int, int]] = None
    # Plain-Zephyr projects: the upstream MCUboot version, if known.
    upstream_version: Optional[tuple[int, int, int]] = None
    # NCS only: the build also has NCS's immutable bootloader (b0) with MCUboot in s0/s1, so
    # MCUboot is compiled with PM_S1_ADDRESS defined (see Behaviour.skips_app_slot_check).
    nsib: bool = False
    # Stored bytes per encryption key before alignment (see DEFAULT_ENC_KEY_BYTES).
    enc_key_bytes: int = DEFAULT_ENC_KEY_BYTES


class Reason(NamedTuple):
    """Why a slot law fails, with MCUboot's own log line and the numbers behind it."""
    code: str        # stable machine key
    outcome: str     # "bricks", "refuses", "risk", "note"
    message: str     # one sentence with the numbers and, where it applies, what to change
    log_line: Optional[str] = None   # exact line the device prints, when there is one
    numbers: Mapping = MappingProxyType({})


class SlotAnalysis(NamedTuple):
    """The result of applying MCUboot's slot laws to a primary/secondary pair."""
    mode: str
    primary_sectors: int
    secondary_sectors: Optional[int]
    scratch_sectors: Optional[int]
    trailer_size: int            # bytes, T
    trailer_area: int            # T rounded up to primary pages (A)
    max_image_size: Optional[int]   # largest update that upgrades cleanly, None if none can
    upgrade_possible: bool
    boots: bool                  # False when an image cannot boot even with no update pending
    reasons: list[Reason]
    needed_max_img_sectors: int  # smallest BOOT_MAX_IMG_SECTORS covering every slot read
    #                              (0 in modes that never read the sector table)
    # Additions beyond the shared contract:
    secondary_sectors_seen: Optional[int] = None   # N_s', 0 when the secondary exceeds the table
    accepted_image_size: Optional[int] = None      # what MCUboot's own size check lets through
    running_image_limit: Optional[int] = None      # bound the running image is validated against
    behaviour: str = ""                            # which MCUboot behaviour the analysis assumed

    def reason(self, code: str) -> Optional[Reason]:
        """The first reason with this code, or None."""
        for r in self.reasons:
            if r.code == code:
                return r
        return None

    @property
    def codes(self) -> list[str]:
        return [r.code for r in self.reasons]


# --------------------------------------------------------------------------------------------
# Per-version behaviour
# --------------------------------------------------------------------------------------------

class Behaviour(NamedTuple):
    """Which variant of each version-dependent rule applies.

    ``move_counts``
        ``"equal"`` (MCUboot < 1.7.0: only equal counts, older warning text), ``"pair"``
        (primary = secondary or secondary + 1), ``"pair-or-usable"`` (MCUboot 2.1.x and
        sdk-mcuboot v2.1.0-ncs1...ncs5, i.e. NCS 2.7-3.0: also accepts a primary whose
        sectors minus the trailer's sectors equal secondary + 1).
    ``size_bound``
        ``"none"`` (MCUboot < 1.10.0, NCS < 2.4: no size check), ``"per-slot"`` (MCUboot
        1.10-2.1, NCS 2.4-3.0: each slot is checked against its own size minus its
        trailer, rounded down to a sector for move/offset; one sector more permissive than
        later), ``"padded-slot"`` (upstream 2.2.x only: move uses primary size - A - one
        page, offset secondary size - A - one page, for the update and the running image
        alike), ``"unified"`` (MCUboot >= 2.3.0, NCS >= 3.1: the min over both slots, also
        for the running image; this is what makes law 6 brick).
    ``secondary_read_failure_bricks``
        MCUboot < 1.8.0 (NCS < 1.7) stopped at any sector-table failure, also a
        secondary-only one, before reading the primary header.
    ``has_swap_offset``
        MCUboot >= 2.2.0; NCS >= 3.0 (sdk-mcuboot v2.1.0-ncs5).
    ``skips_app_slot_check``
        sdk-mcuboot up to ncs-v3.1.x (NCS <= 3.1) returns "compatible" from
        ``boot_slots_compatible()`` for every image (swap-move, swap-scratch, overwrite-only)
        when PM_S1_ADDRESS is defined, i.e. when NCS's immutable bootloader with MCUboot in
        s0/s1 is part of the build; from ncs-v3.2.0 that shortcut only covers the network
        core and second-stage-MCUboot images. Only set when ``BootParams.nsib`` is true.
    """

    basis: str
    move_counts: str = "pair"
    size_bound: str = "unified"
    secondary_read_failure_bricks: bool = False
    has_swap_offset: bool = True
    skips_app_slot_check: bool = False

    @property
    def running_bound_depends_on_secondary(self) -> bool:
        return self.size_bound == "unified"


def _until(version: tuple, *rows: tuple, last: str) -> str:
    """The value of the first (until, value) row whose `until` is above `version`, else `last`."""
    for until, value in rows:
        if version < until:
            return value
    return last


def _vtext(v: tuple[int, int, int]) -> str:
    return ".".join(str(x) for x in v)


def mcuboot_behaviour(params: BootParams) -> Behaviour:
    """Pick the per-version behaviour for ``params``.

    ``ncs_version`` wins over ``upstream_version``. NCS releases map to the sdk-mcuboot tag
    they pin (NCS 2.4 -> v1.10.0-ncs1, NCS 2.7-3.0 -> v2.1.0-ncs1...ncs5, NCS 3.1 ->
    ncs-v3.1.0, ...). Law 6's unified bound is carried by NCS >= 3.1: sdk-mcuboot ncs-v3.1.0
    holds the "[nrf fromlist] bootutil: Unify app_max_size() implementations" change (the
    upstream commit released in MCUboot 2.3.0), and ncs-v3.2.0 onward hold the upstream one;
    NCS 3.0 and older do not. With neither version known the newest behaviour (MCUboot >=
    2.3.0, NCS >= 3.2) is assumed, which is the strictest one for law 6.
    """
    ncs = params.ncs_version
    up = params.upstream_version
    if ncs is not None:
        ncs = tuple(ncs)
        return Behaviour(
            basis=f"NCS {_vtext(ncs)}",
            move_counts=_until(ncs, ((2, 7, 0), "pair"), ((3, 1, 0), "pair-or-usable"), last="pair"),
            size_bound=_until(ncs, ((2, 4, 0), "none"), ((3, 1, 0), "per-slot"), last="unified"),
            secondary_read_failure_bricks=ncs < (1, 7, 0),
            has_swap_offset=ncs >= (3, 0, 0),
            skips_app_slot_check=params.nsib and ncs < (3, 2, 0),
        )
    if up is not None:
        up = tuple(up)
        return Behaviour(
            basis=f"MCUboot {_vtext(up)}",
            move_counts=_until(up, ((1, 7, 0), "equal"), ((2, 1, 0), "pair"), ((2, 2, 0), "pair-or-usable"),
                               last="pair"),
            size_bound=_until(up, ((1, 10, 0), "none"), ((2, 2, 0), "per-slot"), ((2, 3, 0), "padded-slot"),
                              last="unified"),
            secondary_read_failure_bricks=up < (1, 8, 0),
            has_swap_offset=up >= (2, 2, 0),
        )
    return Behaviour(basis="MCUboot >= 2.3.0 / NCS >= 3.2 [assumed: no version given]")


# --------------------------------------------------------------------------------------------
# Small arithmetic helpers
# --------------------------------------------------------------------------------------------

def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def _align_up(n: int, a: int) -> int:
    return _ceil_div(n, a) * a


def _u32(n: int) -> int:
    """MCUboot's uint32 arithmetic: a negative value wraps around."""
    return n % _U32


def _bound_text(b: int) -> str:
    return "no limit (the bound wraps around)" if b >= 1 << 31 else sz(b)


def sector_count(size: int, page_size: int) -> int:
    """Sectors MCUboot sees in a slot: ``ceil(size / page_size)`` (a partial last page counts)."""
    if page_size <= 0:
        raise ValueError(f"page size must be positive, got {page_size}")
    if size < 0:
        raise ValueError(f"slot size must not be negative, got {size}")
    return _ceil_div(size, page_size)


# --------------------------------------------------------------------------------------------
# Trailer
# --------------------------------------------------------------------------------------------

def _check_mode(mode: str) -> None:
    if mode not in MODES:
        raise ValueError(f"unknown MCUboot mode {mode!r}; expected one of {', '.join(MODES)}")


def _status_states(mode: str) -> int:
    """Status entries per sector: 3 (move: 1 move + 2 swap states; scratch: 3), 2 for offset,
    0 in the single-slot modes, which keep no swap status."""
    if mode in SINGLE_SLOT_MODES:
        return 0
    if mode == "swap-offset":
        return 2
    return 3


def trailer_info_size(mode: str, max_align: int = 8, encrypted: bool = False,
                      enc_key_bytes: int = DEFAULT_ENC_KEY_BYTES) -> int:
    """The fixed part of the trailer: magic (16 B aligned up to BOOT_MAX_ALIGN), swap type,
    copy-done, image-ok and swap size (one BOOT_MAX_ALIGN each), one more BOOT_MAX_ALIGN for
    swap-offset, and two aligned encryption keys when images are encrypted."""
    _check_mode(mode)
    if max_align <= 0:
        raise ValueError(f"BOOT_MAX_ALIGN must be positive, got {max_align}")
    info = _align_up(16, max_align) + 4 * max_align
    if mode == "swap-offset":
        info += max_align
    if encrypted:
        info += 2 * _align_up(enc_key_bytes, max_align)
    return info


def trailer_size(mode: str, max_img_sectors: int, write_block: int = 4, max_align: int = 8,
                 encrypted: bool = False, enc_key_bytes: int = DEFAULT_ENC_KEY_BYTES) -> int:
    """Size in bytes of the image trailer MCUboot keeps at the end of a slot.

    ``T = BOOT_MAX_IMG_SECTORS x states x write_block + info`` with 3 states (2 for
    swap-offset, 0 for single-app / firmware-loader) and ``info`` from
    :func:`trailer_info_size`. Examples at write block 4, BOOT_MAX_ALIGN 8, no encryption:
    swap-move with 128 sectors = 1584 B, 256 = 3120 B, 512 = 6192 B; swap-offset is
    ``8·M + 56``; nRF54L (write block 16) swap-move is ``48·M + 48``. Encryption adds
    ``2 x align_up(enc_key_bytes, max_align)`` (32 B for AES-128 keys at alignment 8).
    """
    _check_mode(mode)
    if max_img_sectors < 0:
        raise ValueError(f"BOOT_MAX_IMG_SECTORS must not be negative, got {max_img_sectors}")
    if write_block <= 0:
        raise ValueError(f"write block size must be positive, got {write_block}")
    status = max_img_sectors * _status_states(mode) * write_block
    return status + trailer_info_size(mode, max_align, encrypted, enc_key_bytes)


def overwrite_bound(slot_size: int, max_align: int = 8) -> int:
    """Largest image an overwrite-only / direct-XIP / RAM-load slot validates: the offset of
    the swap-info field, i.e. slot - magic - image_ok - copy_done - swap_info (slot - 40 B at
    BOOT_MAX_ALIGN 8)."""
    return slot_size - _align_up(16, max_align) - 3 * max_align


# --------------------------------------------------------------------------------------------
# Swap-scratch / overwrite-only sector walk
# --------------------------------------------------------------------------------------------

def _walk(n_p: int, s_p: int, n_s: int, s_s: int, scratch_size: Optional[int],
          overwrite: bool) -> tuple[str, int]:
    """Replay MCUboot's lock-step walk over both sector lists.

    Returns ``(status, completed)``: status is ``"ok"``, ``"non-compatible"`` (page sizes
    do not nest), ``"not-fit"`` (a group is larger than the scratch) or ``"ub"`` (MCUboot
    would read past the end of one sector table: the result depends on stale RAM);
    ``completed`` is the size of the fully matched sector groups seen so far.
    """
    i = j = sz0 = sz1 = completed = 0
    smaller = 0
    while i < n_p or j < n_s:
        if sz0 == sz1:
            if i >= n_p or j >= n_s:
                return "ub", completed
            sz0 += s_p
            sz1 += s_s
            i += 1
            j += 1
        elif sz0 < sz1:
            if smaller == 2:
                return "non-compatible", completed
            if i >= n_p:
                return "ub", completed
            sz0 += s_p
            smaller = 1
            i += 1
        else:
            if smaller == 1:
                return "non-compatible", completed
            if j >= n_s:
                return "ub", completed
            sz1 += s_s
            smaller = 2
            j += 1
        if not overwrite and sz0 == sz1:
            completed += sz0
            if scratch_size is not None and sz0 > scratch_size:
                return "not-fit", completed
            smaller = sz0 = sz1 = 0
    return "ok", completed


def _first_trailer_sector_end(n: int, page: int, t: int) -> int:
    """End offset of the lowest sector of a slot that holds trailer bytes."""
    if n <= 0:
        return 0
    c = max(1, _ceil_div(t, page))
    return max(n - c + 1, 0) * page


def _scratch_adjust(usable: int, t: int, scratch_trailer: int, ends: tuple[int, ...]) -> int:
    """Usable size minus the trailer and the padding that lets the scratch hold the trailer
    when the lowest trailer sector is copied into it."""
    trailer_off = usable - t
    r = max(ends) - trailer_off
    pad = scratch_trailer - r if 0 <= r < scratch_trailer else 0
    return _u32(trailer_off - pad)


# --------------------------------------------------------------------------------------------
# The analysis
# --------------------------------------------------------------------------------------------

class _Ctx:
    """State shared by the steps of one computation."""
    __slots__ = ("params", "beh", "primary", "secondary", "scratch", "running", "n_p", "n_s", "n_s_seen", "n_c",
                 "t", "a", "w", "needed", "reasons", "boots", "compatible", "compat_fix")

    params: BootParams
    beh: Behaviour
    primary: SlotGeom
    secondary: Optional[SlotGeom]
    scratch: Optional[SlotGeom]
    running: Optional[int]
    n_p: int
    n_s: Optional[int]
    n_s_seen: Optional[int]
    n_c: Optional[int]
    t: int
    a: int
    w: int
    needed: int
    reasons: list[Reason]
    boots: bool
    compatible: bool
    compat_fix: str

    def __init__(self, params: BootParams, beh: Behaviour, primary: SlotGeom, secondary: Optional[SlotGeom],
                 scratch: Optional[SlotGeom], running: Optional[int], n_p: int, n_s: Optional[int],
                 n_s_seen: Optional[int], n_c: Optional[int], t: int, a: int, w: int, needed: int) -> None:
        self.params = params
        self.beh = beh
        self.primary = primary
        self.secondary = secondary
        self.scratch = scratch
        self.running = running
        self.n_p = n_p
        self.n_s = n_s
        self.n_s_seen = n_s_seen
        self.n_c = n_c
        self.t = t
        self.a = a
        self.w = w
        self.needed = needed
        self.reasons = []
        self.boots = True
        self.compatible = True
        self.compat_fix = ""

    @property
    def m(self) -> int:
        return self.params.max_img_sectors

    @property
    def mode(self) -> str:
        return self.params.mode

    def add(self, code: str, outcome: str, message: str, log_line: Optional[str] = None,
            **numbers) -> Reason:
        r = Reason(code=code, outcome=outcome, message=message, log_line=log_line,
                   numbers=dict(numbers))
        self.reasons.append(r)
        return r


def analyse(primary: SlotGeom, secondary: Optional[SlotGeom], params: BootParams,
            scratch: Optional[SlotGeom] = None,
            running_image_size: Optional[int] = None) -> SlotAnalysis:
    """Apply laws 1-9 to one image's slots.

    ``running_image_size`` is the size (header + image + TLVs) of the image that will sit in
    the primary slot. When it is None, law 6 is reported as a bound: a ``"risk"`` reason
    saying which running-image size would stop the device from booting, raised only when the
    secondary lowers that bound by more than one primary page below what the primary alone
    allows with swap-move's preferred layout (so equal swap-offset slots, one page short of
    offset's preferred layout, raise nothing). When the bound is at
    most :data:`REAL_APP_MIN_SIZE` (64 KiB), no application with MCUboot and a BLE/Wi-Fi
    stack fits, so it is reported as ``"bricks"`` and ``boots`` is False. Law 8 gives the
    largest swap that scratch chunks carry as the exact bound on update and running image
    (``max_image_size``), unless the running image is known to exceed it.

    ``boots`` is about the device with no update pending (laws 1 and 6). A brick that only
    happens during an upgrade (laws 7 and 8) is reported as such in its reason, with ``boots``
    left True. ``max_image_size`` is the largest update that upgrades cleanly (laws 5, 7, 8);
    ``accepted_image_size`` is what MCUboot's own size check lets through.

    Direct-XIP, RAM-load, single-app and firmware-loader never compare the slots and never
    read the sector table (``needed_max_img_sectors`` is 0 for them); a note says so.

    Behaviour differences between releases come from :func:`mcuboot_behaviour`.
    Not modelled: multi-image dependencies, logical sectors
    (CONFIG_MCUBOOT_LOGICAL_SECTOR_SIZE), compressed images, slots with mixed page sizes
    inside one slot. Swap-offset under NCS 3.0 uses the later formula (the 3.0 fork's bound
    for offset was not measured).
    """
    _check_mode(params.mode)
    mode = params.mode
    beh = mcuboot_behaviour(params)
    for g in (primary, secondary, scratch):
        if g is not None and (g.size <= 0 or g.page_size <= 0 or g.write_block <= 0):
            raise ValueError(f"slot {g.name or '?'}: size, page size and write block "
                             f"must be positive")
    if params.max_img_sectors <= 0:
        raise ValueError(f"BOOT_MAX_IMG_SECTORS must be positive, got {params.max_img_sectors}")

    m = params.max_img_sectors
    n_p = sector_count(primary.size, primary.page_size)
    n_s = sector_count(secondary.size, secondary.page_size) if secondary is not None else None
    uses_scratch = mode == "swap-scratch" and scratch is not None
    n_c = sector_count(scratch.size, scratch.page_size) if uses_scratch else None
    w = primary.write_block
    if uses_scratch:
        w = max(w, scratch.write_block)
    t = trailer_size(mode, m, w, params.max_align, params.encrypted, params.enc_key_bytes)
    a = _align_up(t, primary.page_size)
    if mode in SECTOR_TABLE_MODES:
        needed = max(n_p, n_s or 0, n_c or 0)
        n_s_seen = None if n_s is None else (n_s if n_s <= m else 0)
    else:
        needed = 0
        n_s_seen = n_s

    ctx = _Ctx(params=params, beh=beh, primary=primary, secondary=secondary,
               scratch=scratch if uses_scratch else None, running=running_image_size,
               n_p=n_p, n_s=n_s, n_s_seen=n_s_seen, n_c=n_c, t=t, a=a, w=w, needed=needed)

    if mode in SECTOR_TABLE_MODES:
        result = _analyse_swap_family(ctx)
    elif mode in NO_CHECK_TWO_SLOT_MODES:
        result = _analyse_no_check(ctx)
    else:
        result = _analyse_single_slot(ctx)
    max_image, accepted, running_limit, upgrade = result

    return SlotAnalysis(
        mode=mode,
        primary_sectors=n_p,
        secondary_sectors=n_s,
        scratch_sectors=n_c,
        trailer_size=t,
        trailer_area=a,
        max_image_size=max_image,
        upgrade_possible=upgrade,
        boots=ctx.boots,
        reasons=ctx.reasons,
        needed_max_img_sectors=needed,
        secondary_sectors_seen=n_s_seen,
        accepted_image_size=accepted,
        running_image_limit=running_limit,
        behaviour=beh.basis,
    )


# ---- modes without a compatibility check ------------------------------------------------------

def _analyse_single_slot(ctx: _Ctx):
    p = ctx.primary
    bound = p.size - ctx.t
    ctx.add("no-compatibility-check", "note",
            f"{ctx.mode} has a single application slot: MCUboot compares no slots and never reads "
            f"the sector table; the image must fit the primary {sz(p.size)} minus the "
            f"{ctx.t}-byte trailer, i.e. at most {sz(max(bound, 0))}.",
            primary_size=p.size, trailer_size=ctx.t, bound=bound)
    _running_check(ctx, bound if ctx.beh.size_bound != "none" else None, None)
    ok = bound > 0
    if not ok:
        _no_room(ctx, bound)
    return (bound if ok else None, bound if ok else None,
            bound if ctx.beh.size_bound != "none" else None, ok)


def _analyse_no_check(ctx: _Ctx):
    p, s = ctx.primary, ctx.secondary
    ma = ctx.params.max_align
    b_p = overwrite_bound(p.size, ma)
    if s is None:
        ctx.add("no-secondary-slot", "note",
                f"{ctx.mode} needs a secondary slot but none was given; only the primary "
                f"{sz(p.size)} was checked.", primary_size=p.size)
        _running_check(ctx, b_p if ctx.beh.size_bound != "none" else None, None)
        return None, None, b_p, False
    b_s = overwrite_bound(s.size, ma)
    bound = min(b_p, b_s)
    extra = ""
    if p.size != s.size:
        extra = (f"; the slots differ ({sz(p.size)} vs {sz(s.size)}), so the image built for "
                 f"the smaller one limits the application to {sz(bound)}")
    ctx.add("no-compatibility-check", "note",
            f"{ctx.mode} has no slot-compatibility check and does not read the sector table: "
            f"each slot's image is validated on its own against the slot size minus "
            f"{p.size - b_p} B{extra}.",
            primary_size=p.size, secondary_size=s.size, bound=bound)
    running = b_p if ctx.beh.size_bound != "none" else None
    _running_check(ctx, running, None)
    ok = bound > 0
    if not ok:
        _no_room(ctx, bound)
    return (bound if ok else None, bound if ok else None, running, ok)


def _no_room(ctx: _Ctx, bound: int) -> None:
    ctx.add("no-room-for-image", "refuses",
            f"The slots leave no room for an image: after the trailer and swap space the bound "
            f"is {bound} bytes; make the slots larger.",
            bound=bound, trailer_size=ctx.t, trailer_area=ctx.a)


# ---- swap-move, swap-offset, swap-scratch, overwrite-only -----------------------------------

def _analyse_swap_family(ctx: _Ctx):
    p, s = ctx.primary, ctx.secondary
    mode = ctx.mode
    m = ctx.m

    if mode == "swap-offset" and not ctx.beh.has_swap_offset:
        ctx.add("mode-unavailable", "note",
                f"Swap-offset first appears in MCUboot 2.2.0 / NCS 3.0 (sdk-mcuboot v2.1.0-ncs5); "
                f"{ctx.beh.basis} has no such mode, so the build will not use it.")

    # Law 1: the sector tables.
    if ctx.n_p > m:
        follow = (LOG_PRIMARY_INVALID[3:] if ctx.params.validate_primary
                  else "Bad image magic 0x0")
        ctx.add("primary-too-many-sectors", "bricks",
                f"The primary slot {sz(p.size)} has {ctx.n_p} sectors of {sz(p.page_size)} but "
                f"BOOT_MAX_IMG_SECTORS is {m}: MCUboot cannot read its sector table, never reads "
                f"the primary header (\"{follow}\" follows) and boots nothing, even with no update "
                f"pending; set BOOT_MAX_IMG_SECTORS >= {ctx.needed}.",
                LOG_FAILED_SECTORS.format(m=m),
                primary_sectors=ctx.n_p, max_img_sectors=m,
                needed_max_img_sectors=ctx.needed, primary_size=p.size, page_size=p.page_size)
        ctx.boots = False
        return None, None, None, False

    if s is None:
        ctx.add("no-secondary-slot", "note",
                f"{mode} needs a secondary slot but none was given; only the primary "
                f"{sz(p.size)} ({ctx.n_p} sectors) was checked.", primary_sectors=ctx.n_p)
        return None, None, None, False

    if ctx.n_s > m:
        if ctx.beh.secondary_read_failure_bricks:
            ctx.add("secondary-too-many-sectors", "bricks",
                    f"The secondary slot {sz(s.size)} has {ctx.n_s} sectors of {sz(s.page_size)} "
                    f"but BOOT_MAX_IMG_SECTORS is {m}; {ctx.beh.basis} stops at that failure "
                    f"before reading the primary header and boots nothing; set "
                    f"BOOT_MAX_IMG_SECTORS >= {ctx.needed}.",
                    LOG_FAILED_SECTORS.format(m=m),
                    secondary_sectors=ctx.n_s, max_img_sectors=m,
                    needed_max_img_sectors=ctx.needed, secondary_size=s.size,
                    page_size=s.page_size)
            ctx.boots = False
            return None, None, None, False
        ctx.add("secondary-too-many-sectors", "refuses",
                f"The secondary slot {sz(s.size)} has {ctx.n_s} sectors of {sz(s.page_size)} "
                f"but BOOT_MAX_IMG_SECTORS is {m}: MCUboot counts the secondary as 0 sectors and "
                f"refuses every update while the old image keeps booting; set "
                f"BOOT_MAX_IMG_SECTORS >= {ctx.needed}.",
                LOG_FAILED_SECTORS.format(m=m),
                secondary_sectors=ctx.n_s, secondary_sectors_seen=0, max_img_sectors=m,
                needed_max_img_sectors=ctx.needed, secondary_size=s.size, page_size=s.page_size)

    if ctx.scratch is not None and ctx.n_c > m:
        c = ctx.scratch
        ctx.add("scratch-too-many-sectors", "bricks",
                f"The scratch area {sz(c.size)} has {ctx.n_c} sectors of {sz(c.page_size)} but "
                f"BOOT_MAX_IMG_SECTORS is {m}: MCUboot reports that like a primary failure, never "
                f"reads the primary header and boots nothing; set BOOT_MAX_IMG_SECTORS >= "
                f"{ctx.needed} or use larger scratch pages.",
                LOG_FAILED_SECTORS.format(m=m),
                scratch_sectors=ctx.n_c, max_img_sectors=m, needed_max_img_sectors=ctx.needed,
                scratch_size=c.size)
        ctx.boots = False
        return None, None, None, False

    if mode == "swap-move":
        return _move(ctx)
    if mode == "swap-offset":
        return _offset(ctx)
    if mode == "swap-scratch":
        return _scratch(ctx)
    return _overwrite(ctx)


def _hidden_note(ctx: _Ctx) -> str:
    if ctx.n_s is not None and ctx.n_s_seen == 0 and ctx.n_s > 0:
        return (f" (the secondary's real {ctx.n_s} sectors exceed BOOT_MAX_IMG_SECTORS={ctx.m}, "
                f"so MCUboot counts 0)")
    return ""


def _soften_if_skipped(ctx: _Ctx, first_index: int) -> None:
    """NCS <= 3.1 with NSIB: MCUboot's check returns "compatible", so nothing is refused."""
    if not ctx.beh.skips_app_slot_check:
        return
    for i in range(first_index, len(ctx.reasons)):
        r = ctx.reasons[i]
        if r.code in _COMPAT_CODES:
            ctx.reasons[i] = r._replace(
                outcome="risk", log_line=None, numbers=dict(r.numbers, check_skipped=True),
                message=(f"{r.message} However, {ctx.beh.basis} built with NCS's immutable "
                         f"bootloader (PM_S1_ADDRESS defined) skips this check, so instead of a "
                         f"refusal MCUboot starts a swap on these mismatched slots, with "
                         f"unpredictable results."))


def _move_counts_ok(rule: str, n_p: int, n_s: int, t: int, page: int) -> bool:
    """Law 2's sector-count relation under the given rule (see Behaviour.move_counts)."""
    if rule == "equal":
        return n_p == n_s
    if n_p - n_s in (0, 1):
        return True
    # NCS 2.7-3.0 / MCUboot 2.1.x: primary sectors minus the trailer's sectors = secondary + 1.
    return rule == "pair-or-usable" and n_p - _ceil_div(t, page) == n_s + 1


def _move(ctx: _Ctx):
    p, s = ctx.primary, ctx.secondary
    sp, ss = p.page_size, s.page_size
    n_p, n_s, n_seen = ctx.n_p, ctx.n_s, ctx.n_s_seen
    a, t = ctx.a, ctx.t
    first = len(ctx.reasons)

    rule = ctx.beh.move_counts
    counts_ok = _move_counts_ok(rule, n_p, n_seen, t, sp)
    count_log = LOG_SAME_AMOUNT_OLD if rule == "equal" else LOG_SECTOR_AMOUNT
    layout_ok = sp == ss
    ctx.compatible = counts_ok and layout_ok

    fix_sizes = (f"make the slots equal (both {sz(p.size)}) or the secondary one page smaller "
                 f"({sz(p.size - sp)}), the layout swap-move prefers")
    if not layout_ok:
        _page_size_mismatch(ctx, "Swap-move", fix_sizes, count_log if not counts_ok else LOG_SECTOR_LAYOUT)
    elif not counts_ok:
        hidden = n_seen != n_s
        if hidden and _move_counts_ok(rule, n_p, n_s, t, sp):
            ctx.compat_fix = f"set BOOT_MAX_IMG_SECTORS >= {ctx.needed}"
        else:
            ctx.compat_fix = fix_sizes if rule != "equal" else f"make both slots {sz(p.size)}"
        need = "as many sectors as the secondary" if rule == "equal" else \
            "as many sectors as the secondary or one more"
        ctx.add("sector-count-incompatible", "refuses",
                f"Swap-move needs the primary to have {need}, but the primary {sz(p.size)} has "
                f"{n_p} and the secondary {sz(s.size)} has {n_seen}{_hidden_note(ctx)} sectors "
                f"of {kib(sp)}: every update is refused and the old image keeps booting; "
                f"{ctx.compat_fix}.",
                count_log,
                primary_sectors=n_p, secondary_sectors=n_s, secondary_sectors_seen=n_seen,
                page_size=sp)

    # Law 5: the size bounds per version.
    b_pri = _u32((n_p - 1) * sp - a)
    b_sec = _u32(n_seen * sp - a)
    unified = min(b_pri, b_sec)
    bound = ctx.beh.size_bound
    if bound == "unified":
        accepted, running = unified, unified
    elif bound == "padded-slot":
        accepted = running = _u32(p.size - a - sp)
    elif bound == "per-slot":
        accepted = _sector_off(s.size, ss, t)
        running = _sector_off(p.size, sp, t)
    else:
        accepted = _sector_off(s.size, ss, t)
        running = None
    _soften_if_skipped(ctx, first)
    return _finish_swap(ctx, accepted, running, reference=b_pri)


def _page_size_mismatch(ctx: _Ctx, mode: str, fix_sizes: str, log: str) -> None:
    """Swap-move and swap-offset compare sectors one by one: different page sizes never match."""
    sp, ss = ctx.primary.page_size, ctx.secondary.page_size
    ctx.compat_fix = (f"give the secondary {kib(sp)} layout pages (for an SPI NOR: "
                      f"CONFIG_SPI_NOR_FLASH_LAYOUT_PAGE_SIZE={sp} in MCUboot and the "
                      f"application) and {fix_sizes}")
    ctx.add("page-size-mismatch", "refuses",
            f"{mode} needs both slots to use the same sector size, but the primary has "
            f"{kib(sp)} pages ({ctx.n_p} sectors) and the secondary {kib(ss)} pages ({ctx.n_s} "
            f"sectors){_hidden_note(ctx)}: every update is refused; {ctx.compat_fix}.",
            log, primary_sectors=ctx.n_p, secondary_sectors=ctx.n_s, secondary_sectors_seen=ctx.n_s_seen,
            primary_page_size=sp, secondary_page_size=ss)


def _sector_off(size: int, page: int, t: int) -> int:
    """Start of the sector that holds the start of the trailer (the pre-2.2 move/offset
    bound); 0 when the slot is smaller than the trailer (MCUboot's lookup fails)."""
    if size < t:
        return 0
    return ((size - t) // page) * page


def _offset(ctx: _Ctx):
    p, s = ctx.primary, ctx.secondary
    sp, ss = p.page_size, s.page_size
    n_p, n_s, n_seen = ctx.n_p, ctx.n_s, ctx.n_s_seen
    a, t = ctx.a, ctx.t

    counts_ok = n_seen - n_p in (0, 1)
    layout_ok = sp == ss
    ctx.compatible = counts_ok and layout_ok
    fix_sizes = (f"make the secondary one page larger than the primary ({sz(p.size + sp)}), the "
                 f"layout swap-offset prefers, or equal to it ({sz(p.size)})")
    if not layout_ok:
        _page_size_mismatch(ctx, "Swap-offset", fix_sizes, LOG_SECTOR_AMOUNT if not counts_ok else LOG_SECTOR_LAYOUT)
    elif not counts_ok:
        hidden = n_seen != n_s
        if hidden and n_s - n_p in (0, 1):
            ctx.compat_fix = f"set BOOT_MAX_IMG_SECTORS >= {ctx.needed}"
        else:
            ctx.compat_fix = fix_sizes
        ctx.add("sector-count-incompatible", "refuses",
                f"Swap-offset needs the secondary to have as many sectors as the primary or one "
                f"more, but the primary {sz(p.size)} has {n_p} and the secondary {sz(s.size)} "
                f"has {n_seen}{_hidden_note(ctx)} sectors of {kib(sp)}: every update is refused "
                f"and the old image keeps booting; {ctx.compat_fix}.",
                LOG_SECTOR_AMOUNT,
                primary_sectors=n_p, secondary_sectors=n_s, secondary_sectors_seen=n_seen,
                page_size=sp)

    b_pri = _u32(n_p * sp - a)
    b_sec = _u32(n_seen * sp - a - sp)
    unified = min(b_pri, b_sec)
    bound = ctx.beh.size_bound
    if bound in ("unified", "per-slot", "none"):
        # Swap-offset only exists from MCUboot 2.2.0 / NCS 3.0; NCS 3.0's own bound is not
        # modelled separately, the later formula is used for the update.
        accepted = unified
        if bound == "unified":
            running = unified
        elif bound == "per-slot":
            running = _sector_off(p.size, sp, t)
        else:
            running = None
    else:  # padded-slot, MCUboot 2.2.x: secondary size - A(secondary pages) - one page
        a_s = _align_up(t, ss)
        accepted = running = _u32(s.size - a_s - ss)
    return _finish_swap(ctx, accepted, running, reference=b_pri)


def _scratch_info(ctx: _Ctx) -> tuple[int, int]:
    """(T, scratch trailer = one status entry + info)."""
    info = trailer_info_size(ctx.mode, ctx.params.max_align, ctx.params.encrypted,
                             ctx.params.enc_key_bytes)
    return ctx.t, _status_states(ctx.mode) * ctx.w + info


def _expected_secondary_sectors(n_p: int, sp: int, ss: int) -> int:
    """Secondary sectors that exactly cover the primary (law 4)."""
    if ss >= sp:
        return _ceil_div(n_p * sp, ss)
    # Smaller secondary pages: they must fill the primary's pages completely.
    return n_p * sp // ss


def _scratch(ctx: _Ctx):
    p, s, c = ctx.primary, ctx.secondary, ctx.scratch
    sp, ss = p.page_size, s.page_size
    n_p, n_seen = ctx.n_p, ctx.n_s_seen
    t, scratch_trailer = _scratch_info(ctx)
    big = max(sp, ss)
    first = len(ctx.reasons)

    if c is None:
        ctx.add("no-scratch-area", "note",
                f"Swap-scratch needs a scratch partition but none was given; the scratch laws "
                f"(size at least {sz(big)}, a multiple of it) were not checked.",
                largest_page=big)
    status, completed = _walk(n_p, sp, n_seen, ss, c.size if c is not None else None, False)
    _compat_reasons(ctx, status, overwrite=False)

    ends = (_first_trailer_sector_end(n_p, sp, t), _first_trailer_sector_end(n_seen, ss, t))
    if status in ("non-compatible", "not-fit"):
        unified = 0
    else:
        usable = completed if status == "ok" else \
            (min(n_p * sp, n_seen * ss) // big) * big
        unified = _scratch_adjust(usable, t, scratch_trailer, ends)
    reference = _scratch_adjust(n_p * sp, t, scratch_trailer,
                                (_first_trailer_sector_end(n_p, sp, t),))
    bound = ctx.beh.size_bound
    if bound == "unified":
        accepted = running = unified
    else:
        accepted = _scratch_adjust(s.size, t, scratch_trailer, ends)
        running = _scratch_adjust(p.size, t, scratch_trailer, ends) if bound != "none" else None
    _soften_if_skipped(ctx, first)

    max_image, accepted, running, upgrade = _finish_swap(ctx, accepted, running, reference)

    # Law 8: chunk alignment when the secondary's pages are larger.
    if ctx.compatible and c is not None and ss > sp:
        chunk = (c.size // sp) * sp
        if chunk % ss != 0:
            safe = (chunk // ss) * ss
            v = ctx.running
            fix = (f"make the scratch a multiple of {kib(ss)} (e.g. "
                   f"{sz(_align_up(c.size, ss))})")
            base = (f"Swap-scratch moves {sz(chunk)} per step (the scratch {sz(c.size)} in "
                    f"whole {kib(sp)} primary pages), not a multiple of the secondary's "
                    f"{kib(ss)} pages, so a swap of more than {sz(safe)} (update or running "
                    f"image, rounded up to {kib(ss)}) erases secondary pages that still hold "
                    f"unswapped data and the upgrade boot ends with no bootable image (a reset "
                    f"then reverts)")
            if v is not None and v > safe:
                ctx.add("scratch-chunk-misaligned", "bricks",
                        f"{base}; the running image ({sz(v)}) already exceeds that, so every "
                        f"upgrade breaks; {fix}.",
                        scratch_size=c.size, chunk=chunk, safe_swap_size=safe,
                        running_image_size=v, secondary_page_size=ss)
                max_image, upgrade = None, False
            else:
                # updates (and a running image) up to `safe` swap cleanly: that is the exact
                # bound, whatever the application's size turns out to be
                ctx.add("scratch-chunk-misaligned", "risk",
                        f"{base}; keep every update and running image at most {sz(safe)} or "
                        f"{fix}.",
                        scratch_size=c.size, chunk=chunk, safe_swap_size=safe,
                        secondary_page_size=ss)
                if max_image is not None:
                    max_image = min(max_image, safe)

    _partial_page(ctx)
    return max_image, accepted, running, upgrade


def _compat_reasons(ctx: _Ctx, status: str, overwrite: bool) -> None:
    """Law 4 reasons from the walk's status."""
    p, s, c = ctx.primary, ctx.secondary, ctx.scratch
    sp, ss = p.page_size, s.page_size
    n_p, n_s, n_seen = ctx.n_p, ctx.n_s, ctx.n_s_seen
    name = "Overwrite-only" if overwrite else "Swap-scratch"
    if status == "ok":
        ctx.compatible = True
        return
    ctx.compatible = False
    if status == "non-compatible":
        ctx.compat_fix = (f"use page sizes that are multiples of each other (e.g. "
                          f"{kib(min(sp, ss))} on both)")
        ctx.add("non-compatible-sectors", "refuses",
                f"{name} needs sector sizes that nest, but the primary's {kib(sp)} and the "
                f"secondary's {kib(ss)} pages are not multiples of each other: every update is "
                f"refused; {ctx.compat_fix}.",
                LOG_NON_COMPATIBLE_SECTORS,
                primary_page_size=sp, secondary_page_size=ss,
                primary_sectors=n_p, secondary_sectors=n_s)
        return
    if status == "not-fit":
        big = max(sp, ss)
        ctx.compat_fix = f"make the scratch at least {sz(big)} and a multiple of {kib(big)}"
        ctx.add("scratch-too-small", "refuses",
                f"The scratch area {sz(c.size)} is smaller than the largest sector group "
                f"{sz(big)} MCUboot swaps through it: every update is refused; "
                f"{ctx.compat_fix}.",
                LOG_SCRATCH_FIT,
                scratch_size=c.size, largest_page=big, primary_page_size=sp,
                secondary_page_size=ss)
        return
    # "ub": the sector counts do not match; MCUboot reads past one table.
    expected = _expected_secondary_sectors(n_p, sp, ss)
    if n_seen != n_s and n_s == expected:
        ctx.compat_fix = f"set BOOT_MAX_IMG_SECTORS >= {ctx.needed}"
    elif sp == ss:
        ctx.compat_fix = f"make both slots {sz(p.size)}"
    else:
        ctx.compat_fix = (f"make the secondary {expected} pages of {kib(ss)} "
                          f"({sz(expected * ss)})")
    deterministic = sp == ss and abs(n_p - n_seen) == 1
    head = (f"{name} needs the secondary's sectors to cover the primary exactly: the primary's "
            f"{n_p} sectors of {kib(sp)} need {expected} secondary sectors of {kib(ss)}, but "
            f"the secondary {sz(s.size)} has {n_seen}{_hidden_note(ctx)}")
    if deterministic:
        ctx.add("slots-not-compatible", "refuses",
                f"{head}: every update is refused; {ctx.compat_fix}.",
                LOG_NOT_COMPATIBLE,
                primary_sectors=n_p, secondary_sectors=n_s, secondary_sectors_seen=n_seen,
                expected_secondary_sectors=expected)
        return
    tail = ("" if overwrite else
            ", and with the second one swap-scratch also rejects the running image")
    ctx.add("slots-not-compatible", "refuses" if overwrite else "risk",
            f"{head}: every update is refused, and because MCUboot then reads past the end of "
            f"its shorter sector table the warning is either \"slots are not compatible\" or "
            f"\"slots have non-compatible sectors\" depending on leftover RAM{tail}; "
            f"{ctx.compat_fix}.",
            None,
            primary_sectors=n_p, secondary_sectors=n_s, secondary_sectors_seen=n_seen,
            expected_secondary_sectors=expected, undefined_behaviour=True)


def _overwrite(ctx: _Ctx):
    p, s = ctx.primary, ctx.secondary
    sp, ss = p.page_size, s.page_size
    ma = ctx.params.max_align
    first = len(ctx.reasons)

    status, _ = _walk(ctx.n_p, sp, ctx.n_s_seen, ss, None, True)
    _compat_reasons(ctx, status, overwrite=True)
    _soften_if_skipped(ctx, first)

    b_p = overwrite_bound(p.size, ma)
    b_s = overwrite_bound(s.size, ma)
    running = b_p if ctx.beh.size_bound != "none" else None
    _running_check(ctx, running, None)
    upgrade = ctx.compatible and min(b_p, b_s) > 0
    max_image = min(b_p, b_s) if upgrade else None
    accepted = b_s if ctx.compatible else None
    if ctx.compatible and min(b_p, b_s) <= 0:
        _no_room(ctx, min(b_p, b_s))

    # Law 7: a larger secondary lets through updates the primary cannot hold.
    if ctx.compatible and b_s > b_p > 0:
        ctx.add("overwrite-secondary-larger", "risk",
                f"The secondary {sz(s.size)} is larger than the primary {sz(p.size)}: "
                f"overwrite-only accepts updates up to {sz(b_s)} but the primary holds only "
                f"{sz(b_p)}, so an update between those sizes is copied truncated, the "
                f"secondary is erased and neither image boots; keep every update at most "
                f"{sz(b_p)} or make the secondary no larger than the primary.",
                LOG_PRIMARY_INVALID,
                primary_size=p.size, secondary_size=s.size, accepted_image_size=b_s,
                max_image_size=b_p)
    _partial_page(ctx)
    return max_image, accepted, running, upgrade


def _partial_page(ctx: _Ctx) -> None:
    """Law 9, swap-scratch and overwrite-only: a last page sticking out of the slot."""
    if not ctx.compatible:
        return
    for g, label in ((ctx.secondary, "secondary"), (ctx.primary, "primary")):
        rest = g.size % g.page_size
        if not rest:
            continue
        lo = g.size - rest
        hi = lo + g.page_size
        ctx.add("partial-last-page", "risk",
                f"The {label} slot {sz(g.size)} ends {sz(rest)} into a {kib(g.page_size)} page, "
                f"which {ctx.mode} erases whole during an upgrade: the flash map refuses the "
                f"erase past the partition end, which MCUboot ignores with asserts off but which "
                f"trips an assertion with CONFIG_ASSERT=y; make the {label} a multiple of "
                f"{kib(g.page_size)} ({sz(lo)} or {sz(hi)}).",
                None,
                slot=label, size=g.size, page_size=g.page_size, overhang=rest)


# ---- common tail: law 5 bound and law 6 -------------------------------------------------------

def _finish_swap(ctx: _Ctx, accepted: int, running: Optional[int], reference: int):
    """Turn the bounds into the result tuple and report law 6.

    A bound of 0, or one that wrapped around (>= 2 GiB), on compatible slots means the slots
    leave no room for an image."""
    if ctx.beh.size_bound == "none" and ctx.compatible:
        ctx.add("size-bound-not-enforced", "note",
                f"{ctx.beh.basis} (MCUboot before 1.10.0 / NCS before 2.4) does not check image "
                f"size against the trailer: an update above {_bound_text(accepted)} is accepted "
                f"and overwrites the swap status.",
                bound=accepted)
    _running_check(ctx, running, reference)
    no_room = accepted == 0 or accepted >= 1 << 31
    upgrade = ctx.compatible and not no_room
    if ctx.compatible and no_room:
        _no_room(ctx, 0)
    max_image = accepted if upgrade else None
    return max_image, accepted, running, upgrade


def _running_check(ctx: _Ctx, running: Optional[int], reference: Optional[int]) -> None:
    """Law 6: the image in the primary is validated against ``running`` on every boot."""
    if running is None or not ctx.params.validate_primary:
        return
    v = ctx.running
    basis = ctx.beh.basis
    depends = ctx.beh.running_bound_depends_on_secondary and ctx.mode in (
        "swap-move", "swap-offset", "swap-scratch")
    why = (f"{basis} checks the running image against the update bound, which depends on the "
           f"secondary" if depends else f"{basis} checks the running image against this bound")
    fix = ctx.compat_fix or f"keep the application at most {_bound_text(running)}"
    nums = dict(running_image_limit=running, trailer_size=ctx.t, trailer_area=ctx.a,
                primary_sectors=ctx.n_p, secondary_sectors=ctx.n_s,
                secondary_sectors_seen=ctx.n_s_seen)
    if v is not None:
        if v > running:
            ctx.add("running-image-too-large", "bricks",
                    f"The running image {sz(v)} is larger than the {sz(running)} allowed in the "
                    f"primary, so it fails validation on every boot and nothing boots ({why}); "
                    f"{fix}.",
                    LOG_PRIMARY_INVALID, running_image_size=v, **nums)
            ctx.boots = False
        return
    if running <= REAL_APP_MIN_SIZE:
        ctx.add("running-image-too-large", "bricks",
                f"Only {sz(running)} is allowed in the primary, less than any real application "
                f"with MCUboot and a radio stack, so the image fails validation on every boot and "
                f"nothing boots ({why}); {fix}.",
                LOG_PRIMARY_INVALID, **nums)
        ctx.boots = False
        return
    if depends and reference is not None and running < reference - ctx.primary.page_size:
        ctx.add("running-image-too-large", "risk",
                f"A running image larger than {sz(running)} fails validation on every boot and "
                f"nothing boots, although the primary alone would allow {sz(reference)} "
                f"({why}); {fix}.",
                LOG_PRIMARY_INVALID, primary_only_limit=reference, **nums)
