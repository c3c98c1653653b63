"""The context stage: boards per naming era, SDK with evidence, and the exact files each image reads."""
from __future__ import annotations

from pathlib import Path

import pytest

from dfulint.context import naming
from dfulint.model.project import build_targets
from dfulint.workspace import describe_app
from helpers import CMAKE, write_tree

ROOT = Path(__file__).resolve().parent.parent
FIX = ROOT / "fixtures" / "context"


@pytest.fixture(autouse=True)
def no_zephyr_base(monkeypatch):
    monkeypatch.delenv("ZEPHYR_BASE", raising=False)


def ncs_west(rev: str) -> str:
    return ("manifest:\n  remotes:\n    - name: ncs\n      url-base: https://github.com/nrfconnect\n"
            f"  projects:\n    - name: nrf\n      repo-path: sdk-nrf\n      remote: ncs\n      revision: {rev}\n"
            "      import: true\n  self:\n    path: app\n")


def zephyr_west(rev: str) -> str:
    return ("manifest:\n  projects:\n    - name: zephyr\n      url: https://github.com/zephyrproject-rtos/zephyr\n"
            f"      revision: {rev}\n      import: true\n")


def files_read(t) -> dict:
    """image -> [(kind, path relative to the app)] in build order, and the pm_static file."""
    out = {}
    for name, img in t.images.items():
        out[name] = [("conf", t.app.rel(x.path)) for x in img.conf_layers] + \
                    [("dts", t.app.rel(x.path)) for x in img.dts_layers]
    out["pm_static"] = t.app.rel(t.pm_static.path) if t.pm_static is not None else None
    return out


# ------------------------------------------------------------------ naming per era

def test_era_of_versions():
    assert naming.era_of("ncs", (1, 9, 0), (1, 9, 0)) == naming.HWMV1
    assert naming.era_of("ncs", (2, 6, 0), (2, 6, 99)) == naming.HWMV1
    assert naming.era_of("ncs", (2, 7, 0), (2, 7, 0)) == naming.HWMV2
    assert naming.era_of("ncs", (1, 4, 0), (2, 9, 99)) == naming.EITHER
    assert naming.era_of("zephyr", (3, 6, 0), (3, 6, 0)) == naming.HWMV1
    assert naming.era_of("zephyr", (3, 7, 0), (3, 7, 0)) == naming.HWMV2


@pytest.mark.parametrize("board, era, stems", [
    # before hardware model v2 a single-SoC board is one name without its SoC
    ("bl653_dvk", naming.HWMV1, ["bl653_dvk"]),
    ("bl653_dvk_nrf52833", naming.HWMV1, ["bl653_dvk"]),
    ("bl653_dvk/nrf52833", naming.HWMV1, ["bl653_dvk"]),
    # HWMv2: the full target, and the shortened form for a board with one SoC
    ("bl653_dvk", naming.HWMV2, ["bl653_dvk_nrf52833", "bl653_dvk"]),
    ("nrf52840dk/nrf52840", naming.HWMV2, ["nrf52840dk_nrf52840"]),
    ("nrf52840dk_nrf52840", naming.HWMV1, ["nrf52840dk_nrf52840"]),
    ("xiao_ble/nrf52840/sense", naming.HWMV1, ["xiao_ble_sense"]),
    ("xiao_ble/nrf52840/sense", naming.HWMV2, ["xiao_ble_nrf52840_sense", "xiao_ble_sense"]),
    # the nRF5340 DK's non-secure target was "...cpuappns" before hardware model v2
    ("nrf5340dk/nrf5340/cpuapp/ns", naming.HWMV1, ["nrf5340dk_nrf5340_cpuappns"]),
    ("nrf5340dk_nrf5340_cpuappns", naming.HWMV2, ["nrf5340dk_nrf5340_cpuapp_ns", "nrf5340dk_cpuapp_ns"]),
    ("bl5340_dvk/nrf5340/cpuapp", naming.HWMV1, ["bl5340_dvk_cpuapp"]),
    # revisions: the revision file first (most specific), dots as underscores
    ("nrf9160dk@0.14.0/nrf9160/ns", naming.HWMV1, ["nrf9160dk_nrf9160_ns_0_14_0", "nrf9160dk_nrf9160_ns"]),
    ("nrf9160dk@0.14.0/nrf9160/ns", naming.HWMV2, ["nrf9160dk_nrf9160_ns_0_14_0", "nrf9160dk_nrf9160_ns"]),
])
def test_board_stems_per_era(board, era, stems):
    assert naming.board_stems(board, era) == stems


