"""An in-process fake Nimbus: a real framed-binary Thrift server on 127.0.0.1 for tests.

It speaks the same wire format as Storm's Nimbus (``TFramedTransport`` + ``TBinaryProtocol``),
drops connections that send a frame over 1 MiB as Storm does, and keeps just enough state
to behave like Nimbus for a client: jar uploads, submitted topologies with their conf and
Thrift structure, kill with ``wait_secs``, activate/deactivate, rebalance, leader info, and
Storm's checks (name pattern, name in use, ``jsonConf`` must be a JSON object)::

    with FakeNimbus() as nimbus:
        client = NimbusClient(*nimbus.address)
        ...
        assert nimbus.topologies["wordcount"].status == "ACTIVE"

Failures can be injected with :meth:`FakeNimbus.fail_next`. Use it to test code that talks
to Nimbus (``sparse submit``, deploy scripts) without a JVM; the integration tests run the
same client against a real Storm.
"""

from __future__ import annotations

import json
import re
import socket
import struct
import threading
import time
import uuid
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from ..thrift import storm_thrift

__all__ = ["MAX_FRAME_BYTES", "FakeNimbus", "FakeTopology"]

#: Storm's default ``nimbus.thrift.max_buffer_size``: larger request frames drop the connection.
MAX_FRAME_BYTES = 1_048_576
_NAME_RE = re.compile(r"^[^/.:\\]+$")


@dataclass
class FakeTopology:
    """What Nimbus holds for one submitted topology."""

    id: str
    name: str
    jar_location: str
    conf: dict[str, Any]
    topology: Any
    status: str = "ACTIVE"
    num_workers: int = 1
    num_executors: dict[str, int] = field(default_factory=dict)
    submitted_at: float = field(default_factory=time.monotonic)
    #: monotonic time after which a killed topology disappears
    remove_at: float | None = None
    rebalances: list[Any] = field(default_factory=list)
    #: component id -> Thrift ``ExecutorStats`` reported for each of its executors
    stats: dict[str, Any] = field(default_factory=dict)
    #: component id -> Thrift ``ErrorInfo`` list reported by ``getTopologyInfo*``
    errors: dict[str, list[Any]] = field(default_factory=dict)


