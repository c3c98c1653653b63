"""Partition Manager placement model: research/pm_placement.md observations 1-8 and
research/semantics.md section 2, plus real pm_static files from the corpus."""
from __future__ import annotations

from pathlib import Path

import pytest

from dfulint.model.placement import PlacementInput, Sized, place
from dfulint.sources.pm import parse_pm

CORPUS = Path("/work/shared/corpus")

KIB = 1024
V191, V233, V240, V251, MAIN = (1, 9, 1), (2, 3, 0), (2, 4, 0), (2, 5, 1), (3, 2, 99)
VERSIONS = (V191, V251, MAIN)

SEED_STATIC = """\
external_flash:
  address: 0x0
  end_address: 0x80000
  region: external_flash
  size: 0x80000
mcuboot_secondary:
  address: 0x0
  end_address: 0x39000
  region: external_flash
  size: 0x39000
"""


def soc(name: str) -> dict:
    """Flash geometry and FPROTECT block of the SoCs the observations were made on."""
    return {
        "nrf52832": dict(flash_size=512 * KIB, page_size=4096, fprotect_block=0x1000, soc_family="nrf52"),
        "nrf52833": dict(flash_size=512 * KIB, page_size=4096, fprotect_block=0x1000, soc_family="nrf52"),
        "nrf52840": dict(flash_size=1024 * KIB, page_size=4096, fprotect_block=0x1000, soc_family="nrf52"),
        "nrf5340": dict(flash_size=1024 * KIB, page_size=4096, fprotect_block=0x4000, soc_family="nrf53"),
        "nrf9160": dict(flash_size=1024 * KIB, page_size=4096, fprotect_block=0x8000, soc_family="nrf91"),
    }[name]


def make(chip: str = "nrf52833", ncs=MAIN, settings: bool | int = True, static=None, static_path=None,
         **kw) -> PlacementInput:
    settings_size = None
    if settings:
        value = 0x2000 if settings is True else settings
        settings_size = Sized(value, "CONFIG_PM_PARTITION_SIZE_SETTINGS_STORAGE default")
    return PlacementInput(flash_base=0, ncs_version=ncs, static=static or {}, static_path=static_path,
                          settings_size=settings_size, **soc(chip), **kw)


def pm_static(tmp_path: Path, text: str, name: str = "pm_static.yml"):
    path = tmp_path / name
    path.write_text(text)
    pm = parse_pm(path)
    assert not pm.problems, pm.problems
    return pm.partitions, path


def layout(fm) -> dict[str, tuple[int, int, str]]:
    return {p.name: (p.address, p.size, p.region) for p in fm.partitions}


def at(fm, name: str) -> tuple[int, int]:
    p = fm.get(name)
    assert p is not None, f"{name} not placed: {sorted(layout(fm))}"
    return p.address, p.size


def messages(fm) -> list[str]:
    return [m for m, _ in fm.errors]


# --------------------------------------------------------------------------- observation 1


@pytest.mark.parametrize("ncs", VERSIONS)
def test_obs1_seed_external_secondary_pinned_primary_fills_internal_flash(tmp_path, ncs):
    static, path = pm_static(tmp_path, SEED_STATIC)
    fm = place(make("nrf52833", ncs, static=static, static_path=path, ext_secondary=True,
                    ext_flash_size=0x80000))
    assert fm.errors == []
    assert fm.origin == "pm_static"
    assert at(fm, "mcuboot") == (0x0, 0xC000)
    assert at(fm, "mcuboot_primary") == (0xC000, 0x72000)          # 0xc000-0x7e000
    assert at(fm, "settings_storage") == (0x7E000, 0x2000)
    sec = fm.get("mcuboot_secondary")
    assert (sec.address, sec.size, sec.region, sec.static) == (0x0, 0x39000, "external_flash", True)
    assert "external_flash" in fm.devices and fm.devices["external_flash"].size == 0x80000
    assert fm.devices["flash_primary"].size == 0x80000
    # PM never reports the size mismatch; the model explains it
    assert any("never from the secondary" in n for n in fm.notes)


