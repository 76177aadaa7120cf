"""The remote examples run: DDP with 2 gloo processes (local file and server), one SLURM array task."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import ploteries
from ploteries.testing.remote_server import TOKEN, ServerProcess

ROOT = Path(__file__).resolve().parents[2]
pytest.importorskip("torch")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    proc = ServerProcess(tmp_path_factory.mktemp("root")).start()
    yield proc
    proc.stop()


def run(args: list[str], tmp_path: Path, **env) -> str:
    full = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "PLOTERIES_TOKEN": TOKEN,
        "PLOTERIES_SPOOL": str(tmp_path / "spool"),
        **env,
    }
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=300, env=full)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_ddp_rank0_writes_one_run_into_a_local_file(tmp_path):
    db = tmp_path / "ddp.h5"
    run(
        [sys.executable, "examples/ddp_train.py", "--database", str(db), "--spawn", "2", "--steps", "20"],
        tmp_path,
    )
    with ploteries.open(db) as reader:
        assert reader.runs() == ["ddp"]
        assert reader.read("ddp", "loss/mean_over_ranks")["step"].tolist() == list(range(20))


def test_ddp_every_rank_writes_its_own_run_through_a_server(tmp_path, server, monkeypatch):
    monkeypatch.setenv("PLOTERIES_TOKEN", TOKEN)
    url = server.url("ddp.h5")
    out = run(
        [
            sys.executable,
            "examples/ddp_train.py",
            "--database",
            url,
            "--spawn",
            "2",
            "--log",
            "every-rank",
            "--steps",
            "20",
        ],
        tmp_path,
    )
    assert f"logged to {url} (every-rank)" in out
    with ploteries.open(url) as reader:
        assert reader.runs() == ["ddp/rank0", "ddp/rank1"]
        mean = [reader.read(r, "loss/mean_over_ranks")["value"] for r in ("ddp/rank0", "ddp/rank1")]
        assert (mean[0] == mean[1]).all() and len(mean[0]) == 20  # all-reduced: the same on both ranks
        assert reader.info("ddp/rank1", "loss/this_rank").count == 20


def test_a_slurm_array_task(tmp_path, server, monkeypatch):
    monkeypatch.setenv("PLOTERIES_TOKEN", TOKEN)
    out = run(
        ["bash", "examples/slurm_array.sh"],
        tmp_path,
        SLURM_ARRAY_TASK_ID="1",
        PLOTERIES_SERVER=f"http://127.0.0.1:{server.port}",
        STEPS="30",
        PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}",
    )
    assert "lr=0.1: final loss" in out and "sweep.h5: 0 records sent" in out  # all delivered before push
    with ploteries.open(server.url("sweep.h5")) as reader:
        assert "lr=0.1" in reader.runs()
        assert reader.info("lr=0.1", "loss/train").count == 30
        assert reader.info("lr=0.1", "weights").count == 1
