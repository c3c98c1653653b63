"""`dfulint server`: the Language Server Protocol over stdio (pygls).

The server runs the same pipeline as `dfulint check` on the app that holds an edited file, with the
editor's unsaved buffers in place of the files on disk (it never writes them), and publishes the
findings as diagnostics on every file of that app. Checks run one at a time on a worker thread, so
the server keeps answering while one runs; a change that arrives during a check makes its result
stale, and only the newest text's findings are published.

Besides diagnostics: code actions (the `--fix` edits of a finding, and a `dfulint: ignore[...]`
comment as `--add-ignore` writes it), and hovers that show where a partition sits in the flash map,
a symbol's effective value and where it was set, and what a chosen node points at.
"""
from __future__ import annotations

import asyncio
import difflib
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from dfulint import __version__
from dfulint.core import Finding, Severity

TYPE_CHECKING = False      # (typing.TYPE_CHECKING without importing typing)
if TYPE_CHECKING:
    from typing import Optional

RULE_URL = "https://github.com/dfulint/dfulint/blob/main/rules/{page}.md"
DEBOUNCE_S = 0.025

_SEVERITY = {Severity.ERROR: types.DiagnosticSeverity.Error,
             Severity.WARNING: types.DiagnosticSeverity.Warning,
             Severity.INFO: types.DiagnosticSeverity.Information}


@dataclass
class Settings:
    """What the client may set: in initializationOptions or as the `dfulint` settings section."""
    boards: tuple = ()
    sdk_version: Optional[str] = None
    profile: Optional[str] = None
    debounce: float = DEBOUNCE_S

    def update(self, raw) -> None:
        if not isinstance(raw, dict):
            return
        raw = raw.get("dfulint", raw) if isinstance(raw.get("dfulint", raw), dict) else raw
        board = raw.get("board", raw.get("boards"))
        if isinstance(board, str):
            self.boards = tuple(b.strip() for b in board.split(",") if b.strip())
        elif isinstance(board, (list, tuple)):
            self.boards = tuple(str(b) for b in board if str(b).strip())
        sdk = raw.get("sdkVersion", raw.get("sdk_version"))
        if isinstance(sdk, str):
            self.sdk_version = sdk.strip() or None
        profile = raw.get("profile")
        if isinstance(profile, str):
            self.profile = profile.strip() or None
        debounce = raw.get("debounceMs")
        if isinstance(debounce, (int, float)) and 0 <= debounce <= 5000:
            self.debounce = debounce / 1000


@dataclass(eq=False)
class AppState:
    """The last published check of one app: its findings and board targets, and the files it
    published diagnostics on (cleared when a later check finds nothing there)."""
    root: Path
    findings: list = field(default_factory=list)
    targets: list = field(default_factory=list)
    published: set = field(default_factory=set)
    generation: int = 0           # bumped by every change of one of its files
    task: Optional[asyncio.Task] = None


