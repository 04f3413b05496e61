"""The component page, ``GET /api/v1/topology/{id}/component/{component}`` (pure functions).

Built from ``getTopologyInfoWithOpts(id, ALL errors)``: per-window totals (``boltStats`` or
``spoutSummary``), per-stream ``inputStats``/``outputStats`` for the asked window, one row per
executor (``executorStats``) and every error Nimbus kept (``componentErrors``), with the
field names of Storm 2.8's UI.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .stats import (
    ALL_TIME,
    LAST_ERROR_CHARS,
    WINDOWS,
    ComponentStats,
    JSONDict,
    add_executor,
    aggregate_one,
    component_type_of,
    error_fields,
    executor_id,
    float_str,
    last_error,
    pretty_uptime,
    sorted_errors,
    task_count,
    url_encode,
    visible_streams,
    window_hint,
    window_map,
)

__all__ = ["component_page"]

# ---------------------------------------------------------------------------
# Component page
# ---------------------------------------------------------------------------


def _bolt_window_row(c: ComponentStats, window: str) -> JSONDict:
    return {
        "window": window,
        "windowPretty": window_hint(window),
        "emitted": c.emitted,
        "transferred": c.transferred,
        "acked": c.acked,
        "failed": c.failed,
        "executeLatency": float_str(c.execute_latency),
        "executed": c.executed,
        "processLatency": float_str(c.process_latency),
        "capacity": float_str(c.capacity),
    }


def _spout_window_row(c: ComponentStats, window: str, errors: Sequence[Any]) -> JSONDict:
    ordered = sorted_errors(errors)
    return {
        "window": window,
        "windowPretty": window_hint(window),
        "emitted": c.emitted,
        "transferred": c.transferred,
        "acked": c.acked,
        "failed": c.failed,
        "completeLatency": c.complete_latency,
        "lastError": str(last_error(ordered).error)[:LAST_ERROR_CHARS] if ordered else "",
    }


def _bolt_inputs(executors: Sequence[Any], window: str) -> list[JSONDict]:
    acc: dict[tuple[str, str], dict[str, float]] = {}
    for e in executors:
        bolt = e.stats.specific.bolt if e.stats and e.stats.specific else None
        if bolt is None:
            continue
        executed = window_map(bolt.executed, window)
        metrics = {
            "acked": window_map(bolt.acked, window),
            "failed": window_map(bolt.failed, window),
            "executed": executed,
        }
        keys = set(executed) | set(metrics["acked"]) | set(metrics["failed"])
        for gsid in keys:
            row = acc.setdefault(
                (gsid.componentId, gsid.streamId),
                {"acked": 0, "failed": 0, "executed": 0, "exec_total": 0.0, "proc_total": 0.0},
            )
            count = int(executed.get(gsid, 0))
            row["acked"] += int(metrics["acked"].get(gsid, 0))
            row["failed"] += int(metrics["failed"].get(gsid, 0))
            row["executed"] += count
            row["exec_total"] += (
                float(window_map(bolt.execute_ms_avg, window).get(gsid, 0.0)) * count
            )
            row["proc_total"] += (
                float(window_map(bolt.process_ms_avg, window).get(gsid, 0.0)) * count
            )
    rows: list[JSONDict] = []
    for (component, stream), r in sorted(acc.items()):
        executed_total = int(r["executed"])
        rows.append(
            {
                "component": component,
                "encodedComponentId": url_encode(component),
                "stream": stream,
                "executeLatency": float_str(
                    r["exec_total"] / executed_total if executed_total else None
                ),
                "processLatency": float_str(
                    r["proc_total"] / executed_total if executed_total else None
                ),
                "executed": executed_total,
                "acked": int(r["acked"]),
                "failed": int(r["failed"]),
            }
        )
    return rows


def _spout_outputs(executors: Sequence[Any], window: str, include_sys: bool) -> list[JSONDict]:
    acc: dict[str, dict[str, float]] = {}

    def row(stream: str) -> dict[str, float]:
        return acc.setdefault(
            stream, {"emitted": 0, "transferred": 0, "acked": 0, "failed": 0, "lat_total": 0.0}
        )

    for e in executors:
        if e.stats is None:
            continue
        for stream, n in visible_streams(window_map(e.stats.emitted, window), include_sys):
            row(stream)["emitted"] += int(n)
        for stream, n in visible_streams(window_map(e.stats.transferred, window), include_sys):
            row(stream)["transferred"] += int(n)
        spout = e.stats.specific.spout if e.stats.specific else None
        if spout is None:
            continue
        acked = window_map(spout.acked, window)
        for stream, n in acked.items():
            row(stream)["acked"] += int(n)
        for stream, n in window_map(spout.failed, window).items():
            row(stream)["failed"] += int(n)
        for stream, avg in window_map(spout.complete_ms_avg, window).items():
            row(stream)["lat_total"] += float(avg) * int(acked.get(stream, 0))
    return [
        {
            "stream": stream,
            "emitted": int(r["emitted"]),
            "transferred": int(r["transferred"]),
            "completeLatency": float_str(r["lat_total"] / r["acked"] if r["acked"] else None),
            "acked": int(r["acked"]),
            "failed": int(r["failed"]),
        }
        for stream, r in sorted(acc.items())
    ]


def _executor_rows(
    executors: Sequence[Any], component_type: str, window: str, include_sys: bool
) -> list[JSONDict]:
    rows: list[JSONDict] = []
    for e in sorted(executors, key=lambda x: int(x.executor_info.task_start)):
        single = ComponentStats(e.component_id, component_type)
        add_executor(single, e, window, include_sys)
        eid = executor_id(e.executor_info)
        row: JSONDict = {
            "id": eid,
            "encodedId": url_encode(eid),
            "uptime": pretty_uptime(int(e.uptime_secs)),
            "uptimeSeconds": int(e.uptime_secs),
            "host": e.host,
            "port": int(e.port),
            "emitted": single.emitted,
            "transferred": single.transferred,
        }
        if component_type == "bolt":
            row.update(
                {
                    "capacity": float_str(single.capacity),
                    "executeLatency": float_str(single.execute_latency),
                    "executed": single.executed,
                    "processLatency": float_str(single.process_latency),
                }
            )
        else:
            row["completeLatency"] = float_str(single.complete_latency)
        row.update({"acked": single.acked, "failed": single.failed, "workerLogLink": ""})
        rows.append(row)
    return rows


def component_page(
    info: Any,
    component_id: str,
    window: str = ALL_TIME,
    include_sys: bool = False,
    now: int = 0,
    component_types: Mapping[str, str] | None = None,
) -> JSONDict:
    """``GET /api/v1/topology/{id}/component/{component}`` from ``getTopologyInfoWithOpts``.

    Raises :class:`KeyError` when the topology has no executor of ``component_id``.
    """
    executors = [e for e in info.executors or () if e.component_id == component_id]
    if not executors:
        raise KeyError(component_id)
    ctype = (component_types or {}).get(component_id)
    for e in executors:
        ctype = component_type_of(e) or ctype
    ctype = ctype or "bolt"
    errors = list((info.errors or {}).get(component_id, ()))
    per_window = {w: aggregate_one(executors, component_id, ctype, w, include_sys) for w in WINDOWS}
    result: JSONDict = {
        "user": None,
        "id": component_id,
        "encodedId": url_encode(component_id),
        "name": info.name,
        "executors": len(executors),
        "tasks": sum(task_count(e.executor_info) for e in executors),
        "topologyId": info.id,
        "topologyStatus": info.status,
        "encodedTopologyId": url_encode(info.id),
        "window": window,
        "componentType": ctype,
        "windowHint": window_hint(window),
        "debug": False,
        "samplingPct": 10,
        "profilingAndDebuggingCapable": False,
        "profileActionEnabled": False,
        "profilerActive": [],
        "schedulerDisplayResource": False,
    }
    if ctype == "spout":
        result["spoutSummary"] = [_spout_window_row(per_window[w], w, errors) for w in WINDOWS]
        result["outputStats"] = _spout_outputs(executors, window, include_sys)
    else:
        result["boltStats"] = [_bolt_window_row(per_window[w], w) for w in WINDOWS]
        result["inputStats"] = _bolt_inputs(executors, window)
        selected = aggregate_one(executors, component_id, ctype, window, include_sys)
        streams = sorted(set(selected.emitted_by_stream) | set(selected.transferred_by_stream))
        result["outputStats"] = [
            {
                "stream": s,
                "emitted": selected.emitted_by_stream.get(s, 0),
                "transferred": selected.transferred_by_stream.get(s, 0),
            }
            for s in streams
        ]
    result["executorStats"] = _executor_rows(executors, ctype, window, include_sys)
    result["componentErrors"] = [
        error_fields(e, now, as_last_error=False) for e in sorted_errors(errors)
    ]
    return result
