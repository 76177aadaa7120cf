"""The viewer's one LRU cache, against a plain model of what it must keep."""

from __future__ import annotations

import threading

from hypothesis import given
from hypothesis import strategies as st

from ploteries.viz.lru import LruCache
from ploteries.viz.media import MediaCache
from ploteries.viz.scalar_traces import OverviewCache

operations = st.lists(
    st.tuples(st.sampled_from(["get", "put"]), st.integers(0, 6), st.integers(0, 40)), max_size=60
)


@given(operations, st.integers(1, 4), st.integers(10, 80), st.integers(5, 50))
def test_the_cache_keeps_what_a_model_lru_keeps(ops, max_entries, max_bytes, largest):
    cache = LruCache(max_entries, max_bytes=max_bytes, nbytes=lambda v: v, largest=largest)
    model: list[tuple[int, int]] = []  # (key, value), least recently used first
    for op, key, value in ops:
        held = dict(model)
        if op == "get":
            assert cache.get(key) == held.get(key)
            if key in held:
                model.remove((key, held[key]))
                model.append((key, held[key]))
        elif value <= largest:
            model = [kv for kv in model if kv[0] != key] + [(key, value)]
            while len(model) > 1 and (len(model) > max_entries or sum(v for _, v in model) > max_bytes):
                model.pop(0)
            cache.put(key, value)
        else:
            cache.put(key, value)  # too large: handed back, not kept, nothing pushed out
        assert cache.keys() == [k for k, _ in model]
        assert cache.nbytes == sum(v for _, v in model) and len(cache) == len(model)


def test_get_or_make_makes_once_per_key_across_threads_and_keeps_the_newest_even_if_large():
    cache = LruCache(max_bytes=10, nbytes=len)
    made = []

    def make():
        made.append(1)
        return "x" * 4

    threads = [threading.Thread(target=cache.get_or_make, args=("k", make)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert cache.get("k") == "xxxx" and 1 <= len(made) <= 8
    made.clear()
    assert cache.get_or_make("k", make) == "xxxx" and made == []
    cache.put("huge", "y" * 50)  # over the bound alone: kept, everything older goes
    assert cache.keys() == ["huge"] and cache.nbytes == 50


def test_the_viewer_caches_are_bounded_as_documented():
    media = MediaCache(max_bytes=100)
    assert media.get_or_make("a", lambda: (b"x" * 30, "fp")) == (b"x" * 30, "fp")
    assert media.keys() == []  # over a quarter of the bound: served, not kept
    media.get_or_make("b", lambda: (b"x" * 20, "fp"))
    assert media.keys() == ["b"] and media.nbytes == 20
    overviews = OverviewCache(max_entries=2)
    for key in "abc":
        overviews.put(key, key.upper())
    assert overviews.keys() == ["b", "c"] and overviews.get("c") == "C"
