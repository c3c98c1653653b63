"""Which SDK an app is built with: NCS or upstream Zephyr, and which version, with the evidence.

Strong evidence, in order: a build directory's CMakeCache.txt (the SDK it was configured with), a
west manifest in the repository (above the app, or anywhere in the repository such as
`west-manifest/west.yml`), the west workspace the app sits in (`.west/config`, its manifest and
`nrf/VERSION`), `ZEPHYR_BASE`. Weak evidence: the files' conventions (sysbuild files, child
images, how board files are named). A Kconfig symbol's name is never used to date the SDK:
rules judge those names against the version, so the version must not come from them.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

from dfulint.context import GIVEN, STRONG, WEAK, Evidence
from dfulint.records import NamedTuple
from dfulint.sources import read_text

TYPE_CHECKING = False      # (typing.TYPE_CHECKING without importing typing)
if TYPE_CHECKING:
    from typing import Iterable, Optional

# a line setting a symbol only NCS has (re.M; searched only when nothing else names the framework)
NCS_ONLY_SYMBOLS = (
    r"^(SB_)?CONFIG_(PM_|PARTITION_MANAGER|NCS_|NRF_CLOUD|FPROTECT|SB_|NRF53_|PCD|DFU_TARGET|"
    r"SECURE_BOOT|BUILD_S1|NETCORE_APP_UPDATE|MCUBOOT_NRF53|PM_EXTERNAL)")

MAX_MANIFEST_DIRS = 400          # folders walked below the repository root looking for manifests


class SdkVersion(NamedTuple):
    """The NCS version an app is built with, exact or a range, and how it was found."""
    version: tuple[int, int, int]     # the version the model is built for (best guess when not exact)
    source: str          # how it was found, shown to the user
    exact: bool          # from a manifest or the user, not guessed from conventions
    low: Optional[tuple[int, int, int]] = None    # when guessed: the range the files' conventions allow
    high: Optional[tuple[int, int, int]] = None
    # the app lives in sdk-nrf's own tree (its samples, applications, tests): it is built with the
    # SDK it ships in, whatever version that is, and is maintained together with it
    in_sdk_tree: bool = False

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


def _without_git_suffix(url: str) -> str:
    """`url` without its trailing slashes and then a `.git` (as `re.sub(r"(\\.git)?/*$", "", url)`,
    whose `$` also matches before a final newline)."""
    body, end = (url[:-1], "\n") if url.endswith("\n") else (url, "")
    body = body.rstrip("/")
    return (body[:-len(".git")] if body.endswith(".git") else body) + end


def parse_version(text: str) -> Optional[tuple[int, int, int]]:
    m = re.search(r"v?(\d+)\.(\d+)(?:\.(\d+))?", text or "")
    if not m:
        return None
    return int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)


_OWN_MANIFEST = "self: path nrf"     # evidence text of sdk-nrf's own west.yml


class Manifest(NamedTuple):
    """What a west manifest says about the SDK."""
    framework: Optional[str]          # "ncs", "zephyr" or None when it names neither
    version: Optional[tuple]
    detail: str                       # "west.yml: sdk-nrf revision v1.9.1"
    evidence: Optional[Evidence]


# ------------------------------------------------------------------ manifests

def repo_root(root: Path) -> Path:
    """The repository (or workspace application) folder holding the app: the nearest folder above
    with `.git` or a `west.yml`, else the app itself."""
    return git_root(root) or root


def git_root(root: Path) -> Optional[Path]:
    """The nearest folder at or above the app with `.git` (or a `west.yml`), or None."""
    d = root
    for _ in range(8):
        if (d / ".git").exists() or (d / "west.yml").exists():
            return d
        if d.parent == d:
            return None
        d = d.parent
    return None


def _ancestor_manifests(root: Path) -> Iterable[Path]:
    d = root
    for _ in range(8):
        for name in ("west.yml", "west.yaml"):
            if (d / name).is_file():
                yield d / name
        if (d / ".git").exists() or d.parent == d:
            break
        d = d.parent


def _other_app(d: Path, root: Path) -> bool:
    """`d` is another app's folder (not the app's own folder or one above it): its manifest is
    that app's, not this one's."""
    if d == root or d in root.parents:
        return False
    from dfulint.context.folders import is_app_dir
    try:
        names = {p.name for p in d.iterdir()}
    except OSError:
        return False
    return is_app_dir(d, names)


_MANIFEST_ONLY = r"^(west\.ya?ml|README.*|LICENSE.*|.*\.md|\.gitignore|submanifests)$"     # re.I


def _manifest_folders(root: Path, top: Path, skip: set) -> list[Path]:
    """Manifests in a manifest-only folder beside the app or beside a folder above it, up to the
    repository's top (`west-manifest/west.yml`, `manifest/west.yml`), nearest first. A folder that
    holds anything else (another app, boards) is another project's, not this app's."""
    out: list[Path] = []
    d = root
    for _ in range(8):
        try:
            subs = sorted(p for p in d.iterdir() if p.is_dir() and not p.name.startswith("."))[:200]
        except OSError:
            subs = []
        for sub in subs:
            try:
                names = [p.name for p in sub.iterdir()]
            except OSError:
                continue
            if not any(n in ("west.yml", "west.yaml") for n in names) or \
                    not all(re.match(_MANIFEST_ONLY, n, re.I) for n in names):
                continue
            for n in ("west.yml", "west.yaml"):
                if (sub / n).is_file() and sub / n not in skip:
                    out.append(sub / n)
        if d == top or d.parent == d:
            break
        d = d.parent
    return out


def _repo_manifests(top: Path, skip: set, root: Optional[Path] = None) -> list[Path]:
    """west.yml files anywhere below the repository root (bounded walk; build folders, hidden folders,
    the west workspace's own checkouts and other apps' folders are not entered)."""
    from dfulint import files as flayer

    out: list[Path] = []
    seen = 0
    for d, dirnames, filenames in flayer.walk(top, max_depth=6, max_entries=20000):
        seen += 1
        if seen > MAX_MANIFEST_DIRS:
            break
        d = Path(d)
        dirnames[:] = [n for n in dirnames if not n.startswith((".", "build")) and
                       n not in ("node_modules", "src", "include", "__pycache__") and
                       not (root is not None and _other_app(d / n, root))]
        if root is not None and d != top and _other_app(d, root):
            continue
        for name in ("west.yml", "west.yaml"):
            if name in filenames and d / name not in skip:
                out.append(d / name)
    return out


def _line_of(text: str, needle: str) -> int:
    for i, line in enumerate(text.splitlines(), 1):
        if needle and needle in line:
            return i
    return 1


def read_manifest(path: Path) -> Manifest:
    """Framework and version from a west manifest: sdk-nrf's revision (NCS), sdk-zephyr (NCS, version
    not pinned here), upstream zephyr's revision (plain Zephyr)."""
    from dfulint.sources.pm import load_yaml

    text = read_text(path).text
    none = Manifest(None, None, "", None)
    if not text:
        return none
    data = load_yaml(text, path)
    manifest = data.get("manifest") if isinstance(data, dict) else None
    projects = manifest.get("projects") if isinstance(manifest, dict) else None
    if not isinstance(projects, list):
        return none
    remotes: dict[str, str] = {}
    raw_remotes = manifest.get("remotes")
    for r in raw_remotes if isinstance(raw_remotes, list) else []:
        if isinstance(r, dict):
            remotes[str(r.get("name"))] = str(r.get("url-base", ""))
    defaults = manifest.get("defaults") if isinstance(manifest.get("defaults"), dict) else {}
    own = manifest.get("self") if isinstance(manifest.get("self"), dict) else {}
    if str(own.get("path", "")) in ("nrf", "sdk-nrf"):
        # sdk-nrf's own manifest: its VERSION file beside it dates the tree
        vf = path.parent / "VERSION"
        vt = read_text(vf).text if vf.is_file() else None
        v = parse_version(vt) if vt else None
        if v:
            return Manifest("ncs", v, f"sdk-nrf tree: VERSION {vt.strip()[:20]}", Evidence(vf, 1, vt.strip()[:20]))
        return Manifest("ncs", None, f"{path.name}: the sdk-nrf manifest itself",
                        Evidence(path, _line_of(text, "self"), _OWN_MANIFEST))
    zephyr = None
    for p in projects:
        if not isinstance(p, dict):
            continue
        name = str(p.get("name", ""))
        remote = str(p.get("remote", defaults.get("remote")))
        url = str(p.get("url", "")) or (remotes.get(remote, "") + "/" + str(p.get("repo-path", name)))
        url = _without_git_suffix(url)
        rev = str(p.get("revision", defaults.get("revision", "")))
        if name in ("nrf", "sdk-nrf") or url.endswith(("sdk-nrf", "fw-nrfconnect-nrf")):
            line = _line_of(text, f"revision: {rev}") if rev else _line_of(text, name)
            return Manifest("ncs", parse_version(rev), f"{path.name}: sdk-nrf revision {rev or '(none)'}",
                            Evidence(path, line, f"sdk-nrf {rev}" if rev else "sdk-nrf"))
        if name == "zephyr" or url.endswith(("/zephyr", "sdk-zephyr")):
            zephyr = (rev, url, name)
    if zephyr:
        rev, url, name = zephyr
        line = _line_of(text, f"revision: {rev}") if rev else _line_of(text, f"name: {name}")
        if "nrfconnect" in url or "sdk-zephyr" in url:
            return Manifest("ncs", None, f"{path.name}: sdk-zephyr {rev or '(none)'}",
                            Evidence(path, line, f"sdk-zephyr {rev}"))
        return Manifest("zephyr", parse_version(rev), f"{path.name}: zephyr revision {rev or '(none)'}",
                        Evidence(path, line, f"zephyr {rev}" if rev else "zephyr"))
    return none


