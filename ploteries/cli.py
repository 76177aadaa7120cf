"""The ``ploteries`` command line: ``ploteries ls|serve|figures|import|export ...``.

Each subcommand lives in its own module and registers itself through ``add_parser(subparsers)``; this file
only routes.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from ploteries import __version__

SUBCOMMANDS = {
    "ls": "ploteries.commands.ls",
    "export": "ploteries.commands.export",
    "serve": "ploteries.commands.serve",
    "figures": "ploteries.commands.figures",
    "import": "ploteries.commands.import_tb",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ploteries",
        description="Inspect, serve, import and export ploteries databases.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"ploteries {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for module in SUBCOMMANDS.values():
        importlib.import_module(module).add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (OSError, ValueError, KeyError) as exc:
        print(f"ploteries {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
