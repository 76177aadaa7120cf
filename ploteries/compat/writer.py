"""``SummaryWriter``: ``torch.utils.tensorboard.SummaryWriter``'s API over a ploteries database.

Each ``add_*`` method is a short facade: a pure encoder of ``ploteries.compat`` turns the input into numpy
(docs/kinds.md says what each kind stores), then :class:`ploteries.storage.DatabaseWriter` appends it.
torch is never imported here; torch tensors are recognised and converted at the edge.
"""

from __future__ import annotations

import contextlib
import json
import math
import numbers
import os
import threading
import time
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np

from ploteries.compat import runs
from ploteries.compat.audio import encode_audio
from ploteries.compat.custom_scalars import (
    encode_custom_scalars,
    margin_chart_layout,
    multiline_chart_layout,
)
from ploteries.compat.embedding import encode_embedding
from ploteries.compat.file_writer import FileWriter
from ploteries.compat.graph import graph_from_model, graph_from_onnx
from ploteries.compat.histogram import encode_histogram, encode_histogram_raw
from ploteries.compat.hparams import encode_hparams
from ploteries.compat.image import (
    encode_box_labels,
    encode_boxes,
    encode_figure,
    encode_image,
    encode_images,
)
from ploteries.compat.media import MediaStore
from ploteries.compat.mesh import encode_mesh, encode_mesh_config
from ploteries.compat.pr_curve import encode_pr_curve, encode_pr_curve_raw
from ploteries.compat.tensors import is_torch_tensor, to_numpy, to_scalar
from ploteries.compat.text import encode_text
from ploteries.compat.video import encode_video
from ploteries.storage import DatabaseWriter, json_to_array, text_to_array
from ploteries.storage import open as open_database
from ploteries.storage.kinds import CUSTOM_SCALARS_TAG, GRAPH_TAG, HPARAMS_TAG, KINDS, ONNX_GRAPH_TAG
from ploteries.storage.values import check_step, step_range_error

__all__ = ["SummaryWriter"]

_LIVE_SECS = 1.0  # readers see records at least this often, whatever flush_secs says (see __init__)


def _check_tag(tag: Any, argname: str = "tag") -> str:
    if type(tag) is not str:
        if isinstance(tag, str):
            return str(tag)
        raise TypeError(f"{argname} must be a str such as 'loss/train', got {type(tag).__name__} {tag!r:.60}")
    if not tag:
        raise ValueError(f"{argname} must be a non-empty string such as 'loss/train'")
    return tag


_TENSOR_TYPES: set[type] = set()  # torch tensor classes seen so far (checked without importing torch)


def _fast_scalar(value: Any) -> float:
    """``to_scalar`` with a shortcut for 0-d torch tensors (CPU or CUDA): ``t.tolist()``.

    ``tolist()`` keeps the GIL: ``item()`` and ``float(t)`` release it, so with any other busy Python thread
    (a data loader's, torch's own event writer) each call waited for that thread's switch interval (5 ms
    measured with one busy thread; 6 us against 2.8 us beside torch's writer). It needs no ``detach()`` for a
    loss that requires grad either. One-element tensors of higher rank take ``item()``.
    """
    cls = type(value)
    if cls in _TENSOR_TYPES or (is_torch_tensor(value) and not _TENSOR_TYPES.add(cls)):
        try:
            if value.dim() == 0:
                number = value.tolist()
                if type(number) is float:
                    return number
                if type(number) is int or type(number) is bool:
                    return float(number)
            else:
                return float(value.item())
        except (TypeError, ValueError, RuntimeError):
            pass  # several elements, complex, meta device...: to_scalar says what is wrong
    if value is None:
        raise TypeError(
            "scalar_value must be a real number, got None; pass the value to log, e.g. loss.item()"
        )
    return to_scalar(value, "scalar_value")


