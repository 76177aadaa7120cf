"""The viewer's library: live discovery of databases, errors per file, run labels."""

from __future__ import annotations

import os

import pytest

from ploteries.storage import DatabaseWriter
from ploteries.viz.library import Library, RunKey, run_labels
from tests.viz.helpers import write_scalars


def test_discovers_databases_below_the_root_and_reads_their_series(tmp_path):
    write_scalars(tmp_path / "exp1" / "ploteries.h5", {"exp1": {"loss": [1.0, 2.0]}})
    write_scalars(tmp_path / "sweep.h5", {"a": {"loss": [1.0]}, "b": {"acc": [0.5, 0.6, 0.7]}})
    snap = Library([tmp_path]).refresh()
    assert [s.source for s in snap.sources] == ["exp1/ploteries.h5", "sweep.h5"]
    assert [(k.source, k.run) for k in snap.run_keys] == [
        ("exp1/ploteries.h5", "exp1"),
        ("sweep.h5", "a"),
        ("sweep.h5", "b"),
    ]
    info = snap.info(("sweep.h5", "b", "acc", ""))
    assert (info.count, info.step_min, info.step_max, info.kind) == (3, 0, 2, "scalar")
    assert snap.step_range() == (0, 2)
    assert snap.info(("sweep.h5", "b", "nope", "")) is None


def test_new_deleted_and_recreated_files_are_picked_up(tmp_path):
    lib = Library([tmp_path])
    assert lib.refresh().sources == ()
    db = write_scalars(tmp_path / "a.h5", {"r": {"loss": [1.0]}})
    first = lib.refresh()
    assert [s.source for s in first.sources] == ["a.h5"]
    os.remove(db)
    assert lib.refresh().sources == ()
    write_scalars(db, {"r": {"loss": [5.0, 6.0]}})
    again = lib.refresh()
    assert again.info(("a.h5", "r", "loss", "")).count == 2
    assert (
        again.info(("a.h5", "r", "loss", "")).fingerprint != first.info(("a.h5", "r", "loss", "")).fingerprint
    )


def test_version_changes_with_structure_not_with_appended_rows(tmp_path):
    db = write_scalars(tmp_path / "a.h5", {"r": {"loss": [1.0]}})
    lib = Library([tmp_path])
    v1 = lib.refresh().version
    with DatabaseWriter(db) as w:
        w.append_scalar("r", "loss", 2.0, 1)
    snap = lib.refresh()
    assert snap.version == v1 and snap.info(("a.h5", "r", "loss", "")).count == 2
    with DatabaseWriter(db) as w:
        w.append_scalar("r", "acc", 0.5, 1)
    assert lib.refresh().version != v1


def test_a_corrupt_or_foreign_file_is_listed_with_its_error_and_the_rest_is_served(tmp_path):
    import h5py

    write_scalars(tmp_path / "good.h5", {"r": {"loss": [1.0]}})
    (tmp_path / "junk.h5").write_bytes(b"\x00" * 100)
    with h5py.File(tmp_path / "foreign.h5", "w") as f:
        f["x"] = [1, 2, 3]
    snap = Library([tmp_path]).refresh()
    errors = {s.source: s.error for s in snap.sources}
    assert errors["good.h5"] is None
    assert "not a ploteries database" in errors["foreign.h5"]
    assert "junk.h5" in errors["junk.h5"] and "not an HDF5 file" in errors["junk.h5"]
    assert [r.run for r in snap.series] == ["r"]


def test_several_roots_are_labelled_by_root_name(tmp_path):
    write_scalars(tmp_path / "one" / "a.h5", {"r": {"loss": [1.0]}})
    write_scalars(tmp_path / "two" / "a.h5", {"r": {"loss": [1.0]}})
    snap = Library([tmp_path / "one", tmp_path / "two"]).refresh()
    assert [s.source for s in snap.sources] == ["one/a.h5", "two/a.h5"]
    assert sorted(snap.labels.values()) == ["one/a.h5: r", "two/a.h5: r"]


def test_a_database_file_can_be_a_root(tmp_path):
    db = write_scalars(tmp_path / "a.h5", {"r": {"loss": [1.0]}})
    assert [s.source for s in Library([db]).refresh().sources] == ["a.h5"]


def test_missing_root_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file or directory"):
        Library([tmp_path / "nope"])


def test_run_labels_prefix_only_colliding_names():
    keys = [RunKey("a.h5", "x"), RunKey("b.h5", "x"), RunKey("b.h5", "y"), RunKey("c.h5", "")]
    assert run_labels(keys) == {
        RunKey("a.h5", "x"): "a.h5: x",
        RunKey("b.h5", "x"): "b.h5: x",
        RunKey("b.h5", "y"): "y",
        RunKey("c.h5", ""): "''",
    }
