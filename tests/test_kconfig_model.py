"""The Kconfig model: catalogue, per-version status, and evaluation through kconfiglib."""
from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from dfulint.model import kconfig as km
from dfulint.model.kconfig import ImageConfig, evaluate, status_in, symbol
from dfulint.sources.kconf import parse_fragment

CORPUS = Path("/work/shared/corpus")

NRF52840 = {"soc": "nrf52840", "partition_manager": True}
NRF5340 = {"soc": "nrf5340_cpuapp", "partition_manager": True}
NRF54L15 = {"soc": "nrf54l15_cpuapp", "partition_manager": True}


@pytest.fixture
def frag(tmp_path):
    counter = {"n": 0}

    def make(text: str, prefix: str = "CONFIG_", name: str = ""):
        counter["n"] += 1
        path = tmp_path / (name or f"frag{counter['n']}.conf")
        path.write_text(text)
        return parse_fragment(path, prefix)

    return make


def reasons(cfg: ImageConfig) -> dict:
    return {d.assignment.name: d.reason for d in cfg.dropped}


def selected(cfg: ImageConfig, names) -> list:
    return [n for n in names if cfg.enabled(n)]


MODES = ("BOOT_SWAP_USING_MOVE", "BOOT_SWAP_USING_OFFSET", "BOOT_SWAP_USING_SCRATCH", "BOOT_UPGRADE_ONLY",
         "BOOT_DIRECT_XIP", "BOOT_RAM_LOAD", "BOOT_FIRMWARE_LOADER")


# ------------------------------------------------------------------------------ the catalogue

def test_catalogue_is_consistent():
    cat = km._catalogue()
    assert 150 <= len(cat.image_syms) + len(cat.sb_syms) <= 400
    facts = set(cat.facts)
    for ns, syms, choices in (("image", cat.image_syms, cat.image_choices),
                              ("sysbuild", cat.sb_syms, cat.sb_choices)):
        names = set(syms)
        for name, e in syms.items():
            assert re.fullmatch(r"[A-Z0-9_]+", name), name
            assert e.type in ("bool", "int", "hex", "string"), name
            assert e.source, f"{name} has no source"
            if ns == "image":
                assert e.images and e.images <= {"app", "mcuboot"}, name
            if e.choice:
                assert e.choice in choices, f"{name}: unknown choice {e.choice}"
            if e.renamed_to:
                assert e.renamed_since, name
                assert e.renamed_to in names, f"{name} renamed to an unlisted {e.renamed_to}"
            for key in ("added", "removed", "renamed_since"):
                raw = e.raw.get(key)
                assert raw is None or re.fullmatch(r"\d+\.\d+(\.\d+)?", str(raw)), (name, key, raw)
            assert e.soft <= {"app", "mcuboot"}, name
        # every name an expression uses is a catalogue symbol of the namespace or a fact
        exprs = []
        for name, e in list(syms.items()) + [(n, {"raw": c}) for n, c in choices.items()]:
            raw = e.raw if hasattr(e, "raw") else e["raw"]
            deps = raw.get("depends_on")
            if isinstance(deps, str):
                exprs.append((name, deps))
            for d in deps or []:
                if isinstance(d, dict):
                    exprs.append((name, d["expr"]))
            p = raw.get("prompt")
            if isinstance(p, str):
                exprs.append((name, p))
            for key in ("default", "select", "imply", "range"):
                for item in raw.get(key) or []:
                    if isinstance(item, dict) and item.get("if"):
                        exprs.append((name, item["if"]))
                    if isinstance(item, dict) and key == "default" and isinstance(item.get("value"), str) \
                            and re.fullmatch(r"[A-Z][A-Z0-9_]+", item["value"]):
                        assert item["value"] in names, (name, item["value"])
                    target = item.get("symbol") if isinstance(item, dict) else item if key in ("select", "imply") else None
                    if isinstance(target, str):
                        assert target in names, (name, key, target)
        for name, text in exprs:
            used = km._syms_in(km._parse(str(text)), set())
            unknown = used - names - facts
            assert not unknown, f"{name}: {text!r} uses {unknown}"


def test_symbol_info():
    info = symbol("BOOT_MAX_IMG_SECTORS")
    assert info.type == "int" and info.images == frozenset({"mcuboot"}) and info.prompt
    assert info.depends_on == "!BOOT_MAX_IMG_SECTORS_AUTO"
    assert symbol("CONFIG_BOOT_MAX_IMG_SECTORS") == info
    assert symbol("BOOT_MAX_IMG_SECTORS", sdk=(2, 0, 0)).depends_on is None
    sb = symbol("SB_CONFIG_BOOTLOADER_MCUBOOT")
    assert sb.images == frozenset({"sysbuild"}) and sb.choice == "BOOTLOADER"
    assert symbol("BOOTLOADER_MCUBOOT").images == frozenset({"app", "mcuboot"})
    assert symbol("MCUBOOT_MODE_SWAP_USING_MOVE").images == frozenset({"sysbuild"})
    assert symbol("BOOT_ENCRYPT_RSA", sdk=(2, 0, 0)).prompt is True
    assert symbol("BOOT_ENCRYPT_RSA", sdk=(3, 2, 99)).prompt is False
    assert symbol("MCUMGR_SMP_BT").renamed_to == "MCUMGR_TRANSPORT_BT"
    assert symbol("MCUMGR_SMP_BT").renamed_since == (2, 4, 0)
    assert symbol("NCS_SAMPLE_MCUMGR_BT_OTA_DFU").selects[:2] == ("MCUMGR", "MCUMGR_TRANSPORT_BT")
    assert symbol("SOMETHING_NOBODY_DEFINES") is None
    assert symbol("") is None


# ------------------------------------------------------------------------------ status per version

