"""Card types: the built-in ones, and those installed packages register under the ``ploteries.cards`` entry points.

>>> sorted(builtin_card_types())[:3]
['audio', 'custom_scalars', 'distribution']
"""

from __future__ import annotations

import importlib.metadata
import warnings

from ploteries.figures.cards import CARD_ENTRY_POINT_GROUP
from ploteries.storage.kinds import KINDS

from .audio import AudioCard
from .base import CardContent, CardContext, CardType, CardUpdate
from .custom_scalars import CustomScalarsCard
from .embedding import EmbeddingCard
from .graph import GraphCard
from .histogram import DistributionCard, HistogramCard
from .hparams import HparamsCard
from .image import ImageCard
from .mesh import MeshCard
from .plotly import PlotlyCard
from .pr_curve import PrCurveCard
from .scalar import ScalarCard
from .tensor import TensorCard
from .text import TextCard
from .video import VideoCard

__all__ = [
    "ENTRY_POINT_GROUP",
    "FALLBACK_CARD",
    "CardContent",
    "CardContext",
    "CardType",
    "CardUpdate",
    "builtin_card_types",
    "card_for_kind",
    "load_card_types",
]

ENTRY_POINT_GROUP = CARD_ENTRY_POINT_GROUP

FALLBACK_CARD = "tensor"
"""The card type of kinds no card type claims: a table of the latest record and a line over steps."""


def builtin_card_types() -> dict[str, CardType]:
    """The card types that ship with ploteries, by name (a test keeps them those of ``ploteries.figures.cards``)."""
    cards = (
        ScalarCard(),
        HistogramCard(),
        DistributionCard(),
        PrCurveCard(),
        CustomScalarsCard(),
        ImageCard(),
        TextCard(),
        AudioCard(),
        VideoCard(),
        HparamsCard(),
        MeshCard(),
        EmbeddingCard(),
        GraphCard(),
        TensorCard(),
        PlotlyCard(),
    )
    return {card.name: card for card in cards}


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
    """The card type that draws the default cards of a series kind.

    A kind of the registry (:data:`ploteries.storage.kinds.KINDS`) gets the card it names; another kind the
    first card type (a plug-in) that lists it in :attr:`CardType.kinds`. A kind no card type claims falls back
    to :data:`FALLBACK_CARD` (the generic table and line), so whatever was logged can be seen; None only if
    that card type is missing too.

    Examples
    --------
    >>> types = builtin_card_types()
    >>> [card_for_kind(types, k).name for k in ("histogram", "graph", "my_own_kind")]
    ['histogram', 'model_graph', 'tensor']
    """
    known = KINDS.get(kind)
    if known is not None and known.card in types:
        return types[known.card]
    for card in types.values():
        if kind in card.kinds:
            return card
    return types.get(FALLBACK_CARD)
