"""Findings that real apps showed to be false, each pinned by a fixture in the real shape."""
from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from dfulint.cli import cli
from helpers import make_app

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "fixtures" / "rules"


def check(app: Path, *args: str) -> list[dict]:
    res = CliRunner().invoke(cli, ["check", str(app), "--format", "json", "--isolated", *args])
    assert res.exit_code in (0, 1), res.output
    return json.loads(res.output)["findings"]


def of(findings, code):
    return [f for f in findings if f["code"] == code]


# ------------------------------------------------------------------ `CONFIG_X= value`

def test_a_space_after_equals_keeps_a_number_intact():
    """Kconfiglib parses int and hex values with int(), which skips the space: the value is used."""
    app = RULES / "DFU405-conf-space-around-equals" / "space-after-equals"
    f = check(app)
    (hit,) = of(f, "DFU405")
    assert hit["severity"] == "info" and "gets 256 as written" in hit["message"]
    assert not of(f, "DFU202")                   # MCUboot's table holds the 256 sectors


def test_a_space_after_equals_before_a_bool_or_string_is_rejected(tmp_path: Path):
    app = make_app(tmp_path / "a", {"prj.conf": "CONFIG_MAIN_STACK_SIZE= 10240\nCONFIG_BOOTLOADER_MCUBOOT= y\n"
                                                'CONFIG_BT_DEVICE_NAME= "lock"\nCONFIG_BT=y\n'})
    f = {x["line"]: x for x in of(check(app, "--board", "nrf52dk/nrf52832", "--sdk-version", "2.5.0"), "DFU405")}
    assert f[1]["severity"] == "info"
    assert f[2]["severity"] == "error" and "not a valid value for the bool symbol" in f[2]["message"]
    assert f[3]["severity"] == "error" and "malformed string literal" in f[3]["message"]


def test_a_space_before_equals_is_still_an_undefined_symbol(tmp_path: Path):
    app = make_app(tmp_path / "a", {"prj.conf": "CONFIG_MAIN_STACK_SIZE =10240\n"})
    (hit,) = of(check(app, "--board", "nrf52dk/nrf52832", "--sdk-version", "2.5.0"), "DFU405")
    assert hit["severity"] == "error" and "undefined symbol" in hit["message"]


# ------------------------------------------------------------------ MCUboot's own board fragments

def test_mcuboot_s_thingy91_fragment_raises_the_sector_table():
    """sdk-mcuboot boot/zephyr/boards/thingy91_nrf9160.conf sets CONFIG_BOOT_MAX_IMG_SECTORS=256 in
    every release: a 206-sector primary is read, so nothing-boots is false (the tiny secondary is real)."""
    app = RULES / "DFU202-max-img-sectors-too-small" / "thingy91-board-fragment"
    f = check(app, "--board", "thingy91_nrf9160_ns", "--sdk-version", "2.4.0")
    assert not of(f, "DFU202")
    assert [x["severity"] for x in of(f, "DFU201")] == ["error"]
    res = CliRunner().invoke(cli, ["map", str(app), "--board", "thingy91_nrf9160_ns", "--sdk-version", "2.4.0",
                                   "--format", "json"])
    (a,) = json.loads(res.output)["apps"]
    assert a["mcuboot"]["max_img_sectors"] == 256


def test_the_board_fragment_table_has_one_row_per_board_and_version():
    from dfulint import knowledge

    rows: dict = {}
    for frag in knowledge.mcuboot_board_fragments():
        rows.setdefault(frag.board, []).append(frag)
        assert frag.source.startswith("sdk-mcuboot boot/zephyr/boards/") and frag.values
    for board, frags in rows.items():
        frags.sort(key=lambda f: f.since)
        for a, b in zip(frags, frags[1:]):
            assert a.until is not None and a.until <= b.since, board
    for board in ("thingy91_nrf9160", "thingy53_nrf5340_cpuapp", "thingy91x_nrf9151", "nrf54l15dk_nrf54l15_cpuapp",
                  "actinius_icarus_nrf9160", "circuitdojo_feather_nrf9160", "nrf52840dongle_nrf52840"):
        assert board in rows, board
    value = knowledge.mcuboot_board_value
    for ver in ((1, 6, 0), (2, 4, 0), (2, 9, 0), (3, 2, 0)):
        assert value(["thingy91_nrf9160"], "BOOT_MAX_IMG_SECTORS", ver, ver)[0] == 256
    assert value(["nrf54l15dk_nrf54l15_cpuapp"], "BOOT_MAX_IMG_SECTORS", (2, 7, 0), (2, 7, 0))[0] is None
    assert value(["nrf54l15dk_nrf54l15_cpuapp"], "BOOT_MAX_IMG_SECTORS", (2, 8, 0), (2, 8, 0))[0] == 256


