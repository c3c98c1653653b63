"""Runs the selected rules over every app and board, and orders what they find."""
from __future__ import annotations

import gc
import os
import sys
from contextlib import contextmanager
from pathlib import Path

from dfulint.checks import RULES, load_all, severity_of
from dfulint.core import Finding, Severity
from dfulint.files import inside, repo_root
from dfulint.workspace import App, describe_app, find_apps

TYPE_CHECKING = False      # (typing.TYPE_CHECKING without importing typing)
if TYPE_CHECKING:
    from typing import Callable, Iterator, Optional


# An unchanged official sample exits 0, a real defect exits 1: only errors fail by default
# (warnings break under a condition, info is hygiene and, in the development profile, posture).
DEFAULT_FAIL_ON = Severity.ERROR


class Options:
    """What a run checks and how: rule selection, severities, boards, SDK version, build directory."""
    __slots__ = ("select", "ignore", "severities", "boards", "sdk_version", "build_dir", "debug", "per_app",
                 "fail_on", "profile", "per_path_ignores", "suppressions", "boards_origin", "sdk_origin",
                 "baseline", "cancelled", "reuse_parsed", "against", "file_suffix", "release_facts", "on_app",
                 "on_progress")

    select: Optional[set[str]]                  # None: every rule
    ignore: set[str]
    severities: dict[str, Severity]
    boards: tuple[str, ...]
    sdk_version: Optional[str]
    build_dir: Optional[Path]
    debug: bool
    per_app: Optional[Callable[[Path], "Options"]]   # config files may differ per app
    fail_on: Optional[Severity]                 # lowest severity that fails (None: DEFAULT_FAIL_ON)
    profile: str                                # "development" | "release" (posture rules' weight)
    per_path_ignores: list                      # config.PathIgnore
    suppressions: bool                          # honour `dfulint: ignore[...]` comments
    boards_origin: str                          # where `boards` came from (option or config file)
    sdk_origin: str
    baseline: Optional[tuple[str, Path]]        # ("write" | "use", file)
    cancelled: Optional[Callable[[], bool]]     # polled between board targets (editor: newer text)
    reuse_parsed: bool                          # keep parses of files unchanged since the last run
    against: Optional[str]                      # --against REV|PATH: the shipped release
    file_suffix: Optional[str]                  # --file-suffix: the FILE_SUFFIX the build is given
    # take each target's release facts (Target.release_facts: what `map --format json` records);
    # a run's value holds for every app (engine.run gives it to the per-app options)
    release_facts: bool
    # called with (AppResult, its findings in report order) as each app finishes, in the order
    # of the apps; a parallel runner must keep that order (reports stream from it)
    on_app: Optional[Callable]
    # called with (apps done, apps in all, the app now started) for a progress line
    on_progress: Optional[Callable]

    def __init__(self, select: Optional[set[str]] = None, ignore: Optional[set[str]] = None,
                 severities: Optional[dict[str, Severity]] = None, boards: tuple[str, ...] = (),
                 sdk_version: Optional[str] = None, build_dir: Optional[Path] = None, debug: bool = False,
                 per_app: Optional[Callable[[Path], "Options"]] = None, fail_on: Optional[Severity] = None,
                 profile: str = "development", per_path_ignores: Optional[list] = None,
                 suppressions: bool = True, boards_origin: str = "--board", sdk_origin: str = "--sdk-version",
                 baseline: Optional[tuple[str, Path]] = None, cancelled: Optional[Callable[[], bool]] = None,
                 reuse_parsed: bool = False, against: Optional[str] = None, file_suffix: Optional[str] = None,
                 release_facts: bool = True, on_app: Optional[Callable] = None,
                 on_progress: Optional[Callable] = None) -> None:
        self.select = select
        self.ignore = set() if ignore is None else ignore
        self.severities = {} if severities is None else severities
        self.boards = boards
        self.sdk_version = sdk_version
        self.build_dir = build_dir
        self.debug = debug
        self.per_app = per_app
        self.fail_on = fail_on
        self.profile = profile
        self.per_path_ignores = [] if per_path_ignores is None else per_path_ignores
        self.suppressions = suppressions
        self.boards_origin = boards_origin
        self.sdk_origin = sdk_origin
        self.baseline = baseline
        self.cancelled = cancelled
        self.reuse_parsed = reuse_parsed
        self.against = against
        self.file_suffix = file_suffix
        self.release_facts = release_facts
        self.on_app = on_app
        self.on_progress = on_progress

    def __repr__(self) -> str:
        return "Options(" + ", ".join(f"{n}={getattr(self, n)!r}" for n in self.__slots__) + ")"

    def without_callbacks(self) -> Options:
        """A copy whose callbacks (per_app, cancelled, on_app, on_progress, ...) are None: what a
        finished app's result keeps (a worker's result crosses a pipe; the callbacks stay with the run)."""
        new = Options.__new__(Options)
        for name in Options.__slots__:
            value = getattr(self, name)
            setattr(new, name, None if callable(value) else value)
        return new


