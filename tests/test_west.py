"""A west workspace's board DTS and Kconfig replace the bundled knowledge (dfulint.west, DFU411)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dfulint import engine, west
from dfulint.model.project import build_targets
from dfulint.workspace import describe_app

ROOT = Path(__file__).resolve().parent.parent
FIX = ROOT / "fixtures" / "rules" / "DFU411-conf-undefined-symbol"
BAD_WS, GOOD_WS = FIX / "bad", FIX / "good"
BOARD = "nrf52840dk/nrf52840"


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    monkeypatch.delenv("ZEPHYR_BASE", raising=False)
    monkeypatch.setenv("DFULINT_CACHE_DIR", str(tmp_path / "cache"))
    west.workspace_symbols.cache_clear()
    west._dts_index.cache_clear()
    yield
    west.workspace_symbols.cache_clear()
    west._dts_index.cache_clear()


def _codes(app: Path, select=None):
    res = engine.run([app], engine.Options(select=select, boards=(BOARD,)))
    return res.findings


# ------------------------------------------------------------------ board DTS

def test_board_dts_found_hwmv2():
    p = west.board_dts(GOOD_WS, BOARD)
    assert p == GOOD_WS / "zephyr" / "boards" / "nordic" / "nrf52840dk" / "nrf52840dk_nrf52840.dts"
    assert west.board_dts(GOOD_WS, "nrf52840dk_nrf52840") == p


def test_board_dts_hwmv1_layout_and_nrf_boards(tmp_path):
    ws = tmp_path / "ws"
    v1 = ws / "zephyr" / "boards" / "arm" / "nrf52840dk_nrf52840" / "nrf52840dk_nrf52840.dts"
    v1.parent.mkdir(parents=True)
    v1.write_text("/dts-v1/;\n/ { };\n")
    assert west.board_dts(ws, BOARD) == v1
    nrf = ws / "nrf" / "boards" / "nordic" / "thingy91x" / "thingy91x_nrf9151.dts"
    nrf.parent.mkdir(parents=True)
    nrf.write_text("/dts-v1/;\n/ { };\n")
    assert west.board_dts(ws, "thingy91x_nrf9151") == nrf


@pytest.mark.parametrize("board", [None, "", "no_such_board", "a/b/c@@1", "\x00", "../../etc"])
def test_board_dts_odd_input(board):
    assert west.board_dts(GOOD_WS, board) is None
    assert west.board_dts(None, BOARD) is None


def test_include_dirs():
    dirs = west.dts_include_dirs(GOOD_WS)
    assert GOOD_WS / "zephyr" / "dts" / "arm" in dirs
    assert GOOD_WS / "zephyr" / "dts" / "common" in dirs
    assert all(d.is_dir() for d in dirs)
    # include/ before dts/common before dts/arm, as Zephyr's dts.cmake orders them
    assert dirs.index(GOOD_WS / "zephyr" / "dts" / "common") < dirs.index(GOOD_WS / "zephyr" / "dts" / "arm")
    assert west.dts_include_dirs(None) == []


def test_workspace_board_dts_used_in_devicetree():
    app = describe_app(GOOD_WS / "app", boards=[BOARD])
    assert app.west_root == GOOD_WS
    (t,) = build_targets(app)
    for name in ("app", "mcuboot"):
        dt = t.images[name].dt
        assert dt.evidence == "workspace"
        marker = dt.node("workspace_marker")
        assert marker is not None and marker.known
        # a node of the SoC .dtsi reached through `#include <nordic/...>` in the include dirs
        flash0 = dt.node("flash0")
        assert flash0 is not None and "erase-block-size" in flash0.props
    assert (GOOD_WS / "zephyr" / "boards" / "nordic" / "nrf52840dk" / "nrf52840dk_nrf52840.dts") in t.images["app"].dt.files
    # the workspace file is not one of the app's files: its problems are not the app's
    assert all("zephyr" not in df.path.parts for df in t.images["app"].dts_files)


def test_knowledge_kept_without_workspace_board(tmp_path):
    ws = tmp_path / "ws"
    shutil.copytree(GOOD_WS, ws)
    shutil.rmtree(ws / "zephyr" / "boards")
    app = describe_app(ws / "app", boards=[BOARD])
    (t,) = build_targets(app)
    dt = t.images["app"].dt
    assert dt.evidence == "files"
    assert dt.node("workspace_marker") is None
    assert dt.node("flash0") is not None        # from the bundled board nodes


# ------------------------------------------------------------------ Kconfig symbols

def test_symbol_scan():
    ws = west.workspace_symbols(GOOD_WS)
    assert ws.complete
    rest, mcu = ws.rest, ws.mcuboot
    for sym in ("BOOTLOADER_MCUBOOT", "MCUMGR", "MCUMGR_TRANSPORT_BT", "PARTITION_MANAGER_ENABLED",
                "NCS_SAMPLES_DEFAULTS"):
        assert rest.defines(sym), sym
    assert not rest.defines("MCUMGR_TRANSPORT_BTT")
    # MCUboot's own symbols are kept apart
    assert mcu.defines("BOOT_MAX_IMG_SECTORS") and not rest.defines("BOOT_MAX_IMG_SECTORS")
    assert not mcu.defines("BOOTLOADER_MCUBOOT")
    # names written with macros (`config $(module)_LOG_LEVEL`)
    assert rest.defines("MCUMGR_LOG_LEVEL") and not rest.defines("LOG_LEVEL")


def test_symbol_scan_text_forms():
    names, pats = west.scan_text("config A\n  menuconfig B  # c\n\tconfig C_D\nconfigX E\n"
                                 "# config F\nchoice G\nconfig $(x)_H\nconfig $(y)\n")
    assert names == {"A", "B", "C_D"}
    assert len(pats) == 1


def test_symbol_scan_cached_on_disk(tmp_path):
    ws = tmp_path / "ws"
    shutil.copytree(GOOD_WS, ws)
    first = west.workspace_symbols(ws)
    cached = list((tmp_path / "cache" / "west-kconfig").glob("*.json"))
    assert len(cached) == 1
    west.workspace_symbols.cache_clear()
    assert west.workspace_symbols(ws) == first
    # a broken cache file is ignored
    cached[0].write_text("not JSON")
    west.workspace_symbols.cache_clear()
    assert west.workspace_symbols(ws).rest.names == first.rest.names


def test_app_symbols_follow_rsource(tmp_path):
    (tmp_path / "common").mkdir()
    (tmp_path / "Kconfig").write_text('config APP_A\n\tbool "a"\nrsource "common/Kconfig.*"\n'
                                      'source "Kconfig.zephyr"\nosource "$(UNKNOWN)/Kconfig"\n')
    (tmp_path / "common" / "Kconfig.extra").write_text('config APP_B\n\tbool "b"\nrsource "../Kconfig"\n')
    syms = west.app_symbols(tmp_path, [tmp_path / "Kconfig"])
    assert syms.defines("APP_A") and syms.defines("APP_B")


def test_defined_for_images():
    app = describe_app(GOOD_WS / "app", boards=[BOARD])
    app_syms = west.defined_for(app, "app")
    mcu_syms = west.defined_for(app, "mcuboot")
    assert app_syms.defines("APP_UPDATE_WINDOW_S")          # the app's own Kconfig
    assert not mcu_syms.defines("APP_UPDATE_WINDOW_S")
    assert mcu_syms.defines("BOOT_SWAP_USING_MOVE") and mcu_syms.defines("FLASH")
    assert not app_syms.defines("BOOT_SWAP_USING_MOVE")


# ------------------------------------------------------------------ DFU411

def test_dfu411_triggers():
    found = [f for f in _codes(BAD_WS / "app", {"DFU411"})]
    where = {(f.span.path.name, f.span.line, f.image) for f in found}
    assert where == {("prj.conf", 4, "app"), ("mcuboot.conf", 2, "mcuboot")}
    assert all(f.evidence == "workspace" for f in found)
    assert all(f.fix for f in found)


def test_dfu411_clean():
    assert _codes(GOOD_WS / "app", {"DFU411"}) == []


def test_no_workspace_no_dfu411(tmp_path):
    app = tmp_path / "app"
    shutil.copytree(BAD_WS / "app", app)
    assert describe_app(app).west_root is None
    assert _codes(app, {"DFU411"}) == []


def test_extra_modules_silence_dfu411(tmp_path):
    ws = tmp_path / "ws"
    shutil.copytree(BAD_WS, ws)
    cm = ws / "app" / "CMakeLists.txt"
    cm.write_text('list(APPEND ZEPHYR_EXTRA_MODULES ${CMAKE_CURRENT_SOURCE_DIR}/../drivers)\n' + cm.read_text())
    assert _codes(ws / "app", {"DFU411"}) == []


def test_zephyr_base_points_at_workspace(tmp_path, monkeypatch):
    ws = tmp_path / "ws"
    shutil.copytree(BAD_WS, ws)
    shutil.rmtree(ws / ".west")
    app = tmp_path / "elsewhere" / "app"
    shutil.copytree(BAD_WS / "app", app)
    monkeypatch.setenv("ZEPHYR_BASE", str(ws / "zephyr"))
    codes = {(f.code, f.span.line) for f in _codes(app, {"DFU411"})}
    assert ("DFU411", 4) in codes


def test_odd_kconfig_files_do_not_crash(tmp_path):
    ws = tmp_path / "ws"
    shutil.copytree(GOOD_WS, ws)
    (ws / "zephyr" / "Kconfig.binary").write_bytes(b"config X\x00\xff\xfe")
    (ws / "zephyr" / "Kconfig.latin1").write_bytes(b"config Y\n\tprompt \"\xe9\"\n")
    (ws / "zephyr" / "Kconfig.empty").write_text("")
    syms = west.workspace_symbols(ws)
    assert syms.rest.defines("BOOTLOADER_MCUBOOT")
    assert _codes(ws / "app", {"DFU411"}) == []
