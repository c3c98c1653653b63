"""The verdict per app and board: what happens to a firmware update on this device, in one line.

Derived once, after the findings are final, from MCUboot's slot analysis and the findings shown,
so every report says the same thing and never contradicts a finding:

- ``apply``: updates apply (and the largest image that does);
- ``never``: updates never apply, with the one-line reason;
- ``bricks``: the device is left without a bootable image, always or under a named condition;
- ``build``: the build stops, so there is no image to update;
- ``unknown``: dfulint cannot tell, and says what is missing;
- ``none``: no MCUboot in this build: there is no update path to judge.

An error finding that stops updates always turns the verdict away from ``apply``.
"""
from __future__ import annotations


from dfulint.core import Finding, Severity
from dfulint.records import NamedTuple
from dfulint.units import hx, kib

TYPE_CHECKING = False      # (typing.TYPE_CHECKING without importing typing)
if TYPE_CHECKING:
    from typing import Optional

# What an error of each rule means for an update. Rules not named here: an error stops updates,
# unless it is in the security family (7xx), which judges who may update, not whether it applies.
BRICKS = {"DFU204", "DFU205", "DFU203", "DFU104", "DFU503", "DFU508"}
BUILD = {"DFU010", "DFU108", "DFU301", "DFU309", "DFU313", "DFU314", "DFU317", "DFU320", "DFU401", "DFU404",
         "DFU405", "DFU406", "DFU407", "DFU408", "DFU411"}
INPUT = {"DFU001", "DFU002", "DFU003", "DFU004", "DFU005", "DFU008", "DFU009"}
# warnings that leave the device without a bootable image under a likely condition
BRICKS_IF = {"DFU205", "DFU206", "DFU103", "DFU310", "DFU505"}
# errors about a setting that does not take effect: the model already uses the effective value,
# so what they mean for updates is judged from the slots, not from the finding
NO_UPDATE_IMPACT = {"DFU007", "DFU106", "DFU318", "DFU321", "DFU403", "DFU501", "DFU601", "DFU603", "DFU604"}

KINDS = ("never", "bricks", "build", "unknown", "apply", "none")
LABELS = {"apply": "updates apply", "never": "updates never apply", "bricks": "bricks",
          "build": "build fails", "unknown": "cannot tell", "none": "no update path"}


class Verdict(NamedTuple):
    """One board's verdict: its kind (see KINDS), the one line a person reads, and what it rests on."""
    app: str
    board: str                   # as the SDK in force spells it; "" when no board is known
    kind: str
    text: str                    # "updates never apply: mcuboot_primary has 114 sectors, ..."
    reason: str = ""             # the reason alone (the part after the label)
    code: str = ""               # the rule whose finding decided it, if any
    max_image_size: Optional[int] = None

    @property
    def label(self) -> str:
        return LABELS[self.kind]

    @property
    def ok(self) -> bool:
        return self.kind in ("apply", "none")

    def as_dict(self) -> dict:
        return {"board": self.board or None, "verdict": self.kind, "text": self.text,
                "reason": self.reason or None, "code": self.code or None,
                "max_image_size": self.max_image_size}


def board_name(t) -> str:
    """A board as the SDK in force spells it: the HWMv2 target (nrf52840dk/nrf52840) on NCS 2.7+
    and Zephyr 3.7+, the file-name form (nrf52840dk_nrf52840) before."""
    name = t.board or ""
    ctx = getattr(getattr(t, "app", None), "context", None)
    b = ctx.board(name) if ctx is not None and name else None
    if b is not None:
        return b.build_name        # the context stage's decision, in the naming of the SDK's era
    info = getattr(t, "board_info", None)
    if not name or info is None:
        return name
    try:
        v = tuple(t.sdk.version)
    except (AttributeError, TypeError):
        return name
    hwmv2 = v >= ((3, 7, 0) if t.app.framework == "zephyr" else (2, 7, 0))
    if hwmv2 and "/" not in name and info.target:
        return info.target
    if not hwmv2 and "/" in name and info.name:
        return info.name
    return name


