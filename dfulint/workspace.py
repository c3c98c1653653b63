"""What to lint: app folders, their boards, the build system and SDK version, and any west
workspace or build directory next to them. Only file names and small manifests are read here."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, NamedTuple, Optional

from dfulint.sources import read_text
from dfulint.sources.pm import load_yaml

SKIP_DIRS = {"child_image", "sysbuild", "boards", "socs", "src", "include", "lib", "drivers",
             "doc", "docs", "node_modules", "dts", "scripts", "tests_data", "keys", "__pycache__"}
NCS_ONLY_SYMBOLS = re.compile(
    r"^(SB_)?CONFIG_(PM_|PARTITION_MANAGER|NCS_|NRF_CLOUD|FPROTECT|SB_|NRF53_|PCD|DFU_TARGET|"
    r"SECURE_BOOT|BUILD_S1|NETCORE_APP_UPDATE|MCUBOOT_NRF53|PM_EXTERNAL)", re.M)


class SdkVersion(NamedTuple):
    """The NCS version an app is built with, exact or a range, and how it was found."""
    version: tuple[int, int, int]     # the version the model is built for (best guess when not exact)
    source: str          # how it was found, shown to the user
    exact: bool          # from a manifest or the user, not guessed from conventions
    low: Optional[tuple[int, int, int]] = None    # when guessed: the range the files' conventions allow
    high: Optional[tuple[int, int, int]] = None

    def __str__(self) -> str:
        return ".".join(map(str, self.version))

    @property
    def range(self) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
        """(lowest, highest) version the project can be on: rules that depend on the version use
        the end of the range that cannot produce a false alarm."""
        if self.exact:
            return self.version, self.version
        return self.low or (1, 0, 0), self.high or (99, 0, 0)

    def at_least(self, *v: int) -> bool:
        return self.version >= tuple(v) + (0,) * (3 - len(v))


def parse_version(text: str) -> Optional[tuple[int, int, int]]:
    m = re.search(r"v?(\d+)\.(\d+)(?:\.(\d+))?", text or "")
    if not m:
        return None
    return int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)


@dataclass(eq=False)
class App:
    """An app folder: its files, framework, build system, SDK version and boards."""
    root: Path
    files: list[Path]                  # every file below the app (bounded), relative order stable
    framework: str = "ncs"             # "ncs" or "zephyr"
    framework_source: str = ""
    build_system: str = "child_image"  # "child_image", "sysbuild", "zephyr"
    build_system_source: str = ""
    sdk: SdkVersion = SdkVersion((2, 6, 0), "default", False)
    boards: list[str] = field(default_factory=list)
    board_sources: dict[str, str] = field(default_factory=dict)
    custom_boards: dict[str, Path] = field(default_factory=dict)  # board name -> its DTS file
    build_dir: Optional[Path] = None
    west_root: Optional[Path] = None   # a west workspace (.west/ above the app) or ZEPHYR_BASE's parent
    is_mcuboot: bool = False           # the folder is MCUboot's own Zephyr application
    # for a per-board configuration folder (configuration/<board>, passed to the build as
    # APPLICATION_CONFIG_DIR): the application's source folder, which keeps Kconfig.sysbuild and
    # the sysbuild/<image> folders the configuration folder does not have
    source_dir: Optional[Path] = None

    def sysbuild_path(self, rel: str) -> Path:
        """A sysbuild input (sysbuild.conf, Kconfig.sysbuild, sysbuild/...) as the build finds it:
        in the configuration folder, else in the application's source folder."""
        p = self.root / rel
        if self.source_dir is not None and not p.exists() and (self.source_dir / rel).exists():
            return self.source_dir / rel
        return p
    scenarios: list = field(default_factory=list)   # sample.yaml/testcase.yaml scenarios with extra files

    def scenario_for(self, stems: list[str]) -> Optional[dict]:
        """The first test scenario that builds this board with extra overlays or fragments."""
        for sc in self.scenarios:
            if any(s in sc["boards"] for s in stems):
                return sc
        return None

    def rel(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.root))
        except ValueError:
            return str(path)

    def has(self, rel: str) -> bool:
        return (self.root / rel).exists()

    def path(self, rel: str) -> Path:
        return self.root / rel

    def glob(self, pattern: str) -> list[Path]:
        return sorted(p for p in self.root.glob(pattern) if p.is_file())


