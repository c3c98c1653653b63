"""Machine and human report formats, rendered from real fixture runs: SARIF (validated against the
SARIF 2.1.0 schema), GitHub annotations, JUnit XML, JSON's suppressed list, and the HTML file."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from dfulint import engine
from dfulint.checks import load_all
from helpers import run_cli

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "fixtures" / "seed_bl653_dvk"
SCHEMA = Path(__file__).resolve().parent / "data" / "sarif-schema-2.1.0.json"




@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git-like repository holding a copy of the seed app under apps/seed."""
    (tmp_path / ".git").mkdir()
    shutil.copytree(SEED, tmp_path / "apps" / "seed")
    return tmp_path


def sarif_of(repo: Path, *extra) -> dict:
    res = run_cli(["check", "apps/seed", "--format", "sarif", *extra], cwd=repo)
    assert res.exit_code == 1, res.output
    return json.loads(res.output)


# ------------------------------------------------------------------ SARIF

def test_sarif_validates_against_the_schema(repo: Path):
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA.read_text())
    doc = sarif_of(repo)
    cls = jsonschema.validators.validator_for(schema)
    errors = sorted(cls(schema).iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])
    # the schema really constrains: a wrong version and a result without a message are rejected
    bad = json.loads(json.dumps(doc))
    bad["version"] = "2.0.0"
    del bad["runs"][0]["results"][0]["message"]
    assert len(list(cls(schema).iter_errors(bad))) >= 2


