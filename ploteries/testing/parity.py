"""Compare what TensorBoard and ploteries read back, with TensorBoard's precision as the tolerance.

Tolerances (also in README.md):

- steps, run names, tags, kinds, text, histograms (limits, counts, min, max, num, sum, sum_squares),
  image pixels (PNG is lossless), hparams, custom scalar layouts, graphs: exact.
- scalars and PR curves: exact after rounding ploteries' float64 to TensorBoard's float32 (NaN == NaN).
- wall times: within ``wall_time_atol`` (default 0: the dual writer gives both writers the same clock).
- audio: within ``audio_atol`` (default 1/32767: TensorBoard truncates samples to 16-bit integers).
- image_with_boxes: TensorBoard burns the boxes into its pixels and ploteries keeps them as data, so
  pixels are compared outside the boxes' outlines and label bands only (12 pixels around each box, 32
  above it, which also covers the resampling blur of ``rescale``).
- not compared: embeddings (TensorBoard keeps them outside the event files), videos when TensorBoard wrote
  no frames (it needs moviepy) or wrote a lossy GIF, the extra parts ploteries keeps (boxes, labels, media
  shapes).
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np

from ploteries.storage import array_to_json, array_to_text
from ploteries.storage.kinds import kinds_encoded_as
from ploteries.testing.readback import Key, Trace, read_ploteries, read_tensorboard

__all__ = ["ParityError", "Tolerances", "assert_parity", "assert_traces_equal"]

_OURS_ONLY_PARTS = {"boxes", "labels", "shape"}
_OURS_ONLY_KINDS = {"embedding"}
_JSON_KINDS = kinds_encoded_as("json")
_FLOAT32_KINDS = {"scalar", "pr_curve"}
_UNTIMED_KINDS = {"hparams", "graph"}  # TensorBoard's accumulator keeps no step or wall time for them


class ParityError(AssertionError):
    """ploteries and TensorBoard disagree (data read back, or whether a call raised)."""


@dataclasses.dataclass(frozen=True)
class Tolerances:
    """How close ploteries' read-back must be to TensorBoard's (see the module docstring)."""

    wall_time_atol: float = 0.0
    audio_atol: float = 1.0001 / 32767


def _fail(key: Key, i: int | None, what: str) -> None:
    where = f"run {key[0]!r}, tag {key[1]!r}" + (f", part {key[2]!r}" if key[2] else "")
    raise ParityError(f"{where}" + (f", record {i}" if i is not None else "") + f": {what}")


def _box_mask(shape: tuple, boxes: np.ndarray) -> np.ndarray:
    """True where TensorBoard's drawn boxes and labels may have changed pixels."""
    mask = np.zeros(shape[:2], bool)
    for x0, y0, x1, y1 in np.asarray(boxes).reshape(-1, 4):
        lo_x, hi_x = int(math.floor(min(x0, x1))) - 12, int(math.ceil(max(x0, x1))) + 12
        lo_y, hi_y = int(math.floor(min(y0, y1))) - 32, int(math.ceil(max(y0, y1))) + 12
        mask[max(lo_y, 0) : max(hi_y, 0), max(lo_x, 0) : max(hi_x, 0)] = True
    return mask


def _float32(value):
    return None if value is None else float(np.float32(value))


def _same_value(kind: str, tb: np.ndarray, ours: np.ndarray, tol: Tolerances, boxes) -> str | None:
    """None if equal under the tolerances, else what differs."""
    if kind in _JSON_KINDS:
        a, b = array_to_json(tb), array_to_json(ours)
        if kind == "hparams":  # TensorBoard's metric values come from its float32 scalars
            for record in (a, b):
                record["metrics"] = {k: _float32(v) for k, v in record["metrics"].items()}
        return None if a == b else f"TensorBoard {a!r:.300} != ploteries {b!r:.300}"
    if kind == "text":
        a, b = array_to_text(tb), array_to_text(ours)
        return None if a == b else f"text {a!r:.200} != {b!r:.200}"
    if kind in _FLOAT32_KINDS:
        ours = np.asarray(ours).astype(np.float32)
        tb = np.asarray(tb).astype(np.float32)
    if tb.shape != ours.shape:
        return f"shape {tb.shape} (TensorBoard) != {ours.shape} (ploteries)"
    if kind == "audio" and tb.dtype.kind == "f" and tb.ndim == 1:
        diff = float(np.max(np.abs(tb - ours))) if tb.size else 0.0
        return None if diff <= tol.audio_atol else f"audio samples differ by up to {diff} > {tol.audio_atol}"
    if kind == "image" and boxes is not None:
        keep = ~_box_mask(tb.shape, boxes)
        tb, ours = tb[keep], ours[keep]
    if tb.dtype.names is not None:
        equal = all(np.array_equal(tb[f], ours[f], equal_nan=True) for f in tb.dtype.names)
    else:
        equal = np.array_equal(tb, ours.astype(tb.dtype, copy=False), equal_nan=tb.dtype.kind in "fc")
    if equal:
        return None
    bad = np.argwhere(~np.isclose(tb, ours, equal_nan=True)) if tb.dtype.names is None and tb.ndim else []
    first = f" first at index {tuple(bad[0])}" if len(bad) else ""
    return f"values differ ({kind}){first}: TensorBoard {np.ravel(tb)[:6]} vs ploteries {np.ravel(ours)[:6]}"


