"""What a shipped release fixes for every device built from it, and the same facts of this tree.

Devices in the field keep their bootloader: its partition layout (compiled in from
Partition Manager's pm_config.h or the devicetree), its sector table size, its upgrade mode,
its signature type and key, its encryption and its downgrade rule. A `ReleaseFacts` record
holds those facts for one board target, the same way for the release (built from its files, its
build directory or a saved `dfulint map --format json` snapshot) and for the tree being checked,
so the release-compatibility rules (8xx) compare like with like.

Nothing here reads files except `facts_from_build` (a build directory's outputs, through the
readers) and the key digest (a bounded read of the key file, hashed, never shown).
"""
from __future__ import annotations

import re
from pathlib import Path

from dfulint.model import modes
from dfulint.records import NamedTuple

TYPE_CHECKING = False      # (typing.TYPE_CHECKING without importing typing)
if TYPE_CHECKING:
    from typing import Optional

#: Partitions the bootloaders read at boot or during an update, by where they are written.
#: Partition Manager names, then the devicetree labels plain Zephyr uses.
BOOT_READ = ("mcuboot", "mcuboot_primary", "mcuboot_secondary", "mcuboot_scratch",
             "mcuboot_primary_1", "mcuboot_secondary_1", "mcuboot_primary_2", "mcuboot_secondary_2",
             "b0", "s0", "s1", "provision", "b0n",
             "boot_partition", "slot0_partition", "slot1_partition", "scratch_partition",
             "slot2_partition", "slot3_partition", "slot4_partition", "slot5_partition")
#: What each bootloader partition means to a device, for messages.
ROLE = {
    "mcuboot": "MCUboot itself", "boot_partition": "MCUboot itself",
    "mcuboot_primary": "the primary slot (the running application)",
    "slot0_partition": "the primary slot (the running application)",
    "mcuboot_secondary": "the secondary slot (where updates are written)",
    "slot1_partition": "the secondary slot (where updates are written)",
    "mcuboot_scratch": "the swap scratch area", "scratch_partition": "the swap scratch area",
    "mcuboot_primary_1": "the second image's primary slot (the network core's update area)",
    "mcuboot_secondary_1": "the second image's secondary slot (the network core's update slot)",
    "slot2_partition": "the second image's primary slot", "slot3_partition": "the second image's secondary slot",
    "b0": "the immutable bootloader (NSIB)", "s0": "NSIB's slot s0 (MCUboot)", "s1": "NSIB's slot s1 (MCUboot's update)",
    "provision": "NSIB's provisioned key hashes", "b0n": "the network core's immutable bootloader",
}
_DATA = (r"(^|_)(settings|nvs|littlefs|lfs|zms|fcb|storage)(_|$)|^tfm_(its|ps|otp_nv_counters)$"
         r"|^(storage|nvs|settings|lfs)_partition$|^factory_data$")
SIGNATURE_TYPES = (("BOOT_SIGNATURE_TYPE_NONE", "none"), ("BOOT_SIGNATURE_TYPE_RSA", "rsa"),
                   ("BOOT_SIGNATURE_TYPE_ECDSA_P256", "ecdsa-p256"), ("BOOT_SIGNATURE_TYPE_ED25519", "ed25519"))
ENCRYPTION_TYPES = (("BOOT_ENCRYPT_RSA", "rsa"), ("BOOT_ENCRYPT_EC256", "ec256"), ("BOOT_ENCRYPT_X25519", "x25519"))
MAX_KEY_BYTES = 64 * 1024


def is_boot_read(name: str) -> bool:
    return name in BOOT_READ


def is_data(name: str) -> bool:
    return bool(re.search(_DATA, name)) and not name.startswith("mcuboot")


class PartFact(NamedTuple):
    """One partition as the release or the tree places it."""
    name: str
    device: str
    address: int
    size: int
    static: bool = True          # pinned (pm_static, devicetree) or recorded by a build; False: predicted

    @property
    def end(self) -> int:
        return self.address + self.size

    def text(self) -> str:
        return f"{self.name} 0x{self.address:x}+0x{self.size:x}" + \
            (f" on {self.device}" if self.device not in ("flash_primary", "") else "")


