"""2xx: MCUboot's slots and sectors, judged by MCUboot's own laws (`t.boot`, model/mcuboot.py).

Outcomes map to severities: a layout that "refuses" every update is an error, one that
"bricks" (nothing boots) is an error that says so first and quotes the device's log line, a
"risk" (depends on image size or on asserts) is a warning.
"""
from __future__ import annotations


from dfulint.checks import hit, rule
from dfulint.core import Severity, Span
from dfulint.model.layout import VECTOR_ALIGN, ext_geometry_unknown, tfm_unmodelled
from dfulint.checks.common import evidence, partition_span, pm_static_target, usable
from dfulint.units import hx, kib, sz
from dfulint.model.query import paths

TYPE_CHECKING = False      # (typing.TYPE_CHECKING without importing typing)
if TYPE_CHECKING:
    from typing import Optional

COMPAT_CODES = ("sector-count-incompatible", "page-size-mismatch", "slots-not-compatible",
                "non-compatible-sectors")
TABLE_CODES = ("primary-too-many-sectors", "secondary-too-many-sectors", "scratch-too-many-sectors")
SCRATCH_CODES = ("scratch-too-small", "scratch-chunk-misaligned")
ROLE_OF_CODE = {"primary-too-many-sectors": "primary", "secondary-too-many-sectors": "secondary",
                "scratch-too-many-sectors": "scratch"}


# ------------------------------------------------------------------ shared helpers

def _ext_unknown(t, p) -> bool:
    return ext_geometry_unknown(t, p)


def _compressed(t) -> bool:
    sb = t.sysbuild.config if t.sysbuild is not None and t.sysbuild.config is not None else None
    mcu = t.images.get("mcuboot")
    cfg = mcu.config if mcu is not None else None
    return bool((sb is not None and sb.enabled("MCUBOOT_COMPRESSED_IMAGE_SUPPORT")) or
                (cfg is not None and cfg.enabled("MCUBOOT_DECOMPRESS_IMAGES")))


def _reasons(t, codes) -> list:
    """The slot analysis' reasons of these kinds, when the 2xx rules apply to this target."""
    b = _boot(t)
    return [] if b is None else [r for r in b.reasons if r.code in codes]


def _boot(t):
    """The slot analysis when the 2xx rules apply to this target, else None."""
    b = t.boot
    if b is None or not t.mcuboot_enabled:
        return None
    soc = getattr(t.soc, "name", "") or ""
    if soc.endswith("cpunet"):
        return None          # MCUboot does not run on the nRF5340 network core
    if any(_ext_unknown(t, t.slots.get(r)) for r in ("primary", "secondary", "scratch")):
        return None
    if t.flash.errors and not all(p.static for p in t.slots.values()):
        return None          # Partition Manager stops first (DFU108); dynamic sizes are only a guess
    return b


def _mode_text(t) -> str:
    src = f" ({t.mode_source})" if t.mode_source else ""
    return f"{t.mode}{src}"


