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
