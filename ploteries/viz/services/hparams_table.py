"""The hparams card's data: one row per trial (hyperparameters, metrics, last values of the runs' scalars),
parallel-coordinates dimensions, trial colours and brushing. Pure functions over plain dicts.

A *trial* is ``{"id", "label", "color", "hparams": {name: float | str}, "metrics": {name: float},
"scalars": {tag: float}}``. Column ids are prefixed by their group (``h:`` hyperparameter, ``m:`` metric,
``s:`` scalar) so a metric and a hyperparameter may share a name.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .tags import tag_sort_key

__all__ = [
    "FADED",
    "GROUPS",
    "apply_restyle",
    "brushed_ids",
    "is_number",
    "line_colors",
    "parcoords_dimensions",
    "parent_run",
    "table_columns",
    "table_rows",
]

GROUPS = {"h": "hyperparameters", "m": "metrics", "s": "scalars (last value)"}
FADED = "#d5d9df"
"""Colour of trials that are not highlighted."""


def is_number(value: Any) -> bool:
    """True for ints and floats (not bools, not strings).

    Examples
    --------
    >>> is_number(1.5), is_number("1.5"), is_number(None)
    (True, False, False)
    """
    return isinstance(value, int | float) and not isinstance(value, bool)


def parent_run(run: str, runs: Iterable[str]) -> str | None:
    """The run an hparams sub-run ``<run>/<trial>`` belongs to, if that run exists.

    Examples
    --------
    >>> parent_run("exp1/1712.5", ["exp1", "exp1/1712.5"]), parent_run("solo", ["solo"])
    ('exp1', None)
    """
    if "/" not in run:
        return None
    parent = run.rsplit("/", 1)[0]
    return parent if parent in set(runs) else None


def table_columns(trials: Sequence[Mapping], scalar_tags: Sequence[str]) -> list[dict]:
    """Columns in order: hyperparameters, metrics (first-seen order), then the chosen scalar tags.

    Each column is ``{"id", "name": [group, name], "type": "numeric" | "text"}`` (a DataTable column with a
    two-row header); a column is text when any trial holds a string in it.

    Examples
    --------
    >>> cols = table_columns([{"hparams": {"lr": 0.1, "opt": "adam"}, "metrics": {"acc": 0.9}}], ["loss"])
    >>> [(c["id"], c["type"]) for c in cols]
    [('h:lr', 'numeric'), ('h:opt', 'text'), ('m:acc', 'numeric'), ('s:loss', 'numeric')]
    """
    out: dict[str, dict] = {}
    for prefix, field in (("h", "hparams"), ("m", "metrics")):
        for trial in trials:
            for name, value in (trial.get(field) or {}).items():
                cid = f"{prefix}:{name}"
                col = out.setdefault(cid, {"id": cid, "name": [GROUPS[prefix], name], "type": "numeric"})
                if not is_number(value):
                    col["type"] = "text"
    for tag in scalar_tags:
        cid = f"s:{tag}"
        out.setdefault(cid, {"id": cid, "name": [GROUPS["s"], tag], "type": "numeric"})
    return list(out.values())


def _cell(value: Any) -> float | str | None:
    if value is None:
        return None
    if is_number(value):
        return float(value) if math.isfinite(value) else str(value)  # JSON has no NaN: show it as text
    return str(value)


def table_rows(trials: Sequence[Mapping], columns: Sequence[Mapping]) -> list[dict]:
    """One DataTable row per trial: ``id``, ``trial`` (its label), ``_color`` and a value per column.

    Examples
    --------
    >>> trial = {"id": "t1", "label": "exp/t1", "color": "#123456", "hparams": {"lr": 0.1},
    ...          "metrics": {}, "scalars": {"loss": 0.5}}
    >>> table_rows([trial], table_columns([trial], ["loss"]))
    [{'id': 't1', 'trial': 'exp/t1', '_color': '#123456', 'h:lr': 0.1, 's:loss': 0.5}]
    """
    fields = {"h": "hparams", "m": "metrics", "s": "scalars"}
    rows = []
    for trial in trials:
        row = {"id": trial["id"], "trial": trial["label"], "_color": trial.get("color") or "#444444"}
        for col in columns:
            prefix, name = col["id"].split(":", 1)
            row[col["id"]] = _cell((trial.get(fields[prefix]) or {}).get(name))
        rows.append(row)
    return rows


def _categories(values: Iterable[Any]) -> list[str]:
    return sorted({str(v) for v in values if v is not None}, key=tag_sort_key)


def _log_axis(numbers: list[float], finite: list[float]) -> dict:
    """A log10 axis (positive values spanning two decades or more) with ticks at powers of ten."""
    lo, hi = math.floor(math.log10(min(finite))), math.ceil(math.log10(max(finite)))
    ticks = list(range(lo, hi + 1))
    return {
        "values": [math.log10(v) if math.isfinite(v) and v > 0 else float("nan") for v in numbers],
        "tickvals": ticks,
        "ticktext": [f"{10.0**t:g}" for t in ticks],
        "range": [math.log10(min(finite)), math.log10(max(finite))],
    }


def parcoords_dimensions(
    rows: Sequence[Mapping], columns: Sequence[Mapping], constraints: Mapping[str, Any] | None = None
) -> list[dict]:
    """Plotly ``parcoords`` dimensions, one per column: numbers as they are, text as categorical axes.

    A categorical axis holds codes ``0..K-1`` with the categories (sorted) as tick text; a trial missing
    the value sits on an extra ``(none)`` tick. Numeric axes put missing values on ``NaN`` (not drawn);
    positive values spanning two decades or more (learning rates) get a log axis (values are ``log10``).
    ``constraints`` (``{column id: constraintrange}``) keeps the user's brushes.

    Examples
    --------
    >>> rows = [{"h:opt": "sgd", "m:acc": 0.5}, {"h:opt": "adam", "m:acc": 0.75}]
    >>> cols = [{"id": "h:opt", "name": ["h", "opt"], "type": "text"}, {"id": "m:acc", "name": ["m", "acc"], "type": "numeric"}]
    >>> dims = parcoords_dimensions(rows, cols)
    >>> dims[0]["values"], dims[0]["ticktext"], dims[1]["values"]
    ([1, 0], ['adam', 'sgd'], [0.5, 0.75])
    """
    constraints = constraints or {}
    dims = []
    for col in columns:
        cid = col["id"]
        values = [r.get(cid) for r in rows]
        label = col["name"][-1] if isinstance(col["name"], list) else str(col["name"])
        dim: dict[str, Any] = {"label": label, "name": cid}
        if col.get("type") == "text" or not all(v is None or is_number(v) for v in values):
            cats = _categories(values)
            if any(v is None for v in values):
                cats.append("(none)")
            code = {c: i for i, c in enumerate(cats)}
            dim["values"] = [code["(none)" if v is None else str(v)] for v in values]
            dim["tickvals"] = list(range(len(cats)))
            dim["ticktext"] = cats
            dim["range"] = [-0.5, len(cats) - 0.5] if len(cats) > 1 else [-1, 1]
        else:
            numbers = [float("nan") if v is None else float(v) for v in values]
            finite = [v for v in numbers if math.isfinite(v)]
            if finite and min(finite) > 0 and max(finite) / min(finite) >= 100:
                dim.update(_log_axis(numbers, finite))
                dim["label"] = f"{label} (log)"
            else:
                dim["values"] = numbers
                if finite and min(finite) == max(finite):  # a constant axis: give it some height
                    dim["range"] = [min(finite) - 1, min(finite) + 1]
        if constraints.get(cid):
            dim["constraintrange"] = constraints[cid]
        dims.append(dim)
    return dims


def line_colors(rows: Sequence[Mapping], highlighted: Iterable[str] | None) -> tuple[list[float], list]:
    """``(line.color, line.colorscale)`` of a parcoords trace giving each trial its own colour.

    Trials not in ``highlighted`` (when given and not empty) are faded. Each row ``i`` gets the value
    ``i + 0.5`` on a stepwise colour scale over ``[0, n]`` (use ``cmin=0, cmax=n``).

    Examples
    --------
    >>> line_colors([{"id": "a", "_color": "#ff0000"}, {"id": "b", "_color": "#0000ff"}], ["b"])
    ([0.5, 1.5], [[0.0, '#d5d9df'], [0.5, '#d5d9df'], [0.5, '#0000ff'], [1.0, '#0000ff']])
    """
    keep = set(highlighted or ())
    n = max(len(rows), 1)
    scale: list = []
    for i, row in enumerate(rows):
        color = row.get("_color") or "#444444"
        if keep and row.get("id") not in keep:
            color = FADED
        scale += [[i / n, color], [(i + 1) / n, color]]
    if not scale:
        scale = [[0.0, FADED], [1.0, FADED]]
    return [i + 0.5 for i in range(len(rows))], scale


def apply_restyle(constraints: Mapping[str, Any], restyle: Any, dims: Sequence[str]) -> dict[str, Any]:
    """The brushes after a parcoords ``restyleData`` event (``[{"dimensions[i].constraintrange": r}, [0]]``).

    ``dims`` are the column ids of the dimensions, in order. A removed brush (``None``) removes the entry.

    Examples
    --------
    >>> apply_restyle({}, [{"dimensions[1].constraintrange": [[0.2, 0.8]]}, [0]], ["h:lr", "m:acc"])
    {'m:acc': [0.2, 0.8]}
    >>> apply_restyle({"m:acc": [0, 1]}, [{"dimensions[1].constraintrange": None}, [0]], ["h:lr", "m:acc"])
    {}
    """
    out = dict(constraints)
    if not isinstance(restyle, list) or not restyle or not isinstance(restyle[0], Mapping):
        return out
    for key, value in restyle[0].items():
        if not (isinstance(key, str) and key.startswith("dimensions[") and key.endswith("].constraintrange")):
            continue
        try:
            index = int(key[len("dimensions[") : key.index("]")])
        except ValueError:
            continue
        if not 0 <= index < len(dims):
            continue
        if isinstance(value, list) and len(value) == 1 and isinstance(value[0], list) and value[0]:
            value = (
                value[0] if isinstance(value[0][0], list) else value[0]
            )  # plotly wraps one value per trace
        if value:
            out[dims[index]] = value
        else:
            out.pop(dims[index], None)
    return out


def _inside(value: float, ranges: Any) -> bool:
    if not isinstance(ranges, list) or not ranges:
        return True
    spans = ranges if isinstance(ranges[0], list) else [ranges]
    return any(len(s) == 2 and s[0] <= value <= s[1] for s in spans)


def brushed_ids(
    rows: Sequence[Mapping], dimensions: Sequence[Mapping], constraints: Mapping[str, Any]
) -> list[str]:
    """Ids of the trials inside every brush (all trials when nothing is brushed).

    Examples
    --------
    >>> dims = [{"name": "m:acc", "values": [0.5, 0.75]}]
    >>> brushed_ids([{"id": "a"}, {"id": "b"}], dims, {"m:acc": [[0.6, 1.0]]})
    ['b']
    """
    keep = []
    for i, row in enumerate(rows):
        ok = True
        for dim in dimensions:
            ranges = constraints.get(dim.get("name"))
            if ranges and i < len(dim["values"]):
                value = dim["values"][i]
                ok = ok and isinstance(value, int | float) and math.isfinite(value) and _inside(value, ranges)
        if ok:
            keep.append(row["id"])
    return keep