def _count(t, role: str):
    """(partition, its device's page size, its sectors) of a slot, or None when there is no such slot."""
    p = t.slots.get(role)
    if p is None:
        return None
    dev = t.flash.devices.get(p.region)
    page = dev.page_size if dev else 0
    return p, page, (-(-p.size // page) if page else 0)


def _slot_text(t, role: str) -> str:
    c = _count(t, role)
    if c is None:
        return role
    p, page, n = c
    where = "not pinned, placed by Partition Manager" if not p.static and t.uses_pm else (
        f"{t.app.rel(p.size_at.path)}:{p.size_at.line}" if usable(p.size_at) else p.source)
    return f"{p.name} {sz(p.size)} = {n} x {kib(page)} ({where})"


def _sectors(t, role: str) -> str:
    """'mcuboot_primary has 114 sectors' in short: the slot's name and sector count (and the
    secondary's sector size when it differs from the primary's)."""
    c = _count(t, role)
    if c is None:
        return role
    p, page, n = c
    primary = _count(t, "primary")
    other = role == "secondary" and page and primary is not None and primary[1] and primary[1] != page
    return f"{p.name} has {n} sectors" + (f" of {kib(page)}" if other else "")


_CONSEQUENCE = {"refuses": "refuses every update", "bricks": "nothing boots", "risk": "risks a failed update",
                "note": "note"}


def _slot_headline(t, r, mode: str) -> str:
    """The headline of a slot law's finding: both slots and what MCUboot does about them."""
    pri, sec = t.slots.get("primary"), t.slots.get("secondary")
    what = _CONSEQUENCE.get(r.outcome, "refuses every update")
    if r.code == "page-size-mismatch" and pri is not None and sec is not None:
        dp, ds = t.flash.devices.get(pri.region), t.flash.devices.get(sec.region)
        if dp is not None and ds is not None:
            return (f"{pri.name} has {kib(dp.page_size)} sectors, {sec.name} {kib(ds.page_size)}: "
                    f"{mode} {what}")
    if pri is not None and sec is not None:
        a, b = _sectors(t, "primary"), _sectors(t, "secondary")
        b = b.replace(f"{sec.name} has ", f"{sec.name} ", 1).replace(" sectors", "", 1)
        return f"{a}, {b}: {mode} {what}"
    return f"the slots do not fit {mode}: MCUboot {what}"


def _log(r) -> str:
    return f" MCUboot logs \"{r.log_line}\"." if r.log_line else ""


def _msg(r) -> str:
    """The law's own sentence, ending with a full stop, then the log line."""
    text = r.message.rstrip()
    if not text.endswith("."):
        text += "."
    return text + _log(r)


def _sev(r) -> Optional[Severity]:
    return {"risk": Severity.WARNING, "note": Severity.INFO}.get(r.outcome)


def _head(r) -> str:
    return "NOTHING BOOTS: " if r.outcome == "bricks" else ""


def mcuboot_setting(t, sym: str) -> tuple[Span, str, bool]:
    """Where MCUboot's CONFIG_<sym> is set (its last assignment in the MCUboot image's own
    fragments), or the file to add it to for this build system: (span, file, exists)."""
    mcu = t.images.get("mcuboot")
    if mcu is not None and mcu.config is not None:
        own = set(mcu.conf_paths)
        assigns = [a for a in mcu.config.get(sym).assignments if a.span.path in own]
        if assigns:
            a = assigns[-1]
            return a.span, t.app.rel(a.span.path), True
    root = t.app.root
    if t.build_system == "child_image":
        cands = ["child_image/mcuboot.conf", "child_image/mcuboot/prj.conf"]
        rel = next((c for c in cands if paths(t).has_file(root / c)), cands[0])
    else:
        rel = "sysbuild/mcuboot/prj.conf" if paths(t).has_dir(root / "sysbuild" / "mcuboot") else "sysbuild/mcuboot.conf"
    return Span(root / rel, 1, 1), rel, False


def _page_symbol(t, p) -> Optional[str]:
    dev = t.flash.devices.get(p.region) if p is not None else None
    if dev is None or dev.compatible in ("soc-nv-flash", ""):
        ext = t.ext.get("mcuboot")
        comp = ext.compatible if ext is not None else ""
    else:
        comp = dev.compatible
    if comp == "nordic,qspi-nor":
        return "NORDIC_QSPI_NOR_FLASH_LAYOUT_PAGE_SIZE"
    if comp == "jedec,spi-nor":
        return "SPI_NOR_FLASH_LAYOUT_PAGE_SIZE"
    return None


def _size_fix(t, b) -> tuple[str, Span]:
    """The concrete fix for slots whose sizes do not fit the mode, and the line to edit."""
    pri, sec = t.slots.get("primary"), t.slots.get("secondary")
    dev_p = t.flash.devices.get(pri.region)
    dev_s = t.flash.devices.get(sec.region)
    sp, ss = dev_p.page_size, dev_s.page_size
    mode = b.mode
    if mode == "swap-move":
        good = [pri.size, pri.size - sp]
        words = f"{sz(good[0])} (equal) or {sz(good[1])} (one page smaller, the layout swap-move prefers)"
    elif mode == "swap-offset":
        good = [pri.size + sp, pri.size]
        words = f"{sz(good[0])} (one page larger, the layout swap-offset prefers) or {sz(good[1])} (equal)"
    else:
        n_p = -(-pri.size // sp)
        if ss >= sp:
            want = -(-(n_p * sp) // ss) * ss
        else:
            want = n_p * sp
        good = [want]
        words = f"{sz(want)} ({want // ss} pages of {kib(ss)}, covering the primary exactly)"
    if not sec.static and pri.static:
        return (f"make {pri.name} match the secondary instead, or pin {sec.name} in "
                f"{pm_static_target(t).name} with size {words}", partition_span(t, pri))
    if sec.static and not pri.static and t.uses_pm:
        pad = t.flash.get("mcuboot_pad")
        pad_size = pad.size if pad is not None else 0x200
        target = sec.size if mode != "swap-offset" else max(sec.size - sp, sp)
        return (f"pin {pri.name} in {pm_static_target(t).name} at {hx(pri.address)} with size {hx(target)} "
                f"(mcuboot_pad {hx(pad_size)} + app {hx(target - pad_size)}, and the partitions after it), or size "
                f"{sec.name} to {words}", partition_span(t, sec))
    return f"make {sec.name} {words}", partition_span(t, sec)


# ------------------------------------------------------------------ DFU201


def _to_look_at(t, p) -> bool:
    """Whether partition `p`'s span is in a file the build reads: a line that gives it, or where to
    pin it in an existing pm_static file (not a pm_static file still to be created)."""
    if any(usable(s) for s in (p.size_at, p.where, p.address_at)):
        return True
    s = partition_span(t, p)
    return usable(s) and t.pm_static is not None and s.path == t.pm_static.path

@rule("DFU201", "slot-sectors-incompatible", Severity.ERROR,
      "The slots' sector counts or sector sizes are incompatible for the MCUboot upgrade mode",
      levels=(Severity.WARNING,))
def slot_sectors_incompatible(t):
    b = _boot(t)
    if b is None:
        return
    pri, sec = t.slots.get("primary"), t.slots.get("secondary")
    if pri is None or sec is None:
        return
    for r in b.reasons:
        if r.code not in COMPAT_CODES:
            continue
        if _compressed(t) and b.mode == "overwrite-only" and sec.size <= pri.size and r.code != "non-compatible-sectors":
            continue   # compressed updates: MCUboot skips the final size check and takes a smaller secondary
        head = f"{_head(r)}{_slot_text(t, 'primary')} and {_slot_text(t, 'secondary')} under {_mode_text(t)}: "
        if r.code == "page-size-mismatch" and t.uses_pm and "external_flash" in (pri.region, sec.region):
            continue   # the NOR layout page of Partition Manager's external region: DFU312 reports it
        if r.code == "page-size-mismatch" or r.code == "non-compatible-sectors":
            ext = sec if t.flash.devices.get(sec.region) and sec.region != pri.region else pri
            sym = _page_symbol(t, ext)
            dev_p = t.flash.devices[pri.region]
            if sym is not None:
                span, rel, exists = mcuboot_setting(t, sym)
                fix = (f"set CONFIG_{sym}={dev_p.page_size} in {rel} (MCUboot) and in the application's prj.conf, "
                       f"so both slots have {kib(dev_p.page_size)} sectors")
            else:
                fix, span = _size_fix(t, b)
            yield hit(span, head + _msg(r), fix=fix, image="mcuboot", anchor=sec.name,
                      headline=_slot_headline(t, r, b.mode),
                      severity=_sev(r), evidence=evidence(t),
                      related=[partition_span(t, p) for p in (sec, pri) if _to_look_at(t, p)])
            continue
        fix, span = _size_fix(t, b)
        related = [partition_span(t, pri)] if _to_look_at(t, pri) and span != partition_span(t, pri) else []
        sev = _sev(r)
        text = head + _msg(r)
        if tfm_unmodelled(t) and not (pri.static and sec.static):
            sev = Severity.WARNING
            text += (" (The dynamic slot size is an upper bound: TF-M's partitions in this non-secure build are "
                     "not modelled; pin the layout or pass --build-dir to confirm.)")
        yield hit(span, text, fix=fix, image="mcuboot", anchor=sec.name, headline=_slot_headline(t, r, b.mode),
                  severity=sev, evidence=evidence(t), related=related)


# ------------------------------------------------------------------ DFU202

@rule("DFU202", "max-img-sectors-too-small", Severity.ERROR,
      "CONFIG_BOOT_MAX_IMG_SECTORS is below the number of sectors of a slot MCUboot reads")
def max_img_sectors_too_small(t):
    b = _boot(t)
    if b is None:
        return
    for r in b.reasons:
        if r.code not in TABLE_CODES:
            continue
        need = b.needed_max_img_sectors
        m = t.boot_params.max_img_sectors
        span, rel, exists = mcuboot_setting(t, "BOOT_MAX_IMG_SECTORS")
        role = ROLE_OF_CODE[r.code]
        extra = ""
        if not exists:
            extra = f"; {m} is the default"
            if t.uses_pm:
                extra += " (with Partition Manager MCUboot does not compute it: BOOT_MAX_IMG_SECTORS_AUTO is off)"
        app = t.images.get("app")
        if app is not None and app.config is not None:
            wrong = [a for a in app.config.get("BOOT_MAX_IMG_SECTORS").assignments
                     if a.span.path in set(app.conf_paths)]
            if wrong:
                a = wrong[-1]
                extra += (f"; the CONFIG_BOOT_MAX_IMG_SECTORS={a.value_without_comment} at "
                          f"{t.app.rel(a.span.path)}:{a.span.line} configures the application, not MCUboot")
        grow = (need - m) * 3 * (t.slots["primary"].region in t.flash.devices and
                                 t.flash.devices[t.slots["primary"].region].write_block or 4)
        msg = (f"{_head(r)}{_slot_text(t, role)} has more sectors than MCUboot's sector table "
               f"(CONFIG_BOOT_MAX_IMG_SECTORS={m}{extra}): {_msg(r)}")
        fix = (f"{'change' if exists else 'add'} CONFIG_BOOT_MAX_IMG_SECTORS={need} in {rel} (MCUboot's configuration "
               f"for this {t.build_system.replace('_', '-')} build); any larger value works too, each extra sector "
               f"adds a few bytes to the trailer (+{max(grow, 0)} B here)")
        slot = t.slots.get(role)
        yield hit(span, msg, fix=fix, image="mcuboot", anchor="CONFIG_BOOT_MAX_IMG_SECTORS",
                  headline=f"BOOT_MAX_IMG_SECTORS={m} is below the {need} sectors of "
                           f"{slot.name if slot is not None else role}: " + _CONSEQUENCE.get(r.outcome, "refused"),
                  severity=_sev(r), evidence=evidence(t),
                  related=[partition_span(t, slot)] if slot is not None and _to_look_at(t, slot) else [])


# ------------------------------------------------------------------ DFU203

def _scratch_span(t, c) -> tuple[Span, str]:
    if c.static or t.flash.origin in ("dts", "build"):
        return partition_span(t, c), f"{c.name}'s size"
    if usable(c.size_at):
        return c.size_at, "CONFIG_PM_PARTITION_SIZE_MCUBOOT_SCRATCH"
    span, rel, _ = mcuboot_setting(t, "PM_PARTITION_SIZE_MCUBOOT_SCRATCH")
    return span, f"CONFIG_PM_PARTITION_SIZE_MCUBOOT_SCRATCH in {rel}"


@rule("DFU203", "scratch-size", Severity.ERROR,
      "The swap-scratch area is smaller than, or not a multiple of, the largest sector it must hold",
      levels=(Severity.WARNING,))
def scratch_size(t):
    b = _boot(t)
    if b is None or b.mode != "swap-scratch":
        return
    c = t.slots.get("scratch")
    if c is None:
        return
    span, what = _scratch_span(t, c)
    seen = False
    for r in b.reasons:
        if r.code not in SCRATCH_CODES:
            continue
        seen = True
        big = max(r.numbers.get("largest_page", 0), r.numbers.get("secondary_page_size", 0),
                  t.flash.devices[c.region].page_size if c.region in t.flash.devices else 0)
        want = -(-c.size // big) * big if big else c.size
        fix = f"set {what} to {sz(max(want, big))} (a multiple of {kib(big)})"
        yield hit(span, f"{_head(r)}mcuboot scratch {sz(c.size)}: {_msg(r)}", fix=fix, image="mcuboot",
                  headline=f"scratch area {kib(c.size)} cannot hold the {kib(big)} sectors it swaps: "
                           + _CONSEQUENCE.get(r.outcome, "updates fail"),
                  anchor=c.name, severity=_sev(r), evidence=evidence(t))
    if seen:
        return
    pages = [t.flash.devices[p.region].page_size for p in t.slots.values() if p.region in t.flash.devices]
    big = max(pages) if pages else 0
    if big and c.size % big:
        lo, hi = c.size - c.size % big, c.size - c.size % big + big
        yield hit(span, f"the scratch area {sz(c.size)} is not a multiple of the largest sector ({kib(big)}): "
                  f"swap-scratch erases whole sectors of it, so the last partial page is erased past the partition "
                  f"end (refused by the flash map; with CONFIG_ASSERT=y an assertion stops the swap)",
                  headline=f"scratch area {kib(c.size)} is not a multiple of the {kib(big)} sector: swaps can fail",
                  fix=f"set {what} to {sz(hi)}" + (f" or {sz(lo)}" if lo >= big else ""), image="mcuboot",
                  anchor=c.name, severity=Severity.WARNING, evidence=evidence(t))


# ------------------------------------------------------------------ DFU204

@rule("DFU204", "running-image-rejected", Severity.ERROR,
      "The slots make MCUboot reject the running image on every boot (nothing boots), or any image above a bound",
      levels=(Severity.WARNING,))
def running_image_rejected(t):
    pri, sec = t.slots.get("primary"), t.slots.get("secondary")
    for r in _reasons(t, {"running-image-too-large"}):
        limit = r.numbers.get("running_image_limit")
        ref = r.numbers.get("primary_only_limit")
        target = sec if sec is not None and sec.size < (pri.size if pri else 0) else pri
        dp = t.flash.devices.get(pri.region) if pri is not None else None
        ds = t.flash.devices.get(sec.region) if sec is not None else None
        sym = _page_symbol(t, sec) if dp is not None and ds is not None and ds.page_size != dp.page_size else None
        if sym is not None:
            span, rel, exists = mcuboot_setting(t, sym)
            fix = (f"{'change' if exists else 'add'} CONFIG_{sym}={dp.page_size} in {rel} (MCUboot) and the same in "
                   f"the application, so the secondary has {kib(dp.page_size)} sectors like the primary"
                   + (f"; otherwise keep the application at most {sz(limit)}" if limit else ""))
            yield hit(span, f"{_head(r)}{_slot_text(t, 'primary')}, {_slot_text(t, 'secondary')}: {_msg(r)}",
                      headline=_running_headline(r, limit), fix=fix, image="mcuboot", anchor=sec.name, severity=_sev(r), evidence=evidence(t),
                      related=[x for x in (partition_span(t, sec),) if usable(x)])
            continue
        if sec is not None and sec.size < pri.size:
            fix = (f"give {sec.name} the primary's size ({sz(pri.size)}"
                   + (f", or {sz(pri.size - t.flash.devices[pri.region].page_size)} for swap-move"
                      if t.boot.mode == "swap-move" else "") + ") so the bound follows the primary"
                   + (f" ({sz(ref)})" if ref else "")
                   + (f", or keep the application (header + image + TLVs) at most {sz(limit)}" if limit else ""))
        else:
            fix = ("make the slots larger" + (f", or keep the application at most {sz(limit)}" if limit else ""))
        yield hit(partition_span(t, target) if target is not None else Span(pm_static_target(t), 1, 1),
                  f"{_head(r)}{_slot_text(t, 'primary')}, {_slot_text(t, 'secondary')}: {_msg(r)}",
                  headline=_running_headline(r, limit),
                  fix=fix, image="mcuboot", anchor=target.name if target else "mcuboot_primary",
                  severity=_sev(r), evidence=evidence(t))


def _running_headline(r, limit) -> str:
    bound = f" above {kib(limit)}" if isinstance(limit, int) and limit > 0 else ""
    if r.outcome == "bricks":
        return f"MCUboot rejects the running image{bound} on every boot: nothing boots"
    return f"MCUboot rejects a running image{bound}: a larger application stops booting"


# ------------------------------------------------------------------ DFU205

@rule("DFU205", "overwrite-secondary-larger", Severity.WARNING,
      "Overwrite-only with a secondary larger than the primary accepts updates that destroy both images")
def overwrite_secondary_larger(t):
    pri, sec = t.slots.get("primary"), t.slots.get("secondary")
    for r in _reasons(t, {"overwrite-secondary-larger"}):
        if sec is None or _compressed(t):
            continue
        yield hit(partition_span(t, sec), f"{_slot_text(t, 'secondary')}: {_msg(r)}",
                  headline=f"overwrite-only with {sec.name} {kib(sec.size)} > {pri.name} {kib(pri.size)}: "
                           "a large update destroys both images",
                  fix=f"make {sec.name} {sz(pri.size)} (the primary's size), or keep every update at most "
                      f"{sz(r.numbers.get('max_image_size', pri.size - 40))}",
                  image="mcuboot", anchor=sec.name, severity=_sev(r), evidence=evidence(t))


# ------------------------------------------------------------------ DFU206

@rule("DFU206", "slot-partial-page", Severity.WARNING,
      "A slot ends inside a flash page that swap-scratch / overwrite-only erase whole")
def slot_partial_page(t):
    for r in _reasons(t, {"partial-last-page"}):
        role = r.numbers.get("slot", "secondary")
        p = t.slots.get(role)
        if p is None:
            continue
        page = r.numbers.get("page_size", 0)
        lo = p.size - p.size % page if page else p.size
        yield hit(partition_span(t, p), f"{_slot_text(t, role)}: {r.message}",
                  headline=f"{p.name} ends inside a {kib(page)} page: erasing the slot erases past its end",
                  fix=f"make {p.name} {sz(lo)} or {sz(lo + page)} (whole {kib(page)} pages)" if lo else
                  f"make {p.name} {sz(page)}", image="mcuboot", anchor=p.name, severity=_sev(r),
                  evidence=evidence(t))


# ------------------------------------------------------------------ DFU207

@rule("DFU207", "slot-too-small", Severity.ERROR,
      "The slots leave no room for an image after MCUboot's trailer")
def slot_too_small(t):
    b = _boot(t)
    if b is None:
        return
    pri, sec = t.slots.get("primary"), t.slots.get("secondary")
    for r in b.reasons:
        if r.code != "no-room-for-image":
            continue
        small = min((p for p in (pri, sec) if p is not None), key=lambda p: p.size)
        yield hit(partition_span(t, small),
                  f"{_slot_text(t, 'primary')}, {_slot_text(t, 'secondary')}: {r.message} (trailer "
                  f"{b.trailer_size} B for CONFIG_BOOT_MAX_IMG_SECTORS={t.boot_params.max_img_sectors}){_log(r)}",
                  headline=f"{small.name} {kib(small.size)} leaves no room for an image after the "
                           f"{b.trailer_size} B trailer",
                  fix=f"make {small.name} large enough for the application plus {b.trailer_size} B of trailer "
                      f"and one spare sector", image="mcuboot", anchor=small.name, evidence=evidence(t))


# ------------------------------------------------------------------ DFU208

@rule("DFU208", "mcuboot-pad-mismatch", Severity.WARNING,
      "The mcuboot_pad partition differs from the image header size sysbuild signs with (SB_CONFIG_PM_MCUBOOT_PAD)",
      frameworks=("ncs",), ncs=((2, 5), None), needs=("sysbuild", "partition-manager", "mcuboot"))
def mcuboot_pad_mismatch(t):
    # (SB_CONFIG_PM_MCUBOOT_PAD exists from NCS 2.5: before, sysbuild's configuration has no value for it)
    pad = t.flash.get("mcuboot_pad")
    if pad is None:
        return
    sb = t.sysbuild.config
    header = sb.int("PM_MCUBOOT_PAD")
    if header is None or header == pad.size:
        return
    sbv = sb.get("PM_MCUBOOT_PAD")
    sb_assign = [a for a in sbv.assignments if usable(a.span)]
    sb_where = (f"SB_CONFIG_PM_MCUBOOT_PAD={hx(header)} at {t.app.rel(sb_assign[-1].span.path)}:"
                f"{sb_assign[-1].span.line}" if sb_assign else f"SB_CONFIG_PM_MCUBOOT_PAD default {hx(header)}")
    if pad.static:
        span = partition_span(t, pad)
        pad_where = f"mcuboot_pad is {hx(pad.size)} in {t.app.rel(span.path)}:{span.line}"
    elif usable(pad.size_at):
        span = pad.size_at
        pad_where = (f"mcuboot_pad is {hx(pad.size)} from CONFIG_PM_PARTITION_SIZE_MCUBOOT_PAD at "
                     f"{t.app.rel(span.path)}:{span.line} (MCUboot)")
    elif sb_assign:
        span = sb_assign[-1].span
        pad_where = f"mcuboot_pad is {hx(pad.size)} (CONFIG_PM_PARTITION_SIZE_MCUBOOT_PAD default in MCUboot)"
    else:
        span = Span(t.app.root / "sysbuild.conf", 1, 1)
        pad_where = f"mcuboot_pad is {hx(pad.size)}"
    app = t.flash.get("app")
    vector = ""
    if app is not None and app.address % VECTOR_ALIGN:
        vector = f"; the application also starts at {hx(app.address)}, off the 0x200 vector-table alignment"
    yield hit(span, f"{pad_where}, but sysbuild signs images with a {hx(header)}-byte header ({sb_where}): "
              f"the build only warns \"MCUboot padding partition size is {hx(pad.size)} but signing uses "
              f"{hx(header)}\", and every image sysbuild signs itself (network core, Wi-Fi patch, MCUboot and extra "
              f"images) gets its code at the wrong offset from where it was linked{vector}",
              headline=f"mcuboot_pad is {hx(pad.size)} but sysbuild signs with a {hx(header)} header: "
                       "images sit at the wrong offset",
              fix=f"set SB_CONFIG_PM_MCUBOOT_PAD={hx(pad.size)} in sysbuild.conf, or make mcuboot_pad {hx(header)}",
              image="sysbuild", anchor="mcuboot_pad", evidence=evidence(t),
              related=[s for s in (sb_assign[-1].span,) if usable(s)] if sb_assign else [])

