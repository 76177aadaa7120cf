"""Card types: the built-in ones, and those installed packages register under the ``ploteries.cards`` entry points.

>>> sorted(builtin_card_types())
['embedding', 'hparams', 'mesh', 'model_graph', 'scalar']
"""

from __future__ import annotations

import importlib.metadata
import warnings

from .base import CardContent, CardContext, CardType, CardUpdate
from .embedding import EmbeddingCard
from .graph import GraphCard
from .hparams import HparamsCard
from .mesh import MeshCard
from .scalar import ScalarCard

__all__ = [
    "ENTRY_POINT_GROUP",
    "CardContent",
    "CardContext",
    "CardType",
    "CardUpdate",
    "builtin_card_types",
    "card_for_kind",
    "load_card_types",
]

ENTRY_POINT_GROUP = "ploteries.cards"


def builtin_card_types() -> dict[str, CardType]:
    """The card types that ship with ploteries, by name."""
    return {
        card.name: card for card in (ScalarCard(), HparamsCard(), MeshCard(), EmbeddingCard(), GraphCard())
    }


def load_card_types() -> dict[str, CardType]:
    """Built-in card types plus the installed plug-ins (a plug-in may not replace a built-in one).

    A plug-in is a :class:`CardType` subclass exposed as an entry point, e.g. in its ``pyproject.toml``::

        [project.entry-points."ploteries.cards"]
        confusion = "my_package.cards:ConfusionMatrixCard"

    A plug-in that fails to load is reported with a warning and left out.
    """
    types = builtin_card_types()
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        try:
            cls = ep.load()
            card = cls() if isinstance(cls, type) else cls
            if not isinstance(card, CardType) or not card.name:
                raise TypeError(f"{ep.value} is not a ploteries CardType subclass with a name")
        except Exception as exc:  # noqa: BLE001 - a broken plug-in must not take the viewer down
            warnings.warn(f"ploteries: card plug-in {ep.name!r} not loaded: {exc}", stacklevel=2)
            continue
        if card.name in types:
            warnings.warn(
                f"ploteries: card plug-in {ep.name!r} uses the built-in name {card.name!r}; ignored",
                stacklevel=2,
            )
            continue
        types[card.name] = card
    return types


def card_for_kind(types: dict[str, CardType], kind: str) -> CardType | None:
    """The card type that draws the default card of a series kind (built-ins first), or None."""
    for card in types.values():
        if kind in card.kinds:
            return card
    return None
