"""Fixtures shared by the unit tests.

``trickling_server(prefix, interval=0.1, drip=b"x")`` starts a TCP server on 127.0.0.1 that
answers every request with ``prefix``, then trickles ``drip`` every ``interval`` seconds: each
read succeeds well within a per-read timeout, the answer never completes (a hostile Nimbus or
UI). Servers are closed at the end of the test.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator

import pytest


class TricklingServer:
    def __init__(self, prefix: bytes, interval: float = 0.1, drip: bytes = b"x") -> None:
        self.prefix = prefix
        self.interval = interval
        self.drip = drip
        self.stop = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        self.listener.settimeout(0.1)
        while not self.stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._trickle, args=(conn,), daemon=True).start()

    def _trickle(self, conn: socket.socket) -> None:
        with conn:
            try:
                conn.recv(65536)
                conn.sendall(self.prefix)
                while not self.stop.wait(self.interval):
                    conn.sendall(self.drip)
            except OSError:
                return

    def close(self) -> None:
        self.stop.set()
        self.listener.close()
        self.thread.join(5)


@pytest.fixture
def trickling_server() -> Iterator[Callable[..., TricklingServer]]:
    servers: list[TricklingServer] = []

    def start(prefix: bytes, interval: float = 0.1, drip: bytes = b"x") -> TricklingServer:
        servers.append(TricklingServer(prefix, interval, drip))
        return servers[-1]

    try:
        yield start
    finally:
        for server in servers:
            server.close()