class Cancelled(Exception):
    """The run was abandoned because Options.cancelled said so (its result would be stale)."""


def options_from_settings(s, build_dir: Optional[Path] = None, debug: bool = False) -> Options:
    """The options one app is checked with, from its effective configuration (config.Settings)."""
    o = Options(select=s.select, ignore=s.ignore, severities={c: sev for c, (sev, _) in s.severity.items()},
                boards=s.boards, sdk_version=s.sdk_version, build_dir=build_dir, debug=debug,
                fail_on=s.fail_on, per_path_ignores=s.per_path, profile=s.profile)
    # where the boards and the SDK version were given: the context stage names it as their evidence
    o.boards_origin = _origin(getattr(s, "boards_origin", None), "--board")
    o.sdk_origin = _origin(getattr(s, "sdk_origin", None), "--sdk-version")
    return o


def _origin(o, default: str) -> str:
    if o is None or getattr(o, "label", "") in ("", "default"):
        return default
    if getattr(o, "path", None) is not None:
        return f"{Path(o.path).name}:{o.line}" if getattr(o, "line", 0) else Path(o.path).name
    return o.label


class AppResult:
    """One checked app, its board targets and the options it was checked with."""
    __slots__ = ("app", "targets", "options", "verdicts")

    app: App
    targets: list
    options: Optional[Options]
    verdicts: list                              # verdict.Verdict per board target

    def __init__(self, app: App, targets: Optional[list] = None, options: Optional[Options] = None,
                 verdicts: Optional[list] = None) -> None:
        self.app = app
        self.targets = [] if targets is None else targets
        self.options = options
        self.verdicts = [] if verdicts is None else verdicts

    def __repr__(self) -> str:
        return f"AppResult({self.app!r}, targets={len(self.targets)})"

    def board_name(self, board: str) -> str:
        """A target's board as the SDK in force spells it (HWMv2 on NCS 2.7+ / Zephyr 3.7+)."""
        for t, v in zip(self.targets, self.verdicts):
            if t.board == board:
                return v.board or board
        return board


