"""The stormbridge UI server in front of a real Nimbus, with a real topology running.

Uses the session fixture ``storm_cluster`` (tests/integration/conftest.py): ZooKeeper, Nimbus,
a supervisor and the UI on 127.0.0.1. The word-count topology of the repository is submitted
with ``sparse submit``; then every endpoint is read over HTTP and checked for Storm's field
names and for numbers that make sense together, and the POST actions are checked through
Nimbus Thrift.
"""

from __future__ import annotations

import json
import shutil
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from stormbridge.cli.main import main
from stormbridge.thrift.nimbus import NimbusClient

pytestmark = [pytest.mark.storm, pytest.mark.slow, pytest.mark.timeout(900)]

REPO = Path(__file__).resolve().parents[3]
NAME = "it-ui-wordcount"


def _endpoints(cluster: Any) -> tuple[str, int, str]:
    """(Nimbus host, Nimbus port, UI base URL) from the cluster fixture."""
    host = getattr(cluster, "nimbus_host", None) or "127.0.0.1"
    port = getattr(cluster, "nimbus_port", None)
    if port is None:
        nimbus = cluster.nimbus
        if isinstance(nimbus, str):
            host, _, port = nimbus.rpartition(":")
        else:
            host, port = nimbus
    ui = getattr(cluster, "ui_url", None) or cluster.ui
    return str(host), int(port), str(ui).rstrip("/")


def http(url: str, method: str = "GET") -> tuple[int, Any]:
    req = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        with err:
            return err.code, json.loads(err.read())


def get(url: str) -> Any:
    status, body = http(url)
    assert status == 200, body
    return body


def poll(what: str, check: Callable[[], Any], deadline: float, interval: float = 3.0) -> Any:
    end = time.monotonic() + deadline
    last: Any = None
    while time.monotonic() < end:
        last = check()
        if last:
            return last
        time.sleep(interval)
    pytest.fail(f"{what}: not reached within {deadline:g} s (last: {last!r})")


@pytest.fixture
def running(storm_cluster: Any, tmp_path: Path) -> Iterator[tuple[str, str, NimbusClient]]:
    """(topology id, UI URL, Nimbus client) with the word count running; killed afterwards."""
    host, port, ui_url = _endpoints(storm_cluster)
    root = tmp_path / "wc"
    shutil.copytree(REPO / "src", root / "src", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "topologies", root / "topologies")
    ui = urlsplit(ui_url)
    config = {
        "serializer": "json",
        "topology_specs": "topologies/",
        "envs": {
            "it": {
                "nimbus": f"{host}:{port}",
                "ui.host": ui.hostname,
                "ui.port": ui.port,
                "options": {
                    "topology.workers": 1,
                    "topology.acker.executors": 1,
                    "topology.max.spout.pending": 500,
                },
            }
        },
    }
    (root / "config.json").write_text(json.dumps(config))
    client = NimbusClient(host, port, timeout=30)
    try:
        code = main(
            ["submit", "-n", "wordcount", "-N", NAME, "--config", str(root / "config.json")]
        )
        assert code == 0
        [summary] = [t for t in client.topologies() if t.name == NAME]
        yield summary.id, ui_url, client
    finally:
        if any(t.name == NAME for t in client.topologies()):
            client.kill(NAME, wait_secs=0, wait=True, deadline=120)
        client.close()


