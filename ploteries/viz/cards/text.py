"""The text card: each run's Markdown at the card's step, one run below the other.

Markdown is rendered by ``dcc.Markdown`` with raw HTML disabled: HTML found in a database is shown as text,
never run (``<script>``, ``onerror=`` attributes and ``javascript:`` links do nothing). Tables in Markdown
render as tables (TensorBoard shows 2-D string tensors as tables; a ploteries text is one string, so a table
is written in Markdown).
"""

from __future__ import annotations

import numpy as np
from dash import dcc, html

from ploteries.storage import array_to_text

from ..library import SeriesRef
from ..media import read_record
from .base import CardContext
from .stepped import SteppedCard

__all__ = ["MAX_CHARS", "TextCard", "shown_text"]

MAX_CHARS = 200_000
"""Longer texts are cut (with a note): a page stays responsive whatever was logged."""


def shown_text(text: str, limit: int = MAX_CHARS) -> tuple[str, bool]:
    """The text to render and whether it was cut at ``limit`` characters.

    Examples
    --------
    >>> shown_text("abcdef", limit=4)
    ('abcd', True)
    """
    return (text, False) if len(text) <= limit else (text[:limit], True)


class TextCard(SteppedCard):
    """Markdown text per run at a step."""

    name = "text"
    what = "text"

    def content(self, ctx: CardContext, ref: SeriesRef, row: int, step: int, view):
        record, _ = read_record(ctx.library, ref.key, row)
        text, cut = shown_text(array_to_text(np.asarray(record.value)))
        parts = [dcc.Markdown(text, className="markdown", dangerously_allow_html=False, link_target="_blank")]
        if cut:
            parts.append(html.Div(f"(cut at {MAX_CHARS:,} characters)", className="media-note"))
        return parts, ""
