import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from ploteries.viz.services.downsampling import lttb_downsample, minmax_downsample, visible_range

DOWNSAMPLERS = [minmax_downsample, lttb_downsample]


def noisy(n, seed=0):
    rng = np.random.default_rng(seed)
    return np.arange(n, dtype=np.int64), rng.normal(size=n)


def test_minmax_keeps_each_bucket_extremes():
    y = [0, 1, 0, 9, 0, 1, 0, 0, -5, 0, 1, 0]
    assert minmax_downsample(np.arange(12), y, 6).tolist() == [0, 2, 3, 8, 10, 11]


@pytest.mark.parametrize("position", [1, 777, 49_999, 99_998])
@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_minmax_keeps_a_single_spike(position, sign):
    x, y = noisy(100_000)
    y[position] = sign * 1e6
    idx = minmax_downsample(x, y, 500)
    assert position in idx
    assert y[idx].max() == y.max() and y[idx].min() == y.min()


def test_lttb_keeps_a_large_spike():
    x, y = noisy(100_000)
    y[31_337] = 1e6
    assert 31_337 in lttb_downsample(x, y, 500)


@pytest.mark.parametrize("downsample", DOWNSAMPLERS)
@pytest.mark.parametrize("n_out", [0, 1, 2, 3, 4, 5, 100, 1001])
def test_output_bounded_sorted_and_keeps_ends(downsample, n_out):
    x, y = noisy(10_000)
    idx = downsample(x, y, n_out)
    assert idx.dtype == np.int64
    assert idx.size <= n_out
    assert np.all(np.diff(idx) > 0)  # sorted, unique: x[idx] stays monotone
    if n_out >= 2:
        assert idx[0] == 0 and idx[-1] == x.size - 1


@pytest.mark.parametrize("downsample", DOWNSAMPLERS)
@pytest.mark.parametrize("n", [0, 1, 2, 50])
def test_short_series_are_kept_whole(downsample, n):
    x, y = noisy(n)
    assert downsample(x, y, 50).tolist() == list(range(n))


def test_lttb_exact_size_when_reducing():
    x, y = noisy(10_000)
    assert lttb_downsample(x, y, 1000).size == 1000


def test_minmax_all_nan_keeps_ends_and_gap_rows():
    y = np.full(1000, np.nan)
    idx = minmax_downsample(np.arange(1000), y, 100)
    assert idx[0] == 0 and idx[-1] == 999 and idx.size <= 100
    assert np.isnan(y[idx]).all()


def test_minmax_ignores_nan_when_choosing_extremes():
    y = np.zeros(1000)
    y[::2] = np.nan
    y[501] = 5.0
    y[503] = -5.0
    idx = minmax_downsample(np.arange(1000), y, 10)
    assert {501, 503} <= set(idx.tolist())
    assert np.isfinite(y[idx[1:-1]]).all()


def test_minmax_keeps_one_row_of_an_all_nan_bucket():
    y = np.arange(1002, dtype=np.float64)
    y[1:501] = np.nan  # the first of two buckets is all NaN
    idx = minmax_downsample(np.arange(1002), y, 6)
    assert idx.tolist() == [0, 1, 501, 1000, 1001]


def test_lttb_drops_non_finite_points():
    x, y = noisy(1000)
    y[::3] = np.nan
    y[10] = np.inf
    idx = lttb_downsample(x, y, 100)
    assert idx.size == 100 and np.isfinite(y[idx]).all()
    assert idx[0] == 1 and idx[-1] == 998


def test_lttb_all_nan_is_empty():
    assert lttb_downsample(np.arange(10), np.full(10, np.nan), 5).size == 0


def test_lttb_with_uneven_x():
    x = np.cumsum(np.random.default_rng(1).exponential(size=5000))
    y = np.sin(x / 50)
    idx = lttb_downsample(x, y, 200)
    assert idx.size == 200 and np.all(np.diff(x[idx]) > 0)


@pytest.mark.parametrize("downsample", DOWNSAMPLERS)
@pytest.mark.parametrize(
    ("x", "y", "n_out", "message"),
    [
        ([1, 2], [1], 5, r"same length, got shapes \(2,\) and \(1,\)"),
        ([1, 2], [1, 2], -1, "n_out must be a non-negative int, got -1"),
        ([1, 2], [1, 2], 2.5, "n_out must be a non-negative int, got 2.5"),
    ],
)
def test_bad_arguments(downsample, x, y, n_out, message):
    with pytest.raises(ValueError, match=message):
        downsample(x, y, n_out)


