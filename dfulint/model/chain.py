"""Facts about the whole update chain of a target, not only its slots.

What runs before the application and what it expects of it (boot stages, the code partitions
images are linked into, image header and vector-table alignment), the image lifecycle (how an
update is requested, whether the running image is ever confirmed, what the bootloader's mode
does with an unconfirmed one), MCUboot's recovery paths (serial recovery and how it is entered)
and the SMP-over-Bluetooth security the application asks for.

Built once per target in the model stage (`build(t)`), as frozen records. The application's C
sources are read here, as text, through dfulint.sources.csrc; the rules only read these records.
"""
from __future__ import annotations

from pathlib import Path

from dfulint.core import Span
from dfulint.model import dfu
from dfulint.model.dfu import Where
from dfulint.records import NamedTuple

TYPE_CHECKING = False      # (typing.TYPE_CHECKING without importing typing)
if TYPE_CHECKING:
    from typing import Optional

    from dfulint.model.devicetree import MergedNode
    from dfulint.sources.csrc import CSources

REVERTING_MODES = ("swap-move", "swap-scratch", "swap-offset", "direct-xip-revert", "ram-load-revert")
CONFIRM_CALLS = ("boot_write_img_confirmed", "boot_write_img_confirmed_multi", "boot_set_confirmed",
                 "boot_set_confirmed_multi")
REQUEST_CALLS = ("boot_request_upgrade", "boot_request_upgrade_multi", "boot_set_pending",
                 "boot_set_pending_multi", "dfu_target_schedule_update", "fota_download_start",
                 "fota_download_start_with_image_type")


class Stage(NamedTuple):
    """One stage of the boot chain, in boot order."""
    name: str                     # "b0", "mcuboot", "tfm", "app", "b0n", "netcore"
    title: str                    # what it is, for people
    partition: str = ""           # the partition it runs from ("" when not known)
    address: Optional[int] = None
    size: Optional[int] = None
    verifies: str = ""            # what it checks before starting the next stage
    protection: str = ""          # what keeps it from being rewritten
    updatable: str = ""           # how it is updated ("" = it is not)
    where: Optional[Span] = None  # the setting that puts it in the chain


class CodePartition(NamedTuple):
    """The partition an image is linked into (devicetree chosen `zephyr,code-partition`)."""
    image: str
    label: Optional[str]          # label of the chosen node; None when the chosen is absent
    span: Optional[Span]          # where the chosen is written, when in the project
    image_own: bool               # written in a file only this image reads (not the board's devicetree)
    has_slot0: bool               # the image's devicetree has slot0_partition
    has_boot: bool                # ... and boot_partition
    complete: bool                # the devicetree is complete (build, workspace or a custom board)


class Header(NamedTuple):
    """The image header size (where the vector table starts in a slot) and what the SoC needs."""
    value: Optional[int]
    symbol: str                   # CONFIG_ROM_START_OFFSET / CONFIG_PM_PARTITION_SIZE_MCUBOOT_PAD
    image: str
    where: Where
    align: Optional[int]          # the SoC's vector-table alignment
    align_source: str


class Lifecycle(NamedTuple):
    """How an update goes from 'uploaded' to 'permanent' for this target."""
    mode: Optional[str]           # MCUboot's mode (direct-xip-revert / ram-load-revert told apart)
    reverts: bool                 # an unconfirmed image is reverted (or erased) at the next reset
    mcumgr: bool                  # MCUmgr image management uploads images
    dfu_target: Optional[Where]   # nRF Connect SDK DFU target / FOTA download writes images
    requests: tuple               # csrc.Call: the application requests an upgrade itself
    confirms: tuple               # csrc.Call: the application confirms the running image
    library: Optional[str]        # an enabled library that confirms images itself (symbol)
    c_files: int                  # C sources read (0: the code is not visible)
    confirmed_image: Optional[Where]   # CONFIG_MCUBOOT_GENERATE_CONFIRMED_IMAGE=y (app)
    version: Optional[Where] = None    # the image version a user sets (CONFIG_MCUBOOT_IMGTOOL_SIGN_VERSION ...)
    version_file: bool = False    # the application folder has a VERSION file (Zephyr 3.5+ reads it)


