"""DFU301-DFU305: which external flash each image chooses, and the external-secondary switch.

Partition Manager takes the `external_flash` region from the application's `nordic,pm-ext-flash`
chosen node; MCUboot reads and swaps the slot through its own devicetree. Both must name the same,
enabled chip, and sysbuild's switch must agree with pm_static (see dfulint.model.extflash).
"""
from __future__ import annotations

from dfulint.checks import hit, rule
from dfulint.core import Severity
from dfulint.model.query import (
    conf_target, from_project_only, image_config, project_span, node_ref, node_span, overlay_target,
    prop_span, rel_path, sdk_text, user_assignment, where_text)
from dfulint.model.extflash import (
    IMAGES, SWITCH, ancestors, chosen_ref, config_dir_elsewhere, ext_of, same_node, sb_switch,
    secondary_external, why_external, chosen_names_device, device_named_by_path)
from dfulint.checks.common import IMAGE_TEXT, add_to


def _chosen_snippet(ref: str) -> str:
    return f"/ {{ chosen {{ nordic,pm-ext-flash = &{ref}; }}; }};"


def _node_text_for(t, node) -> str:
    """How the other image defines the node, for a fix text."""
    sp = node_span(node)
    if sp is None:
        return ""
    return f" and the {node.name} node itself (as in {where_text(t, sp)})"


@rule("DFU301", "ext-flash-chosen-missing", Severity.ERROR,
      "An image that opens the external secondary slot has no `nordic,pm-ext-flash` chosen node",
      ncs=((1, 7), None), needs=("partition-manager", "app-core", "mcuboot"),
      levels=(Severity.WARNING, Severity.INFO))
def ext_flash_chosen_missing(t):
    sec = secondary_external(t)
    if sec is None or not t.board:
        return          # without a board, board-specific overlays cannot be told apart
    why, why_at = why_external(t, sec)
    related = [why_at] if why_at is not None else []
    app_ext, mcu_ext = ext_of(t, "app"), ext_of(t, "mcuboot")
    ref = None
    for e in (app_ext, mcu_ext):
        if e is not None:
            ref = chosen_ref(e)
            break
    ref_text = ref or "<flash node label>"
    if app_ext is None and not config_dir_elsewhere(t):
        span, rel, exists = overlay_target(t, "app")
        other = f"; MCUboot's devicetree chooses &{chosen_ref(mcu_ext)}" if mcu_ext is not None else ""
        yield hit(span, headline="the application has no `nordic,pm-ext-flash` chosen node: the build fails",
                  message=f"{why}, but the application's devicetree (the overlays this build applies to it: "
                  f"{', '.join(rel_path(t, layer.path) for layer in t.images['app'].dts_layers) or 'none'}) has no "
                  f"`nordic,pm-ext-flash` chosen node{other}: Partition Manager takes the external_flash "
                  "region from the application's devicetree, so the build fails (no external_flash region), "
                  "and the application could not write updates to the slot",
                  fix=f"{add_to(rel, exists)} `{_chosen_snippet(ref_text)}` and enable that flash node",
                  image="app", anchor="nordic,pm-ext-flash", related=related)
    mcu = t.images.get("mcuboot")
    if mcu is None or mcu_ext is not None:
        return
    span, rel, exists = overlay_target(t, "mcuboot")
    app_node = app_ext.node if app_ext is not None else None
    layers = ", ".join(rel_path(t, layer.path) for layer in mcu.dts_layers) or "none"
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
    fix = f"{add_to(rel, exists)} `{_chosen_snippet(ref_text)}`{extra}"
    if chosen_names_device(t) is True:
        yield hit(span, headline="MCUboot has no `nordic,pm-ext-flash` chosen node: it cannot open the secondary, "
                                 "updates never apply",
                  message=f"{why}, but MCUboot's devicetree (its overlays in this build: {layers}) has no "
                  "`nordic,pm-ext-flash` chosen node; from NCS 2.2 Partition Manager gives external partitions "
                  "the device DT_CHOSEN(nordic_pm_ext_flash), so MCUboot's flash map has no usable secondary "
                  "slot: at boot 'E: Failed to open flash area ID 1 (image 0 slot 1): -2' (or 'Failed reading "
                  "sectors') and no update is ever applied" + (
                      "; the overlay that adds the flash is read by the application only" if app_ext else ""),
                  fix=fix, image="mcuboot", anchor="nordic,pm-ext-flash", related=related)
    elif node_ok:
        if chosen_names_device(t) is not False:
            # a sample inside sdk-nrf's own tree is built with the SDK it ships in: a tree older
            # than 2.2 is fine as it is, and the tree's later versions carry their own copy
            in_tree = bool(getattr(t.sdk, "in_sdk_tree", False))
            yield hit(span, headline="MCUboot has no `nordic,pm-ext-flash` chosen node: from NCS 2.2 it cannot "
                                     "open the secondary",
                      message=f"{why}; MCUboot's devicetree has the flash node {node_ref(app_node)} but no "
                      "`nordic,pm-ext-flash` chosen node. That works before NCS 2.2 (the device is named by "
                      f"label or path), but from NCS 2.2 MCUboot cannot open the secondary slot; the version "
                      f"here is not certain ({sdk_text(t)})" + (
                          "; this app is part of sdk-nrf's own tree, so it is built with that tree's SDK: "
                          "only a copy built with NCS 2.2 or later is affected" if in_tree else ""),
                      fix=fix, image="mcuboot", anchor="nordic,pm-ext-flash", related=related,
                      severity=Severity.INFO if in_tree else Severity.WARNING)
    else:
        how = "by its label" if device_named_by_path(t) is False else "by its devicetree node"
        what = f"an enabled {node_ref(app_node)} node" if app_node is not None else "the external flash node"
        yield hit(span, headline="MCUboot's devicetree lacks the external flash Partition Manager names: updates "
                                 "never apply",
                  message=f"{why}, but MCUboot's devicetree (overlays: {layers}) has neither a "
                  f"`nordic,pm-ext-flash` chosen node nor {what}: Partition Manager "
                  f"names the secondary's device {how}, which MCUboot does not have, so at boot MCUboot cannot "
                  "open the slot ('Failed reading sectors' / 'Cannot upgrade') and keeps the old image",
                  fix=fix, image="mcuboot", anchor="nordic,pm-ext-flash", related=related)