# ---------------------------------------------------------------- finding apps

def _is_app_dir(d: Path, names: set[str]) -> bool:
    if "prj.conf" in names:
        return True
    if "CMakeLists.txt" in names:
        t = read_text(d / "CMakeLists.txt").text or ""
        if re.search(r"find_package\s*\(\s*(Zephyr|NCS)\b", t):
            return True
    return False


def find_apps(paths: Iterable[Path], max_apps: int = 5000) -> list[Path]:
    """App folders at or below each path. build*/, hidden and image-config folders are skipped."""
    out: list[Path] = []
    seen = set()
    for top in paths:
        top = top.resolve()
        if top.is_file():
            top = top.parent
        for dirpath, dirnames, filenames in os.walk(top):
            d = Path(dirpath)
            dirnames[:] = sorted(n for n in dirnames if not n.startswith(".") and not n.startswith("build")
                                 and n not in SKIP_DIRS and not (d / n).is_symlink())
            if _is_app_dir(d, set(filenames)) and d not in seen:
                seen.add(d)
                out.append(d)
                if len(out) >= max_apps:
                    return out
    return out


def _app_files(root: Path, limit: int = 4000) -> list[Path]:
    files = []
    for dirpath, dirnames, filenames in os.walk(root):
        d = Path(dirpath)
        dirnames[:] = sorted(n for n in dirnames if not n.startswith(".") and not n.startswith("build")
                             and n not in ("src", "include", "lib", "drivers", "doc", "docs", "node_modules")
                             and not (d / n).is_symlink())
        # nested apps are linted on their own
        if d != root and _is_app_dir(d, set(filenames)) and d.parent.name not in ("child_image", "sysbuild"):
            dirnames[:] = []
            continue
        for f in sorted(filenames):
            if f.startswith("."):       # .checkpatch.conf, .clang-format...: never a build input
                continue
            files.append(d / f)
            if len(files) >= limit:
                return files
    return files


# ---------------------------------------------------------------- SDK version

def _west_manifests(root: Path) -> Iterable[Path]:
    d = root
    for _ in range(8):
        for name in ("west.yml", "west.yaml"):
            if (d / name).is_file():
                yield d / name
        if (d / ".git").exists() or d.parent == d:
            break
        d = d.parent


def _from_west(path: Path) -> tuple[Optional[str], Optional[tuple[int, int, int]], str]:
    """(framework, version, detail) from a west manifest."""
    text = read_text(path).text
    if not text:
        return None, None, ""
    data = load_yaml(text)
    manifest = data.get("manifest") if isinstance(data, dict) else None
    projects = manifest.get("projects") if isinstance(manifest, dict) else None
    if not isinstance(projects, list):
        return None, None, ""
    remotes: dict[str, str] = {}
    raw_remotes = manifest.get("remotes")
    for r in raw_remotes if isinstance(raw_remotes, list) else []:
        if isinstance(r, dict):
            remotes[str(r.get("name"))] = str(r.get("url-base", ""))
    zephyr = None
    defaults = manifest.get("defaults") if isinstance(manifest.get("defaults"), dict) else {}
    own = manifest.get("self") if isinstance(manifest.get("self"), dict) else {}
    if str(own.get("path", "")) in ("nrf", "sdk-nrf"):
        return "ncs", None, f"{path.name}: the sdk-nrf manifest itself"
    for p in projects:
        if not isinstance(p, dict):
            continue
        name = str(p.get("name", ""))
        remote = str(p.get("remote", defaults.get("remote")))
        url = str(p.get("url", "")) or (remotes.get(remote, "") + "/" + str(p.get("repo-path", name)))
        url = re.sub(r"(\.git)?/*$", "", url)
        rev = str(p.get("revision", defaults.get("revision", "")))
        if name in ("nrf", "sdk-nrf") or url.endswith(("sdk-nrf", "fw-nrfconnect-nrf")) or "sdk-nrf" in url and name == "nrf":
            v = parse_version(rev)
            return "ncs", v, f"{path.name}: sdk-nrf revision {rev or '(none)'}"
        if name == "zephyr":
            zephyr = (rev, url)
    if zephyr:
        rev, url = zephyr
        if "nrfconnect" in url or "sdk-zephyr" in url:
            return "ncs", None, f"{path.name}: sdk-zephyr {rev or '(none)'}"
        return "zephyr", parse_version(rev), f"{path.name}: zephyr revision {rev or '(none)'}"
    return None, None, ""


