"""The UI server over real HTTP on 127.0.0.1, in front of a real Thrift Nimbus."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from stormbridge.ui.backend import NimbusBackend
from stormbridge.ui.server import UIServer, _is_loopback

from . import nimbus_data as data
from .conftest import request, serve
from .scripted_nimbus import ScriptedNimbus

TOPO = data.TOPOLOGY_ID


def get_json(ui: UIServer, path: str) -> dict:
    reply = request(ui.url + path)
    assert reply.status == 200, reply.body
    assert reply.headers["Content-Type"] == "application/json;charset=utf-8"
    return reply.json()


def test_cluster_summary_fields(ui: UIServer) -> None:
    summary = get_json(ui, "/api/v1/cluster/summary")
    for key in (
        "stormVersion",
        "supervisors",
        "topologies",
        "slotsTotal",
        "slotsUsed",
        "slotsFree",
        "executorsTotal",
        "tasksTotal",
        "totalMem",
        "totalCpu",
    ):
        assert key in summary
    assert (summary["supervisors"], summary["topologies"], summary["slotsTotal"]) == (2, 1, 6)


def test_nimbus_supervisor_topology_summaries_and_configuration(ui: UIServer) -> None:
    [nimbus] = get_json(ui, "/api/v1/nimbus/summary")["nimbuses"]
    assert (nimbus["host"], nimbus["port"], nimbus["status"]) == ("127.0.0.1", 6627, "Leader")
    sups = get_json(ui, "/api/v1/supervisor/summary")["supervisors"]
    assert [s["id"] for s in sups] == ["sup-1", "sup-2"]
    [topo] = get_json(ui, "/api/v1/topology/summary")["topologies"]
    assert (topo["id"], topo["name"], topo["status"]) == (TOPO, "wordcount", "ACTIVE")
    assert get_json(ui, "/api/v1/cluster/configuration") == data.NIMBUS_CONF


def test_topology_page_by_id_and_by_name(ui: UIServer) -> None:
    page = get_json(ui, f"/api/v1/topology/{TOPO}")
    assert page["window"] == ":all-time"
    assert [s["spoutId"] for s in page["spouts"]] == ["words"]
    # "late" has no stats yet: its kind comes from getTopology
    assert [b["boltId"] for b in page["bolts"]] == ["count", "late"]
    count = page["bolts"][0]
    assert (count["executed"], count["executeLatency"], count["capacity"]) == (
        100,
        "3.000",
        "0.250",
    )
    assert count["lastError"] == data.LONG_ERROR[:200]
    assert count["errorLapsedSecs"] == 50  # the server's clock is data.NOW
    assert page["msgTimeout"] == 30
    assert get_json(ui, "/api/v1/topology/wordcount")["id"] == TOPO


def test_window_and_sys_parameters(ui: UIServer) -> None:
    page = get_json(ui, f"/api/v1/topology/{TOPO}?window=600&sys=true")
    assert page["window"] == "600"
    assert [b["boltId"] for b in page["bolts"]] == ["__acker", "count", "late"]
    assert page["spouts"][0]["emitted"] == 20  # 10 default + 10 __ack_init
    not_sys = get_json(ui, f"/api/v1/topology/{TOPO}?window=600&sys=1")  # only "true" is true
    assert [b["boltId"] for b in not_sys["bolts"]] == ["count", "late"]


def test_component_page(ui: UIServer) -> None:
    comp = get_json(ui, f"/api/v1/topology/{TOPO}/component/count")
    assert comp["componentType"] == "bolt"
    assert (comp["executors"], comp["tasks"]) == (2, 3)
    assert [e["error"] for e in comp["componentErrors"]] == ["old error", data.LONG_ERROR]
    assert comp["inputStats"][0]["component"] == "words"
    spout = get_json(ui, f"/api/v1/topology/{TOPO}/component/words?window=600")
    assert spout["componentType"] == "spout"
    assert spout["outputStats"][0]["acked"] == 8
    late = get_json(ui, f"/api/v1/topology/{TOPO}/component/late")
    assert late["componentType"] == "bolt"
    assert late["executorStats"][0]["executed"] == 0


def test_unknown_component_and_topology(ui: UIServer) -> None:
    reply = request(ui.url + f"/api/v1/topology/{TOPO}/component/nope")
    assert reply.status == 404
    assert reply.json() == {
        "error": "404 Not Found",
        "errorMessage": f"topology {TOPO} has no component 'nope'",
    }
    gone = request(ui.url + "/api/v1/topology/ghost-1-1")
    assert gone.status == 500
    body = gone.json()
    assert body["error"] == "500 Server Error"
    assert "ghost-1-1 is not alive" in body["errorMessage"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/nope",
        "/api/v1/topology",
        "/api/v1/topology/x/y/z/w",
        "/etc/passwd",
        "/../stormbridge/ui/server.py",
        "/static/ui.js",
        "/api/v2/cluster/summary",
    ],
)
def test_unknown_paths_are_404_json(ui: UIServer, path: str) -> None:
    reply = request(ui.url + path)
    assert reply.status == 404
    assert reply.json()["error"] == "404 Not Found"


def test_static_page_and_assets(ui: UIServer) -> None:
    for path in ("/", "/index.html", "/topology.html?id=x", "/component.html?id=a&topology_id=b"):
        reply = request(ui.url + path)
        assert reply.status == 200
        assert reply.headers["Content-Type"] == "text/html; charset=utf-8"
        assert b'<script src="/ui.js"></script>' in reply.body
    js = request(ui.url + "/ui.js")
    assert js.status == 200 and b"/api/v1/" in js.body
    assert request(ui.url + "/ui.css").headers["Content-Type"] == "text/css; charset=utf-8"


def test_post_operations_reach_nimbus(ui: UIServer, nimbus: ScriptedNimbus) -> None:
    base = f"{ui.url}/api/v1/topology/{TOPO}"
    reply = request(base + "/deactivate", "POST")
    assert reply.status == 200
    assert reply.json() == {
        "topologyOperation": "deactivate",
        "topologyId": TOPO,
        "status": "success",
    }
    assert nimbus.handler.status == "INACTIVE"
    assert request(base + "/activate", "POST").json()["topologyOperation"] == "activate"
    assert nimbus.handler.status == "ACTIVE"
    assert request(base + "/rebalance/7", "POST").status == 200
    assert (nimbus.handler.status, nimbus.handler.rebalance_wait) == ("REBALANCING", 7)
    # the same-origin page's own request (Origin matches Host) is allowed
    host = ui.url.removeprefix("http://")
    ok = request(base + "/kill/0", "POST", {"Origin": ui.url, "Host": host})
    assert ok.json()["topologyOperation"] == "kill"
    assert (nimbus.handler.status, nimbus.handler.kill_wait) == ("KILLED", 0)


def test_post_from_another_origin_is_refused(ui: UIServer, nimbus: ScriptedNimbus) -> None:
    base = f"{ui.url}/api/v1/topology/{TOPO}"
    for origin in ("http://evil.example", "null"):
        reply = request(base + "/kill/0", "POST", {"Origin": origin})
        assert reply.status == 403
        assert reply.json()["error"] == "403 Forbidden"
    assert nimbus.handler.status == "ACTIVE"


def test_bad_posts(ui: UIServer, nimbus: ScriptedNimbus) -> None:
    base = f"{ui.url}/api/v1/topology/{TOPO}"
    bad_wait = request(base + "/kill/soon", "POST")
    assert bad_wait.status == 500
    assert "whole number" in bad_wait.json()["errorMessage"]
    assert request(base + "/explode", "POST").status == 404
    assert request(base + "/kill/0").status == 404  # GET on an action path does nothing
    assert request(ui.url + "/api/v1/topology/ghost-1-1/activate", "POST").status == 500
    assert nimbus.handler.status == "ACTIVE"


def test_loopback_detection() -> None:
    assert _is_loopback("127.0.0.1") and _is_loopback("127.8.9.1") and _is_loopback("::1")
    assert not _is_loopback("10.0.0.1") and not _is_loopback("192.168.1.2")
    assert not _is_loopback("example.com")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def ui_nimbus_down() -> Iterator[UIServer]:
    yield from serve(NimbusBackend([("127.0.0.1", free_port())], timeout=2.0))


def test_nimbus_down_gives_error_json(ui_nimbus_down: UIServer) -> None:
    for path in ("/api/v1/cluster/summary", f"/api/v1/topology/{TOPO}"):
        reply = request(ui_nimbus_down.url + path)
        assert reply.status == 500
        body = reply.json()
        assert body["error"] == "500 Server Error"
        assert "cannot reach Nimbus at 127.0.0.1" in body["errorMessage"]
    assert request(ui_nimbus_down.url + "/").status == 200  # the page itself still loads


@pytest.fixture
def silent_nimbus() -> Iterator[int]:
    """A port that accepts TCP connections (kernel backlog) but never answers."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(8)
        yield s.getsockname()[1]


