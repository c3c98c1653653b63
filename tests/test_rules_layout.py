"""Partition layout (1xx) and MCUboot slot (2xx) rules, rule by rule, on small generated apps.

Each test writes the files a user would write, builds the model the way `dfulint check` does,
and runs one rule (or the family) on it: the finding must name the line to edit, state the
numbers, and give a fix with numbers.
"""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from dfulint import engine
from dfulint.checks import RULES, load_all
from dfulint.model.project import build_targets
from dfulint.workspace import describe_app

ROOT = Path(__file__).resolve().parent.parent

PRJ = """\
CONFIG_BT=y
CONFIG_MCUMGR=y
CONFIG_FLASH=y
CONFIG_FLASH_MAP=y
CONFIG_IMG_MANAGER=y
CONFIG_MCUBOOT_IMG_MANAGER=y
CONFIG_BOOTLOADER_MCUBOOT=y
"""
PRJ_SETTINGS = PRJ + "CONFIG_SETTINGS=y\nCONFIG_NVS=y\n"
QSPI_CHOSEN = "/ {\n\tchosen {\n\t\tnordic,pm-ext-flash = &mx25r64;\n\t};\n};\n"


def make(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text).lstrip("\n"))
    return root


def target(root: Path, board: str, sdk: str):
    app = describe_app(root, [board], sdk)
    return build_targets(app)[0]


def run(root: Path, board: str, sdk: str, codes=("DFU1", "DFU2")):
    """Findings of the selected rules, as the engine reports them."""
    sel, _ = __import__("dfulint.checks", fromlist=["expand"]).expand(codes)
    result = engine.Result()
    engine.check_app(root, engine.Options(select=sel, boards=(board,), sdk_version=sdk), result)
    assert not result.internal_errors, result.internal_errors
    return result.findings


def only(findings, code):
    return [f for f in findings if f.code == code]


def static_layout(primary=0x76000, pad=0x200, secondary=None, sec_addr=None, primary_app=None,
                  settings=(0xf8000, 0x8000), extra="") -> str:
    """A complete nRF52840 pm_static in the shape Partition Manager writes it."""
    secondary = primary if secondary is None else secondary
    sec_addr = 0xc000 + primary if sec_addr is None else sec_addr
    papp = primary - pad if primary_app is None else primary_app
    text = f"""\
mcuboot:
  address: 0x0
  size: 0xc000
mcuboot_pad:
  address: 0xc000
  size: 0x{pad:x}
app:
  address: 0x{0xc000 + pad:x}
  size: 0x{primary - pad:x}
mcuboot_primary:
  address: 0xc000
  size: 0x{primary:x}
  span: [mcuboot_pad, app]
mcuboot_primary_app:
  address: 0x{0xc000 + pad:x}
  size: 0x{papp:x}
  span: [app]
mcuboot_secondary:
  address: 0x{sec_addr:x}
  size: 0x{secondary:x}
"""
    if settings:
        text += f"settings_storage:\n  address: 0x{settings[0]:x}\n  size: 0x{settings[1]:x}\n"
    return text + extra


def line_of(path: Path, needle: str, after: str = "") -> int:
    lines = path.read_text().splitlines()
    start = next((i for i, ln in enumerate(lines) if after and ln.startswith(after)), -1) if after else -1
    for i in range(start + 1, len(lines)):
        if needle in lines[i]:
            return i + 1
    raise AssertionError(f"{needle!r} not in {path}")


def test_every_layout_and_slot_rule_has_a_page_and_a_stable_name():
    load_all()
    from dfulint.docs import page
    mine = [c for c in RULES if c.startswith(("DFU1", "DFU2"))]
    assert len(mine) >= 17
    for code in mine:
        text = page(code)
        assert text and text.startswith(f"# {code} {RULES[code].name}"), code
        for heading in ("## What it checks", "## What happens on the device", "## Example", "## Source"):
            assert heading in text, (code, heading)
    assert RULES["DFU201"].name == "slot-sectors-incompatible"


# ------------------------------------------------------------------ the seed


