"""The release comparison as pictures: per flash device, the release's partitions above this tree's,
on one scale, with what changed marked (HTML report, `check --against`)."""
from __future__ import annotations


from dfulint.units import hx, kib

TYPE_CHECKING = False      # (typing.TYPE_CHECKING without importing typing)
if TYPE_CHECKING:
    from typing import Optional

WIDTH = 880
PAD = 10
ROW = 20
LABEL_W = 120          # room for "release v1.2.0" / "this tree" on the left
CHAR_W = 6.2
STYLE = {"moved": ("#fde2e1", "#c62828"), "resized": ("#fff1d6", "#b26a00"), "removed": ("#fde2e1", "#c62828"),
         "added": ("#e3f1e4", "#2e7d32"), "same": ("#eef1f5", "#57606b")}


def _depths(parts: list) -> list[int]:
    out = []
    for i, p in enumerate(parts):
        out.append(sum(1 for j, q in enumerate(parts) if j != i and q.address <= p.address and q.end >= p.end
                       and (q.size > p.size or (q.size == p.size and j < i))))
    return out


def _bar(parts: list, changes: dict, side: str, lo: int, hi: int, y: float) -> tuple[list[dict], float]:
    span = max(hi - lo, 1)
    scale = (WIDTH - LABEL_W - 2 * PAD) / span
    depths = _depths(parts)
    rows = max(depths, default=0) + 1
    shapes = []
    for p, d in zip(parts, depths):
        kind = changes.get(p.name, "same")
        if side == "old" and kind == "added":
            kind = "same"
        if side == "new" and kind == "removed":
            kind = "same"
        fill, ink = STYLE[kind]
        x = LABEL_W + PAD + (p.address - lo) * scale
        w = max(p.size * scale, 1.0)
        text = p.name + ("" if kind == "same" else f" ({kind})")
        shapes.append({"x": x, "y": y + d * ROW, "w": w, "h": ROW - 2 if d < rows - 1 else (rows - d) * ROW - 2,
                       "fill": fill, "ink": ink, "marked": kind != "same", "kind": kind,
                       "text": text if len(text) * CHAR_W + 6 <= w else "",
                       "title": f"{p.name}: {hx(p.address)}..{hx(p.end)} ({kib(p.size)})"
                                + ("" if kind == "same" else f", {kind}")})
    return shapes, rows * ROW


def view(t) -> Optional[dict]:
    """What the template draws for one target, or None without --against."""
    a = getattr(t, "against", None)
    if a is None:
        return None
    out = {"label": a.label, "problem": a.problem, "devices": [], "changes": []}
    if a.old is None:
        return out
    changes = dict(a.changes or {})
    out["changes"] = [{"name": n, "kind": k,
                       "old": a.old.part(n).text() if a.old.part(n) else "absent",
                       "new": a.new.part(n).text() if a.new.part(n) else "absent"}
                      for n, k in sorted(changes.items())]
    names = []
    for f in (a.old, a.new):
        for p in f.partitions:
            if p.device not in names:
                names.append(p.device)
    for dev in names:
        olds = [p for p in a.old.partitions if p.device == dev and p.size > 0]
        news = [p for p in a.new.partitions if p.device == dev and p.size > 0]
        if not olds and not news:
            continue
        lo = min(p.address for p in olds + news)
        hi = max(p.end for p in olds + news)
        top = PAD
        old_shapes, oh = _bar(olds, changes, "old", lo, hi, top)
        new_top = top + oh + 14
        new_shapes, nh = _bar(news, changes, "new", lo, hi, new_top)
        out["devices"].append({
            "name": dev, "range": f"{hx(lo)}..{hx(hi)}", "width": WIDTH, "height": new_top + nh + PAD,
            "rows": [{"label": a.label.replace("release ", "", 1) if a.label.startswith("release ") else a.label,
                      "y": top + oh / 2 + 4, "shapes": old_shapes},
                     {"label": "this tree", "y": new_top + nh / 2 + 4, "shapes": new_shapes}],
            "changed": any(s["marked"] for s in old_shapes + new_shapes),
        })
    return out
