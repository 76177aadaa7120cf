"""The read side: catalog queries, step ranges, cursors, discovery, maintenance, documents, the ls command."""

import h5py
import numpy as np
import pytest

import ploteries
from ploteries.cli import main as cli_main
from ploteries.storage import (
    DatabaseWriter,
    delete_run,
    find_databases,
    rename_run,
    scan_databases,
    update_document,
)


@pytest.fixture
def filled(db_path):
    with DatabaseWriter(db_path) as w:
        for step in range(0, 100, 2):
            w.append_scalar("exp/1", "loss", step / 10, step=step, wall_time=1000.0 + step)
        for step in (5, 3, 9):  # unsorted steps
            w.append("exp/1", "unsorted", np.array([step, step]), step=step, wall_time=1.0)
        w.append("exp/2", "hist", np.arange(3.0), step=1, kind="histogram", ragged=True)
        w.append("exp/2", "hist", np.arange(5.0), step=2, kind="histogram", ragged=True)
        w.append(
            "exp/2",
            "hist",
            np.array((1.0, 2.0, 3.0, 4.0, 5.0), [(n, "<f8") for n in "abcde"]),
            step=1,
            kind="histogram",
            part="stats",
        )
        w.set_meta("exp/2", "hist", {"bins": "tensorflow"})
    return db_path


def test_catalog_queries(filled):
    db = ploteries.open(filled)
    assert db.runs() == ["exp/1", "exp/2"]
    assert db.tags("exp/1") == ["loss", "unsorted"]
    assert db.tags() == ["hist", "loss", "unsorted"]
    assert db.parts("exp/2", "hist") == ["", "stats"]
    info = db.info("exp/1", "loss")
    assert (info.kind, info.count, info.step_min, info.step_max) == ("scalar", 50, 0, 98)
    assert info.dtype == np.float64 and info.shape == () and not info.ragged
    hist = db.info("exp/2", "hist")
    assert hist.kind == "histogram" and hist.ragged and hist.meta == {"bins": "tensorflow"}
    assert db.step_range() == (0, 98)
    assert db.step_range("exp/2") == (1, 2)
    assert {(i.run, i.tag, i.part) for i in db.series()} == {
        ("exp/1", "loss", ""),
        ("exp/1", "unsorted", ""),
        ("exp/2", "hist", ""),
        ("exp/2", "hist", "stats"),
    }


def test_missing_names_are_explained(filled):
    db = ploteries.open(filled)
    with pytest.raises(KeyError, match=r"no run 'nope' in .*runs: \['exp/1', 'exp/2'\]"):
        db.read("nope", "loss")
    with pytest.raises(KeyError, match=r"no tag 'x' in run 'exp/1' .*tags: \['loss', 'unsorted'\]"):
        db.read("exp/1", "x")
    with pytest.raises(KeyError, match=r"no part 'zz' of tag 'hist'.*parts: \['', 'stats'\]"):
        db.read("exp/2", "hist", "zz")


@pytest.mark.parametrize(
    ("kwargs", "steps"),
    [
        ({"start": 10, "stop": 20}, [10, 12, 14, 16, 18]),
        ({"start": 95}, [96, 98]),
        ({"stop": 3}, [0, 2]),
        ({"from_row": 47}, [94, 96, 98]),
        ({"from_row": 45, "start": 0, "stop": 94}, [90, 92]),
        ({"start": 1000}, []),
        ({"from_row": 50}, []),
        ({"from_row": 2, "to_row": 5}, [4, 6, 8]),
        ({"to_row": 2}, [0, 2]),
        ({"from_row": 3, "to_row": 3}, []),
        ({"from_row": 1, "to_row": 10, "start": 10}, [10, 12, 14, 16, 18]),
    ],
)
def test_step_ranges_and_cursors(filled, kwargs, steps):
    got = ploteries.open(filled).read("exp/1", "loss", **kwargs)
    assert got["step"].tolist() == steps
    assert got["value"].tolist() == [s / 10 for s in steps]


def test_fields_and_unsorted_steps(filled):
    db = ploteries.open(filled)
    cols = db.read("exp/1", "loss", fields=("step", "value"), stop=6)
    assert cols.dtype.names == ("step", "value") and cols["value"].tolist() == [0.0, 0.2, 0.4]
    assert db.read("exp/1", "loss", fields=("value",), stop=3).tolist() == [0.0, 0.2]
    assert db.read("exp/1", "unsorted", start=4)["step"].tolist() == [5, 9]
    with pytest.raises(ValueError, match="fields must be among"):
        db.read("exp/1", "loss", fields=("nope",))


def test_index_fields_read_steps_without_values_for_ragged_series_too(filled):
    db = ploteries.open(filled)
    assert db.read("exp/2", "hist", fields=("step",)).tolist() == [1, 2]
    cols = db.read("exp/2", "hist", fields=("step", "wall_time"), from_row=1)
    assert cols.dtype.names == ("step", "wall_time") and cols["step"].tolist() == [2]
    assert db.read("exp/1", "loss", fields=("step",), stop=6).tolist() == [0, 2, 4]
    assert db.read("exp/1", "unsorted", fields=("step",), start=4).tolist() == [5, 9]
    assert db.read_many([("exp/2", "hist", ""), ("exp/1", "nope", "")], fields=("step",))[0].tolist() == [
        1,
        2,
    ]
    with pytest.raises(ValueError, match="fields must be among"):
        db.read("exp/2", "hist", fields=("wall",))
    assert db.read("exp/2", "hist", fields=("step",), stop=2).tolist() == [1]
    (steps,) = db.read_many([("exp/2", "hist", "")], fields=("step",))
    assert steps.tolist() == [1, 2]