class DfulintServer(LanguageServer):
    """The language server and its per-app state."""

    def __init__(self) -> None:
        super().__init__("dfulint", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Full)
        self.settings = Settings()
        self.apps: dict[Path, AppState] = {}
        self.worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dfulint-check")
        self.lock = threading.Lock()

    # ------------------------------------------------------------------ checking

    def buffers(self) -> dict:
        """Resolved path -> text of every document the editor has open."""
        out = {}
        for uri, doc in list(self.workspace.text_documents.items()):
            path = to_fs_path(uri)
            if path:
                try:
                    out[Path(path).resolve()] = doc.source
                except (OSError, RuntimeError):
                    continue
        return out

    def app_of(self, uri: str) -> Optional[AppState]:
        from dfulint.engine import app_root_of

        path = to_fs_path(uri)
        if not path:
            return None
        root = app_root_of(Path(path))
        if root is None:
            return None
        root = root.resolve()
        return self.apps.setdefault(root, AppState(root))

    def schedule(self, uri: str, delay: Optional[float] = None, edit: bool = False) -> None:
        """Check the app holding `uri` after the debounce delay; a newer change restarts the wait.
        An edit of an open buffer re-parses only the files that changed; opening, saving or closing
        a file (when files may have appeared or changed on disk) starts from scratch."""
        st = self.app_of(uri)
        if st is None:
            return
        st.generation += 1
        if st.task is not None and not st.task.done():
            st.task.cancel()
        st.task = asyncio.ensure_future(self._check_later(st, st.generation,
                                                          self.settings.debounce if delay is None else delay,
                                                          edit))

    async def _check_later(self, st: AppState, generation: int, delay: float, edit: bool = False) -> None:
        try:
            if delay:
                await asyncio.sleep(delay)
            buffers = self.buffers()
            loop = asyncio.get_running_loop()
            result = await loop.run_in_executor(
                self.worker, self.run_check, st.root, buffers, lambda: generation != st.generation, edit)
        except asyncio.CancelledError:
            return
        if result is None or generation != st.generation:
            return          # the text changed while it ran: the newer check publishes
        self.publish(st, result)

    def run_check(self, root: Path, buffers: dict, stale=None, reuse: bool = False):
        """One check of one app with the editor's buffers in place of the files (worker thread)."""
        from dfulint import config, engine, sources

        with self.lock:
            sources.set_overlay(buffers)
            try:
                overrides = config.Overrides(boards=self.settings.boards, sdk_version=self.settings.sdk_version,
                                             profile=self.settings.profile)
                resolver = config.Resolver(overrides, None, False)

                def per_app(r: Path) -> "engine.Options":
                    o = engine.options_from_settings(resolver.settings(r))
                    o.cancelled = stale
                    return o

                try:
                    return engine.run([root], engine.Options(per_app=per_app, reuse_parsed=reuse))
                except (config.ConfigError, engine.MissingLibrary) as exc:
                    return exc
                except engine.Cancelled:
                    return None
            finally:
                sources.set_overlay({})

    # ------------------------------------------------------------------ publishing

    def publish(self, st: AppState, result) -> None:
        from dfulint import config

        by_path: dict[Path, list] = {}
        from dfulint import engine

        if isinstance(result, (config.ConfigError, engine.MissingLibrary)):
            st.findings, st.targets = [], []
            self.window_log_message(types.LogMessageParams(types.MessageType.Error, f"dfulint: {result}"))
        else:
            st.findings = list(result.findings)
            st.targets = [t for a in result.apps for t in a.targets]
            for e in result.internal_errors:
                self.window_log_message(types.LogMessageParams(types.MessageType.Error, f"dfulint: {e}"))
        for i, f in enumerate(st.findings):
            by_path.setdefault(f.span.path.resolve(), []).append(diagnostic(f, i))
        for path in set(by_path) | st.published:
            self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
                uri=from_fs_path(str(path)), diagnostics=by_path.get(path, [])))
        st.published = set(by_path)

    def finding_at(self, uri: str, diag: types.Diagnostic) -> Optional[Finding]:
        st = self.app_of(uri)
        data = diag.data if isinstance(diag.data, dict) else {}
        i = data.get("finding")
        if st is None or not isinstance(i, int) or not 0 <= i < len(st.findings):
            return None
        f = st.findings[i]
        return f if f.code == data.get("code") else None


# ---------------------------------------------------------------------- conversions

def _range(span) -> types.Range:
    """A span's range; without an end, to the end of its line (clients clamp the column)."""
    line = max(span.line - 1, 0)
    col = max(span.col - 1, 0)
    if span.end_line is not None and span.end_col is not None:
        end = types.Position(max(span.end_line - 1, 0), max(span.end_col - 1, 0))
    else:
        end = types.Position(line, 10_000)
    return types.Range(types.Position(line, col), end)


def rule_page(code: str) -> Optional[str]:
    from dfulint.checks import RULES

    r = RULES.get(code)
    return RULE_URL.format(page=f"{r.code}-{r.name}") if r is not None else None


def diagnostic(f: Finding, index: int) -> types.Diagnostic:
    """A finding as an LSP diagnostic; `data` lets a code action find the finding again."""
    head = f.title
    body = f.explanation if f.explanation != head else ""
    message = head + (f"\n\n{body}" if body else "") + (f"\n\nfix: {f.fix}" if f.fix else "")
    related = [types.DiagnosticRelatedInformation(
        location=types.Location(uri=from_fs_path(str(s.path)), range=_range(s)),
        message=f"{f.code}: related place") for s in f.related if getattr(s, "path", None) is not None]
    page = rule_page(f.code)
    return types.Diagnostic(
        range=_range(f.span), message=message, severity=_SEVERITY.get(f.severity, types.DiagnosticSeverity.Information),
        code=f.code, source="dfulint",
        code_description=types.CodeDescription(href=page) if page else None,
        related_information=related or None,
        data={"finding": index, "code": f.code})


