import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from dfulint import knowledge as k

KDIR = Path(k.__file__).resolve().parent
KiB = 1024
MiB = 1024 * 1024


# ------------------------------------------------------------------ data files

def _rows(fname, key):
    data = yaml.safe_load((KDIR / fname).read_text(encoding="utf-8"))
    return data, data[key]


def test_loader_reports_no_problems():
    assert k.validate() == []


def test_every_soc_row_has_a_source():
    _, rows = _rows("socs.yaml", "socs")
    assert len(rows) >= 15
    for row in rows:
        assert str(row.get("source", "")).strip(), row["name"]


def test_every_board_row_has_a_source_directly_or_through_like():
    _, rows = _rows("boards.yaml", "boards")
    by_name = {r["name"]: r for r in rows}
    for row in rows:
        r = row
        while not str(r.get("source", "")).strip() and r.get("like"):
            r = by_name[r["like"]]
        assert str(r.get("source", "")).strip(), row["name"]
        for rev, extra in (row.get("revisions") or {}).items():
            assert str(extra.get("source", "")).strip(), (row["name"], rev)
    for b in k.boards():
        assert b.source.strip(), b.name


def test_every_jedec_row_has_a_known_source():
    data, rows = _rows("jedec.yaml", "parts")
    sources = data["sources"]
    assert len(rows) >= 100
    for row in rows + data["manufacturers"]:
        src = str(row.get("source", "")).strip()
        assert src, row
        # a short tag must be defined; anything longer is a free-text citation
        if " " not in src:
            assert src in sources, row


def test_yaml_is_loaded_lazily():
    code = "import sys, dfulint.knowledge; print('yaml' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=str(KDIR.parent.parent), check=True)
    assert out.stdout.strip() == "False"


# ------------------------------------------------------------------ SoCs

def test_nrf52833_geometry():
    s = k.soc("nrf52833")
    assert s.flash_size == 512 * KiB
    assert s.page_size == 4 * KiB
    assert s.write_block == 4
    assert s.family == "nrf52"
    assert s.has_qspi is False
    assert s.pm_supported


def test_nrf52840_geometry():
    s = k.soc("nrf52840")
    assert s.flash_size == 1 * MiB
    assert s.page_size == 4096
    assert s.fprotect_block == 0x1000
    assert s.mcuboot_pad == 0x200
    assert s.has_qspi
    assert s.flash_region_device == "flash_controller"


def test_nrf5340_cores():
    app = k.soc("nrf5340_cpuapp")
    net = k.soc("nrf5340_cpunet")
    assert app.flash_size == 1 * MiB and app.fprotect_block == 0x4000 and app.has_qspi
    assert net.flash_base == 0x01000000
    assert net.page_size == 2 * KiB
    assert net.flash_size == 256 * KiB


@pytest.mark.parametrize("name", ["nrf9160", "nrf9161", "nrf9151"])
def test_nrf91_fprotect(name):
    s = k.soc(name)
    assert s.fprotect_block == 0x8000
    assert s.flash_size == 1 * MiB
    assert s.family == "nrf91"


def test_nrf54l15_rram():
    s = k.soc("nrf54l15_cpuapp")
    assert s.write_block == 16
    assert s.mcuboot_pad == 0x800
    assert s.page_size == 4096
    assert s.nvm == "rram"
    assert s.flash_region_device == "rram_controller"
    assert s.flash_size == 1524 * KiB
    # the SoC devicetree keeps 96 KiB for the FLPR core by default
    assert s.default_flash_size == 1428 * KiB
    assert s.app_flash_size == 1428 * KiB
    assert k.soc("nrf54l10_cpuapp").flash_size == 1012 * KiB
    assert k.soc("nrf54l05_cpuapp").flash_size == 500 * KiB
    assert k.soc("nrf54lm20a_cpuapp").flash_size == 2036 * KiB


def test_nrf54h_has_no_partition_manager():
    s = k.soc("nrf54h20_cpuapp")
    assert s.pm_supported is False
    assert s.nvm == "mram"


def test_fields_are_consistent():
    for s in k.socs():
        assert s.flash_size % s.page_size == 0, s.name
        assert s.write_block in (4, 16), s.name
        assert s.nvm in ("flash", "rram", "mram"), s.name
        if s.pm_supported:
            assert s.flash_region_device in ("flash_controller", "rram_controller"), s.name
            assert s.fprotect_block and s.fprotect_block % s.page_size == 0, s.name
        assert s.app_flash_size <= s.flash_size


