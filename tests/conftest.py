import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _fresh_file_caches():
    """Each test reads its files afresh (dfulint parses every file once per run)."""
    from dfulint.sources import clear_caches

    clear_caches()
    yield
