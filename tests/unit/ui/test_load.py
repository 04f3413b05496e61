"""The UI under many concurrent connections, and unknown API paths while Nimbus is down."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from stormbridge.ui.backend import NimbusBackend
from stormbridge.ui.server import UIServer

from .conftest import request, serve

CLIENTS = 200


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def ui_nimbus_down() -> Iterator[UIServer]:
    yield from serve(NimbusBackend([("127.0.0.1", free_port())], timeout=2.0))


def test_the_listen_backlog_takes_200_simultaneous_connects(ui_nimbus_down: UIServer) -> None:
    # 200 clients connect at the same instant, before the server accepts any; with a backlog
    # of 5 the kernel drops SYNs and clients wait for retransmits (1 s, 3 s, 7 s ...)
    assert ui_nimbus_down.request_queue_size >= CLIENTS
    host, port = ui_nimbus_down.server_address[:2]
    start = threading.Barrier(CLIENTS)
    failures: list[str] = []
    statuses: list[int] = []
    lock = threading.Lock()

    def client() -> None:
        start.wait()
        try:
            with socket.create_connection((str(host), port), timeout=30) as sock:
                sock.sendall(
                    b"GET /ui.css HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
                )
                head = sock.makefile("rb").readline()
            with lock:
                statuses.append(int(head.split()[1]))
        except OSError as exc:  # refused, reset, timed out
            with lock:
                failures.append(repr(exc))

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)  # generous: what matters is that none is refused, reset or lost
    assert not failures, failures[:5]
    assert statuses == [200] * CLIENTS


@pytest.mark.parametrize(
    "path", ["/api/v1/nothing", "/api/v1/cluster/nothing", "/api/v1/topology/x/y/z/w"]
)
def test_unknown_api_paths_are_404_while_nimbus_is_down(
    ui_nimbus_down: UIServer, path: str
) -> None:
    reply = request(ui_nimbus_down.url + path)
    assert reply.status == 404, reply.body
    assert reply.json()["error"] == "404 Not Found"
    assert "no such API endpoint" in reply.json()["errorMessage"]
