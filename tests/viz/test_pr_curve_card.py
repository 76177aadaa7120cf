"""The PR-curve card without a browser: TensorBoard's numbers, the step slider, following live, rewind."""

from __future__ import annotations

import numpy as np
import pytest
from torch.utils.tensorboard.summary import compute_curve

from ploteries.compat import SummaryWriter
from ploteries.storage import DatabaseWriter
from ploteries.viz.cards.pr_curve import PrCurveCard
from ploteries.viz.library import Library
from ploteries.viz.services.pr_curve import latest_row, pr_points
from ploteries.viz.settings import ViewSettings
from tests.viz.helpers import card_context


def data(step: int, n: int = 400):
    rng = np.random.default_rng(step)
    labels = rng.random(n) > 0.5
    return labels, np.clip(labels * (0.2 + step / 100) + rng.random(n) * 0.7, 0, 1)


@pytest.fixture
def runs(tmp_path):
    for run, steps in (("a", (0, 10, 20)), ("b", (5, 15))):
        with SummaryWriter(str(tmp_path / "runs" / run)) as w:
            for step in steps:
                w.add_pr_curve("pr", *data(step + (run == "b")), step, num_thresholds=11)
    return tmp_path / "runs"


def by_name(figure):
    return {t["name"]: t for t in figure["data"]}


def test_curves_are_tensorboards_at_the_latest_step_of_each_run(runs):
    lib = Library([runs])
    content = PrCurveCard().render(card_context(lib, "pr"))
    fig = content.body.children[1].figure
    assert content.state["steps"] == [0, 5, 10, 15, 20] and content.state["index"] == 4
    traces = by_name(fig)
    want = compute_curve(*data(20), num_thresholds=11)  # torch's TensorBoard writer: rows TP FP TN FN P R
    np.testing.assert_allclose(traces["a"]["x"], want[5])
    np.testing.assert_allclose(traces["a"]["y"], want[4])
    custom = np.array(traces["a"]["customdata"])
    np.testing.assert_allclose(custom[:, 0], np.arange(11) / 10)
    np.testing.assert_allclose(custom[:, 1:].T, want[:4])
    assert "step 15" in traces["b"]["hovertemplate"]  # b's latest at or before 20
    assert "threshold %{customdata[0]:.3f}" in traces["a"]["hovertemplate"]


def test_the_slider_picks_a_step_and_each_run_shows_its_latest_curve_at_or_before_it(runs):
    lib = Library([runs])
    card = PrCurveCard()
    state = card.render(card_context(lib, "pr")).state
    fig, state = card.draw(card_context(lib, "pr"), state, index=1)  # step 5
    assert state["step"] == 5 and state["follow"] is False
    traces = by_name(fig)
    np.testing.assert_allclose(traces["a"]["y"], compute_curve(*data(0), num_thresholds=11)[4])
    np.testing.assert_allclose(traces["b"]["y"], compute_curve(*data(6), num_thresholds=11)[4])
    fig, state = card.draw(card_context(lib, "pr"), state, index=0)
    assert list(by_name(fig)) == ["a"]  # b has nothing at or before step 0


def test_live_steps_move_a_following_slider_and_leave_a_pinned_one(runs):
    lib = Library([runs])
    card = PrCurveCard()
    following = card.render(card_context(lib, "pr")).state
    _, pinned = card.draw(card_context(lib, "pr"), following, index=2)
    assert card.refresh(card_context(lib, "pr"), following, live=True) is None
    with SummaryWriter(str(runs / "a")) as w:
        w.add_pr_curve("pr", *data(30), 30, num_thresholds=11)
    update = card.refresh(card_context(lib, "pr"), following, live=True)
    assert update.state["steps"][-1] == 30 and update.state["step"] == 30
    assert update.state["series"][0]["steps"] == [0, 10, 20, 30]
    np.testing.assert_allclose(
        by_name(update.figure)["a"]["y"], compute_curve(*data(30), num_thresholds=11)[4]
    )
    update = card.refresh(card_context(lib, "pr"), pinned, live=True)
    assert update.state["step"] == 10 and update.state["index"] == 2 and len(update.state["steps"]) == 6


def test_rewind_caps_the_steps(runs):
    lib = Library([runs])
    card = PrCurveCard()
    state = card.render(card_context(lib, "pr")).state
    update = card.refresh(card_context(lib, "pr", ViewSettings(step=12)), state, live=False)
    assert update.state["steps"] == [0, 5, 10] and update.state["step"] == 10
    assert card.refresh(card_context(lib, "pr", ViewSettings(step=12)), update.state, live=True) is None
    fig, _ = card.draw(card_context(lib, "pr", ViewSettings(step=-5)), {})
    assert fig["layout"]["annotations"][0]["text"] == "no PR curve at or before step -5"


def test_tampered_state_is_read_again(runs):
    lib = Library([runs])
    card = PrCurveCard()
    state = card.render(card_context(lib, "pr")).state
    bad = {**state, "series": [{**state["series"][0], "steps": ["x"]}, "junk"]}
    fig, new = card.draw(card_context(lib, "pr"), bad)
    assert new["series"][0]["steps"] == [0, 10, 20] and len(fig["data"]) == 2


def test_a_record_of_the_wrong_shape_says_so(tmp_path):
    with DatabaseWriter(tmp_path / "db.h5") as w:
        w.append("r", "pr", np.zeros((3, 4)), 0, kind="pr_curve")
    fig, _ = PrCurveCard().draw(card_context(Library([tmp_path]), "pr"), {})
    assert "must be a (6, num_thresholds) array" in fig["layout"]["annotations"][0]["text"]


def test_pure_helpers():
    assert latest_row([5, 10, 10, 20], 12) == 2 and latest_row([], 3) is None
    with pytest.raises(ValueError, match=r"got dtype float64 and shape \(6, 1\)"):
        pr_points(np.zeros((6, 1)))
