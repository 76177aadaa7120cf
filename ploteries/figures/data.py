"""Binding a figure definition's traces to series and filling them with data (numpy and stdlib only).

The viewer's pipeline, every step a pure function::

    infos = db.series()                               # SeriesInfo of one or several databases
    for inst in expand_traces(definition, infos):     # one TraceInstance per trace template and series
        records = [db.read(i.run, i.tag, i.part, **read_kwargs(inst.spec, i)) for i in inst.series]
        columns = instance_columns(inst, records)     # step, wall_time, value[, value.<field>] or aggregates
        trace = fill_trace(inst.template, columns, inst.context)   # a Plotly trace dict

:func:`build_figure` does all of it for one database. Filled traces hold numpy arrays where the data goes
(``go.Figure`` and Plotly's JSON encoder accept them); single values of ``steps: "latest"`` bindings are
Python scalars or numpy arrays (a 2-D tensor for a heatmap's ``z``).
"""

from __future__ import annotations

import dataclasses
import fnmatch
import functools
import re
from collections.abc import Mapping, Sequence

import numpy as np

RECORD_COLUMNS = ("step", "wall_time", "value")
AGGREGATE_COLUMNS = ("step", "mean", "min", "max", "std", "count", "mean-std", "mean+std")
TEXT_NAMES = ("run", "tag", "part", "binding")

REFERENCE_RE = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)\.([^\s$]+)\Z")
TEXT_RE = re.compile(r"\$(?:(\$)|\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")
BINDING_DEFAULTS = {"run": "*", "part": "", "field": None, "steps": "all", "aggregate": None}


# ------------------------------------------------------------------------------------- template text


def parse_reference(text: str) -> tuple[str, str] | None:
    """``(binding, column)`` if ``text`` is exactly a data binding ``$<binding>.<column>``, else None.

    ``$run``, ``$tag``, ``$part`` and ``$binding`` are text substitutions, never bindings.

    Examples
    --------
    >>> parse_reference("$loss.value.mean"), parse_reference("$run: $tag"), parse_reference("$tag.png")
    (('loss', 'value.mean'), None, None)
    """
    match = REFERENCE_RE.match(text)
    if match is None or match[1] in TEXT_NAMES:
        return None
    return match[1], match[2]


def text_names(text: str) -> list[str]:
    """The names substituted in ``text`` (``$name`` or ``${name}``; ``$$`` is a literal ``$``).

    Examples
    --------
    >>> text_names("$run: ${tag}s cost $$5, $%{y}")
    ['run', 'tag']
    """
    return [m[2] or m[3] for m in TEXT_RE.finditer(text) if not m[1]]


def substitute_text(text: str, context: Mapping) -> str:
    """``text`` with ``$run``, ``$tag``, ``$part``, ``$binding`` (or ``${tag}``) replaced and ``$$`` -> ``$``.

    A ``$`` not followed by a name (``$%{y}``, ``$5``) stays as is.

    Examples
    --------
    >>> substitute_text("$run: ${tag}s ($$)", {"run": "lr=0.1", "tag": "loss"})
    'lr=0.1: losss ($)'
    """

    def replace(match: re.Match) -> str:
        if match[1]:
            return "$"
        name = match[2] or match[3]
        if name not in TEXT_NAMES:
            raise ValueError(
                f"{text!r} uses ${name}, which is not a substitution; use $run, $tag, $part or $binding."
            )
        value = context.get(name)
        return "" if value is None else str(value)

    return TEXT_RE.sub(replace, text)


def trace_bindings(template) -> list[str]:
    """The bindings a trace template draws from (names of ``$<binding>.<column>`` strings), in order.

    Examples
    --------
    >>> trace_bindings({"x": "$a.step", "marker": {"color": ["$a.value"]}, "name": "$run"})
    ['a']
    """
    found: list[str] = []

    def walk(value) -> None:
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, str):
            ref = parse_reference(value)
            if ref is not None and ref[0] not in found:
                found.append(ref[0])

    walk(template)
    return found


# ------------------------------------------------------------------------------------------ matching


