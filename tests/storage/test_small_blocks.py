"""A series' first blocks have a fixed capacity in small chunks (short series cost little), later blocks big ones
(long series read fast); every block carries fletcher32. Values round-trip bit for bit whatever the batches."""

import h5py
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import ploteries
from ploteries.storage import DatabaseWriter
from ploteries.storage.hdf5 import layout


def chunk_rows_of(path, run: str, tag: str) -> list[tuple[int, int | None, list[int]]]:
    """``(rows per chunk, rows the dataset can hold, HDF5 filter ids)`` of each block of a series."""
    blocks = ploteries.open(path).backend.catalog().get(run, tag, "").blocks
    with h5py.File(path, "r", locking=False) as f:
        out = []
        for b in blocks:
            d = f["data"][b.name]
            p = d.id.get_create_plist()
            out.append((d.chunks[0], d.maxshape[0], [p.get_filter(i)[0] for i in range(p.get_nfilters())]))
        return out


FLETCHER = [h5py.h5z.FILTER_FLETCHER32]
FIRST = layout.tier_limit(0, 24)  # rows of a scalar series' first block (256)
SECOND = layout.tier_limit(1, 24)  # ... of its second block (2,048)


def realistic(steps: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Wall times a few tenths of a second apart and noisy values, as a training loop logs them."""
    rng = np.random.default_rng(seed)
    return 1.7e9 + steps * 0.37 + rng.random(len(steps)) * 0.01, rng.normal(size=len(steps))


def test_short_series_written_as_add_scalar_does_read_back_exactly(tmp_path):
    path = tmp_path / "db.h5"
    columns = [realistic(np.arange(100), s) for s in range(6)]
    with DatabaseWriter(path, flush_secs=3600) as w:
        for part in np.array_split(np.arange(100), 10):
            for s, (walls, values) in enumerate(columns):
                for step, wall, value in zip(part, walls[part], values[part]):
                    w.append_scalar(
                        f"run{s % 3}", f"tag{s}", float(value), step=int(step), wall_time=float(wall)
                    )
            w.flush()
    db = ploteries.open(path)
    for s, (walls, values) in enumerate(columns):
        got = db.read(f"run{s % 3}", f"tag{s}")
        assert got["step"].tolist() == list(range(100))
        assert got["wall_time"].tolist() == walls.tolist() and got["value"].tolist() == values.tolist()
        assert chunk_rows_of(path, f"run{s % 3}", f"tag{s}") == [(FIRST // 16, FIRST, FLETCHER)]


def test_a_long_series_has_small_chunked_first_blocks_and_big_chunked_later_ones(tmp_path):
    path = tmp_path / "db.h5"
    steps = np.arange(5000)
    with DatabaseWriter(path) as w:
        for part in np.array_split(steps, 50):  # a few rows per commit: the first blocks get their row limits
            w.append_many("r", "loss", part * 0.5, steps=part, kind="scalar")
            w.flush()
    assert ploteries.open(path).read("r", "loss")["value"].tolist() == (steps * 0.5).tolist()
    first, second, *later = chunk_rows_of(path, "r", "loss")
    assert first == (FIRST // 16, FIRST, FLETCHER) and second == (SECOND // 16, SECOND, FLETCHER)
    assert [b.rows for b in ploteries.open(path).backend.catalog().get("r", "loss", "").blocks[:2]] == [
        FIRST,
        SECOND,
    ]
    assert later and all(c == (layout.BIG_CHUNK_BYTES // 24, None, FLETCHER) for c in later)


def test_a_series_started_by_many_rows_skips_the_tiers_it_would_overflow(tmp_path):
    path = tmp_path / "db.h5"
    with DatabaseWriter(path) as w:
        w.append_many("r", "mid", np.zeros(300), steps=np.arange(300), kind="scalar")  # > FIRST, < SECOND
        w.append_many("r", "big", np.zeros(5000), steps=np.arange(5000), kind="scalar")
    assert chunk_rows_of(path, "r", "mid") == [(SECOND // 16, SECOND, FLETCHER)]
    assert chunk_rows_of(path, "r", "big") == [(layout.BIG_CHUNK_BYTES // 24, None, FLETCHER)]


SMALL_DTYPES = st.sampled_from(["<i8", "<f8", "<f4", "|b1", "<u2", "<c8"]).map(np.dtype) | st.just(
    np.dtype([("a", "<f4"), ("b", "<i2", (2,))])
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dtype=SMALL_DTYPES, data=st.data(), cuts=st.lists(st.integers(1, 90), min_size=1, max_size=6))
def test_round_trip_of_short_series_in_any_batches(tmp_path_factory, dtype, data, cuts):
    """Any small-row dtype, any values (NaN, infinities, extremes), committed in any batches (partial chunks
    rewritten by later commits): read back bit for bit."""
    rows = sum(cuts)
    values = data.draw(hnp.arrays(dtype, rows, elements=None), label="values")
    path = tmp_path_factory.mktemp("db") / "db.h5"
    start = 0
    with DatabaseWriter(path, flush_secs=3600) as w:
        for n in cuts:
            steps = np.arange(start, start + n)
            w.append_many("r", "x", values[start : start + n], steps=steps, kind="tensor")
            w.flush()
            start += n
    got = ploteries.open(path).read("r", "x")
    assert got["step"].tolist() == list(range(rows))
    assert got["value"].tobytes() == values.tobytes()
