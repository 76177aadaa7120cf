"""Card names come from the viewer's card registry only: what validation accepts is what the viewer draws."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import ploteries
from ploteries.figures import (
    BUILTIN_CARDS,
    DefinitionError,
    card_types,
    validate_definition,
)
from ploteries.figures import cards as card_names
from ploteries.storage import DatabaseWriter
from ploteries.viz.app import Viewer
from ploteries.viz.cards import ENTRY_POINT_GROUP, builtin_card_types
from ploteries.viz.library import Library


def definition(card: str) -> dict:
    return {"id": f"mine/{card}", "card": card, "series": {"s": {"tag": "loss"}}}


def test_the_names_are_the_viewer_registrys():
    assert set(BUILTIN_CARDS) == set(builtin_card_types())
    assert len(BUILTIN_CARDS) == len(set(BUILTIN_CARDS))
    assert card_names.CARDS_WITHOUT_SERIES <= set(BUILTIN_CARDS)
    assert ENTRY_POINT_GROUP == card_names.CARD_ENTRY_POINT_GROUP


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "db.h5"
    with DatabaseWriter(path) as w:
        for step in range(3):
            w.append_scalar("a", "loss", float(step), step=step)
    return path


def test_every_registered_card_is_stored_and_shown_with_its_card_type(db):
    registry = builtin_card_types()
    figures = ploteries.open(db).figures
    for card in registry:
        assert figures.add(definition(card))["card"] == card
    lib = Library([db.parent])
    models = {m.id: m for m in Viewer(lib, types=registry).models(lib.refresh(), None, None, None, None)}
    for card, card_type in registry.items():
        model = models[f"mine/{card}"]
        assert model.error is None, model.error
        assert model.card_type is card_type


@pytest.mark.parametrize(
    "card, suggestion",
    [("graph", "'model_graph'"), ("tensors", "'tensor'"), ("table", None), ("Scalar", "'scalar'")],
)
def test_an_unknown_card_is_rejected_naming_every_valid_card(db, card, suggestion):
    figures = ploteries.open(db).figures
    with pytest.raises(DefinitionError) as err:
        figures.add(definition(card))
    message = str(err.value)
    assert f"card {card!r} is not a known card type" in message
    assert f"known: {', '.join(card_types())};" in message
    assert all(name in message for name in builtin_card_types())
    if suggestion:
        assert f"did you mean {suggestion}" in message
    assert figures.ids() == []  # nothing written


def test_plugin_card_names_are_accepted_beside_the_registrys():
    d = validate_definition({"id": "x", "card": "sankey"}, cards=[*BUILTIN_CARDS, "sankey"])
    assert d["card"] == "sankey" and d["series"] == {}  # a plug-in decides whether it needs series
    with pytest.raises(DefinitionError, match=r"series is required for card 'model_graph'"):
        validate_definition({"id": "x", "card": "model_graph"})


def test_docs_list_the_same_cards():
    doc = (Path(__file__).parents[2] / "docs" / "figures.md").read_text()
    (row,) = [line for line in doc.splitlines() if line.startswith("| `card` |")]
    listed = re.findall(r"`(\w+)`", row.split("one of the viewer's:")[1].split("(`ploteries")[0])
    assert listed == list(BUILTIN_CARDS)
