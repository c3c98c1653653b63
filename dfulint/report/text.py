"""Console output, read at a glance: per app its verdict first, then the findings, most severe first.

Three layouts (`--output-format`):

- ``default``: per finding the headline, the place and the fix (rustc/ruff style)::

      error[DFU201]: mcuboot_primary has 114 sectors, mcuboot_secondary 57: swap-move refuses every update
        --> app/pm_static.yml:11:9 (mcuboot)
        fix: make the slots equal ...

- ``concise``: one line per finding, ``path:line:col: severity CODE headline``;
- ``full``: the default plus the code frame with the offending span marked and the explanation.

Each app's block is rendered on its own (``render_app``), so the command line can print it as soon
as the app is checked; ``render_tail`` then adds the summary.
"""
from __future__ import annotations

from dfulint.core import Severity
from dfulint.report import display_path

FORMATS = ("default", "concise", "full")
_COLOURS = {Severity.ERROR: "1;31", Severity.WARNING: "1;33", Severity.INFO: "1;36"}
_VERDICT_COLOURS = {"apply": "32", "none": "2", "unknown": "33", "never": "1;31", "bricks": "1;31",
                    "build": "1;31"}


def width_default() -> int:
    import shutil

    return max(60, min(160, shutil.get_terminal_size((100, 24)).columns))


