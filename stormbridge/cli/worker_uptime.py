"""``sparse worker_uptime``: every worker process of the cluster with its host, port, topology
and uptime (Storm UI REST API)."""

from __future__ import annotations

import argparse

from ..ui.client import UIClient
from . import _common
from ._workers import running_workers

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "worker_uptime",
        help="uptime of every worker process (Storm UI)",
        description="List every worker process: host, port, topology, executors, uptime.",
    )
    _common.add_cluster(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    ctx = _common.load_context(args)
    rows = running_workers(UIClient(ctx.env.ui_url, timeout=args.timeout))
    _common.print_table(
        ["host", "port", "topology", "executors", "uptime", "uptime (s)"],
        [
            [r.get("host"), r.get("port"), r.get("topologyName"), r.get("executorsTotal"),
             r.get("uptime"), r.get("uptimeSeconds")]
            for r in rows
        ],
    )  # fmt: skip
    return 0
