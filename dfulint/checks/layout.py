"""1xx: the partition layout itself (overlaps, bounds, alignment, pm_static consistency).

Every rule reads `t.flash` (the layout the build will get: a build directory's partitions.yml,
the predicted Partition Manager placement, or DTS fixed-partitions in plain Zephyr) and
`t.pm_static` (the file as written). A finding points at the line the user must edit: the
partition's address or size in the pm_static file / overlay, or, for a partition Partition
Manager sizes itself, the pm_static file in which to pin it (created at line 1 when absent).
"""
from __future__ import annotations

from pathlib import Path

from dfulint.checks import hit, rule
from dfulint.core import Severity, Span, short_headline
from dfulint.units import hx, kib, sz
from dfulint.model.layout import (
    contains, device_size_known, erase_unit, ext_geometry_unknown, first_part, flash_parts, is_container,
    is_flash_region, is_packed, is_secure, layout_applies, members_of, ns_build, pm_manages, pm_name_of_label,
    pm_owns_layout, tfm_unmodelled, top_level)
from dfulint.checks.common import evidence, origin_text, partition_span, pm_static_target, usable

TYPE_CHECKING = False      # (typing.TYPE_CHECKING without importing typing)
if TYPE_CHECKING:
    from typing import Iterable


# ------------------------------------------------------------------ DFU101

def _overlap_allowed(t, a, b) -> bool:
    # the region-named placeholder (`external_flash:` covering its region) overlaps by design
    if a.name == a.region or b.name == b.region:
        return True
    for c, m in ((a, b), (b, a)):
        if m.name in members_of(t, c):
            return True
        if is_container(c) and contains(c, m):
            return True
    # two containers sharing a part (tfm_secure = [mcuboot_pad, tfm], mcuboot_primary_app = [tfm, app])
    if a.span_of and b.span_of and members_of(t, a) & members_of(t, b):
        return True
    # devicetree layouts nest partitions on purpose (`fixed-subpartitions`: a slot holding the
    # per-core slots, as on the nRF54H20): full containment there is structure, not a clash
    if t.flash.origin == "dts" and (contains(a, b) or contains(b, a)):
        return True
    return False


@rule("DFU101", "partition-overlap", Severity.ERROR,
      "Two partitions on the same flash device overlap",
      levels=(Severity.WARNING,))
def partition_overlap(t):
    for region, parts in flash_parts(t).items():
        for i, a in enumerate(parts):
            for b in parts[i + 1:]:
                if b.address >= a.end:
                    break
                if _overlap_allowed(t, a, b):
                    continue
                nested = contains(a, b) or contains(b, a)
                if nested:
                    outer, inner = (a, b) if contains(a, b) else (b, a)
                    target, other = (inner, outer) if inner.static or not outer.static else (outer, inner)
                else:
                    first, second = (a, b) if a.address <= b.address else (b, a)
                    target, other = (second, first) if second.static or not first.static else (first, second)
                lo, hi = max(a.address, b.address), min(a.end, b.end)
                filler = other.name.startswith("EMPTY_") or target.name.startswith("EMPTY_")
                msg = (f"{target.name} ({hx(target.address)}-{hx(target.end)}, {origin_text(t, target)}) overlaps "
                       f"{other.name} ({hx(other.address)}-{hx(other.end)}, {origin_text(t, other)}) in {region} by "
                       f"{sz(hi - lo)} ({hx(lo)}-{hx(hi)})")
                if filler:
                    msg += ("; the EMPTY_ partition is an unused alignment gap copied from partitions.yml, so no data "
                            "is shared, but Partition Manager reads overlapping static partitions as extra gaps")
                    sev = Severity.WARNING
                else:
                    msg += (": Partition Manager does not check overlaps, so both are built as written and writing "
                            "one (an update, settings, a file system) erases or overwrites the other")
                    sev = None
                if nested and outer.address == inner.address:
                    fix = (f"put them side by side: {inner.name} at {hx(inner.address)} ({sz(inner.size)}) and "
                           f"{outer.name} at {hx(inner.end)} with size {hx(outer.end - inner.end)}")
                elif nested:
                    fix = (f"shrink {outer.name} to {sz(inner.address - outer.address)} so it ends where "
                           f"{inner.name} starts" + (f", and move what followed it after {hx(inner.end)}"
                                                     if outer.end > inner.end else ""))
                else:
                    fix = (f"start {second.name} at {hx(first.end)} (where {first.name} ends) and shorten it to "
                           f"{sz(second.end - first.end)}, or shrink {first.name} to "
                           f"{sz(second.address - first.address)}")
                related = [s for s in (partition_span(t, other, "address"),) if usable(s)]
                head = (f"{target.name} overlaps {other.name} by {kib(hi - lo)}: "
                        + ("Partition Manager reads it as extra gaps" if filler else "writing one destroys the other"))
                yield hit(partition_span(t, target, "address"), msg, fix=fix, anchor=target.name, headline=head,
                          severity=sev, related=related, evidence=evidence(t))


