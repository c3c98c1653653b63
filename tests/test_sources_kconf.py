"""Kconfig fragment reader (sources/kconf.py): every line kind of research/semantics.md §6.2,
hostile files, and agreement with Kconfiglib itself on what is an assignment and what is not."""
from __future__ import annotations

import re
from pathlib import Path

import kconfiglib
import pytest

from dfulint.sources import MAX_FILE_BYTES
from dfulint.sources.kconf import guess_type, interpret, parse_fragment


def write(tmp_path: Path, data, name: str = "prj.conf") -> Path:
    p = tmp_path / name
    if isinstance(data, str):
        p.write_bytes(data.encode("utf-8"))
    else:
        p.write_bytes(data)
    return p


def frag_of(tmp_path: Path, data, name: str = "prj.conf", prefix: str = "CONFIG_"):
    return parse_fragment(write(tmp_path, data, name), prefix)


def malformed_lines(frag) -> list[int]:
    return [p.span.line for p in frag.problems if p.kind == "malformed-line"]


# ------------------------------------------------------------------ one line at a time

def test_plain_assignments_keep_raw_value_and_value_column(tmp_path):
    f = frag_of(tmp_path, 'CONFIG_BT=y\nCONFIG_BT_DEVICE_NAME="BL653 DFU"\nCONFIG_MAIN_STACK_SIZE=10240\n'
                          "CONFIG_PM_PARTITION_SIZE_MCUBOOT=0xC000\n")
    assert [(a.name, a.raw) for a in f.assignments] == [
        ("BT", "y"), ("BT_DEVICE_NAME", '"BL653 DFU"'), ("MAIN_STACK_SIZE", "10240"),
        ("PM_PARTITION_SIZE_MCUBOOT", "0xC000")]
    a = f.assignments[2]
    assert (a.span.line, a.span.col) == (3, len("CONFIG_MAIN_STACK_SIZE=") + 1)
    assert (a.line_span.line, a.line_span.col) == (3, 1)
    assert a.full_name == "CONFIG_MAIN_STACK_SIZE"
    assert f.problems == [] and f.readable


@pytest.mark.parametrize("line, value, comment", [
    ("CONFIG_LOG_MODE_MINIMAL=y # former CONFIG_MODE_MINIMAL", "y", "# former CONFIG_MODE_MINIMAL"),
    ("CONFIG_MAIN_STACK_SIZE=4096 # bigger", "4096", "# bigger"),
    ("CONFIG_PM_PARTITION_SIZE_MCUBOOT=0x10000\t# 64 KiB", "0x10000", "# 64 KiB"),
    ('CONFIG_BT_DEVICE_NAME="dfu" # name', '"dfu"', "# name"),
    ('CONFIG_BT_DEVICE_NAME="a # b"', '"a # b"', None),             # '#' inside the quotes
    ('CONFIG_BT_DEVICE_NAME="a \\" # b"', '"a \\" # b"', None),      # escaped quote
    ("CONFIG_X=abc # c", "abc", "# c"),                               # unquoted string
    ("CONFIG_X=y#c", "y#c", None),                                    # no blank before '#'
    ("CONFIG_X=# only a comment", "", "# only a comment"),
])
def test_inline_comment_after_each_value_kind(tmp_path, line, value, comment):
    (a,) = frag_of(tmp_path, line + "\n").assignments
    assert a.inline_comment == comment
    assert a.value_without_comment == value
    assert a.raw == line.split("=", 1)[1]          # Kconfig sees the whole text


def test_spaces_around_equals_name_a_different_symbol(tmp_path):
    (a,) = frag_of(tmp_path, "CONFIG_BOOT_MAX_IMG_SECTORS = 256\n").assignments
    assert a.symbol == "BOOT_MAX_IMG_SECTORS "     # what Kconfiglib looks up
    assert a.name == "BOOT_MAX_IMG_SECTORS"
    assert a.raw == " 256"
    assert a.value_without_comment == "256"


def test_tab_before_equals_is_part_of_the_name(tmp_path):
    (a,) = frag_of(tmp_path, "CONFIG_SPI\t=y\n").assignments
    assert a.symbol == "SPI\t" and a.name == "SPI"


