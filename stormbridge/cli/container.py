"""``sparse container ROLE``: the entrypoint of the Docker image (``docker/Dockerfile``).

Renders the role's storm.yaml (and zoo.cfg) from the ``STORMBRIDGE_*`` environment variables
with :mod:`stormbridge.storm.container`, waits for ZooKeeper where the daemon needs it, and
replaces itself with the daemon (``exec``: the daemon is the container's main process and gets
Docker's SIGTERM). ``--dry-run`` prints the storm.yaml and the command instead.
"""

from __future__ import annotations

import argparse
import os
import sys

from ..storm.container import (
    ROLES,
    ContainerSettings,
    claim_supervisor_index,
    plan_container,
    wait_for_zookeeper,
    write_files,
)
from ..storm.home import find_java, resolve_home

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "container",
        help="run one daemon of the Docker cluster (the image's entrypoint)",
        description=(
            "Render storm.yaml for ROLE from STORMBRIDGE_* environment variables (as `sparse "
            "cluster up` renders it) and exec the daemon. See docs/docker.md."
        ),
    )
    parser.add_argument("role", choices=ROLES, help="the daemon this container runs")
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="print the rendered files and the command instead of running them",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = ContainerSettings.from_env(os.environ)
    home = resolve_home()
    java = find_java()
    index = 0
    if args.role == "supervisor" and not args.dry_run:
        # The lock stays held by the daemon that replaces this process (inherited fd).
        index, _fd = claim_supervisor_index(settings.claims_dir, settings.max_supervisors)
    plan = plan_container(args.role, settings, home, java, supervisor_index=index)
    if args.dry_run:
        for path, text in plan.files.items():
            print(f"# ----- {path}")
            print(text)
        print(f"# ----- command\n{' '.join(plan.argv)}")
        return 0
    write_files(plan)
    print(f"sparse container: {plan.describe()}", file=sys.stderr, flush=True)
    if args.role in ("nimbus", "supervisor"):
        wait_for_zookeeper(plan, settings.nimbus_host)
    os.chdir(plan.spec.state_dir)
    os.execve(plan.argv[0], plan.argv, dict(plan.env))
    return 1  # pragma: no cover  (execve does not return)
