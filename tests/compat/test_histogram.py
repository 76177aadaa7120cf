import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from ploteries.compat.histogram import (
    default_tensorflow_bins,
    encode_histogram,
    encode_histogram_raw,
    histogram_to_tensorboard,
)
from ploteries.storage.schema import HIST_BUCKET_DTYPE, HIST_STATS_DTYPE

RNG = np.random.default_rng(0)

INPUTS = {
    "normal": RNG.normal(size=1000),
    "normal_float32": RNG.normal(size=(10, 30)).astype(np.float32),
    "positive_wide": np.exp(RNG.uniform(-20, 20, size=500)),
    "ints": RNG.integers(-50, 50, size=200),
    "single": np.array([5.0]),
    "zero": np.array([0.0]),
    "constant": np.full(10, -3.25),
    "with_nan": np.array([1.0, np.nan, 2.0, -1.0]),
    "with_inf": np.array([np.inf, 1.0, -np.inf, 3.0]),
    "bools": np.array([True, False, True]),
}


def torch_default_bins():
    from torch.utils.tensorboard import SummaryWriter

    # the bins SummaryWriter computes in its constructor, without creating a log dir
    writer = SummaryWriter.__new__(SummaryWriter)
    v, buckets, neg = 1e-12, [], []
    while v < 1e20:
        buckets.append(v)
        neg.append(-v)
        v *= 1.1
    writer.default_bins = neg[::-1] + [0] + buckets
    return writer.default_bins


def test_default_bins_match_torch(tb_summary):
    import inspect

    from torch.utils.tensorboard import writer

    src = inspect.getsource(writer.SummaryWriter.__init__)
    assert "v *= 1.1" in src and "while v < 1e20" in src  # torch still builds them the same way
    edges = default_tensorflow_bins()
    assert edges.size == 1549
    np.testing.assert_array_equal(edges, torch_default_bins())
    assert np.all(np.diff(edges) > 0)
    assert not edges.flags.writeable


def tb_histogram(summary, values, bins, max_bins=None):
    h = summary.histogram("x", values, bins, max_bins=max_bins).value[0].histo
    return h


@pytest.mark.parametrize("name", sorted(INPUTS))
@pytest.mark.parametrize(
    "bins, max_bins",
    [("tensorflow", None), ("tensorflow", 30), ("tensorflow", 7), (10, None), (17, 4), ("auto", None)],
)
def test_matches_torch(tb_summary, name, bins, max_bins):
    values = INPUTS[name]
    tb_bins = torch_default_bins() if bins == "tensorflow" else bins
    try:
        expected = tb_histogram(tb_summary, values, tb_bins, max_bins)
    except ValueError:
        with pytest.raises(ValueError, match=r"values"):
            encode_histogram(values, bins=bins, max_bins=max_bins)
        return
    buckets, stats = encode_histogram(values, bins=bins, max_bins=max_bins)
    assert buckets.dtype == HIST_BUCKET_DTYPE and buckets.ndim == 1
    assert stats.dtype == HIST_STATS_DTYPE and stats.shape == ()
    limits, counts = histogram_to_tensorboard(buckets, stats)
    assert limits == list(expected.bucket_limit)
    assert counts == list(expected.bucket)
    for field in HIST_STATS_DTYPE.names:
        np.testing.assert_equal(float(stats[field]), getattr(expected, field), err_msg=field)


def test_matches_torch_for_torch_tensor(tb_summary, torch):
    t = torch.randn(3, 100, generator=torch.Generator().manual_seed(1))
    expected = tb_histogram(tb_summary, t, torch_default_bins())
    buckets, stats = encode_histogram(t)
    assert histogram_to_tensorboard(buckets, stats) == (list(expected.bucket_limit), list(expected.bucket))
    assert float(stats["sum_squares"]) == expected.sum_squares


def test_display_triples():
    buckets, stats = encode_histogram([1.0, 2.0, 2.5], bins=3)
    # np.histogram edges 1, 1.5, 2, 2.5; start == 0 so an empty bucket is prepended with right edge 1.0
    assert buckets.tolist() == [(1.0, 1.0, 0.0), (1.0, 1.5, 1.0), (1.5, 2.0, 0.0), (2.0, 2.5, 2.0)]
    assert stats.tolist() == (1.0, 2.5, 3.0, 5.5, 11.25)


def test_single_value_with_tensorflow_bins():
    buckets, stats = encode_histogram(np.array([5.0]))
    edges = default_tensorflow_bins()
    k = np.searchsorted(edges, 5.0, side="right") - 1  # bin [edges[k], edges[k+1]) holds 5
    assert buckets["right"].tolist() == [edges[k], edges[k + 1]]
    assert buckets["count"].tolist() == [0.0, 1.0]
    assert buckets["left"].tolist() == [5.0, edges[k]]


