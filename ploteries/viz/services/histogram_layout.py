"""Lay out stored histograms for display: common bins across steps, and distribution bands.

A stored histogram is a structured array of ``HIST_BUCKET_DTYPE`` (fields ``left``, ``right``,
``count``; TensorBoard's display triples, see docs/kinds.md). Buckets differ from step to step, so
the overlay, offset and ridgeline views first re-bin every step onto shared edges
(:func:`common_edges`, :func:`rebin`). The distributions view draws TensorBoard's nine percentile
bands (:func:`distribution_bands`), computed exactly as TensorBoard's ``compress_histogram``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "BAND_LABELS",
    "BASIS_POINTS",
    "HIST_BUCKET_DTYPE",
    "common_edges",
    "distribution_bands",
    "evenly_spaced",
    "rebin",
    "rebin_all",
    "ridge_tops",
]

HIST_BUCKET_DTYPE = np.dtype([("left", "<f8"), ("right", "<f8"), ("count", "<f8")])
"""Stored histogram buckets (docs/kinds.md)."""

BASIS_POINTS = (0, 668, 1587, 3085, 5000, 6915, 8413, 9332, 10000)
"""TensorBoard's distribution bands, in 1/100 percent: the normal CDF at -inf, +-1.5, +-1, +-0.5 sd, 0."""

BAND_LABELS = ("min", "6.7%", "15.9%", "30.9%", "median", "69.1%", "84.1%", "93.3%", "max")
"""What each of the nine :data:`BASIS_POINTS` is called on the page."""


def _fields(buckets: NDArray) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    arr = np.asarray(buckets)
    names = arr.dtype.names or ()
    if not {"left", "right", "count"} <= set(names) or arr.ndim != 1:
        raise ValueError(
            "buckets must be a 1-D structured array with fields left, right, count "
            f"(HIST_BUCKET_DTYPE), got dtype {arr.dtype} and shape {arr.shape}"
        )
    return (
        arr["left"].astype(np.float64),
        arr["right"].astype(np.float64),
        arr["count"].astype(np.float64),
    )


def common_edges(buckets_list: Sequence[NDArray], n_bins: int = 30) -> NDArray[np.float64]:
    """Evenly spaced edges spanning every histogram in ``buckets_list``.

    Parameters
    ----------
    buckets_list : sequence of structured arrays
        One ``HIST_BUCKET_DTYPE`` array per step; empty ones are skipped.
    n_bins : int, default 30
        Number of bins (edges has ``n_bins + 1`` entries).

    Returns
    -------
    numpy.ndarray
        Increasing float64 edges from the smallest finite ``left`` to the largest finite ``right``.
        A zero-width span (every value equal) is widened to ``value +- 0.5``; with no finite
        bucket at all the edges span ``[0, 1]``.

    Examples
    --------
    >>> b = np.array([(0.0, 1.0, 2.0), (1.0, 3.0, 1.0)], dtype=HIST_BUCKET_DTYPE)
    >>> common_edges([b], n_bins=3).tolist()
    [0.0, 1.0, 2.0, 3.0]
    """
    if isinstance(n_bins, bool) or not isinstance(n_bins, (int, np.integer)) or n_bins < 1:
        raise ValueError(f"n_bins must be a positive int, got {n_bins!r}")
    lo, hi = np.inf, -np.inf
    for buckets in buckets_list:
        left, right, _ = _fields(buckets)
        ends = np.concatenate([left, right])
        ends = ends[np.isfinite(ends)]
        if ends.size:
            lo, hi = min(lo, float(ends.min())), max(hi, float(ends.max()))
    if lo > hi:
        lo, hi = 0.0, 1.0
    elif lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    return np.linspace(lo, hi, n_bins + 1)


