"""`check --add-ignore`: a `dfulint: ignore[...]` comment for every finding, written where dfulint's
own reader finds it, so that the next run is clean and no comment is reported as unused (DFU007)."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from dfulint.add_ignore import _hazards
from helpers import make_app, run_cli, stderr_of

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "fixtures" / "seed_bl653_dvk"
REASON = "accepted before adopting dfulint"


run = run_cli


def report(app: Path, *args: str) -> tuple[int, dict]:
    res = run(["check", str(app), "--format", "json", *args])
    assert res.exit_code in (0, 1), res.output
    return res.exit_code, json.loads(res.stdout)


def lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def above(path: Path, text: str, nth: int = 0) -> str:
    """The line right above the nth line of `path` that reads `text`."""
    ls = lines(path)
    at = [i for i, s in enumerate(ls) if s == text][nth]
    return ls[at - 1]


@pytest.fixture
def seed(tmp_path: Path) -> Path:
    return Path(shutil.copytree(SEED, tmp_path / "seed"))


# ------------------------------------------------------------------ the round trip

def test_seed_round_trip(seed: Path):
    _, before = report(seed)
    assert before["findings"] and not before["suppressed"]
    originals = {p: lines(p) for p in {Path(seed, f["path"]) for f in before["findings"]}}

    res = run(["check", str(seed), f"--add-ignore={REASON}"])
    assert res.exit_code == 0, res.output
    n = len(before["findings"])
    assert f"for {n} findings in {len(originals)} files" in stderr_of(res)

    code, after = report(seed)
    assert code == 0 and after["findings"] == []
    assert not any(f["code"] == "DFU007" for f in after["findings"])
    # every finding is now suppressed by a comment, none by anything else
    key = lambda f: (f["code"], f["path"], f["anchor"], f["image"])               # noqa: E731
    assert sorted(map(key, after["suppressed"])) == sorted(map(key, before["findings"]))
    assert {s["suppression"]["kind"] for s in after["suppressed"]} == {"inline"}
    assert {s["suppression"]["reason"] for s in after["suppressed"]} == {REASON}

    # each finding's original line now has one comment above it naming every code of that line
    for f in before["findings"]:
        path = Path(seed, f["path"])
        text = originals[path][f["line"] - 1]
        codes = sorted({g["code"] for g in before["findings"] if (g["path"], g["line"]) == (f["path"], f["line"])})
        nth = originals[path][:f["line"] - 1].count(text)
        got = above(path, text, nth)
        if "file-ignore" in got:
            assert f["line"] == 1 and lines(path)[0] == got       # a whole-file finding: first line
        else:
            indent = text[: len(text) - len(text.lstrip())]
            assert got == f"{indent}# dfulint: ignore[{','.join(codes)}] {REASON}"

    # the text around them, as a reviewer reads it
    prj = lines(seed / "prj.conf")
    at = prj.index("CONFIG_MCUMGR_SMP_BT_AUTHEN=n")
    assert prj[at - 2:at + 1] == ["CONFIG_MCUMGR_SMP_BT=y", f"# dfulint: ignore[DFU701] {REASON}",
                                  "CONFIG_MCUMGR_SMP_BT_AUTHEN=n"]
    assert prj[-5:-1] == [f"# dfulint: ignore[DFU402] {REASON}", "CONFIG_SYSTEM_WORKQUEUE_STACK_SIZE=2048",
                          f"# dfulint: ignore[DFU403,DFU702,DFU703] {REASON}", "CONFIG_BOOTLOADER_MCUBOOT=y"]
    pm = lines(seed / "pm_static.yml")
    at = pm.index("mcuboot_secondary:")
    assert pm[at - 1] == f"# dfulint: ignore[DFU107] {REASON}"
    assert pm[at + 1:] == ["  address: 0x0", "  end_address: 0x39000", "  device: IS25", "  region: external_flash",
                           f"  # dfulint: ignore[DFU201] {REASON}", "  size: 0x39000"]
    # MCUboot's replaced configuration: only the finding on its line, the rest of the file intact
    mcu = (seed / "child_image" / "mcuboot" / "prj.conf").read_text()
    orig = (SEED / "child_image" / "mcuboot" / "prj.conf").read_text()
    assert mcu == orig.replace("CONFIG_LOG_MODE_MINIMAL=y", f"# dfulint: ignore[DFU401] {REASON}\n"
                               "CONFIG_LOG_MODE_MINIMAL=y")

    # a second --add-ignore has nothing left to do
    res = run(["check", str(seed), "--add-ignore"])
    assert res.exit_code == 0 and "added 0 suppressions for 0 findings in 0 files" in stderr_of(res)


def test_devicetree_comments_keep_the_indentation(seed: Path):
    for name in ("app.overlay", "child_image/mcuboot.overlay"):      # the NOR size written in bytes
        p = seed / name
        p.write_text(p.read_text().replace("size = <4194304>;", "size = <524288>;"))
    _, before = report(seed)
    assert any(f["path"] == "app.overlay" for f in before["findings"])
    res = run(["check", str(seed), "--add-ignore"])
    assert res.exit_code == 0, res.output
    code, after = report(seed)
    assert code == 0 and after["findings"] == []
    codes = sorted({f["code"] for f in before["findings"] if f["path"] == "app.overlay"})
    ov = lines(seed / "app.overlay")
    at = ov.index("\t\tsize = <524288>;")
    assert ov[at - 2:at + 1] == ["\t\tjedec-id = [9d 40 13];", f"\t\t/* dfulint: ignore[{','.join(codes)}] */",
                                 "\t\tsize = <524288>;"]


def test_crlf_files_stay_crlf(seed: Path):
    for name in ("prj.conf", "pm_static.yml"):
        p = seed / name
        p.write_bytes(p.read_bytes().replace(b"\n", b"\r\n").rstrip(b"\r\n"))     # and no final newline
    assert run(["check", str(seed), "--add-ignore=known"]).exit_code == 0
    for name in ("prj.conf", "pm_static.yml"):
        data = (seed / name).read_bytes()
        assert b"dfulint: ignore[" in data
        assert data.count(b"\n") == data.count(b"\r\n") and not data.endswith(b"\n")
    assert b"\r\n# dfulint: ignore[DFU107] known\r\nmcuboot_secondary:\r\n" in (seed / "pm_static.yml").read_bytes()
    code, after = report(seed)
    assert code == 0 and after["findings"] == []


def test_two_findings_on_one_line_get_one_comment(tmp_path: Path):
    app = make_app(tmp_path / "app", {"prj.conf": "CONFIG_GPIO=y\nCONFIG_MAIN_STACK_SIZE=2048 # was 1024\n"
                                                  "CONFIG_MAIN_STACK_SIZE=4096\n"})
    _, before = report(app, "--select", "DFU4")
    assert {(f["code"], f["line"]) for f in before["findings"]} == {("DFU401", 2), ("DFU402", 2)}
    res = run(["check", str(app), "--select", "DFU4", "--add-ignore=known"])
    assert res.exit_code == 0, res.output
    assert "added 1 suppression for 2 findings in 1 file" in stderr_of(res)
    assert lines(app / "prj.conf") == ["CONFIG_GPIO=y", "# dfulint: ignore[DFU401,DFU402] known",
                                       "CONFIG_MAIN_STACK_SIZE=2048 # was 1024", "CONFIG_MAIN_STACK_SIZE=4096"]
    assert report(app, "--select", "DFU4")[1]["findings"] == []


def test_an_existing_comment_above_is_extended(seed: Path):
    p = seed / "prj.conf"
    text = p.read_text()
    last = text.rindex("CONFIG_BOOTLOADER_MCUBOOT=y")          # DFU403, DFU702 and DFU703 point here
    p.write_text(text[:last] + "# dfulint: ignore[DFU403] repeated on purpose\n" + text[last:])
    _, before = report(seed)
    assert {f["code"] for f in before["findings"] if f["line"] == 35} == {"DFU702", "DFU703"}
    assert run(["check", str(seed), "--add-ignore=new"]).exit_code == 0
    assert above(p, "CONFIG_BOOTLOADER_MCUBOOT=y", 1) == "# dfulint: ignore[DFU403,DFU702,DFU703] repeated on purpose"
    assert lines(p).count("# dfulint: ignore[DFU403,DFU702,DFU703] repeated on purpose") == 1
    assert not any("DFU702" in s and "new" in s for s in lines(p))
    code, after = report(seed)
    assert code == 0 and after["findings"] == []


# ------------------------------------------------------------------ what cannot carry a comment

def test_findings_without_a_place_are_listed_and_kept(seed: Path):
    shutil.rmtree(seed / "child_image" / "mcuboot")     # MCUboot's settings now belong in a file to create
    _, before = report(seed)
    missing = [f for f in before["findings"] if not (seed / f["path"]).exists()]
    assert missing
    res = run(["check", str(seed), "--add-ignore"])
    assert res.exit_code == 1
    for f in missing:
        assert (f"cannot add a suppression for {seed / f['path']}:{f['line']} {f['code']}: the file does not exist"
                in stderr_of(res))
        assert not (seed / f["path"]).exists()
    _, after = report(seed)
    assert [(f["code"], f["path"]) for f in after["findings"]] == [(f["code"], f["path"]) for f in missing]


def test_build_directory_files_are_not_touched(seed: Path):
    build = seed / "build"
    build.mkdir()
    pm = lines(seed / "pm_static.yml")
    layout = ("mcuboot:\n  address: 0x0\n  size: 0xc000\n  region: flash_primary\n"
              "mcuboot_primary:\n  address: 0xc000\n  size: 0x72000\n  region: flash_primary\n"
              "  span: [mcuboot_pad, app]\n"
              "mcuboot_pad:\n  address: 0xc000\n  size: 0x200\n  region: flash_primary\n"
              "app:\n  address: 0xc200\n  size: 0x71e00\n  region: flash_primary\n"
              + "\n".join(pm[5:]) + "\n"
              "settings_storage:\n  address: 0x7e000\n  size: 0x2000\n  region: flash_primary\n")
    (build / "partitions.yml").write_text(layout)
    _, before = report(seed)
    in_build = [f for f in before["findings"] if f["path"].startswith("build/")]
    assert in_build
    res = run(["check", str(seed), "--add-ignore"])
    assert res.exit_code == 1
    assert (build / "partitions.yml").read_text() == layout
    assert "the file is an output of the build directory" in stderr_of(res)
    _, after = report(seed)
    assert {f["path"] for f in after["findings"]} == {"build/partitions.yml"}


def test_a_file_that_is_not_utf8_is_left_untouched(seed: Path):
    p = seed / "child_image" / "mcuboot" / "prj.conf"
    data = b"CONFIG_MAIN_STACK_SIZE=10240\n# caf\xe9\nCONFIG_MAIN_STACK_SIZE=2048\n"
    p.write_bytes(data)
    res = run(["check", str(seed), "--add-ignore"])
    assert res.exit_code == 1
    assert p.read_bytes() == data
    assert "prj.conf:2 DFU001: the file is not valid UTF-8; it is not rewritten" in stderr_of(res)
    _, after = report(seed)
    assert after["findings"] and {f["path"] for f in after["findings"]} == {"child_image/mcuboot/prj.conf"}
    assert "# dfulint: ignore[DFU701]" in (seed / "prj.conf").read_text()      # the other files got theirs


def test_a_comment_line_is_never_slipped_into_a_multi_line_value():
    assert _hazards(Path("pm_static.yml"), "a: |\n  x\n  y\nb: 'q\n  r'\nc: 1\n", "hash") == {
        2: "the line continues a YAML value begun on an earlier line",
        3: "the line continues a YAML value begun on an earlier line",
        5: "the line continues a YAML value begun on an earlier line"}
    assert set(_hazards(Path("app.overlay"), "/* a\n b */ x = <1>;\n#define A \\\n  1\ny;\n", "dts")) == {2, 4}
    assert set(_hazards(Path("CMakeLists.txt"), 'set(A "x\ny")\n#[[ c\nd ]]\nset(B [=[\nq]=])\nz()\n',
                        "hash")) == {2, 4, 6}
    assert _hazards(Path("prj.conf"), "A=1\n# x\nB=2\n", "hash") == {}


# ------------------------------------------------------------------ the command line

@pytest.mark.parametrize("other", [["--fix"], ["--diff"], ["--baseline", "use", "b.json"],
                                   ["--baseline", "write", "b.json"]])
def test_add_ignore_combines_with_no_other_writer(seed: Path, other: list):
    before = {p: p.read_bytes() for p in seed.rglob("*") if p.is_file()}
    res = run(["check", str(seed), "--add-ignore", *other], cwd=seed)
    assert res.exit_code == 2
    assert "--add-ignore" in res.output and "cannot be combined" in res.output
    assert {p: p.read_bytes() for p in seed.rglob("*") if p.is_file()} == before


def test_a_bare_add_ignore_does_not_take_the_path_as_its_reason(seed: Path, tmp_path: Path):
    res = run(["check", "--add-ignore", "seed"], cwd=tmp_path)
    assert res.exit_code == 0, res.output
    assert "# dfulint: ignore[DFU701]\n" in (seed / "prj.conf").read_text()      # no reason "seed"


@pytest.mark.parametrize("reason", ["two\nlines", "ends */ a comment"])
def test_a_reason_that_cannot_stand_in_a_comment_is_a_usage_error(seed: Path, reason: str):
    res = run(["check", str(seed), f"--add-ignore={reason}"])
    assert res.exit_code == 2 and "--add-ignore" in res.output
    assert (seed / "prj.conf").read_text() == (SEED / "prj.conf").read_text()


def test_a_file_that_cannot_be_written_is_reported_not_a_crash(seed: Path, monkeypatch):
    real = Path.write_bytes

    def read_only_folder(self, data):
        if self.name.endswith(".dfulint-tmp"):
            raise PermissionError(13, "Permission denied")
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", read_only_folder)
    before = {p: p.read_bytes() for p in seed.rglob("*") if p.is_file()}
    res = run(["check", str(seed), "--add-ignore"])
    assert res.exit_code == 1, res.output
    assert "internal error" not in res.output
    assert "prj.conf:21 DFU701: cannot write the file: Permission denied" in stderr_of(res)
    assert "added 0 suppressions for 0 findings in 0 files" in stderr_of(res)
    assert {p: p.read_bytes() for p in seed.rglob("*") if p.is_file()} == before


def test_a_whole_file_finding_on_a_comment_line_gets_a_file_ignore(tmp_path: Path):
    # MCUboot's replaced configuration loses the Thingy:91 board file's sector table (DFU604, line 1)
    app = tmp_path / "thingy91"
    shutil.copytree(ROOT / "fixtures" / "rules" / "DFU604-image-config-replaces-defaults" / "bad", app)
    args = ("--board", "thingy91_nrf9160_ns", "--sdk-version", "2.4.0")
    p = app / "child_image" / "mcuboot" / "prj.conf"
    _, before = report(app, *args)
    assert ("DFU604", 1, 1) in {(f["code"], f["line"], f["column"]) for f in before["findings"]}
    run(["check", str(app), *args, "--add-ignore"])
    assert lines(p)[:3] == ["# dfulint: file-ignore[DFU202,DFU604]", "# MCUboot for the Thingy:91 product: quiet, with our own key",
                            "CONFIG_MAIN_STACK_SIZE=10240"]


def test_an_unused_suppression_is_left_to_be_removed(seed: Path):
    p = seed / "prj.conf"
    p.write_text(p.read_text().replace("CONFIG_BT=y\n", "# dfulint: ignore[DFU402]\nCONFIG_BT=y\n", 1))
    res = run(["check", str(seed), "--add-ignore", "--fail-on", "info"])
    assert res.exit_code == 1
    assert "prj.conf:2 DFU007: the finding is about a suppression comment itself" in stderr_of(res)
    assert lines(p)[1:3] == ["# dfulint: ignore[DFU402]", "CONFIG_BT=y"]
    _, after = report(seed)
    assert [(f["code"], f["line"]) for f in after["findings"]] == [("DFU007", 2)]
