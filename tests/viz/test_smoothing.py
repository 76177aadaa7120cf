import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from ploteries.viz.services.smoothing import smooth_ema
from tests.viz.helpers import tensorboard_smoothing


def reference_ema(values, weight):
    return np.array(tensorboard_smoothing(values, weight), dtype=np.float64)


def assert_matches_reference(values, weight):
    got, want = smooth_ema(values, weight), reference_ema(values, weight)
    assert got.shape == want.shape
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    finite_in = np.asarray(values, dtype=np.float64)
    finite_in = finite_in[np.isfinite(finite_in)]
    scale = float(np.max(np.abs(finite_in))) if finite_in.size else 1.0
    ok = ~np.isnan(want)
    np.testing.assert_allclose(got[ok], want[ok], rtol=1e-9, atol=1e-9 * scale)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([1.0, 0.5, 0.0], [1.0, 0.6875, 0.336734693877551]),
        ([0.0, 0.5, 1.0], [0.0, 0.3125, 0.663265306122449]),
        ([1.0, 2.0, 3.0, np.nan, 4.0], [1.0, 1.625, 2.326530612244898, np.nan, 3.0955882352941178]),
    ],
)
def test_golden_vectors_at_default_weight(values, expected):
    np.testing.assert_allclose(smooth_ema(values), expected, rtol=1e-12)


@pytest.mark.parametrize("values", [[], [3.0], [2.0, 2.0, 2.0], [-1.5] * 5000])
def test_all_equal_is_unchanged(values):
    np.testing.assert_array_equal(smooth_ema(values, 0.9), np.asarray(values, dtype=np.float64))


def test_constant_with_one_nan_is_smoothed_like_tensorboard():
    # NaN != NaN, so the series is not "all equal": TB smooths it (and the constant stays constant).
    np.testing.assert_allclose(smooth_ema([2.0, np.nan, 2.0], 0.6), [2.0, np.nan, 2.0])


@pytest.mark.parametrize(
    ("weight", "expected"),
    [
        (-3.0, [1.0, 3.0, 2.0]),  # clamped to 0: no smoothing
        (float("nan"), [1.0, 3.0, 2.0]),  # NaN counts as 0
        (0.0, [1.0, 3.0, 2.0]),
        (1.0, [0.0, 0.0, 0.0]),  # TB: last stays 0 and is not debiased
        (7.0, [0.0, 0.0, 0.0]),  # clamped to 1
        (0.5, [1.0, 7 / 3, 15 / 7]),
    ],
)
def test_weight_is_clamped(weight, expected):
    np.testing.assert_allclose(smooth_ema([1.0, 3.0, 2.0], weight), expected, rtol=1e-12)


def test_non_finite_values_pass_through_and_are_not_counted():
    got = smooth_ema([1.0, np.inf, 2.0, -np.inf, np.nan, 3.0], 0.6)
    np.testing.assert_array_equal(got[[1, 3]], [np.inf, -np.inf])
    assert np.isnan(got[4])
    np.testing.assert_allclose(got[[0, 2, 5]], smooth_ema([1.0, 2.0, 3.0], 0.6), rtol=1e-15)


def test_returns_new_float64_array():
    values = np.array([1, 2, 3], dtype=np.int32)
    got = smooth_ema(values, 0.6)
    assert got.dtype == np.float64
    got[:] = 0
    np.testing.assert_array_equal(values, [1, 2, 3])


def test_rejects_2d_input():
    with pytest.raises(ValueError, match=r"values must be 1-D, got shape \(2, 2\)"):
        smooth_ema(np.zeros((2, 2)))


