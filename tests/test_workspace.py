"""What to lint (workspace.py): app discovery, SDK version, framework, build system and boards."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from dfulint.workspace import describe_app, find_apps, parse_version
from helpers import write_tree

CMAKE = "cmake_minimum_required(VERSION 3.20.0)\nfind_package(Zephyr REQUIRED HINTS $ENV{ZEPHYR_BASE})\n" \
        "project(app)\ntarget_sources(app PRIVATE src/main.c)\n"


@pytest.fixture(autouse=True)
def no_zephyr_base(monkeypatch):
    monkeypatch.delenv("ZEPHYR_BASE", raising=False)


tree = write_tree


def app_tree(root: Path, files: dict, prj: str = "CONFIG_BOOTLOADER_MCUBOOT=y\n") -> Path:
    base = {"CMakeLists.txt": CMAKE, "prj.conf": prj}
    base.update(files)
    return tree(root, base)


def west(revision: str, name: str = "nrf", extra: str = "") -> str:
    return ("manifest:\n  remotes:\n    - name: ncs\n      url-base: https://github.com/nrfconnect\n"
            f"  projects:\n    - name: {name}\n      repo-path: sdk-nrf\n      remote: ncs\n"
            f"      revision: {revision}\n      import: true\n{extra}  self:\n    path: app\n")


def rels(root: Path, paths) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in paths)


# ------------------------------------------------------------------ finding apps

def test_app_markers(tmp_path):
    tree(tmp_path, {
        "a/prj.conf": "CONFIG_BT=y\n",
        "b/CMakeLists.txt": CMAKE,
        "c/CMakeLists.txt": "find_package(NCS COMPONENTS toolchain)\n",
        "d/CMakeLists.txt": "add_library(foo foo.c)\n",          # a library, not an app
        "e/README.md": "nothing\n",
    })
    assert rels(tmp_path, find_apps([tmp_path])) == ["a", "b", "c"]


def test_nested_apps_and_skipped_folders(tmp_path):
    tree(tmp_path, {
        "apps/central/prj.conf": "", "apps/central/CMakeLists.txt": CMAKE,
        "apps/central/tests/unit/prj.conf": "",                   # nested app: found on its own
        "apps/peripheral/prj.conf": "",
        "apps/peripheral/child_image/mcuboot/prj.conf": "CONFIG_MAIN_STACK_SIZE=10240\n",
        "apps/peripheral/sysbuild/mcuboot/prj.conf": "CONFIG_BOOT_MAX_IMG_SECTORS=256\n",
        "apps/peripheral/sysbuild/mcuboot/CMakeLists.txt": CMAKE,
        "apps/peripheral/build/zephyr/prj.conf": "",
        "apps/peripheral/build_nrf52840dk/prj.conf": "",
        "apps/.hidden/prj.conf": "",
        ".venv/lib/prj.conf": "",
    })
    assert rels(tmp_path, find_apps([tmp_path])) == ["apps/central", "apps/central/tests/unit", "apps/peripheral"]


def test_a_folder_named_sysbuild_outside_an_app_holds_apps(tmp_path):
    """Zephyr's samples/sysbuild/with_mcuboot: `sysbuild/` is image configuration only inside an app."""
    tree(tmp_path, {
        "samples/sysbuild/with_mcuboot/prj.conf": "", "samples/sysbuild/with_mcuboot/CMakeLists.txt": CMAKE,
        "samples/sysbuild/with_mcuboot/sysbuild.conf": "SB_CONFIG_BOOTLOADER_MCUBOOT=y\n",
        "samples/child_image/legacy/prj.conf": "",
        "app/prj.conf": "", "app/sysbuild/mcuboot/prj.conf": "CONFIG_MAIN_STACK_SIZE=10240\n",
    })
    assert rels(tmp_path, find_apps([tmp_path])) == ["app", "samples/child_image/legacy",
                                                      "samples/sysbuild/with_mcuboot"]


def test_find_apps_on_a_file_path_and_duplicates(tmp_path):
    app_tree(tmp_path / "app", {})
    found = find_apps([tmp_path / "app" / "prj.conf", tmp_path, tmp_path / "app"])
    assert found == [(tmp_path / "app").resolve()]


def test_symlink_loops_are_not_followed(tmp_path):
    app_tree(tmp_path / "app", {})
    os.symlink(tmp_path, tmp_path / "app" / "loop")
    assert rels(tmp_path, find_apps([tmp_path])) == ["app"]


