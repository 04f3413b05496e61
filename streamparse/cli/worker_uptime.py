"""``sparse worker_uptime``: how long each worker process has run, read from Nimbus."""

from __future__ import annotations

import argparse
from typing import Any

from ._nimbus_tables import worker_uptime_rows
from .common import add_config, add_environment

__all__ = ["display_worker_uptime", "main", "subparser_hook"]


def display_worker_uptime(env_name: str | None, config_file: Any = None) -> None:
    """Print every worker (topology, host, port) with its uptime in seconds."""
    worker_uptime_rows(env_name, config_file)


def subparser_hook(subparsers: Any) -> None:
    parser = subparsers.add_parser("worker_uptime", help="display uptime of the workers")
    parser.set_defaults(func=main)
    add_config(parser)
    add_environment(parser)


def main(args: argparse.Namespace) -> None:
    display_worker_uptime(args.environment, config_file=args.config)