@pytest.mark.parametrize("name,image,sdk,expected", [
    ("MCUMGR_SMP_BT", "app", (1, 9, 0), ("ok", None)),
    ("MCUMGR_SMP_BT", "app", (2, 3, 0), ("ok", None)),
    ("MCUMGR_SMP_BT", "app", (2, 4, 0), ("renamed", "MCUMGR_TRANSPORT_BT")),
    ("MCUMGR_CMD_IMG_MGMT", "app", (3, 2, 99), ("renamed", "MCUMGR_GRP_IMG")),
    ("MCUMGR_BUF_SIZE", "app", (2, 5, 0), ("renamed", "MCUMGR_TRANSPORT_NETBUF_SIZE")),
    ("MCUMGR_SMP_BT_AUTHEN", "app", (2, 5, 0), ("renamed", "MCUMGR_TRANSPORT_BT_AUTHEN")),
    # renamed twice: the name valid at that version is given
    ("MCUMGR_SMP_BT_AUTHEN", "app", (3, 2, 99), ("renamed", "MCUMGR_TRANSPORT_BT_PERM_RW_AUTHEN")),
    ("MCUMGR_TRANSPORT_BT_AUTHEN", "app", (2, 7, 0), ("ok", None)),
    ("MCUMGR_TRANSPORT_BT_AUTHEN", "app", (2, 8, 0), ("renamed", "MCUMGR_TRANSPORT_BT_PERM_RW_AUTHEN")),
    ("MCUMGR_TRANSPORT_BT", "app", (2, 3, 0), ("not-yet", "2.4")),
    ("MCUBOOT_IMAGE_VERSION", "app", (2, 4, 0), ("ok", None)),
    ("MCUBOOT_IMAGE_VERSION", "app", (2, 5, 0), ("renamed", "MCUBOOT_IMGTOOL_SIGN_VERSION")),
    ("SINGLE_IMAGE_DFU", "mcuboot", (1, 5, 0), ("renamed", "SINGLE_APPLICATION_SLOT")),
    ("BOOT_SERIAL_DETECT_PIN", "mcuboot", (2, 3, 0), ("ok", None)),
    ("BOOT_SERIAL_DETECT_PIN", "mcuboot", (2, 4, 0), ("removed", "2.4")),
    ("BOOT_SWAP_USING_OFFSET", "mcuboot", (2, 9, 0), ("not-yet", "3.0")),
    ("BOOT_SWAP_USING_OFFSET", "mcuboot", (3, 0, 0), ("ok", None)),
    ("PM_EXTERNAL_FLASH", "app", (1, 7, 0), ("ok", None)),
    ("PM_EXTERNAL_FLASH", "app", (1, 8, 0), ("removed", "1.8")),
    ("PM_PARTITION_SIZE_MCUBOOT_SECONDARY", "mcuboot", (2, 0, 0), ("removed", "1.8")),
    # other images
    ("PM_PARTITION_SIZE_MCUBOOT", "app", (3, 2, 99), ("other-image", "mcuboot")),
    ("PM_PARTITION_SIZE_MCUBOOT", "mcuboot", (3, 2, 99), ("ok", None)),
    ("BOOT_MAX_IMG_SECTORS", "app", (2, 0, 99), ("other-image", "mcuboot")),
    ("BOOT_MAX_IMG_SECTORS", "sysbuild", (3, 2, 99), ("other-image", "mcuboot")),
    ("MCUBOOT_MODE_SWAP_USING_MOVE", "app", (3, 2, 99), ("other-image", "sysbuild")),
    ("PM_MCUBOOT_PAD", "mcuboot", (3, 2, 99), ("other-image", "sysbuild")),
    ("MCUMGR_TRANSPORT_BT", "sysbuild", (3, 2, 99), ("other-image", "app")),
    ("BOOTLOADER_MCUBOOT", "sysbuild", (3, 2, 99), ("ok", None)),
    ("SB_CONFIG_BOOTLOADER_MCUBOOT", "app", (3, 2, 99), ("ok", None)),
    ("PM_EXTERNAL_FLASH_MCUBOOT_SECONDARY", "sysbuild", (2, 6, 0), ("not-yet", "2.7")),
    # any other Zephyr image (network core, NSIB) sees the generic tree
    ("BOOT_MAX_IMG_SECTORS", "ipc_radio", (3, 2, 99), ("other-image", "mcuboot")),
    ("UART_CONSOLE", "hci_rpmsg", (2, 0, 99), ("ok", None)),
    # not in the catalogue: no opinion
    ("BT_DEVICE_NAME", "app", (3, 2, 99), ("unknown", None)),
    ("SOC_SERIES_NRF54L", "app", (3, 2, 99), ("unknown", None)),
    # names whose other-image scope is not certain are never reported
    ("SECURE_BOOT_NETCORE", "app", (3, 2, 99), ("unknown", None)),
])
def test_status_in(name, image, sdk, expected):
    assert status_in(name, image, sdk) == expected


def test_status_never_raises():
    assert status_in(None, None, None)[0] in ("unknown", "ok")
    assert status_in("MCUMGR_SMP_BT", "app", "garbage") == ("renamed", "MCUMGR_TRANSPORT_BT")
    assert status_in("MCUMGR_SMP_BT", "app", "v1.9.0") == ("ok", None)


# ------------------------------------------------------------------------------ defaults

def test_max_img_sectors_defaults():
    cfg = evaluate([], "mcuboot", (3, 2, 99), "nrf52", facts=NRF52840)
    assert cfg.int("BOOT_MAX_IMG_SECTORS") == 128
    assert cfg.get("BOOT_MAX_IMG_SECTORS").origin == "default"
    assert cfg.get("BOOT_MAX_IMG_SECTORS_AUTO").value == "n"       # [nrf noup]: off with PM
    cfg = evaluate([], "mcuboot", (3, 2, 99), "nrf54l", facts=NRF54L15)
    assert cfg.int("BOOT_MAX_IMG_SECTORS") == 256
    assert "nrf54l" in cfg.get("BOOT_MAX_IMG_SECTORS").note
    # sysbuild/mcuboot/ replaces MCUboot's own board/SoC fragments: back to the Kconfig default
    cfg = evaluate([], "mcuboot", (3, 2, 99), "nrf54l", facts=dict(NRF54L15, mcuboot_own_config=False))
    assert cfg.int("BOOT_MAX_IMG_SECTORS") == 128
    # without the Partition Manager (NCS 2.8+) MCUboot computes the limit itself
    cfg = evaluate([], "mcuboot", (3, 2, 99), "nrf52", facts={"soc": "nrf52840", "partition_manager": False})
    assert cfg.enabled("BOOT_MAX_IMG_SECTORS_AUTO") and cfg.int("BOOT_MAX_IMG_SECTORS") is None
    assert "BOOT_MAX_IMG_SECTORS_AUTO" in cfg.get("BOOT_MAX_IMG_SECTORS").note
    cfg = evaluate([], "mcuboot", (2, 5, 0), "nrf52", facts={"soc": "nrf52840", "partition_manager": False})
    assert cfg.int("BOOT_MAX_IMG_SECTORS") == 128                   # no AUTO before NCS 2.8


def test_mcuboot_mode_defaults_per_version():
    for sdk, mode in (((2, 0, 99), "BOOT_SWAP_USING_MOVE"), ((3, 1, 0), "BOOT_SWAP_USING_MOVE"),
                      ((3, 2, 99), "BOOT_SWAP_USING_OFFSET")):
        cfg = evaluate([], "mcuboot", sdk, "nrf52", facts=NRF52840)
        assert selected(cfg, MODES) == [mode], sdk
        assert "BOOT_IMAGE_UPGRADE_MODE" in cfg.get(mode).note
    cfg = evaluate([], "mcuboot", (3, 2, 99), "nrf52", facts=dict(NRF52840, has_scratch_partition=True))
    assert selected(cfg, MODES) == ["BOOT_SWAP_USING_SCRATCH"]


