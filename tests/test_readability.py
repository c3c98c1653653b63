"""Findings read at a glance: the verdict first, short headlines, triage order, the text layouts,
and the everyday options (--exit-zero, --quiet, --no-cache, --color, -V, --statistics)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dfulint import engine
from dfulint.core import Finding, Severity, Span, short_headline
from helpers import make_app, run_cli

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "fixtures" / "seed_bl653_dvk"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()
    shutil.copytree(SEED, tmp_path / "apps" / "seed")
    return tmp_path


def _text(repo: Path, *args, env=None):
    return run_cli(["check", "apps/seed", "--color", "never", *args], cwd=repo, env=env)


# ------------------------------------------------------------------ headlines

def test_short_headline_cuts_at_a_clause_and_never_exceeds_the_limit():
    long = ("mcuboot_secondary is pinned here (0x39000 (228 KiB) in external flash) but mcuboot_primary is "
            "not: Partition Manager gives the dynamic primary the free space")
    h = short_headline(long)
    assert len(h) <= 100 and h.startswith("mcuboot_secondary is pinned here")
    assert short_headline("short text") == "short text"
    assert len(short_headline("x" * 300)) <= 100


def test_every_finding_has_a_headline_explanation_and_fix_in_json(repo: Path):
    res = run_cli(["check", "apps/seed", "--format", "json"], cwd=repo)
    doc = json.loads(res.output)
    assert doc["version"] == 2
    for f in doc["findings"]:
        assert f["headline"] and len(f["headline"]) <= 110, f
        assert f["explanation"] == f["message"] and f["fix"]
        assert isinstance(f["board"], list) and f["board"] == ["bl653_dvk"]
        assert isinstance(f["fixable"], bool)


def test_a_rule_headline_is_kept_and_the_fallback_only_fills_a_gap():
    f = Finding("DFU201", "a long explanation " * 10, Span(Path("/x/pm_static.yml"), 1, 1), Severity.ERROR,
                headline="mcuboot_primary has 114 sectors, mcuboot_secondary 57: swap-move refuses every update")
    assert f.title.startswith("mcuboot_primary has 114 sectors")
    g = Finding("DFU201", "a long explanation " * 10, Span(Path("/x/pm_static.yml"), 1, 1), Severity.ERROR)
    assert 0 < len(g.title) <= 100


# ------------------------------------------------------------------ verdict first

def test_seed_verdict_is_the_first_thing_in_every_format(repo: Path, tmp_path: Path):
    res = _text(repo)
    lines = res.output.splitlines()
    assert lines[0].startswith("apps/seed  (board bl653_dvk (sample.yaml:7, weak), NCS 1.9.99")
    v = next(i for i, line in enumerate(lines) if "updates never apply" in line)
    assert v <= 2 and lines[v].strip().startswith("updates never apply: mcuboot_primary has 114 sectors, "
                                                  "mcuboot_secondary 57")
    # the finding that stops updates comes first, with its fix, within a 100-column screen
    first = next(i for i, line in enumerate(lines) if line.startswith(("error[", "warning[", "info[")))
    assert first <= v + 3 and lines[first].startswith("error[DFU201]: mcuboot_primary has 114 sectors")
    assert lines[first + 1].strip().startswith("--> apps/seed/pm_static.yml:11:9")
    assert lines[first + 2].strip().startswith("fix: ")
    assert all(len(line) <= 100 for line in lines)

    doc = json.loads(run_cli(["check", "apps/seed", "--format", "json"], cwd=repo).output)
    (v,) = doc["verdicts"]
    assert v["verdict"] == "never" and v["code"] == "DFU201" and v["board"] == "bl653_dvk"
    assert doc["summary"]["apps"][0]["verdicts"][0]["verdict"] == "never"

    sarif = json.loads(run_cli(["check", "apps/seed", "--format", "sarif"], cwd=repo).output)
    (sv,) = sarif["runs"][0]["properties"]["verdicts"]
    assert sv["verdict"] == "never" and sv["app"] == "apps/seed"


def test_html_badge_never_says_upgrade_possible_beside_an_error_that_stops_updates(repo: Path, tmp_path: Path):
    run_cli(["check", "apps/seed", "--format", f"html:{tmp_path}/r.html"], cwd=repo)
    page = (tmp_path / "r.html").read_text()
    assert "updates never apply" in page
    assert "upgrade possible</span>" not in page.replace("no upgrade possible</span>", "")


def _app_with_good_slots(root: Path) -> Path:
    return make_app(root, {
        "prj.conf": "CONFIG_BOOTLOADER_MCUBOOT=y\n",
        "sample.yaml": "sample:\n  name: t\ntests:\n  t.x:\n    platform_allow: nrf52840dk_nrf52840\n",
    }, git=True)


def test_clean_layout_says_updates_apply_with_the_largest_image(tmp_path: Path):
    app = _app_with_good_slots(tmp_path / "a")
    res = run_cli(["check", str(app), "--format", "json", "--sdk-version", "2.5.0", "--select", "DFU2"])
    (v,) = json.loads(res.output)["verdicts"]
    assert v["verdict"] == "apply" and v["max_image_size"] and "largest image 0x" in v["text"]


def test_no_mcuboot_and_no_board_verdicts(tmp_path: Path):
    app = make_app(tmp_path / "b", {"prj.conf": "CONFIG_GPIO=y\n",
                                    "sample.yaml": "sample:\n  name: t\ntests:\n  t.x:\n"
                                                   "    platform_allow: nrf52840dk_nrf52840\n"}, git=True)
    (v,) = json.loads(run_cli(["check", str(app), "--format", "json", "--sdk-version", "2.5.0"]).output)["verdicts"]
    assert v["verdict"] == "none" and "MCUboot is not enabled" in v["text"]


def _target_whose_updates_apply():
    """A stand-in board target whose slot analysis says updates apply (largest image 0x70000)."""
    from dfulint.workspace import App

    class Boot:
        boots, upgrade_possible, max_image_size, reasons = True, True, 0x70000, []

    class T:
        board, board_info, slots, mode = "nrf52840dk_nrf52840", None, {}, "swap_move"
        mcuboot_enabled, boot = True, Boot()
        app = App(Path("/x"), [])
        sdk = app.sdk

    return T


def test_verdict_never_contradicts_an_update_stopping_error():
    """Whatever the model says, an error of a rule that stops updates moves the verdict off 'apply'."""
    from dfulint import verdict

    T = _target_whose_updates_apply()

    f = Finding("DFU303", "x", Span(Path("/x/prj.conf"), 1, 1), Severity.ERROR,
                headline="the external secondary slot has no flash node: MCUboot cannot reach it")
    assert verdict.decide("/x", T, [f]).kind == "never"
    assert verdict.decide("/x", T, []).kind == "apply"
    f.severity = Severity.WARNING
    assert verdict.decide("/x", T, [f]).kind == "apply"


def test_board_names_follow_the_sdk_in_force():
    from dfulint import knowledge, verdict
    from dfulint.workspace import App, SdkVersion

    info = knowledge.board("nrf52840dk_nrf52840")

    def target(version, name):
        class T:
            board, board_info = name, info
            app = App(Path("/x"), [], sdk=SdkVersion(version, "given", True))
            sdk = app.sdk
        return T

    assert verdict.board_name(target((2, 8, 0), "nrf52840dk_nrf52840")) == "nrf52840dk/nrf52840"
    assert verdict.board_name(target((2, 5, 0), "nrf52840dk/nrf52840")) == "nrf52840dk_nrf52840"


# ------------------------------------------------------------------ triage and layouts

def test_findings_are_sorted_by_severity_then_file_and_line(repo: Path):
    result = engine.run([repo / "apps" / "seed"], engine.Options())
    sev = [int(f.severity) for f in result.findings]
    assert sev == sorted(sev, reverse=True)
    for s in Severity:
        same = [(str(f.span.path), f.span.line) for f in result.findings if f.severity == s]
        assert same == sorted(same)


def test_concise_is_one_line_per_finding(repo: Path):
    out = _text(repo, "--output-format", "concise").output.splitlines()
    rows = [l for l in out if ": error DFU" in l or ": warning DFU" in l or ": info DFU" in l]
    assert len(rows) == 8
    assert rows[0].startswith("apps/seed/pm_static.yml:11:9: error DFU201 ")
    assert all(len(r) < 220 for r in rows)


def test_full_adds_the_code_frame_with_the_span_marked_and_the_explanation(repo: Path):
    out = _text(repo, "--output-format", "full").output
    block = out.split("error[DFU201]")[1].split("error[DFU701]")[0]
    assert "11 |   size: 0x39000" in block
    assert "|         ^^^^^^^" in block
    assert "why: " in block and "Cannot upgrade" in block
    # default: no frame, no explanation
    assert "why: " not in _text(repo).output


def test_code_frames_come_from_the_finding_and_cross_a_worker_pipe(repo: Path):
    """The engine attaches the lines of each finding's span; the reports render them without reading
    the file (gone by then), and the lines survive the pickling that brings a worker's results back."""
    import pickle

    from dfulint.report import html, text
    from dfulint.sources import clear_caches

    res = engine.run([repo / "apps" / "seed"], engine.Options())
    assert res.findings and all(f.lines for f in res.findings)
    f = pickle.loads(pickle.dumps(next(f for f in res.findings if f.code == "DFU201")))
    assert f.lines[f.span.line - f.lines_from] == "  size: 0x39000"
    (repo / "apps" / "seed" / "pm_static.yml").unlink()
    clear_caches()
    assert (11, "  size: 0x39000", (8, 15)) in text.frame(f)
    assert {"no": 11, "hot": True, "pre": "  size: ", "mark": "0x39000", "post": ""} in html._frame(f)


