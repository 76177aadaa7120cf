"""The card downloads: a chart's series as CSV or JSON (columns run, tag, step, wall_time, value)."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np

__all__ = ["COLUMNS", "ExportRow", "rows_from_records", "series_to_csv", "series_to_json"]

COLUMNS = ("run", "tag", "step", "wall_time", "value")


class ExportRow(NamedTuple):
    """One downloaded row."""

    run: str
    tag: str
    step: int
    wall_time: float
    value: float


def _normalize(row: Mapping[str, Any] | Sequence[Any]) -> ExportRow:
    if isinstance(row, Mapping):
        missing = [c for c in COLUMNS if c not in row]
        if missing:
            raise ValueError(f"row {row!r} lacks the columns {missing}; rows need {list(COLUMNS)}")
        fields = [row[c] for c in COLUMNS]
    else:
        if len(row) != len(COLUMNS):
            raise ValueError(f"row {row!r} has {len(row)} fields; rows need {list(COLUMNS)}")
        fields = list(row)
    run, tag, step, wall_time, value = fields
    return ExportRow(str(run), str(tag), int(step), float(wall_time), float(value))


def rows_from_records(run: str, tag: str, records: np.ndarray) -> list[ExportRow]:
    """Rows of one scalar series read from storage (structured array: step, wall_time, value).

    Examples
    --------
    >>> rec = np.array([(0, 1.5, 0.25)], dtype=[("step", "i8"), ("wall_time", "f8"), ("value", "f8")])
    >>> rows_from_records("r", "loss", rec)
    [ExportRow(run='r', tag='loss', step=0, wall_time=1.5, value=0.25)]
    """
    steps = np.asarray(records["step"]).astype(np.int64).tolist()
    walls = np.asarray(records["wall_time"], dtype=np.float64).tolist()
    values = np.asarray(records["value"], dtype=np.float64).tolist()
    return [ExportRow(run, tag, s, w, v) for s, w, v in zip(steps, walls, values)]


def series_to_csv(rows: Iterable[Mapping[str, Any] | Sequence[Any]]) -> str:
    """CSV text with a header line and one line per row.

    Parameters
    ----------
    rows : iterable
        :class:`ExportRow`, tuples in :data:`COLUMNS` order, or mappings with those keys.

    Returns
    -------
    str
        Floats written with ``repr`` (shortest exact round trip); NaN and infinities as
        ``nan``, ``inf``, ``-inf`` (what pandas and numpy read back).

    Examples
    --------
    >>> print(series_to_csv([("r", "loss", 1, 2.5, float("nan"))]), end="")
    run,tag,step,wall_time,value
    r,loss,1,2.5,nan
    """
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        r = _normalize(row)
        writer.writerow([r.run, r.tag, r.step, repr(r.wall_time), repr(r.value)])
    return buf.getvalue()


def _json_float(x: float) -> float | None:
    return x if math.isfinite(x) else None


def series_to_json(rows: Iterable[Mapping[str, Any] | Sequence[Any]]) -> str:
    """Strict JSON: a list of objects with the keys of :data:`COLUMNS`.

    Non-finite floats become ``null`` (JSON has no NaN; a browser's ``JSON.stringify`` does the
    same), so any JSON parser reads the result.

    Examples
    --------
    >>> series_to_json([("r", "loss", 1, 2.5, float("inf"))])
    '[{"run": "r", "tag": "loss", "step": 1, "wall_time": 2.5, "value": null}]'
    """
    items = []
    for row in rows:
        r = _normalize(row)
        items.append(
            {
                "run": r.run,
                "tag": r.tag,
                "step": r.step,
                "wall_time": _json_float(r.wall_time),
                "value": _json_float(r.value),
            }
        )
    return json.dumps(items, allow_nan=False)
