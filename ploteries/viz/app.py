"""The Dash app: thin callbacks from browser events to the page model and the card types.

Callbacks and what they do (state in, figure or ``Patch`` out):

- ``tick``: a live tick (asked one at a time) rescans the library and answers with the live rows of the cards
  of the page (``Patch`` extends) and the step slider's range, for the view the page showed when it asked; the
  page applies the reply only where that view still holds (:mod:`ploteries.viz.ticks`, ``assets/ticks.js``).
- ``redraw``: a settings change draws every card of the page anew.
- ``explorer``: when databases or definitions change, redraws the database list, tabs and the sort options.
- ``run_list``: the run list's page (filter, sort, show and hide, paging; see :mod:`ploteries.viz.run_list`).
- ``render_cards``: the cards of the selected tab and page, drawn with their first data.
- ``relayout``: a zoom or pan (the graph's x-axis events only) fetches the visible range at full resolution
  for that card only.
- ``settings`` / ``pause`` / ``download`` / paging: small glue.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, NamedTuple

import dash
import flask
from dash import ALL, MATCH, ClientsideFunction, Input, Output, State, ctx, html, no_update
from dash.exceptions import PreventUpdate

from .cards import CardContext, CardType, CardUpdate, load_card_types
from .density_figure import overlay_runs
from .downloads import SUBMIT, register_download_route
from .ids import VIEW_STATES
from .layout import card_frame, database_list, error_body, page_layout
from .library import Library, Snapshot
from .media import register_media_routes
from .page import PAGE_SIZE, CardModel, all_definitions, card_models, page_tabs, visible_series
from .run_list import RunListView, apply_event, hparam_options, run_list_view, sort_options
from .security import protect
from .services.runlist import group_runs, parse_selection
from .services.tags import compile_filter, run_colors
from .settings import ViewSettings
from .throttle import HeavyRequests
from .ticks import DATA, card_revisions, data_token, held_token, stamp_state, tick_reply, tick_view, unstamped

__all__ = ["FirstPage", "Viewer", "create_app", "group_settings", "slider_range"]

RUN_BUTTONS = (
    "runs-all",
    "runs-none",
    "runs-show",
    "runs-hide",
    "runs-only",
    "run-page-prev",
    "run-page-next",
)
"""The run list's buttons (see :func:`ploteries.viz.run_list.apply_event`)."""

_ASSETS = __file__.rsplit("/", 1)[0] + "/assets"

INDEX = """<!DOCTYPE html>
<html>
    <head>
        {%metas%}
        <title>{%title%}</title>
        {%favicon%}
        {%css%}
        <!-- plotly.js (its basic build: assets/lazy_plotly.js) is the page's largest script: fetch it with the page,
             not after the first card arrives -->
        <link rel="preload" as="script" href="assets/vendor/plotly-basic.min.js">
    </head>
    <body>
        {%app_entry%}
        <footer>
            {%config%}
            {%scripts%}
            {%renderer%}
        </footer>
    </body>
</html>"""


MEMO_ENTRIES = 64
"""Most page models and colour maps kept per snapshot (one per tab, filter and run selection seen)."""

RENDER_THREADS = 4
"""Most threads drawing the cards of one page (fewer on a machine with fewer cores)."""

THREADED_ROWS = 100_000
"""Rows per series (on average over a page) from which the page's cards are drawn on several threads.

Long series spend their time in numpy, which lets go of the GIL: two cores draw 10 cards of 1M rows in about half
the time. Short series spend it in h5py (which holds one lock for all its calls) and in Python: for 300 runs x 4
tags x 2,000 rows, threads made the page 15-40% slower than one thread (bench/README.md, "viewer at sweep scale").
"""


def render_workers(models: Sequence[CardModel], cores: int) -> int:
    """How many threads draw ``models``: one unless their series are long (see :data:`THREADED_ROWS`)."""
    counts = [ref.info.count for m in models for refs in m.bound.values() for ref in refs]
    if not counts or sum(counts) < THREADED_ROWS * len(counts):
        return 1
    return max(1, min(len(models), cores, RENDER_THREADS))


