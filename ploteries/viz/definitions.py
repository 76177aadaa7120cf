"""Which cards the viewer shows: the default card of every tag, plus the figure definitions stored in databases.

A card is drawn from a *figure definition* (see docs/figures.md): a declarative JSON object naming its card
type, its tab and the series it binds. The default card of a tag is the same kind of object, with an id under
``auto/``, so users can copy one (``ploteries figures show DB auto/scalar/loss``) and edit it.
"""

from __future__ import annotations

import glob
from collections.abc import Iterable, Mapping, Sequence

from ploteries.figures import DOCUMENT_PREFIX, RESERVED_ID_PREFIX, match_series, tab_of_definition
from ploteries.figures.data import binding_spec, is_literal
from ploteries.storage.kinds import main_parts

from .library import SeriesRef, Snapshot
from .services.tags import tab_of, tag_sort_key

__all__ = [
    "AUTO_PREFIX",
    "DOCUMENT_PREFIX",
    "auto_definition",
    "SeriesIndex",
    "definition_tab",
    "main_series",
    "tabs_of",
]

AUTO_PREFIX = RESERVED_ID_PREFIX


def auto_definition(card: str, tag: str, *, template: Mapping | None = None) -> dict:
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
        "series": {"y": {"run": "*", "tag": glob.escape(tag), "part": ""}},
        "figure": dict(template) if template is not None else {"data": [], "layout": {}},
        "options": {},
    }


def main_series(refs: Iterable[SeriesRef]) -> dict[str, str]:
    """``{tag: kind}`` of the series that carry a tag's main value, in natural tag order.

    The main value is part ``""``, or another part of ``ploteries.storage.kinds.main_parts`` (an image's ``file``,
    a mesh's ``vertices``).
    A tag logged with several kinds (in different runs) takes the most common one.

    Examples
    --------
    >>> from ploteries.viz.library import SeriesRef
    >>> from types import SimpleNamespace as NS
    >>> refs = [SeriesRef("a", NS(run="r", tag="t2", part="", kind="scalar")),
    ...         SeriesRef("a", NS(run="r", tag="t10", part="", kind="histogram")),
    ...         SeriesRef("a", NS(run="r", tag="t10", part="stats", kind="histogram")),
    ...         SeriesRef("a", NS(run="r", tag="img", part="file", kind="image")),
    ...         SeriesRef("a", NS(run="r", tag="cloud", part="vertices", kind="mesh")),
    ...         SeriesRef("a", NS(run="r", tag="cloud", part="faces", kind="mesh"))]
    >>> main_series(refs)
    {'cloud': 'mesh', 'img': 'image', 't2': 'scalar', 't10': 'histogram'}
    """
    counts: dict[str, dict[str, int]] = {}
    seen: set = set()
    for ref in refs:
        if ref.part in main_parts(ref.kind) and (ref.source, ref.run, ref.tag) not in seen:
            seen.add((ref.source, ref.run, ref.tag))
            kinds = counts.setdefault(ref.tag, {})
            kinds[ref.kind] = kinds.get(ref.kind, 0) + 1
    return {
        tag: max(sorted(counts[tag]), key=lambda k: counts[tag][k])
        for tag in sorted(counts, key=tag_sort_key)
    }


class SeriesIndex:
    """Series grouped by (tag, part), to bind many definitions to many series quickly.

    A default card binds its tag by name: looking it up here instead of testing every series makes binding a
    page of 100 tags x 10 runs take a few milliseconds instead of a fifth of a second (on every tick).

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> refs = [SeriesRef("a", NS(run=r, tag=t, part="", kind="scalar")) for r in ("r2", "r1") for t in ("x", "y")]
    >>> index = SeriesIndex(refs)
    >>> [s.run for s in index.bind({"tag": "x"})], [s.tag for s in index.bind({"run": "r1", "tag": "*"})]
    (['r1', 'r2'], ['x', 'y'])
    """

    def __init__(self, refs: Sequence[SeriesRef]):
        self.refs = refs
        self.by_tag: dict[tuple[str, str], list[SeriesRef]] = {}
        for ref in refs:
            self.by_tag.setdefault((ref.tag, ref.part), []).append(ref)

    def bind(self, binding: Mapping) -> list[SeriesRef]:
        """The series ``binding`` matches (run and tag globs, exact part), in run order."""
        spec = binding_spec(binding)
        tag, part = spec.get("tag"), spec.get("part")
        if isinstance(tag, str) and isinstance(part, str) and is_literal(tag):
            return match_series(binding, self.by_tag.get((tag, part), []))
        return match_series(binding, self.refs)


def definition_tab(definition: Mapping) -> str:
    """The tab a definition goes to: its explicit ``tab``, else the prefix of its first binding's tag.

    Examples
    --------
    >>> definition_tab({"series": {"a": {"tag": "loss/*"}}})
    'loss'
    >>> definition_tab({"tab": "mine", "series": {}}), definition_tab({"series": {"a": {"tag": "*"}}})
    ('mine', 'custom')
    """
    try:
        return tab_of_definition(definition) or "custom"
    except (KeyError, TypeError, AttributeError):
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
