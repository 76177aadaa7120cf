"""Custom-scalars charts without a browser: layouts merged as TensorBoard, regex tags, multiline, margin."""

from __future__ import annotations

import numpy as np
import pytest
from dash import Patch

from ploteries.compat import SummaryWriter
from ploteries.storage import DatabaseWriter, json_to_array
from ploteries.viz.app import Viewer
from ploteries.viz.cards.custom_scalars import CustomScalarsCard
from ploteries.viz.library import Library
from ploteries.viz.page import all_definitions, page_tabs
from ploteries.viz.scalar_figure import series_entries
from ploteries.viz.services.custom_scalars import match_tags, merge_layouts, parse_layout
from tests.viz.helpers import card_context, plain, tensorboard_smoothing, write_custom_scalars


@pytest.fixture
def runs(tmp_path):
    return write_custom_scalars(tmp_path / "runs")


def test_each_chart_is_a_card_in_the_tab_of_its_category(runs):
    lib = Library([runs])
    snapshot = lib.refresh()
    defs = [d for d in all_definitions(snapshot, Viewer(lib).types, lib) if d["card"] == "custom_scalars"]
    assert [(d["id"], d["tab"], d["title"]) for d in defs] == [
        ("auto/custom_scalars/Losses/train and val", "Losses", "train and val"),
        ("auto/custom_scalars/Accuracy/band", "Accuracy", "band"),
    ]  # the same layout logged by both runs is drawn once
    assert {"Losses", "Accuracy"} <= set(page_tabs(all_definitions(snapshot, Viewer(lib).types, lib)))
    assert "_custom_scalars_" not in page_tabs(all_definitions(snapshot, Viewer(lib).types, lib))


def test_multiline_draws_a_smoothed_line_per_run_and_matched_tag(runs):
    lib = Library([runs])
    content = CustomScalarsCard().render(card_context(lib, "train and val"))
    fig = plain(content.body.figure)
    smoothed = [t for t in fig["data"] if t.get("opacity", 1) == 1]
    assert [t["name"] for t in smoothed] == [
        "loss/train · a",
        "loss/train · b",
        "loss/val · a",
        "loss/val · b",
    ]
    raw = [t for t in fig["data"] if t.get("opacity") == 0.28]
    np.testing.assert_allclose(raw[1]["y"], [2.0 / (s + 1) for s in range(6)], rtol=1e-6)
    np.testing.assert_allclose(smoothed[0]["y"], tensorboard_smoothing([1 / (s + 1) for s in range(6)], 0.6))
    assert len({t["line"]["color"] for t in smoothed}) == 4 and fig["layout"]["showlegend"] is True


def test_margin_draws_a_band_between_lower_and_upper_and_the_value_line(runs):
    lib = Library([runs])
    fig = plain(CustomScalarsCard().render(card_context(lib, "band")).body.figure)
    names = [(t["name"], t.get("fill")) for t in fig["data"]]
    assert names == [("a (lower)", None), ("a (upper)", "tonexty"), ("a", None)] + [
        ("b (lower)", None),
        ("b (upper)", "tonexty"),
        ("b", None),
    ]
    assert fig["data"][1]["y"].tolist() == [s + 1.0 for s in range(6)]
    assert fig["data"][5]["y"].tolist() == [2.0 * s for s in range(6)]  # Margin charts are not smoothed


def test_live_rows_extend_the_chart_like_a_scalar_card(runs):
    lib = Library([runs])
    card = CustomScalarsCard()
    state = card.render(card_context(lib, "band")).state
    assert card.refresh(card_context(lib, "band"), state, live=True) is None
    with SummaryWriter(str(runs / "a")) as w:
        w.add_scalar("acc/hi", 99.0, 6)
    update = card.refresh(card_context(lib, "band"), state, live=True)
    assert isinstance(update.figure, Patch)
    ops = [
        (tuple(op["location"]), op["params"]["value"]) for op in update.figure.to_plotly_json()["operations"]
    ]
    upper_tail = ops[0][1]  # a tail trace joined to the upper line's last point, filled like it
    assert ops[0][0] == ("data",) and upper_tail["y"] == [6.0, 99.0] and upper_tail["fill"] == "tonexty"
    assert series_entries(update.state)[1]["tails"] == [6]


def test_bad_layouts_and_regexes_show_a_message_in_a_card(tmp_path):
    with DatabaseWriter(tmp_path / "db.h5") as w:
        w.append_scalar("r", "loss", 1.0, 0)
        w.append(
            "r",
            "_custom_scalars_",
            json_to_array({"c": {"x": ["Multiline", ["("]]}}),
            0,
            kind="custom_scalars",
            ragged=True,
        )
        w.append(
            "q", "_custom_scalars_", json_to_array(["not", "a layout"]), 0, kind="custom_scalars", ragged=True
        )
    lib = Library([tmp_path])
    viewer = Viewer(lib)
    cards = {
        m.title: viewer.render_card(m, lib.refresh(), *_settings(viewer, lib))
        for m in viewer.models(lib.refresh(), None, None, None, None)
    }
    assert "invalid regular expression '('" in str(cards["x"])
    assert "cannot use the layout" in str(cards["custom scalars layout of q"])
    assert CustomScalarsCard().refresh(card_context(lib, "x"), {}, live=True) is None


def _settings(viewer, lib):
    from ploteries.viz.settings import ViewSettings

    return ViewSettings(), viewer.colors(lib.refresh())


def test_layout_reads_are_cached_until_the_series_changes(runs, monkeypatch):
    lib = Library([runs])
    card = CustomScalarsCard()
    snapshot = lib.refresh()
    card.data_definitions(snapshot, lib)
    calls = []
    monkeypatch.setattr(type(lib.database("a/ploteries.h5")), "read_records", lambda *a, **k: calls.append(a))
    assert len(card.data_definitions(snapshot, lib)) == 2 and calls == []


def test_layout_helpers_follow_tensorboard():
    assert match_tags(["loss"], ["loss/train", "my_loss"])[0] == ["loss/train"]
    a = {"c": {"x": ["Multiline", ["a"]]}}
    b = {"c": {"x": ["Multiline", ["b"]], "y": ["Multiline", ["a"]]}, "d": {"z": ["Margin", ["a", "b", "c"]]}}
    assert merge_layouts([a, b]) == [
        ("c", "x", ["Multiline", ["a"]]),
        ("c", "x", ["Multiline", ["b"]]),
        ("c", "y", ["Multiline", ["a"]]),
        ("d", "z", ["Margin", ["a", "b", "c"]]),
    ]
    with pytest.raises(ValueError, match="unknown chart type 'Bars'"):
        parse_layout({"c": {"x": ["Bars", []]}})