def test_ragged_and_structured_parts(filled):
    db = ploteries.open(filled)
    hist = db.read("exp/2", "hist")
    assert isinstance(hist, ploteries.RaggedRecords)
    assert [r.value.tolist() for r in hist] == [[0, 1, 2], [0, 1, 2, 3, 4]]
    assert hist[1:].step.tolist() == [2]
    stats = db.read("exp/2", "hist", "stats")
    assert stats["value"]["c"].tolist() == [3.0]


def test_purge_removes_later_steps_and_changes_the_fingerprint(filled):
    db = ploteries.open(filled)
    before = db.info("exp/1", "loss").fingerprint
    with DatabaseWriter(filled) as w:
        w.purge("exp/1", 50)
        w.append_scalar("exp/1", "loss", -1.0, step=50)
    loss = db.read("exp/1", "loss")
    assert loss["step"].tolist() == list(range(0, 50, 2)) + [50]
    assert loss["value"][-1] == -1.0
    assert db.info("exp/1", "loss").fingerprint != before
    assert db.read("exp/1", "unsorted")["step"].tolist() == [5, 3, 9]  # below 50: kept
    assert db.read("exp/2", "hist").step.tolist() == [1, 2]  # other runs untouched


def test_delete_and_rename_runs(filled):
    rename_run(filled, "exp/2", "renamed")
    db = ploteries.open(filled)
    assert db.runs() == ["exp/1", "renamed"]
    assert db.read("renamed", "hist", "stats")["step"].tolist() == [1]
    with pytest.raises(ValueError, match="a run named 'exp/1' exists"):
        rename_run(filled, "renamed", "exp/1")
    assert delete_run(filled, "exp/1") == 2
    assert db.runs() == ["renamed"]


def test_documents_are_updated_atomically(filled):
    update_document(filled, "figures", lambda cur: {**(cur or {}), "a": {"title": "A"}})
    update_document(filled, "figures", lambda cur: {**cur, "b": [1, 2]})
    db = ploteries.open(filled)
    assert db.document("figures") == {"a": {"title": "A"}, "b": [1, 2]}
    update_document(filled, "figures", lambda cur: None)
    assert db.document("figures") is None and db.documents() == {}


def test_generation_changes_with_each_commit(filled):
    db = ploteries.open(filled)
    g = db.generation
    with DatabaseWriter(filled) as w:
        w.append_scalar("exp/1", "loss", 0.0, step=200)
    assert db.generation > g


def test_discovery_lists_databases_and_explains_the_rest(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    DatabaseWriter(tmp_path / "a" / "one.h5").close()
    DatabaseWriter(tmp_path / "a" / "b" / "two.hdf5").close()
    (tmp_path / "a" / "broken.h5").write_bytes(b"garbage")
    with h5py.File(tmp_path / "foreign.h5", "w") as f:
        f["x"] = 1
    (tmp_path / "notes.txt").write_text("not a database")
    assert find_databases(tmp_path) == [tmp_path / "a" / "b" / "two.hdf5", tmp_path / "a" / "one.h5"]
    scanned = dict(scan_databases(tmp_path))
    assert "not an HDF5 file" in scanned[tmp_path / "a" / "broken.h5"]
    assert "foreign HDF5 file" in scanned[tmp_path / "foreign.h5"]
    assert scanned[tmp_path / "a" / "one.h5"] is None


def test_ls_command(filled, capsys):
    assert cli_main(["ls", str(filled.parent)]) == 0
    out = capsys.readouterr().out
    assert f"{filled}: 2 runs, 4 series" in out
    rows = [line.split() for line in out.splitlines()]
    assert ["exp/1", "loss", "scalar", "50", "0..98"] in rows
    assert ["exp/2", "hist", "[stats]", "histogram", "1", "1..1"] in rows
    assert cli_main(["ls", str(filled), "--run", "exp/2"]) == 0
    assert "exp/1" not in capsys.readouterr().out
    assert cli_main(["ls", str(filled.parent / "missing")]) == 2
    assert "no such file or directory" in capsys.readouterr().err


def test_read_many_in_one_open(filled):
    db = ploteries.open(filled)
    loss, missing, hist = db.read_many(
        [("exp/1", "loss", ""), ("exp/1", "nope", ""), ("exp/2", "hist", "")], from_rows=[48, 0, 1]
    )
    assert loss["step"].tolist() == [96, 98]
    assert missing is None
    assert hist.step.tolist() == [2]


def test_row_spans_across_blocks_and_ragged_series(db_path):
    with DatabaseWriter(db_path) as w:
        w.append_many("r", "t", np.arange(4), np.arange(4))  # int block
        w.append_many("r", "t", np.arange(4.0, 8.0), np.arange(4, 8))  # float block
        for step in range(5):
            w.append("r", "rag", np.arange(step + 1.0), step=step, ragged=True)
    db = ploteries.open(db_path)
    assert db.read("r", "t", from_row=3, to_row=6)["value"].tolist() == [3.0, 4.0, 5.0]
    assert [len(v) for v in db.read("r", "rag", from_row=1, to_row=3).values] == [2, 3]
    chunks = [db.read("r", "t", from_row=a, to_row=a + 3) for a in range(0, 8, 3)]
    assert np.concatenate(chunks)["value"].tolist() == list(range(8))
    spans = db.read_many([("r", "t", ""), ("r", "rag", "")], from_rows=[6, 0], to_rows=[None, 1])
    assert spans[0]["step"].tolist() == [6, 7] and spans[1].step.tolist() == [0]
