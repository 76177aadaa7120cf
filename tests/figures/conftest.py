"""A small real database shared by the figure tests: three seeds of scalars, tensors, record arrays."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from ploteries.storage import DatabaseWriter

RUNS = ("seed=0", "seed=1", "seed=2")
RECORD_DTYPE = np.dtype([("loss", "<f4"), ("stats", [("mean", "<f8"), ("std", "<f8")])])


def train_loss(run_index: int, step: int) -> float:
    return 10.0 - 0.1 * step * (run_index + 1)


def train_steps(run_index: int) -> range:
    return range(15) if run_index == 2 else range(20)  # seed=2 stopped early


def attention(step: int) -> np.ndarray:
    return (step + np.arange(20.0).reshape(4, 5)).astype(np.float32)


def write_sample(path) -> None:
    with DatabaseWriter(path) as w:
        for r, run in enumerate(RUNS):
            for step in train_steps(r):
                w.append_scalar(run, "loss/train", train_loss(r, step), step=step, wall_time=1000.0 + step)
            for step in range(0, 20, 5):
                w.append_scalar(run, "loss/val", float(r + step), step=step, wall_time=2000.0 + step)
            for step in range(3):
                w.append(run, "samples", np.full(50, r + step, np.float64), step=step)
        for step in range(5):
            w.append("seed=0", "attn", attention(step), step=step)
        for step in range(10):
            value = np.array((step / 2, (step, 0.5)), RECORD_DTYPE)
            w.append("seed=0", "batch", value, step=step)
        for step in range(3):
            w.append("seed=0", "weights", np.full((step + 1, 2), step, np.int32), step=step, ragged=True)
        w.append_scalar("lr=0.1[a]", "loss/train", 1.0, step=0)


@pytest.fixture(scope="session")
def sample_master(tmp_path_factory):
    path = tmp_path_factory.mktemp("figures") / "sample.h5"
    write_sample(path)
    return path


@pytest.fixture
def sample_db(sample_master, tmp_path):
    """A fresh copy of the sample database (tests add figures to it)."""
    path = tmp_path / "sample.h5"
    shutil.copyfile(sample_master, path)
    return path
