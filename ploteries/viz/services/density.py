"""Many lines as one picture: each line rasterised into a count grid at a card's pixel size (pure numpy).

A card of more than :data:`DENSITY_LINES` lines is drawn as a *density picture*: how many lines cross each cell
of a ``DENSITY_WIDTH x DENSITY_HEIGHT`` grid (about the card's plot area in pixels). Its bytes are those of the
grid whatever the number of runs; the runs hovered in the run list or pinned stay lines drawn over it.

Rasterising is two steps, so that lines can be read and reduced a batch at a time before the y range is known:

1. :func:`column_spans`: per line and pixel column, the lowest and highest y the line takes in that column. A
   polyline is connected, so within one column it covers exactly the interval between those two, which are
   reached at its rows inside the column or where its segments cross the column's edges (interpolated).
   Segments touching a non-finite row are not drawn (a gap, as Plotly draws it); a lone finite row is a dot.
2. :func:`count_grid`: those spans mapped to pixel rows and counted (a difference array summed along y).

:func:`line_spans` maps lines from data units (steps, hours, dates; log10 of y on a log axis, where Plotly draws
straight segments) to pixels first. :func:`density_trace` is the Plotly heatmap of the counts.

Examples
--------
>>> lo, hi = line_spans([(np.array([0, 1, 2]), np.array([0.0, 1.0, 0.0]))], (0, 2), width=4)
>>> count_grid(lo, hi, (0.0, 1.0), height=2).tolist()
[[1, 0, 0, 1], [1, 1, 1, 1]]
"""

from __future__ import annotations

import base64
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .payload import typed_array

__all__ = [
    "DENSITY_HEIGHT",
    "DENSITY_LINES",
    "DENSITY_WIDTH",
    "column_spans",
    "count_grid",
    "decode_grid",
    "density_colorscale",
    "density_trace",
    "grid_array",
    "line_spans",
    "span_range",
    "to_pixels",
]

DENSITY_LINES = 500
"""A line card of more lines than this draws them as a density picture (see ``bench/README.md`` for the choice)."""

DENSITY_WIDTH = 512
"""Pixel columns of a density picture (a card's plot area is ~330-740 CSS pixels wide, ~460 in a 1400-pixel window)."""

DENSITY_HEIGHT = 200
"""Pixel rows of a density picture (a card's plot area is 222 CSS pixels high)."""

MAX_CROSSINGS = 4_000_000
"""Most segment-by-column-edge crossings expanded at once (bounds memory for lines going back and forth)."""

_COLORS = ("#b9d3ea", "#8fbadf", "#5e9bd0", "#3a7dbd", "#2360a5", "#173f86", "#0b1f5c")
"""Light to dark blue: one line is a light stroke on the white plot, the densest cells near black."""


def _as_float(x: ArrayLike) -> NDArray[np.float64]:
    """Axis values as float64 (dates as milliseconds since the epoch, NaT as NaN)."""
    arr = np.asarray(x)
    if np.issubdtype(arr.dtype, np.datetime64):
        ms = arr.astype("datetime64[ms]")
        out = ms.astype(np.int64).astype(np.float64)
        out[np.isnat(ms)] = np.nan
        return out
    return arr.astype(np.float64, copy=False)


def to_pixels(x: ArrayLike, x_range: tuple[Any, Any], width: int) -> NDArray[np.float64]:
    """``x`` in pixel columns: ``x_range[0]`` at 0, ``x_range[1]`` at ``width`` (dates as milliseconds).

    Examples
    --------
    >>> to_pixels([0, 5, 10], (0, 10), 4).tolist()
    [0.0, 2.0, 4.0]
    >>> to_pixels(np.array(["2026-01-01T00:00:01"], "datetime64[ms]"),
    ...           (np.datetime64("2026-01-01T00:00:00"), np.datetime64("2026-01-01T00:00:02")), 2).tolist()
    [1.0]
    """
    lo, hi = _as_float(np.asarray([x_range[0]])).item(), _as_float(np.asarray([x_range[1]])).item()
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        raise ValueError(f"x_range must be two finite, increasing values, got {x_range!r}")
    return (_as_float(x) - lo) * (width / (hi - lo))


def _min_max_at(lo: NDArray, hi: NDArray, keys: NDArray, values: NDArray) -> None:
    """``lo[k] = min(lo[k], v)`` and ``hi[k] = max(hi[k], v)`` for every pair, by runs of equal keys.

    Keys come in order when lines go forward in x (the usual case: one reduction per run of keys, ~10x
    ``np.minimum.at``); otherwise they are sorted first.
    """
    if not keys.size:
        return
    if np.any(keys[1:] < keys[:-1]):
        order = np.argsort(keys, kind="stable")
        keys, values = keys[order], values[order]
    starts = np.concatenate([[0], np.flatnonzero(keys[1:] != keys[:-1]) + 1])
    at = keys[starts]
    lo[at] = np.minimum(lo[at], np.minimum.reduceat(values, starts))
    hi[at] = np.maximum(hi[at], np.maximum.reduceat(values, starts))


