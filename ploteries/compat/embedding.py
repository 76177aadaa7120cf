"""Embedding projector data as ``add_embedding`` takes it: matrix, metadata rows and label images."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ploteries.compat.tensors import to_numpy

__all__ = ["encode_embedding", "encode_embedding_metadata", "encode_label_img"]


def encode_embedding_metadata(
    metadata: Sequence[Any], num_points: int, metadata_header: Sequence[Any] | None = None
) -> dict[str, Any]:
    """Metadata rows as TensorBoard writes them to ``metadata.tsv``, every cell converted with ``str``.

    Without a header each label is one cell; with one, each row must have one value per header column
    (TensorBoard checks only the first row; ploteries checks them all). An empty header counts as none.

    Returns
    -------
    dict
        ``{"header": [str, ...] or None, "rows": [[str, ...], ...]}``.

    Examples
    --------
    >>> encode_embedding_metadata(["a", 1], 2)
    {'header': None, 'rows': [['a'], ['1']]}
    >>> encode_embedding_metadata([["a", 1]], 1, metadata_header=["name", "n"])
    {'header': ['name', 'n'], 'rows': [['a', '1']]}
    """
    if isinstance(metadata, str) or not isinstance(metadata, Sequence | np.ndarray):
        raise TypeError(
            f"metadata must be a list with one label per data point, got {type(metadata).__name__}"
        )
    if len(metadata) != num_points:
        raise ValueError(
            f"metadata has {len(metadata)} labels for {num_points} data points (rows of mat); give one per point"
        )
    if not metadata_header:
        return {"header": None, "rows": [[str(x)] for x in metadata]}
    header = [str(h) for h in metadata_header]
    rows = []
    for i, row in enumerate(metadata):
        if isinstance(row, str) or not isinstance(row, Sequence | np.ndarray) or len(row) != len(header):
            raise ValueError(
                f"metadata[{i}] = {row!r:.60} must be a list of {len(header)} values, one per column of "
                f"metadata_header {header}"
            )
        rows.append([str(e) for e in row])
    return {"header": header, "rows": rows}


def encode_label_img(label_img: Any, num_points: int | None = None) -> np.ndarray:
    """Label images ``(N, C, H, W)`` to stored ``uint8`` ``(N, H, W, C)``.

    As in TensorBoard's sprite, non-``uint8`` values are multiplied by 255 (in float64), clipped and
    truncated, and one channel is tripled to RGB. ``uint8`` images are kept as they are (TensorBoard
    multiplies them by 255 too, which saturates them).

    Examples
    --------
    >>> encode_label_img(np.full((2, 1, 2, 2), 0.5)).shape
    (2, 2, 2, 3)
    """
    arr = to_numpy(label_img, "label_img", numeric=True)
    if arr.ndim != 4:
        raise ValueError(f"label_img must be 4-D (N, C, H, W), got shape {arr.shape}")
    if num_points is not None and arr.shape[0] != num_points:
        raise ValueError(
            f"label_img has {arr.shape[0]} images for {num_points} data points (rows of mat); give one per point"
        )
    if arr.shape[1] == 1:
        arr = np.concatenate([arr, arr, arr], 1)
    if arr.shape[1] not in (3, 4):
        raise ValueError(f"label_img must have 1, 3 or 4 channels (N, C, H, W), got shape {arr.shape}")
    nhwc = arr.transpose(0, 2, 3, 1)
    if nhwc.dtype == np.uint8:
        return np.ascontiguousarray(nhwc)
    with np.errstate(invalid="ignore"):
        return np.uint8((nhwc.astype(np.float64) * 255).clip(0, 255))


def encode_embedding(
    mat: Any,
    metadata: Sequence[Any] | None = None,
    label_img: Any = None,
    metadata_header: Sequence[Any] | None = None,
) -> dict[str, Any]:
    """Validate and convert the parts of one embedding.

    Returns
    -------
    dict
        ``{"": float32 (N, D)}`` plus ``"metadata"`` (a JSON document, see :func:`encode_embedding_metadata`;
        store it with ``json_to_array``) and ``"label_img"`` (``uint8`` ``(N, H, W, C)``) when given.

    Examples
    --------
    >>> parts = encode_embedding(np.zeros((3, 5)), metadata=["a", "b", "c"])
    >>> parts[""].dtype, parts["metadata"]["rows"][2]
    (dtype('float32'), ['c'])
    """
    matrix = to_numpy(mat, "mat", numeric=True)
    if matrix.ndim != 2:
        raise ValueError(
            f"mat should be 2D, where mat.shape[0] is the number of data points; got shape {matrix.shape}"
        )
    parts: dict[str, Any] = {"": matrix.astype(np.float32)}
    if metadata is not None:
        parts["metadata"] = encode_embedding_metadata(metadata, matrix.shape[0], metadata_header)
    if label_img is not None:
        parts["label_img"] = encode_label_img(label_img, matrix.shape[0])
    return parts
