"""The topology graph of Storm's UI ("Show Visualization") as JSON (pure functions, no I/O).

``GET /api/v1/topology/{id}/visualization`` answers, like Storm's ``getVisualizationData``, an
object keyed by component id::

    {"split": {":type": "bolt", ":capacity": 0.42, ":latency": "0.120",
               ":transferred": {"default": 1200}, ":stats": [per executor ...],
               ":link": "/component.html?id=split&topology_id=...",
               ":inputs": [{":component": "words", ":stream": "default",
                            ":sani-stream": "sdefault", ":grouping": "fields"}],
               ":rate": 20.0, ":emitted": 1200, ":fields": {...}}}

The keys Storm sends are kept; stormbridge adds ``:rate`` (tuples per second over the last ten
minutes, Storm's ``600`` window, or the component's uptime when it is younger: transferred by a
spout, executed by a bolt), ``:emitted`` (in the asked window) and, on each input, ``:fields``
(the fields of a fields grouping). ``visualization_table`` is Storm's ``visualizationTable``:
the streams, four per row, system streams unchecked.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from .stats import (
    CAPACITY_WINDOW,
    JSONDict,
    aggregate_components,
    float_str,
    is_system_id,
    visible_streams,
    window_map,
)

__all__ = ["grouping_name", "sanitize_stream", "visualization", "visualization_table"]

#: Characters Storm keeps in a stream's id when it builds a CSS/DOM-safe name.
_UNSAFE = re.compile(r"[^A-Za-z0-9_\-:.]")


def sanitize_stream(stream: str) -> str:
    """A stream id safe as a DOM id: unsafe characters become ``_``, and it starts with a letter
    (``"default"`` -> ``"sdefault"``, ``"__ack init"`` -> ``"s__ack_init"``)."""
    return "s" + _UNSAFE.sub("_", stream)


def grouping_name(grouping: Any) -> str:
    """The Thrift ``Grouping`` union's set field: ``fields``, ``shuffle``, ``all`` ..."""
    for name in (
        "fields", "shuffle", "all", "none", "direct", "custom_object", "custom_serialized",
        "local_or_shuffle",
    ):  # fmt: skip
        if getattr(grouping, name, None) is not None:
            return name
    return "unknown"


def _inputs(common: Any) -> list[JSONDict]:
    rows: list[JSONDict] = []
    inputs: Mapping[Any, Any] = getattr(common, "inputs", None) or {}
    for gsid, grouping in sorted(
        inputs.items(), key=lambda kv: (kv[0].componentId, kv[0].streamId)
    ):
        row: JSONDict = {
            ":component": gsid.componentId,
            ":stream": gsid.streamId,
            ":sani-stream": sanitize_stream(gsid.streamId),
            ":grouping": grouping_name(grouping),
        }
        if getattr(grouping, "fields", None) is not None:
            row[":fields"] = list(grouping.fields)
        rows.append(row)
    return rows


def _executor_stats(executor: Any, include_sys: bool) -> JSONDict:
    stats = executor.stats
    transferred = None
    if stats is not None:
        transferred = {
            window: {
                sanitize_stream(str(s)): int(n)
                for s, n in visible_streams(streams or {}, include_sys)
            }
            for window, streams in (stats.transferred or {}).items()
        }
    return {
        ":host": executor.host,
        ":port": int(executor.port),
        ":uptime_secs": int(executor.uptime_secs or 0),
        ":transferred": transferred,
    }


def _rate(executors: Sequence[Any], kind: str, include_sys: bool) -> float:
    """Tuples per second over the last ten minutes (or the uptime, if shorter): a spout's
    transferred tuples, a bolt's executed ones (what comes in: a last bolt sends nothing)."""
    total = 0
    for e in executors:
        if e.stats is None:
            continue
        if kind == "bolt":
            bolt = e.stats.specific.bolt if e.stats.specific is not None else None
            window = window_map(bolt.executed if bolt is not None else None, CAPACITY_WINDOW)
        else:
            window = window_map(e.stats.transferred, CAPACITY_WINDOW)
        total += sum(int(n) for _, n in visible_streams(window, include_sys))
    uptime = max((int(e.uptime_secs or 0) for e in executors), default=0)
    seconds = min(uptime, int(CAPACITY_WINDOW))
    return round(total / seconds, 3) if seconds > 0 else 0.0


def visualization(info: Any, topology: Any, window: str, include_sys: bool) -> JSONDict:
    """``/api/v1/topology/{id}/visualization`` from ``TopologyInfo`` + ``StormTopology``."""
    executors = list(info.executors or ())
    specs: dict[str, tuple[str, Any]] = {}
    for cid, spec in (topology.spouts or {}).items():
        specs[cid] = ("spout", spec.common)
    for cid, spec in (topology.bolts or {}).items():
        specs[cid] = ("bolt", spec.common)
    types = {cid: kind for cid, (kind, _) in specs.items()}
    stats = aggregate_components(executors, window, include_sys, types)
    result: JSONDict = {}
    for cid in sorted(specs):
        if not include_sys and is_system_id(cid):
            continue
        kind, common = specs[cid]
        mine = [e for e in executors if e.component_id == cid]
        c = stats.get(cid)
        latency = None
        if c is not None:
            latency = c.complete_latency if kind == "spout" else c.process_latency
        result[cid] = {
            ":type": kind,
            ":capacity": (c.capacity if c is not None else 0.0) if kind == "bolt" else 0,
            ":latency": float_str(latency),
            ":transferred": dict(c.transferred_by_stream) if c is not None else {},
            ":stats": [_executor_stats(e, include_sys) for e in mine],
            ":link": f"/component.html?id={quote(cid, safe='')}"
            f"&topology_id={quote(info.id, safe='')}",
            ":inputs": [
                row
                for row in _inputs(common)
                if include_sys
                or not (is_system_id(row[":component"]) or is_system_id(row[":stream"]))
            ],
            ":rate": _rate(mine, kind, include_sys),
            ":emitted": c.emitted if c is not None else 0,
        }
    return result


def visualization_table(data: Mapping[str, Any]) -> list[list[JSONDict]]:
    """Storm's ``visualizationTable``: every stream that feeds a component, four to a row."""
    streams: dict[str, JSONDict] = {}
    for component in data.values():
        for row in component.get(":inputs") or ():
            stream = str(row[":stream"])
            streams.setdefault(
                stream,
                {
                    "stream": stream,
                    "sani-stream": sanitize_stream(stream),
                    "checked": not is_system_id(stream),
                },
            )
    boxes = [streams[s] for s in sorted(streams)]
    return [boxes[i : i + 4] for i in range(0, len(boxes), 4)]
