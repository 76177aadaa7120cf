"""``ploteries serve ROOT`` (and ``python -m ploteries.viz ROOT``): the viewer, with event files shown too.

This is where the viewer (which only reads) meets the import code: each directory root gets an
:class:`~ploteries.compat.event_mirror.EventMirror`, so TensorBoard event files below it are shown live.
"""

from __future__ import annotations

import argparse
from functools import partial

__all__ = ["add_parser", "event_mirrors", "main"]


def add_parser(sub) -> None:
    from ploteries.viz.server import EXAMPLES, add_arguments, run

    p = sub.add_parser(
        "serve",
        help="serve the viewer for the databases (and TensorBoard event files) below ROOT",
        description="Serve the ploteries viewer for the databases and TensorBoard event files below ROOT.",
        epilog=EXAMPLES.replace("python -m ploteries.viz", "ploteries serve"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(p)
    p.set_defaults(func=partial(run, make_mirrors=event_mirrors))


def event_mirrors(args: argparse.Namespace) -> list:
    """One :class:`~ploteries.compat.event_mirror.EventMirror` per directory root of checked ``args``."""
    from ploteries.compat.event_mirror import EventMirror
    from ploteries.viz.library import root_prefix

    return [
        EventMirror(
            root,
            f"{root_prefix(root.resolve(), name, len(args.roots))}tfevents",
            cache_dir=args.cache_dir,
        )
        for root, name in zip(args.roots, args.root_names)
        if root.is_dir()
    ]


def main(argv: list[str] | None = None) -> int:
    """``python -m ploteries.viz``: the viewer with event files shown (see :func:`event_mirrors`)."""
    from ploteries.viz.server import main as serve_main

    return serve_main(argv, make_mirrors=event_mirrors)
