"""5xx cross-image rules, and the sysbuild model they rest on (Kconfig.sysbuild defaults, board
defaults, the settings sysbuild writes into the images)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from dfulint.cli import cli
from helpers import MCUMGR_BT_CHAIN, make_app
from dfulint.model.kconfig import eval_condition
from dfulint.model.project import build_targets
from dfulint.sources import clear_caches
from dfulint.sources.kconfig_defaults import parse_kconfig_defaults, parse_kconfig_defaults_text
from dfulint.workspace import describe_app

NRF52840 = ("--board", "nrf52840dk/nrf52840")
NRF5340 = ("--board", "nrf5340dk/nrf5340/cpuapp")

CHAIN = MCUMGR_BT_CHAIN + "CONFIG_MCUMGR_TRANSPORT_BT_AUTHEN=y\n"


make = make_app


def check(app: Path, sdk: str, board=NRF52840, select="DFU5") -> list[dict]:
    res = CliRunner().invoke(cli, ["check", str(app), "--format", "json", "--sdk-version", sdk, *board,
                                   "--select", select])
    assert res.exit_code in (0, 1), res.output
    return json.loads(res.output)["findings"]


def target(app: Path, sdk: str, board: str = "nrf52840dk/nrf52840"):
    clear_caches()          # files are rewritten between runs
    return build_targets(describe_app(app.resolve(), [board], sdk))[0]


def codes(findings) -> set:
    return {f["code"] for f in findings}


def only(findings, code):
    out = [f for f in findings if f["code"] == code]
    assert out, f"no {code} in {[(f['code'], f['path'], f['line']) for f in findings]}"
    return out


# ------------------------------------------------------------------ model: Kconfig.sysbuild

def test_kconfig_defaults_reader_keeps_conditions_and_order(tmp_path: Path):
    p = tmp_path / "Kconfig.sysbuild"
    p.write_text("""# app
choice BOOTLOADER
\tdefault BOOTLOADER_MCUBOOT if !BOARD_NRF21540DK
endchoice

if BOOTLOADER_MCUBOOT
config PM_EXTERNAL_FLASH_MCUBOOT_SECONDARY
\tdefault y
if SOC_SERIES_NRF53X
choice MCUBOOT_MODE
\tdefault MCUBOOT_MODE_OVERWRITE_ONLY
endchoice
endif
endif

source "share/sysbuild/Kconfig"

