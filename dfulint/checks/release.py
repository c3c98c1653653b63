"""8xx: release compatibility. Will devices built from the shipped release accept and boot an
update built from this tree?

Each rule compares `t.against.old` (the release's facts: its layout, its MCUboot) with
`t.against.new` (this tree's), both `model.release.ReleaseFacts`; `t.against` exists only with
`check --against`. Devices keep the release's bootloader and the layout compiled into it, so the
question is always what the *shipped* bootloader does with the *new* image.
"""
from __future__ import annotations

from dfulint.checks import hit, rule
from dfulint.core import Severity, Span
from dfulint.units import kib

TYPE_CHECKING = False      # (typing.TYPE_CHECKING without importing typing)
if TYPE_CHECKING:
    from typing import Optional

    from dfulint.model.release import PartFact, ReleaseFacts

# the same partition under Partition Manager's name and the devicetree label
ALIASES = {"mcuboot": "boot_partition", "mcuboot_primary": "slot0_partition",
           "mcuboot_secondary": "slot1_partition", "mcuboot_scratch": "scratch_partition",
           "mcuboot_primary_1": "slot2_partition", "mcuboot_secondary_1": "slot3_partition"}
ALIASES.update({v: k for k, v in list(ALIASES.items())})
SLOTS = ("mcuboot_primary", "mcuboot_secondary", "slot0_partition", "slot1_partition",
         "mcuboot_primary_1", "mcuboot_secondary_1", "slot2_partition", "slot3_partition")


def _pair(t):
    """(against, old, new) when the release has facts for this target, else (against, None, None)."""
    a = getattr(t, "against", None)
    if a is None or a.old is None:
        return a, None, None
    return a, a.old, a.new


def _find(f: ReleaseFacts, name: str) -> Optional[PartFact]:
    return f.part(name) or (f.part(ALIASES[name]) if name in ALIASES else None)


def _anchor_file(t) -> Span:
    """The file to edit when nothing more precise is written: the pinned layout, else prj.conf."""
    if t.pm_static is not None:
        return Span(t.pm_static.path, 1, 1)
    files = set(t.app.files)
    for name in ("prj.conf", "CMakeLists.txt"):
        p = t.app.root / name
        if p in files:
            return Span(p, 1, 1)
    return Span(t.app.root / "prj.conf", 1, 1)


def _usable(s: Optional[Span]) -> bool:
    return s is not None and s.line >= 1 and not str(s.path).startswith("<")


def _part_span(t, name: str) -> Span:
    p = t.flash.get(name) or (t.flash.get(ALIASES[name]) if name in ALIASES else None)
    if p is None:
        p = next((q for q in t.flash.partitions if q.label == name), None)
    if p is not None:
        for s in (p.address_at, p.size_at, p.where):
            if _usable(s):
                return s
    if t.pm_static is not None and name in t.pm_static.partitions:
        return t.pm_static.partitions[name].span
    return _anchor_file(t)


def _sym_span(t, image: str, *syms: str) -> Span:
    """Where one of these symbols is set for an image (sysbuild's SB_CONFIG_ first), else a fragment."""
    imgs = []
    if t.sysbuild is not None and t.sysbuild.config is not None:
        imgs.append(t.sysbuild.config)
    img = t.images.get(image)
    if img is not None and img.config is not None:
        imgs.append(img.config)
    for cfg in imgs:
        for s in syms:
            v = cfg.get(s)
            if v is not None and v.assignments:
                sp = v.assignments[-1].span
                if _usable(sp):
                    return sp
    if image == "mcuboot":
        mcu = t.images.get("mcuboot")
        if t.sysbuild is not None and t.sysbuild.conf_layers:
            return Span(t.sysbuild.conf_layers[0].path, 1, 1)
        files = set(t.app.files)
        for layer in (mcu.conf_layers if mcu is not None else []):
            if layer.path in files:
                return Span(layer.path, 1, 1)
    return _anchor_file(t)


def _hl(a, thing: str, old, new, effect: str = "") -> str:
    """A headline naming both sides: "mcuboot_secondary moved (v1.2.0 0x7e000+0x72000 -> 0x7f000+0x71000): ..." """
    short = a.label[8:] if a.label.startswith("release ") else a.label
    return f"{thing} ({short} {old} -> {new})" + (f": {effect}" if effect else "")


def _ps(p: Optional[PartFact]) -> str:
    return f"0x{p.address:x}+0x{p.size:x}" if p is not None else "absent"


def _pt(p: Optional[PartFact]) -> str:
    return p.text() if p is not None else "absent"


def _both(a, old: str, new: str) -> str:
    return f"{a.label}: {old}; this tree: {new}"


