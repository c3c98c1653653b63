"""Where a check of one app avoids compiling a regular expression (a string method, or a pattern
compiled only when an input needs it), the answer is the one the pattern gives: each rewrite is
compared with the pattern it stands for, over the cases that matter and over generated names."""
import random
import re

import pytest

from dfulint import knowledge
from dfulint.context import boards
from dfulint.model import chain, devicetree, project
from dfulint.sources import dts, kconf, pm

SEED = 20240601


def _names(alphabet: list, count: int = 20000, longest: int = 7) -> list:
    rnd = random.Random(SEED)
    return ["".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, longest))) for _ in range(count)]


def test_sysbuild_fragment_names():
    rx = re.compile(r"(^|.*[._-])sysbuild([_-].*)?\.conf$")
    named = ["sysbuild.conf", "sysbuild_tfm.conf", "kmu.sysbuild.conf", "app-sysbuild-debug.conf", "prj.conf",
             "sysbuildx.conf", "mysysbuild.conf", "sysbuild.conf.conf", "sysbuild_.conf", "a\nsysbuild.conf",
             "sysbuild.conf\n"]
    for name in named + _names(["sysbuild", "sys", "build", ".", "_", "-", "a", "conf", ".conf", "\n"]):
        assert project.is_sysbuild_conf(name) == bool(rx.match(name)), repr(name)
    assert project.is_sysbuild_conf("kmu.sysbuild.conf") and not project.is_sysbuild_conf("prj_sysbuildish.conf")


def test_byte_arrays_in_tables():
    rx = re.compile(r"[0-9a-fA-F]{2}(?:\s+[0-9a-fA-F]{2})+")
    named = ["c2 28 17", "c2", "c2 2", "C2\t28\n17", " c2 28 ", "c2  28", "g2 28", "c2 28 17 ", "\u00a0c2\u200928",
             "c228", "", "0x c2"]
    for text in named + _names(["c2", "2", "g", " ", "\t", "\u00a0", "AF", "x", "0"], longest=5):
        assert devicetree._hex_bytes(text) == bool(rx.fullmatch(text.strip())), repr(text)


def test_soc_devicetree_includes():
    rx = re.compile(r"^nordic/nrf[0-9a-z_]+\.dtsi$")
    named = ["nordic/nrf52840_qiaa.dtsi", "nordic/nrf.dtsi", "nordic/nrf5340_cpuapp_qkaa.dtsi", "nordic/nrfX.dtsi",
             "nordic/nrf5.dts", "arm/nordic/nrf5.dtsi", "nordic/nrf5-1.dtsi", "nordic/nrf.dtsi.dtsi"]
    for name in named + ["nordic/nrf" + n for n in _names(["5", "a", "_", "A", ".", "-", ".dtsi", "/"])]:
        assert chain._soc_include(name) == bool(rx.match(name)), repr(name)


def test_soc_package_codes():
    rx = re.compile(r"^[a-z]{4}$")
    # (tokens are split at "_" from a stripped include name, or at every non-alphanumeric character)
    named = ["qiaa", "QIAA", "qia", "qiaaa", "qi4a", "q\u00e9aa", "\u0131iaa", "\u212aiaa"]
    for tok in named + _names(["q", "i", "a", "A", "1", "\u00e9", "\u0131"], longest=5):
        assert knowledge._is_package(tok) == bool(rx.match(tok)), repr(tok)
    assert knowledge.soc_for_dts_include("<nordic/nrf52840_qiaa.dtsi>").name == "nrf52840"
    assert knowledge.soc_for_dts_include("<nordic/nrf52840_qiaa1.dtsi>") is None


def test_other_core_names():
    rx = re.compile(r"_(cpunet|cpurad|cpuppr|cpuflpr)(?=_|$)")
    named = ["nrf5340dk_nrf5340_cpunet", "nrf5340dk_nrf5340_cpuapp", "x_cpunet_cpurad", "x_cpunetx", "x_cpurad_ns",
             "bl5340_dvk_cpunet\n"]
    for name in named + _names(["_cpunet", "_cpurad", "_cpuppr", "_cpuflpr", "_cpu", "x", "_", "\n"], longest=4):
        want = rx.sub("_cpuapp", name, count=1) if rx.search(name) else None
        assert boards._app_core_of(name) == want, repr(name)


def test_fragment_lines_split_as_kconfiglib_reads_them():
    rx = re.compile(r"\r\n|\r|\n")
    for text in ["a\nb", "a\r\nb", "a\rb", "a\r\r\nb", "a\n\rb", "", "\n", "a\x0cb\u2028c\x85d", "a\r"] + \
            _names(["a", "\r", "\n", "\r\n", "\x0c", "\u2028"]):
        assert kconf._lines(text) == rx.split(text), repr(text)


def test_line_starts_of_devicetree_files(tmp_path):
    for src in [b"", b"a", b"a\n", b"\n\n", b"a\r\nb\nc", b"/ {\n};\n"]:
        ctx = dts._FileCtx(tmp_path / "x.dts", src, False)
        assert ctx.line_starts == [0] + [m.end() for m in re.finditer(rb"\n", src)]