def _ncs_range_for_sdk_zephyr(detail: str) -> Optional[tuple[tuple[int, int, int], tuple[int, int, int]]]:
    """NCS releases that ship an sdk-zephyr revision such as `v3.5.99-ncs1`: NCS x.y is built on
    Zephyr's x.y development tree, and a second `-ncs2` tag can serve the next NCS minor too."""
    m = re.search(r"sdk-zephyr v?(\d+)\.(\d+)\.\d+", detail)
    if not m:
        return None
    from dfulint.model.kconfig import ncs_for_zephyr

    low = ncs_for_zephyr((int(m.group(1)), int(m.group(2)), 0))
    if low is None or low[0] >= 99:
        return None
    return tuple(low), (low[0], low[1] + 1, 99)


def _west_workspace(root: Path) -> Optional[Path]:
    zb = os.environ.get("ZEPHYR_BASE")
    if zb and Path(zb).is_dir():
        return Path(zb).resolve().parent
    d = root
    for _ in range(12):
        if (d / ".west").is_dir():
            return d
        if d.parent == d:
            break
        d = d.parent
    return None


def _workspace_version(ws: Path) -> Optional[tuple[int, int, int]]:
    for cand in (ws / "nrf" / "VERSION", ws / "sdk-nrf" / "VERSION"):
        t = read_text(cand).text if cand.is_file() else None
        if t:
            v = parse_version(t)
            if v:
                return v
    return None


# ---------------------------------------------------------------- boards

_BOARD_STEM_SKIP = {"app", "prj", "mcuboot", "overlay", "sysbuild", "pm_static"}


_OTHER_CORE = re.compile(r"_(cpunet|cpurad|cpuppr|cpuflpr)(?=_|$)")


def _twister_boards(text: str) -> list[str]:
    """Board names a sample.yaml/testcase.yaml allows or integrates, in any of its spellings."""
    data = load_yaml(text)
    names: list[str] = []
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
        return names
    for m in re.finditer(r"(?:platform_allow|integration_platforms)\s*:\s*(\[[^\]]*\]|(?:\s*-\s*\S+)+|[^\n]+)", text):
        names += re.findall(r"[A-Za-z0-9_@./-]+", m.group(1))
    return names


