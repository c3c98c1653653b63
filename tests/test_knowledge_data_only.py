"""Vendor facts are data: a SoC of a known family is added by a row in knowledge/socs.yaml, with no
code change, and every stage picks it up (SoC detection from a custom board's devicetree include,
flash geometry, peripherals the Kconfig evaluation sees, bus clocks of its family)."""
from __future__ import annotations

import functools
from types import SimpleNamespace

import pytest

from dfulint import knowledge
from dfulint.engine import Options, run
from helpers import write_tree

# A SoC dfulint has no row for, written as a row like the others (the numbers are the test's own:
# 768 KiB of flash makes its geometry visible in the findings).
NEW_ROW = {
    "name": "nrf9199", "family": "nrf91", "dts_chip": "nrf9199", "flash_base": 0x0, "flash_size": 0xC0000,
    "page_size": 0x1000, "write_block": 4, "fprotect_block": 0x8000, "pm_supported": True,
    "mcuboot_pad": 0x200, "has_qspi": False, "cryptocell": "cc310", "nvm": "flash",
    "flash_region_device": "flash_controller", "source": "test row: a SoC of the nRF91 family",
}


def _clear_caches():
    for obj in vars(knowledge).values():
        if isinstance(obj, functools._lru_cache_wrapper):
            obj.cache_clear()


@pytest.fixture
def new_soc_row(monkeypatch):
    real = knowledge.load_table

    def load_table(path):
        data = real(path)
        if getattr(path, "name", "") == "socs.yaml":
            data = dict(data)
            data["socs"] = list(data["socs"]) + [NEW_ROW]
        return data

    monkeypatch.setattr(knowledge, "load_table", load_table)
    _clear_caches()
    yield
    monkeypatch.undo()
    _clear_caches()


def test_a_soc_row_is_all_it_takes(new_soc_row):
    soc = knowledge.soc("nrf9199")
    assert soc is not None and soc.family == "nrf91" and soc.flash_size == 0xC0000
    assert knowledge.soc_for_dts_include("nordic/nrf9199_laca.dtsi").name == "nrf9199"
    # the Kconfig evaluation's SoC facts come from the row
    from dfulint.model.kconfig import _fact_values

    v = _fact_values("nrf91", {"soc": "nrf9199"})
    assert v["HAS_HW_NRF_CC310"] is True and v["HAS_HW_NRF_QSPI"] is False
    # and the family's bus clocks apply to it
    from dfulint.model.extflash import spim_max

    bus = SimpleNamespace(compatibles=lambda: ["nordic,nrf-spim"], labels={"spi3"}, unit_address=0x8000)
    assert spim_max(SimpleNamespace(soc=soc), bus) == knowledge.soc_family("nrf91").spim_max_hz


BOARD_DTS = """/dts-v1/;
#include <nordic/nrf9199_laca.dtsi>

/ {
	model = "Acme cellular tracker";
	compatible = "acme,cell-tracker";
	chosen {
		zephyr,flash = &flash0;
		zephyr,code-partition = &slot0_partition;
	};
};
"""

PM_STATIC = """mcuboot:
  address: 0x0
  size: 0xc000
  region: flash_primary
mcuboot_primary:
  address: 0xc000
  size: 0x70000
  region: flash_primary
mcuboot_secondary:
  address: 0x7c000
  size: 0x70000
  region: flash_primary
"""


def test_a_custom_board_on_the_new_soc_is_checked_against_its_row(tmp_path, new_soc_row):
    app = write_tree(tmp_path / "tracker", {
        "CMakeLists.txt": "cmake_minimum_required(VERSION 3.20.0)\nfind_package(Zephyr)\nproject(t)\n",
        "prj.conf": "CONFIG_BOOTLOADER_MCUBOOT=y\n",
        "pm_static.yml": PM_STATIC,
        "boards/acme/acme_cell/acme_cell.dts": BOARD_DTS,
        "boards/acme/acme_cell/acme_cell_defconfig": "CONFIG_SOC_NRF9199_LACA=y\n",
        "boards/acme/acme_cell/board.yml": "board:\n  name: acme_cell\n  vendor: acme\n  socs:\n    - name: nrf9199\n",
    })
    res = run([app], Options(boards=("acme_cell",), sdk_version="2.8.0", select={"DFU102"}))
    assert not res.internal_errors
    (target,) = res.apps[0].targets
    assert target.soc is not None and target.soc.name == "nrf9199"
    past = [f for f in res.findings if f.code == "DFU102"]
    # mcuboot_secondary ends at 0xec000, past the row's 768 KiB (0xc0000)
    assert past and "mcuboot_secondary" in past[0].message


def test_nrf5340_has_cryptocell_312_so_child_image_mcuboot_defaults_to_rsa(tmp_path):
    """NCS's MCUboot defaults to ECDSA P-256 only on SoCs with CryptoCell 310 (nRF52840, nRF91);
    the nRF5340 has a CryptoCell 312, so its MCUboot signs with RSA unless told otherwise."""
    from dfulint.model.kconfig import _fact_values

    assert knowledge.soc("nrf5340_cpuapp").cryptocell == "cc312"
    assert _fact_values("nrf53", {"soc": "nrf5340_cpuapp"})["HAS_HW_NRF_CC310"] is False
    assert _fact_values("nrf52", {"soc": "nrf52840"})["HAS_HW_NRF_CC310"] is True
    app = write_tree(tmp_path / "app", {
        "CMakeLists.txt": "cmake_minimum_required(VERSION 3.20.0)\nfind_package(Zephyr)\nproject(t)\n",
        "prj.conf": "CONFIG_BOOTLOADER_MCUBOOT=y\n",
    })
    keys = {}
    for board in ("nrf5340dk_nrf5340_cpuapp", "nrf52840dk_nrf52840"):
        res = run([app], Options(boards=(board,), sdk_version="2.6.0", select={"DFU702"}))
        (f,) = [f for f in res.findings if f.code == "DFU702"]
        keys[board] = f.message
    assert "root-rsa-2048.pem" in keys["nrf5340dk_nrf5340_cpuapp"]
    assert "root-ec-p256.pem" in keys["nrf52840dk_nrf52840"]


def test_a_new_soc_family_and_a_new_partition_kind_are_rows(monkeypatch):
    """A SoC family (its name as a SoC-name prefix and its SOC_SERIES_* fact) and the kinds of
    Partition Manager's partition names come from tables: one row each, no code."""
    from dfulint.model import kconfig as kc
    from dfulint.model import layout

    real = knowledge.load_table

    def load_table(path):
        data = real(path)
        name = getattr(path, "name", "")
        if name == "soc_families.yaml":
            data = dict(data, series=list(data["series"]) + [{"family": "nrf99", "kconfig": "SOC_SERIES_NRF99"}])
        elif name == "partitions.yaml":
            data = dict(data, secure=list(data["secure"]) + ["tfm_new_area"])
        return data

    assert kc._family_of(None, "nrf9912_cpuapp") is None
    assert not layout.is_secure("tfm_new_area")
    monkeypatch.setattr(knowledge, "load_table", load_table)
    _clear_caches()
    try:
        assert kc._family_of(None, "nrf9912_cpuapp") == "nrf99"
        assert kc._fact_values(None, {"soc": "nrf9912_cpuapp"})["SOC_SERIES_NRF99"] is True
        assert kc._fact_values(None, {"soc": "nrf52840"}).get("SOC_SERIES_NRF99") is False
        assert layout.is_secure("tfm_new_area") and layout.is_secure("tfm")
    finally:
        monkeypatch.undo()
        _clear_caches()