class FirstPage(NamedTuple):
    """The first page a browser gets, drawn into the layout (see :meth:`Viewer.first_page`)."""

    version: str
    explorer: tuple  # Viewer.explorer_view
    runs: RunListView  # Viewer.run_list
    cards: tuple  # Viewer.cards_view
    steps: tuple[int, int]  # the step slider's range (slider_range)


def slider_range(snapshot: Snapshot) -> tuple[int, int]:
    """The step slider's ``(min, max)``: the steps of every series (one step still makes a range)."""
    low, high = snapshot.step_range() or (0, 0)
    return min(low, high - 1), high


def _follows_live(settings: ViewSettings, slider, slider_max) -> bool:
    """Whether the step slider sits at the latest step (live), so that it follows new steps.

    Examples
    --------
    >>> _follows_live(ViewSettings(), 99, 99), _follows_live(ViewSettings(), 40, 99), _follows_live(ViewSettings(), "x", 9)
    (True, False, True)
    """
    if settings.step is not None:
        return False
    numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (slider, slider_max))
    return not numbers or slider >= slider_max


def group_settings(old: ViewSettings, pattern, hparam, center, spread, click, clicked: bool) -> dict:
    """The grouping part of the settings: a regex (with a capture) wins over an hparam; a click on a group's
    line in a card (``{"group": name}``) expands or folds it.

    Examples
    --------
    >>> group_settings(ViewSettings(), "lr=(.*)", "opt", "median", "std", None, False)["group"]
    'regex:lr=(.*)'
    >>> group_settings(ViewSettings(group="hparam:opt"), "", "opt", None, None, {"group": "adam"}, True)["expanded"]
    ['adam']
    """
    if isinstance(pattern, str) and pattern.strip():
        group = f"regex:{pattern}"
    elif isinstance(hparam, str) and hparam:
        group = f"hparam:{hparam}"
    else:
        group = ""
    expanded = list(old.expanded) if group == old.group else []
    name = click.get("group") if clicked and isinstance(click, dict) else None
    if isinstance(name, str) and group:
        expanded = [e for e in expanded if e != name] if name in expanded else [*expanded, name]
    return {"group": group, "center": center, "spread": spread, "expanded": expanded}


def _update_json(update: CardUpdate, token: str | None = None) -> dict:
    """A card's update as sent to the page: the figure if any, the new state (with a new revision and the card's
    data token, see :func:`~ploteries.viz.ticks.data_token`) if any."""
    out = {}
    if update.figure is not None:
        out["figure"] = update.figure
    if update.state is not None:
        out["state"] = stamp_state(update.state, token)
    return out


