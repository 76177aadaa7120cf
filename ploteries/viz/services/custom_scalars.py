"""Custom-scalars layouts (``add_custom_scalars``) turned into figure definitions, as TensorBoard reads them.

A layout is ``{category: {chart title: ["Multiline" | "Margin", [tags]]}}`` (docs/kinds.md). TensorBoard's
custom-scalars plugin takes the latest layout of each run, merges them in run order (categories with the
same title are merged, charts already there skipped) and draws each category as a section of charts:

- Multiline: one line per (run, tag) for every tag matched by one of the chart's regular expressions
  (``re.match``: anchored at the start of the tag, as TensorBoard's backend does);
- Margin: the tags ``[value, lower, upper]`` (exact names): the value as a line, a band between the others.

Here each chart becomes a figure definition (card ``custom_scalars``, in a tab named after its category)
whose bindings are the matched tags, so the viewer's run filters, tag filter and live updates apply.
"""

from __future__ import annotations

import glob
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ploteries.storage.kinds import CUSTOM_SCALARS_TAG

from ..definitions import AUTO_PREFIX
from .tags import compile_filter, tag_sort_key

__all__ = [
    "CARD",
    "LAYOUT_TAG",
    "chart_definitions",
    "error_definition",
    "match_tags",
    "merge_layouts",
    "parse_layout",
]

CARD = "custom_scalars"
LAYOUT_TAG = CUSTOM_SCALARS_TAG
CHART_TYPES = ("Multiline", "Margin")

Layout = dict[str, dict[str, list]]


def parse_layout(doc: Any) -> Layout:
    """Check a stored layout document (untrusted) and return it as ``{category: {title: [type, tags]}}``.

    Raises ``ValueError`` naming what is wrong.

    Examples
    --------
    >>> parse_layout({"loss": {"both": ["Multiline", ["loss/.*"]]}})
    {'loss': {'both': ['Multiline', ['loss/.*']]}}
    >>> parse_layout({"acc": {"band": ["Margin", ["a", "b"]]}})
    Traceback (most recent call last):
    ...
    ValueError: custom scalars chart 'acc'/'band': a Margin chart needs 3 tags (value, lower, upper), got 2
    """
    if not isinstance(doc, Mapping):
        raise ValueError(f"a custom scalars layout must be an object of categories, got {type(doc).__name__}")
    out: Layout = {}
    for category, charts in doc.items():
        if not isinstance(charts, Mapping):
            raise ValueError(f"custom scalars category {category!r} must hold an object of charts")
        out[str(category)] = {}
        for title, chart in charts.items():
            where = f"custom scalars chart {category!r}/{title!r}"
            if not isinstance(chart, Sequence) or isinstance(chart, str) or len(chart) != 2:
                raise ValueError(f"{where} must be [type, tags], got {chart!r:.80}")
            kind, tags = chart
            if kind not in CHART_TYPES:
                raise ValueError(f"{where}: unknown chart type {kind!r}; use 'Multiline' or 'Margin'")
            if (
                not isinstance(tags, Sequence)
                or isinstance(tags, str)
                or not all(isinstance(t, str) for t in tags)
            ):
                raise ValueError(f"{where}: tags must be a list of strings, got {tags!r:.80}")
            if kind == "Margin" and len(tags) != 3:
                raise ValueError(
                    f"{where}: a Margin chart needs 3 tags (value, lower, upper), got {len(tags)}"
                )
            out[str(category)][str(title)] = [kind, list(tags)]
    return out


def merge_layouts(layouts: Iterable[Layout]) -> list[tuple[str, str, list]]:
    """TensorBoard's merge of the runs' layouts: ``(category, title, [type, tags])`` in display order.

    Categories keep the order they are first seen in; a chart equal to one already in its category is
    skipped, so the same layout logged by several runs is drawn once.

    Examples
    --------
    >>> a = {"loss": {"both": ["Multiline", ["loss/.*"]]}}
    >>> b = {"loss": {"both": ["Multiline", ["loss/.*"]], "lr": ["Multiline", ["lr"]]}, "acc": {}}
    >>> [(c, t) for c, t, _ in merge_layouts([a, b])]
    [('loss', 'both'), ('loss', 'lr')]
    """
    merged: dict[str, list[tuple[str, list]]] = {}
    for layout in layouts:
        for category, charts in layout.items():
            have = merged.setdefault(category, [])
            for title, chart in charts.items():
                if (title, chart) not in have:
                    have.append((title, chart))
    return [(category, title, chart) for category, charts in merged.items() for title, chart in charts]


