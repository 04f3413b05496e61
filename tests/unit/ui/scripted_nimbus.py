"""A real Thrift Nimbus on 127.0.0.1 (thriftpy2, framed + binary) answering nimbus_data.

stormbridge.testing.nimbus.FakeNimbus does not serve executor statistics, topology conf or
``getTopology``; this one serves the hand-built word-count topology of ``nimbus_data`` and
applies activate / deactivate / kill / rebalance to its state, so tests check effects.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from thriftpy2.protocol import TBinaryProtocolFactory
from thriftpy2.server import TThreadedServer
from thriftpy2.thrift import TProcessor
from thriftpy2.transport import TFramedTransportFactory, TServerSocket

from stormbridge.thrift import storm_thrift

from . import nimbus_data as data


class Handler:
    def __init__(self) -> None:
        self.t = storm_thrift()
        self.status = "ACTIVE"
        self.alive = True
        self.kill_wait: int | None = None
        self.rebalance_wait: int | None = None
        # Nimbus's kept last error per component (NumErrorsChoice.ONE); None: the newest of
        # the recent errors, as while the worker that reported them is alive.
        self.kept_errors: dict[str, list[Any]] | None = None
        # Storm's recent errors (NumErrorsChoice.ALL) live in ZooKeeper nodes that vanish
        # with the reporting worker's session: True answers ALL with none.
        self.recent_errors_gone = False

    def _check(self, topology_id: str) -> None:
        if not self.alive or topology_id != data.TOPOLOGY_ID:
            raise self.t.NotAliveException(msg=f"{topology_id} is not alive")

    def _check_name(self, name: str) -> None:
        if not self.alive or name != data.TOPOLOGY_NAME:
            raise self.t.NotAliveException(msg=f"{name} is not alive")

    def getLeader(self) -> Any:
        return data.cluster_info().nimbuses[0]

    def getClusterInfo(self) -> Any:
        info = data.cluster_info()
        info.topologies = self.getTopologySummaries()
        return info

    def getNimbusConf(self) -> str:
        return json.dumps(data.NIMBUS_CONF)

    def getTopologySummaries(self) -> list[Any]:
        if not self.alive:
            return []
        summary = data.topology_summary()
        summary.status = self.status
        return [summary]

    def getTopologyInfoWithOpts(self, topology_id: str, options: Any) -> Any:
        self._check(topology_id)
        info = data.topology_info()
        info.status = self.status
        if options.num_err_choice == self.t.NumErrorsChoice.NONE:
            info.errors = {}
        elif options.num_err_choice == self.t.NumErrorsChoice.ONE:
            if self.kept_errors is not None:
                info.errors = self.kept_errors
            else:
                info.errors = {
                    cid: [max(errs, key=lambda e: e.error_time_secs)]
                    for cid, errs in info.errors.items()
                }
        elif self.recent_errors_gone:
            info.errors = {cid: [] for cid in info.errors}
        return info

    def getTopologyConf(self, topology_id: str) -> str:
        self._check(topology_id)
        return json.dumps(data.TOPOLOGY_CONF)

    def getTopology(self, topology_id: str) -> Any:
        self._check(topology_id)
        return data.storm_topology()

    def activate(self, name: str) -> None:
        self._check_name(name)
        self.status = "ACTIVE"

    def deactivate(self, name: str) -> None:
        self._check_name(name)
        self.status = "INACTIVE"

    def killTopologyWithOpts(self, name: str, options: Any) -> None:
        self._check_name(name)
        self.status = "KILLED"
        self.kill_wait = options.wait_secs

    def rebalance(self, name: str, options: Any) -> None:
        self._check_name(name)
        self.status = "REBALANCING"
        self.rebalance_wait = options.wait_secs


class ScriptedNimbus:
    """Serves :class:`Handler` on an ephemeral loopback port until :meth:`close`."""

    def __init__(self) -> None:
        self.handler = Handler()
        self._server = TThreadedServer(
            TProcessor(storm_thrift().Nimbus, self.handler),
            TServerSocket(host="127.0.0.1", port=0, client_timeout=10_000),
            iprot_factory=TBinaryProtocolFactory(),
            itrans_factory=TFramedTransportFactory(),
        )
        self._trans = self._server.trans
        self._trans.listen()
        self._trans.sock.settimeout(0.1)
        self.port: int = self._trans.sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, name="scripted-nimbus", daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client = self._trans.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._server.handle, args=(client,), daemon=True).start()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._trans.close()