class _Handler:
    """The Nimbus methods, on the fake's state (called from server threads under a lock)."""

    def __init__(self, fake: FakeNimbus) -> None:
        self.fake = fake
        self.t = storm_thrift()

    def _alive(self, name: str) -> FakeTopology:
        self.fake._expire()
        topo = self.fake.topologies.get(name)
        if topo is None or topo.status == "KILLED":
            raise self.t.NotAliveException(msg=f"{name} is not alive")
        return topo

    def _leader_only(self) -> None:
        if not self.fake.is_leader:
            raise RuntimeError("not a leader, current leader is elsewhere")

    def beginFileUpload(self) -> str:
        self._leader_only()
        location = f"/tmp/storm-local/nimbus/inbox/stormjar-{uuid.uuid4()}.jar"
        self.fake.uploads[location] = bytearray()
        return location

    def uploadChunk(self, location: str, chunk: bytes) -> None:
        if location not in self.fake.uploads or location in self.fake.jars:
            raise RuntimeError("File for that location does not exist (or timed out)")
        self.fake.uploads[location] += chunk
        self.fake.chunk_sizes.append(len(chunk))

    def finishFileUpload(self, location: str) -> None:
        if location not in self.fake.uploads:
            raise RuntimeError("File for that location does not exist (or timed out)")
        self.fake.jars[location] = bytes(self.fake.uploads.pop(location))

    def submitTopology(self, name: str, location: str, json_conf: str, topology: Any) -> None:
        options = self.t.SubmitOptions(initial_status=self.t.TopologyInitialStatus.ACTIVE)
        self.submitTopologyWithOpts(name, location, json_conf, topology, options)

    def submitTopologyWithOpts(
        self, name: str, location: str, json_conf: str, topology: Any, options: Any
    ) -> None:
        self._leader_only()
        if options is None:
            raise RuntimeError("SubmitOptions must not be null")
        if not _NAME_RE.match(name or ""):
            raise self.t.InvalidTopologyException(
                msg=f"Topology name must match ^[^/.:\\\\]+$: {name}"
            )
        self.fake._expire()
        if name in self.fake.topologies:
            raise self.t.AlreadyAliveException(
                msg=f"Topology with name `{name}` already exists on cluster"
            )
        conf = json.loads(json_conf) if json_conf else None
        if not isinstance(conf, dict):  # Nimbus casts the parsed value to a Map
            raise RuntimeError("class cannot be cast to class java.util.Map")
        for cid in [*(topology.spouts or {}), *(topology.bolts or {})]:
            if cid.startswith("__"):
                raise self.t.InvalidTopologyException(
                    msg=f"Component id {cid} is invalid: ids beginning with __ are reserved"
                )
        if location is not None and location not in self.fake.jars:
            raise RuntimeError(f"no uploaded jar at {location}")
        self.fake._counter += 1
        status = (
            "ACTIVE"
            if options.initial_status == self.t.TopologyInitialStatus.ACTIVE
            else "INACTIVE"
        )
        parallelism = {
            cid: (spec.common.parallelism_hint or 1)
            for cid, spec in [*(topology.spouts or {}).items(), *(topology.bolts or {}).items()]
        }
        self.fake.topologies[name] = FakeTopology(
            id=f"{name}-{self.fake._counter}-{int(time.time())}",
            name=name,
            jar_location=location,
            conf=conf,
            topology=topology,
            status=status,
            num_workers=int(conf.get("topology.workers", 1)),
            num_executors=parallelism,
        )

    def killTopology(self, name: str) -> None:
        self.killTopologyWithOpts(name, self.t.KillOptions())

    def killTopologyWithOpts(self, name: str, options: Any) -> None:
        topo = self._alive(name)
        wait = options.wait_secs if options is not None and options.wait_secs is not None else 30
        topo.status = "KILLED"
        topo.remove_at = time.monotonic() + max(0, wait)
        self.fake._expire()

    def activate(self, name: str) -> None:
        self._alive(name).status = "ACTIVE"

    def deactivate(self, name: str) -> None:
        self._alive(name).status = "INACTIVE"

    def rebalance(self, name: str, options: Any) -> None:
        topo = self._alive(name)
        if options is not None:
            if options.num_workers is not None:
                if options.num_workers <= 0:
                    raise self.t.InvalidTopologyException(msg="Number of workers must be positive")
                topo.num_workers = options.num_workers
            for cid, count in (options.num_executors or {}).items():
                if cid not in topo.num_executors:
                    raise self.t.InvalidTopologyException(msg=f"unknown component {cid}")
                topo.num_executors[cid] = count
        topo.rebalances.append(options)

    def isTopologyNameAllowed(self, name: str) -> bool:
        self.fake._expire()
        return bool(_NAME_RE.match(name or "")) and name not in self.fake.topologies

    def getNimbusConf(self) -> str:
        return json.dumps(self.fake.conf)

    def getLeader(self) -> Any:
        leader = self.fake.leader
        if leader is None:
            raise RuntimeError("No leader elected")
        host, port = leader
        return self.t.NimbusSummary(
            host=host, port=port, uptime_secs=1, isLeader=True, version=self.fake.version
        )

    def _summary(self, topo: FakeTopology) -> Any:
        return self.t.TopologySummary(
            id=topo.id,
            name=topo.name,
            num_tasks=sum(topo.num_executors.values()),
            num_executors=sum(topo.num_executors.values()),
            num_workers=topo.num_workers,
            uptime_secs=int(time.monotonic() - topo.submitted_at),
            status=topo.status,
            storm_version=self.fake.version,
        )

    def getClusterInfo(self) -> Any:
        self.fake._expire()
        host, port = self.fake.address
        nimbus = self.t.NimbusSummary(
            host=host,
            port=port,
            uptime_secs=1,
            isLeader=self.fake.is_leader,
            version=self.fake.version,
        )
        supervisor = self.t.SupervisorSummary(
            host="127.0.0.1",
            uptime_secs=1,
            num_workers=4,
            num_used_workers=0,
            supervisor_id="fake-supervisor",
            version=self.fake.version,
        )
        return self.t.ClusterSummary(
            supervisors=[supervisor],
            topologies=[self._summary(t) for t in self.fake.topologies.values()],
            nimbuses=[nimbus, *self.fake.extra_nimbuses],
        )

    def getTopologySummaries(self) -> list[Any]:
        self.fake._expire()
        return [self._summary(t) for t in self.fake.topologies.values()]

    def getTopologySummaryByName(self, name: str) -> Any:
        return self._summary(self._by_name(name))

    def _by_name(self, name: str) -> FakeTopology:
        self.fake._expire()
        topo = self.fake.topologies.get(name)
        if topo is None:
            raise self.t.NotAliveException(msg=f"No topology named {name}")
        return topo

    def _by_id(self, topology_id: str) -> FakeTopology:
        self.fake._expire()
        for topo in self.fake.topologies.values():
            if topo.id == topology_id:
                return topo
        raise self.t.NotAliveException(msg=f"{topology_id} is not alive")

    def _info(self, topo: FakeTopology, options: Any = None) -> Any:
        executors = []
        task = 1
        for cid, count in sorted(topo.num_executors.items()):
            for _ in range(count):
                executors.append(
                    self.t.ExecutorSummary(
                        executor_info=self.t.ExecutorInfo(task_start=task, task_end=task),
                        component_id=cid,
                        host="127.0.0.1",
                        port=6700,
                        uptime_secs=1,
                        stats=topo.stats.get(cid),
                    )
                )
                task += 1
        errors = {cid: list(errs) for cid, errs in topo.errors.items()}
        choice = getattr(options, "num_err_choice", None)
        if choice == self.t.NumErrorsChoice.NONE:
            errors = {}
        elif choice == self.t.NumErrorsChoice.ONE:
            errors = {cid: errs[-1:] for cid, errs in errors.items()}
        return self.t.TopologyInfo(
            id=topo.id,
            name=topo.name,
            uptime_secs=1,
            executors=executors,
            status=topo.status,
            errors=errors,
        )

    def getTopologySummary(self, topology_id: str) -> Any:
        return self._summary(self._by_id(topology_id))

    def getTopologyInfoByName(self, name: str) -> Any:
        return self._info(self._by_name(name))

    def getTopologyInfoByNameWithOpts(self, name: str, options: Any) -> Any:
        return self._info(self._by_name(name), options)

    def getTopologyInfo(self, topology_id: str) -> Any:
        return self._info(self._by_id(topology_id))

    def getTopologyInfoWithOpts(self, topology_id: str, options: Any) -> Any:
        return self._info(self._by_id(topology_id), options)

    def getTopologyConf(self, topology_id: str) -> str:
        return json.dumps(self._by_id(topology_id).conf)

    def getTopology(self, topology_id: str) -> Any:
        """The submitted topology (a real Nimbus adds system components such as __acker)."""
        return self._by_id(topology_id).topology

    def getUserTopology(self, topology_id: str) -> Any:
        return self._by_id(topology_id).topology


