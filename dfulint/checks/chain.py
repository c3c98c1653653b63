"""9xx: the update chain and boot: what runs before the application and what it expects of it,
the image lifecycle (request, test, confirm, revert), and MCUboot's recovery paths.

Every rule reads `t.chain` (dfulint.model.chain.ChainFacts), built in the model stage; nothing here
opens a file. Where the facts cannot be seen (no C sources, a board whose devicetree dfulint only
knows in part), the rules say nothing rather than guess.
"""
from __future__ import annotations

from dfulint.checks import hit, rule
from dfulint.core import Severity
from dfulint.model import dfu, versions


def _rel(t, span) -> str:
    return f"{t.app.rel(span.path)}:{span.line}" if span is not None else ""


def _mcuboot_overlay(t) -> str:
    if t.build_system == "child_image":
        return "child_image/mcuboot.overlay"
    if t.sysbuild is not None or t.build_system == "sysbuild":
        return "sysbuild/mcuboot.overlay"
    return "the overlay MCUboot is built with"


def _hex(v) -> str:
    return f"0x{v:x}" if isinstance(v, int) else str(v)


# ------------------------------------------------------------------ DFU901

@rule("DFU901", "image-never-confirmed", Severity.WARNING,
      "The application installs updates itself, MCUboot reverts unconfirmed images, and nothing confirms them", needs=("mcuboot",))
def image_never_confirmed(t):
    ch = t.chain
    lc = ch.lifecycle if ch is not None else None
    if lc is None or not t.mcuboot_enabled or not lc.reverts:
        return
    if lc.c_files == 0 or lc.confirms or lc.library is not None:
        return                      # the code is not visible, confirms, or a library does it
    if not lc.requests and lc.dfu_target is None:
        return                      # updates only arrive over MCUmgr: the uploader can confirm
    if lc.requests:
        span = lc.requests[0].span
        what = f"{lc.requests[0].name}() ({_rel(t, span)})"
    else:
        span = lc.dfu_target.span or dfu.mcuboot_on(t).span
        what = f"CONFIG_{lc.dfu_target.symbol} ({lc.dfu_target.how})"
    n = lc.c_files
    yield hit(span, f"the application requests an upgrade itself ({what}) and MCUboot runs {lc.mode}, which boots "
              "a new image once as a test and reverts it at the next reset unless the running image marks itself "
              f"confirmed; none of the {n} C file{'s' if n != 1 else ''} of this app calls boot_write_img_confirmed() "
              "or boot_set_confirmed(), and no library known to confirm images is enabled: every update is undone "
              "at the next reset (MCUboot logs 'Swap type: revert'). If a library outside this folder confirms, "
              "this finding does not apply", headline="the application installs updates but never confirms them: each update is reverted at the next reset",
              fix="call boot_write_img_confirmed() (<zephyr/dfu/mcuboot.h>) once the "
              "new image has proven itself, e.g. in main() after start-up checks pass",
              image="app", anchor="image-confirm")


# ------------------------------------------------------------------ DFU902

@rule("DFU902", "revert-needs-confirmed-image", Severity.WARNING,
      "MCUboot's revert mode needs the first image flashed confirmed, and the build makes none", needs=("mcuboot",))
def revert_needs_confirmed_image(t):
    ch = t.chain
    lc = ch.lifecycle if ch is not None else None
    if lc is None or not t.mcuboot_enabled or lc.mode not in ("direct-xip-revert", "ram-load-revert"):
        return
    if lc.confirmed_image is not None:
        return
    if versions.sysbuild_confirms_flashed_image(t):
        return          # judged only when every SDK version the project may use lacks the fix
    mcu = t.images.get("mcuboot")
    sym = "BOOT_DIRECT_XIP_REVERT" if lc.mode == "direct-xip-revert" else "BOOT_RAM_LOAD_REVERT"
    w = dfu.where(t, "mcuboot", sym) if mcu is not None and mcu.config is not None else None
    span = w.span if w is not None and w.span is not None else dfu.mcuboot_on(t).span
    yield hit(span, f"MCUboot runs {lc.mode}: it only boots an image whose trailer says 'confirmed' (or a test image "
              "it has not tried yet) and erases the others; the image a programmer writes (zephyr.signed.hex, "
              "merged.hex) carries no trailer, so the freshly flashed device erases its own application on the "
              "first boots and ends with 'Unable to find bootable image'", headline=f"MCUboot {lc.mode} erases a first image flashed without the confirmed flag",
              fix="set "
              "CONFIG_MCUBOOT_GENERATE_CONFIRMED_IMAGE=y in the application and flash zephyr.signed.confirmed.hex "
              "(or sign the first image with imgtool --confirm)", image="mcuboot", anchor="confirmed-image")