def binding_spec(binding: Mapping) -> dict:
    """A binding with its defaults filled in (``run='*'``, ``part=''``, ``steps='all'``, ...).

    Examples
    --------
    >>> binding_spec({"tag": "loss"})["run"]
    '*'
    """
    return {**BINDING_DEFAULTS, **binding}


def match_series(binding: Mapping, infos: Sequence) -> list:
    """The series a binding matches, sorted by (run, tag).

    ``infos`` are :class:`~ploteries.storage.SeriesInfo` (``db.series()``) or any objects with ``run``,
    ``tag``, ``part`` and ``kind`` attributes (e.g. from several databases). Runs and tags match the
    binding's globs (``fnmatch.fnmatchcase``); the part must be equal.

    Examples
    --------
    >>> from types import SimpleNamespace as S
    >>> infos = [S(run="b", tag="loss/val", part=""), S(run="a", tag="loss/train", part=""),
    ...          S(run="a", tag="acc", part="")]
    >>> [(i.run, i.tag) for i in match_series({"tag": "loss/*"}, infos)]
    [('a', 'loss/train'), ('b', 'loss/val')]
    """
    spec = binding_spec(binding)
    run_ok, tag_ok, part = glob_test(spec["run"]), glob_test(spec["tag"]), spec["part"]
    found = [i for i in infos if i.part == part and tag_ok(i.tag) and run_ok(i.run)]
    return sorted(found, key=lambda i: (i.run, i.tag))


def is_literal(pattern: str) -> bool:
    """Whether a glob matches only itself (no ``*``, ``?`` or ``[``).

    Examples
    --------
    >>> is_literal("loss/train"), is_literal("loss/*"), is_literal("seed=[12]")
    (True, False, False)
    """
    return not any(c in pattern for c in "*?[")


@functools.lru_cache(maxsize=4096)
def glob_test(pattern: str):
    """A test of a name against a glob, as ``fnmatch.fnmatchcase(name, pattern)``, fast for the common patterns.

    ``*`` matches everything and a pattern with no ``*``, ``?`` or ``[`` only itself (a default card binds its
    tag by name): these take a few tens of nanoseconds instead of a regex match, which matters when a viewer binds
    every definition to thousands of series on each tick.

    Examples
    --------
    >>> glob_test("*")("any"), glob_test("loss/train")("loss/train"), glob_test("loss/*")("acc")
    (True, True, False)
    """
    if pattern == "*":
        return lambda name: True
    if is_literal(pattern):
        return lambda name: name == pattern
    match = re.compile(fnmatch.translate(pattern)).match
    return lambda name: match(name) is not None


@dataclasses.dataclass(frozen=True)
class TraceInstance:
    """One trace to draw: a trace template bound to one series (or to a tag's runs, for an aggregate).

    ``template_index`` is the template's index in ``figure.data``; ``binding`` is None for a static trace
    (no data binding, drawn as is, ``series`` empty). ``spec`` is the binding (defaults filled).
    """

    template_index: int
    binding: str | None
    series: list
    template: dict
    spec: dict | None = None

    @property
    def run(self) -> str:
        """The run (the binding's run glob for an aggregate of several runs)."""
        if not self.series:
            return ""
        if self.spec is not None and self.spec["aggregate"] == "runs":
            return self.spec["run"]
        return self.series[0].run

    @property
    def context(self) -> dict:
        """What :func:`fill_trace` substitutes: run, tag, part, binding, steps and the template index."""
        first = self.series[0] if self.series else None
        return {
            "run": self.run,
            "tag": first.tag if first is not None else "",
            "part": first.part if first is not None else "",
            "binding": self.binding or "",
            "steps": self.spec["steps"] if self.spec is not None else "all",
            "index": self.template_index,
        }

    @property
    def key(self) -> tuple:
        """A stable identity for diffing instances between polls: (index, binding, run, tag, part)."""
        context = self.context
        return (self.template_index, self.binding, context["run"], context["tag"], context["part"])


