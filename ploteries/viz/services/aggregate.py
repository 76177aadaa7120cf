"""A group of runs as one band: the members' lines aligned on common x values, then a centre and a spread.

Pure functions of arrays (no Dash, no files): :func:`align` puts every member on one grid, :func:`band_of`
reduces the grid's columns, :func:`group_band` does both and drops the x values where no member has data.
Non-finite values (NaN, inf: a diverged run, a gap) are missing values: a member is interpolated across them
within its own x range and has no value outside it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

__all__ = ["CENTERS", "SPREADS", "Band", "align", "band_of", "group_band"]

CENTERS = ("mean", "median")
"""How a group's line is drawn."""
SPREADS = ("minmax", "std")
"""How a group's band is drawn: between the members' least and greatest values, or the centre +- one std."""


@dataclasses.dataclass(frozen=True)
class Band:
    """One group's line and band at ``x``; ``count`` is the members with a value at each x."""

    x: np.ndarray
    center: np.ndarray
    low: np.ndarray
    high: np.ndarray
    count: np.ndarray


def _as_numbers(x: np.ndarray) -> np.ndarray:
    """x as float64 (dates as their milliseconds), for interpolation."""
    x = np.asarray(x)
    if np.issubdtype(x.dtype, np.datetime64):
        return x.astype("datetime64[ms]").astype(np.int64).astype(np.float64)
    return x.astype(np.float64)


def align(xs: Sequence[np.ndarray], ys: Sequence[np.ndarray], points: int) -> tuple[np.ndarray, np.ndarray]:
    """Members' lines on one grid of at most ``points`` x values.

    Parameters
    ----------
    xs, ys : sequences of arrays
        One line per member (x numbers or ``datetime64``, all of one kind; any order, NaN allowed in y).
    points : int
        Most x values of the grid: every member's x values when they are fewer, else that many of them evenly
        picked from their sorted union (so that the band costs the budget of one line, whatever its members).

    Returns
    -------
    tuple
        ``(grid, values)``: the grid (in the members' x dtype) and a ``(members, len(grid))`` float array with
        each member linearly interpolated at the grid, NaN outside its x range or where it has no finite value.

    Examples
    --------
    >>> grid, values = align([np.array([0, 10]), np.array([5, 20])], [np.array([0.0, 1.0]), np.array([2.0, 2.0])], 10)
    >>> grid.tolist(), values.tolist()
    ([0, 5, 10, 20], [[0.0, 0.5, 1.0, nan], [nan, 2.0, 2.0, 2.0]])
    """
    if len(xs) != len(ys):
        raise ValueError(f"align: xs has {len(xs)} lines and ys {len(ys)}; give one y array per x array")
    if points < 1:
        raise ValueError(f"align: points must be at least 1, got {points}")
    dtype = np.asarray(xs[0]).dtype if xs else np.dtype(np.float64)
    union = np.unique(np.concatenate([np.asarray(x) for x in xs])) if xs else np.empty(0, dtype)
    if np.issubdtype(union.dtype, np.floating):
        union = union[np.isfinite(union)]
    if len(union) > points:
        union = union[np.unique(np.linspace(0, len(union) - 1, points).round().astype(np.int64))]
    grid = _as_numbers(union)
    values = np.full((len(xs), len(grid)), np.nan)
    for i, (x, y) in enumerate(zip(xs, ys)):
        xf, yf = _as_numbers(x), np.asarray(y, dtype=np.float64)
        keep = np.isfinite(xf) & np.isfinite(yf)
        xf, yf = xf[keep], yf[keep]
        if not len(xf):
            continue
        order = np.argsort(xf, kind="stable")
        xf, yf = xf[order], yf[order]
        inside = (grid >= xf[0]) & (grid <= xf[-1])
        values[i, inside] = np.interp(grid[inside], xf, yf)
    return union.astype(dtype, copy=False), values


def band_of(values: np.ndarray, center: str = "mean", spread: str = "minmax") -> Band:
    """The centre and band of each column of ``values`` (members x grid, NaN = no value).

    Columns without any value give NaN everywhere and a count of 0. ``std`` is the population standard
    deviation (one member: a band of width 0).

    Examples
    --------
    >>> b = band_of(np.array([[1.0, 2.0], [3.0, np.nan]]))
    >>> b.center.tolist(), b.low.tolist(), b.high.tolist(), b.count.tolist()
    ([2.0, 2.0], [1.0, 2.0], [3.0, 2.0], [2, 1])
    """
    if center not in CENTERS:
        raise ValueError(f"center must be one of {CENTERS}, got {center!r}")
    if spread not in SPREADS:
        raise ValueError(f"spread must be one of {SPREADS}, got {spread!r}")
    values = np.atleast_2d(np.asarray(values, dtype=np.float64))
    count = np.isfinite(values).sum(axis=0)
    cols = count > 0
    out = {k: np.full(values.shape[1], np.nan) for k in ("center", "low", "high")}
    if cols.any():
        v = values[:, cols]
        mid = np.nanmean(v, axis=0) if center == "mean" else np.nanmedian(v, axis=0)
        if spread == "minmax":
            low, high = np.nanmin(v, axis=0), np.nanmax(v, axis=0)
        else:
            std = np.nanstd(v, axis=0)
            low, high = mid - std, mid + std
        # the mean of a column can round a hair outside its min/max: the band always holds its line
        out["center"][cols] = mid
        out["low"][cols] = np.minimum(low, mid)
        out["high"][cols] = np.maximum(high, mid)
    return Band(np.arange(values.shape[1]), out["center"], out["low"], out["high"], count)


def group_band(
    xs: Sequence[np.ndarray],
    ys: Sequence[np.ndarray],
    *,
    points: int,
    center: str = "mean",
    spread: str = "minmax",
) -> Band:
    """A group's band at the x values where at least one member has a value (see :func:`align`).

    Examples
    --------
    >>> b = group_band([np.array([0, 1, 2])], [np.array([1.0, np.nan, 3.0])], points=100)
    >>> b.x.tolist(), b.center.tolist(), b.count.tolist()
    ([0, 1, 2], [1.0, 2.0, 3.0], [1, 1, 1])
    """
    grid, values = align(xs, ys, points)
    b = band_of(values, center, spread)
    keep = b.count > 0
    return Band(grid[keep], b.center[keep], b.low[keep], b.high[keep], b.count[keep])
