"""MCUboot's slot laws (dfulint.model.mcuboot), law by law, on generated layouts."""
from __future__ import annotations

import pytest

from dfulint.model.mcuboot import (
    MODES,
    REAL_APP_MIN_SIZE,
    SECTOR_TABLE_MODES,
    BootParams,
    SlotGeom,
    analyse,
    mcuboot_behaviour,
    overwrite_bound,
    sector_count,
    trailer_size,
)

K4 = 0x1000
K64 = 0x10000
NO_CHECK_MODES = ("direct-xip", "direct-xip-revert", "ram-load", "single-app", "firmware-loader")


def geom(size, page=K4, w=4, name=""):
    return SlotGeom(size=size, page_size=page, write_block=w, name=name)


def run(mode, primary, secondary, scratch=None, running=None, **params):
    return analyse(primary, secondary, BootParams(mode=mode, **params), scratch=scratch,
                   running_image_size=running)


def codes(an):
    return [r.code for r in an.reasons]


def outcomes(an):
    return {r.code: r.outcome for r in an.reasons}


def serious(an):
    """Reasons that stop an upgrade or a boot."""
    return [r for r in an.reasons if r.outcome in ("bricks", "refuses")]


def reason(an, code):
    found = [r for r in an.reasons if r.code == code]
    assert found, f"no {code!r} in {codes(an)}"
    return found[0]