def test_bare_chip_name_means_the_application_core():
    assert k.soc("nrf5340").name == "nrf5340_cpuapp"
    assert k.soc("nRF54L15").name == "nrf54l15_cpuapp"


def test_unknown_soc():
    assert k.soc("nrf99999") is None
    assert k.soc("") is None


@pytest.mark.parametrize("include, name", [
    ("<nordic/nrf52840_qiaa.dtsi>", "nrf52840"),
    ("nordic/nrf5340_cpuapp_qkaa.dtsi", "nrf5340_cpuapp"),
    ("<nordic/nrf5340_cpuappns_qkaa.dtsi>", "nrf5340_cpuapp"),
    ("nordic/nrf5340_cpunet_qkaa.dtsi", "nrf5340_cpunet"),
    ("<nordic/nrf54l15_cpuapp.dtsi>", "nrf54l15_cpuapp"),
    ("<nordic/nrf54l05_cpuapp.dtsi>", "nrf54l05_cpuapp"),
    ("<nordic/nrf54lm20a_enga_cpuapp.dtsi>", "nrf54lm20a_cpuapp"),
    ("<nordic/nrf9160ns_sica.dtsi>", "nrf9160"),
    ("<nordic/nrf9161_laca.dtsi>", "nrf9161"),
    ("<nordic/nrf52833_qiaa.dtsi>", "nrf52833"),
    ("<nordic/nrf54h20_cpuapp.dtsi>", "nrf54h20_cpuapp"),
])
def test_soc_for_dts_include(include, name):
    assert k.soc_for_dts_include(include).name == name


@pytest.mark.parametrize("include", [
    "<nordic/nrf52840_partition.dtsi>", "nrf54l_05_10_15_cpuapp_common.dtsi",
    "<nordic/nrf54l15_cpuflpr.dtsi>", "<nordic/nrf54h20_cpurad.dtsi>",
    "<arm/armv8-m.dtsi>", "", "<zephyr/dt-bindings/input/input-event-codes.h>",
])
def test_soc_for_dts_include_rejects_other_files(include):
    assert k.soc_for_dts_include(include) is None


def test_package_variant_with_less_flash():
    s = k.soc_for_dts_include("<nordic/nrf52832_qfab.dtsi>")
    assert s.name == "nrf52832" and s.variant == "qfab" and s.flash_size == 256 * KiB
    assert k.soc_for_dts_include("<nordic/nrf52832_qfaa.dtsi>").flash_size == 512 * KiB


@pytest.mark.parametrize("text, name", [
    ("nrf52833", "nrf52833"),
    ("NRF52840_QIAA", "nrf52840"),
    ("nrf52833dk_nrf52820", "nrf52820"),
    ("nrf9160dk_nrf52840", "nrf52840"),
    ("my_custom_nrf5340_cpunet", "nrf5340_cpunet"),
    ("acme_nrf5340_cpuapp_ns", "nrf5340_cpuapp"),
    ("sensor_nrf54l15_cpuapp", "nrf54l15_cpuapp"),
    ("kestrel_nrf9151_ns", "nrf9151"),
    ("bl653_dvk", "nrf52833"),           # known board, no SoC in the name
])
def test_soc_for_name_hint(text, name):
    assert k.soc_for_name_hint(text).name == name


@pytest.mark.parametrize("text", ["frdm_k64f", "esp32c3_devkitm", "nrf54h20dk_nrf54h20_cpurad", "", "native_sim"])
def test_soc_for_name_hint_unknown(text):
    assert k.soc_for_name_hint(text) is None


# ------------------------------------------------------------------ board names

