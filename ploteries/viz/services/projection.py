"""Projections of embeddings for the embedding card: PCA (pure numpy), subsampling, metadata colouring.

PCA centres the points and takes the top principal axes from the SVD of the centred matrix (or, when there
are many more points than dimensions, from the eigen-decomposition of the D x D covariance: the same axes
at a fraction of the cost). Axis signs are fixed (the largest loading of each axis is positive) so the
picture does not flip between redraws.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

__all__ = ["Projection", "column_values", "pca", "subsample"]


@dataclasses.dataclass(frozen=True)
class Projection:
    """Projected points ``(N, k)`` and the fraction of the variance each axis explains."""

    points: np.ndarray
    explained: np.ndarray


def pca(x: np.ndarray, k: int) -> Projection:
    """The first ``k`` principal components of the rows of ``x`` (``N x D``).

    Dimensions beyond the data's rank (e.g. ``k=3`` of 2-D data) are zeros with 0 explained variance.
    Non-finite values are treated as 0.

    Examples
    --------
    >>> x = np.array([[0.0, 0.0], [2.0, 0.0], [4.0, 0.1], [6.0, -0.1]])
    >>> p = pca(x, 2)
    >>> np.round(p.points[:, 0], 2).tolist(), round(float(p.explained[0]), 3)
    ([-3.0, -1.0, 1.0, 3.0], 0.999)
    """
    x = np.asarray(x, np.float64)
    if x.ndim != 2:
        raise ValueError(f"pca needs a 2-D matrix (points x dimensions), got shape {x.shape}")
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    n, d = x.shape
    x = np.where(np.isfinite(x), x, 0.0)
    centred = x - x.mean(axis=0) if n else x
    total = float((centred**2).sum())
    m = min(k, d, max(n - 1, 0))
    points = np.zeros((n, k))
    explained = np.zeros(k)
    if m == 0 or total == 0.0:
        return Projection(points, explained)
    if n > 4 * d:
        values, vectors = np.linalg.eigh(centred.T @ centred)
        axes = vectors[:, ::-1][:, :m].T
        variances = np.clip(values[::-1][:m], 0.0, None)
    else:
        _, s, vt = np.linalg.svd(centred, full_matrices=False)
        axes = vt[:m]
        variances = s[:m] ** 2
    signs = np.sign(axes[np.arange(m), np.argmax(np.abs(axes), axis=1)])
    axes = axes * np.where(signs == 0, 1.0, signs)[:, None]
    points[:, :m] = centred @ axes.T
    explained[:m] = variances / total
    return Projection(points, explained)


def subsample(n: int, limit: int) -> np.ndarray:
    """Indices of at most ``limit`` of ``n`` points, evenly spread and sorted (all of them when they fit).

    Examples
    --------
    >>> subsample(10, 4).tolist(), len(subsample(3, 5))
    ([0, 3, 6, 9], 3)
    """
    if n <= limit:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, limit).round().astype(np.int64))


def column_values(rows: Sequence[Sequence[str]], column: int) -> tuple[np.ndarray | None, list[str]]:
    """One metadata column: ``(floats, [])`` when every cell is a number, else ``(None, labels)``.

    Examples
    --------
    >>> column_values([["a", "1"], ["b", "2.5"]], 1)[0].tolist()
    [1.0, 2.5]
    >>> column_values([["a", "1"], ["b", "x"]], 1)
    (None, ['1', 'x'])
    """
    cells = [str(r[column]) if column < len(r) else "" for r in rows]
    try:
        values = np.array([float(c) for c in cells], np.float64)
    except ValueError:
        return None, cells
    if cells and np.isfinite(values).any():
        return values, []
    return None, cells
