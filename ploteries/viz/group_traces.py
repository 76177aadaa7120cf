"""Runs grouped into bands in a line card: which runs form which group, and the Plotly traces of each group.

A card draws groups when the page groups runs (the sidebar's "Group runs": :class:`ViewSettings` ``group``) or
its definition asks for it (``"options": {"group": {"by": "regex:lr=([0-9.]+)", "center": "median",
"spread": "std"}}``, which wins for that card). Each group is three traces: the band's lower and upper edges
(filled between) and the centre line, whose hover names the group's members and whose ``meta`` holds the
group's name (``assets/runlist.js`` highlights the group of a run hovered in the run list, whose rows carry
their group, and expands or folds a group clicked in a card). An expanded group's members are drawn as lines
too. A group's bytes are those of three lines whatever its members.
"""

from __future__ import annotations

import dataclasses
import html
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from .library import RunKey
from .services.aggregate import CENTERS, SPREADS, group_band
from .services.runlist import group_runs
from .services.tags import rgba, run_colors

__all__ = ["GroupSpec", "MEMBERS_IN_HOVER", "band_traces", "card_groups", "group_spec", "grouped_data"]

MEMBERS_IN_HOVER = 12
"""Members named in a group's hover; the rest are counted."""


@dataclasses.dataclass(frozen=True)
class GroupSpec:
    """How a card groups its runs: ``by`` (``"regex:PATTERN"`` / ``"hparam:NAME"``), centre, spread, expanded."""

    by: str
    center: str = "mean"
    spread: str = "minmax"
    expanded: tuple[str, ...] = ()


def group_spec(definition: Mapping, settings) -> GroupSpec | None:
    """The grouping of one card: its definition's ``options.group`` if any, else the page's; None: no groups.

    Examples
    --------
    >>> from ploteries.viz.settings import ViewSettings
    >>> group_spec({}, ViewSettings(group="regex:lr=(.*)", expanded=("0.1",)))
    GroupSpec(by='regex:lr=(.*)', center='mean', spread='minmax', expanded=('0.1',))
    >>> group_spec({"options": {"group": {"by": "hparam:lr", "spread": "std"}}}, ViewSettings()).spread
    'std'
    >>> group_spec({}, ViewSettings()) is None
    True
    """
    options = definition.get("options") if isinstance(definition.get("options"), Mapping) else {}
    own = options.get("group")
    if isinstance(own, Mapping) and isinstance(own.get("by"), str) and own["by"]:
        center = own.get("center") if own.get("center") in CENTERS else "mean"
        spread = own.get("spread") if own.get("spread") in SPREADS else "minmax"
        return GroupSpec(own["by"], center, spread, tuple(settings.expanded))
    if not settings.group:
        return None
    return GroupSpec(settings.group, settings.center, settings.spread, tuple(settings.expanded))


def card_groups(
    ctx, spec: GroupSpec, run_keys: Sequence[RunKey]
) -> tuple[dict[str, list[RunKey]], str | None]:
    """The card's runs grouped by ``spec.by`` (hparams read from the library when grouping by one)."""
    from .run_values import run_hparams  # here: run_values reads through cards.base, whose cards import this

    hparams = run_hparams(ctx.library, ctx.snapshot) if spec.by.startswith("hparam:") else None
    keys = list(dict.fromkeys(run_keys))
    return group_runs(keys, ctx.labels, spec.by, hparams)


def _members_text(members: Sequence[str]) -> str:
    shown = ", ".join(html.escape(m) for m in members[:MEMBERS_IN_HOVER])
    more = len(members) - MEMBERS_IN_HOVER
    return shown + (f" and {more} more" if more > 0 else "")


