"""Remote writers through faults, with real processes on loopback: every record arrives exactly once."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

import ploteries
from ploteries import DatabaseWriter
from ploteries.testing.remote_server import REPO, ServerProcess, free_port

from .proxy import DroppingProxy

WRITER = Path(__file__).with_name("writer_process.py")


def start_writer(url: str, run: str, n: int, pause_every: int = 0) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [sys.executable, str(WRITER), url, run, str(n), str(pause_every)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


class Progress:
    """Reads a writer process's stdout in a thread: the last step it acknowledged, and whether it closed."""

    def __init__(self, proc: subprocess.Popen):
        self.proc = proc
        self.last = -1
        self.closed = False
        self.changed = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            with self.changed:
                if line.strip() == "closed":
                    self.closed = True
                else:
                    self.last = int(line)
                self.changed.notify_all()
        with self.changed:
            self.changed.notify_all()

    def wait(self, predicate, timeout: float = 120) -> None:
        with self.changed:
            assert self.changed.wait_for(lambda: predicate(self) or self.proc.poll() is not None, timeout)
        assert predicate(self), self.proc.stderr.read()


def assert_exactly_once(path: Path, run: str, n: int) -> None:
    got = ploteries.open(path).read(run, "loss")
    assert got["step"].tolist() == list(range(n))
    np.testing.assert_array_equal(got["value"], np.arange(n, dtype=float))
    np.testing.assert_array_equal(got["wall_time"], 1000.0 + np.arange(n))


def test_four_writers_while_the_server_is_killed_and_restarted(tmp_path, spool):
    root = tmp_path / "root"
    root.mkdir()
    server = ServerProcess(root).start()
    n = 5000
    writers = [Progress(start_writer(server.url(), f"w{i}", n, pause_every=25)) for i in range(4)]
    try:
        for threshold in (n // 4, n // 2):
            for w in writers:
                w.wait(lambda p, t=threshold: p.last >= t)
            server.kill()  # kill -9, most likely while commits are in flight
            server.start()
        for w in writers:
            w.wait(lambda p: p.closed)
            assert w.proc.wait(timeout=60) == 0
    finally:
        server.stop()
        for w in writers:
            w.proc.kill()
    for i in range(4):
        assert_exactly_once(root / "sweep.h5", f"w{i}", n)
    assert not list(spool.glob("*/*.jnl")), "acknowledged spool segments are dropped"


def test_connections_dropped_at_random_by_a_proxy(server, spool):
    proxy = DroppingProxy(server.port, p_drop=0.1, seed=1)
    url = server.url("proxied.h5", port=proxy.port)
    try:
        with DatabaseWriter(url, flush_secs=0.01, close_timeout=120) as w:
            for step in range(5000):
                w.append_scalar("r", "loss", float(step), step=step, wall_time=1000.0 + step)
                if step % 500 == 0:
                    w.flush()  # many small deliveries: many chances to be cut
    finally:
        proxy.close()
    assert proxy.drops > 0
    assert_exactly_once(server.root / "proxied.h5", "r", 5000)


def push() -> subprocess.CompletedProcess:
    """``ploteries push`` in a process of its own."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "ploteries.cli", "push"], env=env, capture_output=True, text=True, timeout=120
    )


def test_server_down_then_push_sends_the_spool(tmp_path, spool):
    root = tmp_path / "root"
    root.mkdir()
    server = ServerProcess(root)  # not started: nobody listens on its port
    with DatabaseWriter(server.url(), flush_secs=0.01, close_timeout=0.3) as w:
        for step in range(1000):
            w.append_scalar("r", "loss", float(step), step=step, wall_time=1000.0 + step)
        with pytest.warns(UserWarning, match="1000 records .* stay in the spool .*ploteries push"):
            w.close()
    assert not (root / "sweep.h5").exists()
    server.start()
    try:
        out = push()
        assert out.returncode == 0, out.stderr
        assert f"{server.url()}: 1000 records sent" in out.stdout
        assert_exactly_once(root / "sweep.h5", "r", 1000)
        assert f"{server.url()}: 0 records sent" in push().stdout
    finally:
        server.stop()


def test_the_next_writer_sends_what_a_killed_writer_left(tmp_path, spool):
    root = tmp_path / "root"
    root.mkdir()
    server = ServerProcess(root)
    server.port = free_port()
    victim = Progress(start_writer(server.url(), "victim", 10**6, pause_every=50))
    victim.wait(lambda p: p.last >= 2000)  # the server is down: everything is in the spool
    victim.proc.kill()
    victim.proc.wait()
    acknowledged = victim.last
    server.start()
    try:
        with DatabaseWriter(server.url(), flush_secs=0.01, close_timeout=60) as w:
            w.append_scalar("next", "loss", 1.0, step=0)
            w.flush()
        got = ploteries.open(root / "sweep.h5").read("victim", "loss")["step"]
        assert got.tolist() == list(range(len(got))) and len(got) >= acknowledged + 1
    finally:
        server.stop()
