"""Images as TensorBoard prepares them: ``uint8`` HWC after its layout, channel, scaling and grid rules.

Follows ``torch.utils.tensorboard`` (``convert_to_HWC``, ``make_grid``, ``image``, ``image_boxes``,
``figure_to_image``) so that the stored pixels are the pixels TensorBoard would encode in its PNG.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from ploteries.compat.tensors import to_numpy

__all__ = [
    "convert_to_hwc",
    "encode_boxes",
    "encode_box_labels",
    "encode_figure",
    "encode_image",
    "encode_images",
    "figure_to_image",
    "make_grid",
]


def make_grid(images: np.ndarray, ncols: int = 8) -> np.ndarray:
    """Tile an ``(N, C, H, W)`` batch into one ``(C, H*rows, W*cols)`` image, row by row, zero padded.

    One channel is tripled to RGB; 3 (RGB) and 4 (RGBA, an extension over torch) channels are kept.
    ``ncols`` is capped at ``N``, as in torch's ``make_grid``.

    Examples
    --------
    >>> make_grid(np.ones((3, 1, 2, 2)), ncols=2).shape
    (3, 4, 4)
    """
    if images.ndim != 4:
        raise ValueError(f"img_tensor must be 4-D (N, C, H, W) to be tiled, got shape {images.shape}")
    if images.shape[1] == 1:
        images = np.concatenate([images, images, images], 1)
    if images.shape[1] not in (3, 4):
        raise ValueError(
            f"img_tensor batch must have 1, 3 or 4 channels, got {images.shape[1]} (shape {images.shape} as NCHW); "
            "check dataformats"
        )
    nimg, channels, height, width = images.shape
    if nimg == 0:
        raise ValueError("img_tensor batch is empty (N = 0); pass at least one image")
    ncols = min(nimg, ncols)
    nrows = int(np.ceil(float(nimg) / ncols))
    canvas = np.zeros((channels, height * nrows, width * ncols), dtype=images.dtype)
    for i in range(nimg):
        y, x = divmod(i, ncols)
        canvas[:, y * height : (y + 1) * height, x * width : (x + 1) * width] = images[i]
    return canvas


def _check_dataformats(dataformats: Any, shape: tuple[int, ...]) -> str:
    if not isinstance(dataformats, str):
        raise TypeError(f"dataformats must be a str such as 'CHW', got {dataformats!r}")
    fmt = dataformats.upper()
    if len(set(fmt)) != len(fmt):
        raise ValueError(
            f"dataformats={dataformats!r} uses the same dimension shorthand twice; use each of N, C, H, W once"
        )
    if len(fmt) != len(shape):
        raise ValueError(
            f"dataformats={dataformats!r} has {len(fmt)} letters but img_tensor has shape {shape} "
            f"({len(shape)} dimensions); give one letter per dimension"
        )
    expected = {2: "HW", 3: "CHW", 4: "NCHW"}.get(len(fmt))
    if expected is None or set(fmt) != set(expected):
        raise ValueError(
            f"dataformats={dataformats!r} must be a permutation of 'HW', 'CHW'/'HWC' or 'NCHW'/'NHWC', "
            f"got {dataformats!r} for shape {shape}"
        )
    return fmt


def convert_to_hwc(tensor: np.ndarray, dataformats: str) -> np.ndarray:
    """Reorder an image array to ``(H, W, C)`` as torch's ``convert_to_HWC`` does (no scaling).

    ``HW`` gives 3 channels, 1 channel is tripled, 4-D batches are tiled with :func:`make_grid`.

    Examples
    --------
    >>> convert_to_hwc(np.zeros((1, 4, 5)), "CHW").shape
    (4, 5, 3)
    """
    fmt = _check_dataformats(dataformats, tensor.shape)
    if len(fmt) == 4:
        grid = make_grid(tensor.transpose([fmt.find(c) for c in "NCHW"]))
        return grid.transpose(1, 2, 0)
    if len(fmt) == 3:
        hwc = tensor.transpose([fmt.find(c) for c in "HWC"])
        if hwc.shape[2] == 1:
            hwc = np.concatenate([hwc, hwc, hwc], 2)
        return hwc
    hw = tensor.transpose([fmt.find(c) for c in "HW"])
    return np.stack([hw, hw, hw], 2)


def _to_uint8(hwc: np.ndarray) -> np.ndarray:
    scale_factor = 1 if hwc.dtype == np.uint8 else 255
    with np.errstate(invalid="ignore"):
        return (hwc.astype(np.float32) * scale_factor).clip(0, 255).astype(np.uint8)


def _resize(hwc: np.ndarray, rescale: float) -> np.ndarray:
    if rescale == 1:
        return hwc
    from PIL import Image

    height, width, _ = hwc.shape
    size = (int(width * rescale), int(height * rescale))
    if size[0] < 1 or size[1] < 1:
        raise ValueError(
            f"rescale={rescale} shrinks the {height}x{width} image to nothing; use a larger rescale"
        )
    return np.asarray(Image.fromarray(hwc).resize(size, Image.Resampling.LANCZOS))


def encode_image(img: Any, dataformats: str = "CHW", *, rescale: float = 1) -> np.ndarray:
    """Convert an image (or a batch, tiled into a grid) to ``uint8`` ``(H, W, C)``, C in {3, 4}.

    TensorBoard's rules: ``uint8`` input is kept, any other dtype is multiplied by 255 (in float32), then
    clipped to [0, 255] and truncated (so an ``int64`` image of 100 becomes 255, as in TensorBoard).
    ``HW`` and one-channel images become RGB; 4-D batches are tiled with ``ncols = min(N, 8)``.

    Parameters
    ----------
    img : array-like or torch.Tensor
        The image, laid out as ``dataformats`` says.
    dataformats : str
        ``'CHW'``, ``'HWC'``, ``'HW'``, ``'NCHW'``, ``'NHWC'`` or another permutation.
    rescale : float
        Resize factor applied with PIL's LANCZOS filter (used by ``add_image_with_boxes``).

    Examples
    --------
    >>> encode_image(np.full((1, 2, 2), 0.5)).tolist()[0][0]
    [127, 127, 127]
    """
    arr = to_numpy(img, "img_tensor", numeric=True)
    hwc = convert_to_hwc(arr, dataformats)
    if hwc.shape[2] not in (3, 4):
        raise ValueError(
            f"img_tensor must have 1, 3 or 4 channels, got {hwc.shape[2]} (shape {arr.shape} with "
            f"dataformats={dataformats!r}); check dataformats"
        )
    if hwc.shape[0] == 0 or hwc.shape[1] == 0:
        raise ValueError(f"img_tensor has no pixels (shape {arr.shape}); pass a non-empty image")
    return _resize(_to_uint8(hwc), rescale)


def encode_images(imgs: Any, dataformats: str = "NCHW") -> np.ndarray:
    """:func:`encode_image` with ``add_images``' default layout ``'NCHW'``: the batch becomes one grid image.

    Examples
    --------
    >>> encode_images(np.zeros((10, 3, 4, 4))).shape  # 8 columns, 2 rows
    (8, 32, 3)
    """
    return encode_image(imgs, dataformats)


def encode_boxes(box_tensor: Any, rescale: float = 1) -> np.ndarray:
    """Boxes ``(N, 4)`` in xyxy pixel coordinates of the stored (rescaled) image, as float64.

    TensorBoard draws the boxes and then resizes the image by ``rescale``; storing ``boxes * rescale``
    keeps them on the same pixels. A single box of shape ``(4,)`` is accepted.

    Examples
    --------
    >>> encode_boxes([[1, 2, 3, 4]], rescale=2).tolist()
    [[2.0, 4.0, 6.0, 8.0]]
    """
    boxes = to_numpy(box_tensor, "box_tensor", numeric=True).astype(np.float64)
    if boxes.shape == (4,):
        boxes = boxes.reshape(1, 4)
    if boxes.ndim != 2 or boxes.shape[1] != 4:
        raise ValueError(
            f"box_tensor must have shape (N, 4) with xmin, ymin, xmax, ymax per row, got shape {boxes.shape}"
        )
    return boxes * float(rescale)


def encode_box_labels(labels: str | Sequence[Any] | None, num_boxes: int) -> list[str] | None:
    """Labels for the boxes, or None. A single string is one label; a count other than ``num_boxes``
    drops them all (TensorBoard does so silently; ploteries also warns).

    Examples
    --------
    >>> encode_box_labels("cat", 1)
    ['cat']
    """
    if labels is None:
        return None
    if isinstance(labels, str):
        labels = [labels]
    labels = list(labels)
    if len(labels) != num_boxes:
        warnings.warn(
            f"labels has {len(labels)} entries for {num_boxes} boxes; labels dropped (as TensorBoard does). "
            "Give one label per box.",
            UserWarning,
            stacklevel=2,
        )
        return None
    return [str(label) for label in labels]


def _matplotlib() -> tuple[Any, Any]:
    try:
        import matplotlib.backends.backend_agg as backend_agg
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError(
            "add_figure/figure_to_image needs matplotlib: pip install matplotlib (or ploteries[figures])"
        ) from None
    return plt, backend_agg


def figure_to_image(figure: Any, close: bool = True) -> np.ndarray:
    """Render matplotlib figure(s) with the Agg backend, as torch's ``figure_to_image``.

    Returns
    -------
    numpy.ndarray
        ``uint8`` ``(3, H, W)`` for one figure, ``(N, 3, H, W)`` for a list (figures must share a size).

    Examples
    --------
    >>> import matplotlib.figure
    >>> figure_to_image(matplotlib.figure.Figure(figsize=(1, 1), dpi=10)).shape
    (3, 10, 10)
    """
    plt, backend_agg = _matplotlib()

    def render(fig: Any) -> np.ndarray:
        if not hasattr(fig, "canvas") or not hasattr(fig, "savefig"):
            raise TypeError(f"figure must be a matplotlib Figure or a list of them, got {type(fig).__name__}")
        canvas = backend_agg.FigureCanvasAgg(fig)
        canvas.draw()
        data = np.frombuffer(canvas.buffer_rgba(), dtype=np.uint8)
        w, h = fig.canvas.get_width_height()
        chw = np.moveaxis(data.reshape([h, w, 4])[:, :, 0:3], source=2, destination=0)
        if close:
            plt.close(fig)
        return chw

    if isinstance(figure, list):
        images = [render(fig) for fig in figure]
        if len({im.shape for im in images}) > 1:
            raise ValueError(
                f"figure list must share one size, got {sorted({im.shape for im in images})}; "
                "use the same figsize and dpi"
            )
        return np.stack(images)
    return render(figure)


def encode_figure(figure: Any, close: bool = True) -> np.ndarray:
    """Render matplotlib figure(s) to the stored ``uint8`` ``(H, W, 3)`` image (a list is tiled as a batch).

    Examples
    --------
    >>> import matplotlib.figure
    >>> encode_figure([matplotlib.figure.Figure(figsize=(1, 1), dpi=10)] * 2).shape
    (10, 20, 3)
    """
    images = figure_to_image(figure, close)
    return encode_image(images, "NCHW" if isinstance(figure, list) else "CHW")
