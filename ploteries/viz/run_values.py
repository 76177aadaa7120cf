"""What the run list sorts and groups runs by: the last value of a scalar tag, and the runs' hparams.

Read from the library with one open per database (:func:`~ploteries.viz.cards.base.read_series`) and cached per
series by its fingerprint and row count, so that sorting 5,000 runs again (another page, a new filter) reads
nothing, and a live tick reads only the series that grew.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

import numpy as np

from ploteries.storage import array_to_json
from ploteries.storage.kinds import HPARAMS_TAG

from .cards.base import read_series
from .library import Library, RunKey, SeriesRef, Snapshot
from .lru import LruCache
from .services.hparams_table import parent_run

__all__ = ["hparam_names", "last_values", "run_hparams", "scalar_tags"]

_LAST: LruCache = LruCache(max_entries=200_000)
"""``(series key, fingerprint, count) -> last value`` (a float or None; about 100 bytes an entry)."""
_HPARAMS: LruCache = LruCache(max_entries=50_000)
"""``(series key, fingerprint, count) -> hparams dict`` of an ``add_hparams`` record."""
_MISSING = object()
_READING = threading.Lock()


def _cached_reads(library: Library, refs: list[SeriesRef], snapshot: Snapshot, cache, decode) -> dict:
    """``{series key: decode(last record)}``, reading only what ``cache`` lacks (the last row of each).

    One caller reads at a time: a second one asking for the same series meanwhile (the user ticks "desc" while the
    sort's values are being read) waits and finds them cached, instead of reading them all again beside it (h5py
    runs one call at a time anyway, so two readers would each take twice as long).
    """
    out: dict = {}
    todo = _lookup(refs, snapshot, cache, out)
    if todo:
        with _READING:
            todo = _lookup([r for r, _ in todo], snapshot, cache, out)  # what another caller read meanwhile
            counts = [snapshot.info(r.key).count for r, _ in todo]
            reads = (
                read_series(library, [r for r, _ in todo], from_rows=[c - 1 for c in counts]) if todo else []
            )
            for (ref, key), rec in zip(todo, reads):
                value = decode(rec)
                cache.put(key, _MISSING if value is None else value)
                if value is not None:
                    out[ref.key] = value
    return out


def _lookup(refs: list[SeriesRef], snapshot: Snapshot, cache, out: dict) -> list[tuple[SeriesRef, tuple]]:
    """Put the cached values of ``refs`` into ``out``; the series to read, with their cache keys."""
    todo: list[tuple[SeriesRef, tuple]] = []
    for ref in refs:
        info = snapshot.info(ref.key)
        if info is None or info.count == 0:
            continue
        key = (ref.key, info.fingerprint, info.count)
        found = cache.get(key)
        if found is None:
            todo.append((ref, key))
        elif found is not _MISSING:
            out[ref.key] = found
    return todo


def _last_number(rec) -> float | None:
    if rec is None or len(rec) == 0:
        return None
    values = rec.values if hasattr(rec, "values") else rec["value"]
    try:
        value = float(np.asarray(values[-1]).reshape(-1)[0])
    except (TypeError, ValueError, IndexError):
        return None
    return value if np.isfinite(value) else None


def _hparams_doc(rec) -> dict | None:
    if rec is None or len(rec) == 0:
        return None
    raw = rec.values[-1] if hasattr(rec, "values") else rec[-1]["value"]
    try:
        doc = array_to_json(np.asarray(raw))
    except ValueError:
        return None
    hp = doc.get("hparams") if isinstance(doc, Mapping) else None
    return (
        {str(k): v for k, v in hp.items() if isinstance(v, (int, float, str))}
        if isinstance(hp, Mapping)
        else None
    )


def scalar_tags(snapshot: Snapshot) -> list[str]:
    """The tags of every scalar series (what the run list can sort by)."""
    return sorted({r.tag for r in snapshot.series if r.kind == "scalar" and r.part == ""})


def last_values(library: Library, snapshot: Snapshot, tag: str) -> dict[RunKey, float]:
    """The last (live) value of ``tag`` in each run that logged it as a scalar."""
    refs = [r for r in snapshot.series if r.tag == tag and r.kind == "scalar" and r.part == ""]
    got = _cached_reads(library, refs, snapshot, _LAST, _last_number)
    return {r.run_key: got[r.key] for r in refs if r.key in got}


def run_hparams(library: Library, snapshot: Snapshot) -> dict[RunKey, dict[str, Any]]:
    """Each run's hparams: its own ``add_hparams`` record's, else that of its only trial sub-run.

    ``add_hparams`` writes a trial as a sub-run ``<run>/<trial>``: the parent run takes the trial's hparams
    when it has one trial (a run of a sweep), not when it has several (a study logged from one process).
    """
    refs = [r for r in snapshot.series if r.tag == HPARAMS_TAG]
    got = _cached_reads(library, refs, snapshot, _HPARAMS, _hparams_doc)
    own = {r.run_key: got[r.key] for r in refs if r.key in got}
    runs_of: dict[str, set[str]] = {}
    for key in snapshot.run_keys:
        runs_of.setdefault(key.source, set()).add(key.run)
    trials: dict[RunKey, list[dict]] = {}
    for key, hp in own.items():
        parent = parent_run(key.run, runs_of.get(key.source, ()))
        if parent is not None:
            trials.setdefault(RunKey(key.source, parent), []).append(hp)
    out = dict(own)
    for parent, found in trials.items():
        if len(found) == 1 and parent not in out:
            out[parent] = found[0]
    return out


def hparam_names(hparams: Mapping[RunKey, Mapping[str, Any]]) -> list[str]:
    """Every hparam name some run has, sorted."""
    return sorted({name for hp in hparams.values() for name in hp})
