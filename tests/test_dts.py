"""Devicetree reader (sources/dts.py) and merged model (model/devicetree.py)."""
from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import pytest

from dfulint.model.devicetree import (
    KNOWLEDGE_PATH, DeviceTree, build_tree, fixed_partitions, from_knowledge, parse_final_dts,
)
from dfulint.sources import Problem
from dfulint.sources.dts import (
    DtsNode, evaluate, parse_dts, parse_dts_text,
)

CORPUS = Path("/work/shared/corpus")

SEED = """\
#include <zephyr/dt-bindings/gpio/gpio.h>

/ {
	chosen {
		nordic,pm-ext-flash = &is25;
	};
};

&spi1 {
	status = "okay";
	sck-pin = <41>;
	mosi-pin = <40>;
	miso-pin = <4>;
	cs-gpios = <&gpio0 23 GPIO_ACTIVE_LOW>;
	is25: is25@0 {
		compatible = "jedec,spi-nor";
		label = "IS25";
		reg = <0>;
		spi-max-frequency = <8000000>;
		jedec-id = [9d 40 13];
		size = <4194304>;
		sfdp-bfp = [e5 20 f1 ff  ff ff ff 00  44 eb 08 6b  08 3b 04 bb
			ee ff ff ff  ff ff 00 ff  ff ff 00 ff  0c 20 0f 52
			10 d8 00 ff];
	};
};
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)
    return p


def line_of(text: str, needle: str) -> int:
    for i, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return i
    raise AssertionError(needle)


def syntax(dts) -> list:
    return [p for p in dts.problems if p.kind == "syntax"]


def base(path, label=None, compatible=None, status=None, bus=None, props=None):
    return SimpleNamespace(path=path, label=label, compatible=compatible, status=status,
                           bus=bus, props=props or {})


SPI1 = base("/soc/spi@40004000", "spi1", "nordic,nrf-spim", "disabled")
GPIO0 = base("/soc/gpio@50000000", "gpio0", "nordic,nrf-gpio", "okay")


# --------------------------------------------------------------------------------------------
# The seed overlay
# --------------------------------------------------------------------------------------------

def test_seed_overlay_every_property_at_its_line(tmp_path):
    path = write(tmp_path, "app.overlay", SEED)
    dts = parse_dts(path)
    assert dts.readable
    assert dts.problems == []        # the <system> header is normal without a workspace
    [inc] = dts.includes
    assert inc.system and inc.resolved is None and inc.name == "zephyr/dt-bindings/gpio/gpio.h"
    assert inc.span.line == 1

    root, spi = dts.roots
    assert root.name == "/" and root.ref is None
    assert spi.name == "" and spi.ref == "spi1" and spi.span.line == line_of(SEED, "&spi1")
    chosen = root.child("chosen")
    assert chosen.props["nordic,pm-ext-flash"].as_ref() == "is25"
    assert chosen.props["nordic,pm-ext-flash"].span.line == 5

    seen = 0
    for node, _ in dts.roots[1].walk():
        for name, prop in node.props.items():
            expected = line_of(SEED, f"\t{name} = ") if name != "status" else line_of(SEED, "status")
            assert prop.span.line == expected, name
            assert prop.span.path == path
            seen += 1
    assert seen == 12
    is25 = spi.child("is25@0")
    assert is25.labels == ["is25"]
    assert spi.child("is25") is is25
    assert is25.props["size"].as_int() == 4194304
    assert is25.props["jedec-id"].as_bytes() == bytes([0x9D, 0x40, 0x13])
    assert is25.props["sfdp-bfp"].as_bytes()[:4] == bytes([0xE5, 0x20, 0xF1, 0xFF])
    assert len(is25.props["sfdp-bfp"].as_bytes()) == 36
    assert is25.props["compatible"].as_strs() == ["jedec,spi-nor"]
    assert is25.props["reg"].as_int() == 0
    assert is25.props["reg"].span.col == 3

    cs = spi.props["cs-gpios"]
    assert cs.refs() == ["gpio0"]
    assert cs.values[0].items == ["&gpio0", 23, "GPIO_ACTIVE_LOW"]    # macro kept as text
    assert cs.as_ints() == [None, 23, None]
    assert cs.value_span.line == cs.span.line and cs.value_span.col == cs.span.col + 11
    assert spi.props["status"].as_str() == "okay"
    assert spi.props["sck-pin"].as_int() == 41


def test_seed_overlay_merged_over_board_nodes(tmp_path):
    path = write(tmp_path, "app.overlay", SEED)
    tree = build_tree([parse_dts(path)], [SPI1, GPIO0])
    target, prop = tree.chosen("nordic,pm-ext-flash")
    assert target is not None
    assert target.path == "/soc/spi@40004000/is25@0"
    assert target.parent == "/soc/spi@40004000"
    assert prop.span.line == 5
    assert target.props["size"].as_int() == 4194304
    assert target.props["jedec-id"].as_bytes() == b"\x9d\x40\x13"
    assert tree.node("is25") is target and tree.node("&is25") is target
    assert tree.node("/soc/spi@40004000/is25@0") is target

    spi = tree.node("spi1")
    assert spi.okay() and spi.status() == "okay"
    assert [from_knowledge(p.span) for p in spi.history["status"]] == [True, False]
    assert spi.history["status"][0].as_str() == "disabled"
    assert spi.compatibles() == ["nordic,nrf-spim"]
    assert tree.enabled_path(target)
    assert tree.by_compatible("jedec,spi-nor") == [target]
    assert tree.chosen("zephyr,code-partition") is None
    assert tree.files == [path]
    assert tree.problems == []


def test_unknown_label_gives_unknown_node(tmp_path):
    path = write(tmp_path, "app.overlay", SEED)
    tree = build_tree([parse_dts(path)])          # no board knowledge: spi1 is unknown
    spi = tree.node("&spi1")
    assert spi is not None and spi.known is False and spi.path == "&spi1"
    is25 = tree.node("is25")
    assert is25.path == "&spi1/is25@0" and is25.known
    node, prop = tree.chosen("nordic,pm-ext-flash")
    assert node is is25                              # defined by the file, parent unknown
    assert [p.kind for p in tree.problems] == ["undefined-label"]
    assert tree.problems[0].span.line == line_of(SEED, "&spi1")


def test_chosen_to_undefined_label(tmp_path):
    path = write(tmp_path, "a.overlay", "/ { chosen { zephyr,code-partition = &nope; }; };\n")
    tree = build_tree([parse_dts(path)])
    node, prop = tree.chosen("zephyr,code-partition")
    assert node is None and prop.as_ref() == "nope"


# --------------------------------------------------------------------------------------------
# Values and macros
# --------------------------------------------------------------------------------------------

def test_fixed_partitions_with_dt_size_k(tmp_path):
    text = """\
