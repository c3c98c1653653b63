"""7xx: security of the update path.

Who can put firmware on the device, and with what. Every sample is written for development
(MCUboot's development key, SMP over Bluetooth without pairing, serial recovery), so these are
posture rules: `info` in the development profile (the default), and `error` in the release
profile, where shipping them is a real vulnerability. A finding that rests on a weaker fact (an
inference, a channel that needs the device in hand) is a `warning` in the release profile. A
rule's severity never grows because another posture finding holds as well.
"""
from __future__ import annotations

from dfulint.checks import hit, rule
from dfulint.core import Severity
from dfulint.model import dfu, versions

_KEYGEN_TYPE = {"RSA": "rsa-2048", "ECDSA_P256": "ecdsa-p256", "ED25519": "ed25519"}


def _signature_type(t) -> str:
    """RSA, ECDSA_P256, ED25519 or NONE, as MCUboot is built ("" when unknown)."""
    cfgs = []
    if t.sysbuild is not None and t.sysbuild.config is not None:
        cfgs.append(t.sysbuild.config)
    mcu = t.images.get("mcuboot")
    if mcu is not None and mcu.config is not None:
        cfgs.append(mcu.config)
    for cfg in cfgs:
        for typ in ("NONE", "RSA", "ECDSA_P256", "ED25519"):
            if cfg.enabled("BOOT_SIGNATURE_TYPE_" + typ):
                return typ
    return ""


def anyone_can_sign(t) -> str:
    """Why anyone can produce an image MCUboot accepts ("" when they cannot)."""
    f = dfu.facts(t)
    if f.signature_none is not None:
        return "MCUboot checks no signature (BOOT_SIGNATURE_TYPE_NONE)"
    if f.signing is not None and f.signing.default:
        return f"images are signed with MCUboot's published development key {f.signing.file}"
    return ""


def _key_fix(t) -> str:
    typ = _signature_type(t) or ("ECDSA_P256" if t.sysbuild is not None else "RSA")
    kt = _KEYGEN_TYPE.get(typ, "ecdsa-p256")
    gen = f"generate a private key (`imgtool keygen -k priv.pem -t {kt}`), keep it out of the repository, and "
    if t.sysbuild is not None:
        return gen + 'set SB_CONFIG_BOOT_SIGNATURE_KEY_FILE="\\${APP_DIR}/priv.pem" (or an absolute path) in sysbuild.conf'
    if t.build_system == "child_image":
        return gen + f'set CONFIG_BOOT_SIGNATURE_KEY_FILE="/absolute/path/priv.pem" in {dfu.mcuboot_conf_file(t)}'
    return gen + (f'set CONFIG_MCUBOOT_SIGNATURE_KEY_FILE="/absolute/path/priv.pem" in {dfu.app_conf_file(t)} and '
                  "build MCUboot with the same key")


# ------------------------------------------------------------------ DFU701

def _bt_auth(t, cfg, bt):
    """(level, symbol decided by, Where or None, how) with level one of authen/encrypt/none/unknown."""
    if bt.symbol == "MCUMGR_SMP_BT":
        v = cfg.get("MCUMGR_SMP_BT_AUTHEN")
        if v.value == "y":
            return "authen", None, None, ""
        return "none", "MCUMGR_SMP_BT_AUTHEN", dfu.where(t, "app", "MCUMGR_SMP_BT_AUTHEN"), ""
    for sym, level in (("MCUMGR_TRANSPORT_BT_PERM_RW_AUTHEN", "authen"), ("MCUMGR_TRANSPORT_BT_PERM_RW_ENCRYPT", "encrypt"),
                       ("MCUMGR_TRANSPORT_BT_PERM_RW", "none")):
        if cfg.enabled(sym):
            return level, sym, dfu.where(t, "app", sym), ""
    v = cfg.get("MCUMGR_TRANSPORT_BT_AUTHEN")
    if v.value == "y":
        return "authen", None, None, ""
    return "none", "MCUMGR_TRANSPORT_BT_AUTHEN", dfu.where(t, "app", "MCUMGR_TRANSPORT_BT_AUTHEN"), ""


