"""The Kconfig trees dfulint generates from its catalogue ship generated with the package
(dfulint/knowledge/kconfig_trees.bin): the file holds exactly what generation gives for every image
and SDK version, is used when it was made from the catalogue and code at hand, and an outdated,
missing or damaged file only costs the time of generating the trees: values, notes and findings
stay the same."""
import json
import zlib
from pathlib import Path

import pytest

from dfulint.model import kconfig as km
from dfulint.sources import clear_caches as clear_parsed
from dfulint.sources.kconf import parse_fragment

from helpers import run_cli

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"

# versions on every side of the catalogue's version boundaries, development versions included
SWEEP = [(0, 0, 0), (1, 4, 9)] + [(major, minor, patch) for major in (1, 2, 3) for minor in range(10)
                                   for patch in (0, 1, 99)] + [(4, 0, 0), km._LATEST]


def _forget():
    for cache in (km._TREES, km._BY_TEXT, km._SHARED, km._META):
        cache.clear()
    km._trees_file.cache_clear()
    clear_parsed()


@pytest.fixture
def trees(tmp_path, monkeypatch):
    """Point dfulint at a trees file in a test folder (written by the test)."""
    out = tmp_path / "kconfig_trees.bin"
    monkeypatch.setattr(km, "PREBUILT_TREES", out)
    _forget()
    yield out
    _forget()


@pytest.fixture(scope="module")
def built() -> bytes:
    return km.prebuilt_trees()


def _generated(image, sdk):
    conds, named = {}, set()
    text, syms, chs = km._generate(image, sdk, None, conds, named)
    return text, syms, chs, conds, named


def test_every_prebuilt_tree_is_what_generation_gives(trees, built):
    trees.write_bytes(built)
    head = json.loads(built[:built.index(b"\n")])
    assert head["key"] == km.generation_key() and head["versions"]
    for image in km._IMAGES:
        assert len(head["index"][image]) == len(head["versions"]) + 1 and min(head["index"][image]) >= 0
        for sdk in SWEEP + [tuple(v) for v in head["versions"]]:
            got = km._prebuilt_shared(image, sdk)
            assert got is not None and got[5] is not None, (image, sdk)
            assert got[:5] == _generated(image, sdk), (image, sdk)
    # versions that generate the same tree share one record
    assert len(head["records"]) < sum(len(row) for row in head["index"].values())


def _shape(kconf) -> tuple:
    """What a parsed tree is: its symbols in the order they were made, their definitions, choices,
    where each was defined, their dependents, warnings."""
    syms = kconf.unique_defined_syms
    return (list(kconf.syms), list(kconf.const_syms), list(kconf.named_choices), [str(s) for s in syms],
            [str(c) for c in kconf.unique_choices], [(n.filename, n.linenr) for s in syms for n in s.nodes],
            [(s.name, sorted(str(d.name) for d in s._dependents)) for s in syms], kconf.warnings,
            sorted(kconf.variables))


def test_the_shipped_tokens_parse_to_the_tree_the_text_parses_to(trees, built):
    trees.write_bytes(built)
    head = json.loads(built[:built.index(b"\n")])
    seen = set()
    for image in km._IMAGES:
        for sdk in [(0, 0, 0)] + [tuple(v) for v in head["versions"]]:
            text, *_, program = km._prebuilt_shared(image, sdk)
            if (image, text) in seen:
                continue
            seen.add((image, text))
            name = f"{km._MEM_ROOT}/Kconfig.{image}"
            want = km._mem_kconfig_class()(name, text)
            got = km._token_kconfig_class()(name, text, program)
            assert _shape(got) == _shape(want), (image, sdk)
    assert len(seen) == len(head["records"])


