"""What to lint: app folders, their boards, the build system and SDK version, and any west
workspace or build directory next to them. Only file names and small manifests are read here."""
from __future__ import annotations

import os
import re
from pathlib import Path

from dfulint import files
from dfulint.sources import read_text
from dfulint.sources.pm import load_yaml

SKIP_DIRS = {"child_image", "sysbuild", "boards", "socs", "src", "include", "lib", "drivers",
             "doc", "docs", "node_modules", "dts", "scripts", "tests_data", "keys", "__pycache__"}
from dfulint.context.folders import is_app_dir
from dfulint.context.sdk import SdkVersion, parse_version  # noqa: F401 (re-exported)

TYPE_CHECKING = False      # (typing.TYPE_CHECKING without importing typing)
if TYPE_CHECKING:
    from typing import Iterable, Optional


_DEFAULT_SDK = SdkVersion((2, 6, 0), "default", False)


class App:
    """An app folder: its files, framework, build system, SDK version and boards."""
    __slots__ = ("root", "files", "framework", "framework_source", "build_system", "build_system_source", "sdk",
                 "boards", "board_sources", "custom_boards", "build_dir", "west_root", "is_mcuboot", "source_dir",
                 "scenarios", "file_suffix", "file_suffix_source", "file_suffix_notes", "context")

    root: Path
    files: list[Path]                  # every file below the app (bounded), relative order stable
    framework: str                     # "ncs" or "zephyr"
    framework_source: str
    build_system: str                  # "child_image", "sysbuild", "zephyr"
    build_system_source: str
    sdk: SdkVersion
    boards: list[str]
    board_sources: dict[str, str]
    custom_boards: dict[str, Path]     # board name -> its DTS file
    build_dir: Optional[Path]
    west_root: Optional[Path]          # a west workspace (.west/ above the app) or ZEPHYR_BASE's parent
    is_mcuboot: bool                   # the folder is MCUboot's own Zephyr application
    # for a per-board configuration folder (configuration/<board>, passed to the build as
    # APPLICATION_CONFIG_DIR): the application's source folder, which keeps Kconfig.sysbuild and
    # the sysbuild/<image> folders the configuration folder does not have
    source_dir: Optional[Path]
    scenarios: list                    # sample.yaml/testcase.yaml scenarios with extra files
    # FILE_SUFFIX (Zephyr 3.6+, NCS 2.6+): the suffix the build uses, where it was given, and what
    # else names one without being used by the default build (sample.yaml scenarios)
    file_suffix: Optional[str]
    file_suffix_source: str
    file_suffix_notes: list
    context: object                    # dfulint.context.AppContext: every decision above with its evidence

    def __init__(self, root: Path, files: list[Path], framework: str = "ncs", framework_source: str = "",
                 build_system: str = "child_image", build_system_source: str = "", sdk: SdkVersion = _DEFAULT_SDK,
                 boards: Optional[list[str]] = None, board_sources: Optional[dict[str, str]] = None,
                 custom_boards: Optional[dict[str, Path]] = None, build_dir: Optional[Path] = None,
                 west_root: Optional[Path] = None, is_mcuboot: bool = False, source_dir: Optional[Path] = None,
                 scenarios: Optional[list] = None, file_suffix: Optional[str] = None, file_suffix_source: str = "",
                 file_suffix_notes: Optional[list] = None, context: object = None) -> None:
        self.root = root
        self.files = files
        self.framework = framework
        self.framework_source = framework_source
        self.build_system = build_system
        self.build_system_source = build_system_source
        self.sdk = sdk
        self.boards = [] if boards is None else boards
        self.board_sources = {} if board_sources is None else board_sources
        self.custom_boards = {} if custom_boards is None else custom_boards
        self.build_dir = build_dir
        self.west_root = west_root
        self.is_mcuboot = is_mcuboot
        self.source_dir = source_dir
        self.scenarios = [] if scenarios is None else scenarios
        self.file_suffix = file_suffix
        self.file_suffix_source = file_suffix_source
        self.file_suffix_notes = [] if file_suffix_notes is None else file_suffix_notes
        self.context = context

    def __repr__(self) -> str:
        return f"App({str(self.root)!r}, boards={self.boards!r}, sdk={self.sdk!r}, build_system={self.build_system!r})"

    def sysbuild_path(self, rel: str) -> Path:
        """A sysbuild input (sysbuild.conf, Kconfig.sysbuild, sysbuild/...) as the build finds it:
        in the configuration folder, else in the application's source folder."""
        p = self.root / rel
        if self.source_dir is not None and not p.exists() and (self.source_dir / rel).exists():
            return self.source_dir / rel
        return p

    def stems_for(self, board: Optional[str]) -> list[str]:
        """The board-specific file stems this board's build looks for, most specific first, in the
        naming of the app's SDK era (the context stage decides them)."""
        if not board:
            return []
        ctx = self.context
        b = ctx.board(board) if ctx is not None else None
        if b is not None:
            return list(b.stems)
        from dfulint.context import naming
        return naming.board_stems(board, ctx.era if ctx is not None else naming.EITHER)

    def scenario_for(self, stems: list[str], suffix: Optional[str] = None) -> Optional[dict]:
        """The first test scenario that builds this board with extra overlays, fragments or values, among
        those built with the FILE_SUFFIX in force (a scenario's `FILE_SUFFIX=` makes its extras part of
        that variant's build, not of the default one)."""
        for sc in self.scenarios:
            if sc.get("plain") or (sc.get("suffix") or None) != (suffix or None):
                continue
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