def findings_for(findings: list[Finding], board: Optional[str], single: bool) -> list[Finding]:
    """The findings that hold for one board of an app (those naming no board hold for all)."""
    out = []
    for f in findings:
        bs = f.boards
        if not bs or (board or "") in bs or (single and not board):
            out.append(f)
    return out


def _size(n: Optional[int]) -> str:
    return f"{hx(n)} ({kib(n)})" if isinstance(n, int) and n > 0 else ""


def decide(app_label: str, t, findings: list[Finding]) -> Verdict:
    """The verdict for one board target `t` given the findings shown for it."""
    board = board_name(t) if t is not None else ""

    def v(kind: str, reason: str = "", code: str = "", size: Optional[int] = None, label: str = "") -> Verdict:
        text = (label or LABELS[kind]) + (f": {reason}" if reason else "")
        return Verdict(app_label, board, kind, text, reason, code, size)

    errors = [f for f in findings if f.severity == Severity.ERROR]
    if t is None:
        return v("unknown", "no board found (name one with --board)")
    for f in errors:
        if f.code in INPUT:
            how = "was not read" if f.code in ("DFU001", "DFU008", "DFU009") else "does not parse"
            return v("unknown", f"{f.span.path.name}:{f.span.line} {how} ({f.title})", f.code)
    b = t.boot
    # the device never boots: worst first
    if b is not None and not b.boots:
        f = next((f for f in errors if f.code.startswith("DFU2")), None)
        reason = f.title if f else "no image boots with these slots"
        return v("bricks", reason, f.code if f else "")
    for f in errors:
        if f.code in BRICKS:
            return v("bricks", f.title, f.code)
    for f in errors:
        if f.code in BUILD:
            return v("build", f.title, f.code)
    if b is not None and not b.upgrade_possible:
        f = next((f for f in errors if f.code.startswith("DFU2")), None) or \
            next((f for f in errors if not f.code.startswith("DFU7") and f.code not in NO_UPDATE_IMPACT), None)
        if f is not None:
            return v("never", f.title, f.code)
        r = next((r for r in b.reasons if r.outcome in ("refuses", "bricks")), None)
        from dfulint.core import short_headline
        return v("never", short_headline(r.message) if r else "MCUboot refuses every update with these slots")
    for f in errors:
        if not f.code.startswith("DFU7") and f.code not in NO_UPDATE_IMPACT:
            return v("never", f.title, f.code)
    if not t.mcuboot_enabled:
        return v("none", "MCUboot is not enabled in this build")
    if b is None:
        if "primary" not in t.slots:
            missing = "the MCUboot slots (no mcuboot_primary partition found)"
        elif t.mode is None:
            missing = "MCUboot's upgrade mode"
        else:
            slot = next((p for p in t.slots.values() if p.region not in t.flash.devices), t.slots["primary"])
            missing = f"the flash device of {slot.name}"
            if slot.region != "flash_primary":
                missing += f" ({slot.region.lstrip('&')}: its size and pages are not known)"
        if t.board_info is None and t.board:
            missing += f"; board {t.board} is not in dfulint's tables (give --build-dir)"
        return v("unknown", f"missing {missing}")
    cond = [f for f in findings if f.severity == Severity.WARNING and f.code in BRICKS_IF]
    upgrade_bricks = next((r for r in b.reasons if r.outcome == "bricks"), None)
    size = b.max_image_size
    if cond:
        return v("bricks", cond[0].title, cond[0].code, size, label="bricks under a condition")
    if upgrade_bricks is not None:
        from dfulint.core import short_headline
        return v("bricks", short_headline(upgrade_bricks.message), "", size, label="bricks under a condition")
    return v("apply", f"largest image {_size(size)}" if _size(size) else "", "", size)


def verdicts(app_result, findings: list[Finding], app_label: str) -> list[Verdict]:
    """One verdict per board target of an app."""
    targets = list(app_result.targets)
    if not targets:
        return [decide(app_label, None, findings)]
    single = len(targets) == 1
    return [decide(app_label, t, findings_for(findings, t.board, single)) for t in targets]