#define BOOT_SIZE 0xc000
&flash0 {
	partitions {
		compatible = "fixed-partitions";
		#address-cells = <1>;
		#size-cells = <1>;

		boot_partition: partition@0 {
			label = "mcuboot";
			reg = <0x0 DT_SIZE_K(48)>;
		};
		slot0_partition: partition@c000 {
			reg = <BOOT_SIZE (DT_SIZE_K(472) - 0x0)>;
		};
		slot1_partition: partition@82000 {
			reg = <0x82000 DT_SIZE_M(1)>;
		};
		storage_partition: partition@f8000 {
			reg = <0xf8000 UNKNOWN_SIZE>;
		};
	};
};
"""
    path = write(tmp_path, "app.overlay", text)
    dts = parse_dts(path)
    assert dts.problems == []
    assert dts.defines == {"BOOT_SIZE": "0xc000"}
    tree = build_tree([dts], [base("/soc/flash-controller@4001e000/flash@0", "flash0",
                                   "soc-nv-flash", props={"reg": [0, 0x100000]})])
    parts = {p.label: p for p in fixed_partitions(tree)}
    assert set(parts) == {"boot_partition", "slot0_partition", "slot1_partition",
                          "storage_partition"}
    assert (parts["boot_partition"].address, parts["boot_partition"].size) == (0, 48 * 1024)
    assert (parts["slot0_partition"].address, parts["slot0_partition"].size) == (0xC000, 472 * 1024)
    assert parts["slot1_partition"].size == 1024 * 1024
    assert parts["storage_partition"].address == 0xF8000
    assert parts["storage_partition"].size is None          # unresolved macro
    assert parts["boot_partition"].label_prop == "mcuboot"
    assert parts["slot0_partition"].flash_node == "/soc/flash-controller@4001e000/flash@0"
    assert parts["slot0_partition"].path.endswith("/partitions/partition@c000")
    assert parts["slot0_partition"].reg_span.line == line_of(text, "<BOOT_SIZE")
    assert parts["slot0_partition"].span.line == line_of(text, "slot0_partition:")
    assert parts["slot0_partition"].end == 0xC000 + 472 * 1024


def test_fixed_partitions_two_cells(tmp_path):
    text = """/ { ext { partitions { compatible = "fixed-partitions";
	#address-cells = <2>; #size-cells = <2>;
	p: partition@0 { reg = <0x1 0x0 0x0 0x20000>; };
}; }; };
"""
    tree = build_tree([parse_dts(write(tmp_path, "a.dts", text))])
    [p] = fixed_partitions(tree)
    assert p.address == 0x1_0000_0000 and p.size == 0x20000 and p.flash_node == "/ext"


def test_cells_expressions_and_literals():
    dts = parse_dts_text("""\