def _overlapping(f: ReleaseFacts, p: PartFact, skip: set) -> list[str]:
    """Leaf partitions of `f` that overlap p's flash, by name."""
    out = []
    for q in f.partitions:
        if q.name in skip or q.device != p.device or q.size <= 0:
            continue
        if q.address < p.end and p.address < q.end and not (q.address <= p.address and q.end >= p.end):
            out.append(q.name)
    return out


# ------------------------------------------------------------------ DFU800

@rule("DFU800", "release-not-compared", Severity.INFO,
      "--against: the release has no such app or board, so nothing was compared")
def release_not_compared(t):
    a = getattr(t, "against", None)
    if a is None:
        return
    if a.old is not None:
        side = "the release" if a.old.layout == "board" else "this tree" if a.new.layout == "board" else ""
        if side:
            yield hit(_anchor_file(t), f"{a.label}: the flash layout of {side} for {t.board} is the board's own "
                      f"pm_static file in the SDK, which dfulint does not read; partitions were not compared",
                      fix="compare against the release's build directory (`--against build-v1.2.0/`, its "
                          "partitions.yml is what shipped), or copy the layout into the app's pm_static.yml",
                      headline=_hl(a, "layout not compared", "", "", "the board's pm_static is not read").replace(" ( -> )", ""),
                  anchor="release:layout")
        return
    yield hit(_anchor_file(t), f"{a.label}: {a.problem or 'nothing to compare'}; the release gate did not "
              f"compare {t.board or 'this build'}",
              fix="compare with the release that shipped this app and board (`--against TAG`, its build folder "
                  "or its `dfulint map --format json` snapshot), or select only boards the release built (--board)",
              headline=f"not compared with {a.label}: " + (a.problem or "nothing to compare")[:70],
                  anchor="release")


# ------------------------------------------------------------------ DFU801

_EFFECT = {
    "primary": ("the shipped MCUboot still boots and swaps the release's primary slot; the tree's image is "
                "linked for and confirms itself in its own primary slot, so it is copied to the wrong place or "
                "its confirmation lands outside the slot MCUboot reads and the update is reverted"),
    "secondary": ("the tree's application writes updates where it thinks the secondary slot is, the shipped "
                  "MCUboot looks for them in the release's secondary slot: it finds no valid image "
                  "(\"E: Image in the secondary slot is not valid!\") and every update is lost"),
    "scratch": ("the shipped MCUboot keeps using the release's scratch area during every swap and erases "
                "whatever the tree now keeps there"),
    "mcuboot": ("devices keep the release's MCUboot; an application update never replaces it, so the tree's "
                "layout around MCUboot exists only on newly programmed devices"),
    "nsib": ("the shipped immutable bootloader (b0) has the release's s0/s1 addresses compiled in; it never "
             "finds an MCUboot placed elsewhere"),
}


def _role(name: str) -> str:
    if name in ("mcuboot_primary", "slot0_partition", "mcuboot_primary_1", "slot2_partition"):
        return "primary"
    if name in ("mcuboot_secondary", "slot1_partition", "mcuboot_secondary_1", "slot3_partition"):
        return "secondary"
    if name in ("mcuboot_scratch", "scratch_partition"):
        return "scratch"
    if name in ("s0", "s1", "b0", "provision", "b0n"):
        return "nsib"
    return "mcuboot"


def _layout_known(old: ReleaseFacts, new: ReleaseFacts) -> bool:
    return "board" not in (old.layout, new.layout)


def _predicted(op: PartFact, np: Optional[PartFact]) -> str:
    """A note when either side's numbers are dfulint's prediction of Partition Manager's placement."""
    sides = [s for s, p in (("the release", op), ("this tree", np)) if p is not None and not p.static]
    if not sides:
        return ""
    return (f" ({' and '.join(sides)} do{'es' * (len(sides) == 1)} not pin {op.name}: the numbers are Partition "
            f"Manager's placement as dfulint predicts it; pin the layout in pm_static.yml)")


@rule("DFU801", "boot-partition-moved", Severity.ERROR,
      "A partition the shipped bootloader reads (MCUboot, slots, scratch, s0/s1) moved, resized or disappeared",
      levels=(Severity.WARNING,))
