"""What one page of the viewer shows: the tabs, and the cards of the selected tab bound to the visible series.

Pure functions of a :class:`~ploteries.viz.library.Snapshot` and the user's filters; the callbacks call them on
every event, so the browser never has to be trusted with more than card ids.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from ploteries.figures import strip_store_keys, validate_definition

from .cards import CardType, card_for_kind
from .definitions import AUTO_PREFIX, SeriesIndex, definition_tab, main_series, stored_definitions, tabs_of
from .library import Library, SeriesRef, Snapshot
from .services.runlist import parse_selection
from .services.tags import Regex, compile_filter
from .settings import run_key_from_value

__all__ = ["PAGE_SIZE", "CardModel", "all_definitions", "card_models", "visible_series"]

PAGE_SIZE = 24
"""Cards per page: more stay one click away, so a tab of 1,000 tags loads as fast as one of 24."""


@dataclasses.dataclass
class CardModel:
    """One card of the page: its definition, card type and bound series (or the reason it cannot be drawn)."""

    id: str
    definition: dict
    card_type: CardType | None
    bound: dict[str, list[SeriesRef]]
    error: str | None = None

    @property
    def title(self) -> str:
        return str(self.definition.get("title") or self.id)


def visible_series(snapshot: Snapshot, run_pattern: str | None, selection: Any) -> list[SeriesRef]:
    """The series of runs that pass the run filter (regex on the run's label) and are not hidden.

    ``selection`` says which runs are hidden (:mod:`ploteries.viz.services.runlist`); None hides none.
    """
    regex, _ = compile_filter(run_pattern)
    labels = snapshot.labels
    only, listed_values = parse_selection(selection)
    listed = {k for k in (run_key_from_value(v) for v in listed_values) if k is not None}
    out = []
    for ref in snapshot.series:
        key = ref.run_key
        if (tuple(key) in listed) != only:
            continue
        if regex is not None and not regex.search(labels.get(key, key.run)):
            continue
        out.append(ref)
    return out


def checked_definition(definition: dict, types: Mapping[str, CardType]) -> dict:
    """A stored definition validated (defaults filled), or kept as it is with the reason in ``_error``."""
    extra = {k: v for k, v in definition.items() if k.startswith("_")}
    body = strip_store_keys({k: v for k, v in definition.items() if not k.startswith("_")})
    try:
        return {**validate_definition(body, cards=tuple(types)), **extra}
    except (ValueError, TypeError) as exc:
        return {**definition, "_error": f"invalid figure definition: {exc}"}


def all_definitions(
    snapshot: Snapshot, types: Mapping[str, CardType], library: Library | None = None
) -> list[dict]:
    """Stored figure definitions first, then the default cards of every tag, then those derived from data.

    The derived ones (:meth:`CardType.data_definitions`, e.g. custom-scalars charts) need ``library`` to
    read the documents they come from; without it they are left out.
    """
    defs = [checked_definition(d, types) for d in stored_definitions(snapshot)]
    for tag, kind in main_series(snapshot.series).items():
        card = card_for_kind(dict(types), kind)
        if card is not None:
            defs += card.default_definitions(tag, kind)
    if library is not None:
        for card in types.values():
            defs += card.data_definitions(snapshot, library)
    return defs


def _tag_matches(regex: Regex | None, definition: Mapping, bound: Mapping[str, Sequence[SeriesRef]]) -> bool:
    if regex is None:
        return True
    texts = [str(definition.get("title") or ""), str(definition.get("id") or "")]
    texts += [r.tag for refs in bound.values() for r in refs]
    return any(regex.search(t) for t in texts)


def card_models(
    definitions: Sequence[dict],
    types: Mapping[str, CardType],
    visible: Sequence[SeriesRef],
    *,
    tab: str | None,
    tag_pattern: str | None = None,
) -> list[CardModel]:
    """The cards of ``tab`` (every tab if None) passing the tag filter, each bound to the visible series.

    Default cards with no visible series are left out (their runs are hidden); stored definitions stay,
    drawn empty, so that a definition whose series is not written yet is still there to see and edit.
    """
    regex, _ = compile_filter(tag_pattern)
    index = SeriesIndex(visible)
    out = []
    for d in definitions:
        if tab is not None and definition_tab(d) != tab:
            continue
        fid = str(d.get("id"))
        card = types.get(d.get("card") or "plotly")
        bindings = d.get("series") if isinstance(d.get("series"), Mapping) else {}
        bound = {name: index.bind(b) for name, b in bindings.items() if isinstance(b, Mapping)}
        auto = fid.startswith(AUTO_PREFIX)
        if auto and not any(bound.values()):
            continue
        if not _tag_matches(regex, d, bound):
            continue
        error = d.get("_error")
        if error is None and card is None:
            error = f"unknown card type {d.get('card')!r}; known: {sorted(types)}"
        out.append(CardModel(fid, d, card, bound, error))
    return out


def page_tabs(definitions: Sequence[dict]) -> list[str]:
    """Tabs in natural order."""
    return tabs_of(definitions)
