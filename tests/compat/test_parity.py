"""Differential tests: the same calls through torch's SummaryWriter and ours, read back and compared.

TensorBoard's side is read with EventMultiplexer/EventAccumulator (size guidance 0), ours with
ploteries.open, both through the plugin's ``ploteries_dual_writer`` fixture (ploteries/testing).
"""

from __future__ import annotations

import numpy as np
import pytest

import ploteries
from ploteries.testing import ParityError, read_ploteries, read_tensorboard

torch = pytest.importorskip("torch")
pytest.importorskip("tensorboard")

RNG = np.random.default_rng(1)


def scalars(w):
    for i in range(5):
        w.add_scalar("loss/train", 1.0 / (i + 1), i)
    w.add_scalar("int", 3, 0)
    w.add_scalar("special", float("nan"), 1)
    w.add_scalar("special", float("inf"), 2)
    w.add_scalar("np", np.float32(0.1), np.int64(3))
    w.add_scalar("tensor", torch.tensor(0.3), torch.tensor(4))
    w.add_scalar("tensor", torch.tensor([[0.7]], requires_grad=True), 5)
    w.add_scalar("default_step", 2.5)
    w.add_scalar("walltime", 1.0, 1, walltime=1234.5)
    w.add_scalar("new_style", 0.2, 1, new_style=True)
    w.add_scalar("double", 0.1 + 1e-12, 1, new_style=True, double_precision=True)


def multi_scalars(w):
    for i in range(3):
        w.add_scalars("loss/all", {"train": 1.0 + i, "val": 2.0 - i}, i)
    w.add_scalars("acc", {"top1": torch.tensor(0.5)}, 7)


def tensors(w):
    w.add_tensor("f32", torch.arange(6, dtype=torch.float32).reshape(2, 3), 1)
    w.add_tensor("i64", torch.tensor([1, -2, 3]), 2)
    w.add_tensor("f64", torch.tensor([0.1, 0.2], dtype=torch.float64), 3)


def histograms(w):
    values = RNG.normal(size=1000)
    w.add_histogram("tf_bins", values, 0)
    w.add_histogram("tf_bins", values * 3 + 1, 1)
    w.add_histogram("auto", values, 0, bins="auto")
    w.add_histogram("ten", values, 0, bins=10)
    w.add_histogram("max_bins", values, 0, max_bins=20)
    w.add_histogram("ints", np.arange(100), 0)
    w.add_histogram("torch", torch.randn(500, generator=torch.Generator().manual_seed(0)), 2)
    w.add_histogram("constant", np.zeros(10), 0)
    w.add_histogram_raw("raw", 0.0, 2.0, 3, 3.0, 5.0, [1.0, 2.0], [1, 2], 4)


def images(w):
    w.add_image("chw", RNG.random((3, 12, 10), dtype=np.float32), 0)
    w.add_image("hwc", RNG.integers(0, 256, (9, 7, 3), dtype=np.uint8), 1, dataformats="HWC")
    w.add_image("hw", RNG.random((5, 6)), 2, dataformats="HW")
    w.add_image("gray", torch.rand(1, 8, 8), 3)
    w.add_image("rgba", RNG.random((4, 6, 6), dtype=np.float32), 4)
    w.add_images("batch", RNG.random((10, 3, 4, 5), dtype=np.float32), 5)
    w.add_images("nhwc", torch.rand(3, 6, 6, 1), 6, dataformats="NHWC")


def boxes(w):
    img = RNG.random((3, 64, 80), dtype=np.float32)
    w.add_image_with_boxes(
        "det", img, np.array([[5, 20, 30, 50], [40, 30, 70, 60]]), 0, labels=["cat", "dog"]
    )
    w.add_image_with_boxes("scaled", img, torch.tensor([[10.0, 20.0, 30.0, 40.0]]), 1, rescale=2)
    w.add_image_with_boxes("nolabels", img, np.zeros((0, 4)), 2)


def figures(w):
    pytest.importorskip("matplotlib")
    import matplotlib.figure

    def fig(color):
        f = matplotlib.figure.Figure(figsize=(2, 1.5), dpi=30)
        f.add_subplot().plot([0, 1, 2], [2, 0, 1], color=color)
        return f

    w.add_figure("one", fig("red"), 0)
    w.add_figure("many", [fig("green"), fig("blue")], 1, close=False)


def audio(w):
    t = np.arange(4000) / 8000
    w.add_audio("tone", np.sin(2 * np.pi * 440 * t), 0, sample_rate=8000)
    w.add_audio("loud", torch.tensor([[0.5, 2.0, -3.0, 0.25]]), 1, sample_rate=16000)


def text(w):
    w.add_text("notes", "**bold** and _italic_", 0)
    w.add_text("notes", "héllo ünïcode ✓", 1)
    w.add_text("empty", "", 2)


