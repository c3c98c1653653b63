"""A custom board's Kconfig.defconfig: the defaults Zephyr reads before the symbols' own definitions."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from dfulint.cli import cli

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "fixtures" / "apps" / "ncs-2.5-child-image-custom-board-kconfig-defconfig"
BOARD = "acme_sense53_nrf5340_cpuapp"
DEFCONFIG = "boards/arm/acme_sense53/Kconfig.defconfig"


def target(app: Path = APP):
    from dfulint.model.project import build_targets
    from dfulint.workspace import describe_app

    (t,) = build_targets(describe_app(app, [BOARD]))
    return t


def test_a_board_default_turns_mcuboot_on_for_the_application_only():
    t = target()
    v = t.images["app"].config.get("BOOTLOADER_MCUBOOT")
    assert v.value == "y" and v.assignments[-1].span.path.name == "Kconfig.defconfig"
    assert t.mcuboot_enabled and "primary" in t.slots and t.boot is not None
    # `default y if !MCUBOOT`: the bootloader image itself does not take it
    assert t.images["mcuboot"].config.get("BOOTLOADER_MCUBOOT").value != "y"
    assert any(DEFCONFIG in n and "CONFIG_BOOTLOADER_MCUBOOT=y (line 10)" in n for n in t.images["app"].notes)


def test_the_apps_fragment_still_wins(tmp_path: Path):
    app = tmp_path / APP.name
    shutil.copytree(APP, app)
    (app / "prj.conf").write_text((app / "prj.conf").read_text() + "CONFIG_BOOTLOADER_MCUBOOT=n\n")
    assert not target(app).mcuboot_enabled


def test_a_default_dfulint_cannot_evaluate_is_said_not_guessed(tmp_path: Path):
    app = tmp_path / APP.name
    shutil.copytree(APP, app)
    p = app / DEFCONFIG
    p.write_text(p.read_text().replace("default y if !MCUBOOT", "default y if !MCUBOOT && ACME_PRODUCTION_LINE"))
    t = target(app)
    assert not t.mcuboot_enabled
    assert any("ACME_PRODUCTION_LINE" in n and "not applied" in n for n in t.images["app"].notes)


def test_show_context_names_the_file_and_the_verdict_checks_the_slots():
    res = CliRunner().invoke(cli, ["check", str(APP), "--board", BOARD, "--show-context", "--isolated"])
    assert f"{DEFCONFIG}: the custom board's Kconfig defaults" in res.output
    res = CliRunner().invoke(cli, ["check", str(APP), "--board", BOARD, "--format", "json", "--isolated"])
    (v,) = json.loads(res.output)["verdicts"]
    assert v["verdict"] == "apply", v
