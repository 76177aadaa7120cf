"""Pieces shared by the graph cards that carry controls of their own (histogram, PR curve, tensor cards).

- :func:`run_choice` / :func:`run_dropdown`: cards that show one run at a time pick it from a dropdown
  inside the card (hidden when there is a single run).
- :func:`nothing_message`: what a graph card says when it has nothing to draw.
- :func:`records_of`: the (steps, wall times, values) of what ``Database.read`` returned, fixed or ragged.
- :func:`control_row`: a row of small labelled controls above the graph.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from dash import MATCH, Input, Output, State, dcc, html, no_update

from ..ids import VIEW_STATES, card_id
from ..library import SeriesRef
from ..settings import run_key_value
from ..ticks import stamp_state, unstamped
from .base import CardContext, read_series
from .common import in_card_context

__all__ = [
    "control_row",
    "latest_at",
    "nothing_message",
    "read_rows",
    "records_of",
    "register_redraw",
    "row_spans",
    "run_choice",
    "run_dropdown",
    "run_value",
]


def nothing_message(what: str, step: int | None) -> str:
    """``"no <what>"``, with ``" at or before step N"`` when rewound.

    Examples
    --------
    >>> nothing_message("histogram", None), nothing_message("PR curve", 4)
    ('no histogram', 'no PR curve at or before step 4')
    """
    return f"no {what}" if step is None else f"no {what} at or before step {step}"


def register_redraw(app, inputs: Sequence[tuple[str, str]], draw: Callable) -> None:
    """A card-type callback: when one of the card's controls changes, redraw its graph and state.

    ``inputs`` are ``(component kind, property)`` of the card's controls (ids ``card_id(kind, card)``);
    ``draw(context, state, *values)`` returns ``(figure, state)``, or None to leave the card as it is.
    """

    @app.callback(
        Output(card_id("card-graph", MATCH), "figure", allow_duplicate=True),
        Output(card_id("card-state", MATCH), "data", allow_duplicate=True),
        *[Input(card_id(kind, MATCH), prop) for kind, prop in inputs],
        State(card_id("card-state", MATCH), "data"),
        *VIEW_STATES,
        prevent_initial_call=True,
    )
    @in_card_context(app, outputs=2)
    def redraw_card(context, *args):
        values, state = args[:-1], args[-1]
        drawn = draw(context, unstamped(state), *values)
        return (no_update, no_update) if drawn is None else (drawn[0], stamp_state(drawn[1]))


def run_value(ref: SeriesRef) -> str:
    """The dropdown value naming a series' run."""
    return run_key_value(ref.source, ref.run)


def run_choice(refs: Sequence[SeriesRef], wanted: Any) -> SeriesRef | None:
    """The series of the run the user picked (``wanted``, a :func:`run_value`), else the first; None if none.

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> refs = [SeriesRef("a.h5", NS(run=r, tag="t", part="", kind="histogram")) for r in ("r1", "r2")]
    >>> run_choice(refs, run_value(refs[1])).run, run_choice(refs, "gone").run
    ('r2', 'r1')
    """
    for ref in refs:
        if run_value(ref) == wanted:
            return ref
    return refs[0] if refs else None


def run_dropdown(ctx: CardContext, kind: str, refs: Sequence[SeriesRef], chosen: SeriesRef | None):
    """A dropdown of the runs of ``refs`` (id ``card_id(kind, card)``), hidden when there is only one."""
    options = [{"label": ctx.label(r), "value": run_value(r)} for r in refs]
    return html.Div(
        [
            html.Span("run", className="control-label"),
            dcc.Dropdown(
                id=card_id(kind, ctx.card_id),
                options=options,
                value=None if chosen is None else run_value(chosen),
                clearable=False,
                searchable=len(options) > 8,
                className="control-dropdown",
            ),
        ],
        className="control",
        style={} if len(refs) > 1 else {"display": "none"},
    )


def control_row(*children) -> html.Div:
    """A row of small controls above a card's graph."""
    return html.Div(list(children), className="card-controls")


