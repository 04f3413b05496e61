"""Start, stop and inspect a multi-host Storm cluster made of namespaces on this machine.

`up` checks the machine (Linux, root, tools, the subnet and names unused), writes every
host's files (storm.yaml, zoo.cfg, /etc/hosts, sshd_config, keys), records the whole plan in
``hosts.json`` *before* creating anything, then creates the bridge, one network namespace
per host with its veth, one holder process per host (mount + UTS namespaces: hostname and
private /data) and starts the daemons inside the hosts with ``nsenter``: ZooKeeper, Nimbus
and the UI on h0, an sshd and a supervisor on every other host. Daemons go to ``state.json``
as they start (the single-host record: `sparse cluster logs` and a second `up` work as
usual). Readiness: ZooKeeper answers, Nimbus is leader, every supervisor registered, the UI
answers, every sshd accepts connections.

`down` (and a failed `up`) stop the daemons by tiers (SIGTERM, then SIGKILL after a grace
period), kill every process left in the hosts' network namespaces (workers, Python
components, SSH sessions, holders), delete the veths, namespaces and bridge and the /data
mount point if `up` made it; everything is looked up by name, so it works after any partial
`up` and twice in a row.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ...errors import ClusterError, NimbusUnreachableError, UIError
from ...ui.client import UIClient
from .. import health
from ..config import render_storm_yaml, render_zoo_cfg
from ..daemons import (
    DaemonHealth,
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
    remove_hosts,
    save_hosts,
)
from ..state import (
    ClusterRecord,
    DaemonRecord,
    default_state_dir,
    group_members,
    load_record,
    locked,
    pid_alive,
    remove_record,
    save_record,
)
from .netns import (
    create_bridge,
    create_host_network,
    create_netns,
    delete_link,
    delete_netns,
    existing_links,
    existing_netns,
    holder_command,
    kill_pids,
    machine_networks,
    mount_in_use,
    netns_inode,
    pids_in_netns,
    require_tools,
    wait_file,
)
from .plan import DATA_MOUNT, SSH_PORT, HostPlan, MultiHostSpec, NetworkPlan, conflicts, etc_hosts
from .sshd import PRIVSEP_DIR, generate_key, known_hosts_line, render_sshd_config, sshd_command

__all__ = ["HostHealth", "multihost_status", "start_multihost", "stop_multihost"]

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
                _teardown(spec.state_dir, say, grace=10.0)
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


# --- down ---------------------------------------------------------------------------------------

#: Stop order: front ends, sshd and supervisors (with their workers), Nimbus, ZooKeeper.
_TIERS = (("ui", "sshd", "supervisor-"), ("nimbus",), ("zookeeper",))


def _tier(name: str) -> int:
    daemon = name.rpartition("/")[2]
    for i, tier in enumerate(_TIERS):
        if any(daemon == t or (t.endswith("-") and daemon.startswith(t)) for t in tier):
            return i
    return 0


def _group_alive(d: DaemonRecord) -> bool:
    return pid_alive(d.pid) or bool(group_members(d.pgid))


def _signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _in_namespaces(pid: int, inodes: set[int]) -> bool:
    try:
        return os.stat(f"/proc/{pid}/ns/net").st_ino in inodes
    except OSError:
        return False


def _stop_daemons(record: ClusterRecord, inodes: set[int], say: Progress, grace: float) -> None:
    """SIGTERM the recorded daemons' process groups by tiers, SIGKILL after ``grace``. Only
    daemons that run in one of the hosts' network namespaces (``inodes``) are signalled: a
    recorded pid that now belongs to something else is left alone."""
    tiers: dict[int, list[DaemonRecord]] = {}
    for d in record.daemons:
        if _in_namespaces(d.pid, inodes):
            tiers.setdefault(_tier(d.name), []).append(d)
    for tier in sorted(tiers):
        group = [d for d in tiers[tier] if _group_alive(d)]
        if not group:
            continue
        say(f"stopping {', '.join(d.name for d in group)}")
        for d in group:
            _signal_group(d.pgid, signal.SIGTERM)
        end = time.monotonic() + grace
        while time.monotonic() < end and any(_group_alive(d) for d in group):
            time.sleep(0.2)
        for d in group:
            if _group_alive(d):
                say(f"  {d.name} did not stop within {grace:.0f} s: SIGKILL")
                _signal_group(d.pgid, signal.SIGKILL)


def _leftovers(hosts: ClusterHosts | None) -> list[int]:
    """Every process of the hosts: all of them live in the hosts' network namespaces (the
    holders, daemons, workers, Python components, SSH sessions and anything run by
    ``nsenter``)."""
    pids: set[int] = set()
    for h in hosts.hosts if hosts else ():
        inode = netns_inode(h.netns)
        if inode is not None:
            pids.update(pids_in_netns(inode))
    pids.discard(os.getpid())
    return sorted(pids)


def _teardown(state_dir: Path, say: Progress, grace: float) -> ClusterRecord | None:
    """Stop and remove everything recorded in ``state_dir`` (the lock must be held)."""
    hosts = find_hosts(state_dir)
    record = load_record(state_dir)
    if hosts is None and record is None:
        return None
    if record is not None and hosts is not None:
        inodes = {netns_inode(h.netns) for h in hosts.hosts}
        _stop_daemons(record, {i for i in inodes if i is not None}, say, grace)
    pids = _leftovers(hosts)
    if pids:
        say(f"killing {len(pids)} process(es) left in the hosts (holders, workers, sessions)")
    end = time.monotonic() + 15.0
    while pids and time.monotonic() < end:
        kill_pids(pids)
        time.sleep(0.2)
        pids = _leftovers(hosts)
    if pids:
        raise ClusterError(
            f"processes {pids} of the cluster in {state_dir} survived SIGKILL; check them "
            "with `ps -fp PID`, then run `sparse cluster down` again"
        )
    if hosts is not None:
        removed: list[str] = []
        for h in hosts.hosts:
            # Deleting one end of a veth pair deletes both, wherever the other end is.
            if delete_link(h.veth):
                removed.append(h.veth)
            if delete_netns(h.netns):
                removed.append(h.netns)
        if delete_link(hosts.bridge):
            removed.append(hosts.bridge)
        if removed:
            say(f"removed {', '.join(removed)}")
        if (
            hosts.created_data_mountpoint
            and os.path.isdir(DATA_MOUNT)
            and not mount_in_use(DATA_MOUNT)
        ):
            with contextlib.suppress(OSError):  # not empty: someone else's files now
                os.rmdir(DATA_MOUNT)
        remove_hosts(state_dir)
    remove_record(state_dir)
    return record


def stop_multihost(
    state_dir: Path, progress: Progress | None = None, grace: float = 30.0
) -> ClusterHosts | None:
    """Stop the multi-host cluster recorded in ``state_dir`` and remove its hosts; None when
    nothing is recorded. Idempotent; raises :class:`ClusterError` if a process survives."""
    say: Progress = progress or (lambda _msg: None)
    with locked(state_dir):
        hosts = find_hosts(state_dir)
        if hosts is None and load_record(state_dir) is None:
            return None
        _teardown(state_dir, say, grace)
        return hosts


# --- status -------------------------------------------------------------------------------------


@dataclass
class HostHealth:
    name: str
    address: str
    roles: tuple[str, ...]
    holder_pid: int
    alive: bool
    daemons: list[DaemonHealth] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return self.alive and all(d.healthy for d in self.daemons)


def multihost_status(
    hosts: ClusterHosts, record: ClusterRecord | None, timeout: float = 5.0
) -> list[HostHealth]:
    """Every host (holder alive) and its daemons (pid alive, ports open, protocol answering)."""
    view: health.NimbusView | None = None
    view_error = ""
    try:
        view = health.nimbus_view(hosts.hosts[0].address, hosts.nimbus_port, timeout=timeout)
    except NimbusUnreachableError as exc:
        view_error = str(exc)
    out: list[HostHealth] = []
    daemons = record.daemons if record else []
    for h in hosts.hosts:
        hh = HostHealth(
            name=h.name, address=h.address, roles=h.roles, holder_pid=h.holder_pid,
            alive=h.holder_alive(),
        )  # fmt: skip
        for d in daemons:
            host_name, _, daemon = d.name.partition("/")
            if host_name != h.name:
                continue
            alive = pid_alive(d.pid)
            listen = {k: v for k, v in d.ports.items() if not k.startswith("slot")}
            ports_open = alive and all(
                health.tcp_open(h.address, p, timeout) for p in listen.values()
            )
            answering: bool | None = None
            detail = ""
            if daemon == "zookeeper":
                answering = alive and health.zookeeper_answers(h.address, d.ports["client"])
            elif daemon == "nimbus":
                answering = view is not None and view.leader is not None
                detail = (
                    f"leader {view.leader}" if view and view.leader else view_error or "no leader"
                )
            elif daemon.startswith("supervisor-") and view is not None:
                answering = alive and h.address in view.supervisor_hosts
                detail = "registered" if answering else "not registered with Nimbus"
            elif daemon == "ui" and hosts.ui_url:
                try:
                    summary = UIClient(hosts.ui_url, timeout=timeout).cluster_summary()
                    answering = True
                    detail = f"{summary.supervisors} supervisors, {summary.slots_total} slots"
                except UIError as exc:
                    answering, detail = False, str(exc)
            elif daemon == "sshd":
                answering = ports_open
            members = [p for p in group_members(d.pgid) if p != d.pid]
            hh.daemons.append(
                DaemonHealth(
                    name=d.name, pid=d.pid, alive=alive, ports=d.ports, ports_open=ports_open,
                    answering=answering, detail=detail, log=d.log, workers=members,
                )
            )  # fmt: skip
        out.append(hh)
    return out