def test_build_names_per_era():
    assert naming.display_name("bl653_dvk_nrf52833", naming.HWMV1) == "bl653_dvk"
    assert naming.display_name("bl653_dvk", naming.HWMV2) == "bl653_dvk/nrf52833"
    assert naming.display_name("nrf5340dk_nrf5340_cpuapp_ns", naming.HWMV1) == "nrf5340dk_nrf5340_cpuappns"


# ------------------------------------------------------------------ the seed laid out for NCS 1.9

def test_hwmv1_board_overlay_is_applied():
    app = describe_app(FIX / "ncs19-hwmv1-board-overlay")
    assert app.boards == ["bl653_dvk"]
    (b,) = app.context.boards
    assert b.build_name == "bl653_dvk" and b.confidence == "strong" and b.stems == ("bl653_dvk",)
    assert app.context.era == naming.HWMV1
    assert app.sdk.version == (1, 9, 99) and app.context.sdk_confidence == "strong"
    assert app.context.sdk_evidence[0].render(app.root) == "west.yml:9"
    (t,) = build_targets(app)
    assert files_read(t) == {
        "app": [("conf", "prj.conf"), ("dts", "boards/bl653_dvk.overlay")],
        "mcuboot": [("conf", "child_image/mcuboot/prj.conf"), ("dts", "child_image/mcuboot.overlay")],
        "pm_static": "pm_static.yml",
    }
    assert t.images["app"].dt.chosen("nordic,pm-ext-flash") is not None
    assert "board bl653_dvk (boards/bl653_dvk.overlay)" in app.context.summary("bl653_dvk")
    assert "NCS 1.9.99 (west.yml:9: sdk-nrf v1.9.99-dev1)" in app.context.summary("bl653_dvk")


# ------------------------------------------------------------------ the SDK

def test_manifest_in_a_subfolder_of_the_repository_is_upstream_zephyr(tmp_path):
    repo = write_tree(tmp_path / "repo", {"west-manifest/west.yml": zephyr_west("v4.1.0")})
    app_root = write_tree(repo / "app", {"CMakeLists.txt": CMAKE, "prj.conf": "CONFIG_BOOTLOADER_MCUBOOT=y\n",
                                         "boards/nrf52840dk_nrf52840.overlay": "/ { };\n"}, git=False)
    app = describe_app(app_root)
    assert app.framework == "zephyr" and app.sdk.version == (4, 1, 0) and app.sdk.exact
    assert app.context.sdk_evidence[0].path == repo / "west-manifest" / "west.yml"


def test_old_symbol_names_never_date_the_sdk(tmp_path):
    root = write_tree(tmp_path, {"CMakeLists.txt": CMAKE, "prj.conf": "CONFIG_MCUMGR_SMP_BT=y\n",
                                 "child_image/mcuboot.conf": ""})
    app = describe_app(root)
    assert not app.sdk.exact and app.sdk.range[1] >= (2, 4, 0)
    assert app.context.sdk_confidence == "weak"


