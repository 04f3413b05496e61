"""stormbridge.ui.api on hand-built Thrift objects: exact numbers, Storm's field names."""

from __future__ import annotations

import json
from typing import Any

import pytest

from stormbridge.ui import api
from stormbridge.ui.stats import aggregate_components, executor_capacity, pretty_uptime, window_hint

from . import nimbus_data as data

TYPES = {"words": "spout", "count": "bolt", "late": "bolt", "__acker": "bolt"}


def page(window: str = ":all-time", sys: bool = False) -> dict[str, Any]:
    return api.topology_page(data.topology_info(), data.TOPOLOGY_CONF, window, sys, data.NOW, TYPES)


def by(rows: list[dict[str, Any]], key: str, value: str) -> dict[str, Any]:
    [row] = [r for r in rows if r[key] == value]
    return row


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, ""), (5, "5s"), (60, "1m 0s"), (3725, "1h 2m 5s"), (90061, "1d 1h 1m 1s")],
)
def test_pretty_uptime_like_storm(seconds: int, text: str) -> None:
    assert pretty_uptime(seconds) == text


def test_window_hints() -> None:
    assert [window_hint(w) for w in api.WINDOWS] == [
        "10m 0s",
        "3h 0m 0s",
        "1d 0h 0m 0s",
        "All time",
    ]


def test_spout_row_sums_executors_and_weights_complete_latency_by_acked() -> None:
    words = by(page()["spouts"], "spoutId", "words")
    assert words == {
        "spoutId": "words",
        "encodedSpoutId": "words",
        "executors": 2,
        "tasks": 2,
        "emitted": 150,  # __ack_init left out
        "transferred": 150,
        "acked": 120,
        "failed": 3,
        "completeLatency": "5.000",  # (4.0 * 90 + 8.0 * 30) / 120
        "lastError": "",
        "errorHost": "",
        "errorPort": None,
        "errorWorkerLogLink": "",
        "errorTime": None,
        "errorLapsedSecs": None,
    }


def test_bolt_row_latencies_weighted_by_executed_and_capacity_is_max() -> None:
    count = by(page()["bolts"], "boltId", "count")
    assert count["executors"] == 2
    assert count["tasks"] == 3
    assert (count["emitted"], count["transferred"]) == (60, 60)
    assert (count["acked"], count["failed"], count["executed"]) == (98, 2, 100)
    assert count["executeLatency"] == "3.000"  # (2.0 * 60 + 4.5 * 40) / 100
    assert count["processLatency"] == "1.800"  # (1.0 * 60 + 3.0 * 40) / 100
    # 600-window: [3-4] 60 * 2.0 ms over 300 s; [5-5] 15000 * 10.0 ms over 600 s -> 0.25
    assert count["capacity"] == "0.250"
    assert count["lastError"] == data.LONG_ERROR[:200]
    assert len(count["lastError"]) == 200
    assert (count["errorTime"], count["errorLapsedSecs"]) == (data.NOW - 50, 50)
    assert (count["errorHost"], count["errorPort"]) == ("127.0.0.1", 6700)


def test_executor_capacity_uses_the_600_window_and_uptime() -> None:
    info = data.topology_info()
    c, d = (e for e in info.executors if e.component_id == "count")
    assert executor_capacity(c) == pytest.approx(120 / 300_000)
    assert executor_capacity(d) == pytest.approx(0.25)


def test_component_without_stats_is_listed_with_zeros_when_its_type_is_known() -> None:
    late = by(page()["bolts"], "boltId", "late")
    assert (late["executors"], late["tasks"], late["executed"], late["emitted"]) == (1, 1, 0, 0)
    assert late["executeLatency"] == "0"
    # Without knowing its type it cannot be placed in spouts or bolts, as in Storm.
    bare = api.topology_page(data.topology_info(), data.TOPOLOGY_CONF, now=data.NOW)
    assert [b["boltId"] for b in bare["bolts"]] == ["count"]


def test_system_components_and_streams_only_with_sys() -> None:
    without = page()
    assert [b["boltId"] for b in without["bolts"]] == ["count", "late"]
    with_sys = page(sys=True)
    assert [b["boltId"] for b in with_sys["bolts"]] == ["__acker", "count", "late"]
    assert by(with_sys["spouts"], "spoutId", "words")["emitted"] == 300
    assert by(with_sys["bolts"], "boltId", "count")["emitted"] == 120
    acker = by(with_sys["bolts"], "boltId", "__acker")
    assert (acker["executed"], acker["executeLatency"], acker["processLatency"]) == (
        100,
        "0.250",
        "0.500",
    )


