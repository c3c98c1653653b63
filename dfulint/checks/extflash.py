"""3xx: external flash: both images must see the same flash, with working drivers and geometry.

When MCUboot's secondary slot lives on an SPI or QSPI NOR, three images of one build have to
agree about that chip: Partition Manager (which takes the `external_flash` region from the
application's `nordic,pm-ext-flash` chosen node), the application (which writes the update
into the slot) and MCUboot (which reads, swaps and erases it). Each image has its own
devicetree overlays and Kconfig fragments, so a chip added for the application only is the
most common way an update never applies (research/failure_modes.md, rank 1).

Version boundaries used here (NCS; research/semantics.md sections 2.4, 3 and 4):

* 1.7: the chosen node replaces the PM_EXTERNAL_FLASH Kconfig; PM names the region's device
  after the node's `label` up to 2.0, after its path in 2.1, and `DT_CHOSEN(nordic_pm_ext_flash)`
  from 2.2, so from 2.2 every image that opens an external partition needs the chosen node.
* 2.1: PM keeps external partitions only where the driver Kconfig is on: NORDIC_QSPI_NOR, or
  PM_OVERRIDE_EXTERNAL_DRIVER_CHECK (needed by every SPI NOR image). From 2.2 the check is
  PM_EXTERNAL_FLASH_HAS_DRIVER, on with SPI_NOR or NORDIC_QSPI_NOR.
* 2.0: pinctrl replaces the `*-pin` properties of nRF buses.
* 2.7: sysbuild's SB_CONFIG_PM_EXTERNAL_FLASH_MCUBOOT_SECONDARY forces the switch in both images.

A rule that depends on the version fires only when every version the project can be on
(`SdkVersion.range`) is affected, or says that it depends on the version.
"""
from __future__ import annotations

from typing import Iterable, Optional

from dfulint import knowledge
from dfulint.checks import hit, rule
from dfulint.core import Severity, Span
from dfulint.units import sz

SPI_NOR = "jedec,spi-nor"
QSPI_NOR = "nordic,qspi-nor"
NOR_COMPATS = (SPI_NOR, QSPI_NOR)
DRIVER = {SPI_NOR: "SPI_NOR", QSPI_NOR: "NORDIC_QSPI_NOR"}
PAGE_SYM = {SPI_NOR: "SPI_NOR_FLASH_LAYOUT_PAGE_SIZE", QSPI_NOR: "NORDIC_QSPI_NOR_FLASH_LAYOUT_PAGE_SIZE"}
IMAGES = ("app", "mcuboot")
IMAGE_TEXT = {"app": "the application", "mcuboot": "MCUboot"}

#: NOR erase unit: every JEDEC SPI/QSPI NOR part PM and MCUboot are used with erases 4 KiB sectors
NOR_ERASE = 0x1000

#: Settings MCUboot's own board fragments make (sdk-mcuboot boot/zephyr/boards/<board>.conf), read per
#: sdk-mcuboot tag. They apply while MCUboot's configuration directory is its own (not replaced by
#: child_image/mcuboot/ or sysbuild/mcuboot/), before the fragments an app appends
#: (child_image/mcuboot.conf, sysbuild/mcuboot.conf). (board file stem, first NCS, first NCS without,
#: values, source)
#: Highest SCK an nRF SPI(M) instance supports, in Hz, by SoC family and bus label (nRF product
#: specifications: SPIM3 of the nRF52840, SPIM4 of the nRF5340 and SPIM00 of the nRF54L run at
#: 32 MHz, every other SPIM/SPI instance at 8 MHz). QSPI: nRF52840 32 MHz, nRF5340 96 MHz.
FAST_SPIM = {("nrf52", "spi3"): 32_000_000, ("nrf53", "spi4"): 32_000_000, ("nrf54l", "spi00"): 32_000_000}
FAST_SPIM_ADDR = {("nrf52", 0x4002F000): "spi3", ("nrf53", 0xA000): "spi4", ("nrf54l", 0x4A000): "spi00"}
SPIM_DEFAULT_MAX = 8_000_000
QSPI_MAX = {"nrf52": 32_000_000, "nrf53": 96_000_000}

LEGACY_PINS = ("sck-pin", "mosi-pin", "miso-pin", "csn-pins", "csn-pin", "io-pins", "ss-pin")


# --------------------------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------------------------

def _ncs_pm(t) -> bool:
    """NCS with Partition Manager, built for an application core (a network-core target has no
    MCUboot of its own: the application core's build decides its updates)."""
    soc = getattr(t.soc, "name", "") or ""
    return t.app.framework == "ncs" and t.uses_pm and "cpunet" not in soc


def _range(t) -> tuple:
    return t.sdk.range


def _always_at_least(t, *v) -> bool:
    return _range(t)[0] >= tuple(v) + (0,) * (3 - len(v))


def _always_before(t, *v) -> bool:
    return _range(t)[1] < tuple(v) + (0,) * (3 - len(v))


def _maybe_at_least(t, *v) -> bool:
    return _range(t)[1] >= tuple(v) + (0,) * (3 - len(v))


def _ver(t) -> str:
    if t.sdk.exact:
        return f"NCS {t.sdk}"
    low, high = _range(t)
    return f"NCS {'.'.join(map(str, low))}..{'.'.join(map(str, high))} ({t.sdk.source})"


def _hex(n: Optional[int]) -> str:
    return "?" if n is None else f"0x{n:x}"


_size = sz


def _is_file_span(span) -> bool:
    from dfulint.model.devicetree import from_knowledge

    return span is not None and not from_knowledge(span) and getattr(span, "line", 0) >= 1


def _prop_span(node, name: str) -> Optional[Span]:
    """Where a node's effective property was last written in a project file, if it was."""
    if node is None:
        return None
    for p in reversed(node.history.get(name, [])):
        if _is_file_span(p.span):
            return p.span
    return None


def _node_span(node) -> Optional[Span]:
    if node is None:
        return None
    for s in node.spans:
        if _is_file_span(s):
            return s
    return None


def _in_files(node) -> bool:
    """The node is created or changed by a file of the project (not only a board fact)."""
    return _node_span(node) is not None


def _from_project_only(node) -> bool:
    """The node exists only because a project file defines it (no board knowledge behind it)."""
    from dfulint.model.devicetree import from_knowledge

    if node is None or not node.known:
        return False
    for hist in node.history.values():
        for p in hist:
            if from_knowledge(p.span):
                return False
    return _in_files(node)


def _label(node) -> str:
    if node is None:
        return "?"
    lab = node.label
    return f"&{lab}" if lab else node.path


def _rel(t, path) -> str:
    return t.app.rel(path)


def _where(t, span: Span) -> str:
    return f"{_rel(t, span.path)}:{span.line}"


def _image(t, name: str):
    return t.images.get(name)


def _cfg(t, name: str):
    img = _image(t, name)
    return img.config if img is not None else None


def _assigned_span(cfg, sym: str) -> Optional[Span]:
    """The fragment line that gives a symbol its value in this image, if one does."""
    if cfg is None:
        return None
    v = cfg.get(sym)
    if v.origin in ("fragment", "forced") and v.assignments:
        return v.assignments[-1].span
    return None


def _last_user_assignment(img, sym: str):
    """The last assignment of `sym` in the image's own fragments (not forced), or None."""
    found = None
    for frag in getattr(img, "fragments", []) or []:
        for a in frag.assignments:
            if a.name == sym:
                found = a
    return found


def _conf_target(t, name: str) -> tuple[Span, str, bool]:
    """Where a setting for this image goes: (line 1 of the file, its relative path, exists)."""
    img = _image(t, name)
    root = t.app.root
    if name == "app":
        layers = [layer for layer in (img.conf_layers if img else []) if layer.role in ("base", "board")]
        path = layers[-1].path if layers else root / "prj.conf"
    elif name == "sysbuild":
        path = root / "sysbuild.conf"
    else:
        layers = list(img.conf_layers) if img else []
        if layers:
            path = layers[-1].path
        elif t.build_system == "child_image":
            path = root / "child_image" / "mcuboot.conf"
        elif (root / "sysbuild" / "mcuboot").is_dir():
            path = root / "sysbuild" / "mcuboot" / "prj.conf"
        else:
            path = root / "sysbuild" / "mcuboot.conf"
    exists = path.is_file()
    return Span(path, 1, 1), _rel(t, path), exists


def _overlay_target(t, name: str) -> tuple[Span, str, bool]:
    """The devicetree overlay of this image where a node or chosen entry belongs."""
    img = _image(t, name)
    root = t.app.root
    if img is not None and img.dts_layers:
        path = img.dts_layers[-1].path
    elif name == "app":
        stem = t.stems[0] if t.stems else "app"
        path = root / "boards" / f"{stem}.overlay" if t.stems else root / "app.overlay"
    elif t.build_system == "child_image":
        path = root / "child_image" / "mcuboot.overlay"
    elif (root / "sysbuild" / "mcuboot").is_dir():
        mstems = _mcuboot_stems(t)
        path = root / "sysbuild" / "mcuboot" / "boards" / f"{mstems[0]}.overlay" if mstems else \
            root / "sysbuild" / "mcuboot" / "app.overlay"
    else:
        path = root / "sysbuild" / "mcuboot.overlay"
    return Span(path, 1, 1), _rel(t, path), path.is_file()


def _add_to(rel: str, exists: bool) -> str:
    return f"add to {rel}" if exists else f"create {rel} with"


