"""Ready-made figure definitions to use as they are or to copy and edit (see docs/figures.md).

Each function returns a validated definition, ready for ``db.figures.add(...)``; ``ploteries figures add DB
--template NAME ...`` calls the same functions. Run and tag arguments named ``runs`` and ``tag``/``tags`` are
globs (``fnmatch``); an argument named ``run`` is one exact run name.

>>> d = runs_band("loss-band", "loss", runs="seed=*")
>>> d["series"]["runs"]["aggregate"], [t["y"] for t in d["figure"]["data"]]
('runs', ['$runs.min', '$runs.max', '$runs.mean'])
"""

from __future__ import annotations

import re
from types import MappingProxyType

from .schema import validate_definition

BAND_COLOR = "rgba(31, 119, 180, 0.25)"
MEAN_COLOR = "#1f77b4"
BANDS = {"minmax": ("min", "max", "min-max"), "std": ("mean-std", "mean+std", "±std")}


def glob_escape(name: str) -> str:
    """A glob matching exactly ``name`` (``*``, ``?`` and ``[`` bracketed).

    Examples
    --------
    >>> glob_escape("lr=0.1 [a]*")
    'lr=0.1 [[]a][*]'
    """
    return re.sub(r"([*?[])", r"[\1]", name)


def _definition(id, title, tab, series, data, layout=None, options=None) -> dict:
    out = {"id": id, "tab": tab, "series": series, "figure": {"data": data, "layout": layout or {}}}
    if title is not None:
        out["title"] = title
    if options:
        out["options"] = options
    return validate_definition(out)


def lines(
    id: str,
    tag: str,
    runs: str = "*",
    *,
    title: str | None = None,
    tab: str | None = None,
    field: str | None = None,
) -> dict:
    """One line per run and matching tag: the scalar chart, as a definition to restyle.

    Examples
    --------
    >>> lines("loss", "loss/*")["figure"]["data"][0]["name"]
    '$run: $tag'
    """
    series = {"s": {"run": runs, "tag": tag, "field": field}}
    trace = {"type": "scatter", "mode": "lines", "x": "$s.step", "y": "$s.value", "name": "$run: $tag"}
    return _definition(id, title, tab, series, [trace], {"xaxis": {"title": {"text": "step"}}})


def multi_tag(
    id: str, tags: list[str], runs: str = "*", *, title: str | None = None, tab: str | None = None
) -> dict:
    """Several tags in one chart: one line per run and tag (each of ``tags`` a glob).

    Examples
    --------
    >>> d = multi_tag("losses", ["loss/train", "loss/val"])
    >>> list(d["series"]), d["series"]["t1"]["tag"]
    (['t0', 't1'], 'loss/val')
    """
    if isinstance(tags, str) or not tags:
        raise ValueError(
            f"tags must be a non-empty list of tag globs, got {tags!r}; e.g. ['loss/train', 'acc']."
        )
    series = {f"t{i}": {"run": runs, "tag": tag} for i, tag in enumerate(tags)}
    data = [
        {
            "type": "scatter",
            "mode": "lines",
            "x": f"${name}.step",
            "y": f"${name}.value",
            "name": "$run: $tag",
        }
        for name in series
    ]
    return _definition(id, title, tab, series, data, {"xaxis": {"title": {"text": "step"}}})


def runs_band(
    id: str,
    tag: str,
    runs: str = "*",
    *,
    band: str = "minmax",
    title: str | None = None,
    tab: str | None = None,
) -> dict:
    """The mean over runs as a line, inside a shaded band: min to max (``band="minmax"``) or mean ± std.

    Runs are aligned on step (``aggregate: "runs"``); the band's upper edge fills down to its lower edge
    (``fill: "tonexty"``). One mean and band per matching tag.

    Examples
    --------
    >>> [t.get("fill") for t in runs_band("b", "loss", band="std")["figure"]["data"]]
    [None, 'tonexty', None]
    """
    if band not in BANDS:
        raise ValueError(f"band must be one of {', '.join(map(repr, BANDS))}, got {band!r}.")
    low, high, label = BANDS[band]
    series = {"runs": {"run": runs, "tag": tag, "aggregate": "runs"}}
    edge = {
        "type": "scatter",
        "mode": "lines",
        "x": "$runs.step",
        "line": {"width": 0},
        "legendgroup": "$tag",
    }
    data = [
        {**edge, "y": f"$runs.{low}", "showlegend": False, "hoverinfo": "skip", "name": f"$tag ({label})"},
        {**edge, "y": f"$runs.{high}", "fill": "tonexty", "fillcolor": BAND_COLOR, "name": f"$tag ({label})"},
        {
            "type": "scatter",
            "mode": "lines",
            "x": "$runs.step",
            "y": "$runs.mean",
            "line": {"color": MEAN_COLOR},
            "legendgroup": "$tag",
            "name": "$tag (mean)",
        },
    ]
    return _definition(id, title, tab, series, data, {"xaxis": {"title": {"text": "step"}}})


