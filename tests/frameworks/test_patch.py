"""ploteries.patch(): torch's and tensorboardX's writer classes (however bound) write ploteries databases."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import ploteries

torch_writer = pytest.importorskip("torch.utils.tensorboard.writer")
tensorboardX = pytest.importorskip("tensorboardX")
from torch.utils.tensorboard import SummaryWriter as BoundBefore  # noqa: E402  (bound before patch())

from .conftest import event_files  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def test_names_bound_before_and_writers_made_after(tmp_path, patched):
    ploteries.patch()  # twice is harmless
    assert ploteries.is_patched()
    w = BoundBefore(str(tmp_path / "exp1"))
    assert isinstance(w, torch_writer.SummaryWriter)
    w.add_scalar("loss", 0.5, 1)
    w.add_scalars("m", {"a": 1.0}, 1)
    w.close()
    x = tensorboardX.SummaryWriter(logdir=str(tmp_path / "exp2"))
    x.add_scalar("s", 1.0, 0, None, "S3", "desc")
    x.add_scalars("m", {"a": 1.0}, 1)  # tensorboardX's run names: <run>/<main_tag>/<key>
    x.close()
    assert event_files(tmp_path) == []
    with ploteries.open(tmp_path / "exp1" / "ploteries.h5") as db:
        assert db.runs() == ["exp1", "exp1/m_a"]
        assert db.read("exp1", "loss")["value"].tolist() == [0.5]
    with ploteries.open(tmp_path / "exp2" / "ploteries.h5") as db:
        assert db.runs() == ["exp2", "exp2/m/a"]
        assert db.info("exp2", "s").meta == {"display_name": "S3", "description": "desc"}


def test_file_writers_and_event_file_writers(tmp_path, patched):
    from tensorboard.compat.proto import event_pb2
    from tensorboard.summary.writer.event_file_writer import EventFileWriter
    from tensorboardX.event_file_writer import EventFileWriter as TbxEventFileWriter
    from torch.utils.tensorboard.summary import scalar

    for i, cls in enumerate([torch_writer.FileWriter, tensorboardX.writer.FileWriter]):
        fw = cls(str(tmp_path / f"fw{i}"))
        fw.add_summary(scalar("x", float(i)), 3)
        fw.close()
    for i, cls in enumerate([EventFileWriter, TbxEventFileWriter]):
        efw = cls(str(tmp_path / f"efw{i}"))
        efw.add_event(event_pb2.Event(step=4, wall_time=9.0, summary=scalar("y", 2.0)))
        efw.close()
    assert event_files(tmp_path) == []
    for name, tag, expected in [("fw0", "x", (3, 0.0)), ("fw1", "x", (3, 1.0)), ("efw0", "y", (4, 2.0))]:
        with ploteries.open(tmp_path / name / "ploteries.h5") as db:
            rec = db.read(name, tag)
            assert (int(rec["step"][0]), float(rec["value"][0])) == expected


def test_unpatch_restores_and_keeps_patched_writers_working(tmp_path):
    before = dict(vars(torch_writer.SummaryWriter))
    ploteries.patch()
    w = torch_writer.SummaryWriter(str(tmp_path / "kept"))
    ploteries.unpatch()
    ploteries.unpatch()  # twice is harmless
    assert not ploteries.is_patched()
    assert dict(vars(torch_writer.SummaryWriter)) == before
    w.add_scalar("after", 2.0, 5)  # made while patched: still ploteries
    assert isinstance(w, torch_writer.SummaryWriter)
    w.close()
    t = torch_writer.SummaryWriter(str(tmp_path / "tb"))
    t.add_scalar("a", 1.0, 0)
    t.close()
    assert len(event_files(tmp_path / "tb")) == 1 and event_files(tmp_path / "kept") == []
    with ploteries.open(tmp_path / "kept" / "ploteries.h5") as db:
        assert db.read("kept", "after")["step"].tolist() == [5]


def test_subclass_override_uses_the_file_writer_route(tmp_path, patched):
    from torch.utils.tensorboard.summary import hparams

    class FlatHparams(BoundBefore):  # a common recipe: hparams in the run itself
        def add_hparams(self, hparam_dict, metric_dict, **kwargs):
            for summary in hparams(hparam_dict, metric_dict):
                self._get_file_writer().add_summary(summary)

    w = FlatHparams(str(tmp_path / "r"))
    w.add_hparams({"lr": 0.1}, {"acc": 0.0})
    w.add_image("img", np.zeros((3, 2, 2)), 0)
    w.close()
    with ploteries.open(tmp_path / "r" / "ploteries.h5") as db:
        assert db.runs() == ["r"] and set(db.tags("r")) == {"_hparams_", "img"}


def _run(args, cwd):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    return subprocess.run(
        [sys.executable, "-m", "ploteries.patch", *args], cwd=cwd, env=env, capture_output=True, text=True
    )


def test_python_m_ploteries_patch_runs_a_script_unchanged(tmp_path):
    (tmp_path / "helper.py").write_text("NAME = 'helper'\n")
    (tmp_path / "train.py").write_text(
        "import sys\n"
        "import helper\n"
        "from torch.utils.tensorboard import SummaryWriter\n"
        "assert __name__ == '__main__'\n"
        "print('argv', sys.argv)\n"
        "w = SummaryWriter(sys.argv[1])\n"
        "for step in range(3):\n"
        "    w.add_scalar('loss', 1.0 / (step + 1), step)\n"
        "w.close()\n"
    )
    done = _run(["train.py", "runs/exp1", "--flag"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "argv ['train.py', 'runs/exp1', '--flag']" in done.stdout
    assert event_files(tmp_path) == []
    with ploteries.open(tmp_path / "runs" / "exp1" / "ploteries.h5") as db:
        assert db.read("exp1", "loss")["value"].tolist() == [1.0, 0.5, 1.0 / 3]


def test_python_m_ploteries_patch_errors(tmp_path):
    done = _run([], cwd=tmp_path)
    assert done.returncode == 2 and "usage: python -m ploteries.patch SCRIPT.py" in done.stderr
    done = _run(["missing.py"], cwd=tmp_path)
    assert done.returncode == 1 and "no such script 'missing.py'" in done.stderr
    (tmp_path / "boom.py").write_text("raise SystemExit(3)\n")
    assert _run(["boom.py"], cwd=tmp_path).returncode == 3