def _mcuboot_stems(t) -> list:
    img = _image(t, "mcuboot")
    b = getattr(img, "board", None) or t.board
    if not b:
        return []
    stems = knowledge.board_file_stems(b)
    if b not in stems:
        stems.append(b)
    return stems


def _ext(t, name: str):
    return (t.ext or {}).get(name)


def _ext_node(t, name: str):
    e = _ext(t, name)
    return e.node if e is not None else None


def _secondary_external(t):
    """The mcuboot_secondary partition when this build places it in external flash (NCS + PM)."""
    if not _ncs_pm(t) or not t.mcuboot_enabled:
        return None
    if _always_before(t, 1, 7):
        return None            # external flash was a Kconfig setting before NCS 1.7
    sec = (t.slots or {}).get("secondary")
    if sec is None or sec.region != "external_flash":
        return None
    return sec


def _why_external(t, sec) -> tuple[str, Optional[Span]]:
    """Why the secondary is in external flash, and where that is written."""
    if sec.static and t.pm_static is not None:
        p = t.pm_static.partitions.get(sec.name)
        if p is not None:
            return (f"{_rel(t, t.pm_static.path)} places {sec.name} in region external_flash",
                    p.at("region"))
    cfg = _cfg(t, "mcuboot")
    if cfg is not None:
        v = cfg.get("PM_EXTERNAL_FLASH_MCUBOOT_SECONDARY")
        if v.value == "y":
            if v.assignments:
                a = v.assignments[-1]
                return f"CONFIG_PM_EXTERNAL_FLASH_MCUBOOT_SECONDARY=y ({_where(t, a.span)})", a.span
            return "CONFIG_PM_EXTERNAL_FLASH_MCUBOOT_SECONDARY defaults to y", None
    return "the build's layout puts mcuboot_secondary in external_flash", sec.where


def _same_node(a, b) -> bool:
    if a is None or b is None:
        return False
    if a.labels & b.labels:
        return True

    def norm(p: str) -> str:
        return p.replace("peripheral@40000000", "peripheral@50000000")

    return norm(a.path) == norm(b.path)


def _chosen_ref(ext) -> str:
    try:
        return ext.prop.as_ref() or "?"
    except AttributeError:
        return "?"


def _ancestors(dt, node) -> Iterable:
    seen = 0
    cur = dt.parent_of(node) if node is not None else None
    while cur is not None and cur.path != "/" and seen < 64:
        yield cur
        cur = dt.parent_of(cur)
        seen += 1


def _bus(dt, node):
    return dt.parent_of(node) if node is not None else None


def _soc_family(t) -> Optional[str]:
    return getattr(t.soc, "family", None)


def _compat(node) -> str:
    if node is None:
        return ""
    for c in node.compatibles():
        if c in NOR_COMPATS:
            return c
    comps = node.compatibles()
    return comps[0] if comps else ""


def _ext_nodes(t) -> list:
    """(image, node) for every external NOR this build relies on, once per image."""
    out = []
    for name in IMAGES:
        img = _image(t, name)
        if img is None or img.dt is None:
            continue
        node = _ext_node(t, name)
        if node is not None and node.known:
            out.append((name, img.dt, node))
    if t.app.framework == "zephyr":
        img = _image(t, "app")
        if img is not None and img.dt is not None:
            for dev in (t.flash.devices or {}).values():
                n = img.dt.node(dev.node) if dev.node else None
                if n is not None and n.known and _compat(n) in NOR_COMPATS and \
                        not any(n is m for _, _, m in out):
                    out.append(("app", img.dt, n))
    return out


def _mcuboot_board_value(t, sym: str) -> tuple:
    """(value, source, certain) that MCUboot's own board fragment gives `sym` in this build, or
    (None, "", True) when none does. `certain` is False when only part of the version range has it."""
    img = _image(t, "mcuboot")
    if img is None or img.replaces_defaults is not None:
        return None, "", True
    from dfulint import knowledge

    low, high = _range(t)
    return knowledge.mcuboot_board_value(_mcuboot_stems(t), sym, low, high)


def _driver_state(t, name: str, sym: str) -> tuple[Optional[bool], str, Optional[Span]]:
    """Whether the image builds the driver `sym`: True, False, or None when it depends on Kconfig
    dfulint does not see (FLASH enabled by other subsystems, defaults of NCS modules); why; and the
    line that decides it, if one does."""
    img = _image(t, name)
    cfg = img.config if img is not None else None
    if cfg is None:
        return None, "no configuration", None
    v = cfg.get(sym)
    if v.origin == "select":
        return True, f"CONFIG_{sym} is selected", None
    if v.origin == "forced" and v.assignments:
        span = v.assignments[-1].span
        return v.value == "y", f"CONFIG_{sym}={v.value or 'n'} (forced, {_where(t, span)})", span
    a = _last_user_assignment(img, sym)
    if a is not None:
        if a.value_without_comment != "y":
            return False, f"CONFIG_{sym}=n at {_where(t, a.span)}", a.span
        drops = [d for d in cfg.dropped if getattr(d.assignment, "name", "") == sym]
        if v.value != "y" and drops:
            d = drops[-1]
            # a dependency on something dfulint cannot see (FLASH enabled elsewhere) is not proof
            if "FLASH" in d.detail and "DT_HAS" not in d.detail and "HAS_HW" not in d.detail:
                return None, f"CONFIG_{sym}=y at {_where(t, a.span)} (dependency not visible here)", a.span
            return False, f"CONFIG_{sym}=y at {_where(t, a.span)} does not take effect ({d.detail})", a.span
        return True, f"CONFIG_{sym}=y at {_where(t, a.span)}", a.span
    # left to MCUboot's own board fragment and to defaults
    if name == "mcuboot":
        val, src, certain = _mcuboot_board_value(t, sym)
        if val is not None:
            if not certain:
                return None, f"MCUboot's own board fragment may set CONFIG_{sym}={val} ({src})", None
            return val == "y", f"MCUboot's own board fragment sets CONFIG_{sym}={val} ({src})", None
    if v.value == "y":
        return True, f"CONFIG_{sym} defaults to y", None
    flash = cfg.get("FLASH")
    if flash.origin in ("fragment", "forced") and flash.value != "y":
        span = flash.assignments[-1].span if flash.assignments else None
        return False, f"CONFIG_FLASH is off{f' at {_where(t, span)}' if span else ''}", span
    if _maybe_at_least(t, 2, 2):
        # Zephyr (NCS 2.2+) enables flash drivers whose devicetree node is okay
        return (True if _always_at_least(t, 2, 2) else None), f"CONFIG_{sym} defaults to y from the devicetree", None
    if sym == "NORDIC_QSPI_NOR":
        sw = cfg.get(SWITCH).value == "y"
        spi = cfg.get("SPI_NOR").value == "y"
        if sw and not spi:
            return True, f"NCS defaults CONFIG_{sym} to y for an external secondary slot", None
        why = ("CONFIG_SPI_NOR=y turns off NCS's default for it" if spi else
               f"CONFIG_{SWITCH} is off in this image, so NCS's default does not apply")
        return False, f"CONFIG_{sym} is not set ({why})", None
    return False, f"CONFIG_{sym} is not set (before NCS 2.2 it has no default)", None


# --------------------------------------------------------------------------------------------
# DFU301-DFU303: the chosen node
# --------------------------------------------------------------------------------------------

def _config_dir_elsewhere(t) -> bool:
    """NCS applications that keep each board's files in configuration/<board>/ (built with
    -DAPPLICATION_CONFIG_DIR): the app folder's own overlays are not this board's."""
    return bool(getattr(t, "config_dirs", None))


def _chosen_snippet(ref: str) -> str:
    return f"/ {{ chosen {{ nordic,pm-ext-flash = &{ref}; }}; }};"


def _node_text_for(t, node) -> str:
    """How the other image defines the node, for a fix text."""
    sp = _node_span(node)
    if sp is None:
        return ""
    return f" and the {node.name} node itself (as in {_where(t, sp)})"


@rule("DFU301", "ext-flash-chosen-missing", Severity.ERROR,
      "An image that opens the external secondary slot has no `nordic,pm-ext-flash` chosen node")
