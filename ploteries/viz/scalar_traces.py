"""The points of a scalar trace: smoothed on the full series, then downsampled for the screen (pure numpy).

Data flow of one trace::

    rows (step, wall_time, value) ── smooth_ema (whole series) ── x_values (axis mode)
        ── visible_range (zoom) ── minmax_downsample (~2k points, spikes kept) ── TracePoints

Live updates append rows past the client's cursor with :func:`extend_points`, continuing the smoothing from
the :class:`~ploteries.viz.services.smoothing.EmaState` the client holds, so the whole series is never read again.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from numpy.typing import NDArray

from .services.downsampling import minmax_downsample, visible_range
from .services.smoothing import EmaState, ema_state, smooth_ema, smooth_ema_continue
from .services.xaxis import x_values

__all__ = [
    "DEFAULT_BUDGET",
    "ScalarColumns",
    "TracePoints",
    "covering_span",
    "extend_points",
    "overview_points",
    "scalar_columns",
]

DEFAULT_BUDGET = 2000
"""Points per trace sent for a whole-range view."""


@dataclasses.dataclass(frozen=True)
class ScalarColumns:
    """One scalar series as three aligned 1-D arrays."""

    step: NDArray[np.int64]
    wall_time: NDArray[np.float64]
    value: NDArray[np.float64]

    def __len__(self) -> int:
        return int(self.step.size)


def scalar_columns(records) -> ScalarColumns:
    """Columns of what ``Database.read`` returned for a scalar series (structured array or ragged records).

    Non-scalar values (a tensor logged under a scalar tag) are reduced to their mean so the line still draws.

    Examples
    --------
    >>> rec = np.array([(0, 1.0, 0.5)], dtype=[("step", "i8"), ("wall_time", "f8"), ("value", "f8")])
    >>> scalar_columns(rec).value.tolist()
    [0.5]
    """
    if isinstance(records, np.ndarray):
        values = records["value"]
        if values.ndim > 1:
            values = values.reshape(len(values), -1).mean(axis=1)
        return ScalarColumns(
            records["step"].astype(np.int64, copy=False),
            records["wall_time"].astype(np.float64, copy=False),
            np.asarray(values, dtype=np.float64),
        )
    values = np.array([float(np.mean(v)) if np.size(v) else np.nan for v in records.values], dtype=np.float64)
    return ScalarColumns(records.step, records.wall_time, values)


@dataclasses.dataclass(frozen=True)
class TracePoints:
    """Points to draw for one series, and what the client must keep to receive appends."""

    x: NDArray  # int64 steps, float64 hours, or datetime64[ms]
    y: NDArray[np.float64]  # raw values at the drawn points
    x_smooth: (
        NDArray | None
    )  # x of the smoothed line's points (picked on the smoothed values; None: no smoothing)
    y_smooth: NDArray[np.float64] | None  # smoothed values there
    y_raw_at_smooth: NDArray[np.float64] | None  # raw values at the smoothed line's points (for the hover)
    rows: int  # rows of the series covered (the client's cursor)
    ema: EmaState  # smoothing state after the last covered row
    origin: float | None  # wall time counted as 0 in "relative" mode
    last_step: int | None
    last_value: float | None


def covering_span(x: NDArray, x0, x1) -> slice:
    """The rows from one before the first to one after the last point with ``x0 <= x <= x1``.

    Works on unsorted x (a resumed run's steps may go back); on sorted x it equals ``visible_range``.

    Examples
    --------
    >>> covering_span(np.array([0, 10, 20, 30, 40]), 12, 28)
    slice(1, 4, None)
    """
    if x0 is not None and x1 is not None and x0 > x1:
        x0, x1 = x1, x0
    inside = np.ones(x.shape, bool)
    if x0 is not None:
        inside &= x >= x0
    if x1 is not None:
        inside &= x <= x1
    hits = np.flatnonzero(inside)
    if hits.size == 0:
        return visible_range(x, x0, x1) if x.size and bool(np.all(x[1:] >= x[:-1])) else slice(0, 0)
    return slice(max(int(hits[0]) - 1, 0), min(int(hits[-1]) + 2, x.size))


def _origin(cols: ScalarColumns, origin: float | None) -> float | None:
    if origin is not None:
        return origin
    return float(cols.wall_time[0]) if len(cols) else None


def overview_points(
    cols: ScalarColumns,
    *,
    weight: float,
    xmode: str = "step",
    budget: int = DEFAULT_BUDGET,
    x_range: tuple | None = None,
) -> TracePoints:
    """The points of a whole series (or of the zoomed ``x_range``), smoothed first, then downsampled.

    Examples
    --------
    >>> cols = ScalarColumns(np.arange(10_000), np.zeros(10_000), np.sin(np.arange(10_000.0)))
    >>> pts = overview_points(cols, weight=0.6, budget=100)
    >>> len(pts.x) <= 100, pts.rows
    (True, 10000)
    """
    smooth = smooth_ema(cols.value, weight) if weight > 0 else None
    origin = _origin(cols, None)
    x = x_values(cols.step, cols.wall_time, xmode, origin=origin)
    span = slice(0, len(cols)) if x_range is None else covering_span(x, *x_range)
    picked = minmax_downsample(x[span], cols.value[span], budget) + span.start
    state = ema_state(cols.value, smooth, weight) if smooth is not None else EmaState(0.0, 0)
    # the smoothed line keeps its own extremes: picking it at the raw line's extremes would make it look noisy
    at = None if smooth is None else minmax_downsample(x[span], smooth[span], budget) + span.start
    return TracePoints(
        x=x[picked],
        y=cols.value[picked],
        x_smooth=None if at is None else x[at],
        y_smooth=None if at is None else smooth[at],
        y_raw_at_smooth=None if at is None else cols.value[at],
        rows=len(cols),
        ema=state,
        origin=origin,
        last_step=int(cols.step[-1]) if len(cols) else None,
        last_value=float(cols.value[-1]) if len(cols) else None,
    )


def extend_points(
    new: ScalarColumns,
    *,
    weight: float,
    xmode: str,
    rows_before: int,
    ema: EmaState,
    origin: float | None,
) -> TracePoints:
    """The points of rows appended after the client's cursor (all of them: live tails are short).

    Examples
    --------
    >>> head = ScalarColumns(np.arange(3), np.zeros(3), np.array([1.0, 2.0, 3.0]))
    >>> first = overview_points(head, weight=0.6)
    >>> tail = ScalarColumns(np.array([3]), np.zeros(1), np.array([4.0]))
    >>> more = extend_points(tail, weight=0.6, xmode="step", rows_before=3, ema=first.ema, origin=first.origin)
    >>> more.rows, round(float(more.y_smooth[0]), 6)
    (4, 3.095588)
    """
    if weight > 0:
        smooth, state = smooth_ema_continue(new.value, weight, ema)
    else:
        smooth, state = None, ema
    origin = _origin(new, origin)
    x = x_values(new.step, new.wall_time, xmode, origin=origin)
    return TracePoints(
        x=x,
        y=new.value,
        x_smooth=None if smooth is None else x,
        y_smooth=smooth,
        y_raw_at_smooth=None if smooth is None else new.value,
        rows=rows_before + len(new),
        ema=state,
        origin=origin,
        last_step=int(new.step[-1]) if len(new) else None,
        last_value=float(new.value[-1]) if len(new) else None,
    )
