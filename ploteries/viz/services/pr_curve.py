"""Precision-recall curves for display: the points of one stored curve, and which record a step shows.

A ``pr_curve`` record is float64 ``(6, num_thresholds)``: rows TP, FP, TN, FN, precision, recall
(TensorBoard's ``compute_curve``; docs/kinds.md). Threshold ``i`` is ``i / (num_thresholds - 1)``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

__all__ = ["PR_ROWS", "PrPoints", "latest_row", "pr_points", "step_marks"]

PR_ROWS = ("TP", "FP", "TN", "FN", "precision", "recall")
"""The rows of a stored curve, in order."""


@dataclasses.dataclass(frozen=True)
class PrPoints:
    """One curve: a point per threshold."""

    threshold: NDArray[np.float64]
    precision: NDArray[np.float64]
    recall: NDArray[np.float64]
    counts: NDArray[np.float64]  # (num_thresholds, 4): TP, FP, TN, FN


def pr_points(curve) -> PrPoints:
    """The points of a stored curve.

    Raises ``ValueError`` for anything but a ``(6, N)`` array with ``N >= 2``.

    Examples
    --------
    >>> curve = np.array([[2, 1], [1, 0], [0, 1], [0, 1], [2 / 3, 1.0], [1.0, 0.5]])
    >>> p = pr_points(curve)
    >>> p.threshold.tolist(), p.precision.tolist(), p.recall.tolist(), p.counts[1].tolist()
    ([0.0, 1.0], [0.6666666666666666, 1.0], [1.0, 0.5], [1.0, 0.0, 1.0, 1.0])
    """
    arr = np.asarray(curve)
    if arr.ndim != 2 or arr.shape[0] != 6 or arr.shape[1] < 2 or arr.dtype.names is not None:
        raise ValueError(
            f"a PR curve record must be a (6, num_thresholds) array of TP, FP, TN, FN, precision, "
            f"recall with num_thresholds >= 2; got dtype {arr.dtype} and shape {arr.shape}"
        )
    arr = arr.astype(np.float64)
    n = arr.shape[1]
    return PrPoints(
        threshold=np.arange(n) / (n - 1),
        precision=arr[4],
        recall=arr[5],
        counts=arr[:4].T.copy(),
    )


def latest_row(steps: Sequence[int] | NDArray, at: int | None) -> int | None:
    """The row holding the latest step at or before ``at`` (the last such row if logged twice); None if none.

    Examples
    --------
    >>> latest_row([0, 10, 20, 20], 25), latest_row([0, 10, 20], 15), latest_row([5], 2), latest_row([3, 1], None)
    (3, 1, None, 0)
    """
    s = np.asarray(steps, dtype=np.int64)
    if s.size == 0:
        return None
    ok = np.ones(s.shape, bool) if at is None else s <= at
    if not ok.any():
        return None
    best = s[ok].max()
    return int(np.flatnonzero(ok & (s == best))[-1])


def step_marks(steps: Sequence[int], max_labels: int = 8) -> dict[int, str]:
    """Slider marks over step *indices*: every step when there are few, else the first and the last.

    Examples
    --------
    >>> step_marks([0, 10, 20]), step_marks(list(range(100)))
    ({0: '0', 1: '10', 2: '20'}, {0: '0', 99: '99'})
    """
    if not steps:
        return {}
    if len(steps) <= max_labels:
        return {i: str(s) for i, s in enumerate(steps)}
    return {0: str(steps[0]), len(steps) - 1: str(steps[-1])}
