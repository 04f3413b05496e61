"""Typed, immutable views of what Nimbus reports, built from thriftpy2 structs.

:class:`~stormbridge.thrift.nimbus.NimbusClient` returns these so callers (the CLI, tests)
never poke at dynamically generated Thrift classes. Each keeps the Thrift object it came
from in ``raw`` for anything not modelled here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import ConfigError

__all__ = [
    "ALL_TIME",
    "ClusterSummary",
    "ErrorRecord",
    "ExecutorDetails",
    "NimbusAddress",
    "NimbusSummary",
    "SupervisorSummary",
    "TopologyDetails",
    "TopologySummary",
    "parse_address",
]

#: The stats window key for totals since the executor started.
ALL_TIME = ":all-time"


@dataclass(frozen=True, order=True)
class NimbusAddress:
    host: str
    port: int = 6627

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


def parse_address(value: str, default_port: int = 6627) -> NimbusAddress:
    """``"host"``, ``"host:port"`` or ``"[v6addr]:port"`` → :class:`NimbusAddress`."""
    text = value.strip()
    if not text:
        raise ConfigError("empty Nimbus address: expected host or host:port")
    if text.startswith("["):
        host, sep, rest = text[1:].partition("]")
        if not sep:
            raise ConfigError(f"bad Nimbus address {value!r}: unclosed '['")
        port_text = rest[1:] if rest.startswith(":") else ""
    elif text.count(":") == 1:
        host, _, port_text = text.partition(":")
    else:
        host, port_text = text, ""
    if not port_text:
        return NimbusAddress(host, default_port)
    try:
        port = int(port_text)
    except ValueError:
        port = -1
    if not 0 < port < 65536:
        raise ConfigError(f"bad Nimbus address {value!r}: the port must be 1-65535")
    return NimbusAddress(host, port)


@dataclass(frozen=True)
class NimbusSummary:
    host: str
    port: int
    is_leader: bool
    uptime_secs: int
    version: str
    raw: Any = field(default=None, repr=False, compare=False)

    @property
    def address(self) -> NimbusAddress:
        return NimbusAddress(self.host, self.port)

    @classmethod
    def from_thrift(cls, s: Any) -> NimbusSummary:
        return cls(s.host, s.port, bool(s.isLeader), s.uptime_secs or 0, s.version or "", s)


@dataclass(frozen=True)
class SupervisorSummary:
    host: str
    supervisor_id: str
    uptime_secs: int
    num_workers: int
    num_used_workers: int
    version: str
    raw: Any = field(default=None, repr=False, compare=False)

    @classmethod
    def from_thrift(cls, s: Any) -> SupervisorSummary:
        return cls(
            s.host,
            s.supervisor_id,
            s.uptime_secs or 0,
            s.num_workers or 0,
            s.num_used_workers or 0,
            s.version or "",
            s,
        )


@dataclass(frozen=True)
class TopologySummary:
    id: str
    name: str
    status: str
    num_workers: int
    num_executors: int
    num_tasks: int
    uptime_secs: int
    storm_version: str | None = None
    raw: Any = field(default=None, repr=False, compare=False)

    @classmethod
    def from_thrift(cls, s: Any) -> TopologySummary:
        return cls(
            s.id,
            s.name,
            s.status,
            s.num_workers or 0,
            s.num_executors or 0,
            s.num_tasks or 0,
            s.uptime_secs or 0,
            s.storm_version,
            s,
        )


@dataclass(frozen=True)
class ClusterSummary:
    nimbuses: tuple[NimbusSummary, ...]
    supervisors: tuple[SupervisorSummary, ...]
    topologies: tuple[TopologySummary, ...]
    raw: Any = field(default=None, repr=False, compare=False)

    @property
    def leader(self) -> NimbusSummary | None:
        return next((n for n in self.nimbuses if n.is_leader), None)

    def topology(self, name: str) -> TopologySummary | None:
        return next((t for t in self.topologies if t.name == name), None)

    @classmethod
    def from_thrift(cls, s: Any) -> ClusterSummary:
        return cls(
            tuple(NimbusSummary.from_thrift(n) for n in s.nimbuses or ()),
            tuple(SupervisorSummary.from_thrift(v) for v in s.supervisors or ()),
            tuple(TopologySummary.from_thrift(t) for t in s.topologies or ()),
            s,
        )


@dataclass(frozen=True)
class ErrorRecord:
    error: str
    time_secs: int
    host: str | None
    port: int | None


def _window_total(stats: Mapping[str, Mapping[Any, int | float]] | None) -> int:
    if not stats:
        return 0
    return int(sum(stats.get(ALL_TIME, {}).values()))


@dataclass(frozen=True)
class ExecutorDetails:
    component_id: str
    host: str
    port: int
    task_start: int
    task_end: int
    uptime_secs: int
    #: All-time totals over every stream (0 before the first stats report).
    emitted: int = 0
    transferred: int = 0
    acked: int = 0
    failed: int = 0
    #: Bolts only: tuples passed to ``process``.
    executed: int = 0
    raw: Any = field(default=None, repr=False, compare=False)

    @classmethod
    def from_thrift(cls, e: Any) -> ExecutorDetails:
        emitted = transferred = acked = failed = executed = 0
        stats = e.stats
        if stats is not None:
            emitted = _window_total(stats.emitted)
            transferred = _window_total(stats.transferred)
            specific = stats.specific
            inner = None
            if specific is not None:
                inner = specific.bolt if specific.bolt is not None else specific.spout
            if inner is not None:
                acked = _window_total(inner.acked)
                failed = _window_total(inner.failed)
                executed = _window_total(getattr(inner, "executed", None))
        info = e.executor_info
        return cls(
            e.component_id,
            e.host,
            e.port,
            info.task_start,
            info.task_end,
            e.uptime_secs or 0,
            emitted,
            transferred,
            acked,
            failed,
            executed,
            e,
        )


@dataclass(frozen=True)
class TopologyDetails:
    id: str
    name: str
    status: str
    uptime_secs: int
    executors: tuple[ExecutorDetails, ...]
    errors: Mapping[str, tuple[ErrorRecord, ...]]
    raw: Any = field(default=None, repr=False, compare=False)

    def components(self) -> list[str]:
        """Component ids with executors, sorted (system components such as ``__acker``
        included)."""
        return sorted({e.component_id for e in self.executors})

    @classmethod
    def from_thrift(cls, t: Any) -> TopologyDetails:
        errors = {
            component: tuple(
                ErrorRecord(x.error, x.error_time_secs, x.host, x.port) for x in records or ()
            )
            for component, records in (t.errors or {}).items()
        }
        return cls(
            t.id,
            t.name,
            t.status,
            t.uptime_secs or 0,
            tuple(ExecutorDetails.from_thrift(e) for e in t.executors or ()),
            errors,
            t,
        )
