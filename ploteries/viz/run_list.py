"""The sidebar's run list: one page of the runs that pass the filter, in the chosen order, with their group.

The list shows :data:`~ploteries.viz.services.runlist.RUN_PAGE_SIZE` runs at a time (the DOM holds that many
rows whatever the sweep's size); the browser keeps which runs are hidden as a selection
(:mod:`ploteries.viz.services.runlist`) and the values of the page's rows. Each row carries ``data-run`` (the
run's label, as the cards name its lines) and ``data-group`` (its group when runs are grouped), which
``assets/runlist.js`` reads to highlight the run in every card while the pointer is on it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any, NamedTuple

from dash import html

from .library import Library, RunKey, Snapshot
from .run_values import hparam_names, last_values, run_hparams, scalar_tags
from .services.runlist import (
    RUN_PAGE_SIZE,
    group_runs,
    hidden_runs,
    matching,
    page_of,
    parse_selection,
    set_shown,
    sort_runs,
)
from .settings import ViewSettings, run_key_value

__all__ = ["RunListView", "apply_event", "run_list_view", "sort_options"]

SORT_NAME = "name"


class RunListView(NamedTuple):
    """What the run list shows: checklist options and checked values, the rows' values, the info line, page."""

    options: list[dict]
    checked: list[str]
    rows: list[str]
    info: str
    page: int


def sort_options(snapshot: Snapshot, library: Library) -> list[dict]:
    """What runs can be sorted by: name, the last value of each scalar tag, each hparam."""
    names = hparam_names(run_hparams(library, snapshot))
    return [
        {"label": "name", "value": SORT_NAME},
        *({"label": f"last {t}", "value": f"tag:{t}"} for t in scalar_tags(snapshot)),
        *({"label": f"hparam {h}", "value": f"hparam:{h}"} for h in names),
    ]


def hparam_options(snapshot: Snapshot, library: Library) -> list[dict]:
    """The hparams runs can be grouped by."""
    return [{"label": h, "value": h} for h in hparam_names(run_hparams(library, snapshot))]


def sort_values(library: Library, snapshot: Snapshot, sort: Any) -> dict[RunKey, Any] | None:
    """The value each run is sorted by (None: by name)."""
    if not isinstance(sort, str):
        return None
    if sort.startswith("tag:"):
        return last_values(library, snapshot, sort[len("tag:") :])
    if sort.startswith("hparam:"):
        name = sort[len("hparam:") :]
        return {k: hp[name] for k, hp in run_hparams(library, snapshot).items() if name in hp}
    return None


def _value_text(value: Any) -> str:
    if value is None:
        return "–"
    return f"{value:.4g}" if isinstance(value, float) else str(value)[:24]


def _row_label(label: str, color: str, key: RunKey, value: Any, group: str | None, sorted_by_value: bool):
    parts = [
        html.Span(
            className="swatch",
            style={"background": color},
            title="click to pin this run: drawn as a line over density pictures",
        ),
        html.Span(label, className="run-name"),
    ]
    if group is not None:
        parts.append(html.Span(group, className="run-group", title="the group this run is drawn in"))
    if sorted_by_value:
        parts.append(html.Span(_value_text(value), className="run-value"))
    attrs = {"data-run": label, "data-group": group if group is not None else ""}
    return html.Span(parts, title=f"{key.source}: {key.run}", className="run-row", **attrs)


def run_list_view(
    snapshot: Snapshot,
    library: Library,
    colors: Mapping[RunKey, str],
    *,
    pattern: Any,
    sort: Any,
    descending: bool,
    selection: Any,
    page: Any,
    settings: ViewSettings,
) -> RunListView:
    """One page of the run list (see the module's docstring)."""
    labels = snapshot.labels
    matched, error = matching(labels, pattern)
    if error is not None:
        matched = list(labels)  # as the cards: an invalid filter shows every run (the error says why)
    values = sort_values(library, snapshot, sort)
    ordered = sort_runs(matched, labels, values, descending=descending)
    shown, page, pages = page_of(ordered, page)
    group_of: dict[RunKey, str] = {}
    if settings.group:
        hp = run_hparams(library, snapshot) if settings.group.startswith("hparam:") else None
        groups, _ = group_runs(list(labels), labels, settings.group, hp)
        group_of = {k: g for g, keys in groups.items() for k in keys}
    value_of = {k: run_key_value(*k) for k in shown}
    hidden = hidden_runs(selection, value_of.values())
    options = [
        {
            "label": _row_label(
                labels[k],
                colors.get(k, "#444444"),
                k,
                (values or {}).get(k),
                group_of.get(k),
                values is not None,
            ),
            "value": value_of[k],
        }
        for k in shown
    ]
    total_hidden = len(hidden_runs(selection, (run_key_value(*k) for k in labels)))
    first = page * RUN_PAGE_SIZE
    info = f"{first + 1 if shown else 0}–{first + len(shown)} of {len(matched)}"
    info += f" ({len(labels)} runs)" if len(matched) != len(labels) else " runs"
    if total_hidden:
        info += f" · {total_hidden} hidden"
    return RunListView(
        options, [v for v in value_of.values() if v not in hidden], list(value_of.values()), info, page
    )


def apply_event(
    trigger: str | Collection[str],
    snapshot: Snapshot,
    *,
    pattern: Any,
    selection: Any,
    checked: Any,
    rows: Any,
    page: Any,
) -> tuple[dict, int]:
    """The selection and page after a run-list event (``trigger``: the id of what the user changed, or the ids
    when several changed together: Dash sends them in one call when they change while the callback waits).

    The rows ticked on the page (``checked`` of ``rows``) are applied first, whatever the event: the page
    computes its ticks from the selection it holds (``assets/runlist.js``), so they differ from it only by the
    user's clicks not yet answered, which a later event's request carries and must not lose.
    """
    all_values = [run_key_value(*k) for k in snapshot.run_keys]
    only, listed = parse_selection(selection)
    selection = {"only": only, "runs": listed}
    page = page if isinstance(page, int) and not isinstance(page, bool) else 0
    if isinstance(rows, list) and isinstance(checked, list):  # the rows ticked or unticked on the page
        on_page = [v for v in rows if isinstance(v, str)]
        ticked = {v for v in checked if isinstance(v, str)}
        hidden_now = hidden_runs(selection, on_page)
        if any((v in ticked) == (v in hidden_now) for v in on_page):  # a click not yet applied
            selection = set_shown(selection, [v for v in on_page if v in ticked], True, all_values)
            selection = set_shown(selection, [v for v in on_page if v not in ticked], False, all_values)
    events = {trigger} if isinstance(trigger, str) else set(trigger)
    if "runs-all" in events:
        selection = {"only": False, "runs": []}
    elif "runs-none" in events:
        selection = {"only": True, "runs": []}
    elif events & {"runs-show", "runs-hide", "runs-only"}:
        matched, error = matching(snapshot.labels, pattern)
        values = [run_key_value(*k) for k in matched] if error is None else []
        if "runs-only" in events:
            selection = set_shown({"only": True, "runs": []}, values, True, all_values)
        else:
            selection = set_shown(selection, values, "runs-show" in events, all_values)
    if events & {"run-filter", "run-sort", "run-sort-desc"}:
        page = 0  # a new order or filter starts at its first page
    elif "run-page-next" in events:
        page += 1
    elif "run-page-prev" in events:
        page = max(page - 1, 0)
    return selection, page
