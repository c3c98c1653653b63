"""Which boards an app is built for, from what its files say, each with evidence and confidence.

Board names are read from the files as written (`boards/bl653_dvk.overlay`), resolved to a
board dfulint's tables know in any era's spelling, or to a custom board defined in the
repository (a board DTS; `.dtsi` files are includes, never boards).
"""
from __future__ import annotations

import os
import re
from pathlib import Path

from dfulint.context import STRONG, WEAK, Evidence
from dfulint.records import NamedTuple
from dfulint.sources import read_text

TYPE_CHECKING = False      # (typing.TYPE_CHECKING without importing typing)
if TYPE_CHECKING:
    from typing import Optional

_BOARD_STEM_SKIP = {"app", "prj", "mcuboot", "overlay", "sysbuild", "pm_static", "common", "default",
                    "debug", "release"}
_OTHER_CORE = r"_(cpunet|cpurad|cpuppr|cpuflpr)(?=_|$)"


def _app_core_of(name: str) -> Optional[str]:
    """The name with its first other-core part (`_cpunet`, `_cpurad`, ...) made `_cpuapp`, or None
    when it names no other core."""
    if "_cpu" not in name or not re.search(_OTHER_CORE, name):
        return None
    return re.sub(_OTHER_CORE, "_cpuapp", name, count=1)


class CustomBoard(NamedTuple):
    """A board defined in the repository."""
    name: str                 # the board as the build names it (the DTS stem)
    dts: Path
    names: tuple              # every file stem the board's files may use (full and short forms)
    default_revision: str = ""
    board_file: Optional[Path] = None    # board.yml (HWMv2) or revision.cmake (HWMv1)


class Candidate(NamedTuple):
    """A board some file names, before the era is known."""
    key: str                  # dfulint's table name of the board, or the custom board's name
    spelled: str              # the name as the file wrote it
    evidence: Evidence
    confidence: str
    kind: str                 # "file", "image-file", "custom", "cmake", "build", "west", "scenario"


# ------------------------------------------------------------------ custom boards

def _board_yml(d: Path) -> tuple[Optional[str], list[str], str, Optional[Path]]:
    """(board name, SoC names, default revision, file) of a HWMv2 board.yml in `d`."""
    from dfulint.sources.pm import load_yaml

    p = d / "board.yml"
    text = read_text(p).text if p.is_file() else None
    if not text:
        return None, [], "", None
    data = load_yaml(text)
    board = data.get("board") if isinstance(data, dict) else None
    if not isinstance(board, dict):
        boards = data.get("boards") if isinstance(data, dict) else None
        board = boards[0] if isinstance(boards, list) and boards and isinstance(boards[0], dict) else {}
    name = board.get("name")
    socs = [str(x.get("name")) for x in board.get("socs") or [] if isinstance(x, dict) and x.get("name")]
    rev = board.get("revision") if isinstance(board.get("revision"), dict) else {}
    default = rev.get("default")
    return (str(name) if name else None), socs, (str(default) if default is not None else ""), p


def _revision_cmake(d: Path) -> tuple[str, Optional[Path]]:
    p = d / "revision.cmake"
    text = read_text(p).text if p.is_file() else None
    if not text:
        return "", None
    m = re.search(r"DEFAULT_REVISION\s+\"?([A-Za-z0-9._-]+)", text)
    return (m.group(1) if m else ""), p


def is_board_dts(dts: Path) -> bool:
    """A board's DTS starts a devicetree (`/dts-v1/;`); the `_common.dts`, `_partition_conf.dts`
    files beside it in Nordic's board folders are included by it and are no boards."""
    text = read_text(dts).text
    return bool(text) and "/dts-v1/" in text


