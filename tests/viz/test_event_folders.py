"""The viewer's library with an event-file mirror: labels, notes, the empty page's message."""

from __future__ import annotations

import pytest

from ploteries.compat.event_mirror import EventMirror
from ploteries.viz.app import _empty_message
from ploteries.viz.library import Library
from tests.viz.helpers import write_scalars

torch_tb = pytest.importorskip("torch.utils.tensorboard")


def texts(components) -> list[str]:
    return [c.children for c in components]


def test_event_files_are_a_source_beside_the_databases(tmp_path):
    root = tmp_path / "runs"
    write_scalars(root / "db.h5", {"mine": {"loss": [1.0]}})
    writer = torch_tb.SummaryWriter(root / "tb_run")
    writer.add_scalar("loss", 2.0, 0)
    writer.close()
    mirror = EventMirror(root, "tfevents", cache_dir=root / "cache")  # even a cache inside the root
    snapshot = Library([root], mirrors=[mirror]).refresh()
    assert [(s.source, s.runs) for s in snapshot.sources] == [("db.h5", ["mine"]), ("tfevents", ["tb_run"])]
    mirror.close()


def test_the_empty_page_mentions_the_event_files(tmp_path):
    root = tmp_path / "runs"
    writer = torch_tb.SummaryWriter(root / "exp")
    writer.flush()  # an event file with no records yet
    mirror = EventMirror(root, "tfevents", cache_dir=tmp_path / "cache")
    snapshot = Library([root], mirrors=[mirror]).refresh()
    assert snapshot.sources == ()
    assert texts(_empty_message(snapshot, None))[:2] == [
        "No ploteries databases here yet.",
        f"1 TensorBoard event file below {root}: shown as soon as they hold records.",
    ]
    writer.close()
    mirror.close()


def test_a_failing_mirror_keeps_the_viewer_going(tmp_path, caplog):
    write_scalars(tmp_path / "db.h5", {"r": {"loss": [1.0]}})

    class Broken:
        def sync(self):
            raise RuntimeError("disk on fire")

        def note(self):
            return None

    snapshot = Library([tmp_path], mirrors=[Broken()]).refresh()
    assert [s.source for s in snapshot.sources] == ["db.h5"]
    assert "syncing" in caplog.text and "disk on fire" in caplog.text


def test_named_roots_prefix_the_labels(tmp_path):
    write_scalars(tmp_path / "a" / "x.h5", {"r": {"loss": [1.0]}})
    write_scalars(tmp_path / "b.h5", {"r": {"loss": [1.0]}})
    snapshot = Library([tmp_path / "a", tmp_path / "b.h5"], names=["base", "new"]).refresh()
    assert [s.source for s in snapshot.sources] == ["base/x.h5", "new"]
    with pytest.raises(ValueError, match="names must have one entry per root"):
        Library([tmp_path], names=["a", "b"])
