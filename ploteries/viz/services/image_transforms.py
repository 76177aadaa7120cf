"""Image transforms a figure definition declares and the viewer applies when it serves an image.

A definition's ``options`` may hold ``{"transform": {...}}`` with any of (applied in this order):

- ``"crop": [x0, y0, x1, y1]`` -- keep pixels ``x0 <= x < x1``, ``y0 <= y < y1`` (clipped to the image);
- ``"normalize": true`` -- stretch the colour channels' min..max to 0..255 (alpha untouched);
- ``"colormap": "viridis"`` -- map grey levels (the luminance of colour images) through a colour map;
- ``"resize": [w, h]`` -- resample to ``w`` x ``h`` pixels (area averaging: exact for integer up-scaling,
  mean-preserving down-scaling), at most :data:`MAX_PIXELS` in all.

Everything here is numpy on ``uint8`` ``(H, W, C)`` arrays, ``C`` in 3 or 4, as images are stored.
Boxes drawn over an image go through :func:`transform_boxes` so they stay on the pixels they mark.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping

import numpy as np

__all__ = [
    "COLORMAPS",
    "MAX_PIXELS",
    "MAX_SIDE",
    "ImageTransform",
    "apply_transform",
    "colormap",
    "crop",
    "crop_window",
    "normalize",
    "parse_transform",
    "resize",
    "check_size",
    "transform_boxes",
    "transformed_size",
]

MAX_SIDE = 8192
"""Largest width or height ``resize`` may ask for."""
MAX_PIXELS = 4096 * 4096
"""Most pixels ``resize`` may ask for in all: an RGBA result is 64 MiB at most, and resizing (in ``uint8``,
channel by channel) needs about as much again."""

_STOPS = {
    "viridis": "440154 482878 3e4989 31688e 26828e 1f9e89 35b779 6ece58 b5de2b fde725",
    "magma": "000004 180f3d 440f76 721f81 9e2f7f cd4071 f1605d fd9668 feca8d fcfdbf",
    "inferno": "000004 1b0c41 4a0c6b 781c6d a52c60 cf4446 ed6925 fb9b06 f7d13d fcffa4",
    "plasma": "0d0887 46039f 7201a8 9c179e bd3786 d8576b ed7953 fb9f3a fdca26 f0f921",
    "cividis": "00224e 123570 3b496c 575d6d 707173 8a8678 a59c74 c3b369 e1cc55 fee838",
    "turbo": "30123b 4145ab 4675ed 39a2fc 1bcfd4 24eca6 61fc6c a4fc3b d1e834 f3c63a fe9b2d f36315 d93806 b11901 7a0402",
    "gray": "000000 ffffff",
}


def _lut(stops: str) -> np.ndarray:
    """A 256 x 3 ``uint8`` table interpolated linearly between evenly spaced hex colours."""
    rgb = np.array([[int(h[i : i + 2], 16) for i in (0, 2, 4)] for h in stops.split()], np.float64)
    at = np.linspace(0.0, 1.0, len(rgb))
    x = np.linspace(0.0, 1.0, 256)
    return np.round(np.stack([np.interp(x, at, rgb[:, c]) for c in range(3)], axis=1)).astype(np.uint8)


COLORMAPS: dict[str, np.ndarray] = {name: _lut(stops) for name, stops in _STOPS.items()}
COLORMAPS["grey"] = COLORMAPS["gray"]
"""Colour maps by name: 256 x 3 ``uint8`` lookup tables."""


@dataclasses.dataclass(frozen=True)
class ImageTransform:
    """A validated transform (see :func:`parse_transform`); the identity when every field is unset."""

    crop: tuple[int, int, int, int] | None = None
    normalize: bool = False
    colormap: str | None = None
    resize: tuple[int, int] | None = None

    @property
    def identity(self) -> bool:
        return self == ImageTransform()

    def to_json(self) -> dict:
        """The transform as the JSON object a definition holds (unset fields left out)."""
        out: dict = {}
        if self.crop is not None:
            out["crop"] = list(self.crop)
        if self.normalize:
            out["normalize"] = True
        if self.colormap is not None:
            out["colormap"] = self.colormap
        if self.resize is not None:
            out["resize"] = list(self.resize)
        return out


def _ints(value, n: int, name: str, example: str) -> tuple[int, ...]:
    ok = isinstance(value, (list, tuple)) and len(value) == n
    ok = ok and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
    ok = ok and all(math.isfinite(v) and float(v) == int(v) for v in value)
    if not ok:
        raise ValueError(
            f"transform {name} must be a list of {n} whole numbers like {example}, got {value!r:.80}"
        )
    return tuple(int(v) for v in value)


def parse_transform(spec) -> ImageTransform:
    """Validate a definition's ``options["transform"]`` (None or ``{}`` is the identity).

    Raises ``ValueError`` naming the field, the value and what it should be.

    Examples
    --------
    >>> parse_transform({"crop": [0, 0, 8, 4], "colormap": "viridis"})
    ImageTransform(crop=(0, 0, 8, 4), normalize=False, colormap='viridis', resize=None)
    >>> parse_transform({"resize": [0, 4]})
    Traceback (most recent call last):
    ...
    ValueError: transform resize must be [width, height] between 1 and 8192 pixels, got [0, 4]
    """
    if spec is None:
        return ImageTransform()
    if not isinstance(spec, Mapping):
        raise ValueError(f"transform must be an object like {{'crop': [x0, y0, x1, y1]}}, got {spec!r:.80}")
    unknown = sorted(set(spec) - {"crop", "resize", "normalize", "colormap"})
    if unknown:
        raise ValueError(f"transform has unknown keys {unknown}; known: crop, resize, normalize, colormap")
    crop_box = None
    if spec.get("crop") is not None:
        x0, y0, x1, y1 = _ints(spec["crop"], 4, "crop", "[x0, y0, x1, y1]")
        if not (0 <= x0 < x1 and 0 <= y0 < y1):
            raise ValueError(
                f"transform crop must be [x0, y0, x1, y1] with 0 <= x0 < x1 and 0 <= y0 < y1, got {list(spec['crop'])}"
            )
        crop_box = (x0, y0, x1, y1)
    size = None
    if spec.get("resize") is not None:
        size = _ints(spec["resize"], 2, "resize", "[width, height]")
        check_size(*size)
    norm = spec.get("normalize", False)
    if not isinstance(norm, bool):
        raise ValueError(f"transform normalize must be true or false, got {norm!r:.40}")
    cmap = spec.get("colormap")
    if cmap is not None and (not isinstance(cmap, str) or cmap.lower() not in COLORMAPS):
        raise ValueError(f"transform colormap must be one of {sorted(COLORMAPS)}, got {cmap!r:.40}")
    return ImageTransform(crop_box, norm, None if cmap is None else cmap.lower(), size)


def crop_window(width: int, height: int, box: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    """``box`` clipped to a ``width`` x ``height`` image; ValueError if nothing of the image is left.

    Examples
    --------
    >>> crop_window(10, 10, (2, 3, 50, 8))
    (2, 3, 10, 8)
    """
    x0, y0, x1, y1 = box
    cx0, cy0, cx1, cy1 = min(x0, width), min(y0, height), min(x1, width), min(y1, height)
    if cx0 >= cx1 or cy0 >= cy1:
        raise ValueError(f"transform crop {list(box)} is outside the {width}x{height} image")
    return cx0, cy0, cx1, cy1


def crop(hwc: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """Pixels ``x0 <= x < x1``, ``y0 <= y < y1`` of an image (the box clipped to it).

    Examples
    --------
    >>> crop(np.arange(16, dtype=np.uint8).reshape(4, 4, 1), (1, 2, 3, 4))[..., 0].tolist()
    [[9, 10], [13, 14]]
    """
    x0, y0, x1, y1 = crop_window(hwc.shape[1], hwc.shape[0], box)
    return hwc[y0:y1, x0:x1]


def _colour_channels(hwc: np.ndarray) -> int:
    return 3 if hwc.shape[2] >= 3 else hwc.shape[2]


def normalize(hwc: np.ndarray) -> np.ndarray:
    """Colour channels stretched so that their min becomes 0 and their max 255 (alpha kept).

    A flat image (min == max) is returned unchanged: there is no contrast to stretch.

    Examples
    --------
    >>> normalize(np.array([[[10, 10, 10], [20, 30, 60]]], np.uint8))[0].tolist()
    [[0, 0, 0], [51, 102, 255]]
    """
    n = _colour_channels(hwc)
    colour = hwc[..., :n]
    lo, hi = int(colour.min(initial=255)), int(colour.max(initial=0))
    if hi <= lo:
        return hwc.copy()
    out = hwc.copy()
    scaled = (colour.astype(np.float32) - lo) * np.float32(255.0 / (hi - lo))
    out[..., :n] = np.clip(np.round(scaled), 0, 255).astype(np.uint8)
    return out


def _grey(hwc: np.ndarray) -> np.ndarray:
    """Grey levels of an image: the channel itself where R == G == B, else Rec. 601 luma."""
    if hwc.shape[2] < 3:
        return hwc[..., 0]
    rgb = hwc[..., :3]
    if np.array_equal(rgb[..., 0], rgb[..., 1]) and np.array_equal(rgb[..., 0], rgb[..., 2]):
        return rgb[..., 0]
    luma = rgb.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
    return np.clip(np.round(luma), 0, 255).astype(np.uint8)


def colormap(hwc: np.ndarray, name: str) -> np.ndarray:
    """Grey levels (the luminance of a colour image) mapped through colour map ``name``; alpha is kept.

    Examples
    --------
    >>> img = np.array([[[0, 0, 0], [255, 255, 255]]], np.uint8)
    >>> colormap(img, "viridis")[0].tolist()
    [[68, 1, 84], [253, 231, 37]]
    """
    lut = COLORMAPS.get(name.lower()) if isinstance(name, str) else None
    if lut is None:
        raise ValueError(f"colormap must be one of {sorted(COLORMAPS)}, got {name!r}")
    mapped = lut[_grey(hwc)]
    if hwc.shape[2] == 4:
        return np.concatenate([mapped, hwc[..., 3:]], axis=2)
    return mapped


def resize(hwc: np.ndarray, width: int, height: int) -> np.ndarray:
    """An image resampled to ``width`` x ``height`` by area averaging (integer up-scaling repeats pixels).

    Examples
    --------
    >>> resize(np.array([[[0], [200]]], np.uint8), 4, 1)[..., 0].tolist()
    [[0, 0, 200, 200]]
    >>> resize(np.array([[[0], [200], [100], [100]]], np.uint8), 2, 1)[..., 0].tolist()
    [[100, 100]]
    """
    check_size(width, height)
    if hwc.shape[1] == width and hwc.shape[0] == height:
        return hwc.copy()
    out = np.empty((height, width, hwc.shape[2]), np.uint8)
    rows_first = height * hwc.shape[1] <= hwc.shape[0] * width  # the smaller intermediate first
    for c in range(hwc.shape[2]):
        plane = hwc[..., c]
        if rows_first:
            plane = _area_rows(_area_rows(plane, height).T, width).T
        else:
            plane = _area_rows(_area_rows(plane.T, width).T, height)
        np.clip(np.round(plane, out=plane), 0, 255, out=plane)  # in place: one float32 plane at a time
        out[..., c] = plane
    return out


def _area_rows(a: np.ndarray, n_out: int) -> np.ndarray:
    """``(n_in, m)`` -> ``(n_out, m)`` ``float32``: each output row the mean of the input over its span.

    The span of output row ``k`` is ``[k, k + 1) * n_in / n_out`` (fractional ends weigh in proportion). Worked
    in blocks of columns so that the ``float64`` temporaries stay below :data:`_BLOCK` elements each.
    """
    n_in, m = a.shape
    if n_out % n_in == 0:  # the same or a whole multiple: each row repeated, exactly
        return np.repeat(a.astype(np.float32), n_out // n_in, axis=0)
    edges = np.arange(n_out + 1, dtype=np.float64) * (n_in / n_out)
    first = np.minimum(np.floor(edges).astype(np.int64), n_in - 1)
    frac = (edges - first)[:, None]
    width = np.diff(edges)[:, None]
    out = np.empty((n_out, m), np.float32)
    step = max(1, _BLOCK // (n_in + n_out + 1))
    for j in range(0, m, step):
        block = a[:, j : j + step].astype(np.float64)
        cum = np.zeros((n_in + 1, block.shape[1]))
        np.cumsum(block, axis=0, out=cum[1:])
        integral = cum[first] + frac * block[first]  # the sum of the input over [0, edge)
        out[:, j : j + step] = np.diff(integral, axis=0) / width
    return out


_BLOCK = 1 << 20


def check_size(width: int, height: int) -> None:
    """Refuse an output size beyond :data:`MAX_SIDE` per side or :data:`MAX_PIXELS` in all (ValueError).

    Examples
    --------
    >>> check_size(8192, 8192)
    Traceback (most recent call last):
    ...
    ValueError: transform resize [8192, 8192] is 67108864 pixels; at most 16777216 (4096 x 4096) are served
    """
    if not (1 <= width <= MAX_SIDE and 1 <= height <= MAX_SIDE):
        raise ValueError(
            f"transform resize must be [width, height] between 1 and {MAX_SIDE} pixels, got {[width, height]}"
        )
    if width * height > MAX_PIXELS:
        raise ValueError(
            f"transform resize {[width, height]} is {width * height} pixels; at most {MAX_PIXELS} "
            f"({math.isqrt(MAX_PIXELS)} x {math.isqrt(MAX_PIXELS)}) are served"
        )


def transformed_size(width: int, height: int, transform: ImageTransform) -> tuple[int, int]:
    """``(width, height)`` of an image after ``transform``.

    Examples
    --------
    >>> transformed_size(28, 28, ImageTransform(crop=(4, 4, 20, 12)))
    (16, 8)
    """
    if transform.crop is not None:
        x0, y0, x1, y1 = crop_window(width, height, transform.crop)
        width, height = x1 - x0, y1 - y0
    if transform.resize is not None:
        width, height = transform.resize
    return width, height


def apply_transform(hwc: np.ndarray, transform: ImageTransform) -> np.ndarray:
    """An image after ``transform``: crop, normalize, colour map, resize (a new ``uint8`` array).

    Examples
    --------
    >>> img = np.arange(12, dtype=np.uint8).reshape(2, 2, 3)
    >>> apply_transform(img, ImageTransform(crop=(1, 0, 2, 2), resize=(2, 2))).shape
    (2, 2, 3)
    """
    if hwc.dtype != np.uint8 or hwc.ndim != 3 or hwc.shape[2] not in (1, 3, 4):
        raise ValueError(f"images are uint8 (H, W, C) with C in 1, 3, 4; got {hwc.dtype} {hwc.shape}")
    out = hwc
    if transform.crop is not None:
        out = crop(out, transform.crop)
    if transform.normalize:
        out = normalize(out)
    if transform.colormap is not None:
        out = colormap(out, transform.colormap)
    if transform.resize is not None:
        out = resize(out, *transform.resize)
    return np.ascontiguousarray(out) if out is not hwc else hwc.copy()


def transform_boxes(
    boxes: np.ndarray, width: int, height: int, transform: ImageTransform
) -> tuple[np.ndarray, np.ndarray]:
    """xyxy boxes on a ``width`` x ``height`` image, moved onto the transformed image.

    Returns the boxes in the new image's pixels (clipped to it) and a mask of the boxes still visible
    (a box the crop removes entirely is dropped by the caller).

    Examples
    --------
    >>> b, keep = transform_boxes(np.array([[2., 2., 6., 6.], [0., 0., 1., 1.]]), 8, 8,
    ...                           ImageTransform(crop=(2, 2, 8, 8), resize=(12, 12)))
    >>> b[keep].tolist(), keep.tolist()
    ([[0.0, 0.0, 8.0, 8.0]], [True, False])
    """
    b = np.asarray(boxes, np.float64).reshape(-1, 4).copy()
    b[:, [0, 2]] = np.sort(b[:, [0, 2]], axis=1)  # boxes given as x1, y1, x0, y0 still mark their pixels
    b[:, [1, 3]] = np.sort(b[:, [1, 3]], axis=1)
    w, h = float(width), float(height)
    if transform.crop is not None:
        x0, y0, x1, y1 = crop_window(width, height, transform.crop)
        b -= [x0, y0, x0, y0]
        w, h = float(x1 - x0), float(y1 - y0)
    b[:, [0, 2]] = np.clip(b[:, [0, 2]], 0.0, w)
    b[:, [1, 3]] = np.clip(b[:, [1, 3]], 0.0, h)
    keep = (b[:, 2] > b[:, 0]) & (b[:, 3] > b[:, 1])
    if transform.resize is not None:
        nw, nh = transform.resize
        b *= [nw / w, nh / h, nw / w, nh / h]
    return b, keep
