"""Live ticks and the user's actions: a tick answers for the view it was asked for, or it is dropped.

A live tick is a round trip: the page sends what it shows (the settings, filters, tab, page, step slider, pause
and the state of every card), the server reads what is new and answers with patches for that view. Meanwhile
the user may act: rewind, zoom, pan, change a filter or a tab. A reply computed before the action must not undo
it, so the browser applies a tick's reply only where the view it was computed for is still the view shown
(``assets/ticks.js``):

- the reply echoes the page-wide view it was computed for (:func:`tick_view`); if any of it changed since,
  the whole reply is dropped;
- every card state carries a revision (:func:`stamp_state`) that changes whenever the server sends the card a
  new state (a first drawing, a tick, a settings change, a zoom); a card's part of a reply applies only if the
  card still holds the revision the tick read.

Ticks are also requested one at a time (a new one only once the previous one was answered): Dash drops the reply
of a request that a newer request of the same callback supersedes, so a page whose ticks take longer than the
reload interval would otherwise never see one land.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

__all__ = [
    "DATA",
    "REV",
    "card_revisions",
    "data_token",
    "held_token",
    "stamp_state",
    "tick_reply",
    "tick_view",
    "unstamped",
]

REV = "rev"
"""The key of a card state's revision."""

DATA = "data"
"""The key of a card state's data token (:func:`data_token`): what the card showed when the state was made."""


def data_token(card_id: str, signature: str, version: str, series: Iterable) -> str:
    """A digest of what a card shows: its id, the view settings, the library's structure and its series' rows.

    ``series`` are the card's bound series (``SeriesRef``: key, fingerprint and row count). A live tick whose card
    state carries the token the card has now skips the card: nothing it draws changed. 16 hex characters.

    Examples
    --------
    >>> from types import SimpleNamespace as Ref
    >>> ref = Ref(key=("db", "r", "loss", ""), info=Ref(fingerprint="f", count=3))
    >>> data_token("c", "s", "v", [ref]) == data_token("c", "s", "v", [ref]), len(data_token("c", "s", "v", []))
    (True, 16)
    >>> data_token("c", "s", "v", [ref]) == data_token("c", "s", "v", [Ref(key=ref.key, info=Ref(fingerprint="f", count=4))])
    False
    """
    h = hashlib.blake2b(f"{card_id}\x1e{signature}\x1e{version}\x1e".encode(), digest_size=8)
    for ref in series:
        h.update(f"{ref.key}\x1f{ref.info.fingerprint}\x1f{ref.info.count}\x1e".encode())
    return h.hexdigest()


def held_token(state: Any) -> str | None:
    """The data token a card state carries (None if none).

    Examples
    --------
    >>> held_token({DATA: "ab"}), held_token("junk")
    ('ab', None)
    """
    token = state.get(DATA) if isinstance(state, Mapping) else None
    return token if isinstance(token, str) else None


def stamp_state(state: Mapping | None, token: str | None = None) -> dict | None:
    """``state`` with a fresh revision, and with the data token if one is given (None stays None: no new state).

    Examples
    --------
    >>> a, b = stamp_state({"n": 1}), stamp_state({"n": 1}, "t0")
    >>> a["n"], a[REV] != b[REV], b[DATA], DATA in a
    (1, True, 't0', False)
    >>> stamp_state(None) is None
    True
    """
    if state is None:
        return None
    return {**state, REV: secrets.token_hex(6), **({} if token is None else {DATA: token})}


def unstamped(state: Any) -> dict:
    """A card state as its card type made it (without the revision and data token), ``{}`` for anything else.

    Card types compare the state they would send with the one the browser holds: the stamps are the viewer's.

    Examples
    --------
    >>> unstamped({"n": 1, "rev": "x1", "data": "t"}), unstamped("garbage")
    ({'n': 1}, {})
    """
    if not isinstance(state, Mapping):
        return {}
    return {k: v for k, v in state.items() if k not in (REV, DATA)}


def card_revisions(ids: Sequence[str], states: Sequence[Any]) -> dict[str, Any]:
    """The revision each card's state held when a tick read it (None for a state without one).

    Examples
    --------
    >>> card_revisions(["a", "b", "c"], [{"rev": "x1"}, {}, None])
    {'a': 'x1', 'b': None, 'c': None}
    """
    return {cid: state.get(REV) if isinstance(state, Mapping) else None for cid, state in zip(ids, states)}


def tick_view(settings, tab, tag_filter, run_filter, runs, page, slider, pause, ticked=None) -> list:
    """The page-wide view a tick is computed for, echoed in its reply, in the order ``assets/ticks.js`` reads it.

    Examples
    --------
    ``ticked`` is what the run list's page shows ticked: it changes as the user clicks, before the hidden runs
    (``runs``) come back from the server.

    >>> tick_view({"step": None}, "loss", None, "seed", {"only": False, "runs": []}, 0, 99, [], ["r"])
    [{'step': None}, 'loss', None, 'seed', {'only': False, 'runs': []}, 0, 99, [], ['r']]
    """
    return [settings, tab, tag_filter, run_filter, runs, page, slider, pause, ticked]


def tick_reply(
    request: Any,
    view: list,
    revisions: Mapping[str, Any],
    *,
    version: str | None,
    cards: Mapping[str, Mapping[str, Any]],
    slider: tuple[int, int, int | None],
    status: tuple[str, str],
) -> dict:
    """A tick's reply, applied by ``assets/ticks.js`` only where ``view`` and ``revisions`` still hold.

    Parameters
    ----------
    request : dict
        The request (``{"id": n, ...}``); its id tells the page the tick was answered.
    view : list
        :func:`tick_view` of the request.
    revisions : mapping
        :func:`card_revisions` of the card states the tick read.
    version : str or None
        The library's new version, None if unchanged.
    cards : mapping
        Per card id, ``{"figure": ..., "state": ...}`` (either may be missing): what changed.
    slider : (int, int, int or None)
        The step slider's new min, max and value (None: leave the value).
    status : (str, str)
        The status line's text and class.

    Examples
    --------
    >>> r = tick_reply({"id": 3}, [], {}, version=None, cards={}, slider=(0, 9, None), status=("live", "s"))
    >>> r["id"], r["slider"]
    (3, [0, 9, None])
    """
    return {
        "id": request.get("id") if isinstance(request, Mapping) else None,
        "view": view,
        "revs": dict(revisions),
        "version": version,
        "cards": {cid: dict(update) for cid, update in cards.items()},
        "slider": list(slider),
        "status": list(status),
    }