def test_other_mcuboot_defaults():
    cfg = evaluate([], "mcuboot", (3, 2, 99), "nrf52", facts=NRF52840)
    assert cfg.int("PM_PARTITION_SIZE_MCUBOOT") == 0xC000
    assert cfg.int("PM_PARTITION_SIZE_MCUBOOT_PAD") == 0x200
    assert cfg.enabled("BOOT_SIGNATURE_TYPE_ECDSA_P256")          # CC310 SoC
    assert cfg.str("BOOT_SIGNATURE_KEY_FILE") == "root-ec-p256.pem"
    assert cfg.get("MULTITHREADING").value == "n"                 # MCUboot on Nordic SoCs
    assert cfg.int("MAIN_STACK_SIZE") == 10240
    assert cfg.enabled("BOOT_VALIDATE_SLOT0") and cfg.enabled("FLASH") and cfg.enabled("LOG_MODE_MINIMAL")
    cfg = evaluate([], "mcuboot", (3, 2, 99), "nrf54l", facts=NRF54L15)
    assert cfg.enabled("BOOT_SIGNATURE_TYPE_ED25519")
    assert cfg.int("PM_PARTITION_SIZE_MCUBOOT") == 0xD800
    assert cfg.int("PM_PARTITION_SIZE_MCUBOOT_PAD") == 0x800
    cfg = evaluate([], "mcuboot", (3, 2, 99), "nrf52", facts={"soc": "nrf52832"})
    assert cfg.enabled("BOOT_SIGNATURE_TYPE_RSA")
    assert cfg.str("BOOT_SIGNATURE_KEY_FILE") == "root-rsa-2048.pem"
    # USB serial recovery needs threads even in MCUboot
    frag_text = "CONFIG_MCUBOOT_SERIAL=y\nCONFIG_BOOT_SERIAL_CDC_ACM=y\n"
    cfg = evaluate([_inline(frag_text)], "mcuboot", (3, 2, 99), "nrf52", facts=NRF52840)
    assert cfg.enabled("MULTITHREADING")


def _inline(text: str, prefix: str = "CONFIG_"):
    import tempfile
    d = Path(tempfile.mkdtemp())
    p = d / "inline.conf"
    p.write_text(text)
    return parse_fragment(p, prefix)


def test_application_defaults():
    cfg = evaluate([], "app", (3, 2, 99), "nrf52", facts=NRF52840)
    assert cfg.get("BOOTLOADER_MCUBOOT").value == "n"
    assert cfg.get("MCUBOOT").value == "n" and cfg.get("MULTITHREADING").value == "y"
    assert cfg.enabled("PARTITION_MANAGER_ENABLED")
    cfg = evaluate([_inline("CONFIG_BOOTLOADER_MCUBOOT=y\n")], "app", (3, 2, 99), "nrf52",
                   facts=dict(NRF52840, dt_chosen_pm_ext_flash=False))
    assert cfg.enabled("MCUBOOT_BOOTLOADER_MODE_SWAP_USING_MOVE")
    assert cfg.str("MCUBOOT_SIGNATURE_KEY_FILE") == ""
    assert cfg.get("PM_EXTERNAL_FLASH_MCUBOOT_SECONDARY").value == "n"
    cfg = evaluate([_inline("CONFIG_BOOTLOADER_MCUBOOT=y\n")], "app", (2, 5, 0), "nrf52",
                   facts=dict(NRF52840, dt_chosen_pm_ext_flash=True))
    assert cfg.enabled("MCUBOOT_BOOTLOADER_MODE_SWAP_WITHOUT_SCRATCH")
    pm = cfg.get("PM_EXTERNAL_FLASH_MCUBOOT_SECONDARY")
    assert pm.value == "y" and pm.origin == "default"            # merely choosing nordic,pm-ext-flash
    cfg = evaluate([_inline("CONFIG_NORDIC_QSPI_NOR=y\nCONFIG_SPI_NOR=y\n")], "app", (3, 2, 99), "nrf52",
                   facts=NRF52840)
    assert cfg.int("NORDIC_QSPI_NOR_FLASH_LAYOUT_PAGE_SIZE") == 4096
    assert cfg.int("SPI_NOR_FLASH_LAYOUT_PAGE_SIZE") == 65536


def test_sysbuild_defaults(frag):
    sb = frag("SB_CONFIG_BOOTLOADER_MCUBOOT=y\n", "SB_CONFIG_", "sysbuild.conf")
    cfg = evaluate([sb], "sysbuild", (3, 2, 99), "nrf52", facts=NRF52840)
    assert cfg.enabled("BOOTLOADER_MCUBOOT") and not cfg.enabled("BOOTLOADER_NONE")
    assert cfg.enabled("MCUBOOT_MODE_SWAP_USING_MOVE")
    assert cfg.enabled("BOOT_SIGNATURE_TYPE_ECDSA_P256")
    assert cfg.str("BOOT_SIGNATURE_KEY_FILE") == "$(ZEPHYR_MCUBOOT_MODULE_DIR)/root-ec-p256.pem"
    assert cfg.int("PM_MCUBOOT_PAD") == 0x200 and cfg.enabled("PARTITION_MANAGER")
    assert cfg.get("PM_EXTERNAL_FLASH_MCUBOOT_SECONDARY").value == "n"
    cfg = evaluate([sb], "sysbuild", (2, 7, 0), "nrf53", facts=NRF5340)
    assert cfg.enabled("MCUBOOT_MODE_SWAP_WITHOUT_SCRATCH")
    assert cfg.enabled("BOOT_SIGNATURE_TYPE_RSA")
    cfg = evaluate([sb], "sysbuild", (3, 2, 99), "nrf54l", facts=NRF54L15)
    assert cfg.enabled("BOOT_SIGNATURE_TYPE_ED25519") and cfg.int("PM_MCUBOOT_PAD") == 0x800
    cfg = evaluate([], "sysbuild", (3, 2, 99), "nrf52", facts=NRF52840)
    assert cfg.enabled("BOOTLOADER_NONE") and cfg.get("PM_MCUBOOT_PAD").value is None


# ------------------------------------------------------------------------------ values as Kconfig reads them

def test_int_with_inline_comment_is_dropped(frag):
    a = frag("CONFIG_BOOT_MAX_IMG_SECTORS=256 # for the external flash\n", name="mcuboot.conf")
    cfg = evaluate([a], "mcuboot", (3, 2, 99), "nrf52", facts=NRF52840)
    [d] = cfg.dropped
    assert d.reason == "type" and d.assignment.span.line == 1
    assert "'256 # for the external flash' is invalid" in d.detail and "type int" in d.detail
    v = cfg.get("BOOT_MAX_IMG_SECTORS")
    assert v.value == 128 and v.origin == "default" and v.assignments == [a.assignments[0]]


def test_invalid_value_keeps_the_earlier_one(frag):
    a = frag("CONFIG_BOOT_MAX_IMG_SECTORS=512\n")
    b = frag("CONFIG_BOOT_MAX_IMG_SECTORS=0x400\nCONFIG_PM_PARTITION_SIZE_MCUBOOT=c000\n"
             "CONFIG_BOOT_SIGNATURE_KEY_FILE=my.pem\n")
    cfg = evaluate([a, b], "mcuboot", (3, 2, 99), "nrf52", facts=NRF52840)
    assert cfg.int("BOOT_MAX_IMG_SECTORS") == 512
    assert cfg.get("BOOT_MAX_IMG_SECTORS").assignments[-1].raw == "0x400"
    assert cfg.int("PM_PARTITION_SIZE_MCUBOOT") == 0xC000           # hex without 0x is valid
    r = reasons(cfg)
    assert r == {"BOOT_MAX_IMG_SECTORS": "type", "BOOT_SIGNATURE_KEY_FILE": "type"}
    detail = [d.detail for d in cfg.dropped if d.assignment.name == "BOOT_SIGNATURE_KEY_FILE"][0]
    assert "malformed string literal" in detail


