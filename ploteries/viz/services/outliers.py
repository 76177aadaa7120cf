"""The y-axis domain of a scalar chart, with TensorBoard's "ignore outliers" option.

TensorBoard's ``computeDomain`` (vz_chart_helpers) takes the 5% and 95% quantiles of the values
(d3.quantile: linear interpolation, numpy's default) instead of the min and max when outliers are
ignored, then pads the span by 20% and pulls the lower end to just below 0 when that less than
doubles the span. d3's ``nice()`` rounding is left to Plotly's tick placement.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["outlier_range", "y_domain"]


def _finite(values: ArrayLike) -> np.ndarray:
    v = np.asarray(values, dtype=np.float64).ravel()
    return v[np.isfinite(v)]


def outlier_range(values: ArrayLike, lo: float = 0.05, hi: float = 0.95) -> tuple[float, float] | None:
    """The ``lo`` and ``hi`` quantiles of the finite values: the span kept when ignoring outliers.

    Parameters
    ----------
    values : array_like
        Any shape; NaN and infinities are left out.
    lo, hi : float, default 0.05 and 0.95
        Quantiles in ``[0, 1]`` with ``lo <= hi``; linear interpolation as d3.quantile.

    Returns
    -------
    tuple of float or None
        ``(low, high)``, or None when there is no finite value.

    Examples
    --------
    >>> outlier_range(list(range(20)) + [1e9])
    (1.0, 19.0)
    """
    if not (0.0 <= lo <= hi <= 1.0):
        raise ValueError(f"need 0 <= lo <= hi <= 1, got lo={lo!r}, hi={hi!r}")
    v = _finite(values)
    if v.size == 0:
        return None
    a, b = np.quantile(v, [lo, hi])
    return float(a), float(b)


def y_domain(values: ArrayLike, ignore_outliers: bool = False) -> tuple[float, float]:
    """TensorBoard's y-axis domain for a chart's values (before d3's ``nice()`` rounding).

    Parameters
    ----------
    values : array_like
        Every value drawn in the chart (all traces); non-finite values are left out.
    ignore_outliers : bool, default False
        Use the 5%-95% quantile span (:func:`outlier_range`) instead of min-max.

    Returns
    -------
    tuple of float
        ``(lower, upper)``: the span padded by 20% (by ``1.1*|a| + 1.1`` when it is zero), with the
        lower end at ``-0.1 * upper value`` when ``0 <= min < span``; ``(-0.1, 1.1)`` when empty.

    Examples
    --------
    >>> y_domain([1.0, 2.0, 3.0])
    (-0.30000000000000004, 3.4)
    >>> y_domain([5.0, 6.0])
    (4.8, 6.2)
    """
    v = _finite(values)
    if v.size == 0:
        return (-0.1, 1.1)
    if ignore_outliers:
        a, b = outlier_range(v)  # type: ignore[misc]
    else:
        a, b = float(v.min()), float(v.max())
    span = b - a
    padding = abs(a) * 1.1 + 1.1 if span == 0 else span * 0.2
    lower = -0.1 * b if 0 <= a < span else a - padding
    return (lower, b + padding)
