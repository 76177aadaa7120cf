"""compat benchmarks: ploteries' SummaryWriter vs torch's, and ``ploteries import`` vs EventAccumulator.

Per-call costs: the fastest of several batches, the writers taking turns batch by batch in the same run
(``--clock cpu``: the calling thread's CPU time instead of wall time, see bench/timing.py):
1. add_scalar with a Python float and with a 0-d tensor (goal: 20x faster than torch), and the storage
   call underneath it alone (``DatabaseWriter.append_scalar``: what the facade cannot go below)
2. add_histogram of 10k values and add_image of a 3x64x64 float image (goal: 3x faster)
3. close() after 100k scalars (goal: under 1 s)
4. importing a TensorBoard log of scalars vs loading it with EventAccumulator (size guidance 0)
5. ploteries.patch(): torch's SummaryWriter class, patched, against the same class unpatched: add_scalar
   (the patched class runs ploteries' method: no added cost) and ``file_writer.add_summary`` of a prebuilt
   scalar Summary (the route of Lightning's and SB3's hparams: decoded instead of written)

With ``--previous REV`` the per-call figures also time git revision REV of ploteries (loaded beside the current
code, see bench/previous.py) in the same batches.

Run: python bench/bench_compat.py [--scalars 100000] [--import-events 200000] [--previous main]
"""

from __future__ import annotations

import this_tree  # noqa: F401  (first: the ploteries of this tree, see this_tree.py)

# isort: split

import argparse
import importlib
import sys
import tempfile
import time
from pathlib import Path

import torch
from torch.utils.tensorboard import SummaryWriter as TorchWriter
from torch.utils.tensorboard.summary import scalar as scalar_summary

import ploteries
from ploteries.compat import SummaryWriter
from ploteries.compat.tb_import import import_logdir
from ploteries.compat.tfrecord import record_bytes
from ploteries.storage import DatabaseWriter

sys.path.insert(0, str(Path(__file__).parent))
from previous import load_previous  # noqa: E402
from timing import per_call  # noqa: E402


def bench_calls(
    root: Path, previous=None, clock: str = "wall"
) -> list[tuple[str, float, float, float, float | None]]:
    """Rows of (case, ours, torch, goal, previous revision or None): seconds per call."""
    ours, theirs = SummaryWriter(root / "ours"), TorchWriter(str(root / "torch"))
    raw = DatabaseWriter(root / "raw.h5")
    writers = [ours, theirs, raw]
    if previous is not None:
        before = previous.compat.SummaryWriter(root / "previous")
        raw_before = previous.storage.DatabaseWriter(root / "raw_previous.h5")
        writers += [before, raw_before]
    zero_d = torch.tensor(0.5)
    values = torch.randn(10_000, generator=torch.Generator().manual_seed(0))
    image = torch.rand(3, 64, 64, generator=torch.Generator().manual_seed(1))
    cases = [
        # short batches, many of them: on a loaded machine some run undisturbed (a time slice is a few ms)
        ("add_scalar(float)", lambda w: lambda i: w.add_scalar("loss", 0.5, i), 500, 20.0),
        ("add_scalar(0-d tensor)", lambda w: lambda i: w.add_scalar("loss_t", zero_d, i), 500, 20.0),
        ("add_histogram(10k values)", lambda w: lambda i: w.add_histogram("h", values, i), 50, 3.0),
        ("add_image(3x64x64 float)", lambda w: lambda i: w.add_image("img", image, i), 50, 3.0),
    ]
    rows = []
    for name, make, calls, goal in cases:
        fns = [make(ours), make(theirs)]
        if previous is not None:
            fns.append(make(before))
        if name == "add_scalar(float)":
            fns.append(lambda i: raw.append_scalar("r", "loss", 0.5, i))
            if previous is not None:
                fns.append(lambda i: raw_before.append_scalar("r", "loss", 0.5, i))
        times = per_call(fns, calls, repeats=90 if calls == 500 else 9, clock=clock)
        rows.append((name, times[0], times[1], goal, times[2] if previous is not None else None))
        if name == "add_scalar(float)":
            alone = times[3] if previous is not None else times[2]
            rows.append(
                ("  storage append_scalar alone", alone, times[1], 0.0, times[4] if previous else None)
            )
    for w in writers:
        w.close()
    return rows


def bench_patch(root: Path) -> list[tuple[str, float, float]]:
    """Seconds per call of torch's writer class patched by ploteries.patch() and unpatched (same run)."""
    theirs = TorchWriter(str(root / "unpatched"))
    ploteries.patch()
    try:
        patched = TorchWriter(str(root / "patched"))  # keeps writing to ploteries after unpatch()
    finally:
        ploteries.unpatch()
    summary = scalar_summary("loss_pb", 0.5)
    cases = [
        ("add_scalar(float)", lambda w: lambda i: w.add_scalar("loss", 0.5, i), 5_000),
        ("file_writer.add_summary", lambda w: lambda i: w.file_writer.add_summary(summary, i), 2_000),
    ]
    rows = []
    for name, make, calls in cases:
        t_patched, t_torch = per_call([make(patched), make(theirs)], calls)
        rows.append((name, t_patched, t_torch))
    for w in (patched, theirs):
        w.close()
    return rows


