"""Hand-built Nimbus answers (Thrift objects from stormbridge's IDL) with known numbers.

The word-count topology ``wordcount-7-1764140000`` has:

* spout ``words``: executors [1-1] and [2-2];
* bolt ``count``: executors [3-4] (two tasks) and [5-5];
* system bolt ``__acker``: executor [6-6];
* bolt ``late``: executor [7-7] that has not reported stats yet.

Expected values are worked out by hand in the tests that use them.
"""

from __future__ import annotations

from typing import Any

from stormbridge.thrift import storm_thrift

TOPOLOGY_ID = "wordcount-7-1764140000"
TOPOLOGY_NAME = "wordcount"
NOW = 1_764_150_000
LONG_ERROR = (
    "Traceback (most recent call last):\n"
    + "  File 'count.py', line 9\n" * 12
    + ("ValueError: boom")
)


def st() -> Any:
    return storm_thrift()


def _all_windows(value: dict[Any, Any]) -> dict[str, dict[Any, Any]]:
    return {w: dict(value) for w in ("600", "10800", "86400", ":all-time")}


def words_executor(start: int, stats: Any, uptime: int = 900) -> Any:
    t = st()
    return t.ExecutorSummary(
        executor_info=t.ExecutorInfo(task_start=start, task_end=start),
        component_id="words",
        host="127.0.0.1",
        port=6700,
        uptime_secs=uptime,
        stats=stats,
    )


def topology_info() -> Any:
    t = st()
    g = t.GlobalStreamId(componentId="words", streamId="default")
    g_ack = t.GlobalStreamId(componentId="words", streamId="__ack_init")

    spout_a = t.ExecutorStats(
        emitted={
            ":all-time": {"default": 100, "__ack_init": 100},
            "600": {"default": 10, "__ack_init": 10},
            "10800": {"default": 100, "__ack_init": 100},
            "86400": {"default": 100, "__ack_init": 100},
        },
        transferred={
            ":all-time": {"default": 100, "__ack_init": 100},
            "600": {"default": 10, "__ack_init": 10},
        },
        specific=t.SpecificStats(
            spout=t.SpoutStats(
                acked={":all-time": {"default": 90}, "600": {"default": 8}},
                failed={":all-time": {"default": 2}},
                complete_ms_avg={":all-time": {"default": 4.0}, "600": {"default": 5.0}},
            )
        ),
        rate=0.0,
    )
    spout_b = t.ExecutorStats(
        emitted={":all-time": {"default": 50, "__ack_init": 50}},
        transferred={":all-time": {"default": 50, "__ack_init": 50}},
        specific=t.SpecificStats(
            spout=t.SpoutStats(
                acked={":all-time": {"default": 30}},
                failed={":all-time": {"default": 1}},
                complete_ms_avg={":all-time": {"default": 8.0}},
            )
        ),
        rate=0.0,
    )
    bolt_c = t.ExecutorStats(
        emitted={":all-time": {"default": 60, "__ack_ack": 60}},
        transferred={":all-time": {"default": 60, "__ack_ack": 60}},
        specific=t.SpecificStats(
            bolt=t.BoltStats(
                acked={":all-time": {g: 60}},
                failed={":all-time": {g: 0}},
                process_ms_avg={":all-time": {g: 1.0}},
                executed={":all-time": {g: 60}, "600": {g: 60}},
                execute_ms_avg={":all-time": {g: 2.0}, "600": {g: 2.0}},
            )
        ),
        rate=0.0,
    )
    bolt_d = t.ExecutorStats(
        emitted={":all-time": {}},
        transferred={":all-time": {}},
        specific=t.SpecificStats(
            bolt=t.BoltStats(
                acked={":all-time": {g: 38}},
                failed={":all-time": {g: 2}},
                process_ms_avg={":all-time": {g: 3.0}},
                executed={":all-time": {g: 40}, "600": {g: 15000}},
                execute_ms_avg={":all-time": {g: 4.5}, "600": {g: 10.0}},
            )
        ),
        rate=0.0,
    )
    acker = t.ExecutorStats(
        emitted={":all-time": {"__ack_ack": 100}},
        transferred={":all-time": {"__ack_ack": 100}},
        specific=t.SpecificStats(
            bolt=t.BoltStats(
                acked={":all-time": {g_ack: 100}},
                failed={},
                process_ms_avg={":all-time": {g_ack: 0.5}},
                executed={":all-time": {g_ack: 100}},
                execute_ms_avg={":all-time": {g_ack: 0.25}},
            )
        ),
        rate=0.0,
    )

    def executor(start: int, end: int, cid: str, stats: Any, uptime: int) -> Any:
        return t.ExecutorSummary(
            executor_info=t.ExecutorInfo(task_start=start, task_end=end),
            component_id=cid,
            host="127.0.0.1",
            port=6700 if start < 5 else 6701,
            uptime_secs=uptime,
            stats=stats,
        )

    return t.TopologyInfo(
        id=TOPOLOGY_ID,
        name=TOPOLOGY_NAME,
        uptime_secs=3725,
        executors=[
            executor(1, 1, "words", spout_a, 900),
            executor(2, 2, "words", spout_b, 900),
            executor(3, 4, "count", bolt_c, 300),
            executor(5, 5, "count", bolt_d, 1200),
            executor(6, 6, "__acker", acker, 900),
            executor(7, 7, "late", None, 5),
        ],
        status="ACTIVE",
        errors={
            "count": [
                t.ErrorInfo(
                    error=LONG_ERROR, error_time_secs=NOW - 50, host="127.0.0.1", port=6700
                ),
                t.ErrorInfo(error="old error", error_time_secs=NOW - 500, host="h2", port=6701),
            ]
        },
        storm_version="2.8.3",
        owner="alice",
    )


