"""What a local cluster looks like: ports, heaps, directories and its storm.yaml (pure).

Default ports are Storm's own (ZooKeeper 2181, Nimbus 6627, supervisor 6628, UI 8080,
logviewer 8000, worker slots from 6700); ``port_offset`` moves all of them so that two
clusters (e.g. a test session's and a user's) never collide.
"""

from __future__ import annotations

import json
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from .home import LOOPBACK_PLUGIN
from .state import default_state_dir

__all__ = ["ClusterSpec", "Heaps", "Ports", "render_storm_yaml", "render_zoo_cfg"]

_TEMPLATE = Path(__file__).with_name("templates") / "storm.yaml.tmpl"

#: Storm substitutes %HEAP-MEM% (worker.heap.memory.mb or the topology's heap) and runs the
#: worker in its own directory, where artifacts/ holds GC logs and heap dumps.
WORKER_CHILDOPTS = (
    "-Xmx%HEAP-MEM%m -Xlog:gc*:file=artifacts/gc.log:time,uptime:filecount=10,filesize=1M "
    "-XX:+HeapDumpOnOutOfMemoryError -XX:HeapDumpPath=artifacts/heapdump"
)

MAX_SUPERVISORS = 50
#: Storm's own default ``topology.stats.sample.rate``, and the clusters' here. At 1.0 every
#: bolt execute also recomputes the executor's capacity over all its statistics windows
#: (Storm 2.8's BoltExecutorStats), which costs the acker more than a Java topology's whole
#: pipeline; counts then move in steps of 20 (1 / 0.05).
STORM_SAMPLE_RATE = 0.05
MAX_SLOTS = 16


@dataclass(frozen=True)
class Heaps:
    """Maximum heap per JVM, in MB: sized for a 2-core machine with plenty of RAM."""

    zookeeper: int = 256
    nimbus: int = 512
    supervisor: int = 256
    ui: int = 256
    logviewer: int = 128
    worker: int = 512


@dataclass(frozen=True)
class Ports:
    zookeeper: int
    nimbus: int
    ui: int
    logviewer: int
    supervisor_thrift: tuple[int, ...]
    slots: tuple[tuple[int, ...], ...]

    def all(self) -> list[int]:
        out = [self.zookeeper, self.nimbus, self.ui, self.logviewer, *self.supervisor_thrift]
        for slot_ports in self.slots:
            out.extend(slot_ports)
        return out


@dataclass(frozen=True)
class ClusterSpec:
    """Options of `sparse cluster up`; every field has a working default."""

    state_dir: Path = field(default_factory=default_state_dir)
    log_dir: Path | None = None  # default: <state_dir>/logs
    supervisors: int = 1
    slots: int = 2
    port_offset: int = 0
    host: str = "127.0.0.1"
    metrics_secs: int = 10
    sample_rate: float = STORM_SAMPLE_RATE
    heaps: Heaps = field(default_factory=Heaps)
    ui: bool = True
    logviewer: bool = True
    #: Extra storm.yaml keys (``--conf KEY=VALUE``), applied last.
    extra_conf: Mapping[str, Any] = field(default_factory=dict)
    #: Extra environment for the daemons (and so for workers and Python components).
    env: Mapping[str, str] = field(default_factory=dict)
    #: Bind Nimbus's and the supervisors' Thrift servers to ``host`` with stormbridge's
    #: transport plugin (its jar must be in the Storm home's extlib/); None: when available.
    loopback_thrift: bool | None = None
    #: Where ZooKeeper and Nimbus run (``storm.zookeeper.servers``, ``nimbus.seeds``); None:
    #: ``host``. A multi-host cluster's supervisor hosts set it to host 0's address.
    nimbus_host: str | None = None
    #: ZooKeeper's data and every daemon's ``storm.local.dir``; None: ``<state_dir>/data``.
    #: A multi-host cluster sets ``/data``, each host's private storage.
    data_root: Path | None = None

    @property
    def conf_dir(self) -> Path:
        return self.state_dir / "conf"

    @property
    def data_dir(self) -> Path:
        return self.data_root if self.data_root is not None else self.state_dir / "data"

    @property
    def resolved_nimbus_host(self) -> str:
        return self.nimbus_host if self.nimbus_host is not None else self.host

    @property
    def resolved_log_dir(self) -> Path:
        return self.log_dir if self.log_dir is not None else self.state_dir / "logs"

    @property
    def ports(self) -> Ports:
        o = self.port_offset
        thrift = tuple(6628 + o if i == 0 else 6640 + i + o for i in range(self.supervisors))
        slots = tuple(
            tuple(6700 + o + i * self.slots + j for j in range(self.slots))
            for i in range(self.supervisors)
        )
        return Ports(
            zookeeper=2181 + o,
            nimbus=6627 + o,
            ui=8080 + o,
            logviewer=8000 + o,
            supervisor_thrift=thrift,
            slots=slots,
        )

    def validate(self) -> None:
        """Raise :class:`ConfigError` for options no cluster can run with."""
        if not 1 <= self.supervisors <= MAX_SUPERVISORS:
            raise ConfigError(f"--supervisors must be 1..{MAX_SUPERVISORS}, not {self.supervisors}")
        if not 1 <= self.slots <= MAX_SLOTS:
            raise ConfigError(f"--slots must be 1..{MAX_SLOTS}, not {self.slots}")
        if self.metrics_secs < 1:
            raise ConfigError("the metrics interval must be at least 1 second")
        if not 0.0 < self.sample_rate <= 1.0:
            raise ConfigError(f"the stats sample rate must be in (0, 1], not {self.sample_rate}")
        ports = self.ports.all()
        if min(ports) < 1024 or max(ports) > 65535:
            raise ConfigError(
                f"--port-offset {self.port_offset} puts ports outside 1024..65535 "
                f"({min(ports)}..{max(ports)}); pick an offset between 0 and "
                f"{65535 - max(self.ports.all()) + self.port_offset}"
            )
        if len(set(ports)) != len(ports):
            raise ConfigError("the cluster's ports overlap: use fewer supervisors or slots")
        for name in ("zookeeper", "nimbus", "supervisor", "ui", "logviewer", "worker"):
            if getattr(self.heaps, name) < 32:
                raise ConfigError(f"the {name} heap must be at least 32 MB")


