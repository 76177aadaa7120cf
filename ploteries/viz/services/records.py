"""Any stored array or record array as a table, and its numeric fields as lines over steps (pure numpy).

- :func:`table_of`: the cells of one record: 2-D arrays as rows x columns, higher dimensions with their
  leading axes folded into rows, record arrays with one column per field (nested fields flattened
  ``a.b``), at most ``max_rows`` rows and ``max_cols`` columns, with the totals to say what was left out.
- :func:`numeric_fields`: the fields a line over steps can show (``""`` is the value itself).
- :func:`field_means`: per record, the mean of a field over the record (the value of a 0-d record).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "MAX_COLS",
    "MAX_ROWS",
    "Table",
    "field_label",
    "field_means",
    "leaf_fields",
    "numeric_fields",
    "table_of",
]

MAX_ROWS = 100
MAX_COLS = 50


@dataclasses.dataclass(frozen=True)
class Table:
    """The cells of a table: ``header`` and ``rows`` of strings, and how much was left out."""

    header: list[str]
    rows: list[list[str]]
    total_rows: int
    total_cols: int  # data columns (without the index column)
    numeric: list[bool] = dataclasses.field(
        default_factory=list
    )  # per header column: numbers (right-aligned)

    @property
    def note(self) -> str:
        """``"showing 100 of 1000 rows"`` (and columns) when truncated, else ``""``."""
        parts = []
        if len(self.rows) < self.total_rows:
            parts.append(f"{len(self.rows)} of {self.total_rows} rows")
        shown_cols = len(self.header) - 1
        if shown_cols < self.total_cols:
            parts.append(f"{shown_cols} of {self.total_cols} columns")
        return "showing " + ", ".join(parts) if parts else ""


def leaf_fields(dtype: np.dtype, prefix: str = "") -> list[tuple[str, np.dtype]]:
    """The leaves of a (nested) record dtype: ``(dotted name, dtype)``, sub-arrays kept whole.

    Examples
    --------
    >>> dt = np.dtype([("a", [("b", "f4"), ("c", "i8")]), ("d", "f8", (3,))])
    >>> [(name, t.base.name, t.shape) for name, t in leaf_fields(dt)]
    [('a.b', 'float32', ()), ('a.c', 'int64', ()), ('d', 'float64', (3,))]
    """
    if dtype.names is None:
        return [(prefix, dtype)]
    out = []
    for name in dtype.names:
        sub = dtype.fields[name][0]
        full = f"{prefix}.{name}" if prefix else name
        if sub.names is not None:
            out += leaf_fields(sub, full)
        else:
            out.append((full, sub))
    return out


def _field(values: np.ndarray, name: str) -> np.ndarray:
    for part in name.split(".") if name else []:
        values = values[part]
    return values


def _is_numeric(dtype: np.dtype) -> bool:
    base = dtype.base if dtype.subdtype is not None else dtype
    return base.kind in "biuf"


def numeric_fields(dtype: np.dtype | None) -> list[str]:
    """Fields of ``dtype`` a line can show: ``[""]`` for a plain numeric dtype, dotted leaf names for records.

    Examples
    --------
    >>> numeric_fields(np.dtype("f4")), numeric_fields(np.dtype("U3"))
    ([''], [])
    >>> numeric_fields(np.dtype([("name", "U8"), ("pos", "f4", (2,)), ("n", "i8")]))
    ['pos', 'n']
    """
    if dtype is None:
        return []
    return [name for name, t in leaf_fields(np.dtype(dtype)) if _is_numeric(t)]


def field_label(field: str, shape: tuple | None) -> str:
    """How the line's dropdown names a field: ``value`` / ``a.b`` for 0-d records, ``mean of ...`` otherwise.

    Examples
    --------
    >>> field_label("", ()), field_label("", (4,)), field_label("x.y", (10,))
    ('value', 'mean of value', 'mean of x.y')
    """
    name = field or "value"
    return name if shape == () else f"mean of {name}"


def field_means(values: np.ndarray | Sequence[np.ndarray], field: str) -> NDArray[np.float64]:
    """Per record, the mean of ``field`` over all its elements (NaN where it is not numeric or empty).

    ``values`` is the value column of a fixed-shape read (shape ``(n, *shape)``) or a list of arrays.

    Examples
    --------
    >>> v = np.zeros((2, 3), [("x", "f4"), ("y", "i8")])
    >>> v["x"] = [[1, 2, 3], [4, 5, 6]]
    >>> field_means(v, "x").tolist(), field_means([np.arange(4.0)], "").tolist()
    ([2.0, 5.0], [1.5])
    """
    if isinstance(values, np.ndarray):
        try:
            col = _field(values, field)
        except (KeyError, ValueError, IndexError):
            return np.full(len(values), np.nan)
        if not _is_numeric(col.dtype) or col.dtype.names is not None:
            return np.full(len(values), np.nan)
        flat = col.reshape(len(col), -1).astype(np.float64)
        if flat.shape[1] == 0:
            return np.full(len(values), np.nan)
        return flat.mean(axis=1)
    out = np.full(len(values), np.nan)
    for i, v in enumerate(values):
        try:
            col = _field(np.asarray(v), field)
        except (KeyError, ValueError, IndexError):
            continue
        if _is_numeric(col.dtype) and col.dtype.names is None and col.size:
            out[i] = float(np.mean(col.astype(np.float64)))
    return out


def _cell(x) -> str:
    if isinstance(x, np.ndarray):
        if x.ndim == 0:
            return _cell(x[()])
        text = np.array2string(
            x,
            formatter={"float_kind": lambda v: f"{float(v):.6g}"},
            threshold=12,
            edgeitems=3,
            separator=", ",
            max_line_width=10_000,
        )
        return text.replace("\n", "")
    if isinstance(x, (bool, np.bool_)):
        return str(bool(x))
    if isinstance(x, (np.floating, float)):
        return f"{float(x):.6g}"
    if isinstance(x, (np.integer, int)):
        return str(int(x))
    if isinstance(x, bytes):
        return x.decode("utf-8", "replace")
    if isinstance(x, np.void):  # a nested record left whole (should not happen after flattening)
        return str(x)
    return str(x)


def _row_labels(shape: tuple, limit: int) -> list[str]:
    """Labels of the first ``limit`` rows of an array of ``shape`` folded into rows (``i`` or ``i, j``)."""
    n = min(int(np.prod(shape)) if shape else 1, limit)
    if len(shape) <= 1:
        return [str(i) for i in range(n)]
    idx = np.unravel_index(np.arange(n), shape)
    return [", ".join(str(int(a[i])) for a in idx) for i in range(n)]


def table_of(value, max_rows: int = MAX_ROWS, max_cols: int = MAX_COLS) -> Table:
    """The cells of one record.

    - plain 0-d: one cell; 1-D: a ``value`` column; 2-D: rows x columns; more dimensions: the leading
      axes folded into rows (labelled ``i, j``), the last one as columns;
    - records: one column per leaf field (nested names dotted, sub-arrays shown compactly in one cell),
      one row per record of the array (0-d: one row).

    Examples
    --------
    >>> t = table_of(np.arange(6).reshape(2, 3))
    >>> t.header, t.rows
    (['', '0', '1', '2'], [['0', '0', '1', '2'], ['1', '3', '4', '5']])
    >>> r = table_of(np.array([(1.5, (2, 3))], [("a", "f4"), ("b", [("c", "i4"), ("d", "i4")])]))
    >>> r.header, r.rows
    (['', 'a', 'b.c', 'b.d'], [['0', '1.5', '2', '3']])
    >>> table_of(np.arange(1000)).note
    'showing 100 of 1000 rows'
    """
    arr = np.asarray(value)
    if arr.dtype.names is not None:
        fields = leaf_fields(arr.dtype)
        flat = arr.reshape(-1)
        labels = _row_labels(arr.shape, max_rows)
        n = flat.shape[0]
        shown = fields[:max_cols]
        cols = [_field(flat[:max_rows], name) for name, _ in shown]
        rows = [[labels[i]] + [_cell(c[i]) for c in cols] for i in range(min(n, max_rows))]
        numeric = [True] + [t.subdtype is None and t.kind in "biufc" for _, t in shown]
        return Table([""] + [name for name, _ in shown], rows, n, len(fields), numeric)
    number = arr.dtype.kind in "biufc"
    if arr.ndim == 0:
        return Table(["value"], [[_cell(arr)]], 1, 1, [number])
    if arr.ndim == 1:
        rows = [[str(i), _cell(arr[i])] for i in range(min(len(arr), max_rows))]
        return Table(["", "value"], rows, len(arr), 1, [True, number])
    grid = arr.reshape(-1, arr.shape[-1])
    n_rows, n_cols = grid.shape
    labels = _row_labels(arr.shape[:-1], max_rows)
    rows = [
        [labels[i]] + [_cell(grid[i, j]) for j in range(min(n_cols, max_cols))]
        for i in range(min(n_rows, max_rows))
    ]
    header = [""] + [str(j) for j in range(min(n_cols, max_cols))]
    return Table(header, rows, n_rows, n_cols, [True] + [number] * (len(header) - 1))
