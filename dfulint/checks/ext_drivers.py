"""DFU306-DFU310: the NOR driver of each image that reaches the external secondary slot.
"""
from __future__ import annotations

from dfulint.checks import hit, rule
from dfulint.core import Severity
from dfulint.model.query import (
    conf_target, image_config, node_ref, rel_path, sdk_text, user_assignment, where_text)
from dfulint.model.extflash import (
    DRIVER, IMAGES, NOR_COMPATS, QSPI_NOR, SPI_NOR, driver_state, ext_of, mcuboot_board_value,
    mcuboot_main_stack, needing_images, nor_compat, select_source, soc_family, chosen_names_device,
    device_named_by_path, pm_ext_chosen, spi_needs_multithreading)
from dfulint.checks.common import IMAGE_TEXT, add_to


@rule("DFU306", "ext-flash-driver-missing", Severity.ERROR,
      "An image that needs the external secondary slot does not build the driver its flash chip needs",
      ncs=((1, 7), None), needs=("partition-manager", "app-core", "mcuboot"))
def ext_flash_driver_missing(t):
    for name, e in needing_images(t):
        compat = nor_compat(e.node)
        sym = DRIVER.get(compat)
        if sym is None:
            continue
        on, why, span = driver_state(t, name, sym)
        target, rel, exists = conf_target(t, name)
        role = "write updates to" if name == "app" else "read and swap"
        if on is False:
            yield hit(span or target, headline=f"{IMAGE_TEXT[name]} lacks CONFIG_{sym}: it cannot {role} the "
                                               "external secondary slot",
                      message=f"{IMAGE_TEXT[name]} needs CONFIG_{sym} for the {compat} chip "
                      f"{node_ref(e.node)} that holds the secondary slot, but {why}: the slot gets no flash-map "
                      f"entry in {IMAGE_TEXT[name]}, which then cannot {role} it"
                      + (" ('Failed reading sectors' / 'Failed to open flash area' at boot)" if name == "mcuboot"
                         else " ('Failed to open flash area ID 2' during upload)"),
                      fix=(f"set CONFIG_{sym}=y there" if span is not None else f"{add_to(rel, exists)} "
                           f"`CONFIG_{sym}=y`") + (" and CONFIG_SPI=y" if compat == SPI_NOR else ""),
                      image=name, anchor=f"CONFIG_{sym}")


@rule("DFU307", "ext-flash-driver-wrong-bus", Severity.WARNING,
      "A NOR driver for the wrong bus: the QSPI driver with an SPI part (or on a SoC without QSPI), or the reverse",
      needs=("partition-manager", "app-core"),
      levels=(Severity.ERROR,))
def ext_flash_driver_wrong_bus(t):
    for name in IMAGES:
        img = t.images.get(name)
        e = ext_of(t, name)
        if img is None or img.config is None or img.dt is None:
            continue
        cfg = img.config
        has_qspi_hw = getattr(t.soc, "has_qspi", None)
        qspi_nodes = [n for n in img.dt.by_compatible(QSPI_NOR) if n.okay() and img.dt.enabled_path(n)]
        spi_nodes = [n for n in img.dt.by_compatible(SPI_NOR) if n.okay() and img.dt.enabled_path(n)]
        compat = nor_compat(e.node) if e is not None and e.node is not None and e.node.known else ""
        # the QSPI driver
        a = user_assignment(img, "NORDIC_QSPI_NOR")
        sel = None
        if cfg.get("NORDIC_QSPI_NOR").origin == "select":
            sel = select_source(t, name, "NORDIC_QSPI_NOR")
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
                    msg = (f"{how} in {IMAGE_TEXT[name]}, whose external flash {node_ref(e.node)} is a {SPI_NOR} "
                           "part on an SPI bus and has no enabled nordic,qspi-nor node: the QSPI driver does "
                           f"nothing for it (CONFIG_SPI_NOR is the driver it needs)")
                fix = ("replace the select with the explicit options it stands for (MCUmgr, img_mgmt, "
                       "CONFIG_SPI_NOR for the flash)" if sel is not None else
                       "set CONFIG_NORDIC_QSPI_NOR=n and CONFIG_SPI_NOR=y (with CONFIG_SPI=y)")
                head = (f"{how[:50]}, but there is no QSPI peripheral" if has_qspi_hw is False
                        else "the QSPI NOR driver is set for an SPI flash: it does nothing")
                yield hit(where, msg, fix=fix, image=name, anchor="CONFIG_NORDIC_QSPI_NOR", severity=sev,
                          headline=head)
        # the SPI NOR driver on a QSPI part
        b = user_assignment(img, "SPI_NOR")
        if b is not None and b.value_without_comment == "y" and compat == QSPI_NOR and not spi_nodes:
            note = ""
            if pm_ext_chosen(t) is not False and chosen_names_device(t) is not True:
                note = (" (before NCS 2.2 it also turns off NCS's default CONFIG_NORDIC_QSPI_NOR=y for the "
                        "secondary slot)")
            yield hit(b.span, headline="CONFIG_SPI_NOR=y for a QSPI flash: the SPI NOR driver has no chip to drive",
                      message=f"CONFIG_SPI_NOR=y in {IMAGE_TEXT[name]}, whose external flash {node_ref(e.node)} is a "
                      f"{QSPI_NOR} part on the QSPI bus: the SPI NOR driver has no chip to drive{note}",
                      fix="delete this line and set CONFIG_NORDIC_QSPI_NOR=y", image=name, anchor="CONFIG_SPI_NOR")