# ------------------------------------------------------------------ DFU102

@rule("DFU102", "partition-past-device-end", Severity.ERROR,
      "A partition starts before or ends after the flash device it is placed on")
def partition_past_device_end(t):
    for region, parts in flash_parts(t).items():
        if not device_size_known(t, region):
            continue
        if region == "external_flash" and t.uses_pm:
            continue   # Partition Manager's external region against the chosen chip: DFU314 reports it
        dev = t.flash.devices[region]
        for p in parts:
            if p.address >= dev.base and p.end <= dev.end:
                continue
            if not p.static and any(q.static for q in parts if contains(p, q) or contains(q, p)):
                continue   # a dynamic container of a static offender: report the static one
            if p.address < dev.base:
                what = f"starts at {hx(p.address)}, before the start of {region} ({hx(dev.base)})"
                fix = f"move {p.name} to an address at or above {hx(dev.base)}"
                span = partition_span(t, p, "address")
            else:
                over = p.end - dev.end
                what = (f"ends at {hx(p.end)}, {sz(over)} past the end of {region} ({hx(dev.end)}, {kib(dev.size)}"
                        f"{', ' + dev.source if dev.source and region != 'flash_primary' else ''})")
                room = dev.end - p.address
                fix = (f"shrink {p.name} to {sz(room)} or less" if room > 0 else
                       f"move {p.name} inside {region} ({hx(dev.base)}-{hx(dev.end)})")
                span = partition_span(t, p, "size")
            if region == "flash_primary" and t.uses_pm and p.static:
                effect = ("Partition Manager sees a bogus gap and stops the build with 'Incorrect amount of gaps "
                          "found in static configuration'")
            elif t.uses_pm:
                effect = ("Partition Manager accepts it (it does not check region bounds for this region), and the "
                          "flash driver then rejects every access past the end of the device")
            else:
                effect = "the flash driver rejects every access past the end of the device"
            if p.address < dev.base:
                head = f"{p.name} starts before {region}"
            else:
                head = f"{p.name} ends {kib(p.end - dev.end)} past the end of {region}"
            head += (": Partition Manager stops the build" if region == "flash_primary" and t.uses_pm and p.static
                     else ": flash access past the device fails")
            yield hit(span, f"{p.name} {what}: {effect}", headline=head, fix=fix, anchor=p.name, evidence=evidence(t))


# ------------------------------------------------------------------ DFU103

@rule("DFU103", "partition-misaligned", Severity.WARNING,
      "A partition's start or end is not on an erase-page boundary of its device",
      levels=(Severity.ERROR,))
