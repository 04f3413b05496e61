"""DNS rebinding: a page on a foreign domain that resolves to 127.0.0.1 reaches the UI with
its own name in ``Host``; the UI answers only the names it serves."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from stormbridge.ui.__main__ import build_parser
from stormbridge.ui.backend import NimbusBackend
from stormbridge.ui.server import UIServer, make_server

from . import nimbus_data as data
from .conftest import request
from .scripted_nimbus import ScriptedNimbus


def serve_with(nimbus: ScriptedNimbus, allowed: list[str]) -> Iterator[UIServer]:
    backend = NimbusBackend([("127.0.0.1", nimbus.port)], timeout=10.0)
    server = make_server(
        backend, "127.0.0.1", 0, clock=lambda: float(data.NOW), allowed_hosts=allowed
    )
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def port_of(ui: UIServer) -> int:
    return int(ui.server_address[1])


def test_a_foreign_host_is_refused_for_reads_and_actions(
    ui: UIServer, nimbus: ScriptedNimbus
) -> None:
    evil = f"rebind.evil.example:{port_of(ui)}"
    for path in ("/api/v1/cluster/configuration", "/api/v1/topology/summary", "/"):
        reply = request(ui.url + path, headers={"Host": evil})
        assert reply.status == 403, (path, reply.body)
        body = reply.json()
        assert body["error"] == "403 Forbidden"
        assert "rebind.evil.example" in body["errorMessage"]
        assert "--allowed-host" in body["errorMessage"]
        assert "secret" not in reply.body.decode()
    # the rebinding page's POST carries a matching Origin: still refused, nothing killed
    kill = f"{ui.url}/api/v1/topology/{data.TOPOLOGY_ID}/kill/0"
    reply = request(kill, "POST", {"Host": evil, "Origin": f"http://{evil}"})
    assert reply.status == 403
    assert nimbus.handler.status == "ACTIVE"


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1:{port}", "localhost:{port}", "LOCALHOST.:{port}", "[::1]:{port}", "127.0.0.1"],
)
def test_loopback_names_and_the_bound_address_are_served(ui: UIServer, host: str) -> None:
    reply = request(
        ui.url + "/api/v1/cluster/summary", headers={"Host": host.format(port=port_of(ui))}
    )
    assert reply.status == 200, reply.body


@pytest.mark.parametrize("host", ["", "evil.example:{port}:1", "127.0.0.1:notaport", "[::1"])
def test_malformed_hosts_are_refused(ui: UIServer, host: str) -> None:
    reply = request(
        ui.url + "/api/v1/cluster/summary", headers={"Host": host.format(port=port_of(ui))}
    )
    assert reply.status == 403, reply.body


def test_allowed_host_option(nimbus: ScriptedNimbus) -> None:
    for ui in serve_with(nimbus, ["storm.example.com", "ops.example.com:9999"]):
        port = port_of(ui)
        ok = request(
            ui.url + "/api/v1/cluster/summary", headers={"Host": f"storm.example.com:{port}"}
        )
        assert ok.status == 200
        assert request(ui.url + "/", headers={"Host": "ops.example.com:9999"}).status == 200
        assert request(ui.url + "/", headers={"Host": f"ops.example.com:{port}"}).status == 403
        assert request(ui.url + "/", headers={"Host": f"evil.example.com:{port}"}).status == 403
        assert request(ui.url + "/").status == 200  # urllib's own Host: 127.0.0.1:port


def test_allowed_host_flag_is_parsed() -> None:
    args = build_parser().parse_args(["--allowed-host", "a.example", "--allowed-host", "b:1"])
    assert args.allowed_host == ["a.example", "b:1"]