class Result:
    """Everything a run found, in report order, with what was suppressed and why."""
    __slots__ = ("findings", "apps", "internal_errors", "suppressed", "root", "_fingerprints", "baseline_path",
                 "baseline_written", "baseline_fixed", "against")

    findings: list[Finding]
    apps: list[AppResult]
    internal_errors: list[str]
    suppressed: list                            # suppressions.Suppressed (inline and baseline)
    root: Optional[Path]                        # repository root: artifact paths, fingerprints
    _fingerprints: Optional[dict]
    baseline_path: Optional[Path]
    baseline_written: Optional[int]             # entries written by --baseline write
    baseline_fixed: list                        # baseline entries no finding matches any more
    against: Optional[str]                      # the release compared with (--against), as named

    def __init__(self, findings: Optional[list[Finding]] = None, apps: Optional[list[AppResult]] = None,
                 internal_errors: Optional[list[str]] = None, suppressed: Optional[list] = None,
                 root: Optional[Path] = None, _fingerprints: Optional[dict] = None,
                 baseline_path: Optional[Path] = None, baseline_written: Optional[int] = None,
                 baseline_fixed: Optional[list] = None, against: Optional[str] = None) -> None:
        self.findings = [] if findings is None else findings
        self.apps = [] if apps is None else apps
        self.internal_errors = [] if internal_errors is None else internal_errors
        self.suppressed = [] if suppressed is None else suppressed
        self.root = root
        self._fingerprints = _fingerprints
        self.baseline_path = baseline_path
        self.baseline_written = baseline_written
        self.baseline_fixed = [] if baseline_fixed is None else baseline_fixed
        self.against = against

    def __repr__(self) -> str:
        return (f"Result(findings={len(self.findings)}, apps={len(self.apps)}, "
                f"internal_errors={self.internal_errors!r}, suppressed={len(self.suppressed)})")

    @property
    def fingerprints(self) -> dict:
        """id(finding) -> stable fingerprint, of the findings and the suppressed ones (computed
        when a report or the baseline first asks)."""
        if self._fingerprints is None:
            from dfulint import baseline as bl
            self._fingerprints = bl.fingerprints(self.findings + [s.finding for s in self.suppressed], self.root)
        return self._fingerprints

    def fingerprint(self, f: Finding) -> str:
        return self.fingerprints.get(id(f), "")

    def fail_level(self, f: Finding) -> Severity:
        """The fail-on level of the app a finding belongs to."""
        for a in self.apps:
            if a.app.root == f.app and a.options is not None and a.options.fail_on is not None:
                return a.options.fail_on
        return DEFAULT_FAIL_ON

    @property
    def profiles(self) -> list[str]:
        """The profiles the checked apps ran under (one, unless configuration files differ)."""
        out = [a.options.profile if a.options is not None else "development" for a in self.apps]
        return list(dict.fromkeys(out)) or ["development"]


def _enabled(code: str, opts: Options) -> bool:
    if opts.select is not None and code not in opts.select:
        return False
    return code not in opts.ignore


def _path_ignored(code: str, path: Path, opts: Options) -> bool:
    return any(code in p.codes and p.matches(path) for p in opts.per_path_ignores)


def _files_read(targets: list) -> set:
    """Every file some checked build of the app reads."""
    out = set()
    for t in targets:
        images = list(t.images.values()) + ([t.sysbuild] if t.sysbuild is not None else [])
        for img in images:
            for layer in list(img.conf_layers) + list(img.dts_layers):
                out.add(layer.path)
            for frag in img.fragments:
                out.add(frag.path)
            for df in img.dts_files:
                out.update(getattr(df, "files", ()) or (df.path,))
        if t.pm_static is not None:
            out.add(t.pm_static.path)
    return out


def _suppress(app: App, targets: list, findings: list[Finding], opts: Options, failed: set,
              result: Result) -> list[Finding]:
    from dfulint.suppressions import DTS_SUFFIXES, apply

    if not findings and not _enabled("DFU007", opts):
        return findings
    read = _files_read(targets)

    def ran(code: str, path: Path) -> bool:
        return (bool(targets) and code in RULES and _enabled(code, opts) and code not in failed
                and not _path_ignored(code, path, opts))

    def in_scope(path: Path) -> bool:
        if path in read:
            return True
        # files whose use depends on the board or build (fragments, overlays, pm_static) count only
        # when a checked build reads them; CMakeLists.txt, sample.yaml and the like always count
        return not (path.name.endswith((".conf",) + DTS_SUFFIXES) or path.name.startswith("pm_static"))

    boards = ", ".join(t.board for t in targets if t.board)
    r = RULES["DFU007"]

    def finalize(f: Finding) -> None:
        f.name = r.name
        _printable(f)
        f.severity = opts.severities.get(f.code) or severity_of(r, f.severity, opts.profile)
        f.app, f.board = app.root, boards

    scan = list(app.files) + [f.span.path for f in findings]
    kept, suppressed, unused = apply(findings, scan, ran=ran, in_scope=in_scope,
                                     report_unused=_enabled("DFU007", opts), finalize=finalize)
    result.suppressed.extend(suppressed)
    kept.extend(f for f in unused if not _path_ignored(f.code, f.span.path, opts))
    return kept