def test_bool_and_string_with_comment_are_accepted(frag):
    a = frag('CONFIG_BOOT_VALIDATE_SLOT0=n # speed up boot\nCONFIG_BOOT_SIGNATURE_KEY_FILE="keys/a.pem" # ours\n'
             "CONFIG_MCUBOOT_SERIAL=yes\n")
    cfg = evaluate([a], "mcuboot", (3, 2, 99), "nrf52", facts=NRF52840)
    assert cfg.dropped == []
    assert cfg.get("BOOT_VALIDATE_SLOT0").value == "n" and cfg.get("BOOT_VALIDATE_SLOT0").origin == "fragment"
    assert cfg.str("BOOT_SIGNATURE_KEY_FILE") == "keys/a.pem"
    assert cfg.enabled("MCUBOOT_SERIAL") and cfg.enabled("BOOT_SERIAL_UART")


def test_is_not_set(frag):
    a = frag("CONFIG_BOOT_VALIDATE_SLOT0=y\n# CONFIG_BOOT_VALIDATE_SLOT0 is not set\n"
             "# CONFIG_BOOT_MAX_IMG_SECTORS is not set\n#CONFIG_LOG is not set\n")
    cfg = evaluate([a], "mcuboot", (3, 2, 99), "nrf52", facts=NRF52840)
    assert cfg.get("BOOT_VALIDATE_SLOT0").value == "n"
    assert cfg.int("BOOT_MAX_IMG_SECTORS") == 128
    assert reasons(cfg) == {"BOOT_MAX_IMG_SECTORS": "type"}
    assert cfg.enabled("LOG")           # '#CONFIG_X is not set' without the space is a comment


def test_last_assignment_wins_across_fragments(frag):
    prj = frag("CONFIG_BOOT_MAX_IMG_SECTORS=256\n", name="prj.conf")
    board = frag("CONFIG_BOOT_MAX_IMG_SECTORS=1024\n", name="board.conf")
    cfg = evaluate([prj, board], "mcuboot", (3, 2, 99), "nrf52", facts=NRF52840)
    v = cfg.get("BOOT_MAX_IMG_SECTORS")
    assert v.value == 1024 and v.origin == "fragment" and len(v.assignments) == 2
    assert cfg.dropped == []          # an override is not a drop


# ------------------------------------------------------------------------------ dependencies

def test_dependency_drop_names_the_dependency(frag):
    a = frag('CONFIG_MCUBOOT_SIGNATURE_KEY_FILE="app.pem"\nCONFIG_MCUBOOT_GENERATE_CONFIRMED_IMAGE=y\n')
    cfg = evaluate([a], "app", (3, 2, 99), "nrf52", facts=NRF52840)
    assert reasons(cfg) == {"MCUBOOT_SIGNATURE_KEY_FILE": "dependency",
                            "MCUBOOT_GENERATE_CONFIRMED_IMAGE": "dependency"}
    assert all("BOOTLOADER_MCUBOOT" in d.detail and "BOOTLOADER_MCUBOOT=n" in d.detail for d in cfg.dropped)
    assert cfg.get("MCUBOOT_SIGNATURE_KEY_FILE").value is None


def test_max_sectors_with_auto(frag):
    a = frag("CONFIG_BOOT_MAX_IMG_SECTORS=512\n")
    cfg = evaluate([a], "mcuboot", (3, 2, 99), "nrf52", facts={"soc": "nrf52840", "partition_manager": False})
    [d] = cfg.dropped
    assert d.reason == "dependency" and "BOOT_MAX_IMG_SECTORS_AUTO=y" in d.detail
    b = frag("CONFIG_BOOT_MAX_IMG_SECTORS_AUTO=n\n")
    cfg = evaluate([a, b], "mcuboot", (3, 2, 99), "nrf52", facts={"soc": "nrf52840", "partition_manager": False})
    assert cfg.int("BOOT_MAX_IMG_SECTORS") == 512 and cfg.dropped == []


def test_downgrade_prevention_dependency_changed(frag):
    a = frag("CONFIG_MCUBOOT_DOWNGRADE_PREVENTION=y\n")
    cfg = evaluate([a], "mcuboot", (2, 0, 0), "nrf52", facts=NRF52840)
    assert reasons(cfg) == {"MCUBOOT_DOWNGRADE_PREVENTION": "dependency"}
    assert "BOOT_UPGRADE_ONLY" in cfg.dropped[0].detail
    cfg = evaluate([a], "mcuboot", (2, 4, 0), "nrf52", facts=NRF52840)
    assert cfg.enabled("MCUBOOT_DOWNGRADE_PREVENTION") and cfg.dropped == []


def test_fact_dependency(frag):
    a = frag("CONFIG_NORDIC_QSPI_NOR=y\n")
    cfg = evaluate([a], "app", (3, 2, 99), "nrf52", facts={"soc": "nrf52833"})
    [d] = cfg.dropped
    assert d.reason == "dependency" and "HAS_HW_NRF_QSPI=n" in d.detail
    # unknown SoC: no finding
    cfg = evaluate([a], "app", (3, 2, 99), None, facts={})
    assert cfg.dropped == [] and cfg.enabled("NORDIC_QSPI_NOR")


def test_soft_dependency_is_assumed(frag):
    # NCS samples select FLASH in their own Kconfig; a fragment that relies on it is not an error
    a = frag("CONFIG_NORDIC_QSPI_NOR=y\nCONFIG_NORDIC_QSPI_NOR_FLASH_LAYOUT_PAGE_SIZE=4096\n")
    cfg = evaluate([a], "app", (2, 0, 99), "nrf53", facts=NRF5340)
    assert cfg.dropped == []
    flash = cfg.get("FLASH")
    assert flash.value == "y" and flash.origin == "default" and flash.note.startswith("assumed y")
    # ... but not when the fragments switch it off
    b = frag("CONFIG_FLASH=n\n")
    cfg = evaluate([b, a], "app", (2, 0, 99), "nrf53", facts=NRF5340)
    assert reasons(cfg) == {"NORDIC_QSPI_NOR": "dependency", "NORDIC_QSPI_NOR_FLASH_LAYOUT_PAGE_SIZE": "dependency"}
    assert "FLASH=n" in cfg.dropped[0].detail
    # chains of soft dependencies
    c = frag("CONFIG_MCUMGR_GRP_OS_ECHO=y\nCONFIG_MCUMGR_TRANSPORT_BT_PERM_RW=y\n")
    cfg = evaluate([c], "app", (3, 2, 99), "nrf52", facts=NRF52840)
    assert cfg.dropped == [] and cfg.enabled("MCUMGR_TRANSPORT_BT_PERM_RW")
    # the MCUboot image's configuration is complete: nothing is assumed there
    d = frag("CONFIG_MCUBOOT_SERIAL=n\nCONFIG_BOOT_SERIAL_UART=y\n")
    cfg = evaluate([d], "mcuboot", (3, 2, 99), "nrf52", facts=NRF52840)
    assert reasons(cfg) == {"BOOT_SERIAL_UART": "dependency"}


