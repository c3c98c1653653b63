"""The release gate (`check --against`): a small repository with two tagged releases, each kind of
incompatibility against the latest tag, compatible changes that pass, and the other forms of
the release (build directory, source folder, map snapshot)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.helpers import run_cli, stderr_of, write_tree

BOARD = ["--board", "nrf52840dk/nrf52840"]
WEST = """manifest:
  remotes:
    - name: ncs
      url-base: https://github.com/nrfconnect
  projects:
    - name: nrf
      repo-path: sdk-nrf
      remote: ncs
      revision: v2.9.0
      import: true
  self:
    path: sensor
"""
CMAKE = ("cmake_minimum_required(VERSION 3.20.0)\nfind_package(Zephyr REQUIRED HINTS $ENV{ZEPHYR_BASE})\n"
         "project(sensor)\ntarget_sources(app PRIVATE src/main.c)\n")
PRJ = """CONFIG_BT=y
CONFIG_BT_PERIPHERAL=y
CONFIG_MCUMGR=y
CONFIG_MCUMGR_GRP_IMG=y
CONFIG_MCUMGR_TRANSPORT_BT=y
CONFIG_SETTINGS=y
CONFIG_NVS=y
CONFIG_MCUBOOT_IMGTOOL_SIGN_VERSION="{v}"
"""
SB = 'SB_CONFIG_BOOTLOADER_MCUBOOT=y\nSB_CONFIG_BOOT_SIGNATURE_KEY_FILE="${APP_DIR}/keys/release.pem"\n'
KEY = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgrelease1\n-----END PRIVATE KEY-----\n"


def pm(sec=(0x7e000, 0x72000), settings=(0xf0000, 0x10000)) -> str:
    return f"""mcuboot:
  address: 0x0
  size: 0xc000
  region: flash_primary
mcuboot_pad:
  address: 0xc000
  size: 0x200
  region: flash_primary
mcuboot_primary:
  address: 0xc000
  size: 0x72000
  span: [mcuboot_pad, app]
  region: flash_primary
app:
  address: 0xc200
  size: 0x71e00
  region: flash_primary
mcuboot_secondary:
  address: 0x{sec[0]:x}
  size: 0x{sec[1]:x}
  region: flash_primary
settings_storage:
  address: 0x{settings[0]:x}
  size: 0x{settings[1]:x}
  region: flash_primary
"""


def app_files(version="1.0.0", sb="", pm_text=None, prj_extra="", key=KEY, main="int main(void) { return 0; }\n"):
    return {"sensor/west.yml": WEST, "sensor/CMakeLists.txt": CMAKE,
            "sensor/prj.conf": PRJ.replace("{v}", version) + prj_extra, "sensor/sysbuild.conf": SB + sb,
            "sensor/pm_static.yml": pm_text or pm(), "sensor/keys/release.pem": key, "sensor/src/main.c": main}


def git(repo: Path, *args: str) -> str:
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@example.com", GIT_CONFIG_NOSYSTEM="1")
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True,
                          env=env).stdout


needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    """A product repository with two releases: v1.0.0, then v1.1.0 (a new feature, a bigger image)."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    r = tmp_path_factory.mktemp("product")
    git(r, "init", "-q")
    write_tree(r, app_files(), git=False)
    git(r, "add", "-A")
    git(r, "commit", "-qm", "first release")
    git(r, "tag", "v1.0.0")
    write_tree(r, app_files("1.1.0", prj_extra="CONFIG_BT_DIS=y\n",
                            main="int main(void) { /* battery service */ return 1; }\n" * 40), git=False)
    git(r, "add", "-A")
    git(r, "commit", "-qm", "battery service")
    git(r, "tag", "v1.1.0")
    return r


def check(repo: Path, files: dict, against: str = "v1.1.0", *extra: str) -> list[dict]:
    """The 8xx findings of the working tree with `files` written over the latest release."""
    write_tree(repo, {**app_files("1.1.0", prj_extra="CONFIG_BT_DIS=y\n"), **files}, git=False)
    try:
        res = run_cli(["check", str(repo / "sensor"), *BOARD, "--against", against, "--select", "DFU8",
                       "--format", "json", *extra])
        assert res.exit_code in (0, 1), stderr_of(res)
        return json.loads(res.output)["findings"]
    finally:
        git(repo, "checkout", "-q", "--", ".")
        git(repo, "clean", "-qfd")


