"""Bounded payloads: a card's point budget shared by its lines, typed arrays, packed card states (issue 14)."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from ploteries.viz.cards.scalar import ScalarCard
from ploteries.viz.library import Library
from ploteries.viz.scalar_figure import Redraw, pack_entries, series_entries
from ploteries.viz.scalar_traces import ScalarColumns, overview_points
from ploteries.viz.services.downsampling import minmax_downsample
from ploteries.viz.services.payload import (
    DEFAULT_BUDGET,
    MIN_LINE_POINTS,
    ZOOM_FACTOR,
    card_points,
    decode_array,
    encode_traces,
    line_budget,
    typed_array,
)
from tests.viz.helpers import card_context, plain, tensorboard_smoothing, write_scalars


@settings(deadline=None)
@given(
    lines=st.integers(0, 20_000),
    width=st.integers(1, 5000),
    factor=st.integers(1, ZOOM_FACTOR),
)
def test_a_cards_points_are_bounded_by_its_pixels_for_any_number_of_lines(lines, width, factor):
    budget = line_budget(lines, width=width, factor=factor)
    assert MIN_LINE_POINTS <= budget <= DEFAULT_BUDGET
    assert lines * budget <= max(factor * card_points(width), lines * MIN_LINE_POINTS)
    if lines * MIN_LINE_POINTS <= factor * card_points(width) and budget < DEFAULT_BUDGET:
        assert (lines + 1) * (budget + 1) > factor * card_points(
            width
        ) - lines  # the share is used, not wasted


@pytest.mark.parametrize("bad", [-1, 1.5, True, "3"])
def test_line_budget_names_the_bad_argument(bad):
    with pytest.raises(ValueError, match="lines must be a non-negative int"):
        line_budget(bad)
    with pytest.raises(ValueError, match="width must be a positive int of pixels"):
        card_points(0)


@settings(max_examples=60, deadline=None)
@given(
    values=hnp.arrays(
        np.float64,
        st.integers(3, 3000),
        elements=st.floats(-1e6, 1e6, allow_nan=False) | st.just(np.nan),
    ),
    lines=st.integers(1, 2000),
)
def test_each_pixel_columns_extremes_survive_the_shared_budget(values, lines):
    n_out = line_budget(lines)
    picked = minmax_downsample(np.arange(values.size), values, n_out)
    assert picked.size <= max(n_out, 1) and np.all(np.diff(picked) > 0)
    if values.size <= n_out:
        assert picked.size == values.size
        return
    buckets = (n_out - 2) // 2
    size = -(-(values.size - 2) // buckets)
    kept = set(picked.tolist())
    for start in range(1, values.size - 1, size):
        column = values[start : min(start + size, values.size - 1)]
        if np.isnan(column).all():
            continue
        rows = start + np.flatnonzero(~np.isnan(column))
        in_column = values[[r for r in rows if r in kept]]
        assert np.nanmin(in_column) == np.nanmin(column) and np.nanmax(in_column) == np.nanmax(column)


@settings(deadline=None)
@given(values=hnp.arrays(np.float64, st.integers(0, 200), elements=st.floats(width=32)))
def test_typed_float_arrays_round_trip_within_float32(values):
    encoded = typed_array(values)
    assert encoded["dtype"] in ("f4", "f8")
    back = decode_array(json.loads(json.dumps(encoded)))
    np.testing.assert_array_equal(np.isnan(back), np.isnan(values))
    np.testing.assert_allclose(back, values, rtol=2**-23, equal_nan=True)


@settings(deadline=None)
@given(values=hnp.arrays(np.int64, st.integers(0, 200), elements=st.integers(-(2**53), 2**53)))
@example(values=np.array([2**31 - 1, -(2**31)]))  # int32's own ends go as i4
@example(values=np.array([2**31]))
def test_typed_integer_arrays_are_exact(values):
    encoded = typed_array(values)
    in_int32 = values.size == 0 or (values.min() >= -(2**31) and values.max() <= 2**31 - 1)
    assert encoded["dtype"] == ("i4" if in_int32 else "f8")
    assert decode_array(encoded).astype(np.int64).tolist() == values.tolist()


def test_floats_that_float32_would_lose_go_as_float64_and_other_types_are_refused():
    assert typed_array(np.array([1e-40, 1.0]))["dtype"] == "f8"
    assert typed_array(np.array([1e39]))["dtype"] == "f8"
    assert typed_array(np.array([np.inf, -np.inf, 0.5]))["dtype"] == "f4"
    with pytest.raises(TypeError, match="values must be numbers or dates"):
        typed_array(np.array(["a"]))
    with pytest.raises(ValueError, match="values must be 1-D"):
        typed_array(np.zeros((2, 2)))
    traces = encode_traces([{"x": np.arange(3), "y": [1.0], "name": "n"}])
    assert traces[0]["x"]["dtype"] == "i4" and traces[0]["y"] == [1.0]  # lists are left as they are


@settings(deadline=None)
@given(entries=st.lists(st.dictionaries(st.sampled_from(["n", "fp", "key"]), st.integers() | st.text())))
def test_packed_series_entries_round_trip(entries):
    assert series_entries({"series": pack_entries(entries)}) == entries


@pytest.mark.parametrize("held", [None, "", "x" * 7, [1, 2], {"series": 3}, {"series": "bm90IGpzb24="}])
def test_unreadable_series_entries_ask_for_a_redraw(held):
    with pytest.raises(Redraw):
        series_entries(held if isinstance(held, dict) else {"series": held})


def sweep(tmp_path, runs: int, steps: int = 2000):
    rng = np.random.default_rng(runs)
    series = {
        f"r{r:03d}": {"loss": np.exp(-np.arange(steps) / 500) + 0.1 * rng.random(steps)} for r in range(runs)
    }
    return Library([write_scalars(tmp_path / f"sweep{runs}" / "db.h5", series).parent]), series


@pytest.fixture(scope="module")
def sweeps(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sweeps")
    return {runs: sweep(tmp, runs) for runs in (30, 300)}


def test_a_cards_bytes_are_bounded_by_its_pixels_not_its_runs(sweeps):
    sizes = {}
    for runs, (lib, _) in sweeps.items():
        figure = ScalarCard().render(card_context(lib, "loss")).body.figure
        data = plain(figure)["data"]
        raw, smooth = data[0::2], data[1::2]
        assert len(smooth) == runs
        assert (
            sum(len(t["x"]) for t in raw) <= card_points()
            and sum(len(t["x"]) for t in smooth) <= card_points()
        )
        sizes[runs] = len(gzip.compress(json.dumps(figure["data"]).encode()))
    assert sizes[300] < 1.25 * sizes[30]  # ten times the runs, about the same bytes on the wire
    assert sizes[300] < 250_000  # four such cards: 1 MB


def test_smoothing_is_computed_on_every_row_before_the_lines_share_the_budget(sweeps):
    lib, series = sweeps[300]
    data = plain(ScalarCard().render(card_context(lib, "loss")).body.figure)["data"]
    smooth = {t["name"]: t for t in data[1::2]}
    for run in ("r000", "r137", "r299"):
        values = series[run]["loss"]
        expected = np.asarray(tensorboard_smoothing(values, 0.6))
        x = smooth[run]["x"].astype(int)
        np.testing.assert_allclose(smooth[run]["y"], expected[x], rtol=1e-6)  # float32 on the wire
        np.testing.assert_allclose(smooth[run]["customdata"], values[x], rtol=1e-6)
        assert len(x) == line_budget(300) and x[0] == 0 and x[-1] == 1999


def test_a_zoom_reads_every_row_in_view_for_each_of_300_runs(sweeps):
    lib, series = sweeps[300]
    card = ScalarCard()
    state = card.render(card_context(lib, "loss")).state
    zoomed = card.relayout(card_context(lib, "loss"), state, {"xaxis.range[0]": 1000, "xaxis.range[1]": 1100})
    data = plain(zoomed.figure)["data"]
    assert len(data) == 600 and zoomed.state["range"] == [1000.0, 1100.0]
    for raw in data[0::2]:
        assert raw["x"].tolist() == list(range(999, 1102))  # one row beyond each edge, so lines reach them
        np.testing.assert_allclose(raw["y"], series[raw["name"]]["loss"][999:1102], rtol=1e-6)


def test_the_budget_splits_a_long_series_across_chunks():
    cols = ScalarColumns(np.arange(50_000), np.zeros(50_000), np.sin(np.arange(50_000) / 300.0))
    pts = overview_points(cols, weight=0.6, budget=line_budget(300))
    assert len(pts.x) <= line_budget(300) and pts.rows == 50_000
