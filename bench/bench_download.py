"""Card download benchmark: a CSV of a long scalar card, streamed (now) vs built whole (before), same run.

"before" is what the viewer did until the download was streamed: every row as an object in a list, then the whole
CSV text in one string (carried back through a Dash callback's JSON). "streamed" is ``POST /download`` as served
now: rows read 65,536 at a time and encoded 8,192 at a time, the response consumed as a browser would. Each is run
in its own process; the figure is the process's peak RSS above what it held before the request, and the time.

Run: python bench/bench_download.py [--rows 5000000]
"""

from __future__ import annotations

import this_tree  # noqa: F401  (first: the ploteries of this tree, see this_tree.py)

# isort: split

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from ploteries.viz.app import create_app
from ploteries.viz.library import Library
from ploteries.viz.services.export import series_to_csv

mode, root = sys.argv[1], Path(sys.argv[2])
app = create_app(Library([root]))
app.viewer.library.refresh()
rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0 = time.perf_counter()
if mode == "before":
    ctx = app.viewer.card_context("auto/scalar/loss", None, None, None, None, None)
    size = len(series_to_csv(list(ctx.card_type.export(ctx))).encode())
else:
    client = app.server.test_client()
    request = {"request": json.dumps({"card": "auto/scalar/loss", "fmt": "csv", "view": [None] * 5})}
    response = client.post("/download", data=request, buffered=False)
    size = sum(len(chunk) for chunk in response.response)
    response.close()
seconds = time.perf_counter() - t0
print(json.dumps({"seconds": seconds, "bytes": size,
                  "rss_mb": (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss0) / 1024}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    args = parser.parse_args()
    from ploteries.storage import DatabaseWriter

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        steps = np.arange(args.rows, dtype=np.int64)
        with DatabaseWriter(root / "db.h5") as w:
            w.append_many("run", "loss", np.sin(steps / 1e4), steps, 1.7e9 + steps * 0.01, kind="scalar")
        got = {}
        for mode in ("before", "streamed"):
            out = subprocess.run(
                [sys.executable, "-c", CHILD, mode, str(root)], capture_output=True, text=True
            )
            if out.returncode:
                raise SystemExit(out.stderr)
            got[mode] = json.loads(out.stdout.strip().splitlines()[-1])
    before, now = got["before"], got["streamed"]
    print(f"CSV download of a {args.rows:,}-row card ({now['bytes'] / 1e6:.0f} MB of CSV)")
    print(f"  before (list + whole text): {before['seconds']:.1f} s, +{before['rss_mb']:.0f} MB peak RSS")
    print(f"  streamed (POST /download):  {now['seconds']:.1f} s, +{now['rss_mb']:.0f} MB peak RSS")
    print(
        f"  memory ratio before/streamed: {before['rss_mb'] / max(now['rss_mb'], 1):.0f}x; "
        f"time ratio: {before['seconds'] / now['seconds']:.2f}x"
    )


if __name__ == "__main__":
    main()
