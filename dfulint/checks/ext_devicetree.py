"""DFU317-DFU321: devicetree and pm_static hygiene of the external flash, per SDK version.
"""
from __future__ import annotations

from dfulint.checks import hit, rule
from dfulint.core import Severity
from dfulint.model.query import (
    from_project_only, node_ref, node_span, prop_span, sdk_text)
from dfulint.model.extflash import (
    QSPI_NOR, SPI_NOR, legacy_pin_properties, chosen_in, ext_of, hygiene_nodes, nor_compat,
    secondary_external, qspi_max, spim_max, label_deprecated, pinctrl_buses, pm_device_names,
    pm_ext_chosen, device_named_by_path)




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
      "`sck-pin`/`mosi-pin`/`miso-pin`/`csn-pins` on the external flash bus where pinctrl is required, or the reverse",
      levels=(Severity.WARNING,))
def dts_legacy_pin_properties(t):
    once = _Once()
    for name, dt, node, bus in hygiene_nodes(t):
        if bus is None:
            continue
        legacy = [(p, prop_span(bus, p)) for p in legacy_pin_properties() if p in bus.props]
        legacy = [(p, s) for p, s in legacy if s is not None]
        has_pinctrl = "pinctrl-0" in bus.props
        lab = bus.label or bus.name
        if legacy:
            first = legacy[0][1]
            if not once(first):
                continue
            names = ", ".join(p for p, _ in legacy)
            if pinctrl_buses(t) is True:
                if from_project_only(bus) and not has_pinctrl:
                    msg = (f"{names} on {node_ref(bus)}: from NCS 2.0 nRF buses take their pins from pinctrl and "
                           "ignore these properties; the bus has no `pinctrl-0`, so the build stops")
                else:
                    msg = (f"{names} on {node_ref(bus)} are ignored from NCS 2.0 (pinctrl): the bus keeps the pins "
                           "of its `pinctrl-0` (the board's), not the ones written here, so the external flash "
                           "is silently unreachable if it sits on other pins (NCS 2.4 and later no longer know "
                           "the properties at all)")
                yield hit(first, msg, headline=f"{names.split(',')[0]} on &{lab} is ignored from NCS 2.0: "
                                               + ("the build stops" if "build stops" in msg else "pins come from pinctrl"),
                          fix=f"describe the pins in a pinctrl state (`&pinctrl {{ {lab}_default: ... "
                          f"}};`) and set `pinctrl-0`/`pinctrl-1`/`pinctrl-names` on &{lab}; delete {names}",
                          image="", anchor=bus.path)
            elif pinctrl_buses(t) is not False:
                yield hit(first, headline=f"legacy pin properties on &{lab} stop working from NCS 2.0",
                          message=f"{names} on {node_ref(bus)} work only before NCS 2.0; from 2.0 nRF buses take "
                          f"their pins from pinctrl and ignore them (the version here is not certain: {sdk_text(t)})",
                          fix=f"when moving to NCS 2.0 or later, replace {names} with a pinctrl state and "
                          f"`pinctrl-0` on &{lab}", image="", anchor=bus.path, severity=Severity.WARNING)
        elif has_pinctrl and pinctrl_buses(t) is False and from_project_only(bus):
            where = prop_span(bus, "pinctrl-0")
            if not once(where):
                continue
            yield hit(where, headline=f"pinctrl on &{lab} before NCS 2.0: the bus has no pins",
                      message=f"`pinctrl-0` on {node_ref(bus)}: pinctrl for nRF buses arrived in NCS 2.0; on "
                      f"{sdk_text(t)} the bus needs sck-pin/mosi-pin/miso-pin and has no pins",
                      fix=f"write sck-pin, mosi-pin and miso-pin on &{lab} (or move to NCS 2.0 or later)",
                      image="", anchor=bus.path)


@rule("DFU318", "nor-label-property", Severity.INFO,
      "`label` on the external flash where it is deprecated, or missing where Partition Manager needs it",
      levels=(Severity.ERROR,))
def nor_label_property(t):
    once = _Once()
    for name, dt, node, bus in hygiene_nodes(t):
        if t.app.framework in ("ncs", "zephyr") and label_deprecated(t) is True:
            for n in (node, bus):
                where = prop_span(n, "label") if n is not None else None
                if not once(where):
                    continue
                yield hit(where, headline="`label` on the external flash is deprecated and unused from NCS 2.1",
                          message=f"`label` on {node_ref(n)}: from NCS 2.1 Partition Manager no longer names devices "
                          "after it, and Zephyr 3.2 (NCS 2.2) deprecates the property ('label' is marked as "
                          "deprecated) in favour of node labels and DEVICE_DT_GET", fix="delete the `label` line",
                          image="", anchor=f"{n.path}:label")
        elif t.app.framework == "ncs" and pm_ext_chosen(t) is True and device_named_by_path(t) is False and \
                from_project_only(node) and "label" not in node.props and chosen_in(t, name, node):
            sec = secondary_external(t)
            if sec is None:
                continue
            where = node_span(node)
            if not once(where):
                continue
            yield hit(where, headline="the external flash has no `label`: Partition Manager's region has no device",
                      message=f"{node_ref(node)} has no `label` property, but on {sdk_text(t)} Partition Manager names the "
                      "external_flash device after the chosen node's label: without it the region has no "
                      "device and no image can open the secondary slot",
                      fix=f"add `label = \"{(node.label or node.name.split('@')[0]).upper()}\";` to the node",
                      image="", anchor=f"{node.path}:label", severity=Severity.ERROR)