class DeviceFact(NamedTuple):
    name: str
    base: int
    size: int
    page_size: int
    write_block: int


class ReleaseFacts(NamedTuple):
    """What the bootloader and the layout of one board target are, for comparing two versions."""
    board: str = ""                        # the board as written
    key: str = ""                          # canonical board name, to match the two sides
    sdk: str = ""
    evidence: str = "files"                # "files", "build", "snapshot", "git"
    partitions: tuple = ()                 # PartFact
    devices: tuple = ()                    # DeviceFact
    mcuboot: bool = False
    mode: Optional[str] = None             # MCUboot's upgrade mode
    app_mode: Optional[str] = None         # the mode the application is built for
    max_img_sectors: Optional[int] = None  # BOOT_MAX_IMG_SECTORS of MCUboot
    max_align: Optional[int] = None
    max_image_size: Optional[int] = None   # largest update MCUboot accepts with these slots
    ncs_version: Optional[tuple] = None    # MCUboot's behaviour per release (model/mcuboot.py)
    upstream_version: Optional[tuple] = None
    signature_type: Optional[str] = None   # "rsa-2048", "ecdsa-p256", "ed25519", "none"
    key_file: Optional[str] = None         # as written (None: the SDK's default key for the type)
    key_digest: Optional[str] = None       # sha256 prefix of the key file when the project holds it
    encrypted: Optional[bool] = None
    encryption_type: Optional[str] = None
    enc_key_file: Optional[str] = None
    downgrade_prevention: Optional[str] = None   # "version", "security-counter", "" (none)
    image_version: Optional[str] = None
    security_counter: Optional[int] = None
    nsib: Optional[bool] = None            # an upgradable bootloader chain (b0 + s0/s1)
    image_count: Optional[int] = None      # MCUboot's UPDATEABLE_IMAGE_NUMBER
    image_size: Optional[int] = None       # the signed application image of a build directory, bytes
    layout: str = ""                       # where the layout comes from: "build", "pm_static", "pm_dynamic",
                                           # "dts", "board" (the SDK's own pm_static for the board: not known)

    def part(self, name: str) -> Optional[PartFact]:
        for p in self.partitions:
            if p.name == name:
                return p
        return None

    def device(self, name: str) -> Optional[DeviceFact]:
        for d in self.devices:
            if d.name == name:
                return d
        return None

    def to_dict(self) -> dict:
        """The snapshot form (`map --format json`, `check --against SNAPSHOT`): see to_dict()."""
        return to_dict(self)


# ------------------------------------------------------------------ keys and versions

def board_key(board: Optional[str]) -> str:
    """One spelling per board: nrf52840dk_nrf52840 and nrf52840dk/nrf52840 are the same board."""
    if not board:
        return ""
    from dfulint import knowledge

    b = knowledge.board(board)
    name = b.name if b is not None else str(board)
    return name.replace("/", "_").lower()


def parse_image_version(text: Optional[str]) -> Optional[tuple]:
    """imgtool's version "major.minor.revision+build" as a tuple, None if it is not one."""
    if not text:
        return None
    m = re.fullmatch(r"\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:\+(\d+))?\s*", text)
    if not m:
        return None
    return tuple(int(g or 0) for g in m.groups())


def version_file(app_root: Path) -> Optional[str]:
    """The app's VERSION file (VERSION_MAJOR = 1 ...) as imgtool's version text, when it has one."""
    from dfulint.sources import read_text

    p = app_root / "VERSION"
    if not p.is_file():
        return None
    text = read_text(p).text or ""
    vals = dict(re.findall(r"^\s*(VERSION_MAJOR|VERSION_MINOR|PATCHLEVEL|VERSION_TWEAK)\s*=\s*(\d+)\s*$", text, re.M))
    if "VERSION_MAJOR" not in vals:
        return None
    out = f"{vals['VERSION_MAJOR']}.{vals.get('VERSION_MINOR', '0')}.{vals.get('PATCHLEVEL', '0')}"
    return out + (f"+{vals['VERSION_TWEAK']}" if vals.get("VERSION_TWEAK", "0") != "0" else "")