def ncs_range_for_sdk_zephyr(detail: str) -> Optional[tuple[tuple[int, int, int], tuple[int, int, int]]]:
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


# ------------------------------------------------------------------ west workspace

def west_workspace(root: Path) -> tuple[Optional[Path], Optional[Evidence]]:
    """The west workspace the app builds in: ZEPHYR_BASE's parent, or a folder above with `.west/`."""
    zb = os.environ.get("ZEPHYR_BASE")
    if zb and Path(zb).is_dir():
        return Path(zb).resolve().parent, Evidence(None, 0, f"ZEPHYR_BASE={zb}")
    d = root
    for _ in range(12):
        if (d / ".west").is_dir():
            return d, Evidence(d / ".west" / "config", 1, "west workspace")
        if d.parent == d:
            break
        d = d.parent
    return None, None


def workspace_version(ws: Path) -> Optional[tuple[tuple, Evidence, str]]:
    """(version, evidence, framework) from the workspace's checkouts: `nrf/VERSION` (NCS), else
    `zephyr/VERSION` (plain Zephyr)."""
    for cand in (ws / "nrf" / "VERSION", ws / "sdk-nrf" / "VERSION"):
        t = read_text(cand).text if cand.is_file() else None
        v = parse_version(t) if t else None
        if v:
            return v, Evidence(cand, 1, t.strip().splitlines()[0][:40]), "ncs"
    z = ws / "zephyr" / "VERSION"
    t = read_text(z).text if z.is_file() else None
    if t:
        nums = dict(re.findall(r"^(VERSION_MAJOR|VERSION_MINOR|PATCHLEVEL)\s*=\s*(\d+)", t, re.M))
        if "VERSION_MAJOR" in nums and "VERSION_MINOR" in nums:
            v = (int(nums["VERSION_MAJOR"]), int(nums["VERSION_MINOR"]), int(nums.get("PATCHLEVEL", 0)))
            return v, Evidence(z, 1, "zephyr/VERSION"), "zephyr"
    return None


