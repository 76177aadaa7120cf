"""``FileWriter``: the protobuf route of TensorBoard writers, decoded into a ploteries run.

torch's and tensorboardX's ``SummaryWriter`` hand ``Summary``/``Event`` protos to a ``FileWriter`` (and that
to an ``EventFileWriter``); libraries reach it directly for what the ``add_*`` methods do not cover:
Lightning and Fabric write hparams with ``writer._get_file_writer().add_summary(...)``, Stable-Baselines3
and Ray Tune with ``writer.file_writer.add_summary(...)``. This class has the methods of both, and decodes
what it is given with the import code (:class:`~ploteries.compat.from_tensorboard.EventDecoder`) into the
run of a ploteries :class:`~ploteries.compat.SummaryWriter`. No event file is written.

hparams sessions arrive as three summaries (experiment, session start, session end); they become one
``_hparams_`` record as soon as the hyperparameters and the metric names are both known (or at flush/close).
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from ploteries.compat.from_tensorboard import Converted, EventDecoder, merge_hparams
from ploteries.storage import json_to_array
from ploteries.storage.kinds import HPARAMS_TAG

if TYPE_CHECKING:
    from ploteries.compat.writer import SummaryWriter

__all__ = ["FileWriter"]


class _RunDecoder(EventDecoder):
    """Appends decoded records to one run of a ploteries ``SummaryWriter``."""

    def __init__(self, writer: SummaryWriter, run: str) -> None:
        super().__init__()
        self.writer, self.run = writer, run
        self.pending: list[dict] = []  # pieces of an hparams session not written yet
        self.pending_at: tuple[int, float] = (0, 0.0)

    def on_scalar(self, tag: str, step: int, wall: float, value: float) -> None:
        w = self.writer
        (w._db or w._open()).append_scalar(self.run, tag, float(value), int(step), float(wall))

    def on_record(self, item: Converted, step: int, wall: float) -> None:
        if item.kind == "scalar":
            self.on_scalar(item.tag, step, wall, float(np.asarray(item.parts[""])))
            return
        self.writer._put(item.tag, item.parts, item.kind, step, wall, run=self.run, meta=item.meta)

    def on_hparams(self, piece: dict, step: int, wall: float) -> None:
        if not piece:  # session_end_info: nothing to add
            return
        if not self.pending:
            self.pending_at = (step, wall)
        self.pending.append(piece)
        known = set().union(*self.pending)
        if {"hparams", "metrics"} <= known:
            self.write_pending()

    def write_pending(self) -> None:
        """Write the hparams session received so far as one ``_hparams_`` record."""
        if not self.pending:
            return
        record = merge_hparams(self.pending)
        self.pending = []
        step, wall = self.pending_at
        self.writer._put(HPARAMS_TAG, {"": json_to_array(record)}, "hparams", step, wall, run=self.run)

    def on_purge(self, step: int) -> None:
        w = self.writer
        (w._db or w._open()).purge(self.run, int(step))


def _native(message: Any, module: str, name: str) -> Any:
    """``message`` as tensorboard's own proto class (tensorboardX and TF ship their own copies; bytes too)."""
    import importlib

    cls = getattr(importlib.import_module(module), name)
    if isinstance(message, cls):
        return message
    if isinstance(message, bytes):
        return cls.FromString(message)
    serialize = getattr(message, "SerializeToString", None)
    if serialize is None:
        raise TypeError(f"expected a TensorBoard {name} protocol buffer, got {type(message).__name__}")
    return cls.FromString(serialize())


