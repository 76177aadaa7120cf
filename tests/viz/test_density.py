"""The density picture of many lines: the rasteriser (exact counts, bounds, gaps, log axes) and its trace."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ploteries.viz.density_figure import density_refresh_due, extent_of, overlay_runs
from ploteries.viz.services.density import (
    DENSITY_WIDTH,
    column_spans,
    count_grid,
    decode_grid,
    density_colorscale,
    density_trace,
    grid_array,
    line_spans,
    span_range,
    to_pixels,
)


def grid(lines, x_range, y_range, width, height, log_y=False):
    lo, hi = line_spans(lines, x_range, width=width, log_y=log_y)
    return count_grid(lo, hi, y_range, height=height)


def test_a_horizontal_line_fills_one_row_of_every_column():
    counts = grid([(np.array([0, 10]), np.array([0.5, 0.5]))], (0, 10), (0.0, 1.0), 5, 4)
    assert counts.tolist() == [[0] * 5, [0] * 5, [1] * 5, [0] * 5]


def test_a_diagonal_fills_the_cells_it_crosses_and_two_lines_add_up():
    up = (np.array([0.0, 4.0]), np.array([0.0, 4.0]))
    down = (np.array([0.0, 4.0]), np.array([4.0, 0.0]))
    counts = grid([up, down], (0, 4), (0.0, 4.0), 4, 4)
    # in column c the rising line spans y in [c, c + 1]: rows c and c + 1 (the top edge, y = 4, is row 3)
    assert counts.tolist() == [[1, 0, 0, 1], [1, 1, 1, 1], [0, 2, 2, 0], [1, 1, 1, 1]]


def test_a_steep_segment_fills_its_column_from_low_to_high():
    counts = grid([(np.array([0.2, 0.6]), np.array([0.0, 9.99]))], (0, 1), (0.0, 10.0), 1, 10)
    assert counts[:, 0].tolist() == [1] * 10


def test_a_segment_crossing_many_columns_is_drawn_in_each():
    counts = grid([(np.array([0, 100]), np.array([0.0, 0.0]))], (0, 100), (-1.0, 1.0), 50, 2)
    assert counts.tolist() == [[0] * 50, [1] * 50]


def test_non_finite_rows_are_gaps_and_a_lone_row_is_a_dot():
    x = np.array([0.0, 1.0, 2.0, 3.0, 4.0, 5.0])
    y = np.array([0.5, 0.5, np.nan, 0.5, np.inf, 0.5])
    counts = grid([(x, y)], (0, 6), (0.0, 1.0), 6, 1)
    # rows 0-1 joined (columns 0-1, and column 1's right edge), row 3 alone, row 5 alone
    assert counts[0].tolist() == [1, 1, 0, 1, 0, 1]


def test_a_one_row_line_is_one_cell():
    counts = grid([(np.array([7]), np.array([2.5]))], (0, 10), (0.0, 10.0), 10, 4)
    assert counts.sum() == 1 and counts[1, 7] == 1


def test_rows_outside_the_ranges_are_left_out_and_crossing_segments_cut():
    line = (np.array([-10.0, 5.0, 20.0]), np.array([0.5, 0.5, 50.0]))
    counts = grid([line], (0, 10), (0.0, 1.0), 10, 1)
    # from the left edge to x=5, then up out of the range (y=3.8 at x=6): columns 6-9 left empty
    assert counts[0].tolist() == [1] * 6 + [0] * 4
    only_out = grid([(np.array([0, 10]), np.array([5.0, 6.0]))], (0, 10), (0.0, 1.0), 10, 1)
    assert only_out.sum() == 0


def test_log_axes_rasterise_log10_and_drop_values_at_or_below_zero():
    line = (np.array([0, 1, 2, 3]), np.array([1.0, 10.0, -1.0, 100.0]))
    lo, hi = line_spans([line], (0, 3), width=3, log_y=True)
    assert lo.tolist() == [[0.0, 1.0, 2.0]] and hi.tolist() == [[1.0, 1.0, 2.0]]


def test_dates_are_pixels_by_milliseconds():
    t0 = np.datetime64("2026-01-01T00:00:00", "ms")
    x = t0 + np.array([0, 500, 1000], "timedelta64[ms]")
    assert to_pixels(x, (t0, t0 + np.timedelta64(1000, "ms")), 10).tolist() == [0.0, 5.0, 10.0]
    with pytest.raises(ValueError, match="x_range must be two finite, increasing values"):
        to_pixels([1], (1, 1), 10)


def test_bad_arguments_name_themselves():
    with pytest.raises(ValueError, match="starts must rise"):
        column_spans([0.0], [0.0], [0, 2], 4)
    with pytest.raises(ValueError, match="width must be a positive int"):
        column_spans([0.0], [0.0], [0, 1], 0)
    with pytest.raises(ValueError, match="y_range must be two finite"):
        count_grid(np.zeros((1, 1)), np.zeros((1, 1)), (1.0, 0.0))


def naive_spans(lines, width):
    """Per line and column, min/max of the y the polyline takes there (loops: the oracle)."""
    out = []
    for px, y in lines:
        lo, hi = [math.inf] * width, [-math.inf] * width

        def put(c, v, lo=lo, hi=hi):
            if 0 <= c < width:
                lo[c], hi[c] = min(lo[c], v), max(hi[c], v)

        for i in range(len(px)):
            if math.isfinite(px[i]) and math.isfinite(y[i]) and 0 <= px[i] <= width:
                put(min(math.floor(px[i]), width - 1), y[i])
        for i in range(len(px) - 1):
            x0, x1, y0, y1 = px[i], px[i + 1], y[i], y[i + 1]
            if not all(math.isfinite(v) for v in (x0, x1, y0, y1)) or x0 == x1:
                continue
            for b in range(max(math.ceil(min(x0, x1)), 0), min(math.floor(max(x0, x1)), width) + 1):
                v = y0 + (b - x0) / (x1 - x0) * (y1 - y0)
                put(b - 1, v)
                put(b, v)
        out.append(
            ([v if v != math.inf else math.nan for v in lo], [v if v != -math.inf else math.nan for v in hi])
        )
    return out


coordinate = st.one_of(
    st.floats(-3, 12, allow_nan=False), st.just(math.nan), st.just(math.inf), st.integers(0, 10).map(float)
)
polyline = st.integers(1, 12).flatmap(
    lambda n: st.tuples(
        st.lists(coordinate, min_size=n, max_size=n), st.lists(coordinate, min_size=n, max_size=n)
    )
)


@settings(max_examples=150, deadline=None)
@given(st.lists(polyline, min_size=1, max_size=5), st.integers(1, 12))
def test_spans_match_a_loop_over_every_segment(lines, width):
    px = np.concatenate([np.asarray(x, float) for x, _ in lines])
    y = np.concatenate([np.asarray(v, float) for _, v in lines])
    starts = np.concatenate([[0], np.cumsum([len(x) for x, _ in lines])])
    lo, hi = column_spans(px, y, starts, width)
    for i, (want_lo, want_hi) in enumerate(naive_spans(lines, width)):
        np.testing.assert_allclose(lo[i], want_lo, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(hi[i], want_hi, rtol=1e-12, atol=1e-12)


@settings(max_examples=100, deadline=None)
@given(st.lists(polyline, min_size=1, max_size=6), st.integers(1, 9), st.integers(1, 9))
def test_counts_are_bounded_by_the_lines_and_each_line_counts_once_per_row(lines, width, height):
    lo, hi = line_spans([(np.asarray(x), np.asarray(y)) for x, y in lines], (0, 10), width=width)
    counts = count_grid(lo, hi, (0.0, 10.0), height=height)
    assert counts.shape == (height, width) and counts.min() >= 0 and counts.max() <= len(lines)
    per_line = [
        count_grid(lo[i : i + 1], hi[i : i + 1], (0.0, 10.0), height=height) for i in range(len(lines))
    ]
    assert all(g.max() <= 1 for g in per_line)
    np.testing.assert_array_equal(sum(per_line), counts)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-5, 5), min_size=2, max_size=30), st.integers(2, 20))
def test_a_finite_line_over_the_range_leaves_no_column_empty(values, width):
    x = np.linspace(0, 1, len(values))
    counts = grid([(x, np.asarray(values))], (0, 1), (-5.0, 5.0), width, 7)
    assert (counts.sum(axis=0) >= 1).all()  # a connected line is seen in every column it spans


def test_span_range_pads_flat_pictures_and_takes_a_domain():
    lo, hi = np.array([[1.0, np.nan]]), np.array([[4.0, np.nan]])
    assert span_range(lo, hi) == (1.0, 4.0)
    assert span_range(lo, hi, domain=lambda v: (0.0, 10.0)) == (0.0, 10.0)
    assert span_range(np.full((1, 2), np.nan), np.full((1, 2), np.nan)) is None


def test_the_trace_is_a_heatmap_of_the_counts_with_a_log_colour_scale():
    counts = np.array([[0, 1, 300], [2, 0, 0]])
    trace = density_trace(counts, (0, 30), (1.0, 3.0), xmode="step", lines=300)
    assert trace["type"] == "heatmap" and trace["z"]["dtype"] == "u2"
    np.testing.assert_array_equal(decode_grid(trace["z"]), counts)
    assert trace["zmax"] == 300 and trace["meta"] == {"density": 300}
    scale = trace["colorscale"]
    assert scale[0] == [0.0, "rgba(255,255,255,0)"] and scale[-1][0] == 1.0
    assert scale[1][0] == pytest.approx(1 / 300)  # one line already has the first colour
    assert "lines here" in trace["hovertemplate"]
    assert grid_array(np.array([[255]]))["dtype"] == "u1"
    assert all(b[0] > a[0] for a, b in zip(density_colorscale(5000), density_colorscale(5000)[1:]))


def test_a_log_trace_has_its_rows_at_powers_of_ten_and_a_wall_trace_dates():
    trace = density_trace(np.ones((2, 2), int), (0, 2), (0.0, 2.0), log_y=True)
    from ploteries.viz.services.payload import decode_array

    np.testing.assert_allclose(decode_array(trace["y"]), [10**0.5, 10**1.5], rtol=1e-6)
    t0 = np.datetime64("2026-01-01T00:00:00", "ms")
    wall = density_trace(np.ones((1, 2), int), (t0, t0 + np.timedelta64(4, "s")), (0.0, 1.0), xmode="wall")
    assert wall["x"] == ["2026-01-01T00:00:01.000", "2026-01-01T00:00:03.000"]


def test_overlay_requests_and_refresh_stamps_from_the_browser_are_checked():
    assert overlay_runs({"hover": 3, "pins": "x", "cards": None}) == (None, [], None)
    assert overlay_runs({"pins": [f"r{i}" for i in range(20)]})[1] == [f"r{i}" for i in range(12, 20)]
    assert density_refresh_due({"at": True}) and density_refresh_due({"at": 1e300})
    assert extent_of("step", []) is None


# ------------------------------------------------------------------------------------------- the card


@pytest.fixture
def dense(monkeypatch, tmp_path):
    """A library of 12 runs x 50 steps, and cards drawing more than 4 lines as a density picture."""
    import ploteries.viz.cards.scalar as scalar
    from ploteries.viz.library import Library
    from tests.viz.helpers import write_scalars

    monkeypatch.setattr(scalar, "DENSITY_LINES", 4)
    series = {f"r{i:02d}": {"loss": np.linspace(i, i + 1, 50)} for i in range(12)}
    return Library([write_scalars(tmp_path / "db.h5", series).parent]), series


def test_a_card_of_many_lines_is_one_heatmap_of_them_and_empty_slots(dense):
    from ploteries.viz.cards.scalar import ScalarCard
    from ploteries.viz.density_figure import OVERLAY_SLOTS
    from ploteries.viz.services.smoothing import smooth_ema
    from ploteries.viz.settings import ViewSettings
    from tests.viz.helpers import card_context

    lib, series = dense
    figure, state = ScalarCard().figure_and_state(card_context(lib, "loss", ViewSettings(smoothing=0.0)))
    picture, *slots = figure["data"]
    assert picture["type"] == "heatmap" and picture["meta"] == {"density": 12}
    assert len(slots) == OVERLAY_SLOTS and all(s["x"] == [] for s in slots)
    assert state["density"]["slots"] == 1 and state["ntraces"] == 1 + OVERLAY_SLOTS
    lines = [(np.arange(50), v["loss"]) for v in series.values()]
    lo, hi = line_spans(lines, (0, 49))
    np.testing.assert_array_equal(decode_grid(picture["z"]), count_grid(lo, hi, span_range(lo, hi)))
    assert (
        figure["layout"]["xaxis"]["title"]["text"]
        == "step · density of 12 lines (hover or pin a run to draw it)"
    )
    smoothed, _ = ScalarCard().figure_and_state(
        card_context(lib, "loss")
    )  # smoothing 0.6: the smoothed lines
    lo, hi = line_spans([(x, smooth_ema(y, 0.6)) for x, y in lines], (0, 49))
    np.testing.assert_array_equal(
        decode_grid(smoothed["data"][0]["z"]), count_grid(lo, hi, span_range(lo, hi))
    )


def test_hovered_and_pinned_runs_are_drawn_in_the_slots(dense):
    from ploteries.viz.cards.scalar import ScalarCard
    from tests.viz.helpers import card_context, plain

    lib, series = dense
    card = ScalarCard()
    _, state = card.figure_and_state(card_context(lib, "loss"))
    patch = card.overlay(card_context(lib, "loss"), state, "r03", ["r07", "nope"])
    ops = {tuple(op["location"]): op["params"]["value"] for op in patch.to_plotly_json()["operations"]}
    assert sorted(ops) == [("data", i) for i in range(1, 10)]
    hovered = plain({"data": [ops[("data", 1)]]})["data"][0]
    assert hovered["name"] == "r03" and hovered["line"]["width"] == 3.0 and hovered["meta"]["hovered"]
    assert len(hovered["x"]) == 50 and hovered["x"][-1] == 49
    assert ops[("data", 2)]["name"] == "r07" and ops[("data", 2)]["line"]["width"] == 2.2
    assert all(ops[("data", i)]["x"] == [] for i in range(3, 10))
    assert card.overlay(card_context(lib, "loss"), {"density": "junk"}, "r03", []) is None


def test_live_ticks_redraw_the_picture_at_most_every_refresh_period(dense, tmp_path):
    from ploteries.storage import DatabaseWriter
    from ploteries.viz.cards.scalar import ScalarCard
    from tests.viz.helpers import card_context

    lib, _ = dense
    card = ScalarCard()
    _, state = card.figure_and_state(card_context(lib, "loss"))
    with DatabaseWriter(tmp_path / "db.h5") as w:
        w.append_scalar("r00", "loss", 5.0, 50)
    assert card.refresh(card_context(lib, "loss"), state, live=True) is None  # drawn just now
    old = {**state, "density": {**state["density"], "at": 0.0}}
    update = card.refresh(card_context(lib, "loss"), old, live=True)
    assert update.figure["data"][0]["type"] == "heatmap" and update.state["density"]["at"] > 0


def test_a_zoom_redraws_the_picture_over_the_range_in_view(dense):
    from ploteries.viz.cards.scalar import ScalarCard
    from ploteries.viz.services.payload import decode_array
    from tests.viz.helpers import card_context

    lib, _ = dense
    card = ScalarCard()
    _, state = card.figure_and_state(card_context(lib, "loss"))
    zoomed = card.relayout(card_context(lib, "loss"), state, {"xaxis.range[0]": 10, "xaxis.range[1]": 20})
    x = decode_array(zoomed.figure["data"][0]["x"])
    assert (
        zoomed.state["range"] == [10.0, 20.0]
        and x[0] == pytest.approx(10 + 10 / (2 * DENSITY_WIDTH))
        and x[-1] < 20
    )
    assert (
        decode_grid(zoomed.figure["data"][0]["z"]).sum(axis=0).min() >= 12
    )  # every line crosses each column


@pytest.mark.parametrize("xmode", ["relative", "wall"])
@pytest.mark.parametrize("log_y", [False, True])
def test_the_picture_follows_the_x_axis_mode_and_a_log_y_axis(dense, xmode, log_y):
    from ploteries.viz.cards.scalar import ScalarCard
    from ploteries.viz.services.payload import decode_array
    from ploteries.viz.settings import ViewSettings
    from tests.viz.helpers import card_context

    lib, series = dense
    settings = ViewSettings(smoothing=0.0, xmode=xmode, log_y=log_y)
    figure, state = ScalarCard().figure_and_state(card_context(lib, "loss", settings))
    picture = figure["data"][0]
    counts = decode_grid(picture["z"])
    # every line crosses every column (on a log axis run r00's first row, 0, is a gap: 11 lines there)
    assert picture["type"] == "heatmap" and counts.sum(axis=0).min() >= (11 if log_y else 12)
    y = decode_array(picture["y"])
    if log_y:  # rows evenly spaced in log10, from the lowest positive value (run 0 starts at 0: left out)
        assert y[0] > 0 and np.allclose(np.diff(np.log10(y)), np.log10(y[1] / y[0]), rtol=1e-4)
    if xmode == "wall":
        assert picture["x"][0].startswith("20") and len(picture["x"]) == DENSITY_WIDTH
    else:  # hours since each run's first row: the 50 rows are 1 s apart in write_scalars
        x = decode_array(picture["x"])
        assert 0 < x[0] < x[-1] < 49 / 3600 + 1e-9
    zoom = state["range"] is None and ScalarCard().relayout(
        card_context(lib, "loss", settings),
        state,
        {"xaxis.range[0]": picture["x"][10], "xaxis.range[1]": picture["x"][-10]}
        if xmode == "wall"
        else {"xaxis.range[0]": float(x[10]), "xaxis.range[1]": float(x[-10])},
    )
    assert zoom.figure["data"][0]["type"] == "heatmap" and zoom.state["density"]["slots"] == 1