def boot_partition_moved(t):
    a, old, new = _pair(t)
    if old is None or not (old.mcuboot or old.nsib) or not _layout_known(old, new):
        return
    from dfulint.model.release import ROLE, is_boot_read     # (here only with a release to compare with)

    seen = set()
    for op in old.partitions:
        if not is_boot_read(op.name) or op.name in seen:
            continue
        if _role(op.name) == "nsib" and not old.nsib:
            continue
        if _role(op.name) != "nsib" and not old.mcuboot:
            continue
        seen.add(op.name)
        seen.add(ALIASES.get(op.name, op.name))
        np = _find(new, op.name)
        if np is not None and (np.address, np.size, np.device) == (op.address, op.size, op.device):
            continue
        if np is None and (op.device == "ram_flash" or not any(q.device == op.device for q in new.partitions)):
            continue        # a RAM buffer, or a region this tree's model does not describe: nothing to compare
        role = _role(op.name)
        what = "disappeared" if np is None else "moved" if np.address != op.address or np.device != op.device \
            else "was resized"
        sev = None
        if role == "mcuboot":
            sev = Severity.WARNING      # only what it pushes (the slots) breaks devices; that is reported there
        guess = _predicted(op, np)
        if guess:
            sev = Severity.WARNING      # a prediction: the build may place it elsewhere
        extra = ""
        if role == "scratch" and np is not None:
            over = _overlapping(new, op, {op.name, np.name, ALIASES.get(op.name, "")})
            if not over:
                sev = Severity.WARNING
            else:
                extra = f" (there the tree now keeps {', '.join(over[:3])})"
        if role == "primary" and np is not None and what == "was resized" and a.shipped is not None:
            table = [r for r in a.shipped.reasons if r.code in ("primary-too-many-sectors",
                                                                "secondary-too-many-sectors")]
            if table:
                extra = f"; the shipped MCUboot's sector table (BOOT_MAX_IMG_SECTORS={old.max_img_sectors}) " \
                        f"cannot even hold the new slot: {table[0].message}"
        yield hit(_part_span(t, np.name if np is not None else op.name),
                  f"{ROLE.get(op.name, op.name)} {what}: {_both(a, _pt(op), _pt(np))}. "
                  f"{_EFFECT[role][0].upper()}{_EFFECT[role][1:]}{extra}{guess}",
                  fix=f"keep {op.name} at 0x{op.address:x} with size 0x{op.size:x} as the release shipped it "
                      f"(copy the release's partitions.yml into pm_static.yml / the devicetree partitions), "
                      f"and find room elsewhere",
                  image="mcuboot", headline=_hl(a, f"{op.name} {what}", _ps(op), _ps(np),
                               "predicted: not pinned" if guess else "devices keep the old MCUboot"
                               if role == "mcuboot" else "devices in the field break"),
                  anchor=f"release:{op.name}", severity=sev)


# ------------------------------------------------------------------ DFU802

@rule("DFU802", "data-partition-moved", Severity.ERROR,
      "A data partition (settings, NVS, littlefs, storage) moved or resized: devices lose their stored data",
      levels=(Severity.WARNING,))
def data_partition_moved(t):
    a, old, new = _pair(t)
    if old is None or not _layout_known(old, new):
        return
    from dfulint.model.release import is_data

    for op in old.partitions:
        if not is_data(op.name):
            continue
        np = new.part(op.name)
        if np is not None and (np.address, np.size, np.device) == (op.address, op.size, op.device):
            continue
        over = _overlapping(new, op, {op.name})
        if np is None:
            if not over:
                continue        # dropped and nothing reuses its flash: the data stays untouched
            yield hit(_anchor_file(t),
                      f"data partition {op.name} disappeared and its flash is reused: "
                      f"{_both(a, _pt(op), 'absent')}; the tree places {', '.join(over[:3])} there, so the "
                      f"update overwrites the data devices stored",
                      fix=f"keep {op.name} at 0x{op.address:x} size 0x{op.size:x} in pm_static.yml (or the "
                          f"devicetree) even if the tree no longer uses it", image="app", headline=_hl(a, f"{op.name} reused", _ps(op), "absent", "stored data overwritten"),
                  anchor=f"release:{op.name}")
            continue
        moved = np.address != op.address or np.device != op.device
        guess = _predicted(op, np)
        sev = None if moved and not guess else Severity.WARNING
        consequence = ("the new firmware looks for its data at the new place and finds it empty; the old "
                       "area is overwritten" + (f" by {', '.join(over[:3])}" if over else "")) if moved else \
            ("the file system or NVS is mounted with a different sector count: littlefs refuses the mount and "
             "is reformatted, NVS may lose its newest entries")
        yield hit(_part_span(t, op.name),
                  f"data partition {op.name} {'moved' if moved else 'was resized'}: {_both(a, _pt(op), _pt(np))}; "
                  f"devices updated from the release lose their stored data: {consequence}{guess}",
                  fix=f"pin {op.name} at 0x{op.address:x} with size 0x{op.size:x} as shipped (pm_static.yml or "
                      f"the devicetree), or migrate the data in the new firmware before using the new place",
                  image="app", headline=_hl(a, f"{op.name} {'moved' if moved else 'resized'}", _ps(op), _ps(np), "stored data lost"),
                  anchor=f"release:{op.name}", severity=sev)


