"""Nimbus Thrift results -> the Storm UI's ``/api/v1`` JSON documents (pure functions).

Everything here takes objects decoded from Nimbus (``ClusterSummary``, ``TopologyInfo``,
``ExecutorSummary`` ... as built from ``stormbridge/thrift/storm.thrift``, or anything with
the same attribute names) and returns plain ``dict``/``list`` values ready for JSON. No I/O,
no clock reads (``now`` is a parameter), no Nimbus calls.

Field names and shapes are those of Storm 2.8's UI (``UIHelpers`` in storm-webapp). The
numbers are recomputed from ``TopologyInfo.executors`` with Storm's rules
(:mod:`stormbridge.ui.stats`) instead of asking Nimbus for ``getTopologyPageInfo``; at
topology level (``topologyStats``) acked, failed and complete latency count spouts only.

Latencies and capacities are strings with three decimals where Storm sends strings
(``"1.250"``), numbers where Storm sends numbers.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .component import component_page
from .stats import (
    ALL_TIME,
    WINDOWS,
    ComponentStats,
    JSONDict,
    aggregate_components,
    float_str,
    last_error_fields,
    pretty_uptime,
    task_count,
    url_encode,
    window_hint,
)

__all__ = [
    "ALL_TIME",
    "WINDOWS",
    "cluster_configuration",
    "cluster_summary",
    "component_page",
    "nimbus_summary",
    "supervisor_summary",
    "topology_operation",
    "topology_page",
    "topology_stats",
    "topology_summary",
]


# ---------------------------------------------------------------------------
# Cluster, nimbus, supervisors, topology list
# ---------------------------------------------------------------------------


def _resource(resources: Mapping[str, float] | None, *names: str) -> float:
    for name in names:
        if resources and name in resources:
            return float(resources[name])
    return 0.0


def _total_mem(supervisor: Any) -> float:
    return _resource(supervisor.total_resources, "memory.mb", "supervisor.memory.capacity.mb")


def _total_cpu(supervisor: Any) -> float:
    return _resource(supervisor.total_resources, "cpu.pcore.percent", "supervisor.cpu.capacity")


def leader_version(cluster: Any) -> str | None:
    """The Storm version the leader Nimbus (else any Nimbus) reports."""
    nimbuses = list(cluster.nimbuses or ())
    for nimbus in nimbuses:
        if nimbus.isLeader:
            return str(nimbus.version)
    return str(nimbuses[0].version) if nimbuses else None


def cluster_summary(cluster: Any) -> JSONDict:
    """``GET /api/v1/cluster/summary`` from ``getClusterInfo()``."""
    supervisors = list(cluster.supervisors or ())
    topologies = list(cluster.topologies or ())
    used = sum(int(s.num_used_workers) for s in supervisors)
    total = sum(int(s.num_workers) for s in supervisors)
    total_mem = sum(_total_mem(s) for s in supervisors)
    total_cpu = sum(_total_cpu(s) for s in supervisors)
    used_mem = sum(float(s.used_mem or 0.0) for s in supervisors)
    used_cpu = sum(float(s.used_cpu or 0.0) for s in supervisors)
    version = leader_version(cluster)
    return {
        "user": None,
        "stormVersion": version,
        "stormVersionInfo": {"version": version},
        "supervisors": len(supervisors),
        "topologies": len(topologies),
        "slotsUsed": used,
        "slotsTotal": total,
        "slotsFree": total - used,
        "tasksTotal": sum(int(t.num_tasks) for t in topologies),
        "executorsTotal": sum(int(t.num_executors) for t in topologies),
        "totalMem": total_mem,
        "totalCpu": total_cpu,
        "availMem": total_mem - used_mem,
        "availCpu": total_cpu - used_cpu,
        "memAssignedPercentUtil": float_str(used_mem * 100.0 / total_mem)
        if total_mem > 0
        else "0.0",
        "cpuAssignedPercentUtil": float_str(used_cpu * 100.0 / total_cpu)
        if total_cpu > 0
        else "0.0",
        "bugtracker-url": None,
        "central-log-url": None,
    }


def _is_loopback(host: str) -> bool:
    return host in ("localhost", "::1") or host.startswith("127.")


def nimbus_summary(cluster: Any, seeds: Sequence[tuple[str, int]] = ()) -> JSONDict:
    """``GET /api/v1/nimbus/summary``: every Nimbus Nimbus knows, plus unseen seeds "Offline".

    Like Storm, seeds on loopback addresses are never reported as offline.
    """
    rows: list[JSONDict] = []
    unseen = [(h, p) for h, p in seeds if not _is_loopback(h)]
    for nimbus in cluster.nimbuses or ():
        rows.append(
            {
                "host": nimbus.host,
                "port": int(nimbus.port),
                "status": "Leader" if nimbus.isLeader else "Not a Leader",
                "version": nimbus.version,
                "nimbusUpTimeSeconds": int(nimbus.uptime_secs),
                "nimbusUpTime": pretty_uptime(int(nimbus.uptime_secs)),
                "nimbusLogLink": "",
            }
        )
        if (nimbus.host, int(nimbus.port)) in unseen:
            unseen.remove((nimbus.host, int(nimbus.port)))
    for host, port in unseen:
        rows.append(
            {
                "host": host,
                "port": port,
                "status": "Offline",
                "version": "Not applicable",
                "nimbusUpTimeSeconds": "Not applicable",
                "nimbusUpTime": "Not applicable",
                "nimbusLogLink": "",
            }
        )
    return {"nimbuses": rows}


def supervisor_summary(cluster: Any) -> JSONDict:
    """``GET /api/v1/supervisor/summary`` from ``getClusterInfo()``."""
    rows: list[JSONDict] = []
    for s in cluster.supervisors or ():
        total_mem, total_cpu = _total_mem(s), _total_cpu(s)
        used_mem, used_cpu = float(s.used_mem or 0.0), float(s.used_cpu or 0.0)
        rows.append(
            {
                "id": s.supervisor_id,
                "host": s.host,
                "uptime": pretty_uptime(int(s.uptime_secs)),
                "uptimeSeconds": int(s.uptime_secs),
                "blacklisted": bool(s.blacklisted),
                "slotsTotal": int(s.num_workers),
                "slotsUsed": int(s.num_used_workers),
                "slotsFree": max(int(s.num_workers) - int(s.num_used_workers), 0),
                "totalMem": total_mem,
                "totalCpu": total_cpu,
                "usedMem": used_mem,
                "usedCpu": used_cpu,
                "availMem": total_mem - used_mem,
                "availCpu": total_cpu - used_cpu,
                "version": s.version,
                "logLink": "",
            }
        )
    return {"supervisors": rows, "schedulerDisplayResource": False, "logviewerPort": None}


def topology_summary_row(t: Any) -> JSONDict:
    """One entry of ``topologies`` in ``/api/v1/topology/summary``."""
    return {
        "id": t.id,
        "encodedId": url_encode(t.id),
        "owner": t.owner,
        "name": t.name,
        "status": t.status,
        "uptime": pretty_uptime(int(t.uptime_secs)),
        "uptimeSeconds": int(t.uptime_secs),
        "tasksTotal": int(t.num_tasks),
        "workersTotal": int(t.num_workers),
        "executorsTotal": int(t.num_executors),
        "replicationCount": t.replication_count,
        "schedulerInfo": t.sched_status,
        "topologyVersion": t.topology_version,
        "stormVersion": t.storm_version,
    }


def topology_summary(topologies: Iterable[Any]) -> JSONDict:
    """``GET /api/v1/topology/summary`` from ``getTopologySummaries()``."""
    return {
        "topologies": [topology_summary_row(t) for t in topologies],
        "schedulerDisplayResource": False,
    }


def cluster_configuration(nimbus_conf_json: str) -> JSONDict:
    """``GET /api/v1/cluster/configuration``: Nimbus's configuration as a JSON object."""
    conf = json.loads(nimbus_conf_json)
    if not isinstance(conf, dict):
        raise ValueError("Nimbus returned a configuration that is not a JSON object")
    return conf


