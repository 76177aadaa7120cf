"""``ploteries ls PATH...``: runs, tags, kinds, record counts and step ranges of databases, from a shell."""

from __future__ import annotations

import argparse
from pathlib import Path

from ploteries.storage import open as open_database
from ploteries.storage import scan_databases
from ploteries.storage.reader import SeriesInfo


def add_parser(sub) -> None:
    p = sub.add_parser(
        "ls",
        help="list runs, tags, kinds, record counts and step ranges",
        description="List what ploteries databases hold. Each PATH is a database file or a directory "
        "(searched recursively).",
        epilog="examples:\n  ploteries ls runs/\n  ploteries ls runs/sweep.h5 --run 'lr=0.1'\n"
        "  ploteries ls runs/ old_runs/ other/sweep.h5",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="database files or directories")
    p.add_argument("--run", dest="run_name", help="only this run")
    p.set_defaults(func=run_ls)


def format_rows(infos: list[SeriesInfo]) -> list[str]:
    """Aligned text lines: run, tag (with part), kind, records, steps."""
    rows = [("RUN", "TAG", "KIND", "RECORDS", "STEPS")]
    for i in sorted(infos, key=lambda i: (i.run, i.tag, i.part)):
        tag = i.tag if not i.part else f"{i.tag} [{i.part}]"
        steps = "-" if i.step_min is None else f"{i.step_min}..{i.step_max}"
        rows.append((i.run or "''", tag, i.kind, str(i.count), steps))
    widths = [max(len(r[c]) for r in rows) for c in range(4)]
    return ["  ".join(r[c].ljust(widths[c]) for c in range(4)) + "  " + r[4] for r in rows]


def run_ls(args) -> int:
    missing = [str(p) for p in args.paths if not p.exists()]
    if missing:
        raise FileNotFoundError(2, f"no such file or directory: {', '.join(missing)}")
    return max(list_path(path, args.run_name) for path in args.paths)


def list_path(path: Path, run_name: str | None) -> int:
    """Print what the databases at or below ``path`` hold; 1 if none or one is unreadable, else 0."""
    found = scan_databases(path)
    if not found:
        print(f"no .h5 files below {path}")
        return 1
    status = 0
    for db_path, error in found:
        if error is not None:
            print(f"{db_path}: not readable: {error}\n")
            status = 1
            continue
        infos = open_database(db_path).series()
        if run_name is not None:
            infos = [i for i in infos if i.run == run_name]
        print(f"{db_path}: {len({i.run for i in infos})} runs, {len(infos)} series")
        print("\n".join("  " + line for line in format_rows(infos)))
        print()
    return status