def _comparable(key: Key, trace: Trace, tb_keys: set) -> bool:
    """Whether a series of ploteries' read-back has a TensorBoard counterpart to match."""
    if key[2] in _OURS_ONLY_PARTS or trace.kind in _OURS_ONLY_KINDS:
        return False
    if trace.kind == "video" and key not in tb_keys:
        return False
    return True


def assert_traces_equal(
    tb: dict[Key, Trace], ours: dict[Key, Trace], tolerances: Tolerances | None = None
) -> None:
    """Raise :class:`ParityError` naming the first difference between two read-backs.

    Examples
    --------
    >>> from ploteries.testing.readback import Trace
    >>> t = {("r", "a", ""): Trace("scalar", [0], [1.0], [np.float64(0.1)])}
    >>> assert_traces_equal(t, {("r", "a", ""): Trace("scalar", [0], [1.0], [np.float64(0.1)])})
    """
    tol = tolerances or Tolerances()
    tb_keys = set(tb)
    our_keys = {k for k, t in ours.items() if _comparable(k, t, tb_keys)}
    tb_runs, our_runs = sorted({k[0] for k in tb}), sorted({k[0] for k in our_keys})
    if tb_runs != our_runs:
        raise ParityError(f"runs differ: TensorBoard {tb_runs} vs ploteries {our_runs}")
    if tb_keys != our_keys:
        missing, extra = sorted(tb_keys - our_keys), sorted(our_keys - tb_keys)
        raise ParityError(
            f"series differ: only in TensorBoard {missing[:10]}, only in ploteries {extra[:10]}"
        )
    for key in sorted(tb_keys):
        a, b = tb[key], ours[key]
        if a.kind != b.kind:
            _fail(key, None, f"kind {a.kind!r} (TensorBoard) != {b.kind!r} (ploteries)")
        if a.kind == "video":
            continue  # TensorBoard's GIF is lossy; steps are compared through ploteries' own tests
        if a.kind not in _UNTIMED_KINDS:
            if a.steps != b.steps:
                _fail(key, None, f"steps {a.steps[:20]} (TensorBoard) != {b.steps[:20]} (ploteries)")
            walls = np.abs(np.subtract(a.walls, b.walls))
            if walls.size and walls.max() > tol.wall_time_atol:
                i = int(walls.argmax())
                _fail(key, i, f"wall time {a.walls[i]!r} != {b.walls[i]!r} (atol {tol.wall_time_atol})")
        elif len(a.values) != len(b.values):
            _fail(key, None, f"{len(a.values)} {a.kind} records (TensorBoard) != {len(b.values)} (ploteries)")
        boxes = ours.get((key[0], key[1], "boxes"))
        for i, (x, y) in enumerate(zip(a.values, b.values)):
            box = boxes.values[i] if boxes is not None and key[2] == "" else None
            problem = _same_value(a.kind, x, y, tol, box)
            if problem:
                _fail(key, i, problem)


def assert_parity(
    tensorboard_dir: str | Path, ploteries_path: str | Path, tolerances: Tolerances | None = None
) -> None:
    """Assert that a TensorBoard log directory and ploteries database(s) hold the same data.

    Parameters
    ----------
    tensorboard_dir : path
        What ``tensorboard --logdir`` would be given (the parent of the runs' folders).
    ploteries_path : path
        A database file, or a directory searched for databases.
    tolerances : Tolerances, optional
        See the module docstring.

    Examples
    --------
    >>> assert_parity("tb_runs", "ploteries_runs")   # doctest: +SKIP
    """
    assert_traces_equal(read_tensorboard(tensorboard_dir), read_ploteries(ploteries_path), tolerances)
