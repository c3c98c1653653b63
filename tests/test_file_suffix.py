"""FILE_SUFFIX (Zephyr 3.6, NCS 2.6): the `_<suffix>` variant of each configuration file replaces the
plain one; dfulint learns the suffix from --file-suffix or an unconditional set(FILE_SUFFIX ...) in
CMakeLists.txt, and names a sample.yaml scenario's suffix without applying it."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from dfulint.cli import cli

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "fixtures" / "apps" / "ncs-2.8-sysbuild-file-suffix-release"


def run(app: Path, *args: str):
    res = CliRunner().invoke(cli, ["check", str(app), "--isolated", *args])
    assert res.exit_code in (0, 1), res.output
    return res


def findings(app: Path, *args: str) -> list:
    return json.loads(run(app, "--format", "json", *args).output)["findings"]


def layers(app: Path, suffix=None, board="nrf52840dk/nrf52840"):
    from dfulint.model.project import build_targets
    from dfulint.workspace import describe_app

    (t,) = build_targets(describe_app(app, [board], file_suffix=suffix))
    return {name: [str(x.path.relative_to(app)) for x in img.conf_layers]
            for name, img in list(t.images.items()) + [("sysbuild", t.sysbuild)] if img is not None}


def test_without_a_suffix_the_plain_files_are_read():
    got = layers(APP)
    assert got["app"] == ["prj.conf", "boards/nrf52840dk_nrf52840.conf"]
    assert got["mcuboot"] == ["sysbuild/mcuboot/prj.conf"]
    assert got["sysbuild"] == ["sysbuild.conf"]
    assert any(f["code"] == "DFU702" and f["path"] == "sysbuild.conf" for f in findings(APP))


def test_file_suffix_replaces_every_file_that_has_a_variant():
    got = layers(APP, "release")
    assert got["app"] == ["prj_release.conf", "boards/nrf52840dk_nrf52840_release.conf"]
    assert got["mcuboot"] == ["sysbuild/mcuboot/prj_release.conf"]
    assert got["sysbuild"] == ["sysbuild_release.conf"]
    codes = {f["code"] for f in findings(APP, "--file-suffix", "release")}
    assert "DFU702" not in codes and "DFU703" not in codes    # the release key, downgrade prevention


def test_the_output_says_which_suffix_was_used_and_where_it_came_from():
    out = run(APP, "--file-suffix", "release").output
    assert "FILE_SUFFIX=release (--file-suffix)" in out
    ctx = run(APP, "--show-context").output
    assert "sample.yaml:15 builds a scenario with FILE_SUFFIX=release" in ctx
    assert "--file-suffix release" in ctx
    ctx = run(APP, "--show-context", "--file-suffix", "release").output
    assert "FILE_SUFFIX=release  [given]  --file-suffix" in ctx
    assert "prj_release.conf  (Kconfig: application configuration; the FILE_SUFFIX=release variant)" in ctx


def test_a_suffix_set_in_cmakelists_is_used(tmp_path: Path):
    app = tmp_path / APP.name
    shutil.copytree(APP, app)
    cm = app / "CMakeLists.txt"
    cm.write_text(cm.read_text().replace("find_package", "set(FILE_SUFFIX release)\nfind_package", 1))
    assert layers(app)["sysbuild"] == ["sysbuild_release.conf"]
    assert "FILE_SUFFIX=release  [strong]  CMakeLists.txt:2" in run(app, "--show-context").output


def test_a_suffix_is_ignored_before_zephyr_3_6(tmp_path: Path):
    app = tmp_path / APP.name
    shutil.copytree(APP, app)
    (app / "west.yml").write_text((app / "west.yml").read_text().replace("v2.8.0", "v2.5.0"))
    got = layers(app, "release")
    assert got["app"] == ["prj.conf", "boards/nrf52840dk_nrf52840.conf"]


def test_a_malformed_suffix_is_a_usage_error():
    res = CliRunner().invoke(cli, ["check", str(APP), "--file-suffix", "../x"])
    assert res.exit_code == 2 and "--file-suffix" in res.output


def test_a_scenario_overlay_config_is_read_like_extra_conf_file(tmp_path: Path):
    """sdk-sidewalk's samples pass their fragments as `OVERLAY_CONFIG="overlay-hello.conf"` in extra_args."""
    app = tmp_path / APP.name
    shutil.copytree(APP, app)
    (app / "overlay-hello.conf").write_text("CONFIG_BT_DEVICE_NAME=\"Hello\"\n")
    sy = app / "sample.yaml"
    sy.write_text(sy.read_text().replace("  app.beacon.debug:\n    build_only: true\n",
                                         "  app.beacon.debug:\n    build_only: true\n    extra_args:\n"
                                         "      - OVERLAY_CONFIG=\"overlay-hello.conf\"\n"))
    assert layers(app)["app"][-1] == "overlay-hello.conf"


def test_a_scenario_built_with_a_suffix_belongs_to_that_variant(tmp_path: Path):
    """Twister builds `FILE_SUFFIX=release` scenarios as the release variant: their extra values are not
    the default build's (NCS's Matter samples add SB_CONFIG_BOOTLOADER_MCUBOOT=y there)."""
    from dfulint.model.project import build_targets
    from dfulint.workspace import describe_app

    app = tmp_path / APP.name
    shutil.copytree(APP, app)
    sy = app / "sample.yaml"
    sy.write_text(sy.read_text().replace("      - FILE_SUFFIX=release\n",
                                         "      - FILE_SUFFIX=release\n      - CONFIG_ASSERT=y\n"))

    def forced(suffix):
        (t,) = build_targets(describe_app(app, ["nrf52840dk/nrf52840"], file_suffix=suffix))
        return [a.name for a in t.images["app"].forced if a.span.path.name == "sample.yaml"]
    assert forced(None) == []
    assert forced("release") == ["ASSERT"]


def test_map_takes_the_suffix_too():
    res = CliRunner().invoke(cli, ["map", str(APP), "--file-suffix", "release", "--format", "json"])
    assert res.exit_code == 0, res.output
    res = CliRunner().invoke(cli, ["map", str(APP), "--file-suffix", "a/b"])
    assert res.exit_code == 2


def test_json_names_the_suffix():
    doc = json.loads(run(APP, "--format", "json", "--file-suffix", "release").output)
    (a,) = doc["summary"]["apps"]
    assert a["file_suffix"] == {"name": "release", "source": "--file-suffix"}
    doc = json.loads(run(APP, "--format", "json").output)
    assert doc["summary"]["apps"][0]["file_suffix"] is None
