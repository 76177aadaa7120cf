"""The conformance suite every storage backend passes (like zarr's ``zarr.testing.store``).

Subclass :class:`BackendTests` (pytest collects the generic tests) and :class:`BackendStateMachine` (a
Hypothesis state machine driving ``DatabaseWriter`` and ``Database`` over the backend against a dict-of-lists
model), and say how to make your backend:

>>> class TestMemoryBackend(BackendTests):                     # doctest: +SKIP
...     def make_backend(self, tmp_path):
...         return MemoryBackend(tmp_path)
>>> class MemoryMachine(BackendStateMachine):                  # doctest: +SKIP
...     def make_backend(self, tmp_path):
...         return MemoryBackend(tmp_path)
>>> TestMemoryMachine = MemoryMachine.TestCase                 # doctest: +SKIP
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from ploteries.storage.assemble import RaggedRecords
from ploteries.storage.backend import Backend
from ploteries.storage.batch import Batch, Chunk, PendingSeries
from ploteries.storage.reader import Database
from ploteries.storage.writer import DatabaseWriter

NAMES = st.text(
    st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), min_size=1, max_size=12
)
LEAF_DTYPES = st.one_of(
    hnp.boolean_dtypes(),
    hnp.integer_dtypes(),
    hnp.unsigned_integer_dtypes(),
    hnp.floating_dtypes(),
    hnp.complex_number_dtypes(),
    hnp.byte_string_dtypes(min_len=1, max_len=6),
    hnp.unicode_string_dtypes(min_len=1, max_len=6),
    hnp.datetime64_dtypes(),
    hnp.timedelta64_dtypes(),
)
DTYPES = st.one_of(
    LEAF_DTYPES,
    hnp.array_dtypes(LEAF_DTYPES, min_size=1, max_size=3),
    hnp.nested_dtypes(LEAF_DTYPES, max_leaves=4),
).filter(lambda d: d.itemsize > 0 and not d.hasobject)


@st.composite
def record_values(draw) -> np.ndarray:
    """Any value a record may hold: any non-object dtype (nested, byte-swapped, strings, dates), any shape."""
    dtype = draw(DTYPES)
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3))
    return draw(hnp.arrays(dtype, shape))


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal dtype, shape and bytes (NaNs and -0.0 included)."""
    return (
        a.dtype == b.dtype
        and a.shape == b.shape
        and np.ascontiguousarray(a).tobytes() == np.ascontiguousarray(b).tobytes()
    )


def make_batch(writer: str, seq: int, records: dict) -> Batch:
    """A batch of ``{(run, tag, part): [(step, wall_time, value), ...]}`` from ``writer`` up to ``seq``."""
    series = {}
    for i, ((run, tag, part), recs) in enumerate(records.items()):
        ps = PendingSeries(run, tag, part, "tensor", {}, False)
        for step, wall, value in recs:
            value = np.asarray(value)
            ps.add_chunk(Chunk(np.array([step], "<i8"), np.array([wall], "<f8"), value[np.newaxis]))
        series[i] = ps
    return Batch(writer, seq, series)


