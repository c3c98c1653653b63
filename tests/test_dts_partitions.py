"""Devicetree partitions as the build reads them: Zephyr 4.4 / NCS 3.4 `zephyr,mapped-partition` nodes
(in a `partitions { ranges; }` grouping node, nested in a parent partition), and partitions on a
flash device dfulint does not know, which stay on that device."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from dfulint.cli import cli
from helpers import make_app

ROOT = Path(__file__).resolve().parent.parent
APPS = ROOT / "fixtures" / "apps"
NRF54L = APPS / "ncs-3.4-sysbuild-nrf54l15-mapped-partitions"
NOR = APPS / "ncs-3.4-sysbuild-nrf9160-ns-board-nor"


def run(app: Path, *args: str) -> dict:
    res = CliRunner().invoke(cli, ["check", str(app), "--format", "json", "--isolated", *args])
    assert res.exit_code in (0, 1), res.output
    return json.loads(res.output)


def of(report: dict, code: str) -> list:
    return [f for f in report["findings"] if f["code"] == code]


def target(app: Path, board: str):
    from dfulint.model.project import build_targets
    from dfulint.workspace import describe_app

    (t,) = build_targets(describe_app(app, [board]))
    return t


def tree_of(tmp_path: Path, text: str):
    from dfulint.model.devicetree import build_tree
    from dfulint.sources.dts import parse_dts

    p = tmp_path / "x.overlay"
    p.write_text(text)
    return build_tree([parse_dts(p, allowed_roots=[tmp_path])])


MAPPED = """
&flash0 {
	partitions {
		ranges;
		#address-cells = <1>;
		#size-cells = <1>;

		boot_partition: partition@0 {
			compatible = "zephyr,mapped-partition";
			reg = <0x0 0x10000>;
		};
		slot0_partition: partition@10000 {
			compatible = "zephyr,mapped-partition";
			reg = <0x10000 0x70000>;
			ranges = <0x0 0x10000 0x70000>;
			#address-cells = <1>;
			#size-cells = <1>;

			slot0_s_partition: partition@0 {
				compatible = "zephyr,mapped-partition";
				reg = <0x0 0x40000>;
			};
			slot0_ns_partition: partition@40000 {
				compatible = "zephyr,mapped-partition";
				reg = <0x40000 0x30000>;
			};
		};
		storage_partition: partition@f8000 {
			compatible = "zephyr,mapped-partition";
			reg = <0xf8000 0x8000>;
			status = "disabled";
		};
	};
};

