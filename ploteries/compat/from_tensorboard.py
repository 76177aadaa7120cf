"""TensorBoard summaries as ploteries records (the inverse of the encoders, for import and parity checks).

Each function takes what a TensorBoard log holds (a ``Summary.Value`` proto, PNG or WAV bytes, plugin
content) and returns ``{part: numpy value}`` in the layout of docs/kinds.md. The protos come from the
``tensorboard`` package, imported only when a function needs it; :func:`require_tensorboard` gives a clear
error when it is missing.
"""

from __future__ import annotations

import dataclasses
import io
import wave
from typing import Any

import numpy as np

from ploteries.compat.histogram import encode_histogram_raw
from ploteries.storage.kinds import CUSTOM_SCALARS_TAG, HPARAMS_TAG
from ploteries.storage.schema import json_to_array, text_to_array

__all__ = [
    "Converted",
    "audio_parts",
    "convert_value",
    "decode_image",
    "hparams_content",
    "histogram_parts",
    "layout_to_dict",
    "require_tensorboard",
    "text_tag",
]

TEXT_SUFFIX = "/text_summary"
CUSTOM_SCALARS_TB_TAG = "custom_scalars__config__"
_MESH_PARTS = {1: ("vertices", np.float32), 2: ("faces", np.int32), 3: ("colors", np.uint8)}


def require_tensorboard():
    """Import ``tensorboard`` or raise an ``ImportError`` that says how to install it."""
    try:
        import tensorboard  # noqa: F401
        from tensorboard.compat.proto import event_pb2
    except ImportError:
        raise ImportError(
            "reading TensorBoard logs needs the tensorboard package (its compiled protos): "
            "pip install tensorboard"
        ) from None
    return event_pb2


@dataclasses.dataclass
class Converted:
    """One logged object: where it goes (tag, kind) and its parts."""

    tag: str
    kind: str
    parts: dict[str, np.ndarray]
    meta: dict | None = None


def text_tag(tag: str) -> str:
    """torch's text summaries live under ``<tag>/text_summary``; ploteries keeps ``<tag>``.

    Examples
    --------
    >>> text_tag("notes/text_summary"), text_tag("notes")
    ('notes', 'notes')
    """
    return tag[: -len(TEXT_SUFFIX)] if tag.endswith(TEXT_SUFFIX) else tag


def histogram_parts(min, max, num, sum, sum_squares, bucket_limit, bucket) -> dict[str, np.ndarray]:  # noqa: A002
    """A ``HistogramProto``'s fields as the ``""`` (buckets) and ``"stats"`` parts.

    Examples
    --------
    >>> histogram_parts(0.0, 2.0, 3, 3.0, 5.0, [1.0, 2.0], [1.0, 2.0])[""]["left"].tolist()
    [0.0, 1.0]
    """
    buckets, stats = encode_histogram_raw(min, max, num, sum, sum_squares, list(bucket_limit), list(bucket))
    return {"": buckets, "stats": stats}


def decode_image(encoded: bytes) -> tuple[str, np.ndarray]:
    """Decode TensorBoard's PNG (kind ``image``, ``uint8`` HWC) or animated GIF (kind ``video``, THWC).

    Grey and palette images become RGB; RGBA is kept.

    Examples
    --------
    >>> from PIL import Image
    >>> buf = io.BytesIO(); Image.new("RGB", (3, 2)).save(buf, "PNG")
    >>> kind, pixels = decode_image(buf.getvalue()); kind, pixels.shape
    ('image', (2, 3, 3))
    """
    from PIL import Image, ImageSequence

    img = Image.open(io.BytesIO(encoded))
    if img.format == "GIF":
        frames = [np.asarray(f.convert("RGB")) for f in ImageSequence.Iterator(img)]
        return "video", np.stack(frames)
    if img.mode not in ("RGB", "RGBA"):
        img = img.convert("RGBA" if "A" in img.mode or "transparency" in img.info else "RGB")
    return "image", np.asarray(img)


def audio_parts(encoded: bytes, sample_rate: float) -> dict[str, np.ndarray]:
    """TensorBoard's 16-bit WAV as float32 samples in [-1, 1] (``int16 / 32767``), mono (first channel).

    Examples
    --------
    >>> buf = io.BytesIO()
    >>> with wave.open(buf, "wb") as w:
    ...     w.setnchannels(1); w.setsampwidth(2); w.setframerate(8000)
    ...     w.writeframes(np.array([0, 32767], "<i2").tobytes())
    >>> audio_parts(buf.getvalue(), 8000)[""].tolist()
    [0.0, 1.0]
    """
    with wave.open(io.BytesIO(encoded), "rb") as w:
        channels, width, frames = w.getnchannels(), w.getsampwidth(), w.readframes(w.getnframes())
    if width != 2:
        raise ValueError(f"audio: only 16-bit WAV is supported, got {8 * width}-bit samples")
    samples = np.frombuffer(frames, "<i2").reshape(-1, channels)[:, 0]
    return {"": (samples / 32767.0).astype(np.float32), "sample_rate": np.float64(sample_rate)}