# ------------------------------------------------------------------ DFU409 where the drop is by design

def test_dfu409_not_when_mcuboot_sizes_its_sector_table_itself():
    """Upstream MCUboot (no Partition Manager): BOOT_MAX_IMG_SECTORS_AUTO computes the table from the
    slots, so a manual CONFIG_BOOT_MAX_IMG_SECTORS=256 being dropped loses nothing."""
    app = RULES / "DFU409-conf-dependency-unmet" / "zephyr-max-img-sectors-auto"
    assert not of(check(app, "--board", "nrf52840dk/nrf52840"), "DFU409")


def test_dfu409_not_when_a_board_fragment_switches_the_dependency_off():
    app = RULES / "DFU409-conf-dependency-unmet" / "board-fragment-switches-off"
    assert not of(check(app, "--board", "nrf52840dk_nrf52840", "--sdk-version", "2.5.0"), "DFU409")


def test_dfu409_not_when_mcuboots_board_fragment_turns_logging_off():
    """sysbuild/mcuboot/prj.conf sets LOG=y and LOG_MODE_MINIMAL=y for every board; this board's
    sysbuild/mcuboot/boards/ fragment turns LOG off (its UART serves serial recovery). The logging
    mode is a choice member with no `depends on` of its own: the dependency comes from its menu."""
    app = RULES / "DFU409-conf-dependency-unmet" / "sysbuild-mcuboot-board-quiet"
    assert not of(check(app, "--board", "nrf52840dk/nrf52840", "--sdk-version", "2.9.0"), "DFU409")


def test_dfu409_still_reports_a_choice_member_under_a_switch_turned_off_for_every_board(tmp_path: Path):
    app = make_app(tmp_path / "a", {
        "sysbuild.conf": "SB_CONFIG_BOOTLOADER_MCUBOOT=y\n",
        "prj.conf": "CONFIG_FLASH=y\n",
        "sysbuild/mcuboot/prj.conf": "CONFIG_MAIN_STACK_SIZE=10240\nCONFIG_FLASH=y\nCONFIG_LOG=n\n"
                                     "CONFIG_LOG_MODE_MINIMAL=y\n"})
    found = of(check(app, "--board", "nrf52840dk/nrf52840", "--sdk-version", "2.9.0"), "DFU409")
    assert found and "LOG_MODE_MINIMAL" in found[0]["message"]


def test_dfu409_still_reports_a_dependency_nobody_switched_off(tmp_path: Path):
    # the same switch in the app-wide prj.conf is a contradiction, not a board variant
    app = make_app(tmp_path / "a", {"prj.conf": "CONFIG_BOOTLOADER_MCUBOOT=y\nCONFIG_NORDIC_QSPI_NOR=n\n"
                                                "CONFIG_NORDIC_QSPI_NOR_FLASH_LAYOUT_PAGE_SIZE=4096\n"})
    assert of(check(app, "--board", "nrf52840dk_nrf52840", "--sdk-version", "2.5.0"), "DFU409")


# ------------------------------------------------------------------ swap-scratch chunks and 64 KiB pages

def test_scratch_not_a_multiple_of_the_secondary_page_gives_the_exact_bound():
    """A 0x1e000 scratch with 64 KiB secondary pages swaps images up to one page (64 KiB) cleanly
    (measured on MCUboot's swap_scratch.c): the findings and `map` give that bound."""
    app = RULES / "DFU203-scratch-size" / "bad"
    args = ["--board", "nrf52840dk/nrf52840", "--sdk-version", "2.7.0"]
    (f,) = of(check(app, *args), "DFU203")
    assert f["severity"] == "warning" and "at most 0x10000 (64 KiB)" in f["message"]
    res = CliRunner().invoke(cli, ["map", str(app), *args, "--format", "json"])
    (a,) = json.loads(res.output)["apps"]
    assert a["mcuboot"]["upgrade_possible"] is True and a["mcuboot"]["max_image_size"] == 0x10000
    text = CliRunner().invoke(cli, ["map", str(app), *args]).output
    assert "NO upgrade possible" not in text and "largest image accepted: 0x10000 (64 KiB)" in text


# ------------------------------------------------------------------ a custom board's defconfig counts