class Protection(NamedTuple):
    """The flash MCUboot write-protects before it starts the application (FPROTECT)."""
    start: str                    # partition the protected area starts at (mcuboot, s0)
    address: int
    size: int                     # up to the primary slot, as MCUboot computes it
    limit: Optional[int]          # the largest area the SoC's protection can cover (None: no known limit)
    limit_source: str
    where: Optional[Span]         # where the MCUboot partition size is set, if in the project


class Recovery(NamedTuple):
    """MCUboot's serial recovery, as MCUboot's own image is configured."""
    serial: Optional[Where]       # CONFIG_MCUBOOT_SERIAL=y in MCUboot's image; None when off
    gpio_entrance: bool           # entered by a button (BOOT_SERIAL_ENTRANCE_GPIO)
    button: Optional[MergedNode]  # MCUboot's devicetree node behind alias mcuboot-button0
    button_has_gpios: bool
    boot_mode: Optional[Where]    # BOOT_SERIAL_BOOT_MODE=y
    boot_mode_chosen: bool        # MCUboot's devicetree has chosen zephyr,boot-mode
    app_boot_mode_chosen: Optional[Span]   # the application's devicetree has it (where)
    wait: Optional[Where]         # BOOT_SERIAL_WAIT_FOR_DFU=y
    uart: bool                    # recovery over a UART (BOOT_SERIAL_UART, the default)
    cdc_acm: bool                 # recovery over USB CDC ACM (BOOT_SERIAL_CDC_ACM)
    console_on: bool              # UART console enabled in MCUboot's image by the project's own files
    console_shared: Optional[bool]   # zephyr,uart-mcumgr missing or the same node as zephyr,console
    dt_complete: bool             # MCUboot's devicetree is complete (aliases and chosen known)
    # MCUboot takes the entrance button from its devicetree (alias mcuboot-button0) and stops its build
    # without one: CONFIG_BOOT_SERIAL_ENTRANCE_GPIO is on and exists at the SDK version assumed for the
    # catalogue (knowledge/kconfig.yaml: added in NCS 2.4, before which the pin came from Kconfig)
    button_required: bool = False
    # (from, before, source) of the NCS releases whose MCUboot, waiting for a command
    # (BOOT_SERIAL_WAIT_FOR_DFU), never boots the application, when the project is on one of them
    wait_broken: Optional[tuple] = None


class SmpSecurity(NamedTuple):
    """What the SMP Bluetooth transport requires of a connection, and what pairing can give."""
    level: str                    # "none", "encrypt", "authen"
    where: Where
    bt_smp: bool                  # CONFIG_BT_SMP (pairing at all)
    auth_callbacks: tuple         # csrc.Call: bt_conn_auth_cb_register / bt_passkey_set
    c_files: int
    fixed_passkey: bool


class SmpStack(NamedTuple):
    """The MCUmgr SMP work queue's stack against the groups it runs."""
    size: Optional[int]           # CONFIG_MCUMGR_TRANSPORT_WORKQUEUE_STACK_SIZE (None: the default)
    where: Optional[Where]        # where a user set it
    fs_group: Optional[Where]     # the file-system group is on (its handlers need the most stack)


class Nsib(NamedTuple):
    """The nRF Secure Immutable Bootloader (b0) in front of MCUboot."""
    on: Where
    key: Optional[Where]          # its signing key setting; None: a key generated in the build folder
    key_symbol: str
    s1_variant: Optional[Where]   # MCUboot is built for both s0 and s1 (upgradable)
    sysbuild: bool


class ChainFacts(NamedTuple):
    stages: tuple = ()            # tuple[Stage]
    lifecycle: Optional[Lifecycle] = None
    app_code: Optional[CodePartition] = None
    mcuboot_code: Optional[CodePartition] = None
    header: Optional[Header] = None
    recovery: Optional[Recovery] = None
    smp: Optional[SmpSecurity] = None
    nsib: Optional[Nsib] = None
    protection: Optional[Protection] = None
    smp_stack: Optional[SmpStack] = None
    sources: Optional[CSources] = None    # the application's C sources, as far as read