def chosen_missing(t):
    sec = _secondary_external(t)
    if sec is None or not t.board:
        return          # without a board, board-specific overlays cannot be told apart
    why, why_at = _why_external(t, sec)
    related = [why_at] if why_at is not None else []
    app_ext, mcu_ext = _ext(t, "app"), _ext(t, "mcuboot")
    ref = None
    for e in (app_ext, mcu_ext):
        if e is not None:
            ref = _chosen_ref(e)
            break
    ref_text = ref or "<flash node label>"
    if app_ext is None and not _config_dir_elsewhere(t):
        span, rel, exists = _overlay_target(t, "app")
        other = f"; MCUboot's devicetree chooses &{_chosen_ref(mcu_ext)}" if mcu_ext is not None else ""
        yield hit(span, f"{why}, but the application's devicetree (the overlays this build applies to it: "
                  f"{', '.join(_rel(t, layer.path) for layer in t.images['app'].dts_layers) or 'none'}) has no "
                  f"`nordic,pm-ext-flash` chosen node{other}: Partition Manager takes the external_flash "
                  "region from the application's devicetree, so the build fails (no external_flash region), "
                  "and the application could not write updates to the slot",
                  fix=f"{_add_to(rel, exists)} `{_chosen_snippet(ref_text)}` and enable that flash node",
                  image="app", anchor="nordic,pm-ext-flash", related=related)
    mcu = _image(t, "mcuboot")
    if mcu is None or mcu_ext is not None:
        return
    span, rel, exists = _overlay_target(t, "mcuboot")
    app_node = app_ext.node if app_ext is not None else None
    layers = ", ".join(_rel(t, layer.path) for layer in mcu.dts_layers) or "none"
    # NCS before 2.2 names the device by label (1.7-2.0) or node path (2.1): the node suffices there
    node_in_mcu = None
    if app_node is not None and mcu.dt is not None:
        node_in_mcu = mcu.dt.node(app_node.path)
        if node_in_mcu is None:
            for lab in app_node.labels:
                node_in_mcu = mcu.dt.node(lab)
                if node_in_mcu is not None:
                    break
    node_ok = node_in_mcu is not None and node_in_mcu.known and node_in_mcu.okay() and \
        mcu.dt.enabled_path(node_in_mcu)
    extra = _node_text_for(t, app_node) if (app_node is not None and not node_ok) else ""
    fix = f"{_add_to(rel, exists)} `{_chosen_snippet(ref_text)}`{extra}"
    if _always_at_least(t, 2, 2):
        yield hit(span, f"{why}, but MCUboot's devicetree (its overlays in this build: {layers}) has no "
                  "`nordic,pm-ext-flash` chosen node; from NCS 2.2 Partition Manager gives external partitions "
                  "the device DT_CHOSEN(nordic_pm_ext_flash), so MCUboot's flash map has no usable secondary "
                  "slot: at boot 'E: Failed to open flash area ID 1 (image 0 slot 1): -2' (or 'Failed reading "
                  "sectors') and no update is ever applied" + (
                      "; the overlay that adds the flash is read by the application only" if app_ext else ""),
                  fix=fix, image="mcuboot", anchor="nordic,pm-ext-flash", related=related)
    elif node_ok:
        if _maybe_at_least(t, 2, 2):
            yield hit(span, f"{why}; MCUboot's devicetree has the flash node {_label(app_node)} but no "
                      "`nordic,pm-ext-flash` chosen node. That works before NCS 2.2 (the device is named by "
                      f"label or path), but from NCS 2.2 MCUboot cannot open the secondary slot; the version "
                      f"here is not certain ({_ver(t)})",
                      fix=fix, image="mcuboot", anchor="nordic,pm-ext-flash", related=related,
                      severity=Severity.WARNING)
    else:
        how = "by its label" if _always_before(t, 2, 1) else "by its devicetree node"
        what = f"an enabled {_label(app_node)} node" if app_node is not None else "the external flash node"
        yield hit(span, f"{why}, but MCUboot's devicetree (overlays: {layers}) has neither a "
                  f"`nordic,pm-ext-flash` chosen node nor {what}: Partition Manager "
                  f"names the secondary's device {how}, which MCUboot does not have, so at boot MCUboot cannot "
                  "open the slot ('Failed reading sectors' / 'Cannot upgrade') and keeps the old image",
                  fix=fix, image="mcuboot", anchor="nordic,pm-ext-flash", related=related)


_COMPARED_PROPS = ("compatible", "size", "jedec-id", "reg")


@rule("DFU302", "ext-flash-chosen-mismatch", Severity.ERROR,
      "The application and MCUboot choose different external flash nodes, or describe the chip differently")
def chosen_mismatch(t):
    if _secondary_external(t) is None:
        return
    a, m = _ext(t, "app"), _ext(t, "mcuboot")
    if a is None or m is None:
        return
    an, mn = a.node, m.node
    mspan = m.prop.span if _is_file_span(getattr(m.prop, "span", None)) else None
    aspan = a.prop.span if _is_file_span(getattr(a.prop, "span", None)) else None
    if an is None or mn is None:
        ar, mr = _chosen_ref(a), _chosen_ref(m)
        if ar != mr and mspan is not None:
            yield hit(mspan, f"MCUboot's `nordic,pm-ext-flash` is &{mr} but the application's is &{ar}: "
                      "Partition Manager sizes the region from the application's node while MCUboot opens its own",
                      fix=f"point both chosen entries at the same node (&{ar})", image="mcuboot",
                      anchor="nordic,pm-ext-flash", related=[aspan] if aspan else [])
        return
    if not _same_node(an, mn):
        where = mspan or _node_span(mn)
        if where is None:
            return
        yield hit(where, f"MCUboot's `nordic,pm-ext-flash` is {_label(mn)} ({mn.path}) but the application's is "
                  f"{_label(an)} ({an.path}): Partition Manager places the slot on the application's chip, while "
                  "MCUboot reads and swaps another device, so updates are read from the wrong flash",
                  fix=f"choose {_label(an)} in MCUboot's overlay too (and describe it the same way)",
                  image="mcuboot", anchor="nordic,pm-ext-flash", related=[aspan] if aspan else [])
        return
    for prop in _COMPARED_PROPS:
        pa, pm = an.props.get(prop), mn.props.get(prop)
        va = _prop_value(pa)
        vm = _prop_value(pm)
        if va == vm or va is None or vm is None:
            continue
        where = _prop_span(mn, prop) or _prop_span(an, prop)
        if where is None:
            continue
        other = _prop_span(an, prop) if where != _prop_span(an, prop) else _prop_span(mn, prop)
        yield hit(where, f"the external flash {_label(mn)} is described differently: `{prop}` is {_shown(pm)} in "
                  f"MCUboot's devicetree but {_shown(pa)} in the application's; Partition Manager uses the "
                  "application's, MCUboot drives the chip with its own",
                  fix=f"write the same `{prop}` in both overlays (copy the application's node into MCUboot's "
                  "overlay)", image="mcuboot" if where == _prop_span(mn, prop) else "app",
                  anchor=f"{mn.path}:{prop}", related=[other] if other else [])


def _prop_value(p):
    if p is None:
        return None
    if p.name == "jedec-id":
        b = p.as_bytes()
        return tuple(b) if b is not None else None
    if p.name == "compatible":
        return tuple(p.as_strs())
    return p.as_int()


def _shown(p) -> str:
    if p is None:
        return "absent"
    if p.name == "jedec-id":
        b = p.as_bytes() or b""
        return "[" + " ".join(f"{x:02x}" for x in b) + "]"
    if p.name == "compatible":
        return ", ".join(f'"{s}"' for s in p.as_strs())
    v = p.as_int()
    return f"<{v}>" if v is not None else "?"


@rule("DFU303", "ext-flash-node-disabled", Severity.ERROR,
      "The chosen external flash is undefined or disabled (or its bus is) in an image that needs it")
def node_disabled(t):
    if _secondary_external(t) is None:
        return
    for name in IMAGES:
        img, e = _image(t, name), _ext(t, name)
        if img is None or e is None or img.dt is None:
            continue
        ref = _chosen_ref(e)
        cspan = e.prop.span if _is_file_span(getattr(e.prop, "span", None)) else None
        ospan, orel, oexists = _overlay_target(t, name)
        if e.node is None:
            placeholder = img.dt.node(ref) if ref and ref != "?" else None
            if placeholder is not None:
                node = placeholder          # a &label block for a board node dfulint does not know
            else:
                other = "mcuboot" if name == "app" else "app"
                oimg = _image(t, other)
                onode = oimg.dt.node(ref) if oimg is not None and oimg.dt is not None and ref != "?" else None
                if onode is None or not _from_project_only(onode) or cspan is None:
                    continue            # the board may define it; dfulint's board facts are partial
                yield hit(cspan, f"{IMAGE_TEXT[name]}'s `nordic,pm-ext-flash` points at &{ref}, but no file "
                          f"{IMAGE_TEXT[name]}'s devicetree is built from defines that label (it is defined at "
                          f"{_where(t, _node_span(onode)) if _node_span(onode) else 'the other image'}, which "
                          f"{IMAGE_TEXT[name]} does not read): dtc stops with a reference to a non-existent label",
                          fix=f"copy the node that defines {ref} into {orel}", image=name, anchor=ref)
                continue
        else:
            node = e.node
        if node.props.get("status") is not None and not node.okay():
            where = _prop_span(node, "status") or cspan or ospan
            src = "" if _prop_span(node, "status") else " by the board devicetree"
            yield hit(where, f"the external flash {_label(node)} is disabled{src} in {IMAGE_TEXT[name]}'s "
                      f"devicetree: its driver never starts, so {IMAGE_TEXT[name]} cannot "
                      f"{'write updates to' if name == 'app' else 'read or swap'} the secondary slot",
                      fix=("write `status = \"okay\";` there" if _prop_span(node, "status") else
                           f"{_add_to(orel, oexists)} `&{node.label or ref} {{ status = \"okay\"; }};`"),
                      image=name, anchor=node.path)
            continue
        if not node.known:
            continue
        for anc in _ancestors(img.dt, node):
            if anc.props.get("status") is None or anc.okay():
                continue
            where = _prop_span(anc, "status") or cspan or ospan
            src = "" if _prop_span(anc, "status") else " (as the board leaves it)"
            lab = anc.label or anc.name
            yield hit(where, f"the bus {_label(anc)} of the external flash {_label(node)} is disabled{src} in "
                      f"{IMAGE_TEXT[name]}'s devicetree: the flash is unreachable, so {IMAGE_TEXT[name]} cannot "
                      "use the secondary slot",
                      fix=f"{_add_to(orel, oexists)} `&{lab} {{ status = \"okay\"; }};` (with its pinctrl)",
                      image=name, anchor=anc.path)
            break


