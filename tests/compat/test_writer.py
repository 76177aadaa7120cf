"""SummaryWriter: signatures, where data goes, lifecycle, resume, defaults and bad input."""

from __future__ import annotations

import inspect
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

import ploteries
from ploteries.compat import SummaryWriter
from ploteries.compat.runs import default_log_dir, resolve_location, run_name_of

torch_writer = pytest.importorskip("torch.utils.tensorboard.writer")
TorchWriter = torch_writer.SummaryWriter
PUBLIC = sorted(
    name
    for name, member in inspect.getmembers(TorchWriter, inspect.isfunction)
    if not name.startswith("_") or name in ("__init__", "__enter__", "__exit__")
)


def _params(func):
    return [(p.name, p.kind, p.default) for p in inspect.signature(func).parameters.values()]


def test_every_torch_method_is_covered():
    assert len(PUBLIC) >= 27
    assert set(PUBLIC) <= set(dir(SummaryWriter))


# extra positional parameters, each in tensorboardX's slot
TENSORBOARDX_POSITIONAL = {"__init__": ["write_to_disk"], "add_video": ["dataformats"]}


@pytest.mark.parametrize("name", PUBLIC)
def test_signature_matches_torch(name):
    ours = _params(getattr(SummaryWriter, name))
    theirs = _params(getattr(TorchWriter, name))
    assert ours[: len(theirs)] == theirs
    extras = ours[len(theirs) :]
    positional = [n for n, kind, _ in extras if kind is not inspect.Parameter.KEYWORD_ONLY]
    assert positional == TENSORBOARDX_POSITIONAL.get(name, []), extras


def test_tensorboardx_extras():
    assert _params(SummaryWriter.use_metadata)[1:] == [
        ("global_step", inspect.Parameter.KEYWORD_ONLY, None),
        ("walltime", inspect.Parameter.KEYWORD_ONLY, None),
    ]
    assert [p[0] for p in _params(SummaryWriter.export_scalars_to_json)] == ["self", "path"]


def read(path: Path, run: str, tag: str, part: str = ""):
    with ploteries.open(path) as db:
        return db.read(run, tag, part)


# ------------------------------------------------------------------------------------------ locations


@pytest.mark.parametrize(
    "kwargs, log_dir, database, run",
    [
        ({"log_dir": "runs/exp1"}, "runs/exp1", "runs/exp1/ploteries.h5", "exp1"),
        ({"log_dir": "runs/exp1/", "comment": "_ignored"}, "runs/exp1/", "runs/exp1/ploteries.h5", "exp1"),
        ({"log_dir": Path("a/b")}, Path("a/b"), "a/b/ploteries.h5", "b"),
        ({"log_dir": "runs/exp1", "run": "seed0"}, "runs/exp1", "runs/exp1/ploteries.h5", "seed0"),
        ({"database": "runs/sweep.h5", "run": "lr=0.1"}, "runs", "runs/sweep.h5", "lr=0.1"),
        ({"log_dir": "out/x", "database": "db.h5"}, "out/x", "db.h5", "x"),
    ],
)
def test_resolve_location(kwargs, log_dir, database, run):
    loc = resolve_location(**kwargs)
    assert (loc.log_dir, str(loc.database), loc.run) == (log_dir, database, run)


def test_default_log_dir_like_torch():
    now = datetime(2024, 11, 23, 18, 34, 47)
    assert default_log_dir("_c", now, "host") == os.path.join("runs", "Nov23_18-34-47_host_c")
    loc = resolve_location(comment="LR_0.1")
    assert re.fullmatch(
        rf"runs/[A-Z][a-z]{{2}}\d\d_\d\d-\d\d-\d\d_{re.escape(socket.gethostname())}LR_0\.1", str(loc.log_dir)
    )
    assert loc.run == os.path.basename(loc.log_dir)
    loc = resolve_location(database="sweep.h5", comment="_x")
    assert loc.run.endswith(socket.gethostname() + "_x") and loc.log_dir == "."


def test_default_log_dir_written_under_cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    w = SummaryWriter(comment="_c")
    w.add_scalar("a", 1.0)
    w.close()
    (found,) = ploteries.find_databases(tmp_path / "runs")
    assert found.parent.name.endswith("_c") and found.name == "ploteries.h5"
    assert read(found, found.parent.name, "a")["value"].tolist() == [1.0]