#define ADDR(x) ((x) << 12)
#define BASE 0x1000
/ {
	a = <(1 + 2 * 3) (0x10 | 1) (8 >> 2) ('A') 0x10UL 010>;
	b = <ADDR(2) (BASE + 4) BIT(3) (-1)>;
	c = /bits/ 8 <0x1ff 2>;
	d = <&gpio0 1>, <&{/soc/uart@1} 2>;
	e = "x", "y\\n";
	f = MY_STRING_MACRO;
	g = <NRF_PSEL(SPIM_SCK, 0, 19)>;
	lab: h = lab2: <lab3: 1 2>;
	i = [0102 03];
	j = &{/soc/uart@1};
};
""")
    assert dts.problems == []
    props = dts.roots[0].props
    assert props["a"].as_ints() == [7, 0x11, 2, 65, 16, 8]
    assert props["b"].as_ints() == [0x2000, 0x1004, 8, 0xFFFFFFFF]
    assert props["c"].values[0].bits == 8 and props["c"].as_ints() == [0xFF, 2]
    assert props["d"].refs() == ["gpio0", "/soc/uart@1"]
    assert props["e"].as_strs() == ["x", "y\n"]
    assert props["f"].values[0].kind == "expr" and props["f"].values[0].items == ["MY_STRING_MACRO"]
    assert props["g"].values[0].items == ["NRF_PSEL(SPIM_SCK, 0, 19)"]
    assert props["g"].as_int() is None
    assert props["h"].as_ints() == [1, 2] and props["h"].labels == ["lab"]
    assert props["i"].as_bytes() == b"\x01\x02\x03"
    assert props["j"].as_ref() == "/soc/uart@1"
    # every cell has a place
    a = props["a"].values[0]
    assert len(a.item_spans) == 6 and a.item_spans[1].col == a.text.index("(0x10") + a.span.col


def test_evaluate_is_bounded_and_never_raises():
    assert evaluate("DT_SIZE_K(64)") == 65536
    assert evaluate("(1 ? 2 : 3)") == 2
    assert evaluate("1 / 0") is None
    assert evaluate("UNKNOWN") is None
    assert evaluate("((((") is None
    assert evaluate("1 << 4096") == 0
    assert evaluate("(" * 5000 + "1" + ")" * 5000) in (None, 1)    # no RecursionError escapes
    from dfulint.sources.dts import _Macro
    bomb = {c: _Macro(None, f"{chr(ord(c) + 1)} + {chr(ord(c) + 1)}") for c in "ABCDEFGHIJKLMNOPQRST"}
    bomb["U"] = _Macro(None, "1")
    assert evaluate("A", bomb) is None                 # 2**20 expansions: refused, not hung
    loop = {"X": _Macro(None, "Y"), "Y": _Macro(None, "X")}
    assert evaluate("X", loop) is None


def test_preprocessor_conditionals():
    dts = parse_dts_text("""\
#define HAVE_EXT 1
#ifdef HAVE_EXT
/ { a; };
#else
/ { b; };
#endif
#ifndef HAVE_EXT
/ { c; };
#endif
#if 0
/ { d; };
#elif HAVE_EXT > 0
/ { e; };
#endif
#if defined(NOT_DEFINED) && SOMETHING
/ { f; };
#endif
#if UNKNOWN_FROM_A_HEADER
/ { g; };
#else
/ { h; };
#endif
#undef HAVE_EXT
#ifdef HAVE_EXT
/ { i; };
#endif
""")
    names = [p for r in dts.roots for p in r.props]
    # decidable conditions pick their branch; an undecidable one takes its first branch
    assert names == ["a", "e", "g"]


# --------------------------------------------------------------------------------------------
# Deletions, labels across files, includes
# --------------------------------------------------------------------------------------------

def test_delete_node_and_property(tmp_path):
    board = write(tmp_path, "board.dts", """\
/dts-v1/;
/ {
	soc {
		uart0: uart@1000 { status = "okay"; current-speed = <115200>; };
		spi@2000 { status = "okay"; };
	};
	chosen { zephyr,console = &uart0; };
};
""")
    overlay = write(tmp_path, "app.overlay", """\
/delete-node/ &uart0;
/ {
	soc {
		/delete-node/ spi@2000;
	};
	chosen {
		/delete-property/ zephyr,console;
	};
};
""")
    tree = build_tree([parse_dts(board), parse_dts(overlay)])
    assert tree.node("uart0") is None
    assert tree.node("/soc/uart@1000") is None
    assert tree.node("/soc/spi@2000") is None
    assert tree.node("/soc").children == []
    assert tree.chosen("zephyr,console") is None
    chosen = tree.node("/chosen")
    assert chosen.deleted_props[0][0] == "zephyr,console"
    assert chosen.deleted_props[0][1].path == overlay
    assert [p for p in tree.problems] == []

    dts = parse_dts(overlay)
    assert dts.roots[0].deleted_nodes[0][0] == "&uart0"
    assert dts.roots[1].child("soc").deleted_nodes[0][0] == "spi@2000"


def test_label_defined_in_one_file_used_in_another(tmp_path):
    board = write(tmp_path, "board.dts", """\
/ {
	soc {
		qspi: qspi@2b000 {
			status = "disabled";
			mx25: mx25r6435f@0 { size = <67108864>; };
		};
	};
};
""")
    overlay = write(tmp_path, "app.overlay", """\