def test_no_prompt_by_version(frag):
    a = frag("CONFIG_BOOT_SIGNATURE_TYPE_RSA=y\nCONFIG_BOOT_ENCRYPT_RSA=y\n")
    cfg = evaluate([a], "mcuboot", (2, 0, 0), "nrf52", facts=NRF52840)
    assert cfg.dropped == [] and cfg.enabled("BOOT_ENCRYPT_RSA")
    assert cfg.get("BOOT_ENCRYPT_IMAGE").origin == "select"
    cfg = evaluate([a], "mcuboot", (3, 2, 99), "nrf52", facts=NRF52840)
    assert reasons(cfg) == {"BOOT_ENCRYPT_RSA": "no-prompt"}
    assert "BOOT_ENCRYPT_IMAGE" in cfg.dropped[0].detail
    b = frag("CONFIG_BOOT_SIGNATURE_TYPE_RSA=y\nCONFIG_BOOT_ENCRYPT_IMAGE=y\n")
    cfg = evaluate([b], "mcuboot", (3, 2, 99), "nrf52", facts=NRF52840)
    assert cfg.dropped == [] and cfg.enabled("BOOT_ENCRYPT_RSA") and cfg.get("BOOT_ENCRYPT_RSA").origin == "select"
    assert cfg.str("BOOT_ENCRYPTION_KEY_FILE") == "enc-rsa2048-priv.pem"


def test_select_and_select_drop(frag):
    a = frag("CONFIG_BOOTLOADER_MCUBOOT=y\nCONFIG_NCS_SAMPLE_MCUMGR_BT_OTA_DFU=y\nCONFIG_MCUMGR=n\n")
    cfg = evaluate([a], "app", (3, 2, 99), "nrf52", facts=NRF52840)
    m = cfg.get("MCUMGR")
    assert m.value == "y" and m.origin == "select" and "NCS_SAMPLE_MCUMGR_BT_OTA_DFU" in m.note
    assert reasons(cfg) == {"MCUMGR": "select"}
    for name in ("MCUMGR_TRANSPORT_BT", "IMG_MANAGER", "MCUMGR_GRP_IMG", "STREAM_FLASH", "FLASH"):
        assert cfg.enabled(name), name
    assert cfg.enabled("MCUMGR_TRANSPORT_BT_PERM_RW")             # the sample helper's choice default
    cfg = evaluate([a], "app", (2, 4, 0), "nrf52", facts=NRF52840)
    assert cfg.get("IMG_MANAGER").value == "y" and "implied" in cfg.get("IMG_MANAGER").note


def test_old_mcumgr_names_evaluate_at_their_version(frag):
    a = frag("CONFIG_MCUMGR=y\nCONFIG_MCUMGR_SMP_BT=y\nCONFIG_MCUMGR_CMD_IMG_MGMT=y\n")
    cfg = evaluate([a], "app", (1, 9, 0), "nrf52", facts=NRF52840)
    assert cfg.enabled("MCUMGR_SMP_BT") and cfg.get("BT").origin == "select"
    assert cfg.undefined == [] and cfg.dropped == []
    cfg = evaluate([a], "app", (2, 4, 0), "nrf52", facts=NRF52840)
    assert [(x.name, st, det) for x, st, det in cfg.undefined] == [
        ("MCUMGR_SMP_BT", "renamed", "MCUMGR_TRANSPORT_BT"), ("MCUMGR_CMD_IMG_MGMT", "renamed", "MCUMGR_GRP_IMG")]
    v = cfg.get("MCUMGR_SMP_BT")
    assert v.value is None and v.origin == "unset" and v.note == "renamed to MCUMGR_TRANSPORT_BT"
    assert not cfg.enabled("MCUMGR_TRANSPORT_BT")


def test_other_image_assignment(frag):
    a = frag("CONFIG_PM_PARTITION_SIZE_MCUBOOT=0x10000\nCONFIG_MCUBOOT_MODE_SWAP_USING_MOVE=y\n", name="prj.conf")
    cfg = evaluate([a], "app", (3, 2, 99), "nrf52", facts=NRF52840)
    assert [(x.name, st, det) for x, st, det in cfg.undefined] == [
        ("PM_PARTITION_SIZE_MCUBOOT", "other-image", "mcuboot"), ("MCUBOOT_MODE_SWAP_USING_MOVE", "other-image", "sysbuild")]
    assert cfg.unknown == [] and cfg.dropped == []
    assert cfg.get("PM_PARTITION_SIZE_MCUBOOT").note == "defined only in the mcuboot image"
    cfg = evaluate([a], "mcuboot", (3, 2, 99), "nrf52", facts=NRF52840)
    assert cfg.int("PM_PARTITION_SIZE_MCUBOOT") == 0x10000


# ------------------------------------------------------------------------------ choices

def test_choice_members(frag):
    a = frag("CONFIG_BOOT_UPGRADE_ONLY=y\n")
    cfg = evaluate([a], "mcuboot", (3, 2, 99), "nrf52", facts=NRF52840)
    assert selected(cfg, MODES) == ["BOOT_UPGRADE_ONLY"] and cfg.dropped == []
    assert cfg.get("BOOT_SWAP_USING_OFFSET").value == "n"
    # two members set: the later one wins, the earlier one is reported
    b = frag("CONFIG_BOOT_DIRECT_XIP=y\n")
    cfg = evaluate([a, b], "mcuboot", (3, 2, 99), "nrf52", facts=NRF52840)
    assert selected(cfg, MODES) == ["BOOT_DIRECT_XIP"]
    [d] = cfg.dropped
    assert d.reason == "choice" and d.assignment.name == "BOOT_UPGRADE_ONLY" and "BOOT_DIRECT_XIP" in d.detail
    # a member cannot be switched off with =n
    c = frag("CONFIG_BOOT_SWAP_USING_MOVE=n\n")
    cfg = evaluate([c], "mcuboot", (3, 1, 0), "nrf52", facts=NRF52840)
    assert cfg.enabled("BOOT_SWAP_USING_MOVE") and reasons(cfg) == {"BOOT_SWAP_USING_MOVE": "choice"}
    # MCUboot's prj.conf writes BOOT_UPGRADE_ONLY=n: harmless when another member is the default
    mcuboot_prj = frag("CONFIG_BOOT_UPGRADE_ONLY=n\nCONFIG_BOOT_BOOTSTRAP=n\n")
    cfg = evaluate([mcuboot_prj], "mcuboot", (3, 2, 99), "nrf52", facts=NRF52840)
    assert cfg.dropped == [] and cfg.enabled("BOOT_SWAP_USING_OFFSET")


def test_single_slot_hides_the_mode_choice(frag):
    a = frag("CONFIG_SINGLE_APPLICATION_SLOT=y\nCONFIG_BOOT_UPGRADE_ONLY=y\n")
    cfg = evaluate([a], "mcuboot", (3, 2, 99), "nrf52", facts=NRF52840)
    assert selected(cfg, MODES) == []
    assert reasons(cfg) == {"BOOT_UPGRADE_ONLY": "dependency"}
    assert "SINGLE_APPLICATION_SLOT=y" in cfg.dropped[0].detail