def test_mcuboot_enabled_in_a_custom_board_defconfig_counts():
    """boards/acme/acme_tracker/acme_tracker_defconfig sets CONFIG_BOOTLOADER_MCUBOOT=y: Zephyr merges
    a board's defconfig before prj.conf, so MCUboot is part of the build and the chain is complete."""
    app = RULES / "DFU504-dfu-chain-incomplete" / "custom-board-defconfig"
    f = check(app, "--board", "acme_tracker")
    assert not of(f, "DFU504")
    (key,) = of(f, "DFU702")
    assert key["path"] == "boards/acme/acme_tracker/acme_tracker_defconfig" and key["line"] == 4


def test_dfu409_not_when_a_board_fragment_turns_logging_off(tmp_path: Path):
    """sdk-nrf samples/bluetooth/mesh/dfu/target shape: sysbuild/mcuboot/prj.conf asks for
    CONFIG_LOG_MODE_MINIMAL=y, and sysbuild/mcuboot/boards/nrf52840dongle_nrf52840.conf sets CONFIG_LOG=n."""
    app = make_app(tmp_path / "target", {
        "prj.conf": "CONFIG_BOOTLOADER_MCUBOOT=y\n",
        "sysbuild.conf": "SB_CONFIG_BOOTLOADER_MCUBOOT=y\n",
        "sysbuild/mcuboot/prj.conf": "CONFIG_MAIN_STACK_SIZE=10240\nCONFIG_LOG=y\nCONFIG_LOG_MODE_MINIMAL=y\n",
        "sysbuild/mcuboot/boards/nrf52840dongle_nrf52840.conf": "# no logging on the dongle\nCONFIG_LOG=n\n"})
    f = check(app, "--board", "nrf52840dongle/nrf52840", "--sdk-version", "3.2.0")
    assert not [x for x in of(f, "DFU409") if "LOG_MODE_MINIMAL" in x["message"]]


# ------------------------------------------------------------------ a custom board's Kconfig.sysbuild

def test_custom_boards_kconfig_sysbuild_gives_sysbuild_its_defaults():
    """A board defined in the repository chooses overwrite-only in its own Kconfig.sysbuild (as
    NCS's Thingy:53 does); sysbuild reads it from the board directory, so MCUboot's
    CONFIG_BOOT_UPGRADE_ONLY=y agrees with sysbuild instead of being overridden."""
    app = RULES / "DFU501-sysbuild-overrides-image-setting" / "custom-board-kconfig-sysbuild"
    found = check(app, "--board", "acme_sensor")
    assert not of(found, "DFU501")
    (mode,) = of(found, "DFU506")
    assert mode["path"] == "boards/acme/acme_sensor/Kconfig.sysbuild"


# ------------------------------------------------------------------ Partition Manager's default per version

def _pm_app(tmp_path: Path, revision: str) -> Path:
    """The NCS 3.4 fixture (MCUboot, slots in the board overlay, no SB_CONFIG_PARTITION_MANAGER),
    copied with its manifest pinned to `revision`."""
    import shutil

    app = tmp_path / "app"
    shutil.copytree(ROOT / "fixtures" / "context" / "ncs34-dts-partitions-without-pm", app)
    west = app / "west.yml"
    west.write_text(west.read_text().replace("v3.4.0", revision))
    return app


def test_partition_manager_is_off_by_default_from_ncs_3_4(tmp_path: Path):
    """sdk-nrf migration_partitions.rst: Partition Manager stays on by default in 3.3 and is off by
    default in the release after it; an overlay's partitions are then the layout, not ignored."""
    from dfulint.model.project import build_targets
    from dfulint.workspace import describe_app

    app = _pm_app(tmp_path, "v3.4.0")
    (t,) = build_targets(describe_app(app, ["nrf52840dk/nrf52840"]))
    assert t.sdk.version == (3, 4, 0)
    assert not t.uses_pm and t.flash.origin == "dts"
    assert t.slots["primary"].size == 0x76000
    assert not of(check(app, "--board", "nrf52840dk/nrf52840"), "DFU109")


def test_partition_manager_is_still_on_by_default_in_ncs_3_3(tmp_path: Path):
    from dfulint.model.project import build_targets
    from dfulint.workspace import describe_app

    app = _pm_app(tmp_path, "v3.3.0")
    (t,) = build_targets(describe_app(app, ["nrf52840dk/nrf52840"]))
    assert t.sdk.version == (3, 3, 0) and t.uses_pm
    (f,) = of(check(app, "--board", "nrf52840dk/nrf52840"), "DFU109")
    assert f["path"].endswith("nrf52840dk_nrf52840.overlay")


