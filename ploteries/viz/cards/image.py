"""The image card: one block per run at the card's step, served as PNG, with boxes drawn over it.

- Pixels come from ``/media/image/...`` (stored pixels, or the media file, PNG-encoded on request with the
  definition's transform) or, for an untransformed media file, ``/media/file/...`` (the file itself).
- Brightness and contrast are CSS filters on the ``<img>`` (set in the browser, no request); *actual size*
  shows the image 1:1 (scrolling inside the block) instead of fitting the card's width.
- Boxes (part ``boxes``, xyxy in stored pixels) and their labels (part ``labels``) are positioned ``<div>``
  over the image, in percent of its size, so they scale with it; the pixels never have boxes burned in.
- ``options.transform`` (see :mod:`ploteries.viz.services.image_transforms`) crops, normalizes, colour-maps
  and resizes what is served; boxes follow the crop and resize.
"""

from __future__ import annotations

import colorsys
import hashlib

import numpy as np
from dash import MATCH, Input, Output, dcc, html

from ploteries.storage import array_to_json

from ..ids import card_id
from ..library import SeriesRef
from ..media import MediaError, file_url, load_image_size, read_record, record_url, sibling_value
from ..services.image_transforms import ImageTransform, parse_transform, transform_boxes, transformed_size
from .base import CardContext
from .stepped import SteppedCard

__all__ = ["ImageCard", "box_color", "box_overlay", "fit_limit"]

PIXELATED_BELOW = 400
"""Images narrower than this (after transforms) are drawn with crisp pixels when fitted to the card."""

FIT_HEIGHT = 460
"""Tallest a fitted image is drawn (px): a portrait image never fills the page."""


def fit_limit(width: int, height: int) -> dict:
    """The frame style that keeps a fitted image at most :data:`FIT_HEIGHT` pixels tall.

    Examples
    --------
    >>> fit_limit(100, 920)
    {'maxWidth': '50px'}
    """
    return {"maxWidth": f"{FIT_HEIGHT * width / max(height, 1):.6g}px"}


def box_color(label: str | None, index: int) -> str:
    """A stable, well-saturated colour per label (per box index when there are no labels).

    Examples
    --------
    >>> box_color("cat", 0) == box_color("cat", 5), box_color(None, 0) != box_color(None, 1)
    (True, True)
    """
    seed = label if label is not None else f"#{index}"
    hue = int.from_bytes(hashlib.blake2b(seed.encode("utf-8"), digest_size=2).digest(), "big") / 65536
    r, g, b = colorsys.hls_to_rgb(hue, 0.5, 0.85)
    return f"#{int(r * 255):02x}{int(g * 255):02x}{int(b * 255):02x}"


def box_overlay(boxes: np.ndarray, labels: list | None, width: int, height: int) -> list[dict]:
    """Boxes as CSS positions in percent of a ``width`` x ``height`` image, with label and colour.

    Examples
    --------
    >>> b = box_overlay(np.array([[10., 20., 30., 60.]]), ["cat"], 100, 200)[0]
    >>> b["left"], b["top"], b["width"], b["height"], b["label"]
    (10.0, 10.0, 20.0, 20.0, 'cat')
    """
    out = []
    for i, (x0, y0, x1, y1) in enumerate(np.asarray(boxes, np.float64).reshape(-1, 4)):
        label = str(labels[i]) if labels is not None and i < len(labels) else None
        out.append(
            {
                "left": round(float(100.0 * x0 / width), 4),
                "top": round(float(100.0 * y0 / height), 4),
                "width": round(float(100.0 * (x1 - x0) / width), 4),
                "height": round(float(100.0 * (y1 - y0) / height), 4),
                "label": label,
                "color": box_color(label, i),
            }
        )
    return out


def _box_divs(overlay: list[dict]) -> list:
    divs = []
    for b in overlay:
        style = {
            "left": f"{b['left']}%",
            "top": f"{b['top']}%",
            "width": f"{b['width']}%",
            "height": f"{b['height']}%",
            "borderColor": b["color"],
        }
        label = [html.Span(b["label"], className="media-box-label", style={"background": b["color"]})]
        inside = " label-inside" if b["top"] < 8 else ""  # no room above the box for its label
        divs.append(
            html.Div(
                label if b["label"] else [],
                className="media-box" + inside,
                style=style,
                title=b["label"] or "",
            )
        )
    return divs