def test_app_files_include_image_configs_but_not_nested_apps(tmp_path):
    root = app_tree(tmp_path / "app", {
        "child_image/mcuboot/prj.conf": "", "child_image/mcuboot.conf": "",
        "sysbuild/mcuboot/prj.conf": "", "sysbuild/mcuboot/CMakeLists.txt": CMAKE,
        "tests/unit/prj.conf": "CONFIG_ZTEST=y\n", "build/zephyr/.config": "", ".vscode/settings.json": "{}",
        "src/main.c": "int main(void) { return 0; }\n",
    })
    app = describe_app(root.resolve())
    got = {app.rel(p) for p in app.files}
    assert {"prj.conf", "CMakeLists.txt", "child_image/mcuboot/prj.conf", "child_image/mcuboot.conf",
            "sysbuild/mcuboot/prj.conf"} <= got
    assert not any(r.startswith(("tests/", "build/", ".vscode/", "src/")) for r in got)


def test_dotfiles_are_not_app_files(tmp_path):
    root = app_tree(tmp_path, {".checkpatch.conf": "--strict\n", ".clang-format": "x\n"})
    assert {p.name for p in describe_app(root).files} == {"CMakeLists.txt", "prj.conf"}


@pytest.mark.parametrize("rel", ["configuration/nrf52840dk_nrf52840/images/mcuboot", "sysbuild/mcuboot",
                                 "child_image/mcuboot"])
def test_an_image_configuration_folder_checked_alone_is_mcuboot(tmp_path, rel):
    tree(tmp_path, {f"{rel}/prj.conf": "CONFIG_BOOT_MAX_IMG_SECTORS=256\n"})
    assert describe_app(tmp_path / rel).is_mcuboot
    assert not describe_app(app_tree(tmp_path / "app", {})).is_mcuboot


# ------------------------------------------------------------------ SDK version

def test_version_strings():
    assert parse_version("v2.5.0") == (2, 5, 0)
    assert parse_version("v1.9.99-dev1") == (1, 9, 99)
    assert parse_version("2.6") == (2, 6, 0)
    assert parse_version("main") is None
    assert parse_version("3f1e2d4c5b6a") is None


def test_sdk_from_west_yml_sdk_nrf_revision(tmp_path):
    root = app_tree(tmp_path, {"west.yml": west("v2.5.0")})
    app = describe_app(root)
    assert (app.framework, app.sdk.version, app.sdk.exact) == ("ncs", (2, 5, 0), True)
    assert "sdk-nrf revision v2.5.0" in app.sdk.source
    assert app.build_system == "child_image"


def test_sdk_from_west_yml_in_the_repository_root(tmp_path):
    tree(tmp_path, {"west.yml": west("v2.7.0")})
    root = app_tree(tmp_path / "apps" / "dfu", {})
    (root / ".git").rmdir()
    app = describe_app(root)
    assert app.sdk.version == (2, 7, 0) and app.sdk.exact
    assert app.build_system == "sysbuild"


@pytest.mark.parametrize("manifest", [
    "manifest:\n  projects:\n    - name: sdk-nrf\n      url: https://github.com/nrfconnect/sdk-nrf.git\n"
    "      revision: v2.6.1\n",
    "manifest:\n  defaults:\n    remote: ncs\n    revision: v2.6.1\n  remotes:\n    - name: ncs\n"
    "      url-base: https://github.com/nrfconnect\n  projects:\n    - name: ncs\n      repo-path: sdk-nrf\n",
    "manifest:\n  projects:\n    - name: nrf\n      url: https://github.com/acme/fw-nrfconnect-nrf\n"
    "      revision: v2.6.1-acme3\n",
])
def test_sdk_from_other_west_yml_spellings(tmp_path, manifest):
    app = describe_app(app_tree(tmp_path, {"west.yml": manifest}))
    assert (app.framework, app.sdk.version, app.sdk.exact) == ("ncs", (2, 6, 1), True)


