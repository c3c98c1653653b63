"""5xx: cross-image consistency, and settings sysbuild overrides.

The application and MCUboot are two images built from different configurations; they must agree
on the upgrade mode and on how many images are updated, the application needs the whole MCUmgr
chain for the transport it uses, and under sysbuild some settings may only be made in
`sysbuild.conf`. Every rule here reads the evaluated configuration (dfulint.model) only.
"""
from __future__ import annotations

from dfulint.checks import hit, rule
from dfulint.core import assigned, Severity, Span
from dfulint.model import dfu
from dfulint.model.kconfig import symbol
from dfulint.model import modes, versions
from dfulint.model.query import where_text
from dfulint.model.query import paths

def _mode_where(t):
    """Where MCUboot's mode is decided: (Where, symbol) of the mode setting."""
    mcu = t.images.get("mcuboot")
    if mcu is None or mcu.config is None:
        return None
    for sym in modes.mode_of_mcuboot_symbol():
        if mcu.config.enabled(sym):
            w = dfu.where(t, "mcuboot", sym)
            if w.span is not None:
                return w
    return None


# ------------------------------------------------------------------ DFU501

def _sb_equivalent(t, image: str, a) -> tuple[str, str]:
    """(what to write in sysbuild.conf, the SB symbol) for an image setting sysbuild controls."""
    name, val = a.name, a.value_without_comment
    on = val[:1] == "y"
    yn = "y" if on else "n"
    if name == "BOOTLOADER_MCUBOOT":
        return f"SB_CONFIG_BOOTLOADER_MCUBOOT={yn}", "SB_CONFIG_BOOTLOADER_MCUBOOT"
    mode = modes.app_symbols().get(name) if image == "app" else modes.mode_of_mcuboot_symbol().get(name)
    if mode is not None:
        sym = modes.sysbuild_symbol(mode, t.kconfig_version)
        if on:
            return f"{sym}=y", sym
        return ("choose the mode with one SB_CONFIG_MCUBOOT_MODE_* option (a choice member cannot be "
                "switched off with =n)"), "SB_CONFIG_MCUBOOT_MODE_*"
    if name in ("BOOT_SIGNATURE_KEY_FILE", "MCUBOOT_SIGNATURE_KEY_FILE", "BOOT_ENCRYPTION_KEY_FILE",
                "MCUBOOT_ENCRYPTION_KEY_FILE"):
        sb = "SB_CONFIG_BOOT_SIGNATURE_KEY_FILE" if "SIGNATURE" in name else "SB_CONFIG_BOOT_ENCRYPTION_KEY_FILE"
        inner = val.strip('"')
        if inner and not inner.startswith(("/", "$", "\\$")) and not (len(inner) > 1 and inner[1] == ":"):
            inner = "\\${APP_DIR}/" + inner
        extra = "SB_CONFIG_BOOT_ENCRYPTION=y and " if "ENCRYPTION" in name else ""
        return f'{extra}{sb}="{inner}"', sb
    if name.startswith("BOOT_SIGNATURE_TYPE_"):
        sb = "SB_CONFIG_" + name
        return (f"{sb}=y" if on else "choose the signature type with one SB_CONFIG_BOOT_SIGNATURE_TYPE_* option"), sb
    if name in ("PM_EXTERNAL_FLASH_MCUBOOT_SECONDARY", "PM_OVERRIDE_EXTERNAL_DRIVER_CHECK"):
        return f"SB_CONFIG_{name}={yn}", "SB_CONFIG_" + name
    if name == "BOOT_ENCRYPT_IMAGE":
        return f"SB_CONFIG_BOOT_ENCRYPTION={yn}", "SB_CONFIG_BOOT_ENCRYPTION"
    if name == "UPDATEABLE_IMAGE_NUMBER":
        return f"SB_CONFIG_MCUBOOT_UPDATEABLE_IMAGES={val}", "SB_CONFIG_MCUBOOT_UPDATEABLE_IMAGES"
    if name == "MCUBOOT_HW_DOWNGRADE_PREVENTION":
        return (f"SB_CONFIG_MCUBOOT_HARDWARE_DOWNGRADE_PREVENTION={yn}",
                "SB_CONFIG_MCUBOOT_HARDWARE_DOWNGRADE_PREVENTION")
    if name in ("NRF53_MULTI_IMAGE_UPDATE", "BOOT_IMAGE_ACCESS_HOOKS", "USE_NRF53_MULTI_IMAGE_WITHOUT_UPGRADE_ONLY"):
        return (f"SB_CONFIG_MCUBOOT_NRF53_MULTI_IMAGE_UPDATE={yn}", "SB_CONFIG_MCUBOOT_NRF53_MULTI_IMAGE_UPDATE")
    return "the SB_CONFIG_ option that controls it", ""


