"""The run list at sweep scale (filter, show and hide, sort, pages), its hover highlight, and grouped bands."""

from __future__ import annotations

import re

import numpy as np
import pytest

from ploteries.storage import DatabaseWriter
from ploteries.viz.services.runlist import RUN_PAGE_SIZE
from tests.viz.helpers import SWEEP_LRS, sweep_run_name, write_scalars, write_sweep

pytestmark = pytest.mark.browser

RUNS = 3000


@pytest.fixture(scope="module")
def big_sweep(tmp_path_factory):
    """3,000 runs logging ``z/acc`` (run i ends at i / 3000); runs 0-5 also log ``a/loss``, the first tab."""
    root = tmp_path_factory.mktemp("sweep")
    steps = np.arange(3, dtype=np.int64)
    with DatabaseWriter(root / "sweep.h5") as w:
        for i in range(RUNS):
            run = sweep_run_name(i)
            w.append_many(
                run, "z/acc", np.array([0.0, 0.5, 1.0]) * i / RUNS, steps, 1.7e9 + steps, kind="scalar"
            )
            if i < 6:
                w.append_many(
                    run, "a/loss", np.array([3.0, 2.0, 1.0]) + i, steps, 1.7e9 + steps, kind="scalar"
                )
    return root


def rows(page) -> list[str]:
    return page.page.eval_on_selector_all(
        ".runs [data-run]", "els => els.map(e => e.getAttribute('data-run'))"
    )


def checked(page) -> list[bool]:
    return page.page.eval_on_selector_all(".runs input[type=checkbox]", "els => els.map(e => e.checked)")


def info(page) -> str:
    return page.page.locator("#run-info").inner_text()


def names(page, title: str) -> set[str]:
    return {t["name"] for t in page.traces(title) or []}