def test_sdk_from_west_yml_sdk_zephyr_gives_a_range(tmp_path):
    manifest = ("manifest:\n  projects:\n    - name: zephyr\n      url: https://github.com/nrfconnect/sdk-zephyr\n"
                "      revision: v3.5.99-ncs1\n      import: true\n")
    app = describe_app(app_tree(tmp_path, {"west.yml": manifest}))
    assert app.framework == "ncs"
    assert not app.sdk.exact
    assert app.sdk.version == (2, 6, 0)
    assert app.sdk.range[0] == (2, 6, 0) and app.sdk.range[1] >= (2, 6, 99)
    assert "sdk-zephyr v3.5.99-ncs1" in app.sdk.source


def test_sdk_from_west_yml_upstream_zephyr(tmp_path):
    manifest = ("manifest:\n  remotes:\n    - name: zephyrproject-rtos\n      url-base: https://github.com/zephyrproject-rtos\n"
                "  projects:\n    - name: zephyr\n      remote: zephyrproject-rtos\n      revision: v3.6.0\n"
                "      import: true\n")
    app = describe_app(app_tree(tmp_path, {"west.yml": manifest}))
    assert (app.framework, app.sdk.version, app.sdk.exact) == ("zephyr", (3, 6, 0), True)
    assert app.build_system == "zephyr"
    assert "zephyr revision v3.6.0" in app.sdk.source


def test_upstream_zephyr_on_main_is_a_guess(tmp_path):
    manifest = "manifest:\n  projects:\n    - name: zephyr\n      url: https://github.com/zephyrproject-rtos/zephyr\n" \
               "      revision: main\n"
    app = describe_app(app_tree(tmp_path, {"west.yml": manifest}))
    assert app.framework == "zephyr" and not app.sdk.exact


@pytest.mark.parametrize("manifest", [
    "manifest: [\n",
    "manifest:\n  remotes: 5\n  projects:\n    - name: nrf\n      remote: [a]\n      revision: v2.5.0\n",
    "manifest:\n  projects: {nrf: v2.5.0}\n",
    "manifest:\n  projects:\n    - 42\n    - [nrf]\n    - name: {a: b}\n",
    "- " * 50_000 + "x\n",
    "\x00binary",
])
def test_broken_west_yml_never_crashes(tmp_path, manifest):
    root = app_tree(tmp_path, {"west.yml": manifest, "child_image/mcuboot.conf": "CONFIG_BOOT_MAX_IMG_SECTORS=256\n"})
    app = describe_app(root)
    assert app.framework == "ncs"
    assert app.build_system == "child_image"


def test_sdk_version_option_wins_over_west_yml(tmp_path):
    app = describe_app(app_tree(tmp_path, {"west.yml": west("v2.5.0")}), sdk_version="2.8.0")
    assert (app.sdk.version, app.sdk.source, app.sdk.exact) == ((2, 8, 0), "--sdk-version", True)
    assert app.build_system == "sysbuild"
    app = describe_app(app_tree(tmp_path, {}), sdk_version="v1.9.99")
    assert app.sdk.version == (1, 9, 99) and app.build_system == "child_image"


def test_sdk_from_west_workspace_version_file(tmp_path):
    ws = tree(tmp_path / "ncs", {"nrf/VERSION": "2.4.2\n"})
    (ws / ".west").mkdir()
    root = app_tree(ws / "apps" / "dfu", {})
    app = describe_app(root)
    assert app.west_root == ws
    assert (app.sdk.version, app.sdk.exact) == ((2, 4, 2), True)
    assert "nrf/VERSION" in app.sdk.source


def test_zephyr_base_points_at_the_workspace(tmp_path, monkeypatch):
    ws = tree(tmp_path / "ncs", {"nrf/VERSION": "2.9.0\n", "zephyr/VERSION": "VERSION_MAJOR = 3\n"})
    monkeypatch.setenv("ZEPHYR_BASE", str(ws / "zephyr"))
    app = describe_app(app_tree(tmp_path / "elsewhere", {}))
    assert app.west_root == ws.resolve()
    assert app.sdk.version == (2, 9, 0)