def topology_operation(topology_id: str, operation: str) -> JSONDict:
    """The answer of the POST endpoints (``activate``, ``kill`` ...)."""
    return {"topologyOperation": operation, "topologyId": topology_id, "status": "success"}


# ---------------------------------------------------------------------------
# Topology page
# ---------------------------------------------------------------------------


def _common_fields(c: ComponentStats) -> JSONDict:
    return {
        "executors": c.executors,
        "tasks": c.tasks,
        "emitted": c.emitted,
        "transferred": c.transferred,
        "acked": c.acked,
        "failed": c.failed,
    }


def topology_stats(
    executors: Sequence[Any],
    include_sys: bool,
    component_types: Mapping[str, str] | None = None,
) -> list[JSONDict]:
    """``topologyStats``: one row per window; acked, failed and latency count spouts only."""
    rows: list[JSONDict] = []
    for window in WINDOWS:
        comps = aggregate_components(executors, window, include_sys, component_types).values()
        spouts = [c for c in comps if c.component_type == "spout"]
        acked = sum(c.acked for c in spouts)
        latency_total = sum(c.complete_latency_total for c in spouts)
        rows.append(
            {
                "window": window,
                "windowPretty": window_hint(window),
                "emitted": sum(c.emitted for c in comps),
                "transferred": sum(c.transferred for c in comps),
                "acked": acked,
                "failed": sum(c.failed for c in spouts),
                "completeLatency": float_str(latency_total / acked if acked > 0 else None),
            }
        )
    return rows