@pytest.mark.parametrize("line, why, fix", [
    ("  CONFIG_SPI_NOR=y", "leading whitespace", "`CONFIG_SPI_NOR=y`"),
    ("\tCONFIG_SPI_NOR=y", "leading whitespace", "`CONFIG_SPI_NOR=y`"),
    ("config_spi_nor=y", "capitals", "`CONFIG_SPI_NOR=y`"),
    ("Config_SPI_NOR=y", "capitals", "`CONFIG_SPI_NOR=y`"),
    ("SPI_NOR=y", "lacks the CONFIG_ prefix", "`CONFIG_SPI_NOR=y`"),
    ("CONFIG_SPI_NOR", "no '='", "`CONFIG_SPI_NOR=value`"),
    ("just words", "neither an assignment nor a comment", "comment"),
])
def test_malformed_lines_are_problems_and_not_assignments(tmp_path, line, why, fix):
    f = frag_of(tmp_path, "CONFIG_BT=y\n" + line + "\n")
    assert [a.name for a in f.assignments] == ["BT"]
    (p,) = f.problems
    assert p.kind == "malformed-line"
    assert p.span.line == 2
    assert p.span.col == len(line) - len(line.lstrip()) + 1
    assert why in p.message
    assert "Aborting due to Kconfig warnings" in p.message
    assert fix in p.fix


def test_is_not_set_lines(tmp_path):
    f = frag_of(tmp_path, "# CONFIG_BT_LBS is not set\n#CONFIG_SPI is not set\n"
                          "# CONFIG_NVS is not set # trailing words\n  # CONFIG_FLASH is not set\n")
    # only the exact '# CONFIG_X is not set' form unsets; the others are comments
    assert [(a.name, a.unset, a.raw, a.span.line) for a in f.assignments] == [
        ("BT_LBS", True, "n", 1), ("NVS", True, "n", 3)]
    assert f.problems == []
    assert f.assignments[0].inline_comment is None
    assert f.assignments[0].value_without_comment == "n"


def test_comments_blank_lines_and_trailing_whitespace(tmp_path):
    f = frag_of(tmp_path, "# a comment\n\n   \n   # indented comment\nCONFIG_BT=y   \t\n")
    assert [(a.name, a.raw) for a in f.assignments] == [("BT", "y")]
    assert f.problems == []


def test_unterminated_string_is_kept_raw(tmp_path):
    (a,) = frag_of(tmp_path, 'CONFIG_BT_DEVICE_NAME="BL653 DFU\n').assignments
    assert a.raw == '"BL653 DFU'
    assert interpret(a.raw, "string")[1] is not None


def test_empty_value(tmp_path):
    (a,) = frag_of(tmp_path, "CONFIG_MAIN_STACK_SIZE=\n").assignments
    assert a.raw == "" and a.value_without_comment == ""
    for typ in ("bool", "int", "hex", "string"):
        assert interpret("", typ)[1] is not None, typ


def test_sysbuild_prefix(tmp_path):
    f = frag_of(tmp_path, "SB_CONFIG_BOOTLOADER_MCUBOOT=y\n# SB_CONFIG_PARTITION_MANAGER is not set\n"
                          "CONFIG_BOOT_MAX_IMG_SECTORS=256\n", "sysbuild.conf", "SB_CONFIG_")
    assert [(a.full_name, a.unset) for a in f.assignments] == [
        ("SB_CONFIG_BOOTLOADER_MCUBOOT", False), ("SB_CONFIG_PARTITION_MANAGER", True)]
    (p,) = f.problems
    assert p.span.line == 3 and "SB_CONFIG_" in p.message
    assert "prj.conf" in p.fix and "SB_CONFIG_BOOT_MAX_IMG_SECTORS=256" in p.fix


def test_a_file_of_sb_config_lines_is_marked_as_a_sysbuild_fragment(tmp_path):
    f = frag_of(tmp_path, "# KMU keys\nSB_CONFIG_MCUBOOT_SIGNATURE_USING_KMU=y\n# SB_CONFIG_X is not set\n",
                "kmu.sysbuild.conf")
    assert f.sysbuild_like
    assert f.assignments == [] and malformed_lines(f) == [2]       # the prefix asked for is kept
    sb = parse_fragment(tmp_path / "kmu.sysbuild.conf", "SB_CONFIG_")
    assert [a.full_name for a in sb.assignments] == ["SB_CONFIG_MCUBOOT_SIGNATURE_USING_KMU", "SB_CONFIG_X"]
    assert not sb.sysbuild_like
    # one stray SB_CONFIG_ line among image settings is a mistake, not a sysbuild fragment
    f = frag_of(tmp_path, "CONFIG_BT=y\nSB_CONFIG_BOOTLOADER_MCUBOOT=y\n", "prj2.conf")
    assert not f.sysbuild_like and malformed_lines(f) == [2]
    f = frag_of(tmp_path, "SB_CONFIG_BOOTLOADER_MCUBOOT=y\nBT=y\n", "prj3.conf")
    assert not f.sysbuild_like


