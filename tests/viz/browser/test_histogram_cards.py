"""Histogram and distribution cards in a real browser: ridges, bucket counts, modes, runs, live, rewind."""

from __future__ import annotations

import numpy as np
import pytest
from tensorboard.plugins.distribution.compressor import compress_histogram

from ploteries import open as open_db
from ploteries.compat import SummaryWriter
from ploteries.viz.services.histogram_layout import evenly_spaced, rebin_all
from tests.viz.browser.graph_cards import card, choose, figure, rewind, wait

pytestmark = pytest.mark.browser

STEPS = range(0, 120, 2)  # 60 steps: more than the 50 ridges drawn


def values(step: int, shift: float) -> np.ndarray:
    return np.random.default_rng(step).normal(shift + step / 20, 1.0 + step / 100, 400)


@pytest.fixture
def runs(tmp_path):
    for run, shift in (("a", 0.0), ("b", 8.0)):
        with SummaryWriter(str(tmp_path / "runs" / run)) as w:
            for step in STEPS:
                w.add_histogram("w/fc", values(step, shift), step)
    return tmp_path / "runs"


def expected_counts(path, run, stop=None):
    """What the card must draw: <= 50 evenly picked steps re-binned onto 30 common edges (from storage)."""
    rec = open_db(path).read_records(run, "w/fc", stop=stop)
    picked = evenly_spaced(len(rec), 50)
    return rec.step[picked].tolist(), rebin_all([rec.values[i] for i in picked], 30)[1]


def ridges(fig):
    return [t for t in fig["data"] if t["fill"] == "tonexty"]


def test_offset_overlay_runs_live_and_rewind(start_viewer, open_page, runs):
    page = open_page(start_viewer(runs, reload_interval=0.3).url)
    page.click_tab("w")
    wait(page, lambda: page.card_titles() == ["w/fc", "w/fc (distribution)"])
    fig = wait(page, lambda: figure(page, "w/fc"))
    steps, counts = expected_counts(runs / "a" / "ploteries.h5", "a")
    drawn = ridges(fig)
    assert len(drawn) == 50 and [t["name"] for t in drawn] == [f"step {s}" for s in steps]
    got = np.array([[c[2] for c in t["customdata"]] for t in drawn])
    np.testing.assert_allclose(got, counts, rtol=1e-9)  # the stored buckets, re-binned on common edges
    np.testing.assert_allclose(got.sum(axis=1), 400)
    assert "step 118" in drawn[-1]["hovertemplate"] and "count" in drawn[-1]["hovertemplate"]

    med = figure(page, "w/fc (distribution)")["data"][-1]
    stored = open_db(runs / "a" / "ploteries.h5").read_records("a", "w/fc")
    assert med["x"] == stored.step.tolist()
    for i in (0, 30, 59):
        want = [v for _, v in compress_histogram([tuple(r) for r in stored.values[i].tolist()])]
        np.testing.assert_allclose(med["customdata"][i], want, rtol=1e-12)
    page.screenshot("histogram-offset-and-distribution")

    card(page, "w/fc").get_by_text("overlay", exact=True).click()
    lines = wait(page, lambda: (f := figure(page, "w/fc")) and not ridges(f) and f["data"])
    assert len(lines) == 50
    np.testing.assert_allclose([t["y"] for t in lines], counts, rtol=1e-9)

    choose(page, "w/fc", "hist-run", "b")
    _, counts_b = expected_counts(runs / "b" / "ploteries.h5", "b")
    wait(page, lambda: np.allclose([t["y"] for t in figure(page, "w/fc")["data"]], counts_b))
    page.screenshot("histogram-overlay-run-b")

    with SummaryWriter(str(runs / "b")) as w:  # live: a new step of the run shown
        w.add_histogram("w/fc", values(500, 8.0), 500)
    with SummaryWriter(str(runs / "a")) as w:  # and of the distribution card's run
        w.add_histogram("w/fc", values(500, 0.0), 500)
    wait(page, lambda: figure(page, "w/fc")["data"][-1]["name"] == "step 500")
    assert len(figure(page, "w/fc")["data"]) == 50
    wait(page, lambda: figure(page, "w/fc (distribution)")["data"][-1]["x"][-1] == 500)

    rewind(page, 41)
    wait(page, lambda: len(figure(page, "w/fc")["data"]) == 21)
    assert figure(page, "w/fc")["data"][-1]["name"] == "step 40"
    wait(page, lambda: figure(page, "w/fc (distribution)")["data"][-1]["x"][-1] == 40)
    assert not page.errors