class ImageCard(SteppedCard):
    """Images per run at a step, with brightness, contrast, actual size and box overlays."""

    name = "image"
    file_part = "file"
    what = "image"

    def default_definition(self, tag: str, kind: str) -> dict:
        d = super().default_definition(tag, kind)
        d["options"] = {"transform": {}}
        return d

    def transform(self, ctx: CardContext) -> ImageTransform:
        return parse_transform((ctx.definition.get("options") or {}).get("transform"))

    def render(self, ctx: CardContext):
        self.transform(ctx)  # a bad transform is reported in the card, not per image
        return super().render(ctx)

    def runs_class(self) -> str:
        return "media-runs media-grid fit"

    def controls(self, ctx: CardContext) -> list:
        cid = ctx.card_id

        def slider(what: str, label: str) -> html.Div:
            return html.Div(
                [
                    html.Span(label, className="media-control-label"),
                    dcc.Slider(
                        id=card_id(f"image-{what}", cid),
                        min=0,
                        max=3,
                        step=0.05,
                        value=1,
                        marks=None,
                        allow_direct_input=False,
                        tooltip={"placement": "bottom", "always_visible": False},
                        className="media-filter-slider",
                    ),
                ],
                className="media-control",
            )

        return [
            html.Div(
                [
                    slider("brightness", "Brightness"),
                    slider("contrast", "Contrast"),
                    dcc.Checklist(
                        id=card_id("image-view", cid),
                        options=[
                            {"label": " Actual size", "value": "actual"},
                            {"label": " Boxes", "value": "boxes"},
                        ],
                        value=["boxes"],
                        className="media-toggles",
                        inline=True,
                    ),
                    html.Button(
                        "Reset",
                        id=card_id("image-reset", cid),
                        className="card-action",
                        title="brightness and contrast back to 1",
                    ),
                ],
                className="media-controls",
            )
        ]

    def content(self, ctx: CardContext, ref: SeriesRef, row: int, step: int, view):
        transform = self.transform(ctx)
        key = ref.key
        record, fp = read_record(ctx.library, key, row)
        if ref.part == self.file_part:
            recorded, found, placeholder = self.media_file(ctx, ref, record)
            if placeholder is not None:
                return placeholder, ""
            shape = sibling_value(ctx.library, key, row, step, "shape")
            if shape is not None and np.asarray(shape).size >= 2:
                height, width = (int(v) for v in np.asarray(shape).reshape(-1)[:2])
            else:
                width, height = load_image_size(found.path)
            src = file_url(ref.source, recorded) if transform.identity else None
        else:
            pixels = np.asarray(record.value)
            if pixels.dtype != np.uint8 or pixels.ndim != 3:
                raise MediaError(f"not an image: {pixels.dtype} {pixels.shape}")
            height, width = pixels.shape[:2]
            src = None
        if src is None:
            src = record_url("image", key, row, fp, transform)
        shown_w, shown_h = transformed_size(width, height, transform)
        overlay = []
        boxes = sibling_value(ctx.library, key, row, step, "boxes")
        if boxes is not None and np.asarray(boxes).size:
            labels_raw = sibling_value(ctx.library, key, row, step, "labels")
            labels = array_to_json(np.asarray(labels_raw)) if labels_raw is not None else None
            moved, keep = transform_boxes(np.asarray(boxes), width, height, transform)
            names = [labels[i] for i in np.flatnonzero(keep)] if isinstance(labels, list) else None
            overlay = box_overlay(moved[keep], names, shown_w, shown_h)
        img = html.Img(
            src=src,
            width=shown_w,
            height=shown_h,
            alt=f"{ctx.label(ref)} step {step}",
            className="media-img" + (" pixelated" if shown_w < PIXELATED_BELOW else ""),
        )
        frame = html.Div(
            [img, html.Div(_box_divs(overlay), className="media-boxes")], className="media-frame"
        )
        return frame, f"{shown_w}×{shown_h}"

    def register_callbacks(self, app) -> None:
        super().register_callbacks(app)
        app.clientside_callback(
            """(brightness, contrast, view) => {
                const num = (v) => (typeof v === 'number' && isFinite(v)) ? Math.min(Math.max(v, 0), 10) : 1;
                const flags = view || [];
                const cls = 'media-runs media-grid ' + (flags.includes('actual') ? 'actual' : 'fit')
                    + (flags.includes('boxes') ? '' : ' hide-boxes');
                return [{'--media-filter': `brightness(${num(brightness)}) contrast(${num(contrast)})`}, cls];
            }""",
            Output(card_id("image-runs", MATCH), "style"),
            Output(card_id("image-runs", MATCH), "className"),
            Input(card_id("image-brightness", MATCH), "value"),
            Input(card_id("image-contrast", MATCH), "value"),
            Input(card_id("image-view", MATCH), "value"),
            prevent_initial_call=True,
        )
        app.clientside_callback(
            "(n) => [1, 1]",
            Output(card_id("image-brightness", MATCH), "value"),
            Output(card_id("image-contrast", MATCH), "value"),
            Input(card_id("image-reset", MATCH), "n_clicks"),
            prevent_initial_call=True,
        )
