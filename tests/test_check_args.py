"""`dfulint check` read without click (dfulint.check_args): its table is click's own, it reads every
plain command line as click does, hands every other one to click untouched, and a run either way
prints the same bytes and exits with the same code."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest

from dfulint import check_args
from dfulint.cli import cli
from helpers import check_modules

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "fixtures" / "seed_bl653_dvk"
CLEAN = ROOT / "fixtures" / "apps" / "ncs25_foundation_child_image_clean"
SYSBUILD = ROOT / "fixtures" / "apps" / "ncs28_foundation_sysbuild_clean"
HALF = ROOT / "fixtures" / "apps" / "ncs27_foundation_half_migrated"
CHECK = cli.commands["check"]


def _type(t):
    """A click parameter type as check_args.PARAMS describes it; anything it cannot read is an error."""
    if isinstance(t, click.Path):
        assert not (t.writable or t.executable or t.resolve_path or t.allow_dash), t.to_info_dict()
        assert t.type is Path
        return ("path", t.exists, t.file_okay, t.dir_okay, t.readable)
    if isinstance(t, click.Choice):
        assert all(isinstance(c, str) for c in t.choices)
        return ("choice", tuple(t.choices), t.case_sensitive)
    if isinstance(t, click.IntRange):
        assert not (t.min_open or t.max_open or t.clamp)
        return ("int", t.min, t.max)
    if isinstance(t, click.Tuple):
        return ("tuple", tuple(_type(x) for x in t.types))
    if type(t) is click.types.StringParamType:
        return ("text",)
    if type(t) is click.types.BoolParamType:
        return ("bool",)
    raise AssertionError(f"check_args cannot read a {t!r}")


def _derived():
    defaults = CHECK.make_context("check", []).params      # what click passes when nothing is given
    rows = []
    for p in CHECK.params:
        assert p.envvar is None and not p.required and p.expose_value and not p.secondary_opts
        assert not getattr(p, "prompt", None) and not getattr(p, "count", False)
        assert not p.is_eager and not getattr(p, "deprecated", False)
        if isinstance(p, click.Argument):
            kind = "argument"
        elif p.is_flag:
            assert p.flag_value in (True, getattr(click.core, "UNSET", True)), p.flag_value
            kind = "flag"
        else:
            assert not getattr(p, "_flag_needs_value", False)
            kind = "value"
        rows.append((p.name, () if kind == "argument" else tuple(p.opts), kind, p.multiple, p.nargs, _type(p.type), defaults[p.name],
                     p.callback.__name__ if p.callback else None))
    return tuple(rows)


def test_the_table_is_clicks_own():
    assert check_args.PARAMS == _derived()
    assert set(check_args.CALLBACKS) == {r[7] for r in check_args.PARAMS} - {None}
    ctx = CHECK.make_context("check", [])
    assert ctx.allow_interspersed_args and not ctx.ignore_unknown_options and not ctx.allow_extra_args
    assert ctx.token_normalize_func is None and ctx.auto_envvar_prefix is None
    assert cli.context_settings == {"help_option_names": ["-h", "--help"]}


def _click_params(args):
    """What click passes to `check` for ARGS, or None for a usage error."""
    with click.Context(cli, info_name="dfulint", help_option_names=["-h", "--help"]) as parent:
        try:
            return CHECK.make_context("check", list(args), parent=parent).params
        except (click.exceptions.UsageError, click.exceptions.Exit):
            return None


def _rel(p: Path) -> str:
    return os.path.relpath(p, ROOT)


# command lines the quick reading takes, exactly as click does
PLAIN = [
    [],
    ["fixtures/seed_bl653_dvk"],
    ["fixtures/seed_bl653_dvk", "fixtures/apps/ncs25_foundation_child_image_clean"],
    ["fixtures/seed_bl653_dvk/pm_static.yml"],
    ["--format", "json", "fixtures/seed_bl653_dvk"],
    ["--format=json", "-f", "sarif:out.sarif", "fixtures/seed_bl653_dvk", "-fhtml:r.html"],
    ["-o", "out.json", "--format", "json"],
    ["--output=out.json", "--format", "json", "--output", "other.json"],
    ["--board", "bl653_dvk", "-b", "nrf52840dk/nrf52840", "-bnrf5340dk_nrf5340_cpuapp", "--board=x"],
    ["--sdk-version", "2.5.0", "--sdk-version=2.6.0"],
    ["--sdk-version", "not-a-version"],          # refused later, by the check itself
    ["--build-dir", "no-such-build", "--build-dir=build"],
    ["--build-dir", "fixtures"],
    ["--file-suffix", "release", "--file-suffix="],
    ["--select", "DFU2", "--select=DFU401", "--ignore", "DFU7", "--ignore=slot-sectors-incompatible"],
    ["--fail-on", "warning"], ["--fail-on=INFO"], ["--fail-on", "error"], ["--fail-on", ""],
    ["--profile", "release"], ["--profile=Release"], ["--profile", "DEVELOPMENT"],
    ["--config", "fixtures/README.md"], ["--isolated", "--show-config"], ["--show-context", "--isolated"],
    ["--baseline", "write", "b.json"], ["--baseline", "use", "fixtures/README.md"], ["--baseline=use", "b.json"],
    ["--against", "v1.2.0"], ["--against=fixtures/seed_bl653_dvk"],
    ["--fix"], ["--diff"], ["--fix", "--diff"],
    ["--add-ignore"], ["--add-ignore", "fixtures/seed_bl653_dvk"], ["--add-ignore=accepted in 2024"],
    ["--add-ignore="], ["--add-ignore", "--fix"],
    ["--output-format", "concise"], ["--output-format=full", "--statistics"],
    ["--html-scale", "shared"], ["--html-scale=device"],
    ["--exit-zero", "-q", "--quiet", "--no-cache", "--debug"],
    ["--color", "never"], ["--color=always"], ["--color"], ["--color", "fixtures/seed_bl653_dvk"], ["--no-color"],
    ["--color", "auto", "--no-color"],
    ["--jobs", "2"], ["-j", "0"], ["-j3"], ["--jobs=1"], ["--jobs", " 4 "], ["-j", "+2"],
    ["--", "fixtures/seed_bl653_dvk"], ["--quiet", "--", "fixtures/seed_bl653_dvk", "fixtures"],
    ["fixtures", "--quiet", "fixtures/seed_bl653_dvk", "--format", "json"],
    ["--debug", "--debug"],
]

# command lines click reports as usage errors: the quick reading leaves them to click
REFUSED = [
    ["--help"], ["-h"], ["fixtures", "--help"], ["--version"], ["-V"],
    ["no-such-folder"], ["fixtures/seed_bl653_dvk", "no-such-folder"], [""], ["--", "no-such-folder"],
    ["--bord", "x"], ["--board"], ["-b"], ["--format"], ["-x"], ["--quiet=yes"], ["--fix=1"],
    ["--config", "no-such.toml"], ["--config", "fixtures"], ["--output", "fixtures"], ["--build-dir", "fixtures/README.md"],
    ["--baseline", "write"], ["--baseline", "keep", "b.json"], ["--baseline", "write", "fixtures"],
    ["--baseline=WRITE", "b.json"],
    ["--fail-on", "fatal"], ["--profile", "production"], ["--output-format", "Full"],
    ["--html-scale", "tiny"], ["--color", "sometimes"], ["--color=yes"],
    ["--jobs", "-1"], ["-j", "many"], ["-j", "1.5"], ["--jobs="], ["-j=2"],
    ["--add-ignore=two\nlines"], ["--add-ignore=*/"],
]

# command lines click reads, left to click by the quick reading all the same (never guessed)
LEFT_TO_CLICK = [
    ["-qj4"], ["-q4"], ["--board", "-x"], ["--select", "--quiet"], ["-"], ["--baseline", "use", "-"],
]


@pytest.mark.parametrize("args", PLAIN, ids=" ".join)
def test_a_plain_command_line_is_read_as_click_reads_it(args, monkeypatch):
    monkeypatch.chdir(ROOT)
    expected = _click_params(args)
    assert expected is not None, "click refuses this command line"
    assert check_args.parse(args) == expected


@pytest.mark.parametrize("args", REFUSED + LEFT_TO_CLICK, ids=" ".join)
def test_what_the_quick_reading_does_not_take_goes_to_click(args, monkeypatch):
    monkeypatch.chdir(ROOT)
    assert check_args.parse(args) is None
    if args in REFUSED:
        assert _click_params(args) is None


def test_an_unreadable_path_goes_to_click(tmp_path, monkeypatch):
    if os.geteuid() == 0:
        pytest.skip("root reads every file")
    secret = tmp_path / "secret.toml"
    secret.write_text("")
    secret.chmod(0)
    monkeypatch.chdir(tmp_path)
    assert check_args.parse(["--config", "secret.toml"]) is None
    assert _click_params(["--config", "secret.toml"]) is None


# -- whole runs: the same bytes, the same exit code, with and without click ---------------------------

_DRIVER = r"""
import json, os, sys
fast = sys.argv[1] == "fast"
work, cases = sys.argv[2], json.loads(sys.argv[3])
import dfulint.__main__ as main
main.FAST_CHECK = fast
import dfulint.check_cmd, dfulint.check_args, dfulint.engine, dfulint.config   # once, before the forks
if not fast:
    import dfulint.cli
