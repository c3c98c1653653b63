"""`dfulint check --show-context`: the whole context decision of every app, and every file each
image of each board's build reads, in build order, with why."""
from __future__ import annotations

from pathlib import Path

from dfulint.context import naming

_ERA = {naming.HWMV1: "board names before hardware model v2 (Zephyr < 3.7, NCS < 2.7)",
        naming.HWMV2: "hardware model v2 board targets (Zephyr 3.7+, NCS 2.7+)",
        naming.EITHER: "either era (the SDK version is not known): both eras' file names are looked for"}


def _rel(path: Path, root: Path) -> str:
    from dfulint.report import display_path

    try:
        return str(path.relative_to(root))
    except ValueError:
        return display_path(path)


def _evidence(items, root: Path) -> str:
    out = []
    for e in items:
        where = e.render(root)
        out.append(where if e.path is None or where == e.text else f"{where} ({e.text})")
    return "; ".join(out) or "-"


def render_app(app_result) -> list[str]:
    from dfulint.report import display_path

    app = app_result.app
    ctx = getattr(app, "context", None)
    root = app.root
    out = [f"app {display_path(root)}"]
    if ctx is None:
        return out + ["  (no context)"]
    sdk_ev = _evidence(ctx.sdk_evidence, root) if ctx.sdk_evidence else ctx.sdk.source
    out.append(f"  sdk        {ctx.sdk_text()}  [{ctx.sdk_confidence}]  {sdk_ev}")
    if not ctx.sdk.exact:
        out.append(f"             {ctx.sdk.source}; version-dependent rules hold for the whole range")
    fw_ev = _evidence(ctx.framework_evidence, root) if ctx.framework_evidence else ctx.framework_detail
    out.append(f"  framework  {'NCS' if ctx.framework == 'ncs' else 'upstream Zephyr'}  "
               f"[{ctx.framework_confidence}]  {fw_ev}")
    out.append(f"  naming     {_ERA.get(ctx.era, ctx.era)}")
    out.append(f"  build      {ctx.build_system.replace('_', '-')}  [{ctx.build_system_confidence}]  "
               f"{ctx.build_system_source}")
    sfx = getattr(app, "file_suffix", None)
    if sfx:
        conf = "given" if app.file_suffix_source == "--file-suffix" else "strong"
        out.append(f"  suffix     FILE_SUFFIX={sfx}  [{conf}]  {app.file_suffix_source}  (the *_{sfx} variants of "
                   "the files replace the plain ones, from Zephyr 3.6 / NCS 2.6)")
    for n in getattr(app, "file_suffix_notes", ()) or ():
        out.append(f"  suffix     {'none: ' if not sfx else ''}{n}")
    if app.build_dir is not None:
        out.append(f"  build dir  {_rel(app.build_dir, root)} (its outputs replace the predictions)")
    if app.west_root is not None:
        out.append(f"  workspace  {display_path(app.west_root)}")
    if not ctx.boards:
        out.append("  boards     none")
    for i, b in enumerate(ctx.boards):
        label = "boards     " if i == 0 else "           "
        low = "  (checked at low confidence: findings at most info)" if ctx.low_confidence(b.name) else ""
        out.append(f"  {label}{b.build_name}  [{b.confidence}]  {_evidence(b.evidence, root)}{low}")
        out.append(f"             file names looked for: {', '.join(b.stems) or '-'}")
        if b.note:
            out.append(f"             note: {b.note}")
    for n in ctx.notes:
        out.append(f"  note       {n}")
    for t in app_result.targets:
        name = ctx.board(t.board).build_name if ctx.board(t.board) is not None else (t.board or "(no board)")
        out.append(f"  board {name}:")
        images = list(t.images.items()) + ([("sysbuild", t.sysbuild)] if t.sysbuild is not None else [])
        for image_name, img in images:
            layers = [("conf", x) for x in img.conf_layers] + [("dts", x) for x in img.dts_layers]
            board_note = f" (built for {img.board})" if getattr(img, "board", None) and img.board != t.board else ""
            if not layers:
                what = "MCUboot's own configuration only" if image_name == "mcuboot" else "no files of the app"
                out.append(f"    {image_name}{board_note}: {what}")
                continue
            out.append(f"    {image_name}{board_note}:")
            n = 0
            for kind, layer in layers:
                n += 1
                out.append(f"      {n}. {_rel(layer.path, root)}  ({'Kconfig' if kind == 'conf' else 'devicetree'}: "
                           f"{layer.why})")
            for note in img.notes:
                out.append(f"         {note}")
            if img.forced:
                out.append(f"         + {len(img.forced)} value(s) the build forces (sysbuild, parent image, "
                           "command line)")
        if t.pm_static is not None:
            out.append(f"    layout: {_rel(t.pm_static.path, root)} (the pm_static file this build reads)")
        elif t.flash is not None and getattr(t.flash, "origin", ""):
            out.append(f"    layout: {t.flash.origin}")
        for p, why in t.pm_static_unused:
            out.append(f"    not read: {_rel(p, root)} ({why})")
    return out


def render(result) -> str:
    lines: list[str] = []
    for a in result.apps:
        lines += render_app(a)
        lines.append("")
    if not result.apps:
        lines.append("no app found")
    return "\n".join(lines) + "\n"


def misspelled_boards(given, roots) -> list[tuple[str, list[str]]]:
    """--board values that neither dfulint's tables nor any checked app's repository define but that
    are close to names they do: (value, the closest known names)."""
    import difflib

    from dfulint import knowledge
    from dfulint.context.boards import custom_boards, custom_by_name
    from dfulint.context.sdk import repo_root

    customs: set = set()
    for r in roots:
        try:
            customs |= set(custom_by_name(custom_boards(r, repo_root(r))))
        except Exception:       # a repository that cannot be read names no custom board
            continue
    names = set(customs)
    for b in knowledge.boards():
        names |= {b.name, b.target, *b.aliases}
        v1 = naming.hwmv1_name(b)
        if v1:
            names.add(v1)
    out = []
    for g in given:
        g = str(g).strip()
        if not g:
            continue
        if knowledge.board(g) is not None or g in customs or g.replace("/", "_") in customs:
            continue
        head = knowledge.split_board(g)[0]
        if head in customs:
            continue
        # a name close to a known one is a misspelling; a name close to none is a board dfulint does
        # not know, checked with what is known (the context says so)
        close = difflib.get_close_matches(g, sorted(names), n=4, cutoff=0.8)
        if close:
            out.append((g, close))
    return out

