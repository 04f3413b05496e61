"""Fixtures: a scripted Thrift Nimbus and the UI server in front of it, both on 127.0.0.1."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from stormbridge.ui.backend import NimbusBackend
from stormbridge.ui.server import UIServer, make_server

from . import nimbus_data as data
from .scripted_nimbus import ScriptedNimbus

HTTP_TIMEOUT = 30.0


@dataclass
class Reply:
    status: int
    headers: Any
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def request(url: str, method: str = "GET", headers: dict[str, str] | None = None) -> Reply:
    req = urllib.request.Request(url, method=method, headers=headers or {})
    if method == "POST":
        req.data = b""
    try:
        with urllib.request.urlopen(req, timeout=HTTP_TIMEOUT) as resp:
            return Reply(resp.status, resp.headers, resp.read())
    except urllib.error.HTTPError as err:
        with err:
            return Reply(err.code, err.headers, err.read())


@pytest.fixture
def nimbus() -> Iterator[ScriptedNimbus]:
    server = ScriptedNimbus()
    try:
        yield server
    finally:
        server.close()


def serve(backend: NimbusBackend) -> Iterator[UIServer]:
    server = make_server(backend, "127.0.0.1", 0, clock=lambda: float(data.NOW))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def ui(nimbus: ScriptedNimbus) -> Iterator[UIServer]:
    yield from serve(NimbusBackend([("127.0.0.1", nimbus.port)], timeout=10.0))
