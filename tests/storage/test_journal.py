"""The journal: frames round-trip, damage costs only the damaged frames (and says so), kill -9 loses nothing."""

import os
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ploteries
from ploteries.storage import journal as jn
from ploteries.storage.errors import JournalDamageWarning

# ------------------------------------------------------------------------------------- encoder / decoder

steps = st.integers(-(2**63), 2**63 - 1)
floats = st.floats(allow_nan=False)
ids = st.integers(0, 2**32 - 1)


@st.composite
def bodies(draw, seq):
    """One frame body of any kind with sequence number ``seq``."""
    kind = draw(st.sampled_from("SRT"))
    if kind == "S":
        return jn.scalar_body(seq, draw(ids), draw(steps), draw(floats), draw(floats))
    if kind == "T":
        return jn.text_body(b"T", seq, draw(ids), draw(st.text(max_size=40)))
    n = draw(st.integers(0, 4))
    shape = tuple(draw(st.lists(st.integers(0, 3), max_size=3)))
    values = np.asarray(
        draw(st.lists(floats, min_size=n * int(np.prod(shape)), max_size=n * int(np.prod(shape))))
    )
    return jn.records_body(
        seq,
        draw(ids),
        draw(ids),
        np.asarray(draw(st.lists(steps, min_size=n, max_size=n)), "<i8"),
        np.asarray(draw(st.lists(floats, min_size=n, max_size=n)), "<f8"),
        values.astype("<f8"),
        shape,
    )


@st.composite
def segments(draw):
    """(segment bytes, [(start, stop, body)] of its frames): a head, frames, a zero tail."""
    count = draw(st.integers(0, 8))
    data, spans = bytearray(jn.SEGMENT_HEAD_BYTES), []
    for seq in range(1, count + 1):
        body = draw(bodies(seq))
        spans.append((len(data), len(data) + 12 + len(body), body))
        data += jn.frame(body)
    data += bytes(draw(st.integers(0, 200)))
    return bytes(data), spans


def same(decoded, body):
    """A decoded frame equals the body it came from (compared by re-decoding the body)."""
    want = jn.decode_body(body)
    if isinstance(want, jn.Declared) or isinstance(decoded, jn.Declared):
        return decoded == want
    return (
        (decoded.seq, decoded.sid, decoded.tid, decoded.shape, decoded.raw)
        == (want.seq, want.sid, want.tid, want.shape, want.raw)
        and decoded.steps.tolist() == want.steps.tolist()
        and decoded.walls.tobytes() == want.walls.tobytes()
    )


@settings(max_examples=150, deadline=None)
@given(segments())
def test_frames_round_trip(segment):
    data, spans = segment
    frames, damage = jn.scan(data)
    assert damage == []
    assert len(frames) == len(spans)
    assert all(same(f, body) for f, (_, _, body) in zip(frames, spans))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(segments(), st.data())
def test_corruption_loses_only_the_frames_it_touches_and_reports_them(segment, data):
    raw, spans = segment
    start = data.draw(st.integers(0, len(raw) - 1), label="start")
    stop = data.draw(st.integers(start + 1, min(len(raw), start + 80)), label="stop")
    how = data.draw(st.sampled_from(["flip", "zeros", "random"]), label="how")
    if how == "flip":
        patch = bytes(b ^ data.draw(st.integers(1, 255)) for b in raw[start:stop])
    elif how == "zeros":
        patch = bytes(stop - start)
    else:
        patch = data.draw(st.binary(min_size=stop - start, max_size=stop - start), label="patch")
    damaged = raw[:start] + patch + raw[stop:]

    frames, damage = jn.scan(damaged)  # never raises

    # no phantom frames: what comes back is a subsequence of what was written, in order
    kept, j = [], 0
    for f in frames:
        while j < len(spans) and not same(f, spans[j][2]):
            j += 1
        assert j < len(spans), "a frame came back that was never written"
        kept.append(j)
        j += 1
    # every frame outside the damaged bytes comes back
    untouched = [i for i, (a, b, _) in enumerate(spans) if b <= start or a >= stop]
    assert set(untouched) <= set(kept)
    # a lost frame is reported, unless the damage looks exactly like a write cut short by kill -9 (the last
    # frames, the first of them without the magic that publishes it), which no returned call can have produced
    lost = [i for i in range(len(spans)) if i not in kept]
    if lost and not damage:
        first = spans[lost[0]][0]
        assert damaged.startswith(jn.SEGMENT_HEAD_BYTES), "a damaged segment head is reported"
        assert damaged[first : first + 4] == bytes(4) and lost == list(range(lost[0], len(spans)))


def test_zero_filled_segment_is_damage_and_empty_segments_are_not():
    assert jn.scan(b"")[1] == []
    assert jn.scan(jn.SEGMENT_HEAD_BYTES + bytes(4096))[1] == []  # a fresh segment: nothing written yet
    frames, damage = jn.scan(bytes(4096))
    assert frames == [] and [d.why for d in damage] == ["the segment is zero-filled"]


def test_legacy_segments_are_read_and_their_torn_tail_is_silent():
    bodies_ = [jn.scalar_body(seq, 0, seq, 1.0, float(seq)) for seq in (1, 2, 3)]
    data = b"".join(jn.frame(b) for b in bodies_)  # no segment head: written by os.write before version 2
    frames, damage = jn.scan(data + jn.frame(jn.scalar_body(4, 0, 4, 1.0, 4.0))[:30])
    assert [f.seq for f in frames] == [1, 2, 3] and damage == []


