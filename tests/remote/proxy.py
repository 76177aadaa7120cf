"""A TCP proxy for tests that drops connections at random (both directions, mid-request or mid-answer)."""

from __future__ import annotations

import random
import socket
import threading


class DroppingProxy:
    """Forwards 127.0.0.1:<port> to ``upstream``; each forwarded chunk ends its connection with ``p_drop``."""

    def __init__(self, upstream_port: int, *, p_drop: float = 0.05, seed: int = 0):
        self.upstream_port = upstream_port
        self.p_drop = p_drop
        self.random = random.Random(seed)
        self.drops = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            except OSError:
                client.close()
                continue
            pair = (client, upstream)
            threading.Thread(target=self._pump, args=(client, upstream, pair), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, pair), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, pair) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if self.random.random() < self.p_drop:
                    self.drops += 1
                    dst.sendall(
                        data[: self.random.randrange(len(data) + 1)]
                    )  # a part, then the line goes dead
                    break
                dst.sendall(data)
        except OSError:
            pass
        for s in pair:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def close(self) -> None:
        self._closed = True
        self.listener.close()