def _hover(name: str, members: Sequence[str], center: str, xmode: str) -> str:
    x = {"step": "step %{x}", "relative": "%{x:.3f} h", "wall": "%{x}"}.get(xmode, "%{x}")
    title = html.escape(name).replace("%", "%%")
    listed = _members_text(members).replace("%", "%%")
    return (
        f"<b>{title}</b> · {len(members)} run{'s' if len(members) != 1 else ''}<br>{x}<br>"
        f"{center} %{{y:.6g}} (%{{customdata}} with a value)<br>{listed}<br><i>click to expand or fold</i>"
        "<extra></extra>"
    )


def band_traces(
    groups: Mapping[str, Sequence[tuple[str, np.ndarray, np.ndarray]]],
    spec: GroupSpec,
    *,
    xmode: str,
    points: int,
) -> list[dict]:
    """Three traces per group (lower edge, upper edge filled down to it, centre line), groups in order.

    ``groups`` maps a group's name to its members' ``(label, x, y)`` lines; each band has at most ``points``
    points. The traces hold numpy arrays (the card encodes them, see
    :func:`~ploteries.viz.services.payload.encode_traces`). Groups without any finite value are left out.
    """
    colors = run_colors(groups)
    data: list[dict] = []
    for name, members in groups.items():
        band = group_band(
            [m[1] for m in members],
            [m[2] for m in members],
            points=points,
            center=spec.center,
            spread=spec.spread,
        )
        if not len(band.x):
            continue
        labels = [m[0] for m in members]
        color = colors[name]
        x = band.x
        edge: dict[str, Any] = {
            "type": "scatter",
            "mode": "lines",
            "x": x,
            "line": {"width": 0, "color": color},
            "hoverinfo": "skip",
            "showlegend": False,
            "legendgroup": f"group {name}",
        }
        data.append({**edge, "y": band.low, "name": f"{name} low"})
        data.append(
            {
                **edge,
                "y": band.high,
                "name": f"{name} high",
                "fill": "tonexty",
                "fillcolor": rgba(color, 0.22),
            }
        )
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "x": x,
                "y": band.center,
                "customdata": band.count.astype(np.int32),
                "name": f"{name} ({len(labels)})",
                "legendgroup": f"group {name}",
                "line": {"color": color, "width": 2.2},
                "hovertemplate": _hover(name, labels, spec.center, xmode),
                "meta": {"group": name, "runs": len(labels), "expanded": name in spec.expanded},
            }
        )
    return data


def grouped_data(
    ctx, spec: GroupSpec, lines: Sequence[tuple[Any, Any, str, list[dict]]], *, budget: Callable[[int], int]
) -> list[dict] | None:
    """A line card's traces with its runs grouped: the bands, then the lines of the expanded groups' members.

    ``lines`` holds per drawn series ``(ref, points, label, traces)`` (:class:`TracePoints`, the series' own
    traces); the band of a group follows its members' smoothed lines when smoothed, else their raw ones.
    ``budget(n)`` is the points of each of ``n`` lines in the card: a band gets that of its three traces
    among the bands'.
    None when the grouping cannot apply (an invalid pattern: the card draws its runs as they are).
    """
    groups, error = card_groups(ctx, spec, [ref.run_key for ref, *_ in lines])
    if error is not None:
        return None
    by_run: dict[RunKey, list] = {}
    for line in lines:
        by_run.setdefault(line[0].run_key, []).append(line)
    members: dict[str, list[tuple[str, np.ndarray, np.ndarray]]] = {}
    for name, keys in groups.items():
        for key in keys:
            for _, pts, label, _ in by_run.get(key, []):
                smooth = pts.y_smooth is not None
                x, y = (pts.x_smooth, pts.y_smooth) if smooth else (pts.x, pts.y)
                members.setdefault(name, []).append((label, x, y))
    points = budget(3 * max(len(members), 1))
    data = band_traces(members, spec, xmode=ctx.settings.xmode, points=points)
    for name in spec.expanded:
        for key in groups.get(name, []):
            for *_, traces in by_run.get(key, []):
                data += traces
    return data
