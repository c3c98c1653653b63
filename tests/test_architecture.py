"""The layers of docs/architecture.md, checked on the source: files -> context -> sources ->
configuration -> facts (dfulint/model) -> checks -> report, one way.

* checks read facts only: no import of the readers (sources), dfulint's data (knowledge), the
  app detection (workspace, west), the file layer or the file system, and no file-system calls;
* the model never imports checks or reports;
* reports render a result: they import no reader, model stage or file layer (see KNOWN_REPORT);
* no import cycle between modules, counting imports inside functions;
* no module uses another module's private (`_`) names.

And, at run time, a rule opens no file: every file-system call is watched while the rules run.
"""
from __future__ import annotations

import ast
import builtins
import io
import os
import pathlib
from pathlib import Path


ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "dfulint"


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PKG.rglob("*.py"))}


def _type_checking(node) -> bool:
    """`if TYPE_CHECKING:` (or `typing.TYPE_CHECKING`): imports only a type checker runs."""
    t = node.test if isinstance(node, ast.If) else None
    return isinstance(t, ast.Name) and t.id == "TYPE_CHECKING" or \
        isinstance(t, ast.Attribute) and t.attr == "TYPE_CHECKING"


def _walk_run(node):
    """ast.walk without the bodies of `if TYPE_CHECKING:` blocks (never run)."""
    todo = [node]
    while todo:
        n = todo.pop()
        yield n
        if _type_checking(n):
            todo.extend(n.orelse)
            continue
        todo.extend(ast.iter_child_nodes(n))


