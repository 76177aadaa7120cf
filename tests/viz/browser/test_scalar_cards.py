"""Scalar cards in a real browser: values, smoothing, live rows, pause, rewind, zoom, errors."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from ploteries.storage import DatabaseWriter
from ploteries.viz.services.payload import line_budget
from tests.viz.browser.graph_cards import by_name
from tests.viz.helpers import tensorboard_smoothing, write_scalars

pytestmark = pytest.mark.browser

LOSS = [1.0, 0.5, 0.0, 0.25, 0.75, 0.5, 0.125]


@pytest.fixture
def two_runs(tmp_path):
    root = tmp_path / "runs"
    write_scalars(
        root / "exp1" / "ploteries.h5",
        {"exp1": {"loss/train": LOSS, "loss/val": [3.0, 2.0, 1.0], "lr": [0.1] * 4}},
    )
    write_scalars(
        root / "sweep.h5", {"seed=1": {"loss/train": [2.0, 1.0]}, "seed=2": {"loss/train": [4.0, 3.0, 2.0]}}
    )
    return root


def test_cards_show_every_run_with_its_values_and_tensorboard_smoothing(start_viewer, open_page, two_runs):
    viewer = start_viewer(two_runs)
    page = open_page(viewer.url)
    assert page.page.locator(".tab").all_inner_texts() == ["loss", "lr"]
    page.wait_for(lambda: page.card_titles() == ["loss/train", "loss/val"])
    traces = page.wait_for(lambda: page.traces("loss/train"))
    assert sorted({t["name"] for t in traces}) == ["exp1", "seed=1", "seed=2"]
    raw = by_name(traces, "exp1", smoothed=False)
    assert raw["x"] == list(range(len(LOSS)))
    assert raw["y"] == LOSS
    smooth = by_name(traces, "exp1", smoothed=True)
    np.testing.assert_allclose(smooth["y"], tensorboard_smoothing(LOSS, 0.6), rtol=1e-6)
    np.testing.assert_allclose(
        smooth["y"][:3], [1, 0.6875, 0.33673469], rtol=1e-6
    )  # TensorBoard's golden vector
    assert smooth["customdata"] == LOSS  # the hover shows the raw value beside the smoothed one
    assert by_name(traces, "seed=2", smoothed=False)["y"] == [4.0, 3.0, 2.0]
    assert not page.errors
    page.screenshot("scalar-cards")


def test_smoothing_slider_gives_tensorboards_numbers(start_viewer, open_page, two_runs):
    page = open_page(start_viewer(two_runs).url)
    page.wait_for(lambda: page.traces("loss/train"))
    page.set_slider("smoothing", 0.9)
    want = tensorboard_smoothing(LOSS, 0.9)

    def smoothed():
        t = by_name(page.traces("loss/train"), "exp1", smoothed=True)["y"]
        return t if abs(t[-1] - want[-1]) < 1e-6 else None

    np.testing.assert_allclose(page.wait_for(smoothed), want, rtol=1e-6)
    page.set_slider("smoothing", 0)
    page.wait_for(lambda: len(page.traces("loss/train")) == 3)  # no smoothing: one solid line per run
    assert by_name(page.traces("loss/train"), "exp1", smoothed=True)["y"] == LOSS


def test_rows_written_while_the_page_is_open_appear_and_only_new_rows_travel(
    start_viewer, open_page, tmp_path
):
    db = tmp_path / "runs" / "live.h5"
    db.parent.mkdir()
    writer = DatabaseWriter(db)
    for step in range(5):
        writer.append_scalar("live", "loss", 1.0 / (step + 1), step)
    writer.flush()
    page = open_page(start_viewer(db.parent, reload_interval=0.3).url)
    page.wait_for(lambda: page.traces("loss"))
    bodies = []
    page.page.on("response", lambda r: bodies.append(r.text()) if "_dash-update-component" in r.url else None)
    for step in range(5, 8):
        writer.append_scalar("live", "loss", 1.0 / (step + 1), step)
    writer.flush()
    raw = page.wait_for(lambda: (t := by_name(page.traces("loss"), "live", False))["x"][-1] == 7 and t)
    assert raw["x"] == list(range(8))
    np.testing.assert_allclose(raw["y"], [1.0 / (s + 1) for s in range(8)], rtol=1e-6)
    smooth = by_name(page.traces("loss"), "live", True)
    np.testing.assert_allclose(smooth["y"], tensorboard_smoothing(raw["y"], 0.6), rtol=1e-5)
    patches = [b for b in bodies if '"__dash_patch_update"' in b and ("Extend" in b or "Append" in b)]
    assert patches, "the new rows must arrive as a Patch appending to the lines"
    assert all('"figure":{"data"' not in b for b in bodies), "no whole figure may be resent for appended rows"
    writer.close()


def test_pause_holds_the_page_and_resuming_catches_up(start_viewer, open_page, tmp_path):
    db = write_scalars(tmp_path / "runs" / "db.h5", {"r": {"loss": [1.0, 2.0]}})
    page = open_page(start_viewer(db.parent, reload_interval=0.3).url)
    page.wait_for(lambda: page.traces("loss"))
    page.page.get_by_label("Pause").check()
    page.wait_for(lambda: page.page.locator("#status").inner_text() == "paused")
    with DatabaseWriter(db) as w:
        w.append_scalar("r", "loss", 3.0, 2)
    page.page.wait_for_timeout(1500)
    assert by_name(page.traces("loss"), "r", False)["y"] == [1.0, 2.0]
    page.page.get_by_label("Pause").uncheck()
    page.wait_for(lambda: by_name(page.traces("loss"), "r", False)["y"] == [1.0, 2.0, 3.0])


def test_rewind_to_a_step_and_back_to_live(start_viewer, open_page, tmp_path):
    db = write_scalars(tmp_path / "runs" / "db.h5", {"r": {"loss": list(np.arange(100.0))}})
    page = open_page(start_viewer(db.parent, reload_interval=0.3).url)
    page.wait_for(lambda: page.traces("loss"))
    page.set_slider("step-slider", 40)
    page.wait_for(lambda: by_name(page.traces("loss"), "r", False)["x"][-1] == 40)
    assert page.page.locator("#status").inner_text() == "rewound to step 40"
    with DatabaseWriter(db) as w:  # rewound cards hold still while training goes on
        w.append_scalar("r", "loss", 100.0, 100)
    page.page.wait_for_timeout(1200)
    assert by_name(page.traces("loss"), "r", False)["x"][-1] == 40
    page.page.click("#live")
    page.wait_for(lambda: by_name(page.traces("loss"), "r", False)["x"][-1] == 100)
    assert page.page.locator("#status").inner_text().startswith("live")


def test_zoom_fetches_the_visible_range_at_full_resolution(start_viewer, open_page, tmp_path):
    n = 200_000
    values = np.sin(np.arange(n) / 50.0)
    db = write_scalars(tmp_path / "runs" / "big.h5", {"r": {"wave": values}})
    page = open_page(start_viewer(db.parent).url)
    overview = page.wait_for(lambda: page.traces("wave"))
    raw = by_name(overview, "r", False)
    assert 1000 <= len(raw["x"]) <= 2000  # a low-resolution picture of the whole range
    assert raw["x"][0] == 0 and raw["x"][-1] == n - 1
    assert max(raw["y"]) == pytest.approx(values.max(), abs=1e-6)  # min/max kept: the extremes are drawn
    page.zoom("wave", {"xaxis.range": [1000, 1500]})
    zoomed = page.wait_for(lambda: (r := by_name(page.traces("wave"), "r", False))["x"][0] >= 990 and r)
    assert zoomed["x"] == list(range(999, 1502))  # every row in view, plus one beyond each edge
    np.testing.assert_allclose(zoomed["y"], values[999:1502], rtol=1e-6)
    page.zoom("wave", {"xaxis.autorange": True})
    page.wait_for(lambda: by_name(page.traces("wave"), "r", False)["x"][-1] == n - 1)


def test_a_corrupt_file_is_reported_and_the_rest_keeps_working(start_viewer, open_page, two_runs):
    (two_runs / "broken.h5").write_bytes(b"this is not HDF5")
    page = open_page(start_viewer(two_runs).url)
    page.wait_for(lambda: page.traces("loss/train"))
    banner = page.page.locator("#banner").inner_text()
    assert "broken.h5" in banner and "could not be read" in banner
    assert "not an HDF5 file" in page.page.locator(".db-bad").inner_text()
    assert sorted({t["name"] for t in page.traces("loss/train")}) == ["exp1", "seed=1", "seed=2"]
    page.screenshot("corrupt-file")


def test_same_run_name_in_two_databases_is_prefixed_by_database(start_viewer, open_page, tmp_path):
    write_scalars(tmp_path / "a.h5", {"run": {"loss": [1.0]}})
    write_scalars(tmp_path / "b.h5", {"run": {"loss": [2.0]}, "other": {"loss": [3.0]}})
    page = open_page(start_viewer(tmp_path).url)
    traces = page.wait_for(lambda: page.traces("loss"))
    assert sorted({t["name"] for t in traces}) == ["a.h5: run", "b.h5: run", "other"]


def test_filters_and_hidden_runs(start_viewer, open_page, two_runs):
    page = open_page(start_viewer(two_runs).url)
    page.wait_for(lambda: page.traces("loss/train"))
    page.page.fill("#tag-filter", "val$")
    page.wait_for(lambda: page.card_titles() == ["loss/val"])
    page.page.fill("#tag-filter", "(")
    page.wait_for(lambda: "invalid regular expression" in page.page.locator("#tag-filter-error").inner_text())
    assert page.card_titles() == ["loss/train", "loss/val"]  # an invalid filter shows everything
    page.page.fill("#tag-filter", "")
    page.page.fill("#run-filter", "seed")
    page.wait_for(lambda: sorted({t["name"] for t in page.traces("loss/train")}) == ["seed=1", "seed=2"])
    page.page.fill("#run-filter", "")
    page.wait_for(lambda: page.page.locator("#run-info").inner_text() == "1–3 of 3 runs")  # the list redrawn
    page.page.locator(".runs label", has_text="seed=2").click()
    page.wait_for(lambda: sorted({t["name"] for t in page.traces("loss/train")}) == ["exp1", "seed=1"])


def test_download_csv_and_json(start_viewer, open_page, two_runs):
    page = open_page(start_viewer(two_runs).url)
    page.wait_for(lambda: page.traces("loss/val"))
    card = page.page.locator(".card", has_text="loss/val")
    with page.page.expect_download() as info:
        card.get_by_role("button", name="CSV").click()
    text = open(info.value.path()).read()
    assert text.splitlines()[0] == "run,tag,step,wall_time,value"
    assert text.splitlines()[1:] == [
        "exp1,loss/val,0,1700000000.0,3.0",
        "exp1,loss/val,1,1700000001.0,2.0",
        "exp1,loss/val,2,1700000002.0,1.0",
    ]
    with page.page.expect_download() as info:
        card.get_by_role("button", name="JSON").click()
    assert '"value": 2.0' in open(info.value.path()).read() or '"value":2.0' in open(info.value.path()).read()


def test_a_replaced_file_is_resent_in_full(start_viewer, open_page, tmp_path):
    db = write_scalars(tmp_path / "runs" / "db.h5", {"r": {"loss": [1.0, 2.0, 3.0]}})
    page = open_page(start_viewer(db.parent, reload_interval=0.3).url)
    page.wait_for(lambda: page.traces("loss"))
    replacement = write_scalars(tmp_path / "new.h5", {"r": {"loss": [7.0, 8.0, 9.0, 10.0]}})
    replacement.replace(db)
    page.wait_for(lambda: by_name(page.traces("loss"), "r", False)["y"] == [7.0, 8.0, 9.0, 10.0])


class HeldTick:
    """Holds back the reply of the viewer's next live tick that ``carries`` something (the server's test hook).

    The tick is computed from what the page showed when it asked; while its reply is held, the test acts as the
    user would; on :meth:`release` the reply travels, and the page must drop what no longer applies.
    """

    def __init__(self, viewer, carries):
        self.carries = carries
        self.computed = threading.Event()
        self.released = threading.Event()
        self.id = None  # the id of the tick request whose reply is held
        viewer.app.viewer.before_tick_reply = self._hold

    def _hold(self, reply: dict) -> None:
        if self.computed.is_set() or not self.carries(reply):
            return
        self.id = reply["id"]
        self.computed.set()
        self.released.wait(timeout=120)

    def wait_computed(self) -> None:
        assert self.computed.wait(timeout=60), "no tick carried the new rows"

    def release(self) -> None:
        self.released.set()


def fate(page, held: HeldTick) -> dict:
    """What the page did with the held tick's reply once it came: ``{"fate": "applied" | "dropped" | "superseded",
    "cardsDropped"}`` (other ticks may come and go meanwhile: the page keeps each reply's fate by its request id;
    "superseded": a newer reply came before Dash ran the page's tick callback, which then saw only the newer)."""
    return page.wait_for(lambda: next((r for r in page.ticks()["replies"] if r["id"] == held.id), None))


def slider_value(page):
    return page.page.evaluate("() => document.querySelector('#step-slider input[type=number]').value")


def test_a_tick_computed_before_a_rewind_never_undoes_it(start_viewer, open_page, tmp_path):
    db = write_scalars(tmp_path / "runs" / "db.h5", {"r": {"loss": list(np.arange(100.0))}})
    viewer = start_viewer(db.parent, reload_interval=0.3)
    page = open_page(viewer.url)
    page.wait_for(lambda: page.traces("loss"))
    held = HeldTick(viewer, carries=lambda reply: reply["slider"][2] == 100)  # live: the slider moves to 100
    with DatabaseWriter(db) as w:
        w.append_scalar("r", "loss", 100.0, 100)
    held.wait_computed()  # a tick saw step 100 and would extend the line and move the slider there
    page.set_slider("step-slider", 40)  # Dash runs the rewind once the tick in flight is answered
    held.release()
    assert fate(page, held)["fate"] in ("dropped", "superseded"), "the held tick's reply must not be applied"
    page.wait_for(lambda: by_name(page.traces("loss"), "r", False)["x"][-1] == 40)
    assert page.page.locator("#status").inner_text() == "rewound to step 40"
    assert slider_value(page) == "40"
    page.page.click("#live")
    page.wait_for(lambda: by_name(page.traces("loss"), "r", False)["x"][-1] == 100)


def test_a_tick_computed_before_a_zoom_never_undoes_it(start_viewer, open_page, tmp_path):
    n = 20_000
    values = np.sin(np.arange(n + 10) / 50.0)
    db = write_scalars(tmp_path / "runs" / "big.h5", {"r": {"wave": values[:n]}})
    viewer = start_viewer(db.parent, reload_interval=0.3)
    page = open_page(viewer.url)
    page.wait_for(lambda: page.traces("wave"))
    held = HeldTick(viewer, carries=lambda reply: bool(reply["cards"]))
    with DatabaseWriter(db) as w:
        for step in range(n, n + 10):
            w.append_scalar("r", "wave", float(values[step]), step)
    held.wait_computed()  # a tick read the card before the zoom and would extend (or redraw) its lines
    page.zoom("wave", {"xaxis.range": [1000, 1500]})
    page.wait_for(lambda: by_name(page.traces("wave"), "r", False)["x"][0] >= 990)
    held.release()
    assert fate(page, held) in (
        {"id": held.id, "fate": "applied", "cardsDropped": 1},
        {"id": held.id, "fate": "superseded", "cardsDropped": 0},
    ), "the held tick's card update must be dropped (the rest of it applies: the view is the same)"
    zoomed = by_name(page.traces("wave"), "r", False)
    assert zoomed["x"] == list(range(999, 1502))  # the zoom's full-resolution rows, nothing else
    np.testing.assert_allclose(zoomed["y"], values[999:1502], rtol=1e-6)


def test_a_tick_computed_before_hiding_a_run_never_draws_it(start_viewer, open_page, two_runs):
    viewer = start_viewer(two_runs, reload_interval=0.3)
    page = open_page(viewer.url)
    page.wait_for(lambda: page.traces("loss/train"))
    held = HeldTick(viewer, carries=lambda reply: bool(reply["cards"]))
    with DatabaseWriter(two_runs / "exp1" / "ploteries.h5") as w:
        w.append_scalar("exp1", "loss/train", 9.0, len(LOSS))
    held.wait_computed()  # a tick would extend exp1's line (trace 0 of the card)
    page.page.locator(".runs label", has_text="exp1").click()
    held.release()
    assert fate(page, held)["fate"] in ("dropped", "superseded"), "the held tick's reply must not be applied"
    traces = page.wait_for(
        lambda: (t := page.traces("loss/train")) and {x["name"] for x in t} == {"seed=1", "seed=2"} and t
    )
    assert by_name(traces, "seed=1", smoothed=False)["y"] == [2.0, 1.0]
    assert by_name(traces, "seed=2", smoothed=False)["y"] == [4.0, 3.0, 2.0]


def test_a_300_run_card_draws_every_run_within_its_pixels_and_zoom_reads_full_resolution(
    start_viewer, open_page, tmp_path
):
    rng = np.random.default_rng(3)
    steps = np.arange(2000)
    series = {
        f"lr{r:03d}": {"loss": np.exp(-steps * 10 ** rng.uniform(-4, -2)) + 0.05 * rng.random(2000)}
        for r in range(300)
    }
    write_scalars(tmp_path / "runs" / "sweep.h5", series)
    page = open_page(start_viewer(tmp_path / "runs").url)
    traces = page.wait_for(lambda: (t := page.traces("loss")) and len(t) == 600 and t, timeout=60)
    assert {t["name"] for t in traces} == set(series)
    assert all(len(t["x"]) == line_budget(300) for t in traces)  # the card's points, shared by its lines
    run = by_name(traces, "lr137", smoothed=True)
    want = np.asarray(tensorboard_smoothing(series["lr137"]["loss"], 0.6))
    np.testing.assert_allclose(run["y"], want[np.asarray(run["x"])], rtol=1e-6)
    page.wait_for(lambda: page.page.locator(".card .js-plotly-plot .scatterlayer .trace").count() == 600)
    page.screenshot("sweep-300-runs")
    page.zoom("loss", {"xaxis.range": [1000, 1100]})

    def zoomed():
        raw = [t for t in page.traces("loss") if t["opacity"] != 1]
        return len(raw) == 300 and all(t["x"] and t["x"][0] >= 990 for t in raw) and raw

    for raw in page.wait_for(zoomed, timeout=60):
        assert raw["x"] == list(range(999, 1102))  # every row in view, plus one beyond each edge
        np.testing.assert_allclose(raw["y"], series[raw["name"]]["loss"][999:1102], rtol=1e-6)
    page.screenshot("sweep-300-runs-zoomed")
    assert not page.errors
