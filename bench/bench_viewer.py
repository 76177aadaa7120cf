"""Viewer benchmark: time from launch to the first scalar data served, and bytes sent, vs TensorBoard's server.

The same data (TAGS tags x POINTS points, one run) is written as a ploteries database and as a TensorBoard event
file. Then, for each viewer, measured from the moment the server process is launched:

- ploteries, polled as a client: its page layout (which comes with the first tab's cards drawn, data included) is
  requested from launch until it answers; that is "first data", comparable to polling TensorBoard's API.
- ploteries in a headless Chromium: "first data served" is when the page's data arrives, "every card drawn" when
  every card of the tab has its traces. The bytes are the (compressed) bodies of the page's layout and data
  callbacks; the static JS/CSS bundle is reported apart. plotly.js's evaluation time is printed beside it.
- TensorBoard (``tensorboard --logdir``): its scalar data API is polled for every tag, as its front end does;
  "first data" is when every tag returns points; "complete" is when every tag's last step is in (TensorBoard
  samples 1,000 points per tag by default, so it never sends full resolution).

- first paint in headless Chromium (``--first-paint``): with the server up and its first page computed, a fresh
  browser (no cache) opens the page; measured in the page from navigation start: every card in the viewport drawn,
  then (scrolling to the bottom) every card of the page drawn, and the bytes of JavaScript the page evaluated.
  The same is measured for the revision ``--previous`` (default ea6a26c: before the partial plotly.js and lazy
  drawing) in the same run, runs alternating, and for TensorBoard's own front end on the same data.

Run: python bench/bench_viewer.py [--points 1000000] [--tags 10] [--timeout 900]
     python bench/bench_viewer.py --first-paint [--previous ea6a26c] [--runs 5] [--no-tensorboard]
"""

from __future__ import annotations

import this_tree  # noqa: F401  (first: the ploteries of this tree, see this_tree.py)

# isort: split

import argparse
import json
import os
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

import numpy as np

from ploteries.storage import DatabaseWriter

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def series(points: int, tag_index: int) -> np.ndarray:
    x = np.arange(points)
    return np.exp(-x / (points / 3)) + 0.05 * np.sin(x / (50 + tag_index)) + 0.01 * tag_index


def write_ploteries(root: Path, tags: int, points: int) -> None:
    (root / "run").mkdir(parents=True)
    steps = np.arange(points)
    with DatabaseWriter(root / "run" / "ploteries.h5") as w:
        for t in range(tags):
            w.append_many(
                "run", f"bench/tag{t}", series(points, t), steps, 1.7e9 + steps * 0.01, kind="scalar"
            )


def _masked_crc(data: bytes) -> int:
    import crc32c

    crc = crc32c.crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def write_tensorboard(root: Path, tags: int, points: int) -> None:
    """Event file records as torch's SummaryWriter writes them (simple_value scalars), framed as TFRecords."""
    from tensorboard.compat.proto import event_pb2, summary_pb2

    (root / "run").mkdir(parents=True)
    path = root / "run" / f"events.out.tfevents.{int(time.time())}.bench"
    with open(path, "wb") as f:

        def record(event) -> None:
            data = event.SerializeToString()
            head = struct.pack("<Q", len(data))
            f.write(head + struct.pack("<I", _masked_crc(head)) + data + struct.pack("<I", _masked_crc(data)))

        record(event_pb2.Event(wall_time=1.7e9, file_version="brain.Event:2"))
        values = [series(points, t) for t in range(tags)]
        event = event_pb2.Event()
        value = event.summary.value.add()
        for step in range(points):
            event.step = step
            event.wall_time = 1.7e9 + step * 0.01
            for t in range(tags):
                value.tag = f"bench/tag{t}"
                value.simple_value = float(values[t][step])
                record(event)
        del summary_pb2


def is_data(request) -> bool:
    """The page's data: its layout (the first page comes drawn in it) and its callbacks."""
    return "_dash-layout" in request.url or "_dash-update-component" in request.url


