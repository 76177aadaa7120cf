"""``ploteries import TB_LOGDIR OUT.h5``: TensorBoard event files into a ploteries database."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ploteries.compat.from_tensorboard import MAX_RECORD_BYTES
from ploteries.compat.tb_import import import_logdir


def add_parser(sub) -> None:
    p = sub.add_parser(
        "import",
        help="convert TensorBoard logs into a ploteries database",
        description="Convert every run below TB_LOGDIR (scalars, histograms, images, audio, text, PR curves, "
        "hparams, meshes, custom scalars, graphs, tensors) into the database OUT. Runs are named as "
        "TensorBoard names them. Needs the tensorboard package; crc32c makes CRC checks fast.",
        epilog="examples:\n  ploteries import runs/ runs/all.h5\n"
        "  ploteries import old_logs/ runs/all.h5 --prefix old/ --no-verify",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("logdir", type=Path, help="what `tensorboard --logdir` would be given")
    p.add_argument("out", type=Path, help="the database to write (created if missing)")
    p.add_argument("--no-verify", action="store_true", help="skip the CRC-32C checks of the records (faster)")
    p.add_argument("--prefix", default="", help="put before every run name, e.g. 'imported/'")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "--max-record-bytes",
        type=_positive_bytes,
        default=MAX_RECORD_BYTES,
        metavar="N",
        help=f"skip (and report) records that take or expand to more than N bytes "
        f"(default {MAX_RECORD_BYTES // 2**20} MiB; a few hundred bytes can declare gigabytes)",
    )
    p.set_defaults(func=run_import)


class ProgressBar:
    """A one-line progress bar on stderr, redrawn at most ten times a second."""

    def __init__(self, stream=None, width: int = 30):
        self.stream = stream or sys.stderr
        self.width = width
        self.last = 0.0

    def __call__(self, done: int, total: int, run: str) -> None:
        now = time.monotonic()
        if done < total and now - self.last < 0.1:
            return
        self.last = now
        frac = done / total if total else 1.0
        bar = "#" * int(frac * self.width)
        self.stream.write(
            f"\rimporting {frac:4.0%} [{bar:<{self.width}}] {done / 1e6:.1f}/{total / 1e6:.1f} MB  {run[:40]:<40}"
        )
        self.stream.flush()


def _positive_bytes(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive number of bytes, got {text!r}")
    return value


def run_import(args) -> int:
    try:
        import tensorboard  # noqa: F401
    except ImportError:
        print(
            "ploteries import: error: reading TensorBoard logs needs the tensorboard package: "
            "pip install tensorboard",
            file=sys.stderr,
        )
        return 2
    bar = None if args.quiet else ProgressBar()
    t0 = time.perf_counter()
    report = import_logdir(
        args.logdir,
        args.out,
        verify=not args.no_verify,
        prefix=args.prefix,
        progress=bar,
        max_record_bytes=args.max_record_bytes,
    )
    if bar is not None:
        sys.stderr.write("\n")
    for problem in report.problems:
        print(f"warning: {problem}", file=sys.stderr)
    print(
        f"imported {len(report.runs)} runs, {report.records} records from {_size(report.bytes)} of event files "
        f"into {args.out} (+{_size(report.written)}) in {time.perf_counter() - t0:.1f} s",
        file=sys.stderr,
    )
    for skipped in report.skipped:
        print(f"error: skipped {skipped}", file=sys.stderr)
    return 1 if report.skipped else 0


def _size(n: int) -> str:
    """A byte count people read: ``534 bytes``, ``1.5 kB``, ``2.0 GB``."""
    value, unit = float(n), "bytes"
    for larger in ("kB", "MB", "GB", "TB"):
        if value < 1000:
            break
        value, unit = value / 1000, larger
    return f"{n} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
