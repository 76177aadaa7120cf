"""Validation of what callers hand to the writer: names, steps, wall times and values.

Every error names the argument, shows the bad value and says what to pass instead.
"""

from __future__ import annotations

import math
import numbers
import stat
from pathlib import Path

import numpy as np

from .dtypes import check_storable


def check_database_path(path) -> Path:
    """A database path that is, or can become, a regular file: not a directory, a device or a pipe."""
    path = Path(path)
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return path
    except NotADirectoryError:
        raise NotADirectoryError(
            20, f"database path {path}: a part of it before the file name is a file, not a directory."
        ) from None
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(
            21,
            f"database path {path} is a directory; pass a file path such as {path / 'ploteries.h5'} "
            "(ploteries.find_databases lists the databases below a directory).",
        )
    if not stat.S_ISREG(mode):
        raise ValueError(
            f"database path {path} is not a regular file (a device, pipe or socket): ploteries needs a file "
            "it can lock and grow; pass a file path such as runs/ploteries.h5."
        )
    return path


def check_name(value, argname: str, *, allow_empty: bool = False) -> str:
    """A run, tag or part name: any Unicode text (``/`` included)."""
    if not isinstance(value, str):
        raise TypeError(
            f"{argname} must be a str, got {type(value).__name__} {value!r}; pass e.g. {argname}='loss'."
        )
    if not value and not allow_empty:
        raise ValueError(f"{argname} must be a non-empty string; pass e.g. {argname}='loss'.")
    if "\x00" in value:
        raise ValueError(f"{argname} {value!r} contains a NUL character; remove it.")
    return value


INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def step_range_error(step: int, argname: str = "step") -> OverflowError:
    """The error for a step that does not fit the stored 64-bit integer."""
    return OverflowError(
        f"{argname} {step} does not fit in a 64-bit integer (from {INT64_MIN} to {INT64_MAX}); "
        f"pass the iteration number, e.g. {argname}=100."
    )


def check_step(step, argname: str = "step") -> int:
    """A step: a 64-bit integer (None means 0, as in TensorBoard); integral floats are accepted."""
    if type(step) is int or isinstance(step, numbers.Integral):
        step = int(step)
        if not INT64_MIN <= step <= INT64_MAX:
            raise step_range_error(step, argname)
        return step
    if step is None:
        return 0
    if isinstance(step, numbers.Real) or (
        isinstance(step, np.ndarray) and step.ndim == 0 and step.dtype.kind in "fiub"
    ):
        f = float(step)
        if math.isfinite(f) and f == int(f):
            return check_step(int(f), argname)
        raise ValueError(
            f"{argname} must be an integer, got {step!r}; pass the iteration number, e.g. {argname}=100."
        )
    item = getattr(step, "item", None)  # 0-d torch tensors and numpy scalars
    if callable(item):
        try:
            return check_step(item(), argname)
        except (TypeError, ValueError, RuntimeError):
            pass
    raise TypeError(
        f"{argname} must be an integer, got {type(step).__name__} {step!r}; pass e.g. {argname}=100."
    )


def check_wall_time(wall_time, argname: str = "walltime") -> float | None:
    """A wall time in seconds since the epoch, or None for 'now'."""
    if wall_time is None:
        return None
    try:
        f = float(wall_time)
    except (TypeError, ValueError):
        raise TypeError(
            f"{argname} must be seconds since the epoch (a float, e.g. time.time()), got {wall_time!r}."
        ) from None
    if not math.isfinite(f):
        raise ValueError(
            f"{argname} must be a finite number of seconds, got {wall_time!r}; pass time.time() or None."
        )
    return f


def check_scalar(value, argname: str = "value") -> float:
    """A number stored as float64 (NaN and inf are kept)."""
    if type(value) is float:
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{argname} must be a real number, got {type(value).__name__} {value!r}.") from None


def as_value_array(value, argname: str = "value") -> np.ndarray:
    """Any array-like as a numpy array of a storable dtype (never object)."""
    if isinstance(value, np.ndarray):
        arr = value
    else:
        try:
            arr = np.asarray(value)
        except ValueError as exc:
            raise ValueError(
                f"{argname} is a ragged nested sequence ({exc}); give an array of one shape, or log each "
                "piece under its own tag."
            ) from None
    check_storable(arr.dtype, argname)
    return arr


def as_steps(steps, n: int, argname: str = "steps") -> np.ndarray:
    arr = np.asarray(steps)
    if arr.shape != (n,):
        raise ValueError(f"{argname} must have shape ({n},) to match the values, got {arr.shape}.")
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or not np.all(arr == np.round(arr)):
            raise ValueError(f"{argname} must hold integers; found a NaN, inf or fractional step.")
        if arr.size and np.abs(arr).max() >= 2.0**63:
            raise step_range_error(int(arr[np.argmax(np.abs(arr))]), argname)
    elif arr.dtype.kind == "O" and all(isinstance(s, numbers.Integral) for s in arr):
        for s in arr:
            check_step(s, argname)  # Python ints beyond 64 bits
    elif arr.dtype.kind not in "iub":
        raise TypeError(f"{argname} must hold integers, got dtype {arr.dtype}.")
    elif arr.dtype.kind == "u" and arr.size and arr.max() > INT64_MAX:
        raise step_range_error(int(arr.max()), argname)
    return arr.astype("<i8")


def as_wall_times(wall_times, n: int, now: float, argname: str = "wall_times") -> np.ndarray:
    if wall_times is None:
        return np.full(n, now, "<f8")
    arr = np.asarray(wall_times, dtype="<f8")
    if arr.shape != (n,):
        raise ValueError(f"{argname} must have shape ({n},) to match the values, got {arr.shape}.")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{argname} must be finite seconds since the epoch.")
    return arr
