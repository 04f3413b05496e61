"""UIClient over a real HTTP server on loopback (canned Storm UI documents)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from stormbridge.errors import UIError
from stormbridge.ui.client import UIClient

DOCS: dict[str, Any] = {
    "/api/v1/cluster/summary": {"stormVersion": "2.8.3", "supervisors": 1, "topologies": 1,
                                "slotsTotal": 2, "slotsUsed": 1, "slotsFree": 1,
                                "executorsTotal": 5, "tasksTotal": 5},
    "/api/v1/nimbus/summary": {"nimbuses": [{"host": "127.0.0.1", "port": 6627,
                                             "status": "Leader", "version": "2.8.3",
                                             "nimbusUpTimeSeconds": "12"}]},
    "/api/v1/supervisor/summary": {"supervisors": [{"id": "s1", "host": "127.0.0.1",
                                                    "uptimeSeconds": 3, "slotsTotal": 2,
                                                    "slotsUsed": 1, "slotsFree": 1}]},
    "/api/v1/topology/summary": {"topologies": [{"id": "wc-1-17", "name": "wc",
                                                 "status": "ACTIVE", "uptimeSeconds": 9,
                                                 "workersTotal": 1, "executorsTotal": 5,
                                                 "tasksTotal": 5}]},
    "/api/v1/topology/wc-1-17?window=%3Aall-time&sys=false": {"id": "wc-1-17", "spouts": []},
    "/api/v1/topology/wc-1-17/component/count%2Fbolt?window=600": {"componentType": "bolt"},
}  # fmt: skip


class Handler(BaseHTTPRequestHandler):
    calls: list[tuple[str, str]] = []

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, code: int, body: bytes) -> None:
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        Handler.calls.append(("GET", self.path))
        if self.path == "/api/v1/broken":
            self._send(200, b"<html>not json</html>")
        elif self.path == "/api/v1/fails":
            self._send(
                500, json.dumps({"error": "500", "errorMessage": "NotAliveException"}).encode()
            )
        elif self.path in DOCS:
            self._send(200, json.dumps(DOCS[self.path]).encode())
        else:
            self._send(404, b'{"error": "404", "errorMessage": "no such path"}')

    def do_POST(self) -> None:
        Handler.calls.append(("POST", self.path))
        self._send(200, json.dumps({"status": "success", "path": self.path}).encode())


@pytest.fixture
def ui() -> Iterator[UIClient]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield UIClient(f"http://127.0.0.1:{server.server_address[1]}/", timeout=10)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_summaries_are_typed(ui: UIClient) -> None:
    summary = ui.cluster_summary()
    assert (summary.storm_version, summary.supervisors, summary.slots_total) == ("2.8.3", 1, 2)
    (nimbus,) = ui.nimbus_summary()
    assert nimbus.is_leader and nimbus.uptime_seconds == 12
    (sup,) = ui.supervisor_summary()
    assert (sup.id, sup.slots_free) == ("s1", 1)
    (topo,) = ui.topology_summary()
    assert (topo.id, topo.name, topo.status) == ("wc-1-17", "wc", "ACTIVE")


def test_topology_by_name_and_component(ui: UIClient) -> None:
    assert ui.topology_id("wc") == "wc-1-17"
    assert ui.topology_by_name("wc") == {"id": "wc-1-17", "spouts": []}
    assert ui.component("wc-1-17", "count/bolt", window="600") == {"componentType": "bolt"}
    with pytest.raises(UIError, match="no topology named 'nope'"):
        ui.topology_id("nope")


def test_actions_post(ui: UIClient) -> None:
    Handler.calls.clear()
    assert ui.kill("wc-1-17", wait_secs=3)["path"] == "/api/v1/topology/wc-1-17/kill/3"
    ui.activate("wc-1-17")
    ui.deactivate("wc-1-17")
    assert [c[0] for c in Handler.calls] == ["POST", "POST", "POST"]


def test_errors_become_ui_errors(ui: UIClient) -> None:
    with pytest.raises(UIError, match="not JSON"):
        ui.request("broken")
    with pytest.raises(UIError, match=r"answered 500.*NotAliveException"):
        ui.request("fails")
    with pytest.raises(UIError, match="answered 404"):
        ui.request("missing")


def test_unreachable_ui_says_what_to_do() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, not listening: connection refused
        with pytest.raises(UIError, match=r"cannot reach the Storm UI.*sparse cluster status"):
            UIClient(f"http://127.0.0.1:{port}", timeout=5).cluster_summary()