def rebin(buckets: NDArray, edges: NDArray[np.float64]) -> NDArray[np.float64]:
    """Re-bin one histogram onto ``edges``, preserving area.

    Each bucket's count is spread uniformly over ``[left, right]`` and split among the new bins
    in proportion to the overlap. A zero-width bucket puts its whole count in the bin holding its
    position (bins are ``[e_i, e_i+1)``, the last one closed). Mass outside ``edges`` is dropped,
    so the total is preserved whenever the edges cover the buckets (as :func:`common_edges` does).

    Parameters
    ----------
    buckets : structured array
        ``HIST_BUCKET_DTYPE``, shape (K,).
    edges : array_like
        Increasing bin edges, shape (B + 1,).

    Returns
    -------
    numpy.ndarray
        float64 counts, shape (B,).

    Examples
    --------
    >>> b = np.array([(0.0, 2.0, 4.0)], dtype=HIST_BUCKET_DTYPE)
    >>> rebin(b, np.array([0.0, 1.0, 3.0])).tolist()
    [2.0, 2.0]
    """
    e = np.asarray(edges, dtype=np.float64)
    if e.ndim != 1 or e.size < 2 or not np.all(np.diff(e) > 0):
        raise ValueError(f"edges must be 1-D, increasing, with at least 2 entries, got {e!r}")
    left, right, count = _fields(buckets)
    ok = np.isfinite(left) & np.isfinite(right) & np.isfinite(count) & (right >= left)
    left, right, count = left[ok], right[ok], count[ok]
    out = np.zeros(e.size - 1)
    wide = right > left
    if wide.any():
        lw, rw, cw = left[wide], right[wide], count[wide]
        # Mass of each bucket left of each edge: (K, B+1); its edge-to-edge differences are the bins.
        frac = np.clip((e[None, :] - lw[:, None]) / (rw - lw)[:, None], 0.0, 1.0)
        out += np.diff(cw @ frac)
    point = ~wide
    if point.any():
        pos, cp = left[point], count[point]
        idx = np.searchsorted(e, pos, side="right") - 1
        idx[pos == e[-1]] = e.size - 2
        inside = (idx >= 0) & (idx < e.size - 1)
        out += np.bincount(idx[inside], weights=cp[inside], minlength=e.size - 1)
    return out


def rebin_all(buckets_list: Sequence[NDArray], n_bins: int = 30) -> tuple[NDArray, NDArray]:
    """Every histogram of ``buckets_list`` re-binned onto the same :func:`common_edges`.

    Returns
    -------
    edges : numpy.ndarray
        float64, shape (n_bins + 1,).
    counts : numpy.ndarray
        float64, shape (len(buckets_list), n_bins): row ``i`` is :func:`rebin` of histogram ``i``.

    Examples
    --------
    >>> a = np.array([(0.0, 1.0, 2.0)], dtype=HIST_BUCKET_DTYPE)
    >>> b = np.array([(1.0, 2.0, 4.0)], dtype=HIST_BUCKET_DTYPE)
    >>> edges, counts = rebin_all([a, b], n_bins=2)
    >>> edges.tolist(), counts.tolist()
    ([0.0, 1.0, 2.0], [[2.0, 0.0], [0.0, 4.0]])
    """
    edges = common_edges(buckets_list, n_bins)
    counts = np.zeros((len(buckets_list), n_bins))
    for i, buckets in enumerate(buckets_list):
        counts[i] = rebin(buckets, edges)
    return edges, counts


def evenly_spaced(n: int, k: int) -> NDArray[np.int64]:
    """Indices of at most ``k`` of ``n`` items, evenly spaced, the first and the last included.

    The histogram views draw a bounded number of steps however many were logged: these picks.

    Examples
    --------
    >>> evenly_spaced(10, 4).tolist(), evenly_spaced(3, 50).tolist(), evenly_spaced(5, 1).tolist()
    ([0, 3, 6, 9], [0, 1, 2], [4])
    """
    if n <= 0 or k <= 0:
        return np.empty(0, np.int64)
    if n <= k:
        return np.arange(n, dtype=np.int64)
    if k == 1:
        return np.array([n - 1], np.int64)
    return np.round(np.linspace(0, n - 1, k)).astype(np.int64)