def column_spans(
    px: ArrayLike, y: ArrayLike, starts: ArrayLike, width: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Per line and pixel column, the lowest and highest y of the line there (NaN where it does not pass).

    Parameters
    ----------
    px, y : array_like
        The rows of all lines one after the other: x in pixel columns (column ``c`` is ``[c, c + 1)``; ``width``
        itself belongs to the last column), y in any unit. Non-finite rows are skipped with their segments.
    starts : array_like
        Offsets of the lines in ``px``: line ``i`` is rows ``starts[i]:starts[i + 1]`` (``len(lines) + 1`` ints).
    width : int
        Pixel columns; rows and segment parts outside ``[0, width]`` are left out.

    Returns
    -------
    (lo, hi) : two float64 arrays of shape ``(lines, width)``

    Examples
    --------
    >>> lo, hi = column_spans([0.5, 2.5], [0.0, 4.0], [0, 2], 3)
    >>> lo.tolist(), hi.tolist()
    ([[0.0, 1.0, 3.0]], [[1.0, 3.0, 4.0]])
    """
    px, y = np.asarray(px, np.float64), np.asarray(y, np.float64)
    starts = np.asarray(starts, np.int64)
    if px.shape != y.shape or px.ndim != 1:
        raise ValueError(f"px and y must be 1-D and aligned, got shapes {px.shape} and {y.shape}")
    if (
        starts.ndim != 1
        or starts.size < 1
        or starts[0] != 0
        or starts[-1] != px.size
        or np.any(np.diff(starts) < 0)
    ):
        raise ValueError(f"starts must rise from 0 to len(px)={px.size}, got {starts[:8]!r}...")
    if isinstance(width, bool) or not isinstance(width, (int, np.integer)) or width < 1:
        raise ValueError(f"width must be a positive int of pixel columns, got {width!r}")
    lines = starts.size - 1
    lo = np.full(lines * width, np.inf)
    hi = np.full(lines * width, -np.inf)
    line = np.repeat(np.arange(lines, dtype=np.int64), np.diff(starts))
    finite = np.isfinite(px) & np.isfinite(y)
    inside = finite & (px >= 0) & (px <= width)
    cols = np.minimum(np.floor(px[inside]), width - 1).astype(np.int64)
    _min_max_at(lo, hi, line[inside] * width + cols, y[inside])
    # segments between consecutive finite rows of one line, and the column edges each crosses
    seg = np.flatnonzero((line[:-1] == line[1:]) & finite[:-1] & finite[1:])
    x0, x1, y0, y1 = px[seg], px[seg + 1], y[seg], y[seg + 1]
    first = np.maximum(np.ceil(np.minimum(x0, x1)), 0)
    last = np.minimum(np.floor(np.maximum(x0, x1)), width)
    k = np.where((x0 != x1) & (last >= first), last - first + 1, 0).astype(np.int64)
    keep = np.flatnonzero(k)
    seg_line, first, k = line[seg[keep]], first[keep].astype(np.int64), k[keep]
    x0, x1, y0, y1 = x0[keep], x1[keep], y0[keep], y1[keep]
    ends = np.cumsum(k)
    a = 0
    while a < k.size:  # a few batches of segments, each at most MAX_CROSSINGS edges (or one segment)
        b = max(int(np.searchsorted(ends, (ends[a - 1] if a else 0) + MAX_CROSSINGS, "right")), a + 1)
        kk = k[a:b]
        which = np.repeat(np.arange(a, b), kk)
        offset = np.arange(which.size) - np.repeat(np.cumsum(kk) - kk, kk)
        edge = first[which] + offset
        t = (edge - x0[which]) / (x1[which] - x0[which])
        at = y0[which] + t * (y1[which] - y0[which])
        base = seg_line[which] * width
        left = edge >= 1  # the edge is the right side of column edge - 1 ...
        _min_max_at(lo, hi, base[left] + edge[left] - 1, at[left])
        right = edge <= width - 1  # ... and the left side of column edge
        _min_max_at(lo, hi, base[right] + edge[right], at[right])
        a = b
    untouched = lo > hi
    lo[untouched] = np.nan
    hi[untouched] = np.nan
    return lo.reshape(lines, width), hi.reshape(lines, width)


def line_spans(
    lines: Sequence[tuple[ArrayLike, ArrayLike]],
    x_range: tuple[Any, Any],
    *,
    width: int = DENSITY_WIDTH,
    log_y: bool = False,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """:func:`column_spans` of lines given in data units: ``(x, y)`` pairs over the axis range ``x_range``.

    With ``log_y`` the spans are of ``log10(y)`` (rows at or below zero are gaps, as on Plotly's log axis).

    Examples
    --------
    >>> lo, hi = line_spans([([0, 10], [1.0, 100.0])], (0, 10), width=2, log_y=True)
    >>> lo.tolist(), hi.tolist()
    ([[0.0, 1.0]], [[1.0, 2.0]])
    """
    if not lines:
        return np.empty((0, width)), np.empty((0, width))
    xs = [to_pixels(x, x_range, width) for x, _ in lines]
    ys = [np.asarray(y, np.float64) for _, y in lines]
    for x, y in zip(xs, ys):
        if x.shape != y.shape:
            raise ValueError(f"each line's x and y must have the same length, got {x.shape} and {y.shape}")
    y = np.concatenate(ys)
    if log_y:
        with np.errstate(divide="ignore", invalid="ignore"):
            y = np.where(y > 0, np.log10(np.where(y > 0, y, 1.0)), np.nan)
    starts = np.concatenate([[0], np.cumsum([x.size for x in xs])])
    return column_spans(np.concatenate(xs), y, starts, width)


def span_range(lo: NDArray, hi: NDArray, *, domain=None) -> tuple[float, float] | None:
    """The y range of a picture: from the lowest to the highest span (or ``domain(values)``), never empty.

    ``domain`` is a function of the spans' finite ends returning ``(low, high)`` (e.g. one that leaves outliers
    out). None when no line has a finite value.

    Examples
    --------
    >>> span_range(np.array([[0.0, np.nan]]), np.array([[2.0, np.nan]]))
    (0.0, 2.0)
    >>> span_range(np.array([[3.0]]), np.array([[3.0]]))
    (2.5, 3.5)
    """
    ends = np.concatenate([lo[np.isfinite(lo)], hi[np.isfinite(hi)]])
    if not ends.size:
        return None
    low, high = (float(ends.min()), float(ends.max())) if domain is None else map(float, domain(ends))
    if not (math.isfinite(low) and math.isfinite(high)):
        return None
    if high <= low:
        pad = max(abs(low) * 0.05, 0.5)
        low, high = low - pad, low + pad
    return low, high


def count_grid(
    lo: NDArray, hi: NDArray, y_range: tuple[float, float], *, height: int = DENSITY_HEIGHT
) -> NDArray:
    """How many lines cross each cell: ``(height, width)`` counts, row 0 at ``y_range[0]`` (the bottom).

    A line's span in a column fills the rows from its low to its high end; spans outside ``y_range`` are left
    out, spans across its ends are cut at them.

    Examples
    --------
    >>> count_grid(np.array([[0.0, 1.5], [0.2, np.nan]]), np.array([[0.4, 2.0], [1.9, np.nan]]), (0, 2),
    ...            height=2).tolist()
    [[2, 0], [1, 1]]
    """
    lo, hi = np.asarray(lo, np.float64), np.asarray(hi, np.float64)
    y0, y1 = map(float, y_range)
    if not (math.isfinite(y0) and math.isfinite(y1)) or y1 <= y0:
        raise ValueError(f"y_range must be two finite, increasing values, got {y_range!r}")
    width = lo.shape[1] if lo.ndim == 2 else 0
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(lo) & np.isfinite(hi) & (hi >= y0) & (lo <= y1)
    _, col = np.nonzero(ok)
    scale = height / (y1 - y0)
    r0 = np.clip(np.floor((lo[ok] - y0) * scale), 0, height - 1).astype(np.int64)
    r1 = np.clip(np.floor((hi[ok] - y0) * scale), 0, height - 1).astype(np.int64)
    size = width * (height + 1)
    stride = height + 1
    diff = np.bincount(col * stride + r0, minlength=size) - np.bincount(col * stride + r1 + 1, minlength=size)
    return np.cumsum(diff.reshape(width, stride), axis=1)[:, :height].T.astype(np.int64)


def grid_array(counts: NDArray) -> dict[str, str]:
    """A 2-D count grid as a Plotly typed array (``u1`` when every count fits, else ``u2``; more is cut).

    Examples
    --------
    >>> grid_array(np.array([[1, 2], [3, 4]]))
    {'dtype': 'u1', 'bdata': 'AQIDBA==', 'shape': '2,2'}
    """
    counts = np.asarray(counts)
    dtype = "u1" if counts.size == 0 or counts.max() < 256 else "u2"
    limit = np.iinfo(np.dtype(dtype)).max
    data = np.ascontiguousarray(np.clip(counts, 0, limit), dtype=np.dtype(dtype).newbyteorder("<"))
    return {
        "dtype": dtype,
        "bdata": base64.b64encode(data.tobytes()).decode("ascii"),
        "shape": f"{counts.shape[0]},{counts.shape[1]}",
    }


DARKEST_AT = 64
"""Lines in a cell that get the darkest colour at least (a picture of few lines stays light)."""


def density_colorscale(zmax: int) -> list[list]:
    """A Plotly colour scale for counts ``0..zmax``: 0 transparent, then light to dark blue on a log scale.

    One line is a light stroke whatever ``zmax``; the colour stops sit at counts ``top ** (j / 6)`` with ``top``
    the larger of ``zmax`` and :data:`DARKEST_AT`, so each step of colour is a constant factor of lines and a
    picture whose densest cell holds a few lines is not drawn dark.

    Examples
    --------
    >>> density_colorscale(1)
    [[0.0, 'rgba(255,255,255,0)'], [1.0, '#b9d3ea']]
    >>> [round(p, 3) for p, _ in density_colorscale(64)][:3]
    [0.0, 0.016, 0.031]
    >>> density_colorscale(4)[-1]
    [1.0, '#5e9bd0']
    """
    clear = [0.0, "rgba(255,255,255,0)"]
    zmax = max(int(zmax), 1)
    steps = len(_COLORS) - 1
    top = max(zmax, DARKEST_AT)
    stops = [clear]
    for j, color in enumerate(_COLORS):
        count = top ** (j / steps)
        if count > zmax + 1e-9:
            break
        stops.append([count / zmax, color])
    if stops[-1][0] < 1.0:
        stops.append([1.0, stops[-1][1]])
    return stops


_X_HOVER = {"step": "step %{x:.0f}", "relative": "%{x:.3f} h", "wall": "%{x}"}


def density_trace(
    counts: NDArray,
    x_range: tuple[Any, Any],
    y_range: tuple[float, float],
    *,
    xmode: str = "step",
    log_y: bool = False,
    lines: int | None = None,
) -> dict:
    """The Plotly heatmap of a count grid over ``x_range`` and ``y_range`` (log10 of y on a log axis).

    Cells with no line are transparent (the plot's grid shows through); the hover gives the count of lines in
    the cell. ``meta`` holds ``{"density": lines}`` (what ``assets/runlist.js`` and the tests look for).

    Examples
    --------
    >>> trace = density_trace(np.array([[0, 2]]), (0, 10), (0.0, 1.0), lines=2)
    >>> trace["type"], trace["zmax"], decode_grid(trace["z"]).tolist(), trace["x"]
    ('heatmap', 2, [[0, 2]], {'dtype': 'f4', 'bdata': 'AAAgQAAA8EA='})
    """
    height, width = counts.shape
    x0, x1 = _as_float(np.asarray([x_range[0]])).item(), _as_float(np.asarray([x_range[1]])).item()
    x = x0 + (np.arange(width) + 0.5) * ((x1 - x0) / width)
    if xmode == "wall":
        x = np.round(x).astype("datetime64[ms]")
    y = y_range[0] + (np.arange(height) + 0.5) * ((y_range[1] - y_range[0]) / height)
    if log_y:
        y = 10.0**y
    zmax = max(int(counts.max()) if counts.size else 0, 1)
    return {
        "type": "heatmap",
        "name": "density",
        "x": typed_array(x),
        "y": typed_array(y),
        "z": grid_array(counts),
        "zmin": 0,
        "zmax": zmax,
        "zsmooth": False,
        "colorscale": density_colorscale(zmax),
        "showscale": False,
        "hovertemplate": "%{z} lines here<br>" + _X_HOVER.get(xmode, "%{x}") + "<br>%{y:.4g}<extra></extra>",
        "meta": {"density": lines},
    }


def decode_grid(spec: dict) -> NDArray:
    """A 2-D typed array (:func:`grid_array`) back as numpy (tests, tools).

    Examples
    --------
    >>> decode_grid(grid_array(np.array([[300, 1]]))).tolist()
    [[300, 1]]
    """
    rows, cols = (int(v) for v in str(spec["shape"]).split(","))
    data = np.frombuffer(base64.b64decode(spec["bdata"]), dtype=np.dtype(spec["dtype"]).newbyteorder("<"))
    return data.reshape(rows, cols)