@rule("DFU501", "sysbuild-overrides-image-setting", Severity.ERROR,
      "An image setting that sysbuild overwrites from its own configuration; it no longer counts",
      needs=("sysbuild",),
      levels=(Severity.INFO,))
def sysbuild_overrides_image_setting(t):
    sb_off = not t.sysbuild.config.enabled("BOOTLOADER_MCUBOOT")
    for image in ("app", "mcuboot"):
        img = t.images.get(image)
        if img is None or img.config is None:
            continue
        if image == "mcuboot" and sb_off:
            continue                      # no MCUboot image is built at all
        for d in img.config.dropped:
            if d.reason != "forced":
                continue
            a = d.assignment
            rel = t.app.rel(a.span.path)
            if rel.startswith("child_image/"):
                continue                  # DFU601: the whole file is not read
            if image == "app" and a.name == "BOOTLOADER_MCUBOOT" and sb_off and a.value_without_comment[:1] == "y":
                continue                  # DFU502
            if a.name in ("PM_EXTERNAL_FLASH_MCUBOOT_SECONDARY", "PM_OVERRIDE_EXTERNAL_DRIVER_CHECK"):
                continue                  # DFU304 and the external-flash rules report these
            info = symbol(a.name, image, t.kconfig_version)
            if info is not None and info.choice and a.value_without_comment[:1] == "n":
                continue                  # `=n` on a choice member does nothing anyway
            line, _sb_sym = _sb_equivalent(t, image, a)
            severity = None
            same_file = ""
            if a.name.endswith("KEY_FILE"):
                forced = img.config.get(a.name).value
                if isinstance(forced, str) and _base(forced) == _base(a.value_without_comment.strip('"')):
                    severity = Severity.INFO
                    same_file = "; it names the same key file, so the line is dead but harmless"
            if any(f.name == a.name and f.span.path.name in ("sample.yaml", "testcase.yaml")
                   for f in img.forced + (t.sysbuild.forced if t.sysbuild is not None else [])):
                continue                  # a test scenario's -D value: overriding the file is its purpose
            forced_at = _forced_origin(t, img, a, d)
            origin = (f" (from {where_text(t, forced_at)})" if forced_at is not None
                      else " (from sysbuild's own default)")
            switched_off = _choice_member_switched_off(t, a) if a.name == "BOOTLOADER_MCUBOOT" else None
            if switched_off is not None:
                # sysbuild.conf says SB_CONFIG_BOOTLOADER_MCUBOOT=n, yet MCUboot is still chosen
                origin = (f" ({where_text(t, switched_off)} sets SB_CONFIG_BOOTLOADER_MCUBOOT=n, but that is a "
                          "member of sysbuild's choice BOOTLOADER: =n does not change which member is chosen, "
                          "so the choice's default keeps MCUboot and sysbuild still builds it)")
                forced_at = switched_off
            if image == "mcuboot" and t.app.framework == "zephyr" and not t.sdk.exact:
                # which upstream Zephyr release writes MCUboot's mode and signature type from sysbuild
                # is not known here: said on that condition (the context names the version's source)
                severity = Severity.INFO
                same_file += ("; the Zephyr version is not known here (" + t.sdk.source + "): this holds with a "
                              "Zephyr whose sysbuild writes MCUboot's settings, as current releases do")
            msg = (f"{a.full_name}={a.value_without_comment} in {rel} does not count in a sysbuild build: "
                   f"{d.detail}{origin}{same_file}")
            if switched_off is not None:
                fix = ("replace SB_CONFIG_BOOTLOADER_MCUBOOT=n with SB_CONFIG_BOOTLOADER_NONE=y in "
                       f"{t.app.rel(switched_off.path)} and delete this line")
            elif line.startswith("SB_CONFIG_"):
                fix = f"set {line} in sysbuild.conf and delete this line"
            else:
                fix = f"{line} in sysbuild.conf, and delete this line"
            yield hit(a.span, msg, fix=fix, image=image, anchor=a.full_name, severity=severity,
                      headline=f"{assigned(a.full_name, a.value_without_comment)} does not count: sysbuild overrides it"
                               + (" (same key file)" if same_file else ""),
                      related=[forced_at] if forced_at is not None else [])


