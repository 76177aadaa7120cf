"""Test data for the viewer: databases written through the real storage writer."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ploteries.storage import DatabaseWriter


def write_scalars(path: Path, series: dict, *, wall_time0: float = 1_700_000_000.0) -> Path:
    """``series`` = {run: {tag: values or (steps, values)}}; wall time advances one second per step."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with DatabaseWriter(path) as w:
        for run, tags in series.items():
            for tag, spec in tags.items():
                steps, values = spec if isinstance(spec, tuple) else (np.arange(len(spec)), spec)
                steps = np.asarray(steps, np.int64)
                w.append_many(
                    run, tag, np.asarray(values, np.float64), steps, wall_time0 + steps, kind="scalar"
                )
    return path


def tensorboard_smoothing(values, weight: float) -> list[float]:
    """TensorBoard's smoothing loop, transcribed from reference/tensorboard.md: the oracle of smoothing tests."""
    import math

    w = 0.0 if math.isnan(weight) else min(max(weight, 0.0), 1.0)
    ys = [float(v) for v in values]
    if all(v == ys[0] for v in ys):
        return ys
    last, n, out = 0.0, 0, []
    for y in ys:
        if not math.isfinite(y):
            out.append(y)
            continue
        last = last * w + (1 - w) * y
        n += 1
        out.append(last / (1 if w == 1 else 1 - w**n))
    return out


def card_context(lib, title: str, settings=None, state_field: str | None = None):
    """The context of the card titled ``title`` (any tab), as the viewer builds it for a callback."""
    from ploteries.viz.app import Viewer
    from ploteries.viz.settings import ViewSettings

    viewer = Viewer(lib)
    snapshot = lib.refresh()
    found = [m for m in viewer.models(snapshot, None, None, None, None) if m.title == title]
    assert len(found) == 1, [m.title for m in viewer.models(snapshot, None, None, None, None)]
    return viewer.context(found[0], snapshot, settings or ViewSettings(), viewer.colors(snapshot))


CUSTOM_LAYOUT = {
    "Losses": {"train and val": ["Multiline", ["loss/.*"]]},
    "Accuracy": {"band": ["Margin", ["acc/mean", "acc/lo", "acc/hi"]]},
}


def write_custom_scalars(root: Path, steps: int = 6) -> Path:
    """Runs ``a`` and ``b`` (run b's values doubled) of losses, an accuracy with bounds and
    :data:`CUSTOM_LAYOUT`, written through the compat ``SummaryWriter``."""
    from ploteries.compat import SummaryWriter

    for run, k in (("a", 1.0), ("b", 2.0)):
        with SummaryWriter(str(root / run)) as w:
            for step in range(steps):
                w.add_scalar("loss/train", k / (step + 1), step)
                w.add_scalar("loss/val", k / (step + 1) + 0.1, step)
                w.add_scalar("acc/mean", k * step, step)
                w.add_scalar("acc/lo", k * step - 1, step)
                w.add_scalar("acc/hi", k * step + 1, step)
            w.add_scalar("xloss/other", 0.0, 0)  # does not match "loss/.*" (re.match anchors at the start)
            w.add_custom_scalars(CUSTOM_LAYOUT)
    return root


def plain(figure):
    """A figure (dict) with its typed arrays decoded to numpy arrays (as plotly.js reads them); other values as is."""
    from ploteries.viz.services.payload import TRACE_ARRAYS, decode_array

    if not isinstance(figure, dict) or "data" not in figure:
        return figure
    data = [{k: decode_array(v) if k in TRACE_ARRAYS else v for k, v in t.items()} for t in figure["data"]]
    return {**figure, "data": data}
