"""Live ticks: card state revisions, the view a tick echoes, and what a tick sends when nothing changed."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ploteries.storage import DatabaseWriter
from ploteries.viz.app import Viewer, slider_range
from ploteries.viz.library import Library
from ploteries.viz.scalar_figure import series_entries
from ploteries.viz.settings import ViewSettings
from ploteries.viz.ticks import DATA, REV, card_revisions, stamp_state, tick_reply, tick_view, unstamped
from tests.viz.analysis_data import write_trials
from tests.viz.helpers import write_scalars
from tests.viz.media_data import write_media

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=10,
)


@given(st.dictionaries(st.text(max_size=8).filter(lambda k: k != REV), json_values, max_size=6))
def test_a_stamped_state_is_the_card_types_state_plus_a_fresh_revision(state):
    stamped = stamp_state(state)
    assert unstamped(stamped) == state
    assert isinstance(stamped[REV], str) and len(stamped[REV]) == 12
    assert stamp_state(state)[REV] != stamped[REV]


@given(json_values)
def test_unstamped_takes_anything_the_browser_sends(value):
    assert isinstance(unstamped(value), dict)


def test_revisions_and_the_echoed_view_go_back_in_the_reply():
    states = [stamp_state({"n": 1}), {"n": 2}, "garbage"]
    revs = card_revisions(["a", "b", "c"], states)
    assert revs == {"a": states[0][REV], "b": None, "c": None}
    view = tick_view({"step": None}, "loss", "l.*", None, ["r"], 2, 99, ["pause"])
    reply = tick_reply(
        {"id": 7, "t": 1},
        view,
        revs,
        version="v2",
        cards={"a": {"state": {"n": 3}}},
        slider=(0, 99, 99),
        status=("live", "status"),
    )
    assert reply == {
        "id": 7,
        "view": [{"step": None}, "loss", "l.*", None, ["r"], 2, 99, ["pause"], None],
        "revs": revs,
        "version": "v2",
        "cards": {"a": {"state": {"n": 3}}},
        "slider": [0, 99, 99],
        "status": ["live", "status"],
    }
    assert (
        tick_reply(None, view, {}, version=None, cards={}, slider=(0, 1, None), status=("", ""))["id"] is None
    )


def first_page_states(viewer: Viewer, tab, settings: ViewSettings | None = None) -> tuple[dict, list]:
    """The stamped card states of a tab's first page, as the browser holds them, and the models."""
    snapshot = viewer.library.refresh()
    models = viewer.models(snapshot, tab, None, None, None)
    cards = viewer.render_cards(models, snapshot, settings or ViewSettings(), viewer.colors(snapshot))
    states = {}
    for card in cards:
        store = next(c for c in card.children if getattr(c, "id", {}).get("type") == "card-state")
        states[store.id["card"]] = store.data
    return states, models


def test_a_tick_over_unchanged_data_sends_nothing_for_any_card_type(tmp_path):
    write_media(tmp_path / "runs", steps=(0, 10))
    write_scalars(tmp_path / "runs" / "s.h5", {"r": {"loss": [1.0, 2.0]}})
    viewer = Viewer(Library([tmp_path / "runs"]))
    for tab in ("img", "loss", "notes", "sound", "clip"):
        held, models = first_page_states(viewer, tab)
        assert held and all(REV in s for s in held.values())
        snapshot = viewer.library.refresh()
        assert viewer.card_updates(snapshot, held, ViewSettings(), tab, None, None, None, live=True) == {}, (
            tab
        )


def test_a_tick_sends_new_rows_and_the_slider_follows_the_latest_step(tmp_path):
    db = write_scalars(tmp_path / "runs" / "s.h5", {"r": {"loss": [1.0, 2.0, 3.0]}})
    viewer = Viewer(Library([db.parent]))
    held, _ = first_page_states(viewer, "loss")
    assert slider_range(viewer.library.snapshot) == (0, 2)
    with DatabaseWriter(db) as w:
        w.append_scalar("r", "loss", 4.0, 3)
    snapshot = viewer.library.refresh()
    updates = viewer.card_updates(snapshot, held, ViewSettings(), "loss", None, None, None, live=True)
    ((update, token),) = updates.values()
    assert series_entries(update.state)[0]["n"] == 4 and REV not in update.state
    assert slider_range(snapshot) == (0, 3)
    assert token != next(iter(held.values()))[DATA]  # the card now shows more rows: a new token


