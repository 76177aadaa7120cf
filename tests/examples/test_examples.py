"""The examples run, and write what they promise."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import ploteries

ROOT = Path(__file__).resolve().parents[2]
pytest.importorskip("torch")


def run(*args: str) -> str:
    done = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_train_demo_uses_every_method(tmp_path):
    out = run(
        "examples/train_demo.py", "--log-dir", str(tmp_path / "demo"), "--steps", "20", "--sweep", "0.5"
    )
    assert "view with: python -m ploteries.viz" in out
    with ploteries.open(tmp_path / "demo" / "ploteries.h5") as db:
        infos = db.series()
        assert db.runs() == ["demo", "demo/hparams", "demo/loss_train", "demo/loss_val"]
        assert db.info("demo", "loss/train").count == 20
    kinds = {i.kind for i in infos}
    assert kinds == {
        "scalar", "tensor", "histogram", "image", "audio", "video", "text", "pr_curve",
        "mesh", "embedding", "hparams", "graph", "custom_scalars",
    }  # fmt: skip
    parts = {(i.tag, i.part) for i in infos}
    assert {
        ("val/boxes", "boxes"),
        ("val/boxes", "labels"),
        ("val/confusion", ""),
        ("grads/fc1.weight", ""),
    } <= parts
    with ploteries.open(tmp_path / "demo" / "sweep.h5") as db:
        assert db.runs() == ["lr=0.5", "lr=0.5/hparams", "lr=0.5/loss_train"]
        record = ploteries.storage.array_to_json(db.read("lr=0.5/hparams", "_hparams_")[0].value)
        assert record["hparams"]["lr"] == 0.5 and set(record["metrics"]) == {"hparam/accuracy", "hparam/loss"}
    # running again replaces the run (purge_step=0) instead of appending to it
    run("examples/train_demo.py", "--log-dir", str(tmp_path / "demo"), "--steps", "20", "--sweep", "")
    with ploteries.open(tmp_path / "demo" / "ploteries.h5") as db:
        assert db.info("demo", "loss/train").count == 20 and db.info("demo/hparams", "_hparams_").count == 1


def test_one_line_change(tmp_path):
    out = run("examples/one_line_change.py", str(tmp_path / "exp"))
    assert "run 'exp'" in out
    with ploteries.open(tmp_path / "exp" / "ploteries.h5") as db:
        assert db.runs() == ["exp", "exp/curves_cos", "exp/curves_sin"]
        assert db.read("exp", "loss/train")["value"][0] == 1.0
