"""The UI server's way to Nimbus: one short Thrift connection per HTTP request.

Storm's own UI opens a ``NimbusClient`` for every request too. A connection is framed
transport + binary protocol with a socket timeout, tried against each seed in turn; with
several seeds the leader is asked for first (``getLeader``) so that control calls
(activate, kill ...) reach it. thriftpy2 and socket errors become
:mod:`stormbridge.errors` exceptions here, at the boundary.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from ..errors import (
    AuthorizationError,
    ConfigError,
    NimbusError,
    NimbusUnreachableError,
    NotAliveError,
)

__all__ = ["NimbusBackend", "NimbusSession", "parse_seeds"]

T = TypeVar("T")

#: Nimbus's default Thrift port (``nimbus.thrift.port``).
DEFAULT_NIMBUS_PORT = 6627


def parse_seeds(text: str) -> list[tuple[str, int]]:
    """``"h1:6627,h2"`` -> ``[("h1", 6627), ("h2", 6627)]``; raises :class:`ConfigError`."""
    seeds: list[tuple[str, int]] = []
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        host, sep, port_text = item.rpartition(":")
        if not sep:
            host, port_text = item, str(DEFAULT_NIMBUS_PORT)
        host = host.strip("[]")
        try:
            port = int(port_text)
        except ValueError:
            raise ConfigError(
                f"bad Nimbus address {item!r}: the port must be a number (e.g. 127.0.0.1:6627)"
            ) from None
        if not host or not 0 < port < 65536:
            raise ConfigError(
                f"bad Nimbus address {item!r}: expected HOST:PORT, e.g. 127.0.0.1:6627"
            )
        seeds.append((host, port))
    if not seeds:
        raise ConfigError("no Nimbus address given: pass --nimbus HOST:PORT (e.g. 127.0.0.1:6627)")
    return seeds


def _translate(exc: BaseException, where: str) -> NimbusError:
    """A thriftpy2 / socket exception -> the matching stormbridge error."""
    name = type(exc).__name__
    msg = getattr(exc, "msg", None) or str(exc) or name
    if name == "NotAliveException":
        return NotAliveError(f"Nimbus at {where}: {msg}")
    if name == "AuthorizationException":
        return AuthorizationError(f"Nimbus at {where} refused the call: {msg}")
    if isinstance(exc, (OSError, socket.timeout)) or name in (
        "TTransportException",
        "TProtocolException",
    ):
        return NimbusUnreachableError(
            f"Nimbus at {where} did not answer ({msg}); is it running? "
            "Start the cluster with `sparse cluster up` or fix --nimbus"
        )
    return NimbusError(f"Nimbus at {where} failed: {name}: {msg}")


class NimbusSession:
    """One open connection to Nimbus; the Storm Thrift calls the UI needs, by their names."""

    def __init__(self, client: Any, where: str) -> None:
        self._client = client
        self.where = where

    def call(self, method: str, *args: Any) -> Any:
        """``getClusterInfo()`` etc. with errors translated to :mod:`stormbridge.errors`."""
        try:
            return getattr(self._client, method)(*args)
        except NimbusError:
            raise
        except Exception as exc:
            raise _translate(exc, self.where) from exc

    # Typed shorthands --------------------------------------------------------------

    def cluster_info(self) -> Any:
        return self.call("getClusterInfo")

    def nimbus_conf(self) -> str:
        return str(self.call("getNimbusConf"))

    def topology_summaries(self) -> list[Any]:
        return list(self.call("getTopologySummaries"))

    def topology_info(self, topology_id: str, errors: str = "ONE") -> Any:
        """``getTopologyInfoWithOpts`` with ``NumErrorsChoice`` ``ALL``, ``NONE`` or ``ONE``."""
        st = _storm()
        opts = st.GetInfoOptions(num_err_choice=getattr(st.NumErrorsChoice, errors))
        return self.call("getTopologyInfoWithOpts", topology_id, opts)

    def topology_conf(self, topology_id: str) -> str:
        return str(self.call("getTopologyConf", topology_id))

    def topology(self, topology_id: str) -> Any:
        return self.call("getTopology", topology_id)

    def activate(self, name: str) -> None:
        self.call("activate", name)

    def deactivate(self, name: str) -> None:
        self.call("deactivate", name)

    def kill(self, name: str, wait_secs: int) -> None:
        self.call("killTopologyWithOpts", name, _storm().KillOptions(wait_secs=wait_secs))

    def rebalance(self, name: str, wait_secs: int) -> None:
        self.call("rebalance", name, _storm().RebalanceOptions(wait_secs=wait_secs))


def _storm() -> Any:
    from ..thrift import storm_thrift  # deferred: parses the IDL once

    return storm_thrift()


class NimbusBackend:
    """Where Nimbus is (``seeds``) and how long to wait for it (``timeout`` seconds)."""

    def __init__(
        self,
        seeds: Sequence[tuple[str, int]],
        timeout: float = 10.0,
        connect: Callable[[str, int, float], Any] | None = None,
    ) -> None:
        if not seeds:
            raise ConfigError("no Nimbus address given: pass --nimbus HOST:PORT")
        self.seeds = list(seeds)
        self.timeout = timeout
        self._connect = connect or _thrift_connect

    @contextmanager
    def session(self) -> Iterator[NimbusSession]:
        """A connection to the leader (or the first seed that answers), closed afterwards."""
        client, where = self._open()
        try:
            yield NimbusSession(client, where)
        finally:
            _close(client)

    def _open(self) -> tuple[Any, str]:
        failures: list[str] = []
        for host, port in self.seeds:
            where = f"{host}:{port}"
            try:
                client = self._connect(host, port, self.timeout)
            except Exception as exc:  # noqa: BLE001 - translated below, all seeds tried
                failures.append(str(_translate(exc, where)))
                continue
            if len(self.seeds) == 1:
                return client, where
            leader = self._leader_of(client, where)
            if leader is None or leader == (host, port):
                return client, where
            _close(client)
            try:
                return self._connect(leader[0], leader[1], self.timeout), f"{leader[0]}:{leader[1]}"
            except Exception as exc:  # noqa: BLE001
                failures.append(str(_translate(exc, f"{leader[0]}:{leader[1]}")))
        raise NimbusUnreachableError("; ".join(failures))

    @staticmethod
    def _leader_of(client: Any, where: str) -> tuple[str, int] | None:
        try:
            leader = NimbusSession(client, where).call("getLeader")
        except NimbusError:
            return None
        return (str(leader.host), int(leader.port))


def _thrift_connect(host: str, port: int, timeout: float) -> Any:
    from thriftpy2.protocol import TBinaryProtocolFactory
    from thriftpy2.rpc import make_client
    from thriftpy2.transport import TFramedTransportFactory

    return make_client(
        _storm().Nimbus,
        host,
        port,
        proto_factory=TBinaryProtocolFactory(),
        trans_factory=TFramedTransportFactory(),
        timeout=int(timeout * 1000),
    )


def _close(client: Any) -> None:
    try:
        client.close()
    except Exception:  # noqa: BLE001 - closing a broken connection must not mask the answer
        pass
