"""Which folders are Zephyr or NCS applications (the one test the app search and the context
stage share)."""
from __future__ import annotations

import re
from pathlib import Path

from dfulint.sources import read_text

_FIND_PACKAGE = r"find_package\s*\(\s*(Zephyr|NCS)\b"


def is_app_dir(d: Path, names: set[str]) -> bool:
    """`d` (whose file names are `names`) is an application: it has a prj.conf, or a CMakeLists.txt
    that finds the Zephyr or NCS package."""
    if "prj.conf" in names:
        return True
    if "CMakeLists.txt" in names:
        t = read_text(d / "CMakeLists.txt").text or ""
        if "find_package" in t and re.search(_FIND_PACKAGE, t):
            return True
    return False