def west_config_manifest(ws: Path) -> Optional[Path]:
    """The manifest file `.west/config` points at (`[manifest] path`, `file`)."""
    cfg = ws / ".west" / "config"
    text = read_text(cfg).text if cfg.is_file() else None
    if not text:
        return None
    import configparser      # only in a west workspace

    cp = configparser.ConfigParser(interpolation=None)
    try:
        cp.read_string(text)
    except configparser.Error:
        return None
    path = cp.get("manifest", "path", fallback=None)
    if not path:
        return None
    f = ws / path / cp.get("manifest", "file", fallback="west.yml")
    try:
        f.resolve().relative_to(ws.resolve())
    except (ValueError, OSError):
        return None
    return f if f.is_file() else None


def west_config_board(ws: Path) -> Optional[tuple[str, Evidence]]:
    """`[build] board` of `.west/config`: the board `west build` uses when none is given."""
    cfg = ws / ".west" / "config"
    text = read_text(cfg).text if cfg.is_file() else None
    if not text:
        return None
    m = re.search(r"^\s*board\s*=\s*(\S+)", text, re.M)
    if not m or "[build]" not in text[: m.start()]:
        return None
    return m.group(1), Evidence(cfg, text[: m.start()].count("\n") + 1, f"board = {m.group(1)}")