def _workers(executors: Sequence[Any], info: Any) -> list[JSONDict]:
    by_slot: dict[tuple[str, int], list[Any]] = {}
    for e in executors:
        by_slot.setdefault((e.host, int(e.port)), []).append(e)
    rows: list[JSONDict] = []
    for (host, port), execs in sorted(by_slot.items()):
        tasks: dict[str, int] = {}
        for e in execs:
            tasks[e.component_id] = tasks.get(e.component_id, 0) + task_count(e.executor_info)
        uptime = max(int(e.uptime_secs) for e in execs)
        rows.append(
            {
                "host": host,
                "port": port,
                "topologyId": info.id,
                "topologyName": info.name,
                "executorsTotal": len(execs),
                "componentNumTasks": tasks,
                "uptime": pretty_uptime(uptime),
                "uptimeSeconds": uptime,
                "workerLogLink": "",
                "owner": info.owner,
            }
        )
    return rows


def topology_page(
    info: Any,
    topology_conf: Mapping[str, Any],
    window: str = ALL_TIME,
    include_sys: bool = False,
    now: int = 0,
    component_types: Mapping[str, str] | None = None,
) -> JSONDict:
    """``GET /api/v1/topology/{id}`` from ``getTopologyInfoWithOpts`` + ``getTopologyConf``.

    ``now`` (epoch seconds) only feeds ``errorLapsedSecs``.
    """
    executors = list(info.executors or ())
    errors: Mapping[str, Sequence[Any]] = info.errors or {}
    comps = aggregate_components(executors, window, include_sys, component_types)
    spouts: list[JSONDict] = []
    bolts: list[JSONDict] = []
    for cid in sorted(comps):
        c = comps[cid]
        if c.component_type == "spout":
            row = {"spoutId": cid, "encodedSpoutId": url_encode(cid), **_common_fields(c)}
            row["completeLatency"] = float_str(c.complete_latency)
            row.update(last_error_fields(errors.get(cid), now))
            spouts.append(row)
        elif c.component_type == "bolt":
            row = {"boltId": cid, "encodedBoltId": url_encode(cid), **_common_fields(c)}
            row.update(
                {
                    "capacity": float_str(c.capacity),
                    "executeLatency": float_str(c.execute_latency),
                    "executed": c.executed,
                    "processLatency": float_str(c.process_latency),
                }
            )
            row.update(last_error_fields(errors.get(cid), now))
            bolts.append(row)
    debug = (info.component_debug or {}).get(info.id)
    debug_enabled = bool(debug is not None and debug.enable)
    sampling_pct = float(debug.samplingpct or 10) if debug is not None and debug_enabled else 10
    uptime = int(info.uptime_secs)
    return {
        "id": info.id,
        "encodedId": url_encode(info.id),
        "owner": info.owner,
        "name": info.name,
        "status": info.status,
        "uptime": pretty_uptime(uptime),
        "uptimeSeconds": uptime,
        "tasksTotal": sum(task_count(e.executor_info) for e in executors),
        "workersTotal": len({(e.host, int(e.port)) for e in executors}),
        "executorsTotal": len(executors),
        "schedulerInfo": info.sched_status,
        "topologyStats": topology_stats(executors, include_sys, component_types),
        "workers": _workers(executors, info),
        "spouts": spouts,
        "bolts": bolts,
        "configuration": dict(topology_conf),
        "debug": debug_enabled,
        "samplingPct": sampling_pct,
        "replicationCount": info.replication_count,
        "topologyVersion": None,
        "stormVersion": info.storm_version,
        "user": None,
        "window": window,
        "windowHint": window_hint(window),
        "msgTimeout": topology_conf.get("topology.message.timeout.secs"),
        "visualizationTable": [],
        "schedulerDisplayResource": False,
        "bugtracker-url": None,
        "central-log-url": None,
    }
