"""What the run list sorts by: each run's last value of a tag, read once however many callers ask at once."""

from __future__ import annotations

import threading

import ploteries.viz.run_values as run_values
from ploteries.viz.library import Library
from tests.viz.helpers import write_scalars


def test_last_values_are_each_runs_last_finite_value(tmp_path):
    write_scalars(
        tmp_path / "db.h5",
        {"a": {"z/acc": [0.1, 0.7]}, "b": {"z/acc": [0.2, float("nan")]}, "c": {"other": [1.0]}},
    )
    library = Library([tmp_path])
    got = run_values.last_values(library, library.refresh(), "z/acc")
    assert {k.run: v for k, v in got.items()} == {"a": 0.7}


def test_callers_asking_at_once_read_the_values_once(tmp_path, monkeypatch):
    write_scalars(tmp_path / "db.h5", {f"r{i}": {"z/acc": [0.0, i / 10]} for i in range(10)})
    library = Library([tmp_path])
    snapshot = library.refresh()
    monkeypatch.setattr(run_values, "_LAST", run_values.LruCache(max_entries=100))
    reads: list[int] = []
    first_reading, second_waiting = threading.Event(), threading.Event()
    real = run_values.read_series

    def read_series(library, refs, **kwargs):
        reads.append(len(refs))
        first_reading.set()
        assert second_waiting.wait(30)
        return real(library, refs, **kwargs)

    monkeypatch.setattr(run_values, "read_series", read_series)
    lookup = run_values._lookup

    def looked_up(*args):
        found = lookup(*args)
        if (
            threading.current_thread() is second
        ):  # the second caller saw them missing; next, it waits its turn
            second_waiting.set()
        return found

    monkeypatch.setattr(run_values, "_lookup", looked_up)
    answers = []

    def ask():
        answers.append(run_values.last_values(library, snapshot, "z/acc"))

    first, second = threading.Thread(target=ask), threading.Thread(target=ask)
    first.start()
    assert first_reading.wait(30)
    second.start()
    first.join(30)
    second.join(30)
    assert reads == [10]  # one read of the ten series; the second caller found them cached
    assert len(answers) == 2 and answers[0] == answers[1]
    assert sorted(answers[0].values()) == [i / 10 for i in range(10)]
