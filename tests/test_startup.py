"""What keeps a check of one app quick to start, as behaviour (the times are in bench/): a JSON check
of one app imports only what it uses, collects no garbage it is about to throw away, and the JSON
report keeps its items in memory until they are large."""
import json
import subprocess
import sys
from pathlib import Path

from helpers import check_modules

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "fixtures" / "seed_bl653_dvk"
APPS = ROOT / "fixtures" / "apps"

# modules (and their libraries) that only other commands, options or formats use; typing only for type
# checkers (`if TYPE_CHECKING:`)
NOT_ON_THE_CHECK_PATH = (
    "jinja2", "dfulint.report.html", "dfulint.report.text", "dfulint.report.sarif", "dfulint.report.flashmap",
    "dfulint.server", "pygls", "lsprotocol", "dfulint.release", "dfulint.fix", "dfulint.add_ignore",
    "dfulint.context.show", "dfulint.docs", "subprocess", "tempfile", "shutil", "hashlib", "configparser",
    "multiprocessing", "pickle", "asyncio", "traceback", "difflib", "logging", "argparse", "typing_extensions",
    "textwrap", "bz2", "lzma", "typing", "threading", "dfulint.baseline", "dfulint.model.release",
)

_PROBE = """
import gc, json, os, sys
if os.environ.get("PROBE_TABLES"):          # the knowledge tables as an installed package has them
    from pathlib import Path
    import dfulint.knowledge
    dfulint.knowledge.PREBUILT = Path(os.environ["PROBE_TABLES"])
calls = []
real = gc.collect
gc.collect = lambda *a: calls.append(a) or real(*a)
sys.argv = ["dfulint", "check", *sys.argv[1:], "--format", "json"]
out, sys.stdout = sys.stdout, open(os.environ["PROBE_OUT"], "w", encoding="utf-8")
try:
    from dfulint import check_args          # what `dfulint check` runs (click reads other command lines)
    code = check_args.run(sys.argv[2:])
    assert code is not None, "left to click"
except SystemExit as exc:
    code = exc.code
sys.stdout.close()
sys.stdout = out
report = open(os.environ["PROBE_OUT"], encoding="utf-8").read()
print(json.dumps({"code": code, "modules": sorted(sys.modules), "collections": len(calls),
                  "findings": len(json.loads(report)["findings"])}))
"""


def _probe(*paths, tables=None) -> dict:
    import os

    import tempfile

    report = Path(tempfile.mkdtemp()) / "report.json"
    env = dict(os.environ, PROBE_TABLES=str(tables or ""), PROBE_OUT=str(report))
    p = subprocess.run([sys.executable, "-c", _PROBE, *map(str, paths)], cwd=ROOT, capture_output=True, text=True,
                       env=env)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def test_a_json_check_of_one_app_imports_only_what_it_uses():
    got = _probe(SEED)
    assert got["code"] == 1 and got["findings"] > 0
    imported = set(got["modules"])
    assert not imported & set(NOT_ON_THE_CHECK_PATH), sorted(imported & set(NOT_ON_THE_CHECK_PATH))
    # the libraries it does use
    assert {"yaml", "kconfiglib", "tree_sitter._binding", "dfulint.report.json_report"} <= imported
    # tree-sitter's compiled modules are loaded without their packages' __init__ (which import typing,
    # importlib.resources and more)
    assert not imported & {"tree_sitter", "tree_sitter_devicetree"}


# what the command (`python -m dfulint check`, read without click) imports, per report format
def _command_modules(*args) -> set:
    p, modules = check_modules(*args, COLUMNS="100")
    assert p.returncode == 1 and p.stdout, p.stderr
    return modules


def test_the_command_imports_only_what_each_format_uses():
    text = _command_modules(SEED, "--jobs", "1")
    assert {"dfulint.report.text", "textwrap"} <= text
    as_json = _command_modules(SEED, "--format", "json", "--jobs", "1")
    assert "dfulint.report.json_report" in as_json and "dfulint.report.text" not in as_json
    assert not as_json & set(NOT_ON_THE_CHECK_PATH), sorted(as_json & set(NOT_ON_THE_CHECK_PATH))
    # the text report's own: shutil (with bz2 and lzma) for the terminal's width, textwrap
    text_only = set(NOT_ON_THE_CHECK_PATH) - {"dfulint.report.text", "textwrap", "shutil", "bz2", "lzma"}
    assert not text & text_only, sorted(text & text_only)
    # the compiled tree-sitter modules, without their packages' __init__
    assert "tree_sitter._binding" in as_json and not as_json & {"tree_sitter", "tree_sitter_devicetree"}