def test_seed_primary_dynamic_and_incompatible():
    seed = ROOT / "fixtures" / "seed_bl653_dvk"
    t = build_targets(describe_app(seed))[0]
    prim, sec = t.flash.get("mcuboot_primary"), t.flash.get("mcuboot_secondary")
    assert (prim.address, prim.size, prim.static) == (0xc000, 0x72000, False)
    assert (sec.size, sec.region, sec.static) == (0x39000, "external_flash", True)
    fs = run(seed, "bl653_dvk", "1.9.99")
    pin = only(fs, "DFU107")
    assert len(pin) == 1
    assert (pin[0].span.path.name, pin[0].span.line) == ("pm_static.yml", 6)
    msg = pin[0].message
    assert "0x72000" in msg and "mcuboot 0xc000" in msg and "settings_storage 0x2000" in msg and "0x80000" in msg
    assert "0x39000" in msg
    inc = only(fs, "DFU201")
    assert len(inc) == 1 and inc[0].severity.label == "error"
    assert (inc[0].span.path.name, inc[0].span.line) == ("pm_static.yml", 11)
    assert "114" in inc[0].message and "57" in inc[0].message
    assert "W: Cannot upgrade: not a compatible amount of sectors" in inc[0].message
    assert "pin mcuboot_primary" in inc[0].fix and "0x72000" in inc[0].fix
    # 114 sectors fit BOOT_MAX_IMG_SECTORS=128; the IS25 (4 Mbit = 0x80000) holds the secondary
    assert not only(fs, "DFU202") and not only(fs, "DFU102") and not only(fs, "DFU101")


# ------------------------------------------------------------------ DFU101


def test_overlap_reports_the_inner_partition_with_a_side_by_side_fix(tmp_path):
    make(tmp_path, {"prj.conf": PRJ_SETTINGS, "pm_static.yml": static_layout(
        extra="nvs_storage:\n  address: 0xf8000\n  size: 0x4000\n")})
    fs = only(run(tmp_path, "nrf52840dk/nrf52840", "2.5.0"), "DFU101")
    assert len(fs) == 1
    f = fs[0]
    assert f.span.line == line_of(tmp_path / "pm_static.yml", "address", after="nvs_storage")
    assert "nvs_storage" in f.message and "settings_storage" in f.message and "0x4000 (16 KiB)" in f.message
    assert "0xfc000" in f.fix


def test_overlap_ignores_containers_their_parts_and_the_region_placeholder(tmp_path):
    ext = ("mcuboot_secondary:\n  address: 0x0\n  size: 0x76000\n  region: external_flash\n"
           "external_flash:\n  address: 0x0\n  size: 0x800000\n  region: external_flash\n")
    layout = static_layout(settings=(0xf8000, 0x8000)).replace(
        "mcuboot_secondary:\n  address: 0x82000\n  size: 0x76000\n", "")
    layout += "littlefs_storage:\n  address: 0x82000\n  size: 0x76000\n" + ext
    make(tmp_path, {"prj.conf": PRJ_SETTINGS + "CONFIG_NORDIC_QSPI_NOR=y\n", "app.overlay": QSPI_CHOSEN,
                    "child_image/mcuboot.overlay": QSPI_CHOSEN, "pm_static.yml": layout})
    assert not only(run(tmp_path, "nrf52840dk/nrf52840", "2.5.0"), "DFU101")


def test_overlap_with_an_empty_filler_is_only_a_warning(tmp_path):
    make(tmp_path, {"prj.conf": PRJ_SETTINGS, "pm_static.yml": static_layout(settings=(0xf8000, 0x4000), extra=(
        "EMPTY_0:\n  address: 0xfc000\n  size: 0x4000\nmy_storage:\n  address: 0xfc000\n  size: 0x2000\n"))})
    fs = only(run(tmp_path, "nrf52840dk/nrf52840", "2.5.0"), "DFU101")
    assert len(fs) == 1 and fs[0].severity.label == "warning" and "EMPTY_0" in fs[0].message


# ------------------------------------------------------------------ DFU102


def test_past_end_names_each_partition_and_the_room_left(tmp_path):
    make(tmp_path, {"prj.conf": PRJ_SETTINGS, "pm_static.yml": static_layout()})
    fs = run(tmp_path, "nrf52833dk/nrf52833", "2.5.0")
    past = {f.anchor: f for f in only(fs, "DFU102")}
    assert {"mcuboot_secondary", "settings_storage"} <= set(past)
    f = past["mcuboot_secondary"]
    assert "0xf8000" in f.message and "0x78000 (480 KiB) past the end" in f.message and "0x80000" in f.message
    assert "Incorrect amount of gaps" in f.message
    assert f.span.line == line_of(tmp_path / "pm_static.yml", "size", after="mcuboot_secondary")
    # PM's own gap error is not repeated when the cause is a partition past the end
    assert not only(fs, "DFU108")