# ------------------------------------------------------------------ DFU903

_SLOT0 = ("slot0_partition", "slot0_ns_partition", "slot0_s_partition")


@rule("DFU903", "app-code-partition-not-slot", Severity.ERROR,
      "With MCUboot, the application is not linked into the primary slot", needs=("mcuboot",))
def app_code_partition_not_slot(t):
    ch = t.chain
    cp = ch.app_code if ch is not None else None
    if cp is None or not t.mcuboot_enabled or t.uses_pm:
        return
    if cp.label is not None:
        if cp.label in _SLOT0 or not cp.has_slot0 or cp.span is None:
            return
        lc = ch.lifecycle
        if cp.label.startswith("slot1") and lc is not None and (lc.mode or "").startswith("direct-xip"):
            return                  # direct-XIP's second build is linked for slot 1 on purpose
        yield hit(cp.span, f"zephyr,code-partition = &{cp.label}: with MCUboot the application must be linked into "
                  "the primary slot (slot0_partition), where MCUboot looks for it and jumps to; linked elsewhere it "
                  "either overwrites another partition when flashed or MCUboot reports 'Unable to find bootable "
                  "image'", headline="the application is not linked into slot0_partition: it overwrites MCUboot or never boots",
              fix="set zephyr,code-partition = &slot0_partition in the application's overlay",
                  image="app", anchor="zephyr,code-partition")
        return
    if not cp.complete or not cp.has_slot0:
        return                      # a board file dfulint does not have may choose it
    span = dfu.mcuboot_on(t).span
    yield hit(span, "the application's devicetree chooses no zephyr,code-partition, so with MCUboot it is linked at "
              "the start of flash (CONFIG_FLASH_LOAD_OFFSET=0) instead of into slot0_partition: flashing it "
              "overwrites MCUboot, and an image MCUboot does swap in starts at the wrong address (hard fault after "
              "'Jumping to the first image slot')", headline="no zephyr,code-partition with MCUboot: the application is linked over the bootloader",
              fix="add `chosen { zephyr,code-partition = &slot0_partition; };` "
              "to the board's devicetree or the application's overlay", image="app",
              anchor="zephyr,code-partition")


# ------------------------------------------------------------------ DFU904

@rule("DFU904", "mcuboot-code-partition", Severity.ERROR,
      "MCUboot's own image is linked into a partition other than boot_partition", needs=("mcuboot",))
def mcuboot_code_partition(t):
    ch = t.chain
    cp = ch.mcuboot_code if ch is not None else None
    if cp is None or not t.mcuboot_enabled or t.uses_pm or cp.label is None or cp.span is None:
        return
    if not cp.image_own:
        return                      # the board's choice: MCUboot's own app.overlay overrides it
    if cp.label == "boot_partition" or not cp.has_boot:
        return
    yield hit(cp.span, f"MCUboot's devicetree chooses zephyr,code-partition = &{cp.label}: MCUboot is then linked "
              "for that partition instead of boot_partition at the start of flash, so the bootloader the SoC starts "
              "is missing (nothing runs after reset) or is overwritten by the application it should boot (the line "
              "is typically copied from the application's overlay)", headline=f"MCUboot is linked into {cp.label} instead of boot_partition: no bootloader at reset",
              fix=f"remove the zephyr,code-partition line from "
              f"{_mcuboot_overlay(t)} (MCUboot chooses boot_partition itself)", image="mcuboot",
              anchor="zephyr,code-partition")


# ------------------------------------------------------------------ DFU905

@rule("DFU905", "image-header-misaligned", Severity.ERROR,
      "The image header size is not a multiple of the SoC's vector-table alignment", needs=("mcuboot",))