def test_run_name_of():
    assert run_name_of("runs/exp1") == "exp1"
    assert run_name_of(".") == os.path.basename(os.getcwd())


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"log_dir": 3}, TypeError, r"log_dir must be a str or path, got int"),
        ({"run": 5}, TypeError, r"run must be a str such as 'lr=0.1', got int"),
        ({"comment": 1}, TypeError, r"comment must be a str"),
    ],
)
def test_resolve_location_errors(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        resolve_location(**kwargs)


def test_database_that_is_a_directory(tmp_path):
    with pytest.raises(ValueError, match=r"is a directory; pass a file such as"):
        SummaryWriter(database=tmp_path)


# ------------------------------------------------------------------------------------------ lifecycle


def test_log_dir_database_and_logdir(tmp_path):
    w = SummaryWriter(tmp_path / "exp1")
    assert w.get_logdir() == tmp_path / "exp1"
    assert (tmp_path / "exp1" / "ploteries.h5").exists()
    w.close()
    w = SummaryWriter(logdir=str(tmp_path / "tbx"))
    assert w.get_logdir() == str(tmp_path / "tbx") and w.run == "tbx"
    w.close()


def test_reuse_after_close_and_context_manager(tmp_path):
    with SummaryWriter(tmp_path / "exp1") as w:
        w.add_scalar("loss", 1.0, 0)
    assert not (tmp_path / "exp1" / "ploteries.h5-journal").exists()  # close() leaves a single file
    w.add_scalar("loss", 2.0, 1)  # silently reopens, as torch
    w.flush()
    assert read(w.database, "exp1", "loss")["value"].tolist() == [1.0, 2.0]
    w.close()
    w.close()  # idempotent
    w.flush()  # no-op when closed


def test_step_and_walltime_defaults(tmp_path):
    w = SummaryWriter(tmp_path / "r")
    before = time.time()
    w.add_scalar("a", 1)
    w.add_scalar("a", 2, walltime=123.5)
    w.add_scalar("a", np.float32(3), np.int64(7), walltime=np.float64(5))
    w.close()
    data = read(w.database, "r", "a")
    assert data["step"].tolist() == [0, 0, 7]
    assert before <= data["wall_time"][0] <= time.time()
    assert data["wall_time"][1:].tolist() == [123.5, 5.0]
    assert data["value"].dtype == np.float64


def test_float64_kept(tmp_path):
    w = SummaryWriter(tmp_path / "r")
    w.add_scalar("a", 0.1 + 1e-12, 0)
    w.add_scalar("a", float("nan"), 1)
    w.add_scalar("a", True, 2)
    w.close()
    values = read(w.database, "r", "a")["value"]
    assert values[0] == 0.1 + 1e-12 and np.isnan(values[1]) and values[2] == 1.0


def test_torch_steps_and_values(tmp_path):
    torch = pytest.importorskip("torch")
    w = SummaryWriter(tmp_path / "r")
    w.add_scalar("a", torch.tensor(1.5), torch.tensor(3))
    w.add_scalar("a", torch.tensor([[2.5]], requires_grad=True), 4)
    w.add_scalar("a", torch.tensor(1, dtype=torch.int64), 5)
    w.close()
    data = read(w.database, "r", "a")
    assert data["step"].tolist() == [3, 4, 5] and data["value"].tolist() == [1.5, 2.5, 1.0]


def test_a_tensor_value_does_not_hand_the_gil_to_a_busy_thread(tmp_path):
    """``item()`` releases the GIL: beside any busy Python thread each call then waited a whole switch interval."""
    torch = pytest.importorskip("torch")
    w = SummaryWriter(tmp_path / "r")
    w.add_scalar("a", torch.tensor(0.5), 0)  # opens the database before the busy thread starts
    values = [torch.tensor(0.5 + step) for step in range(1, 41)]
    stop = threading.Event()

    def busy():
        while not stop.is_set():
            pass

    interval = sys.getswitchinterval()
    sys.setswitchinterval(0.05)  # a call that releases the GIL waits >= 50 ms: 40 calls >= 2 s
    thread = threading.Thread(target=busy, daemon=True)
    thread.start()
    try:
        t0 = time.perf_counter()
        for step, value in enumerate(values, 1):
            w.add_scalar("a", value, step)
        elapsed = time.perf_counter() - t0
    finally:
        stop.set()
        sys.setswitchinterval(interval)
        thread.join()
    w.close()
    assert elapsed < 1.0, f"40 add_scalar(tensor) calls took {elapsed:.2f} s beside a busy thread"
    assert read(w.database, "r", "a")["value"].tolist() == [0.5 + s for s in range(41)]


def test_fractional_step_truncated_like_tensorboard(tmp_path):
    w = SummaryWriter(tmp_path / "r")
    with pytest.warns(UserWarning, match=r"global_step=2.7 is not an integer; stored as 2"):
        w.add_scalar("a", 1.0, 2.7)
    w.close()
    assert read(w.database, "r", "a")["step"].tolist() == [2]


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (lambda w: w.add_scalar("a", [1.0, 2.0]), ValueError, r"scalar_value must be a single number"),
        (lambda w: w.add_scalar("a", "x"), TypeError, r"scalar_value must be a real number"),
        (lambda w: w.add_scalar(3, 1.0), TypeError, r"tag must be a str such as 'loss/train', got int"),
        (lambda w: w.add_scalar("a", 1.0, "ten"), TypeError, r"global_step must be an integer, got str"),
        (lambda w: w.add_scalar("a", 1.0, float("nan")), ValueError, r"global_step must be a finite integer"),
        (
            lambda w: w.add_scalar("a", 1.0, 2**70),
            OverflowError,
            r"global_step 1180591620717411303424 does not",
        ),
        (
            lambda w: w.add_histogram("h", [1.0], 2**70),
            OverflowError,
            r"global_step 11805916207174113.* 64-bit",
        ),
        (lambda w: w.add_scalar("a", 1.0, 1, "now"), TypeError, r"walltime must be seconds since the epoch"),
        (lambda w: w.add_scalars("m", [1.0]), TypeError, r"tag_scalar_dict must be a dict"),
        (
            lambda w: w.add_scalars("m", {"a": 1.0, "b": "x"}),
            TypeError,
            r"tag_scalar_dict\['b'\] must be a real",
        ),
        (lambda w: w.add_histogram("h", []), ValueError, r"values must hold at least one number"),
        (
            lambda w: w.add_image("i", np.zeros((2, 4, 4))),
            ValueError,
            r"img_tensor must have 1, 3 or 4 channels",
        ),
        (lambda w: w.add_text("t", 3), TypeError, r"text_string must be a str"),
        (lambda w: w.add_video("v", np.zeros((4, 3, 2, 2))), ValueError, r"vid_tensor must be 5-D"),
        (lambda w: w.add_video("v", np.zeros((1, 1, 3, 2, 2)), fps=0), ValueError, r"fps must be a positive"),
        (lambda w: w.add_audio("s", np.zeros((2, 3))), ValueError, r"snd_tensor must be one mono clip"),
        (lambda w: w.add_hparams({"a": [1]}, {}), ValueError, r"hparam_dict\['a'\] must be an int, float"),
        (lambda w: w.add_hparams({}, {}, run_name=3), TypeError, r"run_name must be a str or None"),
        (lambda w: w.add_custom_scalars_marginchart(["a"]), ValueError, r"needs exactly 3 tags"),
        (lambda w: w.add_tensor("x", np.array([None])), TypeError, r"tensor must hold numbers"),
        (lambda w: w.add_graph(object()), ValueError, r"input_to_model is None"),
    ],
)
def test_bad_input_raises_at_the_call_and_keeps_data(tmp_path, call, exc, match):
    w = SummaryWriter(tmp_path / "r")
    w.add_scalar("kept", 1.0, 0)
    with pytest.raises(exc, match=match):
        call(w)
    w.add_scalar("kept", 2.0, 1)
    w.close()
    assert read(w.database, "r", "kept")["value"].tolist() == [1.0, 2.0]
    with ploteries.open(w.database) as db:
        assert db.tags("r") == ["kept"]


