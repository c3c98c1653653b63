"""The update chain: the C-source reader, the chain facts built in the model stage, and the 9xx
rules (plus DFU708) that read them."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from dfulint.cli import cli
from dfulint.model.project import build_targets
from dfulint.sources import clear_caches
from dfulint.sources.csrc import scan_app, scan_file
from dfulint.workspace import describe_app
from helpers import MCUMGR_BT_CHAIN, make_app

NRF52840 = ("--board", "nrf52840dk/nrf52840")


def check(app: Path, sdk, board=NRF52840, select="DFU9,DFU708") -> list[dict]:
    clear_caches()
    sdk_args = ["--sdk-version", sdk] if sdk else []
    res = CliRunner().invoke(cli, ["check", str(app), "--format", "json", *sdk_args, *board,
                                   "--select", select])
    assert res.exit_code in (0, 1), res.output
    return json.loads(res.output)["findings"]


def target(app: Path, sdk: str, board: str = "nrf52840dk/nrf52840"):
    clear_caches()
    return build_targets(describe_app(app.resolve(), [board], sdk))[0]


# ------------------------------------------------------------------ C sources as text

def test_calls_in_comments_strings_and_declarations_do_not_count(tmp_path):
    p = tmp_path / "a.c"
    p.write_text('/* boot_write_img_confirmed(); */\n'
                 '// boot_write_img_confirmed();\n'
                 'const char *s = "boot_write_img_confirmed()";\n'
                 'int boot_write_img_confirmed(void);\n'
                 'void f(void)\n{\n\tboot_request_upgrade(BOOT_UPGRADE_TEST);\n}\n')
    clear_caches()
    calls = scan_file(p)
    assert [(c.name, c.args, c.span.line, c.span.col) for c in calls] == [
        ("boot_request_upgrade", "BOOT_UPGRADE_TEST", 7, 2)]


def test_a_multiline_comment_keeps_line_numbers(tmp_path):
    p = tmp_path / "b.c"
    p.write_text("/*\n * dfu_target_schedule_update(0);\n */\nint main(void)\n{\n\tboot_write_img_confirmed();\n}\n")
    clear_caches()
    assert [(c.name, c.span.line) for c in scan_file(p)] == [("boot_write_img_confirmed", 6)]


def test_the_walk_skips_symlinks_and_build_folders(tmp_path):
    make_app(tmp_path / "app", {"prj.conf": "", "src/main.c": "int main(void) { return 0; }\n",
                                "src/build/gen.c": "void g(void) { boot_write_img_confirmed(); }\n"})
    outside = tmp_path / "outside.c"
    outside.write_text("void h(void) { boot_write_img_confirmed(); }\n")
    try:
        os.symlink(outside, tmp_path / "app" / "src" / "link.c")
    except OSError:
        pytest.skip("no symlinks here")
    clear_caches()
    src = scan_app(tmp_path / "app")
    assert src.files == 1 and src.calls == ()


def test_no_sources_means_no_facts_about_the_code(tmp_path):
    app = make_app(tmp_path / "app", {"prj.conf": "CONFIG_BOOTLOADER_MCUBOOT=y\nCONFIG_DFU_TARGET=y\n"
                                      "CONFIG_IMG_MANAGER=y\nCONFIG_FLASH=y\nCONFIG_STREAM_FLASH=y\n"})
    t = target(app, "2.5.0")
    assert t.chain.sources.files == 0
    assert not [f for f in check(app, "2.5.0") if f["code"] == "DFU901"]


# ------------------------------------------------------------------ lifecycle

FOTA = ("CONFIG_BOOTLOADER_MCUBOOT=y\nCONFIG_FLASH=y\nCONFIG_FLASH_MAP=y\nCONFIG_STREAM_FLASH=y\n"
        "CONFIG_IMG_MANAGER=y\nCONFIG_MCUBOOT_IMG_MANAGER=y\nCONFIG_DFU_TARGET=y\n")
REQUEST = "#include <zephyr/dfu/mcuboot.h>\nvoid go(void)\n{\n\tboot_request_upgrade(BOOT_UPGRADE_TEST);\n}\n"


def test_an_app_that_requests_upgrades_and_never_confirms_is_reported(tmp_path):
    app = make_app(tmp_path / "app", {"prj.conf": FOTA, "src/main.c": REQUEST})
    t = target(app, "2.5.0")
    lc = t.chain.lifecycle
    assert lc.mode == "swap-move" and lc.reverts and lc.c_files == 1 and lc.confirms == ()
    assert [c.name for c in lc.requests] == ["boot_request_upgrade"]
    f = [x for x in check(app, "2.5.0") if x["code"] == "DFU901"]
    assert len(f) == 1 and f[0]["path"] == "src/main.c" and f[0]["line"] == 4
    assert f[0]["severity"] == "warning" and "boot_write_img_confirmed" in f[0]["fix"]


def test_confirming_in_another_file_or_a_confirming_library_silences_it(tmp_path):
    app = make_app(tmp_path / "a", {"prj.conf": FOTA, "src/main.c": REQUEST,
                                    "src/health.c": "void ok(void)\n{\n\tboot_write_img_confirmed();\n}\n"})
    assert not [x for x in check(app, "2.5.0") if x["code"] == "DFU901"]
    app = make_app(tmp_path / "b", {"prj.conf": FOTA + "CONFIG_NRF_CLOUD_FOTA=y\n", "src/main.c": REQUEST})
    assert target(app, "2.5.0").chain.lifecycle.library == "NRF_CLOUD_FOTA"
    assert not [x for x in check(app, "2.5.0") if x["code"] == "DFU901"]


def test_overwrite_only_does_not_revert_so_no_confirmation_is_needed(tmp_path):
    app = make_app(tmp_path / "app", {"prj.conf": FOTA, "src/main.c": REQUEST,
                                      "child_image/mcuboot.conf": "CONFIG_BOOT_UPGRADE_ONLY=y\n"})
    assert not target(app, "2.5.0").chain.lifecycle.reverts
    assert not [x for x in check(app, "2.5.0") if x["code"] == "DFU901"]


def test_mcumgr_only_updates_are_left_to_the_uploader(tmp_path):
    app = make_app(tmp_path / "app", {"prj.conf": MCUMGR_BT_CHAIN, "src/main.c": "int main(void) { return 0; }\n"})
    assert target(app, "2.5.0").chain.lifecycle.mcumgr
    assert not [x for x in check(app, "2.5.0") if x["code"] == "DFU901"]


def test_direct_xip_revert_in_ncs_2_8_sysbuild_confirms_the_flashed_image_itself(tmp_path):
    app = make_app(tmp_path / "app", {"prj.conf": "CONFIG_GPIO=y\n",
                                      "sysbuild.conf": "SB_CONFIG_BOOTLOADER_MCUBOOT=y\n"
                                                       "SB_CONFIG_MCUBOOT_MODE_DIRECT_XIP_WITH_REVERT=y\n"})
    assert target(app, "2.8.0").chain.lifecycle.mode == "direct-xip-revert"
    assert not [x for x in check(app, "2.8.0") if x["code"] == "DFU902"]


# ------------------------------------------------------------------ boot chain

def test_the_chain_lists_b0_mcuboot_and_the_application_in_boot_order(tmp_path):
    app = make_app(tmp_path / "app", {"prj.conf": "CONFIG_BOOTLOADER_MCUBOOT=y\nCONFIG_SECURE_BOOT=y\n"})
    t = target(app, "2.5.0")
    assert [s.name for s in t.chain.stages] == ["b0", "mcuboot", "app"]
    mcu = t.chain.stages[1]
    assert mcu.partition == "mcuboot" and mcu.address == 0 and "FPROTECT" in mcu.protection


@pytest.mark.parametrize("pad,fires", [(0x100, True), (0x180, True), (0x200, False), (0x400, False)])
def test_header_size_against_the_nrf5340_vector_table(tmp_path, pad, fires):
    app = make_app(tmp_path / "app", {"prj.conf": "CONFIG_BOOTLOADER_MCUBOOT=y\n",
                                      "child_image/mcuboot.conf": f"CONFIG_PM_PARTITION_SIZE_MCUBOOT_PAD={pad:#x}\n"})
    f = [x for x in check(app, "2.5.0", ("--board", "nrf5340dk_nrf5340_cpuapp")) if x["code"] == "DFU905"]
    assert bool(f) == fires
    if fires:
        assert "0x200" in f[0]["fix"]


def test_header_size_is_not_judged_on_an_unknown_soc(tmp_path):
    app = make_app(tmp_path / "app", {"prj.conf": "CONFIG_BOOTLOADER_MCUBOOT=y\nCONFIG_ROM_START_OFFSET=0x80\n"})
    assert not [x for x in check(app, "2.5.0", ("--board", "some_unknown_board")) if x["code"] == "DFU905"]


def test_smp_authentication_with_passkey_callbacks_is_reachable(tmp_path):
    conf = MCUMGR_BT_CHAIN + "CONFIG_MCUMGR_TRANSPORT_BT_AUTHEN=y\n"
    bad = make_app(tmp_path / "bad", {"prj.conf": conf, "src/main.c": "int main(void) { return bt_enable(NULL); }\n"})
    f = [x for x in check(bad, "2.5.0") if x["code"] == "DFU909"]
    assert len(f) == 1 and f[0]["line"] == conf.count("\n")
    good = make_app(tmp_path / "good", {"prj.conf": conf, "src/main.c":
                                        "static struct bt_conn_auth_cb cb;\nint main(void)\n{\n"
                                        "\tbt_conn_auth_cb_register(&cb);\n\treturn 0;\n}\n"})
    assert not [x for x in check(good, "2.5.0") if x["code"] == "DFU909"]
    fixed = make_app(tmp_path / "fixed", {"prj.conf": conf + "CONFIG_BT_FIXED_PASSKEY=y\n",
                                          "src/main.c": "int main(void) { return 0; }\n"})
    assert not [x for x in check(fixed, "2.5.0") if x["code"] == "DFU909"]


def test_nsib_with_its_own_key_is_quiet_and_without_it_is_info(tmp_path):
    bad = make_app(tmp_path / "bad", {"prj.conf": "CONFIG_BOOTLOADER_MCUBOOT=y\nCONFIG_SECURE_BOOT=y\n"})
    f = [x for x in check(bad, "2.5.0") if x["code"] == "DFU708"]
    assert len(f) == 1 and f[0]["severity"] == "info" and f[0]["line"] == 2
    sb = make_app(tmp_path / "sb", {"prj.conf": "CONFIG_GPIO=y\n", "sysbuild.conf":
                                    "SB_CONFIG_BOOTLOADER_MCUBOOT=y\nSB_CONFIG_SECURE_BOOT_APPCORE=y\n"
                                    "SB_CONFIG_SECURE_BOOT_SIGNING_KEY_FILE=\"/keys/b0.pem\"\n"})
    assert not [x for x in check(sb, "2.8.0") if x["code"] == "DFU708"]


# ------------------------------------------------------------------ boards' own partitions

WEST_ZEPHYR = ("manifest:\n  remotes:\n    - name: zephyrproject-rtos\n      url-base: https://github.com/zephyrproject-rtos\n"
               "  projects:\n    - name: zephyr\n      remote: zephyrproject-rtos\n      revision: {rev}\n"
               "      import: true\n  self:\n    path: app\n")


def _grown_slot0(tmp_path, rev: str) -> Path:
    return make_app(tmp_path / rev, {
        "west.yml": WEST_ZEPHYR.format(rev=rev), "prj.conf": "CONFIG_BOOTLOADER_MCUBOOT=y\n",
        "sysbuild.conf": "SB_CONFIG_BOOTLOADER_MCUBOOT=y\n",
        "boards/nrf52840dk_nrf52840.overlay": "&slot0_partition {\n\treg = <0x0000c000 0x00080000>;\n};\n"})


def test_an_overlay_growing_one_board_partition_is_checked_against_the_others(tmp_path):
    app = _grown_slot0(tmp_path, "v4.1.0")
    t = target(app, None)
    parts = {p.name: (p.address, p.size, p.source) for p in t.flash.partitions}
    assert parts["slot0_partition"][:2] == (0xc000, 0x80000)
    assert parts["slot1_partition"] == (0x82000, 0x76000, "the board's devicetree")
    f = [x for x in check(app, None, select="DFU101") if x["code"] == "DFU101"]
    assert len(f) == 1 and "slot0_partition" in f[0]["message"] and "slot1_partition" in f[0]["message"]
    assert f[0]["path"] == "boards/nrf52840dk_nrf52840.overlay"


def test_board_partitions_are_only_assumed_for_releases_dfulint_has_read(tmp_path):
    app = _grown_slot0(tmp_path, "v3.5.0")
    t = target(app, None)
    assert "slot1_partition" not in {p.name for p in t.flash.partitions}


# ------------------------------------------------------------------ the chain in map and HTML

def test_map_shows_the_boot_chain_next_to_the_flash_picture(tmp_path):
    app = make_app(tmp_path / "app", {"prj.conf": "CONFIG_BOOTLOADER_MCUBOOT=y\nCONFIG_SECURE_BOOT=y\n" + FOTA.split("\n", 1)[1],
                                      "src/main.c": REQUEST})
    clear_caches()
    res = CliRunner().invoke(cli, ["map", str(app), *NRF52840, "--sdk-version", "2.5.0"])
    assert res.exit_code == 0, res.output
    line = next(x for x in res.output.splitlines() if x.startswith("  boot chain:"))
    assert line.index("Immutable Bootloader") < line.index("MCUboot (swap-move)") < line.index("application")
    assert "confirmation: none in 1 C file" in res.output
    res = CliRunner().invoke(cli, ["map", str(app), *NRF52840, "--sdk-version", "2.5.0", "--format", "json"])
    chain = json.loads(res.output)["apps"][0]["boot_chain"]
    assert [s["name"] for s in chain["stages"]] == ["b0", "mcuboot", "app"]
    assert chain["lifecycle"]["reverts"] is True
    assert chain["lifecycle"]["requests"] == ["boot_request_upgrade() at " + str(app / "src/main.c") + ":4"] or \
        chain["lifecycle"]["requests"][0].startswith("boot_request_upgrade() at ")


def test_html_report_has_the_boot_chain(tmp_path):
    app = make_app(tmp_path / "app", {"prj.conf": "CONFIG_BOOTLOADER_MCUBOOT=y\n",
                                      "child_image/mcuboot.conf": "CONFIG_MCUBOOT_SERIAL=y\nCONFIG_BOOT_SERIAL_UART=y\n"
                                                                  "CONFIG_BOOT_SERIAL_BOOT_MODE=y\n"})
    out = tmp_path / "r.html"
    clear_caches()
    res = CliRunner().invoke(cli, ["check", str(app), *NRF52840, "--sdk-version", "2.5.0", "--format", "html",
                                   "--output", str(out)])
    assert res.exit_code in (0, 1), res.output
    html = out.read_text()
    assert "<h3>Boot chain</h3>" in html and "stage-mcuboot" in html
    assert "MCUboot serial recovery over UART, entered by" in html and "retained boot mode" in html


# ------------------------------------------------------------------ versions, protection, SMP stack

def test_direct_xip_needs_a_version_that_grows(tmp_path):
    sb = "SB_CONFIG_BOOTLOADER_MCUBOOT=y\nSB_CONFIG_MCUBOOT_MODE_DIRECT_XIP=y\n"
    bad = make_app(tmp_path / "bad", {"prj.conf": "CONFIG_GPIO=y\n", "sysbuild.conf": sb})
    assert [x["line"] for x in check(bad, "2.8.0") if x["code"] == "DFU911"] == [1]
    set_in_conf = make_app(tmp_path / "conf", {"prj.conf": 'CONFIG_MCUBOOT_IMGTOOL_SIGN_VERSION="2.0.0+0"\n',
                                               "sysbuild.conf": sb})
    assert not [x for x in check(set_in_conf, "2.8.0") if x["code"] == "DFU911"]
    swap = make_app(tmp_path / "swap", {"prj.conf": "CONFIG_GPIO=y\n", "sysbuild.conf": "SB_CONFIG_BOOTLOADER_MCUBOOT=y\n"})
    assert not [x for x in check(swap, "2.8.0") if x["code"] == "DFU911"]


@pytest.mark.parametrize("size,fires", [(0x10000, True), (0xf000, False), (0xc000, False)])
def test_nrf54l_protects_at_most_62_kib_of_bootloader(tmp_path, size, fires):
    app = make_app(tmp_path / f"a{size:x}", {"prj.conf": "CONFIG_GPIO=y\n", "sysbuild.conf": "SB_CONFIG_BOOTLOADER_MCUBOOT=y\n",
                                             "sysbuild/mcuboot.conf": f"CONFIG_PM_PARTITION_SIZE_MCUBOOT={size:#x}\n"})
    t = target(app, "3.2.0", "nrf54l15dk/nrf54l15/cpuapp")
    assert t.chain.protection is not None and t.chain.protection.size == size
    f = [x for x in check(app, "3.2.0", ("--board", "nrf54l15dk/nrf54l15/cpuapp")) if x["code"] == "DFU912"]
    assert bool(f) == fires


def test_protection_limit_is_nrf54l_only(tmp_path):
    app = make_app(tmp_path / "app", {"prj.conf": "CONFIG_BOOTLOADER_MCUBOOT=y\n",
                                      "child_image/mcuboot.conf": "CONFIG_PM_PARTITION_SIZE_MCUBOOT=0x10000\n"})
    assert target(app, "2.5.0").chain.protection is None


def test_fs_group_needs_a_bigger_smp_stack(tmp_path):
    conf = MCUMGR_BT_CHAIN + "CONFIG_FILE_SYSTEM=y\nCONFIG_MCUMGR_GRP_FS=y\n"
    bad = make_app(tmp_path / "bad", {"prj.conf": conf})
    assert [x["line"] for x in check(bad, "2.6.0", select="DFU509")] == [conf.count("\n")]
    small = make_app(tmp_path / "small", {"prj.conf": conf + "CONFIG_MCUMGR_TRANSPORT_WORKQUEUE_STACK_SIZE=3072\n"})
    assert [x["line"] for x in check(small, "2.6.0", select="DFU509")] == [conf.count("\n") + 1]
    ok = make_app(tmp_path / "ok", {"prj.conf": conf + "CONFIG_MCUMGR_TRANSPORT_WORKQUEUE_STACK_SIZE=4608\n"})
    assert not check(ok, "2.6.0", select="DFU509")
    no_fs = make_app(tmp_path / "nofs", {"prj.conf": MCUMGR_BT_CHAIN})
    assert not check(no_fs, "2.6.0", select="DFU509")


def test_every_documented_failure_mode_names_a_public_report_and_an_existing_rule():
    import re

    from dfulint.checks import load_all

    text = (Path(__file__).resolve().parent.parent / "docs" / "failure-modes.md").read_text()
    entries = re.split(r"^### \d+\. ", text, flags=re.M)[1:]
    assert len(entries) >= 20
    rules = load_all()
    for e in entries:
        body = e.split("\n## ")[0]
        assert re.search(r"https://(devzone\.nordicsemi\.com|github\.com)/", body), body[:80]
        codes = re.findall(r"\*\*Rule:\*\* (DFU\d{3})", body)
        assert codes and all(c in rules for c in codes), body[:80]