class FakeNimbus:
    """A fake Nimbus serving real Thrift frames on ``127.0.0.1:<ephemeral port>`` (``host``
    picks another loopback address, e.g. to play a Nimbus bound only to its host's address).

    State is public for assertions: ``topologies`` (name → :class:`FakeTopology`), ``jars``
    (upload location → bytes), ``chunk_sizes``, ``frame_sizes`` (every request frame's size),
    ``calls`` (method names in order). ``leader`` is the ``(host, port)`` ``getLeader``
    answers (default: this server; ``None`` → "No leader elected"); ``is_leader=False`` makes
    submit and upload fail like a follower Nimbus.
    """

    def __init__(
        self,
        *,
        version: str = "2.8.4",
        conf: dict[str, Any] | None = None,
        host: str = "127.0.0.1",
    ) -> None:
        self.version = version
        self.conf: dict[str, Any] = conf if conf is not None else {"nimbus.thrift.port": 0}
        self.topologies: dict[str, FakeTopology] = {}
        self.uploads: dict[str, bytearray] = {}
        self.jars: dict[str, bytes] = {}
        self.chunk_sizes: list[int] = []
        self.frame_sizes: list[int] = []
        self.calls: list[str] = []
        self.is_leader = True
        self.extra_nimbuses: list[Any] = []
        self._counter = 0
        self._failures: dict[str, BaseException] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind((host, 0))  # a loopback address (127.0.0.0/8) in tests
        self._listener.listen(16)
        self._listener.settimeout(0.1)
        self.address: tuple[str, int] = self._listener.getsockname()[:2]
        self.leader: tuple[str, int] | None = self.address
        self._connections: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._handler = _Handler(self)
        self._acceptor = threading.Thread(target=self._accept_loop, name="fake-nimbus", daemon=True)
        self._acceptor.start()

    @property
    def port(self) -> int:
        return self.address[1]

    def fail_next(self, method: str, exc: BaseException) -> None:
        """Make the next call of ``method`` raise ``exc`` (a Thrift exception of the IDL, or
        any other exception, which becomes an internal error as in Storm)."""
        with self._lock:
            self._failures[method] = exc

    def _expire(self) -> None:
        now = time.monotonic()
        for name in [
            n for n, t in self.topologies.items() if t.remove_at is not None and t.remove_at <= now
        ]:
            del self.topologies[name]

    # -- server -----------------------------------------------------------------------------

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(None)
            self._connections.append(conn)
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            while not self._stop.is_set():
                header = _recv_exactly(conn, 4)
                if header is None:
                    return
                (size,) = struct.unpack("!i", header)
                with self._lock:
                    self.frame_sizes.append(size)
                if size < 0 or size > MAX_FRAME_BYTES:
                    return  # Storm's THsHaServer closes the connection on an oversized frame
                payload = _recv_exactly(conn, size)
                if payload is None:
                    return
                reply = self._process(payload)
                if reply:
                    conn.sendall(struct.pack("!i", len(reply)) + reply)
        except OSError:
            return
        finally:
            conn.close()

    def _process(self, payload: bytes) -> bytes:
        from thriftpy2.protocol.binary import TBinaryProtocol
        from thriftpy2.thrift import TApplicationException, TMessageType, TProcessor
        from thriftpy2.transport.memory import TMemoryBuffer

        t = storm_thrift()
        processor = TProcessor(t.Nimbus, self._handler)
        iprot = TBinaryProtocol(TMemoryBuffer(payload))
        out = TMemoryBuffer()
        oprot = TBinaryProtocol(out)
        api, seqid, result, call = processor.process_in(iprot)
        if isinstance(result, TApplicationException):
            processor.send_exception(oprot, api, result, seqid)
            return out.getvalue()
        with self._lock:
            self.calls.append(api)
            failure = self._failures.pop(api, None)
            try:
                if failure is not None:
                    raise failure
                assert call is not None
                result.success = call()
            except TApplicationException as exc:
                processor.send_exception(oprot, api, exc, seqid)
                return out.getvalue()
            except Exception as exc:  # noqa: BLE001 - like Java Thrift: becomes INTERNAL_ERROR
                if not processor.handle_exception(exc, result):
                    error = TApplicationException(
                        TApplicationException.INTERNAL_ERROR,
                        f"Internal error processing {api}: {type(exc).__name__}: {exc}",
                    )
                    oprot.write_message_begin(api, TMessageType.EXCEPTION, seqid)
                    error.write(oprot)
                    oprot.write_message_end()
                    return out.getvalue()
        processor.send_result(oprot, api, result, seqid)
        return out.getvalue()

    def close(self) -> None:
        """Stop serving and close every connection (idempotent)."""
        self._stop.set()
        try:
            self._listener.close()
        except OSError:
            pass
        for conn in self._connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            conn.close()
        self._acceptor.join(timeout=5)
        for thread in self._threads:
            thread.join(timeout=5)

    def __enter__(self) -> FakeNimbus:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _recv_exactly(conn: socket.socket, size: int) -> bytes | None:
    chunks = bytearray()
    while len(chunks) < size:
        data = conn.recv(min(size - len(chunks), 1 << 20))
        if not data:
            return None
        chunks += data
    return bytes(chunks)