# ------------------------------------------------------------------ helpers

def _cfg(t, image: str):
    img = t.sysbuild if image == "sysbuild" else t.images.get(image)
    return img.config if img is not None else None


def _explicit(t, image: str, sym: str) -> Optional[Where]:
    """Where a user wrote `sym` for an image (in the project), else None."""
    w = dfu.where(t, image, sym)
    if w.span is not None and w.how in ("set here", "forced by sysbuild", "fragment", "forced"):
        return w
    return None


def _on(t, image: str, sym: str) -> Optional[Where]:
    cfg = _cfg(t, image)
    if cfg is None or not cfg.enabled(sym):
        return None
    return dfu.where(t, image, sym)


_SOC_NAME_CHARS = frozenset("0123456789abcdefghijklmnopqrstuvwxyz_")


def _soc_include(name: str) -> bool:
    """`nordic/nrf<digits, lower-case letters, _>.dtsi`: a Nordic SoC's devicetree include."""
    middle = name[len("nordic/nrf"):-len(".dtsi")]
    return name.startswith("nordic/nrf") and name.endswith(".dtsi") and bool(middle) and \
        all(c in _SOC_NAME_CHARS for c in middle)


def _dt_complete(t, image) -> bool:
    """Whether the image's devicetree is known in full: a build's zephyr.dts, a west workspace's
    board, or a board defined in the project whose only unread includes are Nordic SoC files
    (which define no partitions, chosen code partition or aliases)."""
    dt = image.dt if image is not None else None
    if dt is None:
        return False
    if getattr(dt, "evidence", "files") in ("build", "workspace", "dtlib"):
        return True
    board_dts = t.app.custom_boards.get(t.board or "")
    if board_dts is None or t.soc is None:
        return False
    for f in getattr(image, "dts_files", ()):
        if f.path != board_dts:
            continue
        for inc in f.includes:
            if inc.resolved is None and not (_soc_include(inc.name) and "partition" not in inc.name):
                return False
        return True
    return False


def _board_mentions(t, image, text: str) -> bool:
    """Whether any devicetree file of the custom board's folder or of the image's own layers
    mentions `text` (a safety net for includes dfulint does not follow)."""
    from dfulint import files
    from dfulint.sources import read_text

    paths = [layer.path for layer in getattr(image, "dts_layers", ())]
    board_dts = t.app.custom_boards.get(t.board or "")
    if board_dts is not None:
        for dirpath, _dirnames, names in files.walk(board_dts.parent, max_depth=0):
            paths += [Path(dirpath) / n for n in names if n.endswith((".dts", ".dtsi", ".overlay"))][:50]
            break
    return any(text in (read_text(p).text or "") for p in paths)


def _code_partition(t, name: str) -> Optional[CodePartition]:
    img = t.images.get(name)
    if img is None or img.dt is None:
        return None
    dt = img.dt
    ch = dt.chosen("zephyr,code-partition")
    label = span = None
    if ch is not None:
        node, prop = ch
        ref = prop.as_ref() if hasattr(prop, "as_ref") else None
        label = (node.label if node is not None and node.label else (ref or "").lstrip("&")) or None
        span = prop.span if dfu.in_project(getattr(prop, "span", None)) else None
    own = span is not None and any(layer.path == span.path or str(layer.path) == str(span.path)
                                   for layer in img.dts_layers)
    if span is not None and not own:
        own = any(str(span.path).endswith(str(layer.path)) for layer in img.dts_layers)
    complete = _dt_complete(t, img) and (label is not None or not _board_mentions(t, img, "zephyr,code-partition"))
    return CodePartition(name, label, span, own, dt.node("slot0_partition") is not None,
                         dt.node("boot_partition") is not None, complete)