def partition_misaligned(t):
    for region, parts in flash_parts(t).items():
        unit = erase_unit(t, region)
        if unit <= 1:
            continue
        if region == "flash_primary" and getattr(t.soc, "nvm", "flash") != "flash":
            continue   # RRAM/MRAM have no erase pages (Nordic's nRF54L layouts use 2 KiB steps)
        tops = top_level(t, parts)
        for p in tops:
            if not (p.static or t.flash.origin == "dts"):
                continue
            if is_packed(p.name) or (is_container(p) and members_of(t, p) <= {"app", "tfm"}):
                continue   # placed back to back by Partition Manager's own templates, by design
            start_bad = (p.address - t.flash.devices[region].base) % unit != 0
            end_bad = (p.end - t.flash.devices[region].base) % unit != 0
            if not start_bad and not end_bad:
                continue
            edge = p.address if start_bad else p.end
            page_lo = edge - (edge - t.flash.devices[region].base) % unit
            page_hi = page_lo + unit
            sharer = next((q for q in tops if q is not p and q.address < page_hi and q.end > page_lo), None)
            which = "starts" if start_bad else "ends"
            msg = (f"{p.name} {which} at {hx(edge)}, inside the {kib(unit)} erase page {hx(page_lo)}-{hx(page_hi)} "
                   f"of {region}")
            if sharer is not None:
                msg += (f", which it shares with {sharer.name}: erasing {p.name} (an update, a settings wipe) erases "
                        f"that page and the part of {sharer.name} in it")
                sev = Severity.ERROR
            else:
                msg += f"; the rest of that page is unusable and erasing {p.name} erases the whole page"
                sev = None
            if start_bad:
                fix = (f"start {p.name} at {hx(page_lo)} or {hx(page_hi)} and keep its size a multiple of "
                       f"{hx(unit)} ({kib(unit)})")
                span = partition_span(t, p, "address")
            else:
                down = p.size - (edge - page_lo)
                fix = f"make {p.name} {sz(down)} or {sz(down + unit)} (a multiple of {kib(unit)})"
                span = partition_span(t, p, "size")
            head = (f"{p.name} shares a {kib(unit)} erase page with {sharer.name}: erasing one erases the other"
                    if sharer is not None else
                    f"{p.name} {which} inside a {kib(unit)} erase page of {region}: erasing it erases the whole page")
            yield hit(span, msg, fix=fix, anchor=p.name, severity=sev, evidence=evidence(t), headline=head,
                      related=[s for s in ([partition_span(t, sharer, "address")] if sharer else []) if usable(s)])


# ------------------------------------------------------------------ DFU104


@rule("DFU104", "spu-boundary-misaligned", Severity.ERROR,
      "A secure/non-secure flash boundary of a TrustZone build (nRF91, nRF53) is not on an SPU region boundary")
def spu_boundary_misaligned(t):
    soc = t.soc
    if soc is None or not t.uses_pm or soc.family not in ("nrf91", "nrf53") or not ns_build(t):
        return
    block = soc.fprotect_block          # = CONFIG_NRF_SPU_FLASH_REGION_SIZE on these SoCs
    if not block or block <= soc.page_size:
        return
    parts = flash_parts(t).get("flash_primary", [])
    if not parts:
        return
    base = t.flash.devices["flash_primary"].base
    reported: set[str] = set()

    def off(addr: int) -> int:
        return (addr - base) % block

    # the non-secure image start TF-M checks at build time (PM_TFM_NONSECURE_ADDRESS)
    ns = t.flash.get("tfm_nonsecure") or t.flash.get("spm_app")
    if ns is not None and (ns.static or t.flash.origin == "build") and off(ns.address):
        lo = ns.address - off(ns.address)
        reported.add(ns.name)
        yield hit(partition_span(t, ns, "address"),
                  f"{ns.name} starts the non-secure image at {hx(ns.address)}, which is not on a {kib(block)} SPU "
                  f"region boundary of {soc.name}: the SPU assigns security in whole regions, so the region "
                  f"holding the boundary puts the end of TF-M on the non-secure side or the start of the "
                  f"application on the secure side; NCS's TF-M build checks this and stops with 'TF-M non-secure "
                  f"address start is not aligned on SPU region size'",
                  headline=f"{ns.name} at {hx(ns.address)} is not on a {kib(block)} SPU region boundary: TF-M's build stops",
                  fix=f"start {ns.name} (and the app it spans) at {hx(lo + block)} or {hx(lo)}, growing or shrinking "
                      f"the secure partition before it (tfm) to match", anchor=ns.name, evidence=evidence(t))
    # every other switch between secure and non-secure partitions written in the file
    leaves = [p for p in parts if not is_container(p) and not p.name.startswith("EMPTY_")]
    leaves.sort(key=lambda p: (p.address, p.size))
    prev = None
    for p in leaves:
        if prev is not None and p.address >= prev.end and p.name not in reported \
                and is_secure(prev.name) != is_secure(p.name) and off(p.address) \
                and ((p.static and prev.static) or t.flash.origin == "build") and p.name != "app":
            lo = p.address - off(p.address)
            side = "non-secure" if not is_secure(p.name) else "secure"
            reported.add(p.name)
            yield hit(partition_span(t, p, "address"),
                      f"{p.name} starts a {side} area at {hx(p.address)} right after the "
                      f"{'secure' if side == 'non-secure' else 'non-secure'} {prev.name}, but not on a {kib(block)} "
                      f"SPU region boundary of {soc.name}: the region holding the boundary gets one security "
                      f"attribute, so either {prev.name} or {p.name} is partly unreachable from its side",
                      headline=f"{p.name} at {hx(p.address)} splits a {kib(block)} SPU region: part of it is unreachable",
                      fix=f"move the boundary to {hx(lo)} or {hx(lo + block)}: resize {prev.name} so that {p.name} "
                          f"starts there", anchor=p.name, evidence=evidence(t),
                      related=[s for s in (partition_span(t, prev, "size"),) if usable(s)])
        if prev is None or p.end >= prev.end:
            prev = p


