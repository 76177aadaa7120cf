"""PCA, subsampling and metadata columns of the embedding card."""

from __future__ import annotations

import numpy as np
import pytest

from ploteries.viz.services.projection import column_values, pca, subsample


@pytest.mark.parametrize(("n", "d"), [(500, 8), (20, 50), (9, 3)])
def test_pca_matches_the_svd_of_the_centred_data_up_to_sign(n, d):
    rng = np.random.default_rng(n)
    x = rng.normal(size=(n, d)) * np.linspace(5, 1, d)
    got = pca(x, 3)
    centred = x - x.mean(0)
    u, s, vt = np.linalg.svd(centred, full_matrices=False)
    want = centred @ vt[:3].T
    for k in range(3):
        np.testing.assert_allclose(np.abs(got.points[:, k]), np.abs(want[:, k]), atol=1e-8)
    np.testing.assert_allclose(got.explained, s[:3] ** 2 / (s**2).sum(), rtol=1e-8)


def test_pca_axes_signs_are_fixed_and_the_result_is_deterministic():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(300, 5))
    a, b = pca(x, 2), pca(x.copy(), 2)
    np.testing.assert_array_equal(a.points, b.points)
    flipped = pca(-x, 2)  # the same cloud mirrored: same axes up to sign, signs fixed by the loadings
    np.testing.assert_allclose(np.abs(flipped.points), np.abs(a.points), atol=1e-9)


def test_pca_of_low_rank_and_degenerate_inputs():
    line = np.outer(np.arange(6.0), [1.0, 2.0, 0.0])
    p = pca(line, 3)
    assert p.explained[0] == pytest.approx(1.0) and p.explained[1:] == pytest.approx([0, 0], abs=1e-12)
    np.testing.assert_allclose(np.abs(np.diff(p.points[:, 0])), np.sqrt(5.0))
    assert pca(np.ones((4, 3)), 2).points.tolist() == [[0.0, 0.0]] * 4  # no variance at all
    assert pca(np.zeros((1, 3)), 2).points.shape == (1, 2)
    with_nan = pca(np.array([[0.0, np.nan], [1.0, 0.0], [2.0, 0.0]]), 2)
    assert np.isfinite(with_nan.points).all()
    with pytest.raises(ValueError, match="2-D matrix"):
        pca(np.zeros(3), 2)


def test_subsample_is_even_sorted_and_bounded():
    idx = subsample(50_000, 20_000)
    assert len(idx) == 20_000 and idx[0] == 0 and idx[-1] == 49_999
    assert (np.diff(idx) > 0).all()
    assert subsample(10, 20).tolist() == list(range(10))


def test_metadata_columns_numbers_or_labels():
    rows = [["cat", "1"], ["dog", "2.5"], ["cat", "nan"]]
    numbers, labels = column_values(rows, 1)
    assert numbers[:2].tolist() == [1.0, 2.5] and np.isnan(numbers[2]) and labels == []
    assert column_values(rows, 0) == (None, ["cat", "dog", "cat"])
    assert column_values([["a"]], 3) == (None, [""])
