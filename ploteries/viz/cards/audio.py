"""The audio card: an HTML5 player per run for the record at the card's step, served as 16-bit WAV."""

from __future__ import annotations

import numpy as np
from dash import html

from ..library import SeriesRef
from ..media import read_record, record_url, sibling_value
from .base import CardContext
from .stepped import SteppedCard

__all__ = ["AudioCard", "clip_caption"]


def clip_caption(n_samples: int, sample_rate: float | None) -> str:
    """Duration and rate of a clip, as a run's heading shows them.

    Examples
    --------
    >>> clip_caption(24000, 16000.0), clip_caption(10, None)
    ('1.50 s · 16000 Hz', '10 samples')
    """
    if sample_rate is None or not np.isfinite(sample_rate) or sample_rate <= 0:
        return f"{n_samples} samples"
    return f"{n_samples / sample_rate:.2f} s · {sample_rate:g} Hz"


class AudioCard(SteppedCard):
    """A player per run for the clip at the card's step."""

    name = "audio"
    what = "clip"

    def _rate(self, ctx: CardContext, ref: SeriesRef, row: int, step: int) -> float | None:
        rate = sibling_value(ctx.library, ref.key, row, step, "sample_rate")
        try:
            return float(np.asarray(rate)) if rate is not None else None
        except (TypeError, ValueError):
            return None

    def content(self, ctx: CardContext, ref: SeriesRef, row: int, step: int, view):
        record, fp = read_record(ctx.library, ref.key, row)
        n = int(np.asarray(record.value).size)
        player = html.Audio(
            src=record_url("audio", ref.key, row, fp),
            controls=True,
            preload="metadata",
            className="media-audio",
        )
        return player, clip_caption(n, self._rate(ctx, ref, row, step))
