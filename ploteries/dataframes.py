"""Scalars as one long pandas DataFrame: ``ploteries.scalars(path_or_root)`` (pandas is an optional extra).

The equivalent of tbparse's ``SummaryReader(logdir).scalars`` for ploteries databases: every scalar record of
every run, one row each, read with one open of each database.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ploteries.storage import Database, NotADatabaseError, SeriesInfo
from ploteries.storage.discovery import candidate_files

if TYPE_CHECKING:
    import pandas

__all__ = ["COLUMNS", "scalars"]

COLUMNS = ("database", "run", "tag", "step", "wall_time", "value")
_FIELDS = ("step", "wall_time", "value")


def require_pandas():
    """Import pandas or raise an ``ImportError`` that says how to install it."""
    try:
        import pandas
    except ImportError:
        raise ImportError(
            "ploteries.scalars returns a pandas DataFrame and needs pandas: pip install ploteries[pandas]"
        ) from None
    return pandas


def _names(value, argname: str) -> set[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return {value}
    names = list(value) if isinstance(value, Iterable) else None
    if names is not None and all(isinstance(v, str) for v in names):
        return set(names)
    raise TypeError(
        f"{argname} must be None, a name or a list of names (str), got {type(value).__name__} {value!r:.60}"
    )


def databases_of(path_or_root: str | os.PathLike) -> list[tuple[str, Path]]:
    """``[(label, path)]``: the file itself, or every HDF5-suffixed file below a directory (label relative to it).

    Examples
    --------
    >>> databases_of("runs")   # doctest: +SKIP
    [('exp1/ploteries.h5', PosixPath('runs/exp1/ploteries.h5')), ('sweep.h5', PosixPath('runs/sweep.h5'))]
    """
    root = Path(path_or_root)
    if not root.exists():
        raise FileNotFoundError(
            2, f"path_or_root {str(root)!r} does not exist; pass a database file or a directory holding them"
        )
    if root.is_file():
        return [(root.name, root)]
    return [(p.relative_to(root).as_posix(), p) for p in candidate_files(root)]


def _is_scalar(info: SeriesInfo) -> bool:
    return info.kind == "scalar" and not info.part and info.shape == () and info.dtype is not None


def scalars(
    path_or_root: str | os.PathLike,
    runs: str | Iterable[str] | None = None,
    tags: str | Iterable[str] | None = None,
) -> pandas.DataFrame:
    """Every scalar record below ``path_or_root`` as one long DataFrame.

    Parameters
    ----------
    path_or_root : path
        A database file, or a directory searched recursively for databases.
    runs, tags : str or list of str, optional
        Keep only these runs / tags (exact names); all by default.

    Returns
    -------
    pandas.DataFrame
        Columns ``database`` (path relative to ``path_or_root``), ``run``, ``tag`` (categoricals), ``step``
        (int64), ``wall_time`` and ``value`` (float64); one row per record, grouped by database, run and tag,
        each series in the order it was written.

    Examples
    --------
    >>> df = ploteries.scalars("runs")                                    # doctest: +SKIP
    >>> df[df.tag == "loss/train"].pivot(index="step", columns="run", values="value")   # doctest: +SKIP
    """
    pd = require_pandas()
    run_set, tag_set = _names(runs, "runs"), _names(tags, "tags")
    keys: list[tuple[str, str, str]] = []
    pieces: list[np.ndarray] = []
    given_file = Path(path_or_root).is_file()
    for label, path in databases_of(path_or_root):
        try:
            db = Database(path)
        except (NotADatabaseError, OSError, KeyError, ValueError):
            if given_file:
                raise
            continue  # a foreign or damaged file below a directory is left out, as find_databases does
        infos = [
            i
            for i in db.series()
            if _is_scalar(i)
            and (run_set is None or i.run in run_set)
            and (tag_set is None or i.tag in tag_set)
        ]
        infos.sort(key=lambda i: (i.run, i.tag))
        arrays = db.read_many([(i.run, i.tag, "") for i in infos], fields=_FIELDS) if infos else []
        for info, array in zip(infos, arrays):
            keys.append((label, info.run, info.tag))
            pieces.append(array)
    counts = np.array([len(a) for a in pieces], dtype=np.int64)
    columns = {}
    for i, name in enumerate(COLUMNS[:3]):
        categories = sorted({k[i] for k in keys})
        code_of = {c: n for n, c in enumerate(categories)}
        codes = np.repeat(np.array([code_of[k[i]] for k in keys], dtype=np.int32), counts)
        columns[name] = pd.Categorical.from_codes(codes, categories=categories)
    for name, dtype in zip(_FIELDS, (np.int64, np.float64, np.float64)):
        parts = [np.asarray(a[name], dtype=dtype) for a in pieces]
        columns[name] = np.concatenate(parts) if parts else np.empty(0, dtype)
    return pd.DataFrame(columns)