def _stems_from_files(app: App) -> dict[str, str]:
    from dfulint import knowledge

    found: dict[str, str] = {}

    def resolve(stem: str):
        b = knowledge.board(stem)
        if b is not None:
            return b.name
        return stem if stem in app.custom_boards else None

    def add(stem: str, why: str, app_core: bool = False) -> None:
        """`app_core`: the file belongs to another image (a network-core image, say), so a board of
        another core names the application core's board of the same kit."""
        stem = stem.strip()
        if not stem or stem in _BOARD_STEM_SKIP:
            return
        name = resolve(stem)
        if name is None:
            return
        if app_core and _OTHER_CORE.search(name):
            name = resolve(_OTHER_CORE.sub("_cpuapp", name, count=1))
            if name is None:
                return
        found.setdefault(name, why)

    for p in app.files:
        rel = app.rel(p)
        parts = rel.split(os.sep)
        name = p.name
        if name.startswith("pm_static_") and name.endswith((".yml", ".yaml")):
            add(name[len("pm_static_"):].rsplit(".", 1)[0], rel)
        elif len(parts) >= 2 and parts[-2] == "boards" and name.endswith((".overlay", ".conf")):
            # sysbuild/<image>/boards/, child_image/<image>/boards/: images other than MCUboot may run
            # on another core (ipc_radio, hci_ipc on the nRF5340 network core)
            other_image = parts[0] in ("sysbuild", "child_image") and len(parts) >= 4 and parts[1] != "mcuboot"
            add(name.rsplit(".", 1)[0], rel, app_core=other_image)
        elif name.startswith("prj_") and name.endswith(".conf"):
            add(name[4:-5], rel)
    for fname in ("sample.yaml", "testcase.yaml"):
        t = read_text(app.root / fname).text if (app.root / fname).is_file() else None
        if not t:
            continue
        for tok in _twister_boards(t):
            add(tok, fname)
    for name, path in app.custom_boards.items():
        # a custom board's other cores (its _cpunet DTS) are targets of other images, not of this app
        if _OTHER_CORE.search(name) and _OTHER_CORE.sub("_cpuapp", name, count=1) in app.custom_boards:
            continue
        found.setdefault(name, app.rel(path))
    return found


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


def _custom_boards(app: App) -> dict[str, Path]:
    """Boards defined in the project: boards/<vendor>/<board>/<board>*.dts (app or repo root)."""
    out: dict[str, Path] = {}
    roots = [app.root]
    d = app.root
    for _ in range(6):
        if (d / ".git").exists() or (d / "west.yml").exists() or d.parent == d:
            if d != app.root:
                roots.append(d)
            break
        d = d.parent
        roots.append(d)
    for r in roots:
        bdir = r / "boards"
        if not bdir.is_dir():
            continue
        for dts in sorted(bdir.glob("**/*.dts"))[:200]:
            if dts.parent.name == "boards":  # app board overlays folder, not a definition
                continue
            out.setdefault(dts.stem, dts)
    return out


def _scenarios(root: Path) -> list:
    """Twister scenarios that add overlays or fragments to the default build."""
    out = []
    for fname in ("sample.yaml", "testcase.yaml"):
        p = root / fname
        if not p.is_file():
            continue
        text = read_text(p).text
        if not text or "extra_" not in text:
            continue
        data = load_yaml(text)
        if not isinstance(data, dict):
            continue
        common = data.get("common") if isinstance(data.get("common"), dict) else {}
        tests = data.get("tests") if isinstance(data.get("tests"), dict) else {}
        for name, sc in tests.items():
            if not isinstance(sc, dict):
                continue
            merged = dict(common, **sc)

            def listed(key):
                v = merged.get(key) or []
                return [str(x) for x in (v if isinstance(v, list) else str(v).split())]

            boards = set()
            for key in ("platform_allow", "integration_platforms"):
                for b in listed(key):
                    boards.add(b.replace("/", "_").replace("@", "_").replace(".", "_"))
            extra_dtc = listed("extra_dtc_overlay_files")
            extra_conf = listed("extra_conf_files") + listed("extra_overlay_confs")
            args = []   # (image, symbol, value, line): -D values given on the build's command line
            sb_conf = None
            for arg in listed("extra_args"):
                m = re.match(r"^(?:-D)?SB_CONFIG_([A-Za-z0-9_]+)=(.*)$", arg) or \
                    re.match(r"^(?:-D)?(?:([A-Za-z0-9]+(?:_[a-z0-9]+)*)_)?CONFIG_([A-Za-z0-9_]+)=(.*)$", arg)
                if m:
                    if arg.lstrip("-D").startswith("SB_CONFIG_"):
                        image, sym, value = "sysbuild", m.group(1), m.group(2)
                    else:
                        image, sym, value = m.group(1) or "app", m.group(2), m.group(3)
                    line = next((i for i, ln in enumerate(text.splitlines(), 1) if arg in ln), 1)
                    args.append((image, sym, value.strip('"\''), line))
                    continue
                m = re.match(r"^(?:-D)?SB_CONF_FILE=(.*)$", arg)
                if m:
                    sb_conf = m.group(1).strip('"\'')
                    continue
                m = re.match(r"^(?:-D)?EXTRA_(CONF_FILE|DTC_OVERLAY_FILE)=(.*)$", arg)
                if m:
                    files = [f for f in re.split(r"[;\s]+", m.group(2).strip('"\'')) if f]
                    (extra_conf if m.group(1) == "CONF_FILE" else extra_dtc).extend(files)
            if extra_dtc or extra_conf or args or sb_conf:
                out.append({"name": str(name), "boards": boards, "extra_dtc": extra_dtc, "extra_conf": extra_conf,
                            "args": args, "path": p, "sb_conf": sb_conf})
    return out


