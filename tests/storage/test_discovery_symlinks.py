"""Databases symlinked into a root from outside it are neither found nor served (as media symlinks are not)."""

from __future__ import annotations

import json

import ploteries
from ploteries.storage.discovery import inside
from ploteries.viz.app import create_app
from ploteries.viz.library import Library
from tests.viz.helpers import write_scalars


def layout(tmp_path):
    root, outside = tmp_path / "root", tmp_path / "outside"
    write_scalars(root / "db.h5", {"mine": {"loss": [1.0]}})
    write_scalars(root / "sub" / "deep.h5", {"deep": {"loss": [2.0]}})
    write_scalars(outside / "secret.h5", {"secret_run": {"loss": [3.0]}})
    (root / "linked.h5").symlink_to(outside / "secret.h5")
    (root / "dotdot.h5").symlink_to("../outside/secret.h5")
    (root / "alias.h5").symlink_to(root / "sub" / "deep.h5")  # stays inside the root: fine
    (root / "linked_dir").symlink_to(outside, target_is_directory=True)
    return root, outside


def test_find_databases_leaves_out_symlinks_leading_outside_the_root(tmp_path):
    root, outside = layout(tmp_path)
    assert [p.relative_to(root).as_posix() for p in ploteries.find_databases(root)] == [
        "alias.h5",
        "db.h5",
        "sub/deep.h5",
    ]
    assert inside(root / "alias.h5", root) and not inside(root / "linked.h5", root)
    assert ploteries.find_databases(root / "linked.h5") == [root / "linked.h5"]  # named explicitly: taken


def test_the_viewer_neither_lists_nor_serves_a_database_linked_from_outside(tmp_path):
    root, _ = layout(tmp_path)
    library = Library([root])
    assert sorted(s.source for s in library.refresh().sources) == ["alias.h5", "db.h5", "sub/deep.h5"]
    app = create_app(library)
    text = json.dumps(app.server.test_client().get("/_dash-layout").get_json())
    assert "mine" in text and "secret_run" not in text and "linked" not in text
