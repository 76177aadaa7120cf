"""The points of a scalar trace: smoothed on the full series, then downsampled for the screen (pure numpy).

Data flow of one trace::

    rows (step, wall_time, value) ── smooth_ema (whole series) ── x_values (axis mode)
        ── visible_range (zoom) ── minmax_downsample (~2k points, spikes kept) ── TracePoints

Live updates append rows past the client's cursor with :func:`extend_points`, continuing the smoothing from
the :class:`~ploteries.viz.services.smoothing.EmaState` the client holds, so the whole series is never read again.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from .lru import LruCache
from .services.downsampling import minmax_downsample, minmax_downsample_rows
from .services.smoothing import EmaState, ema_state, smooth_ema, smooth_ema_continue, smooth_ema_rows
from .services.xaxis import x_values

__all__ = [
    "DEFAULT_BUDGET",
    "OverviewCache",
    "ScalarColumns",
    "TracePoints",
    "CHUNK_ROWS",
    "cols_slice",
    "extend_points",
    "overview_points",
    "overview_points_many",
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


def _origin(cols: ScalarColumns, origin: float | None) -> float | None:
    if origin is not None:
        return origin
    return float(cols.wall_time[0]) if len(cols) else None


CHUNK_ROWS = 1_000_000
"""Rows read at a time for long series: the server's memory per card stays bounded whatever the file holds."""

ReadChunk = Callable[[int, int], ScalarColumns]
"""``read_chunk(from_row, to_row)``: the columns of rows ``[from_row, to_row)`` of a series."""


def _in_memory(cols: ScalarColumns) -> ReadChunk:
    return lambda a, b: cols_slice(cols, a, b)


def _row_span(
    read_chunk: ReadChunk, n_rows: int, xmode: str, x_range: tuple, chunk_rows: int
) -> tuple[int, int]:
    """Rows ``[lo, hi)`` from one before the first to one after the last row inside ``x_range`` (pass 1)."""
    first = last = None
    origin = None
    x0, x1 = sorted(x_range) if None not in x_range else x_range
    for a in range(0, n_rows, chunk_rows):
        cols = read_chunk(a, min(a + chunk_rows, n_rows))
        if not len(cols):
            break
        origin = _origin(cols, origin)
        x = x_values(cols.step, cols.wall_time, xmode, origin=origin)
        inside = np.ones(x.shape, bool)
        if x0 is not None:
            inside &= x >= x0
        if x1 is not None:
            inside &= x <= x1
        hits = np.flatnonzero(inside)
        if hits.size:
            first = a + int(hits[0]) if first is None else first
            last = a + int(hits[-1])
    if first is None:
        return 0, 0
    return max(first - 1, 0), min(last + 2, n_rows)