def _choice_member_switched_off(t, a):
    """The span of a sysbuild `SB_CONFIG_BOOTLOADER_MCUBOOT=n` that did not switch MCUboot off (a
    choice member set to n leaves the choice on its default), when the image asks for n too."""
    if a.value_without_comment[:1] != "n" or t.sysbuild is None:
        return None
    v = t.sysbuild.config.get("BOOTLOADER_MCUBOOT")
    if v.value != "y":
        return None
    offs = [x for x in v.assignments if x.value_without_comment[:1] == "n" and dfu.in_project(x.span)]
    return offs[-1].span if offs else None


def _base(path: str) -> str:
    return path.replace("\\", "/").rsplit("/", 1)[-1]


def _sb_spans(t) -> set:
    out = set()
    cfg = t.sysbuild.config if t.sysbuild is not None else None
    if cfg is None:
        return out
    for v in cfg.values.values():
        for x in v.assignments:
            out.add(x.span)
    return out


def _forced_origin(t, img, a, d):
    """The sysbuild.conf / Kconfig.sysbuild line the forced value comes from; None for a default."""
    import re

    m = re.search(r"sysbuild forces ([A-Z0-9_]+)=", d.detail or "")
    sym = m.group(1) if m else a.name
    v = img.config.get(sym)
    spans = _sb_spans(t)
    for fa in reversed(v.assignments):
        if fa.span in spans:
            return fa.span if dfu.in_project(fa.span) else None
    return None


# ------------------------------------------------------------------ DFU502

@rule("DFU502", "sysbuild-bootloader-not-enabled", Severity.ERROR,
      "CONFIG_BOOTLOADER_MCUBOOT=y in the application, but sysbuild does not build MCUboot",
      needs=("sysbuild",), levels=(Severity.INFO,))
def sysbuild_bootloader_not_enabled(t):
    if t.sysbuild.config.enabled("BOOTLOADER_MCUBOOT"):
        return
    a = dfu.user_assignment(t.images.get("app"), "BOOTLOADER_MCUBOOT")
    if a is None or a.value_without_comment[:1] != "y":
        return
    old = " (or build with --no-sysbuild, which NCS before 3.0 still allows)" if versions.child_images_allowed(t) else ""
    sb = "sysbuild.conf" if paths(t).has_file(t.app.root / "sysbuild.conf") else "a new sysbuild.conf next to prj.conf"
    severity, cond = None, ""
    if t.app.framework == "ncs" and not t.sdk.exact and versions.sysbuild_default_everywhere(t) is not True:
        # NCS 2.7 and 2.8 build an application outside the SDK with child images unless --sysbuild is
        # given; the version is a guess here (the context names its source), so this is said on condition
        severity = Severity.INFO
        cond = (f" (this holds when the app is built with sysbuild: the default for every app from NCS 2.9, "
                f"with --sysbuild before; the SDK version is not known here: {t.sdk.source})")
    yield hit(a.span, f"{a.full_name}=y has no effect in a sysbuild build{cond}: sysbuild writes "
              "CONFIG_BOOTLOADER_MCUBOOT=n into the application because SB_CONFIG_BOOTLOADER_MCUBOOT is not set, so "
              "no MCUboot is built, the application is not linked for a slot and every MCUboot-dependent option "
              "(image manager, MCUmgr image group, NCS_SAMPLE_MCUMGR_BT_OTA_DFU) silently drops out: DFU is absent",
              headline=f"{a.full_name}=y has no effect under sysbuild: no MCUboot is built, DFU is absent",
              fix=f"add SB_CONFIG_BOOTLOADER_MCUBOOT=y to {sb}{old}", image="app", anchor=a.full_name,
              severity=severity)


# ------------------------------------------------------------------ DFU503

_LAYOUT_MODES = {"direct-xip", "direct-xip-revert", "ram-load", "single-app", "firmware-loader", "swap-offset"}


def _mismatch_effect(app_mode: str, mcu_mode: str) -> str:
    pair = {app_mode, mcu_mode}
    if pair & {"direct-xip", "direct-xip-revert", "ram-load"}:
        return ("the application is linked and manages its slots for one scheme while MCUboot boots another: "
                "an uploaded image lands in, or is linked for, a slot MCUboot does not run it from "
                "(MCUboot: 'Unable to find bootable image', or the old image keeps running)")
    if pair & {"single-app", "firmware-loader"}:
        return ("one side has no secondary slot: image management writes updates that MCUboot never looks at, "
                "or the application's layout leaves no room for the image MCUboot expects")
    if "swap-offset" in pair:
        return ("swap-using-offset stores the update one sector into the secondary slot; the application writes "
                "and reports it where its own mode expects, so MCUboot rejects or never sees the update")
    return ("the application's image manager reports slot states, revert behaviour and the largest image for "
            "the wrong mode (MCUboot decides what really happens: overwrite-only cannot revert, swap modes need "
            "the image confirmed)")


