"""Viewer services on large series: vectorized smoothing vs TensorBoard's loop, and downsampling.

Run: PYTHONPATH=. python bench/bench_viz_services.py
"""

from __future__ import annotations

import this_tree  # noqa: F401  (first: the ploteries of this tree, see this_tree.py)

# isort: split

import math
import time

import numpy as np

from ploteries.viz.services import lttb_downsample, minmax_downsample, smooth_ema


def tensorboard_loop(values: np.ndarray, w: float) -> list[float]:
    last, n, out = 0.0, 0, []
    for y in values.tolist():
        if not math.isfinite(y):
            out.append(y)
            continue
        last = last * w + (1 - w) * y
        n += 1
        out.append(last / (1 - w**n))
    return out


def best_of(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    n = 10_000_000
    rng = np.random.default_rng(0)
    y = rng.normal(size=n).cumsum()
    x = np.arange(n)
    loop_1m = best_of(lambda: tensorboard_loop(y[:1_000_000], 0.6), repeat=1)
    for w in (0.6, 0.999):
        t = best_of(lambda w=w: smooth_ema(y, w))
        print(
            f"smooth_ema 10M w={w}: {t * 1e3:.0f} ms; Python loop ~{loop_1m * 10:.1f} s ({loop_1m * 10 / t:.0f}x)"
        )
    t_mm = best_of(lambda: minmax_downsample(x, y, 2000))
    t_lt = best_of(lambda: lttb_downsample(x, y, 2000))
    print(f"minmax_downsample 10M -> 2000: {t_mm * 1e3:.0f} ms")
    print(f"lttb_downsample   10M -> 2000: {t_lt * 1e3:.0f} ms")


if __name__ == "__main__":
    main()
