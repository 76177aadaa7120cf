"""A card of more lines than DENSITY_LINES in Chromium: one density picture, hovered and pinned runs drawn over it."""

from __future__ import annotations

import pytest

from ploteries.viz.services.density import DENSITY_HEIGHT, DENSITY_LINES
from tests.viz.helpers import sweep_run_name, write_sweep

pytestmark = pytest.mark.browser

RUNS = DENSITY_LINES + 100

GRAPH = """(title) => {
    const card = Array.from(document.querySelectorAll('.card')).find(
        c => c.querySelector('.card-title').textContent === title);
    if (card) card.scrollIntoView({block: 'nearest'});
    const gd = card && card.querySelector('.js-plotly-plot');
    if (!gd || !gd.data || !gd._fullData) return null;
    return gd.data.map((t, i) => {
        const full = gd._fullData.find(d => d.index === i) || {};
        return {type: t.type, name: t.name, meta: t.meta || null,
                x: Array.from(full.x || []), n: (full.x || []).length,
                z: full.z ? full.z.length : 0};
    });
}"""


def traces(page, title="loss"):
    return page.page.evaluate(GRAPH, title)


def test_a_sweep_card_is_a_density_picture_with_hovered_and_pinned_runs_drawn_over_it(
    start_viewer, open_page, tmp_path
):
    write_sweep(tmp_path / "sweep.h5", RUNS, steps=200, hparams=False)
    page = open_page(start_viewer(tmp_path, reload_interval=5).url)
    page.click_tab("loss")
    drawn = page.wait_for(lambda: (t := traces(page)) and t[0]["type"] == "heatmap" and t, timeout=60)
    assert drawn[0]["meta"] == {"density": RUNS} and drawn[0]["z"] == DENSITY_HEIGHT  # rows of the picture
    assert all(t["n"] == 0 for t in drawn[1:])  # empty slots: no run drawn as a line yet
    page.wait_for(lambda: page.page.locator(".card .heatmaplayer image").count() >= 1)
    page.wait_for(lambda: page.interactive("loss"))
    print("screenshot:", page.screenshot("density-sweep"))

    # hovering a run in the run list draws it as a line over the picture
    hovered = sweep_run_name(4)
    page.page.locator(f'.runs [data-run="{hovered}"]').hover()
    line = page.wait_for(lambda: (t := traces(page)) and t[1]["name"] == hovered and t[1]["n"] and t[1])
    assert line["x"][0] == 0 and line["x"][-1] == 199 and line["meta"]["hovered"]
    print("screenshot:", page.screenshot("density-hovered"))

    # a click on a run's swatch pins it (and does not hide the run); it stays drawn when the mouse leaves
    pinned = sweep_run_name(7)
    row = page.page.locator(f'.runs [data-run="{pinned}"]')
    row.locator(".swatch").click()
    page.wait_for(lambda: "pinned" in (row.get_attribute("class") or ""))
    page.page.mouse.move(900, 5)  # off the run list
    page.wait_for(lambda: (t := traces(page)) and [s["name"] for s in t[1:3]] == [pinned, ""] and t[1]["n"])
    assert page.page.locator(f'.runs [data-run="{pinned}"]').evaluate(
        "el => el.closest('label').querySelector('input').checked"
    )  # still shown

    # hover over the picture says how many lines cross the cell under the mouse
    box = page.page.locator(".card .js-plotly-plot .nsewdrag").first.bounding_box()
    page.page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.5)
    texts = page.wait_for(
        lambda: page.page.eval_on_selector_all(".hoverlayer .hovertext", "els => els.map(e => e.textContent)")
    )
    assert any("lines here" in t or pinned in t for t in texts), texts

    # a zoom draws the picture again over the range in view, and the pinned run with it
    page.zoom("loss", {"xaxis.range": [50, 100]})

    def zoomed():
        t = traces(page)
        return t and t[0]["type"] == "heatmap" and 50 <= t[0]["x"][0] < 51 and t[1]["name"] == pinned and t

    after = page.wait_for(zoomed, timeout=60)
    assert after[0]["x"][-1] < 100 and after[1]["x"][0] >= 49 and after[1]["x"][-1] <= 101
    print("screenshot:", page.screenshot("density-zoomed"))
    assert page.errors == []
