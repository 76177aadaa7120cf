"""Figure definitions: what to draw from which series, as declarative JSON stored beside the data.

A definition is data, never code: validating, storing or drawing one never evaluates or imports anything
found in it. See docs/figures.md for the schema and examples. This module holds the schema and its
validation (:func:`validate_definition`) and the store (:class:`FigureStore`, ``db.figures``); the functions
that bind traces to series and fill them with data live in :mod:`ploteries.figures.data` and are
re-exported here.

>>> d = validate_definition({"id": "loss", "series": {"l": {"tag": "loss"}},
...                          "figure": {"data": [{"x": "$l.step", "y": "$l.value"}]}})
>>> d["title"], d["card"], d["series"]["l"]["run"], d["figure"]["data"][0]["type"]
('loss', 'plotly', '*', 'scatter')
"""

from __future__ import annotations

import copy
import difflib
import json
import math
import re
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from ploteries.storage import Database, update_documents

from .cards import CARD_ENTRY_POINT_GROUP, card_types, needs_series
from .data import (
    AGGREGATE_COLUMNS,
    RECORD_COLUMNS,
    TEXT_NAMES,
    parse_reference,
    text_names,
    trace_bindings,
)

SCHEMA_VERSION = 1
DOCUMENT_PREFIX = "figure/"
RESERVED_ID_PREFIX = "auto/"
MAX_DEFINITION_BYTES = 2**20
MAX_DEPTH = 64
TRACE_TYPES: tuple[str, ...] = (
    "bar", "barpolar", "box", "candlestick", "carpet", "choropleth", "choroplethmap", "cone", "contour",
    "contourcarpet", "densitymap", "funnel", "funnelarea", "heatmap", "histogram", "histogram2d",
    "histogram2dcontour", "icicle", "image", "indicator", "isosurface", "mesh3d", "ohlc", "parcats",
    "parcoords", "pie", "quiver", "sankey", "scatter", "scatter3d", "scattercarpet", "scattergeo",
    "scattergl", "scattermap", "scatterpolar", "scatterpolargl", "scattersmith", "scatterternary", "splom",
    "streamtube", "sunburst", "surface", "table", "treemap", "violin", "volume", "waterfall",
)  # fmt: skip
"""Plotly's trace types (``plotly.graph_objects``; a test keeps this list equal to the installed plotly's)."""

TOP_KEYS = ("schema", "id", "title", "tab", "card", "series", "figure", "options", "version", "updated")
BINDING_KEYS = ("run", "tag", "part", "field", "steps", "aggregate")
FIGURE_KEYS = ("data", "layout")
STORE_KEYS = ("version", "updated")  # kept by the store: given values are replaced on every write
ID_RE = re.compile(r"[A-Za-z0-9_.:/=+@-]{1,200}\Z")
BINDING_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,99}\Z")
FIELD_RE = re.compile(r"[^.\s$]+(\.[^.\s$]+)*\Z")

EXAMPLE_BINDING = '{"loss": {"tag": "loss/*"}}'


class DefinitionError(ValueError):
    """A figure definition breaks the schema; the message names the path, the value and the fix."""


class DefinitionTypeError(DefinitionError, TypeError):
    """A value of the wrong type in a figure definition (also a ``TypeError``)."""


class StaleDefinitionError(DefinitionError):
    """An update based on a version of the definition that is no longer the stored one (``if_version``)."""


