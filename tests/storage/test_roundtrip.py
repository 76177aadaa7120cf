"""Property tests: whatever goes in comes back out, bit for bit, with its dtype and shape."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import ploteries
from ploteries.storage import DatabaseWriter
from ploteries.testing.backend import same_bits


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    values=hnp.arrays(
        np.float64, st.integers(1, 300), elements=st.floats(allow_nan=True, allow_infinity=True)
    )
)
def test_scalars_round_trip_as_float64_structured_array(tmp_path_factory, values):
    path = tmp_path_factory.mktemp("sc") / "db.h5"
    with DatabaseWriter(path) as w:
        for i, v in enumerate(values):
            w.append_scalar("r", "loss", v, step=i, wall_time=float(i))
    got = ploteries.open(path).read("r", "loss")
    assert got.dtype.names == ("step", "wall_time", "value")
    assert got["value"].dtype == np.float64
    np.testing.assert_array_equal(got["step"], np.arange(len(values)))
    assert got["value"].tobytes() == values.tobytes()


def test_dtype_change_inside_a_series_is_kept_exactly_and_promoted_on_read(db_path):
    with DatabaseWriter(db_path) as w:
        w.append("r", "x", np.int64(3), step=0)
        w.append("r", "x", np.float32(0.5), step=1)
        w.append("r", "x", np.float64(0.25), step=2)
    db = ploteries.open(db_path)
    exact = db.read_records("r", "x")
    assert [v.dtype for v in exact.values] == [np.int64, np.float32, np.float64]
    promoted = db.read("r", "x")
    assert promoted["value"].dtype == np.float64
    assert promoted["value"].tolist() == [3.0, 0.5, 0.25]


def test_shape_change_gives_ragged_records(db_path):
    with DatabaseWriter(db_path) as w:
        w.append("r", "img", np.zeros((2, 3), np.uint8), step=0)
        w.append("r", "img", np.full((4, 5), 7, np.uint8), step=1)
        w.append("r", "img", np.full((1, 1), 9, np.uint8), step=2)
    got = ploteries.open(db_path).read("r", "img")
    assert isinstance(got, ploteries.RaggedRecords)
    assert [v.shape for v in got.values] == [(2, 3), (4, 5), (1, 1)]
    assert got[2].value.tolist() == [[9]]
    assert got.step.tolist() == [0, 1, 2]


@pytest.mark.parametrize("ragged", [False, True])
def test_record_arrays_round_trip_and_fields_are_readable(db_path, ragged):
    rec = np.dtype(
        [("x", "<f4"), ("pos", "<i2", (2,)), ("name", "S4"), ("nested", [("a", "<u1"), ("b", "<U2")])]
    )
    batch = np.zeros(3, rec)
    batch["x"] = [1.5, 2.5, 3.5]
    batch["pos"] = [[1, 2], [3, 4], [5, 6]]
    batch["name"] = [b"ab", b"cd", b"ef"]
    batch["nested"]["b"] = ["é", "ü", "ß"]
    with DatabaseWriter(db_path) as w:
        w.append("r", "batch", batch, step=5, ragged=ragged)
        w.append("r", "batch", batch[:2], step=6, ragged=ragged)
    got = ploteries.open(db_path).read("r", "batch")
    assert isinstance(got, ploteries.RaggedRecords)  # shapes (3,) then (2,)
    assert got[0].value.dtype == rec
    assert got[0].value["nested"]["b"].tolist() == ["é", "ü", "ß"]
    assert got[1].value["pos"].tolist() == [[1, 2], [3, 4]]


@pytest.mark.parametrize("dtype", [">U1", ">f8", "<U2", [("a", ">i4"), ("b", ">U1")]])
def test_non_native_byte_orders_survive_batching(tmp_path, dtype):
    """Records batched into one transaction keep their byte order (np.stack would canonicalize it)."""
    path = tmp_path / "db.h5"
    values = [np.zeros((), dtype), np.ones((), dtype), np.zeros(2, dtype), np.ones(3, dtype)]
    with DatabaseWriter(path) as w:
        for step, value in enumerate(values):
            w.append("r", "t", value, step=step)
    got = ploteries.open(path).read_records("r", "t").values
    assert all(same_bits(g, v) for g, v in zip(got, values)), (got, values)


@pytest.mark.parametrize(
    "dtype, items",
    [
        (">U1", ["", "0"]),
        (">U3", ["ab", "xyz"]),
        (">f8", [0.5, 1.5]),
        (">i4", [1, -2]),
        ([("a", ">U2"), ("b", ">f4")], [("", 0.0), ("xy", 1.5)]),
    ],
)
def test_non_native_byte_order_kept_across_merged_records(tmp_path, dtype, items):
    """Records of one batch are concatenated before the commit: their byte order must survive."""
    values = [np.array(v, dtype) for v in items]
    w = DatabaseWriter(tmp_path / "db.h5")
    for step, value in enumerate(values):
        w.append("r", "t", value, step)
    w.close()
    back = ploteries.open(tmp_path / "db.h5").read_records("r", "t").values
    for got, want in zip(back, values):
        assert got.dtype == want.dtype and got.tobytes() == want.tobytes()
