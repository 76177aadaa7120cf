"""``ploteries export PATH... OUT``: series out of databases as CSV, JSON or NumPy ``.npz``."""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
from pathlib import Path

import numpy as np

from ploteries.storage import find_databases
from ploteries.storage import open as open_database
from ploteries.storage.reader import Database, SeriesInfo
from ploteries.viz.services.tags import Regex, compile_filter

FORMATS = ("csv", "json", "npz")


def add_parser(sub) -> None:
    p = sub.add_parser(
        "export",
        help="export series as CSV, JSON or .npz",
        description="Export series of databases. CSV and JSON hold the numeric scalar series (one row per "
        "record: run, tag, step, wall_time, value, after a database column when there are several "
        "databases); .npz holds every series, with each record's exact dtype (keys start with the database "
        "when there are several).",
        epilog="examples:\n  ploteries export runs/db.h5 losses.csv --tag 'loss'\n"
        "  ploteries export runs/db.h5 all.npz\n  ploteries export runs/db.h5 - --format json --run 'lr=0\\.1'\n"
        "  ploteries export runs/ old/sweep.h5 all.csv     # every database below runs/, and old/sweep.h5",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "paths",
        nargs="+",
        type=Path,
        metavar="PATH",
        help="database files or directories (searched recursively)",
    )
    p.add_argument("out", help="output file ('-' for standard output, CSV and JSON only)")
    p.add_argument("--run", default="", help="regular expression the run must match (search)")
    p.add_argument("--tag", default="", help="regular expression the tag must match (search)")
    p.add_argument("--format", choices=FORMATS, help="default: from OUT's suffix")
    p.set_defaults(func=run_export)


def compile_pattern(pattern: str, argname: str) -> Regex | None:
    """The ``--run``/``--tag`` pattern compiled like the viewer's filters (linear time, case-sensitive)."""
    regex, error = compile_filter(pattern, ignore_case=False)
    if error is not None:
        raise ValueError(f"{argname} {pattern!r} is not a valid regular expression: {error}")
    return regex


def selected_series(db: Database, run: str, tag: str) -> list[SeriesInfo]:
    run_re, tag_re = compile_pattern(run, "--run"), compile_pattern(tag, "--tag")
    return [i for i in db.series() if _found(run_re, i.run) and _found(tag_re, i.tag)]


def _found(regex: Regex | None, text: str) -> bool:
    return regex is None or regex.search(text) is not None


def is_scalar_like(info: SeriesInfo) -> bool:
    return info.shape == () and info.dtype is not None and info.dtype.kind in "biuf"


def scalar_rows(db: Database, infos: list[SeriesInfo]):
    """(run, tag, step, wall_time, value) for every record of the scalar-like series."""
    for info in infos:
        if not is_scalar_like(info) or info.part:
            continue
        data = db.read(info.run, info.tag)
        for step, wall, value in zip(
            data["step"].tolist(), data["wall_time"].tolist(), data["value"].tolist()
        ):
            yield info.run, info.tag, step, wall, value


def npz_arrays(db: Database, infos: list[SeriesInfo]) -> dict[str, np.ndarray]:
    """Arrays keyed ``run|tag|part`` (fixed series) or ``run|tag|part|i`` (each record of a ragged one)."""
    arrays = {}
    for info in infos:
        key = f"{info.run}|{info.tag}|{info.part}"
        data = db.read(info.run, info.tag, info.part)
        if isinstance(data, np.ndarray):
            arrays[key] = data
            continue
        arrays[f"{key}|step"] = data.step
        arrays[f"{key}|wall_time"] = data.wall_time
        for i, value in enumerate(data.values):
            arrays[f"{key}|{i}"] = value
    return arrays


def _json_number(x: float):
    return x if not isinstance(x, float) or math.isfinite(x) else None


def databases(paths: list[Path]) -> list[Path]:
    """The database files given and those below the directories given, each once, in order."""
    found: list[Path] = []
    for path in paths:
        if not path.exists():
            raise FileNotFoundError(2, f"no such file or directory: {path}")
        below = [path] if path.is_file() else find_databases(path)
        if not below:
            raise ValueError(f"no ploteries database below {path}; check the path (ploteries ls lists them)")
        found += [p for p in below if p not in found]
    return found


def run_export(args) -> int:
    fmt = args.format or (Path(args.out).suffix.lstrip(".") if args.out != "-" else "csv")
    if fmt not in FORMATS:
        raise ValueError(
            f"cannot tell the format from {args.out!r}; pass --format with one of {', '.join(FORMATS)}."
        )
    if fmt == "npz" and args.out == "-":
        raise ValueError("--format npz cannot go to standard output; give a file name such as out.npz.")
    paths = databases(args.paths)
    several = len(paths) > 1
    rows, arrays = [], {}
    for path in paths:
        db = open_database(path)
        infos = selected_series(db, args.run, args.tag)
        if fmt == "npz":
            arrays.update({(f"{path}|{k}" if several else k): v for k, v in npz_arrays(db, infos).items()})
        else:
            rows += [((str(path),) if several else ()) + row for row in scalar_rows(db, infos)]
    if fmt == "npz":
        np.savez(args.out, **arrays)
        return 0
    columns = (["database"] if several else []) + ["run", "tag", "step", "wall_time", "value"]
    out = open(args.out, "w", newline="") if args.out != "-" else None  # noqa: SIM115
    stream = out or sys.stdout
    try:
        if fmt == "csv":
            writer = csv.writer(stream)
            writer.writerow(columns)
            writer.writerows((*head, repr(w), repr(v)) for *head, w, v in rows)
        else:
            records = [dict(zip(columns, (*head, w, _json_number(v)))) for *head, w, v in rows]
            json.dump(records, stream, ensure_ascii=False)
            stream.write("\n")
    finally:
        if out is not None:
            out.close()
    return 0
