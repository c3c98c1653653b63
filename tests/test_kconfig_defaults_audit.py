"""Per-version, per-board defaults of the DFU symbols in knowledge/kconfig.yaml, pinned to what the
Kconfig sources say at each NCS tag (sdk-mcuboot tags v1.6.99-ncs1 .. ncs-v3.4.0 re-read one by one;
sdk-nrf and Zephyr files at the commits named in each row's `source`).

Each case: symbol, image, NCS version, SoC / board facts, the value the build gets, and where it was
read. A change to the catalogue that moves one of these values must come with a new reading of the
source."""
from __future__ import annotations

from pathlib import Path

import pytest

from dfulint.model.kconfig import evaluate
from dfulint.sources.kconf import parse_fragment

NRF52840 = ("nrf52", {"soc": "nrf52840", "board": "nrf52840dk_nrf52840"})
NRF9160 = ("nrf91", {"soc": "nrf9160", "board": "nrf9160dk_nrf9160"})
THINGY91 = ("nrf91", {"soc": "nrf9160", "board": "thingy91_nrf9160"})
NRF54L15 = ("nrf54l", {"soc": "nrf54l15_cpuapp", "board": "acme_nrf54l15"})      # a custom board
NRF54L15DK = ("nrf54l", {"soc": "nrf54l15_cpuapp", "board": "nrf54l15dk_nrf54l15_cpuapp"})
NRF54LM20 = ("nrf54l", {"soc": "nrf54lm20a_cpuapp", "board": "acme_nrf54lm20"})
NRF54H20 = ("nrf54h", {"soc": "nrf54h20_cpuapp", "board": "nrf54h20dk_nrf54h20_cpuapp"})

SIG = ("BOOT_SIGNATURE_TYPE_RSA", "BOOT_SIGNATURE_TYPE_ECDSA_P256", "BOOT_SIGNATURE_TYPE_ED25519")

