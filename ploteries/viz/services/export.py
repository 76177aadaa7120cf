"""The card downloads: a chart's series as CSV or JSON (columns run, tag, step, wall_time, value)."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np

__all__ = [
    "COLUMNS",
    "ExportRow",
    "csv_chunks",
    "csv_text_cell",
    "iter_rows",
    "json_chunks",
    "rows_from_records",
    "series_to_csv",
    "series_to_json",
]

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
    return list(iter_rows(run, tag, records))


def iter_rows(run: str, tag: str, records: np.ndarray, block: int = 8192) -> Iterator[ExportRow]:
    """:func:`rows_from_records` one block of ``block`` records at a time (a download streams them)."""
    for start in range(0, len(records), block):
        part = records[start : start + block]
        steps = np.asarray(part["step"]).astype(np.int64).tolist()
        walls = np.asarray(part["wall_time"], dtype=np.float64).tolist()
        values = np.asarray(part["value"], dtype=np.float64).tolist()
        yield from (ExportRow(run, tag, s, w, v) for s, w, v in zip(steps, walls, values))


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""What a spreadsheet may read as the start of a formula (OWASP's list for CSV injection)."""


def csv_text_cell(text: str) -> str:
    """A text cell a spreadsheet shows as text: a leading ``'`` before a formula's first character (OWASP).

    Examples
    --------
    >>> csv_text_cell("=HYPERLINK(1)"), csv_text_cell("-lr"), csv_text_cell("train")
    ("'=HYPERLINK(1)", "'-lr", 'train')
    """
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_chunks(rows: Iterable[Mapping[str, Any] | Sequence[Any]], chunk_rows: int = 8192) -> Iterator[str]:
    """CSV text in pieces of ``chunk_rows`` lines (the header first): a download in bounded memory.

    Text cells go through :func:`csv_text_cell`; floats are written with ``repr`` (shortest exact round trip),
    NaN and infinities as ``nan``, ``inf``, ``-inf`` (what pandas and numpy read back).

    Examples
    --------
    >>> list(csv_chunks([("r", "loss", 1, 2.5, 0.5), ("r", "loss", 2, 3.5, 0.25)], chunk_rows=1))
    ['run,tag,step,wall_time,value\\n', 'r,loss,1,2.5,0.5\\n', 'r,loss,2,3.5,0.25\\n']
    """
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(COLUMNS)
    for n, row in enumerate(rows):
        if n % chunk_rows == 0:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
        r = _normalize(row)
        writer.writerow(
            [csv_text_cell(r.run), csv_text_cell(r.tag), r.step, repr(r.wall_time), repr(r.value)]
        )
    yield buf.getvalue()


def series_to_csv(rows: Iterable[Mapping[str, Any] | Sequence[Any]]) -> str:
    """CSV text with a header line and one line per row (:func:`csv_chunks` joined).

    Parameters
    ----------
    rows : iterable
        :class:`ExportRow`, tuples in :data:`COLUMNS` order, or mappings with those keys.

    Examples
    --------
    >>> print(series_to_csv([("r", "loss", 1, 2.5, float("nan"))]), end="")
    run,tag,step,wall_time,value
    r,loss,1,2.5,nan
    """
    return "".join(csv_chunks(rows))


def _json_float(x: float) -> float | None:
    return x if math.isfinite(x) else None


def json_chunks(rows: Iterable[Mapping[str, Any] | Sequence[Any]], chunk_rows: int = 8192) -> Iterator[str]:
    """Strict JSON in pieces: a list of objects with the keys of :data:`COLUMNS`.

    Non-finite floats become ``null`` (JSON has no NaN; a browser's ``JSON.stringify`` does the
    same), so any JSON parser reads the result.
    """
    yield "["
    items: list[str] = []
    first = True
    for row in rows:
        r = _normalize(row)
        item = {
            "run": r.run,
            "tag": r.tag,
            "step": r.step,
            "wall_time": _json_float(r.wall_time),
            "value": _json_float(r.value),
        }
        items.append(json.dumps(item, allow_nan=False))
        if len(items) >= chunk_rows:
            yield ("" if first else ", ") + ", ".join(items)
            items, first = [], False
    if items:
        yield ("" if first else ", ") + ", ".join(items)
    yield "]"


def series_to_json(rows: Iterable[Mapping[str, Any] | Sequence[Any]]) -> str:
    """Strict JSON: a list of objects with the keys of :data:`COLUMNS` (:func:`json_chunks` joined).

    Examples
    --------
    >>> series_to_json([("r", "loss", 1, 2.5, float("inf"))])
    '[{"run": "r", "tag": "loss", "step": 1, "wall_time": 2.5, "value": null}]'
    """
    return "".join(json_chunks(rows))
