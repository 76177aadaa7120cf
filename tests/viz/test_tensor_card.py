"""The generic card without a browser: tables of any array or record array, the line of a field, fallback."""

from __future__ import annotations

import numpy as np
import pytest
from dash import Patch, html

from ploteries.compat import SummaryWriter
from ploteries.storage import DatabaseWriter, json_to_array
from ploteries.viz.app import Viewer
from ploteries.viz.cards import card_for_kind
from ploteries.viz.cards.controls import latest_at
from ploteries.viz.cards.tensor import TensorCard
from ploteries.viz.library import Library
from ploteries.viz.services.records import field_means, numeric_fields, table_of
from ploteries.viz.settings import ViewSettings
from tests.viz.helpers import card_context, plain

DTYPE = np.dtype([("name", "U4"), ("pos", "f4", (2,)), ("n", "i8"), ("sub", [("a", "f8"), ("b", "?")])])


def batch(step: int) -> np.ndarray:
    rec = np.zeros(3, DTYPE)
    rec["name"] = ["x", "y", "z"]
    rec["pos"] = [[step, 0], [1, 1], [2, 2]]
    rec["n"] = np.arange(3) * step
    rec["sub"]["a"] = 0.5 + step
    rec["sub"]["b"] = [True, False, True]
    return rec


@pytest.fixture
def runs(tmp_path):
    with SummaryWriter(str(tmp_path / "runs" / "exp")) as w:
        for step in range(0, 50, 5):
            w.add_tensor("batch", batch(step), step)
            w.add_tensor("matrix", np.arange(600.0).reshape(150, 4) + step, step)
    return tmp_path / "runs"


def cells(component) -> list[list[str]]:
    """The rows of the first html.Table below ``component`` (header first)."""
    found = []

    def walk(c):
        if isinstance(c, html.Table):
            found.append(c)
        children = getattr(c, "children", None)
        for child in children if isinstance(children, list) else [children]:
            if child is not None and not isinstance(child, str):
                walk(child)

    walk(html.Div(component))
    head, body = found[0].children
    rows = [[c.children for c in head.children.children]]
    rows += [[c.children for c in tr.children] for tr in body.children]
    return rows


def test_a_record_array_is_a_table_with_a_column_per_flattened_field(runs):
    lib = Library([runs])
    content = TensorCard().render(card_context(lib, "batch"))
    record = content.body.children[1]
    assert record.children[0].children == "exp · step 45 · record of 4 fields (3,)"
    assert cells(record.children) == [
        ["", "name", "pos", "n", "sub.a", "sub.b"],
        ["0", "x", "[45, 0]", "0", "45.5", "True"],
        ["1", "y", "[1, 1]", "45", "45.5", "False"],
        ["2", "z", "[2, 2]", "90", "45.5", "True"],
    ]
    assert content.state["field"] == "pos"  # the first numeric field
    fig = plain(content.body.children[2].figure)
    np.testing.assert_allclose(fig["data"][0]["y"], [(s + 6) / 6 for s in range(0, 50, 5)], rtol=1e-6)
    assert fig["layout"]["yaxis"]["title"]["text"] == "mean of pos"


def test_the_field_choice_draws_its_mean_and_survives_live_ticks(runs):
    lib = Library([runs])
    card = TensorCard()
    ctx = card.with_field(card_context(lib, "batch"), {"field": "sub.a"})
    fig, state = card.figure_and_state(ctx)
    fig = plain(fig)
    assert state["field"] == "sub.a" and fig["data"][0]["y"].tolist() == [s + 0.5 for s in range(0, 50, 5)]
    assert card.refresh(card_context(lib, "batch"), state, live=True) is None
    with SummaryWriter(str(runs / "exp")) as w:
        w.add_tensor("batch", batch(100), 100)
    update = card.refresh(card_context(lib, "batch"), state, live=True)
    assert isinstance(update.figure, Patch) and update.state["field"] == "sub.a"
    ops = {
        tuple(op["location"]): op["params"]["value"] for op in update.figure.to_plotly_json()["operations"]
    }
    tail = ops[("data",)]  # a tail trace joined to the last point held
    assert tail["y"] == [45.5, 100.5] and tail["x"] == [45, 100]


def test_large_arrays_are_cut_with_a_note_and_rewind_shows_an_older_record(runs):
    lib = Library([runs])
    card = TensorCard()
    ctx = card_context(lib, "matrix", ViewSettings(step=22))
    record = card.record_body(ctx, ctx.series[0])
    assert record[0].children == "exp · step 20 · float64 (150, 4)"
    rows = cells(record)
    assert len(rows) == 101 and rows[1] == ["0", "20", "21", "22", "23"]
    assert record[2].children == "showing 100 of 150 rows"
    assert latest_at(card_context(lib, "matrix", ViewSettings(step=-1)), ctx.series[0]) is None
    fig = card.render(card_context(lib, "matrix")).body.children[2].figure
    assert fig["layout"]["yaxis"]["title"]["text"] == "mean of value"


def test_kinds_without_a_card_type_fall_back_to_the_generic_card(tmp_path):
    with DatabaseWriter(tmp_path / "db.h5") as w:
        w.append("r", "odd", np.arange(3, dtype=np.int16), 0, kind="my_kind")
        w.append("r", "doc", json_to_array({"lr": 0.1}), 0, kind="hparams_like", ragged=True)
    lib = Library([tmp_path])
    assert card_for_kind(Viewer(lib).types, "my_kind").name == "tensor"
    ctx = card_context(lib, "odd")
    assert ctx.card_type.name == "tensor" and ctx.definition["series"]["y"]["tag"] == "odd"
    assert cells(TensorCard().record_body(ctx, ctx.series[0]))[1:] == [["0", "0"], ["1", "1"], ["2", "2"]]
    doc = card_context(lib, "doc")
    text = TensorCard().record_body(doc, doc.series[0])[1]
    assert isinstance(text, html.Pre) and text.children == '{\n  "lr": 0.1\n}'


def test_tables_of_every_shape():
    assert table_of(np.float32(2.5)).rows == [["2.5"]]
    t = table_of(np.arange(24).reshape(2, 3, 4))
    assert t.header == ["", "0", "1", "2", "3"] and t.rows[4] == ["1, 1", "16", "17", "18", "19"]
    wide = table_of(np.zeros((2, 80)))
    assert len(wide.header) == 51 and wide.note == "showing 50 of 80 columns"
    s = table_of(np.array([b"ab", b"c"]))
    assert s.rows == [["0", "ab"], ["1", "c"]]
    assert numeric_fields(DTYPE) == ["pos", "n", "sub.a", "sub.b"]
    assert field_means(np.zeros(2, DTYPE), "name").tolist() == [pytest.approx(np.nan, nan_ok=True)] * 2