@rule("DFU308", "pm-ext-driver-check", Severity.ERROR,
      "Partition Manager drops external partitions in an image whose flash driver it does not recognise",
      ncs=((2, 1), None), needs=("partition-manager", "app-core", "mcuboot"))
def pm_ext_driver_check(t):
    for name, e in needing_images(t):
        compat = nor_compat(e.node)
        cfg = image_config(t, name)
        ovr = cfg.enabled("PM_OVERRIDE_EXTERNAL_DRIVER_CHECK")
        if ovr:
            continue
        target, rel, exists = conf_target(t, name)
        if t.build_system == "sysbuild":
            target, rel, exists = conf_target(t, "sysbuild")
            setting = "SB_CONFIG_PM_OVERRIDE_EXTERNAL_DRIVER_CHECK=y"
        else:
            setting = "CONFIG_PM_OVERRIDE_EXTERNAL_DRIVER_CHECK=y"
        if compat == SPI_NOR and device_named_by_path(t) is True and chosen_names_device(t) is False:
            v = cfg.get("PM_OVERRIDE_EXTERNAL_DRIVER_CHECK")
            where = v.assignments[-1].span if v.assignments else target
            yield hit(where, headline=f"NCS 2.1 drops the external secondary slot from {IMAGE_TEXT[name]}'s flash "
                                      "map",
                      message=f"NCS 2.1 keeps external partitions in {IMAGE_TEXT[name]}'s flash map only when "
                      "CONFIG_NORDIC_QSPI_NOR or CONFIG_PM_OVERRIDE_EXTERNAL_DRIVER_CHECK is set; with the SPI NOR "
                      f"{node_ref(e.node)} and no override the secondary slot is missing from {IMAGE_TEXT[name]} "
                      "('Failed to open flash area' / 'Failed reading sectors')",
                      fix=f"{add_to(rel, exists)} `{setting}`" + (" (in the application and in MCUboot)"
                                                                   if t.build_system != "sysbuild" else ""),
                      image=name, anchor="CONFIG_PM_OVERRIDE_EXTERNAL_DRIVER_CHECK")
        elif compat and compat not in NOR_COMPATS and device_named_by_path(t) is True:
            yield hit(target, headline=f"Partition Manager drops external partitions for a {compat[:30]} flash",
                      message=f"the external flash {node_ref(e.node)} is a \"{compat}\" device: Partition Manager "
                      "keeps external partitions only for the nordic,qspi-nor and jedec,spi-nor drivers unless "
                      f"the driver check is overridden, so {IMAGE_TEXT[name]} has no secondary slot in its flash map",
                      fix=f"{add_to(rel, exists)} `{setting}`", image=name,
                      anchor="CONFIG_PM_OVERRIDE_EXTERNAL_DRIVER_CHECK")


@rule("DFU309", "mcuboot-spi-needs-multithreading", Severity.ERROR,
      "MCUboot builds the SPI NOR driver with CONFIG_MULTITHREADING off (MCUboot's default on nRF)",
      ncs=(None, (3, 1)), needs=("partition-manager", "app-core", "mcuboot"),
      levels=(Severity.WARNING, Severity.INFO))