def expand_traces(definition: Mapping, infos: Sequence) -> list[TraceInstance]:
    """Every trace to draw: each template once per series its binding matches (per tag if aggregated).

    Static templates (no binding) give one instance each. Templates sharing a binding are emitted together
    per series, in template order (``[lower, upper, mean]`` of series 1, then of series 2, ...), so
    ``fill: "tonexty"`` pairs traces of the same series. A binding matching nothing gives no instance.

    Examples
    --------
    >>> from types import SimpleNamespace as S
    >>> d = {"series": {"l": {"tag": "loss"}}, "figure": {"data": [
    ...     {"type": "scatter", "y": "$l.value"}, {"type": "bar", "y": [1, 2]}]}}
    >>> infos = [S(run="b", tag="loss", part=""), S(run="a", tag="loss", part="")]
    >>> [(t.template_index, t.binding, t.run) for t in expand_traces(d, infos)]
    [(0, 'l', 'a'), (0, 'l', 'b'), (1, None, '')]
    """
    series = definition.get("series", {})
    templates = definition.get("figure", {}).get("data", [])
    by_binding: dict[str, list[int]] = {}
    bound: list[str | None] = []
    for index, template in enumerate(templates):
        used = trace_bindings(template)
        name = used[0] if used else None
        bound.append(name)
        if name is not None:
            by_binding.setdefault(name, []).append(index)
    out: list[TraceInstance] = []
    done: set[str] = set()
    for index, template in enumerate(templates):
        name = bound[index]
        if name is None:
            out.append(TraceInstance(index, None, [], template))
            continue
        if name in done:
            continue
        done.add(name)
        if name not in series:
            raise ValueError(
                f"figure.data[{index}] refers to binding {name!r}, which is not in series "
                f"({sorted(series)}); validate the definition first (validate_definition)."
            )
        spec = binding_spec(series[name])
        for group in _groups(spec, match_series(spec, infos)):
            out += [TraceInstance(i, name, group, templates[i], spec) for i in by_binding[name]]
    return out


def _groups(spec: dict, matched: list) -> list[list]:
    if spec["aggregate"] != "runs":
        return [[info] for info in matched]
    groups: dict[str, list] = {}
    for info in matched:
        groups.setdefault(info.tag, []).append(info)
    return [groups[tag] for tag in sorted(groups)]


def tab_of_definition(definition: Mapping) -> str | None:
    """The tab a definition belongs to: its ``tab``, else its first binding's tag prefix (before ``/``).

    None when neither says (no binding, or a prefix with glob characters such as ``*``): the viewer picks.

    Examples
    --------
    >>> tab_of_definition({"tab": None, "series": {"l": {"tag": "loss/*"}}})
    'loss'
    >>> tab_of_definition({"series": {"l": {"tag": "*/train"}}}) is None
    True
    """
    if definition.get("tab"):
        return definition["tab"]
    for binding in definition.get("series", {}).values():
        prefix = binding["tag"].split("/", 1)[0]
        return prefix if prefix and not any(c in prefix for c in "*?[") else None
    return None


# --------------------------------------------------------------------------------------------- data


def read_kwargs(binding: Mapping, info) -> dict:
    """The keyword arguments of ``Database.read`` that fetch what a binding needs of one series.

    ``steps: "latest"`` reads only the last record (``from_row``); a step range reads ``start``/``stop``.

    Examples
    --------
    >>> from types import SimpleNamespace as S
    >>> read_kwargs({"tag": "w", "steps": "latest"}, S(count=10)), read_kwargs({"tag": "w", "steps": [5, None]}, S())
    ({'from_row': 9}, {'start': 5, 'stop': None})
    """
    steps = binding_spec(binding)["steps"]
    if steps == "latest":
        return {"from_row": max(0, int(info.count) - 1)}
    if isinstance(steps, (list, tuple)):
        return {"start": steps[0], "stop": steps[1]}
    return {}


def _field_path(value, field: str, where: str):
    for i, name in enumerate(field.split(".")):
        names = value.dtype.names or ()
        if name not in names:
            inside = f" inside {'.'.join(field.split('.')[:i])!r}" if i else ""
            raise ValueError(
                f"{where}: field {field!r}: the value has no field {name!r}{inside}; fields: "
                f"{list(names) or 'none (not a record array)'}."
            )
        value = value[name]
    return value


