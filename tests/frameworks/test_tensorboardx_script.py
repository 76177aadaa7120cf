"""A tensorboardX script calling every SummaryWriter method, run with ploteries.patch()."""

from __future__ import annotations

import json
import os

import numpy as np
import tensorboardX
import torch

import ploteries

from .conftest import event_files, hparams_record


def tensorboardx_script(logdir: str, json_path: str) -> None:
    """What a tensorboardX user writes (its README's demo, every method)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from tensorboardX import SummaryWriter

    rng = np.random.default_rng(0)
    with SummaryWriter(logdir) as w:
        for step in range(3):
            w.add_scalar("loss", 1.0 / (step + 1), step)
            w.add_scalars("run_14h", {"xsinx": step * np.sin(step), "xcosx": step * np.cos(step)}, step)
        w.add_scalar("acc", 0.5, 3, None, "Accuracy", "top-1")
        w.add_histogram("weights", rng.normal(size=1000), 0)
        w.add_histogram_raw("raw", 0.0, 2.0, 3, 3.0, 5.0, [1.0, 2.0], [1.0, 2.0], 0)
        w.add_image("image", rng.random((3, 8, 8)), 0)
        w.add_images("images", rng.random((4, 3, 8, 8)), 0)
        w.add_image_with_boxes("boxes", rng.random((3, 8, 8)), np.array([[1, 1, 4, 4]]), 0, labels=["cat"])
        fig = plt.figure()
        plt.plot([1, 2, 3])
        w.add_figure("figure", fig, 0)
        w.add_video("video", rng.random((1, 4, 8, 8, 3)), 0, fps=2, dataformats="NTHWC")
        w.add_audio("audio", np.sin(np.arange(800) / 10.0), 0, sample_rate=8000)
        w.add_text("text", "**hello**", 0)
        w.add_graph(torch.nn.Linear(3, 2), torch.zeros(1, 3))
        w.add_embedding(rng.random((10, 4)), metadata=[str(i) for i in range(10)], global_step=0)
        w.add_pr_curve("pr", rng.integers(0, 2, 50), rng.random(50), 0)
        w.add_pr_curve_raw(
            "pr_raw", [5, 3], [2, 1], [1, 3], [0, 1], [0.7, 0.75], [1.0, 0.75], 0, num_thresholds=2
        )
        w.add_custom_scalars_multilinechart(["loss", "acc"])
        w.add_custom_scalars_marginchart(["loss", "acc", "acc"], category="margin")
        w.add_custom_scalars({"cat": {"both": ["Multiline", ["loss", "acc"]]}})
        w.add_mesh("mesh", rng.random((1, 5, 3)), global_step=0)
        w.add_hparams({"lr": 0.1, "bsize": 4}, {"hparam/accuracy": 0.9}, name="trial")
        with w.use_metadata(global_step=7):
            w.add_scalar("meta", 1.0)
        w.file_writer.add_summary(tensorboardX.summary.scalar("raw_summary", 2.0), 8)
        assert w.logdir == logdir and set(w.all_writers) >= {logdir}
        w.export_scalars_to_json(json_path)
        w.flush()
    off = SummaryWriter(logdir + "_off", write_to_disk=False)
    off.add_scalar("nothing", 1.0, 0)
    off.close()


def test_every_tensorboardx_method(tmp_path, patched):
    logdir = str(tmp_path / "exp")
    tensorboardx_script(logdir, str(tmp_path / "scalars.json"))

    assert event_files(tmp_path) == []
    assert sorted(os.listdir(tmp_path)) == ["exp", "scalars.json"]  # write_to_disk=False made nothing
    assert os.listdir(logdir) == ["ploteries.h5"]  # no projector files for the embedding either
    exported = json.loads((tmp_path / "scalars.json").read_text())
    assert sorted(exported) == [os.path.join(logdir, "run_14h", k) for k in ("xcosx", "xsinx")]
    with ploteries.open(os.path.join(logdir, "ploteries.h5")) as db:
        assert sorted(db.runs()) == ["exp", "exp/run_14h/xcosx", "exp/run_14h/xsinx", "exp/trial"]
        kinds = {i.tag: i.kind for i in db.series() if i.run == "exp"}
        assert kinds == {
            "loss": "scalar",
            "acc": "scalar",
            "weights": "histogram",
            "raw": "histogram",
            "image": "image",
            "images": "image",
            "boxes": "image",
            "figure": "image",
            "video": "video",
            "audio": "audio",
            "text": "text",
            "_graph_": "graph",
            "default": "embedding",
            "pr": "pr_curve",
            "pr_raw": "pr_curve",
            "_custom_scalars_": "custom_scalars",
            "mesh": "mesh",
            "meta": "scalar",
            "raw_summary": "scalar",
        }
        assert db.read("exp", "loss")["value"].tolist() == [1.0, 0.5, 1.0 / 3]
        assert db.info("exp", "acc").meta == {"display_name": "Accuracy", "description": "top-1"}
        assert db.read("exp", "video").values[0].shape == (4, 8, 8, 3)
        assert db.read("exp", "meta")["step"].tolist() == [7]
        assert db.read("exp", "raw_summary")["step"].tolist() == [8]
        assert db.read("exp/run_14h/xsinx", "run_14h")["step"].tolist() == [0, 1, 2]
        record = hparams_record(db, "exp/trial")
        assert record["hparams"] == {"lr": 0.1, "bsize": 4} and record["metrics"] == {"hparam/accuracy": 0.9}