def _bt_fix(t, bt, cfg) -> str:
    pairing = ("and pair with a method that authenticates (passkey or OOB; CONFIG_BT_SMP=y and auth callbacks "
               "in the application)")
    if bt.symbol == "MCUMGR_SMP_BT":
        return f"delete `CONFIG_MCUMGR_SMP_BT_AUTHEN=n` (the default is y) {pairing}"
    if dfu.defined(t, "MCUMGR_TRANSPORT_BT_PERM_RW_AUTHEN"):
        return f"set CONFIG_MCUMGR_TRANSPORT_BT_PERM_RW_AUTHEN=y in {dfu.app_conf_file(t)} {pairing}"
    return f"set CONFIG_MCUMGR_TRANSPORT_BT_AUTHEN=y in {dfu.app_conf_file(t)} {pairing}"


@rule("DFU701", "smp-bt-unauthenticated", Severity.INFO,
      "MCUmgr over Bluetooth accepts commands without pairing: anyone in radio range can upload firmware",
      posture=True, release=(Severity.ERROR, Severity.WARNING))
def smp_bt_unauthenticated(t):
    app = t.images.get("app")
    if app is None or app.config is None:
        return
    f = dfu.facts(t)
    bt = f.transport("bt")
    if bt is None or f.image_group is None:
        return
    cfg = app.config
    level, sym, w, _ = _bt_auth(t, cfg, bt)
    if level == "authen":
        return
    inferred = False
    span, how = None, ""
    sample = cfg.enabled("NCS_SAMPLE_MCUMGR_BT_OTA_DFU")
    if w is not None and w.how == "set here" and w.span is not None:
        span, how = w.span, f"CONFIG_{sym}{'=y' if level != 'none' or 'PERM' in (sym or '') else '=n'} is set here"
    elif sample:
        sw = dfu.where(t, "app", "NCS_SAMPLE_MCUMGR_BT_OTA_DFU")
        span = sw.span
        how = ("CONFIG_NCS_SAMPLE_MCUMGR_BT_OTA_DFU makes the SMP characteristic default to no authentication "
               f"(CONFIG_{sym}{'=y' if 'PERM' in (sym or '') else '=n'})")
    else:
        span = bt.where.span
        how = (f"CONFIG_BT_SMP is not enabled in the application's fragments, so CONFIG_{sym or 'MCUMGR_TRANSPORT_BT_AUTHEN'} "
               "defaults to no authentication (unless other Kconfig enables BT_SMP)")
        inferred = True
    if span is None:
        span = bt.where.span or dfu.mcuboot_on(t).span
    open_to = anyone_can_sign(t)
    if level == "encrypt":
        what = ("MCUmgr's SMP characteristic requires an encrypted link but not an authenticated one: any phone can "
                "pair with 'Just Works' and then upload, test, confirm and erase images and reset the device")
    else:
        what = ("MCUmgr's SMP characteristic accepts writes without pairing: anyone in Bluetooth range can upload an "
                "image, mark it for test or confirm, erase the slot and reset the device")
    # release profile: an inference, or a link that needs pairing first, is a warning
    severity = Severity.WARNING if inferred or level == "encrypt" else None
    if open_to:
        what += f"; and {open_to}, so they can install firmware of their own"
    elif level != "encrypt":
        what += " (MCUboot still rejects images without a valid signature)"
    if level == "encrypt":
        head = "SMP over Bluetooth needs no authenticated pairing: any phone can pair and upload firmware"
    else:
        head = "SMP over Bluetooth accepts writes without pairing: anyone in range can upload firmware"
    yield hit(span, f"{what} ({how})", headline=head, fix=_bt_fix(t, bt, cfg), image="app",
              anchor="smp-bt-auth", severity=severity)


# ------------------------------------------------------------------ DFU702

@rule("DFU702", "default-signing-key", Severity.INFO,
      "Images are signed with MCUboot's public development key",
      posture=True)
def default_signing_key(t):
    f = dfu.facts(t)
    k = f.signing
    if k is None or not k.default or f.signature_none is not None:
        return
    span = k.where.span if k.where.how == "set here" else None
    if span is not None:
        how = f'{k.symbol}="{k.value}" is set here'
    else:
        on = dfu.mcuboot_on(t)
        span = on.span
        how = (f"no signing key is configured, so {k.symbol} defaults to {k.file} from MCUboot's repository"
               f"; MCUboot is enabled here{'' if not on.symbol else ' by ' + on.symbol}")
    yield hit(span, f"images are signed with MCUboot's development key {k.file}: its private key is published with "
              "MCUboot, so anyone can sign an image this bootloader accepts; the build only warns 'Using default "
              f"MCUboot signing key file' ({how})",
              headline=f"signed with MCUboot's published key {k.file}: anyone can sign firmware it accepts",
              fix=_key_fix(t), image=k.image, anchor="signing-key")


