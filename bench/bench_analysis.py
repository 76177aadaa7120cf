"""Analysis benchmark: ``ploteries.scalars(root)`` vs tbparse's ``SummaryReader(root).scalars``.

The same scalars (RUNS runs x TAGS tags x STEPS steps, one run per folder as ``SummaryWriter(f"runs/{name}")``
lays them out) as TensorBoard event files and as ploteries databases. Each reader builds the same long table
(run, tag, step, wall_time, value); the two take turns, the fastest of a few rounds is kept, and the ratio is
taken within the run (goal: ploteries at least 10x faster). The tables are checked equal first.

Run: python bench/bench_analysis.py [--runs 8] [--tags 4] [--steps 5000] [--rounds 3]
"""

from __future__ import annotations

import this_tree  # noqa: F401  (first: the ploteries of this tree, see this_tree.py)

# isort: split

import argparse
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import tbparse
from tensorboard.compat.proto import event_pb2, summary_pb2

import ploteries
from ploteries.compat.tfrecord import record_bytes
from ploteries.storage import DatabaseWriter

WALL = 1_700_000_000.0


def write_both(root: Path, runs: int, tags: int, steps: int) -> None:
    """Event files under root/tb/<run>/ and databases under root/ploteries/<run>/ploteries.h5, same values."""
    rng = np.random.default_rng(0)
    for r in range(runs):
        name = f"run{r}"
        values = rng.normal(size=(tags, steps)).astype(np.float32)  # what TensorBoard keeps
        version = event_pb2.Event(wall_time=WALL, file_version="brain.Event:2")
        chunks = [record_bytes(version.SerializeToString())]
        for step in range(steps):
            summary = summary_pb2.Summary(
                value=[
                    summary_pb2.Summary.Value(tag=f"tag{t}", simple_value=values[t, step])
                    for t in range(tags)
                ]
            )
            event = event_pb2.Event(step=step, wall_time=WALL + step, summary=summary)
            chunks.append(record_bytes(event.SerializeToString()))
        folder = root / "tb" / name
        folder.mkdir(parents=True)
        (folder / "events.out.tfevents.1700000000.bench").write_bytes(b"".join(chunks))
        (root / "ploteries" / name).mkdir(parents=True)
        with DatabaseWriter(root / "ploteries" / name / "ploteries.h5") as w:
            for t in range(tags):
                w.append_many(
                    name, f"tag{t}", values[t].astype(np.float64), np.arange(steps), WALL + np.arange(steps),
                    kind="scalar",
                )  # fmt: skip


def ours(root: Path) -> pd.DataFrame:
    return ploteries.scalars(root / "ploteries")


def theirs(root: Path) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tbparse's own pandas deprecation warnings
        return tbparse.SummaryReader(str(root / "tb"), extra_columns={"dir_name", "wall_time"}).scalars


def check_equal(a: pd.DataFrame, b: pd.DataFrame) -> None:
    a = a.rename(columns={"run": "dir_name"}).astype({"dir_name": str, "tag": str})
    b = b.astype({"dir_name": str, "tag": str})
    key = ["dir_name", "tag", "step"]
    a, b = (f.sort_values(key).reset_index(drop=True) for f in (a, b))
    assert len(a) == len(b), (len(a), len(b))
    assert (a[key] == b[key]).all().all()
    np.testing.assert_array_equal(a["value"].to_numpy(np.float32), b["value"].to_numpy(np.float32))
    np.testing.assert_array_equal(a["wall_time"].to_numpy(), b["wall_time"].to_numpy())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--tags", type=int, default=4)
    parser.add_argument("--steps", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ploteries-bench-analysis-") as tmp:
        root = Path(tmp)
        write_both(root, args.runs, args.tags, args.steps)
        check_equal(ours(root), theirs(root))
        best = {"ploteries": float("inf"), "tbparse": float("inf")}
        for _ in range(args.rounds):
            for name, fn in (("ploteries", ours), ("tbparse", theirs)):
                t0 = time.perf_counter()
                fn(root)
                best[name] = min(best[name], time.perf_counter() - t0)
    points = args.runs * args.tags * args.steps
    print(
        f"all scalars as one DataFrame: {args.runs} runs x {args.tags} tags x {args.steps} steps = {points:,} rows"
    )
    print(f"  ploteries.scalars(root)             {best['ploteries'] * 1e3:9.1f} ms")
    print(f"  tbparse SummaryReader(root).scalars {best['tbparse'] * 1e3:9.1f} ms")
    ratio = best["tbparse"] / best["ploteries"]
    print(f"  ratio: ploteries {ratio:.1f}x faster (goal >= 10x: {'met' if ratio >= 10 else 'NOT met'})")


if __name__ == "__main__":
    main()
