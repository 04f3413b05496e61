"""``sparse tail``: streamparse's flags; stormbridge does not tail worker logs over SSH."""

from __future__ import annotations

import argparse
from typing import Any

from ._unsupported import worker_logs_error
from .common import (
    add_config,
    add_environment,
    add_name,
    add_override_name,
    add_pattern,
    add_pool_size,
)

__all__ = ["main", "subparser_hook", "tail_topology"]


def tail_topology(*args: Any, **kwargs: Any) -> None:
    """Raises ConfigError saying where to read worker logs instead."""
    raise worker_logs_error("tail")


def subparser_hook(subparsers: Any) -> None:
    parser = subparsers.add_parser("tail", help="(not provided by stormbridge) tail logs")
    parser.set_defaults(func=main)
    add_config(parser)
    add_environment(parser)
    parser.add_argument("-f", "--follow", action="store_true", help="follow the logs")
    parser.add_argument("-l", "--num_lines", default=10, type=int, help="lines to show")
    add_name(parser)
    add_override_name(parser)
    add_pool_size(parser)
    add_pattern(parser)


def main(args: argparse.Namespace) -> None:
    tail_topology()