@pytest.mark.parametrize("value,error", [
    ('status = okay;', "'okay' is not a value"),        # a lower-case word: a string without quotes
    ('status = OKAY;', None),                           # an upper-case word: a macro dfulint does not know
    ('reg = <FOO_1>;', None),
    ('x = /incbin/("a.bin");', None),
    ("x = <'a' 'b'>;", None),
])
def test_devicetree_value_words(tmp_path, value, error):
    p = tmp_path / "app.overlay"
    p.write_text("/ {\n\tnode {\n\t\t" + value + "\n\t};\n};\n")
    got = dts.parse_dts(p)
    messages = [pr.message for pr in got.problems]
    if error is None:
        assert not [m for m in messages if "is not a value" in m or "unexpected" in m], messages
    else:
        assert any(error in m for m in messages), messages


def test_pm_static_flow_depth():
    for text in ["a: 1\n", "a: [1, [2]]\n", "{a: {b: [c]}}", "]]][[", "'[' \"{\"", ""]:
        depth = deepest = 0
        for c in re.sub(r"[^\[\]{}]+", "", text):
            if c in "[{":
                depth += 1
                deepest = max(deepest, depth)
            elif depth:
                depth -= 1
        assert pm.flow_depth_bound(text) == deepest


def test_board_revisions_and_names():
    assert knowledge.split_board("nrf9160dk@0.14.0/nrf9160/ns") == ("nrf9160dk", "0.14.0", "nrf9160/ns")
    assert knowledge.split_board("nrf9160dk_nrf9160_ns@0.14") == ("nrf9160dk_nrf9160_ns", "0.14.0", "")
    assert knowledge.split_board("nrf52840dk/nrf52840") == ("nrf52840dk", "", "nrf52840")
    assert knowledge.split_board("x@") == ("x@", "", "")
    assert knowledge._rev_key("1.2_3") == ((0, 1, ""), (0, 2, ""), (0, 3, ""))
    assert knowledge._rev_key("0.14.a") == ((0, 0, ""), (0, 14, ""), (1, 0, "a"))
    assert knowledge.soc_for_name_hint("my_board_nrf5340_cpunet").name == "nrf5340_cpunet"
    assert knowledge.soc_for_name_hint("plain_board") is None


def test_cmake_boards_and_find_package(tmp_path):
    from dfulint.context.folders import is_app_dir

    app = tmp_path / "app"
    app.mkdir()
    (app / "CMakeLists.txt").write_text("cmake_minimum_required(VERSION 3.20)\nSET( board nrf52840dk_nrf52840 )\n"
                                        "find_package(Zephyr REQUIRED)\n")
    assert boards._cmake_board(app)[0] == "nrf52840dk_nrf52840"
    assert is_app_dir(app, {"CMakeLists.txt"})
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "CMakeLists.txt").write_text("# the board is set by the app\nzephyr_library()\n")
    assert boards._cmake_board(lib) is None
    assert not is_app_dir(lib, {"CMakeLists.txt"})


def test_pyproject_lines_that_can_hold_a_dfulint_table():
    from dfulint import config

    table = re.compile(rb"""^[ \t]*(?:\[[ \t]*)?["']?tool["']?[ \t]*\.[ \t]*["']?dfulint\b""")
    alone = re.compile(rb"""^[ \t]*(?:\[[ \t]*["']?tool["']?[ \t]*\]|["']?tool["']?[ \t]*=)""")
    named = [b"[tool.dfulint]", b" [ 'tool' . \"dfulint\" ]", b"tool.dfulint.select = []", b"[tool]", b"tool = {",
             b"[tool.dfulintx]", b"[tool.dfulint-x]", b"[tools]", b"# [tool.dfulint]", b"[tool.ruff]", b"tool.x = 1"]
    for line in named + [n.encode("latin-1") for n in _names(["[", "]", " ", "\t", "tool", ".", "dfulint", '"', "'",
                                                              "=", "x", "_", "-", "\xe9"], longest=9)]:
        assert config._names_tool_table(line) == bool(table.match(line) or alone.match(line)), line


def test_west_project_urls_without_git_suffix():
    from dfulint.context import sdk

    for url in ["https://github.com/nrfconnect/sdk-nrf.git", "https://x/sdk-nrf/", "a.git//", "a/.git", "a.git\n",
                "a.git\n\n", "\n"] + _names(["a", ".git", "/", "\n", ".", "git"]):
        assert sdk._without_git_suffix(url) == re.sub(r"(\.git)?/*$", "", url), repr(url)


def test_file_suffix_names():
    from dfulint import workspace

    rx = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
    assert workspace.SUFFIX_NAME.pattern == rx.pattern
    assert workspace.SUFFIX_NAME.fullmatch("release") and not workspace.SUFFIX_NAME.fullmatch("a/b")
    with pytest.raises(AttributeError):
        workspace.NO_SUCH_NAME
