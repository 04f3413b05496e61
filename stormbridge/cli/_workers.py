"""The worker processes of every running topology, from the Storm UI REST API (each
topology page's ``workers``): what ``worker_uptime`` and ``slot_usage`` show."""

from __future__ import annotations

from typing import Any

from ..ui.client import UIClient

__all__ = ["running_workers"]


def running_workers(ui: UIClient) -> list[dict[str, Any]]:
    """One row per worker: host, port, topologyName, topologyId, executorsTotal, uptime…"""
    rows: list[dict[str, Any]] = []
    for topo in ui.topology_summary():
        page = ui.topology(topo.id)
        for worker in page.get("workers", []) or []:
            rows.append({"topologyName": topo.name, "topologyId": topo.id, **worker})
    return sorted(rows, key=lambda r: (str(r.get("host")), int(r.get("port") or 0)))