# ------------------------------------------------------------------ DFU803

def _slots_same(old: ReleaseFacts, new: ReleaseFacts) -> bool:
    for n in ("mcuboot_primary", "mcuboot_secondary"):
        op, np = _find(old, n), _find(new, n)
        if op is None or np is None or (op.address, op.size, op.device) != (np.address, np.size, np.device):
            return False
    return True


@rule("DFU803", "image-exceeds-shipped-bootloader", Severity.WARNING,
      "The tree lets the image grow beyond what the shipped MCUboot accepts (its sector table, trailer and mode)",
      levels=(Severity.ERROR,))
def image_exceeds_shipped_bootloader(t):
    a, old, new = _pair(t)
    if old is None or not old.mcuboot or not new.mcuboot or not _slots_same(old, new):
        return
    if _GROUP.get(old.mode) != _GROUP.get(new.app_mode or new.mode):
        return              # the application is built for another mode (DFU806)
    lim_old, lim_new = old.max_image_size, new.max_image_size
    if new.image_size and lim_old and new.image_size > lim_old:
        yield hit(_part_span(t, "mcuboot_primary"),
                  f"the built image is {kib(new.image_size)} (0x{new.image_size:x}, header, image and TLVs); the "
                  f"shipped MCUboot accepts at most {kib(lim_old)} (0x{lim_old:x}) in these slots "
                  f"({a.label}: {old.mode}, BOOT_MAX_IMG_SECTORS={old.max_img_sectors}). Every device in the field "
                  f"refuses this update (\"E: Image in the secondary slot is not valid!\")",
                  fix=f"shrink the application below 0x{lim_old:x} bytes (drop features, lower logging, -Os), "
                      f"the layout cannot grow for devices in the field", image="app", headline=_hl(a, "image too large for the shipped MCUboot", f"accepts 0x{lim_old:x}", f"image 0x{new.image_size:x}"),
                  anchor="release:image-size",
                  severity=Severity.ERROR)
        return
    if not lim_old or not lim_new or lim_new <= lim_old:
        return
    why = []
    if old.max_img_sectors and new.max_img_sectors and old.max_img_sectors != new.max_img_sectors:
        why.append(f"BOOT_MAX_IMG_SECTORS {old.max_img_sectors} shipped, {new.max_img_sectors} in the tree")
    if old.mode != new.mode:
        why.append(f"mode {old.mode} shipped, {new.mode} in the tree")
    if old.max_align and new.max_align and old.max_align != new.max_align:
        why.append(f"BOOT_MAX_ALIGN {old.max_align} shipped, {new.max_align} in the tree")
    if old.encrypted is not None and new.encrypted is not None and old.encrypted != new.encrypted:
        why.append("encryption differs")
    if not why:
        why.append(f"the shipped MCUboot ({old.sdk or 'its release'}) sizes its trailer differently")
    yield hit(_sym_span(t, "mcuboot", "BOOT_MAX_IMG_SECTORS", "MCUBOOT_MODE_SWAP_USING_MOVE"),
              f"the largest update the shipped MCUboot accepts is {kib(lim_old)} (0x{lim_old:x}); this tree's "
              f"layout and MCUboot allow {kib(lim_new)} (0x{lim_new:x}) ({'; '.join(why)}). An image between the "
              f"two builds, uploads, and is refused by every device in the field "
              f"(\"E: Image in the secondary slot is not valid!\")",
              fix=f"keep the application image below 0x{lim_old:x} bytes (header, image and TLVs) while devices "
                  f"run the release's MCUboot, e.g. with a build-time size check; or keep MCUboot's settings as "
                  f"shipped", image="app", headline=_hl(a, "largest image grows past the shipped MCUboot's", f"0x{lim_old:x}", f"0x{lim_new:x}"),
                  anchor="release:max-image")


# ------------------------------------------------------------------ DFU804

_DEV_KEYS = ("root-rsa-2048.pem", "root-rsa-3072.pem", "root-ec-p256.pem", "root-ed25519.pem",
             "root-ec-p384.pem")


def _key_name(k: Optional[str]) -> Optional[str]:
    if k is None:
        return None
    k = k.strip().strip('"')
    base = k.replace("\\", "/").rsplit("/", 1)[-1]
    return base if base in _DEV_KEYS else k


def _base(k: str) -> str:
    return k.replace("\\", "/").rsplit("/", 1)[-1]


