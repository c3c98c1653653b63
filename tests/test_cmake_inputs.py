"""Configuration files an app's CMakeLists.txt names before find_package(Zephyr), read as text."""
from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from dfulint.cli import cli
from dfulint.sources.cmake import read

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "fixtures" / "apps" / "ncs-2.4-child-image-cmake-named-files"


def settings(text: str, boards=("nrf52840dk_nrf52840",), root=Path("/app")):
    return read(root / "CMakeLists.txt", text, root, set(boards))


def test_set_and_list_append_before_find_package_are_read_in_order():
    cm = settings("""
cmake_minimum_required(VERSION 3.20.0)
set(CONF_FILE prj.conf)   # the base
list(APPEND CONF_FILE ${CMAKE_CURRENT_SOURCE_DIR}/ble.conf)
set(EXTRA_CONF_FILE ${EXTRA_CONF_FILE} "a.conf;b.conf")
set(DTC_OVERLAY_FILE "one.overlay two.overlay" CACHE STRING "")
find_package(Zephyr REQUIRED HINTS $ENV{ZEPHYR_BASE})
list(APPEND EXTRA_CONF_FILE late.conf)
""")
    assert [v for v, _ in cm.get("CONF_FILE")] == ["prj.conf", "/app/ble.conf"]
    assert [v for v, _ in cm.get("EXTRA_CONF_FILE")] == ["a.conf", "b.conf"]
    assert [v for v, _ in cm.get("DTC_OVERLAY_FILE")] == ["one.overlay", "two.overlay"]
    assert cm.get("CONF_FILE")[1][1] == 4
    (late,) = [s for s in cm.settings if s.status == "late"]
    assert late.line == 8 and late.var == "EXTRA_CONF_FILE"


def test_board_conditions_are_taken_for_the_board_they_name_and_others_are_not_guessed():
    text = """
if(BOARD STREQUAL "promicro_nrf52840")
  set(DTC_OVERLAY_FILE boards/promicro.overlay)
elseif("${BOARD}" STREQUAL "nrf52840dk_nrf52840")
  set(DTC_OVERLAY_FILE boards/dk.overlay)
else()
  set(DTC_OVERLAY_FILE boards/other.overlay)
endif()
if(DEFINED RELEASE)
  list(APPEND OVERLAY_CONFIG release.conf)
endif()
list(APPEND OVERLAY_CONFIG $ENV{HOME}/secrets.conf)
set(EXTRA_DTC_OVERLAY_FILE $<TARGET_PROPERTY:app,X>)
find_package(Zephyr)
"""
    cm = settings(text)
    assert [v for v, _ in cm.get("DTC_OVERLAY_FILE")] == ["boards/dk.overlay"]
    assert cm.get("OVERLAY_CONFIG") is None and cm.get("EXTRA_DTC_OVERLAY_FILE") is None
    unknown = {s.line: s.why for s in cm.settings if s.status == "unknown"}
    assert "condition" in unknown[10] and "$ENV{HOME}" in unknown[12] and "$<TARGET_PROPERTY" in unknown[13]
    assert cm.uncertain == {"OVERLAY_CONFIG", "EXTRA_DTC_OVERLAY_FILE"}
    other = settings(text, boards=("xiao_ble",))
    assert [v for v, _ in other.get("DTC_OVERLAY_FILE")] == ["boards/other.overlay"]
    unknown_board = settings(text, boards=())
    assert unknown_board.get("DTC_OVERLAY_FILE") is None


def target(board: str = "nrf52840dk_nrf52840"):
    from dfulint.model.project import build_targets
    from dfulint.workspace import describe_app

    (t,) = build_targets(describe_app(APP, [board]))
    return t


