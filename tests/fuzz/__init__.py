"""Structure-aware fuzzing of dfulint's readers and of whole apps.

Seeds are real configuration files: the fixtures of this repository and, for long runs, a corpus
folder of real projects. Each input is a seed changed by one to four mutations that keep its shape
(lines deleted, duplicated, swapped or taken from another seed; numbers replaced by boundary values;
names swapped for other names; brackets, quotes, aliases, control characters, invalid UTF-8 or deep
nesting inserted; truncation). Every reader must return (problems are data) and never raise, hang or
report an internal error; a whole app must be checked without an internal error.

    python -m tests.fuzz                      # the quick run the test suite makes
    python -m tests.fuzz --long               # the long run (see --help)
"""
from __future__ import annotations

import os
import random
import re
import resource
import shutil
import signal
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"
MAX_SEED_BYTES = 48 * 1024
MAX_INPUT_BYTES = 6 * 1024 * 1024      # above dfulint's 4 MiB read cap: the too-large path is fuzzed too


class Hang(Exception):
    """An input took longer than the per-input limit."""


# ------------------------------------------------------------------ seeds

_KINDS = {
    "kconf": lambda n: n.endswith(".conf") or n.endswith("defconfig"),
    "pm": lambda n: n.startswith("pm_static") and n.endswith((".yml", ".yaml")),
    "dts": lambda n: n.endswith((".overlay", ".dts", ".dtsi")),
    "kconfig": lambda n: n.startswith("Kconfig"),
    "yaml": lambda n: n in ("sample.yaml", "testcase.yaml", "west.yml", "module.yml"),
    "config": lambda n: n in (".dfulint.toml", "dfulint.toml", "pyproject.toml"),
}

_CONFIG_SEEDS = [
    '[tool.dfulint]\nselect = ["DFU2", "DFU301"]\nignore = ["DFU401"]\nfail-on = "warning"\n'
    '[tool.dfulint.per-path-ignores]\n"boards/**/*.conf" = ["DFU411"]\n"[!a-z]*.overlay" = ["DFU003"]\n',
    'extend = "../base.toml"\nboards = ["nrf52840dk/nrf52840"]\nsdk-version = "2.6.0"\n'
    '[severity]\nDFU403 = "error"\n[per-path-ignores]\n"**/child_image/**" = ["DFU4"]\n',
]


def collect_seeds(folders) -> dict:
    """Seed texts (bytes) per reader from the files below `folders`."""
    seeds: dict = {k: [] for k in _KINDS}
    for top in folders:
        top = Path(top)
        if not top.is_dir():
            continue
        for dirpath, dirnames, filenames in os.walk(top):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d != "build")
            for n in sorted(filenames):
                for kind, match in _KINDS.items():
                    if match(n):
                        p = Path(dirpath) / n
                        try:
                            if p.is_symlink() or not p.is_file() or p.stat().st_size > MAX_SEED_BYTES:
                                continue
                            seeds[kind].append(p.read_bytes())
                        except OSError:
                            pass
    seeds["config"] += [s.encode() for s in _CONFIG_SEEDS]
    return {k: v for k, v in seeds.items() if v}


# ------------------------------------------------------------------ mutations

_NUMBERS = ["0", "-1", "-0x1", "0x7fffffff", "0xffffffff", "0x100000000", "18446744073709551616",
            "1" + "0" * 40, "9" * 500, "0x", "0x" + "f" * 80, "1e309", "00", "0b1", "-0", "+5", "0o7",
            "1_000", "4k", "0X1000", "2147483648", "-2147483649", "nan", "0x-1", "1.5"]
