"""tensorboardX parity of ploteries' SummaryWriter: its extra arguments, attributes and JSON export."""

from __future__ import annotations

import inspect
import json

import numpy as np
import pytest

import ploteries
from ploteries.compat import SummaryWriter
from ploteries.storage import array_to_json

tensorboardX = pytest.importorskip("tensorboardX")
TBX = tensorboardX.SummaryWriter
RENAMED = {("add_onnx_graph", "onnx_model_file")}  # torch calls it prototxt; passed positionally by everyone
TBX_ONLY = {"add_openvino_graph"}  # needs openvino; patch() keeps tensorboardX's own, routed to ploteries


def _names(func) -> set[str]:
    kinds = (inspect.Parameter.VAR_KEYWORD, inspect.Parameter.VAR_POSITIONAL)
    return {p.name for p in inspect.signature(func).parameters.values() if p.kind not in kinds}


@pytest.mark.parametrize(
    "name",
    sorted(
        n for n, _ in inspect.getmembers(TBX, inspect.isfunction) if not n.startswith("_") or n == "__init__"
    ),
)
def test_every_tensorboardx_argument_is_accepted(name):
    if name in TBX_ONLY:
        return
    missing = {(name, arg) for arg in _names(getattr(TBX, name)) - _names(getattr(SummaryWriter, name))}
    assert missing <= RENAMED


def read(path, run, tag, part=""):
    with ploteries.open(path) as db:
        return db.read(run, tag, part)


def test_positional_display_name_binds_like_tensorboardx(tmp_path):
    w = SummaryWriter(tmp_path / "r")
    w.add_scalar("s", 1.5, 3, 100.0, "S3", "desc")
    w.add_scalar("t", 2.5, 4, 101.0, "T only")
    w.close()
    with ploteries.open(w.database) as db:
        assert db.info("r", "s").meta == {"display_name": "S3", "description": "desc"}
        assert db.info("r", "t").meta == {"display_name": "T only", "description": ""}
        s = db.read("r", "s")
        assert (s["step"].tolist(), s["wall_time"].tolist(), s["value"].tolist()) == ([3], [100.0], [1.5])


def test_add_hparams_name_positional_and_keyword(tmp_path):
    w = SummaryWriter(tmp_path / "r")
    # tensorboardX's order: (hparam_dict, metric_dict, name, global_step)
    w.add_hparams({"lr": 0.1}, {"acc": 0.5}, "trial_a", 7)
    w.add_hparams({"lr": 0.2}, {"acc": 0.6}, name="trial_b")
    with pytest.raises(ValueError, match=r"pass run_name= or name= \(tensorboardX\), not both"):
        w.add_hparams({"lr": 0.3}, {"acc": 0.7}, run_name="x", name="y")
    w.close()
    with ploteries.open(w.database) as db:
        assert sorted(db.runs()) == ["r/trial_a", "r/trial_b"]
        assert db.read("r/trial_a", "acc")["step"].tolist() == [7]
        record = array_to_json(np.asarray(db.read("r/trial_b", "_hparams_").values[0]))
        assert record["hparams"] == {"lr": 0.2} and record["metrics"] == {"acc": 0.6}


def test_add_video_dataformats(tmp_path):
    clip = np.random.default_rng(0).random((1, 2, 3, 4, 5)).astype(np.float32)  # N T C H W
    w = SummaryWriter(tmp_path / "r")
    w.add_video("ntchw", clip, 0)
    w.add_video("nthwc", clip.transpose(0, 1, 3, 4, 2), 0, dataformats="NTHWC")
    with pytest.raises(ValueError, match=r"dataformats='NTHW' must be a permutation of 'NTCHW'"):
        w.add_video("bad", clip, 0, dataformats="NTHW")
    w.close()
    a, b = read(w.database, "r", "ntchw"), read(w.database, "r", "nthwc")
    assert a.values[0].shape == (2, 4, 5, 3)
    np.testing.assert_array_equal(a.values[0], b.values[0])


def test_add_image_with_boxes_tensorboardx_order(tmp_path):
    img = np.zeros((4, 6, 3), np.uint8)
    w = SummaryWriter(tmp_path / "r")
    w.add_image_with_boxes("det", img, np.array([[0, 0, 2, 2]]), 0, None, "HWC", ["cat"])
    w.close()
    assert read(w.database, "r", "det").values[0].shape == (4, 6, 3)
    assert array_to_json(np.asarray(read(w.database, "r", "det", "labels").values[0])) == ["cat"]


def test_attributes_of_tensorboardx(tmp_path):
    w = SummaryWriter(logdir=str(tmp_path / "r"))
    assert w.logdir == str(tmp_path / "r") == w.file_writer.get_logdir()
    assert w._get_file_writer() is w.file_writer
    w.add_scalars("loss", {"train": 1.0}, 0)
    assert set(w.all_writers) == {str(tmp_path / "r"), str(tmp_path / "r" / "loss_train")}
    for fw in w.all_writers.values():
        fw.flush()
    w.close()


def test_write_to_disk_false_writes_nothing(tmp_path):
    w = SummaryWriter(tmp_path / "r", write_to_disk=False)
    w.add_scalar("a", 1.0, 0)
    w.add_scalars("m", {"k": 2.0}, 0, walltime=5.0)
    w.add_histogram("h", [1.0, 2.0], 0)
    w._get_file_writer().add_summary(tensorboardX.summary.scalar("b", 1.0))
    with pytest.raises(TypeError, match=r"scalar_value must be a real number"):
        w.add_scalar("a", None)
    w.export_scalars_to_json(tmp_path / "s.json")
    w.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.json"]
    assert json.loads((tmp_path / "s.json").read_text()) == {str(tmp_path / "r" / "m" / "k"): [[5.0, 0, 2.0]]}


def test_comet_config_warns_unless_disabled(tmp_path):
    SummaryWriter(tmp_path / "a", comet_config={"disabled": True}).close()
    with pytest.warns(UserWarning, match=r"ploteries sends nothing to Comet"):
        SummaryWriter(tmp_path / "b", comet_config={"api_key": "x"}).close()


def _export_calls(w, path_a, path_b):
    w.add_scalar("plain", 1.0, 0, walltime=1.0)  # not in tensorboardX's export
    w.add_scalars("loss", {"train": 0.5, "val": 0.75}, 1, walltime=10.0)
    w.add_scalars("loss", {"train": 0.25}, walltime=11.0)  # no global_step: null
    w.add_scalars("acc/top", {"k1": np.float32(0.125)}, 2, walltime=12.0)
    w.export_scalars_to_json(path_a)
    w.add_scalars("loss", {"train": 0.125}, 3, walltime=13.0)  # the export forgot the earlier values
    w.export_scalars_to_json(path_b)
    w.close()


def test_export_scalars_to_json_is_tensorboardx_exactly(tmp_path):
    logdir = str(tmp_path / "exp")
    _export_calls(TBX(logdir), tmp_path / "tbx_a.json", tmp_path / "tbx_b.json")
    _export_calls(SummaryWriter(logdir), tmp_path / "ours_a.json", tmp_path / "ours_b.json")
    for name in ("a", "b"):
        theirs = (tmp_path / f"tbx_{name}.json").read_text()
        assert (tmp_path / f"ours_{name}.json").read_text() == theirs
    assert json.loads((tmp_path / "ours_a.json").read_text())[f"{logdir}/loss/train"] == [
        [10.0, 1, 0.5],
        [11.0, None, 0.25],
    ]
