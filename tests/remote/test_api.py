"""Remote writes and reads against a real server on loopback: round trips, tokens, limits, paths."""

from __future__ import annotations

import subprocess
import sys
import uuid

import numpy as np
import pytest

import ploteries
from ploteries import DatabaseWriter
from ploteries.compat import SummaryWriter
from ploteries.storage import journal as jn
from ploteries.storage.remote import RemoteAuthError, RemoteBackend, RemoteWriter
from ploteries.testing.remote_server import ServerProcess, request


def unique_db() -> str:
    return f"db-{uuid.uuid4().hex[:8]}.h5"


def commit_path(name: str) -> str:
    return f"/api/v1/db/{name}/commit"


def scalar_body(writer_steps: range, sid: int = 0) -> bytes:
    """Journal frames declaring run 'r' tag 'x' then one scalar per step (sequence numbers from 1)."""
    decl = jn.json_text({"run": "r", "tag": "x", "part": "", "kind": "scalar", "meta": {}, "ragged": False})
    frames = [jn.frame(jn.text_body(b"D", 1, sid, decl))]
    frames += [
        jn.frame(jn.scalar_body(2 + i, sid, s, 1000.0 + s, float(s))) for i, s in enumerate(writer_steps)
    ]
    return b"".join(frames)


def test_writer_and_reader_round_trip_every_kind_of_value(server, spool):
    name = unique_db()
    rec = np.zeros(3, [("a", "<i4"), ("b", "<f2", (2,))])
    rec["a"] = [1, 2, 3]
    with DatabaseWriter(server.url(name), flush_secs=0.05) as w:
        assert isinstance(w, RemoteWriter)
        for step in range(300):
            w.append_scalar("lr=0.1", "loss", 1.0 / (step + 1), step=step, wall_time=1000.0 + step)
        w.append("lr=0.1", "img", np.arange(24, dtype=np.uint8).reshape(2, 3, 4), step=5)
        w.append("lr=0.1", "rec", rec, step=1)
        w.append("lr=0.1", "h", np.arange(3.0), step=1, ragged=True)
        w.append("lr=0.1", "h", np.arange(5, dtype=np.int16), step=2)
        w.append_many("lr=0.2", "acc", np.array([0.5, 0.75]), [10, 20], [1.0, 2.0])
        w.set_meta("lr=0.1", "loss", {"unit": "nats"})
    local = ploteries.open(server.root / name)
    with ploteries.open(server.url(name)) as remote:
        assert isinstance(remote.backend, RemoteBackend)
        assert remote.runs() == local.runs() == ["lr=0.1", "lr=0.2"]
        assert remote.tags("lr=0.1") == ["h", "img", "loss", "rec"]
        loss = remote.read("lr=0.1", "loss", start=100, stop=110)
        assert loss["step"].tolist() == list(range(100, 110))
        np.testing.assert_array_equal(loss["value"], 1.0 / (np.arange(100, 110) + 1))
        np.testing.assert_array_equal(loss["wall_time"], 1000.0 + np.arange(100, 110))
        np.testing.assert_array_equal(remote.read("lr=0.1", "loss"), local.read("lr=0.1", "loss"))
        assert remote.read("lr=0.1", "loss", from_row=298)["step"].tolist() == [298, 299]
        assert remote.read("lr=0.1", "loss", fields=["step"])[:3].tolist() == [0, 1, 2]
        img = remote.read("lr=0.1", "img")
        assert (
            img["value"].dtype == np.uint8
            and img["value"][0].tolist() == np.arange(24).reshape(2, 3, 4).tolist()
        )
        got = remote.read("lr=0.1", "rec")["value"][0]
        assert got.dtype == rec.dtype and got["a"].tolist() == [1, 2, 3]
        ragged = remote.read_records("lr=0.1", "h")
        assert ragged.step.tolist() == [1, 2]
        assert [v.dtype for v in ragged.values] == [np.float64, np.int16]
        assert ragged[1].value.tolist() == [0, 1, 2, 3, 4]
        assert remote.info("lr=0.1", "loss").meta == {"unit": "nats"}
        assert remote.info("lr=0.1", "loss").count == 300
        assert remote.step_range() == (0, 299)
        assert remote.read_many([("lr=0.2", "acc", ""), ("nope", "x", "")])[1] is None
        with pytest.raises(KeyError, match="no run 'nope'"):
            remote.read("nope", "loss")


