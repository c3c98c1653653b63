"""The mutable records of a check (findings, apps, options, parsed files, images, flash maps, ...) are
plain classes with `__slots__` and a written-out constructor, the immutable ones `dfulint.records`
NamedTuples: defining them compiles nothing, and a check imports neither `dataclasses` nor, once the
command line needs no `inspect` either, `inspect`.
These tests hold that, and the behaviour the records had as dataclasses: fresh default containers
per instance, keyword and positional construction in field order, identity equality (value
equality for a Partition Manager file), no field missing from `__slots__`, and pickling (a worker's
results cross a pipe)."""
import ast
import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "fixtures" / "seed_bl653_dvk"

# `python -m dfulint check ...` as a user runs it; the modules loaded are written to a file when the
# process ends (the entry point ends with os._exit, which skips atexit)
_PROBE = """
import atexit, builtins, json, os, runpy, sys
out = os.environ["PROBE_OUT"]
compiled = []                    # source text compiled from dfulint's own code: (file, line)
for name in ("exec", "eval", "compile"):
    def counted(*args, _real=getattr(builtins, name), **kwargs):
        caller = sys._getframe(1).f_code.co_filename
        if "dfulint" in caller:
            compiled.append((caller, sys._getframe(1).f_lineno))
        return _real(*args, **kwargs)
    setattr(builtins, name, counted)
real_exit = os._exit
def dump():
    with open(out, "w") as f:
        json.dump({"modules": sorted(sys.modules), "compiled": compiled,
                   "files": {m: getattr(v, "__file__", None) for m, v in list(sys.modules.items())
                             if m == "dfulint" or m.startswith("dfulint.")}}, f)
def _exit(code):
    dump()
    real_exit(code)
os._exit = _exit
atexit.register(dump)
sys.argv = ["dfulint", *sys.argv[1:]]
runpy.run_module("dfulint", run_name="__main__", alter_sys=True)
"""


def _check_run(tmp_path: Path, fmt: str, *options: str, app: Path = SEED) -> dict:
    out = tmp_path / "modules.json"
    env = dict(os.environ, PROBE_OUT=str(out))
    p = subprocess.run([sys.executable, "-c", _PROBE, "check", str(app), "--format", fmt, *options], cwd=tmp_path,
                       env=env, capture_output=True, text=True)
    assert p.returncode in ((0, 1) if options else (1,)), p.stderr     # the seed has errors
    assert p.stdout.strip()                       # findings, a diff or a report
    return json.loads(out.read_text())


