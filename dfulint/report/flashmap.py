"""`dfulint map`: each flash device with its partitions, and MCUboot's analysis of the slots."""
from __future__ import annotations

import json

from dfulint.report import display_path
from dfulint.units import hx, kib



def target_dict(t) -> dict:
    fm = t.flash
    d = {
        "app": str(t.app.root),
        "board": t.board,
        "soc": getattr(t.soc, "name", None),
        "sdk_version": str(t.sdk),
        "build_system": t.build_system,
        "layout_origin": fm.origin,
        "devices": [
            {"name": dev.name, "base": dev.base, "size": dev.size, "page_size": dev.page_size,
             "write_block": dev.write_block, "node": dev.node or None, "compatible": dev.compatible or None,
             "source": dev.source}
            for dev in fm.devices.values()
        ],
        "partitions": [
            {"name": p.name, "device": p.region, "address": p.address, "size": p.size,
             "end": p.end, "span": p.span_of or None, "static": p.static, "source": p.source}
            for p in sorted(fm.partitions, key=lambda p: (p.region, p.address, -p.size))
        ],
        "notes": list(fm.notes),
        "pm_errors": [m for m, _ in fm.errors],
        "mcuboot": None,
        "boot_chain": chain_dict(t),
        "release": _release_facts(t),
    }
    b = t.boot
    if b is not None:
        def slot(role):
            p = t.slots.get(role)
            if p is None:
                return None
            dev = fm.devices.get(p.region)
            count = {"primary": b.primary_sectors, "secondary": b.secondary_sectors,
                     "scratch": b.scratch_sectors}[role]
            return {"name": p.name, "device": p.region, "address": p.address, "size": p.size,
                    "sector_size": dev.page_size if dev else None, "sectors": count}
        d["mcuboot"] = {
            "mode": b.mode,
            "mode_source": t.mode_source,
            "max_img_sectors": t.boot_params.max_img_sectors,
            "needed_max_img_sectors": b.needed_max_img_sectors,
            "trailer_size": b.trailer_size,
            "primary": slot("primary"),
            "secondary": slot("secondary"),
            "scratch": slot("scratch"),
            "upgrade_possible": b.upgrade_possible,
            "boots": b.boots,
            "max_image_size": b.max_image_size,
            "reasons": [{"code": r.code, "outcome": r.outcome, "message": r.message, "log_line": r.log_line}
                        for r in b.reasons],
        }
    return d


def chain_dict(t) -> dict:
    """The boot chain next to the flash picture: the stages in boot order (what each runs from,
    checks and is protected by), how an update becomes permanent, and MCUboot's recovery path."""
    ch = getattr(t, "chain", None)
    if ch is None:
        return {"stages": [], "lifecycle": None, "recovery": None}
    stages = []
    for s in ch.stages:
        rng = (f"{hx(s.address)}..{hx(s.address + s.size)}" if s.address is not None and s.size is not None else "")
        stages.append({"name": s.name, "title": s.title, "partition": s.partition or None, "address": s.address,
                       "size": s.size, "range": rng, "verifies": s.verifies, "protection": s.protection,
                       "updated_by": s.updatable})
    lc = ch.lifecycle
    life = None
    if lc is not None and t.mcuboot_enabled:
        if lc.c_files == 0:
            confirm = "not seen (no C sources in the app folder)"
        elif lc.confirms:
            c = lc.confirms[0]
            confirm = f"{c.name}() at {display_path(c.span.path)}:{c.span.line}"
        elif lc.library:
            confirm = f"left to CONFIG_{lc.library}"
        else:
            confirm = f"none in {lc.c_files} C file{'s' if lc.c_files != 1 else ''}"
        paths = [x for x, on in (("MCUmgr image upload", lc.mcumgr), ("DFU target / FOTA download", lc.dfu_target))
                 if on]
        life = {"mode": lc.mode, "reverts": lc.reverts, "update_paths": paths, "confirmation": confirm,
                "requests": [f"{c.name}() at {display_path(c.span.path)}:{c.span.line}" for c in lc.requests],
                "text": (f"{lc.mode or 'unknown mode'}: " + (
                    "a new image runs once as a test and is reverted at the next reset unless confirmed"
                    if lc.reverts else "a new image is installed for good, no revert"))}
    rec = ch.recovery
    recovery = None
    if rec is not None:
        entr = []
        if rec.gpio_entrance:
            entr.append("button (alias mcuboot-button0)" + ("" if rec.button is not None or not rec.dt_complete
                                                            else ", alias missing"))
        if rec.boot_mode is not None:
            entr.append("retained boot mode")
        if rec.wait is not None:
            entr.append("wait for MCUmgr after reset")
        recovery = {"transport": "UART" if rec.uart else "USB CDC ACM", "entered_by": entr}
    return {"stages": stages, "lifecycle": life, "recovery": recovery}


