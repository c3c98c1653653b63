"""Build dfulint's knowledge tables as one file: ``python -m dfulint.knowledge.build [OUT]``.

The YAML files in this folder are the source of truth. Parsing them costs a new process more than
checking a small app, so a wheel ships them also as ``tables.bin`` (written by this module from the
package build hook, ``hatch_build.py``). The file is a line of JSON, the header, naming for each
table the checksum of the YAML it was built from and where its data lies in the rest of the file,
in the standard library's ``marshal`` format (plain data only: dicts, lists, strings, numbers,
booleans and null; it decodes in about half the time JSON takes); a run decodes only the tables it
reads. A table whose YAML has changed since is ignored and its YAML is read instead, and so is every
table when the file was written with another ``marshal`` version: an outdated file costs time, never
correctness.

The build also writes ``kconfig_trees.bin``: the Kconfig tree dfulint generates from its symbol
catalogue for each image and SDK version, with what the evaluation needs of its generation (see
``dfulint.model.kconfig.prebuilt_trees``). It is keyed by the checksum of the catalogue, the SoC
series table and the generator's code: an outdated file is ignored and the trees are generated.

Without an argument both files are written next to the YAML files (a source checkout may do this to
run as fast as an installed dfulint; the files are not kept in git). ``OUT`` writes the tables only,
``--trees OUT`` the trees only.
"""
from __future__ import annotations

import json
import marshal
import sys
import zlib
from pathlib import Path

TYPE_CHECKING = False      # (typing.TYPE_CHECKING without importing typing)
if TYPE_CHECKING:
    from typing import Any, Optional

HERE = Path(__file__).resolve().parent
FILE_NAME = "tables.bin"
TREES_NAME = "kconfig_trees.bin"
FORMAT = 3


def fingerprint(data: bytes) -> str:
    """The checksum a table is keyed by: CRC-32 and length of its YAML's bytes."""
    return f"{zlib.crc32(data):08x}-{len(data)}"


def parse_yaml(data: bytes) -> Any:
    import yaml

    loader = getattr(yaml, "CSafeLoader", None) or yaml.SafeLoader
    return yaml.load(data.decode("utf-8"), Loader=loader)


def bundle(folder: Path = HERE) -> dict:
    """Every ``*.yaml`` table of `folder` with its checksum, as plain JSON data.

    A table JSON cannot hold exactly (a key that is not a string, a date) is left out: dfulint
    then reads that table's YAML at run time, and tests/test_knowledge_build.py fails."""
    tables = {}
    for path in sorted(folder.glob("*.yaml")):
        raw = path.read_bytes()
        data = parse_yaml(raw)
        if json.loads(json.dumps(data)) != data or not _plain(data):
            continue
        tables[path.name] = {"fingerprint": fingerprint(raw), "data": data}
    return {"format": FORMAT, "tables": tables}


def _plain(x: Any) -> bool:
    """Only what JSON gives back unchanged: dicts with string keys, lists, strings, numbers, booleans, null."""
    if isinstance(x, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in x.items())
    if isinstance(x, list):
        return all(_plain(v) for v in x)
    return x is None or isinstance(x, (str, int, float, bool))


def encode(doc: dict) -> bytes:
    """The bytes of the file for bundle()'s `doc`: a header line of JSON ``{"format": FORMAT,
    "marshal": marshal.version, "tables": {name: {"fingerprint": ..., "at": [offset, length]}}}``,
    then each table's data, marshalled, at `offset` bytes after the header's newline."""
    head: dict = {}
    body: list = []
    pos = 0
    for name, entry in sorted(doc["tables"].items()):
        data = marshal.dumps(entry["data"])
        head[name] = {"fingerprint": entry["fingerprint"], "at": [pos, len(data)]}
        body.append(data)
        pos += len(data)
    line = json.dumps({"format": doc["format"], "marshal": marshal.version, "tables": head},
                      separators=(",", ":"), sort_keys=True)
    return line.encode("utf-8") + b"\n" + b"".join(body)


def decode_table(data: bytes) -> Any:
    """One table's data as encode() wrote it (ValueError if it is not a table's dict or list; its
    content is not walked: the header's checksums say which table it is)."""
    try:
        value = marshal.loads(data)
    except (EOFError, TypeError, ValueError) as e:
        raise ValueError(f"not a table: {e}") from None
    if type(value) not in (dict, list):
        raise ValueError("not a table")
    return value


def decode(data: bytes) -> dict:
    """bundle()'s document back from the bytes encode() wrote (ValueError if they are not such)."""
    cut = data.index(b"\n")
    head = json.loads(data[:cut])
    if head.get("marshal") != marshal.version:
        raise ValueError("written with another marshal version")
    body = data[cut + 1:]
    tables = {}
    for name, entry in head["tables"].items():
        start, size = entry["at"]
        tables[name] = {"fingerprint": entry["fingerprint"], "data": decode_table(body[start:start + size])}
        if not _plain(tables[name]["data"]):
            raise ValueError(f"{name}: holds more than plain data")
    return {"format": head["format"], "tables": tables}


def write(out: Path, folder: Path = HERE) -> dict:
    doc = bundle(folder)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_bytes(encode(doc))
    tmp.replace(out)
    return doc


def trees_command(root: Path, out: Path) -> list:
    """The command that writes the generated Kconfig trees to `out` with the dfulint package of
    source tree `root` (dfulint.model.kconfig.write_prebuilt_trees; run as a process of its own:
    the generator is dfulint itself, which this module, read by dfulint's knowledge loader, must
    not import)."""
    code = ("import sys; sys.path.insert(0, sys.argv[1]); from dfulint.model.kconfig import write_prebuilt_trees; "
            "print(write_prebuilt_trees(sys.argv[2]))")
    return [sys.executable, "-c", code, str(root), str(out)]


def write_trees(out: Path, root: Path = HERE.parent.parent) -> int:
    """Write the generated Kconfig trees of source tree `root`; their size in bytes."""
    import subprocess

    p = subprocess.run(trees_command(root, out), check=True, capture_output=True, text=True)
    return int(p.stdout.split()[-1])


def main(argv: Optional[list] = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["--trees"] and len(args) == 2:
        size = write_trees(Path(args[1]))
        print(f"wrote {args[1]} ({size} bytes)")
        return 0
    if not args:
        size = write_trees(HERE / TREES_NAME)
        print(f"wrote {HERE / TREES_NAME} ({size} bytes)")
    out = Path(args[0]) if args else HERE / FILE_NAME
    doc = write(out)
    skipped = sorted({p.name for p in HERE.glob("*.yaml")} - set(doc["tables"]))
    print(f"wrote {out} ({len(doc['tables'])} tables)")
    if skipped:
        print(f"not representable as JSON, read from YAML at run time: {', '.join(skipped)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
