"""The live-update protocol: decide what a client must receive to catch up with a series.

The server knows, per series, a :class:`SeriesState`: a ``fingerprint`` naming the file and the
series epoch (it changes when a file is replaced or a run purged) and the committed row ``count``.
The client keeps, per trace, ``{"fp": str, "n": int, "digest": str}`` where ``digest`` is
:func:`digest_of` its fingerprint, row count and last row. :func:`plan_update` compares the two and
answers NOTHING, APPEND(from_row) or RESEND_FULL. Client state is untrusted input: anything
malformed asks for a full resend, never an exception.
"""

from __future__ import annotations

import enum
import hashlib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "NOTHING",
    "RESEND_FULL",
    "Action",
    "SeriesState",
    "UpdatePlan",
    "client_state",
    "digest_of",
    "plan_update",
]


@dataclass(frozen=True)
class SeriesState:
    """What the server knows of one series.

    Attributes
    ----------
    fingerprint : str
        Identifies the file and the series epoch; changes when a file is replaced or a run purged.
    count : int
        Committed rows.
    """

    fingerprint: str
    count: int


class Action(enum.Enum):
    """What the server sends for one trace."""

    NOTHING = "nothing"
    APPEND = "append"
    RESEND_FULL = "resend_full"


@dataclass(frozen=True)
class UpdatePlan:
    """One of NOTHING, APPEND(from_row) or RESEND_FULL.

    Attributes
    ----------
    action : Action
    from_row : int
        First row to send: the client's row count for APPEND, 0 otherwise.
    """

    action: Action
    from_row: int = 0

    @classmethod
    def append(cls, from_row: int) -> UpdatePlan:
        """Plan sending rows ``from_row`` onwards.

        Examples
        --------
        >>> UpdatePlan.append(10)
        UpdatePlan(action=<Action.APPEND: 'append'>, from_row=10)
        """
        if from_row < 0:
            raise ValueError(f"from_row must be >= 0, got {from_row}")
        return cls(Action.APPEND, int(from_row))


NOTHING = UpdatePlan(Action.NOTHING)
"""The client is up to date."""
RESEND_FULL = UpdatePlan(Action.RESEND_FULL)
"""The client's copy diverged (or is unknown): send the whole series."""


def _value_token(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, np.ndarray) and value.ndim > 0:  # tensor or histogram records
        arr = np.ascontiguousarray(value)
        return f"{arr.dtype.str}{arr.shape}:{hashlib.blake2b(arr.tobytes(), digest_size=8).hexdigest()}"
    f = float(value)
    return "nan" if math.isnan(f) else f.hex()  # hex is exact; every NaN payload hashes alike


def digest_of(fp: str, n: int, last_step: int | None, last_value: Any) -> str:
    """A cheap, exact hash of what a client holds.

    Parameters
    ----------
    fp : str
        Series fingerprint.
    n : int
        Rows held.
    last_step, last_value : int or None, float or array or None
        The last row held; None when ``n == 0``. Floats are hashed bit-exactly (``float.hex``), all
        NaNs alike; arrays (tensor, histogram records) by dtype, shape and bytes.

    Returns
    -------
    str
        16 hexadecimal characters (BLAKE2b, 64 bits).

    Examples
    --------
    >>> digest_of("f1", 0, None, None) == digest_of("f1", 0, None, None)
    True
    >>> digest_of("f1", 3, 2, 0.5) == digest_of("f1", 3, 2, 0.25)
    False
    """
    step = "-" if last_step is None else str(int(last_step))
    text = f"{fp}\x1f{int(n)}\x1f{step}\x1f{_value_token(last_value)}"
    return hashlib.blake2b(text.encode("utf-8"), digest_size=8).hexdigest()


def client_state(fp: str, n: int, last_step: int | None, last_value: Any) -> dict[str, Any]:
    """The state a client stores after receiving ``n`` rows (what the server sends with the data).

    Examples
    --------
    >>> client_state("f1", 0, None, None)["n"]
    0
    """
    return {"fp": fp, "n": int(n), "digest": digest_of(fp, n, last_step, last_value)}


def _parse(client: Any) -> tuple[str, int, str] | None:
    if not isinstance(client, Mapping):
        return None
    fp, n, digest = client.get("fp"), client.get("n"), client.get("digest")
    if not isinstance(fp, str) or not isinstance(digest, str):
        return None
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        return None
    return fp, n, digest


def plan_update(
    client: Mapping[str, Any] | None,
    server: SeriesState,
    row_at: Callable[[int], tuple[int, Any]],
) -> UpdatePlan:
    """Decide what to send so that the client's trace matches the server's series.

    Parameters
    ----------
    client : mapping or None
        ``{"fp": str, "n": int, "digest": str}`` as stored by the client; None for a new trace.
    server : SeriesState
        The series' current fingerprint and committed row count.
    row_at : callable
        ``row_at(i) -> (step, value)`` of the server's row ``i``. Called at most once, with
        ``i = client n - 1``, to recompute the client's digest (so reading it lazily costs one row).

    Returns
    -------
    UpdatePlan
        RESEND_FULL if the client state is missing or malformed, the fingerprint differs, the
        server has fewer rows than the client, or the digest does not match the server's row;
        NOTHING if the counts are equal; otherwise ``APPEND(from_row=client n)``.

    Examples
    --------
    >>> rows = [(0, 1.0), (1, 0.5), (2, 0.25)]
    >>> held = client_state("f1", 2, *rows[1])
    >>> plan_update(held, SeriesState("f1", 3), rows.__getitem__).from_row
    2
    >>> plan_update(held, SeriesState("f2", 3), rows.__getitem__) is RESEND_FULL
    True
    """
    parsed = _parse(client)
    if parsed is None:
        return RESEND_FULL
    fp, n, digest = parsed
    if fp != server.fingerprint or server.count < n:
        return RESEND_FULL
    last_step, last_value = row_at(n - 1) if n > 0 else (None, None)
    if digest != digest_of(fp, n, last_step, last_value):
        return RESEND_FULL
    if server.count == n:
        return NOTHING
    return UpdatePlan.append(n)
