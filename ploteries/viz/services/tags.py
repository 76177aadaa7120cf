"""Tags and runs in the explorer: tabs by tag prefix, regex filters, stable run colours."""

from __future__ import annotations

import colorsys
import hashlib
import math
import re
from collections.abc import Iterable
from typing import Protocol

import re2

__all__ = [
    "DISTINCT",
    "MAX_FILTER_LENGTH",
    "PALETTE",
    "Regex",
    "blend",
    "color_distance",
    "compile_filter",
    "rgba",
    "group_tags",
    "run_colors",
    "tab_of",
    "tag_sort_key",
]

PALETTE: tuple[str, ...] = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf", "#0077bb", "#ee7733", "#009988", "#cc3311", "#33bbee", "#ee3377",
    "#332288", "#117733", "#882255", "#aa4499",
)  # fmt: skip
"""Qualitative colours: Plotly's D3 ten, then Paul Tol's vibrant and muted sets."""
PRIMARY, SECONDARY = PALETTE[:10], PALETTE[10:]
"""Runs take the D3 ten first (the colours users know from TensorBoard and Plotly), then the others."""


def tab_of(tag: str) -> str:
    """The tab a tag belongs to: its prefix before the first ``/``, or the whole tag.

    Examples
    --------
    >>> tab_of("loss/train"), tab_of("accuracy"), tab_of("/odd")
    ('loss', 'accuracy', '')
    """
    return tag.split("/", 1)[0]


def tag_sort_key(tag: str) -> tuple:
    """Natural order: digit runs compare as numbers, so ``layer2`` sorts before ``layer10``.

    Examples
    --------
    >>> sorted(["l10", "l2", "L1"], key=tag_sort_key)
    ['L1', 'l2', 'l10']
    """
    parts = re.split(r"(\d+)", tag)
    return tuple((0, int(p), p) if p.isdigit() else (1, p.casefold(), p) for p in parts), tag


def group_tags(tags: Iterable[str]) -> dict[str, list[str]]:
    """Group tags into tabs by :func:`tab_of`.

    Returns
    -------
    dict
        ``{tab: [tag, ...]}`` with tabs and the tags inside each in natural order
        (:func:`tag_sort_key`), duplicates removed.

    Examples
    --------
    >>> group_tags(["loss/val", "lr", "loss/train", "loss/val"])
    {'loss': ['loss/train', 'loss/val'], 'lr': ['lr']}
    """
    groups: dict[str, set[str]] = {}
    for tag in tags:
        groups.setdefault(tab_of(tag), set()).add(tag)
    return {tab: sorted(groups[tab], key=tag_sort_key) for tab in sorted(groups, key=tag_sort_key)}


MAX_FILTER_LENGTH = 1000
"""The longest filter pattern accepted, in characters (a bound on compile time and memory)."""
FILTER_MEMORY = 2 << 20
"""Bytes RE2 may use for one compiled filter; a larger program is refused as too large."""
FILTER_SYNTAX = "https://github.com/google/re2/wiki/Syntax"


class Regex(Protocol):
    """What :func:`compile_filter` gives: ``search`` and ``match`` as :class:`re.Pattern`'s."""

    pattern: str

    def search(self, text: str) -> object | None: ...

    def match(self, text: str) -> object | None: ...


def compile_filter(pattern: object, *, ignore_case: bool = True) -> tuple[Regex | None, str | None]:
    """Compile a user's filter into a regular expression matched in linear time (RE2).

    Every regular expression a user or a client gives the viewer (tag and run filters, custom-scalars chart
    patterns) goes through here: patterns come from the network, and Python's backtracking :mod:`re` takes
    exponential time on patterns such as ``(.*.*)*Z``. RE2 matches in time linear in the text whatever the
    pattern; it lacks backreferences and lookarounds, and those are refused with a message saying so.

    Parameters
    ----------
    pattern : object
        The text typed in the filter box (anything a client sent: non-text is an error, not an exception).
    ignore_case : bool
        Match case-insensitively (the viewer's filter boxes, as TensorBoard's).

    Returns
    -------
    tuple
        ``(regex, None)`` on success (use ``regex.search`` as TensorBoard, or ``regex.match``);
        ``(None, None)`` for an empty pattern (show everything); ``(None, message)`` for an invalid, unsupported
        or too long pattern. Never raises.

    Examples
    --------
    >>> compile_filter("loss")[0].search("train/LOSS") is not None
    True
    >>> compile_filter("(.*.*)*Z")[0].search("x" * 100_000) is None  # at once
    True
    >>> compile_filter("(")[1]
    "invalid regular expression '(': missing ), unterminated subpattern at position 0"
    >>> print(compile_filter("x(?=y)")[1])  # doctest: +ELLIPSIS
    regular expression 'x(?=y)' uses syntax that filters do not support (invalid perl operator: (?=); ...
    """
    if pattern is None or (isinstance(pattern, str) and not pattern.strip()):
        return None, None
    if not isinstance(pattern, str):
        return None, f"a filter must be text, got {type(pattern).__name__} {str(pattern)[:50]!r}"
    if len(pattern) > MAX_FILTER_LENGTH:
        return None, f"the filter is {len(pattern)} characters long; the limit is {MAX_FILTER_LENGTH}"
    options = re2.Options()
    options.case_sensitive = not ignore_case
    options.max_mem = FILTER_MEMORY
    options.log_errors = False
    try:
        return re2.compile(pattern, options), None
    except UnicodeEncodeError:
        return None, f"invalid regular expression {pattern!r}: it is not valid Unicode text"
    except re2.error as exc:
        reason = (
            exc.args[0].decode("utf-8", "replace") if exc.args and isinstance(exc.args[0], bytes) else exc
        )
    try:
        re.compile(pattern)  # compiling only (never matching with it): Python's message is the clearer one
    except (re.error, RecursionError, OverflowError) as exc:
        return None, f"invalid regular expression {pattern!r}: {exc}"
    if "too large" in str(reason) or "repetition size" in str(reason):
        return None, f"regular expression {pattern!r} is too large for a filter ({reason}); repeat less"
    return None, (
        f"regular expression {pattern!r} uses syntax that filters do not support ({reason}); filters are "
        f"matched in linear time with RE2 syntax: no backreferences or lookarounds ({FILTER_SYNTAX})"
    )