def _header(t) -> Optional[Header]:
    from dfulint.knowledge import boot_chain

    al = boot_chain.vector_align(t.soc)
    align, src = (al if al is not None else (None, ""))
    w = _explicit(t, "app", "ROM_START_OFFSET")
    if w is not None:
        v = _cfg(t, "app").int("ROM_START_OFFSET")
        return Header(v, "CONFIG_ROM_START_OFFSET", "app", w, align, src)
    if t.uses_pm:
        w = _explicit(t, "mcuboot", "PM_PARTITION_SIZE_MCUBOOT_PAD")
        if w is not None:
            v = _cfg(t, "mcuboot").int("PM_PARTITION_SIZE_MCUBOOT_PAD")
            return Header(v, "CONFIG_PM_PARTITION_SIZE_MCUBOOT_PAD", "mcuboot", w, align, src)
    return None


def _lifecycle(t, src) -> Lifecycle:
    from dfulint.knowledge import boot_chain

    mode = t.mode
    mcu = _cfg(t, "mcuboot")
    if mode == "direct-xip" and mcu is not None and mcu.enabled("BOOT_DIRECT_XIP_REVERT"):
        mode = "direct-xip-revert"
    if mode == "ram-load" and mcu is not None and mcu.enabled("BOOT_RAM_LOAD_REVERT"):
        mode = "ram-load-revert"
    app = _cfg(t, "app")
    f = dfu.facts(t)
    dt_where = None
    if app is not None:
        for sym in ("DFU_TARGET_MCUBOOT", "FOTA_DOWNLOAD"):
            if app.enabled(sym):
                dt_where = dfu.where(t, "app", sym)
                break
    library = None
    if app is not None:
        for sym, _what in boot_chain.confirming_libraries():
            if app.enabled(sym):
                library = sym
                break
    from dfulint import files

    version = None
    for sym in ("MCUBOOT_IMGTOOL_SIGN_VERSION", "MCUBOOT_IMAGE_VERSION"):
        a = dfu.user_assignment(t.images.get("app"), sym)
        if a is not None:
            version = Where(a.span, "set here", sym)
            break
    if version is None:
        for forced in t.images["app"].forced if "app" in t.images else ():
            if forced.name in ("MCUBOOT_IMGTOOL_SIGN_VERSION", "MCUBOOT_IMAGE_VERSION"):
                version = Where(forced.span, "forced", forced.name)
    version_file = files.is_file(t.app.root / "VERSION") or (
        t.app.source_dir is not None and files.is_file(t.app.source_dir / "VERSION"))
    return Lifecycle(mode, mode in REVERTING_MODES, f.image_group is not None, dt_where,
                     src.called(*REQUEST_CALLS), src.called(*CONFIRM_CALLS), library, src.files,
                     _on(t, "app", "MCUBOOT_GENERATE_CONFIRMED_IMAGE"), version, version_file)