# ------------------------------------------------------------------ DFU105

@rule("DFU105", "container-size-mismatch", Severity.WARNING,
      "A pm_static span container starts elsewhere than, or ends before, the partitions it spans",
      needs=("partition-manager", "pm-static"),
      levels=(Severity.ERROR,))
def container_size_mismatch(t):
    """Judged on the pm_static file as written: dfulint does not know every dynamic partition a
    build adds (TF-M, Wi-Fi firmware, ...), so a member left to Partition Manager is not compared."""
    if not layout_applies(t):
        return
    st = t.pm_static.partitions
    for name, part in st.items():
        members = part.names("span")
        if not members or "span" not in part.fields:
            continue
        addr, size = part.int("address"), part.int("size")
        region = part.str("region") or "flash_primary"
        if addr is None or size is None or not is_flash_region(region):
            continue
        written = []
        for n in members:
            m = st.get(n)
            if n == "app" or m is None or m.int("address") is None or m.int("size") is None or "span" in m.fields:
                continue   # Partition Manager ignores a static `app` entry: app fills the gap
            if (m.str("region") or "flash_primary") != region:
                continue
            written.append((n, m.int("address"), m.int("size")))
        if not written:
            continue
        lo = min(a for _, a, _ in written)
        hi = max(a + z for _, a, z in written)
        complete = len(written) == len(members)
        # span lists are not in address order; a few containers have a known first part
        first = next((w for w in written if w[0] == first_part(name)), None)
        if first is not None:
            lo = first[1]
        names = " + ".join(n for n, _, _ in sorted(written, key=lambda w: w[1]))
        where = ", ".join(f"{n} {hx(a)}-{hx(a + z)}" for n, a, z in sorted(written, key=lambda w: w[1]))
        if addr != lo and (complete or first is not None or addr > lo):
            msg = f"{name} starts at {hx(addr)} but the partitions it spans start at {hx(lo)} ({where})"
            if name in ("mcuboot_primary", "mcuboot_secondary"):
                msg += (f": MCUboot looks for the image header at {hx(addr)}, the start of the slot, while the "
                        f"image is written at {hx(lo)}, so the slot never holds a valid image")
                sev = Severity.ERROR
            else:
                msg += ": Partition Manager copies static containers as written and never checks them"
                sev = None
            yield hit(part.at("address"), msg, fix=f"set {name}'s address to {hx(lo)} and its size to {hx(hi - lo)}",
                      anchor=name, severity=sev,
                      headline=f"{name} starts at {hx(addr)}, its partitions at {hx(lo)}"
                               + (": the slot never holds a valid image" if sev == Severity.ERROR else ""))
            continue
        complete = complete and "app" not in members
        if not complete or addr + size >= hi:
            continue   # a container larger than its parts only leaves room unused
        msg = (f"{name} is {sz(size)} ({hx(addr)}-{hx(addr + size)}) but the partitions it spans reach {hx(hi)} "
               f"({where}), {sz(hi - addr - size)} beyond it")
        if name == "mcuboot_primary":
            msg += (f": the application is linked for {sz(hi - lo)} while imgtool and MCUboot use the {sz(size)} "
                    f"slot, so an image that fits the link fails signing ('Image size ... exceeds requested size')")
        else:
            msg += ": Partition Manager copies static containers as written and never checks them"
        yield hit(part.at("size"), msg, fix=f"set {name}'s size to {hx(hi - lo)}, or shrink {names} to end at "
                                          f"{hx(addr + size)}", anchor=name,
                  headline=f"{name} is {kib(size)} but its partitions reach {kib(hi - addr - size)} beyond it"
                           + (": signing fails" if name == "mcuboot_primary" else ""))
    yield from _primary_app_check(st)


