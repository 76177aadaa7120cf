"""``ploteries push [URL]``: send records remote writers left in this machine's spool."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_parser(sub) -> None:
    p = sub.add_parser(
        "push",
        help="send records that remote writers left in this machine's spool",
        description="Send the records that remote writers (database='http://...') could not deliver before "
        "they closed or died, from this machine's spool to their server. Safe to repeat: the server commits "
        "each record once.",
        epilog="examples:\n  ploteries push\n  ploteries push http://node1:6006/sweep.h5\n",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("url", nargs="?", default=None, help="only this database's spool (default: every one)")
    p.add_argument(
        "--spool",
        type=Path,
        default=None,
        help="spool folder (default $PLOTERIES_SPOOL or ~/.cache/ploteries/spool)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ploteries.storage.remote import push

    results = push(args.url, spool=args.spool)
    if not results:
        print("nothing to push")
    failed = 0
    for r in results:
        line = f"{r.url}: {r.rows} records sent"
        if r.left:
            failed += 1
            line += f"; {r.left} writer(s) left in the spool ({r.error})"
        print(line)
    return 1 if failed else 0
