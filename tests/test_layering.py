"""Which files feed which image, in which order, per build system (research/semantics.md §3), and
the provenance of every effective value (each assignment kept in build order, the last one wins,
sysbuild's forced values win over everything)."""
from __future__ import annotations

from pathlib import Path

import pytest

from dfulint.model.images import app_layers, mcuboot_layers
from dfulint.model.project import build_target
from dfulint.workspace import describe_app
from helpers import make_app

BOARD = "nrf52840dk_nrf52840"


@pytest.fixture(autouse=True)
def no_zephyr_base(monkeypatch):
    monkeypatch.delenv("ZEPHYR_BASE", raising=False)


def make(root: Path, files: dict) -> Path:
    return make_app(root, files, git=True)


def target(root: Path, sdk: str, board: str = BOARD):
    app = describe_app(root, boards=[board], sdk_version=sdk)
    return build_target(app, app.boards[0])


def conf(t, image: str) -> list[tuple[str, str]]:
    img = t.sysbuild if image == "sysbuild" else t.images[image]
    return [(t.app.rel(layer.path), layer.role) for layer in img.conf_layers]


def dts(t, image: str) -> list[str]:
    return [t.app.rel(layer.path) for layer in t.images[image].dts_layers]


def chain(t, image: str, sym: str) -> list[tuple[str, int, str]]:
    v = t.images[image].config.get(sym)
    return [(t.app.rel(a.span.path), a.span.line, a.raw) for a in v.assignments]


def value(t, image: str, sym: str):
    return t.images[image].config.get(sym).value


APP_PRJ = "CONFIG_BOOTLOADER_MCUBOOT=y\nCONFIG_MAIN_STACK_SIZE=2048\n"


# ------------------------------------------------------------------ child images (NCS <= 2.6)

def test_child_image_fragments_in_build_order(tmp_path):
    root = make(tmp_path, {
        "prj.conf": APP_PRJ,
        "child_image/mcuboot/prj.conf": "CONFIG_MAIN_STACK_SIZE=10240\nCONFIG_BOOT_MAX_IMG_SECTORS=128\n",
        f"child_image/mcuboot/boards/{BOARD}.conf": "CONFIG_BOOT_MAX_IMG_SECTORS=192\n",
        "child_image/mcuboot/boards/nrf52dk_nrf52832.conf": "CONFIG_BOOT_MAX_IMG_SECTORS=64\n",
        "child_image/mcuboot.conf": "CONFIG_BOOT_MAX_IMG_SECTORS=256\n",
    })
    t = target(root, "2.5.0")
    assert t.build_system == "child_image"
    assert conf(t, "mcuboot") == [("child_image/mcuboot/prj.conf", "base"),
                                  (f"child_image/mcuboot/boards/{BOARD}.conf", "board"),
                                  ("child_image/mcuboot.conf", "extra")]
    # every assignment kept, in build order; the appended child_image/mcuboot.conf wins
    assert chain(t, "mcuboot", "BOOT_MAX_IMG_SECTORS") == [
        ("child_image/mcuboot/prj.conf", 2, "128"), (f"child_image/mcuboot/boards/{BOARD}.conf", 1, "192"),
        ("child_image/mcuboot.conf", 1, "256")]
    assert value(t, "mcuboot", "BOOT_MAX_IMG_SECTORS") == 256
    assert t.images["mcuboot"].config.get("BOOT_MAX_IMG_SECTORS").origin == "fragment"
    # child_image/mcuboot/prj.conf replaces MCUboot's own prj.conf
    assert t.images["mcuboot"].replaces_defaults == root / "child_image/mcuboot/prj.conf"
    # images are separate: the app's stack size is not MCUboot's
    assert value(t, "app", "MAIN_STACK_SIZE") == 2048
    assert value(t, "mcuboot", "MAIN_STACK_SIZE") == 10240


def test_child_image_mcuboot_conf_alone_appends_to_mcuboots_defaults(tmp_path):
    root = make(tmp_path, {"prj.conf": APP_PRJ, "child_image/mcuboot.conf": "CONFIG_BOOT_MAX_IMG_SECTORS=256\n"})
    t = target(root, "2.5.0")
    assert conf(t, "mcuboot") == [("child_image/mcuboot.conf", "extra")]
    assert t.images["mcuboot"].replaces_defaults is None
    assert value(t, "mcuboot", "BOOT_MAX_IMG_SECTORS") == 256