# ------------------------------------------------------------------ DFU703

@rule("DFU703", "downgrade-prevention-off", Severity.INFO,
      "MCUboot installs an older signed image: downgrade prevention is off",
      needs=("mcuboot",),
      posture=True)
def downgrade_prevention_off(t):
    mcu, app = t.images.get("mcuboot"), t.images.get("app")
    if mcu is None or mcu.config is None:
        return
    mode = dfu.mcuboot_mode(t)
    if mode in ("direct-xip", "direct-xip-revert", "ram-load"):
        return                      # these boot the highest version by design
    c = mcu.config
    sb = t.sysbuild.config if t.sysbuild is not None else None
    on = (c.enabled("MCUBOOT_DOWNGRADE_PREVENTION") or c.enabled("MCUBOOT_HW_DOWNGRADE_PREVENTION")
          or (app is not None and app.config is not None and app.config.enabled("MCUBOOT_HARDWARE_DOWNGRADE_PREVENTION"))
          or (sb is not None and sb.enabled("MCUBOOT_HARDWARE_DOWNGRADE_PREVENTION")))
    if on:
        return
    f = dfu.facts(t)
    path = f.image_group is not None or c.enabled("MCUBOOT_SERIAL") or (
        app is not None and app.config is not None and app.config.enabled("DFU_TARGET_MCUBOOT"))
    dest = dfu.mcuboot_conf_file(t)
    dropped = [d for d in c.dropped if d.assignment.name == "MCUBOOT_DOWNGRADE_PREVENTION" and d.reason != "forced"]
    if dropped:
        d = dropped[-1]
        a = d.assignment
        if versions.downgrade_prevention_any_mode(t) is not True and mode != "overwrite-only":
            why = ("in this MCUboot (NCS before 2.2) downgrade prevention works only in overwrite-only mode; with "
                   f"{mode} Kconfig drops it ('was assigned the value y but got the value n')")
            fix = (f"add CONFIG_BOOT_UPGRADE_ONLY=y to {dest} (and the matching application mode), or move to "
                   "NCS 2.2 or later, where swap modes support it")
        else:
            why = f"Kconfig drops it: {d.detail}"
            fix = "enable what it depends on in the same image"
        yield hit(a.span, f"{a.full_name}=y is asked for but has no effect: {why}, so MCUboot installs older signed "
                  "images and an attacker can roll the device back to firmware with known vulnerabilities",
                  headline=f"{a.full_name}=y has no effect: MCUboot still installs older signed images",
                  fix=fix, image="mcuboot", anchor="downgrade-prevention")
        return
    if not path:
        return
    a = dfu.user_assignment(mcu, "MCUBOOT_DOWNGRADE_PREVENTION")
    if a is not None and a.value_without_comment[:1] == "n":
        span, how = a.span, f"{a.full_name}=n is set here"
    else:
        span, how = dfu.mcuboot_on(t).span, "MCUBOOT_DOWNGRADE_PREVENTION is off by default"
    hw = ""
    if t.soc is not None and (str(t.soc.name).startswith("nrf5340_cpuapp") or t.soc.family in ("nrf91", "nrf54l")) \
            and t.sysbuild is not None:
        hw = " or SB_CONFIG_MCUBOOT_HARDWARE_DOWNGRADE_PREVENTION=y in sysbuild.conf (hardware counter)"
    old = " together with CONFIG_BOOT_UPGRADE_ONLY=y" if (versions.downgrade_prevention_any_mode(t) is False
                                                          and mode != "overwrite-only") else ""
    ver_sym = "MCUBOOT_IMAGE_VERSION" if dfu.defined(t, "MCUBOOT_IMAGE_VERSION") else "MCUBOOT_IMGTOOL_SIGN_VERSION"
    yield hit(span, "MCUboot accepts an update with a lower version than the running image: anyone who can upload "
              "an image signed with your key (an old release) can roll the device back to firmware with known "
              f"vulnerabilities ({how})",
              headline="downgrade prevention is off: an old signed release can roll the device back",
              fix=f"set CONFIG_MCUBOOT_DOWNGRADE_PREVENTION=y{old} in {dest}{hw}, and raise the image version "
              f"(CONFIG_{ver_sym}{' or the VERSION file' if ver_sym.endswith('SIGN_VERSION') else ''}) with every "
              "release",
              image="mcuboot", anchor="downgrade-prevention")