def image_header_misaligned(t):
    ch = t.chain
    h = ch.header if ch is not None else None
    if h is None or h.value is None or h.align is None or h.where.span is None:
        return
    if not t.mcuboot_enabled or (h.value % h.align == 0 and h.value >= h.align):
        return
    yield hit(h.where.span, f"{h.symbol}={_hex(h.value)}: MCUboot starts the image at slot start + header size, but "
              f"on this SoC the vector table needs {_hex(h.align)} alignment, so the linker places it at the next "
              f"{_hex(h.align)} boundary and MCUboot jumps into padding: the application never starts (hard fault "
              "or a hang right after 'I: Jumping to the first image slot')",
              headline=f"image header {_hex(h.value)} is not a multiple of the {_hex(h.align)} vector alignment: the app never starts",
              fix=f"set {h.symbol}={_hex(max(h.align, -(-h.value // h.align) * h.align))} (a multiple of "
              f"{_hex(h.align)}), or remove the line to keep the SoC's default", image=h.image, anchor=h.symbol)


# ------------------------------------------------------------------ DFU906

@rule("DFU906", "recovery-button-missing", Severity.ERROR,
      "Serial recovery is entered by a button, and MCUboot's devicetree has no usable mcuboot-button0", needs=("mcuboot",), ncs=((2, 4), None))
def recovery_button_missing(t):
    ch = t.chain
    r = ch.recovery if ch is not None else None
    if r is None or not r.button_required or not r.dt_complete:
        return
    if r.button is not None and r.button_has_gpios:
        return
    span = r.serial.span or dfu.mcuboot_on(t).span
    what = ("has no alias mcuboot-button0" if r.button is None else
            f"points alias mcuboot-button0 at {r.button.path}, which has no gpios property (a key behind an I/O "
            "expander or an input driver cannot be read by MCUboot)")
    yield hit(span, f"MCUboot's serial recovery is entered by holding a button (CONFIG_BOOT_SERIAL_ENTRANCE_GPIO, on by "
              f"default), but MCUboot's devicetree {what}: MCUboot's build stops with '#error \"Serial recovery/USB "
              "DFU button must be declared in device tree as 'mcuboot_button0'\"'",
              headline="MCUboot's devicetree has no usable mcuboot-button0: MCUboot's build stops",
              fix=f"add `/ {{ aliases {{ mcuboot-button0 = &button0; }}; }};` (a gpio-keys child) to "
              f"{_mcuboot_overlay(t)}, or set CONFIG_BOOT_SERIAL_ENTRANCE_GPIO=n and enter recovery another way "
              "(CONFIG_BOOT_SERIAL_BOOT_MODE, CONFIG_BOOT_SERIAL_WAIT_FOR_DFU)", image="mcuboot",
              anchor="mcuboot-button0")


# ------------------------------------------------------------------ DFU907

@rule("DFU907", "recovery-boot-mode-incomplete", Severity.WARNING,
      "Serial recovery by retained boot mode, without the boot-mode retention node in MCUboot's devicetree", needs=("mcuboot",))
def recovery_boot_mode_incomplete(t):
    ch = t.chain
    r = ch.recovery if ch is not None else None
    if r is None or r.boot_mode is None or r.boot_mode_chosen:
        return
    if r.app_boot_mode_chosen is None and not r.dt_complete:
        return
    span = r.boot_mode.span or r.serial.span or dfu.mcuboot_on(t).span
    only_app = (f"; the application's devicetree has it ({_rel(t, r.app_boot_mode_chosen)}), but MCUboot is a "
                "separate image that does not read the application's overlay") if r.app_boot_mode_chosen else ""
    yield hit(span, "CONFIG_BOOT_SERIAL_BOOT_MODE=y makes MCUboot enter serial recovery when the application "
              "rebooted with bootmode_set(BOOT_MODE_TYPE_BOOTLOADER), but MCUboot's devicetree has no "
              f"chosen zephyr,boot-mode retention area{only_app}: without it the retention boot-mode support "
              "is not built into MCUboot, the request is never read and the device boots the application again",
              headline="MCUboot has no zephyr,boot-mode retention node: recovery by boot mode never happens",
              fix=f"copy the retained-memory node, its zephyr,retention child and `chosen {{ zephyr,boot-mode = "
              f"...; }}` into {_mcuboot_overlay(t)}, with CONFIG_RETAINED_MEM=y, CONFIG_RETENTION=y and "
              "CONFIG_RETENTION_BOOT_MODE=y in MCUboot's configuration", image="mcuboot", anchor="zephyr,boot-mode",
              related=[r.app_boot_mode_chosen] if r.app_boot_mode_chosen is not None else [])