def find_apps(paths: Iterable[Path], max_apps: int = 5000) -> list[Path]:
    """App folders at or below each path. build*/, hidden and image-config folders are skipped."""
    out: list[Path] = []
    seen = set()
    for top in paths:
        top = top.resolve()
        if top.is_file():
            top = top.parent
        for dirpath, dirnames, filenames in files.walk(top):
            d = Path(dirpath)
            app = is_app_dir(d, set(filenames))
            # sysbuild/ and child_image/ are image configuration only inside an app: Zephyr's
            # samples/sysbuild/ is a folder of apps
            skip = SKIP_DIRS if app else SKIP_DIRS - {"sysbuild", "child_image"}
            dirnames[:] = sorted(n for n in dirnames if not n.startswith(".") and not n.startswith("build")
                                 and n not in skip and not (d / n).is_symlink())
            if app and d not in seen:
                seen.add(d)
                out.append(d)
                if len(out) >= max_apps:
                    return out
    return out


def _app_files(root: Path, limit: int = 4000) -> list[Path]:
    out: list = []
    for dirpath, dirnames, filenames in files.walk(root):
        d = Path(dirpath)
        dirnames[:] = sorted(n for n in dirnames if not n.startswith(".") and not n.startswith("build")
                             and n not in ("src", "include", "lib", "drivers", "doc", "docs", "node_modules")
                             and not (d / n).is_symlink())
        # nested apps are linted on their own
        if d != root and is_app_dir(d, set(filenames)) and d.parent.name not in ("child_image", "sysbuild"):
            dirnames[:] = []
            continue
        for f in sorted(filenames):
            if f.startswith("."):       # .checkpatch.conf, .clang-format...: never a build input
                continue
            out.append(d / f)
            if len(out) >= limit:
                return out
    return out


def _scenarios(root: Path) -> list:
    """Twister scenarios that add overlays or fragments to the default build."""
    out = []
    for fname in ("sample.yaml", "testcase.yaml"):
        p = root / fname
        if not p.is_file():
            continue
        text = read_text(p).text
        if not text or "tests" not in text:
            continue
        data = load_yaml(text, p)
        if not isinstance(data, dict):
            continue
        common = data.get("common") if isinstance(data.get("common"), dict) else {}
        tests = data.get("tests") if isinstance(data.get("tests"), dict) else {}
        for name, sc in tests.items():
            if not isinstance(sc, dict):
                continue
            merged = {**common, **sc}

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
            sb_conf = suffix = None
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
                m = re.match(r"^(?:-D)?FILE_SUFFIX=(.*)$", arg)
                if m:
                    suffix = m.group(1).strip('"\'')
                    continue
                m = re.match(r"^(?:-D)?(EXTRA_CONF_FILE|OVERLAY_CONFIG|EXTRA_DTC_OVERLAY_FILE)=(.*)$", arg)
                if m:
                    files = [f for f in re.split(r"[;\s]+", m.group(2).strip('"\'')) if f]
                    (extra_dtc if m.group(1) == "EXTRA_DTC_OVERLAY_FILE" else extra_conf).extend(files)
            # a scenario without extras is the plain build: a board it names is built as the app is
            out.append({"name": str(name), "boards": boards, "extra_dtc": extra_dtc, "extra_conf": extra_conf,
                        "args": args, "path": p, "sb_conf": sb_conf, "suffix": suffix,
                        "plain": not (extra_dtc or extra_conf or args or sb_conf)})
    return out


# ---------------------------------------------------------------- the whole app