def records_of(result) -> tuple[np.ndarray, np.ndarray, list]:
    """``(steps, wall_times, values)`` of a read: a structured array (fixed shape) or ragged records.

    Examples
    --------
    >>> rec = np.zeros(2, [("step", "i8"), ("wall_time", "f8"), ("value", "f8", (3,))])
    >>> steps, walls, values = records_of(rec)
    >>> steps.tolist(), values[1].shape
    ([0, 0], (3,))
    """
    if result is None:
        return np.empty(0, np.int64), np.empty(0), []
    if isinstance(result, np.ndarray):
        values = result["value"]
        return (
            result["step"].astype(np.int64),
            result["wall_time"].astype(np.float64),
            [values[i] for i in range(len(result))],
        )
    return result.step, result.wall_time, list(result.values)


def latest_at(ctx: CardContext, ref: SeriesRef) -> tuple[int, float, Any] | None:
    """The latest record of a series at or before the rewind step: ``(step, wall_time, value)``, or None.

    Live, that is the last row. Rewound, rows are searched by bisection on their steps (one row read per
    probe, so a series of large arrays is never read whole): with steps that never decrease, as training
    loops and ``purge_step`` resumes write them, it is the latest record at or before the step.
    """
    info = ctx.snapshot.info(ref.key)
    db = ctx.library.database(ref.source)
    if info is None or db is None or info.count == 0:
        return None

    def row(i: int) -> tuple[int, float, Any] | None:
        steps, walls, values = records_of(db.read(ref.run, ref.tag, ref.part, from_row=i, to_row=i + 1))
        return (int(steps[0]), float(walls[0]), values[0]) if values else None

    last = row(info.count - 1)
    stop = ctx.settings.stop
    if last is None or stop is None or last[0] < stop:
        return last
    lo, hi = 0, info.count - 1  # invariant: row hi has step >= stop; the answer is below hi
    found = None
    while lo < hi:
        mid = (lo + hi) // 2
        rec = row(mid)
        if rec is None:
            return None
        if rec[0] < stop:
            found, lo = rec, mid + 1
        else:
            hi = mid
    return found


def row_spans(rows: Sequence[int], max_gap: int = 200, max_len: int = 2000) -> list[tuple[int, int]]:
    """Row spans ``[a, b)`` covering increasing ``rows``: rows closer than ``max_gap`` share a span.

    Reading one row of a compressed series costs about as much as reading a couple of hundred contiguous
    ones (the whole chunk is decompressed), so picks close together are read as one span, at most
    ``max_len`` rows long (bounded memory).

    Examples
    --------
    >>> row_spans([0, 5, 10, 1000, 1001, 5000], max_gap=50)
    [(0, 11), (1000, 1002), (5000, 5001)]
    >>> row_spans([0, 10, 20, 30], max_gap=50, max_len=15)
    [(0, 11), (20, 31)]
    """
    spans: list[list[int]] = []
    for r in rows:
        r = int(r)
        if spans and r - spans[-1][1] < max_gap and r + 1 - spans[-1][0] <= max_len:
            spans[-1][1] = r + 1
        else:
            spans.append([r, r + 1])
    return [(a, b) for a, b in spans]


def read_rows(
    ctx: CardContext, ref: SeriesRef, rows: Sequence[int], *, max_gap: int = 200, max_len: int = 2000
) -> list[tuple[int, float, Any] | None]:
    """The records ``(step, wall_time, value)`` at some increasing row indices of a series (None if gone).

    Rows are read in :func:`row_spans`, a few spans per open of the file, holding at most about
    ``max_len`` rows in memory at a time.
    """
    wanted = [int(r) for r in rows]
    out: dict[int, tuple[int, float, Any]] = {}
    spans = row_spans(wanted, max_gap, max_len)
    batch: list[tuple[int, int]] = []

    def flush() -> None:
        reads = read_series(
            ctx.library, [ref] * len(batch), from_rows=[a for a, _ in batch], to_rows=[b for _, b in batch]
        )
        for (a, b), res in zip(batch, reads):
            steps, walls, values = records_of(res)
            for r in range(a, min(b, a + len(values))):
                out[r] = (int(steps[r - a]), float(walls[r - a]), values[r - a])
        batch.clear()

    held = 0
    for a, b in spans:
        if batch and held + (b - a) > max_len:
            flush()
            held = 0
        batch.append((a, b))
        held += b - a
    if batch:
        flush()
    keep = set(wanted)
    for r in [k for k in out if k not in keep]:
        del out[r]
    return [out.get(r) for r in wanted]