&flash1 {
	external_partition: partition@0 {
		compatible = "zephyr,mapped-partition";
		reg = <0x0 0x10000>;
	};
};
"""


def test_mapped_partitions_are_read_with_addresses_on_their_memory_node(tmp_path: Path):
    """zephyr,mapped-partition.yaml: partitions sit in the memory node directly, in a grouping node, or
    in a parent partition whose `ranges` maps their addresses; disabled ones are not in the flash map."""
    from dfulint.model.devicetree import fixed_partitions

    parts = {p.label: p for p in fixed_partitions(tree_of(tmp_path, MAPPED))}
    assert set(parts) == {"boot_partition", "slot0_partition", "slot0_s_partition", "slot0_ns_partition",
                          "external_partition"}
    assert (parts["slot0_ns_partition"].address, parts["slot0_ns_partition"].size) == (0x50000, 0x30000)
    assert parts["slot0_s_partition"].address == 0x10000
    assert parts["slot0_ns_partition"].parent == parts["slot0_partition"].path
    assert parts["slot0_partition"].parent is None and parts["slot0_partition"].mapped
    assert {p.flash_node for p in parts.values()} == {"&flash0", "&flash1"}
    assert parts["external_partition"].flash_node == "&flash1"


def test_an_address_outside_the_parents_ranges_is_left_untranslated_as_edtlib_does(tmp_path: Path):
    """Zephyr's edtlib translates a reg address through each parent's `ranges` and stops where no entry
    covers it; DT_MAPPED_PARTITION_OFFSET is then that raw address (a nested partition written with an
    offset past its parent's range lands there, not past the end of the flash)."""
    from dfulint.model.devicetree import fixed_partitions

    text = """
&flash0 {
	partitions {
		ranges;
		#address-cells = <1>;
		#size-cells = <1>;
		slot0_partition: partition@30000 {
			compatible = "zephyr,mapped-partition";
			reg = <0x30000 0xd0000>;
			ranges = <0x0 0x30000 0xd0000>;
			#address-cells = <1>;
			#size-cells = <1>;
			inside_partition: partition@c0000 {
				compatible = "zephyr,mapped-partition";
				reg = <0xc0000 0x4000>;
			};
			outside_partition: partition@f8000 {
				compatible = "zephyr,mapped-partition";
				reg = <0xf8000 0x4000>;
			};
		};
	};
};
"""
    parts = {p.label: p for p in fixed_partitions(tree_of(tmp_path, text))}
    assert parts["inside_partition"].address == 0xF0000
    assert parts["outside_partition"].address == 0xF8000


def test_fixed_partitions_children_are_read_once_even_when_marked_mapped(tmp_path: Path):
    """A board's `fixed-partitions` holder with children an overlay marked as mapped: each is one partition."""
    from dfulint.model.devicetree import fixed_partitions

    text = MAPPED.replace("ranges;\n\t\t#address", 'compatible = "fixed-partitions";\n\t\t#address', 1)
    labels = [p.label for p in fixed_partitions(tree_of(tmp_path, text))]
    assert labels.count("boot_partition") == 1 and labels.count("slot0_partition") == 1


def test_ncs34_mapped_slots_are_the_layout_not_cannot_tell():
    t = target(NRF54L, "nrf54l15dk/nrf54l15/cpuapp")
    assert t.flash.origin == "dts"
    assert (t.slots["primary"].address, t.slots["primary"].size) == (0xC000, 0xB7000)
    assert t.slots["secondary"].region == "flash_primary"
    assert t.boot is not None and t.boot.upgrade_possible
    (v,) = run(NRF54L, "--board", "nrf54l15dk/nrf54l15/cpuapp")["verdicts"]
    assert v["verdict"] == "apply", v


def test_ncs34_mapped_slots_are_checked_against_the_flash(tmp_path: Path):
    """Without reclaiming the FLPR core's RRAM the mapped slots run past the end of the flash."""
    app = tmp_path / NRF54L.name
    shutil.copytree(NRF54L, app)
    ov = app / "boards" / "nrf54l15dk_nrf54l15_cpuapp.overlay"
    ov.write_text(ov.read_text().replace("reg = <0x0 DT_SIZE_K(1524)>;", ""))
    found = of(run(app, "--board", "nrf54l15dk/nrf54l15/cpuapp"), "DFU102")
    assert {f["anchor"] for f in found} >= {"slot1_partition"}
    assert all(f["path"] == "boards/nrf54l15dk_nrf54l15_cpuapp.overlay" for f in found)


def test_partitions_on_a_board_nor_dfulint_does_not_know_stay_on_it():
    """slot1_partition at 0 on &w25q32jv is not on the internal flash, where boot_partition is at 0;
    MCUboot's only NOR driver and its layout page (sysbuild/mcuboot/prj.conf) give the NOR's sectors."""
    t = target(NOR, "circuitdojo_feather/nrf9160/ns")
    slot1 = t.flash.get("slot1_partition")
    assert slot1.region == "&w25q32jv"
    nor = t.flash.devices["&w25q32jv"]
    assert (nor.page_size, nor.write_block, nor.size) == (0x1000, 1, 0)
    assert "CONFIG_SPI_NOR_FLASH_LAYOUT_PAGE_SIZE=4096 (sysbuild/mcuboot/prj.conf:6" in nor.source
    assert t.flash.get("boot_partition").region == "flash_primary"
    assert t.flash.get("slot0_partition").span_of == ["slot0_s_partition", "slot0_ns_partition"]
    assert t.flash.get("slot0_ns_partition").address == 0x48000
    assert any("w25q32jv" in n and "size is not known" in n for n in t.flash.notes)
    assert t.boot is not None and t.boot.upgrade_possible
    report = run(NOR, "--board", "circuitdojo_feather/nrf9160/ns")
    assert not of(report, "DFU101") and not of(report, "DFU102")
    (v,) = report["verdicts"]
    assert v["verdict"] == "apply", v


def test_without_mcuboots_nor_page_the_unknown_device_is_not_checked(tmp_path: Path):
    app = tmp_path / NOR.name
    shutil.copytree(NOR, app)
    conf = app / "sysbuild" / "mcuboot" / "prj.conf"
    conf.write_text(conf.read_text().replace("CONFIG_SPI_NOR_FLASH_LAYOUT_PAGE_SIZE=4096\n", ""))
    t = target(app, "circuitdojo_feather/nrf9160/ns")
    assert t.flash.get("slot1_partition").region == "&w25q32jv" and "&w25q32jv" not in t.flash.devices
    assert t.boot is None            # the NOR's pages are unknown: MCUboot's laws are not applied
    report = run(app, "--board", "circuitdojo_feather/nrf9160/ns")
    assert not of(report, "DFU101") and not of(report, "DFU102")
    (v,) = report["verdicts"]
    assert v["verdict"] == "unknown" and "slot1_partition" in v["text"] and "w25q32jv" in v["text"]


def test_plain_zephyr_fixed_partitions_on_an_unknown_nor_are_not_internal_flash(tmp_path: Path):
    """The same with the older `fixed-partitions` holders, in plain Zephyr: no overlap is reported."""
    overlay = """
/delete-node/ &slot1_partition;

&flash0 {
	partitions {
		compatible = "fixed-partitions";
		#address-cells = <1>;
		#size-cells = <1>;
		boot_partition: partition@0 { label = "mcuboot"; reg = <0x0 0xc000>; };
		slot0_partition: partition@c000 { label = "image-0"; reg = <0xc000 0x76000>; };
	};
};
&w25q32jv {
	partitions {
		compatible = "fixed-partitions";
		#address-cells = <1>;
		#size-cells = <1>;
		slot1_partition: partition@0 { label = "image-1"; reg = <0x0 0x76000>; };
	};
};
"""
    app = make_app(tmp_path / "app", {
        "prj.conf": "CONFIG_BOOTLOADER_MCUBOOT=y\nCONFIG_FLASH=y\nCONFIG_SPI_NOR=y\n",
        "boards/nrf52840dk_nrf52840.overlay": overlay,
        "west.yml": "manifest:\n  projects:\n    - name: zephyr\n      url: https://github.com/zephyrproject-rtos/zephyr\n"
                    "      revision: v3.7.0\n      import: true\n",
    }, git=True)
    report = run(app, "--board", "nrf52840dk/nrf52840")
    assert not of(report, "DFU101"), of(report, "DFU101")
