"""``sparse remove_logs``: streamparse's flags; stormbridge does not delete worker logs over
SSH."""

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
    add_user,
)

__all__ = ["main", "remove_logs", "subparser_hook"]


def remove_logs(*args: Any, **kwargs: Any) -> None:
    """Raises ConfigError saying where worker logs are."""
    raise worker_logs_error("remove_logs")


def subparser_hook(subparsers: Any) -> None:
    parser = subparsers.add_parser("remove_logs", help="(not provided by stormbridge) remove logs")
    parser.set_defaults(func=main)
    parser.add_argument("-A", "--remove_all_artifacts", action="store_true", help="all artifacts")
    add_config(parser)
    add_environment(parser)
    add_name(parser)
    add_override_name(parser)
    add_pattern(parser)
    add_pool_size(parser)
    add_user(parser, allow_short=True)
    parser.add_argument("-w", "--remove_worker_logs", action="store_true", help="worker logs too")


def main(args: argparse.Namespace) -> None:
    remove_logs()
