"""What a card sends: a point budget shared by the card's lines, and arrays as Plotly typed arrays.

A card's bytes are bounded by its pixels, not by its runs: a card holds about ``2 * width * LINES_AT_FULL`` points
per trace kind (raw, smoothed), shared among its lines, each line keeping at most ``DEFAULT_BUDGET`` (min/max per
pixel column of a 1,000-pixel plot) and at least ``MIN_LINE_POINTS`` (its first, last, lowest and highest
points). Ten runs get 1,280 points per line, 300 runs 43: at that density the lines overlap on every pixel anyway,
and a zoom reads the visible rows again with a larger share (:data:`ZOOM_FACTOR`).

Arrays go as Plotly typed arrays (``{"dtype": "f4", "bdata": <base64>}``, decoded by plotly.js >= 2.28): 4 bytes
a number instead of 8-20 characters of JSON, and the base64 of a repeated step pattern compresses well. gzip of a
300-run card is about 4 bytes a point (9 as JSON float lists), and encoding is ~10x faster than JSON floats.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "CARD_PIXELS",
    "DEFAULT_BUDGET",
    "LINES_AT_FULL",
    "MIN_LINE_POINTS",
    "ZOOM_FACTOR",
    "TRACE_ARRAYS",
    "card_points",
    "decode_array",
    "encode_traces",
    "line_budget",
    "plain_list",
    "typed_array",
]

DEFAULT_BUDGET = 2000
"""Most points of one line (min/max per pixel column of a 1,000-pixel plot)."""

CARD_PIXELS = 800
"""The plot width a card's budget is computed for (CSS pixels; the grid's cards are 400-800 wide)."""

LINES_AT_FULL = 8
"""A card carries min/max per pixel column for this many lines; more lines share those points."""

MIN_LINE_POINTS = 4
"""The fewest points of a line: its first and last, its minimum and maximum."""

ZOOM_FACTOR = 4
"""A zoom answers for one card: its lines get this many times their share of the card's budget."""

_FLOAT32_MAX = 3.4e38
_FLOAT32_TINY = 1.2e-38


def card_points(width: int = CARD_PIXELS) -> int:
    """Points of one trace kind a card of ``width`` pixels holds, over all its lines.

    Examples
    --------
    >>> card_points(800)
    12800
    """
    if isinstance(width, bool) or not isinstance(width, (int, np.integer)) or width < 1:
        raise ValueError(f"width must be a positive int of pixels, got {width!r}")
    return 2 * int(width) * LINES_AT_FULL


def line_budget(lines: int, *, width: int = CARD_PIXELS, factor: int = 1) -> int:
    """Points of each of ``lines`` lines of a card: its share of :func:`card_points`, within bounds.

    ``factor`` multiplies the share (a zoom, see :data:`ZOOM_FACTOR`). ``lines * line_budget(lines)`` is at most
    ``max(factor * card_points(width), lines * MIN_LINE_POINTS)``.

    Examples
    --------
    >>> line_budget(1), line_budget(10), line_budget(300), line_budget(300, factor=4), line_budget(10_000)
    (2000, 1280, 42, 170, 4)
    """
    if isinstance(lines, bool) or not isinstance(lines, (int, np.integer)) or lines < 0:
        raise ValueError(f"lines must be a non-negative int, got {lines!r}")
    share = factor * card_points(width) // max(int(lines), 1)
    return int(min(max(share, MIN_LINE_POINTS), DEFAULT_BUDGET))


def _float_dtype(values: NDArray[np.floating]) -> str:
    """``"f4"`` when every finite value survives float32 (no overflow, no flush to zero), else ``"f8"``."""
    finite = np.abs(values[np.isfinite(values)])
    if not finite.size:
        return "f4"
    nonzero = finite[finite > 0]
    if finite.max() > _FLOAT32_MAX or (nonzero.size and nonzero.min() < _FLOAT32_TINY):
        return "f8"
    return "f4"


