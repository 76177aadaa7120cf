"""The scalar card without a browser: first drawing, live patches, resends, zoom, settings."""

from __future__ import annotations

import numpy as np
import pytest
from dash import Patch

from ploteries.storage import DatabaseWriter
from ploteries.storage.maintenance import purge_run
from ploteries.viz.app import Viewer
from ploteries.viz.cards.common import json_y
from ploteries.viz.cards.scalar import ScalarCard, parse_x_range
from ploteries.viz.library import Library
from ploteries.viz.scalar_figure import pack_entries, series_entries
from ploteries.viz.settings import ViewSettings
from tests.viz.helpers import plain, tensorboard_smoothing, write_scalars


def card_context(lib: Library, tag: str, settings: ViewSettings | None = None):
    viewer = Viewer(lib)
    snapshot = lib.refresh()
    (model,) = [m for m in viewer.models(snapshot, None, None, None, None) if m.title == tag]
    return viewer.context(model, snapshot, settings or ViewSettings(), viewer.colors(snapshot))


def patch_ops(patch: Patch) -> list[tuple]:
    """(operation, location, value) of a dash Patch."""
    return [
        (op["operation"], tuple(op["location"]), op["params"].get("value"))
        for op in patch.to_plotly_json()["operations"]
    ]


@pytest.fixture
def lib(tmp_path):
    write_scalars(tmp_path / "db.h5", {"a": {"loss": [1.0, 2.0, 3.0]}, "b": {"loss": [4.0, 5.0]}})
    return Library([tmp_path])


def test_first_drawing_has_a_faint_raw_and_a_smoothed_line_per_run(lib):
    content = ScalarCard().render(card_context(lib, "loss"))
    data = plain(content.body.figure)["data"]
    assert [(t["name"], t.get("opacity", 1)) for t in data] == [("a", 0.28), ("a", 1), ("b", 0.28), ("b", 1)]
    assert data[0]["y"].tolist() == [1.0, 2.0, 3.0]
    np.testing.assert_allclose(data[1]["y"], tensorboard_smoothing([1.0, 2.0, 3.0], 0.6), rtol=1e-6)
    assert [e["n"] for e in series_entries(content.state)] == [3, 2]
    assert [e["traces"] for e in series_entries(content.state)] == [[0, 1], [2, 3]]


def test_live_tick_sends_only_new_rows_as_a_patch(lib, tmp_path):
    ctx = card_context(lib, "loss")
    card = ScalarCard()
    state = card.render(ctx).state
    assert card.refresh(card_context(lib, "loss"), state, live=True) is None  # nothing new
    with DatabaseWriter(tmp_path / "db.h5") as w:
        w.append_scalar("a", "loss", 6.0, 3)
        w.append_scalar("a", "loss", 7.0, 4)
    update = card.refresh(card_context(lib, "loss"), state, live=True)
    assert isinstance(update.figure, Patch)
    ops = patch_ops(update.figure)
    raw_tail, smooth_tail = (value for op, loc, value in ops if op == "Append" and loc == ("data",))
    assert raw_tail["x"] == [2, 3, 4] and raw_tail["y"] == [3.0, 6.0, 7.0]  # joined to the last point held
    smoothed = tensorboard_smoothing([1, 2, 3, 6, 7], 0.6)
    np.testing.assert_allclose(smooth_tail["y"], smoothed[2:], rtol=1e-6)
    assert smooth_tail["customdata"] == [3.0, 6.0, 7.0] and not raw_tail["showlegend"]
    assert [op for op, *_ in ops] == ["Append", "Append"]  # run b did not change
    assert series_entries(update.state)[0]["tails"] == [4, 5] and update.state["ntraces"] == 6
    assert series_entries(update.state)[0]["n"] == 5
    assert card.refresh(card_context(lib, "loss"), update.state, live=True) is None
    with DatabaseWriter(tmp_path / "db.h5") as w:
        w.append_scalar("a", "loss", 8.0, 5)
    more = card.refresh(card_context(lib, "loss"), update.state, live=True)
    ops = patch_ops(more.figure)  # the next rows extend the tail traces
    assert ("Extend", ("data", 4, "x"), [5]) in ops and ("Extend", ("data", 4, "y"), [8.0]) in ops
    np.testing.assert_allclose(
        dict((loc, v) for _, loc, v in ops)[("data", 5, "y")],
        tensorboard_smoothing([1, 2, 3, 6, 7, 8], 0.6)[5:],
    )
    assert series_entries(more.state)[0]["n"] == 6 and series_entries(more.state)[0]["tail"] == 3


