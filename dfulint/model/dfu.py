"""Facts about a target's update path, derived from its evaluated configuration.

The cross-image (5xx) and security (7xx) rules ask the same questions: which MCUmgr transports the
application runs, whether it has image management, which key signs the images, where MCUboot is
switched on, and which file a MCUboot setting has to go to for this build system and SDK version.
They are answered here, once, from the model; no file is read.
"""
from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

from dfulint.core import Span
from dfulint.model.query import paths, user_assignment, where_text
from dfulint.records import NamedTuple

TYPE_CHECKING = False      # (typing.TYPE_CHECKING without importing typing)
if TYPE_CHECKING:
    from typing import Optional

# MCUboot's development keys (the private halves are published in the MCUboot repository)
DEV_SIGNING_KEYS = ("root-rsa-2048.pem", "root-rsa-3072.pem", "root-ec-p256.pem", "root-ed25519.pem",
                    "root-x25519.pem", "root-ec-p384.pem")
DEV_ENCRYPTION_KEYS = ("enc-rsa2048-priv.pem", "enc-rsa2048-pub.pem", "enc-ec256-priv.pem", "enc-ec256-pub.pem",
                       "enc-x25519-priv.pem", "enc-x25519-pub.pem", "enc-aes128kw.b64", "enc-aes256kw.b64")

# transport kind -> (name up to NCS 2.3, name from NCS 2.4)
TRANSPORTS = {
    "bt": ("MCUMGR_SMP_BT", "MCUMGR_TRANSPORT_BT"),
    "uart": ("MCUMGR_SMP_UART", "MCUMGR_TRANSPORT_UART"),
    "shell": ("MCUMGR_SMP_SHELL", "MCUMGR_TRANSPORT_SHELL"),
    "udp": ("MCUMGR_SMP_UDP", "MCUMGR_TRANSPORT_UDP"),
}
TRANSPORT_TEXT = {"bt": "Bluetooth LE", "uart": "UART", "shell": "the shell", "udp": "UDP"}
IMG_GROUP = ("MCUMGR_CMD_IMG_MGMT", "MCUMGR_GRP_IMG")
# sub-options that look like transport names but are not transports
_NOT_TRANSPORT = (r"_(AUTHEN|PERM|REASSEMBLY|CONN_PARAM|NETBUF|WORKQUEUE|BUF|MTU|RX_BUF|LOG|"
                  r"DUMMY|SMP_REASSEMBLY|UART_ASYNC|RAW_UART|SHELL_MTU)")


class Where(NamedTuple):
    """The place a value comes from, for a finding: the line to edit and how it got its value."""

    span: Optional[Span]          # None: a default nobody wrote
    how: str                      # "set here", "default", "selected by X", "forced by sysbuild", ...
    symbol: str = ""              # the symbol whose line `span` is (may differ from the one asked about)


class Transport(NamedTuple):
    """One way an image can receive an update (SMP over BLE, UART, USB, ...)."""
    kind: str                     # "bt", "uart", "shell", "udp"
    symbol: str                   # the name that is set (old or new)
    where: Where


class Key(NamedTuple):
    """A signing or encryption key setting of an image and where it comes from."""
    kind: str                     # "signing" or "encryption"
    image: str                    # "mcuboot", "sysbuild" or "app": the image whose setting decides
    symbol: str                   # full name: CONFIG_BOOT_SIGNATURE_KEY_FILE, SB_CONFIG_...
    value: Optional[str]          # the path as configured ("" or None when unset)
    default: bool                 # one of MCUboot's published development keys
    file: str                     # the key's file name
    where: Where


class DfuFacts(NamedTuple):
    """What a target's update path looks like: transports, signing, encryption, MCUboot."""
    transports: tuple = ()                                # (Transport, ...)
    image_group: Optional[Where] = None                   # MCUmgr image management enabled here
    signing: Optional[Key] = None
    signature_none: Optional[Where] = None                # MCUboot built without signature check
    encryption: Optional[Key] = None                      # None: images not encrypted
    mcuboot_on: Optional[Where] = None                    # where MCUboot is switched on

    def transport(self, kind: str):
        """The first transport of this kind ("bt", "uart", "shell", "udp"), or None."""
        return next((x for x in self.transports if x.kind == kind), None)


def eval_version(t) -> tuple:
    """The SDK version the model evaluated Kconfig for (plain Zephyr mapped onto NCS)."""
    return t.eval_version


def defined(t, sym: str, image: str = "app") -> bool:
    """Whether the image's Kconfig defines `sym` in the evaluated SDK version."""
    from dfulint.model.kconfig import status_in
    return status_in(sym, image, eval_version(t))[0] == "ok"


