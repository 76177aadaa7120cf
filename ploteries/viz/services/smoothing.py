"""TensorBoard's scalar smoothing: a debiased exponential moving average, vectorized.

TensorBoard (and W&B after it) smooths a scalar series with

    last = last * w + (1 - w) * y;  n += 1;  smoothed = last / (1 - w**n)

skipping (and passing through) non-finite values. A Python loop over 10M points takes seconds, so the
linear recurrence ``s[k] = a * s[k-1] + x[k]`` is solved blockwise with numpy: inside a block of ``B``
points ``s[i] = a**i * cumsum(a**-t * x[t])``, with ``B`` small enough that ``a**-B`` stays far from
overflow; the carries between blocks obey the same recurrence with weight ``a**B`` and are solved
recursively. Weights close to 0 use a few Hillis-Steele doubling passes instead.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["DEFAULT_WEIGHT", "EmaState", "ema_state", "smooth_ema", "smooth_ema_continue", "smooth_ema_rows"]

DEFAULT_WEIGHT = 0.6
"""TensorBoard's default smoothing weight."""

_MAX_BLOCK = 1024
"""Longest block: bounds the rounding error of the in-block cumulative sum for weights near 1."""
_LOG_RANGE = 150 * math.log(10.0)
"""Largest exponent magnitude allowed for ``a**-i`` inside a block (1e150: far from overflow)."""
_MIN_BLOCK = 32
"""Below this block length the doubling scan is cheaper than blocks."""
_NEGLIGIBLE = 1e-300
"""A coefficient below this contributes nothing representable next to the terms it multiplies."""


def _doubling_scan(x: NDArray[np.float64], a: float) -> NDArray[np.float64]:
    """Solve ``s[k] = a*s[k-1] + x[k]`` (along the last axis) by Hillis-Steele doubling, for small ``a``."""
    s = x.copy()
    shift, coef = 1, a
    while coef > _NEGLIGIBLE and shift < s.shape[-1]:
        s[..., shift:] += coef * s[..., :-shift]
        shift *= 2
        coef *= coef
    return s