def test_signature_type_choice_and_key(frag):
    a = frag("CONFIG_BOOT_SIGNATURE_TYPE_RSA=y\nCONFIG_BOOT_SIGNATURE_TYPE_ED25519=y\n")
    cfg = evaluate([a], "mcuboot", (3, 2, 99), "nrf52", facts=NRF52840)
    assert cfg.enabled("BOOT_SIGNATURE_TYPE_ED25519") and not cfg.enabled("BOOT_SIGNATURE_TYPE_RSA")
    assert cfg.str("BOOT_SIGNATURE_KEY_FILE") == "root-ed25519.pem"
    assert reasons(cfg) == {"BOOT_SIGNATURE_TYPE_RSA": "choice"}


# ------------------------------------------------------------------------------ sysbuild forcing

def test_sysbuild_forcing_overrides_fragments(frag):
    prj = frag('CONFIG_BOOTLOADER_MCUBOOT=y\nCONFIG_MCUBOOT_SIGNATURE_KEY_FILE="prj.pem"\n'
               "CONFIG_MCUBOOT_BOOTLOADER_MODE_SWAP_SCRATCH=y\n", name="prj.conf")
    forced = frag('CONFIG_BOOTLOADER_MCUBOOT=y\nCONFIG_MCUBOOT_SIGNATURE_KEY_FILE="/keys/sb.pem"\n'
                  "CONFIG_MCUBOOT_BOOTLOADER_MODE_SWAP_USING_MOVE=y\n", name=".config.sysbuild").assignments
    cfg = evaluate([prj], "app", (3, 2, 99), "nrf52", forced=forced, facts=NRF52840)
    key = cfg.get("MCUBOOT_SIGNATURE_KEY_FILE")
    assert key.value == "/keys/sb.pem" and key.origin == "forced" and len(key.assignments) == 2
    assert cfg.enabled("MCUBOOT_BOOTLOADER_MODE_SWAP_USING_MOVE")
    assert cfg.get("BOOTLOADER_MCUBOOT").origin == "forced"
    r = reasons(cfg)
    assert r == {"MCUBOOT_SIGNATURE_KEY_FILE": "forced", "MCUBOOT_BOOTLOADER_MODE_SWAP_SCRATCH": "forced"}
    assert all(d.assignment.span.path.name == "prj.conf" for d in cfg.dropped)


def test_sysbuild_without_mcuboot_disables_the_app_side(frag):
    prj = frag("CONFIG_BOOTLOADER_MCUBOOT=y\nCONFIG_NCS_SAMPLE_MCUMGR_BT_OTA_DFU=y\nCONFIG_BT=y\n"
               "CONFIG_BT_PERIPHERAL=y\n")
    forced = frag("CONFIG_BOOTLOADER_MCUBOOT=n\n").assignments
    cfg = evaluate([prj], "app", (3, 2, 99), "nrf52", forced=forced, facts=NRF52840)
    assert not cfg.enabled("BOOTLOADER_MCUBOOT") and not cfg.enabled("NCS_SAMPLE_MCUMGR_BT_OTA_DFU")
    r = reasons(cfg)
    assert r == {"BOOTLOADER_MCUBOOT": "forced", "NCS_SAMPLE_MCUMGR_BT_OTA_DFU": "dependency"}


# ------------------------------------------------------------------------------ unknown symbols

def test_unknown_symbols_are_left_alone(frag):
    a = frag('CONFIG_BT_DEVICE_NAME="Sensor"\nCONFIG_HEAP_MEM_POOL_SIZE=4096 # bytes\nCONFIG_MY_FEATURE=y # on\n'
             "# CONFIG_OTHER is not set\nCONFIG_WEIRD=abc\nCONFIG_SPACED = y\n")
    cfg = evaluate([a], "app", (3, 2, 99), "nrf52", facts=NRF52840)
    assert cfg.dropped == [] and cfg.undefined == []
    assert [x.symbol for x in cfg.unknown] == ["BT_DEVICE_NAME", "HEAP_MEM_POOL_SIZE", "MY_FEATURE", "OTHER",
                                               "WEIRD", "SPACED "]
    assert cfg.str("BT_DEVICE_NAME") == "Sensor" and cfg.get("BT_DEVICE_NAME").origin == "fragment"
    assert cfg.int("HEAP_MEM_POOL_SIZE") is None          # the comment spoils an int, as in Kconfig
    assert cfg.enabled("MY_FEATURE")
    assert cfg.get("OTHER").value == "n"
    assert cfg.get("WEIRD").value == "abc"
    assert cfg.get("SPACED").value is None                # 'CONFIG_SPACED = y' assigns 'SPACED '
    assert cfg.get("NEVER_SET") == km.Value(None, "unset", [], "")
    assert status_in("MY_FEATURE", "app", (3, 2, 99)) == ("unknown", None)


# ------------------------------------------------------------------------------ robustness, caching, timing

def test_never_raises_on_odd_input(frag):
    class Odd:
        assignments = [object(), None]

    class Broken:
        @property
        def assignments(self):
            raise RuntimeError("boom")

    a = frag("CONFIG_BOOT_MAX_IMG_SECTORS=\nCONFIG_BOOT_VALIDATE_SLOT0=\nCONFIG_LOG=\"y\"\n")
    for image in ("app", "mcuboot", "sysbuild", "ipc_radio", "", None):
        for sdk in ((3, 2, 99), (1, 4, 0), None, "junk", (99, 0, 0)):
            cfg = evaluate([a, Odd(), None], image, sdk, "esp32", facts={"soc": 12, "board": None})
            assert isinstance(cfg, ImageConfig)
            cfg.get("BOOT_MAX_IMG_SECTORS"), cfg.enabled("LOG"), cfg.int("X"), cfg.str("Y")
    cfg = evaluate([Broken()], "app", (3, 2, 99))
    assert isinstance(cfg, ImageConfig)
    cfg = evaluate([a], "mcuboot", (3, 2, 99), "nrf52", facts=NRF52840)
    assert {d.assignment.name: d.reason for d in cfg.dropped} == {
        "BOOT_MAX_IMG_SECTORS": "type", "BOOT_VALIDATE_SLOT0": "type", "LOG": "type"}   # a quoted bool too
    assert "is not a valid value for the bool symbol" in cfg.dropped[-1].detail


def test_cached_tree_is_reset_between_evaluations(frag):
    a = frag("CONFIG_BOOT_MAX_IMG_SECTORS=4096\nCONFIG_BOOT_UPGRADE_ONLY=y\n")
    cfg1 = evaluate([a], "mcuboot", (3, 2, 99), "nrf52", facts=NRF52840)
    cfg2 = evaluate([], "mcuboot", (3, 2, 99), "nrf52", facts=NRF52840)
    cfg3 = evaluate([a, a], "mcuboot", (3, 2, 99), "nrf52", facts=NRF52840)
    assert cfg1.int("BOOT_MAX_IMG_SECTORS") == 4096 and cfg1.enabled("BOOT_UPGRADE_ONLY")
    assert cfg2.int("BOOT_MAX_IMG_SECTORS") == 128 and cfg2.enabled("BOOT_SWAP_USING_OFFSET")
    assert cfg3.int("BOOT_MAX_IMG_SECTORS") == 4096 and cfg3.dropped == []
    assert cfg1.int("BOOT_MAX_IMG_SECTORS") == 4096     # snapshots do not change afterwards