def _low_confidence(app: App, t, f: Finding) -> None:
    """A board only a test-scenario file names, while the app's own files name better ones, is
    checked at low confidence: what holds only for it is said at info, and says why."""
    ctx = getattr(app, "context", None)
    if ctx is None or not t.board or not ctx.low_confidence(t.board) or f.severity <= Severity.INFO:
        return
    b = ctx.board(t.board)
    src = ", ".join(dict.fromkeys(e.render(app.root).split(":")[0] for e in b.evidence[:3] if e.path is not None)) \
        or "a test scenario"
    if b.foreign:
        f.message += (f" [{f.severity.label} lowered to info: board {b.build_name}'s flash cannot hold the app's "
                      "pm_static.yml, so the app is not built for it; pass --board to check it fully]")
    else:
        f.message += (f" [{f.severity.label} lowered to info: board {b.build_name} is named only by {src}, "
                      "not by the app's own board files; pass --board to check it fully]")
    f.severity = Severity.INFO
    f.low_confidence = True


def check_app(root: Path, opts: Options, result: Result, tops: tuple = (), release=None,
              top: Optional[Path] = None):
    """Check one app into `result`; returns (AppResult, its findings), or None when its model failed.
    `tops`: the folders the user named (they belong to the project too); `release`: the shipped
    release to compare with (--against)."""
    from dfulint.model.project import build_targets

    from dfulint import files

    load_all()
    if opts.build_dir is not None:
        tops = tuple(tops) + (opts.build_dir,)    # a build folder named on the command line is read too
    try:
        # every file the app's model reads comes from its repository, west workspace or folder
        with files.confined(files.project_roots(root, tops=tops)) as refused:
            app = describe_app(root, opts.boards, opts.sdk_version, opts.build_dir, top=top,
                               boards_origin=opts.boards_origin, sdk_origin=opts.sdk_origin,
                               file_suffix=opts.file_suffix)
        with files.confined(files.project_roots(root, app.west_root, tops)) as refused_later:
            targets = build_targets(app)
            if release is not None:
                # the shipped release's facts beside each target's (the release's own files are
                # read confined to the release: its folder, build directory or private copy)
                targets = release.attach(app, targets)
        targets = _note_refusals(targets, refused + refused_later)
    except Exception as exc:  # a bug in dfulint, never the user's fault
        if opts.debug:
            raise
        result.internal_errors.append(f"{root}: building the model failed: {type(exc).__name__}: {exc}")
        return None
    app_result = AppResult(app, targets, opts)
    result.apps.append(app_result)
    seen: dict[tuple, Finding] = {}
    failed: set = set()
    for t in targets:
        if opts.cancelled is not None and opts.cancelled():
            raise Cancelled()
        for code in sorted(RULES):
            if not _enabled(code, opts):
                continue
            r = RULES[code]
            if not r.applies.matches(t):
                continue
            try:
                produced = list(r.func(t) or ())
            except Exception as exc:
                if opts.debug:
                    raise
                import traceback

                tb = traceback.extract_tb(exc.__traceback__)[-1]
                result.internal_errors.append(
                    f"{root} [{t.board}]: rule {code} failed: {type(exc).__name__}: {exc} "
                    f"({Path(tb.filename).name}:{tb.lineno})")
                failed.add(code)
                continue
            for f in produced:
                f.code, f.name = r.code, r.name
                _printable(f)
                f.severity = opts.severities.get(code) or severity_of(r, f.severity, opts.profile)
                f.app, f.board = app.root, t.board or ""
                if app.build_dir is not None and inside(f.span.path, app.build_dir, resolve=True):
                    f.evidence = "build"      # the value comes from the build's own output
                key = (f.code, f.span.path, f.span.line, f.span.col, f.message, f.image)
                if key in seen:
                    first = seen[key]
                    if t.board and t.board not in first.board.split(", "):
                        first.board = f"{first.board}, {t.board}" if first.board else t.board
                    continue
                _low_confidence(app, t, f)
                seen[key] = f
    findings = [f for f in seen.values() if not _path_ignored(f.code, f.span.path, opts)]
    if opts.suppressions:
        findings = _suppress(app, targets, findings, opts, failed, result)
    findings.sort(key=_sort_key)
    if opts.release_facts:
        app_result.targets = targets = _take_release_facts(targets)
    # the lines each finding points at, read now (confined like the model, from the cache) so that
    # no report reads a file and the text crosses a worker's pipe with the finding
    with files.confined(files.project_roots(root, app.west_root, tops)):
        attach_lines(findings)
    from dfulint.verdict import verdicts
    app_result.verdicts = verdicts(app_result, findings, str(app.root))
    result.findings.extend(findings)
    return app_result, findings


