"""How many threads draw a page's cards: one for short series (h5py and Python bound), several for long ones."""

from __future__ import annotations

import dataclasses
import re

from hypothesis import given
from hypothesis import strategies as st

from ploteries.viz.app import RENDER_THREADS, THREADED_ROWS, Viewer, render_workers
from ploteries.viz.library import Library
from ploteries.viz.page import CardModel
from ploteries.viz.settings import ViewSettings
from tests.viz.helpers import write_scalars


def with_counts(model: CardModel, count: int) -> CardModel:
    bound = {
        role: [dataclasses.replace(ref, info=dataclasses.replace(ref.info, count=count)) for ref in refs]
        for role, refs in model.bound.items()
    }
    return dataclasses.replace(model, bound=bound)


def page(tmp_path):
    write_scalars(tmp_path / "runs" / "s.h5", {f"r{i}": {"t/a": [1.0, 2.0], "t/b": [3.0]} for i in range(3)})
    viewer = Viewer(Library([tmp_path / "runs"]))
    snapshot = viewer.library.refresh()
    tab = viewer.explorer_view(snapshot, None)[2]
    return viewer, snapshot, viewer.models(snapshot, tab, None, None, None)


def test_short_series_are_drawn_on_one_thread_long_ones_on_the_cores(tmp_path):
    _, _, models = page(tmp_path)
    assert len(models) == 2
    assert render_workers(models, cores=2) == 1
    long = [with_counts(m, THREADED_ROWS) for m in models]
    assert render_workers(long, cores=2) == 2
    assert render_workers(long, cores=1) == 1
    assert render_workers(long[:1], cores=8) == 1
    assert render_workers([], cores=2) == 1


@given(st.lists(st.integers(0, 3 * THREADED_ROWS), min_size=1, max_size=6), st.integers(1, 16))
def test_workers_are_bounded_by_cards_cores_and_the_limit(counts, cores):
    models = [
        CardModel(f"c{i}", {}, None, {"y": [_ref(count)]} if count else {}) for i, count in enumerate(counts)
    ]
    workers = render_workers(models, cores)
    assert 1 <= workers <= max(1, min(len(models), cores, RENDER_THREADS))
    rows = [c for c in counts if c]
    if not rows or sum(rows) < THREADED_ROWS * len(rows):
        assert workers == 1


def _ref(count: int):
    from ploteries.storage.reader import SeriesInfo
    from ploteries.viz.library import SeriesRef

    info = SeriesInfo("r", "t", "", "scalar", count, 0, count, {}, "f", None, None)
    return SeriesRef("db", info)


def test_a_page_drawn_on_threads_is_the_page_drawn_on_one(tmp_path, monkeypatch):
    viewer, snapshot, models = page(tmp_path)
    colors = viewer.colors(snapshot)
    serial = viewer.render_cards(models, snapshot, ViewSettings(), colors)
    monkeypatch.setattr("ploteries.viz.app.render_workers", lambda models, cores: 2)
    threaded = viewer.render_cards(models, snapshot, ViewSettings(), colors)
    assert len(serial) == 2
    assert unrevised(threaded) == unrevised(serial)


def unrevised(cards) -> str:
    """The cards as text without their state revisions (fresh random stamps, see ploteries.viz.ticks)."""
    return re.sub(r"'rev': '[0-9a-f]+'", "'rev': ?", str([c.to_plotly_json() for c in cards]))