def storm_topology() -> Any:
    """What ``getTopology`` answers: the components and their kinds."""
    t = st()
    common = t.ComponentCommon(inputs={}, streams={})
    shell = t.ComponentObject(shell=t.ShellComponent(execution_command="python3", script="x.py"))
    return t.StormTopology(
        spouts={"words": t.SpoutSpec(spout_object=shell, common=common)},
        bolts={
            name: t.Bolt(bolt_object=shell, common=common) for name in ("count", "late", "__acker")
        },
        state_spouts={},
    )


def cluster_info() -> Any:
    t = st()
    return t.ClusterSummary(
        supervisors=[
            t.SupervisorSummary(
                host="127.0.0.1",
                uptime_secs=61,
                num_workers=4,
                num_used_workers=1,
                supervisor_id="sup-1",
                version="2.8.3",
                total_resources={"memory.mb": 4096.0, "cpu.pcore.percent": 400.0},
                used_mem=1024.0,
                used_cpu=100.0,
            ),
            t.SupervisorSummary(
                host="127.0.0.2",
                uptime_secs=3600,
                num_workers=2,
                num_used_workers=0,
                supervisor_id="sup-2",
                total_resources={"supervisor.memory.capacity.mb": 1000.0},
            ),
        ],
        topologies=[topology_summary()],
        nimbuses=[
            t.NimbusSummary(
                host="127.0.0.1", port=6627, uptime_secs=90061, isLeader=True, version="2.8.3"
            )
        ],
    )


def topology_summary() -> Any:
    t = st()
    return t.TopologySummary(
        id=TOPOLOGY_ID,
        name=TOPOLOGY_NAME,
        num_tasks=7,
        num_executors=6,
        num_workers=2,
        uptime_secs=3725,
        status="ACTIVE",
        storm_version="2.8.3",
        owner="alice",
    )


TOPOLOGY_CONF = {"topology.message.timeout.secs": 30, "topology.workers": 2}
NIMBUS_CONF = {"nimbus.seeds": ["127.0.0.1"], "nimbus.thrift.port": 6627, "ui.port": 8080}