def key_digest(path_text: Optional[str], roots: list) -> Optional[str]:
    """A short sha256 of the key file when it is a regular file inside one of the project roots."""
    if not path_text:
        return None
    text = path_text.strip().strip('"').replace("\\$", "$")
    for var in ("${APPLICATION_CONFIG_DIR}", "${APP_DIR}", "${CMAKE_CURRENT_SOURCE_DIR}",
                "${APPLICATION_SOURCE_DIR}", "$ENV{PWD}"):
        text = text.replace(var + "/", "").replace(var, "")
    if "$" in text or not text:
        return None
    for root in roots:
        if root is None:
            continue
        root = Path(root)
        cand = Path(text) if Path(text).is_absolute() else root / text
        try:
            rc, rr = cand.resolve(), root.resolve()
            rc.relative_to(rr)
            from dfulint import files
            data, refusal = files.read_bytes(cand, MAX_KEY_BYTES)
            if data is None or refusal is not None:
                continue
            import hashlib      # only with --against: importing it loads OpenSSL

            return hashlib.sha256(data).hexdigest()[:16]
        except (OSError, ValueError):
            continue
    return None


# ------------------------------------------------------------------ from configuration values

class _Raw:
    """A build's .config as the same small interface ImageConfig offers (enabled/int/str)."""

    def __init__(self, values: dict):
        self.values = values

    def _v(self, name):
        v = self.values.get(name)
        return v[0] if isinstance(v, tuple) else v

    def enabled(self, name: str) -> bool:
        return self._v(name) == "y"

    def int(self, name: str) -> Optional[int]:
        v = self._v(name)
        if v is None:
            return None
        try:
            return int(str(v), 0)
        except ValueError:
            return None

    def str(self, name: str) -> Optional[str]:
        v = self._v(name)
        if v is None or v in ("y", "n"):
            return None
        v = str(v)
        return v[1:-1] if len(v) >= 2 and v[0] == v[-1] == '"' else v


def _sig(cfg) -> Optional[str]:
    if cfg is None:
        return None
    for sym, name in SIGNATURE_TYPES:
        if cfg.enabled(sym):
            if name == "rsa":
                return f"rsa-{cfg.int('BOOT_SIGNATURE_TYPE_RSA_LEN') or 2048}"
            return name
    return None


def _mode(cfg) -> Optional[str]:
    if cfg is None:
        return None
    for sym, mode in modes.mcuboot_symbols():
        if cfg.enabled(sym):
            return mode
    return None


def config_facts(mcfg, acfg, roots: list) -> dict:
    """The bootloader facts MCUboot's and the application's configuration decide."""
    out: dict = {}
    if mcfg is not None:
        out["signature_type"] = _sig(mcfg)
        key = mcfg.str("BOOT_SIGNATURE_KEY_FILE")
        out["key_file"] = key
        enc = mcfg.enabled("BOOT_ENCRYPT_IMAGE") or any(mcfg.enabled(s) for s, _ in ENCRYPTION_TYPES)
        out["encrypted"] = enc
        out["encryption_type"] = next((n for s, n in ENCRYPTION_TYPES if mcfg.enabled(s)), None) if enc else None
        out["enc_key_file"] = mcfg.str("BOOT_ENCRYPTION_KEY_FILE") if enc else None
        if mcfg.enabled("MCUBOOT_HW_DOWNGRADE_PREVENTION"):
            out["downgrade_prevention"] = "security-counter"
        elif mcfg.enabled("MCUBOOT_DOWNGRADE_PREVENTION"):
            out["downgrade_prevention"] = "version"
        else:
            out["downgrade_prevention"] = ""
        out["image_count"] = mcfg.int("UPDATEABLE_IMAGE_NUMBER") or 1
    if acfg is not None:
        app_key = acfg.str("MCUBOOT_SIGNATURE_KEY_FILE")
        if out.get("key_file") is None and app_key:
            out["key_file"] = app_key
        v = acfg.str("MCUBOOT_IMGTOOL_SIGN_VERSION") or acfg.str("MCUBOOT_IMAGE_VERSION")
        if v:
            out["image_version"] = v
        c = acfg.int("MCUBOOT_HW_DOWNGRADE_PREVENTION_COUNTER_VALUE")
        if c is None:
            c = acfg.int("FW_INFO_FIRMWARE_VERSION") if acfg.enabled("SECURE_BOOT") else None
        out["security_counter"] = c
    out["key_digest"] = key_digest(out.get("key_file"), roots)
    return out


