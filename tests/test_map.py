"""`dfulint map`: the flash map both images get and MCUboot's analysis, as text and JSON (seed)."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from dfulint.cli import cli

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "fixtures" / "seed_bl653_dvk"


def run_map(*args: str) -> str:
    res = CliRunner().invoke(cli, ["map", *args])
    assert res.exit_code == 0, res.output
    return res.output


@pytest.fixture(scope="module")
def seed_json() -> dict:
    return json.loads(run_map(str(SEED), "--format", "json"))


@pytest.fixture(scope="module")
def seed_text() -> str:
    return run_map(str(SEED))


def test_json_top_level_shape(seed_json):
    assert seed_json["version"] == 1
    assert len(seed_json["apps"]) == 1
    app = seed_json["apps"][0]
    for key in ("app", "board", "devices", "partitions", "mcuboot"):
        assert key in app
    assert app["board"].startswith("bl653_dvk")
    assert Path(app["app"]) == SEED.resolve()


def test_json_devices(seed_json):
    devs = {d["name"]: d for d in seed_json["apps"][0]["devices"]}
    internal, ext = devs["flash_primary"], devs["external_flash"]
    assert (internal["base"], internal["size"], internal["page_size"]) == (0, 0x80000, 0x1000)
    # the IS25 is 4 Mbit = 0x80000 bytes, laid out in the 4 KiB pages MCUboot's SPI NOR driver is given
    assert (ext["size"], ext["page_size"]) == (0x80000, 0x1000)
    assert ext["compatible"] == "jedec,spi-nor"


def test_json_partitions(seed_json):
    parts = {p["name"]: p for p in seed_json["apps"][0]["partitions"]}
    for p in parts.values():
        assert {"name", "device", "address", "size", "source"} <= set(p)
        assert isinstance(p["address"], int) and isinstance(p["size"], int)
    assert (parts["mcuboot"]["address"], parts["mcuboot"]["size"]) == (0, 0xc000)
    prim = parts["mcuboot_primary"]
    assert (prim["device"], prim["address"], prim["size"]) == ("flash_primary", 0xc000, 0x72000)
    assert prim["source"].startswith("dynamic")
    assert (parts["settings_storage"]["address"], parts["settings_storage"]["size"]) == (0x7e000, 0x2000)
    sec = parts["mcuboot_secondary"]
    assert (sec["device"], sec["address"], sec["size"]) == ("external_flash", 0, 0x39000)
    assert "pm_static.yml" in sec["source"]


def test_json_mcuboot_analysis(seed_json):
    m = seed_json["apps"][0]["mcuboot"]
    assert m["mode"] == "swap-move"
    assert m["max_img_sectors"] == 128
    assert m["trailer_size"] == 1584          # 128 x 3 x 4 + 48
    assert m["primary"]["size"] == 0x72000 and m["primary"]["sector_size"] == 0x1000
    assert m["primary"]["sectors"] == 114
    assert m["secondary"]["size"] == 0x39000 and m["secondary"]["sectors"] == 57
    assert m["secondary"]["sector_size"] == 0x1000
    assert m["upgrade_possible"] is False
    assert m["max_image_size"] is None
    codes = [r["code"] for r in m["reasons"]]
    assert codes == ["sector-count-incompatible"]
    r = m["reasons"][0]
    assert r["outcome"] == "refuses"
    assert r["log_line"] == "W: Cannot upgrade: not a compatible amount of sectors"


def test_text_table_bar_and_analysis(seed_text):
    lines = seed_text.splitlines()
    assert lines[0].startswith(str(Path("fixtures") / "seed_bl653_dvk")) or "seed_bl653_dvk" in lines[0]
    assert "NCS 1.9.99" in lines[0] and "child_image" in lines[0]
    # one device header, one bar, one table per device
    assert any(ln.strip().startswith("flash_primary: 0x0..0x80000 (512 KiB), 4 KiB pages") for ln in lines)
    assert any(ln.strip().startswith("external_flash: 0x0..0x80000 (512 KiB), 4 KiB pages") for ln in lines)
    bars = [ln.strip() for ln in lines if re.fullmatch(r"\s*\|[^|]{64}\|", ln)]
    assert len(bars) == 2
    row = next(ln for ln in lines if ln.strip().startswith("mcuboot_primary "))
    assert re.search(r"mcuboot_primary\s+0xc000\s+0x7e000\s+0x72000\s+456 KiB\s+dynamic", row)
    row = next(ln for ln in lines if ln.strip().startswith("mcuboot_secondary "))
    assert re.search(r"0x0\s+0x39000\s+0x39000\s+228 KiB\s+pm_static.yml", row)
    assert "MCUboot: swap-move" in seed_text and "BOOT_MAX_IMG_SECTORS=128 (needs >= 114)" in seed_text
    assert re.search(r"primary\s+mcuboot_primary\s+0x72000 \(456 KiB\) = 114 sectors of 4 KiB", seed_text)
    assert re.search(r"secondary\s+mcuboot_secondary\s+0x39000 \(228 KiB\) = 57 sectors of 4 KiB", seed_text)
    assert "NO upgrade possible" in seed_text
    assert '"W: Cannot upgrade: not a compatible amount of sectors"' in seed_text


def test_table_columns_are_aligned(seed_text):
    block = [ln for ln in seed_text.splitlines() if re.match(r"\s{4}(mcuboot|app|settings|external)", ln)]
    rows = [ln for ln in block if ln.strip().split()[0] in
            ("mcuboot", "mcuboot_primary", "mcuboot_pad", "app", "mcuboot_primary_app", "settings_storage")]
    assert len(rows) == 6
    # numbers are right-aligned: every start, end and size column ends at the same position
    for col in range(3):
        ends = {[m.end() for m in re.finditer(r"0x[0-9a-f]+", ln)][col] for ln in rows}
        assert len(ends) == 1, col


def test_map_json_over_a_dts_layout(tmp_path):
    (tmp_path / "prj.conf").write_text("CONFIG_BOOTLOADER_MCUBOOT=y\n")
    (tmp_path / "west.yml").write_text("manifest:\n  projects:\n    - name: zephyr\n      revision: v3.7.0\n")
    (tmp_path / "app.overlay").write_text(
        "&flash0 {\n\tpartitions {\n\t\tcompatible = \"fixed-partitions\";\n\t\t#address-cells = <1>;\n"
        "\t\t#size-cells = <1>;\n\t\tslot0_partition: partition@c000 {\n\t\t\treg = <0xc000 0x76000>;\n\t\t};\n"
        "\t\tslot1_partition: partition@82000 {\n\t\t\treg = <0x82000 0x76000>;\n\t\t};\n\t};\n};\n")
    data = json.loads(run_map(str(tmp_path), "--board", "nrf52840dk/nrf52840", "--format", "json"))
    app = data["apps"][0]
    names = {p["name"] for p in app["partitions"]}
    assert {"slot0_partition", "slot1_partition"} <= names
    m = app["mcuboot"]
    assert m["primary"]["sectors"] == 118 and m["secondary"]["sectors"] == 118
    assert m["upgrade_possible"] is True and m["max_image_size"] > 0
