"""The PR-curve card in a real browser: TensorBoard's numbers, its step slider, live steps, rewind."""

from __future__ import annotations

import numpy as np
import pytest
from torch.utils.tensorboard.summary import compute_curve

from ploteries.compat import SummaryWriter
from tests.viz.browser.graph_cards import card, figure, rewind, wait

pytestmark = pytest.mark.browser


def data(seed: int, n: int = 300):
    rng = np.random.default_rng(seed)
    labels = rng.random(n) > 0.4
    return labels, np.clip(labels * (0.15 + seed / 100) + rng.random(n) * 0.75, 0, 1)


def curve(seed: int) -> np.ndarray:
    """TensorBoard's curve as torch's SummaryWriter computes it: rows TP, FP, TN, FN, precision, recall."""
    return compute_curve(*data(seed), num_thresholds=11)


def log(run_dir, step: int, seed: int | None = None) -> None:
    with SummaryWriter(str(run_dir)) as w:
        w.add_pr_curve("pr", *data(step if seed is None else seed), step, num_thresholds=11)


def shown(page) -> dict:
    return {t["name"]: t for t in (figure(page, "pr") or {"data": []})["data"]}


def label(page) -> str:
    return card(page, "pr").locator(".control-value").inner_text()


def test_curves_slider_live_and_rewind(start_viewer, open_page, tmp_path):
    root = tmp_path / "runs"
    for step in (0, 10, 20):
        log(root / "a", step)
    for step in (5, 15):
        log(root / "b", step, seed=step + 1)
    page = open_page(start_viewer(root, reload_interval=0.3).url)
    page.click_tab("pr")
    traces = wait(page, lambda: len(shown(page)) == 2 and shown(page))
    np.testing.assert_allclose(traces["a"]["x"], curve(20)[5])  # recall
    np.testing.assert_allclose(traces["a"]["y"], curve(20)[4])  # precision
    np.testing.assert_allclose(traces["b"]["y"], curve(16)[4])  # b's latest at or before 20 is step 15
    custom = np.array(traces["a"]["customdata"])
    np.testing.assert_allclose(custom[:, 0], np.arange(11) / 10)  # threshold i / (num_thresholds - 1)
    np.testing.assert_allclose(custom[:, 1:].T, curve(20)[:4])  # TP FP TN FN in the hover
    assert label(page) == "step 20 (5 of 5)"
    page.screenshot("pr-curve")

    thumb = card(page, "pr").get_by_role("slider")
    thumb.focus()
    for _ in range(3):
        thumb.press("ArrowLeft")
    wait(page, lambda: label(page) == "step 5 (2 of 5)")
    wait(page, lambda: np.allclose(shown(page)["a"]["y"], curve(0)[4]))
    np.testing.assert_allclose(shown(page)["b"]["y"], curve(6)[4])

    log(root / "a", 30)  # a pinned slider stays where it is while the steps grow
    wait(page, lambda: label(page) == "step 5 (2 of 6)")
    np.testing.assert_allclose(shown(page)["a"]["y"], curve(0)[4])
    thumb.press("End")
    wait(page, lambda: label(page) == "step 30 (6 of 6)")
    wait(page, lambda: np.allclose(shown(page)["a"]["y"], curve(30)[4]))
    log(root / "a", 40)  # at the latest step it follows new ones
    wait(page, lambda: label(page) == "step 40 (7 of 7)")
    wait(page, lambda: np.allclose(shown(page)["a"]["y"], curve(40)[4]))

    rewind(page, 12)  # the global rewind caps the card's steps
    wait(page, lambda: label(page) == "step 10 (3 of 3)")
    wait(page, lambda: np.allclose(shown(page)["a"]["y"], curve(10)[4]))
    assert not page.errors