_COMPARED_PROPS = ("compatible", "size", "jedec-id", "reg")


@rule("DFU302", "ext-flash-chosen-mismatch", Severity.ERROR,
      "The application and MCUboot choose different external flash nodes, or describe the chip differently",
      ncs=((1, 7), None), needs=("partition-manager", "app-core", "mcuboot"))
def ext_flash_chosen_mismatch(t):
    if secondary_external(t) is None:
        return
    a, m = ext_of(t, "app"), ext_of(t, "mcuboot")
    if a is None or m is None:
        return
    an, mn = a.node, m.node
    mspan = m.prop.span if project_span(getattr(m.prop, "span", None)) else None
    aspan = a.prop.span if project_span(getattr(a.prop, "span", None)) else None
    if an is None or mn is None:
        ar, mr = chosen_ref(a), chosen_ref(m)
        if ar != mr and mspan is not None:
            yield hit(mspan, headline=f"MCUboot's `nordic,pm-ext-flash` is &{mr}, the application's &{ar}",
                      message=f"MCUboot's `nordic,pm-ext-flash` is &{mr} but the application's is &{ar}: "
                      "Partition Manager sizes the region from the application's node while MCUboot opens its own",
                      fix=f"point both chosen entries at the same node (&{ar})", image="mcuboot",
                      anchor="nordic,pm-ext-flash", related=[aspan] if aspan else [])
        return
    if not same_node(an, mn):
        where = mspan or node_span(mn)
        if where is None:
            return
        yield hit(where, headline="MCUboot and the application choose different external flash: updates are "
                                  "read from the wrong chip",
                  message=f"MCUboot's `nordic,pm-ext-flash` is {node_ref(mn)} ({mn.path}) but the application's is "
                  f"{node_ref(an)} ({an.path}): Partition Manager places the slot on the application's chip, while "
                  "MCUboot reads and swaps another device, so updates are read from the wrong flash",
                  fix=f"choose {node_ref(an)} in MCUboot's overlay too (and describe it the same way)",
                  image="mcuboot", anchor="nordic,pm-ext-flash", related=[aspan] if aspan else [])
        return
    for prop in _COMPARED_PROPS:
        pa, pm = an.props.get(prop), mn.props.get(prop)
        va = _prop_value(pa)
        vm = _prop_value(pm)
        if va == vm or va is None or vm is None:
            continue
        where = prop_span(mn, prop) or prop_span(an, prop)
        if where is None:
            continue
        other = prop_span(an, prop) if where != prop_span(an, prop) else prop_span(mn, prop)
        yield hit(where, headline=f"the external flash's `{prop}` differs between MCUboot and the application",
                  message=f"the external flash {node_ref(mn)} is described differently: `{prop}` is {_shown(pm)} in "
                  f"MCUboot's devicetree but {_shown(pa)} in the application's; Partition Manager uses the "
                  "application's, MCUboot drives the chip with its own",
                  fix=f"write the same `{prop}` in both overlays (copy the application's node into MCUboot's "
                  "overlay)", image="mcuboot" if where == prop_span(mn, prop) else "app",
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
      "The chosen external flash is undefined or disabled (or its bus is) in an image that needs it",
      ncs=((1, 7), None), needs=("partition-manager", "app-core", "mcuboot"))
