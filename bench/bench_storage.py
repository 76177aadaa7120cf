"""Storage benchmarks, each printed as a ratio against its peer measured in the same run.

1. sustained scalar rows/s into the database vs raw h5py appends in 1000-row batches (goal: within 2x)
2. reading one 1M-point series vs TensorBoard's EventAccumulator (goal: >= 500x faster) and raw h5py (within 2x)
3. bytes on disk per scalar vs a TensorBoard event file (goal: <= 0.6x)
4. caller-thread cost of one append_scalar call (goal: < 5 us); with ``--previous REV`` also the same call of
   git revision REV (loaded beside the current code, see bench/previous.py), batch by batch in the same run
   (``--clock cpu``: the calling thread's CPU time instead of wall time, see bench/timing.py)

With ``--scale`` (storage v2, issue 12), against the previous revision (``--previous REV``) in the same run:
5. a one-row commit into a 20,000-series database vs a 10-series one (goal: within 3x)
6. a reader's first look at the changed series after that commit, 20,000 vs 10 series (goal: within 3x)
7. bytes per scalar of 20,000 short series x 100 rows vs TensorBoard (goal: <= 44, TensorBoard's)
8. 100,000 series end to end: writer, reader, ``ploteries ls``, the viewer's explorer (figures)

Run: python bench/bench_storage.py [--points 1000000] [--previous main] [--clock cpu]
     python bench/bench_storage.py --scale [--previous REV]  (REV defaults to aa96182, the last format 1)
"""

from __future__ import annotations

import this_tree  # noqa: F401  (first: the ploteries of this tree, see this_tree.py)

# isort: split

import argparse
import importlib
import os
import statistics
import subprocess
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
from timing import CLOCKS, per_call  # noqa: E402

FORMAT_1_REV = "aa96182"  # the last revision writing format 1

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


