"""DFU311-DFU316: the external chip's layout page, size, JEDEC ID and the partitions on it.
"""
from __future__ import annotations

from dfulint.checks import hit, rule
from dfulint.core import Severity
from dfulint.units import sz
from dfulint.model.query import conf_target, in_files, node_ref, prop_span
from dfulint.model.extflash import (
    DRIVER, IMAGES, NOR_COMPATS, NOR_ERASE, PAGE_SYM, chip_nodes, driver_state, ext_node, ext_of,
    ext_partitions, jedec_capacity, jedec_part, matter_app, nor_compat, page_incompatibility,
    page_value, same_node, secondary_external)
from dfulint.checks.common import add_to, hexa


@rule("DFU311", "nor-page-size-mismatch", Severity.WARNING,
      "The application and MCUboot use different layout page sizes for the external flash",
      ncs=((1, 7), None), needs=("partition-manager", "app-core", "mcuboot"),
      levels=(Severity.INFO,))
def nor_page_size_mismatch(t):
    if secondary_external(t) is None:
        return
    a, m = ext_of(t, "app"), ext_of(t, "mcuboot")
    if a is None or m is None or a.node is None or m.node is None or nor_compat(a.node) != nor_compat(m.node):
        return
    compat = nor_compat(m.node)
    if compat not in NOR_COMPATS:
        return
    if any(driver_state(t, n, DRIVER[compat])[0] is False for n in IMAGES):
        return              # an image without the driver has no page at all (DFU306)
    pa, sa, ha = page_value(t, "app", a)
    pm, sm, hm = page_value(t, "mcuboot", m)
    if pa is None or pm is None or pa == pm:
        return
    if sa is None and matter_app(t):
        return      # Matter's Kconfig.defaults (sdk-connectedhomeip) give the application its page size
    sym = PAGE_SYM[compat]
    pri = (t.slots or {}).get("primary")
    dev = t.flash.devices.get(pri.region) if pri is not None else None
    good = dev.page_size if dev is not None and pri.region != "external_flash" else None
    if good is not None and good != pm and page_incompatibility(t) is not None:
        return              # DFU312 reports MCUboot's page, with the slot laws' verdict
    if good is None or good == pm:
        # MCUboot's page is the one the slot laws need (or the only reference there is): mend the application
        want, image = pm, "app"
    else:
        want, image = good, "mcuboot"
    if image == "app":
        if sa is not None:
            where, fix = sa, f"set CONFIG_{sym}={want} there, as MCUboot uses"
        else:
            where, rel, exists = conf_target(t, "app")
            fix = f"{add_to(rel, exists)} `CONFIG_{sym}={want}`, the page MCUboot uses"
    else:
        also = "" if pa == want else ", and the same in the application"
        if sm is not None:
            where, fix = sm, f"set CONFIG_{sym}={want} there (the internal flash's page){also}"
        else:
            where, rel, exists = conf_target(t, "mcuboot")
            fix = f"{add_to(rel, exists)} `CONFIG_{sym}={want}` (the internal flash's page){also}"
    related = [s for s in (sa, sm) if s is not None and s != where]
    sec = secondary_external(t)
    big = max(pa, pm)
    edges = [v for v in ((sec.address, sec.end) if sec is not None else ()) if v % big]
    if edges:
        effect = (f"the secondary slot ({hexa(sec.address)}..{hexa(sec.end)}) does not end on a {big}-byte page, so "
                  "the image with the larger page erases past the slot (or the flash map refuses the erase: the "
                  "upload or the swap fails at the slot's last page)")
        sev = None
    else:
        effect = (f"harmless while the secondary slot stays aligned to {big} bytes, but a slot resized off that "
                  "boundary makes the image with the larger page erase past it")
        sev = Severity.INFO
    yield hit(where, headline=f"MCUboot uses {pm}-byte external flash pages, the application {pa}-byte pages",
              message=f"MCUboot lays out the external flash in {pm}-byte pages ({hm}) but the application in "
              f"{pa}-byte pages ({ha}): MCUboot counts, swaps and erases the secondary slot in its pages, while "
              f"the application erases it in its own as an update arrives; {effect}",
              fix=fix, image=image, anchor=f"CONFIG_{sym}", related=related, severity=sev)


@rule("DFU312", "nor-page-size-incompatible", Severity.ERROR,
      "MCUboot's external-flash page size makes the secondary slot incompatible with the internal primary",
      ncs=((1, 7), None), needs=("partition-manager", "app-core", "mcuboot"))
