"""Small helpers shared by the rule tests."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

# the whole MCUmgr image-management chain over Bluetooth, as an app's prj.conf writes it
MCUMGR_BT_CHAIN = """\
CONFIG_BOOTLOADER_MCUBOOT=y
CONFIG_BT=y
CONFIG_BT_PERIPHERAL=y
CONFIG_BT_SMP=y
CONFIG_MCUMGR=y
CONFIG_NET_BUF=y
CONFIG_ZCBOR=y
CONFIG_FLASH=y
CONFIG_FLASH_MAP=y
CONFIG_STREAM_FLASH=y
CONFIG_IMG_MANAGER=y
CONFIG_MCUMGR_GRP_IMG=y
CONFIG_MCUMGR_TRANSPORT_BT=y
"""

CMAKE = ("cmake_minimum_required(VERSION 3.20.0)\n"
         "find_package(Zephyr REQUIRED HINTS $ENV{ZEPHYR_BASE})\nproject(t)\n")


def write_tree(root: Path, files: dict, git: bool = True) -> Path:
    """Write files (relative path -> text or bytes) under root. A `.git` folder marks the top of a
    repository, so that nothing above the test's folder (a west.yml, a config file) is looked at."""
    root.mkdir(parents=True, exist_ok=True)
    if git:
        (root / ".git").mkdir(exist_ok=True)
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            p.write_bytes(text)
        else:
            p.write_text(text)
    return root


def make_app(root: Path, files: dict, git: bool = False) -> Path:
    """An app folder: a Zephyr CMakeLists.txt (unless `files` has its own) and the given files."""
    return write_tree(root, {"CMakeLists.txt": CMAKE, **files}, git)


def run_cli(args, cwd=None, env=None):
    """Run `dfulint ARGS` in-process (click's runner), from folder `cwd` when given."""
    import os

    from click.testing import CliRunner

    from dfulint.cli import cli

    old = os.getcwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        return CliRunner().invoke(cli, args, env=env, catch_exceptions=False)
    finally:
        os.chdir(old)


def stderr_of(res) -> str:
    """What a CLI run wrote to standard error (click < 8.2, on Python 3.9, mixes it into output)."""
    try:
        return res.stderr
    except ValueError:
        return res.output


# `dfulint check ARGS` as the command runs it (dfulint.__main__.entry), printing at the end which modules
# were imported (the entry point ends with os._exit, so the list is written from there)
_LIST_MODULES = r"""
import os, sys
import dfulint.__main__ as main
real = os._exit
def _exit(code):
    sys.stderr.write("MODULES " + " ".join(sorted(sys.modules)) + "\n")
    sys.stderr.flush()
    real(code)
os._exit = _exit
sys.argv = ["dfulint", "check", *sys.argv[1:]]
main.entry()
"""


def check_modules(*args, **env) -> tuple:
    """(the finished process, the set of modules it imported) of `dfulint check ARGS` run from this
    checkout, with `env` added to the environment."""
    root = Path(__file__).resolve().parent.parent
    p = subprocess.run([sys.executable, "-c", _LIST_MODULES, *map(str, args)], capture_output=True, text=True,
                       cwd=root, env=dict(os.environ, PYTHONPATH=str(root), **env))
    lines = [x for x in p.stderr.splitlines() if x.startswith("MODULES ")]
    assert lines, p.stderr
    return p, set(lines[-1].split()[1:])
