"""The video card: each run's clip at the card's step, played as a looping animated GIF at its fps.

Frames stored in the database are encoded to GIF when requested (``/media/video/...``); a clip written with
``media_dir=`` is its GIF file, served as it is (``/media/file/...``). A missing file shows a placeholder.
"""

from __future__ import annotations

import numpy as np
from dash import MATCH, Input, Output, dcc, html

from ..ids import card_id
from ..library import SeriesRef
from ..media import MediaError, file_url, read_record, record_url, sibling_value, video_fps
from .base import CardContext
from .image import fit_limit
from .stepped import SteppedCard

__all__ = ["VideoCard", "video_caption"]


def video_caption(shape, fps: float) -> str:
    """Frames, size and rate of a clip.

    Examples
    --------
    >>> video_caption((8, 32, 48, 3), 4.0)
    '8 frames · 48×32 · 4 fps'
    """
    t, h, w = (int(v) for v in tuple(shape)[:3])
    return f"{t} frames · {w}×{h} · {fps:g} fps"


class VideoCard(SteppedCard):
    """An animated clip per run at the card's step."""

    name = "video"
    kinds = ("video",)
    file_part = "file"
    what = "video"

    def runs_class(self) -> str:
        return "media-runs media-grid fit"

    def controls(self, ctx: CardContext) -> list:
        return [
            html.Div(
                dcc.Checklist(
                    id=card_id("video-view", ctx.card_id),
                    options=[{"label": " Actual size", "value": "actual"}],
                    value=[],
                    className="media-toggles",
                    inline=True,
                ),
                className="media-controls",
            )
        ]

    def _shape(self, ctx: CardContext, ref: SeriesRef, row: int, step: int, record) -> tuple:
        if ref.part == self.file_part:
            shape = sibling_value(ctx.library, ref.key, row, step, "shape")
            return tuple(int(v) for v in np.asarray(shape).reshape(-1)) if shape is not None else ()
        frames = np.asarray(record.value)
        if frames.dtype != np.uint8 or frames.ndim != 4:
            raise MediaError(f"not a video: {frames.dtype} {frames.shape}")
        return frames.shape

    def content(self, ctx: CardContext, ref: SeriesRef, row: int, step: int):
        record, fp = read_record(ctx.library, ref.key, row)
        src = record_url("video", ref.key, row, fp)
        if ref.part == self.file_part:
            recorded, _, placeholder = self.media_file(ctx, ref, record)
            if placeholder is not None:
                return placeholder, ""
            src = file_url(ref.source, recorded)
        shape = self._shape(ctx, ref, row, step, record)
        attrs = {"width": shape[2], "height": shape[1]} if len(shape) >= 3 else {}
        img = html.Img(src=src, alt=f"{ctx.label(ref)} step {step}", className="media-img pixelated", **attrs)
        caption = video_caption(shape, video_fps(ctx.library, ref.key, row, step)) if len(shape) >= 3 else ""
        style = fit_limit(shape[2], shape[1]) if len(shape) >= 3 else {}
        return html.Div(img, className="media-frame", style=style), caption

    def register_callbacks(self, app) -> None:
        super().register_callbacks(app)
        app.clientside_callback(
            "(view) => 'media-runs media-grid ' + ((view || []).includes('actual') ? 'actual' : 'fit')",
            Output(card_id("video-runs", MATCH), "className"),
            Input(card_id("video-view", MATCH), "value"),
            prevent_initial_call=True,
        )
