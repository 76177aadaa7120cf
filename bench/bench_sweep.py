"""The viewer at sweep scale (issue 14): first-page bytes and time for many runs, and the cost of a live tick.

Measured against a previous revision of ploteries (``--previous``, loaded beside the current one by
``bench/previous.py``) in the same run, and against TensorBoard's server where it applies:

- **first page**: one database of RUNS runs x TAGS tags x STEPS steps; the viewer is launched as a process and its
  page layout (which comes with the first tab's cards drawn, data included) is requested with
  ``Accept-Encoding: gzip`` from launch until it answers: seconds after launch, and bytes on the wire. TensorBoard
  (``tensorboard --logdir``, the same scalars as event files, one folder per run) is polled as its scalar
  dashboard asks: ``scalars_multirun`` for every tag with every run, until every run of every tag has its last
  step; the bytes are those responses gzipped.
- **one card** (issue 14's density picture): the server time and gzipped bytes of the scalar card of one tag of
  RUNS runs x 2,000 steps (``ScalarCard.figure_and_state`` in this process, cold: no cached overview, fastest of
  ``--repeats``), for 300, 1,000 and 5,000 runs; 300 runs also as a density picture (``options.density``).
- **unchanged tick**: the viewer's live-tick callback (``POST /_dash-update-component``, through the Flask test
  client, so the time is the server's: request parsing, the callback, the reply) over a database of 500 runs x 20
  tags x 2,000 steps where nothing changed, with the card states the first page gave. Median of ``--ticks``.

Run: python bench/bench_sweep.py [--previous ea6a26c] [--data DIR] [--no-tensorboard] [--only page|card|tick]
"""

from __future__ import annotations

import this_tree  # noqa: F401  (first: the ploteries of this tree, see this_tree.py)

# isort: split

import argparse
import dataclasses
import gzip
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_viewer import _masked_crc, free_port, poll_layout  # noqa: E402
from previous import load_previous  # noqa: E402

from ploteries.storage import DatabaseWriter  # noqa: E402

STEPS = 2000


def sweep_values(run: int, tag: int, steps: int) -> np.ndarray:
    """A loss-like curve: decay at the run's learning rate, noise, an offset per tag."""
    rng = np.random.default_rng(run * 1000 + tag)
    lr = 10 ** (-4 + 3 * ((run * 7919) % 997) / 997)
    s = np.arange(steps)
    return np.exp(-s * lr / 3) + 0.05 * rng.standard_normal(steps) + 0.01 * tag


def write_sweep(root: Path, runs: int, tags: int, steps: int) -> Path:
    """One ploteries database holding the sweep (kept if already there)."""
    path = root / "sweep.h5"
    if path.exists():
        return path
    root.mkdir(parents=True, exist_ok=True)
    s = np.arange(steps)
    with DatabaseWriter(path) as w:
        for r in range(runs):
            for t in range(tags):
                w.append_many(
                    f"run{r:04d}",
                    f"train/tag{t:02d}",
                    sweep_values(r, t, steps),
                    s,
                    1.7e9 + s * 0.5,
                    kind="scalar",
                )
    return path


def write_sweep_events(root: Path, runs: int, tags: int, steps: int) -> None:
    """The same sweep as TensorBoard event files (simple_value scalars, as torch writes them), a folder per run."""
    import struct

    from tensorboard.compat.proto import event_pb2

    if root.exists():
        return
    for r in range(runs):
        (root / f"run{r:04d}").mkdir(parents=True)
        values = [sweep_values(r, t, steps) for t in range(tags)]
        with open(root / f"run{r:04d}" / "events.out.tfevents.1.bench", "wb") as f:
            for step in range(steps):
                event = event_pb2.Event(step=step, wall_time=1.7e9 + step * 0.5)
                for t in range(tags):
                    event.summary.value.add(tag=f"train/tag{t:02d}", simple_value=float(values[t][step]))
                data = event.SerializeToString()
                head = struct.pack("<Q", len(data))
                f.write(
                    head + struct.pack("<I", _masked_crc(head)) + data + struct.pack("<I", _masked_crc(data))
                )


