"""`sparse cluster status` for a --hosts cluster: every host and its daemons."""

from __future__ import annotations

from dataclasses import dataclass, field

from ...errors import NimbusUnreachableError, UIError
from ...ui.client import UIClient
from .. import health
from ..daemons import DaemonHealth
from ..hosts import ClusterHosts
from ..state import ClusterRecord, group_members, pid_alive

__all__ = ["HostHealth", "multihost_status"]


@dataclass
class HostHealth:
    name: str
    address: str
    roles: tuple[str, ...]
    holder_pid: int
    alive: bool
    daemons: list[DaemonHealth] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return self.alive and all(d.healthy for d in self.daemons)


def multihost_status(
    hosts: ClusterHosts, record: ClusterRecord | None, timeout: float = 5.0
) -> list[HostHealth]:
    """Every host (holder alive) and its daemons (pid alive, ports open, protocol answering)."""
    view: health.NimbusView | None = None
    view_error = ""
    try:
        view = health.nimbus_view(hosts.hosts[0].address, hosts.nimbus_port, timeout=timeout)
    except NimbusUnreachableError as exc:
        view_error = str(exc)
    out: list[HostHealth] = []
    daemons = record.daemons if record else []
    for h in hosts.hosts:
        hh = HostHealth(
            name=h.name, address=h.address, roles=h.roles, holder_pid=h.holder_pid,
            alive=h.holder_alive(),
        )  # fmt: skip
        for d in daemons:
            host_name, _, daemon = d.name.partition("/")
            if host_name != h.name:
                continue
            alive = pid_alive(d.pid)
            listen = {k: v for k, v in d.ports.items() if not k.startswith("slot")}
            ports_open = alive and all(
                health.tcp_open(h.address, p, timeout) for p in listen.values()
            )
            answering: bool | None = None
            detail = ""
            if daemon == "zookeeper":
                answering = alive and health.zookeeper_answers(h.address, d.ports["client"])
            elif daemon == "nimbus":
                answering = view is not None and view.leader is not None
                detail = (
                    f"leader {view.leader}" if view and view.leader else view_error or "no leader"
                )
            elif daemon.startswith("supervisor-") and view is not None:
                answering = alive and h.address in view.supervisor_hosts
                detail = "registered" if answering else "not registered with Nimbus"
            elif daemon == "ui" and hosts.ui_url:
                try:
                    summary = UIClient(hosts.ui_url, timeout=timeout).cluster_summary()
                    answering = True
                    detail = f"{summary.supervisors} supervisors, {summary.slots_total} slots"
                except UIError as exc:
                    answering, detail = False, str(exc)
            elif daemon == "sshd":
                answering = ports_open
            members = [p for p in group_members(d.pgid) if p != d.pid]
            hh.daemons.append(
                DaemonHealth(
                    name=d.name, pid=d.pid, alive=alive, ports=d.ports, ports_open=ports_open,
                    answering=answering, detail=detail, log=d.log, workers=members,
                )
            )  # fmt: skip
        out.append(hh)
    return out