@pytest.mark.parametrize("sec_size", [0x39000, 0x80000, 0xF4000])
@pytest.mark.parametrize("ncs", [V251, MAIN])
def test_obs1_primary_size_ignores_pinned_secondary_size(tmp_path, ncs, sec_size):
    static, path = pm_static(tmp_path, f"mcuboot_secondary:\n  address: 0x0\n  size: {sec_size:#x}\n"
                                       "  region: external_flash\n")
    for chip, primary in (("nrf52833", 0x72000), ("nrf52840", 0xF2000)):
        fm = place(make(chip, ncs, static=static, static_path=path, ext_secondary=True, ext_flash_size=0x80000))
        assert fm.errors == [], (chip, fm.errors)
        assert at(fm, "mcuboot_primary") == (0xC000, primary)
        assert at(fm, "mcuboot_secondary") == (0x0, sec_size)


def test_obs1_dynamic_external_secondary_copies_primary_size():
    fm = place(make("nrf52833", MAIN, ext_secondary=True, ext_flash_size=0x80000))
    assert fm.origin == "pm_dynamic"
    assert fm.errors == []
    assert at(fm, "mcuboot_primary") == (0xC000, 0x72000)
    sec = fm.get("mcuboot_secondary")
    assert (sec.address, sec.size, sec.region, sec.static) == (0x0, 0x72000, "external_flash", False)
    assert at(fm, "external_flash") == (0x72000, 0x80000 - 0x72000)
    assert sec.source.startswith("dynamic: share_size of mcuboot_primary")


# --------------------------------------------------------------------------- observations 2 and 3


@pytest.mark.parametrize("ncs", [V251, MAIN])
def test_obs2_static_partition_past_its_region_is_accepted(tmp_path, ncs):
    static, path = pm_static(tmp_path, "mcuboot_secondary:\n  address: 0x0\n  size: 0xf4000\n"
                                       "  region: external_flash\n")
    fm = place(make("nrf52833", ncs, static=static, static_path=path, ext_secondary=True, ext_flash_size=0x80000))
    assert fm.errors == []
    sec = fm.get("mcuboot_secondary")
    assert sec.end == 0xF4000            # PM reports it as ending at 0xf4000, past the 0x80000 region


def test_obs3_v191_rejects_secondary_alone_in_external_flash(tmp_path):
    static, path = pm_static(tmp_path, "mcuboot_secondary:\n  address: 0x0\n  size: 0x39000\n"
                                       "  region: external_flash\n")
    fm = place(make("nrf52833", V191, static=static, static_path=path, ext_secondary=True, ext_flash_size=0x80000))
    assert messages(fm) == ["Statically defined partitions are not packed at start of region 'external_flash'."]
    span = fm.errors[0][1]
    assert span is not None and span.path == path and span.line == 1
    # the rest of the layout is still predicted
    assert at(fm, "mcuboot_primary") == (0xC000, 0x72000)


def test_obs3_v191_accepts_the_seed_with_its_covering_external_flash_entry(tmp_path):
    static, path = pm_static(tmp_path, SEED_STATIC)
    fm = place(make("nrf52833", V191, static=static, static_path=path, ext_secondary=True, ext_flash_size=0x80000))
    assert fm.errors == []
    # the overlap of the two static entries is not PM's concern
    assert at(fm, "external_flash") == (0x0, 0x80000)
    assert at(fm, "mcuboot_secondary") == (0x0, 0x39000)


@pytest.mark.parametrize("ncs, rejected", [(V191, True), (V233, True), (V240, False), (V251, False), (MAIN, False)])
def test_obs3_version_boundary_of_the_packing_check(tmp_path, ncs, rejected):
    """NCS 2.4.0 fixed PM's start-to-end packing check (pm_placement.md: v1.9.1 rejects,
    v2.5.1 accepts); every release before 2.4 demands that static partitions fill the region."""
    static, path = pm_static(tmp_path, "mcuboot_secondary:\n  address: 0x0\n  size: 0xf4000\n"
                                       "  region: external_flash\n")
    fm = place(make("nrf52840", ncs, static=static, static_path=path, ext_secondary=True, ext_flash_size=0x80000))
    assert bool(fm.errors) is rejected
    if rejected:
        assert messages(fm)[0].startswith("Statically defined partitions are not packed at start of region")


# --------------------------------------------------------------------------- observation 4


