"""A small typed client for the Storm UI REST API (``/api/v1``), stdlib only.

Every call has a deadline: ``timeout`` seconds for connecting, sending and reading the whole
answer, however slowly the server sends its bytes. Every failure (connection refused, timeout,
HTTP error, a body that is not JSON, Storm's ``{"error": ..., "errorMessage": ...}``) becomes
:class:`stormbridge.errors.UIError` with what to do. Works against Storm's own UI and against
any server that speaks the same ``/api/v1`` subset.
"""

from __future__ import annotations

import http.client
import io
import json
import math
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from ..errors import UIError

__all__ = [
    "ClusterSummary",
    "NimbusStatus",
    "SupervisorInfo",
    "TopologyInfo",
    "UIClient",
]

DEFAULT_TIMEOUT = 10.0


@dataclass(frozen=True)
class ClusterSummary:
    storm_version: str
    supervisors: int
    topologies: int
    slots_total: int
    slots_used: int
    slots_free: int
    executors_total: int
    tasks_total: int
    raw: dict[str, Any]


@dataclass(frozen=True)
class NimbusStatus:
    host: str
    port: int
    status: str  # "Leader", "Not a Leader", "Offline"
    version: str
    uptime_seconds: int

    @property
    def is_leader(self) -> bool:
        return self.status == "Leader"


@dataclass(frozen=True)
class SupervisorInfo:
    id: str
    host: str
    uptime_seconds: int
    slots_total: int
    slots_used: int
    slots_free: int


@dataclass(frozen=True)
class TopologyInfo:
    id: str
    name: str
    status: str
    uptime_seconds: int
    workers_total: int
    executors_total: int
    tasks_total: int


