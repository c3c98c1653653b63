"""--fix and --diff: exact line edits, refused whenever the file no longer holds the expected text."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from dfulint import fix
from dfulint.cli import cli
from dfulint.core import Edit, Finding, Severity, Span

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "fixtures" / "seed_bl653_dvk"


def finding(*edits: Edit) -> Finding:
    return Finding(code="DFU999", message="m", span=Span(edits[0].path, max(1, edits[0].line)),
                   severity=Severity.WARNING, edits=list(edits))


def test_replace_and_delete_keep_line_endings(tmp_path: Path):
    p = tmp_path / "prj.conf"
    p.write_bytes(b"A=1\r\nB=2 # c\r\nC=3\r\nD=4")
    plan = fix.plan([finding(Edit(p, 2, 2, "B=2 # c", "# c\nB=2")), finding(Edit(p, 4, 4, "D=4", "D=5")),
                     finding(Edit(p, 3, 3, "C=3", None))])
    assert plan.fixed == 3 and plan.changes
    assert fix.write(plan) == [p]
    assert p.read_bytes() == b"A=1\r\n# c\r\nB=2\r\nD=5"


def test_refuses_an_edit_whose_text_changed(tmp_path: Path):
    p = tmp_path / "prj.conf"
    p.write_text("A=1\nB=2\n")
    plan = fix.plan([finding(Edit(p, 2, 2, "B=3", None)), finding(Edit(p, 5, 5, "E=1", None))])
    assert not plan.changes and plan.files == []
    assert [why for _, why in plan.skipped] == ["line 2 no longer reads as expected", "lines 5-5 are not in the file"]
    assert p.read_text() == "A=1\nB=2\n"


def test_file_changed_between_plan_and_write_is_left_alone(tmp_path: Path):
    p = tmp_path / "prj.conf"
    p.write_text("A=1\nA=1\n")
    plan = fix.plan([finding(Edit(p, 2, 2, "A=1", None))])
    p.write_text("A=1\nA=1\nB=2\n")           # someone saved the file meanwhile
    assert fix.write(plan) == []
    assert p.read_text() == "A=1\nA=1\nB=2\n"
    assert plan.skipped and "changed while fixing" in plan.skipped[0][1]


def test_overlapping_edits_wait_for_the_next_pass(tmp_path: Path):
    p = tmp_path / "prj.conf"
    p.write_text("A=1 # x\nB=1\n")
    plan = fix.plan([finding(Edit(p, 1, 1, "A=1 # x", "A=1")), finding(Edit(p, 1, 1, "A=1 # x", None))])
    assert plan.deferred == 1 and plan.fixed == 1
    fix.write(plan)
    assert p.read_text() == "A=1\nB=1\n"


def test_identical_edits_from_two_findings_apply_once(tmp_path: Path):
    p = tmp_path / "prj.conf"
    p.write_text("A=1\nA=1\n")
    e = Edit(p, 2, 2, "A=1", None)
    plan = fix.plan([finding(e), finding(Edit(p, 2, 2, "A=1", None))])
    assert plan.fixed == 2 and plan.deferred == 0
    fix.write(plan)
    assert p.read_text() == "A=1\n"


def test_append_and_create(tmp_path: Path):
    existing = tmp_path / "sysbuild.conf"
    existing.write_text("SB_CONFIG_BOOTLOADER_MCUBOOT=y")
    new = tmp_path / "sysbuild" / "mcuboot.conf"
    plan = fix.plan([finding(Edit(existing, 0, 0, "SB_CONFIG_BOOTLOADER_MCUBOOT=y", "SB_CONFIG_X=1")),
                     finding(Edit(new, 0, 0, "", "CONFIG_BOOT_MAX_IMG_SECTORS=256"))])
    assert fix.write(plan) == sorted([existing, new], key=str)
    assert existing.read_text() == "SB_CONFIG_BOOTLOADER_MCUBOOT=y\nSB_CONFIG_X=1\n"
    assert new.read_text() == "CONFIG_BOOT_MAX_IMG_SECTORS=256\n"
    # appending expects the whole current text: a file that changed is refused
    plan = fix.plan([finding(Edit(existing, 0, 0, "something else", "SB_CONFIG_Y=1"))])
    assert not plan.changes and "changed" in plan.skipped[0][1]


def test_diff_format(tmp_path: Path):
    p = tmp_path / "prj.conf"
    p.write_text("A=1\nA=1\nB=2")
    plan = fix.plan([finding(Edit(p, 2, 2, "A=1", None)), finding(Edit(p, 3, 3, "B=2", "B=3"))])
    d = fix.diff(plan, tmp_path.resolve())
    assert d.startswith("--- a/prj.conf\n+++ b/prj.conf\n@@")
    assert "-A=1\n" in d and "-B=2\n\\ No newline at end of file\n+B=3\n\\ No newline at end of file\n" in d


@pytest.fixture
def seed(tmp_path: Path) -> Path:
    app = tmp_path / "seed"
    shutil.copytree(SEED, app)
    return app


def test_cli_diff_changes_nothing_and_applies_with_git(seed: Path):
    before = {p: p.read_bytes() for p in seed.rglob("*") if p.is_file()}
    old = os.getcwd()
    os.chdir(seed)
    try:
        res = CliRunner().invoke(cli, ["check", ".", "--diff"], catch_exceptions=False)
    finally:
        os.chdir(old)
    assert res.exit_code == 1
    assert {p: p.read_bytes() for p in seed.rglob("*") if p.is_file()} == before
    assert "can be fixed in 2 files" in res.output
    out = res.output[res.output.index("--- a/"):res.output.index("dfulint: ")]
    assert "--- a/prj.conf\n+++ b/prj.conf\n" in out
    assert "-CONFIG_SYSTEM_WORKQUEUE_STACK_SIZE=2048\n" in out
    # the diff is what `git apply` takes
    git = shutil.which("git")
    if git:
        patch = seed.parent / "fix.patch"
        patch.write_text(out)
        chk = subprocess.run([git, "apply", "--check", "-p1", str(patch)], cwd=seed, capture_output=True, text=True)
        assert chk.returncode == 0, chk.stderr


def test_cli_fix_then_reports_what_remains(seed: Path):
    res = CliRunner().invoke(cli, ["check", str(seed), "--fix", "--format", "json"], catch_exceptions=False)
    text = (seed / "prj.conf").read_text()
    assert "CONFIG_SYSTEM_WORKQUEUE_STACK_SIZE=2048" not in text
    assert text.count("CONFIG_BOOTLOADER_MCUBOOT=y") == 1
    assert "CONFIG_LOG_MODE_MINIMAL=y\n" in (seed / "child_image" / "mcuboot" / "prj.conf").read_text()
    out = res.output[res.output.index("{"):]
    codes = {f["code"] for f in json.loads(out)["findings"]}
    assert not codes & {"DFU401", "DFU402", "DFU403"}
    assert "DFU201" in codes              # a layout problem has no mechanical fix
    assert res.exit_code == 1
    # a second --fix finds nothing more to do and changes nothing
    snapshot = {p: p.read_bytes() for p in seed.rglob("*") if p.is_file()}
    res2 = CliRunner().invoke(cli, ["check", str(seed), "--fix"], catch_exceptions=False)
    assert "fixed 0 findings" in res2.output
    assert {p: p.read_bytes() for p in seed.rglob("*") if p.is_file()} == snapshot


def test_cli_diff_exit_zero_when_nothing_to_fix(tmp_path: Path):
    app = tmp_path / "app"
    app.mkdir()
    (app / "prj.conf").write_text("CONFIG_GPIO=y\n")
    res = CliRunner().invoke(cli, ["check", str(app), "--diff", "--board", "nrf52840dk/nrf52840"],
                             catch_exceptions=False)
    assert res.exit_code == 0
    assert "0 findings can be fixed" in res.output
