"""The card contract: what a card type provides so that the viewer can show, update and export it.

A card type turns a figure definition plus the series it binds into Dash content, and answers the viewer's
three events: a live tick or a settings change (:meth:`CardType.refresh`), a zoom (:meth:`CardType.relayout`)
and a download (:meth:`CardType.export`). The viewer owns the card's frame (title, buttons) and a per-card
``dcc.Store`` holding the card's *state*: what the browser holds, so updates send only what changed.

Card types whose body is one Plotly graph (``uses_graph = True``) are updated by the viewer's shared refresh
callback: one request per tick for every card on the page. Others may register their own callbacks in
:meth:`CardType.register_callbacks`; they are re-rendered when their state store changes.

Third-party card types subclass :class:`CardType` and are found through the ``ploteries.cards`` entry point
group (see docs/cards.md).
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar

from ..definitions import auto_definition
from ..library import Library, RunKey, SeriesRef, Snapshot
from ..services.export import ExportRow
from ..settings import ViewSettings

__all__ = ["CardContent", "CardContext", "CardType", "CardUpdate", "deep_merge", "read_series"]


@dataclasses.dataclass
class CardContext:
    """Everything a card type needs to draw one card."""

    card_id: str
    card_type: CardType
    definition: dict
    bound: dict[str, list[SeriesRef]]  # binding name -> visible series it matches
    library: Library
    snapshot: Snapshot
    settings: ViewSettings
    labels: Mapping[RunKey, str]
    colors: Mapping[RunKey, str]

    @property
    def series(self) -> list[SeriesRef]:
        """The series of the first binding (most card types have one)."""
        return next(iter(self.bound.values()), [])

    def label(self, ref: SeriesRef) -> str:
        return self.labels.get(ref.run_key, ref.run)

    def color(self, ref: SeriesRef) -> str:
        return self.colors.get(ref.run_key, "#444444")


@dataclasses.dataclass
class CardContent:
    """A card's first rendering: its body (Dash components) and its initial state."""

    body: Any
    state: dict


@dataclasses.dataclass
class CardUpdate:
    """What changes in a card: a new figure (or ``dash.Patch``) for graph cards, and the new state."""

    figure: Any = None
    state: dict | None = None


def deep_merge(base: Mapping, override: Mapping) -> dict:
    """``base`` with ``override`` merged in, recursively for dicts.

    Examples
    --------
    >>> deep_merge({"a": {"b": 1, "c": 2}}, {"a": {"c": 3}, "d": 4})
    {'a': {'b': 1, 'c': 3}, 'd': 4}
    """
    out = dict(base)
    for k, v in override.items():
        out[k] = deep_merge(out[k], v) if isinstance(v, Mapping) and isinstance(out.get(k), Mapping) else v
    return out


def read_series(
    library: Library,
    refs: Sequence[SeriesRef],
    *,
    stop: int | None = None,
    from_rows: Sequence[int] | None = None,
    to_rows: Sequence[int | None] | None = None,
    fields: Sequence[str] | None = None,
) -> list:
    """Read several series, one open per database; None where a series (or its database) is gone.

    ``fields=("step",)`` reads the steps alone (no values, for ragged series too).
    """
    out: list = [None] * len(refs)
    by_source: dict[str, list[int]] = defaultdict(list)
    for i, ref in enumerate(refs):
        by_source[ref.source].append(i)
    for source, idx in by_source.items():
        db = library.database(source)
        if db is None:
            continue
        keys = [(refs[i].run, refs[i].tag, refs[i].part) for i in idx]
        firsts = None if from_rows is None else [from_rows[i] for i in idx]
        ends = None if to_rows is None else [to_rows[i] for i in idx]
        try:
            results = db.read_many(keys, stop=stop, from_rows=firsts, to_rows=ends, fields=fields)
        except (OSError, ValueError, KeyError):
            continue  # replaced or damaged meanwhile: the next refresh reports it
        for i, res in zip(idx, results):
            out[i] = res
    return out


class CardType:
    """Base class of card types. Subclasses set :attr:`name` and implement :meth:`render`."""

    name: ClassVar[str] = ""
    kinds: ClassVar[tuple[str, ...]] = ()  # kinds outside ploteries.storage.kinds whose tags get this card
    uses_graph: ClassVar[bool] = True  # body is the graph {"type": "card-graph", "card": id}
    full_plotly: ClassVar[bool] = False
    """Whether its graphs need the full plotly.js build (3-D, WebGL, parallel coordinates): the page loads that
    build for these cards only; every other graph draws with the basic build (scatter, bar, pie)."""

    def default_definition(self, tag: str, kind: str) -> dict:
        """The default card of a tag of one of :attr:`kinds`."""
        return auto_definition(self.name, tag)

    def default_definitions(self, tag: str, kind: str) -> list[dict]:
        """Every default card of such a tag: :meth:`default_definition` alone unless overridden.

        A histogram tag gets two (histogram and distribution); the custom-scalars layout tag none.
        """
        return [self.default_definition(tag, kind)]

    def data_definitions(self, snapshot: Snapshot, library: Library) -> list[dict]:
        """Definitions derived from stored data (the charts of custom-scalars layouts); none by default.

        Called whenever the viewer lists the cards (every live tick): cache what you read, keyed on the
        series' fingerprint and row count.
        """
        return []

    def watched_series(self, ctx: CardContext) -> list[SeriesRef]:
        """Every series whose rows the card draws: a live tick redraws the card when any of them changed.

        Its bound series unless overridden; a card that also reads series it is not bound to (the hparams
        card: each trial's scalars) names them here, or ticks skip the card when only those change.
        """
        return [ref for refs in ctx.bound.values() for ref in refs]

    def render(self, ctx: CardContext) -> CardContent:
        raise NotImplementedError

    def refresh(self, ctx: CardContext, state: dict, *, live: bool) -> CardUpdate | None:
        """A live tick (``live=True``) or a settings change; None when nothing changed."""
        content = self.render(ctx)
        return CardUpdate(figure=None, state=content.state)

    def relayout(self, ctx: CardContext, state: dict, relayout: Mapping) -> CardUpdate | None:
        """The user zoomed or panned a graph card; None to leave it as it is."""
        return None

    def export(self, ctx: CardContext) -> Iterable[ExportRow] | None:
        """The card's data as rows for CSV/JSON download (a list, or an iterator to stream a long series),
        or None if it has none to offer."""
        return None

    def register_callbacks(self, app) -> None:
        """Register Dash callbacks for the card type's own controls (called once per app)."""