@rule("DFU503", "mcuboot-mode-mismatch", Severity.ERROR,
      "The application is built for a different MCUboot upgrade mode than MCUboot runs",
      needs=("mcuboot",),
      levels=(Severity.WARNING,))
def mcuboot_mode_mismatch(t):
    if t.app_mode is None:
        return
    mcu = t.images.get("mcuboot")
    app = t.images.get("app")
    if mcu is None or mcu.config is None or app is None or app.config is None:
        return
    mcu_mode = dfu.mcuboot_mode(t)
    if mcu_mode is None or mcu_mode == t.app_mode:
        return
    if t.build_system == "zephyr" and t.sysbuild is None:
        return                       # MCUboot is built separately; its configuration is not here
    if t.app.framework == "zephyr" and not t.sdk.exact:
        return                       # which modes sysbuild forces depends on the Zephyr release
    layout = {t.app_mode, mcu_mode} & {"direct-xip", "direct-xip-revert", "ram-load"}
    f = dfu.facts(t)
    if not layout and f.image_group is None and not app.config.enabled("DFU_TARGET_MCUBOOT"):
        return                       # nothing in the application acts on the mode
    app_set = None
    for sym in modes.app_symbols():
        if app.config.enabled(sym):
            w = dfu.where(t, "app", sym)
            if w.span is not None and w.how == "set here":
                app_set = (w, sym)
            break
    # the application's mode symbols exist from NCS 2.2 (Zephyr 3.2); before that only an explicit
    # line can disagree with MCUboot
    if app_set is None and versions.app_mode_symbols(t) is not True:
        return
    mcu_w = _mode_where(t)
    severity = None if ({t.app_mode, mcu_mode} & _LAYOUT_MODES) else Severity.WARNING
    effect = _mismatch_effect(t.app_mode, mcu_mode)
    mcu_file = dfu.mcuboot_conf_file(t)
    if mcu_w is not None and mcu_w.how in ("set here", "forced by sysbuild") and (
            app_set is None or mcu_w.how == "set here"):
        where_app = (f" ({where_text(t, app_set[0].span)})" if app_set else " (its default)")
        yield hit(mcu_w.span, f"MCUboot runs {mcu_mode} (CONFIG_{mcu_w.symbol}) but the application is built for "
                  f"{t.app_mode}{where_app}: {effect}",
                  headline=f"MCUboot runs {mcu_mode}, the application is built for {t.app_mode}",
                  fix=f"set {modes.app_symbol(mcu_mode, t.kconfig_version)}=y in {dfu.app_conf_file(t)} so the application matches "
                  f"MCUboot, or remove this line to keep MCUboot in {t.app_mode}",
                  image="mcuboot", anchor="mcuboot-mode", severity=severity,
                  related=[app_set[0].span] if app_set else [])
        return
    if app_set is not None:
        w, sym = app_set
        yield hit(w.span, f"CONFIG_{sym}=y builds the application for {t.app_mode}, but MCUboot runs {mcu_mode} "
                  f"({t.mode_source}): {effect}",
                  headline=f"the application is built for {t.app_mode}, MCUboot runs {mcu_mode}",
                  fix=f"set {modes.mcuboot_lines(t.app_mode)} in {mcu_file} so MCUboot runs {t.app_mode}, or "
                  f"change this line to {modes.app_symbol(mcu_mode, t.kconfig_version)}=y",
                  image="app", anchor="mcuboot-mode", severity=severity,
                  related=[mcu_w.span] if mcu_w is not None and mcu_w.span is not None else [])


# ------------------------------------------------------------------ DFU504

_CHAIN_OFF = {
    "IMG_MANAGER": "the image manager that writes the uploaded image into the secondary slot",
    "MCUBOOT_IMG_MANAGER": "the MCUboot backend of the image manager",
    "STREAM_FLASH": "the stream-flash writer the image manager uses",
    "FLASH": "the flash driver",
    "FLASH_MAP": "the flash map that locates the slots",
}


@rule("DFU504", "dfu-chain-incomplete", Severity.ERROR,
      "MCUmgr image management without the pieces it needs: MCUboot, the image manager, a transport",
      levels=(Severity.WARNING,))
