"""The command line around the checks: files standing for their app (pre-commit), the baseline,
exit codes, and the integration files (.pre-commit-hooks.yaml, action.yml) exercised for real."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from dfulint import engine
from helpers import run_cli

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "fixtures" / "seed_bl653_dvk"


run = run_cli


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()
    shutil.copytree(SEED, tmp_path / "apps" / "seed")
    other = tmp_path / "apps" / "other"
    other.mkdir()
    (other / "prj.conf").write_text("CONFIG_GPIO=y\nCONFIG_GPIO=y\n")
    return tmp_path


def apps_checked(res) -> list[str]:
    assert res.exit_code in (0, 1), res.output
    return sorted(Path(a["app"]).name for a in json.loads(res.output)["summary"]["apps"])


# ------------------------------------------------------------------ files stand for their app

def test_file_paths_map_to_their_app(repo: Path):
    seed = repo / "apps" / "seed"
    assert engine.app_root_of(seed / "pm_static.yml") == seed.resolve()
    assert engine.app_root_of(seed / "child_image" / "mcuboot" / "prj.conf") == seed.resolve()
    assert engine.app_root_of(seed / "child_image" / "mcuboot.overlay") == seed.resolve()
    assert engine.app_root_of(repo / "README.md") is None
    res = run(["check", "apps/seed/child_image/mcuboot/prj.conf", "apps/seed/app.overlay", "--format", "json"],
              cwd=repo)
    assert apps_checked(res) == ["seed"]           # once, and the whole app: its pm_static finding too
    assert any(f["path"] == "pm_static.yml" for f in json.loads(res.output)["findings"])
    res = run(["check", "apps/other/prj.conf", "apps/seed/prj.conf", "--format", "json", "--board",
               "nrf52840dk/nrf52840"], cwd=repo)
    assert apps_checked(res) == ["other", "seed"]


def test_a_file_outside_any_app_checks_nothing(repo: Path):
    (repo / "notes.conf").write_text("x\n")
    res = run(["check", "notes.conf"], cwd=repo)
    assert res.exit_code == 0 and "no app found" in res.output


def test_pre_commit_hook_definition():
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    hook, release = hooks
    assert hook["id"] == "dfulint" and hook["entry"] == "dfulint check" and hook["language"] == "python"
    # the release profile as a hook of its own, on the same files
    assert release["id"] == "dfulint-release" and release["entry"] == "dfulint check --profile release"
    assert {k: v for k, v in release.items() if k not in ("id", "name", "entry", "description")} == \
        {k: v for k, v in hook.items() if k not in ("id", "name", "entry", "description")}
    assert hook["pass_filenames"] is True and hook["require_serial"] is True
    files, exclude = re.compile(hook["files"]), re.compile(hook["exclude"])

    def picked(path: str) -> bool:
        return bool(files.search(path)) and not exclude.search(path)

    for path in ("pm_static.yml", "app/pm_static_nrf52840dk_nrf52840.yml", "app/prj.conf",
                 "app/child_image/mcuboot.conf", "app/sysbuild/mcuboot/prj.conf", "app/boards/x.overlay",
                 "app/app.overlay", "boards/arm/b/b.dts", "app/sysbuild.conf", "app/Kconfig.sysbuild",
                 "app/sample.yaml", "app/CMakeLists.txt"):
        assert picked(path), path
    for path in ("src/main.c", "app/build/zephyr/.config", "app/build/partitions.yml", "README.md",
                 "app/pm_static.yml.orig", "app/build_nrf52/zephyr/zephyr.dts"):
        assert not picked(path), path


def test_pre_commit_style_invocation_in_a_subprocess(repo: Path):
    """What pre-commit runs: `dfulint check FILE...` from the repository root."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-m", "dfulint", "check", "apps/seed/prj.conf",
                           "apps/seed/child_image/mcuboot/prj.conf"], cwd=repo, capture_output=True, text=True,
                          env=env, timeout=120)
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.startswith("apps/seed  (board bl653_dvk")
    assert "apps/seed/pm_static.yml:" in proc.stdout


def _dfulint(*args: str, cwd: Path, **kw) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "dfulint", *args], cwd=cwd, env=env, timeout=120, **kw)


def test_the_command_writes_every_report_completely_before_it_exits(repo: Path):
    proc = _dfulint("check", "apps/seed", "--format", "json:out.json", "--format", "sarif:out.sarif",
                    "--format", "text", cwd=repo, capture_output=True, text=True)
    assert proc.returncode == 1, proc.stderr
    doc = json.loads((repo / "out.json").read_text())
    assert doc["summary"]["findings"] == len(doc["findings"]) > 0
    assert json.loads((repo / "out.sarif").read_text())["runs"][0]["results"]
    assert proc.stdout.rstrip().splitlines()[-1].startswith("Found ")   # the summary line is there


