"""The run list at sweep scale: filter, sort, page, which runs are hidden, and runs grouped into bands.

Pure functions of run labels and values (no Dash, no files). Patterns are the user's: they go through
:func:`~ploteries.viz.services.tags.compile_filter` (RE2, linear time), never Python's :mod:`re`.

Which runs are shown is a *selection* ``{"only": bool, "runs": [value, ...]}``: with ``only`` false the listed
runs are hidden (and new runs appear), with ``only`` true only the listed runs are shown. :func:`set_shown`
keeps whichever of the two forms is shorter, so that what the page sends with every request stays small when
a few runs of 5,000 are hidden and when a few are shown.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Hashable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from .tags import compile_filter, tag_sort_key

__all__ = [
    "NO_GROUP",
    "RUN_PAGE_SIZE",
    "group_key",
    "group_runs",
    "hidden_runs",
    "matching",
    "page_of",
    "parse_selection",
    "set_shown",
    "sort_runs",
]

K = TypeVar("K", bound=Hashable)

RUN_PAGE_SIZE = 100
"""Runs listed at a time: the list's DOM stays ~100 rows whatever the sweep's size."""
NO_GROUP = "(no match)"
"""The group of runs a grouping pattern does not match, or without the hparam grouped by."""
MAX_SELECTION = 100_000
"""Most run values a selection from the browser may hold (more is cut: a bound on a hostile request)."""


def matching(labels: Mapping[K, str], pattern: Any) -> tuple[list[K], str | None]:
    """The runs whose label the user's filter matches (RE2 search, case-insensitive), and the error if any.

    An empty pattern matches every run; an invalid one matches none and says why.

    Examples
    --------
    >>> matching({1: "lr=0.1", 2: "lr=0.01", 3: "base"}, r"lr=0\\.1")
    ([1], None)
    >>> matching({1: "a"}, "(")[0]
    []
    """
    regex, error = compile_filter(pattern)
    if error is not None:
        return [], error
    if regex is None:
        return list(labels), None
    return [k for k, label in labels.items() if regex.search(label)], None


def _value_key(value: Any) -> tuple:
    """Numbers first (in order), then text (natural order), then missing values."""
    if isinstance(value, bool):
        value = float(value)
    if isinstance(value, (int, float)) and math.isfinite(value):
        return (0, float(value), ())
    if isinstance(value, str):
        return (1, 0.0, tag_sort_key(value))
    return (2, 0.0, ())


def sort_runs(
    keys: Iterable[K], labels: Mapping[K, str], values: Mapping[K, Any] | None = None, *, descending=False
) -> list[K]:
    """Runs by name (natural order), or by ``values`` (a tag's last value, an hparam) with ties by name.

    Runs without a value (or with NaN) come last either way; ``descending`` reverses the rest.

    Examples
    --------
    >>> labels = {"a": "run10", "b": "run2", "c": "run1"}
    >>> sort_runs(labels, labels)
    ['c', 'b', 'a']
    >>> sort_runs(labels, labels, {"a": 0.5, "b": float("nan"), "c": 0.9}, descending=True)
    ['c', 'a', 'b']
    """
    by_name = sorted(keys, key=lambda k: tag_sort_key(labels.get(k, str(k))))
    if values is None:
        return list(reversed(by_name)) if descending else by_name
    rank = {k: i for i, k in enumerate(by_name)}
    have = [k for k in by_name if _value_key(values.get(k))[0] < 2]
    missing = [k for k in by_name if _value_key(values.get(k))[0] == 2]
    have.sort(key=lambda k: (_value_key(values[k]), rank[k]), reverse=descending)
    return have + missing


def page_of(items: Sequence[K], page: Any, size: int = RUN_PAGE_SIZE) -> tuple[list[K], int, int]:
    """``(items of the page, page, pages)`` with ``page`` clamped (anything not a number is the first).

    Examples
    --------
    >>> page_of(list(range(250)), 7)[1:], page_of([], 0)
    ((2, 3), ([], 0, 1))
    """
    pages = max(1, -(-len(items) // size))
    try:
        page = min(max(int(page), 0), pages - 1)
    except (TypeError, ValueError, OverflowError):
        page = 0
    return list(items[page * size : (page + 1) * size]), page, pages


def parse_selection(data: Any) -> tuple[bool, list[str]]:
    """``(only, runs)`` of a selection from the browser; anything malformed is "nothing hidden".

    Examples
    --------
    >>> parse_selection({"only": True, "runs": ["a", 3]}), parse_selection("junk")
    ((True, ['a']), (False, []))
    """
    if not isinstance(data, Mapping) or not isinstance(data.get("runs"), list):
        return False, []
    runs = [v for v in data["runs"][:MAX_SELECTION] if isinstance(v, str)]
    return data.get("only") is True, runs


def hidden_runs(selection: Any, values: Iterable[str]) -> set[str]:
    """Which of the runs ``values`` a selection hides.

    Examples
    --------
    >>> sorted(hidden_runs({"only": True, "runs": ["a"]}, ["a", "b", "c"]))
    ['b', 'c']
    """
    only, runs = parse_selection(selection)
    listed = set(runs)
    return {v for v in values if (v not in listed) == only}


def set_shown(selection: Any, runs: Iterable[str], shown: bool, all_runs: Collection[str]) -> dict:
    """The selection with ``runs`` shown (or hidden), in its shorter form.

    Examples
    --------
    >>> set_shown(None, ["a"], False, ["a", "b", "c"])
    {'only': False, 'runs': ['a']}
    >>> set_shown(None, ["a", "b"], False, ["a", "b", "c"])
    {'only': True, 'runs': ['c']}
    """
    hidden = hidden_runs(selection, all_runs)
    changed = set(runs) & set(all_runs)
    hidden = hidden - changed if shown else hidden | changed
    order = list(all_runs)
    if len(hidden) * 2 <= len(order):
        return {"only": False, "runs": [v for v in order if v in hidden]}
    return {"only": True, "runs": [v for v in order if v not in hidden]}


def group_key(label: str, regex, hparams: Mapping[str, Any] | None, by: str) -> str:
    """The group of one run: the regex's first capture (or whole match) in its label, or an hparam's value.

    ``by`` is ``"regex"`` (``regex`` from :func:`compile_filter`) or ``"hparam:NAME"``.

    Examples
    --------
    >>> from ploteries.viz.services.tags import compile_filter
    >>> group_key("seed=3/lr=0.1", compile_filter(r"lr=([\\d.]+)")[0], None, "regex")
    '0.1'
    >>> group_key("x", None, {"opt": "adam"}, "hparam:opt"), group_key("x", None, {}, "hparam:opt")
    ('opt=adam', '(no match)')
    """
    if by.startswith("hparam:"):
        name = by[len("hparam:") :]
        if not hparams or name not in hparams:
            return NO_GROUP
        value = hparams[name]
        return f"{name}={value:g}" if isinstance(value, float) else f"{name}={value}"
    m = regex.search(label) if regex is not None else None
    if m is None:
        return NO_GROUP
    captured = next((g for g in m.groups() if g is not None), None)
    return m.group(0) if captured is None else captured


def group_runs(
    keys: Sequence[K],
    labels: Mapping[K, str],
    by: str,
    hparams: Mapping[K, Mapping[str, Any]] | None = None,
) -> tuple[dict[str, list[K]], str | None]:
    """Runs grouped by ``by`` (see :func:`group_key`): ``({group: [runs]}, error)``, groups in numeric then natural order.

    ``"regex:PATTERN"`` groups by the pattern's first capture; ``"hparam:NAME"`` by an hparam's value.

    Examples
    --------
    >>> labels = {1: "lr=0.1/s1", 2: "lr=0.1/s2", 3: "lr=1/s1", 4: "base"}
    >>> group_runs([1, 2, 3, 4], labels, r"regex:lr=([\\d.]+)")
    ({'0.1': [1, 2], '1': [3], '(no match)': [4]}, None)
    """
    regex = None
    if by.startswith("regex:"):
        regex, error = compile_filter(by[len("regex:") :])
        if error is not None or regex is None:
            return {}, error or "give a pattern to group runs by (e.g. lr=([0-9.]+))"
        mode = "regex"
    elif by.startswith("hparam:"):
        mode = by
    else:
        return {}, f"cannot group by {by[:80]!r}: use 'regex:PATTERN' or 'hparam:NAME'"
    groups: dict[str, list[K]] = {}
    for k in keys:
        label = labels.get(k, str(k))
        name = group_key(label, regex, (hparams or {}).get(k), mode)
        groups.setdefault(name, []).append(k)
    return {g: groups[g] for g in sorted(groups, key=_group_order)}, None


def _group_order(name: str) -> tuple:
    """Groups whose names are numbers in numeric order, then the others naturally, the unmatched last."""
    try:
        value: Any = float(name)
    except ValueError:
        value = name
    return name == NO_GROUP, _value_key(value), name
