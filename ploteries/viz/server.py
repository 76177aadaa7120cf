"""``python -m ploteries.viz ROOT`` / ``ploteries serve ROOT``: serve the viewer on a local port.

The server binds to 127.0.0.1 unless ``--host`` says otherwise; if the port is busy it takes the next free one
and says so. It serves through waitress (a production WSGI server: bounded worker threads, no debugger).
It starts serving at once; meanwhile a background thread scans the databases and draws the first
page (:meth:`~ploteries.viz.app.Viewer.warm`), so that the browser's first request finds the work done.
"""

from __future__ import annotations

import argparse
import errno
import logging
import os
import re
import socket
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

__all__ = [
    "ViewerServer",
    "add_arguments",
    "apply_tensorboard_flags",
    "bind_server",
    "main",
    "parse_logdir_spec",
    "serve",
]

THREADS = 8  # worker threads of the served viewer; more requests at once wait in the server's queue

EXAMPLES = """examples:
  python -m ploteries.viz runs/
  python -m ploteries.viz runs/ other_runs/sweep.h5 --port 8080
  PLOTERIES_TOKEN=$(openssl rand -hex 16) python -m ploteries.viz runs/ --host 0.0.0.0
                                                        # other machines, with an access token
  python -m ploteries.viz runs/ --media-root /data/images
  python -m ploteries.viz --logdir runs --reload_interval 5            # TensorBoard's spelling works too
  python -m ploteries.viz --logdir_spec base:runs/base,new:runs/new    # named roots, shown as prefixes
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "roots",
        nargs="*",
        type=Path,
        metavar="ROOT",
        help="directories (searched recursively) or database files; TensorBoard event files below a "
        "directory are shown too",
    )
    parser.add_argument(
        "--port", type=int, default=6006, help="port to serve on (default 6006; the next free one if busy)"
    )
    parser.add_argument("--host", default=None, help="address to bind (default 127.0.0.1: this machine only)")
    parser.add_argument(
        "--allowed-hosts",
        default="",
        metavar="NAMES",
        help="comma-separated host names the viewer answers to besides this machine's names and addresses "
        "(e.g. viewer.lab.org, or .lab.org for its subdomains; '*' for any). Set PLOTERIES_TOKEN to require "
        "an access token.",
    )
    parser.add_argument(
        "--reload-interval",
        "--reload_interval",
        type=float,
        default=2.0,
        metavar="SECONDS",
        help="how often the page polls for new data (default 2)",
    )
    parser.add_argument(
        "--media-root",
        type=Path,
        default=None,
        metavar="DIR",
        help="directory holding media files written outside the databases (default: beside each database)",
    )
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="where TensorBoard event files found below a ROOT are imported to be shown "
        "(default ~/.cache/ploteries/events; the event files are never modified)",
    )
    parser.add_argument(
        "--accept-writes",
        action="store_true",
        help="accept records from remote writers (SummaryWriter(database='http://HOST:PORT/db.h5')) into "
        "databases inside the first ROOT; needs PLOTERIES_TOKEN set (see docs/remote.md)",
    )
    parser.add_argument(
        "--max-body",
        type=float,
        default=64,
        metavar="MB",
        help="largest request body a remote writer may send, in MB (default 64; larger answers 413)",
    )
    tb = parser.add_argument_group("TensorBoard's flags, accepted as `tensorboard` spells them")
    tb.add_argument(
        "--logdir", action="append", type=Path, default=[], metavar="DIR", help="a ROOT (repeatable)"
    )
    tb.add_argument(
        "--logdir_spec",
        metavar="NAME:PATH,...",
        help="comma-separated roots, each optionally named (NAME:PATH); names prefix the roots' labels",
    )
    tb.add_argument(
        "--bind_all", action="store_true", help="serve on every network interface (--host 0.0.0.0)"
    )


def parse_logdir_spec(spec: str) -> list[tuple[str | None, Path]]:
    """TensorBoard's ``--logdir_spec``: ``[(name or None, path)]`` from ``NAME:PATH,PATH2,...``.

    TensorBoard's rule: a part is ``NAME:PATH`` (split at the first ``:``) unless it is a URL (``gs://...``),
    starts with ``/`` or starts with a drive (``C:\\logs`` on Windows); ``~`` is expanded.

    Examples
    --------
    >>> parse_logdir_spec("base:runs/base,runs/new,/data/a:b")
    [('base', PosixPath('runs/base')), (None, PosixPath('runs/new')), (None, PosixPath('/data/a:b'))]
    """
    roots: list[tuple[str | None, Path]] = []
    for part in spec.split(","):
        if not part:
            continue
        named = (
            _URI.match(part) is None
            and ":" in part
            and not part.startswith("/")
            and not os.path.splitdrive(part)[0]
        )
        name, path = part.partition(":")[::2] if named else (None, part)
        if not path or name == "":
            raise ValueError(f"--logdir_spec part {part!r} must be PATH or NAME:PATH with both non-empty")
        roots.append((name, Path(os.path.expanduser(path))))
    return roots


_URI = re.compile("[a-zA-Z][0-9a-zA-Z.]*://.*")  # TensorBoard's (and TensorFlow's ParseURI's) URL pattern


def apply_tensorboard_flags(args: argparse.Namespace) -> argparse.Namespace:
    """Fold TensorBoard's flags into ours: ``args.roots``, ``args.root_names`` (aligned) and ``args.host``.

    ``--logdir`` and ``--logdir_spec`` add roots after the positional ones; ``--bind_all`` is
    ``--host 0.0.0.0`` (``--reload_interval`` and ``--port`` are the same options as ours). Folding twice
    changes nothing.
    """
    if getattr(args, "root_names", None) is not None:
        return args
    spec = parse_logdir_spec(args.logdir_spec) if args.logdir_spec else []
    pairs = [(None, Path(r)) for r in [*args.roots, *args.logdir]] + spec
    if not pairs:
        raise ValueError("no ROOT given; pass a directory (or --logdir DIR, as for tensorboard)")
    if args.bind_all and args.host is not None:
        raise ValueError(f"--bind_all and --host {args.host} both choose the address; pass one of them")
    args.roots = [path for _, path in pairs]
    args.root_names = [name for name, _ in pairs]
    args.host = "0.0.0.0" if args.bind_all else (args.host or "127.0.0.1")
    return args


def check_arguments(args: argparse.Namespace) -> None:
    """Clear errors for bad arguments, before anything starts (TensorBoard's flags folded in first)."""
    apply_tensorboard_flags(args)
    for root in args.roots:
        if not root.exists():
            raise FileNotFoundError(
                2, f"ROOT {root} does not exist; pass a directory holding ploteries databases"
            )
    if not 0 <= args.port < 65536:
        raise ValueError(f"--port must be between 0 (any free port) and 65535, got {args.port}")
    if not args.reload_interval > 0:
        raise ValueError(
            f"--reload-interval must be a positive number of seconds, got {args.reload_interval}"
        )
    if args.media_root is not None and not args.media_root.is_dir():
        raise FileNotFoundError(2, f"--media-root {args.media_root} is not a directory")
    if not args.max_body > 0:
        raise ValueError(f"--max-body must be a positive number of MB, got {args.max_body}")


def _listening_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    return sock


class ViewerServer:
    """A waitress WSGI server on a listening socket: :meth:`serve_forever` until :meth:`shutdown`.

    waitress is a production server (bounded worker threads, request size limits, streamed responses that spill
    to disk past a buffer) in pure Python; this wrapper gives it the ``serve_forever`` / ``shutdown`` /
    ``server_close`` trio of the standard library's servers, so the viewer can be run in a thread and stopped.

    Parameters
    ----------
    app
        The WSGI application (the Dash app's Flask ``server``).
    sock
        A bound, listening socket.
    threads
        Worker threads answering requests; further requests wait in waitress's queue.
    """

    def __init__(self, app, sock: socket.socket, threads: int = THREADS) -> None:
        from waitress import create_server

        self._socket = sock
        self._server = create_server(
            app, sockets=[sock], threads=threads, ident="ploteries", asyncore_use_poll=True
        )
        self.port: int = sock.getsockname()[1]
        self._stopping = threading.Event()
        self._stopped = threading.Event()
        self._stopped.set()
        self._closing = threading.Lock()  # a wake-up never lands on a closed server's descriptors
        self._closed = False

    def serve_forever(self) -> None:
        """Answer requests until :meth:`shutdown` is called (from another thread) or Ctrl-C."""
        from waitress import wasyncore

        self._stopped.clear()
        try:
            while not self._stopping.is_set():
                wasyncore.loop(self._server.adj.asyncore_loop_timeout, True, self._server._map, count=1)
        finally:
            self._close()
            self._stopped.set()

    def shutdown(self, timeout: float = 10.0) -> None:
        """Stop :meth:`serve_forever` and wait (up to ``timeout`` seconds) until it has returned."""
        with self._closing:
            self._stopping.set()
            if self._stopped.is_set() or self._closed:
                return
            self._server.pull_trigger()  # wakes the poll at once
        self._stopped.wait(timeout)

    def server_close(self) -> None:
        """Close the listening socket and the open connections (also done when serving stops)."""
        self._stopping.set()
        if self._stopped.is_set():
            self._close()

    def _close(self) -> None:
        from waitress import wasyncore

        with self._closing:
            if self._closed:
                return
            self._closed = True
            wasyncore.close_all(self._server._map, ignore_all=True)
            self._server.task_dispatcher.shutdown(cancel_pending=True, timeout=5)
            self._socket.close()


def bind_server(app, host: str, port: int, tries: int = 50) -> tuple[ViewerServer, int]:
    """A :class:`ViewerServer` bound to ``port`` or, if busy, the next free port: ``(server, port)``.

    ``port=0`` lets the system choose a free port.
    """
    last: OSError | None = None
    for candidate in range(port, min(port + tries, 65536)) if port else [0]:
        try:
            sock = _listening_socket(host, candidate)
        except OSError as exc:
            if exc.errno not in (errno.EADDRINUSE, errno.EACCES):
                raise
            last = exc
            continue
        server = ViewerServer(app, sock)
        return server, server.port
    raise OSError(
        errno.EADDRINUSE, f"no free port in {port}..{port + tries - 1} on {host}: {last}; pass --port"
    )


def serve(
    roots,
    *,
    host: str = "127.0.0.1",
    port: int = 6006,
    reload_interval: float = 2.0,
    media_root=None,
    allowed_hosts: Sequence[str] = (),
    names=None,
    mirrors=(),
    accept_writes: bool = False,
    max_body: int = 64 * 2**20,
) -> None:
    """Serve the viewer (and the remote API, see docs/remote.md) until interrupted.

    The access token of the viewer and of the remote API is ``$PLOTERIES_TOKEN``; ``accept_writes`` refuses to
    start without one.

    ``names`` (aligned with ``roots``) prefix the roots' labels; ``mirrors`` are extra sources kept in sync by
    the library (see :class:`~ploteries.viz.library.Mirror`).
    """
    from .app import create_app
    from .library import Library
    from .remote_api import register_remote_api
    from .security import exposure_warning, token_from_env

    token = token_from_env()
    warning = exposure_warning(host, token)
    if warning is not None:
        print(warning, file=sys.stderr, flush=True)
    library = Library(roots, media_root=media_root, names=names, mirrors=mirrors)
    app = create_app(library, reload_interval=reload_interval, token=token, allowed_hosts=allowed_hosts)
    register_remote_api(app.server, roots, token=token, accept_writes=accept_writes, max_body=max_body)
    server, bound = bind_server(app.server, host, port)
    shown = "localhost" if host in ("127.0.0.1", "::1") else host
    note = f" (port {port} was busy)" if bound != port else ""
    print(
        f"ploteries viewer for {', '.join(str(r) for r in roots)}: http://{shown}:{bound}/{note}", flush=True
    )
    threading.Thread(target=_warm, args=(app.viewer,), name="ploteries-warm", daemon=True).start()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def _warm(viewer) -> None:
    try:
        viewer.warm()
    except Exception:  # noqa: BLE001 - only a head start: the page's own requests report any error
        logging.getLogger(__name__).debug("warming the first page failed", exc_info=True)


def run(args: argparse.Namespace, make_mirrors=None) -> int:
    """Check ``args``, then serve; ``make_mirrors(args)`` gives the library's mirrors (none by default)."""
    check_arguments(args)
    mirrors = make_mirrors(args) if make_mirrors is not None else ()
    serve(
        args.roots,
        host=args.host,
        port=args.port,
        reload_interval=args.reload_interval,
        media_root=args.media_root,
        allowed_hosts=[h for h in args.allowed_hosts.split(",") if h.strip()],
        names=args.root_names,
        mirrors=mirrors,
        accept_writes=args.accept_writes,
        max_body=int(args.max_body * 2**20),
    )
    return 0


def main(argv: list[str] | None = None, make_mirrors=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ploteries.viz",
        description="Serve the ploteries viewer for the databases below ROOT.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return run(args, make_mirrors)
    except (OSError, ValueError) as exc:
        print(f"ploteries viewer: error: {exc}", file=sys.stderr)
        return 2