# --------------------------------------------------------------------------------------------
# DFU304-DFU305: the external-secondary switch
# --------------------------------------------------------------------------------------------

SWITCH = "PM_EXTERNAL_FLASH_MCUBOOT_SECONDARY"


def _sb_switch(t) -> tuple[Optional[bool], Optional[Span], str]:
    """SB_CONFIG_PM_EXTERNAL_FLASH_MCUBOOT_SECONDARY as sysbuild uses it: (value, where, how). The
    sysbuild model already holds the defaults of the app's and the board's Kconfig.sysbuild."""
    if t.sysbuild is None or t.sysbuild.config is None:
        return None, None, ""
    sb = t.sysbuild.config
    v = sb.get(SWITCH)
    if v.origin in ("fragment", "forced") and v.assignments:
        a = v.assignments[-1]
        return v.value == "y", a.span, f"SB_CONFIG_{SWITCH}={v.value} ({_where(t, a.span)})"
    if any(SWITCH in n and "cannot tell" in n for n in getattr(t.sysbuild, "notes", [])):
        return None, None, ""
    return bool(v.value == "y"), None, f"SB_CONFIG_{SWITCH}=n (not set in sysbuild.conf)"


@rule("DFU304", "ext-secondary-switch-ignored", Severity.WARNING,
      "Under sysbuild, CONFIG_PM_EXTERNAL_FLASH_MCUBOOT_SECONDARY in an image is overridden by sysbuild")
def switch_ignored(t):
    if not _ncs_pm(t) or t.build_system != "sysbuild" or t.sysbuild is None or not t.mcuboot_enabled:
        return
    if not _maybe_at_least(t, 2, 7):
        return
    sec = (t.slots or {}).get("secondary")
    sec_region = sec.region if sec is not None else None
    sbspan, sbrel, sbexists = _conf_target(t, "sysbuild")
    val, sb_at, how = _sb_switch(t)
    for name in IMAGES:
        img = _image(t, name)
        if img is None or img.config is None:
            continue
        a = _last_user_assignment(img, SWITCH)
        if a is not None and val is not None and (a.value_without_comment == "y") != val:
            want = a.value_without_comment == "y"
            effect = ""
            if want and sec_region is not None and sec_region != "external_flash":
                effect = (f"; unless a pm_static file pins it, Partition Manager therefore places mcuboot_secondary "
                          f"in {sec_region} next to the application, which loses half of the internal flash")
            elif want and sec_region == "external_flash":
                effect = ("; the secondary still lands in external flash only because a pm_static file pins it "
                          "there, while both images build with the switch off")
            yield hit(a.span, f"{a.full_name}={a.value_without_comment} in {_rel(t, a.span.path)} is ignored: "
                      f"sysbuild forces CONFIG_{SWITCH}={'y' if val else 'n'} into the application and MCUboot "
                      f"from {how}{effect}",
                      fix=(f"set SB_CONFIG_{SWITCH}={'y' if want else 'n'} in {sbrel}"
                           + ("" if sbexists else " (create it)") + " and delete this line"),
                      image=name, anchor=a.full_name, related=[sb_at] if sb_at else [])
        # the driver-check override: sysbuild forces it to y (never to n) when SB_CONFIG_ sets it
        o = _last_user_assignment(img, "PM_OVERRIDE_EXTERNAL_DRIVER_CHECK")
        ov = img.config.get("PM_OVERRIDE_EXTERNAL_DRIVER_CHECK")
        if o is not None and o.value_without_comment != "y" and ov.origin == "forced" and ov.value == "y":
            at = ov.assignments[-1].span if ov.assignments else None
            yield hit(o.span, f"{o.full_name}={o.value_without_comment} in {_rel(t, o.span.path)} is ignored: "
                      "SB_CONFIG_PM_OVERRIDE_EXTERNAL_DRIVER_CHECK=y makes sysbuild set it to y in this image",
                      fix=f"delete this line, or SB_CONFIG_PM_OVERRIDE_EXTERNAL_DRIVER_CHECK from {sbrel}",
                      image=name, anchor=o.full_name, related=[at] if at else [])


@rule("DFU305", "ext-secondary-placement-mismatch", Severity.WARNING,
      "pm_static places mcuboot_secondary against the external-secondary switch")
def placement_mismatch(t):
    if not _ncs_pm(t) or not t.mcuboot_enabled or t.pm_static is None:
        return
    if _always_before(t, 1, 7):
        return
    p = t.pm_static.partitions.get("mcuboot_secondary")
    if p is None:
        return
    region = p.str("region") or "flash_primary"
    static_ext = region == "external_flash"
    if t.build_system == "sysbuild" and t.sysbuild is not None:
        val, at, how = _sb_switch(t)
        if val is None:
            return
        fix_on = f"set SB_CONFIG_{SWITCH}=y in sysbuild.conf"
        fix_off = f"remove SB_CONFIG_{SWITCH}=y from sysbuild.conf"
    else:
        cfg = _cfg(t, "app")
        if cfg is None:
            return
        v = cfg.get(SWITCH)
        val = v.value == "y"
        at = v.assignments[-1].span if v.assignments and v.origin == "fragment" else None
        if at is not None:
            how = f"CONFIG_{SWITCH}={v.value} ({_where(t, at)})"
        elif val:
            how = (f"CONFIG_{SWITCH}, which defaults to y as soon as the application's devicetree has a "
                   "`nordic,pm-ext-flash` chosen node")
        else:
            how = f"CONFIG_{SWITCH}=n (no `nordic,pm-ext-flash` chosen node in the application)"
        fix_on = f"set CONFIG_{SWITCH}=y in prj.conf (and choose the flash with `nordic,pm-ext-flash`)"
        fix_off = f"set CONFIG_{SWITCH}=n in prj.conf"
    if val == static_ext:
        return
    where = p.at("region") if "region" in p.fields else p.span
    if static_ext:
        msg = (f"{_rel(t, t.pm_static.path)} places mcuboot_secondary in external_flash while the build has "
               f"the external-secondary switch off ({how}): the pinned partition wins for the slot itself, but "
               "whatever follows the switch does not match it: dynamic placement on boards without this file, "
               "nRF53's simultaneous network-core update (SB_CONFIG_MCUBOOT_NRF53_MULTI_IMAGE_UPDATE is selected "
               "by the switch), TF-M's partitioning of the secondary, and the logical external-flash address "
               "programming tools use (NCS 3.2)")
        fix = fix_on
    else:
        msg = (f"{_rel(t, t.pm_static.path)} pins mcuboot_secondary in {region} while the external-secondary "
               f"switch is on ({how}): Partition Manager keeps the pinned internal slot, the switch only adds "
               "external-flash drivers and placements nobody uses")
        fix = f"{fix_off}, or move mcuboot_secondary to `region: external_flash`"
    yield hit(where, msg, fix=fix, image="", anchor="mcuboot_secondary", related=[at] if at else [])


# --------------------------------------------------------------------------------------------
# DFU306-DFU310: drivers per image
# --------------------------------------------------------------------------------------------

def _needing_images(t) -> list:
    """(image name, ExtFlash) for the images that must reach the external secondary."""
    if _secondary_external(t) is None:
        return []
    out = []
    for name in IMAGES:
        e = _ext(t, name)
        if _image(t, name) is not None and e is not None and e.node is not None and e.node.known:
            out.append((name, e))
    return out


@rule("DFU306", "ext-flash-driver-missing", Severity.ERROR,
      "An image that needs the external secondary slot does not build the driver its flash chip needs")
def driver_missing(t):
    for name, e in _needing_images(t):
        compat = _compat(e.node)
        sym = DRIVER.get(compat)
        if sym is None:
            continue
        on, why, span = _driver_state(t, name, sym)
        target, rel, exists = _conf_target(t, name)
        role = "write updates to" if name == "app" else "read and swap"
        if on is False:
            yield hit(span or target, f"{IMAGE_TEXT[name]} needs CONFIG_{sym} for the {compat} chip "
                      f"{_label(e.node)} that holds the secondary slot, but {why}: the slot gets no flash-map "
                      f"entry in {IMAGE_TEXT[name]}, which then cannot {role} it"
                      + (" ('Failed reading sectors' / 'Failed to open flash area' at boot)" if name == "mcuboot"
                         else " ('Failed to open flash area ID 2' during upload)"),
                      fix=(f"set CONFIG_{sym}=y there" if span is not None else f"{_add_to(rel, exists)} "
                           f"`CONFIG_{sym}=y`") + (" and CONFIG_SPI=y" if compat == SPI_NOR else ""),
                      image=name, anchor=f"CONFIG_{sym}")


def _select_source(t, name: str, sym: str) -> Optional[tuple]:
    """(assignment, selecting symbol) when `sym` comes from a select in this image's fragments."""
    from dfulint.model.kconfig import symbol

    img = _image(t, name)
    cfg = img.config if img is not None else None
    if cfg is None:
        return None
    for frag in reversed(img.fragments or []):
        for a in reversed(frag.assignments):
            if a.value_without_comment != "y":
                continue
            info = symbol(a.name, name, t.kconfig_version)
            if info is not None and sym in (info.selects or ()) and cfg.enabled(a.name):
                return a, a.name
    return None


@rule("DFU307", "ext-flash-driver-wrong-bus", Severity.WARNING,
      "A NOR driver for the wrong bus: the QSPI driver with an SPI part (or on a SoC without QSPI), or the reverse")
