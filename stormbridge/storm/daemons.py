"""Start, stop and inspect a real single-host Storm cluster: one process per daemon.

``up`` starts ZooKeeper, Nimbus, N supervisors, the UI and the logviewer, each in its own
session (so its process group holds the worker JVMs and Python subprocesses it starts),
stdout/stderr to files, and waits for real readiness: ZooKeeper answers ``srvr``, Nimbus is
leader (Thrift ``getClusterInfo``), every supervisor is registered, the UI answers REST. The
pids and ports go to the state directory as each daemon starts, so ``down`` can stop a half
started cluster too. ``down`` sends SIGTERM to each process group, then SIGKILL after a
deadline, then sweeps any process still mentioning the state directory.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.util
import ipaddress
import os
import shutil
import signal
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ClusterError, NimbusUnreachableError, UIError
from ..ui.client import UIClient
from . import health
from .config import ClusterSpec, render_storm_yaml, render_zoo_cfg
from .home import StormHome, find_java
from .state import (
    ClusterRecord,
    DaemonRecord,
    default_state_dir,
    group_members,
    load_record,
    locked,
    pid_alive,
    processes_mentioning,
    remove_record,
    save_record,
    stop_in_tiers,
)

__all__ = [
    "DaemonHealth",
    "Progress",
    "cluster_status",
    "daemon_command",
    "revive_daemons",
    "start_cluster",
    "stop_cluster",
]

Progress = Callable[[str], None]

NIMBUS_MAIN = "org.apache.storm.daemon.nimbus.Nimbus"
SUPERVISOR_MAIN = "org.apache.storm.daemon.supervisor.Supervisor"
UI_MAIN = "org.apache.storm.daemon.ui.UIServer"
LOGVIEWER_MAIN = "org.apache.storm.daemon.logviewer.LogviewerServer"
DEV_ZOOKEEPER_MAIN = "org.apache.storm.command.DevZookeeper"
#: ZooKeeper's server as shaded into storm-shaded-deps (the version Storm's client uses).
ZOOKEEPER_MAIN = "org.apache.storm.shade.org.apache.zookeeper.server.ZooKeeperServerMain"
#: The stormbridge UI server (Python), used when storm-webapp is not provisioned.
PY_UI_MODULE = "stormbridge.ui"
#: The stormbridge logviewer (Python), used wherever Storm's own cannot run (as for the UI).
PY_LOGVIEWER_MODULE = "stormbridge.ui.logviewer"

#: JVM options for daemons (not workers): a small heap and quick start on few cores.
DAEMON_JVM_OPTS = ("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Djava.net.preferIPv4Stack=true")


# --- command lines (pure) ---------------------------------------------------------------------


def _java_command(
    java: str,
    home: StormHome,
    spec: ClusterSpec,
    *,
    name: str,
    main: str,
    heap_mb: int,
    conf_file: Path,
    webapp: bool = False,
    args: tuple[str, ...] = (),
) -> list[str]:
    log_dir = spec.resolved_log_dir
    return [
        java,
        "-server",
        f"-Xmx{heap_mb}m",
        *DAEMON_JVM_OPTS,
        f"-Ddaemon.name={name}",
        f"-Dstorm.home={home.path}",
        f"-Dstorm.log.dir={log_dir}",
        f"-Dstorm.conf.file={conf_file}",
        "-Dstorm.options=",
        f"-Dlogfile.name={name}.log",
        f"-Dlog4j.configurationFile={home.log4j2_dir / 'cluster.xml'}",
        "-Djava.deserialization.disabled=true",
        f"-XX:ErrorFile={log_dir}/hs_err_{name}_%p.log",
        "-cp",
        home.daemon_classpath(webapp=webapp),
        main,
        *args,
    ]


def _use_server_zookeeper(home: StormHome) -> bool:
    """ZooKeeper's own server main can bind loopback; Storm's DevZookeeper cannot."""
    return any(home.lib.glob("storm-shaded-deps-*.jar"))


def _storm_webapp(home: StormHome, spec: ClusterSpec) -> bool:
    """Whether to run Storm's own UI and logviewer: they bind every interface (Storm 2.8
    gives Jetty no host, whatever ``ui.host`` says), so only on a cluster not bound to
    loopback."""
    if not home.has_webapp:
        return False
    try:
        loopback = ipaddress.ip_address(spec.host).is_loopback
    except ValueError:
        loopback = spec.host.lower() == "localhost"
    return not loopback


def daemon_command(java: str, home: StormHome, spec: ClusterSpec, name: str) -> list[str]:
    """The command line that starts daemon ``name`` (``zookeeper``, ``nimbus``,
    ``supervisor-N``, ``ui``, ``logviewer``) of the cluster ``spec``."""
    conf = spec.conf_dir / "storm.yaml"
    heaps = spec.heaps
    if name == "zookeeper":
        if _use_server_zookeeper(home):
            return _java_command(
                java, home, spec, name=name, main=ZOOKEEPER_MAIN, heap_mb=heaps.zookeeper,
                conf_file=conf, args=(str(spec.conf_dir / "zoo.cfg"),),
            )  # fmt: skip
        return _java_command(
            java, home, spec, name=name, main=DEV_ZOOKEEPER_MAIN, heap_mb=heaps.zookeeper,
            conf_file=conf,
        )  # fmt: skip
    if name == "nimbus":
        return _java_command(
            java, home, spec, name=name, main=NIMBUS_MAIN, heap_mb=heaps.nimbus, conf_file=conf
        )
    if name.startswith("supervisor-"):
        index = int(name.removeprefix("supervisor-"))
        if not 0 <= index < spec.supervisors:
            raise ClusterError(
                f"no daemon {name!r}: the cluster has {spec.supervisors} supervisors"
            )
        return _java_command(
            java, home, spec, name=name, main=SUPERVISOR_MAIN, heap_mb=heaps.supervisor,
            conf_file=spec.conf_dir / f"{name}.yaml",
        )  # fmt: skip
    if name == "ui":
        if _storm_webapp(home, spec):
            return _java_command(
                java, home, spec, name=name, main=UI_MAIN, heap_mb=heaps.ui, conf_file=conf,
                webapp=True,
            )  # fmt: skip
        ports = spec.ports
        links = ["--logviewer-port", str(ports.logviewer)] if spec.logviewer else []
        return [
            sys.executable, "-m", PY_UI_MODULE,
            "--host", spec.host, "--port", str(ports.ui),
            "--nimbus", f"{spec.host}:{ports.nimbus}", *links,
        ]  # fmt: skip
    if name == "logviewer":
        if _storm_webapp(home, spec):
            return _java_command(
                java, home, spec, name=name, main=LOGVIEWER_MAIN, heap_mb=heaps.logviewer,
                conf_file=conf, webapp=True,
            )  # fmt: skip
        return [
            sys.executable, "-m", PY_LOGVIEWER_MODULE, "--host", spec.host,
            "--port", str(spec.ports.logviewer), "--log-dir", str(spec.resolved_log_dir),
        ]  # fmt: skip
    raise ClusterError(f"unknown daemon {name!r}")


def _daemon_plan(home: StormHome, spec: ClusterSpec) -> tuple[list[str], list[str]]:
    """(daemons to start, notes about daemons left out)."""
    names = ["zookeeper", "nimbus", *(f"supervisor-{i}" for i in range(spec.supervisors))]
    notes: list[str] = []
    if spec.ui:
        if home.has_webapp or importlib.util.find_spec(f"{PY_UI_MODULE}.__main__") is not None:
            names.append("ui")
        else:
            notes.append(
                "ui: not started: storm-webapp is not provisioned (Maven Central does not serve "
                "it here) and the stormbridge UI server is not installed"
            )
    if spec.logviewer:  # Storm's own off loopback, else stormbridge's (daemon_command)
        names.append("logviewer")
    return names, notes


def _ports_of(spec: ClusterSpec, name: str, home: StormHome) -> dict[str, int]:
    ports = spec.ports
    if name == "zookeeper":
        return {"client": ports.zookeeper}
    if name == "nimbus":
        return {"thrift": ports.nimbus}
    if name.startswith("supervisor-"):
        i = int(name.removeprefix("supervisor-"))
        out = {"thrift": ports.supervisor_thrift[i]}
        out.update({f"slot{j}": p for j, p in enumerate(ports.slots[i])})
        return out
    if name == "ui":
        return {"http": ports.ui}
    if name == "logviewer":
        return {"http": ports.logviewer}
    return {}


# --- processes --------------------------------------------------------------------------------


def _spawn(command: list[str], out_path: Path, cwd: Path, env: Mapping[str, str]) -> int:
    """Start ``command`` in a new session, stdin from /dev/null, stdout+stderr appended to
    ``out_path``; return its pid. No pipes, no Popen object left to warn about."""
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with out_path.open("ab") as out:
        out.write(f"\n--- {time.strftime('%Y-%m-%d %H:%M:%S')} {' '.join(command)}\n".encode())
    # /bin/sh changes directory, then becomes the command (exec keeps the pid).
    argv = ["/bin/sh", "-c", 'cd "$0" && exec "$@"', str(cwd), *command]
    flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND
    try:
        return os.posix_spawn(
            "/bin/sh",
            argv,
            dict(env),
            file_actions=[
                (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                (os.POSIX_SPAWN_OPEN, 1, str(out_path), flags, 0o644),
                (os.POSIX_SPAWN_DUP2, 1, 2),
            ],
            setsid=True,
        )
    except OSError as exc:
        raise ClusterError(f"cannot start {command[0]}: {exc}") from exc


def _tail(path: Path, lines: int = 25) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def _died(daemon: DaemonRecord) -> ClusterError:
    out_tail = _tail(Path(daemon.out))
    log_tail = _tail(Path(daemon.log))
    detail = "\n".join(
        part
        for part in (
            f"--- {daemon.out} (last lines)\n{out_tail}" if out_tail.strip() else "",
            f"--- {daemon.log} (last lines)\n{log_tail}" if log_tail.strip() else "",
        )
        if part
    )
    return ClusterError(
        f"{daemon.name} exited during start-up; read its logs {daemon.out} and {daemon.log}"
        + (f"\n{detail}" if detail else "")
    )


# --- up -------------------------------------------------------------------------------------


def _prepare_dirs(spec: ClusterSpec, home: StormHome) -> None:
    shutil.rmtree(spec.data_dir, ignore_errors=True)  # a fresh cluster every time
    for d in (spec.conf_dir, spec.data_dir, spec.resolved_log_dir):
        d.mkdir(parents=True, exist_ok=True)
    (spec.conf_dir / "storm.yaml").write_text(render_storm_yaml(spec, role="nimbus"))
    for i in range(spec.supervisors):
        (spec.conf_dir / f"supervisor-{i}.yaml").write_text(
            render_storm_yaml(spec, role=f"supervisor-{i}")
        )
    (spec.conf_dir / "zoo.cfg").write_text(render_zoo_cfg(spec))


def _daemon_env(java: str, spec: ClusterSpec) -> dict[str, str]:
    env = dict(os.environ)
    # Workers are started by the supervisor with $JAVA_HOME/bin/java: use the same Java.
    env["JAVA_HOME"] = str(Path(java).resolve().parent.parent)
    # Python shell components resolve `python3`/`streamparse_run` via the supervisor's PATH:
    # put this interpreter's bin directory first.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env.update(spec.env)
    return env


def _wait(
    what: str,
    check: Callable[[], bool],
    record: ClusterRecord,
    deadline: float,
    interval: float = 1.0,
) -> None:
    """Poll ``check`` until true; fail fast if a daemon died, with a clear timeout error."""
    while True:
        for d in record.daemons:
            if not pid_alive(d.pid):
                raise _died(d)
        if check():
            return
        if time.monotonic() > deadline:
            logs = ", ".join(d.log for d in record.daemons)
            raise ClusterError(
                f"timed out waiting for {what}; the machine may be overloaded (raise "
                f"--timeout) or a daemon is stuck: read {logs}"
            )
        time.sleep(interval)


def start_cluster(
    spec: ClusterSpec,
    home: StormHome,
    progress: Progress | None = None,
    timeout: float = 180.0,
) -> ClusterRecord:
    """Start the cluster ``spec`` from ``home`` and wait until it is ready.

    Raises :class:`ClusterError` if one already runs in ``spec.state_dir``, a port is taken,
    a daemon dies or readiness does not come within ``timeout`` seconds; in every failure
    case what was started is stopped again.
    """
    say: Progress = progress or (lambda _msg: None)
    home.check()
    java = find_java()
    spec.validate()
    if spec.loopback_thrift is None:
        spec = dataclasses.replace(spec, loopback_thrift=home.loopback_plugin)
    elif spec.loopback_thrift and not home.loopback_plugin:
        raise ClusterError(
            f"the Storm home {home.path} has no stormbridge loopback transport in extlib/; "
            "run `sparse cluster provision` (needs javac) or start without it"
        )
    with locked(spec.state_dir):
        existing = load_record(spec.state_dir)
        if existing is not None:
            alive = [d.name for d in existing.daemons if pid_alive(d.pid)]
            if alive:
                flag = (
                    ""
                    if spec.state_dir == default_state_dir()
                    else f" --state-dir {spec.state_dir}"
                )
                raise ClusterError(
                    f"a cluster is already running from {spec.state_dir} "
                    f"({', '.join(alive)}); stop it with `sparse cluster down{flag}` first"
                )
            say(f"removing the record of a cluster that is no longer running ({spec.state_dir})")
            remove_record(spec.state_dir)
        names, notes = _daemon_plan(home, spec)
        for name in names:
            for label, port in _ports_of(spec, name, home).items():
                health.check_port_free(spec.host, port, f"{name} ({label})")
        _prepare_dirs(spec, home)
        ports = spec.ports
        record = ClusterRecord(
            state_dir=str(spec.state_dir),
            log_dir=str(spec.resolved_log_dir),
            storm_home=str(home.path),
            storm_version=home.version,
            host=spec.host,
            nimbus_port=ports.nimbus,
            zookeeper_port=ports.zookeeper,
            ui_port=ports.ui if "ui" in names else None,
            logviewer_port=ports.logviewer if "logviewer" in names else None,
            supervisors=spec.supervisors,
            slots=spec.slots,
            started_at=time.time(),
            notes=notes,
        )
        if not spec.loopback_thrift:
            notes.append(
                "nimbus, supervisors: Thrift listens on every interface (stormbridge's loopback "
                "transport is not installed in this Storm home)"
            )
        notes.append("workers: Storm's netty transport listens on every interface (no setting)")
        for note in notes:
            say(note)
        env = _daemon_env(java, spec)
        deadline = time.monotonic() + timeout
        try:
            _start_all(spec, home, java, names, record, env, say, deadline)
        except BaseException:
            say("start-up failed: stopping what was started")
            _stop_record(record, say, grace=15.0)
            remove_record(spec.state_dir)
            raise
        return record


def _start(
    name: str,
    spec: ClusterSpec,
    home: StormHome,
    java: str,
    record: ClusterRecord,
    env: Mapping[str, str],
) -> DaemonRecord:
    command = daemon_command(java, home, spec, name)
    log_dir = spec.resolved_log_dir
    out = log_dir / f"{name}.out"
    pid = _spawn(command, out, spec.state_dir, env)
    daemon = DaemonRecord(
        name=name,
        pid=pid,
        pgid=pid,
        ports=_ports_of(spec, name, home),
        log=str(log_dir / f"{name}.log") if command[0] != sys.executable else str(out),
        out=str(out),
        command=command,
        kind="python" if command[0] == sys.executable else "java",
    )
    record.daemons.append(daemon)
    save_record(spec.state_dir, record)
    return daemon


def _start_all(
    spec: ClusterSpec,
    home: StormHome,
    java: str,
    names: list[str],
    record: ClusterRecord,
    env: Mapping[str, str],
    say: Progress,
    deadline: float,
) -> None:
    host, ports = spec.host, spec.ports
    t0 = time.monotonic()

    def since() -> str:
        return f"{time.monotonic() - t0:.0f} s"

    say(f"starting zookeeper on {host}:{ports.zookeeper}")
    _start("zookeeper", spec, home, java, record, env)
    zk_deadline = min(deadline, time.monotonic() + 90.0)
    _wait("ZooKeeper", lambda: health.zookeeper_answers(host, ports.zookeeper), record, zk_deadline)
    say(f"  zookeeper answers ({since()})")

    say(f"starting nimbus on {host}:{ports.nimbus}")
    _start("nimbus", spec, home, java, record, env)

    def leader() -> bool:
        try:
            return health.nimbus_view(host, ports.nimbus, timeout=5.0).leader is not None
        except NimbusUnreachableError:
            return False

    _wait("Nimbus to become leader", leader, record, deadline, interval=2.0)
    say(f"  nimbus is leader ({since()})")

    rest = [n for n in names if n not in ("zookeeper", "nimbus")]
    for name in rest:
        listens = ", ".join(f"{k} {v}" for k, v in _ports_of(spec, name, home).items())
        say(f"starting {name} ({listens})")
        _start(name, spec, home, java, record, env)

    def registered() -> bool:
        try:
            return health.nimbus_view(host, ports.nimbus).supervisors >= spec.supervisors
        except NimbusUnreachableError:
            return False

    _wait(
        f"{spec.supervisors} supervisor(s) to register with Nimbus",
        registered,
        record,
        deadline,
        2.0,
    )
    say(f"  {spec.supervisors} supervisor(s) registered ({since()})")
    # A supervisor registers before its own Thrift port listens; `status` checks every port.
    _wait(
        "every daemon's ports to listen",
        lambda: all(_ports_listen(host, d) for d in record.daemons),
        record,
        deadline,
    )
    if "ui" in names:
        client = UIClient(f"http://{host}:{ports.ui}", timeout=5.0)

        def ui_ready() -> bool:
            try:
                return client.cluster_summary().supervisors >= spec.supervisors
            except UIError:
                return False

        _wait("the UI REST API to answer", ui_ready, record, deadline, 2.0)
        say(f"  UI answers at http://{host}:{ports.ui} ({since()})")
    if "logviewer" in names:
        url = f"http://{host}:{ports.logviewer}/"
        _wait("the logviewer to answer", lambda: health.http_answers(url), record, deadline, 2.0)
        say(f"  logviewer answers at {url} ({since()})")


def revive_daemons(spec: ClusterSpec, progress: Progress | None = None) -> list[str]:
    """Start again every daemon of the cluster in ``spec.state_dir`` whose processes are gone.

    Storm's daemons are fail-fast and meant to run under a process supervisor that restarts
    them: a Storm supervisor halts itself on some errors (for one, a topology killed while its
    blobs are still being localized: "Unable to read local file", then "Halting process").
    This is that restart, on demand: each dead daemon runs its recorded command again, its
    output appended to the same file. A daemon counts as dead when its own process is gone,
    even if processes it started live on (a killed supervisor's workers keep running, and the
    new supervisor takes them over). Returns the names restarted (empty when all live).
    """
    say: Progress = progress or (lambda _msg: None)
    record = load_record(spec.state_dir)
    if record is None:
        raise ClusterError(f"no cluster is recorded in {spec.state_dir}: start one first")
    env = _daemon_env(find_java(), spec)
    revived: list[str] = []
    for i, daemon in enumerate(record.daemons):
        if pid_alive(daemon.pid):
            continue
        pid = _spawn(list(daemon.command), Path(daemon.out), spec.state_dir, env)
        record.daemons[i] = dataclasses.replace(daemon, pid=pid, pgid=pid)
        revived.append(daemon.name)
        say(f"{daemon.name} was not running: started it again (pid {pid})")
    if revived:
        save_record(spec.state_dir, record)
    return revived


# --- down -------------------------------------------------------------------------------------

#: Stop order: front ends first, ZooKeeper last (Nimbus and supervisors need it to shut down).
_STOP_TIERS: tuple[tuple[str, ...], ...] = (
    ("ui", "logviewer"),
    ("supervisor-",),
    ("nimbus",),
    ("zookeeper",),
)


def _stop_record(record: ClusterRecord, say: Progress, grace: float) -> list[int]:
    """Stop every daemon of ``record`` (and its process group); return pids that survived."""
    stop_in_tiers(record.daemons, _STOP_TIERS, say, grace)
    # Anything still holding the state directory on its command line (e.g. a worker JVM that
    # left the process group) goes too.
    leftovers = [p for p in processes_mentioning(record.state_dir) if p != os.getpid()]
    for pid in leftovers:
        say(f"  killing leftover process {pid}")
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10.0
    survivors: list[int] = []
    while time.monotonic() < deadline:
        survivors = [d.pid for d in record.daemons if pid_alive(d.pid)]
        for d in record.daemons:
            survivors.extend(group_members(d.pgid))
        survivors.extend(processes_mentioning(record.state_dir))
        if not survivors:
            break
        time.sleep(0.2)
    return sorted(set(survivors))


def stop_cluster(
    state_dir: Path, progress: Progress | None = None, grace: float = 30.0
) -> ClusterRecord | None:
    """Stop the cluster recorded in ``state_dir``; None if none was recorded.

    SIGTERM to every daemon's process group (front ends, supervisors with their workers,
    Nimbus, ZooKeeper), SIGKILL after ``grace`` seconds. Raises :class:`ClusterError` if a
    process survives even SIGKILL.
    """
    say: Progress = progress or (lambda _msg: None)
    with locked(state_dir):
        record = load_record(state_dir)
        if record is None:
            return None
        survivors = _stop_record(record, say, grace)
        if survivors:
            raise ClusterError(
                f"processes {survivors} of the cluster in {state_dir} survived SIGKILL; "
                "check them with `ps -fp PID`"
            )
        remove_record(state_dir)
        return record


# --- status -----------------------------------------------------------------------------------


@dataclass
class DaemonHealth:
    name: str
    pid: int
    alive: bool
    ports: dict[str, int]
    ports_open: bool
    answering: bool | None  # None: no protocol probe for this daemon
    detail: str = ""
    log: str = ""
    workers: list[int] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return self.alive and self.ports_open and self.answering is not False


def _ports_listen(host: str, daemon: DaemonRecord, timeout: float = 2.0) -> bool:
    """Whether every port ``daemon`` listens on accepts connections (worker slots are only
    listened on while a worker runs: not counted)."""
    return all(
        health.tcp_open(host, port, timeout)
        for name, port in daemon.ports.items()
        if not name.startswith("slot")
    )


def cluster_status(record: ClusterRecord, timeout: float = 5.0) -> list[DaemonHealth]:
    """Health of every recorded daemon: pid alive, ports open, protocol answering."""
    host = record.host
    view: health.NimbusView | None = None
    view_error = ""
    try:
        view = health.nimbus_view(host, record.nimbus_port, timeout=timeout)
    except NimbusUnreachableError as exc:
        view_error = str(exc)
    out: list[DaemonHealth] = []
    for d in record.daemons:
        alive = pid_alive(d.pid)
        ports_open = alive and _ports_listen(host, d, timeout)
        answering: bool | None = None
        detail = ""
        if d.name == "zookeeper":
            answering = alive and health.zookeeper_answers(host, d.ports["client"], timeout)
        elif d.name == "nimbus":
            answering = view is not None and view.leader is not None
            detail = f"leader {view.leader}" if view and view.leader else view_error or "no leader"
        elif d.name.startswith("supervisor-") and view is not None:
            detail = f"{view.supervisors}/{record.supervisors} supervisors registered"
            answering = alive and view.supervisors >= record.supervisors
        elif d.name == "ui" and record.ui_url:
            try:
                summary = UIClient(record.ui_url, timeout=timeout).cluster_summary()
                answering = True
                detail = f"{summary.supervisors} supervisors, {summary.slots_total} slots"
            except UIError as exc:
                answering, detail = False, str(exc)
        elif d.name == "logviewer":
            answering = health.http_answers(f"http://{host}:{d.ports['http']}/", timeout)
        members = [p for p in group_members(d.pgid) if p != d.pid]
        out.append(
            DaemonHealth(
                name=d.name, pid=d.pid, alive=alive, ports=d.ports, ports_open=ports_open,
                answering=answering, detail=detail, log=d.log, workers=members,
            )
        )  # fmt: skip
    return out