def _imports(path: Path, top_level_only: bool = False) -> list[tuple[str, int]]:
    """(imported module, line) for every import in a file that runs (at import time with
    `top_level_only`, or in any function); relative imports resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    mod = _module_name(path)
    package = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
    nodes = list(_walk_run(tree))
    if top_level_only:        # module level, including try/if blocks
        nodes = [n for top in tree.body if not isinstance(top, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                                  ast.ClassDef)) for n in _walk_run(top)]
    out = []
    for node in nodes:
        if isinstance(node, ast.Import):
            out.extend((a.name, node.lineno) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                pkg = package.split(".")
                base = ".".join(pkg[: len(pkg) - node.level + 1] + ([base] if base else []))
            out.append((base, node.lineno))
            for a in node.names:           # `from dfulint import knowledge` names a module
                out.append((f"{base}.{a.name}", node.lineno))
    return out


def _hits(prefix: str, forbidden: tuple, allowed: tuple = ()) -> list[str]:
    bad = []
    for mod, path in _modules().items():
        if not (mod == prefix or mod.startswith(prefix + ".")):
            continue
        for name, line in _imports(path):
            if any(name == f or name.startswith(f + ".") for f in forbidden) and \
                    not any(name == a or name.startswith(a + ".") for a in allowed):
                bad.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    return sorted(set(bad))


CHECKS_FORBIDDEN = ("dfulint.sources", "dfulint.knowledge", "dfulint.workspace", "dfulint.west",
                    "dfulint.files", "dfulint.cache", "dfulint.context", "os", "glob", "shutil", "io",
                    "subprocess", "tempfile")


def test_checks_import_no_reader_knowledge_workspace_or_file_system():
    assert _hits("dfulint.checks", CHECKS_FORBIDDEN) == []


# methods of Path / os that reach the disk (a devicetree's own `walk()` over its nodes does not)
FS_CALLS = {"open", "read_text", "read_bytes", "write_text", "write_bytes", "is_file", "is_dir", "exists",
            "glob", "rglob", "iterdir", "stat", "lstat", "scandir", "listdir", "resolve", "samefile"}


def test_checks_make_no_file_system_calls():
    bad = []
    for mod, path in _modules().items():
        if not mod.startswith("dfulint.checks"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                f = node.func
                name = f.attr if isinstance(f, ast.Attribute) else ("open" if getattr(f, "id", "") == "open" else "")
                if name in FS_CALLS:
                    bad.append(f"{path.relative_to(ROOT)}:{node.lineno} calls {name}()")
    assert bad == []


def test_model_never_imports_checks_reports_or_the_engine():
    assert _hits("dfulint.model", ("dfulint.checks", "dfulint.report", "dfulint.engine", "dfulint.cli",
                                   "dfulint.server")) == []


REPORT_FORBIDDEN = ("dfulint.sources", "dfulint.knowledge", "dfulint.workspace", "dfulint.west", "dfulint.files",
                    "dfulint.cache", "dfulint.context", "dfulint.model", "dfulint.engine")
# Known exceptions, to be removed (none left; the list only shrinks).
KNOWN_REPORT: dict = {}


def test_reports_render_the_result_only():
    bad = _hits("dfulint.report", REPORT_FORBIDDEN)
    new = [b for b in bad if not any(b.startswith(f"{f}:") and KNOWN_REPORT[f] in b for f in KNOWN_REPORT)]
    assert new == []
    # the list of known exceptions only shrinks: a fixed one must leave it
    fixed = [f for f, what in KNOWN_REPORT.items() if not any(b.startswith(f"{f}:") and what in b for b in bad)]
    assert fixed == []


def _cycles(top_level_only: bool) -> list:
    mods = _modules()
    graph = {m: set() for m in mods}
    for m, path in mods.items():
        for name, _ in _imports(path, top_level_only=top_level_only):
            while name and name not in mods:
                name = name.rpartition(".")[0]
            if name and name != m and name.startswith("dfulint"):
                # importing a submodule imports its packages first, which is no edge back
                if not m.startswith(name + "."):
                    graph[m].add(name)
    cycles = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for n in sorted(graph[m]):
            if state.get(n) == 1:
                cycles.append(stack[stack.index(n):] + [n])
            elif n not in state:
                visit(n)
        stack.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m)
    return cycles


def test_no_import_cycles_at_import_time():
    assert _cycles(top_level_only=True) == []


def test_no_import_cycles_through_function_level_imports():
    """A lazy import (inside a function, for start-up time) still ties two modules together: no
    module may import, at any level, one that imports it back."""
    assert _cycles(top_level_only=False) == []


# namedtuple's public API and the standard library's own internals are not dfulint's private names
_PUBLIC_UNDERSCORE = {"_replace", "_asdict", "_fields", "_make", "_field_defaults"}


def test_no_private_names_across_modules():
    """A name starting with `_` belongs to its module: no `from dfulint.x import _name`, no
    `module._name` of a dfulint module, and no `obj._name` of an attribute or method the module does
    not define itself (a private method of another module's class)."""
    bad = []
    for mod, path in _modules().items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        own: set = set()
        foreign: set = set()       # names bound to modules outside dfulint (os, re, sys, ...)
        for n in ast.walk(tree):
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                own.add(n.name)
            elif isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
                own.add(n.id)
            elif isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Store):
                own.add(n.attr)
            elif isinstance(n, ast.arg):
                own.add(n.arg)
            elif isinstance(n, ast.keyword) and n.arg:
                own.add(n.arg)
            elif isinstance(n, ast.Import):
                foreign.update((a.asname or a.name).split(".")[0] for a in n.names if not a.name.startswith("dfulint"))
            elif isinstance(n, ast.ImportFrom) and not n.level and not (n.module or "").startswith("dfulint"):
                foreign.update(a.asname or a.name for a in n.names)
        for n in ast.walk(tree):
            if isinstance(n, ast.ImportFrom) and (n.level or (n.module or "").startswith("dfulint")):
                bad.extend(f"{path.relative_to(ROOT)}:{n.lineno} imports {a.name}" for a in n.names
                           if a.name.startswith("_") and not a.name.startswith("__"))
            elif isinstance(n, ast.Attribute) and n.attr.startswith("_") and not n.attr.startswith("__") \
                    and n.attr not in _PUBLIC_UNDERSCORE and n.attr not in own:
                if isinstance(n.value, ast.Name) and n.value.id in foreign | {"self", "cls"}:
                    continue
                bad.append(f"{path.relative_to(ROOT)}:{n.lineno} uses .{n.attr}")
    assert bad == []