def test_nimbus_that_never_answers_times_out(silent_nimbus: int) -> None:
    for ui in serve(NimbusBackend([("127.0.0.1", silent_nimbus)], timeout=1.0)):
        reply = request(ui.url + "/api/v1/cluster/summary")  # returns, well within 30 s
        assert reply.status == 500
        assert "did not answer getClusterInfo" in reply.json()["errorMessage"]


KILLED = (
    "java.lang.RuntimeException: Python subprocess of component 'count' task 3 (pid 4242) "
    "was killed by signal 9 (SIGKILL) (exit status 137). On a cluster the worker exits and Storm "
    "restarts it.\n\tat stormbridge.multilang.ShellComponents.dying(ShellComponents.java:91)"
)


def _keep_death(nimbus: ScriptedNimbus, secs_ago: int) -> None:
    """Nimbus keeps KILLED, reported ``secs_ago``, as the count bolt's last error."""
    died = nimbus.handler.t.ErrorInfo(
        error=KILLED, error_time_secs=data.NOW - secs_ago, host="127.0.0.1", port=6700
    )
    nimbus.handler.kept_errors = {"count": [died]}


def _count_bolt(page: dict) -> dict:
    return next(b for b in page["bolts"] if b["boltId"] == "count")


def test_last_error_stays_after_the_recent_errors_vanished(
    ui: UIServer, nimbus: ScriptedNimbus
) -> None:
    """The worker died: Storm's recent errors are gone, Nimbus's kept last error is not."""
    _keep_death(nimbus, 30)
    nimbus.handler.recent_errors_gone = True
    page = get_json(ui, f"/api/v1/topology/{TOPO}")
    count = _count_bolt(page)
    assert count["lastError"] == KILLED[:200]
    assert "killed by signal 9 (SIGKILL)" in count["lastError"]
    assert (count["errorTime"], count["errorLapsedSecs"], count["errorPort"]) == (
        data.NOW - 30,
        30,
        6700,
    )
    words = page["spouts"][0]
    assert words["lastError"] == ""  # no error kept for it
    comp = get_json(ui, f"/api/v1/topology/{TOPO}/component/count")
    assert [e["error"] for e in comp["componentErrors"]] == [KILLED]


def test_kept_last_error_newer_than_the_recent_ones_is_shown_once(
    ui: UIServer, nimbus: ScriptedNimbus
) -> None:
    _keep_death(nimbus, 5)
    page = get_json(ui, f"/api/v1/topology/{TOPO}")
    count = _count_bolt(page)
    assert count["lastError"] == KILLED[:200]
    comp = get_json(ui, f"/api/v1/topology/{TOPO}/component/count")
    assert [e["error"] for e in comp["componentErrors"]] == ["old error", data.LONG_ERROR, KILLED]
    # The kept error equals the newest recent one (the usual case): listed once.
    nimbus.handler.kept_errors = None
    comp = get_json(ui, f"/api/v1/topology/{TOPO}/component/count")
    assert [e["error"] for e in comp["componentErrors"]] == ["old error", data.LONG_ERROR]
