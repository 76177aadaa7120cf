"""The scalar card's steps as pure functions: traces, tails, state checks (ploteries.viz.scalar_figure)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ploteries.viz.scalar_figure import (
    Redraw,
    card_state,
    ema_value,
    grown_series,
    held_entries,
    line_traces,
    series_entries,
    with_overlap,
)
from ploteries.viz.scalar_traces import ScalarColumns, extend_points, overview_points
from ploteries.viz.services.smoothing import EmaState
from tests.viz.helpers import tensorboard_smoothing


def points(values, weight=0.6):
    values = np.asarray(values, dtype=float)
    return overview_points(
        ScalarColumns(np.arange(values.size), np.zeros(values.size), values), weight=weight
    )


def test_line_traces_draw_a_faint_raw_line_under_the_smoothed_one_with_the_users_style():
    pts = points([1.0, 2.0, 3.0])
    style = {"line": {"dash": "dot"}, "opacity": 0.5}
    raw, smooth = line_traces(pts, name="r", color="#123456", style=style, xmode="step", smoothing=True)
    assert raw["opacity"] == 0.28 and raw["hoverinfo"] == "skip" and raw["showlegend"] is False
    assert raw["line"] == {"color": "#123456", "width": 1.4, "dash": "dot"}
    assert smooth["line"] == {"color": "#123456", "width": 1.8, "dash": "dot"} and smooth["opacity"] == 0.5
    np.testing.assert_allclose(smooth["y"], tensorboard_smoothing([1.0, 2.0, 3.0], 0.6))
    assert smooth["customdata"].tolist() == [1.0, 2.0, 3.0] and "smoothed" in smooth["hovertemplate"]
    (only,) = line_traces(pts, name="r", color="#000", style={}, xmode="relative", smoothing=False)
    assert "%{x:.3f} h" in only["hovertemplate"] and "opacity" not in only


@settings(deadline=None)
@given(
    head=st.lists(st.floats(-1e3, 1e3), min_size=1, max_size=30),
    tail=st.lists(st.floats(-1e3, 1e3), min_size=1, max_size=30),
    weight=st.floats(0.01, 0.99),
)
def test_a_tail_trace_continues_tensorboards_smoothing_from_the_last_point_held(head, tail, weight):
    first = points(head, weight)
    rows = ScalarColumns(np.arange(len(head), len(head) + len(tail)), np.zeros(len(tail)), np.asarray(tail))
    more = extend_points(rows, weight=weight, xmode="step", rows_before=len(head), ema=first.ema, origin=0.0)
    joined = with_overlap(more, len(head) - 1, head[-1], ema_value(first.ema, weight))
    want = tensorboard_smoothing(head + tail, weight)
    if (
        len(set(head + tail)) > 1
    ):  # TensorBoard returns an all-equal series as it is; the EMA equals it anyway
        np.testing.assert_allclose(joined.y_smooth, want[len(head) - 1 :], rtol=1e-7, atol=1e-6)
    assert joined.x.tolist() == list(range(len(head) - 1, len(head) + len(tail)))
    assert joined.y.tolist() == [head[-1], *tail] and joined.y_raw_at_smooth.tolist() == [head[-1], *tail]


def test_ema_value_before_any_row_and_at_full_weight():
    assert np.isnan(ema_value(EmaState(0.0, 0), 0.6)) and ema_value(EmaState(3.0, 2), 1.0) == 0.0


def test_held_entries_must_name_the_series_drawn_in_order():
    state = card_state(
        "scalar", "s", None, [{"key": ["db", "a", "loss", ""]}, {"key": ["db", "b", "loss", ""]}], 4
    )
    keys = [("db", "a", "loss", ""), ("db", "b", "loss", "")]
    assert [e["key"][1] for e in held_entries(state, keys)] == ["a", "b"]
    with pytest.raises(Redraw, match="other series held"):
        held_entries(state, keys[::-1])
    with pytest.raises(Redraw, match="unreadable series entries"):
        held_entries({"series": [{"key": []}]}, [])  # an unpacked list is not what the card sends
    assert series_entries(state)[1]["key"][1] == "b"


@pytest.mark.parametrize(
    ("entry", "info", "outcome"),
    [
        ({"fp": "f", "n": 3}, ("f", 3), []),
        ({"fp": "f", "n": 3}, ("f", 5), [0]),
        ({"fp": "f", "n": 3}, ("g", 5), Redraw),  # the file was replaced, or the run purged
        ({"fp": "f", "n": 6}, ("f", 5), Redraw),  # rows went away
        ({"fp": "f", "n": "3"}, ("f", 5), Redraw),  # the browser's state is untrusted
        ({"fp": "f", "n": True}, ("f", 5), Redraw),
    ],
)
def test_grown_series_or_a_redraw(entry, info, outcome):
    infos = [SimpleNamespace(fingerprint=info[0], count=info[1])]
    if outcome is Redraw:
        with pytest.raises(Redraw):
            grown_series([entry], infos)
    else:
        assert grown_series([entry], infos) == outcome


def _columns(draw_values: np.ndarray, start: int, wall0: float) -> ScalarColumns:
    n = draw_values.size
    return ScalarColumns(np.arange(start, start + n), wall0 + 7.5 * np.arange(n), draw_values)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([0, 1, 2, 3, 50, 50, 50, 301]),  # lengths shared by several series (a sweep)
            st.sampled_from(["finite", "finite", "nan", "inf", "constant"]),
            st.integers(0, 2**31),
        ),
        min_size=1,
        max_size=8,
    ),
    st.sampled_from([0.0, 0.6, 0.99, 1.0]),
    st.sampled_from(["step", "relative", "wall"]),
    st.sampled_from([4, 9, 64, 2000]),
    st.sampled_from([60, 1_000_000]),
)
def test_overviews_side_by_side_are_each_overview_alone(specs, weight, xmode, budget, chunk_rows):
    from ploteries.viz.scalar_traces import overview_points_many

    series = []
    for n, kind, seed in specs:
        values = np.random.default_rng(seed).normal(size=n) * 100
        if kind == "nan" and n:
            values[n // 2] = np.nan
        if kind == "inf" and n:
            values[-1] = np.inf
        if kind == "constant":
            values[:] = 3.0
        series.append(_columns(values, seed % 7, 1.7e9 + seed % 1000))
    many = overview_points_many(series, weight=weight, xmode=xmode, budget=budget, chunk_rows=chunk_rows)
    for cols, got in zip(series, many):
        alone = overview_points(cols, weight=weight, xmode=xmode, budget=budget, chunk_rows=chunk_rows)
        for field in ("x", "y", "x_smooth", "y_smooth", "y_raw_at_smooth"):
            a, b = getattr(got, field), getattr(alone, field)
            assert (a is None) == (b is None), field
            if a is not None:
                np.testing.assert_array_equal(a, b, err_msg=field)
                assert a.dtype == b.dtype, field
        np.testing.assert_equal(  # NaN equals NaN here (a last value may be one)
            (got.rows, tuple(got.ema), got.origin, got.last_step, got.last_value),
            (alone.rows, tuple(alone.ema), alone.origin, alone.last_step, alone.last_value),
        )
