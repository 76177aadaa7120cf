"""The page's plotly.js: the vendored basic build matches dcc's full one, and the page loads it, not the full one."""

from __future__ import annotations

import re
from pathlib import Path

from plotly.offline import get_plotlyjs_version

from ploteries.viz.app import create_app
from ploteries.viz.cards import builtin_card_types
from ploteries.viz.library import Library
from ploteries.viz.settings import ViewSettings
from tests.viz.analysis_data import write_meshes
from tests.viz.helpers import write_scalars

ASSETS = Path(__file__).parents[2] / "ploteries" / "viz" / "assets"


def test_the_basic_build_is_the_version_of_dccs_plotly_js_with_its_licence():
    head = (ASSETS / "vendor" / "plotly-basic.min.js").read_text()[:300]
    assert f"plotly.js (basic - minified) v{get_plotlyjs_version()}" in head
    assert (ASSETS / "vendor" / "plotly-basic.LICENSE.txt").read_text().startswith("MIT License")


def test_the_page_preloads_the_basic_build_and_never_the_full_one(tmp_path):
    write_scalars(tmp_path / "runs" / "ploteries.h5", {"exp": {"loss": [1.0, 0.5]}})
    page = create_app(Library([tmp_path / "runs"])).server.test_client().get("/").get_data(as_text=True)
    scripts = re.findall(r'<script src="([^"]+)"', page)
    assert any("/assets/lazy_plotly.js" in s for s in scripts)
    assert not any("vendor" in s or "plotly.min.js" in s for s in scripts)  # loaded by lazy_plotly.js
    assert '<link rel="preload" as="script" href="assets/vendor/plotly-basic.min.js">' in page
    assert "package_data/plotly.min.js" not in page


def test_cards_that_need_the_full_build_say_so_on_their_frame(tmp_path):
    root = write_meshes(tmp_path / "runs")
    write_scalars(root / "more" / "ploteries.h5", {"more": {"loss": [1.0, 0.5]}})
    assert sorted(n for n, card in builtin_card_types().items() if card.full_plotly) == [
        "embedding",
        "hparams",
        "mesh",
    ]
    viewer = create_app(Library([root])).viewer
    snapshot = viewer.library.refresh()
    runs = None  # no run hidden

    def classes(tab):
        return [
            card.className
            for card in viewer.cards_view(snapshot, tab, None, None, runs, 0, ViewSettings())[0]
        ]

    assert classes("mesh") == ["card card-mesh plotly-full"] * 2
    assert classes("loss") == ["card card-scalar"]