# ------------------------------------------------------------------ from a model target

def facts_of(t, evidence: str = "files") -> ReleaseFacts:
    """The facts of one board target of the model (dfulint.model.project.Target)."""
    fm = t.flash
    parts = tuple(PartFact(p.name, p.region, p.address, p.size, bool(p.static))
                  for p in sorted(fm.partitions, key=lambda p: (p.region, p.address, -p.size, p.name))
                  if not p.region.endswith("sram") and p.region != "sram_primary")
    layout = fm.origin
    if layout in ("pm_dynamic", "none") and t.pm_static is None and board_static_layout(t.board, t.sdk.version):
        layout = "board"
    devices = tuple(DeviceFact(d.name, d.base, d.size, d.page_size, d.write_block) for d in fm.devices.values())
    mcu = t.images.get("mcuboot")
    mcfg = mcu.config if mcu is not None and t.mcuboot_enabled else None
    app = t.images.get("app")
    acfg = app.config if app is not None else None
    roots = [t.app.root] + ([t.app.source_dir] if getattr(t.app, "source_dir", None) else [])
    cf = config_facts(mcfg, acfg, roots)
    if not cf.get("image_version"):
        cf["image_version"] = version_file(t.app.root)
    names = {p.name for p in parts}
    nsib = bool({"s0", "s1"} <= names or "b0" in names) or bool(acfg is not None and acfg.enabled("SECURE_BOOT"))
    sb = t.sysbuild.config if getattr(t, "sysbuild", None) is not None else None
    if sb is not None and (sb.enabled("SECURE_BOOT_APPCORE") or sb.enabled("SECURE_BOOT")):
        nsib = True
    bp = t.boot_params
    return ReleaseFacts(image_size=_signed_size(t), layout=layout,
        board=t.board or "", key=board_key(t.board), sdk=str(t.sdk), evidence=evidence,
        partitions=parts, devices=devices, mcuboot=bool(t.mcuboot_enabled) or _pinned_mcuboot(t),
        mode=t.mode if t.mcuboot_enabled else None, app_mode=t.app_mode,
        max_img_sectors=bp.max_img_sectors if bp is not None else None,
        max_align=bp.max_align if bp is not None else None,
        max_image_size=t.boot.max_image_size if t.boot is not None else None,
        ncs_version=tuple(bp.ncs_version) if bp is not None and bp.ncs_version else None,
        upstream_version=tuple(bp.upstream_version) if bp is not None and bp.upstream_version else None,
        nsib=nsib if t.mcuboot_enabled or nsib else None,
        **cf)


#: Boards whose SDK ships the Partition Manager layout (a pm_static file in the board folder) that
#: an app without its own pm_static.yml gets; dfulint does not have those files, so its dynamic
#: placement is not what these boards build. (board name prefix, first NCS version, source)
BOARD_STATIC_LAYOUTS = (
    ("thingy53_nrf5340_cpuapp", (2, 7, 0), "zephyr boards/nordic/thingy53/pm_static_thingy53_nrf5340_cpuapp.yml"),
    ("thingy91_nrf9160", (2, 7, 0), "sdk-nrf boards/nordic/thingy91/thingy91_pm_static.yml"),
    ("thingy91_nrf9160", (1, 0, 0), "sdk-nrf boards/arm/thingy91_nrf9160/pm_static.yml"),
    ("thingy91x_nrf5340", (2, 7, 0), "sdk-nrf boards/nordic/thingy91x/thingy91x_nrf5340_pm_static.yml"),
    ("thingy91x_nrf9151", (2, 7, 0), "sdk-nrf boards/nordic/thingy91x/thingy91x_nrf9151_pm_static.yml"),
)


def board_static_layout(board: Optional[str], version) -> Optional[str]:
    """The SDK file that fixes this board's layout, when the SDK ships one."""
    key = board_key(board)
    for prefix, since, src in BOARD_STATIC_LAYOUTS:
        if key.startswith(prefix) and tuple(version or (0, 0, 0)) >= since:
            return src
    return None