def test_a_mapped_frame_killed_before_its_magic_is_a_torn_write_not_damage(tmp_path):
    segment = jn.JournalFile(tmp_path / "w.1.jnl", capacity=4096)
    for seq in (1, 2, 3):
        segment.append(jn.scalar_body(seq, 0, seq, 1.0, float(seq)))
    last = segment.pos
    segment.append(jn.scalar_body(4, 0, 4, 1.0, 4.0))
    data = bytearray(segment.map[:])
    frames, damage = jn.scan(bytes(data))
    assert [f.seq for f in frames] == [1, 2, 3, 4] and damage == []
    data[last : last + 4] = bytes(4)  # kill -9 after the length and CRC, before the magic that publishes it
    frames, damage = jn.scan(bytes(data))
    assert [f.seq for f in frames] == [1, 2, 3] and damage == []
    data[last : last + 4] = jn.MAGIC_BYTES  # a published frame whose CRC fails is damage
    data[last + 12] ^= 0xFF
    assert jn.scan(bytes(data))[1] != []


# ---------------------------------------------------------------------------------------------- replay

CRASHING_WRITER = """
import os, signal, sys
import numpy as np
from ploteries.storage import DatabaseWriter
w = DatabaseWriter(sys.argv[1], flush_secs=3600)  # no commit: everything lives in the journal only
n = int(sys.argv[2])
for step in range(n):
    w.append_scalar("run", "loss", float(step), step=step, wall_time=1000.0 + step)
    if step % 1000 == 0:
        w.append("run", "weights", np.full((step % 5 + 1, 3), step, np.int32), step=step, ragged=True)
{extra}
sys.stdout.write("written\\n")
sys.stdout.flush()
os.kill(os.getpid(), signal.SIGKILL)
"""


def crash(db_path, n, extra=""):
    """Run a writer that appends ``n`` scalars, then dies by kill -9 before any commit."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    proc = subprocess.run(
        [sys.executable, "-c", CRASHING_WRITER.replace("{extra}", extra), str(db_path), str(n)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == -9 and proc.stdout == "written\n", proc.stderr
    return sorted(jn.journal_dir(db_path).glob("*.jnl"))


def test_kill_9_before_any_commit_keeps_every_acknowledged_record(db_path):
    segments = crash(db_path, 60_000)  # 2.9 MB of frames: the writer moved on to a bigger segment
    assert len(segments) >= 2
    db = ploteries.open(db_path)
    loss = db.read("run", "loss")
    np.testing.assert_array_equal(loss["step"], np.arange(60_000))
    np.testing.assert_array_equal(loss["value"], np.arange(60_000.0))
    np.testing.assert_array_equal(loss["wall_time"], 1000.0 + np.arange(60_000))
    weights = db.read("run", "weights")
    assert weights.step.tolist() == list(range(0, 60_000, 1000))
    assert all((rec.value == rec.step).all() and rec.value.shape == (rec.step % 5 + 1, 3) for rec in weights)
    assert not jn.journal_dir(db_path).exists()


def test_a_flipped_byte_loses_one_record_keeps_the_segment_aside_and_says_so(db_path):
    (segment,) = crash(db_path, 1100)
    data = bytearray(segment.read_bytes())
    at = data.index(struct.pack("<d", 500.0))  # the value of step 500
    data[at + 3] ^= 0x10
    segment.write_bytes(bytes(data))
    with pytest.warns(
        JournalDamageWarning, match=r"lost records: .*bytes \d+\.\.\d+ .* skipped.*kept as .*damaged"
    ):
        db = ploteries.open(db_path)
    assert db.read("run", "loss")["step"].tolist() == [s for s in range(1100) if s != 500]
    assert db.read("run", "weights").step.tolist() == [0, 1000]
    kept = segment.with_name(segment.name + ".damaged")
    assert kept.read_bytes() == bytes(data)
    ploteries.open(db_path)  # opening again neither warns again nor changes anything


def test_a_zero_filled_journal_is_reported(db_path):
    (segment,) = crash(db_path, 300)
    segment.write_bytes(bytes(segment.stat().st_size))
    with pytest.warns(
        JournalDamageWarning, match="zero-filled.*frame\\(s\\) between sequence numbers 0 and|zero-filled"
    ):
        db = ploteries.open(db_path)
    assert "run" not in db.runs()
    assert segment.with_name(segment.name + ".damaged").exists()


def test_a_frame_naming_an_undeclared_series_is_skipped_with_a_warning(db_path):
    (segment,) = crash(db_path, 200)
    last = max(f.seq for f in jn.scan(segment.read_bytes())[0])
    stray = segment.with_name(segment.name.replace(".000000.", ".000001."))
    stray.write_bytes(jn.SEGMENT_HEAD_BYTES + jn.frame(jn.scalar_body(last + 1, 7, 5, 1.0, 2.0)))
    with pytest.warns(JournalDamageWarning, match="names series 7, which no readable frame declares"):
        db = ploteries.open(db_path)
    assert db.read("run", "loss")["step"].tolist() == list(range(200))
    assert stray.with_name(stray.name + ".damaged").exists() and not segment.exists()


def test_a_crashed_journal_holding_a_record_the_file_cannot_hold_still_opens(db_path):
    bad = (
        "from ploteries.storage import writer\n"
        "writer.check_hdf5_limits = lambda *a: None\n"  # a limit the call misses
        "w.append('run', 'bad', np.zeros(2, [(f'f{i}', 'f8') for i in range(6000)]), step=0)\n"
        "w.append_scalar('run', 'loss', -1.0, step=10**6)\n"
    )
    crash(db_path, 100, bad)
    with pytest.warns(JournalDamageWarning, match="cannot hold the records of run 'run' tag 'bad'"):
        db = ploteries.open(db_path)
    assert db.tags("run") == ["loss", "weights"]
    assert db.read("run", "loss")["step"].tolist() == [*range(100), 10**6]
    assert not jn.journal_dir(db_path).exists()
    ploteries.open(db_path)
