"""`sparse cluster up --hosts N`: build the hosts and start Storm on them.

Checks the machine (Linux, root, tools, the subnet and names unused), writes every host's
files (storm.yaml, zoo.cfg, /etc/hosts, sshd_config, keys), records the whole plan in
``hosts.json`` *before* creating anything, then creates the bridge, one network namespace per
host with its veth, one holder process per host (mount + UTS namespaces: hostname and private
/data) and starts the daemons inside the hosts with ``nsenter``: ZooKeeper, Nimbus and the UI
on h0, an sshd and a supervisor on every other host. Daemons go to ``state.json`` as they
start (the single-host record: `sparse cluster logs` and a second `up` work as usual).
Readiness: ZooKeeper answers, Nimbus is leader, every supervisor registered, every sshd
accepts connections, the UI answers. On any failure, :mod:`.down` removes what was made.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path

from ...errors import ClusterError, NimbusUnreachableError, UIError
from ...ui.client import UIClient
from .. import health
from ..config import render_storm_yaml, render_zoo_cfg
from ..daemons import (
    _daemon_env,
    _ports_of,
    _spawn,
    _wait,
    daemon_command,
)
from ..home import StormHome, find_java
from ..hosts import (
    ClusterHosts,
    HostInfo,
    SSHAccess,
    find_hosts,
    host_command,
    save_hosts,
)
from ..state import (
    ClusterRecord,
    DaemonRecord,
    default_state_dir,
    load_record,
    locked,
    pid_alive,
    remove_record,
    save_record,
)
from .down import teardown
from .netns import (
    create_bridge,
    create_host_network,
    create_netns,
    existing_links,
    existing_netns,
    holder_command,
    machine_networks,
    require_tools,
    wait_file,
)
from .plan import DATA_MOUNT, SSH_PORT, HostPlan, MultiHostSpec, NetworkPlan, conflicts, etc_hosts
from .sshd import PRIVSEP_DIR, generate_key, known_hosts_line, render_sshd_config, sshd_command

__all__ = ["start_multihost"]

Progress = Callable[[str], None]
USER = "root"
HOLDER_TIMEOUT = 20.0


# --- files --------------------------------------------------------------------------------------


def _prepare(spec: MultiHostSpec, plan: NetworkPlan, home: StormHome) -> ClusterHosts:
    """Write every host's files and the cluster's keys; the record of hosts (no pids yet)."""
    state = spec.state_dir
    shutil.rmtree(state / "hosts", ignore_errors=True)  # fresh /data for every host
    ssh_dir = state / "ssh"
    shutil.rmtree(ssh_dir, ignore_errors=True)
    ssh_dir.mkdir(parents=True)
    key = ssh_dir / "id_ed25519"
    generate_key(key, f"stormbridge-cluster@{plan.bridge}")
    public_key = key.with_name(key.name + ".pub")
    authorized = ssh_dir / "authorized_keys"
    shutil.copyfile(public_key, authorized)
    known: list[str] = []
    infos: list[HostInfo] = []
    for host in plan.hosts:
        hspec = spec.host_spec(plan, host)
        hdir = spec.host_dir(host)
        for d in (hdir / "conf", hdir / "data", hdir / "etc", hspec.resolved_log_dir):
            d.mkdir(parents=True, exist_ok=True)
        (hdir / "etc" / "hosts").write_text(etc_hosts(plan))
        if host.index == 0:
            (hspec.conf_dir / "storm.yaml").write_text(render_storm_yaml(hspec, role="nimbus"))
            (hspec.conf_dir / "zoo.cfg").write_text(render_zoo_cfg(hspec))
            for sub in ("zookeeper", "nimbus"):
                (hdir / "data" / sub).mkdir()
        else:
            (hspec.conf_dir / "supervisor-0.yaml").write_text(
                render_storm_yaml(hspec, role="supervisor-0")
            )
            (hdir / "data" / "supervisor-0").mkdir()
        host_key: Path | None = None
        if "sshd" in host.roles:
            host_key = hdir / "ssh" / "ssh_host_ed25519_key"
            generate_key(host_key, f"root@{host.name}")
            (hdir / "ssh" / "sshd_config").write_text(
                render_sshd_config(
                    address=host.address, port=SSH_PORT, host_key=host_key,
                    authorized_keys=authorized,
                )
            )  # fmt: skip
            pub = host_key.with_name(host_key.name + ".pub").read_text()
            known.append(known_hosts_line(host.address, SSH_PORT, pub))
        infos.append(
            HostInfo(
                name=host.name,
                address=host.address,
                roles=host.roles,
                netns=host.netns,
                veth=host.veth,
                data_dir=DATA_MOUNT,
                data_source=str(hdir / "data"),
                log_dir=str(hspec.resolved_log_dir),
                ssh_port=SSH_PORT if "sshd" in host.roles else None,
                ssh_host_key=(
                    str(host_key.with_name(host_key.name + ".pub")) if host_key else None
                ),
            )
        )
    (ssh_dir / "known_hosts").write_text("\n".join(known) + "\n")
    h0 = spec.host_spec(plan, plan.hosts[0])
    return ClusterHosts(
        state_dir=str(state),
        subnet=plan.subnet,
        bridge=plan.bridge,
        bridge_address=plan.bridge_address,
        nimbus_port=h0.ports.nimbus,
        ui_port=h0.ports.ui if spec.ui else None,
        ssh=SSHAccess(
            user=USER,
            key=str(key),
            public_key=str(public_key),
            known_hosts=str(ssh_dir / "known_hosts"),
        ),
        hosts=tuple(infos),
        started_at=time.time(),
        created_data_mountpoint=not os.path.lexists(DATA_MOUNT),
    )


# --- up -----------------------------------------------------------------------------------------


def _refuse_running(state_dir: Path) -> None:
    flag = "" if state_dir == default_state_dir() else f" --state-dir {state_dir}"
    record = load_record(state_dir)
    alive = [d.name for d in record.daemons if pid_alive(d.pid)] if record else []
    if alive or find_hosts(state_dir) is not None:
        what = f" ({', '.join(alive)})" if alive else ""
        raise ClusterError(
            f"a cluster is already recorded in {state_dir}{what}; stop it with "
            f"`sparse cluster down{flag}` first"
        )
    if record is not None:
        remove_record(state_dir)


def start_multihost(
    spec: MultiHostSpec,
    home: StormHome,
    progress: Progress | None = None,
    timeout: float = 180.0,
) -> tuple[ClusterHosts, ClusterRecord]:
    """Build the hosts of ``spec`` and start Storm on them; wait until it is ready.

    Raises :class:`ClusterError` (not root, a tool missing, the subnet in use, a cluster
    already recorded in the state directory, a daemon dying, no readiness within
    ``timeout`` seconds); on any failure everything created is removed again.
    """
    say: Progress = progress or (lambda _msg: None)
    require_tools()
    plan = spec.validate()
    home.check()
    java = find_java()
    if spec.loopback_thrift is None:
        spec = dataclasses.replace(spec, loopback_thrift=home.loopback_plugin)
    elif spec.loopback_thrift and not home.loopback_plugin:
        raise ClusterError(
            f"the Storm home {home.path} has no stormbridge loopback transport in extlib/; "
            "run `sparse cluster provision` (needs javac) or start without it"
        )
    if os.path.lexists(DATA_MOUNT) and not os.path.isdir(DATA_MOUNT):
        raise ClusterError(f"{DATA_MOUNT} exists and is not a directory: hosts mount on it")
    with locked(spec.state_dir):
        _refuse_running(spec.state_dir)
        problems = conflicts(plan, machine_networks(), existing_links(), existing_netns())
        if problems:
            raise ClusterError("cannot build the hosts: " + "; ".join(problems))
        t0 = time.monotonic()
        deadline = t0 + timeout
        hosts = _prepare(spec, plan, home)
        if not spec.loopback_thrift:
            hosts = dataclasses.replace(
                hosts,
                notes=(
                    "nimbus, supervisors: Thrift listens on every interface of its host "
                    "(stormbridge's loopback transport is not installed in this Storm home)",
                ),
            )
        save_hosts(spec.state_dir, hosts)  # the plan first: `down` removes whatever exists
        h0spec = spec.host_spec(plan, plan.hosts[0])
        record = ClusterRecord(
            state_dir=str(spec.state_dir),
            log_dir=str(spec.resolved_log_dir),
            storm_home=str(home.path),
            storm_version=home.version,
            host=plan.nimbus_address,
            nimbus_port=hosts.nimbus_port,
            zookeeper_port=h0spec.ports.zookeeper,
            ui_port=hosts.ui_port,
            logviewer_port=None,
            supervisors=len(plan.hosts) - 1,
            slots=spec.slots,
            started_at=hosts.started_at,
            notes=[
                "workers: Storm's netty transport listens on every interface of its host",
                *hosts.notes,
            ],
        )
        save_record(spec.state_dir, record)
        try:
            hosts = _build_hosts(spec, plan, hosts, say, t0)
            _start_daemons(spec, plan, hosts, home, java, record, say, t0, deadline)
        except BaseException:
            say("start-up failed: removing what was created")
            with contextlib.suppress(ClusterError):
                teardown(spec.state_dir, say, grace=10.0)
            raise
        return hosts, record


def _build_hosts(
    spec: MultiHostSpec, plan: NetworkPlan, hosts: ClusterHosts, say: Progress, t0: float
) -> ClusterHosts:
    state = spec.state_dir
    if hosts.created_data_mountpoint:
        os.makedirs(DATA_MOUNT, mode=0o755, exist_ok=True)
    PRIVSEP_DIR.mkdir(mode=0o755, exist_ok=True)
    say(f"creating bridge {plan.bridge} ({plan.bridge_address}/{plan.prefixlen})")
    create_bridge(plan)
    for host in plan.hosts:
        create_netns(host)
        create_host_network(plan, host)
    say(f"  {len(plan.hosts)} network namespaces ({time.monotonic() - t0:.1f} s)")
    started: list[tuple[HostPlan, int, Path]] = []
    for host in plan.hosts:
        hdir = spec.host_dir(host)
        ready = hdir / "ready"
        command = holder_command(host, hdir / "data", hdir / "etc" / "hosts", ready)
        log_dir = spec.resolved_log_dir / host.name
        pid = _spawn(command, log_dir / "holder.out", state, os.environ)
        hosts = hosts.with_host(dataclasses.replace(hosts.host(host.name), holder_pid=pid))
        save_hosts(state, hosts)
        started.append((host, pid, ready))
    for host, pid, ready in started:
        if not wait_file(ready, pid, HOLDER_TIMEOUT):
            out = spec.resolved_log_dir / host.name / "holder.out"
            tail = out.read_text(errors="replace")[-2000:] if out.exists() else ""
            raise ClusterError(
                f"host {host.name} could not set up its namespaces (hostname, {DATA_MOUNT}): "
                f"read {out}\n{tail}"
            )
    names = ", ".join(f"{h.name} {h.address}" for h in plan.hosts)
    say(f"  hosts up: {names} ({time.monotonic() - t0:.1f} s)")
    return hosts


def _start_daemons(
    spec: MultiHostSpec,
    plan: NetworkPlan,
    hosts: ClusterHosts,
    home: StormHome,
    java: str,
    record: ClusterRecord,
    say: Progress,
    t0: float,
    deadline: float,
) -> None:
    def since() -> str:
        return f"{time.monotonic() - t0:.0f} s"

    env = _daemon_env(java, spec.host_spec(plan, plan.hosts[0]))
    h0 = plan.hosts[0]
    h0spec = spec.host_spec(plan, h0)
    nimbus_host, ports = h0.address, h0spec.ports

    def start(host: HostPlan, daemon: str) -> None:
        info = hosts.host(host.name)
        hspec = spec.host_spec(plan, host)
        log_dir = hspec.resolved_log_dir
        if daemon == "sshd":
            hdir = spec.host_dir(host)
            inner = sshd_command(hdir / "ssh" / "sshd_config", log_dir / "sshd.log")
            daemon_ports, log, kind = {"ssh": SSH_PORT}, log_dir / "sshd.log", "sshd"
        else:
            inner = daemon_command(java, home, hspec, daemon)
            daemon_ports = _ports_of(hspec, daemon, home)
            python = inner[0] == sys.executable
            log = log_dir / (f"{daemon}.out" if python else f"{daemon}.log")
            kind = "python" if python else "java"
        command = host_command(info, inner, wd=str(spec.host_dir(host)))
        out = log_dir / f"{daemon}.out"
        pid = _spawn(command, out, spec.state_dir, env)
        record.daemons.append(
            DaemonRecord(
                name=f"{host.name}/{daemon}", pid=pid, pgid=pid, ports=daemon_ports,
                log=str(log), out=str(out), command=command, kind=kind,
            )
        )  # fmt: skip
        save_record(spec.state_dir, record)

    say(f"starting zookeeper on {nimbus_host}:{ports.zookeeper} (h0)")
    start(h0, "zookeeper")
    zk_deadline = min(deadline, time.monotonic() + 90.0)
    _wait(
        "ZooKeeper",
        lambda: health.zookeeper_answers(nimbus_host, ports.zookeeper),
        record,
        zk_deadline,
        0.5,
    )
    say(f"  zookeeper answers ({since()})")
    say(f"starting nimbus on {nimbus_host}:{ports.nimbus} (h0)")
    start(h0, "nimbus")
    workers = [h for h in plan.hosts if h.is_supervisor]
    for host in workers:
        say(f"starting sshd and a supervisor on {host.name} ({host.address})")
        start(host, "sshd")
        start(host, "supervisor-0")

    def leader() -> bool:
        try:
            return health.nimbus_view(nimbus_host, ports.nimbus, timeout=5.0).leader is not None
        except NimbusUnreachableError:
            return False

    _wait("Nimbus to become leader", leader, record, deadline, 1.0)
    say(f"  nimbus is leader ({since()})")
    if spec.ui:
        say(f"starting the UI on http://{nimbus_host}:{ports.ui} (h0)")
        start(h0, "ui")

    def registered() -> bool:
        try:
            return health.nimbus_view(nimbus_host, ports.nimbus).supervisors >= len(workers)
        except NimbusUnreachableError:
            return False

    _wait(f"{len(workers)} supervisor(s) to register with Nimbus", registered, record, deadline)
    say(f"  {len(workers)} supervisor(s) registered ({since()})")
    _wait(
        "every sshd to accept connections",
        lambda: all(health.tcp_open(h.address, SSH_PORT, 1.0) for h in workers),
        record,
        deadline,
        0.5,
    )
    say(f"  sshd answers on {', '.join(h.name for h in workers)} ({since()})")
    if spec.ui:
        client = UIClient(f"http://{nimbus_host}:{ports.ui}", timeout=5.0)

        def ui_ready() -> bool:
            try:
                return client.cluster_summary().supervisors >= len(workers)
            except UIError:
                return False

        _wait("the UI REST API to answer", ui_ready, record, deadline, 1.0)
        say(f"  UI answers at http://{nimbus_host}:{ports.ui} ({since()})")