def test_constructor_errors(tmp_path):
    with pytest.raises(ValueError, match=r"flush_secs must be positive"):
        SummaryWriter(tmp_path / "a", flush_secs=0)
    with pytest.raises(TypeError, match=r"purge_step must be an integer"):
        SummaryWriter(tmp_path / "a", purge_step="x")


# ------------------------------------------------------------------------------------- runs and resume


def test_add_scalars_and_hparams_sub_runs(tmp_path):
    w = SummaryWriter(tmp_path / "exp1")
    w.add_scalars("loss/all", {"train": 1.0, "val": 2.0}, 3, walltime=10.0)
    w.add_hparams({"lr": 0.1, "bn": True, "opt": "adam"}, {"hp/acc": 0.9}, run_name="trial")
    w.close()
    with ploteries.open(w.database) as db:
        assert db.runs() == ["exp1/loss_all_train", "exp1/loss_all_val", "exp1/trial"]
        train = db.read("exp1/loss_all_train", "loss/all")
        assert train["step"].tolist() == [3] and train["wall_time"].tolist() == [10.0]
        assert db.tags("exp1/trial") == ["_hparams_", "hp/acc"]
        record = ploteries.storage.array_to_json(db.read("exp1/trial", "_hparams_")[0].value)
        assert record == {
            "hparams": {"lr": 0.1, "bn": 1.0, "opt": "adam"},
            "metrics": {"hp/acc": 0.9},
            "domains": {},
        }


