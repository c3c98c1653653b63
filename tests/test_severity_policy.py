"""The severity policy: every rule page states what the registry declares, findings stay within
the declared levels, posture rules follow the profile, and the default gate passes a sample."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from dfulint import docs
from dfulint.checks import PROFILES, load_all
from dfulint.cli import cli
from dfulint.core import Severity
from helpers import MCUMGR_BT_CHAIN, make_app

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
SAMPLE = FIXTURES / "rules" / "DFU701-smp-bt-unauthenticated" / "bad-ncs28-sample-helper"
SAMPLE_ARGS = ["--board", "nrf52840dk/nrf52840", "--sdk-version", "2.8.0", "--isolated"]
SECURITY = {"DFU701", "DFU702", "DFU703", "DFU704", "DFU705", "DFU706", "DFU707"}


def first_line(code: str) -> str:
    """The paragraph under a rule page's heading: severity, versions, build systems, --fix."""
    text = docs.page(code)
    assert text, f"{code} has no page"
    body = text.split("\n", 1)[1].strip()
    return body.split("\n\n", 1)[0].replace("\n", " ")


@pytest.mark.parametrize("code", sorted(load_all()))
def test_the_page_states_the_registry_severities(code):
    r = load_all()[code]
    stated = re.findall(r"`(error|warning|info)`", first_line(code))
    assert stated, f"{code}: the page's first line names no severity"
    assert stated[0] == r.severity.label, f"{code}: the page's default is {stated[0]}, the registry's {r.severity.label}"
    declared = {s.label for p in PROFILES for s in r.severities(p)}
    assert set(stated) == declared, f"{code}: page {sorted(set(stated))} vs registry {sorted(declared)}"
    if r.posture:
        assert "--profile release" in first_line(code)


def test_posture_rules_are_the_security_family():
    rules = load_all()
    assert {c for c, r in rules.items() if r.posture} == SECURITY
    for code, r in rules.items():
        if r.posture:
            assert r.severities("development") == (Severity.INFO,)
            assert r.severities("release")[0] == Severity.ERROR
        else:
            assert r.severities("development") == r.severities("release")


def _fixture_apps() -> list[tuple[Path, list]]:
    out = []
    for expect in sorted(FIXTURES.rglob("expect.json")):
        out.append((expect.parent, json.loads(expect.read_text()).get("args", [])))
    return out


@pytest.mark.parametrize("profile", PROFILES)
def test_findings_carry_only_declared_severities(profile):
    """Every finding on every fixture has a severity its rule declares for the profile."""
    from dfulint import engine

    rules = load_all()
    wrong = []
    for app, args in _fixture_apps():
        boards = tuple(args[i + 1] for i, a in enumerate(args) if a == "--board")
        sdk = next((args[i + 1] for i, a in enumerate(args) if a == "--sdk-version"), None)
        result = engine.run([app], engine.Options(boards=boards, sdk_version=sdk, profile=profile))
        for f in result.findings:
            if f.low_confidence and f.severity.label == "info":
                continue        # a board only a test scenario names is checked at info (the context stage)
            if f.severity not in rules[f.code].severities(profile):
                wrong.append((app.relative_to(FIXTURES).as_posix(), f.code, f.severity.label))
    assert not wrong


def _check(app: Path, *args: str) -> tuple[int, dict]:
    res = CliRunner().invoke(cli, ["check", str(app), "--format", "json", *args])
    assert res.exit_code in (0, 1), res.output
    return res.exit_code, json.loads(res.output)


def test_a_sample_written_for_development_passes_the_default_gate():
    code, doc = _check(SAMPLE, *SAMPLE_ARGS)
    assert code == 0
    assert doc["summary"]["profile"] == "development"
    sec = [f for f in doc["findings"] if f["code"] in SECURITY]
    assert {f["code"] for f in sec} >= {"DFU701", "DFU702"}
    assert {f["severity"] for f in sec} == {"info"}


