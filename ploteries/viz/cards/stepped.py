"""Cards that show one record per run at a chosen step: images, text, audio, video.

The card has its own step slider over the steps any of its runs logged (capped by the global rewind), set to
the latest step by default; each run's block shows that run's latest record at or before the chosen step.

State in the browser (the card's ``card-state`` store), made by :meth:`SteppedCard.scan`::

    {"card": name, "sig": settings signature, "steps": [union of steps <= the rewind step],
     "runs": [{"key": [source, run, tag, part], "fp": fingerprint, "n": rows, "steps": [step of each row]}]}

A live tick reads only the steps of rows past ``n`` (the steps column alone, never the pixels), and returns
None when no run changed. Two per-card callbacks redraw the body:

- ``<name>-step`` (the slider, an index into ``steps``) -> ``<name>-pick`` (the chosen step, None = latest);
- ``card-state`` or ``<name>-pick`` changed -> the run blocks, the slider's range and position. New steps
  extend the slider; a user who had picked an older step keeps it, one at the latest follows the new latest.
"""

from __future__ import annotations

import glob
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import dash
import numpy as np
from dash import MATCH, Input, Output, State, dcc, html, no_update

from ploteries.storage import array_to_text

from ..ids import VIEW_STATES, card_id
from ..library import SeriesRef
from ..media import MediaError, lookup_file
from ..media_files import MediaLookup
from .base import CardContent, CardContext, CardType, CardUpdate, read_series
from .common import in_card_context, no_updates

__all__ = ["SteppedCard", "pick_row", "pick_step", "union_steps"]


def union_steps(step_lists: Sequence[Sequence[int]], cap: int | None) -> list[int]:
    """The sorted distinct steps of several runs, up to ``cap`` (the rewind step; None for all).

    Examples
    --------
    >>> union_steps([[0, 10, 20], [5, 10, 30]], cap=20)
    [0, 5, 10, 20]
    """
    found = {int(s) for steps in step_lists for s in steps}
    return sorted(s for s in found if cap is None or s <= cap)


def pick_step(steps: Sequence[int], pick: int | None) -> int | None:
    """The step a card shows: the latest of ``steps`` at or before ``pick`` (None: the latest of all).

    Examples
    --------
    >>> pick_step([0, 5, 10], 7), pick_step([0, 5, 10], None), pick_step([5, 10], 2)
    (5, 10, None)
    """
    if not steps:
        return None
    if pick is None:
        return int(steps[-1])
    before = [s for s in steps if s <= pick]
    return int(before[-1]) if before else None


def pick_row(row_steps: Sequence[int], step: int | None) -> int | None:
    """The row of one run to show at ``step``: the largest step <= ``step``, the last such row on ties.

    Examples
    --------
    >>> pick_row([0, 10, 10, 20], 15), pick_row([0, 10, 20], 20), pick_row([5], 2)
    (2, 2, None)
    """
    if step is None or len(row_steps) == 0:
        return None
    steps = np.asarray(row_steps, np.int64)
    ok = steps <= step
    if not ok.any():
        return None
    best = steps[ok].max()
    return int(np.flatnonzero(steps == best)[-1])


def _int_list(value) -> list[int] | None:
    if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        return None
    return value


