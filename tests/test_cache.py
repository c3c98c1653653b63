"""dfulint's cache (the west workspace's symbols): a bad entry is never fatal."""
import os

import pytest

from dfulint import cache
from dfulint.model import kconfig as km
from dfulint.sources.kconf import parse_fragment

NRF52840 = {"soc": "nrf52840", "board": "nrf52840dk_nrf52840"}
FRAGMENT = """\
CONFIG_BOOTLOADER_MCUBOOT=y
CONFIG_MCUMGR=y
CONFIG_BOOT_MAX_IMG_SECTORS=abc
CONFIG_MCUBOOT_IMG_MANAGER=y
CONFIG_MCUMGR_TRANSPORT_BT=y
CONFIG_BT=n
CONFIG_NOT_A_REAL_SYMBOL=y
"""


@pytest.fixture
def cdir(tmp_path, monkeypatch):
    d = tmp_path / "cache"
    _evaluate.path = tmp_path / "prj.conf"
    _evaluate.path.write_text(FRAGMENT)
    monkeypatch.setenv("DFULINT_CACHE_DIR", str(d))
    _forget()
    yield d
    _forget()


def _forget():
    """What a new process starts without: parsed trees, and this run's files and evaluations."""
    from dfulint.sources import clear_caches

    km._TREES.clear()
    km._BY_TEXT.clear()
    clear_caches()


def _summary(cfg):
    return ({n: cfg.get(n).value for n in ("BOOTLOADER_MCUBOOT", "MCUMGR", "MCUBOOT_IMG_MANAGER",
                                           "BOOT_MAX_IMG_SECTORS", "IMG_MANAGER")},
            sorted((d.assignment.symbol, d.reason, d.detail) for d in cfg.dropped),
            sorted(getattr(a, "symbol", "") for a in cfg.unknown))


def _evaluate():
    frag = parse_fragment(_evaluate.path)
    return km.evaluate([frag], "app", (2, 6, 0), "nrf52", facts=NRF52840)


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
def test_an_entry_others_can_write_is_not_loaded(cdir, monkeypatch):
    cache.store("probe", "k", {"x": 1})
    path = cdir / "probe" / "k.json"
    assert cache.load("probe", "k") == {"x": 1}
    os.chmod(path, 0o666)
    assert cache.load("probe", "k") is None
    os.chmod(path, 0o600)
    assert cache.load("probe", "k") == {"x": 1}


def test_the_cache_can_be_switched_off(cdir, monkeypatch):
    monkeypatch.setenv("DFULINT_CACHE_DIR", "")
    assert cache.cache_dir() is None
    cache.store("probe", "k", 1)
    assert cache.load("probe", "k") is None
    assert cache.cached("probe", "k", lambda: 7) == 7
    _forget()
    assert _summary(_evaluate())[0]["MCUMGR"] == "y"


def test_keys_change_with_their_inputs(tmp_path):
    a = tmp_path / "a"
    a.write_text("one")
    f1 = cache.file_fingerprint([a])
    a.write_text("two")
    assert cache.file_fingerprint([a]) != f1
    assert cache.key_of("app", (2, 6, 0)) != cache.key_of("app", (2, 7, 0))
    assert cache.key_of("app", (2, 6, 0)) == cache.key_of("app", (2, 6, 0))


def test_the_cache_keeps_a_bounded_number_of_entries(cdir, monkeypatch):
    import time

    monkeypatch.setattr(cache, "_MAX_ENTRIES", 10)
    for i in range(10):
        cache.store("probe", f"k{i}", i)
        os.utime(cdir / "probe" / f"k{i}.json", (1000 + i, 1000 + i))   # k0 is the oldest
    assert cache.load("probe", "k0") == 0                                  # ... but just used
    time.sleep(0.01)
    cache.store("probe", "k10", 10)                                        # one too many: prune
    kept = {p.stem for p in (cdir / "probe").glob("*.json")}
    assert len(kept) <= 10
    assert {"k0", "k10", "k9"} <= kept and "k1" not in kept               # least recently used went first
    for i in range(11, 40):
        cache.store("probe", f"k{i}", i)
    assert len(list((cdir / "probe").glob("*.json"))) <= 10


def test_an_unusable_cache_folder_costs_speed_not_correctness(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    monkeypatch.setenv("DFULINT_CACHE_DIR", str(blocker))
    _evaluate.path = tmp_path / "prj.conf"
    _evaluate.path.write_text(FRAGMENT)
    _forget()
    cache.store("probe", "k", 1)                       # nothing raised
    assert cache.load("probe", "k") is None
    assert _summary(_evaluate())[0]["MCUMGR"] == "y"
    assert blocker.read_text().startswith("a file")
