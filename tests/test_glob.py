"""Globs of per-path-ignores: matched without backtracking, bad character classes refused."""
from __future__ import annotations

import random
import re

import pytest

from dfulint import glob
from tests.helpers import write_tree


def _regex(pattern: str) -> re.Pattern:
    """The reference: the same glob as a (backtracking) regex, fine for small inputs."""
    p = pattern.strip()
    while p.startswith("./"):
        p = p[2:]
    p = p.lstrip("/")
    out, i = [], 0
    while i < len(p):
        if p.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif p.startswith("**", i):
            out.append(".*")
            i += 2
        elif p[i] == "*":
            out.append("[^/]*")
            i += 1
        elif p[i] == "?":
            out.append("[^/]")
            i += 1
        elif p[i] == "[" and "]" in p[i + 2:]:
            j = p.index("]", i + 2)
            body = p[i + 1:j]
            out.append("(?!/)[" + ("^" + body[1:] if body[:1] in "!^" else body) + "]")
            i = j + 1
        else:
            out.append(re.escape(p[i]))
            i += 1
    if p.endswith("/"):
        out.append(".*")
    return re.compile("".join(out))


@pytest.mark.parametrize("pattern,path,want", [
    ("boards/**/*.conf", "boards/a/b/x.conf", True),
    ("boards/**/*.conf", "boards/x.conf", True),
    ("boards/**/*.conf", "other/x.conf", False),
    ("*.overlay", "app.overlay", True),
    ("*.overlay", "boards/app.overlay", False),
    ("child_image/", "child_image/mcuboot.conf", True),
    ("[!a-c]*.conf", "prj.conf", True),
    ("[!a-c]*.conf", "app.conf", False),
    ("pm_static_?.yml", "pm_static_1.yml", True),
    ("**", "a/b/c", True),
    ("a[b", "a[b", True),
])
def test_globs_match_like_gitignore(pattern, path, want):
    assert glob.match(pattern, path) is want


def test_random_globs_agree_with_the_reference():
    rng = random.Random(7)
    parts = ["a", "b", "/", "*", "**", "**/", "?", ".conf", "[ab]", "[!a]"]
    for _ in range(3000):
        pat = "".join(rng.choice(parts) for _ in range(rng.randrange(1, 7)))
        path = "".join(rng.choice("ab/.c") for _ in range(rng.randrange(0, 9)))
        assert glob.match(pat, path) == bool(_regex(pat).fullmatch(path)), (pat, path)


def test_many_double_stars_do_not_backtrack():
    pattern = "**/" * 30 + "*a" * 30 + "**" * 30 + "b"
    path = "a/" * 200 + "a" * 500
    assert glob.match(pattern, path) is False       # a regex engine needs exponential time here


@pytest.mark.parametrize("bad", ["[z-a].conf", "boards/[9-0]*.conf", "x" * 2000])
def test_a_bad_glob_is_refused(bad):
    with pytest.raises(glob.GlobError):
        glob.compile_glob(bad)


def test_a_bad_character_class_in_the_configuration_is_a_usage_error(tmp_path):
    from tests.helpers import run_cli

    app = write_tree(tmp_path / "app", {"prj.conf": "CONFIG_BT=y\n", ".dfulint.toml":
                                        '[per-path-ignores]\n"boards/[z-a]*.conf" = ["DFU401"]\n'})
    res = run_cli(["check", str(app)])
    assert res.exit_code == 2
    assert ".dfulint.toml:2" in res.output and "reversed" in res.output and "Traceback" not in res.output