def _record_columns(value, prefix: str, out: dict) -> None:
    """Add a column per (nested) field of a record array ``value`` (or list of record arrays)."""
    if isinstance(value, list):
        if not value:
            return
        common = [n for n in (value[0].dtype.names or ()) if all(n in (v.dtype.names or ()) for v in value)]
        for name in common:
            out[f"{prefix}.{name}"] = [v[name] for v in value]
            _record_columns(out[f"{prefix}.{name}"], f"{prefix}.{name}", out)
        return
    for name in value.dtype.names or ():
        out[f"{prefix}.{name}"] = value[name]
        _record_columns(value[name], f"{prefix}.{name}", out)


def columns_of(records, field: str | None = None) -> dict:
    """The columns of what ``Database.read`` returns: step, wall_time, value and ``value.<field>`` paths.

    Parameters
    ----------
    records : numpy structured array or RaggedRecords
        A fixed-shape series gives arrays; a ragged one (``.step``, ``.wall_time``, ``.values``) gives
        ``value`` (and its fields) as a list of arrays, one per record.
    field : str, optional
        ``"a"`` or ``"a.b"``: ``value`` becomes this field of a record-array value.

    Examples
    --------
    >>> rec = np.zeros(2, [("step", "<i8"), ("wall_time", "<f8"),
    ...                    ("value", [("loss", "<f4"), ("stats", [("mean", "<f8")])])])
    >>> sorted(columns_of(rec))
    ['step', 'value', 'value.loss', 'value.stats', 'value.stats.mean', 'wall_time']
    >>> columns_of(rec, "stats")["value"].dtype.names
    ('mean',)
    """
    if isinstance(records, np.ndarray) and records.dtype.names:
        out = {name: records[name] for name in RECORD_COLUMNS if name in records.dtype.names}
        if "value" in out and field:
            out["value"] = _field_path(out["value"], field, "columns_of")
    elif hasattr(records, "values") and hasattr(records, "step") and hasattr(records, "wall_time"):
        out = {"step": np.asarray(records.step), "wall_time": np.asarray(records.wall_time)}
        values = list(records.values)
        out["value"] = [_field_path(v, field, "columns_of") for v in values] if field else values
    else:
        raise TypeError(
            f"records must be what Database.read returns (a structured array with step, wall_time, value, or "
            f"RaggedRecords), got {type(records).__name__}; read without fields= or with at least two fields."
        )
    if "value" in out:
        _record_columns(out["value"], "value", out)
    return out


def select_steps(columns: Mapping, steps) -> dict:
    """The rows of ``columns`` a binding's ``steps`` selects: all, the last one, or a [start, stop) range.

    ``"latest"`` keeps the last row (columns stay length-1 sequences; :func:`fill_trace` unwraps them).

    Examples
    --------
    >>> cols = {"step": np.array([0, 5, 10]), "value": np.array([1.0, 2.0, 3.0])}
    >>> select_steps(cols, [5, None])["value"], select_steps(cols, "latest")["step"]
    (array([2., 3.]), array([10]))
    """
    if steps == "all" or steps is None:
        return dict(columns)
    if "step" not in columns:
        raise ValueError("selecting steps needs a 'step' column; read the series with its steps.")
    n = len(columns["step"])
    if steps == "latest":
        rows = np.arange(max(0, n - 1), n)
    else:
        start, stop = steps
        step = np.asarray(columns["step"])
        mask = np.ones(n, bool)
        if start is not None:
            mask &= step >= start
        if stop is not None:
            mask &= step < stop
        rows = np.flatnonzero(mask)
        if len(rows) == n:
            return dict(columns)
    return {
        k: [v[i] for i in rows] if isinstance(v, list) else np.asarray(v)[rows] for k, v in columns.items()
    }