# ------------------------------------------------------------------ DFU908

@rule("DFU908", "recovery-uart-is-console", Severity.ERROR,
      "MCUboot's serial recovery UART is also its console", needs=("mcuboot",))
def recovery_uart_is_console(t):
    ch = t.chain
    r = ch.recovery if ch is not None else None
    if r is None or not (r.uart or r.cdc_acm) or not r.console_on or r.console_shared is not True:
        return
    w = dfu.where(t, "mcuboot", "UART_CONSOLE")
    span = w.span or r.serial.span or dfu.mcuboot_on(t).span
    if r.cdc_acm:
        err = ("'#error Zephyr UART console must be disabled if CDC ACM is enabled and MCUmgr has not been "
               "redirected to other UART with DTS chosen zephyr,uart-mcumgr.'")
        msg = ("MCUboot's serial recovery runs over USB CDC ACM while MCUboot's UART console is on and "
               "zephyr,uart-mcumgr does not point MCUmgr at another UART: MCUboot's build stops with " + err)
    else:
        err = "'#error Zephyr UART console must be disabled if serial_adapter module is used.'"
        msg = ("MCUboot's serial recovery talks MCUmgr on the UART chosen as zephyr,uart-mcumgr (or, without it, "
               "zephyr,console), and MCUboot's UART console is on the same device: MCUboot's build stops with "
               + err)
    yield hit(span, msg, headline="MCUboot's serial recovery UART is also its console: MCUboot's build stops",
              fix="set CONFIG_UART_CONSOLE=n in MCUboot's configuration (or choose a different zephyr,uart-mcumgr "
              f"in {_mcuboot_overlay(t)})", image="mcuboot", anchor="UART_CONSOLE")


# ------------------------------------------------------------------ DFU909

@rule("DFU909", "smp-bt-authentication-unreachable", Severity.WARNING,
      "SMP over Bluetooth requires authenticated pairing, which the application can never complete")
def smp_bt_authentication_unreachable(t):
    ch = t.chain
    s = ch.smp if ch is not None else None
    if s is None or s.level != "authen" or not s.bt_smp or s.c_files == 0:
        return
    if s.auth_callbacks or s.fixed_passkey:
        return
    span = s.where.span or dfu.mcuboot_on(t).span
    how = "set here" if s.where.how == "set here" else f"{s.where.how}"
    yield hit(span, f"the SMP Bluetooth characteristic needs an authenticated (MITM-protected) link ({s.where.symbol}, "
              f"{how}), but none of the application's {s.c_files} C files registers pairing callbacks "
              "(bt_conn_auth_cb_register with passkey or numeric comparison): pairing can only be 'Just Works', "
              "which reaches security level 2, not the level 3 the characteristic asks for; the phone's writes are "
              "refused ('Insufficient authentication') and the upload never starts",
              headline="SMP over Bluetooth needs authenticated pairing the app cannot do: uploads are refused",
              fix="register passkey display/entry callbacks with bt_conn_auth_cb_register(), or accept encrypted "
              "links without MITM (CONFIG_MCUMGR_TRANSPORT_BT_PERM_RW_ENCRYPT=y)", image="app",
              anchor="smp-bt-security")


# ------------------------------------------------------------------ DFU910

@rule("DFU910", "recovery-wait-broken-release", Severity.WARNING,
      "CONFIG_BOOT_SERIAL_WAIT_FOR_DFU in an NCS release whose MCUboot then does not boot the application", frameworks=("ncs",), needs=("mcuboot",))