def _hash(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "big")


def _extra_color(name: str, attempt: int) -> str:
    """A colour outside the palette, for more runs than palette entries: hue (and, for later attempts, lightness
    and saturation) from the name's hash.

    One lightness and saturation give about a thousand distinct ``#rrggbb`` hues: a sweep of thousands of runs
    would probe forever, so each attempt also moves the lightness and saturation (tens of thousands of colours).

    Examples
    --------
    >>> _extra_color("run", 0) == _extra_color("run", 0) != _extra_color("run", 1)
    True
    """
    h = _hash(f"{name}\x1f{attempt}")
    hue = (h % 3600) / 3600.0
    lightness = 0.45 if attempt < 4 else 0.3 + 0.3 * ((h >> 12) % 64) / 63
    saturation = 0.65 if attempt < 4 else 0.45 + 0.45 * ((h >> 18) % 64) / 63
    r, g, b = colorsys.hls_to_rgb(hue, lightness, saturation)
    return f"#{round(r * 255):02x}{round(g * 255):02x}{round(b * 255):02x}"


DISTINCT = 150.0
"""Least :func:`color_distance` between the colours of two runs while the palette allows (its near twins, such
as its two blues, are 45 to 105 apart; purple and wine, 137)."""


def color_distance(a: str, b: str) -> float:
    """How different two ``#rrggbb`` colours look: the "redmean" weighted RGB distance (0 to about 765).

    Examples
    --------
    >>> round(color_distance("#1f77b4", "#0077bb")), round(color_distance("#1f77b4", "#ff7f0e"))
    (46, 442)
    """
    (r1, g1, b1), (r2, g2, b2) = ([int(c[i : i + 2], 16) for i in (1, 3, 5)] for c in (a, b))
    mean_red = (r1 + r2) / 2
    return math.sqrt(
        (2 + mean_red / 256) * (r1 - r2) ** 2
        + 4 * (g1 - g2) ** 2
        + (2 + (255 - mean_red) / 256) * (b1 - b2) ** 2
    )


def run_colors(run_keys: Iterable[str]) -> dict[str, str]:
    """Distinct colours for runs, each depending only on the run's name when possible.

    Each run hashes to a preferred slot of :data:`PRIMARY`. Runs are placed in name order; a run whose
    slot is taken, or resembles a colour taken (closer than :data:`DISTINCT`), probes the following slots, then
    :data:`SECONDARY`'s. Beyond the palette's size runs get hash-derived
    colours. The result depends on the set of names only, never on their order; a run whose slot
    nobody placed before it (in name order) took keeps its name's colour as other runs come and go.

    Returns
    -------
    dict
        ``{run: "#rrggbb"}``, all values distinct.

    Examples
    --------
    >>> colors = run_colors(["b", "a"])
    >>> colors == run_colors(["a", "b"]) and len(set(colors.values())) == 2
    True
    """
    names = sorted(set(run_keys))
    taken: set[str] = set()
    out: dict[str, str] = {}
    for name in names:
        start = _hash(name) % len(PRIMARY)
        probe = [part[(start + k) % len(part)] for part in (PRIMARY, SECONDARY) for k in range(len(part))]
        free = [c for c in probe if c not in taken]
        # a free colour that no run shown already resembles (the palette has near twins: two blues, ...)
        color = next((c for c in free if all(color_distance(c, t) >= DISTINCT for t in taken)), None)
        color = color or (free[0] if free else None)
        attempt = 0
        while color is None or color in taken:
            color = _extra_color(name, attempt)
            attempt += 1
        taken.add(color)
        out[name] = color
    return out


def blend(color: str, other: str, t: float) -> str:
    """``color`` moved a fraction ``t`` (0..1) of the way towards ``other`` (both ``#rrggbb``).

    Examples
    --------
    >>> blend("#000000", "#ffffff", 0.5), blend("#1f77b4", "#ffffff", 0.0)
    ('#808080', '#1f77b4')
    """
    t = min(max(float(t), 0.0), 1.0)
    a = [int(color[i : i + 2], 16) for i in (1, 3, 5)]
    b = [int(other[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * t):02x}" for x, y in zip(a, b))


def rgba(color: str, alpha: float) -> str:
    """A ``#rrggbb`` colour with transparency, as CSS ``rgba(...)`` (for filled bands).

    Examples
    --------
    >>> rgba("#1f77b4", 0.25)
    'rgba(31,119,180,0.25)'
    """
    r, g, b = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{min(max(float(alpha), 0.0), 1.0):g})"