def _yaml(value: Any) -> str:
    """One YAML value: JSON is valid YAML, and unambiguous about strings and numbers."""
    return json.dumps(value)


def render_storm_yaml(spec: ClusterSpec, role: str) -> str:
    """storm.yaml for ``role`` (``nimbus`` — shared by ZooKeeper, UI, logviewer — or
    ``supervisor-N``, which gets its own thrift port, slots and local directory)."""
    ports = spec.ports
    heaps = spec.heaps
    index = int(role.removeprefix("supervisor-")) if role.startswith("supervisor-") else 0
    local_dir = spec.data_dir / (role if role.startswith("supervisor-") else "nimbus")
    values = {
        "role": role,
        "hostname": _yaml(spec.host),
        "nimbus_host": _yaml(spec.resolved_nimbus_host),
        "zookeeper_port": _yaml(ports.zookeeper),
        "nimbus_port": _yaml(ports.nimbus),
        "supervisor_thrift_port": _yaml(ports.supervisor_thrift[index]),
        "slot_ports": _yaml(list(ports.slots[index])),
        "ui_port": _yaml(ports.ui),
        "logviewer_port": _yaml(ports.logviewer),
        "local_dir": _yaml(str(local_dir)),
        "log_dir": _yaml(str(spec.resolved_log_dir)),
        "dev_zookeeper_dir": _yaml(str(spec.data_dir / "zookeeper")),
        "nimbus_childopts": _yaml(f"-Xmx{heaps.nimbus}m"),
        "supervisor_childopts": _yaml(f"-Xmx{heaps.supervisor}m"),
        "ui_childopts": _yaml(f"-Xmx{heaps.ui}m"),
        "logviewer_childopts": _yaml(f"-Xmx{heaps.logviewer}m"),
        "worker_heap_mb": _yaml(heaps.worker),
        "worker_childopts": _yaml(WORKER_CHILDOPTS),
        "metrics_secs": _yaml(spec.metrics_secs),
        "sample_rate": _yaml(float(spec.sample_rate)),
        "extra": "",
    }
    extra: list[str] = []
    if spec.loopback_thrift:
        extra += [
            "",
            "# --- Thrift servers on one address (Storm's own transport binds every interface) ---",
            f"nimbus.thrift.transport: {_yaml(LOOPBACK_PLUGIN)}",
            f"supervisor.thrift.transport: {_yaml(LOOPBACK_PLUGIN)}",
            f"stormbridge.thrift.bind.host: {_yaml(spec.host)}",
        ]
    if spec.extra_conf:
        extra += ["", "# --- extra settings (--conf) ---"]
        extra += [f"{json.dumps(str(k))}: {_yaml(v)}" for k, v in sorted(spec.extra_conf.items())]
    values["extra"] = "\n".join(extra)
    text = string.Template(_TEMPLATE.read_text()).substitute(values)
    if spec.extra_conf:  # an extra key replaces the template's line instead of duplicating it
        overridden = {f"{k}:" for k in spec.extra_conf}
        text = "\n".join(ln for ln in text.split("\n") if ln.split(" ", 1)[0] not in overridden)
    return text


def render_zoo_cfg(spec: ClusterSpec) -> str:
    """zoo.cfg for ZooKeeper's own server: loopback only, no admin server, data in the
    cluster's data directory."""
    return "\n".join(
        [
            "# zoo.cfg written by stormbridge (regenerated by `sparse cluster up`)",
            "tickTime=2000",
            "initLimit=10",
            "syncLimit=5",
            f"dataDir={spec.data_dir / 'zookeeper'}",
            f"clientPort={spec.ports.zookeeper}",
            f"clientPortAddress={spec.host}",
            "maxClientCnxns=0",
            "admin.enableServer=false",
            "4lw.commands.whitelist=srvr,ruok",
            "autopurge.purgeInterval=1",
            "",
        ]
    )