@pytest.mark.parametrize("ncs", VERSIONS)
def test_obs4_internal_secondary_pinned_where_pm_would_put_it_is_a_gap_error(tmp_path, ncs):
    static, path = pm_static(tmp_path, "mcuboot_secondary:\n  address: 0x45000\n  size: 0x39000\n")
    fm = place(make("nrf52833", ncs, static=static, static_path=path))
    assert len(fm.errors) == 1
    msg, span = fm.errors[0]
    assert msg.startswith("Incorrect amount of gaps found in static configuration. There must be exactly one "
                          "gap in the static configuration to support placing the dynamic partitions (such as "
                          "'app'). Gaps found (2):0x0-0x45000 0x7e000-0x80000 ")
    assert span is not None and span.path == path
    # the map is still usable: the pinned secondary as written, the rest best effort
    assert fm.get("mcuboot_secondary").static
    assert at(fm, "mcuboot_secondary") == (0x45000, 0x39000)
    assert fm.get("mcuboot_primary") is not None


@pytest.mark.parametrize("ncs", VERSIONS)
def test_obs4_internal_secondary_reaching_end_of_flash_moves_settings_down(tmp_path, ncs):
    static, path = pm_static(tmp_path, "mcuboot_secondary:\n  address: 0x46000\n  size: 0x3a000\n")
    fm = place(make("nrf52833", ncs, static=static, static_path=path))
    assert fm.errors == []
    assert at(fm, "settings_storage") == (0x44000, 0x2000)
    assert at(fm, "mcuboot_primary") == (0xC000, 0x38000)
    assert at(fm, "mcuboot_secondary") == (0x46000, 0x3A000)
    assert fm.get("mcuboot_primary").source == ("dynamic: grows to fill the gap between mcuboot (0xc000) and "
                                                "settings_storage (0x44000)")
    assert any("0x0-0x46000" in n for n in fm.notes)


# --------------------------------------------------------------------------- observation 5


@pytest.mark.parametrize("ncs", VERSIONS)
def test_obs5_dynamic_swap_scratch_splits_the_rest(ncs):
    fm = place(make("nrf52833", ncs, mode="swap-scratch"))
    assert fm.errors == []
    assert at(fm, "mcuboot_primary") == (0xC000, 0x2A000)
    assert at(fm, "mcuboot_secondary") == (0x36000, 0x2A000)
    assert at(fm, "mcuboot_scratch") == (0x60000, 0x1E000)
    assert at(fm, "settings_storage") == (0x7E000, 0x2000)


@pytest.mark.parametrize("ncs", VERSIONS)
def test_obs5_scratch_with_external_secondary_pinned(tmp_path, ncs):
    static, path = pm_static(tmp_path, SEED_STATIC)
    fm = place(make("nrf52833", ncs, static=static, static_path=path, mode="swap-scratch",
                    ext_secondary=True, ext_flash_size=0x80000))
    assert fm.errors == []
    assert at(fm, "mcuboot_primary") == (0xC000, 0x54000)
    assert at(fm, "mcuboot_scratch") == (0x60000, 0x1E000)


# --------------------------------------------------------------------------- observations 6 and 7


@pytest.mark.parametrize("ncs", VERSIONS)
def test_obs6_nrf9160_fprotect_alignment_and_empty_fillers(ncs):
    fm = place(make("nrf9160", ncs))
    assert fm.errors == []
    assert at(fm, "mcuboot") == (0x0, 0xC000)
    assert at(fm, "mcuboot_pad") == (0x10000, 0x200)
    assert at(fm, "mcuboot_primary") == (0x10000, 0x70000)
    assert at(fm, "mcuboot_secondary") == (0x80000, 0x70000)
    assert at(fm, "settings_storage") == (0xF8000, 0x2000)
    fillers = sorted((p.address, p.end) for p in fm.partitions if p.name.startswith("EMPTY_"))
    assert fillers == [(0xC000, 0x10000), (0xF0000, 0xF8000), (0xFA000, 0x100000)]
    assert all(p.source.startswith("dynamic: alignment filler") for p in fm.partitions if p.name.startswith("EMPTY_"))
    # the layout tiles the flash exactly
    leaves = [p for p in fm.on("flash_primary") if not p.is_container and p.name != "mcuboot_primary_app"]
    assert leaves[0].address == 0 and leaves[-1].end == 0x100000
    assert all(a.end == b.address for a, b in zip(leaves, leaves[1:]))


