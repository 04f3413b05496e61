"""The UI server's way to Nimbus: one short connection per HTTP request.

Storm's own UI opens a ``NimbusClient`` for every request too. Connections are
:class:`stormbridge.thrift.nimbus.NimbusClient` (framed binary Thrift, bounded timeouts,
Thrift and socket failures already turned into :mod:`stormbridge.errors`); with several
seeds the leader is found first (:func:`~stormbridge.thrift.nimbus.connect_leader`) so that
control calls (activate, kill ...) reach it.

The UI needs the raw Thrift structs (``TopologyInfo`` with its executor statistics,
``StormTopology``), so :class:`NimbusSession` makes the Storm calls by their Thrift names.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from ..errors import ConfigError

__all__ = ["NimbusBackend", "NimbusSession", "parse_seeds"]

#: Nimbus's default Thrift port (``nimbus.thrift.port``).
DEFAULT_NIMBUS_PORT = 6627


def parse_seeds(text: str) -> list[tuple[str, int]]:
    """``"h1:6627,h2"`` -> ``[("h1", 6627), ("h2", 6627)]``; raises :class:`ConfigError`."""
    from ..thrift.summaries import parse_address

    seeds = [parse_address(item, DEFAULT_NIMBUS_PORT) for item in text.split(",") if item.strip()]
    if not seeds:
        raise ConfigError("no Nimbus address given: pass --nimbus HOST:PORT (e.g. 127.0.0.1:6627)")
    return [(seed.host, seed.port) for seed in seeds]


class NimbusSession:
    """One open connection to Nimbus, with the Storm Thrift calls the UI makes.

    ``client`` is a :class:`~stormbridge.thrift.nimbus.NimbusClient` (or anything with the
    same ``_call(method, *args)``); every method raises :mod:`stormbridge.errors`.
    """

    def __init__(self, client: Any) -> None:
        self._client = client

    def call(self, method: str, *args: Any) -> Any:
        """A Nimbus Thrift call by its Storm name, e.g. ``call("getClusterInfo")``."""
        # NimbusClient._call is its error-translating raw call; see docs/ui.md.
        return self._client._call(method, *args)

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
        """The topology as Nimbus runs it, system components included (``getTopology``)."""
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


def _connect(seeds: Sequence[tuple[str, int]], timeout: float) -> Any:
    from ..thrift.nimbus import NimbusClient, connect_leader

    if len(seeds) == 1:
        host, port = seeds[0]
        return NimbusClient(host, port, timeout=timeout, connect_timeout=timeout).open()
    return connect_leader(seeds, timeout=timeout, connect_timeout=timeout)


class NimbusBackend:
    """Where Nimbus is (``seeds``) and how long to wait for it: ``timeout`` seconds is the
    deadline of one session (one HTTP request): connecting and every call it makes share it,
    however slowly Nimbus sends its bytes."""

    def __init__(
        self,
        seeds: Sequence[tuple[str, int]],
        timeout: float = 10.0,
        connect: Callable[[Sequence[tuple[str, int]], float], Any] = _connect,
    ) -> None:
        if not seeds:
            raise ConfigError("no Nimbus address given: pass --nimbus HOST:PORT")
        if not (timeout > 0 and math.isfinite(timeout)):
            raise ConfigError("the Nimbus timeout must be a positive, finite number of seconds")
        self.seeds = list(seeds)
        self.timeout = timeout
        self._connect = connect

    @contextmanager
    def session(self) -> Iterator[NimbusSession]:
        """A connection to the leader (or the only seed), closed afterwards; no call through
        it runs past ``timeout`` seconds from now."""
        deadline = time.monotonic() + self.timeout
        client = self._connect(self.seeds, self.timeout)
        if hasattr(client, "deadline"):  # a NimbusClient: bound the session, not each call
            client.deadline = deadline
        try:
            yield NimbusSession(client)
        finally:
            client.close()
