"""``ploteries serve ROOT``: the viewer, as ``python -m ploteries.viz ROOT``."""

from __future__ import annotations

import argparse


def add_parser(sub) -> None:
    from ploteries.viz.server import EXAMPLES, add_arguments, run

    p = sub.add_parser(
        "serve",
        help="serve the viewer for the databases below ROOT",
        description="Serve the ploteries viewer for the databases below ROOT.",
        epilog=EXAMPLES.replace("python -m ploteries.viz", "ploteries serve"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(p)
    p.set_defaults(func=run)
