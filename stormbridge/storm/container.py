"""One container of the Dockerised cluster (``docker/``): its daemon, storm.yaml and command.

Every container of ``docker/docker-compose.yml`` runs the same image with one role —
``zookeeper``, ``nimbus``, ``supervisor`` or ``ui`` — and ``sparse container ROLE`` as its
command. The settings come from environment variables (:class:`ContainerSettings`); storm.yaml
and zoo.cfg are rendered by :mod:`stormbridge.storm.config`, exactly as ``sparse cluster up``
renders them, and the command line is :func:`stormbridge.storm.daemons.daemon_command`'s.

Supervisors are scaled with ``--scale supervisor=N``: identical containers that must not share
ports when they share one network (host networking, the only kind this project's machines
have). Each supervisor therefore claims the first free index ``i`` by holding an exclusive
``flock`` on ``<claims>/supervisor-<i>.lock`` (a volume shared by the supervisors) for as long
as it lives; index ``i`` gets the ports supervisor ``i`` of ``sparse cluster up`` gets, and its
own ``storm.local.hostname`` (by default ``127.0.1.<i+1>``: every 127/8 address is loopback).
"""

from __future__ import annotations

import fcntl
import os
import string
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ClusterError, ConfigError
from . import health
from .config import (
    MAX_SLOTS,
    MAX_SUPERVISORS,
    STORM_SAMPLE_RATE,
    ClusterSpec,
    render_storm_yaml,
    render_zoo_cfg,
)
from .daemons import daemon_command
from .home import StormHome

__all__ = [
    "ROLES",
    "ContainerPlan",
    "ContainerSettings",
    "claim_supervisor_index",
    "plan_container",
    "wait_for_zookeeper",
    "write_files",
]

ROLES = ("zookeeper", "nimbus", "supervisor", "ui")