@pytest.mark.parametrize("files, prj, version, low, high, build_system", [
    ({"sysbuild.conf": "SB_CONFIG_BOOTLOADER_MCUBOOT=y\n"}, "", (2, 9, 0), (2, 7, 0), None, "sysbuild"),
    ({"sysbuild/mcuboot.conf": "CONFIG_BOOT_MAX_IMG_SECTORS=256\n"}, "", (2, 9, 0), (2, 7, 0), None, "sysbuild"),
    ({"Kconfig.sysbuild": "source \"share/sysbuild/Kconfig\"\n"}, "", (2, 9, 0), (2, 7, 0), None, "sysbuild"),
    ({"child_image/mcuboot.conf": "CONFIG_BOOT_MAX_IMG_SECTORS=256\n"}, "", (2, 6, 0), (1, 4, 0), (2, 9, 99),
     "child_image"),
    ({"child_image/mcuboot.conf": "", "sysbuild.conf": "SB_CONFIG_BOOTLOADER_MCUBOOT=y\n"}, "", (2, 9, 0),
     (2, 4, 0), None, "sysbuild"),
    ({"pm_static.yml": "mcuboot:\n  address: 0x0\n  size: 0xc000\n"},
     "CONFIG_MCUMGR=y\nCONFIG_MCUMGR_SMP_BT=y\n", (2, 6, 0), (1, 4, 0), (2, 9, 99), "child_image"),
    # the symbols a rule judges never date the SDK: old MCUmgr names leave the range open, so that a
    # later SDK's rename can still be reported
    ({"pm_static.yml": "mcuboot:\n  address: 0x0\n  size: 0xc000\n"},
     "CONFIG_MCUMGR_CMD_IMG_MGMT=y\n", (2, 6, 0), (1, 4, 0), (2, 9, 99), "child_image"),
])
def test_sdk_from_conventions(tmp_path, files, prj, version, low, high, build_system):
    app = describe_app(app_tree(tmp_path, files, prj))
    assert app.framework == "ncs"
    assert not app.sdk.exact
    assert app.sdk.version == version
    assert app.sdk.range[0] == low
    if high:
        assert app.sdk.range[1] == high
    assert app.build_system == build_system
    assert app.sdk.source and "assumed" in app.sdk.source


# ------------------------------------------------------------------ framework

@pytest.mark.parametrize("files, prj, framework", [
    ({"pm_static.yml": "mcuboot:\n  size: 0xc000\n"}, "", "ncs"),
    ({"child_image/mcuboot.conf": ""}, "", "ncs"),
    ({}, "CONFIG_PM_PARTITION_SIZE_MCUBOOT=0x10000\n", "ncs"),
    ({}, "CONFIG_NCS_SAMPLE_MCUMGR_BT_OTA_DFU=y\n", "ncs"),
    ({"boards/nrf52840dk_nrf52840.conf": ""}, "CONFIG_BOOTLOADER_MCUBOOT=y\n", "ncs"),
    ({"app.overlay": "&flash0 { partitions { slot0_partition: partition@10000 { reg = <0x10000 0x60000>; }; }; };\n"},
     "CONFIG_BOOTLOADER_MCUBOOT=y\n", "zephyr"),
])
def test_framework(tmp_path, files, prj, framework):
    app = describe_app(app_tree(tmp_path, files, prj))
    assert app.framework == framework, app.framework_source
    assert app.framework_source


def test_framework_zephyr_for_non_nordic_board(tmp_path):
    app = describe_app(app_tree(tmp_path, {}), boards=["nucleo_h743zi"])
    assert app.framework == "zephyr" and app.build_system == "zephyr"
    assert app.boards == ["nucleo_h743zi"]


# ------------------------------------------------------------------ boards

@pytest.mark.parametrize("rel, board", [
    ("boards/nrf52840dk_nrf52840.conf", "nrf52840dk_nrf52840"),
    ("boards/nrf52840dk_nrf52840.overlay", "nrf52840dk_nrf52840"),
    ("boards/nrf5340dk_nrf5340_cpuapp.overlay", "nrf5340dk_nrf5340_cpuapp"),
    ("pm_static_nrf52833dk_nrf52833.yml", "nrf52833dk_nrf52833"),
    ("pm_static_nrf9160dk_nrf9160_ns.yaml", "nrf9160dk_nrf9160_ns"),
    ("sysbuild/mcuboot/boards/nrf54l15dk_nrf54l15_cpuapp.conf", "nrf54l15dk_nrf54l15_cpuapp"),
    ("sysbuild/mcuboot/boards/nrf52840dk_nrf52840.overlay", "nrf52840dk_nrf52840"),
    ("child_image/mcuboot/boards/bl653_dvk.conf", "bl653_dvk_nrf52833"),
    ("child_image/mcuboot/boards/nrf52dk_nrf52832.overlay", "nrf52dk_nrf52832"),
    # a network-core image's board file names the kit; the app runs on its application core
    ("child_image/hci_ipc/boards/nrf5340dk_nrf5340_cpunet.conf", "nrf5340dk_nrf5340_cpuapp"),
    ("sysbuild/ipc_radio/boards/nrf5340dk_nrf5340_cpunet.overlay", "nrf5340dk_nrf5340_cpuapp"),
    ("sysbuild/b0/boards/nrf52840dk_nrf52840.conf", "nrf52840dk_nrf52840"),
    ("boards/nrf5340dk_nrf5340_cpunet.conf", "nrf5340dk_nrf5340_cpunet"),          # a network-core app
    ("prj_nrf52840dk_nrf52840.conf", "nrf52840dk_nrf52840"),
])
def test_board_from_each_file_kind(tmp_path, rel, board):
    app = describe_app(app_tree(tmp_path, {rel: "\n"}))
    assert app.boards == [board]
    assert app.board_sources[board] == rel


