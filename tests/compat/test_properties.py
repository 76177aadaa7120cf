"""Property tests of the pieces around the encoders: framing, TensorBoard inverses, safe names, run names."""

from __future__ import annotations

import io
import re
import wave

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from ploteries.compat.from_tensorboard import audio_parts, histogram_parts
from ploteries.compat.histogram import encode_histogram, histogram_to_tensorboard
from ploteries.compat.media import safe_component
from ploteries.compat.runs import run_name_of, scalars_run
from ploteries.compat.tfrecord import RecordReport, iter_records, record_bytes

SETTINGS = settings(max_examples=60, deadline=None)


@SETTINGS
@given(st.lists(st.binary(max_size=300), max_size=12), st.data())
def test_tfrecord_round_trip_and_any_truncation(tmp_path_factory, bodies, data):
    path = tmp_path_factory.mktemp("rec") / "events.out.tfevents.x"
    raw = b"".join(record_bytes(b) for b in bodies)
    path.write_bytes(raw)
    assert [bytes(r) for r in iter_records(path)] == bodies
    cut = data.draw(st.integers(0, len(raw)))
    path.write_bytes(raw[:cut])
    report = RecordReport(path)
    got = [bytes(r) for r in iter_records(path, True, report)]
    assert got == bodies[: len(got)]  # a prefix, never a torn or invented record
    assert report.corrupt_at is None and report.truncated == (sum(16 + len(b) for b in got) < cut)


finite = st.floats(-1e6, 1e6, allow_nan=False, width=64)


@SETTINGS
@given(
    hnp.arrays(np.float64, st.integers(1, 200), elements=finite), st.sampled_from(["tensorflow", 7, "auto"])
)
def test_histogram_survives_the_tensorboard_round_trip(values, bins):
    buckets, stats = encode_histogram(values, bins)
    limits, counts = histogram_to_tensorboard(buckets, stats)
    back = histogram_parts(*(float(stats[f]) for f in stats.dtype.names), limits, counts)
    np.testing.assert_array_equal(back[""], buckets)
    np.testing.assert_array_equal(back["stats"], stats)


@SETTINGS
@given(hnp.arrays(np.float32, st.integers(1, 500), elements=st.floats(-1, 1, width=32)))
def test_audio_from_16_bit_wav_within_one_step(samples):
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:  # what torch's add_audio writes
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes((samples * 32767).astype("<i2").tobytes())
    out = audio_parts(buf.getvalue(), 8000)
    assert out[""].dtype == np.float32 and out[""].shape == samples.shape
    assert np.max(np.abs(out[""] - samples)) <= 1.0001 / 32767


@SETTINGS
@given(st.text(max_size=200))
def test_safe_component_is_always_a_safe_file_name(name):
    safe = safe_component(name)
    assert re.fullmatch(r"[A-Za-z0-9._-]{1,80}", safe)
    assert ".." not in safe and not safe.startswith(".")


@SETTINGS
@given(
    st.text(st.characters(blacklist_characters="/\x00", blacklist_categories=["Cs"]), min_size=1, max_size=40)
)
def test_run_name_is_the_last_component(name):
    if name in (".", ".."):
        pytest.skip("not a folder name")
    assert run_name_of(f"runs/{name}") == name
    assert scalars_run(name, "a/b", "k") == f"{name}/a_b_k"


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(-(2**62), 2**62), st.floats(allow_nan=True, allow_infinity=True), st.booleans()
        ),
        min_size=1,
        max_size=30,
    )
)
def test_scalars_read_back_exactly(tmp_path_factory, records):
    import ploteries
    from ploteries.compat import SummaryWriter

    w = SummaryWriter(tmp_path_factory.mktemp("w") / "exp")
    for step, value, as_numpy in records:
        w.add_scalar("x", np.float64(value) if as_numpy else value, step, walltime=1.5)
    w.close()
    with ploteries.open(w.database) as db:
        data = db.read("exp", "x")
    assert data["step"].tolist() == [r[0] for r in records]
    np.testing.assert_array_equal(data["value"], [r[1] for r in records])
    assert set(data["wall_time"].tolist()) == {1.5}
