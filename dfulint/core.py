"""Types shared by every stage: where a value was written (Span), what a rule says (Finding)."""
from __future__ import annotations

import enum
from pathlib import Path

from dfulint.records import NamedTuple

TYPE_CHECKING = False      # (typing.TYPE_CHECKING without importing typing)
if TYPE_CHECKING:
    from typing import Any, Optional


class Span(NamedTuple):
    """A place in a file. `path` is absolute; lines and columns are 1-based."""

    path: Path
    line: int = 1
    col: int = 1
    end_line: Optional[int] = None
    end_col: Optional[int] = None

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}"


class Severity(enum.IntEnum):
    INFO = 1
    WARNING = 2
    ERROR = 3

    @classmethod
    def parse(cls, text: str) -> "Severity":
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown severity {text!r} (use error, warning or info)") from None

    @property
    def label(self) -> str:
        return self.name.lower()


class Located(NamedTuple):
    """A value together with the place it was written."""

    value: Any
    span: Span


class Edit(NamedTuple):
    """A text edit for --fix: replace lines [line, end_line] (1-based, inclusive) of path with text.

    `expect` holds the exact current text of those lines; the fixer refuses the edit when the
    file no longer matches, so a fix never touches a file it cannot rewrite exactly.
    An edit with line == 0 creates or appends to the file instead.
    """

    path: Path
    line: int
    end_line: int
    expect: str
    text: str


HEADLINE_LIMIT = 100


def short_headline(text: str, limit: int = HEADLINE_LIMIT) -> str:
    """A headline derived from a long message (the safety net for a finding whose rule gave none):
    its first clause, cut at a word boundary and marked when shortened."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    for sep in ("; ", ": ", " (", ", "):
        cut = text.find(sep, 30)
        if 0 < cut <= limit:
            return text[:cut].rstrip(" ,;:")
    cut = text.rfind(" ", 0, limit - 1)
    return text[:cut if cut > 40 else limit - 1].rstrip(" ,;:") + "…"


def assigned(name: str, value: str, limit: int = 16) -> str:
    """`CONFIG_X=value` for a headline; a long value (a path, a quoted string) is left out."""
    value = str(value)
    return f"{name}={value}" if len(value) <= limit and not value.startswith('"') else name


class Finding:
    """One problem found: rule code, what it is (a headline of at most about 100 characters naming
    the thing and the consequence, and the full explanation), where it is, severity, and the fix.

    Equal only to itself (the engine and reports key findings by identity)."""
    __slots__ = ("code", "message", "span", "severity", "fix", "image", "anchor", "related", "evidence",
                 "edits", "headline", "low_confidence", "name", "app", "board", "suppressed_by", "lines",
                 "lines_from")

    code: str
    message: str             # the full explanation: why, in detail (JSON `explanation`)
    span: Span
    severity: Severity
    fix: str
    image: str               # "app", "mcuboot", "sysbuild", ... or "" when not image-specific
    anchor: str              # logical anchor for fingerprints: partition name, symbol, node path
    related: list[Span]
    evidence: str            # "files", "workspace" or "build": what the finding rests on
    edits: list[Edit]
    headline: str            # the thing and the consequence, <= ~100 characters (text output, titles)
    # filled in by the engine
    low_confidence: bool     # its board is named only by a test scenario: lowered to info (context)
    name: str
    app: Optional[Path]
    board: str
    suppressed_by: Optional[Span]
    # the text of the lines around `span` (numbers lines_from, lines_from + 1, ...), read once by the
    # engine so that reports show a code frame without reading the file; () when it cannot be read
    lines: tuple
    lines_from: int

    def __init__(self, code: str, message: str, span: Span, severity: Severity, fix: str = "",
                 image: str = "", anchor: str = "", related: Optional[list] = None, evidence: str = "files",
                 edits: Optional[list] = None, headline: str = "", low_confidence: bool = False, name: str = "",
                 app: Optional[Path] = None, board: str = "", suppressed_by: Optional[Span] = None,
                 lines: tuple = (), lines_from: int = 0) -> None:
        self.code = code
        self.message = message
        self.span = span
        self.severity = severity
        self.fix = fix
        self.image = image
        self.anchor = anchor
        self.related = [] if related is None else related
        self.evidence = evidence
        self.edits = [] if edits is None else edits
        self.headline = headline
        self.low_confidence = low_confidence
        self.name = name
        self.app = app
        self.board = board
        self.suppressed_by = suppressed_by
        self.lines = lines
        self.lines_from = lines_from

    def __repr__(self) -> str:
        return (f"Finding({self.code!r}, {self.title!r}, {self.span!r}, {self.severity!r}, "
                f"board={self.board!r}, image={self.image!r})")

    @property
    def title(self) -> str:
        """The headline, or one derived from the message when the rule gave none."""
        return self.headline or short_headline(self.message)

    @property
    def explanation(self) -> str:
        return self.message

    @property
    def boards(self) -> list[str]:
        """Every board the finding holds for (the engine joins them into `board`)."""
        return [b.strip() for b in self.board.split(",") if b.strip()] if self.board else []


_UNSAFE = None


def printable(text: str) -> str:
    """`text` safe to show on a terminal or in a CI log: control characters (ESC, CR, BEL, ... except
    newline and tab), Unicode direction overrides and the undecodable bytes of a file name are
    written as escapes (`\\x1b`, `\\u202e`, `\\xff`), so a project's files can neither recolour,
    rewrite nor hide dfulint's output."""
    global _UNSAFE
    if text is None or text.isprintable() or not isinstance(text, str):
        return text
    if _UNSAFE is None:
        import re
        _UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e"
                             "\u2066-\u2069\ud800-\udfff]")

    def esc(m) -> str:
        c = m.group(0)
        o = ord(c)
        if 0xDC80 <= o <= 0xDCFF:          # a byte of a file name that is not UTF-8
            return f"\\x{o - 0xDC00:02x}"
        return f"\\x{o:02x}" if o < 0x100 else f"\\u{o:04x}"
    return _UNSAFE.sub(esc, text)