# (symbol, image, NCS version, target, expected, source[, fragment the symbol needs])
CASES = [
    # MCUboot's signature type: CC310 SoCs ECDSA, Thingy:91 excluded from 1.7, nRF54L15 / nRF54H20 Ed25519
    ("SIG", "mcuboot", "1.6.0", THINGY91, "BOOT_SIGNATURE_TYPE_ECDSA_P256", "sdk-mcuboot Kconfig@v1.7.99-ncs2"),
    ("SIG", "mcuboot", "1.7.0", THINGY91, "BOOT_SIGNATURE_TYPE_RSA", "sdk-mcuboot Kconfig@v1.7.99-ncs3"),
    ("SIG", "mcuboot", "1.7.0", NRF9160, "BOOT_SIGNATURE_TYPE_ECDSA_P256", "sdk-mcuboot Kconfig@v1.7.99-ncs3"),
    ("SIG", "mcuboot", "2.4.0", THINGY91, "BOOT_SIGNATURE_TYPE_RSA", "sdk-nrf modules/mcuboot/boot/zephyr/Kconfig"),
    ("SIG", "mcuboot", "2.4.0", NRF52840, "BOOT_SIGNATURE_TYPE_ECDSA_P256", "sdk-nrf modules/mcuboot/boot/zephyr/Kconfig"),
    ("SIG", "mcuboot", "2.7.0", NRF54L15, "BOOT_SIGNATURE_TYPE_RSA", "sdk-mcuboot Kconfig@v2.1.0-ncs1"),
    ("SIG", "mcuboot", "2.8.0", NRF54L15, "BOOT_SIGNATURE_TYPE_ED25519", "sdk-mcuboot Kconfig@v2.1.0-ncs2"),
    ("SIG", "mcuboot", "3.0.0", NRF54H20, "BOOT_SIGNATURE_TYPE_RSA", "sdk-mcuboot Kconfig@v2.1.0-ncs5"),
    ("SIG", "mcuboot", "3.1.0", NRF54H20, "BOOT_SIGNATURE_TYPE_ED25519", "sdk-mcuboot Kconfig@ncs-v3.1.0"),
    # the sector table: nRF54L SoC fragments exist from ncs-v3.1.0 (nRF54LM20 from ncs-v3.3.0); before, only DKs
    ("BOOT_MAX_IMG_SECTORS", "mcuboot", "2.7.0", NRF54L15, 128, "no socs/ fragment at v2.1.0-ncs1"),
    ("BOOT_MAX_IMG_SECTORS", "mcuboot", "3.0.0", NRF54L15, 128, "no socs/ fragment at v2.1.0-ncs5"),
    ("BOOT_MAX_IMG_SECTORS", "mcuboot", "3.1.0", NRF54L15, 256, "socs/nrf54l15_cpuapp.conf@ncs-v3.1.0"),
    ("BOOT_MAX_IMG_SECTORS", "mcuboot", "3.2.0", NRF54LM20, 128, "no socs/nrf54lm20a_cpuapp.conf at ncs-v3.2.0"),
    ("BOOT_MAX_IMG_SECTORS", "mcuboot", "3.3.0", NRF54LM20, 256, "socs/nrf54lm20a_cpuapp.conf@ncs-v3.3.0"),
    ("BOOT_MAX_IMG_SECTORS", "mcuboot", "2.4.0", NRF52840, 128, "sdk-mcuboot Kconfig@v1.10.0-ncs1"),
    # serial recovery's line buffer: 512 until v1.9.99-ncs4, 128 from v1.10.0-ncs1
    ("BOOT_MAX_LINE_INPUT_LEN", "mcuboot", "2.3.0", NRF52840, 512, "Kconfig.serial_recovery@v1.9.99-ncs4",
     "CONFIG_MCUBOOT_SERIAL=y\n"),
    ("BOOT_MAX_LINE_INPUT_LEN", "mcuboot", "2.4.0", NRF52840, 128, "Kconfig.serial_recovery@v1.10.0-ncs1",
     "CONFIG_MCUBOOT_SERIAL=y\n"),
    # swap-move is NCS's default on Nordic SoCs until ncs-v3.2.0 makes it swap-offset
    ("BOOT_SWAP_USING_MOVE", "mcuboot", "1.9.0", NRF52840, "y", "sdk-mcuboot Kconfig@v1.8.99-ncs1"),
    ("BOOT_SWAP_USING_MOVE", "mcuboot", "3.1.0", NRF52840, "y", "sdk-mcuboot Kconfig@ncs-v3.1.0"),
    ("BOOT_SWAP_USING_OFFSET", "mcuboot", "3.2.0", NRF52840, "y", "sdk-mcuboot Kconfig@ncs-v3.2.0"),
    ("BOOT_VALIDATE_SLOT0", "mcuboot", "1.4.0", NRF52840, "y", "sdk-mcuboot Kconfig@v1.6.99-ncs1"),
    ("BOOT_ERASE_PROGRESSIVELY", "mcuboot", "2.0.0", NRF52840, "y", "sdk-mcuboot Kconfig@v1.9.99-ncs1"),
    ("BOOT_SERIAL_WAIT_FOR_DFU_TIMEOUT", "mcuboot", "2.0.0", NRF52840, None, "needs BOOT_SERIAL_WAIT_FOR_DFU"),
    ("MULTITHREADING", "mcuboot", "2.6.0", NRF52840, "n", "sdk-mcuboot Kconfig@v2.0.99-ncs1"),
    ("MULTITHREADING", "mcuboot", "3.2.0", NRF54H20, "n", "no socs/nrf54h20_cpuapp.conf setting at ncs-v3.2.0"),
    ("MULTITHREADING", "mcuboot", "3.3.0", NRF54H20, "y", "socs/nrf54h20_cpuapp.conf@ncs-v3.3.0"),
    # MCUboot's prj.conf (only while its own configuration directory is used)
    ("MAIN_STACK_SIZE", "mcuboot", "1.4.0", NRF52840, 10240, "sdk-mcuboot prj.conf@v1.6.99-ncs1"),
    ("LOG_MODE_MINIMAL", "mcuboot", "1.6.0", NRF52840, "y", "sdk-mcuboot prj.conf@v1.7.99-ncs2"),
    ("FPROTECT", "mcuboot", "3.0.0", NRF52840, "y", "sdk-mcuboot prj.conf@v2.1.0-ncs5"),
    # MCUboot's partition size (the partition Partition Manager gives it)
    ("PM_PARTITION_SIZE_MCUBOOT", "mcuboot", "2.4.0", NRF52840, 0xc000, "sdk-nrf modules/mcuboot/boot/zephyr/Kconfig"),
    ("PM_PARTITION_SIZE_MCUBOOT", "mcuboot", "3.0.0", NRF54L15, 0xd800, "sdk-nrf modules/mcuboot/boot/zephyr/Kconfig"),
    ("PM_PARTITION_SIZE_MCUBOOT_PAD", "mcuboot", "2.6.0", NRF54L15DK, 0x800, "sdk-nrf modules/mcuboot/boot/zephyr/Kconfig"),
]


def _value(cfg, sym):
    if sym == "SIG":
        on = [s for s in SIG if cfg.enabled(s)]
        return on[0] if len(on) == 1 else on
    v = cfg.get(sym)
    if v is None or v.value is None:
        return None
    n = cfg.int(sym)
    return n if n is not None else v.value