def test_flash_size_comes_from_a_project_reg_rewrite(tmp_path):
    """nRF54L15 projects reclaim the FLPR core's RRAM; the partitions up to 0x17d000 then fit."""
    t_default = target(make(tmp_path / "a", {"prj.conf": PRJ}), "nrf54l15dk/nrf54l15/cpuapp", "2.9.0")
    assert t_default.flash.devices["flash_primary"].size == 0x165000
    root = make(tmp_path / "b", {"prj.conf": PRJ, "boards/nrf54l15dk_nrf54l15_cpuapp.overlay":
                                 "&cpuapp_rram {\n\treg = <0x0 DT_SIZE_K(1524)>;\n};\n"})
    t = target(root, "nrf54l15dk/nrf54l15/cpuapp", "2.9.0")
    dev = t.flash.devices["flash_primary"]
    assert dev.size == 0x17d000 and "boards/nrf54l15dk_nrf54l15_cpuapp.overlay:2" in dev.source


# ------------------------------------------------------------------ DFU103


def test_misaligned_start_shared_page_is_an_error_with_page_numbers(tmp_path):
    make(tmp_path, {"prj.conf": PRJ_SETTINGS, "pm_static.yml": static_layout(
        primary=0x76200, secondary=0x75e00, settings=(0xf8000, 0x8000))})
    fs = {f.anchor: f for f in only(run(tmp_path, "nrf52840dk/nrf52840", "2.5.0"), "DFU103")}
    f = fs["mcuboot_secondary"]
    assert f.severity.label == "error"
    assert "0x82200" in f.message and "0x82000-0x83000" in f.message and "mcuboot_primary" in f.message
    assert "0x82000" in f.fix and "0x83000" in f.fix
    # the containers' members (mcuboot_pad, app) start mid-page by design and are not reported
    assert "mcuboot_pad" not in fs and "app" not in fs and "mcuboot_primary_app" not in fs


def test_rram_is_not_checked_for_pages(tmp_path):
    layout = static_layout(pad=0x800).replace("0xc000", "0xd800")
    make(tmp_path, {"prj.conf": PRJ, "sysbuild.conf": "SB_CONFIG_BOOTLOADER_MCUBOOT=y\n", "pm_static.yml": layout})
    assert not only(run(tmp_path, "nrf54l15dk/nrf54l15/cpuapp", "2.9.0"), "DFU103")


# ------------------------------------------------------------------ DFU104


def _tfm_layout(tfm_end: int) -> str:
    return f"""\
mcuboot:
  address: 0x0
  size: 0xc000
EMPTY_0:
  address: 0xc000
  size: 0x4000
mcuboot_pad:
  address: 0x10000
  size: 0x200
tfm:
  address: 0x10200
  size: 0x{tfm_end - 0x10200:x}
tfm_secure:
  address: 0x10000
  size: 0x{tfm_end - 0x10000:x}
  span: [mcuboot_pad, tfm]
tfm_nonsecure:
  address: 0x{tfm_end:x}
  size: 0x{0x80000 - tfm_end:x}
  span: [app]
mcuboot_primary:
  address: 0x10000
  size: 0x70000
  span: [mcuboot_pad, tfm, app]
mcuboot_secondary:
  address: 0x80000
  size: 0x70000
tfm_its:
  address: 0xf0000
  size: 0x2000
tfm_otp_nv_counters:
  address: 0xf2000
  size: 0x2000
tfm_ps:
  address: 0xf4000
  size: 0x4000
settings_storage:
  address: 0xf8000
  size: 0x2000
EMPTY_1:
  address: 0xfa000
  size: 0x6000
"""