def codes(findings) -> set:
    return {f["code"] for f in findings}


@needs_git
def test_compatible_release_passes(repo):
    """v1.1.0 (a new feature, a bigger image in the same slots) against v1.0.0: nothing to report."""
    assert check(repo, {}, "v1.0.0") == []
    assert check(repo, {}, "v1.1.0") == []


@needs_git
def test_secondary_slot_moved(repo):
    f = check(repo, {"sensor/pm_static.yml": pm(sec=(0x7f000, 0x71000))})
    assert codes(f) == {"DFU801"}
    assert f[0]["severity"] == "error" and f[0]["path"] == "pm_static.yml" and f[0]["line"] == 19
    assert "release v1.1.0: mcuboot_secondary 0x7e000+0x72000; this tree: mcuboot_secondary 0x7f000+0x71000" \
        in f[0]["message"]


@needs_git
def test_every_format_carries_the_comparison(repo, tmp_path):
    write_tree(repo, {**app_files("1.1.0", prj_extra="CONFIG_BT_DIS=y\n"),
                      "sensor/pm_static.yml": pm(sec=(0x7f000, 0x71000))}, git=False)
    try:
        out = {fmt: tmp_path / f"r.{fmt}" for fmt in ("json", "sarif", "html", "junit", "gitlab", "text")}
        res = run_cli(["check", str(repo / "sensor"), *BOARD, "--against", "v1.1.0", "--select", "DFU8",
                       *[x for fmt, p in out.items() for x in ("--format", f"{fmt}:{p}")]])
        assert res.exit_code == 1, stderr_of(res)
        doc = json.loads(out["json"].read_text())
        assert doc["against"] == "release v1.1.0" and doc["findings"][0]["code"] == "DFU801"
        for fmt in ("sarif", "junit", "gitlab", "text"):
            assert "DFU801" in out[fmt].read_text() and "0x7e000+0x72000" in out[fmt].read_text(), fmt
        html = out["html"].read_text()
        assert "Against release v1.1.0" in html and 'class="release-map"' in html
        assert 'data-change="moved"' in html                     # the secondary slot, on both maps
        assert "mcuboot_secondary</code> moved" in html
    finally:
        git(repo, "checkout", "-q", "--", ".")


@needs_git
def test_settings_moved_loses_data(repo):
    f = check(repo, {"sensor/pm_static.yml": pm(settings=(0xf8000, 0x8000))})
    assert codes(f) == {"DFU802"}
    assert "settings_storage 0xf0000+0x10000" in f[0]["message"] and f[0]["severity"] == "error"


@needs_git
def test_settings_resized_in_place_is_a_warning(repo):
    f = check(repo, {"sensor/pm_static.yml": pm(settings=(0xf0000, 0x8000))})
    assert [(x["code"], x["severity"]) for x in f] == [("DFU802", "warning")]


@needs_git
def test_signature_type_changed(repo):
    f = check(repo, {"sensor/sysbuild.conf": SB + "SB_CONFIG_BOOT_SIGNATURE_TYPE_RSA=y\n"})
    assert codes(f) == {"DFU804"}
    assert "ecdsa-p256" in f[0]["message"] and "rsa-2048" in f[0]["message"]


@needs_git
def test_key_contents_changed_under_the_same_name(repo):
    f = check(repo, {"sensor/keys/release.pem": KEY.replace("release1", "rotated2")})
    assert codes(f) == {"DFU804"}
    assert "sha256" in f[0]["message"] and "rotated2" not in json.dumps(f)   # the key is never shown


@needs_git
def test_encryption_turned_on(repo):
    assert codes(check(repo, {"sensor/sysbuild.conf": SB + "SB_CONFIG_BOOT_ENCRYPTION=y\n"})) == {"DFU805"}


@needs_git
def test_mode_changed(repo):
    f = check(repo, {"sensor/sysbuild.conf": SB + "SB_CONFIG_MCUBOOT_MODE_DIRECT_XIP=y\n"})
    assert "DFU806" in codes(f)
    assert "DFU803" not in codes(f)


@needs_git
def test_version_backwards(repo):
    f = check(repo, {"sensor/prj.conf": PRJ.replace("{v}", "1.0.5") + "CONFIG_BT_DIS=y\n"})
    assert [(x["code"], x["severity"]) for x in f] == [("DFU807", "info")]


