"""`dfulint server` end to end: a real LSP client (pytest-lsp) talks to the server over stdio."""
from __future__ import annotations

import asyncio
import os
import shutil
import sys
from pathlib import Path

import pytest

pytest_lsp = pytest.importorskip("pytest_lsp")
from lsprotocol import types  # noqa: E402
from pytest_lsp import ClientServerConfig, LanguageClient  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "fixtures" / "seed_bl653_dvk"

_ENV = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[sys.executable, "-m", "dfulint", "server"],
                                              server_env=_ENV))
async def client(lsp_client: LanguageClient):
    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=types.ClientCapabilities(), initialization_options={"debounceMs": 10}))
    yield
    await lsp_client.shutdown_session()


@pytest.fixture
def seed(tmp_path: Path) -> Path:
    app = tmp_path / "seed"
    shutil.copytree(SEED, app)
    return app


def _uri(p: Path) -> str:
    return p.resolve().as_uri()


async def _diagnostics(client: LanguageClient, uri: str, want, timeout: float = 30.0) -> list:
    """Wait until the diagnostics published for `uri` satisfy `want`."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while True:
        diags = client.diagnostics.get(uri)
        if diags is not None and want(diags):
            return diags
        if loop.time() > end:
            raise AssertionError(f"diagnostics for {uri} never matched; last: {diags}")
        try:
            await asyncio.wait_for(client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS),
                                   timeout=max(end - loop.time(), 0.1))
        except asyncio.TimeoutError:
            pass


def _open(client: LanguageClient, path: Path, language: str = "yaml") -> str:
    uri = _uri(path)
    client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(
        uri=uri, language_id=language, version=1, text=path.read_text())))
    return uri


def _codes(diags) -> set:
    return {d.code for d in diags}


@pytest.mark.asyncio
async def test_slot_diagnostic_on_open_then_cleared_by_an_unsaved_change(client: LanguageClient, seed: Path):
    pm = seed / "pm_static.yml"
    uri = _open(client, pm)
    diags = await _diagnostics(client, uri, lambda d: "DFU201" in _codes(d))
    d201 = next(d for d in diags if d.code == "DFU201")
    # the secondary's size, `size: 0x39000` on line 11 of pm_static.yml
    assert d201.range.start.line == 10
    assert pm.read_text().splitlines()[10][d201.range.start.character:].startswith("0x39000")
    assert d201.severity == types.DiagnosticSeverity.Error
    # the headline comes first, then the explanation and the fix
    first = d201.message.splitlines()[0]
    assert len(first) <= 100 and "114 sectors" in first and "refuses every update" in first
    assert "\nfix: " in d201.message
    assert d201.code_description is not None and "DFU201" in d201.code_description.href
    assert d201.related_information, "the other side of the mismatch is a related location"
    # findings about other files of the app are published on those files too
    prj = await _diagnostics(client, _uri(seed / "prj.conf"), lambda d: "DFU402" in _codes(d))
    assert prj

    # the secondary grows to the primary's size in the editor buffer only
    new = pm.read_text().replace("end_address: 0x39000", "end_address: 0x72000").replace(
        "size: 0x39000", "size: 0x72000")
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=new)]))
    await _diagnostics(client, uri, lambda d: "DFU201" not in _codes(d))
    assert "0x39000" in pm.read_text(), "the server never writes the user's files"


@pytest.mark.asyncio
async def test_code_actions_fix_and_suppress(client: LanguageClient, seed: Path):
    prj = seed / "prj.conf"
    uri = _open(client, prj, "properties")
    diags = await _diagnostics(client, uri, lambda d: "DFU402" in _codes(d))
    d402 = next(d for d in diags if d.code == "DFU402")
    actions = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri), range=d402.range,
        context=types.CodeActionContext(diagnostics=[d402])))
    titles = [a.title for a in actions]
    assert any(t.startswith("Fix DFU402") for t in titles), titles
    assert any("dfulint: ignore[DFU402]" in t for t in titles), titles

    lines = prj.read_text().splitlines()
    fix = next(a for a in actions if a.title.startswith("Fix DFU402"))
    (doc_edit,) = fix.edit.document_changes
    assert doc_edit.text_document.uri == uri
    (edit,) = doc_edit.edits
    # the fix deletes the earlier, overridden assignment: exactly that line
    assert edit.new_text == ""
    assert edit.range.end.line - edit.range.start.line == 1
    assert lines[edit.range.start.line].startswith("CONFIG_SYSTEM_WORKQUEUE_STACK_SIZE=")

    sup = next(a for a in actions if "ignore[DFU402]" in a.title)
    (doc_edit,) = sup.edit.document_changes
    (edit,) = doc_edit.edits
    assert "dfulint: ignore[DFU402]" in edit.new_text
    assert edit.range.start.line == d402.range.start.line


@pytest.mark.asyncio
async def test_hover_partition_symbol_and_chosen(client: LanguageClient, seed: Path):
    pm = seed / "pm_static.yml"
    uri = _open(client, pm)
    await _diagnostics(client, uri, lambda d: "DFU201" in _codes(d))
    line = pm.read_text().splitlines().index("mcuboot_secondary:")
    h = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri), position=types.Position(line, 3)))
    assert h is not None
    assert "mcuboot_secondary" in h.contents.value
    assert "0x0 + 0x39000" in h.contents.value and "external_flash" in h.contents.value
    assert "pinned at pm_static.yml:" in h.contents.value

    prj = seed / "prj.conf"
    puri = _open(client, prj, "properties")
    lines = prj.read_text().splitlines()
    n = next(i for i, ln in enumerate(lines) if ln.startswith("CONFIG_SYSTEM_WORKQUEUE_STACK_SIZE="))
    h = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(puri), position=types.Position(n, 10)))
    assert h is not None
    text = h.contents.value
    assert "CONFIG_SYSTEM_WORKQUEUE_STACK_SIZE" in text and "image `app`" in text
    assert "overriding prj.conf:" in text

    ov = seed / "app.overlay"
    ouri = _open(client, ov, "devicetree")
    olines = ov.read_text().splitlines()
    n = next(i for i, ln in enumerate(olines) if "nordic,pm-ext-flash" in ln)
    col = olines[n].index("nordic,pm-ext-flash") + 2
    h = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(ouri), position=types.Position(n, col)))
    assert h is not None and "chosen `nordic,pm-ext-flash`" in h.contents.value


@pytest.mark.asyncio
async def test_half_typed_files_become_findings_not_crashes(client: LanguageClient, seed: Path):
    pm = seed / "pm_static.yml"
    uri = _open(client, pm)
    await _diagnostics(client, uri, lambda d: "DFU201" in _codes(d))
    text = pm.read_text()
    # every prefix of the file, as if typed: the server must keep answering and end on the full text
    for version, cut in enumerate(range(5, len(text), 37), start=2):
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text[:cut] + "\n  size: [")]))
    await _diagnostics(client, uri, lambda d: "DFU002" in _codes(d))
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=10_000),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))
    await _diagnostics(client, uri, lambda d: "DFU201" in _codes(d) and "DFU002" not in _codes(d))
    h = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri), position=types.Position(0, 2)))
    assert h is not None and "external_flash" in h.contents.value


@pytest.mark.asyncio
async def test_client_settings_choose_the_board(client: LanguageClient, seed: Path):
    uri = _open(client, seed / "pm_static.yml")
    await _diagnostics(client, uri, lambda d: "DFU201" in _codes(d))
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"dfulint": {"board": "nrf52840dk_nrf52840"}}))
    # on the nRF52840 DK (1 MiB of internal flash) Partition Manager gives the primary other numbers:
    # the findings are those of the board the client asked for
    diags = await _diagnostics(client, uri, lambda d: any("1024 KiB of flash_primary" in x.message for x in d))
    assert all("512 KiB of flash_primary" not in x.message for x in diags)


def test_a_check_is_abandoned_once_its_text_is_stale():
    """The server's worker polls Options.cancelled between board targets; a newer change stops it."""
    from dfulint import engine

    with pytest.raises(engine.Cancelled):
        engine.run([SEED], engine.Options(cancelled=lambda: True))
    assert engine.run([SEED], engine.Options(cancelled=lambda: False)).findings


