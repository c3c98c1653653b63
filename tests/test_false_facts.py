"""Findings that real apps showed to be false, each pinned by a fixture in the real shape."""
from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from dfulint.cli import cli
from helpers import make_app

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "fixtures" / "rules"


def check(app: Path, *args: str) -> list[dict]:
    res = CliRunner().invoke(cli, ["check", str(app), "--format", "json", "--isolated", *args])
    assert res.exit_code in (0, 1), res.output
    return json.loads(res.output)["findings"]


def of(findings, code):
    return [f for f in findings if f["code"] == code]


# ------------------------------------------------------------------ `CONFIG_X= value`

def test_a_space_after_equals_keeps_a_number_intact():
    """Kconfiglib parses int and hex values with int(), which skips the space: the value is used."""
    app = RULES / "DFU405-conf-space-around-equals" / "space-after-equals"
    f = check(app)
    (hit,) = of(f, "DFU405")
    assert hit["severity"] == "info" and "gets 256 as written" in hit["message"]
    assert not of(f, "DFU202")                   # MCUboot's table holds the 256 sectors


def test_a_space_after_equals_before_a_bool_or_string_is_rejected(tmp_path: Path):
    app = make_app(tmp_path / "a", {"prj.conf": "CONFIG_MAIN_STACK_SIZE= 10240\nCONFIG_BOOTLOADER_MCUBOOT= y\n"
                                                'CONFIG_BT_DEVICE_NAME= "lock"\nCONFIG_BT=y\n'})
    f = {x["line"]: x for x in of(check(app, "--board", "nrf52dk/nrf52832", "--sdk-version", "2.5.0"), "DFU405")}
    assert f[1]["severity"] == "info"
    assert f[2]["severity"] == "error" and "not a valid value for the bool symbol" in f[2]["message"]
    assert f[3]["severity"] == "error" and "malformed string literal" in f[3]["message"]


def test_a_space_before_equals_is_still_an_undefined_symbol(tmp_path: Path):
    app = make_app(tmp_path / "a", {"prj.conf": "CONFIG_MAIN_STACK_SIZE =10240\n"})
    (hit,) = of(check(app, "--board", "nrf52dk/nrf52832", "--sdk-version", "2.5.0"), "DFU405")
    assert hit["severity"] == "error" and "undefined symbol" in hit["message"]