def test_sarif_structure_rules_results_and_uris(repo: Path):
    doc = sarif_of(repo)
    assert doc["version"] == "2.1.0" and doc["$schema"].endswith("sarif-schema-2.1.0.json")
    run = doc["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "dfulint"
    rules = driver["rules"]
    assert [r["id"] for r in rules] == sorted(load_all())
    by_id = {r["id"]: r for r in rules}
    r401 = by_id["DFU401"]
    assert r401["name"] == "conf-inline-comment"
    assert r401["helpUri"].endswith("rules/DFU401-conf-inline-comment.md")
    assert "Kconfig" in r401["help"]["text"] and r401["help"]["markdown"].startswith("# DFU401")
    assert r401["defaultConfiguration"]["level"] == "error"
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == repo.resolve().as_uri() + "/"
    results = run["results"]
    assert results
    for res in results:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
        assert res["level"] in ("error", "warning", "note")
        loc = res["locations"][0]["physicalLocation"]
        uri = loc["artifactLocation"]["uri"]
        assert loc["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        assert uri.startswith("apps/seed/") and "\\" not in uri and ":" not in uri
        assert (repo / uri).is_file()
        assert loc["region"]["startLine"] >= 1 and loc["region"]["startColumn"] >= 1
        assert re.fullmatch(r"[0-9a-f]{32}(:\d+)?", res["partialFingerprints"]["dfulint/v1"])
        assert res["message"]["text"]
    prj = [r for r in results if r["ruleId"] == "DFU402"]
    assert prj and prj[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "apps/seed/prj.conf"
    assert prj[0]["properties"]["board"] == "bl653_dvk"
    assert run["invocations"][0]["executionSuccessful"] is True


def test_sarif_fingerprints_survive_moved_lines(repo: Path):
    before = {(r["ruleId"], r["partialFingerprints"]["dfulint/v1"]): r["locations"][0]["physicalLocation"]["region"]["startLine"]
              for r in sarif_of(repo)["runs"][0]["results"]}
    prj = repo / "apps" / "seed" / "prj.conf"
    prj.write_text("# a new comment at the top\n\n# and another\n" + prj.read_text())
    after = {(r["ruleId"], r["partialFingerprints"]["dfulint/v1"]): r["locations"][0]["physicalLocation"]["region"]["startLine"]
             for r in sarif_of(repo)["runs"][0]["results"]}
    assert set(before) == set(after)
    moved = [k for k in before if k[0] in ("DFU402", "DFU403")]
    assert moved and all(after[k] == before[k] + 3 for k in moved)


def test_sarif_lists_suppressed_findings_with_their_justification(repo: Path):
    prj = repo / "apps" / "seed" / "prj.conf"
    lines = prj.read_text().splitlines()
    no = next(i for i, ln in enumerate(lines) if ln.startswith("CONFIG_SYSTEM_WORKQUEUE_STACK_SIZE=2048"))
    lines.insert(no, "# dfulint: ignore[DFU402] reviewed: the later value is the one we want")
    prj.write_text("\n".join(lines) + "\n")
    results = sarif_of(repo)["runs"][0]["results"]
    sup = [r for r in results if r.get("suppressions")]
    assert len(sup) == 1 and sup[0]["ruleId"] == "DFU402"
    s = sup[0]["suppressions"][0]
    assert s["kind"] == "inSource" and s["justification"] == "reviewed: the later value is the one we want"
    assert s["location"]["physicalLocation"]["region"]["startLine"] == no + 1


def test_sarif_reports_internal_errors_as_notifications():
    from dfulint.report import sarif

    result = engine.Result(internal_errors=["app [board]: rule DFU999 failed: KeyError"])
    doc = sarif.sarif_dict(result)
    inv = doc["runs"][0]["invocations"][0]
    assert inv["executionSuccessful"] is False
    assert inv["toolExecutionNotifications"][0]["message"]["text"].startswith("app [board]")
    assert doc["runs"][0]["results"] == []


# ------------------------------------------------------------------ GitHub annotations

def test_github_annotations(repo: Path):
    res = run_cli(["check", "apps/seed", "--format", "github"], cwd=repo)
    assert res.exit_code == 1
    lines = [ln for ln in res.output.splitlines() if ln.startswith("::")]
    assert lines
    pat = re.compile(r"^::(error|warning|notice) file=([^,]+),line=(\d+),col=(\d+)(,endLine=\d+)?(,endColumn=\d+)?,"
                     r"title=([^:]+)::(.+)$")
    for ln in lines:
        m = pat.match(ln)
        assert m, ln
        assert (repo / m.group(2)).is_file()
        assert "\n" not in m.group(8)
    dfu402 = next(ln for ln in lines if "DFU402" in ln)
    assert dfu402.startswith("::notice file=apps/seed/prj.conf,line=")
    assert "%0Afix: delete this line" in dfu402
    assert "title=DFU402 conf-conflicting-assignment (bl653_dvk)::" in dfu402


def gitlab_of(repo: Path) -> list:
    res = run_cli(["check", "apps/seed", "--format", "gitlab"], cwd=repo)
    assert res.exit_code == 1, res.output
    return json.loads(res.output)


def test_gitlab_code_quality_report(repo: Path):
    issues = gitlab_of(repo)
    sarif = sarif_of(repo)["runs"][0]["results"]
    assert len(issues) == len(sarif) > 0
    assert len({i["fingerprint"] for i in issues}) == len(issues)        # GitLab keys issues on them
    assert {i["fingerprint"] for i in issues} == {r["partialFingerprints"]["dfulint/v1"] for r in sarif}
    for i in issues:
        assert set(i) >= {"description", "check_name", "fingerprint", "severity", "location"}
        assert i["severity"] in ("info", "minor", "major", "critical", "blocker")
        assert (repo / i["location"]["path"]).is_file()                  # relative to the repository
        assert isinstance(i["location"]["lines"]["begin"], int) and i["location"]["lines"]["begin"] >= 1
    by_code = {i["check_name"].split("/")[1].split("-")[0]: i for i in issues}
    dup = by_code["DFU402"]
    assert dup["check_name"] == "dfulint/DFU402-conf-conflicting-assignment"
    assert dup["severity"] == "info" and dup["location"]["path"] == "apps/seed/prj.conf"
    prj = (repo / "apps" / "seed" / "prj.conf").read_text().splitlines()
    assert prj[dup["location"]["lines"]["begin"] - 1].startswith("CONFIG_SYSTEM_WORKQUEUE_STACK_SIZE")
    assert by_code["DFU201"]["severity"] == "critical"
    assert by_code["DFU701"]["categories"] == ["Security"]
    assert "rules/DFU402" in dup["content"]["body"] and dup["content"]["body"].startswith("fix: ")


def test_gitlab_fingerprints_survive_moved_lines(repo: Path):
    before = {i["fingerprint"]: i["location"]["lines"]["begin"] for i in gitlab_of(repo)}
    prj = repo / "apps" / "seed" / "prj.conf"
    prj.write_text("# moved\n" + prj.read_text())
    after = {i["fingerprint"]: i["location"]["lines"]["begin"] for i in gitlab_of(repo)}
    assert set(before) == set(after)
    assert any(after[k] == before[k] + 1 for k in before)


def test_gitlab_report_of_a_clean_run_is_an_empty_list(repo: Path):
    res = run_cli(["check", "apps/seed", "--format", "gitlab", "--select", "DFU101"], cwd=repo)
    assert res.exit_code == 0 and json.loads(res.output) == []


def test_github_is_the_default_inside_github_actions(repo: Path):
    res = run_cli(["check", "apps/seed"], cwd=repo, env={"GITHUB_ACTIONS": "true"})
    assert res.output.startswith("::")
    res = run_cli(["check", "apps/seed"], cwd=repo, env={"GITHUB_ACTIONS": ""})
    assert not res.output.startswith("::")


def test_github_escapes_data_and_properties():
    from dfulint.report.github import _data, _prop

    assert _data("100% done\r\nnext") == "100%25 done%0D%0Anext"
    assert _prop("a:b,c") == "a%3Ab%2Cc"


# ------------------------------------------------------------------ JUnit

def test_junit_xml(repo: Path, tmp_path: Path):
    out = tmp_path / "out" / "junit.xml"
    res = run_cli(["check", "apps/seed", "--format", f"junit:{out}"], cwd=repo)
    assert res.exit_code == 1 and res.output == ""
    tree = ET.parse(out)
    suites = tree.getroot()
    assert suites.tag == "testsuites"
    suite = suites.find("testsuite")
    assert suite.get("name") == "dfulint: apps/seed"
    cases = suite.findall("testcase")
    assert int(suite.get("tests")) == len(cases) == int(suite.get("failures"))
    assert int(suites.get("failures")) == len(cases)
    case = next(c for c in cases if c.get("name").startswith("DFU402"))
    assert case.get("file") == "apps/seed/prj.conf"
    fail = case.find("failure")
    assert fail.get("type") == "info" and "fix: delete this line" in fail.text


def test_junit_clean_app_has_one_passing_case(tmp_path: Path):
    app = tmp_path / "clean"
    app.mkdir()
    (app / "prj.conf").write_text("CONFIG_GPIO=y\n")
    res = run_cli(["check", str(app), "--board", "nrf52840dk/nrf52840", "--format", "junit"])
    assert res.exit_code == 0, res.output
    suite = ET.fromstring(res.output).find("testsuite")
    cases = suite.findall("testcase")
    assert len(cases) == 1 and cases[0].find("failure") is None


# ------------------------------------------------------------------ several outputs, JSON

def test_several_outputs_in_one_run(repo: Path, tmp_path: Path):
    res = run_cli(["check", "apps/seed", "--format", "text", "--format", f"sarif:{tmp_path}/a.sarif",
                   "--format", f"json:{tmp_path}/a.json", "--format", f"html:{tmp_path}/a.html",
                   "--format", f"junit:{tmp_path}/a.xml"], cwd=repo)
    assert res.exit_code == 1
    assert "DFU402" in res.output and "Found " in res.output
    assert json.loads((tmp_path / "a.sarif").read_text())["version"] == "2.1.0"
    j = json.loads((tmp_path / "a.json").read_text())
    assert j["version"] == 2 and j["suppressed"] == []
    assert (tmp_path / "a.html").read_text().startswith("<!DOCTYPE html>")
    ET.parse(tmp_path / "a.xml")


def test_output_option_errors(repo: Path, tmp_path: Path):
    res = run_cli(["check", "apps/seed", "-f", "json", "-f", "sarif", "-o", str(tmp_path / "x")], cwd=repo)
    assert res.exit_code == 2 and "single --format" in res.output
    res = run_cli(["check", "apps/seed", "-f", f"json:{tmp_path}/x", "-f", f"sarif:{tmp_path}/x"], cwd=repo)
    assert res.exit_code == 2 and "two formats write to" in res.output
    res = run_cli(["check", "apps/seed", "-f", "yaml"], cwd=repo)
    assert res.exit_code == 2 and "unknown format" in res.output
    blocker = tmp_path / "file"
    blocker.write_text("")
    res = run_cli(["check", "apps/seed", "-f", f"json:{blocker}/sub/out.json"], cwd=repo)
    assert res.exit_code == 2 and "cannot write" in res.output


def test_output_flag_with_single_format(repo: Path, tmp_path: Path):
    out = tmp_path / "report.html"
    res = run_cli(["check", "apps/seed", "--format", "html", "-o", str(out)], cwd=repo)
    assert res.exit_code == 1 and res.output == ""
    assert "<svg" in out.read_text()


def test_json_lists_suppressed_findings(repo: Path):
    prj = repo / "apps" / "seed" / "prj.conf"
    prj.write_text("# dfulint: file-ignore[conf-repeated-assignment] legacy file, cleaned up in 2.0\n" + prj.read_text())
    res = run_cli(["check", "apps/seed", "--format", "json"], cwd=repo)
    doc = json.loads(res.output)
    assert "DFU403" not in {f["code"] for f in doc["findings"]}
    (s,) = [s for s in doc["suppressed"] if s["code"] == "DFU403"]
    assert s["suppression"] == {"kind": "inline", "path": str(prj.resolve()), "line": 1,
                                "reason": "legacy file, cleaned up in 2.0"}


# ------------------------------------------------------------------ HTML

def html_of(repo: Path) -> str:
    res = run_cli(["check", "apps/seed", "--format", "html"], cwd=repo)
    assert res.exit_code == 1
    return res.output


def test_html_is_self_contained(repo: Path):
    page = html_of(repo)
    assert page.startswith("<!DOCTYPE html>")
    # nothing is loaded from anywhere: no external scripts, styles, images, fonts or imports
    assert not re.search(r"<(script|img|link|iframe|source|object|embed)\b[^>]*\b(src|href)=", page, re.I)
    assert "@import" not in page and not re.search(r"url\(\s*['\"]?(https?:|//)", page)
    # links to rule pages are plain anchors, never fetched
    assert 'href="https://github.com/dfulint/dfulint/blob/main/rules/DFU402-conf-conflicting-assignment.md"' in page


def test_html_svg_partitions_and_highlight(repo: Path):
    page = html_of(repo)
    svgs = re.findall(r"<svg class=\"flashmap\".*?</svg>", page, re.S)
    assert len(svgs) == 2
    flash, ext = svgs
    parts = set(re.findall(r'data-partition="([^"]+)"', flash))
    assert {"mcuboot", "mcuboot_primary", "mcuboot_pad", "app", "mcuboot_primary_app", "settings_storage"} <= parts
    assert set(re.findall(r'data-partition="([^"]+)"', ext)) >= {"external_flash", "mcuboot_secondary"}
    # labels: name, address and size of every partition, inside or as a callout
    assert re.search(r">mcuboot_pad\s+0xc000 · 0\.5 KiB</text>", flash)
    assert ">0xc000 · 456 KiB<" in flash
    # the secondary slot the slot rule fires on is highlighted and links to its finding
    m = re.search(r'<g class="part role-secondary hot" data-partition="mcuboot_secondary"[^>]*data-findings="([^"]+)"', ext)
    assert m and "DFU201" in m.group(1).split()
    assert re.search(r'data-partition="mcuboot_secondary".*?<a href="#t1-f\d+">', ext, re.S)
    # drawn to scale: 0x39000 of 0x80000 over BAR_W (880) px
    w = float(re.search(r'data-partition="mcuboot_secondary".*?<rect class="zr" data-x="[\d.]+" data-w="([\d.]+)"', ext,
                        re.S).group(1))
    assert abs(w - 880 * 0x39000 / 0x80000) < 0.01
    # 128 sectors of 4 KiB: 127 boundary lines, visible at 1x (7.5 px each)
    path = re.search(r'<path class="sectors" d="([^"]+)"', flash).group(1)
    assert path.count("M") == 127


def test_html_sections_mcuboot_and_findings(repo: Path):
    page = html_of(repo)
    assert "swap-move" in page and "updates never apply" in page
    assert "W: Cannot upgrade: not a compatible amount of sectors" in page
    assert re.search(r"<td>primary</td><td>mcuboot_primary</td>.*?<td>114</td>", page, re.S)
    assert re.search(r"<td>secondary</td><td>mcuboot_secondary</td>.*?<td>57</td>", page, re.S)
    # a finding with its code frame, the offending text marked, its fix and rule link
    art = re.search(r'<article class="finding sev-info" id="t1-f\d+" data-anchor="CONFIG_SYSTEM_WORKQUEUE_STACK_SIZE">.*?</article>',
                    page, re.S).group(0)
    assert "DFU402 conf-conflicting-assignment" in art
    assert '<span class="row hot"><span class="ln">33</span>CONFIG_SYSTEM_WORKQUEUE_STACK_SIZE=<mark>2048</mark>' in art
    assert "<strong>Fix:</strong> delete this line" in art
    assert "--fix" in art


def test_html_escapes_project_text(tmp_path: Path):
    app = tmp_path / "app"
    app.mkdir()
    (app / "prj.conf").write_text('CONFIG_BT_DEVICE_NAME="<script>alert(1)</script>"\n'
                                  'CONFIG_BT_DEVICE_NAME="<script>alert(2)</script>"\n')
    res = run_cli(["check", str(app), "--board", "nrf52840dk/nrf52840", "--format", "html"])
    assert "<script>alert" not in res.output
    assert "&lt;script&gt;alert(" in res.output
    # exactly one script element: the report's own zoom script
    assert res.output.count("<script") == 1


def test_html_with_no_app(tmp_path: Path):
    res = run_cli(["check", str(tmp_path), "--format", "html"])
    assert res.exit_code == 0
    assert "No app found" in res.output


def test_html_several_boards_get_their_own_sections(tmp_path: Path):
    app = tmp_path / "app"
    app.mkdir()
    (app / "prj.conf").write_text("CONFIG_BOOTLOADER_MCUBOOT=y\nCONFIG_MAIN_STACK_SIZE=1024\nCONFIG_MAIN_STACK_SIZE=2048\n")
    res = run_cli(["check", str(app), "--board", "nrf52840dk/nrf52840", "--board", "nrf5340dk/nrf5340/cpuapp",
                   "--format", "html", "--select", "DFU402"])
    page = res.output
    assert page.count('<section class="target"') == 2
    assert '<nav class="toc">' in page and "nrf52840dk_nrf52840" in page and "nrf5340dk_nrf5340_cpuapp" in page
    # the same finding holds for both boards: each section lists it
    assert page.count("DFU402 conf-conflicting-assignment</a>") == 2
    # every device of each board is drawn
    assert page.count('<svg class="flashmap"') >= 2
