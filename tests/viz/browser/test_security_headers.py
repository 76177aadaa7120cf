"""The page draws in a real Chromium under the viewer's Content-Security-Policy, with no violation reported."""

from __future__ import annotations

import pytest

from tests.viz.helpers import write_scalars

pytestmark = pytest.mark.browser


def test_the_page_draws_under_the_security_headers(start_viewer, open_page, tmp_path, browser):
    write_scalars(tmp_path / "db.h5", {"a": {"loss": [1.0, 2.0, 3.0]}, "b": {"loss": [2.0]}})
    viewer = start_viewer(tmp_path)
    context = browser.new_context()
    try:
        page = context.new_page()
        console: list[str] = []
        page.on("console", lambda m: console.append(m.text))
        response = page.goto(viewer.url)
        assert "script-src 'self' 'unsafe-eval' 'sha256-" in response.headers["content-security-policy"]
        page.wait_for_function(
            "() => Array.from(document.querySelectorAll('.card .js-plotly-plot')).some(g => g.data && g.data.length)",
            timeout=60_000,
        )
        traces = page.evaluate(
            "() => document.querySelector('.card .js-plotly-plot')._fullData.filter(t => t.opacity === 0.28)"
            ".map(t => [t.name, Array.from(t.y)])"
        )
        assert sorted(traces) == [["a", [1.0, 2.0, 3.0]], ["b", [2.0]]]
        page.locator("#tag-filter").fill("nothing-matches")  # a callback round trip under the policy
        page.wait_for_selector(".empty", timeout=60_000)
        assert not [m for m in console if "Content Security Policy" in m], console
    finally:
        context.close()