def typed_array(values: ArrayLike) -> dict[str, str] | list:
    """A 1-D array as a Plotly typed array: ``{"dtype": "i4" | "f4" | "f8", "bdata": base64}``.

    Integers within int32 go as ``i4``; other integers as ``f8`` (exact to 2**53). Floats go as ``f4`` (7 digits,
    more than a screen shows) unless a value would overflow or vanish in float32, then ``f8``. NaN stays NaN (a
    gap in the line). Dates (``datetime64``) go as ISO strings: plotly.js reads numbers on a date axis as
    milliseconds but formats its hover from the strings.

    Examples
    --------
    >>> typed_array(np.array([1, 2, 3]))
    {'dtype': 'i4', 'bdata': 'AQAAAAIAAAADAAAA'}
    >>> decode_array(typed_array(np.array([0.5, np.nan]))).tolist()
    [0.5, nan]
    >>> typed_array(np.array(["2026-01-02T03:04:05.006"], dtype="datetime64[ms]"))
    ['2026-01-02T03:04:05.006']
    """
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"values must be 1-D, got shape {arr.shape}; pass one trace column at a time")
    if np.issubdtype(arr.dtype, np.datetime64):
        return np.datetime_as_string(arr.astype("datetime64[ms]"), unit="ms").tolist()
    if arr.dtype == bool:
        arr = arr.astype(np.int32)
    if np.issubdtype(arr.dtype, np.integer):
        fits = not arr.size or (int(arr.min()) >= -(2**31) and int(arr.max()) < 2**31)
        dtype = "i4" if fits else "f8"
    elif np.issubdtype(arr.dtype, np.floating):
        dtype = _float_dtype(arr)
    else:
        raise TypeError(f"values must be numbers or dates, got dtype {arr.dtype}; convert them first")
    data = np.ascontiguousarray(arr, dtype=np.dtype(dtype).newbyteorder("<"))
    return {"dtype": dtype, "bdata": base64.b64encode(data.tobytes()).decode("ascii")}


def decode_array(values: Any) -> np.ndarray:
    """A trace column as numpy, whether a typed array (:func:`typed_array`) or a list (tests, tools).

    Examples
    --------
    >>> decode_array({"dtype": "f4", "bdata": "AAAAPw=="}).tolist(), decode_array([1, 2]).tolist()
    ([0.5], [1, 2])
    """
    if isinstance(values, Mapping) and "bdata" in values:
        dtype = np.dtype(str(values.get("dtype", "f8"))).newbyteorder("<")
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=dtype)
    return np.asarray(values)


TRACE_ARRAYS = ("x", "y", "customdata")
"""The keys of a trace that hold its data arrays."""


def plain_list(values: ArrayLike) -> list:
    """A 1-D array as a JSON list (dates as ISO strings): for live tails, which ``dash.Patch`` extends.

    Examples
    --------
    >>> plain_list(np.array([1.5, 2.0])), plain_list(np.array(["2026-01-02"], dtype="datetime64[ms]"))
    ([1.5, 2.0], ['2026-01-02T00:00:00.000'])
    """
    arr = np.asarray(values)
    if np.issubdtype(arr.dtype, np.datetime64):
        return np.datetime_as_string(arr.astype("datetime64[ms]"), unit="ms").tolist()
    return arr.tolist()


def encode_traces(traces: list[dict], encode=typed_array) -> list[dict]:
    """``traces`` with their numpy data arrays (:data:`TRACE_ARRAYS`) encoded by ``encode``, in place.

    Examples
    --------
    >>> encode_traces([{"x": np.array([1, 2]), "name": "a"}])
    [{'x': {'dtype': 'i4', 'bdata': 'AQAAAAIAAAA='}, 'name': 'a'}]
    """
    for trace in traces:
        for key in TRACE_ARRAYS:
            if isinstance(trace.get(key), np.ndarray):
                trace[key] = encode(trace[key])
    return traces
