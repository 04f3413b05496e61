"""Readers of "the Storm UI REST API" work against this server unchanged: the project's own
UIClient and ``sparse stats`` (written against Storm's documented JSON) read it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stormbridge.cli.main import main
from stormbridge.ui.client import UIClient
from stormbridge.ui.server import UIServer

from . import nimbus_data as data
from .scripted_nimbus import ScriptedNimbus


def test_ui_client_reads_every_summary(ui: UIServer, nimbus: ScriptedNimbus) -> None:
    client = UIClient(ui.url, timeout=30)
    summary = client.cluster_summary()
    assert (summary.supervisors, summary.topologies, summary.slots_total) == (2, 1, 6)
    assert summary.storm_version == "2.8.3"
    [leader] = client.nimbus_summary()
    assert (leader.status, leader.uptime_seconds) == ("Leader", 90061)
    assert [s.id for s in client.supervisor_summary()] == ["sup-1", "sup-2"]
    assert client.topology_id("wordcount") == data.TOPOLOGY_ID
    page = client.topology_by_name("wordcount")
    assert page["spouts"][0]["acked"] == 120
    assert client.component(data.TOPOLOGY_ID, "count")["componentType"] == "bolt"
    assert client.kill(data.TOPOLOGY_ID, wait_secs=3)["status"] == "success"
    assert (nimbus.handler.status, nimbus.handler.kill_wait) == ("KILLED", 3)


@pytest.fixture
def config(tmp_path: Path, ui: UIServer) -> Path:
    root = tmp_path / "proj"
    (root / "topologies").mkdir(parents=True)
    (root / "src").mkdir()
    port = ui.server_address[1]
    envs = {"local": {"nimbus": "127.0.0.1:1", "ui.port": port}}
    path = root / "config.json"
    path.write_text(json.dumps({"topology_specs": "topologies/", "envs": envs}))
    return path


def test_sparse_stats_reads_this_server(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stats", "--config", str(config), "-n", "wordcount"]) == 0
    out = capsys.readouterr().out
    assert "words" in out and "count" in out
    assert "120" in out  # the spout's acked count
    assert main(["stats", "--config", str(config), "-n", "wordcount", "-c", "count"]) == 0
    detail = capsys.readouterr().out
    assert "2 executors, 3 tasks" in detail
    assert "ValueError: boom" in detail and "old error" in detail
