"""What the hparams, mesh, embedding and graph cards share: bodies redrawn by their own callbacks from the
card's state store, a per-card step choice that follows live data and honours the global rewind.

A :class:`StateCard`'s :meth:`~StateCard.refresh` only says *that* its data changed: a digest of its series
(fingerprint and row count) and of the rewind step. When the digest moves, the new state lands in the card's
``card-state`` store and the card type's own MATCH callback redraws the body. The step helpers pick "the
latest record with step <= the chosen step", like the global step slider.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
from dash import MATCH, Output, dcc, html

from ploteries.storage import RaggedRecords

from ..ids import card_id
from ..library import SeriesRef
from ..settings import run_key_value
from .base import CardContext, CardType, CardUpdate, read_series

__all__ = [
    "STEP_PROPS",
    "StateCard",
    "choose_step",
    "follow_step",
    "part_ref",
    "pick_row",
    "read_value",
    "run_dropdown",
    "series_digest",
    "series_steps",
    "slider_marks",
    "step_outputs",
    "step_slider",
    "value_at_step",
]


def series_digest(ctx: CardContext, refs: Sequence[SeriesRef] | None = None, *extra) -> str:
    """A short digest of the series' identity, fingerprint and row count, the rewind step and ``extra``."""
    h = hashlib.blake2b(digest_size=8)
    h.update(repr(ctx.settings.step).encode())
    for ref in ctx.series if refs is None else refs:
        info = ctx.snapshot.info(ref.key)
        h.update(repr((ref.key, None if info is None else (info.fingerprint, info.count))).encode())
    h.update(repr(extra).encode())
    return h.hexdigest()


class StateCard(CardType):
    """A card whose body its own callbacks redraw when :meth:`digest` changes (``uses_graph = False``)."""

    uses_graph = False

    def digest(self, ctx: CardContext) -> str:
        return series_digest(ctx)

    def initial_state(self, ctx: CardContext) -> dict:
        return {"card": self.name, "digest": self.digest(ctx)}

    def refresh(self, ctx: CardContext, state: dict, *, live: bool) -> CardUpdate | None:
        digest = self.digest(ctx)
        if isinstance(state, dict) and state.get("digest") == digest:
            return None
        return CardUpdate(state={**(state if isinstance(state, dict) else {}), "digest": digest})


def series_steps(ctx: CardContext, refs: Sequence[SeriesRef]) -> list[np.ndarray]:
    """The steps of each series up to the rewind position (read without the values); empty where gone."""
    got = read_series(ctx.library, refs, stop=ctx.settings.stop, fields=("step",))
    return [np.empty(0, np.int64) if s is None else np.asarray(s, np.int64) for s in got]


def pick_row(steps: np.ndarray, wanted: int | None) -> int | None:
    """Row of the latest record with step <= ``wanted`` (the last one logged at that step); None if none.

    ``wanted=None`` picks the latest record.

    Examples
    --------
    >>> pick_row(np.array([0, 10, 10, 20]), 15), pick_row(np.array([0, 10]), None), pick_row(np.array([5]), 1)
    (2, 1, None)
    """
    if len(steps) == 0:
        return None
    if wanted is None:
        return int(np.flatnonzero(steps == steps.max())[-1])
    ok = np.flatnonzero(steps <= wanted)
    if len(ok) == 0:
        return None
    best = steps[ok].max()
    return int(ok[steps[ok] == best][-1])


def follow_step(value, old_max, new_max: int) -> int:
    """The step a card shows after its data changed: the latest when it showed the latest, else the same.

    ``old_max=None`` means the user chose ``value``: it is kept (within the data).

    Examples
    --------
    >>> follow_step(None, None, 30), follow_step(20, 20, 30), follow_step(10, 20, 30), follow_step(50, 60, 30)
    (30, 30, 10, 30)
    >>> follow_step(10, None, 30)
    10
    """
    if not isinstance(value, int | float) or isinstance(value, bool):
        return int(new_max)
    if old_max is not None and value >= old_max:
        return int(new_max)
    return int(min(value, new_max))