def recovery_wait_broken_release(t):
    ch = t.chain
    r = ch.recovery if ch is not None else None
    if r is None or r.wait is None or r.wait.span is None or r.wait_broken is None:
        return
    _lo, hi, ref = r.wait_broken
    yield hit(r.wait.span, f"CONFIG_BOOT_SERIAL_WAIT_FOR_DFU=y in NCS {t.sdk}: MCUboot of this "
              "release waits for an MCUmgr command at every boot but, when none arrives, does not go on to "
              f"boot the application ({ref}); the device stays in the bootloader",
              headline="BOOT_SERIAL_WAIT_FOR_DFU in this NCS release keeps the device in MCUboot",
              fix=f"use NCS {'.'.join(map(str, hi))} or later, or enter recovery by button or boot mode "
              "instead of the wait", image="mcuboot", anchor="BOOT_SERIAL_WAIT_FOR_DFU")


# ------------------------------------------------------------------ DFU708

@rule("DFU708", "nsib-generated-key", Severity.INFO,
      "The immutable bootloader (b0) checks MCUboot with a key generated into the build folder", frameworks=("ncs",))
def nsib_generated_key(t):
    ch = t.chain
    n = ch.nsib if ch is not None else None
    if n is None or n.key is not None or n.on.span is None:
        return
    where = "sysbuild.conf" if n.sysbuild else dfu.app_conf_file(t)
    yield hit(n.on.span, f"the nRF Secure Immutable Bootloader is on without {n.key_symbol}: the build generates a "
              "new signing key pair in the build folder, and its public key goes into the device's OTP with b0. A "
              "clean build makes a different key, so an MCUboot update signed by another build is rejected by b0 "
              "on devices already in the field, and anyone with a copy of the build folder can sign for b0",
              headline="b0 verifies MCUboot with a key generated per build: later MCUboot updates are rejected",
              fix=f"generate a key once (e.g. `openssl ecparam -name prime256v1 -genkey -noout -out b0_priv.pem`), "
              f"keep it out of the repository, and set {n.key_symbol}=\"<path>\" in {where}", image="sysbuild"
              if n.sysbuild else "app", anchor=n.key_symbol)


# ------------------------------------------------------------------ DFU911

@rule("DFU911", "direct-xip-version-unset", Severity.INFO,
      "MCUboot picks the slot with the higher version, and every build gets the same version", needs=("mcuboot",))
def direct_xip_version_unset(t):
    ch = t.chain
    lc = ch.lifecycle if ch is not None else None
    if lc is None or lc.mode not in ("direct-xip", "direct-xip-revert", "ram-load", "ram-load-revert"):
        return
    if lc.version is not None or lc.version_file:
        return
    span = dfu.mcuboot_on(t).span
    yield hit(span, f"MCUboot runs {lc.mode}: it does not swap, it starts whichever slot holds the image with the "
              "higher version; this build sets no image version (CONFIG_MCUBOOT_IMGTOOL_SIGN_VERSION keeps "
              "\"0.0.0+0\" and the application has no VERSION file), so an uploaded update carries the same version "
              "as the running image and MCUboot keeps booting the old slot ('I: Image 0 loaded from the primary "
              "slot'); with revert it may even find no slot to load ('I: No slot to load for image 0'). If your release "
              "process passes the version on the command line, this does not apply",
              headline=f"{lc.mode} boots the higher version, and every build is 0.0.0+0: updates never start",
              fix="raise the version with every release: a VERSION file in the application folder (Zephyr 3.5 / "
              f"NCS 2.6 and later) or CONFIG_MCUBOOT_IMGTOOL_SIGN_VERSION=\"1.2.3+0\" in {dfu.app_conf_file(t)}",
              image="app", anchor="MCUBOOT_IMGTOOL_SIGN_VERSION")


# ------------------------------------------------------------------ DFU912

@rule("DFU912", "mcuboot-protect-too-large", Severity.ERROR,
      "On nRF54L, MCUboot's area is larger than the RRAM protection can cover", needs=("mcuboot",),
      ncs=((2, 8), None))