def test_build_directory_cache_names_the_board_and_sdk(tmp_path):
    root = write_tree(tmp_path, {
        "CMakeLists.txt": CMAKE, "prj.conf": "CONFIG_BOOTLOADER_MCUBOOT=y\n",
        "build/zephyr/.config": "CONFIG_BOOTLOADER_MCUBOOT=y\n",
        "build/CMakeCache.txt": "BOARD:STRING=nrf52840dk/nrf52840\n"
                                "ZEPHYR_BASE:PATH=/opt/ncs/v2.7.0/zephyr\n"})
    app = describe_app(root)
    assert app.boards == ["nrf52840dk_nrf52840"]
    assert app.context.boards[0].confidence == "strong"
    assert app.sdk.version == (2, 7, 0) and app.sdk.exact
    assert app.context.sdk_evidence[0].render(root) == "build/CMakeCache.txt:2"


# ------------------------------------------------------------------ fixtures per naming era

def only_target(rel: str, **kw):
    app = describe_app(FIX / rel, **kw)
    targets = build_targets(app)
    return app, targets


def test_hwmv2_with_soc_qualifier():
    app, (t,) = only_target("ncs27-hwmv2-soc-qualifier")
    assert app.context.era == naming.HWMV2 and app.context.boards[0].build_name == "nrf52840dk/nrf52840"
    assert files_read(t)["app"] == [("conf", "prj.conf"), ("conf", "boards/nrf52840dk_nrf52840.conf"),
                                    ("dts", "boards/nrf52840dk_nrf52840.overlay")]
    assert files_read(t)["mcuboot"] == [("conf", "sysbuild/mcuboot.conf")]


def test_hwmv2_short_name_of_a_single_soc_board():
    app, (t,) = only_target("ncs28-hwmv2-short-name")
    (b,) = app.context.boards
    assert b.build_name == "xiao_ble/nrf52840" and b.stems == ("xiao_ble_nrf52840", "xiao_ble")
    assert files_read(t)["app"] == [("conf", "prj.conf"), ("conf", "boards/xiao_ble.conf"),
                                    ("dts", "boards/xiao_ble.overlay")]


def test_revision_file_after_the_board_file():
    app, (t,) = only_target("ncs26-revision-files")
    assert app.context.era == naming.HWMV1
    assert files_read(t)["app"] == [("conf", "prj.conf"), ("conf", "boards/nrf9160dk_nrf9160_ns.conf"),
                                    ("dts", "boards/nrf9160dk_nrf9160_ns.overlay"),
                                    ("dts", "boards/nrf9160dk_nrf9160_ns_0_14_0.overlay")]
    # MCUboot is built for the secure board of the same revision
    assert t.images["mcuboot"].board == "nrf9160dk_nrf9160@0.14.0"


def test_custom_board_with_revisions():
    app, (t,) = only_target("custom-board-revisions/app")
    (b,) = app.context.boards
    assert b.custom and b.name == "widget" and b.confidence == "strong"
    assert b.stems[0] == "widget_2_0_0" and "widget_nrf52840" in b.stems
    # the default revision's file applies, the other revision's does not
    read = files_read(t)["app"]
    assert read[0][1].endswith("boards/acme/widget/widget_defconfig")      # the board's defconfig first
    assert read[1:] == [("conf", "prj.conf"), ("conf", "boards/widget.conf"), ("dts", "boards/widget_2_0_0.overlay")]
    # the board's own revision overlay beside its DTS is part of its devicetree
    assert [p.path.name for p in t.images["app"].dts_files][:2] == ["widget.dts", "widget_2_0_0.overlay"]
    assert app.sdk.version == (2, 8, 0)


def test_manifest_in_a_subfolder_fixture():
    app, (t,) = only_target("zephyr41-manifest-in-subfolder")
    assert (app.framework, app.sdk.version, app.build_system) == ("zephyr", (4, 1, 0), "zephyr")
    assert app.context.sdk_evidence[0].render(app.root) == "west-manifest/west.yml:5"
    assert files_read(t)["app"] == [("conf", "prj.conf"), ("dts", "boards/nrf52840dk_nrf52840.overlay")]


