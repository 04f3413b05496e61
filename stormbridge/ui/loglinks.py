"""The UI's links into the logviewer (pure functions on the ``/api/v1`` documents).

Storm's UI fills ``workerLogLink``, ``errorWorkerLogLink``, ``logLink`` and ``nimbusLogLink``
with URLs of the logviewer on each host; :func:`add_log_links` does the same to a document
built by :mod:`stormbridge.ui.api` when the UI knows the logviewer's port (``--logviewer-port``)
and leaves it untouched (links ``""``) otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import quote, urlencode

__all__ = ["add_log_links", "daemon_log_link", "worker_log_link"]


def _base(host: str, logviewer_port: int) -> str:
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{logviewer_port}"


def worker_log_link(host: str, port: Any, topology_id: str, logviewer_port: int) -> str:
    """``http://HOST:LV/api/v1/log?file=TOPO_ID%2FPORT%2Fworker.log`` (Storm's format)."""
    file = quote(f"{topology_id}/{port}/worker.log", safe="")
    return f"{_base(host, logviewer_port)}/api/v1/log?file={file}"


def daemon_log_link(host: str, name: str, logviewer_port: int) -> str:
    return f"{_base(host, logviewer_port)}/api/v1/daemonlog?{urlencode({'file': name})}"


def _rows(doc: dict[str, Any], *keys: str) -> Iterable[dict[str, Any]]:
    for key in keys:
        for row in doc.get(key) or ():
            if isinstance(row, dict):
                yield row


def _error_links(rows: Iterable[dict[str, Any]], topology_id: str, lv: int) -> None:
    for row in rows:
        if row.get("errorHost") and row.get("errorPort") is not None:
            row["errorWorkerLogLink"] = worker_log_link(
                str(row["errorHost"]), row["errorPort"], topology_id, lv
            )


def add_log_links(doc: Any, endpoint: Sequence[str], logviewer_port: int | None) -> Any:
    """``doc`` (the answer to ``GET /api/v1/<endpoint>``) with its log links filled in."""
    if logviewer_port is None or not isinstance(doc, dict):
        return doc
    lv = logviewer_port
    match list(endpoint):
        case ["nimbus", "summary"]:
            for row in _rows(doc, "nimbuses"):
                if row.get("status") != "Offline":
                    row["nimbusLogLink"] = daemon_log_link(str(row["host"]), "nimbus.log", lv)
        case ["supervisor", "summary"]:
            doc["logviewerPort"] = lv
            for row in _rows(doc, "supervisors"):  # several supervisors share a host here:
                row["logLink"] = _base(str(row["host"]), lv) + "/"  # the list of its logs
        case ["topology", _]:
            topology_id = str(doc.get("id", ""))
            for row in _rows(doc, "workers"):
                row["workerLogLink"] = worker_log_link(
                    str(row["host"]), row["port"], topology_id, lv
                )
            _error_links(_rows(doc, "spouts", "bolts"), topology_id, lv)
        case ["topology", _, "component", _]:
            topology_id = str(doc.get("topologyId", ""))
            for row in _rows(doc, "executorStats"):
                if row.get("host") and row.get("port") is not None:
                    row["workerLogLink"] = worker_log_link(
                        str(row["host"]), row["port"], topology_id, lv
                    )
            _error_links(_rows(doc, "componentErrors"), topology_id, lv)
            if doc.get("errorHost"):
                _error_links([doc], topology_id, lv)
    return doc