def test_child_image_board_file_without_prj_conf_replaces_everything(tmp_path):
    root = make(tmp_path, {"prj.conf": APP_PRJ,
                           f"child_image/mcuboot/boards/{BOARD}.conf": "CONFIG_BOOT_MAX_IMG_SECTORS=256\n"})
    t = target(root, "2.5.0")
    mcu = t.images["mcuboot"]
    assert conf(t, "mcuboot") == [(f"child_image/mcuboot/boards/{BOARD}.conf", "board")]
    assert mcu.replaces_defaults == root / f"child_image/mcuboot/boards/{BOARD}.conf"
    assert any("whole CONF_FILE" in n for n in mcu.notes)


def test_child_image_overlays(tmp_path):
    root = make(tmp_path, {
        "prj.conf": APP_PRJ, "app.overlay": "/ { };\n",
        "child_image/mcuboot.overlay": "/ { chosen { zephyr,code-partition = &boot_partition; }; };\n",
        f"child_image/mcuboot/boards/{BOARD}.overlay": "/ { };\n",
        "child_image/mcuboot/boards/nrf52dk_nrf52832.overlay": "/ { };\n",
    })
    t = target(root, "2.5.0")
    assert dts(t, "mcuboot") == ["child_image/mcuboot.overlay", f"child_image/mcuboot/boards/{BOARD}.overlay"]
    assert dts(t, "app") == ["app.overlay"]            # the app's overlay is not MCUboot's


def test_child_image_is_not_read_by_sysbuild(tmp_path):
    root = make(tmp_path, {
        "prj.conf": APP_PRJ, "sysbuild.conf": "SB_CONFIG_BOOTLOADER_MCUBOOT=y\n",
        "child_image/mcuboot.conf": "CONFIG_BOOT_MAX_IMG_SECTORS=256\n",
        "child_image/mcuboot.overlay": "/ { };\n",
    })
    t = target(root, "2.7.0")
    assert t.build_system == "sysbuild"
    assert conf(t, "mcuboot") == []
    assert dts(t, "mcuboot") == []
    assert value(t, "mcuboot", "BOOT_MAX_IMG_SECTORS") != 256


def test_child_image_secure_board_files_for_a_non_secure_target(tmp_path):
    root = make(tmp_path, {
        "prj.conf": APP_PRJ,
        "child_image/mcuboot/boards/nrf9160dk_nrf9160.conf": "CONFIG_BOOT_MAX_IMG_SECTORS=256\n",
        "child_image/mcuboot/boards/nrf9160dk_nrf9160_ns.conf": "CONFIG_BOOT_MAX_IMG_SECTORS=512\n",
        "boards/nrf9160dk_nrf9160_ns.conf": "CONFIG_MAIN_STACK_SIZE=4096\n",
    })
    t = target(root, "2.5.0", "nrf9160dk_nrf9160_ns")
    assert conf(t, "app") == [("prj.conf", "base"), ("boards/nrf9160dk_nrf9160_ns.conf", "board")]
    # MCUboot runs in the secure world and is built for the secure board
    assert conf(t, "mcuboot") == [("child_image/mcuboot/boards/nrf9160dk_nrf9160.conf", "board")]


# ------------------------------------------------------------------ sysbuild (NCS 2.7+)

def test_sysbuild_files_in_build_order(tmp_path):
    root = make(tmp_path, {
        "prj.conf": APP_PRJ,
        "sysbuild.conf": "SB_CONFIG_BOOTLOADER_MCUBOOT=y\n",
        "sysbuild/mcuboot/prj.conf": "CONFIG_MAIN_STACK_SIZE=10240\nCONFIG_BOOT_MAX_IMG_SECTORS=128\n",
        f"sysbuild/mcuboot/boards/{BOARD}.conf": "CONFIG_BOOT_MAX_IMG_SECTORS=192\n",
        "sysbuild/mcuboot/boards/nrf52dk_nrf52832.conf": "CONFIG_BOOT_MAX_IMG_SECTORS=64\n",
        "sysbuild/mcuboot.conf": "CONFIG_BOOT_MAX_IMG_SECTORS=256\n",
    })
    t = target(root, "2.8.0")
    assert t.build_system == "sysbuild"
    assert conf(t, "sysbuild") == [("sysbuild.conf", "base")]
    assert [a.full_name for f in t.sysbuild.fragments for a in f.assignments] == ["SB_CONFIG_BOOTLOADER_MCUBOOT"]
    assert conf(t, "mcuboot") == [("sysbuild/mcuboot/prj.conf", "base"),
                                  (f"sysbuild/mcuboot/boards/{BOARD}.conf", "board"),
                                  ("sysbuild/mcuboot.conf", "extra")]
    assert chain(t, "mcuboot", "BOOT_MAX_IMG_SECTORS") == [
        ("sysbuild/mcuboot/prj.conf", 2, "128"), (f"sysbuild/mcuboot/boards/{BOARD}.conf", 1, "192"),
        ("sysbuild/mcuboot.conf", 1, "256")]
    assert value(t, "mcuboot", "BOOT_MAX_IMG_SECTORS") == 256
    # sysbuild/mcuboot/ is MCUboot's configuration directory now
    assert t.images["mcuboot"].replaces_defaults == root / "sysbuild/mcuboot"