def dfu_chain_incomplete(t):
    app = t.images.get("app")
    if app is None or app.config is None:
        return
    f = dfu.facts(t)
    grp = f.image_group
    cfg = app.config
    if grp is not None:
        grp_sym = next(n for n in dfu.IMG_GROUP if cfg.enabled(n))
    else:
        # asked for in a fragment but dropped by Kconfig (DFU409 reports the line itself)
        req = [a for a in (dfu.user_assignment(app, n) for n in dfu.IMG_GROUP)
               if a is not None and a.value_without_comment[:1] == "y"]
        if not req:
            return
        grp_sym = req[-1].name
        grp = dfu.Where(req[-1].span, "set here, but dropped by Kconfig", grp_sym)
    grp_at = grp.span or dfu.mcuboot_on(t).span
    # MCUboot missing altogether
    if not t.mcuboot_enabled and f.image_group is not None:
        sb_explicit = t.sysbuild is not None and dfu.user_assignment(app, "BOOTLOADER_MCUBOOT") is not None
        if not sb_explicit and not getattr(t.app, "is_mcuboot", False):
            if t.sysbuild is not None:
                fix = "add SB_CONFIG_BOOTLOADER_MCUBOOT=y to sysbuild.conf"
            else:
                fix = f"add CONFIG_BOOTLOADER_MCUBOOT=y to {dfu.app_conf_file(t)}"
            yield hit(grp_at, f"CONFIG_{grp_sym} is enabled ({grp.how}) but MCUboot is not part of this build "
                      f"({t.mcuboot_enabled_source} is off): the application is not linked for an MCUboot slot and "
                      "an uploaded image has no bootloader to install it", fix=fix, image="app", anchor=grp_sym,
                      headline=f"CONFIG_{grp_sym} without MCUboot: uploaded images are never installed")
    # a chain member switched off explicitly
    for sym, what in _CHAIN_OFF.items():
        a = dfu.user_assignment(app, sym)
        if a is None or a.value_without_comment[:1] != "n":
            continue
        yield hit(a.span, f"{a.full_name}=n switches off {what}, which MCUmgr image management "
                  f"(CONFIG_{grp_sym}, {where_text(t, grp.span) or grp.how}) needs: uploads fail or the group drops out",
                  fix="delete this line", image="app", anchor=a.full_name,
                  headline=f"{a.full_name}=n switches off {what[:40]}, which image uploads need",
                  related=[grp.span] if grp.span is not None else [])
    # no transport (an overlay fragment of the app that this build does not read may add one)
    if not f.transports and not dfu.other_transport_assignments(t) and grp.how == "set here" \
            and not _transport_in_any_fragment(t):
        old = versions.mcumgr_transport_names(t) is False
        names = "MCUMGR_SMP_BT/UART/SHELL" if old else "MCUMGR_TRANSPORT_BT/UART/SHELL/UDP"
        yield hit(grp_at, f"CONFIG_{grp_sym} is enabled but no MCUmgr transport is ({names}): nothing can reach "
                  "image management, so no update can be uploaded (unless the application registers its own SMP "
                  "transport in code)", fix=f"enable the transport the updates come over, e.g. "
                  f"CONFIG_{dfu.TRANSPORTS['bt'][0 if old else 1]}=y, in "
                  f"{dfu.app_conf_file(t)}", image="app", anchor=grp_sym, severity=Severity.WARNING,
                  headline=f"CONFIG_{grp_sym} without an MCUmgr transport: no update can be uploaded")


def _transport_in_any_fragment(t) -> bool:
    names = {n for pair in dfu.TRANSPORTS.values() for n in pair} | {"NCS_SAMPLE_MCUMGR_BT_OTA_DFU"}
    for frag in (t.files.fragments if t.files is not None else []):
        for a in frag.assignments:
            if a.prefix == "CONFIG_" and (a.name in names or a.name.startswith("MCUMGR_TRANSPORT_")) \
                    and a.value_without_comment[:1] == "y":
                return True
    return False


# ------------------------------------------------------------------ DFU505

@rule("DFU505", "smp-bt-resources-too-small", Severity.WARNING,
      "SMP over Bluetooth with a buffer or stack smaller than the transport needs")
