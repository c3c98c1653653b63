"""dfulint's own knowledge ships pre-built: the JSON tables equal their YAML source, are used when
their checksum matches, and are ignored (the YAML is read) when it does not."""
import functools
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from dfulint import knowledge as k
from dfulint.knowledge import build

KDIR = Path(k.__file__).resolve().parent
ROOT = KDIR.parent.parent


def _clear_caches():
    for obj in vars(k).values():
        if isinstance(obj, functools._lru_cache_wrapper):
            obj.cache_clear()


@pytest.fixture
def prebuilt(tmp_path, monkeypatch):
    """Point dfulint at a built tables file written into a test folder."""
    out = tmp_path / build.FILE_NAME
    monkeypatch.setattr(k, "PREBUILT", out)
    _clear_caches()
    yield out
    monkeypatch.undo()
    _clear_caches()


def test_every_table_is_built_and_equals_its_yaml():
    doc = build.bundle()
    assert set(doc["tables"]) == {p.name for p in KDIR.glob("*.yaml")}     # none left to YAML at run time
    for name, entry in doc["tables"].items():
        raw = (KDIR / name).read_bytes()
        assert entry["data"] == yaml.safe_load(raw.decode("utf-8")), name
        assert entry["fingerprint"] == build.fingerprint(raw)
        assert json.loads(json.dumps(entry["data"])) == entry["data"]


def test_the_built_file_is_what_load_table_returns(prebuilt, monkeypatch):
    build.write(prebuilt)

    def no_yaml(data):
        raise AssertionError("parsed YAML although the built table matches")

    monkeypatch.setattr(build, "parse_yaml", no_yaml)
    for p in KDIR.glob("*.yaml"):
        assert k.load_table(p) == yaml.safe_load(p.read_text(encoding="utf-8")), p.name


def test_a_table_whose_yaml_changed_is_read_from_the_yaml(prebuilt, monkeypatch):
    doc = build.write(prebuilt)
    doc["tables"]["socs.yaml"]["fingerprint"] = "00000000-0"
    doc["tables"]["socs.yaml"]["data"] = {"socs": []}              # what an outdated file would hold
    prebuilt.write_bytes(build.encode(doc))
    parsed = []
    real = build.parse_yaml
    monkeypatch.setattr(build, "parse_yaml", lambda data: parsed.append(1) or real(data))
    socs = k.load_table(KDIR / "socs.yaml")
    assert parsed == [1] and len(socs["socs"]) >= 15
    assert k.load_table(KDIR / "jedec.yaml")["parts"] and parsed == [1]     # still built


@pytest.mark.parametrize("content", [b"", b"not json", b'{"format": 99, "tables": {}}', b"[1, 2]",
                                     b'{"format": 1, "tables": {"socs.yaml": 5}}'])
def test_a_broken_or_foreign_file_costs_time_not_correctness(prebuilt, content):
    prebuilt.write_bytes(content)
    assert len(k.load_table(KDIR / "socs.yaml")["socs"]) >= 15


