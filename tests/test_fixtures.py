"""End to end over fixtures/: every app reports what its expect.json says."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from dfulint.checks import load_all
from dfulint.cli import cli

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = sorted(p.parent for p in (ROOT / "fixtures").rglob("expect.json"))


def run_fixture(app: Path, args: list[str]) -> list[dict]:
    # a release the app is compared with (--against FILE) is kept beside it
    args = [str(app / a) if i and args[i - 1] == "--against" and (app / a).exists() else a
            for i, a in enumerate(args)]
    res = CliRunner().invoke(cli, ["check", str(app), "--format", "json", *args])
    assert res.exit_code in (0, 1), res.output
    return json.loads(res.output)["findings"]


def _with_fifos(app: Path, spec: dict, tmp_path: Path) -> Path:
    """A copy of the app with the FIFOs (named pipes) its expect.json lists: git cannot store them."""
    import os
    import shutil

    if not spec.get("fifos"):
        return app
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this system")
    copy = tmp_path / app.name
    shutil.copytree(app, copy, symlinks=True)
    for rel in spec["fifos"]:
        (copy / rel).parent.mkdir(parents=True, exist_ok=True)
        os.mkfifo(copy / rel)
    return copy


@pytest.mark.parametrize("app", FIXTURES, ids=lambda p: str(p.relative_to(ROOT / "fixtures")))
def test_fixture(app: Path, tmp_path: Path):
    spec = json.loads((app / "expect.json").read_text())
    app = _with_fifos(app, spec, tmp_path)
    findings = run_fixture(app, spec.get("args", []))
    got = {(f["code"], f["path"], f["line"]) for f in findings}
    for m in spec.get("must", []):
        ok = any(f["code"] == m["code"]
                 and ("path" not in m or f["path"] == m["path"])
                 and ("line" not in m or f["line"] == m["line"]) for f in findings)
        assert ok, f"expected {m} in {sorted(got)}"
    codes = {f["code"] for f in findings}
    for code in spec.get("must_not", []):
        assert code not in codes, f"{code} must not fire: {[f for f in findings if f['code'] == code]}"
    if spec.get("exact"):
        assert codes == {m["code"] for m in spec.get("must", [])}, sorted(got)
    for f in findings:
        assert f["fix"], f"finding without a fix: {f}"
        assert f["line"] >= 1


def test_every_rule_has_a_triggering_and_a_clean_fixture():
    triggered, clean = set(), set()
    for app in FIXTURES:
        spec = json.loads((app / "expect.json").read_text())
        triggered |= {m["code"] for m in spec.get("must", [])}
        clean |= set(spec.get("must_not", []))
    rules = set(load_all())
    assert rules - triggered == set(), f"rules no fixture triggers: {sorted(rules - triggered)}"
    assert rules - clean == set(), f"rules no fixture shows clean: {sorted(rules - clean)}"