#: ``storm.local.hostname`` of supervisor ``index`` (``{n}`` is ``index + 1``).
DEFAULT_SUPERVISOR_HOST = "127.0.1.{n}"


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        raise ConfigError(f"${name} must be a whole number, not {text!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"${name} must be {low}..{high}, not {value}")
    return value


def _host(env: Mapping[str, str], name: str, default: str) -> str:
    value = env.get(name, "").strip() or default
    if not value or any(c.isspace() or c in "\"'\\,[]{}#" for c in value):
        raise ConfigError(f"${name} must be a host name or address, not {value!r}")
    return value


@dataclass(frozen=True)
class ContainerSettings:
    """What the compose file passes in the environment (every variable is optional)."""

    #: ``$STORMBRIDGE_PORT_OFFSET``: moves every port, as ``sparse cluster up --port-offset``.
    port_offset: int = 0
    #: ``$STORMBRIDGE_SLOTS``: worker slots per supervisor.
    slots: int = 2
    #: ``$STORMBRIDGE_HOST``: address ZooKeeper, Nimbus and the UI bind and advertise.
    host: str = "127.0.0.1"
    #: ``$STORMBRIDGE_NIMBUS_HOST``: where supervisors and the UI find ZooKeeper and Nimbus.
    nimbus_host: str = "127.0.0.1"
    #: ``$STORMBRIDGE_SUPERVISOR_HOST``: a supervisor's hostname; ``{n}`` is its index + 1.
    supervisor_host: str = DEFAULT_SUPERVISOR_HOST
    #: ``$STORMBRIDGE_MAX_SUPERVISORS``: how many supervisor indexes may be claimed.
    max_supervisors: int = 8
    #: ``$STORMBRIDGE_METRICS_SECS`` / ``$STORMBRIDGE_SAMPLE_RATE``: UI statistics.
    metrics_secs: int = 10
    sample_rate: float = STORM_SAMPLE_RATE
    #: ``$STORMBRIDGE_STATE``: the container's conf, data and log directories.
    state_dir: Path = Path("/var/lib/stormbridge")
    #: ``$STORMBRIDGE_CLAIMS``: the directory shared by supervisors for index claims.
    claims_dir: Path = Path("/claims")
    #: Extra environment for the daemon (not read from the environment).
    extra_env: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ContainerSettings:
        rate_text = env.get("STORMBRIDGE_SAMPLE_RATE", "").strip() or str(STORM_SAMPLE_RATE)
        try:
            rate = float(rate_text)
        except ValueError:
            raise ConfigError(
                f"$STORMBRIDGE_SAMPLE_RATE must be a number in (0, 1], not {rate_text!r}"
            ) from None
        supervisor_host = env.get("STORMBRIDGE_SUPERVISOR_HOST", "").strip()
        settings = cls(
            port_offset=_int(env, "STORMBRIDGE_PORT_OFFSET", 0, -1024, 50000),
            slots=_int(env, "STORMBRIDGE_SLOTS", 2, 1, MAX_SLOTS),
            host=_host(env, "STORMBRIDGE_HOST", "127.0.0.1"),
            nimbus_host=_host(env, "STORMBRIDGE_NIMBUS_HOST", "127.0.0.1"),
            supervisor_host=supervisor_host or DEFAULT_SUPERVISOR_HOST,
            max_supervisors=_int(env, "STORMBRIDGE_MAX_SUPERVISORS", 8, 1, MAX_SUPERVISORS),
            metrics_secs=_int(env, "STORMBRIDGE_METRICS_SECS", 10, 1, 3600),
            sample_rate=rate,
            state_dir=Path(env.get("STORMBRIDGE_STATE") or "/var/lib/stormbridge"),
            claims_dir=Path(env.get("STORMBRIDGE_CLAIMS") or "/claims"),
        )
        settings.supervisor_hostname(0)  # a bad template fails now, not in a supervisor
        return settings

    def supervisor_hostname(self, index: int) -> str:
        try:
            name = string.Formatter().format(self.supervisor_host, n=index + 1)
        except (KeyError, IndexError, ValueError) as exc:
            raise ConfigError(
                f"$STORMBRIDGE_SUPERVISOR_HOST {self.supervisor_host!r} may use only {{n}} "
                f"(the supervisor's index + 1): {exc}"
            ) from None
        return _host({"STORMBRIDGE_SUPERVISOR_HOST": name}, "STORMBRIDGE_SUPERVISOR_HOST", "")


@dataclass(frozen=True)
class ContainerPlan:
    """What a container writes and runs: ``files`` (path → text), then ``argv`` in ``env``."""

    role: str
    daemon: str
    spec: ClusterSpec
    files: Mapping[Path, str]
    argv: list[str]
    env: Mapping[str, str]

    def describe(self) -> str:
        ports = self.spec.ports
        if self.daemon.startswith("supervisor-"):
            i = int(self.daemon.removeprefix("supervisor-"))
            where = (
                f"hostname {self.spec.host}, thrift port {ports.supervisor_thrift[i]}, "
                f"worker slots {', '.join(map(str, ports.slots[i]))}"
            )
        else:
            port = {"zookeeper": ports.zookeeper, "nimbus": ports.nimbus, "ui": ports.ui}
            where = f"{self.spec.host}:{port[self.daemon]}"
        return f"{self.daemon}: {where}"


def claim_supervisor_index(claims_dir: Path, limit: int) -> tuple[int, int]:
    """Hold the first free ``supervisor-<i>.lock`` in ``claims_dir``; return ``(i, fd)``.

    The lock lives as long as ``fd`` is open (it is inheritable, so the daemon that replaces
    this process keeps it); a container that stops frees its index for the next one.
    """
    try:
        claims_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ClusterError(f"cannot create the claims directory {claims_dir}: {exc}") from exc
    for index in range(limit):
        path = claims_dir / f"supervisor-{index}.lock"
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise ClusterError(f"cannot open {path}: {exc}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        os.set_inheritable(fd, True)
        return index, fd
    raise ClusterError(
        f"all {limit} supervisor indexes are taken (locks in {claims_dir}); scale down, or "
        "raise $STORMBRIDGE_MAX_SUPERVISORS"
    )


def _spec(settings: ContainerSettings, host: str, supervisors: int, loopback: bool) -> ClusterSpec:
    extra: dict[str, object] = {}
    if host != settings.nimbus_host:
        extra = {
            "storm.zookeeper.servers": [settings.nimbus_host],
            "nimbus.seeds": [settings.nimbus_host],
        }
    spec = ClusterSpec(
        state_dir=settings.state_dir,
        log_dir=settings.state_dir / "logs",
        supervisors=supervisors,
        slots=settings.slots,
        port_offset=settings.port_offset,
        host=host,
        metrics_secs=settings.metrics_secs,
        sample_rate=settings.sample_rate,
        logviewer=False,
        extra_conf=extra,
        env=settings.extra_env,
        loopback_thrift=loopback,
    )
    spec.validate()
    return spec


def plan_container(
    role: str,
    settings: ContainerSettings,
    home: StormHome,
    java: str,
    *,
    supervisor_index: int = 0,
    python: str = sys.executable,
    environ: Mapping[str, str] | None = None,
) -> ContainerPlan:
    """The files and command of a container with ``role`` (pure: nothing is written)."""
    if role not in ROLES:
        raise ConfigError(f"unknown container role {role!r}; use one of {', '.join(ROLES)}")
    if role == "supervisor":
        host = settings.supervisor_hostname(supervisor_index)
        spec = _spec(settings, host, supervisor_index + 1, home.loopback_plugin)
        daemon = f"supervisor-{supervisor_index}"
    else:
        spec = _spec(settings, settings.host, 1, home.loopback_plugin)
        daemon = role
    files: dict[Path, str] = {}
    if role == "supervisor":
        files[spec.conf_dir / f"{daemon}.yaml"] = render_storm_yaml(spec, daemon)
    else:
        files[spec.conf_dir / "storm.yaml"] = render_storm_yaml(spec, "nimbus")
    if role == "zookeeper":
        files[spec.conf_dir / "zoo.cfg"] = render_zoo_cfg(spec)
    argv = daemon_command(java, home, spec, daemon)
    if role == "ui":  # the UI reads Nimbus where it runs, which need not be this host
        argv[argv.index("--nimbus") + 1] = f"{settings.nimbus_host}:{spec.ports.nimbus}"
    env = dict(os.environ if environ is None else environ)
    # Workers start with $JAVA_HOME/bin/java; Python components find python3 on PATH.
    env["JAVA_HOME"] = str(Path(java).resolve().parent.parent)
    env["PATH"] = os.pathsep.join([str(Path(python).parent), env.get("PATH", "")])
    env.update(spec.env)
    return ContainerPlan(role=role, daemon=daemon, spec=spec, files=files, argv=argv, env=env)


def write_files(plan: ContainerPlan) -> None:
    """Write the plan's files and create the data and log directories."""
    spec = plan.spec
    try:
        for d in (spec.conf_dir, spec.data_dir, spec.resolved_log_dir):
            d.mkdir(parents=True, exist_ok=True)
        for path, text in plan.files.items():
            path.write_text(text)
    except OSError as exc:
        raise ClusterError(f"cannot write the {plan.daemon} configuration: {exc}") from exc


def wait_for_zookeeper(plan: ContainerPlan, nimbus_host: str, timeout: float = 180.0) -> None:
    """Block until ZooKeeper answers (Nimbus and supervisors give up on a missing one)."""
    port = plan.spec.ports.zookeeper
    deadline = time.monotonic() + timeout
    while not health.zookeeper_answers(nimbus_host, port, timeout=2.0):
        if time.monotonic() > deadline:
            raise ClusterError(
                f"ZooKeeper did not answer on {nimbus_host}:{port} within {timeout:.0f} s; "
                "is the zookeeper container running with the same $STORMBRIDGE_PORT_OFFSET?"
            )
        time.sleep(1.0)
