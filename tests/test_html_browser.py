"""The HTML report in a real headless Chromium: it loads without console errors, the SVG holds the
seed's partitions after the page script ran, the zoom works, and a screenshot shows the slots in
their colours. The screenshots are kept under tests/artifacts/ (not in git)."""
from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest
from click.testing import CliRunner

from dfulint.cli import cli

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "fixtures" / "seed_bl653_dvk"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    if Path("/usr/bin/chromium").exists():
        return "/usr/bin/chromium"
    pytest.skip("Chromium is not installed (Debian: `apt-get install -y chromium`, as .ci/run does); "
                "the HTML report could not be checked in a browser")


def _browser(url: str, tmp: Path, *args: str) -> subprocess.CompletedProcess:
    cmd = [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
           "--disable-default-apps", "--hide-scrollbars", f"--user-data-dir={tmp / 'profile'}",
           "--enable-logging=stderr", "--v=0", *args, url]
    env = dict(os.environ, HOME=str(tmp))
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env)


def _console(stderr: str) -> list[str]:
    """Messages the page wrote to the console (Chromium logs them as INFO:CONSOLE lines)."""
    return [ln for ln in stderr.splitlines() if "CONSOLE" in ln or "Uncaught" in ln]


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("html") / "report.html"
    res = CliRunner().invoke(cli, ["check", str(SEED), "--format", f"html:{out}"], catch_exceptions=False)
    assert res.exit_code == 1, res.output
    return out


def _png_pixels(path: Path) -> tuple[int, int, list[bytes]]:
    """Decode an 8-bit, non-interlaced RGB(A) PNG (what Chromium writes) into rows of pixels."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows, prev, i = [], bytearray(stride), 0
    for _ in range(height):
        f = raw[i]
        line = bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if f == 1:
                line[x] = (line[x] + a) & 255
            elif f == 2:
                line[x] = (line[x] + b) & 255
            elif f == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line) if bpp == 3 else bytes(v for k, v in enumerate(line) if k % 4 != 3))
        prev = line
    return width, height, rows


def _has_colour(rows: list[bytes], rgb: tuple[int, int, int], tolerance: int = 6, at_least: int = 50) -> bool:
    n = 0
    for row in rows:
        for x in range(0, len(row), 3):
            if all(abs(row[x + k] - rgb[k]) <= tolerance for k in range(3)):
                n += 1
                if n >= at_least:
                    return True
    return False


def test_report_screenshot(report: Path, tmp_path: Path):
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "report-seed.png"
    if shot.exists():
        shot.unlink()
    res = _browser(report.as_uri(), tmp_path, "--window-size=1100,1400", f"--screenshot={shot}")
    assert res.returncode == 0, res.stderr[-2000:]
    assert _console(res.stderr) == [], _console(res.stderr)
    assert shot.is_file() and shot.stat().st_size > 20000
    width, height, rows = _png_pixels(shot)
    assert (width, height) == (1100, 1400)
    # the flash pictures were painted: primary slot blue, secondary slot orange, bootloader slate
    assert _has_colour(rows, (0x23, 0x67, 0xc4))
    assert _has_colour(rows, (0xd9, 0x77, 0x1a))
    assert _has_colour(rows, (0x51, 0x60, 0x7f))


def test_report_dom_after_load(report: Path, tmp_path: Path):
    res = _browser(report.as_uri(), tmp_path, "--dump-dom")
    assert res.returncode == 0, res.stderr[-2000:]
    assert _console(res.stderr) == [], _console(res.stderr)
    dom = res.stdout
    svgs = re.findall(r'<svg class="flashmap".*?</svg>', dom, re.S)
    assert len(svgs) == 2
    internal = set(re.findall(r'data-partition="([^"]+)"', svgs[0]))
    assert {"mcuboot", "mcuboot_primary", "mcuboot_pad", "mcuboot_primary_app", "app", "settings_storage"} <= internal
    external = set(re.findall(r'data-partition="([^"]+)"', svgs[1]))
    assert {"external_flash", "mcuboot_secondary"} <= external
    assert re.search(r'data-partition="mcuboot_secondary"[^>]*data-findings="[^"]*DFU201', svgs[1])
    assert 'width="904"' in svgs[0]


def test_report_zoom(report: Path, tmp_path: Path):
    res = _browser(report.as_uri() + "#zoom=8", tmp_path, "--dump-dom")
    assert res.returncode == 0, res.stderr[-2000:]
    assert _console(res.stderr) == [], _console(res.stderr)
    svgs = re.findall(r'<svg class="flashmap".*?</svg>', res.stdout, re.S)
    # 8x wider, sector lines still shown, and the zoom level displayed
    # (8 x the 880 px bar + 2 x 12 px padding)
    assert re.search(r'<svg class="flashmap"[^>]*width="7064"', svgs[0])
    assert re.search(r'<path class="sectors" d="[^"]+" data-pad="12" transform="translate\(12 0\) scale\(8 1\)', svgs[0])
    assert '<output class="zl">8×</output>' in res.stdout
    # the 48 KiB bootloader now has room for its label inside; the 0.5 KiB pad still needs a callout
    boot = re.search(r'data-partition="mcuboot".*?</g>', svgs[0], re.S).group(0)
    assert re.search(r'<text class="zx in"', boot)
    pad = re.search(r'data-partition="mcuboot_pad".*?</g>\s*</g>', svgs[0], re.S).group(0)
    assert re.search(r'<text class="zx in off"', pad) and re.search(r'<g class="co"', pad)
    shot = ARTIFACTS / "report-seed-zoom8.png"
    ARTIFACTS.mkdir(exist_ok=True)
    res = _browser(report.as_uri() + "#zoom=8", tmp_path, "--window-size=1100,700", f"--screenshot={shot}")
    assert res.returncode == 0 and shot.is_file()


def test_sector_lines_and_ticks_appear_on_zoom(tmp_path: Path):
    """nRF52840: 256 sectors of 4 KiB are 3.75 px wide at 1x, too thin to draw; at 2x the script
    draws them, and the address axis gets twice as many labels."""
    app = tmp_path / "app"
    app.mkdir()
    (app / "prj.conf").write_text("CONFIG_BOOTLOADER_MCUBOOT=y\n")
    out = tmp_path / "r.html"
    res = CliRunner().invoke(cli, ["check", str(app), "--board", "nrf52840dk/nrf52840", "--format", f"html:{out}"],
                             catch_exceptions=False)
    assert res.exit_code in (0, 1), res.output
    static = re.findall(r'<svg class="flashmap".*?</svg>', out.read_text(), re.S)[0]
    assert '<path class="sectors off" d=""' in static
    assert static.count('class="tick"') == 9
    res = _browser(out.as_uri() + "#zoom=2", tmp_path, "--dump-dom")
    assert res.returncode == 0 and _console(res.stderr) == [], _console(res.stderr)
    svg = re.findall(r'<svg class="flashmap".*?</svg>', res.stdout, re.S)[0]
    d = re.search(r'<path class="sectors" d="([^"]+)"', svg)
    assert d and d.group(1).count("M") == 255
    assert svg.count('class="tick"') == 17