def test_full_output_is_the_same_with_several_jobs(repo: Path):
    shutil.copytree(repo / "apps" / "seed", repo / "apps" / "seed2")
    one = run_cli(["check", "apps", "--color", "never", "--output-format", "full", "--jobs", "1"], cwd=repo)
    two = run_cli(["check", "apps", "--color", "never", "--output-format", "full", "--jobs", "2"], cwd=repo)
    assert "11 |   size: 0x39000" in one.output
    assert one.output == two.output


def test_wrapped_lines_keep_their_indent(repo: Path):
    out = _text(repo, env={"COLUMNS": "80"}).output.splitlines()
    i = next(k for k, l in enumerate(out) if l.startswith("  fix: pin mcuboot_primary"))
    assert out[i + 1].startswith("       ") and len(out[i]) <= 80


def test_statistics_counts_per_rule_and_fixable(repo: Path):
    out = _text(repo, "--statistics").output
    assert "3 of 8 fixable with --fix" in out
    assert any(l.split()[:2] == ["1", "DFU201"] for l in out.splitlines())
    assert "DFU403 [*]" in out


def test_same_finding_on_several_boards_is_shown_once(tmp_path: Path):
    app = make_app(tmp_path / "m", {
        "prj.conf": "CONFIG_BOOTLOADER_MCUBOOT=y\nCONFIG_LOG=y\nCONFIG_LOG=y\n",
        "sample.yaml": "sample:\n  name: t\ntests:\n  t.x:\n    platform_allow: nrf52840dk_nrf52840 nrf52833dk_nrf52833\n",
    }, git=True)
    out = run_cli(["check", str(app), "--color", "never", "--select", "DFU403", "--sdk-version", "2.5.0"]).output
    assert out.count("info[DFU403]") == 1
    doc = json.loads(run_cli(["check", str(app), "--format", "json", "--select", "DFU403",
                              "--sdk-version", "2.5.0"]).output)
    (f,) = doc["findings"]
    assert sorted(f["board"]) == ["nrf52833dk_nrf52833", "nrf52840dk_nrf52840"]
    assert len(doc["verdicts"]) == 2