# ---------------------------------------------------------------- the whole app

def describe_app(root: Path, boards: Iterable[str] = (), sdk_version: Optional[str] = None,
                 build_dir: Optional[Path] = None) -> App:
    from dfulint import knowledge

    app = App(root=root, files=_app_files(root))
    names = {app.rel(p) for p in app.files}
    cm = read_text(root / "CMakeLists.txt").text if (root / "CMakeLists.txt").is_file() else ""
    if root.parent.name == "configuration" and (root.parent.parent / "CMakeLists.txt").is_file():
        app.source_dir = root.parent.parent
    app.is_mcuboot = bool(cm and (re.search(r"project\s*\(\s*mcuboot\b", cm, re.I) or
                                  re.search(r"get_filename_component\s*\(\s*MCUBOOT_DIR\b", cm)))
    # an image configuration folder found on its own: sysbuild/mcuboot/, child_image/mcuboot/, or
    # a per-board images/mcuboot/ (nrf_desktop's configuration/<board>/images/mcuboot/)
    if root.name == "mcuboot" and root.parent.name in ("images", "sysbuild", "child_image"):
        app.is_mcuboot = True
    app.scenarios = _scenarios(root)

    # framework and version
    framework, version, detail = None, None, ""
    for wm in _west_manifests(root):
        framework, version, detail = _from_west(wm)
        if framework:
            break
    app.west_root = _west_workspace(root)
    if app.west_root and not version:
        wv = _workspace_version(app.west_root)
        if wv:
            framework, version, detail = "ncs", wv, f"west workspace {app.west_root}: nrf/VERSION"
    has_sysbuild = any(app.sysbuild_path(n).exists() for n in ("sysbuild.conf", "Kconfig.sysbuild", "sysbuild")) or \
        any(n == "sysbuild.conf" or n == "Kconfig.sysbuild" or n.startswith("sysbuild" + os.sep)
                       for n in names)
    has_child = any(n.startswith("child_image" + os.sep) for n in names)
    has_pm = any(os.path.basename(n).startswith("pm_static") for n in names)
    conf_text = "\n".join(read_text(p).text or "" for p in app.files if p.suffix == ".conf")[:400000]
    if not framework:
        if has_pm or has_child or NCS_ONLY_SYMBOLS.search(conf_text):
            framework, detail = "ncs", "NCS-only files or symbols (pm_static, child_image, PM_*, NCS_*)"
    app.custom_boards = _custom_boards(app)
    if boards:
        app.boards = []
        for given in boards:
            name = _board_option(given)
            if name not in app.boards:
                app.boards.append(name)
        app.board_sources = {b: "--board" for b in app.boards}
    elif root.parent.name == "configuration" and knowledge.board(root.name) is not None:
        # an app's per-board configuration folder (APPLICATION_CONFIG_DIR=configuration/<board>):
        # the folder is named after the board it configures
        app.boards = [knowledge.board(root.name).name]
        app.board_sources = {app.boards[0]: f"configuration/{root.name}"}
    else:
        found = _stems_from_files(app)
        app.boards = sorted(found)
        app.board_sources = found
    if not framework:
        socs = [knowledge.board(b) for b in app.boards]
        if app.boards and all(s is None for s in socs) and not app.custom_boards:
            framework, detail = "zephyr", "no Nordic board and no NCS files"
        elif re.search(r"slot0_partition|slot1_partition", "\n".join(
                read_text(p).text or "" for p in app.files if p.suffix in (".overlay", ".dts"))):
            framework, detail = "zephyr", "slot partitions in devicetree and no NCS files"
        else:
            framework, detail = "ncs", "Nordic board or MCUboot settings; no manifest found"
    app.framework, app.framework_source = framework, detail

    if sdk_version:
        v = parse_version(sdk_version) or (2, 6, 0)
        app.sdk = SdkVersion(v, "--sdk-version", True)
    elif version and framework == "ncs":
        app.sdk = SdkVersion(version, detail, True)
    elif framework == "ncs" and _ncs_range_for_sdk_zephyr(detail):
        low, high = _ncs_range_for_sdk_zephyr(detail)
        app.sdk = SdkVersion(low, f"{detail}: NCS {low[0]}.{low[1]} or {high[0]}.{high[1]} assumed", False,
                             low, high)
    elif framework == "zephyr":
        app.sdk = SdkVersion(version or (4, 0, 0), detail if version else "plain Zephyr (version not found)",
                             bool(version), None if version else (2, 0, 0), None if version else (99, 0, 0))
    elif has_sysbuild and not has_child:
        app.sdk = SdkVersion((2, 9, 0), "sysbuild files: NCS 2.7 or later assumed", False,
                             (2, 7, 0), (99, 0, 0))
    elif has_child and has_sysbuild:
        # NCS 2.4-2.6 samples carried sysbuild files too, for the then optional sysbuild build
        app.sdk = SdkVersion((2, 9, 0), "sysbuild files beside child_image/: NCS 2.7 or later assumed", False,
                             (2, 4, 0), (99, 0, 0))
    elif re.search(r"^CONFIG_MCUMGR_(SMP_BT|CMD_IMG_MGMT|CMD_OS_MGMT)=", conf_text, re.M):
        app.sdk = SdkVersion((2, 3, 0), "old MCUmgr symbol names: NCS 2.3 or earlier assumed", False,
                             (1, 4, 0), (2, 3, 99))
    else:
        app.sdk = SdkVersion((2, 6, 0), "no manifest, no sysbuild files: child-image build, NCS 2.6 assumed",
                             False, (1, 4, 0), (2, 9, 99))

    # build system
    if framework == "zephyr":
        app.build_system, app.build_system_source = "zephyr", "plain Zephyr (devicetree partitions)"
    elif app.sdk.at_least(3, 0):
        app.build_system, app.build_system_source = "sysbuild", f"NCS {app.sdk}: sysbuild only"
    elif app.sdk.at_least(2, 7):
        if has_sysbuild or not has_child:
            app.build_system, app.build_system_source = "sysbuild", f"NCS {app.sdk}: sysbuild is the default"
        else:
            app.build_system, app.build_system_source = "child_image", "child_image/ and no sysbuild files"
    else:
        app.build_system, app.build_system_source = "child_image", f"NCS {app.sdk}: child/parent images"

    # build directory
    if build_dir:
        app.build_dir = build_dir
    else:
        for cand in ("build",):
            d = root / cand
            if any((d / rel).is_file() for rel in ("zephyr/.config", "partitions.yml", "zephyr/zephyr.dts",
                                                   "mcuboot/zephyr/zephyr.dts", "mcuboot/zephyr/.config")):
                app.build_dir = d
                break
    return app
