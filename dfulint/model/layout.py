"""Facts about a target's partition layout: which partitions sit on which flash device, which
contain others, the erase unit of a device, and whether Partition Manager, the devicetree or a
build directory decides the layout.

They read `t.flash` (the layout the build will get: a build directory's partitions.yml, the predicted
Partition Manager placement, or DTS fixed-partitions in plain Zephyr) and `t.pm_static`.
"""
from __future__ import annotations

from dfulint import knowledge

NOR_ERASE = 0x1000            # every SPI/QSPI NOR erases 4 KiB sectors
VECTOR_ALIGN = 0x200

# Partition Manager's names by kind are a table: knowledge/partitions.yaml (knowledge.partition_names).


def is_flash_region(region: str) -> bool:
    """Not a RAM, OTP or other region that is not flash."""
    return not region.startswith(knowledge.partition_names().non_flash_regions)


def is_secure(name: str) -> bool:
    """A partition on the secure side of a TrustZone (TF-M / SPM) build."""
    return name in knowledge.partition_names().secure


def is_packed(name: str) -> bool:
    """A partition Partition Manager packs without page alignment in its own layouts."""
    return name in knowledge.partition_names().packed


def first_part(name: str):
    """The part container `name` always starts with (MCUboot's and NSIB's pm.yml templates), or None."""
    return knowledge.partition_names().first_part.get(name)


def pm_name_of_label(label: str):
    """The Partition Manager partition a devicetree partition label stands for, or None."""
    return knowledge.partition_names().dts_labels.get(label)


def pm_manages(compatibles) -> bool:
    """A flash device with these compatibles is one Partition Manager manages."""
    return bool(set(compatibles) & knowledge.partition_names().flash_compatibles)


def slot_names() -> tuple:
    """((role, (Partition Manager name, devicetree label)), ...) of MCUboot's slots."""
    return knowledge.partition_names().slots


def flash_parts(t) -> dict[str, list]:
    """Partitions per flash device, sorted by address."""
    out: dict[str, list] = {}
    if not layout_applies(t):
        return out
    for p in t.flash.partitions:
        if not is_flash_region(p.region) or p.size <= 0:
            continue
        out.setdefault(p.region, []).append(p)
    for ps in out.values():
        ps.sort(key=lambda p: (p.address, -p.size, p.name))
    return out


def members_of(t, p) -> set[str]:
    """Names a container spans, followed through nested containers."""
    seen: set[str] = set()
    todo = list(p.span_of)
    while todo:
        n = todo.pop()
        if n in seen:
            continue
        seen.add(n)
        q = t.flash.get(n)
        if q is not None and q.span_of:
            todo.extend(q.span_of)
    return seen


def is_container(p) -> bool:
    return bool(p.span_of) or p.name in knowledge.partition_names().containers


def contains(a, b) -> bool:
    return a is not b and a.address <= b.address and b.end <= a.end


def erase_unit(t, region: str) -> int:
    dev = t.flash.devices.get(region)
    if dev is None:
        return 0
    if region == "flash_primary" or dev.compatible == "soc-nv-flash":
        return dev.erase_size or dev.page_size
    return min(dev.erase_size or dev.page_size, NOR_ERASE) if dev.page_size else NOR_ERASE


def device_size_known(t, region: str) -> bool:
    """True when the device's size comes from the SoC table or the devicetree."""
    dev = t.flash.devices.get(region)
    if dev is None or dev.size <= 0:
        return False
    if region == "flash_primary":
        return t.soc is not None or t.flash.origin == "dts"
    if region == "external_flash":
        ext = [e for e in (t.ext.get("mcuboot"), t.ext.get("app")) if e is not None]
        return any(e.size_bytes for e in ext)
    return True


def top_level(t, parts: list) -> list:
    """Partitions no container holds: the ones that own whole erase pages."""
    out = []
    for p in parts:
        if p.name.startswith("EMPTY_"):
            continue
        held = any(c is not p and is_container(c) and contains(c, p)
                   and (c.size > p.size or not is_container(p) or p.name in members_of(t, c))
                   for c in parts)
        if not held:
            out.append(p)
    return out


def layout_applies(t) -> bool:
    """False when the static layout was written for another core: an nRF5340 network-core target
    reading an application-core pm_static.yml (every partition below the network core's flash)."""
    dev = t.flash.devices.get("flash_primary")
    if dev is None or dev.base == 0 or t.pm_static is None:
        return True
    addrs = [p.int("address") for p in t.pm_static.partitions.values()
             if p.int("address") is not None and is_flash_region(p.str("region") or "flash_primary")
             and (p.str("region") or "flash_primary") == "flash_primary"]
    return not addrs or any(a >= dev.base for a in addrs)


def tfm_unmodelled(t) -> bool:
    """A TrustZone (TF-M) build whose TF-M partitions are neither pinned nor read from a build:
    Partition Manager places them, dfulint does not, so dynamic sizes are upper bounds."""
    if t.flash.origin == "build" or not ns_build(t) or not t.uses_pm:
        return False
    return not any(p.name.startswith("tfm") for p in t.flash.partitions)


def ext_geometry_unknown(t, p) -> bool:
    """A Partition Manager slot on external flash whose page layout MCUboot's image does not define:
    no chosen or undefined node, or its driver is off (the external-flash rules report that)."""
    if not (t.uses_pm and p is not None and p.region == "external_flash"):
        return False
    ext = t.ext.get("mcuboot")
    if ext is None or ext.node is None:
        return True
    return not getattr(ext, "page_known", True)


def pm_owns_layout(t) -> bool:
    """Partition Manager decides the flash layout of this build."""
    if t.app.framework != "ncs" or not t.uses_pm:
        return False
    if t.flash.origin in ("pm_static", "pm_dynamic", "build"):
        return t.mcuboot_enabled or t.pm_static is not None or t.build_system == "sysbuild"
    return False


def ns_build(t) -> bool:
    if getattr(t.board_info, "ns", False):
        return True
    if (t.board or "").replace("/", "_").endswith("_ns"):
        return True
    if t.board_info is not None:
        return False        # a known secure-only board: TF-M partitions in its file are not used
    names = {p.name for p in t.flash.partitions}
    return bool(names & {"tfm", "tfm_secure", "tfm_nonsecure", "spm"})