@settings(max_examples=100, deadline=None)
@given(
    y=hnp.arrays(
        np.float64, st.integers(0, 2000), elements=st.floats(allow_nan=True, allow_infinity=False, width=32)
    ),
    n_out=st.integers(0, 300),
)
def test_minmax_properties(y, n_out):
    idx = minmax_downsample(np.arange(y.size), y, n_out)
    assert idx.size <= max(n_out, 0) and np.all(np.diff(idx) > 0)
    if y.size > n_out >= 4 and np.isfinite(y[1:-1]).any():
        inner = y[1:-1]
        assert np.nanmax(y[idx]) >= np.nanmax(inner) and np.nanmin(y[idx]) <= np.nanmin(inner)


@pytest.mark.parametrize(
    ("x0", "x1", "expected"),
    [
        (12, 28, slice(1, 4)),
        (10, 30, slice(0, 5)),
        (28, 12, slice(1, 4)),  # reversed axis
        (None, 15, slice(0, 3)),
        (25, None, slice(2, 5)),
        (None, None, slice(0, 5)),
        (-100, -50, slice(0, 1)),
        (100, 200, slice(4, 5)),
        (41, 42, slice(4, 5)),
    ],
)
def test_visible_range(x0, x1, expected):
    assert visible_range([0, 10, 20, 30, 40], x0, x1) == expected


def test_visible_range_empty_and_datetime():
    assert visible_range([], 0, 1) == slice(0, 0)
    x = np.array(["2024-01-01", "2024-01-02", "2024-01-03"], dtype="datetime64[ms]")
    assert visible_range(x, np.datetime64("2024-01-02T01:00"), np.datetime64("2024-01-02T02:00")) == slice(
        1, 3
    )


def minmax_by_loop(y: np.ndarray, n_out: int) -> list[int]:
    """The documented rule, one bucket at a time: ends, then each bucket's first min and first max (NaN ignored;
    an all-NaN bucket gives its first row)."""
    n = len(y)
    if n <= n_out:
        return list(range(n))
    buckets = (n_out - 2) // 2
    if buckets < 1:
        return [0, n - 1][:n_out]
    inner = y[1:-1]
    size = -(-len(inner) // buckets)
    picked = {0, n - 1}
    for start in range(0, len(inner), size):
        part = inner[start : start + size]
        finite = ~np.isnan(part)
        if not finite.any():
            picked.add(start + 1)
            continue
        values = np.where(finite, part, np.nan)
        picked.add(start + 1 + int(np.nanargmin(values)))
        picked.add(start + 1 + int(np.nanargmax(values)))
    return sorted(picked)


@given(
    hnp.arrays(np.float64, st.integers(0, 300), elements=st.floats(-5, 5) | st.just(np.nan)),
    st.integers(0, 40),
)
def test_minmax_follows_the_bucket_rule(y, n_out):
    assert minmax_downsample(np.arange(len(y)), y, n_out).tolist() == minmax_by_loop(y, n_out)


@settings(max_examples=200, deadline=None)
@given(
    hnp.arrays(
        np.float64,
        st.tuples(st.integers(1, 5), st.integers(0, 400)),
        elements=st.floats(allow_nan=False) | st.sampled_from([0.0, 1.0]),
    ),
    st.integers(0, 500),
)
def test_minmax_rows_side_by_side_is_each_row_alone(values, n_out):
    from ploteries.viz.services.downsampling import minmax_downsample_rows

    rows = minmax_downsample_rows(values, n_out)
    assert len(rows) == len(values)
    for i, row in enumerate(values):
        alone = minmax_downsample(np.arange(row.size), row, n_out)
        np.testing.assert_array_equal(rows[i], alone)
        assert rows[i].dtype == alone.dtype


def test_minmax_rows_refuses_gaps():
    from ploteries.viz.services.downsampling import minmax_downsample_rows

    with pytest.raises(ValueError, match="NaN"):
        minmax_downsample_rows(np.array([[1.0, np.nan, 2.0]]), 4)