def test_obs7_settings_aligned_by_secondary_align_next_even_without_its_own_align():
    # NCS 1.9.1's pm.yml.settings has no `align`; nRF5340's 0x4000 block shows the effect
    fm = place(make("nrf5340", V191))
    assert fm.errors == []
    s = fm.get("settings_storage")
    assert s.address % 0x4000 == 0 and s.address == 0xFC000
    assert any("settings_storage gets a start alignment of 0x4000 from mcuboot_secondary's align_next" in n
               for n in fm.notes)
    # with the secondary in external flash nothing aligns it on 1.9.1; from 2.2 its template does
    ext191 = place(make("nrf5340", V191, ext_secondary=True, ext_flash_size=0x800000))
    ext251 = place(make("nrf5340", V251, ext_secondary=True, ext_flash_size=0x800000))
    assert at(ext191, "settings_storage") == (0xFE000, 0x2000)
    assert at(ext251, "settings_storage") == (0xFC000, 0x2000)
    assert at(ext191, "mcuboot_primary") == (0xC000, 0xF2000)
    assert at(ext251, "mcuboot_primary") == (0xC000, 0xF0000)


# --------------------------------------------------------------------------- observation 8


# Outside the observed matrix (nRF9160 with settings and no internal secondary right before
# settings_storage to pass on its align_next: secondary external, or scratch in between) only NCS
# 2.2+'s own settings alignment puts settings on the 0x8000 block: test_obs7 covers that case.
OBS8 = [(chip, settings, size, variant)
        for chip in ("nrf52832", "nrf52833", "nrf52840", "nrf9160")
        for settings in (True, False)
        for size in (0xC000, 0x10000)
        for variant in ("dynamic", "ext512K", "ext8M", "scratch")
        if not (chip == "nrf9160" and variant != "dynamic" and settings)]


@pytest.mark.parametrize("chip,settings,mcuboot_size,variant", OBS8)
def test_obs8_flash_layout_identical_across_versions(chip, settings, mcuboot_size, variant):
    kw = dict(mcuboot_size=Sized(mcuboot_size, "child_image/mcuboot.conf:3"))
    if variant.startswith("ext"):
        kw.update(ext_secondary=True, ext_flash_size=0x80000 if variant == "ext512K" else 0x800000)
    if variant == "scratch":
        kw.update(mode="swap-scratch")
    layouts = [layout(place(make(chip, v, settings=settings, **kw))) for v in VERSIONS]
    assert layouts[0] == layouts[1] == layouts[2]


# --------------------------------------------------------------------------- nRF52840 hello world


def test_nrf52840_hello_world_default_without_settings():
    fm = place(make("nrf52840", MAIN, settings=False))
    assert fm.errors == []
    assert at(fm, "mcuboot") == (0x0, 0xC000)
    assert at(fm, "mcuboot_pad") == (0xC000, 0x200)
    assert at(fm, "mcuboot_primary") == (0xC000, 0x7A000)
    assert at(fm, "app") == (0xC200, 0x79E00)
    assert at(fm, "mcuboot_secondary") == (0x86000, 0x7A000)
    assert fm.get("settings_storage") is None
    assert fm.get("mcuboot_primary").span_of == ["mcuboot_pad", "mcuboot_primary_app"]
    assert fm.get("mcuboot_primary_app").span_of == ["app"]


def test_nrf52840_with_settings_loses_8k_split_across_both_slots():
    fm = place(make("nrf52840", MAIN, settings=True))
    assert fm.errors == []
    assert at(fm, "mcuboot_primary") == (0xC000, 0x79000)
    assert at(fm, "mcuboot_secondary") == (0x85000, 0x79000)
    assert at(fm, "settings_storage") == (0xFE000, 0x2000)
    assert fm.get("mcuboot_secondary").source == "dynamic: share_size of mcuboot_primary"
    assert fm.get("mcuboot_primary").source == ("dynamic: shares the space between mcuboot (0xc000) and "
                                                "settings_storage (0xfe000) equally with mcuboot_secondary")


# --------------------------------------------------------------------------- modes, sizes, templates


def test_direct_xip_secondary_pad_and_app():
    fm = place(make("nrf52840", MAIN, mode="direct-xip"))
    assert fm.errors == []
    assert at(fm, "mcuboot_primary") == (0xC000, 0x79000)
    assert at(fm, "mcuboot_secondary") == (0x85000, 0x79000)
    assert at(fm, "mcuboot_secondary_pad") == (0x85000, 0x200)
    assert at(fm, "mcuboot_secondary_app") == (0x85200, 0x78E00)
    assert fm.get("mcuboot_secondary").span_of == ["mcuboot_secondary_pad", "mcuboot_secondary_app"]


