"""The client never takes a cut answer for a whole one: a line cut anywhere is RemoteUnavailable (retried)."""

from __future__ import annotations

import socket
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ploteries.storage.remote.transport import Client, RemoteUnavailable
from ploteries.storage.remote.wire import parse_url

BODY = b'{"format": 2, "runs": ["a", "b"]}'
ANSWER = (
    b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nContent-Type: application/json\r\nServer: ploteries\r\n\r\n%s"
    % (len(BODY), BODY)
)


class CuttingServer:
    """Answers each connection's first request with the first ``cut`` bytes of ANSWER, then closes."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.cut = len(ANSWER)
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            with conn:
                request = b""
                while b"\r\n\r\n" not in request:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    request += chunk
                conn.sendall(ANSWER[: self.cut])
                conn.shutdown(socket.SHUT_RDWR)


@pytest.fixture(scope="module")
def cutting_server():
    server = CuttingServer()
    yield server
    server.listener.close()


def client(server: CuttingServer) -> Client:
    return Client(parse_url(f"http://127.0.0.1:{server.port}/sweep.h5"), None, timeout=10)


def test_the_whole_answer_is_read(cutting_server):
    cutting_server.cut = len(ANSWER)
    assert client(cutting_server).json("GET", "/api/v1/info") == {"format": 2, "runs": ["a", "b"]}


@settings(max_examples=60, deadline=None)
@given(cut=st.integers(0, len(ANSWER) - 1))
def test_an_answer_cut_anywhere_is_unavailable_never_a_wrong_or_garbled_answer(cutting_server, cut):
    cutting_server.cut = cut
    with pytest.raises(RemoteUnavailable, match="ploteries server at http://127.0.0.1"):
        client(cutting_server).json("GET", "/api/v1/info")


@pytest.mark.parametrize("cut", [len(b"HTTP/1.1 200 OK\r\n"), ANSWER.index(b"Content-Type")])
def test_a_cut_inside_the_headers_is_not_an_empty_answer(cutting_server, cut):
    """http.client reads headers cut by a closed line as complete; without Content-Length the body was lost."""
    cutting_server.cut = cut
    with pytest.raises(RemoteUnavailable):
        client(cutting_server).request("GET", "/api/v1/info")
