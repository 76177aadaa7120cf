"""Settings shared by every test."""

from hypothesis import settings

# Property tests check values, never timings: hypothesis' default 200 ms deadline per example failed tests on this
# 2-core machine whenever other work loaded it (tests/viz/test_runlist.py, test_aggregate.py). No deadline.
settings.register_profile("ploteries", deadline=None)
settings.load_profile("ploteries")
