"""Configuration files: `[tool.dfulint]` in pyproject.toml, or `.dfulint.toml` / `dfulint.toml`.

For each app the closest configuration file above it wins; there is no implicit merging, a file
inherits from another only through `extend = "../base.toml"`. Every effective value remembers
where it was set (file:line, a command-line option, or the default), for `--show-config`.

A configuration file that cannot be read or holds a wrong key or value is a usage error
(ConfigError, exit code 2) that names the file and line.
"""
from __future__ import annotations

import os
import re
import sys
from pathlib import Path

from dfulint.core import Severity
from dfulint.records import NamedTuple

TYPE_CHECKING = False      # (typing.TYPE_CHECKING without importing typing)
if TYPE_CHECKING:
    from typing import Any, Optional


def _toml() -> Any:
    """The TOML parser, imported when a configuration file is actually read."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python < 3.11 only
        import tomli as tomllib
    return tomllib

FILE_NAMES = (".dfulint.toml", "dfulint.toml", "pyproject.toml")   # in this order within a folder
MAX_CONFIG_BYTES = 1024 * 1024
MAX_EXTEND_DEPTH = 16

KEYS = {
    "extend": "a configuration file this one builds on (path relative to this file)",
    "select": "rules to run: codes, names or prefixes such as DFU2 (default: all)",
    "ignore": "rules to skip",
    "severity": "table: rule -> error | warning | info, replacing the rule's own severity",
    "per-path-ignores": "table: glob (relative to this file's folder) -> rules to skip in matching files",
    "boards": "boards to check when --board is not given (default: every board the app names)",
    "sdk-version": "NCS (or Zephyr) version when it cannot be detected, e.g. \"2.6.0\"",
    "fail-on": "lowest severity that makes the exit code 1: error | warning | info (default error)",
    "profile": "how security posture weighs: development (default; info) | release (errors)",
}

PROFILES = ("development", "release")


class ConfigError(Exception):
    """A configuration file or a configuration-related option the user must correct."""

    def __init__(self, message: str, path: Optional[Path] = None, line: int = 0, col: int = 0):
        self.path, self.line, self.col = path, line, col
        where = ""
        if path is not None:
            where = f"{path}:{line}:{col}: " if line and col else f"{path}:{line}: " if line else f"{path}: "
        super().__init__(f"{where}{message}")


class Origin(NamedTuple):
    """Where a value was set: a file and line, or a label like `--select` or `default`."""

    label: str
    path: Optional[Path] = None
    line: int = 0

    def __str__(self) -> str:
        if self.path is not None:
            return f"{self.path}:{self.line}" if self.line else str(self.path)
        return self.label


DEFAULT = Origin("default")


class PathIgnore(NamedTuple):
    """Rules to skip in files matching `pattern`, relative to `base` (the config file's folder)."""

    base: Path
    pattern: str
    codes: frozenset
    origin: Origin

    def matches(self, path: Path) -> bool:
        try:
            rel = path.resolve().relative_to(self.base.resolve()).as_posix()
        except (ValueError, OSError):
            return False
        from dfulint import glob
        try:
            if glob.match(self.pattern, rel):
                return True
            # a pattern without a slash also matches a file name anywhere below the folder
            return "/" not in self.pattern.strip("/") and glob.match(self.pattern, rel.rsplit("/", 1)[-1])
        except glob.GlobError:          # refused when the configuration was read
            return False


class Settings:
    """The effective configuration for one app, with the origin of every value."""
    __slots__ = ("files", "select", "select_origin", "ignore", "ignore_origin", "severity", "per_path", "boards",
                 "boards_origin", "sdk_version", "sdk_origin", "fail_on", "fail_on_origin", "profile",
                 "profile_origin")

    files: list[Path]                  # closest first, then what it extends
    select: Optional[set]
    select_origin: Origin
    ignore: set
    ignore_origin: list[Origin]
    severity: dict                     # code -> (Severity, Origin)
    per_path: list[PathIgnore]
    boards: tuple
    boards_origin: Origin
    sdk_version: Optional[str]
    sdk_origin: Origin
    fail_on: Severity
    fail_on_origin: Origin
    profile: str
    profile_origin: Origin

    def __init__(self, files: Optional[list[Path]] = None, select: Optional[set] = None,
                 select_origin: Origin = DEFAULT, ignore: Optional[set] = None,
                 ignore_origin: Optional[list[Origin]] = None, severity: Optional[dict] = None,
                 per_path: Optional[list[PathIgnore]] = None, boards: tuple = (), boards_origin: Origin = DEFAULT,
                 sdk_version: Optional[str] = None, sdk_origin: Origin = DEFAULT,
                 fail_on: Severity = Severity.ERROR, fail_on_origin: Origin = DEFAULT,
                 profile: str = "development", profile_origin: Origin = DEFAULT) -> None:
        self.files = [] if files is None else files
        self.select = select
        self.select_origin = select_origin
        self.ignore = set() if ignore is None else ignore
        self.ignore_origin = [] if ignore_origin is None else ignore_origin
        self.severity = {} if severity is None else severity
        self.per_path = [] if per_path is None else per_path
        self.boards = boards
        self.boards_origin = boards_origin
        self.sdk_version = sdk_version
        self.sdk_origin = sdk_origin
        self.fail_on = fail_on
        self.fail_on_origin = fail_on_origin
        self.profile = profile
        self.profile_origin = profile_origin

    def __repr__(self) -> str:
        return "Settings(" + ", ".join(f"{n}={getattr(self, n)!r}" for n in self.__slots__) + ")"


class Overrides(NamedTuple):
    """What the command line says; each set value beats the configuration files."""

    select: Optional[set] = None
    ignore: frozenset = frozenset()
    boards: tuple = ()
    sdk_version: Optional[str] = None
    fail_on: Optional[Severity] = None
    profile: Optional[str] = None


# ------------------------------------------------------------------ globs

# ------------------------------------------------------------------ reading one file

class _Raw(NamedTuple):
    """The dfulint table of one configuration file, with the lines to locate its keys."""
    path: Path
    table: dict
    prefix: tuple            # ("tool", "dfulint") in pyproject.toml, () in .dfulint.toml
    lines: list

    def where(self, *keys: str) -> int:
        """The line that sets keys (e.g. ("severity", "DFU402")), best effort; 0 when not found."""
        return _locate(self.lines, self.prefix, keys)


def _key_re(key: str) -> str:
    return rf"""(?:{re.escape(key)}|"{re.escape(key)}"|'{re.escape(key)}')"""


def _locate(lines: list, prefix: tuple, keys: tuple) -> int:
    table: tuple = ()
    header = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(?:#.*)?$")
    best = 0
    for no, line in enumerate(lines, 1):
        m = header.match(line)
        if m:
            table = tuple(_split_dotted(m.group(1)))
            continue
        for depth in range(len(keys), 0, -1):
            # the key path relative to the current table, written as a dotted key
            full = prefix + keys[:depth]
            if table != full[:len(table)] or len(table) > len(full):
                continue
            rest = full[len(table):]
            if not rest:
                continue
            rx = r"^\s*" + r"\s*\.\s*".join(_key_re(k) for k in rest) + r"\s*="
            if re.match(rx, line):
                if depth == len(keys):
                    return no
                best = best or no
                break
        if table == prefix + keys and not best:
            best = no
    if best:
        return best
    # the table header itself
    for no, line in enumerate(lines, 1):
        m = header.match(line)
        if m and tuple(_split_dotted(m.group(1))) == prefix + keys[:1]:
            return no
    return 0


def _split_dotted(text: str) -> list:
    parts, cur, quote = [], "", ""
    for ch in text:
        if quote:
            if ch == quote:
                quote = ""
            else:
                cur += ch
        elif ch in "\"'":
            quote = ch
        elif ch == ".":
            parts.append(cur.strip())
            cur = ""
        else:
            cur += ch
    parts.append(cur.strip())
    return parts


def _read(path: Path) -> Optional[_Raw]:
    """The dfulint table of a config file; None for a pyproject.toml without [tool.dfulint]."""
    from dfulint import files
    data, why = files.read_bytes(path, MAX_CONFIG_BYTES)
    if why is not None:
        if why.kind == "too-large":
            raise ConfigError("configuration file is larger than dfulint reads "
                              f"({MAX_CONFIG_BYTES} bytes)", path)
        raise ConfigError(f"cannot read configuration file: {why.message}", path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ConfigError("configuration file is not valid UTF-8", path, line) from None
    tomllib = _toml()
    try:
        doc = tomllib.loads(text)
    except RecursionError:
        depth_line = next((i for i, ln in enumerate(text.splitlines(), 1) if ln.count("[") + ln.count("{") > 50), 1)
        raise ConfigError("invalid TOML: arrays or tables nest too deeply to read", path, depth_line) from None
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = re.search(r"\(at line (\d+), column (\d+)\)", msg)
        line, col = (int(m.group(1)), int(m.group(2))) if m else (0, 0)
        if not m and "end of document" in msg:
            nonblank = [i for i, ln in enumerate(text.splitlines(), 1) if ln.strip()]
            line = nonblank[-1] if nonblank else 1
        msg = re.sub(r"\s*\((at line \d+, column \d+|at end of document)\)", "", msg) or "invalid TOML"
        raise ConfigError(f"invalid TOML: {msg}", path, line, col) from None
    lines = text.splitlines()
    tool = doc.get("tool")
    if path.name == "pyproject.toml" or (isinstance(tool, dict) and "dfulint" in tool):
        if not isinstance(tool, dict) or "dfulint" not in tool:
            return None
        table = tool["dfulint"]
        if not isinstance(table, dict):
            raise ConfigError("[tool.dfulint] must be a table", path, _locate(lines, ("tool",), ("dfulint",)))
        return _Raw(path, table, ("tool", "dfulint"), lines)
    return _Raw(path, doc, (), lines)


# ------------------------------------------------------------------ validation

def _codes(raw: _Raw, key: str, value: Any, *sub: str) -> set:
    from dfulint.checks import expand

    line = raw.where(key, *sub)
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"`{'.'.join((key,) + sub)}` must be a list of rule codes or names", raw.path, line)
    codes, unknown = expand(value)
    if unknown:
        raise ConfigError(f"`{'.'.join((key,) + sub)}`: unknown rule code or name: {', '.join(unknown)} "
                          "(`dfulint rules` lists them)", raw.path, line)
    return codes


def _severity(raw: _Raw, value: Any, *keys: str) -> Severity:
    if not isinstance(value, str):
        raise ConfigError(f"`{'.'.join(keys)}` must be one of error, warning, info", raw.path, raw.where(*keys))
    try:
        return Severity.parse(value)
    except ValueError as exc:
        raise ConfigError(f"`{'.'.join(keys)}`: {exc}", raw.path, raw.where(*keys)) from None


def _apply(raw: _Raw, s: Settings) -> None:
    """Lay one file's values over `s` (the values it extends)."""
    from dfulint.checks import resolve

    t = raw.table

    def origin(*keys: str) -> Origin:
        return Origin("file", raw.path, raw.where(*keys))

    for key in t:
        if key not in KEYS:
            hint = ""
            alt = key.replace("_", "-")
            if alt in KEYS:
                hint = f" (did you mean `{alt}`?)"
            raise ConfigError(f"unknown key `{key}`{hint}; known keys: {', '.join(KEYS)}", raw.path, raw.where(key))
    if "select" in t:
        s.select, s.select_origin = _codes(raw, "select", t["select"]), origin("select")
    if "ignore" in t:
        s.ignore, s.ignore_origin = _codes(raw, "ignore", t["ignore"]), [origin("ignore")]
    if "severity" in t:
        sev = t["severity"]
        if not isinstance(sev, dict):
            raise ConfigError("`severity` must be a table of rule = \"error\" | \"warning\" | \"info\"",
                              raw.path, raw.where("severity"))
        for k, v in sev.items():
            code = resolve(k)
            if code is None:
                raise ConfigError(f"`severity`: unknown rule code or name {k!r} (`dfulint rules` lists them)",
                                  raw.path, raw.where("severity", k))
            s.severity[code] = (_severity(raw, v, "severity", k), origin("severity", k))
    if "per-path-ignores" in t:
        ppi = t["per-path-ignores"]
        if not isinstance(ppi, dict):
            raise ConfigError("`per-path-ignores` must be a table of \"glob\" = [rules]", raw.path,
                              raw.where("per-path-ignores"))
        mine = []
        from dfulint import glob
        for pattern, codes in ppi.items():
            try:
                glob.compile_glob(pattern)
            except glob.GlobError as exc:
                raise ConfigError(f"`per-path-ignores`: {pattern!r} is not a usable glob: {exc}", raw.path,
                                  raw.where("per-path-ignores", pattern)) from None
            mine.append(PathIgnore(raw.path.parent, pattern,
                                   frozenset(_codes(raw, "per-path-ignores", codes, pattern)),
                                   origin("per-path-ignores", pattern)))
        # the same glob in this file replaces the inherited one
        s.per_path = [p for p in s.per_path if p.pattern not in ppi] + mine
    if "boards" in t:
        b = t["boards"]
        if isinstance(b, str):
            b = [b]
        if not isinstance(b, list) or not all(isinstance(x, str) and x.strip() for x in b):
            raise ConfigError("`boards` must be a list of board names", raw.path, raw.where("boards"))
        s.boards, s.boards_origin = tuple(x.strip() for x in b), origin("boards")
    if "sdk-version" in t:
        v = t["sdk-version"]
        if isinstance(v, (int, float)):
            v = str(v)
        if not isinstance(v, str) or not re.fullmatch(r"v?\d+\.\d+(\.\d+)?([-.+].*)?", v.strip()):
            raise ConfigError("`sdk-version` must be a version such as \"2.6.0\"", raw.path, raw.where("sdk-version"))
        s.sdk_version, s.sdk_origin = v.strip(), origin("sdk-version")
    if "fail-on" in t:
        s.fail_on, s.fail_on_origin = _severity(raw, t["fail-on"], "fail-on"), origin("fail-on")
    if "profile" in t:
        v = t["profile"]
        if not isinstance(v, str) or v.strip().lower() not in PROFILES:
            raise ConfigError(f"`profile` must be one of {', '.join(PROFILES)}", raw.path, raw.where("profile"))
        s.profile, s.profile_origin = v.strip().lower(), origin("profile")


def load(path: Path, _chain: tuple = ()) -> Settings:
    """The settings of one configuration file, including what it extends."""
    path = path.resolve()
    if path in _chain:
        cycle = " -> ".join(str(p) for p in _chain + (path,))
        raise ConfigError(f"`extend` forms a cycle: {cycle}", _chain[-1] if _chain else path)
    if len(_chain) > MAX_EXTEND_DEPTH:
        raise ConfigError(f"`extend` nests more than {MAX_EXTEND_DEPTH} files deep", path)
    raw = _read(path)
    if raw is None:
        raise ConfigError("no [tool.dfulint] table in this file", path)
    s = Settings()
    ext = raw.table.get("extend")
    if ext is not None:
        if not isinstance(ext, str) or not ext.strip():
            raise ConfigError("`extend` must be the path of another configuration file", path, raw.where("extend"))
        from dfulint import files
        try:
            target = Path(os.path.abspath(path.parent / ext))
            why = files.check(target) if os.path.lexists(target) else None
            if why is None or why.kind != "outside-project":
                roots = files.project_roots(path.parent)
                why = files.outside(target, roots) if roots else None
            exists = os.path.lexists(target) and os.path.isfile(target)
        except (OSError, ValueError) as exc:
            raise ConfigError(f"`extend`: cannot use {ext!r}: {getattr(exc, 'strerror', None) or exc}", path,
                              raw.where("extend")) from None
        if why is not None and why.kind == "outside-project":
            raise ConfigError(f"`extend`: {ext} is outside the project ({why.message}); a configuration "
                              "extends only files of its own repository or west workspace", path, raw.where("extend"))
        if not exists:
            raise ConfigError(f"`extend`: {target} does not exist", path, raw.where("extend"))
        s = load(target.resolve(), _chain + (path,))
    s.files.insert(0, path)
    _apply(raw, s)
    return s


# ------------------------------------------------------------------ discovery

def _names_tool_table(line: bytes) -> bool:
    """Whether a line of a pyproject.toml starts a `[tool.dfulint...]` table or a `tool.dfulint... =`
    key (quoted parts too), or a `[tool]` table or `tool = {...}` key, which leave the dfulint key
    to a later line and so count whenever the file names dfulint at all."""
    s = line.lstrip(b" \t")
    bracket = s.startswith(b"[")
    if bracket:
        s = s[1:].lstrip(b" \t")
    s = s[1:] if s[:1] in (b'"', b"'") else s
    if not s.startswith(b"tool"):
        return False
    s = s[len(b"tool"):]
    s = (s[1:] if s[:1] in (b'"', b"'") else s).lstrip(b" \t")
    if s.startswith(b"."):
        s = s[1:].lstrip(b" \t")
        s = s[1:] if s[:1] in (b'"', b"'") else s
        after = s[len(b"dfulint"):len(b"dfulint") + 1]
        return s.startswith(b"dfulint") and not (after.isalnum() or after == b"_")
    return s.startswith(b"]" if bracket else b"=")


def _mentions_dfulint(path: Path) -> bool:
    """Whether a pyproject.toml can hold a dfulint table at all. Most cannot, and need no TOML
    parse (an invalid pyproject.toml without one is not dfulint's to report)."""
    from dfulint import files
    data, why = files.read_bytes(path, MAX_CONFIG_BYTES)
    if data is None:
        return False
    if b"dfulint" not in data:
        return False
    return any(_names_tool_table(line) for line in data.split(b"\n") if b"tool" in line)


class Resolver:
    """Finds and caches the configuration of each app; command-line values override it."""

    def __init__(self, overrides: Optional[Overrides] = None, config_file: Optional[Path] = None,
                 isolated: bool = False):
        self.overrides = overrides or Overrides()
        self.config_file = config_file
        self.isolated = isolated
        self._by_file: dict[Path, Settings] = {}
        self._by_dir: dict[Path, Optional[Path]] = {}

    def find(self, start: Path) -> Optional[Path]:
        """The closest configuration file at or above `start` (a pyproject.toml counts only with
        a [tool.dfulint] table)."""
        d = start.resolve()
        if d.is_file():
            d = d.parent
        walked = []
        found: Optional[Path] = None
        while True:
            if d in self._by_dir:
                found = self._by_dir[d]
                break
            walked.append(d)
            hit = None
            for name in FILE_NAMES:
                cand = d / name
                if cand.is_file():
                    # a pyproject.toml counts only with a [tool.dfulint] table; one that never
                    # mentions dfulint is not parsed at all (it may belong to another tool's world)
                    if name == "pyproject.toml" and (not _mentions_dfulint(cand) or _read(cand) is None):
                        continue
                    hit = cand
                    break
            if hit is not None:
                found = hit
                break
            if d.parent == d:
                break
            d = d.parent
        for w in walked:
            self._by_dir[w] = found
        return found

    def settings(self, app_root: Path) -> Settings:
        if self.isolated:
            s = Settings()
        else:
            path = self.config_file or self.find(app_root)
            if path is None:
                s = Settings()
            else:
                path = path.resolve()
                if path not in self._by_file:
                    self._by_file[path] = load(path)
                base = self._by_file[path]
                s = Settings(files=list(base.files), select=set(base.select) if base.select is not None else None,
                             select_origin=base.select_origin, ignore=set(base.ignore),
                             ignore_origin=list(base.ignore_origin), severity=dict(base.severity),
                             per_path=list(base.per_path), boards=base.boards, boards_origin=base.boards_origin,
                             sdk_version=base.sdk_version, sdk_origin=base.sdk_origin,
                             fail_on=base.fail_on, fail_on_origin=base.fail_on_origin,
                             profile=base.profile, profile_origin=base.profile_origin)
        o = self.overrides
        if o.select is not None:
            s.select, s.select_origin = set(o.select), Origin("--select")
            # a rule the command line selects runs even when the configuration ignores it
            s.ignore -= o.select
        if o.ignore:
            s.ignore |= set(o.ignore)
            s.ignore_origin = s.ignore_origin + [Origin("--ignore")]
        if o.boards:
            s.boards, s.boards_origin = tuple(o.boards), Origin("--board")
        if o.sdk_version:
            s.sdk_version, s.sdk_origin = o.sdk_version, Origin("--sdk-version")
        if o.fail_on is not None:
            s.fail_on, s.fail_on_origin = o.fail_on, Origin("--fail-on")
        if o.profile is not None:
            s.profile, s.profile_origin = o.profile, Origin("--profile")
        return s


# ------------------------------------------------------------------ --show-config

def _codes_text(codes) -> str:
    """Codes, with a whole family written as its prefix (DFU4xx) when every rule of it is there."""
    from dfulint.checks import load_all

    if not codes:
        return "(none)"
    rules = load_all()
    out, rest = [], set(codes)
    for digit in sorted({c[3] for c in codes if len(c) > 3}):
        family = {c for c in rules if c[3] == digit}
        if family and family <= rest and len(family) > 1:
            out.append(f"DFU{digit}xx")
            rest -= family
    return ", ".join(out + sorted(rest))


def _origin_text(o: Origin) -> str:
    if o.path is None:
        return o.label
    from dfulint.report import display_path

    return f"{display_path(o.path)}:{o.line}" if o.line else display_path(o.path)


def show(settings: Settings, app_label: str) -> str:
    """The effective configuration of one app and where each value came from."""
    from dfulint.report import display_path

    rows: list[tuple[str, str, str]] = []
    rows.append(("select", "all rules" if settings.select is None else _codes_text(settings.select),
                 _origin_text(settings.select_origin)))
    rows.append(("ignore", _codes_text(settings.ignore),
                 ", ".join(_origin_text(o) for o in settings.ignore_origin) or "default"))
    for code in sorted(settings.severity):
        sev, o = settings.severity[code]
        rows.append((f"severity.{code}", sev.label, _origin_text(o)))
    for p in settings.per_path:
        rows.append((f"per-path-ignores.\"{p.pattern}\"", f"{_codes_text(p.codes)} (below {display_path(p.base)})",
                     _origin_text(p.origin)))
    rows.append(("boards", ", ".join(settings.boards) if settings.boards else "every board the app names",
                 _origin_text(settings.boards_origin)))
    rows.append(("sdk-version", settings.sdk_version or "detected", _origin_text(settings.sdk_origin)))
    rows.append(("fail-on", settings.fail_on.label, _origin_text(settings.fail_on_origin)))
    rows.append(("profile", settings.profile, _origin_text(settings.profile_origin)))
    out = [app_label]
    if settings.files:
        out.append("  config: " + display_path(settings.files[0])
                   + "".join(f"\n          extends {display_path(f)}" for f in settings.files[1:]))
    else:
        out.append("  config: none found (defaults)")
    w = max(len(r[0]) for r in rows)
    v = min(max(len(r[1]) for r in rows), 32)
    for k, val, o in rows:
        out.append(f"  {k:<{w}} = {val:<{v}}  # {o}")
    return "\n".join(out) + "\n"