def custom_boards(root: Path, top: Path) -> dict[str, CustomBoard]:
    """Boards defined in the project: `boards/<vendor|arch>/<board>/<target>.dts` below the app or
    the repository root (and the folders between)."""
    out: dict[str, CustomBoard] = {}
    roots = [root]
    d = root
    for _ in range(6):
        if d == top or (d / ".git").exists() or (d / "west.yml").exists() or d.parent == d:
            if d != root:
                roots.append(d)
            break
        d = d.parent
        roots.append(d)
    for r in dict.fromkeys(roots):
        bdir = r / "boards"
        if not bdir.is_dir():
            continue
        from dfulint import files
        found = sorted(Path(d) / f for d, _, names in files.walk(bdir, max_depth=8, max_entries=20000)
                       for f in names if f.endswith(".dts"))
        for dts in found[:200]:
            if dts.parent.name == "boards":  # app board overlays folder, not a definition
                continue
            stem = dts.stem
            if stem in out or not is_board_dts(dts):
                continue
            bname, socs, rev, bfile = _board_yml(dts.parent)
            names = [stem]
            if bname and socs:
                # HWMv2: files may name the full target or, for one SoC, leave the SoC out
                rest = stem[len(bname):].lstrip("_") if stem.startswith(bname) else ""
                for soc in socs:
                    if rest.startswith(soc):
                        quals = rest[len(soc):].lstrip("_")
                        names += ["_".join(x for x in (bname, soc, quals) if x)]
                        if len(socs) == 1:
                            names += ["_".join(x for x in (bname, quals) if x)]
                    elif not rest and len(socs) == 1:
                        names += [f"{bname}_{soc}"]
            else:
                rev, bfile = _revision_cmake(dts.parent)
            out[stem] = CustomBoard(stem, dts, tuple(dict.fromkeys(names)), rev, bfile)
    return out


def custom_by_name(customs: dict[str, CustomBoard]) -> dict[str, str]:
    """Any file stem a custom board may be named by -> the custom board's name."""
    out: dict[str, str] = {}
    for name, cb in customs.items():
        for n in cb.names:
            out.setdefault(n, name)
            if cb.default_revision:
                out.setdefault(f"{n}_{cb.default_revision.replace('.', '_')}", name)
    return out


# ------------------------------------------------------------------ what the files name

def twister_boards(text: str, path: Optional[Path] = None) -> list[tuple[str, int]]:
    """(board, line) a sample.yaml/testcase.yaml allows or integrates, in any of its spellings."""
    from dfulint.sources.pm import load_yaml

    names: list[str] = []
    data = load_yaml(text, path)
    if isinstance(data, dict):
        scopes = [data.get("common")]
        tests = data.get("tests")
        if isinstance(tests, dict):
            scopes += list(tests.values())
        for sc in scopes:
            if not isinstance(sc, dict):
                continue
            for key in ("platform_allow", "integration_platforms"):
                v = sc.get(key)
                items = v if isinstance(v, list) else [v] if isinstance(v, str) else []
                for item in items:
                    if isinstance(item, str):
                        names += item.split()
    else:
        for m in re.finditer(r"(?:platform_allow|integration_platforms)\s*:\s*(\[[^\]]*\]|(?:\s*-\s*\S+)+|[^\n]+)",
                             text):
            names += re.findall(r"[A-Za-z0-9_@./-]+", m.group(1))
    lines = text.splitlines()
    out = []
    for n in dict.fromkeys(names):
        line = next((i for i, ln in enumerate(lines, 1) if n in ln), 1)
        out.append((n, line))
    return out


def _cmake_board(root: Path) -> Optional[tuple[str, Evidence]]:
    """`set(BOARD x)` in the app's CMakeLists.txt, before find_package(Zephyr)."""
    p = root / "CMakeLists.txt"
    text = read_text(p).text if p.is_file() else None
    if not text:
        return None
    m = "board" in text.lower() and re.search(r"^\s*set\s*\(\s*BOARD\s+\"?([A-Za-z0-9_@./-]+)\"?", text, re.M | re.I)
    if not m:
        return None
    return m.group(1), Evidence(p, text[: m.start()].count("\n") + 1, m.group(0).strip())


