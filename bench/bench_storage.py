"""Storage benchmarks, each printed as a ratio against its peer measured in the same run.

1. sustained scalar rows/s into the database vs raw h5py appends in 1000-row batches (goal: within 2x)
2. reading one 1M-point series vs TensorBoard's EventAccumulator (goal: >= 500x faster) and raw h5py (within 2x)
3. bytes on disk per scalar vs a TensorBoard event file (goal: <= 0.6x)
4. caller-thread cost of one append_scalar call (goal: < 5 us); with ``--previous REV`` also the same call of
   git revision REV (loaded beside the current code, see bench/previous.py), batch by batch in the same run

Run: python bench/bench_storage.py [--points 1000000] [--previous main]
"""

from __future__ import annotations

import argparse
import importlib
import sys
import tempfile
import time
from pathlib import Path

import h5py
import numpy as np

import ploteries
from ploteries.storage import DatabaseWriter

sys.path.insert(0, str(Path(__file__).parent))
from previous import load_previous  # noqa: E402
from timing import per_call  # noqa: E402

ROW = np.dtype([("step", "<i8"), ("wall_time", "<f8"), ("value", "<f8")])


def raw_h5py_append(path: Path, n: int, batch: int = 1000) -> float:
    t0 = time.perf_counter()
    with h5py.File(path, "w") as f:
        ds = f.create_dataset("rows", (0,), maxshape=(None,), dtype=ROW, chunks=(1024,))
        rows = np.zeros(batch, ROW)
        for start in range(0, n, batch):
            rows["step"] = np.arange(start, start + batch)
            rows["value"] = rows["step"] * 0.5
            ds.resize((start + batch,))
            ds[start : start + batch] = rows
            f.flush()
    return time.perf_counter() - t0


def raw_h5py_per_row(path: Path, n: int) -> float:
    """The naive per-call peer: one resize + write per row (what a logger without batching does)."""
    t0 = time.perf_counter()
    with h5py.File(path, "w") as f:
        ds = f.create_dataset("rows", (0,), maxshape=(None,), dtype=ROW, chunks=(1024,))
        row = np.zeros(1, ROW)
        for step in range(n):
            row["step"] = step
            ds.resize((step + 1,))
            ds[step : step + 1] = row
    return time.perf_counter() - t0


def ours_append_scalar(path: Path, n: int) -> tuple[float, float]:
    """(total seconds including close, caller seconds per call)."""
    t0 = time.perf_counter()
    w = DatabaseWriter(path)
    append = w.append_scalar
    t1 = time.perf_counter()
    for step in range(n):
        append("run", "loss", step * 0.5, step)
    t2 = time.perf_counter()
    w.close()
    return time.perf_counter() - t0, (t2 - t1) / n


def ours_append_many(path: Path, n: int, batch: int = 1000) -> float:
    t0 = time.perf_counter()
    with DatabaseWriter(path) as w:
        for start in range(0, n, batch):
            steps = np.arange(start, start + batch)
            w.append_many("run", "loss", steps * 0.5, steps, kind="scalar")
    return time.perf_counter() - t0


def write_tensorboard(logdir: Path, n: int) -> Path:
    from tensorboard.compat.proto import event_pb2, summary_pb2
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    writer = EventFileWriter(str(logdir), max_queue_size=10000, flush_secs=600)
    now = time.time()
    for step in range(n):
        value = summary_pb2.Summary.Value(tag="loss", simple_value=step * 0.5)
        writer.add_event(
            event_pb2.Event(wall_time=now, step=step, summary=summary_pb2.Summary(value=[value]))
        )
    writer.close()
    return next(logdir.glob("events.out.tfevents.*"))


def read_tensorboard(logdir: Path) -> tuple[float, int]:
    from tensorboard.backend.event_processing import event_accumulator as ea

    t0 = time.perf_counter()
    acc = ea.EventAccumulator(str(logdir), size_guidance={ea.SCALARS: 0}).Reload()
    values = acc.Scalars("loss")
    return time.perf_counter() - t0, len(values)


