"""The topology graph (`/api/v1/topology/{id}/visualization`, `visualization-init` and the topology
page's `visualizationTable`): Storm's JSON shape, from real Thrift structs and over HTTP."""

from __future__ import annotations

from typing import Any

from stormbridge.ui.server import UIServer
from stormbridge.ui.visualization import sanitize_stream, visualization, visualization_table

from . import nimbus_data as data
from .conftest import request


def wired_topology() -> Any:
    """words -(fields word)-> count -(shuffle, stream "totals")-> report; words -> __acker."""
    t = data.st()
    shell = t.ComponentObject(shell=t.ShellComponent(execution_command="python3", script="x.py"))

    def common(inputs: dict[Any, Any]) -> Any:
        return t.ComponentCommon(inputs=inputs, streams={})

    words = t.GlobalStreamId(componentId="words", streamId="default")
    totals = t.GlobalStreamId(componentId="count", streamId="totals")
    ack_init = t.GlobalStreamId(componentId="words", streamId="__ack_init")
    return t.StormTopology(
        spouts={"words": t.SpoutSpec(spout_object=shell, common=common({}))},
        bolts={
            "count": t.Bolt(bolt_object=shell, common=common({words: t.Grouping(fields=["word"])})),
            "late": t.Bolt(
                bolt_object=shell, common=common({totals: t.Grouping(shuffle=t.NullStruct())})
            ),
            "__acker": t.Bolt(
                bolt_object=shell, common=common({ack_init: t.Grouping(fields=["id"])})
            ),
        },
        state_spouts={},
    )


def test_components_inputs_and_numbers() -> None:
    graph = visualization(data.topology_info(), wired_topology(), ":all-time", False)
    assert sorted(graph) == ["count", "late", "words"]  # no system component without sys
    words, count, late = graph["words"], graph["count"], graph["late"]
    assert words[":type"] == "spout" and count[":type"] == "bolt"
    assert words[":inputs"] == [] and words[":capacity"] == 0
    assert count[":inputs"] == [
        {
            ":component": "words",
            ":stream": "default",
            ":sani-stream": "sdefault",
            ":grouping": "fields",
            ":fields": ["word"],
        }
    ]
    assert late[":inputs"][0][":grouping"] == "shuffle"
    assert late[":inputs"][0][":stream"] == "totals"
    # capacity: max over executors of executed(600) * execute latency / min(uptime, 600) s
    assert count[":capacity"] == 15000 * 10.0 / (600 * 1000)
    assert count[":latency"] == "1.800"  # (60 x 1.0 + 40 x 3.0) / 100 executed
    assert words[":latency"] == "5.000"  # (90 x 4.0 + 30 x 8.0) / 120 acked
    assert words[":transferred"] == {"default": 150}  # __ack_init left out
    assert words[":emitted"] == 150
    assert words[":rate"] == round(10 / 600, 3)  # 10 tuples in the last 600 s
    assert count[":rate"] == round((60 + 15000) / 600, 3)  # a bolt: executed in 600 s
    assert late[":stats"] == [
        {":host": "127.0.0.1", ":port": 6701, ":uptime_secs": 5, ":transferred": None}
    ]
    assert words[":stats"][0][":transferred"][":all-time"] == {"sdefault": 100}
    assert count[":link"] == f"/component.html?id=count&topology_id={data.TOPOLOGY_ID}"


def test_system_components_and_streams_with_sys() -> None:
    graph = visualization(data.topology_info(), wired_topology(), ":all-time", True)
    assert "__acker" in graph
    assert graph["__acker"][":inputs"][0][":stream"] == "__ack_init"
    table = visualization_table(graph)
    assert table == [
        [
            {"stream": "__ack_init", "sani-stream": "s__ack_init", "checked": False},
            {"stream": "default", "sani-stream": "sdefault", "checked": True},
            {"stream": "totals", "sani-stream": "stotals", "checked": True},
        ]
    ]
    assert sanitize_stream("a b/<c>") == "sa_b__c_"


def test_streams_four_to_a_row() -> None:
    graph = {f"b{i}": {":inputs": [{":stream": f"st{i}", ":component": "s"}]} for i in range(6)}
    rows = visualization_table(graph)
    assert [len(r) for r in rows] == [4, 2]


def test_over_http(ui: UIServer) -> None:
    base = f"{ui.url}/api/v1/topology/{data.TOPOLOGY_ID}"
    reply = request(base + "/visualization")
    assert reply.status == 200
    graph = reply.json()
    assert sorted(graph) == ["count", "late", "words"]
    assert graph["count"][":capacity"] == 0.25
    assert request(base + "/visualization?sys=true").json().keys() >= {"__acker"}
    init = request(base + "/visualization-init").json()
    assert init == {"visualizationTable": []}  # this topology has no inputs
    by_name = request(f"{ui.url}/api/v1/topology/{data.TOPOLOGY_NAME}/visualization")
    assert by_name.status == 200
    assert request(f"{ui.url}/api/v1/topology/nope/visualization").status == 500
    assert request(base + "/visualization/extra").status == 404
    assert request(base).json()["visualizationTable"] == []