def test_sysbuild_mcuboot_conf_alone_appends(tmp_path):
    root = make(tmp_path, {"prj.conf": APP_PRJ, "sysbuild.conf": "SB_CONFIG_BOOTLOADER_MCUBOOT=y\n",
                           "sysbuild/mcuboot.conf": "CONFIG_BOOT_MAX_IMG_SECTORS=256\n"})
    t = target(root, "2.8.0")
    assert conf(t, "mcuboot") == [("sysbuild/mcuboot.conf", "extra")]
    assert t.images["mcuboot"].replaces_defaults is None


def test_sysbuild_board_fragment_needs_prj_conf_in_the_config_dir(tmp_path):
    root = make(tmp_path, {"prj.conf": APP_PRJ, "sysbuild.conf": "SB_CONFIG_BOOTLOADER_MCUBOOT=y\n",
                           f"sysbuild/mcuboot/boards/{BOARD}.conf": "CONFIG_BOOT_MAX_IMG_SECTORS=256\n"})
    t = target(root, "2.8.0")
    assert conf(t, "mcuboot") == []
    assert t.images["mcuboot"].replaces_defaults == root / "sysbuild/mcuboot"


def test_sysbuild_mcuboot_overlay_replaces_overlay_discovery(tmp_path):
    files = {"prj.conf": APP_PRJ, "sysbuild.conf": "SB_CONFIG_BOOTLOADER_MCUBOOT=y\n",
             "sysbuild/mcuboot/prj.conf": "CONFIG_MAIN_STACK_SIZE=10240\n",
             "sysbuild/mcuboot/app.overlay": "/ { };\n",
             f"sysbuild/mcuboot/boards/{BOARD}.overlay": "/ { };\n",
             "sysbuild/mcuboot.overlay": "/ { };\n"}
    t = target(make(tmp_path / "a", files), "2.8.0")
    assert dts(t, "mcuboot") == ["sysbuild/mcuboot.overlay"]
    del files["sysbuild/mcuboot.overlay"]
    t = target(make(tmp_path / "b", files), "2.8.0")
    assert dts(t, "mcuboot") == [f"sysbuild/mcuboot/boards/{BOARD}.overlay"]      # first match only
    t = target(make(tmp_path / "b", files), "2.8.0", "nrf52dk_nrf52832")
    assert dts(t, "mcuboot") == ["sysbuild/mcuboot/app.overlay"]


def test_sysbuild_config_dir_soc_fragments_come_before_board_fragments(tmp_path):
    root = make(tmp_path, {
        "prj.conf": APP_PRJ, "sysbuild.conf": "SB_CONFIG_BOOTLOADER_MCUBOOT=y\n",
        "sysbuild/mcuboot/prj.conf": "CONFIG_MAIN_STACK_SIZE=10240\n",
        "sysbuild/mcuboot/socs/nrf54l15_cpuapp.conf": "CONFIG_BOOT_MAX_IMG_SECTORS=256\n",
        "sysbuild/mcuboot/socs/nrf54l10_cpuapp.conf": "CONFIG_BOOT_MAX_IMG_SECTORS=128\n",
        "sysbuild/mcuboot/boards/nrf54l15dk_nrf54l15_cpuapp.conf": "CONFIG_BOOT_MAX_IMG_SECTORS=512\n",
        "sysbuild/mcuboot/socs/nrf54l15_cpuapp.overlay": "/ { };\n",
        "sysbuild/mcuboot/app.overlay": "/ { };\n",
    })
    t = target(root, "2.9.0", "nrf54l15dk/nrf54l15/cpuapp")
    assert conf(t, "mcuboot") == [("sysbuild/mcuboot/prj.conf", "base"),
                                  ("sysbuild/mcuboot/socs/nrf54l15_cpuapp.conf", "soc"),
                                  ("sysbuild/mcuboot/boards/nrf54l15dk_nrf54l15_cpuapp.conf", "board")]
    assert value(t, "mcuboot", "BOOT_MAX_IMG_SECTORS") == 512
    # a SoC overlay counts as found: app.overlay is skipped
    assert dts(t, "mcuboot") == ["sysbuild/mcuboot/socs/nrf54l15_cpuapp.overlay"]