class BackendTests:
    """Generic tests of the backend contract; subclasses implement :meth:`make_backend`."""

    def make_backend(self, tmp_path: Path) -> Backend:
        """A new, empty backend (``tmp_path`` is a fresh directory it may use)."""
        raise NotImplementedError

    def reopen(self, backend: Backend) -> Backend:
        """The same database seen through a new backend object (another process would do this)."""
        return backend

    @pytest.fixture
    def backend(self, tmp_path) -> Backend:
        return self.make_backend(tmp_path)

    def test_a_new_backend_is_empty(self, backend):
        backend.create()
        assert backend.exists()
        assert backend.catalog().series == []
        assert backend.read([("r", "t", "")]) == [None]
        docs, _version = backend.documents()
        assert docs == {}
        assert backend.journal_dir.name

    def test_a_commit_is_read_back_bit_for_bit(self, backend):
        values = [np.float32(1.5), np.array([1, 2], ">i4"), np.array([[1, 2, 3]], np.uint8)]
        backend.commit(
            make_batch("w", 3, {("run/ü", "t", ""): [(i, 10.0 + i, v) for i, v in enumerate(values)]})
        )
        got = self.reopen(backend).read([("run/ü", "t", "")], exact=True)[0]
        assert isinstance(got, RaggedRecords)
        assert got.step.tolist() == [0, 1, 2] and got.wall_time.tolist() == [10.0, 11.0, 12.0]
        assert all(same_bits(g, w) for g, w in zip(got.values, values))
        entry = backend.catalog().get("run/ü", "t", "")
        assert entry.rows == 3 and [b.rows for b in entry.blocks] == [1, 1, 1]

    def test_commit_is_idempotent_per_writer_and_sequence(self, backend):
        batch = make_batch("w1", 5, {("r", "t", ""): [(1, 0.0, 1.0), (2, 0.0, 2.0)]})
        assert backend.commit(batch) is True
        assert backend.commit(make_batch("w1", 5, {("r", "t", ""): [(1, 0.0, 1.0), (2, 0.0, 2.0)]})) is False
        assert backend.commit(make_batch("w1", 4, {("r", "t", ""): [(9, 0.0, 9.0)]})) is False
        assert backend.commit(make_batch("w2", 1, {("r", "t", ""): [(3, 0.0, 3.0)]})) is True
        assert self.reopen(backend).read([("r", "t", "")])[0]["value"].tolist() == [1.0, 2.0, 3.0]
        assert backend.catalog().writers == {"w1": 5, "w2": 1}

    def test_read_selects_steps_and_row_spans(self, backend):
        backend.commit(make_batch("w", 1, {("r", "t", ""): [(s, 0.0, float(s)) for s in range(0, 20, 2)]}))
        backend.commit(make_batch("w", 2, {("r", "u", ""): [(s, 0.0, s) for s in (5, 1, 3)]}))
        (between,) = backend.read([("r", "t", "")], start=4, stop=9)
        assert between["step"].tolist() == [4, 6, 8]
        (tail,) = backend.read([("r", "t", "")], rows=[(8, None)], fields=["step"])
        assert tail.tolist() == [16, 18]
        (unsorted,) = backend.read([("r", "u", "")], start=2)
        assert unsorted["step"].tolist() == [5, 3] and unsorted["value"].dtype == np.int64
        missing, found = backend.read([("nope", "t", ""), ("r", "t", "")], rows=[(0, 1), (9, 10)])
        assert missing is None and found["value"].tolist() == [18.0]

    def test_documents_change_only_from_the_version_read(self, backend):
        docs, version = backend.documents()
        assert backend.put_documents({"a": {"x": [1, "ü"]}}, expect=version)
        assert backend.put_documents({"a": 2}, expect=version) is False
        assert backend.update_documents(lambda d: {**d, "b": None}) == {"a": {"x": [1, "ü"]}, "b": None}
        assert self.reopen(backend).documents()[0] == {"a": {"x": [1, "ü"]}, "b": None}

    def test_purge_removes_late_steps_of_one_run(self, backend):
        backend.commit(
            make_batch(
                "w",
                1,
                {
                    ("a", "t", ""): [(s, 0.0, float(s)) for s in range(5)],
                    ("a", "img", ""): [(s, 0.0, np.zeros(s + 1)) for s in range(5)],
                    ("b", "t", ""): [(s, 0.0, float(s)) for s in range(5)],
                },
            )
        )
        before = backend.catalog().get("a", "t", "").epoch
        assert backend.purge("a", 3) == 4
        assert backend.read([("a", "t", "")])[0]["step"].tolist() == [0, 1, 2]
        assert [v.shape for v in backend.read([("a", "img", "")])[0].values] == [(1,), (2,), (3,)]
        assert backend.read([("b", "t", "")])[0]["step"].tolist() == [0, 1, 2, 3, 4]
        assert backend.catalog().get("a", "t", "").epoch > before
        backend.commit(make_batch("w", 2, {("a", "t", ""): [(3, 0.0, -3.0)]}))
        assert self.reopen(backend).read([("a", "t", "")])[0]["value"].tolist() == [0.0, 1.0, 2.0, -3.0]

    def test_delete_and_rename_runs(self, backend):
        backend.commit(make_batch("w", 1, {("a", "t", ""): [(0, 0.0, 1.0)], ("b", "t", ""): [(0, 0.0, 2.0)]}))
        backend.rename_run("a", "c")
        with pytest.raises(ValueError, match="a run named 'b' exists"):
            backend.rename_run("c", "b")
        with pytest.raises(KeyError, match="no run named 'zz'"):
            backend.rename_run("zz", "y")
        assert backend.delete_run("b") == 1
        again = self.reopen(backend)
        assert sorted({e.run for e in again.catalog().series}) == ["c"]
        assert again.read([("c", "t", "")])[0]["value"].tolist() == [1.0]

    @settings(
        max_examples=30,
        deadline=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.differing_executors,  # each backend subclass runs it: intended
        ],
    )
    @given(run=NAMES, tag=NAMES, values=st.lists(record_values(), min_size=1, max_size=4), data=st.data())
    def test_any_dtype_shape_and_name_round_trips(self, tmp_path_factory, run, tag, values, data):
        backend = self.make_backend(tmp_path_factory.mktemp("rt"))
        steps = data.draw(st.lists(st.integers(-(2**62), 2**62), min_size=len(values), max_size=len(values)))
        with DatabaseWriter(backend) as w:
            for value, step in zip(values, steps):
                w.append(run, tag, value, step=step, wall_time=1.5)
        db = Database(self.reopen(backend))
        assert db.runs() == [run] and db.tags(run) == [tag]
        recs = db.read_records(run, tag)
        assert recs.step.tolist() == steps
        assert recs.wall_time.tolist() == [1.5] * len(values)
        for got, want in zip(recs.values, values):
            assert same_bits(got, want), (got, want)

    @settings(
        max_examples=20,
        deadline=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.differing_executors,
        ],
    )
    @given(
        dtype=st.sampled_from(["<f8", "<i4", "|b1", "<c16", ">f2", "<U3"]).map(np.dtype),
        cuts=st.lists(st.integers(1, 700), min_size=1, max_size=6),
        data=st.data(),
    )
    def test_a_series_committed_in_any_batches_reads_back_whole(self, tmp_path_factory, dtype, cuts, data):
        """Commits of any size crossing whatever block limits the backend keeps (HDF5: a series' first blocks
        hold a bounded number of rows), then one more row from a new writer: every record bit for bit, in order,
        and no block holds more rows than its limit."""
        rows = sum(cuts)
        values = data.draw(hnp.arrays(dtype, rows + 1), label="values")
        backend = self.make_backend(tmp_path_factory.mktemp("cuts"))
        start = 0
        with DatabaseWriter(backend, flush_secs=3600) as w:
            for n in cuts:
                w.append_many("r", "x", values[start : start + n], steps=np.arange(start, start + n))
                w.flush()
                start += n
        with DatabaseWriter(self.reopen(backend)) as w:
            w.append_many("r", "x", values[rows:], steps=[rows])
        got = Database(self.reopen(backend)).read("r", "x")
        assert got["step"].tolist() == list(range(rows + 1))
        assert same_bits(np.ascontiguousarray(got["value"]), values)
        blocks = self.reopen(backend).catalog().get("r", "x", "").blocks
        assert sum(b.rows for b in blocks) == rows + 1
        assert all(b.limit is None or b.rows <= b.limit for b in blocks), [(b.rows, b.limit) for b in blocks]