def ridge_tops(
    counts: NDArray, baselines: NDArray, overlap: float = 2.5, reach: float = 0.2
) -> tuple[NDArray[np.float64], float]:
    """The y values of a ridgeline (TensorBoard's offset view), for a y axis that grows downwards.

    Ridge ``i`` stands on ``baselines[i]`` (its step) and rises *up the screen*, i.e. towards smaller
    y on a reversed axis, so a newer step (lower on the screen, drawn later) overlaps the older ones
    behind it. Every ridge uses the same scale: the highest count over all ridges rises
    ``max(overlap * gap, reach * span)``, where ``gap`` is the median gap between baselines and ``span``
    their range (1 for a single ridge), so a few ridges overlap a little and fifty overlap a lot.

    Parameters
    ----------
    counts : array_like
        float, shape (k, B): re-binned counts of each ridge.
    baselines : array_like
        shape (k,): each ridge's step, increasing.
    overlap : float
        How many ridge gaps the tallest bin spans at least.
    reach : float
        The fraction of the whole step range the tallest bin spans at least.

    Returns
    -------
    tops : numpy.ndarray
        float64, shape (k, B): ``baselines[i] - counts[i] * scale``.
    height : float
        The y extent of the tallest bin (``max(counts) * scale``).

    Examples
    --------
    >>> tops, height = ridge_tops(np.array([[0.0, 2.0], [1.0, 1.0]]), np.array([0, 10]), overlap=2)
    >>> tops.tolist(), height
    ([[0.0, -20.0], [0.0, 0.0]], 20.0)
    """
    c = np.asarray(counts, dtype=np.float64)
    base = np.asarray(baselines, dtype=np.float64)
    gaps = np.diff(base)
    gap = float(np.median(gaps)) if gaps.size and np.median(gaps) > 0 else 1.0
    span = float(base[-1] - base[0]) if base.size > 1 else 0.0
    peak = float(np.nanmax(c)) if c.size else 0.0
    height = max(gap * overlap, span * reach)
    scale = height / peak if peak > 0 else 0.0
    return base[:, None] - c * scale, height if peak > 0 else 0.0


def _lerp(x: float, x0: float, x1: float, y0: float, y1: float) -> float:
    return y0 + (x - x0) * float(y1 - y0) / (x1 - x0)


def distribution_bands(buckets: NDArray) -> NDArray[np.float64]:
    """The nine values drawn by TensorBoard's distributions view, at :data:`BASIS_POINTS`.

    Follows ``tensorboard.plugins.distribution.compressor.compress_histogram`` step by step (the
    same float operations in the same order, so the results are identical): cumulative weights in
    basis points, then linear interpolation inside the bucket that crosses each basis point, with
    the left end clamped to the minimum (first ``left``) and the right end to the maximum (last
    ``right``). Basis points beyond the accumulated weight take the maximum.

    Parameters
    ----------
    buckets : structured array
        ``HIST_BUCKET_DTYPE``, shape (K,).

    Returns
    -------
    numpy.ndarray
        float64, shape (9,): minimum, the -1.5/-1/-0.5 sd, median, +0.5/+1/+1.5 sd points, maximum.
        All zeros for an empty histogram.

    Examples
    --------
    >>> b = np.array([(0.0, 1.0, 1.0), (1.0, 2.0, 1.0)], dtype=HIST_BUCKET_DTYPE)
    >>> distribution_bands(b).round(4).tolist()
    [0.0, 0.1336, 0.3174, 0.617, 1.0, 1.383, 1.6826, 1.8664, 2.0]
    """
    left, right, counts = _fields(buckets)
    bps = BASIS_POINTS
    if not counts.size:
        return np.zeros(len(bps))
    minmin, maxmax = left[0], right[-1]
    weights = (counts * bps[-1] / (counts.sum() or 1.0)).cumsum()
    result: list[float] = []
    bp_index = 0
    while bp_index < len(bps):
        i = int(np.searchsorted(weights, bps[bp_index], side="right"))
        while i < len(weights):
            cumsum = weights[i]
            cumsum_prev = weights[i - 1] if i > 0 else 0.0
            if cumsum == cumsum_prev:  # an empty bucket: nothing to interpolate over
                i += 1
                continue
            lhs = minmin if not i or not cumsum_prev else max(right[i - 1], minmin)
            rhs = min(right[i], maxmax)
            result.append(_lerp(bps[bp_index], cumsum_prev, cumsum, lhs, rhs))
            bp_index += 1
            break
        else:
            break
    result.extend([maxmax] * (len(bps) - bp_index))
    return np.asarray(result, dtype=np.float64)
