"""The PR-curve card: precision against recall, a line per run, at the step chosen on the card's slider.

The slider walks the steps logged by any visible run (at or before the global rewind step); each run shows
its latest curve at or before the chosen step. It follows the latest step until the user moves it back,
and then stays there while new steps arrive. The hover names the threshold (``i / (num_thresholds - 1)``),
precision, recall and the TP / FP / TN / FN counts behind them.

State kept by the browser: per series its fingerprint, row count and the steps of its rows (so a live tick
reads only new rows), the steps on the slider, the chosen slider index and whether it follows the latest.
Two callbacks of the card's own: the slider draws the chosen step; a new state moves the slider.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from dash import MATCH, Input, Output, State, dcc, html, no_update

from ..ids import card_id
from ..services.pr_curve import latest_row, pr_points, step_marks
from .base import CardContent, CardContext, CardType, CardUpdate, read_series
from .common import base_layout, graph_body, message_figure
from .controls import control_row, nothing_message, records_of, register_redraw

__all__ = ["PrCurveCard", "pr_trace"]


def pr_trace(curve, name: str, color: str, step: int) -> dict:
    """The line of one run's curve, with the threshold and the counts in its hover.

    Examples
    --------
    >>> curve = np.array([[2, 1], [1, 0], [0, 1], [0, 1], [2 / 3, 1.0], [1.0, 0.5]])
    >>> t = pr_trace(curve, "run", "#1f77b4", 3)
    >>> t["x"], t["y"], t["customdata"][1]
    ([1.0, 0.5], [0.6666666666666666, 1.0], [1.0, 1.0, 0.0, 1.0, 1.0])
    """
    p = pr_points(curve)
    custom = np.column_stack([p.threshold, p.counts])
    return {
        "type": "scatter",
        "mode": "lines",
        "name": name,
        "x": p.recall.tolist(),
        "y": p.precision.tolist(),
        "customdata": custom.tolist(),
        "line": {"color": color, "width": 1.8},
        "hovertemplate": (
            f"<b>{name}</b> · step {step}<br>threshold %{{customdata[0]:.3f}}"
            "<br>precision %{y:.4f}<br>recall %{x:.4f}"
            "<br>TP %{customdata[1]:.6g} · FP %{customdata[2]:.6g}"
            "<br>TN %{customdata[3]:.6g} · FN %{customdata[4]:.6g}<extra></extra>"
        ),
    }


def _entries(state: Mapping) -> dict[tuple, dict]:
    entries = state.get("series") if isinstance(state, Mapping) else None
    out = {}
    for e in entries if isinstance(entries, list) else []:
        if isinstance(e, dict) and isinstance(e.get("key"), list) and isinstance(e.get("steps"), list):
            out[tuple(e["key"])] = e
    return out


class PrCurveCard(CardType):
    """Precision-recall curves of one tag, a line per run, with a step slider in the card."""

    name = "pr_curve"

    def _refs(self, ctx: CardContext) -> list:
        return [r for r in ctx.series if ctx.snapshot.info(r.key) is not None]

    def _series_steps(self, ctx: CardContext, refs: list, state: Mapping) -> list[dict]:
        """Each series' entry: fingerprint, row count and the step of every row (reading only new rows)."""
        held = _entries(state)
        todo, starts = [], []
        entries = []
        for ref in refs:
            info = ctx.snapshot.info(ref.key)
            old = held.get(ref.key)
            keep = (
                old is not None
                and old.get("fp") == info.fingerprint
                and isinstance(old.get("n"), int)
                and old["n"] == len(old["steps"])
                and old["n"] <= info.count
                and all(type(s) is int for s in old["steps"])
            )
            start = old["n"] if keep else 0
            entries.append(
                {
                    "key": list(ref.key),
                    "fp": info.fingerprint,
                    "n": info.count,
                    "steps": list(old["steps"]) if keep else [],
                }
            )
            if start < info.count:
                todo.append(len(entries) - 1)
                starts.append(start)
        reads = read_series(
            ctx.library,
            [refs[i] for i in todo],
            from_rows=starts,
            to_rows=[entries[i]["n"] for i in todo],
        )
        for i, res in zip(todo, reads):
            steps, _, _ = records_of(res)
            entries[i]["steps"] += steps.tolist()
            entries[i]["n"] = len(entries[i]["steps"])
        return entries

    def draw(self, ctx: CardContext, state: Mapping, index: int | None = None) -> tuple[dict, dict]:
        """The figure at the slider's ``index`` (None: the state's choice) and the new state."""
        state = state if isinstance(state, Mapping) else {}
        refs = self._refs(ctx)
        entries = self._series_steps(ctx, refs, state)
        cap = ctx.settings.step
        steps = sorted({s for e in entries for s in e["steps"] if cap is None or s <= cap})
        follow = bool(state.get("follow", True))
        if index is not None and steps:
            index = min(max(int(index), 0), len(steps) - 1)
            follow = index == len(steps) - 1
        elif steps:
            chosen = state.get("step")
            if follow or not isinstance(chosen, int):
                index = len(steps) - 1
            else:
                index = latest_row(steps, chosen)
                index = 0 if index is None else index
        new_state = {
            "card": self.name,
            "sig": ctx.settings.signature,
            "series": entries,
            "steps": steps,
            "index": index,
            "step": steps[index] if steps else None,
            "follow": follow,
        }
        if not steps:
            return message_figure(nothing_message("PR curve", cap)), new_state
        step = steps[index]
        rows = [latest_row(e["steps"], step) for e in entries]
        shown = [(ref, row) for ref, row in zip(refs, rows) if row is not None]
        reads = read_series(
            ctx.library,
            [ref for ref, _ in shown],
            from_rows=[row for _, row in shown],
            to_rows=[row + 1 for _, row in shown],
        )
        data, errors = [], []
        for (ref, _), res in zip(shown, reads):
            at_steps, _, values = records_of(res)
            if not values:
                continue
            try:
                data.append(pr_trace(values[0], ctx.label(ref), ctx.color(ref), int(at_steps[0])))
            except ValueError as exc:
                errors.append(f"{ctx.label(ref)}: {exc}")
        if errors and not data:
            return message_figure("cannot draw this PR curve: " + "; ".join(errors)), new_state
        layout = base_layout(ctx.card_id, ctx.settings, "recall")
        layout["xaxis"].update(range=[-0.02, 1.02])
        layout["yaxis"].update(type="linear", range=[-0.02, 1.05], title={"text": "precision"})
        return {"data": data, "layout": layout}, new_state

    def render(self, ctx: CardContext) -> CardContent:
        figure, state = self.draw(ctx, {})
        steps = state["steps"]
        slider = dcc.Slider(
            id=card_id("pr-step", ctx.card_id),
            min=0,
            max=max(len(steps) - 1, 0),
            step=1,
            value=state["index"] or 0,
            marks=step_marks(steps),
            disabled=len(steps) < 2,
            allow_direct_input=False,
            updatemode="mouseup",
            className="control-slider",
        )
        label = html.Span(
            _step_label(state), id=card_id("pr-step-label", ctx.card_id), className="control-value"
        )
        controls = control_row(
            html.Span("step", className="control-label"), html.Div(slider, className="control-grow"), label
        )
        return CardContent(body=html.Div([controls, graph_body(ctx.card_id, figure)]), state=state)

    def refresh(self, ctx: CardContext, state: dict, *, live: bool) -> CardUpdate | None:
        state = state if isinstance(state, dict) else {}
        if not live or state.get("sig") != ctx.settings.signature:
            figure, new_state = self.draw(ctx, state)
            return CardUpdate(figure=figure, state=new_state)
        if ctx.settings.step is not None:
            return None
        held = _entries(state)
        refs = self._refs(ctx)
        same = [r.key for r in refs] == [tuple(e.get("key")) for e in state.get("series") or []]
        if same and all(
            held.get(r.key, {}).get("fp") == ctx.snapshot.info(r.key).fingerprint
            and held.get(r.key, {}).get("n") == ctx.snapshot.info(r.key).count
            for r in refs
        ):
            return None
        figure, new_state = self.draw(ctx, state)
        return CardUpdate(figure=figure, state=new_state)

    def register_callbacks(self, app) -> None:
        def choose_step(ctx: CardContext, state: dict, index):
            if index is None or index == state.get("index"):
                return None  # the slider was moved to what the card shows (by the state)
            figure, new_state = self.draw(ctx, state, index=index)
            # the user moved the slider: it must not be written back, since it may have moved on by the time
            # this answer arrives (arrow keys pressed quickly would jump back)
            return figure, new_state | {"by_slider": True}

        register_redraw(app, [("pr-step", "value")], choose_step)

        @app.callback(
            Output(card_id("pr-step", MATCH), "max"),
            Output(card_id("pr-step", MATCH), "marks"),
            Output(card_id("pr-step", MATCH), "disabled"),
            Output(card_id("pr-step", MATCH), "value"),
            Output(card_id("pr-step-label", MATCH), "children"),
            Input(card_id("card-state", MATCH), "data"),
            State(card_id("pr-step", MATCH), "value"),
            prevent_initial_call=True,
        )
        def move_pr_slider(state, value):
            if not isinstance(state, dict):
                return (no_update,) * 5
            steps = state.get("steps") or []
            index = state.get("index")
            keep = index is None or index == value or state.get("by_slider")
            return (
                max(len(steps) - 1, 0),
                step_marks(steps),
                len(steps) < 2,
                no_update if keep else index,
                _step_label(state),
            )


def _step_label(state: Mapping) -> str:
    steps, index = state.get("steps") or [], state.get("index")
    if not steps or index is None:
        return "no step"
    return f"step {steps[index]} ({index + 1} of {len(steps)})"