def _defines_dataclasses(path: Path) -> list:
    """Where a module's source imports `dataclasses` or decorates a class with `dataclass`."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    where = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(a.name == "dataclasses" for a in node.names):
            where.append(node.lineno)
        elif isinstance(node, ast.ImportFrom) and node.module == "dataclasses":
            where.append(node.lineno)
        elif isinstance(node, ast.ClassDef):
            for d in node.decorator_list:
                d = d.func if isinstance(d, ast.Call) else d
                if getattr(d, "id", getattr(d, "attr", None)) == "dataclass":
                    where.append(node.lineno)
    return where


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_a_check_imports_no_dataclasses(tmp_path, fmt):
    got = _check_run(tmp_path, fmt)
    modules = set(got["modules"])
    assert "dataclasses" not in modules
    # inspect (with ast, dis, tokenize) comes only with the command-line library, never from dfulint
    if "click" not in modules:
        assert "inspect" not in modules
    # no source text is compiled from dfulint's code (record constructors are written out)
    assert got["compiled"] == []
    # and no dfulint module a check imports defines a dataclass
    ours = {m: f for m, f in got["files"].items() if f}
    assert "dfulint.engine" in ours and "dfulint.sources.dts" in ours
    offenders = {m: _defines_dataclasses(Path(f)) for m, f in ours.items()}
    assert {m: lines for m, lines in offenders.items() if lines} == {}


@pytest.mark.parametrize("options", [("--diff",), ("--fix",), ("--add-ignore",), ("--format", "html")])
def test_fixing_suppressing_and_the_html_report_import_no_dataclasses(tmp_path, options):
    """`--fix`, `--diff` and `--add-ignore` (pre-commit hooks) and the HTML report (CI) start as quickly."""
    import shutil

    app = tmp_path / "seed"
    shutil.copytree(SEED, app)
    got = _check_run(tmp_path, "text", *options, app=app)
    modules = set(got["modules"])
    assert "dataclasses" not in modules
    if "click" not in modules and "jinja2" not in modules:      # both import inspect themselves
        assert "inspect" not in modules
    assert {"--diff": "dfulint.fix", "--fix": "dfulint.fix", "--add-ignore": "dfulint.add_ignore",
            "--format": "dfulint.report.html"}[options[0]] in modules
    assert got["compiled"] == []


def _records():
    """Every slotted record class of the modules a check imports."""
    from dfulint import add_ignore, baseline, config, core, engine, fix, workspace
    from dfulint.model import devicetree, flash, images, kconfig, mcuboot, placement
    from dfulint.report import html
    from dfulint.sources import dts, kconf, kconfig_defaults, pm

    return [core.Finding, engine.Options, engine.AppResult, engine.Result, workspace.App, config.Settings,
            baseline.Baseline, flash.Partition, flash.FlashMap, devicetree.MergedNode, images.Image,
            kconfig.Dropped, kconfig.ImageConfig, placement._Req, placement._Ctx, mcuboot._Ctx, kconf.Fragment,
            kconfig_defaults.KconfigDefaults, pm.PmFile, dts.DtsValue, dts.DtsProperty, dts.DtsNode,
            dts.DtsInclude, dts.DtsFile, fix.FilePlan, fix.Plan, fix.FixReport, add_ignore._Target,
            add_ignore._Written, add_ignore.AddReport, html.Shape]


def _slotted_classes():
    """Every class of a dfulint module a check imports that names its fields in `__slots__`."""
    import importlib

    _records()
    out = []
    for name in [m for m in sys.modules if m == "dfulint" or m.startswith("dfulint.")]:
        for value in vars(importlib.import_module(name)).values():
            if isinstance(value, type) and value.__module__ == name and not issubclass(value, tuple) \
                    and value.__dict__.get("__slots__") and value.__dict__.get("__annotations__"):
                out.append(value)
    return out


def test_every_field_is_a_slot_and_a_parameter():
    """A field added to a record's annotations but not to `__slots__` or its constructor fails here."""
    import inspect

    found = _slotted_classes()
    assert set(_records()) <= set(found)
    for cls in found:
        fields = list(cls.__annotations__)
        assert fields, cls.__name__
        assert not hasattr(cls, "__dataclass_fields__"), cls.__name__
        assert "__dict__" not in dir(cls), cls.__name__
        slots = cls.__slots__
        assert set(fields) <= set(slots), (cls.__name__, set(fields) - set(slots))
        params = list(inspect.signature(cls.__init__).parameters)[1:]
        internal = {"_Ctx"}                  # computation state: the results start empty, never passed
        if cls.__name__ not in internal:
            assert params == fields, cls.__name__       # positional order = field order, as before


def test_default_containers_are_fresh_per_instance():
    from dfulint.core import Finding, Severity, Span
    from dfulint.engine import AppResult, Options, Result
    from dfulint.model.flash import FlashMap, Partition
    from dfulint.sources.dts import DtsFile, DtsNode
    from dfulint.workspace import App

    span = Span(Path("/x/prj.conf"))
    a, b = Finding("DFU201", "m", span, Severity.ERROR), Finding("DFU201", "m", span, Severity.ERROR)
    assert a.related == [] and a.related is not b.related and a.edits is not b.edits
    assert (a.fix, a.image, a.evidence, a.low_confidence, a.app, a.lines, a.lines_from) == \
        ("", "", "files", False, None, (), 0)
    o1, o2 = Options(), Options()
    assert o1.ignore == set() and o1.ignore is not o2.ignore and o1.severities is not o2.severities
    assert (o1.select, o1.profile, o1.suppressions, o1.boards_origin) == (None, "development", True, "--board")
    r1, r2 = Result(), Result()
    assert r1.findings is not r2.findings and r1.apps is not r2.apps and r1.suppressed is not r2.suppressed
    app1, app2 = App(Path("/x"), []), App(Path("/y"), [])
    assert app1.boards is not app2.boards and app1.custom_boards is not app2.custom_boards
    assert app1.sdk == app2.sdk and app1.sdk.source == "default" and app1.build_system == "child_image"
    ar1, ar2 = AppResult(app1), AppResult(app2)
    assert ar1.targets is not ar2.targets and ar1.verdicts is not ar2.verdicts
    m1, m2 = FlashMap(), FlashMap()
    assert m1.partitions is not m2.partitions and m1.devices is not m2.devices
    p1, p2 = Partition("x", 0, 4096), Partition("y", 4096, 4096)
    assert p1.span_of is not p2.span_of and p1.region == "flash_primary" and p1.end == 4096
    n1, n2 = DtsNode("a"), DtsNode("b")
    assert n1.props is not n2.props and n1.children is not n2.children and n1.labels is not n2.labels
    f1, f2 = DtsFile(Path("/a.dts")), DtsFile(Path("/b.dts"))
    assert f1.roots is not f2.roots and f1.defines is not f2.defines and f1.readable