@needs_git
def test_nsib_added(repo):
    assert "DFU808" in codes(check(repo, {"sensor/sysbuild.conf": SB + "SB_CONFIG_SECURE_BOOT_APPCORE=y\n"}))


@needs_git
def test_mcuboot_dropped(repo):
    f = check(repo, {"sensor/sysbuild.conf": "SB_CONFIG_BOOTLOADER_MCUBOOT=n\n"})
    assert ("DFU808", "warning") in [(x["code"], x["severity"]) for x in f]


@needs_git
def test_mcuboot_settings_that_never_reach_the_field(repo):
    f = check(repo, {"sensor/sysbuild.conf": SB + "SB_CONFIG_MCUBOOT_MODE_SWAP_SCRATCH=y\n"})
    assert ("DFU808", "info") in [(x["code"], x["severity"]) for x in f]
    assert "swap-move -> swap-scratch" in next(x["message"] for x in f if x["code"] == "DFU808")
    assert "DFU806" not in codes(f)          # the application's side of swap-move and swap-scratch is the same


@needs_git
def test_image_count_grew(repo):
    assert codes(check(repo, {"sensor/sysbuild.conf": SB + "SB_CONFIG_MCUBOOT_UPDATEABLE_IMAGES=2\n"})) == {"DFU809"}


@needs_git
def test_built_image_too_large_for_the_shipped_bootloader(repo):
    """A build directory's signed image: bigger than the release's MCUboot accepts fails, one that still
    fits passes."""
    def with_build(size: int) -> list[dict]:
        build = repo / "build"
        (build / "sensor" / "zephyr").mkdir(parents=True, exist_ok=True)
        (build / "sensor" / "zephyr" / "zephyr.signed.bin").write_bytes(b"\xff" * size)
        shutil.copy(repo / "sensor" / "pm_static.yml", build / "partitions.yml")
        return check(repo, {}, "v1.1.0", "--build-dir", str(build))

    f = with_build(0x72000)
    assert [(x["code"], x["severity"]) for x in f] == [("DFU803", "error")]
    assert with_build(0x60000) == []


@needs_git
def test_app_missing_in_release_is_reported_not_compared(repo):
    write_tree(repo, {f"other/{k.split('/', 1)[1]}": v for k, v in app_files().items()}, git=False)
    try:
        res = run_cli(["check", str(repo / "other"), *BOARD, "--against", "v1.0.0", "--select", "DFU8",
                       "--format", "json"])
        f = json.loads(res.output)["findings"]
        assert [(x["code"], x["severity"]) for x in f] == [("DFU800", "info")]
        assert "does not exist at v1.0.0" in f[0]["message"]
    finally:
        git(repo, "clean", "-qfd")


@needs_git
def test_an_app_moved_since_the_release_is_found_by_its_folder_name(repo):
    write_tree(repo, {f"products/{k}": v for k, v in app_files("1.1.0", pm_text=pm(settings=(0xf8000, 0x8000))).items()},
               git=False)
    try:
        res = run_cli(["check", str(repo / "products" / "sensor"), *BOARD, "--against", "v1.0.0", "--select", "DFU8",
                       "--format", "json"])
        assert codes(json.loads(res.output)["findings"]) == {"DFU802"}
    finally:
        git(repo, "clean", "-qfd")


@needs_git
def test_unknown_revision_is_a_usage_error(repo):
    res = run_cli(["check", str(repo / "sensor"), *BOARD, "--against", "v9.9.9"])
    assert res.exit_code == 2
    assert "--against" in stderr_of(res) and "v9.9.9" in stderr_of(res) and "Traceback" not in stderr_of(res)


@needs_git
def test_release_reading_takes_regular_blobs_only(repo, tmp_path):
    """A symlink committed in the release is not followed and not written; files stay in the private folder."""
    from dfulint.release import Release

    (repo / "sensor" / "boards").mkdir()
    os.symlink("/etc/hostname", repo / "sensor" / "boards" / "nrf52840dk_nrf52840.overlay")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "symlink")
    git(repo, "tag", "v1.2.0-evil")
    rel = Release("v1.2.0-evil", [repo / "sensor"])
    try:
        tree = next(iter(rel.git.values()))
        root = tree.materialise("sensor")
        assert (root / "prj.conf").is_file()
        assert not (root / "boards" / "nrf52840dk_nrf52840.overlay").exists()
        assert (tree.dir / ".git").is_dir()                 # its own project root
        assert all(not p.is_symlink() for p in tree.dir.rglob("*"))
        d = tree.dir
    finally:
        rel.close()
        git(repo, "tag", "-d", "v1.2.0-evil")
        git(repo, "reset", "-q", "--hard", "v1.1.0")
    assert not d.exists()                                    # removed at the end of the run


