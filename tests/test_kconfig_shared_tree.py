"""One parsed Kconfig tree per image and SDK version, shared by every board (the board's facts are
symbol values set before each load), evaluates every fragment exactly as a tree generated for the
board's own facts: same values, provenance notes, dropped assignments and their explanations."""
from pathlib import Path

import pytest

from dfulint.model import kconfig as km
from dfulint.sources import clear_caches
from dfulint.sources.kconf import parse_fragment

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"

# boards whose facts differ in every way a catalogue expression can ask: SoC series and part,
# Thingy/dongle boards, non-secure targets, external flash, Partition Manager, MCUboot's own
# configuration, and unknown facts (no SoC at all)
BOARDS = [
    {"soc": "nrf52840", "board": "nrf52840dongle_nrf52840", "partition_manager": True},
    {"soc": "nrf5340_cpuapp", "board": "thingy53_nrf5340_cpuapp", "partition_manager": True,
     "dt_has_qspi_nor": True, "dt_chosen_pm_ext_flash": True},
    {"soc": "nrf9160", "board": "thingy91_nrf9160_ns", "partition_manager": None, "mcuboot_own_config": False},
    {"soc": "nrf54l15_cpuapp", "board": "nrf54l15dk/nrf54l15/cpuapp", "partition_manager": False,
     "dt_has_spi_nor": None, "has_scratch_partition": None},
    {"board": "custom_board"},
]
SDKS = [(1, 9, 1), (2, 6, 0), (3, 0, 0)]


def _fragments(image: str, n: int) -> list:
    if image == "mcuboot":
        paths = [p for p in FIXTURES.rglob("*.conf") if "mcuboot" in p.name or p.parent.name == "mcuboot"]
    elif image == "sysbuild":
        paths = list(FIXTURES.rglob("sysbuild.conf"))
    else:
        paths = list(FIXTURES.rglob("prj.conf"))
    paths.sort()
    step = max(1, len(paths) // n)
    prefix = "SB_CONFIG_" if image == "sysbuild" else "CONFIG_"
    return [parse_fragment(p, prefix) for p in paths[::step][:n]]


def _shown(cfg) -> tuple:
    def a(x):
        return (getattr(x, "symbol", None), getattr(x, "raw", None), bool(getattr(x, "unset", False)))

    values = sorted((n, repr(v.value), v.origin, v.note, tuple(a(x) for x in v.assignments))
                    for n, v in cfg._values.items())
    return (values, [(a(d.assignment), d.reason, d.detail) for d in cfg.dropped],
            [(a(x), st, detail) for x, st, detail in cfg.undefined], [a(x) for x in cfg.unknown], list(cfg.notes))


def _evaluate_all(frags: dict) -> list:
    for cache in (km._TREES, km._BY_TEXT, km._SHARED, km._META):
        cache.clear()
    out = []
    for image, fs in frags.items():
        for sdk in SDKS:
            for facts in BOARDS:
                for f in fs:
                    clear_caches()
                    out.append(((image, sdk, tuple(sorted(facts.items())), str(f.path)),
                                _shown(km.evaluate([f], image, sdk, facts=facts))))
    return out


def test_shared_tree_evaluates_like_a_tree_per_board(monkeypatch):
    frags = {image: _fragments(image, n) for image, n in (("app", 12), ("mcuboot", 8), ("sysbuild", 6))}
    assert all(frags.values())
    shared = _evaluate_all(frags)
    assert km._SHARED and all(t is not None for t, *_ in km._SHARED.values())
    assert len(km._BY_TEXT) <= 3 * len(SDKS)         # one parse per image and version, not per board
    monkeypatch.setattr(km, "_shared_tree", lambda image, sdk: (None, (), {}, frozenset()))
    per_board = _evaluate_all(frags)
    assert len(km._BY_TEXT) > 3 * len(SDKS)
    for (key, got), (_, want) in zip(shared, per_board):
        assert got == want, key
    assert len(shared) == len(per_board) > 300


def test_fact_symbols_are_not_catalogue_symbols():
    # a fragment cannot name the symbols that carry a board's facts: they are not in the catalogue
    # and never reported as values of the image
    t, used, _, _ = km._shared_tree("mcuboot", (2, 6, 0))
    assert t is not None and "SOC_SERIES_NRF53" in used and "BOARD_THINGY53" in used
    assert all(name.startswith(km._FACT_SYM) for name, _, _ in t.fact_syms)
    clear_caches()
    cfg = km.evaluate([], "mcuboot", (2, 6, 0), facts={"soc": "nrf5340_cpuapp", "board": "thingy53_nrf5340_cpuapp"})
    assert not any(n.startswith(km._FACT_SYM) for n in cfg.values)
    assert cfg.get("BOOT_UPGRADE_ONLY").value == "y"      # MCUboot's Thingy:53 board fragment
    clear_caches()
    cfg = km.evaluate([], "mcuboot", (2, 6, 0), facts={"soc": "nrf5340_cpuapp", "board": "nrf5340dk_nrf5340_cpuapp"})
    assert cfg.get("BOOT_UPGRADE_ONLY").value != "y"


def test_boards_differing_in_no_fact_the_image_names_share_its_evaluation(tmp_path):
    conf = tmp_path / "prj.conf"
    conf.write_text("CONFIG_BOOTLOADER_MCUBOOT=y\nCONFIG_MCUMGR=y\nCONFIG_NRF_CLOUD_FOTA=y\n")
    frag = parse_fragment(conf)
    sdk = (2, 6, 0)
    _, _, _, named = km._shared_tree("app", sdk)
    facts = {"soc": "nrf5340_cpuapp", "board": "nrf5340dk_nrf5340_cpuapp", "partition_manager": True}
    base = km._fact_values(None, facts)
    unnamed = {"BOARD_IS_NON_SECURE": {"non_secure": True}, "MCUBOOT_OWN_CONFIG": {"mcuboot_own_config": False},
               "DT_HAS_SCRATCH_PARTITION": {"has_scratch_partition": True}, "PM_USED": {"partition_manager": False}}
    clear_caches()
    first = km.evaluate([frag], "app", sdk, facts=facts)
    seen = 0
    for fact, change in unnamed.items():
        other = km.evaluate([frag], "app", sdk, facts=dict(facts, **change))
        assert km._fact_values(None, dict(facts, **change))[fact] != base[fact]
        if fact in named:
            assert other is not first
        else:
            seen += 1
            assert other is first
            clear_caches()
            alone = km.evaluate([frag], "app", sdk, facts=dict(facts, **change))   # evaluated for itself
            assert alone is not first and _shown(alone) == _shown(first)
            first = km.evaluate([frag], "app", sdk, facts=facts)
    assert 0 < seen < len(unnamed) and len(named) < len(km._fact_names())


@pytest.fixture(autouse=True)
def _fresh():
    yield
    for cache in (km._TREES, km._BY_TEXT, km._SHARED, km._META):
        cache.clear()
    clear_caches()
