import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ploteries.viz.services.checksum import (
    NOTHING,
    RESEND_FULL,
    Action,
    SeriesState,
    UpdatePlan,
    client_state,
    digest_of,
    plan_update,
)

STEPS = list(range(0, 100, 10))
VALUES = [float(v) for v in np.linspace(1.0, 0.1, 10)]


def row_at(i):
    return STEPS[i], VALUES[i]


def held(n, fp="f1"):
    """What a client holds after receiving the first n rows."""
    last = row_at(n - 1) if n else (None, None)
    return client_state(fp, n, *last)


def test_digest_is_deterministic_hex():
    d = digest_of("f1", 3, 20, 0.5)
    assert d == digest_of("f1", 3, 20, 0.5)
    assert len(d) == 16 and int(d, 16) >= 0


@pytest.mark.parametrize(
    "other",
    [("f2", 3, 20, 0.5), ("f1", 4, 20, 0.5), ("f1", 3, 21, 0.5), ("f1", 3, 20, 0.5000000000000001)],
)
def test_digest_changes_with_every_input(other):
    assert digest_of(*other) != digest_of("f1", 3, 20, 0.5)


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        (float("nan"), np.float32("nan"), True),  # every NaN hashes alike
        (1.0, np.float64(1.0), True),
        (20, np.int64(20), True),
        (0.0, -0.0, False),  # bit-exact
    ],
)
def test_digest_value_normalization(a, b, same):
    assert (digest_of("f", 1, 0, a) == digest_of("f", 1, 0, b)) is same


def test_digest_of_array_values():
    a = np.array([(0.0, 1.0, 3.0)], dtype=[("left", "f8"), ("right", "f8"), ("count", "f8")])
    b = a.copy()
    b["count"] = 4.0
    assert digest_of("f", 1, 0, a) == digest_of("f", 1, 0, a.copy())
    assert digest_of("f", 1, 0, a) != digest_of("f", 1, 0, b)


@pytest.mark.parametrize(
    ("client", "server", "expected"),
    [
        (None, SeriesState("f1", 10), RESEND_FULL),  # new trace
        (held(10), SeriesState("f1", 10), NOTHING),
        (held(0), SeriesState("f1", 0), NOTHING),
        (held(4), SeriesState("f1", 10), UpdatePlan(Action.APPEND, 4)),
        (held(0), SeriesState("f1", 10), UpdatePlan(Action.APPEND, 0)),
        (held(4, fp="f0"), SeriesState("f1", 10), RESEND_FULL),  # file replaced
        (held(10), SeriesState("f1", 6), RESEND_FULL),  # server shrank (purge)
        ({**held(4), "digest": held(3)["digest"]}, SeriesState("f1", 10), RESEND_FULL),
        ({**held(4), "digest": "0" * 16}, SeriesState("f1", 10), RESEND_FULL),
    ],
)
def test_plan_update(client, server, expected):
    assert plan_update(client, server, row_at) == expected


def test_digest_mismatch_when_server_rows_changed_in_place():
    client = held(5)
    changed = dict(enumerate(zip(STEPS, VALUES)))
    changed[4] = (40, 123.0)  # same count, same fingerprint, different last row
    assert plan_update(client, SeriesState("f1", 10), changed.__getitem__) is RESEND_FULL


@pytest.mark.parametrize(
    "client",
    [
        {},
        {"fp": "f1", "n": 4},
        {"fp": "f1", "n": "4", "digest": "x"},
        {"fp": "f1", "n": -1, "digest": "x"},
        {"fp": "f1", "n": True, "digest": "x"},
        {"fp": 1, "n": 4, "digest": "x"},
        [1, 2, 3],
        "garbage",
    ],
)
def test_malformed_client_state_resends_in_full(client):
    assert plan_update(client, SeriesState("f1", 10), row_at) is RESEND_FULL


def test_row_at_is_called_once_with_the_clients_last_row():
    calls = []

    def spy(i):
        calls.append(i)
        return row_at(i)

    assert plan_update(held(7), SeriesState("f1", 10), spy) == UpdatePlan.append(7)
    assert calls == [6]
    calls.clear()
    plan_update(held(7, fp="other"), SeriesState("f1", 10), spy)
    assert calls == []  # decided without reading


def test_append_rejects_negative_row():
    with pytest.raises(ValueError, match="from_row must be >= 0, got -1"):
        UpdatePlan.append(-1)


@given(n_client=st.integers(0, 10), n_server=st.integers(0, 10), same_fp=st.booleans())
def test_following_the_plan_converges(n_client, n_server, same_fp):
    client = held(n_client, fp="f1" if same_fp else "old")
    server = SeriesState("f1", n_server)
    plan = plan_update(client, server, row_at)
    if plan.action is Action.RESEND_FULL:
        rows = list(range(n_server))
    elif plan.action is Action.APPEND:
        rows = list(range(n_client)) + list(range(plan.from_row, n_server))
    else:
        rows = list(range(n_client))
    assert rows == list(range(n_server))
    assert plan_update(held(len(rows)), server, row_at) is NOTHING
