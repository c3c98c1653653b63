"""The context stage: for each app, which boards to check, which SDK (NCS or upstream Zephyr, and
version), which build system, and the file names each board's build reads; every decision with
its evidence (file and line) and a confidence:

* **given**: the user said so (`--board`, `--sdk-version`, the configuration file);
* **strong**: a build directory, a west manifest or workspace, board-specific files of the app,
  a custom board in the repository, `set(BOARD ...)` in CMakeLists.txt;
* **weak**: a board named only by a test-scenario file (`sample.yaml`), a version read off the
  files' conventions.

It runs before any image is modelled; the model and the rules read it and never guess on their own.
`resolve()` is the entry point (called by `workspace.describe_app`).
"""
from __future__ import annotations

from pathlib import Path

from dfulint.records import NamedTuple

TYPE_CHECKING = False      # (typing.TYPE_CHECKING without importing typing)
if TYPE_CHECKING:
    from typing import Optional

GIVEN, STRONG, WEAK = "given", "strong", "weak"
RANK = {GIVEN: 3, STRONG: 2, WEAK: 1}


class Evidence(NamedTuple):
    """Where a decision comes from: a file and line (None for a command-line option or the
    environment), and what was read there."""
    path: Optional[Path]
    line: int
    text: str

    def render(self, root: Optional[Path] = None) -> str:
        if self.path is None:
            return self.text
        where = None
        if root is not None:
            try:
                where = str(self.path.relative_to(root))
            except ValueError:
                pass
        if where is None:
            from dfulint.report import display_path
            where = display_path(self.path)
        return f"{where}:{self.line}" if self.line > 1 else where


class BoardContext(NamedTuple):
    """One board to check."""
    name: str                 # the model's name for it: a spelling dfulint's tables know, or the custom board's
    build_name: str           # as the build names it in this era: `bl653_dvk` (HWMv1), `bl653_dvk/nrf52833`
    confidence: str
    evidence: tuple           # Evidence, strongest first
    stems: tuple              # board-specific file stems the build looks for, most specific first
    known: bool               # dfulint's tables know the board
    custom: bool              # defined in the repository
    note: str = ""            # what was assumed (unknown board, low confidence)
    foreign: bool = False     # the app's own files rule it out (its flash cannot hold the app's pm_static.yml)

    def why(self, root: Optional[Path] = None, limit: int = 2, more: bool = True) -> str:
        ev = [e.render(root) for e in self.evidence[:limit]]
        rest = len(self.evidence) - limit
        return ", ".join(ev) + (f" +{rest} more" if rest > 0 and more else "")


class AppContext(NamedTuple):
    """Everything the context stage decided for one app."""
    root: Path
    framework: str
    framework_confidence: str
    framework_evidence: tuple
    sdk: object               # sdk.SdkVersion
    sdk_confidence: str
    sdk_evidence: tuple
    era: str                  # naming.HWMV1 / HWMV2 / EITHER
    build_system: str
    build_system_source: str
    build_system_confidence: str
    boards: tuple             # BoardContext, in checking order (strongest first)
    notes: tuple = ()         # what the context stage could not decide, said once per app
    framework_detail: str = ""

    def board(self, name: Optional[str]) -> Optional[BoardContext]:
        for b in self.boards:
            if b.name == name:
                return b
        return None

    @property
    def best_confidence(self) -> Optional[str]:
        return max((b.confidence for b in self.boards), key=RANK.get, default=None)

    def low_confidence(self, name: Optional[str]) -> bool:
        """A board checked only because a test-scenario file names it, while a better board exists:
        its findings are capped at info."""
        b = self.board(name)
        if b is None:
            return False
        if b.foreign:
            return any(not x.foreign for x in self.boards)
        return b.confidence == WEAK and self.best_confidence != WEAK

    def sdk_text(self) -> str:
        fw = "NCS" if self.framework == "ncs" else "Zephyr"
        if self.sdk.exact:
            v = ".".join(map(str, self.sdk.version))
        else:
            low, high = self.sdk.range
            v = f"{low[0]}.{low[1]}-{high[0]}.{high[1]}" if high[0] < 99 else f"{low[0]}.{low[1]}+"
            v = f"{v}?"
        return f"{fw} {v}"

    def sdk_why(self) -> str:
        if self.sdk_evidence:
            return self.sdk_evidence[0].render(self.root) + (
                f": {self.sdk_evidence[0].text}" if self.sdk_evidence[0].path is not None else "")
        return self.sdk.source

    def summary(self, board: Optional[str]) -> str:
        """One line for a report header: `board bl653_dvk (boards/bl653_dvk.overlay), NCS 1.9.1
        (west.yml:7: sdk-nrf v1.9.1), child-image`."""
        parts = []
        b = self.board(board)
        if b is not None:
            conf = "" if b.confidence in (GIVEN, STRONG) else ", weak"
            parts.append(f"board {b.build_name} ({b.why(self.root, 1, more=False)}{conf})")
        elif board:
            parts.append(f"board {board}")
        else:
            parts.append("no board (pass --board NAME, or `boards` in the configuration file)")
        parts.append(self.sdk_summary())
        return ", ".join(parts)

    def sdk_summary(self) -> str:
        """`NCS 1.9.99 (west.yml:9: sdk-nrf v1.9.99-dev1), child-image`."""
        conf = "" if self.sdk_confidence in (GIVEN, STRONG) else ", weak"
        return f"{self.sdk_text()} ({self.sdk_why()}{conf}), {self.build_system.replace('_', '-')}"

    def to_dict(self) -> dict:
        """Structured fields for JSON and SARIF."""
        def ev(e: Evidence) -> dict:
            where = e.render(self.root).rsplit(":", 1)[0] if e.line > 1 else e.render(self.root)
            return {"path": where if e.path is not None else None,
                    "line": e.line if e.path is not None else None, "text": e.text}
        return {
            "sdk": {"framework": self.framework, "version": ".".join(map(str, self.sdk.version)),
                    "exact": self.sdk.exact,
                    "range": [".".join(map(str, v)) for v in self.sdk.range],
                    "confidence": self.sdk_confidence, "source": self.sdk.source,
                    "evidence": [ev(e) for e in self.sdk_evidence]},
            "framework": {"name": self.framework, "confidence": self.framework_confidence,
                          "evidence": [ev(e) for e in self.framework_evidence]},
            "naming_era": self.era,
            "build_system": {"name": self.build_system, "source": self.build_system_source,
                             "confidence": self.build_system_confidence},
            "boards": [{"name": b.name, "build_name": b.build_name, "confidence": b.confidence,
                        "known": b.known, "custom": b.custom, "file_stems": list(b.stems),
                        "evidence": [ev(e) for e in b.evidence], "note": b.note or None,
                        "low_confidence": self.low_confidence(b.name)}
                       for b in self.boards],
            "notes": list(self.notes),
        }


def resolve(root: Path, files: list, boards=(), sdk_version: Optional[str] = None,
            build_dir: Optional[Path] = None, top: Optional[Path] = None, **kw):
    from dfulint.context.stage import resolve_app
    return resolve_app(root, files, boards, sdk_version, build_dir, top, **kw)