def test_copied_sample_yaml_board_is_low_confidence():
    app, targets = only_target("ncs25-copied-sample-yaml")
    assert [(b.name, b.confidence) for b in app.context.boards] == [("bl653_dvk", "strong"),
                                                                     ("nrf52840dk_nrf52840", "weak")]
    assert app.context.low_confidence("nrf52840dk_nrf52840") and not app.context.low_confidence("bl653_dvk")
    assert [t.board for t in targets] == ["bl653_dvk", "nrf52840dk_nrf52840"]
    assert files_read(targets[0])["app"] == [("conf", "prj.conf"), ("dts", "boards/bl653_dvk.overlay")]
    assert files_read(targets[1])["app"] == [("conf", "prj.conf")]


def test_low_confidence_findings_are_info_and_say_why():
    from dfulint.core import Finding, Severity, Span
    from dfulint.engine import _low_confidence

    app, targets = only_target("ncs25-copied-sample-yaml")
    f = Finding("DFU201", "slots differ", Span(app.root / "prj.conf"), Severity.ERROR)
    _low_confidence(app, targets[1], f)
    assert f.severity == Severity.INFO and "named only by sample.yaml" in f.message and f.low_confidence
    g = Finding("DFU201", "slots differ", Span(app.root / "prj.conf"), Severity.ERROR)
    _low_confidence(app, targets[0], g)
    assert g.severity == Severity.ERROR


def test_weak_board_alone_keeps_its_severity():
    # the seed names its board only in sample.yaml: no better board exists, so it is checked fully
    app = describe_app(ROOT / "fixtures" / "seed_bl653_dvk")
    assert app.context.boards[0].confidence == "weak" and not app.context.low_confidence("bl653_dvk")


# ------------------------------------------------------------------ boards given and unknown

def test_misspelled_board_is_a_usage_error_with_close_names():
    from helpers import run_cli

    res = run_cli(["check", str(FIX / "ncs19-hwmv1-board-overlay"), "--board", "nrf52840dk_nrf5284"])
    assert res.exit_code == 2
    assert "unknown board 'nrf52840dk_nrf5284'" in res.output and "nrf52840dk_nrf52840" in res.output


def test_unknown_board_given_is_checked_with_a_note(tmp_path):
    root = write_tree(tmp_path, {"CMakeLists.txt": CMAKE, "prj.conf": "CONFIG_BOOTLOADER_MCUBOOT=y\n"})
    app = describe_app(root, boards=["frdm_k64f"])
    (b,) = app.context.boards
    assert b.confidence == "given" and not b.known and "not in dfulint's tables" in b.note


def test_unknown_board_in_files_is_checked_with_its_soc_assumed(tmp_path):
    root = write_tree(tmp_path, {"CMakeLists.txt": CMAKE, "prj.conf": "CONFIG_BOOTLOADER_MCUBOOT=y\n",
                                 "boards/acme_tracker_nrf52840.overlay": "/ { };\n"})
    app = describe_app(root)
    (b,) = app.context.boards
    assert b.name == "acme_tracker_nrf52840" and not b.known and "SoC nrf52840 assumed" in b.note
    (t,) = build_targets(app)
    assert t.soc is not None and t.soc.name == "nrf52840"
    assert files_read(t)["app"] == [("conf", "prj.conf"), ("dts", "boards/acme_tracker_nrf52840.overlay")]


def test_suffix_variants_of_known_boards_are_no_boards(tmp_path):
    root = write_tree(tmp_path, {"CMakeLists.txt": CMAKE, "prj.conf": "CONFIG_BOOTLOADER_MCUBOOT=y\n",
                                 "boards/nrf52840dk_nrf52840.overlay": "/ { };\n",
                                 "boards/nrf52840dk_nrf52840_release.overlay": "/ { };\n"})
    assert describe_app(root).boards == ["nrf52840dk_nrf52840"]


def test_no_board_is_said_once_with_how_to_pass_one(tmp_path):
    root = write_tree(tmp_path, {"CMakeLists.txt": CMAKE, "prj.conf": "CONFIG_BOOTLOADER_MCUBOOT=y\n"})
    app = describe_app(root)
    assert app.boards == [] and any("--board" in n for n in app.context.notes)
    assert "no board (pass --board NAME" in app.context.summary(None)