def test_exit_codes_of_the_command(repo: Path):
    assert _dfulint("check", "apps/seed", "--select", "DFU101", cwd=repo, capture_output=True).returncode == 0
    bad = _dfulint("check", "no/such/app", cwd=repo, capture_output=True, text=True)
    assert bad.returncode == 2 and "does not exist" in bad.stderr and "Traceback" not in bad.stderr


def test_a_reader_that_stops_early_is_no_error(repo: Path):
    """`dfulint check | head`: the pipe closes before dfulint writes; the exit code still tells
    whether there are findings, and the report files are still written."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "dfulint", "check", "apps/seed", "--format", "text",
                             "--format", "json:out.json"], cwd=repo, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()                       # gone before the first line
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 1, err
    assert err == ""
    assert json.loads((repo / "out.json").read_text())["findings"]
    for cmd in (["rules"], ["map", "apps/seed"]):
        proc = subprocess.Popen([sys.executable, "-m", "dfulint", *cmd], cwd=repo, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        proc.stdout.close()
        err = proc.stderr.read().decode()
        assert proc.wait(timeout=120) in (0, 1) and "internal error" not in err and "Traceback" not in err


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("cmd", [["check", "apps/seed"], ["rules"], ["map", "apps/seed"], ["rule", "DFU201"]])
def test_a_full_disk_is_an_error_not_a_bug(repo: Path, cmd):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    with open("/dev/full", "w") as full:
        proc = subprocess.run([sys.executable, "-m", "dfulint", *cmd], cwd=repo, env=env, stdout=full,
                              stderr=subprocess.PIPE, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip() == "dfulint: error: cannot write the output: No space left on device"


# ------------------------------------------------------------------ baseline

def test_baseline_write_then_use(repo: Path):
    res = run(["check", "apps", "--baseline", "write", "dfulint-baseline.json"], cwd=repo)
    assert res.exit_code == 0, res.output
    assert "wrote" in res.output and "Not shown:" in res.output
    doc = json.loads((repo / "dfulint-baseline.json").read_text())
    assert doc["version"] == 1 and doc["findings"]
    assert all(re.fullmatch(r"[0-9a-f]{32}(:\d+)?", e["fingerprint"]) for e in doc["findings"])
    assert {e["path"].split("/")[1] for e in doc["findings"]} == {"seed", "other"}
    # lines move: nothing new
    prj = repo / "apps" / "seed" / "prj.conf"
    prj.write_text("# moved down\n\n" + prj.read_text())
    res = run(["check", "apps", "--baseline", "use", "dfulint-baseline.json", "--format", "json"], cwd=repo)
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["findings"] == [] and all(s["suppression"]["kind"] == "baseline" for s in out["suppressed"])
    # a new problem is reported, the old ones are not
    prj.write_text(prj.read_text() + "CONFIG_MAIN_STACK_SIZE=1024\nCONFIG_MAIN_STACK_SIZE=2048\n")
    res = run(["check", "apps", "--baseline", "use", "dfulint-baseline.json", "--format", "json",
               "--fail-on", "info"], cwd=repo)
    assert res.exit_code == 1
    assert [(f["code"], f["anchor"]) for f in json.loads(res.output)["findings"]] == \
        [("DFU402", "CONFIG_MAIN_STACK_SIZE")]


def test_baseline_reports_fixed_entries_for_checked_apps_only(repo: Path):
    run(["check", "apps", "--baseline", "write", "b.json"], cwd=repo)
    (repo / "apps" / "other" / "prj.conf").write_text("CONFIG_GPIO=y\n")
    res = run(["check", "apps/other", "--baseline", "use", "b.json", "--board", "nrf52840dk/nrf52840"], cwd=repo)
    assert res.exit_code == 0
    assert "1 baseline entry no longer found" in res.output
    res = run(["check", "apps/seed", "--baseline", "use", "b.json"], cwd=repo)
    assert "no longer found" not in res.output     # apps/other's entry is not seed's business


@pytest.mark.parametrize("content, message", [
    (None, "baseline file does not exist"),
    ("{not json", "b.json:1:2: baseline is not valid JSON"),
    ('{"version": 7, "findings": []}', "not a dfulint baseline"),
    ('{"version": 1, "findings": [{"code": "DFU402"}]}', "entry 1 has no fingerprint"),
])
def test_broken_baseline_is_a_usage_error(repo: Path, content, message):
    if content is not None:
        (repo / "b.json").write_text(content)
    res = run(["check", "apps", "--baseline", "use", "b.json"], cwd=repo)
    assert res.exit_code == 2 and message in res.output, res.output


# ------------------------------------------------------------------ exit codes

def test_fail_on_levels(repo: Path):
    # DFU403 is info: reported, but only errors fail by default
    assert run(["check", "apps/other", "--board", "nrf52840dk/nrf52840"], cwd=repo).exit_code == 0
    assert run(["check", "apps/other", "--board", "nrf52840dk/nrf52840", "--fail-on", "info"],
               cwd=repo).exit_code == 1
    assert run(["check", "apps/other", "--board", "nrf52840dk/nrf52840", "--fail-on", "warning"],
               cwd=repo).exit_code == 0
    assert run(["check", "apps/other", "--fail-on", "fatal"], cwd=repo).exit_code == 2


# ------------------------------------------------------------------ GitHub Action

def test_action_definition():
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    uses = [s.get("uses", "") for s in steps]
    assert any(u.startswith("actions/setup-python@") for u in uses)
    upload = next(s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif@"))
    assert upload["with"]["sarif_file"] == "${{ inputs.sarif-file }}" and "always()" in upload["if"]
    for s in steps:
        if "run" in s:
            assert s["shell"] == "bash"
            # inputs reach scripts through the environment, never pasted into the script text
            assert "${{" not in s["run"], s["run"]


def test_action_run_step_for_real(repo: Path, tmp_path: Path):
    """Run the action's `Run dfulint` script with bash, as the runner would."""
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("bash not available")
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    script = next(s for s in action["runs"]["steps"] if s.get("id") == "check")["run"]
    bindir = tmp_path / "bin"
    bindir.mkdir()
    shim = bindir / "dfulint"
    shim.write_text(f'#!/bin/sh\nPYTHONPATH="{ROOT}" exec "{sys.executable}" -m dfulint "$@"\n')
    shim.chmod(0o755)
    out = tmp_path / "github_output"
    env = dict(os.environ, PATH=f"{bindir}{os.pathsep}{os.environ['PATH']}", GITHUB_OUTPUT=str(out),
               DFULINT_PATHS="apps/seed apps/other", DFULINT_ARGS="--fail-on warning",
               DFULINT_SARIF="reports/dfulint.sarif", DFULINT_HTML="reports/dfulint.html")
    proc = subprocess.run([bash, "-e", "-c", script], cwd=repo, env=env, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr
    assert out.read_text().strip() == "exit-code=1"
    assert proc.stdout.startswith("::")
    sarif = json.loads((repo / "reports" / "dfulint.sarif").read_text())
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in sarif["runs"][0]["results"]}
    assert "apps/seed/prj.conf" in uris
    assert (repo / "reports" / "dfulint.html").read_text().startswith("<!DOCTYPE html>")
    sarif = json.loads((repo / "reports" / "dfulint.sarif").read_text())
    assert sarif["runs"][0]["properties"]["profile"] == "development"
    # the profile and fail-on inputs
    env.update(DFULINT_ARGS="", DFULINT_PROFILE="release", DFULINT_FAIL_ON="error", DFULINT_PATHS="apps/seed")
    proc = subprocess.run([bash, "-e", "-c", script], cwd=repo, env=env, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr
    sarif = json.loads((repo / "reports" / "dfulint.sarif").read_text())
    assert sarif["runs"][0]["properties"]["profile"] == "release"
    assert any(r["ruleId"] == "DFU702" and r["level"] == "error" for r in sarif["runs"][0]["results"])
    # a usage error fails the step itself
    env["DFULINT_ARGS"] = "--fail-on nonsense"
    proc = subprocess.run([bash, "-e", "-c", script], cwd=repo, env=env, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 2


def test_readme_documents_the_integrations():
    readme = (ROOT / "README.md").read_text()
    for heading in ("## Reports and CI", "## Configuration", "## Suppressions", "## Baseline", "## Autofix",
                    "### pre-commit", "### GitHub Action", "### GitLab CI"):
        assert heading in readme, heading
    assert "docs/html-report.png" in readme and (ROOT / "docs" / "html-report.png").is_file()
    # the README's config keys are the ones dfulint knows
    from dfulint.config import KEYS
    for key in KEYS:
        assert f"`{key}`" in readme, key


@pytest.mark.parametrize("module,package", [("tree_sitter_devicetree", "tree-sitter-devicetree"),
                                            ("kconfiglib", "kconfiglib")])
def test_a_missing_library_is_an_installation_error_not_false_findings(module, package):
    """Without a required library the readers would degrade (no devicetree, no Kconfig) and the
    rules would report what the build never says: dfulint stops with exit 2 and names the package."""
    code = ("import sys; sys.modules[%r] = None; sys.argv = ['dfulint', 'check', %r, '--format', 'json']; "
            "from dfulint.__main__ import entry; entry()") % (module, str(SEED))
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 2
    assert package in proc.stderr and "pip install" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stdout == "", "no report built on a half-installed dfulint"