#: the lines a report may show around a finding's span: before its first line, after its last, and
#: at most this many of the span itself (the text report shows fewer, see report/text.py)
FRAME_BEFORE, FRAME_AFTER, FRAME_SPAN = 2, 2, 14


def _take_release_facts(targets: list) -> list:
    """The targets with their release facts (what `map --format json` records and `check --against`
    compares), taken once here so that reports compute nothing; left None when they cannot be taken."""
    from dfulint.model import release

    out = []
    for t in targets:
        if getattr(t, "release_facts", None) is None:
            try:
                t = t._replace(release_facts=release.facts_of(t, "snapshot"))
            except Exception:       # a target of another shape: drop_model keeps it whole
                pass
        out.append(t)
    return out


def attach_lines(findings: list[Finding]) -> None:
    """Give each finding the text of its span's lines, with FRAME_BEFORE lines before and
    FRAME_AFTER after (Finding.lines, Finding.lines_from); nothing when the file cannot be read or
    the span is not in it."""
    from dfulint.sources import read_text

    for f in findings:
        try:
            lines = read_text(f.span.path).lines
        except Exception:                   # a frame is a courtesy: never let it stop the check
            continue
        first = f.span.line
        if not lines or not (0 < first <= len(lines)):
            continue
        last = min(max(f.span.end_line or first, first), len(lines), first + FRAME_SPAN - 1)
        start = max(1, first - FRAME_BEFORE)
        f.lines = tuple(line.rstrip("\r\n") for line in lines[start - 1:min(len(lines), last + FRAME_AFTER)])
        f.lines_from = start


def _printable(f: Finding) -> None:
    """Text a finding quotes from the project (a line, a name, a value) is shown escaped: no control
    character or direction override from a file reaches a terminal or a CI log."""
    from dfulint.core import printable

    for name in ("message", "fix", "headline", "anchor"):
        v = getattr(f, name, None)
        if isinstance(v, str):
            setattr(f, name, printable(v))


def _note_refusals(targets: list, refused: list) -> list:
    """The targets with the files the file layer refused (outside the project, not regular, too
    large) as problems of each, wherever the reader that asked for them had no place to report them."""
    from dfulint.core import Span
    from dfulint.sources import Problem

    if not refused:
        return targets
    out = []
    for t in targets:
        have = {(p.span.path, p.kind, p.span.line) for p in t.problems}
        extra = []
        for path, why in refused:
            if (path, why.kind, why.line) not in have:
                have.add((path, why.kind, why.line))
                extra.append(Problem(why.kind, Span(Path(path), why.line, 1), why.message, why.fix))
        out.append(t._replace(problems=tuple(t.problems) + tuple(extra)) if extra else t)
    return out


def app_root_of(path: Path) -> Optional[Path]:
    """The app a configuration file belongs to: the closest folder above it that is an app,
    skipping image-configuration folders (child_image/mcuboot/ holds a prj.conf but is no app)."""
    from dfulint.context.folders import is_app_dir

    path = path.resolve()
    for d in path.parents:
        if d.parent.name in ("child_image", "sysbuild") or d.name in ("child_image", "sysbuild", "boards"):
            continue
        try:
            names = {p.name for p in d.iterdir()}
        except OSError:
            continue
        if is_app_dir(d, names):
            return d
        if (d / ".git").exists() or (d / ".west").is_dir():
            return None
    return None


