"""`sparse cluster down` for a --hosts cluster (and the clean-up of a failed `up`).

Stops the daemons by tiers (SIGTERM to each process group, SIGKILL after a grace period),
kills every process left in the hosts' network namespaces (workers, Python components, SSH
sessions, holders), deletes the veths, namespaces and bridge, and the /data mount point if
`up` made it. Everything is looked up by the names recorded in ``hosts.json``, so it works
after any partial `up` and twice in a row; a recorded pid is signalled only while it runs in
one of the hosts' namespaces.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable
from pathlib import Path

from ...errors import ClusterError
from ..hosts import ClusterHosts, find_hosts, remove_hosts
from ..state import (
    ClusterRecord,
    load_record,
    locked,
    remove_record,
    stop_in_tiers,
)
from .netns import (
    delete_link,
    delete_netns,
    kill_pids,
    mount_in_use,
    netns_inode,
    pids_in_netns,
)
from .plan import DATA_MOUNT

__all__ = ["stop_multihost", "teardown"]

Progress = Callable[[str], None]


#: Stop order: front ends, sshd and supervisors (with their workers), Nimbus, ZooKeeper.
_TIERS = (("ui", "sshd", "supervisor-"), ("nimbus",), ("zookeeper",))


def _in_namespaces(pid: int, inodes: set[int]) -> bool:
    try:
        return os.stat(f"/proc/{pid}/ns/net").st_ino in inodes
    except OSError:
        return False


def _stop_daemons(record: ClusterRecord, inodes: set[int], say: Progress, grace: float) -> None:
    """SIGTERM the recorded daemons' process groups by tiers, SIGKILL after ``grace``. Only
    daemons that run in one of the hosts' network namespaces (``inodes``) are signalled: a
    recorded pid that now belongs to something else is left alone."""
    inside = [d for d in record.daemons if _in_namespaces(d.pid, inodes)]
    stop_in_tiers(inside, _TIERS, say, grace)


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


def teardown(state_dir: Path, say: Progress, grace: float) -> ClusterRecord | None:
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
        teardown(state_dir, say, grace)
        return hosts
