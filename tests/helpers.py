"""Small helpers shared by the rule tests."""
from __future__ import annotations

from pathlib import Path

CMAKE = ("cmake_minimum_required(VERSION 3.20.0)\n"
         "find_package(Zephyr REQUIRED HINTS $ENV{ZEPHYR_BASE})\nproject(t)\n")


def make_app(root: Path, files: dict) -> Path:
    """Write an app folder: the given files (relative path -> text) and a Zephyr CMakeLists.txt."""
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    (root / "CMakeLists.txt").write_text(CMAKE)
    return root


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
