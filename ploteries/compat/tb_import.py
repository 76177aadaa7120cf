"""Import TensorBoard event files into a ploteries database (``ploteries import TB_LOGDIR OUT.h5``).

Every folder below ``TB_LOGDIR`` holding ``events.out.tfevents.*`` files is a run, named as TensorBoard's
``EventMultiplexer`` names it (its path relative to ``TB_LOGDIR``; the folder itself is named after its
last component, the rule of ``SummaryWriter(log_dir)``). Scalars, histograms, images, videos (GIF), audio,
text, PR curves, meshes, custom scalar layouts, hparams, graphs and other tensors are converted by
:mod:`ploteries.compat.from_tensorboard`. A ``SessionLog.START`` event (``purge_step``) drops the run's
earlier records with step >= its step, as TensorBoard's reader does.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ploteries.compat.from_tensorboard import convert_value, require_tensorboard
from ploteries.compat.runs import run_name_of
from ploteries.compat.tfrecord import RecordReport, iter_records
from ploteries.storage import DatabaseWriter, json_to_array
from ploteries.storage import open as open_database
from ploteries.storage.kinds import GRAPH_TAG, HPARAMS_TAG, KINDS

__all__ = ["ImportReport", "RunEvents", "event_runs", "import_logdir"]


@dataclasses.dataclass
class ImportReport:
    """What an import did: runs, records and bytes read, and files that ended early."""

    runs: list[str] = dataclasses.field(default_factory=list)
    records: int = 0
    bytes: int = 0
    problems: list[str] = dataclasses.field(default_factory=list)


def event_runs(logdir: str | Path) -> dict[str, list[Path]]:
    """``{run name: [event files in TensorBoard's reading order]}`` below ``logdir``.

    Examples
    --------
    >>> event_runs("tb_logs")   # doctest: +SKIP
    {'exp1': [PosixPath('tb_logs/exp1/events.out.tfevents.1700000000.host.1.0')]}
    """
    root = Path(logdir)
    if not root.is_dir():
        raise FileNotFoundError(2, f"TensorBoard log directory {root} does not exist")
    found: dict[str, list[Path]] = {}
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        events = sorted(f for f in files if "tfevents" in f)
        if events:
            rel = Path(folder).relative_to(root).as_posix()
            name = run_name_of(root) if rel == "." else rel
            found[name] = [Path(folder) / f for f in events]
    return found


class _Series:
    __slots__ = ("kind", "steps", "walls", "values", "meta")

    def __init__(self, kind: str):
        self.kind, self.steps, self.walls, self.values, self.meta = kind, [], [], [], {}

    def purge(self, step: int) -> None:
        keep = [i for i, s in enumerate(self.steps) if s < step]
        if len(keep) != len(self.steps):
            self.steps = [self.steps[i] for i in keep]
            self.walls = [self.walls[i] for i in keep]
            self.values = [self.values[i] for i in keep]


class RunEvents:
    """Records of one run gathered in memory, in TensorBoard's reading order, then written at once."""

    def __init__(self, event_pb2):
        self.parse = event_pb2.Event.FromString
        self.start = event_pb2.SessionLog.START
        self.series: dict[tuple[str, str], _Series] = {}
        self.scalars: dict[str, _Series] = {}  # tags of plain (simple_value, no plugin) scalars
        self.plugins: dict[str, tuple[str, bytes]] = {}
        self.hparams: list = []
        self.records = 0
        self.purged: int | None = None  # the lowest step of a SessionLog.START since the last clear()

    def add(self, tag: str, part: str, kind: str, step: int, wall: float, value, meta=None) -> None:
        s = self.series.get((tag, part))
        if s is None:
            s = self.series[(tag, part)] = _Series(kind)
        s.steps.append(step)
        s.walls.append(wall)
        s.values.append(value)
        if meta:
            s.meta.update(meta)
        self.records += 1

    def event(self, data) -> None:
        event = self.parse(data)
        step, wall = event.step, event.wall_time
        if event.HasField("summary"):
            scalars = self.scalars
            for value in event.summary.value:
                s = scalars.get(value.tag)
                if s is not None and value.HasField("simple_value"):  # the hot path: a known plain scalar
                    s.steps.append(step)
                    s.walls.append(wall)
                    s.values.append(value.simple_value)
                    self.records += 1
                else:
                    self._value(value, step, wall)
        elif event.HasField("session_log") and event.session_log.status == self.start:
            for s in self.series.values():
                s.purge(step)
            self.purged = step if self.purged is None else min(self.purged, step)
        elif event.HasField("graph_def"):
            from tensorboard.compat.proto import graph_pb2

            from ploteries.compat.graph import graph_to_dict

            graph = graph_to_dict(graph_pb2.GraphDef.FromString(event.graph_def))
            self.add(GRAPH_TAG, "", "graph", step, wall, json_to_array(graph))

    def _value(self, value, step: int, wall: float) -> None:
        tag = value.tag
        if value.HasField("metadata") and tag not in self.plugins:
            plugin = value.metadata.plugin_data
            self.plugins[tag] = (plugin.plugin_name, plugin.content)
        if value.WhichOneof("value") == "simple_value" and tag not in self.plugins:
            self.add(tag, "", "scalar", step, wall, value.simple_value)
            self.scalars[tag] = self.series[(tag, "")]
            return
        name, content = self.plugins.get(tag, ("", b""))
        item = convert_value(value, name, content)
        if item is None:
            return
        if item.kind == "hparams":
            self.hparams.append((item.meta, step, wall))
            return
        for part, array in item.parts.items():
            self.add(item.tag, part, item.kind, step, wall, array, item.meta)

    def write(self, writer: DatabaseWriter, run: str) -> None:
        if self.hparams:
            self._merge_hparams()
        for (tag, part), s in self.series.items():
            if not s.steps:
                continue
            if s.kind == "scalar":
                values = np.asarray(s.values, np.float64)
                writer.append_many(run, tag, values, s.steps, s.walls, kind="scalar", part=part)
                continue
            ragged = KINDS[s.kind].ragged
            meta = s.meta or None
            first = s.values[0]
            if not ragged and all(v.shape == first.shape and v.dtype == first.dtype for v in s.values):
                writer.append_many(
                    run, tag, np.stack(s.values), s.steps, s.walls, kind=s.kind, part=part, meta=meta
                )
                continue
            for step, wall, value in zip(s.steps, s.walls, s.values):
                writer.append(run, tag, value, step, wall, kind=s.kind, part=part, meta=meta, ragged=ragged)

    def clear(self) -> None:
        """Forget the records gathered (once written), keep what later records need (plugins, kinds)."""
        for s in self.series.values():
            s.steps, s.walls, s.values = [], [], []
        self.hparams = []
        self.records = 0
        self.purged = None

    def _merge_hparams(self) -> None:
        record: dict = {"hparams": {}, "metrics": {}, "domains": {}}
        for piece, _, _ in self.hparams:
            for key, value in piece.items():
                record[key].update(value)
        for name in record["metrics"]:
            s = self.series.get((name, ""))
            record["metrics"][name] = float(np.asarray(s.values[-1])) if s and s.values else None
        _, step, wall = self.hparams[0]
        self.add(HPARAMS_TAG, "", "hparams", step, wall, json_to_array(record))


def import_logdir(
    logdir: str | Path,
    out: str | Path,
    *,
    verify: bool = True,
    prefix: str = "",
    progress: Callable[[int, int, str], None] | None = None,
) -> ImportReport:
    """Convert every run below ``logdir`` into the database ``out`` (created if missing).

    Parameters
    ----------
    logdir : path
        What ``tensorboard --logdir`` would be given.
    out : path
        The ploteries database; runs it already holds under the same names are refused.
    verify : bool
        Check each record's CRC-32C (TensorBoard does); False is faster on trusted files.
    prefix : str
        Put before every run name (e.g. ``"imported/"``).
    progress : callable, optional
        ``progress(bytes_done, bytes_total, run)`` after each file.

    Examples
    --------
    >>> report = import_logdir("tb_logs", "runs/imported.h5")   # doctest: +SKIP
    >>> report.runs                                              # doctest: +SKIP
    ['exp1', 'exp1/loss_train']
    """
    event_pb2 = require_tensorboard()
    runs = event_runs(logdir)
    if not runs:
        raise ValueError(f"no TensorBoard event files (events.out.tfevents.*) below {logdir}")
    out = Path(out)
    names = {prefix + name: files for name, files in runs.items()}
    if out.exists():
        existing = set(open_database(out).runs())
        clash = sorted(existing & set(names))
        if clash:
            raise ValueError(
                f"{out} already holds runs {clash[:5]}; pass --prefix to import under other names, "
                "or delete them first"
            )
    total = sum(f.stat().st_size for files in names.values() for f in files)
    report = ImportReport(bytes=total)
    done = 0
    out.parent.mkdir(parents=True, exist_ok=True)
    with DatabaseWriter(out, flush_secs=30.0) as writer:
        for name, files in names.items():
            run = RunEvents(event_pb2)
            for path in files:
                file_report = RecordReport(path)
                for data in iter_records(path, verify, file_report):
                    run.event(data)
                if file_report.corrupt_at is not None:
                    report.problems.append(
                        f"{path}: record at byte {file_report.corrupt_at} fails its CRC; the rest of the file "
                        "is skipped (as TensorBoard does)"
                    )
                done += path.stat().st_size
                if progress is not None:
                    progress(done, total, name)
            run.write(writer, name)
            report.records += run.records
            report.runs.append(name)
    return report
