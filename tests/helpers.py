"""Small helpers shared by the rule tests."""
from __future__ import annotations

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