def describe_app(root: Path, boards: Iterable[str] = (), sdk_version: Optional[str] = None,
                 build_dir: Optional[Path] = None, top: Optional[Path] = None,
                 boards_origin: str = "--board", sdk_origin: str = "--sdk-version",
                 file_suffix: Optional[str] = None) -> App:
    """An app as the build will see it: the context stage (dfulint/context/) decides its boards,
    SDK, era and build system, with evidence; this fills the App the model reads."""
    from dfulint import knowledge
    from dfulint.context import resolve

    app = App(root=root, files=_app_files(root))
    names = {app.rel(p) for p in app.files}
    cm = read_text(root / "CMakeLists.txt").text if (root / "CMakeLists.txt").is_file() else ""
    if root.parent.name == "configuration" and (root.parent.parent / "CMakeLists.txt").is_file():
        app.source_dir = root.parent.parent
    app.is_mcuboot = bool(cm and ("mcuboot" in cm.lower() and re.search(r"project\s*\(\s*mcuboot\b", cm, re.I) or
                                  "MCUBOOT_DIR" in cm and
                                  re.search(r"get_filename_component\s*\(\s*MCUBOOT_DIR\b", cm)))
    # an image configuration folder found on its own: sysbuild/mcuboot/, child_image/mcuboot/, or
    # a per-board images/mcuboot/ (nrf_desktop's configuration/<board>/images/mcuboot/)
    if root.name == "mcuboot" and root.parent.name in ("images", "sysbuild", "child_image"):
        app.is_mcuboot = True
    app.scenarios = _scenarios(root)
    has_sysbuild = any(app.sysbuild_path(n).exists() for n in ("sysbuild.conf", "Kconfig.sysbuild", "sysbuild")) or \
        any(n == "sysbuild.conf" or n == "Kconfig.sysbuild" or n.startswith("sysbuild" + os.sep) for n in names)
    has_child = any(n.startswith("child_image" + os.sep) for n in names)
    config_dir_board = root.name if root.parent.name == "configuration" and knowledge.board(root.name) else None
    res = resolve(root, app.files, tuple(boards), sdk_version, build_dir, top, boards_origin=boards_origin,
                  sdk_origin=sdk_origin, has_sysbuild=has_sysbuild, has_child=has_child,
                  config_dir_board=config_dir_board)
    ctx = res.context
    app.context = ctx
    app.custom_boards = res.custom_boards
    app.west_root = res.west_root
    app.build_dir = res.build_dir
    app.framework = ctx.framework
    app.framework_source = ctx.framework_detail or ctx.sdk.source
    app.sdk = ctx.sdk
    app.build_system, app.build_system_source = ctx.build_system, ctx.build_system_source
    app.boards = [b.name for b in ctx.boards]
    app.board_sources = {b.name: b.evidence[0].render(root) if b.confidence != "given" else boards_origin
                         for b in ctx.boards}
    _file_suffix(app, cm, file_suffix)
    return app


# a FILE_SUFFIX value dfulint takes (whole string); SUFFIX_NAME is it compiled, made when first used
SUFFIX_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}"


def __getattr__(name: str):
    if name == "SUFFIX_NAME":
        return re.compile(SUFFIX_PATTERN)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _file_suffix(app: App, cm: str, given: Optional[str]) -> None:
    """The FILE_SUFFIX of the default build: `--file-suffix`, else an unconditional
    `set(FILE_SUFFIX ...)` above find_package(Zephyr) in CMakeLists.txt. A sample.yaml scenario's
    `FILE_SUFFIX=` (twister's build of that scenario, not `west build`) is only named in a note."""
    if given:
        app.file_suffix, app.file_suffix_source = given, "--file-suffix"
    elif cm and "FILE_SUFFIX" in cm:
        from dfulint.sources.cmake import read

        found = read(app.root / "CMakeLists.txt", cm, app.root, set())
        vals = found.get("FILE_SUFFIX")
        if vals and len(vals) == 1 and re.fullmatch(SUFFIX_PATTERN, vals[0][0]) and "FILE_SUFFIX" not in found.uncertain:
            app.file_suffix, app.file_suffix_source = vals[0][0], f"CMakeLists.txt:{vals[0][1]}"
        for st in found.settings:
            if st.var == "FILE_SUFFIX" and st.status != "applied":
                app.file_suffix_notes.append(f"CMakeLists.txt:{st.line} sets FILE_SUFFIX {st.why}: not used")
    for fname in ("sample.yaml", "testcase.yaml"):
        p = app.root / fname
        text = read_text(p).text if p.is_file() else None
        if not text or "FILE_SUFFIX" not in text:
            continue
        seen = sorted(set(re.findall(r"FILE_SUFFIX=[\"']?([A-Za-z0-9_.-]+)", text)))
        for sfx in seen:
            if sfx == app.file_suffix:
                continue
            line = next((i for i, ln in enumerate(text.splitlines(), 1) if f"FILE_SUFFIX={sfx}" in ln.replace('"', "")), 1)
            app.file_suffix_notes.append(f"{fname}:{line} builds a scenario with FILE_SUFFIX={sfx}; the default build "
                                         f"does not use it (check that variant with --file-suffix {sfx})")
