"""The state directory of a local cluster: what was started, with which pids and ports.

Layout (``$STORMBRIDGE_STATE`` or ``~/.local/state/stormbridge/cluster``)::

    state.json      the cluster record below (written after every daemon start)
    lock            flock'ed while `up` or `down` runs
    conf/           storm.yaml (nimbus, ui, logviewer), supervisor-N.yaml, zoo.cfg
    data/           ZooKeeper and storm.local.dir of every daemon (wiped by `up`)
    logs/           daemon logs (<name>.log, <name>.out) and workers-artifacts/ (the default
                    log directory; a cluster may put its logs elsewhere)

Processes are checked through ``/proc``: a zombie counts as dead.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import signal
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ClusterError

__all__ = [
    "ClusterRecord",
    "DaemonRecord",
    "default_state_dir",
    "group_members",
    "load_record",
    "locked",
    "pid_alive",
    "processes_mentioning",
    "remove_record",
    "save_record",
    "signal_group",
    "stop_in_tiers",
]

STATE_FILE = "state.json"


def default_state_dir(env: Mapping[str, str] | None = None) -> Path:
    """``$STORMBRIDGE_STATE`` or ``~/.local/state/stormbridge/cluster`` (XDG respected)."""
    env = os.environ if env is None else env
    if env.get("STORMBRIDGE_STATE"):
        return Path(env["STORMBRIDGE_STATE"]).expanduser()
    xdg = env.get("XDG_STATE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".local" / "state"
    return base / "stormbridge" / "cluster"


@dataclass
class DaemonRecord:
    """One started daemon: its process (and process group) and what it listens on."""

    name: str
    pid: int
    #: Process group (== pid: every daemon starts its own session); the supervisors' worker
    #: JVMs and their Python subprocesses stay in it, so killing the group kills them too.
    pgid: int
    ports: dict[str, int]
    log: str
    out: str
    command: list[str]
    kind: str = "java"  # "java" or "python"


@dataclass
class ClusterRecord:
    """What `sparse cluster up` started; JSON in ``state.json``."""

    state_dir: str
    log_dir: str
    storm_home: str
    storm_version: str
    host: str
    nimbus_port: int
    zookeeper_port: int
    ui_port: int | None
    logviewer_port: int | None
    supervisors: int
    slots: int
    started_at: float
    daemons: list[DaemonRecord] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ui_url(self) -> str | None:
        return None if self.ui_port is None else f"http://{self.host}:{self.ui_port}"

    def daemon(self, name: str) -> DaemonRecord | None:
        return next((d for d in self.daemons if d.name == name), None)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ClusterRecord:
        raw: dict[str, Any] = json.loads(text)
        daemons = [DaemonRecord(**d) for d in raw.pop("daemons", [])]
        return cls(**raw, daemons=daemons)


def save_record(state_dir: Path, record: ClusterRecord) -> None:
    """Write ``state.json`` atomically (a reader never sees half a file)."""
    state_dir.mkdir(parents=True, exist_ok=True)
    tmp = state_dir / f".{STATE_FILE}.tmp"
    tmp.write_text(record.to_json())
    tmp.replace(state_dir / STATE_FILE)


def load_record(state_dir: Path) -> ClusterRecord | None:
    """The recorded cluster, or None when there is none. A corrupt file is an error."""
    path = state_dir / STATE_FILE
    try:
        text = path.read_text()
    except FileNotFoundError:
        return None
    try:
        return ClusterRecord.from_json(text)
    except (ValueError, TypeError, KeyError) as exc:
        raise ClusterError(
            f"the cluster state file {path} is unreadable ({exc}); stop any Storm daemons "
            f"by hand (`ps -ef | grep {state_dir}`) and delete it"
        ) from exc


def remove_record(state_dir: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        (state_dir / STATE_FILE).unlink()


@contextlib.contextmanager
def locked(state_dir: Path) -> Iterator[None]:
    """Hold the state directory's lock; a second `up`/`down` at the same time fails fast."""
    state_dir.mkdir(parents=True, exist_ok=True)
    with (state_dir / "lock").open("a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            raise ClusterError(
                f"another `sparse cluster` command is working on {state_dir}; wait for it"
            ) from exc
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _reap(pid: int) -> None:
    """Collect ``pid`` if it is our exited child (daemons started in-process)."""
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def pid_alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie or a reaped child does not)."""
    if pid <= 0:
        return False
    _reap(pid)
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return False
    # "pid (comm) S ...": the state letter follows the last ')'.
    state = stat.rpartition(")")[2].split()[:1]
    return bool(state) and state[0] not in ("Z", "X")


def group_members(pgid: int) -> list[int]:
    """Live pids whose process group is ``pgid``."""
    members: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        # fields: state ppid pgrp ...
        if len(fields) > 2 and fields[0] not in ("Z", "X") and int(fields[2]) == pgid:
            members.append(int(entry.name))
    return members


def signal_group(pgid: int, sig: int) -> None:
    """Send ``sig`` to process group ``pgid``; a group that is gone (or not ours) is left."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _group_alive(daemon: DaemonRecord) -> bool:
    return pid_alive(daemon.pid) or bool(group_members(daemon.pgid))


def _tier_of(name: str, tiers: Sequence[Sequence[str]]) -> int:
    """The index of the first tier naming ``name``'s daemon (the part after a "/"); a tier
    entry ending in "-" names every daemon it starts (``supervisor-`` for ``supervisor-0``);
    0 when no tier names it."""
    daemon = name.rpartition("/")[2]
    for i, tier in enumerate(tiers):
        if any(daemon == t or (t.endswith("-") and daemon.startswith(t)) for t in tier):
            return i
    return 0


def stop_in_tiers(
    daemons: Iterable[DaemonRecord],
    tiers: Sequence[Sequence[str]],
    say: Callable[[str], None],
    grace: float,
) -> None:
    """Stop ``daemons`` tier by tier, in the order of ``tiers`` (daemon names, see
    :func:`_tier_of`): SIGTERM to the process group of each live one, SIGKILL to those still
    alive after ``grace`` seconds."""
    by_tier: dict[int, list[DaemonRecord]] = {}
    for d in daemons:
        by_tier.setdefault(_tier_of(d.name, tiers), []).append(d)
    for tier in sorted(by_tier):
        group = [d for d in by_tier[tier] if _group_alive(d)]
        if not group:
            continue
        say(f"stopping {', '.join(d.name for d in group)}")
        for d in group:
            signal_group(d.pgid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and any(_group_alive(d) for d in group):
            time.sleep(0.2)
        for d in group:
            if _group_alive(d):
                say(f"  {d.name} did not stop within {grace:.0f} s: SIGKILL")
                signal_group(d.pgid, signal.SIGKILL)


def processes_mentioning(path: str) -> list[int]:
    """Live pids (other than this one) that belong to the cluster in ``path``: their command
    line mentions ``path`` (daemons and workers carry it in their options), or they are a
    java/python process working inside ``path/data`` (Python components run in the unpacked
    topology under a supervisor's storm.local.dir)."""
    found: list[int] = []
    me = os.getpid()
    root = path.rstrip("/")
    data = root + "/data"
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        cmdline = b" ".join(argv).decode(errors="replace")
        try:
            cwd = os.readlink(entry / "cwd")
        except OSError:
            cwd = ""
        program = os.path.basename(argv[0].decode(errors="replace")) if argv else ""
        ours = root in cmdline or (
            (cwd == data or cwd.startswith(data + "/")) and program.startswith(("java", "python"))
        )
        if ours and pid_alive(int(entry.name)):
            found.append(int(entry.name))
    return found
