"""Looking up recorded media paths: the rebasing rule and the folders a viewer may serve from."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ploteries.viz.media_files import candidates, find_media


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "runs"
    (root / "exp" / "media" / "exp" / "img").mkdir(parents=True)
    (root / "exp" / "media" / "exp" / "img" / "0_0.png").write_bytes(b"png")
    (root / "exp" / "notes.txt").write_text("not media")
    (tmp_path / "secret.png").write_bytes(b"secret")
    return root


def test_a_recorded_path_is_found_beside_its_database(tree):
    found = find_media("media/exp/img/0_0.png", tree / "exp", [tree], None)
    assert (
        found.path == (tree / "exp" / "media" / "exp" / "img" / "0_0.png").resolve() and found.error is None
    )


@pytest.mark.parametrize(
    "recorded",
    [
        "../../secret.png",
        "media/../../../secret.png",
        "/etc/passwd",
        "",
        "a\x00b.png",
        "..\\..\\secret.png",
        "~/x.png",
    ],
)
def test_paths_climbing_out_absolute_or_odd_are_refused(tree, recorded):
    found = find_media(recorded, tree / "exp", [tree], None)
    assert not found.found and found.path is None
    assert found.error.startswith("refused") or found.error == "not found"


def test_climbing_out_to_an_existing_file_is_refused_not_served(tree):
    found = find_media("../../secret.png", tree / "exp", [tree], None)
    assert found.error == "refused: outside the folders this viewer serves"


def test_dotdot_inside_the_roots_is_fine(tree):
    """media_dir outside the database's folder is recorded as ../media/...: inside the root it is served."""
    (tree / "media" / "exp").mkdir(parents=True)
    (tree / "media" / "exp" / "1_0.png").write_bytes(b"png")
    assert find_media("../media/exp/1_0.png", tree / "exp", [tree], None).found
    assert not find_media("../media/exp/1_0.png", tree / "exp", [tree / "exp"], None).found  # root is exp/


def test_a_symlink_pointing_outside_is_refused(tree, tmp_path):
    link = tree / "exp" / "media" / "exp" / "img" / "1_0.png"
    os.symlink(tmp_path / "secret.png", link)
    assert find_media("media/exp/img/1_0.png", tree / "exp", [tree], None).error.startswith("refused")
    inside = tree / "exp" / "media" / "exp" / "img" / "2_0.png"
    os.symlink(tree / "exp" / "media" / "exp" / "img" / "0_0.png", inside)
    assert find_media("media/exp/img/2_0.png", tree / "exp", [tree], None).found  # a link within is fine


def test_only_media_file_types_are_served(tree):
    assert (
        find_media("notes.txt", tree / "exp", [tree], None).error == "refused: .txt is not a media file type"
    )


def test_media_root_rebases_recorded_paths(tree, tmp_path):
    copy = tmp_path / "collaborator"
    (copy / "media" / "exp" / "img").mkdir(parents=True)
    (copy / "media" / "exp" / "img" / "0_0.png").write_bytes(b"copy1")
    flat = tmp_path / "flat"
    (flat / "exp" / "img").mkdir(parents=True)
    (flat / "exp" / "img" / "0_0.png").write_bytes(b"copy2")
    db_dir = tmp_path / "elsewhere"  # the database alone, without its media folder
    assert find_media("media/exp/img/0_0.png", db_dir, [db_dir], copy).path.read_bytes() == b"copy1"
    assert find_media("media/exp/img/0_0.png", db_dir, [db_dir], flat).path.read_bytes() == b"copy2"
    assert find_media("../media/exp/img/0_0.png", db_dir, [db_dir], copy).path.read_bytes() == b"copy1"
    assert find_media("media/exp/img/9_0.png", db_dir, [db_dir], copy).error == "not found"
    # the media root does not open the rest of the disk
    assert find_media("../secret.png", db_dir, [db_dir], copy).error.startswith("refused")


def test_candidates_order():
    got = candidates("media/exp/a.png", Path("/db"), Path("/m"))
    assert [p.as_posix() for p in got] == ["/m/media/exp/a.png", "/m/exp/a.png", "/db/media/exp/a.png"]
    assert [p.as_posix() for p in candidates("./a.png", Path("/db"), None)] == ["/db/a.png"]
