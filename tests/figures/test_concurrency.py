"""Figure definitions change in one process while a DatabaseWriter appends in another: nothing lost either side."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import ploteries
from ploteries.figures import FigureStore
from ploteries.storage import DatabaseWriter

from ..storage.test_crash import assert_prefix_of_truth, start_writer

FIGURES = Path(__file__).with_name("figure_process.py")
N_FIGURES = 40


def expected_figures(n: int) -> dict:
    return {f"f{i}": f"title {i}" for i in range(n) if i % 2 == 1}


def check_figures(path, n: int) -> None:
    stored = {d["id"]: d for d in FigureStore(path).list()}
    assert {fid: d["title"] for fid, d in stored.items()} == expected_figures(n)
    assert all(
        d["version"] == 3 and d["figure"]["layout"] == {"yaxis": {"type": "log"}} for d in stored.values()
    )


@pytest.mark.slow
def test_figures_from_another_process_while_this_one_writes(tmp_path):
    path = tmp_path / "db.h5"
    writer = DatabaseWriter(path, flush_secs=0.001)
    writer.append_scalar("run", "loss", 0.0, step=0, wall_time=1000.0)
    writer.append("run", "weights", np.zeros((1, 3), np.int32), step=0, ragged=True)
    writer.flush()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    proc = subprocess.Popen([sys.executable, str(FIGURES), str(path), str(N_FIGURES)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)  # fmt: skip
    step = 1
    while proc.poll() is None or step < 2000:
        writer.append_scalar("run", "loss", float(step), step=step, wall_time=1000.0 + step)
        if step % 7 == 0:
            writer.append(
                "run", "weights", np.full((step % 5 + 1, 3), step, np.int32), step=step, ragged=True
            )
        step += 1
    out, err = proc.communicate()
    assert proc.returncode == 0 and out == "done\n", err
    writer.close()
    db = ploteries.open(path)
    assert len(db.read("run", "loss")) == step
    assert_prefix_of_truth(db, "run", step - 1)
    check_figures(path, N_FIGURES)


@pytest.mark.slow
def test_figures_from_this_process_while_another_writes(tmp_path):
    path = tmp_path / "db.h5"
    writer = DatabaseWriter(path)
    writer.append_scalar("seed", "loss", 0.0, step=0)
    writer.close()
    proc = start_writer(path, "run", 5000, 0.001)
    n = 0
    while proc.poll() is None or n < 10:
        store = FigureStore(path)
        store.add(id=f"f{n}", series={"l": {"tag": "loss"}}, figure={"data": [{"y": "$l.value"}]})
        store.update(f"f{n}", {"title": f"title {n}"})
        store.update(f"f{n}", {"figure": {"layout": {"yaxis": {"type": "log"}}}})
        if n % 2 == 0:
            store.delete(f"f{n}")
        n += 1
    out, err = proc.communicate()
    assert proc.returncode == 0 and out.split()[-1] == "closed", err
    db = ploteries.open(path)
    assert len(db.read("run", "loss")) == 5000
    assert_prefix_of_truth(db, "run", 4999)
    check_figures(path, n)
