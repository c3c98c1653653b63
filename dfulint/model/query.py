"""Small questions every stage after configuration asks about a target: the SDK versions it may
be on, where a value or a devicetree property was written (and whether in a project file or only in
dfulint's board facts), how to name a file or a node in a message, and which file a new setting or
overlay of an image belongs in.

These are read-only views of the model; they compute no new facts and hold no rule knowledge.
"""
from __future__ import annotations


from dfulint import knowledge
from dfulint.core import Span

TYPE_CHECKING = False      # (typing.TYPE_CHECKING without importing typing)
if TYPE_CHECKING:
    from typing import Optional


def sdk_range(t) -> tuple:
    return t.sdk.range


def always_at_least(t, *v) -> bool:
    return sdk_range(t)[0] >= tuple(v) + (0,) * (3 - len(v))


def always_before(t, *v) -> bool:
    return sdk_range(t)[1] < tuple(v) + (0,) * (3 - len(v))


def maybe_at_least(t, *v) -> bool:
    return sdk_range(t)[1] >= tuple(v) + (0,) * (3 - len(v))


def sdk_text(t) -> str:
    if t.sdk.exact:
        return f"NCS {t.sdk}"
    low, high = sdk_range(t)
    return f"NCS {'.'.join(map(str, low))}..{'.'.join(map(str, high))} ({t.sdk.source})"


def project_span(span) -> bool:
    from dfulint.model.devicetree import from_knowledge

    return span is not None and not from_knowledge(span) and getattr(span, "line", 0) >= 1


def prop_span(node, name: str) -> Optional[Span]:
    """Where a node's effective property was last written in a project file, if it was."""
    if node is None:
        return None
    for p in reversed(node.history.get(name, [])):
        if project_span(p.span):
            return p.span
    return None


def node_span(node) -> Optional[Span]:
    if node is None:
        return None
    for s in node.spans:
        if project_span(s):
            return s
    return None


def in_files(node) -> bool:
    """The node is created or changed by a file of the project (not only a board fact)."""
    return node_span(node) is not None


def from_project_only(node) -> bool:
    """The node exists only because a project file defines it (no board knowledge behind it)."""
    from dfulint.model.devicetree import from_knowledge

    if node is None or not node.known:
        return False
    for hist in node.history.values():
        for p in hist:
            if from_knowledge(p.span):
                return False
    return in_files(node)


def node_ref(node) -> str:
    if node is None:
        return "?"
    lab = node.label
    return f"&{lab}" if lab else node.path


def rel_path(t, path) -> str:
    return t.app.rel(path)


def where_text(t, span: Optional[Span]) -> str:
    """`path:line` of a span, relative to the app ("" without a span)."""
    if span is None:
        return ""
    return f"{rel_path(t, span.path)}:{span.line}"


def image_config(t, name: str):
    img = t.images.get(name)
    return img.config if img is not None else None


def assigned_span(cfg, sym: str) -> Optional[Span]:
    """The fragment line that gives a symbol its value in this image, if one does."""
    if cfg is None:
        return None
    v = cfg.get(sym)
    if v.origin in ("fragment", "forced") and v.assignments:
        return v.assignments[-1].span
    return None


def user_assignment(img, sym: str):
    """The last assignment of `sym` in the image's own fragments (not forced), or None."""
    found = None
    for frag in getattr(img, "fragments", []) or []:
        for a in frag.assignments:
            if a.name == sym:
                found = a
    return found


def paths(t):
    """The target's file facts (dfulint.model.paths.PathFacts), found by the model stage."""
    return t.paths


def conf_target(t, name: str) -> tuple[Span, str, bool]:
    """Where a setting for this image goes: (line 1 of the file, its relative path, exists)."""
    return paths(t).conf[name]


def overlay_target(t, name: str) -> tuple[Span, str, bool]:
    """The devicetree overlay of this image where a node or chosen entry belongs."""
    return paths(t).overlay[name]


def mcuboot_stems(t) -> list:
    img = t.images.get("mcuboot")
    b = getattr(img, "board", None) or t.board
    if not b:
        return []
    stems = knowledge.board_file_stems(b)
    if b not in stems:
        stems.append(b)
    return stems

