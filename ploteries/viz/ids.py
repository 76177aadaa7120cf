"""Ids and states of the page that card types' own callbacks use (see :meth:`CardType.register_callbacks`).

A card type's callback that needs its card's context passes ``*VIEW_STATES`` as its last states and is
decorated with :func:`~ploteries.viz.cards.common.in_card_context`, which calls
``app.viewer.card_context(card_id, *values)``::

    @app.callback(Output(card_id("image-view", MATCH), "src"), Input(card_id("image-step", MATCH), "value"),
                  *VIEW_STATES)
    @in_card_context(app)
    def show(context, step):
        ...
"""

from __future__ import annotations

from dash import State

__all__ = ["VIEW_STATES", "card_id"]

VIEW_STATES = [
    State("settings", "data"),
    State("tabs", "value"),
    State("tag-filter", "value"),
    State("run-filter", "value"),
    State("runs", "value"),
]
"""The global settings and filters, in the order :meth:`Viewer.card_context` takes them."""


def card_id(kind: str, card, **extra) -> dict:
    """The pattern-matching id of a component of one card: ``{"type": kind, "card": card, ...}``.

    Examples
    --------
    >>> card_id("card-graph", "auto/scalar/loss")
    {'type': 'card-graph', 'card': 'auto/scalar/loss'}
    """
    return {"type": kind, "card": card, **extra}
