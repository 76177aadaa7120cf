import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tensorboard.plugins.distribution.compressor import compress_histogram

from ploteries.viz.services.histogram_layout import (
    BASIS_POINTS,
    HIST_BUCKET_DTYPE,
    common_edges,
    distribution_bands,
    rebin,
)


def buckets(*triples):
    return np.array(list(triples), dtype=HIST_BUCKET_DTYPE)


def tensorboard_buckets(values, bins):
    """Display triples as TensorBoard builds them: first left = min, later lefts = previous right."""
    counts, limits = np.histogram(values, bins)
    rights = limits[1:]
    lefts = np.concatenate([[values.min()], rights[:-1]])
    return buckets(*zip(lefts, rights, counts.astype(np.float64)))


def tb_bands(b):
    return np.array([v for _, v in compress_histogram([tuple(r) for r in b.tolist()])])


def test_basis_points_match_tensorboard():
    from tensorboard.plugins.distribution.compressor import NORMAL_HISTOGRAM_BPS

    assert BASIS_POINTS == NORMAL_HISTOGRAM_BPS


@pytest.mark.parametrize(
    "b",
    [
        buckets(),
        buckets((0.0, 1.0, 1.0), (1.0, 2.0, 1.0)),
        buckets((-3.0, -1.0, 0.0), (-1.0, 0.5, 4.0), (0.5, 2.0, 0.0), (2.0, 9.0, 1.0)),
        buckets((2.0, 2.0, 5.0)),  # all values equal
        buckets((0.0, 1.0, 0.0), (1.0, 2.0, 0.0)),  # no weight: TB answers the max
        buckets((-1.0, 0.0, 1.0), (0.0, 0.0, 0.0), (0.0, 1.0, 1.0)),  # zero-width empty bucket
        buckets((5.0, 1.0, 3.0), (1.0, 7.0, 1.0)),  # min above the first limit (TB's trimmed left)
    ],
)
def test_bands_match_tensorboard_on_edge_cases(b):
    np.testing.assert_array_equal(distribution_bands(b), tb_bands(b))


def test_bands_of_two_uniform_buckets():
    got = distribution_bands(buckets((0.0, 1.0, 1.0), (1.0, 2.0, 1.0)))
    np.testing.assert_allclose(got, np.array(BASIS_POINTS) / 5000)


def test_empty_histogram_gives_zeros():
    np.testing.assert_array_equal(distribution_bands(buckets()), np.zeros(9))


@settings(max_examples=150, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 2000),
    bins=st.one_of(st.integers(1, 60), st.sampled_from(["auto", "fd", "sturges"])),
    spread=st.floats(1e-3, 1e3),
)
def test_bands_match_tensorboard_on_random_histograms(seed, n, bins, spread):
    values = np.random.default_rng(seed).standard_t(3, size=n) * spread
    b = tensorboard_buckets(values, bins)
    np.testing.assert_array_equal(distribution_bands(b), tb_bands(b))


def test_bands_reject_plain_arrays():
    with pytest.raises(ValueError, match="fields left, right, count"):
        distribution_bands(np.zeros((3, 3)))


def test_common_edges_span_all_steps():
    edges = common_edges([buckets((0.0, 1.0, 2.0)), buckets(), buckets((-2.0, 0.5, 1.0), (0.5, 4.0, 1.0))], 6)
    np.testing.assert_allclose(edges, [-2, -1, 0, 1, 2, 3, 4])


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        ([], [0.0, 0.5, 1.0]),
        ([buckets()], [0.0, 0.5, 1.0]),
        ([buckets((3.0, 3.0, 4.0))], [2.5, 3.0, 3.5]),
        ([buckets((-np.inf, 1.0, 1.0), (1.0, 2.0, 1.0))], [1.0, 1.5, 2.0]),
    ],
)
def test_common_edges_degenerate(steps, expected):
    np.testing.assert_allclose(common_edges(steps, 2), expected)


@pytest.mark.parametrize("n_bins", [0, -1, 2.5, True])
def test_common_edges_rejects_bad_n_bins(n_bins):
    with pytest.raises(ValueError, match="n_bins must be a positive int"):
        common_edges([], n_bins)


@pytest.mark.parametrize(
    ("b", "edges", "expected"),
    [
        (buckets((0.0, 2.0, 4.0)), [0.0, 1.0, 3.0], [2.0, 2.0]),
        (buckets((0.0, 1.0, 3.0), (1.0, 4.0, 6.0)), [0.0, 2.0, 4.0], [5.0, 4.0]),
        (buckets((0.0, 4.0, 8.0)), [1.0, 2.0, 3.0], [2.0, 2.0]),  # mass outside edges dropped
        (buckets((1.0, 1.0, 5.0)), [0.0, 1.0, 2.0], [0.0, 5.0]),  # point mass on an inner edge
        (buckets((2.0, 2.0, 5.0)), [0.0, 1.0, 2.0], [0.0, 5.0]),  # on the last edge: closed bin
        (buckets((9.0, 9.0, 5.0)), [0.0, 1.0, 2.0], [0.0, 0.0]),
        (buckets(), [0.0, 1.0], [0.0]),
    ],
)
def test_rebin(b, edges, expected):
    np.testing.assert_allclose(rebin(b, np.array(edges)), expected)


@settings(max_examples=100, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_bins=st.integers(1, 80), src_bins=st.integers(1, 80))
def test_rebin_preserves_total_and_cdf(seed, n_bins, src_bins):
    values = np.random.default_rng(seed).normal(size=500)
    steps = [tensorboard_buckets(values, src_bins), tensorboard_buckets(values * 2 + 1, 7)]
    edges = common_edges(steps, n_bins)
    for b in steps:
        out = rebin(b, edges)
        assert out.min() >= 0
        np.testing.assert_allclose(out.sum(), b["count"].sum(), rtol=1e-12)


def test_rebin_onto_the_same_edges_is_identity():
    b = buckets((0.0, 1.0, 3.0), (1.0, 2.5, 0.0), (2.5, 3.0, 7.0))
    np.testing.assert_allclose(rebin(b, np.array([0.0, 1.0, 2.5, 3.0])), [3.0, 0.0, 7.0])


@pytest.mark.parametrize("edges", [[1.0], [0.0, 0.0], [2.0, 1.0], [[0.0, 1.0]]])
def test_rebin_rejects_bad_edges(edges):
    with pytest.raises(ValueError, match="edges must be 1-D, increasing"):
        rebin(buckets((0.0, 1.0, 1.0)), np.array(edges))
