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


# ------------------------------------------------------------------ several apps, several processes

APPS = ROOT / "fixtures" / "apps"


def _cli(*args):
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "dfulint", *args], cwd=ROOT, capture_output=True)


def test_several_processes_give_byte_identical_output():
    for fmt in ("json", "text"):
        one = _cli("check", str(APPS), str(SEED), "--format", fmt, "--jobs", "1", "--no-color")
        many = _cli("check", str(APPS), str(SEED), "--format", fmt, "--jobs", "3", "--no-color")
        assert one.returncode == many.returncode == 1, (one.stderr, many.stderr)
        assert one.stdout == many.stdout and b"DFU" in one.stdout, fmt
        assert one.stderr == many.stderr
    default = _cli("check", str(APPS), str(SEED), "--format", "text", "--no-color")    # one per core
    assert default.stdout == one.stdout and default.returncode == one.returncode


def test_apps_arrive_in_report_order_and_progress_in_completion_order():
    from dfulint import engine

    roots = engine.app_roots([APPS])
    seen, progress = [], []
    opts = engine.Options(on_app=lambda app_result, findings: seen.append((app_result.app.root, findings)),
                          on_progress=lambda done, total, root: progress.append((done, total, root)))
    result = engine.run([APPS], opts, jobs=2)
    assert [r for r, _ in seen] == roots == [a.app.root for a in result.apps]
    assert [f for _, fs in seen for f in fs] and all(f.app == r for r, fs in seen for f in fs)
    assert [d for d, _, _ in progress] == list(range(1, len(roots) + 1)) + [len(roots)]
    assert {t for _, t, _ in progress} == {len(roots)} and progress[-1][2] is None
    assert sorted(r for *_, r in progress[:-1]) == sorted(roots)
    single = engine.run([APPS], engine.Options(), jobs=1)
    key = [(f.code, f.app, f.board, f.span, f.message, f.severity) for f in single.findings]
    assert [(f.code, f.app, f.board, f.span, f.message, f.severity) for f in result.findings] == key


def test_a_checked_app_keeps_the_facts_reports_show_and_not_its_model():
    from dfulint import engine
    from dfulint.report import flashmap, json_report

    full = engine.run([APPS], engine.Options(), jobs=1, keep_models=True)
    slim = engine.run([APPS], engine.Options(), jobs=1, keep_models=False)
    assert any(t.images for a in full.apps for t in a.targets)
    assert not any(t.images or t.files is not None for a in slim.apps for t in a.targets)
    assert flashmap.render_json(slim) == flashmap.render_json(full)
    assert flashmap.render_text(slim) == flashmap.render_text(full)
    assert json_report.render(slim) == json_report.render(full)
    from dfulint.report import html
    assert html.render(slim) == html.render(full)


def test_parsed_files_are_kept_least_recently_used_first(tmp_path, monkeypatch):
    import shutil

    from dfulint import engine, sources

    for i in range(6):
        shutil.copytree(SEED, tmp_path / f"app{i}")
    monkeypatch.setattr(sources, "_MAX_PARSED", 12)
    sizes = []
    opts = engine.Options(on_app=lambda app_result, findings: sizes.append(len(sources._PARSED)))
    result = engine.run([tmp_path], opts, keep_models=False)
    assert len(result.apps) == 6 and max(sizes) <= 12
    one = engine.run([tmp_path / "app0"], engine.Options())
    assert len(result.findings) == 6 * len(one.findings)


def test_the_json_report_is_written_item_by_item_with_the_same_bytes():
    import json

    from dfulint import engine
    from dfulint.report import json_report

    result = engine.run([APPS, SEED], engine.Options(), keep_models=False)
    text = json_report.render(result)
    assert text == json.dumps(json.loads(text), indent=2) + "\n"
    for doc in ({}, [], {"a": [[], {}, [{}]]}, {"a": {True: 1, 2.5: [None]}, "b": "é\n"}, [[[["x"]]]], 7):
        assert json_report.dumps(doc) == json.dumps(doc, indent=2)


def _apps_out_of_name_order(tmp_path):
    """A project whose apps are found (folder by folder) in another order than their paths sort
    in ("proj/app" is found before "proj-b", "proj-b" sorts first): reports order findings by path."""
    import shutil

    shutil.copytree(SEED, tmp_path / "proj" / "app")
    shutil.copytree(SEED, tmp_path / "proj-b")
    (tmp_path / "proj-b" / "prj.conf").write_text(
        (SEED / "prj.conf").read_text() + "CONFIG_BOOT_SIGNATURE_KEY_FILE=\"root-rsa-2048.pem\"\n")
    shutil.copytree(APPS, tmp_path / "apps")
    return tmp_path


def test_the_streamed_json_report_equals_the_document_built_at_once(tmp_path):
    import json

    from dfulint import engine
    from dfulint.report import json_report

    root = _apps_out_of_name_order(tmp_path / "p")
    result = engine.run([root], engine.Options(), keep_models=False)
    roots = [str(a.app.root) for a in result.apps]
    assert roots != sorted(roots)                   # the order of the apps is not the order of paths
    whole = json_report.render(result)
    assert [f["app"] for f in json.loads(whole)["findings"]] == sorted(f["app"] for f in json.loads(whole)["findings"])
    out = tmp_path / "out"
    for jobs in ("1", "2"):
        shown = _cli("check", str(root), "--format", "json", "--jobs", jobs)
        assert shown.returncode == 1 and shown.stdout.decode() == whole, jobs
        both = _cli("check", str(root), "--format", f"json:{out}/{jobs}.json", "--format", "text", "--jobs", jobs,
                    "--no-color")
        assert (out / f"{jobs}.json").read_text(encoding="utf-8") == whole
        assert b"DFU" in both.stdout


def test_the_json_stream_takes_each_app_as_it_finishes(monkeypatch):
    from dfulint import engine
    from dfulint.report import json_report

    import io

    for spool in (json_report.Stream.SPOOL_MAX, 1000):      # in memory, and in a temporary file
        monkeypatch.setattr(json_report.Stream, "SPOOL_MAX", spool)
        stream = json_report.Stream()
        result = engine.run([APPS, SEED], engine.Options(on_app=stream), jobs=2, keep_models=False)
        parts: list = []
        stream.write(result, parts.append)
        assert isinstance(stream._spool, io.BytesIO) == (spool != 1000)
        stream.close()
        assert "".join(parts) == json_report.render(result)
    empty = json_report.Stream()
    nothing = engine.Result()
    parts = []
    empty.write(nothing, parts.append)
    assert "".join(parts) == json_report.render(nothing)