# The functions that build the model: a check that called one would compute facts while the rules
# run (the model stage computes each once, before any rule; checks read the records it made).
MODEL_STAGE = {
    "dfulint.model.project": {"build_target", "build_targets", "parse_app_files", "build_config"},
    "dfulint.model.paths": {"derive"},
    "dfulint.model.dfu": {"derive", "transports", "image_group", "signing_key", "signature_none",
                          "encryption_key"},
    "dfulint.model.extflash": {"driver_states"},
    "dfulint.model.chain": {"build", "board_partition_nodes"},
    "dfulint.model.kconfig": {"evaluate", "status_in", "status_over"},
    "dfulint.model.sysbuild": {"evaluate_sysbuild", "extra_forcing"},
    "dfulint.model.mcuboot": {"analyse"},
    "dfulint.model.placement": {"place"},
    "dfulint.model.devicetree": {"build_tree", "parse_final_dts", "fixed_partitions"},
    "dfulint.model.release": {"facts_of"},
}


def test_checks_call_no_model_building_function():
    bad = []
    for mod, path in _modules().items():
        if not mod.startswith("dfulint.checks"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        aliases = {}            # name bound in the check module -> the model module it is
        for n in ast.walk(tree):
            if isinstance(n, ast.ImportFrom) and (n.module or "") in MODEL_STAGE:
                bad.extend(f"{path.relative_to(ROOT)}:{n.lineno} imports {n.module}.{a.name}"
                           for a in n.names if a.name in MODEL_STAGE[n.module])
            elif isinstance(n, ast.ImportFrom) and n.module == "dfulint.model":
                aliases.update((a.asname or a.name, f"dfulint.model.{a.name}") for a in n.names)
            elif isinstance(n, ast.Import):
                aliases.update((a.asname, a.name) for a in n.names if a.asname and a.name in MODEL_STAGE)
        for n in ast.walk(tree):
            if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id in aliases:
                if n.attr in MODEL_STAGE.get(aliases[n.value.id], ()):
                    bad.append(f"{path.relative_to(ROOT)}:{n.lineno} calls {aliases[n.value.id]}.{n.attr}")
    assert bad == []


_VERSIONS = {"version", "kconfig_version", "eval_version", "range", "kconfig_range", "low", "high"}
_VERSION_CALLS = {"always_at_least", "always_before", "maybe_at_least", "sdk_range", "at_least"}


def _versionish(node) -> bool:
    """`t.sdk.version`, `t.kconfig_range[1]`, `tuple(t.sdk.range[0])`, a literal version tuple..."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "tuple" and node.args:
        return _versionish(node.args[0])
    if isinstance(node, ast.Subscript):
        return _versionish(node.value)
    if isinstance(node, ast.Attribute):
        return node.attr in _VERSIONS
    return isinstance(node, ast.Tuple) and len(node.elts) in (2, 3) and \
        all(isinstance(e, ast.Constant) and isinstance(e.value, int) for e in node.elts)


def test_checks_compare_no_sdk_version():
    """A rule does not branch on SDK versions (`t.sdk.version < (2, 5, 0)`, `t.kconfig_range[1] >= ...`,
    `always_at_least(t, 2, 2)`): where the version decides whether it applies, that is its `ncs=` in
    `@rule`; where it decides a fact (a default, whether a symbol or a behaviour exists), the model
    holds the fact with its source (model/versions.py, model/extflash.py)."""
    bad = []
    for mod, path in _modules().items():
        if not mod.startswith("dfulint.checks") or mod == "dfulint.checks":
            continue
        for n in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(n, ast.Compare) and any(isinstance(o, (ast.Lt, ast.LtE, ast.Gt, ast.GtE)) for o in n.ops):
                if any(_versionish(side) for side in [n.left] + list(n.comparators)):
                    bad.append(f"{path.relative_to(ROOT)}:{n.lineno} compares versions")
            elif isinstance(n, ast.Call):
                f = n.func
                name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
                if name in _VERSION_CALLS:
                    bad.append(f"{path.relative_to(ROOT)}:{n.lineno} calls {name}()")
    assert bad == []


# ------------------------------------------------------------------ run time


class _Watch:
    """Records every file-system call made while active (the calls still go through)."""

    PATH_METHODS = ("is_file", "is_dir", "exists", "glob", "rglob", "iterdir", "stat", "open", "read_text",
                    "read_bytes")
    OS_FUNCS = ("stat", "lstat", "open", "listdir", "scandir", "walk")

    def __init__(self, monkeypatch):
        self.mp = monkeypatch
        self.calls: list[str] = []

    def _spy(self, what, real):
        def spy(*args, **kwargs):
            target = str(args[0]) if args else ""
            # dfulint's own data (knowledge tables loaded on first use) is not the project's files
            if not target.startswith(str(PKG)):
                self.calls.append(f"{what}({target})")
            return real(*args, **kwargs)
        return spy

    def __enter__(self):
        import dfulint.sources as sources

        for name in self.PATH_METHODS:
            self.mp.setattr(pathlib.Path, name, self._spy(f"Path.{name}", getattr(pathlib.Path, name)))
        for name in self.OS_FUNCS:
            self.mp.setattr(os, name, self._spy(f"os.{name}", getattr(os, name)))
        self.mp.setattr(builtins, "open", self._spy("open", builtins.open))
        self.mp.setattr(io, "open", self._spy("io.open", io.open))
        self.mp.setattr(sources, "read_text", self._spy("read_text", sources.read_text))
        return self

    def __exit__(self, *exc):
        self.mp.undo()


FIXTURES = sorted(p for p in (ROOT / "fixtures" / "rules").glob("*/*") if p.is_dir()) \
    if (ROOT / "fixtures" / "rules").is_dir() else []


def _targets(app_dir: Path):
    from dfulint.model.project import build_targets
    from dfulint.workspace import describe_app, find_apps

    out = []
    for root in find_apps([app_dir]):
        out.extend(build_targets(describe_app(root, (), None, None)))
    return out


def test_rules_run_without_touching_the_file_system(monkeypatch):
    """Model every rule fixture first, then run every rule over it: no rule reads or probes a file of
    the project or the workspace (dfulint's own knowledge tables may load on first use)."""
    from dfulint.checks import load_all

    rules = load_all()
    targets = []
    for fx in FIXTURES:
        targets.extend(_targets(fx))
    assert len(targets) > 50
    ran = 0
    with _Watch(monkeypatch) as watch:
        for t in targets:
            for r in rules.values():
                if r.applies.matches(t):
                    list(r.func(t) or ())
                    ran += 1
    assert ran > 1000
    assert watch.calls[:5] == []


# ------------------------------------------------------------------ the frozen model


def test_a_built_target_cannot_be_changed():
    """The model stage hands the checks an immutable record: a later stage makes a new one
    (`_replace`), nothing sets a field of a built target."""
    import pytest

    targets = _targets(ROOT / "fixtures" / "seed_bl653_dvk")
    assert targets
    t = targets[0]
    for name, value in (("mode", "overwrite-only"), ("boot", None), ("against", None), ("problems", ())):
        with pytest.raises(AttributeError):
            setattr(t, name, value)
    with pytest.raises(AttributeError):
        del t.flash
    # what the engine adds later comes as a new record; the built one is unchanged
    t2 = t._replace(release_facts=None, against=None)
    assert t2 is not t and t2.flash is t.flash and t.problems == t2.problems
    # targets compare and hash by identity (as distinct boards of one app must)
    assert t2 != t and t == t and len({t, t2}) == 2
    # the records it is made of are tuples or frozen too
    assert isinstance(t.problems, tuple) and isinstance(t.stems, tuple) and isinstance(t.config_dirs, tuple)
    assert t.dfu is not None and t.chain is not None and t.paths is not None and t.drivers
    for rec in (t.dfu, t.paths, t.files, t.chain):
        with pytest.raises(AttributeError):
            rec.transports = ()


def test_target_fields_are_typed():
    """Every field of the model's records names its type (no `object` where a record exists)."""
    from dfulint.model.chain import ChainFacts
    from dfulint.model.images import Image
    from dfulint.model.project import Target

    from dfulint.model.dfu import DfuFacts
    from dfulint.model.mcuboot import Reason, SlotAnalysis

    for cls in (Image, Target, ChainFacts, DfuFacts, Reason, SlotAnalysis):
        untyped = [n for n, typ in cls.__annotations__.items() if typ in ("object", object)]
        assert untyped == [], cls.__name__
