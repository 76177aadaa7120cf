"""FigureStore (``db.figures``): add, list, get, update, delete; documents named figure/<id>; nothing half-written."""

from __future__ import annotations

import time

import pytest

import ploteries
from ploteries.figures import DefinitionError, FigureNotFoundError, FigureStore, StaleDefinitionError
from ploteries.storage import update_document


def loss_figure(fid="loss", **changes):
    d = {
        "id": fid,
        "series": {"l": {"tag": "loss/*"}},
        "figure": {
            "data": [{"x": "$l.step", "y": "$l.value", "name": "$run"}],
            "layout": {"yaxis": {"type": "log"}},
        },
    }
    return {**d, **changes}


@pytest.fixture
def figs(sample_db):
    return ploteries.open(sample_db).figures


def test_add_get_list_contains_iter_len(figs, sample_db):
    assert isinstance(figs, FigureStore) and len(figs) == 0 and figs.list() == []
    assert ploteries.open(sample_db).figures.path == sample_db
    before = time.time()
    stored = figs.add(loss_figure())
    assert stored["version"] == 1 and before <= stored["updated"] <= time.time()
    assert stored["title"] == "loss" and stored["series"]["l"]["run"] == "*"
    figs.add(id="acc", series={"a": {"tag": "acc"}}, figure={"data": [{"y": "$a.value"}]}, title="Accuracy")
    assert "loss" in figs and "nope" not in figs and len(figs) == 2
    assert list(figs) == ["acc", "loss"] == figs.ids()
    assert [d["title"] for d in figs.list()] == ["Accuracy", "loss"]
    assert figs.get("loss") == stored
    # a new process sees the same, and the documents are named figure/<id>
    again = ploteries.open(sample_db)
    assert again.figures.get("acc")["title"] == "Accuracy"
    assert sorted(again.documents()) == ["figure/acc", "figure/loss"]
    assert again.document("figure/loss") == stored


def test_add_keyword_fields_override_the_dict(figs):
    assert figs.add(loss_figure(), title="T", tab="train")["title"] == "T"
    assert figs.get("loss")["tab"] == "train"


def test_add_refuses_an_existing_id_and_invalid_definitions(figs):
    figs.add(loss_figure())
    with pytest.raises(DefinitionError, match=r"a figure with id 'loss' exists in .*; pick another id, or change "
                       r"it with update\('loss', ...\)"):  # fmt: skip
        figs.add(loss_figure(title="other"))
    with pytest.raises(DefinitionError, match=r"figure\.data\[0\]\.type 'lines' is not a Plotly trace type"):
        figs.add(loss_figure("bad", figure={"data": [{"type": "lines"}]}))
    assert figs.ids() == ["loss"] and figs.get("loss")["title"] == "loss"


def test_given_version_and_updated_are_replaced(figs):
    stored = figs.add({**loss_figure(), "version": 41, "updated": 1.0})
    assert stored["version"] == 1 and stored["updated"] > 1.0


def test_get_of_a_missing_id_names_the_existing_ones(figs):
    figs.add(loss_figure())
    with pytest.raises(FigureNotFoundError, match=r"no figure 'los' in .*sample.h5 \(did you mean 'loss'\?\); "
                       r"figures: \['loss'\]"):  # fmt: skip
        figs.get("los")
    with pytest.raises(KeyError):
        figs.get("x")
    assert str(FigureNotFoundError("plain")) == "plain"


def test_update_deep_merges_and_bumps_the_version(figs):
    figs.add(loss_figure())
    out = figs.update(
        "loss", {"figure": {"layout": {"yaxis": {"type": "linear"}, "height": 300}}, "tab": "t"}
    )
    assert out["version"] == 2
    assert out["figure"]["layout"] == {"yaxis": {"type": "linear"}, "height": 300}
    assert out["figure"]["data"] == [{"type": "scatter", "x": "$l.step", "y": "$l.value", "name": "$run"}]
    assert out["tab"] == "t"
    # null removes a key, so its default applies; lists are replaced whole
    out = figs.update("loss", {"tab": None, "series": {"l": {"steps": "latest"}}})
    assert out["tab"] is None and out["series"]["l"]["steps"] == "latest" and out["version"] == 3
    out = figs.update("loss", title="New")
    assert out["title"] == "New" and figs.get("loss") == out