def test_generated_tree_is_plain_kconfig():
    text = km.generated_tree("mcuboot", (3, 2, 99), "nrf54l", NRF54L15)
    assert "config BOOT_MAX_IMG_SECTORS\n\tint \"BOOT_MAX_IMG_SECTORS\"\n\tdefault 256\n\tdefault 128\n" in text
    assert "choice BOOT_IMAGE_UPGRADE_MODE" in text
    assert "SOC_" not in text and "DT_HAS" not in text          # facts are substituted
    app = km.generated_tree("app", (3, 2, 99), "nrf52", NRF52840)
    assert "config BOOT_MAX_IMG_SECTORS\n" not in app and "config BOOTLOADER_MCUBOOT\n" in app


VERSIONS = [(1, 4, 0), (1, 5, 0), (1, 6, 0), (1, 7, 0), (1, 8, 0), (1, 9, 0), (2, 0, 0), (2, 1, 0), (2, 2, 0),
            (2, 3, 0), (2, 4, 0), (2, 5, 0), (2, 6, 0), (2, 7, 0), (2, 8, 0), (2, 9, 0), (3, 0, 0), (3, 1, 0),
            (3, 2, 0), (3, 2, 99), (3, 4, 0)]


@pytest.mark.parametrize("image", ["app", "mcuboot", "sysbuild"])
def test_generated_trees_parse_cleanly_at_every_version(image, tmp_path):
    import kconfiglib
    tmp = tmp_path / f"sweep.{image}"
    for sdk in VERSIONS:
        for family, facts in (("nrf52", NRF52840), ("nrf54l", NRF54L15), ("nrf53", NRF5340), (None, {})):
            tmp.write_text(km.generated_tree(image, sdk, family, facts))
            kconf = kconfiglib.Kconfig(str(tmp), warn=True, warn_to_stderr=False)   # no dependency loop
            assert kconf.warnings == [], (sdk, family, kconf.warnings[:3])


@pytest.mark.parametrize("zephyr,ncs", [
    ((3, 2, 0), (2, 2, 0)), ((3, 3, 0), (2, 4, 0)), ((3, 2, 99), (2, 4, 0)), ((4, 1, 0), (3, 0, 0)),
    ((2, 7, 0), (1, 8, 0)), ((9, 0, 0), km._LATEST), (None, None)])
def test_ncs_for_zephyr(zephyr, ncs):
    assert km.ncs_for_zephyr(zephyr) == ncs
    if ncs:
        # Zephyr 3.3 has the new MCUmgr names, Zephyr 3.2 the old ones
        assert (status_in("MCUMGR_SMP_BT", "app", ncs)[0] == "renamed") == (zephyr >= (3, 2, 99))


# ------------------------------------------------------------------------------ the corpus

def _manifest_rows():
    path = CORPUS / "MANIFEST.tsv"
    if not path.is_file():
        return []
    with open(path, newline="") as f:
        return [r for r in csv.DictReader(f, delimiter="\t") if r.get("known_good") == "yes"]


def _image_of(rel: str) -> str:
    parts = rel.split("/")
    if parts[-1] == "sysbuild.conf" and "sysbuild" not in parts[:-1]:
        return "sysbuild"
    for i, p in enumerate(parts[:-1]):
        if p in ("child_image", "sysbuild", "images"):
            if i + 1 == len(parts) - 1:          # child_image/mcuboot.conf, sysbuild/mcuboot_x.conf
                stem = parts[-1][:-len(".conf")]
                return "mcuboot" if stem.startswith("mcuboot") else stem.split("_")[0]
            return parts[i + 1]
    return "app"


def _corpus_assignments(version_override=None):
    from dfulint.workspace import parse_version
    for row in _manifest_rows():
        label = row["ncs_or_zephyr_version"]
        if "sdk-mcuboot" in label:
            version, fixed = (3, 2, 99), "mcuboot"       # the NCS MCUboot fork's own configuration
        elif label.startswith("ncs"):
            version, fixed = parse_version(label), None
        else:
            continue
        if version is None:
            continue
        root = CORPUS / row["app_dir"]
        for path in sorted(root.rglob("*.conf")):
            rel = path.relative_to(root).as_posix()
            image = fixed or _image_of(rel)
            for prefix in ("CONFIG_", "SB_CONFIG_"):
                for a in parse_fragment(path, prefix).assignments:
                    yield (row["app_dir"], rel, "sysbuild" if prefix == "SB_CONFIG_" else image,
                           version_override or version, a)


@pytest.mark.skipif(not _manifest_rows(), reason="corpus not available")
def test_known_good_apps_use_only_valid_symbols():
    """Nordic's own samples build: no symbol they set may be called renamed, removed, not yet
    added or foreign to its image at the SDK version of the snapshot."""
    bad, seen, snapshots = [], 0, set()
    for app, rel, image, version, a in _corpus_assignments():
        st, detail = status_in(a.name, image, version)
        seen += 1
        if app.startswith("nrfconnect__sdk-nrf_"):
            snapshots.add(app.split("/")[0])
        if st in ("renamed", "removed", "other-image", "not-yet"):
            bad.append(f"{app}/{rel}:{a.span.line} [{image} @ {version}] {a.full_name}: {st} {detail}")
    assert {"nrfconnect__sdk-nrf_v3.2.99", "nrfconnect__sdk-nrf_v2.0.99"} <= snapshots
    assert seen > 3000
    assert not bad, "\n".join(bad[:50])


@pytest.mark.skipif(not _manifest_rows(), reason="corpus not available")
def test_old_snapshot_is_flagged_at_a_newer_version():
    """The same check is not vacuous: NCS 2.0 samples use names that NCS 3.2 no longer has."""
    found = set()
    for app, rel, image, version, a in _corpus_assignments(version_override=(3, 2, 99)):
        if not app.startswith("nrfconnect__sdk-nrf_v2.0.99"):
            continue
        st, detail = status_in(a.name, image, version)
        if st != "ok" and st != "unknown":
            found.add((a.name, st, detail))
    assert ("MCUMGR_SMP_BT", "renamed", "MCUMGR_TRANSPORT_BT") in found
    assert ("MCUMGR_CMD_IMG_MGMT", "renamed", "MCUMGR_GRP_IMG") in found
    assert ("MCUBOOT_IMAGE_VERSION", "renamed", "MCUBOOT_IMGTOOL_SIGN_VERSION") in found
    assert ("BOOT_SERIAL_DETECT_PIN", "removed", "2.4") in found


@pytest.mark.skipif(not (CORPUS / "nrfconnect__sdk-mcuboot/boot/zephyr/prj.conf").is_file(),
                    reason="corpus not available")
