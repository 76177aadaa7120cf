"""``python -m ploteries.viz``: flags, the next free port, the bind address, clear errors."""

from __future__ import annotations

import socket
import subprocess
import sys
import urllib.request

import pytest

from ploteries.cli import main as cli_main
from ploteries.viz.server import main
from tests.viz.helpers import write_scalars


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(args, timeout=20.0):
    proc = subprocess.Popen(
        [sys.executable, "-m", "ploteries.viz", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    return proc, proc.stdout.readline()


def test_serves_on_the_next_free_port_of_127_0_0_1_and_says_so(tmp_path):
    write_scalars(tmp_path / "db.h5", {"r": {"loss": [1.0]}})
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    port = busy.getsockname()[1]
    proc, line = start([str(tmp_path), "--port", str(port), "--reload-interval", "1"])
    try:
        assert f"(port {port} was busy)" in line, line
        served = int(line.split("http://localhost:")[1].split("/")[0])
        assert served > port
        page = urllib.request.urlopen(f"http://127.0.0.1:{served}/", timeout=10).read().decode()
        assert "<title>ploteries</title>" in page
        with pytest.raises(OSError):  # bound to loopback only
            ip = socket.gethostbyname(socket.gethostname())
            if ip.startswith("127."):
                raise OSError("no non-loopback address on this machine")
            urllib.request.urlopen(f"http://{ip}:{served}/", timeout=3)
    finally:
        proc.terminate()
        proc.wait(10)
        busy.close()


def test_bad_arguments_are_clear_errors(tmp_path, capsys):
    assert main([str(tmp_path / "missing")]) == 2
    assert "ROOT" in capsys.readouterr().err
    assert main([str(tmp_path), "--reload-interval", "0"]) == 2
    assert "--reload-interval must be a positive number" in capsys.readouterr().err
    assert main([str(tmp_path), "--media-root", str(tmp_path / "nope")]) == 2
    assert "--media-root" in capsys.readouterr().err


def test_ploteries_serve_has_the_same_flags(capsys):
    with pytest.raises(SystemExit):
        cli_main(["serve", "--help"])
    out = capsys.readouterr().out
    for flag in ("--port", "--host", "--reload-interval", "--media-root", "ploteries serve runs/"):
        assert flag in out
