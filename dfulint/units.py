"""How dfulint writes addresses and sizes in messages: hex first, then a human unit."""
from __future__ import annotations

TYPE_CHECKING = False      # (typing.TYPE_CHECKING without importing typing)
if TYPE_CHECKING:
    from typing import Optional


def kib(n: int) -> str:
    """456 KiB, or 0.5 KiB for sizes that are not whole KiB."""
    if n % 1024 == 0:
        return f"{n // 1024} KiB"
    return f"{n / 1024:.1f} KiB"


def hx(n) -> str:
    """0x72000; '-' when there is no number."""
    if not isinstance(n, int):
        return "-"
    return f"0x{n:x}" if n >= 0 else f"-0x{-n:x}"


def sz(n: Optional[int]) -> str:
    """0x72000 (456 KiB); whole MiB as MiB; '?' when unknown."""
    if n is None:
        return "?"
    if n < 0:
        return f"-{sz(-n)}"
    if n >= 1 << 20 and n % (1 << 20) == 0:
        return f"0x{n:x} ({n >> 20} MiB)"
    return f"0x{n:x} ({kib(n)})"