# ------------------------------------------------------------------ build directory

def cmake_cache(build_dir: Optional[Path]) -> dict:
    """Entries of a build directory's CMakeCache.txt that tell the context: BOARD, ZEPHYR_BASE,
    the nrf module folder. name -> (value, Evidence)."""
    out: dict = {}
    if build_dir is None:
        return out
    p = build_dir / "CMakeCache.txt"
    text = read_text(p).text if p.is_file() else None
    if not text:
        return out
    for i, line in enumerate(text.splitlines(), 1):
        m = re.match(r"^(BOARD|CACHED_BOARD|ZEPHYR_BASE|ZEPHYR_NRF_MODULE_DIR|NCS_VERSION_STRING|"
                     r"APP_DIR|APPLICATION_SOURCE_DIR)(?::[A-Z]+)?=(.*)$", line)
        if m and m.group(1) not in out:
            out[m.group(1)] = (m.group(2).strip(), Evidence(p, i, line.strip()[:120]))
    return out


def version_from_cache(cache: dict) -> Optional[tuple[str, tuple, Evidence]]:
    """(framework, version, evidence) from CMakeCache entries: the nrf module's VERSION file when it
    is on this machine, else a version in its path (`/ncs/v2.6.1/nrf`)."""
    for key, fw in (("ZEPHYR_NRF_MODULE_DIR", "ncs"), ("ZEPHYR_BASE", None)):
        if key not in cache:
            continue
        value, ev = cache[key]
        base = Path(value)
        if key == "ZEPHYR_NRF_MODULE_DIR":
            vf = base / "VERSION"
        else:
            vf = base.parent / "nrf" / "VERSION"
        if vf.is_file():
            v = parse_version(read_text(vf).text or "")
            if v:
                return "ncs", v, ev
        m = re.search(r"[/\\]v?(\d+\.\d+\.\d+)[/\\]", value + "/")
        if m:
            return fw or ("ncs" if re.search(r"[/\\]ncs[/\\]", value, re.I) else "zephyr"), parse_version(m.group(1)), ev
    return None


# ------------------------------------------------------------------ the decision

class SdkDecision(NamedTuple):
    framework: str
    framework_confidence: str
    framework_evidence: tuple
    framework_detail: str
    sdk: SdkVersion
    confidence: str
    evidence: tuple


