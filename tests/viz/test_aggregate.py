import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from ploteries.viz.services.aggregate import CENTERS, SPREADS, align, band_of, group_band

values_with_gaps = st.one_of(
    st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False),
    st.just(float("nan")),
    st.just(float("inf")),
)


@st.composite
def members(draw, max_members=6, max_len=40):
    """Lines with increasing integer steps and values that may be NaN or inf."""
    n = draw(st.integers(1, max_members))
    xs, ys = [], []
    for _ in range(n):
        steps = draw(st.lists(st.integers(0, 500), min_size=1, max_size=max_len, unique=True))
        xs.append(np.array(sorted(steps), dtype=np.int64))
        ys.append(np.array(draw(st.lists(values_with_gaps, min_size=len(steps), max_size=len(steps)))))
    return xs, ys


@given(members(), st.sampled_from(CENTERS), st.sampled_from(SPREADS), st.integers(1, 60))
def test_band_holds_its_line_and_counts_members(lines, center, spread, points):
    xs, ys = lines
    b = group_band(xs, ys, points=points, center=center, spread=spread)
    assert len(b.x) <= points
    assert np.all(np.isfinite(b.center)) and np.all(b.count >= 1) and np.all(b.count <= len(xs))
    assert np.all(b.low <= b.center) and np.all(b.center <= b.high)
    assert np.all(np.diff(b.x) > 0)


@given(members(max_members=6), st.sampled_from(CENTERS))
def test_minmax_band_is_the_members_extremes(lines, center):
    xs, ys = lines
    grid, values = align(xs, ys, 10_000)
    b = band_of(values, center, "minmax")
    has = b.count > 0
    finite = np.where(np.isfinite(values), values, np.nan)
    np.testing.assert_array_equal(b.low[has], np.nanmin(finite[:, has], axis=0))
    np.testing.assert_array_equal(b.high[has], np.nanmax(finite[:, has], axis=0))
    assert np.all(np.isnan(b.center[~has]))


@given(
    st.lists(st.integers(-1000, 1000), min_size=1, max_size=50, unique=True),
    st.data(),
    st.sampled_from(CENTERS),
    st.sampled_from(SPREADS),
)
def test_one_member_group_is_that_run(steps, data, center, spread):
    x = np.array(sorted(steps), dtype=np.int64)
    y = np.array(data.draw(st.lists(st.floats(-1e9, 1e9), min_size=len(x), max_size=len(x))))
    b = group_band([x], [y], points=len(x), center=center, spread=spread)
    np.testing.assert_array_equal(b.x, x)
    np.testing.assert_array_equal(b.center, y)
    np.testing.assert_array_equal(b.low, y)
    np.testing.assert_array_equal(b.high, y)


@given(hnp.arrays(np.float64, st.tuples(st.integers(1, 5), st.integers(1, 8)), elements=values_with_gaps))
def test_identical_members_give_a_zero_width_band(row):
    values = np.repeat(row[:1], 4, axis=0)
    for spread in SPREADS:
        b = band_of(values, "median", spread)
        ok = np.isfinite(row[0])
        np.testing.assert_array_equal(b.count, np.where(ok, 4, 0))
        np.testing.assert_allclose(b.low[ok], row[0][ok])
        np.testing.assert_allclose(b.high[ok], row[0][ok])


def test_golden_mean_std_and_median():
    values = np.array([[0.0, 1.0], [2.0, 3.0], [4.0, np.nan]])
    mean = band_of(values, "mean", "std")
    np.testing.assert_allclose(mean.center, [2.0, 2.0])
    np.testing.assert_allclose(mean.high - mean.center, [np.sqrt(8 / 3), 1.0])
    median = band_of(values, "median", "minmax")
    np.testing.assert_allclose(median.center, [2.0, 2.0])
    assert median.low.tolist() == [0.0, 1.0] and median.count.tolist() == [3, 2]


def test_members_are_interpolated_inside_their_range_only():
    grid, values = align(
        [np.array([0, 100]), np.array([50, 150])], [np.array([0.0, 10.0]), np.array([1.0, 1.0])], 100
    )
    assert grid.tolist() == [0, 50, 100, 150]
    np.testing.assert_array_equal(values, [[0.0, 5.0, 10.0, np.nan], [np.nan, 1.0, 1.0, 1.0]])


def test_dates_stay_dates():
    x = np.array(["2026-01-01T00:00:00", "2026-01-01T01:00:00"], dtype="datetime64[ms]")
    b = group_band([x, x], [np.array([1.0, 2.0]), np.array([3.0, 4.0])], points=10)
    assert b.x.dtype == x.dtype and b.x.tolist() == x.tolist()
    assert b.center.tolist() == [2.0, 3.0]


def test_a_long_union_is_thinned_to_the_budget():
    xs = [np.arange(0, 10_000, 3), np.arange(1, 10_000, 7)]
    b = group_band(xs, [np.ones(len(x)) for x in xs], points=500)
    assert len(b.x) == 500 and b.x[0] == 0 and b.x[-1] == 9999


def test_bad_arguments_name_the_fix():
    with pytest.raises(ValueError, match="center must be one of"):
        band_of(np.zeros((1, 1)), "mode")
    with pytest.raises(ValueError, match="one y array per x array"):
        align([np.zeros(1)], [], 5)
    with pytest.raises(ValueError, match="points must be at least 1"):
        align([np.zeros(1)], [np.zeros(1)], 0)