def smp_bt_resources_too_small(t):
    app = t.images.get("app")
    if app is None or app.config is None:
        return
    f = dfu.facts(t)
    bt = f.transport("bt")
    if bt is None:
        return
    cfg = app.config
    old = bt.symbol == "MCUMGR_SMP_BT"
    buf_sym = "MCUMGR_BUF_SIZE" if old else "MCUMGR_TRANSPORT_NETBUF_SIZE"
    reasm_sym = "MCUMGR_SMP_REASSEMBLY_BT" if old else "MCUMGR_TRANSPORT_BT_REASSEMBLY"
    buf = cfg.int(buf_sym)
    mtu = cfg.int("BT_L2CAP_TX_MTU")
    if buf is not None and mtu is not None and not cfg.enabled(reasm_sym) and mtu - 3 > buf:
        mw = dfu.where(t, "app", "BT_L2CAP_TX_MTU")
        bw = dfu.where(t, "app", buf_sym)
        span = bw.span if bw.how == "set here" else mw.span
        if span is not None:
            yield hit(span, f"CONFIG_BT_L2CAP_TX_MTU={mtu} lets the phone write SMP packets of up to {mtu - 3} bytes, "
                      f"but without packet reassembly each must fit one {buf}-byte MCUmgr buffer (CONFIG_{buf_sym}"
                      f"{', default' if bw.how != 'set here' else ''}): larger writes are refused and the upload "
                      "stalls or fails", fix=f"set CONFIG_{buf_sym}={mtu} (at least the MTU) or enable "
                      f"CONFIG_{reasm_sym}=y in {dfu.app_conf_file(t)}", image="app", anchor=buf_sym,
                      headline=f"MCUmgr buffer {buf} B is smaller than SMP writes of {mtu - 3} B: uploads stall",
                      related=[s for s in (mw.span, bw.span) if s is not None and s != span])
    # NCS before 2.1 (Zephyr before 3.1): MCUmgr handlers run on the system workqueue
    if versions.mcumgr_own_workqueue(t) is False:
        stack = cfg.int("SYSTEM_WORKQUEUE_STACK_SIZE")
        w = dfu.where(t, "app", "SYSTEM_WORKQUEUE_STACK_SIZE")
        if stack is not None and stack < 2048 and w.how == "set here":
            yield hit(w.span, f"CONFIG_SYSTEM_WORKQUEUE_STACK_SIZE={stack}: in this SDK MCUmgr runs its command "
                      "handlers (image upload, erase) on the system workqueue, which needs about 2 KiB; a smaller "
                      "stack overflows during an upload", fix="set CONFIG_SYSTEM_WORKQUEUE_STACK_SIZE=2304 (Zephyr's "
                      "smp_svr sample value)", image="app", anchor="SYSTEM_WORKQUEUE_STACK_SIZE",
                      headline=f"system workqueue stack {stack} B is too small for MCUmgr: uploads overflow it")


# ------------------------------------------------------------------ DFU506

@rule("DFU506", "test-update-cannot-revert", Severity.INFO,
      "Updates can be uploaded as 'test' but MCUboot's mode cannot revert them",
      needs=("mcuboot",))
def test_update_cannot_revert(t):
    mode = dfu.mcuboot_mode(t)
    mcu = t.images.get("mcuboot")
    if mode == "ram-load" and mcu is not None and mcu.config is not None and mcu.config.enabled("BOOT_RAM_LOAD_REVERT"):
        return
    if mode not in ("overwrite-only", "direct-xip", "ram-load"):
        return
    f = dfu.facts(t)
    app = t.images.get("app")
    path = None
    if f.image_group is not None:
        path = "MCUmgr image management ('test' is the default of nRF Connect Device Manager and `mcumgr image test`)"
    elif app is not None and app.config is not None and app.config.enabled("DFU_TARGET_MCUBOOT"):
        path = "the DFU target library (dfu_target_mcuboot requests a test upgrade)"
    if path is None:
        return
    w = _mode_where(t)
    span = w.span if w is not None and w.span is not None else dfu.mcuboot_on(t).span
    if mode == "overwrite-only":
        what = ("MCUboot runs overwrite-only: a 'test' image is copied over the running one and kept even if it "
                "never confirms itself, because there is no copy of the old image to go back to")
        fix = (f"use a swap mode ({modes.sysbuild_symbol('swap-move', t.kconfig_version)}=y in sysbuild.conf)" if t.sysbuild is not None
               else f"use a swap mode (remove CONFIG_BOOT_UPGRADE_ONLY=y from {dfu.mcuboot_conf_file(t)})")
    else:
        what = (f"MCUboot runs {mode} without revert: it boots the highest version and never falls back when a "
                "'test' image fails to confirm itself")
        fix = (f"use {modes.sysbuild_symbol('direct-xip-revert', t.kconfig_version)}=y in sysbuild.conf" if t.sysbuild is not None and
               mode == "direct-xip" else f"enable CONFIG_BOOT_{'DIRECT_XIP' if mode == 'direct-xip' else 'RAM_LOAD'}"
               f"_REVERT=y in {dfu.mcuboot_conf_file(t)}")
    yield hit(span, f"{what}; the update path here is {path}",
              headline=f"MCUboot runs {mode} without revert: a 'test' update that fails is never rolled back",
              fix=fix + ", if a broken update must roll back; "
              "otherwise upload with 'confirm only' and test images before release", image="mcuboot",
              anchor="mcuboot-mode")


