"""Histogram and distribution cards without a browser: picks, re-binning, ridges, bands, live, rewind, errors."""

from __future__ import annotations

import numpy as np
import pytest
from dash import Patch
from tensorboard.plugins.distribution.compressor import compress_histogram

from ploteries.compat import SummaryWriter
from ploteries.storage import HIST_BUCKET_DTYPE, DatabaseWriter
from ploteries.storage.maintenance import purge_run
from ploteries.viz.app import Viewer
from ploteries.viz.cards.histogram import (
    DistributionCard,
    HistogramCard,
    offset_traces,
    overlay_traces,
    pick_rows,
    read_histograms,
)
from ploteries.viz.library import Library
from ploteries.viz.page import all_definitions
from ploteries.viz.services.histogram_layout import rebin_all, ridge_tops
from ploteries.viz.settings import ViewSettings
from tests.viz.helpers import card_context

VALUES = {step: np.random.default_rng(step).normal(step / 10, 1.0, 500) for step in range(0, 120, 2)}


@pytest.fixture
def runs(tmp_path):
    for run, shift in (("a", 0.0), ("b", 5.0)):
        w = SummaryWriter(str(tmp_path / "runs" / run))
        for step, values in VALUES.items():
            w.add_histogram("w/fc", values + shift, step)
        w.close()
    return tmp_path / "runs"


def log_histogram(run_dir, values, step):
    with SummaryWriter(str(run_dir)) as w:
        w.add_histogram("w/fc", values, step)


def ridges(figure):
    return [t for t in figure["data"] if t.get("fill") == "tonexty"]


def test_a_histogram_tag_gets_a_histogram_and_a_distribution_card(runs):
    lib = Library([runs])
    defs = all_definitions(lib.refresh(), Viewer(lib).types, lib)
    assert [(d["id"], d["title"]) for d in defs] == [
        ("auto/histogram/w/fc", "w/fc"),
        ("auto/distribution/w/fc", "w/fc (distribution)"),
    ]


def test_offset_view_draws_at_most_50_evenly_picked_ridges_with_the_latest(runs):
    lib = Library([runs])
    ctx = card_context(lib, "w/fc")
    content = HistogramCard().render(ctx)
    fig = content.body.children[1].figure
    drawn = ridges(fig)
    assert len(drawn) == 50  # 60 steps logged
    steps = [int(t["name"].split()[1]) for t in drawn]
    assert steps[0] == 0 and steps[-1] == 118 and steps == sorted(steps)
    assert fig["layout"]["yaxis"]["autorange"] == "reversed"
    # every ridge holds all 500 values, re-binned onto 30 common bins
    for t in drawn:
        counts = [c[2] for c in t["customdata"]]
        assert len(counts) == 30 and sum(counts) == pytest.approx(500)
    assert content.state["mode"] == "offset" and content.state["series"][0]["n"] == 60


def test_bucket_counts_are_the_stored_buckets_rebinned_on_common_edges(runs):
    lib = Library([runs])
    ctx = card_context(lib, "w/fc")
    hist = read_histograms(ctx, ctx.series[0], 50)
    with_db = lib.database(ctx.series[0].source)
    stored = with_db.read_records("a", "w/fc")
    picked = pick_rows(stored.step, None, 50)
    assert hist.steps.tolist() == stored.step[picked].tolist()
    edges, counts = rebin_all([stored.values[i] for i in picked], 30)
    fig = HistogramCard().draw(ctx, {"mode": "overlay"})[0]
    assert [t["y"] for t in fig["data"]] == counts.tolist()
    assert fig["data"][0]["customdata"][0][:2] == [edges[0], edges[1]]
    assert fig["layout"]["yaxis"]["title"]["text"] == "count"


def test_run_choice_and_unknown_run_fall_back_to_the_first(runs):
    lib = Library([runs])
    ctx = card_context(lib, "w/fc")
    fig_b, state_b = HistogramCard().draw(ctx, {"run": '["b/ploteries.h5", "b"]'})
    assert state_b["run"] == '["b/ploteries.h5", "b"]'
    assert fig_b["data"][1]["fillcolor"] != HistogramCard().draw(ctx, {})[0]["data"][1]["fillcolor"]
    assert HistogramCard().draw(ctx, {"run": "junk"})[1]["run"] == '["a/ploteries.h5", "a"]'


def test_live_tick_sends_nothing_until_a_step_arrives_then_redraws(runs):
    lib = Library([runs])
    card = HistogramCard()
    state = card.render(card_context(lib, "w/fc")).state
    assert card.refresh(card_context(lib, "w/fc"), state, live=True) is None
    log_histogram(runs / "a", np.full(10, 3.0), 500)
    update = card.refresh(card_context(lib, "w/fc"), state, live=True)
    assert ridges(update.figure)[-1]["name"] == "step 500"
    assert update.state["series"][0]["n"] == 61
    assert card.refresh(card_context(lib, "w/fc"), update.state, live=True) is None


