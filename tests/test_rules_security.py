"""7xx security rules: who can put firmware on the device, and with what."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from dfulint.cli import cli
from helpers import MCUMGR_BT_CHAIN, make_app

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "fixtures" / "seed_bl653_dvk"
NRF52840 = ("--board", "nrf52840dk/nrf52840")
NRF52833 = ("--board", "nrf52833dk/nrf52833")
OWN_KEY_SB = 'SB_CONFIG_BOOT_SIGNATURE_KEY_FILE="/keys/product-priv.pem"\n'

CHAIN = MCUMGR_BT_CHAIN


make = make_app


def check(app: Path, sdk=None, board=NRF52840, select="DFU7", extra=(), profile="release") -> list[dict]:
    """Findings in JSON; the release profile by default, where posture findings carry their weight."""
    args = ["check", str(app), "--format", "json", *board, "--select", select, "--profile", profile, *extra]
    if sdk:
        args += ["--sdk-version", sdk]
    res = CliRunner().invoke(cli, args)
    assert res.exit_code in (0, 1), res.output
    return json.loads(res.output)["findings"]


def only(findings, code):
    out = [f for f in findings if f["code"] == code]
    assert out, f"no {code} in {[(f['code'], f['path'], f['line']) for f in findings]}"
    return out


def codes(findings) -> set:
    return {f["code"] for f in findings}


# ------------------------------------------------------------------ the seed project (NCS 1.9.99)

def test_seed_is_flagged_for_unauthenticated_smp_and_default_key():
    f = check(SEED, board=(), select="DFU4,DFU5,DFU7")
    smp = only(f, "DFU701")
    assert [(x["path"], x["line"]) for x in smp] == [("prj.conf", 21)]
    assert smp[0]["severity"] == "error"          # release: anyone in range can upload
    assert only(check(SEED, board=(), profile="development"), "DFU701")[0]["severity"] == "info"
    assert "root-rsa-2048.pem" in smp[0]["message"]
    assert "CONFIG_MCUMGR_SMP_BT_AUTHEN=n" in smp[0]["fix"]
    key = only(f, "DFU702")[0]
    assert key["image"] == "mcuboot" and "root-rsa-2048.pem" in key["message"]
    assert "child_image/mcuboot/prj.conf" in key["fix"] and "imgtool keygen" in key["fix"]
    # its MCUmgr names are right for NCS 1.9
    assert not [x for x in f if x["code"] in ("DFU406", "DFU408") and "MCUMGR" in x["message"]]


def test_dfu701_severity_does_not_pile_up_with_the_development_key(tmp_path: Path):
    app = tmp_path / "seed"
    shutil.copytree(SEED, app)
    with open(app / "child_image/mcuboot/prj.conf", "a") as fh:
        fh.write('CONFIG_BOOT_SIGNATURE_KEY_FILE="/secure/keys/bl653-priv.pem"\n')
    f = check(app, board=())
    assert "DFU702" not in codes(f)
    # open SMP is open whatever the key: the same severity with and without the development key
    assert only(f, "DFU701")[0]["severity"] == "error"
    assert "DFU702" in codes(check(SEED, board=()))


# ------------------------------------------------------------------ DFU701 per era

def test_dfu701_ncs25_authen_off(tmp_path: Path):
    app = make(tmp_path / "a", {"prj.conf": CHAIN + "CONFIG_MCUMGR_TRANSPORT_BT_AUTHEN=n\n",
                                "child_image/mcuboot.conf": 'CONFIG_BOOT_SIGNATURE_KEY_FILE="/k/p.pem"\n'})
    f = only(check(app, "2.5.0"), "DFU701")[0]
    assert (f["line"], f["severity"]) == (14, "error")
    assert "CONFIG_MCUMGR_TRANSPORT_BT_AUTHEN=y" in f["fix"]


def test_dfu701_ncs28_sample_helper_defaults_to_rw(tmp_path: Path):
    app = make(tmp_path / "a", {"prj.conf": "CONFIG_BT=y\nCONFIG_BT_PERIPHERAL=y\nCONFIG_BT_SMP=y\n"
                                            "CONFIG_NCS_SAMPLE_MCUMGR_BT_OTA_DFU=y\n",
                                "sysbuild.conf": "SB_CONFIG_BOOTLOADER_MCUBOOT=y\n"})
    f = only(check(app, "2.8.0"), "DFU701")[0]
    assert (f["line"], f["severity"]) == (4, "error")
    assert "NCS_SAMPLE_MCUMGR_BT_OTA_DFU" in f["message"]
    assert "CONFIG_MCUMGR_TRANSPORT_BT_PERM_RW_AUTHEN=y" in f["fix"]


def test_dfu701_perm_choice(tmp_path: Path):
    base = {"sysbuild.conf": "SB_CONFIG_BOOTLOADER_MCUBOOT=y\n" + OWN_KEY_SB}
    rw = make(tmp_path / "rw", dict(base, **{"prj.conf": CHAIN + "CONFIG_MCUMGR_TRANSPORT_BT_PERM_RW=y\n"}))
    f = only(check(rw, "3.0.0"), "DFU701")[0]
    assert (f["line"], f["severity"]) == (14, "error")
    enc = make(tmp_path / "enc", dict(base, **{"prj.conf": CHAIN + "CONFIG_MCUMGR_TRANSPORT_BT_PERM_RW_ENCRYPT=y\n"}))
    f = only(check(enc, "3.0.0"), "DFU701")[0]
    assert f["severity"] == "warning" and "Just Works" in f["message"]
    auth = make(tmp_path / "auth", dict(base, **{"prj.conf": CHAIN + "CONFIG_MCUMGR_TRANSPORT_BT_PERM_RW_AUTHEN=y\n"}))
    assert "DFU701" not in codes(check(auth, "3.0.0"))


def test_dfu701_without_bt_smp_is_an_inference(tmp_path: Path):
    prj = CHAIN.replace("CONFIG_BT_SMP=y\n", "")
    app = make(tmp_path / "a", {"prj.conf": prj, "sysbuild.conf": "SB_CONFIG_BOOTLOADER_MCUBOOT=y\n" + OWN_KEY_SB})
    f = only(check(app, "3.0.0"), "DFU701")[0]
    assert f["severity"] == "warning" and "BT_SMP" in f["message"] and f["line"] == 12
    assert only(check(app, "3.0.0", profile="development"), "DFU701")[0]["severity"] == "info"


def test_dfu701_needs_image_management(tmp_path: Path):
    prj = "".join(ln + "\n" for ln in CHAIN.splitlines() if "GRP_IMG" not in ln) + \
        "CONFIG_MCUMGR_TRANSPORT_BT_AUTHEN=n\n"
    app = make(tmp_path / "a", {"prj.conf": prj})
    assert "DFU701" not in codes(check(app, "2.5.0"))


# ------------------------------------------------------------------ DFU702

@pytest.mark.parametrize("board,sdk,key", [
    (NRF52840, "2.5.0", "root-ec-p256.pem"),
    (NRF52833, "2.5.0", "root-rsa-2048.pem"),
    (("--board", "nrf54l15dk/nrf54l15/cpuapp"), "3.1.0", "root-ed25519.pem"),
])
def test_dfu702_default_key_by_soc(tmp_path: Path, board, sdk, key):
    files = {"prj.conf": "CONFIG_BOOTLOADER_MCUBOOT=y\n"}
    if sdk >= "2.7":
        files["sysbuild.conf"] = "SB_CONFIG_BOOTLOADER_MCUBOOT=y\n"
    app = make(tmp_path / "a", files)
    f = only(check(app, sdk, board), "DFU702")[0]
    assert key in f["message"] and f["severity"] == "error"
    dev = only(check(app, sdk, board, profile="development"), "DFU702")[0]
    assert dev["severity"] == "info"


def test_dfu702_explicit_path_to_mcuboots_key(tmp_path: Path):
    app = make(tmp_path / "a", {"prj.conf": "CONFIG_BOOTLOADER_MCUBOOT=y\n",
                                "child_image/mcuboot.conf":
                                    'CONFIG_BOOT_SIGNATURE_KEY_FILE="/ncs/bootloader/mcuboot/root-ec-p256.pem"\n'})
    f = only(check(app, "2.5.0"), "DFU702")[0]
    assert (f["path"], f["line"]) == ("child_image/mcuboot.conf", 1)
    app2 = make(tmp_path / "b", {"prj.conf": "CONFIG_BOOTLOADER_MCUBOOT=y\n",
                                 "child_image/mcuboot.conf": 'CONFIG_BOOT_SIGNATURE_KEY_FILE="/k/product.pem"\n'})
    assert "DFU702" not in codes(check(app2, "2.5.0"))


def test_dfu702_plain_zephyr_app_signing_key(tmp_path: Path):
    app = make(tmp_path / "a", {"prj.conf": 'CONFIG_BOOTLOADER_MCUBOOT=y\n'
                                            'CONFIG_MCUBOOT_SIGNATURE_KEY_FILE="bootloader/mcuboot/root-rsa-2048.pem"\n',
                                "app.overlay": "/ {\n};\n"})
    f = check(app, "3.6.0", ("--board", "frdm_k64f"))
    hits = [x for x in f if x["code"] == "DFU702"]
    assert hits and all(x["line"] == 2 for x in hits)


# ------------------------------------------------------------------ DFU703

def test_dfu703_off_by_default_is_info(tmp_path: Path):
    app = make(tmp_path / "a", {"prj.conf": CHAIN, "sysbuild.conf": "SB_CONFIG_BOOTLOADER_MCUBOOT=y\n" + OWN_KEY_SB})
    f = only(check(app, "2.8.0"), "DFU703")[0]
    assert (f["path"], f["line"], f["severity"]) == ("sysbuild.conf", 1, "error")
    assert only(check(app, "2.8.0", profile="development"), "DFU703")[0]["severity"] == "info"
    assert "sysbuild/mcuboot.conf" in f["fix"]
    on = make(tmp_path / "b", {"prj.conf": CHAIN, "sysbuild.conf": "SB_CONFIG_BOOTLOADER_MCUBOOT=y\n" + OWN_KEY_SB,
                               "sysbuild/mcuboot.conf": "CONFIG_MCUBOOT_DOWNGRADE_PREVENTION=y\n"})
    assert "DFU703" not in codes(check(on, "2.8.0"))
    hw = make(tmp_path / "c", {"prj.conf": CHAIN, "sysbuild.conf": "SB_CONFIG_BOOTLOADER_MCUBOOT=y\n" + OWN_KEY_SB +
                                                                   "SB_CONFIG_MCUBOOT_HARDWARE_DOWNGRADE_PREVENTION=y\n"})
    assert "DFU703" not in codes(check(hw, "2.8.0", ("--board", "nrf5340dk/nrf5340/cpuapp")))


def test_dfu703_swap_mode_on_old_mcuboot(tmp_path: Path):
    prj = ("CONFIG_BOOTLOADER_MCUBOOT=y\nCONFIG_BT=y\nCONFIG_BT_PERIPHERAL=y\nCONFIG_MCUMGR=y\n"
           "CONFIG_MCUMGR_CMD_IMG_MGMT=y\nCONFIG_MCUMGR_SMP_BT=y\n")
    app = make(tmp_path / "a", {"prj.conf": prj, "child_image/mcuboot.conf": "CONFIG_MCUBOOT_DOWNGRADE_PREVENTION=y\n"})
    f = only(check(app, "2.0.0"), "DFU703")[0]
    assert (f["path"], f["line"], f["severity"]) == ("child_image/mcuboot.conf", 1, "error")
    assert "CONFIG_BOOT_UPGRADE_ONLY=y" in f["fix"]
    # NCS 2.2+: swap modes support it
    assert "DFU703" not in codes(check(app, "2.2.0"))


def test_dfu703_not_for_direct_xip(tmp_path: Path):
    app = make(tmp_path / "a", {"prj.conf": CHAIN,
                                "sysbuild.conf": "SB_CONFIG_BOOTLOADER_MCUBOOT=y\nSB_CONFIG_MCUBOOT_MODE_DIRECT_XIP=y\n"})
    assert "DFU703" not in codes(check(app, "2.8.0"))


# ------------------------------------------------------------------ DFU704

def test_dfu704_entry_modes(tmp_path: Path):
    base = {"prj.conf": "CONFIG_BOOTLOADER_MCUBOOT=y\n", "sysbuild.conf": "SB_CONFIG_BOOTLOADER_MCUBOOT=y\n" + OWN_KEY_SB}
    btn = make(tmp_path / "btn", dict(base, **{"sysbuild/mcuboot.conf": "CONFIG_MCUBOOT_SERIAL=y\n"}))
    f = only(check(btn, "2.8.0"), "DFU704")[0]
    assert (f["line"], f["severity"]) == (1, "warning") and "recovery button" in f["message"]
    wait = make(tmp_path / "wait", dict(base, **{"sysbuild/mcuboot.conf": "CONFIG_MCUBOOT_SERIAL=y\n"
                                                                          "CONFIG_BOOT_SERIAL_WAIT_FOR_DFU=y\n"}))
    f = only(check(wait, "2.8.0"), "DFU704")[0]
    assert f["severity"] == "error" and "every boot" in f["message"]
    cdc = make(tmp_path / "cdc", {"prj.conf": "CONFIG_BOOTLOADER_MCUBOOT=y\n",
                                  "child_image/mcuboot.conf": "CONFIG_MCUBOOT_SERIAL=y\nCONFIG_BOOT_SERIAL_CDC_ACM=y\n"})
    f = only(check(cdc, "2.5.0"), "DFU704")[0]
    assert f["severity"] == "warning" and "USB" in f["message"] and "firmware of their own" in f["message"]


def test_dfu704_thingy53_mcuboot_has_usb_recovery(tmp_path: Path):
    app = make(tmp_path / "a", {"prj.conf": "CONFIG_BOOTLOADER_MCUBOOT=y\n"})
    f = only(check(app, "2.3.0", ("--board", "thingy53_nrf5340_cpuapp")), "DFU704")[0]
    assert "USB" in f["message"] and f["line"] == 1


# ------------------------------------------------------------------ DFU705

def test_dfu705_serial_and_udp(tmp_path: Path):
    prj = ("CONFIG_BOOTLOADER_MCUBOOT=y\nCONFIG_MCUMGR=y\nCONFIG_NET_BUF=y\nCONFIG_ZCBOR=y\nCONFIG_FLASH=y\n"
           "CONFIG_FLASH_MAP=y\nCONFIG_STREAM_FLASH=y\nCONFIG_IMG_MANAGER=y\nCONFIG_MCUMGR_GRP_IMG=y\n")
    sb = {"sysbuild.conf": "SB_CONFIG_BOOTLOADER_MCUBOOT=y\n" + OWN_KEY_SB}
    shell = make(tmp_path / "s", dict(sb, **{"prj.conf": prj + "CONFIG_SHELL=y\nCONFIG_MCUMGR_TRANSPORT_SHELL=y\n"}))
    f = only(check(shell, "2.8.0"), "DFU705")[0]
    assert (f["line"], f["severity"]) == (11, "warning") and "the shell" in f["message"]
    udp = make(tmp_path / "u", dict(sb, **{"prj.conf": prj + "CONFIG_MCUMGR_TRANSPORT_UDP=y\n"}))
    f = only(check(udp, "2.8.0"), "DFU705")[0]
    assert f["severity"] == "error" and "UDP" in f["message"]
    udp_dev = make(tmp_path / "ud", {"prj.conf": prj + "CONFIG_MCUMGR_TRANSPORT_UDP=y\n",
                                     "sysbuild.conf": "SB_CONFIG_BOOTLOADER_MCUBOOT=y\n"})
    assert only(check(udp_dev, "2.8.0"), "DFU705")[0]["severity"] == "error"
    old = make(tmp_path / "o", {"prj.conf": "CONFIG_BOOTLOADER_MCUBOOT=y\nCONFIG_MCUMGR=y\nCONFIG_MCUMGR_CMD_IMG_MGMT=y\n"
                                            "CONFIG_MCUMGR_SMP_UART=y\n"})
    assert only(check(old, "1.9.0"), "DFU705")[0]["line"] == 4


# ------------------------------------------------------------------ DFU706

def test_dfu706_default_encryption_key(tmp_path: Path):
    sb = "SB_CONFIG_BOOTLOADER_MCUBOOT=y\nSB_CONFIG_BOOT_SIGNATURE_TYPE_ECDSA_P256=y\n" + OWN_KEY_SB + \
        "SB_CONFIG_BOOT_ENCRYPTION=y\n"
    app = make(tmp_path / "a", {"prj.conf": "CONFIG_BOOTLOADER_MCUBOOT=y\n", "sysbuild.conf": sb})
    f = only(check(app, "2.8.0"), "DFU706")[0]
    assert (f["line"], f["severity"]) == (4, "error") and "enc-ec256-priv.pem" in f["message"]
    own = make(tmp_path / "b", {"prj.conf": "CONFIG_BOOTLOADER_MCUBOOT=y\n",
                                "sysbuild.conf": sb + 'SB_CONFIG_BOOT_ENCRYPTION_KEY_FILE="/k/enc.pem"\n'})
    assert "DFU706" not in codes(check(own, "2.8.0"))
    explicit = make(tmp_path / "c", {"prj.conf": "CONFIG_BOOTLOADER_MCUBOOT=y\n",
                                     "child_image/mcuboot.conf": "CONFIG_BOOT_ENCRYPT_EC256=y\n"
                                                                 'CONFIG_BOOT_ENCRYPTION_KEY_FILE="enc-ec256-priv.pem"\n'})
    f = only(check(explicit, "2.2.0"), "DFU706")[0]
    assert (f["path"], f["line"]) == ("child_image/mcuboot.conf", 2)


# ------------------------------------------------------------------ DFU707

def test_dfu707_signature_type_none(tmp_path: Path):
    app = make(tmp_path / "a", {"prj.conf": CHAIN,
                                "sysbuild.conf": "SB_CONFIG_BOOTLOADER_MCUBOOT=y\nSB_CONFIG_BOOT_SIGNATURE_TYPE_NONE=y\n"})
    f = check(app, "2.8.0")
    hit = only(f, "DFU707")[0]
    assert (hit["line"], hit["severity"]) == (2, "error") and "over MCUmgr" in hit["message"]
    # no key to complain about when nothing is signed
    assert "DFU702" not in codes(f)


# ------------------------------------------------------------------ severities are configurable

def test_severity_override_from_config(tmp_path: Path):
    app = make(tmp_path / "a", {"prj.conf": "CONFIG_BOOTLOADER_MCUBOOT=y\n",
                                ".dfulint.toml": '[severity]\nDFU702 = "error"\n'})
    f = check(app, "2.5.0", profile="development")
    assert only(f, "DFU702")[0]["severity"] == "error"
