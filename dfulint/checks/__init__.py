"""Rule registry. A rule is a small function `target -> findings`, registered with its metadata:
stable code and name, default severity, summary, and where it applies (frameworks, build systems,
NCS versions, and the facts a target must have). The engine runs a rule only where it applies.

Rules never open files: they read the model (dfulint.model.project.Target) only.
"""
from __future__ import annotations


from dfulint.core import Edit, Finding, Severity, Span
from dfulint.records import NamedTuple

TYPE_CHECKING = False      # (typing.TYPE_CHECKING without importing typing)
if TYPE_CHECKING:
    from typing import Callable, Iterable, Optional


Version = tuple[int, int, int]

#: Facts a rule may require of a target, by name (see Applies.needs).
NEEDS: dict[str, Callable] = {
    # NCS with Partition Manager on (not turned off by sysbuild, supported by the SoC)
    "partition-manager": lambda t: t.uses_pm,
    # an application core: a network-core target has no MCUboot of its own (the application core's
    # build decides its updates)
    "app-core": lambda t: "cpunet" not in (getattr(t.soc, "name", "") or ""),
    "mcuboot": lambda t: t.mcuboot_enabled,
    "pm-static": lambda t: t.pm_static is not None,
    "sysbuild": lambda t: t.sysbuild is not None and t.sysbuild.config is not None,
}


def _v(v) -> Optional[Version]:
    if v is None:
        return None
    v = tuple(v)
    return v + (0,) * (3 - len(v))


class Applies(NamedTuple):
    """Where a rule applies. Empty fields mean "everywhere".

    `ncs` is a half-open range [since, before) of NCS versions: the rule is skipped for an NCS
    target only when every version the project may be on (`SdkVersion.range`) lies outside it, so a
    rule whose version matters and is uncertain still runs and says so itself. Plain Zephyr targets
    are not judged by `ncs`."""

    frameworks: tuple = ()           # "ncs", "zephyr"
    build_systems: tuple = ()        # "child_image", "sysbuild", "zephyr"
    ncs: tuple = (None, None)        # (since, before), e.g. ((2, 7), None)
    needs: tuple = ()                # names in NEEDS

    def matches(self, t) -> bool:
        framework = t.app.framework
        if self.frameworks and framework not in self.frameworks:
            return False
        if self.build_systems and t.build_system not in self.build_systems:
            return False
        since, before = _v(self.ncs[0]), _v(self.ncs[1])
        if framework == "ncs" and (since or before):
            low, high = t.sdk.range
            if since and high < since:
                return False
            if before and low >= before:
                return False
        return all(NEEDS[n](t) for n in self.needs)

    def describe(self) -> str:
        """Short text: "NCS 2.7+ · sysbuild · needs mcuboot"."""
        parts = []
        since, before = self.ncs
        fw = "/".join(self.frameworks) if self.frameworks else "NCS/Zephyr"
        if since or before:
            s = ".".join(map(str, since)) + "+" if since else ""
            b = "before " + ".".join(map(str, before)) if before else ""
            parts.append(f"NCS {s}{' ' if s and b else ''}{b}")
        else:
            parts.append(fw.replace("ncs", "NCS").replace("zephyr", "Zephyr"))
        if self.build_systems:
            parts.append(", ".join(self.build_systems))
        if self.needs:
            parts.append("needs " + ", ".join(self.needs))
        return " · ".join(parts)


EVERYWHERE = Applies()


class Rule(NamedTuple):
    """One rule: its stable code and name, default severity, one-line summary, check function, and
    where it applies."""
    code: str
    name: str
    severity: Severity
    summary: str
    func: Callable
    family: str
    fixable: bool = False
    applies: Applies = EVERYWHERE
    levels: tuple = ()            # every severity a finding may carry, by evidence (default first)
    posture: bool = False         # security posture: the profile decides the severity (see PROFILES)
    release: tuple = ()           # posture rules: the severities under the release profile

    def severities(self, profile: str = "development") -> tuple:
        """The severities this rule's findings may carry under a profile, default first."""
        if self.posture and profile == "release":
            return self.release
        return self.levels


