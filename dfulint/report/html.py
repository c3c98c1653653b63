"""A self-contained HTML report: per app and board a summary, a to-scale picture of every flash
device (SVG), MCUboot's analysis of the slots, and the findings with a frame of the lines they
point at. No network access and no external assets: CSS and the small zoom script are inline.

This module only arranges what the model and the findings already say (positions in the
picture, line frames); jinja2 renders it, with autoescaping on, and is imported only here.
"""
from __future__ import annotations

from pathlib import Path

from dfulint import __version__, docs
from dfulint.core import Severity
from dfulint.report import display_path
from dfulint.report.flashmap import hx, kib, target_dict

TYPE_CHECKING = False      # (typing.TYPE_CHECKING without importing typing)
if TYPE_CHECKING:
    from typing import Optional

TEMPLATES = Path(__file__).resolve().parent / "templates"

# picture geometry (px)
BAR_W = 880             # the widest bar: the picture (bar + 2 x PAD_X) fits a 1000 px window
PAD_X = 12
AXIS_H = 22
ROW_H = 36
CALLOUT_H = 17
CHAR_W = 6.7            # 11px monospace
MAX_SECTOR_LINES = 16384
MIN_SECTOR_PX = 4.0      # sector lines show once a sector is this wide

ROLE_STYLE = {           # role -> (fill, text colour, legend)
    "bootloader": ("#51607f", "#ffffff", "bootloader"),
    "primary": ("#2367c4", "#ffffff", "primary slot"),
    "primary-part": ("#8bb6ea", "#0d2240", "in the primary slot"),
    "secondary": ("#d9771a", "#ffffff", "secondary slot"),
    "secondary-part": ("#f4c184", "#3d2100", "in the secondary slot"),
    "scratch": ("#b8951b", "#ffffff", "scratch"),
    "storage": ("#2f9a6e", "#ffffff", "storage"),
    "region": ("#dfe4eb", "#27313f", "flash region"),
    "other": ("#9aa6b4", "#10161f", "other"),
}
BOOTLOADER_NAMES = {"mcuboot", "b0", "b0n", "s0", "s1", "s0_pad", "s1_pad", "s0_image", "s1_image",
                    "boot_partition", "provision", "mcuboot_pad"}
STORAGE_HINTS = ("storage", "settings", "nvs", "littlefs", "fcb", "lfs")


# ------------------------------------------------------------------ the picture

class Shape:
    """One rectangle of the HTML flash map."""
    __slots__ = ("name", "role", "fill", "ink", "x", "w", "y", "h", "address", "size", "source", "hot", "link",
                 "label_lines", "need", "inside", "callout", "free")

    name: str
    role: str
    fill: str
    ink: str
    x: float
    w: float
    y: float
    h: float
    address: int
    size: int
    source: str
    hot: list                                      # finding codes about this partition
    link: str                                      # the first finding's id
    label_lines: list
    need: float                                    # px needed to print the label inside
    inside: bool
    callout: Optional[dict]
    free: bool

    def __init__(self, name: str, role: str, fill: str, ink: str, x: float, w: float, y: float, h: float,
                 address: int, size: int, source: str, hot: Optional[list] = None, link: str = "",
                 label_lines: Optional[list] = None, need: float = 0.0, inside: bool = False,
                 callout: Optional[dict] = None, free: bool = False) -> None:
        self.name = name
        self.role = role
        self.fill = fill
        self.ink = ink
        self.x = x
        self.w = w
        self.y = y
        self.h = h
        self.address = address
        self.size = size
        self.source = source
        self.hot = [] if hot is None else hot
        self.link = link
        self.label_lines = [] if label_lines is None else label_lines
        self.need = need
        self.inside = inside
        self.callout = callout
        self.free = free

    def __repr__(self) -> str:
        return f"Shape({self.name!r}, {self.role!r}, address={self.address!r}, size={self.size!r})"

    @property
    def tooltip(self) -> str:
        t = f"{self.name}: {hx(self.address)}..{hx(self.address + self.size)} ({hx(self.size)}, {kib(self.size)})"
        if self.source:
            t += f"\n{self.source}"
        if self.hot:
            t += "\nfindings: " + ", ".join(self.hot)
        return t


