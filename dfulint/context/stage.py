"""The context decision for one app: boards, SDK, era, build system (see dfulint/context/__init__.py)."""
from __future__ import annotations

import os
from pathlib import Path

from dfulint.context import GIVEN, RANK, STRONG, WEAK, AppContext, BoardContext, Evidence
from dfulint.context import naming
from dfulint.context import sdk as sdkmod
from dfulint.context.boards import candidates, custom_boards

TYPE_CHECKING = False      # (typing.TYPE_CHECKING without importing typing)
if TYPE_CHECKING:
    from typing import Optional


class Resolved:
    """What describe_app needs besides the AppContext."""

    def __init__(self) -> None:
        self.context: Optional[AppContext] = None
        self.custom_boards: dict = {}
        self.custom_info: dict = {}
        self.west_root: Optional[Path] = None
        self.build_dir: Optional[Path] = None


def _era_hint(cands) -> Optional[str]:
    """The era the app's own board file names allow, when they allow only one."""
    eras = set()
    for c in cands:
        if c.kind != "file":
            continue
        e = naming.stem_eras(c.spelled)
        if len(e) == 1:
            eras |= e
    return eras.pop() if len(eras) == 1 else None


def _board_option(given: str) -> str:
    """A --board value in the name form dfulint uses: `nrf52840dk/nrf52840` -> `nrf52840dk_nrf52840`,
    keeping a revision (`nrf9160dk@0.14.0/nrf9160/ns` -> `nrf9160dk_nrf9160_ns@0.14.0`) so that the
    revision's board files and devicetree apply."""
    from dfulint import knowledge

    given = given.strip()
    b = knowledge.board(given)
    if b is None:
        return given
    return f"{b.name}@{b.revision}" if b.revision else b.name