def driver_wrong_bus(t):
    if not _ncs_pm(t):
        return
    for name in IMAGES:
        img = _image(t, name)
        e = _ext(t, name)
        if img is None or img.config is None or img.dt is None:
            continue
        cfg = img.config
        has_qspi_hw = getattr(t.soc, "has_qspi", None)
        qspi_nodes = [n for n in img.dt.by_compatible(QSPI_NOR) if n.okay() and img.dt.enabled_path(n)]
        spi_nodes = [n for n in img.dt.by_compatible(SPI_NOR) if n.okay() and img.dt.enabled_path(n)]
        compat = _compat(e.node) if e is not None and e.node is not None and e.node.known else ""
        # the QSPI driver
        a = _last_user_assignment(img, "NORDIC_QSPI_NOR")
        sel = None
        if cfg.get("NORDIC_QSPI_NOR").origin == "select":
            sel = _select_source(t, name, "NORDIC_QSPI_NOR")
        qspi_on = cfg.enabled("NORDIC_QSPI_NOR") or (a is not None and a.value_without_comment == "y")
        if qspi_on and (has_qspi_hw is False or (compat == SPI_NOR and not qspi_nodes)):
            if sel is not None:
                where, how = sel[0].span, f"CONFIG_{sel[1]}=y selects CONFIG_NORDIC_QSPI_NOR"
            elif a is not None and a.value_without_comment == "y":
                where, how = a.span, f"{a.full_name}=y"
            else:
                where, how = None, ""
            if where is not None:
                if has_qspi_hw is False:
                    soc = getattr(t.soc, "name", "this SoC")
                    sev = Severity.ERROR if sel is not None else Severity.WARNING
                    msg = (f"{how} in {IMAGE_TEXT[name]}, but {soc} has no QSPI peripheral"
                           + (": a select ignores the dependency, so nrf_qspi_nor.c is compiled and the build "
                              "fails" if sel is not None else
                              ": Kconfig drops the setting, and the external flash needs the SPI NOR driver"))
                else:
                    sev = None
                    msg = (f"{how} in {IMAGE_TEXT[name]}, whose external flash {_label(e.node)} is a {SPI_NOR} "
                           "part on an SPI bus and has no enabled nordic,qspi-nor node: the QSPI driver does "
                           f"nothing for it (CONFIG_SPI_NOR is the driver it needs)")
                fix = ("replace the select with the explicit options it stands for (MCUmgr, img_mgmt, "
                       "CONFIG_SPI_NOR for the flash)" if sel is not None else
                       "set CONFIG_NORDIC_QSPI_NOR=n and CONFIG_SPI_NOR=y (with CONFIG_SPI=y)")
                yield hit(where, msg, fix=fix, image=name, anchor="CONFIG_NORDIC_QSPI_NOR", severity=sev)
        # the SPI NOR driver on a QSPI part
        b = _last_user_assignment(img, "SPI_NOR")
        if b is not None and b.value_without_comment == "y" and compat == QSPI_NOR and not spi_nodes:
            note = ""
            if _maybe_at_least(t, 1, 7) and not _always_at_least(t, 2, 2):
                note = (" (before NCS 2.2 it also turns off NCS's default CONFIG_NORDIC_QSPI_NOR=y for the "
                        "secondary slot)")
            yield hit(b.span, f"CONFIG_SPI_NOR=y in {IMAGE_TEXT[name]}, whose external flash {_label(e.node)} is a "
                      f"{QSPI_NOR} part on the QSPI bus: the SPI NOR driver has no chip to drive{note}",
                      fix="delete this line and set CONFIG_NORDIC_QSPI_NOR=y", image=name, anchor="CONFIG_SPI_NOR")


@rule("DFU308", "pm-ext-driver-check", Severity.ERROR,
      "Partition Manager drops external partitions in an image whose flash driver it does not recognise")
def pm_driver_check(t):
    for name, e in _needing_images(t):
        compat = _compat(e.node)
        cfg = _cfg(t, name)
        ovr = cfg.enabled("PM_OVERRIDE_EXTERNAL_DRIVER_CHECK")
        if ovr:
            continue
        target, rel, exists = _conf_target(t, name)
        if t.build_system == "sysbuild":
            target, rel, exists = _conf_target(t, "sysbuild")
            setting = "SB_CONFIG_PM_OVERRIDE_EXTERNAL_DRIVER_CHECK=y"
        else:
            setting = "CONFIG_PM_OVERRIDE_EXTERNAL_DRIVER_CHECK=y"
        if compat == SPI_NOR and _always_at_least(t, 2, 1) and _always_before(t, 2, 2):
            v = cfg.get("PM_OVERRIDE_EXTERNAL_DRIVER_CHECK")
            where = v.assignments[-1].span if v.assignments else target
            yield hit(where, f"NCS 2.1 keeps external partitions in {IMAGE_TEXT[name]}'s flash map only when "
                      "CONFIG_NORDIC_QSPI_NOR or CONFIG_PM_OVERRIDE_EXTERNAL_DRIVER_CHECK is set; with the SPI NOR "
                      f"{_label(e.node)} and no override the secondary slot is missing from {IMAGE_TEXT[name]} "
                      "('Failed to open flash area' / 'Failed reading sectors')",
                      fix=f"{_add_to(rel, exists)} `{setting}`" + (" (in the application and in MCUboot)"
                                                                   if t.build_system != "sysbuild" else ""),
                      image=name, anchor="CONFIG_PM_OVERRIDE_EXTERNAL_DRIVER_CHECK")
        elif compat and compat not in NOR_COMPATS and _always_at_least(t, 2, 1):
            yield hit(target, f"the external flash {_label(e.node)} is a \"{compat}\" device: Partition Manager "
                      "keeps external partitions only for the nordic,qspi-nor and jedec,spi-nor drivers unless "
                      f"the driver check is overridden, so {IMAGE_TEXT[name]} has no secondary slot in its flash map",
                      fix=f"{_add_to(rel, exists)} `{setting}`", image=name,
                      anchor="CONFIG_PM_OVERRIDE_EXTERNAL_DRIVER_CHECK")


@rule("DFU309", "mcuboot-spi-needs-multithreading", Severity.ERROR,
      "MCUboot builds the SPI NOR driver with CONFIG_MULTITHREADING off (MCUboot's default on nRF)")
def mcuboot_multithreading(t):
    if not _ncs_pm(t) or not t.mcuboot_enabled:
        return
    fam = _soc_family(t) or ""
    if not fam.startswith("nrf"):
        return
    mcu = _image(t, "mcuboot")
    if mcu is None or mcu.config is None:
        return
    on, _, _ = _driver_state(t, "mcuboot", "SPI_NOR")
    e = _ext(t, "mcuboot")
    if on is not True or e is None or _compat(e.node) != SPI_NOR:
        return
    if _always_at_least(t, 3, 1):
        return                  # Zephyr's SPI drivers work without threads from NCS 3.1
    v = mcu.config.get("MULTITHREADING")
    if v.value == "y":
        return
    if v.origin not in ("fragment", "forced"):
        bval, _, certain = _mcuboot_board_value(t, "MULTITHREADING")
        if bval == "y" or (bval is not None and not certain):
            return
    span = v.assignments[-1].span if v.origin in ("fragment", "forced") and v.assignments else None
    target, rel, exists = _conf_target(t, "mcuboot")
    certain = _always_at_least(t, 2, 5) and _always_before(t, 3, 1)
    sev = None if certain else (Severity.WARNING if _always_before(t, 3, 1) else Severity.INFO)
    why = (f"CONFIG_MULTITHREADING=n at {_where(t, span)}" if span else
           "MCUboot's Kconfig defaults CONFIG_MULTITHREADING to n on nRF SoCs")
    if certain:
        effect = ("from NCS 2.5 to 3.0 the nRF SPI driver depends on it, so the bus has no driver and the link "
                  "fails with `undefined reference to __device_dts_ord_...`")
    elif _always_before(t, 3, 1):
        effect = ("before NCS 3.1 Zephyr's SPI drivers wait on kernel semaphores, which need it (every NCS and "
                  "vendor MCUboot configuration with an SPI NOR of that time sets it; from NCS 2.5 the build "
                  "fails with `undefined reference to __device_dts_ord_...`)")
    else:
        effect = (f"Zephyr's SPI drivers need it before NCS 3.1 (link error `undefined reference to "
                  f"__device_dts_ord_...` from NCS 2.5); from NCS 3.1 they work without threads. The version "
                  f"here is not certain: {_ver(t)}")
    yield hit(span or target, f"MCUboot builds the SPI NOR driver for {_label(e.node)}, but {why}: {effect}",
              fix="set CONFIG_MULTITHREADING=y" + (" there" if span else f" ({_add_to(rel, exists)} it)"),
              image="mcuboot", anchor="CONFIG_MULTITHREADING", severity=sev)


MCUBOOT_STACK = 10240          # MCUboot's own prj.conf, and NCS's nRF52/nRF53 MCUboot configurations
MCUBOOT_STACK_FLOOR = 2048     # the smallest stack in an NCS MCUboot configuration with an SPI NOR
#                                (sdk-nrf applications/asset_tracker_v2 child_image/mcuboot/boards/nrf9160dk_*.conf, v2.5.0)


@rule("DFU310", "mcuboot-nor-stack-small", Severity.WARNING,
      "MCUboot's main stack is smaller than any NCS configuration with a NOR driver uses")
