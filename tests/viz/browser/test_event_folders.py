"""A folder of TensorBoard event files in a real browser: cards appear, and grow as torch's writer appends."""

from __future__ import annotations

import numpy as np
import pytest

from ploteries.compat.event_mirror import EventMirror
from tests.viz.browser.graph_cards import by_name

pytestmark = pytest.mark.browser
torch_tb = pytest.importorskip("torch.utils.tensorboard")


def raw_y(traces, name):
    """The raw line of run ``name`` joined with its live tail traces, or None before it is drawn."""
    found = [t for t in traces or [] if t["name"] == name and t["opacity"] != 1]
    return by_name(traces, name, smoothed=False)["y"] if found else None


def test_event_files_are_shown_live(start_viewer, open_page, tmp_path):
    root = tmp_path / "tb"
    writer = torch_tb.SummaryWriter(root / "exp1")
    for step in range(3):
        writer.add_scalar("loss/train", 1.0 / (step + 1), step)
    writer.add_histogram("weights/fc", np.arange(20.0), 0)
    writer.flush()
    mirror = EventMirror(root, "tfevents", cache_dir=tmp_path / "cache")
    viewer = start_viewer(root, mirrors=[mirror])
    page = open_page(viewer.url)
    page.wait_for(lambda: page.card_titles() == ["loss/train"])
    assert raw_y(page.wait_for(lambda: page.traces("loss/train")), "exp1") == [1.0, 0.5, np.float32(1 / 3)]
    assert "tfevents" in page.page.inner_text(".databases, #databases, body")

    for step in range(3, 6):
        writer.add_scalar("loss/train", 1.0 / (step + 1), step)
    writer.flush()
    y = page.wait_for(lambda: (y := raw_y(page.traces("loss/train"), "exp1")) and len(y) == 6 and y)
    np.testing.assert_allclose(y, np.float32(1 / np.arange(1, 7)), rtol=1e-7)
    page.click_tab("weights")
    page.wait_for(lambda: page.card_titles() == ["weights/fc", "weights/fc (distribution)"])
    writer.close()
    assert not page.errors
    page.screenshot("event-folder-live")
    mirror.close()