def test_partition_manager_asked_for_on_ncs_3_4_is_used(tmp_path: Path):
    from dfulint.model.project import build_targets
    from dfulint.workspace import describe_app

    app = _pm_app(tmp_path, "v3.4.0")
    (app / "sysbuild.conf").write_text("SB_CONFIG_BOOTLOADER_MCUBOOT=y\nSB_CONFIG_PARTITION_MANAGER=y\n")
    (t,) = build_targets(describe_app(app, ["nrf52840dk/nrf52840"]))
    assert t.uses_pm


def test_partition_manager_default_of_ncs_3_4_needs_no_soc(tmp_path: Path):
    """From NCS 3.4 the default is off whatever the SoC: a board dfulint cannot place on a SoC does
    not bring Partition Manager back (on 3.3 the SoC decides, so an unknown one keeps it)."""
    from dfulint.model.kconfig import default_is_conditional
    from dfulint.model.project import build_targets
    from dfulint.workspace import describe_app

    assert default_is_conditional("SB_CONFIG_PARTITION_MANAGER", (3, 3, 0))
    assert not default_is_conditional("SB_CONFIG_PARTITION_MANAGER", (3, 4, 0))
    for revision, pm in (("v3.3.0", True), ("v3.4.0", False)):
        app = _pm_app(tmp_path / revision, revision)
        (t,) = build_targets(describe_app(app, ["acme_widget"]))
        assert t.soc is None and t.uses_pm is pm, revision


# ------------------------------------------------------------------ direct-XIP and RAM-load read no sector table

SECTORS = RULES / "DFU202-max-img-sectors-too-small"
NRF54L15_29 = ("--board", "nrf54l15dk/nrf54l15/cpuapp", "--sdk-version", "2.9.0")


def _mcuboot_map(app: Path, *args: str) -> dict:
    res = CliRunner().invoke(cli, ["map", str(app), *args, "--format", "json"])
    (a,) = json.loads(res.output)["apps"]
    return a["mcuboot"]


def test_swap_mode_reads_the_sector_table_the_replaced_configuration_lost():
    """sysbuild/mcuboot/ replaces MCUboot's configuration: the nRF54L15 DK's own MCUboot board
    fragment (CONFIG_BOOT_MAX_IMG_SECTORS=256, sdk-mcuboot v2.1.0-ncs2..v2.1.0-ncs5) is gone, and the
    172-sector slots of this layout overflow the 128-entry table."""
    f = check(SECTORS / "swap-nrf54l-replaced-config", *NRF54L15_29)
    (hit,) = of(f, "DFU202")
    assert hit["severity"] == "error" and "172" in hit["message"]
    (lost,) = of(f, "DFU604")
    assert "boards/nrf54l15dk_nrf54l15_cpuapp.conf" in lost["message"] and "the slots need 172" in lost["message"]
    # Partition Manager places the slots (the app has no pm_static file): "see also" names no such file
    res = CliRunner().invoke(cli, ["check", str(SECTORS / "swap-nrf54l-replaced-config"), *NRF54L15_29, "--isolated",
                                   "--select", "DFU202", "--output-format", "full"])
    assert "error[DFU202]" in res.output and "see also" not in res.output


def test_a_replaced_configuration_that_keeps_the_sector_table_is_quiet():
    f = check(SECTORS / "nrf54l-replaced-config-keeps-sectors", *NRF54L15_29)
    assert not of(f, "DFU202") and not of(f, "DFU604")


def test_from_ncs_3_1_the_lost_value_is_mcuboots_soc_fragment():
    f = check(SECTORS / "swap-nrf54l-replaced-config", "--board", "nrf54l15dk/nrf54l15/cpuapp", "--sdk-version", "3.2.0")
    (lost,) = of(f, "DFU604")
    assert "socs/nrf54l15_cpuapp.conf" in lost["message"]
    assert of(f, "DFU202")


def test_direct_xip_and_ram_load_read_no_sector_table():
    """MCUboot's direct-XIP and RAM-load loaders never call boot_read_sectors(): the same 172-sector
    slots and 128-entry table as the swap fixture boot fine, and no sector rule speaks."""
    for name in ("direct-xip-sysbuild", "ram-load-sysbuild"):
        app = SECTORS / name
        f = check(app, *NRF54L15_29)
        assert not [x for x in f if x["code"] in ("DFU201", "DFU202", "DFU604")], name
        m = _mcuboot_map(app, *NRF54L15_29)
        assert m["max_img_sectors"] == 128 and m["needed_max_img_sectors"] == 0, (name, m)
        assert m["primary"]["sectors"] == 172 and m["upgrade_possible"] is True and m["boots"] is True, name
    args = ("--board", "nrf52840dk_nrf52840", "--sdk-version", "2.4.0")
    assert not of(check(SECTORS / "direct-xip-child-image", *args), "DFU202")
    (hit,) = of(check(SECTORS / "swap-child-image-trimmed", *args), "DFU202")
    assert hit["path"] == "child_image/mcuboot.conf" and hit["line"] == 3


