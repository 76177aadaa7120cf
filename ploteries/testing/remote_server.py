"""A real ``ploteries serve ROOT --accept-writes`` process on loopback, for tests and benchmarks: start, kill -9, restart."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).parents[2]  # the checkout holding this ploteries (put on the servers' PYTHONPATH)
TOKEN = "test-token-0123456789"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(port: int, method: str, path: str, *, body: bytes | None = None, headers: dict | None = None):
    """One raw HTTP request: ``(status, body bytes)``."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


class ServerProcess:
    """``ploteries serve ROOT`` in a subprocess; ``url(db)`` names a database on it."""

    def __init__(self, root: Path, *, token: str | None = TOKEN, accept_writes: bool = True, extra=()):
        self.root = Path(root)
        self.token = token
        self.args = ["--accept-writes"] * accept_writes + list(extra)
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    def env(self) -> dict:
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        env.pop("PLOTERIES_TOKEN", None)
        if self.token:
            env["PLOTERIES_TOKEN"] = self.token
        return env

    def start(self) -> ServerProcess:
        cmd = [
            sys.executable,
            "-m",
            "ploteries.cli",
            "serve",
            str(self.root),
            "--port",
            str(self.port),
            *self.args,
        ]
        self.proc = subprocess.Popen(
            cmd, env=self.env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        line = self.proc.stdout.readline()
        found = re.search(r":(\d+)/", line)
        if not found:
            rest = self.proc.stdout.read() if self.proc.poll() is not None else ""
            raise RuntimeError(f"server did not start: {line}{rest}")
        self.port = int(found.group(1))
        self.wait_ready()
        return self

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                status, _ = request(self.port, "GET", "/api/v1/info", headers=self.auth())
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise TimeoutError(f"server on port {self.port} did not answer within {timeout} s")

    def auth(self, token: str | None = None) -> dict:
        token = token or self.token
        return {"Authorization": f"Bearer {token}"} if token else {}

    def url(self, database: str = "sweep.h5", port: int | None = None) -> str:
        return f"http://127.0.0.1:{port or self.port}/{database}"

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.proc.stdout.close()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.kill()

    def json(self, method: str, path: str, **kwargs):
        status, data = request(self.port, method, path, **kwargs)
        return status, json.loads(data)