@rule("DFU804", "signing-key-changed", Severity.ERROR,
      "Signature type or signing key differs from the shipped MCUboot's: every update is refused",
      levels=(Severity.WARNING,))
def signing_key_changed(t):
    a, old, new = _pair(t)
    if old is None or not old.mcuboot or not new.mcuboot:
        return
    span = _sym_span(t, "mcuboot", "BOOT_SIGNATURE_KEY_FILE", "MCUBOOT_SIGNATURE_KEY_FILE",
                     "BOOT_SIGNATURE_TYPE_ECDSA_P256", "BOOT_SIGNATURE_TYPE_RSA", "BOOT_SIGNATURE_TYPE_ED25519")
    if old.signature_type and new.signature_type and old.signature_type != new.signature_type:
        yield hit(span, f"signature type changed: {_both(a, old.signature_type, new.signature_type)}. The shipped "
                        f"MCUboot verifies only {old.signature_type} signatures with the key compiled into it: every "
                        f"update signed by this tree is refused (\"E: Image in the secondary slot is not valid!\")",
                  fix=f"sign with {old.signature_type} and the release's key (SB_CONFIG_BOOT_SIGNATURE_TYPE_/"
                      f"CONFIG_BOOT_SIGNATURE_TYPE_ as shipped) until devices have a bootloader that accepts both",
                  image="mcuboot", headline=_hl(a, "signature type changed", old.signature_type, new.signature_type, "every update refused"),
                  anchor="release:signature")
        return
    ok_, nk = _key_name(old.key_file), _key_name(new.key_file)
    if old.key_digest and new.key_digest:
        if old.key_digest == new.key_digest:
            return
        yield hit(span, f"signing key changed: {_both(a, f'{old.key_file} (sha256 {old.key_digest})', f'{new.key_file} (sha256 {new.key_digest})')}. "
                        "The shipped MCUboot holds the release's public key: every update signed with the new key "
                        "is refused (\"E: Image in the secondary slot is not valid!\")",
                  fix="sign updates with the key the release shipped; a new key needs a bootloader that carries it, "
                      "which an application update cannot install", image="mcuboot", headline=_hl(a, "signing key changed", old.key_digest[:8], new.key_digest[:8], "every update refused"),
                  anchor="release:key")
        return
    if ok_ is None or nk is None or ok_ == nk:
        return
    if not (old.key_digest or new.key_digest) and _base(ok_) == _base(nk):
        return          # the same key file in another folder (e.g. child_image/ to images/mcuboot/)
    dev = ok_ in _DEV_KEYS
    yield hit(span, f"signing key file changed: {_both(a, old.key_file, new.key_file)}. "
                    + ("The release shipped MCUboot's public development key; " if dev else "")
                    + "if the key differs, the shipped MCUboot refuses every update signed with it "
                      "(\"E: Image in the secondary slot is not valid!\")",
              fix="sign updates with the key the release shipped (point BOOT_SIGNATURE_KEY_FILE at it)",
              image="mcuboot", headline=_hl(a, "signing key file changed", _base(ok_), _base(nk), "updates refused if the key differs"),
                  anchor="release:key",
              severity=None if dev or (old.key_digest or new.key_digest) else Severity.WARNING)


# ------------------------------------------------------------------ DFU805

@rule("DFU805", "encryption-changed", Severity.ERROR,
      "Image encryption on/off, type or key differs from the shipped MCUboot's",
      levels=(Severity.WARNING,))