def mcuboot_stack(t):
    if not _ncs_pm(t) or not t.mcuboot_enabled:
        return
    mcu = _image(t, "mcuboot")
    e = _ext(t, "mcuboot")
    if mcu is None or mcu.config is None or e is None or e.node is None:
        return
    sym = DRIVER.get(_compat(e.node))
    if sym is None or _driver_state(t, "mcuboot", sym)[0] is not True:
        return
    v = mcu.config.get("MAIN_STACK_SIZE")
    span = v.assignments[-1].span if v.origin in ("fragment", "forced") and v.assignments else None
    if span is not None:
        size, how = v.value, f"CONFIG_MAIN_STACK_SIZE={v.value} at {_where(t, span)}"
    elif mcu.replaces_defaults is not None:
        size = 1024
        how = (f"{_rel(t, mcu.replaces_defaults)} replaces MCUboot's prj.conf (which sets 10240) and does not set "
               "CONFIG_MAIN_STACK_SIZE, so Zephyr's default of 1024 applies")
    else:
        return
    if not isinstance(size, int) or size >= MCUBOOT_STACK_FLOOR:
        return
    target, rel, exists = _conf_target(t, "mcuboot")
    yield hit(span or target, f"MCUboot runs image validation and the {sym} driver on its main stack, but {how}: "
              "NCS's MCUboot configurations with a NOR driver use 10240 (MCUboot's prj.conf, nRF52/nRF53 "
              "samples), 16384 (nRF91 samples) or 20480 (nRF54L external-flash samples), and none below 2048 "
              "(asset_tracker_v2 on nRF91, with hardware crypto); a stack this small overflows (MPU fault at "
              "boot, or a crash during the first swap)",
              fix=f"set CONFIG_MAIN_STACK_SIZE={MCUBOOT_STACK}" + (" there" if span else f" ({_add_to(rel, exists)} it)"),
              image="mcuboot", anchor="CONFIG_MAIN_STACK_SIZE")


# --------------------------------------------------------------------------------------------
# DFU311-DFU312: layout page size
# --------------------------------------------------------------------------------------------

def _matter(t) -> bool:
    cfg = _cfg(t, "app")
    sb = t.sysbuild.config if t.sysbuild is not None else None
    return bool((cfg is not None and cfg.get("CHIP").value == "y") or (sb is not None and sb.get("MATTER").value == "y"))


def _page_value(t, name: str, e) -> tuple:
    """(page size or None when it cannot be told, line that sets it, how) for an image's NOR."""
    sym = PAGE_SYM.get(_compat(e.node) if e.node is not None else e.compatible, "SPI_NOR_FLASH_LAYOUT_PAGE_SIZE")
    cfg = _cfg(t, name)
    span = _assigned_span(cfg, sym)
    if span is not None:
        return e.page_size, span, f"CONFIG_{sym}={e.page_size} at {_where(t, span)}"
    if name == "mcuboot":
        val, src, certain = _mcuboot_board_value(t, sym)
        if val is not None:
            if not certain:
                return None, None, ""
            return int(val), None, f"CONFIG_{sym}={val} in MCUboot's own board fragment ({src})"
    return e.page_size, None, f"CONFIG_{sym} default {e.page_size}"


@rule("DFU311", "nor-page-size-mismatch", Severity.WARNING,
      "The application and MCUboot use different layout page sizes for the external flash")
def page_mismatch(t):
    if _secondary_external(t) is None:
        return
    a, m = _ext(t, "app"), _ext(t, "mcuboot")
    if a is None or m is None or a.node is None or m.node is None or _compat(a.node) != _compat(m.node):
        return
    compat = _compat(m.node)
    if compat not in NOR_COMPATS:
        return
    if any(_driver_state(t, n, DRIVER[compat])[0] is False for n in IMAGES):
        return              # an image without the driver has no page at all (DFU306)
    pa, sa, ha = _page_value(t, "app", a)
    pm, sm, hm = _page_value(t, "mcuboot", m)
    if pa is None or pm is None or pa == pm:
        return
    if sa is None and _matter(t):
        return      # Matter's Kconfig.defaults (sdk-connectedhomeip) give the application its page size
    sym = PAGE_SYM[compat]
    pri = (t.slots or {}).get("primary")
    dev = t.flash.devices.get(pri.region) if pri is not None else None
    good = dev.page_size if dev is not None and pri.region != "external_flash" else None
    if good is not None and good != pm and _page_incompatibility(t) is not None:
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
            where, rel, exists = _conf_target(t, "app")
            fix = f"{_add_to(rel, exists)} `CONFIG_{sym}={want}`, the page MCUboot uses"
    else:
        also = "" if pa == want else ", and the same in the application"
        if sm is not None:
            where, fix = sm, f"set CONFIG_{sym}={want} there (the internal flash's page){also}"
        else:
            where, rel, exists = _conf_target(t, "mcuboot")
            fix = f"{_add_to(rel, exists)} `CONFIG_{sym}={want}` (the internal flash's page){also}"
    related = [s for s in (sa, sm) if s is not None and s != where]
    sec = _secondary_external(t)
    big = max(pa, pm)
    edges = [v for v in ((sec.address, sec.end) if sec is not None else ()) if v % big]
    if edges:
        effect = (f"the secondary slot ({_hex(sec.address)}..{_hex(sec.end)}) does not end on a {big}-byte page, so "
                  "the image with the larger page erases past the slot (or the flash map refuses the erase: the "
                  "upload or the swap fails at the slot's last page)")
        sev = None
    else:
        effect = (f"harmless while the secondary slot stays aligned to {big} bytes, but a slot resized off that "
                  "boundary makes the image with the larger page erase past it")
        sev = Severity.INFO
    yield hit(where, f"MCUboot lays out the external flash in {pm}-byte pages ({hm}) but the application in "
              f"{pa}-byte pages ({ha}): MCUboot counts, swaps and erases the secondary slot in its pages, while "
              f"the application erases it in its own as an update arrives; {effect}",
              fix=fix, image=image, anchor=f"CONFIG_{sym}", related=related, severity=sev)


def _page_incompatibility(t):
    """When MCUboot's layout page for the external secondary breaks the slot laws while the internal
    page would not: (reason, analysis, page, span, how, device, NOR node, secondary); else None."""
    from dfulint.model import mcuboot as mb

    sec = _secondary_external(t)
    if sec is None or t.boot_params is None or t.mode is None:
        return None
    e = _ext(t, "mcuboot") or _ext(t, "app")
    if e is None or e.node is None:
        return None
    compat = _compat(e.node)
    if compat not in NOR_COMPATS:
        return None
    pri = (t.slots or {}).get("primary")
    dev = t.flash.devices.get(pri.region) if pri is not None else None
    if pri is None or dev is None or pri.region == "external_flash" or dev.page_size <= 0:
        return None
    img_name = "mcuboot" if _ext(t, "mcuboot") is not None else "app"
    page, span, how = _page_value(t, img_name, e)
    if page is None or page == dev.page_size or page <= 0:
        return None
    if img_name == "mcuboot" and _driver_state(t, "mcuboot", DRIVER[compat])[0] is False:
        return None         # no driver at all: DFU306 says so
    p_geom = mb.SlotGeom(pri.size, dev.page_size, dev.write_block, pri.name)
    try:
        now = mb.analyse(p_geom, mb.SlotGeom(sec.size, page, 1, sec.name), t.boot_params)
        fixed = mb.analyse(p_geom, mb.SlotGeom(sec.size, dev.page_size, 1, sec.name), t.boot_params)
    except (ValueError, ZeroDivisionError):
        return None
    bad = [r for r in now.reasons if r.outcome in ("bricks", "refuses")]
    if not bad or (not now.boots and not fixed.boots):
        return None
    fixed_codes = {r.code for r in fixed.reasons if r.outcome in ("bricks", "refuses")}
    caused = [r for r in bad if r.code not in fixed_codes]
    if not caused:
        return None
    return caused[0], now, page, span, how, dev, e.node, sec


@rule("DFU312", "nor-page-size-incompatible", Severity.ERROR,
      "MCUboot's external-flash page size makes the secondary slot incompatible with the internal primary")
def page_incompatible(t):
    found = _page_incompatibility(t)
    if found is None:
        return
    r, now, page, span, how, dev, node, sec = found
    sym = PAGE_SYM[_compat(node)]
    target, rel, exists = _conf_target(t, "mcuboot")
    if span is None and "board fragment" not in how:
        how = f"CONFIG_{sym} is left at its default {page}"
    outcome = ("no image boots at all" if not now.boots else "every update is refused and the old image keeps "
               "running")
    log = f" MCUboot logs \"{r.log_line}\"." if r.log_line else ""
    yield hit(span or target, f"MCUboot sees the secondary slot on {_label(node)} in {page}-byte pages ({how}) "
              f"against {dev.page_size}-byte pages in the internal primary: {now.secondary_sectors} sectors against "
              f"{now.primary_sectors} in {t.mode}, so {outcome}.{log} With {dev.page_size}-byte pages the slots "
              "are compatible",
              fix=(f"set CONFIG_{sym}={dev.page_size}" + (" there" if span else f" ({_add_to(rel, exists)} it)")
                   + " and the same value in the application"),
              image="mcuboot", anchor=f"CONFIG_{sym}", related=[s for s in (sec.where,) if s])


