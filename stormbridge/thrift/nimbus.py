"""A typed client for Storm's Nimbus over framed binary Thrift.

Storm serves Nimbus with a ``TFramedTransport`` + ``TBinaryProtocol`` server without
authentication by default, and drops any request frame over ``nimbus.thrift.max_buffer_size``
(1 MiB), so jars are uploaded in 300 KB chunks (``storm.md`` §3).

Every call is bounded: connecting waits at most ``connect_timeout`` seconds and each call (its
request and whole answer, however slowly the bytes arrive) at most ``timeout`` seconds. An
answer frame over ``max_frame_size`` bytes (64 MiB) is refused before anything is allocated for
it. Failures become :mod:`stormbridge.errors`:

* socket errors, timeouts, closed connections → :class:`NimbusUnreachableError`
* ``AlreadyAliveException`` → :class:`AlreadyAliveError`, ``NotAliveException`` →
  :class:`NotAliveError`, ``InvalidTopologyException`` → :class:`InvalidTopologyError`,
  ``AuthorizationException`` → :class:`AuthorizationError` (each with Nimbus's own message)
* anything else Nimbus reports (an internal error, "not a leader"), or an answer frame that no
  Nimbus would send → :class:`NimbusError`

A client is one connection and not thread-safe; after a transport error it reconnects on the
next call. Use it as a context manager, or call :meth:`NimbusClient.close`.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from types import ModuleType, TracebackType
from typing import Any

from ..errors import (
    AlreadyAliveError,
    AuthorizationError,
    ConfigError,
    InvalidTopologyError,
    JarError,
    NimbusError,
    NimbusUnreachableError,
    NotAliveError,
    TopologyError,
)
from . import storm_thrift
from .summaries import (
    ClusterSummary,
    NimbusAddress,
    NimbusSummary,
    TopologyDetails,
    TopologySummary,
    parse_address,
)

__all__ = [
    "DEFAULT_CONNECT_TIMEOUT",
    "DEFAULT_MAX_FRAME_SIZE",
    "DEFAULT_TIMEOUT",
    "UPLOAD_CHUNK_SIZE",
    "NimbusClient",
    "connect_leader",
]

#: Bytes per ``uploadChunk`` call: Storm's own client value, well under the 1 MiB frame limit.
UPLOAD_CHUNK_SIZE = 307_200
#: Seconds to wait for a TCP connection to Nimbus.
DEFAULT_CONNECT_TIMEOUT = 10.0
#: Seconds a call (request sent, whole answer read) may take once connected.
DEFAULT_TIMEOUT = 60.0
#: Largest Thrift answer frame accepted, in bytes (Storm's own client stops at 1 MiB).
DEFAULT_MAX_FRAME_SIZE = 64 * 2**20
#: Largest single socket read, so that no read allocates more than this.
_READ_SIZE = 65_536

_TOPOLOGY_NAME_FORBIDDEN = set("/.:\\")
_HINT_UP = "is the cluster up? (`sparse cluster status`)"


def _check_topology_name(name: str) -> str:
    if not isinstance(name, str) or not name or _TOPOLOGY_NAME_FORBIDDEN & set(name):
        raise TopologyError(
            f"topology name {name!r} is not allowed: Storm names must be non-empty and "
            "contain none of / . : \\"
        )
    return name


def _seconds(value: float) -> str:
    return f"{value:g} s"


def _check_seconds(name: str, value: float) -> float:
    try:
        seconds = float(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"the Nimbus {name} {value!r} is not a number of seconds") from exc
    if not 0 < seconds < 1e9:  # also refuses nan and inf
        raise ConfigError(
            f"the Nimbus {name} {value!r} must be a positive, finite number of seconds"
        )
    return seconds


class _FrameSizeError(NimbusError):
    """An answer frame no Nimbus would send (raised from inside the Thrift transport)."""


class _GuardedSocket:
    """The socket transport under thriftpy2's framed transport, with a deadline per call and a
    frame-size check.

    Before every read and write the socket's timeout is set to what is left of the current
    call's deadline, so a peer that trickles a byte at a time is cut off at the deadline. The
    bytes read are followed frame by frame (4-byte big-endian length, then the body), and a
    length outside 1..``max_frame`` raises before the framed transport allocates a buffer.
    """

    def __init__(self, sock: socket.socket, max_frame: int, describe: Callable[[], str]) -> None:
        self.sock: socket.socket | None = sock
        self.deadline: float | None = None
        self._max_frame = max_frame
        self._describe = describe
        self._header = bytearray()
        self._body_left = 0

    def _armed(self) -> socket.socket:
        if self.sock is None:
            raise EOFError("the connection is closed")
        if self.deadline is not None:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("the call's deadline passed")
            self.sock.settimeout(left)
        return self.sock

    # the transport interface thriftpy2's framed transport calls

    def is_open(self) -> bool:
        return self.sock is not None

    def open(self) -> None:
        pass  # connected by NimbusClient.open

    def read(self, sz: int) -> bytes:
        data = self._armed().recv(min(sz, _READ_SIZE))
        if not data:
            raise EOFError("Nimbus closed the connection")
        self._follow(data)
        return data

    def write(self, buf: bytes) -> None:
        self._armed().sendall(buf)  # the timeout bounds the whole sendall (Python >= 3.5)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        sock, self.sock = self.sock, None
        if sock is not None:
            sock.close()

    def _follow(self, data: bytes) -> None:
        at, end = 0, len(data)
        while at < end:
            if self._body_left:
                step = min(self._body_left, end - at)
                self._body_left -= step
                at += step
                continue
            step = min(4 - len(self._header), end - at)
            self._header += data[at : at + step]
            at += step
            if len(self._header) == 4:
                size = int.from_bytes(self._header, "big", signed=True)
                self._header.clear()
                if not 0 < size <= self._max_frame:
                    raise _FrameSizeError(
                        f"{self._describe()} announced a {size}-byte Thrift frame (the limit is "
                        f"{self._max_frame} bytes): this is not a Storm Nimbus, or the stream "
                        "is corrupt — check the Nimbus host and port"
                    )
                self._body_left = size


class NimbusClient:
    """One connection to one Nimbus (see :func:`connect_leader` to find the leader).

    ``host``/``port`` are where to connect; nothing happens on the network until the first
    call (or :meth:`open`).
    """

    def __init__(
        self,
        host: str,
        port: int = 6627,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        max_frame_size: int = DEFAULT_MAX_FRAME_SIZE,
    ) -> None:
        self.timeout = _check_seconds("timeout", timeout)
        self.connect_timeout = _check_seconds("connect timeout", connect_timeout)
        self.address = NimbusAddress(host, int(port))
        self.max_frame_size = int(max_frame_size)
        #: An absolute ``time.monotonic()`` no call may run past (e.g. one UI request's),
        #: on top of ``timeout`` per call; ``None``: no such bound.
        self.deadline: float | None = None
        self._thrift: ModuleType = storm_thrift()
        self._client: Any = None
        self._transport: Any = None
        self._socket: _GuardedSocket | None = None

    # -- connection -------------------------------------------------------------------------

    def __repr__(self) -> str:
        state = "open" if self._client is not None else "closed"
        return f"<NimbusClient {self.address} {state}>"

    def __enter__(self) -> NimbusClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def open(self) -> NimbusClient:
        """Connect now (calls connect lazily anyway); raise :class:`NimbusUnreachableError`."""
        if self._client is not None:
            return self
        from thriftpy2.protocol import TBinaryProtocolFactory
        from thriftpy2.thrift import TClient
        from thriftpy2.transport import TFramedTransportFactory

        host, port = self.address.host, self.address.port
        try:
            sock = socket.create_connection((host, port), timeout=self.connect_timeout)
        except socket.gaierror as exc:
            raise NimbusUnreachableError(
                f"cannot resolve the Nimbus host {host!r} ({exc.strerror or exc}) — check "
                "`nimbus` in config.json or the --nimbus option"
            ) from exc
        except TimeoutError as exc:
            raise NimbusUnreachableError(
                f"cannot reach Nimbus at {self.address} after "
                f"{_seconds(self.connect_timeout)} — {_HINT_UP}"
            ) from exc
        except OSError as exc:
            raise NimbusUnreachableError(
                f"cannot reach Nimbus at {self.address} ({exc.strerror or exc}) — {_HINT_UP}"
            ) from exc
        sock.settimeout(self.timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        guarded = _GuardedSocket(sock, self.max_frame_size, lambda: f"Nimbus at {self.address}")
        transport = TFramedTransportFactory().get_transport(guarded)
        protocol = TBinaryProtocolFactory().get_protocol(transport)
        self._socket = guarded
        self._transport = transport
        self._client = TClient(self._thrift.Nimbus, protocol)
        return self

    def close(self) -> None:
        """Close the connection (idempotent); the next call reconnects."""
        transport, self._transport, self._client = self._transport, None, None
        self._socket = None
        if transport is not None:
            try:
                transport.close()
            except OSError:
                pass

    def _call(self, method: str, *args: Any) -> Any:
        from thriftpy2.thrift import TApplicationException, TException

        self.open()
        t = self._thrift
        budget = self.timeout
        if self.deadline is not None:
            budget = min(budget, self.deadline - time.monotonic())
        assert self._socket is not None
        self._socket.deadline = time.monotonic() + budget
        try:
            return getattr(self._client, method)(*args)
        except _FrameSizeError:
            self.close()
            raise
        except t.AlreadyAliveException as exc:
            raise AlreadyAliveError(
                f"Nimbus: {exc.msg} — kill it first (`sparse kill`) or pick another name"
            ) from exc
        except t.NotAliveException as exc:
            raise NotAliveError(
                f"Nimbus: {exc.msg} — no running topology has that name (`sparse list`)"
            ) from exc
        except t.InvalidTopologyException as exc:
            raise InvalidTopologyError(f"Nimbus rejected the topology: {exc.msg}") from exc
        except t.AuthorizationException as exc:
            raise AuthorizationError(
                f"Nimbus refused {method}: {exc.msg} — this cluster requires authorization, "
                "which stormbridge does not support"
            ) from exc
        except TApplicationException as exc:
            raise NimbusError(
                f"Nimbus at {self.address} failed on {method}: {exc} (see the Nimbus log)"
            ) from exc
        except TimeoutError as exc:
            self.close()
            raise NimbusUnreachableError(
                f"Nimbus at {self.address} did not answer {method} within "
                f"{_seconds(max(budget, 0.0))} — {_HINT_UP}"
            ) from exc
        except (OSError, EOFError, TException) as exc:  # after the specific ones above
            self.close()
            raise NimbusUnreachableError(
                f"lost the connection to Nimbus at {self.address} during {method} ({exc}): "
                "Nimbus stopped, or dropped a request frame over nimbus.thrift.max_buffer_size "
                f"(1 MiB) — {_HINT_UP}"
            ) from exc

    # -- cluster ----------------------------------------------------------------------------

    def leader(self) -> NimbusSummary:
        """The leader Nimbus as this Nimbus sees it (``getLeader``)."""
        return NimbusSummary.from_thrift(self._call("getLeader"))

    def cluster_summary(self) -> ClusterSummary:
        """Nimbuses, supervisors and topologies (``getClusterInfo``)."""
        return ClusterSummary.from_thrift(self._call("getClusterInfo"))

    def topologies(self) -> list[TopologySummary]:
        """Summaries of every topology Nimbus knows (``getTopologySummaries``)."""
        return [TopologySummary.from_thrift(s) for s in self._call("getTopologySummaries")]

    def topology_summary(self, name: str) -> TopologySummary:
        """The summary of topology ``name``; :class:`NotAliveError` if there is none."""
        return TopologySummary.from_thrift(self._call("getTopologySummaryByName", name))

    def topology_info(self, name: str) -> TopologyDetails:
        """Executors, stats and errors of topology ``name`` (``getTopologyInfoByName``)."""
        return TopologyDetails.from_thrift(self._call("getTopologyInfoByName", name))

    def nimbus_conf(self) -> dict[str, Any]:
        """Nimbus's effective configuration (``getNimbusConf``) as a dict."""
        raw = self._call("getNimbusConf")
        try:
            conf = json.loads(raw)
        except ValueError as exc:
            raise NimbusError(f"Nimbus at {self.address} sent a conf that is not JSON") from exc
        if not isinstance(conf, dict):
            raise NimbusError(f"Nimbus at {self.address} sent a conf that is not a JSON object")
        return conf

    def is_topology_name_allowed(self, name: str) -> bool:
        """Whether Nimbus would accept ``name`` now (valid and not in use)."""
        return bool(self._call("isTopologyNameAllowed", name))

    # -- jar upload and submit --------------------------------------------------------------

    def upload_jar(
        self,
        jar: Path,
        *,
        chunk_size: int = UPLOAD_CHUNK_SIZE,
        progress: Callable[[int, int], None] | None = None,
    ) -> str:
        """Upload ``jar`` in chunks; return the location on Nimbus to pass to :meth:`submit`.

        ``progress(sent_bytes, total_bytes)`` is called after every chunk.
        """
        if not 0 < chunk_size <= 900_000:
            raise ConfigError(
                f"chunk_size {chunk_size} must be between 1 and 900000 bytes: Nimbus drops "
                "request frames over 1 MiB"
            )
        jar = Path(jar)
        try:
            total = jar.stat().st_size
            handle = jar.open("rb")
        except OSError as exc:
            raise JarError(f"cannot read the topology jar {jar}: {exc.strerror or exc}") from exc
        with handle:
            location = str(self._call("beginFileUpload"))
            sent = 0
            while True:
                try:
                    chunk = handle.read(chunk_size)
                except OSError as exc:
                    raise JarError(f"cannot read the topology jar {jar}: {exc}") from exc
                if not chunk:
                    break
                self._call("uploadChunk", location, chunk)
                sent += len(chunk)
                if progress is not None:
                    progress(sent, total)
            self._call("finishFileUpload", location)
        return location

    def submit(
        self,
        name: str,
        jar_location: str | None,
        topology: Any,
        conf: Mapping[str, Any] | str | None = None,
        *,
        active: bool = True,
    ) -> None:
        """Submit ``topology`` (a compiled Thrift ``StormTopology``) as ``name``.

        ``jar_location`` comes from :meth:`upload_jar`; ``None`` only in local mode, where
        Storm reads ``resources/`` from the classpath (in a distributed cluster the supervisors
        would then have no jar to download). ``conf`` is the topology conf: a
        mapping (sent as JSON) or a JSON object string; Nimbus rejects anything else.
        ``active=False`` submits it deactivated.
        """
        _check_topology_name(name)
        json_conf = _json_conf(conf)
        t = self._thrift
        status = t.TopologyInitialStatus.ACTIVE if active else t.TopologyInitialStatus.INACTIVE
        options = t.SubmitOptions(initial_status=status)
        self._call("submitTopologyWithOpts", name, jar_location, json_conf, topology, options)

    # -- topology lifecycle -----------------------------------------------------------------

    def kill(
        self,
        name: str,
        *,
        wait_secs: int | None = None,
        wait: bool = False,
        deadline: float | None = None,
        poll_interval: float = 0.5,
    ) -> None:
        """Kill topology ``name``; Storm deactivates it for ``wait_secs`` (default: its
        message timeout) before removing it.

        With ``wait=True`` return only once Nimbus no longer lists it, or raise
        :class:`NimbusError` after ``deadline`` seconds (default: ``wait_secs`` + 60, or 90).
        """
        options = self._thrift.KillOptions(wait_secs=None if wait_secs is None else int(wait_secs))
        self._call("killTopologyWithOpts", name, options)
        if not wait:
            return
        limit = deadline if deadline is not None else (30 if wait_secs is None else wait_secs) + 60
        self.wait_until_gone(name, deadline=limit, poll_interval=poll_interval)

    def wait_until_gone(self, name: str, *, deadline: float, poll_interval: float = 0.5) -> None:
        """Poll until Nimbus no longer lists topology ``name``; :class:`NimbusError` after
        ``deadline`` seconds."""
        end = time.monotonic() + deadline
        while True:
            present = [s for s in self.topologies() if s.name == name]
            if not present:
                return
            left = end - time.monotonic()
            if left <= 0:
                raise NimbusError(
                    f"topology {name!r} is still listed by Nimbus (status "
                    f"{present[0].status}) after {_seconds(deadline)}; it may be waiting out "
                    "its kill wait_secs — check `sparse list` later"
                )
            time.sleep(min(poll_interval, left))

    def activate(self, name: str) -> None:
        """Resume the spouts of topology ``name``."""
        self._call("activate", name)

    def deactivate(self, name: str) -> None:
        """Pause the spouts of topology ``name`` (``nextTuple`` stops being called)."""
        self._call("deactivate", name)

    def rebalance(
        self,
        name: str,
        *,
        wait_secs: int | None = None,
        num_workers: int | None = None,
        num_executors: Mapping[str, int] | None = None,
    ) -> None:
        """Redistribute topology ``name``: new worker count and/or per-component executors."""
        options = self._thrift.RebalanceOptions(
            wait_secs=None if wait_secs is None else int(wait_secs),
            num_workers=None if num_workers is None else int(num_workers),
            num_executors=None if num_executors is None else dict(num_executors),
        )
        self._call("rebalance", name, options)


