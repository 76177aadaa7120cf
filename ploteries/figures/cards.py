"""The names of the card types a figure definition may ask for (stdlib only: validation never imports the viewer).

The viewer's card registry (:func:`ploteries.viz.cards.builtin_card_types`) holds the card types themselves; a test
keeps :data:`BUILTIN_CARDS` equal to its names, so a definition is accepted exactly when the viewer can draw it.
Card types of other packages are entry points of the group :data:`CARD_ENTRY_POINT_GROUP`: only their names are
read here, nothing is imported.

>>> "model_graph" in card_types() and "tensor" in card_types()
True
"""

from __future__ import annotations

import functools
import importlib.metadata

CARD_ENTRY_POINT_GROUP = "ploteries.cards"
"""The entry-point group under which installed packages register card types."""

BUILTIN_CARDS: tuple[str, ...] = (
    "scalar", "histogram", "distribution", "pr_curve", "custom_scalars", "image", "text", "audio", "video",
    "hparams", "mesh", "embedding", "model_graph", "tensor", "plotly",
)  # fmt: skip
"""The card types the viewer ships, by name (the names of :func:`ploteries.viz.cards.builtin_card_types`)."""

CARDS_WITHOUT_SERIES = frozenset({"plotly"})
"""Built-in card types that may draw without a binding; every other one draws from at least one."""


@functools.lru_cache(maxsize=1)
def card_types() -> tuple[str, ...]:
    """The card types: the built-in ones, then those of installed packages (entry points, never imported).

    A package registers a card type under the entry-point group ``ploteries.cards``; only the names are
    read here. Cached: call ``card_types.cache_clear()`` after installing a package in a running process.

    Examples
    --------
    >>> card_types()[:3]
    ('scalar', 'histogram', 'distribution')
    """
    plugins = sorted({ep.name for ep in importlib.metadata.entry_points(group=CARD_ENTRY_POINT_GROUP)})
    return BUILTIN_CARDS + tuple(name for name in plugins if name not in BUILTIN_CARDS)


def needs_series(card: str) -> bool:
    """Whether a definition of this card type must bind at least one series (plug-ins decide for themselves).

    Examples
    --------
    >>> needs_series("scalar"), needs_series("plotly"), needs_series("my_plugin_card")
    (True, False, False)
    """
    return card in BUILTIN_CARDS and card not in CARDS_WITHOUT_SERIES


__all__ = ["BUILTIN_CARDS", "CARDS_WITHOUT_SERIES", "CARD_ENTRY_POINT_GROUP", "card_types", "needs_series"]