@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}-{c[2]}-{c[3][1]['board']}" for c in CASES])
def test_catalogue_default_matches_the_source(tmp_path: Path, case):
    sym, image, sdk, (family, facts), expected, source = case[:6]
    frags = []
    if len(case) > 6:                       # a fragment the symbol needs to be visible
        (tmp_path / "prj.conf").write_text(case[6])
        frags.append(parse_fragment(tmp_path / "prj.conf", "CONFIG_"))
    cfg = evaluate(frags, image, sdk, family, facts=dict(facts, partition_manager=True))
    assert _value(cfg, sym) == expected, source


def test_a_replaced_mcuboot_configuration_keeps_none_of_mcubootss_own_values():
    """sysbuild/mcuboot/ (or child_image/mcuboot/prj.conf) is MCUboot's whole configuration: the
    stack size, logging and the nRF54L SoC fragment's sector table of MCUboot's own files are gone."""
    family, facts = NRF54L15
    own = evaluate([], "mcuboot", "3.2.0", family, facts=dict(facts, partition_manager=True))
    repl = evaluate([], "mcuboot", "3.2.0", family,
                    facts=dict(facts, partition_manager=True, mcuboot_own_config=False))
    assert own.int("MAIN_STACK_SIZE") == 10240 and own.int("BOOT_MAX_IMG_SECTORS") == 256
    assert repl.int("MAIN_STACK_SIZE") != 10240 and repl.int("BOOT_MAX_IMG_SECTORS") == 128


def _sysbuild(tmp_path: Path, board: str, extra: str = "", sdk: str = "2.8.0"):
    f = tmp_path / "sysbuild.conf"
    f.write_text("SB_CONFIG_BOOTLOADER_MCUBOOT=y\n" + extra)
    soc, fam = ("nrf52840", "nrf52") if "nrf52840" in board else ("nrf9160", "nrf91")
    return evaluate([parse_fragment(f, "SB_CONFIG_")], "sysbuild", sdk, fam,
                    facts={"soc": soc, "board": board, "partition_manager": True})


@pytest.mark.parametrize("board,extra,sig,factory", [
    # the factory layout (the default on thingy91/nrf9160/ns): RSA, as the MCUboot Thingy:91 ships with
    ("thingy91_nrf9160_ns", "", "BOOT_SIGNATURE_TYPE_RSA", True),
    ("thingy91/nrf9160/ns@1.4.0", "", "BOOT_SIGNATURE_TYPE_RSA", True),      # a board revision
    # no predefined layout: the ECDSA row applies, its board symbols are per target
    ("thingy91_nrf9160_ns", "SB_CONFIG_THINGY91_NO_PREDEFINED_LAYOUT=y\n", "BOOT_SIGNATURE_TYPE_ECDSA_P256", False),
    # the immutable bootloader picks the secure-boot layout, and with it ECDSA
    ("thingy91_nrf9160_ns", "SB_CONFIG_SECURE_BOOT_APPCORE=y\n", "BOOT_SIGNATURE_TYPE_ECDSA_P256", False),
    # the factory layout asked for explicitly beside it: RSA again
    ("thingy91_nrf9160_ns", "SB_CONFIG_SECURE_BOOT_APPCORE=y\nSB_CONFIG_THINGY91_STATIC_PARTITIONS_FACTORY=y\n",
     "BOOT_SIGNATURE_TYPE_RSA", True),
    ("thingy91_nrf9160", "", "BOOT_SIGNATURE_TYPE_RSA", False),
    ("thingy91_nrf52840", "", "BOOT_SIGNATURE_TYPE_RSA", False),
    ("nrf9160dk_nrf9160_ns", "", "BOOT_SIGNATURE_TYPE_ECDSA_P256", False),
])
def test_thingy91_factory_layout_signature_default(tmp_path: Path, board, extra, sig, factory):
    """sdk-nrf sysbuild/Kconfig.mcuboot: `default BOOT_SIGNATURE_TYPE_RSA if
    THINGY91_STATIC_PARTITIONS_FACTORY` comes first; boards/nordic/thingy91/Kconfig.sysbuild makes the
    factory layout the default of thingy91/nrf9160/ns unless the immutable bootloader is on."""
    cfg = _sysbuild(tmp_path, board, extra)
    assert [s for s in SIG if cfg.enabled(s)] == [sig]
    assert cfg.enabled("THINGY91_STATIC_PARTITIONS_FACTORY") is factory
    key = {"BOOT_SIGNATURE_TYPE_RSA": "root-rsa-2048.pem", "BOOT_SIGNATURE_TYPE_ECDSA_P256": "root-ec-p256.pem"}[sig]
    assert cfg.str("BOOT_SIGNATURE_KEY_FILE").endswith(key)