def test_run_list_filters_hides_sorts_and_pages_3000_runs(start_viewer, open_page, big_sweep):
    page = open_page(start_viewer(big_sweep, reload_interval=5).url)
    page.wait_for(lambda: info(page) == f"1–{RUN_PAGE_SIZE} of {RUNS} runs")
    # a page of RUN_PAGE_SIZE runs, of which Dash's checklist puts the rows in view in the DOM
    assert 10 <= len(rows(page)) < RUN_PAGE_SIZE // 2 and all(checked(page))
    assert rows(page)[:4] == ["seed=0/lr=0.001", "seed=0/lr=0.01", "seed=0/lr=0.1", "seed=1/lr=0.001"]
    assert names(page, "a/loss") == {sweep_run_name(i) for i in range(6)}

    page.page.fill("#run-filter", r"lr=0\.01$")
    page.wait_for(lambda: info(page) == f"1–{RUN_PAGE_SIZE} of {RUNS // 3} ({RUNS} runs)")
    assert all(r.endswith("/lr=0.01") for r in rows(page))
    page.page.click("#runs-hide")
    page.wait_for(lambda: info(page).endswith(f"· {RUNS // 3} hidden") and not any(checked(page)))
    page.page.fill("#run-filter", "")
    page.wait_for(lambda: info(page).startswith(f"1–{RUN_PAGE_SIZE} of {RUNS} runs"))
    page.wait_for(lambda: names(page, "a/loss") == {sweep_run_name(i) for i in (0, 2, 3, 5)})
    assert [c for r, c in zip(rows(page), checked(page))] == [not r.endswith("lr=0.01") for r in rows(page)]

    page.page.fill("#run-filter", "^seed=1/")
    page.wait_for(lambda: info(page).startswith("1–3 of 3 "))
    page.page.click("#runs-only")
    page.wait_for(lambda: info(page).endswith(f"· {RUNS - 3} hidden"))
    page.page.fill("#run-filter", "")
    page.wait_for(lambda: info(page).startswith(f"1–{RUN_PAGE_SIZE} of {RUNS} runs"))  # the filter applied
    assert names(page, "a/loss") == {sweep_run_name(i) for i in (3, 4, 5)}
    page.page.click("#runs-all")
    page.wait_for(lambda: not info(page).endswith("hidden") and all(checked(page)))
    page.wait_for(lambda: len(names(page, "a/loss")) == 6)

    # one row unticked by hand while a filter change is on its way (no wait between): the click wins
    page.page.fill("#run-filter", "^seed=0/")
    page.page.locator(".runs label", has_text=sweep_run_name(2)).first.click()
    page.wait_for(lambda: info(page) == f"1–3 of 3 ({RUNS} runs) · 1 hidden")
    assert dict(zip(rows(page), checked(page))) == {sweep_run_name(i): i != 2 for i in range(3)}
    page.page.fill("#run-filter", "")
    page.wait_for(lambda: names(page, "a/loss") == {sweep_run_name(i) for i in (0, 1, 3, 4, 5)})
    page.page.click("#runs-all")
    page.wait_for(lambda: info(page) == f"1–{RUN_PAGE_SIZE} of {RUNS} runs" and all(checked(page)))

    # sorted by the last value of a tag, largest first, the value beside each run
    page.page.click("#run-sort")
    page.page.locator(
        ".run-sort .Select-option, .run-sort [role=option]", has_text="last z/acc"
    ).first.click()
    page.page.check("#run-sort-desc input")
    page.wait_for(lambda: rows(page)[:2] == [sweep_run_name(RUNS - 1), sweep_run_name(RUNS - 2)])
    values = page.page.eval_on_selector_all(".runs .run-value", "els => els.map(e => e.textContent)")
    assert values[:2] == [f"{(RUNS - 1) / RUNS:.4g}", f"{(RUNS - 2) / RUNS:.4g}"]
    page.page.click("#run-page-next")
    page.wait_for(lambda: info(page) == f"{RUN_PAGE_SIZE + 1}–{2 * RUN_PAGE_SIZE} of {RUNS} runs")
    assert rows(page)[0] == sweep_run_name(RUNS - 1 - RUN_PAGE_SIZE) and len(rows(page)) < RUN_PAGE_SIZE // 2
    print("screenshot:", page.screenshot("run-list-3000"))
    assert page.errors == []


def test_hovering_a_run_highlights_it_in_every_card(start_viewer, open_page, tmp_path):
    write_scalars(
        tmp_path / "db.h5", {r: {"m/loss": [3.0, 2.0, 1.0], "m/acc": [0.1, 0.2]} for r in ("a", "b", "c")}
    )
    page = open_page(start_viewer(tmp_path).url)
    page.wait_for(lambda: page.interactive("m/acc") and page.interactive("m/loss"))

    def styles(title):
        return page.page.evaluate(
            """(title) => {
                const card = Array.from(document.querySelectorAll('.card')).find(
                    c => c.querySelector('.card-title').textContent === title);
                return card.querySelector('.js-plotly-plot').data.map(
                    t => [t.name, t.line.width, t.opacity === undefined ? 1 : t.opacity]);
            }""",
            title,
        )

    before = {title: styles(title) for title in ("m/acc", "m/loss")}
    page.page.hover(".runs [data-run='b']")
    for title in ("m/acc", "m/loss"):
        got = page.wait_for(lambda title=title: (s := styles(title)) != before[title] and s)
        for (name, width, opacity), (_, width0, opacity0) in zip(got, before[title]):
            if name == "b":
                assert width == max(width0, 3.5) and opacity >= 0.9
            else:
                assert width == width0 and opacity == pytest.approx(opacity0 * 0.15)
    page.page.mouse.move(900, 880)  # off the list: every line as it was
    for title in ("m/acc", "m/loss"):
        page.wait_for(lambda title=title: styles(title) == before[title])
    assert page.errors == []


