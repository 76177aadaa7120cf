"""kill -9 a writer at random moments: the database opens and every acknowledged record is there."""

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import ploteries

WRITER = Path(__file__).with_name("writer_process.py")
TRIALS = int(os.environ.get("PLOTERIES_CRASH_TRIALS", "40"))  # raise it for a soak run


def child_env() -> dict:
    """The environment of a child Python process that imports this checkout's ploteries."""
    return {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}


def run_killed(script: str, path: Path) -> None:
    """Run ``script`` (Python source, ``sys.argv[1]`` = ``path``), which kills itself with SIGKILL."""
    proc = subprocess.run([sys.executable, "-c", script, str(path)], env=child_env(), capture_output=True)
    assert proc.returncode == -signal.SIGKILL, proc.stderr


def start_writer(path, run, n, flush_secs, gate=None):
    """``writer_process.py`` writing ``n`` steps; with ``gate``, it stops after that step until a line on stdin."""
    return subprocess.Popen(
        [sys.executable, str(WRITER), str(path), run, str(n), str(flush_secs)]
        + ([str(gate)] if gate else []),
        stdin=subprocess.PIPE if gate else None,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(),
    )


def assert_prefix_of_truth(db, run, acknowledged):
    """Every acknowledged step is there, values are intact, and nothing else (no phantom rows)."""
    loss = db.read(run, "loss")
    steps = loss["step"]
    assert len(steps) >= acknowledged + 1
    np.testing.assert_array_equal(steps, np.arange(len(steps)))
    np.testing.assert_array_equal(loss["value"], steps.astype(float))
    np.testing.assert_array_equal(loss["wall_time"], 1000.0 + steps)
    if "weights" in db.tags(run):
        weights = db.read(run, "weights")
        expected = [s for s in range(len(steps)) if s % 7 == 0]
        assert weights.step.tolist() == expected[: len(weights)]
        assert len(weights) >= len([s for s in expected if s <= acknowledged])
        for rec in weights:
            assert rec.value.shape == (rec.step % 5 + 1, 3)
            assert (rec.value == rec.step).all()


@pytest.mark.slow
@pytest.mark.parametrize("trial", range(TRIALS))
def test_kill_9_at_a_random_moment_loses_nothing_acknowledged(tmp_path, trial):
    rng = random.Random(trial)
    path = tmp_path / "db.h5"
    flush_secs = rng.choice([0.0005, 0.005, 0.05, 0.5])  # tiny intervals aim kills inside HDF5 transactions
    proc = start_writer(path, "run", 10**7, flush_secs)
    target = rng.randint(1, 20000)
    acknowledged = -1
    deadline = time.monotonic() + 30
    while acknowledged < target and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        acknowledged = int(line)
    os.kill(proc.pid, signal.SIGKILL)
    rest, _ = proc.communicate()
    for line in rest.split():
        if line.isdigit():
            acknowledged = int(line)
    assert acknowledged >= 0, "the writer never acknowledged a record"
    db = ploteries.open(path)  # recovery replays the dead writer's journal here
    assert_prefix_of_truth(db, "run", acknowledged)
    assert not (path.parent / "db.h5-journal").exists(), "recovery should fold the journal in and remove it"


def test_recovered_database_accepts_new_writers_and_keeps_order(tmp_path):
    path = tmp_path / "db.h5"
    proc = start_writer(path, "run", 10**7, 0.01)
    for _ in range(3000):
        acknowledged = int(proc.stdout.readline())
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate()
    again = start_writer(path, "second", 500, 0.01)  # opening a writer also recovers
    out, err = again.communicate(timeout=60)
    assert out.split()[-1] == "closed", err
    db = ploteries.open(path)
    assert_prefix_of_truth(db, "run", acknowledged)
    assert_prefix_of_truth(db, "second", 499)
    assert db.runs() == ["run", "second"]


DIES_LAYING_OUT = """
import os, signal, sys
import numpy as np
from ploteries.storage import DatabaseWriter
from ploteries.storage.hdf5 import layout

def dies_half_way(h5, uid=None):  # the new file's attributes and head are written, then kill -9
    h5.attrs[layout.FORMAT_ATTR] = layout.FORMAT_VERSION
    h5.create_dataset("head", data=np.zeros(2 * layout.HEAD_SLOT, np.uint8))
    h5.flush()
    os.kill(os.getpid(), signal.SIGKILL)

layout.initialize = dies_half_way
DatabaseWriter(sys.argv[1])  # lays the new database out
"""


@pytest.mark.parametrize("first", ["reader", "writer"])
def test_a_writer_killed_while_laying_out_a_new_database_leaves_one_others_can_create(tmp_path, first):
    path = tmp_path / "db.h5"
    run_killed(DIES_LAYING_OUT, path)
    assert [p.name for p in tmp_path.iterdir()] == ["db.h5"]  # no half-built file beside it
    assert path.stat().st_size == 0
    if first == "reader":
        with pytest.raises(ploteries.storage.NotADatabaseError, match="the file is empty"):
            ploteries.open(path)
    with ploteries.storage.DatabaseWriter(path) as w:
        w.append_scalar("run", "loss", 2.0, 1)
    assert ploteries.open(path).read("run", "loss")["value"].tolist() == [2.0]


DIES_BEFORE_THE_HEAD = """
import os, signal, sys
from ploteries.storage import DatabaseWriter
from ploteries.storage.hdf5 import layout

with DatabaseWriter(sys.argv[1]) as w:
    for step in range(10):
        w.append_scalar("a", "loss", float(step), step)
    w.append_scalar("b", "loss", 0.0, 0)
w = DatabaseWriter(sys.argv[1])
layout.write_head = lambda h5, head: os.kill(os.getpid(), signal.SIGKILL)  # state slots flushed, no head
for step in range(10, 20):
    w.append_scalar("a", "loss", float(step), step)
w.flush()
"""


def test_state_slots_of_a_transaction_killed_before_its_head_never_become_visible(tmp_path):
    """The next transaction commits the same generation number without touching the killed one's keys: their
    slots (written for that generation) must not become the committed state (seen in the kill -9 soak: a block
    claiming rows whose data never reached the file)."""
    path = tmp_path / "db.h5"
    run_killed(DIES_BEFORE_THE_HEAD, path)
    # what the killed transaction held is gone: only the file counts
    shutil.rmtree(tmp_path / "db.h5-journal")
    with ploteries.storage.DatabaseWriter(path) as w:
        w.append_scalar("b", "loss", 1.0, 1)  # commits the killed one's generation, another series only
    db = ploteries.open(path)
    assert db.read("a", "loss")["step"].tolist() == list(range(10))
    assert db.read("b", "loss")["value"].tolist() == [0.0, 1.0]
    with ploteries.storage.DatabaseWriter(path) as w:  # and the series goes on from its committed rows
        w.append_scalar("a", "loss", 10.5, 10)
    assert ploteries.open(path).read("a", "loss")["value"].tolist() == [*map(float, range(10)), 10.5]