def _chain_text(t) -> list:
    c = chain_dict(t)
    if not c["stages"]:
        return []
    out = ["  boot chain: " + " -> ".join(
        s["title"] + (f" [{s['partition']} {s['range']}]" if s["partition"] and s["range"] else "")
        for s in c["stages"])]
    for s in c["stages"]:
        bits = [x for x in (("checks " + s["verifies"]) if s["verifies"] else "",
                            ("protected by " + s["protection"]) if s["protection"] else "",
                            ("updated by " + s["updated_by"]) if s["updated_by"] else "") if x]
        if bits:
            out.append(f"    - {s['name']}: " + "; ".join(bits))
    lc = c["lifecycle"]
    if lc is not None:
        out.append(f"  updates: {lc['text']}; arrive by {', '.join(lc['update_paths']) or 'no path in this app'}; "
                   f"confirmation: {lc['confirmation']}")
    rec = c["recovery"]
    if rec is not None:
        out.append(f"  recovery: MCUboot serial recovery over {rec['transport']}, entered by "
                   f"{', '.join(rec['entered_by']) or 'no entrance configured'}")
    return out


def _release_facts(t) -> dict:
    """What `check --against SNAPSHOT` compares: save this output when a release ships."""
    facts = getattr(t, "release_facts", None)     # taken by the engine (engine._take_release_facts)
    return facts.to_dict() if facts is not None else {}


def render_json(result) -> str:
    return json.dumps({"version": 1, "apps": [target_dict(t) for a in result.apps for t in a.targets]},
                      indent=2) + "\n"


def bar(dev, parts, width: int = 64) -> str:
    """One line per device: each partition's share of the device drawn to scale."""
    if not dev.size:
        return ""
    cells = ["."] * width
    leaves = [p for p in parts if not p.is_container]
    for i, p in enumerate(leaves):
        a = max(0, (p.address - dev.base) * width // dev.size)
        e = min(width, max(a + 1, (p.end - dev.base) * width // dev.size))
        ch = p.name[:1].upper() if p.name else "?"
        for k in range(a, e):
            cells[k] = "#" if cells[k] != "." else ch
    return "|" + "".join(cells) + "|"


def render_text(result) -> str:
    out = []
    for a in result.apps:
        for t in a.targets:
            out.append(f"{display_path(t.app.root)}  board {t.board or '(none)'}  "
                       f"{'NCS' if t.app.framework == 'ncs' else 'Zephyr'} {t.sdk} ({t.sdk.source}), "
                       f"{t.build_system}, layout from {t.flash.origin}")
            fm = t.flash
            for dev in fm.devices.values():
                parts = fm.on(dev.name)
                out.append(f"  {dev.name}: {hx(dev.base)}..{hx(dev.end)} ({kib(dev.size)}), "
                           f"{kib(dev.page_size)} pages, write block {dev.write_block}"
                           + (f"  [{dev.source}]" if dev.source else ""))
                out.append("    " + bar(dev, parts))
                w = max([len(p.name) for p in parts] + [4])
                out.append(f"    {'name':<{w}}  {'start':>10}  {'end':>10}  {'size':>10}  {'':>10}  source")
                for p in parts:
                    out.append(f"    {p.name:<{w}}  {hx(p.address):>10}  {hx(p.end):>10}  {hx(p.size):>10}  "
                               f"{kib(p.size):>10}  {p.source}")
            orphans = [p for p in fm.partitions if p.region not in fm.devices]
            for p in orphans:
                out.append(f"  (device {p.region} unknown) {p.name} {hx(p.address)} size {hx(p.size)}")
            for n in fm.notes:
                out.append(f"  note: {n}")
            for m, _ in fm.errors:
                out.append(f"  Partition Manager will fail: {m}")
            out.extend(_chain_text(t))
            b = t.boot
            if b is not None:
                out.append(f"  MCUboot: {b.mode} ({t.mode_source}); BOOT_MAX_IMG_SECTORS={t.boot_params.max_img_sectors}"
                           f" (needs >= {b.needed_max_img_sectors}); trailer {b.trailer_size} B")
                for role in ("primary", "secondary", "scratch"):
                    p = t.slots.get(role)
                    if p is None:
                        continue
                    dev = fm.devices.get(p.region)
                    n = {"primary": b.primary_sectors, "secondary": b.secondary_sectors,
                         "scratch": b.scratch_sectors}[role]
                    out.append(f"    {role:<9} {p.name:<20} {hx(p.size):>9} ({kib(p.size)}) "
                               f"= {n} sectors of {kib(dev.page_size) if dev else '?'}")
                verdict = ("upgrade possible" if b.upgrade_possible else "NO upgrade possible")
                if not b.boots:
                    verdict += "; NOTHING BOOTS"
                out.append(f"    {verdict}; largest image accepted: "
                           + (f"{hx(b.max_image_size)} ({kib(b.max_image_size)})" if b.max_image_size else "none"))
                for r in b.reasons:
                    out.append(f"    - [{r.outcome}] {r.message}" + (f"  log: \"{r.log_line}\"" if r.log_line else ""))
            elif t.mcuboot_enabled:
                off = [q.name for q in t.slots.values() if q.region not in fm.devices]
                out.append(f"  MCUboot: slots not analysed ({', '.join(off)} on a flash device of unknown geometry)"
                           if off and "primary" in t.slots else "  MCUboot: slots not found in the layout")
            else:
                out.append("  MCUboot: not enabled for this build")
            out.append("")
    return "\n".join(out) + ("\n" if out else "No app found.\n")