&qspi { status = "okay"; };
&mx25 { size = <0x2000000>; };
/ { chosen { nordic,pm-ext-flash = &mx25; }; };
&late { x = <1>; };
""")
    later = write(tmp_path, "later.overlay", "/ { late: late-node { }; };\n&qspi { status = \"okay\"; };\n")
    tree = build_tree([parse_dts(board), parse_dts(overlay), parse_dts(later)])
    mx = tree.node("mx25")
    assert mx.path == "/soc/qspi@2b000/mx25r6435f@0"
    assert mx.props["size"].as_int() == 0x2000000
    assert [p.as_int() for p in mx.history["size"]] == [67108864, 0x2000000]
    assert [p.span.path.name for p in mx.history["size"]] == ["board.dts", "app.overlay"]
    assert tree.chosen("nordic,pm-ext-flash")[0] is mx
    assert tree.enabled_path(mx)
    qspi = tree.node("&qspi")
    assert [s.path.name for s in qspi.spans] == ["board.dts", "app.overlay", "later.overlay"]
    late = tree.node("late")                       # labels are global: defined later, used earlier
    assert late.path == "/late-node" and late.known and late.props["x"].as_int() == 1
    assert tree.problems == []


def test_disabled_parent_disables_path(tmp_path):
    path = write(tmp_path, "a.dts", '/ { bus: bus { status = "disabled"; dev: dev { }; }; };\n')
    tree = build_tree([parse_dts(path)])
    assert tree.node("dev").okay()
    assert not tree.enabled_path(tree.node("dev"))


def test_base_node_on_a_bus_label():
    nor = base("mx25r6435f@0", "mx25", "nordic,qspi-nor", "okay", bus="qspi",
               props={"size": 67108864, "jedec-id": "c2 28 17", "has-dpd": True,
                      "readoc": "read4io", "sfdp": b"\x01\x02"})
    qspi = base("/soc/qspi@2b000", "qspi", "nordic,nrf-qspi", "disabled")
    tree = build_tree([], [qspi, nor])
    node = tree.node("mx25")
    assert node.path == "/soc/qspi@2b000/mx25r6435f@0" and node.parent == "/soc/qspi@2b000"
    assert node.props["size"].as_int() == 67108864
    assert node.props["jedec-id"].as_bytes() == b"\xc2\x28\x17"
    assert node.props["has-dpd"].is_bool
    assert node.props["readoc"].as_str() == "read4io"
    assert node.props["sfdp"].as_bytes() == b"\x01\x02"
    assert node.props["size"].span.path == KNOWLEDGE_PATH
    assert not tree.enabled_path(node)          # qspi disabled in the board


def test_knowledge_board_nodes(tmp_path):
    from dfulint.knowledge import BoardNode
    nodes = [
        BoardNode("/soc/qspi@40029000", "qspi", "nordic,nrf-qspi", "okay"),
        BoardNode("/soc/qspi@40029000/mx25r6435f@0", "mx25r64", "nordic,qspi-nor", "okay",
                  bus="qspi", props={"reg": 0, "size": 67108864, "jedec-id": "c2 28 17"}),
    ]
    path = write(tmp_path, "app.overlay", "/ { chosen { nordic,pm-ext-flash = &mx25r64; }; };\n")
    tree = build_tree([parse_dts(path)], nodes)
    node, _ = tree.chosen("nordic,pm-ext-flash")
    assert node.path == "/soc/qspi@40029000/mx25r6435f@0"
    assert node.props["size"].as_int() == 67108864
    assert node.props["jedec-id"].as_bytes() == b"\xc2\x28\x17"
    assert tree.enabled_path(node) and tree.problems == []


def test_quoted_include_followed(tmp_path):
    write(tmp_path, "common/parts.dtsi", """\
#define SLOT_SIZE DT_SIZE_K(400)
&flash0 {
	partitions {
		compatible = "fixed-partitions";
		slot0_partition: partition@10000 { reg = <0x10000 SLOT_SIZE>; };
	};
};
""")
    main = write(tmp_path, "app.overlay", """\
#include "common/parts.dtsi"
/ { chosen { zephyr,code-partition = &slot0_partition; }; };
&slot0_partition { reg = <0x10000 (SLOT_SIZE + DT_SIZE_K(8))>; };
""")
    dts = parse_dts(main)
    assert dts.problems == []
    [inc] = dts.includes
    assert not inc.system and inc.resolved == tmp_path / "common" / "parts.dtsi"
    assert [r.ref or r.name for r in dts.roots] == ["flash0", "/", "slot0_partition"]
    assert dts.roots[0].span.path == tmp_path / "common" / "parts.dtsi"
    assert dts.roots[0].span.line == 2
    assert dts.defines["SLOT_SIZE"] == "DT_SIZE_K(400)"
    assert dts.roots[2].props["reg"].as_ints() == [0x10000, 408 * 1024]
    tree = build_tree([dts], [base("/soc/flash@0", "flash0", "soc-nv-flash")])
    node, _ = tree.chosen("zephyr,code-partition")
    assert node.path == "/soc/flash@0/partitions/partition@10000"
    [p] = fixed_partitions(tree)
    assert p.size == 408 * 1024 and p.reg_span.path == main


def test_system_include_followed_only_in_include_dirs(tmp_path):
    ws = tmp_path / "ws" / "include"
    write(ws, "zephyr/dt-bindings/gpio/gpio.h", "#define GPIO_ACTIVE_LOW (1 << 0)\n")
    app = tmp_path / "app"
    path = write(app, "app.overlay", SEED)
    dts = parse_dts(path, include_dirs=[ws])
    assert dts.problems == []
    assert dts.includes[0].resolved == ws / "zephyr/dt-bindings/gpio/gpio.h"
    spi = dts.roots[1]
    assert spi.props["cs-gpios"].values[0].items == ["&gpio0", 23, 1]


def test_workspace_headers_are_not_linted(tmp_path):
    ws = tmp_path / "ws"
    write(ws, "dt-bindings/odd.h", """\