def match_tags(patterns: Sequence[str], tags: Iterable[str]) -> tuple[list[str], list[str]]:
    """The tags matched by any of ``patterns``, in natural order, and the invalid patterns' errors.

    A pattern matches at the start of the tag, case-sensitively (``match``), in RE2 syntax
    (:func:`~.tags.compile_filter`: the layout comes from a file, so it is matched in linear time too).

    Examples
    --------
    >>> match_tags(["loss/.*", "acc$", "("], ["loss/val", "acc", "loss/train", "top_acc", "xloss/a"])
    (['acc', 'loss/train', 'loss/val'], ["invalid regular expression '(': missing ), unterminated subpattern at position 0"])
    """
    regexes, errors = [], []
    for p in patterns:
        regex, error = compile_filter(p, ignore_case=False)
        regexes += [regex] if regex is not None else []
        errors += [error] if error is not None else []
    found = {t for t in tags if any(r.match(t) for r in regexes)}
    return sorted(found, key=tag_sort_key), errors


def _binding(tag: str, kind: str = "scalar") -> dict:
    return {"run": "*", "tag": glob.escape(tag), "part": "", "kind": kind}


def chart_definitions(charts: Sequence[tuple[str, str, list]], scalar_tags: Iterable[str]) -> list[dict]:
    """One figure definition per chart, its bindings resolved against the scalar tags that exist now.

    Every definition also binds the layout series itself (``layout``), so a chart whose tags are not
    logged yet is still shown (saying so) rather than hidden.

    Examples
    --------
    >>> defs = chart_definitions([("loss", "both", ["Multiline", ["loss/.*"]])], ["loss/train", "lr"])
    >>> d = defs[0]
    >>> d["id"], d["tab"], d["card"], [b["tag"] for n, b in d["series"].items() if n != "layout"]
    ('auto/custom_scalars/loss/both', 'loss', 'custom_scalars', ['loss/train'])
    """
    tags = sorted(set(scalar_tags), key=tag_sort_key)
    out, seen = [], set()
    for category, title, (kind, patterns) in charts:
        fid = f"{AUTO_PREFIX}{CARD}/{category}/{title}"
        n = 2
        while fid in seen:
            fid, n = f"{AUTO_PREFIX}{CARD}/{category}/{title} ({n})", n + 1
        seen.add(fid)
        series = {"layout": _binding(LAYOUT_TAG, CARD)}
        options: dict[str, Any] = {"chart": kind, "tags": list(patterns), "smoothing": kind == "Multiline"}
        if kind == "Multiline":
            matched, errors = match_tags(patterns, tags)
            series.update({f"y{i}": _binding(t) for i, t in enumerate(matched)})
            if errors:
                options["error"] = "; ".join(errors)
        else:
            series.update({role: _binding(t) for role, t in zip(("value", "lower", "upper"), patterns)})
        out.append(
            {
                "id": fid,
                "title": title,
                "tab": category,
                "card": CARD,
                "series": series,
                "figure": {"data": [], "layout": {}},
                "options": options,
            }
        )
    return out


def error_definition(source: str, run: str, message: str) -> dict:
    """The card that says a run's layout cannot be read (in tab ``custom scalars``).

    Examples
    --------
    >>> error_definition("db.h5", "r", "bad")["options"]["error"]
    'bad'
    """
    return {
        "id": f"{AUTO_PREFIX}{CARD}/{source}/{run}",
        "title": f"custom scalars layout of {run}",
        "tab": "custom scalars",
        "card": CARD,
        "series": {"layout": {"run": glob.escape(run), "tag": LAYOUT_TAG, "part": "", "kind": CARD}},
        "figure": {"data": [], "layout": {}},
        "options": {"error": message},
    }
