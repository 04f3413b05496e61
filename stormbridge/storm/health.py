"""Readiness and health probes for local Storm daemons (TCP, ZooKeeper, Nimbus Thrift, HTTP).

Each probe takes a timeout and returns a value or raises
:class:`stormbridge.errors.ClusterError` / :class:`stormbridge.errors.NimbusUnreachableError`.
"""

from __future__ import annotations

import socket
import urllib.error
import urllib.request
from dataclasses import dataclass

from ..errors import ClusterError, NimbusError, NimbusUnreachableError

__all__ = ["NimbusView", "http_answers", "nimbus_view", "tcp_open", "zookeeper_answers"]


def tcp_open(host: str, port: int, timeout: float = 2.0) -> bool:
    """Whether something accepts TCP connections on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def zookeeper_answers(host: str, port: int, timeout: float = 3.0) -> bool:
    """Whether a ZooKeeper server answers the ``srvr`` four-letter word."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(b"srvr")
            sock.shutdown(socket.SHUT_WR)
            data = b""
            while len(data) < 4096:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                data += chunk
    except OSError:
        return False
    return b"Zookeeper version" in data


def http_answers(url: str, timeout: float = 3.0) -> bool:
    """Whether an HTTP server answers ``url`` at all (any status counts)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout):
            return True
    except urllib.error.HTTPError:
        return True
    except (urllib.error.URLError, OSError):
        return False


@dataclass(frozen=True)
class NimbusView:
    """What Nimbus says about the cluster (from ``getClusterInfo``)."""

    leader: str | None  # "host:port" of the leader, None if none yet
    supervisors: int
    slots_total: int
    topologies: int
    #: The hostname each registered supervisor reports (``storm.local.hostname``).
    supervisor_hosts: tuple[str, ...] = ()


def nimbus_view(host: str, port: int, timeout: float = 5.0) -> NimbusView:
    """Ask Nimbus over Thrift (``getClusterInfo``) for its leader and registered supervisors.

    Raises :class:`NimbusUnreachableError` while Nimbus does not answer; any other Nimbus error
    (e.g. not ready yet) is reported the same way, since to a readiness poll it means "not yet".
    """
    from ..thrift.nimbus import NimbusClient

    try:
        with NimbusClient(host, port, timeout=timeout, connect_timeout=timeout) as client:
            info = client.cluster_summary()
    except NimbusUnreachableError:
        raise
    except NimbusError as exc:
        raise NimbusUnreachableError(f"Nimbus at {host}:{port} is not ready: {exc}") from exc
    leader = info.leader
    return NimbusView(
        leader=f"{leader.host}:{leader.port}" if leader else None,
        supervisors=len(info.supervisors),
        slots_total=sum(s.num_workers for s in info.supervisors),
        topologies=len(info.topologies),
        supervisor_hosts=tuple(s.host for s in info.supervisors),
    )


def check_port_free(host: str, port: int, what: str) -> None:
    """Raise :class:`ClusterError` if ``port`` is taken (on ``host`` or the wildcard)."""
    for bind_host in (host, "0.0.0.0"):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            # Servers set SO_REUSEADDR: a port in TIME_WAIT is free for them.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((bind_host, port))
            except OSError as exc:
                raise ClusterError(
                    f"port {port} for {what} is already in use ({exc.strerror}); stop what uses "
                    "it (`ss -ltnp`) or start the cluster on other ports with --port-offset N"
                ) from exc