# ------------------------------------------------------------------ a DK-only default is not a SoC-wide default

def test_a_custom_nrf54l15_board_gets_mcuboots_256_sectors_only_from_ncs_3_1(tmp_path: Path):
    """Before NCS 3.1 only the nRF54L DKs' MCUboot board fragments raise the sector table; from
    ncs-v3.1.0 sdk-mcuboot's socs/nrf54l15_cpuapp.conf does it for every nRF54L15 board."""
    import shutil

    app = SECTORS / "custom-nrf54l15-board"
    (hit,) = of(check(app), "DFU202")
    assert "CONFIG_BOOT_MAX_IMG_SECTORS=128" in hit["message"]
    copy = tmp_path / "app"
    shutil.copytree(app, copy)
    west = copy / "west.yml"
    west.write_text(west.read_text().replace("v2.9.0", "v3.1.0"))
    assert not of(check(copy), "DFU202")


# ------------------------------------------------------------------ Thingy:91: the factory layout's RSA key

def test_thingy91_factory_layout_is_signed_with_rsa(tmp_path: Path):
    """sdk-nrf sysbuild/Kconfig.mcuboot: RSA when the Thingy:91 factory partition layout is in use
    (the default of thingy91/nrf9160/ns, boards/nordic/thingy91/Kconfig.sysbuild); without a predefined
    layout the ECDSA-P256 row applies, as the ns target is not BOARD_THINGY91_NRF9160."""
    app = make_app(tmp_path / "a", {"prj.conf": "CONFIG_BOOTLOADER_MCUBOOT=y\n",
                                    "sysbuild.conf": "SB_CONFIG_BOOTLOADER_MCUBOOT=y\n"})
    args = ("--board", "thingy91/nrf9160/ns", "--sdk-version", "2.8.0", "--profile", "release")
    (key,) = of(check(app, *args), "DFU702")
    assert key["severity"] == "error" and "root-rsa-2048.pem" in key["message"]
    assert "-t rsa-2048" in key["fix"]
    (app / "sysbuild.conf").write_text("SB_CONFIG_BOOTLOADER_MCUBOOT=y\nSB_CONFIG_THINGY91_NO_PREDEFINED_LAYOUT=y\n")
    (key,) = of(check(app, *args), "DFU702")
    assert "root-ec-p256.pem" in key["message"]


# ------------------------------------------------------------------ a replaced MCUboot configuration is not MCUboot's own

def test_thingy53_serial_recovery_is_mcuboots_own_default_only_while_its_configuration_is_used(tmp_path: Path):
    """sdk-mcuboot boards/thingy53_nrf5340_cpuapp.conf turns on USB serial recovery; a project whose
    sysbuild/mcuboot/ folder (or child_image/mcuboot/prj.conf) replaces MCUboot's configuration
    does not get it unless it sets it itself."""
    base = {"prj.conf": "CONFIG_BOOTLOADER_MCUBOOT=y\n", "sysbuild.conf": "SB_CONFIG_BOOTLOADER_MCUBOOT=y\n"}
    args = ("--board", "thingy53/nrf5340/cpuapp", "--sdk-version", "2.8.0")
    own = make_app(tmp_path / "own", base)
    assert of(check(own, *args), "DFU704")
    replaced = make_app(tmp_path / "replaced", dict(base, **{
        "sysbuild/mcuboot/prj.conf": "CONFIG_MAIN_STACK_SIZE=10240\nCONFIG_FLASH=y\n"}))
    assert not of(check(replaced, *args), "DFU704")
    kept = make_app(tmp_path / "kept", dict(base, **{
        "sysbuild/mcuboot/prj.conf": "CONFIG_MAIN_STACK_SIZE=10240\nCONFIG_FLASH=y\n",
        "sysbuild/mcuboot/boards/thingy53_nrf5340_cpuapp.conf": "CONFIG_MCUBOOT_SERIAL=y\nCONFIG_BOOT_SERIAL_CDC_ACM=y\n"}))
    assert of(check(kept, *args), "DFU704")