def bench_close(root: Path, n: int) -> tuple[float, float]:
    """Seconds of close() right after n add_scalar calls: ours, torch's."""
    out = []
    for writer in (SummaryWriter(root / "close_ours"), TorchWriter(str(root / "close_torch"))):
        for i in range(n):
            writer.add_scalar("loss", 0.5, i)
        t0 = time.perf_counter()
        writer.close()
        out.append(time.perf_counter() - t0)
    return out[0], out[1]


def write_tb_log(path: Path, n: int) -> None:
    """A TensorBoard event file of n scalar events over 4 tags (framed directly: torch would take minutes)."""
    from tensorboard.compat.proto import event_pb2, summary_pb2

    path.mkdir(parents=True)
    chunks = [record_bytes(event_pb2.Event(wall_time=1.0, file_version="brain.Event:2").SerializeToString())]
    for i in range(n):
        value = summary_pb2.Summary.Value(tag=f"loss/{i % 4}", simple_value=i * 0.001)
        event = event_pb2.Event(step=i // 4, wall_time=1e9 + i, summary=summary_pb2.Summary(value=[value]))
        chunks.append(record_bytes(event.SerializeToString()))
    (path / "events.out.tfevents.1700000000.bench").write_bytes(b"".join(chunks))


def bench_import(root: Path, n: int) -> tuple[float, float, float]:
    """Seconds: import with CRC checks, import --no-verify, EventAccumulator.Reload()."""
    from tensorboard.backend.event_processing import event_accumulator as ea

    logdir = root / "tb_logs"
    write_tb_log(logdir / "run", n)
    t0 = time.perf_counter()
    import_logdir(logdir, root / "imported.h5")
    t_verify = time.perf_counter() - t0
    t0 = time.perf_counter()
    import_logdir(logdir, root / "imported_noverify.h5", verify=False)
    t_noverify = time.perf_counter() - t0
    t0 = time.perf_counter()
    acc = ea.EventAccumulator(str(logdir / "run"), size_guidance={ea.SCALARS: 0, ea.TENSORS: 0}).Reload()
    assert sum(len(acc.Scalars(t)) for t in acc.Tags()["scalars"]) == n
    t_ea = time.perf_counter() - t0
    return t_verify, t_noverify, t_ea


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scalars", type=int, default=100_000, help="scalars before close() (default 100k)")
    parser.add_argument("--import-events", type=int, default=200_000, help="events in the imported log")
    parser.add_argument("--previous", metavar="REV", help="also time git revision REV (e.g. main) per call")
    parser.add_argument(
        "--clock",
        choices=["wall", "cpu"],
        default="wall",
        help="per-call clock: wall time, or the caller thread's CPU",
    )
    args = parser.parse_args()
    torch.set_num_threads(1)
    previous = None
    if args.previous:
        previous = load_previous(args.previous)
        importlib.import_module(previous.__name__ + ".compat")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        extra = f" {args.previous[:10]:>11s} {'vs it':>6s}" if previous else ""
        print(f"per call, {args.clock} clock")
        print(f"{'':28s} {'ploteries':>11s} {'torch':>11s} {'speed-up':>9s}{extra}  goal")
        for name, t_ours, t_torch, goal, t_before in bench_calls(root, previous, args.clock):
            ratio = t_torch / t_ours
            verdict = (
                (f">= {goal:g}x: " + ("met" if ratio >= goal else "NOT met"))
                if goal
                else "(floor of the above)"
            )
            extra = f" {t_before * 1e6:9.1f}us {t_before / t_ours:5.2f}x" if t_before else ""
            print(f"{name:28s} {t_ours * 1e6:9.1f}us {t_torch * 1e6:9.1f}us {ratio:8.1f}x{extra}  {verdict}")
        print(f"{'ploteries.patch(), per call':28s} {'patched':>11s} {'torch':>11s} {'speed-up':>9s}")
        for name, t_patched, t_torch in bench_patch(root):
            print(f"{name:28s} {t_patched * 1e6:9.1f}us {t_torch * 1e6:9.1f}us {t_torch / t_patched:8.1f}x")
        c_ours, c_torch = bench_close(root, args.scalars)
        verdict = "met" if c_ours < 1.0 else "NOT met"
        print(
            f"close() after {args.scalars} scalars: ploteries {c_ours:.3f} s, torch {c_torch:.3f} s  (< 1 s: {verdict})"
        )
        t_verify, t_noverify, t_ea = bench_import(root, args.import_events)
        print(
            f"import of {args.import_events} scalar events: ploteries {t_verify:.2f} s (CRC checked), "
            f"{t_noverify:.2f} s (--no-verify); EventAccumulator {t_ea:.2f} s -> "
            f"{t_ea / t_verify:.1f}x / {t_ea / t_noverify:.1f}x faster"
        )


if __name__ == "__main__":
    main()