def test_settings_from_the_client():
    from dfulint.server import Settings

    s = Settings()
    s.update({"dfulint": {"board": "bl653_dvk, nrf52840dk_nrf52840", "sdkVersion": "2.6.1",
                          "profile": "release", "debounceMs": 0}})
    assert s.boards == ("bl653_dvk", "nrf52840dk_nrf52840")
    assert (s.sdk_version, s.profile, s.debounce) == ("2.6.1", "release", 0)
    s.update({"board": "", "debounceMs": -5, "sdkVersion": 3})      # junk is ignored, empty clears
    assert s.boards == () and s.debounce == 0 and s.sdk_version == "2.6.1"


def test_text_edits_are_minimal_and_apply():
    from dfulint.server import text_edits

    old = "a\nb\nc\n"
    new = "a\nB\nc\nd"
    edits = text_edits(old, new)
    lines = old.splitlines(keepends=True)
    # apply bottom-up
    for e in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        start = sum(len(x) for x in lines[:e.range.start.line]) + e.range.start.character
        end = sum(len(x) for x in lines[:e.range.end.line]) + e.range.end.character
        text = "".join(lines)
        lines = (text[:start] + e.new_text + text[end:]).splitlines(keepends=True)
    assert "".join(lines) == new
    assert all(e.range.start.line >= 1 for e in edits), "the unchanged first line is not rewritten"


