"""The protobuf route (``file_writer`` / ``_get_file_writer().add_summary`` / ``add_event``) of ploteries' writer."""

from __future__ import annotations

import numpy as np
import pytest

import ploteries
from ploteries.compat import SummaryWriter
from ploteries.compat.file_writer import FileWriter
from ploteries.storage import array_to_json

pytest.importorskip("tensorboard")
torch_summary = pytest.importorskip("torch.utils.tensorboard.summary")


def _hparams(db, run):
    return [array_to_json(np.asarray(v)) for v in db.read(run, "_hparams_").values]


def _lightning_route(writer, hparams_fn):
    """What Lightning's TensorBoardLogger.log_hyperparams does with the writer it holds."""
    exp, ssi, sei = hparams_fn({"lr": 0.1, "opt": "adam", "bn": True}, {"hp_metric": -1})
    fw = writer._get_file_writer()
    fw.add_summary(exp)
    fw.add_summary(ssi)
    fw.add_summary(sei)


@pytest.mark.parametrize("library", ["torch", "tensorboardX"])
def test_hparams_through_get_file_writer(tmp_path, library):
    if library == "torch":
        hparams_fn = torch_summary.hparams
    else:
        hparams_fn = pytest.importorskip("tensorboardX.summary").hparams
    w = SummaryWriter(tmp_path / "version_0")
    _lightning_route(w, hparams_fn)
    w.add_scalar("hp_metric", -1, 0)
    w.close()
    with ploteries.open(w.database) as db:
        assert db.runs() == ["version_0"]
        (record,) = _hparams(db, "version_0")
    assert record["hparams"] == {"lr": 0.1, "opt": "adam", "bn": 1.0}
    assert record["metrics"] == {"hp_metric": None}


def test_lightning_logger_holding_a_ploteries_writer(tmp_path):
    """``from ploteries.compat import SummaryWriter`` style: Lightning's logger given our writer."""
    from lightning.pytorch import loggers

    class PloteriesLogger(loggers.TensorBoardLogger):
        @property
        def experiment(self):
            if self._experiment is None:
                self._experiment = SummaryWriter(self.log_dir)
            return self._experiment

    logger = PloteriesLogger(save_dir=tmp_path)
    logger.log_hyperparams({"lr": 0.1, "layers": 2})
    logger.log_metrics({"loss": 0.5}, step=3)
    logger.finalize("success")
    with ploteries.open(tmp_path / "lightning_logs" / "version_0" / "ploteries.h5") as db:
        assert db.read("version_0", "loss")["step"].tolist() == [3]
        assert db.read("version_0", "hp_metric")["value"].tolist() == [-1.0]
        (record,) = _hparams(db, "version_0")
    assert record["hparams"] == {"lr": 0.1, "layers": 2.0}


def test_summaries_and_events_are_decoded(tmp_path):
    from tensorboard.compat.proto import event_pb2

    w = SummaryWriter(tmp_path / "r")
    fw = w.file_writer
    fw.add_summary(torch_summary.scalar("loss", 0.5), 3, 100.0)
    fw.add_summary(torch_summary.histogram("h", np.arange(10.0), "auto"), 4)
    fw.add_summary(torch_summary.text("notes", "hello"), 5)
    fw.add_summary(torch_summary.scalar("loss", 0.25).SerializeToString(), 4, 101.0)  # bytes too
    fw.add_event(event_pb2.Event(summary=torch_summary.scalar("other", 2.0), step=9, wall_time=50.0))
    with w.use_metadata(global_step=11):
        fw.add_summary(torch_summary.scalar("meta", 1.0))
    w.close()
    with ploteries.open(w.database) as db:
        loss = db.read("r", "loss")
        assert loss["step"].tolist() == [3, 4] and loss["wall_time"].tolist() == [100.0, 101.0]
        assert loss["value"].tolist() == [0.5, 0.25]
        assert db.read("r", "other")[0].tolist() == (9, 50.0, 2.0)
        assert db.read("r", "meta")["step"].tolist() == [11]
        assert db.info("r", "h").kind == "histogram" and db.read("r", "h").step.tolist() == [4]
        assert db.read("r", "notes").values[0].tobytes().decode() == "hello"


def test_graph_and_purge_events(tmp_path, torch):
    from tensorboard.compat.proto import event_pb2
    from torch.utils.tensorboard._pytorch_graph import graph

    w = SummaryWriter(tmp_path / "r")
    for step in range(5):
        w.add_scalar("loss", float(step), step)
    w.file_writer.add_graph(graph(torch.nn.Linear(2, 1), torch.zeros(1, 2)))
    w.file_writer.add_event(event_pb2.Event(step=3, session_log=event_pb2.SessionLog(status=1)))
    w.add_scalar("loss", -1.0, 3)
    w.close()
    with ploteries.open(w.database) as db:
        assert db.read("r", "loss")["step"].tolist() == [0, 1, 2, 3]
        nodes = array_to_json(np.asarray(db.read("r", "_graph_").values[0]))["nodes"]
    assert any("Linear" in str(n) for n in nodes)


def test_file_writer_built_directly(tmp_path):
    fw = FileWriter(str(tmp_path / "exp"))
    fw.add_summary(torch_summary.scalar("x", 1.0), 2)
    assert fw.get_logdir() == str(tmp_path / "exp")
    fw.close()
    with ploteries.open(tmp_path / "exp" / "ploteries.h5") as db:
        assert db.read("exp", "x")["value"].tolist() == [1.0]
    with pytest.raises(TypeError, match=r"FileWriter needs log_dir"):
        FileWriter()


def test_not_a_proto(tmp_path):
    w = SummaryWriter(tmp_path / "r")
    with pytest.raises(TypeError, match=r"expected a TensorBoard Summary protocol buffer, got dict"):
        w.file_writer.add_summary({"loss": 1.0})
    w.close()