def test_purge_or_tampered_client_state_resends_the_whole_card(lib, tmp_path):
    card = ScalarCard()
    state = card.render(card_context(lib, "loss")).state
    purge_run(tmp_path / "db.h5", "a", 1)
    update = card.refresh(card_context(lib, "loss"), state, live=True)
    assert isinstance(update.figure, dict) and plain(update.figure)["data"][0]["y"].tolist() == [1.0]
    tampered = {
        **update.state,
        "series": pack_entries(
            [{**series_entries(update.state)[0], "digest": "0" * 16}, series_entries(update.state)[1]]
        ),
    }
    with DatabaseWriter(tmp_path / "db.h5") as w:
        w.append_scalar("a", "loss", 9.0, 5)
    resent = card.refresh(card_context(lib, "loss"), tampered, live=True)
    assert isinstance(resent.figure, dict) and plain(resent.figure)["data"][0]["y"].tolist() == [1.0, 9.0]
    garbage = card.refresh(card_context(lib, "loss"), {"series": "nonsense"}, live=True)
    assert isinstance(garbage.figure, dict)


def test_settings_change_redraws_with_new_smoothing_and_rewind(lib):
    card = ScalarCard()
    state = card.render(card_context(lib, "loss")).state
    ctx = card_context(lib, "loss", ViewSettings(smoothing=0.0, step=1))
    update = card.refresh(ctx, state, live=False)
    assert [t["y"].tolist() for t in plain(update.figure)["data"]] == [[1.0, 2.0], [4.0, 5.0]]


def test_zoom_and_autorange(tmp_path):
    values = np.arange(100_000, dtype=float) % 97
    write_scalars(tmp_path / "db.h5", {"r": {"v": values}})
    lib = Library([tmp_path])
    card = ScalarCard()
    state = card.render(card_context(lib, "v")).state
    zoomed = card.relayout(card_context(lib, "v"), state, {"xaxis.range[0]": 500.5, "xaxis.range[1]": 600})
    assert plain(zoomed.figure)["data"][0]["x"].tolist() == list(range(500, 602))
    assert zoomed.state["range"] == [500.5, 600.0]
    back = card.relayout(card_context(lib, "v"), zoomed.state, {"xaxis.autorange": True})
    assert back.state["range"] is None and plain(back.figure)["data"][0]["x"][-1] == 99_999
    assert card.relayout(card_context(lib, "v"), state, {"autosize": True}) is None


def test_log_scale_and_ignore_outliers_shape_the_y_axis(tmp_path):
    values = np.r_[np.linspace(1, 2, 100), 1e6]
    write_scalars(tmp_path / "db.h5", {"r": {"v": values}})
    lib = Library([tmp_path])
    fig = plain(
        ScalarCard()
        .render(card_context(lib, "v", ViewSettings(smoothing=0, ignore_outliers=True)))
        .body.figure
    )
    lo, hi = fig["layout"]["yaxis"]["range"]
    assert 0.5 < lo < 1.1 and 1.9 < hi < 3  # the spike does not squash the curve
    fig = plain(ScalarCard().render(card_context(lib, "v", ViewSettings(log_y=True))).body.figure)
    assert fig["layout"]["yaxis"]["type"] == "log"