def app_roots(paths: list[Path]) -> list[Path]:
    """App folders for PATHS: folders are searched for apps; a file stands for the app holding it."""
    out: list[Path] = []
    folders = []
    for p in paths:
        if p.is_file():
            root = app_root_of(p)
            if root is not None:
                out.append(root)
        else:
            folders.append(p)
    if folders:
        out.extend(find_apps(folders))
    return list(dict.fromkeys(out))


def project_tops(paths: list[Path], roots: list[Path]) -> dict:
    """The project folder each app belongs to, as far as the checked paths tell: the folder given on
    the command line, or, when it holds several projects side by side (a folder of checkouts), the
    project's own folder below it. The context stage looks for west manifests anywhere in it."""
    out: dict = {}
    for p in paths:
        try:
            top = p.resolve()
        except OSError:
            continue
        if top.is_file():
            continue
        below = [r for r in roots if r not in out and inside(r, top, resolve=True)]
        heads = {r.relative_to(top).parts[0] if r != top else "" for r in below}
        for r in below:
            if len(heads) > 1 and r != top:
                out[r] = top / r.relative_to(top).parts[0]
            else:
                out[r] = top
    return out


def _sort_key(f: Finding):
    """Triage order: per app, the most severe first, then by file and line."""
    return (str(f.app), -int(f.severity or 0), str(f.span.path), f.span.line, f.span.col, f.code, f.board)


def drop_model(app_result: AppResult) -> AppResult:
    """The app's result without its configuration model: each target keeps the facts reports show
    (board, SoC, flash map, MCUboot's analysis), not its images' Kconfig evaluations, devicetrees
    and parsed files. A run over many apps holds one app's model at a time."""
    facts_wanted = getattr(app_result.options, "release_facts", True)
    slim = []
    for t in app_result.targets:
        try:
            facts = getattr(t, "release_facts", None)
            if facts is None and facts_wanted:
                from dfulint.model import release

                facts = release.facts_of(t, "snapshot")     # what `map --format json` records of the images
            slim.append(t._replace(images={}, sysbuild=None, pm_static=None, ext={}, problems=(),
                                            files=None, board_info=None, config_dirs=(), pm_static_unused=(),
                                            paths=None, dfu=None, drivers={}, symbols_gone_later=(),
                                            symbol_status={},
                                            release_facts=facts))
        except Exception:       # a target of another shape, or facts that cannot be taken: keep it whole
            slim.append(t)
    opts = app_result.options
    if opts is not None:        # the callbacks stay with the run (and a worker's result crosses a pipe)
        opts = opts.without_callbacks()
    return AppResult(app_result.app, slim, opts, app_result.verdicts)