def test_get_returns_the_last_assignment(tmp_path):
    f = frag_of(tmp_path, "CONFIG_SYSTEM_WORKQUEUE_STACK_SIZE=2048\nCONFIG_BT=y\n"
                          "CONFIG_SYSTEM_WORKQUEUE_STACK_SIZE=4096\n")
    assert f.get("SYSTEM_WORKQUEUE_STACK_SIZE").raw == "4096"
    assert f.get("SYSTEM_WORKQUEUE_STACK_SIZE").span.line == 3
    assert f.get("NVS") is None


# ------------------------------------------------------------------ line endings and encodings

def test_crlf_line_endings(tmp_path):
    f = frag_of(tmp_path, b"CONFIG_BT=y\r\nCONFIG_MAIN_STACK_SIZE=4096 # c\r\n# CONFIG_NVS is not set\r\n")
    assert [(a.name, a.raw, a.span.line) for a in f.assignments] == [
        ("BT", "y", 1), ("MAIN_STACK_SIZE", "4096 # c", 2), ("NVS", "n", 3)]
    assert f.assignments[1].inline_comment == "# c"


def test_lone_cr_ends_a_line_but_form_feed_does_not(tmp_path):
    # Python's text mode (which Kconfiglib reads with) ends lines at \r too, but not at \f or U+2028
    f = frag_of(tmp_path, "CONFIG_A=y\rCONFIG_B=y\nCONFIG_C=y\x0cCONFIG_D=y\nCONFIG_E=y\u2028x\nCONFIG_F=y\n")
    assert [(a.name, a.span.line) for a in f.assignments] == [
        ("A", 1), ("B", 2), ("C", 3), ("E", 4), ("F", 5)]
    assert f.get("C").raw == "y\x0cCONFIG_D=y"


def test_byte_order_mark_spoils_the_first_line(tmp_path):
    f = frag_of(tmp_path, b"\xef\xbb\xbfCONFIG_BT=y\nCONFIG_SPI=y\n")
    assert [a.name for a in f.assignments] == ["SPI"]
    (p,) = f.problems
    assert (p.kind, p.span.line) == ("malformed-line", 1)
    assert "byte-order mark" in p.message and "without a byte-order mark" in p.fix


def test_byte_order_mark_before_a_comment_is_still_malformed(tmp_path):
    f = frag_of(tmp_path, b"\xef\xbb\xbf# MCUboot\nCONFIG_SPI=y\n")
    assert malformed_lines(f) == [1]


def test_empty_file(tmp_path):
    f = frag_of(tmp_path, b"")
    assert f.assignments == [] and f.problems == [] and f.readable


def test_binary_file(tmp_path):
    f = frag_of(tmp_path, b"CONFIG_BT=y\n\x7fELF\x02\x01\x00\x00")
    assert not f.readable and f.assignments == []
    (p,) = f.problems
    assert p.kind == "binary" and p.span.line == 2


def test_invalid_utf8_names_line_and_column(tmp_path):
    f = frag_of(tmp_path, b'CONFIG_BT=y\nCONFIG_BT_DEVICE_NAME="Caf\xe9"\n')
    assert not f.readable
    (p,) = f.problems
    assert p.kind == "encoding"
    assert (p.span.line, p.span.col) == (2, len('CONFIG_BT_DEVICE_NAME="Caf') + 1)
    assert "0xe9" in p.message and "UTF-8" in p.fix


