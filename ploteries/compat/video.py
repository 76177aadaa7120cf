"""Videos as TensorBoard prepares them: a batch of clips tiled into one ``uint8`` ``(T, H, W, C)`` clip."""

from __future__ import annotations

from typing import Any

import numpy as np

from ploteries.compat.tensors import to_numpy

__all__ = ["encode_video", "prepare_video", "to_ntchw"]

_NTCHW = "NTCHW"


def to_ntchw(vid: np.ndarray, dataformats: Any) -> np.ndarray:
    """Permute clips given in ``dataformats`` (a permutation of ``'NTCHW'``, tensorboardX) to ``NTCHW``.

    Examples
    --------
    >>> to_ntchw(np.zeros((1, 2, 4, 5, 3)), "NTHWC").shape
    (1, 2, 3, 4, 5)
    """
    if not isinstance(dataformats, str):
        raise TypeError(f"dataformats must be a str such as 'NTCHW' or 'NTHWC', got {dataformats!r:.60}")
    fmt = dataformats.upper()
    if sorted(fmt) != sorted(_NTCHW):
        raise ValueError(
            f"dataformats={dataformats!r} must be a permutation of 'NTCHW' (each letter once), "
            "e.g. 'NTHWC' for clips stored channels-last"
        )
    if vid.ndim != 5:
        raise ValueError(
            f"vid_tensor must be 5-D ({', '.join(fmt)}), got shape {vid.shape}; add a batch axis with vid[None] "
            "for a single clip"
        )
    return vid if fmt == _NTCHW else vid.transpose([fmt.index(c) for c in _NTCHW])


def prepare_video(vid: np.ndarray) -> np.ndarray:
    """Tile ``(N, T, C, H, W)`` into ``(T, H * rows, W * cols, C)`` as torch's ``_prepare_video`` does.

    ``uint8`` input is divided by 255; the batch is zero padded to a power of two and laid out on
    ``rows = 2 ** ((N.bit_length() - 1) // 2)`` rows.

    Examples
    --------
    >>> prepare_video(np.zeros((3, 2, 3, 4, 5), dtype=np.float32)).shape  # padded to 4 clips: 1 row, 4 columns
    (2, 4, 20, 3)
    """
    b, t, c, h, w = vid.shape
    if vid.dtype == np.uint8:
        vid = np.float32(vid) / 255.0
    if not (b != 0 and (b & (b - 1)) == 0):
        len_addition = int(2 ** vid.shape[0].bit_length() - vid.shape[0])
        vid = np.concatenate((vid, np.zeros(shape=(len_addition, t, c, h, w))), axis=0)
    n_rows = 2 ** ((b.bit_length() - 1) // 2)
    n_cols = vid.shape[0] // n_rows
    vid = np.reshape(vid, (n_rows, n_cols, t, c, h, w))
    vid = np.transpose(vid, axes=(2, 0, 4, 1, 5, 3))
    return np.reshape(vid, (t, n_rows * h, n_cols * w, c))


def encode_video(vid: Any, dataformats: str = _NTCHW) -> np.ndarray:
    """Convert ``(N, T, C, H, W)`` clips to the stored ``uint8`` ``(T, H, W, C)`` frames, as ``add_video`` does.

    ``dataformats`` names the axes of ``vid`` when they are in another order (tensorboardX's argument).

    After :func:`prepare_video`, values are scaled by 255 (in float32), clipped to [0, 255] and truncated,
    so ``uint8`` input round-trips through ``x / 255 * 255`` exactly as in TensorBoard.

    Examples
    --------
    >>> encode_video(np.ones((1, 2, 3, 4, 4))).shape
    (2, 4, 4, 3)
    """
    arr = to_ntchw(to_numpy(vid, "vid_tensor", numeric=True), dataformats)
    if 0 in arr.shape:
        raise ValueError(f"vid_tensor is empty (shape {arr.shape}); pass at least one frame of one clip")
    tiled = prepare_video(arr)
    scale_factor = 1 if tiled.dtype == np.uint8 else 255
    with np.errstate(invalid="ignore"):
        return (tiled.astype(np.float32) * scale_factor).clip(0, 255).astype(np.uint8)