def encryption_changed(t):
    a, old, new = _pair(t)
    if old is None or not old.mcuboot or not new.mcuboot or old.encrypted is None or new.encrypted is None:
        return
    span = _sym_span(t, "mcuboot", "BOOT_ENCRYPTION_KEY_FILE", "BOOT_ENCRYPT_IMAGE", "BOOT_ENCRYPT_EC256",
                     "BOOT_ENCRYPT_X25519", "BOOT_ENCRYPT_RSA")
    if new.encrypted and not old.encrypted:
        yield hit(span, f"update encryption turned on: {_both(a, 'plain images', 'encrypted images')}. The shipped "
                        "MCUboot cannot decrypt: every encrypted update is refused",
                  fix="ship plain images until devices run a bootloader with encryption support; encryption cannot "
                      "be added by an application update", image="mcuboot", headline=_hl(a, "encryption turned on", "plain", "encrypted", "every update refused"),
                  anchor="release:encryption")
    elif old.encrypted and not new.encrypted:
        yield hit(span, f"update encryption turned off: {_both(a, 'encrypted images', 'plain images')}. The shipped "
                        "MCUboot still installs plain images, but updates now travel readable",
                  fix="keep encrypting updates with the release's key (CONFIG_BOOT_ENCRYPT_IMAGE / the release's "
                      "BOOT_ENCRYPTION_KEY_FILE)", image="mcuboot", headline=_hl(a, "encryption turned off", "encrypted", "plain", "updates travel readable"),
                  anchor="release:encryption",
                  severity=Severity.WARNING)
    elif old.encrypted and new.encrypted:
        if old.encryption_type and new.encryption_type and old.encryption_type != new.encryption_type:
            yield hit(span, f"encryption type changed: {_both(a, old.encryption_type, new.encryption_type)}. The "
                            "shipped MCUboot cannot unwrap the new key: every update is refused",
                      fix=f"encrypt with {old.encryption_type} and the release's key",
                      image="mcuboot", headline=_hl(a, "encryption type changed", old.encryption_type, new.encryption_type, "every update refused"),
                  anchor="release:encryption")
        elif old.enc_key_file and new.enc_key_file and _key_name(old.enc_key_file) != _key_name(new.enc_key_file):
            yield hit(span, f"encryption key file changed: {_both(a, old.enc_key_file, new.enc_key_file)}. If the "
                            "key differs, the shipped MCUboot cannot decrypt and refuses every update",
                      headline=_hl(a, "encryption key file changed", _base(old.enc_key_file), _base(new.enc_key_file)),
                  fix="encrypt updates for the key the release's MCUboot holds",
                      image="mcuboot", anchor="release:encryption", severity=Severity.WARNING)


# ------------------------------------------------------------------ DFU806

_GROUP = {"swap-move": "swap", "swap-scratch": "swap", "overwrite-only": "swap", "swap-offset": "offset",
          "direct-xip": "xip", "direct-xip-revert": "xip", "ram-load": "ram", "single-app": "single",
          "firmware-loader": "single"}


@rule("DFU806", "mode-changed", Severity.ERROR,
      "The application is built for another upgrade mode than the shipped MCUboot runs",
      levels=(Severity.WARNING,))
def mode_changed(t):
    a, old, new = _pair(t)
    if old is None or not old.mcuboot or not new.mcuboot or old.mode is None:
        return
    app_mode = new.app_mode or new.mode
    if app_mode is None or app_mode == old.mode:
        return
    g_old, g_new = _GROUP.get(old.mode), _GROUP.get(app_mode)
    span = _sym_span(t, "app", "MCUBOOT_MODE_SWAP_USING_MOVE", "MCUBOOT_MODE_SWAP_SCRATCH", "MCUBOOT_MODE_OVERWRITE_ONLY",
                     "MCUBOOT_MODE_DIRECT_XIP", "MCUBOOT_MODE_DIRECT_XIP_WITH_REVERT", "MCUBOOT_MODE_SWAP_USING_OFFSET",
                     "MCUBOOT_BOOTLOADER_MODE_SWAP_USING_MOVE", "MCUBOOT_BOOTLOADER_MODE_SWAP_SCRATCH",
                     "MCUBOOT_BOOTLOADER_MODE_OVERWRITE_ONLY", "MCUBOOT_BOOTLOADER_MODE_DIRECT_XIP",
                     "BOOT_SWAP_USING_MOVE", "BOOT_SWAP_USING_SCRATCH", "BOOT_UPGRADE_ONLY", "BOOT_DIRECT_XIP")
    text = f"upgrade mode changed: {_both(a, f'MCUboot {old.mode}', f'the application is built for {app_mode}')}"
    if g_old == g_new:
        if "overwrite-only" not in (old.mode, app_mode):
            return          # swap-move and swap-scratch: the application's side of the protocol is the same
        yield hit(span, text + (". The shipped MCUboot overwrites: a test update the application expects to revert "
                                "becomes permanent" if old.mode == "overwrite-only" else
                                ". The shipped MCUboot swaps and reverts unconfirmed images; the application, built "
                                "for overwrite-only, may never confirm itself and is rolled back at the next reset"),
                  fix=f"build the application for the shipped mode ({old.mode}); a mode change needs a new bootloader",
                  image="app", headline=_hl(a, "upgrade mode changed", old.mode, app_mode, "revert behaviour differs"),
                  anchor="release:mode", severity=Severity.WARNING)
        return
    yield hit(span, text + f". Devices keep the release's MCUboot ({old.mode}); an image built for {app_mode} is "
                           "placed, linked or confirmed the way the shipped MCUboot does not expect: it is refused or "
                           "does not boot",
              fix=f"build the application for {old.mode} (the shipped bootloader's mode); changing the mode needs "
                  f"a bootloader update, which an application update cannot deliver", image="app", headline=_hl(a, "upgrade mode changed", old.mode, app_mode, "updates refused or do not boot"),
                  anchor="release:mode")


