"""Run-list events: the page's ticks and the selection the page holds (ploteries.viz.run_list.apply_event)."""

from ploteries.viz.app import create_app
from ploteries.viz.library import Library
from ploteries.viz.run_list import apply_event
from ploteries.viz.services.runlist import hidden_runs
from ploteries.viz.settings import ViewSettings, run_key_value
from tests.viz.dash_requests import callback_body, callback_key
from tests.viz.helpers import write_scalars

NOTHING_HIDDEN = {"only": False, "runs": []}


def sweep(tmp_path):
    write_scalars(tmp_path / "db.h5", {r: {"loss": [1.0, 0.5]} for r in ("a", "b", "c", "d")})
    snapshot = Library([tmp_path]).refresh()
    values = {k.run: run_key_value(*k) for k in snapshot.run_keys}
    return snapshot, values


def event(snapshot, trigger, *, checked, rows, pattern=None, selection=NOTHING_HIDDEN):
    return apply_event(
        trigger, snapshot, pattern=pattern, selection=selection, checked=checked, rows=rows, page=0
    )


def test_a_later_event_keeps_a_click_not_yet_answered(tmp_path):
    snapshot, v = sweep(tmp_path)
    rows = [v[r] for r in "abcd"]
    unticked_a = [v[r] for r in "bcd"]  # the user unticked "a"; the server has not answered yet
    for trigger, pattern, hidden in [
        ("runs-hide", "d$", {"a", "d"}),
        ("run-filter", "b", {"a"}),
        ("run-sort", None, {"a"}),
        ("runs", None, {"a"}),
    ]:
        selection, _ = event(snapshot, trigger, checked=unticked_a, rows=rows, pattern=pattern)
        assert hidden_runs(selection, rows) == {v[r] for r in hidden}, trigger
    # "all" and "none" are what the user asked last
    assert event(snapshot, "runs-all", checked=unticked_a, rows=rows)[0] == NOTHING_HIDDEN
    assert hidden_runs(event(snapshot, "runs-none", checked=unticked_a, rows=rows)[0], rows) == set(rows)


def test_ticks_that_match_the_selection_change_nothing(tmp_path):
    snapshot, v = sweep(tmp_path)
    rows = [v[r] for r in "abcd"]
    held = {"only": False, "runs": [v["c"]]}
    ticks = [v[r] for r in "abd"]
    assert event(snapshot, "runs", checked=ticks, rows=rows, selection=held)[0] == held
    assert event(snapshot, "run-page-next", checked=ticks, rows=rows, selection=held) == (held, 1)


def post_callback(app, output: tuple[str, str], values: dict, changed: list[tuple[str, str]]) -> dict:
    """What the server answers when the page fires the callback of ``output`` with ``changed`` inputs, in order."""
    key = callback_key(app, *output)
    body = callback_body(app, key, values, changed=changed)
    answer = app.server.test_client().post("/_dash-update-component", json=body)
    assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
    return answer.get_json()["response"]


def test_a_sort_changed_while_the_list_waited_on_its_ticks_is_applied(tmp_path):
    """Dash sends one call when the user ticks "desc" while the list's previous answer is still travelling (its
    rows' ticks feed back into it): the ticks are named first, and the sort must not be dropped with them."""
    write_scalars(tmp_path / "db.h5", {r: {"z/acc": [0.0, float(i)]} for i, r in enumerate("abcd")})
    app = create_app(Library([tmp_path]))
    app.server.test_client().get("/")
    rows = [run_key_value(*k) for k in sorted(Library([tmp_path]).refresh().run_keys)]
    values = {
        ("run-sort", "value"): "tag:z/acc",
        ("run-sort-desc", "value"): ["desc"],
        ("runs", "value"): rows,
        ("run-rows", "data"): rows,
        ("run-selection", "data"): NOTHING_HIDDEN,
        ("run-page", "data"): 0,
    }
    changed = [("runs", "value"), ("run-sort-desc", "value")]
    response = post_callback(app, ("run-rows", "data"), values, changed)
    run_of = dict(zip(rows, "abcd"))
    assert [run_of[v] for v in response["run-rows"]["data"]] == list("dcba")  # the largest last value first
    # the same values, the ticks alone: nothing to change (the page set its ticks from the selection)
    alone = app.server.test_client().post(
        "/_dash-update-component",
        json=callback_body(app, callback_key(app, "run-rows", "data"), values, changed=[("runs", "value")]),
    )
    assert alone.status_code == 204


def test_a_step_typed_while_the_settings_waited_on_a_tick_is_applied(tmp_path):
    """The settings wait on a tick in flight (it may move the slider): a step typed meanwhile reaches them with
    whatever else changed, and must rewind the view even when it is not named first."""
    write_scalars(tmp_path / "db.h5", {"r": {"loss": list(range(100))}})
    app = create_app(Library([tmp_path]))
    app.server.test_client().get("/")
    values = {("step-slider", "value"): 40, ("step-slider", "max"): 99, ("smoothing", "value"): 0.3}
    changed = [("smoothing", "value"), ("step-slider", "value")]
    response = post_callback(app, ("settings", "data"), values, changed)
    settings = ViewSettings.from_store(response["settings"]["data"])
    assert (settings.step, settings.smoothing) == (40, 0.3)
    assert response["live"]["disabled"] is False


def test_a_tab_change_sent_with_a_page_click_starts_at_the_first_page(tmp_path):
    write_scalars(tmp_path / "db.h5", {"r": {"a/loss": [1.0]}})
    app = create_app(Library([tmp_path]))
    app.server.test_client().get("/")
    values = {("page", "data"): 3, ("tabs", "value"): "a"}
    for changed, page in [
        ([("page-next", "n_clicks"), ("tabs", "value")], 0),
        ([("page-next", "n_clicks")], 4),
        ([("page-prev", "n_clicks")], 2),
    ]:
        assert post_callback(app, ("page", "data"), values, changed)["page"]["data"] == page, changed