def test_real_mcuboot_configuration():
    base = CORPUS / "nrfconnect__sdk-mcuboot/boot/zephyr"
    frags = [parse_fragment(base / "prj.conf"), parse_fragment(base / "socs/nrf54l15_cpuapp.conf")]
    cfg = evaluate(frags, "mcuboot", (3, 2, 99), "nrf54l", facts=dict(NRF54L15, mcuboot_own_config=False))
    v = cfg.get("BOOT_MAX_IMG_SECTORS")
    assert v.value == 256 and v.origin == "fragment" and v.assignments[0].span.path.name == "nrf54l15_cpuapp.conf"
    assert not cfg.enabled("SPI_NOR") and cfg.enabled("FLASH") and cfg.enabled("LOG_MODE_MINIMAL")
    assert cfg.enabled("BOOT_SWAP_USING_OFFSET") and not cfg.enabled("BOOT_UPGRADE_ONLY")
    assert cfg.dropped == [] and cfg.undefined == []
    thingy = parse_fragment(base / "boards/thingy53_nrf5340_cpuapp.conf")
    cfg = evaluate([frags[0], thingy], "mcuboot", (3, 2, 99), "nrf53",
                   facts=dict(NRF5340, board="thingy53/nrf5340/cpuapp", mcuboot_own_config=False))
    assert cfg.int("BOOT_MAX_IMG_SECTORS") == 2048 and cfg.enabled("BOOT_SIGNATURE_TYPE_RSA")
    assert cfg.enabled("MCUBOOT_SERIAL") and cfg.enabled("BOOT_SERIAL_CDC_ACM") and cfg.enabled("MULTITHREADING")
    assert cfg.int("NORDIC_QSPI_NOR_FLASH_LAYOUT_PAGE_SIZE") == 4096
    # the Thingy:53 board file turns LOG off under prj.conf's LOG_MODE_MINIMAL=y: Kconfig warns
    assert [(d.assignment.name, d.reason) for d in cfg.dropped] == [("LOG_MODE_MINIMAL", "dependency")]
    assert "LOG=n" in cfg.dropped[0].detail


# ------------------------------------------------------------------ one evaluation per distinct image

def test_an_image_is_evaluated_once_per_run_for_equal_inputs(tmp_path, monkeypatch):
    """The boards of an app often share a SoC and every fragment: their image is evaluated once."""
    from dfulint.sources import clear_caches

    prj = tmp_path / "prj.conf"
    prj.write_text("CONFIG_BOOTLOADER_MCUBOOT=y\nCONFIG_MCUMGR=y\n")
    board = tmp_path / "board.conf"
    board.write_text("CONFIG_MCUMGR=n\n")
    calls = []
    real = km._evaluate
    monkeypatch.setattr(km, "_evaluate", lambda *a: calls.append(a[1]) or real(*a))
    clear_caches()
    first = evaluate([parse_fragment(prj)], "app", (2, 6, 0), "nrf52", facts=NRF52840)
    again = evaluate([parse_fragment(prj)], "app", (2, 6, 0), "nrf52", facts=NRF52840)
    assert again is first and len(calls) == 1
    other_soc = evaluate([parse_fragment(prj)], "app", (2, 6, 0), "nrf53", facts=NRF5340)
    with_board = evaluate([parse_fragment(prj), parse_fragment(board)], "app", (2, 6, 0), "nrf52", facts=NRF52840)
    mcuboot = evaluate([parse_fragment(prj)], "mcuboot", (2, 6, 0), "nrf52", facts=NRF52840)
    assert len(calls) == 4 and len({id(first), id(other_soc), id(with_board), id(mcuboot)}) == 4
    assert first.get("MCUMGR").value == "y" and with_board.get("MCUMGR").value == "n"
    prj.write_text("CONFIG_BOOTLOADER_MCUBOOT=y\nCONFIG_MCUMGR=n\n")   # a new run reads the files anew
    clear_caches()
    assert evaluate([parse_fragment(prj)], "app", (2, 6, 0), "nrf52", facts=NRF52840).get("MCUMGR").value == "n"
    assert len(calls) == 5


def test_expression_scanner_reads_what_the_kconfig_token_pattern_reads():
    """Catalogue expressions are scanned with string tests; they split text exactly as the pattern
    `\\s*(op|"string"|word)` did, and refuse what it refused."""
    import random

    pattern = re.compile(r'\s*(?:(\|\||&&|!=|<=|>=|[!()=<>])|("(?:[^"\\]|\\.)*")|([A-Za-z0-9_$.\-+]+))')

    def by_pattern(text):
        toks, pos, s = [], 0, text.strip()
        while pos < len(s):
            m = pattern.match(s, pos)
            if not m or m.end() == pos:
                return None
            toks.append(m.group(1) or m.group(2) or m.group(3))
            pos = m.end()
            while pos < len(s) and s[pos].isspace():
                pos += 1
        return toks

    def scanned(text):
        try:
            return km._tokens(text)
        except km._ExprError:
            return None

    rng = random.Random(5)
    alphabet = list('aZ_09$.-+|&!=<>()" \\\n\t#,x') + ["\u00e9", "\u2003"]
    texts = ['SOC_SERIES_NRF53X && !(BOARD_IS_NON_SECURE || X = "a\\"b")', "A<=0x10", '"unterminated']
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 9))) for _ in range(20000)]
    for text in texts:
        assert scanned(text) == by_pattern(text), repr(text)
    for t in ["0x1F", "-12", "0X10", "0x", "-", "ABC_1", "_X", "1A", "0xg", ""]:
        assert km._is_number(t) == bool(re.fullmatch(r"-?(0[xX])?[0-9A-Fa-f]+", t)), t
        assert km._is_number(t, upper_x=False) == bool(re.fullmatch(r"-?(0x)?[0-9a-fA-F]+", t)), t
        assert km._is_upper_name(t) == bool(re.fullmatch(r"[A-Z_][A-Z0-9_]*", t)), t


def test_a_condition_folds_to_n_exactly_when_its_substituted_text_is_n():
    """A board's own defaults are told from the shared tree's by folding each condition over the
    board's facts (_const_after); that must agree with substituting and printing it."""
    import itertools
    import random

    cat = km._catalogue()
    texts = set()
    for e in list(cat.image_syms.values()) + list(cat.sb_syms.values()):
        for key in ("default", "select", "imply", "range", "depends_on"):
            for item in e.raw.get(key) or []:
                if isinstance(item, dict):
                    texts.update(str(item[k]) for k in ("if", "expr") if isinstance(item.get(k), str))
    names = sorted(km._fact_names())
    rng = random.Random(3)
    texts.update(f"{a} && !({b} || {c})" for a, b, c in itertools.islice(
        ((rng.choice(names), rng.choice(names + ["X"]), rng.choice(names + ["n", "y"])) for _ in range(300)), 300))
    assert len(texts) > 50
    fact_sets = [km._fact_values(None, None), km._fact_values("nrf53", {"soc": "nrf5340_cpuapp"})]
    fact_sets += [{n: rng.choice((True, False, None)) for n in names} for _ in range(20)]
    for text in sorted(texts):
        for facts in fact_sets:
            for mode in ("cond", "dep"):
                want = km._subst_text(text, facts, mode)
                got = km._const_after(km._parse(text), facts, mode)
                assert (got == "n") == (want == "n") and (got == "y") == (want == "y"), (text, mode)