@rule("DFU319", "nor-cs-gpios-missing", Severity.ERROR,
      "The SPI bus of the external flash has no chip-select GPIO for the flash's `reg`")
def nor_cs_gpios_missing(t):
    once = _Once()
    for name, dt, node, bus in hygiene_nodes(t):
        if bus is None or nor_compat(node) != SPI_NOR:
            continue
        if not any(c.startswith("nordic,nrf-spi") for c in bus.compatibles()):
            continue
        reg = node.prop_int("reg")
        cs = bus.props.get("cs-gpios")
        if cs is not None:
            n = len(cs.refs())
            where = prop_span(bus, "cs-gpios") or prop_span(node, "reg")
            if reg is None or n == 0 or reg < n or not once(where):
                continue
            yield hit(where, headline=f"the external flash uses chip select #{reg}, cs-gpios has {n}: it is never "
                                      "selected",
                      message=f"{node_ref(node)} has `reg = <{reg}>`, chip select #{reg} of {node_ref(bus)}, but "
                      f"`cs-gpios` lists {n} pin{'s' if n != 1 else ''}: the flash is never selected, its JEDEC ID "
                      "reads as 00 00 00 and the device is not ready",
                      fix=f"add the flash's CS pin to `cs-gpios` at index {reg}, or set `reg = <{n - 1}>` to the "
                      "index of its pin", image="", anchor=bus.path)
            continue
        if not from_project_only(bus):
            continue                    # a board bus: its cs-gpios may come from the board devicetree
        where = node_span(bus)
        if not once(where):
            continue
        yield hit(where, headline="the external flash's SPI bus has no cs-gpios: the flash is never selected",
                  message=f"{node_ref(bus)} carries the SPI NOR {node_ref(node)} but has no `cs-gpios`: nRF SPI(M) "
                  "drivers select devices only through cs-gpios, so the flash is never selected and is not ready",
                  fix=f"add `cs-gpios = <&gpio0 N GPIO_ACTIVE_LOW>;` (the flash's CS pin) to &{bus.label or bus.name}",
                  image="", anchor=bus.path)


@rule("DFU320", "nor-frequency", Severity.ERROR,
      "The external flash has no `spi-max-frequency`/`sck-frequency`, or asks for more than its bus supports",
      levels=(Severity.INFO,))
def nor_frequency(t):
    once = _Once()
    for name, dt, node, bus in hygiene_nodes(t):
        compat = nor_compat(node)
        if compat == SPI_NOR:
            prop, limit = "spi-max-frequency", spim_max(t, bus)
        elif compat == QSPI_NOR:
            prop, limit = "sck-frequency", qspi_max(t)
        else:
            continue
        p = node.props.get(prop)
        if p is None:
            if not from_project_only(node):
                continue
            where = node_span(node)
            if not once(where):
                continue
            yield hit(where, headline=f"the external flash has no `{prop}`: the devicetree build stops",
                      message=f"{node_ref(node)} has no `{prop}`: the {compat} binding requires it, so the "
                      "devicetree build stops ('... is marked as required')",
                      fix=f"add `{prop} = <8000000>;` (or the highest clock the chip and the bus support)",
                      image="", anchor=f"{node.path}:{prop}")
            continue
        hz = p.as_int()
        where = prop_span(node, prop)
        if hz is None or limit is None or hz <= limit or not once(where):
            continue
        bus_txt = node_ref(bus) if bus is not None else "the bus"
        yield hit(where, headline=f"`{prop}` {hz // 1_000_000} MHz is above the bus's {limit // 1_000_000} MHz",
                  message=f"`{prop} = <{hz}>` on {node_ref(node)} is above the {limit // 1_000_000} MHz that "
                  f"{bus_txt} of {getattr(t.soc, 'name', 'this SoC')} supports: the driver silently runs the "
                  f"bus at {limit // 1_000_000} MHz", fix=f"write `{prop} = <{limit}>;` to state the real clock",
                  image="", anchor=f"{node.path}:{prop}", severity=Severity.INFO)


@rule("DFU321", "pm-ext-device-name", Severity.INFO,
      "`device:` of an external partition in pm_static differs from the device Partition Manager uses",
      ncs=((1, 7), None), needs=("partition-manager", "app-core", "pm-static"))
def pm_ext_device_name(t):
    a = ext_of(t, "app")
    node = a.node if a is not None else None
    expected = pm_device_names(t, node)
    if not expected:
        return          # (None: the board's label is not in dfulint's facts, any name may be right)
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
    yield hit(p.at("device"), headline=f"`device: {dev[:30]}` of {p.name} is ignored by Partition Manager",
              message=f"{p.name} has `device: {dev}`{more}, but on {sdk_text(t)} Partition Manager gives "
              f"external_flash partitions the device {' or '.join(repr(x) for x in expected)} of the region; "
              "the key in pm_static is ignored (a leftover from another NCS version or another board)",
              fix=f"write `device: {expected[-1]}` or delete the key"
              + (" in every external partition" if others else ""), image="", anchor=p.name,
              related=[q.at("device") for q, _ in stale[1:]])

