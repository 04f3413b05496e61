"""``sparse cluster revive``: start again the daemons of a running ``sparse cluster up`` cluster
whose processes are gone, and wait until the cluster is healthy.

Storm's daemons are fail-fast and expect a process supervisor to restart them (a Storm
supervisor halts itself on some errors; a killed Nimbus or ZooKeeper stays dead). This is that
restart on demand: each dead daemon runs its recorded command again. Workers of a killed
supervisor keep running and the new supervisor takes them over; topologies keep their state
(ZooKeeper's and Nimbus's data directories are kept).

Prints one line per restarted daemon on stdout (``NAME pid PID``), or that nothing was dead.
Exit 0 when every daemon runs (and, unless ``--timeout 0``, the cluster stayed healthy for
:data:`STABLE_SECS`), 1 when there is no such cluster or it is not healthy within ``--timeout``
seconds.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

from ..errors import ClusterError
from ..storm.config import ClusterSpec
from ..storm.daemons import cluster_status, revive_daemons
from ..storm.hosts import find_hosts
from ..storm.state import default_state_dir, load_record

__all__ = ["STABLE_SECS", "add_action", "run"]

#: A restarted daemon counts as back once the cluster stayed healthy this long (a daemon that
#: halts again right after its start, or a supervisor Nimbus still lists from before, is not).
STABLE_SECS = 3.0


def add_action(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    with_state: Callable[[argparse.ArgumentParser], None],
) -> None:
    p = sub.add_parser(
        "revive",
        help="start again the daemons of a running cluster that died",
        description="Start again every daemon of a `sparse cluster up` cluster whose process "
        "is gone (a halted supervisor, a killed Nimbus or ZooKeeper), with its recorded "
        "command, and wait until the cluster is healthy.",
    )
    with_state(p)
    p.add_argument(
        "--timeout",
        type=float,
        default=180.0,
        help="seconds to wait until the cluster is healthy again (180; 0: do not wait)",
    )
    p.set_defaults(func=run, action="revive")


def run(args: argparse.Namespace) -> int:
    state_dir: Path = args.state_dir or default_state_dir()
    if find_hosts(state_dir) is not None:
        raise ClusterError(
            f"{state_dir} holds a multi-host cluster (--hosts): revive restarts the daemons of a "
            "single-host cluster only; restart this one with `sparse cluster down` and `up`"
        )
    revived = revive_daemons(
        ClusterSpec(state_dir=state_dir),
        progress=lambda msg: print(msg, file=sys.stderr, flush=True),
    )
    record = load_record(state_dir)
    if record is None:  # stopped meanwhile
        raise ClusterError(f"the cluster in {state_dir} was stopped while reviving it")
    if not revived:
        print("every daemon is running: nothing to restart")
        return 0
    for daemon in record.daemons:
        if daemon.name in revived:
            print(f"{daemon.name} pid {daemon.pid}")
    if args.timeout <= 0:
        return 0
    deadline = time.monotonic() + args.timeout
    healthy_since: float | None = None
    while True:
        sick = [h for h in cluster_status(record) if not h.healthy]
        now = time.monotonic()
        if sick:
            healthy_since = None
        elif healthy_since is None:
            healthy_since = now
        elif now - healthy_since >= STABLE_SECS:
            print("cluster healthy")
            return 0
        if now > deadline:
            names = ", ".join(
                f"{h.name} ({'dead' if not h.alive else h.detail or 'not answering'})" for h in sick
            )
            logs = ", ".join(h.log for h in sick)
            raise ClusterError(
                f"restarted {', '.join(revived)}, but not healthy within {args.timeout:g} s: "
                f"{names}; read {logs}"
            )
        time.sleep(1.0)