def test_update_replace_and_callable(figs):
    figs.add(loss_figure(tab="t"))
    replaced = figs.update(
        "loss", {"series": {}, "figure": {"data": [{"type": "bar", "y": [1]}]}}, replace=True
    )
    assert replaced["tab"] is None and replaced["series"] == {} and replaced["version"] == 2
    called = figs.update("loss", lambda d: {**d, "title": d["title"].upper()}, tab="t2")
    assert (called["title"], called["tab"], called["version"]) == ("LOSS", "t2", 3)


def test_update_errors_write_nothing(figs):
    figs.add(loss_figure())
    before = figs.get("loss")
    with pytest.raises(DefinitionError, match=r"series\.l\.steps must be 'all', 'latest'"):
        figs.update("loss", {"series": {"l": {"steps": "last"}}})
    with pytest.raises(DefinitionError, match=r"id cannot change from 'loss' to 'new'; add a copy"):
        figs.update("loss", {"id": "new"})
    with pytest.raises(
        StaleDefinitionError, match=r"figure 'loss' changed meanwhile \(version 1, expected 7\)"
    ):
        figs.update("loss", {"title": "x"}, if_version=7)
    with pytest.raises(TypeError, match=r"changes must be a dict \(merged\), a callable or None, got list"):
        figs.update("loss", [1])
    with pytest.raises(FigureNotFoundError, match=r"no figure 'nope'"):
        figs.update("nope", {"title": "x"})

    def boom(d):
        raise RuntimeError("user code failed")

    with pytest.raises(RuntimeError, match="user code failed"):
        figs.update("loss", boom)
    assert figs.get("loss") == before
    assert figs.update("loss", {"title": "ok"}, if_version=1)["version"] == 2


def test_delete_one_or_several_all_or_none(figs):
    for fid in ("a", "b", "c"):
        figs.add(loss_figure(fid))
    with pytest.raises(FigureNotFoundError, match=r"no figure 'zz'"):
        figs.delete("a", "zz")
    assert figs.ids() == ["a", "b", "c"]
    figs.delete("a", "c")
    assert figs.ids() == ["b"]
    figs.delete("b")
    assert len(figs) == 0


def test_other_documents_are_left_alone(figs, sample_db):
    update_document(sample_db, "notes", lambda cur: {"text": "keep me"})
    figs.add(loss_figure())
    figs.delete("loss")
    assert ploteries.open(sample_db).documents() == {"notes": {"text": "keep me"}}
    assert figs.list() == []


def test_a_missing_database_is_not_created(tmp_path):
    store = FigureStore(tmp_path / "missing.h5")
    with pytest.raises(FileNotFoundError, match=r"no ploteries database at .*missing\.h5"):
        store.add(loss_figure())
    with pytest.raises(FileNotFoundError, match=r"no ploteries database at"):
        store.list()
    assert not (tmp_path / "missing.h5").exists()


def test_data_is_untouched_by_figure_changes(figs, sample_db):
    db = ploteries.open(sample_db)
    before = {(i.run, i.tag, i.part): (i.count, i.fingerprint) for i in db.series()}
    figs.add(loss_figure())
    figs.update("loss", {"title": "t"})
    figs.delete("loss")
    assert {(i.run, i.tag, i.part): (i.count, i.fingerprint) for i in db.series()} == before


def test_generation_changes_with_every_figure_change(figs, sample_db):
    db = ploteries.open(sample_db)
    g0 = db.generation
    figs.add(loss_figure())
    g1 = db.generation
    figs.update("loss", {"title": "t"})
    assert g0 < g1 < db.generation


def test_repr():
    assert repr(FigureStore("x.h5")) == "<ploteries.FigureStore 'x.h5'>"