def point_on_screen(page, title: str, curve: int, index: int) -> tuple[float, float]:
    """Where point ``index`` of trace ``curve`` of the card titled ``title`` is drawn, in page pixels."""
    return page.page.evaluate(
        """([title, curve, index]) => {
            const card = Array.from(document.querySelectorAll('.card')).find(
                c => c.querySelector('.card-title').textContent === title);
            const gd = card.querySelector('.js-plotly-plot');
            const t = gd._fullData[curve], xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;  // decoded
            const box = gd.getBoundingClientRect();
            return [box.left + xa._offset + xa.l2p(t.x[index]), box.top + ya._offset + ya.l2p(t.y[index])];
        }""",
        [title, curve, index],
    )


def test_groups_are_bands_listing_their_members_and_expand_on_click(start_viewer, open_page, tmp_path):
    runs = 12
    write_sweep(tmp_path / "sweep.h5", runs, steps=20, hparams=False)
    page = open_page(start_viewer(tmp_path, reload_interval=5).url)
    page.click_tab("loss")
    page.wait_for(lambda: len(page.traces("loss") or []) == 2 * runs)  # a raw and a smoothed line per run
    page.set_slider("smoothing", 0)
    page.wait_for(lambda: len(page.traces("loss") or []) == runs)
    page.page.fill("#group-pattern", r"lr=([0-9.]+)")
    page.wait_for(lambda: len(page.traces("loss") or []) == 3 * len(SWEEP_LRS))
    traces = page.traces("loss")
    centres = {t["name"]: t for t in traces[2::3]}
    assert sorted(centres) == [f"{lr} ({runs // 3})" for lr in ("0.001", "0.01", "0.1")]
    # run i of lr index k: loss = k + i / runs + 1 / (step + 1); the group of lr index k holds i = k, k+3, ...
    for k, lr in enumerate(SWEEP_LRS):
        members = np.arange(k, runs, 3)
        centre = centres[f"{lr} ({len(members)})"]
        lo, hi = (
            next(t for t in traces if t["name"] == f"{lr} low"),
            next(t for t in traces if t["name"] == f"{lr} high"),
        )
        step = np.arange(20)
        np.testing.assert_allclose(centre["y"], k + members.mean() / runs + 1 / (step + 1), rtol=1e-6)
        np.testing.assert_allclose(lo["y"], k + members.min() / runs + 1 / (step + 1), rtol=1e-6)
        np.testing.assert_allclose(hi["y"], k + members.max() / runs + 1 / (step + 1), rtol=1e-6)
    assert all(re.fullmatch(r"seed=\d+/lr=[0-9.]+", r) for r in rows(page))
    groups = page.page.eval_on_selector_all(
        ".runs [data-group]", "els => els.map(e => e.getAttribute('data-group'))"
    )
    assert groups[:3] == ["0.001", "0.01", "0.1"]

    curve = next(i for i, t in enumerate(traces) if t["name"] == f"0.01 ({runs // 3})")
    page.wait_for(lambda: page.interactive("loss"))
    x, y = point_on_screen(page, "loss", curve, 10)
    page.page.mouse.move(x, y)
    hover = page.wait_for(
        lambda: page.page.eval_on_selector_all(".hoverlayer .hovertext", "els => els.map(e => e.textContent)")
    )
    members = ", ".join(sweep_run_name(i) for i in range(1, runs, 3))
    assert "0.01 · 4 runs" in hover[0] and members in hover[0] and "mean" in hover[0]
    print("screenshot:", page.screenshot("groups-hover"))

    page.page.mouse.click(x, y)
    page.wait_for(lambda: len(page.traces("loss") or []) == 3 * len(SWEEP_LRS) + runs // 3)
    assert names(page, "loss") >= {sweep_run_name(i) for i in range(1, runs, 3)}
    print("screenshot:", page.screenshot("groups-expanded"))
    x, y = point_on_screen(page, "loss", curve, 10)
    page.page.mouse.click(x, y)
    page.wait_for(lambda: len(page.traces("loss") or []) == 3 * len(SWEEP_LRS))
    assert page.errors == []
