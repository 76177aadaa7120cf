"""Browser tests: a real viewer (WSGI server in a thread) and a real headless Chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path

import pytest

from ploteries.viz.app import create_app
from ploteries.viz.library import Library
from ploteries.viz.server import bind_server

CHROMIUM = os.environ.get("PLOTERIES_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
SCREENSHOTS = Path(os.environ.get("PLOTERIES_SCREENSHOTS", "/tmp/ploteries-screenshots"))

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def browser():
    if shutil.which(CHROMIUM) is None and not Path(CHROMIUM).exists():
        pytest.fail(
            f"browser tests need Chromium at {CHROMIUM} (make test installs it; or set PLOTERIES_CHROMIUM)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield b
        b.close()


class RunningViewer:
    """A viewer serving ``root`` on a free port, in a thread of the test process."""

    def __init__(self, roots, reload_interval: float = 0.5, **library_options):
        self.library = Library(roots, **library_options)
        self.app = create_app(self.library, reload_interval=reload_interval)
        self.server, self.port = bind_server(self.app.server, "127.0.0.1", 0)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.port}/"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def start_viewer():
    started = []

    def start(*roots, **options) -> RunningViewer:
        viewer = RunningViewer(roots, **options)
        started.append(viewer)
        return viewer

    yield start
    for v in started:
        v.stop()


RECORD_CALLBACKS_JS = """(() => {
  // the page's last Dash callbacks, asked and answered (for a failure message: what the page was waiting on):
  // the last 40 other than ticks, and the last 10 ticks (ticks come every few hundred ms and would crowd out the rest)
  const calls = window.__callbacks = [];
  const ticks = window.__tickCallbacks = [];
  const note = line => {
    const list = line.endsWith(' tick-reply.data') ? ticks : calls;
    list.push(line);
    if (list.length > (list === ticks ? 10 : 40)) list.shift();
  };
  const fetch0 = window.fetch;
  window.fetch = function (input, init) {
    const url = typeof input === 'string' ? input : (input && input.url) || '';
    if (!url.includes('_dash-update-component')) return fetch0.apply(this, arguments);
    let output = '?';
    try { output = JSON.parse(init.body).output.slice(0, 90); } catch (e) {}
    note(`${performance.now().toFixed(0)} -> ${output}`);
    return fetch0.apply(this, arguments).then(
      r => { note(`${performance.now().toFixed(0)} <- ${r.status} ${output}`); return r; },
      e => { note(`${performance.now().toFixed(0)} x ${output}: ${e}`); throw e; });
  };
})();"""


class ViewerPage:
    """A Playwright page on the viewer, with helpers that read what the page shows."""

    def __init__(self, page, url: str):
        self.page = page
        self.errors: list[str] = []
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.add_init_script(RECORD_CALLBACKS_JS)
        page.goto(url)
        page.wait_for_selector(".card, .empty", timeout=15_000)

    def describe(self) -> str:
        """What the page shows and did last (for a failure message): status, step slider, ticks, callbacks."""
        try:
            shown = self.page.evaluate(
                """() => ({status: (document.querySelector('#status') || {}).textContent,
                           slider: (document.querySelector('#step-slider input[type=number]') || {}).value,
                           ticks: {...window.ploteriesTicks, replies: (window.ploteriesTicks || {replies: []}).replies.slice(-5)},
                           callbacks: window.__callbacks || [], ticks_asked: window.__tickCallbacks || []})"""
            )
        except Exception as exc:  # noqa: BLE001 - the page may be gone
            return f"page not readable: {exc}"
        calls, ticks = shown.pop("callbacks"), shown.pop("ticks_asked")
        return (
            f"page: {shown}\nlast callbacks other than ticks (ms since load, ->: asked, <-: answered):\n"
            + "\n".join(calls)
            + "\nlast ticks:\n"
            + "\n".join(ticks)
        )

    def card_titles(self) -> list[str]:
        return self.page.eval_on_selector_all(".card .card-title", "els => els.map(e => e.textContent)")

    def traces(self, title: str) -> list[dict]:
        """The Plotly traces drawn in the card titled ``title``: name, x, y, opacity (as the browser holds them)."""
        return self.page.evaluate(
            """(title) => {
                const card = Array.from(document.querySelectorAll('.card')).find(
                    c => c.querySelector('.card-title').textContent === title);
                if (!card) return null;
                card.scrollIntoView({block: 'nearest'});  // a card is drawn when it comes into view
                const gd = card.querySelector('.js-plotly-plot');
                if (!gd || !gd.data) return null;
                // typed arrays ({dtype, bdata}) are decoded into the full data plotly.js draws from
                return gd.data.map((t, i) => {
                    const full = (gd._fullData || []).find(d => d.index === i) || {};
                    const col = key => (t[key] && t[key].bdata !== undefined ? full[key] : t[key]);
                    return {name: t.name, x: Array.from(col('x') || []), y: Array.from(col('y') || []),
                            opacity: t.opacity === undefined ? 1 : t.opacity,
                            customdata: t.customdata ? Array.from(col('customdata')) : null};
                });
            }""",
            title,
        )

    def interactive(self, title: str) -> bool:
        """Whether the graph of the card titled ``title`` is drawn and listens to the user (zoom, pan, hover)."""
        return self.page.evaluate(
            """(title) => {
                const card = Array.from(document.querySelectorAll('.card')).find(
                    c => c.querySelector('.card-title').textContent === title);
                if (card) card.scrollIntoView({block: 'nearest'});  // a card is drawn when it comes into view
                const gd = card && card.querySelector('.js-plotly-plot');
                // dcc.Graph binds its event handlers once its first drawing is done (the class goes away)
                return Boolean(gd && gd.data && !gd.classList.contains('dash-graph--pending'));
            }""",
            title,
        )

    def zoom(self, title: str, layout: dict) -> None:
        """Zoom or pan the graph of the card titled ``title`` as the user would (``Plotly.relayout``)."""
        self.wait_for(lambda: self.interactive(title))
        self.page.evaluate(
            """([title, layout]) => {
                const card = Array.from(document.querySelectorAll('.card')).find(
                    c => c.querySelector('.card-title').textContent === title);
                return Plotly.relayout(card.querySelector('.js-plotly-plot'), layout);
            }""",
            [title, layout],
        )

    def ticks(self) -> dict:
        """What became of the live ticks so far: requested, applied, dropped (whole), cardsDropped."""
        return self.page.evaluate("() => ({...window.ploteriesTicks})")

    def wait_for(self, predicate, timeout: float = 20.0, interval: float = 0.1):
        """Poll ``predicate()`` until it returns a truthy value; returns it, or fails with the last value."""
        deadline = time.monotonic() + timeout
        value = None
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(interval)
        raise AssertionError(f"timed out after {timeout}s; last value: {value!r}\n{self.describe()}")

    def click_tab(self, label: str) -> None:
        self.page.locator(".tab", has_text=label).first.click()

    def set_slider(self, slider_id: str, value) -> None:
        box = self.page.locator(f"#{slider_id} input[type=number]").first
        box.fill(str(value))
        box.press("Tab")  # the slider takes a typed value when the box loses focus

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def open_page(browser):
    contexts = []

    def open_(url: str, width: int = 1400, height: int = 900) -> ViewerPage:
        context = browser.new_context(viewport={"width": width, "height": height}, accept_downloads=True)
        contexts.append(context)
        return ViewerPage(context.new_page(), url)

    yield open_
    for c in contexts:
        c.close()
