"""The generic card of any stored array or record array (kind ``tensor``, and every kind no card type draws).

Top: the latest record at or before the rewind step, of the run picked in the card, as a table: 2-D arrays
as rows x columns, record arrays with one column per field (nested fields flattened ``a.b``), large arrays
cut to 100 rows / 50 columns with a note saying so (:func:`ploteries.viz.services.records.table_of`).
UTF-8 text and JSON documents stored as bytes (text, hparams, graph kinds) are shown as text.

Bottom: a line per run over steps of the mean of the value, or of a numeric field chosen in the card,
drawn by the scalar pipeline (:class:`~ploteries.viz.cards.scalar.ScalarCard`: bounded-memory chunked
reads, min/max downsampling, live ``Patch`` appends, zoom to full resolution, CSV/JSON export).

The table follows the card's state: every live tick that changes the state redraws it (the card's own
callback), so it shows the newest record while the line grows.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping

import numpy as np
from dash import MATCH, Input, Output, dcc, html

from ..definitions import auto_definition
from ..ids import VIEW_STATES, card_id
from ..scalar_traces import ScalarColumns
from ..services.records import Table, field_label, field_means, numeric_fields, table_of
from .base import CardContent, CardContext
from .common import graph_body, in_card_context, message_annotation
from .controls import (
    control_row,
    latest_at,
    records_of,
    register_redraw,
    run_choice,
    run_dropdown,
)
from .scalar import ScalarCard

__all__ = ["TensorCard", "record_view", "table_component"]

CHUNK_BYTES = 32 * 2**20
"""Bytes of values read at a time when a line is computed over a long series."""
MAX_TEXT = 5000
"""Characters of a text or JSON record shown."""


def table_component(table: Table) -> html.Table:
    """An HTML table of :class:`~ploteries.viz.services.records.Table` cells (first column: the index).

    Numbers are right-aligned, text columns left-aligned (class ``text``).
    """
    index_col = bool(table.header) and table.header[0] == ""
    numeric = table.numeric or [True] * len(table.header)
    align = ["" if n else "text" for n in numeric]
    head = html.Thead(html.Tr([html.Th(h, className=a) for h, a in zip(table.header, align)]))
    body = html.Tbody(
        [
            html.Tr(
                [
                    html.Th(c, className="row-index")
                    if j == 0 and index_col
                    else html.Td(c, className=align[j] if j < len(align) else "")
                    for j, c in enumerate(row)
                ]
            )
            for row in table.rows
        ]
    )
    return html.Table([head, body], className="record-table")


def _as_text(value: np.ndarray) -> str | None:
    """A 1-D uint8 record as text (pretty JSON when it parses), or None if it is not UTF-8."""
    try:
        text = value.tobytes().decode("utf-8")
    except UnicodeDecodeError:
        return None
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return text


def _describe(value: np.ndarray) -> str:
    if value.dtype.names is not None:
        kind = f"record of {len(value.dtype.names)} fields"
    else:
        kind = str(value.dtype)
    return f"{kind} {tuple(value.shape)}"


def record_view(label: str, kind: str, record: tuple | None, step_cap: int | None) -> list:
    """The table part of the card: a caption (run, step, dtype and shape), the cells and the truncation note."""
    if record is None:
        at = "" if step_cap is None else f" at or before step {step_cap}"
        return [html.Div(f"{label}: no record{at}", className="record-caption")]
    step, _, value = record
    value = np.asarray(value)
    caption = html.Div(f"{label} · step {step} · {_describe(value)}", className="record-caption")
    if kind != "tensor" and value.dtype == np.uint8 and value.ndim == 1:
        text = _as_text(value)
        if text is not None:
            shown = text[:MAX_TEXT]
            note = f"showing {len(shown)} of {len(text)} characters" if len(shown) < len(text) else ""
            return [
                caption,
                html.Pre(shown, className="record-text"),
                html.Div(note, className="record-note"),
            ]
    table = table_of(value)
    return [
        caption,
        html.Div(table_component(table), className="record-scroll"),
        html.Div(table.note, className="record-note"),
    ]


class TensorCard(ScalarCard):
    """Any array or record array: the latest record as a table, a numeric field's mean as a line over steps."""

    name = "tensor"
    chunk_bytes = CHUNK_BYTES

    def default_definition(self, tag: str, kind: str) -> dict:
        d = auto_definition(self.name, tag)
        d["options"] = {"smoothing": False}
        return d

    # ------------------------------------------------------------------------------------ the line

    def _visible(self, ctx: CardContext) -> list:
        return [r for r in ctx.series if ctx.snapshot.info(r.key) is not None]

    def _layout_of(self, ctx: CardContext) -> tuple[list[str], tuple | None]:
        """The numeric fields of the series' dtype and the record shape (of the first series that has one)."""
        for ref in self._visible(ctx):
            info = ctx.snapshot.info(ref.key)
            if info.dtype is not None:
                return numeric_fields(info.dtype), info.shape
        return [], None

    def field(self, ctx: CardContext) -> str | None:
        """The field the line shows: the one chosen in the card if it exists, else the first numeric one."""
        fields, _ = self._layout_of(ctx)
        wanted = (ctx.definition.get("options") or {}).get("field")
        if wanted in fields:
            return wanted
        return fields[0] if fields else None

    @staticmethod
    def with_field(ctx: CardContext, state: Mapping | None) -> CardContext:
        """``ctx`` with the field held in ``state`` (the user's choice) as the definition's option."""
        field = state.get("field") if isinstance(state, Mapping) else None
        if not isinstance(field, str):
            return ctx
        options = {**(ctx.definition.get("options") or {}), "field": field}
        return dataclasses.replace(ctx, definition={**ctx.definition, "options": options})

    def columns(self, ctx: CardContext, records) -> ScalarColumns:
        field = self.field(ctx)
        steps, walls, values = records_of(records)
        if field is None:
            means = np.full(len(steps), np.nan)
        elif isinstance(records, np.ndarray):
            means = field_means(records["value"], field)
        else:
            means = field_means(values, field)
        return ScalarColumns(steps, walls, means)

    def chunk_rows(self, ctx: CardContext, ref) -> int:
        info = ctx.snapshot.info(ref.key)
        if info is None or info.dtype is None or info.shape is None:
            return 4096
        row = max(1, info.dtype.itemsize * int(np.prod(info.shape)))
        return max(1, min(super().chunk_rows(ctx, ref), self.chunk_bytes // row))

    def figure_and_state(self, ctx: CardContext, x_range: tuple | None = None) -> tuple[dict, dict]:
        figure, state = super().figure_and_state(ctx, x_range)
        field = self.field(ctx)
        _, shape = self._layout_of(ctx)
        state["field"] = field
        layout = figure["layout"]
        layout["margin"] = {**layout["margin"], "t": 6}
        if field is None:
            figure["data"] = []
            layout["annotations"] = [message_annotation("no numeric field to draw over steps")]
        else:
            layout["yaxis"]["title"] = {"text": field_label(field, shape)}
        return figure, state

    def refresh(self, ctx: CardContext, state: dict, *, live: bool):
        return super().refresh(self.with_field(ctx, state), state, live=live)

    def relayout(self, ctx: CardContext, state: dict, relayout: Mapping):
        return super().relayout(self.with_field(ctx, state), state, relayout)

    # ------------------------------------------------------------------------------------ the table

    def record_body(self, ctx: CardContext, ref) -> list:
        """The table part for one run's series (``ref``), at the rewind step."""
        if ref is None:
            return [html.Div("no record in the visible runs", className="record-caption")]
        try:
            record = latest_at(ctx, ref)
            return record_view(ctx.label(ref), ref.kind, record, ctx.settings.step)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            return [html.Div(f"cannot show this record: {exc}", className="card-error")]

    def render(self, ctx: CardContext) -> CardContent:
        figure, state = self.figure_and_state(ctx)
        refs = self._visible(ctx)
        chosen = run_choice(refs, None)
        fields, shape = self._layout_of(ctx)
        field_control = html.Div(
            [
                html.Span("line", className="control-label"),
                dcc.Dropdown(
                    id=card_id("tensor-field", ctx.card_id),
                    options=[{"label": field_label(f, shape), "value": f} for f in fields if f],
                    value=state["field"] or None,
                    clearable=False,
                    searchable=len(fields) > 8,
                    className="control-dropdown",
                ),
            ],
            className="control",
            style={} if len(fields) > 1 else {"display": "none"},
        )
        body = html.Div(
            [
                control_row(field_control, run_dropdown(ctx, "tensor-run", refs, chosen)),
                html.Div(
                    self.record_body(ctx, chosen),
                    id=card_id("tensor-record", ctx.card_id),
                    className="record",
                ),
                graph_body(ctx.card_id, figure, height=190),
            ]
        )
        return CardContent(body=body, state=state)

    def register_callbacks(self, app) -> None:
        @app.callback(
            Output(card_id("tensor-record", MATCH), "children"),
            Input(card_id("card-state", MATCH), "data"),
            Input(card_id("tensor-run", MATCH), "value"),
            *VIEW_STATES,
            prevent_initial_call=True,
        )
        @in_card_context(app)
        def show_tensor_record(context, _state, run):
            return self.record_body(context, run_choice(self._visible(context), run))

        def choose_field(ctx: CardContext, state: dict, field):
            if not isinstance(field, str) or state.get("field") == field:
                return None
            return self.figure_and_state(self.with_field(ctx, {"field": field}))

        register_redraw(app, [("tensor-field", "value")], choose_field)