# ------------------------------------------------------------------ DFU807

@rule("DFU807", "version-downgrade", Severity.ERROR,
      "The image version or security counter goes backwards while the shipped MCUboot prevents downgrades",
      levels=(Severity.INFO,))
def version_downgrade(t):
    a, old, new = _pair(t)
    if old is None or not old.mcuboot:
        return
    span = _sym_span(t, "app", "MCUBOOT_IMGTOOL_SIGN_VERSION", "MCUBOOT_IMAGE_VERSION",
                     "MCUBOOT_HW_DOWNGRADE_PREVENTION_COUNTER_VALUE")
    if span.path.name in ("prj.conf", "CMakeLists.txt") and span.line == 1 and (t.app.root / "VERSION") in set(t.app.files):
        span = Span(t.app.root / "VERSION", 1, 1)
    prevent = old.downgrade_prevention
    if prevent == "security-counter" and old.security_counter is not None and new.security_counter is not None \
            and new.security_counter < old.security_counter:
        yield hit(span, f"security counter goes backwards: {_both(a, old.security_counter, new.security_counter)}. "
                        "The shipped MCUboot refuses images whose counter is below the one stored in the device",
                  fix=f"set the security counter to {old.security_counter} or higher", image="app",
                  headline=_hl(a, "security counter goes backwards", old.security_counter, new.security_counter, "update refused"),
                  anchor="release:counter")
        return
    from dfulint.model.release import parse_image_version

    vo, vn = parse_image_version(old.image_version), parse_image_version(new.image_version)
    if vo is None or vn is None or vn[:3] >= vo[:3]:
        return
    if prevent == "version":
        yield hit(span, f"image version goes backwards: {_both(a, old.image_version, new.image_version)}. The "
                        "shipped MCUboot has downgrade prevention: it refuses the update and keeps the release",
                  fix=f"give this image a version above {old.image_version} (CONFIG_MCUBOOT_IMGTOOL_SIGN_VERSION or "
                      f"the VERSION file)", image="app", headline=_hl(a, "image version goes backwards", old.image_version, new.image_version, "update refused"),
                  anchor="release:version")
    else:
        yield hit(span, f"image version goes backwards: {_both(a, old.image_version, new.image_version)}. The shipped "
                        "MCUboot installs it, but update servers and phone apps that compare versions treat it as old",
                  fix=f"give this image a version above {old.image_version}", image="app", headline=_hl(a, "image version goes backwards", old.image_version, new.image_version),
                  anchor="release:version",
                  severity=Severity.INFO)


# ------------------------------------------------------------------ DFU808

@rule("DFU808", "boot-chain-changed", Severity.ERROR,
      "MCUboot or the immutable bootloader (NSIB, b0 with s0/s1) was added or removed: an update cannot change the boot chain",
      levels=(Severity.WARNING, Severity.INFO))
