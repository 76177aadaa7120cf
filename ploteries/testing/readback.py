"""Read what a TensorBoard log directory and a ploteries database hold into one comparable form.

Both readers return ``{(run, tag, part): Trace}`` in the layout of docs/kinds.md: TensorBoard's side is
read with its own ``EventMultiplexer``/``EventAccumulator`` (every reservoir unbounded) and converted with
:mod:`ploteries.compat.from_tensorboard`; ploteries' side with :func:`ploteries.open`.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

import ploteries
from ploteries.compat.from_tensorboard import (
    Converted,
    audio_parts,
    convert_value,
    decode_image,
    histogram_parts,
    hparams_content,
    require_tensorboard,
)
from ploteries.storage import array_to_text, json_to_array
from ploteries.storage.kinds import GRAPH_TAG, HPARAMS_TAG

__all__ = ["Key", "Trace", "read_ploteries", "read_tensorboard", "merge_hparams"]

Key = tuple[str, str, str]


@dataclasses.dataclass
class Trace:
    """The records of one series: its kind, steps, wall times and values (numpy), in logged order."""

    kind: str
    steps: list[int] = dataclasses.field(default_factory=list)
    walls: list[float] = dataclasses.field(default_factory=list)
    values: list[np.ndarray] = dataclasses.field(default_factory=list)
    meta: dict = dataclasses.field(default_factory=dict)

    def add(self, step: int, wall: float, value: np.ndarray) -> None:
        self.steps.append(int(step))
        self.walls.append(float(wall))
        self.values.append(np.asarray(value))


def _add(out: dict, run: str, item: Converted, step: int, wall: float) -> None:
    for part, value in item.parts.items():
        trace = out.setdefault((run, item.tag, part), Trace(item.kind))
        trace.add(step, wall, value)
        if item.meta:
            trace.meta.update(item.meta)


def merge_hparams(out: dict, run: str, pieces: list[dict], step: int, wall: float) -> None:
    """Combine hparams plugin pieces into one ``_hparams_`` record; metric values from the run's scalars."""
    record: dict = {"hparams": {}, "metrics": {}, "domains": {}}
    for piece in pieces:
        for key, value in piece.items():
            record[key].update(value)
    for name in record["metrics"]:
        scalar = out.get((run, name, ""))
        record["metrics"][name] = float(scalar.values[-1]) if scalar and scalar.values else None
    out.setdefault((run, HPARAMS_TAG, ""), Trace("hparams")).add(step, wall, json_to_array(record))


def read_tensorboard(root: str | Path) -> dict[Key, Trace]:
    """Everything TensorBoard would show for ``--logdir root``, run names as its ``EventMultiplexer`` gives them.

    hparams records carry step 0 and wall time 0 (TensorBoard keeps neither for them).

    Examples
    --------
    >>> traces = read_tensorboard("tb_runs")                   # doctest: +SKIP
    >>> traces[("exp1", "loss", "")].steps[:3]                 # doctest: +SKIP
    [0, 1, 2]
    """
    require_tensorboard()
    from tensorboard.backend.event_processing import event_accumulator as ea
    from tensorboard.backend.event_processing import event_multiplexer
    from tensorboard.compat.proto import summary_pb2

    from ploteries.compat.graph import graph_to_dict

    guidance = {
        k: 0 for k in (ea.SCALARS, ea.HISTOGRAMS, ea.IMAGES, ea.TENSORS, ea.AUDIO, ea.COMPRESSED_HISTOGRAMS)
    }
    mux = event_multiplexer.EventMultiplexer(size_guidance=guidance)
    mux.AddRunsFromDirectory(str(root)).Reload()
    out: dict[Key, Trace] = {}
    for run in sorted(mux.Runs()):
        acc = mux.GetAccumulator(run)
        tags = acc.Tags()
        for tag in tags["scalars"]:
            for e in acc.Scalars(tag):
                _add(out, run, Converted(tag, "scalar", {"": np.float64(e.value)}), e.step, e.wall_time)
        for tag in tags["histograms"]:
            for e in acc.Histograms(tag):
                h = e.histogram_value
                parts = histogram_parts(h.min, h.max, h.num, h.sum, h.sum_squares, h.bucket_limit, h.bucket)
                _add(out, run, Converted(tag, "histogram", parts), e.step, e.wall_time)
        for tag in tags["images"]:
            for e in acc.Images(tag):
                if e.encoded_image_string:
                    kind, pixels = decode_image(e.encoded_image_string)
                    _add(out, run, Converted(tag, kind, {"": pixels}), e.step, e.wall_time)
        for tag in tags["audio"]:
            for e in acc.Audio(tag):
                parts = audio_parts(e.encoded_audio_string, e.sample_rate)
                _add(out, run, Converted(tag, "audio", parts), e.step, e.wall_time)
        for tag in tags["tensors"]:
            plugin = acc.SummaryMetadata(tag).plugin_data
            for e in acc.Tensors(tag):
                value = summary_pb2.Summary.Value(tag=tag, tensor=e.tensor_proto)
                item = convert_value(value, plugin.plugin_name, plugin.content)
                if item is not None:
                    _add(out, run, item, e.step, e.wall_time)
        try:
            hparams = acc.PluginTagToContent("hparams")
        except KeyError:
            hparams = {}
        if hparams:
            merge_hparams(out, run, [hparams_content(c) for c in hparams.values()], 0, 0.0)
        if tags.get("graph"):
            graph = json_to_array(graph_to_dict(acc.Graph()))
            out.setdefault((run, GRAPH_TAG, ""), Trace("graph")).add(0, 0.0, graph)
    return out


def _load_media(base: Path, record_path: np.ndarray, kind: str) -> np.ndarray:
    path = base / array_to_text(record_path)
    return decode_image(path.read_bytes())[1]


def read_ploteries(path: str | Path) -> dict[Key, Trace]:
    """Every series of a database file, or of every database below a directory (run names must not clash).

    Media stored as files (``media_dir=``) are decoded back into pixels (part ``""``).

    Examples
    --------
    >>> read_ploteries("runs/exp1")[("exp1", "loss", "")].values[0]   # doctest: +SKIP
    array(0.25)
    """
    path = Path(path)
    files = [path] if path.is_file() else ploteries.find_databases(path)
    out: dict[Key, Trace] = {}
    for file in files:
        with ploteries.open(file) as db:
            for info in db.series():
                key = (info.run, info.tag, info.part)
                if key in out:
                    raise ValueError(
                        f"run {info.run!r} is in two databases below {path}; compare them one by one"
                    )
                records = db.read_records(info.run, info.tag, info.part)
                if info.part == "file":
                    key = (info.run, info.tag, "")
                    values = [_load_media(file.parent, v, info.kind) for v in records.values]
                else:
                    values = records.values
                trace = out[key] = Trace(info.kind, meta=dict(info.meta))
                for step, wall, value in zip(records.step.tolist(), records.wall_time.tolist(), values):
                    trace.add(step, wall, value)
    return out