# --------------------------------------------------------------------------------------------
# DFU313-DFU316: chip size, JEDEC ID and partitions
# --------------------------------------------------------------------------------------------

def _chosen_in(t, name: str, node) -> bool:
    n = _ext_node(t, name)
    return n is not None and _same_node(n, node)


def _chip_nodes(t) -> list:
    """External NOR nodes of every image; rules report each written property once."""
    return list(_ext_nodes(t))


def _ext_partitions(t) -> list:
    """Pinned partitions of the external_flash region: (PmPartition, start, end)."""
    if t.pm_static is None:
        return []
    out = []
    for p in t.pm_static.partitions.values():
        if (p.str("region") or "") != "external_flash":
            continue
        addr, size = p.int("address"), p.int("size")
        if addr is None or size is None:
            continue
        out.append((p, addr, addr + size))
    return out


@rule("DFU313", "nor-size-in-bytes", Severity.ERROR,
      "The NOR node's `size` is written in bytes; the binding wants bits")
def size_in_bytes(t):
    seen = set()
    for name, dt, node in _chip_nodes(t):
        sp = node.props.get("size")
        where = _prop_span(node, "size")
        if sp is None or where is None or where in seen:
            continue
        seen.add(where)
        bits = sp.as_int()
        if not bits:
            continue
        jid = node.props.get("jedec-id")
        cap = knowledge.jedec_capacity(jid.as_bytes()) if jid is not None and jid.as_bytes() else None
        parts = _ext_partitions(t) if node is _ext_node(t, "app") or _same_node(node, _ext_node(t, "app")) else []
        end = max((e for _, _, e in parts), default=0)
        evidence = ""
        if cap and bits == cap:
            evidence = f"the JEDEC ID says the chip holds {_size(cap)}, which is what `size` says in bytes"
        elif not cap and end and bits // 8 < end <= bits:
            evidence = (f"the external partitions end at {_hex(end)}, beyond {_size(bits // 8)} but within "
                        f"{_size(bits)}")
        if not evidence:
            continue
        yield hit(where, f"`size = <{bits}>` on {_label(node)} is read as bits (the binding: \"flash capacity in "
                  f"bits\"), i.e. {_size(bits // 8)}, but {evidence}: Partition Manager makes the external_flash "
                  f"region {_size(bits // 8)} and the build fails ('not packed' / region too small) or the slot "
                  "lands past the region",
                  fix=f"write `size = <{bits * 8}>;` ({_hex(bits * 8)} bits = {_size(bits)})",
                  image="" if _in_files(node) else name, anchor=f"{node.path}:size")


@rule("DFU314", "ext-partition-beyond-flash", Severity.ERROR,
      "A partition in external_flash ends beyond the chip the chosen node describes")
def partition_beyond(t):
    if not _ncs_pm(t):
        return
    a = _ext(t, "app")
    if a is None or a.node is None or not a.size_bytes:
        return
    region = a.size_bytes
    for p, start, end in _ext_partitions(t):
        if end <= region:
            continue
        bits = a.node.props.get("size").as_int() if a.node.props.get("size") is not None else None
        yield hit(p.at("size"), f"{p.name} in external_flash spans {_hex(start)}..{_hex(end)}, beyond the "
                  f"{_size(region)} region Partition Manager derives from {_label(a.node)}'s `size = <{bits}>` "
                  "(bits): the build fails ('Partition manager failed' on the external_flash region) or the "
                  "partition wraps onto the start of the chip",
                  fix=f"shrink or move {p.name} to end at or before {_hex(region)}, or correct `size` (in bits) "
                  "if the chip is larger", image="", anchor=p.name,
                  related=[s for s in (_prop_span(a.node, "size"),) if s])


@rule("DFU315", "nor-jedec-id-mismatch", Severity.ERROR,
      "The NOR node's `jedec-id` is malformed or names a chip of another size than `size`")
def jedec_mismatch(t):
    seen = set()
    for name, dt, node in _chip_nodes(t):
        jp = node.props.get("jedec-id")
        where = _prop_span(node, "jedec-id")
        if jp is None:
            continue
        key = (where, _prop_span(node, "size"))
        if key in seen:
            continue
        seen.add(key)
        jid = jp.as_bytes()
        if jid is None:
            continue
        if len(jid) != 3:
            if where is None:
                continue
            yield hit(where, f"`jedec-id` on {_label(node)} has {len(jid)} bytes; the driver compares exactly "
                      "three (manufacturer, memory type, capacity) with what the chip answers, so it rejects "
                      "the chip at boot or the build stops on the binding",
                      fix="write the three bytes the datasheet gives for READ ID (0x9F), e.g. `jedec-id = [c2 28 17];`",
                      image="", anchor=f"{node.path}:jedec-id")
            continue
        cap = knowledge.jedec_capacity(jid)
        sp = node.props.get("size")
        bits = sp.as_int() if sp is not None else None
        if not cap or not bits:
            continue
        if bits // 8 == cap or bits == cap:       # consistent, or DFU313's bytes-for-bits case
            continue
        size_at = _prop_span(node, "size")
        span = size_at or where
        if span is None:
            continue
        part = knowledge.jedec_part(jid) or f"JEDEC ID [{' '.join(f'{b:02x}' for b in jid)}]"
        over = ""
        if name == "app" or _same_node(node, _ext_node(t, "app")):
            beyond = [p.name for p, _, e in _ext_partitions(t) if e > cap]
            if beyond:
                over = f"; {', '.join(beyond)} lie beyond the chip's {_size(cap)}"
        sev = Severity.ERROR if bits // 8 > cap else Severity.WARNING
        yield hit(span, f"{_label(node)} is a {part}, {_size(cap)}, but `size = <{bits}>` says {_size(bits // 8)}"
                  + (f": Partition Manager lays out a region larger than the chip, and writes past "
                     f"{_hex(cap)} wrap around onto its start{over}" if bits // 8 > cap else
                     ": the region Partition Manager lays out wastes the rest of the chip"),
                  fix=f"write `size = <{cap * 8}>;` ({cap * 8 // (1 << 20)} Mbit) or correct `jedec-id` to the "
                  "part that is fitted", image="", anchor=f"{node.path}:size", severity=sev,
                  related=[s for s in (where,) if s and s != span])


@rule("DFU316", "nor-slot-page-unaligned", Severity.WARNING,
      "An MCUboot slot in external flash is not aligned to the layout page MCUboot uses there")
def slot_page_unaligned(t):
    if not _ncs_pm(t):
        return
    e = _ext(t, "mcuboot")
    if e is None or e.node is None or _compat(e.node) not in DRIVER:
        return
    if _driver_state(t, "mcuboot", DRIVER[_compat(e.node)])[0] is False:
        return
    page, span, how = _page_value(t, "mcuboot", e)
    if page is None or page <= NOR_ERASE:
        return              # 4 KiB erase-sector alignment is DFU103's
    for p, start, end in _ext_partitions(t):
        if not p.name.startswith("mcuboot_secondary"):
            continue
        size = end - start
        bad = [(k, v) for k, v in (("address", start), ("size", size)) if v % page]
        if not bad:
            continue
        key, val = bad[0]
        yield hit(p.at(key), f"{p.name} {key} {_hex(val)} is not a multiple of the {page}-byte layout page MCUboot "
                  f"uses on {_label(e.node)} ({how}): MCUboot counts the page that starts before the slot as none "
                  "of its sectors and the one that runs past its end as a whole sector, and erasing that sector "
                  "erases the neighbouring data, or the flash map refuses it and the swap stops",
                  fix=f"align {p.name} to {_hex(page)}, or give MCUboot the 4 KiB page the internal slot uses "
                  f"(CONFIG_{PAGE_SYM[_compat(e.node)]}=4096)", image="mcuboot", anchor=p.name)


# --------------------------------------------------------------------------------------------
# DFU317-DFU321: devicetree hygiene per version
# --------------------------------------------------------------------------------------------

def _hygiene_nodes(t) -> list:
    """(image, devicetree, flash node, bus node) for the external NOR of every image. The same node
    is usually written twice (the application's overlay and MCUboot's): each file is reported."""
    return [(name, dt, node, _bus(dt, node)) for name, dt, node in _ext_nodes(t)]


class _Once:
    """Reports each place once, whichever image's devicetree reaches it first."""

    def __init__(self):
        self.seen = set()

    def __call__(self, span) -> bool:
        if span is None or span in self.seen:
            return False
        self.seen.add(span)
        return True


@rule("DFU317", "dts-legacy-pin-properties", Severity.ERROR,
      "`sck-pin`/`mosi-pin`/`miso-pin`/`csn-pins` on the external flash bus where pinctrl is required, or the reverse")
