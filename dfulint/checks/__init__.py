"""Rule registry. A rule is a small function `target -> findings`, registered with its code.

Rules never open files: they read the model (dfulint.model.project.Target) only.
"""
from __future__ import annotations

from typing import Callable, Iterable, NamedTuple, Optional

from dfulint.core import Edit, Finding, Severity, Span


class Rule(NamedTuple):
    """One rule: its stable code and name, default severity, one-line summary and check function."""
    code: str
    name: str
    severity: Severity
    summary: str
    func: Callable
    family: str
    fixable: bool = False


RULES: dict[str, Rule] = {}
_BY_NAME: dict[str, str] = {}

FAMILIES = {
    "0": "input errors",
    "1": "partition layout",
    "2": "MCUboot slots and sectors",
    "3": "external flash and NOR",
    "4": "Kconfig hygiene",
    "5": "cross-image consistency",
    "6": "build-system layout",
    "7": "security of the update path",
}


def rule(code: str, name: str, severity: Severity, summary: str, fixable: bool = False):
    """Register a rule function under a stable code and kebab-case name."""

    def deco(func: Callable) -> Callable:
        if code in RULES or name in _BY_NAME:
            raise RuntimeError(f"rule {code}/{name} registered twice")
        RULES[code] = Rule(code, name, severity, summary, func, FAMILIES.get(code[3], "other"), fixable)
        _BY_NAME[name] = code
        return func

    return deco


def hit(span: Span, message: str, *, fix: str = "", image: str = "", anchor: str = "",
        severity: Optional[Severity] = None, related: Iterable[Span] = (), evidence: str = "files",
        edits: Iterable[Edit] = ()) -> Finding:
    """A finding from inside a rule; the engine adds the rule's code, name and default severity."""
    return Finding(code="", message=message, span=span, severity=severity, fix=fix, image=image,
                   anchor=anchor, related=list(related), evidence=evidence, edits=list(edits))


_LOADED = False


def load_all() -> dict[str, Rule]:
    """Import every rule family once (registration happens at import)."""
    global _LOADED
    if not _LOADED:
        from dfulint.checks import (  # noqa: F401
            inputs, layout, slots, ext_chosen, ext_drivers, ext_geometry, ext_devicetree, kconfig, cross,
            buildsys, security)
        _LOADED = True
    return RULES


def resolve(code_or_name: str) -> Optional[str]:
    """A rule code from a code (any case), a name, or a code prefix family like DFU2."""
    load_all()
    key = code_or_name.strip()
    if key.upper() in RULES:
        return key.upper()
    return _BY_NAME.get(key.lower())


def expand(selectors: Iterable[str]) -> tuple[set[str], list[str]]:
    """Codes matched by selectors (codes, names, prefixes like DFU2 or ALL); returns (codes, unknown)."""
    load_all()
    out: set[str] = set()
    unknown = []
    for sel in selectors:
        for part in str(sel).split(","):
            part = part.strip()
            if not part:
                continue
            if part.upper() == "ALL":
                out |= set(RULES)
                continue
            code = resolve(part)
            if code:
                out.add(code)
                continue
            prefix = part.upper()
            matched = {c for c in RULES if c.startswith(prefix)} if prefix.startswith("DFU") else set()
            if matched:
                out |= matched
            else:
                unknown.append(part)
    return out, unknown
