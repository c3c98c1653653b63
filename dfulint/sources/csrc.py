"""The application's C sources, read as text: which update-path functions it calls, and where.

Nothing is compiled, preprocessed or executed. Files are read through `read_text` (regular files,
bounded size); comments and string literals are blanked out first, so a call that is only
mentioned in a comment or a log message does not count. The walk is bounded (depth, file count)
and never follows symbolic links.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from dfulint.core import Span
from dfulint.records import NamedTuple
from dfulint.sources import parsed_once, read_text

MAX_FILES = 400
MAX_DEPTH = 8
SOURCE_DIRS = ("src", "lib", "app", "modules", "source", "Src")
SUFFIXES = (".c", ".cc", ".cpp", ".cxx", ".h", ".hpp")
SKIP = {"build", "tests", "test", "doc", "docs", "node_modules", "third_party", "external", "vendor"}

# the functions whose calls say something about the update chain
WATCHED = (
    # confirming the running image (Zephyr dfu/mcuboot.h, MCUboot bootutil_public.h)
    "boot_write_img_confirmed", "boot_write_img_confirmed_multi", "boot_set_confirmed",
    "boot_set_confirmed_multi",
    # requesting an upgrade of the secondary slot
    "boot_request_upgrade", "boot_request_upgrade_multi", "boot_set_pending", "boot_set_pending_multi",
    "boot_set_next",
    # writing an image (nRF Connect SDK DFU target / FOTA download, Zephyr flash_img)
    "dfu_target_init", "dfu_target_write", "dfu_target_done", "dfu_target_schedule_update",
    "dfu_target_mcuboot_set_buf", "fota_download_init", "fota_download_start",
    "fota_download_start_with_image_type", "flash_img_init", "flash_img_init_id",
    "flash_img_buffered_write",
    # Bluetooth pairing callbacks (what security level a connection can reach)
    "bt_conn_auth_cb_register", "bt_conn_auth_info_cb_register", "bt_passkey_set",
    # asking MCUboot to stay in serial recovery (retention boot mode)
    "bootmode_set", "bootmode_check",
)


@lru_cache(maxsize=1)
def _call_pattern() -> "re.Pattern":
    """A call of a watched function (compiled when an app has C sources to read)."""
    return re.compile(r"\b(" + "|".join(sorted(WATCHED, key=len, reverse=True)) + r")\s*\(")


class Call(NamedTuple):
    """One call of a watched function: its name, its argument text (bounded) and where it is."""
    name: str
    args: str
    span: Span


class CSources(NamedTuple):
    """What the application's C sources show. `files == 0` means none were found: nothing can be
    said about the code, and rules that depend on it stay silent."""
    files: int
    calls: tuple
    truncated: bool = False          # more files than dfulint reads
    dirs: tuple = ()                 # folders that were searched (relative names)

    def called(self, *names: str) -> tuple:
        return tuple(c for c in self.calls if c.name in names)


NONE = CSources(0, ())


def _blank(text: str) -> str:
    """`text` with comments and string/char literals replaced by spaces (newlines kept)."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "/" and i + 1 < n and text[i + 1] == "/":
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif c == "/" and i + 1 < n and text[i + 1] == "*":
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append("".join(ch if ch == "\n" else " " for ch in text[i:j]))
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            out.append(c + " " * max(0, j - i - 2) + (c if j - i >= 2 else ""))
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _args(code: str, start: int) -> str:
    depth, j = 1, start
    end = min(len(code), start + 200)
    while j < end and depth:
        if code[j] == "(":
            depth += 1
        elif code[j] == ")":
            depth -= 1
        j += 1
    return " ".join(code[start:j - 1 if depth == 0 else j].split())


def scan_file(path: Path) -> tuple:
    """The watched calls in one file (a tuple of Call); () when the file cannot be read."""
    def parse():
        t = read_text(path)
        if t.text is None:
            return ()
        code = _blank(t.text)
        out = []
        line_starts = [0]
        for m in re.finditer("\n", code):
            line_starts.append(m.end())
        import bisect
        for m in _call_pattern().finditer(code):
            # a declaration or definition (`int boot_write_img_confirmed(void)`) is no call
            before = code[max(0, m.start() - 40):m.start()].rstrip()
            if re.search(r"\b(int|void|bool|static|extern|inline)\s*\**$", before):
                continue
            line = bisect.bisect_right(line_starts, m.start())
            col = m.start() - line_starts[line - 1] + 1
            out.append(Call(m.group(1), _args(code, m.end()), Span(path, line, col)))
        return tuple(out)
    return parsed_once("csrc", (str(path),), parse)


def _keep(folder, name: str) -> bool:
    return not name.startswith(".") and name not in SKIP and not name.startswith("build")


def _sources_below(top: Path, out: list, limit: int) -> bool:
    """Source files below `top` (regular files, no symlinked folders); False when `limit` was hit."""
    from dfulint import files

    for dirpath, _dirnames, filenames in files.walk(top, max_depth=MAX_DEPTH, keep_dir=_keep):
        for name in filenames:
            if len(out) >= limit:
                return False
            p = Path(dirpath) / name
            if name.endswith(SUFFIXES) and not name.startswith(".") and files.is_file(p):
                out.append(p)
    return True


def scan_app(root: Path) -> CSources:
    """The watched calls in an application's own sources: `src/` and the other usual source
    folders of the app, plus C files at its top level. Bounded; computed once per run."""
    def parse():
        from dfulint import files as fl

        found: list = []
        complete = True
        dirs = []
        for d in SOURCE_DIRS:
            p = root / d
            if p.is_dir() and not p.is_symlink():
                dirs.append(d)
                complete = _sources_below(p, found, MAX_FILES) and complete
        for _dirpath, _dirnames, filenames in fl.walk(root, max_depth=0):
            for name in filenames:
                if len(found) >= MAX_FILES:
                    complete = False
                    break
                if name.endswith(SUFFIXES) and fl.is_file(root / name):
                    found.append(root / name)
            break
        calls = []
        for f in found:
            calls.extend(scan_file(f))
        return CSources(len(found), tuple(calls), not complete, tuple(dirs))
    return parsed_once("csrc-app", (str(root),), parse)