def test_dts_includes_are_no_custom_boards(tmp_path):
    root = write_tree(tmp_path, {"CMakeLists.txt": CMAKE, "prj.conf": "",
                                 "boards/arm/kit/kit_nrf5340_cpuapp.dts": "/dts-v1/;\n/ { };\n",
                                 "boards/arm/kit/nrf5340_cpuapp_common.dts": "/ { chosen { }; };\n",
                                 "boards/arm/kit/kit-pinctrl.dtsi": "&pinctrl { };\n"})
    assert describe_app(root).boards == ["kit_nrf5340_cpuapp"]


def test_show_context_prints_every_file_in_build_order():
    from helpers import run_cli

    res = run_cli(["check", "--show-context", str(FIX / "ncs26-revision-files")])
    assert res.exit_code == 0, res.output
    out = res.output
    assert "sdk        NCS 2.6.1  [strong]  west.yml:9 (sdk-nrf v2.6.1)" in out
    assert "file names looked for: nrf9160dk_nrf9160_ns_0_14_0, nrf9160dk_nrf9160_ns" in out
    order = [out.index(x) for x in ("1. prj.conf", "2. boards/nrf9160dk_nrf9160_ns.conf",
                                    "3. boards/nrf9160dk_nrf9160_ns.overlay",
                                    "4. boards/nrf9160dk_nrf9160_ns_0_14_0.overlay")]
    assert order == sorted(order)


def test_json_and_sarif_carry_the_context():
    import json

    from helpers import run_cli

    res = run_cli(["check", str(FIX / "ncs19-hwmv1-board-overlay"), "--format", "json"])
    (a,) = json.loads(res.output)["summary"]["apps"]
    ctx = a["context"]
    assert ctx["sdk"]["version"] == "1.9.99" and ctx["sdk"]["confidence"] == "strong"
    assert ctx["sdk"]["evidence"][0] == {"path": "west.yml", "line": 9, "text": "sdk-nrf v1.9.99-dev1"}
    assert ctx["boards"][0]["build_name"] == "bl653_dvk" and ctx["naming_era"] == "hwmv1"
    assert a["headers"]["bl653_dvk"].startswith("board bl653_dvk (boards/bl653_dvk.overlay)")
    res = run_cli(["check", str(FIX / "ncs19-hwmv1-board-overlay"), "--format", "sarif"])
    props = json.loads(res.output)["runs"][0]["properties"]["dfulint/context"]
    assert props[0]["boards"][0]["evidence"][0]["path"] == "boards/bl653_dvk.overlay"


def test_version_dependent_rename_is_said_on_condition(tmp_path):
    import json

    from helpers import run_cli

    root = write_tree(tmp_path, {"CMakeLists.txt": CMAKE, "prj.conf": "CONFIG_MCUMGR=y\nCONFIG_MCUMGR_SMP_BT=y\n",
                                 "child_image/mcuboot.conf": ""})
    res = run_cli(["check", str(root), "--board", "nrf52840dk_nrf52840", "--select", "DFU408", "--format", "json"])
    (f,) = json.loads(res.output)["findings"]
    assert f["severity"] == "info" and "if this app is built with NCS 2.4 or later" in f["message"]
    assert "CONFIG_MCUMGR_TRANSPORT_BT" in f["fix"]
    res = run_cli(["check", str(root), "--board", "nrf52840dk_nrf52840", "--select", "DFU408", "--format", "json",
                   "--sdk-version", "2.3.0"])
    assert json.loads(res.output)["findings"] == []


