#!/usr/bin/env python3
"""Latency of `dfulint server`: from an edit in the editor to the new diagnostics.

Usage: python bench/lsp_latency.py [--changes N] [--debounce MS] [--server CMD...]

Starts the server the way an editor does (a subprocess over stdio), opens the seed fixture's
pm_static.yml, waits for the first diagnostics (cold: imports, knowledge, first check), then
alternates the secondary slot's size between the broken 0x39000 (DFU201 reported) and 0x72000
(DFU201 gone) N times, and times each change until the diagnostics that reflect it arrive.
The debounce (the pause the server waits for more keystrokes; 25 ms by default) is part of what
the user sees, so it is part of the latency; `--debounce 0` shows the check alone.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "fixtures" / "seed_bl653_dvk"


async def measure(changes: int, debounce: float, server: list[str]) -> dict:
    app = Path(tempfile.mkdtemp(prefix="dfulint-lsp-bench-")) / "seed"
    shutil.copytree(SEED, app)
    pm = app / "pm_static.yml"
    uri = pm.resolve().as_uri()
    broken = pm.read_text()
    fixed = broken.replace("end_address: 0x39000", "end_address: 0x72000").replace("size: 0x39000", "size: 0x72000")

    client = LanguageClient("dfulint-bench", "1")
    arrived: asyncio.Queue = asyncio.Queue()

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def on_diagnostics(params: types.PublishDiagnosticsParams):
        if params.uri == uri:
            arrived.put_nowait((time.perf_counter(), {d.code for d in params.diagnostics}))

    await client.start_io(server[0], *server[1:], env=dict(os.environ, PYTHONPATH=str(ROOT)))
    t0 = time.perf_counter()
    await client.initialize_async(types.InitializeParams(
        capabilities=types.ClientCapabilities(), initialization_options={"debounceMs": debounce}))
    client.initialized(types.InitializedParams())
    client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(
        uri=uri, language_id="yaml", version=1, text=broken)))

    async def until(want_201: bool) -> float:
        while True:
            t, codes = await asyncio.wait_for(arrived.get(), 60)
            if ("DFU201" in codes) == want_201:
                return t

    cold = await until(True) - t0
    times = []
    for i in range(changes):
        text, want = (fixed, False) if i % 2 == 0 else (broken, True)
        start = time.perf_counter()
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=i + 2),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))
        times.append(await until(want) - start)
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    shutil.rmtree(app.parent, ignore_errors=True)
    times.sort()
    return {"cold_s": cold, "min_ms": times[0] * 1000, "median_ms": statistics.median(times) * 1000,
            "p90_ms": times[int(len(times) * 0.9) - 1] * 1000, "max_ms": times[-1] * 1000, "changes": changes}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--changes", type=int, default=40)
    ap.add_argument("--debounce", type=float, default=25, help="the server's debounce in ms (default 25)")
    ap.add_argument("--server", nargs="+", default=[sys.executable, "-m", "dfulint", "server"])
    a = ap.parse_args()
    r = asyncio.run(measure(a.changes, a.debounce, a.server))
    print(f"dfulint server, seed fixture, debounce {a.debounce:g} ms, {r['changes']} changes")
    print(f"  first diagnostics after start (cold): {r['cold_s'] * 1000:.0f} ms")
    print(f"  change -> diagnostics: min {r['min_ms']:.0f} ms, median {r['median_ms']:.0f} ms, "
          f"p90 {r['p90_ms']:.0f} ms, max {r['max_ms']:.0f} ms")


if __name__ == "__main__":
    main()
