"""Integrations work as pasted: the Action's shell step (its input parsing) through a harness, the
pre-commit hook through `pre-commit try-repo`, and every configuration snippet of the README."""
from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "fixtures" / "seed_bl653_dvk"
README = ROOT / "README.md"


def _action() -> dict:
    return yaml.safe_load((ROOT / "action.yml").read_text())


def _step(step_id: str = "check", name: str = "") -> dict:
    for s in _action()["runs"]["steps"]:
        if (step_id and s.get("id") == step_id) or (name and s.get("name") == name):
            return s
    raise AssertionError(f"no step {step_id or name}")


def _run_step(tmp_path: Path, inputs: dict, dfulint_exit: int = 0, real: bool = False, cwd: Path = None):
    """Run the Action's `Run dfulint` step with bash as the runner would: its env from the inputs,
    `python` and `dfulint` on PATH (a recorder of the arguments, or the real dfulint)."""
    step = _step("check")
    bindir = tmp_path / "bin"
    bindir.mkdir(exist_ok=True)
    (bindir / "python").symlink_to(sys.executable) if not (bindir / "python").exists() else None
    record = tmp_path / "argv"
    fake = bindir / "dfulint"
    if real:
        fake.write_text(f"#!/bin/sh\nPYTHONPATH={ROOT} exec {sys.executable} -m dfulint \"$@\"\n")
    else:
        fake.write_text("#!/bin/sh\nfor a in \"$@\"; do printf '%s\\0' \"$a\"; done > \"$ARGV_FILE\"\n"
                        f"exit {dfulint_exit}\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    defaults = {k: str(v.get("default", "")) for k, v in _action()["inputs"].items()}
    values = {**defaults, **inputs}
    env = {"PATH": f"{bindir}:/usr/bin:/bin", "HOME": str(tmp_path), "ARGV_FILE": str(record),
           "GITHUB_OUTPUT": str(tmp_path / "github_output")}
    for key, expr in step["env"].items():
        m = re.fullmatch(r"\$\{\{\s*inputs\.([\w-]+)\s*\}\}", str(expr))
        assert m, f"unexpected env expression {expr}"
        env[key] = values[m.group(1)]
    proc = subprocess.run(["bash", "-e", "-c", step["run"]], env=env, cwd=cwd or tmp_path,
                          capture_output=True, text=True, timeout=300)
    argv = record.read_bytes().decode().split("\0")[:-1] if record.exists() else None
    out = (tmp_path / "github_output").read_text() if (tmp_path / "github_output").exists() else ""
    return proc, argv, out


def _paths_and_extra(argv: list[str]) -> tuple[list[str], list[str]]:
    """Split dfulint's argv into the paths before the first option and the options after the
    action's own (--format github, --format sarif:...)."""
    assert argv[0] == "check"
    rest = argv[1:]
    i = rest.index("--format")
    paths = rest[:i]
    opts = rest[i:]
    # the action's own --format options come first
    while opts[:1] == ["--format"]:
        opts = opts[2:]
    return paths, opts


@pytest.mark.parametrize("paths,expected", [
    ("applications/tracker", ["applications/tracker"]),
    ("apps/a apps/b", ["apps/a", "apps/b"]),
    ("apps/a\napps/b\n", ["apps/a", "apps/b"]),                    # a YAML block (`paths: |`)
    ("apps/a\n\n  apps/b  \n", ["apps/a", "apps/b"]),
    ('"my app/one" apps/two', ["my app/one", "apps/two"]),
    ("'my app/one'\napps/two", ["my app/one", "apps/two"]),
])
def test_action_paths_input_single_and_multi_line(tmp_path: Path, paths, expected):
    proc, argv, out = _run_step(tmp_path, {"paths": paths})
    assert proc.returncode == 0, proc.stderr
    assert _paths_and_extra(argv)[0] == expected
    assert "exit-code=0" in out


@pytest.mark.parametrize("args,expected", [
    ('--ignore "DFU7"', ["--ignore", "DFU7"]),
    ("--ignore 'DFU7' --board nrf52840dk/nrf52840", ["--ignore", "DFU7", "--board", "nrf52840dk/nrf52840"]),
    ("--select DFU2\n--board \"nrf5340dk/nrf5340/cpuapp\"\n", ["--select", "DFU2", "--board",
                                                              "nrf5340dk/nrf5340/cpuapp"]),
    ("--config 'ci config/.dfulint.toml'", ["--config", "ci config/.dfulint.toml"]),
    ("--ignore $(touch pwned) `touch pwned2` ${HOME}", ["--ignore", "$(touch", "pwned)", "`touch", "pwned2`",
                                                        "${HOME}"]),
])
def test_action_args_input_keeps_no_shell_quotes_and_runs_nothing(tmp_path: Path, args, expected):
    proc, argv, out = _run_step(tmp_path, {"args": args})
    assert proc.returncode == 0, proc.stderr
    assert _paths_and_extra(argv)[1][-len(expected):] == expected
    assert not (tmp_path / "pwned").exists() and not (tmp_path / "pwned2").exists()


def test_action_unbalanced_quote_is_a_clear_error(tmp_path: Path):
    proc, argv, out = _run_step(tmp_path, {"args": '--ignore "DFU7'})
    assert proc.returncode == 2 and argv is None
    assert "::error::dfulint: the args input cannot be split" in proc.stdout


def test_action_profile_fail_on_and_exit_codes(tmp_path: Path):
    proc, argv, out = _run_step(tmp_path, {"profile": "release", "fail-on": "warning", "html-report": "r.html"},
                                dfulint_exit=1)
    assert proc.returncode == 0 and "exit-code=1" in out          # the last step fails the job
    pairs = list(zip(argv, argv[1:]))
    assert ("--format", "html:r.html") in pairs and ("--profile", "release") in pairs
    assert ("--fail-on", "warning") in pairs
    proc, argv, out = _run_step(tmp_path, {}, dfulint_exit=2)
    assert proc.returncode == 2 and "exit-code=2" in out


def test_action_runs_dfulint_end_to_end(tmp_path: Path):
    work = tmp_path / "repo"
    (work / ".git").mkdir(parents=True)
    shutil.copytree(SEED, work / "apps" / "seed board")
    proc, _, out = _run_step(tmp_path, {"paths": "'apps/seed board'\n", "args": '--ignore "DFU7"'},
                             real=True, cwd=work)
    assert proc.returncode == 0, proc.stderr
    assert "exit-code=1" in out
    assert "::error file=apps/seed%20board/pm_static.yml" in proc.stdout or \
        "::error file=apps/seed board/pm_static.yml" in proc.stdout
    sarif = json.loads((work / "dfulint.sarif").read_text())
    ids = {r["ruleId"] for r in sarif["runs"][0]["results"]}
    assert "DFU201" in ids and not any(i.startswith("DFU7") for i in ids)
    uris = [loc["physicalLocation"]["artifactLocation"]["uri"]
            for r in sarif["runs"][0]["results"] for loc in r["locations"]]
    assert all(" " not in u for u in uris) and any("seed%20board" in u for u in uris)


def test_action_sarif_upload_skips_forks_and_never_hides_findings():
    up = _step(step_id="", name="Upload SARIF to code scanning")
    cond = up["if"]
    assert "head.repo.full_name == github.repository" in cond and "upload-sarif == 'true'" in cond
    assert up.get("continue-on-error") is True
    fail = _step(step_id="", name="Fail on findings")
    assert "exit-code == '1'" in fail["if"]         # the job still fails on findings


# ------------------------------------------------------------------ README snippets

def _snippets(lang: str) -> list[str]:
    text = README.read_text()
    return re.findall(rf"```{lang}\n(.*?)```", text, re.S)


def test_readme_names_no_revision_that_does_not_exist():
    text = README.read_text() + (ROOT / ".pre-commit-hooks.yaml").read_text()
    assert "v0.1.0" not in text
    for snippet in _snippets("yaml"):
        for rev in re.findall(r"dfulint/dfulint@([\w.\-]+)", snippet) + re.findall(r"^\s*rev:\s*(\S+)", snippet, re.M):
            assert rev in ("main",) or re.fullmatch(r"[0-9a-f]{40}", rev), rev


def test_readme_workflow_snippets_are_valid_workflows():
    workflows = [yaml.safe_load(s) for s in _snippets("yaml") if "runs-on:" in s]
    assert len(workflows) >= 2
    inputs = set(_action()["inputs"])
    for wf in workflows:
        assert wf.get(True) or wf.get("on"), "no trigger"       # YAML 1.1 reads `on` as True
        for job in wf["jobs"].values():
            assert job["runs-on"] and job["steps"]
            for step in job["steps"]:
                assert ("uses" in step) != ("run" in step), step
                if str(step.get("uses", "")).startswith("dfulint/dfulint@"):
                    assert set(step.get("with", {})) <= inputs, set(step.get("with", {})) - inputs


def test_readme_workflow_snippets_pass_actionlint(tmp_path: Path):
    tool = shutil.which("actionlint")
    if tool is None:
        pytest.skip("actionlint is not installed (https://github.com/rhysd/actionlint)")
    wf = tmp_path / ".github" / "workflows"
    wf.mkdir(parents=True)
    for i, s in enumerate(s for s in _snippets("yaml") if "runs-on:" in s):
        (wf / f"w{i}.yml").write_text(s)
    proc = subprocess.run([tool, "-shellcheck=", "-pyflakes="], cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_readme_gitlab_snippet_installs_and_runs_what_exists():
    (gl,) = [yaml.safe_load(s) for s in _snippets("yaml") if "gl-code-quality-report" in s or "artifacts:" in s
             and "script:" in s]
    job = next(v for v in gl.values() if isinstance(v, dict) and "script" in v)
    script = "\n".join(job["script"])
    assert "dfulint check" in script and "--format" in script
    m = re.search(r'pip install "?([^"\n]+)"?', script)
    assert m and ("@main" in m.group(1) or re.search(r"@[0-9a-f]{40}", m.group(1)))


def test_readme_precommit_snippet_matches_the_hooks():
    hooks = {h["id"] for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    (cfg,) = [yaml.safe_load(s) for s in _snippets("yaml") if "repos:" in s]
    used = {h["id"] for r in cfg["repos"] for h in r["hooks"]}
    assert used and used <= hooks


def test_readme_quick_start_commands_exist():
    text = README.read_text()
    quick = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    cmds = _snippets_in(quick, "sh")
    assert any("dfulint check fixtures/seed_bl653_dvk" in c for c in cmds)
    assert any("pytest" in c for c in cmds)
    assert (ROOT / "fixtures" / "seed_bl653_dvk").is_dir()


def _snippets_in(text: str, lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", text, re.S)


def test_readme_has_a_table_of_contents_whose_links_resolve():
    text = README.read_text()
    toc = text.split("## Contents", 1)[1].split("\n## ", 1)[0]
    anchors = re.findall(r"\]\(#([\w-]+)\)", toc)
    assert len(anchors) >= 6

    def slug(h: str) -> str:
        h = re.sub(r"[^\w\- ]", "", h.strip().lower())
        return h.replace(" ", "-")

    heads = {slug(h) for h in re.findall(r"^#{2,3} (.+)$", text, re.M)}
    assert set(anchors) <= heads, set(anchors) - heads
    for rel in re.findall(r"\]\((docs/[^)#]+)\)", text):
        assert (ROOT / rel).exists(), rel


# ------------------------------------------------------------------ pre-commit, for real

def test_pre_commit_try_repo_on_a_throwaway_repository(tmp_path: Path):
    pre_commit = shutil.which("pre-commit") or (Path(sys.executable).parent / "pre-commit")
    if not Path(pre_commit).exists():
        pytest.skip("pre-commit is not installed (pip install pre-commit)")
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "product"
    shutil.copytree(SEED, repo / "app")
    env = dict(os.environ, PRE_COMMIT_HOME=str(tmp_path / "pc-home"), GIT_AUTHOR_NAME="t",
               GIT_AUTHOR_EMAIL="t@example.com", GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.com")
    for cmd in (["git", "init", "-q"], ["git", "add", "-A"], ["git", "commit", "-qm", "product"]):
        subprocess.run(cmd, cwd=repo, check=True, env=env, capture_output=True)
    proc = subprocess.run([str(pre_commit), "try-repo", str(ROOT), "dfulint", "--files", "app/pm_static.yml"],
                          cwd=repo, env=env, capture_output=True, text=True, timeout=600)
    out = proc.stdout + proc.stderr
    if proc.returncode != 1 and ("Could not find a version" in out or "No matching distribution" in out
                                 or "Failed to establish a new connection" in out):
        pytest.skip("pre-commit could not install dfulint's dependencies here (no package index)")
    assert proc.returncode == 1, out[-3000:]
    assert "error[DFU201]" in out and "updates never apply" in out