def pr_curves(w):
    labels = RNG.integers(0, 2, 200)
    predictions = RNG.random(200)
    w.add_pr_curve("pr", labels, predictions, 0)
    w.add_pr_curve(
        "pr", torch.tensor(labels), torch.tensor(predictions, dtype=torch.float32), 1, num_thresholds=11
    )
    w.add_pr_curve("weighted", labels, predictions, 0, weights=RNG.random(200))
    curve = np.stack([np.arange(5.0)] * 6)
    w.add_pr_curve_raw("raw", *curve, global_step=3, num_thresholds=5)


def hparams(w):
    w.add_hparams(
        {"lr": 0.1, "bs": 32, "opt": "adam", "bn": True, "skip": None}, {"hp/acc": 0.9}, run_name="t1"
    )
    w.add_hparams(
        {"lr": 0.01, "opt": "sgd"},
        {"hp/acc": 0.8, "hp/loss": torch.tensor(0.3)},
        hparam_domain_discrete={"opt": ["adam", "sgd"]},
        run_name="t2",
        global_step=5,
    )
    w.add_hparams({"lr": 0.5}, {"hp/acc": 0.1})  # default run name: a time stamp, the same on both sides


def custom_scalars(w):
    w.add_custom_scalars(
        {
            "loss": {"both": ["Multiline", ["loss/train", "loss/val"]]},
            "acc": {"m": ["Margin", ["a", "lo", "hi"]]},
        }
    )


def custom_scalars_charts(w):
    w.add_custom_scalars_multilinechart(["a", "b"], category="c", title="t")


def custom_scalars_margin(w):
    w.add_custom_scalars_marginchart(["a", "lo", "hi"])


def mesh(w):
    vertices = torch.tensor([[[1.0, 1, 1], [-1, -1, 1], [1, -1, -1], [-1, 1, -1]]])
    colors = torch.tensor([[[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 0, 255]]], dtype=torch.int)
    faces = torch.tensor([[[0, 2, 3], [0, 3, 1], [0, 1, 2], [1, 3, 2]]], dtype=torch.int)
    w.add_mesh("tetra", vertices, colors=colors, faces=faces, global_step=2)
    w.add_mesh("cloud", torch.rand(1, 20, 3), config_dict={"camera": {"cls": "PerspectiveCamera", "fov": 75}})


def graph(w):
    model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2))
    w.add_graph(model, torch.zeros(1, 4))


def media_others(w):
    w.add_video("clip", RNG.random((2, 3, 3, 8, 8), dtype=np.float32), 0, fps=2)
    w.add_embedding(RNG.normal(size=(5, 3)), metadata=list("abcde"), global_step=1)
    w.add_scalar("after", 1.0, 0)


CASES = [
    scalars,
    multi_scalars,
    tensors,
    histograms,
    images,
    boxes,
    figures,
    audio,
    text,
    pr_curves,
    hparams,
    custom_scalars,
    custom_scalars_charts,
    custom_scalars_margin,
    mesh,
    graph,
    media_others,
]


@pytest.mark.parametrize("log", CASES, ids=[c.__name__ for c in CASES])
def test_same_data_as_tensorboard(ploteries_dual_writer, log):
    log(ploteries_dual_writer)
    ploteries_dual_writer.assert_parity()


@pytest.mark.parametrize("log", [images, boxes, media_others], ids=["images", "boxes", "video"])
def test_same_pixels_with_media_dir(ploteries_dual, log):
    w = ploteries_dual.writer("run", ploteries_kwargs={"media_dir": "media"})
    log(w)
    ploteries_dual.assert_parity()
    files = sorted(p.name for p in (ploteries_dual.ploteries_dir / "run" / "media").rglob("*.*"))
    assert files and all(f.endswith((".png", ".gif")) for f in files)


def test_run_names_match_event_multiplexer(ploteries_dual):
    for name in ("exp1", "lr=0.1"):
        w = ploteries_dual.writer(name)
        w.add_scalar("loss", 1.0, 0)
        w.add_scalars("m", {"a": 1.0}, 0)
    ploteries_dual.assert_parity()
    assert sorted({k[0] for k in read_tensorboard(ploteries_dual.tensorboard_dir)}) == [
        "exp1",
        "exp1/m_a",
        "lr=0.1",
        "lr=0.1/m_a",
    ]


def test_purge_step_resume_matches_tensorboard(ploteries_dual):
    first = ploteries_dual.writer("exp")
    for i in range(10):
        first.add_scalar("loss", float(i), i)
        first.add_histogram("h", np.array([float(i)]), i)
    first.close()
    resumed = ploteries_dual.writer("exp", purge_step=6)
    for i in range(6, 9):
        resumed.add_scalar("loss", 100.0 + i, i)
    ploteries_dual.assert_parity()
    ours = read_ploteries(ploteries_dual.ploteries_dir)[("exp", "loss", "")]
    assert ours.steps == list(range(9)) and float(ours.values[-1]) == 108.0


