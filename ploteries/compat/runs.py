"""Where a ``SummaryWriter`` writes: the database file, the run name and the names of its sub-runs.

The rule, matching what ``tensorboard --logdir <parent of log_dir>`` shows:

- ``SummaryWriter(log_dir)`` writes ``<log_dir>/ploteries.h5`` and names the run after ``log_dir``'s last
  path component (``runs/exp1`` -> run ``exp1``).
- No ``log_dir``: ``runs/<%b%d_%H-%M-%S>_<hostname><comment>``, as torch names it; the run is its last component.
- ``database=`` puts the run into that file (many runs in one file); ``run=`` names the run. Without
  ``log_dir``, ``get_logdir()`` is the database's directory. A URL ``http://HOST:PORT/db.h5`` writes through a
  ploteries server; ``get_logdir()`` is then ``log_dir`` if given, else the URL.
- ``add_scalars(main_tag, {key: v})`` writes run ``<run>/<main_tag with '/' -> '_'>_<key>`` (torch's sub-folder;
  tensorboardX's writer, when :func:`ploteries.patch` routes it here, keeps its own ``<run>/<main_tag>/<key>``),
  ``add_hparams`` writes run ``<run>/<run_name or str(time.time())>``.
"""

from __future__ import annotations

import dataclasses
import os
import socket
from datetime import datetime
from pathlib import Path

from ploteries.storage.remote.wire import is_url, parse_url

__all__ = [
    "DATABASE_NAME",
    "Location",
    "default_log_dir",
    "hparams_run",
    "resolve_location",
    "run_name_of",
    "scalars_run",
    "tbx_scalars_run",
]

DATABASE_NAME = "ploteries.h5"


@dataclasses.dataclass(frozen=True)
class Location:
    """Resolved destination of a writer: ``log_dir`` (as ``get_logdir()`` returns it), database file, run."""

    log_dir: str | os.PathLike
    database: Path | str  # a str for a database on a ploteries server (http://HOST:PORT/db.h5)
    run: str

    @property
    def remote(self) -> bool:
        return isinstance(self.database, str)


def default_log_dir(comment: str = "", now: datetime | None = None, hostname: str | None = None) -> str:
    """torch's default ``log_dir``: ``runs/<%b%d_%H-%M-%S>_<hostname><comment>``.

    Examples
    --------
    >>> default_log_dir("_lr0.1", datetime(2024, 11, 23, 18, 34, 47), "myhost")
    'runs/Nov23_18-34-47_myhost_lr0.1'
    """
    now = now or datetime.now()
    hostname = socket.gethostname() if hostname is None else hostname
    return os.path.join("runs", now.strftime("%b%d_%H-%M-%S") + "_" + hostname + str(comment))


def run_name_of(log_dir: str | os.PathLike) -> str:
    """The run name TensorBoard shows for ``log_dir`` under ``--logdir <its parent>``: its last component.

    Examples
    --------
    >>> run_name_of("runs/exp1/"), run_name_of("exp2")
    ('exp1', 'exp2')
    """
    path = os.path.normpath(os.path.abspath(os.fspath(log_dir)))
    return os.path.basename(path) or path


def _check_text(value, argname: str) -> None:
    if value is not None and not isinstance(value, str | os.PathLike):
        raise TypeError(f"{argname} must be a str or path, got {type(value).__name__} {value!r:.60}")


def resolve_location(
    log_dir: str | os.PathLike | None = None,
    comment: str = "",
    database: str | os.PathLike | None = None,
    run: str | None = None,
) -> Location:
    """Apply the naming rule of this module (nothing is created on disk).

    Examples
    --------
    >>> loc = resolve_location("runs/exp1")
    >>> str(loc.database), loc.run
    ('runs/exp1/ploteries.h5', 'exp1')
    >>> loc = resolve_location(database="runs/sweep.h5", run="lr=0.1")
    >>> loc.log_dir, str(loc.database), loc.run
    ('runs', 'runs/sweep.h5', 'lr=0.1')
    >>> resolve_location(database="http://node1:6006/sweep.h5", run="lr=0.1").database
    'http://node1:6006/sweep.h5'
    """
    _check_text(log_dir, "log_dir")
    _check_text(database, "database")
    if run is not None and not isinstance(run, str):
        raise TypeError(f"run must be a str such as 'lr=0.1', got {type(run).__name__} {run!r:.60}")
    if not isinstance(comment, str):
        raise TypeError(f"comment must be a str, got {type(comment).__name__} {comment!r:.60}")
    if is_url(database):
        parse_url(database)
        name = run if run is not None else run_name_of(log_dir or default_log_dir(comment))
        return Location(log_dir or database, database, name)
    if database is not None:
        database = Path(database)
        if database.suffix == "" and database.is_dir():
            raise ValueError(
                f"database={str(database)!r} is a directory; pass a file such as "
                f"{str(database / DATABASE_NAME)!r}, or pass it as log_dir"
            )
        if not log_dir:
            name = run if run is not None else run_name_of(default_log_dir(comment))
            return Location(str(database.parent), database, name)
        return Location(log_dir, database, run if run is not None else run_name_of(log_dir))
    if not log_dir:
        log_dir = default_log_dir(comment)
    name = run if run is not None else run_name_of(log_dir)
    return Location(log_dir, Path(log_dir) / DATABASE_NAME, name)


def scalars_run(run: str, main_tag: str, key: str) -> str:
    """The sub-run of ``add_scalars``: ``<run>/<main_tag with '/' -> '_'>_<key>``.

    Examples
    --------
    >>> scalars_run("exp1", "loss/all", "train")
    'exp1/loss_all_train'
    """
    return f"{run}/{main_tag.replace('/', '_')}_{key}"


def tbx_scalars_run(run: str, main_tag: str, key: str) -> str:
    """tensorboardX's sub-run of ``add_scalars``: ``<run>/<main_tag>/<key>`` (its folder ``logdir/main_tag/key``).

    Examples
    --------
    >>> tbx_scalars_run("exp1", "loss/all", "train")
    'exp1/loss/all/train'
    """
    return f"{run}/{main_tag}/{key}"


def hparams_run(run: str, run_name: str) -> str:
    """The sub-run of ``add_hparams``: ``<run>/<run_name>``.

    Examples
    --------
    >>> hparams_run("exp1", "trial3")
    'exp1/trial3'
    """
    return f"{run}/{run_name}"