def mcuboot_spi_needs_multithreading(t):
    fam = soc_family(t) or ""
    if not fam.startswith("nrf"):
        return
    mcu = t.images.get("mcuboot")
    if mcu is None or mcu.config is None:
        return
    on, _, _ = driver_state(t, "mcuboot", "SPI_NOR")
    e = ext_of(t, "mcuboot")
    if on is not True or e is None or nor_compat(e.node) != SPI_NOR:
        return
    v = mcu.config.get("MULTITHREADING")
    if v.value == "y":
        return
    if v.origin not in ("fragment", "forced"):
        bval, _, certain = mcuboot_board_value(t, "MULTITHREADING")
        if bval == "y" or (bval is not None and not certain):
            return
    span = v.assignments[-1].span if v.origin in ("fragment", "forced") and v.assignments else None
    target, rel, exists = conf_target(t, "mcuboot")
    needs, fixed = spi_needs_multithreading(t)
    certain = needs is True and fixed is False
    sev = None if certain else (Severity.WARNING if fixed is False else Severity.INFO)
    why = (f"CONFIG_MULTITHREADING=n at {where_text(t, span)}" if span else
           "MCUboot's Kconfig defaults CONFIG_MULTITHREADING to n on nRF SoCs")
    if certain:
        effect = ("from NCS 2.5 to 3.0 the nRF SPI driver depends on it, so the bus has no driver and the link "
                  "fails with `undefined reference to __device_dts_ord_...`")
    elif fixed is False:
        effect = ("before NCS 3.1 Zephyr's SPI drivers wait on kernel semaphores, which need it (every NCS and "
                  "vendor MCUboot configuration with an SPI NOR of that time sets it; from NCS 2.5 the build "
                  "fails with `undefined reference to __device_dts_ord_...`)")
    else:
        effect = (f"Zephyr's SPI drivers need it before NCS 3.1 (link error `undefined reference to "
                  f"__device_dts_ord_...` from NCS 2.5); from NCS 3.1 they work without threads. The version "
                  f"here is not certain: {sdk_text(t)}")
    yield hit(span or target, f"MCUboot builds the SPI NOR driver for {node_ref(e.node)}, but {why}: {effect}",
              headline="MCUboot builds the SPI NOR driver without CONFIG_MULTITHREADING: the bus has no driver",
              fix="set CONFIG_MULTITHREADING=y" + (" there" if span else f" ({add_to(rel, exists)} it)"),
              image="mcuboot", anchor="CONFIG_MULTITHREADING", severity=sev)


@rule("DFU310", "mcuboot-nor-stack-small", Severity.WARNING,
      "MCUboot's main stack is smaller than any NCS configuration with a NOR driver uses",
      needs=("partition-manager", "app-core", "mcuboot"))
def mcuboot_nor_stack_small(t):
    mcu = t.images.get("mcuboot")
    e = ext_of(t, "mcuboot")
    if mcu is None or mcu.config is None or e is None or e.node is None:
        return
    sym = DRIVER.get(nor_compat(e.node))
    if sym is None or driver_state(t, "mcuboot", sym)[0] is not True:
        return
    v = mcu.config.get("MAIN_STACK_SIZE")
    span = v.assignments[-1].span if v.origin in ("fragment", "forced") and v.assignments else None
    if span is not None:
        size, how = v.value, f"CONFIG_MAIN_STACK_SIZE={v.value} at {where_text(t, span)}"
    elif mcu.replaces_defaults is not None:
        size = 1024
        how = (f"{rel_path(t, mcu.replaces_defaults)} replaces MCUboot's prj.conf (which sets 10240) and does not set "
               "CONFIG_MAIN_STACK_SIZE, so Zephyr's default of 1024 applies")
    else:
        return
    stack, floor = mcuboot_main_stack()
    if not isinstance(size, int) or size >= floor:
        return
    target, rel, exists = conf_target(t, "mcuboot")
    yield hit(span or target, headline=f"MCUboot's main stack {size} B is too small with a NOR driver: it overflows",
              message=f"MCUboot runs image validation and the {sym} driver on its main stack, but {how}: "
              "NCS's MCUboot configurations with a NOR driver use 10240 (MCUboot's prj.conf, nRF52/nRF53 "
              "samples), 16384 (nRF91 samples) or 20480 (nRF54L external-flash samples), and none below 2048 "
              "(asset_tracker_v2 on nRF91, with hardware crypto); a stack this small overflows (MPU fault at "
              "boot, or a crash during the first swap)",
              fix=f"set CONFIG_MAIN_STACK_SIZE={stack}" + (" there" if span else f" ({add_to(rel, exists)} it)"),
              image="mcuboot", anchor="CONFIG_MAIN_STACK_SIZE")