def _ticks(dev, scale: float) -> list[dict]:
    """Address ticks at a power-of-two step giving at most about 8 labels (the zoom script draws
    finer ones when there is room)."""
    if dev.size <= 0:
        return []
    step = 1
    most = max(1, min(8, int(dev.size * scale // 110)))     # a label needs about 110 px
    while dev.size // step > most:
        step *= 2
    out = []
    a = 0
    while a <= dev.size:
        out.append({"x": PAD_X + a * scale, "label": hx(dev.base + a),
                    "anchor": "start" if a == 0 else "end" if a == dev.size else "middle"})
        a += step
    if out and out[-1]["label"] != hx(dev.end):
        out.append({"x": PAD_X + dev.size * scale, "label": hx(dev.end), "anchor": "end"})
    return out


def _role(p, slots: dict, dev) -> str:
    for role in ("primary", "secondary", "scratch"):
        s = slots.get(role)
        if s is None:
            continue
        if s.name == p.name:
            return role
        if role != "scratch" and s.region == p.region and s.address <= p.address and p.end <= s.end:
            return f"{role}-part"
    n = p.name.lower()
    if n in BOOTLOADER_NAMES or n.startswith(("mcuboot_pad", "b0")):
        return "bootloader"
    if any(h in n for h in STORAGE_HINTS):
        return "storage"
    if n == dev.name.lower() or n in ("external_flash", "flash_primary", "sram_primary", "otp") or \
            (p.address == dev.base and p.size == dev.size):
        return "region"
    return "other"


def _depths(parts: list) -> dict[int, int]:
    """Nesting depth of each partition (index): how many others contain it. Of two partitions
    with the same range, the container (or the first by name) is the outer one."""
    def contains(a, b) -> bool:
        if a is b or a.region != b.region:
            return False
        if not (a.address <= b.address and b.end <= a.end):
            return False
        if a.address == b.address and a.end == b.end:
            return (not b.is_container, b.name) > (not a.is_container, a.name)
        return True

    return {i: sum(1 for q in parts if contains(q, p)) for i, p in enumerate(parts)}


def _uncovered(dev, parts: list) -> list[tuple[int, int]]:
    spans = sorted((max(p.address, dev.base), min(p.end, dev.end)) for p in parts if p.size > 0)
    out, at = [], dev.base
    for a, e in spans:
        if a > at:
            out.append((at, a))
        at = max(at, e)
    if at < dev.end:
        out.append((at, dev.end))
    return [(a, e) for a, e in out if e > a]


def device_picture(t, dev, hot: dict[str, list], links: dict[str, str], uid: str,
                   scale_size: int = 0) -> dict:
    """One device's picture. `scale_size`: with a shared scale, the size drawn BAR_W wide (the
    largest device of the report), so equal slots on two devices are equally wide."""
    fm = t.flash
    parts = [p for p in fm.on(dev.name) if p.size > 0 and p.end > dev.base and p.address < dev.end]
    scale = BAR_W / max(scale_size, dev.size) if dev.size else 0.0
    bar_w = dev.size * scale if dev.size else BAR_W
    depths = _depths(parts)
    rows = max(depths.values(), default=0) + 1
    bar_top = AXIS_H
    bar_h = rows * ROW_H
    shapes: list[Shape] = []
    for i, p in enumerate(parts):
        d = depths[i]
        has_child = any(depths[j] > d and q.address >= p.address and q.end <= p.end
                        for j, q in enumerate(parts) if j != i)
        role = _role(p, t.slots, dev)
        fill, ink, _ = ROLE_STYLE[role]
        a = max(p.address, dev.base) - dev.base
        e = min(p.end, dev.end) - dev.base
        y = bar_top + d * ROW_H
        h = ROW_H if has_child else bar_top + bar_h - y
        names = [p.name] + ([p.label] if p.label and p.label != p.name else [])
        codes = hot.get(p.name, []) + [c for lab in names[1:] for c in hot.get(lab, [])]
        s = Shape(p.name, role, fill, ink, PAD_X + a * scale, max(e - a, 0) * scale, y, h, p.address, p.size,
                  p.source, sorted(set(codes)), links.get(p.name, "") or next(
                      (links[lab] for lab in names[1:] if lab in links), ""))
        s.label_lines = [p.name, f"{hx(p.address)} · {kib(p.size)}"]
        if s.hot:
            s.label_lines[0] += "  ⚠ " + " ".join(s.hot)
        s.need = max(len(x) for x in s.label_lines) * CHAR_W + 8
        s.inside = s.w >= s.need
        shapes.append(s)
    for a, e in _uncovered(dev, parts):
        s = Shape("free", "free", "url(#free-" + uid + ")", "#57606b", PAD_X + (a - dev.base) * scale,
                  (e - a) * scale, bar_top, bar_h, a, e - a, "not given to any partition", free=True)
        s.label_lines = ["free", f"{hx(a)} · {kib(e - a)}"]
        s.need = max(len(x) for x in s.label_lines) * CHAR_W + 8
        s.inside = s.w >= s.need
        shapes.append(s)
    # callouts below the bar for partitions too narrow for their label, greedily stacked
    callout_rows: list[list[tuple[float, float]]] = []
    callouts_top = bar_top + bar_h + 10
    for s in sorted((s for s in shapes if not s.inside), key=lambda s: (s.x, -s.w)):
        text = f"{s.label_lines[0]}  {s.label_lines[1]}"
        width = len(text) * CHAR_W + 8
        cx = s.x + s.w / 2
        x0 = min(max(PAD_X, cx - width / 2), PAD_X + max(bar_w, width) - width)
        x0 = max(x0, 0)
        row = 0
        while True:
            if row == len(callout_rows):
                callout_rows.append([])
            if all(x0 + width + 6 <= a or x0 >= b + 6 for a, b in callout_rows[row]):
                callout_rows[row].append((x0, x0 + width))
                break
            row += 1
        y = callouts_top + row * CALLOUT_H
        s.callout = {"text": text, "x": x0, "w": width, "y": y, "cx": cx}
    height = callouts_top + len(callout_rows) * CALLOUT_H + 6
    sectors = dev.size // dev.page_size if dev.page_size else 0
    sector_px = dev.page_size * scale if dev.page_size else 0
    sector_path = ""
    if 1 < sectors <= MAX_SECTOR_LINES and sector_px >= MIN_SECTOR_PX:
        # visible at 1x; for smaller sectors the zoom script draws the lines once they are wide enough
        sector_path = " ".join(f"M{PAD_X + k * sector_px:.2f} {bar_top}v{bar_h}" for k in range(1, sectors))
    dev_hot = hot.get(dev.name, [])
    return {
        "uid": uid,
        "name": dev.name,
        "base": hx(dev.base), "end": hx(dev.end), "size": kib(dev.size), "size_hex": hx(dev.size),
        "page": kib(dev.page_size) if dev.page_size else "?", "write_block": dev.write_block,
        "source": dev.source, "sectors": sectors, "sector_px": sector_px, "sector_path": sector_path,
        "sector_note": "" if sectors <= MAX_SECTOR_LINES else f"{sectors} sectors: too many to draw",
        "draw_sectors": 1 < sectors <= MAX_SECTOR_LINES,
        "base_addr": dev.base, "size_bytes": dev.size,
        "width": int(-(-max(bar_w, max((s.callout["x"] + s.callout["w"] for s in shapes if s.callout),
                                       default=0) - PAD_X) // 1)) + 2 * PAD_X, "height": height, "bar_top": bar_top, "bar_h": bar_h,
        "ticks": _ticks(dev, scale), "shapes": shapes, "bar_w": bar_w, "hot": dev_hot,
        "legend": sorted({s.role for s in shapes if not s.free}, key=list(ROLE_STYLE).index),
        "partitions": [s.name for s in shapes if not s.free],
        "has_free": any(s.free for s in shapes),
    }


# ------------------------------------------------------------------ findings

def _frame(f, context: int = 2, max_lines: int = 14) -> list[dict]:
    """The lines around the finding, from those the engine attached to it (Finding.lines)."""
    lines, start = getattr(f, "lines", ()), getattr(f, "lines_from", 0)
    first = f.span.line
    if not lines or start < 1 or not (start <= first < start + len(lines)):
        return []
    end = start + len(lines) - 1            # the last line the engine kept
    last = min(max(f.span.end_line or first, first), end, first + max_lines - 1)
    out = []
    for no in range(max(start, first - context), min(end, last + context) + 1):
        text = lines[no - start].rstrip("\r\n")
        row = {"no": no, "hot": first <= no <= last, "pre": text, "mark": "", "post": ""}
        if no == first and first == last:
            a = max(0, f.span.col - 1)
            e = (f.span.end_col - 1) if f.span.end_line == first and f.span.end_col and f.span.end_col > f.span.col \
                else len(text)
            if a < len(text):
                row.update(pre=text[:a], mark=text[a:e] or text[a:], post=text[e:] if e > a else "")
        out.append(row)
    return out


def _finding(f, fid: str) -> dict:
    return {
        "id": fid, "code": f.code, "name": f.name, "severity": f.severity.label, "message": f.message,
        "headline": f.title,
        "fix": f.fix, "image": f.image, "anchor": f.anchor, "board": f.board, "evidence": f.evidence,
        "where": f"{display_path(f.span.path)}:{f.span.line}:{f.span.col}",
        "url": docs.url(f.code), "frame": _frame(f),
        "device": docs.section(f.code, "What happens on the device"),
        "related": [f"{display_path(s.path)}:{s.line}" for s in f.related],
        "fixable": bool(f.edits),
    }


def _counts(findings: list) -> dict:
    return {s.label: sum(1 for f in findings if f.severity == s) for s in (Severity.ERROR, Severity.WARNING,
                                                                           Severity.INFO)}


def _for_target(items: list, a, t) -> list:
    board = t.board or ""
    out = []
    for f in items:
        if f.app != a.app.root:
            continue
        bs = [b.strip() for b in f.board.split(",")] if f.board else [""]
        if board in bs or (len(a.targets) == 1 and not f.board):
            out.append(f)
    return out


def _app_label(root: Path, result) -> str:
    """An app as a relative path: to the current directory when below it, else to the repository."""
    shown = display_path(root)
    if Path(shown).is_absolute() and result.root is not None:
        try:
            return root.resolve().relative_to(Path(result.root).resolve()).as_posix() or "."
        except (ValueError, OSError):
            return shown
    return shown


def _triage(f):
    return (-int(f.severity), str(f.span.path), f.span.line, f.span.col, f.code)


def view(result, scale: str = "device") -> dict:
    targets = []
    n = 0
    shared = 0
    if scale == "shared":
        shared = max((d.size for a in result.apps for t in a.targets for d in t.flash.devices.values()
                      if d.size), default=0)
    for a in result.apps:
        shown: set = set()
        for k, t in enumerate(a.targets):
            n += 1
            tid = f"t{n}"
            fs = _for_target(result.findings, a, t)
            if k == len(a.targets) - 1:
                # a finding that names no checked board still belongs to the app: show it last
                fs += [f for f in result.findings if f.app == a.app.root and id(f) not in shown
                       and not any(f is g for g in fs)]
            fs.sort(key=_triage)             # most severe first, then by file and line
            shown.update(id(f) for f in fs)
            supp = [s for s in result.suppressed if _for_target([s.finding], a, t)]
            items = [_finding(f, f"{tid}-f{i + 1}") for i, f in enumerate(fs)]
            hot: dict[str, list] = {}
            links: dict[str, str] = {}
            for f, it in zip(fs, items):
                if f.anchor:
                    hot.setdefault(f.anchor, []).append(f.code)
                    links.setdefault(f.anchor, it["id"])
            d = target_dict(t)
            pictures = [device_picture(t, dev, hot, links, f"{tid}d{k + 1}", shared)
                        for k, dev in enumerate(t.flash.devices.values())]
            mb = d.get("mcuboot")
            verdicts = getattr(a, "verdicts", []) or []
            v = verdicts[k] if k < len(verdicts) else None
            targets.append({
                "verdict": {"kind": v.kind, "text": v.text, "ok": v.ok} if v is not None else None,
                "id": tid,
                "app": _app_label(a.app.root, result),
                "board": (v.board if v is not None and v.board else t.board) or "(no board)",
                "soc": d.get("soc") or "unknown SoC",
                "sdk": f"{'NCS' if a.app.framework == 'ncs' else 'Zephyr'} {a.app.sdk}",
                "sdk_source": a.app.sdk.source,
                "build_system": a.app.build_system.replace("_", "-"),
                "layout_origin": d.get("layout_origin") or "none",
                "counts": _counts(fs),
                "findings": items,
                "suppressed": [{"code": s.finding.code, "name": s.finding.name,
                                "where": f"{display_path(s.finding.span.path)}:{s.finding.span.line}",
                                "kind": s.kind, "reason": s.reason, "message": s.finding.message} for s in supp],
                "devices": pictures,
                "orphans": [f"{p['name']} on unknown device {p['device']}" for p in d["partitions"]
                            if p["device"] not in t.flash.devices],
                "notes": d.get("notes", []),
                "pm_errors": d.get("pm_errors", []),
                "mcuboot": _mcuboot(mb, t),
                "release": _release_view(t),
                "chain": d.get("boot_chain"),
            })
    total = _counts(result.findings)
    return {
        "version": __version__,
        "targets": targets,
        "apps": len(result.apps),
        "total": total,
        "findings": len(result.findings),
        "suppressed": len(result.suppressed),
        "internal_errors": list(result.internal_errors),
        "roles": {k: {"fill": v[0], "ink": v[1], "label": v[2]} for k, v in ROLE_STYLE.items()},
        "baseline": str(result.baseline_path) if result.baseline_path else "",
    }


def _release_view(t):
    """`check --against`: the release's flash map above the tree's (report/release_view.py)."""
    if getattr(t, "against", None) is None:
        return None
    from dfulint.report import release_view
    return release_view.view(t)


def _mcuboot(mb: Optional[dict], t) -> dict:
    if mb is None:
        return {"enabled": bool(t.mcuboot_enabled), "analysed": False}
    rows = []
    for role in ("primary", "secondary", "scratch"):
        s = mb.get(role)
        if s:
            rows.append({"role": role, "name": s["name"], "device": s["device"], "address": hx(s["address"]),
                         "size": f"{hx(s['size'])} ({kib(s['size'])})",
                         "sectors": s["sectors"] if s["sectors"] is not None else "?",
                         "sector_size": kib(s["sector_size"]) if s.get("sector_size") else "?"})
    return {
        "enabled": True, "analysed": True, "mode": mb["mode"], "mode_source": mb.get("mode_source", ""),
        "max_img_sectors": mb["max_img_sectors"], "needed": mb["needed_max_img_sectors"],
        "trailer": mb["trailer_size"], "rows": rows, "upgrade_possible": mb["upgrade_possible"],
        "boots": mb.get("boots", True),
        "max_image": f"{hx(mb['max_image_size'])} ({kib(mb['max_image_size'])})" if mb["max_image_size"] else "none",
        "reasons": mb["reasons"],
    }


def render(result, scale: str = "device") -> str:
    """The report; `scale` "shared" draws every flash device at the same bytes per pixel."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(loader=FileSystemLoader(str(TEMPLATES)),
                      autoescape=select_autoescape(["html", "svg", "j2"], default=True),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["num"] = lambda v: f"{v:.2f}".rstrip("0").rstrip(".")
    return env.get_template("report.html.j2").render(**view(result, scale))
