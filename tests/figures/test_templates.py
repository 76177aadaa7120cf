"""Ready-made definitions: valid, stored, and filled with real data that Plotly accepts."""

from __future__ import annotations

import numpy as np
import pytest

import ploteries
from ploteries.figures import build_figure, validate_definition
from ploteries.figures.templates import (
    TEMPLATES,
    final_bar,
    glob_escape,
    latest_heatmap,
    latest_histogram,
    lines,
    multi_tag,
    runs_band,
    value_distribution,
)

from .conftest import RUNS, attention, train_loss, train_steps

go = pytest.importorskip("plotly.graph_objects")


def drawn(db_path, definition):
    """Store the definition, read it back, fill it from the database and hand it to Plotly."""
    db = ploteries.open(db_path)
    db.figures.add(definition)
    fig = build_figure(db.figures.get(definition["id"]), db)
    go.Figure(fig)  # Plotly validates every trace attribute
    return fig


def test_every_template_is_a_fixed_point_of_validation():
    examples = [
        lines("a", "loss/*"),
        multi_tag("b", ["loss/train", "loss/val"]),
        runs_band("c", "loss/train"),
        runs_band("d", "loss/train", band="std"),
        latest_heatmap("e", "attn", "seed=0"),
        latest_histogram("f", "samples"),
        final_bar("g", "loss/train"),
        value_distribution("h", "loss/val"),
    ]
    assert {e["id"] for e in examples} == set("abcdefgh")
    for e in examples:
        assert validate_definition(e) == e
    assert set(TEMPLATES) == {
        "lines", "multi_tag", "runs_band", "latest_heatmap", "latest_histogram", "final_bar", "value_distribution"
    }  # fmt: skip


def test_lines(sample_db):
    fig = drawn(sample_db, lines("l", "loss/train", runs="seed=*", tab="training"))
    assert [t["name"] for t in fig["data"]] == [f"{r}: loss/train" for r in RUNS]
    np.testing.assert_allclose(fig["data"][1]["y"], [train_loss(1, s) for s in range(20)])


def test_multi_tag_draws_one_line_per_run_and_tag(sample_db):
    fig = drawn(sample_db, multi_tag("m", ["loss/train", "loss/val"], runs="seed=[01]", title="Losses"))
    names = [t["name"] for t in fig["data"]]
    assert names == ["seed=0: loss/train", "seed=1: loss/train", "seed=0: loss/val", "seed=1: loss/val"]
    assert fig["layout"]["title"] == {"text": "Losses"}
    assert fig["data"][3]["y"].tolist() == [1.0, 6.0, 11.0, 16.0]


@pytest.mark.parametrize("band", ["minmax", "std"])
def test_runs_band_is_a_mean_line_in_a_band(sample_db, band):
    fig = drawn(sample_db, runs_band("b", "loss/train", runs="seed=*", band=band))
    lower, upper, mean = fig["data"]
    assert upper["fill"] == "tonexty" and "fill" not in lower and mean["name"] == "loss/train (mean)"
    table = np.full((3, 20), np.nan)
    for r in range(3):
        for s in train_steps(r):
            table[r, s] = train_loss(r, s)
    np.testing.assert_array_equal(mean["x"], np.arange(20))
    np.testing.assert_allclose(mean["y"], np.nanmean(table, axis=0))
    if band == "minmax":
        np.testing.assert_allclose(lower["y"], np.nanmin(table, axis=0))
        np.testing.assert_allclose(upper["y"], np.nanmax(table, axis=0))
    else:
        std = np.nanstd(table, axis=0)
        np.testing.assert_allclose(lower["y"], np.nanmean(table, axis=0) - std)
        np.testing.assert_allclose(upper["y"], np.nanmean(table, axis=0) + std)


def test_runs_band_per_tag_keeps_each_band_next_to_its_edges(sample_db):
    fig = drawn(sample_db, runs_band("b", "loss/*", runs="seed=*"))
    assert [t["name"] for t in fig["data"]] == [
        "loss/train (min-max)", "loss/train (min-max)", "loss/train (mean)",
        "loss/val (min-max)", "loss/val (min-max)", "loss/val (mean)",
    ]  # fmt: skip
    np.testing.assert_allclose(fig["data"][5]["y"], [1.0, 6.0, 11.0, 16.0])


@pytest.mark.parametrize("trace", ["heatmap", "surface", "contour"])
def test_latest_heatmap_binds_the_latest_2d_tensor(sample_db, trace):
    fig = drawn(sample_db, latest_heatmap("h", "attn", "seed=0", trace=trace))
    (t,) = fig["data"]
    assert t["type"] == trace
    np.testing.assert_array_equal(t["z"], attention(4))


def test_latest_heatmap_takes_the_run_literally(sample_db):
    d = latest_heatmap("h", "loss/train", "lr=0.1[a]")
    assert d["series"]["m"]["run"] == "lr=0.1[[]a]" and glob_escape("a*?") == "a[*][?]"
    (t,) = build_figure(d, ploteries.open(sample_db))["data"]  # a scalar: the run matched, and only it
    assert t["z"] == 1.0 and t["name"] == "loss/train"


def test_latest_histogram(sample_db):
    fig = drawn(sample_db, latest_histogram("h", "samples", runs="seed=*"))
    assert [t["x"].tolist()[:2] for t in fig["data"]] == [[2.0, 2.0], [3.0, 3.0], [4.0, 4.0]]
    assert fig["layout"]["barmode"] == "overlay"


def test_final_bar(sample_db):
    fig = drawn(sample_db, final_bar("f", "loss/train", runs="seed=*"))
    assert [(t["x"], t["y"]) for t in fig["data"]] == [
        (["seed=0"], [pytest.approx(train_loss(0, 19))]),
        (["seed=1"], [pytest.approx(train_loss(1, 19))]),
        (["seed=2"], [pytest.approx(train_loss(2, 14))]),
    ]


@pytest.mark.parametrize("trace", ["box", "violin"])
def test_value_distribution(sample_db, trace):
    fig = drawn(sample_db, value_distribution("v", "loss/val", runs="seed=*", trace=trace))
    assert [t["type"] for t in fig["data"]] == [trace] * 3
    assert fig["data"][2]["y"].tolist() == [2.0, 7.0, 12.0, 17.0]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: runs_band("b", "loss", band="iqr"), r"band must be one of 'minmax', 'std', got 'iqr'"),
        (lambda: multi_tag("m", "loss"), r"tags must be a non-empty list of tag globs, got 'loss'"),
        (
            lambda: latest_heatmap("h", "a", "r", trace="bar"),
            r"trace must be 'heatmap', 'surface' or 'contour'",
        ),
        (lambda: value_distribution("v", "a", trace="bar"), r"trace must be 'box' or 'violin', got 'bar'"),
        (lambda: lines("auto/x", "loss"), r"id 'auto/x' starts with 'auto/'"),
    ],
)
def test_template_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()
