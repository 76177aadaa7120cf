"""Run-list events: the page's ticks and the selection the page holds (ploteries.viz.run_list.apply_event)."""

from ploteries.viz.library import Library
from ploteries.viz.run_list import apply_event
from ploteries.viz.services.runlist import hidden_runs
from ploteries.viz.settings import run_key_value
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
