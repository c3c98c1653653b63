"""Configuration files: discovery (closest wins), `extend`, every key, command-line overrides,
--show-config with origins, and broken files as usage errors naming file and line."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from dfulint import config
from dfulint.core import Severity
from helpers import run_cli

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "fixtures" / "seed_bl653_dvk"


run = run_cli


def codes(res) -> set:
    assert res.exit_code in (0, 1), res.output
    return {f["code"] for f in json.loads(res.output)["findings"]}


@pytest.fixture
def mono(tmp_path: Path) -> Path:
    """A monorepo: base config at the top, two copies of the seed app below it."""
    (tmp_path / ".git").mkdir()
    shutil.copytree(SEED, tmp_path / "products" / "alpha")
    shutil.copytree(SEED, tmp_path / "products" / "beta")
    return tmp_path


def test_no_config_means_defaults(mono: Path):
    s = config.Resolver().settings(mono / "products" / "alpha")
    assert s.files == [] and s.select is None and s.ignore == set() and s.fail_on == Severity.ERROR and s.profile == "development"


def test_pyproject_table_is_found_walking_up(mono: Path):
    (mono / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.dfulint]\nignore = ["DFU403"]\n')
    res = run(["check", "products", "--format", "json"], cwd=mono)
    got = codes(res)
    assert "DFU402" in got and "DFU403" not in got


def test_pyproject_without_table_is_skipped(mono: Path):
    (mono / "products" / "pyproject.toml").write_text('[project]\nname = "x"\n')
    (mono / ".dfulint.toml").write_text('ignore = ["conf-conflicting-assignment"]\n')
    s = config.Resolver().settings(mono / "products" / "alpha")
    assert s.files == [(mono / ".dfulint.toml").resolve()]
    assert s.ignore == {"DFU402"}


@pytest.mark.parametrize("text", [
    '[tool.dfulint]\nignore = ["DFU402"]\n',
    '[ tool . "dfulint" ]\nignore = ["DFU402"]\n',
    'tool.dfulint.ignore = ["DFU402"]\n',
    '[tool]\ndfulint = { ignore = ["DFU402"] }\n',
    'tool = { dfulint = { ignore = ["DFU402"] } }\n',
])
def test_every_toml_spelling_of_the_dfulint_table_is_read(mono: Path, text: str):
    (mono / "products" / "pyproject.toml").write_text(text + '[project]\nname = "x"\n')
    s = config.Resolver().settings(mono / "products" / "alpha")
    assert s.ignore == {"DFU402"}


def test_a_pyproject_that_only_names_dfulint_is_not_parsed(mono: Path, monkeypatch):
    (mono / "products" / "pyproject.toml").write_text(
        '[project]\nname = "dfulint-plugin"\n[tool.hatch]\nx = [1\n')   # broken, and not ours
    monkeypatch.setattr(config, "_toml", lambda: pytest.fail("pyproject.toml parsed"))
    s = config.Resolver().settings(mono / "products" / "alpha")
    assert s.files == []


def test_closest_config_wins_without_merging(mono: Path):
    (mono / ".dfulint.toml").write_text('ignore = ["DFU403"]\nfail-on = "error"\n')
    (mono / "products" / "beta" / ".dfulint.toml").write_text('ignore = ["DFU402"]\n')
    alpha = config.Resolver().settings(mono / "products" / "alpha")
    beta = config.Resolver().settings(mono / "products" / "beta")
    assert alpha.ignore == {"DFU403"} and alpha.fail_on == Severity.ERROR
    assert beta.ignore == {"DFU402"} and beta.fail_on == Severity.ERROR    # nothing inherited implicitly
    res = run(["check", "products", "--format", "json"], cwd=mono)
    doc = json.loads(res.output)
    by_app = {}
    for f in doc["findings"]:
        by_app.setdefault(Path(f["app"]).name, set()).add(f["code"])
    assert "DFU403" not in by_app["alpha"] and "DFU402" in by_app["alpha"]
    assert "DFU402" not in by_app["beta"] and "DFU403" in by_app["beta"]


def test_extend_for_monorepos(mono: Path):
    (mono / "base.toml").write_text('ignore = ["DFU403"]\nfail-on = "warning"\n\n[severity]\nDFU402 = "error"\n'
                                    '[per-path-ignores]\n"products/*/child_image/**" = ["DFU401"]\n')
    (mono / "products" / "beta" / ".dfulint.toml").write_text(
        'extend = "../../base.toml"\nfail-on = "error"\n\n[severity]\nconf-repeated-assignment = "warning"\n')
    s = config.Resolver().settings(mono / "products" / "beta")
    assert s.files == [(mono / "products" / "beta" / ".dfulint.toml").resolve(), (mono / "base.toml").resolve()]
    assert s.ignore == {"DFU403"}
    assert s.fail_on == Severity.ERROR and s.fail_on_origin.path.name == ".dfulint.toml"
    assert s.severity["DFU402"][0] == Severity.ERROR and s.severity["DFU402"][1].path.name == "base.toml"
    assert s.severity["DFU403"][0] == Severity.WARNING
    # per-path globs are relative to the file that wrote them
    assert s.per_path[0].base == mono.resolve()
    assert s.per_path[0].matches(mono / "products" / "beta" / "child_image" / "mcuboot" / "prj.conf")
    assert not s.per_path[0].matches(mono / "products" / "beta" / "prj.conf")
    res = run(["check", "products/beta", "--format", "json"], cwd=mono)
    doc = json.loads(res.output)
    got = {f["code"]: f for f in doc["findings"]}
    assert "DFU401" not in got and "DFU403" not in got
    assert got["DFU402"]["severity"] == "error"


def test_show_config_writes_whole_families_as_prefixes(mono: Path):
    (mono / ".dfulint.toml").write_text('ignore = ["DFU4", "DFU201"]\n')
    res = run(["check", "products/alpha", "--show-config"], cwd=mono)
    line = next(ln for ln in res.output.splitlines() if ln.strip().startswith("ignore"))
    assert "= DFU4xx, DFU201" in line


def test_per_path_ignore_with_a_bare_file_name(mono: Path):
    (mono / ".dfulint.toml").write_text('[per-path-ignores]\n"prj.conf" = ["DFU4"]\n')
    res = run(["check", "products/alpha", "--format", "json"], cwd=mono)
    assert not {c for c in codes(res) if c.startswith("DFU4")}


def test_boards_sdk_version_and_select_from_config(tmp_path: Path):
    app = tmp_path / "app"
    app.mkdir()
    (app / "prj.conf").write_text("CONFIG_BOOTLOADER_MCUBOOT=y\nCONFIG_MAIN_STACK_SIZE=1024\nCONFIG_MAIN_STACK_SIZE=2048\n")
    (app / ".dfulint.toml").write_text('boards = ["nrf52840dk/nrf52840"]\nsdk-version = "2.6.0"\nselect = ["DFU4"]\n')
    res = run(["check", str(app), "--format", "json"])
    doc = json.loads(res.output)
    assert doc["summary"]["apps"][0]["boards"] == ["nrf52840dk_nrf52840"]
    assert doc["summary"]["apps"][0]["sdk_version"] == "2.6.0"
    assert {f["code"] for f in doc["findings"]} == {"DFU402"}


def test_cli_overrides_config(tmp_path: Path):
    app = tmp_path / "app"
    shutil.copytree(SEED, app)
    (app / ".dfulint.toml").write_text('ignore = ["DFU402", "DFU403"]\nfail-on = "error"\nselect = ["DFU4"]\n')
    # --select beats the configured select, and a rule selected on the command line runs even if ignored
    got = codes(run(["check", str(app), "--format", "json", "--select", "DFU402"]))
    assert got == {"DFU402"}
    # --ignore adds to the configured ignore
    got = codes(run(["check", str(app), "--format", "json", "--ignore", "DFU401"]))
    assert got == set()
    # fail-on from the config: only warnings and infos are left, so the exit code is 0
    res = run(["check", str(app), "--format", "json", "--select", "DFU402,DFU403"])
    assert res.exit_code == 0 and codes(res) == {"DFU402", "DFU403"}
    res = run(["check", str(app), "--format", "json", "--select", "DFU402", "--fail-on", "info"])
    assert res.exit_code == 1


def test_isolated_and_explicit_config(tmp_path: Path):
    app = tmp_path / "app"
    shutil.copytree(SEED, app)
    (app / ".dfulint.toml").write_text('select = ["DFU403"]\n')
    other = tmp_path / "other.toml"
    other.write_text('select = ["DFU402"]\n')
    assert codes(run(["check", str(app), "-f", "json"])) == {"DFU403"}
    assert codes(run(["check", str(app), "-f", "json", "--config", str(other)])) == {"DFU402"}
    assert {"DFU402", "DFU403"} <= codes(run(["check", str(app), "-f", "json", "--isolated"]))


def test_show_config_names_origins(mono: Path):
    (mono / "base.toml").write_text('ignore = ["DFU403"]\n\n[severity]\nDFU402 = "error"\n')
    cfg = mono / "products" / "alpha" / ".dfulint.toml"
    cfg.write_text('extend = "../../base.toml"\n\n# stricter here\nfail-on = "warning"\nboards = ["bl653_dvk"]\n')
    res = run(["check", "products/alpha", "--show-config", "--sdk-version", "1.9.99"], cwd=mono)
    assert res.exit_code == 0, res.output
    out = res.output
    assert out.startswith("products/alpha\n")
    assert "config: products/alpha/.dfulint.toml\n          extends base.toml\n" in out
    lines = {ln.split("=", 1)[0].strip(): ln for ln in out.splitlines() if "=" in ln}
    assert lines["ignore"].rstrip().endswith("# base.toml:1")
    assert "error" in lines["severity.DFU402"] and lines["severity.DFU402"].endswith("# base.toml:4")
    assert "warning" in lines["fail-on"] and lines["fail-on"].endswith("# products/alpha/.dfulint.toml:4")
    assert "bl653_dvk" in lines["boards"] and lines["boards"].endswith("# products/alpha/.dfulint.toml:5")
    assert "1.9.99" in lines["sdk-version"] and lines["sdk-version"].endswith("# --sdk-version")
    assert lines["select"].endswith("# default")


@pytest.mark.parametrize("text, line, fragment", [
    ('ignore = ["DFU403"\n', 1, "invalid TOML: Unclosed array"),
    ('select = ["DFU4"]\nfail-on = \n', 2, "invalid TOML"),
    ('select = ["DFU402"]\nignor = ["DFU403"]\n', 2, "unknown key `ignor`"),
    ('fail_on = "error"\n', 1, "did you mean `fail-on`"),
    ('\n\nignore = ["DFU999"]\n', 3, "unknown rule code or name: DFU999"),
    ('fail-on = "fatal"\n', 1, "unknown severity 'fatal'"),
    ('[severity]\nDFU402 = "loud"\n', 2, "severity.DFU402"),
    ('[severity]\nnot-a-rule = "error"\n', 2, "unknown rule code or name 'not-a-rule'"),
    ('boards = [1, 2]\n', 1, "`boards` must be a list of board names"),
    ('sdk-version = "latest"\n', 1, "`sdk-version` must be a version"),
    ('select = "DFU4"\nextend = "missing.toml"\n', 2, "does not exist"),
    ('[per-path-ignores]\n"x/*" = "DFU4, DFU999"\n', 2, "unknown rule code"),
])
def test_broken_config_is_a_usage_error_with_file_and_line(tmp_path: Path, text: str, line: int, fragment: str):
    app = tmp_path / "app"
    app.mkdir()
    (app / "prj.conf").write_text("CONFIG_GPIO=y\n")
    cfg = app / ".dfulint.toml"
    cfg.write_text(text)
    res = run(["check", str(app)])
    assert res.exit_code == 2, res.output
    assert f"dfulint: error: {cfg.resolve()}:{line}:" in res.output, res.output
    assert fragment in res.output
    assert "Traceback" not in res.output and "internal error" not in res.output


def test_pyproject_table_errors_point_into_pyproject(tmp_path: Path):
    app = tmp_path / "app"
    app.mkdir()
    (app / "prj.conf").write_text("CONFIG_GPIO=y\n")
    (app / "pyproject.toml").write_text('[project]\nname = "fw"\n\n[tool.dfulint]\nselect = ["DFU4"]\nfail-on = 3\n')
    res = run(["check", str(app)])
    assert res.exit_code == 2
    assert f"{(app / 'pyproject.toml').resolve()}:6:" in res.output and "fail-on" in res.output


def test_extend_cycle_and_non_utf8(tmp_path: Path):
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    a.write_text('extend = "b.toml"\n')
    b.write_text('extend = "a.toml"\n')
    with pytest.raises(config.ConfigError, match="cycle"):
        config.load(a)
    bad = tmp_path / "bad.toml"
    bad.write_bytes(b'ignore = ["DFU403"]\n# \xff\n')
    with pytest.raises(config.ConfigError, match=r"bad\.toml:2: configuration file is not valid UTF-8"):
        config.load(bad)


def test_glob_patterns():
    base = Path("/repo")

    def m(pattern, path):
        return config.PathIgnore(base, pattern, frozenset(), config.DEFAULT).matches(Path(path))

    assert m("apps/*/prj.conf", "/repo/apps/a/prj.conf")
    assert not m("apps/*/prj.conf", "/repo/apps/a/b/prj.conf")
    assert m("apps/**/prj.conf", "/repo/apps/a/b/prj.conf") and m("apps/**/prj.conf", "/repo/apps/prj.conf")
    assert m("**/*.overlay", "/repo/x/y/app.overlay")
    assert m("legacy/", "/repo/legacy/deep/pm_static.yml")
    assert m("./apps/a/prj.conf", "/repo/apps/a/prj.conf")
    assert m("pm_static_*.yml", "/repo/apps/a/pm_static_nrf52840dk.yml")
    assert m("prj_[!r]*.conf", "/repo/prj_debug.conf") and not m("prj_[!r]*.conf", "/repo/prj_release.conf")
    assert not m("apps/*", "/elsewhere/apps/a")


def test_readme_examples_are_valid(tmp_path: Path):
    import re

    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Configuration"):readme.index("## Suppressions")]
    root_cfg, app_cfg = re.findall(r"```toml\n(.*?)```", section, re.S)
    (tmp_path / ".git").mkdir()          # a repository: `extend` stays inside it
    (tmp_path / ".dfulint.toml").write_text(root_cfg)
    app = tmp_path / "applications" / "tracker"
    app.mkdir(parents=True)
    (app / ".dfulint.toml").write_text(app_cfg)
    s = config.load(app / ".dfulint.toml")
    assert s.fail_on == Severity.WARNING and s.ignore == {"DFU403"}
    assert s.boards == ("nrf9160dk/nrf9160/ns",) and s.sdk_version == "2.6.1"
    assert {p.pattern for p in s.per_path} == {"vendor/**", "prj_legacy.conf"}
    assert s.per_path[1].matches(app / "prj_legacy.conf")


def test_a_broken_pyproject_of_another_tool_is_not_our_business(tmp_path: Path):
    (tmp_path / "pyproject.toml").write_text("[project\nname = 'broken'\n")
    app = tmp_path / "app"
    app.mkdir()
    (app / "prj.conf").write_text("CONFIG_GPIO=y\n")
    res = run(["check", str(app), "--board", "nrf52840dk/nrf52840"])
    assert res.exit_code == 0, res.output
    (tmp_path / "pyproject.toml").write_text("[project\nname = 'broken'\n[tool.dfulint]\n")
    res = run(["check", str(app), "--board", "nrf52840dk/nrf52840"])
    assert res.exit_code == 2 and f"{(tmp_path / 'pyproject.toml').resolve()}:1:" in res.output
