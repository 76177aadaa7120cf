"""Audio clips as TensorBoard prepares them: mono float32 samples clipped to [-1, 1]."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ploteries.compat.tensors import to_numpy, to_scalar

__all__ = ["encode_audio"]


def encode_audio(snd: Any, sample_rate: float = 44100) -> np.ndarray:
    """Squeeze ``snd`` to 1-D and clip it to [-1, 1], as ``add_audio`` does.

    TensorBoard then writes ``int16`` WAV samples ``(x * 32767).astype(int16)``; ploteries keeps the
    float32 samples (the sample rate is stored beside them by the writer and only validated here).

    Parameters
    ----------
    snd : array-like or torch.Tensor
        Samples of one mono clip, any shape that squeezes to ``(S,)``, nominally in [-1, 1].
    sample_rate : float
        Samples per second, positive.

    Returns
    -------
    numpy.ndarray
        float32 ``(S,)``.

    Examples
    --------
    >>> encode_audio([[0.5, 2.0, -3.0]], sample_rate=8000).tolist()
    [0.5, 1.0, -1.0]
    """
    rate = to_scalar(sample_rate, "sample_rate")
    if not (math.isfinite(rate) and rate > 0):
        raise ValueError(f"sample_rate must be a positive number of samples per second, got {sample_rate!r}")
    array = to_numpy(snd, "snd_tensor", numeric=True).squeeze()
    if array.ndim != 1:
        raise ValueError(
            f"snd_tensor must be one mono clip that squeezes to 1-D, got shape {np.shape(snd)} "
            f"({array.ndim}-D after squeeze); log each channel or clip separately"
        )
    if array.size == 0:
        raise ValueError("snd_tensor is empty; pass at least one sample")
    return np.clip(array.astype(np.float32), -1, 1)