def area(t, page=K4):
    return -(-t // page) * page


# ---------------------------------------------------------------------------------------------
# Sector counting and the trailer
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("size,page,expected", [
    (0x72000, K4, 114),
    (0x39000, K4, 57),
    (0xF4000, K4, 244),
    (0xE8000, K64, 15),     # 14.5 pages: the partial last page counts
    (0x39000, K64, 4),      # 3.56 pages
    (0xE0000, K64, 14),
    (0x1000, K4, 1),
    (0x1001, K4, 2),
])
def test_sector_count_counts_a_partial_last_page(size, page, expected):
    assert sector_count(size, page) == expected


def test_sector_count_rejects_bad_page():
    with pytest.raises(ValueError):
        sector_count(0x1000, 0)


@pytest.mark.parametrize("m,expected", [(128, 1584), (256, 3120), (512, 6192)])
def test_trailer_worked_examples(m, expected):
    assert trailer_size("swap-move", m, write_block=4) == expected


@pytest.mark.parametrize("m", [1, 64, 100, 128, 200, 244, 256, 512, 1024])
def test_trailer_formula_per_mode(m):
    assert trailer_size("swap-move", m) == 12 * m + 48
    assert trailer_size("swap-scratch", m) == 12 * m + 48
    assert trailer_size("overwrite-only", m) == 12 * m + 48
    assert trailer_size("swap-offset", m) == 8 * m + 56
    # nRF54L RRAM writes 16 bytes at a time.
    assert trailer_size("swap-move", m, write_block=16) == 48 * m + 48
    assert trailer_size("swap-offset", m, write_block=16) == 32 * m + 56
    # Single-slot modes keep no swap status.
    assert trailer_size("single-app", m) == 48
    assert trailer_size("firmware-loader", m) == 48


def test_trailer_encryption_and_alignment():
    plain = trailer_size("swap-move", 128)
    assert trailer_size("swap-move", 128, encrypted=True) == plain + 32          # 2 AES-128 keys
    assert trailer_size("swap-move", 128, encrypted=True, enc_key_bytes=32) == plain + 64
    # BOOT_MAX_ALIGN 16: magic 16 + 4 x 16 fields.
    assert trailer_size("swap-move", 128, max_align=16) == 128 * 12 + 16 + 64
    # Analysis picks the encryption up from BootParams.
    an = run("swap-move", geom(0x72000), geom(0x71000), encrypted=True)
    assert an.trailer_size == 1584 + 32


def test_trailer_is_sized_by_configured_max_not_real_count():
    # A 40-sector slot pair: the real count is far below every configured maximum.
    p, s = geom(40 * K4), geom(39 * K4)
    small = run("swap-move", p, s, max_img_sectors=128)
    big = run("swap-move", p, s, max_img_sectors=512)
    assert small.trailer_size == 1584 and small.trailer_area == K4
    assert big.trailer_size == 6192 and big.trailer_area == 2 * K4
    # The larger trailer costs a whole page of image space.
    assert small.max_image_size - big.max_image_size == K4
    assert small.max_image_size == 39 * K4 - K4
    # Write block 16 scales the status area.
    rram = run("swap-move", geom(40 * K4, w=16), geom(39 * K4, w=16), max_img_sectors=256)
    assert rram.trailer_size == 48 * 256 + 48 and rram.trailer_area == 4 * K4


def test_unknown_mode_is_rejected():
    with pytest.raises(ValueError):
        run("swap-sideways", geom(0x72000), geom(0x72000))
    with pytest.raises(ValueError):
        trailer_size("swap-sideways", 128)


# ---------------------------------------------------------------------------------------------
# Law 1: the sector table
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", SECTOR_TABLE_MODES)
@pytest.mark.parametrize("m", [64, 128, 256, 512])
@pytest.mark.parametrize("delta", [-1, 0, 1, 5])
def test_law1_primary_over_table_boots_nothing(mode, m, delta):
    n_p = m + delta
    p = geom(n_p * K4)
    s = geom(n_p * K4) if mode != "swap-move" else geom((n_p - 1) * K4)
    scratch = geom(0x10000) if mode == "swap-scratch" else None
    an = run(mode, p, s, scratch=scratch, max_img_sectors=m)
    assert an.needed_max_img_sectors == n_p
    if n_p > m:
        r = reason(an, "primary-too-many-sectors")
        assert r.outcome == "bricks"
        assert r.log_line == f"W: Failed reading sectors; BOOT_MAX_IMG_SECTORS={m} - too small?"
        assert f">= {n_p}" in r.message and str(n_p) in r.message
        assert r.numbers["primary_sectors"] == n_p
        assert not an.boots and not an.upgrade_possible and an.max_image_size is None
    else:
        assert "primary-too-many-sectors" not in codes(an)
        assert an.boots and an.upgrade_possible


def test_law1_primary_over_table_bricks_without_validation_too():
    an = run("swap-move", geom(0xF4000), geom(0xF4000), validate_primary=False)
    r = reason(an, "primary-too-many-sectors")
    assert r.outcome == "bricks" and "Bad image magic" in r.message
    assert not an.boots


def test_law1_nrf52840_full_primary_needs_244():
    p = geom(0xF4000, name="mcuboot_primary")
    s = geom(0xF4000, name="mcuboot_secondary")          # external flash, 4 KiB layout pages
    an = run("swap-move", p, s)
    assert an.primary_sectors == 244
    assert an.needed_max_img_sectors == 244
    assert "BOOT_MAX_IMG_SECTORS >= 244" in reason(an, "primary-too-many-sectors").message
    fixed = run("swap-move", p, s, max_img_sectors=244)
    assert serious(fixed) == [] and fixed.boots and fixed.upgrade_possible
    assert run("swap-move", p, s, max_img_sectors=243).boots is False


@pytest.mark.parametrize("mode", SECTOR_TABLE_MODES)
@pytest.mark.parametrize("n_p,n_s,m", [(100, 129, 128), (112, 144, 128), (200, 300, 256)])
def test_law1_secondary_over_table_refuses_old_image_boots(mode, n_p, n_s, m):
    scratch = geom(0x10000) if mode == "swap-scratch" else None
    an = run(mode, geom(n_p * K4), geom(n_s * K4), scratch=scratch, max_img_sectors=m)
    r = reason(an, "secondary-too-many-sectors")
    assert r.outcome == "refuses"
    assert r.log_line == f"W: Failed reading sectors; BOOT_MAX_IMG_SECTORS={m} - too small?"
    assert an.secondary_sectors == n_s and an.secondary_sectors_seen == 0
    assert an.needed_max_img_sectors == n_s
    assert an.boots and not an.upgrade_possible
    assert "primary-too-many-sectors" not in codes(an)


def test_law1_secondary_over_table_is_followed_by_the_compat_warning():
    # Swap-move: 112 vs 144 sectors at M=128, the secondary is counted as 0.
    an = run("swap-move", geom(112 * K4), geom(144 * K4), max_img_sectors=128)
    follow = reason(an, "sector-count-incompatible")
    assert follow.log_line == "W: Cannot upgrade: not a compatible amount of sectors"
    assert follow.numbers["secondary_sectors_seen"] == 0
    assert follow.numbers["secondary_sectors"] == 144
    # Swap-offset 120 vs 121 at M=120: the real counts fit, only the table is too small,
    # so the advice is the table size rather than new slot sizes.
    an = run("swap-offset", geom(120 * K4), geom(121 * K4), max_img_sectors=120)
    assert an.needed_max_img_sectors == 121
    follow = reason(an, "sector-count-incompatible")
    assert "BOOT_MAX_IMG_SECTORS >= 121" in follow.message
    assert outcomes(an)["secondary-too-many-sectors"] == "refuses"
    assert serious(run("swap-offset", geom(120 * K4), geom(121 * K4), max_img_sectors=121)) == []


def test_law1_secondary_over_table_swap_move_bound_wraps_not_zero():
    # Secondary counted as 0 sectors: 0*page - A wraps in uint32, so B is the primary's term
    # and the running image is not rejected (refusal only).
    an = run("swap-move", geom(112 * K4), geom(144 * K4), running=0x60000)
    assert an.running_image_limit == 111 * K4 - K4
    assert an.boots
    assert "running-image-too-large" not in codes(an)


def test_law1_secondary_over_table_bricked_before_mcuboot_1_8():
    an = run("swap-move", geom(100 * K4), geom(200 * K4), ncs_version=(1, 6, 0))
    r = reason(an, "secondary-too-many-sectors")
    assert r.outcome == "bricks" and not an.boots
    an = run("swap-move", geom(100 * K4), geom(200 * K4), ncs_version=(1, 7, 0))
    assert reason(an, "secondary-too-many-sectors").outcome == "refuses" and an.boots


def test_law1_scratch_over_table_boots_nothing():
    an = run("swap-scratch", geom(60 * K4), geom(60 * K4), scratch=geom(70 * K4),
             max_img_sectors=64)
    r = reason(an, "scratch-too-many-sectors")
    assert r.outcome == "bricks" and not an.boots
    assert an.needed_max_img_sectors == 70 and an.scratch_sectors == 70


@pytest.mark.parametrize("mode", NO_CHECK_MODES)
def test_modes_without_sector_table_ignore_max_img_sectors(mode):
    big = geom(300 * K4)
    an = run(mode, big, geom(300 * K4), max_img_sectors=128)
    assert an.needed_max_img_sectors == 0
    assert "primary-too-many-sectors" not in codes(an)
    assert reason(an, "no-compatibility-check").outcome == "note"
    assert serious(an) == [] and an.boots and an.upgrade_possible


# ---------------------------------------------------------------------------------------------
# Law 2: swap-move compatibility
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("n_p,diff", [(n_p, d) for n_p in (20, 57, 114, 118, 122, 128)
                                      for d in (-2, -1, 0, 1, 2, 3, 19, 57) if n_p - d > 0])
def test_law2_swap_move_accepts_only_equal_or_one_more(n_p, diff):
    n_s = n_p - diff
    an = run("swap-move", geom(n_p * K4), geom(n_s * K4))
    if diff in (0, 1):
        assert "sector-count-incompatible" not in codes(an)
        assert an.upgrade_possible
    else:
        r = reason(an, "sector-count-incompatible")
        assert r.outcome == "refuses"
        assert r.log_line == "W: Cannot upgrade: not a compatible amount of sectors"
        assert r.numbers["primary_sectors"] == n_p and r.numbers["secondary_sectors"] == n_s
        assert not an.upgrade_possible and an.max_image_size is None


def test_law2_seed_case_114_vs_57():
    p = geom(0x72000, name="mcuboot_primary")
    s = geom(0x39000, name="mcuboot_secondary")       # SPI NOR with 4096 layout pages
    an = run("swap-move", p, s, max_img_sectors=128)
    assert (an.primary_sectors, an.secondary_sectors) == (114, 57)
    assert an.needed_max_img_sectors == 114           # 128 is enough: not a table problem
    assert "primary-too-many-sectors" not in codes(an)
    assert "secondary-too-many-sectors" not in codes(an)
    r = reason(an, "sector-count-incompatible")
    assert r.outcome == "refuses"
    assert r.log_line == "W: Cannot upgrade: not a compatible amount of sectors"
    assert r.numbers["primary_sectors"] == 114 and r.numbers["secondary_sectors"] == 57
    assert "114" in r.message and "57" in r.message
    assert "0x72000" in r.message and "0x71000" in r.message   # both fixes named
    assert not an.upgrade_possible and an.boots
    # Law 6 is reported as a bound: B = 57*4K - 4K = 0x38000.
    assert an.running_image_limit == 0x38000
    law6 = reason(an, "running-image-too-large")
    assert law6.outcome == "risk" and "0x38000" in law6.message


def test_law2_docs_layout_is_refused():
    # "One sector plus the trailer, rounded up" bigger primary: refused by the code.
    an = run("swap-move", geom(0x76000), geom(0x74000), max_img_sectors=128)
    assert outcomes(an)["sector-count-incompatible"] == "refuses"
    an = run("swap-move", geom(0x76000), geom(0x73000), max_img_sectors=512)
    assert outcomes(an)["sector-count-incompatible"] == "refuses"


def test_law2_third_accepted_case_only_in_ncs_2_7_to_3_0():
    p, s = geom(0x76000), geom(0x74000)                # 118 vs 116, trailer in one page
    for ncs in [(2, 7, 0), (2, 8, 0), (2, 9, 1), (3, 0, 2)]:
        an = run("swap-move", p, s, ncs_version=ncs)
        assert "sector-count-incompatible" not in codes(an), ncs
        assert an.upgrade_possible
    for ncs in [(2, 6, 0), (3, 1, 0), (3, 2, 0)]:
        assert "sector-count-incompatible" in codes(run("swap-move", p, s, ncs_version=ncs)), ncs
    # With a two-page trailer (M=512) the accepted gap is three sectors.
    an = run("swap-move", geom(0x76000), geom(0x73000), max_img_sectors=512, ncs_version=(2, 8, 0))
    assert "sector-count-incompatible" not in codes(an)
    an = run("swap-move", geom(0x76000), geom(0x74000), max_img_sectors=512, ncs_version=(2, 8, 0))
    assert "sector-count-incompatible" in codes(an)
    # Upstream 2.1.x carried it too.
    assert "sector-count-incompatible" not in codes(
        run("swap-move", p, s, upstream_version=(2, 1, 0)))


def test_law2_swap_move_before_mcuboot_1_7_needs_equal_counts():
    an = run("swap-move", geom(0x72000), geom(0x71000), upstream_version=(1, 6, 0))
    r = reason(an, "sector-count-incompatible")
    assert r.log_line == "W: Cannot upgrade: slots don't have same amount of sectors"
    assert serious(run("swap-move", geom(0x72000), geom(0x72000), upstream_version=(1, 6, 0))) == []


@pytest.mark.parametrize("mode", ["swap-move", "swap-offset"])
def test_law2_3_page_size_mismatch_is_refused(mode):
    an = run(mode, geom(0x72000), geom(0x72000, page=K64))
    r = reason(an, "page-size-mismatch")
    assert r.outcome == "refuses"
    assert r.log_line == "W: Cannot upgrade: not a compatible amount of sectors"
    assert "CONFIG_SPI_NOR_FLASH_LAYOUT_PAGE_SIZE=4096" in r.message
    assert not an.upgrade_possible
    # Counts that happen to match but with different sizes: the layout check speaks.
    an = run("swap-move", geom(2 * K4), geom(K64, page=K64))
    assert reason(an, "page-size-mismatch").log_line == "W: Cannot upgrade: not same sector layout"


# ---------------------------------------------------------------------------------------------
# Law 3: swap-offset compatibility
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("n_p", [20, 57, 114, 127])
@pytest.mark.parametrize("diff", [-2, -1, 0, 1, 2])
def test_law3_swap_offset_accepts_only_equal_or_one_more_secondary(n_p, diff):
    n_s = n_p + diff
    an = run("swap-offset", geom(n_p * K4), geom(n_s * K4))
    if diff in (0, 1):
        assert serious(an) == [] and an.upgrade_possible
    else:
        r = reason(an, "sector-count-incompatible")
        assert r.outcome == "refuses"
        assert r.log_line == "W: Cannot upgrade: not a compatible amount of sectors"
        assert hex((n_p + 1) * K4) in r.message


@pytest.mark.parametrize("mode", ["swap-move", "swap-offset"])
@pytest.mark.parametrize("size", [0x20000, 0x72000, 0x7A000])
def test_law2_3_equal_slots_work_for_move_and_offset(mode, size):
    an = run(mode, geom(size), geom(size))
    assert [r for r in an.reasons if r.outcome != "note"] == []
    assert an.upgrade_possible and an.boots
    n = size // K4
    # Both lose one page to the swap: (N-1)*page - A.
    assert an.max_image_size == (n - 1) * K4 - an.trailer_area


def test_law3_swap_offset_missing_before_ncs_3_0():
    an = run("swap-offset", geom(0x72000), geom(0x73000), ncs_version=(2, 9, 0))
    assert reason(an, "mode-unavailable").outcome == "note"
    assert "mode-unavailable" not in codes(
        run("swap-offset", geom(0x72000), geom(0x73000), ncs_version=(3, 0, 0)))


# ---------------------------------------------------------------------------------------------
# Law 4: swap-scratch and overwrite-only compatibility
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["swap-scratch", "overwrite-only"])
@pytest.mark.parametrize("n_p", [30, 100, 122])
def test_law4_equal_pages_need_equal_counts(mode, n_p):
    scratch = geom(0x8000) if mode == "swap-scratch" else None
    ok = run(mode, geom(n_p * K4), geom(n_p * K4), scratch=scratch)
    assert serious(ok) == [] and ok.upgrade_possible
    for diff in (-1, 1):
        an = run(mode, geom(n_p * K4), geom((n_p + diff) * K4), scratch=scratch)
        r = reason(an, "slots-not-compatible")
        assert r.outcome == "refuses"
        assert r.log_line == "W: Cannot upgrade: slots are not compatible"
        assert hex(n_p * K4) in r.message
        assert not an.upgrade_possible
    # Further apart: MCUboot reads past its table; only "refused" is certain.
    an = run(mode, geom(n_p * K4), geom((n_p - 3) * K4), scratch=scratch)
    r = reason(an, "slots-not-compatible")
    assert r.log_line is None and r.numbers["undefined_behaviour"] is True
    assert not an.upgrade_possible


