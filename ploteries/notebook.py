"""The viewer inside Jupyter: ``%load_ext ploteries`` then ``%ploteries runs/``, or ``show("runs/")``.

The viewer runs in a background thread of the kernel, bound to 127.0.0.1 on a free port (the server's own bind
logic: ``--port`` or the next free one), and the cell shows it in an ``<iframe>``. Running the cell again with
the same roots shows the same viewer; databases and TensorBoard event files below the roots are picked up live,
as with ``ploteries serve``. The iframe points at ``http://127.0.0.1:PORT/``: the browser must run on the
kernel's machine (or forward that port).

Examples
--------
>>> %load_ext ploteries                                  # doctest: +SKIP
>>> %ploteries runs/                                     # doctest: +SKIP
>>> %ploteries --logdir_spec base:runs/a,new:runs/b --height 600     # doctest: +SKIP
>>> import ploteries.notebook
>>> ploteries.notebook.show("runs/")                     # doctest: +SKIP
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shlex
import threading

__all__ = ["ViewerHandle", "load_ipython_extension", "show", "start"]

DEFAULT_HEIGHT = 800


@dataclasses.dataclass
class ViewerHandle:
    """A viewer serving in this process: its URL, and :meth:`stop`."""

    url: str
    port: int
    key: tuple
    server: object
    thread: threading.Thread

    def stop(self) -> None:
        """Stop serving and forget the viewer (the next :func:`show` of its roots starts a new one)."""
        _RUNNING.pop(self.key, None)
        self.server.shutdown()
        self.server.server_close()


_RUNNING: dict[tuple, ViewerHandle] = {}  # the viewers of this kernel, by what they show
_STARTING = threading.Lock()


def _parser() -> argparse.ArgumentParser:
    from ploteries.viz.server import add_arguments

    parser = argparse.ArgumentParser(
        prog="%ploteries", description="Show the ploteries viewer in this notebook."
    )
    add_arguments(parser)
    parser.add_argument("--height", type=int, default=DEFAULT_HEIGHT, help="iframe height in pixels")
    return parser


def start(*roots: str | os.PathLike, **options) -> ViewerHandle:
    """Start (or find running) a viewer for ``roots`` in a background thread; the options are ``ploteries
    serve``'s (``port=6006``, ``reload_interval=2.0``, ``logdir_spec=``, ``cache_dir=``, ``media_root=``).

    Examples
    --------
    >>> handle = ploteries.notebook.start("runs/")           # doctest: +SKIP
    >>> handle.url                                           # doctest: +SKIP
    'http://127.0.0.1:6006/'
    """
    from ploteries.viz.server import check_arguments

    args = _parser().parse_args([os.fspath(r) for r in roots])
    for name, value in options.items():
        if name in ("roots", "height") or not hasattr(args, name):
            raise TypeError(f"start() got an unknown option {name}={value!r}; options: {_option_names(args)}")
        setattr(args, name, value)
    check_arguments(args)
    return _start(args)


def _option_names(args: argparse.Namespace) -> str:
    return ", ".join(sorted(k for k in vars(args) if k not in ("roots", "height", "root_names")))


def _start(args: argparse.Namespace) -> ViewerHandle:
    """Serve checked ``args`` on 127.0.0.1 (the iframe's browser is the kernel machine's)."""
    from ploteries.commands.serve import event_mirrors
    from ploteries.viz.app import create_app
    from ploteries.viz.library import Library
    from ploteries.viz.server import bind_server

    if args.host != "127.0.0.1":
        raise ValueError(
            f"the notebook viewer serves on 127.0.0.1 only; drop --host {args.host} / --bind_all"
        )
    key = (tuple(str(r.resolve()) for r in args.roots), tuple(args.root_names), args.reload_interval)
    with _STARTING:
        running = _RUNNING.get(key)
        if running is not None and running.thread.is_alive():
            return running
        library = Library(
            args.roots, media_root=args.media_root, names=args.root_names, mirrors=event_mirrors(args)
        )
        app = create_app(library, reload_interval=args.reload_interval)
        server, port = bind_server(app.server, "127.0.0.1", args.port)
        thread = threading.Thread(target=server.serve_forever, name=f"ploteries-viewer-{port}", daemon=True)
        thread.start()
        handle = _RUNNING[key] = ViewerHandle(f"http://127.0.0.1:{port}/", port, key, server, thread)
        return handle


def _iframe(url: str, height: int):
    from IPython.display import IFrame

    return IFrame(url, width="100%", height=height)


def show(*roots: str | os.PathLike, height: int = DEFAULT_HEIGHT, **options) -> None:
    """Show the viewer for ``roots`` in the output of the current cell (see :func:`start` for ``options``).

    Examples
    --------
    >>> ploteries.notebook.show("runs/")                     # doctest: +SKIP
    >>> ploteries.notebook.show("runs/", height=500, reload_interval=5)   # doctest: +SKIP
    """
    from IPython.display import display

    display(_iframe(start(*roots, **options).url, height))


def ploteries_magic(line: str) -> None:
    """``%ploteries ROOT... [--logdir DIR] [--logdir_spec ...] [--port N] [--height PX] ...``"""
    from IPython.core.error import UsageError
    from IPython.display import display

    from ploteries.viz.server import check_arguments

    try:
        args = _parser().parse_args(shlex.split(line))
        check_arguments(args)
        handle = _start(args)
    except SystemExit:  # --help, or argparse's own message for a bad flag (already printed)
        return
    except (OSError, ValueError) as exc:
        message = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise UsageError(f"%ploteries: {message}") from None
    display(_iframe(handle.url, args.height))


def load_ipython_extension(ipython) -> None:
    """``%load_ext ploteries``: registers the ``%ploteries`` line magic."""
    ipython.register_magic_function(ploteries_magic, magic_kind="line", magic_name="ploteries")
