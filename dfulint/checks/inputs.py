"""0xx: files dfulint (and the build) cannot read as they are."""
from __future__ import annotations

from dfulint.checks import hit, rule
from dfulint.core import short_headline


def _head(p, what: str) -> str:
    """'pm_static.yml does not parse: <the parser's words>' in about 100 characters."""
    lead = f"{p.span.path.name} {what}: "
    return lead + short_headline(p.message, max(40, 100 - len(lead)))
from dfulint.core import Severity

_READ_KINDS = {"unreadable", "binary", "too-large", "encoding"}


def _problems(t):
    for frag in t.files.fragments:
        for p in frag.problems:
            yield p
    for pm in t.files.pm:
        for p in pm.problems:
            yield p
    for d in t.files.dts:
        for p in d.problems:
            yield p
    yield from t.problems


@rule("DFU001", "unreadable-file", Severity.ERROR,
      "A configuration file cannot be read as UTF-8 text")
def unreadable_file(t):
    for p in _problems(t):
        if p.kind in _READ_KINDS:
            yield hit(p.span, p.message, fix=p.fix, anchor=p.span.path.name, headline=_head(p, "cannot be read"))


@rule("DFU002", "yaml-syntax", Severity.ERROR,
      "A Partition Manager YAML file does not parse or has the wrong structure")
def yaml_syntax(t):
    for pm in list(t.files.pm) + ([t.pm_static] if t.pm_static and t.pm_static not in t.files.pm else []):
        for p in pm.problems:
            if p.kind in ("syntax", "structure"):
                yield hit(p.span, p.message, fix=p.fix, anchor=p.span.path.name, headline=_head(p, "does not parse"))
    for p in t.problems:
        if p.kind in ("syntax", "structure") and p.span.path.suffix in (".yml", ".yaml"):
            yield hit(p.span, p.message, fix=p.fix, anchor=p.span.path.name, headline=_head(p, "does not parse"))


@rule("DFU003", "dts-syntax", Severity.ERROR,
      "A devicetree overlay or board file has a syntax error")
def dts_syntax(t):
    seen = set()
    files = list(t.files.dts)
    for img in t.images.values():
        files += img.dts_files
    for d in files:
        for p in d.problems:
            if p.kind == "syntax" and (p.span.path, p.span.line) not in seen:
                seen.add((p.span.path, p.span.line))
                yield hit(p.span, p.message, fix=p.fix or "fix the devicetree syntax at this line",
                          anchor=p.span.path.name, headline=_head(p, "has a syntax error"))


@rule("DFU004", "pm-duplicate-key", Severity.ERROR,
      "A partition or key is written twice in a Partition Manager file; YAML keeps only the last")
def pm_duplicate_key(t):
    for pm in t.files.pm:
        for p in pm.problems:
            if p.kind == "duplicate-key":
                yield hit(p.span, p.message, fix=p.fix, anchor=p.message.split("'")[1],
                          headline=_head(p, "has a duplicate key, YAML keeps the last"))


@rule("DFU005", "pm-value-not-integer", Severity.ERROR,
      "An address or size in a Partition Manager file is not a YAML integer")
def pm_value_not_integer(t):
    for pm in t.files.pm:
        for p in pm.problems:
            if p.kind == "not-an-integer":
                yield hit(p.span, p.message, fix=p.fix, anchor=p.message.split(":")[0].strip("'"),
                          headline=_head(p, "has a value that is not an integer"))


@rule("DFU006", "dts-include-problem", Severity.WARNING,
      "A quoted #include in a devicetree file cannot be found or leaves the project",
      levels=(Severity.ERROR,))
def dts_include_problem(t):
    for d in t.files.dts:
        for p in d.problems:
            if p.kind in ("include-missing", "include-outside", "too-deep"):
                sev = Severity.ERROR if p.kind == "include-missing" else Severity.WARNING
                yield hit(p.span, p.message, fix=p.fix or "fix the include path", severity=sev,
                          anchor=p.span.path.name, headline=_head(p, "include problem"))


@rule("DFU007", "unused-suppression", Severity.INFO,
      "A `dfulint: ignore[...]` comment suppresses nothing, or names an unknown rule", fixable=True)
def unused_suppression(t):
    """Reported by the engine once every rule has run (dfulint.suppressions.apply), over the
    directives and the findings of every rule; as a predicate over one target it finds nothing."""
    return ()


def _once(t, kinds):
    seen = set()
    for p in _problems(t):
        if p.kind in kinds and (p.span.path, p.kind, p.span.line) not in seen:
            seen.add((p.span.path, p.kind, p.span.line))
            yield p


@rule("DFU008", "file-outside-project", Severity.WARNING,
      "A file the build reads is a symlink or path leading outside the project; dfulint does not read it")
def file_outside_project(t):
    for p in _once(t, ("outside-project",)):
        yield hit(p.span, p.message, fix=p.fix, anchor=p.span.path.name,
                  headline=_head(p, "is outside the project, not read"))


@rule("DFU009", "not-a-regular-file", Severity.ERROR,
      "A file the build reads is a FIFO, device or socket instead of a regular file")
def not_a_regular_file(t):
    for p in _once(t, ("not-regular",)):
        yield hit(p.span, p.message, fix=p.fix, anchor=p.span.path.name, headline=_head(p, "is not a regular file"))


@rule("DFU010", "value-out-of-range", Severity.ERROR,
      "A number the build sizes a table or alignment with is negative")
def value_out_of_range(t):
    for p in _once(t, ("out-of-range",)):
        yield hit(p.span, p.message, fix=p.fix, image="mcuboot", anchor=p.message.split("=")[0],
                  headline=f"{p.message.split(':')[0][:60]}: a negative value, MCUboot does not compile")