@pytest.mark.parametrize("weight", [1e-300, 1e-12, 0.003, 0.3, 0.6, 0.95, 0.999, 0.99999])
@pytest.mark.parametrize("n", [2, 1023, 1024, 1025, 70_000])
def test_long_series_match_reference(weight, n):
    rng = np.random.default_rng(n)
    values = rng.normal(size=n).cumsum() + 5.0
    values[rng.integers(0, n, n // 20)] = np.nan
    assert_matches_reference(values, weight)


def test_extreme_magnitudes_do_not_overflow():
    values = np.array([1e300, -1e300, 1e-300, 5.0] * 600)
    got = smooth_ema(values, 0.6)
    assert np.isfinite(got).all()
    assert_matches_reference(values, 0.6)


def test_subnormal_values_do_not_overflow_the_scaling():
    # hypothesis found it: scaling a subnormal peak up to 1 needs 2**1039, which overflows
    got = smooth_ema([1.11e-313, 0.0], 0.5)
    assert got[0] == pytest.approx(1.11e-313, rel=1e-6, abs=0) and got[1] == pytest.approx(
        3.7e-314, rel=1e-6, abs=0
    )
    assert_matches_reference(np.array([1.11e-313, 0.0]), 0.5)


@settings(max_examples=200, deadline=None)
@given(
    values=hnp.arrays(
        np.float64,
        st.integers(0, 3000),
        elements=st.one_of(
            st.floats(-1e6, 1e6),
            st.sampled_from([np.nan, np.inf, -np.inf]),
        ),
    ),
    weight=st.one_of(st.floats(0.0, 1.0), st.sampled_from([0.6, 0.999, 1.0, -1.0, 2.0, np.nan])),
)
def test_matches_reference_loop(values, weight):
    assert_matches_reference(values, weight)


@settings(max_examples=200, deadline=None)
@given(
    values=hnp.arrays(
        np.float64,
        st.integers(2, 300),
        elements=st.one_of(
            st.floats(-1e6, 1e6, allow_subnormal=False), st.just(float("nan")), st.just(float("inf"))
        ),
    ),
    cut=st.floats(0, 1),
    weight=st.floats(0, 1),
)
def test_continuing_from_a_prefix_state_equals_smoothing_the_whole_series(values, cut, weight):
    from ploteries.viz.services.smoothing import ema_state, smooth_ema_continue

    whole = reference_ema(values, weight)
    finite = values[np.isfinite(values)]
    if finite.size and np.all(finite == finite[0]) and np.all(np.isfinite(values)):
        return  # TensorBoard's all-equal shortcut: no loop state to continue from
    k = int(cut * (len(values) - 1)) + 1
    head = smooth_ema(values[:k], weight)
    tail, state = smooth_ema_continue(values[k:], weight, ema_state(values[:k], head, weight))
    assert state.n == int(np.isfinite(values).sum())
    np.testing.assert_array_equal(np.isnan(tail), np.isnan(whole[k:]))
    scale = float(np.max(np.abs(finite))) if finite.size else 1.0
    ok = np.isfinite(whole[k:])
    np.testing.assert_allclose(tail[ok], whole[k:][ok], rtol=1e-7, atol=1e-7 * scale)


def test_continuation_rejects_2d_values():
    from ploteries.viz.services.smoothing import EmaState, smooth_ema_continue

    with pytest.raises(ValueError, match="values must be 1-D"):
        smooth_ema_continue(np.zeros((2, 2)), 0.6, EmaState(0.0, 0))


@settings(max_examples=200, deadline=None)
@given(
    hnp.arrays(
        np.float64,
        st.tuples(st.integers(1, 5), st.integers(0, 3000)),
        elements=st.floats(-1e300, 1e300) | st.sampled_from([0.0, -0.0, 1e-310, 5.0]),
    ),
    st.floats(0.0, 1.0) | st.sampled_from([0.0, 0.01, 0.6, 0.999, 1.0]),
)
def test_smoothing_rows_side_by_side_is_smoothing_each_alone_to_the_bit(values, weight):
    from ploteries.viz.services.smoothing import smooth_ema_rows

    rows = smooth_ema_rows(values, weight)
    for i, row in enumerate(values):
        np.testing.assert_array_equal(rows[i], smooth_ema(row, weight))


def test_smoothing_rows_refuses_what_it_cannot_do_alike():
    from ploteries.viz.services.smoothing import smooth_ema_rows

    with pytest.raises(ValueError, match="2-D"):
        smooth_ema_rows(np.zeros(3))
    with pytest.raises(ValueError, match="finite.*smooth_ema"):
        smooth_ema_rows(np.array([[1.0, np.nan]]))