config MCUBOOT_UPDATEABLE_IMAGES
\tdefault 2
""")
    k = parse_kconfig_defaults(p)
    assert k.sources_sdk
    got = [(d.symbol, d.choice, d.value, d.condition, d.span.line, d.before_sdk) for d in k.defaults]
    assert got == [
        ("BOOTLOADER_MCUBOOT", "BOOTLOADER", "y", "!BOARD_NRF21540DK", 3, True),
        ("PM_EXTERNAL_FLASH_MCUBOOT_SECONDARY", None, "y", "BOOTLOADER_MCUBOOT", 8, True),
        ("MCUBOOT_MODE_OVERWRITE_ONLY", "MCUBOOT_MODE", "y", "(BOOTLOADER_MCUBOOT) && (SOC_SERIES_NRF53X)", 11, True),
        ("MCUBOOT_UPDATEABLE_IMAGES", None, "2", None, 19, False),
    ]


def test_kconfig_defaults_reader_survives_garbage():
    k = parse_kconfig_defaults_text("endif\nendchoice\ndefault y\nconfig\n\tdefault\nif\n\x00\n"
                                    "configdefault X\n\tdefault y if (\n", Path("<x>"))
    assert [(d.symbol, d.condition) for d in k.defaults] == [("X", "(")]


@pytest.mark.parametrize("text,values,expect", [
    ("A && !B", {"A": "y", "B": "n"}, True),
    ("A || B", {"A": None, "B": "y"}, True),
    ("A && B", {"A": None, "B": "y"}, None),
    ("A && B", {"A": None, "B": "n"}, False),
    ("N > 1", {"N": 2}, True),
    ('S = "x"', {"S": "x"}, True),
    ("(A", {"A": "y"}, None),
    (None, {}, True),
])
def test_eval_condition_is_three_valued(text, values, expect):
    assert eval_condition(text, values.get) is expect


def test_kconfig_sysbuild_defaults_enable_mcuboot_and_mode(tmp_path: Path):
    app = make(tmp_path / "app", {
        "prj.conf": "CONFIG_BT=y\n",
        "sysbuild.conf": "SB_CONFIG_PARTITION_MANAGER=y\n",
        "Kconfig.sysbuild": "choice BOOTLOADER\n\tdefault BOOTLOADER_MCUBOOT if !BOARD_NRF21540DK\nendchoice\n"
                            "if BOOTLOADER_MCUBOOT\nchoice MCUBOOT_MODE\n\tdefault MCUBOOT_MODE_OVERWRITE_ONLY\n"
                            "endchoice\nendif\nsource \"share/sysbuild/Kconfig\"\n"})
    t = target(app, "2.9.0")
    sb = t.sysbuild.config
    assert t.mcuboot_enabled
    v = sb.get("BOOTLOADER_MCUBOOT")
    assert v.value == "y" and v.assignments[-1].span.path.name == "Kconfig.sysbuild"
    assert v.assignments[-1].span.line == 2
    assert t.mode == "overwrite-only" and t.app_mode == "overwrite-only"
    # sysbuild.conf still wins over a Kconfig.sysbuild default
    (app / "sysbuild.conf").write_text("SB_CONFIG_MCUBOOT_MODE_SWAP_SCRATCH=y\n")
    t = target(app, "2.9.0")
    assert t.mode == "swap-scratch"
    # a board the condition excludes gets no MCUboot
    t = target(app, "2.9.0", "nrf21540dk/nrf52840")
    assert not t.mcuboot_enabled


def test_board_sysbuild_defaults_thingy91x_netcore(tmp_path: Path):
    app = make(tmp_path / "app", {"prj.conf": "CONFIG_BOOTLOADER_MCUBOOT=y\n",
                                  "sysbuild.conf": "SB_CONFIG_BOOTLOADER_MCUBOOT=y\n"})
    t = target(app, "2.9.0", "thingy91x/nrf5340/cpuapp")
    assert t.sysbuild.config.enabled("NETCORE_APP_UPDATE")
    mcu = t.images["mcuboot"].config
    assert mcu.int("UPDATEABLE_IMAGE_NUMBER") == 2
    assert t.images["app"].config.int("UPDATEABLE_IMAGE_NUMBER") == 2
    # spans of SDK knowledge never become finding locations
    f = check(app, "2.9.0", ("--board", "thingy91x/nrf5340/cpuapp"), "DFU5,DFU7")
    assert all(not x["path"].startswith("<") for x in f)


def test_sysbuild_forces_encryption_image_count_and_single_slot_off(tmp_path: Path):
    app = make(tmp_path / "app", {
        "prj.conf": CHAIN,
        "sysbuild.conf": "SB_CONFIG_BOOTLOADER_MCUBOOT=y\nSB_CONFIG_BOOT_ENCRYPTION=y\n"
                         "SB_CONFIG_MCUBOOT_UPDATEABLE_IMAGES=2\n",
        "sysbuild/mcuboot.conf": "CONFIG_SINGLE_APPLICATION_SLOT=y\n"})
    t = target(app, "2.9.0", "nrf5340dk/nrf5340/cpuapp")
    mcu = t.images["mcuboot"].config
    assert mcu.enabled("BOOT_ENCRYPT_IMAGE")
    assert mcu.str("BOOT_ENCRYPTION_KEY_FILE").endswith("enc-rsa2048-priv.pem")
    assert mcu.int("UPDATEABLE_IMAGE_NUMBER") == 2
    assert not mcu.enabled("SINGLE_APPLICATION_SLOT")
    assert t.mode == "swap-move"


def test_partition_manager_off_in_sysbuild_does_not_force_the_ext_secondary(tmp_path: Path):
    app = make(tmp_path / "app", {
        "prj.conf": "CONFIG_BOOTLOADER_MCUBOOT=y\n",
        "Kconfig.sysbuild": "choice BOOTLOADER\n\tdefault BOOTLOADER_MCUBOOT\nendchoice\n"
                            "config PARTITION_MANAGER\n\tdefault n\nsource \"share/sysbuild/Kconfig\"\n",
        "sysbuild/mcuboot.conf": "CONFIG_PM_EXTERNAL_FLASH_MCUBOOT_SECONDARY=y\n"})
    t = target(app, "2.9.0", "nrf9151dk/nrf9151/ns")
    assert not t.sysbuild.config.enabled("PARTITION_MANAGER")
    assert all(a.symbol != "PM_EXTERNAL_FLASH_MCUBOOT_SECONDARY" for a in t.images["mcuboot"].forced)


# ------------------------------------------------------------------ DFU501

def test_dfu501_names_the_line_and_the_sysbuild_option(tmp_path: Path):
    app = make(tmp_path / "app", {
        "prj.conf": "CONFIG_BOOTLOADER_MCUBOOT=y\nCONFIG_MCUBOOT_BOOTLOADER_MODE_OVERWRITE_ONLY=y\n",
        "sysbuild.conf": "SB_CONFIG_BOOTLOADER_MCUBOOT=y\n",
        "sysbuild/mcuboot.conf": "CONFIG_BOOT_UPGRADE_ONLY=y\nCONFIG_BOOT_SIGNATURE_KEY_FILE=\"keys/priv.pem\"\n"
                                 "CONFIG_BOOT_ENCRYPT_IMAGE=y\nCONFIG_BOOT_SWAP_USING_SCRATCH=n\n"})
    f = only(check(app, "2.8.0"), "DFU501")
    by_line = {(x["path"], x["line"]): x for x in f}
    mode = by_line[("sysbuild/mcuboot.conf", 1)]
    assert "SB_CONFIG_MCUBOOT_MODE_OVERWRITE_ONLY=y in sysbuild.conf" in mode["fix"]
    assert mode["severity"] == "error" and mode["image"] == "mcuboot"
    key = by_line[("sysbuild/mcuboot.conf", 2)]
    assert 'SB_CONFIG_BOOT_SIGNATURE_KEY_FILE="\\${APP_DIR}/keys/priv.pem"' in key["fix"]
    enc = by_line[("sysbuild/mcuboot.conf", 3)]
    assert "SB_CONFIG_BOOT_ENCRYPTION=y" in enc["fix"]
    app_mode = by_line[("prj.conf", 2)]
    assert "SB_CONFIG_MCUBOOT_MODE_OVERWRITE_ONLY=y" in app_mode["fix"] and app_mode["image"] == "app"
    # `=n` on a choice member does nothing anyway: not reported
    assert ("sysbuild/mcuboot.conf", 4) not in by_line


def test_dfu501_same_key_file_is_info_and_version_names(tmp_path: Path):
    app = make(tmp_path / "app", {
        "prj.conf": "CONFIG_BOOTLOADER_MCUBOOT=y\nCONFIG_MCUBOOT_BOOTLOADER_MODE_OVERWRITE_ONLY=y\n",
        "sysbuild.conf": 'SB_CONFIG_BOOTLOADER_MCUBOOT=y\nSB_CONFIG_BOOT_SIGNATURE_KEY_FILE="/k/priv.pem"\n',
        "sysbuild/mcuboot.conf": 'CONFIG_BOOT_SIGNATURE_KEY_FILE="keys/priv.pem"\n'})
    f = only(check(app, "2.8.0"), "DFU501")
    key = next(x for x in f if x["path"] == "sysbuild/mcuboot.conf")
    assert key["severity"] == "info" and "same key file" in key["message"]
    (app / "prj.conf").write_text("CONFIG_BOOTLOADER_MCUBOOT=y\nCONFIG_MCUBOOT_BOOTLOADER_MODE_SWAP_SCRATCH=y\n")
    (app / "sysbuild.conf").write_text("SB_CONFIG_BOOTLOADER_MCUBOOT=y\nSB_CONFIG_MCUBOOT_MODE_OVERWRITE_ONLY=y\n")
    f = only(check(app, "3.0.0"), "DFU501")
    assert any(x["related"] if "related" in x else True for x in f)
    assert "from sysbuild.conf:2" in f[0]["message"]


def test_dfu501_quiet_without_sysbuild_and_for_the_ext_flash_switch(tmp_path: Path):
    app = make(tmp_path / "app", {
        "prj.conf": "CONFIG_BOOTLOADER_MCUBOOT=y\nCONFIG_PM_EXTERNAL_FLASH_MCUBOOT_SECONDARY=y\n",
        "child_image/mcuboot.conf": "CONFIG_BOOT_UPGRADE_ONLY=y\n"})
    assert "DFU501" not in codes(check(app, "2.5.0"))
    (app / "sysbuild.conf").write_text("SB_CONFIG_BOOTLOADER_MCUBOOT=y\n")
    (app / "child_image/mcuboot.conf").unlink()
    assert "DFU501" not in codes(check(app, "2.8.0"))      # DFU304 owns the external-secondary switch


def test_dfu501_choice_member_switched_off_names_bootloader_none(tmp_path: Path):
    """A Matter-template app keeps `choice BOOTLOADER default BOOTLOADER_MCUBOOT` in Kconfig.sysbuild
    and tries to drop MCUboot with SB_CONFIG_BOOTLOADER_MCUBOOT=n: =n on a choice member leaves the
    choice on its default, so MCUboot is still built; the fix is BOOTLOADER_NONE, not the line the
    app already has."""
    app = make(tmp_path / "app", {
        "prj.conf": "# custom bootloader\nCONFIG_BOOTLOADER_MCUBOOT=n\n",
        "sysbuild.conf": "SB_CONFIG_MATTER=y\nSB_CONFIG_BOOTLOADER_MCUBOOT=n\n",
        "Kconfig.sysbuild": "choice BOOTLOADER\n\tdefault BOOTLOADER_MCUBOOT\nendchoice\n\n"
                            "source \"share/sysbuild/Kconfig\"\n"})
    f = only(check(app, "2.8.0"), "DFU501")
    assert len(f) == 1 and (f[0]["path"], f[0]["line"]) == ("prj.conf", 2)
    assert "SB_CONFIG_BOOTLOADER_NONE=y" in f[0]["fix"]
    assert "set SB_CONFIG_BOOTLOADER_MCUBOOT=n" not in f[0]["fix"]
    assert "sysbuild.conf:2 sets SB_CONFIG_BOOTLOADER_MCUBOOT=n" in f[0]["message"]
    # once the choice names NONE, MCUboot is gone and the app's line agrees: nothing to say
    (app / "sysbuild.conf").write_text("SB_CONFIG_MATTER=y\nSB_CONFIG_BOOTLOADER_NONE=y\n")
    assert "DFU501" not in codes(check(app, "2.8.0"))


# ------------------------------------------------------------------ DFU502

def test_dfu502_bootloader_only_in_prj_conf(tmp_path: Path):
    app = make(tmp_path / "app", {"prj.conf": "CONFIG_BT=y\nCONFIG_BOOTLOADER_MCUBOOT=y\n"})
    f = only(check(app, "2.7.0"), "DFU502")
    assert (f[0]["path"], f[0]["line"]) == ("prj.conf", 2)
    assert "SB_CONFIG_BOOTLOADER_MCUBOOT=y" in f[0]["fix"] and "--no-sysbuild" in f[0]["fix"]
    assert "--no-sysbuild" not in only(check(app, "3.1.0"), "DFU502")[0]["fix"]
    assert "DFU502" not in codes(check(app, "2.6.0"))
    (app / "sysbuild.conf").write_text("SB_CONFIG_BOOTLOADER_MCUBOOT=y\n")
    assert "DFU502" not in codes(check(app, "2.7.0"))


# ------------------------------------------------------------------ DFU503

def test_dfu503_direct_xip_only_in_mcuboot_is_an_error(tmp_path: Path):
    app = make(tmp_path / "app", {"prj.conf": CHAIN, "child_image/mcuboot.conf": "CONFIG_BOOT_DIRECT_XIP=y\n"})
    f = only(check(app, "2.5.0"), "DFU503")[0]
    assert (f["path"], f["line"], f["severity"]) == ("child_image/mcuboot.conf", 1, "error")
    assert "CONFIG_MCUBOOT_BOOTLOADER_MODE_DIRECT_XIP=y in prj.conf" in f["fix"]


def test_dfu503_swap_family_mismatch_is_a_warning_on_the_app_line(tmp_path: Path):
    app = make(tmp_path / "app", {"prj.conf": CHAIN + "CONFIG_MCUBOOT_BOOTLOADER_MODE_SWAP_SCRATCH=y\n"})
    f = only(check(app, "2.5.0"), "DFU503")[0]
    assert (f["path"], f["line"], f["severity"]) == ("prj.conf", 15, "warning")
    assert "CONFIG_BOOT_SWAP_USING_SCRATCH=y in child_image/mcuboot.conf" in f["fix"]


def test_dfu503_needs_the_app_mode_symbols(tmp_path: Path):
    # NCS 2.0: the application had no MCUBOOT_BOOTLOADER_MODE_* yet
    app = make(tmp_path / "app", {"prj.conf": "CONFIG_BOOTLOADER_MCUBOOT=y\nCONFIG_MCUMGR=y\n"
                                              "CONFIG_MCUMGR_CMD_IMG_MGMT=y\nCONFIG_MCUMGR_SMP_BT=y\nCONFIG_BT=y\n"
                                              "CONFIG_BT_PERIPHERAL=y\n",
                                  "child_image/mcuboot.conf": "CONFIG_BOOT_DIRECT_XIP=y\n"})
    assert "DFU503" not in codes(check(app, "2.0.0"))
    # no image management in the app: a swap-family difference changes nothing
    app2 = make(tmp_path / "app2", {"prj.conf": "CONFIG_BOOTLOADER_MCUBOOT=y\n",
                                    "child_image/mcuboot.conf": "CONFIG_BOOT_UPGRADE_ONLY=y\n"})
    assert "DFU503" not in codes(check(app2, "2.5.0"))


# ------------------------------------------------------------------ DFU504

def test_dfu504_chain(tmp_path: Path):
    app = make(tmp_path / "app", {"prj.conf": CHAIN.replace("CONFIG_STREAM_FLASH=y", "CONFIG_STREAM_FLASH=n")})
    f = only(check(app, "2.5.0"), "DFU504")
    assert [(x["line"], x["severity"]) for x in f] == [(10, "error")]
    app2 = make(tmp_path / "app2", {"prj.conf": "CONFIG_MCUMGR=y\nCONFIG_MCUMGR_CMD_IMG_MGMT=y\nCONFIG_MCUMGR_SMP_BT=y\n"
                                                "CONFIG_BT=y\nCONFIG_BT_PERIPHERAL=y\n"})
    f = only(check(app2, "1.9.0"), "DFU504")[0]
    assert f["line"] == 2 and "CONFIG_BOOTLOADER_MCUBOOT=y" in f["fix"]
    assert "DFU504" not in codes(check(make(tmp_path / "ok", {"prj.conf": CHAIN}), "2.5.0"))


def test_dfu504_no_transport_but_an_overlay_has_one(tmp_path: Path):
    no_bt = "".join(ln + "\n" for ln in CHAIN.splitlines() if "TRANSPORT" not in ln)
    app = make(tmp_path / "app", {"prj.conf": no_bt})
    f = only(check(app, "2.5.0"), "DFU504")[0]
    assert f["severity"] == "warning" and "MCUMGR_TRANSPORT_BT=y" in f["fix"]
    (app / "overlay-bt.conf").write_text("CONFIG_MCUMGR_TRANSPORT_BT=y\n")
    assert "DFU504" not in codes(check(app, "2.5.0"))


# ------------------------------------------------------------------ DFU505

def test_dfu505_mtu_larger_than_buffer_without_reassembly(tmp_path: Path):
    app = make(tmp_path / "app", {"prj.conf": CHAIN + "CONFIG_BT_L2CAP_TX_MTU=498\n"})
    f = only(check(app, "2.5.0"), "DFU505")[0]
    assert f["line"] == 15 and "495 bytes" in f["message"] and "384-byte" in f["message"]
    (app / "prj.conf").write_text(CHAIN + "CONFIG_BT_L2CAP_TX_MTU=498\nCONFIG_MCUMGR_TRANSPORT_NETBUF_SIZE=512\n")
    assert "DFU505" not in codes(check(app, "2.5.0"))


def test_dfu505_old_workqueue(tmp_path: Path):
    prj = ("CONFIG_BOOTLOADER_MCUBOOT=y\nCONFIG_BT=y\nCONFIG_BT_PERIPHERAL=y\nCONFIG_MCUMGR=y\n"
           "CONFIG_MCUMGR_CMD_IMG_MGMT=y\nCONFIG_MCUMGR_SMP_BT=y\nCONFIG_SYSTEM_WORKQUEUE_STACK_SIZE=1536\n")
    app = make(tmp_path / "app", {"prj.conf": prj})
    assert only(check(app, "1.9.0"), "DFU505")[0]["line"] == 7
    assert "DFU505" not in codes(check(app, "2.3.0"))


# ------------------------------------------------------------------ DFU506

def test_dfu506_overwrite_only_with_image_management(tmp_path: Path):
    app = make(tmp_path / "app", {"prj.conf": CHAIN,
                                  "sysbuild.conf": "SB_CONFIG_BOOTLOADER_MCUBOOT=y\nSB_CONFIG_MCUBOOT_MODE_OVERWRITE_ONLY=y\n"})
    f = only(check(app, "2.8.0"), "DFU506")[0]
    assert (f["path"], f["line"], f["severity"]) == ("sysbuild.conf", 2, "info")
    (app / "sysbuild.conf").write_text("SB_CONFIG_BOOTLOADER_MCUBOOT=y\nSB_CONFIG_MCUBOOT_MODE_DIRECT_XIP_WITH_REVERT=y\n")
    assert "DFU506" not in codes(check(app, "2.8.0"))
    (app / "sysbuild.conf").write_text("SB_CONFIG_BOOTLOADER_MCUBOOT=y\nSB_CONFIG_MCUBOOT_MODE_DIRECT_XIP=y\n")
    assert "WITH_REVERT" in only(check(app, "2.8.0"), "DFU506")[0]["fix"]


# ------------------------------------------------------------------ DFU507

def test_dfu507_child_image_counts(tmp_path: Path):
    app = make(tmp_path / "app", {"prj.conf": CHAIN + "CONFIG_UPDATEABLE_IMAGE_NUMBER=2\n"})
    f = only(check(app, "2.5.0", NRF5340), "DFU507")[0]
    assert (f["path"], f["line"]) == ("prj.conf", 15)
    assert "child_image/mcuboot.conf" in f["fix"]
    (app / "child_image").mkdir()
    (app / "child_image/mcuboot.conf").write_text("CONFIG_UPDATEABLE_IMAGE_NUMBER=2\n")
    assert "DFU507" not in codes(check(app, "2.5.0", NRF5340))


def test_dfu507_thingy53_mcuboot_board_config_has_two_images(tmp_path: Path):
    app = make(tmp_path / "app", {"prj.conf": CHAIN + "CONFIG_UPDATEABLE_IMAGE_NUMBER=2\n"})
    assert "DFU507" not in codes(check(app, "2.0.0", ("--board", "thingy53_nrf5340_cpuapp")))


# ------------------------------------------------------------------ DFU508

def test_dfu508_ext_flash_without_multi_image(tmp_path: Path):
    app = make(tmp_path / "app", {"prj.conf": CHAIN + "CONFIG_NRF53_UPGRADE_NETWORK_CORE=y\n",
                                  "child_image/mcuboot.conf": "CONFIG_PM_EXTERNAL_FLASH_MCUBOOT_SECONDARY=y\n"})
    f = only(check(app, "2.5.0", NRF5340), "DFU508")[0]
    assert f["line"] == 15 and "CONFIG_NRF53_MULTI_IMAGE_UPDATE=y" in f["fix"]
    assert "DFU508" not in codes(check(app, "2.5.0", NRF52840))


def test_dfu508_pm_static_without_netcore_slots(tmp_path: Path):
    pm = "mcuboot:\n  address: 0x0\n  size: 0xc000\n  region: flash_primary\nmcuboot_secondary:\n" \
         "  address: 0x80000\n  size: 0x70000\n  region: flash_primary\n"
    app = make(tmp_path / "app", {"prj.conf": CHAIN, "pm_static.yml": pm,
                                  "sysbuild.conf": "SB_CONFIG_BOOTLOADER_MCUBOOT=y\nSB_CONFIG_SECURE_BOOT_NETCORE=y\n"
                                                   "SB_CONFIG_NETCORE_APP_UPDATE=y\n"
                                                   "SB_CONFIG_MCUBOOT_NRF53_MULTI_IMAGE_UPDATE=y\n"})
    f = only(check(app, "2.8.0", NRF5340), "DFU508")[0]
    assert (f["path"], f["line"]) == ("pm_static.yml", 5)
    assert "mcuboot_primary_1" in f["message"] and "sysbuild.conf:4" in f["message"]
    # a revision-specific layout of the same board that has them: not reported
    (app / "pm_static_nrf5340dk_nrf5340_cpuapp_1.yml").write_text(
        pm + "mcuboot_primary_1:\n  address: 0x0\n  size: 0x40000\n  region: ram_flash\n"
             "mcuboot_secondary_1:\n  address: 0xf0000\n  size: 0x40000\n  region: flash_primary\n")
    assert "DFU508" not in codes(check(app, "2.8.0", NRF5340))


# ------------------------------------------------------------------ robustness

def test_cross_rules_never_crash_on_odd_input(tmp_path: Path):
    app = make(tmp_path / "app", {
        "prj.conf": "CONFIG_BOOTLOADER_MCUBOOT=maybe\nCONFIG_UPDATEABLE_IMAGE_NUMBER=two\nCONFIG_MCUMGR_GRP_IMG=y\n"
                    "CONFIG_BT_L2CAP_TX_MTU=0x\n",
        "sysbuild.conf": "SB_CONFIG_BOOTLOADER_MCUBOOT=y\nSB_CONFIG_MCUBOOT_UPDATEABLE_IMAGES=-1\n",
        "Kconfig.sysbuild": "choice BOOTLOADER\n\tdefault BOOTLOADER_MCUBOOT if ((\nendchoice\nif\nconfig\n",
        "sysbuild/mcuboot.conf": "CONFIG_BOOT_SIGNATURE_KEY_FILE=unquoted\n"})
    res = CliRunner().invoke(cli, ["check", str(app), "--format", "json", "--sdk-version", "2.8.0",
                                   *NRF5340, "--select", "DFU5,DFU7"])
    assert res.exit_code in (0, 1), res.output