def resolve_app(root: Path, files: list, boards=(), sdk_version: Optional[str] = None,
                build_dir: Optional[Path] = None, top: Optional[Path] = None,
                boards_origin: str = "--board", sdk_origin: str = "--sdk-version",
                has_sysbuild: bool = False, has_child: bool = False,
                config_dir_board: Optional[str] = None) -> Resolved:
    from dfulint import knowledge

    res = Resolved()
    given_top = top
    top = top or sdkmod.repo_root(root)

    def rel(p: Path) -> str:
        try:
            return str(p.relative_to(root))
        except ValueError:
            try:
                return str(p.relative_to(top.parent))
            except ValueError:
                return str(p)

    # build directory
    if build_dir:
        res.build_dir = build_dir
    else:
        d = root / "build"
        if any((d / r).is_file() for r in ("zephyr/.config", "partitions.yml", "zephyr/zephyr.dts",
                                           "mcuboot/zephyr/zephyr.dts", "mcuboot/zephyr/.config")):
            res.build_dir = d
    cache = sdkmod.cmake_cache(res.build_dir)
    ws, ws_ev = sdkmod.west_workspace(root)
    res.west_root = ws
    west_board = sdkmod.west_config_board(ws) if ws is not None and (ws / ".west").is_dir() else None

    customs = custom_boards(root, top)
    res.custom_info = customs
    res.custom_boards = {n: cb.dts for n, cb in customs.items()}
    cands, unknown = candidates(root, rel, files, customs, cache, west_board)
    names = {rel(p) for p in files}

    # the SDK
    known_boards = [knowledge.board(c.key) for c in cands if c.kind != "scenario"] or \
                   [knowledge.board(c.key) for c in cands]
    given = [b for b in boards if str(b).strip()]
    if given:
        known_boards = [knowledge.board(b) for b in given]
    dec = sdkmod.decide(root, files, names, sdk_version, has_sysbuild, has_child, known_boards, customs,
                        cache, _era_hint(cands), sdk_origin, given_top,
                        sysbuild_config=any(n == "sysbuild.conf" or n.startswith("sysbuild" + os.sep) for n in names))
    low, high = dec.sdk.range
    era = naming.era_of(dec.framework, low, high)

    # the boards
    out: list[BoardContext] = []
    notes: list[str] = []
    if given:
        for g in given:
            name = _board_option(g)
            b = knowledge.board(name)
            if b is not None and era == naming.HWMV1:
                v1 = naming.hwmv1_name(b)
                if v1:
                    name = f"{v1}@{b.revision}" if "@" in name else v1
            if any(x.name == name for x in out):
                continue
            custom = name in customs
            stems = _stems(name, era, customs)
            note = ""
            if b is None and not custom:
                note = f"board {g} is not in dfulint's tables nor defined in the repository: checked with " \
                       "what its files and name tell"
            out.append(BoardContext(name, naming.display_name(name, era) if b else name, GIVEN,
                                    (Evidence(None, 0, f"{boards_origin} {g}"),), tuple(stems), b is not None,
                                    custom, note))
    elif config_dir_board:
        b = knowledge.board(config_dir_board)
        name = b.name if b else config_dir_board
        out.append(BoardContext(name, naming.display_name(name, era), STRONG,
                                (Evidence(root, 1, f"configuration/{root.name}"),),
                                tuple(_stems(name, era, customs)), b is not None, False))
    else:
        by_key: dict[str, list] = {}
        for c in cands:
            by_key.setdefault(c.key, []).append(c)
        # boards the app's own files name (its board files, pm_static, a custom board, CMake, the build):
        # when there are such, a board only other images' board files name (sysbuild/mcuboot/boards/x,
        # left over from a copied sample) is as weak as a test scenario
        own = {k for k, cs in by_key.items() if any(c.confidence == STRONG and c.kind != "image-file" for c in cs)}
        for key, cs in by_key.items():
            cs.sort(key=lambda c: (-RANK[c.confidence], c.kind == "image-file"))
            conf = cs[0].confidence
            if own and key not in own and conf == STRONG:
                conf = WEAK
            custom = key in customs
            b = knowledge.board(key) if not custom else None
            name = key
            if b is not None and era == naming.HWMV1:
                name = naming.hwmv1_name(b) or key
            stems = _stems(name, era, customs)
            note = ""
            if b is not None:
                # files named for another era than the SDK's are never read by this build
                stale = [c for c in cs if c.kind == "file" and c.spelled not in stems
                         and not c.spelled.startswith(tuple(stems))]
                if stale and len(stale) == len([c for c in cs if c.kind == "file"]) and era != naming.EITHER:
                    note = (f"{', '.join(rel(c.evidence.path) for c in stale[:3])} "
                            f"{'is' if len(stale) == 1 else 'are'} named for "
                            f"{'hardware model v2 (NCS 2.7+)' if era == naming.HWMV1 else 'the board name before NCS 2.7'}"
                            f"; this build looks for {', '.join(stems)}")
            if conf == WEAK:
                note = (note + "; " if note else "") + "named only by " + \
                    ", ".join(dict.fromkeys(rel(c.evidence.path) for c in cs)) + \
                    (", with nothing board-specific in the app" if not own else
                     ", not by the app's own board files (which name other boards)")
            out.append(BoardContext(name, naming.display_name(name, era) if b else name, conf,
                                    tuple(c.evidence for c in cs), tuple(stems), b is not None or custom,
                                    custom, note))
        # names that look like boards but that no table or repository defines: checked only when
        # nothing better names the app's board, and never when they are a known board's name with
        # a suffix (`nrf52840dk_nrf52840_release.overlay`, a FILE_SUFFIX or build-type variant)
        known_stems = [s for b in out for s in b.stems] + [n for cb in customs.values() for n in cb.names]
        has_strong = any(b.confidence in (GIVEN, STRONG) for b in out)
        seen_unknown = set()
        for stem, ev in unknown:
            if stem in seen_unknown or knowledge.soc(stem) is not None or \
                    any(stem.startswith(k + "_") or stem == k for k in known_stems) or \
                    any(knowledge.board(stem[:i]) is not None for i in range(len(stem)) if stem[i] == "_"):
                continue
            seen_unknown.add(stem)
            if has_strong:
                notes.append(f"{ev.render(root)} names {stem}, a board dfulint does not know; not checked "
                             "(pass --board to check it)")
                continue
            soc = knowledge.soc_for_name_hint(stem)
            out.append(BoardContext(stem, stem, STRONG, (ev,), (stem,), False, False,
                                    f"board {stem} is not in dfulint's tables nor defined in the repository: "
                                    f"SoC {getattr(soc, 'name', '?')} assumed from its name, no board "
                                    "devicetree nodes"))
        out = _rule_out_by_flash(root, out, rel)
        out.sort(key=lambda b: (b.foreign, -RANK[b.confidence], b.name))
        if not out:
            notes.append("no board found in the app's files: only board-independent rules ran; pass "
                         "--board NAME (or set `boards` in the configuration file) to check a board")

    # the build system
    fw = dec.framework
    sdk = dec.sdk
    if fw == "zephyr":
        bs, bs_src = "zephyr", "plain Zephyr (devicetree partitions)"
    elif sdk.at_least(3, 0):
        bs, bs_src = "sysbuild", f"NCS {sdk}: sysbuild only"
    elif sdk.at_least(2, 7):
        if has_sysbuild or not has_child:
            bs, bs_src = "sysbuild", f"NCS {sdk}: sysbuild is the default"
        else:
            bs, bs_src = "child_image", "child_image/ and no sysbuild files"
    else:
        bs, bs_src = "child_image", f"NCS {sdk}: child/parent images"
    bs_conf = dec.confidence if not (has_sysbuild or has_child) else STRONG

    res.context = AppContext(root, fw, dec.framework_confidence, dec.framework_evidence, sdk, dec.confidence,
                             dec.evidence, era, bs, bs_src, bs_conf, tuple(out), tuple(notes),
                             dec.framework_detail)
    return res


