"""Reduce a series to what a screen can show, and find the rows of a zoomed range.

The viewer smooths the full series first, then keeps ~1-2k points per trace. ``minmax_downsample``
keeps every bucket's extremes so spikes stay visible; ``lttb_downsample`` (Largest-Triangle-Three-
Buckets) keeps the points that best preserve the visual shape. Both return sorted row indices, so
``x[idx]`` stays monotone and the same indices select any other column (wall time, raw values).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["lttb_downsample", "minmax_downsample", "minmax_downsample_rows", "visible_range"]


def _check(x: ArrayLike, y: ArrayLike, n_out: int) -> tuple[NDArray[Any], NDArray[np.float64]]:
    x_arr = np.asarray(x)
    y_arr = np.asarray(y, dtype=np.float64)
    if x_arr.ndim != 1 or y_arr.ndim != 1 or x_arr.shape != y_arr.shape:
        raise ValueError(
            f"x and y must be 1-D of the same length, got shapes {x_arr.shape} and {y_arr.shape}"
        )
    if isinstance(n_out, bool) or not isinstance(n_out, (int, np.integer)) or n_out < 0:
        raise ValueError(f"n_out must be a non-negative int, got {n_out!r}")
    return x_arr, y_arr


def _ends(n: int, n_out: int) -> NDArray[np.int64]:
    """First and last index, limited to ``n_out`` entries."""
    return np.array([0, n - 1][: min(n_out, 2)] if n > 1 else [0][:n_out], dtype=np.int64)


def _bucket_arg(arg, values: NDArray[np.float64], size: int) -> NDArray[np.int64]:
    """``arg`` (``np.argmin`` or ``np.argmax``) of each run of ``size`` values along the last axis (the last run may
    be shorter), as indices into that axis: full buckets in one reshaped call, the short one apart (no padded copy
    of the series). A 2-D ``values`` gives one row of indices per row."""
    m = values.shape[-1]
    full = m // size
    lead = values.shape[:-1]
    found = [
        np.arange(full, dtype=np.int64) * size
        + arg(values[..., : full * size].reshape(*lead, full, size), -1)
    ]
    if full * size < m:
        found.append(
            full * size + np.asarray(arg(values[..., full * size :], axis=-1), dtype=np.int64)[..., None]
        )
    return np.concatenate(found, axis=-1)


def minmax_downsample(x: ArrayLike, y: ArrayLike, n_out: int) -> NDArray[np.int64]:
    """Indices that keep the first and last point and each bucket's minimum and maximum.

    The rows between the first and last are split into ``(n_out - 2) // 2`` buckets of equal row
    count; each bucket contributes the positions of its smallest and largest y (NaN ignored; an
    all-NaN bucket contributes one NaN row, so the gap in the line stays visible).

    Parameters
    ----------
    x, y : array_like
        1-D, same length. ``x`` is only checked for shape; buckets are by row.
    n_out : int
        Upper bound on the number of indices returned.

    Returns
    -------
    numpy.ndarray
        Sorted, unique int64 row indices, at most ``n_out`` of them (all rows if ``len(y) <= n_out``).

    Examples
    --------
    >>> y = [0, 1, 0, 9, 0, 1, 0, 0, -5, 0, 1, 0]
    >>> minmax_downsample(range(12), y, 6).tolist()
    [0, 2, 3, 8, 10, 11]
    """
    _, y_arr = _check(x, y, n_out)
    n = y_arr.size
    if n <= n_out:
        return np.arange(n, dtype=np.int64)
    n_buckets = (n_out - 2) // 2
    if n_buckets < 1:
        return _ends(n, n_out)
    inner = y_arr[1:-1]
    m = inner.size
    size = -(-m // n_buckets)
    nan = np.isnan(inner)
    if nan.any():
        lows = np.where(nan, np.inf, inner)
        highs = np.where(nan, -np.inf, inner)
    else:
        lows = highs = inner
    lo_idx = _bucket_arg(np.argmin, lows, size)
    hi_idx = _bucket_arg(np.argmax, highs, size)
    # argmin of an all-NaN bucket lands on a NaN row: keep that one row for the gap.
    hi_keep = ~nan[hi_idx]
    picked = np.concatenate([lo_idx, hi_idx[hi_keep]]) + 1
    return np.unique(np.concatenate([[0, n - 1], picked]).astype(np.int64))


def minmax_downsample_rows(y: NDArray[np.float64], n_out: int) -> list[NDArray[np.int64]]:
    """:func:`minmax_downsample` of each row of a 2-D array without NaN (many series of one length at once).

    Element ``i`` is ``minmax_downsample(x, y[i], n_out)``: the buckets are by row, so they are the same for every
    series, and one reshaped ``argmin``/``argmax`` finds them all.

    Examples
    --------
    >>> y = np.array([[0, 1, 0, 9, 0, 1, 0, 0, -5, 0, 1, 0], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7]])
    >>> [r.tolist() for r in minmax_downsample_rows(y, 6)]
    [[0, 2, 3, 8, 10, 11], [0, 1, 6, 11]]
    """
    y_arr = np.asarray(y, dtype=np.float64)
    if y_arr.ndim != 2:
        raise ValueError(f"y must be 2-D (one series per row), got shape {y_arr.shape}")
    if np.isnan(y_arr).any():
        raise ValueError("y must not hold NaN; downsample a series with gaps with minmax_downsample")
    rows, n = y_arr.shape
    if n <= n_out or (n_out - 2) // 2 < 1:
        single = minmax_downsample(np.arange(n), np.zeros(n), n_out)  # the ends or every row: same for all
        return [single] * rows
    n_buckets = (n_out - 2) // 2
    inner = y_arr[:, 1:-1]
    size = -(-inner.shape[1] // n_buckets)
    parts = [_bucket_arg(arg, inner, size) for arg in (np.argmin, np.argmax)]
    ends = np.broadcast_to(np.array([-1, n - 2], dtype=np.int64), (rows, 2))
    picked = np.sort(np.concatenate([ends, *parts], axis=1), axis=1) + 1
    keep = np.ones(picked.shape, bool)
    keep[:, 1:] = picked[:, 1:] != picked[:, :-1]
    return [row[k] for row, k in zip(picked, keep)]


def lttb_downsample(x: ArrayLike, y: ArrayLike, n_out: int) -> NDArray[np.int64]:
    """Largest-Triangle-Three-Buckets: indices of ``n_out`` points that keep the curve's shape.

    Non-finite points (in x or y) are left out first; the first and last finite points are kept.
    Each of the ``n_out - 2`` inner buckets contributes the point forming the largest triangle with
    the point chosen in the previous bucket and the mean of the next bucket. The loop runs over
    buckets (``n_out`` iterations); the work inside a bucket is vectorized.

    Parameters
    ----------
    x, y : array_like
        1-D numeric, same length; ``x`` sorted ascending.
    n_out : int
        Number of indices wanted.

    Returns
    -------
    numpy.ndarray
        Sorted int64 row indices into the original arrays, at most ``n_out`` of them.

    Examples
    --------
    >>> lttb_downsample([0, 1, 2, 3, 4, 5, 6], [0, 0, 5, 0, 0, 0, 0], 3).tolist()
    [0, 2, 6]
    """
    x_arr, y_arr = _check(x, y, n_out)
    xf = x_arr.astype(np.float64)
    keep = np.isfinite(xf) & np.isfinite(y_arr)
    if keep.all():
        rows = None
    else:
        rows = np.flatnonzero(keep)
        xf, y_arr = xf[rows], y_arr[rows]
    n = y_arr.size
    if n <= n_out:
        picked = np.arange(n, dtype=np.int64)
    elif n_out < 3:
        picked = _ends(n, n_out)
    else:
        edges = np.linspace(1, n - 1, n_out - 1).astype(np.int64)  # n_out - 2 inner buckets
        sums_x = np.add.reduceat(xf[1 : n - 1], edges[:-1] - 1)
        sums_y = np.add.reduceat(y_arr[1 : n - 1], edges[:-1] - 1)
        counts = np.diff(edges)
        mean_x = np.append(sums_x / counts, xf[-1])
        mean_y = np.append(sums_y / counts, y_arr[-1])
        picked = np.empty(n_out, dtype=np.int64)
        picked[0], picked[-1] = 0, n - 1
        prev = 0
        for b in range(n_out - 2):
            lo, hi = edges[b], edges[b + 1]
            ax, ay = xf[prev], y_arr[prev]
            cx, cy = mean_x[b + 1], mean_y[b + 1]
            area = np.abs((ax - cx) * (y_arr[lo:hi] - ay) - (ax - xf[lo:hi]) * (cy - ay))
            prev = lo + int(np.argmax(area))
            picked[b + 1] = prev
    return picked if rows is None else rows[picked]


def visible_range(x: ArrayLike, x0: Any = None, x1: Any = None) -> slice:
    """Slice of a sorted ``x`` covering ``[x0, x1]`` plus one point beyond each end.

    The extra point on each side lets the line run to the plot's edges when zoomed in.

    Parameters
    ----------
    x : array_like
        Sorted ascending (steps, hours, or datetime64).
    x0, x1 : scalar or None
        Range ends in x's units; None means unbounded. Swapped if ``x0 > x1`` (reversed axis).

    Returns
    -------
    slice
        ``slice(start, stop)`` with ``0 <= start <= stop <= len(x)``.

    Examples
    --------
    >>> visible_range([0, 10, 20, 30, 40], 12, 28)
    slice(1, 4, None)
    """
    x_arr = np.asarray(x)
    n = x_arr.size
    if x0 is not None and x1 is not None and x0 > x1:
        x0, x1 = x1, x0
    start = 0 if x0 is None else max(int(np.searchsorted(x_arr, x0, side="left")) - 1, 0)
    stop = n if x1 is None else min(int(np.searchsorted(x_arr, x1, side="right")) + 1, n)
    return slice(start, max(start, stop))