#ifndef ODD_H
#define ODD_H
typedef unsigned int odd_t;   /* C, not devicetree: not the user's to fix */
#define ODD_FLAG (1U << 4)
#endif
""")
    path = write(tmp_path / "app", "app.overlay", "#include <dt-bindings/odd.h>\n/ { a = <ODD_FLAG>; };\n")
    dts = parse_dts(path, include_dirs=[ws])
    assert dts.problems == []
    assert dts.roots[-1].props["a"].as_int() == 16


def test_duplicate_label_and_aliases(tmp_path):
    a = write(tmp_path, "a.dts", "/ { x: n1 { }; y: n2 { }; aliases { ext = &y; }; };\n")
    b = write(tmp_path, "b.overlay", "/ { x: n3 { }; };\n")
    tree = build_tree([parse_dts(a), parse_dts(b)])
    [dup] = tree.problems
    assert dup.kind == "duplicate-label" and dup.span.path == b
    assert tree.node("x").path == "/n1"
    assert tree.alias("ext") is tree.node("y")
    assert tree.resolve_ref("ext") is tree.node("/n2")


def test_include_inside_a_node(tmp_path):
    write(tmp_path, "inner.dtsi", "compatible = \"x\";\nsub { y = <2>; };\n")
    path = write(tmp_path, "a.dts", "/ {\n\tn {\n\t\t#include \"inner.dtsi\"\n\t\tz;\n\t};\n};\n")
    dts = parse_dts(path)
    n = dts.roots[0].child("n")
    assert list(n.props) == ["compatible", "z"]
    assert n.props["compatible"].span.path == tmp_path / "inner.dtsi"
    assert n.child("sub").props["y"].as_int() == 2


def test_include_outside_root_refused(tmp_path):
    secret = write(tmp_path, "outside/secret.dtsi", "/ { leaked = <1>; };\n")
    project = tmp_path / "project"
    path = write(project, "app.overlay",
                 f'#include "../outside/secret.dtsi"\n/include/ "{secret}"\n/ {{ ok; }};\n')
    dts = parse_dts(path)
    kinds = [p.kind for p in dts.problems]
    assert kinds == ["include-outside", "include-outside"]
    assert [p.span.line for p in dts.problems] == [1, 2]
    assert all(i.resolved is None for i in dts.includes)
    assert [list(r.props) for r in dts.roots] == [["ok"]]     # never read
    assert secret not in dts.files
    # the caller can widen the roots
    wide = parse_dts(path, allowed_roots=[tmp_path])
    assert wide.problems == [] and len(wide.roots) == 3


def test_include_symlink_escape_refused(tmp_path):
    write(tmp_path, "outside/x.dtsi", "/ { leaked; };\n")
    project = tmp_path / "project"
    project.mkdir()
    try:
        os.symlink(tmp_path / "outside" / "x.dtsi", project / "link.dtsi")
    except OSError:
        pytest.skip("no symlinks here")
    path = write(project, "app.overlay", '#include "link.dtsi"\n')
    dts = parse_dts(path)
    assert [p.kind for p in dts.problems] == ["include-outside"]
    assert dts.roots == []


def test_include_missing_and_cycles(tmp_path):
    write(tmp_path, "a.dtsi", '#include "b.dtsi"\n/ { a; };\n')
    write(tmp_path, "b.dtsi", '#include "a.dtsi"\n/ { b; };\n')
    write(tmp_path, "self.dtsi", '#include "self.dtsi"\n')
    path = write(tmp_path, "app.overlay",
                 '#include "a.dtsi"\n#include "self.dtsi"\n#include "nope.dtsi"\n')
    dts = parse_dts(path)
    kinds = sorted(p.kind for p in dts.problems)
    assert kinds == ["include-missing", "too-deep", "too-deep"]
    missing = [p for p in dts.problems if p.kind == "include-missing"][0]
    assert missing.span.path == path and missing.span.line == 3
    assert [list(r.props) for r in dts.roots] == [["b"], ["a"]]


def test_include_depth_bounded(tmp_path):
    for i in range(30):
        write(tmp_path, f"d{i}.dtsi", f'#include "d{i + 1}.dtsi"\n/ {{ p{i}; }};\n')
    write(tmp_path, "d30.dtsi", "/ { last; };\n")
    dts = parse_dts(write(tmp_path, "app.overlay", '#include "d0.dtsi"\n'))
    assert [p.kind for p in dts.problems] == ["too-deep"]
    assert len(dts.roots) == 16                # 16 nested includes are read, the 17th is not


# --------------------------------------------------------------------------------------------
# Syntax errors
# --------------------------------------------------------------------------------------------

def test_missing_semicolon_reported_at_its_line(tmp_path):
    text = '&spi1 {\n\tstatus = "okay"\n\tsck-pin = <41>;\n};\n'
    dts = parse_dts(write(tmp_path, "a.overlay", text))
    [p] = syntax(dts)
    assert (p.span.line, p.span.col) == (2, 17)
    assert "missing ';'" in p.message and "status" in p.message
    assert dts.roots[0].props["status"].as_str() == "okay"      # what could be read is kept


def test_missing_semicolon_after_boolean_and_after_brace(tmp_path):
    dts = parse_dts(write(tmp_path, "a.overlay",
                          "/ {\n\tpartial-erase\n\tx = <1>;\n};\n&a { y; }\n&b { z; };\n"))
    lines = [(p.span.line, p.message) for p in syntax(dts)]
    assert [l for l, _ in lines] == [2, 5]
    assert all("missing ';'" in m for _, m in lines)


def test_unbalanced_braces(tmp_path):
    text = "/ {\n\tchosen {\n\t\tzephyr,console = &uart0;\n\t};\n\n&spi1 {\n\tstatus = \"okay\";\n};\n"
    dts = parse_dts(write(tmp_path, "a.overlay", text))
    [p] = syntax(dts)
    assert p.span.line == 1 and "never closed" in p.message

    inner = "&spi1 {\n\tn1: nor@0 {\n\t\treg = <0>;\n\n\tstatus = \"okay\";\n};\n"
    [p] = syntax(parse_dts(write(tmp_path, "b.overlay", inner)))
    assert p.span.line == 2 and "never closed" in p.message     # the block whose '};' is gone

    extra = "/ {\n\ta;\n};\n};\n/ { b; };\n"
    dts = parse_dts(write(tmp_path, "c.overlay", extra))
    [p] = syntax(dts)
    assert (p.span.line, p.span.col) == (4, 1) and "unmatched '}'" in p.message
    assert list(dts.roots[0].props) == ["a"]


def test_other_syntax_errors(tmp_path):
    cases = {
        "&x { y = <1 2; };\n": (1, "missing '>'"),
        '&x { y = "abc; };\n': (1, "unterminated string"),
        "/ { a = <1>; };\n/* never closed\n": (2, "unterminated comment"),
        "/ { a = ; };\n": (1, "missing value"),
        "/ { a = <1 -1>; };\n": (1, "parenthes"),
        "/ { a = [0g]; };\n": (1, "invalid byte"),
        "/ { a = <0x>; };\n": (1, "invalid number"),
        "/ {\n\tb = <1>;\n\t&flash0 { };\n};\n": (3, "top level"),
        "foo { };\n": (1, "top-level node"),
        "/ {\n\ta { }\n\tb = <1>;\n};\n": (2, "missing ';'"),
        "/ {\n\ta = <1>\n};\n": (2, "missing ';'"),
        "&spi1 {\n\tstatus = okay;\n};\n": (2, "needs quotes"),
        "/ {\n\ta = <(1 + )>;\n};\n": (2, "malformed expression"),
        "/ {\n\tlabel: = <1>;\n};\n": (2, "missing name"),
    }
    for i, (text, (line, words)) in enumerate(cases.items()):
        dts = parse_dts(write(tmp_path, f"e{i}.overlay", text))
        errs = syntax(dts)
        assert errs, text
        assert errs[0].span.line == line, (text, errs)
        assert words in errs[0].message, (text, errs[0].message)


def test_utf8_columns_are_characters(tmp_path):
    dts = parse_dts(write(tmp_path, "a.overlay", '/ {\n\tlabel = "é"; x = <1>;\n\ty = "ü" z;\n};\n'))
    assert dts.roots[0].props["x"].span.col == 15
    [p] = syntax(dts)
    assert (p.span.line, p.span.col) == (3, 10)


def test_syntax_errors_are_capped(tmp_path):
    text = "".join(f"/ {{ a{i} = <1 -{i}>; }};\n" for i in range(100))
    dts = parse_dts(write(tmp_path, "a.overlay", text))
    errs = syntax(dts)
    assert len(errs) == 21 and "too many" in errs[-1].message


# --------------------------------------------------------------------------------------------
# Hostile input
# --------------------------------------------------------------------------------------------

def test_hostile_inputs(tmp_path):
    empty = parse_dts(write(tmp_path, "empty.overlay", ""))
    assert empty.readable and empty.roots == [] and empty.problems == []

    comments = parse_dts(write(tmp_path, "c.overlay", "// just a comment\n/* and another */\n"))
    assert comments.problems == [] and len(comments.comments) == 2

    binary = tmp_path / "bin.overlay"
    binary.write_bytes(b"\x7fELF\x00\x01\x02" * 100)
    dts = parse_dts(binary)
    assert not dts.readable and [p.kind for p in dts.problems] == ["binary"]

    bad = tmp_path / "latin1.overlay"
    bad.write_bytes(b"/ {\n\tlabel = \"caf\xe9\";\n};\n")
    dts = parse_dts(bad)
    assert [(p.kind, p.span.line) for p in dts.problems] == [("encoding", 2)]

    big = tmp_path / "big.overlay"
    big.write_text("/ { a = <1>; };\n" * (5 * 1024 * 1024 // 16 + 1))
    dts = parse_dts(big)
    assert not dts.readable and [p.kind for p in dts.problems] == ["too-large"]

    missing = parse_dts(tmp_path / "nope.overlay")
    assert not missing.readable and missing.problems[0].kind == "unreadable"

    garbage = parse_dts(write(tmp_path, "g.overlay", "}{ ]] [[ << >> ;;; &&& /delete-node/ ; = = {\n" * 200))
    assert garbage.problems and all(p.kind == "syntax" for p in garbage.problems)


def test_deep_nesting_is_bounded(tmp_path):
    depth = 10000
    text = "/ {\n" + "a {\n" * depth + "};\n" * depth + "};\n"
    dts = parse_dts(write(tmp_path, "deep.overlay", text))
    assert [p.kind for p in dts.problems] == ["too-deep"]
    tree = build_tree([dts])
    assert max(n.path.count("/") for n in tree.nodes()) == 63     # "/" plus 63 levels
    unclosed = parse_dts(write(tmp_path, "deep2.overlay", "/ {\n" + "a {\n" * depth))
    assert any(p.kind == "syntax" for p in unclosed.problems)
    build_tree([unclosed])
    # a hand-made deep node tree: walk is iterative
    node = top = DtsNode("/")
    for _ in range(depth):
        child = DtsNode("n")
        node.children.append(child)
        node = child
    assert sum(1 for _ in top.walk()) == depth + 1
    repr(top)


def test_garbage_text_never_raises(tmp_path):
    import random
    rnd = random.Random(7)
    alphabet = "/{}<>[]();=&,:@#\"'\\ \n\tabc019xX-+*~!?|^%$"
    for i in range(60):
        text = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 400)))
        dts = parse_dts(write(tmp_path, f"r{i}.overlay", text))
        assert all(isinstance(p, Problem) for p in dts.problems)
        assert not [p for p in dts.problems if p.kind == "internal"], (text, dts.problems)
        build_tree([dts])


# --------------------------------------------------------------------------------------------
# A build's zephyr.dts
# --------------------------------------------------------------------------------------------

FINAL = """\
/dts-v1/;