@pytest.mark.parametrize("mode", ["swap-scratch", "overwrite-only"])
@pytest.mark.parametrize("primary", [0x39000, 0x72000, 0x76000, 0xE8000, 0xE0000])
def test_law4_large_secondary_pages_must_cover_the_primary(mode, primary):
    n_p = primary // K4
    need = -(-primary // K64)
    scratch = geom(0x20000) if mode == "swap-scratch" else None
    for n_s in (need - 1, need, need + 1):
        an = run(mode, geom(primary), geom(n_s * K64, page=K64), scratch=scratch,
                 max_img_sectors=256)
        compat = {"slots-not-compatible", "non-compatible-sectors"} & set(codes(an))
        if n_s == need:
            assert not compat, (hex(primary), n_s)
            assert an.upgrade_possible
        else:
            assert compat, (hex(primary), n_s)
            assert not an.upgrade_possible
    assert n_p <= 256


@pytest.mark.parametrize("p_page,s_page", [(0x2000, 0x3000), (0x3000, 0x2000)])
def test_law4_pages_that_do_not_nest(p_page, s_page):
    # 8 KiB and 12 KiB pages: neither is a multiple of the other.
    an = run("overwrite-only", geom(0x30000, page=p_page), geom(0x30000, page=s_page))
    r = reason(an, "non-compatible-sectors")
    assert r.outcome == "refuses"
    assert r.log_line == "W: Cannot upgrade: slots have non-compatible sectors"
    # In swap-scratch the size bound becomes 0, so the running image fails too (law 6).
    an = run("swap-scratch", geom(0x30000, page=p_page), geom(0x30000, page=s_page),
             scratch=geom(0x10000))
    assert "non-compatible-sectors" in codes(an)
    assert an.running_image_limit == 0
    assert outcomes(an)["running-image-too-large"] == "bricks" and not an.boots


@pytest.mark.parametrize("scratch_size", [0x1000, 0x8000, 0xF000])
def test_law4_scratch_smaller_than_largest_page_bricks(scratch_size):
    p, s = geom(0xE0000), geom(0xE0000, page=K64)
    an = run("swap-scratch", p, s, scratch=geom(scratch_size), max_img_sectors=256)
    r = reason(an, "scratch-too-small")
    assert r.outcome == "refuses"
    assert r.log_line == "W: Cannot upgrade: not all sectors fit inside scratch"
    assert "0x10000" in r.message
    assert an.running_image_limit == 0
    law6 = reason(an, "running-image-too-large")
    assert law6.outcome == "bricks"
    assert law6.log_line == "E: Image in the primary slot is not valid!"
    assert not an.boots and not an.upgrade_possible
    # Before the unified bound (NCS 3.0) the same layout only refuses.
    old = run("swap-scratch", p, s, scratch=geom(scratch_size), max_img_sectors=256,
              ncs_version=(3, 0, 0))
    assert "scratch-too-small" in codes(old) and old.boots
    assert "running-image-too-large" not in codes(old)


def test_law4_scratch_of_one_large_page_is_enough_for_the_check():
    an = run("swap-scratch", geom(0xE0000), geom(0xE0000, page=K64), scratch=geom(K64),
             max_img_sectors=256)
    assert "scratch-too-small" not in codes(an) and an.upgrade_possible


# ---------------------------------------------------------------------------------------------
# Law 5: the update size bound B
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("m,n_p", [(m, n) for m in (64, 128, 256, 512)
                                    for n in (40, 64, 100, 122) if n <= m])
def test_law5_swap_move_bound(m, n_p):
    a = area(12 * m + 48)
    for n_s in (n_p, n_p - 1):
        an = run("swap-move", geom(n_p * K4), geom(n_s * K4), max_img_sectors=m)
        assert an.trailer_area == a
        assert an.max_image_size == (n_p - 1) * K4 - a
        assert an.accepted_image_size == an.max_image_size


@pytest.mark.parametrize("m,n_p", [(m, n) for m in (64, 128, 256)
                                    for n in (40, 63, 100) if n + 1 <= m])
def test_law5_swap_offset_bound(m, n_p):
    a = area(8 * m + 56)
    an = run("swap-offset", geom(n_p * K4), geom((n_p + 1) * K4), max_img_sectors=m)
    assert an.max_image_size == n_p * K4 - a
    an = run("swap-offset", geom(n_p * K4), geom(n_p * K4), max_img_sectors=m)
    assert an.max_image_size == (n_p - 1) * K4 - a


def test_law5_ncs_2_4_to_3_0_allowed_one_sector_more():
    p = s = geom(0x72000)                                  # equal slots, 114 sectors
    old = run("swap-move", p, s, ncs_version=(2, 9, 0))
    new = run("swap-move", p, s, ncs_version=(3, 1, 0))
    assert old.max_image_size == 114 * K4 - K4
    assert new.max_image_size == 113 * K4 - K4
    assert old.max_image_size - new.max_image_size == K4
    # Before NCS 2.4 MCUboot did not check the size at all.
    none = run("swap-move", p, s, ncs_version=(2, 3, 0))
    assert reason(none, "size-bound-not-enforced").outcome == "note"
    assert none.running_image_limit is None


def test_law5_swap_scratch_bound_counts_only_complete_chunks():
    # 0xE8000 primary on 4 KiB vs 15 x 64 KiB: the last 32 KiB of the primary is unusable.
    an = run("swap-scratch", geom(0xE8000), geom(0xF0000, page=K64), scratch=geom(0x20000),
             max_img_sectors=256)
    t = 12 * 256 + 48
    assert an.max_image_size == 0xE0000 - t
    # Equal 4 KiB slots: slot - T (pad 0).
    an = run("swap-scratch", geom(0x72000), geom(0x72000), scratch=geom(0x8000))
    assert an.max_image_size == 0x72000 - 1584


def test_law5_swap_scratch_padding_when_trailer_crosses_a_page():
    # M=338 gives T = 4104: 8 bytes of trailer in its lowest page, the scratch trailer needs 60,
    # so MCUboot keeps 52 bytes of padding below the trailer.
    m = 338
    t = trailer_size("swap-scratch", m)
    assert t == 4104
    an = run("swap-scratch", geom(100 * K4), geom(100 * K4), scratch=geom(0x8000),
             max_img_sectors=m)
    assert an.max_image_size == 100 * K4 - t - (3 * 4 + 48 - 8)


@pytest.mark.parametrize("p_size,s_size", [(0x72000, 0x72000), (0xE8000, 0xF0000)])
def test_law5_overwrite_bound(p_size, s_size):
    s_page = K4 if s_size == p_size else K64
    an = run("overwrite-only", geom(p_size), geom(s_size, page=s_page), max_img_sectors=256)
    assert an.max_image_size == min(p_size, s_size) - 40
    assert an.accepted_image_size == s_size - 40
    assert overwrite_bound(p_size) == p_size - 40
    assert overwrite_bound(p_size, max_align=16) == p_size - 64


def test_law5_tiny_slots_leave_no_room():
    an = run("swap-move", geom(K4), geom(K4))
    assert reason(an, "no-room-for-image").outcome == "refuses"
    assert not an.upgrade_possible and an.max_image_size is None


# ---------------------------------------------------------------------------------------------
# Law 6: the running image is checked against the same bound
# ---------------------------------------------------------------------------------------------

def test_law6_hand_checked_boundary():
    p, s = geom(0x76000), geom(0x3B000)
    ok = run("swap-move", p, s, running=0x3A000)
    assert ok.running_image_limit == 0x3A000
    assert ok.boots and "running-image-too-large" not in codes(ok)
    assert outcomes(ok)["sector-count-incompatible"] == "refuses"
    bad = run("swap-move", p, s, running=0x3A001)
    r = reason(bad, "running-image-too-large")
    assert r.outcome == "bricks" and not bad.boots
    assert r.log_line == "E: Image in the primary slot is not valid!"
    assert "0x3a001" in r.message and "0x3a000" in r.message


@pytest.mark.parametrize("secondary", [0x39000, 0x3B000, 0x50000, 0x76000])
def test_law6_64k_secondary_bricks_swap_move(secondary):
    an = run("swap-move", geom(0x76000), geom(secondary, page=K64))
    n_s = -(-secondary // K64)
    assert an.running_image_limit == n_s * K4 - K4
    assert an.running_image_limit <= REAL_APP_MIN_SIZE
    assert outcomes(an)["running-image-too-large"] == "bricks"
    assert not an.boots
    # Even the 32 KiB test image is too big.
    assert not run("swap-move", geom(0x76000), geom(secondary, page=K64), running=0x8000).boots


def test_law6_e8000_on_64k_is_56_kib():
    an = run("swap-move", geom(0xE8000), geom(0xE8000, page=K64), max_img_sectors=256)
    assert an.secondary_sectors == 15
    assert an.running_image_limit == 56 * 1024
    assert outcomes(an) == {"page-size-mismatch": "refuses", "running-image-too-large": "bricks"}


def test_law6_swap_offset_with_64k_secondary_bricks_too():
    an = run("swap-offset", geom(0x76000), geom(0x77000, page=K64))
    assert an.running_image_limit == min(118 * K4 - K4, 8 * K4 - K4 - K4)
    assert outcomes(an)["running-image-too-large"] == "bricks"


def test_law6_without_primary_validation_only_refuses():
    an = run("swap-move", geom(0x76000), geom(0x3B000, page=K64), running=0x40000,
             validate_primary=False)
    assert "running-image-too-large" not in codes(an)
    assert an.boots and "page-size-mismatch" in codes(an)


@pytest.mark.parametrize("version,bricks", [
    (dict(ncs_version=(2, 9, 0)), False),
    (dict(ncs_version=(3, 0, 0)), False),
    (dict(ncs_version=(3, 1, 0)), True),
    (dict(ncs_version=(3, 2, 1)), True),
    (dict(upstream_version=(2, 2, 0)), False),
    (dict(upstream_version=(2, 3, 0)), True),
    (dict(upstream_version=(2, 4, 0)), True),
    ({}, True),
])
def test_law6_depends_on_mcuboot_version(version, bricks):
    an = run("swap-move", geom(0x72000), geom(0x39000), running=0x40000, **version)
    assert ("running-image-too-large" in codes(an)) is bricks
    assert an.boots is (not bricks)
    beh = mcuboot_behaviour(BootParams("swap-move", **version))
    assert beh.running_bound_depends_on_secondary is bricks


def test_law6_reported_as_bound_when_size_unknown():
    an = run("swap-move", geom(0x72000), geom(0x39000))
    r = reason(an, "running-image-too-large")
    assert r.outcome == "risk" and an.boots
    assert r.numbers["running_image_limit"] == 0x38000
    assert r.numbers["primary_only_limit"] == 0x70000
    # A healthy layout raises nothing.
    assert "running-image-too-large" not in codes(run("swap-move", geom(0x72000), geom(0x71000)))


def test_law6_running_image_over_primary_bound_bricks_in_any_layout():
    an = run("swap-move", geom(0x72000), geom(0x71000), running=0x70001)
    assert outcomes(an)["running-image-too-large"] == "bricks"
    assert run("swap-move", geom(0x72000), geom(0x71000), running=0x70000).boots


# ---------------------------------------------------------------------------------------------
# Law 7: overwrite-only with a larger secondary
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("primary", [0xE8000, 0x72000, 0x39000])
def test_law7_overwrite_larger_secondary_destroys_both(primary):
    n_s = -(-primary // K64)
    secondary = n_s * K64
    assert secondary > primary
    an = run("overwrite-only", geom(primary), geom(secondary, page=K64), max_img_sectors=256)
    r = reason(an, "overwrite-secondary-larger")
    assert r.outcome == "risk"
    assert r.log_line == "E: Image in the primary slot is not valid!"
    assert an.max_image_size == primary - 40
    assert an.accepted_image_size == secondary - 40
    assert hex(primary - 40) in r.message and hex(secondary - 40) in r.message


def test_law7_not_raised_for_equal_or_smaller_secondary():
    an = run("overwrite-only", geom(0xE0000), geom(0xE0000, page=K64), max_img_sectors=256)
    assert "overwrite-secondary-larger" not in codes(an)
    an = run("overwrite-only", geom(0x72000), geom(0x72000))
    assert "overwrite-secondary-larger" not in codes(an) and serious(an) == []


# ---------------------------------------------------------------------------------------------
# Law 8: swap-scratch chunk alignment with larger secondary pages
# ---------------------------------------------------------------------------------------------

def test_law8_scratch_1e000_with_64k_pages():
    p, s = geom(0xE0000), geom(0xE0000, page=K64)
    scratch = geom(0x1E000)
    an = run("swap-scratch", p, s, scratch=scratch, max_img_sectors=256)
    r = reason(an, "scratch-chunk-misaligned")
    # Only images up to 64 KiB survive (measured): that exact bound is given, not "no upgrade".
    assert r.numbers["safe_swap_size"] == K64
    assert r.outcome == "risk" and an.upgrade_possible and an.max_image_size == K64
    assert "at most 0x10000 (64 KiB)" in r.message and "0x20000" in r.message
    # With a known small running image it is a size-dependent risk.
    small = run("swap-scratch", p, s, scratch=scratch, running=0x8000, max_img_sectors=256)
    assert outcomes(small)["scratch-chunk-misaligned"] == "risk"
    assert small.max_image_size == K64 and small.upgrade_possible
    big = run("swap-scratch", p, s, scratch=scratch, running=0x10001, max_img_sectors=256)
    assert outcomes(big)["scratch-chunk-misaligned"] == "bricks"
    assert big.max_image_size is None


@pytest.mark.parametrize("scratch_size,safe", [(0x20000, None), (0x30000, None), (0x28000, 0x20000),
                                               (0x10000, None), (0x2F000, 0x20000)])
def test_law8_chunk_rule(scratch_size, safe):
    an = run("swap-scratch", geom(0xE0000), geom(0xE0000, page=K64), scratch=geom(scratch_size),
             running=0x8000, max_img_sectors=256)
    if safe is None:
        assert "scratch-chunk-misaligned" not in codes(an)
        assert an.max_image_size == 0xE0000 - an.trailer_size
    else:
        assert reason(an, "scratch-chunk-misaligned").numbers["safe_swap_size"] == safe
        assert an.max_image_size == safe


def test_law8_not_raised_for_equal_pages():
    an = run("swap-scratch", geom(0x72000), geom(0x72000), scratch=geom(0x1E000))
    assert "scratch-chunk-misaligned" not in codes(an)


# ---------------------------------------------------------------------------------------------
# Law 9: partial last page
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["swap-scratch", "overwrite-only"])
def test_law9_partial_last_page(mode):
    scratch = geom(0x20000) if mode == "swap-scratch" else None
    an = run(mode, geom(0xE8000), geom(0xE8000, page=K64), scratch=scratch, max_img_sectors=256)
    r = reason(an, "partial-last-page")
    assert r.outcome == "risk"
    assert r.numbers["overhang"] == 0x8000
    assert "CONFIG_ASSERT" in r.message and "0xf0000" in r.message
    whole = run(mode, geom(0xE8000), geom(0xF0000, page=K64), scratch=scratch,
                max_img_sectors=256)
    assert "partial-last-page" not in codes(whole)


# ---------------------------------------------------------------------------------------------
# Modes without a compatibility check
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["direct-xip", "direct-xip-revert", "ram-load"])
def test_two_slot_modes_without_check(mode):
    an = run(mode, geom(0x72000), geom(0x39000, page=K64))
    assert reason(an, "no-compatibility-check").outcome == "note"
    assert serious(an) == []
    assert an.max_image_size == 0x39000 - 40


@pytest.mark.parametrize("mode", ["single-app", "firmware-loader"])
def test_single_slot_modes(mode):
    an = run(mode, geom(0xF4000), None)
    assert an.trailer_size == 48
    assert an.max_image_size == 0xF4000 - 48
    assert reason(an, "no-compatibility-check").outcome == "note"
    assert an.needed_max_img_sectors == 0 and an.boots


# ---------------------------------------------------------------------------------------------
# NCS with its immutable bootloader: the slot check is skipped up to NCS 3.1
# ---------------------------------------------------------------------------------------------

def test_nsib_builds_skip_the_check_up_to_ncs_3_1():
    p, s = geom(0x72000), geom(0x39000)
    skipped = run("swap-move", p, s, ncs_version=(2, 8, 0), nsib=True)
    r = reason(skipped, "sector-count-incompatible")
    assert r.outcome == "risk" and r.log_line is None and r.numbers["check_skipped"]
    checked = run("swap-move", p, s, ncs_version=(3, 2, 0), nsib=True)
    assert outcomes(checked)["sector-count-incompatible"] == "refuses"
    plain = run("swap-move", p, s, ncs_version=(2, 8, 0))
    assert outcomes(plain)["sector-count-incompatible"] == "refuses"


# ---------------------------------------------------------------------------------------------
# Messages and result shape
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", MODES)
def test_every_mode_gives_a_complete_analysis(mode):
    scratch = geom(0x8000) if mode == "swap-scratch" else None
    second = None if mode in ("single-app", "firmware-loader") else geom(0x71000)
    an = run(mode, geom(0x72000), second, scratch=scratch)
    assert an.mode == mode and an.primary_sectors == 114
    for r in an.reasons:
        assert r.outcome in ("bricks", "refuses", "risk", "note")
        assert r.message.endswith(".")


def test_messages_state_sizes_in_hex_and_kib():
    an = run("swap-move", geom(0xF4000), geom(0xF4000))
    msg = reason(an, "primary-too-many-sectors").message
    assert "0xf4000 (976 KiB)" in msg and "244" in msg and "128" in msg