def test_no_garbage_collection_after_the_last_app():
    """Between apps the collector takes the app just checked; after the last one the process only
    writes its reports and ends (a collection would pass over every object since the start)."""
    assert _probe(SEED)["collections"] == 0
    several = _probe(APPS / "ncs25_foundation_child_image_clean", APPS / "ncs28_foundation_sysbuild_clean", SEED,
                     "--jobs", "1")
    assert several["collections"] == 2


def test_the_json_stream_moves_to_a_temporary_file_only_when_large(monkeypatch):
    import io

    from dfulint import engine
    from dfulint.report import json_report

    small = json_report.Stream()
    result = engine.run([SEED], engine.Options(on_app=small), keep_models=False)
    assert isinstance(small._spool, io.BytesIO)
    parts: list = []
    small.write(result, parts.append)
    small.close()
    monkeypatch.setattr(json_report.Stream, "SPOOL_MAX", 100)
    large = json_report.Stream()
    result2 = engine.run([APPS, SEED], engine.Options(on_app=large), keep_models=False)
    assert not isinstance(large._spool, io.BytesIO)
    parts2: list = []
    large.write(result2, parts2.append)
    large.close()
    assert "".join(parts) == json_report.render(result)
    assert "".join(parts2) == json_report.render(result2)


def test_an_app_without_yaml_files_never_loads_pyyaml(tmp_path):
    app = tmp_path / "app"
    app.mkdir()
    (app / "CMakeLists.txt").write_text("cmake_minimum_required(VERSION 3.20.0)\n"
                                        "find_package(Zephyr REQUIRED HINTS $ENV{ZEPHYR_BASE})\nproject(app)\n")
    (app / "prj.conf").write_text("CONFIG_BOOTLOADER_MCUBOOT=y\nCONFIG_MCUMGR=y\n")
    from dfulint.knowledge import build

    tables = tmp_path / build.FILE_NAME      # as the wheel ships them (a source checkout may have none)
    build.write(tables)
    got = _probe(app, "--board", "nrf52840dk_nrf52840", tables=tables)
    assert got["code"] in (0, 1)
    assert not [m for m in got["modules"] if m.startswith("yaml.")]     # set to load on first use only
    (app / "pm_static.yml").write_text("mcuboot:\n  address: 0x0\n  size: 0xc000\n")
    got = _probe(app, "--board", "nrf52840dk_nrf52840", tables=tables)
    assert "yaml.resolver" in got["modules"]


def test_release_facts_are_taken_only_when_asked():
    """Only `map --format json` shows a target's release facts; a run that does not ask for them
    neither takes them nor imports the release model for them."""
    from dfulint import engine

    for keep in (True, False):
        taken = engine.run([SEED], engine.Options(), keep_models=keep)
        assert all(t.release_facts is not None for a in taken.apps for t in a.targets)
        skipped = engine.run([SEED], engine.Options(release_facts=False), keep_models=keep)
        assert all(t.release_facts is None for a in skipped.apps for t in a.targets)
        assert [f.code for f in skipped.findings] == [f.code for f in taken.findings]
    # the per-app options of a run (configuration files) follow the run's choice
    per_app = engine.run([SEED], engine.Options(release_facts=False, per_app=lambda root: engine.Options()),
                         keep_models=False)
    assert all(t.release_facts is None for a in per_app.apps for t in a.targets)
    code = ("import sys; from pathlib import Path; from dfulint import engine; "
            f"engine.run([Path({str(SEED)!r})], engine.Options(release_facts=False), keep_models=False); "
            "print('dfulint.model.release' in sys.modules)")
    p = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert p.returncode == 0 and p.stdout.strip() == "False", p.stderr