def test_topology_stats_per_window_count_spouts_for_acks() -> None:
    stats = {row["window"]: row for row in page()["topologyStats"]}
    assert list(stats) == ["600", "10800", "86400", ":all-time"]
    assert stats[":all-time"] == {
        "window": ":all-time",
        "windowPretty": "All time",
        "emitted": 210,  # words 150 + count 60
        "transferred": 210,
        "acked": 120,  # spouts only: the bolts' 98 acks are not tuple trees completed
        "failed": 3,
        "completeLatency": "5.000",
    }
    assert stats["600"] == {
        "window": "600",
        "windowPretty": "10m 0s",
        "emitted": 10,
        "transferred": 10,
        "acked": 8,
        "failed": 0,
        "completeLatency": "5.000",
    }
    assert (stats["10800"]["emitted"], stats["10800"]["transferred"]) == (100, 0)
    assert stats["10800"]["completeLatency"] == "0"
    sys_all = {row["window"]: row for row in page(sys=True)["topologyStats"]}[":all-time"]
    assert sys_all["emitted"] == 300 + 120 + 100


def test_selected_window_changes_component_rows() -> None:
    ten_minutes = page(window="600")
    assert ten_minutes["window"] == "600"
    assert ten_minutes["windowHint"] == "10m 0s"
    words = by(ten_minutes["spouts"], "spoutId", "words")
    assert (words["emitted"], words["acked"], words["failed"]) == (10, 8, 0)
    count = by(ten_minutes["bolts"], "boltId", "count")
    assert count["executed"] == 15060
    assert count["executeLatency"] == f"{(60 * 2.0 + 15000 * 10.0) / 15060:.3f}"
    assert count["processLatency"] == "0.000"  # no process latency reported for 600


def test_topology_page_header_fields() -> None:
    p = page()
    assert p["id"] == data.TOPOLOGY_ID
    assert p["encodedId"] == data.TOPOLOGY_ID
    assert (p["name"], p["status"], p["owner"]) == ("wordcount", "ACTIVE", "alice")
    assert (p["uptimeSeconds"], p["uptime"]) == (3725, "1h 2m 5s")
    assert (p["tasksTotal"], p["executorsTotal"], p["workersTotal"]) == (7, 6, 2)
    assert p["msgTimeout"] == 30
    assert p["configuration"] == data.TOPOLOGY_CONF
    assert p["stormVersion"] == "2.8.3"
    assert [(w["host"], w["port"], w["executorsTotal"]) for w in p["workers"]] == [
        ("127.0.0.1", 6700, 3),
        ("127.0.0.1", 6701, 3),
    ]
    assert p["workers"][0]["componentNumTasks"] == {"words": 2, "count": 2}
    json.dumps(p, allow_nan=False)  # plain JSON values only


def test_component_page_bolt() -> None:
    c = api.component_page(data.topology_info(), "count", now=data.NOW, component_types=TYPES)
    assert c["componentType"] == "bolt"
    assert (c["id"], c["name"], c["topologyId"]) == ("count", "wordcount", data.TOPOLOGY_ID)
    assert (c["executors"], c["tasks"]) == (2, 3)
    all_time = by(c["boltStats"], "window", ":all-time")
    assert all_time == {
        "window": ":all-time",
        "windowPretty": "All time",
        "emitted": 60,
        "transferred": 60,
        "acked": 98,
        "failed": 2,
        "executeLatency": "3.000",
        "executed": 100,
        "processLatency": "1.800",
        "capacity": "0.250",
    }
    assert c["inputStats"] == [
        {
            "component": "words",
            "encodedComponentId": "words",
            "stream": "default",
            "executeLatency": "3.000",
            "processLatency": "1.800",
            "executed": 100,
            "acked": 98,
            "failed": 2,
        }
    ]
    assert c["outputStats"] == [{"stream": "default", "emitted": 60, "transferred": 60}]
    first, second = c["executorStats"]
    assert (first["id"], first["port"], first["uptime"]) == ("[3-4]", 6700, "5m 0s")
    assert (first["executed"], first["executeLatency"], first["capacity"]) == (60, "2.000", "0.000")
    assert (second["id"], second["acked"], second["failed"]) == ("[5-5]", 38, 2)
    assert (second["executeLatency"], second["capacity"]) == ("4.500", "0.250")
    assert [e["error"] for e in c["componentErrors"]] == ["old error", data.LONG_ERROR]
    assert c["componentErrors"][0] == {
        "errorTime": data.NOW - 500,
        "errorHost": "h2",
        "errorPort": 6701,
        "errorWorkerLogLink": "",
        "errorLapsedSecs": 500,
        "error": "old error",
    }
    with_sys = api.component_page(data.topology_info(), "count", include_sys=True, now=data.NOW)
    assert with_sys["outputStats"] == [
        {"stream": "__ack_ack", "emitted": 60, "transferred": 60},
        {"stream": "default", "emitted": 60, "transferred": 60},
    ]