def _primary_app_check(st):
    """mcuboot_primary = mcuboot_pad + mcuboot_primary_app, as MCUboot's pm.yml builds it."""
    prim, pad, papp = st.get("mcuboot_primary"), st.get("mcuboot_pad"), st.get("mcuboot_primary_app")
    if prim is None or pad is None or papp is None:
        return
    pa, ps = prim.int("address"), prim.int("size")
    da, ds = pad.int("address"), pad.int("size")
    aa, az = papp.int("address"), papp.int("size")
    if None in (pa, ps, da, ds, aa, az) or da != pa:
        return
    want_a, want_z = da + ds, pa + ps - (da + ds)
    if aa == want_a and az == want_z:
        return
    span = papp.at("address") if aa != want_a else papp.at("size")
    yield hit(span, f"mcuboot_primary_app is {hx(aa)}+{hx(az)} but mcuboot_primary ({hx(pa)}+{hx(ps)}) minus "
              f"mcuboot_pad ({hx(ds)}) leaves {hx(want_a)}+{hx(want_z)}: the two containers describe different "
              f"slots (typically one was resized and the other not); Partition Manager copies both as written",
              fix=f"set mcuboot_primary_app to address {hx(want_a)}, size {hx(want_z)}", anchor="mcuboot_primary_app",
              headline="mcuboot_primary_app differs from mcuboot_primary minus mcuboot_pad: two different slots")


# ------------------------------------------------------------------ DFU106

@rule("DFU106", "stale-end-address", Severity.INFO,
      "A pm_static `end_address` differs from address + size (Partition Manager ignores it)", fixable=False,
      needs=("pm-static",))
def stale_end_address(t):
    for name, part in t.pm_static.partitions.items():
        addr, size, end = part.int("address"), part.int("size"), part.int("end_address")
        if addr is None or size is None or end is None or addr + size == end:
            continue
        yield hit(part.at("end_address"),
                  f"{name}: end_address {hx(end)} is not address + size ({hx(addr)} + {hx(size)} = {hx(addr + size)}); "
                  f"Partition Manager ignores end_address and uses {hx(addr + size)}, so the value only misleads readers",
                  headline=f"{name}: end_address {hx(end)} is not address + size; Partition Manager ignores it",
                  fix=f"write end_address: {hx(addr + size)}, or set size to {hx(end - addr)} if {hx(end)} was meant"
                  if end > addr else f"write end_address: {hx(addr + size)}",
                  anchor=name)


# ------------------------------------------------------------------ DFU107

def _explain_dynamic_size(t, prim) -> str:
    """Why the dynamic primary gets its size: flash size minus everything else in flash_primary."""
    dev = t.flash.devices.get(prim.region)
    parts = flash_parts(t).get(prim.region, [])
    inside = members_of(t, prim) | {prim.name}
    others = [p for p in top_level(t, parts) if p.name not in inside and not contains(prim, p)]
    others += [p for p in parts if p.name.startswith("EMPTY_") and not contains(prim, p)]
    others.sort(key=lambda p: p.address)
    terms = " + ".join(f"{p.name} {hx(p.size)}" for p in others)
    if dev is not None and others and sum(p.size for p in others) + prim.size == dev.size:
        return f"{hx(dev.size)} ({kib(dev.size)} of {prim.region}) - ({terms})"
    if others:
        return f"what {terms} leave of {prim.region}"
    return f"all of {prim.region}"


@rule("DFU107", "primary-not-pinned", Severity.WARNING,
      "pm_static pins mcuboot_secondary but not mcuboot_primary, so the primary's size floats",
      needs=("partition-manager", "mcuboot", "pm-static"),
      levels=(Severity.INFO,))
