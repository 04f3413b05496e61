"""``--timeout`` is a deadline for a whole call, not for each read: a Nimbus behind the UI, or a
UI behind ``sparse stats``, that trickles its answer a byte at a time is cut off at it."""

from __future__ import annotations

import struct
import threading
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest

from stormbridge.errors import UIError
from stormbridge.ui.backend import NimbusBackend
from stormbridge.ui.client import UIClient

from . import nimbus_data as data
from .conftest import request, serve
from .scripted_nimbus import ScriptedNimbus


def bounded(call: Callable[[], Any], limit: float) -> tuple[Any, BaseException | None, float]:
    """Run ``call`` in a thread; fail the test (instead of hanging) if it outlives ``limit``."""
    result: list[Any] = []
    start = time.monotonic()

    def run() -> None:
        try:
            result.append((call(), None))
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            result.append((None, exc))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(limit)
    if thread.is_alive():
        pytest.fail(f"still running after {limit} s: the timeout is not a deadline")
    value, error = result[0]
    return value, error, time.monotonic() - start


@pytest.fixture
def trickling_nimbus(trickling_server: Callable[..., Any]) -> Any:
    return trickling_server(struct.pack("!i", 1000), interval=0.1)  # 1000 bytes at 10 per s


def test_ui_request_to_a_trickling_nimbus_ends_at_the_deadline(
    trickling_nimbus: Any,
) -> None:
    for ui in serve(NimbusBackend([("127.0.0.1", trickling_nimbus.port)], timeout=1.0)):
        reply, error, elapsed = bounded(partial(request, ui.url + "/api/v1/cluster/summary"), 20)
        assert error is None
        assert reply.status == 500
        assert "did not answer getClusterInfo" in reply.json()["errorMessage"]
        assert elapsed < 10


def test_one_ui_request_shares_one_deadline_across_its_nimbus_calls(
    nimbus: ScriptedNimbus,
) -> None:
    # each call answers in 0.6 s, under the 1 s timeout; the topology page makes two or three
    handler = nimbus.handler
    for name in ("getTopologyInfoWithOpts", "getTopologyConf", "getTopology"):
        real = getattr(handler, name)

        def slow(*args: Any, _real: Any = real) -> Any:
            time.sleep(0.6)
            return _real(*args)

        setattr(handler, name, slow)
    for ui in serve(NimbusBackend([("127.0.0.1", nimbus.port)], timeout=1.0)):
        summary = request(ui.url + "/api/v1/cluster/summary")
        assert summary.status == 200  # one fast call: fine
        reply, error, elapsed = bounded(
            partial(request, f"{ui.url}/api/v1/topology/{data.TOPOLOGY_ID}"), 20
        )
        assert error is None
        assert reply.status == 500, reply.body
        assert "did not answer" in reply.json()["errorMessage"]
        assert elapsed < 10


def test_ui_client_against_a_trickling_server_ends_at_the_deadline(
    trickling_server: Callable[..., Any],
) -> None:
    headers = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
    for prefix in (b"HTTP/1.1 200 OK\r\n", headers):  # trickling headers, then body
        server = trickling_server(
            prefix, interval=0.1, drip=b"X-A: b\r\n" if prefix[-3] != 10 else b" "
        )
        client = UIClient(f"http://127.0.0.1:{server.port}", timeout=1.0)
        _, error, elapsed = bounded(client.cluster_summary, 20)
        assert isinstance(error, UIError), repr(error)
        assert "did not answer GET" in str(error) and "within 1 s" in str(error)
        assert elapsed < 10


def test_ui_client_against_a_server_that_is_not_http(
    trickling_server: Callable[..., Any],
) -> None:
    server = trickling_server(b"SSH-2.0-OpenSSH_9.2\r\n\r\n", interval=0.05, drip=b"")
    _, error, _ = bounded(
        UIClient(f"http://127.0.0.1:{server.port}", timeout=2).cluster_summary, 20
    )
    assert isinstance(error, UIError), repr(error)


@pytest.mark.parametrize("bad", [0, -1, float("inf"), float("nan")])
def test_ui_client_and_backend_refuse_bad_timeouts(bad: float) -> None:
    with pytest.raises(UIError, match="positive, finite"):
        UIClient("http://127.0.0.1:1", timeout=bad)
    with pytest.raises(Exception, match="positive, finite"):
        NimbusBackend([("127.0.0.1", 1)], timeout=bad)