def ext_flash_node_disabled(t):
    if secondary_external(t) is None:
        return
    for name in IMAGES:
        img, e = t.images.get(name), ext_of(t, name)
        if img is None or e is None or img.dt is None:
            continue
        ref = chosen_ref(e)
        cspan = e.prop.span if project_span(getattr(e.prop, "span", None)) else None
        ospan, orel, oexists = overlay_target(t, name)
        if e.node is None:
            placeholder = img.dt.node(ref) if ref and ref != "?" else None
            if placeholder is not None:
                node = placeholder          # a &label block for a board node dfulint does not know
            else:
                other = "mcuboot" if name == "app" else "app"
                oimg = t.images.get(other)
                onode = oimg.dt.node(ref) if oimg is not None and oimg.dt is not None and ref != "?" else None
                if onode is None or not from_project_only(onode) or cspan is None:
                    continue            # the board may define it; dfulint's board facts are partial
                yield hit(cspan, headline=f"{IMAGE_TEXT[name]}'s `nordic,pm-ext-flash` points at &{ref}, undefined "
                                          "there: dtc stops",
                          message=f"{IMAGE_TEXT[name]}'s `nordic,pm-ext-flash` points at &{ref}, but no file "
                          f"{IMAGE_TEXT[name]}'s devicetree is built from defines that label (it is defined at "
                          f"{where_text(t, node_span(onode)) if node_span(onode) else 'the other image'}, which "
                          f"{IMAGE_TEXT[name]} does not read): dtc stops with a reference to a non-existent label",
                          fix=f"copy the node that defines {ref} into {orel}", image=name, anchor=ref)
                continue
        else:
            node = e.node
        if node.props.get("status") is not None and not node.okay():
            where = prop_span(node, "status") or cspan or ospan
            src = "" if prop_span(node, "status") else " by the board devicetree"
            yield hit(where, headline=f"the external flash is disabled in {IMAGE_TEXT[name]}: it cannot use the "
                                      "secondary slot",
                      message=f"the external flash {node_ref(node)} is disabled{src} in {IMAGE_TEXT[name]}'s "
                      f"devicetree: its driver never starts, so {IMAGE_TEXT[name]} cannot "
                      f"{'write updates to' if name == 'app' else 'read or swap'} the secondary slot",
                      fix=("write `status = \"okay\";` there" if prop_span(node, "status") else
                           f"{add_to(orel, oexists)} `&{node.label or ref} {{ status = \"okay\"; }};`"),
                      image=name, anchor=node.path)
            continue
        if not node.known:
            continue
        for anc in ancestors(img.dt, node):
            if anc.props.get("status") is None or anc.okay():
                continue
            where = prop_span(anc, "status") or cspan or ospan
            src = "" if prop_span(anc, "status") else " (as the board leaves it)"
            lab = anc.label or anc.name
            yield hit(where, headline=f"the external flash's bus is disabled in {IMAGE_TEXT[name]}: the secondary "
                                      "slot is unreachable",
                      message=f"the bus {node_ref(anc)} of the external flash {node_ref(node)} is disabled{src} in "
                      f"{IMAGE_TEXT[name]}'s devicetree: the flash is unreachable, so {IMAGE_TEXT[name]} cannot "
                      "use the secondary slot",
                      fix=f"{add_to(orel, oexists)} `&{lab} {{ status = \"okay\"; }};` (with its pinctrl)",
                      image=name, anchor=anc.path)
            break


@rule("DFU304", "ext-secondary-switch-ignored", Severity.WARNING,
      "Under sysbuild, CONFIG_PM_EXTERNAL_FLASH_MCUBOOT_SECONDARY in an image is overridden by sysbuild",
      build_systems=("sysbuild",), ncs=((2, 7), None), needs=("partition-manager", "app-core", "mcuboot"))