def default_jobs() -> int:
    """The processes `check` uses by default: one per core this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


_WORK: tuple = ()       # (roots, options per root, (named folders, project folder) per root) in a worker


def _worker_init(roots: list, app_opts: list, app_tops: list) -> None:
    global _WORK
    _WORK = (roots, app_opts, app_tops)
    try:
        import signal
        signal.signal(signal.SIGINT, signal.SIG_IGN)     # Ctrl-C stops the parent, which ends the pool
    except (ImportError, ValueError, OSError):
        pass


def _check_one(i: int, work: Optional[tuple] = None, keep_models: bool = False, release=None,
               last: bool = False) -> tuple:
    """Check app number `i` alone: (i, its Result). `last`: no app follows in this process."""
    roots, app_opts, app_tops = work if work is not None else _WORK
    part = Result()
    named, top = app_tops[i]
    check_app(roots[i], app_opts[i], part, named, release, top=top)
    if not keep_models:
        part.apps = [drop_model(a) for a in part.apps]
        if not last:
            # the app's model is garbage now: collect it while it is young (see _collector); not
            # after the last app: the process then only writes its reports and ends, and the
            # collection would pass over every object allocated since the start for nothing
            gc.collect(1)
    return i, part


@contextmanager
def _collector():
    """The cyclic garbage collector during a run: between apps it collects the objects of the app
    just checked (_check_one), while they are young, instead of passing again and again over what
    lives for the whole run (parsed Kconfig trees, caches, earlier apps' findings) whenever its
    allocation counters say so. Full collections stay possible, rarely."""
    saved = gc.get_threshold()
    gc.set_threshold(max(saved[0], 100_000), 1000, 100)
    try:
        yield
    finally:
        gc.set_threshold(*saved)


def _chunks(n: int, jobs: int) -> list:
    """Apps 0..n-1 in runs of neighbours for the workers: a few at a time while many remain (the
    apps of one repository share SDK versions and SoCs: a worker reuses what it derived from them),
    one at a time at the end, so that no worker is left with a long run while the others idle."""
    out, i = [], 0
    while i < n:
        size = max(1, min(8, (n - i) // (jobs * 4)))
        out.append(tuple(range(i, i + size)))
        i += size
    return out


def _check_in_worker(chunk: tuple) -> list:
    """In a worker process: [(i, the app's Result pickled for the parent)] for each app of the
    chunk, or (i, None) when some part of it cannot cross the pipe (the parent then checks that
    app itself)."""
    import pickle

    out = []
    for i in chunk:
        i, part = _check_one(i)
        try:
            out.append((i, pickle.dumps(part, protocol=pickle.HIGHEST_PROTOCOL)))
        except Exception:
            out.append((i, None))
    return out


def _parts(roots: list, app_opts: list, app_tops: list, release, jobs: int, keep_models: bool,
           on_progress) -> "Iterator[Result]":
    """Each app's Result, in the order of `roots`, as soon as it and every app before it are done."""
    n = len(roots)
    jobs = max(1, min(jobs, n))
    if jobs > 1:
        import multiprocessing

        methods = multiprocessing.get_all_start_methods()
        if "fork" not in methods:
            jobs = 1        # a fresh interpreter per worker costs more than it saves for most repositories
    if jobs == 1:
        for i in range(n):
            if on_progress is not None:
                on_progress(i, n, roots[i])
            yield _check_one(i, (roots, app_opts, app_tops), keep_models, release, last=i == n - 1)[1]
        return
    import pickle

    ctx = multiprocessing.get_context("fork")
    waiting: dict = {}
    nxt = done = 0
    # what the parent holds now (modules, options) the workers only read: the collector leaves it
    # alone, in every process, so that it stays shared with the workers instead of being copied
    gc.freeze()
    try:
        with ctx.Pool(jobs, initializer=_worker_init, initargs=(roots, app_opts, app_tops)) as pool:
            for results in pool.imap_unordered(_check_in_worker, _chunks(n, jobs)):
                for i, data in results:
                    # the parent's own worker, not a file or cache: the data comes from the process it forked
                    part = pickle.loads(data) if data is not None else \
                        _check_one(i, (roots, app_opts, app_tops), keep_models=False)[1]
                    done += 1
                    if on_progress is not None:
                        on_progress(done, n, roots[i])        # completion order
                    waiting[i] = part
                while nxt in waiting:                     # the order of the apps
                    yield waiting.pop(nxt)
                    nxt += 1
    finally:
        gc.unfreeze()


# The libraries a model is built with (pyproject's dependencies). Without one, a reader would
# degrade (no devicetree, no Kconfig evaluation) and rules would report what the build never says.
REQUIRED_LIBRARIES = {"yaml": "pyyaml", "kconfiglib": "kconfiglib", "devicetree": "devicetree",
                      "tree_sitter": "tree-sitter", "tree_sitter_devicetree": "tree-sitter-devicetree"}
_LIBRARIES_FOUND = False


class MissingLibrary(Exception):
    """dfulint is installed without a library it needs: no app can be checked truthfully."""


def require_libraries() -> None:
    """Raise MissingLibrary, naming the packages to install, unless every required library can be
    imported (looked up once per process, without importing them)."""
    global _LIBRARIES_FOUND
    if _LIBRARIES_FOUND:
        return
    import importlib.util

    missing = []
    for module, package in REQUIRED_LIBRARIES.items():
        if sys.modules.get(module) is not None:
            continue        # imported, or set to be on first use (find_spec would load it now)
        try:
            found = importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            missing.append(package)
    if missing:
        raise MissingLibrary(
            f"dfulint is installed without {', '.join(missing)}, which it needs to read the project; "
            f"install them into the Python that runs dfulint (pip install {' '.join(missing)}), "
            f"or reinstall dfulint with pip")
    _LIBRARIES_FOUND = True


def run(paths: list[Path], opts: Options, jobs: int = 1, keep_models: bool = True) -> Result:
    """Check every app under `paths`.

    `jobs` > 1 checks apps in that many processes; the result is the same as with one. Without
    `keep_models` (always with several jobs) each app's configuration model is dropped once its
    findings are known (see drop_model()). `opts.on_app(app_result, findings)` receives each app as
    soon as it and every app before it are done, in report order; `opts.on_progress(done, total,
    app)` is called before each app with one job, and as each app finishes with several (completion
    order), then once more with (total, total, None)."""
    require_libraries()
    from dfulint.sources import clear_caches, refresh

    if opts.reuse_parsed:
        refresh()       # the language server: files unchanged since the last check keep their parses
    else:
        clear_caches()  # a run reads the files as they are now (--fix, tests, editors)
    result = Result()
    base = None
    if opts.baseline is not None and opts.baseline[0] == "use":
        from dfulint import baseline as bl

        base = bl.load(opts.baseline[1])          # a broken baseline stops the run before any work
    tops = tuple(p.resolve() if p.is_dir() else p.resolve().parent for p in paths)
    release = None
    if opts.against:
        from dfulint.release import open_release
        release = open_release(opts.against, paths)     # ReleaseError: the value cannot be used at all
        jobs = 1        # the release's files are materialised once, by one process
    roots = app_roots(paths)
    app_opts = [opts.per_app(root) if opts.per_app else opts for root in roots]
    for o in app_opts:
        o.release_facts = opts.release_facts
    ptops = project_tops(paths, roots)
    app_tops = [(tuple(t for t in tops if inside(root, t, resolve=True)), ptops.get(root)) for root in roots]
    if opts.debug or any(o.debug for o in app_opts):
        jobs = 1                                  # tracebacks from this process
    keep_models = keep_models and jobs <= 1
    try:
        with _collector():
            for part in _parts(roots, app_opts, app_tops, release, jobs, keep_models, opts.on_progress):
                result.apps.extend(part.apps)
                result.findings.extend(part.findings)
                result.suppressed.extend(part.suppressed)
                result.internal_errors.extend(part.internal_errors)
                if part.apps and opts.on_app is not None:
                    opts.on_app(part.apps[0], part.findings)
        if opts.on_progress is not None:
            opts.on_progress(len(roots), len(roots), None)
    finally:
        if release is not None:
            release.close()
    result.against = release.label if release is not None else None
    result.findings.sort(key=_sort_key)
    result.suppressed.sort(key=lambda s: _sort_key(s.finding))
    result.root = repo_root([a.app.root for a in result.apps])
    if opts.baseline is not None:
        from dfulint import baseline as bl
        from dfulint.suppressions import Suppressed

        mode, path = opts.baseline
        result.baseline_path = path
        if mode == "write":
            result.baseline_written = bl.write(path, result.findings, result.root, result.fingerprints)
            base = bl.load(path)
        new, known = bl.split(result.findings, base, result.fingerprints)
        result.findings = new
        result.suppressed.extend(Suppressed(f, "baseline", None, f"in baseline {path}") for f in known)
        result.suppressed.sort(key=lambda s: _sort_key(s.finding))
        seen = {result.fingerprints[id(f)] for f in known}
        result.baseline_fixed = bl.fixed_entries(base, seen, [a.app.root for a in result.apps], result.root)
    return result
