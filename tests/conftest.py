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


@pytest.fixture(autouse=True, scope="session")
def _own_cache_dir(tmp_path_factory):
    """dfulint's cache lives in a folder of this test session (subprocesses inherit it)."""
    import os

    old = os.environ.get("DFULINT_CACHE_DIR")
    os.environ["DFULINT_CACHE_DIR"] = str(tmp_path_factory.mktemp("dfulint-cache"))
    yield
    if old is None:
        os.environ.pop("DFULINT_CACHE_DIR", None)
    else:
        os.environ["DFULINT_CACHE_DIR"] = old
