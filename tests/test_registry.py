"""The rule registry: every rule's metadata in one place, and the engine runs a rule only where its
metadata says it applies."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from dfulint.checks import NEEDS, Applies, load_all
from dfulint.engine import Options, run
from helpers import MCUMGR_BT_CHAIN, make_app


def target(framework="ncs", build_system="sysbuild", rng=((2, 7, 0), (2, 9, 0)), **facts):
    base = dict(uses_pm=True, soc=SimpleNamespace(name="nrf52840"), mcuboot_enabled=True, pm_static=None,
                sysbuild=SimpleNamespace(config=object()))
    base.update(facts)
    app = SimpleNamespace(framework=framework)
    return SimpleNamespace(app=app, build_system=build_system, sdk=SimpleNamespace(range=rng), **base)


@pytest.mark.parametrize("ncs, rng, expected", [
    (((2, 7), None), ((2, 7, 0), (2, 9, 0)), True),
    (((2, 7), None), ((2, 0, 0), (2, 6, 99)), False),      # every possible version is before 2.7
    (((2, 7), None), ((2, 5, 0), (2, 9, 0)), True),        # may be 2.7 or later: the rule decides
    ((None, (3, 1)), ((3, 1, 0), (3, 2, 0)), False),       # every possible version is 3.1 or later
    ((None, (3, 1)), ((3, 0, 0), (3, 2, 0)), True),
    (((1, 7), (2, 1)), ((2, 0, 0), (2, 0, 0)), True),
])
def test_version_range_skips_only_when_every_possible_version_is_outside(ncs, rng, expected):
    assert Applies(ncs=ncs).matches(target(rng=rng)) is expected


def test_versions_do_not_judge_plain_zephyr():
    t = target(framework="zephyr", build_system="zephyr", rng=((4, 0, 0), (4, 0, 0)))
    assert Applies(ncs=((2, 7), None)).matches(t)
    assert not Applies(frameworks=("ncs",)).matches(t)


def test_build_systems_and_needs():
    assert not Applies(build_systems=("sysbuild",)).matches(target(build_system="child_image"))
    assert Applies(build_systems=("sysbuild",)).matches(target())
    assert not Applies(needs=("mcuboot",)).matches(target(mcuboot_enabled=False))
    assert not Applies(needs=("pm-static",)).matches(target())
    assert not Applies(needs=("partition-manager",)).matches(target(uses_pm=False))
    assert not Applies(needs=("app-core",)).matches(target(soc=SimpleNamespace(name="nrf5340_cpunet")))
    assert not Applies(needs=("sysbuild",)).matches(target(sysbuild=None))
    assert Applies(needs=tuple(NEEDS)).matches(target(pm_static=object()))


def test_every_rule_is_one_function_named_after_it():
    rules = load_all()
    assert len(rules) >= 70
    funcs = [r.func for r in rules.values()]
    assert len(set(funcs)) == len(funcs)
    for r in rules.values():
        assert r.func.__name__ == r.name.replace("-", "_"), r.code
        assert all(n in NEEDS for n in r.applies.needs), r.code


def test_engine_does_not_run_a_rule_where_it_does_not_apply(tmp_path, monkeypatch):
    """DFU304 applies to sysbuild builds of NCS 2.7 and later: a child-image app never reaches it."""
    rules = load_all()
    calls = []

    def spy(t):
        calls.append(t.build_system)
        return ()

    monkeypatch.setitem(rules, "DFU304", rules["DFU304"]._replace(func=spy))
    child = make_app(tmp_path / "child", {"prj.conf": MCUMGR_BT_CHAIN,
                                          "child_image/mcuboot.conf": "CONFIG_BOOT_MAX_IMG_SECTORS=256\n"}, git=True)
    res = run([child], Options(select={"DFU304"}, boards=("nrf52840dk_nrf52840",), sdk_version="2.6.0"))
    assert not res.internal_errors
    assert calls == []
    sb = make_app(tmp_path / "sb", {"prj.conf": MCUMGR_BT_CHAIN, "sysbuild.conf": "SB_CONFIG_BOOTLOADER_MCUBOOT=y\n"},
                  git=True)
    run([sb], Options(select={"DFU304"}, boards=("nrf52840dk_nrf52840",), sdk_version="2.8.0"))
    assert calls == ["sysbuild"]


def test_rules_json_lists_where_each_rule_applies():
    import json

    from click.testing import CliRunner

    from dfulint.cli import cli

    res = CliRunner().invoke(cli, ["rules", "--format", "json"])
    by_code = {r["code"]: r for r in json.loads(res.output)}
    assert by_code["DFU304"]["applies"].startswith("NCS 2.7+")
    assert "sysbuild" in by_code["DFU304"]["applies"]
    assert by_code["DFU309"]["applies"].startswith("NCS before 3.1")
