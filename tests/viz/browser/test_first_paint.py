"""How the page draws its cards: 2-D cards with plotly.js's basic build, the full build loaded for 3-D cards only,
cards below the fold drawn when they are scrolled into view (``assets/lazy_plotly.js``)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from plotly.offline import get_plotlyjs_version

from tests.viz.analysis_data import write_meshes
from tests.viz.helpers import write_scalars

pytestmark = pytest.mark.browser

ASSETS = Path(__file__).parents[3] / "ploteries" / "viz" / "assets"
VALUES = {f"loss/t{i:02d}": [float(i), i + 0.5, i / 4] for i in range(12)}

SCRIPTS = (
    "() => performance.getEntriesByType('resource').map(e => e.name).filter(n => /\\.js(\\?|$)/.test(n))"
)
DRAWN = """() => Array.from(document.querySelectorAll('.card')).map(c => {
    const gd = c.querySelector('.js-plotly-plot'), r = c.getBoundingClientRect();
    return {title: c.querySelector('.card-title').textContent, drawn: Boolean(gd && gd.data),
            inView: r.bottom > 0 && r.top < innerHeight};
})"""


def loaded(page) -> dict:
    """Which plotly.js builds the page loaded (``basic``, ``full``) and how many graphs wait to be drawn."""
    return page.page.evaluate("() => ({...window.ploteriesPlotly})")


def test_2d_cards_draw_with_the_basic_build_and_cards_below_the_fold_when_scrolled_to(
    start_viewer, open_page, tmp_path
):
    write_scalars(tmp_path / "runs" / "exp" / "ploteries.h5", {"exp": VALUES})
    page = open_page(start_viewer(tmp_path / "runs").url, width=1200, height=700)
    cards = page.wait_for(lambda: len(c := page.page.evaluate(DRAWN)) == 12 and c)
    seen = [c["title"] for c in cards if c["inView"]]
    below = [c["title"] for c in cards if not c["inView"]]
    assert seen[:2] == ["loss/t00", "loss/t01"] and len(below) >= 4
    page.wait_for(lambda: all(c["drawn"] for c in page.page.evaluate(DRAWN) if c["inView"]))
    raw = page.page.evaluate(  # the first card's raw line holds its values (read without scrolling to it)
        "() => Array.from(document.querySelector('.card .js-plotly-plot')._fullData[0].y)"  # typed arrays decoded
    )
    assert raw == VALUES["loss/t00"]
    state = {c["title"]: c["drawn"] for c in page.page.evaluate(DRAWN)}
    assert not any(state[t] for t in below)  # nothing drawn below the fold...
    assert loaded(page)["waiting"] == len(below)
    scripts = page.page.evaluate(SCRIPTS)
    assert any(s.endswith("/assets/vendor/plotly-basic.min.js") for s in scripts)
    assert not any("plotly.min.js" in s for s in scripts) and loaded(page)["full"] is None
    # ...until the reader scrolls there
    page.page.locator(".card").last.scroll_into_view_if_needed()
    last = page.wait_for(lambda: page.traces("loss/t11"))
    assert [t["y"] for t in last if t["opacity"] != 1] == [VALUES["loss/t11"]]
    assert loaded(page)["full"] is None and not page.errors
    page.page.evaluate("() => window.scrollTo(0, 0)")
    page.screenshot("first-paint-2d-cards")


def test_a_3d_card_loads_the_full_build_on_demand_and_draws(start_viewer, open_page, tmp_path):
    root = write_meshes(tmp_path / "runs")
    write_scalars(root / "exp2" / "ploteries.h5", {"exp2": {"a/loss": [3.0, 2.0, 1.0]}})
    page = open_page(start_viewer(root).url)
    assert page.wait_for(lambda: page.traces("a/loss"))[0]["y"] == [3.0, 2.0, 1.0]
    assert loaded(page)["full"] is None
    page.click_tab("mesh")
    kinds = page.wait_for(
        lambda: page.page.evaluate(
            """() => { const gds = Array.from(document.querySelectorAll('.card-mesh .js-plotly-plot'));
                       return gds.length === 2 && gds.every(g => g.data && g._fullLayout.scene)
                              && gds.map(g => g.data[0].type); }"""
        ),
        timeout=60,
    )
    assert sorted(kinds) == ["mesh3d", "scatter3d"]
    assert loaded(page)["full"] is not None
    assert sum("plotly.min.js" in s for s in page.page.evaluate(SCRIPTS)) == 1
    # the 2-D card drawn by the basic build still draws after the switch of tab back
    page.click_tab("a")
    assert page.wait_for(lambda: page.traces("a/loss"))[0]["y"] == [3.0, 2.0, 1.0]
    assert not page.errors


def test_the_basic_build_has_the_trace_types_the_loader_counts_on(browser):
    expected = re.search(r"var BASIC_TRACES = (\[[^\]]*\])", (ASSETS / "lazy_plotly.js").read_text())
    page = browser.new_page()
    try:
        page.set_content("<html><body></body></html>")
        page.add_script_tag(path=str(ASSETS / "vendor" / "plotly-basic.min.js"))
        version, traces = page.evaluate("() => [Plotly.version, Object.keys(Plotly.PlotSchema.get().traces)]")
    finally:
        page.close()
    assert version == get_plotlyjs_version()
    assert sorted(traces) == sorted(json.loads(expected.group(1)))
