"""Leftovers of crashed transactions: orphan nodes are replaced, a damaged structure is rebuilt."""

import h5py
import numpy as np

import ploteries
from ploteries.storage import DatabaseWriter
from ploteries.storage.hdf5.backend import HDF5Backend
from ploteries.storage.hdf5.repair import rebuild


def write_some(path):
    with DatabaseWriter(path) as w:
        for step in range(50):
            w.append_scalar("a", "loss", step / 2, step=step)
        w.append("a", "img", np.zeros((2, 2), np.uint8), step=0)
        w.append("a", "img", np.ones((3, 2), np.uint8), step=1)


def test_orphan_nodes_of_an_uncommitted_transaction_are_replaced(db_path):
    write_some(db_path)
    with h5py.File(
        db_path, "r+", locking=False
    ) as f:  # as a writer killed before its catalog write leaves it
        f["series"].create_group("s000002").create_dataset("b0", data=np.arange(3))
        f["series"]["s000000"].create_dataset("b1", data=np.arange(3))
    with DatabaseWriter(db_path) as w:
        w.append("b", "new", np.arange(4.0), step=7)
        w.append("a", "loss", np.int32(9), step=50)  # a new dtype: a new block b1 in s000000
    db = ploteries.open(db_path)
    assert db.read("b", "new")["value"].tolist() == [[0.0, 1.0, 2.0, 3.0]]
    assert db.read("a", "loss")["value"][-2:].tolist() == [24.5, 9.0]


def test_rebuild_keeps_exactly_the_committed_content(db_path):
    write_some(db_path)
    db = ploteries.open(db_path)
    before = (db.read("a", "loss"), db.read("a", "img"), db.uid)
    inode = db_path.stat().st_ino
    rebuild(db_path)
    assert db_path.stat().st_ino != inode
    after = ploteries.open(db_path)
    np.testing.assert_array_equal(after.read("a", "loss"), before[0])
    assert [v.tolist() for v in after.read("a", "img").values] == [v.tolist() for v in before[1].values]
    assert after.uid == before[2]
    with DatabaseWriter(db_path) as w:
        w.append_scalar("a", "loss", 1.0, step=99)
    assert after.read("a", "loss")["step"][-1] == 99


def test_commit_rebuilds_and_retries_when_hdf5_trips(db_path, monkeypatch):
    write_some(db_path)
    real = HDF5Backend._commit_once
    calls = []

    def trips_once(self, batch, dry_run=False):
        calls.append(dry_run)  # dry_run=True: a trial, thrown away
        if len(calls) == 1:
            raise ValueError("Unable to synchronously create group (addr overflow, addr = 15560)")
        return real(self, batch, dry_run)

    monkeypatch.setattr(HDF5Backend, "_commit_once", trips_once)
    with DatabaseWriter(db_path) as w:
        w.append_scalar("a", "loss", -1.0, step=100)
    assert calls == [False, True, False]  # failed, tried alone (fine: the file was at fault), committed
    assert ploteries.open(db_path).read("a", "loss")["value"][-1] == -1.0