def _recovery(t) -> Optional[Recovery]:
    mcu = t.images.get("mcuboot")
    cfg = mcu.config if mcu is not None else None
    if cfg is None or not cfg.enabled("MCUBOOT_SERIAL"):
        return None
    dt = mcu.dt
    button = dt.alias("mcuboot-button0") if dt is not None else None
    has_gpios = button is not None and "gpios" in button.props
    aliases = dt.node("/aliases") if dt is not None else None
    alias_written = aliases is not None and "mcuboot-button0" in aliases.props
    chosen_mode = dt is not None and dt.chosen("zephyr,boot-mode") is not None
    app = t.images.get("app")
    app_mode = None
    if app is not None and app.dt is not None:
        ch = app.dt.chosen("zephyr,boot-mode")
        if ch is not None:
            app_mode = getattr(ch[1], "span", None)
    gpio = cfg.enabled("BOOT_SERIAL_ENTRANCE_GPIO")
    if cfg.get("BOOT_SERIAL_ENTRANCE_GPIO").origin == "unset" and not cfg.get("BOOT_SERIAL_ENTRANCE_GPIO").assignments:
        gpio = t.kconfig_version >= (2, 4, 0)        # its default once it exists
    uart = not cfg.enabled("BOOT_SERIAL_CDC_ACM") and not cfg.enabled("BOOT_SERIAL_CDC_ACM_NEXT")
    cdc = cfg.enabled("BOOT_SERIAL_CDC_ACM")
    # only a console the project switches on itself: boards' defconfigs (not modelled) often turn it off
    console = cfg.enabled("UART_CONSOLE") and _explicit(t, "mcuboot", "UART_CONSOLE") is not None
    shared = None
    if dt is not None:
        mg, co = dt.chosen("zephyr,uart-mcumgr"), dt.chosen("zephyr,console")

        def ref(c):
            r = c[1].as_ref() if c is not None and hasattr(c[1], "as_ref") else None
            return (c[0].path if c[0] is not None else (r or "").lstrip("&")) or None
        if co is not None and ref(co):
            if mg is not None:
                shared = ref(mg) == ref(co)
            elif _dt_complete(t, mcu):
                shared = True
    complete = _dt_complete(t, mcu)
    if complete and button is None and (alias_written or _board_mentions(t, mcu, "mcuboot-button0")):
        complete = False            # written but not resolvable here: the build decides
    required = gpio and _defined_in_catalogue(t, "BOOT_SERIAL_ENTRANCE_GPIO", "mcuboot")
    return Recovery(dfu.where(t, "mcuboot", "MCUBOOT_SERIAL"), gpio, button, has_gpios,
                    _on(t, "mcuboot", "BOOT_SERIAL_BOOT_MODE"), chosen_mode, app_mode,
                    _on(t, "mcuboot", "BOOT_SERIAL_WAIT_FOR_DFU"), uart, cdc, console, shared, complete, required,
                    _wait_broken(t))


def _wait_broken(t) -> Optional[tuple]:
    """The known-broken release (knowledge/releases.yaml) an NCS project is exactly on, if any."""
    from dfulint import knowledge

    if t.app.framework != "ncs" or not t.sdk.exact:
        return None
    v = tuple(t.sdk.version)
    return next((row for row in knowledge.recovery_wait_broken() if row[0] <= v < row[1]), None)


def _defined_in_catalogue(t, sym: str, image: str) -> bool:
    """`sym` exists in `image` at the NCS version the catalogue is read for (Target.kconfig_version:
    the lowest the project may be on, plain Zephyr mapped onto NCS; knowledge/kconfig.yaml)."""
    from dfulint.model.kconfig import status_in

    return status_in(sym, image, t.kconfig_version)[0] == "ok"


def _smp(t, src) -> Optional[SmpSecurity]:
    f = dfu.facts(t)
    bt = f.transport("bt")
    app = _cfg(t, "app")
    if bt is None or app is None:
        return None
    level, where = "none", bt.where
    for sym, lvl in (("MCUMGR_TRANSPORT_BT_PERM_RW_AUTHEN", "authen"), ("MCUMGR_TRANSPORT_BT_AUTHEN", "authen"),
                     ("MCUMGR_SMP_BT_AUTHEN", "authen"), ("MCUMGR_TRANSPORT_BT_PERM_RW_ENCRYPT", "encrypt")):
        if app.enabled(sym):
            level, where = lvl, dfu.where(t, "app", sym)
            break
    return SmpSecurity(level, where, app.enabled("BT_SMP"),
                       src.called("bt_conn_auth_cb_register", "bt_passkey_set"), src.files,
                       app.enabled("BT_FIXED_PASSKEY"))


def _smp_stack(t) -> Optional[SmpStack]:
    app = _cfg(t, "app")
    if app is None or dfu.facts(t).image_group is None and not app.enabled("MCUMGR_GRP_FS"):
        return None
    if not app.enabled("MCUMGR_GRP_FS"):
        return None
    if not _defined_in_catalogue(t, "MCUMGR_TRANSPORT_WORKQUEUE_STACK_SIZE", "app"):
        return None         # before NCS 2.4 the SMP work queue had no stack option of this name
    w = _explicit(t, "app", "MCUMGR_TRANSPORT_WORKQUEUE_STACK_SIZE")
    return SmpStack(app.int("MCUMGR_TRANSPORT_WORKQUEUE_STACK_SIZE") if w is not None else None, w,
                    dfu.where(t, "app", "MCUMGR_GRP_FS"))


