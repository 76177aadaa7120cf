"""The generic card in a real browser: the table of a record array, the field's line, live rows, rewind."""

from __future__ import annotations

import numpy as np
import pytest

from ploteries.compat import SummaryWriter
from tests.viz.browser.graph_cards import card, choose, figure, joined, rewind, wait

pytestmark = pytest.mark.browser

DTYPE = np.dtype([("name", "U4"), ("score", "f8"), ("box", [("w", "i4"), ("h", "i4")])])


def batch(step: int) -> np.ndarray:
    rec = np.zeros(3, DTYPE)
    rec["name"] = ["cat", "dog", "owl"]
    rec["score"] = np.array([0.5, 1.5, 2.5]) + step
    rec["box"]["w"] = np.arange(3) + step
    rec["box"]["h"] = 7
    return rec


def table(page, title: str) -> list[list[str]]:
    rows = card(page, title).locator(".record-table tr")
    return [r.locator("th, td").all_inner_texts() for r in rows.all()]


def test_record_table_field_line_live_and_rewind(start_viewer, open_page, tmp_path):
    root = tmp_path / "runs"
    with SummaryWriter(str(root / "exp")) as w:
        for step in range(0, 40, 10):
            w.add_tensor("batch", batch(step), step)
        w.add_tensor("grid", np.arange(1000.0).reshape(250, 4), 0)
    page = open_page(start_viewer(root, reload_interval=0.3).url)
    page.click_tab("batch")
    wait(page, lambda: table(page, "batch"))
    assert table(page, "batch") == [
        ["", "name", "score", "box.w", "box.h"],
        ["0", "cat", "30.5", "30", "7"],
        ["1", "dog", "31.5", "31", "7"],
        ["2", "owl", "32.5", "32", "7"],
    ]
    assert (
        card(page, "batch").locator(".record-caption").inner_text()
        == "exp · step 30 · record of 3 fields (3,)"
    )
    line = wait(page, lambda: figure(page, "batch"))["data"][0]
    assert line["x"] == [0, 10, 20, 30] and line["y"] == [1.5, 11.5, 21.5, 31.5]  # mean of score
    choose(page, "batch", "tensor-field", "mean of box.w")
    wait(page, lambda: figure(page, "batch")["data"][0]["y"] == [1.0, 11.0, 21.0, 31.0])
    page.screenshot("tensor-record-table")

    with SummaryWriter(str(root / "exp")) as w:
        w.add_tensor("batch", batch(40), 40)
    wait(page, lambda: table(page, "batch")[1] == ["0", "cat", "40.5", "40", "7"])
    wait(page, lambda: joined(figure(page, "batch"), 0)["y"][-1] == 41.0)  # still box.w

    rewind(page, 15)  # the latest record at or before step 15
    wait(page, lambda: table(page, "batch")[1] == ["0", "cat", "10.5", "10", "7"])
    assert figure(page, "batch")["data"][0]["x"] == [0, 10]

    page.click_tab("grid")
    page.page.locator(".card-controls").first.wait_for()
    page.page.get_by_role("button", name="Back to live").click()
    wait(page, lambda: len(table(page, "grid")) == 101)
    assert table(page, "grid")[1] == ["0", "0", "1", "2", "3"]
    assert card(page, "grid").locator(".record-note").inner_text() == "showing 100 of 250 rows"
    assert not page.errors
