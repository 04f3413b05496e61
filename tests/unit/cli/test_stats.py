"""`sparse stats` against a real HTTP server on 127.0.0.1 serving Storm UI-shaped JSON."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from stormbridge.cli.main import main

TOPO_ID = "wordcount-1-1764140000"

ROUTES: dict[str, Any] = {
    "/api/v1/cluster/summary": {
        "stormVersion": "2.8.3",
        "supervisors": 1,
        "topologies": 1,
        "slotsTotal": 4,
        "slotsUsed": 1,
        "slotsFree": 3,
        "executorsTotal": 5,
        "tasksTotal": 5,
    },
    "/api/v1/topology/summary": {
        "topologies": [
            {
                "id": TOPO_ID,
                "encodedId": TOPO_ID,
                "name": "wordcount",
                "status": "ACTIVE",
                "uptimeSeconds": 61,
                "tasksTotal": 5,
                "workersTotal": 1,
                "executorsTotal": 5,
            }
        ]
    },
    f"/api/v1/topology/{TOPO_ID}": {
        "id": TOPO_ID,
        "name": "wordcount",
        "status": "ACTIVE",
        "uptime": "1m 1s",
        "uptimeSeconds": 61,
        "workersTotal": 1,
        "executorsTotal": 5,
        "tasksTotal": 5,
        "topologyStats": [
            {
                "window": ":all-time",
                "windowPretty": "All time",
                "emitted": 12340,
                "transferred": 12340,
                "acked": 6170,
                "failed": 0,
                "completeLatency": "1.234",
            }
        ],
        "spouts": [
            {
                "spoutId": "word_spout",
                "executors": 1,
                "tasks": 1,
                "emitted": 6170,
                "acked": 6170,
                "failed": 0,
                "completeLatency": "1.234",
                "lastError": "",
            }
        ],
        "bolts": [
            {
                "boltId": "count_bolt",
                "executors": 2,
                "tasks": 2,
                "emitted": 6170,
                "executed": 6170,
                "acked": 6170,
                "failed": 0,
                "processLatency": "0.050",
                "capacity": "0.010",
                "lastError": "Traceback (most recent call last):\nZeroDivisionError: boom",
            }
        ],
    },
    f"/api/v1/topology/{TOPO_ID}/component/count_bolt": {
        "componentType": "bolt",
        "executors": 2,
        "tasks": 2,
        "inputStats": [
            {
                "component": "word_spout",
                "stream": "default",
                "executed": 6170,
                "acked": 6170,
                "failed": 0,
                "executeLatency": "0.04",
                "processLatency": "0.05",
            }
        ],
        "outputStats": [{"stream": "default", "emitted": 6170, "transferred": 6170}],
        "executorStats": [],
        "componentErrors": [
            {
                "error": "Traceback (most recent call last):\nZeroDivisionError: boom",
                "errorHost": "127.0.0.1",
                "errorPort": 6700,
                "errorTime": 1764140050,
            }
        ],
    },
}


class Handler(BaseHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self) -> None:
        path = unquote(urlsplit(self.path).path)
        Handler.requests.append(self.path)
        if path in ROUTES:
            body, status = json.dumps(ROUTES[path]).encode(), 200
        else:
            body = json.dumps({"error": "Internal Server Error", "errorMessage": "NotAlive\nx"})
            body, status = body.encode(), 500
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def ui_port() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def config(make_project: Callable[..., Path], ui_port: int) -> Path:
    return make_project({"local": {"nimbus": "127.0.0.1:1", "ui.port": ui_port}})


def test_stats_topology(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stats", "--config", str(config), "-n", "wordcount"]) == 0
    out = capsys.readouterr().out
    assert f"Topology wordcount ({TOPO_ID}): ACTIVE" in out
    spout_row = next(line for line in out.splitlines() if line.startswith("word_spout"))
    assert spout_row.split()[:6] == ["word_spout", "1", "1", "6170", "6170", "0"]
    bolt_row = next(line for line in out.splitlines() if line.startswith("count_bolt"))
    assert bolt_row.split()[:7] == ["count_bolt", "2", "2", "6170", "6170", "6170", "0"]
    assert bolt_row.endswith("ZeroDivisionError: boom")
    assert any("window=%3Aall-time" in r for r in Handler.requests)


def test_stats_component(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stats", "--config", str(config), "-n", "wordcount", "-c", "count_bolt"]) == 0
    out = capsys.readouterr().out
    assert "bolt count_bolt of wordcount-1-1764140000: 2 executors, 2 tasks" in out
    assert "Errors (1)" in out and "--- 127.0.0.1:6700" in out
    row = next(line for line in out.splitlines() if line.startswith("word_spout"))
    assert row.split()[:5] == ["word_spout", "default", "6170", "6170", "0"]


def test_stats_all(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stats", "--config", str(config), "--all"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Storm 2.8.3 at http://127.0.0.1:")
    assert "Topology wordcount" in out and "count_bolt" in out


def test_stats_unknown_topology(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stats", "--config", str(config), "-n", "nope"]) == 1
    err = capsys.readouterr().err
    assert "no topology named 'nope' is running" in err and "running: wordcount" in err


def test_stats_unknown_component_shows_ui_message(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["stats", "--config", str(config), "-n", "wordcount", "-c", "x"]) == 1
    err = capsys.readouterr().err
    assert "answered 500" in err and "NotAlive" in err


def test_stats_ui_down(
    make_project: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = make_project({"local": {"nimbus": "127.0.0.1", "ui.port": port}})
    assert main(["stats", "--config", str(config), "-n", "wc", "--timeout", "3"]) == 1
    err = capsys.readouterr().err
    assert f"cannot reach the Storm UI at http://127.0.0.1:{port}" in err
    assert "sparse cluster status" in err
