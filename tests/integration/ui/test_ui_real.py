"""The stormbridge UI server in front of a real Nimbus, with a real topology running.

Uses the session fixture ``storm_cluster`` (tests/integration/conftest.py): ZooKeeper, Nimbus,
a supervisor and the UI on 127.0.0.1. The word-count topology of the repository is submitted
with ``sparse submit``; then every endpoint is read over HTTP and checked for Storm's field
names and for numbers that make sense together, and the POST actions are checked through
Nimbus Thrift.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
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


def fetch_text(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=60) as resp:
            return resp.status, resp.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as err:
        with err:
            return err.code, err.read().decode("utf-8", "replace")


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


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _chromium(profile: Path, *args: str) -> str:
    assert CHROMIUM is not None, "no chromium: apt-get install -y chromium (make system-deps-test)"
    argv = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-first-run", f"--user-data-dir={profile}", "--virtual-time-budget=5000", *args,
    ]  # fmt: skip
    env = {**os.environ, "HOME": str(profile)}
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def _graph_in_browser(url: str, tmp_path: Path) -> None:
    """The topology page's SVG graph over the real topology: DOM, then a screenshot (kept in
    ``$STORMBRIDGE_SCREENSHOT_DIR`` when set, to look at)."""
    dom = _chromium(tmp_path / "dom", "--dump-dom", url)
    assert '<svg id="topology-graph"' in dom
    assert 'class="node spout" data-component="word_spout"' in dom
    assert re.search(r'class="node bolt cap-\w+" data-component="count_bolt"', dom)
    assert ">fields(word)</text>" in dom
    assert re.search(r">[1-9][0-9.]* out/s</text>", dom), "no spout rate above 0"
    assert re.search(r">[1-9][0-9.]* in/s</text>", dom), "no bolt rate above 0"
    shot = tmp_path / "topology-real.png"
    _chromium(tmp_path / "shot", "--hide-scrollbars", "--window-size=1200,900",
              f"--screenshot={shot}", url)  # fmt: skip
    png = shot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", png[16:24]) == (1200, 900)
    keep = os.environ.get("STORMBRIDGE_SCREENSHOT_DIR")
    if keep:
        shutil.copy(shot, Path(keep) / shot.name)


def test_ui_over_a_real_topology(running: tuple[str, str, NimbusClient], tmp_path: Path) -> None:
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

    # the topology graph: Storm's visualization JSON, and the page drawing it in Chromium
    graph = get(f"{api}/topology/{topo_id}/visualization")
    assert sorted(graph) == ["count_bolt", "word_spout"]
    [edge] = graph["count_bolt"][":inputs"]
    assert (edge[":component"], edge[":grouping"], edge[":fields"]) == (
        "word_spout",
        "fields",
        ["word"],
    )
    assert graph["word_spout"][":rate"] > 0 and graph["count_bolt"][":type"] == "bolt"
    assert "__acker" in get(f"{api}/topology/{topo_id}/visualization?sys=true")
    assert get(f"{api}/topology/{topo_id}/visualization-init")["visualizationTable"] == [
        [{"stream": "default", "sani-stream": "sdefault", "checked": True}]
    ]
    if CHROMIUM is not None or os.environ.get("CI"):
        _graph_in_browser(f"{ui}/topology.html?id={topo_id}", tmp_path)

    # log links: the worker's log through the cluster's logviewer (stormbridge's, on loopback)
    link = page["workers"][0]["workerLogLink"]
    assert link.startswith("http://127.0.0.1:") and link.endswith("%2Fworker.log"), link
    code, body = fetch_text(link + "&start=0&length=4096")
    assert code == 200 and '<pre id="logContent">' in body, body
    logviewer = link.split("/api/")[0]
    assert fetch_text(logviewer + "/api/v1/log?file=..%2F..%2F..%2Fetc%2Fpasswd")[0] == 403
    nimbus_log = get(api + "/nimbus/summary")["nimbuses"][0]["nimbusLogLink"]
    assert fetch_text(nimbus_log)[0] == 200

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