def test_app_soc_files_from_ncs_2_7(tmp_path):
    root = make(tmp_path, {"prj.conf": APP_PRJ, "socs/nrf52840.conf": "CONFIG_MAIN_STACK_SIZE=4096\n",
                           "socs/nrf52840.overlay": "/ { };\n", f"boards/{BOARD}.overlay": "/ { };\n"})
    t = target(root, "2.7.0")
    assert conf(t, "app") == [("prj.conf", "base"), ("socs/nrf52840.conf", "soc")]
    assert dts(t, "app") == ["socs/nrf52840.overlay", f"boards/{BOARD}.overlay"]
    old = target(root, "2.5.0")
    assert conf(old, "app") == [("prj.conf", "base")]
    assert dts(old, "app") == [f"boards/{BOARD}.overlay"]


def test_sysbuild_forces_bootloader_and_mode(tmp_path):
    root = make(tmp_path, {
        "prj.conf": "CONFIG_BOOTLOADER_MCUBOOT=n\nCONFIG_MCUBOOT_BOOTLOADER_MODE_SWAP_SCRATCH=y\n",
        "sysbuild.conf": "SB_CONFIG_BOOTLOADER_MCUBOOT=y\nSB_CONFIG_MCUBOOT_MODE_OVERWRITE_ONLY=y\n",
        "sysbuild/mcuboot.conf": "CONFIG_BOOT_UPGRADE_ONLY=n\n",
    })
    t = target(root, "2.8.0")
    v = t.images["app"].config.get("BOOTLOADER_MCUBOOT")
    assert (v.value, v.origin) == ("y", "forced")
    # the chain keeps the user's line and then sysbuild's, which wins
    assert [(t.app.rel(a.span.path), a.span.line, a.raw) for a in v.assignments] == [
        ("prj.conf", 1, "n"), ("sysbuild.conf", 1, "y")]
    dropped = {d.assignment.name: d.reason for d in t.images["app"].config.dropped}
    assert dropped.get("BOOTLOADER_MCUBOOT") == "forced"
    assert t.mcuboot_enabled
    assert value(t, "mcuboot", "BOOT_UPGRADE_ONLY") == "y"
    assert t.images["mcuboot"].config.get("BOOT_UPGRADE_ONLY").origin == "forced"
    assert t.mode == "overwrite-only"


def test_sysbuild_without_sb_bootloader_turns_mcuboot_off(tmp_path):
    root = make(tmp_path, {"prj.conf": "CONFIG_BOOTLOADER_MCUBOOT=y\n", "sysbuild.conf": "# nothing\n"})
    t = target(root, "2.8.0")
    v = t.images["app"].config.get("BOOTLOADER_MCUBOOT")
    assert (v.value, v.origin) == ("n", "forced")
    assert not t.mcuboot_enabled


def test_child_image_build_has_no_forcing(tmp_path):
    root = make(tmp_path, {"prj.conf": "CONFIG_BOOTLOADER_MCUBOOT=y\n"})
    t = target(root, "2.5.0")
    assert t.sysbuild is None
    v = t.images["app"].config.get("BOOTLOADER_MCUBOOT")
    assert (v.value, v.origin) == ("y", "fragment")
    assert t.mcuboot_enabled


# ------------------------------------------------------------------ the application image

@pytest.mark.parametrize("sdk", ["2.5.0", "2.8.0"])
def test_app_fragments(tmp_path, sdk):
    root = make(tmp_path, {
        "prj.conf": "CONFIG_BOOTLOADER_MCUBOOT=y\nCONFIG_MAIN_STACK_SIZE=2048\n",
        f"boards/{BOARD}.conf": "CONFIG_MAIN_STACK_SIZE=4096\n",
        "boards/nrf52dk_nrf52832.conf": "CONFIG_MAIN_STACK_SIZE=1024\n",
        "overlay-logging.conf": "CONFIG_MAIN_STACK_SIZE=8192\n",      # only with EXTRA_CONF_FILE
        "sysbuild.conf": "SB_CONFIG_BOOTLOADER_MCUBOOT=y\n",
    })
    t = target(root, sdk)
    assert conf(t, "app") == [("prj.conf", "base"), (f"boards/{BOARD}.conf", "board")]
    assert chain(t, "app", "MAIN_STACK_SIZE") == [("prj.conf", 2, "2048"), (f"boards/{BOARD}.conf", 1, "4096")]
    assert value(t, "app", "MAIN_STACK_SIZE") == 4096
    t2 = target(root, sdk, "nrf52dk_nrf52832")
    assert value(t2, "app", "MAIN_STACK_SIZE") == 1024