@pytest.mark.parametrize("fname, text", [
    ("sample.yaml", "sample:\n  name: dfu\ntests:\n  app.dfu:\n    platform_allow: nrf52840dk/nrf52840\n"),
    ("sample.yaml", "tests:\n  app.dfu:\n    platform_allow:\n      - nrf52840dk/nrf52840\n"
                    "    integration_platforms:\n      - nrf52840dk/nrf52840\n"),
    ("testcase.yaml", "tests:\n  app.dfu:\n    platform_allow: [nrf52840dk_nrf52840]\n"),
    ("sample.yaml", "common:\n  platform_allow: nrf52840dk_nrf52840\ntests:\n  app.dfu: {}\n"),
    ("sample.yaml", "tests:\n  a:\n    platform_allow: [nrf52840dk_nrf52840\n"),       # broken YAML: read as text
])
def test_board_from_twister_files_in_both_name_forms(tmp_path, fname, text):
    app = describe_app(app_tree(tmp_path, {fname: text}))
    assert app.boards == ["nrf52840dk_nrf52840"]
    assert app.board_sources["nrf52840dk_nrf52840"].split(":")[0] == fname
    assert app.context.boards[0].confidence == "weak"


def test_several_boards_and_both_name_forms_merge(tmp_path):
    app = describe_app(app_tree(tmp_path, {
        "boards/nrf52840dk_nrf52840.conf": "", "boards/nrf5340dk_nrf5340_cpuapp.overlay": "",
        "sample.yaml": "tests:\n  a:\n    platform_allow: nrf52840dk/nrf52840 nrf5340dk/nrf5340/cpuapp\n",
        "pm_static_nrf52840dk_nrf52840.yml": "mcuboot:\n  size: 0xc000\n",
    }))
    assert app.boards == ["nrf52840dk_nrf52840", "nrf5340dk_nrf5340_cpuapp"]


def test_files_that_name_no_board(tmp_path):
    app = describe_app(app_tree(tmp_path, {
        "boards/app.overlay": "", "boards/my_unknown_board.conf": "", "prj_release.conf": "",
        "pm_static.yml": "mcuboot:\n  size: 0xc000\n", "sysbuild/mcuboot.conf": "",
        "boards/shields/x/x.overlay": "",
    }))
    assert app.boards == []


def test_custom_board_in_the_repository(tmp_path):
    repo = tree(tmp_path / "repo", {
        "boards/acme/widget/widget.dts": '/dts-v1/;\n#include <nordic/nrf52840_qiaa.dtsi>\n/ { model = "Widget"; };\n',
        "boards/acme/widget/board.yml": "board:\n  name: widget\n  vendor: acme\n  socs:\n    - name: nrf52840\n",
        "boards/acme/widget/widget_defconfig": "CONFIG_SOC_NRF52840_QIAA=y\n",
    })
    root = app_tree(repo / "app", {"boards/widget.overlay": "/ { };\n"})
    (root / ".git").rmdir()
    app = describe_app(root)
    assert "widget" in app.custom_boards
    assert app.custom_boards["widget"] == repo / "boards/acme/widget/widget.dts"
    assert app.boards == ["widget"]
    assert app.board_sources["widget"] == "boards/widget.overlay"