def test_summary_writer_with_a_database_url(server, spool):
    name = unique_db()
    with SummaryWriter(database=server.url(name), run="lr=0.1", flush_secs=0.05) as w:
        for step in range(50):
            w.add_scalar("loss/train", 2.0 - step / 100, global_step=step)
        w.add_histogram("weights", np.linspace(-1, 1, 100), global_step=3)
        w.add_scalars("acc", {"train": 0.5, "val": 0.4}, global_step=1)
    with ploteries.open(server.url(name)) as db:
        assert db.runs() == ["lr=0.1", "lr=0.1/acc_train", "lr=0.1/acc_val"]
        assert db.read("lr=0.1", "loss/train")["value"].tolist() == [2.0 - s / 100 for s in range(50)]
        assert "weights" in db.tags("lr=0.1")
        assert db.read("lr=0.1/acc_val", "acc")["value"].tolist() == [0.4]


def test_summary_writer_purge_step_on_a_remote_database(server, spool):
    name = unique_db()
    with SummaryWriter(database=server.url(name), run="r", flush_secs=0.05) as w:
        for step in range(10):
            w.add_scalar("loss", float(step), global_step=step)
    with SummaryWriter(database=server.url(name), run="r", purge_step=6, flush_secs=0.05) as w:
        w.add_scalar("loss", 60.0, global_step=6)
    assert ploteries.open(server.url(name)).read("r", "loss")["value"].tolist() == [0, 1, 2, 3, 4, 5, 60]


def test_wrong_or_missing_token_fails_clearly_and_writes_nothing(server, spool, monkeypatch):
    name = unique_db()
    monkeypatch.setenv("PLOTERIES_TOKEN", "wrong")
    with pytest.raises(PermissionError, match="refused the token .*PLOTERIES_TOKEN.*Nothing was written"):
        DatabaseWriter(server.url(name))
    with pytest.raises(PermissionError, match="refused the token"):
        SummaryWriter(database=server.url(name), run="r")
    with pytest.raises(PermissionError, match="refused the token"):
        ploteries.open(server.url(name))
    monkeypatch.delenv("PLOTERIES_TOKEN")
    with pytest.raises(PermissionError, match="needs the server's token: set the PLOTERIES_TOKEN"):
        DatabaseWriter(server.url(name))
    assert not (server.root / name).exists()
    for auth in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "wrong"}):
        status, answer = server.json(
            "POST",
            commit_path(name),
            body=scalar_body(range(3)),
            headers={"X-Ploteries-Writer": "w1", **auth},
        )
        assert status == 401 and "token" in answer["error"]
        assert request(server.port, "GET", f"/api/v1/db/{name}/catalog", headers=auth)[0] == 401
    assert not (server.root / name).exists()


def test_oversized_bodies_are_refused_with_413(tmp_path, spool):
    srv = ServerProcess(tmp_path / "root", extra=["--max-body", "0.01"])  # 10 kB
    (tmp_path / "root").mkdir()
    srv.start()
    try:
        status, answer = srv.json(
            "POST",
            commit_path("a.h5"),
            body=b"\0" * 20_000,
            headers={"X-Ploteries-Writer": "w1", **srv.auth()},
        )
        assert status == 413 and "limit of 10485 bytes" in answer["error"]
        with DatabaseWriter(srv.url("a.h5"), flush_secs=0.05) as w:
            with pytest.raises(ValueError, match="too large for the server's request limit of 10485 bytes"):
                w.append("r", "big", np.zeros(4000), step=0)
            for step in range(2000):  # 2000 scalars are 80 kB: sent in several bodies under the limit
                w.append_scalar("r", "x", float(step), step=step)
        assert ploteries.open(srv.root / "a.h5").read("r", "x")["step"].tolist() == list(range(2000))
    finally:
        srv.stop()