def _json_conf(conf: Mapping[str, Any] | str | None) -> str:
    if conf is None:
        return "{}"
    if isinstance(conf, str):
        try:
            parsed = json.loads(conf)
        except ValueError as exc:
            raise ConfigError(f"the topology conf is not valid JSON: {exc}") from exc
        if not isinstance(parsed, dict):
            raise ConfigError(
                f"the topology conf must be a JSON object, not {type(parsed).__name__}: "
                "Nimbus only accepts a map of options"
            )
        return conf
    if not isinstance(conf, Mapping):
        raise ConfigError(
            f"the topology conf must be a mapping of options, not {type(conf).__name__}"
        )
    try:
        return json.dumps(dict(conf), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ConfigError(
            f"the topology conf cannot be sent to Nimbus as JSON: {exc}; options must be "
            "strings, numbers, booleans, lists or objects"
        ) from exc


def connect_leader(
    seeds: Iterable[str | tuple[str, int]],
    *,
    default_port: int = 6627,
    timeout: float = DEFAULT_TIMEOUT,
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
    follow_leader: bool = True,
    wait: float = 0.0,
    poll_interval: float = 1.0,
) -> NimbusClient:
    """Connect to the leader Nimbus, found through ``seeds`` (``nimbus.seeds``-style hosts).

    Each seed is asked ``getLeader``; the client connects to the advertised leader. If that
    address cannot be reached (a hostname only the cluster resolves, an SSH tunnel) and the
    seed is the only Nimbus, the seed's own connection is used. ``follow_leader=False`` keeps
    the first seed that answers. ``wait`` > 0 retries for that many seconds while no leader is
    elected or reachable (a cluster that is starting).
    """
    addresses = [
        parse_address(seed, default_port) if isinstance(seed, str) else NimbusAddress(*seed)
        for seed in seeds
    ]
    if not addresses:
        raise ConfigError("no Nimbus seeds given: set `nimbus` in config.json or --nimbus")
    end = time.monotonic() + max(0.0, wait)
    while True:
        problems: list[str] = []
        for address in addresses:
            client = _try_seed(address, timeout, connect_timeout, follow_leader, problems)
            if client is not None:
                return client
        if time.monotonic() >= end:
            tried = "; ".join(problems)
            raise NimbusUnreachableError(
                f"no leader Nimbus reachable through {', '.join(map(str, addresses))}: "
                f"{tried}" + (f" (waited {_seconds(wait)})" if wait > 0 else "")
            )
        time.sleep(min(poll_interval, max(0.0, end - time.monotonic())))


def _try_seed(
    address: NimbusAddress,
    timeout: float,
    connect_timeout: float,
    follow_leader: bool,
    problems: list[str],
) -> NimbusClient | None:
    seed = NimbusClient(
        address.host, address.port, timeout=timeout, connect_timeout=connect_timeout
    )
    try:
        leader = seed.leader()
    except NimbusError as exc:
        seed.close()
        problems.append(
            str(exc)
            if isinstance(exc, NimbusUnreachableError)
            else f"{address}: no leader yet ({exc})"
        )
        return None
    if not follow_leader or leader.address == address:
        return seed
    candidate = NimbusClient(
        leader.host, leader.port, timeout=timeout, connect_timeout=connect_timeout
    )
    try:
        candidate.open()
    except NimbusUnreachableError as exc:
        try:
            sole = len(seed.cluster_summary().nimbuses) <= 1
        except NimbusError:
            sole = False
        if sole:
            return seed
        seed.close()
        problems.append(f"{address} names {leader.address} as leader, but {exc}")
        return None
    seed.close()
    return candidate
