"""``python -m ploteries.viz``: flags, the next free port, the bind address, clear errors."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from ploteries.cli import main as cli_main
from ploteries.viz.server import main
from ploteries.viz.services.payload import decode_array
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


def layout_json(app) -> str:
    """The page's layout as JSON text without escapes (Dash writes ``/`` as ``\\/``)."""
    import json

    response = app.server.test_client().get("/_dash-layout")
    assert response.status_code == 200
    return json.dumps(response.get_json(), ensure_ascii=False)


def test_the_first_page_comes_drawn_in_the_layout_with_its_data(tmp_path):
    import json

    from ploteries.viz.app import create_app
    from ploteries.viz.library import Library

    write_scalars(
        tmp_path / "db.h5",
        {"a": {"train/loss": [1.0, 2.0, 3.0], "train/acc": [0.5]}, "b": {"train/loss": [4.0]}},
    )
    app = create_app(Library([tmp_path]))
    assert app.viewer.warm() == 2  # what the server does in the background at start
    page = json.loads(layout_json(app))
    graphs = {}

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == "Graph":
                graphs[node["props"]["id"]["card"]] = node["props"]["figure"]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(page)
    assert sorted(graphs) == ["auto/scalar/train/acc", "auto/scalar/train/loss"]
    loss = graphs["auto/scalar/train/loss"]["data"]
    assert [(t["name"], decode_array(t["y"]).tolist()) for t in loss if t.get("opacity") == 0.28] == [
        ("a", [1.0, 2.0, 3.0]),
        ("b", [4.0]),
    ]
    text = json.dumps(page, ensure_ascii=False)
    assert (
        "2 runs · 3 series" in text and '"value": "train"' in text
    )  # the explorer and the tab are filled in


def test_a_failing_first_page_leaves_an_empty_page_for_the_callbacks(tmp_path, monkeypatch):
    from ploteries.viz.app import create_app
    from ploteries.viz.library import Library

    write_scalars(tmp_path / "db.h5", {"a": {"loss": [1.0]}})
    app = create_app(Library([tmp_path]))
    monkeypatch.setattr(app.viewer, "first_page", lambda: 1 / 0)
    text = layout_json(app)
    assert '"cards"' in text and "auto/scalar/loss" not in text


def test_the_index_page_does_not_wait_for_the_cards(tmp_path, monkeypatch):
    import json

    from ploteries.viz.app import create_app
    from ploteries.viz.library import Library

    write_scalars(tmp_path / "db.h5", {"a": {"loss": [1.0]}})
    app = create_app(Library([tmp_path]))
    calls = []
    real = app.viewer.first_page
    monkeypatch.setattr(app.viewer, "first_page", lambda: calls.append(1) or real())
    client = app.server.test_client()
    assert client.get("/").status_code == 200  # Dash validates its layout here, on its first request
    assert calls == []
    assert "auto/scalar/loss" in json.dumps(client.get("/_dash-layout").get_json())
    assert calls == [1]


def test_the_viewer_is_served_by_a_production_server_that_stops_on_shutdown(tmp_path):
    import threading

    from ploteries.viz.app import create_app
    from ploteries.viz.library import Library
    from ploteries.viz.server import bind_server

    write_scalars(tmp_path / "db.h5", {"a": {"loss": [1.0]}})
    server, port = bind_server(create_app(Library([tmp_path])).server, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as response:
            assert response.headers["Server"] == "ploteries"  # waitress, not Werkzeug's development server
            assert "<title>ploteries</title>" in response.read().decode()
    finally:
        server.shutdown()
        server.server_close()
    thread.join(10)
    assert not thread.is_alive()
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=3)


def test_shutdown_while_the_serving_thread_closes_by_itself_raises_nothing(tmp_path):
    """The serving loop wakes every second and may see the stop flag and close the server (its wake-up pipe
    too) between shutdown's check and its wake-up call: that call must never land on a closed descriptor
    (EBADF in a test teardown under load, once in a few hundred runs)."""
    import threading

    from ploteries.viz.app import create_app
    from ploteries.viz.library import Library
    from ploteries.viz.server import bind_server

    server, _ = bind_server(create_app(Library([tmp_path])).server, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    pull = server._server.pull_trigger
    closed_first = threading.Event()

    def pull_after_the_loop_had_its_chance():
        # before the fix the loop closed everything within its 1 s poll; now it waits for shutdown's lock
        deadline = time.monotonic() + 1.5
        while time.monotonic() < deadline and thread.is_alive():
            time.sleep(0.01)
        if not thread.is_alive():
            closed_first.set()
        pull()

    server._server.pull_trigger = pull_after_the_loop_had_its_chance
    server.shutdown()
    server.server_close()
    thread.join(10)
    assert not thread.is_alive() and not closed_first.is_set()