def test_single_app_has_no_secondary_and_primary_fills_flash():
    fm = place(make("nrf52840", MAIN, mode="single-app"))
    assert fm.errors == []
    assert fm.get("mcuboot_secondary") is None
    assert at(fm, "mcuboot_primary") == (0xC000, 0xF2000)
    assert fm.get("app").source == ("dynamic: grows to fill the gap between mcuboot (0xc000) and "
                                    "settings_storage (0xfe000)")


def test_without_mcuboot_app_takes_the_flash():
    fm = place(make("nrf52840", MAIN, mcuboot=False))
    assert fm.errors == []
    assert sorted(layout(fm)) == ["app", "settings_storage"]
    assert at(fm, "app") == (0x0, 0xFE000)


def test_mcuboot_size_source_and_span_are_kept():
    span_path = Path("/proj/child_image/mcuboot.conf")
    from dfulint.core import Span
    size = Sized(0x10000, "child_image/mcuboot.conf:3", Span(span_path, 3, 1))
    fm = place(make("nrf52833", MAIN, mcuboot_size=size))
    m = fm.get("mcuboot")
    assert (m.address, m.size) == (0x0, 0x10000)
    assert "child_image/mcuboot.conf:3" in m.source
    assert m.size_at == Span(span_path, 3, 1)
    assert at(fm, "mcuboot_primary") == (0x10000, 0x37000)


@pytest.mark.parametrize("ncs, why", [(V251, "mcuboot_pad can align its start to 0x1000"),
                                      (MAIN, "mcuboot can align its end to 0x1000")])
def test_mcuboot_size_not_on_a_block_gets_a_filler(ncs, why):
    """MCUboot 0xbe00 (updatable MCUboot): the pad's FPROTECT alignment, and from NCS 2.8
    sdk-mcuboot's own `align: {end: 0x1000}` on mcuboot, put a filler after it."""
    fm = place(make("nrf52840", ncs, mcuboot_size=Sized(0xBE00, "MCUboot default when updatable")))
    assert fm.errors == []
    assert at(fm, "EMPTY_0") == (0xBE00, 0x200)
    assert why in fm.get("EMPTY_0").source
    assert at(fm, "mcuboot_primary") == (0xC000, 0x79000)


def test_nrf54l_settings_at_end_without_own_alignment():
    fm = place(PlacementInput(flash_base=0, flash_size=0x17D000, page_size=4096, fprotect_block=0x1000,
                              soc_family="nrf54l", ncs_version=MAIN, static={},
                              settings_size=Sized(0x2000, "default")))
    assert fm.errors == []
    assert at(fm, "settings_storage") == (0x17B000, 0x2000)
    assert at(fm, "mcuboot_secondary") == (0xC3000, 0xB7000)
    assert at(fm, "mcuboot_primary") == (0xC000, 0xB7000)
    assert at(fm, "EMPTY_0") == (0x17A000, 0x1000)


def test_extra_dynamic_partitions():
    fm = place(make("nrf52840", MAIN, extra_dynamic=[
        ("littlefs_storage", 0x6000, {"before": ["settings_storage"], "align": {"start": 0x1000}})]))
    assert fm.errors == []
    assert at(fm, "littlefs_storage") == (0xF8000, 0x6000)
    assert at(fm, "settings_storage") == (0xFE000, 0x2000)
    assert at(fm, "mcuboot_primary") == (0xC000, 0x76000)
    assert at(fm, "mcuboot_secondary") == (0x82000, 0x76000)


# --------------------------------------------------------------------------- statics as written


def test_static_container_keeps_its_written_size(tmp_path):
    text = """\
mcuboot:
  address: 0x0
  size: 0xc000
mcuboot_pad:
  address: 0xc000
  size: 0x200
app:
  address: 0xc200
  size: 0x71e00
mcuboot_primary:
  address: 0xc000
  size: 0x70000
  span: [mcuboot_pad, app]
mcuboot_primary_app:
  address: 0xc200
  size: 0x71e00
  span: [app]
mcuboot_secondary:
  address: 0x7e000
  size: 0x80000
settings_storage:
  address: 0xfe000
  size: 0x2000
"""
    static, path = pm_static(tmp_path, text)
    fm = place(make("nrf52840", MAIN, static=static, static_path=path))
    assert fm.errors == []
    p = fm.get("mcuboot_primary")
    assert (p.address, p.size, p.static) == (0xC000, 0x70000, True)     # PM does not check it against its span
    assert p.span_of == ["mcuboot_pad", "app"]
    assert p.source == "pm_static.yml: address 0xc000, size 0x70000 (span mcuboot_pad, app)"
    assert p.where.line == 10 and p.address_at.line == 11 and p.size_at.line == 12
    # app is what the single gap leaves
    assert at(fm, "app") == (0xC200, 0x71E00)
    assert not fm.get("app").static


