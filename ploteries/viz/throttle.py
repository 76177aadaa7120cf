"""A bound on the viewer's heavy requests at once (media encoding, downloads), so a burst cannot exhaust memory.

Each heavy request holds a slot while it works; a request that finds none free within a short wait is answered
``503 Service Unavailable`` with ``Retry-After`` and a message, instead of adding its memory to the others'.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["HEAVY_AT_ONCE", "Busy", "HeavyRequests"]

HEAVY_AT_ONCE = 2
"""Heavy requests served at once by default (each is bounded in memory by its own limits)."""


class Busy(RuntimeError):
    """Every slot stayed taken for the whole wait: answer 503 and let the client retry."""


class HeavyRequests:
    """At most ``limit`` heavy requests at once; another waits up to ``wait`` seconds, then :class:`Busy`.

    Parameters
    ----------
    limit : int
        Slots (requests working at the same time).
    wait : float
        Seconds a request waits for a slot before it is refused.

    Examples
    --------
    >>> gate = HeavyRequests(limit=1, wait=0.0)
    >>> with gate.slot():
    ...     try:
    ...         with gate.slot():
    ...             pass
    ...     except Busy as exc:
    ...         print(exc)
    the viewer is busy with 1 heavy request(s) at once; try again in a moment
    """

    retry_after = 2
    """Seconds a refused client is told to wait (``Retry-After``)."""

    def __init__(self, limit: int = HEAVY_AT_ONCE, wait: float = 10.0) -> None:
        if not isinstance(limit, int) or limit < 1:
            raise ValueError(f"limit must be a positive whole number of requests, got {limit!r}")
        self.limit = limit
        self.wait = wait
        self._slots = threading.BoundedSemaphore(limit)

    def acquire(self) -> Callable[[], None]:
        """Take a slot (:class:`Busy` if none frees up in time); returns the function that gives it back."""
        if not self._slots.acquire(timeout=self.wait):
            raise Busy(
                f"the viewer is busy with {self.limit} heavy request(s) at once; try again in a moment"
            )
        return self._slots.release

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold a slot for the duration of the ``with`` block; :class:`Busy` if none frees up in time."""
        release = self.acquire()
        try:
            yield
        finally:
            release()

    def run(self, make):
        """``make()`` inside a slot."""
        with self.slot():
            return make()