def test_the_release_profile_fails_it_with_production_fixes():
    code, doc = _check(SAMPLE, *SAMPLE_ARGS, "--profile", "release")
    assert code == 1
    assert doc["summary"]["profile"] == "release"
    assert all(a["profile"] == "release" for a in doc["summary"]["apps"])
    by = {f["code"]: f for f in doc["findings"]}
    assert by["DFU701"]["severity"] == by["DFU702"]["severity"] == "error"
    assert "PERM_RW_AUTHEN=y" in by["DFU701"]["fix"]
    assert "imgtool keygen" in by["DFU702"]["fix"] and "SB_CONFIG_BOOT_SIGNATURE_KEY_FILE" in by["DFU702"]["fix"]


def test_profile_from_the_configuration_file_and_the_command_line(tmp_path: Path):
    app = make_app(tmp_path / "app", {"prj.conf": MCUMGR_BT_CHAIN + "CONFIG_MCUMGR_TRANSPORT_BT_AUTHEN=n\n",
                                      ".dfulint.toml": 'profile = "release"\n'}, git=True)
    args = ["--board", "nrf52840dk/nrf52840", "--sdk-version", "2.5.0"]
    code, doc = _check(app, *args)
    assert code == 1 and doc["summary"]["profile"] == "release"
    code, doc = _check(app, *args, "--profile", "development")       # the command line wins
    assert code == 0 and doc["summary"]["profile"] == "development"
    res = CliRunner().invoke(cli, ["check", str(app), "--show-config"])
    assert re.search(r"profile\s+= release\s+# .*\.dfulint\.toml:1", res.output), res.output
    (app / ".dfulint.toml").write_text('profile = "production"\n')
    res = CliRunner().invoke(cli, ["check", str(app), *args])
    assert res.exit_code == 2 and "`profile` must be one of development, release" in res.output


def test_every_report_says_which_profile_was_in_force():
    for profile in PROFILES:
        res = CliRunner().invoke(cli, ["check", str(SAMPLE), *SAMPLE_ARGS, "--profile", profile])
        assert f"Profile: {profile}" in res.output
        res = CliRunner().invoke(cli, ["check", str(SAMPLE), *SAMPLE_ARGS, "--profile", profile,
                                       "--format", "sarif"])
        run = json.loads(res.output)["runs"][0]
        assert run["properties"]["profile"] == profile
        assert run["invocations"][0]["properties"]["profile"] == profile
        rule = next(r for r in run["tool"]["driver"]["rules"] if r["id"] == "DFU702")
        assert rule["defaultConfiguration"]["level"] == ("error" if profile == "release" else "note")


def test_a_configured_severity_beats_the_profile(tmp_path: Path):
    app = make_app(tmp_path / "app", {"prj.conf": "CONFIG_BOOTLOADER_MCUBOOT=y\n",
                                      "sysbuild.conf": "SB_CONFIG_BOOTLOADER_MCUBOOT=y\n",
                                      ".dfulint.toml": '[severity]\nDFU702 = "warning"\n'}, git=True)
    for profile in PROFILES:
        _, doc = _check(app, "--board", "nrf52840dk/nrf52840", "--sdk-version", "2.8.0", "--profile", profile)
        assert {f["severity"] for f in doc["findings"] if f["code"] == "DFU702"} == {"warning"}


def test_the_product_cites_public_sources_only():
    """Users have no research notes: rule pages, messages, knowledge rows and docs cite MCUboot,
    sdk-nrf, Zephyr, release notes, DevZone or a measurement instead."""
    notes = re.compile(r"research/|semantics\.md|failure_modes\.md|mcuboot_laws\.md|pm_placement\.md|anchors\.md")
    found = []
    for top in ("rules", "dfulint", "docs"):
        for p in sorted((ROOT / top).rglob("*")):
            if p.is_file() and p.suffix in (".md", ".py", ".yaml", ".yml", ".json", ".txt", ".j2", ".html"):
                for no, line in enumerate(p.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
                    if notes.search(line):
                        found.append(f"{p.relative_to(ROOT)}:{no}")
    for no, line in enumerate((ROOT / "README.md").read_text(encoding="utf-8").splitlines(), 1):
        if notes.search(line):
            found.append(f"README.md:{no}")
    assert not found