def where(t, image: str, sym: str, depth: int = 0) -> Where:
    """Where `sym`'s value in `image` ("app", "mcuboot", "sysbuild") comes from."""
    img = t.sysbuild if image == "sysbuild" else t.images.get(image)
    cfg = img.config if img is not None else None
    if cfg is None:
        return Where(None, "unknown", sym)
    v = cfg.get(sym)
    if v.assignments and v.origin in ("fragment", "forced"):
        a = v.assignments[-1]
        if not in_project(a.span):
            return Where(None, f"the board's default ({a.span.path})", sym)
        return Where(a.span, "forced by sysbuild" if v.origin == "forced" else "set here", sym)
    note = v.note or ""
    m = " by " in note and re.match(r"(?:.*; )?(selected|implied) by ([A-Z0-9_]+)", note)
    if m and depth < 3:
        w = where(t, image, m.group(2), depth + 1)
        if w.span is not None:
            return Where(w.span, f"{m.group(1)} by {m.group(2)}", w.symbol)
    if v.assignments and in_project(v.assignments[-1].span):
        a = v.assignments[-1]
        return Where(a.span, v.origin, sym)
    return Where(None, v.note or v.origin, sym)


def in_project(span: Optional[Span]) -> bool:
    """False for spans that name SDK files dfulint knows as data (a board's Kconfig.sysbuild)."""
    return span is not None and not str(span.path).startswith("<")


def mcuboot_mode(t) -> Optional[str]:
    """MCUboot's mode including the revert variant of direct-XIP."""
    mode = t.mode
    mcu = t.images.get("mcuboot")
    if mode == "direct-xip" and mcu is not None and mcu.config is not None \
            and mcu.config.enabled("BOOT_DIRECT_XIP_REVERT"):
        return "direct-xip-revert"
    return mode


def mcuboot_on(t) -> Where:
    """Where MCUboot is switched on for this build."""
    if t.sysbuild is not None and t.sysbuild.config is not None:
        w = where(t, "sysbuild", "BOOTLOADER_MCUBOOT")
        if w.span is not None:
            return Where(w.span, w.how, "SB_CONFIG_BOOTLOADER_MCUBOOT")
    a = user_assignment(t.images.get("app"), "BOOTLOADER_MCUBOOT")
    if a is not None:
        return Where(a.span, "set here", "CONFIG_BOOTLOADER_MCUBOOT")
    app = t.images.get("app")
    paths = app.conf_paths if app is not None else []
    path = paths[0] if paths else t.app.root / "prj.conf"
    return Where(Span(path, 1, 1), "the application's configuration", "")


def mcuboot_conf_file(t) -> str:
    """The file a MCUboot Kconfig setting goes in, for this build system."""
    mcu = t.images.get("mcuboot")
    if t.build_system == "child_image":
        if mcu is not None and mcu.replaces_defaults is not None and paths(t).has_file(Path(mcu.replaces_defaults)):
            return t.app.rel(mcu.replaces_defaults)
        return "child_image/mcuboot.conf"
    if t.sysbuild is not None or t.build_system == "sysbuild":
        if mcu is not None and mcu.replaces_defaults is not None and \
                paths(t).has_file(t.app.root / "sysbuild" / "mcuboot" / "prj.conf"):
            return "sysbuild/mcuboot/prj.conf"
        return "sysbuild/mcuboot.conf"
    return "the MCUboot build's configuration (MCUboot is built separately from this app)"


def app_conf_file(t) -> str:
    app = t.images.get("app")
    if app is not None and app.conf_paths:
        return t.app.rel(app.conf_paths[0])
    return "prj.conf"


def sysbuild_conf_file(t) -> str:
    return "sysbuild.conf"


def _basename(path: str) -> str:
    p = path.replace("\\", "/")
    return PurePosixPath(p).name if p else ""


def _key(t, kind: str, image: str, sym: str, prefix: str, names: tuple) -> Optional[Key]:
    img = t.sysbuild if image == "sysbuild" else t.images.get(image)
    if img is None or img.config is None:
        return None
    v = img.config.get(sym)
    val = v.value if isinstance(v.value, str) and v.value not in ("y", "n") else None
    if val is None:
        return None
    name = _basename(val)
    default = name in names
    w = where(t, image, sym)
    return Key(kind, image, prefix + sym, val, default, name, w)


def signing_key(t) -> Optional[Key]:
    """The key MCUboot verifies images with (and the build signs them with)."""
    if not t.mcuboot_enabled:
        return None
    if t.sysbuild is not None and t.sysbuild.config is not None:
        return _key(t, "signing", "sysbuild", "BOOT_SIGNATURE_KEY_FILE", "SB_CONFIG_", DEV_SIGNING_KEYS)
    mcu = t.images.get("mcuboot")
    if mcu is not None and mcu.config is not None and t.build_system == "child_image":
        return _key(t, "signing", "mcuboot", "BOOT_SIGNATURE_KEY_FILE", "CONFIG_", DEV_SIGNING_KEYS)
    k = _key(t, "signing", "app", "MCUBOOT_SIGNATURE_KEY_FILE", "CONFIG_", DEV_SIGNING_KEYS)
    return k if k is not None and k.value else None