def test_nan_counts_in_num_only():
    buckets, stats = encode_histogram([1.0, np.nan, 2.0])
    assert buckets["count"].sum() == 2
    assert float(stats["num"]) == 3
    assert np.isnan(float(stats["min"])) and np.isnan(float(stats["sum"]))


@pytest.mark.parametrize(
    "values, exc, match",
    [
        ([], ValueError, r"values must hold at least one number, got an empty array of shape \(0,\)"),
        (np.zeros((0, 3)), ValueError, r"values must hold at least one number"),
        ([np.nan, np.nan], ValueError, r"values: none of the 2 values falls inside the histogram edges"),
        ([1e30], ValueError, r"values: none of the 1 values falls inside"),
        (["a", "b"], TypeError, r"values must be real numbers"),
    ],
)
def test_value_errors(values, exc, match):
    with pytest.raises(exc, match=match):
        encode_histogram(values)


def test_non_finite_with_auto_bins():
    with pytest.raises(ValueError, match=r"values contain NaN or infinity, which bins='auto' cannot place"):
        encode_histogram([1.0, np.nan], bins="auto")


@pytest.mark.parametrize(
    "max_bins, exc, match",
    [(0, ValueError, r"max_bins must be at least 1, got 0"), (2.5, TypeError, r"max_bins must be an int")],
)
def test_max_bins_errors(max_bins, exc, match):
    with pytest.raises(exc, match=match):
        encode_histogram([1.0, 2.0], max_bins=max_bins)


@settings(max_examples=60, deadline=None)
@given(
    hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=1, max_dims=2, max_side=40),
        elements=st.one_of(st.floats(-1e18, 1e18), st.sampled_from([np.nan, np.inf, -np.inf])),
    ),
    st.sampled_from(["tensorflow", 5, 50]),
    st.one_of(st.none(), st.integers(1, 60)),
)
def test_properties(values, bins, max_bins):
    finite = values[np.isfinite(values)]
    if isinstance(bins, int) and finite.size != values.size:
        return  # np.histogram cannot place non-finite values with a bin count (TensorBoard fails too)
    if finite.size == 0:
        with pytest.raises(ValueError):
            encode_histogram(values, bins=bins, max_bins=max_bins)
        return
    try:
        buckets, stats = encode_histogram(values, bins=bins, max_bins=max_bins)
    except ValueError as exc:  # numpy cannot split a range of a few ulps into `bins` bins
        assert "is not usable by np.histogram" in str(exc)
        assume(False)
    assert buckets["count"].sum() == finite.size
    assert np.all(np.diff(buckets["right"]) > 0)
    assert np.array_equal(buckets["left"][1:], buckets["right"][:-1])
    assert buckets["count"][0] == 0  # the empty bucket on the left
    assert buckets["count"][-1] > 0
    assert float(stats["num"]) == values.size
    if finite.size == values.size:
        assert float(stats["min"]) == buckets["left"][0] == finite.min()
        assert float(stats["max"]) == finite.max() <= buckets["right"][-1]


def test_raw():
    buckets, stats = encode_histogram_raw(
        min=-1, max=3, num=6, sum=5.0, sum_squares=15, bucket_limits=[0, 1, 3], bucket_counts=[1, 2, 3]
    )
    assert buckets.tolist() == [(-1.0, 0.0, 1.0), (0.0, 1.0, 2.0), (1.0, 3.0, 3.0)]
    assert stats.tolist() == (-1.0, 3.0, 6.0, 5.0, 15.0)
    assert histogram_to_tensorboard(buckets, stats) == ([0.0, 1.0, 3.0], [1.0, 2.0, 3.0])


def test_raw_matches_torch(tb_summary):
    args = dict(
        min=-1.5, max=3, num=6, sum=5.0, sum_squares=15, bucket_limits=[0, 1, 3], bucket_counts=[1, 2, 3]
    )
    h = tb_summary.histogram_raw("x", **args).value[0].histo
    buckets, stats = encode_histogram_raw(**args)
    assert histogram_to_tensorboard(buckets, stats) == (list(h.bucket_limit), list(h.bucket))
    assert stats.tolist() == (h.min, h.max, h.num, h.sum, h.sum_squares)


def test_raw_length_mismatch():
    with pytest.raises(ValueError, match=r"len\(bucket_limits\) != len\(bucket_counts\): 2 != 3"):
        encode_histogram_raw(0, 1, 1, 1, 1, [0.5, 1], [0, 1, 0])


def test_raw_scalar_field_error():
    with pytest.raises(ValueError, match=r"num must be a single number, got shape \(2,\)"):
        encode_histogram_raw(0, 1, [1, 2], 1, 1, [1], [1])


def test_to_tensorboard_checks_dtype():
    with pytest.raises(TypeError, match=r"buckets must have dtype HIST_BUCKET_DTYPE"):
        histogram_to_tensorboard(np.zeros(3), np.zeros((), HIST_STATS_DTYPE))