def text_edits(old: Optional[str], new: str) -> list:
    """The smallest line-wise edits that turn `old` into `new`."""
    a = (old or "").splitlines(keepends=True)
    b = new.splitlines(keepends=True)
    out = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        start = types.Position(i1, 0)
        end = types.Position(i2, 0)
        if i2 == len(a) and a and not a[-1].endswith(("\n", "\r")):
            end = types.Position(i2 - 1, len(a[-1]))    # the last line has no newline: end at its text
        out.append(types.TextEdit(types.Range(start, end), "".join(b[j1:j2])))
    return out


def workspace_edit(plan) -> Optional[types.WorkspaceEdit]:
    """A fix.Plan as a WorkspaceEdit (files that do not exist yet are created first)."""
    if plan is None or not plan.changes:
        return None
    changes: list = []
    for fp in plan.files:
        if fp.old == fp.new:
            continue
        uri = from_fs_path(str(fp.path))
        if fp.old is None:
            changes.append(types.CreateFile(uri=uri, kind="create"))
        changes.append(types.TextDocumentEdit(
            text_document=types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=None),
            edits=text_edits(fp.old, fp.new)))
    return types.WorkspaceEdit(document_changes=changes) if changes else None


def fix_action(f: Finding, diag: types.Diagnostic) -> Optional[types.CodeAction]:
    from dfulint import fix

    if not f.edits:
        return None
    edit = workspace_edit(fix.plan([f]))
    if edit is None:
        return None
    title = f"Fix {f.code}: {f.fix}" if f.fix else f"Fix {f.code}"
    return types.CodeAction(title=title[:120], kind=types.CodeActionKind.QuickFix, diagnostics=[diag],
                            edit=edit, is_preferred=True)


def suppress_action(f: Finding, diag: types.Diagnostic) -> Optional[types.CodeAction]:
    from dfulint.add_ignore import suppression_plan

    edit = workspace_edit(suppression_plan([f]))
    if edit is None:
        return None
    return types.CodeAction(title=f"Suppress {f.code} with a `dfulint: ignore[{f.code}]` comment",
                            kind=types.CodeActionKind.QuickFix, diagnostics=[diag], edit=edit)


# ---------------------------------------------------------------------- hovers

_WORD = re.compile(r"[A-Za-z0-9_,#.@&/-]+")


def word_at(line: str, character: int) -> str:
    for m in _WORD.finditer(line):
        if m.start() <= character <= m.end():
            return m.group(0)
    return ""


def _rel(path, root: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(root))
    except (ValueError, OSError):
        return Path(path).name


def hover_partition(name: str, st: AppState) -> list:
    from dfulint.units import hx, kib

    out = []
    for t in st.targets:
        p = t.flash.get(name) if t.flash is not None else None
        if p is None:
            continue
        if p.static and p.where is not None:
            how = f"pinned at {_rel(p.where.path, st.root)}:{p.where.line}"
        elif t.flash.origin == "build":
            how = "from the build directory's partitions.yml"
        elif t.uses_pm:
            how = "placed by Partition Manager" + (f" ({p.source})" if p.source else "")
        else:
            how = p.source or "from the devicetree"
        out.append(f"**{p.name}** ({t.board or 'no board'}): {hx(p.address)} + {hx(p.size)} "
                   f"({kib(p.size)}, ends {hx(p.end)}) on {p.region}, {how}")
    return out


def _value_text(v) -> str:
    if v.value is None:
        return "unset" + (f" ({v.note})" if v.note else "")
    return f"{v.value!r}" if isinstance(v.value, str) and v.value not in ("y", "n") else str(v.value)


def hover_symbol(name: str, path: Path, st: AppState) -> list:
    out = []
    seen = set()
    for t in st.targets:
        images = list(t.images.values()) + ([t.sysbuild] if t.sysbuild is not None else [])
        for img in images:
            if img.config is None or path not in {p.resolve() for p in img.conf_paths}:
                continue
            v = img.config.get(name)
            places = [f"{_rel(a.span.path, st.root)}:{a.span.line}" for a in v.assignments]
            origin = {"fragment": "set", "default": "default", "select": "selected by another symbol",
                      "forced": "forced by the build", "unset": "not set"}.get(v.origin, v.origin)
            where = f" at {places[-1]}" if places and v.origin == "fragment" else ""
            earlier = f", overriding {', '.join(reversed(places[:-1]))}" if len(places) > 1 else ""
            line = f"**{name}** = {_value_text(v)} in image `{img.name}` ({t.board or 'no board'}): {origin}{where}{earlier}"
            if line not in seen:
                seen.add(line)
                out.append(line)
    return out