def mcuboot_protect_too_large(t):
    ch = t.chain
    p = ch.protection if ch is not None else None
    if p is None or p.limit is None or p.size <= p.limit:
        return
    span = p.where or dfu.mcuboot_on(t).span
    yield hit(span, f"MCUboot write-protects everything from {p.start} ({_hex(p.address)}) up to the primary slot, "
              f"{_hex(p.size)} ({p.size // 1024} KiB), before it starts the application; on nRF54L the RRAM controller "
              f"can protect at most {p.limit // 1024} KiB (two combined regions), so protection fails and MCUboot stops: "
              "'E: Protect mcuboot flash failed, cancel startup.'",
              headline=f"MCUboot's protected area is {p.size // 1024} KiB, nRF54L protects at most {p.limit // 1024} KiB: "
              "nothing boots", fix=f"keep the MCUboot partition (and its pad) within {p.limit // 1024} KiB "
              "(CONFIG_PM_PARTITION_SIZE_MCUBOOT in MCUboot's configuration, or the mcuboot entry of pm_static.yml); "
              "if the partition must keep its size for devices in the field, turn off CONFIG_FPROTECT in MCUboot only "
              "with another protection of the bootloader in place", image="mcuboot", anchor="mcuboot")


# ------------------------------------------------------------------ DFU509

@rule("DFU509", "mcumgr-workqueue-stack-small", Severity.WARNING,
      "The MCUmgr file-system group runs on an SMP work queue with a small stack")
def mcumgr_workqueue_stack_small(t):
    ch = t.chain
    s = ch.smp_stack if ch is not None else None
    if s is None or s.fs_group is None:
        return
    if s.size is not None and s.size >= 4096:
        return
    app = t.images.get("app")
    if app is not None and app.config is not None and app.config.enabled("NCS_SAMPLE_MCUMGR_BT_OTA_DFU"):
        return
    span = s.where.span if s.where is not None and s.where.span is not None else s.fs_group.span
    if span is None:
        return
    size = f"{s.size}" if s.size is not None else "its default of 2048 bytes"
    yield hit(span, f"MCUmgr's file-system group is enabled (CONFIG_MCUMGR_GRP_FS) and the SMP work queue that runs "
              f"every command keeps {size} of stack: a file upload (the path buffer, the file-access hook and the file "
              "system's write path) overflows it, the device logs '***** FATAL ERROR 2: Stack overflow *****' for "
              "thread 'mcumgr smp' and the client times out ('NMP timeout')",
              headline="MCUmgr file uploads overflow the SMP work queue's stack",
              fix=f"set CONFIG_MCUMGR_TRANSPORT_WORKQUEUE_STACK_SIZE=4096 (or more) in {dfu.app_conf_file(t)}",
              image="app", anchor="MCUMGR_TRANSPORT_WORKQUEUE_STACK_SIZE")


# ------------------------------------------------------------------ DFU913

@rule("DFU913", "upload-never-confirmed", Severity.INFO,
      "MCUmgr uploads are tested and reverted unless the uploader confirms them; the application never does",
      needs=("mcuboot",))
def upload_never_confirmed(t):
    ch = t.chain
    lc = ch.lifecycle if ch is not None else None
    if lc is None or not lc.reverts or not lc.mcumgr or lc.c_files == 0:
        return
    if lc.confirms or lc.library is not None or lc.requests or lc.dfu_target is not None:
        return                      # confirmed in code, by a library, or DFU901's case
    grp = dfu.facts(t).image_group
    span = grp.span if grp is not None and grp.span is not None else dfu.mcuboot_on(t).span
    n = lc.c_files
    yield hit(span, f"MCUboot runs {lc.mode} and images arrive through MCUmgr image management, but none of the {n} C "
              f"file{'s' if n != 1 else ''} of this app confirms the running image: an image uploaded as 'test' runs "
              "once and is reverted at the next reset unless the uploader reconnects after the reset and sends "
              "'image confirm' (nRF Connect Device Manager's 'Test and confirm' cannot when the new image advertises "
              "under another name or the phone loses the connection; MCUboot then logs 'Swap type: revert')",
              headline="uploads are only kept if the phone confirms them after the reset; the app never confirms",
              fix="confirm in the application once the new image works (boot_write_img_confirmed(), "
              "<zephyr/dfu/mcuboot.h>), or upload with 'Confirm only' / `mcumgr image confirm <hash>` before the reset",
              image="app", anchor="image-confirm")
