"""Which cards the viewer shows: the default card of every tag, plus the figure definitions stored in databases.

A card is drawn from a *figure definition* (see docs/figures.md): a declarative JSON object naming its card
type, its tab and the series it binds. The default card of a tag is the same kind of object, with an id under
``auto/``, so users can copy one (``ploteries figures show DB auto/scalar/loss``) and edit it.
"""

from __future__ import annotations

import fnmatch
import glob
from collections.abc import Iterable, Mapping, Sequence

from .library import SeriesRef, Snapshot
from .services.tags import tab_of, tag_sort_key

__all__ = [
    "AUTO_PREFIX",
    "DOCUMENT_PREFIX",
    "MAIN_PARTS",
    "auto_definition",
    "bind",
    "definition_tab",
    "main_series",
    "tabs_of",
]

AUTO_PREFIX = "auto/"
MAIN_PARTS: dict[str, str] = {"mesh": "vertices"}
"""Kinds whose main value is not in part ``""`` (a mesh has parts vertices, colors and faces only)."""
DOCUMENT_PREFIX = "figure/"


def auto_definition(card: str, tag: str, *, kind: str | None = None, template: Mapping | None = None) -> dict:
    """The default card of one tag: every run's series of that tag, in the tag's tab.

    Examples
    --------
    >>> d = auto_definition("scalar", "loss/train")
    >>> d["id"], d["tab"], d["series"]["y"]["tag"]
    ('auto/scalar/loss/train', 'loss', 'loss/train')
    >>> auto_definition("scalar", "acc[top1]")["series"]["y"]["tag"]
    'acc[[]top1]'
    """
    return {
        "id": f"{AUTO_PREFIX}{card}/{tag}",
        "title": tag,
        "tab": tab_of(tag),
        "card": card,
        "series": {"y": {"run": "*", "tag": glob.escape(tag), "part": "", "kind": kind}},
        "figure": dict(template) if template is not None else {"data": [], "layout": {}},
        "options": {},
    }


def main_series(refs: Iterable[SeriesRef]) -> dict[str, str]:
    """``{tag: kind}`` of the series that carry a tag's main value, in natural tag order.

    The main value is in part ``""``, or in the part :data:`MAIN_PARTS` names for the kind (a mesh's
    ``"vertices"``). A tag logged with several kinds (in different runs) takes the most common one.

    Examples
    --------
    >>> from ploteries.viz.library import SeriesRef
    >>> from types import SimpleNamespace as NS
    >>> refs = [SeriesRef("a", NS(run="r", tag="t2", part="", kind="scalar")),
    ...         SeriesRef("a", NS(run="r", tag="t10", part="", kind="histogram")),
    ...         SeriesRef("a", NS(run="r", tag="t10", part="stats", kind="histogram")),
    ...         SeriesRef("a", NS(run="r", tag="cloud", part="vertices", kind="mesh")),
    ...         SeriesRef("a", NS(run="r", tag="cloud", part="faces", kind="mesh"))]
    >>> main_series(refs)
    {'cloud': 'mesh', 't2': 'scalar', 't10': 'histogram'}
    """
    counts: dict[str, dict[str, int]] = {}
    for ref in refs:
        if ref.part == "" or MAIN_PARTS.get(ref.kind) == ref.part:
            kinds = counts.setdefault(ref.tag, {})
            kinds[ref.kind] = kinds.get(ref.kind, 0) + 1
    return {
        tag: max(sorted(counts[tag]), key=lambda k: counts[tag][k])
        for tag in sorted(counts, key=tag_sort_key)
    }


def bind(binding: Mapping, refs: Sequence[SeriesRef]) -> list[SeriesRef]:
    """The series a binding matches: run and tag globs, exact part (and kind, if the binding names one).

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> refs = [SeriesRef("a", NS(run=r, tag=t, part="", kind="scalar")) for r in ("r1", "r2") for t in ("x", "y")]
    >>> [(s.run, s.tag) for s in bind({"run": "r2", "tag": "*"}, refs)]
    [('r2', 'x'), ('r2', 'y')]
    """
    run_glob = binding.get("run") or "*"
    tag_glob = binding.get("tag") or "*"
    part = binding.get("part") or ""
    kind = binding.get("kind")
    found = [
        r
        for r in refs
        if r.part == part
        and (kind is None or r.kind == kind)
        and fnmatch.fnmatchcase(r.run, run_glob)
        and fnmatch.fnmatchcase(r.tag, tag_glob)
    ]
    return sorted(found, key=lambda r: (tag_sort_key(r.tag), r.source, r.run))


def definition_tab(definition: Mapping) -> str:
    """The tab a definition goes to: its explicit ``tab``, else the prefix of its first binding's tag.

    Examples
    --------
    >>> definition_tab({"series": {"a": {"tag": "loss/*"}}})
    'loss'
    >>> definition_tab({"tab": "mine", "series": {}})
    'mine'
    """
    tab = definition.get("tab")
    if isinstance(tab, str) and tab:
        return tab
    for binding in (definition.get("series") or {}).values():
        tag = binding.get("tag") if isinstance(binding, Mapping) else None
        if isinstance(tag, str) and tag:
            tab = tab_of(tag)
            return tab if tab and not any(c in tab for c in "*?[") else "custom"
    return "custom"


def tabs_of(definitions: Iterable[Mapping]) -> list[str]:
    """The tabs of some definitions, each once, in natural order.

    Examples
    --------
    >>> tabs_of([{"tab": "b"}, {"tab": "a10"}, {"tab": "a2"}, {"tab": "b"}])
    ['a2', 'a10', 'b']
    """
    return sorted({definition_tab(d) for d in definitions}, key=tag_sort_key)


def stored_definitions(snapshot: Snapshot) -> list[dict]:
    """Figure definitions stored in the databases (documents ``figure/<id>``); the newest wins per id."""
    best: dict[str, dict] = {}
    for source in snapshot.sources:
        for name, value in source.documents.items():
            if not name.startswith(DOCUMENT_PREFIX) or not isinstance(value, dict):
                continue
            fid = name[len(DOCUMENT_PREFIX) :]
            value = {**value, "id": value.get("id", fid), "_source": source.source}
            old = best.get(fid)
            if old is None or float(value.get("updated") or 0) > float(old.get("updated") or 0):
                best[fid] = value
    return [best[k] for k in sorted(best, key=tag_sort_key)]
