"""Histograms exactly as ``torch.utils.tensorboard`` builds them, stored as display buckets plus statistics.

The stored layout (``docs/kinds.md``) is a 1-D array of :data:`HIST_BUCKET_DTYPE` ``(left, right, count)``
holding TensorBoard's buckets (``right`` is the proto's ``bucket_limit``, ``left`` is ``min`` for the first
bucket and the previous ``right`` after that) and a 0-d :data:`HIST_STATS_DTYPE` record.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import numpy as np

from ploteries.compat.tensors import to_numpy, to_scalar
from ploteries.storage.schema import HIST_BUCKET_DTYPE, HIST_STATS_DTYPE

__all__ = [
    "default_tensorflow_bins",
    "encode_histogram",
    "encode_histogram_raw",
    "histogram_to_tensorboard",
]


@functools.lru_cache(maxsize=1)
def _tensorflow_bins() -> np.ndarray:
    v = 1e-12
    buckets = []
    neg_buckets = []
    while v < 1e20:
        buckets.append(v)
        neg_buckets.append(-v)
        v *= 1.1
    edges = np.array(neg_buckets[::-1] + [0] + buckets, dtype=np.float64)
    edges.flags.writeable = False
    return edges


def default_tensorflow_bins() -> np.ndarray:
    """TensorBoard's default histogram edges: ``-(1e-12 * 1.1**k)``, ``0`` and ``+(1e-12 * 1.1**k)`` below 1e20.

    Returns
    -------
    numpy.ndarray
        1549 increasing float64 edges (a read-only array, computed once).

    Examples
    --------
    >>> edges = default_tensorflow_bins()
    >>> edges.size, float(edges[774])
    (1549, 0.0)
    """
    return _tensorflow_bins()


def _buckets(limits: np.ndarray, counts: np.ndarray, minimum: float) -> np.ndarray:
    buckets = np.empty(len(limits), dtype=HIST_BUCKET_DTYPE)
    buckets["right"] = limits
    buckets["count"] = counts
    if len(limits):
        buckets["left"][0] = minimum
        buckets["left"][1:] = limits[:-1]
    return buckets


def _stats(minimum: float, maximum: float, num: float, total: float, sum_squares: float) -> np.ndarray:
    return np.array((minimum, maximum, num, total, sum_squares), dtype=HIST_STATS_DTYPE)


def encode_histogram(
    values: Any, bins: str | int | Sequence[float] | np.ndarray = "tensorflow", max_bins: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Histogram of ``values`` following TensorBoard's ``make_histogram`` step by step.

    ``counts, limits = np.histogram(values, bins)``; with ``max_bins``, adjacent bins are summed; the result
    is trimmed to the non-empty span plus one empty bucket on the left. Statistics cover all values: NaN
    counts in ``num`` (and makes ``min``/``max``/``sum`` NaN, as in TensorBoard) but falls in no bucket;
    values outside the edges (for example infinities) fall in no bucket either.

    Parameters
    ----------
    values : array-like or torch.Tensor
        Real numbers of any shape (flattened, converted to float64).
    bins : 'tensorflow', int, str or sequence of edges
        ``'tensorflow'`` uses :func:`default_tensorflow_bins`; anything else goes to ``np.histogram``.
    max_bins : int, optional
        Upper bound on the number of bins before trimming.

    Returns
    -------
    buckets : numpy.ndarray
        1-D array of :data:`HIST_BUCKET_DTYPE`.
    stats : numpy.ndarray
        0-d array of :data:`HIST_STATS_DTYPE`.

    Examples
    --------
    >>> buckets, stats = encode_histogram([1.0, 2.0, 2.5], bins=3)
    >>> buckets["count"].tolist(), float(stats["num"])
    ([0.0, 1.0, 0.0, 2.0], 3.0)
    """
    arr = to_numpy(values, "values", numeric=True)
    if arr.size == 0:
        raise ValueError(f"values must hold at least one number, got an empty array of shape {arr.shape}")
    arr = arr.astype(float).reshape(-1)
    if isinstance(bins, str) and bins == "tensorflow":
        bins = _tensorflow_bins()
    if max_bins is not None and (isinstance(max_bins, bool) or not isinstance(max_bins, int | np.integer)):
        raise TypeError(f"max_bins must be an int or None, got {max_bins!r}")
    if max_bins is not None and max_bins < 1:
        raise ValueError(f"max_bins must be at least 1, got {max_bins}")
    try:
        counts, limits = np.histogram(arr, bins=bins)
    except ValueError as exc:
        if not np.isfinite(arr).all():
            raise ValueError(
                f"values contain NaN or infinity, which bins={bins!r} cannot place ({exc}); "
                "use bins='tensorflow' or explicit edges, or drop non-finite values"
            ) from None
        raise ValueError(f"bins={bins!r} is not usable by np.histogram: {exc}") from None
    num_bins = len(counts)
    if max_bins is not None and num_bins > max_bins:
        subsampling = num_bins // max_bins
        subsampling_remainder = num_bins % subsampling
        if subsampling_remainder != 0:
            counts = np.pad(counts, pad_width=[[0, subsampling - subsampling_remainder]], mode="constant")
        counts = counts.reshape(-1, subsampling).sum(axis=-1)
        new_limits = np.empty((counts.size + 1,), limits.dtype)
        new_limits[:-1] = limits[:-1:subsampling]
        new_limits[-1] = limits[-1]
        limits = new_limits

    nonzero = np.flatnonzero(counts > 0)
    if nonzero.size == 0:
        raise ValueError(
            f"values: none of the {arr.size} values falls inside the histogram edges "
            f"[{limits[0]:g}, {limits[-1]:g}] (all NaN or out of range); pass finite values inside the bins"
        )
    start, end = int(nonzero[0]), int(nonzero[-1]) + 1
    counts = counts[start - 1 : end] if start > 0 else np.concatenate([[0], counts[:end]])
    limits = limits[start : end + 1]

    with np.errstate(
        invalid="ignore", over="ignore"
    ):  # inf - inf and overflow give NaN/inf, as in TensorBoard
        stats = _stats(arr.min(), arr.max(), len(arr), arr.sum(), arr.dot(arr))
    return _buckets(
        np.asarray(limits, dtype=float), np.asarray(counts, dtype=float), float(stats["min"])
    ), stats


