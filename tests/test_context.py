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