# ------------------------------------------------------------------ everyday options

def test_exit_zero_keeps_findings_but_exits_0(repo: Path):
    res = _text(repo, "--exit-zero")
    assert res.exit_code == 0 and "error[DFU201]" in res.output


def test_quiet_prints_findings_only(repo: Path, tmp_path: Path):
    res = _text(repo, "--quiet")
    assert res.exit_code == 1 and "error[DFU201]" in res.output and "Found 9" not in res.output
    clean = make_app(tmp_path / "clean", {"prj.conf": "CONFIG_GPIO=y\n"}, git=True)
    res = run_cli(["check", str(clean), "-q"])
    assert res.exit_code == 0 and res.output == ""


def test_no_cache_writes_no_cache(repo: Path, tmp_path: Path):
    cache = tmp_path / "cache"
    env = dict(os.environ, PYTHONPATH=str(ROOT), DFULINT_CACHE_DIR=str(cache))
    proc = subprocess.run([sys.executable, "-m", "dfulint", "check", "apps/seed", "--no-cache"], cwd=repo,
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr
    assert not cache.exists() or not any(cache.rglob("*"))


@pytest.mark.parametrize("args,env,coloured", [
    (["--color", "always"], {}, True),
    (["--color=always"], {}, True),
    (["--color"], {}, True),                     # the flag alone, as before
    (["--color", "never"], {"FORCE_COLOR": "1"}, False),
    (["--no-color"], {"FORCE_COLOR": "1"}, False),
    ([], {"FORCE_COLOR": "1"}, True),
    ([], {"FORCE_COLOR": "1", "NO_COLOR": "1"}, False),
    ([], {}, False),                             # not a terminal
])
def test_color_choices_and_environment(repo: Path, args, env, coloured):
    base = {"NO_COLOR": None, "FORCE_COLOR": None}
    res = run_cli(["check", "apps/seed", *args], cwd=repo, env={**base, **env})
    assert res.exit_code == 1, res.output
    assert ("\033[" in res.output) == coloured


def test_color_rejects_unknown_values(repo: Path):
    res = run_cli(["check", "apps/seed", "--color=sometimes"], cwd=repo)
    assert res.exit_code == 2


def test_version_short_option():
    res = run_cli(["-V"])
    assert res.exit_code == 0 and res.output.startswith("dfulint, version ")


# ------------------------------------------------------------------ streaming and progress

def test_apps_are_reported_as_each_finishes(tmp_path: Path):
    for name in ("a", "b", "c"):
        make_app(tmp_path / name, {"prj.conf": "CONFIG_LOG=y\nCONFIG_LOG=y\n"})
    (tmp_path / ".git").mkdir()
    seen = []
    opts = engine.Options(on_app=lambda a, fs: seen.append((a.app.root.name, [f.code for f in fs])),
                          on_progress=lambda done, total, root: seen.append(("progress", done, total)))
    result = engine.run([tmp_path], opts)
    assert [s[0] for s in seen if s[0] != "progress"] == ["a", "b", "c"]
    assert ("progress", 0, 3) in seen and ("progress", 3, 3) in seen
    assert all(codes == ["DFU403"] for name, codes in (s for s in seen if s[0] != "progress"))
    assert len(result.findings) == 3


def test_progress_line_only_on_a_terminal_and_never_in_ci(monkeypatch):
    from dfulint import cli

    class Tty:
        def isatty(self):
            return True

    for v in cli._CI_VARS:
        monkeypatch.delenv(v, raising=False)
    monkeypatch.delenv("TERM", raising=False)
    assert cli.interactive(Tty()) is True
    monkeypatch.setenv("CI", "true")
    assert cli.interactive(Tty()) is False
    monkeypatch.delenv("CI")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    assert cli.interactive(Tty()) is False


def test_progress_writes_to_stderr_and_clears(monkeypatch, capsys):
    from dfulint import cli

    p = cli.Progress(True)
    p(0, 3, Path("/tmp/x"))
    p(3, 3, None)
    err = capsys.readouterr().err
    assert "checking 1/3" in err and err.endswith("\r\033[K")
    q = cli.Progress(True)
    q(0, 1, Path("/tmp/x"))           # a single app: no progress line
    assert capsys.readouterr().err == ""


def test_piped_output_has_no_progress_and_streams_text(repo: Path):
    (repo / "apps" / "two").mkdir()
    (repo / "apps" / "two" / "prj.conf").write_text("CONFIG_LOG=y\nCONFIG_LOG=y\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("CI", None)
    proc = subprocess.run([sys.executable, "-m", "dfulint", "check", "apps"], cwd=repo, env=env,
                          capture_output=True, text=True, timeout=120)
    assert "checking" not in proc.stderr
    assert proc.stdout.index("apps/seed") < proc.stdout.index("apps/two") < proc.stdout.index("Found ")


# rule files exempt from giving headlines (none: every rule family gives its own; a finding
# without one would get a headline derived from its message)
_HEADLINES_PENDING: set = set()


def test_every_rule_gives_its_findings_a_headline():
    """Each `hit(...)` in a rule passes `headline=`: the derived one is only a safety net."""
    import ast

    missing = []
    files = sorted((ROOT / "dfulint" / "checks").glob("*.py")) + [ROOT / "dfulint" / "suppressions.py"]
    for p in files:
        if p.name in _HEADLINES_PENDING:
            continue
        for n in ast.walk(ast.parse(p.read_text())):
            if isinstance(n, ast.Call) and getattr(n.func, "id", None) == "hit" and \
                    not any(k.arg == "headline" for k in n.keywords):
                missing.append(f"{p.name}:{n.lineno}")
    assert missing == []


def test_headlines_of_the_rule_fixtures_are_short(tmp_path: Path):
    """Every finding of the rule fixtures has a headline of at most 110 characters (about 100)."""
    dirs = [str(d) for d in sorted((ROOT / "fixtures" / "rules").iterdir())
            if d.name[:4] in ("DFU2", "DFU4", "DFU5", "DFU7") and d.name.endswith(tuple("abcdefghijklmnopqrstuvwxyz"))]
    res = run_cli(["check", *dirs, "--format", "json", "--isolated"])
    doc = json.loads(res.output)
    assert len(doc["findings"]) > 20
    long = [(f["code"], f["headline"]) for f in doc["findings"] if len(f["headline"]) > 110]
    assert long == []


def test_an_overridden_setting_does_not_decide_the_verdict():
    """DFU501 (sysbuild overrides a setting) is an error about a line, not about updates: the slots
    decide; a build-stopping error says the build fails."""
    from dfulint import verdict

    T = _target_whose_updates_apply()

    over = Finding("DFU501", "x", Span(Path("/x/sysbuild/mcuboot.conf"), 1, 1), Severity.ERROR, headline="h")
    assert verdict.decide("/x", T, [over]).kind == "apply"
    build = Finding("DFU301", "x", Span(Path("/x/pm_static.yml"), 1, 1), Severity.ERROR, headline="no chosen node")
    v = verdict.decide("/x", T, [build])
    assert v.kind == "build" and v.text == "build fails: no chosen node"

    # where the slots refuse every update, the reason is the slots', not the overridden line's
    class Refuses:
        boots, upgrade_possible, max_image_size = True, False, None
        reasons = [type("R", (), {"outcome": "refuses", "message": "the slots differ in sector size"})()]

    T.boot = Refuses()
    v = verdict.decide("/x", T, [over])
    assert v.kind == "never" and v.code != "DFU501" and "sector size" in v.text


def test_html_shared_scale_draws_equal_slots_equally_wide(tmp_path: Path):
    import re as _re

    from dfulint.report import html

    result = engine.run([SEED], engine.Options())
    page = html.render(result, scale="shared")
    widths = {}
    for name in ("mcuboot_primary", "mcuboot_secondary"):
        m = _re.search(rf'data-partition="{name}".*?<rect class="zr" data-x="[\d.]+" data-w="([\d.]+)"', page, _re.S)
        widths[name] = float(m.group(1))
    # 0x72000 and 0x39000 bytes on two 512 KiB devices: at one scale the widths keep that ratio
    assert abs(widths["mcuboot_primary"] / widths["mcuboot_secondary"] - 0x72000 / 0x39000) < 0.01
    res = run_cli(["check", str(SEED), "--html-scale", "shared", "--format", f"html:{tmp_path}/r.html"])
    assert res.exit_code in (0, 1) and (tmp_path / "r.html").is_file()
    assert run_cli(["check", str(SEED), "--html-scale", "huge"]).exit_code == 2


def test_html_fits_1000_px_and_lists_apps_by_relative_path(tmp_path: Path):
    from dfulint.report import html

    assert html.BAR_W + 2 * html.PAD_X <= 930      # 1000 px window less page and card padding
    (tmp_path / ".git").mkdir()
    for name in ("a", "b"):
        shutil.copytree(SEED, tmp_path / "apps" / name)
    out = tmp_path / "r.html"
    run_cli(["check", "apps", "--format", f"html:{out}"], cwd=tmp_path)
    page = out.read_text()
    toc = page.split('<nav class="toc">', 1)[1].split("</nav>", 1)[0]
    assert "apps/a · " in toc and "apps/b · " in toc and str(tmp_path) not in toc
    assert "updates never apply" in toc


def test_sarif_ranks_security_rules_and_encodes_uris(tmp_path: Path):
    (tmp_path / ".git").mkdir()
    shutil.copytree(SEED, tmp_path / "my apps" / "seed")
    res = run_cli(["check", "my apps/seed", "--format", "sarif"], cwd=tmp_path)
    doc = json.loads(res.output)
    rules = {r["id"]: r for r in doc["runs"][0]["tool"]["driver"]["rules"]}
    assert float(rules["DFU701"]["properties"]["security-severity"]) >= 7.0
    assert "security" in rules["DFU702"]["properties"]["tags"]
    assert "security-severity" not in rules["DFU201"]["properties"]
    uris = [loc["physicalLocation"]["artifactLocation"]["uri"]
            for r in doc["runs"][0]["results"] for loc in r["locations"] + r.get("relatedLocations", [])]
    assert uris and all(" " not in u and "<" not in u for u in uris)
    assert any(u.startswith("my%20apps/seed/") for u in uris)
    # the message leads with the headline
    (r201,) = [r for r in doc["runs"][0]["results"] if r["ruleId"] == "DFU201"]
    assert r201["message"]["text"].startswith("mcuboot_primary has 114 sectors, mcuboot_secondary 57")
