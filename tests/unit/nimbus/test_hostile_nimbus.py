"""NimbusClient against hostile servers on 127.0.0.1: a Nimbus that trickles its answer a byte
at a time must not hold a call past its timeout, and one that announces a huge Thrift frame
must be reported in one line, not with a MemoryError."""

from __future__ import annotations

import struct
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from stormbridge.errors import NimbusError, NimbusUnreachableError
from stormbridge.thrift.nimbus import NimbusClient


@pytest.fixture
def trickler(trickling_server: Callable[..., Any]) -> Any:
    # a frame of 1000 bytes announced, then one byte every 0.1 s: each read succeeds well
    # within the timeout, the whole answer would take 100 s
    return trickling_server(struct.pack("!i", 1000), interval=0.1, drip=b"\x00")


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


def test_a_trickling_nimbus_is_cut_off_at_the_call_deadline(trickler: Any) -> None:
    client = NimbusClient("127.0.0.1", trickler.port, timeout=1.0, connect_timeout=2)
    start = time.monotonic()
    error = call_in_thread(client, limit=15)
    elapsed = time.monotonic() - start
    assert isinstance(error, NimbusUnreachableError), error
    assert "did not answer getClusterInfo within 1 s" in str(error)
    assert elapsed < 10  # 1 s deadline, generous bound for a loaded machine
    client.close()


@pytest.mark.parametrize("size", [2**31 - 1, 64 * 2**20 + 1])
def test_a_huge_announced_frame_is_a_clear_nimbus_error(
    size: int, trickling_server: Callable[..., Any]
) -> None:
    server = trickling_server(struct.pack("!i", size), interval=0.1, drip=b"\x00")
    client = NimbusClient("127.0.0.1", server.port, timeout=5, connect_timeout=2)
    error = call_in_thread(client, limit=20)
    assert isinstance(error, NimbusError), repr(error)
    assert f"{size}-byte Thrift frame" in str(error)
    assert "not a Storm Nimbus" in str(error)
    assert repr(client).endswith("closed>")  # the stream is out of step: reconnect next


def test_a_negative_frame_size_is_a_clear_nimbus_error(
    trickling_server: Callable[..., Any],
) -> None:
    server = trickling_server(struct.pack("!i", -5), drip=b"\x00")
    client = NimbusClient("127.0.0.1", server.port, timeout=5, connect_timeout=2)
    error = call_in_thread(client, limit=20)
    assert isinstance(error, NimbusError), repr(error)
    assert "-5-byte Thrift frame" in str(error)
