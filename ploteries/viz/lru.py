"""One least-recently-used cache for the viewer: bounded in entries and in bytes, safe from several threads.

The viewer keeps what is costly to compute and cheap to keep: scalar overviews
(:class:`~ploteries.viz.scalar_traces.OverviewCache`), encoded media (:class:`~ploteries.viz.media.MediaCache`)
and the embedding projector's projections. They all use :class:`LruCache`.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

__all__ = ["LruCache"]

V = TypeVar("V")


class LruCache(Generic[V]):
    """A thread-safe LRU cache bounded in entries and in bytes.

    Parameters
    ----------
    max_entries : int, optional
        Most entries kept (no bound if None).
    max_bytes : int, optional
        Most bytes kept, as ``nbytes`` counts them (no bound if None).
    nbytes : callable, optional
        The bytes of a value (default 0: only entries count).
    largest : int, optional
        Values of more bytes are handed back but not kept (they would push out everything else).

    The least recently used entries go first, until the bounds hold; the newest entry always stays.

    Examples
    --------
    >>> cache = LruCache(max_entries=2)
    >>> cache.put("a", 1); cache.put("b", 2); cache.get("a"); cache.put("c", 3)
    1
    >>> cache.keys(), cache.get("b")
    (['a', 'c'], None)
    >>> cache.get_or_make("d", lambda: 4), cache.get_or_make("d", lambda: 5)
    (4, 4)
    """

    def __init__(
        self,
        max_entries: int | None = None,
        *,
        max_bytes: int | None = None,
        nbytes: Callable[[V], int] | None = None,
        largest: int | None = None,
    ):
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.largest = largest
        self._nbytes = nbytes or (lambda _value: 0)
        self._items: OrderedDict[Hashable, tuple[V, int]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> V | None:
        """The value of ``key`` (now the most recently used), or None if it is not kept."""
        with self._lock:
            found = self._items.get(key)
            if found is None:
                return None
            self._items.move_to_end(key)
            return found[0]

    def put(self, key: Hashable, value: V) -> None:
        """Keep ``value`` under ``key`` (unless it is larger than ``largest``), dropping the oldest over the bounds."""
        size = self._nbytes(value)
        if self.largest is not None and size > self.largest:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._size -= old[1]
            self._items[key] = (value, size)
            self._size += size
            while len(self._items) > 1 and self._over():
                _, (_, dropped) = self._items.popitem(last=False)
                self._size -= dropped

    def get_or_make(self, key: Hashable, make: Callable[[], V]) -> V:
        """The value of ``key``, made by ``make()`` (outside the lock) and kept if it is not kept already."""
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                return found[0]
        value = make()
        self.put(key, value)
        return value

    def keys(self) -> list:
        """The keys kept, least recently used first."""
        with self._lock:
            return list(self._items)

    @property
    def nbytes(self) -> int:
        """The bytes kept, as ``nbytes`` counts them."""
        return self._size

    def __len__(self) -> int:
        return len(self._items)

    def _over(self) -> bool:
        return (self.max_entries is not None and len(self._items) > self.max_entries) or (
            self.max_bytes is not None and self._size > self.max_bytes
        )