@pytest.mark.parametrize("a, b", [
    ("nrf52840dk_nrf52840", "nrf52840dk/nrf52840"),
    ("nrf5340dk_nrf5340_cpuapp_ns", "nrf5340dk/nrf5340/cpuapp/ns"),
    ("nrf9160dk_nrf9160_ns", "nrf9160dk/nrf9160/ns"),
    ("nrf54l15dk_nrf54l15_cpuapp", "nrf54l15dk/nrf54l15/cpuapp"),
    ("nrf54l15pdk_nrf54l15_cpuapp", "nrf54l15dk/nrf54l15/cpuapp"),
    ("nrf5340dk_nrf5340_cpuappns", "nrf5340dk/nrf5340/cpuapp/ns"),
    ("thingy91x_nrf9151_ns", "thingy91x/nrf9151/ns"),
    ("nrf52840dk", "nrf52840dk/nrf52840"),
    ("xiao_ble", "xiao_ble/nrf52840"),
    ("bl653_dvk", "bl653_dvk/nrf52833"),
    ("bl5340_dvk_cpuapp", "bl5340_dvk/nrf5340/cpuapp"),     # SoC left out (single-SoC board)
    ("bl5340_dvk/cpuapp", "bl5340_dvk/nrf5340/cpuapp"),
    ("thingy53_cpuapp_ns", "thingy53/nrf5340/cpuapp/ns"),
])
def test_both_name_forms_resolve_to_the_same_board(a, b):
    ba, bb = k.board(a), k.board(b)
    assert ba is not None and ba == bb


def test_boards_and_nodes_are_hashable():
    b = k.board("nrf52840dk/nrf52840")
    assert len({b, k.board("nrf52840dk_nrf52840")}) == 1
    assert len(set(b.nodes)) == len(b.nodes)


def test_board_fields():
    b = k.board("nrf5340dk/nrf5340/cpuapp/ns")
    assert b.name == "nrf5340dk_nrf5340_cpuapp_ns"
    assert b.target == "nrf5340dk/nrf5340/cpuapp/ns"
    assert b.soc == "nrf5340_cpuapp"
    assert b.ns is True
    assert k.board("nrf5340dk_nrf5340_cpuapp").ns is False
    assert "nrf54l15pdk_nrf54l15_cpuapp" in k.board("nrf54l15dk/nrf54l15/cpuapp").aliases


@pytest.mark.parametrize("name", [
    "nrf9999dk_nrf9999", "frdm_k64f", "", "   ", "nrf5340dk",   # nrf5340dk alone is ambiguous
    "nrf9160dk", "nrf54l15dk", "nrf52840dk/nrf52840/cpuapp",
])
def test_unknown_or_ambiguous_boards(name):
    assert k.board(name) is None


def test_every_board_name_is_its_normalized_target_and_has_a_known_soc():
    for b in k.boards():
        assert b.name == k.normalize_board(b.target), b.name
        assert k.soc(b.soc) is not None, b.name
        same = lambda x: (x.name, x.target, x.soc)   # noqa: E731 (default revisions add nodes)
        assert same(k.board(b.name)) == same(b)
        assert same(k.board(b.target)) == same(b)
        for a in b.aliases:
            assert same(k.board(a)) == same(b), a


def test_a_board_without_revision_gets_its_default_revision():
    b = k.board("nrf9160dk/nrf9160/ns")
    assert b.revision == "0.14.0" and b.node("mx25r64") is not None
    assert k.board_file_stems("nrf9160dk_nrf9160") == ["nrf9160dk_nrf9160_0_14_0", "nrf9160dk_nrf9160"]
    assert k.board("nrf9160dk@0.7.0/nrf9160").node("mx25r64") is None


def test_normalize_board():
    assert k.normalize_board("nrf52840dk/nrf52840") == "nrf52840dk_nrf52840"
    assert k.normalize_board("nrf9160dk@0.14.0/nrf9160/ns") == "nrf9160dk_nrf9160_ns_0_14_0"
    assert k.normalize_board("nrf9160dk@0.14.0/nrf9160") == "nrf9160dk_nrf9160_0_14_0"
    assert k.normalize_board("nrf9160dk_nrf9160_ns@0.14.0") == "nrf9160dk_nrf9160_ns_0_14_0"
    assert k.normalize_board("nrf5340dk/nrf5340/cpuapp/ns") == "nrf5340dk_nrf5340_cpuapp_ns"
    assert k.normalize_board("nrf52840dk_nrf52840") == "nrf52840dk_nrf52840"
    assert k.normalize_board("custom@B/nrf52833") == "custom_nrf52833_B"


def test_split_board():
    assert k.split_board("nrf9160dk@0.14.0/nrf9160/ns") == ("nrf9160dk", "0.14.0", "nrf9160/ns")
    assert k.split_board("nrf9160dk_nrf9160@0.14") == ("nrf9160dk_nrf9160", "0.14.0", "")
    assert k.split_board("nrf52840dk") == ("nrf52840dk", "", "")