def serve_command(rev: str | None, root: Path, port: int) -> list[str]:
    if rev is None:
        return [sys.executable, "-m", "ploteries.viz", str(root), "--port", str(port)]
    code = (
        f"import sys; sys.path.insert(0, {str(Path(__file__).resolve().parent)!r}); "
        f"from previous import load_previous; load_previous({rev!r}); "
        "from ploteries_previous.commands.serve import main; "
        f"sys.exit(main([{str(root)!r}, '--port', '{port}']))"
    )
    return [sys.executable, "-c", code]


def first_page(rev: str | None, root: Path) -> dict:
    """Seconds from launch to the page layout (first tab's cards drawn), and its gzipped bytes."""
    port = free_port()
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        serve_command(rev, root, port), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        body, gzipped = poll_layout(port, proc, f"the viewer ({rev or 'current'})", timeout=300)
        seconds = time.perf_counter() - t0
        text = gzip.decompress(body) if gzipped else body
        graphs = text.count(b'"type":"Graph"') + text.count(b'"type": "Graph"')
        return {"seconds": seconds, "bytes": len(body), "raw": len(text), "gzip": gzipped, "graphs": graphs}
    finally:
        proc.terminate()
        proc.wait(10)


def tensorboard_first_page(root: Path, runs: int, tags: int, steps: int, timeout: float) -> dict | None:
    """TensorBoard's scalar dashboard data: every tag's multirun answer complete (every run to its last step)."""
    port = free_port()
    exe = Path(sys.executable).with_name("tensorboard")
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [str(exe), "--logdir", str(root), "--port", str(port), "--host", "127.0.0.1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    names = [f"run{r:04d}" for r in range(runs)]
    try:
        while time.perf_counter() - t0 < timeout:
            try:
                bodies = []
                for t in range(tags):
                    form = urllib.parse.urlencode(
                        [("tag", f"train/tag{t:02d}"), *(("runs", n) for n in names)]
                    )
                    request = urllib.request.Request(
                        f"http://127.0.0.1:{port}/data/plugin/scalars/scalars_multirun",
                        data=form.encode(),
                        headers={"Accept-Encoding": "gzip"},
                    )
                    with urllib.request.urlopen(request, timeout=60) as response:
                        body = response.read()
                        text = (
                            gzip.decompress(body)
                            if response.headers.get("Content-Encoding") == "gzip"
                            else body
                        )
                        bodies.append((len(body), len(text), json.loads(text)))
            except OSError:
                time.sleep(0.2)
                continue
            done = all(
                len(d) == runs and all(v and v[-1][1] == steps - 1 for v in d.values()) for *_, d in bodies
            )
            if done:
                seconds = time.perf_counter() - t0
                return {
                    "seconds": seconds,
                    "bytes": sum(b[0] for b in bodies),
                    "raw": sum(b[1] for b in bodies),
                    "points": len(next(iter(bodies[0][2].values()))),
                }
            time.sleep(0.5)
        return None
    finally:
        proc.terminate()
        proc.wait(10)


def tick_seconds(package, root: Path, ticks: int) -> dict:
    """Median server time of a live tick over ``root`` where nothing changed (states from the first page)."""
    import importlib

    from tests.viz.dash_requests import callback_body, callback_key

    app_module = importlib.import_module(f"{package.__name__}.viz.app")
    library = importlib.import_module(f"{package.__name__}.viz.library")
    app = app_module.create_app(library.Library([root]))
    viewer = app.viewer
    first = viewer.first_page()
    states = {}

    def walk(node):
        cid = getattr(node, "id", None)
        if isinstance(cid, dict) and cid.get("type") == "card-state":
            states[cid["card"]] = node.data
        children = getattr(node, "children", None)
        for child in children if isinstance(children, list) else [children]:
            if child is not None and not isinstance(child, str):
                walk(child)

    for card in first.cards[0]:
        walk(card)
    cards = list(states)
    explorer = first.explorer
    key = callback_key(app, "tick-reply", "data")
    values = {
        ("tick-request", "data"): {"id": 1, "t": 0},
        ("version", "data"): first.version,
        ("tabs", "value"): explorer[4],
        ("runs", "value"): explorer[2],
        ("step-slider", "value"): first.steps[1],
        ("step-slider", "max"): first.steps[1],
        ("settings", "data"): None,
        ("pause", "value"): [],
    }
    body = callback_body(app, key, values, cards=cards, changed=[("tick-request", "data")])
    for entry in body["state"]:
        if isinstance(entry, list):
            for item in entry:
                item["value"] = states[item["id"]["card"]]
    payload = json.dumps(body).encode()
    client = app.server.test_client()
    times = []
    for _ in range(ticks):
        t = time.perf_counter()
        response = client.post("/_dash-update-component", data=payload, content_type="application/json")
        times.append(time.perf_counter() - t)
        reply = response.get_json()
        assert response.status_code == 200, response.status_code
        sent = reply["response"]["tick-reply"]["data"]["cards"]
    return {
        "median": statistics.median(times),
        "min": min(times),
        "cards": len(cards),
        "sent": len(sent),
        "request_bytes": len(payload),
    }


def card_cost(package, root: Path, repeats: int, density: bool | None = None) -> dict:
    """Server time (fastest of ``repeats``, cold) and gzipped bytes of the card of ``train/tag00`` over ``root``."""
    import importlib

    app_module = importlib.import_module(f"{package.__name__}.viz.app")
    library = importlib.import_module(f"{package.__name__}.viz.library")
    scalar = importlib.import_module(f"{package.__name__}.viz.cards.scalar")
    traces = importlib.import_module(f"{package.__name__}.viz.scalar_traces")
    settings = importlib.import_module(f"{package.__name__}.viz.settings")
    lib = library.Library([root])
    viewer = app_module.Viewer(lib)
    snapshot = lib.refresh()
    (model,) = [m for m in viewer.models(snapshot, None, None, None, None) if m.title == "train/tag00"]
    ctx = viewer.context(model, snapshot, settings.ViewSettings(), viewer.colors(snapshot))
    if density is not None:
        ctx = dataclasses.replace(ctx, definition={**ctx.definition, "options": {"density": density}})
    card = scalar.ScalarCard()
    times = []
    for _ in range(repeats):
        card.overviews = traces.OverviewCache()  # cold: read, smooth and reduce every line
        t = time.perf_counter()
        figure, state = card.figure_and_state(ctx)
        times.append(time.perf_counter() - t)
    text = json.dumps({"figure": figure, "state": state}, separators=(",", ":")).encode()
    return {"seconds": min(times), "bytes": len(gzip.compress(text, 6)), "raw": len(text)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--previous", default="ea6a26c", help="the revision to compare with (git rev)")
    ap.add_argument(
        "--data", type=Path, default=None, help="where the sweeps are written (kept between runs)"
    )
    ap.add_argument("--no-tensorboard", action="store_true")
    ap.add_argument("--ticks", type=int, default=7)
    ap.add_argument("--only", choices=("page", "card", "tick"), default=None, help="measure one thing only")
    ap.add_argument("--repeats", type=int, default=3, help="drawings of one card (fastest kept)")
    ap.add_argument("--timeout", type=float, default=600, help="seconds to wait for TensorBoard")
    args = ap.parse_args()
    data = args.data or Path(tempfile.mkdtemp(prefix="ploteries-sweep-"))
    previous = load_previous(args.previous)
    import ploteries

    print(f"current tree vs {args.previous} (same run); data in {data}")
    for runs, tags in ((10, 4), (300, 4)) if args.only in (None, "page") else ():
        root = data / f"sweep-{runs}x{tags}"
        write_sweep(root, runs, tags, STEPS)
        prev = first_page(args.previous, root)
        ours = first_page(None, root)
        if not prev["graphs"]:
            print(
                f"first page, {runs} runs x {tags} tags x {STEPS:,} steps: {ours['bytes'] / 1e6:.2f} MB gzip "
                f"({ours['raw'] / 1e6:.1f} MB raw) in {ours['seconds']:.2f} s; {args.previous} draws no card of this "
                "database (written by a newer format: pass --data with files it reads)"
            )
            continue
        print(
            f"first page, {runs} runs x {tags} tags x {STEPS:,} steps: {ours['bytes'] / 1e6:.2f} MB gzip "
            f"({ours['raw'] / 1e6:.1f} MB raw) in {ours['seconds']:.2f} s; before: {prev['bytes'] / 1e6:.2f} MB "
            f"({prev['raw'] / 1e6:.1f} MB raw) in {prev['seconds']:.2f} s; ratio {prev['bytes'] / ours['bytes']:.1f}x "
            f"fewer bytes, {prev['seconds'] / ours['seconds']:.1f}x sooner"
        )
        if not args.no_tensorboard:
            events = data / f"events-{runs}x{tags}"
            write_sweep_events(events, runs, tags, STEPS)
            tb = tensorboard_first_page(events, runs, tags, STEPS, args.timeout)
            if tb is None:
                print(f"  TensorBoard: not complete within {args.timeout:.0f} s")
            else:
                print(
                    f"  TensorBoard: every run of every tag after {tb['seconds']:.2f} s, {tb['bytes'] / 1e6:.2f} MB "
                    f"gzip ({tb['raw'] / 1e6:.1f} MB raw, {tb['points']} sampled points a line); ratio "
                    f"{tb['bytes'] / ours['bytes']:.1f}x the bytes, {tb['seconds'] / ours['seconds']:.1f}x the time"
                )
    for runs in (300, 1000, 5000) if args.only in (None, "card") else ():
        root = data / f"sweep-{runs}x1"
        write_sweep(root, runs, 1, STEPS)
        prev = card_cost(previous, root, args.repeats)
        ours = card_cost(ploteries, root, args.repeats)
        print(
            f"one card, {runs:,} runs x {STEPS:,} steps: {ours['bytes'] / 1e3:.0f} kB gzip ({ours['raw'] / 1e3:.0f} kB "
            f"raw) in {ours['seconds'] * 1e3:.0f} ms; before: {prev['bytes'] / 1e3:.0f} kB ({prev['raw'] / 1e3:.0f} kB "
            f"raw) in {prev['seconds'] * 1e3:.0f} ms; ratio {prev['bytes'] / ours['bytes']:.1f}x fewer bytes, "
            f"{prev['seconds'] / ours['seconds']:.2f}x the speed"
        )
        if runs == 300:
            forced = card_cost(ploteries, root, args.repeats, density=True)
            print(
                f"  as a density picture (options.density): {forced['bytes'] / 1e3:.0f} kB gzip in "
                f"{forced['seconds'] * 1e3:.0f} ms; vectors/density {ours['bytes'] / forced['bytes']:.1f}x the bytes"
            )
    if args.only in ("page", "card"):
        return
    root = data / "sweep-500x20"
    write_sweep(root, 500, 20, STEPS)
    prev = tick_seconds(previous, root, args.ticks)
    ours = tick_seconds(ploteries, root, args.ticks)
    print(
        f"unchanged tick, 500 runs x 20 tags x {STEPS:,} steps ({ours['cards']} cards on the page, "
        f"{ours['request_bytes'] / 1e6:.2f} MB request; before {prev['request_bytes'] / 1e6:.2f} MB): "
        f"{ours['median'] * 1e3:.0f} ms (min {ours['min'] * 1e3:.0f}); before {prev['median'] * 1e3:.0f} ms "
        f"(min {prev['min'] * 1e3:.0f}); ratio {prev['median'] / ours['median']:.0f}x; cards sent {ours['sent']} "
        f"(before {prev['sent']})"
    )


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
