"""`check --against REV|PATH`: the shipped release's facts, beside the tree's.

The release is one of:
- a git revision (a release tag, usually) of the repository holding the app: its files are read
  with git itself (`git ls-tree`, `git cat-file`; no checkout, no hooks, nothing executed),
  regular blobs only, bounded, into a private temporary folder that is its own project root,
  and the same pipeline builds the old model from them (old board names, old SDK, old files);
- a build directory of the release (partitions.yml and the final .config files: the truth of
  what shipped);
- a folder holding the release's sources (the app, or a tree of apps matched by path);
- a `dfulint map --format json` snapshot saved at release time.

For every checked app and board, `attach` gives each target (a new record) an `Against`: the
release's facts, the tree's facts and MCUboot-as-shipped's view of the tree's slots. The rules
in checks/release.py compare them.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from dfulint.model import release as rel
from dfulint.records import NamedTuple

TYPE_CHECKING = False      # (typing.TYPE_CHECKING without importing typing)
if TYPE_CHECKING:
    from typing import Optional

    from dfulint.model.mcuboot import SlotAnalysis

MAX_TREE_ENTRIES = 200_000      # lines of `git ls-tree -r` read
MAX_FILES = 4000                # files materialised per app
MAX_FILE_BYTES = 1024 * 1024
MAX_TOTAL_BYTES = 64 * 1024 * 1024
MAX_SNAPSHOT_BYTES = 16 * 1024 * 1024
GIT_TIMEOUT = 60
# folders of an app that never hold build configuration (as workspace._app_files skips them)
SKIP_DIRS = {"src", "include", "lib", "drivers", "doc", "docs", "node_modules", "tests", "test"}


class ReleaseError(Exception):
    """The --against value cannot be used at all (the message is for the user)."""


class Against(NamedTuple):
    """One board target's comparison with the release."""
    label: str                        # "release v1.2.0", "release build/"
    old: Optional[rel.ReleaseFacts]   # None when the release has no such app or board
    new: rel.ReleaseFacts
    shipped: Optional[SlotAnalysis] = None   # the release's MCUboot on this tree's slots
    problem: str = ""                 # why there is nothing to compare, when old is None
    changes: dict = {}                # partition name -> "moved", "resized", "removed", "added"


# ------------------------------------------------------------------ git

def _git_env() -> dict:
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "SYSTEMROOT", "TMPDIR")}
    env.update(GIT_CONFIG_NOSYSTEM="1", GIT_TERMINAL_PROMPT="0", GIT_OPTIONAL_LOCKS="0", LC_ALL="C",
               GIT_NO_REPLACE_OBJECTS="1")
    return env


