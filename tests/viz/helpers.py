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


def sweep_run_name(i: int) -> str:
    """The name of run ``i`` of :func:`write_sweep`: its seed and learning rate (``seed=3/lr=0.01``)."""
    return f"seed={i // len(SWEEP_LRS)}/lr={SWEEP_LRS[i % len(SWEEP_LRS)]}"


SWEEP_LRS = ("0.1", "0.01", "0.001")


def write_sweep(path: Path, runs: int, *, steps: int = 20, hparams: bool = True) -> Path:
    """One database of a sweep: ``runs`` runs (:func:`sweep_run_name`) logging ``loss`` and ``acc`` over ``steps``
    steps, each with its hparams (``lr``, ``seed``, ``opt``) as ``add_hparams`` records them on the run itself.

    Run ``i``'s loss is ``lr_index + i / runs + 1 / (step + 1)``: runs of one lr lie in a band of width < 1,
    the three lrs' bands apart; its last acc is ``i / runs``.
    """
    from ploteries.storage import json_to_array
    from ploteries.storage.kinds import HPARAMS_TAG

    path.parent.mkdir(parents=True, exist_ok=True)
    s = np.arange(steps, dtype=np.int64)
    with DatabaseWriter(path) as w:
        for i in range(runs):
            run, lr_index = sweep_run_name(i), i % len(SWEEP_LRS)
            loss = lr_index + i / runs + 1.0 / (s + 1)
            w.append_many(run, "loss", loss, s, 1.7e9 + s, kind="scalar")
            w.append_many(run, "acc", np.linspace(0, i / runs, steps), s, 1.7e9 + s, kind="scalar")
            if hparams:
                record = {
                    "hparams": {
                        "lr": float(SWEEP_LRS[lr_index]),
                        "seed": i // 3,
                        "opt": "adam" if i % 2 else "sgd",
                    }
                }
                w.append(
                    run,
                    HPARAMS_TAG,
                    json_to_array(record),
                    steps - 1,
                    1.7e9 + steps,
                    kind="hparams",
                    ragged=True,
                )
    return path


def plain(figure):
    """A figure (dict) with its typed arrays decoded to numpy arrays (as plotly.js reads them); other values as is."""
    from ploteries.viz.services.payload import TRACE_ARRAYS, decode_array

    if not isinstance(figure, dict) or "data" not in figure:
        return figure
    data = [{k: decode_array(v) if k in TRACE_ARRAYS else v for k, v in t.items()} for t in figure["data"]]
    return {**figure, "data": data}