def test_tfm_nonsecure_start_must_be_on_a_32k_spu_region_on_nrf9160(tmp_path):
    make(tmp_path, {"prj.conf": PRJ, "pm_static_nrf9160dk_nrf9160_ns.yml": _tfm_layout(0x1c200)})
    fs = only(run(tmp_path, "nrf9160dk/nrf9160/ns", "2.5.0"), "DFU104")
    assert len(fs) == 1
    f = fs[0]
    assert f.anchor == "tfm_nonsecure" and "0x1c200" in f.message and "32 KiB" in f.message
    assert "0x20000" in f.fix and "0x18000" in f.fix
    good = make(tmp_path / "good", {"prj.conf": PRJ, "pm_static_nrf9160dk_nrf9160_ns.yml": _tfm_layout(0x20000)})
    assert not only(run(good, "nrf9160dk/nrf9160/ns", "2.5.0"), "DFU104")


def test_spu_check_applies_to_nrf5340_at_16k_and_not_to_secure_builds(tmp_path):
    # 0x1c000 is on a 16 KiB nRF5340 region but not on a 32 KiB nRF91 one
    make(tmp_path, {"prj.conf": PRJ, "pm_static.yml": _tfm_layout(0x1c000)})
    assert not only(run(tmp_path, "nrf5340dk/nrf5340/cpuapp/ns", "2.5.0"), "DFU104")
    assert only(run(tmp_path, "nrf9160dk/nrf9160/ns", "2.5.0"), "DFU104")
    assert not only(run(tmp_path, "nrf9160dk/nrf9160", "2.5.0"), "DFU104")


# ------------------------------------------------------------------ DFU105


def test_primary_app_left_at_an_old_size(tmp_path):
    make(tmp_path, {"prj.conf": PRJ_SETTINGS, "pm_static.yml": static_layout(primary_app=0x70000)})
    fs = only(run(tmp_path, "nrf52840dk/nrf52840", "2.5.0"), "DFU105")
    assert len(fs) == 1
    assert "0xc200+0x75e00" in fs[0].message and "0x70000" in fs[0].message
    assert fs[0].span.line == line_of(tmp_path / "pm_static.yml", "size", after="mcuboot_primary_app")


def test_slot_container_starting_before_its_pad_is_an_error(tmp_path):
    layout = static_layout().replace("mcuboot_primary:\n  address: 0xc000", "mcuboot_primary:\n  address: 0xb000")
    make(tmp_path, {"prj.conf": PRJ_SETTINGS, "pm_static.yml": layout})
    fs = [f for f in only(run(tmp_path, "nrf52840dk/nrf52840", "2.5.0"), "DFU105") if f.anchor == "mcuboot_primary"]
    assert len(fs) == 1 and fs[0].severity.label == "error"
    assert "0xb000" in fs[0].message and "0xc000" in fs[0].fix


def test_static_app_entry_is_ignored_like_partition_manager_does(tmp_path):
    # Nordic's files keep a stale `app:` entry; Partition Manager drops it, so must we
    layout = static_layout().replace("\napp:\n  address: 0xc200\n  size: 0x75e00", "\napp:\n  address: 0x1000\n  size: 0xd7000", 1)
    make(tmp_path, {"prj.conf": PRJ_SETTINGS, "pm_static.yml": layout})
    assert not only(run(tmp_path, "nrf52840dk/nrf52840", "2.5.0"), "DFU105")


# ------------------------------------------------------------------ DFU106


def test_stale_end_address_is_info_with_the_right_value(tmp_path):
    layout = static_layout().replace("settings_storage:\n  address: 0xf8000\n",
                                     "settings_storage:\n  address: 0xf8000\n  end_address: 0xfe000\n")
    make(tmp_path, {"prj.conf": PRJ_SETTINGS, "pm_static.yml": layout})
    fs = only(run(tmp_path, "nrf52840dk/nrf52840", "2.5.0"), "DFU106")
    assert len(fs) == 1 and fs[0].severity.label == "info"
    assert "0x100000" in fs[0].fix and "end_address" in fs[0].message
    assert fs[0].span.line == line_of(tmp_path / "pm_static.yml", "end_address")


# ------------------------------------------------------------------ DFU107