def candidates(root: Path, rel, files: list, customs: dict[str, CustomBoard], cache: dict,
               west_board: Optional[tuple]) -> tuple[list[Candidate], list[tuple[str, Evidence]]]:
    """Boards the app's files name, and (name, evidence) of names that look like boards but that
    neither dfulint's tables nor the repository define."""
    from dfulint import knowledge

    by_custom = custom_by_name(customs)
    out: list[Candidate] = []
    unknown: list[tuple[str, Evidence]] = []

    def resolve(stem: str) -> Optional[str]:
        if stem in by_custom:
            return by_custom[stem]
        b = knowledge.board(stem)
        return b.name if b is not None else None

    def add(stem: str, ev: Evidence, conf: str, kind: str, app_core: bool = False) -> None:
        stem = stem.strip()
        if not stem or stem in _BOARD_STEM_SKIP:
            return
        key = resolve(stem)
        if key is None:
            if kind in ("file", "image-file", "cmake", "build", "west") and \
                    knowledge.soc_for_name_hint(stem) is not None:
                unknown.append((stem, ev))
            return
        if app_core and _app_core_of(key) is not None:
            key = resolve(_app_core_of(key))
            if key is None:
                return
        out.append(Candidate(key, stem, ev, conf, kind))

    for p in files:
        r = rel(p)
        parts = r.split(os.sep)
        name = p.name
        ev = Evidence(p, 1, r)
        if name.startswith("pm_static_") and name.endswith((".yml", ".yaml")):
            add(name[len("pm_static_"):].rsplit(".", 1)[0], ev, STRONG, "file")
        elif len(parts) >= 2 and parts[-2] == "boards" and name.endswith((".overlay", ".conf")):
            # sysbuild/<image>/boards/, child_image/<image>/boards/: images other than MCUboot may run
            # on another core (ipc_radio, hci_ipc on the nRF5340 network core)
            other_image = parts[0] in ("sysbuild", "child_image") and len(parts) >= 4 and parts[1] != "mcuboot"
            # a board file of another image (sysbuild/mcuboot/boards/x.conf) says less than one of the
            # app's own: samples ship them for every board they support, and copies keep them
            image_file = parts[0] in ("sysbuild", "child_image") and len(parts) >= 4
            add(name.rsplit(".", 1)[0], ev, STRONG, "image-file" if image_file else "file", app_core=other_image)
        elif name.startswith("prj_") and name.endswith(".conf") and len(parts) == 1:
            add(name[4:-5], ev, STRONG, "file")
        elif len(parts) == 1 and name.endswith(".overlay") and name != "app.overlay":
            # <BOARD>.overlay in the application folder (Zephyr's overlay discovery)
            stem = name[:-len(".overlay")]
            if knowledge.board(stem) is not None or stem in by_custom:
                add(stem, ev, STRONG, "file")
    cm = _cmake_board(root)
    if cm:
        add(cm[0].replace("/", "_") if knowledge.board(cm[0]) is None else cm[0], cm[1], STRONG, "cmake")
    if "BOARD" in cache:
        value, ev = cache["BOARD"]
        add(value, ev, STRONG, "build")
    if west_board:
        add(west_board[0], west_board[1], STRONG, "west")
    for name, cb in customs.items():
        # a custom board's other cores (its _cpunet DTS) are targets of other images, not of this app
        if _app_core_of(name) in customs:
            continue
        out.append(Candidate(name, name, Evidence(cb.dts, 1, rel(cb.dts)), STRONG, "custom"))
    for fname in ("sample.yaml", "testcase.yaml"):
        p = root / fname
        t = read_text(p).text if p.is_file() else None
        if not t:
            continue
        for tok, line in twister_boards(t, p):
            add(tok, Evidence(p, line, f"{fname}: {tok}"), WEAK, "scenario")
    return out, unknown