def primary_not_pinned(t):
    if t.flash.origin == "build" or not layout_applies(t) or t.flash.errors:
        return
    st = t.pm_static.partitions
    if "mcuboot_secondary" not in st or "mcuboot_primary" in st:
        return
    prim, sec = t.flash.get("mcuboot_primary"), t.flash.get("mcuboot_secondary")
    if prim is None or sec is None:
        return
    compat = ("sector-count-incompatible", "page-size-mismatch", "slots-not-compatible", "non-compatible-sectors")
    if t.boot is not None and not ext_geometry_unknown(t, sec):
        equal = not any(r.code in compat for r in t.boot.reasons)
    else:
        equal = prim.size == sec.size
    why = _explain_dynamic_size(t, prim)
    if tfm_unmodelled(t):
        why += (", less the TF-M storage partitions Partition Manager also places in this non-secure build "
                "(not modelled by dfulint, so the primary ends up somewhat smaller)")
    on = "external flash" if sec.region == "external_flash" else sec.region
    msg = (f"mcuboot_secondary is pinned here ({sz(sec.size)} in {on}) but mcuboot_primary is not: Partition Manager "
           f"gives the dynamic primary the free space of {prim.region}, {sz(prim.size)} = {why}, never the "
           f"secondary's size (share_size only applies while both are dynamic), and reports no difference")
    if equal:
        msg += ("; the slots are compatible today, but any change of CONFIG_PM_PARTITION_SIZE_MCUBOOT, settings or another "
                "partition moves the primary and breaks updates for devices in the field")
        sev = Severity.INFO
    else:
        msg += f"; {sz(prim.size)} against {sz(sec.size)}"
        sev = None
    pad = t.flash.get("mcuboot_pad")
    pad_size = pad.size if pad is not None else 0x200
    fix = (f"pin mcuboot_primary in {t.pm_static.path.name} at {hx(prim.address)} with size {hx(sec.size)} "
           f"(mcuboot_pad {hx(pad_size)} + app {hx(sec.size - pad_size)}; copy the other entries from "
           f"build/partitions.yml), or make mcuboot_secondary {hx(prim.size)}")
    if equal:
        fix = (f"pin mcuboot_primary (address {hx(prim.address)}, size {hx(prim.size)}) and the partitions around it "
               f"in {t.pm_static.path.name}, e.g. by copying them from build/partitions.yml")
    head = ("mcuboot_secondary pinned, mcuboot_primary floats: " +
            ("equal today, any layout change breaks updates" if equal else
             f"{kib(prim.size)} against {kib(sec.size)}"))
    yield hit(st["mcuboot_secondary"].span, msg, fix=fix, anchor="mcuboot_primary", severity=sev, headline=head,
              related=[st["mcuboot_secondary"].at("size")])


# ------------------------------------------------------------------ DFU108

def _pm_error_fix(message: str) -> str:
    if message.startswith("Incorrect amount of gaps"):
        return ("leave exactly one free gap per region: pin the partitions that fill the other gaps, or move the "
                "static partitions next to each other")
    if "not packed at start" in message:
        return ("place the external_flash partitions back to back from the region start (0x0); before NCS 2.4 also "
                "add an `external_flash` entry that covers the rest of the device")
    if "has no integer" in message:
        return "write address and size as plain YAML integers (0x1000, not \"0x1000\" or 0X1000)"
    if "reserved name" in message:
        return "rename the partition; region names cannot be partition names"
    if message.startswith("Unable to fulfill alignment") or "ALIGN" in message.upper():
        return "resize the partitions (or pin the layout in pm_static) so that the aligned ones fit"
    if "share_size" in message or "KeyError" in message:
        return "pin the partition whose size is shared, or stop sharing with a pinned partition"
    return "fix the pm_static entries named in the message"


@rule("DFU108", "pm-build-failure", Severity.ERROR,
      "Partition Manager will stop the build with this layout",
      needs=("partition-manager",))
