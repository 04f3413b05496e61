"""Readiness and health probes for local Storm daemons (TCP, ZooKeeper, Nimbus Thrift, HTTP).

Each probe takes a timeout and returns a value or raises
:class:`stormbridge.errors.ClusterError` / :class:`stormbridge.errors.NimbusUnreachableError`.
"""

from __future__ import annotations

import socket
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from ..errors import ClusterError, NimbusUnreachableError

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


def nimbus_view(host: str, port: int, timeout: float = 5.0) -> NimbusView:
    """Ask Nimbus over Thrift for its leader and registered supervisors."""
    from thriftpy2.protocol import TBinaryProtocolFactory
    from thriftpy2.rpc import make_client
    from thriftpy2.thrift import TException
    from thriftpy2.transport import TFramedTransportFactory

    from ..thrift import storm_thrift

    try:
        client: Any = make_client(
            storm_thrift().Nimbus,
            host,
            port,
            proto_factory=TBinaryProtocolFactory(),
            trans_factory=TFramedTransportFactory(),
            timeout=int(timeout * 1000),
        )
    except (OSError, TException) as exc:
        raise NimbusUnreachableError(f"Nimbus at {host}:{port} does not answer: {exc}") from exc
    try:
        info = client.getClusterInfo()
    except (OSError, TException) as exc:
        raise NimbusUnreachableError(
            f"Nimbus at {host}:{port} failed getClusterInfo: {exc}"
        ) from exc
    finally:
        client.close()
    leader = next((f"{n.host}:{n.port}" for n in info.nimbuses or [] if n.isLeader), None)
    sups = info.supervisors or []
    slots = 0
    for sup in sups:
        slots += int(sup.num_workers or 0)
    return NimbusView(
        leader=leader,
        supervisors=len(sups),
        slots_total=slots,
        topologies=len(info.topologies or []),
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