def decide(root: Path, files: list, names: set, sdk_option: Optional[str], has_sysbuild: bool,
           has_child: bool, boards_known: list, custom_boards: dict, cache: dict,
           era_hint: Optional[str], sdk_origin: str = "--sdk-version", top: Optional[Path] = None,
           sysbuild_config: bool = True) -> SdkDecision:
    """Framework and SDK version of an app from everything above. `era_hint` is the hardware-model
    era the app's board file names allow (naming.HWMV1/HWMV2) or None."""
    from dfulint.context.naming import HWMV1, HWMV2

    framework, version, detail, ev = None, None, "", None
    conf = STRONG
    # 1. the build directory's cache: what the build was configured with
    cached = version_from_cache(cache)
    if cached:
        framework, version, ev = cached
        detail = f"build directory {ev.path.parent.name}/CMakeCache.txt"
    # 2. manifests above the app, then anywhere in the repository
    if not version:
        above = list(_ancestor_manifests(root))
        # the whole repository is searched only when its top is known: a `.git` folder, or the
        # folder of the project being checked; never the machine above an unpacked app
        top = git_root(root) or top or root
        for wm in above + _manifest_folders(root, top, set(above)):
            m = read_manifest(wm)
            if m.framework:
                framework = framework or m.framework
                if m.framework == framework:
                    version, detail, ev = m.version, m.detail, m.evidence
                if version or m.framework == framework:
                    break
    # 3. the west workspace
    ws, ws_ev = west_workspace(root)
    if ws is not None and not version:
        mf = west_config_manifest(ws)
        if mf is not None:
            m = read_manifest(mf)
            if m.framework and (framework is None or framework == m.framework):
                framework = m.framework
                if m.version:
                    version, detail, ev = m.version, f"west workspace manifest {m.detail}", m.evidence
        if not version:
            wv = workspace_version(ws)
            if wv:
                v, wev, fw = wv
                if framework is None or framework == fw:
                    framework, version, ev = fw, v, wev
                    detail = f"west workspace {ws}: {wev.path.parent.name}/VERSION {wev.text}"
    # framework without a version: the files
    fw_ev = (ev,) if ev is not None else ()
    fw_conf = STRONG if framework else WEAK
    conf_text = ""
    if not framework:
        has_pm = any(os.path.basename(n).startswith("pm_static") for n in names)
        conf_text = "\n".join(read_text(p).text or "" for p in files if p.suffix == ".conf")[:400000]
        m = re.search(NCS_ONLY_SYMBOLS, conf_text, re.M)
        if has_pm or has_child or m:
            framework = "ncs"
            detail = "NCS-only files or symbols (pm_static, child_image, PM_*, NCS_*)"
            fw_ev = tuple(Evidence(p, 1, p.name) for p in files
                          if p.name.startswith("pm_static") or "child_image" in p.parts)[:1]
            if not fw_ev and m:
                for p in files:
                    if p.suffix == ".conf":
                        t = read_text(p).text or ""
                        mm = re.search(NCS_ONLY_SYMBOLS, t, re.M)
                        if mm:
                            fw_ev = (Evidence(p, t[: mm.start()].count("\n") + 1, mm.group(0)),)
                            break
            fw_conf = STRONG
        elif boards_known and all(b is None for b in boards_known) and not custom_boards:
            framework, detail = "zephyr", "no Nordic board and no NCS files"
        elif re.search(r"slot0_partition|slot1_partition", "\n".join(
                read_text(p).text or "" for p in files if p.suffix in (".overlay", ".dts"))):
            framework, detail = "zephyr", "slot partitions in devicetree and no NCS files"
        else:
            framework, detail = "ncs", "Nordic board or MCUboot settings; no manifest found"

    evidence = (ev,) if ev is not None else ()
    if sdk_option:
        v = parse_version(sdk_option) or (2, 6, 0)
        sdk = SdkVersion(v, sdk_origin, True)
        conf, evidence = GIVEN, (Evidence(None, 0, f"{sdk_origin} {sdk_option}"),)
    elif version and framework == "ncs":
        sdk = SdkVersion(version, detail, True)
    elif framework == "ncs" and ncs_range_for_sdk_zephyr(detail):
        low, high = ncs_range_for_sdk_zephyr(detail)
        sdk = SdkVersion(low, f"{detail}: NCS {low[0]}.{low[1]} or {high[0]}.{high[1]} assumed", False, low, high)
    elif framework == "zephyr":
        sdk = SdkVersion(version or (4, 0, 0), detail if version else "plain Zephyr (version not found)",
                         bool(version), None if version else (2, 0, 0), None if version else (99, 0, 0))
        if not version:
            conf = WEAK
    else:
        conf = WEAK
        if has_sysbuild and not has_child:
            sdk = SdkVersion((2, 9, 0), "sysbuild files: NCS 2.7 or later assumed", False, (2, 7, 0), (99, 0, 0))
        elif has_child and has_sysbuild:
            # NCS 2.4-2.6 samples carried sysbuild files too, for the then optional sysbuild build
            sdk = SdkVersion((2, 9, 0), "sysbuild files beside child_image/: NCS 2.7 or later assumed", False,
                             (2, 4, 0), (99, 0, 0))
        elif era_hint == HWMV1:
            sdk = SdkVersion((2, 6, 0), "no manifest; board files named as before hardware model v2: "
                             "NCS 2.6 or earlier assumed", False, (1, 4, 0), (2, 6, 99))
        elif era_hint == HWMV2:
            sdk = SdkVersion((2, 9, 0), "no manifest; board files named with hardware model v2 targets: "
                             "NCS 2.7 or later assumed", False, (2, 7, 0), (99, 0, 0))
        else:
            sdk = SdkVersion((2, 6, 0), "no manifest, no sysbuild files: child-image build, NCS 2.6 assumed",
                             False, (1, 4, 0), (2, 9, 99))
    if ev is not None and ev.text == _OWN_MANIFEST and framework == "ncs":
        sdk = sdk._replace(in_sdk_tree=True)
    return SdkDecision(framework, fw_conf, fw_ev, detail, sdk, conf, evidence)