class FileWriter:
    """torch's / tensorboardX's ``FileWriter`` (and ``EventFileWriter``) over a ploteries run.

    Built directly (``FileWriter(log_dir)``, or any ``FileWriter``/``EventFileWriter`` while
    :func:`ploteries.patch` is active) it writes ``<log_dir>/ploteries.h5``, run ``basename(log_dir)``,
    like ``SummaryWriter(log_dir)``. ``SummaryWriter.file_writer`` and ``_get_file_writer()`` return one bound
    to the writer's own run.

    Examples
    --------
    >>> from torch.utils.tensorboard.summary import hparams                    # doctest: +SKIP
    >>> writer = SummaryWriter("runs/exp1")                                    # doctest: +SKIP
    >>> for summary in hparams({"lr": 0.1}, {"hp_metric": 0.0}):               # doctest: +SKIP
    ...     writer._get_file_writer().add_summary(summary)
    """

    def __init__(
        self, log_dir=None, max_queue=10, flush_secs=120, filename_suffix="", *, logdir=None, **kwargs
    ) -> None:
        from ploteries.compat.writer import SummaryWriter

        log_dir = log_dir if log_dir is not None else logdir
        if log_dir is None:
            raise TypeError("FileWriter needs log_dir: the directory TensorBoard would write event files to")
        writer = SummaryWriter(log_dir, flush_secs=flush_secs)
        self._bind(writer, writer.run, os.fspath(log_dir), owned=True)

    @classmethod
    def bound(cls, writer: SummaryWriter, run: str, log_dir: str) -> FileWriter:
        """The file writer of ``writer``'s run ``run`` (``log_dir`` is what ``get_logdir()`` returns)."""
        self = cls.__new__(cls)
        self._bind(writer, run, log_dir, owned=False)
        return self

    def _bind(self, writer: SummaryWriter, run: str, log_dir: str, owned: bool) -> None:
        self._writer = writer
        self._log_dir = str(log_dir)
        self._owned = owned
        self._decoder: _RunDecoder | None = None
        self._run = run

    def _decode(self) -> _RunDecoder:
        if self._decoder is None:
            self._decoder = _RunDecoder(self._writer, self._run)
        return self._decoder

    def get_logdir(self) -> str:
        """The directory this writer stands for (TensorBoard's event file directory)."""
        return self._log_dir

    def add_event(self, event, step=None, walltime=None) -> None:
        """Decode one ``Event`` (summary, graph, ``SessionLog.START``); ``step``/``walltime`` override its own."""
        event = _native(event, "tensorboard.compat.proto.event_pb2", "Event")
        w = self._writer
        if step is None and w._default_step is not None:
            step = w._default_step
        if walltime is None:
            walltime = (
                w._default_walltime if w._default_walltime is not None else (event.wall_time or time.time())
            )
        self._decode().event(event, None if step is None else w._step(step), w._wall(walltime))

    def add_summary(self, summary, global_step=None, walltime=None) -> None:
        """Decode one ``Summary`` (or its bytes) logged at ``global_step`` (default 0) and ``walltime``."""
        summary = _native(summary, "tensorboard.compat.proto.summary_pb2", "Summary")
        w = self._writer
        self._decode().summary(summary, w._step(global_step), w._wall(walltime))

    def add_graph(self, graph_profile, walltime=None) -> None:
        """A ``(GraphDef, RunMetadata)`` pair as torch's graph builder returns it (tag ``_graph_``)."""
        graph = graph_profile[0] if isinstance(graph_profile, tuple | list) else graph_profile
        self.add_onnx_graph(graph, walltime)

    def add_onnx_graph(self, graph, walltime=None) -> None:
        """A ``GraphDef`` (tag ``_graph_``)."""
        graph_def = _native(graph, "tensorboard.compat.proto.graph_pb2", "GraphDef")
        self._decode().graph(graph_def.SerializeToString(), 0, self._writer._wall(walltime))

    add_openvino_graph = add_onnx_graph

    @contextlib.contextmanager
    def use_metadata(self, *, global_step=None, walltime=None) -> Iterator[FileWriter]:
        """Default step and/or wall time for the events added inside the block (tensorboardX)."""
        with self._writer.use_metadata(global_step=global_step, walltime=walltime):
            yield self

    def flush(self) -> None:
        """Write any pending hparams session and commit: readers see everything added so far."""
        if self._decoder is not None:
            self._decoder.write_pending()
        self._writer.flush()

    def close(self) -> None:
        """Flush; a ``FileWriter`` built directly also closes its database writer."""
        if self._decoder is not None:
            self._decoder.write_pending()
        if self._owned:
            self._writer.close()
        else:
            self._writer.flush()

    def reopen(self) -> None:
        """Nothing to do: the database writer reopens on the next record."""

    def __repr__(self) -> str:
        return f"<ploteries FileWriter run={self._run!r} log_dir={self._log_dir!r}>"