results = []
for n, (args, tty) in enumerate(cases):
    out, err = os.path.join(work, "..", f"out{n}"), os.path.join(work, "..", f"err{n}")
    master = None
    if tty:
        import pty
        master, slave = pty.openpty()
    pid = os.fork()
    if pid == 0:
        os.chdir(work)
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(slave if tty else fd, 1)
        fd = os.open(err, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(fd, 2)
        sys.stdout = open(1, "w", encoding="utf-8", errors="strict", closefd=False)
        sys.stderr = open(2, "w", encoding="utf-8", errors="backslashreplace", closefd=False)
        sys.argv = ["dfulint", "check", *args]
        real_exit = os._exit
        def _exit(code):
            open(out + ".click", "w").write(str("click" in sys.modules))
            real_exit(code)
        os._exit = _exit
        try:
            main.entry()
        finally:
            os._exit(99)
    got = b""
    if tty:
        os.close(slave)
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            got += chunk
        os.close(master)
    _, status = os.waitpid(pid, 0)
    if not tty:
        got = open(out, "rb").read()
    files = {}
    for d, _, names in sorted(os.walk(work)):
        for name in sorted(names):
            p = os.path.join(d, name)
            files[os.path.relpath(p, work)] = open(p, "rb").read().decode("utf-8", "replace")
    results.append({"code": os.waitstatus_to_exitcode(status), "out": got.decode("utf-8", "replace"),
                    "err": open(err, "rb").read().decode("utf-8", "replace"), "files": files,
                    "click": open(out + ".click").read() == "True"})
print(json.dumps(results))
"""


def _tree(work: Path) -> None:
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    for app in (SEED, CLEAN, HALF):
        shutil.copytree(app, work / app.name)
    (work / "notes.txt").write_text("not an app\n")


def _runs(tmp_path, mode, cases, env=None):
    work = tmp_path / "w" / "repo"
    _tree(work)
    environ = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "GITHUB_ACTIONS")}
    environ.update(PYTHONPATH=str(ROOT), DFULINT_CACHE_DIR=str(tmp_path / "cache"), TERM="xterm", COLUMNS="100",
                   **(env or {}))
    p = subprocess.run([sys.executable, "-c", _DRIVER, mode, str(work), json.dumps(cases)], capture_output=True,
                       text=True, env=environ, cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


RAN = [      # checks that run
    [], ["notes.txt"], ["seed_bl653_dvk", "-q", "--output-format", "concise", "--statistics", "--fail-on=info"],
    ["--quiet", "ncs25_foundation_child_image_clean", "--profile", "RELEASE", "--color", "--no-cache"],
    ["seed_bl653_dvk", "--format", "json", "-j", "1"], ["-fsarif", "--format=github", "seed_bl653_dvk/pm_static.yml"],
    ["seed_bl653_dvk", "--format", "gitlab", "-o", "gl.json", "--select", "DFU2", "--select=DFU4", "--ignore", "DFU201"],
    ["--format", "junit:j.xml", "--format", "text", "--output-format=full", "--color", "always", "--", "seed_bl653_dvk"],
    ["seed_bl653_dvk", "-b", "bl653_dvk", "--sdk-version", "2.5.0", "--file-suffix", "release", "--no-color",
     "--fail-on", "warning", "--exit-zero", "--build-dir", "nowhere", "--debug"],
    ["seed_bl653_dvk", "--show-context"], ["seed_bl653_dvk", "--show-config", "--isolated"],
    ["seed_bl653_dvk", "--config", "notes.txt"], ["seed_bl653_dvk", "--against", "nowhere"],
    ["seed_bl653_dvk", "--baseline", "write", "base.json"], ["seed_bl653_dvk", "--baseline=use", "base.json"],
    ["seed_bl653_dvk", "--baseline", "use", "missing.json"],
    ["ncs27_foundation_half_migrated", "--diff"], ["ncs27_foundation_half_migrated", "--fix", "-q"],
    ["ncs27_foundation_half_migrated", "--add-ignore=accepted"], ["seed_bl653_dvk", "--add-ignore"],
    ["seed_bl653_dvk", "ncs25_foundation_child_image_clean", "--jobs", "2", "--html-scale", "shared",
     "--format", "html:r.html", "--format", "text"],
]
LATE = [     # refused by the check itself, after the command line was read: click reports them
    ["seed_bl653_dvk", "--format", "json", "--format", "json:r.json", "-o", "x"], ["--format", "yaml"],
    ["--format", "json:a", "--format", "text:a"], ["--select", "DFU0x"], ["--ignore", "no-such-rule"],
    ["seed_bl653_dvk", "-b", "bl653_dvkk"], ["--sdk-version", "two"], ["--file-suffix", "a/b"],
    ["--add-ignore", "--fix"], ["--baseline", "use", "b.json", "--add-ignore=x"],
]
EARLY = [    # refused while reading the command line, or left to click: click reports them
    ["--fail-on", "fatal"], ["--profile", "production"], ["--build-dir", "notes.txt"], ["--config", "nowhere.toml"],
    ["--baseline", "keep", "base.json"], ["--add-ignore=a\nb"], ["-j", "-3"], ["nowhere"],
    ["seed_bl653_dvk", "--help"], ["-h"], ["--bogus"], ["-qj1"], ["--board"],
]
RUNS = RAN + LATE + EARLY


def test_a_run_prints_the_same_with_and_without_click(tmp_path):
    cases = [[args, False] for args in RUNS]
    fast, slow = _runs(tmp_path, "fast", cases), _runs(tmp_path, "click", cases)
    for args, a, b in zip(RUNS, fast, slow):
        assert dict(a, click=None) == dict(b, click=None), args
    ran = RUNS.index(["seed_bl653_dvk", "--format", "gitlab", "-o", "gl.json", "--select", "DFU2", "--select=DFU4",
                      "--ignore", "DFU201"])
    late = RUNS.index(["seed_bl653_dvk", "-b", "bl653_dvkk"])
    assert not any(r["click"] for r in fast[:len(RAN)]) and all(r["click"] for r in fast[len(RAN):])
    assert all(r["click"] for r in slow)
    assert fast[0]["code"] == 1 and isinstance(json.loads(fast[ran]["files"]["gl.json"]), list)
    assert fast[late]["code"] == 2 and fast[late]["out"] == ""
    assert fast[late]["err"].startswith("Usage: dfulint check [OPTIONS] [PATHS]...\n") and "'bl653_dvkk'" in fast[late]["err"]
    assert "Usage: dfulint check [OPTIONS] [PATHS]" in fast[RUNS.index(["-h"])]["out"]
    assert json.loads(fast[RUNS.index(["seed_bl653_dvk", "--format", "json", "-j", "1"])]["out"])["findings"]


def test_on_a_terminal_and_with_colour_variables_too(tmp_path):
    """click.echo removes colour codes from what it writes to a pipe, dfulint's writer too."""
    for env, cases in (({}, [[["seed_bl653_dvk"], True], [["seed_bl653_dvk", "--color", "always"], False],
                             [["seed_bl653_dvk", "--show-config"], True], [["seed_bl653_dvk", "--no-color"], True]]),
                       ({"NO_COLOR": "1"}, [[["seed_bl653_dvk", "-q"], True]]),
                       ({"FORCE_COLOR": "1"}, [[["seed_bl653_dvk", "--statistics"], False]])):
        fast, slow = _runs(tmp_path, "fast", cases, env), _runs(tmp_path, "click", cases, env)
        assert [dict(r, click=None) for r in fast] == [dict(r, click=None) for r in slow], env
        assert not any(r["click"] for r in fast)
        if not env:
            assert "\x1b[" in fast[0]["out"] and "\x1b[" in fast[1]["out"]


# what click imports and a check does not need
CLICKS_OWN = ("click", "dfulint.cli", "inspect", "ast", "dis", "tokenize", "gettext", "locale", "uuid", "platform")


def test_a_plain_check_does_not_import_click():
    p, modules = check_modules(str(SEED), "--format", "json", "-q", "--jobs", "1")
    assert p.returncode == 1 and json.loads(p.stdout)["findings"]
    assert not modules & set(CLICKS_OWN), sorted(modules & set(CLICKS_OWN))
    p, modules = check_modules(str(SEED), "--board", "bl653_dvkk")     # refused: click tells why
    assert p.returncode == 2 and "click" in modules and p.stdout == ""
    assert p.stderr.startswith("Usage: dfulint check [OPTIONS] [PATHS]...\n")


def test_help_is_clicks():
    p = subprocess.run([sys.executable, "-m", "dfulint", "check", "--help"], capture_output=True, text=True, cwd=ROOT,
                       env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert p.returncode == 0 and "--add-ignore" in p.stdout and "Usage:" in p.stdout


def test_an_ascii_standard_output_goes_to_click():
    """click writes through its own UTF-8 wrapper to a stream whose encoding is ASCII."""
    p, modules = check_modules(str(SEED), "--format", "json", "--jobs", "1", PYTHONIOENCODING="ascii")
    assert "click" in modules and p.returncode == 1 and json.loads(p.stdout)["findings"]


_ENTRY = """
import sys
import dfulint.__main__ as main
main.FAST_CHECK = sys.argv[1] == "fast"
sys.argv = ["dfulint", "check", *sys.argv[2:]]
main.entry()
"""


def test_a_reader_that_stops_early_ends_both_runs_alike():
    """`dfulint check --format sarif | head -c 10`: the same exit code and messages either way."""
    got = []
    for mode in ("fast", "click"):
        p = subprocess.Popen([sys.executable, "-c", _ENTRY, mode, str(SEED), "--format", "sarif", "--jobs", "1"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
                             env=dict(os.environ, PYTHONPATH=str(ROOT)))
        head = p.stdout.read(10)
        p.stdout.close()
        got.append((head, p.stderr.read(), p.wait()))
    assert got[0] == got[1] and got[0][2] == 1 and got[0][0] == b'{\n  "$sche'


def test_random_command_lines_are_read_as_click_reads_them_or_left_to_it(monkeypatch):
    """Whatever mix of options, values and paths: the quick reading either gives exactly what click
    gives, or leaves the command line to click."""
    import random

    monkeypatch.chdir(ROOT)
    words = [opt for row in check_args.PARAMS for opt in row[1]] + [
        "fixtures", "fixtures/seed_bl653_dvk", "fixtures/README.md", "nowhere", "", "-", "--", "-h", "--help",
        "json", "text:t.txt", "release", "Release", "write", "use", "b.json", "0", "3", "-1", "x", "DFU2", "warning",
        "fatal", "always", "never", "auto", "concise", "shared", "-qj2", "-j2", "-bboard", "-fjson", "--jobs=2",
        "--color=never", "--board=a", "--quiet=1", "--add-ignore=why", "--baseline=use", "--prof", "-Z"]
    rng = random.Random(20240601)
    taken = 0
    for _ in range(2000):
        args = [rng.choice(words) for _ in range(rng.randint(0, 6))]
        mine = check_args.parse(args)
        if mine is not None:
            taken += 1
            assert mine == _click_params(args), args
    assert taken > 200