def _linear_scan(x: NDArray[np.float64], a: float) -> NDArray[np.float64]:
    """Solve ``s[k] = a*s[k-1] + x[k]`` with ``s[-1] = 0`` for ``0 <= a <= 1``, vectorized, along the last axis
    (each row of a 2-D ``x`` is its own series, solved exactly as it would be alone)."""
    n = x.shape[-1]
    if n <= 1 or a == 0.0:
        return x.copy()
    if a == 1.0:
        return np.cumsum(x, axis=-1)
    block = min(_MAX_BLOCK, 1 + int(_LOG_RANGE / -math.log(a)))
    if block < _MIN_BLOCK:
        return _doubling_scan(x, a)
    block = min(block, n)
    # Scale each series by a power of two (exact) so that |x| <= 1 and a**-i * x cannot overflow; never scale up
    # (2**1074 for a subnormal peak would itself overflow). An all-zero series stays zeros (scale 1).
    peak = np.max(np.abs(x), axis=-1, keepdims=True)
    scale = np.ldexp(1.0, -np.maximum(np.frexp(peak)[1], 0))
    n_blocks = -(-n // block)
    padded = np.zeros((*x.shape[:-1], n_blocks * block))
    np.multiply(x, scale, out=padded[..., :n])
    blocks = padded.reshape(*x.shape[:-1], n_blocks, block)
    i = np.arange(block, dtype=np.float64)
    up = np.power(a, i)  # a**i, >= 1e-150
    blocks *= 1.0 / up
    np.cumsum(blocks, axis=-1, out=blocks)
    blocks *= up
    if n_blocks > 1:
        # carry[..., j] = value at the end of block j including all earlier blocks.
        carry = _linear_scan(blocks[..., -1].copy(), a**block)
        blocks[..., 1:, :] += carry[..., :-1, None] * (up * a)
    return padded[..., :n] / scale


def _debiased_ema(z: NDArray[np.float64], w: float) -> NDArray[np.float64]:
    """TensorBoard's debiased average of finite values ``z`` along the last axis, for ``0 < w <= 1``."""
    if w == 1.0:
        return np.zeros_like(z)
    smoothed = _linear_scan((1.0 - w) * z, w)
    # 1 - w**n rounds to exactly 1 once w**n < 2**-54: only the head needs debiasing.
    head = min(z.shape[-1], 1 + int(54 * math.log(2.0) / -math.log(w)))
    smoothed[..., :head] /= 1.0 - np.power(w, np.arange(1, head + 1, dtype=np.float64))
    return smoothed


def smooth_ema(values: ArrayLike, weight: float = DEFAULT_WEIGHT) -> NDArray[np.float64]:
    """Smooth a scalar series exactly like TensorBoard's smoothing slider.

    Parameters
    ----------
    values : array_like
        1-D series, in step order. Converted to float64.
    weight : float, default 0.6
        Smoothing weight, clamped to ``[0, 1]``; NaN counts as 0 (no smoothing).

    Returns
    -------
    numpy.ndarray
        float64 array of the same length. If all values are equal they are returned unchanged;
        non-finite values are passed through and not counted in the debiasing. ``weight == 1``
        gives 0 for every finite value, as in TensorBoard.

    Notes
    -----
    Agrees with TensorBoard's loop to about ``1e-12`` of the series' magnitude; 10M points take
    a few hundred milliseconds.

    Examples
    --------
    >>> smooth_ema([1.0, 2.0, 3.0, float("nan"), 4.0], 0.6).round(6).tolist()
    [1.0, 1.625, 2.326531, nan, 3.095588]
    """
    y = np.asarray(values, dtype=np.float64)
    if y.ndim != 1:
        raise ValueError(f"values must be 1-D, got shape {y.shape}; pass one series at a time")
    w = _clamp(weight)
    if y.size == 0 or w == 0.0 or np.all(y == y[0]):
        return y.copy()  # all equal: TensorBoard returns them; w = 0: last = y, debias 1: identity
    finite = np.isfinite(y)
    all_finite = bool(finite.all())
    z = y if all_finite else y[finite]
    smoothed = _debiased_ema(z, w)
    if all_finite:
        return smoothed
    out = y.copy()  # non-finite values pass through
    out[finite] = smoothed
    return out


def smooth_ema_rows(values: NDArray[np.float64], weight: float = DEFAULT_WEIGHT) -> NDArray[np.float64]:
    """:func:`smooth_ema` of each row of a 2-D array of finite values (many series of one length at once).

    Row ``i`` of the result is ``smooth_ema(values[i], weight)``, to the bit: the same operations run on every
    row side by side, which saves numpy's per-call cost when a card draws hundreds of short series.

    Examples
    --------
    >>> ys = np.array([[1.0, 2.0, 3.0], [5.0, 5.0, 5.0]])
    >>> smooth_ema_rows(ys, 0.6).round(6).tolist()
    [[1.0, 1.625, 2.326531], [5.0, 5.0, 5.0]]
    """
    y = np.asarray(values, dtype=np.float64)
    if y.ndim != 2:
        raise ValueError(f"values must be 2-D (one series per row), got shape {y.shape}")
    if not np.isfinite(y).all():
        raise ValueError("values must be finite; smooth a series with NaN or inf values with smooth_ema")
    w = _clamp(weight)
    if y.size == 0 or w == 0.0:
        return y.copy()
    smoothed = _debiased_ema(y, w)
    constant = (y == y[:, :1]).all(axis=1)  # all equal: TensorBoard returns them
    smoothed[constant] = y[constant]
    return smoothed


class EmaState(NamedTuple):
    """Where TensorBoard's loop stands after a prefix: its biased accumulator ``last`` and finite count ``n``."""

    last: float
    n: int


def _clamp(weight: float) -> float:
    w = float(weight)
    return 0.0 if math.isnan(w) else min(max(w, 0.0), 1.0)


def ema_state(values: ArrayLike, smoothed: ArrayLike, weight: float) -> EmaState:
    """The loop's state after ``values`` given their smoothed output (from :func:`smooth_ema`).

    A live viewer keeps this beside the points it sent, so new rows are smoothed with
    :func:`smooth_ema_continue` without reading the whole series again.

    Examples
    --------
    >>> ys = [1.0, 2.0, 3.0]
    >>> state = ema_state(ys, smooth_ema(ys, 0.6), 0.6)
    >>> state.n, round(state.last, 6)
    (3, 1.824)
    """
    y = np.asarray(values, dtype=np.float64)
    s = np.asarray(smoothed, dtype=np.float64)
    finite = np.isfinite(y)
    n = int(np.count_nonzero(finite))
    if n == 0:
        return EmaState(0.0, 0)
    w = _clamp(weight)
    if w == 1.0:
        return EmaState(0.0, n)  # the loop never moves off 0 (even where the all-equal shortcut returned y)
    last = y.size - 1 if finite[-1] else int(np.flatnonzero(finite)[-1])
    return EmaState(float(s[last]) * (1.0 - w**n), n)


def smooth_ema_continue(
    values: ArrayLike, weight: float, state: EmaState
) -> tuple[NDArray[np.float64], EmaState]:
    """Smooth rows appended to a series, continuing TensorBoard's loop from ``state``.

    Gives what :func:`smooth_ema` gives for these rows on the whole series (up to rounding), except for
    TensorBoard's special case of an all-equal series, whose debiased average equals its values anyway.

    Examples
    --------
    >>> head, tail = [1.0, 2.0, 3.0], [float("nan"), 4.0]
    >>> state = ema_state(head, smooth_ema(head, 0.6), 0.6)
    >>> out, state = smooth_ema_continue(tail, 0.6, state)
    >>> out.round(6).tolist(), state.n
    ([nan, 3.095588], 4)
    """
    y = np.asarray(values, dtype=np.float64)
    if y.ndim != 1:
        raise ValueError(f"values must be 1-D, got shape {y.shape}; pass one series at a time")
    w = _clamp(weight)
    last, n = float(state[0]), int(state[1])
    out = y.copy()
    finite = np.isfinite(y)
    z = y[finite]
    if z.size == 0:
        return out, EmaState(last, n)
    if w == 1.0:
        out[finite] = last  # last * 1 + 0 * y, debiased by 1
        return out, EmaState(last, n + z.size)
    x = (1.0 - w) * z
    x[0] += w * last
    acc = _linear_scan(x, w)
    counts = np.arange(n + 1, n + z.size + 1, dtype=np.float64)
    out[finite] = acc / (1.0 - np.power(w, counts))
    return out, EmaState(float(acc[-1]), n + z.size)