# ------------------------------------------------------------------ DFU507

@rule("DFU507", "updateable-images-mismatch", Severity.ERROR,
      "The application and MCUboot disagree on the number of updateable images",
      needs=("mcuboot",))
def updateable_images_mismatch(t):
    app, mcu = t.images.get("app"), t.images.get("mcuboot")
    if app is None or mcu is None or app.config is None or mcu.config is None:
        return
    if t.build_system == "zephyr" and t.sysbuild is None:
        return
    mcu_n = mcu.config.int("UPDATEABLE_IMAGE_NUMBER")
    app_sym = "UPDATEABLE_IMAGE_NUMBER"
    if app.config.enabled("MCUMGR_GRP_IMG") and app.config.int("MCUMGR_GRP_IMG_UPDATABLE_IMAGE_NUMBER") is not None \
            and dfu.where(t, "app", "MCUMGR_GRP_IMG_UPDATABLE_IMAGE_NUMBER").how == "set here":
        app_sym = "MCUMGR_GRP_IMG_UPDATABLE_IMAGE_NUMBER"
    app_n = app.config.int(app_sym)
    if mcu_n is None or app_n is None or mcu_n == app_n:
        return
    if dfu.facts(t).image_group is None and not app.config.enabled("DFU_TARGET_MCUBOOT"):
        return                               # nothing in the app manages images
    aw, mw = dfu.where(t, "app", app_sym), dfu.where(t, "mcuboot", "UPDATEABLE_IMAGE_NUMBER")
    if t.sysbuild is not None and t.sysbuild.config is not None:
        extra = t.sysbuild.config.int("MCUBOOT_ADDITIONAL_UPDATEABLE_IMAGES") or 0
        if mw.how == "forced by sysbuild" and aw.how == "forced by sysbuild" and mcu_n - extra == app_n:
            return
    if app_n > mcu_n:
        effect = (f"image management accepts uploads for image {mcu_n} and up, which MCUboot (handling {mcu_n}) never "
                  "installs")
    else:
        effect = (f"MCUboot handles {mcu_n} images but image management only {app_n}: uploading the network-core or "
                  "other extra image fails with 'Remote Error: In Value (3)'")
    if aw.how == "set here" or mw.span is None:
        span, related, image = aw.span, mw.span, "app"
    else:
        span, related, image = mw.span, aw.span, "mcuboot"
    if span is None:
        span = dfu.mcuboot_on(t).span
    if t.sysbuild is not None:
        fix = (f"set SB_CONFIG_MCUBOOT_UPDATEABLE_IMAGES={max(app_n, mcu_n)} in sysbuild.conf (sysbuild writes it into "
               "both images) and delete image-level UPDATEABLE_IMAGE_NUMBER lines")
    else:
        fix = (f"set CONFIG_UPDATEABLE_IMAGE_NUMBER={max(app_n, mcu_n)} in both {dfu.app_conf_file(t)} and "
               f"{dfu.mcuboot_conf_file(t)}")
    yield hit(span, f"the application handles {app_n} updateable image(s) (CONFIG_{app_sym}"
              f"{', ' + where_text(t, aw.span) if aw.span is not None else ', default'}) but MCUboot {mcu_n} "
              f"(CONFIG_UPDATEABLE_IMAGE_NUMBER{', ' + where_text(t, mw.span) if mw.span is not None else ', default'}): "
              f"{effect}", fix=fix, image=image, anchor="UPDATEABLE_IMAGE_NUMBER",
              headline=f"the application handles {app_n} updateable image(s), MCUboot {mcu_n}: "
                       + ("extra uploads are never installed" if app_n > mcu_n else "extra image uploads fail"),
              related=[related] if related is not None and related != span else [])


# ------------------------------------------------------------------ DFU508

def _is_nrf5340(t) -> bool:
    return t.soc is not None and str(t.soc.name).startswith("nrf5340_cpuapp")


