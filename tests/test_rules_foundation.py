"""The foundation rules (0xx input errors, 4xx Kconfig hygiene, 6xx build-system layout), the seed
project, the CLI's exit codes and the rule pages."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from dfulint import docs
from dfulint.checks import load_all
from dfulint.cli import cli
from dfulint.core import Severity
from helpers import make_app

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "fixtures" / "seed_bl653_dvk"
BOARD = "nrf52840dk_nrf52840"
PRJ = "CONFIG_BT=y\nCONFIG_BT_PERIPHERAL=y\nCONFIG_BOOTLOADER_MCUBOOT=y\n"


@pytest.fixture(autouse=True)
def no_zephyr_base(monkeypatch):
    monkeypatch.delenv("ZEPHYR_BASE", raising=False)


def make(root: Path, files: dict) -> Path:
    return make_app(root, files, git=True)


def lint(app: Path, *args: str, sdk: str = "2.5.0", board: str = BOARD) -> list[dict]:
    extra = list(args)
    if sdk:
        extra += ["--sdk-version", sdk]
    if board:
        extra += ["--board", board]
    res = CliRunner().invoke(cli, ["check", str(app), "--format", "json", "--isolated", *extra])
    assert res.exit_code in (0, 1), res.output
    return json.loads(res.output)["findings"]


def only(findings: list[dict], code: str) -> list[dict]:
    return [f for f in findings if f["code"] == code]


def where(findings: list[dict], code: str) -> list[tuple[str, int]]:
    return sorted((f["path"], f["line"]) for f in only(findings, code))


def run_py(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dfulint", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=120)


# ------------------------------------------------------------------ 0xx: input errors

def test_dfu001_non_utf8_conf(tmp_path):
    app = make(tmp_path, {"prj.conf": PRJ, f"boards/{BOARD}.conf": b"# r\xe9glages de la carte\nCONFIG_LOG=y\n"})
    (f,) = only(lint(app), "DFU001")
    assert (f["path"], f["line"], f["column"], f["severity"]) == (f"boards/{BOARD}.conf", 1, 4, "error")
    assert "0xe9" in f["message"] and "UTF-8" in f["fix"]


def test_dfu001_binary_and_huge_files(tmp_path):
    app = make(tmp_path, {"prj.conf": PRJ, "pm_static.yml": b"mcuboot:\n  size: 0xc000\n\x00\x01\x02",
                          "child_image/mcuboot.conf": "# " + "x" * (4 * 1024 * 1024 + 10) + "\n"})
    got = {f["path"]: f for f in only(lint(app), "DFU001")}
    assert set(got) == {"pm_static.yml", "child_image/mcuboot.conf"}
    assert got["pm_static.yml"]["line"] == 3 and "NUL" in got["pm_static.yml"]["message"]
    assert "more than dfulint reads" in got["child_image/mcuboot.conf"]["message"]


def test_dfu001_not_on_clean_files(tmp_path):
    app = make(tmp_path, {"prj.conf": PRJ, f"boards/{BOARD}.conf": "# réglages de la carte\nCONFIG_LOG=y\n"})
    assert only(lint(app), "DFU001") == []


def test_dfu002_yaml_syntax_and_structure(tmp_path):
    app = make(tmp_path / "a", {"prj.conf": PRJ, "pm_static.yml": "mcuboot:\n  address: 0x0\n\tsize: 0xc000\n"})
    (f,) = only(lint(app), "DFU002")
    assert (f["path"], f["line"], f["severity"]) == ("pm_static.yml", 3, "error")
    assert "Partition Manager cannot read" in f["message"]
    app = make(tmp_path / "b", {"prj.conf": PRJ, "pm_static.yml": "- mcuboot\n- app\n"})
    (f,) = only(lint(app), "DFU002")
    assert "mapping of partition names" in f["message"]
    app = make(tmp_path / "c", {"prj.conf": PRJ, "pm_static.yml": "mcuboot:\n  address: 0x0\n  size: 0xc000\n"})
    assert only(lint(app), "DFU002") == []


def test_dfu002_deeply_nested_pm_static_is_a_finding(tmp_path):
    app = make(tmp_path, {"prj.conf": PRJ, "pm_static.yml": "mcuboot:\n  span: " + "[" * 30_000 + "]" * 30_000 + "\n"})
    res = run_py("check", str(app), "--format", "json", "--isolated", "--board", BOARD, "--sdk-version", "2.5.0")
    assert res.returncode == 1, res.stderr
    assert "Traceback" not in res.stderr
    (f,) = only(json.loads(res.stdout)["findings"], "DFU002")
    assert f["path"] == "pm_static.yml" and "too deep" in f["message"]


def test_dfu003_dts_syntax(tmp_path):
    app = make(tmp_path / "a", {"prj.conf": PRJ, "app.overlay": "&uart0 {\n\tcurrent-speed = <115200>\n};\n"})
    (f,) = only(lint(app), "DFU003")
    assert (f["path"], f["line"], f["severity"]) == ("app.overlay", 2, "error")
    app = make(tmp_path / "b", {"prj.conf": PRJ, "app.overlay": "&uart0 {\n\tcurrent-speed = <115200>;\n};\n"})
    assert only(lint(app), "DFU003") == []


def test_dfu004_duplicates_at_both_levels(tmp_path):
    pm = ("mcuboot:\n  address: 0x0\n  size: 0xc000\n"
          "mcuboot_secondary:\n  address: 0x86000\n  size: 0x78000\n  size: 0x7a000\n"
          "mcuboot:\n  address: 0x0\n  size: 0xc000\n")
    app = make(tmp_path / "a", {"prj.conf": PRJ, "pm_static.yml": pm})
    got = only(lint(app), "DFU004")
    assert sorted((f["line"], f["anchor"]) for f in got) == [(7, "mcuboot_secondary"), (8, "mcuboot")]
    assert all(f["severity"] == "error" and f["fix"] for f in got)
    app = make(tmp_path / "b", {"prj.conf": PRJ, "pm_static.yml": "mcuboot:\n  address: 0x0\n  size: 0xc000\n"})
    assert only(lint(app), "DFU004") == []


@pytest.mark.parametrize("value, fixed", [("0X7A000", "0x7a000"), ('"0x7a000"', "0x7a000"), ("'500K'", None)])
def test_dfu005_not_an_integer(tmp_path, value, fixed):
    app = make(tmp_path, {"prj.conf": PRJ, "pm_static.yml": f"mcuboot_secondary:\n  address: 0x86000\n  size: {value}\n"})
    (f,) = only(lint(app), "DFU005")
    assert (f["path"], f["line"], f["column"]) == ("pm_static.yml", 3, 9)
    assert "TypeError" in f["message"]
    if fixed:
        assert f"size: {fixed}" in f["fix"]


def test_dfu005_not_on_yaml_integers(tmp_path):
    app = make(tmp_path, {"prj.conf": PRJ, "pm_static.yml": "mcuboot_secondary:\n  address: 0x86000\n  size: 499712\n"})
    assert only(lint(app), "DFU005") == []


def test_dfu006_missing_and_escaping_includes(tmp_path):
    app = make(tmp_path / "repo" / "app", {"prj.conf": PRJ, "app.overlay":
                                           '#include "ext_flash.dtsi"\n#include <zephyr/dt-bindings/gpio/gpio.h>\n/ { };\n'})
    (f,) = only(lint(app), "DFU006")
    assert (f["path"], f["line"], f["severity"]) == ("app.overlay", 1, "error")
    assert "ext_flash.dtsi" in f["message"]
    (app / "ext_flash.dtsi").write_text("/ { };\n")
    assert only(lint(app), "DFU006") == []


# ------------------------------------------------------------------ 4xx: Kconfig hygiene

@pytest.mark.parametrize("line, severity", [
    ("CONFIG_BOOT_MAX_IMG_SECTORS=256 # 1 MiB slots", "error"),              # int: build aborts
    ("CONFIG_PM_PARTITION_SIZE_MCUBOOT=0x10000 # 64 KiB", "error"),          # hex: build aborts
    ("CONFIG_BOOT_BANNER=n # quiet", "info"),                                # bool: works (hygiene)
    ('CONFIG_BOOT_SIGNATURE_KEY_FILE="/keys/p.pem" # product key', "info"),  # after the closing quote
    ("CONFIG_BOOT_SIGNATURE_KEY_FILE=/keys/p.pem # product key", "error"),   # unquoted string
])
def test_dfu401_severity_by_type(tmp_path, line, severity):
    app = make(tmp_path, {"prj.conf": PRJ, "child_image/mcuboot.conf": "# MCUboot\n" + line + "\n"})
    (f,) = only(lint(app), "DFU401")
    assert (f["path"], f["line"], f["severity"]) == ("child_image/mcuboot.conf", 2, severity)
    assert f["column"] == line.index("=") + 2
    comment = line[line.index(" #") + 1:]
    assert comment in f["fix"]


def test_dfu401_message_fix_and_edit(tmp_path):
    from dfulint import engine
    from dfulint.core import Severity as S

    app = make(tmp_path, {"prj.conf": PRJ + "CONFIG_MAIN_STACK_SIZE=4096 # bigger\n"})
    result = engine.run([app], engine.Options(select={"DFU401"}, boards=(BOARD,), sdk_version="2.5.0"))
    (f,) = result.findings
    assert f.severity == S.ERROR
    assert "'4096 # bigger'" in f.message and "Aborting due to Kconfig warnings" in f.message
    (e,) = f.edits
    assert (e.path, e.line, e.end_line) == (app / "prj.conf", 4, 4)
    assert e.expect == "CONFIG_MAIN_STACK_SIZE=4096 # bigger"
    assert e.text == "# bigger\nCONFIG_MAIN_STACK_SIZE=4096"      # the comment moves above


def test_dfu401_not_on_comment_lines_or_hash_in_strings(tmp_path):
    app = make(tmp_path, {"prj.conf": PRJ + '# CONFIG_FOO=1 # old\nCONFIG_BT_DEVICE_NAME="Room #4"\n'
                                            "# CONFIG_NVS is not set\n"})
    assert only(lint(app), "DFU401") == []


def test_dfu401_seed_line():
    got = only(lint(SEED, sdk="", board=""), "DFU401")
    assert [(f["path"], f["line"], f["severity"]) for f in got] == [("child_image/mcuboot/prj.conf", 3, "info")]


def test_dfu402_conflict_names_the_winner(tmp_path):
    from dfulint import engine

    app = make(tmp_path, {"prj.conf": PRJ + "CONFIG_SYSTEM_WORKQUEUE_STACK_SIZE=2048\nCONFIG_SPI=y\n"
                                            "CONFIG_SYSTEM_WORKQUEUE_STACK_SIZE=4096\n"})
    (f,) = only(lint(app), "DFU402")
    assert (f["path"], f["line"], f["severity"]) == ("prj.conf", 4, "info")
    assert "overridden by 4096 at line 6" in f["message"]
    assert "2048" in f["fix"]
    result = engine.run([app], engine.Options(select={"DFU402"}, boards=(BOARD,), sdk_version="2.5.0"))
    (e,) = result.findings[0].edits
    assert (e.line, e.expect, e.text) == (4, "CONFIG_SYSTEM_WORKQUEUE_STACK_SIZE=2048", None)


def test_dfu402_not_across_layers_or_for_equal_values(tmp_path):
    # prj.conf then boards/<board>.conf overriding it is how layering is meant to work
    app = make(tmp_path, {"prj.conf": PRJ + "CONFIG_MAIN_STACK_SIZE=2048\n",
                          f"boards/{BOARD}.conf": "CONFIG_MAIN_STACK_SIZE=4096\n"})
    assert only(lint(app), "DFU402") == []


def test_dfu402_seed_line():
    got = only(lint(SEED, sdk="", board=""), "DFU402")
    assert [(f["path"], f["line"]) for f in got] == [("prj.conf", 33)]
    assert "4096" in got[0]["message"] and "line 35" in got[0]["message"]


def test_dfu403_repeated(tmp_path):
    app = make(tmp_path, {"prj.conf": PRJ + "CONFIG_SPI=y\nCONFIG_BOOTLOADER_MCUBOOT=y\n"})
    (f,) = only(lint(app), "DFU403")
    assert (f["line"], f["severity"]) == (5, "info")
    assert "line 3" in f["message"]
    app2 = make(tmp_path / "b", {"prj.conf": PRJ})
    assert only(lint(app2), "DFU403") == []


def test_dfu404_malformed_lines(tmp_path):
    app = make(tmp_path, {"prj.conf": PRJ + "  CONFIG_SPI=y\nconfig_nvs=y\nFLASH=y\nCONFIG_MCUMGR\n",
                          "sysbuild.conf": "SB_CONFIG_BOOTLOADER_MCUBOOT=y\nCONFIG_BOOT_MAX_IMG_SECTORS=256\n"})
    got = only(lint(app, sdk="2.8.0"), "DFU404")
    assert [(f["path"], f["line"]) for f in got] == [("prj.conf", 4), ("prj.conf", 5), ("prj.conf", 6),
                                                    ("prj.conf", 7), ("sysbuild.conf", 2)]
    assert all(f["severity"] == "error" for f in got)
    fixes = [f["fix"] for f in got]
    assert "`CONFIG_SPI=y`" in fixes[0] and "`CONFIG_NVS=y`" in fixes[1] and "`CONFIG_FLASH=y`" in fixes[2]
    assert "sysbuild/<image>.conf" in fixes[4]


def test_dfu404_not_on_sysbuild_fragments_under_other_names(tmp_path):
    app = make(tmp_path, {"prj.conf": PRJ, "sysbuild.conf": "SB_CONFIG_BOOTLOADER_MCUBOOT=y\n",
                          "kmu.sysbuild.conf": "# signing keys in KMU\nSB_CONFIG_MCUBOOT_SIGNATURE_USING_KMU=y\n",
                          ".checkpatch.conf": "--strict\n--ignore BRACES\n"})
    assert only(lint(app, sdk="2.9.0"), "DFU404") == []


def test_dfu404_byte_order_mark(tmp_path):
    app = make(tmp_path, {"prj.conf": b"\xef\xbb\xbfCONFIG_BOOTLOADER_MCUBOOT=y\nCONFIG_BT=y\n"})
    (f,) = only(lint(app), "DFU404")
    assert f["line"] == 1 and "byte-order mark" in f["message"]


def test_dfu405_spaces_around_equals(tmp_path):
    from dfulint import engine

    app = make(tmp_path, {"prj.conf": PRJ, "child_image/mcuboot.conf": "CONFIG_BOOT_MAX_IMG_SECTORS = 256\n"})
    (f,) = only(lint(app), "DFU405")
    assert (f["path"], f["line"], f["column"], f["severity"]) == ("child_image/mcuboot.conf", 1, 1, "error")
    assert "'BOOT_MAX_IMG_SECTORS '" in f["message"]
    assert "`CONFIG_BOOT_MAX_IMG_SECTORS=256`" in f["fix"]
    result = engine.run([app], engine.Options(select={"DFU405"}, boards=(BOARD,), sdk_version="2.5.0"))
    (e,) = result.findings[0].edits
    assert (e.expect, e.text) == ("CONFIG_BOOT_MAX_IMG_SECTORS = 256", "CONFIG_BOOT_MAX_IMG_SECTORS=256")
    ok = make(tmp_path / "b", {"prj.conf": PRJ, "child_image/mcuboot.conf": "CONFIG_BOOT_MAX_IMG_SECTORS=256\n"})
    assert only(lint(ok), "DFU405") == []


@pytest.mark.parametrize("sdk, dest", [("2.5.0", "child_image/mcuboot.conf"), ("2.8.0", "sysbuild/mcuboot.conf")])
def test_dfu406_mcuboot_symbol_in_the_app(tmp_path, sdk, dest):
    files = {"prj.conf": PRJ + "CONFIG_PM_PARTITION_SIZE_MCUBOOT=0x10000\n"}
    if sdk >= "2.7":
        files["sysbuild.conf"] = "SB_CONFIG_BOOTLOADER_MCUBOOT=y\n"
    (f,) = only(lint(make(tmp_path, files), sdk=sdk), "DFU406")
    assert (f["path"], f["line"], f["severity"], f["image"]) == ("prj.conf", 4, "error", "app")
    assert "only in the mcuboot image" in f["message"]
    assert dest in f["fix"] and "CONFIG_PM_PARTITION_SIZE_MCUBOOT=0x10000" in f["fix"]


def test_dfu406_not_where_the_symbol_belongs(tmp_path):
    app = make(tmp_path, {"prj.conf": PRJ, "child_image/mcuboot.conf": "CONFIG_PM_PARTITION_SIZE_MCUBOOT=0x10000\n"})
    assert only(lint(app), "DFU406") == []


@pytest.mark.parametrize("line, severity, text", [
    ("CONFIG_BOOT_MAX_IMG_SECTORS=0x100", "error", "invalid for a symbol of type int"),
    ("CONFIG_BOOT_MAX_IMG_SECTORS=", "error", "invalid"),
    ("CONFIG_BOOT_SIGNATURE_KEY_FILE=/keys/p.pem", "error", "malformed string"),
    ("CONFIG_BOOT_VALIDATE_SLOT0=yes", "warning", "read as 'y'"),
    ("CONFIG_MY_APP_OPTION=", "error", "empty"),                       # outside the catalogue
    ('CONFIG_MY_APP_NAME="unterminated', "error", "no closing quote"),   # outside the catalogue
])
def test_dfu407_invalid_values(tmp_path, line, severity, text):
    app = make(tmp_path, {"prj.conf": PRJ, "child_image/mcuboot.conf": line + "\n"})
    (f,) = only(lint(app), "DFU407")
    assert (f["path"], f["line"], f["severity"]) == ("child_image/mcuboot.conf", 1, severity)
    assert text in f["message"]


def test_dfu407_not_on_valid_values(tmp_path):
    app = make(tmp_path, {"prj.conf": PRJ + 'CONFIG_MY_APP_NAME="ok"\nCONFIG_MY_APP_LEVEL=3\n',
                          "child_image/mcuboot.conf": "CONFIG_BOOT_MAX_IMG_SECTORS=256\nCONFIG_BOOT_BANNER=n\n"
                                                      'CONFIG_BOOT_SIGNATURE_KEY_FILE="/keys/p.pem"\n'})
    assert only(lint(app), "DFU407") == []


def test_dfu408_renamed_per_sdk_version(tmp_path):
    app = make(tmp_path, {"prj.conf": PRJ + "CONFIG_MCUMGR=y\nCONFIG_MCUMGR_SMP_BT=y\n"})
    (f,) = only(lint(app, sdk="2.5.0"), "DFU408")
    assert (f["line"], f["severity"]) == (5, "error")
    assert "CONFIG_MCUMGR_TRANSPORT_BT" in f["message"] and "`CONFIG_MCUMGR_TRANSPORT_BT=y`" in f["fix"]
    assert only(lint(app, sdk="2.3.0"), "DFU408") == []          # the old name is right on NCS 2.3


def test_dfu408_new_name_on_an_old_sdk(tmp_path):
    app = make(tmp_path, {"prj.conf": PRJ + "CONFIG_MCUMGR=y\nCONFIG_MCUMGR_TRANSPORT_BT=y\n"})
    (f,) = only(lint(app, sdk="2.2.0"), "DFU408")
    assert f["severity"] == "warning" and "does not exist yet" in f["message"]


def test_dfu409_dependency_unmet(tmp_path):
    files = {"prj.conf": PRJ + "CONFIG_NORDIC_QSPI_NOR=y\nCONFIG_PM_EXTERNAL_FLASH_MCUBOOT_SECONDARY=y\n"}
    (f,) = only(lint(make(tmp_path / "a", files)), "DFU409")
    assert (f["path"], f["line"], f["severity"], f["image"]) == ("prj.conf", 5, "warning", "app")
    assert "nordic,pm-ext-flash" in f["message"]
    files["app.overlay"] = "/ {\n\tchosen {\n\t\tnordic,pm-ext-flash = &mx25r64;\n\t};\n};\n"
    assert only(lint(make(tmp_path / "b", files)), "DFU409") == []


def test_dfu410_unset_on_int_and_string(tmp_path):
    app = make(tmp_path, {"prj.conf": PRJ, "child_image/mcuboot.conf":
                          "# CONFIG_BOOT_MAX_IMG_SECTORS is not set\n# CONFIG_BOOT_SIGNATURE_KEY_FILE is not set\n"
                          "# CONFIG_BOOT_BANNER is not set\n"})
    got = only(lint(app), "DFU410")
    assert [(f["line"], f["severity"]) for f in got] == [(1, "warning"), (2, "warning")]
    assert "default stays in effect" in got[0]["message"]


# ------------------------------------------------------------------ 6xx: build-system layout

def sysbuild_app(tmp_path, extra: dict) -> Path:
    return make(tmp_path, {"prj.conf": PRJ, "sysbuild.conf": "SB_CONFIG_BOOTLOADER_MCUBOOT=y\n", **extra})


def test_dfu601_each_setting_and_where_it_must_move(tmp_path):
    app = sysbuild_app(tmp_path, {
        "child_image/mcuboot.conf": "CONFIG_BOOT_MAX_IMG_SECTORS=256\n",
        "child_image/mcuboot/prj.conf": "CONFIG_MAIN_STACK_SIZE=10240\n",
        "child_image/mcuboot.overlay": "/ { };\n",
    })
    got = {(f["path"], f["line"]): f for f in only(lint(app, sdk="2.7.0"), "DFU601")}
    assert set(got) == {("child_image/mcuboot.conf", 1), ("child_image/mcuboot/prj.conf", 1),
                        ("child_image/mcuboot.overlay", 1)}
    assert "sysbuild/mcuboot.conf" in got[("child_image/mcuboot.conf", 1)]["fix"]
    assert got[("child_image/mcuboot.conf", 1)]["severity"] == "error"
    assert "sysbuild/mcuboot/prj.conf" in got[("child_image/mcuboot/prj.conf", 1)]["fix"]
    assert "sysbuild/mcuboot.overlay" in got[("child_image/mcuboot.overlay", 1)]["fix"]
    assert got[("child_image/mcuboot.overlay", 1)]["severity"] == "warning"


def test_dfu601_external_flash_switch_moves_to_sysbuild_conf(tmp_path):
    app = sysbuild_app(tmp_path, {"child_image/mcuboot.conf": "CONFIG_PM_EXTERNAL_FLASH_MCUBOOT_SECONDARY=y\n"})
    (f,) = only(lint(app, sdk="2.8.0"), "DFU601")
    assert "SB_CONFIG_PM_EXTERNAL_FLASH_MCUBOOT_SECONDARY=y" in f["fix"] and "sysbuild.conf" in f["fix"]


def test_dfu601_not_when_carried_over_or_in_child_image_builds(tmp_path):
    moved = sysbuild_app(tmp_path / "a", {"child_image/mcuboot.conf": "CONFIG_BOOT_MAX_IMG_SECTORS=256\n",
                                          "sysbuild/mcuboot.conf": "CONFIG_BOOT_MAX_IMG_SECTORS=256\n"})
    assert only(lint(moved, sdk="2.7.0"), "DFU601") == []
    child = make(tmp_path / "b", {"prj.conf": PRJ, "child_image/mcuboot.conf": "CONFIG_BOOT_MAX_IMG_SECTORS=256\n"})
    assert only(lint(child, sdk="2.6.0"), "DFU601") == []


@pytest.mark.parametrize("line, sb", [
    ('CONFIG_BOOT_SIGNATURE_KEY_FILE="/keys/priv.pem"', 'SB_CONFIG_BOOT_SIGNATURE_KEY_FILE="/keys/priv.pem"'),
    ("CONFIG_BOOT_UPGRADE_ONLY=y", "SB_CONFIG_MCUBOOT_MODE_OVERWRITE_ONLY=y"),
    ("CONFIG_BOOT_SIGNATURE_TYPE_ED25519=y", "SB_CONFIG_BOOT_SIGNATURE_TYPE_ED25519=y"),
    ("CONFIG_BOOT_ENCRYPT_IMAGE=y", "SB_CONFIG_BOOT_ENCRYPTION=y"),
])
def test_dfu601_settings_sysbuild_forces_move_to_sysbuild_conf(tmp_path, line, sb):
    app = sysbuild_app(tmp_path / "a", {"child_image/mcuboot.conf": line + "\n"})
    (f,) = only(lint(app, sdk="2.8.0"), "DFU601")
    assert f"set {sb} in sysbuild.conf" in f["fix"]
    carried = make(tmp_path / "b", {"prj.conf": PRJ, "sysbuild.conf": f"SB_CONFIG_BOOTLOADER_MCUBOOT=y\n{sb}\n",
                                    "child_image/mcuboot.conf": line + "\n"})
    assert only(lint(carried, sdk="2.8.0"), "DFU601") == []


def test_dfu601_fix_moves_each_setting(tmp_path):
    app = sysbuild_app(tmp_path, {"child_image/mcuboot.conf": "# MCUboot\nCONFIG_BOOT_MAX_IMG_SECTORS=256\n"
                                                              "CONFIG_BOOT_UPGRADE_ONLY=y\nCONFIG_LOG=y\n",
                                  "sysbuild/mcuboot.conf": "CONFIG_LOG=y\n"})
    res = CliRunner().invoke(cli, ["check", str(app), "--isolated", "--sdk-version", "2.8.0", "--board", BOARD,
                                   "--select", "DFU601", "--fix"])
    assert res.exit_code == 0, res.output
    assert (app / "child_image/mcuboot.conf").read_text() == "# MCUboot\nCONFIG_LOG=y\n"   # carried already
    assert (app / "sysbuild/mcuboot.conf").read_text() == "CONFIG_LOG=y\nCONFIG_BOOT_MAX_IMG_SECTORS=256\n"
    assert (app / "sysbuild.conf").read_text().endswith("SB_CONFIG_MCUBOOT_MODE_OVERWRITE_ONLY=y\n")
    assert only(lint(app, sdk="2.8.0"), "DFU601") == []


def test_dfu601_has_no_edits_when_the_version_is_a_guess(tmp_path):
    from dfulint import engine

    app = make(tmp_path, {"prj.conf": PRJ, "Kconfig.sysbuild": "", "child_image/mcuboot.conf":
                          "CONFIG_BOOT_MAX_IMG_SECTORS=256\n"})
    result = engine.run([app], engine.Options(select={"DFU601"}, boards=(BOARD,)))
    (f,) = result.findings
    assert f.edits == []


def test_dfu601_compares_per_image(tmp_path):
    app = sysbuild_app(tmp_path, {"child_image/hci_ipc.conf": "CONFIG_BT_MAX_CONN=4\n",
                                  "sysbuild/mcuboot.conf": "CONFIG_BT_MAX_CONN=4\n"})
    (f,) = only(lint(app, sdk="2.7.0", board="nrf5340dk/nrf5340/cpuapp"), "DFU601")
    assert f["image"] == "hci_ipc" and "sysbuild/hci_ipc.conf" in f["fix"]


def test_dfu601_is_a_conditional_warning_when_the_version_is_a_guess(tmp_path):
    # NCS 2.4-2.6 samples carried child_image/ and sysbuild files side by side
    app = make(tmp_path, {"prj.conf": PRJ, "Kconfig.sysbuild": 'source "${ZEPHYR_BASE}/share/sysbuild/Kconfig"\n',
                          "child_image/mcuboot.conf": "CONFIG_BOOT_MAX_IMG_SECTORS=256\n"})
    (f,) = only(lint(app, sdk=""), "DFU601")
    assert f["severity"] == "warning"
    assert f["message"].startswith("if this project is built with sysbuild")
    (f,) = only(lint(app, sdk="2.7.0"), "DFU601")
    assert f["severity"] == "error" and not f["message"].startswith("if ")


def test_dfu602_board_overlay_shadows_dfu_settings(tmp_path):
    chosen = "/ {\n\tchosen {\n\t\tnordic,pm-ext-flash = &mx25r64;\n\t};\n};\n"
    app = make(tmp_path / "a", {"prj.conf": PRJ, "app.overlay": chosen,
                                f"boards/{BOARD}.overlay": "&uart0 {\n\tcurrent-speed = <1000000>;\n};\n"})
    (f,) = only(lint(app), "DFU602")
    assert (f["path"], f["line"], f["severity"]) == ("app.overlay", 1, "warning")
    assert "nordic,pm-ext-flash" in f["message"] and f"boards/{BOARD}.overlay" in f["fix"]
    # another board has no board overlay, so app.overlay applies there
    assert only(lint(app, board="nrf52833dk_nrf52833"), "DFU602") == []
    copied = make(tmp_path / "b", {"prj.conf": PRJ, "app.overlay": chosen, f"boards/{BOARD}.overlay": chosen})
    assert only(lint(copied), "DFU602") == []


def test_dfu603_pm_static_shadowed_by_the_board_file(tmp_path):
    pm = "mcuboot:\n  address: 0x0\n  size: 0xc000\n"
    app = make(tmp_path / "a", {"prj.conf": PRJ, "pm_static.yml": pm, f"pm_static_{BOARD}.yml": pm})
    (f,) = only(lint(app), "DFU603")
    assert (f["path"], f["line"], f["severity"]) == ("pm_static.yml", 1, "info")
    assert f"pm_static_{BOARD}.yml" in f["message"]
    # for another board, pm_static.yml is the file used
    assert only(lint(app, board="nrf52833dk_nrf52833"), "DFU603") == []


def test_dfu604_replacing_mcuboots_configuration(tmp_path):
    # replacing loses nothing this build needs (the nRF52840 DK's MCUboot board file sets nothing the
    # slots need): not reported
    app = make(tmp_path / "a", {"prj.conf": PRJ, "child_image/mcuboot/prj.conf": "CONFIG_BOOT_MAX_IMG_SECTORS=256\n"})
    assert only(lint(app), "DFU604") == []
    appended = make(tmp_path / "b", {"prj.conf": PRJ, "child_image/mcuboot.conf": "CONFIG_BOOT_MAX_IMG_SECTORS=256\n"})
    assert only(lint(appended), "DFU604") == []


def test_dfu604_sysbuild_config_dir_without_prj_conf_is_an_error(tmp_path):
    app = sysbuild_app(tmp_path, {f"sysbuild/mcuboot/boards/{BOARD}.conf": "CONFIG_BOOT_MAX_IMG_SECTORS=256\n"})
    (f,) = only(lint(app, sdk="2.8.0"), "DFU604")
    assert f["severity"] == "error" and "prj.conf is required" in f["message"]


def test_dfu604_warns_when_the_board_file_s_sector_count_is_lost():
    """Thingy:91: MCUboot's boards/thingy91_nrf9160.conf sets BOOT_MAX_IMG_SECTORS=256; a replacing
    child_image/mcuboot/prj.conf drops it while the slots need 206 sectors."""
    app = ROOT / "fixtures" / "rules" / "DFU604-image-config-replaces-defaults" / "bad"
    (f,) = only(lint(app, sdk="2.4.0", board="thingy91_nrf9160_ns"), "DFU604")
    assert f["severity"] == "warning" and "CONFIG_BOOT_MAX_IMG_SECTORS=256" in f["message"]
    assert "thingy91_nrf9160.conf" in f["message"] and "the slots need 206" in f["message"]


# ------------------------------------------------------------------ the seed project

def test_seed_is_read_without_input_errors():
    findings = lint(SEED, sdk="", board="")
    assert [f for f in findings if f["code"].startswith("DFU0")] == []
    assert ("prj.conf", 33) in where(findings, "DFU402")
    assert ("child_image/mcuboot/prj.conf", 3) in where(findings, "DFU401")
    assert {tuple(f["board"]) for f in findings} == {("bl653_dvk",)}


def test_seed_detection_is_shown():
    res = CliRunner().invoke(cli, ["check", str(SEED), "--format", "json", "--isolated"])
    (app,) = json.loads(res.output)["summary"]["apps"]
    assert app["sdk_version"] == "1.9.99" and "west.yml" in app["sdk_source"]
    assert app["build_system"] == "child_image" and app["framework"] == "ncs"
    assert app["boards"] == ["bl653_dvk"]


def test_every_file_of_the_seed_is_parsed():
    from dfulint.model.project import build_targets
    from dfulint.workspace import describe_app

    app = describe_app(SEED)
    (t,) = build_targets(app)
    parsed = {app.rel(x.path) for x in t.files.fragments + t.files.dts + t.files.pm}
    assert parsed == {"prj.conf", "child_image/mcuboot/prj.conf", "app.overlay", "child_image/mcuboot.overlay",
                      "pm_static.yml"}
    assert all(not x.problems for x in t.files.fragments + t.files.pm)
    assert t.pm_static.partitions["mcuboot_secondary"].int("size") == 0x39000
    assert t.images["mcuboot"].config.int("BOOT_MAX_IMG_SECTORS") == 128
    assert t.images["app"].config.int("SYSTEM_WORKQUEUE_STACK_SIZE") == 4096


# ------------------------------------------------------------------ the CLI

def test_exit_codes_clean_findings_and_usage(tmp_path):
    clean = make(tmp_path / "clean", {"prj.conf": "CONFIG_BT=y\n"})
    res = run_py("check", str(clean), "--isolated", "--board", BOARD, "--select", "DFU4")
    assert res.returncode == 0, res.stdout + res.stderr
    res = run_py("check", str(SEED), "--isolated", "--select", "DFU201")
    assert res.returncode == 1
    assert "DFU201" in res.stdout
    # only errors fail by default: hygiene (info) is reported, and the exit code stays 0
    res = run_py("check", str(SEED), "--isolated", "--select", "DFU402")
    assert res.returncode == 0 and "DFU402" in res.stdout
    for args in (["check", str(SEED), "--select", "DFU999"], ["check", str(SEED), "--ignore", "no-such-rule"],
                 ["check", str(tmp_path / "missing")], ["check", str(SEED), "--format", "yaml"],
                 ["check", "--no-such-option"], ["rule", "DFU999"], ["frobnicate"]):
        res = run_py(*args)
        assert res.returncode == 2, (args, res.stdout, res.stderr)
        assert "Traceback" not in res.stderr + res.stdout


def test_fail_on_level(tmp_path):
    # the seed's DFU403 is info, DFU107 a warning, DFU201 an error
    assert run_py("check", str(SEED), "--isolated", "--select", "DFU403", "--fail-on", "warning").returncode == 0
    assert run_py("check", str(SEED), "--isolated", "--select", "DFU403", "--fail-on", "info").returncode == 1
    assert run_py("check", str(SEED), "--isolated", "--select", "DFU107", "--fail-on", "warning").returncode == 1
    assert run_py("check", str(SEED), "--isolated", "--select", "DFU107").returncode == 0
    assert run_py("check", str(SEED), "--isolated", "--select", "DFU201").returncode == 1


def test_no_traceback_on_hostile_apps(tmp_path):
    make(tmp_path / "a", {"prj.conf": b"\xff\xfe\x00CONFIG", "pm_static.yml": "- " * 60_000 + "x\n",
                          "app.overlay": "/ { chosen { nordic,pm-ext-flash = &nowhere; ", "west.yml": "manifest: [",
                          "sample.yaml": "tests: {a: {platform_allow: [" * 200, "sysbuild.conf": "\x00"})
    make(tmp_path / "b", {"prj.conf": "CONFIG_BOOTLOADER_MCUBOOT=y\n", "child_image/mcuboot/prj.conf": b"\xef\xbb\xbf",
                          "pm_static.yml": "mcuboot: &a [*a]\n", "boards/nrf52840dk_nrf52840.overlay": "#include \"../../../../etc/passwd\"\n"})
    res = run_py("check", str(tmp_path), "--isolated")
    assert res.returncode == 1, res.stderr
    assert "Traceback" not in res.stderr and "internal error" not in res.stderr
    res = run_py("check", str(tmp_path), "--isolated", "--format", "json")
    data = json.loads(res.stdout)
    assert {a["app"] for a in data["summary"]["apps"]} == {str((tmp_path / "a").resolve()),
                                                          str((tmp_path / "b").resolve())}


def test_rules_lists_every_registered_rule():
    res = CliRunner().invoke(cli, ["rules"])
    assert res.exit_code == 0
    for code, r in load_all().items():
        assert re.search(rf"^\s+{code}\s+{re.escape(r.name)}\s", res.output, re.M), code
    res = CliRunner().invoke(cli, ["rules", "--format", "json"])
    assert {r["code"] for r in json.loads(res.output)} == set(load_all())


@pytest.mark.parametrize("key", ["DFU401", "dfu401", "conf-inline-comment"])
def test_rule_prints_the_page(key):
    res = CliRunner().invoke(cli, ["rule", key])
    assert res.exit_code == 0
    assert res.output.startswith("# DFU401 conf-inline-comment")
    assert "## What happens on the device" in res.output


REQUIRED_SECTIONS = ("What it checks", "What happens on the device", "Example", "Source")


@pytest.mark.parametrize("code", sorted(load_all()))
def test_every_rule_has_a_page(code):
    r = load_all()[code]
    path = docs.page_path(code)
    assert path is not None, f"no page for {code}"
    assert path.name == f"{code}-{r.name}.md"
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[0] == f"# {code} {r.name}"
    for heading in REQUIRED_SECTIONS:
        assert docs.section(code, heading), f"{path.name}: section '{heading}' missing or empty"
    # the first line after the title names the default severity
    assert r.severity.label in text.split("## What it checks")[0]


@pytest.mark.parametrize("code", ["DFU401", "DFU402", "DFU403", "DFU405", "DFU601"])
def test_fixable_foundation_rules_carry_exact_edits(code):
    from dfulint import engine
    from dfulint.sources import read_text

    rule = load_all()[code]
    assert rule.fixable
    (bad,) = (ROOT / "fixtures" / "rules").glob(f"{code}-*/bad")
    result = engine.run([bad], engine.Options(select={code}))
    assert result.findings
    for f in result.findings:
        assert f.edits, f.message
        for e in f.edits:
            if e.line:          # the lines an edit replaces are the file's lines, verbatim
                lines = read_text(e.path).lines
                assert "\n".join(lines[e.line - 1:e.end_line]) == e.expect


def test_foundation_rule_severities():
    rules = load_all()
    for code in ("DFU001", "DFU002", "DFU003", "DFU004", "DFU005", "DFU401", "DFU404", "DFU405", "DFU406",
                 "DFU407", "DFU408", "DFU601"):
        assert rules[code].severity == Severity.ERROR, code
    for code in ("DFU401", "DFU402", "DFU403", "DFU405", "DFU601"):
        assert rules[code].fixable, code