def test_the_app_image_reads_the_files_cmakelists_names():
    t = target()
    app = t.images["app"]
    names = [str(layer.path.relative_to(APP)) for layer in app.conf_layers]
    assert names == ["prj.conf", "overlay-dfu.conf", "boards/dk-extras.conf"]
    assert "CMakeLists.txt:4" in app.conf_layers[1].why
    assert [str(x.path.relative_to(APP)) for x in app.dts_layers] == ["dts/nrf52840dk_mx25.overlay"]
    assert t.mcuboot_enabled                    # CONFIG_BOOTLOADER_MCUBOOT=y is in overlay-dfu.conf
    assert t.flash.get("mcuboot_secondary").region == "external_flash"
    assert any("debug.conf" in n and "condition" in n for n in app.notes)


def test_show_context_lists_every_file_and_what_was_not_read():
    res = CliRunner().invoke(cli, ["check", str(APP), "--board", "nrf52840dk_nrf52840", "--show-context",
                                   "--isolated"])
    assert res.exit_code == 0, res.output
    out = res.output
    assert "overlay-dfu.conf  (Kconfig: OVERLAY_CONFIG set in CMakeLists.txt:4)" in out
    assert "dts/nrf52840dk_mx25.overlay  (devicetree: DTC_OVERLAY_FILE set in CMakeLists.txt:5" in out
    assert "CMakeLists.txt:12: list(APPEND EXTRA_CONF_FILE debug.conf) is inside a condition" in out


def test_an_update_path_named_only_in_cmakelists_is_checked():
    res = CliRunner().invoke(cli, ["check", str(APP), "--board", "nrf52840dk_nrf52840", "--format", "json",
                                   "--isolated"])
    (v,) = json.loads(res.output)["verdicts"]
    assert v["verdict"] == "apply", v


def test_an_included_cmake_file_before_find_package_is_said_not_read():
    cm = settings("""
include(${CMAKE_CURRENT_LIST_DIR}/../common/CommonConfig.cmake)
find_package(Zephyr)
include(late.cmake)
""")
    (s,) = [s for s in cm.settings if s.op == "include"]
    assert s.line == 2 and s.status == "unknown" and "does not read" in s.why


def test_the_include_note_reaches_show_context(tmp_path):
    import shutil

    app = tmp_path / APP.name
    shutil.copytree(APP, app)
    cm = app / "CMakeLists.txt"
    cm.write_text(cm.read_text().replace("find_package", "include(cmake/options.cmake)\nfind_package", 1))
    res = CliRunner().invoke(cli, ["check", str(app), "--board", "nrf52840dk_nrf52840", "--show-context",
                                   "--isolated"])
    assert "include(cmake/options.cmake) runs before find_package(Zephyr)" in res.output


def test_a_named_file_outside_the_project_is_not_read_and_not_called_missing(tmp_path):
    """`set(OVERLAY_CONFIG /etc/passwd)`: the file exists, so the build would read it; dfulint does
    not (it is outside the project) and says exactly that, instead of "the build stops there". A
    name that does not exist is the one that stops the build."""
    import shutil
    import subprocess

    app = tmp_path / APP.name
    shutil.copytree(APP, app)
    subprocess.run(["git", "init", "-q", str(app)], check=True)
    secret = tmp_path / "secret.conf"
    secret.write_text("CONFIG_BOOT_SIGNATURE_KEY_FILE=\"token-abc123\"\n")
    cm = app / "CMakeLists.txt"
    cm.write_text(f"set(EXTRA_CONF_FILE {secret})\nset(EXTRA_DTC_OVERLAY_FILE gone.overlay)\n" + cm.read_text())
    res = CliRunner().invoke(cli, ["check", str(app), "--board", "nrf52840dk_nrf52840", "--show-context",
                                   "--isolated"])
    assert f"names {secret} in EXTRA_CONF_FILE, which is outside the project: not read" in res.output
    assert "names gone.overlay in EXTRA_DTC_OVERLAY_FILE, which does not exist: the build stops there" in res.output
    assert "token-abc123" not in res.output