def test_the_comparison_catches_differences(ploteries_dual):
    w = ploteries_dual.writer("run")
    w.add_scalar("loss", 1.0, 0)
    w.ploteries.add_scalar("loss", 2.0, 1)  # only ploteries gets this one
    with pytest.raises(ParityError, match=r"tag 'loss': steps \[0\] \(TensorBoard\) != \[0, 1\]"):
        ploteries_dual.assert_parity()


def test_the_comparison_catches_value_differences(ploteries_dual):
    w = ploteries_dual.writer("run")
    edges = np.array([0.0, 5.0, 10.0])
    w.torch.add_histogram("h", np.arange(10.0), 0, bins=edges, walltime=1.0)
    w.ploteries.add_histogram("h", np.r_[0.0:4, 6:10, 6], 0, bins=edges, walltime=1.0)
    with pytest.raises(ParityError, match=r"tag 'h', record 0: values differ \(histogram\)"):
        ploteries_dual.assert_parity()


# ------------------------------------------------------------------------------------------ bad input

BAD = [
    ("add_scalar", ("a", np.zeros(3)), AssertionError, ValueError, r"scalar_value must be a single number"),
    ("add_scalar", ("a", "x"), ValueError, TypeError, r"scalar_value must be a real number"),
    ("add_scalar", ("a", None), NotImplementedError, TypeError, r"scalar_value must be a real number"),
    ("add_histogram", ("h", np.array([])), ValueError, ValueError, r"values must hold at least one number"),
    (
        "add_histogram_raw",
        ("h", 0, 1, 2, 1, 1, [1.0, 2.0], [1]),
        ValueError,
        ValueError,
        r"len\(bucket_limits\)",
    ),
    (
        "add_image",
        ("i", np.zeros((3, 4, 4)), 0, None, "HW"),
        AssertionError,
        ValueError,
        r"dataformats='HW' has 2",
    ),
    (
        "add_images",
        ("i", np.zeros((3, 4, 4))),
        AssertionError,
        ValueError,
        r"dataformats='NCHW' has 4 letters",
    ),
    ("add_text", ("t", 5), AttributeError, TypeError, r"text_string must be a str"),
    ("add_audio", ("s", np.zeros((2, 3))), Exception, ValueError, r"snd_tensor must be one mono clip"),
    ("add_hparams", ({"a": [1]}, {"m": 1.0}), ValueError, ValueError, r"hparam_dict\['a'\] must be an int"),
    ("add_hparams", ([1], {}), TypeError, TypeError, r"hparam_dict must be a dict"),
    ("add_custom_scalars_marginchart", (["a", "b"],), AssertionError, ValueError, r"needs exactly 3 tags"),
    ("add_mesh", ("m", np.zeros((4, 3))), Exception, ValueError, r"vertices must have shape \(B, N, 3\)"),
    (
        "add_pr_curve",
        ("p", np.ones(3), np.ones(4)),
        ValueError,
        ValueError,
        r"labels and predictions must have the same shape",
    ),
    ("add_embedding", (np.zeros(4),), AssertionError, ValueError, r"mat should be 2D"),
]


@pytest.mark.parametrize(
    "method, args, tb_error, our_error, match", BAD, ids=[f"{b[0]}-{i}" for i, b in enumerate(BAD)]
)
def test_bad_input_errors(ploteries_dual_writer, method, args, tb_error, our_error, match):
    w = ploteries_dual_writer
    w.add_scalar("kept", 1.0, 0)
    with pytest.raises(our_error, match=match):
        getattr(w, method)(*args)
    ((name, tb, ours),) = w.errors
    assert name == method and isinstance(tb, tb_error) and type(ours) is our_error
    w.add_scalar("kept", 2.0, 1)
    w.assert_parity()  # nothing written by the failed call, nothing lost before it
    with ploteries.open(w.ploteries.database) as db:
        assert db.read("run", "kept")["value"].tolist() == [1.0, 2.0]


# ------------------------------------------------------------------------------ ploteries import


@pytest.mark.parametrize("log", CASES, ids=[c.__name__ for c in CASES])
def test_import_matches_event_accumulator(tmp_path, log):
    from torch.utils.tensorboard import SummaryWriter as TorchSummaryWriter

    from ploteries.compat.tb_import import import_logdir
    from ploteries.testing import assert_traces_equal

    with TorchSummaryWriter(tmp_path / "tb" / "run") as w:
        log(w)
    report = import_logdir(tmp_path / "tb", tmp_path / "imported.h5")
    assert report.runs and not report.problems
    assert_traces_equal(read_tensorboard(tmp_path / "tb"), read_ploteries(tmp_path / "imported.h5"))