def layout_to_dict(layout: Any) -> dict[str, dict[str, list]]:
    """A custom scalars ``Layout`` proto (or its bytes) as ``{category: {chart: [type, tags]}}``.

    Examples
    --------
    >>> from tensorboard.plugins.custom_scalar import layout_pb2                      # doctest: +SKIP
    >>> layout_to_dict(layout_pb2.Layout())                                            # doctest: +SKIP
    {}
    """
    if isinstance(layout, bytes):
        from tensorboard.plugins.custom_scalar import layout_pb2

        layout = layout_pb2.Layout.FromString(layout)
    out: dict[str, dict[str, list]] = {}
    for category in layout.category:
        charts = out.setdefault(category.title, {})
        for chart in category.chart:
            if chart.WhichOneof("content") == "margin":
                s = chart.margin.series[0]
                charts[chart.title] = ["Margin", [s.value, s.lower, s.upper]]
            else:
                charts[chart.title] = ["Multiline", list(chart.multiline.tag)]
    return out


def hparams_content(content: bytes) -> dict[str, Any]:
    """What one hparams plugin summary adds to the ``{"hparams", "metrics", "domains"}`` record.

    ``session_start_info`` gives hyperparameter values (bools as 1.0/0.0, as torch writes them),
    ``experiment`` gives metric names (values: ``None`` until taken from the run's scalars) and discrete
    domains; ``session_end_info`` gives nothing.
    """
    from tensorboard.plugins.hparams import plugin_data_pb2

    data = plugin_data_pb2.HParamsPluginData.FromString(content)
    which = data.WhichOneof("data")
    if which == "session_start_info":
        return {"hparams": {k: _struct_value(v) for k, v in data.session_start_info.hparams.items()}}
    if which == "experiment":
        exp = data.experiment
        domains = {
            h.name: [_struct_value(v) for v in h.domain_discrete.values]
            for h in exp.hparam_infos
            if h.HasField("domain_discrete")
        }
        return {"metrics": {m.name.tag: None for m in exp.metric_infos}, "domains": domains}
    return {}


def _struct_value(value: Any) -> float | str:
    kind = value.WhichOneof("kind")
    if kind == "string_value":
        return value.string_value
    if kind == "bool_value":
        return float(value.bool_value)
    return float(value.number_value)


def _tensor_array(tensor: Any) -> np.ndarray:
    from tensorboard.util import tensor_util

    return tensor_util.make_ndarray(tensor)


def _mesh(value: Any, content: bytes) -> Converted:
    from tensorboard.plugins.mesh import plugin_data_pb2

    data = plugin_data_pb2.MeshPluginData.FromString(content)
    part, dtype = _MESH_PARTS[data.content_type]
    array = _tensor_array(value.tensor).astype(dtype)
    meta = None
    if data.json_config and data.json_config != "{}":
        import json

        meta = {"config": json.loads(data.json_config)}
    return Converted(data.name, "mesh", {part: array}, meta)


def convert_value(value: Any, plugin_name: str, content: bytes = b"") -> Converted | None:
    """One ``Summary.Value`` as ploteries records, or None for what ploteries does not import.

    ``plugin_name`` and ``content`` are the value's plugin metadata (the first value of a tag carries
    it; pass what was seen first for the tag). hparams records are partial: see :func:`hparams_content`.
    """
    field = value.WhichOneof("value")
    tag = value.tag
    if plugin_name == "hparams":
        return Converted(HPARAMS_TAG, "hparams", {}, hparams_content(content))
    if field == "simple_value":
        return Converted(tag, "scalar", {"": np.float64(value.simple_value)})
    if field == "histo":
        h = value.histo
        parts = histogram_parts(h.min, h.max, h.num, h.sum, h.sum_squares, h.bucket_limit, h.bucket)
        return Converted(tag, "histogram", parts)
    if field == "image":
        if not value.image.encoded_image_string:
            return None  # torch writes an empty image when add_video lacks moviepy
        kind, pixels = decode_image(value.image.encoded_image_string)
        return Converted(tag, kind, {"": pixels})
    if field == "audio":
        return Converted(tag, "audio", audio_parts(value.audio.encoded_audio_string, value.audio.sample_rate))
    if field != "tensor":
        return None
    if plugin_name == "text":
        texts = _tensor_array(value.tensor).reshape(-1)
        text = "\n\n".join(t.decode("utf-8") if isinstance(t, bytes) else str(t) for t in texts)
        return Converted(text_tag(tag), "text", {"": text_to_array(text)})
    if plugin_name == "custom_scalars":
        layout = layout_to_dict(value.tensor.string_val[0])
        return Converted(CUSTOM_SCALARS_TAG, "custom_scalars", {"": json_to_array(layout)})
    if plugin_name == "mesh":
        return _mesh(value, content)
    array = _tensor_array(value.tensor)
    if plugin_name == "scalars":
        return Converted(tag, "scalar", {"": np.float64(array.reshape(()))})
    if plugin_name == "pr_curves":
        return Converted(tag, "pr_curve", {"": array.astype(np.float64)})
    if array.dtype == object:  # string tensors of other plugins
        return None
    return Converted(tag, "tensor", {"": array})
