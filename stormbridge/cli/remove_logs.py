"""``sparse remove_logs``: delete the topology's Storm worker logs on every worker host over
SSH (``-A``: its whole ``workers-artifacts`` folders)."""

from __future__ import annotations

import argparse
import sys

from ..deploy.logs import LogQuery, remove_script
from ..deploy.ssh import SSHSettings
from ..errors import DeployError
from . import _common, _hosts

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "remove_logs",
        help="delete the topology's worker logs on every worker host (SSH)",
        description="Remove <storm.log.dir>/workers-artifacts/<topology id>/*/*.log* on every "
        "worker host over SSH.",
    )
    _common.add_environment(parser)
    _common.add_name(parser)
    _common.add_override_name(parser)
    _common.add_config(parser)
    _common.add_timeout(parser)
    _hosts.add_pool_size(parser)
    parser.add_argument(
        "--pattern", metavar="REGEX", help="only log files whose path matches (grep -E)"
    )
    parser.add_argument(
        "-A", "--remove_all_artifacts", action="store_true",
        help="remove the topology's whole workers-artifacts folders",
    )  # fmt: skip
    parser.add_argument(
        "-w", "--remove_worker_logs", action="store_true",
        help="accepted for streamparse: worker logs are the logs removed here",
    )  # fmt: skip
    parser.add_argument(
        "-u", "--user", dest="sudo_user", metavar="USER", help="remove them as USER (sudo -u)"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    ctx = _common.load_context(args)
    name = _common.topology_name(args, ctx.project)
    ssh = SSHSettings.from_env(ctx.env, sudo_user=args.sudo_user)
    hosts = _hosts.hosts_of(ctx, ssh, args.timeout)
    script = remove_script(
        LogQuery(name, ctx.env.log.path, args.pattern), all_artifacts=args.remove_all_artifacts
    )
    results = _hosts.on_each_host(
        hosts,
        ssh,
        lambda r: r.run(script, step="removing the worker logs", sudo=True),
        args.pool_size,
    )
    failed = 0
    for host, output, error in results:
        if error is not None:
            failed += 1
            print(f"sparse: {error}", file=sys.stderr)
        else:
            print(f"{host}: {(output or '').strip()}")
    if failed == len(results):
        raise DeployError(f"no worker logs of topology {name!r} removed on any host")
    return 0
