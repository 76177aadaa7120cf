"""What the graph cards show, read from the page (shared by the browser tests)."""

from __future__ import annotations

import re

FIGURE_JS = """(title) => {
    const card = Array.from(document.querySelectorAll('.card')).find(
        c => c.querySelector('.card-title').textContent === title);
    if (!card) return null;
    card.scrollIntoView({block: 'nearest'});  // a card is drawn when it comes into view
    const gd = card.querySelector('.js-plotly-plot');
    if (!gd || !gd.data) return null;
    const arr = v => (v === undefined || v === null) ? null : Array.from(v);
    const row = r => (typeof r === 'object' && r !== null) ? Array.from(r) : r;
    // typed arrays ({dtype, bdata}) are decoded into the full data plotly.js draws from
    const col = (i, key) => {
        const v = gd.data[i][key];
        if (!v || v.bdata === undefined) return v;
        return ((gd._fullData || []).find(d => d.index === i) || {})[key];
    };
    return {
        data: gd.data.map((t, i) => ({name: t.name, x: arr(col(i, 'x')), y: arr(col(i, 'y')), fill: t.fill || null,
                                      customdata: t.customdata ? Array.from(col(i, 'customdata'), row) : null,
                                      hovertemplate: t.hovertemplate || null})),
        annotations: (gd.layout.annotations || []).map(a => a.text),
    };
}"""


def figure(page, title: str) -> dict | None:
    """The data (name, x, y, fill, customdata, hovertemplate) and annotations of the card titled ``title``."""
    return page.page.evaluate(FIGURE_JS, title)


def joined(fig: dict, index: int) -> dict:
    """Trace ``index`` of a figure (:func:`figure`) joined by the tail traces live rows were appended to: the later
    traces of the same name, fill and hover, each starting at the last point its line held."""
    line = {**fig["data"][index]}
    same = ("name", "fill", "hovertemplate")
    for tail in fig["data"][index + 1 :]:
        if all(tail[k] == line[k] for k in same):
            line["x"], line["y"] = line["x"] + tail["x"][1:], line["y"] + tail["y"][1:]
    return line


def by_name(traces, name, smoothed):
    """The raw (faint) or smoothed line of a run: its trace, joined by the tail traces live rows were appended to
    (each starts at the last point its line held)."""
    found = [t for t in traces if t["name"] == name and ((t["opacity"] == 1) == smoothed)]
    assert found, traces
    line = {**found[0]}
    for tail in found[1:]:
        for key in ("x", "y", "customdata"):
            line[key] = None if line[key] is None else line[key] + tail[key][1:]
    return line


def card(page, title: str):
    """The locator of the card titled ``title``."""
    exact = re.compile(f"^{re.escape(title)}$")
    return page.page.locator(".card").filter(has=page.page.locator(".card-title", has_text=exact))


def choose(page, title: str, control: str, option: str) -> None:
    """Pick ``option`` in the dropdown of kind ``control`` of the card titled ``title``."""
    card(page, title).locator(f'[id*=\'"type":"{control}"\']').first.click()
    page.page.locator(".dash-dropdown-option").get_by_text(option, exact=True).click()


def wait(page, predicate, timeout: float = 30.0):
    """``page.wait_for`` with room for a loaded machine (live ticks, writers and the browser share 2 cores)."""
    return page.wait_for(predicate, timeout=timeout)


def rewind(page, step: int) -> None:
    """Move the global step slider to ``step``, as a user would while the page is live (ticks in flight)."""
    page.set_slider("step-slider", step)
    wait(page, lambda: page.page.locator("#status").inner_text() == f"rewound to step {step}")