def _nsib(t) -> Optional[Nsib]:
    sb = _cfg(t, "sysbuild")
    if sb is not None and t.sysbuild is not None:
        if not sb.enabled("SECURE_BOOT_APPCORE"):
            return None
        on = dfu.where(t, "sysbuild", "SECURE_BOOT_APPCORE")
        key = _explicit(t, "sysbuild", "SECURE_BOOT_SIGNING_KEY_FILE")
        if key is not None and not (sb.str("SECURE_BOOT_SIGNING_KEY_FILE") or "").strip():
            key = None
        return Nsib(on, key, "SB_CONFIG_SECURE_BOOT_SIGNING_KEY_FILE", _on(t, "sysbuild", "SECURE_BOOT_BUILD_S1_VARIANT_IMAGE"), True)
    a = dfu.user_assignment(t.images.get("app"), "SECURE_BOOT")
    if a is None or a.value_without_comment[:1] != "y":
        return None
    app = _cfg(t, "app")
    on = Where(a.span, "set here", "SECURE_BOOT")
    key = None
    k = dfu.user_assignment(t.images.get("app"), "SB_SIGNING_KEY_FILE")
    if k is not None and k.value_without_comment.strip('"').strip():
        key = Where(k.span, "set here", "SB_SIGNING_KEY_FILE")
    s1 = dfu.user_assignment(t.images.get("app"), "BUILD_S1_VARIANT")
    s1w = Where(s1.span, "set here", "BUILD_S1_VARIANT") if s1 is not None and s1.value_without_comment[:1] == "y" else None
    del app
    return Nsib(on, key, "CONFIG_SB_SIGNING_KEY_FILE", s1w, False)


# nRF54L: MCUboot protects itself with one RRAMC region of at most 31 KiB, or two combined
# (CONFIG_FPROTECT_ALLOW_COMBINED_REGIONS) of 62 KiB (sdk-nrf drivers/fprotect/fprotect_rram.c,
# sdk-mcuboot boot/zephyr/nrf_protect.h REGION_SIZE_MAX)
_RRAMC_MAX = 62 * 1024


def _protection(t) -> Optional[Protection]:
    if not t.mcuboot_enabled or not t.uses_pm or getattr(t.soc, "family", None) != "nrf54l":
        return None
    mcu = _cfg(t, "mcuboot")
    if mcu is None or (mcu.get("FPROTECT").origin != "unset" and not mcu.enabled("FPROTECT")):
        return None
    start = t.flash.get("s0") or t.flash.get("mcuboot")
    primary = t.flash.get("mcuboot_primary")
    if start is None or primary is None or primary.address <= start.address:
        return None
    if t.pm_static is not None and "mcuboot_primary" not in t.pm_static.partitions:
        return None                 # a partial pm_static: where the primary slot lands is a guess
    where = None
    pm = t.pm_static.partitions.get(start.name) if t.pm_static is not None else None
    if pm is not None:
        where = pm.span
    else:
        w = _explicit(t, "mcuboot", "PM_PARTITION_SIZE_MCUBOOT")
        where = w.span if w is not None else None
    return Protection(start.name, start.address, primary.address - start.address, _RRAMC_MAX,
                      "sdk-mcuboot boot/zephyr/nrf_protect.h (REGION_SIZE_MAX on nRF54L)", where)