def test_primary_not_pinned_is_info_when_the_slots_happen_to_match(tmp_path):
    # 512 KiB nRF52833 without settings: the dynamic primary is 0x74000, the pinned external secondary too
    make(tmp_path, {"prj.conf": PRJ + "CONFIG_NORDIC_QSPI_NOR=n\nCONFIG_SPI=y\nCONFIG_SPI_NOR=y\n"
                    "CONFIG_SPI_NOR_FLASH_LAYOUT_PAGE_SIZE=4096\n",
                    "pm_static.yml": "mcuboot_secondary:\n  address: 0x0\n  size: 0x74000\n  region: external_flash\n"})
    t = target(tmp_path, "nrf52833dk/nrf52833", "2.5.0")
    assert t.flash.get("mcuboot_primary").size == 0x74000
    fs = only(run(tmp_path, "nrf52833dk/nrf52833", "2.5.0"), "DFU107")
    assert len(fs) == 1 and fs[0].severity.label == "info"
    assert "compatible today" in fs[0].message


# ------------------------------------------------------------------ DFU108


def test_secondary_pinned_in_mid_flash_leaves_two_gaps(tmp_path):
    make(tmp_path, {"prj.conf": PRJ_SETTINGS, "pm_static.yml": "mcuboot_secondary:\n  address: 0x45000\n  size: 0x39000\n"})
    fs = run(tmp_path, "nrf52833dk/nrf52833", "2.5.0")
    err = only(fs, "DFU108")
    assert len(err) == 1 and "Incorrect amount of gaps" in err[0].message and "0x0-0x45000" in err[0].message
    assert err[0].span.line == 1 and "one free gap" in err[0].fix
    # the slot sizes after a failed placement are guesses: no slot findings on top
    assert not only(fs, "DFU201") and not only(fs, "DFU107")


# ------------------------------------------------------------------ DFU109


def test_dts_partitions_in_a_pm_project_are_reported_once_per_file(tmp_path):
    overlay = """\
&flash0 {
	partitions {
		compatible = "fixed-partitions";
		#address-cells = <1>;
		#size-cells = <1>;
		boot_partition: partition@0 {
			reg = <0x0 0x10000>;
		};
		slot0_partition: partition@10000 {
			reg = <0x10000 0x74000>;
		};
	};
};
"""
    make(tmp_path, {"prj.conf": PRJ, "west.yml": "manifest:\n  projects:\n    - name: nrf\n      revision: v2.5.0\n",
                    "boards/nrf52840dk_nrf52840.overlay": overlay})
    fs = only(run(tmp_path, "nrf52840dk/nrf52840", "2.5.0"), "DFU109")
    assert len(fs) == 1
    assert fs[0].span.line == 7
    assert "boot_partition 0x0+0x10000 (the build uses mcuboot 0x0+0xc000)" in fs[0].message
    assert "CONFIG_PM_PARTITION_SIZE" in fs[0].fix


def test_sysbuild_without_partition_manager_uses_the_devicetree(tmp_path):
    overlay = """\
&flash0 {
	partitions {
		compatible = "fixed-partitions";
		#address-cells = <1>;
		#size-cells = <1>;
		boot_partition: partition@0 {
			reg = <0x0 0xc000>;
		};
		slot0_partition: partition@c000 {
			reg = <0xc000 0x76000>;
		};
		slot1_partition: partition@82000 {
			reg = <0x82000 0x76000>;
		};
	};
};
"""
    make(tmp_path, {"prj.conf": PRJ, "sysbuild.conf": "SB_CONFIG_BOOTLOADER_MCUBOOT=y\nSB_CONFIG_PARTITION_MANAGER=n\n",
                    "app.overlay": overlay})
    t = target(tmp_path, "nrf52840dk/nrf52840", "3.1.0")
    assert not t.uses_pm and t.flash.origin == "dts"
    assert t.slots["primary"].size == 0x76000
    assert not only(run(tmp_path, "nrf52840dk/nrf52840", "3.1.0"), "DFU109")


# ------------------------------------------------------------------ DFU201 / DFU202 and where to set things