def test_tokens_of_another_kconfiglib_are_not_used(trees, built):
    cut = built.index(b"\n")
    head = json.loads(built[:cut])
    trees.write_bytes(json.dumps(dict(head, kconfiglib=[0, 1, 0])).encode() + built[cut:])
    text, syms, chs, conds, named, program = km._prebuilt_shared("mcuboot", (2, 6, 0))
    assert program is None and (text, syms, chs, conds, named) == _generated("mcuboot", (2, 6, 0))
    t, *_ = km._shared_tree("mcuboot", (2, 6, 0))
    assert type(t.kconf).__name__ == "_MemKconfig"
    _forget()
    trees.write_bytes(built)
    t, *_ = km._shared_tree("mcuboot", (2, 6, 0))
    assert type(t.kconf).__name__ == "_TokenKconfig"


def test_the_versions_are_every_boundary_of_the_catalogue():
    versions = km._tree_versions()
    assert versions == sorted(set(versions)) and (2, 0, 0) in versions
    # between two boundaries, every version generates the same tree as the boundary itself
    for image in km._IMAGES:
        for sdk in SWEEP:
            below = [v for v in versions if v <= sdk]
            assert _generated(image, sdk)[0] == _generated(image, below[-1] if below else (0, 0, 0))[0]


def test_a_shared_tree_from_the_file_is_not_generated(trees, built, monkeypatch):
    trees.write_bytes(built)

    def no_generation(*a, **kw):
        raise AssertionError("generated although the prebuilt tree matches")

    monkeypatch.setattr(km, "_generate", no_generation)
    cfg = km.evaluate([], "mcuboot", (2, 6, 0), facts={"soc": "nrf5340_cpuapp", "board": "thingy53_nrf5340_cpuapp"})
    assert cfg.get("BOOT_UPGRADE_ONLY").value == "y" and not cfg.notes


def _fragments() -> dict:
    out = {}
    for image, pattern, prefix in (("app", "prj.conf", "CONFIG_"), ("mcuboot", "mcuboot.conf", "CONFIG_"),
                                   ("sysbuild", "sysbuild.conf", "SB_CONFIG_")):
        paths = sorted(FIXTURES.rglob(pattern))[:4]
        assert paths, pattern
        out[image] = [parse_fragment(p, prefix) for p in paths]
    return out


BOARDS = [{"soc": "nrf5340_cpuapp", "board": "thingy53_nrf5340_cpuapp", "partition_manager": True,
           "dt_has_qspi_nor": True},
          {"soc": "nrf54l15_cpuapp", "board": "nrf54l15dk/nrf54l15/cpuapp", "partition_manager": False},
          {"board": "custom_board"}]


def _evaluations(frags: dict) -> list:
    from test_kconfig_shared_tree import _shown

    _forget()
    out = []
    for image, fs in frags.items():
        for sdk in ((1, 9, 1), (3, 2, 99)):
            for facts in BOARDS:
                for f in fs:
                    clear_parsed()
                    out.append(((image, sdk, str(f.path)), _shown(km.evaluate([f], image, sdk, facts=facts))))
    return out


def _garbage_records(built: bytes) -> bytes:
    """The file with every record replaced by valid zlib data that is not a record."""
    head = json.loads(built[:built.index(b"\n")])
    body, spans = b"", []
    for _ in head["records"]:
        blob = zlib.compress(b'{"text": 5}')
        spans.append([len(body), len(blob)])
        body += blob
    head["records"] = spans
    return json.dumps(head).encode() + b"\n" + body


def _bad_tokens(built: bytes) -> bytes:
    """The file with each record's token vocabulary scrambled (the symbols' names replaced)."""
    head = json.loads(built[:built.index(b"\n")])
    body = memoryview(built)[built.index(b"\n") + 1:]
    out, spans = b"", []
    for start, size in head["records"]:
        data = zlib.decompress(body[start:start + size])
        cut = data.index(b"\n")
        rec = json.loads(data[:cut])
        kinds, values, raws = rec["tokens"]
        rec["tokens"] = ["k" * len(kinds), ["_T_NOT_A_TOKEN"] * len(values), raws]
        text = json.dumps(rec).encode()
        text += b" " * ((len(text) + 1) % 2)
        blob = zlib.compress(text + data[cut:])
        spans.append([len(out), len(blob)])
        out += blob
    return json.dumps(dict(head, records=spans)).encode() + b"\n" + out