class SummaryWriter:
    """Drop-in replacement for ``torch.utils.tensorboard.SummaryWriter`` writing one ploteries database.

    Every method of torch's writer exists with the same signature; data lands in ``<log_dir>/ploteries.h5``
    as run ``basename(log_dir)`` (what ``tensorboard --logdir <parent>`` would call it).

    Parameters
    ----------
    log_dir : str or Path, optional
        Default ``runs/<%b%d_%H-%M-%S>_<hostname><comment>``, as torch.
    comment : str
        Suffix of the default ``log_dir`` (ignored when ``log_dir`` is given, as in torch).
    purge_step : int, optional
        Resume after a crash: records of this run (and its add_scalars/add_hparams sub-runs) with
        ``step >= purge_step`` are deleted when the writer opens, so the resumed curve continues cleanly.
    max_queue : int
        Accepted for compatibility; every call is durable as soon as it returns (ploteries' journal).
    flush_secs : float
        Longest time before readers (the viewer) see a record; ploteries commits at least every second
        (TensorBoard's ``max_queue=10`` makes its data visible after a few events, so a short interval keeps
        the same live behaviour), and sooner if ``flush_secs`` is smaller.
    filename_suffix : str
        Accepted for compatibility; several writers of one ``log_dir`` share its database.
    database : str or Path, keyword-only
        Write into this database file instead of ``<log_dir>/ploteries.h5`` (many runs in one file; several
        processes may write different runs at once). A URL ``http://HOST:PORT/sweep.h5`` writes through a
        ploteries server (``ploteries serve ROOT --accept-writes``; token from ``PLOTERIES_TOKEN``; see
        docs/remote.md): every call is spooled locally first and sent in the background.
    run : str, keyword-only
        The run name (default: ``basename(log_dir)``).
    media_dir : str or Path, keyword-only
        Store images (PNG) and videos (animated GIF) as files in this directory (relative to the database's
        directory, or absolute) and record their relative paths in the database instead of the pixels.
    write_to_disk : bool
        tensorboardX's switch: ``False`` writes nothing (no directory, no database); calls still check
        their input.
    logdir : str or Path, keyword-only
        tensorboardX's spelling of ``log_dir``.
    close_timeout : float, keyword-only
        With a remote ``database``: longest wait in ``close()`` for the server (default 10 s); what it has not
        taken by then stays in the local spool for the next writer or ``ploteries push``.
    comet_config : dict, keyword-only
        Accepted for tensorboardX scripts; ploteries sends nothing to Comet (a warning says so unless the
        config is ``{"disabled": True}``).

    Examples
    --------
    >>> from ploteries.compat import SummaryWriter                        # doctest: +SKIP
    >>> with SummaryWriter("runs/exp1") as w:                             # doctest: +SKIP
    ...     w.add_scalar("loss/train", 0.25, global_step=10)
    >>> w = SummaryWriter(database="runs/sweep.h5", run="lr=0.1")       # doctest: +SKIP
    """

    def __init__(
        self,
        log_dir=None,
        comment="",
        purge_step=None,
        max_queue=10,
        flush_secs=120,
        filename_suffix="",
        write_to_disk=True,
        *,
        database: str | os.PathLike | None = None,
        run: str | None = None,
        media_dir: str | os.PathLike | None = None,
        logdir: str | os.PathLike | None = None,
        close_timeout: float | None = None,
        comet_config: dict | None = None,
    ) -> None:
        if logdir is not None and not log_dir:
            log_dir = logdir
        if comet_config is not None and not (isinstance(comet_config, dict) and comet_config.get("disabled")):
            warnings.warn(
                "comet_config is accepted for tensorboardX scripts but ploteries sends nothing to Comet; "
                "log to Comet with its own client",
                UserWarning,
                stacklevel=2,
            )
        location = runs.resolve_location(log_dir, comment, database, run)
        if purge_step is not None:
            purge_step = self._step(purge_step, "purge_step")
        try:
            secs = float(flush_secs)
        except (TypeError, ValueError):
            raise TypeError(f"flush_secs must be a number of seconds, got {flush_secs!r:.60}") from None
        if not secs > 0:
            raise ValueError(f"flush_secs must be positive, got {flush_secs!r}")
        self.log_dir = location.log_dir
        self.database = location.database
        self.run = location.run
        self.purge_step = purge_step
        self.max_queue = max_queue
        self.flush_secs = flush_secs
        self.filename_suffix = filename_suffix
        self._commit_secs = min(secs, _LIVE_SECS)
        if location.remote and media_dir is not None:
            raise ValueError(
                f"media_dir= needs a local database; with database={self.database!r} images and videos are "
                "stored in the database itself (drop media_dir)"
            )
        if close_timeout is not None and not location.remote:
            raise ValueError("close_timeout= applies to a remote database (database='http://...') only")
        self._remote = {} if close_timeout is None else {"close_timeout": close_timeout}
        self._write_to_disk = bool(write_to_disk)
        self._media = None
        if media_dir is not None and self._write_to_disk:
            self._media = MediaStore(media_dir, self.database.parent)
        self._default_step: int | None = None
        self._default_walltime: float | None = None
        self._scalar_meta: set = set()
        self._meta_sent: dict = {}
        self._scalars_runs: dict = {}
        self.scalar_dict: dict[str, list] = {}  # add_scalars values for export_scalars_to_json (tensorboardX)
        self._sinks: dict[str, FileWriter] = {}
        self._warned_steps = False
        self._open_lock = threading.Lock()
        self._db: DatabaseWriter | None = None
        self._append_scalar = None  # the open writer's append_scalar (the hot path skips a lookup)
        self.file_writer = self._sink(self.run)
        if self._write_to_disk and not location.remote:
            os.makedirs(self.log_dir, exist_ok=True)
            self.database.parent.mkdir(parents=True, exist_ok=True)
        self._open()

    # ------------------------------------------------------------------------------------------ plumbing

    def _open(self) -> DatabaseWriter:
        """The database writer, (re)created on first use and after ``close()`` (torch reopens silently)."""
        with self._open_lock:
            if self._db is None:
                if not self._write_to_disk:
                    self._db = _Discard()
                    self._append_scalar = self._db.append_scalar
                    return self._db
                db = DatabaseWriter(self.database, flush_secs=self._commit_secs, **self._remote)
                if self.purge_step is not None:
                    for name in self._run_family(db):
                        db.purge(name, self.purge_step)
                    self.purge_step = None  # as torch: only the first opening purges
                self._db = db
                self._append_scalar = db.append_scalar
            return self._db

    def _run_family(self, db: DatabaseWriter) -> list[str]:
        """This run and its sub-runs (``<run>/...``) present in the database."""
        prefix = self.run + "/"
        with open_database(db.path) as reader:
            return [r for r in reader.runs() if r == self.run or r.startswith(prefix)]

    def _step(self, global_step: Any, argname: str = "global_step") -> int:
        """TensorBoard's ``int(step)`` (a 64-bit integer), with clear errors; ``None`` gives 0 (or ``use_metadata``'s step)."""
        if global_step is None:
            return 0 if self._default_step is None else self._default_step
        if isinstance(global_step, numbers.Integral):
            return check_step(int(global_step), argname)
        item = getattr(global_step, "item", None)
        if callable(item) and not isinstance(global_step, str):
            try:
                global_step = item()
            except (TypeError, ValueError, RuntimeError):
                pass
            if isinstance(global_step, numbers.Integral):
                return check_step(int(global_step), argname)
        if isinstance(global_step, numbers.Real):
            f = float(global_step)
            if not math.isfinite(f):
                raise ValueError(
                    f"{argname} must be a finite integer, got {global_step!r}; pass e.g. {argname}=100"
                )
            if f != int(f) and not self._warned_steps:
                self._warned_steps = True
                warnings.warn(
                    f"{argname}={global_step!r} is not an integer; stored as {int(f)} as TensorBoard does "
                    "(int() truncation). Pass integer steps to keep them distinct.",
                    UserWarning,
                    stacklevel=3,
                )
            return check_step(int(f), argname)
        raise TypeError(
            f"{argname} must be an integer, got {type(global_step).__name__} {global_step!r:.60}; "
            f"pass e.g. {argname}=100"
        )

    def _wall(self, walltime: Any) -> float:
        if walltime is None:
            return time.time() if self._default_walltime is None else self._default_walltime
        try:
            return float(walltime)
        except (TypeError, ValueError):
            raise TypeError(
                f"walltime must be seconds since the epoch (e.g. time.time()), got {walltime!r:.60}"
            ) from None

    def _put(
        self,
        tag: str,
        parts: dict[str, np.ndarray],
        kind: str,
        global_step: Any,
        walltime: Any,
        *,
        run: str | None = None,
        meta: dict | None = None,
    ) -> None:
        """Append the parts of one logged object at one step and wall time (all encoded beforehand).

        Ragged or not as the kind is (:data:`ploteries.storage.kinds.KINDS`).
        """
        step = self._step(global_step)
        wall = self._wall(walltime)
        db = self._db or self._open()
        run = self.run if run is None else run
        ragged = KINDS[kind].ragged
        if meta is not None:  # series meta is merged and kept: send it again only when it changes
            if self._meta_sent.get((run, tag)) == meta:
                meta = None
            else:
                self._meta_sent[(run, tag)] = meta
        for part, value in parts.items():
            db.append(run, tag, value, step, wall, kind=kind, part=part, ragged=ragged, meta=meta)

    def _put_image(self, tag: str, hwc: np.ndarray, global_step, walltime, extra: dict | None = None) -> None:
        parts = {"": hwc}
        if self._media is not None:
            step = self._step(global_step)
            path = self._media.write_png(self.run, tag, step, hwc)
            parts = {"file": text_to_array(path), "shape": np.array(hwc.shape, np.int64)}
            try:
                self._put(tag, {**parts, **(extra or {})}, "image", step, walltime)
            except BaseException:
                self._media.discard(path)  # a refused record leaves no file behind
                raise
            return
        self._put(tag, {**parts, **(extra or {})}, "image", global_step, walltime)

    # ----------------------------------------------------------------------------------------- scalars

    def add_scalar(
        self,
        tag,
        scalar_value,
        global_step=None,
        walltime=None,
        new_style=False,
        double_precision=False,
        *,
        display_name: str = "",
        summary_description: str = "",
    ) -> None:
        """Log one number as float64 (TensorBoard keeps float32); NaN and infinity are kept.

        ``new_style`` and ``double_precision`` change TensorBoard's encoding only and are accepted;
        ``display_name`` and ``summary_description`` (tensorboardX) go to the series' metadata. tensorboardX
        takes them as the 5th and 6th positional arguments: strings there bind to them as in tensorboardX.

        Examples
        --------
        >>> writer.add_scalar("loss/train", 0.25, global_step=10)  # doctest: +SKIP
        """
        # tensorboardX binds add_scalar(tag, value, step, walltime, display_name, description)
        if type(new_style) is str:
            display_name, new_style = new_style, False
            if isinstance(double_precision, str):
                summary_description, double_precision = double_precision, False
        if type(scalar_value) is not float:
            scalar_value = _fast_scalar(scalar_value)
        if type(global_step) is not int:
            global_step = self._step(global_step)
        if type(tag) is not str:
            tag = _check_tag(tag)
        append = self._append_scalar or self._open().append_scalar
        try:
            append(
                self.run,
                tag,
                scalar_value,
                global_step,
                self._default_walltime if walltime is None else walltime,
            )
        except OverflowError:  # only a step beyond 64 bits overflows; say so in this method's terms
            raise step_range_error(global_step, "global_step") from None
        if (display_name or summary_description) and tag not in self._scalar_meta:
            meta = {"display_name": str(display_name), "description": str(summary_description)}
            self._open().set_meta(self.run, tag, meta, kind="scalar")
            self._scalar_meta.add(tag)

    _scalars_run = staticmethod(runs.scalars_run)  # tensorboardX's writer, when patched: runs.tbx_scalars_run

    def add_scalars(self, main_tag, tag_scalar_dict, global_step=None, walltime=None) -> None:
        """Log several numbers under one tag, each in its own sub-run ``<run>/<main_tag '/'->'_'>_<key>``.

        As in tensorboardX, the values are also kept in memory for :meth:`export_scalars_to_json`.

        Examples
        --------
        >>> writer.add_scalars("loss", {"train": 0.3, "val": 0.4}, 10)  # doctest: +SKIP
        """
        main_tag = _check_tag(main_tag, "main_tag")
        if not isinstance(tag_scalar_dict, dict):
            raise TypeError(
                f"tag_scalar_dict must be a dict of name -> number, got {type(tag_scalar_dict).__name__}"
            )
        values = []
        for key, value in tag_scalar_dict.items():
            name = self._scalars_runs.get((main_tag, key))
            if name is None:
                _check_tag(key, "tag_scalar_dict key")
                name = self._scalars_runs[(main_tag, key)] = self._scalars_run(self.run, main_tag, key)
            values.append((name, key, to_scalar(value, f"tag_scalar_dict[{key!r}]")))
        step = self._step(global_step)
        wall = self._wall(walltime)
        db = self._db or self._open()
        base = str(self.log_dir)
        for name, key, value in values:
            db.append_scalar(name, main_tag, value, step, wall)
            entry = [wall, None if global_step is None else step, value]
            self.scalar_dict.setdefault(os.path.join(base, main_tag, key), []).append(entry)

    def add_tensor(self, tag, tensor, global_step=None, walltime=None) -> None:
        """Log any array (any non-object numpy dtype, record arrays included), read back as numpy.

        Examples
        --------
        >>> writer.add_tensor("batch", np.zeros(4, [("x", "f4"), ("y", "i8")]), 3)  # doctest: +SKIP
        """
        value = to_numpy(tensor, "tensor")
        self._put(_check_tag(tag), {"": value}, "tensor", global_step, walltime)

    # -------------------------------------------------------------------------------------- histograms

    def add_histogram(
        self, tag, values, global_step=None, bins="tensorflow", walltime=None, max_bins=None
    ) -> None:
        """Histogram of ``values`` by TensorBoard's algorithm (``bins='tensorflow'`` or any ``np.histogram`` bins).

        Examples
        --------
        >>> writer.add_histogram("weights/fc1", model.fc1.weight, step)  # doctest: +SKIP
        """
        buckets, stats = encode_histogram(values, bins, max_bins)
        self._put(_check_tag(tag), {"": buckets, "stats": stats}, "histogram", global_step, walltime)

    def add_histogram_raw(
        self,
        tag,
        min,  # noqa: A002 - torch's argument names
        max,  # noqa: A002
        num,
        sum,  # noqa: A002
        sum_squares,
        bucket_limits,
        bucket_counts,
        global_step=None,
        walltime=None,
    ) -> None:
        """Histogram from precomputed statistics; ``bucket_limits`` are right edges (ValueError on length mismatch).

        Examples
        --------
        >>> writer.add_histogram_raw("h", 0, 2, 3, 3, 5, [1, 2], [1, 2], global_step=0)  # doctest: +SKIP
        """
        buckets, stats = encode_histogram_raw(min, max, num, sum, sum_squares, bucket_limits, bucket_counts)
        self._put(_check_tag(tag), {"": buckets, "stats": stats}, "histogram", global_step, walltime)

    # ------------------------------------------------------------------------------------------ images

    def add_image(self, tag, img_tensor, global_step=None, walltime=None, dataformats="CHW") -> None:
        """One image, stored as ``uint8`` HWC after TensorBoard's layout and scaling rules.

        Examples
        --------
        >>> writer.add_image("input", torch.rand(3, 64, 64), step)  # doctest: +SKIP
        """
        self._put_image(_check_tag(tag), encode_image(img_tensor, dataformats), global_step, walltime)

    def add_images(self, tag, img_tensor, global_step=None, walltime=None, dataformats="NCHW") -> None:
        """A batch of images tiled into one grid image (``ncols = min(N, 8)``), as TensorBoard.

        Examples
        --------
        >>> writer.add_images("batch", torch.rand(16, 3, 8, 8), step)  # doctest: +SKIP
        """
        self._put_image(_check_tag(tag), encode_images(img_tensor, dataformats), global_step, walltime)

    def add_image_with_boxes(
        self,
        tag,
        img_tensor,
        box_tensor,
        global_step=None,
        walltime=None,
        rescale=1,
        dataformats="CHW",
        labels=None,
    ) -> None:
        """An image plus its xyxy boxes (part ``boxes``) and labels (part ``labels``), kept as data.

        The pixels are stored without boxes burned in; the viewer draws them as an overlay. tensorboardX's
        positional order ``(..., walltime, dataformats, labels)`` is recognised by a string 6th argument.

        Examples
        --------
        >>> writer.add_image_with_boxes("det", img, torch.tensor([[1, 2, 30, 40]]), labels=["cat"])  # doctest: +SKIP
        """
        tag = _check_tag(tag)
        if isinstance(rescale, str):  # tensorboardX's order: (..., walltime, dataformats, labels)
            rescale, dataformats, labels = 1, rescale, (labels if dataformats == "CHW" else dataformats)
        hwc = encode_image(img_tensor, dataformats, rescale=rescale)
        boxes = encode_boxes(box_tensor, rescale)
        extra = {"boxes": boxes}
        box_labels = encode_box_labels(labels, len(boxes))
        if box_labels is not None:
            extra["labels"] = json_to_array(box_labels)
        self._put_image(tag, hwc, global_step, walltime, extra)

    def add_figure(self, tag, figure, global_step=None, close=True, walltime=None) -> None:
        """Render matplotlib figure(s) with Agg and log the image (a list becomes a grid).

        Examples
        --------
        >>> writer.add_figure("confusion", fig, step)  # doctest: +SKIP
        """
        tag = _check_tag(tag)
        self._put_image(tag, encode_figure(figure, close), global_step, walltime)

    def add_video(self, tag, vid_tensor, global_step=None, fps=4, walltime=None, dataformats="NTCHW") -> None:
        """Clips ``(N, T, C, H, W)`` tiled into one ``uint8`` ``(T, H, W, C)`` video, plus part ``fps``.

        ``dataformats`` (tensorboardX) names the axes when they come in another order, e.g. ``"NTHWC"``.

        Examples
        --------
        >>> writer.add_video("rollout", torch.rand(1, 8, 3, 32, 32), step, fps=4)  # doctest: +SKIP
        """
        tag = _check_tag(tag)
        frames = encode_video(vid_tensor, dataformats)
        rate = to_scalar(fps, "fps")
        if not (math.isfinite(rate) and rate > 0):
            raise ValueError(f"fps must be a positive number of frames per second, got {fps!r}")
        parts = {"": frames}
        if self._media is not None:
            global_step = self._step(global_step)
            path = self._media.write_gif(self.run, tag, global_step, frames, rate)
            parts = {"file": text_to_array(path), "shape": np.array(frames.shape, np.int64)}
        parts["fps"] = np.float64(rate)
        try:
            self._put(tag, parts, "video", global_step, walltime)
        except BaseException:
            if self._media is not None:
                self._media.discard(path)  # a refused record leaves no file behind
            raise

    def add_audio(self, tag, snd_tensor, global_step=None, sample_rate=44100, walltime=None) -> None:
        """A mono clip (squeezed to 1-D, clipped to [-1, 1], float32) plus part ``sample_rate``.

        Examples
        --------
        >>> writer.add_audio("tone", torch.sin(torch.arange(8000) / 10), step, sample_rate=8000)  # doctest: +SKIP
        """
        samples = encode_audio(snd_tensor, sample_rate)
        parts = {"": samples, "sample_rate": np.float64(to_scalar(sample_rate, "sample_rate"))}
        self._put(_check_tag(tag), parts, "audio", global_step, walltime)

    def add_text(self, tag, text_string, global_step=None, walltime=None) -> None:
        """Markdown text (TensorBoard shows it under ``<tag>/text_summary``; ploteries keeps ``tag``).

        Examples
        --------
        >>> writer.add_text("notes", "**lr** = 0.1", step)  # doctest: +SKIP
        """
        self._put(_check_tag(tag), {"": encode_text(text_string)}, "text", global_step, walltime)

    # ------------------------------------------------------------------------------------------ graphs

    def add_onnx_graph(self, prototxt) -> None:
        """The graph of an ONNX model file (needs the ``onnx`` package), under tag ``_onnx_graph_``.

        Examples
        --------
        >>> writer.add_onnx_graph("model.onnx")  # doctest: +SKIP
        """
        graph = graph_from_onnx(prototxt)
        self._put(ONNX_GRAPH_TAG, {"": json_to_array(graph)}, "graph", None, None)

    def add_graph(self, model, input_to_model=None, verbose=False, use_strict_trace=True) -> None:
        """The model graph traced with ``torch.jit.trace`` (TensorBoard's own builder), under tag ``_graph_``.

        Examples
        --------
        >>> writer.add_graph(model, torch.zeros(1, 784))  # doctest: +SKIP
        """
        graph = graph_from_model(model, input_to_model, verbose, use_strict_trace)
        self._put(GRAPH_TAG, {"": json_to_array(graph)}, "graph", None, None)

    # ----------------------------------------------------------------------------- embeddings, curves

    def add_embedding(
        self, mat, metadata=None, label_img=None, global_step=None, tag="default", metadata_header=None
    ) -> None:
        """An embedding matrix ``(N, D)`` with optional metadata rows and label images.

        Examples
        --------
        >>> writer.add_embedding(features, metadata=labels, label_img=images, global_step=step)  # doctest: +SKIP
        """
        tag = _check_tag(tag)
        parts = encode_embedding(mat, metadata, label_img, metadata_header)
        if "metadata" in parts:
            parts["metadata"] = json_to_array(parts["metadata"])
        self._put(tag, parts, "embedding", global_step, None)

    def add_pr_curve(
        self, tag, labels, predictions, global_step=None, num_thresholds=127, weights=None, walltime=None
    ) -> None:
        """A precision-recall curve as TensorBoard computes it: float64 ``(6, num_thresholds)``.

        Examples
        --------
        >>> writer.add_pr_curve("pr", labels, probabilities, step)  # doctest: +SKIP
        """
        tag = _check_tag(tag)
        curve = encode_pr_curve(labels, predictions, num_thresholds, weights)
        meta = {"num_thresholds": int(num_thresholds)}
        self._put(tag, {"": curve}, "pr_curve", global_step, walltime, meta=meta)

    def add_pr_curve_raw(
        self,
        tag,
        true_positive_counts,
        false_positive_counts,
        true_negative_counts,
        false_negative_counts,
        precision,
        recall,
        global_step=None,
        num_thresholds=127,
        weights=None,
        walltime=None,
    ) -> None:
        """A precision-recall curve from precomputed rows (``weights`` is unused, as in TensorBoard).

        Examples
        --------
        >>> writer.add_pr_curve_raw("pr", tp, fp, tn, fn, precision, recall, step)  # doctest: +SKIP
        """
        tag = _check_tag(tag)
        curve = encode_pr_curve_raw(
            true_positive_counts,
            false_positive_counts,
            true_negative_counts,
            false_negative_counts,
            precision,
            recall,
        )
        meta = {"num_thresholds": int(num_thresholds)}
        self._put(tag, {"": curve}, "pr_curve", global_step, walltime, meta=meta)

    # ------------------------------------------------------------------------------- custom scalars

    def add_custom_scalars_multilinechart(self, tags, category="default", title="untitled") -> None:
        """A custom-scalars layout with one multiline chart of ``tags``.

        Examples
        --------
        >>> writer.add_custom_scalars_multilinechart(["loss/train", "loss/val"])  # doctest: +SKIP
        """
        self._put_layout(multiline_chart_layout(tags, category, title))

    def add_custom_scalars_marginchart(self, tags, category="default", title="untitled") -> None:
        """A custom-scalars layout with one margin chart (exactly 3 tags: value, lower, upper).

        Examples
        --------
        >>> writer.add_custom_scalars_marginchart(["acc", "acc_lo", "acc_hi"])  # doctest: +SKIP
        """
        self._put_layout(margin_chart_layout(tags, category, title))

    def add_custom_scalars(self, layout) -> None:
        """A custom-scalars layout ``{category: {chart: ['Multiline' | 'Margin', [tags]]}}`` (tag ``_custom_scalars_``).

        Examples
        --------
        >>> writer.add_custom_scalars({"loss": {"both": ["Multiline", ["loss/train", "loss/val"]]}})  # doctest: +SKIP
        """
        self._put_layout(encode_custom_scalars(layout))

    def _put_layout(self, layout: dict) -> None:
        self._put(CUSTOM_SCALARS_TAG, {"": json_to_array(layout)}, "custom_scalars", None, None)

    # ---------------------------------------------------------------------------------- mesh, hparams

    def add_mesh(
        self, tag, vertices, colors=None, faces=None, config_dict=None, global_step=None, walltime=None
    ) -> None:
        """A mesh or point cloud: parts ``vertices``, ``colors``, ``faces`` (``(B, N, 3)``), meta ``config``.

        Examples
        --------
        >>> writer.add_mesh("cloud", vertices=torch.rand(1, 100, 3))  # doctest: +SKIP
        """
        tag = _check_tag(tag)
        parts = encode_mesh(vertices, colors, faces)
        config = encode_mesh_config(config_dict)
        meta = None if config is None else {"config": config}
        self._put(tag, parts, "mesh", global_step, walltime, meta=meta)

    def add_hparams(
        self,
        hparam_dict,
        metric_dict,
        hparam_domain_discrete=None,
        run_name=None,
        global_step=None,
        *,
        name: str | None = None,
    ) -> None:
        """Hyperparameters and metrics in the sub-run ``<run>/<run_name or str(time.time())>``.

        The record (tag ``_hparams_``) holds ``{"hparams", "metrics", "domains"}``; each metric is also a
        scalar series of the sub-run, as in TensorBoard. ``name`` is tensorboardX's spelling of
        ``run_name``; tensorboardX's positional order ``(hparam_dict, metric_dict, name, global_step)`` is
        recognised by a string third argument.

        Examples
        --------
        >>> writer.add_hparams({"lr": 0.1, "opt": "adam"}, {"hparam/accuracy": 0.9})  # doctest: +SKIP
        """
        # tensorboardX binds add_hparams(hparam_dict, metric_dict, name, global_step)
        if isinstance(hparam_domain_discrete, str):
            name, hparam_domain_discrete = hparam_domain_discrete, None
            if run_name is not None and not isinstance(run_name, str):
                global_step, run_name = run_name, None
        if name is not None:
            if run_name is not None and run_name != name:
                raise ValueError(
                    f"pass run_name= or name= (tensorboardX), not both: got {run_name!r} and {name!r}"
                )
            run_name = name
        record = encode_hparams(hparam_dict, metric_dict, hparam_domain_discrete)
        if run_name is not None and not isinstance(run_name, str):
            raise TypeError(f"run_name must be a str or None, got {type(run_name).__name__} {run_name!r:.60}")
        sub = runs.hparams_run(self.run, run_name or str(time.time()))
        step = self._step(global_step)
        wall = self._wall(None)
        self._put(HPARAMS_TAG, {"": json_to_array(record)}, "hparams", step, wall, run=sub)
        db = self._db or self._open()
        for key, value in record["metrics"].items():
            db.append_scalar(sub, key, value, step, wall)

    # --------------------------------------------------------------------------------------- lifecycle

    def get_logdir(self):
        """The directory given as ``log_dir`` (or its default), as torch returns it."""
        return self.log_dir

    @property
    def logdir(self):
        """tensorboardX's name of :meth:`get_logdir`."""
        return self.log_dir

    # ------------------------------------------------------------------------- the protobuf route

    def _sink(self, run: str) -> FileWriter:
        sink = self._sinks.get(run)
        if sink is None:
            sub = run[len(self.run) + 1 :]
            log_dir = os.path.join(str(self.log_dir), sub) if sub else str(self.log_dir)
            sink = self._sinks[run] = FileWriter.bound(self, run, log_dir)
        return sink

    def _get_file_writer(self) -> FileWriter:
        """The ``FileWriter`` of this run (torch's and tensorboardX's private route, used by Lightning).

        Summaries and events given to its ``add_summary``/``add_event`` are decoded into this run; see
        :class:`ploteries.compat.file_writer.FileWriter`.

        Examples
        --------
        >>> from torch.utils.tensorboard.summary import hparams                   # doctest: +SKIP
        >>> for summary in hparams({"lr": 0.1}, {"hp_metric": -1}):               # doctest: +SKIP
        ...     writer._get_file_writer().add_summary(summary)
        """
        return self.file_writer

    @property
    def all_writers(self) -> dict[str, FileWriter]:
        """``{log_dir: FileWriter}`` of this run and of its ``add_scalars`` sub-runs, as torch keeps them."""
        for name in self._scalars_runs.values():
            self._sink(name)
        return {sink.get_logdir(): sink for sink in self._sinks.values()}

    def flush(self) -> None:
        """Commit everything logged so far: on return, readers (the viewer) see it."""
        self._write_pending()
        if self._db is not None:
            self._db.flush()

    def _write_pending(self) -> None:
        for sink in self._sinks.values():
            if sink._decoder is not None:
                sink._decoder.write_pending()

    def close(self) -> None:
        """Commit everything and leave a single file. Logging again later reopens the writer (as torch)."""
        self._write_pending()
        with self._open_lock:
            db, self._db, self._append_scalar = self._db, None, None
        if db is not None:
            db.close()

    def __enter__(self) -> SummaryWriter:
        return self

    def __exit__(self, exc_type, exc_val, exc_tb) -> None:
        self.close()

    # ------------------------------------------------------------------------------ tensorboardX extras

    @contextlib.contextmanager
    def use_metadata(self, *, global_step=None, walltime=None) -> Iterator[SummaryWriter]:
        """Default ``global_step`` and/or ``walltime`` for the calls inside the block (tensorboardX).

        Examples
        --------
        >>> with writer.use_metadata(global_step=10):       # doctest: +SKIP
        ...     writer.add_scalar("a", 1.0)                 # stored at step 10
        """
        if self._default_step is not None or self._default_walltime is not None:
            raise ValueError("use_metadata blocks cannot be nested: default metadata is already set")
        if global_step is None and walltime is None:
            raise ValueError("use_metadata needs global_step= or walltime= (or both)")
        step = None if global_step is None else self._step(global_step)
        wall = None if walltime is None else self._wall(walltime)
        self._default_step, self._default_walltime = step, wall
        try:
            yield self
        finally:
            self._default_step = self._default_walltime = None

    def export_scalars_to_json(self, path) -> None:
        """Write the ``add_scalars`` values logged since the last export as JSON, exactly as tensorboardX.

        ``{"<log_dir>/<main_tag>/<key>": [[wall_time, step, value], ...]}`` (``step`` is ``null`` when no
        ``global_step`` was given), then forget them (tensorboardX's behaviour). Everything stays in the
        database; ``ploteries export`` writes all of it.

        Examples
        --------
        >>> writer.add_scalars("loss", {"train": 0.3}, 1)                 # doctest: +SKIP
        >>> writer.export_scalars_to_json("scalars.json")                 # doctest: +SKIP
        """
        with open(path, "w") as f:
            json.dump(self.scalar_dict, f)
        self.scalar_dict = {}

    def __repr__(self) -> str:
        return f"<ploteries SummaryWriter run={self.run!r} database={str(self.database)!r}>"


class _Discard:
    """The database writer of ``SummaryWriter(write_to_disk=False)``: keeps nothing (tensorboardX's switch)."""

    def append_scalar(self, *args, **kwargs) -> None:
        pass

    append = append_many = set_meta = purge = append_scalar

    def flush(self) -> None:
        pass

    close = flush
