"""Pure parts of remote storage: URLs, array payloads, series info, database paths, ingest (no server)."""

from __future__ import annotations

import os
from pathlib import Path

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ploteries
from ploteries.storage import journal as jn
from ploteries.storage.batch import Batch, Chunk, PendingSeries
from ploteries.storage.reader import RaggedRecords
from ploteries.storage.recovery import batch_from_frames
from ploteries.storage.remote.ingest import Ingest, resolve_database
from ploteries.storage.remote.wire import (
    batch_frames,
    decode_results,
    encode_results,
    parse_url,
)

DTYPES = st.one_of(
    hnp.scalar_dtypes(),
    hnp.byte_string_dtypes(min_len=1),
    hnp.unicode_string_dtypes(min_len=1),
    st.just(np.dtype([("a", "<i4"), ("b", ">f2", (2,))])),
)


@given(
    dtype=DTYPES,
    shape=hnp.array_shapes(min_dims=0, max_dims=3, max_side=4),
    rows=st.integers(0, 5),
    data=st.data(),
)
@settings(max_examples=60, deadline=None)
def test_fixed_reads_travel_exactly(dtype, shape, rows, data):
    value = data.draw(hnp.arrays(dtype, (rows, *shape)))
    table = np.empty(rows, [("step", "<i8"), ("wall_time", "<f8"), ("value", dtype, shape)])
    table["step"] = np.arange(rows)
    table["value"] = value
    (back,) = decode_results(encode_results([table]))
    assert back.dtype == table.dtype
    assert back.tobytes() == table.tobytes()


@given(
    values=st.lists(st.tuples(DTYPES, hnp.array_shapes(min_dims=0, max_dims=2, max_side=3)), max_size=4),
    data=st.data(),
)
@settings(max_examples=40, deadline=None)
def test_ragged_reads_travel_exactly(values, data):
    arrays = [data.draw(hnp.arrays(dtype, shape)) for dtype, shape in values]
    recs = RaggedRecords(np.arange(len(arrays)), np.arange(len(arrays)) + 0.5, arrays)
    (back,) = decode_results(encode_results([recs]))
    assert isinstance(back, RaggedRecords) and back.step.tolist() == recs.step.tolist()
    assert [(v.dtype, v.shape, v.tobytes()) for v in back.values] == [
        (v.dtype, v.shape, v.tobytes()) for v in arrays
    ]


def test_a_payload_with_objects_is_never_unpickled():
    import io

    buf = io.BytesIO()
    np.savez(buf, layout=np.array([1], np.uint8), **{"0": np.array([{"x": 1}], dtype=object)})
    with pytest.raises(ValueError, match="allow_pickle"):
        decode_results(buf.getvalue())


@pytest.mark.parametrize(
    ("url", "match"),
    [
        ("ftp://host/a.h5", "must be an http:// or https:// URL"),
        ("http://host:6006/", "names no database file; add its path on the server"),
        ("http://host:6006/a.h5?token=x", "must not carry a query"),
        ("http://user:pw@host:6006/a.h5", "pass the token in the PLOTERIES_TOKEN"),
        ("http://host:99999/a.h5", "is not a valid URL"),
    ],
)
def test_malformed_urls_name_the_argument_and_the_fix(url, match):
    with pytest.raises(ValueError, match=match):
        parse_url(url)
    assert parse_url("https://h/x/y.h5").port == 443 and parse_url("https://h/x/y.h5").database == "x/y.h5"


NAMES = st.text(st.sampled_from("ab./\\\x00-_"), min_size=1, max_size=12).map(lambda s: s + ".h5")


@given(
    relative=st.one_of(
        NAMES, st.sampled_from(["../x.h5", "a/../../x.h5", "/etc/x.h5", "out/x.h5", "in/x.h5"])
    )
)
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_resolved_paths_never_leave_root(tmp_path, relative):
    root = tmp_path / "root"
    (root / "in").mkdir(parents=True, exist_ok=True)
    if not (root / "out").exists():
        (root / "out").symlink_to(tmp_path, target_is_directory=True)
    try:
        path = resolve_database(root, relative, create=True)
    except (PermissionError, ValueError):
        return
    real_root = os.path.realpath(root)
    assert os.path.commonpath([real_root, os.path.realpath(path)]) == real_root
    assert path.name.endswith(".h5") and not path.is_dir()


def test_ingest_commits_each_sequence_number_once(tmp_path):
    decl = jn.json_text({"run": "r", "tag": "x", "part": "", "kind": "scalar", "meta": {}, "ragged": False})
    frames = [jn.frame(jn.text_body(b"D", 1, 0, decl))] + [
        jn.frame(jn.scalar_body(2 + s, 0, s, 0.0, float(s))) for s in range(6)
    ]
    ingest = Ingest()
    path = tmp_path / "a.h5"
    assert ingest.commit(path, "w", b"".join(frames[:4])) == (4, 3, True)
    assert ingest.commit(path, "w", b"".join(frames)) == (7, 3, True)  # overlapping retry: only the new three
    assert ingest.commit(path, "w", b"".join([frames[0], *frames[2:5]])) == (7, 0, False)
    assert ploteries.open(path).read("r", "x")["value"].tolist() == [0, 1, 2, 3, 4, 5]
    assert Path(path).exists()


@pytest.mark.parametrize("name", ["wire", "ingest", "spool", "writer", "backend", "push", "transport"])
def test_docstring_examples(name):
    import doctest
    import importlib

    module = importlib.import_module(f"ploteries.storage.remote.{name}")
    assert doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE).failed == 0


@given(results=st.lists(st.one_of(st.none(), st.tuples(DTYPES, st.booleans())), max_size=4), data=st.data())
@settings(max_examples=40, deadline=None)
def test_several_results_travel_in_one_body(results, data):
    made = []
    for spec in results:
        if spec is None:
            made.append(None)
            continue
        dtype, ragged = spec
        if ragged:
            values = [data.draw(hnp.arrays(dtype, n)) for n in (1, 2)]
            made.append(RaggedRecords(np.array([3, 4]), np.array([0.5, 1.5]), values))
        else:
            made.append(data.draw(hnp.arrays(dtype, 3)))
    back = decode_results(encode_results(made))
    assert len(back) == len(made)
    for got, want in zip(back, made):
        if want is None:
            assert got is None
        elif isinstance(want, RaggedRecords):
            assert got.step.tolist() == [3, 4]
            assert [(v.dtype, v.tobytes()) for v in got.values] == [
                (v.dtype, v.tobytes()) for v in want.values
            ]
        else:
            assert got.dtype == want.dtype and got.tobytes() == want.tobytes()


def test_a_batch_travels_as_frames_and_comes_back_equal():
    ps = PendingSeries("r", "t", "", "tensor", {"unit": "s"}, False)
    ps.steps, ps.walls, ps.values = [1, 2], [0.5, 0.6], [1.5, 2.5]
    ps.add_chunk(Chunk(np.array([3]), np.array([0.7]), np.array([[1, 2]], np.int16)))
    batch = Batch("w1", 42, {5: ps})
    back = batch_from_frames(jn.scan(batch_frames(batch))[0], "w1", 0).batch
    got = back.series[5]
    assert (got.run, got.tag, got.meta) == ("r", "t", {"unit": "s"})
    got.seal_scalars()
    assert [c.steps.tolist() for c in got.chunks] == [[1, 2], [3]]
    assert got.chunks[0].values.tolist() == [1.5, 2.5] and got.chunks[1].values.dtype == np.int16