def test_huge_file_is_not_read(tmp_path):
    p = tmp_path / "prj.conf"
    with open(p, "wb") as fh:
        fh.write(b"CONFIG_BT=y\n" * (MAX_FILE_BYTES // 12 + 10))
    f = parse_fragment(p)
    assert not f.readable and f.assignments == []
    assert f.problems[0].kind == "too-large"


def test_missing_and_directory_paths_are_unreadable(tmp_path):
    (tmp_path / "dir.conf").mkdir()
    for path in (tmp_path / "missing.conf", tmp_path / "dir.conf"):
        f = parse_fragment(path)
        assert not f.readable
        assert f.problems[0].kind == "unreadable"


def test_very_long_line_is_read_whole(tmp_path):
    value = "x" * 200_000
    (a,) = frag_of(tmp_path, f'CONFIG_BT_DEVICE_NAME="{value}"\n').assignments
    assert a.raw == f'"{value}"'


# ------------------------------------------------------------------ interpreting values

@pytest.mark.parametrize("raw, typ, value, ok", [
    ("y", "bool", "y", True), ("n", "bool", "n", True), ("yes", "bool", "y", True),
    ("y # c", "bool", "y", True), ("nonsense", "bool", "n", True), ('"y"', "bool", None, False),
    ("", "bool", None, False), ("m", "tristate", "m", True),
    ("4096", "int", 4096, True), ("-1", "int", -1, True), ("4096 # c", "int", None, False),
    ("0x1000", "int", None, False),
    ("0x1000", "hex", 0x1000, True), ("0X1000", "hex", 0x1000, True), ("1000", "hex", 0x1000, True),
    ("-0x10", "hex", None, False), ("0x1000 # c", "hex", None, False),
    ('"abc"', "string", "abc", True), ('"a\\"b"', "string", 'a"b', True), ('"abc" # c', "string", "abc", True),
    ("abc", "string", None, False), ('"abc', "string", None, False),
])
def test_interpret_matches_kconfiglib_rules(raw, typ, value, ok):
    got, err = interpret(raw, typ)
    assert (err is None) == ok
    if ok:
        assert got == value


@pytest.mark.parametrize("raw, typ", [
    ("y", "bool"), ("n # c", "bool"), ('"x"', "string"), ("0x10", "hex"), ("0XAB", "hex"),
    ("12", "int"), ("-3", "int"), ("", "unknown"), ("abc", "unknown"),
])
def test_guess_type(raw, typ):
    assert guess_type(raw) == typ


# ------------------------------------------------------------------ agreement with Kconfiglib

HOSTILE_LINES = [
    "CONFIG_A=y", "CONFIG_B=y # c", "CONFIG_C=4096 # c", "CONFIG_D = y", "CONFIG_E\t=y",
    "  CONFIG_F=y", "\tCONFIG_G=y", "config_h=y", "I=y", "# CONFIG_J is not set", "#CONFIG_K is not set",
    "# CONFIG_L is not set # x", '# CONFIG_M  is not set', 'CONFIG_N="unterminated', "CONFIG_O=",
    "CONFIG_P", "CONFIG_=y", "CONFIG_Q==y", "CONFIG_R=a=b", "   ", "# comment", "   # comment",
    "CONFIG_S=y\x0cCONFIG_T=y", "CONFIG_U=\u00e9", "CONFIG_V=y\u2028", "CONFIG_\u00dcML=y", "=y",
    "CONFIG_W=y\r", "CONFIG_X=y\rCONFIG_Y=n",
]


def kconfiglib_view(path: Path) -> tuple[dict, list]:
    """(line -> (symbol, value)) of every assignment Kconfiglib accepts, and malformed line numbers."""
    kconfig = path.parent / "Kconfig"
    kconfig.write_text("mainmenu \"empty\"\n")
    k = kconfiglib.Kconfig(str(kconfig), warn_to_stderr=False)
    k.warn_assign_undef = True
    k.load_config(str(path))
    assigned, malformed = {}, []
    for w in k.warnings:
        m = re.match(r".*?:(\d+): warning: (.*)", w, re.S)
        line, text = int(m.group(1)), m.group(2)
        if text.startswith("ignoring malformed line"):
            malformed.append(line)
        else:
            m2 = re.match(r"attempt to assign the value '(.*)' to the undefined symbol (.*)", text, re.S)
            assigned[line] = (m2.group(2), m2.group(1))
    return assigned, malformed


@pytest.mark.parametrize("bom", [False, True])
def test_reader_agrees_with_kconfiglib_on_hostile_lines(tmp_path, bom):
    data = ("\n".join(HOSTILE_LINES) + "\n").encode("utf-8")
    path = write(tmp_path, (b"\xef\xbb\xbf" if bom else b"") + data)
    assigned, malformed = kconfiglib_view(path)
    frag = parse_fragment(path)
    ours = {a.span.line: (a.symbol, a.raw) for a in frag.assignments}
    assert ours == assigned
    assert malformed_lines(frag) == malformed


def test_reader_agrees_with_kconfiglib_on_crlf(tmp_path):
    path = write(tmp_path, "\r\n".join(HOSTILE_LINES).encode("utf-8") + b"\r\n")
    assigned, malformed = kconfiglib_view(path)
    frag = parse_fragment(path)
    assert {a.span.line: (a.symbol, a.raw) for a in frag.assignments} == assigned
    assert malformed_lines(frag) == malformed