def test_build_directory_is_the_truth_of_what_shipped(tmp_path):
    build = write_tree(tmp_path / "release-build", {
        "partitions.yml": pm(),
        "mcuboot/zephyr/.config": "CONFIG_BOARD=\"nrf52840dk\"\nCONFIG_BOARD_TARGET=\"nrf52840dk/nrf52840\"\n"
                                  "CONFIG_BOOT_SWAP_USING_MOVE=y\nCONFIG_BOOT_MAX_IMG_SECTORS=128\n"
                                  "CONFIG_BOOT_SIGNATURE_TYPE_ECDSA_P256=y\nCONFIG_UPDATEABLE_IMAGE_NUMBER=1\n",
        "sensor/zephyr/.config": "CONFIG_BOARD=\"nrf52840dk\"\nCONFIG_BOARD_TARGET=\"nrf52840dk/nrf52840\"\n"
                                 "CONFIG_MCUBOOT_BOOTLOADER_MODE_SWAP_USING_MOVE=y\n"
                                 "CONFIG_MCUBOOT_IMGTOOL_SIGN_VERSION=\"1.0.0\"\n"}, git=False)
    app = write_tree(tmp_path / "repo", {k: v for k, v in app_files("1.1.0").items()})
    res = run_cli(["check", str(app / "sensor"), *BOARD, "--against", str(build), "--select", "DFU8",
                   "--format", "json"])
    assert json.loads(res.output)["findings"] == [], res.output
    (app / "sensor" / "pm_static.yml").write_text(pm(sec=(0x80000, 0x70000)))
    res = run_cli(["check", str(app / "sensor"), *BOARD, "--against", str(build), "--select", "DFU8",
                   "--format", "json"])
    f = json.loads(res.output)["findings"]
    assert codes(f) == {"DFU801"} and "release build (build): mcuboot_secondary" in f[0]["message"]


def test_source_folder_and_snapshot_forms(tmp_path):
    old = write_tree(tmp_path / "v1", app_files())
    new = write_tree(tmp_path / "v2", app_files("1.1.0", pm_text=pm(settings=(0xf8000, 0x8000))))
    res = run_cli(["check", str(new / "sensor"), *BOARD, "--against", str(old / "sensor"), "--select", "DFU8",
                   "--format", "json"])
    assert codes(json.loads(res.output)["findings"]) == {"DFU802"}
    # a tree of apps against a tree of apps: matched by path
    res = run_cli(["check", str(new), *BOARD, "--against", str(old), "--select", "DFU8", "--format", "json"])
    assert codes(json.loads(res.output)["findings"]) == {"DFU802"}
    snap = tmp_path / "v1.json"
    res = run_cli(["map", str(old / "sensor"), *BOARD, "--format", "json"])
    snap.write_text(res.output)
    assert json.loads(res.output)["apps"][0]["release"]["mode"] == "swap-move"
    res = run_cli(["check", str(new / "sensor"), *BOARD, "--against", str(snap), "--select", "DFU8",
                   "--format", "json"])
    assert codes(json.loads(res.output)["findings"]) == {"DFU802"}


@pytest.mark.parametrize("text", ["{", "[]", '{"apps": [{"release": 5}]}', '{"apps": "x"}'])
def test_broken_snapshot_is_a_clear_error(tmp_path, text):
    app = write_tree(tmp_path / "repo", app_files())
    bad = tmp_path / "snap.json"
    bad.write_text(text)
    res = run_cli(["check", str(app / "sensor"), *BOARD, "--against", str(bad)])
    assert res.exit_code == 2 and "--against" in stderr_of(res) and "Traceback" not in stderr_of(res)