_SPECIALS = ["\x00", "\x1b[31m", "\x1b]8;;http://x\x07", "\r", "\t", "\ufeff", "\u202e", '"', "'", "\\", "{", "}",
             "[", "]", "(", ")", "<", ">", "&a ", "*a", "<<: *a", "#", "/*", "*/", "//", ";", "=", ":", ",", "$(",
             "${", "%", "!!python/object/apply:os.system ['touch /tmp/dfulint-fuzz-pwned']",
             '#include "../../../../../../etc/passwd"\n', '/include/ "/dev/zero"\n', "\n", " \\\n",
             "rsource \"/*/*/*\"\n", "osource \"../../../*\"\n", "- ", "? ", "|\n", ">-\n", "---\n", "...\n",
             "!!binary AAAA", "!!int", "\xa0", "\u2028", "😀", "&", "@", "/delete-node/ ", "/ {", "};",
             "reg = <0x0 0x1000>;", "span: [", "size: ", "# dfulint: ignore[", "# dfulint: ignore[DFU4**]",
             "${ZEPHYR_BASE}/../../", "0x1000 +", "DT_SIZE_K(", "("]
_BAD_BYTES = [b"\xff", b"\xc3\x28", b"\xe2\x82", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\x80"]
_NUM_RE = re.compile(rb"-?(?:0[xX][0-9a-fA-F]+|\d+)")
_WORD_RE = re.compile(rb"[A-Za-z_][A-Za-z0-9_,.-]*")


class Mutator:
    """Changes seeds of one reader, keeping their shape (a fixed seed gives the same inputs)."""

    def __init__(self, seeds: list, rng: random.Random):
        self.seeds = seeds
        self.rng = rng
        words: set = set()
        for s in seeds[:400]:
            words.update(_WORD_RE.findall(s)[:400])
        self.words = sorted(words)[:20000] or [b"CONFIG_X"]

    def input(self) -> bytes:
        data = self.rng.choice(self.seeds)
        for _ in range(self.rng.choice((1, 1, 2, 2, 3, 4))):
            data = self.mutate(data)[:MAX_INPUT_BYTES]
        return data

    def mutate(self, data: bytes) -> bytes:
        r = self.rng
        lines = data.splitlines(keepends=True) or [b""]
        op = r.randrange(16)
        i = r.randrange(len(lines))
        if op == 0:
            del lines[i]
        elif op == 1:
            lines.insert(i, lines[i])
        elif op == 2:
            j = r.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == 3:
            other = r.choice(self.seeds).splitlines(keepends=True) or [b"\n"]
            lines.insert(i, r.choice(other))
        elif op in (4, 5):
            nums = list(_NUM_RE.finditer(data))
            if nums:
                m = r.choice(nums)
                return data[:m.start()] + r.choice(_NUMBERS).encode() + data[m.end():]
            return data + r.choice(_NUMBERS).encode()
        elif op == 6:
            words = list(_WORD_RE.finditer(data))
            if words:
                m = r.choice(words)
                return data[:m.start()] + r.choice(self.words) + data[m.end():]
        elif op in (7, 8):
            pos = r.randrange(len(data) + 1)
            return data[:pos] + r.choice(_SPECIALS).encode("utf-8") + data[pos:]
        elif op == 9:
            pos = r.randrange(len(data) + 1)
            return data[:pos] + r.choice(_BAD_BYTES) + data[pos:]
        elif op == 10:
            return data[: r.randrange(len(data) + 1)]
        elif op == 11:
            pos = r.randrange(len(data) + 1)
            unit = r.choice((b"[", b"{", b"- ", b"(", b"/ { n {", b"  ", b"&a [*a, ", b"<"))
            return data[:pos] + unit * r.choice((20, 200, 2000)) + data[pos:]
        elif op == 12:
            lines.insert(i, lines[i] * r.choice((50, 1000)))
        elif op == 13:
            if data:
                pos = r.randrange(len(data))
                return data[:pos] + bytes([data[pos] ^ (1 << r.randrange(8))]) + data[pos + 1:]
        elif op == 14:
            lines[i] = b" " * r.choice((1, 2, 4, 7)) + lines[i]
        else:
            bomb = b"".join(b"%s: &%s [%s]\n" % (bytes([97 + k]), bytes([97 + k]),
                            b",".join([b"*%s" % bytes([96 + k]) if k else b"x"] * 9)) for k in range(9))
            lines.insert(i, bomb)
        return b"".join(lines)


# ------------------------------------------------------------------ readers

def _fresh():
    from dfulint.sources import clear_caches
    clear_caches()


def _reader_kconf(path: Path, data: bytes) -> None:
    from dfulint.sources.kconf import parse_fragment
    path = path.with_name("prj.conf")
    path.write_bytes(data)
    parse_fragment(path)
    parse_fragment(path, "SB_CONFIG_")


def _reader_pm(path: Path, data: bytes) -> None:
    from dfulint.sources.pm import parse_pm
    path = path.with_name("pm_static.yml")
    path.write_bytes(data)
    parse_pm(path)


def _reader_dts(path: Path, data: bytes) -> None:
    from dfulint.sources.dts import parse_dts
    path = path.with_name("app.overlay")
    path.write_bytes(data)
    out = parse_dts(path, allowed_roots=(path.parent,))
    bad = [p for p in out.problems if p.kind == "internal"]
    if bad:
        raise AssertionError(bad[0].message)


def _reader_kconfig(path: Path, data: bytes) -> None:
    from dfulint import west
    from dfulint.sources.kconfig_defaults import parse_kconfig_defaults
    path = path.with_name("Kconfig")
    path.write_bytes(data)
    parse_kconfig_defaults(path)
    west.scan_text(data.decode("utf-8", "replace"))
    west.app_symbols(path.parent, [path])


def _reader_yaml(path: Path, data: bytes) -> None:
    from dfulint import workspace
    from dfulint.context import boards, sdk
    d = path.parent
    for name in ("sample.yaml", "west.yml"):
        (d / name).write_bytes(data)
    text = data.decode("utf-8", "replace")
    boards.twister_boards(text, d / "sample.yaml")
    workspace._scenarios(d)
    sdk.read_manifest(d / "west.yml")


def _reader_config(path: Path, data: bytes) -> None:
    from dfulint import config
    path = path.with_name(".dfulint.toml")
    path.write_bytes(data)
    try:
        s = config.load(path)
    except config.ConfigError:
        return
    for p in s.per_path:
        p.matches(path.parent / "boards" / "nrf52840dk" / "x.conf")


def _reader_suppressions(path: Path, data: bytes) -> None:
    from dfulint import suppressions
    for name in ("prj.conf", "app.overlay", "pm_static.yml"):
        p = path.with_name(name)
        p.write_bytes(b"# dfulint: ignore[DFU401]\n" + data)
        suppressions.directives(p)


READERS: dict = {
    "kconf": ("kconf", _reader_kconf),
    "pm": ("pm", _reader_pm),
    "dts": ("dts", _reader_dts),
    "kconfig": ("kconfig", _reader_kconfig),
    "yaml": ("yaml", _reader_yaml),
    "config": ("config", _reader_config),
    "suppressions": ("kconf", _reader_suppressions),
}

_APP_FILES = {"prj.conf": "kconf", "pm_static.yml": "pm", "app.overlay": "dts", "sample.yaml": "yaml",
              "child_image/mcuboot.conf": "kconf", "sysbuild.conf": "kconf", "Kconfig": "kconfig"}


def seed_apps(folders) -> list:
    """App folders (with a prj.conf) below `folders`, to mutate whole."""
    out = []
    for top in folders:
        for p in sorted(Path(top).rglob("prj.conf")):
            app = p.parent
            if "child_image" in app.parts or "sysbuild" in app.parts or "build" in app.parts:
                continue
            n = sum(1 for _ in app.rglob("*"))
            if n <= 60:
                out.append(app)
    return out


def _run_app(work: Path, app: Path, rel: str, data: bytes) -> None:
    from dfulint import engine
    target = work / "app"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(app, target, symlinks=True)
    dest = target / rel
    if dest.parent.is_symlink() or (dest.parent.exists() and not dest.parent.is_dir()):
        return
    dest.parent.mkdir(parents=True, exist_ok=True)
    if dest.is_symlink() or (dest.exists() and not dest.is_file()):
        dest.unlink()                      # a fixture's symlink or FIFO: write a file instead
    dest.write_bytes(data)
    res = engine.run([target], engine.Options())
    if res.internal_errors:
        raise AssertionError(res.internal_errors[0])
    # every report renders (non-UTF-8 names, control characters, odd spans)
    from dfulint.report import json_report, sarif, text as text_report
    json_report.render(res)
    sarif.render(res)
    text_report.render(res)


# ------------------------------------------------------------------ running

@dataclass
class Stats:
    inputs: int = 0
    crashes: int = 0
    hangs: int = 0
    slowest: float = 0.0
    slowest_input: bytes = b""
    seconds: float = 0.0
    first_crash: str = ""
    crash_files: list = field(default_factory=list)


def _alarm(seconds: float):
    def on_alarm(signum, frame):
        raise Hang(f"input took more than {seconds} s")
    if hasattr(signal, "setitimer"):
        signal.signal(signal.SIGALRM, on_alarm)
        signal.setitimer(signal.ITIMER_REAL, seconds)


def _alarm_off():
    if hasattr(signal, "setitimer"):
        signal.setitimer(signal.ITIMER_REAL, 0)


def fuzz(reader: str, seeds: dict, n: int, seed: int = 1, limit: float = 10.0, seconds: Optional[float] = None,
         crash_dir: Optional[Path] = None, apps: Optional[list] = None) -> Stats:
    """Feed `n` mutated inputs (or as many as fit in `seconds`) to one reader ("app": whole apps)."""
    rng = random.Random(f"{reader}:{seed}")
    st = Stats()
    start = time.monotonic()
    shm = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
    with tempfile.TemporaryDirectory(prefix=f"dfulint-fuzz-{reader}-", dir=shm) as tmp:
        work = Path(tmp)
        (work / ".git").mkdir()              # the project root of every input
        if reader == "app":
            apps = apps or []
            muts = {k: Mutator(seeds[k], rng) for k in set(_APP_FILES.values()) if k in seeds}
            files = [(rel, kind) for rel, kind in _APP_FILES.items() if kind in muts]

            def one(i: int) -> bytes:
                app = apps[i % len(apps)]
                rel, kind = rng.choice(files)
                cur = (app / rel).read_bytes() if (app / rel).is_file() else rng.choice(seeds[kind])
                m = muts[kind]
                data = cur
                for _ in range(rng.choice((1, 2, 3))):
                    data = m.mutate(data)[:MAX_INPUT_BYTES]
                one.data = data
                _run_app(work, app, rel, data)
                return data
        else:
            kind, func = READERS[reader]
            mut = Mutator(seeds[kind], rng)
            path = work / "input"

            def one(i: int) -> bytes:
                data = mut.input()
                one.data = data
                func(path, data)
                return data
        i = 0
        while (seconds is None and i < n) or (seconds is not None and time.monotonic() - start < seconds
                                               and i < n):
            _fresh()
            t0 = time.perf_counter()
            data = b""
            try:
                _alarm(limit)
                try:
                    data = one(i)
                finally:
                    _alarm_off()
            except Hang:
                st.hangs += 1
                _record(st, reader, i, getattr(one, "data", b""), "hang", crash_dir)
            except Exception:
                st.crashes += 1
                _record(st, reader, i, getattr(one, "data", b""), traceback.format_exc(), crash_dir)
            dt = time.perf_counter() - t0
            if dt > st.slowest:
                st.slowest, st.slowest_input = dt, data or getattr(one, "data", b"")
            i += 1
        st.inputs = i
    st.seconds = time.monotonic() - start
    if crash_dir is not None and st.slowest_input:
        crash_dir.mkdir(parents=True, exist_ok=True)
        (crash_dir / f"{reader}-slowest.input").write_bytes(st.slowest_input)
    return st


def _record(st: Stats, reader: str, i: int, data: bytes, why: str, crash_dir: Optional[Path]) -> None:
    if not st.first_crash:
        st.first_crash = why
    if crash_dir is not None:
        crash_dir.mkdir(parents=True, exist_ok=True)
        p = crash_dir / f"{reader}-{i}"
        p.with_suffix(".input").write_bytes(data)
        p.with_suffix(".txt").write_text(why)
        st.crash_files.append(str(p))


def peak_memory_mb() -> float:
    """Peak resident memory of this process so far, in MB."""
    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return r / 1024 if os.uname().sysname != "Darwin" else r / (1024 * 1024)