def aggregate_runs(series: Sequence[tuple]) -> dict[str, np.ndarray]:
    """Reduce several runs' ``(steps, values)`` into one, aligned on the union of their steps.

    A step a run does not have, or where its value is NaN, is not counted; of repeated steps in one run,
    the last record counts. Values may be scalars per step or arrays of one shape (reduced elementwise).

    Returns
    -------
    dict
        ``step`` (sorted union, int64), ``mean``, ``min``, ``max``, ``std`` (population, ddof=0), ``count``
        (int64, runs counted) and ``mean-std`` / ``mean+std`` (for bands); NaN where ``count`` is 0.

    Examples
    --------
    >>> agg = aggregate_runs([([0, 1, 2], [1.0, 2.0, 3.0]), ([1, 2, 3], [4.0, float("nan"), 6.0])])
    >>> agg["step"], agg["mean"], agg["count"]
    (array([0, 1, 2, 3]), array([1., 3., 3., 6.]), array([1, 2, 1, 1]))
    """
    pairs = [_run_values(steps, values, i) for i, (steps, values) in enumerate(series)]
    shapes = {v.shape[1:] for _, v in pairs}
    if len(shapes) > 1:
        raise ValueError(
            f"aggregate over runs needs one value shape in every run, got shapes {sorted(shapes)}; bind a field "
            "or a tag whose runs log the same shape."
        )
    trailing = shapes.pop() if shapes else ()
    union = np.unique(np.concatenate([s for s, _ in pairs])) if pairs else np.empty(0, np.int64)
    shape = (len(union), *trailing)
    count = np.zeros(shape, np.int64)
    total = np.zeros(shape)
    low = np.full(shape, np.inf)
    high = np.full(shape, -np.inf)
    where = []
    for steps, values in pairs:
        pos = np.searchsorted(union, steps)
        ok = ~np.isnan(values)
        count[pos] += ok
        total[pos] += np.where(ok, values, 0.0)
        low[pos] = np.fmin(low[pos], values)
        high[pos] = np.fmax(high[pos], values)
        where.append((pos, ok, values))
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / count
        squares = np.zeros(shape)
        for pos, ok, values in where:
            squares[pos] += np.where(ok, (values - mean[pos]) ** 2, 0.0)
        std = np.sqrt(squares / count)
    empty = count == 0
    low[empty] = np.nan
    high[empty] = np.nan
    return {
        "step": union.astype(np.int64),
        "mean": mean,
        "min": low,
        "max": high,
        "std": std,
        "count": count,
        "mean-std": mean - std,
        "mean+std": mean + std,
    }


def _run_values(steps, values, index: int) -> tuple[np.ndarray, np.ndarray]:
    """One run's steps (sorted, unique: the last record of a repeated step wins) and float64 values."""
    steps = np.asarray(steps)
    try:
        values = np.asarray(values)
    except ValueError:
        values = None
    if values is None or values.dtype.kind not in "biuf":
        what = "values of several shapes" if values is None else f"dtype {values.dtype}"
        raise ValueError(
            f"aggregate over runs needs numbers; run {index} has {what}; bind a numeric field "
            "(the binding's field) of a record array."
        )
    if steps.ndim != 1 or len(steps) != len(values):
        raise ValueError(
            f"run {index}: steps (shape {steps.shape}) and values (shape {values.shape}) must have one value "
            "per step."
        )
    order = np.argsort(steps, kind="stable")
    steps, values = steps[order].astype(np.int64), values[order].astype(np.float64)
    last = np.ones(len(steps), bool)
    last[:-1] = steps[1:] != steps[:-1]
    return steps[last], values[last]


def instance_columns(instance: TraceInstance, records: Sequence) -> dict:
    """The columns one trace instance draws: ``records`` holds what was read for each of its series.

    An aggregated instance gives :func:`aggregate_runs` of its runs' ``value`` column; a static one ``{}``.

    Examples
    --------
    >>> rec = np.array([(0, 0.0, 1.5)], [("step", "<i8"), ("wall_time", "<f8"), ("value", "<f8")])
    >>> inst = TraceInstance(0, "l", [object()], {}, binding_spec({"tag": "loss"}))
    >>> instance_columns(inst, [rec])["value"]
    array([1.5])
    """
    if instance.binding is None:
        return {}
    spec = instance.spec or {}
    field, steps = spec.get("field"), spec.get("steps", "all")
    columns = [select_steps(columns_of(r, field), steps) for r in records]
    if spec.get("aggregate") == "runs":
        return aggregate_runs([(c["step"], c["value"]) for c in columns])
    return columns[0]