def test_hparams_default_run_name_is_a_timestamp(tmp_path):
    w = SummaryWriter(tmp_path / "exp1")
    before = time.time()
    w.add_hparams({"lr": 0.1}, {"acc": 1.0})
    w.close()
    with ploteries.open(w.database) as db:
        (sub,) = db.runs()
    assert sub.startswith("exp1/") and before <= float(sub[5:]) <= time.time()


def test_many_runs_in_one_database(tmp_path):
    db_path = tmp_path / "sweep.h5"
    for lr in ("0.1", "0.01"):
        with SummaryWriter(database=db_path, run=f"lr={lr}") as w:
            assert w.get_logdir() == str(tmp_path)
            w.add_scalar("loss", float(lr), 0)
    with ploteries.open(db_path) as db:
        assert db.runs() == ["lr=0.01", "lr=0.1"]
        assert db.read("lr=0.1", "loss")["value"].tolist() == [0.1]


def test_two_processes_write_two_runs(tmp_path):
    code = (
        "import sys\nfrom ploteries.compat import SummaryWriter\n"
        "w = SummaryWriter(database=sys.argv[1], run=sys.argv[2])\n"
        "for i in range(200): w.add_scalar('loss', i, i)\nw.close()\n"
    )
    db_path = tmp_path / "sweep.h5"
    procs = [subprocess.Popen([sys.executable, "-c", code, str(db_path), f"seed{i}"]) for i in range(2)]
    assert [p.wait(60) for p in procs] == [0, 0]
    with ploteries.open(db_path) as db:
        assert db.runs() == ["seed0", "seed1"]
        assert [db.read(r, "loss")["step"].tolist() for r in db.runs()] == [list(range(200))] * 2


def _steps(path, run, tag):
    data = read(path, run, tag)
    return (data["step"] if isinstance(data, np.ndarray) else data.step).tolist()


def test_resume_with_purge_step_continues_the_run(tmp_path):
    w = SummaryWriter(tmp_path / "exp1")
    for i in range(10):
        w.add_scalar("loss", i, i)
        w.add_scalars("multi", {"a": i}, i)
        w.add_histogram("h", [float(i)], i)
    w.close()
    w = SummaryWriter(tmp_path / "exp1", purge_step=6)  # the checkpoint was at step 6
    for i in range(6, 9):
        w.add_scalar("loss", 100 + i, i)
    w.close()
    w.add_scalar("loss", 200, 9)  # reopening after close does not purge again
    w.close()
    assert _steps(w.database, "exp1", "loss") == list(range(10))
    assert read(w.database, "exp1", "loss")["value"].tolist()[5:] == [5, 106, 107, 108, 200]
    assert _steps(w.database, "exp1/multi_a", "multi") == list(range(6))  # sub-runs too (TB keeps them)
    assert _steps(w.database, "exp1", "h") == list(range(6))


