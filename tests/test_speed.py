"""What keeps dfulint fast and small, as behaviour: nothing of dfulint's own goes to the user's
cache, in-process caches drop their least recently used entries instead of everything."""
from pathlib import Path

from dfulint.model import kconfig as km
from dfulint.sources.kconf import parse_fragment

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "fixtures" / "seed_bl653_dvk"


def test_checking_an_app_writes_nothing_to_the_cache(tmp_path, monkeypatch):
    from dfulint import engine

    cache = tmp_path / "cache"
    monkeypatch.setenv("DFULINT_CACHE_DIR", str(cache))
    km._TREES.clear()
    km._BY_TEXT.clear()
    result = engine.run([SEED], engine.Options())
    assert result.apps and result.findings
    assert not cache.exists() or not any(cache.rglob("*"))


def test_generated_trees_are_kept_least_recently_used_first(tmp_path, monkeypatch):
    conf = tmp_path / "prj.conf"
    conf.write_text("CONFIG_BOOTLOADER_MCUBOOT=y\nCONFIG_MCUMGR=y\n")
    frag = parse_fragment(conf)
    monkeypatch.setattr(km, "_MAX_TREES", 3)
    km._TREES.clear()
    km._BY_TEXT.clear()
    built = []
    real = km._build_tree
    monkeypatch.setattr(km, "_build_tree", lambda *a: built.append(a[1]) or real(*a))

    def ev(minor):
        from dfulint.sources import clear_caches

        clear_caches()
        return km.evaluate([frag], "app", (2, minor, 0), "nrf52", facts={"soc": "nrf52840"})

    first = ev(4).get("BOOTLOADER_MCUBOOT").value
    for minor in (5, 6, 4, 7):          # 2.4 used again just before the bound is reached
        ev(minor)
    assert len(km._TREES) == 3 and len(built) == 4
    ev(4)                               # still there: it was not the least recently used
    assert len(built) == 4
    ev(5)                               # 2.5 was: built again
    assert len(built) == 5 and built[-1] == (2, 5, 0)
    assert ev(4).get("BOOTLOADER_MCUBOOT").value == first == "y"
    assert len(km._BY_TEXT) <= 3