def test_board_revision_fragment_comes_after_the_plain_board_file(tmp_path):
    root = make(tmp_path, {
        "prj.conf": APP_PRJ,
        "boards/nrf9160dk_nrf9160_ns.conf": "CONFIG_MAIN_STACK_SIZE=4096\n",
        "boards/nrf9160dk_nrf9160_ns_0_14_0.conf": "CONFIG_MAIN_STACK_SIZE=8192\n",
    })
    t = target(root, "2.8.0", "nrf9160dk@0.14.0/nrf9160/ns")
    assert conf(t, "app") == [("prj.conf", "base"), ("boards/nrf9160dk_nrf9160_ns.conf", "board"),
                              ("boards/nrf9160dk_nrf9160_ns_0_14_0.conf", "board")]
    assert value(t, "app", "MAIN_STACK_SIZE") == 8192


@pytest.mark.parametrize("board", ["nrf52840dk_nrf52840", "nrf52840dk/nrf52840"])
def test_both_board_name_forms_pick_the_same_files(tmp_path, board):
    root = make(tmp_path, {"prj.conf": APP_PRJ, f"boards/{BOARD}.conf": "CONFIG_MAIN_STACK_SIZE=4096\n",
                           f"boards/{BOARD}.overlay": "/ { };\n"})
    t = target(root, "2.8.0", board)
    assert conf(t, "app")[-1] == (f"boards/{BOARD}.conf", "board")
    assert dts(t, "app") == [f"boards/{BOARD}.overlay"]


def test_overlay_discovery_takes_the_first_match_only(tmp_path):
    files = {"prj.conf": APP_PRJ, "app.overlay": "/ { };\n", f"{BOARD}.overlay": "/ { };\n",
             f"boards/{BOARD}.overlay": "/ { };\n"}
    assert dts(target(make(tmp_path / "a", files), "2.8.0"), "app") == [f"boards/{BOARD}.overlay"]
    del files[f"boards/{BOARD}.overlay"]
    assert dts(target(make(tmp_path / "b", files), "2.8.0"), "app") == [f"{BOARD}.overlay"]
    del files[f"{BOARD}.overlay"]
    assert dts(target(make(tmp_path / "c", files), "2.8.0"), "app") == ["app.overlay"]
    # another board falls back to app.overlay
    files[f"boards/{BOARD}.overlay"] = "/ { };\n"
    assert dts(target(make(tmp_path / "d", files), "2.8.0", "nrf52dk_nrf52832"), "app") == ["app.overlay"]


def test_prj_board_conf_replaces_prj_conf_on_old_zephyr_only(tmp_path):
    root = make(tmp_path, {"prj.conf": "CONFIG_MAIN_STACK_SIZE=2048\n",
                           f"prj_{BOARD}.conf": "CONFIG_MAIN_STACK_SIZE=4096\n"})
    old = target(root, "2.4.0")
    assert conf(old, "app") == [(f"prj_{BOARD}.conf", "base")]
    assert value(old, "app", "MAIN_STACK_SIZE") == 4096
    assert any(f"prj_{BOARD}.conf replaces prj.conf" in n for n in old.images["app"].notes)
    new = target(root, "2.8.0")
    assert conf(new, "app") == [("prj.conf", "base")]
    assert value(new, "app", "MAIN_STACK_SIZE") == 2048


def test_unset_line_is_part_of_the_chain(tmp_path):
    root = make(tmp_path, {"prj.conf": "CONFIG_BOOTLOADER_MCUBOOT=y\nCONFIG_MCUMGR=y\n",
                           f"boards/{BOARD}.conf": "# CONFIG_MCUMGR is not set\n"})
    t = target(root, "2.5.0")
    v = t.images["app"].config.get("MCUMGR")
    assert [(t.app.rel(a.span.path), a.unset) for a in v.assignments] == [("prj.conf", False),
                                                                        (f"boards/{BOARD}.conf", True)]
    assert v.value == "n"