def test_plain_zephyr_dts_slots_follow_the_same_laws(tmp_path):
    def overlay(slot1):
        return f"""\
&flash0 {{
	partitions {{
		compatible = "fixed-partitions";
		#address-cells = <1>;
		#size-cells = <1>;
		boot_partition: partition@0 {{
			reg = <0x0 0xc000>;
		}};
		slot0_partition: partition@c000 {{
			reg = <0xc000 0x76000>;
		}};
		slot1_partition: partition@82000 {{
			reg = <0x82000 0x{slot1:x}>;
		}};
	}};
}};
"""
    west = "manifest:\n  projects:\n    - name: zephyr\n      revision: v3.7.0\n"
    bad = make(tmp_path / "bad", {"prj.conf": PRJ, "west.yml": west, "app.overlay": overlay(0x70000)})
    fs = only(run(bad, "nrf52840dk/nrf52840", "3.7.0"), "DFU201")
    assert len(fs) == 1 and fs[0].span.path.name == "app.overlay" and fs[0].span.line == 13
    assert "118" in fs[0].message and "112" in fs[0].message and "0x76000" in fs[0].fix
    good = make(tmp_path / "good", {"prj.conf": PRJ, "west.yml": west, "app.overlay": overlay(0x75000)})
    assert not only(run(good, "nrf52840dk/nrf52840", "3.7.0"), "DFU201")


@pytest.mark.parametrize("layout,where,line", [
    ("child", "child_image/mcuboot.conf", 1),
    ("sysbuild", "sysbuild/mcuboot.conf", 1),
    ("sysbuild-dir", "sysbuild/mcuboot/prj.conf", 1),
    ("existing", "child_image/mcuboot/prj.conf", 2),
])
def test_max_img_sectors_names_the_file_for_this_build_system(tmp_path, layout, where, line):
    files = {"prj.conf": PRJ + "CONFIG_NORDIC_QSPI_NOR=y\n", "app.overlay": QSPI_CHOSEN}
    qspi = "CONFIG_NORDIC_QSPI_NOR=y\nCONFIG_NORDIC_QSPI_NOR_FLASH_LAYOUT_PAGE_SIZE=4096\n"
    sdk = "2.5.0"
    if layout == "child":
        files.update({"child_image/mcuboot.overlay": QSPI_CHOSEN, "child_image/mcuboot.conf": qspi})
    elif layout == "existing":
        files.update({"child_image/mcuboot.overlay": QSPI_CHOSEN,
                      "child_image/mcuboot/prj.conf": "CONFIG_MAIN_STACK_SIZE=10240\nCONFIG_BOOT_MAX_IMG_SECTORS=128\n"
                      + qspi})
    else:
        sdk = "2.7.0"
        files["sysbuild.conf"] = "SB_CONFIG_BOOTLOADER_MCUBOOT=y\nSB_CONFIG_PM_EXTERNAL_FLASH_MCUBOOT_SECONDARY=y\n"
        if layout == "sysbuild":
            files.update({"sysbuild/mcuboot.overlay": QSPI_CHOSEN})
        else:
            files.update({"sysbuild/mcuboot/app.overlay": QSPI_CHOSEN, "sysbuild/mcuboot/boards/.keep": ""})
            files["sysbuild/mcuboot.conf"] = qspi     # appended even when the folder replaces the defaults
    make(tmp_path, files)
    fs = only(run(tmp_path, "nrf52840dk/nrf52840", sdk), "DFU202")
    assert len(fs) == 1, [f.message for f in fs]
    f = fs[0]
    assert (f.span.path.relative_to(tmp_path).as_posix(), f.span.line) == (where, line)
    assert "NOTHING BOOTS" in f.message and "244" in f.message
    assert "Failed reading sectors; BOOT_MAX_IMG_SECTORS=128 - too small?" in f.message
    assert "CONFIG_BOOT_MAX_IMG_SECTORS=244" in f.fix and where in f.fix


def test_max_img_sectors_in_the_application_is_pointed_out(tmp_path):
    make(tmp_path, {"prj.conf": PRJ + "CONFIG_NORDIC_QSPI_NOR=y\nCONFIG_BOOT_MAX_IMG_SECTORS=256\n",
                    "app.overlay": QSPI_CHOSEN, "child_image/mcuboot.overlay": QSPI_CHOSEN,
                    "child_image/mcuboot.conf": "CONFIG_NORDIC_QSPI_NOR=y\nCONFIG_NORDIC_QSPI_NOR_FLASH_LAYOUT_PAGE_SIZE=4096\n"})
    fs = only(run(tmp_path, "nrf52840dk/nrf52840", "2.5.0"), "DFU202")
    assert len(fs) == 1 and "prj.conf:9 configures the application, not MCUboot" in fs[0].message


