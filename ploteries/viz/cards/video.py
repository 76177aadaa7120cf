"""The video card: each run's clip at the card's step, played as a looping animated GIF at its fps.

Frames stored in the database are encoded to GIF when requested (``/media/video/...``); a clip written with
``media_dir=`` is its GIF file, served as it is (``/media/file/...``). A missing file shows a placeholder.
*Frames* mode shows one frame at a time with a frame slider per run, as exact PNG pixels
(``/media/frame/...?f=N``; moving the slider only changes the image's URL, in the browser).
"""

from __future__ import annotations

import json

import numpy as np
from dash import MATCH, Input, Output, State, dcc, html

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
    file_part = "file"
    what = "video"
    view_inputs = {"mode": ("value", "play")}

    def runs_class(self) -> str:
        return "media-runs media-grid fit"

    def controls(self, ctx: CardContext) -> list:
        return [
            html.Div(
                [
                    dcc.RadioItems(
                        id=card_id("video-mode", ctx.card_id),
                        options=[
                            {"label": " Play", "value": "play"},
                            {"label": " Frames", "value": "frames"},
                        ],
                        value="play",
                        className="media-toggles",
                        inline=True,
                    ),
                    dcc.Checklist(
                        id=card_id("video-view", ctx.card_id),
                        options=[{"label": " Actual size", "value": "actual"}],
                        value=[],
                        className="media-toggles",
                        inline=True,
                    ),
                ],
                className="media-controls",
            )
        ]

    def _frames(self, ctx: CardContext, ref: SeriesRef, row: int, fp: str, count: int, img: html.Img) -> list:
        """Frames mode: the first frame as PNG and a slider that moves the image over the frames."""
        base = record_url("frame", ref.key, row, fp)
        run = json.dumps(list(ref.key))
        img.src = base + "&f=0"
        img.id = card_id("video-frame-img", ctx.card_id, run=run)
        slider = dcc.Slider(
            id=card_id("video-frame", ctx.card_id, run=run),
            min=0,
            max=max(count - 1, 0),
            step=1,
            value=0,
            marks=None,
            updatemode="drag",
            allow_direct_input=False,
            className="media-frame-slider",
        )
        label = html.Span(
            f"frame 1 of {count}",
            id=card_id("video-frame-label", ctx.card_id, run=run),
            className="media-step-label",
        )
        return [
            html.Div(
                [html.Div(slider, className="media-step-box"), label], className="media-step media-frames"
            ),
            dcc.Store(id=card_id("video-frame-base", ctx.card_id, run=run), data=[base, count]),
        ]

    def _shape(self, ctx: CardContext, ref: SeriesRef, row: int, step: int, record) -> tuple:
        if ref.part == self.file_part:
            shape = sibling_value(ctx.library, ref.key, row, step, "shape")
            return tuple(int(v) for v in np.asarray(shape).reshape(-1)) if shape is not None else ()
        frames = np.asarray(record.value)
        if frames.dtype != np.uint8 or frames.ndim != 4:
            raise MediaError(f"not a video: {frames.dtype} {frames.shape}")
        return frames.shape

    def content(self, ctx: CardContext, ref: SeriesRef, row: int, step: int, view):
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
        frame = html.Div(img, className="media-frame", style=style)
        if view.get("mode") == "frames" and len(shape) >= 1:
            return [frame, *self._frames(ctx, ref, row, fp, int(shape[0]), img)], caption
        return frame, caption

    def register_callbacks(self, app) -> None:
        super().register_callbacks(app)
        app.clientside_callback(
            "(view) => 'media-runs media-grid ' + ((view || []).includes('actual') ? 'actual' : 'fit')",
            Output(card_id("video-runs", MATCH), "className"),
            Input(card_id("video-view", MATCH), "value"),
            prevent_initial_call=True,
        )
        app.clientside_callback(
            """(frame, base) => {
                const [url, count] = base || ['', 0];
                const f = Math.min(Math.max(Math.round(frame || 0), 0), Math.max(count - 1, 0));
                return [url + '&f=' + f, 'frame ' + (f + 1) + ' of ' + count];
            }""",
            Output(card_id("video-frame-img", MATCH, run=MATCH), "src"),
            Output(card_id("video-frame-label", MATCH, run=MATCH), "children"),
            Input(card_id("video-frame", MATCH, run=MATCH), "value"),
            State(card_id("video-frame-base", MATCH, run=MATCH), "data"),
            prevent_initial_call=True,
        )