def _pinned_mcuboot(t) -> bool:
    """The app's own pinned layout holds MCUboot and its primary slot: the product boots through
    MCUboot even when dfulint cannot tell from the configuration (a Kconfig default of an SDK module
    it does not model). Only the slots are compared then; MCUboot's settings stay unknown."""
    pm = t.pm_static
    if pm is None or t.flash.origin != "pm_static" or not {"mcuboot", "mcuboot_primary"} <= set(pm.partitions):
        return False
    for img in (getattr(t, "sysbuild", None), t.images.get("app")):
        cfg = getattr(img, "config", None) if img is not None else None
        v = cfg.get("BOOTLOADER_MCUBOOT") if cfg is not None else None
        if v is not None and v.origin in ("fragment", "forced") and v.value != "y":
            return False        # written off: the configuration says so, whatever the layout holds
    return True


def _signed_size(t) -> Optional[int]:
    """Size of the signed application image the build directory holds (only its size is looked at)."""
    bd = t.app.build_dir
    if bd is None:
        return None
    for cand in (bd / t.app.root.name / "zephyr" / "zephyr.signed.bin",
                 bd / "zephyr" / "zephyr.signed.bin"):
        try:
            if cand.is_file() and not cand.is_symlink():
                return cand.stat().st_size
        except OSError:
            continue
    return None


def changed_partitions(old: ReleaseFacts, new: ReleaseFacts) -> dict:
    """Partitions whose place differs: name -> "moved", "resized", "removed" or "added"."""
    out = {}
    for op in old.partitions:
        np = new.part(op.name)
        if np is None:
            out[op.name] = "removed"
        elif np.address != op.address or np.device != op.device:
            out[op.name] = "moved"
        elif np.size != op.size:
            out[op.name] = "resized"
    for np in new.partitions:
        if old.part(np.name) is None:
            out[np.name] = "added"
    return out


# ------------------------------------------------------------------ MCUboot's view of the other side

def slot_geoms(f: ReleaseFacts, image: int = 0):
    """(primary, secondary, scratch) SlotGeom of one image's slots in these facts."""
    from dfulint.model.mcuboot import SlotGeom

    suffix = "" if image == 0 else f"_{image}"
    names = {"primary": (f"mcuboot_primary{suffix}", f"slot{2 * image}_partition"),
             "secondary": (f"mcuboot_secondary{suffix}", f"slot{2 * image + 1}_partition"),
             "scratch": ("mcuboot_scratch", "scratch_partition")}
    out = []
    for role in ("primary", "secondary", "scratch"):
        g = None
        for n in names[role]:
            p = f.part(n)
            if p is None:
                continue
            d = f.device(p.device)
            if d is not None and d.page_size > 0 and p.size > 0:
                g = SlotGeom(p.size, d.page_size, d.write_block or 4, p.name)
            break
        out.append(g)
    return tuple(out)


def shipped_view(old: ReleaseFacts, new: ReleaseFacts):
    """MCUboot as the release built it, judging the slots this tree lays out (model/mcuboot.py's
    analysis with the release's mode, sector table, alignment and version), or None when either
    side lacks what the analysis needs."""
    from dfulint.model import mcuboot as mb

    if not old.mcuboot or old.mode is None or old.mode not in mb.MODES:
        return None
    pri, sec, scr = slot_geoms(new)
    if pri is None:
        return None
    params = mb.BootParams(mode=old.mode, max_img_sectors=old.max_img_sectors or 128,
                           max_align=old.max_align or 8, encrypted=bool(old.encrypted),
                           ncs_version=old.ncs_version, upstream_version=old.upstream_version)
    try:
        return mb.analyse(pri, sec, params, scr)
    except ValueError:
        return None


