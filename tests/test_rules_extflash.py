"""3xx external-flash rules: one focused app per case, built in a temporary folder.

Each test writes the few files that matter (the rest of a realistic app would only add noise),
runs `dfulint check --select <rule>` and looks at code, file, line and the decisive words of the
message. A second group checks the model facts the rules rest on (sysbuild forcing of the
driver-check override, the secure board of an NS target keeping its revision, a board's own
chosen external flash), and a last group feeds malformed input to every 3xx rule.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from dfulint.checks import load_all
from dfulint.cli import cli
from dfulint.model.project import _secure_board, build_targets
from dfulint.sources import clear_caches
from dfulint.workspace import describe_app

NRF52840 = ("--board", "nrf52840dk/nrf52840")
NRF9160 = ("--board", "nrf9160dk@0.14.0/nrf9160/ns")
NRF54L = ("--board", "nrf54l15dk/nrf54l15/cpuapp")
NRF5340 = ("--board", "nrf5340dk/nrf5340/cpuapp")

CHOSEN = "/ {\n\tchosen {\n\t\tnordic,pm-ext-flash = &mx25r64;\n\t};\n};\n"
ENABLE = "&mx25r64 {\n\tstatus = \"okay\";\n};\n"
QSPI = ("CONFIG_NORDIC_QSPI_NOR=y\nCONFIG_NORDIC_QSPI_NOR_FLASH_LAYOUT_PAGE_SIZE=4096\n"
        "CONFIG_BOOT_MAX_IMG_SECTORS=256\n")
SPI = "CONFIG_SPI=y\nCONFIG_SPI_NOR=y\nCONFIG_SPI_NOR_FLASH_LAYOUT_PAGE_SIZE=4096\n"
SB_EXT = "SB_CONFIG_BOOTLOADER_MCUBOOT=y\nSB_CONFIG_PM_EXTERNAL_FLASH_MCUBOOT_SECONDARY=y\n"
APP = "CONFIG_FLASH=y\nCONFIG_FLASH_MAP=y\nCONFIG_STREAM_FLASH=y\nCONFIG_IMG_MANAGER=y\nCONFIG_MCUBOOT_IMG_MANAGER=y\n"


def make(root: Path, files: dict) -> Path:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    (root / "CMakeLists.txt").write_text("cmake_minimum_required(VERSION 3.20.0)\n"
                                         "find_package(Zephyr REQUIRED HINTS $ENV{ZEPHYR_BASE})\nproject(t)\n")
    return root


def check(app: Path, sdk: str, board=NRF52840, select: str = "DFU3") -> list[dict]:
    clear_caches()
    res = CliRunner().invoke(cli, ["check", str(app), "--format", "json", "--sdk-version", sdk, *board,
                                   "--select", select])
    assert res.exit_code in (0, 1), res.output
    return json.loads(res.output)["findings"]


def only(findings, code):
    return [f for f in findings if f["code"] == code]


def where(findings, code):
    return {(f["path"], f["line"]) for f in findings if f["code"] == code}


def target(app: Path, sdk: str, board: str = "nrf52840dk/nrf52840"):
    clear_caches()
    return build_targets(describe_app(app.resolve(), [board], sdk))[0]


def qspi_sysbuild(tmp_path, **over):
    files = {"prj.conf": APP + QSPI, "sysbuild.conf": SB_EXT,
             "boards/nrf52840dk_nrf52840.overlay": CHOSEN, "sysbuild/mcuboot.overlay": CHOSEN,
             "sysbuild/mcuboot.conf": QSPI}
    files.update(over)
    return make(tmp_path, {k: v for k, v in files.items() if v is not None})


def qspi_child(tmp_path, **over):
    files = {"prj.conf": "CONFIG_BOOTLOADER_MCUBOOT=y\n" + APP + QSPI,
             "boards/nrf52840dk_nrf52840.overlay": CHOSEN, "child_image/mcuboot.overlay": CHOSEN,
             "child_image/mcuboot.conf": QSPI}
    files.update(over)
    return make(tmp_path, {k: v for k, v in files.items() if v is not None})


MCU91 = SPI + "CONFIG_MULTITHREADING=y\nCONFIG_BOOT_MAX_IMG_SECTORS=256\n"


def spi91(tmp_path, mcuboot=MCU91, app_extra="", **over):
    files = {"prj.conf": "CONFIG_BOOTLOADER_MCUBOOT=y\n" + APP + SPI + app_extra,
             "boards/nrf9160dk_nrf9160_ns_0_14_0.overlay": ENABLE + CHOSEN,
             "child_image/mcuboot.overlay": ENABLE + CHOSEN, "child_image/mcuboot.conf": mcuboot}
    files.update(over)
    return make(tmp_path, {k: v for k, v in files.items() if v is not None})


CHOSEN54 = "/ {\n\tchosen {\n\t\tnordic,pm-ext-flash = &mx25r64;\n\t};\n};\n"
MCU54 = SPI + "CONFIG_MULTITHREADING=y\nCONFIG_BOOT_MAX_IMG_SECTORS=512\n"


def spi54(tmp_path, mcuboot=MCU54, app=APP + SPI, **over):
    files = {"prj.conf": app, "sysbuild.conf": SB_EXT,
             "boards/nrf54l15dk_nrf54l15_cpuapp.overlay": CHOSEN54, "sysbuild/mcuboot.overlay": CHOSEN54,
             "sysbuild/mcuboot.conf": mcuboot}
    files.update(over)
    return make(tmp_path, {k: v for k, v in files.items() if v is not None})


def nor_node(jedec="ef 40 17", size="67108864", reg=0, freq="\t\tspi-max-frequency = <8000000>;\n", extra="",
             bus_extra="\tcs-gpios = <&gpio1 12 GPIO_ACTIVE_LOW>;\n", label="w25"):
    return (f"&spi3 {{\n\tstatus = \"okay\";\n{bus_extra}\t{label}: w25q@{reg} {{\n"
            f"\t\tcompatible = \"jedec,spi-nor\";\n\t\treg = <{reg}>;\n{freq}\t\tjedec-id = [{jedec}];\n"
            f"\t\tsize = <{size}>;\n{extra}\t}};\n}};\n\n/ {{\n\tchosen {{\n\t\tnordic,pm-ext-flash = &{label};\n"
            f"\t}};\n}};\n")


def spi3_child(tmp_path, node, mcu_node=None, **over):
    """nRF52840 DK, child images: an SPI NOR the project adds on spi3."""
    mc = SPI + "CONFIG_NORDIC_QSPI_NOR=n\nCONFIG_MULTITHREADING=y\nCONFIG_BOOT_MAX_IMG_SECTORS=256\n"
    files = {"prj.conf": "CONFIG_BOOTLOADER_MCUBOOT=y\n" + APP + SPI + "CONFIG_NORDIC_QSPI_NOR=n\n",
             "boards/nrf52840dk_nrf52840.overlay": node, "child_image/mcuboot.overlay": mcu_node or node,
             "child_image/mcuboot.conf": mc}
    files.update(over)
    return make(tmp_path, {k: v for k, v in files.items() if v is not None})


# ------------------------------------------------------------------ DFU301

def test_301_sysbuild_mcuboot_overlay_missing(tmp_path):
    app = qspi_sysbuild(tmp_path, **{"sysbuild/mcuboot.overlay": None})
    f = only(check(app, "2.9.0", select="DFU301"), "DFU301")
    assert len(f) == 1 and (f[0]["path"], f[0]["line"]) == ("sysbuild/mcuboot.overlay", 1)
    assert f[0]["image"] == "mcuboot" and f[0]["severity"] == "error"
    assert "Failed to open flash area ID 1" in f[0]["message"]
    assert "create sysbuild/mcuboot.overlay" in f[0]["fix"] and "&mx25r64" in f[0]["fix"]


def test_301_child_image_points_at_existing_mcuboot_overlay(tmp_path):
    app = qspi_child(tmp_path, **{"child_image/mcuboot.overlay": "/* MCUboot tweaks */\n"})
    f = only(check(app, "2.5.0", select="DFU301"), "DFU301")
    assert where(f, "DFU301") == {("child_image/mcuboot.overlay", 1)}
    assert f[0]["fix"].startswith("add to child_image/mcuboot.overlay")


def test_301_app_without_chosen_node(tmp_path):
    app = qspi_sysbuild(tmp_path, **{"boards/nrf52840dk_nrf52840.overlay": None})
    f = only(check(app, "2.9.0", select="DFU301"), "DFU301")
    assert [x["image"] for x in f] == ["app"]
    assert "no external_flash region" in f[0]["message"]


def test_301_label_era_needs_only_the_node(tmp_path):
    # NCS 2.0: the device is named by label; MCUboot has the DK's enabled mx25r64 from the board
    app = qspi_child(tmp_path, **{"child_image/mcuboot.overlay": None})
    assert not check(app, "2.0.0", select="DFU301")


def test_301_uncertain_version_is_a_warning(tmp_path):
    app = qspi_child(tmp_path, **{"child_image/mcuboot.overlay": None})
    clear_caches()
    res = CliRunner().invoke(cli, ["check", str(app), "--format", "json", *NRF52840, "--select", "DFU301"])
    f = json.loads(res.output)["findings"]
    assert [x["severity"] for x in f] == ["warning"] and "not certain" in f[0]["message"]


def _dfu301_without_sdk_version(app: Path) -> list[dict]:
    clear_caches()
    res = CliRunner().invoke(cli, ["check", str(app), "--format", "json", *NRF52840, "--select", "DFU301"])
    return json.loads(res.output)["findings"]


def test_301_uncertain_version_inside_sdk_nrfs_own_tree_is_info(tmp_path):
    # a sample in the sdk-nrf repository is built with the SDK it ships in: without the tree's
    # VERSION file the version is unknown, but only a copy built with NCS 2.2+ would be affected
    import shutil

    tree = Path(__file__).resolve().parents[1] / "fixtures" / "rules" / "DFU301-ext-flash-chosen-missing" / \
        "sdk-nrf-tree-sample"
    sample = Path("samples") / "bluetooth" / "peripheral_ext_dfu"
    f = _dfu301_without_sdk_version(tree / sample)
    assert [x["severity"] for x in f] == ["info"] and "sdk-nrf's own tree" in f[0]["message"]
    # the tree dated by its VERSION file: NCS 2.0 names the device by label, nothing to report
    dated = tmp_path / "nrf"
    shutil.copytree(tree, dated)
    (dated / "VERSION").write_text("2.0.99\n")
    assert _dfu301_without_sdk_version(dated / sample) == []
    # the same sample copied into a project of its own: the version is a guess, so a warning
    alone = tmp_path / "own" / "peripheral_ext_dfu"
    shutil.copytree(tree / sample, alone)
    f = _dfu301_without_sdk_version(alone)
    assert [x["severity"] for x in f] == ["warning"]


def test_301_secondary_internal_is_not_checked(tmp_path):
    app = qspi_sysbuild(tmp_path, **{"sysbuild.conf": "SB_CONFIG_BOOTLOADER_MCUBOOT=y\n",
                                     "sysbuild/mcuboot.overlay": None})
    assert not check(app, "2.9.0", select="DFU301")


# ------------------------------------------------------------------ DFU302

def test_302_size_differs(tmp_path):
    app = qspi_sysbuild(tmp_path, **{"sysbuild/mcuboot.overlay": CHOSEN + "&mx25r64 {\n\tsize = <33554432>;\n};\n"})
    f = only(check(app, "2.9.0", select="DFU302"), "DFU302")
    assert where(f, "DFU302") == {("sysbuild/mcuboot.overlay", 7)}
    assert "`size`" in f[0]["message"]


def test_302_other_node(tmp_path):
    other = ("&spi2 {\n\tstatus = \"okay\";\n\tcs-gpios = <&gpio0 10 0>;\n\tnor2: w25q16@0 {\n"
             "\t\tcompatible = \"jedec,spi-nor\";\n\t\treg = <0>;\n\t\tspi-max-frequency = <8000000>;\n"
             "\t\tjedec-id = [ef 40 15];\n\t\tsize = <16777216>;\n\t};\n};\n"
             "/ {\n\tchosen {\n\t\tnordic,pm-ext-flash = &nor2;\n\t};\n};\n")
    app = spi91(tmp_path, **{"child_image/mcuboot.overlay": other})
    f = only(check(app, "2.5.0", NRF9160, select="DFU302"), "DFU302")
    assert len(f) == 1 and "&nor2" in f[0]["message"] and "&mx25r64" in f[0]["message"]


def test_302_secure_and_non_secure_addresses_are_one_node(tmp_path):
    assert not check(spi91(tmp_path), "2.5.0", NRF9160, select="DFU302")


# ------------------------------------------------------------------ DFU303

def test_303_board_disabled_node_not_enabled_for_mcuboot(tmp_path):
    app = spi91(tmp_path, **{"child_image/mcuboot.overlay": CHOSEN})
    f = only(check(app, "2.5.0", NRF9160, select="DFU303"), "DFU303")
    assert len(f) == 1 and f[0]["image"] == "mcuboot"
    assert (f[0]["path"], f[0]["line"]) == ("child_image/mcuboot.overlay", 3)
    assert "disabled by the board devicetree" in f[0]["message"]
    assert 'status = "okay"' in f[0]["fix"]


def test_303_bus_disabled(tmp_path):
    app = qspi_sysbuild(tmp_path, **{"sysbuild/mcuboot.overlay": CHOSEN + "&qspi {\n\tstatus = \"disabled\";\n};\n"})
    f = only(check(app, "2.9.0", select="DFU303"), "DFU303")
    assert where(f, "DFU303") == {("sysbuild/mcuboot.overlay", 7)} and "bus" in f[0]["message"]


def test_303_label_defined_only_for_the_app(tmp_path):
    node = nor_node()
    mcu = "/ {\n\tchosen {\n\t\tnordic,pm-ext-flash = &w25;\n\t};\n};\n"
    app = spi3_child(tmp_path, node, mcu)
    f = only(check(app, "2.5.0", select="DFU303"), "DFU303")
    assert len(f) == 1 and "does not read" in f[0]["message"] and f[0]["image"] == "mcuboot"


# ------------------------------------------------------------------ DFU304

def test_304_switch_in_prj_conf_is_ignored(tmp_path):
    pm = "mcuboot_secondary:\n  address: 0x0\n  size: 0xf4000\n  region: external_flash\n"
    app = qspi_sysbuild(tmp_path, **{"sysbuild.conf": "SB_CONFIG_BOOTLOADER_MCUBOOT=y\n",
                                     "prj.conf": APP + QSPI + "CONFIG_PM_EXTERNAL_FLASH_MCUBOOT_SECONDARY=y\n",
                                     "pm_static.yml": pm})
    fs = check(app, "2.9.0", select="DFU304,DFU305")
    assert where(fs, "DFU304") == {("prj.conf", 9)}
    assert "SB_CONFIG_PM_EXTERNAL_FLASH_MCUBOOT_SECONDARY=y in sysbuild.conf" in only(fs, "DFU304")[0]["fix"]
    assert "pins it there" in only(fs, "DFU304")[0]["message"]
    assert where(fs, "DFU305") == {("pm_static.yml", 4)}


def test_304_agreeing_line_is_not_reported(tmp_path):
    app = qspi_sysbuild(tmp_path, **{"prj.conf": APP + QSPI + "CONFIG_PM_EXTERNAL_FLASH_MCUBOOT_SECONDARY=y\n"})
    assert not check(app, "2.9.0", select="DFU304")


def test_304_kconfig_sysbuild_default_counts(tmp_path):
    app = qspi_sysbuild(tmp_path, **{
        "sysbuild.conf": "SB_CONFIG_BOOTLOADER_MCUBOOT=y\n",
        "Kconfig.sysbuild": "config PM_EXTERNAL_FLASH_MCUBOOT_SECONDARY\n\tdefault y if BOARD_NRF52840DK_NRF52840\n\n"
                            "source \"share/sysbuild/Kconfig\"\n",
        "sysbuild/mcuboot.conf": QSPI + "CONFIG_PM_EXTERNAL_FLASH_MCUBOOT_SECONDARY=y\n"})
    assert not check(app, "2.9.0", select="DFU304")


def test_304_not_for_child_images(tmp_path):
    app = qspi_child(tmp_path, **{"prj.conf": "CONFIG_BOOTLOADER_MCUBOOT=y\n" + APP + QSPI +
                                  "CONFIG_PM_EXTERNAL_FLASH_MCUBOOT_SECONDARY=y\n"})
    assert not check(app, "2.5.0", select="DFU304")


# ------------------------------------------------------------------ DFU305

INTERNAL = ("mcuboot:\n  address: 0x0\n  size: 0xc000\nmcuboot_pad:\n  address: 0xc000\n  size: 0x200\n"
            "app:\n  address: 0xc200\n  size: 0x75e00\nmcuboot_primary:\n  address: 0xc000\n  size: 0x76000\n"
            "  span: [mcuboot_pad, app]\nmcuboot_primary_app:\n  address: 0xc200\n  size: 0x75e00\n  span: [app]\n"
            "mcuboot_secondary:\n  address: 0x82000\n  size: 0x76000\n  region: flash_primary\n"
            "settings_storage:\n  address: 0xf8000\n  size: 0x8000\n")


def test_305_child_image_switch_defaults_on_with_chosen(tmp_path):
    app = make(tmp_path, {"prj.conf": "CONFIG_BOOTLOADER_MCUBOOT=y\n" + APP + QSPI,
                          "boards/nrf52840dk_nrf52840.overlay": CHOSEN, "pm_static.yml": INTERNAL})
    f = only(check(app, "2.5.0", select="DFU305"), "DFU305")
    assert where(f, "DFU305") == {("pm_static.yml", 21)}
    assert "defaults to y" in f[0]["message"] and "=n" in f[0]["fix"]


def test_305_switch_off_agrees_with_internal_slot(tmp_path):
    app = make(tmp_path, {"prj.conf": "CONFIG_BOOTLOADER_MCUBOOT=y\n" + APP + QSPI +
                          "CONFIG_PM_EXTERNAL_FLASH_MCUBOOT_SECONDARY=n\n",
                          "boards/nrf52840dk_nrf52840.overlay": CHOSEN, "pm_static.yml": INTERNAL})
    assert not check(app, "2.5.0", select="DFU305")


# ------------------------------------------------------------------ DFU306

def test_306_mcuboot_board_fragment_turns_qspi_off(tmp_path):
    app = qspi_sysbuild(tmp_path, **{"sysbuild/mcuboot.conf": "CONFIG_BOOT_MAX_IMG_SECTORS=256\n"})
    f = only(check(app, "2.9.0", select="DFU306"), "DFU306")
    assert where(f, "DFU306") == {("sysbuild/mcuboot.conf", 1)}
    assert "nrf52840dk_nrf52840.conf" in f[0]["message"] and "CONFIG_NORDIC_QSPI_NOR=y" in f[0]["fix"]


def test_306_board_fragment_not_used_when_config_replaced(tmp_path):
    # sysbuild/mcuboot/ replaces MCUboot's config dir: its board fragment no longer applies, and the
    # driver follows the devicetree (NCS 2.2+)
    app = qspi_sysbuild(tmp_path, **{"sysbuild/mcuboot.conf": None,
                                     "sysbuild/mcuboot/prj.conf": "CONFIG_FLASH=y\nCONFIG_MAIN_STACK_SIZE=10240\n"
                                                                 "CONFIG_BOOT_MAX_IMG_SECTORS=256\n",
                                     "sysbuild/mcuboot.overlay": None,
                                     "sysbuild/mcuboot/app.overlay": CHOSEN})
    assert not check(app, "2.9.0", select="DFU306")


def test_306_explicit_n(tmp_path):
    app = spi91(tmp_path, mcuboot="CONFIG_SPI_NOR=n\nCONFIG_BOOT_MAX_IMG_SECTORS=256\n")
    f = only(check(app, "2.5.0", NRF9160, select="DFU306"), "DFU306")
    assert where(f, "DFU306") == {("child_image/mcuboot.conf", 1)}


def test_306_ncs_1x_spi_nor_has_no_default(tmp_path):
    app = spi91(tmp_path, mcuboot="CONFIG_MULTITHREADING=y\nCONFIG_BOOT_MAX_IMG_SECTORS=256\n")
    f = only(check(app, "1.9.1", NRF9160, select="DFU306"), "DFU306")
    assert len(f) == 1 and "no default" in f[0]["message"]


# ------------------------------------------------------------------ DFU307

def test_307_qspi_driver_on_soc_without_qspi(tmp_path):
    app = spi91(tmp_path, app_extra="CONFIG_NORDIC_QSPI_NOR=y\n")
    f = only(check(app, "2.5.0", NRF9160, select="DFU307"), "DFU307")
    assert where(f, "DFU307") == {("prj.conf", 10)} and "no QSPI peripheral" in f[0]["message"]


def test_307_spi_nor_for_a_qspi_part(tmp_path):
    app = qspi_sysbuild(tmp_path, **{"sysbuild/mcuboot.conf": QSPI + "CONFIG_SPI_NOR=y\n"})
    f = only(check(app, "2.9.0", select="DFU307"), "DFU307")
    assert where(f, "DFU307") == {("sysbuild/mcuboot.conf", 4)} and "no chip to drive" in f[0]["message"]


# ------------------------------------------------------------------ DFU308

def test_308_ncs21_spi_nor_needs_override_in_both_images(tmp_path):
    f = only(check(spi91(tmp_path), "2.1.0", NRF9160, select="DFU308"), "DFU308")
    assert {x["image"] for x in f} == {"app", "mcuboot"}


def test_308_ncs22_spi_nor_is_recognised(tmp_path):
    assert not check(spi91(tmp_path), "2.2.0", NRF9160, select="DFU308")


def test_308_override_set(tmp_path):
    ovr = "CONFIG_PM_OVERRIDE_EXTERNAL_DRIVER_CHECK=y\n"
    app = spi91(tmp_path, mcuboot=MCU91 + ovr, app_extra=ovr)
    assert not check(app, "2.1.0", NRF9160, select="DFU308")


# ------------------------------------------------------------------ DFU309

NO_MT = SPI + "CONFIG_BOOT_MAX_IMG_SECTORS=256\n"


@pytest.mark.parametrize("sdk,severity", [("2.5.0", "error"), ("2.4.0", "warning"), ("3.1.0", None)])
def test_309_per_version(tmp_path, sdk, severity):
    f = only(check(spi91(tmp_path, mcuboot=NO_MT), sdk, NRF9160, select="DFU309"), "DFU309")
    assert [x["severity"] for x in f] == ([severity] if severity else [])


def test_309_multithreading_on(tmp_path):
    assert not check(spi91(tmp_path), "2.5.0", NRF9160, select="DFU309")


# ------------------------------------------------------------------ DFU310

def test_310_replaced_config_without_stack(tmp_path):
    app = spi91(tmp_path, mcuboot=None, **{"child_image/mcuboot.conf": None,
                                          "child_image/mcuboot/prj.conf": "CONFIG_FLASH=y\n" + MCU91})
    f = only(check(app, "2.5.0", NRF9160, select="DFU310"), "DFU310")
    assert where(f, "DFU310") == {("child_image/mcuboot/prj.conf", 1)} and "1024" in f[0]["message"]


@pytest.mark.parametrize("size,hits", [("1024", 1), ("2048", 0), ("10240", 0)])
def test_310_explicit_values(tmp_path, size, hits):
    app = spi54(tmp_path, mcuboot=MCU54 + f"CONFIG_MAIN_STACK_SIZE={size}\n")
    assert len(check(app, "3.0.0", NRF54L, select="DFU310")) == hits


# ------------------------------------------------------------------ DFU311 / DFU312

def test_311_app_left_at_default(tmp_path):
    app = spi54(tmp_path, app=APP + "CONFIG_SPI=y\nCONFIG_SPI_NOR=y\n")
    f = only(check(app, "3.0.0", NRF54L, select="DFU311"), "DFU311")
    assert len(f) == 1 and f[0]["image"] == "app" and f[0]["path"] == "prj.conf"
    assert "CONFIG_SPI_NOR_FLASH_LAYOUT_PAGE_SIZE=4096" in f[0]["fix"]


def test_311_matter_defaults_are_not_guessed(tmp_path):
    app = spi54(tmp_path, app=APP + "CONFIG_CHIP=y\nCONFIG_SPI=y\nCONFIG_SPI_NOR=y\n")
    assert not check(app, "3.0.0", NRF54L, select="DFU311")


def test_312_64k_default_in_mcuboot(tmp_path):
    app = spi54(tmp_path, mcuboot="CONFIG_SPI=y\nCONFIG_SPI_NOR=y\nCONFIG_MULTITHREADING=y\n"
                                   "CONFIG_BOOT_MAX_IMG_SECTORS=512\n")
    fs = check(app, "3.0.0", NRF54L, select="DFU311,DFU312")
    f = only(fs, "DFU312")
    assert where(fs, "DFU312") == {("sysbuild/mcuboot.conf", 1)}
    assert "not a compatible amount of sectors" in f[0]["message"] or "no image boots" in f[0]["message"]
    assert "65536" in f[0]["message"] and "=4096" in f[0]["fix"]
    assert not only(fs, "DFU311")          # one finding for one cause


def test_312_child_image_nrf9160(tmp_path):
    app = spi91(tmp_path, mcuboot="CONFIG_SPI=y\nCONFIG_SPI_NOR=y\nCONFIG_MULTITHREADING=y\n"
                                   "CONFIG_BOOT_MAX_IMG_SECTORS=256\n")
    f = only(check(app, "2.5.0", NRF9160, select="DFU312"), "DFU312")
    assert len(f) == 1 and "Cannot upgrade: not a compatible amount of sectors" in f[0]["message"]


def test_312_board_fragment_page_counts(tmp_path):
    # Thingy:91 X: MCUboot's own board fragment sets the 4 KiB page
    node = "/ {\n\tchosen {\n\t\tnordic,pm-ext-flash = &flash_ext;\n\t};\n};\n&flash_ext {\n\tstatus = \"okay\";\n};\n"
    app = make(tmp_path, {"prj.conf": APP + SPI, "sysbuild.conf": SB_EXT, "app.overlay": node,
                          "sysbuild/mcuboot.overlay": node, "sysbuild/mcuboot.conf": "CONFIG_BOOT_MAX_IMG_SECTORS=512\n"})
    assert not check(app, "2.8.0", ("--board", "thingy91x/nrf9151/ns"), select="DFU311,DFU312")


# ------------------------------------------------------------------ DFU313-DFU316

def test_313_size_in_bytes_by_jedec(tmp_path):
    app = spi3_child(tmp_path, nor_node(size="0x800000"))
    f = only(check(app, "2.5.0", select="DFU313"), "DFU313")
    assert {x["path"] for x in f} == {"boards/nrf52840dk_nrf52840.overlay", "child_image/mcuboot.overlay"}
    assert "size = <67108864>" in f[0]["fix"]


def test_313_bits_are_fine(tmp_path):
    assert not check(spi3_child(tmp_path, nor_node()), "2.5.0", select="DFU313")


def test_314_partition_past_the_chip(tmp_path):
    pm = ("mcuboot_secondary:\n  address: 0x0\n  size: 0xf0000\n  region: external_flash\n"
          "external_flash:\n  address: 0xf0000\n  size: 0x710000\n  region: external_flash\n")
    app = spi3_child(tmp_path, nor_node(jedec="ef 40 15", size="16777216"), pm_static_yml=None,
                     **{"pm_static.yml": pm})
    f = only(check(app, "2.5.0", select="DFU314"), "DFU314")
    assert where(f, "DFU314") == {("pm_static.yml", 7)} and "0x200000" in f[0]["message"]


def test_315_jedec_capacity_differs(tmp_path):
    app = spi3_child(tmp_path, nor_node(jedec="ef 40 15"))
    f = only(check(app, "2.5.0", select="DFU315"), "DFU315")
    assert len(f) == 2 and "2 MiB" in f[0]["message"] and "size = <16777216>" in f[0]["fix"]


def test_315_short_jedec_id(tmp_path):
    f = only(check(spi3_child(tmp_path, nor_node(jedec="ef 40")), "2.5.0", select="DFU315"), "DFU315")
    assert f and "2 bytes" in f[0]["message"]


def test_316_slot_off_the_64k_page(tmp_path):
    pm = ("boot_log:\n  address: 0x0\n  size: 0x1000\n  region: external_flash\n"
          "mcuboot_secondary:\n  address: 0x1000\n  size: 0x100000\n  region: external_flash\n")
    q64 = QSPI.replace("=4096", "=65536")
    app = qspi_sysbuild(tmp_path, **{"sysbuild.conf": SB_EXT + "SB_CONFIG_MCUBOOT_MODE_OVERWRITE_ONLY=y\n",
                                     "prj.conf": APP + q64, "sysbuild/mcuboot.conf": q64, "pm_static.yml": pm})
    f = only(check(app, "2.9.0", select="DFU316"), "DFU316")
    assert where(f, "DFU316") == {("pm_static.yml", 6)}


def test_316_4k_pages_leave_it_to_dfu103(tmp_path):
    pm = ("boot_log:\n  address: 0x0\n  size: 0x1000\n  region: external_flash\n"
          "mcuboot_secondary:\n  address: 0x1000\n  size: 0xf4000\n  region: external_flash\n")
    assert not check(qspi_sysbuild(tmp_path, **{"pm_static.yml": pm}), "2.9.0", select="DFU316")


# ------------------------------------------------------------------ DFU317-DFU321

LEGACY = "\tsck-pin = <47>;\n\tmosi-pin = <45>;\n\tmiso-pin = <46>;\n\tcs-gpios = <&gpio1 12 GPIO_ACTIVE_LOW>;\n"


@pytest.mark.parametrize("sdk,severity", [("2.5.0", "error"), ("1.9.1", None)])
def test_317_legacy_pins_per_version(tmp_path, sdk, severity):
    app = spi3_child(tmp_path, nor_node(bus_extra=LEGACY, extra="\t\tlabel = \"W25\";\n"))
    f = only(check(app, sdk, select="DFU317"), "DFU317")
    assert {x["severity"] for x in f} == ({severity} if severity else set())
    if severity:
        assert "pinctrl" in f[0]["fix"]


def test_318_label_deprecated_and_required(tmp_path):
    with_label = spi3_child(tmp_path / "a", nor_node(extra="\t\tlabel = \"W25\";\n"))
    f = only(check(with_label, "2.5.0", select="DFU318"), "DFU318")
    assert f and {x["severity"] for x in f} == {"info"}
    assert not check(with_label, "1.9.1", select="DFU318")
    without = spi3_child(tmp_path / "b", nor_node(bus_extra=LEGACY))
    f = only(check(without, "1.9.1", select="DFU318"), "DFU318")
    assert f and {x["severity"] for x in f} == {"error"} and 'label = "W25"' in f[0]["fix"]


def test_319_reg_beyond_cs_gpios(tmp_path):
    f = only(check(spi3_child(tmp_path, nor_node(reg=1)), "2.5.0", select="DFU319"), "DFU319")
    assert len(f) == 2 and "index 1" in f[0]["fix"]


def test_320_missing_and_too_fast(tmp_path):
    f = only(check(spi3_child(tmp_path / "a", nor_node(freq="")), "2.5.0", select="DFU320"), "DFU320")
    assert f and {x["severity"] for x in f} == {"error"}
    fast = nor_node(freq="\t\tspi-max-frequency = <80000000>;\n")
    f = only(check(spi3_child(tmp_path / "b", fast), "2.5.0", select="DFU320"), "DFU320")
    assert f and {x["severity"] for x in f} == {"info"} and "32 MHz" in f[0]["message"]   # SPIM3 of nRF52840


def test_321_device_name_per_version(tmp_path):
    pm = "mcuboot_secondary:\n  address: 0x0\n  size: 0xf4000\n  device: MX25R64\n  region: external_flash\n"
    app = qspi_sysbuild(tmp_path, **{"pm_static.yml": pm})
    f = only(check(app, "2.9.0", select="DFU321"), "DFU321")
    assert where(f, "DFU321") == {("pm_static.yml", 4)} and "DT_CHOSEN(nordic_pm_ext_flash)" in f[0]["fix"]


def test_321_label_era_matches_label(tmp_path):
    pm = "mcuboot_secondary:\n  address: 0x0\n  size: 0xf4000\n  device: W25\n  region: external_flash\n"
    app = spi3_child(tmp_path, nor_node(bus_extra=LEGACY, extra="\t\tlabel = \"W25\";\n"), **{"pm_static.yml": pm})
    assert not check(app, "1.9.1", select="DFU321")


# ------------------------------------------------------------------ the model behind the rules

def test_secure_board_keeps_the_revision():
    assert _secure_board("nrf9160dk@0.14.0/nrf9160/ns") == "nrf9160dk_nrf9160@0.14.0"
    assert _secure_board("nrf5340dk_nrf5340_cpuapp_ns") == "nrf5340dk_nrf5340_cpuapp"
    assert _secure_board("custom_ns@1.2.0") == "custom@1.2.0"


def test_mcuboot_of_an_ns_target_sees_the_revision_flash(tmp_path):
    t = target(spi91(tmp_path), "2.5.0", "nrf9160dk@0.14.0/nrf9160/ns")
    assert t.ext["mcuboot"] is not None and t.ext["mcuboot"].node is not None
    assert t.ext["mcuboot"].compatible == "jedec,spi-nor"


def test_sysbuild_forces_the_driver_check_override(tmp_path):
    app = qspi_sysbuild(tmp_path, **{"sysbuild.conf": SB_EXT + "SB_CONFIG_PM_OVERRIDE_EXTERNAL_DRIVER_CHECK=y\n"})
    t = target(app, "2.9.0")
    for name in ("app", "mcuboot"):
        v = t.images[name].config.get("PM_OVERRIDE_EXTERNAL_DRIVER_CHECK")
        assert v.value == "y" and v.origin == "forced"


def test_board_chosen_external_flash(tmp_path):
    # NCS's Thingy:53 board devicetree chooses its MX25R64 itself
    app = make(tmp_path, {"prj.conf": "CONFIG_BOOTLOADER_MCUBOOT=y\n" + APP})
    t = target(app, "2.5.0", "thingy53/nrf5340/cpuapp")
    assert t.ext["app"] is not None and t.ext["app"].compatible == "nordic,qspi-nor"
    assert t.ext["mcuboot"] is not None


def test_application_config_dir_layout(tmp_path):
    # configuration/<board>/ holds the board's files (nRF Machine Learning, nRF Desktop style)
    app = make(tmp_path, {"prj.conf": APP, "sysbuild.conf": SB_EXT,
                          "configuration/nrf52840dk_nrf52840/prj.conf": APP + QSPI,
                          "configuration/nrf52840dk_nrf52840/app.overlay": CHOSEN,
                          "sysbuild/mcuboot.overlay": CHOSEN, "sysbuild/mcuboot.conf": QSPI})
    fs = check(app, "2.9.0", select="DFU301")
    assert not [f for f in fs if f["image"] == "app" and f["app"].endswith(tmp_path.name)]


# ------------------------------------------------------------------ robustness

BROKEN = {
    "boards/nrf52840dk_nrf52840.overlay": "/ { chosen { nordic,pm-ext-flash = &nope; }; };\n&spi3 { w: x@zz {\n",
    "sysbuild/mcuboot.overlay": ("/ { chosen { nordic,pm-ext-flash = \"/soc/nothing\"; }; };\n"
                                 "&mx25r64 { size = <0>; jedec-id = \"c2 28 17\"; reg = <>; };\n"),
    "sysbuild/mcuboot.conf": "CONFIG_NORDIC_QSPI_NOR_FLASH_LAYOUT_PAGE_SIZE=0\nCONFIG_MAIN_STACK_SIZE=abc\n",
    "sysbuild.conf": SB_EXT,
    "prj.conf": "CONFIG_SPI_NOR_FLASH_LAYOUT_PAGE_SIZE=-1\n",
    "pm_static.yml": ("mcuboot_secondary:\n  address: 0x0\n  size: 0\n  region: external_flash\n  device: 7\n"
                      "external_flash: [1, 2]\n"),
}


@pytest.mark.parametrize("sdk,board", [("2.9.0", NRF52840), ("1.9.1", NRF52840), ("2.5.0", NRF9160),
                                       ("3.0.0", NRF54L), ("2.9.0", ("--board", "unknown_board"))])
def test_malformed_input_never_raises(tmp_path, sdk, board):
    app = make(tmp_path, BROKEN)
    clear_caches()
    res = CliRunner().invoke(cli, ["check", str(app), "--format", "json", "--sdk-version", sdk, *board,
                                   "--select", "DFU3"])
    assert res.exit_code in (0, 1), res.output
    json.loads(res.output)


def test_every_3xx_rule_has_a_page():
    from dfulint import docs

    for code in (c for c in load_all() if c.startswith("DFU3")):
        text = docs.page(code)
        assert text is not None, code
        for heading in ("What it checks", "What happens on the device", "Example", "Source"):
            assert docs.section(code, heading), (code, heading)