class SteppedCard(CardType):
    """Base of the cards that show one record per run at a step chosen with the card's own slider."""

    uses_graph = False
    view_inputs: ClassVar[dict[str, tuple[str, Any]]] = {}
    """Controls of the card that change how blocks are drawn: ``{suffix: (property, default)}`` for the
    components ``<name>-<suffix>``; their values reach :meth:`content` as ``view``."""
    file_part: ClassVar[str | None] = None  # the part holding a media file's path instead of the value
    what: ClassVar[str] = "record"  # what one record is called in messages

    # ------------------------------------------------------------------------------------ definitions

    def default_definition(self, tag: str, kind: str) -> dict:
        d = super().default_definition(tag, kind)
        binding = {"run": "*", "tag": glob.escape(tag), "kind": kind}
        d["series"] = {"value": {**binding, "part": ""}}
        if self.file_part is not None:
            d["series"]["file"] = {**binding, "part": self.file_part}
        d["figure"] = {}
        return d

    def refs(self, ctx: CardContext) -> list[SeriesRef]:
        """One series per run: the first binding's where a run has several (pixels before files)."""
        seen, out = set(), []
        for refs in ctx.bound.values():
            for ref in refs:
                if (ref.run_key, ref.tag) not in seen:
                    seen.add((ref.run_key, ref.tag))
                    out.append(ref)
        return out

    # ------------------------------------------------------------------------------------------ state

    def scan(self, ctx: CardContext, old: Mapping | None = None) -> dict:
        """The card's state: each run's row steps (reusing ``old``'s where nothing changed)."""
        held = {}
        for e in (old or {}).get("runs") or []:
            if isinstance(e, Mapping) and isinstance(e.get("key"), list):
                held[tuple(e["key"])] = e
        entries: list[dict | None] = []
        todo: list[tuple[int, SeriesRef, Any, int, list[int]]] = []
        for ref in self.refs(ctx):
            info = ctx.snapshot.info(ref.key)
            if info is None:
                continue
            prev = held.get(ref.key)
            steps = _int_list(prev.get("steps")) if prev else None
            same = prev is not None and steps is not None and prev.get("fp") == info.fingerprint
            if same and prev.get("n") == info.count == len(steps):
                entries.append(dict(prev))
                continue
            keep = steps if same and len(steps) == prev.get("n") and len(steps) <= info.count else []
            todo.append((len(entries), ref, info, len(keep), keep))
            entries.append(None)
        if todo:
            read = read_series(
                ctx.library, [t[1] for t in todo], from_rows=[t[3] for t in todo], fields=("step",)
            )
            for (i, ref, info, _, keep), got in zip(todo, read):
                steps = keep + ([] if got is None else np.asarray(got, np.int64).tolist())
                entries[i] = {"key": list(ref.key), "fp": info.fingerprint, "n": len(steps), "steps": steps}
        runs = [e for e in entries if e is not None]
        return {
            "card": self.name,
            "sig": ctx.settings.signature,
            "steps": union_steps([e["steps"] for e in runs], ctx.settings.step),
            "runs": runs,
        }

    def refresh(self, ctx: CardContext, state: dict, *, live: bool) -> CardUpdate | None:
        state = state if isinstance(state, Mapping) else {}
        if live and ctx.settings.step is not None and state.get("sig") == ctx.settings.signature:
            return None  # rewound: the card shows a fixed past
        new = self.scan(ctx, state)
        return None if new == state else CardUpdate(state=new)

    # ---------------------------------------------------------------------------------------- drawing

    def media_file(self, ctx: CardContext, ref: SeriesRef, record) -> tuple[str, MediaLookup, Any]:
        """The path a file-part record holds, its lookup, and the placeholder to show when it is not found."""
        recorded = array_to_text(np.asarray(record.value))
        found = lookup_file(ctx.library, ref.source, recorded)
        placeholder = None
        if not found.found:
            word = "not found" if found.error == "not found" else found.error
            placeholder = html.Div(f"{self.what} file {word}: {recorded}", className="media-placeholder")
        return recorded, found, placeholder

    def controls(self, ctx: CardContext) -> list:
        """Controls of the card type shown above the runs (beside the step slider)."""
        return []

    def runs_class(self) -> str:
        return "media-runs"

    def content(
        self, ctx: CardContext, ref: SeriesRef, row: int, step: int, view: Mapping
    ) -> tuple[Any, str]:
        """One run's block for its record ``row`` (logged at ``step``): the body, and extra words for the
        block's heading (after the run's name and step). ``view`` holds the :attr:`view_inputs` values."""
        raise NotImplementedError

    def _block(self, ctx: CardContext, entry: Mapping, step: int | None, view: Mapping) -> html.Div | None:
        key = tuple(entry.get("key") or ())
        info = ctx.snapshot.info(key)
        if info is None:
            return None
        ref = SeriesRef(key[0], info)
        row_steps = _int_list(entry.get("steps")) or []
        row = pick_row(row_steps, step)
        head = [html.Span(className="swatch", style={"background": ctx.color(ref)})]
        head.append(html.Span(ctx.label(ref), className="media-run-name"))
        if row is None:
            body = html.Div(f"no {self.what} at or before step {step}", className="media-missing")
        else:
            head.append(html.Span(f"step {row_steps[row]}", className="media-run-step"))
            try:
                body, extra = self.content(ctx, ref, row, row_steps[row], view)
            except (MediaError, OSError, ValueError, KeyError, TypeError) as exc:
                body, extra = html.Div(f"cannot show this {self.what}: {exc}", className="card-error"), ""
            if extra:
                head.append(html.Span(extra, className="media-run-info"))
        return html.Div(
            [html.Div(head, className="media-run-head"), html.Div(body, className="media-run-body")],
            className="media-run",
        )

    def blocks(
        self, ctx: CardContext, state: Mapping, pick: int | None, view: Mapping | None = None
    ) -> tuple[list, int, int, str, str]:
        """The run blocks at the picked step: ``(children, slider max, slider index, step label, bar class)``.

        The slider is hidden while there is a single step to show.
        """
        steps = _int_list(state.get("steps")) or []
        step = pick_step(steps, pick)
        view = {k: default for k, (_, default) in self.view_inputs.items()} | dict(view or {})
        runs = state.get("runs") or []
        children = [b for e in runs if (b := self._block(ctx, e, step, view)) is not None]
        if not children:
            children = [html.Div(f"no {self.what} to show", className="media-missing")]
        index = steps.index(step) if step is not None else 0
        label = f"step {step} · {index + 1} of {len(steps)}" if step is not None else "no steps"
        bar = "media-step" if len(steps) > 1 else "media-step single"
        return children, max(len(steps) - 1, 0), index, label, bar

    def render(self, ctx: CardContext) -> CardContent:
        state = self.scan(ctx)
        children, top, index, label, bar_class = self.blocks(ctx, state, None)
        cid, n = ctx.card_id, self.name
        slider = dcc.Slider(
            id=card_id(f"{n}-step", cid),
            min=0,
            max=top,
            step=1,
            value=index,
            marks=None,
            updatemode="mouseup",
            allow_direct_input=False,  # the slider moves over logged steps: its value is an index
            className="media-step-slider",
        )
        bar = html.Div(
            [
                html.Div(slider, className="media-step-box"),
                html.Span(label, id=card_id(f"{n}-step-label", cid), className="media-step-label"),
            ],
            id=card_id(f"{n}-step-bar", cid),
            className=bar_class,
        )
        body = html.Div(
            [
                bar,
                *self.controls(ctx),
                html.Div(children, id=card_id(f"{n}-runs", cid), className=self.runs_class()),
                dcc.Store(id=card_id(f"{n}-pick", cid), data=None),
            ],
            className=f"media-card media-card-{n}",
        )
        return CardContent(body=body, state=state)

    # -------------------------------------------------------------------------------------- callbacks

    def register_callbacks(self, app) -> None:
        n = self.name

        @app.callback(
            Output(card_id(f"{n}-pick", MATCH), "data"),
            Input(card_id(f"{n}-step", MATCH), "value"),
            State(card_id("card-state", MATCH), "data"),
            State(card_id(f"{n}-pick", MATCH), "data"),
            prevent_initial_call=True,
        )
        def pick(index, state, old):
            steps = _int_list((state or {}).get("steps")) or []
            if not isinstance(index, int) or not steps:
                return no_update
            index = min(max(index, 0), len(steps) - 1)
            new = None if index == len(steps) - 1 else steps[index]
            return no_update if new == old else new

        @app.callback(
            Output(card_id(f"{n}-runs", MATCH), "children"),
            Output(card_id(f"{n}-step", MATCH), "max"),
            Output(card_id(f"{n}-step", MATCH), "value"),
            Output(card_id(f"{n}-step-label", MATCH), "children"),
            Output(card_id(f"{n}-step-bar", MATCH), "className"),
            Input(card_id("card-state", MATCH), "data"),
            Input(card_id(f"{n}-pick", MATCH), "data"),
            *[Input(card_id(f"{n}-{k}", MATCH), prop) for k, (prop, _) in self.view_inputs.items()],
            *VIEW_STATES,
            prevent_initial_call=True,
        )
        @in_card_context(app, outputs=5)
        def draw(context, state, picked, *values):
            if not isinstance(state, Mapping):
                return no_updates(5)
            options = dict(zip(self.view_inputs, values))
            picked = picked if isinstance(picked, int) and not isinstance(picked, bool) else None
            children, top, index, label, bar = self.blocks(context, state, picked, options)
            # a pick made on the slider is not written back: the slider may have moved on since (arrow keys)
            by_slider = dash.ctx.triggered_id.get("type") == f"{n}-pick"
            return children, top, no_update if by_slider else index, label, bar
