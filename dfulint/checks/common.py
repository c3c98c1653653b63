"""Helpers the rule families share for the text of findings (never for facts: those are in the model)."""
from __future__ import annotations

from pathlib import Path

from dfulint.core import Span
from dfulint.model.query import where_text

TYPE_CHECKING = False      # (typing.TYPE_CHECKING without importing typing)
if TYPE_CHECKING:
    from typing import Optional

#: How a message names an image.
IMAGE_TEXT = {"app": "the application", "mcuboot": "MCUboot"}
IMAGE_TEXT = {"app": "the application", "mcuboot": "MCUboot"}


def hexa(n: Optional[int]) -> str:
    return "?" if n is None else f"0x{n:x}"


def add_to(rel: str, exists: bool) -> str:
    return f"add to {rel}" if exists else f"create {rel} with"


def usable(span: Optional[Span]) -> bool:
    """A span that names a real line of a real file (not a knowledge-table fact)."""
    return span is not None and span.line >= 1 and not str(span.path).startswith("<")


def pm_static_target(t) -> Path:
    """The pm_static file this build reads, or the one to create."""
    return t.paths.pm_static


def partition_span(t, p, what: str = "size") -> Span:
    """Where to edit partition `p`: its size/address line when written, else where to pin it."""
    order = {"size": (p.size_at, p.where, p.address_at),
             "address": (p.address_at, p.where, p.size_at),
             "name": (p.where, p.address_at, p.size_at)}[what]
    for s in order:
        if usable(s) and (p.static or s is p.size_at):
            return s
    if t.flash.origin == "build" and t.app.build_dir is not None:
        return Span(t.app.build_dir / "partitions.yml", 1, 1)
    if t.flash.origin == "dts":
        app = t.images.get("app")
        layers = app.dts_layers if app is not None else []
        return Span(layers[0].path if layers else t.app.root / "app.overlay", 1, 1)
    target = pm_static_target(t)
    if t.pm_static is not None and p.name in t.pm_static.partitions:
        return t.pm_static.partitions[p.name].span
    return Span(target, 1, 1)


def evidence(t) -> str:
    return "build" if t.flash.origin == "build" else "files"



def origin_text(t, p) -> str:
    """How a partition got its numbers, short."""
    if p.static:
        s = p.where or p.address_at or p.size_at
        return where_text(t, s) if usable(s) else (p.source or "static")
    return "placed by Partition Manager" if t.uses_pm else (p.source or "")
