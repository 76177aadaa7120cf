"""Custom-scalars charts in a real browser: a tab per category, multiline and margin charts, live rows."""

from __future__ import annotations

import numpy as np
import pytest

from ploteries.compat import SummaryWriter
from tests.viz.browser.graph_cards import figure, joined, wait
from tests.viz.helpers import tensorboard_smoothing, write_custom_scalars

pytestmark = pytest.mark.browser


def test_multiline_and_margin_charts_from_the_layout(start_viewer, open_page, tmp_path):
    root = write_custom_scalars(tmp_path / "runs", steps=8)
    page = open_page(start_viewer(root, reload_interval=0.3).url)
    wait(page, lambda: {"Losses", "Accuracy"} <= set(page.page.locator(".tab").all_inner_texts()))
    page.click_tab("Losses")
    fig = wait(page, lambda: figure(page, "train and val"))
    smoothed = [t for t in fig["data"] if t["hovertemplate"] and "smoothed" in t["hovertemplate"]]
    assert [t["name"] for t in smoothed] == [
        "loss/train · a",
        "loss/train · b",
        "loss/val · a",
        "loss/val · b",
    ]
    want = tensorboard_smoothing([2.0 / (s + 1) + 0.1 for s in range(8)], 0.6)
    np.testing.assert_allclose(smoothed[3]["y"], want, rtol=1e-6)
    page.screenshot("custom-scalars-multiline")

    page.click_tab("Accuracy")
    fig = wait(page, lambda: figure(page, "band"))
    assert [(t["name"], t["fill"]) for t in fig["data"][:3]] == [
        ("a (lower)", None),
        ("a (upper)", "tonexty"),
        ("a", None),
    ]
    assert fig["data"][4]["y"] == [2.0 * s + 1 for s in range(8)]
    with SummaryWriter(str(root / "a")) as w:  # live: new rows extend the band
        for name, value in (("acc/mean", 9.0), ("acc/lo", 8.0), ("acc/hi", 10.0)):
            w.add_scalar(name, value, 8)
    wait(page, lambda: joined(figure(page, "band"), 1)["y"][-1] == 10.0)
    assert joined(figure(page, "band"), 2)["x"][-1] == 8
    page.screenshot("custom-scalars-margin")
    assert not page.errors