def test_ui_over_a_real_topology(running: tuple[str, str, NimbusClient]) -> None:
    topo_id, ui, nimbus = running
    api = ui + "/api/v1"

    cluster = get(api + "/cluster/summary")
    assert cluster["supervisors"] >= 1 and cluster["topologies"] >= 1
    assert cluster["stormVersion"].startswith("2.")
    nimbuses = get(api + "/nimbus/summary")["nimbuses"]
    assert [n["status"] for n in nimbuses] == ["Leader"]
    assert get(api + "/supervisor/summary")["supervisors"][0]["slotsTotal"] >= 1
    assert isinstance(get(api + "/cluster/configuration")["nimbus.seeds"], list)
    listed = {t["name"]: t for t in get(api + "/topology/summary")["topologies"]}
    assert listed[NAME]["id"] == topo_id

    seen: list[Any] = []

    def counted() -> Any:
        page = get(f"{api}/topology/{topo_id}")
        seen[:] = [{k: page[k] for k in ("status", "spouts", "bolts", "topologyStats")}]
        spouts = {s["spoutId"]: s for s in page["spouts"]}
        bolts = {b["boltId"]: b for b in page["bolts"]}
        if "word_spout" not in spouts or "count_bolt" not in bolts:
            return None
        # the classic word spout emits without message ids: nothing for the spout to ack
        spout, bolt = spouts["word_spout"], bolts["count_bolt"]
        ok = spout["emitted"] > 1000 and bolt["executed"] > 1000 and bolt["acked"] > 1000
        return page if ok else None

    try:
        page = poll("spout acks and bolt executions in the UI", counted, deadline=420)
    finally:
        print("last topology page:", json.dumps(seen))
    # The worker runs by now; the supervisor reports its used slots with its next heartbeat
    # (supervisor.heartbeat.frequency.secs, 5 s), which can lag behind the executors' stats.
    poll(
        "the running worker in the cluster's slotsUsed",
        lambda: get(api + "/cluster/summary")["slotsUsed"] >= 1,
        deadline=60,
    )
    spout = page["spouts"][0]
    bolt = {b["boltId"]: b for b in page["bolts"]}["count_bolt"]
    assert spout["failed"] == 0 and bolt["failed"] == 0
    assert spout["transferred"] == spout["emitted"]  # one consumer: count_bolt
    assert bolt["executors"] == 2 and bolt["tasks"] == 2 and bolt["lastError"] == ""
    assert float(bolt["executeLatency"]) > 0 and float(bolt["capacity"]) >= 0
    all_time = {w["window"]: w for w in page["topologyStats"]}[":all-time"]
    # the page is one snapshot of Nimbus's stats: the totals add up exactly
    assert all_time["emitted"] == spout["emitted"] + bolt["emitted"]
    assert all_time["acked"] == spout["acked"] and all_time["failed"] == 0
    assert page["msgTimeout"] == page["configuration"]["topology.message.timeout.secs"]
    assert all(not b["boltId"].startswith("__") for b in page["bolts"])
    with_sys = get(f"{api}/topology/{topo_id}?sys=true")
    assert "__acker" in {b["boltId"] for b in with_sys["bolts"]}

    comp = get(f"{api}/topology/{topo_id}/component/count_bolt")
    assert comp["componentType"] == "bolt" and comp["executors"] == 2
    assert [(i["component"], i["stream"]) for i in comp["inputStats"]] == [
        ("word_spout", "default")
    ]
    assert sum(e["executed"] for e in comp["executorStats"]) >= bolt["executed"]
    spout_page = get(f"{api}/topology/{topo_id}/component/word_spout")
    assert spout_page["componentType"] == "spout"
    assert spout_page["outputStats"][0]["stream"] == "default"

    # the POST actions reach Nimbus
    def status() -> str:
        return next(t.status for t in nimbus.topologies() if t.name == NAME)

    code, body = http(f"{api}/topology/{topo_id}/deactivate", "POST")
    assert (code, body["status"]) == (200, "success")
    assert status() == "INACTIVE"
    assert http(f"{api}/topology/{topo_id}/activate", "POST")[0] == 200
    assert status() == "ACTIVE"
    code, body = http(f"{api}/topology/{topo_id}/kill/0", "POST")
    assert body == {"topologyOperation": "kill", "topologyId": topo_id, "status": "success"}
    poll(
        "the killed topology to disappear",
        lambda: NAME not in {t.name for t in nimbus.topologies()},
        deadline=120,
        interval=1.0,
    )
    code, body = http(f"{api}/topology/{topo_id}")
    assert code == 500 and topo_id in body["errorMessage"]