RUNS = st.sampled_from(["a", "b/c", "ü"])
TAGS = st.sampled_from(["loss", "acc/top1", "w"])
STEPS = st.integers(-5, 50)
VALUES = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(lambda v: np.float64(v)),
    st.integers(-(2**31), 2**31 - 1).map(np.int32),
    st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=4).map(lambda v: np.array(v, np.float32)),
)


class BackendStateMachine(RuleBasedStateMachine):
    """The writer and reader over a backend, against a dict-of-lists model; subclasses implement
    :meth:`make_backend` (and :meth:`reopen` when a new object should see the same database)."""

    def make_backend(self, tmp_path: Path) -> Backend:
        raise NotImplementedError

    def reopen(self, backend: Backend) -> Backend:
        return backend

    def __init__(self):
        super().__init__()
        self.dir = Path(tempfile.mkdtemp())
        self.backend = self.make_backend(self.dir)
        self.writer = DatabaseWriter(self.backend, flush_secs=60)
        self.model: dict[tuple[str, str], list[tuple[int, float, np.ndarray]]] = {}
        self.visible = False  # the model equals the database only after a flush

    @rule(run=RUNS, tag=TAGS, value=VALUES, step=STEPS)
    def append(self, run, tag, value, step):
        wall = float(len(self.model.get((run, tag), [])))
        self.writer.append(run, tag, value, step=step, wall_time=wall)
        self.model.setdefault((run, tag), []).append((step, wall, np.asarray(value)))
        self.visible = False

    @rule(run=RUNS, value=st.floats(allow_nan=False), step=STEPS)
    def append_scalar(self, run, value, step):
        self.writer.append_scalar(run, "scalar", value, step=step, wall_time=7.0)
        self.model.setdefault((run, "scalar"), []).append((step, 7.0, np.float64(value)))
        self.visible = False

    @rule()
    def flush(self):
        self.writer.flush()
        self.visible = True

    @rule()
    def reopen_writer(self):
        self.writer.close()
        self.backend = self.reopen(self.backend)
        self.writer = DatabaseWriter(self.backend, flush_secs=60)
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
        if not self.backend.exists():
            assert not any(self.model.values())
            return
        db = Database(self.reopen(self.backend))
        assert db.runs() == sorted({run for run, _ in self.model})
        for (run, tag), recs in self.model.items():
            assert tag in db.tags(run)
            got = db.read_records(run, tag)
            assert got.step.tolist() == [r[0] for r in recs]
            assert got.wall_time.tolist() == [r[1] for r in recs]
            for g, (_, _, want) in zip(got.values, recs):
                assert same_bits(g, want)

    def teardown(self):
        self.writer.close()
        shutil.rmtree(self.dir, ignore_errors=True)


__all__ = ["BackendStateMachine", "BackendTests", "make_batch", "record_values", "same_bits"]