def best_of(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--skip-tensorboard", action="store_true")
    parser.add_argument("--previous", metavar="REV", help="also time append_scalar of git revision REV")
    n = parser.parse_args().points
    tmp = Path(tempfile.mkdtemp(prefix="ploteries-bench-"))
    rev = parser.parse_args().previous
    if rev:
        previous = load_previous(rev)
        importlib.import_module(previous.__name__ + ".storage")
        ours_w, before_w = (
            DatabaseWriter(tmp / "call.h5"),
            previous.storage.DatabaseWriter(tmp / "call_prev.h5"),
        )
        t_ours, t_before = per_call(
            [
                lambda i: ours_w.append_scalar("r", "loss", 0.5, i),
                lambda i: before_w.append_scalar("r", "loss", 0.5, i),
            ],
            500,  # short batches, many of them: on a loaded machine some run undisturbed
            repeats=90,
        )
        ours_w.close()
        before_w.close()
        print(
            f"[call]  append_scalar, fastest of 90 batches of 500 taking turns: ours {t_ours * 1e6:.2f} us, "
            f"{rev} {t_before * 1e6:.2f} us: {t_before / t_ours:.2f}x faster"
        )

    raw_s = raw_h5py_append(tmp / "raw.h5", n)
    ours_s, caller_s = ours_append_scalar(tmp / "ours.h5", n)
    many_s = ours_append_many(tmp / "many.h5", n)
    print(f"[write] {n:,} scalars: raw h5py 1000-row batches {n / raw_s:,.0f} rows/s")
    print(
        f"[write] ours append_scalar per call (incl. close) {n / ours_s:,.0f} rows/s  ratio {ours_s / raw_s:.2f}x "
        "raw h5py time (goal <= 2x)"
    )
    print(
        f"[write] ours append_many 1000-row batches {n / many_s:,.0f} rows/s  ratio {many_s / raw_s:.2f}x raw h5py time"
    )
    per_row_n = min(n, 20_000)
    per_row_s = raw_h5py_per_row(tmp / "per_row.h5", per_row_n) / per_row_n
    print(
        f"[write] raw h5py one row per call {1 / per_row_s:,.0f} rows/s: ours per call is "
        f"{per_row_s / (ours_s / n):.0f}x faster"
    )
    print(f"[call]  append_scalar caller-thread cost {caller_s * 1e6:.2f} us per call (goal < 5 us)")

    db = ploteries.open(tmp / "ours.h5")
    assert len(db.read("run", "loss")) == n

    def raw_read():
        with h5py.File(tmp / "raw.h5", "r") as f:
            return f["rows"][:]

    raw_read_s = best_of(raw_read)
    ours_read_s = best_of(lambda: db.read("run", "loss"))
    print(
        f"[read]  1 series of {n:,} points: ours {ours_read_s * 1e3:.1f} ms, raw h5py {raw_read_s * 1e3:.1f} ms, "
        f"ratio {ours_read_s / raw_read_s:.2f}x (goal <= 2x)"
    )
    ours_bytes = (tmp / "ours.h5").stat().st_size / n
    print(f"[disk]  ours {ours_bytes:.1f} bytes per scalar (step int64, wall_time float64, value float64)")

    if not parser.parse_args().skip_tensorboard:
        logdir = tmp / "tb"
        logdir.mkdir()
        event_file = write_tensorboard(logdir, n)
        tb_s, count = read_tensorboard(logdir)
        assert count == n
        tb_bytes = event_file.stat().st_size / n
        print(
            f"[read]  EventAccumulator {tb_s:.2f} s vs ours {ours_read_s * 1e3:.1f} ms: ours {tb_s / ours_read_s:,.0f}x "
            "faster (goal >= 500x)"
        )
        print(
            f"[disk]  TensorBoard {tb_bytes:.1f} bytes per scalar (float32 value): ratio {ours_bytes / tb_bytes:.2f}x "
            "(goal <= 0.6x)"
        )


if __name__ == "__main__":
    main()