def nor_page_size_incompatible(t):
    found = page_incompatibility(t)
    if found is None:
        return
    r, now, page, span, how, dev, node, sec = found
    sym = PAGE_SYM[nor_compat(node)]
    target, rel, exists = conf_target(t, "mcuboot")
    if span is None and "board fragment" not in how:
        how = f"CONFIG_{sym} is left at its default {page}"
    outcome = ("no image boots at all" if not now.boots else "every update is refused and the old image keeps "
               "running")
    log = f" MCUboot logs \"{r.log_line}\"." if r.log_line else ""
    yield hit(span or target, headline=f"the external secondary has {now.secondary_sectors} sectors of {page} B, "
                                       f"the primary {now.primary_sectors}: {t.mode} refuses updates",
              message=f"MCUboot sees the secondary slot on {node_ref(node)} in {page}-byte pages ({how}) "
              f"against {dev.page_size}-byte pages in the internal primary: {now.secondary_sectors} sectors against "
              f"{now.primary_sectors} in {t.mode}, so {outcome}.{log} With {dev.page_size}-byte pages the slots "
              "are compatible",
              fix=(f"set CONFIG_{sym}={dev.page_size}" + (" there" if span else f" ({add_to(rel, exists)} it)")
                   + " and the same value in the application"),
              image="mcuboot", anchor=f"CONFIG_{sym}", related=[s for s in (sec.where,) if s])


@rule("DFU313", "nor-size-in-bytes", Severity.ERROR,
      "The NOR node's `size` is written in bytes; the binding wants bits")
def nor_size_in_bytes(t):
    seen = set()
    for name, dt, node in chip_nodes(t):
        sp = node.props.get("size")
        where = prop_span(node, "size")
        if sp is None or where is None or where in seen:
            continue
        seen.add(where)
        bits = sp.as_int()
        if not bits:
            continue
        jid = node.props.get("jedec-id")
        cap = jedec_capacity(jid.as_bytes()) if jid is not None and jid.as_bytes() else None
        parts = ext_partitions(t) if node is ext_node(t, "app") or same_node(node, ext_node(t, "app")) else []
        end = max((e for _, _, e in parts), default=0)
        evidence = ""
        if cap and bits == cap:
            evidence = f"the JEDEC ID says the chip holds {sz(cap)}, which is what `size` says in bytes"
        elif not cap and end and bits // 8 < end <= bits:
            evidence = (f"the external partitions end at {hexa(end)}, beyond {sz(bits // 8)} but within "
                        f"{sz(bits)}")
        if not evidence:
            continue
        yield hit(where, headline=f"`size = <{bits}>` is in bytes but read as bits: the region is 8 times too small",
                  message=f"`size = <{bits}>` on {node_ref(node)} is read as bits (the binding: \"flash capacity in "
                  f"bits\"), i.e. {sz(bits // 8)}, but {evidence}: Partition Manager makes the external_flash "
                  f"region {sz(bits // 8)} and the build fails ('not packed' / region too small) or the slot "
                  "lands past the region",
                  fix=f"write `size = <{bits * 8}>;` ({hexa(bits * 8)} bits = {sz(bits)})",
                  image="" if in_files(node) else name, anchor=f"{node.path}:size")


@rule("DFU314", "ext-partition-beyond-flash", Severity.ERROR,
      "A partition in external_flash ends beyond the chip the chosen node describes",
      needs=("partition-manager", "app-core"))
def ext_partition_beyond_flash(t):
    a = ext_of(t, "app")
    if a is None or a.node is None or not a.size_bytes:
        return
    region = a.size_bytes
    for p, start, end in ext_partitions(t):
        if end <= region:
            continue
        bits = a.node.props.get("size").as_int() if a.node.props.get("size") is not None else None
        yield hit(p.at("size"), headline=f"{p.name} ends beyond the {sz(region)} external flash region",
                  message=f"{p.name} in external_flash spans {hexa(start)}..{hexa(end)}, beyond the "
                  f"{sz(region)} region Partition Manager derives from {node_ref(a.node)}'s `size = <{bits}>` "
                  "(bits): the build fails ('Partition manager failed' on the external_flash region) or the "
                  "partition wraps onto the start of the chip",
                  fix=f"shrink or move {p.name} to end at or before {hexa(region)}, or correct `size` (in bits) "
                  "if the chip is larger", image="", anchor=p.name,
                  related=[s for s in (prop_span(a.node, "size"),) if s])


