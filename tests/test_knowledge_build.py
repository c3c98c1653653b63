"""dfulint's own knowledge ships pre-built: the JSON tables equal their YAML source, are used when
their checksum matches, and are ignored (the YAML is read) when it does not."""
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


@pytest.fixture
def prebuilt(tmp_path, monkeypatch):
    """Point dfulint at a tables.json written into a test folder."""
    out = tmp_path / build.FILE_NAME
    monkeypatch.setattr(k, "PREBUILT", out)
    k._prebuilt.cache_clear()
    yield out
    k._prebuilt.cache_clear()


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
    prebuilt.write_text(json.dumps(doc), encoding="utf-8")
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
    assert json.loads(out.read_text(encoding="utf-8")) == build.bundle()
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
        doc = json.loads(z.read("dfulint/knowledge/tables.json"))
        trees = z.read(f"dfulint/knowledge/{build.TREES_NAME}")
        names = set(z.namelist())
    assert doc == build.bundle()
    from dfulint.model import kconfig

    assert trees == kconfig.prebuilt_trees()            # the generated Kconfig trees, for this catalogue
    assert {f"dfulint/knowledge/{p.name}" for p in KDIR.glob("*.yaml")} <= names     # the source ships too