def test_revision_adds_the_nrf9160dk_external_flash():
    old = k.board("nrf9160dk@0.7.0/nrf9160/ns")
    new = k.board("nrf9160dk@0.14.0/nrf9160/ns")
    later = k.board("nrf9160dk@0.15.0/nrf9160")
    earlier = k.board("nrf9160dk@0.9.0/nrf9160/ns")
    assert old.node("mx25r64") is None
    assert earlier.node("mx25r64") is None and earlier.revision == "0.9.0"
    n = new.node("mx25r64")
    assert new.revision == "0.14.0" and new.name == "nrf9160dk_nrf9160_ns"
    assert n.compatible == "jedec,spi-nor" and n.bus == "spi3" and n.status == "disabled"
    assert n.size_bytes == 8 * MiB
    assert later.node("mx25r64") is not None
    # HWMv1 spellings of the same revision
    assert k.board("nrf9160dk_nrf9160_ns@0.14.0") == new
    assert k.board("nrf9160dk_nrf9160_ns_0_14_0") == new
    # non-secure targets get non-secure peripheral addresses
    assert "peripheral@40000000" in n.path
    assert "peripheral@50000000" in k.board("nrf9160dk@0.14.0/nrf9160").node("mx25r64").path


def test_board_file_stems():
    assert k.board_file_stems("nrf9160dk@0.14.0/nrf9160/ns") == [
        "nrf9160dk_nrf9160_ns_0_14_0", "nrf9160dk_nrf9160_ns"]
    assert k.board_file_stems("nrf52840dk/nrf52840") == ["nrf52840dk_nrf52840"]
    assert k.board_file_stems("nrf52840dk_nrf52840") == ["nrf52840dk_nrf52840"]
    assert k.board_file_stems("nrf52840dk") == ["nrf52840dk_nrf52840"]
    assert k.board_file_stems("nrf52840dk@2.0.0/nrf52840") == [
        "nrf52840dk_nrf52840_2_0_0", "nrf52840dk_nrf52840"]
    # single-SoC boards may leave the SoC out of file names
    assert k.board_file_stems("xiao_ble") == ["xiao_ble_nrf52840", "xiao_ble"]
    assert k.board_file_stems("xiao_ble/nrf52840/sense") == ["xiao_ble_nrf52840_sense", "xiao_ble_sense"]
    assert k.board_file_stems("bl5340_dvk/cpuapp") == ["bl5340_dvk_nrf5340_cpuapp", "bl5340_dvk_cpuapp"]
    assert k.board_file_stems("nrf5340dk/nrf5340/cpunet") == ["nrf5340dk_nrf5340_cpunet", "nrf5340dk_cpunet"]
    # an old name is looked for under that name only
    assert k.board_file_stems("nrf54l15pdk_nrf54l15_cpuapp") == ["nrf54l15pdk_nrf54l15_cpuapp"]
    # unknown boards: purely textual
    assert k.board_file_stems("acme@1.2.0/nrf52840") == ["acme_nrf52840_1_2_0", "acme_nrf52840"]
    assert k.board_file_stems("") == []


# ------------------------------------------------------------------ board nodes

def test_nrf52840dk_qspi_flash():
    b = k.board("nrf52840dk/nrf52840")
    n = b.node("mx25r64")
    assert n.compatible == "nordic,qspi-nor" and n.bus == "qspi" and n.status == "okay"
    assert n.props["jedec-id"] == "c2 28 17"
    assert n.props["size"] == 67108864 and n.size_bytes == 8 * MiB
    assert b.node("qspi").status == "okay"
    assert "nordic,pm-ext-flash" not in b.chosen


def test_nrf7002dk_flash_is_on_spi4_not_qspi():
    n = k.board("nrf7002dk/nrf5340/cpuapp").node("mx25r64")
    assert n.compatible == "jedec,spi-nor" and n.bus == "spi4"


def test_nrf54l15dk_flash_on_spi00():
    for name in ("nrf54l15dk/nrf54l15/cpuapp", "nrf54l15dk/nrf54l10/cpuapp", "nrf54l15dk/nrf54l05/cpuapp"):
        b = k.board(name)
        n = b.node("mx25r64")
        assert n.bus == "spi00" and n.compatible == "jedec,spi-nor", name
        assert b.chosen["zephyr,flash"] == "cpuapp_rram"