def encode_histogram_raw(
    min: Any,  # noqa: A002 - TensorBoard's argument names
    max: Any,  # noqa: A002
    num: Any,
    sum: Any,  # noqa: A002
    sum_squares: Any,
    bucket_limits: Any,
    bucket_counts: Any,
) -> tuple[np.ndarray, np.ndarray]:
    """Histogram from precomputed statistics and buckets, as ``add_histogram_raw`` takes them.

    ``bucket_limits`` are the right edges of the buckets, as in TensorBoard's ``HistogramProto``.

    Returns
    -------
    buckets, stats : numpy.ndarray
        Same layout as :func:`encode_histogram`.

    Examples
    --------
    >>> buckets, stats = encode_histogram_raw(0, 2, 3, 3, 5, [1, 2], [1, 2])
    >>> buckets.tolist()
    [(0.0, 1.0, 1.0), (1.0, 2.0, 2.0)]
    """
    limits = to_numpy(bucket_limits, "bucket_limits", numeric=True).astype(float)
    counts = to_numpy(bucket_counts, "bucket_counts", numeric=True).astype(float)
    if limits.ndim != 1 or counts.ndim != 1:
        raise ValueError(
            f"bucket_limits and bucket_counts must be 1-D, got shapes {limits.shape} and {counts.shape}"
        )
    if len(limits) != len(counts):
        raise ValueError(
            f"len(bucket_limits) != len(bucket_counts): {len(limits)} != {len(counts)}; "
            "give one right edge per bucket count"
        )
    stats = _stats(
        to_scalar(min, "min"),
        to_scalar(max, "max"),
        to_scalar(num, "num"),
        to_scalar(sum, "sum"),
        to_scalar(sum_squares, "sum_squares"),
    )
    return _buckets(limits, counts, float(stats["min"])), stats


def histogram_to_tensorboard(buckets: np.ndarray, stats: np.ndarray) -> tuple[list[float], list[float]]:
    """The ``bucket_limit`` and ``bucket`` lists TensorBoard's ``HistogramProto`` would hold (for parity checks).

    The proto's scalar fields are the fields of ``stats`` (checked for its dtype only).

    Returns
    -------
    limits : list of float
        ``bucket_limit`` (right edges).
    counts : list of float
        ``bucket`` counts.

    Examples
    --------
    >>> histogram_to_tensorboard(*encode_histogram([1.0, 2.0], bins=2))
    ([1.0, 1.5, 2.0], [0.0, 1.0, 1.0])
    """
    buckets = np.asarray(buckets)
    if buckets.dtype != HIST_BUCKET_DTYPE:
        raise TypeError(f"buckets must have dtype HIST_BUCKET_DTYPE, got {buckets.dtype}")
    stats = np.asarray(stats)
    if stats.dtype != HIST_STATS_DTYPE:
        raise TypeError(f"stats must have dtype HIST_STATS_DTYPE, got {stats.dtype}")
    return buckets["right"].tolist(), buckets["count"].tolist()
