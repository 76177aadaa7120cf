"""The hparams card's pure data: columns, rows, parallel-coordinates axes, colours, brushes."""

from __future__ import annotations

import math

import pytest

from ploteries.viz.services.hparams_table import (
    FADED,
    apply_restyle,
    brushed_ids,
    line_colors,
    parcoords_dimensions,
    parent_run,
    table_columns,
    table_rows,
)

TRIALS = [
    {
        "id": "a",
        "label": "exp/a",
        "color": "#111111",
        "hparams": {"lr": 0.1, "bs": 32.0, "opt": "adam", "bn": 1.0},
        "metrics": {"acc": 0.7},
        "scalars": {"loss": 0.5},
    },
    {
        "id": "b",
        "label": "exp/b",
        "color": "#222222",
        "hparams": {"lr": 0.001, "bs": 64.0, "opt": "sgd", "bn": 0.0, "extra": "x"},
        "metrics": {"acc": 0.9},
        "scalars": {},
    },
]


@pytest.fixture
def table():
    columns = table_columns(TRIALS, ["loss"])
    return table_rows(TRIALS, columns), columns


def test_columns_are_hparams_then_metrics_then_scalars(table):
    rows, columns = table
    assert [(c["id"], c["type"]) for c in columns] == [
        ("h:lr", "numeric"),
        ("h:bs", "numeric"),
        ("h:opt", "text"),
        ("h:bn", "numeric"),
        ("h:extra", "text"),
        ("m:acc", "numeric"),
        ("s:loss", "numeric"),
    ]
    assert columns[0]["name"] == ["hyperparameters", "lr"]
    assert rows[0] == {
        "id": "a",
        "trial": "exp/a",
        "_color": "#111111",
        "h:lr": 0.1,
        "h:bs": 32.0,
        "h:opt": "adam",
        "h:bn": 1.0,
        "h:extra": None,
        "m:acc": 0.7,
        "s:loss": 0.5,
    }
    assert rows[1]["s:loss"] is None


def test_non_finite_values_are_shown_as_text_not_lost():
    trial = {**TRIALS[0], "metrics": {"acc": math.nan}}
    (row,) = table_rows([trial], table_columns([trial], []))
    assert row["m:acc"] == "nan"


def test_parcoords_axes_numbers_log_categories_and_missing(table):
    rows, columns = table
    dims = {d["name"]: d for d in parcoords_dimensions(rows, columns)}
    assert dims["h:bs"]["values"] == [32.0, 64.0] and dims["h:bs"]["label"] == "bs"
    assert dims["h:lr"]["label"] == "lr (log)"  # two decades: a log axis
    assert dims["h:lr"]["values"] == pytest.approx([-1.0, -3.0])
    assert dims["h:lr"]["ticktext"] == ["0.001", "0.01", "0.1"]
    assert dims["h:opt"]["values"] == [0, 1] and dims["h:opt"]["ticktext"] == ["adam", "sgd"]
    assert dims["h:extra"]["ticktext"] == ["x", "(none)"] and dims["h:extra"]["values"] == [1, 0]
    assert dims["h:bn"]["values"] == [1.0, 0.0]  # bools are stored as 1/0
    assert math.isnan(dims["s:loss"]["values"][1])
    assert dims["s:loss"]["range"] == [-0.5, 1.5]  # one value: the axis still has height
    kept = parcoords_dimensions(rows, columns, {"m:acc": [0.8, 1.0]})
    assert [d.get("constraintrange") for d in kept if d["name"] == "m:acc"] == [[0.8, 1.0]]


def test_line_colours_keep_each_trial_colour_and_fade_the_others(table):
    rows, _ = table
    assert line_colors(rows, None) == (
        [0.5, 1.5],
        [[0.0, "#111111"], [0.5, "#111111"], [0.5, "#222222"], [1.0, "#222222"]],
    )
    _, scale = line_colors(rows, ["b"])
    assert scale[0][1] == FADED and scale[2][1] == "#222222"


def test_brushes_from_restyle_events(table):
    rows, columns = table
    ids = [c["id"] for c in columns]
    acc = ids.index("m:acc")
    brush = apply_restyle({}, [{f"dimensions[{acc}].constraintrange": [[0.8, 1.0]]}, [0]], ids)
    assert brush == {"m:acc": [0.8, 1.0]}
    dims = parcoords_dimensions(rows, columns)
    assert brushed_ids(rows, dims, brush) == ["b"]
    two = apply_restyle(brush, [{f"dimensions[{acc}].constraintrange": [[[0.0, 0.75], [0.85, 1]]]}, [0]], ids)
    assert brushed_ids(rows, dims, two) == ["a", "b"]
    assert apply_restyle(two, [{f"dimensions[{acc}].constraintrange": None}, [0]], ids) == {}
    assert apply_restyle(brush, [{"line.color": 1}, [0]], ids) == brush  # other restyles change nothing
    assert apply_restyle(brush, None, ids) == brush
    assert brushed_ids(rows, dims, {"s:loss": [0, 1]}) == ["a"]  # a missing value is outside any brush


def test_parent_run():
    assert parent_run("exp/trial/1712.5", ["exp/trial", "exp"]) == "exp/trial"
    assert parent_run("exp/1712.5", []) is None