def choose_step(steps: np.ndarray, wanted, old_max) -> tuple[int, int, dict] | None:
    """``(row, step shown, slider props)`` for a card's step slider over a series' ``steps``; None if empty.

    ``wanted`` is the slider's value, ``old_max`` its max before the data changed (None when the user moved
    it): a slider at its max follows the latest record. The props are ``min, max, value, marks`` and
    ``style`` (hidden with a single step, where ``max == value`` so that it keeps following).

    Examples
    --------
    >>> row, shown, props = choose_step(np.array([0, 5, 10]), 7, None)
    >>> row, shown, props["value"], props["max"]
    (1, 5, 7, 10)
    >>> choose_step(np.array([3]), None, None)[2]["style"]
    {'display': 'none'}
    """
    if len(steps) == 0:
        return None
    distinct = sorted(set(np.asarray(steps).tolist()))
    step = follow_step(wanted, old_max, distinct[-1])
    row = pick_row(steps, step)
    row = int(np.argmin(steps)) if row is None else row
    single = len(distinct) == 1
    props = {
        "min": distinct[0] - 1 if single else distinct[0],
        "max": distinct[-1],
        "value": distinct[0] if single else step,
        "marks": slider_marks(distinct),
        "style": {"display": "none"} if single else {},
    }
    return row, int(steps[row]), props


def read_value(ctx: CardContext, ref: SeriesRef, row: int) -> np.ndarray | None:
    """The value of one record (by row) of a series, or None if it is gone."""
    (rec,) = read_series(ctx.library, [ref], from_rows=[row], to_rows=[row + 1])
    if rec is None or len(rec) == 0:
        return None
    return np.asarray(rec.values[0] if isinstance(rec, RaggedRecords) else rec[0]["value"])


def part_ref(ctx: CardContext, ref: SeriesRef, part: str) -> SeriesRef | None:
    """Another part of the same run and tag, if the snapshot has it."""
    if part == ref.part:
        return ref
    info = ctx.snapshot.info((ref.source, ref.run, ref.tag, part))
    return None if info is None else SeriesRef(ref.source, info)


def value_at_step(ctx: CardContext, ref: SeriesRef, part: str, step: int) -> np.ndarray | None:
    """The value of ``part`` logged at exactly ``step`` (the latest such record), or None."""
    other = part_ref(ctx, ref, part)
    if other is None:
        return None
    (steps,) = series_steps(ctx, [other])
    rows = np.flatnonzero(steps == step)
    return None if len(rows) == 0 else read_value(ctx, other, int(rows[-1]))


def slider_marks(steps: Sequence[int], count: int = 5) -> dict:
    """A few labelled marks (first, last and some between) for a step slider.

    Examples
    --------
    >>> slider_marks([0, 10, 20, 30, 40, 50], count=3)
    {0: '0', 20: '20', 50: '50'}
    """
    steps = sorted(set(int(s) for s in steps))
    if not steps:
        return {}
    picks = np.unique(np.linspace(0, len(steps) - 1, min(count, len(steps))).round().astype(int))
    return {steps[i]: str(steps[i]) for i in picks}


def step_slider(kind: str, card: str, props: dict) -> html.Div:
    """A card's step slider ``{kind}-step`` in its box ``{kind}-step-box``, from :func:`choose_step`'s props."""
    return html.Div(
        dcc.Slider(
            id=card_id(f"{kind}-step", card),
            min=props["min"],
            max=props["max"],
            step=1,
            value=props["value"],
            marks=props["marks"],
            updatemode="mouseup",
        ),
        id=card_id(f"{kind}-step-box", card),
        className="card-step",
        style=props["style"],
    )


def step_outputs(kind: str) -> list[Output]:
    """The outputs of a step slider made by :func:`step_slider` (min, max, value, marks, box style)."""
    return [Output(card_id(f"{kind}-step", MATCH), p) for p in ("min", "max", "value", "marks")] + [
        Output(card_id(f"{kind}-step-box", MATCH), "style")
    ]


STEP_PROPS = ("min", "max", "value", "marks", "style")
"""The keys of :func:`choose_step`'s props, in the order of :func:`step_outputs`."""


def run_dropdown(ctx: CardContext, refs: Sequence[SeriesRef], kind: str) -> tuple[dcc.Dropdown, list[str]]:
    """A dropdown choosing one run of the card's series (hidden when there is only one), and its values."""
    values = [run_key_value(r.source, r.run) for r in refs]
    options = [
        {
            "label": html.Span(
                [html.Span(className="swatch", style={"background": ctx.color(r)}), ctx.label(r)]
            ),
            "value": v,
        }
        for r, v in zip(refs, values)
    ]
    dropdown = dcc.Dropdown(
        id={"type": kind, "card": ctx.card_id},
        options=options,
        value=values[0] if values else None,
        clearable=False,
        searchable=len(values) > 8,
        className="card-run-select",
        style={} if len(values) > 1 else {"display": "none"},
    )
    return dropdown, values