def assume_version(old: ReleaseFacts, new: ReleaseFacts) -> ReleaseFacts:
    """A build directory does not say which MCUboot release it ran: take the tree's, and size the
    largest accepted image with it (the release's own mode, sector table and slots)."""
    from dfulint.model import mcuboot as mb

    if old.ncs_version or old.upstream_version or not (new.ncs_version or new.upstream_version):
        return old
    old = old._replace(ncs_version=new.ncs_version, upstream_version=new.upstream_version)
    if not old.mcuboot or old.mode not in mb.MODES:
        return old
    pri, sec, scr = slot_geoms(old)
    if pri is None:
        return old
    try:
        b = mb.analyse(pri, sec, mb.BootParams(mode=old.mode, max_img_sectors=old.max_img_sectors or 128,
                                               max_align=old.max_align or 8, encrypted=bool(old.encrypted),
                                               ncs_version=old.ncs_version, upstream_version=old.upstream_version),
                       scr)
    except ValueError:
        return old
    return old._replace(max_image_size=b.max_image_size)


# ------------------------------------------------------------------ snapshot (JSON)

def to_dict(f: ReleaseFacts) -> dict:
    d = f._asdict()
    d["partitions"] = [p._asdict() for p in f.partitions]
    d["devices"] = [x._asdict() for x in f.devices]
    d["ncs_version"] = list(f.ncs_version) if f.ncs_version else None
    d["upstream_version"] = list(f.upstream_version) if f.upstream_version else None
    return d


_INT_FIELDS = ("max_img_sectors", "max_align", "max_image_size", "security_counter", "image_count", "image_size")
_STR_FIELDS = ("board", "key", "sdk", "evidence", "layout", "mode", "app_mode", "signature_type", "key_file",
               "key_digest", "encryption_type", "enc_key_file", "downgrade_prevention", "image_version")


def from_dict(d: dict) -> Optional[ReleaseFacts]:
    """Facts from a snapshot entry; None when it is not one (the snapshot is user input)."""
    if not isinstance(d, dict):
        return None

    def num(v):
        return v if isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 1 << 40 else None

    kw: dict = {}
    for k in _INT_FIELDS:
        kw[k] = num(d.get(k))
    for k in _STR_FIELDS:
        v = d.get(k)
        kw[k] = v[:300] if isinstance(v, str) else None
    for k in ("mcuboot", "encrypted", "nsib"):
        v = d.get(k)
        kw[k] = v if isinstance(v, bool) else (False if k == "mcuboot" else None)
    for k in ("ncs_version", "upstream_version"):
        v = d.get(k)
        kw[k] = tuple(v) if isinstance(v, list) and len(v) == 3 and all(num(x) is not None for x in v) else None
    parts, devs = [], []
    for p in d.get("partitions") or []:
        if isinstance(p, dict) and isinstance(p.get("name"), str) and num(p.get("address")) is not None \
                and num(p.get("size")) is not None:
            parts.append(PartFact(p["name"][:100], str(p.get("device") or "flash_primary")[:100],
                                  p["address"], p["size"], p.get("static") is not False))
    for x in d.get("devices") or []:
        if isinstance(x, dict) and isinstance(x.get("name"), str) and all(
                num(x.get(k)) is not None for k in ("base", "size", "page_size", "write_block")):
            devs.append(DeviceFact(x["name"][:100], x["base"], x["size"], x["page_size"], x["write_block"]))
    kw["partitions"], kw["devices"] = tuple(parts[:500]), tuple(devs[:20])
    kw["board"] = kw["board"] or ""
    kw["key"] = kw["key"] or board_key(kw["board"])
    kw["sdk"] = kw["sdk"] or ""
    kw["evidence"] = "snapshot"
    kw["layout"] = kw["layout"] or ""
    return ReleaseFacts(**kw)


# ------------------------------------------------------------------ from a build directory