def latest_heatmap(
    id: str,
    tag: str,
    run: str,
    *,
    trace: str = "heatmap",
    field: str | None = None,
    title: str | None = None,
    tab: str | None = None,
) -> dict:
    """The latest 2-D tensor of one run's series as a heatmap (or ``trace="surface"`` / ``"contour"``).

    Examples
    --------
    >>> d = latest_heatmap("attn", "attention", "exp1", trace="surface")
    >>> d["series"]["m"]["steps"], d["figure"]["data"][0]["type"]
    ('latest', 'surface')
    """
    if trace not in ("heatmap", "surface", "contour"):
        raise ValueError(f"trace must be 'heatmap', 'surface' or 'contour', got {trace!r}.")
    series = {"m": {"run": glob_escape(run), "tag": tag, "field": field, "steps": "latest"}}
    data = [{"type": trace, "z": "$m.value", "name": "$tag", "colorscale": "Viridis"}]
    return _definition(id, title, tab, series, data)


def latest_histogram(
    id: str, tag: str, runs: str = "*", *, title: str | None = None, tab: str | None = None
) -> dict:
    """The entries of each run's latest 1-D tensor (samples) as overlaid histograms.

    Examples
    --------
    >>> latest_histogram("norms", "grad_norms")["figure"]["layout"]["barmode"]
    'overlay'
    """
    series = {"t": {"run": runs, "tag": tag, "steps": "latest"}}
    data = [{"type": "histogram", "x": "$t.value", "name": "$run: $tag", "opacity": 0.6}]
    return _definition(id, title, tab, series, data, {"barmode": "overlay"})


def final_bar(
    id: str, tag: str, runs: str = "*", *, title: str | None = None, tab: str | None = None
) -> dict:
    """Each run's last value as a bar (compare a sweep's final losses).

    Examples
    --------
    >>> final_bar("final", "loss")["figure"]["data"][0]["y"]
    ['$t.value']
    """
    series = {"t": {"run": runs, "tag": tag, "steps": "latest"}}
    data = [{"type": "bar", "x": ["$run"], "y": ["$t.value"], "name": "$run: $tag"}]
    return _definition(id, title, tab, series, data, {"barmode": "group"})


def value_distribution(
    id: str,
    tag: str,
    runs: str = "*",
    *,
    trace: str = "box",
    title: str | None = None,
    tab: str | None = None,
) -> dict:
    """The distribution of each run's values over all steps, as a box (or ``trace="violin"``) per run.

    Examples
    --------
    >>> value_distribution("spread", "loss", trace="violin")["figure"]["data"][0]["type"]
    'violin'
    """
    if trace not in ("box", "violin"):
        raise ValueError(f"trace must be 'box' or 'violin', got {trace!r}.")
    series = {"t": {"run": runs, "tag": tag}}
    trace_def = {"type": trace, "y": "$t.value", "name": "$run: $tag"}
    if trace == "violin":
        trace_def.update(box={"visible": True}, meanline={"visible": True})
    return _definition(id, title, tab, series, [trace_def])


TEMPLATES = MappingProxyType(
    {
        "lines": lines,
        "multi_tag": multi_tag,
        "runs_band": runs_band,
        "latest_heatmap": latest_heatmap,
        "latest_histogram": latest_histogram,
        "final_bar": final_bar,
        "value_distribution": value_distribution,
    }
)
"""The templates by name (what ``ploteries figures add --template NAME`` accepts)."""

__all__ = [
    "TEMPLATES",
    "final_bar",
    "glob_escape",
    "latest_heatmap",
    "latest_histogram",
    "lines",
    "multi_tag",
    "runs_band",
    "value_distribution",
]