def _rule_out_by_flash(root: Path, boards: list, rel) -> list:
    """Boards whose internal flash cannot hold the app's own pm_static.yml (no board-specific one),
    while another candidate board's can: the app is not built for them (a platform list copied with a
    sample names them). They stay listed, checked at low confidence."""
    from dfulint import knowledge
    from dfulint.sources.pm import parse_pm

    p = root / "pm_static.yml"
    if not p.is_file() or len(boards) < 2:
        return boards
    pm = parse_pm(p)
    end = 0
    for name, part in pm.partitions.items():
        region = part.str("region") or "flash_primary"
        addr, size = part.int("address"), part.int("size")
        if region == "flash_primary" and addr is not None and size is not None and addr < 0x10000000:
            end = max(end, addr + size)
    if not end:
        return boards

    def capacity(b) -> Optional[int]:
        kb = knowledge.board(b.name) if b.known and not b.custom else None
        soc = knowledge.soc(kb.soc) if kb is not None else None
        if soc is None or any((root / f"pm_static_{s}.yml").is_file() for s in b.stems):
            return None
        return (soc.flash_base or 0) + soc.flash_size

    caps = {b.name: capacity(b) for b in boards}
    if not any(c is not None and c >= end for c in caps.values()):
        return boards
    out = []
    for b in boards:
        c = caps[b.name]
        if c is not None and c < end and b.confidence != GIVEN:
            b = b._replace(foreign=True, note=(b.note + "; " if b.note else "") +
                           f"its flash (ends at {c:#x}) cannot hold pm_static.yml (ends at {end:#x}), which "
                           "another board's can: the app is not built for it")
        out.append(b)
    return out


def _stems(name: str, era: str, customs: dict) -> list[str]:
    from dfulint import knowledge

    if name in customs:
        cb = customs[name]
        base = list(cb.names)
        if cb.default_revision:
            rev = cb.default_revision.replace(".", "_")
            base = [f"{n}_{rev}" for n in base] + base
        return base
    if knowledge.board(name) is None:
        head, rev, quals = knowledge.split_board(name)
        plain = head + ("_" + quals.replace("/", "_") if quals else "")
        return naming.hwmv1_stems(plain, rev)
    return naming.board_stems(name, era)