class Style:
    def __init__(self, colour: bool):
        self.colour = colour

    def __call__(self, text: str, code: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.colour and text else text


def _sdk(app) -> str:
    return f"{'NCS' if app.framework == 'ncs' else 'Zephyr'} {app.sdk}"


def _wrap(label: str, text: str, indent: int, width: int, indent_after: int | None = None) -> list[str]:
    """`label text` wrapped at width, continuation lines indented under the text (or by
    `indent_after` spaces)."""
    import textwrap

    lead = " " * indent + label
    after = " " * (len(lead) if indent_after is None else indent_after)
    text = text if indent_after is not None else " ".join(text.split())
    return textwrap.wrap(text, width=max(40, width), initial_indent=lead,
                         subsequent_indent=after, break_long_words=False,
                         break_on_hyphens=False) or [lead.rstrip()]


def _loc(f) -> str:
    return f"{display_path(f.span.path)}:{f.span.line}:{f.span.col}"


def _extra(f, multi_board: bool, all_boards: set, name=None) -> str:
    extra = []
    if f.image:
        extra.append(f.image)
    bs = f.boards
    if multi_board and bs and set(bs) != all_boards:
        extra.append(("board " if len(bs) == 1 else "boards ") + ", ".join(name(b) if name else b for b in bs))
    return f" ({'; '.join(extra)})" if extra else ""


def frame(f, context: int = 1, max_lines: int = 6) -> list[tuple[int, str, tuple[int, int] | None]]:
    """Lines around the finding: (number, text, (start, end) columns to mark or None), from the
    lines the engine attached to the finding (Finding.lines); none when it has none."""
    lines, start = getattr(f, "lines", ()), getattr(f, "lines_from", 0)
    first = f.span.line
    if not lines or start < 1 or not (start <= first < start + len(lines)):
        return []
    last = min(max(f.span.end_line or first, first), start + len(lines) - 1, first + max_lines - 1)
    out = []
    for no in range(max(start, first - context), last + 1):
        text = lines[no - start].rstrip("\r\n").expandtabs(4)
        mark = None
        if first <= no <= last:
            a = max(0, f.span.col - 1) if no == first else len(text) - len(text.lstrip())
            e = len(text.rstrip())
            if no == last and f.span.end_line == no and f.span.end_col and f.span.end_col - 1 > a:
                e = min(e, f.span.end_col - 1)
            if no == first and f.span.end_line in (None, first) and not f.span.end_col:
                # no end given: mark the value (up to a trailing comment)
                rest = text[a:]
                cut = rest.find(" #")
                e = a + (cut if cut > 0 else len(rest.rstrip()))
            mark = (a, max(a + 1, e)) if a < len(text) else (len(text), len(text) + 1)
        out.append((no, text, mark))
    return out


def _frame_lines(f, st: Style, sev_code: str) -> list[str]:
    rows = frame(f)
    if not rows:
        return []
    w = len(str(rows[-1][0]))
    bar = st(" " * w + " |", "34")
    out = ["  " + bar]
    for no, text, mark in rows:
        out.append("  " + st(f"{no:>{w}} |", "34") + (" " + text if text else ""))
        if mark is not None:
            a, e = mark
            out.append("  " + bar + " " + " " * a + st("^" * (e - a), sev_code))
    out.append("  " + bar)
    return out


def render_finding(f, st: Style, fmt: str, width: int, multi_board: bool = False,
                   all_boards: set = frozenset(), name=None) -> list[str]:
    sev = f.severity
    code = _COLOURS[sev]
    extra = _extra(f, multi_board, all_boards, name)
    if fmt == "concise":
        fixable = " [*]" if f.edits else ""
        return [f"{_loc(f)}: {st(sev.label, code)} {st(f.code, '1')}{fixable} {f.title}{extra}"]
    label = f"{sev.label}[{f.code}]"
    head = _wrap("", f"{label}: {f.title}", 0, width, indent_after=2)
    out = [st(label, code) + st(head[0][len(label):], "1")] + [st(line, "1") for line in head[1:]]
    out.append(f"  {st('-->', '34')} {_loc(f)}{extra}")
    if fmt == "full":
        out += _frame_lines(f, st, code)
        if f.message and f.message.strip() != f.title:
            out += _wrap("why: ", f.message, 2, width)
    if f.fix:
        out += _wrap("fix: ", f.fix + (" [--fix applies it]" if f.edits else ""), 2, width)
    if fmt == "full" and f.related:
        out.append("  see also: " + ", ".join(f"{display_path(s.path)}:{s.line}" for s in f.related[:4]))
    return out


def _verdict_lines(app_result, st: Style, width: int) -> list[str]:
    vs = getattr(app_result, "verdicts", []) or []
    if not vs:
        return []
    if len(vs) == 1:
        v = vs[0]
        return [st(line, _VERDICT_COLOURS.get(v.kind, "0")) if i == 0 else line
                for i, line in enumerate(_wrap("", v.text, 2, width))]
    # boards with the same verdict share one line
    groups: dict[tuple, list[str]] = {}
    for v in vs:
        groups.setdefault((v.kind, v.text), []).append(v.board or "(no board)")
    order = sorted(groups.items(), key=lambda kv: ("never", "bricks", "build", "unknown", "apply",
                                                    "none").index(kv[0][0]))
    out = []
    for (kind, text), boards in order:
        who = ", ".join(boards) if len(boards) <= 3 else f"{', '.join(boards[:3])} and {len(boards) - 3} more"
        out.append(f"  {who}: {st(text, _VERDICT_COLOURS.get(kind, '0'))}")
    return out


def app_header(app_result, st: Style, width: int | None = None) -> str:
    app = app_result.app
    meta = []
    vs = getattr(app_result, "verdicts", []) or []
    if len(vs) == 1 and vs[0].board:
        meta.append(f"board {vs[0].board}")
    elif len(vs) > 1:
        meta.append(f"{len(vs)} boards")
    ctx = getattr(app, "context", None)
    if ctx is not None:
        # the context stage's own words: board, SDK and build system with evidence
        targets = app_result.targets
        meta = [ctx.summary(targets[0].board if targets else None)] if len(targets) <= 1 else \
            [f"{len(targets)} boards", ctx.sdk_summary()]
    else:
        meta += [_sdk(app), app.build_system.replace("_", "-")]
    if getattr(app, "file_suffix", None):
        meta.append(f"FILE_SUFFIX={app.file_suffix} ({app.file_suffix_source})")
    where = display_path(app.root)
    lines = _wrap("", f"{where}  ({', '.join(meta)})", 0, width or width_default(), indent_after=2)
    return "\n".join([st(where, "1") + st(lines[0][len(where):], "2")] + [st(line, "2") for line in lines[1:]])


def render_app(app_result, findings: list, colour: bool = False, fmt: str = "default",
               width: int | None = None, quiet: bool = False) -> str:
    """One app's block: its header and verdict, then its findings (already in triage order)."""
    st = Style(colour)
    width = width or width_default()
    if quiet and not findings:
        return ""
    out = [app_header(app_result, st, width)]
    out += _verdict_lines(app_result, st, width)
    raw = {t.board for t in app_result.targets if t.board}
    multi = len(app_result.targets) > 1
    name = getattr(app_result, "board_name", None)
    if findings:
        out.append("")
    for f in findings:
        out += render_finding(f, st, fmt, width, multi, raw, name)
        if fmt == "full":
            out.append("")
    if not out[-1] == "":
        out.append("")
    return "\n".join(out) + "\n"


def statistics_lines(result, st: Style | None = None) -> list[str]:
    """Counts per rule, the most frequent first, and how many --fix can mend."""
    from collections import Counter

    st = st or Style(False)
    count = Counter(f.code for f in result.findings)
    fixable = Counter(f.code for f in result.findings if f.edits)
    names = {f.code: f.name for f in result.findings}
    sev = {f.code: f.severity for f in result.findings}
    out = []
    w = max([len(str(n)) for n in count.values()] + [1])
    for code, n in sorted(count.items(), key=lambda kv: (-kv[1], kv[0])):
        mark = "[*]" if fixable[code] == n else f"[{fixable[code]}*]" if fixable[code] else "   "
        out.append(f"{n:>{w}}  {st(code, '1')} {mark} {sev[code].label:<7}  {names[code]}")
    total_fix = sum(fixable.values())
    if out:
        out.append(f"{total_fix} of {sum(count.values())} fixable with --fix ([*]).")
    return out


def verdict_summary(result) -> str:
    from collections import Counter

    from dfulint.verdict import LABELS

    c = Counter(v.kind for a in result.apps for v in getattr(a, "verdicts", []))
    if not c or sum(c.values()) < 2:
        return ""
    order = ("never", "bricks", "build", "unknown", "apply", "none")
    return "Verdicts: " + ", ".join(f"{LABELS[k]} {c[k]}" for k in order if c[k]) + "."


def render_tail(result, colour: bool = False, statistics: bool = False, quiet: bool = False) -> str:
    st = Style(colour)
    out: list[str] = []
    if statistics:
        out += statistics_lines(result, st)
        if out:
            out.append("")
    if not quiet:
        width = width_default()
        for line in [profile_line(result), summary_line(result), verdict_summary(result)] + \
                suppression_lines(result):
            if line:
                out += _wrap("", line, 0, width, indent_after=2)
    return "\n".join(out) + "\n" if out else ""


def render(result, colour: bool = False, show_fix: bool = True, fmt: str = "default",
           width: int | None = None, statistics: bool = False, quiet: bool = False) -> str:
    by_app: dict[str, list] = {}
    for f in result.findings:
        by_app.setdefault(str(f.app), []).append(f)
    parts = []
    for a in result.apps:
        fs = by_app.pop(str(a.app.root), [])
        if not show_fix:
            fs = [_nofix(f) for f in fs]
        parts.append(render_app(a, fs, colour, fmt, width, quiet))
    # findings of an app that is not in result.apps (should not happen): never drop them
    for fs in by_app.values():
        st = Style(colour)
        parts.append("\n".join(line for f in fs for line in render_finding(f, st, fmt, width or 100)) + "\n\n")
    return "".join(parts) + render_tail(result, colour, statistics, quiet)


def _nofix(f):
    import copy

    g = copy.copy(f)
    g.fix = ""
    return g


def suppression_lines(result) -> list[str]:
    """What was kept out of the results (comments, baseline), and stale baseline entries."""
    supp = getattr(result, "suppressed", [])
    inline = sum(1 for s in supp if s.kind == "inline")
    base = sum(1 for s in supp if s.kind == "baseline")
    out = []
    if inline or base:
        parts = ([f"{inline} by `dfulint: ignore` comments"] if inline else []) + \
                ([f"{base} by the baseline {display_path(result.baseline_path)}"] if base else [])
        out.append(f"Not shown: {' and '.join(parts)}.")
    fixed = getattr(result, "baseline_fixed", [])
    if fixed:
        out.append(f"{len(fixed)} baseline entr{'ies' if len(fixed) != 1 else 'y'} no longer found: "
                   f"run `dfulint check --baseline write {display_path(result.baseline_path)}` to drop "
                   f"{'them' if len(fixed) != 1 else 'it'}.")
    return out


def profile_line(result) -> str:
    """Which profile weighed the findings, and what that means for security posture."""
    profiles = getattr(result, "profiles", None) or ["development"]
    if profiles == ["release"]:
        return "Profile: release (security posture is reported as errors)."
    if profiles == ["development"]:
        return ("Profile: development (security posture is reported as info; "
                "use --profile release for production builds).")
    return f"Profiles: {', '.join(profiles)} (set per app by configuration files)."


def summary_line(result) -> str:
    n = len(result.findings)
    by = {s: sum(1 for f in result.findings if f.severity == s) for s in Severity}
    boards = sum(len(a.targets) for a in result.apps)
    apps = len(result.apps)
    if not n:
        return f"No problems found in {apps} app{'s' * (apps != 1)} ({boards} board target{'s' * (boards != 1)})."
    parts = [f"{by[s]} {s.label}{'s' * (by[s] != 1 and s != Severity.INFO)}" for s in
             (Severity.ERROR, Severity.WARNING, Severity.INFO) if by[s]]
    fixable = sum(1 for f in result.findings if f.edits)
    return (f"Found {n} problem{'s' * (n != 1)} ({', '.join(parts)}) in {apps} app{'s' * (apps != 1)} "
            f"({boards} board target{'s' * (boards != 1)})"
            + (f"; {fixable} fixable with --fix." if fixable else "."))