def _git(args: list, cwd: Path, stdin: Optional[bytes] = None) -> bytes:
    """Run a read-only git plumbing command; ReleaseError with git's own words if it fails."""
    if shutil.which("git") is None:
        raise ReleaseError("git is not installed: --against REV needs it (or pass a release folder, "
                           "build directory or snapshot as --against PATH)")
    cmd = ["git", "-c", "core.fsmonitor=false", "-c", "core.hooksPath=/dev/null", "-c", "protocol.allow=never",
           "--no-pager", "-C", str(cwd)] + args
    try:
        res = subprocess.run(cmd, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             env=_git_env(), timeout=GIT_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ReleaseError(f"git {args[0]} failed: {exc}") from None
    if res.returncode != 0:
        msg = res.stderr.decode("utf-8", "replace").strip().splitlines()
        raise ReleaseError(f"git {args[0]}: {msg[-1] if msg else 'failed'}")
    return res.stdout


def _toplevel(path: Path) -> Optional[Path]:
    try:
        out = _git(["rev-parse", "--show-toplevel"], path if path.is_dir() else path.parent)
    except ReleaseError:
        return None
    top = out.decode("utf-8", "replace").strip()
    return Path(top).resolve() if top else None


class _GitTree:
    """One revision of one repository, listed once; app folders materialised on demand."""

    def __init__(self, top: Path, rev: str):
        self.top = top
        self.rev = rev
        try:
            out = _git(["rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"], top)
        except ReleaseError:
            raise ReleaseError(f"{rev!r} is not a commit, tag or branch of the repository {top}") from None
        self.commit = out.decode().strip()
        listing = _git(["ls-tree", "-r", "-z", "--long", "--full-tree", self.commit], top)
        self.blobs: dict[str, tuple[str, int]] = {}
        for n, entry in enumerate(listing.split(b"\0")):
            if n >= MAX_TREE_ENTRIES or not entry:
                continue
            head, _, path = entry.partition(b"\t")
            fields = head.split()
            if len(fields) != 4:
                continue
            mode, typ, sha, size = (f.decode("ascii", "replace") for f in fields)
            # regular files only: symlinks (120000) and submodules (160000) are never followed
            if typ != "blob" or mode not in ("100644", "100755") or not size.isdigit():
                continue
            try:
                p = path.decode("utf-8")
            except UnicodeDecodeError:
                continue
            parts = p.split("/")
            if any(x in ("", ".", "..") for x in parts) or p.startswith("/"):
                continue
            self.blobs[p] = (sha, int(size))
        self.dir = Path(tempfile.mkdtemp(prefix="dfulint-release-"))
        # the folder is its own project root: readers walking up for .git or west.yml stop here
        (self.dir / ".git").mkdir()
        self.done: set[str] = set()
        self.total = 0

    def app_moved_from(self, root: Path) -> Optional[str]:
        """The release's folder of an app that has moved since: the app folder (one with prj.conf)
        whose path shares the longest tail with the app's current path, when that is unique."""
        dirs = {tuple(p.split("/")[:-1]): "/".join(p.split("/")[:-1]) for p in self.blobs
                if p.rsplit("/", 1)[-1] == "prj.conf" and "/" in p}
        return _suffix_match(tuple(root.parts), dirs)

    def wanted(self, prefix: str) -> list[str]:
        """The files of the app at `prefix` the pipeline reads, with the repository files that
        decide its context: west manifests and VERSION files above it, and custom boards."""
        ancestors = [""]
        acc = []
        for part in [x for x in prefix.split("/") if x]:
            acc.append(part)
            ancestors.append("/".join(acc))
        out = []
        pre = prefix + "/" if prefix else ""
        for p, (_sha, size) in self.blobs.items():
            if size > MAX_FILE_BYTES:
                continue
            d, _, name = p.rpartition("/")
            if p.startswith(pre):
                inner = p[len(pre):].split("/")[:-1]
                if any(x.startswith(".") or x.startswith("build") or x in SKIP_DIRS for x in inner):
                    continue
                if name.startswith(".") and name != ".config":
                    continue
                out.append(p)
            elif d in ancestors and name in ("west.yml", "west.yaml", "VERSION", "CMakeLists.txt", "prj.conf"):
                out.append(p)
            elif any(p.startswith((a + "/" if a else "") + "boards/") for a in ancestors):
                out.append(p)
        out.sort()
        return out[:MAX_FILES]

    def materialise(self, prefix: str) -> Path:
        todo = [p for p in self.wanted(prefix) if p not in self.done]
        if todo:
            self._write(todo)
        return self.dir / prefix if prefix else self.dir

    def _write(self, paths: list[str]) -> None:
        shas = [self.blobs[p][0] for p in paths]
        data = _git(["cat-file", "--batch"], self.top, ("\n".join(shas) + "\n").encode())
        pos = 0
        for p in paths:
            nl = data.find(b"\n", pos)
            if nl < 0:
                break
            head = data[pos:nl].split()
            if len(head) != 3 or head[1] != b"blob":
                raise ReleaseError(f"git cat-file: unexpected answer for {p}")
            size = int(head[2])
            body = data[nl + 1: nl + 1 + size]
            pos = nl + 1 + size + 1
            self.total += size
            if self.total > MAX_TOTAL_BYTES:
                raise ReleaseError(f"the release's files exceed {MAX_TOTAL_BYTES // (1024 * 1024)} MiB")
            dest = self.dir.joinpath(*p.split("/"))
            dest.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(body)
            self.done.add(p)

    def close(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


# ------------------------------------------------------------------ the release

def _suffix_match(rel_new: tuple, candidates: dict) -> Optional[object]:
    """The candidate whose relative path shares the longest tail with rel_new (unique), or None."""
    best, best_n, tie = None, 0, False
    for parts, value in candidates.items():
        n = 0
        while n < min(len(parts), len(rel_new)) and parts[-1 - n] == rel_new[-1 - n]:
            n += 1
        if n > best_n:
            best, best_n, tie = value, n, False
        elif n == best_n and n > 0:
            tie = True
    if best_n == 0 or tie:
        return None
    return best


class Release:
    """The release named by --against, opened once per run."""

    def __init__(self, spec: str, paths: list = ()):
        self.spec = spec
        self.kind = ""
        self.snapshot: list[dict] = []
        self.git: dict[Path, _GitTree] = {}
        self.paths = [Path(p).resolve() for p in paths] or [Path(".").resolve()]
        p = Path(spec).expanduser()
        if spec and p.exists():
            self.path = p.resolve()
            name = _release_name(p)
            if p.is_file():
                self.kind = "snapshot"
                self._load_snapshot(p)
                self.label = f"release {name} (snapshot)"
            elif rel.is_build_dir(p):
                self.kind = "build"
                self.label = f"release {name} (build)"
            elif p.is_dir():
                self.kind = "folder"
                self.label = f"release {name}"
            else:
                raise ReleaseError(f"{spec}: not a file or folder")
        else:
            if not spec or spec.startswith("-") or any(c in spec for c in "\0\n"):
                raise ReleaseError(f"{spec!r} is neither an existing path nor a git revision")
            self.kind = "git"
            self.path = None
            self.label = f"release {spec}"
            top = None
            for q in self.paths:
                top = _toplevel(q)
                if top is not None:
                    break
            if top is None:
                raise ReleaseError(f"{spec!r} is not an existing path, and the checked folder is not in a git "
                                   "repository where it could be a revision")
            self.git[top] = _GitTree(top, spec)      # an unknown revision fails here, before any work

    def _load_snapshot(self, p: Path) -> None:
        try:
            if p.stat().st_size > MAX_SNAPSHOT_BYTES:
                raise ReleaseError(f"{p}: larger than {MAX_SNAPSHOT_BYTES // (1024 * 1024)} MiB")
            doc = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise ReleaseError(f"{p}: not a dfulint map JSON snapshot ({exc})") from None
        apps = doc.get("apps") if isinstance(doc, dict) else None
        if not isinstance(apps, list):
            raise ReleaseError(f"{p}: not a dfulint map JSON snapshot (no \"apps\" list)")
        for a in apps[:5000]:
            if isinstance(a, dict) and isinstance(a.get("release"), dict):
                self.snapshot.append(a)
        if not self.snapshot:
            raise ReleaseError(f"{p}: the snapshot holds no release facts (write it with "
                               "`dfulint map --format json` of this version or later)")

    def close(self) -> None:
        for g in self.git.values():
            g.close()

    # -------------------------------------------------------------- per app

    def _rel_parts(self, root: Path) -> tuple:
        for base in self.paths:
            b = base if base.is_dir() else base.parent
            try:
                return root.resolve().relative_to(b).parts or (root.resolve().name,)
            except ValueError:
                continue
        return (root.resolve().name,)

    def old_facts(self, app, targets) -> tuple[dict, str]:
        """{board key: ReleaseFacts} of the release for this app, and a problem when there are none."""
        if self.kind == "snapshot":
            return self._from_snapshot(app)
        if self.kind == "build":
            from dfulint import files
            with files.confined(files.project_roots(self.path)):
                facts, problems = rel.facts_from_build(self.path)
            if not facts:
                return {}, "; ".join(problems)
            return {f.key: f for f in facts}, ""
        if self.kind == "folder":
            from dfulint import files
            with files.confined(files.project_roots(self.path, tops=(self.path,))):
                old_root = self._match_folder(app)
            if old_root is None:
                return {}, f"no app in {self.path.name}/ matches {app.root.name}"
            return self._from_sources(old_root, targets, "files")
        # git
        root = app.root.resolve()
        top = _toplevel(root)
        if top is None:
            return {}, "the app is not in a git repository"
        tree = self.git.get(top)
        if tree is None:
            try:
                tree = self.git[top] = _GitTree(top, self.spec)
            except ReleaseError as exc:
                return {}, str(exc)
        prefix = "/".join(root.relative_to(top).parts)
        pre = prefix + "/" if prefix else ""
        if not any(p.startswith(pre) for p in tree.blobs):
            moved = tree.app_moved_from(root)
            if moved is None:
                return {}, f"{prefix or 'the app'} does not exist at {self.spec}"
            prefix = moved          # the app's folder was renamed since the release
        try:
            old_root = tree.materialise(prefix)
        except (ReleaseError, OSError) as exc:
            return {}, f"cannot read the app at {self.spec}: {exc}"
        return self._from_sources(old_root, targets, "git")

    def _from_snapshot(self, app) -> tuple[dict, str]:
        entries = self.snapshot
        apps = {str(e.get("app")) for e in entries}
        if len(apps) > 1:
            by = {}
            for e in entries:
                parts = tuple(Path(str(e.get("app"))).parts)
                by.setdefault(parts, []).append(e)
            rel_new = tuple(app.root.resolve().parts)
            chosen = _suffix_match(rel_new, by)
            if chosen is None:
                return {}, f"the snapshot has no app matching {app.root.name}"
            entries = chosen
        out = {}
        for e in entries:
            f = rel.from_dict(e["release"])
            if f is not None:
                out.setdefault(f.key, f)
        return out, "" if out else "the snapshot's entries for this app are unreadable"

    def _match_folder(self, app) -> Optional[Path]:
        from dfulint.context.folders import is_app_dir
        from dfulint.workspace import find_apps

        try:
            if is_app_dir(self.path, {p.name for p in self.path.iterdir()}):
                return self.path
        except OSError:
            return None
        olds = {tuple(p.relative_to(self.path).parts): p for p in find_apps([self.path])}
        return _suffix_match(tuple(app.root.resolve().parts), olds)

    def _from_sources(self, old_root: Path, targets, evidence: str) -> tuple[dict, str]:
        from dfulint import files
        from dfulint.model.project import build_targets
        from dfulint.workspace import describe_app

        out = {}
        top = self.path if self.kind == "folder" else next(iter(self.git.values())).dir if self.git else old_root
        with files.confined(files.project_roots(old_root, tops=(top,))):
            own = describe_app(old_root)
            own_keys = {rel.board_key(b) for b in own.boards}
            # each board in the release's own spelling (its era's name, its file stems)
            own_by_key = {rel.board_key(b): b for b in own.boards}
            boards = [own_by_key.get(rel.board_key(t.board), t.board) for t in targets if t.board]
            old_app = describe_app(old_root, boards) if boards else own
            with files.confined(files.project_roots(old_root, old_app.west_root, (top,))):
                for t in build_targets(old_app):
                    k = rel.board_key(t.board)
                    if own.boards and k not in own_keys and not _board_named_in(own, t.board):
                        continue        # the release did not build this board
                    out[k] = rel.facts_of(t, evidence)
        return out, "" if out else "the release does not build these boards"

    def attach(self, app, targets) -> list:
        """The targets, each with the shipped release's facts beside its own (Target.against)."""
        olds, problem = self.old_facts(app, targets)
        out = []
        for t in targets:
            new = rel.facts_of(t)
            old = olds.get(new.key)
            if old is None and len(olds) == 1 and (not new.key or not next(iter(olds))) and len(targets) == 1:
                old = next(iter(olds.values()))     # one board on either side, one of them unnamed
            if old is not None:
                old = rel.assume_version(old, new)
            why = problem or (f"the release does not build {t.board}" if old is None else "")
            shipped = rel.shipped_view(old, new) if old is not None else None
            changes = rel.changed_partitions(old, new) if old is not None else {}
            out.append(t._replace(against=Against(self.label, old, new, shipped, why, changes)))
        return out


def _release_name(p: Path) -> str:
    """"v1.2.0" for release-v1.2.0.json, build-v1.2.0/ or v1.2.0/: how messages name the release."""
    name = p.name[:-5] if p.is_file() and p.name.endswith(".json") else p.name
    for pre in ("release-", "release_", "build-", "build_"):
        if name.startswith(pre) and len(name) > len(pre):
            name = name[len(pre):]
    return name[:60]


def _board_named_in(app, board: str) -> bool:
    """The release's files name this board (an overlay or fragment for it), though detection missed it."""
    from dfulint import knowledge

    stems = set(knowledge.board_file_stems(board) or []) | {board.replace("/", "_")}
    return any(p.stem in stems or p.stem.endswith(tuple("_" + s for s in stems)) for p in app.files)


def open_release(spec: str, paths: list = ()) -> Release:
    return Release(spec, paths)