def facts_from_build(build: Path) -> tuple[list[ReleaseFacts], list[str]]:
    """The facts a build directory records: partitions.yml (the layout the images were linked
    for) and the final .config of MCUboot and the application. Returns (facts, problems)."""
    from dfulint import knowledge
    from dfulint.model.mcuboot import BootParams, MODES, analyse
    from dfulint.sources.kconf import parse_fragment
    from dfulint.sources.pm import parse_pm

    problems: list[str] = []

    def conf(*cands) -> Optional[_Raw]:
        for c in cands:
            if c.is_file() and not c.is_symlink():
                frag = parse_fragment(c)
                return _Raw({a.name: a.value_without_comment for a in frag.assignments})
        return None

    mcfg = conf(build / "mcuboot" / "zephyr" / ".config")
    app_cfgs = [p for p in sorted(build.glob("*/zephyr/.config"))
                if p.parent.parent.name not in ("mcuboot", "b0", "s1_image", "b0n", "hci_ipc", "ipc_radio",
                                                "empty_net_core", "rpc_host", "multiprotocol_rpmsg")]
    acfg = conf(build / "zephyr" / ".config", *app_cfgs)
    board = None
    for c in (acfg, mcfg):
        if c is not None and board is None:
            board = c.str("BOARD_TARGET") or c.str("BOARD")
            if board and c.str("BOARD_QUALIFIERS") and "/" not in board:
                board = f"{board}/{c.str('BOARD_QUALIFIERS')}"
    parts = []
    pm_path = build / "partitions.yml"
    if pm_path.is_file() and not pm_path.is_symlink():
        pm = parse_pm(pm_path)
        problems.extend(p.message for p in pm.problems)
        for name, p in pm.partitions.items():
            addr, size = p.int("address"), p.int("size")
            region = p.str("region") or "flash_primary"
            if addr is None or size is None or region.endswith("sram") or region == "sram_primary":
                continue
            parts.append(PartFact(name, region, addr, size))
    else:
        problems.append("no partitions.yml: the layout is not known from this build directory")
    binfo = knowledge.board(board) if board else None
    soc = knowledge.soc(binfo.soc) if binfo is not None else None
    devs = []
    if soc is not None:
        devs.append(DeviceFact("flash_primary", soc.flash_base, soc.app_flash_size, soc.page_size, soc.write_block))
    if any(p.device == "external_flash" for p in parts):
        page = None
        for c in (mcfg, acfg):
            if c is not None:
                page = page or c.int("NORDIC_QSPI_NOR_FLASH_LAYOUT_PAGE_SIZE") or c.int("SPI_NOR_FLASH_LAYOUT_PAGE_SIZE")
        devs.append(DeviceFact("external_flash", 0, 0, page or 4096, 1))
    mode = _mode(mcfg)
    app_mode = None
    if acfg is not None:
        app_mode = next((m for s, m in modes.app_symbols().items() if acfg.enabled(s)), None)
    cf = config_facts(mcfg, acfg, [build.parent])
    ver = None
    if acfg is not None and acfg.str("BOARD") is not None:
        vt = acfg.str("NCS_VERSION_STRING") or ""
        ver = tuple(int(x) for x in re.findall(r"\d+", vt)[:3]) if vt else None
        ver = ver if ver and len(ver) == 3 else None
    f = ReleaseFacts(board=board or "", key=board_key(board), sdk=".".join(map(str, ver)) if ver else "",
                     evidence="build", layout="build", partitions=tuple(parts), devices=tuple(devs),
                     mcuboot=mcfg is not None or any(p.name in ("mcuboot", "mcuboot_primary") for p in parts),
                     mode=mode, app_mode=app_mode,
                     max_img_sectors=mcfg.int("BOOT_MAX_IMG_SECTORS") if mcfg is not None else None,
                     max_align=mcfg.int("BOOT_MAX_ALIGN") if mcfg is not None else None,
                     ncs_version=ver,
                     nsib=bool({"s0", "s1"} <= {p.name for p in parts} or "b0" in {p.name for p in parts}),
                     **cf)
    if f.mcuboot and mode in MODES:
        pri, sec, scr = slot_geoms(f)
        if pri is not None:
            try:
                b = analyse(pri, sec, BootParams(mode=mode, max_img_sectors=f.max_img_sectors or 128,
                                                 max_align=f.max_align or 8, encrypted=bool(f.encrypted),
                                                 ncs_version=ver), scr)
                f = f._replace(max_image_size=b.max_image_size)
            except ValueError:
                pass
    if mcfg is None and acfg is None and not parts:
        return [], problems + ["neither partitions.yml nor a .config found"]
    return [f], problems


def is_build_dir(path: Path) -> bool:
    return any((path / rel).is_file() for rel in ("partitions.yml", "zephyr/.config", "mcuboot/zephyr/.config"))