def test_folded_platform_list(tmp_path):
    app = describe_app(app_tree(tmp_path, {"sample.yaml": "tests:\n  a:\n    platform_allow: nrf52dk_nrf52832 "
                                                          "nrf52840dk_nrf52840\n      nrf5340dk_nrf5340_cpuapp_ns\n"}))
    assert app.boards == ["nrf52840dk_nrf52840", "nrf52dk_nrf52832", "nrf5340dk_nrf5340_cpuapp_ns"]


def test_custom_board_other_cores_are_not_app_targets(tmp_path):
    root = app_tree(tmp_path, {f"boards/acme/kit/kit_nrf5340_{core}.dts": "/dts-v1/;\n/ { };\n"
                               for core in ("cpuapp", "cpuapp_ns", "cpunet")})
    app = describe_app(root)
    assert set(app.custom_boards) == {"kit_nrf5340_cpuapp", "kit_nrf5340_cpuapp_ns", "kit_nrf5340_cpunet"}
    assert app.boards == ["kit_nrf5340_cpuapp", "kit_nrf5340_cpuapp_ns"]


def test_custom_board_inside_the_app_is_a_board_on_its_own(tmp_path):
    root = app_tree(tmp_path, {"boards/arm/gizmo/gizmo.dts": "/dts-v1/;\n/ { };\n"})
    app = describe_app(root)
    assert app.boards == ["gizmo"]


@pytest.mark.parametrize("given, expected", [
    (["nrf52840dk_nrf52840"], ["nrf52840dk_nrf52840"]),
    (["nrf52840dk/nrf52840"], ["nrf52840dk_nrf52840"]),
    (["nrf5340dk/nrf5340/cpuapp", "bl653_dvk"], ["nrf5340dk_nrf5340_cpuapp", "bl653_dvk_nrf52833"]),
    (["my_board"], ["my_board"]),
    (["nrf9160dk@0.14.0/nrf9160/ns"], ["nrf9160dk_nrf9160_ns@0.14.0"]),     # the revision is kept
    (["nrf52840dk_nrf52840", "nrf52840dk/nrf52840"], ["nrf52840dk_nrf52840"]),
])
def test_board_option_accepts_both_forms(tmp_path, given, expected):
    root = app_tree(tmp_path, {"boards/nrf52dk_nrf52832.conf": ""})
    app = describe_app(root, boards=given)
    assert app.boards == expected                         # --board replaces what the files name
    assert set(app.board_sources.values()) == {"--board"}


def test_build_directory_is_found_next_to_the_app(tmp_path):
    root = app_tree(tmp_path, {"build/zephyr/.config": "CONFIG_BOOTLOADER_MCUBOOT=y\n"})
    assert describe_app(root).build_dir == root / "build"
    root2 = app_tree(tmp_path / "b", {"build/partitions.yml": "mcuboot:\n  size: 0xc000\n"})
    assert describe_app(root2).build_dir == root2 / "build"
    root3 = app_tree(tmp_path / "c", {"build/CMakeCache.txt": ""})
    assert describe_app(root3).build_dir is None
    assert describe_app(root3, build_dir=tmp_path / "x").build_dir == tmp_path / "x"


def test_a_per_board_configuration_folder_is_checked_with_its_board_and_the_apps_sysbuild(tmp_path):
    from dfulint.model.project import build_targets

    root = tmp_path / "app"
    (root / "sysbuild").mkdir(parents=True)
    (root / "CMakeLists.txt").write_text("find_package(Zephyr REQUIRED)\nproject(a)\n")
    (root / "sysbuild.conf").write_text("SB_CONFIG_BOOTLOADER_MCUBOOT=y\n")
    (root / "sysbuild" / "mcuboot.conf").write_text("CONFIG_BOOT_MAX_IMG_SECTORS=256\n")
    cfg = root / "configuration" / "nrf52840dk_nrf52840"
    cfg.mkdir(parents=True)
    (cfg / "prj.conf").write_text("CONFIG_BOOTLOADER_MCUBOOT=y\n")
    app = describe_app(cfg, sdk_version="2.9.0")
    assert app.boards == ["nrf52840dk_nrf52840"]
    assert app.source_dir == root and app.build_system == "sysbuild"
    assert app.sysbuild_path("sysbuild.conf") == root / "sysbuild.conf"
    (t,) = build_targets(app)
    assert root / "sysbuild" / "mcuboot.conf" in t.images["mcuboot"].conf_paths
    assert t.images["mcuboot"].config.int("BOOT_MAX_IMG_SECTORS") == 256
    assert t.mcuboot_enabled