def legacy_pins(t):
    once = _Once()
    for name, dt, node, bus in _hygiene_nodes(t):
        if bus is None:
            continue
        legacy = [(p, _prop_span(bus, p)) for p in LEGACY_PINS if p in bus.props]
        legacy = [(p, s) for p, s in legacy if s is not None]
        has_pinctrl = "pinctrl-0" in bus.props
        lab = bus.label or bus.name
        if legacy:
            first = legacy[0][1]
            if not once(first):
                continue
            names = ", ".join(p for p, _ in legacy)
            if _always_at_least(t, 2, 0):
                if _from_project_only(bus) and not has_pinctrl:
                    msg = (f"{names} on {_label(bus)}: from NCS 2.0 nRF buses take their pins from pinctrl and "
                           "ignore these properties; the bus has no `pinctrl-0`, so the build stops")
                else:
                    msg = (f"{names} on {_label(bus)} are ignored from NCS 2.0 (pinctrl): the bus keeps the pins "
                           "of its `pinctrl-0` (the board's), not the ones written here, so the external flash "
                           "is silently unreachable if it sits on other pins (NCS 2.4 and later no longer know "
                           "the properties at all)")
                yield hit(first, msg, fix=f"describe the pins in a pinctrl state (`&pinctrl {{ {lab}_default: ... "
                          f"}};`) and set `pinctrl-0`/`pinctrl-1`/`pinctrl-names` on &{lab}; delete {names}",
                          image="", anchor=bus.path)
            elif not _always_before(t, 2, 0):
                yield hit(first, f"{names} on {_label(bus)} work only before NCS 2.0; from 2.0 nRF buses take "
                          f"their pins from pinctrl and ignore them (the version here is not certain: {_ver(t)})",
                          fix=f"when moving to NCS 2.0 or later, replace {names} with a pinctrl state and "
                          f"`pinctrl-0` on &{lab}", image="", anchor=bus.path, severity=Severity.WARNING)
        elif has_pinctrl and _always_before(t, 2, 0) and _from_project_only(bus):
            where = _prop_span(bus, "pinctrl-0")
            if not once(where):
                continue
            yield hit(where, f"`pinctrl-0` on {_label(bus)}: pinctrl for nRF buses arrived in NCS 2.0; on "
                      f"{_ver(t)} the bus needs sck-pin/mosi-pin/miso-pin and has no pins",
                      fix=f"write sck-pin, mosi-pin and miso-pin on &{lab} (or move to NCS 2.0 or later)",
                      image="", anchor=bus.path)


@rule("DFU318", "nor-label-property", Severity.INFO,
      "`label` on the external flash where it is deprecated, or missing where Partition Manager needs it")
def label_property(t):
    once = _Once()
    for name, dt, node, bus in _hygiene_nodes(t):
        if t.app.framework == "ncs" and _always_at_least(t, 2, 1) or \
                t.app.framework == "zephyr" and _always_at_least(t, 3, 2):
            for n in (node, bus):
                where = _prop_span(n, "label") if n is not None else None
                if not once(where):
                    continue
                yield hit(where, f"`label` on {_label(n)}: from NCS 2.1 Partition Manager no longer names devices "
                          "after it, and Zephyr 3.2 (NCS 2.2) deprecates the property ('label' is marked as "
                          "deprecated) in favour of node labels and DEVICE_DT_GET", fix="delete the `label` line",
                          image="", anchor=f"{n.path}:label")
        elif t.app.framework == "ncs" and _always_at_least(t, 1, 7) and _always_before(t, 2, 1) and \
                _from_project_only(node) and "label" not in node.props and _chosen_in(t, name, node):
            sec = _secondary_external(t)
            if sec is None:
                continue
            where = _node_span(node)
            if not once(where):
                continue
            yield hit(where, f"{_label(node)} has no `label` property, but on {_ver(t)} Partition Manager names the "
                      "external_flash device after the chosen node's label: without it the region has no "
                      "device and no image can open the secondary slot",
                      fix=f"add `label = \"{(node.label or node.name.split('@')[0]).upper()}\";` to the node",
                      image="", anchor=f"{node.path}:label", severity=Severity.ERROR)


@rule("DFU319", "nor-cs-gpios-missing", Severity.ERROR,
      "The SPI bus of the external flash has no chip-select GPIO for the flash's `reg`")
def cs_gpios(t):
    once = _Once()
    for name, dt, node, bus in _hygiene_nodes(t):
        if bus is None or _compat(node) != SPI_NOR:
            continue
        if not any(c.startswith("nordic,nrf-spi") for c in bus.compatibles()):
            continue
        reg = node.prop_int("reg")
        cs = bus.props.get("cs-gpios")
        if cs is not None:
            n = len(cs.refs())
            where = _prop_span(bus, "cs-gpios") or _prop_span(node, "reg")
            if reg is None or n == 0 or reg < n or not once(where):
                continue
            yield hit(where, f"{_label(node)} has `reg = <{reg}>`, chip select #{reg} of {_label(bus)}, but "
                      f"`cs-gpios` lists {n} pin{'s' if n != 1 else ''}: the flash is never selected, its JEDEC ID "
                      "reads as 00 00 00 and the device is not ready",
                      fix=f"add the flash's CS pin to `cs-gpios` at index {reg}, or set `reg = <{n - 1}>` to the "
                      "index of its pin", image="", anchor=bus.path)
            continue
        if not _from_project_only(bus):
            continue                    # a board bus: its cs-gpios may come from the board devicetree
        where = _node_span(bus)
        if not once(where):
            continue
        yield hit(where, f"{_label(bus)} carries the SPI NOR {_label(node)} but has no `cs-gpios`: nRF SPI(M) "
                  "drivers select devices only through cs-gpios, so the flash is never selected and is not ready",
                  fix=f"add `cs-gpios = <&gpio0 N GPIO_ACTIVE_LOW>;` (the flash's CS pin) to &{bus.label or bus.name}",
                  image="", anchor=bus.path)


def _spim_max(t, bus) -> Optional[int]:
    fam = _soc_family(t)
    if fam is None or bus is None:
        return None
    comps = bus.compatibles()
    if "nordic,nrf-spi" in comps:
        return SPIM_DEFAULT_MAX
    if not any(c == "nordic,nrf-spim" for c in comps):
        return None
    for lab in bus.labels:
        if (fam, lab) in FAST_SPIM:
            return FAST_SPIM[(fam, lab)]
    ua = bus.unit_address
    if ua is not None:
        for (f, addr), lab in FAST_SPIM_ADDR.items():
            if f == fam and (ua == addr or ua & 0xFFFFF == addr & 0xFFFFF):
                return FAST_SPIM[(f, lab)]
    return SPIM_DEFAULT_MAX


@rule("DFU320", "nor-frequency", Severity.ERROR,
      "The external flash has no `spi-max-frequency`/`sck-frequency`, or asks for more than its bus supports")
def frequency(t):
    once = _Once()
    for name, dt, node, bus in _hygiene_nodes(t):
        compat = _compat(node)
        if compat == SPI_NOR:
            prop, limit = "spi-max-frequency", _spim_max(t, bus)
        elif compat == QSPI_NOR:
            prop, limit = "sck-frequency", QSPI_MAX.get(_soc_family(t) or "")
        else:
            continue
        p = node.props.get(prop)
        if p is None:
            if not _from_project_only(node):
                continue
            where = _node_span(node)
            if not once(where):
                continue
            yield hit(where, f"{_label(node)} has no `{prop}`: the {compat} binding requires it, so the "
                      "devicetree build stops ('... is marked as required')",
                      fix=f"add `{prop} = <8000000>;` (or the highest clock the chip and the bus support)",
                      image="", anchor=f"{node.path}:{prop}")
            continue
        hz = p.as_int()
        where = _prop_span(node, prop)
        if hz is None or limit is None or hz <= limit or not once(where):
            continue
        bus_txt = _label(bus) if bus is not None else "the bus"
        yield hit(where, f"`{prop} = <{hz}>` on {_label(node)} is above the {limit // 1_000_000} MHz that "
                  f"{bus_txt} of {getattr(t.soc, 'name', 'this SoC')} supports: the driver silently runs the "
                  f"bus at {limit // 1_000_000} MHz", fix=f"write `{prop} = <{limit}>;` to state the real clock",
                  image="", anchor=f"{node.path}:{prop}", severity=Severity.INFO)


@rule("DFU321", "pm-ext-device-name", Severity.INFO,
      "`device:` of an external partition in pm_static differs from the device Partition Manager uses")
def pm_device_name(t):
    if not _ncs_pm(t) or t.pm_static is None or _always_before(t, 1, 7):
        return
    a = _ext(t, "app")
    node = a.node if a is not None else None
    expected = []
    low, high = _range(t)
    if low < (2, 1, 0):                               # 1.7-2.0: the chosen node's label
        lp = node.props.get("label") if node is not None else None
        if lp is not None and lp.as_str():
            expected.append(lp.as_str())
        elif node is None or not _from_project_only(node):
            return          # the board's label is not in dfulint's facts: any name may be right
    if low < (2, 2, 0) and high >= (2, 1, 0) and node is not None:     # 2.1: the node path
        expected.append(node.path)
    if high >= (2, 2, 0):
        expected.append("DT_CHOSEN(nordic_pm_ext_flash)")
    if not expected:
        return
    stale = []
    for p in t.pm_static.partitions.values():
        if (p.str("region") or "") != "external_flash":
            continue
        dev = p.str("device")
        if dev is not None and dev not in expected:
            stale.append((p, dev))
    if not stale:
        return
    p, dev = stale[0]
    others = [q.name for q, _ in stale[1:]]
    more = f" (and {len(others)} more: {', '.join(others)})" if others else ""
    yield hit(p.at("device"), f"{p.name} has `device: {dev}`{more}, but on {_ver(t)} Partition Manager gives "
              f"external_flash partitions the device {' or '.join(repr(x) for x in expected)} of the region; "
              "the key in pm_static is ignored (a leftover from another NCS version or another board)",
              fix=f"write `device: {expected[-1]}` or delete the key"
              + (" in every external partition" if others else ""), image="", anchor=p.name,
              related=[q.at("device") for q, _ in stale[1:]])