def _stale(built: bytes) -> bytes:
    """The file as an older catalogue would have left it: another key, and a tree that lacks a symbol."""
    head = json.loads(built[:built.index(b"\n")])
    head["key"] = "1:00000000-0:00000000-0:00000000-0"
    return json.dumps(head).encode() + built[built.index(b"\n"):]


@pytest.fixture(scope="module")
def with_file(built, tmp_path_factory):
    """The evaluations of fixtures' fragments with the trees read from a good file."""
    out = tmp_path_factory.mktemp("trees") / "kconfig_trees.bin"
    out.write_bytes(built)
    frags = _fragments()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(km, "PREBUILT_TREES", out)
        _forget()
        want = _evaluations(frags)
        assert km._trees_file() is not None and all(t is not None for t, *_ in km._SHARED.values())
    _forget()
    return frags, want


@pytest.mark.parametrize("damage", ["missing", "empty", "not json", "other format", "stale", "truncated",
                                    "garbage records", "offsets out of range", "tokens that do not fit"])
def test_an_unusable_file_falls_back_to_generation_with_the_same_values(trees, built, with_file, damage):
    frags, want = with_file
    head = json.loads(built[:built.index(b"\n")])
    if damage == "empty":
        trees.write_bytes(b"")
    elif damage == "not json":
        trees.write_bytes(b"\x00\x01 not json\n" + built)
    elif damage == "other format":
        trees.write_bytes(json.dumps(dict(head, format=99)).encode() + built[built.index(b"\n"):])
    elif damage == "stale":
        trees.write_bytes(_stale(built))
    elif damage == "truncated":
        trees.write_bytes(built[:len(built) // 2])
    elif damage == "garbage records":
        trees.write_bytes(_garbage_records(built))
    elif damage == "tokens that do not fit":
        trees.write_bytes(_bad_tokens(built))
    elif damage == "offsets out of range":
        head["records"] = [[s + 10 ** 7, n] for s, n in head["records"]]
        trees.write_bytes(json.dumps(head).encode() + built[built.index(b"\n"):])
    _forget()
    if damage in ("missing", "empty", "not json", "other format", "stale"):
        assert km._trees_file() is None
    if damage == "tokens that do not fit":              # the records are used, the texts parsed
        assert km._prebuilt_shared("sysbuild", km._LATEST) is not None
    else:
        assert km._prebuilt_shared("sysbuild", km._LATEST) is None       # the last record
    got = _evaluations(frags)
    if damage == "tokens that do not fit":
        assert {type(t.kconf).__name__ for t, *_ in km._SHARED.values()} == {"_MemKconfig"}
    assert got == want and len(got) > 50


def test_a_check_with_the_prebuilt_trees_finds_what_generation_finds(trees, built, monkeypatch):
    generated = []
    real = km._generate
    monkeypatch.setattr(km, "_generate", lambda *a, **kw: generated.append(a[:2]) or real(*a, **kw))
    args = ["check", str(FIXTURES / "apps"), str(FIXTURES / "seed_bl653_dvk"), "--format", "json",
            "--no-cache", "--jobs", "1"]
    clear_parsed()
    trees.write_bytes(built)
    with_file = run_cli(args)
    assert km._SHARED and all(t is not None for t, *_ in km._SHARED.values()) and generated == []
    trees.unlink()
    _forget()
    clear_parsed()
    without = run_cli(args)
    assert len(generated) == len(km._SHARED)
    assert with_file.exit_code == without.exit_code
    a, b = json.loads(with_file.output), json.loads(without.output)
    assert a["findings"] and a["findings"] == b["findings"]
    assert a == b
