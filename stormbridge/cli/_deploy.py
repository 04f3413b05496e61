"""What ``submit`` and ``update_virtualenv`` share: the deploy flags, and deploying the
topology's virtualenv to the worker hosts with a line of progress per host and a result table.

Flags as streamparse's: ``--pool_size``, ``-r/--requirements``, ``--overwrite_virtualenv``,
``--user`` (the remote user virtualenv commands run as, via sudo); ours: ``--wheelhouse DIR``.
"""

from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path

from ..deploy.nimbus import nimbus_session, worker_hosts
from ..deploy.ssh import SSHSettings
from ..deploy.virtualenvs import (
    DEFAULT_POOL_SIZE,
    DeployReport,
    VenvTarget,
    Wheels,
    deploy_virtualenvs,
)
from ..deploy.wheelhouse import collect_wheels, ready_wheels, requirements_path
from . import _common

__all__ = ["add_deploy_flags", "deploy_virtualenv", "ssh_settings", "wants_virtualenv"]


def add_deploy_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--pool_size",
        type=_common.positive_int,
        default=DEFAULT_POOL_SIZE,
        metavar="N",
        help=f"worker hosts handled in parallel over SSH (default {DEFAULT_POOL_SIZE})",
    )
    parser.add_argument(
        "-r",
        "--requirements",
        action="append",
        type=Path,
        default=[],
        metavar="FILE",
        help="requirements file(s) of the virtualenv (repeatable; default: "
        "virtualenvs/<virtualenv_name or topology name>.txt)",
    )
    parser.add_argument(
        "--overwrite_virtualenv",
        action="store_true",
        help="rebuild the virtualenv on every worker even when its requirements did not change",
    )
    parser.add_argument(
        "--user",
        dest="sudo_user",
        metavar="USER",
        help="run the virtualenv commands on the workers as USER (sudo -u; default: the env's "
        "sudo_user, else the SSH user)",
    )
    parser.add_argument(
        "--wheelhouse",
        type=Path,
        metavar="DIR",
        help="install exactly the wheels in DIR instead of building them here (for workers of "
        "another platform: see docs/deploy.md)",
    )


def ssh_settings(ctx: _common.Context, args: argparse.Namespace) -> SSHSettings:
    return SSHSettings.from_env(ctx.env, sudo_user=getattr(args, "sudo_user", None))


def wants_virtualenv(ctx: _common.Context) -> bool:
    """Whether the env deploys virtualenvs over SSH (``use_virtualenv`` and
    ``install_virtualenv``, as streamparse)."""
    env = ctx.env
    shipped = getattr(env, "deploy", None) is not None  # "deploy": "ship": no SSH
    return bool(env.use_virtualenv and env.install_virtualenv and not shipped)


def deploy_virtualenv(
    ctx: _common.Context, args: argparse.Namespace, topology_name: str, ssh: SSHSettings
) -> DeployReport:
    """Build (or reuse) the wheels, find the workers and deploy; raise when any host failed."""
    env = ctx.env
    target = VenvTarget.from_env(env, topology_name)
    wheels: Wheels
    if args.wheelhouse is not None:
        wheels = ready_wheels(Path(args.wheelhouse))
        print(f"Using {len(wheels.wheels)} wheels from {args.wheelhouse}")
    else:
        from ..storm.home import default_cache_root

        requirements = list(args.requirements) or [
            requirements_path(ctx.project.config.virtualenvs_dir, target.name)
        ]
        print(f"Collecting wheels for {', '.join(map(str, requirements))}...", flush=True)
        built = collect_wheels(
            requirements,
            cache_root=default_cache_root(),
            build_dir=ctx.project.root / "_build",
            name=target.name,
        )
        how = "from the cache" if built.cached else f"built in {built.seconds:.1f} s"
        print(f"  {len(built.wheels)} wheels {how} ({built.directory})")
        wheels = built
    if env.workers:
        hosts = worker_hosts(env, None)
    else:
        with nimbus_session(env, ssh, timeout=args.timeout) as nimbus:
            hosts = worker_hosts(env, nimbus)
    print(
        f"Deploying virtualenv {target.path} to {len(hosts)} worker host(s) "
        f"({args.pool_size} at a time)...",
        flush=True,
    )
    lock = threading.Lock()

    def progress(host: str, message: str) -> None:
        with lock:
            print(f"  [{host}] {message}", flush=True)

    report = deploy_virtualenvs(
        hosts,
        ssh,
        target,
        wheels,
        overwrite=args.overwrite_virtualenv,
        pool_size=args.pool_size,
        progress=progress,
    )
    _common.print_table(
        ["host", "virtualenv", "seconds", "error"],
        [[r.host, r.action, round(r.seconds, 1), _first_line(r.error)] for r in report.results],
    )
    sys.stdout.flush()
    report.raise_for_failures()
    return report


def _first_line(text: str | None) -> str | None:
    lines = (text or "").strip().splitlines()
    return lines[0][:100] if lines else None
