"""Run list benchmark: a sweep of thousands of runs, this revision against a previous one, in the same run.

The sweep is one database of RUNS runs logging ``z/acc`` (3 steps), six of which also log ``a/loss`` (the first
tab, so that the page's cards stay small and the run list is what is measured). For each revision, in a child
process (a revision may never answer: before the run list, run colours probed forever past ~3,600 runs):

- the first page (``/_dash-layout``, which comes with the run list and the first cards): server time and bytes,
  raw and gzip;
- server time of the run list's callbacks (filter, sort by a tag's last value, next page) through Dash's
  ``/_dash-update-component``; the previous revision has no run list callback: its ``explorer`` callback (which
  rebuilt the whole checklist on every new run) and its card callback with a run filter stand in;
- in headless Chromium: the run list's rows in the DOM once the page is drawn.

Run: python bench/bench_runlist.py [--runs 5000] [--previous ea6a26c] [--timeout 300]
"""

from __future__ import annotations

import this_tree  # noqa: F401  (first: the ploteries of this tree, see this_tree.py)

# isort: split

import argparse
import gzip
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))


def write_sweep(path: Path, runs: int) -> None:
    from ploteries.storage import DatabaseWriter

    steps = np.arange(3, dtype=np.int64)
    with DatabaseWriter(path) as w:
        for i in range(runs):
            run = f"seed={i // 3}/lr={('0.1', '0.01', '0.001')[i % 3]}"
            w.append_many(
                run, "z/acc", np.array([0.0, 0.5, 1.0]) * i / runs, steps, 1.7e9 + steps, kind="scalar"
            )
            if i < 6:
                w.append_many(
                    run, "a/loss", np.array([3.0, 2.0, 1.0]) + i, steps, 1.7e9 + steps, kind="scalar"
                )


def post(client, app, output: str, values: dict, changed: list) -> float:
    from tests.viz.dash_requests import callback_body, callback_key

    key = callback_key(app, *output.split("."))
    body = callback_body(app, key, values, changed=changed)
    t = time.perf_counter()
    response = client.post("/_dash-update-component", json=body)
    elapsed = time.perf_counter() - t
    assert response.status_code in (200, 204), response.get_data(as_text=True)[:300]
    return elapsed


def best(fn, repeat: int = 3) -> float:
    return min(fn() for _ in range(repeat))


def child(rev: str, root: str) -> dict:
    """Measure one revision (run in a child process); prints a JSON object."""
    if rev == "current":
        import ploteries as pkg
    else:
        from previous import load_previous

        pkg = load_previous(rev)
    app_mod = __import__(f"{pkg.__name__}.viz.app", fromlist=["create_app"])
    lib_mod = __import__(f"{pkg.__name__}.viz.library", fromlist=["Library"])
    app = app_mod.create_app(lib_mod.Library([root]), reload_interval=600)
    client = app.server.test_client()
    client.get("/")
    out: dict = {}
    t = time.perf_counter()
    layout = client.get("/_dash-layout").get_data()
    out["first_layout_s"] = time.perf_counter() - t
    t = time.perf_counter()
    layout = client.get("/_dash-layout").get_data()
    out["layout_s"] = time.perf_counter() - t
    out["layout_bytes"] = len(layout)
    out["layout_gzip"] = len(gzip.compress(layout))
    filt = r"lr=0\.01$"
    if rev == "current":
        base = {("run-sort", "value"): "name", ("run-filter", "value"): None}
        out["filter_s"] = best(
            lambda: post(
                client,
                app,
                "runs.options",
                {**base, ("run-filter", "value"): filt},
                [("run-filter", "value")],
            )
        )
        out["sort_tag_s"] = best(
            lambda: post(
                client,
                app,
                "runs.options",
                {**base, ("run-sort", "value"): "tag:z/acc"},
                [("run-sort", "value")],
            )
        )
        out["next_page_s"] = best(
            lambda: post(
                client,
                app,
                "runs.options",
                {**base, ("run-page", "data"): 3},
                [("run-page-next", "n_clicks")],
            )
        )
    else:
        out["explorer_s"] = best(lambda: post(client, app, "databases.children", {}, [("version", "data")]))
    out["cards_filter_s"] = best(
        lambda: post(
            client,
            app,
            "cards.children",
            {("run-filter", "value"): filt, ("tabs", "value"): "a"},
            [("run-filter", "value")],
        )
    )
    out["dom_rows"] = dom_rows(app)
    return out


def dom_rows(app) -> int | None:
    """The run list's rows in the DOM of a headless Chromium, once the page's cards are drawn."""
    from bench_viewer import CHROMIUM_FLAGS
    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_FLAGS)
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(f"http://127.0.0.1:{server.server_port}/")
            page.wait_for_selector(".card", timeout=300_000)
            page.wait_for_function("document.querySelectorAll('.runs label').length > 0", timeout=300_000)
            rows = page.evaluate("document.querySelectorAll('.runs label').length")
            browser.close()
            return rows
    finally:
        server.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5000)
    parser.add_argument("--previous", default="ea6a26c")
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--child", nargs=2, metavar=("REV", "ROOT"))
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(*args.child)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        write_sweep(Path(tmp) / "sweep.h5", args.runs)
        results = {}
        for rev in ("current", args.previous):
            try:
                done = subprocess.run(
                    [sys.executable, __file__, "--child", rev, tmp],
                    capture_output=True,
                    text=True,
                    timeout=args.timeout,
                )
                results[rev] = (
                    json.loads(done.stdout.strip().splitlines()[-1])
                    if done.returncode == 0
                    else {"error": done.stderr[-400:]}
                )
            except subprocess.TimeoutExpired:
                results[rev] = {"error": f"no answer within {args.timeout:.0f} s"}
    cur, prev = results["current"], results[args.previous]
    print(f"{args.runs} runs; previous = {args.previous}")
    for name, value in cur.items():
        peer = prev.get(name)
        ratio = (
            f"  x{value / peer:.3g} of previous ({peer:.4g})"
            if isinstance(peer, (int, float)) and peer
            else ""
        )
        print(
            f"  {name:16s} {value:.4g}{ratio}" if isinstance(value, float) else f"  {name:16s} {value}{ratio}"
        )
    for name, value in prev.items():
        if name not in cur:
            print(f"  previous {name:16s} {value if not isinstance(value, float) else f'{value:.4g}'}")


if __name__ == "__main__":
    main()