def signature_none(t) -> Optional[Where]:
    if not t.mcuboot_enabled:
        return None
    if t.sysbuild is not None and t.sysbuild.config is not None:
        if t.sysbuild.config.enabled("BOOT_SIGNATURE_TYPE_NONE"):
            w = where(t, "sysbuild", "BOOT_SIGNATURE_TYPE_NONE")
            return Where(w.span, w.how, "SB_CONFIG_BOOT_SIGNATURE_TYPE_NONE")
        return None
    mcu = t.images.get("mcuboot")
    if mcu is not None and mcu.config is not None and t.build_system == "child_image" \
            and mcu.config.enabled("BOOT_SIGNATURE_TYPE_NONE"):
        w = where(t, "mcuboot", "BOOT_SIGNATURE_TYPE_NONE")
        return Where(w.span, w.how, "CONFIG_BOOT_SIGNATURE_TYPE_NONE")
    return None


def encryption_key(t) -> Optional[Key]:
    """The key images are encrypted for, when MCUboot decrypts updates; None when they are not."""
    if not t.mcuboot_enabled:
        return None
    if t.sysbuild is not None and t.sysbuild.config is not None:
        if not t.sysbuild.config.enabled("BOOT_ENCRYPTION"):
            return None
        return _key(t, "encryption", "sysbuild", "BOOT_ENCRYPTION_KEY_FILE", "SB_CONFIG_", DEV_ENCRYPTION_KEYS)
    mcu = t.images.get("mcuboot")
    if mcu is None or mcu.config is None or t.build_system != "child_image":
        return None
    c = mcu.config
    if not any(c.enabled(s) for s in ("BOOT_ENCRYPT_IMAGE", "BOOT_ENCRYPT_RSA", "BOOT_ENCRYPT_EC256",
                                      "BOOT_ENCRYPT_X25519")):
        return None
    k = _key(t, "encryption", "mcuboot", "BOOT_ENCRYPTION_KEY_FILE", "CONFIG_", DEV_ENCRYPTION_KEYS)
    if k is None:
        # before NCS 2.0 the key file was not a Kconfig option: imgtool used MCUboot's enc-*.pem
        return Key("encryption", "mcuboot", "CONFIG_BOOT_ENCRYPT_*", None, True, "enc-*.pem",
                   where(t, "mcuboot", next(s for s in ("BOOT_ENCRYPT_IMAGE", "BOOT_ENCRYPT_RSA",
                                                         "BOOT_ENCRYPT_EC256", "BOOT_ENCRYPT_X25519")
                                             if c.enabled(s))))
    return k


def transports(t) -> list:
    app = t.images.get("app")
    if app is None or app.config is None:
        return []
    out = []
    for kind, names in TRANSPORTS.items():
        for n in names:
            if app.config.enabled(n):
                out.append(Transport(kind, n, where(t, "app", n)))
                break
    return out


def other_transport_assignments(t) -> list:
    """MCUMGR_TRANSPORT_*/MCUMGR_SMP_* transports dfulint does not model, set to y in the app."""
    out = []
    known = {n for names in TRANSPORTS.values() for n in names}
    for frag in (t.images["app"].fragments if "app" in t.images else []):
        for a in frag.assignments:
            n = a.name
            if n in known or not re.match(r"MCUMGR_(TRANSPORT|SMP)_[A-Z0-9_]+$", n):
                continue
            if re.search(_NOT_TRANSPORT, n[len("MCUMGR_"):]):
                continue
            if a.value_without_comment[:1] == "y":
                out.append(a)
    return out


def image_group(t) -> Optional[Where]:
    app = t.images.get("app")
    if app is None or app.config is None:
        return None
    for n in IMG_GROUP:
        if app.config.enabled(n):
            return where(t, "app", n)
    return None


def derive(t) -> DfuFacts:
    """All of the above for one target: computed once, by the model stage (Target.dfu)."""
    return DfuFacts(transports=tuple(transports(t)), image_group=image_group(t), signing=signing_key(t),
                    signature_none=signature_none(t), encryption=encryption_key(t),
                    mcuboot_on=mcuboot_on(t) if t.mcuboot_enabled else None)


def facts(t) -> DfuFacts:
    """The target's update-path facts (Target.dfu, derived by the model stage)."""
    return t.dfu


def describe(t, w: Optional[Where]) -> str:
    """`file:line` of a Where, for messages ("" when it is a default)."""
    return where_text(t, w.span) if w is not None else ""