def _unwrap(value):
    """A latest binding's one value: a Python scalar, or the array itself (None when there is no record)."""
    if len(value) == 0:
        return None
    last = value[-1]
    if isinstance(last, np.ndarray) and last.ndim == 0:
        return last.item()
    return last.item() if isinstance(last, np.generic) else last


def fill_trace(template: Mapping, columns: Mapping, context: Mapping) -> dict:
    """A Plotly trace dict: ``template`` with its data bindings replaced by columns and its text substituted.

    Parameters
    ----------
    template : dict
        A trace of a definition's ``figure.data``.
    columns : dict
        From :func:`columns_of` / :func:`instance_columns` (or :func:`aggregate_runs`).
    context : dict
        ``run``, ``tag``, ``part``, ``binding`` (text substitutions) and optionally ``steps`` (the binding's;
        rows are selected by :func:`select_steps`, and ``"latest"`` binds the last record's value itself)
        and ``index`` (for error messages); :attr:`TraceInstance.context` gives them all.

    Returns
    -------
    dict
        A new dict; bound columns are numpy arrays (lists of arrays for ragged values), latest values
        Python scalars or arrays; everything else as in the template.

    Examples
    --------
    >>> cols = {"step": np.array([0, 1]), "value": np.array([0.5, 0.25])}
    >>> fill_trace({"type": "scatter", "x": "$l.step", "y": "$l.value", "name": "$run: $tag"}, cols,
    ...            {"run": "a", "tag": "loss", "binding": "l"})
    {'type': 'scatter', 'x': array([0, 1]), 'y': array([0.5 , 0.25]), 'name': 'a: loss'}
    """
    steps = context.get("steps", "all")
    selected = select_steps(columns, steps) if steps != "all" else columns
    latest = steps == "latest"
    binding = context.get("binding")
    where = f"figure.data[{context['index']}]" if "index" in context else "trace"

    def fill(value, path: str):
        if isinstance(value, dict):
            return {k: fill(v, f"{path}.{k}") for k, v in value.items()}
        if isinstance(value, list):
            return [fill(v, f"{path}[{i}]") for i, v in enumerate(value)]
        if not isinstance(value, str):
            return value
        ref = parse_reference(value)
        if ref is None:
            return substitute_text(value, context)
        name, column = ref
        if name != binding:
            raise ValueError(
                f"{path}: {value!r} refers to binding {name!r}, but this trace draws from {binding!r}."
            )
        if column not in selected:
            series = "/".join(str(context.get(k, "")) for k in ("run", "tag"))
            raise ValueError(
                f"{path}: {value!r} needs column {column!r}, which series {series!r} does not have; columns: "
                f"{', '.join(sorted(selected))}."
            )
        data = selected[column]
        return _unwrap(data) if latest else data

    return fill(dict(template), where)


def build_figure(definition: Mapping, db) -> dict:
    """The Plotly figure dict ``{"data": [...], "layout": {...}}`` of a definition, read from one database.

    A composition of :func:`expand_traces`, :func:`read_kwargs`, :func:`instance_columns` and
    :func:`fill_trace` (what the viewer does with its own caches); ``db`` is a :class:`Database`.

    Examples
    --------
    >>> with ploteries.open("runs/db.h5") as db:                                  # doctest: +SKIP
    ...     go.Figure(build_figure(db.figures.get("loss-band"), db)).show()
    """
    data = []
    for instance in expand_traces(definition, db.series()):
        records = [db.read(i.run, i.tag, i.part, **read_kwargs(instance.spec, i)) for i in instance.series]
        data.append(fill_trace(instance.template, instance_columns(instance, records), instance.context))
    layout = dict(definition.get("figure", {}).get("layout", {}))
    layout.setdefault("title", {"text": definition.get("title", definition.get("id", ""))})
    return {"data": data, "layout": layout}


__all__ = [
    "AGGREGATE_COLUMNS",
    "RECORD_COLUMNS",
    "TEXT_NAMES",
    "TraceInstance",
    "aggregate_runs",
    "binding_spec",
    "build_figure",
    "columns_of",
    "expand_traces",
    "fill_trace",
    "instance_columns",
    "match_series",
    "parse_reference",
    "read_kwargs",
    "select_steps",
    "substitute_text",
    "tab_of_definition",
    "text_names",
    "trace_bindings",
]