def test_overlapping_and_misaligned_statics_are_taken_as_written(tmp_path):
    text = """\
mcuboot_secondary:
  address: 0x80000
  size: 0x80000
settings_storage:
  address: 0xfe000
  size: 0x2000
"""
    static, path = pm_static(tmp_path, text)
    fm = place(make("nrf52840", MAIN, static=static, static_path=path))
    assert fm.errors == []                      # no overlap check in PM
    assert at(fm, "mcuboot_secondary") == (0x80000, 0x80000)
    assert at(fm, "settings_storage") == (0xFE000, 0x2000)
    assert at(fm, "mcuboot_primary") == (0xC000, 0x74000)

    static, path = pm_static(tmp_path, "mcuboot_secondary:\n  address: 0x80100\n  size: 0x7ff00\n", "b.yml")
    fm = place(make("nrf52840", MAIN, settings=False, static=static, static_path=path))
    assert fm.errors == []                      # no alignment check either
    assert at(fm, "mcuboot_secondary") == (0x80100, 0x7FF00)
    assert fm.get("mcuboot_secondary").source == "b.yml: address 0x80100, size 0x7ff00"


def test_complete_static_file_adds_only_what_is_missing(tmp_path):
    static, path = pm_static(tmp_path, (CORPUS / "daschiller__lh_device/child_image/mcuboot/pm_static.yml").read_text())
    fm = place(make("nrf52840", V251, static=static, static_path=path))
    assert fm.errors == []
    assert layout(fm) == {
        "mcuboot": (0x0, 0xC000, "flash_primary"),
        "mcuboot_primary": (0xC000, 0x76000, "flash_primary"),
        "mcuboot_pad": (0xC000, 0x200, "flash_primary"),
        "app": (0xC200, 0x75E00, "flash_primary"),
        "mcuboot_primary_app": (0xC200, 0x75E00, "flash_primary"),
        "mcuboot_secondary": (0x82000, 0x76000, "flash_primary"),
        "littlefs_storage": (0xF8000, 0x6000, "flash_primary"),
        "settings_storage": (0xFE000, 0x2000, "flash_primary"),
    }
    assert all(p.static for p in fm.partitions if p.name != "app")
    assert fm.get("app").source.startswith("dynamic: fills the single gap pm_static.yml leaves")


def test_static_without_address_is_a_pm_failure_not_an_exception(tmp_path):
    static, path = pm_static(tmp_path, "mcuboot_secondary:\n  size: 0x39000\n")
    fm = place(make("nrf52833", MAIN, static=static, static_path=path))
    assert any("has no integer address" in m for m in messages(fm))
    assert fm.get("mcuboot_primary") is not None


def test_pinned_primary_drops_the_dynamic_secondary(tmp_path):
    static, path = pm_static(tmp_path, "mcuboot:\n  address: 0x0\n  size: 0xc000\n"
                                       "mcuboot_pad:\n  address: 0xc000\n  size: 0x200\n"
                                       "mcuboot_primary:\n  address: 0xc000\n  size: 0x39000\n"
                                       "  span: [mcuboot_pad, mcuboot_primary_app]\n"
                                       "mcuboot_primary_app:\n  address: 0xc200\n  size: 0x38e00\n  span: [app]\n"
                                       "app:\n  address: 0xc200\n  size: 0x38e00\n")
    fm = place(make("nrf52833", MAIN, settings=False, static=static, static_path=path))
    assert fm.errors == []
    assert fm.get("mcuboot_secondary") is None
    assert "Dropping partition 'mcuboot_secondary' since its size is 0." in fm.notes
    assert at(fm, "app") == (0xC200, 0x80000 - 0xC200)     # app takes the single gap


# --------------------------------------------------------------------------- odd input


def test_zero_sizes_are_dropped_not_raised():
    fm = place(make("nrf52840", MAIN, mcuboot_size=Sized(0, "x"), scratch_size=Sized(0, "y"), mode="swap-scratch"))
    assert "Dropping partition 'mcuboot' since its size is 0." in fm.notes
    assert "Dropping partition 'mcuboot_scratch' since its size is 0." in fm.notes
    assert fm.get("mcuboot") is None
    assert fm.errors == []