def test_resume_after_kill(tmp_path):
    code = (
        "import os, sys\nfrom ploteries.compat import SummaryWriter\n"
        "w = SummaryWriter(sys.argv[1])\n"
        "for i in range(50): w.add_scalar('loss', i, i)\nos._exit(9)\n"  # dies without close()
    )
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "exp1")], check=False)
    w = SummaryWriter(tmp_path / "exp1", purge_step=40)
    w.add_scalar("loss", -1.0, 40)
    w.close()
    assert _steps(w.database, "exp1", "loss") == list(range(41))


# ----------------------------------------------------------------------------------- tensorboardX extras


def test_use_metadata(tmp_path):
    w = SummaryWriter(tmp_path / "r")
    with w.use_metadata(global_step=10, walltime=50.0):
        w.add_scalar("a", 1.0)
        w.add_scalars("m", {"k": 2.0})
        w.add_text("t", "hi")
        w.add_scalar("a", 2.0, 11, walltime=51.0)  # explicit values win
        with pytest.raises(ValueError, match=r"cannot be nested"):
            with w.use_metadata(global_step=1):
                pass
    w.add_scalar("a", 3.0)
    w.close()
    a = read(w.database, "r", "a")
    assert a["step"].tolist() == [10, 11, 0] and a["wall_time"].tolist()[:2] == [50.0, 51.0]
    assert read(w.database, "r/m_k", "m")["step"].tolist() == [10]
    assert read(w.database, "r", "t").step.tolist() == [10]
    with pytest.raises(ValueError, match=r"needs global_step= or walltime="):
        with w.use_metadata():
            pass


def test_export_scalars_to_json(tmp_path):
    w = SummaryWriter(str(tmp_path / "r"))
    w.add_scalar("loss", 0.5, 1, walltime=10.0)  # tensorboardX exports add_scalars values only
    w.add_scalars("m", {"k": 2.0}, 2, walltime=11.0)
    w.add_histogram("h", [1.0], 1)
    w.export_scalars_to_json(tmp_path / "s.json")
    w.close()
    out = json.loads((tmp_path / "s.json").read_text())
    assert out == {os.path.join(str(tmp_path / "r"), "m", "k"): [[11.0, 2, 2.0]]}
    assert read(w.database, "r/m_k", "m")["value"].tolist() == [2.0]  # the database keeps everything


def test_display_name_goes_to_meta(tmp_path):
    w = SummaryWriter(tmp_path / "r")
    w.add_scalar("a", 1.0, display_name="Accuracy", summary_description="top-1")
    w.close()
    with ploteries.open(w.database) as db:
        assert db.info("r", "a").meta == {"display_name": "Accuracy", "description": "top-1"}


def test_compat_writer_without_torch(tmp_path):
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "import numpy as np\nfrom ploteries.compat import SummaryWriter\n"
        "w = SummaryWriter(sys.argv[1])\n"
        "w.add_scalar('a', 1.0, 0); w.add_image('i', np.zeros((3, 2, 2))); w.add_histogram('h', [1.0, 2.0])\n"
        "w.close()\n"
        "try:\n    w.add_graph(object(), 1)\nexcept ImportError as e:\n    assert 'add_graph needs torch' in str(e)\n"
        "else:\n    raise SystemExit('no ImportError')\n"
        "assert 'torch' not in [m for m in sys.modules if sys.modules[m] is not None]\n"
    )
    root = str(Path(__file__).resolve().parents[2])
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([root, os.environ.get("PYTHONPATH", "")]))
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "r")], check=True, cwd=root, env=env)
    assert read(tmp_path / "r" / "ploteries.h5", "r", "a")["value"].tolist() == [1.0]


def test_add_onnx_graph_without_onnx(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)
    w = SummaryWriter(tmp_path / "r")
    with pytest.raises(
        ImportError, match=r"add_onnx_graph/graph_from_onnx needs the onnx package: pip install onnx"
    ):
        w.add_onnx_graph(tmp_path / "model.onnx")
    w.close()


def test_graph_record(tmp_path):
    torch = pytest.importorskip("torch")
    w = SummaryWriter(tmp_path / "r")
    w.add_graph(torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.ReLU()), torch.zeros(1, 3))
    w.close()
    with ploteries.open(w.database) as db:
        (record,) = db.read_records("r", "_graph_")
        assert db.info("r", "_graph_").kind == "graph"
    ops = [n["op"] for n in ploteries.storage.array_to_json(record.value)["nodes"]]
    assert "aten::linear" in ops and "aten::relu" in ops and record.step == 0