def launch_ploteries(root: Path, port: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "ploteries.viz", str(root), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def poll_layout(port: int, proc: subprocess.Popen, label: str, timeout: float) -> tuple[bytes, bool]:
    """The viewer's page layout (``/_dash-layout``, asked with gzip) polled from launch until it answers:
    ``(body, gzipped)``; RuntimeError naming ``label`` if its process exits first."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/_dash-layout", headers={"Accept-Encoding": "gzip"}
    )
    while True:
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.read(), response.headers.get("Content-Encoding") == "gzip"
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(f"{label} exited with {proc.returncode}") from None
            time.sleep(0.01)


def time_ploteries_server(root: Path, tags: int) -> dict:
    """Launch to the first data, polling the server as a client would (like the TensorBoard figure)."""
    import zlib

    port = free_port()
    t0 = time.perf_counter()
    proc = launch_ploteries(root, port)
    try:
        body, gzipped = poll_layout(port, proc, "the viewer", timeout=60)
        t_first = time.perf_counter() - t0
        text = zlib.decompress(body, 16 + zlib.MAX_WBITS) if gzipped else body
        graphs = text.count(b'"type": "Graph"') or text.count(b'"type":"Graph"')
        return {"first": t_first, "bytes": len(body), "cards": graphs}
    finally:
        proc.terminate()
        proc.wait(10)


def time_ploteries(root: Path, tags: int, browser) -> dict:
    port = free_port()
    t0 = time.perf_counter()
    proc = launch_ploteries(root, port)
    try:
        proc.stdout.readline()  # the URL line: serving
        t_serving = time.perf_counter() - t0
        page = browser.new_page()
        sizes = {"data": 0, "static": 0}
        requests = []
        served = []

        def finished(r):
            requests.append(r)
            if is_data(r) and r.sizes()["responseBodySize"] > 10_000:
                served.append(time.perf_counter() - t0)

        page.on("requestfinished", finished)
        page.goto(f"http://127.0.0.1:{port}/")
        count = """() => Array.from(document.querySelectorAll('.card .js-plotly-plot'))
                       .filter(g => g._fullData && g._fullData.length && g._fullData[0].x && g._fullData[0].x.length > 0).length"""
        while page.evaluate(count) < tags:
            time.sleep(0.01)
        t_first = time.perf_counter() - t0
        points = page.evaluate(
            "() => Array.from(document.querySelectorAll('.card .js-plotly-plot')).map(g => g._fullData[0].x.length)"
        )
        for r in requests:
            body = r.sizes()["responseBodySize"]
            sizes["data" if is_data(r) else "static"] += body
        rss = int(Path(f"/proc/{proc.pid}/status").read_text().split("VmRSS:")[1].split()[0]) // 1024
        page.close()
        return {
            "serving": t_serving,
            "served": served[0],
            "first": t_first,
            "bytes": sizes,
            "points": points,
            "rss_mb": rss,
        }
    finally:
        proc.terminate()
        proc.wait(10)


VIEWPORT = {"width": 1280, "height": 720}

FIRST_PAINT_JS = """(() => {
  // drawn: a graph that holds its traces (in _fullData: typed arrays {dtype, bdata} are decoded only there);
  // in view: a card that overlaps the viewport
  const drawn = c => { const g = c.querySelector('.js-plotly-plot');
                       return !!(g && g._fullData && g._fullData.length && g._fullData[0].x && g._fullData[0].x.length); };
  const inView = c => { const r = c.getBoundingClientRect(); return r.bottom > 0 && r.top < innerHeight; };
  const fp = window.__firstPaint = {inView: null, all: null, cardsInView: null, jsBytes: null, jsFiles: null};
  const js = () => performance.getEntriesByType('resource').filter(e => /\\.js(\\?|$)/.test(e.name));
  function check() {
    const cards = Array.from(document.querySelectorAll('.card'));
    if (cards.length >= window.__expectedCards) {
      const seen = cards.filter(inView);
      if (fp.inView === null && seen.length && seen.every(drawn)) {
        fp.inView = performance.now(); fp.cardsInView = seen.length;
        fp.jsBytes = js().reduce((n, e) => n + e.decodedBodySize, 0); fp.jsFiles = js().length;
      }
      if (fp.all === null && cards.every(drawn)) fp.all = performance.now();
      if (fp.inView !== null && fp.all !== null) return;
    }
    requestAnimationFrame(check);
  }
  requestAnimationFrame(check);
})();"""


def wait_for_layout(port: int) -> None:
    """Until the server answers its page layout: then its first page is computed and cached."""
    url = f"http://127.0.0.1:{port}/_dash-layout"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=120) as response:
                response.read()
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"no layout from port {port}")


def first_paint(browser, url: str, cards: int) -> dict:
    """Navigation start to every in-view card drawn, then to every card drawn (scrolled through), in ms."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.add_init_script(f"window.__expectedCards = {cards};\n" + FIRST_PAINT_JS)
    page.goto(url)
    page.wait_for_function(
        "() => window.__firstPaint && window.__firstPaint.inView !== null", timeout=120_000
    )
    # scroll through the page as a reader would: cards below the fold draw when they come into view
    page.evaluate("() => window.scrollTo(0, document.body.scrollHeight)")
    page.wait_for_function("() => window.__firstPaint.all !== null", timeout=120_000)
    out = page.evaluate("() => ({...window.__firstPaint, builds: window.ploteriesPlotly || null})")
    context.close()
    return out


def launch_revision(root: Path, port: int, pythonpath: Path | None) -> subprocess.Popen:
    env = dict(os.environ)
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    return subprocess.Popen(
        [sys.executable, "-m", "ploteries.viz", str(root), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
        cwd=tempfile.gettempdir(),
    )


def tensorboard_first_paint(browser, root: Path, tags: int, points: int, timeout: float) -> dict | None:
    """TensorBoard's own page on the same data, once its server has loaded it: navigation to every scalar card in
    the viewport drawn (its chart and its table of the last values show the last step), in ms; None if its page
    cannot be read."""
    port = free_port()
    exe = Path(sys.executable).with_name("tensorboard")
    proc = subprocess.Popen(
        [str(exe), "--logdir", str(root), "--port", str(port), "--host", "127.0.0.1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}/data/plugin/scalars/scalars?run=run&tag="
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < timeout:  # every tag loaded to its last step
            try:
                data = [
                    json.loads(
                        urllib.request.urlopen(base + urllib.parse.quote(f"bench/tag{t}"), timeout=30).read()
                    )
                    for t in range(tags)
                ]
                if all(d and d[-1][1] == points - 1 for d in data):
                    break
            except OSError:
                pass
            time.sleep(0.5)
        context = browser.new_context(viewport=VIEWPORT)
        page = context.new_page()
        page.goto(f"http://127.0.0.1:{port}/#timeseries")
        drawn_js = """() => {
            const cards = Array.from(document.querySelectorAll('scalar-card'));
            const inView = c => { const r = c.getBoundingClientRect(); return r.bottom > 0 && r.top < innerHeight; };
            const seen = cards.filter(inView);
            // drawn: its chart has the data, which its table of values below shows (the last step)
            const drawn = c => c.querySelector('line-chart canvas') && c.innerText.includes('LAST');
            return seen.length > 0 && seen.every(drawn) ? performance.now() : null;
        }""".replace("LAST", f"{points - 1:,}")
        try:
            ms = page.wait_for_function(drawn_js, timeout=120_000, polling="raf").json_value()
            js = page.evaluate(
                "() => performance.getEntriesByType('resource').filter(e => /\\.js(\\?|$)/.test(e.name))"
                ".reduce((n, e) => n + e.decodedBodySize, 0)"
            )
            seen = page.evaluate(
                "() => Array.from(document.querySelectorAll('scalar-card')).filter(c => {"
                " const r = c.getBoundingClientRect(); return r.bottom > 0 && r.top < innerHeight; }).length"
            )
        except Exception as exc:  # noqa: BLE001 - TensorBoard's markup is not ours: report, do not fail the bench
            print(f"TensorBoard's page could not be timed: {exc}".splitlines()[0])
            return None
        finally:
            context.close()
        return {"inView": ms, "cardsInView": seen, "jsBytes": js}
    finally:
        proc.terminate()
        proc.wait(10)


def compare_first_paint(root: Path, tb_root: Path | None, args, browser) -> None:
    """First paint of the current code against ``--previous`` (and TensorBoard), runs alternating."""
    sys.path.insert(0, str(Path(__file__).parent))
    from previous import extract_revision

    revisions = {"current": None, f"previous ({args.previous})": extract_revision(args.previous)}
    servers = {}
    try:
        for name, path in revisions.items():
            port = free_port()
            servers[name] = (launch_revision(root, port, path), port)
            wait_for_layout(port)
        results: dict[str, list] = {name: [] for name in revisions}
        for _ in range(args.runs):
            for name, (_, port) in servers.items():
                results[name].append(first_paint(browser, f"http://127.0.0.1:{port}/", args.tags))
    finally:
        for proc, _ in servers.values():
            proc.terminate()
            proc.wait(10)
    tb = None
    if tb_root is not None:
        tb = tensorboard_first_paint(browser, tb_root, args.tags, args.points, args.timeout)

    def median(runs, key):
        return float(np.median([r[key] for r in runs]))

    print(
        f"first paint in headless Chromium, {VIEWPORT['width']}x{VIEWPORT['height']}, server warm, {args.runs} runs"
    )
    for name, runs in results.items():
        r = runs[-1]
        each = ", ".join(f"{x['inView'] / 1e3:.2f}" for x in runs)
        print(
            f"  {name:<22} every in-view card drawn ({r['cardsInView']} cards) "
            f"{median(runs, 'inView') / 1e3:.2f} s [{each}]; "
            f"every card after scrolling {median(runs, 'all') / 1e3:.2f} s; JavaScript evaluated by then "
            f"{r['jsBytes'] / 1e6:.2f} MB in {r['jsFiles']} files"
        )
        if r.get("builds"):
            b = r["builds"]
            loaded = ", ".join(f"{k} at {b[k] / 1e3:.2f} s" for k in ("basic", "full") if b.get(k))
            print(f"  {'':<22} plotly.js builds loaded: {loaded or 'none'}")
    (cur, prev) = results.values()
    print(
        f"  ratio previous / current: in-view cards {median(prev, 'inView') / median(cur, 'inView'):.2f}x, "
        f"every card {median(prev, 'all') / median(cur, 'all'):.2f}x"
    )
    if tb is not None:
        print(
            f"  TensorBoard's page: every in-view scalar card drawn ({tb['cardsInView']} cards) "
            f"{tb['inView'] / 1e3:.2f} s, JavaScript {tb['jsBytes'] / 1e6:.2f} MB; "
            f"ratio TensorBoard / current {tb['inView'] / median(cur, 'inView'):.2f}x"
        )


def time_plotly_eval(browser) -> float:
    """Seconds this machine's headless Chromium takes to evaluate plotly.js (the page's largest script)."""
    import plotly

    page = browser.new_page()
    page.set_content("<html><body></body></html>")
    script = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    page.evaluate("() => { window.t0 = performance.now(); }")
    page.add_script_tag(path=str(script))
    seconds = page.evaluate("() => (performance.now() - window.t0) / 1000")
    page.close()
    return seconds


def time_tensorboard(root: Path, tags: int, points: int, timeout: float) -> dict:
    port = free_port()
    exe = Path(sys.executable).with_name("tensorboard")
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [str(exe), "--logdir", str(root), "--port", str(port), "--host", "127.0.0.1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    out = {"first": None, "complete": None, "bytes": 0, "points": 0}
    try:
        base = f"http://127.0.0.1:{port}/data/plugin/scalars/scalars?run=run&tag="
        while time.perf_counter() - t0 < timeout:
            try:
                bodies = [
                    urllib.request.urlopen(base + urllib.parse.quote(f"bench/tag{t}"), timeout=30).read()
                    for t in range(tags)
                ]
            except OSError:
                time.sleep(0.05)
                continue
            data = [json.loads(b) for b in bodies]
            if all(data) and out["first"] is None:
                out["first"] = time.perf_counter() - t0
                out["bytes"] = sum(len(b) for b in bodies)
                out["points"] = len(data[0])
            if all(d and d[-1][1] == points - 1 for d in data):
                out["complete"] = time.perf_counter() - t0
                out["complete_points"] = len(data[0])
                break
            time.sleep(0.5)
        rss = Path(f"/proc/{proc.pid}/status").read_text().split("VmRSS:")[1].split()[0]
        out["rss_mb"] = int(rss) // 1024
        return out
    finally:
        proc.terminate()
        proc.wait(10)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--tags", type=int, default=10)
    ap.add_argument("--timeout", type=float, default=900, help="seconds to wait for TensorBoard")
    ap.add_argument("--first-paint", action="store_true", help="time the page's first paint (see above)")
    ap.add_argument("--previous", default="ea6a26c", help="the revision --first-paint compares with")
    ap.add_argument("--runs", type=int, default=5, help="first-paint runs per revision")
    ap.add_argument("--no-tensorboard", action="store_true", help="leave TensorBoard out of --first-paint")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    if args.first_paint:
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            write_ploteries(tmp / "ploteries", args.tags, args.points)
            if not args.no_tensorboard:
                write_tensorboard(tmp / "tensorboard", args.tags, args.points)
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_FLAGS)
                tb_root = None if args.no_tensorboard else tmp / "tensorboard"
                compare_first_paint(tmp / "ploteries", tb_root, args, browser)
                browser.close()
        return

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        t = time.perf_counter()
        write_ploteries(tmp / "ploteries", args.tags, args.points)
        write_tensorboard(tmp / "tensorboard", args.tags, args.points)
        print(
            f"wrote {args.tags} tags x {args.points:,} points in both formats in {time.perf_counter() - t:.0f} s"
        )
        server = time_ploteries_server(tmp / "ploteries", args.tags)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_FLAGS)
            ours = time_ploteries(tmp / "ploteries", args.tags, browser)
            plotly_eval = time_plotly_eval(browser)
            browser.close()
        tb = time_tensorboard(tmp / "tensorboard", args.tags, args.points, args.timeout)
    print(
        f"ploteries, polled like TensorBoard's API: first data (the page with {server['cards']} cards drawn) "
        f"after {server['first']:.2f} s, {server['bytes'] / 1e3:.0f} kB gzipped"
    )
    print(
        f"ploteries in headless Chromium: serving after {ours['serving']:.2f} s; first data served after "
        f"{ours['served']:.2f} s; every card drawn after {ours['first']:.2f} s "
        f"(of which plotly.js takes {plotly_eval:.1f} s to evaluate on this machine)"
    )
    print(
        f"           data sent {ours['bytes']['data'] / 1e3:.0f} kB (compressed; static bundle {ours['bytes']['static'] / 1e6:.1f} MB, cached)"
    )
    print(
        f"           points per trace {ours['points'][0]} (min/max of all {args.points:,}); server RSS {ours['rss_mb']} MB"
    )
    if tb["first"] is None:
        print(f"TensorBoard: no data within {args.timeout:.0f} s")
        return
    print(
        f"TensorBoard: first data after {tb['first']:.2f} s ({tb['points']} points per tag, {tb['bytes'] / 1e3:.0f} kB)"
    )
    if tb["complete"] is not None:
        print(
            f"             every tag up to its last step after {tb['complete']:.1f} s ({tb['complete_points']} sampled points per tag)"
        )
    else:
        print(f"             not complete within {args.timeout:.0f} s")
    print(f"             server RSS {tb['rss_mb']} MB")
    print(
        f"ratio (server to server): first data {tb['first'] / server['first']:.1f}x sooner with ploteries",
        end="",
    )
    if tb["complete"] is not None:
        print(f"; a view of every step {tb['complete'] / server['first']:.1f}x sooner")
    else:
        print()
    print(f"ratio (ploteries in a browser vs TensorBoard's API): {tb['first'] / ours['served']:.1f}x sooner")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
