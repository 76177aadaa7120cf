"""Soak test of one viewer: concurrent page clients and a live writer for a while (loopback only, bounded loops).

A viewer process serves a database that a writer thread keeps appending to (one scalar per tag every 0.2 s, flushed
at once). Each client opens the page like a browser (``/`` then ``/_dash-layout``) and then fires the live tick
callback every ``--tick`` seconds with the card states it holds, as the page's interval does. Reported: errors (any
answer other than 200/204, or a failed connection; goal 0), the p50/p95 latency of a live tick, and the viewer's
resident memory at the start and the end (goal: bounded).

Run: python bench/soak_viewer.py [--clients 20] [--seconds 60] [--tick 1.0]
"""

from __future__ import annotations

import this_tree  # noqa: F401  (first: the ploteries of this tree, see this_tree.py)

# isort: split

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ploteries.storage import DatabaseWriter  # noqa: E402
from ploteries.viz.app import create_app  # noqa: E402
from ploteries.viz.library import Library  # noqa: E402
from tests.viz.dash_requests import callback_body, callback_key  # noqa: E402

TAGS = ("loss/train", "loss/val", "acc/train", "acc/val")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def writer(db: Path, stop: threading.Event, errors: list) -> None:
    step = 1000
    try:
        with DatabaseWriter(db) as w:
            while not stop.wait(0.2):
                for tag in TAGS:
                    w.append_many(
                        "run", tag, np.array([np.sin(step / 50)]), [step], [time.time()], kind="scalar"
                    )
                w.flush()
                step += 1
    except Exception as exc:  # noqa: BLE001 - reported, not raised, so the soak goes on
        errors.append(f"writer: {exc!r}")


def client(url: str, app, key: str, cards: list[str], args, stop, latencies: list, errors: list) -> None:
    def request(path: str, body: dict | None = None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(url + path, data=data, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as response:
            return response.status, response.read()

    try:
        request("")
        _, layout = request("_dash-layout")
    except Exception as exc:  # noqa: BLE001
        errors.append(f"page: {exc!r}")
        return
    text = layout.decode()
    states = {c: None for c in cards if c in text}
    version, n = None, 0
    while not stop.is_set():
        n += 1
        values = {("tick", "n_intervals"): n, ("version", "data"): version}
        body = callback_body(app, key, values, cards=list(states) or cards, changed=[("tick", "n_intervals")])
        for entry in body["state"]:
            if isinstance(entry, list):
                for item in entry:
                    item["value"] = states.get(item["id"]["card"])
        t0 = time.perf_counter()
        try:
            status, raw = request("_dash-update-component", body)
        except Exception as exc:  # noqa: BLE001
            errors.append(f"tick: {exc!r}")
            continue
        latencies.append(time.perf_counter() - t0)
        if status not in (200, 204):
            errors.append(f"tick: HTTP {status}")
        elif status == 200:
            response = json.loads(raw)["response"]
            version = response.get("version", {}).get("data", version)
            for out_id, props in response.items():  # the card states the page now holds (live: only new rows)
                if out_id.startswith("{") and "card-state" in out_id and "data" in props:
                    states[json.loads(out_id)["card"]] = props["data"]
        stop.wait(args.tick)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--tick", type=float, default=1.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        db = root / "soak.h5"
        with DatabaseWriter(db) as w:
            steps = np.arange(1000)
            for tag in TAGS:
                w.append_many("run", tag, np.cos(steps / 50), steps, 1.7e9 + steps, kind="scalar")
        app = create_app(Library([root]))  # in this process only to build request bodies from its callbacks
        key = callback_key(app, "version", "data")
        cards = [f"auto/scalar/{t}" for t in TAGS]
        server = subprocess.Popen(
            [sys.executable, "-m", "ploteries.viz", str(root), "--port", "0", "--reload-interval", "1"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        try:
            line = server.stdout.readline()
            url = "http://127.0.0.1:" + line.split("http://localhost:")[1].split("/")[0] + "/"
            urllib.request.urlopen(url + "_dash-layout", timeout=120).read()  # warmed up
            rss_start = rss_mb(server.pid)
            stop, latencies, errors = threading.Event(), [], []
            threads = [threading.Thread(target=writer, args=(db, stop, errors))]
            threads += [
                threading.Thread(target=client, args=(url, app, key, cards, args, stop, latencies, errors))
                for _ in range(args.clients)
            ]
            for t in threads:
                t.start()
            stop.wait(args.seconds)
            stop.set()
            for t in threads:
                t.join(120)
            rss_end = rss_mb(server.pid)
            alive = server.poll() is None
        finally:
            server.terminate()
            server.wait(30)
    ticks = sorted(latencies)
    p95 = ticks[int(0.95 * (len(ticks) - 1))] if ticks else float("nan")
    print(
        f"soak: {args.clients} clients + 1 writer for {args.seconds:.0f} s, one viewer (waitress, 8 threads)"
    )
    print(
        f"  live ticks answered: {len(ticks)}; errors: {len(errors)} (goal 0); viewer alive at the end: {alive}"
    )
    if ticks:
        print(f"  tick latency p50 {statistics.median(ticks) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms")
    print(f"  viewer RSS: {rss_start:.0f} MB at start, {rss_end:.0f} MB at the end")
    for e in sorted(set(errors))[:10]:
        print("  error:", e)


if __name__ == "__main__":
    main()