def test_board_files_of_mcuboot_raise_the_sector_table(tmp_path):
    """Thingy:53's MCUboot board file sets BOOT_MAX_IMG_SECTORS=2048 unless the project replaces it."""
    make(tmp_path, {"prj.conf": PRJ})
    t = target(tmp_path, "thingy53/nrf5340/cpuapp", "2.5.0")
    assert t.boot_params.max_img_sectors == 2048


# ------------------------------------------------------------------ DFU203-DFU208


def _nor64_sysbuild(extra_sb="", extra_mcu="", pm_static=None, sdk_page=65536):
    files = {"prj.conf": PRJ + "CONFIG_NORDIC_QSPI_NOR=y\n", "app.overlay": QSPI_CHOSEN,
             "sysbuild.conf": "SB_CONFIG_BOOTLOADER_MCUBOOT=y\nSB_CONFIG_PM_EXTERNAL_FLASH_MCUBOOT_SECONDARY=y\n"
             + extra_sb,
             "sysbuild/mcuboot.overlay": QSPI_CHOSEN,
             "sysbuild/mcuboot.conf": f"CONFIG_NORDIC_QSPI_NOR=y\nCONFIG_NORDIC_QSPI_NOR_FLASH_LAYOUT_PAGE_SIZE={sdk_page}\n"
             "CONFIG_BOOT_MAX_IMG_SECTORS=256\n" + extra_mcu}
    if pm_static:
        files["pm_static.yml"] = pm_static
    return files


def test_scratch_chunk_not_a_multiple_of_the_nor_page(tmp_path):
    bad = make(tmp_path / "bad", _nor64_sysbuild("SB_CONFIG_MCUBOOT_MODE_SWAP_SCRATCH=y\n"))
    fs = only(run(bad, "nrf52840dk/nrf52840", "2.7.0"), "DFU203")
    assert len(fs) == 1
    f = fs[0]
    assert (f.span.path.name, f.span.line) == ("mcuboot.conf", 1)
    assert "0x1e000" in f.message and "64 KiB" in f.message
    assert "CONFIG_PM_PARTITION_SIZE_MCUBOOT_SCRATCH" in f.fix and "0x20000" in f.fix
    good = make(tmp_path / "good", _nor64_sysbuild("SB_CONFIG_MCUBOOT_MODE_SWAP_SCRATCH=y\n",
                                                   "CONFIG_PM_PARTITION_SIZE_MCUBOOT_SCRATCH=0x20000\n"))
    assert not only(run(good, "nrf52840dk/nrf52840", "2.7.0"), "DFU203")


def test_nor_pages_brick_from_ncs_31_but_only_refuse_before(tmp_path):
    make(tmp_path, _nor64_sysbuild())
    new = only(run(tmp_path, "nrf52840dk/nrf52840", "3.1.0"), "DFU204")
    assert len(new) == 1 and new[0].severity.label == "error" and new[0].message.startswith("NOTHING BOOTS")
    assert "Image in the primary slot is not valid!" in new[0].message
    assert "CONFIG_NORDIC_QSPI_NOR_FLASH_LAYOUT_PAGE_SIZE=4096" in new[0].fix
    assert (new[0].span.path.name, new[0].span.line) == ("mcuboot.conf", 2)
    assert not only(run(tmp_path, "nrf52840dk/nrf52840", "2.7.0"), "DFU204")


def _ow_static(primary, secondary):
    return (f"mcuboot:\n  address: 0x0\n  size: 0xc000\nmcuboot_pad:\n  address: 0xc000\n  size: 0x200\n"
            f"mcuboot_primary:\n  address: 0xc000\n  size: 0x{primary:x}\n  span: [mcuboot_pad, app]\n"
            f"storage:\n  address: 0x{0xc000 + primary:x}\n  size: 0x{0xf4000 - primary:x}\n"
            f"mcuboot_secondary:\n  address: 0x0\n  size: 0x{secondary:x}\n  region: external_flash\n")