def test_an_edit_re_parses_only_what_it_changed(tmp_path: Path, monkeypatch):
    """With reuse_parsed (the server's runs after an edit), a file whose text did not change keeps
    its parse; the changed file and every parse it went into are redone; the findings equal a
    fresh run's."""
    from dfulint import engine, sources
    from dfulint.sources import kconf, pm

    app = tmp_path / "seed"
    shutil.copytree(SEED, app)
    calls = {"conf": [], "pm": []}
    real_conf, real_pm = kconf._read_fragment, pm._read_pm
    monkeypatch.setattr(kconf, "_read_fragment", lambda p, *a: calls["conf"].append(p) or real_conf(p, *a))
    monkeypatch.setattr(pm, "_read_pm", lambda p, *a: calls["pm"].append(p) or real_pm(p, *a))

    def run():
        return engine.run([app], engine.Options(reuse_parsed=True))

    def key(r):
        return sorted((f.code, str(f.span), f.message) for f in r.findings)

    first = run()
    assert "DFU201" in {f.code for f in first.findings}
    assert calls["conf"] and calls["pm"]
    calls["conf"].clear(), calls["pm"].clear()
    assert key(run()) == key(first)
    assert calls == {"conf": [], "pm": []}, "nothing changed: nothing is parsed again"

    pm_path = (app / "pm_static.yml").resolve()
    text = pm_path.read_text().replace("0x39000", "0x72000")
    sources.set_overlay({pm_path: text})
    try:
        edited = run()
        assert "DFU201" not in {f.code for f in edited.findings}
        assert [p.name for p in calls["pm"]] == ["pm_static.yml"]
        assert calls["conf"] == [], "the fragments did not change: their parses are kept"
        sources.clear_caches()
        assert key(engine.run([app], engine.Options())) == key(edited)
    finally:
        sources.set_overlay({})

    # the buffer is closed: the file on disk counts again, and so does a change on disk
    assert "DFU201" in {f.code for f in run().findings}
    (app / "prj.conf").write_text((app / "prj.conf").read_text() + "\nCONFIG_BOOT_MAX_IMG_SECTORS=1\n")
    calls["conf"].clear()
    run()
    assert any(p.name == "prj.conf" for p in calls["conf"])


@pytest.mark.asyncio
async def test_client_profile_setting_raises_posture_to_error(client: LanguageClient, seed: Path):
    uri = _open(client, seed / "prj.conf", "properties")
    diags = await _diagnostics(client, uri, lambda d: "DFU702" in _codes(d))
    assert next(d for d in diags if d.code == "DFU702").severity == types.DiagnosticSeverity.Information
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"dfulint": {"profile": "release"}}))
    await _diagnostics(client, uri, lambda d: any(
        x.code == "DFU702" and x.severity == types.DiagnosticSeverity.Error for x in d))
