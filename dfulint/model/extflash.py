"""Facts about the external flash of a target: which NOR each image chooses, whether it builds
the driver, the layout page it uses, the partitions placed there and the bus limits.

When MCUboot's secondary slot lives on an SPI or QSPI NOR, three images of one build have to
agree about that chip: Partition Manager (which takes the `external_flash` region from the
application's `nordic,pm-ext-flash` chosen node), the application (which writes the update
into the slot) and MCUboot (which reads, swaps and erases it). Each image has its own
devicetree overlays and Kconfig fragments, so a chip added for the application only is the
most common way an update never applies.

Version boundaries used here (NCS; sdk-nrf and sdk-mcuboot Kconfig at the release tags):

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


from dfulint import knowledge
from dfulint.core import Span
from dfulint.model.query import (
    always_at_least, always_before, assigned_span, image_config, maybe_at_least, mcuboot_stems, rel_path,
    sdk_range, user_assignment, where_text)
from dfulint.records import NamedTuple

TYPE_CHECKING = False      # (typing.TYPE_CHECKING without importing typing)
if TYPE_CHECKING:
    from typing import Iterable, Optional


SPI_NOR = "jedec,spi-nor"
QSPI_NOR = "nordic,qspi-nor"
NOR_COMPATS = (SPI_NOR, QSPI_NOR)
DRIVER = {SPI_NOR: "SPI_NOR", QSPI_NOR: "NORDIC_QSPI_NOR"}
PAGE_SYM = {SPI_NOR: "SPI_NOR_FLASH_LAYOUT_PAGE_SIZE", QSPI_NOR: "NORDIC_QSPI_NOR_FLASH_LAYOUT_PAGE_SIZE"}
IMAGES = ("app", "mcuboot")
#: NOR erase unit: every JEDEC SPI/QSPI NOR part PM and MCUboot are used with erases 4 KiB sectors
NOR_ERASE = 0x1000


# ------------------------------------------------------------------ what changed in which release
#
# Each is True when every version the project may be on (SdkVersion.range) has the behaviour,
# False when none has, None when it depends on the version (a rule then says so). The releases and
# their sources are listed in the module's docstring.


def _since(t, *v) -> Optional[bool]:
    if always_at_least(t, *v):
        return True
    return False if always_before(t, *v) else None


def pm_ext_chosen(t) -> Optional[bool]:
    """NCS 1.7+: the `nordic,pm-ext-flash` chosen node (not Kconfig) gives PM its external flash."""
    return _since(t, 1, 7)


def pinctrl_buses(t) -> Optional[bool]:
    """NCS 2.0+: nRF buses take their pins from pinctrl; the `*-pin` properties are ignored."""
    return _since(t, 2, 0)


def device_named_by_path(t) -> Optional[bool]:
    """NCS 2.1+: PM names the external region's device after the chosen node's path (its `label`
    before); from 2.1 it also keeps external partitions only where it recognises the driver."""
    return _since(t, 2, 1)


def chosen_names_device(t) -> Optional[bool]:
    """NCS 2.2+: PM names the external region's device DT_CHOSEN(nordic_pm_ext_flash), so every image
    that opens an external partition needs the chosen node; the driver check becomes
    PM_EXTERNAL_FLASH_HAS_DRIVER (on with SPI_NOR or NORDIC_QSPI_NOR)."""
    return _since(t, 2, 2)


def label_deprecated(t) -> Optional[bool]:
    """The devicetree `label` property is unused by PM (NCS 2.1+) and deprecated (Zephyr 3.2+)."""
    return _since(t, 2, 1) if t.app.framework == "ncs" else _since(t, 3, 2)


def spi_needs_multithreading(t) -> tuple[Optional[bool], Optional[bool]]:
    """(NCS 2.5+: the nRF SPI driver depends on MULTITHREADING, a link error without it;
    NCS 3.1+: Zephyr's SPI drivers work without it)."""
    return _since(t, 2, 5), _since(t, 3, 1)


def pm_device_names(t, node) -> Optional[list]:
    """The `device:` names PM gives the external region for the versions the project may be on
    (1.7-2.0 the chosen node's label, 2.1 its path, 2.2+ DT_CHOSEN(nordic_pm_ext_flash)); None when
    the label comes from a board file dfulint does not have (any name may be right)."""
    from dfulint.model.query import from_project_only

    expected = []
    if device_named_by_path(t) is not True:           # 1.7-2.0: the chosen node's label
        lp = node.props.get("label") if node is not None else None
        if lp is not None and lp.as_str():
            expected.append(lp.as_str())
        elif node is None or not from_project_only(node):
            return None
    if chosen_names_device(t) is not True and device_named_by_path(t) is not False and node is not None:
        expected.append(node.path)                    # 2.1: the node path
    if chosen_names_device(t) is not False:
        expected.append("DT_CHOSEN(nordic_pm_ext_flash)")
    return expected


class DriverState(NamedTuple):
    """Whether an image builds a flash driver (`driver_state`)."""

    on: Optional[bool]           # None: it depends on Kconfig dfulint does not see
    why: str
    span: Optional[Span]         # the line that decides it, if one does


def ncs_pm(t) -> bool:
    """NCS with Partition Manager, built for an application core (a network-core target has no
    MCUboot of its own: the application core's build decides its updates)."""
    soc = getattr(t.soc, "name", "") or ""
    return t.app.framework == "ncs" and t.uses_pm and "cpunet" not in soc


def ext_of(t, name: str):
    return (t.ext or {}).get(name)


def ext_node(t, name: str):
    e = ext_of(t, name)
    return e.node if e is not None else None


def secondary_external(t):
    """The mcuboot_secondary partition when this build places it in external flash (NCS + PM)."""
    if not ncs_pm(t) or not t.mcuboot_enabled:
        return None
    if always_before(t, 1, 7):
        return None            # external flash was a Kconfig setting before NCS 1.7
    sec = (t.slots or {}).get("secondary")
    if sec is None or sec.region != "external_flash":
        return None
    return sec


def why_external(t, sec) -> tuple[str, Optional[Span]]:
    """Why the secondary is in external flash, and where that is written."""
    if sec.static and t.pm_static is not None:
        p = t.pm_static.partitions.get(sec.name)
        if p is not None:
            return (f"{rel_path(t, t.pm_static.path)} places {sec.name} in region external_flash",
                    p.at("region"))
    cfg = image_config(t, "mcuboot")
    if cfg is not None:
        v = cfg.get("PM_EXTERNAL_FLASH_MCUBOOT_SECONDARY")
        if v.value == "y":
            if v.assignments:
                a = v.assignments[-1]
                return f"CONFIG_PM_EXTERNAL_FLASH_MCUBOOT_SECONDARY=y ({where_text(t, a.span)})", a.span
            return "CONFIG_PM_EXTERNAL_FLASH_MCUBOOT_SECONDARY defaults to y", None
    return "the build's layout puts mcuboot_secondary in external_flash", sec.where


def same_node(a, b) -> bool:
    if a is None or b is None:
        return False
    if a.labels & b.labels:
        return True

    def norm(p: str) -> str:
        return p.replace("peripheral@40000000", "peripheral@50000000")

    return norm(a.path) == norm(b.path)


def chosen_ref(ext) -> str:
    try:
        return ext.prop.as_ref() or "?"
    except AttributeError:
        return "?"


def ancestors(dt, node) -> Iterable:
    seen = 0
    cur = dt.parent_of(node) if node is not None else None
    while cur is not None and cur.path != "/" and seen < 64:
        yield cur
        cur = dt.parent_of(cur)
        seen += 1


def bus_of(dt, node):
    return dt.parent_of(node) if node is not None else None


def soc_family(t) -> Optional[str]:
    return getattr(t.soc, "family", None)


def nor_compat(node) -> str:
    if node is None:
        return ""
    for c in node.compatibles():
        if c in NOR_COMPATS:
            return c
    comps = node.compatibles()
    return comps[0] if comps else ""


def ext_nodes(t) -> list:
    """(image, node) for every external NOR this build relies on, once per image."""
    out = []
    for name in IMAGES:
        img = t.images.get(name)
        if img is None or img.dt is None:
            continue
        node = ext_node(t, name)
        if node is not None and node.known:
            out.append((name, img.dt, node))
    if t.app.framework == "zephyr":
        img = t.images.get("app")
        if img is not None and img.dt is not None:
            for dev in (t.flash.devices or {}).values():
                n = img.dt.node(dev.node) if dev.node else None
                if n is not None and n.known and nor_compat(n) in NOR_COMPATS and \
                        not any(n is m for _, _, m in out):
                    out.append(("app", img.dt, n))
    return out


def mcuboot_board_value(t, sym: str) -> tuple:
    """(value, source, certain) that MCUboot's own board fragment gives `sym` in this build, or
    (None, "", True) when none does. `certain` is False when only part of the version range has it."""
    img = t.images.get("mcuboot")
    if img is None or img.replaces_defaults is not None:
        return None, "", True
    from dfulint import knowledge

    low, high = sdk_range(t)
    return knowledge.mcuboot_board_value(mcuboot_stems(t), sym, low, high)


def replaced_board_value(t, sym: str) -> tuple:
    """(value, source) MCUboot's own board fragment would give `sym` in this build if the project
    did not replace MCUboot's configuration directory; (None, "") when it sets nothing."""
    img = t.images.get("mcuboot")
    if img is None:
        return None, ""
    from dfulint import knowledge

    low, high = sdk_range(t)
    value, source, certain = knowledge.mcuboot_board_value(mcuboot_stems(t), sym, low, high)
    return (value, source) if certain else (None, "")


def driver_state(t, name: str, sym: str) -> tuple[Optional[bool], str, Optional[Span]]:
    """Whether the image builds the driver `sym` (a value of DRIVER): True, False, or None when it
    depends on Kconfig dfulint does not see (FLASH enabled by other subsystems, defaults of NCS
    modules); why; and the line that decides it, if one does (Target.drivers, found by the model)."""
    return t.drivers[(name, sym)]


def driver_states(t) -> dict:
    """(image, driver symbol) -> DriverState for every image and NOR driver: the model stage's."""
    return {(name, sym): DriverState(*_driver_state(t, name, sym)) for name in IMAGES for sym in DRIVER.values()}


def _driver_state(t, name: str, sym: str) -> tuple[Optional[bool], str, Optional[Span]]:
    img = t.images.get(name)
    cfg = img.config if img is not None else None
    if cfg is None:
        return None, "no configuration", None
    v = cfg.get(sym)
    if v.origin == "select":
        return True, f"CONFIG_{sym} is selected", None
    if v.origin == "forced" and v.assignments:
        span = v.assignments[-1].span
        return v.value == "y", f"CONFIG_{sym}={v.value or 'n'} (forced, {where_text(t, span)})", span
    a = user_assignment(img, sym)
    if a is not None:
        if a.value_without_comment != "y":
            return False, f"CONFIG_{sym}=n at {where_text(t, a.span)}", a.span
        drops = [d for d in cfg.dropped if getattr(d.assignment, "name", "") == sym]
        if v.value != "y" and drops:
            d = drops[-1]
            # a dependency on something dfulint cannot see (FLASH enabled elsewhere) is not proof
            if "FLASH" in d.detail and "DT_HAS" not in d.detail and "HAS_HW" not in d.detail:
                return None, f"CONFIG_{sym}=y at {where_text(t, a.span)} (dependency not visible here)", a.span
            return False, f"CONFIG_{sym}=y at {where_text(t, a.span)} does not take effect ({d.detail})", a.span
        return True, f"CONFIG_{sym}=y at {where_text(t, a.span)}", a.span
    # left to MCUboot's own board fragment and to defaults
    if name == "mcuboot":
        val, src, certain = mcuboot_board_value(t, sym)
        if val is not None:
            if not certain:
                return None, f"MCUboot's own board fragment may set CONFIG_{sym}={val} ({src})", None
            return val == "y", f"MCUboot's own board fragment sets CONFIG_{sym}={val} ({src})", None
    if v.value == "y":
        return True, f"CONFIG_{sym} defaults to y", None
    flash = cfg.get("FLASH")
    if flash.origin in ("fragment", "forced") and flash.value != "y":
        span = flash.assignments[-1].span if flash.assignments else None
        return False, f"CONFIG_FLASH is off{f' at {where_text(t, span)}' if span else ''}", span
    if maybe_at_least(t, 2, 2):
        # Zephyr (NCS 2.2+) enables flash drivers whose devicetree node is okay
        return (True if always_at_least(t, 2, 2) else None), f"CONFIG_{sym} defaults to y from the devicetree", None
    if sym == "NORDIC_QSPI_NOR":
        sw = cfg.get(SWITCH).value == "y"
        spi = cfg.get("SPI_NOR").value == "y"
        if sw and not spi:
            return True, f"NCS defaults CONFIG_{sym} to y for an external secondary slot", None
        why = ("CONFIG_SPI_NOR=y turns off NCS's default for it" if spi else
               f"CONFIG_{SWITCH} is off in this image, so NCS's default does not apply")
        return False, f"CONFIG_{sym} is not set ({why})", None
    return False, f"CONFIG_{sym} is not set (before NCS 2.2 it has no default)", None


def config_dir_elsewhere(t) -> bool:
    """NCS applications that keep each board's files in configuration/<board>/ (built with
    -DAPPLICATION_CONFIG_DIR): the app folder's own overlays are not this board's."""
    return bool(getattr(t, "config_dirs", None))


SWITCH = "PM_EXTERNAL_FLASH_MCUBOOT_SECONDARY"


def sb_switch(t) -> tuple[Optional[bool], Optional[Span], str]:
    """SB_CONFIG_PM_EXTERNAL_FLASH_MCUBOOT_SECONDARY as sysbuild uses it: (value, where, how). The
    sysbuild model already holds the defaults of the app's and the board's Kconfig.sysbuild."""
    if t.sysbuild is None or t.sysbuild.config is None:
        return None, None, ""
    sb = t.sysbuild.config
    v = sb.get(SWITCH)
    if v.origin in ("fragment", "forced") and v.assignments:
        a = v.assignments[-1]
        return v.value == "y", a.span, f"SB_CONFIG_{SWITCH}={v.value} ({where_text(t, a.span)})"
    if any(SWITCH in n and "cannot tell" in n for n in getattr(t.sysbuild, "notes", [])):
        return None, None, ""
    return bool(v.value == "y"), None, f"SB_CONFIG_{SWITCH}=n (not set in sysbuild.conf)"


def needing_images(t) -> list:
    """(image name, ExtFlash) for the images that must reach the external secondary."""
    if secondary_external(t) is None:
        return []
    out = []
    for name in IMAGES:
        e = ext_of(t, name)
        if t.images.get(name) is not None and e is not None and e.node is not None and e.node.known:
            out.append((name, e))
    return out


def select_source(t, name: str, sym: str) -> Optional[tuple]:
    """(assignment, selecting symbol) when `sym` comes from a select in this image's fragments."""
    from dfulint.model.kconfig import symbol

    img = t.images.get(name)
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


def matter_app(t) -> bool:
    cfg = image_config(t, "app")
    sb = t.sysbuild.config if t.sysbuild is not None else None
    return bool((cfg is not None and cfg.get("CHIP").value == "y") or (sb is not None and sb.get("MATTER").value == "y"))


def page_value(t, name: str, e) -> tuple:
    """(page size or None when it cannot be told, line that sets it, how) for an image's NOR."""
    sym = PAGE_SYM.get(nor_compat(e.node) if e.node is not None else e.compatible, "SPI_NOR_FLASH_LAYOUT_PAGE_SIZE")
    cfg = image_config(t, name)
    span = assigned_span(cfg, sym)
    if span is not None:
        return e.page_size, span, f"CONFIG_{sym}={e.page_size} at {where_text(t, span)}"
    if name == "mcuboot":
        val, src, certain = mcuboot_board_value(t, sym)
        if val is not None:
            if not certain:
                return None, None, ""
            return int(val), None, f"CONFIG_{sym}={val} in MCUboot's own board fragment ({src})"
    return e.page_size, None, f"CONFIG_{sym} default {e.page_size}"


def page_incompatibility(t):
    """When MCUboot's layout page for the external secondary breaks the slot laws while the internal
    page would not: (reason, analysis, page, span, how, device, NOR node, secondary); else None."""
    from dfulint.model import mcuboot as mb

    sec = secondary_external(t)
    if sec is None or t.boot_params is None or t.mode is None:
        return None
    e = ext_of(t, "mcuboot") or ext_of(t, "app")
    if e is None or e.node is None:
        return None
    compat = nor_compat(e.node)
    if compat not in NOR_COMPATS:
        return None
    pri = (t.slots or {}).get("primary")
    dev = t.flash.devices.get(pri.region) if pri is not None else None
    if pri is None or dev is None or pri.region == "external_flash" or dev.page_size <= 0:
        return None
    img_name = "mcuboot" if ext_of(t, "mcuboot") is not None else "app"
    page, span, how = page_value(t, img_name, e)
    if page is None or page == dev.page_size or page <= 0:
        return None
    if img_name == "mcuboot" and driver_state(t, "mcuboot", DRIVER[compat])[0] is False:
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


def chosen_in(t, name: str, node) -> bool:
    n = ext_node(t, name)
    return n is not None and same_node(n, node)


def chip_nodes(t) -> list:
    """External NOR nodes of every image; rules report each written property once."""
    return list(ext_nodes(t))


def ext_partitions(t) -> list:
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


def hygiene_nodes(t) -> list:
    """(image, devicetree, flash node, bus node) for the external NOR of every image. The same node
    is usually written twice (the application's overlay and MCUboot's): each file is reported."""
    return [(name, dt, node, bus_of(dt, node)) for name, dt, node in ext_nodes(t)]


def spim_max(t, bus) -> Optional[int]:
    """The highest SCK the SPI(M) bus `bus` supports on this SoC (knowledge/soc_families.yaml), or
    None when the SoC family or the bus is unknown or not an nRF SPI/SPIM."""
    fam = soc_family(t)
    if fam is None or bus is None:
        return None
    row = knowledge.soc_family(fam)
    default = row.spim_max_hz if row is not None else knowledge.default_spim_max_hz()
    comps = bus.compatibles()
    if "nordic,nrf-spi" in comps:
        return default
    if not any(c == "nordic,nrf-spim" for c in comps):
        return None
    fast = row.fast_spim if row is not None else ()
    for lab in bus.labels:
        for label, _addr, hz in fast:
            if lab == label:
                return hz
    ua = bus.unit_address
    if ua is not None:
        for _label, addr, hz in fast:
            if ua == addr or ua & 0xFFFFF == addr & 0xFFFFF:
                return hz
    return default


def qspi_max(t) -> Optional[int]:
    """The highest SCK of the SoC's QSPI peripheral, or None when unknown or absent."""
    row = knowledge.soc_family(soc_family(t) or "")
    return row.qspi_max_hz if row is not None else None


def jedec_capacity(jid) -> Optional[int]:
    """The capacity in bytes a JEDEC READ ID answer names, from dfulint's JEDEC table, or None."""
    return knowledge.jedec_capacity(jid)


def jedec_part(jid) -> Optional[str]:
    """The part a JEDEC READ ID answer names, or None."""
    return knowledge.jedec_part(jid)


def legacy_pin_properties() -> tuple:
    """The pin properties of nRF buses before pinctrl (knowledge/releases.yaml)."""
    return tuple(knowledge.releases().get("legacy_pin_properties") or ())


def mcuboot_main_stack() -> tuple:
    """(the main stack MCUboot's NCS configurations with a NOR driver use, the smallest any uses)."""
    r = knowledge.releases()
    return int(r.get("mcuboot_main_stack") or 10240), int(r.get("mcuboot_main_stack_floor") or 2048)