# ------------------------------------------------------------------ DFU704

@rule("DFU704", "serial-recovery-unprotected", Severity.INFO,
      "MCUboot serial recovery accepts images over UART/USB without authentication",
      needs=("mcuboot",),
      posture=True, release=(Severity.ERROR, Severity.WARNING))
def serial_recovery_unprotected(t):
    mcu = t.images.get("mcuboot")
    if mcu is None or mcu.config is None or not mcu.config.enabled("MCUBOOT_SERIAL"):
        return
    c = mcu.config
    w = dfu.where(t, "mcuboot", "MCUBOOT_SERIAL")
    span = w.span or dfu.mcuboot_on(t).span
    port = "USB (CDC ACM)" if c.enabled("BOOT_SERIAL_CDC_ACM") else "the UART"
    ways = []
    for sym, text in (("BOOT_SERIAL_WAIT_FOR_DFU", "waits for a recovery command on every boot"),
                      ("BOOT_SERIAL_BOOT_MODE", "enters recovery when the application asks for it through retained "
                                                "memory"),
                      ("BOOT_SERIAL_PIN_RESET", "enters recovery after a pin reset")):
        if c.enabled(sym):
            ways.append(f"{text} (CONFIG_{sym})")
    # release profile: recovery entered without physical action is an error, by button a warning
    severity = None if ways else Severity.WARNING
    entry = "; it " + " and ".join(ways) if ways else "; it is entered with the recovery button"
    open_to = anyone_can_sign(t)
    tail = (f"; and {open_to}, so anyone with the port can install firmware of their own" if open_to
            else " (images must still carry a valid signature)")
    yield hit(span, f"MCUboot serial recovery is enabled: anyone with access to {port} can upload images, erase "
              f"slots and reset the device through MCUboot's SMP server, which has no authentication{entry}{tail}",
              headline=f"MCUboot serial recovery has no authentication: anyone at {port} can upload images",
              fix=f"enter recovery only by the button (CONFIG_BOOT_SERIAL_ENTRANCE_GPIO, no CONFIG_BOOT_SERIAL_WAIT_FOR_DFU),"
              f" sign with your own key, or set CONFIG_MCUBOOT_SERIAL=n in {dfu.mcuboot_conf_file(t)} for production",
              image="mcuboot", anchor="MCUBOOT_SERIAL", severity=severity)


# ------------------------------------------------------------------ DFU705

@rule("DFU705", "smp-unauthenticated-transport", Severity.INFO,
      "MCUmgr image management over UART, the shell or UDP, which have no authentication",
      posture=True, release=(Severity.ERROR, Severity.WARNING))
def smp_unauthenticated_transport(t):
    f = dfu.facts(t)
    if f.image_group is None:
        return
    open_to = anyone_can_sign(t)
    for tr in f.transports:
        if tr.kind == "bt":
            continue
        span = tr.where.span or f.image_group.span
        if span is None:
            continue
        # release profile: reachable over the network is an error; a wired port needs the device in hand
        if tr.kind == "udp":
            who, severity = "anyone who can send it a UDP packet on the network", None
        else:
            who, severity = f"anyone with access to {dfu.TRANSPORT_TEXT[tr.kind]}", Severity.WARNING
        tail = (f"; and {open_to}, so they can install firmware of their own" if open_to else
                " (MCUboot still rejects images without a valid signature)")
        yield hit(span, f"MCUmgr image management is reachable over {dfu.TRANSPORT_TEXT[tr.kind]} "
                  f"(CONFIG_{tr.symbol}, {tr.where.how}), which has no authentication: {who} can upload, test, "
                  f"confirm and erase images and reset the device{tail}",
                  headline=f"MCUmgr image upload over {dfu.TRANSPORT_TEXT[tr.kind]} has no authentication "
                           f"(CONFIG_{tr.symbol})",
                  fix=f"keep CONFIG_{tr.symbol} for development builds only (a separate overlay), or protect the "
                  "channel (" + ("a VPN/DTLS tunnel or firewall" if tr.kind == "udp" else
                                 "no exposed connector, or a shell login with CONFIG_SHELL_LOGIN-style access control")
                  + ")", image="app", anchor=tr.symbol, severity=severity)