class _DeadlineSocket:
    """A connected socket whose every send and receive gets what is left of one deadline as
    its timeout, so that a server trickling a byte at a time cannot hold a request past it."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self._sock = sock
        self._deadline = deadline

    def _armed(self) -> socket.socket:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the request's deadline passed")
        self._sock.settimeout(left)
        return self._sock

    def sendall(self, data: bytes) -> None:
        self._armed().sendall(data)

    def recv_into(self, buffer: Any, nbytes: int = 0) -> int:
        return self._armed().recv_into(buffer, nbytes)

    def makefile(self, mode: str = "rb", buffering: int = -1, **_: Any) -> io.BufferedReader:
        if mode not in ("r", "rb"):
            raise ValueError(f"unsupported mode {mode!r}")
        # like socket.makefile: the file keeps the descriptor open after urllib closes the
        # connection's socket (its close calls _decref_socketios, passed through below)
        self._sock._io_refs += 1  # type: ignore[attr-defined]
        raw = socket.SocketIO(self, "rb")  # type: ignore[arg-type]
        return io.BufferedReader(raw, buffering if buffering > 0 else io.DEFAULT_BUFFER_SIZE)

    def __getattr__(self, name: str) -> Any:  # close, setsockopt, fileno ...
        return getattr(self._sock, name)


class _DeadlineHTTPConnection(http.client.HTTPConnection):
    def connect(self) -> None:
        deadline = time.monotonic() + float(self.timeout or DEFAULT_TIMEOUT)
        super().connect()
        self.sock = _DeadlineSocket(self.sock, deadline)


class _DeadlineHTTPSConnection(http.client.HTTPSConnection):
    def connect(self) -> None:
        deadline = time.monotonic() + float(self.timeout or DEFAULT_TIMEOUT)
        super().connect()
        self.sock = _DeadlineSocket(self.sock, deadline)


class _DeadlineHTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_DeadlineHTTPConnection, req)


class _DeadlineHTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_DeadlineHTTPSConnection, req)


def _check_timeout(timeout: float) -> float:
    try:
        seconds = float(timeout)
    except (TypeError, ValueError) as exc:
        raise UIError(f"the UI timeout {timeout!r} is not a number of seconds") from exc
    if not (seconds > 0 and math.isfinite(seconds)):
        raise UIError(f"the UI timeout {timeout!r} must be a positive, finite number of seconds")
    return seconds


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


class UIClient:
    """``UIClient("http://127.0.0.1:8080")``; methods map to ``/api/v1`` endpoints."""

    def __init__(self, base_url: str, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = _check_timeout(timeout)
        self._opener = urllib.request.build_opener(_DeadlineHTTPHandler, _DeadlineHTTPSHandler)

    def __repr__(self) -> str:
        return f"UIClient({self.base_url!r})"

    # --- transport --------------------------------------------------------------------------

    def request(
        self, path: str, *, method: str = "GET", query: dict[str, str] | None = None
    ) -> Any:
        """Call ``/api/v1/<path>`` and return the decoded JSON."""
        url = f"{self.base_url}/api/v1/{path.lstrip('/')}"
        if query:
            url += "?" + urllib.parse.urlencode(query)
        data = b"" if method == "POST" else None
        req = urllib.request.Request(url, data=data, method=method)
        req.add_header("Accept", "application/json")
        try:
            with self._opener.open(req, timeout=self.timeout) as resp:
                body = resp.read()
        except urllib.error.HTTPError as exc:
            detail = self._error_detail(exc.read())
            raise UIError(
                f"the Storm UI at {self.base_url} answered {exc.code} to {method} {url}"
                f"{': ' + detail if detail else ''}"
            ) from exc
        except (
            urllib.error.URLError,
            TimeoutError,
            ConnectionError,
            http.client.HTTPException,
        ) as exc:
            reason = getattr(exc, "reason", exc)
            if isinstance(reason, TimeoutError):
                raise UIError(
                    f"the Storm UI at {self.base_url} did not answer {method} {url} within "
                    f"{self.timeout:g} s; is it overloaded, or is that not a Storm UI?"
                ) from exc
            raise UIError(
                f"cannot reach the Storm UI at {self.base_url} ({reason}); is it running? "
                "(`sparse cluster status`, or check the UI url/port)"
            ) from exc
        try:
            decoded = json.loads(body)
        except ValueError as exc:
            raise UIError(
                f"the Storm UI at {self.base_url} sent something that is not JSON for {url}: "
                f"{body[:200]!r}"
            ) from exc
        if isinstance(decoded, dict) and "error" in decoded and "errorMessage" in decoded:
            raise UIError(
                f"the Storm UI reports an error for {url}: {decoded.get('error')}: "
                f"{str(decoded.get('errorMessage'))[:500]}"
            )
        return decoded

    @staticmethod
    def _error_detail(body: bytes) -> str:
        try:
            doc = json.loads(body)
        except ValueError:
            return body[:200].decode(errors="replace").strip()
        if isinstance(doc, dict):
            return str(doc.get("errorMessage") or doc.get("error") or "")[:500]
        return ""

    # --- cluster ---------------------------------------------------------------------------

    def cluster_summary(self) -> ClusterSummary:
        raw = self.request("cluster/summary")
        return ClusterSummary(
            storm_version=str(raw.get("stormVersion", "")),
            supervisors=_int(raw.get("supervisors")),
            topologies=_int(raw.get("topologies")),
            slots_total=_int(raw.get("slotsTotal")),
            slots_used=_int(raw.get("slotsUsed")),
            slots_free=_int(raw.get("slotsFree")),
            executors_total=_int(raw.get("executorsTotal")),
            tasks_total=_int(raw.get("tasksTotal")),
            raw=raw,
        )

    def nimbus_summary(self) -> list[NimbusStatus]:
        raw = self.request("nimbus/summary")
        return [
            NimbusStatus(
                host=str(n.get("host", "")),
                port=_int(n.get("port")),
                status=str(n.get("status", "")),
                version=str(n.get("version", "")),
                uptime_seconds=_int(n.get("nimbusUpTimeSeconds")),
            )
            for n in raw.get("nimbuses", [])
        ]

    def supervisor_summary(self) -> list[SupervisorInfo]:
        raw = self.request("supervisor/summary")
        return [
            SupervisorInfo(
                id=str(s.get("id", "")),
                host=str(s.get("host", "")),
                uptime_seconds=_int(s.get("uptimeSeconds")),
                slots_total=_int(s.get("slotsTotal")),
                slots_used=_int(s.get("slotsUsed")),
                slots_free=_int(s.get("slotsFree")),
            )
            for s in raw.get("supervisors", [])
        ]

    # --- topologies ------------------------------------------------------------------------

    def topology_summary(self) -> list[TopologyInfo]:
        raw = self.request("topology/summary")
        return [
            TopologyInfo(
                id=str(t.get("id", "")),
                name=str(t.get("name", "")),
                status=str(t.get("status", "")),
                uptime_seconds=_int(t.get("uptimeSeconds")),
                workers_total=_int(t.get("workersTotal")),
                executors_total=_int(t.get("executorsTotal")),
                tasks_total=_int(t.get("tasksTotal")),
            )
            for t in raw.get("topologies", [])
        ]

    def topology_id(self, name: str) -> str:
        """The id (``name-N-ts``) of the running topology called ``name``."""
        for topo in self.topology_summary():
            if topo.name == name:
                return topo.id
        raise UIError(
            f"no topology named {name!r} is running on the cluster behind {self.base_url}; "
            "`sparse list` shows what runs"
        )

    def topology(
        self, topology_id: str, window: str = ":all-time", sys: bool = False
    ) -> dict[str, Any]:
        """The topology page (``topologyStats``, ``spouts``, ``bolts`` ...) by id."""
        return dict(
            self.request(
                f"topology/{urllib.parse.quote(topology_id, safe='')}",
                query={"window": window, "sys": "true" if sys else "false"},
            )
        )

    def topology_by_name(self, name: str, window: str = ":all-time") -> dict[str, Any]:
        return self.topology(self.topology_id(name), window=window)

    def component(
        self, topology_id: str, component: str, window: str = ":all-time"
    ) -> dict[str, Any]:
        """A component page (``boltStats``/``spoutSummary``, ``inputStats``, errors ...)."""
        tid = urllib.parse.quote(topology_id, safe="")
        cid = urllib.parse.quote(component, safe="")
        return dict(self.request(f"topology/{tid}/component/{cid}", query={"window": window}))

    # --- actions ---------------------------------------------------------------------------

    def _operation(self, topology_id: str, op: str) -> dict[str, Any]:
        tid = urllib.parse.quote(topology_id, safe="")
        return dict(self.request(f"topology/{tid}/{op}", method="POST"))

    def activate(self, topology_id: str) -> dict[str, Any]:
        return self._operation(topology_id, "activate")

    def deactivate(self, topology_id: str) -> dict[str, Any]:
        return self._operation(topology_id, "deactivate")

    def kill(self, topology_id: str, wait_secs: int = 0) -> dict[str, Any]:
        return self._operation(topology_id, f"kill/{int(wait_secs)}")