def test_a_board_whose_flash_cannot_hold_the_apps_pm_static_is_ruled_out(tmp_path):
    root = write_tree(tmp_path, {
        "CMakeLists.txt": CMAKE, "prj.conf": "CONFIG_BOOTLOADER_MCUBOOT=y\n",
        "pm_static.yml": "nvs_storage:\n  address: 0xf0000\n  size: 0x10000\n  region: flash_primary\n",
        "sample.yaml": "tests:\n  a:\n    platform_allow: nrf52840dk_nrf52840 nrf52dk_nrf52832\n"})
    app = describe_app(root)
    by = {b.name: b for b in app.context.boards}
    assert by["nrf52dk_nrf52832"].foreign and not by["nrf52840dk_nrf52840"].foreign
    assert app.context.low_confidence("nrf52dk_nrf52832") and not app.context.low_confidence("nrf52840dk_nrf52840")
    assert app.boards[0] == "nrf52840dk_nrf52840"


def test_sysbuild_without_mcuboot_is_said_on_condition_when_the_version_is_a_guess(tmp_path):
    import json

    from helpers import run_cli

    root = write_tree(tmp_path, {"CMakeLists.txt": CMAKE, "prj.conf": "CONFIG_BOOTLOADER_MCUBOOT=y\n",
                                 "sysbuild/ipc_radio/prj.conf": "CONFIG_BT=y\n"})
    args = ["check", str(root), "--board", "nrf52840dk_nrf52840", "--select", "DFU502", "--format", "json"]
    (f,) = json.loads(run_cli(args).output)["findings"]
    assert f["severity"] == "info" and "default for every app from NCS 2.9" in f["message"]
    (f,) = json.loads(run_cli(args + ["--sdk-version", "2.9.0"]).output)["findings"]
    assert f["severity"] == "error"


def test_a_custom_boards_defconfig_is_read_first_by_every_image(tmp_path):
    repo = write_tree(tmp_path / "repo", {
        "boards/acme/gizmo/gizmo.dts": "/dts-v1/;\n#include <nordic/nrf52840_qiaa.dtsi>\n/ { };\n",
        "boards/acme/gizmo/gizmo_defconfig": "CONFIG_SOC_NRF52840_QIAA=y\nCONFIG_BOOTLOADER_MCUBOOT=y\n",
    })
    root = write_tree(repo / "app", {"CMakeLists.txt": CMAKE, "prj.conf": "CONFIG_MCUMGR=y\n",
                                     "child_image/mcuboot.conf": ""}, git=False)
    app = describe_app(root, sdk_version="2.6.0")
    (t,) = build_targets(app)
    assert files_read(t)["app"][:2] == [("conf", "../boards/acme/gizmo/gizmo_defconfig"), ("conf", "prj.conf")] or \
        t.images["app"].conf_layers[0].path.name == "gizmo_defconfig"
    assert t.images["app"].config.enabled("BOOTLOADER_MCUBOOT") and t.mcuboot_enabled
    assert t.images["mcuboot"].conf_layers[0].path.name == "gizmo_defconfig"


def test_a_delta_update_fork_of_mcuboot_is_not_judged_by_stock_slot_rules(tmp_path):
    root = write_tree(tmp_path, {
        "CMakeLists.txt": CMAKE, "prj.conf": "CONFIG_BOOTLOADER_MCUBOOT=y\n",
        "child_image/mcuboot.conf": "CONFIG_BOOT_UPGRADE_APP_DELTA=y\n",
        "pm_static.yml": "mcuboot_secondary:\n  address: 0xc0000\n  size: 0x3d000\n  region: flash_primary\n"})
    app = describe_app(root, boards=["nrf52840dk_nrf52840"], sdk_version="2.6.0")
    (t,) = build_targets(app)
    assert t.boot is None and any("delta-update fork" in n for n in t.images["mcuboot"].notes)


def test_context_table_lists_each_app_with_its_evidence():
    import importlib.util

    spec = importlib.util.spec_from_file_location("context_table", ROOT / "bench" / "context_table.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    text = mod.render(FIX)
    assert "| ncs19-hwmv1-board-overlay | community | `bl653_dvk` (strong: boards/bl653_dvk.overlay +1 more) |" in text
    assert "NCS 1.9.99 (strong: west.yml:9)" in text
    assert "`nrf52840dk_nrf52840` (weak, low: sample.yaml:6)" in text
