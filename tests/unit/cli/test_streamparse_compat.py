"""streamparse.util helpers users call, and topology files outside a project."""

from __future__ import annotations

import json
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from stormbridge.errors import ConfigError
from stormbridge.testing.nimbus import FakeNimbus
from stormbridge.thrift.nimbus import NimbusClient
from streamparse import util

REPO = Path(__file__).resolve().parents[3]


def test_topology_file_without_a_config_json(tmp_path: Path) -> None:
    shutil.copytree(REPO / "src", tmp_path / "src", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "topologies", tmp_path / "topologies")
    assert not any((p / "config.json").exists() for p in (tmp_path, *tmp_path.parents))
    cls = util.get_topology_from_file(tmp_path / "topologies" / "wordcount.py")
    assert cls.__name__ == "WordCount"
    assert [s.name for s in cls.specs] == ["word_spout", "count_bolt"]
    with pytest.raises(ConfigError, match="does not exist"):
        util.get_topology_from_file(tmp_path / "topologies" / "nope.py")


def test_topology_file_outside_the_projects_folder_is_refused(tmp_path: Path) -> None:
    config = {"topology_specs": "topologies/", "envs": {"e": {"nimbus": "h"}}}
    (tmp_path / "config.json").write_text(json.dumps(config))
    (tmp_path / "elsewhere").mkdir()
    stray = tmp_path / "elsewhere" / "t.py"
    stray.write_text("")
    with pytest.raises(ConfigError, match="not in the project's topology_specs folder"):
        util.get_topology_from_file(stray)


def test_die_and_warn(capsys: pytest.CaptureFixture[str]) -> None:
    util.warn("careful")
    with pytest.raises(SystemExit) as info:
        util.die("stop", 3)
    assert info.value.code == 3
    assert capsys.readouterr().err == "careful\nstop\n"


def test_nimbus_helpers() -> None:
    assert util.is_ssh_for_nimbus({}) is True
    assert util.is_ssh_for_nimbus({"use_ssh_for_nimbus": False}) is False
    with FakeNimbus() as nimbus:
        host, port = nimbus.address
        conf = util.get_nimbus_config({"nimbus": f"{host}:{port}"})
        assert isinstance(conf, dict)
        with NimbusClient(host, port) as client:
            assert isinstance(util.nimbus_storm_version(client), str)


def test_ui_json(tmp_path: Path) -> None:
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.path)
            body = json.dumps({"path": self.path}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        env = {"nimbus": "127.0.0.1:1", "ui.port": port}
        config = tmp_path / "config.json"
        config.write_text(json.dumps({"topology_specs": "t/", "envs": {"e": env}}))
        got = util.get_ui_json("e", "/api/v1/topology/summary", config_file=config)
        assert got == {"path": "/api/v1/topology/summary"}
        both = util.get_ui_jsons("e", ["/api/v1/cluster/summary", "/api/v1/nimbus/summary"], config)
        assert set(both) == {"/api/v1/cluster/summary", "/api/v1/nimbus/summary"}
    finally:
        server.shutdown()
        server.server_close()