def test_equality_and_hashing_as_before():
    from dfulint.core import Finding, Severity, Span
    from dfulint.sources.pm import PmFile

    span = Span(Path("/x/prj.conf"))
    a, b = Finding("DFU201", "m", span, Severity.ERROR), Finding("DFU201", "m", span, Severity.ERROR)
    assert a != b and a == a and len({a, b}) == 2          # findings are keyed by identity
    p, q = PmFile(Path("/x/pm_static.yml")), PmFile(Path("/x/pm_static.yml"))
    assert p == q and p is not q                          # a parsed file compares by value
    q.readable = False
    assert p != q and p != "pm_static.yml"
    with pytest.raises(TypeError):
        hash(p)


def test_options_without_callbacks():
    """What a finished app keeps of its options: everything but the run's callbacks."""
    from dfulint.core import Severity
    from dfulint.engine import Options

    o = Options(select={"DFU201"}, severities={"DFU201": Severity.WARNING}, boards=("b",), profile="release",
                on_app=print, on_progress=print, cancelled=lambda: False, per_app=lambda p: None)
    slim = o.without_callbacks()
    assert slim is not o and (slim.on_app, slim.on_progress, slim.cancelled, slim.per_app) == (None,) * 4
    assert (slim.select, slim.severities, slim.boards, slim.profile) == (o.select, o.severities, ("b",), "release")
    assert o.on_app is print                               # the run's own options are unchanged
    pickle.dumps(slim)


def test_a_checked_app_survives_pickling():
    """A worker process sends each app's result to the parent pickled."""
    from dfulint import engine

    result = engine.run([SEED], engine.Options(), keep_models=False)
    again = pickle.loads(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
    assert [(f.code, f.span, f.board, f.title, f.severity) for f in again.findings] == \
        [(f.code, f.span, f.board, f.title, f.severity) for f in result.findings]
    assert again.apps[0].app.root == result.apps[0].app.root
    assert [t.board for t in again.apps[0].targets] == [t.board for t in result.apps[0].targets]
    assert repr(again.findings[0]).startswith("Finding('DFU")


def test_defining_a_record_compiles_nothing(monkeypatch):
    """A NamedTuple record of up to 40 fields takes its constructor from the written-out ones."""
    import builtins

    from dfulint import records

    def refuse(*args, **kwargs):
        raise AssertionError("compiled source text")

    monkeypatch.setattr(builtins, "eval", refuse)
    for n in (1, 2, 7, 36, 40):
        fields = tuple(f"f{i}" for i in range(n))
        cls = records.record_type(f"R{n}", fields, {fields[-1]: "last"}, {})
        r = cls(*range(n - 1))
        assert tuple(r) == tuple(range(n - 1)) + ("last",) and r._fields == fields
        assert cls(**{f: i for i, f in enumerate(fields)}) == tuple(range(n))
    monkeypatch.undo()
    wide = records.record_type("Wide", tuple(f"f{i}" for i in range(41)), {}, {})     # compiled once, then kept
    assert tuple(wide(*range(41))) == tuple(range(41))