def hover_chosen(word: str, path: Path, st: AppState) -> list:
    out = []
    for t in st.targets:
        for img in t.images.values():
            dt = img.dt
            if dt is None:
                continue
            files = {Path(f).resolve() for df in img.dts_files for f in (getattr(df, "files", ()) or (df.path,))}
            if path not in files:
                continue
            node = None
            if word.startswith("&"):
                node = dt.resolve_ref(word[1:].rstrip(";,>"))
                label = word
            else:
                ch = dt.chosen(word)
                node = ch[0] if ch else None
                label = f"chosen `{word}`"
                if ch is None:
                    continue
            if node is None:
                out.append(f"{label} in image `{img.name}` ({t.board}): points at no node this build defines")
                continue
            from dfulint.units import hx

            extra = ""
            for p in t.flash.partitions if t.flash is not None else []:
                if p.label and p.label in getattr(node, "labels", ()):
                    extra = f": {p.name} {hx(p.address)} + {hx(p.size)} on {p.region}"
            out.append(f"{label} in image `{img.name}` ({t.board}) -> `{node.path}`{extra}")
    return list(dict.fromkeys(out))


def hover_text(server: DfulintServer, uri: str, pos: types.Position) -> Optional[str]:
    st = server.app_of(uri)
    if st is None:
        return None
    doc = server.workspace.get_text_document(uri)
    lines = doc.source.splitlines()
    if pos.line >= len(lines):
        return None
    word = word_at(lines[pos.line], pos.character)
    if not word:
        return None
    path = Path(to_fs_path(uri)).resolve()
    name = path.name
    parts: list = []
    if name.startswith("pm_static") and name.endswith((".yml", ".yaml")):
        parts = hover_partition(word.rstrip(":"), st)
    elif name.endswith(".conf"):
        m = re.search(r"\b((?:SB_)?CONFIG_[A-Za-z0-9_]+)", word)
        if m:
            parts = hover_symbol(m.group(1), path, st)
    elif name.endswith((".overlay", ".dts", ".dtsi")):
        parts = hover_chosen(word.rstrip(";=,"), path, st)
    return "\n\n".join(parts) if parts else None


# ---------------------------------------------------------------------- the server

def make_server() -> DfulintServer:
    server = DfulintServer()

    @server.feature(types.INITIALIZE)
    def initialize(ls: DfulintServer, params: types.InitializeParams):
        ls.settings.update(params.initialization_options or {})

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    def did_change_configuration(ls: DfulintServer, params: types.DidChangeConfigurationParams):
        ls.settings.update(params.settings)
        for st in ls.apps.values():
            ls.schedule(from_fs_path(str(st.root / "prj.conf")), delay=0)

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: DfulintServer, params: types.DidOpenTextDocumentParams):
        ls.schedule(params.text_document.uri, delay=0)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: DfulintServer, params: types.DidChangeTextDocumentParams):
        ls.schedule(params.text_document.uri, edit=True)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: DfulintServer, params: types.DidSaveTextDocumentParams):
        ls.schedule(params.text_document.uri, delay=0)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: DfulintServer, params: types.DidCloseTextDocumentParams):
        ls.schedule(params.text_document.uri, delay=0)     # the file on disk counts again

    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION,
                    types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]))
    def code_action(ls: DfulintServer, params: types.CodeActionParams):
        actions = []
        for diag in params.context.diagnostics:
            if diag.source != "dfulint":
                continue
            f = ls.finding_at(params.text_document.uri, diag)
            if f is None:
                continue
            with ls.lock:
                from dfulint import sources
                sources.set_overlay(ls.buffers())
                try:
                    for make in (fix_action, suppress_action):
                        a = make(f, diag)
                        if a is not None:
                            actions.append(a)
                finally:
                    sources.set_overlay({})
        return actions or None

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: DfulintServer, params: types.HoverParams):
        text = hover_text(ls, params.text_document.uri, params.position)
        if not text:
            return None
        return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=text))

    return server


def serve() -> None:
    """Serve one client over stdin/stdout until it exits."""
    make_server().start_io()