def _stages(t, nsib: Optional[Nsib], lc: Lifecycle) -> tuple:
    from dfulint.knowledge import boot_chain

    out = []
    fam = getattr(t.soc, "family", None)
    prot = boot_chain.protection(fam)
    mech = prot[0] if prot is not None else ""

    def part(*names):
        for n in names:
            p = t.flash.get(n) or next((q for q in t.flash.partitions if q.label == n), None)
            if p is not None:
                return p
        return None

    if nsib is not None:
        p = part("b0")
        out.append(Stage("b0", "nRF Secure Immutable Bootloader (NSIB)", p.name if p else "b0",
                         p.address if p else None, p.size if p else None,
                         "the signature of the next stage (MCUboot in s0/s1) against keys in OTP",
                         f"{mech}; never updated" if mech else "never updated", "", nsib.on.span))
    if t.mcuboot_enabled:
        p = part("mcuboot", "boot_partition")
        mcu = _cfg(t, "mcuboot")
        fprotect = mcu is not None and mcu.enabled("FPROTECT")
        out.append(Stage("mcuboot", f"MCUboot ({lc.mode or 'mode unknown'})", p.name if p else "mcuboot",
                         p.address if p else None, p.size if p else None,
                         "the image in the primary slot (and the update in the secondary slot)",
                         (mech if fprotect and mech else ("its own partition, by FPROTECT" if fprotect else "")),
                         "s0/s1 behind b0" if nsib is not None and nsib.s1_variant is not None else "",
                         dfu.mcuboot_on(t).span))
    app = _cfg(t, "app")
    if app is not None and (app.enabled("BUILD_WITH_TFM") or getattr(t.board_info, "ns", False)):
        p = part("tfm", "slot0_s_partition")
        out.append(Stage("tfm", "TF-M (secure firmware)", p.name if p else "tfm", p.address if p else None,
                         p.size if p else None, "", "SPU: non-secure code cannot write it",
                         "together with the application image"))
    p = part("app", "mcuboot_primary_app", "mcuboot_primary", "slot0_ns_partition", "slot0_partition")
    how = []
    if lc.mcumgr:
        how.append("MCUmgr upload")
    if lc.dfu_target is not None:
        how.append("DFU target / FOTA download")
    out.append(Stage("app", "application", p.name if p else "", p.address if p else None, p.size if p else None,
                     "", "", (" and ".join(how) + (", confirmed in its code" if lc.confirms else "")) if how else ""))
    sb = _cfg(t, "sysbuild")
    if sb is not None and sb.enabled("SECURE_BOOT_NETCORE"):
        out.append(Stage("b0n", "network-core immutable bootloader (b0n)", "b0n", None, None,
                         "the network-core image handed over by MCUboot", "immutable", "",
                         dfu.where(t, "sysbuild", "SECURE_BOOT_NETCORE").span))
    return tuple(out)


def build(t) -> ChainFacts:
    """The chain facts of a target (called once, at the end of the model stage)."""
    from dfulint.sources import csrc

    src = csrc.scan_app(t.app.root) if not getattr(t.app, "is_mcuboot", False) else csrc.NONE
    lc = _lifecycle(t, src)
    nsib = _nsib(t)
    return ChainFacts(stages=_stages(t, nsib, lc), lifecycle=lc, app_code=_code_partition(t, "app"),
                      mcuboot_code=_code_partition(t, "mcuboot"), header=_header(t), recovery=_recovery(t),
                      smp=_smp(t, src), nsib=nsib, protection=_protection(t), smp_stack=_smp_stack(t),
                      sources=src)


def board_partition_nodes(t, binfo) -> tuple:
    """knowledge.BoardNode rows for the fixed-partitions the board's own devicetree defines in the
    Zephyr releases this project may use; () when dfulint does not know them for all of those."""
    from dfulint.knowledge import BoardNode, boot_chain

    if binfo is None:
        return ()
    low, high = (tuple(v) for v in t.sdk.range)
    lay = boot_chain.board_layout(binfo.name, low)
    if lay is None or (lay.high is not None and high >= lay.high):
        return ()
    flash = next((n for n in binfo.nodes if n.label == lay.flash), None)
    if flash is None:
        return ()
    holder = f"{flash.path}/partitions"
    out = [BoardNode(holder, "", "fixed-partitions", "okay",
                     props={"#address-cells": 1, "#size-cells": 1})]
    for p in lay.partitions:
        out.append(BoardNode(f"{holder}/partition@{p.address:x}", p.label, "", "",
                             props={"reg": [p.address, p.size]}))
    return tuple(out)