def test_rewind_shows_only_steps_up_to_the_slider(runs):
    lib = Library([runs])
    ctx = card_context(lib, "w/fc", ViewSettings(step=41))
    update = HistogramCard().refresh(ctx, {}, live=False)
    steps = [int(t["name"].split()[1]) for t in ridges(update.figure)]
    assert steps == list(range(0, 41, 2))
    assert HistogramCard().refresh(ctx, update.state, live=True) is None  # a fixed past
    early = card_context(lib, "w/fc", ViewSettings(step=-1))
    fig = HistogramCard().draw(early, {})[0]
    assert fig["layout"]["annotations"][0]["text"] == "no histogram at or before step -1"


def test_ridge_geometry_and_colours():
    counts = np.array([[0.0, 4.0], [2.0, 2.0], [1.0, 0.0]])
    tops, height = ridge_tops(counts, np.array([0, 10, 20]), overlap=2.5, reach=0.2)
    assert height == 25.0 and tops[0].tolist() == [0.0, -25.0] and tops[2].tolist() == [20.0 - 6.25, 20.0]
    traces = offset_traces(np.array([0, 10, 20]), np.array([0.0, 1.0, 2.0]), counts, "#1f77b4", "r")
    fills = [t["fillcolor"] for t in traces if t.get("fill")]
    assert fills[-1] != fills[0] and len(set(fills)) == 3  # colour by step, the newest strongest
    assert "step 20" in traces[-1]["hovertemplate"] and traces[-2]["hoverinfo"] == "skip"
    lines = overlay_traces(np.array([0, 20]), np.array([0.0, 1.0, 2.0]), counts[:2], "#1f77b4")
    assert lines[-1]["line"] == {"color": "#1f77b4", "width": 2.0}


def test_distribution_bands_are_tensorboards_for_every_step(runs):
    lib = Library([runs])
    ctx = card_context(lib, "w/fc (distribution)")
    content = DistributionCard().render(ctx)
    fig = content.body.children[1].figure
    median = fig["data"][-1]
    stored = lib.database(ctx.series[0].source).read_records("a", "w/fc")
    assert median["x"] == stored.step.tolist()
    for i in (0, 17, 59):
        want = [v for _, v in compress_histogram([tuple(r) for r in stored.values[i].tolist()])]
        np.testing.assert_allclose(median["customdata"][i], want, rtol=1e-12)
    assert [t.get("fill") for t in fig["data"]] == [None, "tonexty"] * 4 + [None]


def test_distribution_appends_new_steps_as_a_patch_and_resends_after_a_purge(runs):
    lib = Library([runs])
    card = DistributionCard()
    state = card.render(card_context(lib, "w/fc (distribution)")).state
    assert card.refresh(card_context(lib, "w/fc (distribution)"), state, live=True) is None
    log_histogram(runs / "a", np.arange(10.0), 200)
    update = card.refresh(card_context(lib, "w/fc (distribution)"), state, live=True)
    assert isinstance(update.figure, Patch)
    ops = update.figure.to_plotly_json()["operations"]
    x_ops = [op for op in ops if op["location"][-1] == "x"]
    assert len(x_ops) == 9 and all(op["params"]["value"] == [200] for op in x_ops)
    median = [op for op in ops if op["location"] == ["data", 8, "y"]][0]["params"]["value"]
    last = lib.database("a/ploteries.h5").read_records("a", "w/fc", from_row=60)
    want = dict(compress_histogram([tuple(r) for r in last.values[0].tolist()]))[5000]
    assert median == [pytest.approx(want, rel=1e-12)] and 4 < want < 5
    assert update.state["series"][0]["n"] == 61
    purge_run(runs / "a" / "ploteries.h5", "a", 100)
    resent = card.refresh(card_context(lib, "w/fc (distribution)"), update.state, live=True)
    assert isinstance(resent.figure, dict) and resent.figure["data"][-1]["x"][-1] == 98


def test_distribution_export_has_nine_bands_per_step(runs):
    lib = Library([runs])
    rows = DistributionCard().export(card_context(lib, "w/fc (distribution)"))
    assert len(rows) == 2 * 60 * 9
    assert {r.tag for r in rows} == {
        f"w/fc/{b}" for b in ("min", "6.7%", "15.9%", "30.9%", "median", "69.1%", "84.1%", "93.3%", "max")
    }


def test_a_record_the_card_cannot_draw_says_so_in_the_card(tmp_path):
    with DatabaseWriter(tmp_path / "db.h5") as w:
        w.append("r", "h", np.zeros(3), 0, kind="histogram", ragged=True)
    lib = Library([tmp_path])
    fig = HistogramCard().draw(card_context(lib, "h"), {})[0]
    assert fig["layout"]["annotations"][0]["text"].startswith("cannot draw this histogram: buckets must be")
    fig = DistributionCard().draw(card_context(lib, "h (distribution)"), {})[0]
    assert fig["layout"]["annotations"][0]["text"].startswith("cannot draw this distribution")


def test_histograms_without_a_stats_part_are_read_whole(tmp_path):
    buckets = np.array([(0.0, 1.0, 3.0), (1.0, 2.0, 1.0)], dtype=HIST_BUCKET_DTYPE)
    with DatabaseWriter(tmp_path / "db.h5") as w:
        for step in range(5):
            w.append("r", "h", buckets, step, kind="histogram", ragged=True)
    lib = Library([tmp_path])
    hist = read_histograms(card_context(lib, "h"), card_context(lib, "h").series[0], 3)
    assert hist.steps.tolist() == [0, 2, 4] and hist.count == 5
