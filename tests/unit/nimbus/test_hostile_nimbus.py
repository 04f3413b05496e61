"""NimbusClient against hostile servers on 127.0.0.1: a Nimbus that trickles its answer a byte
at a time must not hold a call past its timeout, and one that announces a huge Thrift frame
must be reported in one line, not with a MemoryError."""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections.abc import Iterator

import pytest

from stormbridge.errors import NimbusError, NimbusUnreachableError
from stormbridge.thrift.nimbus import NimbusClient


class HostileServer:
    """Accepts connections; on each, reads the request, sends ``prefix``, then one byte of
    ``drip`` every ``interval`` seconds until closed."""

    def __init__(self, prefix: bytes, interval: float = 0.1) -> None:
        self.prefix = prefix
        self.interval = interval
        self.stop = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
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
            threading.Thread(target=self._drip, args=(conn,), daemon=True).start()

    def _drip(self, conn: socket.socket) -> None:
        with conn:
            try:
                conn.recv(65536)
                conn.sendall(self.prefix)
                while not self.stop.wait(self.interval):
                    conn.sendall(b"\x00")
            except OSError:
                return

    def close(self) -> None:
        self.stop.set()
        self.listener.close()
        self.thread.join(5)


@pytest.fixture
def trickler() -> Iterator[HostileServer]:
    # a frame of 1000 bytes announced, then one byte every 0.1 s: each read succeeds well
    # within the timeout, the whole answer would take 100 s
    server = HostileServer(struct.pack("!i", 1000), interval=0.1)
    try:
        yield server
    finally:
        server.close()


def call_in_thread(client: NimbusClient, limit: float) -> BaseException | None:
    """Run ``client.cluster_summary()`` with an outer bound so that a failing test ends."""
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            client.cluster_summary()
            outcome.append(None)
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(limit)
    if thread.is_alive():
        client.close()
        pytest.fail(f"the call was still running after {limit} s: the timeout is not a deadline")
    return outcome[0]


def test_a_trickling_nimbus_is_cut_off_at_the_call_deadline(trickler: HostileServer) -> None:
    client = NimbusClient("127.0.0.1", trickler.port, timeout=1.0, connect_timeout=2)
    start = time.monotonic()
    error = call_in_thread(client, limit=15)
    elapsed = time.monotonic() - start
    assert isinstance(error, NimbusUnreachableError), error
    assert "did not answer getClusterInfo within 1 s" in str(error)
    assert elapsed < 10  # 1 s deadline, generous bound for a loaded machine
    client.close()


@pytest.mark.parametrize("size", [2**31 - 1, 64 * 2**20 + 1])
def test_a_huge_announced_frame_is_a_clear_nimbus_error(size: int) -> None:
    server = HostileServer(struct.pack("!i", size), interval=0.1)
    try:
        client = NimbusClient("127.0.0.1", server.port, timeout=5, connect_timeout=2)
        error = call_in_thread(client, limit=20)
        assert isinstance(error, NimbusError), repr(error)
        assert f"{size}-byte Thrift frame" in str(error)
        assert "not a Storm Nimbus" in str(error)
        assert repr(client).endswith("closed>")  # the stream is out of step: reconnect next
    finally:
        server.close()


def test_a_negative_frame_size_is_a_clear_nimbus_error() -> None:
    server = HostileServer(struct.pack("!i", -5))
    try:
        client = NimbusClient("127.0.0.1", server.port, timeout=5, connect_timeout=2)
        error = call_in_thread(client, limit=20)
        assert isinstance(error, NimbusError), repr(error)
        assert "-5-byte Thrift frame" in str(error)
    finally:
        server.close()
