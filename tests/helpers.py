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