def test_the_regeneration_command_writes_the_file(tmp_path):
    out = tmp_path / "t.json"
    p = subprocess.run([sys.executable, "-m", "dfulint.knowledge.build", str(out)], cwd=ROOT,
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert build.decode(out.read_bytes()) == build.bundle()
    trees = tmp_path / build.TREES_NAME
    p = subprocess.run([sys.executable, "-m", "dfulint.knowledge.build", "--trees", str(trees)], cwd=ROOT,
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    from dfulint.model import kconfig

    assert trees.read_bytes() == kconfig.prebuilt_trees()


def test_a_wheel_carries_the_built_tables(tmp_path):
    """The package build hook (hatch_build.py) puts the tables into the wheel."""
    pytest.importorskip("hatchling")
    import zipfile

    code = "import sys; from hatchling.build import build_wheel; print(build_wheel(sys.argv[1]))"
    p = subprocess.run([sys.executable, "-c", code, str(tmp_path)], cwd=ROOT, capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    with zipfile.ZipFile(tmp_path / p.stdout.strip().splitlines()[-1]) as z:
        doc = build.decode(z.read(f"dfulint/knowledge/{build.FILE_NAME}"))
        trees = z.read(f"dfulint/knowledge/{build.TREES_NAME}")
        names = set(z.namelist())
    assert doc == build.bundle()
    from dfulint.model import kconfig

    assert trees == kconfig.prebuilt_trees()            # the generated Kconfig trees, for this catalogue
    assert {f"dfulint/knowledge/{p.name}" for p in KDIR.glob("*.yaml")} <= names     # the source ships too


def _damaged(doc: dict, names, how: str) -> bytes:
    """The built file with the JSON text (or the place) of the tables `names` damaged."""
    data = build.encode(doc)
    cut = data.index(b"\n")
    head = json.loads(data[:cut])
    body = bytearray(data[cut + 1:])
    for name in [names] if isinstance(names, str) else names:
        start, size = head["tables"][name]["at"]
        if how == "text":
            body[start:start + size] = b"\xff" * size          # same length, not a table
        elif how == "beyond":
            head["tables"][name]["at"] = [len(body), size]
        else:
            head["tables"][name]["at"] = "nowhere"
    return json.dumps(head).encode("utf-8") + b"\n" + bytes(body)


def test_a_file_marshalled_in_another_format_is_not_read(prebuilt, monkeypatch):
    import marshal

    data = build.encode(build.bundle())
    cut = data.index(b"\n")
    head = json.loads(data[:cut])
    head["marshal"] = marshal.version + 1
    prebuilt.write_bytes(json.dumps(head).encode("utf-8") + data[cut:])
    parsed = []
    real = build.parse_yaml
    monkeypatch.setattr(build, "parse_yaml", lambda data: parsed.append(1) or real(data))
    assert len(k.load_table(KDIR / "socs.yaml")["socs"]) >= 15 and parsed == [1]


@pytest.mark.parametrize("how", ["text", "beyond", "place"])
def test_a_damaged_table_is_read_from_its_yaml_and_the_others_from_the_file(prebuilt, monkeypatch, how):
    doc = build.bundle()
    prebuilt.write_bytes(_damaged(doc, "socs.yaml", how))
    parsed = []
    real = build.parse_yaml
    monkeypatch.setattr(build, "parse_yaml", lambda data: parsed.append(1) or real(data))
    assert k.load_table(KDIR / "socs.yaml") == doc["tables"]["socs.yaml"]["data"] and parsed == [1]
    assert k.load_table(KDIR / "boards.yaml") == doc["tables"]["boards.yaml"]["data"] and parsed == [1]
    assert k.soc("nrf52840").flash_size == 0x100000


def _only_readable(prebuilt, monkeypatch, readable: set) -> None:
    """A built file whose tables other than `readable` fail to decode, and YAML that cannot be parsed:
    reading any other table fails the test."""
    doc = build.bundle()
    prebuilt.write_bytes(_damaged(doc, sorted(set(doc["tables"]) - readable), "text"))

    def no_yaml(data):
        raise AssertionError("read a table the lookup does not need")

    monkeypatch.setattr(build, "parse_yaml", no_yaml)


def test_a_board_lookup_decodes_the_board_and_soc_tables_only(prebuilt, monkeypatch):
    _only_readable(prebuilt, monkeypatch, {"boards.yaml", "socs.yaml"})
    b = k.board("nrf52840dk/nrf52840")
    assert b is not None and b.soc == "nrf52840" and k.soc(b.soc).family == "nrf52"
    assert k.board_file_stems("xiao_ble/nrf52840/sense") == ["xiao_ble_nrf52840_sense", "xiao_ble_sense"]
    # and it makes the records of what it is asked for, not of every row
    assert k._board_record.cache_info().currsize <= 2 and k._soc_record.cache_info().currsize <= 2


def test_a_jedec_lookup_decodes_the_jedec_table_only(prebuilt, monkeypatch):
    _only_readable(prebuilt, monkeypatch, {"jedec.yaml"})
    assert k.jedec_capacity("c2 28 17") == 8 << 20
    assert k.jedec_part([0xC2, 0x28, 0x17]).startswith("Macronix MX25R6435F")


def test_every_jedec_row_is_found_by_its_id_in_any_spelling():
    data = yaml.safe_load((KDIR / "jedec.yaml").read_text(encoding="utf-8"))
    last = {}
    for row in data["parts"]:
        last[k.parse_jedec_id(row["id"])] = row           # a later row with the same ID wins
    for jid, row in last.items():
        for spelling in (jid, jid.hex(" ").upper(), "0x" + jid.hex(), f"[{jid.hex(' ')}]", list(jid)):
            p = k.jedec_lookup(spelling)
            assert p is not None and (p.part, p.size) == (row["part"], int(row["size"])), (spelling, row)
    assert k.jedec_lookup("00 00 00") is None and k.jedec_capacity("c8 40 ff") is None


def test_a_check_of_an_app_without_flash_ids_reads_no_jedec_table(monkeypatch):
    from dfulint.engine import Options, run

    for obj in vars(k).values():
        if isinstance(obj, functools._lru_cache_wrapper):
            obj.cache_clear()
    read = []
    real = k.load_table
    monkeypatch.setattr(k, "load_table", lambda path: read.append(Path(path).name) or real(path))
    try:
        res = run([ROOT / "fixtures" / "apps" / "ncs28_foundation_sysbuild_clean"], Options())
        assert res.apps and "boards.yaml" in read
        assert "jedec.yaml" not in read
    finally:
        monkeypatch.undo()
        _clear_caches()


@pytest.mark.parametrize("spelling", ["0xC22817", "C2 28 17", "[c2, 28, 17]", "c2  28 17", [0xC2, 0x28, 0x17]])
def test_a_later_row_naming_an_id_in_another_spelling_wins(monkeypatch, spelling):
    real = k.load_table

    def load_table(path):
        data = real(path)
        if Path(path).name == "jedec.yaml":
            data = dict(data, parts=list(data["parts"]) + [
                {"id": spelling, "part": "LATER", "size": 1 << 20, "source": "flashrom"},
                {"id": "zz 28 17", "part": "BROKEN", "size": 1, "source": "flashrom"}])
        return data

    monkeypatch.setattr(k, "load_table", load_table)
    _clear_caches()
    try:
        assert k.jedec_lookup("c2 28 17").part == "LATER" and k.jedec_capacity([0xC2, 0x28, 0x17]) == 1 << 20
        assert k.jedec_lookup("c2 28 16").part == "MX25R3235F"
        assert sorted(k.validate()) == ["jedec.yaml: bad id in {'id': 'zz 28 17', 'part': 'BROKEN', 'size': 1, "
                                        "'source': 'flashrom'}", "jedec.yaml: duplicate id " + str(spelling)]
    finally:
        monkeypatch.undo()
        _clear_caches()


def test_validate_still_reports_what_is_wrong_with_board_rows(monkeypatch):
    """Board records are made on demand, but validate() makes them all and reports every bad row."""
    real = k.load_table
    extra = [
        {"name": "acme_x_nrf0000", "target": "acme_x/nrf0000", "soc": "nrf0000", "source": "test row"},
        {"name": "acme_y_nrf52840", "target": "acme_y/nrf52840", "soc": "nrf52840", "like": "nowhere",
         "source": "test row"},
        {"name": "acme_z_nrf52840", "target": "nrf52840dk/nrf52840", "soc": "nrf52840", "source": "test row"},
        {"name": "acme_w_nrf52840", "target": "acme_w/nrf52840", "soc": "nrf52840",
         "nodes": ["not a node"], "source": "test row"},
    ]

    def load_table(path):
        data = real(path)
        if Path(path).name == "boards.yaml":
            data = dict(data, boards=list(data["boards"]) + extra)
        return data

    monkeypatch.setattr(k, "load_table", load_table)
    _clear_caches()
    try:
        got = k.validate()
        assert "boards.yaml: acme_x_nrf0000: unknown soc nrf0000" in got
        assert "boards.yaml: acme_y_nrf52840: bad 'like: nowhere'" in got
        assert any("names both nrf52840dk_nrf52840 and acme_z_nrf52840" in p for p in got)
        assert any(p.startswith("boards.yaml: acme_w_nrf52840: malformed node") for p in got)
        assert len(got) == 4
        assert k.board("acme_y/nrf52840") is None and k.board("acme_x/nrf0000").soc == "nrf0000"
    finally:
        monkeypatch.undo()
        _clear_caches()


def test_an_mcuboot_board_lookup_gives_the_first_fragment_in_table_order_and_makes_only_its_own():
    _clear_caches()
    frags = k.mcuboot_board_fragments()

    def first(stems, sym, low, high):         # the table read in order, as the lookup is specified
        for f in frags:
            if f.board in stems and sym in f.values and not (high < f.since or (f.until is not None and low >= f.until)):
                return f.values[sym], f.source, low >= f.since and (f.until is None or high < f.until)
        return None, "", True

    boards = sorted({f.board for f in frags})
    syms = sorted({s for f in frags for s in f.values})
    for i, board in enumerate(boards):
        stems = [board, boards[(i + 7) % len(boards)], "no_such_board"]
        for sym in syms:
            for low, high in (((1, 9, 0), (1, 9, 0)), ((2, 4, 0), (2, 9, 0)), ((3, 2, 0), (3, 2, 0))):
                assert k.mcuboot_board_value(stems, sym, low, high) == first(set(stems), sym, low, high)
    _clear_caches()
    k.mcuboot_board_value(["thingy91_nrf9160"], "BOOT_MAX_IMG_SECTORS", (2, 4, 0), (2, 4, 0))
    made = k._mcuboot_fragment.cache_info().currsize
    assert 1 <= made <= sum(f.board == "thingy91_nrf9160" for f in frags) < len(frags)
