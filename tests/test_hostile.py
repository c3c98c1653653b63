"""A hostile project: dfulint runs on pull requests from strangers. Nothing in the project, its cache
or its file system tricks makes dfulint run code, read outside the project, hang, or stop early."""
from __future__ import annotations

import json
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dfulint import cache

ROOT = Path(__file__).resolve().parent.parent
WEST_WS = ROOT / "fixtures" / "rules" / "DFU411-conf-undefined-symbol" / "good"


class _Payload:
    """Unpickling this runs a shell command: what a planted cache entry would do to a pickle cache."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def _dfulint(args, env, cwd):
    full = {k: v for k, v in os.environ.items() if k not in ("DFULINT_CACHE_DIR", "XDG_CACHE_HOME", "HOME")}
    full.update(env)
    full["PYTHONPATH"] = str(ROOT)
    return subprocess.run([sys.executable, "-m", "dfulint", "check", *args], cwd=cwd, env=full,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.skipif(os.name == "nt", reason="POSIX shell payload")
@pytest.mark.parametrize("where", ["DFULINT_CACHE_DIR in the checkout", "XDG_CACHE_HOME in the checkout",
                                   "default (~/.cache)"])
def test_a_planted_cache_entry_never_runs(tmp_path, where):
    ws = tmp_path / "ws"
    shutil.copytree(WEST_WS, ws, symlinks=True)
    app = ws / "app"
    home = tmp_path / "home"
    home.mkdir()
    env = {"HOME": str(home)}
    if where.startswith("DFULINT_CACHE_DIR"):
        env["DFULINT_CACHE_DIR"] = ".dfulint-cache"          # relative: inside the checkout
        folder = app / ".dfulint-cache"
    elif where.startswith("XDG"):
        env["XDG_CACHE_HOME"] = str(app / ".cache")
        folder = app / ".cache" / "dfulint"
    else:
        folder = home / ".cache" / "dfulint"
    args = [".", "--format", "json", "--board", "nrf52840dk/nrf52840"]
    first = _dfulint(args, env, app)
    assert first.returncode in (0, 1), first.stderr
    entries = [p for p in folder.rglob("*") if p.is_file()]
    assert entries, "the run kept nothing in the cache: the test would prove nothing"
    marker = tmp_path / "PWNED"
    payload = pickle.dumps(_Payload(marker))
    for p in entries:
        # the entry itself, and an entry in the format an older dfulint read (a pickle)
        p.write_bytes(payload)
        p.with_suffix(".pickle").write_bytes(payload)
        os.chmod(p, 0o600)
    second = _dfulint(args, env, app)
    assert not marker.exists()
    assert second.returncode == first.returncode, second.stderr
    assert json.loads(second.stdout)["findings"] == json.loads(first.stdout)["findings"]
    # the broken entries were rebuilt as plain JSON
    assert all(json.loads(p.read_bytes())["format"] for p in entries)


@pytest.fixture
def cdir(tmp_path, monkeypatch):
    d = tmp_path / "cache"
    monkeypatch.setenv("DFULINT_CACHE_DIR", str(d))
    return d


def test_an_entry_is_plain_json_and_only_named_records_are_built(cdir):
    from dfulint.west import Symbols, WorkspaceSymbols

    ws = WorkspaceSymbols(Symbols(frozenset({"A"}), ("X_.*",), True, 2), Symbols(frozenset(), (), False, 0))
    cache.store("probe", "k", {"ws": ws, 3: (b"\x01", {1, 2})})
    raw = (cdir / "probe" / "k.json").read_bytes()
    json.loads(raw)                                          # it is JSON
    assert cache.load("probe", "k", records=(WorkspaceSymbols, Symbols)) == {"ws": ws, 3: (b"\x01", {1, 2})}
    assert cache.load("probe", "k") is None                  # a record type nobody named: not built


def test_an_entry_naming_a_callable_builds_nothing(cdir):
    (cdir / "probe").mkdir(parents=True, mode=0o700)
    for text in ['{"format":1,"data":{"$rec":"system","v":["touch x"]}}',
                 '{"format":1,"data":{"$reduce":["os","system"]}}', "[" * 100000, "\x80\x04not json"]:
        (cdir / "probe" / "k.json").write_text(text)
        assert cache.load("probe", "k") is None
        assert cache.cached("probe", "k", lambda: 7) == 7


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs")
def test_a_fifo_or_symlink_planted_as_an_entry_is_not_read(cdir, tmp_path):
    (cdir / "probe").mkdir(parents=True, mode=0o700)
    os.mkfifo(cdir / "probe" / "fifo.json")
    assert cache.load("probe", "fifo") is None               # returns at once
    (tmp_path / "elsewhere.json").write_bytes(cache.dumps(1))
    os.symlink(tmp_path / "elsewhere.json", cdir / "probe" / "link.json")
    assert cache.load("probe", "link") is None


def test_a_planted_symlink_is_never_written_through(cdir, tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    (cdir / "probe").mkdir(parents=True, mode=0o700)
    os.symlink(victim, cdir / "probe" / "k.json")
    cache.store("probe", "k", {"x": 1})
    assert victim.read_text() == "precious\n"
    assert cache.load("probe", "k") == {"x": 1}              # the link was replaced, not followed


def test_a_symlinked_entry_folder_is_not_used(cdir, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    cdir.mkdir(mode=0o700)
    os.symlink(elsewhere, cdir / "probe")
    cache.store("probe", "k", {"x": 1})
    assert list(elsewhere.iterdir()) == []
    assert cache.load("probe", "k") is None


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="changing owners needs root")
def test_an_entry_written_by_another_user_is_not_loaded(cdir):
    cache.store("probe", "k", {"x": 1})
    path = cdir / "probe" / "k.json"
    assert cache.load("probe", "k") == {"x": 1}
    os.chown(path, 65534, 65534)
    assert cache.load("probe", "k") is None
    os.chown(path, os.getuid(), os.getgid())
    os.chown(cdir / "probe", 65534, 65534)                   # the folder too
    assert cache.load("probe", "k") is None


# ------------------------------------------------------------------ hostile projects, end to end

SEED = ROOT / "fixtures" / "seed_bl653_dvk"
TOKEN = "ghp_SECRETTOKEN0123456789"
FORMATS = ["text", "json", "sarif", "github", "gitlab", "junit"]


def _app(tmp_path, name="app") -> Path:
    app = tmp_path / name
    shutil.copytree(SEED, app)
    (app / ".git").mkdir()
    (app / ".git" / "config").write_text(f'[remote "origin"]\n\turl = https://x:{TOKEN}@github.com/o/r\n')
    return app


def _all_outputs(app: Path, *extra):
    from tests.helpers import run_cli

    out = {}
    for fmt in FORMATS:
        res = run_cli(["check", str(app), "--format", fmt, *extra])
        assert res.exit_code in (0, 1), (fmt, res.output)
        out[fmt] = res.output
    return out


@pytest.mark.skipif(os.name == "nt", reason="symlinks")
@pytest.mark.parametrize("target", ["../.git/config", ".git/config", "/etc/passwd", "OUTSIDE"])
def test_a_symlink_out_of_the_project_is_reported_and_never_quoted(tmp_path, target):
    app = _app(tmp_path)
    if target == "OUTSIDE":
        (tmp_path / "outside.conf").write_text(f"CONFIG_BT_DEVICE_NAME=\"{TOKEN}\"\n{TOKEN}\n")
        target = str(tmp_path / "outside.conf")
    elif target == "../.git/config":
        (app / "child_image").mkdir(exist_ok=True)
        os.symlink(target, app / "child_image" / "mcuboot.conf")
    if target != "../.git/config":
        (app / "prj.conf").unlink()
        os.symlink(target, app / "prj.conf")
    for fmt, text in _all_outputs(app).items():
        assert TOKEN not in text and "root:x:0" not in text, fmt
    res = json.loads(_all_outputs(app)["json"])
    assert any(f["code"] == "DFU008" for f in res["findings"])


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs")
def test_a_fifo_and_a_device_in_the_app_do_not_hang_the_run(tmp_path):
    app = _app(tmp_path)
    (app / "prj.conf").unlink()
    os.mkfifo(app / "prj.conf")
    if os.path.exists("/dev/zero"):
        os.symlink("/dev/zero", app / "pm_static_bl653_dvk.yml")
    res = json.loads(_all_outputs(app)["json"])
    codes = {(f["code"], f["path"]) for f in res["findings"]}
    assert ("DFU009", "prj.conf") in codes
    assert ("DFU401", "child_image/mcuboot/prj.conf") in codes            # the rest is checked
    if os.path.exists("/dev/zero"):
        assert ("DFU008", "pm_static_bl653_dvk.yml") in codes


def test_an_alias_bomb_in_sample_yaml_is_a_finding(tmp_path):
    app = _app(tmp_path)
    bomb = "".join(f"l{k}: &l{k} [" + ",".join([f"*l{k - 1}" if k else '"lol"'] * 9) + "]\n" for k in range(10))
    (app / "sample.yaml").write_text(bomb + (SEED / "sample.yaml").read_text())
    res = json.loads(_all_outputs(app)["json"])
    assert any(f["code"] == "DFU002" and f["path"] == "sample.yaml" and f["line"] == 2 for f in res["findings"])


def test_control_characters_from_project_files_are_escaped(tmp_path):
    app = _app(tmp_path)
    with open(app / "prj.conf", "a") as fh:
        fh.write("\x1b[2J\x1b]0;pwned\x07CONFIG_\u202eFOO\r=y\n")
    out = _all_outputs(app)
    for fmt in ("text", "github"):
        assert "\x1b" not in out[fmt] and "\x07" not in out[fmt] and "\u202e" not in out[fmt], fmt
        assert "\\x1b[2J" in out[fmt]


@pytest.mark.skipif(sys.platform in ("darwin", "win32"), reason="file names must be bytes")
def test_file_names_that_are_not_utf8_break_no_output(tmp_path):
    app = _app(tmp_path)
    bad = os.fsdecode(b"prj_\xff\xfe.conf")
    shutil.copy(app / "prj.conf", app / bad)
    with open(app / bad, "a") as fh:
        fh.write("CONFIG_BT=y # comment\n")
    out = _all_outputs(app)
    json.loads(out["sarif"])
    json.loads(out["gitlab"])
    assert "prj_%FF%FE.conf" in out["sarif"]
    from tests.helpers import run_cli
    bl = tmp_path / "baseline.json"
    assert run_cli(["check", str(app), "--baseline", "write", str(bl)]).exit_code == 0
    assert run_cli(["check", str(app), "--baseline", "use", str(bl)]).exit_code == 0


def test_a_very_deep_folder_tree_is_walked_without_recursion(tmp_path):
    app = _app(tmp_path)
    p = str(app / "deep")
    made = []
    for _ in range(1100):
        os.mkdir(p)
        made.append(p)
        p = os.path.join(p, "d")
    try:
        res = json.loads(_all_outputs(app)["json"])
        assert res["findings"]
    finally:
        for m in reversed(made):
            os.rmdir(m)


def test_sample_yaml_with_keys_that_are_not_strings(tmp_path):
    app = _app(tmp_path)
    (app / "sample.yaml").write_text("common:\n  1: 2\ntests:\n  t:\n    ? [a, b]\n    : x\n    extra_args: A=1\n"
                                     "    platform_allow: bl653_dvk\n")
    json.loads(_all_outputs(app)["json"])


@pytest.mark.parametrize("extend", ["/etc/passwd", "../../../../../../etc/passwd", "~/.dfulint.toml", "x" * 5000])
def test_config_extend_stays_in_the_project(tmp_path, extend):
    from tests.helpers import run_cli

    app = _app(tmp_path)
    (app / ".dfulint.toml").write_text(f'extend = "{extend}"\n')
    res = run_cli(["check", str(app)])
    assert res.exit_code == 2 and ".dfulint.toml:1" in res.output
    assert "root:x:0" not in res.output and "Traceback" not in res.output


def test_deeply_nested_toml_is_a_usage_error(tmp_path):
    from tests.helpers import run_cli

    app = _app(tmp_path)
    (app / ".dfulint.toml").write_text("select = " + "[" * 5000 + "]" * 5000 + "\n")
    res = run_cli(["check", str(app)])
    assert res.exit_code == 2 and "nest too deeply" in res.output and "Traceback" not in res.output


@pytest.mark.skipif(os.name == "nt", reason="paths")
def test_kconfig_rsource_out_of_the_project_is_not_followed(tmp_path):
    from dfulint import files, west

    app = _app(tmp_path)
    (app / "Kconfig").write_text('rsource "../../../../../../*/*"\nrsource "/etc/*"\nconfig APP_X\n\tbool "x"\n')
    with files.confined(files.project_roots(app)) as refused:
        syms = west.app_symbols(app, [app / "Kconfig"])
    assert syms.defines("APP_X") and syms.files == 1
    assert [(p.name, r.line) for p, r in refused] == [("Kconfig", 1), ("Kconfig", 2)]


def test_many_malformed_lines_are_capped(tmp_path):
    from dfulint.sources.kconf import MAX_MALFORMED_REPORTED, parse_fragment

    p = tmp_path / "prj.conf"
    p.write_text("x\n" * 5000)
    frag = parse_fragment(p)
    assert len(frag.problems) == MAX_MALFORMED_REPORTED + 1
    assert "4800 more" in frag.problems[-1].message


@pytest.mark.parametrize("name,path,text", [
    ("span container without a size", "pm_static.yml", "app_group:\n  span: [mcuboot_primary]\n"),
    ("huge and negative numbers", "pm_static.yml",
     "big:\n  address: 0x" + "f" * 60 + "\n  size: -4096\n  region: flash_primary\n"),
    ("unresolved macro in reg", "app.overlay",
     '&flash0 { partitions { compatible = "fixed-partitions"; #address-cells = <1>; #size-cells = <1>;\n'
     "  slot9: partition@0 { reg = <UNKNOWN_ADDR 0x1000>; }; }; };\n"),
    ("negative sector table", "child_image/mcuboot.conf", "CONFIG_BOOT_MAX_IMG_SECTORS=-5\n"),
])
def test_odd_values_are_findings_not_a_stopped_run(tmp_path, name, path, text):
    app = _app(tmp_path)
    with open(app / path, "a") as fh:
        fh.write(text)
    res = json.loads(_all_outputs(app)["json"])
    assert res["findings"], name


@pytest.mark.skipif(os.name == "nt", reason="symlinks")
def test_fix_never_writes_outside_the_project(tmp_path):
    from tests.helpers import run_cli

    app = _app(tmp_path)
    outside = tmp_path / "outside.conf"
    outside.write_text((SEED / "prj.conf").read_text() + "CONFIG_BT=y # inline comment\n")
    before = outside.read_text()
    (app / "prj.conf").unlink()
    os.symlink(outside, app / "prj.conf")
    res = run_cli(["check", str(app), "--fix"])
    assert res.exit_code in (0, 1), res.output
    assert outside.read_text() == before


def test_found_by_fuzzing_a_sized_span_container_and_an_empty_tagged_integer(tmp_path):
    from dfulint.sources.pm import load_yaml

    assert load_yaml("tests:\n  x: !!int ''\n") is None
    app = _app(tmp_path)
    (app / "pm_static.yml").write_text(
        "app:\n  address: 0x7800\n  region: flash_primary\n  size: 0x38800\n"
        "mcuboot:\n  address: 0x0\n  region: flash_primary\n  size: 0x7000\n"
        "mcuboot_pad:\n  address: 0x7000\n  region: flash_primary\n  size: 0x800\n"
        "mcuboot_primary:\n  address: 0x7000\n  orig_span: &id001\n  - app\n  - mcuboot_pad\n"
        "  region: flash_primary\n  size: 4k\n  span: *id001\n")
    res = json.loads(_all_outputs(app)["json"])
    assert any(f["code"] == "DFU005" and f["path"] == "pm_static.yml" for f in res["findings"])


def test_found_by_fuzzing_an_unresolved_macro_in_a_known_slot(tmp_path):
    app = _app(tmp_path)
    with open(app / "app.overlay", "a") as fh:
        fh.write('&flash0 { partitions { compatible = "fixed-partitions"; #address-cells = <1>; '
                 "#size-cells = <1>;\n  slot0_partition: partition@c000 { reg = <SLOT0_ADDR 0x39000>; }; }; };\n")
    from tests.helpers import run_cli
    res = run_cli(["check", str(app), "--format", "json"])
    assert res.exit_code == 1, res.output
    assert "internal error" not in res.output


def test_library_names_in_the_checked_repository_are_never_imported(tmp_path):
    """`python -m dfulint` puts the current directory first on sys.path: a pull request that adds
    click.py, yaml.py or kconfiglib.py at the top of the repository would be run in place of the
    library when the check runs from the checkout. They never are, and the report is the same."""
    app = tmp_path / "repo"
    shutil.copytree(ROOT / "fixtures" / "seed_bl653_dvk", app)
    marker = tmp_path / "ran"
    for name in ("click", "yaml", "kconfiglib", "jinja2", "devicetree"):
        (app / f"{name}.py").write_text(f"open({str(marker)!r}, 'a').write({name!r})\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    run = subprocess.run([sys.executable, "-m", "dfulint", "check", ".", "--format", "json"], cwd=app, env=env,
                         capture_output=True, text=True)
    clean = subprocess.run([sys.executable, "-m", "dfulint", "check", str(ROOT / "fixtures" / "seed_bl653_dvk"),
                            "--format", "json"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert not marker.exists(), marker.read_text()
    assert run.returncode == clean.returncode == 1, run.stderr[-500:]
    assert '"DFU201"' in run.stdout


def test_a_kconfigfunctions_module_in_the_current_directory_is_never_run(tmp_path):
    """kconfiglib imports `kconfigfunctions` (or the module $KCONFIG_FUNCTIONS names) for extra
    preprocessor functions; `python -m dfulint` puts the current directory first on sys.path, so a
    repository with a kconfigfunctions.py at its top would run it when checked from there."""
    app = tmp_path / "repo"
    shutil.copytree(ROOT / "fixtures" / "seed_bl653_dvk", app)
    marker = tmp_path / "ran"
    (app / "kconfigfunctions.py").write_text(f"open({str(marker)!r}, 'w').close()\nfunctions = {{}}\n")
    (tmp_path / "elsewhere.py").write_text(f"open({str(marker)!r}, 'w').close()\nfunctions = {{}}\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(tmp_path)]))
    runs = [subprocess.run([sys.executable, "-m", "dfulint", "check", ".", "--format", "json"], cwd=app, env=env,
                           capture_output=True, text=True),
            subprocess.run([sys.executable, "-m", "dfulint", "check", ".", "--format", "json"], cwd=app,
                           env=dict(env, KCONFIG_FUNCTIONS="elsewhere"), capture_output=True, text=True),
            subprocess.run([sys.executable, "-m", "dfulint", "check", ".", "--format", "json"], cwd=app,
                           env=dict(env, KCONFIG_FUNCTIONS="os"), capture_output=True, text=True)]
    assert not marker.exists()
    assert {p.returncode for p in runs} == {1}, [p.stderr[-500:] for p in runs]
    assert runs[0].stdout == runs[1].stdout == runs[2].stdout and '"DFU201"' in runs[0].stdout