def test_wall_and_relative_axes(lib):
    fig = plain(ScalarCard().render(card_context(lib, "loss", ViewSettings(xmode="wall"))).body.figure)
    assert fig["data"][0]["x"][0] == "2023-11-14T22:13:20.000"
    fig = plain(ScalarCard().render(card_context(lib, "loss", ViewSettings(xmode="relative"))).body.figure)
    np.testing.assert_allclose(fig["data"][0]["x"], [0, 1 / 3600, 2 / 3600])
    assert fig["layout"]["xaxis"]["title"]["text"] == "relative time (hours)"


def test_export_rows_are_full_resolution_raw_values(lib):
    rows = ScalarCard().export(card_context(lib, "loss"))
    assert [(r.run, r.step, r.value) for r in rows] == [
        ("a", 0, 1.0),
        ("a", 1, 2.0),
        ("a", 2, 3.0),
        ("b", 0, 4.0),
        ("b", 1, 5.0),
    ]


def test_parse_x_range_accepts_plotly_forms_and_rejects_garbage():
    assert parse_x_range({"xaxis.range": [1, 2]}, "step") == (1.0, 2.0)
    assert parse_x_range({"xaxis.range[0]": "a", "xaxis.range[1]": 2}, "step") is None
    assert parse_x_range({"xaxis.range[0]": float("nan"), "xaxis.range[1]": 2}, "step") is None
    r0, r1 = parse_x_range({"xaxis.range": ["2026-01-01 10:00:00.5", "2026-01-01 11:00"]}, "wall")
    assert str(r0) == "2026-01-01T10:00:00.500" and str(r1) == "2026-01-01T11:00:00.000"
    assert parse_x_range("junk", "step") is None


def test_json_y_keeps_float64_where_float32_would_lose_the_value():
    assert json_y(np.array([1e-40, 1.0])).dtype == np.float64
    assert json_y(np.array([np.nan, 1.0])).dtype == np.float32


def test_view_settings_from_untrusted_input():
    assert ViewSettings.from_store(None) == ViewSettings()
    s = ViewSettings.from_store({"smoothing": "0.25", "xmode": "wall", "log_y": 1, "step": 12.0})
    assert (s.smoothing, s.xmode, s.log_y, s.step, s.stop) == (0.25, "wall", True, 12, 13)
    assert ViewSettings.from_store({"smoothing": float("nan"), "step": True}).step is None
    assert ViewSettings.from_store({"smoothing": -3}).smoothing == 0.0


def test_an_overview_is_computed_once_per_series_contents_and_view(lib, tmp_path, monkeypatch):
    import ploteries.viz.cards.scalar as scalar_module

    card = ScalarCard()
    first = plain(card.render(card_context(lib, "loss")).body.figure)
    reads = []
    real_read = scalar_module.read_series
    monkeypatch.setattr(
        scalar_module, "read_series", lambda lib, refs, **kw: reads.append(refs) or real_read(lib, refs, **kw)
    )
    again = plain(card.render(card_context(lib, "loss")).body.figure)  # a page reload: nothing is read
    assert reads == [[]]
    assert [t["y"].tolist() for t in again["data"]] == [t["y"].tolist() for t in first["data"]]
    smoother = card.render(card_context(lib, "loss", ViewSettings(smoothing=0.9)))  # another view: read again
    assert [r.run for r in reads[-1]] == ["a", "b"]
    np.testing.assert_allclose(
        plain(smoother.body.figure)["data"][1]["y"], tensorboard_smoothing([1.0, 2.0, 3.0], 0.9), rtol=1e-6
    )
    with DatabaseWriter(tmp_path / "db.h5") as w:
        w.append_scalar("a", "loss", 6.0, 3)
    grown = plain(card.render(card_context(lib, "loss")).body.figure)  # new rows: that series is read again
    assert [r.run for r in reads[-1]] == ["a"]
    assert grown["data"][0]["y"].tolist() == [1.0, 2.0, 3.0, 6.0]
    assert grown["data"][2]["y"].tolist() == [4.0, 5.0]