def test_component_page_spout() -> None:
    c = api.component_page(data.topology_info(), "words", now=data.NOW)
    assert c["componentType"] == "spout"
    summary = {row["window"]: row for row in c["spoutSummary"]}
    assert summary[":all-time"] == {
        "window": ":all-time",
        "windowPretty": "All time",
        "emitted": 150,
        "transferred": 150,
        "acked": 120,
        "failed": 3,
        "completeLatency": 5.0,  # a number here, as in Storm's spoutSummary
        "lastError": "",
    }
    assert summary["10800"]["completeLatency"] is None
    assert c["outputStats"] == [
        {
            "stream": "default",
            "emitted": 150,
            "transferred": 150,
            "completeLatency": "5.000",
            "acked": 120,
            "failed": 3,
        }
    ]
    assert [
        (e["id"], e["emitted"], e["acked"], e["completeLatency"]) for e in c["executorStats"]
    ] == [
        ("[1-1]", 100, 90, "4.000"),
        ("[2-2]", 50, 30, "8.000"),
    ]
    assert c["componentErrors"] == []
    assert "inputStats" not in c


def test_component_page_unknown_component() -> None:
    with pytest.raises(KeyError):
        api.component_page(data.topology_info(), "nope")


def test_cluster_summary() -> None:
    s = api.cluster_summary(data.cluster_info())
    assert s["stormVersion"] == "2.8.3"
    assert (s["supervisors"], s["topologies"]) == (2, 1)
    assert (s["slotsTotal"], s["slotsUsed"], s["slotsFree"]) == (6, 1, 5)
    assert (s["tasksTotal"], s["executorsTotal"]) == (7, 6)
    assert (s["totalMem"], s["totalCpu"], s["availMem"], s["availCpu"]) == (
        5096.0,
        400.0,
        4072.0,
        300.0,
    )
    assert s["memAssignedPercentUtil"] == "20.094"
    assert s["cpuAssignedPercentUtil"] == "25.000"


def test_nimbus_summary_lists_unseen_seeds_offline_but_not_loopback_ones() -> None:
    seeds = [("127.0.0.1", 6627), ("localhost", 6627), ("nimbus2.example", 6627)]
    rows = api.nimbus_summary(data.cluster_info(), seeds)["nimbuses"]
    assert rows == [
        {
            "host": "127.0.0.1",
            "port": 6627,
            "status": "Leader",
            "version": "2.8.3",
            "nimbusUpTimeSeconds": 90061,
            "nimbusUpTime": "1d 1h 1m 1s",
            "nimbusLogLink": "",
        },
        {
            "host": "nimbus2.example",
            "port": 6627,
            "status": "Offline",
            "version": "Not applicable",
            "nimbusUpTimeSeconds": "Not applicable",
            "nimbusUpTime": "Not applicable",
            "nimbusLogLink": "",
        },
    ]


def test_supervisor_summary() -> None:
    first, second = api.supervisor_summary(data.cluster_info())["supervisors"]
    assert first == {
        "id": "sup-1",
        "host": "127.0.0.1",
        "uptime": "1m 1s",
        "uptimeSeconds": 61,
        "blacklisted": False,
        "slotsTotal": 4,
        "slotsUsed": 1,
        "slotsFree": 3,
        "totalMem": 4096.0,
        "totalCpu": 400.0,
        "usedMem": 1024.0,
        "usedCpu": 100.0,
        "availMem": 3072.0,
        "availCpu": 300.0,
        "version": "2.8.3",
        "logLink": "",
    }
    assert (second["totalMem"], second["totalCpu"], second["usedMem"]) == (1000.0, 0.0, 0.0)


def test_topology_summary_rows() -> None:
    [row] = api.topology_summary([data.topology_summary()])["topologies"]
    assert {k: row[k] for k in ("id", "name", "status", "uptimeSeconds", "uptime")} == {
        "id": data.TOPOLOGY_ID,
        "name": "wordcount",
        "status": "ACTIVE",
        "uptimeSeconds": 3725,
        "uptime": "1h 2m 5s",
    }
    assert (row["tasksTotal"], row["workersTotal"], row["executorsTotal"]) == (7, 2, 6)
    assert (row["owner"], row["stormVersion"], row["encodedId"]) == (
        "alice",
        "2.8.3",
        data.TOPOLOGY_ID,
    )


def test_encoded_ids_are_url_encoded_like_java() -> None:
    info = data.topology_info()
    info.id = "my topo-1-2"
    assert api.topology_page(info, {}, now=data.NOW)["encodedId"] == "my+topo-1-2"


def test_aggregate_components_without_types_skips_nothing_it_can_classify() -> None:
    comps = aggregate_components(data.topology_info().executors, ":all-time", include_sys=False)
    assert sorted(comps) == ["count", "late", "words"]
    assert comps["late"].component_type is None
    assert comps["words"].component_type == "spout"


def test_cluster_configuration_must_be_an_object() -> None:
    assert api.cluster_configuration(json.dumps(data.NIMBUS_CONF)) == data.NIMBUS_CONF
    with pytest.raises(ValueError, match="not a JSON object"):
        api.cluster_configuration("[1, 2]")


def test_topology_operation_shape() -> None:
    assert api.topology_operation("t-1-2", "kill") == {
        "topologyOperation": "kill",
        "topologyId": "t-1-2",
        "status": "success",
    }
