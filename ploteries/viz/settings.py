"""The viewer's global display settings, as held by the browser and checked by the server.

Everything here arrives from the browser and is untrusted: :meth:`ViewSettings.from_store` clamps and
defaults instead of raising, so a hand-edited request can never take a callback down.
"""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any

from .services.aggregate import CENTERS, SPREADS
from .services.smoothing import DEFAULT_WEIGHT
from .services.xaxis import X_MODES

__all__ = ["MAX_SMOOTHING", "ViewSettings", "run_key_from_value", "run_key_value"]

MAX_SMOOTHING = 0.999
"""Largest smoothing weight the slider offers (TensorBoard's)."""
MAX_GROUP_SPEC = 1100
"""Longest ``group`` setting kept (a filter pattern's limit and its prefix); longer is dropped."""
MAX_EXPANDED = 64
"""Most groups shown expanded at once (their member runs drawn as lines)."""


def _float(value: Any, default: float) -> float:
    try:
        f = float(value)
    except (TypeError, ValueError):
        return default
    return f if math.isfinite(f) else default


@dataclasses.dataclass(frozen=True)
class ViewSettings:
    """Display settings shared by every card.

    Examples
    --------
    >>> ViewSettings.from_store({"smoothing": 5, "xmode": "bogus", "group": "regex:lr=(.*)", "center": 3})
    ViewSettings(smoothing=0.999, xmode='step', log_y=False, ignore_outliers=False, step=None, group='regex:lr=(.*)', center='mean', spread='minmax', expanded=())
    """

    smoothing: float = DEFAULT_WEIGHT
    xmode: str = "step"
    log_y: bool = False
    ignore_outliers: bool = False
    step: int | None = None  # rewound to this step; None = live
    group: str = ""  # runs grouped into bands: "" (not grouped), "regex:PATTERN" or "hparam:NAME"
    center: str = "mean"  # a group's line: one of services.aggregate.CENTERS
    spread: str = "minmax"  # a group's band: one of services.aggregate.SPREADS
    expanded: tuple[str, ...] = ()  # groups whose member runs are drawn too

    @classmethod
    def from_store(cls, data: Any) -> ViewSettings:
        """Settings from the browser's store (anything malformed falls back to the default)."""
        if not isinstance(data, dict):
            return cls()
        smoothing = min(max(_float(data.get("smoothing"), DEFAULT_WEIGHT), 0.0), MAX_SMOOTHING)
        xmode = data.get("xmode") if data.get("xmode") in X_MODES else "step"
        step = data.get("step")
        step = (
            int(step)
            if isinstance(step, (int, float)) and not isinstance(step, bool) and math.isfinite(step)
            else None
        )
        group = data.get("group")
        group = group if isinstance(group, str) and len(group) <= MAX_GROUP_SPEC else ""
        center = data.get("center") if data.get("center") in CENTERS else "mean"
        spread = data.get("spread") if data.get("spread") in SPREADS else "minmax"
        expanded = data.get("expanded")
        expanded = (
            tuple(dict.fromkeys(e for e in expanded if isinstance(e, str) and len(e) <= MAX_GROUP_SPEC))[
                :MAX_EXPANDED
            ]
            if isinstance(expanded, list)
            else ()
        )
        return cls(
            smoothing,
            xmode,
            bool(data.get("log_y")),
            bool(data.get("ignore_outliers")),
            step,
            group if group.startswith(("regex:", "hparam:")) else "",
            center,
            spread,
            expanded if group else (),
        )

    def to_store(self) -> dict:
        return {**dataclasses.asdict(self), "expanded": list(self.expanded)}

    @property
    def signature(self) -> str:
        """Changes whenever a card must be drawn anew."""
        return json.dumps(self.to_store(), sort_keys=True)

    @property
    def stop(self) -> int | None:
        """Exclusive step bound of reads (the rewind position), None when live."""
        return None if self.step is None else self.step + 1


def run_key_value(source: str, run: str) -> str:
    """A run's identity as one string (for checklists and stores).

    Examples
    --------
    >>> run_key_from_value(run_key_value("a/b.h5", "lr=0.1"))
    ('a/b.h5', 'lr=0.1')
    """
    return json.dumps([source, run], ensure_ascii=False)


def run_key_from_value(value: Any) -> tuple[str, str] | None:
    """The inverse of :func:`run_key_value`; None for anything malformed."""
    try:
        source, run = json.loads(value)
    except (TypeError, ValueError):
        return None
    if isinstance(source, str) and isinstance(run, str):
        return source, run
    return None