AUDITED_SYMBOLS = (
    "MCUBOOT", "BOOT_PREFER_SWAP_MOVE", "BOOT_PREFER_SWAP_OFFSET", "BOOT_VALIDATE_SLOT0", "BOOT_MAX_IMG_SECTORS_AUTO",
    "BOOT_MAX_IMG_SECTORS", "UPDATEABLE_IMAGE_NUMBER", "BOOT_ERASE_PROGRESSIVELY", "BOOT_SIGNATURE_TYPE_RSA_LEN",
    "BOOT_SIGNATURE_KEY_FILE", "BOOT_ENCRYPTION_KEY_FILE", "MCUBOOT_SERIAL", "BOOT_SERIAL_ENTRANCE_GPIO",
    "BOOT_SERIAL_WAIT_FOR_DFU_TIMEOUT", "BOOT_MAX_LINE_INPUT_LEN", "BOOT_SERIAL_MAX_RECEIVE_SIZE",
    "PM_PARTITION_SIZE_MCUBOOT", "PM_PARTITION_SIZE_MCUBOOT_PAD", "PM_PARTITION_SIZE_MCUBOOT_SCRATCH",
    "NRF53_MULTI_IMAGE_UPDATE", "FPROTECT_BLOCK_SIZE", "PM_EXTERNAL_FLASH_MCUBOOT_SECONDARY",
    "PM_EXTERNAL_FLASH_HAS_DRIVER", "PM_EXTERNAL_FLASH_BASE", "PM_PARTITION_SIZE_SETTINGS_STORAGE",
    "PM_PARTITION_SIZE_NVS_STORAGE", "MULTITHREADING", "FLASH", "LOG")
AUDITED_CHOICES = ("BOOT_IMAGE_UPGRADE_MODE", "BOOT_SIGNATURE_TYPE", "BOOT_SERIAL_DEVICE")
AUDITED_SYSBUILD = ("BOOT_SIGNATURE_KEY_FILE", "SUPPORT_BOOT_ENCRYPTION", "BOOT_ENCRYPTION_KEY_FILE",
                    "MCUBOOT_APP_SYNC_UPDATEABLE_IMAGES")
AUDITED_SYSBUILD_CHOICES = ("BOOTLOADER", "BOOT_SIGNATURE_TYPE", "THINGY91_LAYOUT")


def test_every_default_row_of_the_audited_symbols_names_its_source():
    """A re-read row records the file and tag (or commit) it was read at."""
    from dfulint.model import kconfig as km

    cat = km._catalogue()
    rows = [(n, r) for n in AUDITED_SYMBOLS for r in cat.image_syms[n].raw["default"]]
    rows += [(n, r) for n in AUDITED_CHOICES for r in cat.image_choices[n]["default"]]
    rows += [(n, r) for n in AUDITED_SYSBUILD for r in cat.sb_syms[n].raw["default"]]
    rows += [(n, r) for n in AUDITED_SYSBUILD_CHOICES for r in cat.sb_choices[n]["default"]]
    missing = [(n, r) for n, r in rows if not r.get("source")]
    assert not missing
    for n, r in rows:
        assert "@" in r["source"] and r["source"].split(":")[0] in ("sdk-mcuboot", "sdk-nrf", "zephyr"), (n, r)


@pytest.mark.parametrize("board,sdk,pad", [
    ("nrf54l15pdk_nrf54l15_cpuapp", "2.7.0", 0x800),
    ("acme_nrf54l15", "2.7.0", 0x200),        # a DK-only default is not the SoC's
    ("acme_nrf54l15", "2.9.0", 0x800),
    ("nrf52840dk_nrf52840", "2.9.0", 0x200),
])
def test_sysbuild_mcuboot_pad_default(tmp_path: Path, board, sdk, pad):
    """sdk-nrf sysbuild/Kconfig.sysbuild: `default 0x800 if BOARD_NRF54L15PDK_NRF54L15_CPUAPP` (NCS 2.6,
    2.7), the whole nRF54L series later."""
    f = tmp_path / "sysbuild.conf"
    f.write_text("SB_CONFIG_BOOTLOADER_MCUBOOT=y\n")
    soc, fam = ("nrf52840", "nrf52") if "nrf52840" in board else ("nrf54l15_cpuapp", "nrf54l")
    cfg = evaluate([parse_fragment(f, "SB_CONFIG_")], "sysbuild", sdk, fam,
                   facts={"soc": soc, "board": board, "partition_manager": True})
    assert cfg.int("PM_MCUBOOT_PAD") == pad