class Viewer:
    """The server-side model behind the callbacks: the library, the card types and how to build a page."""

    def __init__(self, library: Library, types: dict[str, CardType] | None = None):
        self.library = library
        self.types = types if types is not None else load_card_types()
        self._first_page_lock = threading.Lock()
        self._first_page: tuple[Snapshot, FirstPage] | None = None
        self._memo_lock = threading.Lock()
        self._memo_snapshot: Snapshot | None = None
        self._memo_values: dict = {}
        self.before_tick_reply: Callable[[dict], None] | None = None
        """Test hook: called after a live tick is computed, before its reply is sent (tests hold ticks back)."""

    def _memo(self, snapshot: Snapshot, key: tuple, compute: Callable[[], Any]) -> Any:
        """``compute()``, kept while the library's snapshot is the same object (nothing changed on disk).

        A live tick over an unchanged sweep then skips listing and binding its thousands of series.
        """
        with self._memo_lock:
            if self._memo_snapshot is not snapshot:
                self._memo_snapshot, self._memo_values = snapshot, {}
            if key in self._memo_values:
                return self._memo_values[key]
        value = compute()
        with self._memo_lock:
            if self._memo_snapshot is snapshot and len(self._memo_values) < MEMO_ENTRIES:
                self._memo_values[key] = value
        return value

    def colors(self, snapshot: Snapshot) -> dict:
        def compute() -> dict:
            labels = snapshot.labels
            by_label = run_colors(labels.values())
            return {key: by_label[label] for key, label in labels.items()}

        return self._memo(snapshot, ("colors",), compute)

    def models(self, snapshot: Snapshot, tab, tag_filter, run_filter, selection) -> list[CardModel]:
        def compute() -> list[CardModel]:
            visible = visible_series(snapshot, run_filter, selection)
            definitions = all_definitions(snapshot, self.types, self.library)
            return card_models(definitions, self.types, visible, tab=tab, tag_pattern=tag_filter)

        only, runs = parse_selection(selection)
        return self._memo(
            snapshot, ("models", tab, str(tag_filter), str(run_filter), only, tuple(runs)), compute
        )

    def card_context(
        self, card_id: str, settings_data, tab, tag_filter, run_filter, selection
    ) -> CardContext | None:
        """The context of one card of the page, from the values of :data:`~ploteries.viz.ids.VIEW_STATES`."""
        snapshot = self.library.snapshot
        for model in self.models(snapshot, tab, tag_filter, run_filter, selection):
            if model.id == card_id and model.card_type is not None:
                return self.context(
                    model, snapshot, ViewSettings.from_store(settings_data), self.colors(snapshot)
                )
        return None

    def context(
        self, model: CardModel, snapshot: Snapshot, settings: ViewSettings, colors: dict
    ) -> CardContext:
        return CardContext(
            card_id=model.id,
            card_type=model.card_type,
            definition=model.definition,
            bound=model.bound,
            library=self.library,
            snapshot=snapshot,
            settings=settings,
            labels=snapshot.labels,
            colors=colors,
        )

    def token(self, context: CardContext) -> str:
        """The card's data token (kept while the snapshot is the same): a live tick skips a card holding it."""
        settings = context.settings.signature

        def compute() -> str:
            refs = context.card_type.watched_series(context)
            return data_token(context.card_id, settings, context.snapshot.version, refs)

        return self._memo(context.snapshot, ("token", context.card_id, settings), compute)

    def card_updates(
        self,
        snapshot: Snapshot,
        held: dict,
        settings: ViewSettings,
        tab,
        tag_filter,
        run_filter,
        selection,
        *,
        live,
        stale_only=False,
    ) -> dict[str, tuple[CardUpdate, str]]:
        """What changes in the cards of the page whose states the browser ``held`` (card id -> state).

        ``live``: a tick (new rows are sent as patches); else a settings change (every card drawn anew). Each
        update comes with the card's data token; on a tick a card whose state holds its token is skipped.
        ``stale_only`` (with ``live=False``): a page of cards just drawn; only the cards drawn for other settings
        are drawn anew (the page was asked for before the user changed the settings and answered after).
        """
        colors = self.colors(snapshot)
        updates = {}
        for model in self.models(snapshot, tab, tag_filter, run_filter, selection):
            if model.card_type is None or model.id not in held:
                continue
            context = self.context(model, snapshot, settings, colors)
            token = self.token(context)
            if (live or stale_only) and held_token(held[model.id]) == token:
                continue  # nothing the card draws changed
            update = model.card_type.refresh(context, unstamped(held[model.id]), live=live)
            if update is not None:
                updates[model.id] = (update, token)
        return updates

    def explorer_view(self, snapshot: Snapshot, tab) -> tuple:
        """The explorer's parts: ``(databases, tab children, tab, banner, sort options, hparam options)``.

        The tab is kept if it still exists, else the first.
        """
        tabs = page_tabs(all_definitions(snapshot, self.types, self.library))
        tab_children = [
            dash.dcc.Tab(
                label=t or "(no prefix)", value=t, className="tab", selected_className="tab-selected"
            )
            for t in tabs
        ]
        tab = tab if tab in tabs else (tabs[0] if tabs else None)
        bad = [s for s in snapshot.sources if s.error is not None]
        banner = (
            [
                html.Span(f"{len(bad)} file(s) could not be read: "),
                html.Span(", ".join(s.source for s in bad)),
            ]
            if bad
            else []
        )
        return (
            database_list(snapshot),
            tab_children,
            tab,
            banner,
            sort_options(snapshot, self.library),
            hparam_options(snapshot, self.library),
        )

    def run_list(
        self, snapshot: Snapshot, pattern, sort, descending, selection, page, settings: ViewSettings
    ) -> RunListView:
        """One page of the run list (:func:`ploteries.viz.run_list.run_list_view`)."""
        return run_list_view(
            snapshot,
            self.library,
            self.colors(snapshot),
            pattern=pattern,
            sort=sort,
            descending=bool(descending),
            selection=selection,
            page=page,
            settings=settings,
        )

    def cards_view(
        self, snapshot: Snapshot, tab, tag_filter, run_filter, selection, page, settings: ViewSettings
    ) -> tuple:
        """The cards of one page: ``(cards, page info, pager style, tag filter error, run filter error)``."""
        tag_error = compile_filter(tag_filter)[1] or ""
        run_error = compile_filter(run_filter)[1] or ""
        models = self.models(snapshot, tab, tag_filter, run_filter, selection)
        pages = max(1, -(-len(models) // PAGE_SIZE))
        page = min(max(int(page or 0), 0), pages - 1)
        shown = models[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
        colors = self.colors(snapshot)
        cards = self.render_cards(shown, snapshot, settings, colors)
        if not cards:
            cards = [html.Div(_empty_message(snapshot, tab), className="empty")]
        info = f"page {page + 1} of {pages} · {len(models)} cards"
        pager_style = {} if pages > 1 else {"display": "none"}
        return cards, info, pager_style, tag_error, run_error

    def first_page(self) -> FirstPage:
        """What a browser opening the viewer sees first: the explorer and the first tab's first page of cards.

        Drawn into the page's layout, so the first data arrives with the page itself, with no round trips.
        One at a time: a second caller (the page's layout request while :meth:`warm` runs) waits and then gets the
        same page if nothing changed on disk meanwhile (the library then returns the same snapshot).
        """
        with self._first_page_lock:
            snapshot = self.library.refresh()
            if self._first_page is not None and self._first_page[0] is snapshot:
                return self._first_page[1]
            explorer = self.explorer_view(snapshot, None)
            settings = ViewSettings()
            runs = self.run_list(snapshot, None, "name", False, None, 0, settings)
            cards = self.cards_view(snapshot, explorer[2], None, None, None, 0, settings)
            page = FirstPage(snapshot.version, explorer, runs, cards, slider_range(snapshot))
            self._first_page = (snapshot, page)
            return page

    def warm(self) -> int:
        """Draw the first page once in the background when the server starts (see :meth:`first_page`).

        The databases are scanned and the costly part of the cards (reading, smoothing and downsampling every
        series) is cached by the time the browser has loaded the page's scripts. Returns the number of cards.
        """
        return len(self.first_page().cards[0])

    def render_cards(
        self, models: Sequence[CardModel], snapshot: Snapshot, settings: ViewSettings, colors: dict
    ) -> list[html.Div]:
        """The cards of a page, drawn side by side on the machine's cores when their series are long (see
        :func:`render_workers`)."""
        workers = render_workers(models, os.cpu_count() or 1)
        if workers <= 1:
            return [self.render_card(m, snapshot, settings, colors) for m in models]
        with ThreadPoolExecutor(workers, thread_name_prefix="ploteries-card") as pool:
            return list(pool.map(lambda m: self.render_card(m, snapshot, settings, colors), models))

    def render_card(
        self, model: CardModel, snapshot: Snapshot, settings: ViewSettings, colors: dict
    ) -> html.Div:
        card = model.card_type
        if model.error is not None or card is None:
            return card_frame(model, error_body(model.error or "cannot draw this card"), {}, downloads=False)
        try:
            context = self.context(model, snapshot, settings, colors)
            content = card.render(context)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            reason = str(exc).split("\n\n")[0][:600]  # plotly's errors go on to list every valid property
            return card_frame(model, error_body(f"cannot draw this card: {reason}"), {}, downloads=False)
        downloads = type(card).export is not CardType.export
        state = content.state if content.state is None else {**content.state, DATA: self.token(context)}
        return card_frame(model, content.body, state, downloads=downloads)


def _triggered() -> set[str]:
    """The (string) ids of every input that fired the running callback.

    Dash sends one call for inputs that changed together, or that changed while the callback waited on another
    callback whose outputs it reads (the run list waits on its own rows' ticks, the settings on a tick's slider):
    ``ctx.triggered_id`` names only the first of them, and a user's change named second would be lost.
    """
    return {i for i in ctx.triggered_prop_ids.values() if isinstance(i, str)}


def _status(settings: ViewSettings, paused: bool) -> tuple[str, str]:
    if settings.step is not None:
        return f"rewound to step {settings.step}", "status status-rewound"
    if paused:
        return "paused", "status status-paused"
    return f"live · {time.strftime('%H:%M:%S')}", "status status-live"


def create_app(
    library: Library,
    *,
    reload_interval: float = 2.0,
    types: dict[str, CardType] | None = None,
    token: str | None = None,
    allowed_hosts: Sequence[str] = (),
) -> dash.Dash:
    """The viewer's Dash app over ``library``.

    Every answer carries the security headers; requests must name an allowed host and, if ``token`` is given,
    carry it (see :mod:`ploteries.viz.security`).

    Examples
    --------
    >>> app = create_app(Library(["runs"]))     # doctest: +SKIP
    >>> app.run(host="127.0.0.1", port=6006)    # doctest: +SKIP
    """
    viewer = Viewer(library, types)
    app = dash.Dash(
        __name__,
        title="ploteries",
        assets_folder=_ASSETS,
        assets_path_ignore=["vendor"],  # served, not put in the page: assets/lazy_plotly.js loads plotly.js
        compress=True,
        suppress_callback_exceptions=True,
        update_title=None,
        index_string=INDEX,
        on_error=_callback_failed,
    )
    roots = [str(r) for r in library.roots]

    def layout() -> html.Div:  # per page load
        if not (flask.has_request_context() and flask.request.path.endswith("/_dash-layout")):
            # Dash validates the layout while it answers its first request (the index page): the shape will do,
            # drawing the cards there would hold the page's scripts back until the data is read
            return page_layout(roots, reload_interval)
        try:
            first = viewer.first_page()
        except Exception:  # noqa: BLE001 - the page's callbacks fill in an empty page and report what fails
            logging.getLogger(__name__).exception("cannot draw the first page")
            first = None
        return page_layout(roots, reload_interval, first)

    app.layout = layout
    app.viewer = viewer  # for tests and plug-ins
    app.heavy = HeavyRequests()  # slots shared by every heavy request: media encoding, downloads
    # /media/...: images, sound, video and media files
    register_media_routes(app.server, library, heavy=app.heavy)
    filters = VIEW_STATES[1:]

    app.clientside_callback(
        ClientsideFunction("ploteries_ticks", "request"),
        Output("tick-request", "data"),
        Input("tick", "n_intervals"),
        State("tick-request", "data"),
        State("tick-reply", "data"),
    )
    view_states = [
        *VIEW_STATES,
        State("page", "data"),
        State("step-slider", "value"),
        State("pause", "value"),
        State("runs", "value"),  # the run list's ticks: they change before the hidden runs come back
    ]

    @app.callback(
        Output("tick-reply", "data"),
        Input("tick-request", "data"),
        State("version", "data"),
        *view_states,
        State("step-slider", "max"),
        State({"type": "card-state", "card": ALL}, "data"),
        prevent_initial_call=True,
    )
    def tick(
        request, version, settings_data, tab, tag_filter, run_filter, selection, page, slider, pause, *rest
    ):
        ticked, slider_max, states = rest
        view = tick_view(settings_data, tab, tag_filter, run_filter, selection, page, slider, pause, ticked)
        ids = [s["id"]["card"] for s in ctx.states_list[-1]]
        settings = ViewSettings.from_store(settings_data)
        snapshot = library.refresh()
        cards = {}
        if snapshot.version == version:
            updates = viewer.card_updates(
                snapshot, dict(zip(ids, states)), settings, tab, tag_filter, run_filter, selection, live=True
            )
            cards = {cid: _update_json(u, token) for cid, (u, token) in updates.items()}
        low, high = slider_range(snapshot)
        reply = tick_reply(
            request,
            view,
            card_revisions(ids, states),
            version=snapshot.version if snapshot.version != version else None,
            cards=cards,
            slider=(
                low,
                high,
                high if _follows_live(settings, slider, slider_max) and slider != high else None,
            ),
            status=_status(settings, bool(pause)),
        )
        if viewer.before_tick_reply is not None:
            viewer.before_tick_reply(reply)
        return reply

    app.clientside_callback(
        ClientsideFunction("ploteries_ticks", "apply"),
        Output("version", "data"),
        Output({"type": "card-graph", "card": ALL}, "figure"),
        Output({"type": "card-state", "card": ALL}, "data"),
        Output("step-slider", "min"),
        Output("step-slider", "max"),
        Output("step-slider", "value"),
        Output("status", "children"),
        Output("status", "className"),
        Input("tick-reply", "data"),
        *view_states,
        State({"type": "card-state", "card": ALL}, "data"),
        prevent_initial_call=True,
    )

    @app.callback(
        Output({"type": "card-graph", "card": ALL}, "figure", allow_duplicate=True),
        Output({"type": "card-state", "card": ALL}, "data", allow_duplicate=True),
        Input("settings", "data"),
        Input("cards-rendered", "data"),
        *filters,
        State({"type": "card-state", "card": ALL}, "data"),
        prevent_initial_call=True,
    )
    def redraw(settings_data, _rendered, tab, tag_filter, run_filter, selection, states):
        """A settings change: every card of the page drawn anew (a user action: never dropped for a tick).

        After a page of cards is drawn (``cards-rendered``): the cards drawn for settings that are no longer the
        page's, drawn anew. The page is drawn with the settings of when it was asked for (a tick's new version,
        a tab); a rewind made while it was on its way was applied first, then the page replaced its cards with
        live ones, and the rewound page showed live cards (ticks stop while rewound, so none corrected them).
        """
        graph_ids = [o["id"]["card"] for o in ctx.outputs_list[0]]
        state_ids = [o["id"]["card"] for o in ctx.outputs_list[1]]
        settings = ViewSettings.from_store(settings_data)
        updates = viewer.card_updates(
            library.snapshot,
            dict(zip(state_ids, states)),
            settings,
            tab,
            tag_filter,
            run_filter,
            selection,
            live=False,
            stale_only="settings" not in _triggered(),
        )
        figures = [no_update] * len(graph_ids)
        new_states = [no_update] * len(state_ids)
        for cid, (update, token) in updates.items():
            out = _update_json(update, token)
            if "figure" in out and cid in graph_ids:
                figures[graph_ids.index(cid)] = out["figure"]
            if "state" in out:
                new_states[state_ids.index(cid)] = out["state"]
        return figures, new_states

    @app.callback(
        Output("databases", "children"),
        Output("tabs", "children"),
        Output("tabs", "value"),
        Output("banner", "children"),
        Output("run-sort", "options"),
        Output("group-hparam", "options"),
        Input("version", "data"),
        State("tabs", "value"),
        prevent_initial_call=True,  # the first page comes drawn in the layout
    )
    def explorer(_version, tab):
        return viewer.explorer_view(library.snapshot, tab)

    @app.callback(
        Output("runs", "options"),
        Output("run-rows", "data"),
        Output("run-info", "children"),
        Output("run-page", "data"),
        Output("run-selection", "data"),
        Input("version", "data"),
        Input("run-filter", "value"),
        Input("run-sort", "value"),
        Input("run-sort-desc", "value"),
        Input("runs", "value"),
        *(Input(b, "n_clicks") for b in RUN_BUTTONS),
        Input("settings", "data"),
        State("run-rows", "data"),
        State("run-selection", "data"),
        State("run-page", "data"),
        prevent_initial_call=True,  # the first page comes drawn in the layout
    )
    def run_list(_version, pattern, sort, descending, checked, *rest):
        settings_data, rows, selection, page = rest[len(RUN_BUTTONS) :]
        snapshot = library.snapshot
        events = _triggered()
        new_selection, page = apply_event(
            events,
            snapshot,
            pattern=pattern,
            selection=selection,
            checked=checked,
            rows=rows,
            page=page,
        )
        if events == {"runs"} and new_selection == selection:
            raise PreventUpdate  # the page's ticks were set from the selection (assets/runlist.js)
        view = viewer.run_list(
            snapshot, pattern, sort, descending, new_selection, page, ViewSettings.from_store(settings_data)
        )
        return (
            view.options,
            view.rows,
            view.info,
            view.page,
            new_selection if new_selection != selection else no_update,
        )

    @app.callback(
        Output("cards", "children"),
        Output("page-info", "children"),
        Output("pager", "style"),
        Output("tag-filter-error", "children"),
        Output("run-filter-error", "children"),
        Output("cards-rendered", "data"),
        Input("version", "data"),
        Input("tabs", "value"),
        Input("tag-filter", "value"),
        Input("run-filter", "value"),
        Input("run-selection", "data"),
        Input("page", "data"),
        State("settings", "data"),
        prevent_initial_call=True,  # the first page comes drawn in the layout
    )
    def render_cards(_version, tab, tag_filter, run_filter, selection, page, settings_data):
        settings = ViewSettings.from_store(settings_data)
        view = viewer.cards_view(library.snapshot, tab, tag_filter, run_filter, selection, page, settings)
        return (*view, time.monotonic_ns())  # redraw checks the new cards against the settings of now

    @app.callback(
        Output("page", "data"),
        Input("page-prev", "n_clicks"),
        Input("page-next", "n_clicks"),
        Input("tabs", "value"),
        State("page", "data"),
        prevent_initial_call=True,
    )
    def paging(_prev, _next, _tab, page):
        page = min(max(int(page or 0), 0), 2**31)  # a page number the browser sent back: keep it a small int
        events = _triggered()
        if "tabs" in events:
            return 0
        if "page-next" in events:
            return page + 1
        if "page-prev" in events:
            return max(page - 1, 0)
        return 0

    @app.callback(
        Output("settings", "data"),
        Output("step-slider", "value", allow_duplicate=True),
        Output("live", "disabled"),
        Input("smoothing", "value"),
        Input("xmode", "value"),
        Input("yflags", "value"),
        Input("step-slider", "value"),
        Input("live", "n_clicks"),
        Input("group-pattern", "value"),
        Input("group-hparam", "value"),
        Input("group-center", "value"),
        Input("group-spread", "value"),
        Input("group-click", "data"),
        State("settings", "data"),
        State("step-slider", "max"),
        prevent_initial_call=True,
    )
    def settings(smoothing, xmode, yflags, slider, _live, pattern, hparam, center, spread, click, *rest):
        current, slider_max = rest
        old = ViewSettings.from_store(current)
        step = old.step
        slider_out = no_update
        events = _triggered()
        if "live" in events:
            step, slider_out = None, slider_max
        elif "step-slider" in events and slider is not None:
            step = None if slider_max is None or slider >= slider_max else int(slider)
        flags = set(yflags or [])
        new = ViewSettings.from_store(
            {
                "smoothing": smoothing,
                "xmode": xmode,
                "log_y": "log_y" in flags,
                "ignore_outliers": "ignore_outliers" in flags,
                "step": step,
                **group_settings(old, pattern, hparam, center, spread, click, "group-click" in events),
            }
        )
        return (new.to_store() if new != old else no_update), slider_out, new.step is None

    @app.callback(
        Output("tick", "disabled"),
        Output("status", "children", allow_duplicate=True),
        Output("status", "className", allow_duplicate=True),
        Input("pause", "value"),
        Input("settings", "data"),
        prevent_initial_call=True,
    )
    def pause(paused, settings_data):
        settings = ViewSettings.from_store(settings_data)
        text, cls = _status(settings, bool(paused))
        return bool(paused) or settings.step is not None, text, cls

    @app.callback(Output("step-value", "children"), Input("step-slider", "value"), Input("settings", "data"))
    def step_value(slider, settings_data):
        step = ViewSettings.from_store(settings_data).step
        return f"step {step}" if step is not None else f"latest step {slider if slider is not None else '-'}"

    app.clientside_callback(
        ClientsideFunction("ploteries_ticks", "zoom"),
        Output({"type": "card-zoom", "card": MATCH}, "data"),
        Input({"type": "card-graph", "card": MATCH}, "relayoutData"),
        prevent_initial_call=True,
    )

    @app.callback(
        Output({"type": "card-graph", "card": MATCH}, "figure", allow_duplicate=True),
        Output({"type": "card-state", "card": MATCH}, "data", allow_duplicate=True),
        Input({"type": "card-zoom", "card": MATCH}, "data"),
        State({"type": "card-state", "card": MATCH}, "data"),
        *VIEW_STATES,
        prevent_initial_call=True,
    )
    def relayout(relayout_data, state, *view):
        context = viewer.card_context(ctx.triggered_id["card"], *view)
        if context is None or not relayout_data:
            return no_update, no_update
        update = context.card_type.relayout(context, unstamped(state), relayout_data)
        if update is None:
            return no_update, no_update
        out = _update_json(update, viewer.token(context))
        return out.get("figure", no_update), out.get("state", no_update)

    app.clientside_callback(  # the ticks of the listed runs: always those of the selection the page holds
        ClientsideFunction("ploteries_runlist", "ticks"),
        Output("runs", "value"),
        Input("run-selection", "data"),
        Input("run-rows", "data"),
        State("runs", "value"),
        prevent_initial_call=True,
    )

    app.clientside_callback(  # which density cards need their overlaid runs drawn (assets/runlist.js)
        ClientsideFunction("ploteries_runlist", "overlayRequest"),
        Output("overlay-request", "data"),
        Input("run-hover", "data"),
        Input("run-pins", "data"),
        Input({"type": "card-state", "card": ALL}, "data"),
        prevent_initial_call=True,
    )

    @app.callback(
        Output({"type": "card-graph", "card": ALL}, "figure", allow_duplicate=True),
        Input("overlay-request", "data"),
        State({"type": "card-state", "card": ALL}, "data"),
        *VIEW_STATES,
        prevent_initial_call=True,
    )
    def overlay(request, states, *view):
        """The hovered and pinned runs drawn as lines over the density pictures that need them."""
        graph_ids = [o["id"]["card"] for o in ctx.outputs_list]
        state_ids = [s["id"]["card"] for s in ctx.states_list[0]]
        hovered, pinned, cards = overlay_runs(request)
        figures = [no_update] * len(graph_ids)
        for cid, state in zip(state_ids, states):
            state = unstamped(state)
            if cid not in graph_ids or not state.get("density") or (cards is not None and cid not in cards):
                continue
            context = viewer.card_context(cid, *view)
            update = None if context is None else getattr(context.card_type, "overlay", None)
            patch = None if update is None else update(context, state, hovered, pinned)
            if patch is not None:
                figures[graph_ids.index(cid)] = patch
        return figures

    app.clientside_callback(  # a click on a group's line: the group to expand or fold (assets/runlist.js)
        ClientsideFunction("ploteries_runlist", "groupClick"),
        Output("group-click", "data"),
        Input({"type": "card-graph", "card": ALL}, "clickData"),
        prevent_initial_call=True,
    )

    @app.callback(Output("group-error", "children"), Input("settings", "data"))
    def group_error(settings_data):
        group = ViewSettings.from_store(settings_data).group
        return group_runs([], {}, group)[1] or "" if group else ""

    app.clientside_callback(  # a form POST to /download: the file streams, no callback carries it
        SUBMIT,
        Output("download", "data"),
        Input({"type": "card-download", "card": ALL, "fmt": ALL}, "n_clicks"),
        *VIEW_STATES,
        prevent_initial_call=True,
    )
    register_download_route(app.server, viewer, app.heavy)

    for card in viewer.types.values():
        card.register_callbacks(app)
    protect(app, token=token, allowed_hosts=allowed_hosts)
    return app


def _callback_failed(error: Exception):
    """A callback raised (values a client sent that no check caught, or a bug): log it, update nothing.

    The page keeps what it shows (HTTP 204) instead of an HTTP 500; the traceback goes to the server's log.
    """
    logging.getLogger(__name__).error("a callback failed; nothing updated", exc_info=error)
    raise PreventUpdate from error


def _empty_message(snapshot: Snapshot, tab) -> Sequence:
    if not snapshot.sources:
        return [
            html.Div("No ploteries databases here yet.", className="empty-title"),
            *(html.Div(note, className="empty-note") for note in snapshot.notes),
            html.Div(
                "Write one with `from ploteries.compat import SummaryWriter`; it appears within seconds."
            ),
        ]
    if all(s.error is not None for s in snapshot.sources):
        return [html.Div("No readable database: see the list on the left.", className="empty-title")]
    return [html.Div("Nothing to show in this tab with the current filters.", className="empty-title")]
