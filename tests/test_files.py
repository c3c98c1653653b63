"""The confined file layer: only regular files inside the project, bounded, never quoted from outside."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from dfulint import files
from dfulint.sources import read_text
from tests.helpers import write_tree

needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
needs_symlink = pytest.mark.skipif(os.name == "nt", reason="symlinks need privileges on Windows")


@pytest.fixture
def repo(tmp_path):
    return write_tree(tmp_path / "repo", {"app/prj.conf": "CONFIG_BT=y\n", "common/shared.conf": "CONFIG_X=y\n",
                                          ".git/config": "[remote]\n\turl = https://user:TOKEN@example.com/r\n"})


def test_project_roots_are_repository_workspace_and_app_never_root(tmp_path, repo):
    roots = files.project_roots(repo / "app")
    assert roots == (repo, repo / "app")
    ws = write_tree(tmp_path / "ws", {".west/config": "", "proj/app/prj.conf": ""}, git=False)
    assert files.project_roots(ws / "proj" / "app") == (ws, ws / "proj" / "app")
    lone = write_tree(tmp_path / "lone", {"prj.conf": ""}, git=False)
    assert files.project_roots(lone)[-1] == lone
    assert Path("/") not in files.project_roots(lone)
    assert Path(os.path.expanduser("~")) not in files.project_roots(Path(os.path.expanduser("~")))


def test_a_file_inside_the_repository_is_read(repo):
    with files.confined(files.project_roots(repo / "app")):
        assert read_text(repo / "common" / "shared.conf").text == "CONFIG_X=y\n"


def test_a_path_leaving_the_project_is_refused(tmp_path, repo):
    (tmp_path / "secret.txt").write_text("TOKEN\n")
    with files.confined(files.project_roots(repo / "app")) as refused:
        t = read_text(repo / "app" / ".." / ".." / "secret.txt")
    assert t.text is None and t.problem.kind == "outside-project"
    assert "TOKEN" not in t.problem.message and refused


@needs_symlink
@pytest.mark.parametrize("target", ["/etc/passwd", "../.git/config", "../../outside.conf"])
def test_a_symlink_out_of_the_project_or_into_git_is_refused(tmp_path, repo, target):
    (tmp_path / "outside.conf").write_text("CONFIG_SECRET=TOKEN\n")
    link = repo / "app" / "boards.conf"
    os.symlink(target, link)
    with files.confined(files.project_roots(repo / "app")) as refused:
        t = read_text(link)
    assert t.text is None and t.problem.kind == "outside-project"
    assert [p for p, _ in refused] == [link]


@needs_symlink
def test_a_symlink_inside_the_project_is_followed(repo):
    os.symlink("../common/shared.conf", repo / "app" / "shared.conf")
    with files.confined(files.project_roots(repo / "app")):
        assert read_text(repo / "app" / "shared.conf").text == "CONFIG_X=y\n"


@needs_fifo
def test_a_fifo_is_refused_without_waiting(repo):
    os.mkfifo(repo / "app" / "app.overlay")
    with files.confined(files.project_roots(repo / "app")) as refused:
        t = read_text(repo / "app" / "app.overlay")
    assert t.problem.kind == "not-regular" and "FIFO" in t.problem.message
    assert refused[0][1].kind == "not-regular"
    assert not files.is_file(repo / "app" / "app.overlay")


@needs_symlink
@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero")
def test_a_device_is_never_read(tmp_path):
    # even with a project root that contains it, a device is not a regular file
    with files.confined([Path("/dev")]):
        data, why = files.read_bytes(Path("/dev/zero"))
    assert data is None and why.kind == "not-regular"


def test_a_file_over_the_cap_is_refused(repo):
    big = repo / "app" / "big.conf"
    big.write_bytes(b"# pad\n" * 1000)
    data, why = files.read_bytes(big, limit=100)
    assert data is None and why.kind == "too-large"


@needs_symlink
def test_without_confinement_a_file_keeps_to_its_own_repository(tmp_path, repo):
    (tmp_path / "x.conf").write_text("CONFIG_X=y\n")
    os.symlink("../../x.conf", repo / "app" / "x.conf")
    assert read_text(repo / "app" / "prj.conf").text == "CONFIG_BT=y\n"
    assert read_text(repo / "app" / "x.conf").problem.kind == "outside-project"


def test_walk_is_iterative_and_stops_at_the_depth_cap(tmp_path):
    d = tmp_path / "deep"
    p = str(d)
    os.mkdir(p)
    made = [p]
    for i in range(1200):            # deeper than Python's recursion limit (os.walk would fail)
        p = os.path.join(p, "d")
        os.mkdir(p)
        made.append(p)
    Path(p, "prj.conf").write_text("")
    try:
        seen = list(files.walk(d, max_depth=2000))
        assert len(seen) == 1201 and seen[-1][2] == ["prj.conf"]
        assert len(list(files.walk(d, max_depth=10))) == 11
    finally:
        os.unlink(os.path.join(p, "prj.conf"))
        for m in reversed(made):
            os.rmdir(m)


@needs_symlink
def test_walk_never_follows_a_symlinked_folder(tmp_path):
    write_tree(tmp_path / "t", {"a/x.conf": ""}, git=False)
    os.symlink("/", tmp_path / "t" / "root")
    names = [(d.name, sorted(dirs)) for d, dirs, _ in files.walk(tmp_path / "t")]
    assert names == [("t", ["a"]), ("a", [])]
