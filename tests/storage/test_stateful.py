"""A Hypothesis state machine drives the real writer and a dict-of-lists model side by side.

After every flush, reopen or purge, everything the database returns must equal the model.
"""

import shutil
import tempfile
from pathlib import Path

import numpy as np
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

import ploteries
from ploteries.storage import DatabaseWriter

RUNS = st.sampled_from(["a", "b/c", "ü"])
TAGS = st.sampled_from(["loss", "acc/top1", "w"])
STEPS = st.integers(-5, 50)
VALUES = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(lambda v: np.float64(v)),
    st.integers(-(2**31), 2**31 - 1).map(np.int32),
    st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=4).map(lambda v: np.array(v, np.float32)),
)


class WriterVersusModel(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.dir = Path(tempfile.mkdtemp())
        self.path = self.dir / "db.h5"
        self.writer = DatabaseWriter(self.path, flush_secs=60)
        self.model: dict[tuple[str, str], list[tuple[int, float, np.ndarray]]] = {}
        self.visible = False  # the model equals the file only after a flush

    @rule(run=RUNS, tag=TAGS, value=VALUES, step=STEPS)
    def append(self, run, tag, value, step):
        wall = float(len(self.model.get((run, tag), [])))
        self.writer.append(run, tag, value, step=step, wall_time=wall)
        self.model.setdefault((run, tag), []).append((step, wall, np.asarray(value)))
        self.visible = False

    @rule(run=RUNS, value=st.floats(allow_nan=False), step=STEPS)
    def append_scalar(self, run, value, step):
        wall = 7.0
        self.writer.append_scalar(run, "scalar", value, step=step, wall_time=wall)
        self.model.setdefault((run, "scalar"), []).append((step, wall, np.float64(value)))
        self.visible = False

    @rule()
    def flush(self):
        self.writer.flush()
        self.visible = True

    @rule()
    def reopen(self):
        self.writer.close()
        self.writer = DatabaseWriter(self.path, flush_secs=60)
        self.visible = True

    @rule(run=RUNS, from_step=STEPS)
    def purge(self, run, from_step):
        self.writer.purge(run, from_step)
        for (r, _tag), recs in self.model.items():
            if r == run:
                recs[:] = [rec for rec in recs if rec[0] < from_step]
        self.visible = True

    @precondition(lambda self: self.visible)
    @invariant()
    def database_equals_model(self):
        if not self.path.exists():
            assert not any(self.model.values())
            return
        db = ploteries.open(self.path)
        assert db.runs() == sorted({run for run, _ in self.model})
        for (run, tag), recs in self.model.items():
            assert tag in db.tags(run)
            got = db.read_records(run, tag)
            assert got.step.tolist() == [r[0] for r in recs]
            assert got.wall_time.tolist() == [r[1] for r in recs]
            for g, (_, _, want) in zip(got.values, recs):
                assert g.dtype == want.dtype and g.shape == want.shape
                assert g.tobytes() == want.tobytes()

    def teardown(self):
        self.writer.close()
        shutil.rmtree(self.dir, ignore_errors=True)


WriterVersusModel.TestCase.settings = settings(max_examples=25, stateful_step_count=25, deadline=None)
test_writer_matches_model = WriterVersusModel.TestCase
