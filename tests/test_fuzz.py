"""A short, fixed-seed fuzz run of every reader and of whole apps (the long run: python -m tests.fuzz --long)."""
from __future__ import annotations

import pytest

from tests.fuzz import FIXTURES, READERS, collect_seeds, fuzz, seed_apps

SEEDS = collect_seeds([FIXTURES])


@pytest.mark.parametrize("reader", sorted(READERS))
def test_a_reader_survives_mutated_real_files(reader):
    st = fuzz(reader, SEEDS, 400, seed=1, limit=20.0)
    assert st.inputs == 400
    assert (st.crashes, st.hangs) == (0, 0), st.first_crash


def test_whole_apps_survive_mutated_files():
    st = fuzz("app", SEEDS, 25, seed=1, limit=60.0, apps=seed_apps([FIXTURES]))
    assert st.inputs == 25
    assert (st.crashes, st.hangs) == (0, 0), st.first_crash