# Profiles: what the findings of posture rules weigh. "development" (the default) reports how open
# the update path is as information, since every sample is written that way; "release" makes the
# same findings errors (the ones resting on a weaker fact warnings), because shipping them is a
# real vulnerability. Every other rule has the same severity in both.
PROFILES = ("development", "release")


def severity_of(r: "Rule", requested: Optional[Severity], profile: str) -> Severity:
    """The severity of one finding of rule r: the rule's default, or the level the finding asks
    for by its evidence, put through the profile for posture rules."""
    if r.posture:
        if profile != "release":
            return r.levels[0]
        return requested if requested in r.release else r.release[0]
    return requested if requested is not None else r.severity


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
    "8": "release compatibility",
    "9": "update chain and boot",
}


def rule(code: str, name: str, severity: Severity, summary: str, fixable: bool = False, *,
         frameworks: tuple = (), build_systems: tuple = (), ncs: tuple = (None, None), needs: tuple = (),
         levels: Iterable[Severity] = (), posture: bool = False, release: Iterable[Severity] = ()):
    """Register a rule function under a stable code and kebab-case name, with where it applies.

    `severity` is the rule's default; `levels` adds every other severity a finding may carry
    because of its evidence (stronger when a build directory confirms it, weaker when it rests on
    a guessed version), never because unrelated facts add up. A `posture` rule (how open the
    update path is) reports `info` in the development profile and `release` (default: error)
    in the release profile."""
    all_levels = tuple(dict.fromkeys((severity, *levels)))
    rel = tuple(dict.fromkeys(release)) or ((Severity.ERROR,) if posture else ())
    if posture and severity != Severity.INFO:
        raise RuntimeError(f"posture rule {code} must default to info")
    unknown = [n for n in needs if n not in NEEDS]
    if unknown:
        raise RuntimeError(f"rule {code}: unknown needs {unknown}")
    applies = Applies(tuple(frameworks), tuple(build_systems), tuple(ncs), tuple(needs))

    def deco(func: Callable) -> Callable:
        if code in RULES or name in _BY_NAME:
            raise RuntimeError(f"rule {code}/{name} registered twice")
        if func.__name__ != name.replace("-", "_"):
            raise RuntimeError(f"rule {code}: function {func.__name__} is not named after {name}")
        RULES[code] = Rule(code, name, severity, summary, func, FAMILIES.get(code[3], "other"), fixable,
                           applies, all_levels, posture, rel)
        _BY_NAME[name] = code
        return func

    return deco


def hit(span: Span, message: str, *, headline: str = "", fix: str = "", image: str = "", anchor: str = "",
        severity: Optional[Severity] = None, related: Iterable[Span] = (), evidence: str = "files",
        edits: Iterable[Edit] = ()) -> Finding:
    """A finding from inside a rule; the engine adds the rule's code, name and default severity.

    `headline` names the thing and the consequence in at most about 100 characters ("mcuboot_primary
    has 114 sectors, mcuboot_secondary 57: swap-move refuses every update"); `message` explains it in
    full; `fix` says what to change. A finding without a headline gets one cut from its message."""
    return Finding(code="", message=message, span=span, severity=severity, fix=fix, image=image,
                   anchor=anchor, related=list(related), evidence=evidence, edits=list(edits),
                   headline=" ".join(headline.split()))


_LOADED = False


def load_all() -> dict[str, Rule]:
    """Import every rule family once (registration happens at import)."""
    global _LOADED
    if not _LOADED:
        from dfulint.checks import (  # noqa: F401
            inputs, layout, slots, ext_chosen, ext_drivers, ext_geometry, ext_devicetree, kconfig, cross,
            buildsys, security, release, chain)
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
