"""Rule pages (rules/DFUxxx-name.md): the one text behind `dfulint rule`, HTML and SARIF help."""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

TYPE_CHECKING = False      # (typing.TYPE_CHECKING without importing typing)
if TYPE_CHECKING:
    from typing import Optional

DOCS_URL = "https://github.com/dfulint/dfulint/blob/main/rules/"


def rules_dir() -> Optional[Path]:
    here = Path(__file__).resolve().parent
    for cand in (here / "_rules", here.parent / "rules"):
        if cand.is_dir():
            return cand
    return None


@lru_cache(maxsize=None)
def _index() -> dict[str, Path]:
    d = rules_dir()
    out = {}
    if d is None:
        return out
    for p in d.glob("DFU*.md"):
        out[p.name.split("-", 1)[0]] = p
    return out


def page_path(code: str) -> Optional[Path]:
    return _index().get(code)


def page(code: str) -> Optional[str]:
    p = page_path(code)
    return p.read_text(encoding="utf-8") if p else None


def url(code: str) -> str:
    p = page_path(code)
    return DOCS_URL + (p.name if p else f"{code}.md")


def section(code: str, heading: str) -> str:
    """The text under `## heading` in the rule's page ('' when absent)."""
    text = page(code) or ""
    m = re.search(rf"^##\s+{re.escape(heading)}\s*$(.*?)(?=^##\s|\Z)", text, re.M | re.S)
    return m.group(1).strip() if m else ""
