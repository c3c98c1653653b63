"""Partition Manager YAML reader (sources/pm.py): values with places, what safe_load hides, and
hostile files that must stay fast, bounded and never crash the process."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from dfulint.sources import MAX_FILE_BYTES
from dfulint.sources.pm import load_yaml, nesting_bound, parse_pm

SEED_PM = (Path(__file__).resolve().parent.parent / "fixtures" / "seed_bl653_dvk" / "pm_static.yml").read_text()


def pm_of(tmp_path: Path, data, name: str = "pm_static.yml"):
    p = tmp_path / name
    p.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return parse_pm(p)


def kinds(pm) -> list[tuple[str, int]]:
    return [(p.kind, p.span.line) for p in pm.problems]


def test_seed_file_values_and_places(tmp_path):
    pm = pm_of(tmp_path, SEED_PM)
    assert pm.readable and pm.problems == []
    assert list(pm.partitions) == ["external_flash", "mcuboot_secondary"]
    sec = pm.partitions["mcuboot_secondary"]
    assert (sec.int("address"), sec.int("size"), sec.int("end_address")) == (0, 0x39000, 0x39000)
    assert sec.str("region") == "external_flash" and sec.str("device") == "IS25"
    assert (sec.span.line, sec.span.col) == (6, 1)
    assert (sec.at("size").line, sec.at("size").col) == (11, 9)
    assert sec.at("align").line == 6        # a missing key points at the partition name
    assert sec.int("region") is None and sec.str("size") is None


def test_span_lists_and_one_of(tmp_path):
    pm = pm_of(tmp_path, "mcuboot_primary:\n  span: [mcuboot_pad, app]\n  address: 0xc000\n  size: 0x70000\n"
                         "app:\n  span: app_image\n"
                         "tfm:\n  span:\n    one_of: [tfm_secure, tfm_nonsecure]\n")
    assert pm.partitions["mcuboot_primary"].names("span") == ["mcuboot_pad", "app"]
    assert pm.partitions["app"].names("span") == ["app_image"]
    assert pm.partitions["tfm"].names("span") == ["tfm_secure", "tfm_nonsecure"]
    assert pm.partitions["app"].names("share_size") == []


def test_empty_and_comment_only_files(tmp_path):
    for data in ("", "# nothing pinned yet\n", "\n\n"):
        pm = pm_of(tmp_path, data)
        assert pm.readable and pm.partitions == {} and pm.problems == []


# ------------------------------------------------------------------ what safe_load hides

def test_duplicate_partition_is_reported_and_the_later_one_kept(tmp_path):
    text = "mcuboot:\n  address: 0x0\n  size: 0xc000\nmcuboot:\n  address: 0x0\n  size: 0x10000\n"
    pm = pm_of(tmp_path, text)
    assert kinds(pm) == [("duplicate-key", 4)]
    assert "first at line 1" in pm.problems[0].message
    assert pm.partitions["mcuboot"].int("size") == 0x10000 == yaml.safe_load(text)["mcuboot"]["size"]


def test_duplicate_key_inside_a_partition(tmp_path):
    pm = pm_of(tmp_path, "mcuboot_primary:\n  address: 0xc000\n  size: 0x70000\n  size: 0x72000\n")
    assert kinds(pm) == [("duplicate-key", 4)]
    p = pm.problems[0]
    assert (p.span.col, "'size' twice" in p.message, "first at line 3" in p.message) == (3, True, True)
    assert pm.partitions["mcuboot_primary"].int("size") == 0x72000


@pytest.mark.parametrize("value, why, fixed", [
    ("0X10000", "not a YAML integer", "0x10000"),
    ('"0x10000"', "quoted", "0x10000"),
    ("'65536'", "quoted", "0x10000"),
    ("64k", "not a YAML integer", None),
    ("0x1_0000 # fine", None, None),         # underscores are YAML 1.1 integers
    ("65536", None, None),
    ("true", "not a YAML integer", None),
    ("[1, 2]", "not a YAML integer", None),
])
def test_numbers_partition_manager_cannot_use(tmp_path, value, why, fixed):
    pm = pm_of(tmp_path, f"mcuboot_secondary:\n  address: 0x0\n  size: {value}\n")
    if why is None:
        assert pm.problems == []
        assert pm.partitions["mcuboot_secondary"].int("size") == 0x10000
        return
    (p,) = pm.problems
    assert p.kind == "not-an-integer"
    assert (p.span.line, p.span.col) == (3, 9)
    assert why in p.message and "TypeError" in p.message
    if fixed:
        assert f"`size: {fixed}`" in p.fix
        # the value the user meant is still used, so later rules see the layout
        assert pm.partitions["mcuboot_secondary"].int("size") == 0x10000


def test_negative_numbers(tmp_path):
    pm = pm_of(tmp_path, "mcuboot:\n  address: -0x1000\n  size: 0xc000\n")
    assert kinds(pm) == [("not-an-integer", 2)]
    assert "negative" in pm.problems[0].message


def test_non_integer_keys_other_than_address_and_size_are_free(tmp_path):
    pm = pm_of(tmp_path, "settings_storage:\n  address: 0xf8000\n  size: 0x8000\n  region: flash_primary\n"
                         "  placement: {before: [end]}\n  align: {start: 0x1000}\n")
    assert pm.problems == []
    assert pm.partitions["settings_storage"].fields["align"].value == {"start": 0x1000}


# ------------------------------------------------------------------ structure and syntax

def test_syntax_error_names_its_line(tmp_path):
    pm = pm_of(tmp_path, "mcuboot:\n  address: 0x0\n  size: [0xc000\nmcuboot_pad:\n  size: 0x200\n")
    assert not pm.readable
    (p,) = pm.problems
    assert p.kind == "syntax" and p.span.line in (4, 5) and "YAML syntax error" in p.message


def test_tabs_for_indentation_are_a_syntax_error(tmp_path):
    pm = pm_of(tmp_path, "mcuboot:\n\taddress: 0x0\n\tsize: 0xc000\n")
    assert not pm.readable
    assert kinds(pm) == [("syntax", 2)]


def test_two_documents(tmp_path):
    pm = pm_of(tmp_path, "a:\n  size: 0x1000\n---\nb:\n  size: 0x1000\n")
    assert not pm.readable and pm.problems[0].kind == "syntax"


@pytest.mark.parametrize("text, line", [
    ("- mcuboot\n- app\n", 1),
    ("just a string\n", 1),
    ("mcuboot: 0xc000\n", 1),
    ("? [a, b]\n: {size: 1}\n", 1),
])
def test_wrong_structure(tmp_path, text, line):
    pm = pm_of(tmp_path, text)
    assert pm.problems and pm.problems[0].kind == "structure"
    assert pm.problems[0].span.line == line


def test_crlf_and_bom(tmp_path):
    pm = pm_of(tmp_path, b"\xef\xbb\xbf" + SEED_PM.replace("\n", "\r\n").encode())
    assert pm.problems == []
    assert pm.partitions["mcuboot_secondary"].int("size") == 0x39000
    assert pm.partitions["mcuboot_secondary"].span.line == 6


# ------------------------------------------------------------------ hostile files

def test_binary_invalid_utf8_and_huge(tmp_path):
    pm = pm_of(tmp_path, b"mcuboot:\n  size: 0x\x00\x00\n")
    assert (not pm.readable, kinds(pm)) == (True, [("binary", 2)])
    pm = pm_of(tmp_path, b"mcuboot:\n  device: \xff\xfe\n", "pm_static_b.yml")
    assert (not pm.readable, pm.problems[0].kind, pm.problems[0].span.line) == (True, "encoding", 2)
    big = tmp_path / "pm_static_big.yml"
    with open(big, "wb") as fh:
        fh.write(b"# padding\n" * (MAX_FILE_BYTES // 10 + 1))
    pm = parse_pm(big)
    assert not pm.readable and pm.problems[0].kind == "too-large"


def billion_laughs(levels: int = 12) -> str:
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels):
        lines.append(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]")
    lines.append(f"mcuboot_primary:\n  address: 0x0\n  size: 0x1000\n  span: *l{levels - 1}\n"
                 f"  placement: *l{levels - 1}\n  extra_params: *l{levels - 1}")
    return "\n".join(lines) + "\n"


def test_billion_laughs_stays_fast_and_small(tmp_path):
    pm = pm_of(tmp_path, billion_laughs())
    part = pm.partitions["mcuboot_primary"]
    assert part.int("size") == 0x1000
    # aliases are shared, never copied: the expansion would hold 9**12 strings

    def count(v, seen):
        if id(v) in seen or not isinstance(v, (list, dict)):
            return 0
        seen.add(id(v))
        items = v if isinstance(v, list) else list(v.values())
        return len(items) + sum(count(x, seen) for x in items)

    assert count(part.fields["span"].value, set()) < 5000
    assert {k for k, _ in kinds(pm)} == {"structure"}      # the l* entries are not partitions


def test_aliases_to_integers_are_fine(tmp_path):
    pm = pm_of(tmp_path, "mcuboot_primary:\n  address: 0xc000\n  size: &slot 0x70000\n"
                         "mcuboot_secondary:\n  address: 0x7c000\n  size: *slot\n")
    assert pm.problems == []
    assert pm.partitions["mcuboot_secondary"].int("size") == 0x70000


@pytest.mark.parametrize("text", [
    "x: " + "[" * 50_000 + "]" * 50_000 + "\n",
    "x: " + "{a: " * 30_000 + "1" + "}" * 30_000 + "\n",
    "- " * 100_000 + "x\n",
    "? " * 100_000 + "x\n",
    "".join("  " * i + f"k{i}:\n" for i in range(1500)) + "  " * 1500 + "v\n",
], ids=["flow-sequences", "flow-mappings", "block-sequences", "complex-keys", "indented-mappings"])
def test_deep_nesting_is_a_problem_not_a_crash(tmp_path, text):
    # libyaml's composer recurses in C and overflows the stack on these: run in a child process
    # so that a segmentation fault fails this test instead of killing the test run
    p = tmp_path / "pm_static.yml"
    p.write_text(text)
    code = ("import sys, time; from pathlib import Path; from dfulint.sources.pm import parse_pm\n"
            "pm = parse_pm(Path(sys.argv[1]))\n"
            "print(' '.join(p.kind for p in pm.problems[:3]))\n")
    res = subprocess.run([sys.executable, "-c", code, str(p)], capture_output=True, text=True, timeout=60,
                         cwd=Path(__file__).resolve().parent.parent)
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.split(), "deep nesting must be reported as a problem"


def test_nesting_bound_is_an_upper_bound(tmp_path):
    assert nesting_bound(SEED_PM) < 20
    assert nesting_bound("a: [[[[1]]]]\n") >= 5
    assert nesting_bound("- - - - - x\n") >= 5
    deep = "".join("  " * i + f"k{i}:\n" for i in range(300))
    assert nesting_bound(deep) >= 300


def test_load_yaml_never_raises():
    assert load_yaml("manifest: {projects: [{name: nrf, revision: v2.5.0}]}") == {
        "manifest": {"projects": [{"name": "nrf", "revision": "v2.5.0"}]}}
    assert load_yaml("a: [\n") is None
    assert load_yaml("!!python/object:os.system {}\n") is None      # never executes anything
    assert load_yaml("- " * 100_000 + "x\n") is None
    # an alias bomb is refused (a consumer printing or walking it would expand it)
    assert load_yaml(billion_laughs()) is None
    data = load_yaml("a: &a [1, 2]\nb: [*a, *a]\n")
    assert data["b"][0] is data["b"][1] and data["b"][0] == [1, 2]   # shared, not copied


def test_pyyamls_printable_check_is_compiled_only_when_used():
    """Importing PyYAML compiles a regex of every printable Unicode character, which dfulint's
    libyaml reading never uses: it is compiled on first use, and then behaves exactly the same."""
    code = (
        "import re, sys\n"
        "import dfulint.sources.pm, yaml\n"
        "p = yaml.reader.Reader.NON_PRINTABLE\n"
        "print(type(p).__name__, p._real is None)\n"
        "ref = re.compile(dfulint.sources.pm._YAML_NON_PRINTABLE, re.UNICODE)\n"
        "samples = ['plain', 'tab\\there', 'bell\\x07', 'nul\\x00', 'del\\x7f', 'nbsp\\xa0', 'bom\\ufeff',\n"
        "           'surrogate\\ud800', 'emoji\\U0001F600', 'ff\\uffff', 'next\\x85']\n"
        "print(all(bool(p.search(s)) == bool(ref.search(s)) for s in samples), p._real is not None)\n"
        "try:\n"
        "    yaml.load('a: \"x\\x07\"', Loader=yaml.SafeLoader)\n"
        "    print('accepted')\n"
        "except yaml.reader.ReaderError:\n"
        "    print('rejected')\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         cwd=Path(__file__).resolve().parent.parent)
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.split() == ["_OnFirstUse", "True", "True", "True", "rejected"]