def boot_chain_changed(t):
    a, old, new = _pair(t)
    if old is None:
        return
    if old.mcuboot != new.mcuboot:
        span = _sym_span(t, "app", "BOOTLOADER_MCUBOOT")
        if new.mcuboot:
            yield hit(span, f"the tree adds MCUboot: {_both(a, 'built without MCUboot', 'MCUboot boots the application')}. "
                            "Devices from the release have no MCUboot to install an update; an application update "
                            "cannot add a bootloader, so only newly programmed devices get it (unless the release was "
                            "built with another configuration, e.g. a DFU build type or overlay, that enabled MCUboot)",
                      fix="compare against the configuration the release was really built with (its build directory), "
                          "or update devices from the release through the path they already have",
                      image="mcuboot", headline=_hl(a, "MCUboot added", "none", "MCUboot", "devices from the release cannot get it"),
                  anchor="release:mcuboot", severity=Severity.WARNING)
        else:
            yield hit(span, f"the tree drops MCUboot: {_both(a, 'MCUboot boots the application', 'built without MCUboot')}. "
                            "Devices keep the release's MCUboot, which only accepts signed images linked for its "
                            "primary slot; the tree's image is neither",
                      fix="keep CONFIG_BOOTLOADER_MCUBOOT / SB_CONFIG_BOOTLOADER_MCUBOOT as shipped for devices in the field",
                      image="mcuboot", headline=_hl(a, "MCUboot dropped", "MCUboot", "none", "the shipped MCUboot refuses the images"),
                  anchor="release:mcuboot", severity=Severity.WARNING)
        return
    if not old.mcuboot or old.nsib is None or new.nsib is None:
        return
    if old.nsib == new.nsib:
        diffs = [f"{what} {o} -> {n}" for what, o, n in (
            ("mode", old.mode, new.mode), ("BOOT_MAX_IMG_SECTORS", old.max_img_sectors, new.max_img_sectors),
            ("BOOT_MAX_ALIGN", old.max_align, new.max_align)) if o is not None and n is not None and o != n]
        if diffs and not old.nsib:
            yield hit(_sym_span(t, "mcuboot", "BOOT_MAX_IMG_SECTORS", "MCUBOOT_MODE_SWAP_USING_MOVE",
                                "MCUBOOT_MODE_SWAP_SCRATCH", "MCUBOOT_MODE_OVERWRITE_ONLY"),
                      f"the tree changes MCUboot ({'; '.join(diffs)}), but devices from {a.label[8:] if a.label.startswith('release ') else a.label} "
                      "cannot receive a new MCUboot: without the immutable bootloader (b0 with s0/s1) MCUboot is "
                      "never updated, so they keep the release's and the change applies to newly programmed devices only",
                      headline=_hl(a, "MCUboot change never reaches the field", "shipped", "tree", "; ".join(diffs))[:110],
                      fix="keep MCUboot's settings as shipped while the release's devices are updated from this tree, "
                          "or plan the change for new hardware",
                      image="mcuboot", anchor="release:mcuboot-config", severity=Severity.INFO)
        return
    span = _sym_span(t, "app", "SECURE_BOOT", "SECURE_BOOT_APPCORE", "BUILD_S1_VARIANT")
    if new.nsib:
        yield hit(span, f"the tree adds the immutable bootloader: {_both(a, 'MCUboot boots directly', 'b0 boots MCUboot from s0/s1')}. "
                        "Devices from the release have no b0 and no s0/s1: an update cannot install them, so MCUboot "
                        "stays un-upgradable on those devices and the tree's layout exists only on new devices",
                  fix="keep the release's boot chain for products in the field (no SECURE_BOOT); ship NSIB only on a "
                      "new hardware revision with its own update stream", image="mcuboot", headline=_hl(a, "immutable bootloader added", "MCUboot only", "b0 + s0/s1", "cannot be installed by an update"),
                  anchor="release:nsib")
    else:
        yield hit(span, f"the tree drops the immutable bootloader: {_both(a, 'b0 boots MCUboot from s0/s1', 'MCUboot boots directly')}. "
                        "Devices keep b0 and their s0/s1 layout; the tree's images are laid out for a flash map they "
                        "do not have",
                  headline=_hl(a, "immutable bootloader dropped", "b0 + s0/s1", "MCUboot only", "images do not fit devices"),
                  fix="keep SECURE_BOOT and the release's s0/s1 partitions for devices in the field", image="mcuboot",
                  anchor="release:nsib")


# ------------------------------------------------------------------ DFU809

@rule("DFU809", "image-count-changed", Severity.ERROR,
      "The number of images MCUboot updates (UPDATEABLE_IMAGE_NUMBER, network core) differs from the release",
      levels=(Severity.WARNING,))
def image_count_changed(t):
    a, old, new = _pair(t)
    if old is None or not old.mcuboot or not new.mcuboot or not old.image_count or not new.image_count \
            or old.image_count == new.image_count:
        return
    span = _sym_span(t, "mcuboot", "UPDATEABLE_IMAGE_NUMBER", "MCUBOOT_UPDATEABLE_IMAGES",
                     "MCUBOOT_NRF53_MULTI_IMAGE_UPDATE", "NRF53_MULTI_IMAGE_UPDATE")
    if new.image_count > old.image_count:
        yield hit(span, f"MCUboot image count grew: {_both(a, f'{old.image_count} image(s)', f'{new.image_count} image(s)')}. "
                        "The shipped MCUboot does not know the extra image's slots: update packages carrying it "
                        "(e.g. the network core) are never installed",
                  fix=f"keep {old.image_count} updatable image(s) for devices from the release, or update the extra "
                      "image through a path the shipped bootloader supports", image="mcuboot", headline=_hl(a, "MCUboot image count grew", old.image_count, new.image_count, "extra image never installed"),
                  anchor="release:images")
    else:
        yield hit(span, f"MCUboot image count shrank: {_both(a, f'{old.image_count} image(s)', f'{new.image_count} image(s)')}. "
                        "The shipped MCUboot still expects the other image's slots; the tree may now use that flash, "
                        "and that image can no longer be updated",
                  fix=f"keep {old.image_count} updatable images and their slots as shipped", image="mcuboot",
                  headline=_hl(a, "MCUboot image count shrank", old.image_count, new.image_count),
                  anchor="release:images", severity=Severity.WARNING)