def test_an_unchanged_tick_reuses_the_snapshot_and_skips_cards_holding_their_token(tmp_path, monkeypatch):
    db = write_scalars(tmp_path / "runs" / "s.h5", {"r": {"loss": [1.0, 2.0, 3.0]}, "q": {"loss": [1.0]}})
    viewer = Viewer(Library([db.parent]))
    held, models = first_page_states(viewer, "loss")
    snapshot = viewer.library.refresh()
    assert viewer.library.refresh() is snapshot  # nothing changed on disk: the same snapshot, its work kept
    assert viewer.models(snapshot, "loss", None, None, None) is viewer.models(
        snapshot, "loss", None, None, None
    )
    refreshed = []
    card_type = type(models[0].card_type)
    real = card_type.refresh
    monkeypatch.setattr(
        card_type, "refresh", lambda self, *a, **k: refreshed.append(a) or real(self, *a, **k)
    )
    assert viewer.card_updates(snapshot, held, ViewSettings(), "loss", None, None, None, live=True) == {}
    assert refreshed == []  # every card held its token: none was asked
    other = ViewSettings(smoothing=0.9)  # another view: the token differs, the card is asked (and redraws)
    assert (
        viewer.card_updates(snapshot, held, other, "loss", None, None, None, live=True)
        and len(refreshed) == 1
    )
    stale = {cid: {**state, DATA: "0" * 16} for cid, state in held.items()}
    assert viewer.card_updates(snapshot, stale, ViewSettings(), "loss", None, None, None, live=True) == {}
    assert len(refreshed) == 2  # an unknown token: the card checks its series itself and finds nothing new


def test_a_tick_redraws_the_hparams_card_when_only_a_trials_scalar_grew(tmp_path):
    """The hparams table shows each trial's last scalars, series the card is not bound to: rows appended to
    one of them (no new series, the library's version unchanged) must change the card's token, or every later
    tick skips the card and its column never follows training."""
    root = write_trials(tmp_path / "runs")
    viewer = Viewer(Library([root]))
    held, models = first_page_states(viewer, "hparams")
    (model,) = [m for m in models if m.card_type.name == "hparams"]
    before = viewer.library.snapshot
    with DatabaseWriter(root / "trial0" / "ploteries.h5") as w:
        w.append_scalar("trial0", "loss/train", 0.125, 8)
    snapshot = viewer.library.refresh()
    assert snapshot.version == before.version  # rows only
    updates = viewer.card_updates(snapshot, held, ViewSettings(), "hparams", None, None, None, live=True)
    assert model.id in updates
    assert updates[model.id][1] != held[model.id][DATA]
    context = viewer.context(model, snapshot, ViewSettings(), viewer.colors(snapshot))
    rows = model.card_type.table(context, ["loss/train"])["rows"]
    assert {r["trial"]: r["s:loss/train"] for r in rows} == {
        "trial0/hp": 0.125,
        "trial1/hp": 1.2,
        "trial2/hp": 2.2,
    }


def test_a_page_of_cards_drawn_for_settings_the_user_has_since_changed_is_drawn_anew(tmp_path):
    """The page's cards come drawn for the settings of when they were asked for; a rewind applied before they
    arrived left a rewound page of live cards (ticks stop while rewound). ``stale_only`` redraws those, only."""
    viewer = Viewer(Library([write_trials(tmp_path / "runs")]))
    rewound = ViewSettings(step=2)
    drawn_live, models = first_page_states(viewer, "hparams")
    drawn_rewound, _ = first_page_states(viewer, "hparams", rewound)
    snapshot = viewer.library.snapshot
    (model,) = [m for m in models if m.card_type.name == "hparams"]

    def stale(held):
        return viewer.card_updates(
            snapshot, held, rewound, "hparams", None, None, None, live=False, stale_only=True
        )

    assert set(stale(drawn_live)) == {model.id}
    update, token = stale(drawn_live)[model.id]
    assert (
        token == drawn_rewound[model.id][DATA] and update.state["digest"] == drawn_rewound[model.id]["digest"]
    )
    assert stale(drawn_rewound) == {}  # drawn for the page's settings: nothing to draw again