@rule("DFU508", "netcore-update-incomplete", Severity.ERROR,
      "nRF5340 network-core update without the multi-image settings or partitions it needs",
      needs=("mcuboot",))
def netcore_update_incomplete(t):
    if not _is_nrf5340(t):
        return
    app, mcu = t.images.get("app"), t.images.get("mcuboot")
    if app is None or mcu is None or app.config is None or mcu.config is None:
        return
    sb = t.sysbuild.config if t.sysbuild is not None and t.sysbuild.config is not None else None
    request = None
    if sb is not None and sb.enabled("NETCORE_APP_UPDATE"):
        w = dfu.where(t, "sysbuild", "NETCORE_APP_UPDATE")
        request = (w.span, "SB_CONFIG_NETCORE_APP_UPDATE=y")
    elif sb is None:
        a = dfu.user_assignment(app, "NRF53_UPGRADE_NETWORK_CORE")
        if a is not None and a.value_without_comment[:1] == "y" and app.config.enabled("NRF53_UPGRADE_NETWORK_CORE"):
            request = (a.span, "CONFIG_NRF53_UPGRADE_NETWORK_CORE=y")
    multi = mcu.config.enabled("NRF53_MULTI_IMAGE_UPDATE")
    ext = mcu.config.enabled("PM_EXTERNAL_FLASH_MCUBOOT_SECONDARY")
    if request is not None and request[0] is not None and ext and not multi:
        if sb is not None:
            fix = "set SB_CONFIG_MCUBOOT_NRF53_MULTI_IMAGE_UPDATE=y in sysbuild.conf"
        else:
            fix = (f"set CONFIG_NRF53_MULTI_IMAGE_UPDATE=y and CONFIG_UPDATEABLE_IMAGE_NUMBER=2 in "
                   f"{dfu.mcuboot_conf_file(t)} and CONFIG_UPDATEABLE_IMAGE_NUMBER=2 in {dfu.app_conf_file(t)}")
        yield hit(request[0], f"{request[1]} asks for network-core updates while the secondary slot is in external "
                  "flash, but MCUboot is not built for simultaneous multi-image update (NRF53_MULTI_IMAGE_UPDATE): "
                  "MCUboot can only hand a network-core image to the network core through the RAM slot "
                  "mcuboot_primary_1, so an uploaded network-core image is treated as an application image and the "
                  "device boot-loops", fix=fix, image="mcuboot", anchor="NRF53_MULTI_IMAGE_UPDATE",
                  headline="network-core update without NRF53_MULTI_IMAGE_UPDATE: the device boot-loops")
    if multi and t.pm_static is not None and t.uses_pm:
        parts = t.pm_static.partitions
        missing = [p for p in ("mcuboot_primary_1", "mcuboot_secondary_1") if p not in parts]
        if not ({"mcuboot_primary", "mcuboot_secondary"} & set(parts)):
            missing = []             # the slots are placed dynamically, and the network-core ones with them
        if missing and _other_board_layout_has(t, missing):
            missing = []             # a revision-specific pm_static_<board>_<rev>.yml may be the one built
        if missing:
            sec = parts.get("mcuboot_secondary")
            span = sec.span if sec is not None else Span(t.pm_static.path, 1, 1)
            mw = dfu.where(t, "mcuboot", "NRF53_MULTI_IMAGE_UPDATE")
            yield hit(span, f"{t.pm_static.path.name} has no {' and no '.join(missing)}, but MCUboot is built for "
                      f"nRF5340 multi-image update (CONFIG_NRF53_MULTI_IMAGE_UPDATE, {mw.how}"
                      f"{' at ' + where_text(t, mw.span) if mw.span is not None else ''}): MCUboot's build fails with "
                      "'PM_MCUBOOT_PRIMARY_1_ID' undeclared", fix=f"add mcuboot_primary_1 (region ram_flash, the "
                      "network-core image size) and mcuboot_secondary_1 (same size, after mcuboot_secondary) to "
                      f"{t.pm_static.path.name}, copied from a build's partitions.yml", image="mcuboot",
                      headline=f"{t.pm_static.path.name} lacks {' and '.join(missing)}: MCUboot's build fails",
                      anchor="mcuboot_primary_1", related=[mw.span] if mw.span is not None else [])


def _other_board_layout_has(t, names) -> bool:
    if t.files is None or t.pm_static is None:
        return False
    for pm in t.files.pm:
        if pm.path == t.pm_static.path:
            continue
        n = pm.path.name
        if any(n.startswith(f"pm_static_{s}_") for s in t.stems) and all(x in pm.partitions for x in names):
            return True
    return False