def build_series(mod, path: Path, n_series: int, rows: int = 1, tags: int = 20, flushes: int = 1) -> float:
    """Write ``n_series`` scalar series (``tags`` per run) of ``rows`` rows each with ``mod``; seconds taken."""
    t0 = time.perf_counter()
    with mod.storage.DatabaseWriter(path, flush_secs=3600) as w:
        for step in range(rows):
            for i in range(n_series):
                w.append_scalar(f"run{i // tags}", f"tag{i % tags}", step * 0.5, step=step, wall_time=1.0)
            if flushes > 1 and (step + 1) % max(1, rows // flushes) == 0:
                w.flush()
    return time.perf_counter() - t0


def one_row_commit(mod, path: Path, repeat: int) -> tuple[float, float]:
    """Median seconds of (append_scalar + flush into an existing series, the next reader's read of it)."""
    db = mod.open(path)
    db.read("run0", "tag0")
    commits, looks = [], []
    with mod.storage.DatabaseWriter(path, flush_secs=3600) as w:
        w.append_scalar("run0", "tag0", 1.0, step=1)
        w.flush()  # a writer's first commit reads the catalog once
        for k in range(repeat):
            t0 = time.perf_counter()
            w.append_scalar("run0", "tag0", float(k), step=k + 2)
            w.flush()
            t1 = time.perf_counter()
            rows = db.read("run0", "tag0")
            looks.append(time.perf_counter() - t1)
            commits.append(t1 - t0)
            assert rows["value"][-1] == float(k)
    return statistics.median(commits), statistics.median(looks)


def write_tensorboard_runs(logdir: Path, runs: int, tags: int, steps: int) -> int:
    """TensorBoard event files of ``runs`` runs x ``tags`` scalar tags x ``steps`` steps, one event per scalar as
    ``SummaryWriter.add_scalar`` writes them; their total bytes. Written with TensorBoard's own record writer,
    synchronously (``EventFileWriter.close`` waits seconds per file for its thread)."""
    from tensorboard.compat.proto import event_pb2, summary_pb2
    from tensorboard.summary.writer.record_writer import RecordWriter

    total = 0
    for r in range(runs):
        path = logdir / f"run{r}" / "events.out.tfevents.0.bench"
        path.parent.mkdir(parents=True)
        with path.open("wb") as f:
            writer = RecordWriter(f)
            writer.write(event_pb2.Event(wall_time=1.0, file_version="brain.Event:2").SerializeToString())
            for step in range(steps):
                for t in range(tags):
                    value = summary_pb2.Summary.Value(tag=f"tag{t}", simple_value=step * 0.5)
                    event = event_pb2.Event(
                        wall_time=1.0, step=step, summary=summary_pb2.Summary(value=[value])
                    )
                    writer.write(event.SerializeToString())
        total += path.stat().st_size
    return total


def scale_commit(tmp: Path, previous, previous_rev: str, big: int) -> None:
    """Goal 5 and 6: a one-row commit and a reader's first look, ``big`` series vs 10, ours and ``previous``."""
    versions = [("ours", ploteries), (f"previous ({previous_rev})", previous)]
    looks = {}
    for label, mod in versions:
        results = {}
        for n in (10, big):
            path = tmp / f"{label.split()[0]}-{n}.h5"
            build_series(mod, path, n)
            results[n] = one_row_commit(mod, path, repeat=20 if label == "ours" else 5)
        (c_small, l_small), (c_big, l_big) = results[10], results[big]
        looks[label] = results
        print(
            f"[scale] {label}: one-row commit {c_small * 1e3:.1f} ms (10 series) vs {c_big * 1e3:.1f} ms "
            f"({big:,} series): ratio {c_big / c_small:.2f}x (goal <= 3x)"
        )
        print(
            f"[scale] {label}: reader's first look after it {l_small * 1e3:.1f} ms vs {l_big * 1e3:.1f} ms: "
            f"ratio {l_big / l_small:.2f}x (goal <= 3x)"
        )
    ours_c, prev_c = looks["ours"][big][0], looks[versions[1][0]][big][0]
    print(
        f"[scale] one-row commit at {big:,} series: ours {prev_c / ours_c:.0f}x faster than the previous format"
    )


def bytes_per_scalar(tmp: Path, name: str, runs: int, tags: int, rows: int, previous, skip_tb: bool) -> None:
    """Goal 7: bytes per scalar of ``runs x tags`` series of ``rows`` scalars each, written as ``add_scalar``
    writes them (every series one row per step, a flush every tenth of the steps), vs TensorBoard's event files
    of the same scalars (and the previous format, at most 2,000 series of it: 32 kB each)."""
    n = runs * tags
    sizes = {}
    for label, mod in [("ours", ploteries)] + ([("previous", previous)] if previous is not None else []):
        series = n if label == "ours" else min(n, 2000)
        path = tmp / f"{name}-{label}.h5"
        build_series(mod, path, series, rows=rows, tags=tags, flushes=10)
        sizes[label] = path.stat().st_size / (series * rows)
        print(f"[disk]  {label}: {series:,} series x {rows:,} scalars: {sizes[label]:.1f} bytes per scalar")
    if not skip_tb:
        tb = write_tensorboard_runs(tmp / f"tb-{name}", runs, tags, rows) / (n * rows)
        print(
            f"[disk]  TensorBoard {runs:,} runs x {tags} tags x {rows:,} steps (one event per add_scalar): "
            f"{tb:.1f} bytes per scalar; ours {sizes['ours'] / tb:.2f}x TensorBoard"
        )


STAGES = {
    # name: code run in a fresh interpreter on database PATH (root ROOT); it sets ``out`` (what it found)
    "writer": "from bench_storage import build_series; build_series(ploteries, PATH, N, tags=100); out = N",
    "reader": "db = ploteries.open(PATH); out = len(db.series()); assert len(db.read('run7', 'tag3')) == 1",
    "viewer explorer": (
        "from ploteries.viz.app import Viewer; from ploteries.viz.library import Library\n"
        "from ploteries.viz.settings import ViewSettings\n"
        "lib = Library([ROOT]); viewer = Viewer(lib); snap = lib.refresh(); viewer.explorer_view(snap, None)\n"
        "out = len(viewer.run_list(snap, None, 'name', False, None, 0, ViewSettings()).options)"
    ),
    "viewer GET /": (
        "from ploteries.viz.app import create_app; from ploteries.viz.library import Library\n"
        "r = create_app(Library([ROOT])).server.test_client().get('/'); assert r.status_code == 200, r.status\n"
        "out = len(r.data)"
    ),
}


def measured(argv: list[str]) -> tuple[float, float, str]:
    """Run ``argv``: (wall seconds, peak resident MB of the process, its stdout)."""
    with tempfile.TemporaryFile("w+") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=err, text=True)
        out = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        assert proc.returncode == 0, err.read()
    return seconds, usage.ru_maxrss / 1024, out


def stage_argv(stage: str, path: Path, n: int) -> list[str]:
    """A fresh interpreter running ``STAGES[stage]``; it prints the seconds of the stage's own work."""
    code = (
        f"import sys, time; sys.path.insert(0, {str(Path(__file__).parent)!r}); import ploteries\n"
        f"from pathlib import Path; PATH, ROOT, N = Path({str(path)!r}), Path({str(path.parent)!r}), {n}\n"
        "t0 = time.perf_counter()\n" + STAGES[stage] + "\nprint(time.perf_counter() - t0, out)"
    )
    return [sys.executable, "-c", code]


