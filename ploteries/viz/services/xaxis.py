"""x values of a trace for TensorBoard's three horizontal axis modes.

- ``"step"``: the global step (int64).
- ``"relative"``: hours since the series' first record's wall time, as TensorBoard's
  ``relativeAccessor`` (the *first* record, not the earliest: resumed runs may go back in time).
- ``"wall"``: wall time as ``datetime64[ms]`` (what Plotly draws as a date axis).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["X_MODES", "XMode", "x_title", "x_values"]

XMode = Literal["step", "relative", "wall"]
X_MODES: tuple[str, ...] = ("step", "relative", "wall")

_TITLES = {"step": "step", "relative": "relative time (hours)", "wall": "wall time"}


def _check_mode(mode: str) -> None:
    if mode not in X_MODES:
        raise ValueError(f"mode must be one of {X_MODES}, got {mode!r}")


def x_values(
    steps: ArrayLike, wall_times: ArrayLike, mode: XMode = "step", origin: float | None = None
) -> NDArray:
    """x coordinates of a series' records for one axis mode.

    Parameters
    ----------
    steps : array_like
        Integer steps, 1-D.
    wall_times : array_like
        Seconds since the epoch (float), same length.
    mode : {"step", "relative", "wall"}
        Axis mode.
    origin : float, optional
        For ``"relative"``: the wall time counted as 0 (default: the first record's), e.g. to share
        one origin across the parts of a run.

    Returns
    -------
    numpy.ndarray
        int64 steps, float64 hours, or datetime64[ms] (NaN wall times become NaT).

    Examples
    --------
    >>> x_values([0, 1], [3600.0, 9000.0], "relative").tolist()
    [0.0, 1.5]
    >>> str(x_values([0], [0.25], "wall")[0])
    '1970-01-01T00:00:00.250'
    """
    _check_mode(mode)
    if mode == "step":
        return np.asarray(steps, dtype=np.int64)
    wall = np.asarray(wall_times, dtype=np.float64)
    if mode == "relative":
        if wall.size == 0:
            return wall.copy()
        first = wall[0] if origin is None else float(origin)
        return (wall - first) / 3600.0
    ms = np.round(wall * 1000.0)
    out = np.full(ms.shape, np.datetime64("NaT"), dtype="datetime64[ms]")
    ok = np.isfinite(ms)
    out[ok] = ms[ok].astype(np.int64).astype("datetime64[ms]")
    return out


def x_title(mode: XMode) -> str:
    """Axis title for a mode.

    Examples
    --------
    >>> x_title("relative")
    'relative time (hours)'
    """
    _check_mode(mode)
    return _TITLES[mode]