def test_hostile_snapshot_values_are_ignored(tmp_path):
    app = write_tree(tmp_path / "repo", app_files())
    snap = tmp_path / "snap.json"
    snap.write_text(json.dumps({"apps": [{"app": "sensor", "release": {
        "board": "nrf52840dk_nrf52840", "mcuboot": True, "mode": 7, "max_img_sectors": -1,
        "partitions": [{"name": "mcuboot_secondary", "address": "0x0", "size": 5},
                       {"name": "mcuboot_primary", "address": 0xc000, "size": 0x72000, "device": "flash_primary"}]}}]}))
    res = run_cli(["check", str(app / "sensor"), *BOARD, "--against", str(snap), "--select", "DFU8",
                   "--format", "json"])
    assert res.exit_code in (0, 1), stderr_of(res)
    assert codes(json.loads(res.output)["findings"]) <= {"DFU801", "DFU800"}


@needs_git
def test_action_checks_against_the_latest_tag(repo, tmp_path):
    """The GitHub Action's `against: latest-tag` resolves the newest tag and passes it on."""
    import subprocess
    import sys

    import yaml

    root = Path(__file__).resolve().parent.parent
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("bash not available")
    action = yaml.safe_load((root / "action.yml").read_text())
    script = next(s for s in action["runs"]["steps"] if s.get("id") == "check")["run"]
    shim = tmp_path / "bin" / "dfulint"
    shim.parent.mkdir()
    shim.write_text(f'#!/bin/sh\nPYTHONPATH="{root}" exec "{sys.executable}" -m dfulint "$@"\n')
    shim.chmod(0o755)
    write_tree(repo, {**app_files("1.1.0", prj_extra="CONFIG_BT_DIS=y\n"),
                      "sensor/pm_static.yml": pm(sec=(0x7f000, 0x71000))}, git=False)
    try:
        env = dict(os.environ, PATH=f"{shim.parent}{os.pathsep}{os.environ['PATH']}",
                   GITHUB_OUTPUT=str(tmp_path / "out"), DFULINT_PATHS="sensor",
                   DFULINT_ARGS="--board nrf52840dk/nrf52840 --select DFU8", DFULINT_SARIF=str(tmp_path / "r.sarif"),
                   DFULINT_HTML="", DFULINT_AGAINST="latest-tag")
        proc = subprocess.run([bash, "-e", "-c", script], cwd=repo, env=env, capture_output=True, text=True,
                              timeout=180)
        assert proc.returncode == 0, proc.stderr
        assert (tmp_path / "out").read_text().strip() == "exit-code=1"
        sarif = json.loads((tmp_path / "r.sarif").read_text())
        results = sarif["runs"][0]["results"]
        assert [r["ruleId"] for r in results] == ["DFU801"]
        assert "release v1.1.0" in results[0]["message"]["text"]
    finally:
        git(repo, "checkout", "-q", "--", ".")


def test_layout_file_named_in_cmakelists(tmp_path):
    """NCS 2.x Matter samples name their layout in CMakeLists.txt (set(PM_STATIC_YML_FILE ...)); the
    release's layout is that file, and two alternatives (one per build variant) leave it undecided."""
    cmake = ("cmake_minimum_required(VERSION 3.20.0)\n"
             'if(NOT CONF_FILE STREQUAL "prj_no_dfu.conf")\n'
             "    set(PM_STATIC_YML_FILE\n        ${CMAKE_CURRENT_SOURCE_DIR}/configuration/${BOARD}/pm_static_dfu.yml)\n"
             "endif()\nfind_package(Zephyr REQUIRED HINTS $ENV{ZEPHYR_BASE})\nproject(light)\n")
    app = write_tree(tmp_path / "light", {"CMakeLists.txt": cmake, "prj.conf": "CONFIG_BT=y\n",
                                          "configuration/nrf52840dk_nrf52840/pm_static_dfu.yml": pm()})
    res = run_cli(["map", str(app), "--board", "nrf52840dk_nrf52840", "--sdk-version", "2.0.0", "--format", "json"])
    d = json.loads(res.output)["apps"][0]
    assert d["layout_origin"] == "pm_static"
    assert {"name": "mcuboot_secondary", "device": "flash_primary", "address": 0x7e000, "size": 0x72000,
            "static": True} in d["release"]["partitions"]
    assert d["release"]["mcuboot"] is True          # the pinned layout holds MCUboot's slots
    (app / "CMakeLists.txt").write_text(cmake.replace("endif()", "else()\n  set(PM_STATIC_YML_FILE other.yml)\nendif()"))
    res = run_cli(["map", str(app), "--board", "nrf52840dk_nrf52840", "--sdk-version", "2.0.0", "--format", "json"])
    assert json.loads(res.output)["apps"][0]["layout_origin"] != "pm_static"