@pytest.mark.parametrize(
    ("path", "status", "match"),
    [
        ("..%2Foutside.h5", 403, "outside the server's ROOT"),
        ("link/escape.h5", 403, "outside the server's ROOT"),
        ("notes.txt", 400, "must name a file ending in .h5"),
        (".hidden/a.h5", 400, "no hidden folders"),
    ],
)
def test_paths_outside_root_are_refused(server, path, status, match):
    link = server.root / "link"
    if not link.exists():
        link.symlink_to(server.root.parent, target_is_directory=True)
    code, answer = server.json(
        "POST",
        commit_path(path),
        body=scalar_body(range(2)),
        headers={"X-Ploteries-Writer": "w1", **server.auth()},
    )
    assert code == status and match in answer["error"]
    assert (
        not (server.root.parent / "outside.h5").exists() and not (server.root.parent / "escape.h5").exists()
    )


def test_duplicate_deliveries_commit_each_record_once(server):
    name = unique_db()
    headers = {"X-Ploteries-Writer": "dup1", **server.auth()}
    first = scalar_body(range(10))
    assert server.json("POST", commit_path(name), body=first, headers=headers) == (
        200,
        {"committed": 11, "rows": 10, "applied": True},
    )
    assert server.json("POST", commit_path(name), body=first, headers=headers) == (
        200,
        {"committed": 11, "rows": 0, "applied": False},
    )
    longer = scalar_body(range(15))  # a retry that also carries newer records: only those are new
    assert server.json("POST", commit_path(name), body=longer, headers=headers) == (
        200,
        {"committed": 16, "rows": 5, "applied": True},
    )
    assert ploteries.open(server.root / name).read("r", "x")["step"].tolist() == list(range(15))


def test_damaged_or_inconsistent_bodies_write_nothing(server):
    name = unique_db()
    headers = {"X-Ploteries-Writer": "bad1", **server.auth()}
    body = bytearray(scalar_body(range(5)))
    body[-3] ^= 0xFF
    status, answer = server.json("POST", commit_path(name), body=bytes(body), headers=headers)
    assert status == 400 and "damaged" in answer["error"]
    undeclared = jn.frame(jn.scalar_body(1, 7, 0, 1.0, 1.0))
    status, answer = server.json("POST", commit_path(name), body=undeclared, headers=headers)
    assert status == 400 and "inconsistent" in answer["error"]
    status, answer = server.json(
        "POST",
        commit_path(name),
        body=scalar_body(range(1)),
        headers={**headers, "X-Ploteries-Writer": "../x"},
    )
    assert status == 400 and "writer id" in answer["error"]
    assert not (server.root / name).exists()


def test_accept_writes_without_a_token_refuses_to_start(tmp_path):
    srv = ServerProcess(tmp_path, token=None)
    out = subprocess.run(
        [sys.executable, "-m", "ploteries.cli", "serve", str(tmp_path), "--port", "0", "--accept-writes"],
        env=srv.env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2
    assert "--accept-writes needs a token: start the server with PLOTERIES_TOKEN set" in out.stderr


def test_a_read_only_server_refuses_writes(tmp_path, spool):
    root = tmp_path / "root"
    root.mkdir()
    srv = ServerProcess(root, accept_writes=False).start()
    try:
        with pytest.raises(RemoteAuthError, match="does not accept writes; start it with .*--accept-writes"):
            DatabaseWriter(srv.url("a.h5"))
    finally:
        srv.stop()
