"""Precision-recall curves exactly as TensorBoard's ``compute_curve``: a float64 ``(6, num_thresholds)`` array.

Rows: true positives, false positives, true negatives, false negatives, precision, recall.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ploteries.compat.tensors import to_numpy

__all__ = ["PR_CURVE_ROWS", "encode_pr_curve", "encode_pr_curve_raw"]

PR_CURVE_ROWS = (
    "true_positives",
    "false_positives",
    "true_negatives",
    "false_negatives",
    "precision",
    "recall",
)
_MINIMUM_COUNT = 1e-7


def _check_num_thresholds(num_thresholds: Any) -> int:
    if isinstance(num_thresholds, bool) or not isinstance(num_thresholds, int | np.integer):
        raise TypeError(f"num_thresholds must be an int, got {num_thresholds!r}")
    if num_thresholds < 2:
        raise ValueError(f"num_thresholds must be at least 2, got {num_thresholds}")
    return int(num_thresholds)


def encode_pr_curve(
    labels: Any, predictions: Any, num_thresholds: int = 127, weights: Any = None
) -> np.ndarray:
    """PR curve data of binary ``labels`` and ``predictions`` in [0, 1], as TensorBoard computes it.

    Predictions fall in bucket ``floor(prediction * (num_thresholds - 1))`` (computed in the predictions'
    dtype, so float32 input buckets as in TensorBoard); per-bucket weighted counts are reverse-cumsummed;
    predictions outside [0, 1] fall in no bucket. Unlike ``add_pr_curve``, ``num_thresholds`` is not capped
    at 127 (a protobuf limit TensorBoard has and ploteries does not).

    Parameters
    ----------
    labels : array-like or torch.Tensor
        True labels (bool or 0/1), same shape as ``predictions``.
    predictions : array-like or torch.Tensor
        Probabilities of the positive class.
    num_thresholds : int
        Number of thresholds, at least 2.
    weights : float or array-like, optional
        Weight of each example (broadcast to the shape of ``predictions``).

    Returns
    -------
    numpy.ndarray
        float64 ``(6, num_thresholds)``: TP, FP, TN, FN, precision, recall.

    Examples
    --------
    >>> encode_pr_curve([1, 0, 1], [0.9, 0.2, 0.6], num_thresholds=3)[:, 1].tolist()  # threshold 0.5
    [2.0, 0.0, 1.0, 0.0, 1.0, 1.0]
    """
    num_thresholds = _check_num_thresholds(num_thresholds)
    labels = to_numpy(labels, "labels", numeric=True)
    predictions = to_numpy(predictions, "predictions", numeric=True)
    if labels.shape != predictions.shape:
        raise ValueError(
            f"labels and predictions must have the same shape, got {labels.shape} and {predictions.shape}"
        )
    if weights is None:
        weights = 1.0
    else:
        weights = to_numpy(weights, "weights", numeric=True)
        try:
            weights = np.broadcast_to(weights, predictions.shape)
        except ValueError:
            raise ValueError(
                f"weights of shape {weights.shape} cannot broadcast to predictions of shape {predictions.shape}"
            ) from None
    with np.errstate(invalid="ignore"):  # NaN predictions land outside every bucket, as in TensorBoard
        bucket_indices = np.int32(np.floor(predictions * (num_thresholds - 1)))
    float_labels = labels.astype(np.float64)
    histogram_range = (0, num_thresholds - 1)
    tp_buckets, _ = np.histogram(
        bucket_indices, bins=num_thresholds, range=histogram_range, weights=float_labels * weights
    )
    fp_buckets, _ = np.histogram(
        bucket_indices, bins=num_thresholds, range=histogram_range, weights=(1.0 - float_labels) * weights
    )
    tp = np.cumsum(tp_buckets[::-1])[::-1]
    fp = np.cumsum(fp_buckets[::-1])[::-1]
    tn = fp[0] - fp
    fn = tp[0] - tp
    precision = tp / np.maximum(_MINIMUM_COUNT, tp + fp)
    recall = tp / np.maximum(_MINIMUM_COUNT, tp + fn)
    return np.stack((tp, fp, tn, fn, precision, recall)).astype(np.float64)


def encode_pr_curve_raw(
    true_positive_counts: Any,
    false_positive_counts: Any,
    true_negative_counts: Any,
    false_negative_counts: Any,
    precision: Any,
    recall: Any,
) -> np.ndarray:
    """Stack precomputed PR curve rows into the stored float64 ``(6, K)`` array, as ``add_pr_curve_raw``.

    Examples
    --------
    >>> encode_pr_curve_raw([2, 1], [1, 0], [0, 1], [0, 1], [0.67, 1.0], [1.0, 0.5]).shape
    (6, 2)
    """
    names = (
        "true_positive_counts",
        "false_positive_counts",
        "true_negative_counts",
        "false_negative_counts",
        "precision",
        "recall",
    )
    args = (
        true_positive_counts,
        false_positive_counts,
        true_negative_counts,
        false_negative_counts,
        precision,
        recall,
    )
    rows = [to_numpy(a, n, numeric=True) for a, n in zip(args, names)]
    shapes = {n: r.shape for n, r in zip(names, rows)}
    if any(r.ndim != 1 for r in rows) or len(set(shapes.values())) != 1:
        raise ValueError(
            f"the six PR curve rows must be 1-D and of one length (one value per threshold), got shapes {shapes}"
        )
    return np.stack(rows).astype(np.float64)