def pm_build_failure(t):
    if not layout_applies(t):
        return
    past_end = any(p.static and p.region == "flash_primary" and
                   (p.end > t.flash.devices["flash_primary"].end)
                   for p in t.flash.partitions if "flash_primary" in t.flash.devices)
    for message, span in t.flash.errors:
        if past_end and message.startswith("Incorrect amount of gaps"):
            continue    # DFU102 names the partition that runs off the end
        target = span if usable(span) else Span(pm_static_target(t), 1, 1)
        first = message.splitlines()[0] if message else "Partition Manager error"
        yield hit(target, f"Partition Manager stops the build: \"{first}\"" +
                  (f" ({' '.join(message.splitlines()[1:])[:300]})" if len(message.splitlines()) > 1 else ""),
                  fix=_pm_error_fix(message), anchor="partition_manager", evidence=evidence(t),
                  headline="Partition Manager stops the build: " + short_headline(first, 64))


# ------------------------------------------------------------------ DFU109



def _overlay_partitions(t) -> Iterable[tuple]:
    for name in ("app", "mcuboot"):
        img = t.images.get(name)
        if img is None or img.dt is None:
            continue
        layers = {layer.path for layer in img.dts_layers}
        for dp in img.partitions:
            span = dp.reg_span
            if dp.size is None or not usable(span) or span.path not in layers:
                continue
            flash = img.dt.node(dp.flash_node)
            comps = list(flash.compatibles()) if flash is not None else []
            parent = img.dt.parent_of(flash) if flash is not None else None
            if parent is not None:
                comps += [c for c in parent.compatibles() if c == "zephyr,sim-flash"]
            if comps and (not pm_manages(comps) or "zephyr,sim-flash" in comps):
                continue   # a flash simulator or other device Partition Manager does not manage
            yield name, dp


def _mapped_partitions(t) -> bool:
    """The project's overlays use `zephyr,mapped-partition`, the partition format of NCS's move from
    Partition Manager to devicetree partitioning (NCS 3.3+)."""
    for name in ("app", "mcuboot"):
        img = t.images.get(name)
        if img is None or img.dt is None:
            continue
        layers = {layer.path for layer in img.dts_layers}
        for node in img.dt.nodes():
            if "zephyr,mapped-partition" in node.compatibles() and \
                    any(usable(sp) and sp.path in layers for sp in node.spans):
                return True
    return False


@rule("DFU109", "dts-partitions-ignored", Severity.WARNING,
      "Devicetree fixed-partitions written in an overlay of a project whose layout Partition Manager owns")
def dts_partitions_ignored(t):
    if not pm_owns_layout(t):
        return
    by_file: dict[Path, list] = {}
    found = list(_overlay_partitions(t))
    if _mapped_partitions(t):
        return   # partitions in the format of NCS's devicetree partitioning: the project left Partition Manager
    for image, dp in found:
        lst = by_file.setdefault(dp.reg_span.path, [])
        if all(x.path != dp.path for _, x in lst):
            lst.append((image, dp))
    source = (t.pm_static.path.name if t.pm_static is not None else "Partition Manager's own placement")
    for path, items in by_file.items():
        items.sort(key=lambda it: it[1].reg_span.line)
        descr = []
        for _, dp in items:
            label = dp.label or dp.name
            d = f"{label} {hx(dp.address)}+{hx(dp.size)}"
            pm_name = pm_name_of_label(dp.label or "") or dp.label or ""
            q = t.flash.get(pm_name) if pm_name else None
            if q is not None and dp.address is not None and (q.address != dp.address + (t.flash.devices[q.region].base
                                                              if q.region in t.flash.devices else 0)
                                  or q.size != dp.size) and q.region == "flash_primary":
                d += f" (the build uses {q.name} {hx(q.address)}+{hx(q.size)})"
            descr.append(d)
        image = items[0][0]
        yield hit(items[0][1].reg_span,
                  f"{t.app.rel(path)} defines flash partitions ({', '.join(descr)}), but this is an NCS build whose "
                  f"layout comes from {source}: with Partition Manager the devicetree partitions are ignored and "
                  f"these sizes never take effect",
                  headline=f"{path.name}: flash partitions ignored, Partition Manager owns the layout",
                  fix=f"delete the partitions from {t.app.rel(path)} and set the layout in "
                      f"{pm_static_target(t).name} (or with CONFIG_PM_PARTITION_SIZE_* options)",
                  image=image, anchor="fixed-partitions", evidence=evidence(t),
                  related=[dp.reg_span for _, dp in items[1:]])