/ {
	#address-cells = <1>;
	#size-cells = <1>;
	chosen {
		zephyr,code-partition = &slot0_partition;
		nordic,pm-ext-flash = &mx25r64;
	};
	soc {
		#address-cells = <1>;
		#size-cells = <1>;
		gpio0: gpio@50000000 {
			gpio-controller;
			#gpio-cells = <2>;
			reg = <0x50000000 0x200>;
			phandle = <0x1>;
		};
		flash_controller: flash-controller@4001e000 {
			#address-cells = <1>;
			#size-cells = <1>;
			reg = <0x4001e000 0x1000>;
			flash0: flash@0 {
				compatible = "soc-nv-flash";
				erase-block-size = <4096>;
				write-block-size = <4>;
				reg = <0x0 0x100000>;
				partitions {
					compatible = "fixed-partitions";
					#address-cells = <1>;
					#size-cells = <1>;
					boot_partition: partition@0 {
						label = "mcuboot";
						reg = <0x0 0xc000>;
					};
					slot0_partition: partition@c000 {
						label = "image-0";
						reg = <0xc000 0x76000>;
					};
				};
			};
		};
		qspi: qspi@29000 {
			status = "okay";
			#address-cells = <1>;
			#size-cells = <0>;
			reg = <0x29000 0x1000>;
			cs-gpios = <&gpio0 17 1>;
			mx25r64: mx25r6435f@0 {
				compatible = "nordic,qspi-nor";
				reg = <0>;
				jedec-id = [c2 28 17];
				size = <67108864>;
			};
		};
	};
};
"""


def test_final_dts_with_dtlib(tmp_path):
    path = write(tmp_path, "build/zephyr/zephyr.dts", FINAL)
    tree = parse_final_dts(path)
    assert isinstance(tree, DeviceTree)
    assert tree.evidence == "dtlib"
    node, prop = tree.chosen("zephyr,code-partition")
    assert node.path == "/soc/flash-controller@4001e000/flash@0/partitions/partition@c000"
    assert prop.span.line == 7
    nor = tree.node("mx25r64")
    assert nor.props["size"].as_int() == 67108864 and nor.props["size"].span.line == line_of(FINAL, "size = <67108864>")
    assert nor.props["jedec-id"].as_bytes() == b"\xc2\x28\x17"
    parts = {p.label: p for p in fixed_partitions(tree)}
    assert (parts["slot0_partition"].address, parts["slot0_partition"].size) == (0xC000, 0x76000)
    assert parts["slot0_partition"].flash_node == "/soc/flash-controller@4001e000/flash@0"
    assert tree.node("/soc/qspi@29000").props["cs-gpios"].refs() == ["gpio0"]


def test_dtlib_properties_convert_like_the_reader(tmp_path):
    from devicetree import dtlib
    from dfulint.model.devicetree import _dtlib_prop
    text = FINAL.replace("cs-gpios = <&gpio0 17 1>;", "cs-gpios = <&gpio0>;\n\t\t\tx = <&gpio0 &qspi>;")
    path = write(tmp_path, "zephyr.dts", text)
    tree = build_tree([parse_dts(path)])
    compared = 0
    for dnode in dtlib.DT(str(path)).node_iter():
        for name, prop in dnode.props.items():
            if name == "phandle":          # dtlib adds it to every referenced node
                continue
            mine = tree.node(dnode.path).props[name]
            conv = _dtlib_prop(prop, path)
            assert conv.as_strs() == mine.as_strs(), name
            assert conv.as_bytes() == mine.as_bytes(), name
            if prop.type != dtlib.Type.PATH:
                assert conv.as_ints() == mine.as_ints(), name
                assert conv.refs() == mine.refs(), name
            compared += 1
    assert compared > 30


def test_final_dts_fallback_and_problems(tmp_path):
    # dtlib refuses undefined labels; the tree-sitter path still gives a tree
    path = write(tmp_path, "zephyr.dts", "/dts-v1/;\n/ { chosen { zephyr,console = &nope; }; a { x = <1>; }; };\n")
    tree = parse_final_dts(path)
    assert isinstance(tree, DeviceTree) and tree.evidence == "tree-sitter"
    assert tree.node("/a").props["x"].as_int() == 1
    # /include/ is never handed to dtlib
    inc = write(tmp_path, "inc.dts", '/dts-v1/;\n/include/ "/etc/hostname"\n/ { };\n')
    tree = parse_final_dts(inc)
    assert isinstance(tree, DeviceTree) and tree.evidence == "tree-sitter"
    assert any(p.kind == "include-outside" for p in tree.problems)
    # unreadable input is a Problem, not an exception
    assert isinstance(parse_final_dts(tmp_path / "none.dts"), Problem)
    binary = tmp_path / "b.dts"
    binary.write_bytes(b"\x00\x01")
    assert isinstance(parse_final_dts(binary), Problem)


# --------------------------------------------------------------------------------------------
# Corpus and speed
# --------------------------------------------------------------------------------------------

def _project_root(path: Path) -> Path:
    rel = path.relative_to(CORPUS)
    return CORPUS / rel.parts[0]


@pytest.mark.skipif(not CORPUS.is_dir(), reason="corpus not available")
def test_corpus_parses_without_exceptions():
    files = [p for p in CORPUS.rglob("*")
             if p.suffix in (".overlay", ".dts", ".dtsi") and p.is_file()]
    assert files
    total_syntax = 0
    for p in files:
        dts = parse_dts(p, allowed_roots=[_project_root(p)])
        assert not [x for x in dts.problems if x.kind in ("internal", "too-deep")], p
        total_syntax += len(syntax(dts))
        tree = build_tree([dts])
        fixed_partitions(tree)
    # real-world files are almost all valid: a reader that cries wolf would show here
    assert total_syntax <= len(files) // 100




def test_the_grammar_loads_without_the_grammar_package_init(monkeypatch):
    import sys

    import tree_sitter

    from dfulint.sources import dts as dts_mod

    monkeypatch.delitem(sys.modules, "tree_sitter_devicetree", raising=False)
    direct = tree_sitter.Language(dts_mod._grammar())
    assert "tree_sitter_devicetree" not in sys.modules          # the package __init__ did not run
    import tree_sitter_devicetree
    packaged = tree_sitter.Language(tree_sitter_devicetree.language())
    assert (direct.node_kind_count, direct.field_count) == (packaged.node_kind_count, packaged.field_count)
    src = b"/ { chosen { nordic,pm-ext-flash = &mx25r64; }; };\n&spi1 { cs-gpios = <&gpio0 23 1>; };\n"
    assert str(tree_sitter.Parser(direct).parse(src).root_node) == \
        str(tree_sitter.Parser(packaged).parse(src).root_node)


def test_the_grammar_falls_back_to_the_package_api(monkeypatch):
    import importlib.util
    import sys

    import tree_sitter

    from dfulint.sources import dts as dts_mod

    def broken(*a, **k):
        raise ImportError("no spec")

    monkeypatch.setattr(importlib.util, "find_spec", broken)
    monkeypatch.delitem(sys.modules, "tree_sitter_devicetree._binding", raising=False)
    lang = tree_sitter.Language(dts_mod._grammar())
    assert tree_sitter.Parser(lang).parse(b"/ { };\n").root_node.type == "document"


def test_a_compiled_module_without_what_dfulint_uses_falls_back_to_the_packages(monkeypatch, tmp_path):
    """tree-sitter is not pinned above: a later release whose compiled modules lack Parser, Language
    or language() must still parse, through the packages' own API."""
    import sys
    import types

    from dfulint.sources import dts as dts_mod

    class Grammar(types.ModuleType):
        def language(self):
            raise RuntimeError("another ABI")

    monkeypatch.setitem(sys.modules, "tree_sitter._binding", types.ModuleType("tree_sitter._binding"))
    monkeypatch.setitem(sys.modules, "tree_sitter_devicetree._binding", Grammar("tree_sitter_devicetree._binding"))
    monkeypatch.setattr(dts_mod, "_parser", None)
    overlay = tmp_path / "app.overlay"
    overlay.write_text("&flash0 {\n\tpartitions {\n\t\tslot0_partition: partition@c000 {\n"
                       "\t\t\treg = <0xc000 0x32000>;\n\t\t};\n\t};\n};\n")
    parsed = dts_mod.parse_dts(overlay)
    assert parsed.readable and not parsed.problems
    labels = set()
    stack = list(parsed.roots)
    while stack:
        node = stack.pop()
        labels.update(node.labels)
        stack.extend(node.children)
    assert "slot0_partition" in labels