# ------------------------------------------------------------------ DFU706

@rule("DFU706", "default-encryption-key", Severity.INFO,
      "Update images are encrypted with MCUboot's published example key",
      posture=True)
def default_encryption_key(t):
    f = dfu.facts(t)
    k = f.encryption
    if k is None or not k.default:
        return
    span = k.where.span if k.where.how in ("set here",) and k.where.span is not None else None
    if span is None:
        on = None
        if t.sysbuild is not None and t.sysbuild.config is not None:
            on = dfu.where(t, "sysbuild", "BOOT_ENCRYPTION").span
        else:
            for sym in ("BOOT_ENCRYPT_IMAGE", "BOOT_ENCRYPT_EC256", "BOOT_ENCRYPT_RSA", "BOOT_ENCRYPT_X25519"):
                w = dfu.where(t, "mcuboot", sym)
                if w.span is not None and w.how == "set here":
                    on = w.span
                    break
        span = on or k.where.span or dfu.mcuboot_on(t).span
        how = f"encryption is switched on here and {k.symbol} is left at its default {k.file}"
    else:
        how = f"{k.symbol} is set to {k.file} here"
    if t.sysbuild is not None:
        fix = ('generate your own key (`imgtool keygen -k enc-priv.pem -t x25519` or `-t ecdsa-p256`, matching the '
               'signature type) and set SB_CONFIG_BOOT_ENCRYPTION_KEY_FILE="\\${APP_DIR}/enc-priv.pem" in sysbuild.conf')
    else:
        fix = ('generate your own key (`imgtool keygen -k enc-priv.pem -t ecdsa-p256`, or rsa-2048/x25519 matching the '
               f'encryption type) and set CONFIG_BOOT_ENCRYPTION_KEY_FILE="/absolute/path/enc-priv.pem" in '
               f'{dfu.mcuboot_conf_file(t)}')
    yield hit(span, f"update images are encrypted for MCUboot's example key {k.file}, whose private half is published "
              f"in the MCUboot repository: anyone can decrypt your firmware images, so the encryption protects "
              f"nothing ({how})", headline=f"images are encrypted for MCUboot's published key {k.file}: anyone can "
                                           "decrypt them", fix=fix, image=k.image, anchor="encryption-key")


# ------------------------------------------------------------------ DFU707

@rule("DFU707", "signature-check-disabled", Severity.INFO,
      "MCUboot is built without image signature verification",
      posture=True)
def signature_check_disabled(t):
    f = dfu.facts(t)
    w = f.signature_none
    if w is None:
        return
    span = w.span or dfu.mcuboot_on(t).span
    paths = []
    if f.image_group is not None:
        paths.append("MCUmgr")
    mcu = t.images.get("mcuboot")
    if mcu is not None and mcu.config is not None and mcu.config.enabled("MCUBOOT_SERIAL"):
        paths.append("serial recovery")
    via = f" over {' and '.join(paths)}" if paths else ""
    if t.sysbuild is not None:
        fix = ("choose SB_CONFIG_BOOT_SIGNATURE_TYPE_ECDSA_P256 (or ED25519/RSA) in sysbuild.conf and set "
               "SB_CONFIG_BOOT_SIGNATURE_KEY_FILE to your own key")
    else:
        fix = (f"select CONFIG_BOOT_SIGNATURE_TYPE_ECDSA_P256 (or ED25519/RSA) in {dfu.mcuboot_conf_file(t)} and "
               "set CONFIG_BOOT_SIGNATURE_KEY_FILE to your own key")
    yield hit(span, f"{w.symbol}=y: MCUboot checks only the image hash, so any image anyone builds is installed"
              f"{via}; nothing ties the firmware to you",
              headline=f"{w.symbol}=y: MCUboot checks no signature and installs any image", fix=fix, image="sysbuild" if t.sysbuild is not None
              else "mcuboot", anchor="signature-type")
