"""The generic card: figure definitions from the databases drawn with the data they bind."""

from __future__ import annotations

import json

import numpy as np
import pytest

import ploteries
from ploteries.figures import templates
from ploteries.storage import DatabaseWriter
from ploteries.viz.app import Viewer
from ploteries.viz.cards.plotly import PlotlyCard, line_columns
from ploteries.viz.library import Library
from ploteries.viz.settings import ViewSettings
from tests.viz.helpers import tensorboard_smoothing, write_scalars


@pytest.fixture
def db(tmp_path):
    path = write_scalars(
        tmp_path / "db.h5",
        {"a": {"loss/train": [1.0, 2.0, 3.0], "loss/val": [3.0, 2.0]}, "b": {"loss/train": [5.0, 7.0, 9.0]}},
    )
    with DatabaseWriter(path) as w:
        w.append("a", "attention", np.arange(6.0).reshape(2, 3), step=0)
        w.append("a", "attention", np.arange(6.0, 12.0).reshape(2, 3), step=1)
    return path


def model_of(path, fid, settings=None):
    lib = Library([path.parent])
    viewer = Viewer(lib)
    snapshot = lib.refresh()
    models = {m.id: m for m in viewer.models(snapshot, None, None, None, None)}
    model = models[fid]
    return model, viewer.context(
        model, snapshot, settings or ViewSettings(smoothing=0), viewer.colors(snapshot)
    )


def test_a_stored_multi_tag_definition_becomes_a_card_in_its_tab(db):
    ploteries.open(db).figures.add(templates.multi_tag("losses", ["loss/train", "loss/val"], tab="overview"))
    model, ctx = model_of(db, "losses")
    assert model.error is None and isinstance(model.card_type, PlotlyCard)
    fig = model.card_type.render(ctx).body.figure
    assert [(t["name"], t["y"].tolist()) for t in fig["data"]] == [
        ("a: loss/train", [1.0, 2.0, 3.0]),
        ("b: loss/train", [5.0, 7.0, 9.0]),
        ("a: loss/val", [3.0, 2.0]),
    ]
    assert fig["data"][0]["line"]["color"] != fig["data"][1]["line"]["color"]  # run colours
    lib = Library([db.parent])
    viewer = Viewer(lib)
    snapshot = lib.refresh()
    assert [m.id for m in viewer.models(snapshot, "overview", None, None, None)] == ["losses"]


def test_runs_band_draws_mean_and_min_max_over_runs(db):
    ploteries.open(db).figures.add(templates.runs_band("band", "loss/train"))
    model, ctx = model_of(db, "band")
    low, high, mean = model.card_type.render(ctx).body.figure["data"]
    assert low["y"].tolist() == [1.0, 2.0, 3.0] and high["y"].tolist() == [5.0, 7.0, 9.0]
    assert mean["y"].tolist() == [3.0, 4.5, 6.0] and high["fill"] == "tonexty"


def test_latest_heatmap_and_rewind(db):
    ploteries.open(db).figures.add(templates.latest_heatmap("attn", "attention", "a"))
    model, ctx = model_of(db, "attn")
    (heat,) = model.card_type.render(ctx).body.figure["data"]
    assert np.asarray(heat["z"]).tolist() == [[6.0, 7.0, 8.0], [9.0, 10.0, 11.0]]
    model, ctx = model_of(db, "attn", ViewSettings(step=0))
    (heat,) = model.card_type.render(ctx).body.figure["data"]
    assert np.asarray(heat["z"]).tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]


def test_line_traces_are_smoothed_on_the_full_series_with_the_raw_line_faint(db):
    ploteries.open(db).figures.add(templates.lines("l", "loss/train", "a"))
    model, ctx = model_of(db, "l", ViewSettings(smoothing=0.6))
    raw, smooth = model.card_type.render(ctx).body.figure["data"]
    assert raw["opacity"] == 0.28 and raw["y"].tolist() == [1.0, 2.0, 3.0]
    np.testing.assert_allclose(smooth["y"], tensorboard_smoothing([1, 2, 3], 0.6))


def test_live_refresh_redraws_only_when_a_bound_series_changes(db):
    ploteries.open(db).figures.add(templates.lines("l", "loss/train", "a"))
    model, ctx = model_of(db, "l")
    state = model.card_type.render(ctx).state
    model, ctx = model_of(db, "l")
    assert model.card_type.refresh(ctx, state, live=True) is None
    with DatabaseWriter(db) as w:
        w.append_scalar("a", "loss/train", 4.0, 3)
    model, ctx = model_of(db, "l")
    update = model.card_type.refresh(ctx, state, live=True)
    assert update.figure["data"][0]["y"].tolist() == [1.0, 2.0, 3.0, 4.0]


def test_an_invalid_stored_definition_is_an_error_card_naming_the_problem(db):
    from ploteries.storage import update_document

    update_document(
        db, "figure/bad", lambda _: {"id": "bad", "series": {}, "figure": {"data": [{"type": "scater"}]}}
    )
    model, _ = model_of(db, "bad")
    assert "figure.data[0].type" in model.error and "scatter" in model.error


def test_a_binding_to_a_missing_series_is_an_empty_card(db):
    ploteries.open(db).figures.add(templates.lines("later", "not/written/yet"))
    model, ctx = model_of(db, "later")
    assert model.error is None and model.card_type.render(ctx).body.figure["data"] == []


def test_plotly_validation_errors_are_raised_for_the_card_frame(db):
    d = templates.lines("odd", "loss/train", "a")
    d["figure"]["data"][0]["line"] = {"colour": "red"}
    ploteries.open(db).figures.add(d)
    model, ctx = model_of(db, "odd")
    with pytest.raises(ValueError, match="colour"):
        model.card_type.render(ctx)


def test_line_columns_downsamples_long_lines_keeping_extremes():
    n = 100_000
    cols = {"step": np.arange(n), "value": np.sin(np.arange(n) / 100.0), "wall_time": np.zeros(n)}
    smoothed, raw = line_columns(cols, "step", "value", weight=0.0, budget=500)
    assert (
        raw is None and len(smoothed["step"]) <= 500 and len(smoothed["wall_time"]) == len(smoothed["step"])
    )
    assert smoothed["value"].max() == pytest.approx(1.0, abs=1e-4)


def test_default_cards_are_valid_definitions_users_can_copy_and_edit(db, capsys):
    from ploteries.cli import main
    from ploteries.figures import validate_definition

    assert main(["figures", "show", str(db), "auto/scalar/loss/train"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert validate_definition(shown, allow_reserved=True)["series"]["y"]["tag"] == "loss/train"
    shown.update(id="my-loss", title="log loss")
    shown["figure"]["layout"] = {"yaxis": {"type": "log"}}
    ploteries.open(db).figures.add(shown)
    model, ctx = model_of(db, "my-loss")
    fig = model.card_type.render(ctx).body.figure  # a scalar card again, with the user's layout
    assert model.definition["card"] == "scalar" and fig["layout"]["yaxis"]["type"] == "log"
    assert [t["name"] for t in fig["data"]] == ["a", "b"]
    assert main(["figures", "show", str(db), "auto/scalar/nope"]) == 2
