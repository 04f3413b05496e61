"""``sparse list``: the topologies Nimbus knows, as a table."""

from __future__ import annotations

import argparse

from . import _common

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "list",
        help="list the topologies on the cluster",
        description="List the topologies running on the env's Nimbus.",
    )
    _common.add_cluster(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    ctx = _common.load_context(args)
    with _common.connect_nimbus(ctx.env, args.timeout) as nimbus:
        topologies = sorted(nimbus.topologies(), key=lambda t: t.name)
        where = nimbus.address
    if not topologies:
        print(f"No topologies running on Nimbus {where}.")
        return 0
    _common.print_table(
        ["name", "id", "status", "uptime", "workers", "executors", "tasks"],
        [
            [
                t.name,
                t.id,
                t.status,
                _uptime(t.uptime_secs),
                t.num_workers,
                t.num_executors,
                t.num_tasks,
            ]
            for t in topologies
        ],
    )
    return 0


def _uptime(secs: int) -> str:
    days, rest = divmod(int(secs), 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h {minutes}m"
    if hours:
        return f"{hours}h {minutes}m {seconds}s"
    if minutes:
        return f"{minutes}m {seconds}s"
    return f"{seconds}s"