def overview_points(
    cols: ScalarColumns | None = None,
    *,
    weight: float,
    xmode: str = "step",
    budget: int = DEFAULT_BUDGET,
    x_range: tuple | None = None,
    read_chunk: ReadChunk | None = None,
    n_rows: int | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> TracePoints:
    """The points of a whole series (or of the zoomed ``x_range``), smoothed first, then downsampled.

    Give the series either in memory (``cols``) or as ``read_chunk`` and ``n_rows``, read ``chunk_rows`` at a
    time: each chunk is smoothed (continuing from the previous one) and min/max downsampled with its share of
    the budget, so memory stays bounded for a 10M-point series. A zoom needs two passes: the first finds the
    rows in view (plus one beyond each edge, see :func:`covering_span`).

    Examples
    --------
    >>> cols = ScalarColumns(np.arange(10_000), np.zeros(10_000), np.sin(np.arange(10_000.0)))
    >>> pts = overview_points(cols, weight=0.6, budget=100)
    >>> len(pts.x) <= 100, pts.rows
    (True, 10000)
    >>> chunked = overview_points(read_chunk=lambda a, b: cols_slice(cols, a, b), n_rows=10_000,
    ...                           weight=0.6, budget=100, chunk_rows=3000)
    >>> bool(np.allclose(chunked.y_smooth[-1], pts.y_smooth[-1])), chunked.rows
    (True, 10000)
    """
    if read_chunk is None:
        read_chunk, n_rows = _in_memory(cols), len(cols)
    lo, hi = (0, n_rows) if x_range is None else _row_span(read_chunk, n_rows, xmode, x_range, chunk_rows)
    want = max(hi - lo, 1)
    state, origin, rows = EmaState(0.0, 0), None, 0
    last_step = last_value = None
    xs, ys, sxs, sys_, raw_at = [], [], [], [], []
    for a in range(0, n_rows, chunk_rows):
        chunk = read_chunk(a, min(a + chunk_rows, n_rows))
        if not len(chunk):
            break
        rows += len(chunk)
        last_step, last_value = int(chunk.step[-1]), float(chunk.value[-1])
        origin = _origin(chunk, origin)
        if weight > 0:
            if a == 0:
                smooth = smooth_ema(chunk.value, weight)
                state = ema_state(chunk.value, smooth, weight)
            else:
                smooth, state = smooth_ema_continue(chunk.value, weight, state)
        span = slice(max(lo - a, 0), max(min(hi - a, len(chunk)), 0))
        if span.stop <= span.start:
            continue
        share = max(4, round(budget * (span.stop - span.start) / want))
        x = x_values(chunk.step[span], chunk.wall_time[span], xmode, origin=origin)
        y = chunk.value[span]
        picked = minmax_downsample(x, y, share)
        xs.append(x[picked])
        ys.append(y[picked])
        if weight > 0:
            # the smoothed line keeps its own extremes: picked at the raw line's extremes it would look noisy
            sm = smooth[span]
            at = minmax_downsample(x, sm, share)
            sxs.append(x[at])
            sys_.append(sm[at])
            raw_at.append(y[at])
    empty = np.empty(0)
    join = lambda parts: np.concatenate(parts) if parts else empty  # noqa: E731
    return TracePoints(
        x=join(xs) if xs else x_values(np.empty(0, np.int64), empty, xmode),
        y=join(ys),
        x_smooth=join(sxs) if weight > 0 else None,
        y_smooth=join(sys_) if weight > 0 else None,
        y_raw_at_smooth=join(raw_at) if weight > 0 else None,
        rows=rows,
        ema=state,
        origin=origin,
        last_step=last_step,
        last_value=last_value,
    )


def overview_points_many(
    series: list[ScalarColumns],
    *,
    weight: float,
    xmode: str = "step",
    budget: int = DEFAULT_BUDGET,
    chunk_rows: int = CHUNK_ROWS,
) -> list[TracePoints]:
    """``overview_points(cols, weight=..., xmode=..., budget=..., chunk_rows=...)`` of each in-memory series.

    The same points, to the bit, in a fraction of the time for a sweep's card: series of one length (at most
    ``chunk_rows``) whose values are all finite are smoothed and downsampled side by side, as the rows of one
    2-D array (:func:`~ploteries.viz.services.smoothing.smooth_ema_rows`,
    :func:`~ploteries.viz.services.downsampling.minmax_downsample_rows`); the others one at a time.

    Examples
    --------
    >>> a = ScalarColumns(np.arange(500), np.zeros(500), np.sin(np.arange(500.0)))
    >>> b = ScalarColumns(np.arange(500), np.zeros(500), np.cos(np.arange(500.0)))
    >>> many = overview_points_many([a, b], weight=0.6, budget=100)
    >>> bool(np.array_equal(many[1].y_smooth, overview_points(b, weight=0.6, budget=100).y_smooth))
    True
    """
    out: list[TracePoints | None] = [None] * len(series)
    by_length: dict[int, list[int]] = {}
    for i, cols in enumerate(series):
        n = len(cols)
        if 2 <= n <= chunk_rows and np.isfinite(cols.value).all():
            by_length.setdefault(n, []).append(i)
        else:
            out[i] = overview_points(cols, weight=weight, xmode=xmode, budget=budget, chunk_rows=chunk_rows)
    for members in by_length.values():
        done = _overview_rows([series[i] for i in members], weight=weight, xmode=xmode, budget=budget)
        for i, points in zip(members, done):
            out[i] = points
    return out  # type: ignore[return-value]


def _overview_rows(
    series: list[ScalarColumns], *, weight: float, xmode: str, budget: int
) -> list[TracePoints]:
    """:func:`overview_points` of whole in-memory series of one length with finite values, side by side."""
    values = np.stack([cols.value for cols in series])
    share = max(4, round(budget))  # the whole series is in view: its whole budget
    picked = minmax_downsample_rows(values, share)
    smooth = smooth_ema_rows(values, weight) if weight > 0 else None
    at_smooth = minmax_downsample_rows(smooth, share) if smooth is not None else None
    out = []
    for r, cols in enumerate(series):
        origin = float(cols.wall_time[0])
        idx = picked[r]
        x = x_values(cols.step[idx], cols.wall_time[idx], xmode, origin=origin)
        if smooth is None:
            sx = sy = raw_at = None
            state = EmaState(0.0, 0)
        else:
            at = at_smooth[r]
            sx = x_values(cols.step[at], cols.wall_time[at], xmode, origin=origin)
            sy, raw_at = smooth[r][at], cols.value[at]
            state = ema_state(cols.value, smooth[r], weight)
        out.append(
            TracePoints(
                x=x,
                y=cols.value[idx],
                x_smooth=sx,
                y_smooth=sy,
                y_raw_at_smooth=raw_at,
                rows=len(cols),
                ema=state,
                origin=origin,
                last_step=int(cols.step[-1]),
                last_value=float(cols.value[-1]),
            )
        )
    return out


class OverviewCache(LruCache["TracePoints"]):
    """The last ``max_entries`` whole-range overviews, by a key naming the series' contents and the view.

    An overview of a 1M-point series costs tens of milliseconds (read, smooth, downsample) and is at most 2k
    points (a few dozen for each line of a sweep's card, which shares its points), so keeping them makes a page
    reload, a tab switch back or a second browser instant, with memory bounded in bytes (``max_bytes``, as
    numpy counts them) as well as in entries: a page of 300-run cards holds 1,200 small overviews. The key must change whenever the points would: the series' fingerprint and row count, the
    smoothing weight, the x mode, the rewind step, ... Safe to use from several threads.

    Examples
    --------
    >>> cache = OverviewCache(max_entries=2)
    >>> cache.get(("a", 1)) is None
    True
    >>> cache.put(("a", 1), "points a"); cache.put(("b", 1), "points b"); cache.put(("c", 1), "points c")
    >>> cache.get(("a", 1)), cache.get(("c", 1))
    (None, 'points c')
    """

    def __init__(self, max_entries: int = 16_384, max_bytes: int = 64 << 20):
        super().__init__(max_entries, max_bytes=max_bytes, nbytes=_points_nbytes)


def _points_nbytes(points) -> int:
    """The bytes of an overview's arrays (0 for anything else)."""
    arrays = [getattr(points, f.name, None) for f in dataclasses.fields(TracePoints)]
    return sum(a.nbytes for a in arrays if isinstance(a, np.ndarray))


def cols_slice(cols: ScalarColumns, a: int, b: int) -> ScalarColumns:
    """Rows ``[a, b)`` of in-memory columns."""
    return ScalarColumns(cols.step[a:b], cols.wall_time[a:b], cols.value[a:b])


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
