"""``sparse cluster provision | up | down | status | revive | logs | env``: Storm here.

``provision`` downloads Storm into the per-user cache (Maven); ``up`` starts ZooKeeper, Nimbus,
the supervisors, the UI (and the logviewer when storm-webapp is available) and waits until the
cluster is ready; ``status`` checks every daemon (``revive``, in its own module, restarts the
dead ones); ``logs`` lists or tails the logs; ``down``
stops everything ``up`` started, worker JVMs and Python components included.

``up --hosts N`` builds N hosts out of Linux namespaces instead (root only): ZooKeeper, Nimbus
and the UI on h0, a supervisor and an sshd on every other host; ``env`` prints the
``config.json`` environment that targets them; ``down`` removes the hosts too.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path
from typing import Any

from ..errors import ClusterError, ConfigError, StormHomeError
from ..storm.config import STORM_SAMPLE_RATE, ClusterSpec, Heaps
from ..storm.daemons import DaemonHealth, cluster_status, start_cluster, stop_cluster
from ..storm.home import StormHome, provision, resolve_home, storm_version
from ..storm.hosts import ClusterHosts, find_hosts, load_hosts
from ..storm.multihost import (
    DEFAULT_SUBNET,
    MULTIHOST_HEAPS,
    MultiHostSpec,
    multihost_status,
    require_tools,
    start_multihost,
    stop_multihost,
)
from ..storm.state import ClusterRecord, default_state_dir, load_record
from . import cluster_revive

__all__ = ["add_parser", "run"]


def _say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "cluster",
        help="provision Storm and run a local cluster (up, down, status, revive, logs, env)",
        description="Provision Apache Storm and run a real cluster on this machine: on "
        "loopback, or (--hosts N, root) on N hosts made of Linux namespaces.",
    )
    sub = parser.add_subparsers(title="actions", metavar="ACTION")

    def with_state(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--state-dir",
            type=Path,
            default=None,
            help="where the cluster keeps pids, ports, conf, data and logs "
            "(default: $STORMBRIDGE_STATE or ~/.local/state/stormbridge/cluster)",
        )

    def with_version(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--storm-version",
            default=None,
            help=f"Storm version (default: $STORMBRIDGE_STORM_VERSION or {storm_version({})})",
        )
        p.add_argument(
            "--cache",
            type=Path,
            default=None,
            help="cache for Storm homes (default: $STORMBRIDGE_CACHE or ~/.cache/stormbridge)",
        )

    p = sub.add_parser("provision", help="download Storm from Maven Central into the cache")
    with_version(p)
    p.set_defaults(func=run, action="provision")

    p = sub.add_parser("up", help="start ZooKeeper, Nimbus, supervisors and the UI")
    with_state(p)
    with_version(p)
    p.add_argument(
        "--hosts",
        type=int,
        default=None,
        metavar="N",
        help="build N hosts from Linux namespaces (root only): h0 runs ZooKeeper, Nimbus and "
        "the UI, every other host a supervisor and an sshd",
    )
    p.add_argument(
        "--subnet",
        default=None,
        metavar="CIDR",
        help=f"private IPv4 network of the hosts, with --hosts (default {DEFAULT_SUBNET})",
    )
    p.add_argument(
        "--supervisors", type=int, default=None, help="number of supervisors (1; not with --hosts)"
    )
    p.add_argument("--slots", type=int, default=2, help="worker slots per supervisor (2)")
    p.add_argument(
        "--port-offset",
        type=int,
        default=None,
        help="add N to every port (ZooKeeper 2181, Nimbus 6627, UI 8080, slots 6700+ ...; "
        "not with --hosts: every host has its own addresses)",
    )
    p.add_argument("--log-dir", type=Path, default=None, help="daemon and worker logs")
    p.add_argument(
        "--metrics-interval",
        type=int,
        default=10,
        metavar="SECS",
        help="how often the UI's statistics refresh (executor.metrics.frequency.secs; 10)",
    )
    p.add_argument(
        "--sample-rate",
        type=float,
        default=STORM_SAMPLE_RATE,
        help="topology.stats.sample.rate default (Storm's 0.05: counts in steps of 20; 1.0 = "
        "exact counts, at a cost of JVM CPU per tuple)",
    )
    p.add_argument(
        "--heap",
        action="append",
        default=[],
        metavar="DAEMON=MB",
        help="max heap of zookeeper, nimbus, supervisor, ui, logviewer or worker "
        "(defaults 256, 512, 256, 256, 128, 512; with --hosts 256, 384, 256, 256, 128, 384); "
        "repeatable",
    )
    p.add_argument("--no-ui", action="store_true", help="do not start the UI")
    p.add_argument("--no-logviewer", action="store_true", help="do not start the logviewer")
    p.add_argument(
        "--conf",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra storm.yaml setting (VALUE is JSON if it parses, else a string); repeatable",
    )
    p.add_argument(
        "--timeout", type=float, default=180.0, help="seconds to wait for readiness (180)"
    )
    p.set_defaults(func=run, action="up")

    p = sub.add_parser("down", help="stop everything `up` started")
    with_state(p)
    p.add_argument(
        "--timeout", type=float, default=30.0, help="seconds before SIGTERM becomes SIGKILL (30)"
    )
    p.set_defaults(func=run, action="down")

    p = sub.add_parser("status", help="health of every daemon (exit 1 if one is unhealthy)")
    with_state(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=run, action="status")
    cluster_revive.add_action(sub, with_state)

    p = sub.add_parser("logs", help="list the log files, or tail one daemon's log")
    with_state(p)
    p.add_argument(
        "daemon",
        nargs="?",
        help="nimbus, supervisor-0, zookeeper, ui, ... (h1/supervisor-0, "
        "h0/nimbus, h1/sshd ... for --hosts clusters)",
    )
    p.add_argument("-n", "--lines", type=int, default=50, help="lines to show (50)")
    p.set_defaults(func=run, action="logs")

    p = sub.add_parser(
        "env",
        help="print the config.json env (JSON) that targets a --hosts cluster",
        description="Print, as a JSON object, the config.json environment for the multi-host "
        "cluster: nimbus, ui.host/ui.port, workers, user, ssh_key, ssh_port. Paste it under "
        '"envs" in config.json.',
    )
    with_state(p)
    p.set_defaults(func=run, action="env")

    parser.set_defaults(func=lambda _args: _usage(parser))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def _parse_conf(items: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--conf expects KEY=VALUE, got {item!r}")
        try:
            out[key.strip()] = json.loads(value)
        except ValueError:
            out[key.strip()] = value
    return out


def _parse_heaps(items: list[str], base: Heaps | None = None) -> Heaps:
    sizes: dict[str, int] = {}
    known = {f.name for f in dataclasses.fields(Heaps)}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or name not in known or not value.isdigit():
            raise ConfigError(
                f"--heap expects DAEMON=MB with DAEMON one of {', '.join(sorted(known))}, "
                f"got {item!r}"
            )
        sizes[name] = int(value)
    return dataclasses.replace(base or Heaps(), **sizes)


def _provision(args: argparse.Namespace) -> StormHome:
    """Provision with its progress on stderr (bars on a terminal, plain lines otherwise)."""
    from ._progress import ProgressView

    with ProgressView() as view:
        return provision(
            args.storm_version, args.cache, progress=view.say, on_step=view.provision_step
        )


def _home(args: argparse.Namespace) -> StormHome:
    """``$STORM_HOME`` (official distribution) or the cache, provisioned on first use."""
    try:
        return resolve_home(args.storm_version, args.cache)
    except StormHomeError:  # not provisioned yet: do it now (resumes a half-done one)
        return _provision(args)


def run(args: argparse.Namespace) -> int:
    action = args.action
    if action == "provision":
        home = _provision(args)
        print(home.path)
        return 0
    state_dir: Path = args.state_dir or default_state_dir()
    if action == "up":
        return _up(args, state_dir)
    if action == "down":
        if find_hosts(state_dir) is not None:
            hosts = stop_multihost(state_dir, progress=_say, grace=args.timeout)
            if hosts is not None:
                _say(f"cluster stopped and its {len(hosts.hosts)} hosts removed")
                return 0
        record = stop_cluster(state_dir, progress=_say, grace=args.timeout)
        if record is None:
            _say(f"no cluster is recorded in {state_dir}: nothing to stop")
        else:
            _say("cluster stopped; logs stay in " + record.log_dir)
        return 0
    if action == "status":
        return _status(args, state_dir)
    if action == "env":
        hosts = load_hosts(state_dir)
        print(json.dumps(hosts.config_env(), indent=2))
        return 0
    return _logs(args, state_dir)


def _up(args: argparse.Namespace, state_dir: Path) -> int:
    if args.hosts is not None:
        return _up_hosts(args, state_dir)
    if args.subnet is not None:
        raise ConfigError("--subnet goes with --hosts N")
    if find_hosts(state_dir) is not None:
        raise ClusterError(
            f"a multi-host cluster is recorded in {state_dir}; stop it with "
            f"`sparse cluster down{_state_flag(args, state_dir)}` first"
        )
    spec = ClusterSpec(
        state_dir=state_dir,
        log_dir=args.log_dir,
        supervisors=1 if args.supervisors is None else args.supervisors,
        slots=args.slots,
        port_offset=0 if args.port_offset is None else args.port_offset,
        metrics_secs=args.metrics_interval,
        sample_rate=args.sample_rate,
        ui=not args.no_ui,
        logviewer=not args.no_logviewer,
        extra_conf=_parse_conf(args.conf),
        heaps=_parse_heaps(args.heap),
    )
    spec.validate()
    home = _home(args)
    record = start_cluster(spec, home, progress=_say, timeout=args.timeout)
    print(f"Storm {record.storm_version} is running ({record.supervisors} supervisor(s))")
    print(f"  nimbus     {record.host}:{record.nimbus_port}")
    print(f"  zookeeper  {record.host}:{record.zookeeper_port}")
    if record.ui_url:
        print(f"  ui         {record.ui_url}")
    if record.logviewer_port:
        print(f"  logviewer  http://{record.host}:{record.logviewer_port}")
    print(f"  logs       {record.log_dir}")
    print(f"  state      {record.state_dir}")
    print("stop it with: sparse cluster down" + _state_flag(args, state_dir))
    return 0


def _up_hosts(args: argparse.Namespace, state_dir: Path) -> int:
    for flag, value in (("--supervisors", args.supervisors), ("--port-offset", args.port_offset)):
        if value is not None:
            raise ConfigError(
                f"{flag} does not go with --hosts: every host but h0 runs one supervisor, "
                "and every host has its own address (so default ports)"
            )
    spec = MultiHostSpec(
        hosts=args.hosts,
        subnet=args.subnet or DEFAULT_SUBNET,
        state_dir=state_dir,
        log_dir=args.log_dir,
        slots=args.slots,
        metrics_secs=args.metrics_interval,
        sample_rate=args.sample_rate,
        heaps=_parse_heaps(args.heap, MULTIHOST_HEAPS),
        ui=not args.no_ui,
        extra_conf=_parse_conf(args.conf),
    )
    spec.validate()
    require_tools()  # before provisioning: not root, not Linux or no sshd fails at once
    home = _home(args)
    started = time.monotonic()
    hosts, record = start_multihost(spec, home, progress=_say, timeout=args.timeout)
    took = time.monotonic() - started
    print(
        f"Storm {record.storm_version} is running on {len(hosts.hosts)} hosts "
        f"({hosts.subnet} on bridge {hosts.bridge}; up in {took:.0f} s)"
    )
    for h in hosts.hosts:
        extra = f", ssh {hosts.ssh.user}@{h.address}:{h.ssh_port}" if h.ssh_port else ""
        print(f"  {h.name:<4} {h.address:<15} {','.join(h.roles)}{extra}")
    print(f"  nimbus     {hosts.nimbus}")
    if hosts.ui_url:
        print(f"  ui         {hosts.ui_url}")
    print(f"  ssh key    {hosts.ssh.key} (known hosts: {hosts.ssh.known_hosts})")
    print(f"  logs       {record.log_dir}")
    print(f"  state      {record.state_dir}")
    flag = _state_flag(args, state_dir)
    print(f"config.json env: sparse cluster env{flag}")
    print(f"stop it with: sparse cluster down{flag}")
    return 0


def _state_flag(args: argparse.Namespace, state_dir: Path) -> str:
    return f" --state-dir {state_dir}" if args.state_dir else ""


def _status(args: argparse.Namespace, state_dir: Path) -> int:
    hosts = find_hosts(state_dir)
    record = load_record(state_dir)
    if hosts is not None:
        return _status_hosts(args, hosts, record)
    if record is None:
        if args.json:
            print(json.dumps({"state_dir": str(state_dir), "running": False, "daemons": []}))
        else:
            print(f"no cluster is recorded in {state_dir} (start one with `sparse cluster up`)")
        return 1
    health = cluster_status(record)
    healthy = all(h.healthy for h in health)
    if args.json:
        doc = {
            "state_dir": record.state_dir,
            "running": any(h.alive for h in health),
            "healthy": healthy,
            "storm_version": record.storm_version,
            "ui_url": record.ui_url,
            "nimbus": f"{record.host}:{record.nimbus_port}",
            "daemons": [_daemon_doc(h) for h in health],
        }
        print(json.dumps(doc, indent=2))
        return 0 if healthy else 1
    print(f"Storm {record.storm_version} cluster in {record.state_dir}")
    print(f"{'DAEMON':<14} {'PID':>7}  {'STATE':<9} {'PORTS':<28} DETAIL")
    for h in health:
        state = "ok" if h.healthy else ("dead" if not h.alive else "unhealthy")
        ports = ",".join(str(p) for k, p in h.ports.items() if not k.startswith("slot"))
        slots = [str(p) for k, p in h.ports.items() if k.startswith("slot")]
        if slots:
            ports += f" slots {','.join(slots)}"
        detail = h.detail
        if h.workers:
            detail += f" ({len(h.workers)} child process(es))"
        print(f"{h.name:<14} {h.pid:>7}  {state:<9} {ports:<28} {detail}")
    for note in record.notes:
        print(f"note: {note}")
    if record.ui_url:
        print(f"UI: {record.ui_url}")
    return 0 if healthy else 1


def _logs(args: argparse.Namespace, state_dir: Path) -> int:
    record = load_record(state_dir)
    log_dir = Path(record.log_dir) if record else state_dir / "logs"
    if args.daemon is None:
        files = sorted(p for p in log_dir.rglob("*") if p.is_file()) if log_dir.is_dir() else []
        if not files:
            print(f"no logs in {log_dir}")
            return 1
        for file in files:
            print(file)
        return 0
    name = args.daemon
    candidates = [log_dir / f"{name}.log", log_dir / f"{name}.out"]
    path = next((c for c in candidates if c.is_file()), None)
    if path is None:
        known = sorted(
            {p.stem for p in log_dir.glob("*.log")} | {p.stem for p in log_dir.glob("*.out")}
        )
        raise ConfigError(f"no log for {name!r} in {log_dir}; known: {', '.join(known) or 'none'}")
    lines = path.read_text(errors="replace").splitlines()[-max(args.lines, 0) :]
    print(f"==> {path} <==")
    for line in lines:
        print(line)
    return 0


def _daemon_doc(h: DaemonHealth) -> dict[str, object]:
    return {
        "name": h.name,
        "pid": h.pid,
        "alive": h.alive,
        "ports": h.ports,
        "ports_open": h.ports_open,
        "answering": h.answering,
        "healthy": h.healthy,
        "detail": h.detail,
        "log": h.log,
        "children": h.workers,
    }


def _status_hosts(
    args: argparse.Namespace, hosts: ClusterHosts, record: ClusterRecord | None
) -> int:
    health = multihost_status(hosts, record)
    healthy = all(h.healthy for h in health)
    if args.json:
        doc = {
            "state_dir": hosts.state_dir,
            "running": any(h.alive for h in health),
            "healthy": healthy,
            "storm_version": record.storm_version if record else None,
            "subnet": hosts.subnet,
            "bridge": hosts.bridge,
            "nimbus": hosts.nimbus,
            "ui_url": hosts.ui_url,
            "hosts": [
                {
                    "name": h.name,
                    "address": h.address,
                    "roles": list(h.roles),
                    "holder_pid": h.holder_pid,
                    "alive": h.alive,
                    "healthy": h.healthy,
                    "daemons": [_daemon_doc(d) for d in h.daemons],
                }
                for h in health
            ],
        }
        print(json.dumps(doc, indent=2))
        return 0 if healthy else 1
    version = f"Storm {record.storm_version} " if record else ""
    print(f"{version}cluster on {len(hosts.hosts)} hosts ({hosts.subnet}, bridge {hosts.bridge})")
    print(f"state: {hosts.state_dir}")
    print(f"{'HOST':<5} {'ADDRESS':<15} {'ROLES':<24} {'HOLDER':>7}  STATE")
    for h in health:
        state = "ok" if h.healthy else ("down" if not h.alive else "unhealthy")
        print(f"{h.name:<5} {h.address:<15} {','.join(h.roles):<24} {h.holder_pid:>7}  {state}")
    print()
    print(f"{'DAEMON':<16} {'PID':>7}  {'STATE':<9} {'PORTS':<28} DETAIL")
    for host in health:
        for d in host.daemons:
            state = "ok" if d.healthy else ("dead" if not d.alive else "unhealthy")
            ports = ",".join(str(p) for k, p in d.ports.items() if not k.startswith("slot"))
            slots = [str(p) for k, p in d.ports.items() if k.startswith("slot")]
            if slots:
                ports += f" slots {','.join(slots)}"
            detail = d.detail
            if d.workers:
                detail += f" ({len(d.workers)} child process(es))"
            print(f"{d.name:<16} {d.pid:>7}  {state:<9} {ports:<28} {detail}")
    for note in record.notes if record else []:
        print(f"note: {note}")
    if hosts.ui_url:
        print(f"UI: {hosts.ui_url}")
    return 0 if healthy else 1
