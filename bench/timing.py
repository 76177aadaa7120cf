"""Timing helpers shared by the benches."""

from __future__ import annotations

import time

CLOCKS = {"wall": time.perf_counter, "cpu": time.thread_time}


def per_call(fns: list, calls: int, repeats: int = 9, clock: str = "wall") -> list[float]:
    """Seconds per call of each ``fn(i)``: the fastest of ``repeats`` batches of ``calls``.

    The functions take turns batch by batch, so a burst of load from other processes hits them alike; the
    fastest batch is the least disturbed estimate of each one's own cost. ``clock="cpu"`` counts the CPU
    time of the calling thread only (``time.thread_time``): what the call itself costs, which the load of
    other processes barely changes (background threads, ours and torch's, are not counted).
    """
    now = CLOCKS[clock]
    best = [float("inf")] * len(fns)
    for r in range(repeats):
        for k, fn in enumerate(fns):
            t0 = now()
            for i in range(r * calls, (r + 1) * calls):
                fn(i)
            best[k] = min(best[k], (now() - t0) / calls)
    return best