def test_overwrite_only_larger_secondary_and_partial_page(tmp_path):
    sb = "SB_CONFIG_MCUBOOT_MODE_OVERWRITE_ONLY=y\n"
    larger = make(tmp_path / "larger", _nor64_sysbuild(sb, pm_static=_ow_static(0xe8000, 0xf0000)))
    fs = run(larger, "nrf52840dk/nrf52840", "2.7.0")
    w = only(fs, "DFU205")
    assert len(w) == 1 and w[0].severity.label == "warning"
    assert "0xf0000" in w[0].message and "0xe8000" in w[0].fix
    partial = make(tmp_path / "partial", _nor64_sysbuild(sb, pm_static=_ow_static(0xe8000, 0xe8000)))
    fs = run(partial, "nrf52840dk/nrf52840", "2.7.0")
    p = only(fs, "DFU206")
    assert len(p) == 1 and "0xe0000" in p[0].fix and "0xf0000" in p[0].fix and not only(fs, "DFU205")
    whole = make(tmp_path / "whole", _nor64_sysbuild(sb, pm_static=_ow_static(0xe0000, 0xe0000)))
    fs = run(whole, "nrf52840dk/nrf52840", "2.7.0")
    assert not only(fs, "DFU205") and not only(fs, "DFU206") and not only(fs, "DFU201")


def test_tiny_slots_leave_no_room(tmp_path):
    make(tmp_path, {"prj.conf": PRJ, "pm_static.yml": (
        "mcuboot:\n  address: 0x0\n  size: 0xc000\nmcuboot_pad:\n  address: 0xc000\n  size: 0x200\n"
        "mcuboot_primary:\n  address: 0xc000\n  size: 0x1000\n  span: [mcuboot_pad, app]\n"
        "mcuboot_secondary:\n  address: 0xd000\n  size: 0x1000\nstorage:\n  address: 0xe000\n  size: 0xf2000\n")})
    fs = only(run(tmp_path, "nrf52840dk/nrf52840", "2.5.0"), "DFU207")
    assert len(fs) == 1 and "1584 B" in fs[0].message


def test_pad_against_sysbuild_header_size(tmp_path):
    bad = make(tmp_path / "bad", {"prj.conf": PRJ_SETTINGS, "sysbuild.conf": "SB_CONFIG_BOOTLOADER_MCUBOOT=y\n",
                                  "pm_static.yml": static_layout(pad=0x800)})
    fs = only(run(bad, "nrf52840dk/nrf52840", "2.7.0"), "DFU208")
    assert len(fs) == 1
    assert "0x800" in fs[0].message and "0x200" in fs[0].message
    assert "SB_CONFIG_PM_MCUBOOT_PAD=0x800" in fs[0].fix
    assert fs[0].span.line == line_of(bad / "pm_static.yml", "size", after="mcuboot_pad")
    # child images sign with the pad partition's own size: nothing to compare
    child = make(tmp_path / "child", {"prj.conf": PRJ_SETTINGS, "pm_static.yml": static_layout(pad=0x800)})
    assert not only(run(child, "nrf52840dk/nrf52840", "2.5.0"), "DFU208")
    # nRF54L's default pad and header are both 0x800
    l54 = make(tmp_path / "l54", {"prj.conf": PRJ, "sysbuild.conf": "SB_CONFIG_BOOTLOADER_MCUBOOT=y\n"})
    assert not only(run(l54, "nrf54l15dk/nrf54l15/cpuapp", "2.9.0"), "DFU208")


# ------------------------------------------------------------------ robustness


def test_network_core_targets_reading_an_app_core_layout_are_skipped(tmp_path):
    make(tmp_path, {"prj.conf": PRJ_SETTINGS, "pm_static.yml": static_layout()})
    fs = run(tmp_path, "nrf5340dk/nrf5340/cpunet", "2.5.0")
    assert not fs


@pytest.mark.parametrize("text", [
    "mcuboot_secondary:\n  address: 0X1000\n  size: \"0x1000\"\n",
    "mcuboot_primary:\n  span: [a, b]\n",
    "mcuboot_secondary: 12\n",
    "- not\n- a mapping\n",
    "mcuboot_secondary:\n  address: -0x1000\n  size: 0x0\n",
    "",
])
def test_odd_pm_static_files_never_crash_a_rule(tmp_path, text):
    make(tmp_path, {"prj.conf": PRJ_SETTINGS, "pm_static.yml": text})
    for board in ("nrf52840dk/nrf52840", "nrf9160dk/nrf9160/ns", "nrf54l15dk/nrf54l15/cpuapp"):
        for f in run(tmp_path, board, "2.5.0", codes=("DFU1", "DFU2")):
            assert f.fix and f.span.line >= 1
