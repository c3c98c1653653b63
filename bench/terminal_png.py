#!/usr/bin/env python3
"""Render a terminal capture with ANSI colours (`tmux capture-pane -p -e`) as a PNG.

Usage: python bench/terminal_png.py CAPTURE.txt OUT.png [--title TEXT]

Writes an SVG of the screen (one <text> run per colour change, DejaVu Sans Mono) and turns it into
a PNG with librsvg's `rsvg-convert` (Debian's librsvg2-bin), or ImageMagick's `convert` where that
is missing; fonts from Debian's fonts-dejavu-core. Used for the screenshots under docs/.
"""
from __future__ import annotations

import argparse
import html
import re
import subprocess
import tempfile
from pathlib import Path

# xterm's 16 colours, a dark theme
PALETTE = ["#1e1e1e", "#e06c75", "#98c379", "#e5c07b", "#61afef", "#c678dd", "#56b6c2", "#d4d4d4",
           "#5c6370", "#ff7b86", "#b5e890", "#ffd68a", "#82c4ff", "#de9cf0", "#7fd4de", "#ffffff"]
FG, BG = "#d4d4d4", "#1e1e1e"
SGR = re.compile(r"\x1b\[([0-9;]*)m")
CELL_W, CELL_H, FONT = 8.4, 17, 14


def _xterm256(n: int) -> str:
    if n < 16:
        return PALETTE[n]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return "#%02x%02x%02x" % (steps[n // 36], steps[n // 6 % 6], steps[n % 6])
    v = 8 + (n - 232) * 10
    return "#%02x%02x%02x" % (v, v, v)


def runs(line: str, state: dict):
    """(text, fg, bg, bold) runs of one captured line; `state` carries SGR across lines."""
    pos = 0
    for m in SGR.finditer(line):
        if m.start() > pos:
            yield line[pos:m.start()], state["fg"], state["bg"], state["bold"]
        codes = [int(c) if c else 0 for c in m.group(1).split(";")] or [0]
        i = 0
        while i < len(codes):
            c = codes[i]
            if c == 0:
                state.update(fg=FG, bg=None, bold=False)
            elif c == 1:
                state["bold"] = True
            elif c == 22:
                state["bold"] = False
            elif 30 <= c <= 37 or 90 <= c <= 97:
                state["fg"] = PALETTE[c - 30 if c < 90 else c - 82]
            elif 40 <= c <= 47 or 100 <= c <= 107:
                state["bg"] = PALETTE[c - 40 if c < 100 else c - 92]
            elif c == 39:
                state["fg"] = FG
            elif c == 49:
                state["bg"] = None
            elif c in (38, 48) and i + 2 < len(codes) and codes[i + 1] == 5:
                state["fg" if c == 38 else "bg"] = _xterm256(codes[i + 2])
                i += 2
            elif c in (38, 48) and i + 4 < len(codes) and codes[i + 1] == 2:
                state["fg" if c == 38 else "bg"] = "#%02x%02x%02x" % tuple(codes[i + 2:i + 5])
                i += 4
            i += 1
        pos = m.end()
    if pos < len(line):
        yield line[pos:], state["fg"], state["bg"], state["bold"]


def svg(lines: list[str], title: str = "") -> str:
    cols = max((len(SGR.sub("", ln)) for ln in lines), default=80)
    top = 28 if title else 8
    w, h = int(cols * CELL_W + 16), int(len(lines) * CELL_H + top + 8)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}">',
           f'<rect width="{w}" height="{h}" fill="{BG}"/>']
    if title:
        out.append(f'<text x="8" y="18" font-family="DejaVu Sans" font-size="12" fill="#8a8a8a">'
                   f'{html.escape(title)}</text>')
    state = {"fg": FG, "bg": None, "bold": False}
    for row, line in enumerate(lines):
        col = 0
        y = top + row * CELL_H
        for text, fg, bg, bold in runs(line, state):
            x = 8 + col * CELL_W
            if bg:
                out.append(f'<rect x="{x:.1f}" y="{y}" width="{len(text) * CELL_W:.1f}" height="{CELL_H}" fill="{bg}"/>')
            if text.strip():
                weight = ' font-weight="bold"' if bold else ""
                out.append(f'<text x="{x:.1f}" y="{y + CELL_H - 4}" font-family="DejaVu Sans Mono" '
                           f'font-size="{FONT}" fill="{fg}"{weight} xml:space="preserve">{html.escape(text)}</text>')
            col += len(text)
    out.append("</svg>")
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("capture", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--title", default="")
    a = ap.parse_args()
    lines = a.capture.read_text(encoding="utf-8", errors="replace").rstrip("\n").split("\n")
    with tempfile.TemporaryDirectory() as d:
        src = Path(d) / "screen.svg"
        src.write_text(svg(lines, a.title), encoding="utf-8")
        import shutil

        if shutil.which("rsvg-convert"):
            subprocess.run(["rsvg-convert", "-o", str(a.out), str(src)], check=True)
        else:
            subprocess.run(["convert", "-density", "96", str(src), str(a.out)], check=True)


if __name__ == "__main__":
    main()