def test_thingy91x_sets_pm_ext_flash():
    b = k.board("thingy91x/nrf9151/ns")
    assert b.chosen["nordic,pm-ext-flash"] == "flash_ext"
    n = b.node("flash_ext")
    assert n.status == "okay" and n.bus == "spi3"
    assert "GD25LE255E" in k.jedec_part(n.jedec_id)


def test_bl653_dvk_has_no_external_flash():
    b = k.board("bl653_dvk")
    assert b.soc == "nrf52833"
    assert b.flash_parts() == ()
    assert b.node("spi1").status == "okay"


def test_board_flash_sizes_match_their_jedec_ids():
    checked = 0
    for b in list(k.boards()) + [k.board("nrf9160dk@0.14.0/nrf9160")]:
        for n in b.flash_parts():
            jid = n.jedec_id
            if jid is None or n.size_bytes is None:
                continue
            assert k.jedec_capacity(jid) == n.size_bytes, (b.name, n.label)
            assert k.jedec_part(jid) is not None, (b.name, n.label)
            checked += 1
    assert checked >= 10


# ------------------------------------------------------------------ JEDEC

def test_jedec_seed_part():
    assert k.jedec_capacity(b"\x9d\x40\x13") == 512 * KiB
    assert "IS25LQ040B" in k.jedec_part(b"\x9d\x40\x13")


def test_jedec_mx25r6435f():
    assert k.jedec_capacity(b"\xc2\x28\x17") == 8 * MiB
    assert k.jedec_part(b"\xc2\x28\x17") == "Macronix MX25R6435F (8 MiB)"


@pytest.mark.parametrize("jid, size", [
    ("ef 40 18", 16 * MiB),          # W25Q128JV
    ("ef 40 20", 64 * MiB),          # W25Q512JV: capacity byte 0x20
    ("ef 40 21", 128 * MiB),         # W25Q01JV
    ("85 60 15", 2 * MiB),           # P25Q16H (XIAO BLE)
    ("c8 65 19", 32 * MiB),          # GD25WB256E (nRF9161 DK)
    ("c8 60 19", 32 * MiB),          # GD25LE255E (Thingy:91 X)
    ("c8 67 19", 32 * MiB),          # GD25LB256E
    ("c2 25 3a", 64 * MiB),          # MX25U51245G
    ("c2 84 37", 8 * MiB),           # MX25UW6345G (nRF54H20 DK)
    ("1f 42 18", 16 * MiB),          # AT25SL128A
    ("1f 45 02", 1 * MiB),           # AT25DL081: Adesto density code
    ("1f 47 02", 4 * MiB),           # unlisted Adesto 32 Mbit part, decoded from the density code
    ("bf 26 41", 2 * MiB),           # SST26VF016B
    ("1c 70 16", 4 * MiB),           # EN25QH32
    ("01 02 19", 32 * MiB),          # S25FL256S
    ("01 02 16", 8 * MiB),           # S25FL064A: old Spansion encoding
    ("20 ba 19", 32 * MiB),          # MT25QL256
    ("c2 85 3a", 64 * MiB),          # unlisted Macronix octal 512 Mbit
    ("ab 40 17", 8 * MiB),           # unknown maker, standard capacity byte
])
def test_jedec_capacity(jid, size):
    assert k.jedec_capacity(k.parse_jedec_id(jid)) == size


def test_jedec_accepts_several_spellings():
    for v in (b"\xc2\x28\x17", bytearray(b"\xc2\x28\x17"), "c2 28 17", "[C2 28 17]", "0xc22817", [0xC2, 0x28, 0x17]):
        assert k.jedec_capacity(v) == 8 * MiB, v


@pytest.mark.parametrize("jid", [b"\x00\x00\x00", b"\xff\xff\xff", b"\xc2\x28", b"", b"\xef\x40\x05"])
def test_jedec_unknown(jid):
    assert k.jedec_capacity(jid) is None
    assert k.jedec_part(jid) is None


def test_jedec_part_unknown_part_of_known_maker():
    assert k.jedec_part(b"\xef\x40\x1f") is None
    assert k.jedec_manufacturer(b"\xef\x40\x1f") == "Winbond"
    assert k.jedec_manufacturer(b"\x9d\x40\x13") == "ISSI"
