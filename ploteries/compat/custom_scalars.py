"""Custom scalar layouts: ``{category: {chart title: ["Multiline" | "Margin", [tags]]}}``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["encode_custom_scalars", "margin_chart_layout", "multiline_chart_layout"]

CHART_TYPES = ("Multiline", "Margin")


def _tags(tags: Any, where: str) -> list[str]:
    if isinstance(tags, str) or not isinstance(tags, Sequence):
        raise TypeError(f"{where} tags must be a list of str, got {tags!r:.60}")
    for tag in tags:
        if not isinstance(tag, str):
            raise TypeError(f"{where} tags must be str, got {tag!r:.60} ({type(tag).__name__})")
    return list(tags)


def encode_custom_scalars(layout: dict[str, dict[str, Sequence[Any]]]) -> dict[str, dict[str, list[Any]]]:
    """Validate a custom scalars layout and return a normalised copy.

    Each chart is ``[chart_type, tags]`` with ``chart_type`` ``'Multiline'`` (any number of tags or regexes)
    or ``'Margin'`` (exactly 3 tags: value, lower, upper).

    Examples
    --------
    >>> encode_custom_scalars({"loss": {"train vs val": ("Multiline", ("loss/train", "loss/val"))}})
    {'loss': {'train vs val': ['Multiline', ['loss/train', 'loss/val']]}}
    """
    if not isinstance(layout, dict):
        raise TypeError(
            f"layout must be a dict {{category: {{chart: [type, tags]}}}}, got {type(layout).__name__}"
        )
    out: dict[str, dict[str, list[Any]]] = {}
    for category, charts in layout.items():
        if not isinstance(category, str) or not isinstance(charts, dict):
            raise TypeError(
                f"layout[{category!r}] must map a str category to a dict of charts, got {type(charts).__name__}"
            )
        out[category] = {}
        for title, chart in charts.items():
            where = f"layout[{category!r}][{title!r}]"
            if not isinstance(title, str):
                raise TypeError(f"{where}: chart titles must be str")
            if isinstance(chart, str) or not isinstance(chart, Sequence) or len(chart) != 2:
                raise ValueError(
                    f"{where} must be [chart_type, tags], e.g. ['Multiline', ['a', 'b']], got {chart!r:.80}"
                )
            chart_type, tags = chart
            if chart_type not in CHART_TYPES:
                raise ValueError(f"{where} chart type must be 'Multiline' or 'Margin', got {chart_type!r}")
            tags = _tags(tags, where)
            if chart_type == "Margin" and len(tags) != 3:
                raise ValueError(
                    f"{where} is a Margin chart and needs exactly 3 tags (value, lower, upper), got {len(tags)}"
                )
            out[category][title] = [chart_type, tags]
    return out


def multiline_chart_layout(
    tags: Sequence[str], category: str = "default", title: str = "untitled"
) -> dict[str, dict[str, list[Any]]]:
    """The layout ``add_custom_scalars_multilinechart`` writes.

    Examples
    --------
    >>> multiline_chart_layout(["a", "b"])
    {'default': {'untitled': ['Multiline', ['a', 'b']]}}
    """
    return encode_custom_scalars({category: {title: ["Multiline", tags]}})


def margin_chart_layout(
    tags: Sequence[str], category: str = "default", title: str = "untitled"
) -> dict[str, dict[str, list[Any]]]:
    """The layout ``add_custom_scalars_marginchart`` writes (exactly 3 tags: value, lower, upper).

    Examples
    --------
    >>> margin_chart_layout(["acc", "acc_lo", "acc_hi"], "metrics", "accuracy")
    {'metrics': {'accuracy': ['Margin', ['acc', 'acc_lo', 'acc_hi']]}}
    """
    return encode_custom_scalars({category: {title: ["Margin", tags]}})