def scale_huge(tmp: Path, huge: int) -> None:
    """Goal 8: ``huge`` series (100 tags per run, one row each) end to end, each stage in a fresh process."""
    root = tmp / "huge"
    root.mkdir()
    path = root / "huge.h5"
    rows = []
    for stage in STAGES:
        seconds, mb, out = measured(stage_argv(stage, path, huge))
        work, found = out.split()
        rows.append((stage, seconds, float(work), mb, found))
    seconds, mb, out = measured([sys.executable, "-m", "ploteries.cli", "ls", str(root)])
    rows.insert(2, ("`ploteries ls`", seconds, seconds, mb, f"{len(out.splitlines())} lines"))
    print(
        f"[scale] {huge:,} series ({huge // 100:,} runs x 100 tags, one row each; {path.stat().st_size / 1e6:.0f} MB):"
    )
    for stage, seconds, work, mb, found in rows:
        print(
            f"[scale]   {stage:16s} {seconds:7.1f} s with interpreter start ({work:6.2f} s of work), "
            f"peak RSS {mb:6.0f} MB ({found})"
        )


def scale_cases(tmp: Path, args: argparse.Namespace) -> None:
    previous_rev = args.previous or FORMAT_1_REV
    cases = set(args.cases.split(","))
    wanted = cases & {"commit", "short"} and previous_rev != "none"
    previous = load_previous(previous_rev) if wanted else None
    if "commit" in cases:
        scale_commit(tmp, previous, previous_rev, args.series)
    if "short" in cases:  # 20,000 series x 100 rows
        bytes_per_scalar(tmp, "short", args.series // 100, 100, 100, previous, args.skip_tensorboard)
    if "long" in cases:  # 10 series x 1M rows
        bytes_per_scalar(tmp, "long", 1, 10, args.long_rows, None, args.skip_tensorboard)
    if "huge" in cases:
        scale_huge(tmp, args.huge)


def previous_call(tmp: Path, rev: str, clock: str) -> None:
    """append_scalar of ours and of git revision ``rev`` taking turns, batch by batch."""
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
        clock=clock,
    )
    ours_w.close()
    before_w.close()
    print(
        f"[call]  append_scalar, fastest of 90 batches of 500 taking turns ({clock} clock): ours "
        f"{t_ours * 1e6:.2f} us, {rev} {t_before * 1e6:.2f} us: {t_before / t_ours:.2f}x faster"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--skip-tensorboard", action="store_true")
    parser.add_argument("--scale", action="store_true", help="the storage v2 cases (many series) only")
    parser.add_argument(
        "--previous",
        metavar="REV",
        help="also time append_scalar of git revision REV; with --scale, the revision to compare against "
        f"(default {FORMAT_1_REV}, format 1; 'none' leaves it out of the short series)",
    )
    parser.add_argument(
        "--clock", choices=sorted(CLOCKS), default="wall", help="per-call clock of append_scalar"
    )
    parser.add_argument("--series", type=int, default=20_000)
    parser.add_argument("--huge", type=int, default=100_000)
    parser.add_argument("--long-rows", type=int, default=1_000_000, help="rows of each of 10 long series")
    parser.add_argument(
        "--cases", default="commit,short,long,huge", help="with --scale, which ones (comma-separated)"
    )
    args = parser.parse_args()
    n = args.points
    tmp = Path(tempfile.mkdtemp(prefix="ploteries-bench-"))
    if args.scale:
        scale_cases(tmp, args)
        return
    if args.previous:
        previous_call(tmp, args.previous, args.clock)

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

    def same_data_read():  # plain h5py reading our file's blocks of the series (checksums included)
        with h5py.File(tmp / "ours.h5", "r", locking=False) as f:
            return np.concatenate([f["data"][k][:] for k in sorted(f["data"], key=int)])

    raw_read_s = best_of(raw_read)
    same_read_s = best_of(same_data_read)
    ours_read_s = best_of(lambda: db.read("run", "loss"))
    print(
        f"[read]  1 series of {n:,} points: ours {ours_read_s * 1e3:.1f} ms, raw h5py {raw_read_s * 1e3:.1f} ms, "
        f"ratio {ours_read_s / raw_read_s:.2f}x (goal <= 2x); plain h5py reading the same blocks of our file "
        f"{same_read_s * 1e3:.1f} ms, ratio {ours_read_s / same_read_s:.2f}x"
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