def test_layout_that_does_not_fit_is_reported():
    fm = place(make("nrf52833", MAIN, settings=0x7A000))
    assert any("negative size" in n for n in fm.notes)


@pytest.mark.parametrize("kw", [
    dict(flash_size=0), dict(flash_size=-5), dict(fprotect_block=0), dict(page_size=0),
    dict(mode="no-such-mode"), dict(ncs_version=("x",)), dict(static=None),
    dict(ext_secondary=True), dict(ext_secondary=True, ext_flash_size=0),
    dict(extra_dynamic=["junk", ("p", "notanint"), {"name": "q", "size": 0x1000, "after": "start"}]),
])
def test_odd_input_never_raises(kw):
    base = dict(flash_base=0, flash_size=0x80000, page_size=4096, fprotect_block=0x1000, soc_family="nrf52",
                ncs_version=MAIN, static={}, settings_size=Sized(0x2000, "d"))
    base.update(kw)
    fm = place(PlacementInput(**base))
    assert not any("could not finish" in n for n in fm.notes), fm.notes


def test_unknown_external_flash_size_still_places_the_secondary():
    fm = place(make("nrf52833", MAIN, ext_secondary=True))
    assert fm.errors == []
    assert at(fm, "mcuboot_secondary") == (0x0, 0x72000)
    assert fm.devices["external_flash"].size == 0x72000
    assert any("not known" in n for n in fm.notes)


# --------------------------------------------------------------------------- corpus


CORPUS_CASES = [
    ("daschiller__lh_device/child_image/mcuboot/pm_static.yml", "nrf52840", V251, {}),
    ("cgnd__hackster-water-level-sensor/pm_static.yml", "nrf9160", V251, {}),
    ("Noy0908__delta_dfu/pm_static_nrf9160dk_nrf9160_ns.yml", "nrf9160", V251, {}),
    ("olofjohnsson__battery_monitor/pm_static.yml", "nrf52840", V251, {}),
    ("Jagadeepram__App_Net_Core_FOTA_NCS_EXT_MEM/pm_static.yml", "nrf5340", V251,
     dict(ext_secondary=True, ext_flash_size=0x800000)),
]


@pytest.mark.parametrize("rel, chip, ncs, kw", CORPUS_CASES)
def test_corpus_pm_static_files_place_cleanly(tmp_path, rel, chip, ncs, kw):
    path = CORPUS / rel
    if not path.exists():
        pytest.skip("corpus not available")
    pm = parse_pm(path)
    fm = place(make(chip, ncs, static=pm.partitions, static_path=path, **kw))
    assert fm.errors == [], fm.errors
    assert fm.origin == "pm_static"
    for name, part in pm.partitions.items():
        region = part.str("region") or "flash_primary"
        if region not in ("flash_primary", "external_flash") or name == "app":
            continue
        p = fm.get(name)
        assert p is not None and p.static, name
        assert (p.address, p.size) == (part.int("address"), part.int("size")), name
        assert p.where == part.span


def test_corpus_nvs_only_static_leaves_one_gap():
    path = CORPUS / "olofjohnsson__battery_monitor/pm_static.yml"
    if not path.exists():
        pytest.skip("corpus not available")
    fm = place(make("nrf52840", V251, static=parse_pm(path).partitions, static_path=path))
    assert at(fm, "nvs_storage") == (0xF0000, 0x10000)
    assert at(fm, "settings_storage") == (0xEE000, 0x2000)
    assert at(fm, "mcuboot_primary") == (0xC000, 0x71000)
    assert at(fm, "mcuboot_secondary") == (0x7D000, 0x71000)


def test_every_corpus_pm_static_file_is_placed_without_exception():
    files = sorted(CORPUS.rglob("pm_static*.yml")) if CORPUS.exists() else []
    if not files:
        pytest.skip("corpus not available")
    for path in files:
        pm = parse_pm(path)
        ext = any((p.str("region") or "") == "external_flash" for p in pm.partitions.values())
        for chip in ("nrf52840", "nrf5340"):
            fm = place(make(chip, MAIN, static=pm.partitions, static_path=path, ext_secondary=ext,
                            ext_flash_size=0x800000 if ext else None))
            assert not any("could not finish" in n for n in fm.notes), (path, fm.notes)