class FigureNotFoundError(KeyError):
    """No figure with this id (a ``KeyError`` whose message reads well when printed)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


# ------------------------------------------------------------------------------------------- helpers


def _suggest(word: str, choices) -> str:
    close = [repr(c) for c in difflib.get_close_matches(word, [str(c) for c in choices], n=3, cutoff=0.6)]
    if not close:
        return ""
    return f" (did you mean {close[0] if len(close) == 1 else ', '.join(close[:-1]) + ' or ' + close[-1]}?)"


def _short(value, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _expect(value, types, path: str, what: str):
    if not isinstance(value, types) or isinstance(value, bool) and bool not in _as_tuple(types):
        raise DefinitionTypeError(f"{path} must be {what}, got {type(value).__name__} {_short(value)}.")
    return value


def _as_tuple(types) -> tuple:
    return types if isinstance(types, tuple) else (types,)


def check_json(value, path: str = "definition", depth: int = 0):
    """A deep copy of ``value`` holding only JSON types (tuples become lists), else a clear error.

    Examples
    --------
    >>> check_json({"x": (1, 2.5, None)})
    {'x': [1, 2.5, None]}
    >>> check_json({"x": float("nan")})
    Traceback (most recent call last):
    ...
    ploteries.figures.schema.DefinitionError: x is nan (not a finite number), which JSON cannot hold; use null.
    """
    if depth > MAX_DEPTH:
        raise DefinitionError(f"{path} is nested more than {MAX_DEPTH} levels deep; flatten it.")
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise DefinitionError(
                f"{path} is {value!r} (not a finite number), which JSON cannot hold; use null."
            )
        return float(value)
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise DefinitionTypeError(
                    f"{path} has the key {_short(key)} ({type(key).__name__}); JSON keys are strings."
                )
            out[key] = check_json(item, f"{path}.{key}" if path != "definition" else key, depth + 1)
        return out
    if isinstance(value, (list, tuple)):
        return [check_json(item, f"{path}[{i}]", depth + 1) for i, item in enumerate(value)]
    hint = " (use .item())" if hasattr(value, "item") and getattr(value, "ndim", 1) == 0 else ""
    hint = hint or (" (use .tolist())" if hasattr(value, "tolist") else "")
    raise DefinitionTypeError(
        f"{path} is a {type(value).__module__}.{type(value).__name__}, which is not JSON{hint}; definitions "
        "hold JSON values (objects, lists, strings, numbers, true/false, null) and bindings such as "
        "'$loss.value'."
    )


def _check_keys(obj: dict, allowed, path: str) -> None:
    for key in obj:
        if key not in allowed:
            where = f"{path}." if path else ""
            raise DefinitionError(
                f"{where}{key} is not a known key{_suggest(key, allowed)}; known keys: {', '.join(allowed)}."
            )


def check_glob(pattern, path: str, *, allow_empty: bool) -> str:
    """A run or tag glob (``fnmatch.fnmatchcase`` syntax); an unclosed ``[`` is an error, not a literal.

    Examples
    --------
    >>> check_glob("loss/*", "tag", allow_empty=False)
    'loss/*'
    >>> check_glob("lr[0.1", "run", allow_empty=True)
    Traceback (most recent call last):
    ...
    ploteries.figures.schema.DefinitionError: run 'lr[0.1' has an unclosed '[' at position 2; write '[[]' for a literal '['.
    """
    _expect(pattern, str, path, "a glob string such as 'loss/*'")
    if not pattern and not allow_empty:
        raise DefinitionError(f"{path} must not be empty; use e.g. 'loss/*' (or '*' for every one).")
    if "\x00" in pattern:
        raise DefinitionError(f"{path} {pattern!r} contains a NUL character; remove it.")
    i, n = 0, len(pattern)
    while i < n:
        if pattern[i] == "[":
            j = i + 1
            if j < n and pattern[j] == "!":
                j += 1
            if j < n and pattern[j] == "]":
                j += 1
            while j < n and pattern[j] != "]":
                j += 1
            if j >= n:
                raise DefinitionError(
                    f"{path} {pattern!r} has an unclosed '[' at position {i}; write '[[]' for a literal '['."
                )
            i = j
        i += 1
    return pattern


def check_id(value, *, allow_reserved: bool = False) -> str:
    """A figure id: 1-200 characters of ``[A-Za-z0-9_.:/=+@-]``, not starting with ``auto/``.

    Examples
    --------
    >>> check_id("loss-vs-acc")
    'loss-vs-acc'
    """
    _expect(value, str, "id", "a string such as 'loss-vs-acc'")
    if not ID_RE.match(value):
        bad = sorted({c for c in value if not re.match(r"[A-Za-z0-9_.:/=+@-]", c)})
        why = f"contains {', '.join(repr(c) for c in bad)}" if bad else f"has {len(value)} characters"
        raise DefinitionError(
            f"id {_short(value)} {why}; an id is 1-200 characters of letters, digits and _.:/=+@- "
            "(e.g. 'loss-vs-acc')."
        )
    if value.startswith(RESERVED_ID_PREFIX) and not allow_reserved:
        raise DefinitionError(
            f"id {value!r} starts with {RESERVED_ID_PREFIX!r}, which is reserved for the viewer's default "
            f"cards; pick another id, e.g. {value[len(RESERVED_ID_PREFIX) :] or 'my-figure'!r}."
        )
    return value


# ---------------------------------------------------------------------------------------- validation


def validate_binding(name: str, obj, path: str = "series") -> dict:
    """One normalized binding (defaults filled) of a definition's ``series``.

    Examples
    --------
    >>> validate_binding("loss", {"tag": "loss/*", "steps": [0, None]})
    {'run': '*', 'tag': 'loss/*', 'part': '', 'field': None, 'steps': [0, None], 'aggregate': None}
    """
    where = f"{path}.{name}"
    _expect(name, str, f"{path} key", "a string")
    if name in TEXT_NAMES:
        raise DefinitionError(
            f"{where}: {name!r} is reserved for the text substitution ${name}; name the binding otherwise, "
            f"e.g. {name + 's'!r}."
        )
    if not BINDING_NAME_RE.match(name):
        raise DefinitionError(
            f"{where}: binding name {_short(name)} must be an identifier (letters, digits, _; not starting "
            "with a digit; at most 100 characters), e.g. 'loss'."
        )
    _expect(obj, dict, where, "an object such as {'tag': 'loss/*'}")
    _check_keys(obj, BINDING_KEYS, where)
    if "tag" not in obj:
        raise DefinitionError(f"{where}.tag is required: the glob of the tags to draw, e.g. 'loss/*'.")
    part = obj.get("part", "")
    _expect(part, str, f"{where}.part", "a part name (exact; '' is the main value)")
    field = obj.get("field")
    if field is not None:
        _expect(field, str, f"{where}.field", "null or a field name such as 'a' or 'a.b'")
        if not FIELD_RE.match(field):
            raise DefinitionError(
                f"{where}.field {field!r} is not a field path: names without spaces or '$', separated by '.', "
                "e.g. 'loss' or 'stats.mean'."
            )
    aggregate = obj.get("aggregate")
    if aggregate not in (None, "runs"):
        raise DefinitionError(
            f"{where}.aggregate must be null or 'runs' (mean, min, max, std and count over runs aligned on "
            f"step), got {_short(aggregate)}."
        )
    steps = _validate_steps(obj.get("steps", "all"), f"{where}.steps")
    if aggregate == "runs" and steps == "latest":
        raise DefinitionError(
            f"{where}: aggregate 'runs' aligns runs on step and cannot combine with steps 'latest'; use "
            "steps 'all' or a [start, stop] range."
        )
    return {
        "run": check_glob(obj.get("run", "*"), f"{where}.run", allow_empty=True),
        "tag": check_glob(obj["tag"], f"{where}.tag", allow_empty=False),
        "part": part,
        "field": field,
        "steps": steps,
        "aggregate": aggregate,
    }


def _validate_steps(steps, path: str):
    if steps in ("all", "latest"):
        return steps
    if isinstance(steps, list) and len(steps) == 2:
        for i, bound in enumerate(steps):
            if bound is not None and (not isinstance(bound, int) or isinstance(bound, bool)):
                raise DefinitionTypeError(
                    f"{path}[{i}] must be an integer step or null (open end), got {_short(bound)}."
                )
        start, stop = steps
        if start is not None and stop is not None and start >= stop:
            raise DefinitionError(
                f"{path} [{start}, {stop}] is empty: stop is exclusive and must be greater than start."
            )
        return [start, stop]
    raise DefinitionError(
        f"{path} must be 'all', 'latest' or [start, stop] (stop exclusive, null for an open end), got "
        f"{_short(steps)}."
    )


def _check_column(column: str, spec: dict, binding: str, path: str, text: str) -> None:
    if spec["aggregate"] == "runs":
        if column not in AGGREGATE_COLUMNS:
            raise DefinitionError(
                f"{path}: {text!r} names column {column!r}, but binding {binding!r} aggregates runs; its "
                f"columns are {', '.join(AGGREGATE_COLUMNS)}{_suggest(column, AGGREGATE_COLUMNS)}."
            )
        return
    if column in RECORD_COLUMNS:
        return
    if column.startswith("value.") and FIELD_RE.match(column[len("value.") :]):
        return
    hint = (
        " (an aggregate column: set the binding's aggregate to 'runs')"
        if column in AGGREGATE_COLUMNS
        else _suggest(column, RECORD_COLUMNS)
    )
    raise DefinitionError(
        f"{path}: {text!r} names column {column!r} of binding {binding!r}; columns are step, wall_time, "
        f"value and value.<field> (for record arrays){hint}."
    )


def _check_strings(value, path: str, series: dict, in_layout: bool) -> None:
    """Check every string of a trace (or of the layout) for bindings and text substitutions."""
    if isinstance(value, dict):
        for key, item in value.items():
            _check_strings(item, f"{path}.{key}", series, in_layout)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check_strings(item, f"{path}[{i}]", series, in_layout)
    elif isinstance(value, str):
        ref = parse_reference(value)
        if ref is not None:
            binding, column = ref
            if in_layout:
                raise DefinitionError(
                    f"{path}: {value!r} is a data binding, and bindings work in traces only "
                    "(figure.data[...]); write '$$' for a literal '$'."
                )
            if binding not in series:
                raise DefinitionError(
                    f"{path}: {value!r} refers to binding {binding!r}, which is not in series"
                    f"{_suggest(binding, series)}; bindings: {sorted(series) or 'none'}; add it to series, "
                    f'e.g. "series": {{"{binding}": {{"tag": "loss/*"}}}}.'
                )
            _check_column(column, series[binding], binding, path, value)
            return
        if in_layout:
            return  # layout strings are kept verbatim
        for name in text_names(value):
            if name in TEXT_NAMES:
                continue
            if name in series:
                raise DefinitionError(
                    f"{path}: {value!r} uses ${name}, the binding {name!r} without a column; a whole string "
                    f"'${name}.value' binds data, '$binding' gives the binding's name in text."
                )
            raise DefinitionError(
                f"{path}: {value!r} uses ${name}, which is not a substitution"
                f"{_suggest(name, TEXT_NAMES)}; use $run, $tag, $part, $binding (or ${{tag}}), and $$ for a "
                "literal '$'."
            )


def _validate_trace(trace, index: int, series: dict) -> dict:
    path = f"figure.data[{index}]"
    _expect(trace, dict, path, "an object (a Plotly trace such as {'type': 'scatter', 'y': '$loss.value'})")
    trace = dict(trace)
    kind = trace.setdefault("type", "scatter")
    _expect(kind, str, f"{path}.type", "a Plotly trace type such as 'scatter'")
    if kind not in TRACE_TYPES:
        hint = _suggest(kind, TRACE_TYPES) or f"; types: {', '.join(TRACE_TYPES)}"
        raise DefinitionError(f"{path}.type {kind!r} is not a Plotly trace type{hint}.")
    _check_strings(trace, path, series, in_layout=False)
    used = trace_bindings(trace)
    if len(used) > 1:
        raise DefinitionError(
            f"{path} uses bindings {' and '.join(repr(b) for b in used)}; a trace draws from exactly one "
            "binding: split it into one trace per binding."
        )
    return trace


def _validate_figure(figure, series: dict) -> dict:
    if figure is None:
        figure = {}
    _expect(figure, dict, "figure", "an object {'data': [trace, ...], 'layout': {...}}")
    _check_keys(figure, FIGURE_KEYS, "figure")
    data = figure.get("data", [])
    _expect(data, list, "figure.data", "a list of traces")
    layout = figure.get("layout", {})
    _expect(layout, dict, "figure.layout", "an object (a Plotly layout)")
    _check_strings(layout, "figure.layout", series, in_layout=True)
    return {"data": [_validate_trace(t, i, series) for i, t in enumerate(data)], "layout": layout}


def validate_definition(obj, *, cards=None, allow_reserved: bool = False) -> dict:
    """Check a figure definition and return it normalized (a new dict, every default filled in).

    Parameters
    ----------
    obj : dict
        The definition (JSON values only; see docs/figures.md).
    cards : iterable of str, optional
        The known card types; default :func:`card_types` (built-in and installed plug-ins).
    allow_reserved : bool
        Accept ids starting with ``auto/`` (the viewer's own default cards).

    Raises
    ------
    DefinitionError
        A ``ValueError`` naming the path (e.g. ``figure.data[1].type``), the value and the fix.
        Wrong types raise :class:`DefinitionTypeError`, which is also a ``TypeError``.

    Examples
    --------
    >>> d = validate_definition({"id": "lr", "series": {"lr": {"tag": "lr"}},
    ...     "figure": {"data": [{"type": "scatter", "x": "$lr.step", "y": "$lr.value", "name": "$run"}]}})
    >>> d["tab"], d["series"]["lr"]["steps"], d["figure"]["layout"], d["options"]
    (None, 'all', {}, {})
    >>> validate_definition({"id": "x", "series": {}, "figure": {"data": [{"type": "scater"}]}})
    Traceback (most recent call last):
    ...
    ploteries.figures.schema.DefinitionError: figure.data[0].type 'scater' is not a Plotly trace type (did you mean 'scatter', 'scattergl' or 'scatter3d'?).
    """
    _expect(obj, dict, "definition", "an object (a JSON dict) with at least id and series")
    obj = check_json(obj)
    size = len(json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
    if size > MAX_DEFINITION_BYTES:
        raise DefinitionError(
            f"definition {obj.get('id', '')!r} is {size} bytes of JSON, more than the limit of "
            f"{MAX_DEFINITION_BYTES}; bind data with '$binding.column' instead of embedding it."
        )
    _check_keys(obj, TOP_KEYS, "")
    schema = obj.get("schema", SCHEMA_VERSION)
    if schema != SCHEMA_VERSION or isinstance(schema, bool):
        raise DefinitionError(
            f"schema {_short(schema)} is not supported: this ploteries reads figure definitions of schema "
            f"{SCHEMA_VERSION}; upgrade ploteries or set schema to {SCHEMA_VERSION}."
        )
    if "id" not in obj:
        raise DefinitionError("id is required: a name such as 'loss-vs-acc'.")
    fid = check_id(obj["id"], allow_reserved=allow_reserved)
    title = obj.get("title", fid)
    _expect(title, str, "title", "a string")
    tab = obj.get("tab")
    if tab is not None:
        _expect(tab, str, "tab", "null (the tab of the first binding's tag prefix) or a tab name")
        if not tab:
            raise DefinitionError("tab must be null (by tag prefix) or a non-empty tab name, got ''.")
    card = obj.get("card", "plotly")
    _expect(card, str, "card", "a card type such as 'plotly'")
    known = tuple(card_types() if cards is None else cards)
    if card not in known:
        raise DefinitionError(
            f"card {card!r} is not a known card type{_suggest(card, known)}; known: {', '.join(known)}; "
            f"card types of other packages register under the entry-point group {CARD_ENTRY_POINT_GROUP!r}."
        )
    if "series" not in obj and needs_series(card):
        raise DefinitionError(f'series is required for card {card!r}: e.g. "series": {EXAMPLE_BINDING}.')
    raw_series = obj.get("series", {})
    _expect(raw_series, dict, "series", f"an object of named bindings, e.g. {EXAMPLE_BINDING}")
    if not raw_series and needs_series(card):
        raise DefinitionError(
            f"series is empty, but card {card!r} draws from series; add a binding, e.g. {EXAMPLE_BINDING}."
        )
    series = {name: validate_binding(name, b) for name, b in raw_series.items()}
    figure = _validate_figure(obj.get("figure"), series)
    options = obj.get("options", {})
    _expect(options, dict, "options", "an object (free JSON for the card type)")
    out = {
        "schema": SCHEMA_VERSION,
        "id": fid,
        "title": title,
        "tab": tab,
        "card": card,
        "series": series,
        "figure": figure,
        "options": options,
    }
    if "version" in obj:
        version = _expect(obj["version"], int, "version", "a positive integer (kept by the store)")
        if version < 1:
            raise DefinitionError(f"version must be a positive integer (kept by the store), got {version}.")
        out["version"] = version
    if "updated" in obj:
        out["updated"] = float(_expect(obj["updated"], (int, float), "updated", "a time in seconds"))
    return out


def merge_patch(target, patch):
    """``target`` with ``patch`` merged in (JSON Merge Patch, RFC 7386): objects merge, null deletes a key.

    Examples
    --------
    >>> merge_patch({"a": {"b": 1, "c": 2}, "d": [1]}, {"a": {"b": None, "e": 3}, "d": [2]})
    {'a': {'c': 2, 'e': 3}, 'd': [2]}
    """
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


def strip_store_keys(definition: dict) -> dict:
    """The definition without the store's bookkeeping (``version``, ``updated``).

    Examples
    --------
    >>> strip_store_keys({"id": "a", "version": 3, "updated": 1.0})
    {'id': 'a'}
    """
    return {k: v for k, v in definition.items() if k not in STORE_KEYS}


# --------------------------------------------------------------------------------------------- store


class FigureStore:
    """The figure definitions of one database (``ploteries.open(path).figures``): add, list, get, update, delete.

    Each definition is the document ``figure/<id>`` of the database. Every change is one locked
    read-modify-write transaction, safe while writers of other processes append data. The store keeps
    ``version`` (1 on add, +1 on every update) and ``updated`` (``time.time()`` of the last change) in each
    definition so pollers see changes cheaply. Iterating gives the ids, like a mapping.

    Examples
    --------
    >>> figs = ploteries.open("runs/db.h5").figures                                 # doctest: +SKIP
    >>> figs.add(id="loss", series={"l": {"tag": "loss"}},
    ...          figure={"data": [{"x": "$l.step", "y": "$l.value", "name": "$run"}]})  # doctest: +SKIP
    >>> figs.update("loss", {"figure": {"layout": {"yaxis": {"type": "log"}}}})     # doctest: +SKIP
    >>> "loss" in figs, len(figs), figs.get("loss")["version"]                      # doctest: +SKIP
    (True, 1, 2)
    >>> figs.delete("loss")                                                          # doctest: +SKIP
    """

    def __init__(self, database: str | Path | Database):
        """``database``: the path of a database, or an open :class:`~ploteries.storage.Database` to share."""
        self._database = database if isinstance(database, Database) else None
        self.path = Path(database.path if self._database is not None else database)

    def _stored(self) -> dict[str, dict]:
        """The stored definitions (fresh copies), by id."""
        if self._database is None:
            self._database = Database(self.path)
        documents = self._database.documents()
        return {
            name[len(DOCUMENT_PREFIX) :]: value
            for name, value in documents.items()
            if name.startswith(DOCUMENT_PREFIX)
        }

    def _missing(self, fid: str, ids) -> FigureNotFoundError:
        return FigureNotFoundError(
            f"no figure {fid!r} in {self.path}{_suggest(str(fid), ids)}; figures: {sorted(ids) or 'none'}"
        )

    def ids(self) -> list[str]:
        """The figure ids, sorted."""
        return sorted(self._stored())

    def list(self) -> list[dict]:
        """Every definition (as stored, with ``version`` and ``updated``), sorted by id."""
        stored = self._stored()
        return [stored[fid] for fid in sorted(stored)]

    def get(self, fid: str, /) -> dict:
        """One definition; ``FigureNotFoundError`` (a ``KeyError``) naming the existing ids if absent."""
        stored = self._stored()
        if fid not in stored:
            raise self._missing(fid, stored)
        return stored[fid]

    def add(self, definition: Mapping | None = None, /, **fields) -> dict:
        """Add a new definition (a dict and/or keyword fields); returns it as stored.

        Raises ``DefinitionError`` for an invalid definition and for an id that exists (use :meth:`update`).
        """
        new = validate_definition({**(definition or {}), **fields})

        def add_one(documents: dict) -> dict:
            name = DOCUMENT_PREFIX + new["id"]
            if name in documents:
                raise DefinitionError(
                    f"a figure with id {new['id']!r} exists in {self.path}; pick another id, or change it with "
                    f"update({new['id']!r}, ...) (ploteries figures edit)."
                )
            documents[name] = {**strip_store_keys(new), "version": 1, "updated": time.time()}
            return documents

        return self._write(add_one)[new["id"]]

    def update(
        self,
        fid: str,
        changes: Mapping | Callable[[dict], dict] | None = None,
        /,
        *,
        replace: bool = False,
        if_version: int | None = None,
        **fields,
    ) -> dict:
        """Change a definition; returns it as stored (``version`` + 1).

        Parameters
        ----------
        changes : dict or callable
            A dict is deep-merged into the definition (JSON Merge Patch: objects merge, lists are replaced,
            null removes a key so its default applies); with ``replace=True`` it replaces the definition.
            A callable gets the current definition and returns the new one (runs inside the write lock:
            keep it short).
        if_version : int, optional
            Fail (nothing written) unless the stored ``version`` is this one: an edit based on a stale copy.
        **fields
            Top-level fields merged like ``changes``.
        """

        def update_one(documents: dict) -> dict:
            name = DOCUMENT_PREFIX + fid
            if name not in documents:
                raise self._missing(fid, [n[len(DOCUMENT_PREFIX) :] for n in documents])
            current = documents[name]
            if if_version is not None and current.get("version") != if_version:
                raise StaleDefinitionError(
                    f"figure {fid!r} changed meanwhile (version {current.get('version')}, expected "
                    f"{if_version}); nothing written: start again from the current definition."
                )
            base = strip_store_keys(current)
            if changes is not None and not callable(changes) and not isinstance(changes, Mapping):
                raise DefinitionTypeError(
                    f"changes must be a dict (merged), a callable or None, got {type(changes).__name__}."
                )
            if callable(changes):
                wanted = merge_patch(changes(copy.deepcopy(base)), fields)
            elif replace:
                wanted = {**(changes or {}), **fields}
            else:
                wanted = merge_patch(merge_patch(base, dict(changes or {})), fields)
            _expect(wanted, dict, "the updated definition", "an object")
            wanted = {"id": fid, **strip_store_keys(wanted)}
            if wanted["id"] != fid:
                raise DefinitionError(
                    f"id cannot change from {fid!r} to {wanted['id']!r}; add a copy with the new id and delete "
                    "the old one."
                )
            new = validate_definition(wanted)
            documents[name] = {**new, "version": int(current.get("version", 0)) + 1, "updated": time.time()}
            return documents

        return self._write(update_one)[fid]

    def delete(self, fid: str, /, *more: str) -> None:
        """Delete one or more definitions in one transaction; none is deleted if any id is missing."""

        def delete_all(documents: dict) -> dict:
            ids = [n[len(DOCUMENT_PREFIX) :] for n in documents if n.startswith(DOCUMENT_PREFIX)]
            for one in (fid, *more):
                if DOCUMENT_PREFIX + one not in documents:
                    raise self._missing(one, ids)
            for one in (fid, *more):
                del documents[DOCUMENT_PREFIX + one]
            return documents

        self._write(delete_all)

    def _write(self, change: Callable[[dict], dict]) -> dict[str, dict]:
        target = self._database.backend if self._database is not None else self.path
        documents = update_documents(target, change, create=False)
        return {n[len(DOCUMENT_PREFIX) :]: v for n, v in documents.items() if n.startswith(DOCUMENT_PREFIX)}

    def __contains__(self, fid, /) -> bool:
        return fid in self._stored()

    def __iter__(self) -> Iterator[str]:
        return iter(self.ids())

    def __len__(self) -> int:
        return len(self._stored())

    def __repr__(self) -> str:
        return f"<ploteries.FigureStore {str(self.path)!r}>"


__all__ = [
    "DOCUMENT_PREFIX",
    "MAX_DEFINITION_BYTES",
    "SCHEMA_VERSION",
    "TRACE_TYPES",
    "DefinitionError",
    "DefinitionTypeError",
    "FigureNotFoundError",
    "FigureStore",
    "StaleDefinitionError",
    "check_json",
    "merge_patch",
    "strip_store_keys",
    "validate_binding",
    "validate_definition",
]