@rule("DFU315", "nor-jedec-id-mismatch", Severity.ERROR,
      "The NOR node's `jedec-id` is malformed or names a chip of another size than `size`",
      levels=(Severity.WARNING,))
def nor_jedec_id_mismatch(t):
    seen = set()
    for name, dt, node in chip_nodes(t):
        jp = node.props.get("jedec-id")
        where = prop_span(node, "jedec-id")
        if jp is None:
            continue
        key = (where, prop_span(node, "size"))
        if key in seen:
            continue
        seen.add(key)
        jid = jp.as_bytes()
        if jid is None:
            continue
        if len(jid) != 3:
            if where is None:
                continue
            yield hit(where, headline=f"`jedec-id` has {len(jid)} bytes, not 3: the driver rejects the chip",
                      message=f"`jedec-id` on {node_ref(node)} has {len(jid)} bytes; the driver compares exactly "
                      "three (manufacturer, memory type, capacity) with what the chip answers, so it rejects "
                      "the chip at boot or the build stops on the binding",
                      fix="write the three bytes the datasheet gives for READ ID (0x9F), e.g. `jedec-id = [c2 28 17];`",
                      image="", anchor=f"{node.path}:jedec-id")
            continue
        cap = jedec_capacity(jid)
        sp = node.props.get("size")
        bits = sp.as_int() if sp is not None else None
        if not cap or not bits:
            continue
        if bits // 8 == cap or bits == cap:       # consistent, or DFU313's bytes-for-bits case
            continue
        size_at = prop_span(node, "size")
        span = size_at or where
        if span is None:
            continue
        part = jedec_part(jid) or f"JEDEC ID [{' '.join(f'{b:02x}' for b in jid)}]"
        over = ""
        if name == "app" or same_node(node, ext_node(t, "app")):
            beyond = [p.name for p, _, e in ext_partitions(t) if e > cap]
            if beyond:
                over = f"; {', '.join(beyond)} lie beyond the chip's {sz(cap)}"
        sev = Severity.ERROR if bits // 8 > cap else Severity.WARNING
        yield hit(span, headline=f"the external flash is a {sz(cap)} part but `size` says {sz(bits // 8)}",
                  message=f"{node_ref(node)} is a {part}, {sz(cap)}, but `size = <{bits}>` says {sz(bits // 8)}"
                  + (f": Partition Manager lays out a region larger than the chip, and writes past "
                     f"{hexa(cap)} wrap around onto its start{over}" if bits // 8 > cap else
                     ": the region Partition Manager lays out wastes the rest of the chip"),
                  fix=f"write `size = <{cap * 8}>;` ({cap * 8 // (1 << 20)} Mbit) or correct `jedec-id` to the "
                  "part that is fitted", image="", anchor=f"{node.path}:size", severity=sev,
                  related=[s for s in (where,) if s and s != span])


@rule("DFU316", "nor-slot-page-unaligned", Severity.WARNING,
      "An MCUboot slot in external flash is not aligned to the layout page MCUboot uses there",
      needs=("partition-manager", "app-core"))
def nor_slot_page_unaligned(t):
    e = ext_of(t, "mcuboot")
    if e is None or e.node is None or nor_compat(e.node) not in DRIVER:
        return
    if driver_state(t, "mcuboot", DRIVER[nor_compat(e.node)])[0] is False:
        return
    page, span, how = page_value(t, "mcuboot", e)
    if page is None or page <= NOR_ERASE:
        return              # 4 KiB erase-sector alignment is DFU103's
    for p, start, end in ext_partitions(t):
        if not p.name.startswith("mcuboot_secondary"):
            continue
        size = end - start
        bad = [(k, v) for k, v in (("address", start), ("size", size)) if v % page]
        if not bad:
            continue
        key, val = bad[0]
        yield hit(p.at(key), headline=f"{p.name} {key} {hexa(val)} is off MCUboot's {page}-byte page: erases spill over",
                  message=f"{p.name} {key} {hexa(val)} is not a multiple of the {page}-byte layout page MCUboot "
                  f"uses on {node_ref(e.node)} ({how}): MCUboot counts the page that starts before the slot as none "
                  "of its sectors and the one that runs past its end as a whole sector, and erasing that sector "
                  "erases the neighbouring data, or the flash map refuses it and the swap stops",
                  fix=f"align {p.name} to {hexa(page)}, or give MCUboot the 4 KiB page the internal slot uses "
                  f"(CONFIG_{PAGE_SYM[nor_compat(e.node)]}=4096)", image="mcuboot", anchor=p.name)