def ext_secondary_switch_ignored(t):
    if t.sysbuild is None:
        return
    sec = (t.slots or {}).get("secondary")
    sec_region = sec.region if sec is not None else None
    sbspan, sbrel, sbexists = conf_target(t, "sysbuild")
    val, sb_at, how = sb_switch(t)
    for name in IMAGES:
        img = t.images.get(name)
        if img is None or img.config is None:
            continue
        a = user_assignment(img, SWITCH)
        if a is not None and val is not None and (a.value_without_comment == "y") != val:
            want = a.value_without_comment == "y"
            effect = ""
            if want and sec_region is not None and sec_region != "external_flash":
                effect = (f"; unless a pm_static file pins it, Partition Manager therefore places mcuboot_secondary "
                          f"in {sec_region} next to the application, which loses half of the internal flash")
            elif want and sec_region == "external_flash":
                effect = ("; the secondary still lands in external flash only because a pm_static file pins it "
                          "there, while both images build with the switch off")
            yield hit(a.span, headline=f"{a.full_name} is ignored: sysbuild sets the external-secondary switch",
                      message=f"{a.full_name}={a.value_without_comment} in {rel_path(t, a.span.path)} is ignored: "
                      f"sysbuild forces CONFIG_{SWITCH}={'y' if val else 'n'} into the application and MCUboot "
                      f"from {how}{effect}",
                      fix=(f"set SB_CONFIG_{SWITCH}={'y' if want else 'n'} in {sbrel}"
                           + ("" if sbexists else " (create it)") + " and delete this line"),
                      image=name, anchor=a.full_name, related=[sb_at] if sb_at else [])
        # the driver-check override: sysbuild forces it to y (never to n) when SB_CONFIG_ sets it
        o = user_assignment(img, "PM_OVERRIDE_EXTERNAL_DRIVER_CHECK")
        ov = img.config.get("PM_OVERRIDE_EXTERNAL_DRIVER_CHECK")
        if o is not None and o.value_without_comment != "y" and ov.origin == "forced" and ov.value == "y":
            at = ov.assignments[-1].span if ov.assignments else None
            yield hit(o.span, headline=f"{o.full_name} is ignored: sysbuild's driver-check override sets it",
                      message=f"{o.full_name}={o.value_without_comment} in {rel_path(t, o.span.path)} is ignored: "
                      "SB_CONFIG_PM_OVERRIDE_EXTERNAL_DRIVER_CHECK=y makes sysbuild set it to y in this image",
                      fix=f"delete this line, or SB_CONFIG_PM_OVERRIDE_EXTERNAL_DRIVER_CHECK from {sbrel}",
                      image=name, anchor=o.full_name, related=[at] if at else [])


@rule("DFU305", "ext-secondary-placement-mismatch", Severity.WARNING,
      "pm_static places mcuboot_secondary against the external-secondary switch",
      ncs=((1, 7), None), needs=("partition-manager", "app-core", "mcuboot", "pm-static"))
def ext_secondary_placement_mismatch(t):
    p = t.pm_static.partitions.get("mcuboot_secondary")
    if p is None:
        return
    region = p.str("region") or "flash_primary"
    static_ext = region == "external_flash"
    if t.build_system == "sysbuild" and t.sysbuild is not None:
        val, at, how = sb_switch(t)
        if val is None:
            return
        fix_on = f"set SB_CONFIG_{SWITCH}=y in sysbuild.conf"
        fix_off = f"remove SB_CONFIG_{SWITCH}=y from sysbuild.conf"
    else:
        cfg = image_config(t, "app")
        if cfg is None:
            return
        v = cfg.get(SWITCH)
        val = v.value == "y"
        at = v.assignments[-1].span if v.assignments and v.origin == "fragment" else None
        if at is not None:
            how = f"CONFIG_{SWITCH}={v.value} ({where_text(t, at)})"
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
        msg = (f"{rel_path(t, t.pm_static.path)} places mcuboot_secondary in external_flash while the build has "
               f"the external-secondary switch off ({how}): the pinned partition wins for the slot itself, but "
               "whatever follows the switch does not match it: dynamic placement on boards without this file, "
               "nRF53's simultaneous network-core update (SB_CONFIG_MCUBOOT_NRF53_MULTI_IMAGE_UPDATE is selected "
               "by the switch), TF-M's partitioning of the secondary, and the logical external-flash address "
               "programming tools use (NCS 3.2)")
        fix = fix_on
    else:
        msg = (f"{rel_path(t, t.pm_static.path)} pins mcuboot_secondary in {region} while the external-secondary "
               f"switch is on ({how}): Partition Manager keeps the pinned internal slot, the switch only adds "
               "external-flash drivers and placements nobody uses")
        fix = f"{fix_off}, or move mcuboot_secondary to `region: external_flash`"
    head = ("pm_static puts mcuboot_secondary in external flash, the external-secondary switch is off"
            if static_ext else "pm_static pins mcuboot_secondary internally, the external-secondary switch is on")
    yield hit(where, msg, fix=fix, image="", anchor="mcuboot_secondary", related=[at] if at else [],
              headline=head)