# ------------------------------------------------------------------ the pure layer functions

def test_layer_functions_without_files(tmp_path):
    img = app_layers(tmp_path, [BOARD], (2, 8, 0))
    assert img.conf_layers == [] and img.dts_layers == []
    for bs in ("child_image", "sysbuild", "zephyr"):
        mcu = mcuboot_layers(tmp_path, [BOARD], bs)
        assert mcu.conf_layers == [] and mcu.dts_layers == [] and mcu.replaces_defaults is None


def test_plain_zephyr_uses_the_sysbuild_layout_for_mcuboot(tmp_path):
    make(tmp_path, {"sysbuild/mcuboot.conf": "CONFIG_BOOT_MAX_IMG_SECTORS=256\n", "sysbuild/mcuboot.overlay": ""})
    mcu = mcuboot_layers(tmp_path, [BOARD], "zephyr")
    assert [layer.path.name for layer in mcu.conf_layers] == ["mcuboot.conf"]
    assert [layer.path.name for layer in mcu.dts_layers] == ["mcuboot.overlay"]


def test_a_build_directorys_zephyr_dts_is_the_images_devicetree(tmp_path):
    import json
    import shutil

    from click.testing import CliRunner

    from dfulint.cli import cli

    app = tmp_path / "seed"
    shutil.copytree(Path(__file__).resolve().parent.parent / "fixtures" / "seed_bl653_dvk", app)
    final = app / "build" / "mcuboot" / "zephyr" / "zephyr.dts"
    final.parent.mkdir(parents=True)
    final.write_text(
        "/dts-v1/;\n/ {\n\t#address-cells = <1>;\n\t#size-cells = <1>;\n"
        "\tchosen { nordic,pm-ext-flash = &is25; };\n"
        "\tsoc {\n\t\t#address-cells = <1>;\n\t\t#size-cells = <1>;\n"
        "\t\tspi1: spi@40004000 {\n\t\t\tcompatible = \"nordic,nrf-spim\";\n\t\t\treg = <0x40004000 0x1000>;\n"
        "\t\t\t#address-cells = <1>;\n\t\t\t#size-cells = <0>;\n\t\t\tcs-gpios = <&gpio0 23 1>;\n"
        "\t\t\tis25: is25@0 {\n\t\t\t\tcompatible = \"jedec,spi-nor\";\n\t\t\t\treg = <0>;\n"
        "\t\t\t\tlabel = \"IS25\";\n\t\t\t\tsize = <8388608>;\n\t\t\t\tjedec-id = [9d 40 14];\n"
        "\t\t\t\tspi-max-frequency = <8000000>;\n\t\t\t};\n\t\t};\n\t\tgpio0: gpio@50000000 { reg = <0x50000000 0x200>; };\n"
        "\t};\n};\n")
    res = CliRunner().invoke(cli, ["check", str(app), "--format", "json"])
    findings = json.loads(res.output)["findings"]
    sizes = [f for f in findings if f["code"] == "DFU302" and "size" in f["message"]]
    assert sizes and sizes[0]["path"] == "build/mcuboot/zephyr/zephyr.dts"
    assert sizes[0]["evidence"] == "build"
    assert "8388608" in sizes[0]["message"] and "4194304" in sizes[0]["message"]


def test_a_build_directorys_mcuboot_config_decides_the_slot_analysis(tmp_path):
    import json
    import shutil

    from click.testing import CliRunner

    from dfulint.cli import cli

    app = tmp_path / "seed"
    shutil.copytree(Path(__file__).resolve().parent.parent / "fixtures" / "seed_bl653_dvk", app)
    cfg = app / "build" / "mcuboot" / "zephyr" / ".config"
    cfg.parent.mkdir(parents=True)
    cfg.write_text("CONFIG_BOOT_SWAP_USING_MOVE=y\nCONFIG_BOOT_MAX_IMG_SECTORS=64\n")
    res = CliRunner().invoke(cli, ["map", str(app), "--format", "json"])
    mcuboot = json.loads(res.output)["apps"][0]["mcuboot"]
    assert mcuboot["max_img_sectors"] == 64 and "build/mcuboot/zephyr/.config" in mcuboot["mode_source"]
    res = CliRunner().invoke(cli, ["check", str(app), "--format", "json", "--select", "DFU202"])
    assert [f["code"] for f in json.loads(res.output)["findings"]] == ["DFU202"]
